/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Exempt cgroups: trusted services (cupsd, saned, udev...) whose device
 * access is never gated. Policy names them by systemd unit or by cgroup path;
 * this resolves both to cgroup ids under the cgroup v2 root. The kernel also
 * exempts descendants of an exempt cgroup.
 */
#ifndef IDG_EXEMPT_H
#define IDG_EXEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "policy.h"

struct idg_exempt_set {
	uint64_t *ids;
	char **paths; /* the cgroup directory of each id, for status output */
	size_t count;
};

/* Resolves the policy's [Exempt] entries: CGroup= paths under cgroup_root
 * (the cgroup v2 mount), units under units_root (the cgroup the gate
 * guards, where only exemptions matter; the root in production). A unit
 * without a cgroup right now (not running) is a warning, not an error. */
int idg_exempt_resolve(const struct idg_policy *policy, const char *cgroup_root, const char *units_root,
		       struct idg_exempt_set *ret, struct idg_diags *diags);
/* Whether two sets hold the same ids. */
bool idg_exempt_set_equal(const struct idg_exempt_set *a, const struct idg_exempt_set *b);
void idg_exempt_set_clear(struct idg_exempt_set *set);

#endif
