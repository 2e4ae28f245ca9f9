/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared between policy.c (the INI grammar, files and merging) and
 * purposes.c (the [Purpose] and [Approver] sections). Not for other modules.
 */
#ifndef IDG_POLICY_INTERNAL_H
#define IDG_POLICY_INTERNAL_H

#include <sys/types.h>

#include "diag.h"
#include "policy.h"

/* Ids of sections (purposes, approvers, endpoints, brokers) are written in
 * files, tokens and journal fields: letters, digits, '.', '_', '-', starting
 * with a letter or digit, shorter than IDG_NAME_MAX. */
bool idg_policy_valid_id(const char *id);

/* Appending to an array of count items: doubles the allocation when count
 * is a power of two (amortised O(1)). Returns the array to use, or NULL. */
void *idg_policy_grow(void *array, size_t count, size_t item_size);

/* Names (section ids, broker paths, key ids) mapped to the index of their
 * item, so that finding a section costs O(log n) and a policy of many
 * sections parses in time n log n, not n^2. A tree (tsearch), not a hash:
 * no file can make names collide. */
struct idg_name_index {
	void *root;
};

/* The item named name, or -ENOENT. */
ssize_t idg_name_index_find(const struct idg_name_index *index, const char *name);
/* Adds name (not in index yet) as item. 0 or -ENOMEM. */
int idg_name_index_add(struct idg_name_index *index, const char *name, size_t item);
void idg_name_index_clear(struct idg_name_index *index);

/* The sections of struct idg_policy by id, kept as they are added. */
struct idg_policy_index {
	struct idg_name_index purposes, approvers, endpoints, brokers;
};

/* Where a key was written, for diagnostics. */
struct idg_parse_site {
	struct idg_diags *diags;
	const char *file;
	unsigned line;
};

/* Get-or-create the section for id. Returns 0 with *ret set, 1 when id is
 * not acceptable (already reported), -ENOMEM. */
int idg_purpose_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
			struct idg_purpose **ret);
int idg_approver_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
			 struct idg_approver **ret);

/* One key of a [Purpose] / [Approver] section; problems are reported at
 * site. Returns 0 or -ENOMEM. */
int idg_purpose_key(struct idg_purpose *purpose, const char *name, const char *value,
		    const struct idg_parse_site *site);
int idg_approver_key(struct idg_approver *approver, const char *name, const char *value,
		     const struct idg_parse_site *site);

void idg_purposes_free(struct idg_policy *policy);

#endif
