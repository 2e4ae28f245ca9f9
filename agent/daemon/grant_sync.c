// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keeping the kernel's grants map equal to the live grants in the state
 * database, and recording grants as they end. The kernel stops honouring a
 * grant at its expiry on its own; this only tidies up and tells the journal.
 */
#include "daemon.h"

#include <errno.h>

#include "describe.h"
#include "names.h"

int daemon_grants_sync_subject(struct daemon *d, uint32_t scope, uint32_t subject)
{
	struct idg_grant_key key = { .scope = scope, .subject = subject };
	struct idg_grant value;

	if (idg_grants_kernel_value(d->grants, scope, subject, &value))
		return idg_gate_put_grant(d->gate, &key, &value);
	return idg_gate_put_grant(d->gate, &key, NULL);
}

struct stale_keys {
	struct idg_grant_key keys[IDG_MAX_GRANTS];
	size_t count;
	struct idg_grants *grants;
};

static int collect_stale(const struct idg_grant_key *key, const struct idg_grant *value, void *data)
{
	struct stale_keys *stale = data;
	struct idg_grant live;

	if (!idg_grants_kernel_value(stale->grants, key->scope, key->subject, &live) && stale->count < IDG_MAX_GRANTS)
		stale->keys[stale->count++] = *key;
	return 0;
}

int daemon_grants_sync_all(struct daemon *d, struct idg_error *err)
{
	struct stale_keys *stale = calloc(1, sizeof(*stale));
	int r;

	if (!stale)
		return idg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < idg_grants_count(d->grants); i++) {
		const struct idg_grant_info *g = idg_grants_at(d->grants, i);

		r = daemon_grants_sync_subject(d, g->scope, g->subject);
		if (r < 0) {
			free(stale);
			return idg_error_errno(err, r, "cannot restore grant %llu into the kernel", (unsigned long long)g->id);
		}
	}
	stale->grants = d->grants;
	r = idg_gate_foreach_grant(d->gate, collect_stale, stale);
	for (size_t i = 0; r == 0 && i < stale->count; i++)
		r = idg_gate_put_grant(d->gate, &stale->keys[i], NULL);
	free(stale);
	if (r < 0)
		return idg_error_errno(err, r, "cannot remove stale grants from the kernel");
	return 0;
}

static void on_expired(const struct idg_grant_info *g, void *data)
{
	struct daemon *d = data;
	struct idg_record rec;
	char classes[128], when[64];
	int r;

	idg_class_mask_format(g->class_mask, classes, sizeof(classes));
	idg_format_time(g->expires_usec, when, sizeof(when));
	idg_record_init(&rec, IDG_MSG_TOKEN_EXPIRED, LOG_NOTICE);
	if (streq(g->end_reason, "reboot"))
		idg_record_add(&rec, "MESSAGE",
			       "Grant %llu for %s (uid %u) to use %s in audit session %u ended with the reboot: session ids "
			       "start again at boot, so a session grant does not outlive it",
			       (unsigned long long)g->id, g->user, g->uid, classes, g->subject);
	else
		idg_record_add(&rec, "MESSAGE", "Grant %llu for %s (uid %u) to use %s expired at %s; from now on that needs a new %s",
			       (unsigned long long)g->id, g->user, g->uid, classes, when,
			       streq(g->source, "token") ? "purpose token" : "grant");
	idg_record_add(&rec, "IDGUARD_GRANT_END", "%s", g->end_reason);
	idg_record_add(&rec, "IDGUARD_GRANT_ID", "%llu", (unsigned long long)g->id);
	idg_record_add_grant_details(&rec, g);
	idg_record_add(&rec, "IDGUARD_USER", "%s", g->user);
	idg_record_add(&rec, "IDGUARD_UID", "%u", g->uid);
	idg_record_add(&rec, "IDGUARD_CLASS", "%s", classes);
	idg_record_add(&rec, "IDGUARD_EXPIRES_USEC", "%llu", (unsigned long long)g->expires_usec);
	idg_record_add(&rec, "IDGUARD_SCOPE", "%s", g->scope == IDG_SCOPE_SESSION ? "session" : "uid");
	daemon_send(d, &rec);
	r = daemon_grants_sync_subject(d, g->scope, g->subject);
	if (r < 0)
		log_warning("cannot update the kernel after grant %llu expired: %s", (unsigned long long)g->id,
			    strerror(-r));
	daemon_notice_ending_begin(d, g);
	daemon_end_open_handles(d, g);
	daemon_notice_ended(d, g);
}

int daemon_grant_end(struct daemon *d, uint64_t id, const char *reason, struct idg_grant_info *ret)
{
	int r = idg_grants_end(d->grants, id, reason, ret);

	if (r < 0)
		return r;
	r = daemon_grants_sync_subject(d, ret->scope, ret->subject);
	daemon_notice_ending_begin(d, ret);
	daemon_end_open_handles(d, ret);
	daemon_notice_ended(d, ret);
	return r;
}

void daemon_grants_expire(struct daemon *d)
{
	if (idg_grants_expire(d->grants, idg_now_boot_ns(), on_expired, d) < 0)
		log_warning("cannot record expired grants in the state database");
}
