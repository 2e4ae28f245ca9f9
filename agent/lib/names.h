/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The words people read and write for the ids in bpf/idguard.h: class,
 * mode, verdict and reason names as they appear in policy files, the CLI,
 * JSON output and journal fields. One table each, looked up both ways.
 */
#ifndef IDG_NAMES_H
#define IDG_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "idguard.h"

/* "scanner" -> IDG_CLASS_SCANNER; 0 when unknown. */
int idg_class_from_name(const char *name);
/* Every class name, for messages that list them. */
#define IDG_CLASS_NAMES_TEXT "scanner, camera, card-reader, printer, storage, unclassified, other"
/* IDG_CLASS_SCANNER -> "scanner"; "unknown" for ids without a name. */
const char *idg_class_name(unsigned class_id);
/* "scanner,camera" -> mask of (1 << class); -EINVAL with the word not
 * understood copied into bad (empty when the list itself is empty). */
int idg_class_mask_parse(const char *list, uint32_t *ret_mask, char *bad, size_t bad_size);
/* mask -> "scanner,camera" into buf. */
void idg_class_mask_format(uint32_t mask, char *buf, int size);

/* "off" | "audit" | "enforce" -> enum idg_mode; -EINVAL when unknown. */
int idg_mode_from_name(const char *name);
const char *idg_mode_name(unsigned mode);

const char *idg_verdict_name(unsigned verdict); /* "denied", "audited", "granted" */
const char *idg_reason_name(unsigned reason);   /* "no-grant", "grant-expired", ... */
const char *idg_dev_type_name(unsigned dev_type); /* "char", "block" */
/* IDG_STAT_DENIED -> "denied": the counter names of status output. */
const char *idg_stat_name(unsigned stat);
/* access bits -> "read", "read,write", ... into buf. */
void idg_access_format(unsigned access, char *buf, int size);

#endif
