/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idguard-relay: carries a workstation's approval requests to the site's
 * broker and the answers back, between idguardd (its control socket: the
 * outbox comes as a relay-watch stream, each step goes back as a command)
 * and the approval queue (queue.h). It holds no state of its own: the
 * outbox is idguardd's, in its state database, and every change comes here
 * whole; what the broker holds is made to match it. It decides nothing
 * either: a token it brings is checked by idguardd like a pasted one.
 *
 * link.c    the idguardd side (stream and commands)
 * outbox.c  the outbox, and making the broker match it
 * idguard-relay.c  command line and the sd-event loop
 */
#ifndef IDG_RELAY_H
#define IDG_RELAY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "daemon_stream.h"
#include "queue.h"

/* One request of the outbox and what this broker connection has done
 * about it. */
struct outbox_item {
	char rid[64];
	char *code;
	bool withdraw;               /* ended: the broker's copies must go */
	bool waiting;                /* idguardd has not yet heard it was sent */
	int op_request;              /* in flight: publishing the request (op id, 0: none) */
	int op_clear_request, op_clear_answer;
	bool request_done, clear_request_done, clear_answer_done;
	bool told;                   /* idguardd told (sent / withdrawn) */
};

/* An answer received but not yet handed to idguardd (it was down). */
struct pending_answer {
	char rid[64];
	char *text;
};

struct relay {
	sd_event *event;
	const char *socket_path;
	bool verbose;
	struct idg_queue_config cfg;
	char broker[300];            /* "host:port", for messages */
	struct idg_queue *queue;
	sd_event_source *queue_io;
	bool queue_connected;
	char queue_error[512];       /* why it is not connected */
	struct idg_stream *stream;
	bool daemon_up;
	struct outbox_item *items;
	size_t n_items;
	struct pending_answer *answers;
	size_t n_answers;
	sd_event_source *resend;     /* retries what the broker refused, later */
};

void relay_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* link.c */
int link_open(struct relay *r);
void link_close(struct relay *r);
/* One command to idguardd; the reply (NULL when idguardd cannot be
 * reached, said on stderr). */
struct json_object *link_call(struct relay *r, struct json_object *request);
/* Tells idguardd whether the broker is reachable. */
void link_report_state(struct relay *r);

/* outbox.c */
/* The whole outbox, as idguardd sent it. */
void outbox_update(struct relay *r, struct json_object *list);
/* Does what the broker needs now (connected) or later. */
void outbox_act(struct relay *r);
/* An event from the approval queue. */
void outbox_on_queue_event(struct relay *r, struct idg_queue_event *ev);
/* Hands idguardd the answers it could not take while it was down. */
void outbox_flush_answers(struct relay *r);
void outbox_free(struct relay *r);

#endif
