/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The watch list: the devices the gate watches, built from the policy's
 * Device= lines. Node paths are resolved to major:minor here, overlaps
 * between classes are refused with file:line, and each entry gets a device
 * id that is stable across reloads (a hash of what it covers), so an event
 * raised before a reload still names the right entry after it.
 */
#ifndef IDG_WATCHLIST_H
#define IDG_WATCHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "policy.h"

struct idg_watch_entry {
	uint32_t device_id;
	uint8_t class_id;
	uint8_t dev_type;   /* enum idg_dev_type */
	bool whole_major;
	uint32_t major;
	uint32_t minor_lo;
	uint32_t minor_hi;
	char *node;         /* node path when the policy named one */
	char *source;       /* "FILE:LINE" of the Device= line */
};

struct idg_watchlist {
	struct idg_watch_entry *entries;
	size_t count;
	size_t capacity;
};

/* Builds the list from policy. Overlaps and unusable nodes go to diags
 * (errors); node paths absent right now are warnings and are skipped. */
int idg_watchlist_build(const struct idg_policy *policy, struct idg_watchlist **ret_list,
			struct idg_diags *diags);
void idg_watchlist_free(struct idg_watchlist *list);
/* Appends a copy of entry (node and source copied too). -ENOMEM only. */
int idg_watchlist_append(struct idg_watchlist *list, const struct idg_watch_entry *entry);

/* The entry that covers (dev_type, major, minor), with the kernel's
 * precedence: exact minor, then range, then whole major. NULL if none. */
const struct idg_watch_entry *idg_watchlist_find(const struct idg_watchlist *list, unsigned dev_type,
						 uint32_t major, uint32_t minor);
const struct idg_watch_entry *idg_watchlist_by_id(const struct idg_watchlist *list, uint32_t device_id);

/* Splits the minor range [lo, hi] into the fewest aligned blocks; calls
 * emit(block_start, bits, data) for each block of 2^bits minors. */
void idg_range_split(uint32_t lo, uint32_t hi, void (*emit)(uint32_t start, unsigned bits, void *data),
		     void *data);

/* "char 81:0", "char 180:0-15", "char 81:*" for an entry. */
void idg_watch_entry_format(const struct idg_watch_entry *entry, char *buf, size_t size);

#endif
