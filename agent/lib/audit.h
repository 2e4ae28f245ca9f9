/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The auditor's view of the journal: idguard's records as rows with named
 * columns, the time syntax auditors type (a subset of systemd.time(7)),
 * RFC 4180 CSV, the summary counts, and the last line of defence for
 * Article 8: any value that looks like a resident ID number is withheld
 * before it is printed, and the row is flagged. Pure: the journal itself is
 * read by idguardctl audit (agent/ctl/ctl_audit.c).
 */
#ifndef IDG_AUDIT_H
#define IDG_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The journal fields an audit row keeps, in output order. */
enum idg_audit_field {
	IDG_AF_HOST,        /* the sender as the collector filed it, else _HOSTNAME */
	IDG_AF_CLAIMED_HOST, /* _HOSTNAME, when the host is the collector's */
	IDG_AF_SENDER_ADDRESS, /* the collector's name for the sender, when host is the site's name */
	IDG_AF_EVENT,       /* derived from MESSAGE_ID */
	IDG_AF_VERDICT,
	IDG_AF_CLASS,
	IDG_AF_USER,
	IDG_AF_UID,
	IDG_AF_COUNT,
	IDG_AF_GATE,
	IDG_AF_DEVICE,
	IDG_AF_NODE,
	IDG_AF_DEVICE_LABEL,
	IDG_AF_VID_PID,
	IDG_AF_ENDPOINT,
	IDG_AF_ADDRESS,
	IDG_AF_PORT,
	IDG_AF_PRINT_QUEUE,
	IDG_AF_COMM,
	IDG_AF_PID,
	IDG_AF_REASON,
	IDG_AF_GRANT_ID,
	IDG_AF_GRANT_SOURCE,
	IDG_AF_TOKEN_ID,
	IDG_AF_REQUEST_ID,
	IDG_AF_PURPOSE,
	IDG_AF_REF,
	IDG_AF_APPROVER,
	IDG_AF_MESSAGE_ID,
	IDG_AF_MESSAGE,
	IDG_AF_COUNT_OF_FIELDS,
};

/* Column name ("host", "vid_pid") and journal field ("_HOSTNAME",
 * "IDGUARD_VID_PID"; NULL for the derived "event"). */
const char *idg_audit_column(enum idg_audit_field field);
const char *idg_audit_journal_field(enum idg_audit_field field);

struct idg_audit_row {
	uint64_t time_usec;                   /* CLOCK_REALTIME of the record */
	char *values[IDG_AF_COUNT_OF_FIELDS]; /* NULL when absent */
	bool redacted;                        /* a value looked like an ID number */
};

/* Sets a value (copied), with ID-number-shaped text withheld. -ENOMEM. */
int idg_audit_row_set(struct idg_audit_row *row, enum idg_audit_field field, const char *value, size_t len);
void idg_audit_row_clear(struct idg_audit_row *row);

/* Every idguard MESSAGE_ID, and its event name ("access-denied", ...). */
size_t idg_audit_message_ids(const char *const **ret);
const char *idg_audit_event_name(const char *message_id);
/* The MESSAGE_ID of an event name ("token-redeemed"), or NULL. */
const char *idg_audit_event_id(const char *event);

/* Replaces, in place, each resident-ID-number-shaped run in text with
 * "[withheld]"; true when it did. text must have room: the result is
 * never longer than the input. */
bool idg_audit_redact(char *text);

/* "2026-11-22", "2026-11-22 10:15[:30]", "today", "yesterday", "now",
 * "-2h", "+30min", "3 days ago", "@1700000000" -> µs since the epoch.
 * -EINVAL for anything else. */
int idg_audit_parse_time(const char *text, uint64_t now_usec, uint64_t *ret_usec);

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; a
 * leading ' when it starts with = + - or @ (no spreadsheet formulas). */
void idg_csv_write_field(FILE *out, const char *value);

#endif
