// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket server: non-blocking connections in the daemon's
 * epoll loop, one JSON request per line, one JSON reply per line. A request
 * that is too long, not JSON, or not finished within IDG_REQUEST_TIMEOUT_MS
 * gets an error reply and the connection is closed; nothing blocks the loop.
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

struct client {
	struct io_watch watch;
	struct control *control;
	struct ucred cred;
	char in[IDG_MAX_REQUEST];
	size_t in_used;
	char *out;
	size_t out_len;
	size_t out_sent;
	uint64_t deadline_ns;
	bool close_after_write;
};

struct control {
	struct daemon *daemon;
	struct io_watch listen_watch;
	char path[108];
	struct client *clients[MAX_CLIENTS];
};

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

/* Writes what is queued; returns false when the client is gone. */
static bool client_flush(struct client *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->watch.fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0) {
			client_free(c);
			return false;
		}
		c->out_sent += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_sent = 0;
	if (c->close_after_write) {
		client_free(c);
		return false;
	}
	return true;
}

static bool client_reply(struct client *c, struct json_object *reply)
{
	const char *text;
	size_t len;
	char *buf;

	if (!reply) {
		client_free(c);
		return false;
	}
	text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	buf = realloc(c->out, c->out_len + len + 1);
	if (!buf) {
		json_object_put(reply);
		client_free(c);
		return false;
	}
	memcpy(buf + c->out_len, text, len);
	buf[c->out_len + len] = '\n';
	c->out = buf;
	c->out_len += len + 1;
	json_object_put(reply);
	return client_flush(c);
}

static bool client_refuse(struct client *c, const char *code, const char *message)
{
	c->close_after_write = true;
	return client_reply(c, idg_reply_error(code, message));
}

static bool handle_line(struct client *c, const char *line, size_t len)
{
	struct json_object *request, *reply;
	struct idg_error err;

	if (idg_request_parse(line, len, &request, &err) < 0)
		return client_reply(c, idg_reply_error("invalid-request", err.message));
	reply = daemon_handle_request(c->control->daemon, &c->cred, request);
	json_object_put(request);
	return client_reply(c, reply);
}

static void on_client_ready(struct io_watch *watch, uint32_t events)
{
	struct client *c = watch->data;

	if ((events & EPOLLOUT) && !client_flush(c))
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n;
		char *nl;

		if (c->in_used == sizeof(c->in)) {
			client_refuse(c, "too-large", "request is larger than 16383 bytes; the connection is closed");
			return;
		}
		n = recv(c->watch.fd, c->in + c->in_used, sizeof(c->in) - c->in_used, 0);
		if (n < 0 && errno == EAGAIN)
			return;
		/* A request must be complete within the timeout of its first byte;
		 * trickling bytes does not extend it. */
		if (n > 0 && c->in_used == 0)
			c->deadline_ns = idg_now_boot_ns() + IDG_REQUEST_TIMEOUT_MS * 1000000ull;
		if (n <= 0) {
			/* The peer closed. A half-written request is answered if we can. */
			if (n == 0 && c->in_used)
				client_refuse(c, "incomplete", "connection closed before the request's newline");
			else
				client_free(c);
			return;
		}
		c->in_used += (size_t)n;
		while ((nl = memchr(c->in, '\n', c->in_used))) {
			size_t len = (size_t)(nl - c->in);

			if (!handle_line(c, c->in, len))
				return;
			memmove(c->in, nl + 1, c->in_used - len - 1);
			c->in_used -= len + 1;
		}
		/* An idle connection may wait that long for its next request. */
		if (c->in_used == 0)
			c->deadline_ns = idg_now_boot_ns() + IDG_REQUEST_TIMEOUT_MS * 1000000ull;
	}
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

	for (;;) {
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
		c->deadline_ns = idg_now_boot_ns() + IDG_REQUEST_TIMEOUT_MS * 1000000ull;
		if (daemon_watch_fd(ctl->daemon, &c->watch, EPOLLIN | EPOLLOUT | EPOLLET) < 0) {
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

		if (!c || now < c->deadline_ns)
			continue;
		if (c->in_used && !c->close_after_write)
			client_refuse(c, "timeout", "request not finished within 5 seconds; the connection is closed");
		else
			client_free(c);
	}
}

int control_count(const struct control *ctl)
{
	int n = 0;

	for (int i = 0; ctl && i < MAX_CLIENTS; i++)
		n += ctl->clients[i] != NULL;
	return n;
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
