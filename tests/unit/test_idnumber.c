// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resident ID numbers in case references (idnumber.h): valid numbers with a
 * digit, 'X' or 'x' as check character, wrong checksums, 17 and 19 digits,
 * numbers inside text next to letters, punctuation or more digits, and
 * NULL and "". Then the written forms: grouped by separators, full-width
 * digits and X, the 15-digit first generation with real and impossible
 * dates; what is not one (bank cards, phone numbers, dates); withholding
 * several in a string; invalid and truncated UTF-8. The valid numbers below
 * were computed with the GB 11643 algorithm and are not anybody's card.
 * The false-positive measurement is in test_idnumber_fp.c.
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

/* The ASCII digits of ascii as full-width ones (U+FF10..U+FF19), other
 * bytes as they are; out holds 3 * strlen(ascii) + 1. */
static char *full_width(const char *ascii, char *out)
{
	char *o = out;

	for (const char *a = ascii; *a; a++) {
		if (*a >= '0' && *a <= '9') {
			*o++ = (char)0xef;
			*o++ = (char)0xbc;
			*o++ = (char)(0x90 + (*a - '0'));
		} else {
			*o++ = *a;
		}
	}
	*o = '\0';
	return out;
}

struct span_case {
	const char *text;
	size_t start, end;
};

/* idg_find_id_number() finds exactly [start, end) in each, and
 * idg_contains_id_number() agrees. */
static void assert_spans(const struct span_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t start = (size_t)-1, end = (size_t)-1;

		if (!idg_find_id_number(cases[i].text, strlen(cases[i].text), &start, &end)) {
			print_error("no ID number found in \"%s\"\n", cases[i].text);
			fail();
		}
		if (start != cases[i].start || end != cases[i].end) {
			print_error("\"%s\": span [%zu, %zu), expected [%zu, %zu)\n", cases[i].text, start, end,
				    cases[i].start, cases[i].end);
			fail();
		}
		assert_true(idg_contains_id_number(cases[i].text));
	}
}

static void assert_none(const char *const *texts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t start = 7, end = 7;

		if (idg_find_id_number(texts[i], strlen(texts[i]), &start, &end) ||
		    idg_contains_id_number(texts[i])) {
			print_error("an ID number found in \"%s\"\n", texts[i]);
			fail();
		}
		assert_int_equal(start, 7); /* out-params untouched on failure */
		assert_int_equal(end, 7);
	}
}

static void test_grouped_forms(void **state)
{
	const struct span_case cases[] = {
		{ "110105 19491231 002X", 0, 20 },
		{ "110105-19491231-002X", 0, 20 },
		{ "110105\t19491231\t002x", 0, 20 },
		{ "110105 19491231-002X", 0, 20 },               /* mixed */
		{ "110 105 1949 1231 002X", 0, 22 },             /* 3-3-4-4-4, as phone numbers are read out */
		{ "4403 0419 8506 1512 37", 0, 22 },             /* in fours */
		{ "1101 0519 4912 3100 2X", 0, 22 },
		{ "110105\xc2\xa0" "19491231\xc2\xa0" "002X", 0, 22 },         /* U+00A0 */
		{ "110105\xe3\x80\x80" "19491231\xe3\x80\x80" "002X", 0, 24 }, /* U+3000 */
		{ "110105\xe2\x80\x90" "19491231\xe2\x80\x95" "002X", 0, 24 }, /* U+2010, U+2015 */
		{ "110105\xe2\x80\x93" "19491231\xe2\x80\x94" "002X", 0, 24 }, /* en and em dash */
		{ "110105\xef\xbc\x8d" "19491231\xef\xbc\x8d" "002X", 0, 24 }, /* U+FF0D */
		{ "1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 X", 0, 35 },                  /* spelt out */
		{ "11010519491231002 X", 0, 19 },                /* one separator before the X */
		{ "110105 19491231 002-x", 0, 21 },
		{ "ID: 110105 19491231 002X.", 4, 24 },
		{ "ABC110105-19491231-002XDEF", 3, 23 },         /* letters on both sides */
		{ "abc 4403-0419-8506-1512-37xyz", 4, 26 },
		{ "\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81" "110105 19491231 002X" "\xe5\x8f\xb7", 9, 29 },
		{ "110105 19491231 002X5", 0, 20 },              /* what follows the X does not matter */
		{ "tel 010 6512 3456, id 110105 19491231 002X", 22, 42 },
		/* An ID number and a phone number side by side: the unbroken run
		 * counts on its own, as it did before grouping was understood. */
		{ "110101199003074573 13800138000", 0, 18 },
		{ "13800138000 11010519491231002X", 12, 30 },
		/* ... and then the digits before it are a number of their own. */
		{ "110101 199003074573 440304198506151237", 0, 19 },
	};

	(void)state;
	assert_spans(cases, ARRAY_SIZE(cases));
}

static void test_full_width_forms(void **state)
{
	char a[128], b[128], c[128];
	const struct span_case cases[] = {
		{ "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x95"
		  "\xef\xbc\x91\xef\xbc\x99\xef\xbc\x94\xef\xbc\x99\xef\xbc\x91\xef\xbc\x92"
		  "\xef\xbc\x93\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90\xef\xbc\x92\xef\xbc\xb8",
		  0, 54 }, /* １１０１０５１９４９１２３１００２Ｘ */
		{ full_width("11010519491231002", a), 0, 54 }, /* ｘ added below */
		{ full_width("440304198506151237", b), 0, 54 },
		{ full_width("abc 110105 19491231 002x def", c), 4, 58 }, /* full-width digits, ASCII x */
		{ "11010519491231002\xef\xbc\xb8", 0, 20 },                  /* ASCII digits, Ｘ */
		{ "11010519491231002\xef\xbd\x98", 0, 20 },                  /* ｘ */
		{ "110105\xef\xbc\x91\xef\xbc\x99\xef\xbc\x94\xef\xbc\x99" "1231002X", 0, 26 }, /* mixed */
		{ "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x95\xe3\x80\x80"
		  "19491231\xe3\x80\x80" "002\xef\xbc\xb8", 0, 38 },
	};

	(void)state;
	/* The 17 digits alone are not one; the X makes them one. */
	assert_false(idg_contains_id_number(a));
	strcat(a, "\xef\xbd\x98");
	assert_spans(cases, ARRAY_SIZE(cases));
}

static void test_first_generation(void **state)
{
	char fw[64];
	const struct span_case cases[] = {
		{ "110105491231002", 0, 15 }, /* 1949-12-31 */
		{ "110105 491231 002", 0, 17 },
		{ "110105-491231-002", 0, 17 },
		{ full_width("110105491231002", fw), 0, 45 },
		{ "310101800229004", 0, 15 }, /* 1980 was a leap year */
		{ "310101000101004", 0, 15 }, /* 1900-01-01 */
		{ "440304991130123", 0, 15 },
		{ "old card 440304 650701 123, new", 9, 26 },
		{ "110105491231002X", 0, 15 }, /* a letter after it does not matter */
	};
	const char *const not_dates[] = {
		"110105491331002", /* month 13 */
		"110105490001002", /* month 00 */
		"110105491232002", /* December 32 */
		"110105490431002", /* April 31 */
		"110105490100002", /* day 00 */
		"310101810229004", /* 1981 was not a leap year */
		"310101000229004", /* nor was 1900 */
		"310101800230004", /* February 30 */
		"110105 491331 002",
		"1101054912310021", /* 16 digits */
		"11010549123100",   /* 14 digits */
		"110105 491231 002 3", /* grouped: one number of 16 digits */
	};

	(void)state;
	assert_spans(cases, ARRAY_SIZE(cases));
	assert_none(not_dates, ARRAY_SIZE(not_dates));
}

static void test_not_id_numbers(void **state)
{
	const char *const texts[] = {
		"1101051949123100205",              /* 19 digits */
		"110105 19491231 00205",            /* 19, grouped */
		"4111 1111 1111 1111",              /* 16-digit card (Luhn) in fours */
		"6222021234567894",                 /* and unbroken */
		"6228 4800 1234 5678 903",          /* 19-digit card in fours */
		"6228480012345678903",
		"6222 0212 3456 7890 12",           /* 18, but not the checksum */
		"13800138000",                      /* mobile */
		"138 0013 8000",
		"+86 138-0013-8000",
		"010-65123456",                     /* landline */
		"2026 12 02 10",                    /* one number of 10 digits */
		"2026-12-02 10:30:00",
		"20261202103000",
		"1764670200000",                    /* ms timestamp */
		"2 110105 19491231 002X",           /* 18 digits and an X: part of a longer number */
		"110105  19491231  002X",           /* two separators end a number */
		"110105 - 19491231 - 002X",
		"110105.19491231.002X",             /* '.' and '/' are not separators */
		"110105/19491231/002X",
		"11010519491231002 - X",            /* one separator before the X, not two */
		"11010519491231002 Y",
		"CASE-2026-0042",
		"(2026)\xe4\xba\xac" "0105\xe6\xb0\x91\xe5\x88\x9d" "12345\xe5\x8f\xb7",
		"ACC-20261202-000123",
		"550e8400-e29b-41d4-a716-446655440000",
	};

	(void)state;
	assert_none(texts, ARRAY_SIZE(texts));
}

static void test_withhold_several(void **state)
{
	char text[] = "a 110105 19491231 002X, b "
		      "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91"
		      "\xef\xbc\x91\xef\xbc\x99\xef\xbc\x99\xef\xbc\x90\xef\xbc\x90\xef\xbc\x93"
		      "\xef\xbc\x90\xef\xbc\x97\xef\xbc\x94\xef\xbc\x95\xef\xbc\x97\xef\xbc\x93"
		      "; c 110105491231002 \xff\xfe end 13800138000 "
		      "4111 1111 1111 1111 440304198506151237";
	const char expected[] = "a " IDG_WITHHELD ", b " IDG_WITHHELD "; c " IDG_WITHHELD
				" \xff\xfe end 13800138000 4111 1111 1111 1111 " IDG_WITHHELD;

	(void)state;
	assert_int_equal(idg_withhold(text), 4);
	assert_memory_equal(text, expected, sizeof(expected));
	assert_false(idg_contains_id_number(text));
}

static void test_withhold_edges(void **state)
{
	char empty[] = "";
	char none[] = "CASE-2026-0042 13800138000 \xef\xbc\x91\xef";
	char side_by_side[] = "110101199003074573 11010519491231002X";
	char whole[] = "11010519491231002X";
	char run_in_number[] = "1 2 110101199003074573 3 4";

	(void)state;
	assert_int_equal(idg_withhold(NULL), 0);
	assert_int_equal(idg_withhold(empty), 0);
	assert_string_equal(empty, "");
	assert_int_equal(idg_withhold(none), 0);
	assert_string_equal(none, "CASE-2026-0042 13800138000 \xef\xbc\x91\xef");
	assert_int_equal(idg_withhold(side_by_side), 2);
	assert_string_equal(side_by_side, IDG_WITHHELD " " IDG_WITHHELD);
	assert_int_equal(idg_withhold(whole), 1);
	assert_string_equal(whole, IDG_WITHHELD);
	assert_int_equal(idg_withhold(run_in_number), 1);
	assert_string_equal(run_in_number, "1 2 " IDG_WITHHELD " 3 4");
	assert_true(strlen(IDG_WITHHELD) < 15); /* the text never grows */
}

/* Exactly len bytes on the heap, no NUL after them, so AddressSanitizer
 * sees a read past the end. */
static bool find_in_exact(const char *bytes, size_t len, size_t *start, size_t *end)
{
	char *copy = malloc(len ? len : 1);
	bool found;

	assert_non_null(copy);
	memcpy(copy, bytes, len);
	found = idg_find_id_number(copy, len, start, end);
	free(copy);
	return found;
}

static void test_invalid_utf8(void **state)
{
	char fw[128];
	const char *const truncated[] = {
		"11010519491231002\xef\xbc",     /* Ｘ cut short */
		"11010519491231002\xef",
		"11010519491231002 \xef\xbc",
		"11010519491231002\xc2",         /* U+00A0 cut short */
		"\xef\xbc\x91\xef\xbc",
		"\xe3\x80",
		"\xe2\x80",
		"\xef",
		"\xc2",
		"110105\xc2" "19491231002X",     /* a stray byte is not a separator */
		"110105\xe3\x80" "19491231002X",
		"\xbc\x91\xbc\x91",              /* continuation bytes alone */
	};
	size_t start, end, len;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(truncated); i++)
		if (find_in_exact(truncated[i], strlen(truncated[i]), &start, &end)) {
			print_error("an ID number found in truncated text %zu\n", i);
			fail();
		}
	/* The last full-width digit cut short by len is not read. */
	full_width("110101199003074573", fw);
	len = strlen(fw);
	assert_true(find_in_exact(fw, len, &start, &end));
	assert_int_equal(start, 0);
	assert_int_equal(end, len);
	for (size_t cut = 1; cut <= 3; cut++)
		assert_false(find_in_exact(fw, len - cut, &start, &end));
	/* Any bytes around a number, NUL included. */
	assert_true(find_in_exact("\xff\xfe" "110101199003074573\x80", 21, &start, &end));
	assert_int_equal(start, 2);
	assert_int_equal(end, 20);
	assert_true(find_in_exact("abc\0" "110101199003074573", 22, &start, &end));
	assert_int_equal(start, 4);
	assert_true(find_in_exact("\xef\xbc\xef\xbc\x91" "10101199003074573", 22, &start, &end));
	assert_int_equal(start, 2);
	assert_false(idg_find_id_number(NULL, 10, &start, &end));
	assert_false(idg_find_id_number("110101199003074573", 0, &start, &end));
}

/* Random bytes from the ones the scanner looks at: nothing read past the
 * end, spans inside the text, and withholding leaves nothing to find. */
static void test_random_bytes(void **state)
{
	static const unsigned char alphabet[] = { '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X', 'x',
						  ' ', '-', '\t', 0xef, 0xbc, 0xbd, 0x90, 0x91, 0x99, 0xb8,
						  0x98, 0x8d, 0xe2, 0xe3, 0x80, 0x95, 0xc2, 0xa0, 0xff, 'a' };
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char buf[96];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len, start, end;
		bool found;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		len = seed % sizeof(buf);
		for (size_t i = 0; i < len; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			/* Mostly digits, so that numbers of 15 to 18 form. */
			buf[i] = (char)(seed % 3 ? '0' + (seed >> 8) % 10 : alphabet[(seed >> 8) % sizeof(alphabet)]);
		}
		found = find_in_exact(buf, len, &start, &end);
		if (found) {
			assert_true(start < end && end <= len && end - start >= 15);
		}
		buf[len] = '\0';
		if (strlen(buf) == len) {
			size_t withheld = idg_withhold(buf);

			assert_true(found ? withheld > 0 : withheld == 0);
			assert_false(idg_contains_id_number(buf));
		}
	}
}

/* Quadratic work would not finish: a megabyte of ID numbers joined by
 * single spaces, and a megabyte-long number of single digits. */
static void test_linear_time(void **state)
{
	const char id[] = "110101199003074573 ";
	size_t n = 50000, id_len = sizeof(id) - 1, len = n * id_len;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * id_len, id, id_len);
	text[len] = '\0';
	assert_int_equal(idg_withhold(text), n);
	assert_int_equal(strlen(text), n * (strlen(IDG_WITHHELD) + 1));
	for (size_t i = 0; i < len; i += 2) {
		text[i] = '1';
		text[i + 1] = ' ';
	}
	text[len] = '\0';
	assert_false(idg_contains_id_number(text));
	assert_int_equal(idg_withhold(text), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_id_number_valid),
		cmocka_unit_test(test_is_id_number_invalid),
		cmocka_unit_test(test_contains_in_text),
		cmocka_unit_test(test_not_contained),
		cmocka_unit_test(test_only_one_check_character),
		cmocka_unit_test(test_grouped_forms),
		cmocka_unit_test(test_full_width_forms),
		cmocka_unit_test(test_first_generation),
		cmocka_unit_test(test_not_id_numbers),
		cmocka_unit_test(test_withhold_several),
		cmocka_unit_test(test_withhold_edges),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_linear_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
