/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Turns a kernel decision record into the journal record people and
 * auditors read: who (user and uid), what (class, device node, and the
 * device a person recognises: vendor, model, VID:PID, serial), with which
 * program, the verdict and why, under which grant, and how many times.
 */
#ifndef IDG_DESCRIBE_H
#define IDG_DESCRIBE_H

#include <stdbool.h>
#include <stdint.h>

#include "idguard.h"
#include "journal.h"

struct idg_watchlist;
struct idg_grants;
struct idg_device_table;
struct idg_policy;

struct idg_describe_context {
	const struct idg_watchlist *watches; /* what the kernel map holds; may be NULL */
	const struct idg_device_table *devices; /* from udev; may be NULL */
	const struct idg_policy *policy;     /* names endpoints and brokers; may be NULL */
	struct idg_grants *grants;           /* may be NULL */
	/* CLOCK_REALTIME minus CLOCK_BOOTTIME, in µs, to date kernel records. */
	int64_t boot_to_realtime_usec;
	/* Where /sys/dev lives (tests point it elsewhere); NULL for "/sys/dev". */
	const char *sysfs_dev_dir;
};

/* Fills rec with MESSAGE_ID, PRIORITY, MESSAGE and IDGUARD_*. */
void idg_describe_event(const struct idg_event *ev, const struct idg_describe_context *ctx, struct idg_record *rec);

struct idg_grant_info;
/* "grant 7: administrator grant" or "grant 9: token T for P, ref R,
 * approved by A", with ", until HH:MM:SS" when with_until. */
void idg_grant_summary(const struct idg_grant_info *g, bool with_until, char *buf, size_t size);
/* IDGUARD_GRANT_SOURCE, and IDGUARD_TOKEN_ID, _PURPOSE, _REF, _APPROVER when
 * the grant has them (the caller adds IDGUARD_GRANT_ID). */
void idg_record_add_grant_details(struct idg_record *rec, const struct idg_grant_info *g);

/* Current CLOCK_REALTIME - CLOCK_BOOTTIME in µs. */
int64_t idg_boot_to_realtime_usec(void);

/* "/dev/video0" for a major:minor from sysfs (DEVNAME in uevent); 0 or -errno. */
int idg_node_from_sysfs(const char *sysfs_dev_dir, unsigned dev_type, uint32_t major, uint32_t minor, char *buf,
			size_t size);

/* "alice" for a uid, or "uid 1234" when it has no name. */
void idg_user_name(uint32_t uid, char *buf, size_t size);

#endif
