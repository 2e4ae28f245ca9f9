// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket server: non-blocking connections in the daemon's
 * epoll loop, one JSON request per line, one JSON reply per line. A request
 * that is too long, not JSON, or not finished within IDG_REQUEST_TIMEOUT_MS
 * gets an error reply and the connection is closed; nothing blocks the loop.
 *
 * Any local user may connect, so what one connection can cost is bounded
 * (see idguardd(8), "Control socket limits"):
 *  - backpressure: a connection whose replies are not being taken is not
 *    read (its requests wait in the kernel's socket buffer and its sender
 *    blocks) until it has taken them;
 *  - caps: what is queued for a connection, and for all connections of one
 *    user, is capped; one that would exceed a cap, or takes nothing of its
 *    replies for STALL_TIMEOUT_MS, is closed, with a record;
 *  - fairness: a connection gets at most REQUESTS_PER_TURN answers per turn
 *    of the event loop, so a client that pipelines cannot starve the kernel's
 *    records, root or other clients; the last ROOT_RESERVED slots are root's.
 */
#include "daemon.h"

#include <errno.h>
#include <libgen.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "protocol.h"

#define MAX_CLIENTS 64
/* One user must not lock administrators out: staff share the first slots,
 * each uid at most MAX_CLIENTS_PER_UID; the last ROOT_RESERVED are root's. */
#define MAX_CLIENTS_PER_UID 16
#define ROOT_RESERVED 8
/* Past this many reply bytes waiting, a connection is not read. */
#define OUT_HIGH_WATER (64u << 10)
/* No connection queues more than this, and no user (root aside) more than
 * OUT_CAP_USER over all its connections. With the high-water mark only one
 * reply larger than the rest of the cap can reach them. */
#define OUT_CAP_CONNECTION (1u << 20)
#define OUT_CAP_USER (4u << 20)
#define REQUESTS_PER_TURN 8
/* A client that takes none of its waiting replies for this long is stuck
 * or hostile; its slot is given back. */
#define STALL_TIMEOUT_MS 10000
/* Closing records are folded per user: one per this interval, with a count. */
#define CLOSE_RECORD_INTERVAL_NS (60ull * 1000000000ull)
#define CLOSE_NOTES 16

struct client {
	struct io_watch watch;
	struct control *control;
	struct ucred cred;
	char in[IDG_MAX_REQUEST];
	size_t in_used;
	char *out;
	size_t out_len;
	size_t out_sent;
	uint32_t events;          /* what epoll watches for now */
	uint64_t deadline_ns;     /* for the request being read, or idleness */
	uint64_t last_taken_ns;   /* when the client last took reply bytes */
	bool close_after_write;
	bool watching;            /* receives its user's notices (notices.c) */
	bool relay_watching;      /* the relay's: receives the outbox (requests.c) */
};

/* Who had a connection closed, and when that was last recorded. */
struct close_note {
	uid_t uid;
	uint64_t recorded_ns;
	unsigned folded;          /* closed since, not yet recorded */
};

struct control {
	struct daemon *daemon;
	struct io_watch listen_watch;
	char path[108];
	struct client *clients[MAX_CLIENTS];
	struct close_note notes[CLOSE_NOTES];
	uint64_t closed_total;
};

static uint64_t deadline_after(uint64_t ms)
{
	return idg_now_boot_ns() + ms * 1000000ull;
}

static size_t out_pending(const struct client *c)
{
	return c->out_len - c->out_sent;
}

static size_t user_pending(const struct control *ctl, uid_t uid)
{
	size_t sum = 0;

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i] && ctl->clients[i]->cred.uid == uid)
			sum += out_pending(ctl->clients[i]);
	return sum;
}

static bool has_complete_line(const struct client *c)
{
	return c->in_used && memchr(c->in, '\n', c->in_used);
}

static void client_free(struct client *c)
{
	struct control *ctl = c->control;

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i] == c)
			ctl->clients[i] = NULL;
	daemon_unwatch_fd(ctl->daemon, &c->watch);
	(void)close(c->watch.fd);
	free(c->out);
	free(c);
}

static struct close_note *close_note_for(struct control *ctl, uid_t uid)
{
	struct close_note *oldest = &ctl->notes[0];

	for (int i = 0; i < CLOSE_NOTES; i++) {
		if (ctl->notes[i].recorded_ns && ctl->notes[i].uid == uid)
			return &ctl->notes[i];
		if (ctl->notes[i].recorded_ns < oldest->recorded_ns)
			oldest = &ctl->notes[i];
	}
	*oldest = (struct close_note){ .uid = uid };
	return oldest;
}

/* Closes a connection the limits do not allow, with a record, folded per
 * user so that a client reconnecting in a loop cannot flood the journal. */
static void client_close_over_limit(struct client *c, const char *reason, const char *why)
{
	struct control *ctl = c->control;
	struct close_note *note = close_note_for(ctl, c->cred.uid);
	uint64_t now = idg_now_boot_ns();
	struct idg_record rec;

	ctl->closed_total++;
	if (note->recorded_ns && now - note->recorded_ns < CLOSE_RECORD_INTERVAL_NS) {
		note->folded++;
	} else {
		char folded[96] = "";

		if (note->folded)
			(void)snprintf(folded, sizeof(folded), "; %u more of this user's connections were closed since the last record",
				       note->folded);
		idg_record_init(&rec, IDG_MSG_CLIENT_CLOSED, LOG_WARNING);
		idg_record_add(&rec, "MESSAGE", "idguardd closed a control connection of uid %u (pid %d): %s%s",
			       (unsigned)c->cred.uid, (int)c->cred.pid, why, folded);
		idg_record_add(&rec, "IDGUARD_CLIENT_UID", "%u", (unsigned)c->cred.uid);
		idg_record_add(&rec, "IDGUARD_CLIENT_PID", "%d", (int)c->cred.pid);
		idg_record_add(&rec, "IDGUARD_CLOSE_REASON", "%s", reason);
		idg_record_add(&rec, "IDGUARD_QUEUED_BYTES", "%zu", out_pending(c));
		idg_record_add(&rec, "IDGUARD_FOLDED", "%u", note->folded);
		daemon_send(ctl->daemon, &rec);
		note->recorded_ns = now;
		note->folded = 0;
	}
	client_free(c);
}

/* Tells epoll what this connection waits for: input only while its replies
 * are being taken (backpressure), output while any wait. */
static bool client_update_events(struct client *c)
{
	uint32_t want = 0;
	struct epoll_event ev;

	if (!c->close_after_write && out_pending(c) < OUT_HIGH_WATER)
		want |= EPOLLIN;
	if (out_pending(c))
		want |= EPOLLOUT;
	if (want == c->events)
		return true;
	ev = (struct epoll_event){ .events = want, .data.ptr = &c->watch };
	if (epoll_ctl(c->control->daemon->epoll_fd, EPOLL_CTL_MOD, c->watch.fd, &ev) < 0) {
		client_free(c);
		return false;
	}
	c->events = want;
	return true;
}

/* Writes what is queued; returns false when the client is gone. */
static bool client_flush(struct client *c)
{
	while (out_pending(c)) {
		ssize_t n = send(c->watch.fd, c->out + c->out_sent, out_pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0) {
			client_free(c);
			return false;
		}
		c->out_sent += (size_t)n;
		c->last_taken_ns = idg_now_boot_ns();
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_sent = 0;
	if (c->close_after_write) {
		client_free(c);
		return false;
	}
	/* The time for the next request starts when this one is answered. */
	c->deadline_ns = deadline_after(IDG_REQUEST_TIMEOUT_MS);
	return true;
}

/* Queues a reply (and sends what the socket takes). Returns false when the
 * client is gone. */
static bool client_reply(struct client *c, struct json_object *reply)
{
	const char *text;
	size_t len, pending;
	char *buf;

	if (!reply) {
		client_free(c);
		return false;
	}
	/* The one way out for replies: no card data in them (Article 8). */
	(void)idg_reply_withhold(reply);
	text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	len = strlen(text) + 1;
	pending = out_pending(c);
	if (pending + len > OUT_CAP_CONNECTION ||
	    (c->cred.uid != 0 && user_pending(c->control, c->cred.uid) + len > OUT_CAP_USER)) {
		json_object_put(reply);
		client_close_over_limit(c, pending + len > OUT_CAP_CONNECTION ? "connection-cap" : "user-cap",
					"its replies are not being read and what waits for it reached the cap");
		return false;
	}
	if (!pending) {
		/* Nothing waits: start the buffer afresh. */
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_sent = 0;
		c->last_taken_ns = idg_now_boot_ns();
	}
	buf = realloc(c->out, c->out_len + len);
	if (!buf) {
		json_object_put(reply);
		client_free(c);
		return false;
	}
	memcpy(buf + c->out_len, text, len - 1);
	buf[c->out_len + len - 1] = '\n';
	c->out = buf;
	c->out_len += len;
	json_object_put(reply);
	return client_flush(c);
}

static bool client_refuse(struct client *c, const char *code, const char *message)
{
	c->close_after_write = true;
	return client_reply(c, idg_reply_error(code, message));
}

/* The one command that changes the connection: from now on it also
 * carries this user's notices, and waiting on it is not idleness. Then
 * what it missed while it was away (idguardd restarting, its own
 * reconnection): the kept notices after the last one it had. */
static bool handle_watch(struct client *c, struct json_object *request)
{
	struct json_object *since, *missed = NULL;
	bool alive;

	c->watching = true;
	if (json_object_object_get_ex(request, "since_usec", &since))
		missed = daemon_notices_since(c->control->daemon, c->cred.uid, (uint64_t)json_object_get_int64(since));
	alive = client_reply(c, daemon_notices_watch_reply(c->control->daemon, &c->cred));
	for (size_t i = 0; alive && missed && i < json_object_array_length(missed); i++)
		alive = client_reply(c, json_object_get(json_object_array_get_idx(missed, i)));
	json_object_put(missed);
	return alive;
}

/* The relay's stream: the outbox now, then again at every change. */
static bool handle_relay_watch(struct client *c)
{
	if (!daemon_is_relay(c->control->daemon, &c->cred))
		return client_refuse(c, "permission-denied", "'relay-watch' is for the approval relay (idguard-relay)");
	c->watching = true;       /* exempt from the idle timeout, bound by the caps */
	c->relay_watching = true;
	return client_reply(c, daemon_relay_watch_reply(c->control->daemon));
}

static bool handle_line(struct client *c, const char *line, size_t len)
{
	struct json_object *request, *reply;
	struct idg_error err;
	bool alive;

	if (idg_request_parse(line, len, &request, &err) < 0)
		return client_reply(c, idg_reply_error("invalid-request", err.message));
	if (streq(idg_request_command(request), "watch")) {
		alive = handle_watch(c, request);
		json_object_put(request);
		return alive;
	}
	if (streq(idg_request_command(request), "relay-watch")) {
		json_object_put(request);
		return handle_relay_watch(c);
	}
	reply = daemon_handle_request(c->control->daemon, &c->cred, request);
	json_object_put(request);
	return client_reply(c, reply);
}

/* Answers the first buffered request. Returns false when the client is gone. */
static bool answer_one(struct client *c)
{
	char *nl = memchr(c->in, '\n', c->in_used);
	size_t len = (size_t)(nl - c->in);
	char line[IDG_MAX_REQUEST];

	/* Taken out first: answering may close the client. */
	memcpy(line, c->in, len);
	memmove(c->in, nl + 1, c->in_used - len - 1);
	c->in_used -= len + 1;
	if (c->in_used)
		c->deadline_ns = deadline_after(IDG_REQUEST_TIMEOUT_MS);
	return handle_line(c, line, len);
}

enum read_result { READ_SOME, READ_NOTHING, READ_GONE };

/* Reads once what the socket has. */
static enum read_result read_more(struct client *c)
{
	ssize_t n;

	if (c->in_used == sizeof(c->in))
		return client_refuse(c, "too-large", "request is larger than 16383 bytes; the connection is closed") ?
			       READ_NOTHING : READ_GONE;
	n = recv(c->watch.fd, c->in + c->in_used, sizeof(c->in) - c->in_used, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return READ_NOTHING;
	if (n < 0) {
		client_free(c);
		return READ_GONE;
	}
	if (n == 0) {
		/* The peer will send no more. Answers already queued are still
		 * delivered; a half-written request is answered if we can. */
		if (c->in_used)
			return client_refuse(c, "incomplete", "connection closed before the request's newline") ?
				       READ_NOTHING : READ_GONE;
		if (!out_pending(c)) {
			client_free(c);
			return READ_GONE;
		}
		c->close_after_write = true;
		return READ_NOTHING;
	}
	/* A request must be complete within the timeout of its first byte;
	 * trickling bytes does not extend it. */
	if (c->in_used == 0)
		c->deadline_ns = deadline_after(IDG_REQUEST_TIMEOUT_MS);
	c->in_used += (size_t)n;
	return READ_SOME;
}

/* One turn for a connection: up to REQUESTS_PER_TURN answers, reading as
 * needed, never past the high-water mark. Returns false when it is gone. */
static bool client_turn(struct client *c)
{
	int answered = 0;

	while (answered < REQUESTS_PER_TURN && !c->close_after_write && out_pending(c) < OUT_HIGH_WATER) {
		if (has_complete_line(c)) {
			if (!answer_one(c))
				return false;
			answered++;
			continue;
		}
		switch (read_more(c)) {
		case READ_SOME:
			continue;
		case READ_GONE:
			return false;
		case READ_NOTHING:
			break;
		}
		break;
	}
	return client_update_events(c);
}

static void on_client_ready(struct io_watch *watch, uint32_t events)
{
	struct client *c = watch->data;

	/* Hung up: nobody is left to read an answer. */
	if (events & (EPOLLHUP | EPOLLERR)) {
		client_free(c);
		return;
	}
	if ((events & EPOLLOUT) && !client_flush(c))
		return;
	(void)client_turn(c);
}

/* A request waits in our buffer that its last turn left unanswered, and
 * nothing holds it back: no socket event will come for it. */
static bool left_waiting(const struct client *c)
{
	return c && !c->close_after_write && out_pending(c) < OUT_HIGH_WATER && has_complete_line(c);
}

bool control_pending(const struct control *ctl)
{
	for (int i = 0; ctl && i < MAX_CLIENTS; i++)
		if (left_waiting(ctl->clients[i]))
			return true;
	return false;
}

void control_resume(struct control *ctl)
{
	for (int i = 0; ctl && i < MAX_CLIENTS; i++)
		if (left_waiting(ctl->clients[i]))
			(void)client_turn(ctl->clients[i]);
}

/* A free slot for a client of this uid, or -1 when it must be turned away. */
static int find_slot(const struct control *ctl, uid_t uid)
{
	int free_slot = -1, used = 0, same_uid = 0;

	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (!ctl->clients[i]) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		used++;
		same_uid += ctl->clients[i]->cred.uid == uid;
	}
	if (uid != 0 && (same_uid >= MAX_CLIENTS_PER_UID || used >= MAX_CLIENTS - ROOT_RESERVED))
		return -1;
	return free_slot;
}

static void turn_away(int fd)
{
	static const char busy[] =
		"{\"ok\":false,\"code\":\"busy\",\"error\":\"idguardd has too many connections open; try again\"}\n";

	(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)close(fd);
}

static void on_listen_ready(struct io_watch *watch, uint32_t events)
{
	struct control *ctl = watch->data;

	/* A bounded number per turn, like requests. */
	for (int accepted = 0; accepted < MAX_CLIENTS; accepted++) {
		int fd = accept4(watch->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		socklen_t len = sizeof(struct ucred);
		struct ucred cred;
		struct client *c;
		int slot;

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			(void)close(fd);
			continue;
		}
		slot = find_slot(ctl, cred.uid);
		c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			turn_away(fd);
			continue;
		}
		c->control = ctl;
		c->cred = cred;
		c->watch = (struct io_watch){ .fd = fd, .on_ready = on_client_ready, .data = c };
		c->deadline_ns = deadline_after(IDG_REQUEST_TIMEOUT_MS);
		c->events = EPOLLIN;
		if (daemon_watch_fd(ctl->daemon, &c->watch, c->events) < 0) {
			(void)close(fd);
			free(c);
			continue;
		}
		ctl->clients[slot] = c;
	}
}

void control_sweep(struct control *ctl)
{
	uint64_t now = idg_now_boot_ns();

	for (int i = 0; ctl && i < MAX_CLIENTS; i++) {
		struct client *c = ctl->clients[i];

		if (!c)
			continue;
		/* Waiting for the client to take its replies: its own pace, up to
		 * the stall limit; the request timeout is not running meanwhile. */
		if (out_pending(c)) {
			if (now - c->last_taken_ns >= STALL_TIMEOUT_MS * 1000000ull)
				client_close_over_limit(c, "stalled",
							"it took none of its replies for 10 seconds");
			continue;
		}
		if (now < c->deadline_ns || (c->watching && !c->in_used))
			continue;
		if (c->in_used && !c->close_after_write)
			client_refuse(c, "timeout", "request not finished within 5 seconds; the connection is closed");
		else
			client_free(c);
	}
}

void control_push(struct control *ctl, uid_t uid, struct json_object *notice)
{
	for (int i = 0; ctl && i < MAX_CLIENTS; i++) {
		struct client *c = ctl->clients[i];

		/* The caps apply: a watcher that does not read is closed like
		 * any other connection, and reconnects. */
		if (c && c->watching && !c->relay_watching && !c->close_after_write && c->cred.uid == uid)
			(void)client_reply(c, json_object_get(notice));
	}
}

void control_push_relay(struct control *ctl, struct json_object *event)
{
	for (int i = 0; ctl && i < MAX_CLIENTS; i++) {
		struct client *c = ctl->clients[i];

		if (c && c->relay_watching && !c->close_after_write)
			(void)client_reply(c, json_object_get(event));
	}
}

int control_relay_watchers(const struct control *ctl)
{
	int n = 0;

	for (int i = 0; ctl && i < MAX_CLIENTS; i++)
		n += ctl->clients[i] && ctl->clients[i]->relay_watching && !ctl->clients[i]->close_after_write;
	return n;
}

int control_count(const struct control *ctl)
{
	int n = 0;

	for (int i = 0; ctl && i < MAX_CLIENTS; i++)
		n += ctl->clients[i] != NULL;
	return n;
}

uint64_t control_closed_total(const struct control *ctl)
{
	return ctl ? ctl->closed_total : 0;
}
/* Removes a stale socket file, but never one someone still listens on. */
static int remove_stale_socket(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, r;

	if (lstat(addr->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	(void)close(fd);
	if (r == 0)
		return -EADDRINUSE;
	return unlink(addr->sun_path) < 0 ? -errno : 0;
}

int control_check_free(const char *path, struct idg_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(addr.sun_path))
		return idg_error_set(err, -ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot create a socket");
	r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	(void)close(fd);
	if (r == 0)
		return idg_error_set(err, -EADDRINUSE, "another idguardd already listens on %s", path);
	return 0;
}

int control_open(struct daemon *d, const char *path, struct control **ret, struct idg_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct control *ctl;
	char dir[sizeof(addr.sun_path)];
	int fd, r;

	if (strlen(path) >= sizeof(addr.sun_path))
		return idg_error_set(err, -ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(addr.sun_path, path);
	strcpy(dir, path);
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST)
		return idg_error_errno(err, -errno, "cannot create the directory of %s", path);
	r = remove_stale_socket(&addr);
	if (r == -EADDRINUSE)
		return idg_error_set(err, r, "another idguardd already listens on %s", path);
	if (r < 0)
		return idg_error_errno(err, r, "cannot replace %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot create the control socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0666) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		(void)close(fd);
		return idg_error_errno(err, r, "cannot listen on %s", path);
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		(void)close(fd);
		return idg_error_set(err, -ENOMEM, "out of memory");
	}
	ctl->daemon = d;
	strcpy(ctl->path, path);
	ctl->listen_watch = (struct io_watch){ .fd = fd, .on_ready = on_listen_ready, .data = ctl };
	r = daemon_watch_fd(d, &ctl->listen_watch, EPOLLIN);
	if (r < 0) {
		(void)close(fd);
		free(ctl);
		return idg_error_errno(err, r, "epoll");
	}
	*ret = ctl;
	return 0;
}

void control_close(struct control *ctl)
{
	if (!ctl)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i])
			client_free(ctl->clients[i]);
	(void)close(ctl->listen_watch.fd);
	(void)unlink(ctl->path);
	free(ctl);
}
