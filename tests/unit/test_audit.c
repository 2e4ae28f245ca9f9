// SPDX-License-Identifier: GPL-2.0-only
/*
 * The auditor's view (audit.h): the time syntax (absolute in local time,
 * today/yesterday, relative spans, "ago", @epoch, and what is refused),
 * RFC 4180 quoting, ID-number-shaped text withheld wherever it stands (and
 * only that: longer digit runs and bad checksums are left alone), and
 * event names for every idguard MESSAGE_ID.
 */
#include "unit.h"

#include <time.h>

#include "audit.h"
#include "journal.h"
#include "util.h"

#define NOW_USEC 1795348800000000ull /* 2026-11-22 08:00:00 UTC */

static void test_time_syntax(void **state)
{
	uint64_t t, midnight;
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 22, .tm_hour = 9, .tm_min = 30, .tm_isdst = -1 };
	time_t local = mktime(&tm);

	(void)state;
	assert_int_equal(idg_audit_parse_time("2026-11-22 09:30", NOW_USEC, &t), 0);
	assert_int_equal(t, (uint64_t)local * 1000000ull);
	assert_int_equal(idg_audit_parse_time("2026-11-22T09:30:00", NOW_USEC, &t), 0);
	assert_int_equal(t, (uint64_t)local * 1000000ull);
	assert_int_equal(idg_audit_parse_time("2026-11-22 09:30:15", NOW_USEC, &t), 0);
	assert_int_equal(t, (uint64_t)(local + 15) * 1000000ull);
	assert_int_equal(idg_audit_parse_time("today", NOW_USEC, &midnight), 0);
	assert_int_equal(idg_audit_parse_time("yesterday", NOW_USEC, &t), 0);
	assert_true(midnight - t >= 23ull * 3600 * 1000000 && midnight - t <= 25ull * 3600 * 1000000);
	assert_int_equal(idg_audit_parse_time("now", NOW_USEC, &t), 0);
	assert_int_equal(t, NOW_USEC);
	assert_int_equal(idg_audit_parse_time("-2h", NOW_USEC, &t), 0);
	assert_int_equal(t, NOW_USEC - 7200000000ull);
	assert_int_equal(idg_audit_parse_time("+30min", NOW_USEC, &t), 0);
	assert_int_equal(t, NOW_USEC + 1800000000ull);
	assert_int_equal(idg_audit_parse_time("3 days ago", NOW_USEC, &t), 0);
	assert_int_equal(t, NOW_USEC - 3ull * 86400000000ull);
	assert_int_equal(idg_audit_parse_time("1w ago", NOW_USEC, &t), 0);
	assert_int_equal(t, NOW_USEC - 604800000000ull);
	assert_int_equal(idg_audit_parse_time("@1700000000", NOW_USEC, &t), 0);
	assert_int_equal(t, 1700000000000000ull);
	/* journalctl's other forms: a time alone is today's; a weekday; UTC;
	 * fractions of a second. */
	{
		time_t now = (time_t)(NOW_USEC / 1000000);
		struct tm today;

		(void)localtime_r(&now, &today);
		today.tm_hour = 15, today.tm_min = 0, today.tm_sec = 0, today.tm_isdst = -1;
		assert_int_equal(idg_audit_parse_time("15:00", NOW_USEC, &t), 0);
		assert_int_equal(t, (uint64_t)mktime(&today) * 1000000ull);
		today.tm_sec = 30;
		assert_int_equal(idg_audit_parse_time("15:00:30", NOW_USEC, &t), 0);
		assert_int_equal(t, (uint64_t)mktime(&today) * 1000000ull);
	}
	assert_int_equal(idg_audit_parse_time("Sun 2026-11-22 09:30", NOW_USEC, &t), 0);
	assert_int_equal(t, (uint64_t)local * 1000000ull);
	assert_int_equal(idg_audit_parse_time("2026-11-22 09:30:00 UTC", NOW_USEC, &t), 0);
	assert_int_equal(t, 1795339800000000ull);
	assert_int_equal(idg_audit_parse_time("2026-11-22T09:30:00Z", NOW_USEC, &t), 0);
	assert_int_equal(t, 1795339800000000ull);
	assert_int_equal(idg_audit_parse_time("2026-11-22 09:30:15.25", NOW_USEC, &t), 0);
	assert_int_equal(t, (uint64_t)(local + 15) * 1000000ull + 250000);
	static const char *const bad[] = { "", "soon", "2026-13-01", "2026-11-22 25:00", "-2 parsecs", "@", "@12x",
					   "2026-11-22 09:30 junk", "- 2h", "ago", "25:00", "15", "Someday 2026-11-22" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (idg_audit_parse_time(bad[i], NOW_USEC, &t) != -EINVAL) {
			print_error("'%s' was accepted\n", bad[i]);
			fail();
		}
}

static char *csv(const char *value)
{
	static char buf[256];
	FILE *f;

	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	idg_csv_write_field(f, value);
	(void)fclose(f);
	return buf;
}

static void test_csv_quoting(void **state)
{
	(void)state;
	assert_string_equal(csv("plain"), "plain");
	assert_string_equal(csv("a,b"), "\"a,b\"");
	assert_string_equal(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(csv("two\nlines"), "\"two\nlines\"");
	assert_string_equal(csv(""), "");
	assert_string_equal(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
	assert_string_equal(csv("-bash"), "'-bash");
	assert_string_equal(csv("@x"), "'@x");
}

static void test_id_numbers_withheld(void **state)
{
	char text[128];

	(void)state;
	strcpy(text, "ref 11010519491231002X for the account");
	assert_true(idg_audit_redact(text));
	assert_string_equal(text, "ref [withheld] for the account");
	strcpy(text, "11010519491231002x");
	assert_true(idg_audit_redact(text));
	assert_string_equal(text, "[withheld]");
	strcpy(text, "a 11010519491231002X and 11010519491231002X");
	assert_true(idg_audit_redact(text));
	assert_string_equal(text, "a [withheld] and [withheld]");
	/* Not ID numbers: a bad check character, a longer run of digits. */
	strcpy(text, "110105194912310021 and 9110105194912310020");
	assert_false(idg_audit_redact(text));
	assert_string_equal(text, "110105194912310021 and 9110105194912310020");

	struct idg_audit_row row = { 0 };

	assert_int_equal(idg_audit_row_set(&row, IDG_AF_REF, "CASE 11010519491231002X", 23), 0);
	assert_true(row.redacted);
	assert_string_equal(row.values[IDG_AF_REF], "CASE [withheld]");
	idg_audit_row_clear(&row);
}

static void test_event_names(void **state)
{
	const char *const *ids;
	size_t n = idg_audit_message_ids(&ids);

	(void)state;
	assert_int_equal(n, 24);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(idg_audit_event_name(ids[i]), "other");
	assert_string_equal(idg_audit_event_name(IDG_MSG_ACCESS_DENIED), "access-denied");
	assert_string_equal(idg_audit_event_name(IDG_MSG_TOKEN_REDEEMED), "token-redeemed");
	assert_string_equal(idg_audit_event_name(IDG_MSG_REQUEST_ENDED), "request-ended");
	assert_string_equal(idg_audit_event_name("00000000000000000000000000000000"), "other");
	assert_string_equal(idg_audit_column(IDG_AF_HOST), "host");
	assert_string_equal(idg_audit_journal_field(IDG_AF_HOST), "_HOSTNAME");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_syntax),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_id_numbers_withheld),
		cmocka_unit_test(test_event_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
