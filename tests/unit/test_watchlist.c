// SPDX-License-Identifier: GPL-2.0-only
/*
 * The watch list (watchlist.h): splitting minor ranges into the aligned
 * blocks the kernel's LPM map holds (checked exhaustively for small ranges
 * against the minimal decomposition, and for large ones up to 0xfffff),
 * overlaps between classes refused with the other line's file:line, a
 * repeated line accepted, node paths resolved (/dev/null is char 1:3; a
 * missing node is a warning and skipped, a regular file an error), lookup
 * precedence exact > range > whole major, and device ids that stay the same
 * across rebuilds and reorderings of the same lines.
 */
#include "unit.h"

#include <sys/sysmacros.h>

#include "policy.h"
#include "util.h"
#include "watchlist.h"

#define MINOR_BITS 20

/* ---- idg_range_split ------------------------------------------------------- */

struct blocks {
	uint32_t start[64];
	unsigned bits[64];
	size_t count;
	bool overflow;
};

static void collect_block(uint32_t start, unsigned bits, void *data)
{
	struct blocks *b = data;

	if (b->count == ARRAY_SIZE(b->start)) {
		b->overflow = true;
		return;
	}
	b->start[b->count] = start;
	b->bits[b->count] = bits;
	b->count++;
}

/* The fewest aligned blocks that cover [lo, end) exactly: the nodes of the
 * binary trie over the minor space that lie inside the range while their
 * parent does not. Any exact cover by aligned blocks has at least this many. */
static unsigned minimal_blocks(uint64_t lo, uint64_t end, uint64_t node, unsigned bits)
{
	uint64_t node_end = node + (1ull << bits);

	if (node_end <= lo || node >= end)
		return 0;
	if (lo <= node && node_end <= end)
		return 1;
	return minimal_blocks(lo, end, node, bits - 1) + minimal_blocks(lo, end, node + (1ull << (bits - 1)), bits - 1);
}

/* Returns NULL when the split of [lo, hi] is right, else what is wrong. */
static const char *check_split(uint32_t lo, uint32_t hi)
{
	struct blocks b = { .count = 0 };
	uint64_t next = lo;

	idg_range_split(lo, hi, collect_block, &b);
	if (b.overflow)
		return "more than 64 blocks";
	for (size_t i = 0; i < b.count; i++) {
		uint64_t size = 1ull << b.bits[i];

		if (b.bits[i] > MINOR_BITS)
			return "a block is larger than the minor space";
		if (b.start[i] & (size - 1))
			return "a block is not aligned to its size";
		if (b.start[i] != next)
			return "blocks overlap, leave a gap or are out of order";
		next = b.start[i] + size;
	}
	if (next != (uint64_t)hi + 1)
		return "blocks do not end at hi";
	if (b.count > 2 * MINOR_BITS)
		return "more than 2 * 20 blocks";
	if (b.count != minimal_blocks(lo, (uint64_t)hi + 1, 0, MINOR_BITS))
		return "not the fewest blocks";
	return NULL;
}

static void expect_split_ok(uint32_t lo, uint32_t hi)
{
	const char *problem = check_split(lo, hi);

	if (problem) {
		print_error("idg_range_split(%#x, %#x): %s\n", lo, hi, problem);
		fail();
	}
}

static void test_range_split_small_exhaustive(void **state)
{
	(void)state;
	for (uint32_t lo = 0; lo < 300; lo++)
		for (uint32_t hi = lo; hi < 300; hi++)
			expect_split_ok(lo, hi);
}

static void test_range_split_large(void **state)
{
	static const uint32_t ranges[][2] = {
		{ 0, 0xfffff },      { 1, 0xfffff },      { 0, 0xffffe },       { 1, 0xffffe },
		{ 0xfffff, 0xfffff }, { 0x7ffff, 0x80000 }, { 0x80000, 0xfffff }, { 0x12345, 0xedcba },
		{ 0x1, 0x7ffff },    { 0x55555, 0xaaaaa }, { 0, 0 },             { 0xff, 0xfff00 },
	};
	uint32_t seed = 12345;
	struct blocks b = { .count = 0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		expect_split_ok(ranges[i][0], ranges[i][1]);
	/* Fixed pseudo-random ranges over the whole minor space. */
	for (int i = 0; i < 20000; i++) {
		uint32_t a, c;

		seed = seed * 1103515245u + 12345u;
		a = (seed >> 8) & 0xfffff;
		seed = seed * 1103515245u + 12345u;
		c = (seed >> 8) & 0xfffff;
		expect_split_ok(a < c ? a : c, a < c ? c : a);
	}

	/* The extremes, spelled out. */
	idg_range_split(0, 0xfffff, collect_block, &b);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.start[0], 0);
	assert_int_equal(b.bits[0], 20);
	b.count = 0;
	idg_range_split(1, 0xffffe, collect_block, &b);
	assert_int_equal(b.count, 38);
	/* The man page's examples: 0-15 is one block, 1-14 is six. */
	b.count = 0;
	idg_range_split(0, 15, collect_block, &b);
	assert_int_equal(b.count, 1);
	b.count = 0;
	idg_range_split(1, 14, collect_block, &b);
	assert_int_equal(b.count, 6);
	b.count = 0;
	idg_range_split(180, 180, collect_block, &b);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.start[0], 180);
	assert_int_equal(b.bits[0], 0);
}

/* ---- building ------------------------------------------------------------------ */

struct built {
	struct idg_policy *policy;
	struct idg_watchlist *list;
	struct idg_diags diags;
};

static void build(struct built *b, const char *text)
{
	memset(b, 0, sizeof(*b));
	b->policy = idg_policy_new();
	assert_non_null(b->policy);
	assert_int_equal(idg_policy_parse_string(b->policy, "test.conf", text, &b->diags), 0);
	if (b->diags.count) {
		print_error("policy diagnostics before the watch list was built\n");
		fail();
	}
	assert_int_equal(idg_watchlist_build(b->policy, &b->list, &b->diags), 0);
	assert_non_null(b->list);
}

static void built_free(struct built *b)
{
	idg_watchlist_free(b->list);
	idg_policy_free(b->policy);
	idg_diags_clear(&b->diags);
}

static void expect_diag(const struct idg_diags *diags, size_t i, bool warning, unsigned line, const char *message)
{
	assert_true(i < diags->count);
	if (diags->items[i].warning != warning || diags->items[i].line != line ||
	    !streq(diags->items[i].message, message)) {
		print_error("diagnostic %zu is %s on line %u: \"%s\"\nexpected %s on line %u: \"%s\"\n", i,
			    diags->items[i].warning ? "a warning" : "an error", diags->items[i].line,
			    diags->items[i].message, warning ? "a warning" : "an error", line, message);
		fail();
	}
}

static void expect_found(const struct idg_watchlist *list, unsigned type, uint32_t major, uint32_t minor,
			 unsigned class_id, const char *source)
{
	const struct idg_watch_entry *e = idg_watchlist_find(list, type, major, minor);

	if (!e || e->class_id != class_id || !streq(e->source, source)) {
		print_error("%u:%u found %s (class %u, %s), expected class %u from %s\n", major, minor,
			    e ? "an entry" : "nothing", e ? e->class_id : 0, e ? e->source : "-", class_id, source);
		fail();
	}
}

static void test_overlaps_between_classes(void **state)
{
	struct built b;

	(void)state;
	build(&b, "[Class camera]\n"        /* 1 */
		  "Device=char 81:*\n"      /* 2 */
		  "Device=char 180:0-15\n"  /* 3 */
		  "[Class scanner]\n"       /* 4 */
		  "Device=char 81:*\n"      /* 5: same major, other class */
		  "[Class printer]\n"       /* 6 */
		  "Device=char 180:8-20\n"  /* 7: overlapping range */
		  "Device=char 240:5\n"     /* 8 */
		  "[Class card-reader]\n"   /* 9 */
		  "Device=char 240:5\n"     /* 10: same minor, other class */
		  "Device=char 180:5\n"     /* 11: one minor inside a range: fine */
		  "Device=char 81:7\n"      /* 12: one minor inside a whole major: fine */
		  "Device=block 81:*\n");   /* 13: block is another space: fine */
	assert_int_equal(b.diags.errors, 3);
	assert_int_equal(b.diags.count, 3);
	expect_diag(&b.diags, 0, false, 5,
		    "overlaps char 81:* of class camera (test.conf:2); a device can be in one class only");
	expect_diag(&b.diags, 1, false, 7,
		    "overlaps char 180:0-15 of class camera (test.conf:3); a device can be in one class only");
	expect_diag(&b.diags, 2, false, 10,
		    "overlaps char 240:5 of class printer (test.conf:8); a device can be in one class only");
	assert_string_equal(b.diags.items[0].file, "test.conf");

	/* Refused lines are left out; the rest is there, the more specific winning. */
	assert_int_equal(b.list->count, 6);
	expect_found(b.list, IDG_DEV_CHAR, 81, 0, IDG_CLASS_CAMERA, "test.conf:2");
	expect_found(b.list, IDG_DEV_CHAR, 81, 7, IDG_CLASS_CARD_READER, "test.conf:12");
	expect_found(b.list, IDG_DEV_CHAR, 180, 10, IDG_CLASS_CAMERA, "test.conf:3");
	expect_found(b.list, IDG_DEV_CHAR, 180, 5, IDG_CLASS_CARD_READER, "test.conf:11");
	expect_found(b.list, IDG_DEV_CHAR, 240, 5, IDG_CLASS_PRINTER, "test.conf:8");
	expect_found(b.list, IDG_DEV_BLOCK, 81, 0, IDG_CLASS_CARD_READER, "test.conf:13");
	assert_null(idg_watchlist_find(b.list, IDG_DEV_CHAR, 180, 20));
	built_free(&b);
}

/* Within one class too, unless it is the very same entry (idguard-policy(5)). */
static void test_overlap_within_class(void **state)
{
	struct built b;

	(void)state;
	build(&b, "[Class printer]\n"
		  "Device=char 180:0-15\n"
		  "Device=char 180:8-20\n"
		  "Device=char 180:0-15\n");
	assert_int_equal(b.diags.errors, 1);
	expect_diag(&b.diags, 0, false, 3,
		    "overlaps char 180:0-15 (test.conf:2) of the same class; merge the two into one range");
	assert_int_equal(b.list->count, 1);
	built_free(&b);
}

static void test_same_line_twice(void **state)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_watchlist *list = NULL;
	struct idg_diags diags = { 0 };

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "10-defaults.conf",
						 "[Class camera]\nDevice=char 81:*\nDevice=char 81:*\n"
						 "[Class printer]\nDevice=char 180:0-15\n",
						 &diags),
			 0);
	assert_int_equal(idg_policy_parse_string(policy, "50-site.conf",
						 "[Class camera]\nDevice=char 81:*\n"
						 "[Class printer]\nDevice=char 180:0-15\nDevice=char 180:3\n",
						 &diags),
			 0);
	assert_int_equal(policy->n_devices, 6);
	assert_int_equal(idg_watchlist_build(policy, &list, &diags), 0);
	assert_int_equal(diags.count, 0);
	/* The first line is kept, so events name where the device was first listed. */
	assert_int_equal(list->count, 3);
	assert_string_equal(list->entries[0].source, "10-defaults.conf:2");
	assert_string_equal(list->entries[1].source, "10-defaults.conf:5");
	assert_string_equal(list->entries[2].source, "50-site.conf:5");
	idg_watchlist_free(list);
	idg_policy_free(policy);
}

static void test_node_path_resolved(void **state)
{
	struct built b;
	const struct idg_watch_entry *e;
	char buf[64];

	(void)state;
	build(&b, "[Class scanner]\nDevice=/dev/null\n[Class camera]\nDevice=char 1:3\nDevice=char 1:5\n");
	assert_int_equal(b.list->count, 2);
	e = &b.list->entries[0];
	assert_int_equal(e->class_id, IDG_CLASS_SCANNER);
	assert_int_equal(e->dev_type, IDG_DEV_CHAR);
	assert_int_equal(e->major, 1);
	assert_int_equal(e->minor_lo, 3);
	assert_int_equal(e->minor_hi, 3);
	assert_false(e->whole_major);
	assert_string_equal(e->node, "/dev/null");
	assert_string_equal(e->source, "test.conf:2");
	assert_ptr_equal(idg_watchlist_find(b.list, IDG_DEV_CHAR, 1, 3), e);
	assert_ptr_equal(idg_watchlist_by_id(b.list, e->device_id), e);
	idg_watch_entry_format(e, buf, sizeof(buf));
	assert_string_equal(buf, "char 1:3");
	/* The resolved number takes part in overlap checks like any other. */
	assert_int_equal(b.diags.errors, 1);
	expect_diag(&b.diags, 0, false, 4,
		    "overlaps char 1:3 of class scanner (test.conf:2); a device can be in one class only");
	assert_null(b.list->entries[1].node);
	assert_int_equal(b.list->entries[1].minor_lo, 5);
	built_free(&b);
}

/* Real nodes of both kinds (mknod needs root; skipped otherwise). */
static void test_node_path_types(void **state)
{
	const char *tmp = *state;
	char *blk = path_join(tmp, "loop200"), *chr = path_join(tmp, "cam"), *text;
	struct built b;

	if (mknod(blk, S_IFBLK | 0600, makedev(7, 200)) < 0 || mknod(chr, S_IFCHR | 0600, makedev(240, 5)) < 0) {
		free(blk);
		free(chr);
		skip();
	}
	assert_true(asprintf(&text, "[Class storage]\nDevice=%s\n[Class camera]\nDevice=%s\n", blk, chr) > 0);
	build(&b, text);
	assert_int_equal(b.diags.count, 0);
	assert_int_equal(b.list->count, 2);
	assert_int_equal(b.list->entries[0].dev_type, IDG_DEV_BLOCK);
	assert_int_equal(b.list->entries[0].major, 7);
	assert_int_equal(b.list->entries[0].minor_lo, 200);
	assert_int_equal(b.list->entries[1].dev_type, IDG_DEV_CHAR);
	assert_int_equal(b.list->entries[1].major, 240);
	assert_int_equal(b.list->entries[1].minor_lo, 5);
	assert_int_equal(idg_watchlist_find(b.list, IDG_DEV_BLOCK, 7, 200)->class_id, IDG_CLASS_STORAGE);
	assert_null(idg_watchlist_find(b.list, IDG_DEV_CHAR, 7, 200));
	built_free(&b);
	free(text);
	free(blk);
	free(chr);
}

static void test_missing_node_is_warning(void **state)
{
	const char *tmp = *state;
	struct built b;
	char *text, *node = path_join(tmp, "video9"), *message;

	assert_true(asprintf(&text, "[Class camera]\nDevice=%s\nDevice=char 81:0\n", node) > 0);
	build(&b, text);
	assert_int_equal(b.diags.count, 1);
	assert_int_equal(b.diags.errors, 0);
	assert_true(asprintf(&message,
			     "%s does not exist now; it is not watched until it exists and the policy is reloaded",
			     node) > 0);
	expect_diag(&b.diags, 0, true, 2, message);
	/* Skipped, and the lines after it still count. */
	assert_int_equal(b.list->count, 1);
	assert_int_equal(b.list->entries[0].major, 81);
	built_free(&b);
	free(message);
	free(text);
	free(node);
}

static void test_not_a_device_node_is_error(void **state)
{
	const char *tmp = *state;
	struct built b;
	char *text, *file = path_join(tmp, "plain"), *message;

	write_file(tmp, "plain", "not a device\n");
	make_dir(tmp, "dir");
	assert_true(asprintf(&text, "[Class camera]\nDevice=%s\nDevice=%s/dir\n", file, tmp) > 0);
	build(&b, text);
	assert_int_equal(b.diags.errors, 2);
	assert_true(asprintf(&message, "%s is not a device node", file) > 0);
	expect_diag(&b.diags, 0, false, 2, message);
	free(message);
	assert_true(asprintf(&message, "%s/dir is not a device node", tmp) > 0);
	expect_diag(&b.diags, 1, false, 3, message);
	assert_int_equal(b.list->count, 0);
	built_free(&b);
	free(message);
	free(text);
	free(file);
}

/* ---- lookups ---------------------------------------------------------------------- */

static void check_precedence(const char *text)
{
	struct built b;

	build(&b, text);
	assert_int_equal(b.diags.count, 0);
	assert_int_equal(b.list->count, 3);
	/* exact beats range beats whole major, whatever the order of the lines */
	assert_int_equal(idg_watchlist_find(b.list, IDG_DEV_CHAR, 81, 5)->class_id, IDG_CLASS_PRINTER);
	assert_int_equal(idg_watchlist_find(b.list, IDG_DEV_CHAR, 81, 4)->class_id, IDG_CLASS_SCANNER);
	assert_int_equal(idg_watchlist_find(b.list, IDG_DEV_CHAR, 81, 0)->class_id, IDG_CLASS_SCANNER);
	assert_int_equal(idg_watchlist_find(b.list, IDG_DEV_CHAR, 81, 15)->class_id, IDG_CLASS_SCANNER);
	assert_int_equal(idg_watchlist_find(b.list, IDG_DEV_CHAR, 81, 16)->class_id, IDG_CLASS_CAMERA);
	assert_int_equal(idg_watchlist_find(b.list, IDG_DEV_CHAR, 81, 0xfffff)->class_id, IDG_CLASS_CAMERA);
	/* other major, other type */
	assert_null(idg_watchlist_find(b.list, IDG_DEV_CHAR, 82, 5));
	assert_null(idg_watchlist_find(b.list, IDG_DEV_CHAR, 80, 5));
	assert_null(idg_watchlist_find(b.list, IDG_DEV_BLOCK, 81, 5));
	built_free(&b);
}

static void test_find_precedence(void **state)
{
	(void)state;
	check_precedence("[Class camera]\nDevice=char 81:*\n"
			 "[Class scanner]\nDevice=char 81:0-15\n"
			 "[Class printer]\nDevice=char 81:5\n");
	check_precedence("[Class printer]\nDevice=char 81:5\n"
			 "[Class scanner]\nDevice=char 81:0-15\n"
			 "[Class camera]\nDevice=char 81:*\n");
	check_precedence("[Class scanner]\nDevice=char 81:0-15\n"
			 "[Class camera]\nDevice=char 81:*\n"
			 "[Class printer]\nDevice=char 81:5\n");
	assert_null(idg_watchlist_find(NULL, IDG_DEV_CHAR, 81, 5));
	assert_null(idg_watchlist_by_id(NULL, 1));
}

static void test_entry_format(void **state)
{
	struct built b;
	char buf[64];

	(void)state;
	build(&b, "[Class camera]\nDevice=char 81:*\nDevice=char 180:0-15\nDevice=block 8:16\n");
	idg_watch_entry_format(&b.list->entries[0], buf, sizeof(buf));
	assert_string_equal(buf, "char 81:*");
	idg_watch_entry_format(&b.list->entries[1], buf, sizeof(buf));
	assert_string_equal(buf, "char 180:0-15");
	idg_watch_entry_format(&b.list->entries[2], buf, sizeof(buf));
	assert_string_equal(buf, "block 8:16");
	built_free(&b);
}

/* ---- device ids -------------------------------------------------------------------- */

static const struct idg_watch_entry *find_spec(const struct idg_watchlist *list, unsigned type, uint32_t major,
					       uint32_t lo, uint32_t hi, bool whole)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct idg_watch_entry *e = &list->entries[i];

		if (e->dev_type == type && e->major == major && e->minor_lo == lo && e->minor_hi == hi &&
		    e->whole_major == whole)
			return e;
	}
	return NULL;
}

static void test_device_ids_stable(void **state)
{
	static const char *const text = "[Class camera]\nDevice=char 81:*\nDevice=char 240:0\n"
					 "[Class printer]\nDevice=char 180:0-15\n"
					 "[Class storage]\nDevice=block 8:0\n";
	struct built one, two, reordered, moved;

	(void)state;
	build(&one, text);
	build(&two, text);
	assert_int_equal(one.list->count, 4);
	assert_int_equal(two.list->count, 4);
	for (size_t i = 0; i < one.list->count; i++) {
		assert_int_not_equal(one.list->entries[i].device_id, 0);
		assert_int_equal(one.list->entries[i].device_id, two.list->entries[i].device_id);
		assert_ptr_equal(idg_watchlist_by_id(one.list, one.list->entries[i].device_id), &one.list->entries[i]);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(one.list->entries[i].device_id, one.list->entries[j].device_id);
	}

	/* Other lines added and the order changed: each line keeps its id. */
	build(&reordered, "[Class storage]\nDevice=block 8:0\nDevice=block 8:16\n"
			  "[Class printer]\nDevice=char 180:0-15\n"
			  "[Class camera]\nDevice=char 240:0\nDevice=char 81:*\n");
	for (size_t i = 0; i < one.list->count; i++) {
		const struct idg_watch_entry *a = &one.list->entries[i];
		const struct idg_watch_entry *e = find_spec(reordered.list, a->dev_type, a->major, a->minor_lo,
							    a->minor_hi, a->whole_major);

		assert_non_null(e);
		assert_int_equal(e->device_id, a->device_id);
	}
	/* An id never names a device of another class after a reload. */
	build(&moved, "[Class scanner]\nDevice=char 240:0\n");
	assert_int_not_equal(moved.list->entries[0].device_id,
			     find_spec(one.list, IDG_DEV_CHAR, 240, 0, 0, false)->device_id);
	assert_null(idg_watchlist_by_id(one.list, moved.list->entries[0].device_id));

	built_free(&one);
	built_free(&two);
	built_free(&reordered);
	built_free(&moved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_split_small_exhaustive),
		cmocka_unit_test(test_range_split_large),
		cmocka_unit_test(test_overlaps_between_classes),
		cmocka_unit_test(test_overlap_within_class),
		cmocka_unit_test(test_same_line_twice),
		cmocka_unit_test(test_node_path_resolved),
		cmocka_unit_test_setup_teardown(test_node_path_types, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_node_is_warning, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_device_node_is_error, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_find_precedence),
		cmocka_unit_test(test_entry_format),
		cmocka_unit_test(test_device_ids_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
