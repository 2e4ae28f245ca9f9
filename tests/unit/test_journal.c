// SPDX-License-Identifier: GPL-2.0-only
/*
 * Building journal records (journal.h) without sending them: a new record
 * carries MESSAGE_ID and PRIORITY, fields read back by name (a name that is a
 * prefix of another is not confused with it), a newline cuts a value, and a
 * value too long for the record or a field beyond IDG_RECORD_MAX_FIELDS is
 * dropped with `truncated` set, never written past the buffer.
 */
#include "unit.h"

#include "journal.h"

static void test_init(void **state)
{
	struct idg_record rec;

	(void)state;
	memset(&rec, 0x5a, sizeof(rec));
	idg_record_init(&rec, IDG_MSG_ACCESS_DENIED, LOG_WARNING);
	assert_int_equal(rec.count, 2);
	assert_false(rec.truncated);
	assert_string_equal(idg_record_get(&rec, "MESSAGE_ID"), "4388eff3830246b8a36ebe694f645030");
	assert_string_equal(idg_record_get(&rec, "PRIORITY"), "4");
	assert_null(idg_record_get(&rec, "MESSAGE"));
	assert_null(idg_record_get(&rec, "PRIORITY_"));
	assert_null(idg_record_get(&rec, "PRIO"));
	assert_null(idg_record_get(&rec, ""));

	/* A record is reused for the next event: init forgets everything. */
	idg_record_add(&rec, "IDGUARD_CLASS", "%s", "camera");
	idg_record_init(&rec, IDG_MSG_ACCESS_GRANTED, LOG_INFO);
	assert_int_equal(rec.count, 2);
	assert_null(idg_record_get(&rec, "IDGUARD_CLASS"));
	assert_string_equal(idg_record_get(&rec, "PRIORITY"), "6");
}

static void test_add_and_get(void **state)
{
	struct idg_record rec;

	(void)state;
	idg_record_init(&rec, IDG_MSG_ACCESS_AUDITED, LOG_NOTICE);
	idg_record_add(&rec, "MESSAGE", "Refused %s opening %s", "alice", "/dev/video0");
	idg_record_add(&rec, "IDGUARD_COUNT", "%llu", 18446744073709551615ull);
	idg_record_add(&rec, "IDGUARD_EMPTY", "%s", "");
	idg_record_add(&rec, "IDGUARD_PERCENT", "%s", "100%");
	assert_int_equal(rec.count, 6);
	assert_false(rec.truncated);
	assert_string_equal(idg_record_get(&rec, "MESSAGE"), "Refused alice opening /dev/video0");
	/* MESSAGE is a prefix of MESSAGE_ID; each is found as itself. */
	assert_string_equal(idg_record_get(&rec, "MESSAGE_ID"), IDG_MSG_ACCESS_AUDITED);
	assert_string_equal(idg_record_get(&rec, "IDGUARD_COUNT"), "18446744073709551615");
	assert_string_equal(idg_record_get(&rec, "IDGUARD_EMPTY"), "");
	assert_string_equal(idg_record_get(&rec, "IDGUARD_PERCENT"), "100%");
	assert_string_equal(idg_record_get(&rec, "PRIORITY"), "5");
	/* Fields are stored as "NAME=value" strings, ready for sd_journal_sendv(). */
	assert_string_equal(rec.buf + rec.offsets[2], "MESSAGE=Refused alice opening /dev/video0");
}

static void test_newline_cuts_value(void **state)
{
	struct idg_record rec;

	(void)state;
	idg_record_init(&rec, IDG_MSG_ACCESS_DENIED, LOG_WARNING);
	idg_record_add(&rec, "IDGUARD_COMM", "%s", "evil\nMESSAGE=forged");
	idg_record_add(&rec, "IDGUARD_NODE", "%s", "\n/dev/video0");
	idg_record_add(&rec, "IDGUARD_USER", "%s", "alice");
	assert_int_equal(rec.count, 5);
	assert_string_equal(idg_record_get(&rec, "IDGUARD_COMM"), "evil");
	assert_string_equal(idg_record_get(&rec, "IDGUARD_NODE"), "");
	/* The cut-off text became no field of its own. */
	assert_null(idg_record_get(&rec, "MESSAGE"));
	assert_string_equal(idg_record_get(&rec, "IDGUARD_USER"), "alice");
	for (size_t i = 0; i < rec.count; i++)
		assert_null(strchr(rec.buf + rec.offsets[i], '\n'));
}

static void test_overlong_value(void **state)
{
	struct idg_record rec;
	char *big = malloc(IDG_RECORD_MAX_BYTES * 2);
	const char *value;

	(void)state;
	assert_non_null(big);
	memset(big, 'v', IDG_RECORD_MAX_BYTES * 2 - 1);
	big[IDG_RECORD_MAX_BYTES * 2 - 1] = '\0';

	idg_record_init(&rec, IDG_MSG_ACCESS_DENIED, LOG_WARNING);
	idg_record_add(&rec, "MESSAGE", "%s", "short");
	idg_record_add(&rec, "IDGUARD_BIG", "%s", big);
	assert_true(rec.truncated);
	/* What fits is kept, up to the end of the buffer and no further. */
	value = idg_record_get(&rec, "IDGUARD_BIG");
	assert_non_null(value);
	assert_true(strlen(value) > 0);
	assert_true(value + strlen(value) < rec.buf + sizeof(rec.buf));
	assert_true(rec.used <= sizeof(rec.buf));
	assert_string_equal(idg_record_get(&rec, "MESSAGE"), "short");

	/* The buffer is full: later fields are dropped, the earlier stay intact. */
	idg_record_add(&rec, "IDGUARD_AFTER", "%s", "x");
	assert_null(idg_record_get(&rec, "IDGUARD_AFTER"));
	assert_true(rec.used <= sizeof(rec.buf));
	assert_string_equal(idg_record_get(&rec, "PRIORITY"), "4");
	free(big);
}

static void test_value_that_fits_is_not_truncated(void **state)
{
	struct idg_record rec;
	char value[1024];

	(void)state;
	memset(value, 'w', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	idg_record_init(&rec, IDG_MSG_ACCESS_DENIED, LOG_WARNING);
	for (int i = 0; i < 6; i++)
		idg_record_add(&rec, "IDGUARD_W", "%s", value);
	assert_false(rec.truncated);
	assert_int_equal(rec.count, 8);
	assert_int_equal(strlen(idg_record_get(&rec, "IDGUARD_W")), sizeof(value) - 1);
}

static void test_too_many_fields(void **state)
{
	struct idg_record rec;
	char name[32], expect[16];

	(void)state;
	idg_record_init(&rec, IDG_MSG_ACCESS_DENIED, LOG_WARNING);
	for (int i = 0; i < IDG_RECORD_MAX_FIELDS + 10; i++) {
		(void)snprintf(name, sizeof(name), "IDGUARD_F%d", i);
		idg_record_add(&rec, name, "%d", i);
		/* Full exactly when the limit is passed, not before. */
		assert_int_equal(rec.truncated, i + 2 >= IDG_RECORD_MAX_FIELDS);
	}
	assert_int_equal(rec.count, IDG_RECORD_MAX_FIELDS);
	assert_true(rec.truncated);
	/* The two header fields plus IDGUARD_F0 .. IDGUARD_F45 fill it. */
	(void)snprintf(name, sizeof(name), "IDGUARD_F%d", IDG_RECORD_MAX_FIELDS - 3);
	(void)snprintf(expect, sizeof(expect), "%d", IDG_RECORD_MAX_FIELDS - 3);
	assert_string_equal(idg_record_get(&rec, name), expect);
	(void)snprintf(name, sizeof(name), "IDGUARD_F%d", IDG_RECORD_MAX_FIELDS - 2);
	assert_null(idg_record_get(&rec, name));
	assert_string_equal(idg_record_get(&rec, "MESSAGE_ID"), IDG_MSG_ACCESS_DENIED);
}

/* Every value passes the withholding, whoever wrote it; the record says
 * in which fields something was withheld. */
static void test_id_numbers_withheld_in_every_field(void **state)
{
	struct idg_record rec;
	char big[IDG_RECORD_MAX_BYTES];

	(void)state;
	idg_record_init(&rec, IDG_MSG_ACCESS_DENIED, LOG_WARNING);
	idg_record_add(&rec, "MESSAGE", "opened %s", "/cases/110105 19491231 002X.pdf");
	idg_record_add(&rec, "IDGUARD_CMDLINE", "viewer %s", "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90"
		       "\xef\xbc\x95\xef\xbc\x91\xef\xbc\x99\xef\xbc\x94\xef\xbc\x99\xef\xbc\x91\xef\xbc\x92"
		       "\xef\xbc\x93\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90\xef\xbc\x92\xef\xbc\xb8");
	idg_record_add(&rec, "IDGUARD_TOKEN_ID", "%s", "430102500101001");
	idg_record_add(&rec, "IDGUARD_PID", "%d", 4242);
	assert_string_equal(idg_record_get(&rec, "MESSAGE"), "opened /cases/[withheld].pdf");
	assert_string_equal(idg_record_get(&rec, "IDGUARD_CMDLINE"), "viewer [withheld]");
	assert_string_equal(idg_record_get(&rec, "IDGUARD_TOKEN_ID"), "[withheld]");
	assert_string_equal(idg_record_get(&rec, "IDGUARD_PID"), "4242");
	assert_string_equal(rec.withheld, "MESSAGE IDGUARD_CMDLINE IDGUARD_TOKEN_ID");

	/* A value cut at the end of the record ends in no digits: part of a
	 * number would be card data too. */
	idg_record_init(&rec, IDG_MSG_ACCESS_DENIED, LOG_WARNING);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 200] = '\0';
	idg_record_add(&rec, "IDGUARD_A", "%s", big);
	idg_record_add(&rec, "IDGUARD_B", "%s %s", "x", "11010519491231002X11010519491231002X11010519491231002X"
		       "11010519491231002X11010519491231002X11010519491231002X11010519491231002X");
	assert_true(rec.truncated);
	assert_null(strstr(idg_record_get(&rec, "IDGUARD_B"), "1101"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_add_and_get),
		cmocka_unit_test(test_newline_cuts_value),
		cmocka_unit_test(test_overlong_value),
		cmocka_unit_test(test_value_that_fits_is_not_truncated),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_id_numbers_withheld_in_every_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
