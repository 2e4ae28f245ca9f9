// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resident ID numbers in case references (idnumber.h): valid numbers with a
 * digit, 'X' or 'x' as check character, wrong checksums, 17 and 19 digits,
 * numbers inside text next to letters, punctuation or more digits, and
 * NULL and "". The valid numbers below were computed with the GB 11643
 * algorithm and are not anybody's card.
 */
#include "unit.h"

#include "idnumber.h"
#include "util.h"

static const char *const valid[] = {
	"11010519491231002X", /* the standard's own worked example */
	"11010519491231002x",
	"440304198506151237",
	"31010120000229004X",
	"31010120000229004x",
	"110101199003074573",
	"510106197811068814",
	"330102199912315677",
};

static void test_is_id_number_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		if (!idg_is_id_number(valid[i])) {
			print_error("%s not recognised\n", valid[i]);
			fail();
		}
		assert_true(idg_contains_id_number(valid[i]));
	}
}

static void test_is_id_number_invalid(void **state)
{
	const char *const invalid[] = {
		"110105194912310021", /* checksum is X, not 1 */
		"110105194912310020",
		"440304198506151238",
		"110101199003074578", /* one digit off in the check character */
		"44030419850615123X",
		"11010519491231002Y",
		"1101051949123100X2", /* X only at the end */
		"X1010519491231002X",
		"11010519491231002",  /* 17 characters */
		"11010519491231002XX",
		"110105194912310020X",
		"1101051949123100020", /* 19 digits */
		"11010519491231002X ",
		" 11010519491231002X",
		"１１０１０５１９４９１２３１００２X", /* full-width digits are not ASCII digits */
		"",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
		if (idg_is_id_number(invalid[i])) {
			print_error("%s taken for an ID number\n", invalid[i]);
			fail();
		}
	assert_false(idg_is_id_number(NULL));
}

static void test_contains_in_text(void **state)
{
	const char *const texts[] = {
		"CASE-110101199003074573-X",
		"case 11010519491231002X",
		"11010519491231002x/2026",
		"ref:440304198506151237",
		"ABC11010519491231002XDEF", /* letters on both sides */
		"ABC440304198506151237DEF",
		"abc11010519491231002xyz",
		"a110101199003074573b",
		"2026-0001 and 31010120000229004X again",
		"first 12345 then 510106197811068814",
		"11010519491231002X5", /* what follows the X does not matter */
		"\xe6\xa1\x88\xe4\xbb\xb6" "110101199003074573",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (!idg_contains_id_number(texts[i])) {
			print_error("no ID number found in \"%s\"\n", texts[i]);
			fail();
		}
}

static void test_not_contained(void **state)
{
	const char *const texts[] = {
		"",
		"CASE-2026-000123",
		"CASE-110101199003074578-X", /* bad checksum */
		"11010519491231002",          /* 17 digits alone */
		"1101051949123100020",        /* 19 digits */
		"0110101199003074573",        /* a valid 18 preceded by a digit */
		"1101011990030745731",        /* and followed by one */
		"911010519491231002X",        /* 18 digits then X: the last 17 are part of a longer run */
		"110105194912310021",         /* checksum wants X */
		"11010519491231002Y",
		"phone 13800138000, order 2026011512345678",
		"1101051949-12310020X",
		"110101 19900307 4573", /* spaced groups are not recognised (a known limit) */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (idg_contains_id_number(texts[i])) {
			print_error("an ID number found in \"%s\"\n", texts[i]);
			fail();
		}
	assert_false(idg_contains_id_number(NULL));
}

/* Every other check character for the same 17 digits is refused. */
static void test_only_one_check_character(void **state)
{
	const char checks[] = "0123456789Xx";
	char text[19] = "11010519491231002X";
	int accepted = 0;

	(void)state;
	for (size_t i = 0; i < strlen(checks); i++) {
		text[17] = checks[i];
		accepted += idg_is_id_number(text);
	}
	assert_int_equal(accepted, 2); /* 'X' and 'x' */
	memcpy(text, "440304198506151230", 18);
	accepted = 0;
	for (size_t i = 0; i < strlen(checks); i++) {
		text[17] = checks[i];
		accepted += idg_is_id_number(text);
	}
	assert_int_equal(accepted, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_id_number_valid),
		cmocka_unit_test(test_is_id_number_invalid),
		cmocka_unit_test(test_contains_in_text),
		cmocka_unit_test(test_not_contained),
		cmocka_unit_test(test_only_one_check_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
