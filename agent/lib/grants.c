// SPDX-License-Identifier: GPL-2.0-only
/* The grant table and its kernel projection (see grants.h). */
#include "grants.h"

#include <errno.h>

#include "store.h"
#include "util.h"

struct idg_grants {
	sqlite3 *db;
	char boot_id[33];
	struct idg_grant_info *live;
	size_t count;
	size_t allocated;
};

#define GRANT_COLUMNS                                                                                  \
	"id, scope, subject, uid, user, classes, created_usec, expires_usec, duration_ns, boot_id, " \
	"expires_boot_ns, source, added_by_uid, token_id, purpose, ref, approver, ended_usec, end_reason"

static void copy_text(char *dst, size_t size, sqlite3_stmt *stmt, int col)
{
	const unsigned char *text = sqlite3_column_text(stmt, col);

	(void)snprintf(dst, size, "%s", text ? (const char *)text : "");
}

static void row_to_info(sqlite3_stmt *stmt, struct idg_grant_info *g, char boot_id[33])
{
	memset(g, 0, sizeof(*g));
	g->id = (uint64_t)sqlite3_column_int64(stmt, 0);
	g->scope = streq((const char *)sqlite3_column_text(stmt, 1), "session") ? IDG_SCOPE_SESSION : IDG_SCOPE_UID;
	g->subject = (uint32_t)sqlite3_column_int64(stmt, 2);
	g->uid = (uint32_t)sqlite3_column_int64(stmt, 3);
	copy_text(g->user, sizeof(g->user), stmt, 4);
	g->class_mask = (uint32_t)sqlite3_column_int64(stmt, 5);
	g->created_usec = (uint64_t)sqlite3_column_int64(stmt, 6);
	g->expires_usec = (uint64_t)sqlite3_column_int64(stmt, 7);
	g->duration_ns = (uint64_t)sqlite3_column_int64(stmt, 8);
	copy_text(boot_id, 33, stmt, 9);
	g->expires_boot_ns = (uint64_t)sqlite3_column_int64(stmt, 10);
	copy_text(g->source, sizeof(g->source), stmt, 11);
	g->added_by_uid = (uint32_t)sqlite3_column_int64(stmt, 12);
	copy_text(g->token_id, sizeof(g->token_id), stmt, 13);
	copy_text(g->purpose, sizeof(g->purpose), stmt, 14);
	copy_text(g->ref, sizeof(g->ref), stmt, 15);
	copy_text(g->approver, sizeof(g->approver), stmt, 16);
	g->ended = sqlite3_column_type(stmt, 17) != SQLITE_NULL;
	copy_text(g->end_reason, sizeof(g->end_reason), stmt, 18);
}

static int append_live(struct idg_grants *grants, const struct idg_grant_info *g)
{
	if (grants->count == grants->allocated) {
		size_t n = grants->allocated ? grants->allocated * 2 : 16;
		struct idg_grant_info *live = realloc(grants->live, n * sizeof(*live));

		if (!live)
			return -ENOMEM;
		grants->live = live;
		grants->allocated = n;
	}
	grants->live[grants->count++] = *g;
	return 0;
}

static int db_error(struct idg_grants *grants, struct idg_error *err, const char *what)
{
	return idg_error_set(err, -EIO, "state database: %s: %s", what, sqlite3_errmsg(grants->db));
}

/* Moves a grant of an earlier boot onto this boot's clock, without ever
 * giving it more time than it had left or than it was granted. */
static int rebase_to_this_boot(struct idg_grants *grants, struct idg_grant_info *g, bool *ret_expired)
{
	uint64_t now_usec = idg_now_realtime_usec(), left_ns;
	sqlite3_stmt *stmt;
	int rc;

	left_ns = g->expires_usec > now_usec ? (g->expires_usec - now_usec) * 1000 : 0;
	if (left_ns > g->duration_ns)
		left_ns = g->duration_ns;
	/* Audit session ids start again at boot: the number may now be someone
	 * else's login, so a session grant ends with the boot it was made in. */
	if (g->scope == IDG_SCOPE_SESSION) {
		left_ns = 0;
		(void)snprintf(g->end_reason, sizeof(g->end_reason), "reboot");
		if (g->expires_usec > now_usec)
			g->expires_usec = now_usec;
	}
	*ret_expired = left_ns == 0;
	/* Stored too, so a restart before the expiry pass cannot revive it. */
	g->expires_boot_ns = *ret_expired ? 0 : idg_now_boot_ns() + left_ns;
	if (!*ret_expired)
		g->expires_usec = now_usec + left_ns / 1000;
	if (sqlite3_prepare_v2(grants->db,
			       "UPDATE grants SET boot_id = ?, expires_boot_ns = ?, expires_usec = ? WHERE id = ?", -1,
			       &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(stmt, 1, grants->boot_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)g->expires_boot_ns);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)g->expires_usec);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)g->id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int mark_ended(struct idg_grants *grants, uint64_t id, const char *reason)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(grants->db, "UPDATE grants SET ended_usec = ?, end_reason = ? WHERE id = ?", -1, &stmt,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)idg_now_realtime_usec());
	sqlite3_bind_text(stmt, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int idg_grants_open(sqlite3 *db, struct idg_grants **ret, struct idg_error *err)
{
	struct idg_grants *grants = calloc(1, sizeof(*grants));
	sqlite3_stmt *stmt = NULL;
	int r = 0, rc;

	if (!grants)
		return idg_error_set(err, -ENOMEM, "out of memory");
	grants->db = db;
	r = idg_boot_id(grants->boot_id);
	if (r < 0) {
		idg_error_errno(err, r, "cannot read the boot id");
		goto fail;
	}
	if (sqlite3_prepare_v2(db, "SELECT " GRANT_COLUMNS " FROM grants WHERE ended_usec IS NULL ORDER BY id", -1,
			       &stmt, NULL) != SQLITE_OK) {
		r = db_error(grants, err, "reading grants");
		goto fail;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct idg_grant_info g;
		char boot_id[33];
		bool expired = false;

		row_to_info(stmt, &g, boot_id);
		if (!streq(boot_id, grants->boot_id)) {
			r = rebase_to_this_boot(grants, &g, &expired);
			if (r < 0) {
				r = db_error(grants, err, "moving a grant to this boot");
				goto fail;
			}
		}
		/* Expired while we were away: idg_grants_expire() reports it. */
		if (expired)
			g.expires_boot_ns = 0;
		r = append_live(grants, &g);
		if (r < 0) {
			idg_error_set(err, r, "out of memory");
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		r = db_error(grants, err, "reading grants");
		goto fail;
	}
	sqlite3_finalize(stmt);
	*ret = grants;
	return 0;
fail:
	sqlite3_finalize(stmt);
	idg_grants_free(grants);
	return r;
}

void idg_grants_free(struct idg_grants *grants)
{
	if (!grants)
		return;
	free(grants->live);
	free(grants);
}

int idg_grants_add(struct idg_grants *grants, struct idg_grant_info *g, struct idg_error *err)
{
	sqlite3_stmt *stmt;
	int rc, r;

	g->created_usec = idg_now_realtime_usec();
	g->expires_usec = g->created_usec + g->duration_ns / 1000;
	g->expires_boot_ns = idg_now_boot_ns() + g->duration_ns;
	g->ended = false;
	if (sqlite3_prepare_v2(grants->db,
			       "INSERT INTO grants (scope, subject, uid, user, classes, created_usec, expires_usec, "
			       "duration_ns, boot_id, expires_boot_ns, source, added_by_uid, token_id, purpose, ref, approver) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''))",
			       -1, &stmt, NULL) != SQLITE_OK)
		return db_error(grants, err, "storing a grant");
	sqlite3_bind_text(stmt, 1, g->scope == IDG_SCOPE_SESSION ? "session" : "uid", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, g->subject);
	sqlite3_bind_int64(stmt, 3, g->uid);
	sqlite3_bind_text(stmt, 4, g->user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, g->class_mask);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)g->created_usec);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)g->expires_usec);
	sqlite3_bind_int64(stmt, 8, (sqlite3_int64)g->duration_ns);
	sqlite3_bind_text(stmt, 9, grants->boot_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 10, (sqlite3_int64)g->expires_boot_ns);
	sqlite3_bind_text(stmt, 11, g->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 12, g->added_by_uid);
	sqlite3_bind_text(stmt, 13, g->token_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 14, g->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 15, g->ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 16, g->approver, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return db_error(grants, err, "storing a grant");
	g->id = (uint64_t)sqlite3_last_insert_rowid(grants->db);
	r = append_live(grants, g);
	if (r < 0)
		return idg_error_set(err, r, "out of memory");
	return 0;
}

static void remove_live_at(struct idg_grants *grants, size_t i)
{
	memmove(&grants->live[i], &grants->live[i + 1], (grants->count - i - 1) * sizeof(*grants->live));
	grants->count--;
}

int idg_grants_end(struct idg_grants *grants, uint64_t id, const char *reason, struct idg_grant_info *ret)
{
	for (size_t i = 0; i < grants->count; i++) {
		if (grants->live[i].id != id)
			continue;
		if (mark_ended(grants, id, reason) < 0)
			return -EIO;
		grants->live[i].ended = true;
		(void)snprintf(grants->live[i].end_reason, sizeof(grants->live[i].end_reason), "%s", reason);
		if (ret)
			*ret = grants->live[i];
		remove_live_at(grants, i);
		return 0;
	}
	return -ENOENT;
}

int idg_grants_expire(struct idg_grants *grants, uint64_t now_boot_ns,
		      void (*fn)(const struct idg_grant_info *info, void *data), void *data)
{
	for (size_t i = 0; i < grants->count;) {
		struct idg_grant_info g = grants->live[i];

		if (g.expires_boot_ns > now_boot_ns) {
			i++;
			continue;
		}
		/* A grant may already know why it ends (see rebase_to_this_boot). */
		if (!g.end_reason[0])
			(void)snprintf(g.end_reason, sizeof(g.end_reason), "expired");
		if (mark_ended(grants, g.id, g.end_reason) < 0)
			return -EIO;
		g.ended = true;
		remove_live_at(grants, i);
		if (fn)
			fn(&g, data);
	}
	return 0;
}

int idg_grants_get(struct idg_grants *grants, uint64_t id, struct idg_grant_info *ret)
{
	sqlite3_stmt *stmt;
	char boot_id[33];
	int rc;

	for (size_t i = 0; i < grants->count; i++)
		if (grants->live[i].id == id) {
			*ret = grants->live[i];
			return 0;
		}
	if (sqlite3_prepare_v2(grants->db, "SELECT " GRANT_COLUMNS " FROM grants WHERE id = ?", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		row_to_info(stmt, ret, boot_id);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

size_t idg_grants_count(const struct idg_grants *grants)
{
	return grants->count;
}

const struct idg_grant_info *idg_grants_at(const struct idg_grants *grants, size_t index)
{
	return index < grants->count ? &grants->live[index] : NULL;
}

bool idg_grants_kernel_value(const struct idg_grants *grants, uint32_t scope, uint32_t subject,
			     struct idg_grant *ret)
{
	bool any = false;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < grants->count; i++) {
		const struct idg_grant_info *g = &grants->live[i];

		if (g->scope != scope || g->subject != subject || !g->expires_boot_ns)
			continue;
		for (unsigned c = 1; c < IDG_CLASS_COUNT; c++) {
			if (!(g->class_mask & (1u << c)) || g->expires_boot_ns <= ret->expires_boot_ns[c])
				continue;
			ret->class_mask |= 1u << c;
			ret->expires_boot_ns[c] = g->expires_boot_ns;
			ret->grant_id[c] = g->id;
		}
		any = true;
	}
	return any;
}
