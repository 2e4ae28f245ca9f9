/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state database: one SQLite file under the state directory
 * (/var/lib/idguard/state.db). It holds grants (live and ended, so the
 * journal's grant ids stay explainable) and the ids of redeemed tokens and
 * of their requests, for replay protection. The schema is versioned with
 * PRAGMA user_version and upgraded in place.
 */
#ifndef IDG_STORE_H
#define IDG_STORE_H

#include <sqlite3.h>
#include <stdint.h>

struct idg_error;

#define IDG_DEFAULT_STATE_DIR "/var/lib/idguard"

/* Opens (creating when needed, mode 0600) and migrates the database. */
int idg_store_open(const char *state_dir, sqlite3 **ret_db, struct idg_error *err);
void idg_store_close(sqlite3 *db);

/* Named counters that must survive restarts (e.g. what was last reported). */
int idg_store_get_counter(sqlite3 *db, const char *name, uint64_t *ret);
int idg_store_set_counter(sqlite3 *db, const char *name, uint64_t value);

/* Replay protection: 1 when the token jti, or another token approved from
 * the same request (request_id, "" when none), was redeemed; 0 when not. */
int idg_store_token_redeemed(sqlite3 *db, const char *jti, const char *request_id);
/* Records jti (and its request) as redeemed; -EEXIST when it already was. */
int idg_store_record_token(sqlite3 *db, const char *jti, const char *request_id, uint32_t uid, const char *user,
			   const char *purpose, const char *approver, uint64_t grant_id);

/* This boot's id (/proc/sys/kernel/random/boot_id without dashes). */
int idg_boot_id(char buf[33]);

#endif
