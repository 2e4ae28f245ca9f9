// SPDX-License-Identifier: GPL-2.0-only
/*
 * The approval queue on an MQTT broker (see queue.h), with libmosquitto:
 * MQTT 5 (so that a publish the ACL refuses comes back with a reason code
 * instead of vanishing), TLS with this machine's client certificate, QoS 1
 * and retained messages, so that what waits survives anyone being away.
 *
 * A thread of ours runs the connection (libmosquitto's loop_start would
 * retry a refused connection in silence): each attempt that fails is an
 * event with its reason, then it waits (1 s, doubling to 10 s) and tries
 * again. libmosquitto's callbacks only turn what happened into events
 * written (as pointers) into a pipe, which the caller reads in its own
 * loop.
 */
#include "queue.h"

#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define KEEPALIVE_SEC 30
#define RECONNECT_MIN_SEC 1
#define RECONNECT_MAX_SEC 10

struct idg_queue {
	struct mosquitto *mosq;
	struct idg_queue_config cfg;
	enum idg_queue_role role;
	int pipe_fds[2];
	pthread_t thread;
	bool thread_started;
	int wake_fds[2];          /* closing: wakes the thread from its wait */
	pthread_mutex_t lock;     /* the fields below */
	bool stopping;
	bool connected;
	int subscribe_mid;
	char sync_topic[256];
	char last_error[256];     /* libmosquitto's last error log line (TLS reasons) */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	(void)mosquitto_lib_init();
}

/* ---- events (network thread -> caller) ------------------------------------- */

static void emit(struct idg_queue *q, struct idg_queue_event *ev)
{
	ssize_t n;

	do
		n = write(q->pipe_fds[1], &ev, sizeof(ev));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(ev))
		idg_queue_event_clear(ev), free(ev);
}

static struct idg_queue_event *event_new(enum idg_queue_event_kind kind)
{
	struct idg_queue_event *ev = calloc(1, sizeof(*ev));

	if (ev)
		ev->kind = kind;
	return ev;
}

static void emit_simple(struct idg_queue *q, enum idg_queue_event_kind kind, int op, const char *error)
{
	struct idg_queue_event *ev = event_new(kind);

	if (!ev)
		return;
	ev->op = op;
	if (error)
		(void)snprintf(ev->error, sizeof(ev->error), "%s", error);
	emit(q, ev);
}

/* ---- topics ---------------------------------------------------------------- */

static bool topic_part_ok(const char *s)
{
	return *s && strlen(s) < 128 && !strpbrk(s, "/+#");
}

static int topic(const struct idg_queue *q, char *buf, size_t size, const char *kind, const char *workstation,
		 const char *rid)
{
	if (!topic_part_ok(workstation) || !topic_part_ok(rid))
		return -EINVAL;
	if (snprintf(buf, size, "%s/%s/%s/%s", q->cfg.prefix, kind, workstation, rid) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* "PREFIX/KIND/WORKSTATION/RID" into its parts; false when it is not one. */
static bool split_topic(const struct idg_queue *q, const char *t, char *kind, size_t kind_size, char *ws,
			size_t ws_size, char *rid, size_t rid_size)
{
	size_t plen = strlen(q->cfg.prefix);
	const char *a, *b;

	if (strncmp(t, q->cfg.prefix, plen) != 0 || t[plen] != '/')
		return false;
	t += plen + 1;
	a = strchr(t, '/');
	b = a ? strchr(a + 1, '/') : NULL;
	if (!a || !b || strchr(b + 1, '/') || (size_t)(a - t) >= kind_size || (size_t)(b - a - 1) >= ws_size ||
	    strlen(b + 1) >= rid_size || a == t || b == a + 1 || !b[1])
		return false;
	(void)snprintf(kind, kind_size, "%.*s", (int)(a - t), t);
	(void)snprintf(ws, ws_size, "%.*s", (int)(b - a - 1), a + 1);
	(void)snprintf(rid, rid_size, "%s", b + 1);
	return true;
}

/* ---- callbacks (network thread) ------------------------------------------------ */

static void on_log(struct mosquitto *mosq, void *obj, int level, const char *line)
{
	struct idg_queue *q = obj;

	if (!(level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)))
		return;
	pthread_mutex_lock(&q->lock);
	(void)snprintf(q->last_error, sizeof(q->last_error), "%s", line);
	pthread_mutex_unlock(&q->lock);
}

/* Why the connection failed or was lost, in words: the TLS library's reason
 * when there is one (a certificate the broker refused, or one we refused). */
static void reason_text(struct idg_queue *q, const char *what, char *buf, size_t size)
{
	pthread_mutex_lock(&q->lock);
	if (q->last_error[0])
		(void)snprintf(buf, size, "%s (%s)", what, q->last_error);
	else
		(void)snprintf(buf, size, "%s", what);
	q->last_error[0] = '\0';
	pthread_mutex_unlock(&q->lock);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags, const mosquitto_property *props)
{
	struct idg_queue *q = obj;
	char sub_answers[300], sub_requests[300], sub_sync[300], why[512];
	char *subs[3];
	int n = 0, mid = 0, r;

	if (rc != 0) {
		reason_text(q, mosquitto_reason_string(rc), why, sizeof(why));
		emit_simple(q, IDG_QUEUE_DISCONNECTED, 0, why);
		return;
	}
	(void)snprintf(sub_sync, sizeof(sub_sync), "%s/sync/%s/+", q->cfg.prefix, q->cfg.name);
	subs[n++] = sub_sync;
	if (q->role == IDG_QUEUE_WORKSTATION) {
		(void)snprintf(sub_answers, sizeof(sub_answers), "%s/answer/%s/+", q->cfg.prefix, q->cfg.name);
		subs[n++] = sub_answers;
	} else {
		(void)snprintf(sub_requests, sizeof(sub_requests), "%s/request/+/+", q->cfg.prefix);
		(void)snprintf(sub_answers, sizeof(sub_answers), "%s/answer/+/+", q->cfg.prefix);
		subs[n++] = sub_requests;
		subs[n++] = sub_answers;
	}
	r = mosquitto_subscribe_multiple(mosq, &mid, n, subs, 1, 0, NULL);
	pthread_mutex_lock(&q->lock);
	q->subscribe_mid = r == MOSQ_ERR_SUCCESS ? mid : -1;
	pthread_mutex_unlock(&q->lock);
	if (r != MOSQ_ERR_SUCCESS)
		emit_simple(q, IDG_QUEUE_DISCONNECTED, 0, mosquitto_strerror(r));
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int count, const int *granted,
			 const mosquitto_property *props)
{
	struct idg_queue *q = obj;
	unsigned char nonce[8];
	char topic_buf[256];
	bool ours;

	pthread_mutex_lock(&q->lock);
	ours = mid == q->subscribe_mid;
	pthread_mutex_unlock(&q->lock);
	if (!ours)
		return;
	for (int i = 0; i < count; i++)
		if (granted[i] >= 0x80) {
			emit_simple(q, IDG_QUEUE_DISCONNECTED, 0,
				    "the broker refused the subscriptions: is this client's certificate name in its ACL?");
			return;
		}
	/* The stored (retained) messages of the subscriptions are queued to
	 * us before anything published after the subscription is: when this
	 * marker comes back, all of them have arrived. */
	if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
		memset(nonce, 0, sizeof(nonce));
	(void)snprintf(topic_buf, sizeof(topic_buf), "%s/sync/%s/%02x%02x%02x%02x%02x%02x%02x%02x", q->cfg.prefix,
		       q->cfg.name, nonce[0], nonce[1], nonce[2], nonce[3], nonce[4], nonce[5], nonce[6], nonce[7]);
	pthread_mutex_lock(&q->lock);
	q->connected = true;
	(void)snprintf(q->sync_topic, sizeof(q->sync_topic), "%s", topic_buf);
	pthread_mutex_unlock(&q->lock);
	emit_simple(q, IDG_QUEUE_CONNECTED, 0, NULL);
	(void)mosquitto_publish_v5(mosq, NULL, topic_buf, 0, NULL, 1, false, NULL);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	struct idg_queue *q = obj;
	struct idg_queue_event *ev;
	char kind[32], ws[128], rid[64];
	bool sync;

	pthread_mutex_lock(&q->lock);
	sync = streq(msg->topic, q->sync_topic);
	pthread_mutex_unlock(&q->lock);
	if (sync) {
		emit_simple(q, IDG_QUEUE_SYNCED, 0, NULL);
		return;
	}
	if (!split_topic(q, msg->topic, kind, sizeof(kind), ws, sizeof(ws), rid, sizeof(rid)))
		return;
	if (!streq(kind, "request") && !streq(kind, "answer"))
		return;
	ev = event_new(streq(kind, "request") ? IDG_QUEUE_REQUEST : IDG_QUEUE_ANSWER);
	if (!ev)
		return;
	(void)snprintf(ev->workstation, sizeof(ev->workstation), "%s", ws);
	(void)snprintf(ev->request_id, sizeof(ev->request_id), "%s", rid);
	if (msg->payloadlen > 0 && msg->payloadlen <= IDG_QUEUE_PAYLOAD_MAX) {
		ev->payload = malloc((size_t)msg->payloadlen + 1);
		if (!ev->payload) {
			free(ev);
			return;
		}
		memcpy(ev->payload, msg->payload, (size_t)msg->payloadlen);
		ev->payload[msg->payloadlen] = '\0';
		ev->payload_len = (size_t)msg->payloadlen;
	} else if (msg->payloadlen > 0) {
		(void)snprintf(ev->error, sizeof(ev->error), "a message of %d bytes, more than a request or answer can be",
			       msg->payloadlen);
	}
	emit(q, ev);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason, const mosquitto_property *props)
{
	struct idg_queue *q = obj;

	/* MQTT 5: below 0x80 is success ("no matching subscribers" too). */
	if (reason < 0x80)
		emit_simple(q, IDG_QUEUE_DONE, mid, NULL);
	else
		emit_simple(q, IDG_QUEUE_FAILED, mid, mosquitto_reason_string(reason));
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *props)
{
	struct idg_queue *q = obj;
	char why[512];

	pthread_mutex_lock(&q->lock);
	q->connected = false;
	q->sync_topic[0] = '\0';
	pthread_mutex_unlock(&q->lock);
	reason_text(q, rc == 0 ? "disconnected" : mosquitto_strerror(rc), why, sizeof(why));
	emit_simple(q, IDG_QUEUE_DISCONNECTED, 0, why);
}

/* ---- the caller's side ----------------------------------------------------------- */

static int mosq_errno(int rc)
{
	switch (rc) {
	case MOSQ_ERR_SUCCESS:
		return 0;
	case MOSQ_ERR_NO_CONN:
		return -ENOTCONN;
	case MOSQ_ERR_NOMEM:
		return -ENOMEM;
	case MOSQ_ERR_INVAL:
	case MOSQ_ERR_PAYLOAD_SIZE:
	case MOSQ_ERR_MALFORMED_UTF8:
		return -EINVAL;
	case MOSQ_ERR_ERRNO:
		return errno ? -errno : -EIO;
	default:
		return -EIO;
	}
}

static int join_within(pthread_t thread, int seconds)
{
	struct timespec deadline;

	(void)clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	return pthread_timedjoin_np(thread, NULL, &deadline) == 0 ? 0 : -ETIMEDOUT;
}

static bool stopping(struct idg_queue *q)
{
	bool stop;

	pthread_mutex_lock(&q->lock);
	stop = q->stopping;
	pthread_mutex_unlock(&q->lock);
	return stop;
}

/* Waits delay_ms, or less when closing. */
static void pause_ms(struct idg_queue *q, int delay_ms)
{
	struct pollfd pfd = { .fd = q->wake_fds[0], .events = POLLIN };

	(void)poll(&pfd, 1, delay_ms);
}

/* The connection's thread: connect, run until it is lost, say why, wait,
 * again; until closing. */
static void *run(void *data)
{
	struct idg_queue *q = data;
	int delay_ms = RECONNECT_MIN_SEC * 1000, rc;
	bool first = true;

	while (!stopping(q)) {
		char what[300], why[600];

		errno = 0;
		rc = first ? mosquitto_connect_bind_v5(q->mosq, q->cfg.address, q->cfg.port, KEEPALIVE_SEC, NULL, NULL)
			   : mosquitto_reconnect(q->mosq);
		if (rc == MOSQ_ERR_SUCCESS) {
			first = false;
			/* Until the connection is lost, or closing. */
			while (!stopping(q) && (rc = mosquitto_loop(q->mosq, 1000, 1)) == MOSQ_ERR_SUCCESS)
				;
			/* A connection that had come up starts the waits again. */
			delay_ms = RECONNECT_MIN_SEC * 1000;
			if (stopping(q))
				break;
		} else {
			(void)snprintf(what, sizeof(what), "%s",
				       rc == MOSQ_ERR_ERRNO && errno ? strerror(errno) : mosquitto_strerror(rc));
			reason_text(q, what, why, sizeof(why));
			emit_simple(q, IDG_QUEUE_DISCONNECTED, 0, why);
		}
		pause_ms(q, delay_ms);
		delay_ms = delay_ms * 2 > RECONNECT_MAX_SEC * 1000 ? RECONNECT_MAX_SEC * 1000 : delay_ms * 2;
	}
	return NULL;
}

int idg_queue_open(const struct idg_queue_config *cfg, enum idg_queue_role role, const char *client_tag,
		   struct idg_queue **ret, struct idg_error *err)
{
	struct idg_queue *q;
	char client_id[200];
	int rc;

	(void)pthread_once(&lib_once, lib_init);
	q = calloc(1, sizeof(*q));
	if (!q)
		return idg_error_set(err, -ENOMEM, "out of memory");
	q->cfg = *cfg;
	q->role = role;
	q->subscribe_mid = -1;
	q->pipe_fds[0] = q->pipe_fds[1] = q->wake_fds[0] = q->wake_fds[1] = -1;
	pthread_mutex_init(&q->lock, NULL);
	if (pipe2(q->pipe_fds, O_CLOEXEC) < 0 || fcntl(q->pipe_fds[0], F_SETFL, O_NONBLOCK) < 0 ||
	    pipe2(q->wake_fds, O_CLOEXEC) < 0) {
		rc = -errno;
		idg_queue_close(q);
		return idg_error_errno(err, rc, "cannot make a pipe");
	}
	(void)snprintf(client_id, sizeof(client_id), "%s-%s", cfg->name, client_tag);
	q->mosq = mosquitto_new(client_id, true, q);
	if (!q->mosq) {
		idg_queue_close(q);
		return idg_error_set(err, -ENOMEM, "cannot make an MQTT client");
	}
	(void)mosquitto_int_option(q->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	rc = mosquitto_tls_set(q->mosq, cfg->ca, NULL, cfg->cert, cfg->key, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		idg_queue_close(q);
		return idg_error_set(err, -EINVAL,
				     "%s: cannot use CA=%s, Certificate=%s, Key=%s: %s (do they exist, and may this user "
				     "read them?)",
				     cfg->file, cfg->ca, cfg->cert, cfg->key, mosquitto_strerror(rc));
	}
	mosquitto_log_callback_set(q->mosq, on_log);
	mosquitto_connect_v5_callback_set(q->mosq, on_connect);
	mosquitto_subscribe_v5_callback_set(q->mosq, on_subscribe);
	mosquitto_message_v5_callback_set(q->mosq, on_message);
	mosquitto_publish_v5_callback_set(q->mosq, on_publish);
	mosquitto_disconnect_v5_callback_set(q->mosq, on_disconnect);
	(void)mosquitto_threaded_set(q->mosq, true);
	if (pthread_create(&q->thread, NULL, run, q) != 0) {
		idg_queue_close(q);
		return idg_error_set(err, -EIO, "cannot start the MQTT client's thread");
	}
	q->thread_started = true;
	*ret = q;
	return 0;
}

void idg_queue_close(struct idg_queue *q)
{
	struct idg_queue_event ev;

	if (!q)
		return;
	if (q->thread_started) {
		pthread_mutex_lock(&q->lock);
		q->stopping = true;
		pthread_mutex_unlock(&q->lock);
		(void)mosquitto_disconnect(q->mosq);
		(void)!write(q->wake_fds[1], "x", 1);
		/* It sees the flag within a second (mosquitto_loop's timeout);
		 * but an attempt to reach a host that does not answer can block
		 * in connect() for minutes, and nobody waits for that. */
		if (join_within(q->thread, 3) < 0) {
			(void)pthread_cancel(q->thread);
			(void)pthread_join(q->thread, NULL);
		}
	}
	if (q->mosq)
		mosquitto_destroy(q->mosq);
	if (q->wake_fds[0] >= 0)
		(void)close(q->wake_fds[0]);
	if (q->wake_fds[1] >= 0)
		(void)close(q->wake_fds[1]);
	if (q->pipe_fds[0] >= 0)
		while (idg_queue_next(q, &ev) > 0)
			idg_queue_event_clear(&ev);
	if (q->pipe_fds[0] >= 0)
		(void)close(q->pipe_fds[0]);
	if (q->pipe_fds[1] >= 0)
		(void)close(q->pipe_fds[1]);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int idg_queue_fd(const struct idg_queue *q)
{
	return q->pipe_fds[0];
}

int idg_queue_next(struct idg_queue *q, struct idg_queue_event *ev)
{
	struct idg_queue_event *p;
	ssize_t n = read(q->pipe_fds[0], &p, sizeof(p));

	if (n != (ssize_t)sizeof(p))
		return n < 0 && errno != EAGAIN && errno != EINTR ? -errno : 0;
	*ev = *p;
	free(p);
	return 1;
}

void idg_queue_event_clear(struct idg_queue_event *ev)
{
	free(ev->payload);
	ev->payload = NULL;
	ev->payload_len = 0;
}

int idg_queue_wait(struct idg_queue *q, int timeout_ms, struct idg_queue_event *ev)
{
	struct pollfd pfd = { .fd = q->pipe_fds[0], .events = POLLIN };
	int r = idg_queue_next(q, ev);

	if (r != 0)
		return r;
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r == 0 ? 0 : idg_queue_next(q, ev);
}

static int publish(struct idg_queue *q, const char *kind, const char *workstation, const char *rid, const char *text,
		   int *ret_op)
{
	char t[400];
	bool connected;
	int mid = 0, r = topic(q, t, sizeof(t), kind, workstation, rid);

	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	connected = q->connected;
	pthread_mutex_unlock(&q->lock);
	if (!connected)
		return -ENOTCONN;
	if (text && strlen(text) > IDG_QUEUE_PAYLOAD_MAX)
		return -EMSGSIZE;
	r = mosq_errno(mosquitto_publish_v5(q->mosq, &mid, t, text ? (int)strlen(text) : 0, text, 1, true, NULL));
	if (r == 0 && ret_op)
		*ret_op = mid;
	return r;
}

int idg_queue_put_request(struct idg_queue *q, const char *rid, const char *code, int *ret_op)
{
	return publish(q, "request", q->cfg.name, rid, code, ret_op);
}

int idg_queue_clear_request(struct idg_queue *q, const char *workstation, const char *rid, int *ret_op)
{
	return publish(q, "request", workstation, rid, NULL, ret_op);
}

int idg_queue_put_answer(struct idg_queue *q, const char *workstation, const char *rid, const char *text, int *ret_op)
{
	return publish(q, "answer", workstation, rid, text, ret_op);
}

int idg_queue_clear_answer(struct idg_queue *q, const char *workstation, const char *rid, int *ret_op)
{
	return publish(q, "answer", workstation, rid, NULL, ret_op);
}
