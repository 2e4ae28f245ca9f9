// SPDX-License-Identifier: GPL-2.0-only
/*
 * The name tables (names.h) that policy files, the CLI, JSON and journal
 * fields use: class names both ways, class lists ("scanner,camera") parsed
 * and formatted (round trip for every mask, the word not understood handed
 * back, the empty list refused), mode, verdict, reason and device type names,
 * and access bits as words.
 */
#include "unit.h"

#include "names.h"
#include "util.h"

static const struct {
	unsigned id;
	const char *name;
} classes[] = {
	{ IDG_CLASS_SCANNER, "scanner" }, { IDG_CLASS_CAMERA, "camera" },   { IDG_CLASS_CARD_READER, "card-reader" },
	{ IDG_CLASS_PRINTER, "printer" }, { IDG_CLASS_STORAGE, "storage" }, { IDG_CLASS_UNCLASSIFIED, "unclassified" },
	{ IDG_CLASS_OTHER, "other" },
};

#define ALL_CLASSES 0xfeu /* bits 1..7 */

static void test_class_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		assert_string_equal(idg_class_name(classes[i].id), classes[i].name);
		assert_int_equal(idg_class_from_name(classes[i].name), classes[i].id);
	}
	assert_string_equal(idg_class_name(IDG_CLASS_NONE), "unknown");
	assert_string_equal(idg_class_name(IDG_CLASS_COUNT), "unknown");
	assert_string_equal(idg_class_name(0xffffffffu), "unknown");
	assert_int_equal(idg_class_from_name(""), 0);
	assert_int_equal(idg_class_from_name("unknown"), 0);
	assert_int_equal(idg_class_from_name("Scanner"), 0);
	assert_int_equal(idg_class_from_name("scanner "), 0);
	assert_int_equal(idg_class_from_name("card_reader"), 0);
}

static void test_class_mask_parse(void **state)
{
	static const struct {
		const char *list;
		uint32_t mask;
	} good[] = {
		{ "scanner", 1u << IDG_CLASS_SCANNER },
		{ "scanner,camera", (1u << IDG_CLASS_SCANNER) | (1u << IDG_CLASS_CAMERA) },
		{ "camera,scanner", (1u << IDG_CLASS_SCANNER) | (1u << IDG_CLASS_CAMERA) },
		{ "camera,camera", 1u << IDG_CLASS_CAMERA },
		{ "scanner,camera,card-reader,printer,storage,unclassified,other", ALL_CLASSES },
	};
	char bad[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint32_t mask = 0;

		strcpy(bad, "untouched");
		assert_int_equal(idg_class_mask_parse(good[i].list, &mask, bad, sizeof(bad)), 0);
		assert_int_equal(mask, good[i].mask);
	}
}

static void test_class_mask_parse_bad(void **state)
{
	static const struct {
		const char *list, *bad;
	} cases[] = {
		{ "webcam", "webcam" },
		{ "scanner,webcam", "webcam" },
		{ "scanner,webcam,camera", "webcam" },
		{ "Scanner", "Scanner" },
		{ "scanner camera", "scanner camera" },
		{ "scanner,,camera", "" },
		{ "", "" },
		{ "a-very-long-word-that-is-no-class-at-all", "a-very-long-word-that-is-no-class-at-all" },
	};
	char bad[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t mask = 0xdead;
		int r;

		strcpy(bad, "untouched");
		r = idg_class_mask_parse(cases[i].list, &mask, bad, sizeof(bad));
		if (r != -EINVAL || !streq(bad, cases[i].bad)) {
			print_error("'%s': returned %d with bad '%s', expected -EINVAL with '%s'\n", cases[i].list, r, bad,
				    cases[i].bad);
			fail();
		}
		/* Out-parameters are written only on success. */
		assert_int_equal(mask, 0xdead);
	}

	/* A bad word longer than the buffer is cut, never overflows. */
	assert_int_equal(idg_class_mask_parse("scanner,webcamera", &(uint32_t){ 0 }, bad, 4), -EINVAL);
	assert_string_equal(bad, "web");
}

static void test_class_mask_round_trip(void **state)
{
	char buf[128], bad[64];

	(void)state;
	for (uint32_t mask = 2; mask <= ALL_CLASSES; mask += 2) {
		uint32_t parsed = 0;

		idg_class_mask_format(mask, buf, sizeof(buf));
		if (idg_class_mask_parse(buf, &parsed, bad, sizeof(bad)) != 0 || parsed != mask) {
			print_error("mask %#x formats as '%s', which parses as %#x (bad '%s')\n", mask, buf, parsed, bad);
			fail();
		}
	}
	idg_class_mask_format((1u << IDG_CLASS_SCANNER) | (1u << IDG_CLASS_PRINTER), buf, sizeof(buf));
	assert_string_equal(buf, "scanner,printer");
	idg_class_mask_format(ALL_CLASSES, buf, sizeof(buf));
	assert_string_equal(buf, "scanner,camera,card-reader,printer,storage,unclassified,other");
	/* Bits that name no class are left out. */
	idg_class_mask_format(1u | (1u << 31) | (1u << IDG_CLASS_CAMERA), buf, sizeof(buf));
	assert_string_equal(buf, "camera");
	idg_class_mask_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* A short buffer gets a NUL-terminated prefix. */
	memset(buf, 'x', sizeof(buf));
	idg_class_mask_format(ALL_CLASSES, buf, 10);
	assert_string_equal(buf, "scanner,c");
	assert_int_equal(buf[10], 'x');
}

static void test_mode_names(void **state)
{
	(void)state;
	assert_int_equal(idg_mode_from_name("off"), IDG_MODE_OFF);
	assert_int_equal(idg_mode_from_name("audit"), IDG_MODE_AUDIT);
	assert_int_equal(idg_mode_from_name("enforce"), IDG_MODE_ENFORCE);
	assert_int_equal(idg_mode_from_name("Enforce"), -EINVAL);
	assert_int_equal(idg_mode_from_name("on"), -EINVAL);
	assert_int_equal(idg_mode_from_name(""), -EINVAL);
	assert_int_equal(idg_mode_from_name("enforce "), -EINVAL);
	assert_string_equal(idg_mode_name(IDG_MODE_OFF), "off");
	assert_string_equal(idg_mode_name(IDG_MODE_AUDIT), "audit");
	assert_string_equal(idg_mode_name(IDG_MODE_ENFORCE), "enforce");
	assert_string_equal(idg_mode_name(3), "unknown");
	assert_string_equal(idg_mode_name(0xffffffffu), "unknown");
}

static void test_verdict_reason_type_names(void **state)
{
	(void)state;
	assert_string_equal(idg_verdict_name(IDG_VERDICT_DENIED), "denied");
	assert_string_equal(idg_verdict_name(IDG_VERDICT_AUDITED), "audited");
	assert_string_equal(idg_verdict_name(IDG_VERDICT_GRANTED), "granted");
	assert_string_equal(idg_verdict_name(0), "unknown");
	assert_string_equal(idg_verdict_name(4), "unknown");

	assert_string_equal(idg_reason_name(IDG_REASON_NO_GRANT), "no-grant");
	assert_string_equal(idg_reason_name(IDG_REASON_GRANT_EXPIRED), "grant-expired");
	assert_string_equal(idg_reason_name(IDG_REASON_GRANT_OTHER_CLASS), "grant-other-class");
	assert_string_equal(idg_reason_name(IDG_REASON_UID_GRANT), "uid-grant");
	assert_string_equal(idg_reason_name(IDG_REASON_SESSION_GRANT), "session-grant");
	assert_string_equal(idg_reason_name(0), "unknown");
	assert_string_equal(idg_reason_name(6), "unknown");

	assert_string_equal(idg_dev_type_name(IDG_DEV_CHAR), "char");
	assert_string_equal(idg_dev_type_name(IDG_DEV_BLOCK), "block");
}

static void test_access_format(void **state)
{
	static const struct {
		unsigned access;
		const char *text;
	} cases[] = {
		{ 0, "" },
		{ IDG_ACCESS_READ, "read" },
		{ IDG_ACCESS_WRITE, "write" },
		{ IDG_ACCESS_MKNOD, "mknod" },
		{ IDG_ACCESS_READ | IDG_ACCESS_WRITE, "read,write" },
		{ IDG_ACCESS_READ | IDG_ACCESS_MKNOD, "read,mknod" },
		{ IDG_ACCESS_WRITE | IDG_ACCESS_MKNOD, "write,mknod" },
		{ IDG_ACCESS_READ | IDG_ACCESS_WRITE | IDG_ACCESS_MKNOD, "read,write,mknod" },
		{ IDG_ACCESS_READ | 0x100, "read" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		idg_access_format(cases[i].access, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
	idg_access_format(IDG_ACCESS_READ | IDG_ACCESS_WRITE, buf, 5);
	assert_string_equal(buf, "read");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_class_mask_parse),
		cmocka_unit_test(test_class_mask_parse_bad),
		cmocka_unit_test(test_class_mask_round_trip),
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_verdict_reason_type_names),
		cmocka_unit_test(test_access_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
