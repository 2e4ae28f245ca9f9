// SPDX-License-Identifier: GPL-2.0-only
/*
 * The clerk's side of the online round trip: `token request` hands the
 * request to idguardd, whose relay puts it in the site's approval queue
 * (idguard-relay(8)); the answer comes back by itself and is redeemed for
 * her. `token requests` shows where each stands; `token cancel` withdraws
 * one. Without a relay, or with the broker down, the request code printed
 * by `token request` still goes by hand.
 */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "describe.h"
#include "protocol.h"
#include "queue.h"
#include "util.h"

#define SUBMIT_TIMEOUT_MS 5000

/* Whether to send: --send / --no-send, else when this workstation has a
 * relay configured. */
static bool wants_send(const struct token_options *o)
{
	if (o->send >= 0)
		return o->send == 1;
	return access(IDG_RELAY_CONFIG, F_OK) == 0;
}

int ctl_request_send(const struct ctl *ctl, const struct token_options *o, const char *code,
		     struct json_object **ret_result)
{
	struct json_object *request, *reply = NULL, *result = json_object_new_object(), *relay, *value;
	struct idg_error err = { "" };
	bool connected = false;
	int r;

	*ret_result = result;
	if (!wants_send(o)) {
		json_object_object_add(result, "sent", json_object_new_boolean(0));
		json_object_object_add(result, "why", json_object_new_string("no relay is configured on this workstation"));
		return 0;
	}
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("request-submit"));
	json_object_object_add(request, "code", json_object_new_string(code));
	json_object_object_add(request, "scope", json_object_new_string(o->session ? "session" : "uid"));
	r = idg_client_call(ctl->socket_path, request, SUBMIT_TIMEOUT_MS, &reply, &err);
	json_object_put(request);
	if (r < 0) {
		json_object_object_add(result, "sent", json_object_new_boolean(0));
		json_object_object_add(result, "why", json_object_new_string(err.message));
		if (!ctl->json)
			(void)printf("Not sent to the approval queue: idguardd cannot be reached (%s).\n"
				     "Send the request code below to your approver instead.\n", err.message);
		return CTL_EXIT_UNREACHABLE;
	}
	if (!json_object_object_get_ex(reply, "ok", &value) || !json_object_get_boolean(value)) {
		const char *why = ctl_get_string(reply, "error", "refused");

		json_object_object_add(result, "sent", json_object_new_boolean(0));
		json_object_object_add(result, "why", json_object_new_string(why));
		if (!ctl->json)
			(void)printf("Not sent to the approval queue: %s.\nSend the request code below to your approver "
				     "instead.\n", why);
		json_object_put(reply);
		return CTL_EXIT_FAILED;
	}
	if (json_object_object_get_ex(reply, "relay", &relay))
		connected = json_object_object_get_ex(relay, "connected", &value) && json_object_get_boolean(value);
	json_object_object_add(result, "sent", json_object_new_boolean(1));
	json_object_object_add(result, "relay", json_object_get(relay));
	if (!ctl->json) {
		if (connected)
			(void)printf("Sent to the approval queue on %s. A supervisor sees it in 'idguardctl token inbox';\n"
				     "when it is approved the grant is made for you here, and you are told.\n",
				     ctl_get_string(relay, "broker", "the broker"));
		else
			(void)printf("Kept for the approval queue, which cannot be reached now (%s).\n"
				     "It is sent as soon as it can be, and you are told when it is answered; if it is\n"
				     "urgent, send the request code below to your approver meanwhile.\n",
				     json_object_object_get_ex(relay, "running", &value) && !json_object_get_boolean(value)
					     ? "the relay, idguard-relay.service, is not running"
					     : ctl_get_string(relay, "error", "no connection to the broker"));
	}
	json_object_put(reply);
	return 0;
}

int ctl_token_requests(struct ctl *ctl)
{
	struct json_object *request = json_object_new_object(), *reply, *list, *relay;
	char made[64];
	int r;

	json_object_object_add(request, "command", json_object_new_string("request-list"));
	r = ctl_call(ctl, request, &reply);
	if (r)
		return r;
	if (ctl->json) {
		ctl_print_json(reply);
		json_object_put(reply);
		return CTL_EXIT_OK;
	}
	json_object_object_get_ex(reply, "requests", &list);
	json_object_object_get_ex(reply, "relay", &relay);
	if (!list || json_object_array_length(list) == 0) {
		(void)printf("No requests sent for approval.\n");
	} else {
		(void)printf("%-9s  %-12s  %-16s  %-18s  %-10s  %-19s  %s\n", "REQUEST", "USER", "PURPOSE", "CASE",
			     "CLASSES", "SENT", "STATE");
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *q = json_object_array_get_idx(list, i);
			const char *state = ctl_get_string(q, "state", "?"), *detail = ctl_get_string(q, "detail", "");
			char shown[300];

			idg_format_time((uint64_t)ctl_get_int(q, "created_usec", 0), made, sizeof(made));
			if (streq(state, "waiting"))
				(void)snprintf(shown, sizeof(shown), "waiting to be sent");
			else if (streq(state, "sent"))
				(void)snprintf(shown, sizeof(shown), "in the approval queue");
			else if (streq(state, "granted"))
				(void)snprintf(shown, sizeof(shown), "granted (approved by %s)", detail);
			else if (streq(state, "declined"))
				(void)snprintf(shown, sizeof(shown), "declined: %s", detail);
			else
				(void)snprintf(shown, sizeof(shown), "%s", state);
			(void)printf("%-9s  %-12s  %-16s  %-18s  %-10s  %-19s  %s\n", ctl_get_string(q, "short_id", "?"),
				     ctl_get_string(q, "user", "?"), ctl_get_string(q, "purpose", "?"),
				     ctl_get_string(q, "ref", "?"), ctl_get_string(q, "classes", "?"), made, shown);
		}
	}
	if (relay) {
		struct json_object *value;
		bool running = json_object_object_get_ex(relay, "running", &value) && json_object_get_boolean(value);
		bool connected = json_object_object_get_ex(relay, "connected", &value) && json_object_get_boolean(value);

		(void)printf("\nApproval queue: %s\n",
			     connected ? "connected"
			     : running ? "cannot be reached now; requests are kept and sent when it is back"
				       : "no relay is running on this workstation (idguard-relay.service)");
	}
	json_object_put(reply);
	return CTL_EXIT_OK;
}

int ctl_token_cancel(struct ctl *ctl, const struct token_options *o)
{
	int r;

	if (!o->operand) {
		(void)fprintf(stderr, "idguardctl token cancel: give the request id (see 'idguardctl token requests')\n");
		return CTL_EXIT_USAGE;
	}
	r = ctl_call_on_id(ctl, "request-cancel", json_object_new_string(o->operand));
	if (r == 0 && !ctl->json)
		(void)printf("Request %s cancelled: it is withdrawn from the approval queue.\n", o->operand);
	return r;
}
