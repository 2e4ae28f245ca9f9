// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `idguardctl token approve` decides without a workstation (token.h):
 * systemd-style time spans ("1d", "12h", "30min") both ways, ages for
 * people, a request's age against the limit and the clock skew, and the
 * registry (policy.h): [Purpose], [Approver] and [Approval] in one file or a
 * directory, a purposes-only file, a workstation's policy file as a
 * registry, and each mistake at its FILE:LINE.
 */
#include "unit.h"

#include "paseto.h"
#include "policy.h"
#include "token.h"
#include "util.h"

static void test_timespan_parse(void **state)
{
	static const struct {
		const char *text;
		uint64_t sec;
	} good[] = {
		{ "1d", 86400 },      { "12h", 43200 },   { "30min", 1800 }, { "90s", 90 },
		{ "1d 12h", 129600 }, { "1d12h", 129600 }, { "2w", 1209600 }, { "45", 45 },
		{ "3 days", 259200 }, { "1 hour 5m", 3900 }, { " 10sec ", 10 }, { "0", 0 },
	};
	static const char *const bad[] = { "", " ", "d", "1x", "1d x", "-1d", "1.5h", "12 34", "1dd", "1 d h" };
	uint64_t sec;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		sec = 12345;
		if (idg_timespan_parse(good[i].text, &sec) != 0 || sec != good[i].sec) {
			print_error("'%s': expected %llu, got %llu\n", good[i].text, (unsigned long long)good[i].sec,
				    (unsigned long long)sec);
			fail();
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (idg_timespan_parse(bad[i], &sec) != -EINVAL) {
			print_error("'%s' was accepted\n", bad[i]);
			fail();
		}
	}
	assert_int_equal(idg_timespan_parse("99999999999999999999d", &sec), -ERANGE);
	assert_int_equal(idg_timespan_parse("40000000000000w", &sec), -ERANGE);
}

static void test_timespan_format(void **state)
{
	char buf[64];

	(void)state;
	idg_timespan_format(86400, buf, sizeof(buf));
	assert_string_equal(buf, "1d");
	idg_timespan_format(129600, buf, sizeof(buf));
	assert_string_equal(buf, "1d 12h");
	idg_timespan_format(1800, buf, sizeof(buf));
	assert_string_equal(buf, "30min");
	idg_timespan_format(600, buf, sizeof(buf));
	assert_string_equal(buf, "10min");
	idg_timespan_format(3661, buf, sizeof(buf));
	assert_string_equal(buf, "1h 1min 1s");
	idg_timespan_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
}

static void test_age_format(void **state)
{
	char buf[64];

	(void)state;
	idg_age_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "less than a minute ago");
	idg_age_format(59, buf, sizeof(buf));
	assert_string_equal(buf, "less than a minute ago");
	idg_age_format(60, buf, sizeof(buf));
	assert_string_equal(buf, "1 minute ago");
	idg_age_format(3 * 60 + 20, buf, sizeof(buf));
	assert_string_equal(buf, "3 minutes ago");
	idg_age_format(90 * 60, buf, sizeof(buf));
	assert_string_equal(buf, "90 minutes ago");
	idg_age_format(5 * 3600, buf, sizeof(buf));
	assert_string_equal(buf, "5 hours ago");
	idg_age_format(30 * 86400 + 5, buf, sizeof(buf));
	assert_string_equal(buf, "30 days ago");
	idg_age_format(-30, buf, sizeof(buf));
	assert_string_equal(buf, "less than a minute from now");
	idg_age_format(-7200, buf, sizeof(buf));
	assert_string_equal(buf, "in 2 hours");
}

static void test_request_age(void **state)
{
	struct idg_token_request req = { .created = 1000000, .id = "7f3k9qx2aaaaaaaa", .hostname = "ws-017" };
	struct idg_error err;
	char made[160];

	(void)state;
	/* Within the limit, at it, and just past it. */
	assert_int_equal(idg_token_request_check_age(&req, req.created + 3600, 86400, &err), 0);
	assert_int_equal(idg_token_request_check_age(&req, req.created + 86400, 86400, &err), 0);
	assert_int_equal(idg_token_request_check_age(&req, req.created + 86401, 86400, &err), -ETIMEDOUT);
	assert_contains(err.message, "request 7F3K-9QX2 was made ");
	assert_contains(err.message, "(24 hours ago)"); /* hours, up to two days */
	assert_contains(err.message, "requests older than 1d are refused");
	assert_int_equal(idg_token_request_check_age(&req, req.created + 30 * 86400, 86400, &err), -ETIMEDOUT);
	assert_contains(err.message, "(30 days ago); requests older than 1d are refused");
	/* Clocks differ: up to 10 minutes ahead is now; beyond, refused. */
	assert_int_equal(idg_token_request_check_age(&req, req.created - IDG_REQUEST_FUTURE_SKEW_SECONDS, 86400, &err), 0);
	assert_int_equal(idg_token_request_check_age(&req, req.created - IDG_REQUEST_FUTURE_SKEW_SECONDS - 1, 86400, &err),
			 -ERANGE);
	assert_contains(err.message, "(in 10 minutes): more than 10min ahead of this machine's clock");
	assert_contains(err.message, "the clock of this machine or of ws-017 is wrong");
	idg_token_request_made_text(&req, req.created + 180, made, sizeof(made));
	assert_true(strlen(made) == strlen("2026-12-03 09:14 (3 minutes ago)"));
	assert_contains(made, " (3 minutes ago)");
}

/* The registry of one file, its problems in diags. */
static struct idg_policy *parse_registry(const char *name, const char *text, struct idg_diags *diags)
{
	struct idg_policy *policy = idg_policy_new();

	assert_non_null(policy);
	assert_int_equal(idg_policy_parse_registry_string(policy, name, text, diags), 0);
	return policy;
}

static bool has_diag(const struct idg_diags *diags, const char *text)
{
	char buf[2048];

	for (size_t i = 0; i < diags->count; i++) {
		idg_diag_format(&diags->items[i], buf, sizeof(buf));
		if (strstr(buf, text))
			return true;
	}
	return false;
}

#define assert_diag(diags, text)                                                                  \
	do {                                                                                      \
		if (!has_diag((diags), (text))) {                                                 \
			print_error("no diagnostic '%s'; got:\n", (text));                         \
			idg_diags_print((diags), stderr);                                         \
			fail();                                                                   \
		}                                                                                 \
	} while (0)

static void test_registry_one_file(void **state)
{
	unsigned char pk[32], sk[64];
	char public_text[IDG_PASERK_MAX], pid[IDG_PASERK_MAX], *text;
	struct idg_diags diags = { 0 };
	struct idg_policy *policy;
	const struct idg_approver *a;
	const struct idg_purpose *p;

	(void)state;
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	assert_int_equal(idg_paserk_public_encode(pk, public_text, sizeof(public_text)), 0);
	assert_int_equal(idg_paserk_pid(pk, pid, sizeof(pid)), 0);
	assert_true(asprintf(&text,
			     "\xef\xbb\xbf# exported\n"              /* 1 */
			     "[Approval]\n"                          /* 2 */
			     "MaxRequestAge=12h\n"                   /* 3 */
			     "\n"                                    /* 4 */
			     "[Purpose account-opening]\n"           /* 5 */
			     "Description=Open a bank account\n"     /* 6 */
			     "Description[zh_CN]=开立账户\n"         /* 7 */
			     "Classes=scanner\n"                     /* 8 */
			     "MaxMinutes=15\n"                       /* 9 */
			     "Approvers=*\n"                         /* 10 */
			     "  [Approver wang]\n"                   /* 11 */
			     "User=idgt-wang\n"                      /* 12 */
			     "PublicKey=%s\n"                        /* 13 */
			     "Purposes=account-opening\n"            /* 14 */
			     "[Purpose hotel]\n"                     /* 15 */
			     "Description=Hotel ; inline comment\n"  /* 16 */
			     "Classes=camera\nMaxMinutes=5\nApprovers=wang\n",
			     public_text) > 0);
	policy = parse_registry("site.conf", text, &diags);
	free(text);
	idg_policy_check_purposes(policy, &diags);
	idg_policy_check_approvers(policy, &diags);
	if (diags.count)
		idg_diags_print(&diags, stderr);
	assert_int_equal(diags.count, 0);
	assert_int_equal(policy->approval.max_request_age_sec, 12 * 3600);
	assert_string_equal(policy->approval.max_request_age_file, "site.conf");
	assert_int_equal(policy->approval.max_request_age_line, 3);
	assert_int_equal(policy->n_purposes, 2);
	p = idg_policy_purpose(policy, "account-opening");
	assert_non_null(p);
	assert_string_equal(p->description_zh, "开立账户");
	assert_int_equal(p->max_minutes, 15);
	assert_int_equal(p->line, 5);
	assert_string_equal(idg_policy_purpose(policy, "hotel")->description, "Hotel");
	a = idg_policy_approver_by_key_id(policy, pid);
	assert_non_null(a);
	assert_string_equal(a->id, "wang");
	assert_string_equal(a->user, "idgt-wang");
	assert_int_equal(a->line, 11);
	assert_true(idg_policy_may_approve(a, p));
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

/* A workstation's policy file is a registry too; its purposes are what
 * counts, the rest is accepted. */
static void test_registry_policy_file(void **state)
{
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = parse_registry("policy.conf",
						   "[Global]\nMode=enforce\n[Class scanner]\nMode=enforce\n"
						   "Device=char 240:16\n[Purpose p]\nDescription=d\nClasses=scanner\n"
						   "MaxMinutes=5\nApprovers=*\n",
						   &diags);

	(void)state;
	assert_int_equal(diags.errors, 0);
	assert_int_equal(policy->n_purposes, 1);
	assert_int_equal(policy->approval.max_request_age_sec, 0);
	idg_policy_free(policy);
}

static void test_registry_mistakes(void **state)
{
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = parse_registry("bad.conf",
						   "[Approval]\n"                     /* 1 */
						   "MaxRequestAge=soon\n"             /* 2 */
						   "MaxRequestAge=10s\n"              /* 3 */
						   "Colour=blue\n"                    /* 4 */
						   "no equals sign\n"                 /* 5 */
						   "[Approver wang]\n"                /* 6 */
						   "PublicKey=k4.public.nope\n"       /* 7 */
						   "Shoe=9\n"                         /* 8 */
						   "[Purpose p]\n"                    /* 9 */
						   "Colour=red\n"                     /* 10 */
						   "[Approver bad id!]\n",            /* 11 */
						   &diags);

	(void)state;
	assert_diag(&diags, "bad.conf:2: error: MaxRequestAge='soon' must be a time span from 1min to 366d");
	assert_diag(&diags, "bad.conf:3: error: MaxRequestAge='10s' must be a time span");
	assert_diag(&diags, "bad.conf:4: error: unknown key 'Colour' in [Approval] (known: MaxRequestAge)");
	assert_diag(&diags, "bad.conf:5: error: expected 'Key=Value', found 'no equals sign'");
	assert_diag(&diags, "bad.conf:7: error: PublicKey= must be a PASERK k4.public key");
	assert_diag(&diags, "bad.conf:8: error: unknown key 'Shoe' in [Approver wang]");
	assert_diag(&diags, "bad.conf:10: error: unknown key 'Colour' in [Purpose p]");
	assert_diag(&diags, "bad.conf:11: error: 'bad id!' is not an approver id");
	assert_int_equal(diags.errors, 8);
	assert_int_equal(policy->approval.max_request_age_sec, 0);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

static void test_registry_load_paths(void **state)
{
	const char *dir = *state;
	char *sub = path_join(dir, "registry.d"), *file = path_join(dir, "extra.conf"), *none = path_join(dir, "none");
	const char *paths[] = { sub, file, none };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = idg_policy_new();
	size_t files = 99;

	make_dir(dir, "registry.d");
	write_file(sub, "20-b.conf", "[Approval]\nMaxRequestAge=2d\n");
	write_file(sub, "10-a.conf", "[Approval]\nMaxRequestAge=1d\n[Purpose a]\nDescription=a\n");
	write_file(sub, "notes.txt", "[Purpose ignored]\n");
	write_file(sub, ".hidden.conf", "[Purpose ignored2]\n");
	write_file(dir, "extra.conf", "[Purpose b]\nDescription=b\n");
	assert_int_equal(idg_policy_load_registry(policy, paths, ARRAY_SIZE(paths), &files, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_int_equal(files, 3);
	/* Files in lexical order: the later one's value wins. */
	assert_int_equal(policy->approval.max_request_age_sec, 2 * 86400);
	assert_non_null(idg_policy_purpose(policy, "a"));
	assert_non_null(idg_policy_purpose(policy, "b"));
	assert_null(idg_policy_purpose(policy, "ignored"));
	assert_null(idg_policy_purpose(policy, "ignored2"));
	idg_policy_free(policy);
	/* Nothing there: no files, no error. */
	policy = idg_policy_new();
	assert_int_equal(idg_policy_load_registry(policy, (const char *const[]){ none }, 1, &files, &diags), 0);
	assert_int_equal(files, 0);
	assert_int_equal(diags.count, 0);
	idg_policy_free(policy);
	free(sub);
	free(file);
	free(none);
}

/* Registry files are read as policy files are (the same reader): only
 * regular files, no NUL byte, and a FIFO in their place cannot hang
 * approving. Each --registry path stands alone: files of the same name in
 * two of them are both read. */
static void test_registry_file_checks(void **state)
{
	const char *dir = *state;
	char *one = path_join(dir, "one"), *two = path_join(dir, "two"), *fifo = path_join(dir, "fifo.conf");
	const char *paths[] = { one, two, fifo };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = idg_policy_new();
	char *nul = path_join(one, "30-nul.conf");
	size_t files = 0;
	int fd, r;

	make_dir(dir, "one");
	make_dir(dir, "two");
	make_dir(one, "20-dir.conf");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	fd = open(nul, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[Approval]\n\0MaxRequestAge=1h\n", 29), 29);
	assert_int_equal(close(fd), 0);
	write_file(one, "site.conf", "[Purpose a]\nDescription=a\n");
	write_file(two, "site.conf", "[Purpose b]\nDescription=b\n");

	(void)alarm(10); /* a FIFO opened for reading would block for good */
	r = idg_policy_load_registry(policy, paths, ARRAY_SIZE(paths), &files, &diags);
	(void)alarm(0);
	assert_int_equal(r, 0);
	assert_int_equal(files, 5);
	assert_diag(&diags, "/one/20-dir.conf: error: is a directory, not a regular file");
	assert_diag(&diags, "/one/30-nul.conf:2: error: contains a NUL byte: not a text file");
	assert_diag(&diags, "/fifo.conf: error: is a FIFO, not a regular file");
	assert_int_equal(diags.errors, 3);
	assert_int_equal(policy->approval.max_request_age_sec, 0);
	assert_non_null(idg_policy_purpose(policy, "a"));
	assert_non_null(idg_policy_purpose(policy, "b"));
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(one);
	free(two);
	free(fifo);
	free(nul);
}

/* Which file takes which section: a registry file names [Approver ID]
 * among the sections it knows; approvers.d refuses [Approval]; a policy
 * file takes [Approval] but still no [Approver]. */
static void test_registry_sections_by_file(void **state)
{
	const char *dir = *state;
	const char *dirs[] = { dir };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = parse_registry("site.conf", "[Approvers wang]\nUser=idgt-wang\n", &diags);

	assert_diag(&diags, "site.conf:1: error: unknown section [Approvers wang] (known: [Global], [Class NAME], "
			    "[Exempt], [Notify], [Approval], [Purpose ID], [Approver ID], [Endpoint NAME], [Broker NAME])");
	assert_int_equal(diags.errors, 1);
	idg_diags_clear(&diags);
	idg_policy_free(policy);

	policy = idg_policy_new();
	write_file(dir, "wang.conf", "[Approval]\nMaxRequestAge=1h\n");
	assert_int_equal(idg_policy_load_approvers(policy, dirs, 1, &diags), 0);
	assert_diag(&diags, "/wang.conf:1: error: [Approval] does not belong in approvers.d, which holds [Approver ID] "
			    "sections only");
	assert_int_equal(diags.errors, 1);
	assert_int_equal(policy->approval.max_request_age_sec, 0);
	idg_diags_clear(&diags);

	assert_int_equal(idg_policy_parse_string(policy, "policy.conf",
						 "[Approval]\nMaxRequestAge=1h\n[Approver wang]\nUser=idgt-wang\n",
						 &diags),
			 0);
	assert_diag(&diags, "policy.conf:3: error: approvers are registered in " IDG_SYSCONFDIR
			    "/idguard/approvers.d, not in policy files");
	assert_int_equal(diags.errors, 1);
	assert_int_equal(policy->approval.max_request_age_sec, 3600);
	assert_int_equal(policy->n_approvers, 0);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timespan_parse),
		cmocka_unit_test(test_timespan_format),
		cmocka_unit_test(test_age_format),
		cmocka_unit_test(test_request_age),
		cmocka_unit_test(test_registry_one_file),
		cmocka_unit_test(test_registry_policy_file),
		cmocka_unit_test(test_registry_mistakes),
		cmocka_unit_test_setup_teardown(test_registry_load_paths, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_registry_file_checks, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_registry_sections_by_file, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
