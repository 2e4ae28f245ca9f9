// SPDX-License-Identifier: GPL-2.0-only
/* Display widths and fitting text into columns, CJK included, never cut
 * inside a character. */
#include "unit.h"

#include "textwidth.h"

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(idg_text_width(""), 0);
	assert_int_equal(idg_text_width("CASE-2026-0042"), 14);
	assert_int_equal(idg_text_width("开户-2026-0042"), 2 * 2 + 10);
	assert_int_equal(idg_text_width("ｆｕｌｌ"), 8);
	assert_int_equal(idg_text_width("e\xcc\x81"), 1); /* e + combining acute */
	assert_int_equal(idg_text_width("a\xffz"), 3);   /* an invalid byte: one column */
}

static void test_fit(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(idg_text_fit("CASE-2026-0042", 20, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "CASE-2026-0042");
	/* Cut: marked, never silently shortened into another valid value. */
	assert_int_equal(idg_text_fit("CASE-2026-0042", 10, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "CASE-2026…");
	/* A two-column character that does not fit is left out whole. */
	assert_int_equal(idg_text_fit("业务编号开户", 6, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "业务…");
	assert_int_equal(idg_text_fit("业务编号开户", 7, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "业务编…");
	/* The buffer's size is respected without splitting a character. */
	assert_int_equal(idg_text_fit("业务编号开户", 40, buf, 8), 3);
	assert_string_equal(buf, "业…");
	assert_int_equal(idg_text_fit("abc", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
