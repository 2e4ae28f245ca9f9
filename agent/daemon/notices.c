// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the clerk is told: notices for idguard-notify(1) and `idguardctl
 * why`. A refusal, a grant, a grant about to end and a grant that ended
 * become one JSON notice each, for the one user they concern; it is pushed
 * to that user's watching connections (control.c; the peer is known from
 * SO_PEERCRED, so no user ever receives another's) and kept, a few per
 * user, for `idguardctl why`.
 *
 * Refusals are made from the journal record itself (daemon_send passes
 * every record here), so a notice says exactly what the record says and
 * has already been through the record's withholding of ID-number-shaped
 * values (Article 8); the notice adds only what the policy offers as the
 * next step.
 */
#include "daemon.h"

#include <errno.h>
#include <time.h>

#include "describe.h"
#include "names.h"
#include "protocol.h"
#include "store.h"
#include "util.h"

#define NOTICE_USERS 64          /* users remembered; the least recent is forgotten */
#define NOTICES_PER_USER 32      /* and of each, the newest notices */
#define NOTICE_KEEP_USEC (24ull * 3600 * 1000000)
#define ENDED_PROGRAMS_MAX 16

struct notice_user {
	uid_t uid;
	bool used;
	uint64_t last_usec;
	struct json_object *items[NOTICES_PER_USER]; /* a ring, oldest at head */
	size_t head, n;
};

struct notices {
	struct notice_user users[NOTICE_USERS];
	/* Grants already warned about (ids), so each is warned once. */
	uint64_t *warned;
	size_t n_warned, cap_warned;
	/* Programs ended at the end of the grant being ended now, gathered
	 * from the HANDLE_ENDED records that daemon_end_open_handles sends. */
	uint64_t ending_grant;
	struct json_object *ended_programs;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int daemon_notices_open(struct daemon *d)
{
	d->notices = calloc(1, sizeof(*d->notices));
	return d->notices ? 0 : -ENOMEM;
}

static void user_clear(struct notice_user *u)
{
	for (size_t i = 0; i < u->n; i++)
		json_object_put(u->items[(u->head + i) % NOTICES_PER_USER]);
	*u = (struct notice_user){ 0 };
}

void daemon_notices_close(struct daemon *d)
{
	if (!d->notices)
		return;
	for (size_t i = 0; i < NOTICE_USERS; i++)
		user_clear(&d->notices->users[i]);
	free(d->notices->warned);
	json_object_put(d->notices->ended_programs);
	free(d->notices);
	d->notices = NULL;
}

static struct notice_user *user_slot(struct notices *n, uid_t uid, bool create)
{
	struct notice_user *oldest = &n->users[0];

	for (size_t i = 0; i < NOTICE_USERS; i++) {
		struct notice_user *u = &n->users[i];

		if (u->used && u->uid == uid)
			return u;
		if (!u->used || (oldest->used && u->last_usec < oldest->last_usec))
			oldest = u;
	}
	if (!create)
		return NULL;
	user_clear(oldest);
	oldest->used = true;
	oldest->uid = uid;
	return oldest;
}

/* Keeps the notice for `why` and pushes it to the user's watchers. */
static void deliver(struct daemon *d, uid_t uid, struct json_object *notice)
{
	struct notice_user *u;

	if (!notice)
		return;
	u = d->notices ? user_slot(d->notices, uid, true) : NULL;
	if (u) {
		if (u->n == NOTICES_PER_USER) {
			json_object_put(u->items[u->head]);
			u->head = (u->head + 1) % NOTICES_PER_USER;
			u->n--;
		}
		u->items[(u->head + u->n) % NOTICES_PER_USER] = json_object_get(notice);
		u->n++;
		u->last_usec = now_usec();
	}
	control_push(d->control, uid, notice);
	json_object_put(notice);
}

static void add_str(struct json_object *obj, const char *key, const char *value)
{
	if (value && value[0])
		json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_int(struct json_object *obj, const char *key, int64_t value)
{
	json_object_object_add(obj, key, json_object_new_int64(value));
}

static struct json_object *notice_new(const char *kind)
{
	struct json_object *notice = json_object_new_object();

	add_str(notice, "notice", kind);
	add_int(notice, "time_usec", (int64_t)now_usec());
	return notice;
}

static int64_t field_int(const struct idg_record *rec, const char *field, int64_t fallback)
{
	const char *value = idg_record_get(rec, field);
	uint64_t number;

	if (!value || idg_parse_uint(value, INT64_MAX, &number) < 0)
		return fallback;
	return (int64_t)number;
}

/* The purposes a token could be asked for to use this class, each with
 * the exact command that asks for it (the case reference is the clerk's
 * to fill in), and the site's own advice. */
static void add_next_step(const struct idg_policy *policy, unsigned class_id, struct json_object *notice)
{
	struct json_object *purposes = json_object_new_array();

	for (size_t i = 0; class_id && i < policy->n_purposes; i++) {
		const struct idg_purpose *p = &policy->purposes[i];
		struct json_object *obj;
		char command[256];

		if (!(p->class_mask & (1u << class_id)))
			continue;
		obj = json_object_new_object();
		add_str(obj, "id", p->id);
		add_str(obj, "description", p->description);
		add_str(obj, "description_zh_CN", p->description_zh);
		add_int(obj, "max_minutes", p->max_minutes);
		(void)snprintf(command, sizeof(command),
			       "idguardctl token request --purpose %s --ref CASE-REF --class %s --minutes %u", p->id,
			       idg_class_name(class_id), p->max_minutes);
		add_str(obj, "command", command);
		json_object_array_add(purposes, obj);
	}
	json_object_object_add(notice, "purposes", purposes);
	add_str(notice, "advice", policy->notify_advice);
	add_str(notice, "advice_zh_CN", policy->notify_advice_zh);
}

/* A refusal record as the clerk's notice. */
static struct json_object *refused_notice(struct daemon *d, const struct idg_record *rec)
{
	const char *gate = idg_record_get(rec, "IDGUARD_GATE"), *class_name = idg_record_get(rec, "IDGUARD_CLASS");
	const char *program = idg_record_get(rec, "IDGUARD_COMM");
	struct json_object *notice = notice_new("refused");
	char device[512] = "", job[96] = "", fold_key[768];

	gate = gate ? gate : "device";
	class_name = class_name ? class_name : "unclassified";
	if (streq(gate, "network")) {
		const char *endpoint = idg_record_get(rec, "IDGUARD_ENDPOINT"), *address = idg_record_get(rec, "IDGUARD_ADDRESS");
		bool v6 = address && strchr(address, ':');

		(void)snprintf(device, sizeof(device), "%s%s%s%s%s:%s", endpoint ? endpoint : "", endpoint ? " at " : "",
			       v6 ? "[" : "", address ? address : "?", v6 ? "]" : "",
			       idg_record_get(rec, "IDGUARD_PORT") ? idg_record_get(rec, "IDGUARD_PORT") : "?");
	} else if (streq(gate, "broker")) {
		const char *broker = idg_record_get(rec, "IDGUARD_BROKER"), *path = idg_record_get(rec, "IDGUARD_SOCKET_PATH");

		(void)snprintf(device, sizeof(device), "%s%s%s", broker ? broker : "", broker && path ? " at " : "",
			       path ? path : "");
	} else if (streq(gate, "print")) {
		const char *queue = idg_record_get(rec, "IDGUARD_PRINT_QUEUE");

		(void)snprintf(device, sizeof(device), "%s", queue ? queue : "");
		(void)snprintf(job, sizeof(job), "print job %s", idg_record_get(rec, "IDGUARD_PRINT_JOB") ?
								   idg_record_get(rec, "IDGUARD_PRINT_JOB") : "?");
		program = job;
	} else {
		const char *node = idg_record_get(rec, "IDGUARD_NODE");

		(void)snprintf(device, sizeof(device), "%s", node ? node : idg_record_get(rec, "IDGUARD_DEVICE") ?
									 idg_record_get(rec, "IDGUARD_DEVICE") : "");
	}
	add_str(notice, "gate", gate);
	add_str(notice, "class", class_name);
	add_str(notice, "device", device);
	add_str(notice, "device_label", idg_record_get(rec, "IDGUARD_DEVICE_LABEL"));
	add_str(notice, "program", program ? program : "?");
	if (idg_record_get(rec, "IDGUARD_PID"))
		add_int(notice, "pid", field_int(rec, "IDGUARD_PID", 0));
	add_int(notice, "count", field_int(rec, "IDGUARD_COUNT", 1));
	add_str(notice, "reason", idg_record_get(rec, "IDGUARD_REASON"));
	if (idg_record_get(rec, "IDGUARD_LAST_USEC"))
		add_int(notice, "time_usec", field_int(rec, "IDGUARD_LAST_USEC", (int64_t)now_usec()));
	add_next_step(d->policy, (unsigned)idg_class_from_name(class_name), notice);
	(void)snprintf(fold_key, sizeof(fold_key), "%s:%s:%s:%s", gate, class_name, device, program ? program : "?");
	add_str(notice, "fold_key", fold_key);
	return notice;
}

/* One of the programs ended with a grant, for the grant holder's "ended"
 * notice; another user's program is that user's business, not hers. */
static void note_ended_program(struct notices *n, const struct idg_record *rec)
{
	struct json_object *program;
	const char *action = idg_record_get(rec, "IDGUARD_ACTION");
	const char *holder = idg_record_get(rec, "IDGUARD_HOLDER_UID"), *uid = idg_record_get(rec, "IDGUARD_UID");

	if (!n->ending_grant || field_int(rec, "IDGUARD_GRANT_ID", 0) != (int64_t)n->ending_grant)
		return;
	if (!holder || !uid || !streq(holder, uid))
		return;
	if (!n->ended_programs)
		n->ended_programs = json_object_new_array();
	if (json_object_array_length(n->ended_programs) >= ENDED_PROGRAMS_MAX)
		return;
	program = json_object_new_object();
	add_str(program, "program", idg_record_get(rec, "IDGUARD_COMM"));
	add_int(program, "pid", field_int(rec, "IDGUARD_PID", 0));
	add_str(program, "action", action && streq(action, "terminated") ? "ended"
				   : action && streq(action, "logged") ? "recorded" : "not-ended");
	add_str(program, "class", idg_record_get(rec, "IDGUARD_CLASS"));
	add_str(program, "device", idg_record_get(rec, "IDGUARD_NODE"));
	json_object_array_add(n->ended_programs, program);
}

void daemon_notices_record(struct daemon *d, const struct idg_record *rec)
{
	const char *message_id = idg_record_get(rec, "MESSAGE_ID");
	int64_t uid;

	if (!d->notices || !message_id)
		return;
	if (streq(message_id, IDG_MSG_HANDLE_ENDED)) {
		note_ended_program(d->notices, rec);
		return;
	}
	if (!streq(message_id, IDG_MSG_ACCESS_DENIED))
		return;
	/* A print job of someone with no account here has nobody to tell. */
	uid = field_int(rec, "IDGUARD_UID", -1);
	if (uid < 0 || uid > UINT32_MAX - 1)
		return;
	deliver(d, (uid_t)uid, refused_notice(d, rec));
}

/* The grant, and what happens at its end to a program still using its
 * devices, so that the clerk is told the truth either way. */
static void add_grant(const struct daemon *d, struct json_object *notice, const struct idg_grant_info *g)
{
	json_object_object_add(notice, "grant", daemon_grant_to_json(g));
	add_str(notice, "on_grant_end", d->policy->on_grant_end == IDG_GRANT_END_LOG ? "log" : "terminate");
}

void daemon_notice_granted(struct daemon *d, const struct idg_grant_info *g)
{
	struct json_object *notice = notice_new("granted");

	add_grant(d, notice, g);
	deliver(d, g->uid, notice);
}

void daemon_notice_ending_begin(struct daemon *d, const struct idg_grant_info *g)
{
	if (!d->notices)
		return;
	d->notices->ending_grant = g->id;
	json_object_put(d->notices->ended_programs);
	d->notices->ended_programs = NULL;
}

void daemon_notice_ended(struct daemon *d, const struct idg_grant_info *g)
{
	struct json_object *notice;

	if (!d->notices)
		return;
	notice = notice_new("ended");
	add_grant(d, notice, g);
	add_str(notice, "reason", g->end_reason);
	json_object_object_add(notice, "programs",
			       d->notices->ending_grant == g->id && d->notices->ended_programs ?
				       json_object_get(d->notices->ended_programs) :
				       json_object_new_array());
	d->notices->ending_grant = 0;
	json_object_put(d->notices->ended_programs);
	d->notices->ended_programs = NULL;
	deliver(d, g->uid, notice);
}

static bool warned(const struct notices *n, uint64_t id)
{
	for (size_t i = 0; i < n->n_warned; i++)
		if (n->warned[i] == id)
			return true;
	return false;
}

/* Forgets grants that are no longer live, so the list stays as long as
 * the list of live grants. */
static void prune_warned(struct daemon *d)
{
	struct notices *n = d->notices;
	size_t kept = 0;

	for (size_t i = 0; i < n->n_warned; i++) {
		struct idg_grant_info g;

		if (idg_grants_get(d->grants, n->warned[i], &g) == 0 && !g.ended)
			n->warned[kept++] = n->warned[i];
	}
	n->n_warned = kept;
}

void daemon_notices_upkeep(struct daemon *d)
{
	uint64_t warn_ns = (uint64_t)d->policy->notify_warn_before_sec * 1000000000ull, now = idg_now_boot_ns();
	struct notices *n = d->notices;

	if (!n || !warn_ns || !d->grants)
		return;
	prune_warned(d);
	for (size_t i = 0; i < idg_grants_count(d->grants); i++) {
		const struct idg_grant_info *g = idg_grants_at(d->grants, i);
		struct json_object *notice;
		uint64_t left;

		if (g->ended || g->expires_boot_ns <= now || warned(n, g->id))
			continue;
		left = g->expires_boot_ns - now;
		/* A grant no longer than the warning gets none: the "granted"
		 * notice said when it ends. */
		if (left > warn_ns || g->duration_ns <= warn_ns)
			continue;
		if (n->n_warned == n->cap_warned) {
			size_t cap = n->cap_warned ? n->cap_warned * 2 : 16;
			uint64_t *grown = realloc(n->warned, cap * sizeof(*grown));

			if (!grown)
				return;
			n->warned = grown;
			n->cap_warned = cap;
		}
		n->warned[n->n_warned++] = g->id;
		notice = notice_new("ending");
		add_grant(d, notice, g);
		add_int(notice, "seconds_left", (int64_t)((left + 999999999ull) / 1000000000ull));
		deliver(d, g->uid, notice);
	}
}

struct json_object *daemon_notices_watch_reply(struct daemon *d, const struct ucred *cred)
{
	struct json_object *reply = idg_reply_ok();
	char user[64];

	idg_user_name(cred->uid, user, sizeof(user));
	add_int(reply, "uid", cred->uid);
	add_str(reply, "user", user);
	add_int(reply, "warn_before_sec", d->policy->notify_warn_before_sec);
	return reply;
}

struct json_object *daemon_notices_since(struct daemon *d, uid_t uid, uint64_t since_usec)
{
	struct notice_user *u = d->notices ? user_slot(d->notices, uid, false) : NULL;
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; u && i < u->n; i++) {
		struct json_object *notice = u->items[(u->head + i) % NOTICES_PER_USER], *time;

		if (json_object_object_get_ex(notice, "time_usec", &time) &&
		    (uint64_t)json_object_get_int64(time) > since_usec)
			json_object_array_add(list, json_object_get(notice));
	}
	return list;
}

struct json_object *daemon_notices_list(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply = idg_reply_ok(), *list = json_object_new_array(), *grants = json_object_new_array();
	struct notice_user *u = d->notices ? user_slot(d->notices, cred->uid, false) : NULL;
	uint64_t oldest = now_usec() - NOTICE_KEEP_USEC;

	for (size_t i = 0; u && i < u->n; i++) {
		struct json_object *notice = u->items[(u->head + i) % NOTICES_PER_USER], *time;

		if (json_object_object_get_ex(notice, "time_usec", &time) &&
		    (uint64_t)json_object_get_int64(time) < oldest)
			continue;
		json_object_array_add(list, json_object_get(notice));
	}
	for (size_t i = 0; d->grants && i < idg_grants_count(d->grants); i++) {
		const struct idg_grant_info *g = idg_grants_at(d->grants, i);

		if (!g->ended && g->uid == cred->uid && g->expires_boot_ns > idg_now_boot_ns())
			json_object_array_add(grants, daemon_grant_to_json(g));
	}
	add_int(reply, "uid", cred->uid);
	json_object_object_add(reply, "notices", list);
	json_object_object_add(reply, "grants", grants);
	return reply;
}

/* A request of hers that ended without a grant, or an answer that could
 * not be used: she is waiting for it, customer in front of her. */
void daemon_notice_request(struct daemon *d, const struct idg_stored_request *r, const char *kind,
			   const char *approver, const char *reason)
{
	struct json_object *notice = notice_new(streq(kind, "answer-refused") ? "request-answer-refused"
					       : streq(kind, "declined")      ? "request-declined"
									      : "request-expired");
	char classes[128];

	idg_class_mask_format(r->classes, classes, sizeof(classes));
	add_str(notice, "request_id", r->rid);
	add_str(notice, "purpose", r->purpose);
	add_str(notice, "ref", r->ref);
	add_str(notice, "classes", classes);
	add_int(notice, "minutes", r->minutes);
	add_str(notice, "approver", approver);
	add_str(notice, "reason", reason);
	deliver(d, r->uid, notice);
}
