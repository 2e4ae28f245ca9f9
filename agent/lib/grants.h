/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Grants: "this uid (or audit session) may use these classes until T". The
 * table lives in the state database; the kernel's grants map is a function
 * of the live rows (per subject: the union of classes, the latest expiry
 * per class), recomputed whenever a grant starts or ends. Expiry is kept on
 * CLOCK_BOOTTIME, which neither wall-clock jumps nor suspend can stretch.
 */
#ifndef IDG_GRANTS_H
#define IDG_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "idguard.h"

struct idg_error;

struct idg_grant_info {
	uint64_t id;
	uint32_t scope;          /* enum idg_grant_scope */
	uint32_t subject;        /* uid or audit session id */
	uint32_t uid;            /* the user's uid, also for session grants */
	char user[64];
	uint32_t class_mask;
	uint64_t created_usec;   /* CLOCK_REALTIME, for people */
	uint64_t expires_usec;   /* CLOCK_REALTIME, for people */
	uint64_t duration_ns;
	uint64_t expires_boot_ns; /* CLOCK_BOOTTIME: what the kernel enforces */
	char source[16];         /* "admin" or "token" */
	uint32_t added_by_uid;
	char token_id[64];
	char purpose[64];
	char ref[128];
	char approver[64];
	bool ended;
	char end_reason[32];     /* "expired", "removed", ... */
};

struct idg_grants;

/* Loads the live grants. Grants of an earlier boot keep at most what was
 * left of them by the wall clock, capped at their original duration;
 * session grants of an earlier boot have expired (session ids restart). */
int idg_grants_open(sqlite3 *db, struct idg_grants **ret, struct idg_error *err);
void idg_grants_free(struct idg_grants *grants);

/* Stores a new grant; fills info->id, created and expiry fields from
 * info->duration_ns. */
int idg_grants_add(struct idg_grants *grants, struct idg_grant_info *info, struct idg_error *err);
/* Ends a live grant; copies it to ret (when non-NULL). -ENOENT if not live. */
int idg_grants_end(struct idg_grants *grants, uint64_t id, const char *reason, struct idg_grant_info *ret);
/* Ends every live grant whose expiry has passed, calling fn for each. */
int idg_grants_expire(struct idg_grants *grants, uint64_t now_boot_ns,
		      void (*fn)(const struct idg_grant_info *info, void *data), void *data);

/* A grant by id, live or ended (ended ones are read from the database). */
int idg_grants_get(struct idg_grants *grants, uint64_t id, struct idg_grant_info *ret);
/* The live grants, in id order. */
size_t idg_grants_count(const struct idg_grants *grants);
const struct idg_grant_info *idg_grants_at(const struct idg_grants *grants, size_t index);

/* The kernel value for one subject; returns false when nothing is live. */
bool idg_grants_kernel_value(const struct idg_grants *grants, uint32_t scope, uint32_t subject,
			     struct idg_grant *ret);

#endif
