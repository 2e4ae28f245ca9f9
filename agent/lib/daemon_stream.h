/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A long-lived line stream from idguardd, on an sd-event loop: connect to
 * the control socket, send one request line ("watch", "relay-watch"), then
 * take one JSON object per line for as long as the daemon runs. When the
 * daemon restarts the connection closes and this connects again (at once,
 * then 1 s doubling to 30 s while it cannot). Used by idguard-notify (the
 * clerk's notices) and idguard-relay (the outbox).
 */
#ifndef IDG_DAEMON_STREAM_H
#define IDG_DAEMON_STREAM_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct idg_stream;

struct idg_stream_ops {
	/* Writes the request line (ending in a newline) to send on each
	 * connection; returns its length or a negative errno. */
	int (*request)(void *userdata, char *buf, size_t size);
	/* One line: first is the daemon's reply to the request. A negative
	 * return drops the connection and tries again later. */
	int (*on_line)(void *userdata, struct json_object *line, bool first);
	/* The connection was lost or could not be made (why), and will be
	 * tried again. */
	void (*on_lost)(void *userdata, const char *why);
};

int idg_stream_new(sd_event *event, const char *socket_path, const struct idg_stream_ops *ops, void *userdata,
		   struct idg_stream **ret);
void idg_stream_free(struct idg_stream *s);
const char *idg_stream_socket_path(const struct idg_stream *s);
/* Whether the daemon has answered the request on the current connection. */
bool idg_stream_up(const struct idg_stream *s);

/* Arms source (created on first use) to call handler once, delay_usec
 * from now. 0 or a negative errno. */
int idg_timer_arm(sd_event *event, sd_event_source **source, uint64_t delay_usec, sd_event_time_handler_t handler,
		  void *userdata);

#endif
