// SPDX-License-Identifier: GPL-2.0-only
/*
 * Grants (grants.h) on a real SQLite state database (store.h) in a
 * temporary directory: the kernel value of a subject is the union of its live
 * grants' classes with the latest expiry and its grant id per class; ending a
 * grant removes it from both, while idg_grants_get still finds it in the
 * database; idg_grants_expire reports exactly the grants whose time is up;
 * live grants survive a reopen; a grant stored by an earlier boot keeps at
 * most what the wall clock says it had left, never more than its duration,
 * and one that ran out while the machine was down comes back expired. Also
 * the counters table and the 0600 mode of the database files.
 */
#include "unit.h"

#include "grants.h"
#include "store.h"
#include "util.h"

#define SEC_NS 1000000000ull
#define MIN_NS (60 * SEC_NS)
#define CLASS(c) (1u << (c))

struct fixture {
	char *tmp;
	char *state_dir;
	sqlite3 *db;
	struct idg_grants *grants;
};

static void fixture_open(struct fixture *fx)
{
	struct idg_error err = { "" };

	if (idg_store_open(fx->state_dir, &fx->db, &err) != 0 || idg_grants_open(fx->db, &fx->grants, &err) != 0) {
		print_error("opening the state database: %s\n", err.message);
		fail();
	}
}

static void fixture_close(struct fixture *fx)
{
	idg_grants_free(fx->grants);
	fx->grants = NULL;
	idg_store_close(fx->db);
	fx->db = NULL;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	void *tmp = NULL;

	if (!fx || tmpdir_setup(&tmp) < 0)
		return -1;
	fx->tmp = tmp;
	if (asprintf(&fx->state_dir, "%s/state", fx->tmp) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	void *tmp = fx->tmp;

	fixture_close(fx);
	free(fx->state_dir);
	(void)tmpdir_teardown(&tmp);
	free(fx);
	return 0;
}

static struct idg_grant_info add_grant(struct fixture *fx, uint32_t scope, uint32_t subject, uint32_t mask,
				       uint64_t duration_ns)
{
	struct idg_grant_info g = {
		.scope = scope,
		.subject = subject,
		.uid = scope == IDG_SCOPE_UID ? subject : 1000,
		.class_mask = mask,
		.duration_ns = duration_ns,
		.source = "admin",
		.user = "alice",
	};
	struct idg_error err = { "" };

	if (idg_grants_add(fx->grants, &g, &err) != 0) {
		print_error("idg_grants_add: %s\n", err.message);
		fail();
	}
	return g;
}

/* Runs SQL on the database file with SQLite directly, as another process would. */
static void run_sql(struct fixture *fx, const char *sql)
{
	char *path = path_join(fx->state_dir, "state.db"), *msg = NULL;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		print_error("%s: %s\n", sql, msg);
		fail();
	}
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
	free(path);
}

static const struct idg_grant_info *live_grant(struct fixture *fx, uint64_t id)
{
	for (size_t i = 0; i < idg_grants_count(fx->grants); i++)
		if (idg_grants_at(fx->grants, i)->id == id)
			return idg_grants_at(fx->grants, i);
	return NULL;
}

/* ---- the store -------------------------------------------------------------------- */

static void expect_mode(const char *dir, const char *name, mode_t mode)
{
	char *path = path_join(dir, name);
	struct stat st;

	if (stat(path, &st) < 0) {
		print_error("%s: %s\n", path, strerror(errno));
		fail();
	}
	if ((st.st_mode & 07777) != mode) {
		print_error("%s has mode %04o, expected %04o\n", path, st.st_mode & 07777, mode);
		fail();
	}
	free(path);
}

static void test_store_file_modes(void **state)
{
	struct fixture *fx = *state;
	mode_t old = umask(0);

	/* Even with a permissive umask, grant records stay private. */
	fixture_open(fx);
	(void)umask(old);
	(void)add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_SCANNER), MIN_NS);
	expect_mode(fx->tmp, "state", 0700);
	expect_mode(fx->state_dir, "state.db", 0600);
	expect_mode(fx->state_dir, "state.db-wal", 0600);
	expect_mode(fx->state_dir, "state.db-shm", 0600);
}

static void test_store_open_errors(void **state)
{
	struct fixture *fx = *state;
	struct idg_error err = { "" };
	sqlite3 *db = (sqlite3 *)0x1;
	char *expect;

	write_file(fx->tmp, "file", "");
	free(fx->state_dir);
	fx->state_dir = path_join(fx->tmp, "file");
	assert_int_equal(idg_store_open(fx->state_dir, &db, &err), -ENOTDIR);
	assert_true(asprintf(&expect, "cannot open %s/state.db: Not a directory", fx->state_dir) > 0);
	assert_string_equal(err.message, expect);
	assert_ptr_equal(db, (sqlite3 *)0x1);
	free(expect);
}

static void test_counters(void **state)
{
	struct fixture *fx = *state;
	uint64_t v = 99;

	fixture_open(fx);
	assert_int_equal(idg_store_get_counter(fx->db, "lost_events_reported", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(idg_store_set_counter(fx->db, "lost_events_reported", 42), 0);
	assert_int_equal(idg_store_set_counter(fx->db, "other", UINT64_MAX), 0);
	assert_int_equal(idg_store_get_counter(fx->db, "lost_events_reported", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(idg_store_set_counter(fx->db, "lost_events_reported", 7), 0);
	assert_int_equal(idg_store_get_counter(fx->db, "lost_events_reported", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(idg_store_get_counter(fx->db, "other", &v), 0);
	assert_true(v == UINT64_MAX);

	/* They outlive the process. */
	fixture_close(fx);
	fixture_open(fx);
	assert_int_equal(idg_store_get_counter(fx->db, "lost_events_reported", &v), 0);
	assert_int_equal(v, 7);
}

/* ---- live grants and the kernel value ------------------------------------------------ */

static void test_add_and_kernel_value(void **state)
{
	struct fixture *fx = *state;
	uint64_t before_usec = idg_now_realtime_usec(), before_ns = idg_now_boot_ns();
	struct idg_grant_info a, b, c;
	uint64_t after_ns;
	struct idg_grant value;

	fixture_open(fx);
	assert_int_equal(idg_grants_count(fx->grants), 0);
	a = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_SCANNER) | CLASS(IDG_CLASS_CAMERA), 10 * MIN_NS);
	b = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA) | CLASS(IDG_CLASS_PRINTER), 20 * MIN_NS);
	c = add_grant(fx, IDG_SCOPE_SESSION, 1000, CLASS(IDG_CLASS_STORAGE), 5 * MIN_NS);
	after_ns = idg_now_boot_ns();

	assert_true(a.id > 0);
	assert_true(b.id > a.id);
	assert_true(c.id > b.id);
	assert_false(a.ended);
	assert_true(a.created_usec >= before_usec);
	assert_int_equal(a.expires_usec, a.created_usec + 10 * MIN_NS / 1000);
	assert_true(a.expires_boot_ns >= before_ns + 10 * MIN_NS);
	assert_true(a.expires_boot_ns <= after_ns + 10 * MIN_NS);
	assert_int_equal(idg_grants_count(fx->grants), 3);
	assert_int_equal(idg_grants_at(fx->grants, 0)->id, a.id);
	assert_int_equal(idg_grants_at(fx->grants, 2)->id, c.id);
	assert_null(idg_grants_at(fx->grants, 3));

	assert_true(idg_grants_kernel_value(fx->grants, IDG_SCOPE_UID, 1000, &value));
	assert_int_equal(value.class_mask,
			 CLASS(IDG_CLASS_SCANNER) | CLASS(IDG_CLASS_CAMERA) | CLASS(IDG_CLASS_PRINTER));
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_SCANNER], a.expires_boot_ns);
	assert_int_equal(value.grant_id[IDG_CLASS_SCANNER], a.id);
	/* Two grants cover the camera: the one that lasts longer speaks for it. */
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_CAMERA], b.expires_boot_ns);
	assert_int_equal(value.grant_id[IDG_CLASS_CAMERA], b.id);
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_PRINTER], b.expires_boot_ns);
	assert_int_equal(value.grant_id[IDG_CLASS_PRINTER], b.id);
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_STORAGE], 0);
	assert_int_equal(value.grant_id[IDG_CLASS_STORAGE], 0);
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_CARD_READER], 0);

	/* The session grant belongs to session 1000, not to uid 1000. */
	assert_true(idg_grants_kernel_value(fx->grants, IDG_SCOPE_SESSION, 1000, &value));
	assert_int_equal(value.class_mask, CLASS(IDG_CLASS_STORAGE));
	assert_int_equal(value.grant_id[IDG_CLASS_STORAGE], c.id);

	memset(&value, 0x5a, sizeof(value));
	assert_false(idg_grants_kernel_value(fx->grants, IDG_SCOPE_UID, 1001, &value));
	assert_int_equal(value.class_mask, 0);
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_CAMERA], 0);
}

static void test_end(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info a, b, ended, got;
	struct idg_grant value;

	fixture_open(fx);
	a = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA), 10 * MIN_NS);
	b = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA) | CLASS(IDG_CLASS_PRINTER), 20 * MIN_NS);

	assert_int_equal(idg_grants_end(fx->grants, b.id, "removed", &ended), 0);
	assert_int_equal(ended.id, b.id);
	assert_true(ended.ended);
	assert_string_equal(ended.end_reason, "removed");
	assert_int_equal(idg_grants_count(fx->grants), 1);
	assert_null(live_grant(fx, b.id));

	/* The kernel value falls back to what is still live. */
	assert_true(idg_grants_kernel_value(fx->grants, IDG_SCOPE_UID, 1000, &value));
	assert_int_equal(value.class_mask, CLASS(IDG_CLASS_CAMERA));
	assert_int_equal(value.grant_id[IDG_CLASS_CAMERA], a.id);
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_CAMERA], a.expires_boot_ns);
	assert_int_equal(value.grant_id[IDG_CLASS_PRINTER], 0);

	/* Ending it again, or a grant that never was, is -ENOENT. */
	assert_int_equal(idg_grants_end(fx->grants, b.id, "removed", NULL), -ENOENT);
	assert_int_equal(idg_grants_end(fx->grants, 999, "removed", NULL), -ENOENT);

	/* An ended grant is still explained from the database. */
	assert_int_equal(idg_grants_get(fx->grants, b.id, &got), 0);
	assert_int_equal(got.id, b.id);
	assert_true(got.ended);
	assert_string_equal(got.end_reason, "removed");
	assert_string_equal(got.user, "alice");
	assert_string_equal(got.source, "admin");
	assert_int_equal(got.scope, IDG_SCOPE_UID);
	assert_int_equal(got.subject, 1000);
	assert_int_equal(got.class_mask, b.class_mask);
	assert_int_equal(got.expires_usec, b.expires_usec);
	assert_int_equal(got.duration_ns, 20 * MIN_NS);
	assert_int_equal(idg_grants_get(fx->grants, a.id, &got), 0);
	assert_false(got.ended);
	assert_int_equal(idg_grants_get(fx->grants, 999, &got), -ENOENT);

	assert_int_equal(idg_grants_end(fx->grants, a.id, "removed", NULL), 0);
	assert_false(idg_grants_kernel_value(fx->grants, IDG_SCOPE_UID, 1000, &value));
	assert_int_equal(idg_grants_count(fx->grants), 0);
}

struct expired {
	uint64_t ids[8];
	size_t count;
	bool all_marked; /* each came with ended and "expired" */
};

static void on_expired(const struct idg_grant_info *info, void *data)
{
	struct expired *e = data;

	if (e->count < ARRAY_SIZE(e->ids))
		e->ids[e->count] = info->id;
	e->count++;
	if (!info->ended || !streq(info->end_reason, "expired"))
		e->all_marked = false;
}

static void test_expire(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info a, b, c, got;
	struct expired e = { .all_marked = true };
	uint64_t now = idg_now_boot_ns();

	fixture_open(fx);
	a = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA), 10 * MIN_NS);
	b = add_grant(fx, IDG_SCOPE_UID, 1001, CLASS(IDG_CLASS_SCANNER), 30 * MIN_NS);
	c = add_grant(fx, IDG_SCOPE_SESSION, 7, CLASS(IDG_CLASS_SCANNER), 5 * MIN_NS);

	/* Nothing is due yet. */
	assert_int_equal(idg_grants_expire(fx->grants, now, on_expired, &e), 0);
	assert_int_equal(e.count, 0);
	assert_int_equal(idg_grants_count(fx->grants), 3);

	/* Fifteen minutes on: a and c, not b. */
	assert_int_equal(idg_grants_expire(fx->grants, now + 15 * MIN_NS, on_expired, &e), 0);
	assert_int_equal(e.count, 2);
	assert_int_equal(e.ids[0], a.id);
	assert_int_equal(e.ids[1], c.id);
	assert_true(e.all_marked);
	assert_int_equal(idg_grants_count(fx->grants), 1);
	assert_int_equal(idg_grants_at(fx->grants, 0)->id, b.id);
	assert_int_equal(idg_grants_get(fx->grants, a.id, &got), 0);
	assert_true(got.ended);
	assert_string_equal(got.end_reason, "expired");

	/* Reported once only. */
	assert_int_equal(idg_grants_expire(fx->grants, now + 15 * MIN_NS, on_expired, &e), 0);
	assert_int_equal(e.count, 2);

	/* Exactly at its expiry it is over (the kernel allows only before it). */
	assert_int_equal(idg_grants_expire(fx->grants, b.expires_boot_ns, NULL, NULL), 0);
	assert_int_equal(idg_grants_count(fx->grants), 0);
}

static void test_reopen_restores_live(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info a, b, c;
	const struct idg_grant_info *g;

	fixture_open(fx);
	a = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA), 10 * MIN_NS);
	b = add_grant(fx, IDG_SCOPE_UID, 1001, CLASS(IDG_CLASS_SCANNER), 10 * MIN_NS);
	c = add_grant(fx, IDG_SCOPE_SESSION, 7, CLASS(IDG_CLASS_PRINTER), 10 * MIN_NS);
	assert_int_equal(idg_grants_end(fx->grants, b.id, "removed", NULL), 0);
	fixture_close(fx);

	fixture_open(fx);
	assert_int_equal(idg_grants_count(fx->grants), 2);
	g = live_grant(fx, a.id);
	assert_non_null(g);
	/* Same boot: the kernel expiry is kept as it was. */
	assert_int_equal(g->expires_boot_ns, a.expires_boot_ns);
	assert_int_equal(g->class_mask, a.class_mask);
	assert_string_equal(g->user, "alice");
	assert_null(live_grant(fx, b.id));
	g = live_grant(fx, c.id);
	assert_non_null(g);
	assert_int_equal(g->scope, IDG_SCOPE_SESSION);
	assert_int_equal(g->subject, 7);

	/* Ids are never reused, even after a restart. */
	assert_true(add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA), MIN_NS).id > c.id);
}

static void test_earlier_boot_is_capped(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info long_left, short_left;
	const struct idg_grant_info *g;
	char sql[512];
	uint64_t now_usec, start_ns, end_ns, first_expiry;
	struct idg_grant value;

	fixture_open(fx);
	long_left = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA), 60 * MIN_NS);
	short_left = add_grant(fx, IDG_SCOPE_UID, 1001, CLASS(IDG_CLASS_CAMERA), 60 * MIN_NS);
	fixture_close(fx);

	/* As stored before a reboot: the wall clock says 10 (or 2) minutes are
	 * left, but the grant was only ever for 5 minutes. */
	now_usec = idg_now_realtime_usec();
	(void)snprintf(sql, sizeof(sql),
		       "UPDATE grants SET boot_id = '00000000000000000000000000000000', expires_usec = %llu, "
		       "duration_ns = %llu, expires_boot_ns = 1 WHERE id = %llu",
		       (unsigned long long)(now_usec + 10 * 60 * 1000000ull), (unsigned long long)(5 * MIN_NS),
		       (unsigned long long)long_left.id);
	run_sql(fx, sql);
	(void)snprintf(sql, sizeof(sql),
		       "UPDATE grants SET boot_id = '00000000000000000000000000000000', expires_usec = %llu, "
		       "duration_ns = %llu, expires_boot_ns = 1 WHERE id = %llu",
		       (unsigned long long)(now_usec + 2 * 60 * 1000000ull), (unsigned long long)(5 * MIN_NS),
		       (unsigned long long)short_left.id);
	run_sql(fx, sql);

	start_ns = idg_now_boot_ns();
	fixture_open(fx);
	end_ns = idg_now_boot_ns();
	assert_int_equal(idg_grants_count(fx->grants), 2);

	/* Capped at the 5 minutes it was granted for, never lengthened to 10. */
	g = live_grant(fx, long_left.id);
	assert_non_null(g);
	assert_true(g->expires_boot_ns <= end_ns + 5 * MIN_NS);
	assert_true(g->expires_boot_ns >= start_ns + 5 * MIN_NS - 2 * SEC_NS);
	first_expiry = g->expires_boot_ns;

	/* What the wall clock left it, when that is less than its duration. */
	g = live_grant(fx, short_left.id);
	assert_non_null(g);
	assert_true(g->expires_boot_ns <= end_ns + 2 * MIN_NS);
	assert_true(g->expires_boot_ns >= start_ns + 2 * MIN_NS - 2 * SEC_NS);

	assert_true(idg_grants_kernel_value(fx->grants, IDG_SCOPE_UID, 1000, &value));
	assert_int_equal(value.expires_boot_ns[IDG_CLASS_CAMERA], first_expiry);

	/* Moved onto this boot once: a second start keeps the same expiry. */
	fixture_close(fx);
	fixture_open(fx);
	g = live_grant(fx, long_left.id);
	assert_non_null(g);
	assert_int_equal(g->expires_boot_ns, first_expiry);
}

/* Session ids start again at boot: a session grant of an earlier boot ends
 * at once, with the reason "reboot", however long it had left. */
static void test_earlier_boot_ends_session_grants(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info session, uid, got;
	char sql[512];

	fixture_open(fx);
	session = add_grant(fx, IDG_SCOPE_SESSION, 42, CLASS(IDG_CLASS_SCANNER), 60 * MIN_NS);
	uid = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_SCANNER), 60 * MIN_NS);
	fixture_close(fx);
	(void)snprintf(sql, sizeof(sql), "UPDATE grants SET boot_id = '00000000000000000000000000000000' WHERE id = %llu",
		       (unsigned long long)session.id);
	run_sql(fx, sql);
	(void)snprintf(sql, sizeof(sql), "UPDATE grants SET boot_id = '00000000000000000000000000000000' WHERE id = %llu",
		       (unsigned long long)uid.id);
	run_sql(fx, sql);

	fixture_open(fx);
	assert_false(idg_grants_kernel_value(fx->grants, IDG_SCOPE_SESSION, 42, &(struct idg_grant){ 0 }));
	assert_true(idg_grants_kernel_value(fx->grants, IDG_SCOPE_UID, 1000, &(struct idg_grant){ 0 }));
	assert_int_equal(idg_grants_expire(fx->grants, idg_now_boot_ns(), NULL, NULL), 0);
	assert_null(live_grant(fx, session.id));
	assert_non_null(live_grant(fx, uid.id));
	assert_int_equal(idg_grants_get(fx->grants, session.id, &got), 0);
	assert_true(got.ended);
	assert_string_equal(got.end_reason, "reboot");
	assert_true(got.expires_usec <= idg_now_realtime_usec());
}

/* `idguardctl grant list` and the journal show expires_usec: after the cap
 * it must say when the grant really ends, not the time stored before it. */
static void test_earlier_boot_cap_shows_in_expires_usec(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info g, got;
	char sql[512];
	uint64_t after_usec;

	fixture_open(fx);
	g = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA), 60 * MIN_NS);
	fixture_close(fx);
	(void)snprintf(sql, sizeof(sql),
		       "UPDATE grants SET boot_id = '00000000000000000000000000000000', expires_usec = %llu, "
		       "duration_ns = %llu WHERE id = %llu",
		       (unsigned long long)(idg_now_realtime_usec() + 10 * 60 * 1000000ull),
		       (unsigned long long)(5 * MIN_NS), (unsigned long long)g.id);
	run_sql(fx, sql);

	fixture_open(fx);
	after_usec = idg_now_realtime_usec();
	assert_int_equal(idg_grants_get(fx->grants, g.id, &got), 0);
	if (got.expires_usec > after_usec + 5 * 60 * 1000000ull) {
		print_error("expires_usec is %llu s from now; the grant ends in at most 300 s\n",
			    (unsigned long long)((got.expires_usec - after_usec) / 1000000));
		fail();
	}
}

static void test_earlier_boot_expired_while_down(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info gone, kept, got;
	const struct idg_grant_info *g;
	struct expired e = { .all_marked = true };
	struct idg_grant value;
	char sql[512];

	fixture_open(fx);
	gone = add_grant(fx, IDG_SCOPE_UID, 1000, CLASS(IDG_CLASS_CAMERA), 60 * MIN_NS);
	kept = add_grant(fx, IDG_SCOPE_UID, 1001, CLASS(IDG_CLASS_CAMERA), 60 * MIN_NS);
	fixture_close(fx);
	(void)snprintf(sql, sizeof(sql),
		       "UPDATE grants SET boot_id = '00000000000000000000000000000000', expires_usec = %llu, "
		       "expires_boot_ns = %llu WHERE id = %llu",
		       (unsigned long long)(idg_now_realtime_usec() - 60 * 1000000ull),
		       (unsigned long long)(idg_now_boot_ns() + 60 * MIN_NS), (unsigned long long)gone.id);
	run_sql(fx, sql);

	fixture_open(fx);
	g = live_grant(fx, gone.id);
	assert_non_null(g);
	assert_int_equal(g->expires_boot_ns, 0);
	/* It allows nothing, even before the expiry pass runs. */
	assert_false(idg_grants_kernel_value(fx->grants, IDG_SCOPE_UID, 1000, &value));

	assert_int_equal(idg_grants_expire(fx->grants, idg_now_boot_ns(), on_expired, &e), 0);
	assert_int_equal(e.count, 1);
	assert_int_equal(e.ids[0], gone.id);
	assert_true(e.all_marked);
	assert_non_null(live_grant(fx, kept.id));
	assert_int_equal(idg_grants_get(fx->grants, gone.id, &got), 0);
	assert_true(got.ended);
	assert_string_equal(got.end_reason, "expired");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_file_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_and_kernel_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_restores_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_earlier_boot_is_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_earlier_boot_ends_session_grants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_earlier_boot_cap_shows_in_expires_usec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_earlier_boot_expired_while_down, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
