// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguard-notify's connection to idguardd: the control socket, the request
 * {"command":"watch"}, its reply ({"ok":true,"uid":...}), then one notice
 * per line for as long as the daemon runs. When the daemon restarts the
 * connection closes, and this connects again (at once, then 1 s doubling
 * to 30 s while the socket is not there). What cannot be reached is said
 * once per outage on stderr, not every second. Each request asks for the
 * notices after the last one received (at first, after the start), so
 * that refusals made while the connection was down are still shown.
 */
#include "notify.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util.h"

#define MAX_LINE (1u << 20)  /* the daemon's lines are at most 1 MiB */
#define RETRY_MIN_USEC (1 * USEC_PER_SEC)
#define RETRY_MAX_USEC (30 * USEC_PER_SEC)

struct watch {
	sd_event *event;
	char *socket_path;
	bool verbose;
	watch_notice_fn on_notice;
	void *userdata;
	int fd;
	sd_event_source *io, *retry;
	char *buf;
	size_t len, allocated;
	bool replied;              /* the watch request was answered */
	uint64_t backoff_usec;
	bool in_outage;            /* said that it cannot reach idguardd */
	char last_refusal[512];    /* the daemon's last "ok": false, said once */
	uint64_t since_usec;       /* the newest notice passed on, or the start */
};

static void schedule_connect(struct watch *w, uint64_t delay_usec);

static void disconnect(struct watch *w)
{
	w->io = sd_event_source_disable_unref(w->io);
	if (w->fd >= 0)
		(void)close(w->fd);
	w->fd = -1;
	w->len = 0;
	w->replied = false;
}

/* Something went wrong with the connection: say so once, try again. */
static void lost(struct watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lost(struct watch *w, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	disconnect(w);
	if (!w->in_outage || w->verbose)
		notify_log("%s; connecting again", why);
	w->in_outage = true;
	schedule_connect(w, w->backoff_usec);
	w->backoff_usec = w->backoff_usec * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : w->backoff_usec * 2;
}

/* The first line: whether idguardd watches for us. */
static int handle_reply(struct watch *w, struct json_object *reply)
{
	struct json_object *ok, *uid;
	const char *code = NULL, *error = NULL;
	char refusal[512];

	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)) {
		/* The daemon sends only our own notices; a reply for another
		 * uid means something is badly wrong, and nothing is shown. */
		if (!json_object_object_get_ex(reply, "uid", &uid) ||
		    json_object_get_int64(uid) != (int64_t)getuid()) {
			lost(w, "idguardd at %s answered for uid %s, not for ours (%u); showing nothing from it",
			     w->socket_path, json_object_get_string(uid), (unsigned)getuid());
			return -EPERM;
		}
		if (w->in_outage || w->verbose)
			notify_log("watching idguardd at %s for notices", w->socket_path);
		w->in_outage = false;
		w->last_refusal[0] = '\0';
		w->backoff_usec = RETRY_MIN_USEC;
		w->replied = true;
		return 0;
	}
	if (json_object_object_get_ex(reply, "code", &ok))
		code = json_object_get_string(ok);
	if (json_object_object_get_ex(reply, "error", &ok))
		error = json_object_get_string(ok);
	(void)snprintf(refusal, sizeof(refusal), "idguardd at %s refused to send notices (%s): %s%s", w->socket_path,
		       code ? code : "no code", error ? error : "no reason given",
		       code && streq(code, "unknown-command") ? " (is idguardd older than idguard-notify?)" : "");
	if (!streq(refusal, w->last_refusal))
		notify_log("%s", refusal);
	(void)snprintf(w->last_refusal, sizeof(w->last_refusal), "%s", refusal);
	/* Said already: the reconnection stays quiet unless something changes. */
	w->in_outage = true;
	disconnect(w);
	schedule_connect(w, w->backoff_usec);
	w->backoff_usec = w->backoff_usec * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : w->backoff_usec * 2;
	return -EPROTO;
}

/* Handles each complete line in the buffer. */
static int handle_lines(struct watch *w)
{
	size_t start = 0;
	char *newline;

	while ((newline = memchr(w->buf + start, '\n', w->len - start))) {
		struct json_object *obj;
		int r = 0;

		*newline = '\0';
		obj = json_tokener_parse(w->buf + start);
		if (!obj || !json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			lost(w, "idguardd at %s sent a line that is not a JSON object", w->socket_path);
			return -EPROTO;
		}
		if (!w->replied) {
			r = handle_reply(w, obj);
		} else {
			struct json_object *time;

			if (json_object_object_get_ex(obj, "time_usec", &time) &&
			    (uint64_t)json_object_get_int64(time) > w->since_usec)
				w->since_usec = (uint64_t)json_object_get_int64(time);
			w->on_notice(w->userdata, obj);
		}
		json_object_put(obj);
		if (r < 0)
			return r;
		start = (size_t)(newline - w->buf) + 1;
	}
	memmove(w->buf, w->buf + start, w->len - start);
	w->len -= start;
	return 0;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct watch *w = userdata;

	for (;;) {
		ssize_t n;

		if (w->len + 65536 > w->allocated) {
			size_t size = w->allocated ? w->allocated * 2 : 65536;
			char *grown;

			if (w->len >= MAX_LINE + 1) {
				lost(w, "idguardd at %s sent a line longer than %u bytes", w->socket_path, MAX_LINE);
				return 0;
			}
			grown = realloc(w->buf, size);
			if (!grown) {
				lost(w, "out of memory reading from idguardd");
				return 0;
			}
			w->buf = grown;
			w->allocated = size;
		}
		n = recv(w->fd, w->buf + w->len, w->allocated - w->len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0) {
			lost(w, "reading from idguardd at %s: %s", w->socket_path, strerror(errno));
			return 0;
		}
		if (n == 0) {
			lost(w, "idguardd at %s closed the connection (stopped or restarted?)", w->socket_path);
			return 0;
		}
		w->len += (size_t)n;
		if (handle_lines(w) < 0)
			return 0;
	}
}

static int connect_now(struct watch *w)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char request[96];
	int len = snprintf(request, sizeof(request), "{\"command\":\"watch\",\"since_usec\":%llu}\n",
			   (unsigned long long)w->since_usec);
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r;

	if (strlen(w->socket_path) >= sizeof(addr.sun_path)) {
		lost(w, "the socket path %s is too long", w->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, w->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		lost(w, "cannot create a socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		lost(w, "cannot reach idguardd at %s: %s", w->socket_path, strerror(errno));
		return -errno;
	}
	/* A fresh socket's buffer takes these few bytes at once. */
	n = send(fd, request, (size_t)len, MSG_NOSIGNAL);
	if (n != len) {
		lost(w, "cannot send to idguardd at %s: %s", w->socket_path, n < 0 ? strerror(errno) : "short write");
		return -EIO;
	}
	r = sd_event_add_io(w->event, &w->io, fd, EPOLLIN, on_readable, w);
	if (r < 0) {
		lost(w, "cannot watch the connection to idguardd: %s", strerror(-r));
		return r;
	}
	w->fd = TAKE_FD(fd);
	return 0;
}

static int on_connect_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)connect_now(userdata);
	return 0;
}

static void schedule_connect(struct watch *w, uint64_t delay_usec)
{
	int r = notify_timer_arm(w->event, &w->retry, delay_usec, on_connect_timer, w);

	if (r < 0)
		notify_log("cannot set a timer to reach idguardd again: %s", strerror(-r));
}

int watch_new(sd_event *event, const char *socket_path, bool verbose, watch_notice_fn on_notice, void *userdata,
	      struct watch **ret)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .event = sd_event_ref(event), .socket_path = strdup(socket_path), .verbose = verbose,
			     .on_notice = on_notice, .userdata = userdata, .fd = -1, .backoff_usec = RETRY_MIN_USEC };
	/* What happened before this session's agent started is for `idguardctl
	 * why`, not for the screen. */
	w->since_usec = idg_now_realtime_usec();
	if (!w->socket_path) {
		watch_free(w);
		return -ENOMEM;
	}
	(void)connect_now(w);
	*ret = w;
	return 0;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	disconnect(w);
	sd_event_source_disable_unref(w->retry);
	sd_event_unref(w->event);
	free(w->buf);
	free(w->socket_path);
	free(w);
}
