// SPDX-License-Identifier: GPL-2.0-only
/*
 * The relay's side of idguardd: a relay-watch stream that brings the
 * outbox (whole, at first and at every change), and one-shot commands
 * back (relay-status, relay-sent, relay-withdrawn, relay-answer). idguardd
 * takes them only from the relay's user and root.
 */
#include "relay.h"

#include <errno.h>
#include <string.h>

#include "protocol.h"
#include "util.h"

#define CALL_TIMEOUT_MS 10000

static int make_request(void *userdata, char *buf, size_t size)
{
	return snprintf(buf, size, "{\"command\":\"relay-watch\"}\n");
}

static void on_lost(void *userdata, const char *why)
{
	struct relay *r = userdata;

	if (r->daemon_up || r->verbose)
		relay_log("%s; connecting again", why);
	r->daemon_up = false;
}

static int on_line(void *userdata, struct json_object *obj, bool first)
{
	struct relay *r = userdata;
	struct json_object *value;

	if (first) {
		if (!json_object_object_get_ex(obj, "ok", &value) || !json_object_get_boolean(value)) {
			const char *error = json_object_object_get_ex(obj, "error", &value) ? json_object_get_string(value)
											     : "no reason given";

			relay_log("idguardd at %s refused the relay: %s", r->socket_path, error);
			r->daemon_up = false;
			return -EPERM;
		}
		relay_log("connected to idguardd at %s", r->socket_path);
		r->daemon_up = true;
		/* idguardd may have restarted: it knows nothing of the broker. */
		link_report_state(r);
	}
	if (json_object_object_get_ex(obj, "outbox", &value) && json_object_is_type(value, json_type_array))
		outbox_update(r, value);
	if (first)
		outbox_flush_answers(r);
	outbox_act(r);
	return 0;
}

static const struct idg_stream_ops stream_ops = {
	.request = make_request,
	.on_line = on_line,
	.on_lost = on_lost,
};

int link_open(struct relay *r)
{
	return idg_stream_new(r->event, r->socket_path, &stream_ops, r, &r->stream);
}

void link_close(struct relay *r)
{
	idg_stream_free(r->stream);
	r->stream = NULL;
}

struct json_object *link_call(struct relay *r, struct json_object *request)
{
	struct json_object *reply = NULL;
	struct idg_error err = { "" };
	int rc = idg_client_call(r->socket_path, request, CALL_TIMEOUT_MS, &reply, &err);

	json_object_put(request);
	if (rc < 0) {
		relay_log("cannot reach idguardd at %s: %s", r->socket_path, err.message);
		return NULL;
	}
	return reply;
}

void link_report_state(struct relay *r)
{
	struct json_object *request = json_object_new_object(), *reply;

	json_object_object_add(request, "command", json_object_new_string("relay-status"));
	json_object_object_add(request, "connected", json_object_new_boolean(r->queue_connected));
	json_object_object_add(request, "broker", json_object_new_string(r->broker));
	if (!r->queue_connected)
		json_object_object_add(request, "error",
				       json_object_new_string(r->queue_error[0] ? r->queue_error : "connecting"));
	reply = link_call(r, request);
	json_object_put(reply);
}
