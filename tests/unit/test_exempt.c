// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resolving [Exempt] entries to cgroup ids (exempt.h) against a fake cgroup
 * tree of plain directories in a temporary directory: a service under
 * system.slice, a template glob matching every running instance and nothing
 * else, nested slices found by systemd's dash rule, a scope at the root, a
 * CGroup= path, each cgroup listed once, and units or paths that do not
 * exist right now reported as warnings, not errors. On cgroup2 the inode
 * number is the cgroup id, so the ids must equal the directories' inodes.
 */
#include "unit.h"

#include "exempt.h"
#include "policy.h"
#include "util.h"

static const char *const tree[] = {
	"system.slice",
	"system.slice/foo.service",
	"system.slice/bar.service",
	"system.slice/saned@1.service",
	"system.slice/saned@2.service",
	"system.slice/saned.socket",
	"system.slice/xsaned@3.service",
	"a.slice",
	"a.slice/a-b.slice",
	"a.slice/a-b.slice/a-b-c.slice",
	"a-b.slice", /* not where systemd puts a-b.slice: must not be taken */
	"init.scope",
	/* where systemd puts socket-activated instances (Debian's saned) */
	"system.slice/system-saned.slice",
	"system.slice/system-saned.slice/saned@0-127.0.0.1:6566-127.0.0.1:40000.service",
	"x",
	"x/y",
};

struct resolved {
	struct idg_policy *policy;
	struct idg_exempt_set set;
	struct idg_diags diags;
};

static void make_tree(const char *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(tree); i++)
		make_dir(root, tree[i]);
}

static void resolve(struct resolved *res, const char *root, const char *text)
{
	memset(res, 0, sizeof(*res));
	res->policy = idg_policy_new();
	assert_non_null(res->policy);
	assert_int_equal(idg_policy_parse_string(res->policy, "exempt.conf", text, &res->diags), 0);
	assert_int_equal(res->diags.count, 0);
	assert_int_equal(idg_exempt_resolve(res->policy, root, root, &res->set, &res->diags), 0);
}

static void resolved_free(struct resolved *res)
{
	idg_exempt_set_clear(&res->set);
	idg_policy_free(res->policy);
	idg_diags_clear(&res->diags);
}

/* The set holds root/rel, under the directory's inode number, exactly once. */
static void expect_exempt(const struct idg_exempt_set *set, const char *root, const char *rel)
{
	char *path = path_join(root, rel);
	struct stat st;
	size_t found = 0;

	assert_int_equal(stat(path, &st), 0);
	for (size_t i = 0; i < set->count; i++)
		if (streq(set->paths[i], path)) {
			found++;
			if (set->ids[i] != (uint64_t)st.st_ino) {
				print_error("%s has id %llu, its inode is %llu\n", path, (unsigned long long)set->ids[i],
					    (unsigned long long)st.st_ino);
				fail();
			}
		}
	if (found != 1) {
		print_error("%s is in the exempt set %zu times, expected once\n", path, found);
		fail();
	}
	free(path);
}

static void test_units_and_paths(void **state)
{
	const char *root = *state;
	struct resolved res;

	make_tree(root);
	resolve(&res, root,
		"[Exempt]\n"
		"Unit=foo.service\n"
		"Unit=saned@*.service\n"
		"Unit=a-b.slice\n"
		"Unit=a-b-c.slice\n"
		"Unit=init.scope\n"
		"CGroup=/x/y\n");
	assert_int_equal(res.diags.count, 0);
	assert_int_equal(res.set.count, 8);
	expect_exempt(&res.set, root, "system.slice/foo.service");
	expect_exempt(&res.set, root, "system.slice/saned@1.service");
	expect_exempt(&res.set, root, "system.slice/saned@2.service");
	expect_exempt(&res.set, root, "system.slice/system-saned.slice/saned@0-127.0.0.1:6566-127.0.0.1:40000.service");
	expect_exempt(&res.set, root, "a.slice/a-b.slice");
	expect_exempt(&res.set, root, "a.slice/a-b.slice/a-b-c.slice");
	expect_exempt(&res.set, root, "init.scope");
	expect_exempt(&res.set, root, "x/y");
	resolved_free(&res);
	/* Cleared means empty, and clearing twice is harmless. */
	assert_int_equal(res.set.count, 0);
	assert_null(res.set.ids);
	idg_exempt_set_clear(&res.set);
}

static void test_listed_twice_counts_once(void **state)
{
	const char *root = *state;
	struct resolved res;

	make_tree(root);
	resolve(&res, root,
		"[Exempt]\n"
		"Unit=foo.service\n"
		"Unit=foo.service\n"
		"CGroup=/system.slice/foo.service\n"
		"Unit=saned@1.service\n"
		"Unit=saned@*.service\n");
	assert_int_equal(res.set.count, 4);
	expect_exempt(&res.set, root, "system.slice/foo.service");
	expect_exempt(&res.set, root, "system.slice/saned@1.service");
	expect_exempt(&res.set, root, "system.slice/saned@2.service");
	expect_exempt(&res.set, root, "system.slice/system-saned.slice/saned@0-127.0.0.1:6566-127.0.0.1:40000.service");
	resolved_free(&res);
}

static void test_missing_is_warning(void **state)
{
	const char *root = *state;
	struct resolved res;
	char *message;

	make_tree(root);
	resolve(&res, root,
		"[Exempt]\n"                  /* 1 */
		"Unit=missing.service\n"      /* 2 */
		"Unit=cups@*.service\n"       /* 3 */
		"Unit=missing.slice\n"        /* 4 */
		"CGroup=/x/z\n"               /* 5 */
		"Unit=foo.service\n");        /* 6 */
	assert_int_equal(res.diags.errors, 0);
	assert_int_equal(res.diags.count, 4);
	for (size_t i = 0; i < res.diags.count; i++) {
		assert_true(res.diags.items[i].warning);
		assert_string_equal(res.diags.items[i].file, "exempt.conf");
		assert_int_equal(res.diags.items[i].line, i + 2);
	}
	assert_string_equal(res.diags.items[0].message,
			    "unit missing.service is not running now; it is exempt from when it starts");
	assert_string_equal(res.diags.items[1].message,
			    "unit cups@*.service is not running now; it is exempt from when it starts");
	assert_true(asprintf(&message, "cgroup %s/x/z does not exist now: No such file or directory", root) > 0);
	assert_string_equal(res.diags.items[3].message, message);
	free(message);
	/* What does exist is still exempt. */
	assert_int_equal(res.set.count, 1);
	expect_exempt(&res.set, root, "system.slice/foo.service");
	resolved_free(&res);
}

static void test_cgroup_path_not_a_directory(void **state)
{
	const char *root = *state;
	struct resolved res;
	char *message;

	make_tree(root);
	write_file(root, "x/cgroup.procs", "");
	resolve(&res, root, "[Exempt]\nCGroup=/x/cgroup.procs\n");
	assert_int_equal(res.diags.errors, 0);
	assert_int_equal(res.diags.count, 1);
	assert_true(asprintf(&message, "cgroup %s/x/cgroup.procs does not exist now: Not a directory", root) > 0);
	assert_string_equal(res.diags.items[0].message, message);
	assert_int_equal(res.set.count, 0);
	free(message);
	resolved_free(&res);
}

static void test_nothing_to_exempt(void **state)
{
	const char *root = *state;
	struct resolved res;

	resolve(&res, root, "[Exempt]\nUnit=foo.service\nUnit=\n");
	assert_int_equal(res.set.count, 0);
	assert_int_equal(res.diags.count, 0);
	resolved_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_units_and_paths, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_listed_twice_counts_once, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_is_warning, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_path_not_a_directory, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_exempt, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
