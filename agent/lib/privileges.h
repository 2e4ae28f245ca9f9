/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Dropping privileges after setup. The daemon stays uid 0 (it reads every
 * user's /proc entries and ends processes that hold a device after their
 * grant) but keeps no capability it does not use, and
 * cannot regain any: the bounding and ambient sets are emptied, no_new_privs
 * and SECBIT_NOROOT are set and locked.
 */
#ifndef IDG_PRIVILEGES_H
#define IDG_PRIVILEGES_H

#include <sys/capability.h>

struct idg_error;

/* Keeps only keep[0..n) in the permitted and effective sets, clears the rest
 * everywhere, then reads the sets back to prove it. Any failure is an error. */
int idg_privileges_drop(const cap_value_t *keep, int n, struct idg_error *err);

/* Human-readable current capability set (e.g. "=" for none). */
int idg_privileges_describe(char *buf, size_t size);

#endif
