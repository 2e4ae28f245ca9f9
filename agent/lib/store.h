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
#include <stdbool.h>
#include <stddef.h>
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

/* A request a clerk sent for approval through the relay (the "outbox"):
 * states waiting (not yet taken by the broker), sent (the broker holds
 * it), and the final ones granted, declined, expired, cancelled; withdrawn
 * once the relay has removed the broker's copy of a final one. */
struct idg_stored_request {
	char rid[64];
	uint32_t uid;
	char user[64];
	char code[1024];
	char purpose[64];
	char ref[128];
	uint32_t classes;
	uint32_t minutes;
	bool session_scope;
	uint32_t session;
	char boot_id[33];
	uint64_t created_usec;
	char state[16];
	uint64_t state_usec;
	char detail[256];         /* who answered, or why it ended */
	bool withdrawn;
};

/* -EEXIST when the rid is taken. */
int idg_store_request_add(sqlite3 *db, const struct idg_stored_request *req);
/* 0, -ENOENT or -EIO. */
int idg_store_request_get(sqlite3 *db, const char *rid, struct idg_stored_request *ret);
int idg_store_request_set_state(sqlite3 *db, const char *rid, const char *state, const char *detail, uint64_t usec);
int idg_store_request_set_withdrawn(sqlite3 *db, const char *rid);
/* Rows of uid (or everyone's when all), newest first, at most max; *ret
 * is malloc'd. */
int idg_store_requests_list(sqlite3 *db, bool all, uint32_t uid, size_t max, struct idg_stored_request **ret,
			    size_t *ret_n);
/* Rows the relay must act on: waiting, sent, or final but not withdrawn. */
int idg_store_requests_outbox(sqlite3 *db, size_t max, struct idg_stored_request **ret, size_t *ret_n);
/* How many waiting or sent requests uid has (all users when all). */
int idg_store_requests_open_count(sqlite3 *db, bool all, uint32_t uid, size_t *ret);
/* Deletes final, withdrawn rows that ended before before_usec. */
int idg_store_requests_purge(sqlite3 *db, uint64_t before_usec);

/* This boot's id (/proc/sys/kernel/random/boot_id without dashes). */
int idg_boot_id(char buf[33]);

#endif
