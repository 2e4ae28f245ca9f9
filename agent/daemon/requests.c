// SPDX-License-Identifier: GPL-2.0-only
/*
 * The online approval round trip, idguardd's side. A clerk's request goes
 * into the outbox (the state database), the relay (idguard-relay(8), a
 * unit of its own: idguardd never touches the network) carries it to the
 * site's broker and brings the answer back, and the answer is taken here:
 * a token is redeemed for the clerk who sent the request, a decline is
 * told to her. The relay is trusted with nothing: a token it brings is
 * checked like one the clerk pasted, and must answer the very request this
 * workstation sent for her. A relay that drops, replays, reorders or
 * forges can delay a grant, never make one.
 *
 * Each step is a journal record with the request id: queued, sent (the
 * broker took it), ended (granted, declined, expired, cancelled) and
 * withdrawn (the broker's copy removed).
 */
#include "daemon.h"

#include <errno.h>
#include <pwd.h>

#include "describe.h"
#include "names.h"
#include "protocol.h"
#include "store.h"
#include "token.h"

/* A hostile or confused clerk cannot fill the queue: requests waiting at
 * once, per clerk and in all. */
#define OPEN_PER_USER 8
#define OPEN_TOTAL 256
/* Ended requests stay listed (`token requests`) this long. */
#define KEEP_ENDED_USEC (7ull * 24 * 3600 * 1000000)
#define OUTBOX_MAX (OPEN_TOTAL * 2)

static uint64_t max_age_sec(const struct daemon *d)
{
	return d->policy->approval.max_request_age_sec ? d->policy->approval.max_request_age_sec
						       : IDG_REQUEST_MAX_AGE_DEFAULT;
}

static bool is_open(const struct idg_stored_request *r)
{
	return streq(r->state, "waiting") || streq(r->state, "sent");
}

static struct json_object *request_json(const struct idg_stored_request *r)
{
	struct json_object *obj = json_object_new_object();
	char classes[128], shown[16];

	idg_class_mask_format(r->classes, classes, sizeof(classes));
	idg_request_id_short(r->rid, shown, sizeof(shown));
	daemon_add_string(obj, "request_id", r->rid);
	daemon_add_string(obj, "short_id", shown);
	daemon_add_string(obj, "user", r->user);
	daemon_add_uint(obj, "uid", r->uid);
	daemon_add_string(obj, "purpose", r->purpose);
	daemon_add_string(obj, "ref", r->ref);
	daemon_add_string(obj, "classes", classes);
	daemon_add_uint(obj, "minutes", r->minutes);
	daemon_add_string(obj, "scope", r->session_scope ? "session" : "uid");
	daemon_add_uint(obj, "created_usec", r->created_usec);
	daemon_add_string(obj, "state", r->state);
	daemon_add_uint(obj, "state_usec", r->state_usec);
	if (r->detail[0])
		daemon_add_string(obj, "detail", r->detail);
	json_object_object_add(obj, "withdrawn", json_object_new_boolean(r->withdrawn));
	return obj;
}

/* ---- the relay's state, as it reports it ---------------------------------- */

struct json_object *daemon_relay_json(const struct daemon *d)
{
	struct json_object *obj = json_object_new_object();

	json_object_object_add(obj, "running", json_object_new_boolean(control_relay_watchers(d->control) > 0));
	json_object_object_add(obj, "connected", json_object_new_boolean(d->relay.connected &&
									control_relay_watchers(d->control) > 0));
	if (d->relay.broker[0])
		daemon_add_string(obj, "broker", d->relay.broker);
	if (d->relay.error[0])
		daemon_add_string(obj, "error", d->relay.error);
	if (d->relay.since_usec)
		daemon_add_uint(obj, "since_usec", d->relay.since_usec);
	return obj;
}

static struct json_object *outbox_json(struct daemon *d)
{
	struct json_object *list = json_object_new_array();
	struct idg_stored_request *rows = NULL;
	size_t n = 0;

	if (idg_store_requests_outbox(d->db, OUTBOX_MAX, &rows, &n) < 0)
		log_error("cannot read the outbox of approval requests from the state database");
	for (size_t i = 0; i < n; i++) {
		struct json_object *obj = json_object_new_object();

		daemon_add_string(obj, "request_id", rows[i].rid);
		daemon_add_string(obj, "code", rows[i].code);
		daemon_add_string(obj, "state", rows[i].state);
		/* Ended: the broker's copy (request and answer) must go. */
		json_object_object_add(obj, "withdraw", json_object_new_boolean(!is_open(&rows[i])));
		json_object_array_add(list, obj);
	}
	free(rows);
	return list;
}

/* The relay is given the whole outbox at every change: idempotent, and a
 * relay that missed a push loses nothing. */
static void push_outbox(struct daemon *d)
{
	struct json_object *event;

	if (control_relay_watchers(d->control) == 0)
		return;
	event = json_object_new_object();
	daemon_add_string(event, "event", "outbox");
	json_object_object_add(event, "outbox", outbox_json(d));
	control_push_relay(d->control, event);
	json_object_put(event);
}

struct json_object *daemon_relay_watch_reply(struct daemon *d)
{
	struct json_object *reply = idg_reply_ok();

	daemon_add_string(reply, "host", d->machine_id);
	json_object_object_add(reply, "outbox", outbox_json(d));
	return reply;
}

bool daemon_is_relay(const struct daemon *d, const struct ucred *cred)
{
	return cred->uid == 0 || (d->relay_uid != (uid_t)-1 && cred->uid == d->relay_uid);
}

/* ---- records ---------------------------------------------------------------- */

static void record_common(struct idg_record *rec, const struct idg_stored_request *r)
{
	char classes[128];

	idg_class_mask_format(r->classes, classes, sizeof(classes));
	idg_record_add(rec, "IDGUARD_REQUEST_ID", "%s", r->rid);
	idg_record_add(rec, "IDGUARD_USER", "%s", r->user);
	idg_record_add(rec, "IDGUARD_UID", "%u", r->uid);
	idg_record_add(rec, "IDGUARD_PURPOSE", "%s", r->purpose);
	idg_record_add(rec, "IDGUARD_REF", "%s", r->ref);
	idg_record_add(rec, "IDGUARD_CLASS", "%s", classes);
	idg_record_add(rec, "IDGUARD_MINUTES", "%u", r->minutes);
}

static void send_queued(struct daemon *d, const struct idg_stored_request *r, pid_t client_pid)
{
	struct idg_record rec;
	char classes[128], shown[16];

	idg_class_mask_format(r->classes, classes, sizeof(classes));
	idg_request_id_short(r->rid, shown, sizeof(shown));
	idg_record_init(&rec, IDG_MSG_REQUEST_QUEUED, LOG_NOTICE);
	idg_record_add(&rec, "MESSAGE",
		       "%s (uid %u) sent request %s for approval: %s for %u minutes for %s, case %s",
		       r->user, r->uid, shown, classes, r->minutes, r->purpose, r->ref);
	record_common(&rec, r);
	idg_record_add(&rec, "IDGUARD_CLIENT_PID", "%d", (int)client_pid);
	idg_record_add(&rec, "IDGUARD_SCOPE", "%s", r->session_scope ? "session" : "uid");
	daemon_send(d, &rec);
}

static void send_step(struct daemon *d, const char *message_id, int priority, const struct idg_stored_request *r,
		      const char *state, const char *message)
{
	struct idg_record rec;

	idg_record_init(&rec, message_id, priority);
	idg_record_add(&rec, "MESSAGE", "%s", message);
	record_common(&rec, r);
	if (state)
		idg_record_add(&rec, "IDGUARD_REQUEST_STATE", "%s", state);
	daemon_send(d, &rec);
}

/* Ends an open request: state, record, the clerk told (except when she
 * ended it herself), the relay told to withdraw it. */
static int end_request(struct daemon *d, struct idg_stored_request *r, const char *state, const char *detail,
		       const char *approver, const char *message)
{
	struct idg_record rec;
	int r_store;

	r_store = idg_store_request_set_state(d->db, r->rid, state, detail, idg_now_realtime_usec());
	if (r_store < 0)
		return r_store;
	(void)snprintf(r->state, sizeof(r->state), "%s", state);
	(void)snprintf(r->detail, sizeof(r->detail), "%s", detail ? detail : "");
	idg_record_init(&rec, IDG_MSG_REQUEST_ENDED, streq(state, "granted") ? LOG_INFO : LOG_NOTICE);
	idg_record_add(&rec, "MESSAGE", "%s", message);
	record_common(&rec, r);
	idg_record_add(&rec, "IDGUARD_REQUEST_STATE", "%s", state);
	if (approver && approver[0])
		idg_record_add(&rec, "IDGUARD_APPROVER", "%s", approver);
	if (detail && detail[0] && !streq(state, "granted"))
		idg_record_add(&rec, "IDGUARD_REASON", "%s", detail);
	daemon_send(d, &rec);
	if (!streq(state, "granted") && !streq(state, "cancelled"))
		daemon_notice_request(d, r, state, approver, detail);
	push_outbox(d);
	return 0;
}

/* ---- the clerk's commands ------------------------------------------------- */

struct json_object *daemon_request_submit(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	const char *code = daemon_arg_string(request, "code", ""), *scope = daemon_arg_string(request, "scope", "uid");
	struct idg_stored_request row = { 0 }, existing;
	struct idg_token_request req;
	struct idg_error err = { "" };
	struct json_object *reply;
	char user[64], message[512];
	size_t open_user = 0, open_all = 0;
	int64_t session = 0;
	int r;

	idg_user_name(cred->uid, user, sizeof(user));
	if (!streq(scope, "uid") && !streq(scope, "session"))
		return idg_reply_error("invalid-scope", "scope must be 'uid' or 'session'");
	if (strlen(code) >= sizeof(row.code))
		return idg_reply_error("invalid-request-code", "the request code is too long to be one");
	if (idg_token_request_decode(code, &req, &err) < 0)
		return idg_reply_error("invalid-request-code", err.message);
	/* The request is sent for the clerk at the socket, about this
	 * workstation: the answer will be redeemed for her here. */
	if (!streq(req.user, user)) {
		(void)snprintf(message, sizeof(message),
			       "this request is for %s, and you are %s: a request is sent by the clerk who will use the token",
			       req.user, user);
		return idg_reply_error("wrong-user", message);
	}
	if (!d->machine_id[0] || !streq(req.host, d->machine_id))
		return idg_reply_error("wrong-host", "this request names another workstation (its machine id is not this "
						     "one's): ask for the token on the workstation that will use it");
	if (idg_token_request_check(&req, d->policy, &err) < 0)
		return idg_reply_error("request-refused", err.message);
	if (idg_token_request_check_age(&req, (int64_t)(idg_now_realtime_usec() / 1000000), max_age_sec(d), &err) < 0)
		return idg_reply_error("request-refused", err.message);
	if (streq(scope, "session")) {
		session = daemon_peer_session(cred->pid);
		if (session < 0)
			return idg_reply_error("invalid-scope", "your process has no audit session; ask without --session");
	}

	if (idg_store_request_get(d->db, req.id, &existing) == 0) {
		/* The same request sent again (a retry): not a new one. */
		if (existing.uid != cred->uid || !streq(existing.code, code))
			return idg_reply_error("duplicate-request", "a different request with this id was already sent");
		reply = idg_reply_ok();
		json_object_object_add(reply, "request", request_json(&existing));
		json_object_object_add(reply, "relay", daemon_relay_json(d));
		json_object_object_add(reply, "already_sent", json_object_new_boolean(1));
		return reply;
	}
	if (idg_store_requests_open_count(d->db, false, cred->uid, &open_user) < 0 ||
	    idg_store_requests_open_count(d->db, true, 0, &open_all) < 0)
		return idg_reply_error("state-error", "cannot read the outbox in the state database");
	if (open_user >= OPEN_PER_USER) {
		(void)snprintf(message, sizeof(message),
			       "you have %zu requests waiting for approval already; cancel one ('idguardctl token cancel "
			       "ID') or wait for an answer",
			       open_user);
		return idg_reply_error("too-many-requests", message);
	}
	if (open_all >= OPEN_TOTAL)
		return idg_reply_error("too-many-requests", "this workstation has too many requests waiting for approval");

	(void)snprintf(row.rid, sizeof(row.rid), "%s", req.id);
	row.uid = cred->uid;
	(void)snprintf(row.user, sizeof(row.user), "%s", user);
	(void)snprintf(row.code, sizeof(row.code), "%s", code);
	(void)snprintf(row.purpose, sizeof(row.purpose), "%s", req.purpose);
	(void)snprintf(row.ref, sizeof(row.ref), "%s", req.ref);
	row.classes = req.class_mask;
	row.minutes = req.minutes;
	row.session_scope = streq(scope, "session");
	row.session = (uint32_t)session;
	if (idg_boot_id(row.boot_id) < 0)
		row.boot_id[0] = '\0';
	row.created_usec = idg_now_realtime_usec();
	(void)snprintf(row.state, sizeof(row.state), "waiting");
	row.state_usec = row.created_usec;
	r = idg_store_request_add(d->db, &row);
	if (r < 0)
		return idg_reply_error("state-error", "cannot keep the request in the state database");
	send_queued(d, &row, cred->pid);
	push_outbox(d);
	reply = idg_reply_ok();
	json_object_object_add(reply, "request", request_json(&row));
	json_object_object_add(reply, "relay", daemon_relay_json(d));
	return reply;
}

static bool sees_all(const struct daemon *d, const struct ucred *cred)
{
	char user[64];

	if (cred->uid == 0)
		return true;
	idg_user_name(cred->uid, user, sizeof(user));
	for (size_t i = 0; i < d->policy->n_approvers; i++)
		if (d->policy->approvers[i].admin && streq(d->policy->approvers[i].user, user))
			return true;
	return false;
}

struct json_object *daemon_request_list(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply, *list = json_object_new_array();
	struct idg_stored_request *rows = NULL;
	size_t n = 0;

	if (idg_store_requests_list(d->db, sees_all(d, cred), cred->uid, 200, &rows, &n) < 0) {
		json_object_put(list);
		return idg_reply_error("state-error", "cannot read the requests from the state database");
	}
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, request_json(&rows[i]));
	free(rows);
	reply = idg_reply_ok();
	json_object_object_add(reply, "requests", list);
	json_object_object_add(reply, "relay", daemon_relay_json(d));
	return reply;
}

/* A request named by its id or by the short id people read ("B4A4-EAE7",
 * "b4a4eae7"), among those the caller may see. */
static int find_request(struct daemon *d, const struct ucred *cred, const char *id, struct idg_stored_request *ret)
{
	struct idg_stored_request *rows = NULL;
	size_t n = 0, found = 0;

	if (idg_store_requests_list(d->db, sees_all(d, cred), cred->uid, 1000, &rows, &n) < 0)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (idg_request_id_matches(id, rows[i].rid)) {
			if (!found++)
				*ret = rows[i];
		}
	free(rows);
	return found == 1 ? 0 : found ? -EEXIST : -ENOENT;
}

struct json_object *daemon_request_cancel(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	const char *id = daemon_arg_string(request, "id", "");
	struct idg_stored_request row;
	char user[64], message[384], shown[16];
	int r = find_request(d, cred, id, &row);

	if (r == -EIO)
		return idg_reply_error("state-error", "cannot read the requests from the state database");
	if (r < 0 || !is_open(&row)) {
		(void)snprintf(message, sizeof(message),
			       r == -EEXIST ? "more than one request starts with %s: give the whole id"
					    : "no waiting request of yours has id %s (see 'idguardctl token requests')",
			       id);
		return idg_reply_error("not-found", message);
	}
	idg_user_name(cred->uid, user, sizeof(user));
	idg_request_id_short(row.rid, shown, sizeof(shown));
	(void)snprintf(message, sizeof(message), "%s (uid %u) cancelled request %s of %s for %s, case %s", user, cred->uid,
		       shown, row.user, row.purpose, row.ref);
	if (end_request(d, &row, "cancelled", user, NULL, message) < 0)
		return idg_reply_error("state-error", "cannot record the cancellation in the state database");
	return idg_reply_ok();
}

/* ---- the relay's commands ------------------------------------------------- */

struct json_object *daemon_relay_status(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *value;
	bool connected = json_object_object_get_ex(request, "connected", &value) && json_object_get_boolean(value);
	const char *broker = daemon_arg_string(request, "broker", ""), *error = daemon_arg_string(request, "error", "");
	struct idg_record rec;

	/* Recorded when it changes, not at every retry of a broker that is
	 * down: the relay reports each attempt. */
	if (connected != d->relay.connected || !streq(broker, d->relay.broker) ||
	    (!connected && !d->relay.since_usec)) {
		idg_record_init(&rec, IDG_MSG_RELAY_STATE, connected ? LOG_INFO : LOG_WARNING);
		if (connected)
			idg_record_add(&rec, "MESSAGE", "The approval relay is connected to the broker %s", broker);
		else
			idg_record_add(&rec, "MESSAGE", "The approval relay cannot reach the broker %s: %s", broker,
				       error[0] ? error : "not connected");
		idg_record_add(&rec, "IDGUARD_RELAY_STATE", "%s", connected ? "connected" : "disconnected");
		idg_record_add(&rec, "IDGUARD_BROKER_ADDRESS", "%s", broker);
		if (!connected && error[0])
			idg_record_add(&rec, "IDGUARD_REASON", "%s", error);
		daemon_send(d, &rec);
		d->relay.since_usec = idg_now_realtime_usec();
	}
	d->relay.connected = connected;
	(void)snprintf(d->relay.broker, sizeof(d->relay.broker), "%s", broker);
	(void)snprintf(d->relay.error, sizeof(d->relay.error), "%s", connected ? "" : error);
	return idg_reply_ok();
}

static int relay_row(struct daemon *d, struct json_object *request, struct idg_stored_request *row)
{
	const char *rid = daemon_arg_string(request, "request_id", "");

	return *rid ? idg_store_request_get(d->db, rid, row) : -ENOENT;
}

struct json_object *daemon_relay_sent(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct idg_stored_request row;
	char message[384], shown[16];
	int r = relay_row(d, request, &row);

	if (r < 0)
		return idg_reply_error("not-found", "no such request in the outbox");
	if (!streq(row.state, "waiting"))
		return idg_reply_ok();
	if (idg_store_request_set_state(d->db, row.rid, "sent", daemon_arg_string(request, "broker", ""),
					idg_now_realtime_usec()) < 0)
		return idg_reply_error("state-error", "cannot record the request as sent");
	idg_request_id_short(row.rid, shown, sizeof(shown));
	(void)snprintf(message, sizeof(message), "Request %s of %s is in the approval queue on the broker %s", shown,
		       row.user, daemon_arg_string(request, "broker", "?"));
	send_step(d, IDG_MSG_REQUEST_SENT, LOG_INFO, &row, "sent", message);
	return idg_reply_ok();
}

struct json_object *daemon_relay_withdrawn(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct idg_stored_request row;
	char message[384], shown[16];
	int r = relay_row(d, request, &row);

	if (r < 0)
		return idg_reply_error("not-found", "no such request in the outbox");
	if (is_open(&row))
		return idg_reply_error("still-open", "the request is still waiting for an answer: it is not withdrawn");
	if (row.withdrawn)
		return idg_reply_ok();
	if (idg_store_request_set_withdrawn(d->db, row.rid) < 0)
		return idg_reply_error("state-error", "cannot record the request as withdrawn");
	idg_request_id_short(row.rid, shown, sizeof(shown));
	(void)snprintf(message, sizeof(message), "Request %s of %s (%s) is withdrawn from the approval queue", shown,
		       row.user, row.state);
	send_step(d, IDG_MSG_REQUEST_WITHDRAWN, LOG_INFO, &row, row.state, message);
	return idg_reply_ok();
}

static struct json_object *outcome(const char *what)
{
	struct json_object *reply = idg_reply_ok();

	daemon_add_string(reply, "outcome", what);
	return reply;
}

/* A signed decline from an approver: the request ends, the clerk is told
 * why. An unsigned or unknown one is ignored (and recorded). */
static struct json_object *take_decline(struct daemon *d, struct idg_stored_request *row, const char *answer)
{
	const struct idg_approver *approver = NULL;
	struct idg_decline decline = { .rid = "" };
	struct idg_error err = { "" };
	char message[512], shown[16];
	int64_t now = (int64_t)(idg_now_realtime_usec() / 1000000);
	struct idg_token_context ctx = { .policy = d->policy, .host = d->machine_id, .user = row->user, .now = now };
	int r = idg_decline_check(answer, &ctx, &decline, &approver, &err);

	if (r == 0 && !streq(decline.rid, row->rid)) {
		r = -EINVAL;
		(void)snprintf(err.message, sizeof(err.message), "the decline answers request %s, not %s", decline.rid,
			       row->rid);
	}
	idg_request_id_short(row->rid, shown, sizeof(shown));
	if (r < 0) {
		(void)snprintf(message, sizeof(message), "Ignored a decline of request %s of %s that the relay brought: %s",
			       shown, row->user, err.message);
		send_step(d, IDG_MSG_REQUEST_ENDED, LOG_WARNING, row, "decline-refused", message);
		return outcome("refused");
	}
	(void)snprintf(message, sizeof(message), "%s declined request %s of %s for %s, case %s: %s", approver->id, shown,
		       row->user, row->purpose, row->ref, decline.reason);
	if (end_request(d, row, "declined", decline.reason, approver->id, message) < 0)
		return idg_reply_error("state-error", "cannot record the decline in the state database");
	return outcome("declined");
}

struct json_object *daemon_relay_answer(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	const char *answer = daemon_arg_string(request, "answer", "");
	struct daemon_redeemer who = { .client_pid = cred->pid, .via_relay = true };
	struct idg_stored_request row;
	enum idg_token_rejection reason;
	struct json_object *reply;
	char boot_id[33] = "", message[512], shown[16];
	int r = relay_row(d, request, &row);

	who.request_id = daemon_arg_string(request, "request_id", "");
	if (r == -EIO)
		return idg_reply_error("state-error", "cannot read the outbox");
	if (idg_answer_kind(answer) == IDG_ANSWER_DECLINE) {
		if (r < 0 || !is_open(&row))
			return outcome("not-waiting");
		return take_decline(d, &row, answer);
	}
	if (r < 0 || !is_open(&row)) {
		/* Not an answer to anything waiting here: a replay, a token for
		 * another workstation, or a late second approval. Checked all
		 * the same, so that the record says which. */
		if (r == 0) {
			who.uid = row.uid;
			(void)snprintf(who.user, sizeof(who.user), "%s", row.user);
			who.expect = &row;
		}
		reply = daemon_token_redeem_for(d, &who, answer, &reason);
		if (!json_object_object_get_ex(reply, "grant", NULL)) {
			json_object_put(reply);
			return outcome("refused");
		}
		/* A token for a request that ended (expired, cancelled) but
		 * still good: the clerk got her grant after all. */
		json_object_put(reply);
		return outcome("granted");
	}

	who.uid = row.uid;
	(void)snprintf(who.user, sizeof(who.user), "%s", row.user);
	who.expect = &row;
	if (row.session_scope) {
		/* Audit session numbers start again at every boot. */
		if (idg_boot_id(boot_id) < 0 || !streq(boot_id, row.boot_id)) {
			idg_request_id_short(row.rid, shown, sizeof(shown));
			(void)snprintf(message, sizeof(message),
				       "Request %s of %s was for one login session, and the workstation has restarted since; "
				       "the token is not used",
				       shown, row.user);
			(void)end_request(d, &row, "expired", "the login session it was for ended with a restart", NULL,
					  message);
			return outcome("refused");
		}
		who.session_scope = true;
		who.session = row.session;
	}
	reply = daemon_token_redeem_for(d, &who, answer, &reason);
	if (json_object_object_get_ex(reply, "grant", NULL)) {
		/* The request was ended as granted on the way (daemon_request_redeemed). */
		json_object_put(reply);
		return outcome("granted");
	}
	/* The request stays open: a forged or stale answer must not end it. */
	if (reason != IDG_TOKEN_OK) {
		struct json_object *error;

		daemon_notice_request(d, &row, "answer-refused", NULL,
				      json_object_object_get_ex(reply, "message", &error) ? json_object_get_string(error)
											 : "");
	}
	json_object_put(reply);
	return outcome("refused");
}

void daemon_request_redeemed(struct daemon *d, const char *rid, const char *approver)
{
	struct idg_stored_request row;
	char message[384], shown[16];

	if (!rid || !*rid || idg_store_request_get(d->db, rid, &row) < 0 || !is_open(&row))
		return;
	idg_request_id_short(row.rid, shown, sizeof(shown));
	(void)snprintf(message, sizeof(message), "Request %s of %s was approved by %s and is granted", shown, row.user,
		       approver);
	if (end_request(d, &row, "granted", approver, approver, message) < 0)
		log_error("cannot record request %s as granted in the state database", rid);
}

/* Once a second (upkeep): requests older than MaxRequestAge= expire; ended
 * ones leave the list after a week. */
void daemon_requests_upkeep(struct daemon *d)
{
	struct idg_stored_request *rows = NULL;
	uint64_t now = idg_now_realtime_usec(), limit = max_age_sec(d) * 1000000ull;
	char message[384], shown[16], age[32];
	size_t n = 0;

	if (!d->db || idg_store_requests_outbox(d->db, OUTBOX_MAX, &rows, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!is_open(&rows[i]) || now < rows[i].created_usec + limit)
			continue;
		idg_request_id_short(rows[i].rid, shown, sizeof(shown));
		idg_timespan_format(max_age_sec(d), age, sizeof(age));
		(void)snprintf(message, sizeof(message), "Request %s of %s for %s, case %s, expired unanswered after %s",
			       shown, rows[i].user, rows[i].purpose, rows[i].ref, age);
		(void)end_request(d, &rows[i], "expired", "no answer within MaxRequestAge=", NULL, message);
	}
	free(rows);
	(void)idg_store_requests_purge(d->db, now > KEEP_ENDED_USEC ? now - KEEP_ENDED_USEC : 0);
}
