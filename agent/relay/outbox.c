// SPDX-License-Identifier: GPL-2.0-only
/*
 * The outbox and the broker made to match it. For each request idguardd
 * lists: while it waits for an answer, its code is on the broker (retained
 * under this workstation's name); once it has ended (granted, declined,
 * expired, cancelled), the broker's copies of the request and of its
 * answer are removed, and idguardd is told. Everything is sent again at
 * each (re)connection, which costs nothing (a retained message replaces
 * itself) and loses nothing a broker restart may have dropped.
 *
 * Answers that arrive are handed to idguardd as they are; it alone decides.
 * One that was refused there (forged, for another workstation, replayed)
 * is removed from the broker so that it does not come back at every
 * connection; the request stays waiting for a real answer.
 */
#include "relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define RESEND_USEC (30 * 1000000ull)  /* what the broker refused is tried again */
#define PENDING_ANSWERS_MAX 256

static struct outbox_item *find_item(struct relay *r, const char *rid)
{
	for (size_t i = 0; i < r->n_items; i++)
		if (streq(r->items[i].rid, rid))
			return &r->items[i];
	return NULL;
}

static void item_free(struct outbox_item *item)
{
	free(item->code);
}

void outbox_update(struct relay *r, struct json_object *list)
{
	size_t n = json_object_array_length(list), kept = 0;
	struct outbox_item *items = calloc(n ? n : 1, sizeof(*items));

	if (!items) {
		relay_log("out of memory reading the outbox");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *obj = json_object_array_get_idx(list, i), *v;
		const char *rid = json_object_object_get_ex(obj, "request_id", &v) ? json_object_get_string(v) : "";
		const char *code = json_object_object_get_ex(obj, "code", &v) ? json_object_get_string(v) : "";
		const char *state = json_object_object_get_ex(obj, "state", &v) ? json_object_get_string(v) : "";
		bool withdraw = json_object_object_get_ex(obj, "withdraw", &v) && json_object_get_boolean(v);
		struct outbox_item *old = find_item(r, rid), *item = &items[kept];

		if (!*rid || strlen(rid) >= sizeof(item->rid))
			continue;
		/* What this broker connection already did for it stays done;
		 * idguardd is told again what its outbox does not show yet
		 * (it may have restarted, or missed it). */
		if (old && old->withdraw == withdraw) {
			*item = *old;
			item->told = false;
			old->code = NULL;
		} else {
			*item = (struct outbox_item){ 0 };
			(void)snprintf(item->rid, sizeof(item->rid), "%s", rid);
			if (old && old->request_done)
				item->request_done = true;
		}
		item->withdraw = withdraw;
		item->waiting = streq(state, "waiting");
		if (!item->code)
			item->code = strdup(code);
		kept++;
	}
	for (size_t i = 0; i < r->n_items; i++)
		item_free(&r->items[i]);
	free(r->items);
	r->items = items;
	r->n_items = kept;
}

/* Tells idguardd a step; true when it took it. */
static bool tell(struct relay *r, const char *command, const char *rid)
{
	struct json_object *request = json_object_new_object(), *reply, *ok;
	bool taken;

	json_object_object_add(request, "command", json_object_new_string(command));
	json_object_object_add(request, "request_id", json_object_new_string(rid));
	if (streq(command, "relay-sent"))
		json_object_object_add(request, "broker", json_object_new_string(r->broker));
	reply = link_call(r, request);
	taken = reply && json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok);
	json_object_put(reply);
	return taken;
}

static int resend_later(sd_event_source *s, uint64_t usec, void *userdata)
{
	outbox_act(userdata);
	return 0;
}

/* Starts one publish; an item's op id, 0 when none is in flight. */
static void start(struct relay *r, int rc, int op, int *slot, const char *what, const char *rid)
{
	if (rc == 0) {
		*slot = op;
		return;
	}
	if (rc != -ENOTCONN)
		relay_log("cannot send %s of request %s to the broker: %s", what, rid, strerror(-rc));
}

void outbox_act(struct relay *r)
{
	for (size_t i = 0; r->queue_connected && i < r->n_items; i++) {
		struct outbox_item *it = &r->items[i];
		int op = 0, rc;

		if (!it->withdraw) {
			if (!it->request_done && !it->op_request && it->code && *it->code) {
				rc = idg_queue_put_request(r->queue, it->rid, it->code, &op);
				start(r, rc, op, &it->op_request, "the request", it->rid);
			}
			/* Taken by the broker in an earlier connection, or before
			 * idguardd was last told: tell it now. */
			if (it->request_done && it->waiting && !it->told)
				it->told = tell(r, "relay-sent", it->rid);
			continue;
		}
		if (!it->clear_request_done && !it->op_clear_request) {
			rc = idg_queue_clear_request(r->queue, r->cfg.name, it->rid, &op);
			start(r, rc, op, &it->op_clear_request, "the withdrawal", it->rid);
		}
		if (!it->clear_answer_done && !it->op_clear_answer) {
			rc = idg_queue_clear_answer(r->queue, r->cfg.name, it->rid, &op);
			start(r, rc, op, &it->op_clear_answer, "the removal of the answer", it->rid);
		}
		if (it->clear_request_done && it->clear_answer_done && !it->told)
			it->told = tell(r, "relay-withdrawn", it->rid);
	}
}

/* The broker took (or refused) one publish. */
static void on_done(struct relay *r, int op, bool ok, const char *error)
{
	for (size_t i = 0; i < r->n_items; i++) {
		struct outbox_item *it = &r->items[i];
		bool *done = it->op_request == op          ? &it->request_done
			     : it->op_clear_request == op ? &it->clear_request_done
			     : it->op_clear_answer == op  ? &it->clear_answer_done
							  : NULL;

		if (!done)
			continue;
		if (it->op_request == op)
			it->op_request = 0;
		if (it->op_clear_request == op)
			it->op_clear_request = 0;
		if (it->op_clear_answer == op)
			it->op_clear_answer = 0;
		if (ok) {
			*done = true;
		} else {
			/* Refused by the broker's ACL, most likely: this machine's
			 * certificate is not for the name in relay.conf. */
			relay_log("the broker %s refused to take request %s: %s (is %s's certificate name '%s', as "
				  "Name= in %s says, and is it in the broker's ACL?)",
				  r->broker, it->rid, error, r->cfg.name, r->cfg.name, r->cfg.file);
			(void)idg_timer_arm(r->event, &r->resend, RESEND_USEC, resend_later, r);
		}
		outbox_act(r);
		return;
	}
}

/* Hands one answer to idguardd. false when idguardd could not be asked. */
static bool hand_in(struct relay *r, const char *rid, const char *text)
{
	struct json_object *request = json_object_new_object(), *reply, *value;
	const char *outcome = "";
	int op = 0;

	json_object_object_add(request, "command", json_object_new_string("relay-answer"));
	json_object_object_add(request, "request_id", json_object_new_string(rid));
	json_object_object_add(request, "answer", json_object_new_string(text));
	reply = link_call(r, request);
	if (!reply)
		return false;
	if (json_object_object_get_ex(reply, "outcome", &value))
		outcome = json_object_get_string(value);
	else if (json_object_object_get_ex(reply, "error", &value))
		relay_log("idguardd did not take the answer to request %s: %s", rid, json_object_get_string(value));
	if (r->verbose)
		relay_log("answer to request %s: %s", rid, outcome[0] ? outcome : "not taken");
	/* Granted or declined: idguardd ends the request and the outbox then
	 * says to withdraw both. Anything else must not come back. */
	if (streq(outcome, "refused") || streq(outcome, "not-waiting"))
		(void)idg_queue_clear_answer(r->queue, r->cfg.name, rid, &op);
	json_object_put(reply);
	return true;
}

static void keep_answer(struct relay *r, const char *rid, const char *text)
{
	struct pending_answer *more;

	if (r->n_answers >= PENDING_ANSWERS_MAX)
		return; /* still on the broker: it comes again at the next connection */
	more = reallocarray(r->answers, r->n_answers + 1, sizeof(*more));
	if (!more)
		return;
	r->answers = more;
	(void)snprintf(more[r->n_answers].rid, sizeof(more[r->n_answers].rid), "%s", rid);
	more[r->n_answers].text = strdup(text);
	if (more[r->n_answers].text)
		r->n_answers++;
}

void outbox_flush_answers(struct relay *r)
{
	size_t n = r->n_answers;
	struct pending_answer *answers = r->answers;

	r->answers = NULL;
	r->n_answers = 0;
	for (size_t i = 0; i < n; i++) {
		if (!hand_in(r, answers[i].rid, answers[i].text))
			keep_answer(r, answers[i].rid, answers[i].text);
		free(answers[i].text);
	}
	free(answers);
}

void outbox_on_queue_event(struct relay *r, struct idg_queue_event *ev)
{
	switch (ev->kind) {
	case IDG_QUEUE_CONNECTED:
		relay_log("connected to the broker %s as %s", r->broker, r->cfg.name);
		r->queue_connected = true;
		r->queue_error[0] = '\0';
		/* A new connection: everything is sent again. */
		for (size_t i = 0; i < r->n_items; i++) {
			struct outbox_item *it = &r->items[i];

			it->op_request = it->op_clear_request = it->op_clear_answer = 0;
			it->clear_request_done = it->clear_answer_done = false;
			if (!it->withdraw)
				it->request_done = false;
		}
		link_report_state(r);
		outbox_act(r);
		break;
	case IDG_QUEUE_DISCONNECTED:
		if (r->queue_connected || !streq(r->queue_error, ev->error) || r->verbose)
			relay_log("cannot reach the broker %s: %s; trying again", r->broker, ev->error);
		r->queue_connected = false;
		(void)snprintf(r->queue_error, sizeof(r->queue_error), "%s", ev->error);
		link_report_state(r);
		break;
	case IDG_QUEUE_DONE:
	case IDG_QUEUE_FAILED:
		on_done(r, ev->op, ev->kind == IDG_QUEUE_DONE, ev->error);
		break;
	case IDG_QUEUE_ANSWER:
		/* Only this workstation's answers are subscribed to; the broker's
		 * ACL keeps others' away too. An empty one is a removal. */
		if (!ev->payload || !streq(ev->workstation, r->cfg.name))
			break;
		if (!hand_in(r, ev->request_id, ev->payload))
			keep_answer(r, ev->request_id, ev->payload);
		break;
	case IDG_QUEUE_SYNCED:
	case IDG_QUEUE_REQUEST:
		break;
	}
}

void outbox_free(struct relay *r)
{
	for (size_t i = 0; i < r->n_items; i++)
		item_free(&r->items[i]);
	free(r->items);
	r->items = NULL;
	r->n_items = 0;
	for (size_t i = 0; i < r->n_answers; i++)
		free(r->answers[i].text);
	free(r->answers);
	r->answers = NULL;
	r->n_answers = 0;
	r->resend = sd_event_source_disable_unref(r->resend);
}
