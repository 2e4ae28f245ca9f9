// SPDX-License-Identifier: GPL-2.0-only
/* Opening and migrating the SQLite state database (see store.h). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "util.h"

/* Each step moves the schema from version i to i + 1. Never edit a step
 * that has shipped; add a new one. */
static const char *const migrations[] = {
	"CREATE TABLE grants ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"   /* never reused: journal ids stay unique */
	"  scope TEXT NOT NULL CHECK (scope IN ('uid', 'session')),"
	"  subject INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  classes INTEGER NOT NULL,"
	"  created_usec INTEGER NOT NULL,"
	"  expires_usec INTEGER NOT NULL,"
	"  duration_ns INTEGER NOT NULL,"
	"  boot_id TEXT NOT NULL,"
	"  expires_boot_ns INTEGER NOT NULL,"
	"  source TEXT NOT NULL,"
	"  added_by_uid INTEGER NOT NULL,"
	"  token_id TEXT, purpose TEXT, ref TEXT, approver TEXT,"
	"  ended_usec INTEGER, end_reason TEXT"
	");"
	"CREATE INDEX grants_live ON grants(ended_usec);"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",

	/* Redeemed purpose tokens: a token id is accepted once, ever. */
	"CREATE TABLE redeemed_tokens ("
	"  jti TEXT PRIMARY KEY,"
	"  redeemed_usec INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  purpose TEXT NOT NULL,"
	"  approver TEXT NOT NULL,"
	"  request_id TEXT,"                        /* one redemption per request too */
	"  grant_id INTEGER REFERENCES grants(id)"
	");"
	"CREATE UNIQUE INDEX redeemed_requests ON redeemed_tokens(request_id) WHERE request_id IS NOT NULL;",

	/* Requests sent for approval through the relay (store_requests.c):
	 * kept until the broker's copy is withdrawn, then a week for `token
	 * requests`. */
	"CREATE TABLE requests ("
	"  rid TEXT PRIMARY KEY,"
	"  uid INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  code TEXT NOT NULL,"
	"  purpose TEXT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  classes INTEGER NOT NULL,"
	"  minutes INTEGER NOT NULL,"
	"  scope TEXT NOT NULL CHECK (scope IN ('uid', 'session')),"
	"  session INTEGER NOT NULL,"
	"  boot_id TEXT NOT NULL,"
	"  created_usec INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  state_usec INTEGER NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  withdrawn INTEGER NOT NULL DEFAULT 0"
	");",
};

int idg_boot_id(char buf[33])
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	char raw[64];
	size_t n = 0;

	if (!f)
		return -errno;
	if (!fgets(raw, sizeof(raw), f))
		return -EIO;
	for (char *c = raw; *c && n < 32; c++)
		if (*c != '-' && *c != '\n')
			buf[n++] = *c;
	buf[n] = '\0';
	return n == 32 ? 0 : -EIO;
}

static int exec_sql(sqlite3 *db, const char *sql, struct idg_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = idg_error_set(err, -EIO, "state database: %s", msg ? msg : sqlite3_errmsg(db));

		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static int migrate(sqlite3 *db, struct idg_error *err)
{
	sqlite3_stmt *stmt;
	int version = 0, r;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return idg_error_set(err, -EIO, "state database: %s", sqlite3_errmsg(db));
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version > (int)ARRAY_SIZE(migrations))
		return idg_error_set(err, -EPROTO,
				     "state database has schema version %d, newer than this idguard knows (%zu)",
				     version, ARRAY_SIZE(migrations));
	for (int v = version; v < (int)ARRAY_SIZE(migrations); v++) {
		char bump[64];

		(void)snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", v + 1);
		r = exec_sql(db, "BEGIN IMMEDIATE;", err);
		if (r == 0)
			r = exec_sql(db, migrations[v], err);
		if (r == 0)
			r = exec_sql(db, bump, err);
		if (r == 0)
			r = exec_sql(db, "COMMIT;", err);
		if (r < 0) {
			(void)sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
			return r;
		}
	}
	return 0;
}

int idg_store_open(const char *state_dir, sqlite3 **ret_db, struct idg_error *err)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	int fd, r;

	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return idg_error_errno(err, -errno, "cannot create state directory %s", state_dir);
	if (snprintf(path, sizeof(path), "%s/state.db", state_dir) >= (int)sizeof(path))
		return idg_error_set(err, -ENAMETOOLONG, "state directory path too long");
	/* Create it 0600 ourselves: SQLite would use the umask. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot open %s", path);
	(void)close(fd);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		r = idg_error_set(err, -EIO, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return r;
	}
	(void)sqlite3_busy_timeout(db, 2000);
	r = exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", err);
	if (r == 0)
		r = migrate(db, err);
	if (r < 0) {
		sqlite3_close(db);
		return r;
	}
	*ret_db = db;
	return 0;
}

void idg_store_close(sqlite3 *db)
{
	sqlite3_close(db);
}

int idg_store_get_counter(sqlite3 *db, const char *name, uint64_t *ret)
{
	sqlite3_stmt *stmt;
	int rc;

	*ret = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM counters WHERE name = ?", -1, &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*ret = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int idg_store_set_counter(sqlite3 *db, const char *name, uint64_t value)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO counters (name, value) VALUES (?, ?) "
				   "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
			       -1, &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)value);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int idg_store_token_redeemed(sqlite3 *db, const char *jti, const char *request_id)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM redeemed_tokens WHERE jti = ?1 OR (?2 <> '' AND request_id = ?2)", -1,
			       &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(stmt, 1, jti, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, request_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int idg_store_record_token(sqlite3 *db, const char *jti, const char *request_id, uint32_t uid, const char *user,
			   const char *purpose, const char *approver, uint64_t grant_id)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "INSERT INTO redeemed_tokens (jti, redeemed_usec, uid, user, purpose, approver, grant_id, "
			       "request_id) VALUES (?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))",
			       -1, &stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(stmt, 8, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 1, jti, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)idg_now_realtime_usec());
	sqlite3_bind_int64(stmt, 3, uid);
	sqlite3_bind_text(stmt, 4, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, approver, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)grant_id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	return rc == SQLITE_DONE ? 0 : -EIO;
}
