/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Journal records: one fixed MESSAGE_ID per kind of event (the catalog in
 * packaging/ explains each), IDGUARD_* fields, and a MESSAGE= sentence.
 * Records go to journald with sd_journal_sendv(); when no journald socket
 * exists they go to stderr as the same fields, one record per line.
 */
#ifndef IDG_JOURNAL_H
#define IDG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* These ids are a public contract: auditors' queries and the catalog use them. */
#define IDG_MSG_ACCESS_DENIED   "4388eff3830246b8a36ebe694f645030"
#define IDG_MSG_ACCESS_AUDITED  "79c9602e7c0149ce93c13e57dc3441a4"
#define IDG_MSG_ACCESS_GRANTED  "692a64ee623e423a889a20bd512f4228"
#define IDG_MSG_TOKEN_REDEEMED  "60fe6864156b4b3d9c5e283412ab4291"
#define IDG_MSG_TOKEN_REJECTED  "3c277bfaf5874c46b82fc59a6661218e"
#define IDG_MSG_TOKEN_REVOKED   "4d479a24989b408eba3130061aef94cf"
#define IDG_MSG_TOKEN_EXPIRED   "f234d5a927d14f4880f834d2d1cf5459"
#define IDG_MSG_HANDLE_ENDED    "9d1b644607994bbc93c38b2518339e29"
#define IDG_MSG_EVENTS_LOST     "ebf8d6be1a6e4b009ac6aa2721645cc9"
#define IDG_MSG_AGENT_STARTED   "41bfc5007ccc48cf8eb0ea6d6f4b932f"
#define IDG_MSG_AGENT_STOPPED   "8aebb73e4c4a43e8b2f1232c254ff24d"
#define IDG_MSG_POLICY_LOADED   "ee1405e71e7045818a345b660630a407"
#define IDG_MSG_POLICY_REJECTED "33a70e7e572f46e3a158f7ea84dd8e61"
#define IDG_MSG_TAMPER          "9248df4902834102b2dedf4a8ee85ec9"
#define IDG_MSG_GRANT_ADDED     "03ea3c7821fe46ccbc3481e0af3a7056"
#define IDG_MSG_GRANT_REMOVED   "6ff8a0ea10164df3ac950645b286e001"
#define IDG_MSG_DEVICE_ADDED    "042580e662a649309eff2805ffc3d619"
#define IDG_MSG_DEVICE_REMOVED  "5e526101d1084b9d8fa55f75d363b695"
#define IDG_MSG_CLIENT_CLOSED   "841bbcb0a4cc4e00956a9f1970f63dd4"
/* The online approval round trip (requests.c, idguard-relay(8)). */
#define IDG_MSG_REQUEST_QUEUED    "dd4721d2b5ce4d089c8bb7fc8f0077f0"
#define IDG_MSG_REQUEST_SENT      "277090e489a042a499c8eaef6bbd7496"
#define IDG_MSG_REQUEST_ENDED     "6480ca48164241e282492125b7ca41b8"
#define IDG_MSG_REQUEST_WITHDRAWN "50e5e53e92ee41b7a5582df81980406a"
#define IDG_MSG_RELAY_STATE       "b11feea1451742669cd5948f443ae147"

#define IDG_RECORD_MAX_FIELDS 48
#define IDG_RECORD_MAX_BYTES 8192

/* A record under construction: "FIELD=value" strings in one buffer. */
struct idg_record {
	char buf[IDG_RECORD_MAX_BYTES];
	size_t used;
	size_t count;
	size_t offsets[IDG_RECORD_MAX_FIELDS];
	bool truncated; /* a field did not fit; sending adds IDGUARD_TRUNCATED=1 */
	/* Fields in which ID-number-shaped text was withheld (space-separated
	 * names); sending adds them as IDGUARD_WITHHELD=. */
	char withheld[256];
};

/* Starts a record with MESSAGE_ID and PRIORITY. */
void idg_record_init(struct idg_record *rec, const char *message_id, int priority);
/* Adds FIELD=value (printf-style); values are cut at the first newline.
 * This is where every value of every record passes: ID-number-shaped text
 * in it is replaced by "[withheld]" (idg_withhold()), whoever wrote it
 * (Article 8: no card data in any record). */
void idg_record_add(struct idg_record *rec, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The value of FIELD, or NULL (tests and stderr output use it). */
const char *idg_record_get(const struct idg_record *rec, const char *field);

enum idg_journal_target {
	IDG_JOURNAL_AUTO,    /* journald when its socket exists, else stderr */
	IDG_JOURNAL_STDERR,
};

/* Chooses where records go; returns a description for the start-up line. */
const char *idg_journal_open(enum idg_journal_target target);
/* true when records currently go to journald. */
bool idg_journal_is_journald(void);
/* Sends a record. Falls back to stderr if journald refuses it, so a record
 * is never dropped without a trace; returns -errno of the journald failure. */
int idg_journal_send(const struct idg_record *rec);

#endif
