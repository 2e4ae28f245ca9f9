// SPDX-License-Identifier: GPL-2.0-only
/*
 * The print gate: the idguard CUPS backend asks, for each job, whether the
 * job's user may print now. The backend runs for cupsd, a trusted service
 * the kernel gate never refuses, so this is where printing is decided: by
 * the printer class's mode and the user's live grants, as the kernel would
 * decide an open of a printer node by that user. Only uid grants count: a
 * job reaches cupsd without the audit session it was sent from.
 *
 * Every decision is an access record like the kernel's (denied, audited,
 * granted) with IDGUARD_GATE=print and the queue and job. The job title is
 * the user's text: like every value, it is withheld from the record where
 * it looks like an ID number (see idg_record_add()).
 */
#include "daemon.h"

#include <errno.h>
#include <pwd.h>

#include "describe.h"
#include "names.h"
#include "protocol.h"

static const char *get_string(struct json_object *obj, const char *key)
{
	struct json_object *value;

	return json_object_object_get_ex(obj, key, &value) ? json_object_get_string(value) : "";
}

/* The live uid grant covering the printer class, or false. */
static bool printer_grant(struct daemon *d, uint32_t uid, struct idg_grant_info *ret)
{
	struct idg_grant value;
	uint64_t now = idg_now_boot_ns();

	if (!idg_grants_kernel_value(d->grants, IDG_SCOPE_UID, uid, &value) ||
	    !(value.class_mask & (1u << IDG_CLASS_PRINTER)) || value.expires_boot_ns[IDG_CLASS_PRINTER] <= now)
		return false;
	return idg_grants_get(d->grants, value.grant_id[IDG_CLASS_PRINTER], ret) == 0;
}

static void send_print_record(struct daemon *d, const char *verdict, uint32_t uid, const char *user, const char *queue,
			      const char *job, const char *title, const struct idg_grant_info *grant)
{
	struct idg_record rec;
	/* Sized for the whole title: a title cut here could end inside an ID
	 * number, whose remaining part the record's withholding would not
	 * recognise. The record cuts safely if it must. */
	_cleanup_free_ char *what = NULL;
	char grant_text[320] = "";
	int priority = streq(verdict, "denied") ? LOG_WARNING : streq(verdict, "audited") ? LOG_NOTICE : LOG_INFO;
	char who[64];

	if (uid == (uint32_t)-1)
		(void)snprintf(who, sizeof(who), "no local account");
	else
		(void)snprintf(who, sizeof(who), "uid %u", uid);
	if (asprintf(&what, "job %s \"%s\" of %s (%s) on printer queue %s", job, title, user, who, queue) < 0)
		what = NULL;
	if (grant)
		idg_grant_summary(grant, false, grant_text, sizeof(grant_text));
	idg_record_init(&rec, streq(verdict, "denied")    ? IDG_MSG_ACCESS_DENIED
			      : streq(verdict, "audited") ? IDG_MSG_ACCESS_AUDITED
							  : IDG_MSG_ACCESS_GRANTED,
			priority);
	if (streq(verdict, "denied"))
		idg_record_add(&rec, "MESSAGE", "Refused printing %s: no purpose token", what ? what : "a job");
	else if (streq(verdict, "audited"))
		idg_record_add(&rec, "MESSAGE", "Audit only: printed %s although it would be refused: no purpose token",
			       what ? what : "a job");
	else
		idg_record_add(&rec, "MESSAGE", "Printed %s under %s", what ? what : "a job", grant_text);
	idg_record_add(&rec, "IDGUARD_EVENT", "access");
	idg_record_add(&rec, "IDGUARD_GATE", "print");
	idg_record_add(&rec, "IDGUARD_VERDICT", "%s", verdict);
	idg_record_add(&rec, "IDGUARD_REASON", "%s", grant ? "uid-grant" : "no-grant");
	idg_record_add(&rec, "IDGUARD_CLASS", "printer");
	idg_record_add(&rec, "IDGUARD_PRINT_QUEUE", "%s", queue);
	idg_record_add(&rec, "IDGUARD_PRINT_JOB", "%s", job);
	idg_record_add(&rec, "IDGUARD_PRINT_TITLE", "%s", title);
	if (uid != (uint32_t)-1)
		idg_record_add(&rec, "IDGUARD_UID", "%u", uid);
	idg_record_add(&rec, "IDGUARD_USER", "%s", user);
	idg_record_add(&rec, "IDGUARD_COUNT", "1");
	if (grant) {
		idg_record_add(&rec, "IDGUARD_GRANT_ID", "%llu", (unsigned long long)grant->id);
		idg_record_add_grant_details(&rec, grant);
	}
	daemon_send(d, &rec);
}

struct json_object *daemon_print_check(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	const char *user = get_string(request, "user"), *queue = get_string(request, "queue");
	const char *job = get_string(request, "job"), *title = get_string(request, "title");
	struct passwd pw, *found = NULL;
	char scratch[1024], message[512];
	struct idg_grant_info grant;
	struct json_object *reply;
	int mode = idg_policy_effective_mode(d->policy, IDG_CLASS_PRINTER);
	const char *verdict;
	bool granted;

	if (getpwnam_r(user, &pw, scratch, sizeof(scratch), &found) != 0 || !found) {
		/* Not a local user (a remote job, say): nobody can hold a grant. */
		found = NULL;
	}
	if (mode == IDG_MODE_OFF) {
		verdict = "off";
		granted = false;
	} else {
		granted = found && printer_grant(d, found->pw_uid, &grant);
		verdict = granted ? "granted" : mode == IDG_MODE_ENFORCE ? "denied" : "audited";
		send_print_record(d, verdict, found ? found->pw_uid : (uint32_t)-1, user, queue, job, title,
				  granted ? &grant : NULL);
	}
	reply = idg_reply_ok();
	json_object_object_add(reply, "verdict", json_object_new_string(verdict));
	json_object_object_add(reply, "mode", json_object_new_string(idg_mode_name((unsigned)mode)));
	if (streq(verdict, "denied"))
		(void)snprintf(message, sizeof(message),
			       "idguard: printing needs a purpose token for the printer class; %s holds none "
			       "(ask a supervisor, then 'idguardctl token redeem')", user);
	else if (granted)
		(void)snprintf(message, sizeof(message), "idguard: printed under grant %llu",
			       (unsigned long long)grant.id);
	else
		(void)snprintf(message, sizeof(message), "idguard: printer class in %s mode",
			       idg_mode_name((unsigned)mode));
	json_object_object_add(reply, "message", json_object_new_string(message));
	if (granted)
		json_object_object_add(reply, "grant_id", json_object_new_int64((int64_t)grant.id));
	return reply;
}
