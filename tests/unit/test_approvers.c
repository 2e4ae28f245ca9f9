// SPDX-License-Identifier: GPL-2.0-only
/*
 * approvers.d (policy.h): [Approver ID] files read through
 * idg_policy_load_approvers() from temporary directories next to a policy
 * with two purposes. A good file gives the fields as written and the key id
 * a token's footer carries; every mistake an administrator can make gives
 * exactly its error at FILE:LINE (wrong sections, unknown keys, a key that is
 * not a k4.public, something missing, a key used twice, Admin=maybe); names
 * the two sides give each other that lead nowhere are warnings, not errors;
 * and a later directory's file replaces an earlier one of the same name.
 */
#include "unit.h"

#include "paseto.h"
#include "policy.h"
#include "util.h"

static const char purposes_text[] = "[Purpose account-opening]\n"   /* 1 */
				    "Description=Open a bank account\n" /* 2 */
				    "Classes=scanner,camera\n"          /* 3 */
				    "MaxMinutes=15\n"                   /* 4 */
				    "Approvers=wang,li\n"               /* 5 */
				    "\n"                                /* 6 */
				    "[Purpose hotel-registration]\n"    /* 7 */
				    "Description=Register a hotel guest\n"
				    "Classes=card-reader\n"
				    "MaxMinutes=10\n"
				    "Approvers=li\n";

#define BAD_KEY "PublicKey= must be a PASERK k4.public key (as written by 'idguardctl key generate')"
#define UNKNOWN_KEY "(known: User, PublicKey, Purposes, Admin)"

struct key {
	unsigned char pk[IDG_PASETO_PUBLIC_KEY_BYTES];
	unsigned char sk[IDG_PASETO_SECRET_KEY_BYTES];
	char public_text[IDG_PASERK_MAX]; /* k4.public.... */
	char secret_text[IDG_PASERK_MAX]; /* k4.secret.... */
	char pid[IDG_PASERK_MAX];
};

static void make_key(struct key *key)
{
	assert_int_equal(idg_paserk_generate(key->pk, key->sk), 0);
	assert_int_equal(idg_paserk_public_encode(key->pk, key->public_text, sizeof(key->public_text)), 0);
	assert_int_equal(idg_paserk_secret_encode(key->sk, key->secret_text, sizeof(key->secret_text)), 0);
	assert_int_equal(idg_paserk_pid(key->pk, key->pid, sizeof(key->pid)), 0);
}

/* A copy of text with each {name} replaced by its value; the caller frees. */
static char *expand(const char *text, const char *const names[], const char *const values[], size_t n)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	while (*text) {
		size_t i;

		for (i = 0; i < n; i++)
			if (*text == '{' && !strncmp(text + 1, names[i], strlen(names[i])) &&
			    text[1 + strlen(names[i])] == '}')
				break;
		if (i < n) {
			(void)fputs(values[i], f);
			text += strlen(names[i]) + 2;
		} else {
			(void)fputc(*text++, f);
		}
	}
	assert_int_equal(fclose(f), 0);
	return out;
}

/* Every diagnostic as "FILE:LINE: kind: message\n"; the caller frees. */
static char *diags_text(const struct idg_diags *diags)
{
	char *out = NULL, buf[2048];
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	for (size_t i = 0; i < diags->count; i++) {
		idg_diag_format(&diags->items[i], buf, sizeof(buf));
		(void)fprintf(f, "%s\n", buf);
	}
	assert_int_equal(fclose(f), 0);
	return out;
}

static size_t count_lines_with(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The policy above, then the approvers of dirs. */
static struct idg_policy *load(const char *const *dirs, size_t n_dirs, struct idg_diags *diags)
{
	struct idg_policy *policy = idg_policy_new();

	assert_non_null(policy);
	assert_int_equal(idg_policy_parse_string(policy, "purposes.conf", purposes_text, diags), 0);
	idg_policy_check_purposes(policy, diags);
	assert_int_equal(diags->count, 0);
	assert_int_equal(idg_policy_load_approvers(policy, dirs, n_dirs, diags), 0);
	return policy;
}

/* Writes text (with {key1}, {key2}, {secret1} filled in) to tmp/50-test.conf,
 * loads it, and compares all diagnostics with expect ({file} is that file's
 * path). Returns the policy for further checks; the caller frees it. line is
 * the caller's, for the failure message. */
static struct idg_policy *expect_diags_line(unsigned line, const char *tmp, const char *text, const char *expect)
{
	static const char *const names[] = { "key1", "key2", "secret1", "file" };
	struct key key1, key2;
	char *path = path_join(tmp, "50-test.conf");
	const char *values[] = { key1.public_text, key2.public_text, key1.secret_text, path };
	const char *dirs[] = { tmp };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy;
	char *file_text, *want, *got;
	bool mismatch;

	make_key(&key1);
	make_key(&key2);
	file_text = expand(text, names, values, ARRAY_SIZE(names));
	want = expand(expect, names, values, ARRAY_SIZE(names));
	write_file(tmp, "50-test.conf", file_text);
	policy = load(dirs, 1, &diags);
	got = diags_text(&diags);
	/* Everything is freed before a failure, which would not come back here. */
	mismatch = strcmp(got, want) != 0;
	if (mismatch) {
		print_error("test_approvers.c:%u: expected diagnostics:\n%sgot:\n%s", line, want, got);
	} else if (diags.errors != count_lines_with(want, ": error: ") ||
		   diags.count - diags.errors != count_lines_with(want, ": warning: ")) {
		/* Errors make the daemon refuse the approvers; warnings do not. */
		print_error("test_approvers.c:%u: the diagnostics' kinds differ from their text\n", line);
		mismatch = true;
	}
	free(got);
	free(want);
	free(file_text);
	free(path);
	idg_diags_clear(&diags);
	if (mismatch) {
		idg_policy_free(policy);
		fail();
	}
	return policy;
}

#define expect_diags(tmp, text, expect) expect_diags_line(__LINE__, tmp, text, expect)
#define expect_diags_only(tmp, text, expect) idg_policy_free(expect_diags_line(__LINE__, tmp, text, expect))

/* ---- a good file ---------------------------------------------------------------- */

static void test_good_file(void **state)
{
	const char *tmp = *state;
	const char *dirs[] = { tmp };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy;
	const struct idg_approver *wang, *li;
	struct key kw, kl;
	char *text, *path = path_join(tmp, "10-supervisors.conf");

	make_key(&kw);
	make_key(&kl);
	assert_true(asprintf(&text,
			     "# Supervisors of branch 0042\n" /* 1 */
			     "[Approver wang]\n"              /* 2 */
			     "User=wang\n"                    /* 3 */
			     "PublicKey=%s\n"                 /* 4 */
			     "Purposes=account-opening\n"     /* 5 */
			     "\n"                             /* 6 */
			     "[Approver li]\n"                /* 7 */
			     "User=li.na\n"
			     "PublicKey=%s\n"
			     "Purposes=account-opening, hotel-registration\n"
			     "Admin=yes\n",
			     kw.public_text, kl.public_text) > 0);
	write_file(tmp, "10-supervisors.conf", text);
	/* Not drop-ins: ignored. */
	write_file(tmp, "README", "[Approver nobody]\n");
	write_file(tmp, "20-old.conf.bak", "[Approver nobody]\n");
	policy = load(dirs, 1, &diags);
	if (diags.count) {
		char *got = diags_text(&diags);

		print_error("unexpected diagnostics:\n%s", got);
		free(got);
		fail();
	}
	assert_int_equal(policy->n_approvers, 2);

	wang = idg_policy_approver(policy, "wang");
	assert_non_null(wang);
	assert_string_equal(wang->id, "wang");
	assert_string_equal(wang->user, "wang");
	assert_true(wang->has_key);
	assert_memory_equal(wang->public_key, kw.pk, sizeof(kw.pk));
	assert_string_equal(wang->key_id, kw.pid);
	assert_int_equal(wang->n_purposes, 1);
	assert_string_equal(wang->purposes[0], "account-opening");
	assert_false(wang->admin);
	assert_string_equal(wang->file, path);
	assert_int_equal(wang->line, 2);

	li = idg_policy_approver(policy, "li");
	assert_non_null(li);
	assert_string_equal(li->user, "li.na");
	assert_string_equal(li->key_id, kl.pid);
	assert_int_equal(li->n_purposes, 2);
	assert_string_equal(li->purposes[0], "account-opening");
	assert_string_equal(li->purposes[1], "hotel-registration");
	assert_true(li->admin);
	assert_int_equal(li->line, 7);

	assert_null(idg_policy_approver(policy, "nobody"));
	assert_true(idg_policy_may_approve(li, idg_policy_purpose(policy, "hotel-registration")));
	assert_false(idg_policy_may_approve(wang, idg_policy_purpose(policy, "hotel-registration")));
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
	free(path);
}

/* ---- errors, each at its file and line ----------------------------------------------- */

static void test_wrong_sections(void **state)
{
	const char *tmp = *state;
	struct idg_policy *policy;

	expect_diags_only(tmp,
			  "[Supervisor wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Purposes=*\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:1: error: [Supervisor wang] does not belong in approvers.d, which holds [Approver ID] "
			  "sections only\n"
			  "purposes.conf:1: warning: purpose account-opening names approver wang, who is not registered "
			  "in approvers.d\n");

	/* A purpose cannot be defined (or widened) from approvers.d. */
	policy = expect_diags(tmp,
			      "[Purpose account-opening]\n"
			      "MaxMinutes=1440\n"
			      "Classes=storage\n"
			      "[Approver wang]\n"
			      "User=wang\n"
			      "PublicKey={key1}\n"
			      "Purposes=account-opening\n"
			      "[Approver li]\n"
			      "User=li\n"
			      "PublicKey={key2}\n"
			      "Purposes=*\n",
			      "{file}:1: error: [Purpose account-opening] does not belong in approvers.d, which holds "
			      "[Approver ID] sections only\n");
	assert_int_equal(idg_policy_purpose(policy, "account-opening")->max_minutes, 15);
	assert_int_equal(policy->n_purposes, 2);
	idg_policy_free(policy);

	expect_diags_only(tmp,
			  "[Global]\n"
			  "Mode=off\n"
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Purposes=*\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:1: error: [Global] does not belong in approvers.d, which holds [Approver ID] sections "
			  "only\n");

	expect_diags_only(tmp,
			  "[Approver -wang]\n"
			  "User=wang\n",
			  "{file}:1: error: '-wang' is not an approver id (letters, digits, '.', '_', '-'; at most 63)\n"
			  "purposes.conf:1: warning: purpose account-opening names approver wang, who is not registered "
			  "in approvers.d\n"
			  "purposes.conf:1: warning: purpose account-opening names approver li, who is not registered in "
			  "approvers.d\n"
			  "purposes.conf:7: warning: purpose hotel-registration names approver li, who is not registered "
			  "in approvers.d\n");
}

static void test_unknown_key(void **state)
{
	expect_diags_only(*state,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Colour=blue\n"
			  "Purposes=account-opening\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n"
			  "Admin=maybe\n"
			  "User=not a name\n",
			  "{file}:4: error: unknown key 'Colour' in [Approver wang] " UNKNOWN_KEY "\n"
			  "{file}:10: error: Admin='maybe' must be yes or no\n"
			  "{file}:11: error: User='not a name' is not a user name\n");
}

static void test_bad_public_key(void **state)
{
	const char *tmp = *state;
	static const char *const bad[] = {
		"{secret1}",                                           /* the secret half by mistake */
		"k4.public.AAAA",                                      /* 3 bytes, not 32 */
		"k4.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 36 bytes */
		"k3.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",     /* 32 bytes of another version */
		"k4.local.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"k4.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*",     /* not base64url */
		"ed25519:0123456789abcdef",
		"",
	};
	char *text;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_true(asprintf(&text,
				     "[Approver wang]\n"
				     "User=wang\n"
				     "PublicKey=%s\n"
				     "Purposes=account-opening\n"
				     "[Approver li]\n"
				     "User=li\n"
				     "PublicKey={key2}\n"
				     "Purposes=*\n",
				     bad[i]) > 0);
		/* The bad line, and then the approver is missing a key. */
		expect_diags_only(tmp, text,
				  "{file}:3: error: " BAD_KEY "\n"
				  "{file}:1: error: approver wang has no PublicKey=\n");
		free(text);
	}
}

static void test_missing_fields(void **state)
{
	const char *tmp = *state;

	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "Purposes=account-opening\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:1: error: approver wang has no PublicKey=\n");
	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Purposes=account-opening\n"
			  "[Approver li]\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:5: error: approver li has no User=\n");
	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:1: error: approver wang may approve nothing: add Purposes= (ids, or * for any)\n");
	/* An empty Purposes= clears the list: nothing left. */
	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Purposes=account-opening\n"
			  "Purposes=\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:1: error: approver wang may approve nothing: add Purposes= (ids, or * for any)\n");
	/* An empty section misses all three. */
	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:1: error: approver wang has no PublicKey=\n"
			  "{file}:1: error: approver wang has no User=\n"
			  "{file}:1: error: approver wang may approve nothing: add Purposes= (ids, or * for any)\n");
}

static void test_same_key_twice(void **state)
{
	const char *tmp = *state;
	char *two = path_join(tmp, "two"), *wang_path, *li_path, *want, *got;
	const char *dirs[] = { two };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy;
	struct key key;
	char *text;

	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Purposes=account-opening\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key1}\n"
			  "Purposes=*\n",
			  "{file}:5: error: approver li has the same key as wang ({file}:1)\n");

	/* Across two files as well. */
	make_key(&key);
	make_dir(tmp, "two");
	assert_true(asprintf(&text, "[Approver wang]\nUser=wang\nPublicKey=%s\nPurposes=account-opening\n",
			     key.public_text) > 0);
	write_file(two, "10-wang.conf", text);
	free(text);
	assert_true(asprintf(&text, "\n[Approver li]\nUser=li\nPublicKey=%s\nPurposes=*\n", key.public_text) > 0);
	write_file(two, "20-li.conf", text);
	free(text);
	policy = load(dirs, 1, &diags);
	wang_path = path_join(two, "10-wang.conf");
	li_path = path_join(two, "20-li.conf");
	assert_true(asprintf(&want, "%s:2: error: approver li has the same key as wang (%s:1)\n", li_path, wang_path) >
		    0);
	got = diags_text(&diags);
	assert_string_equal(got, want);
	assert_int_equal(diags.errors, 1);
	free(got);
	free(want);
	free(wang_path);
	free(li_path);
	free(two);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

/* ---- warnings: names that lead nowhere -------------------------------------------- */

static void test_warnings(void **state)
{
	const char *tmp = *state;

	/* li is named by both purposes but not registered. */
	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Purposes=*\n",
			  "purposes.conf:1: warning: purpose account-opening names approver li, who is not registered in "
			  "approvers.d\n"
			  "purposes.conf:7: warning: purpose hotel-registration names approver li, who is not registered "
			  "in approvers.d\n");

	/* wang may approve a purpose this policy does not have. */
	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "PublicKey={key1}\n"
			  "Purposes=account-opening car-rental\n"
			  "[Approver li]\n"
			  "User=li\n"
			  "PublicKey={key2}\n"
			  "Purposes=*\n",
			  "{file}:1: warning: approver wang may approve purpose car-rental, which the policy does not "
			  "define\n");

	/* Warnings and errors together, each with its own kind. */
	expect_diags_only(tmp,
			  "[Approver wang]\n"
			  "User=wang\n"
			  "Purposes=car-rental\n",
			  "purposes.conf:1: warning: purpose account-opening names approver li, who is not registered in "
			  "approvers.d\n"
			  "purposes.conf:7: warning: purpose hotel-registration names approver li, who is not registered "
			  "in approvers.d\n"
			  "{file}:1: error: approver wang has no PublicKey=\n"
			  "{file}:1: warning: approver wang may approve purpose car-rental, which the policy does not "
			  "define\n");
}

/* ---- merging directories ----------------------------------------------------------- */

static void test_later_directory_replaces(void **state)
{
	const char *tmp = *state;
	char *vendor = path_join(tmp, "vendor"), *site = path_join(tmp, "site"), *none = path_join(tmp, "none");
	const char *dirs[] = { vendor, none, site };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy;
	const struct idg_approver *wang, *li;
	struct key old_key, new_key, li_key;
	char *text, *expect;

	make_key(&old_key);
	make_key(&new_key);
	make_key(&li_key);
	make_dir(tmp, "vendor");
	make_dir(tmp, "site");
	assert_true(asprintf(&text, "[Approver wang]\nUser=wang\nPublicKey=%s\nPurposes=account-opening\nAdmin=yes\n",
			     old_key.public_text) > 0);
	write_file(vendor, "10-wang.conf", text);
	free(text);
	assert_true(asprintf(&text, "[Approver li]\nUser=li\nPublicKey=%s\nPurposes=*\n", li_key.public_text) > 0);
	write_file(vendor, "20-li.conf", text);
	free(text);
	/* The site's 10-wang.conf: a new key (the old one was lost), a new login. */
	assert_true(asprintf(&text, "\n[Approver wang]\nUser=wang.chen\nPublicKey=%s\nPurposes=*\n",
			     new_key.public_text) > 0);
	write_file(site, "10-wang.conf", text);
	free(text);

	policy = load(dirs, ARRAY_SIZE(dirs), &diags);
	if (diags.count) {
		char *got = diags_text(&diags);

		print_error("unexpected diagnostics:\n%s", got);
		free(got);
		fail();
	}
	assert_int_equal(policy->n_approvers, 2);
	wang = idg_policy_approver(policy, "wang");
	assert_non_null(wang);
	assert_string_equal(wang->user, "wang.chen");
	assert_memory_equal(wang->public_key, new_key.pk, sizeof(new_key.pk));
	assert_string_equal(wang->key_id, new_key.pid);
	/* Nothing of the replaced file is left: not its Purposes=, not its Admin=. */
	assert_int_equal(wang->n_purposes, 1);
	assert_string_equal(wang->purposes[0], "*");
	assert_false(wang->admin);
	expect = path_join(site, "10-wang.conf");
	assert_string_equal(wang->file, expect);
	assert_int_equal(wang->line, 2);
	free(expect);
	li = idg_policy_approver(policy, "li");
	assert_non_null(li);
	expect = path_join(vendor, "20-li.conf");
	assert_string_equal(li->file, expect);
	free(expect);

	/* The old key no longer signs anything here. */
	assert_null(idg_policy_approver_by_key_id(policy, old_key.pid));
	assert_ptr_equal(idg_policy_approver_by_key_id(policy, new_key.pid), wang);
	assert_ptr_equal(idg_policy_approver_by_key_id(policy, li_key.pid), li);

	assert_int_equal(policy->n_files, 3);
	assert_string_equal(policy->files[0], "purposes.conf");
	expect = path_join(site, "10-wang.conf");
	assert_string_equal(policy->files[1], expect);
	free(expect);
	expect = path_join(vendor, "20-li.conf");
	assert_string_equal(policy->files[2], expect);
	free(expect);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(vendor);
	free(site);
	free(none);
}

static void test_missing_directory(void **state)
{
	const char *tmp = *state;
	char *none = path_join(tmp, "none");
	const char *dirs[] = { none };
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = load(dirs, 1, &diags);
	char *got = diags_text(&diags);

	/* No approvers at all: only the purposes' names lead nowhere. */
	assert_int_equal(diags.errors, 0);
	assert_string_equal(got, "purposes.conf:1: warning: purpose account-opening names approver wang, who is not "
				 "registered in approvers.d\n"
				 "purposes.conf:1: warning: purpose account-opening names approver li, who is not "
				 "registered in approvers.d\n"
				 "purposes.conf:7: warning: purpose hotel-registration names approver li, who is not "
				 "registered in approvers.d\n");
	assert_int_equal(policy->n_approvers, 0);
	free(got);
	free(none);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

/* ---- lookups -------------------------------------------------------------------------- */

static void test_approver_by_key_id(void **state)
{
	const char *tmp = *state;
	struct idg_policy *policy;
	const struct idg_approver *wang, *li;
	char pid[IDG_PASERK_MAX];
	struct key other;

	/* wang's key is good; li's is not, so li has no key id. */
	policy = expect_diags(tmp,
			      "[Approver wang]\n"
			      "User=wang\n"
			      "PublicKey={key1}\n"
			      "Purposes=*\n"
			      "[Approver li]\n"
			      "User=li\n"
			      "PublicKey={secret1}\n"
			      "Purposes=*\n",
			      "{file}:7: error: " BAD_KEY "\n"
			      "{file}:5: error: approver li has no PublicKey=\n");
	wang = idg_policy_approver(policy, "wang");
	li = idg_policy_approver(policy, "li");
	assert_non_null(wang);
	assert_non_null(li);
	assert_false(li->has_key);

	/* The footer's kid is the PASERK pid of the approver's public key. */
	assert_int_equal(idg_paserk_pid(wang->public_key, pid, sizeof(pid)), 0);
	assert_true(strncmp(pid, "k4.pid.", 7) == 0);
	assert_string_equal(wang->key_id, pid);
	assert_ptr_equal(idg_policy_approver_by_key_id(policy, pid), wang);

	/* Not by anything else. */
	make_key(&other);
	assert_null(idg_policy_approver_by_key_id(policy, other.pid));
	assert_null(idg_policy_approver_by_key_id(policy, ""));
	assert_null(idg_policy_approver_by_key_id(policy, "wang"));
	pid[strlen(pid) - 1] = '\0';
	assert_null(idg_policy_approver_by_key_id(policy, pid));
	idg_policy_free(policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_file, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_sections, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_bad_public_key, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_fields, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_same_key_twice, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_warnings, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_later_directory_replaces, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_approver_by_key_id, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
