// SPDX-License-Identifier: GPL-2.0-only
/* A long-lived line stream from idguardd (see daemon_stream.h). */
#include "daemon_stream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#define MAX_LINE (1u << 20)  /* the daemon's lines are at most 1 MiB */
#define RETRY_MIN_USEC 1000000ull
#define RETRY_MAX_USEC 30000000ull

struct idg_stream {
	sd_event *event;
	char *socket_path;
	const struct idg_stream_ops *ops;
	void *userdata;
	int fd;
	sd_event_source *io, *retry;
	char *buf;
	size_t len, allocated;
	bool replied;              /* the request was answered */
	uint64_t backoff_usec;
};

int idg_timer_arm(sd_event *event, sd_event_source **source, uint64_t delay_usec, sd_event_time_handler_t handler,
		  void *userdata)
{
	int r;

	if (!*source)
		return sd_event_add_time_relative(event, source, CLOCK_MONOTONIC, delay_usec, 0, handler, userdata);
	r = sd_event_source_set_time_relative(*source, delay_usec);
	return r < 0 ? r : sd_event_source_set_enabled(*source, SD_EVENT_ONESHOT);
}

static void schedule_connect(struct idg_stream *s, uint64_t delay_usec);

static void disconnect(struct idg_stream *s)
{
	s->io = sd_event_source_disable_unref(s->io);
	if (s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
	s->len = 0;
	s->replied = false;
}

/* Drops the connection and tries again later, with backoff. */
static void retry_later(struct idg_stream *s)
{
	disconnect(s);
	schedule_connect(s, s->backoff_usec);
	s->backoff_usec = s->backoff_usec * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : s->backoff_usec * 2;
}

static void lost(struct idg_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lost(struct idg_stream *s, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	retry_later(s);
	if (s->ops->on_lost)
		s->ops->on_lost(s->userdata, why);
}

/* Handles each complete line in the buffer. */
static int handle_lines(struct idg_stream *s)
{
	size_t start = 0;
	char *newline;

	while ((newline = memchr(s->buf + start, '\n', s->len - start))) {
		struct json_object *obj;
		bool first = !s->replied;
		int r;

		*newline = '\0';
		obj = json_tokener_parse(s->buf + start);
		if (!obj || !json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			lost(s, "idguardd at %s sent a line that is not a JSON object", s->socket_path);
			return -EPROTO;
		}
		s->replied = true;
		r = s->ops->on_line(s->userdata, obj, first);
		json_object_put(obj);
		if (r < 0) {
			retry_later(s);
			return r;
		}
		if (first)
			s->backoff_usec = RETRY_MIN_USEC;
		start = (size_t)(newline - s->buf) + 1;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	return 0;
}

static int on_readable(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct idg_stream *s = userdata;

	for (;;) {
		ssize_t n;

		if (s->len + 65536 > s->allocated) {
			size_t size = s->allocated ? s->allocated * 2 : 65536;
			char *grown;

			if (s->len >= MAX_LINE + 1) {
				lost(s, "idguardd at %s sent a line longer than %u bytes", s->socket_path, MAX_LINE);
				return 0;
			}
			grown = realloc(s->buf, size);
			if (!grown) {
				lost(s, "out of memory reading from idguardd");
				return 0;
			}
			s->buf = grown;
			s->allocated = size;
		}
		n = recv(s->fd, s->buf + s->len, s->allocated - s->len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0) {
			lost(s, "reading from idguardd at %s: %s", s->socket_path, strerror(errno));
			return 0;
		}
		if (n == 0) {
			lost(s, "idguardd at %s closed the connection (stopped or restarted?)", s->socket_path);
			return 0;
		}
		s->len += (size_t)n;
		if (handle_lines(s) < 0)
			return 0;
	}
}

static int connect_now(struct idg_stream *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char request[512];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int len, r;

	len = s->ops->request(s->userdata, request, sizeof(request));
	if (len <= 0 || len >= (int)sizeof(request)) {
		lost(s, "cannot make the request for idguardd");
		return -EINVAL;
	}
	if (strlen(s->socket_path) >= sizeof(addr.sun_path)) {
		lost(s, "the socket path %s is too long", s->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, s->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		lost(s, "cannot create a socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		lost(s, "cannot reach idguardd at %s: %s", s->socket_path, strerror(errno));
		return -errno;
	}
	/* A fresh socket's buffer takes these few bytes at once. */
	n = send(fd, request, (size_t)len, MSG_NOSIGNAL);
	if (n != len) {
		lost(s, "cannot send to idguardd at %s: %s", s->socket_path, n < 0 ? strerror(errno) : "short write");
		return -EIO;
	}
	r = sd_event_add_io(s->event, &s->io, fd, EPOLLIN, on_readable, s);
	if (r < 0) {
		lost(s, "cannot watch the connection to idguardd: %s", strerror(-r));
		return r;
	}
	s->fd = TAKE_FD(fd);
	return 0;
}

static int on_connect_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	(void)connect_now(userdata);
	return 0;
}

static void schedule_connect(struct idg_stream *s, uint64_t delay_usec)
{
	int r = idg_timer_arm(s->event, &s->retry, delay_usec, on_connect_timer, s);

	if (r < 0 && s->ops->on_lost)
		s->ops->on_lost(s->userdata, "cannot set a timer to reach idguardd again");
}

int idg_stream_new(sd_event *event, const char *socket_path, const struct idg_stream_ops *ops, void *userdata,
		   struct idg_stream **ret)
{
	struct idg_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (struct idg_stream){ .event = sd_event_ref(event), .socket_path = strdup(socket_path), .ops = ops,
				  .userdata = userdata, .fd = -1, .backoff_usec = RETRY_MIN_USEC };
	if (!s->socket_path) {
		idg_stream_free(s);
		return -ENOMEM;
	}
	*ret = s;
	(void)connect_now(s);
	return 0;
}

void idg_stream_free(struct idg_stream *s)
{
	if (!s)
		return;
	disconnect(s);
	sd_event_source_disable_unref(s->retry);
	sd_event_unref(s->event);
	free(s->buf);
	free(s->socket_path);
	free(s);
}

const char *idg_stream_socket_path(const struct idg_stream *s)
{
	return s->socket_path;
}

bool idg_stream_up(const struct idg_stream *s)
{
	return s->replied;
}
