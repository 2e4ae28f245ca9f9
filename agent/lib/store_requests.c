// SPDX-License-Identifier: GPL-2.0-only
/*
 * The outbox of approval requests (see store.h): what a clerk sent through
 * the relay, so that nothing is lost while the broker, the relay or
 * idguardd itself is down, and so that an answer is only taken for a
 * request this workstation really sent, for the clerk who sent it.
 */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define COLUMNS                                                                                                      \
	"rid, uid, user, code, purpose, ref, classes, minutes, scope, session, boot_id, created_usec, state, "       \
	"state_usec, detail, withdrawn"

static void copy_text(sqlite3_stmt *stmt, int column, char *buf, size_t size)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	(void)snprintf(buf, size, "%s", text ? (const char *)text : "");
}

static void read_row(sqlite3_stmt *stmt, struct idg_stored_request *r)
{
	*r = (struct idg_stored_request){ 0 };
	copy_text(stmt, 0, r->rid, sizeof(r->rid));
	r->uid = (uint32_t)sqlite3_column_int64(stmt, 1);
	copy_text(stmt, 2, r->user, sizeof(r->user));
	copy_text(stmt, 3, r->code, sizeof(r->code));
	copy_text(stmt, 4, r->purpose, sizeof(r->purpose));
	copy_text(stmt, 5, r->ref, sizeof(r->ref));
	r->classes = (uint32_t)sqlite3_column_int64(stmt, 6);
	r->minutes = (uint32_t)sqlite3_column_int64(stmt, 7);
	r->session_scope = streq((const char *)sqlite3_column_text(stmt, 8), "session");
	r->session = (uint32_t)sqlite3_column_int64(stmt, 9);
	copy_text(stmt, 10, r->boot_id, sizeof(r->boot_id));
	r->created_usec = (uint64_t)sqlite3_column_int64(stmt, 11);
	copy_text(stmt, 12, r->state, sizeof(r->state));
	r->state_usec = (uint64_t)sqlite3_column_int64(stmt, 13);
	copy_text(stmt, 14, r->detail, sizeof(r->detail));
	r->withdrawn = sqlite3_column_int(stmt, 15) != 0;
}

int idg_store_request_add(sqlite3 *db, const struct idg_stored_request *req)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO requests (" COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)", -1,
			       &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(stmt, 1, req->rid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, req->uid);
	sqlite3_bind_text(stmt, 3, req->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, req->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, req->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, req->ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, req->classes);
	sqlite3_bind_int64(stmt, 8, req->minutes);
	sqlite3_bind_text(stmt, 9, req->session_scope ? "session" : "uid", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 10, req->session);
	sqlite3_bind_text(stmt, 11, req->boot_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 12, (sqlite3_int64)req->created_usec);
	sqlite3_bind_text(stmt, 13, req->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 14, (sqlite3_int64)req->state_usec);
	sqlite3_bind_text(stmt, 15, req->detail, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int idg_store_request_get(sqlite3 *db, const char *rid, struct idg_stored_request *ret)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " COLUMNS " FROM requests WHERE rid = ?", -1, &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(stmt, 1, rid, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		read_row(stmt, ret);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static int exec_bound(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c, int64_t n)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -EIO;
	if (a)
		sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
	if (c)
		sqlite3_bind_text(stmt, 3, c, -1, SQLITE_STATIC);
	/* ?4, where the statement has it (binding a missing one is harmless). */
	(void)sqlite3_bind_int64(stmt, 4, n);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db) > 0 ? 0 : -ENOENT;
}

int idg_store_request_set_state(sqlite3 *db, const char *rid, const char *state, const char *detail, uint64_t usec)
{
	return exec_bound(db, "UPDATE requests SET state = ?2, detail = ?3, state_usec = ?4 WHERE rid = ?1", rid, state,
			  detail ? detail : "", (int64_t)usec);
}

int idg_store_request_set_withdrawn(sqlite3 *db, const char *rid)
{
	return exec_bound(db, "UPDATE requests SET withdrawn = 1 WHERE rid = ?1", rid, NULL, NULL, 0);
}

static int select_rows(sqlite3 *db, const char *sql, bool bind_uid, uint32_t uid, size_t max,
		       struct idg_stored_request **ret, size_t *ret_n)
{
	struct idg_stored_request *rows = NULL;
	sqlite3_stmt *stmt;
	size_t n = 0;
	int rc;

	*ret = NULL;
	*ret_n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -EIO;
	/* ?1 is the uid where the query has one, ?2 the limit. */
	if (bind_uid)
		sqlite3_bind_int64(stmt, 1, uid);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct idg_stored_request *more = reallocarray(rows, n + 1, sizeof(*rows));

		if (!more) {
			free(rows);
			sqlite3_finalize(stmt);
			return -ENOMEM;
		}
		rows = more;
		read_row(stmt, &rows[n++]);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		free(rows);
		return -EIO;
	}
	*ret = rows;
	*ret_n = n;
	return 0;
}

int idg_store_requests_list(sqlite3 *db, bool all, uint32_t uid, size_t max, struct idg_stored_request **ret,
			    size_t *ret_n)
{
	return select_rows(db,
			   all ? "SELECT " COLUMNS " FROM requests ORDER BY created_usec DESC LIMIT ?2"
			       : "SELECT " COLUMNS " FROM requests WHERE uid = ?1 ORDER BY created_usec DESC LIMIT ?2",
			   !all, uid, max, ret, ret_n);
}

int idg_store_requests_outbox(sqlite3 *db, size_t max, struct idg_stored_request **ret, size_t *ret_n)
{
	return select_rows(db,
			   "SELECT " COLUMNS " FROM requests WHERE state IN ('waiting', 'sent') OR withdrawn = 0 "
			   "ORDER BY created_usec LIMIT ?2",
			   false, 0, max, ret, ret_n);
}

int idg_store_requests_open_count(sqlite3 *db, bool all, uint32_t uid, size_t *ret)
{
	sqlite3_stmt *stmt;
	int rc;

	*ret = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM requests WHERE state IN ('waiting', 'sent') AND (?2 OR uid = ?1)",
			       -1, &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, uid);
	sqlite3_bind_int(stmt, 2, all);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*ret = (size_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int idg_store_requests_purge(sqlite3 *db, uint64_t before_usec)
{
	int r = exec_bound(db,
			   "DELETE FROM requests WHERE withdrawn = 1 AND state NOT IN ('waiting', 'sent') "
			   "AND state_usec < ?4",
			   NULL, NULL, NULL, (int64_t)before_usec);

	return r == -ENOENT ? 0 : r;
}
