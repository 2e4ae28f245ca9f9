/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The site's approval queue, as the relay on a workstation and the
 * supervisor's `idguardctl token inbox` see it: requests waiting, filed
 * under the workstation that sent them, and answers (a signed token or a
 * signed decline) filed under the workstation they are for. The queue is
 * kept by a server the site already runs; the one implemented is an MQTT
 * broker (queue_mqtt.c, libmosquitto; see docs/relay.md for why), where
 *
 *   PREFIX/request/WORKSTATION/RID   retained: the request code
 *   PREFIX/answer/WORKSTATION/RID    retained: the token or the decline
 *
 * and the broker's ACL, keyed by each client's TLS certificate name, lets
 * a workstation write only its own requests and read only its own answers.
 * So the WORKSTATION of an event is the name the broker authenticated, not
 * anything the message says. Everything else here is transport-neutral: a
 * WebDAV collection with the same two folders would fit the same calls.
 *
 * The network runs in a thread of its own; what happens comes back as
 * events through a pipe (idg_queue_fd), so the caller's loop stays single
 * threaded. Nothing received is trusted: tokens and declines are checked
 * by idguardd like any other.
 */
#ifndef IDG_QUEUE_H
#define IDG_QUEUE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct idg_error;

#define IDG_RELAY_CONFIG "/etc/idguard/relay.conf"
#define IDG_QUEUE_DEFAULT_PORT 8883
#define IDG_QUEUE_DEFAULT_PREFIX "idguard"
/* A request code or an answer is well under 1 KiB; the broker's
 * message_size_limit is 4 KiB (packaging/mosquitto/idguard.conf). */
#define IDG_QUEUE_PAYLOAD_MAX 4096

/* relay.conf ([Broker] section; idguard-relay(8)). */
struct idg_queue_config {
	char address[256];        /* host name or address of the broker */
	int port;
	char ca[PATH_MAX];        /* the branch CA that signed the broker's certificate */
	char cert[PATH_MAX];      /* this client's certificate and key */
	char key[PATH_MAX];
	char name[64];            /* the name in this client's certificate (its CN) */
	char prefix[128];         /* topic prefix */
	char file[PATH_MAX];      /* where it was read from */
};

/* Reads a relay.conf. Errors name FILE:LINE. */
int idg_queue_config_load(const char *path, struct idg_queue_config *ret, struct idg_error *err);
/* "broker.example:8883" */
void idg_queue_config_address(const struct idg_queue_config *cfg, char *buf, size_t size);

enum idg_queue_event_kind {
	IDG_QUEUE_CONNECTED,      /* subscriptions are (re)made: re-send what is outstanding */
	IDG_QUEUE_DISCONNECTED,   /* error says why; it reconnects by itself */
	IDG_QUEUE_SYNCED,         /* every stored message of the subscriptions has arrived */
	IDG_QUEUE_DONE,           /* an operation (op) was taken by the server */
	IDG_QUEUE_FAILED,         /* an operation was refused; error says why */
	IDG_QUEUE_REQUEST,        /* a stored or new request (empty payload: removed) */
	IDG_QUEUE_ANSWER,         /* a stored or new answer (empty payload: removed) */
};

struct idg_queue_event {
	enum idg_queue_event_kind kind;
	int op;
	char workstation[128];
	char request_id[64];
	char *payload;            /* NUL-terminated; NULL when empty */
	size_t payload_len;
	char error[256];
};

struct idg_queue;

/* What to receive once connected: a workstation its own answers; a
 * supervisor every request and every answer. */
enum idg_queue_role { IDG_QUEUE_WORKSTATION, IDG_QUEUE_SUPERVISOR };

/* Starts connecting (in the background, reconnecting when the connection
 * is lost). client_tag makes the client id unique ("relay", "inbox-PID"). */
int idg_queue_open(const struct idg_queue_config *cfg, enum idg_queue_role role, const char *client_tag,
		   struct idg_queue **ret, struct idg_error *err);
void idg_queue_close(struct idg_queue *q);
/* Readable when events wait. */
int idg_queue_fd(const struct idg_queue *q);
/* 1 and *ev filled (free with idg_queue_event_clear), 0 when none waits. */
int idg_queue_next(struct idg_queue *q, struct idg_queue_event *ev);
void idg_queue_event_clear(struct idg_queue_event *ev);

/* Each returns 0 and the operation's number (for DONE/FAILED), or -ENOTCONN
 * while not connected (send again after CONNECTED), or another -errno. */
int idg_queue_put_request(struct idg_queue *q, const char *rid, const char *code, int *ret_op);
int idg_queue_clear_request(struct idg_queue *q, const char *workstation, const char *rid, int *ret_op);
int idg_queue_put_answer(struct idg_queue *q, const char *workstation, const char *rid, const char *text,
			 int *ret_op);
int idg_queue_clear_answer(struct idg_queue *q, const char *workstation, const char *rid, int *ret_op);

/* Waits up to timeout_ms for an event (for one-shot programs). 1, 0 on
 * timeout, -errno. */
int idg_queue_wait(struct idg_queue *q, int timeout_ms, struct idg_queue_event *ev);

#endif
