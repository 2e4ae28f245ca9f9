// SPDX-License-Identifier: GPL-2.0-only
/*
 * The supervisor's approval inbox: what waits on the site's broker
 * (queue.h), read with this PC's own client certificate. `token inbox`
 * lists it; `token approve ID` and `token decline ID` take a request from
 * it by the id the clerk reads out, and put the answer back for the
 * workstation that sent it: the broker's ACL has filed each request under
 * the certificate name of its sender, so that is where the answer goes,
 * whatever the request itself claims.
 */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "names.h"
#include "queue.h"
#include "util.h"

#define CONNECT_TIMEOUT_MS 15000
#define SYNC_TIMEOUT_MS 10000
#define SEND_TIMEOUT_MS 10000

/* The relay configuration of this PC: --relay, else the user's own, else
 * the machine's. */
static const char *config_path(const struct token_options *o, char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (o->relay)
		return o->relay;
	if (xdg && *xdg)
		(void)snprintf(buf, size, "%s/idguard/relay.conf", xdg);
	else if (home && *home)
		(void)snprintf(buf, size, "%s/.config/idguard/relay.conf", home);
	else
		buf[0] = '\0';
	return buf[0] && access(buf, F_OK) == 0 ? buf : IDG_RELAY_CONFIG;
}

static void take(struct ctl_inbox *box, struct idg_queue_event *ev)
{
	struct ctl_inbox_entry *e = NULL, *more;

	for (size_t i = 0; i < box->n; i++)
		if (streq(box->items[i].workstation, ev->workstation) && streq(box->items[i].rid, ev->request_id))
			e = &box->items[i];
	if (!e) {
		if (!ev->payload)
			return;
		more = reallocarray(box->items, box->n + 1, sizeof(*more));
		if (!more)
			return;
		box->items = more;
		e = &box->items[box->n++];
		*e = (struct ctl_inbox_entry){ 0 };
		(void)snprintf(e->workstation, sizeof(e->workstation), "%s", ev->workstation);
		(void)snprintf(e->rid, sizeof(e->rid), "%s", ev->request_id);
	}
	if (ev->kind == IDG_QUEUE_ANSWER) {
		e->answered = ev->payload != NULL;
		return;
	}
	free(e->code);
	e->code = ev->payload ? strdup(ev->payload) : NULL;
	e->decoded = false;
	if (e->code) {
		struct idg_error err = { "" };

		e->decoded = idg_token_request_decode(e->code, &e->req, &err) == 0;
		if (!e->decoded)
			(void)snprintf(e->error, sizeof(e->error), "%s", err.message);
		else if (!streq(e->req.id, e->rid)) {
			e->decoded = false;
			(void)snprintf(e->error, sizeof(e->error), "filed as request %s but its code says %s", e->rid,
				       e->req.id);
		}
	}
}

int ctl_inbox_open(const struct token_options *o, const char *command, struct ctl_inbox *box)
{
	struct idg_queue_event ev;
	struct idg_error err = { "" };
	char path_buf[4096], why[512] = "";
	const char *path = config_path(o, path_buf, sizeof(path_buf));
	char tag[32];
	bool connected = false, synced = false;
	struct timespec start, now;
	int r, failures = 0;

	*box = (struct ctl_inbox){ 0 };
	if (idg_queue_config_load(path, &box->cfg, &err) < 0) {
		(void)fprintf(stderr,
			      "idguardctl token %s: %s\n(the approval inbox needs the broker's address and this PC's "
			      "certificate: see idguardctl(8), INBOX, and docs/relay.md)\n",
			      command, err.message);
		return CTL_EXIT_FAILED;
	}
	idg_queue_config_address(&box->cfg, box->broker, sizeof(box->broker));
	(void)snprintf(tag, sizeof(tag), "inbox-%d", (int)getpid());
	if (idg_queue_open(&box->cfg, IDG_QUEUE_SUPERVISOR, tag, &box->queue, &err) < 0) {
		(void)fprintf(stderr, "idguardctl token %s: %s\n", command, err.message);
		return CTL_EXIT_FAILED;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long elapsed;

		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= (connected ? CONNECT_TIMEOUT_MS + SYNC_TIMEOUT_MS : CONNECT_TIMEOUT_MS))
			break;
		r = idg_queue_wait(box->queue, 200, &ev);
		if (r <= 0)
			continue;
		if (ev.kind == IDG_QUEUE_CONNECTED) {
			connected = true;
		} else if (ev.kind == IDG_QUEUE_DISCONNECTED) {
			(void)snprintf(why, sizeof(why), "%s", ev.error);
			/* Someone waits at the terminal: one retry, then say why. */
			if (!connected && ++failures >= 2) {
				idg_queue_event_clear(&ev);
				break;
			}
		}
		else if (ev.kind == IDG_QUEUE_REQUEST || ev.kind == IDG_QUEUE_ANSWER)
			take(box, &ev);
		synced = ev.kind == IDG_QUEUE_SYNCED;
		idg_queue_event_clear(&ev);
		if (synced)
			return 0;
	}
	if (connected)
		(void)fprintf(stderr, "idguardctl token %s: the broker %s did not send what waits within %d seconds\n",
			      command, box->broker, SYNC_TIMEOUT_MS / 1000);
	else
		(void)fprintf(stderr, "idguardctl token %s: cannot reach the broker %s: %s\n", command, box->broker,
			      why[0] ? why : "no answer");
	if (!connected)
		(void)fprintf(stderr, "(the clerk's request code still works without the broker: 'idguardctl token approve "
				      "CODE --key FILE')\n");
	ctl_inbox_close(box);
	return CTL_EXIT_UNREACHABLE;
}

void ctl_inbox_close(struct ctl_inbox *box)
{
	idg_queue_close(box->queue);
	for (size_t i = 0; i < box->n; i++)
		free(box->items[i].code);
	free(box->items);
	*box = (struct ctl_inbox){ 0 };
}

bool ctl_inbox_is_request_id(const char *text)
{
	size_t hex = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '-')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *p))
			return false;
		hex++;
	}
	return hex >= 8 && hex <= 32;
}

int ctl_inbox_find(struct ctl_inbox *box, const char *id, const char *command, struct ctl_inbox_entry **ret)
{
	struct ctl_inbox_entry *found = NULL;
	size_t n = 0;

	for (size_t i = 0; i < box->n; i++)
		if (box->items[i].code && idg_request_id_matches(id, box->items[i].rid)) {
			found = &box->items[i];
			n++;
		}
	if (n > 1) {
		(void)fprintf(stderr, "idguardctl token %s: more than one waiting request has the id %s; give the whole "
				      "id (idguardctl token inbox --json)\n", command, id);
		return CTL_EXIT_FAILED;
	}
	if (!found) {
		(void)fprintf(stderr,
			      "idguardctl token %s: no request %s waits on the broker %s (answered, expired or cancelled "
			      "already? 'idguardctl token inbox' lists what waits)\n",
			      command, id, box->broker);
		return CTL_EXIT_FAILED;
	}
	if (found->answered) {
		(void)fprintf(stderr, "idguardctl token %s: request %s was answered already; its workstation has not yet "
				      "taken the answer\n", command, id);
		return CTL_EXIT_FAILED;
	}
	if (!found->decoded) {
		(void)fprintf(stderr, "idguardctl token %s: request %s from %s cannot be read: %s\n", command, id,
			      found->workstation, found->error);
		return CTL_EXIT_FAILED;
	}
	*ret = found;
	return 0;
}

int ctl_inbox_send(struct ctl_inbox *box, const struct ctl_inbox_entry *e, const char *text, const char *command)
{
	struct idg_queue_event ev;
	int op = 0, r = idg_queue_put_answer(box->queue, e->workstation, e->rid, text, &op);
	struct timespec start, now;

	if (r < 0) {
		(void)fprintf(stderr, "idguardctl token %s: cannot send the answer to the broker %s: %s\n", command,
			      box->broker, strerror(-r));
		return CTL_EXIT_FAILED;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= SEND_TIMEOUT_MS)
			break;
		if (idg_queue_wait(box->queue, 200, &ev) <= 0)
			continue;
		if ((ev.kind == IDG_QUEUE_DONE || ev.kind == IDG_QUEUE_FAILED) && ev.op == op) {
			bool done = ev.kind == IDG_QUEUE_DONE;

			if (!done)
				(void)fprintf(stderr,
					      "idguardctl token %s: the broker %s refused the answer: %s (is this PC's "
					      "certificate name '%s' a supervisor in the broker's ACL?)\n",
					      command, box->broker, ev.error, box->cfg.name);
			idg_queue_event_clear(&ev);
			return done ? 0 : CTL_EXIT_FAILED;
		}
		idg_queue_event_clear(&ev);
	}
	(void)fprintf(stderr, "idguardctl token %s: the broker %s did not confirm the answer within %d seconds\n",
		      command, box->broker, SEND_TIMEOUT_MS / 1000);
	return CTL_EXIT_FAILED;
}

/* ---- token inbox ---------------------------------------------------------------- */

static int by_age(const void *a, const void *b)
{
	const struct ctl_inbox_entry *x = a, *y = b;

	return x->req.created < y->req.created ? -1 : x->req.created > y->req.created;
}

int ctl_token_inbox(struct ctl *ctl, const struct token_options *o)
{
	struct ctl_inbox box;
	struct json_object *list = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t shown = 0, answered = 0, unreadable = 0;
	int r = ctl_inbox_open(o, "inbox", &box);

	if (r)
		return r;
	qsort(box.items, box.n, sizeof(*box.items), by_age);
	if (ctl->json)
		list = json_object_new_array();
	else
		(void)printf("%-9s  %-12s  %-12s  %-18s  %-16s  %-10s  %4s  %s\n", "REQUEST", "CLERK", "WORKSTATION",
			     "PURPOSE", "CASE", "CLASSES", "MIN", "WAITING");
	for (size_t i = 0; i < box.n; i++) {
		struct ctl_inbox_entry *e = &box.items[i];
		char short_id[16], classes[128], age[64], station[200];

		if (!e->code)
			continue;
		if (e->answered) {
			answered++;
			continue;
		}
		if (!e->decoded) {
			unreadable++;
			if (!ctl->json)
				(void)fprintf(stderr, "from %s, request %s cannot be read: %s\n", e->workstation, e->rid,
					      e->error);
			continue;
		}
		idg_token_request_short_id(&e->req, short_id, sizeof(short_id));
		idg_class_mask_format(e->req.class_mask, classes, sizeof(classes));
		idg_age_format(now - e->req.created, age, sizeof(age));
		/* The certificate's name is what the broker vouches for; the
		 * host name the request claims is shown where it differs. */
		if (streq(e->req.hostname, e->workstation))
			(void)snprintf(station, sizeof(station), "%s", e->workstation);
		else
			(void)snprintf(station, sizeof(station), "%s (says %s)", e->workstation, e->req.hostname);
		shown++;
		if (ctl->json) {
			struct json_object *obj = json_object_new_object();

			json_object_object_add(obj, "request_id", json_object_new_string(e->rid));
			json_object_object_add(obj, "short_id", json_object_new_string(short_id));
			json_object_object_add(obj, "workstation", json_object_new_string(e->workstation));
			json_object_object_add(obj, "hostname", json_object_new_string(e->req.hostname));
			json_object_object_add(obj, "machine_id", json_object_new_string(e->req.host));
			json_object_object_add(obj, "user", json_object_new_string(e->req.user));
			json_object_object_add(obj, "purpose", json_object_new_string(e->req.purpose));
			json_object_object_add(obj, "ref", json_object_new_string(e->req.ref));
			json_object_object_add(obj, "classes", json_object_new_string(classes));
			json_object_object_add(obj, "minutes", json_object_new_int((int)e->req.minutes));
			json_object_object_add(obj, "requested", json_object_new_int64(e->req.created));
			json_object_object_add(obj, "age_seconds", json_object_new_int64(now - e->req.created));
			json_object_array_add(list, obj);
		} else {
			(void)printf("%-9s  %-12s  %-12s  %-18s  %-16s  %-10s  %4u  %s\n", short_id, e->req.user, station,
				     e->req.purpose, e->req.ref, classes, e->req.minutes, age);
		}
	}
	if (ctl->json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ok", json_object_new_boolean(1));
		json_object_object_add(obj, "broker", json_object_new_string(box.broker));
		json_object_object_add(obj, "requests", list);
		json_object_object_add(obj, "answered_not_yet_taken", json_object_new_int((int)answered));
		json_object_object_add(obj, "unreadable", json_object_new_int((int)unreadable));
		ctl_print_json(obj);
		json_object_put(obj);
	} else if (!shown) {
		(void)printf("(nothing waits on the broker %s)\n", box.broker);
	} else {
		(void)printf("\n%zu waiting on %s. Review and sign one: idguardctl token approve REQUEST --key FILE\n"
			     "Refuse one: idguardctl token decline REQUEST --reason TEXT --key FILE\n",
			     shown, box.broker);
	}
	ctl_inbox_close(&box);
	return CTL_EXIT_OK;
}
