// SPDX-License-Identifier: GPL-2.0-only
/*
 * The purpose-token commands: redeem (a clerk turns an approved token into a
 * grant on this workstation), list, and revoke. Every refusal leaves a
 * "token rejected" record with the reason and what the token claimed, never
 * its signature; every redemption and revocation is on the record too.
 */
#include "daemon.h"

#include <errno.h>
#include <pwd.h>

#include "describe.h"
#include "names.h"
#include "protocol.h"
#include "store.h"
#include "token.h"

/* The audit session of a process, or -1 when it has none. */
int64_t daemon_peer_session(pid_t pid)
{
	char path[64];
	unsigned long long session;
	FILE *f;
	int n;

	(void)snprintf(path, sizeof(path), "/proc/%d/sessionid", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fscanf(f, "%llu", &session);
	(void)fclose(f);
	return n == 1 && session != 0xffffffffull ? (int64_t)session : -1;
}

static void send_rejected(struct daemon *d, const struct daemon_redeemer *who, enum idg_token_rejection reason,
			  const char *why, const struct idg_token_claims *claims, const struct idg_approver *approver)
{
	struct idg_record rec;

	idg_record_init(&rec, IDG_MSG_TOKEN_REJECTED, LOG_WARNING);
	if (who->via_relay)
		idg_record_add(&rec, "MESSAGE", "Refused a purpose token that the relay brought for %s (uid %u), request %s: %s",
			       who->user, who->uid, who->request_id, why);
	else
		idg_record_add(&rec, "MESSAGE", "Refused a purpose token from %s (uid %u): %s", who->user, who->uid, why);
	idg_record_add(&rec, "IDGUARD_CLIENT_PID", "%d", (int)who->client_pid);
	idg_record_add(&rec, "IDGUARD_REJECT_REASON", "%s", idg_token_rejection_name(reason));
	if (who->user[0]) {
		idg_record_add(&rec, "IDGUARD_USER", "%s", who->user);
		idg_record_add(&rec, "IDGUARD_UID", "%u", who->uid);
	}
	if (who->via_relay) {
		idg_record_add(&rec, "IDGUARD_VIA", "relay");
		idg_record_add(&rec, "IDGUARD_REQUEST_ID", "%s", who->request_id);
	}
	/* What the token claimed: enough to investigate, no signature. */
	if (claims->jti[0])
		idg_record_add(&rec, "IDGUARD_TOKEN_ID", "%s", claims->jti);
	if (claims->pur[0])
		idg_record_add(&rec, "IDGUARD_PURPOSE", "%s", claims->pur);
	if (claims->ref[0])
		idg_record_add(&rec, "IDGUARD_REF", "%s", claims->ref);
	if (claims->sub[0])
		idg_record_add(&rec, "IDGUARD_TOKEN_USER", "%s", claims->sub);
	if (approver)
		idg_record_add(&rec, "IDGUARD_APPROVER", "%s", approver->id);
	if (claims->kid[0])
		idg_record_add(&rec, "IDGUARD_KEY_ID", "%s", claims->kid);
	daemon_send(d, &rec);
}

static void send_redeemed(struct daemon *d, const struct daemon_redeemer *who, const struct idg_grant_info *g,
			  const char *request_id)
{
	struct idg_record rec;
	char classes[128], until[64];

	idg_class_mask_format(g->class_mask, classes, sizeof(classes));
	idg_format_time(g->expires_usec, until, sizeof(until));
	idg_record_init(&rec, IDG_MSG_TOKEN_REDEEMED, LOG_NOTICE);
	idg_record_add(&rec, "MESSAGE",
		       "%s (uid %u) redeemed token %s for %s, case %s, approved by %s: %s%s until %s (grant %llu)%s",
		       g->user, g->uid, g->token_id, g->purpose, g->ref, g->approver, classes,
		       g->scope == IDG_SCOPE_SESSION ? " in this login session" : "", until, (unsigned long long)g->id,
		       who->via_relay ? "; the token came back through the relay" : "");
	idg_record_add(&rec, "IDGUARD_CLIENT_PID", "%d", (int)who->client_pid);
	if (who->via_relay)
		idg_record_add(&rec, "IDGUARD_VIA", "relay");
	idg_record_add(&rec, "IDGUARD_TOKEN_ID", "%s", g->token_id);
	idg_record_add(&rec, "IDGUARD_PURPOSE", "%s", g->purpose);
	idg_record_add(&rec, "IDGUARD_REF", "%s", g->ref);
	idg_record_add(&rec, "IDGUARD_APPROVER", "%s", g->approver);
	idg_record_add(&rec, "IDGUARD_USER", "%s", g->user);
	idg_record_add(&rec, "IDGUARD_UID", "%u", g->uid);
	idg_record_add(&rec, "IDGUARD_CLASS", "%s", classes);
	idg_record_add(&rec, "IDGUARD_GRANT_ID", "%llu", (unsigned long long)g->id);
	idg_record_add(&rec, "IDGUARD_SCOPE", "%s", g->scope == IDG_SCOPE_SESSION ? "session" : "uid");
	if (g->scope == IDG_SCOPE_SESSION)
		idg_record_add(&rec, "IDGUARD_SESSION", "%u", g->subject);
	idg_record_add(&rec, "IDGUARD_EXPIRES_USEC", "%llu", (unsigned long long)g->expires_usec);
	if (request_id[0])
		idg_record_add(&rec, "IDGUARD_REQUEST_ID", "%s", request_id);
	daemon_send(d, &rec);
}

static struct json_object *refuse(struct daemon *d, const struct daemon_redeemer *who, enum idg_token_rejection reason,
				  const char *why, const struct idg_token_claims *claims, const struct idg_approver *approver)
{
	struct json_object *reply = idg_reply_error("token-rejected", why);

	send_rejected(d, who, reason, why, claims, approver);
	json_object_object_add(reply, "reason", json_object_new_string(idg_token_rejection_name(reason)));
	return reply;
}

/* A relayed token must be the answer to the request it came for: the one
 * this workstation sent, for that clerk, no more than was asked. */
static bool matches_request(const struct idg_token_claims *claims, const struct daemon_redeemer *who, char *why,
			    size_t size)
{
	if (!who->expect)
		return true;
	if (!streq(claims->rid, who->expect->rid))
		(void)snprintf(why, size, "the token answers request %s, not request %s", claims->rid[0] ? claims->rid : "(none)",
			       who->expect->rid);
	else if (!streq(claims->pur, who->expect->purpose) || !streq(claims->ref, who->expect->ref))
		(void)snprintf(why, size, "the token is for %s, case %s; the request asked for %s, case %s", claims->pur,
			       claims->ref, who->expect->purpose, who->expect->ref);
	else if (claims->class_mask & ~who->expect->classes)
		(void)snprintf(why, size, "the token names classes the request did not ask for");
	else if ((uint64_t)(claims->exp - claims->nbf) > (uint64_t)who->expect->minutes * 60 + 60)
		(void)snprintf(why, size, "the token lasts longer than the %u minutes asked for", who->expect->minutes);
	else
		return true;
	return false;
}

struct json_object *daemon_token_redeem_for(struct daemon *d, const struct daemon_redeemer *who, const char *token,
					    enum idg_token_rejection *ret_reason)
{
	struct idg_grant_info g = { .scope = IDG_SCOPE_UID, .added_by_uid = who->uid };
	const struct idg_approver *approver = NULL;
	struct idg_token_claims claims;
	enum idg_token_rejection reason;
	struct idg_error err = { "" };
	struct json_object *reply;
	char message[512];
	int64_t now = (int64_t)(idg_now_realtime_usec() / 1000000);
	int r;

	*ret_reason = IDG_TOKEN_OK;
	struct idg_token_context ctx = { .policy = d->policy, .host = d->machine_id, .user = who->user, .now = now };

	reason = idg_token_check(token, &ctx, &claims, &approver, &err);
	if (reason == IDG_TOKEN_OK && !matches_request(&claims, who, err.message, sizeof(err.message)))
		reason = IDG_TOKEN_MALFORMED;
	if (reason != IDG_TOKEN_OK) {
		*ret_reason = reason;
		return refuse(d, who, reason, err.message, &claims, approver);
	}
	r = idg_store_token_redeemed(d->db, claims.jti, claims.rid);
	if (r != 0) {
		(void)snprintf(message, sizeof(message),
			       r > 0 ? "this token (%s), or another approved from the same request, was already redeemed; "
				       "a token works once, ask for a new one"
				     : "cannot check token %s against the redeemed tokens",
			       claims.jti);
		if (r < 0)
			return idg_reply_error("state-error", message);
		*ret_reason = IDG_TOKEN_REPLAYED;
		return refuse(d, who, IDG_TOKEN_REPLAYED, message, &claims, approver);
	}

	if (who->session_scope) {
		g.scope = IDG_SCOPE_SESSION;
		g.subject = who->session;
	} else {
		g.subject = who->uid;
	}
	g.uid = who->uid;
	g.class_mask = claims.class_mask;
	/* The kernel counts down on the boot clock from now: a wall-clock
	 * change after this moment can neither lengthen nor shorten it. A clock
	 * running behind now (within the nbf leeway) must not add time either:
	 * the grant never outlasts the token's own lifetime. */
	g.duration_ns = (uint64_t)(claims.exp - now < claims.exp - claims.nbf ? claims.exp - now
									       : claims.exp - claims.nbf) *
			1000000000ull;
	(void)snprintf(g.user, sizeof(g.user), "%s", who->user);
	(void)snprintf(g.source, sizeof(g.source), "token");
	(void)snprintf(g.token_id, sizeof(g.token_id), "%s", claims.jti);
	(void)snprintf(g.purpose, sizeof(g.purpose), "%s", claims.pur);
	(void)snprintf(g.ref, sizeof(g.ref), "%s", claims.ref);
	(void)snprintf(g.approver, sizeof(g.approver), "%s", approver->id);

	if (idg_grants_add(d->grants, &g, &err) < 0)
		return idg_reply_error("state-error", err.message);
	/* Spent only once the kernel holds the grant: a failure leaves the
	 * token usable for a retry. */
	r = daemon_grants_sync_subject(d, g.scope, g.subject);
	if (r == 0)
		r = idg_store_record_token(d->db, claims.jti, claims.rid, who->uid, who->user, claims.pur, approver->id,
					   g.id);
	if (r < 0) {
		(void)idg_grants_end(d->grants, g.id, "failed", NULL);
		(void)daemon_grants_sync_subject(d, g.scope, g.subject);
		(void)snprintf(message, sizeof(message), "cannot record the grant: %s", strerror(-r));
		return idg_reply_error("state-error", message);
	}
	send_redeemed(d, who, &g, claims.rid);
	/* Sent for approval too? Then it is answered, however the token came. */
	daemon_request_redeemed(d, claims.rid, approver->id);
	daemon_notice_granted(d, &g);
	reply = idg_reply_ok();
	json_object_object_add(reply, "grant", daemon_grant_to_json(&g));
	return reply;
}

struct json_object *daemon_token_redeem(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	const char *token = daemon_arg_string(request, "token", ""), *scope = daemon_arg_string(request, "scope", "uid");
	struct daemon_redeemer who = { .uid = cred->uid, .client_pid = cred->pid };
	enum idg_token_rejection reason;
	int64_t session;

	idg_user_name(cred->uid, who.user, sizeof(who.user));
	if (!streq(scope, "uid") && !streq(scope, "session"))
		return idg_reply_error("invalid-scope", "scope must be 'uid' or 'session'");
	if (streq(scope, "session")) {
		session = daemon_peer_session(cred->pid);
		if (session < 0)
			return idg_reply_error("invalid-scope", "your process has no audit session; redeem without --session");
		who.session_scope = true;
		who.session = (uint32_t)session;
	}
	return daemon_token_redeem_for(d, &who, token, &reason);
}

struct json_object *daemon_token_list(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply = idg_reply_ok(), *list = json_object_new_array();
	bool sees_all = cred->uid == 0;
	char user[64];

	/* Approver-administrators see every token, like root. */
	idg_user_name(cred->uid, user, sizeof(user));
	for (size_t i = 0; i < d->policy->n_approvers; i++)
		sees_all |= d->policy->approvers[i].admin && streq(d->policy->approvers[i].user, user);
	for (size_t i = 0; i < idg_grants_count(d->grants); i++) {
		const struct idg_grant_info *g = idg_grants_at(d->grants, i);

		if (streq(g->source, "token") && (sees_all || g->uid == cred->uid))
			json_object_array_add(list, daemon_grant_to_json(g));
	}
	json_object_object_add(reply, "grants", list);
	return reply;
}

/* The grant a revoke names: its token id first (a token id of digits must
 * not be taken for another grant's number), else its grant id. */
static const struct idg_grant_info *find_grant(struct daemon *d, const char *id)
{
	uint64_t number;

	for (size_t i = 0; i < idg_grants_count(d->grants); i++) {
		const struct idg_grant_info *g = idg_grants_at(d->grants, i);

		if (streq(g->source, "token") && streq(g->token_id, id))
			return g;
	}
	if (idg_parse_uint(id, UINT64_MAX, &number) < 0)
		return NULL;
	for (size_t i = 0; i < idg_grants_count(d->grants); i++) {
		const struct idg_grant_info *g = idg_grants_at(d->grants, i);

		if (streq(g->source, "token") && g->id == number)
			return g;
	}
	return NULL;
}

struct json_object *daemon_token_revoke(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	const char *id = daemon_arg_string(request, "id", "");
	const struct idg_grant_info *found = find_grant(d, id);
	struct idg_grant_info g;
	struct idg_record rec;
	char user[64], classes[128], message[256];
	const char *role = NULL;
	int r;

	idg_user_name(cred->uid, user, sizeof(user));
	if (found && cred->uid == 0)
		role = "administrator";
	else if (found && found->uid == cred->uid)
		role = "holder";
	for (size_t i = 0; found && !role && i < d->policy->n_approvers; i++)
		if (d->policy->approvers[i].admin && streq(d->policy->approvers[i].user, user))
			role = "approver-administrator";
	/* The same answer whether the grant does not exist or is someone
	 * else's: grant ids must not be probeable by those who may not act. */
	if (!role) {
		(void)snprintf(message, sizeof(message),
			       "no live token grant that you may revoke has id %s (see 'idguardctl token list'; only the "
			       "token's holder, an approver-administrator or root may revoke it)",
			       id);
		return idg_reply_error("not-found", message);
	}

	r = daemon_grant_end(d, found->id, "revoked", &g);
	if (r == -ENOENT || r == -EIO)
		return idg_reply_error("state-error", "cannot record the revocation in the state database");
	idg_class_mask_format(g.class_mask, classes, sizeof(classes));
	idg_record_init(&rec, IDG_MSG_TOKEN_REVOKED, LOG_NOTICE);
	idg_record_add(&rec, "MESSAGE", "%s (uid %u, %s) revoked token %s of %s (uid %u) for %s, case %s: %s is refused again",
		       user, cred->uid, role, g.token_id, g.user, g.uid, g.purpose, g.ref, classes);
	idg_record_add(&rec, "IDGUARD_CLIENT_PID", "%d", (int)cred->pid);
	idg_record_add(&rec, "IDGUARD_TOKEN_ID", "%s", g.token_id);
	idg_record_add(&rec, "IDGUARD_GRANT_ID", "%llu", (unsigned long long)g.id);
	idg_record_add(&rec, "IDGUARD_PURPOSE", "%s", g.purpose);
	idg_record_add(&rec, "IDGUARD_REF", "%s", g.ref);
	idg_record_add(&rec, "IDGUARD_APPROVER", "%s", g.approver);
	idg_record_add(&rec, "IDGUARD_USER", "%s", g.user);
	idg_record_add(&rec, "IDGUARD_UID", "%u", g.uid);
	idg_record_add(&rec, "IDGUARD_CLASS", "%s", classes);
	idg_record_add(&rec, "IDGUARD_REVOKED_BY", "%s", user);
	idg_record_add(&rec, "IDGUARD_REVOKED_BY_UID", "%u", cred->uid);
	idg_record_add(&rec, "IDGUARD_REVOKER_ROLE", "%s", role);
	daemon_send(d, &rec);
	if (r < 0) {
		(void)snprintf(message, sizeof(message), "revoked, but the kernel could not be updated: %s", strerror(-r));
		return idg_reply_error("kernel-error", message);
	}
	return idg_reply_ok();
}
