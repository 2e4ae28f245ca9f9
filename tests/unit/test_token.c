// SPDX-License-Identifier: GPL-2.0-only
/*
 * Purpose tokens (token.h) against DESIGN §3. Each test gets a policy with
 * two purposes and three approvers (fresh keys, approvers.d written to a
 * temporary directory); idg_token_check() must accept a good token and refuse
 * every broken one with its own reason, word and sentence for the clerk.
 * Tokens an approver would never mint (too long, a class not allowed, an ID
 * number as ref, a claim missing) are minted or signed here anyway, as
 * another implementation might. Then requests (encode, decode, check,
 * summary) and RFC 3339 times. The clock is fixed and TZ is set, so every
 * message, local times included, is compared exactly.
 */
#include "unit.h"

#include <json-c/json.h>
#include <sodium.h>
#include <time.h>

#include "names.h"
#include "paseto.h"
#include "policy.h"
#include "journal.h"
#include "token.h"
#include "util.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* 2026-11-22T10:15:00Z, which is 18:15 in TZ below. */
#define NOW INT64_C(1795342500)
#define TEST_TZ "CST-8"
#define HOST "5c3a0d8e2f1b4a6c9d7e8f0a1b2c3d4e"
#define OTHER_HOST "00000000000000000000000000000000"
#define CASE_REF "CASE-2026-0042"
#define REQUEST_ID "7f3e9a02c4d5e6f7"
#define JTI "0123456789abcdef0123456789abcdef"
#define ID_NUMBER "11010519491231002X" /* GB 11643's worked example */
#define BAD_TEXT_CLAIM(name, max) \
	"the token's claim '" name "' is missing, empty, longer than " max " characters, or holds control characters"
#define BAD_CLASSES \
	"the token's claim 'cls' must list classes (scanner, camera, card-reader, printer, storage, unclassified, other)"
#define BAD_TIMES "the token's claims iat, nbf and exp must be RFC 3339 times"


/* A claim as a journal record holds it: every value passes the record's
 * withholding (the claims themselves are kept as signed). */
static const char *as_recorded(const char *value)
{
	static struct idg_record rec;

	idg_record_init(&rec, "00000000000000000000000000000000", 6);
	idg_record_add(&rec, "IDGUARD_CLAIM", "%s", value);
	return idg_record_get(&rec, "IDGUARD_CLAIM");
}

static const char policy_text[] = "[Purpose account-opening]\n"
				  "Description=Open a bank account\n"
				  "Classes=scanner,camera\n"
				  "MaxMinutes=15\n"
				  "Approvers=wang,li\n"
				  "\n"
				  "[Purpose hotel-registration]\n"
				  "Description=Register a hotel guest\n"
				  "Classes=card-reader\n"
				  "MaxMinutes=10\n"
				  "Approvers=li,wang\n";

struct key {
	unsigned char pk[IDG_PASETO_PUBLIC_KEY_BYTES];
	unsigned char sk[IDG_PASETO_SECRET_KEY_BYTES];
	char pid[IDG_PASERK_MAX];
};

struct fixture {
	char *dir;
	struct idg_policy *policy;
	struct key wang, li, mallory;
	struct key stranger; /* registered nowhere */
};

/* What one idg_token_check() call returned. */
struct outcome {
	enum idg_token_rejection reason;
	struct idg_token_claims claims;
	const struct idg_approver *approver;
	struct idg_error err;
};

/* ---- fixture ------------------------------------------------------------------- */

/* Tokens and texts a test makes; its teardown frees them even when it failed. */
static char *made[256];
static size_t n_made;

static char *keep(char *p)
{
	assert_non_null(p);
	assert_true(n_made < ARRAY_SIZE(made));
	made[n_made++] = p;
	return p;
}

static int made_teardown(void **state)
{
	(void)state;
	while (n_made)
		free(made[--n_made]);
	return 0;
}

static void print_diags(const char *what, const struct idg_diags *diags)
{
	char buf[2048];

	print_error("%s:\n", what);
	for (size_t i = 0; i < diags->count; i++) {
		idg_diag_format(&diags->items[i], buf, sizeof(buf));
		print_error("    %s\n", buf);
	}
}

static void make_key(struct key *key)
{
	assert_int_equal(idg_paserk_generate(key->pk, key->sk), 0);
	assert_int_equal(idg_paserk_pid(key->pk, key->pid, sizeof(key->pid)), 0);
}

/* Writes dir/name holding one [Approver] section with key's public half. */
static void write_approver(const char *dir, const char *name, const char *id, const char *user,
			   const struct key *key, const char *purposes)
{
	char paserk[IDG_PASERK_MAX], *text;

	assert_int_equal(idg_paserk_public_encode(key->pk, paserk, sizeof(paserk)), 0);
	assert_true(asprintf(&text, "[Approver %s]\nUser=%s\nPublicKey=%s\nPurposes=%s\n", id, user, paserk,
			     purposes) > 0);
	write_file(dir, name, text);
	free(text);
}

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct idg_diags diags = { 0 };
	void *dir = NULL;
	const char *dirs[1];

	if (!f || tmpdir_setup(&dir) < 0) {
		free(f);
		return -1;
	}
	f->dir = dir;
	*state = f;
	make_key(&f->wang);
	make_key(&f->li);
	make_key(&f->mallory);
	make_key(&f->stranger);

	f->policy = idg_policy_new();
	assert_non_null(f->policy);
	assert_int_equal(idg_policy_parse_string(f->policy, "purposes.conf", policy_text, &diags), 0);
	idg_policy_check_purposes(f->policy, &diags);

	write_approver(f->dir, "10-wang.conf", "wang", "wang", &f->wang, "account-opening");
	write_approver(f->dir, "20-li.conf", "li", "li", &f->li, "*");
	write_approver(f->dir, "30-mallory.conf", "mallory", "mallory", &f->mallory, "hotel-registration");
	dirs[0] = f->dir;
	assert_int_equal(idg_policy_load_approvers(f->policy, dirs, 1, &diags), 0);
	if (diags.count) {
		print_diags("the fixture has diagnostics", &diags);
		idg_diags_clear(&diags);
		return -1;
	}
	assert_int_equal(f->policy->n_purposes, 2);
	assert_int_equal(f->policy->n_approvers, 3);
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	void *dir;

	if (!f)
		return 0;
	dir = f->dir;
	idg_policy_free(f->policy);
	(void)tmpdir_teardown(&dir);
	free(f);
	*state = NULL;
	return made_teardown(state);
}

/* ---- minting and signing ---------------------------------------------------------- */

/* alice's request on HOST for purpose, classes ("scanner,camera"), minutes. */
static struct idg_token_request request(const char *purpose, const char *classes, uint32_t minutes)
{
	struct idg_token_request req = { 0 };
	char bad[32];

	(void)snprintf(req.user, sizeof(req.user), "alice");
	(void)snprintf(req.host, sizeof(req.host), HOST);
	(void)snprintf(req.hostname, sizeof(req.hostname), "ws-07");
	(void)snprintf(req.purpose, sizeof(req.purpose), "%s", purpose);
	(void)snprintf(req.ref, sizeof(req.ref), CASE_REF);
	(void)snprintf(req.id, sizeof(req.id), REQUEST_ID);
	assert_int_equal(idg_class_mask_parse(classes, &req.class_mask, bad, sizeof(bad)), 0);
	req.minutes = minutes;
	req.created = NOW;
	return req;
}

/* The token signer mints for req at time at (nbf = at, exp = at + minutes). */
static char *mint(const struct key *signer, const struct idg_token_request *req, int64_t at)
{
	char *token = NULL;

	assert_int_equal(idg_token_mint(req, signer->sk, signer->pid, at, &token, NULL), 0);
	return keep(token);
}

/* Claims written by hand; NULL strings and the claim named by omit are left out. */
struct claims_spec {
	const char *sub, *host, *pur, *ref;
	const char *cls; /* JSON text */
	int64_t nbf, exp;
	const char *omit;
};

/* What wang would sign for alice's account-opening request now. */
static struct claims_spec good_claims(void)
{
	return (struct claims_spec){
		.sub = "alice",
		.host = HOST,
		.pur = "account-opening",
		.ref = CASE_REF,
		.cls = "[\"scanner\",\"camera\"]",
		.nbf = NOW,
		.exp = NOW + 15 * 60,
	};
}

static void add_text(struct json_object *obj, const struct claims_spec *spec, const char *key, const char *value)
{
	if (value && !(spec->omit && streq(spec->omit, key)))
		json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_time(struct json_object *obj, const struct claims_spec *spec, const char *key, int64_t t)
{
	char text[32];

	idg_rfc3339_format(t, text, sizeof(text));
	add_text(obj, spec, key, text);
}

/* The claims as JSON; the caller frees. */
static char *claims_json(const struct claims_spec *spec)
{
	struct json_object *obj = json_object_new_object(), *cls;
	char *json;

	assert_non_null(obj);
	add_text(obj, spec, "jti", JTI);
	add_text(obj, spec, "sub", spec->sub);
	add_text(obj, spec, "host", spec->host);
	add_text(obj, spec, "pur", spec->pur);
	add_text(obj, spec, "ref", spec->ref);
	if (spec->cls && !(spec->omit && streq(spec->omit, "cls"))) {
		cls = json_tokener_parse(spec->cls);
		assert_non_null(cls);
		json_object_object_add(obj, "cls", cls);
	}
	add_text(obj, spec, "rid", REQUEST_ID);
	add_time(obj, spec, "iat", spec->nbf);
	add_time(obj, spec, "nbf", spec->nbf);
	add_time(obj, spec, "exp", spec->exp);
	json = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	return keep(json);
}

/* payload signed by signer with footer as written (NULL: no footer). */
static char *sign_raw(const struct key *signer, const char *payload, const char *footer)
{
	char *token = NULL;

	assert_int_equal(idg_paseto_sign(signer->sk, payload, strlen(payload), footer, NULL, &token), 0);
	return keep(token);
}

/* spec signed by signer with {"kid": kid} as footer. */
static char *sign_claims(const struct key *signer, const char *kid, const struct claims_spec *spec)
{
	char *footer;

	assert_true(asprintf(&footer, "{\"kid\":\"%s\"}", kid) > 0);
	return sign_raw(signer, claims_json(spec), keep(footer));
}

/* token with the first `from` in its payload replaced by `to` (same length),
 * re-encoded: the signature no longer matches. */
static char *alter_payload(const char *token, const char *from, const char *to)
{
	const char *body = token + strlen("v4.public."), *dot = strchr(body, '.');
	unsigned char bin[IDG_PASETO_MAX_TOKEN];
	size_t bin_len = 0, size;
	unsigned char *hit;
	char *out;

	assert_int_equal(strlen(from), strlen(to));
	assert_non_null(dot);
	assert_int_equal(sodium_base642bin(bin, sizeof(bin), body, (size_t)(dot - body), NULL, &bin_len, NULL, B64), 0);
	hit = memmem(bin, bin_len - crypto_sign_BYTES, from, strlen(from));
	assert_non_null(hit);
	memcpy(hit, to, strlen(to));
	size = strlen("v4.public.") + sodium_base64_encoded_len(bin_len, B64) + strlen(dot);
	out = keep(malloc(size));
	strcpy(out, "v4.public.");
	(void)sodium_bin2base64(out + strlen(out), sodium_base64_encoded_len(bin_len, B64), bin, bin_len, B64);
	strcat(out, dot);
	return out;
}

/* ---- checking -------------------------------------------------------------------- */

/* Leaves non-zero bytes where the next call's locals will be, as a busy
 * daemon's stack would: a message built from an uninitialised buffer then
 * shows up as garbage instead of passing by luck. */
static __attribute__((noinline)) void dirty_stack(void)
{
	volatile char junk[32768];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = '?';
}

static void check_as(const struct fixture *f, const char *token, const char *user, int64_t now, struct outcome *out)
{
	struct idg_token_context ctx = { .policy = f->policy, .host = HOST, .user = user, .now = now };

	dirty_stack();
	memset(out, 0, sizeof(*out));
	(void)snprintf(out->err.message, sizeof(out->err.message), "(no message set)");
	out->approver = (const void *)out; /* must be overwritten */
	out->reason = idg_token_check(token, &ctx, &out->claims, &out->approver, &out->err);
}

/* Checks token as user at now; it must be refused for reason, the word for
 * it must be word, and the sentence message (unless NULL). line is the
 * caller's, for the failure message. */
static void expect_refused_at_line(unsigned line, const struct fixture *f, const char *token, const char *user,
				   int64_t now, enum idg_token_rejection reason, const char *word, const char *message,
				   struct outcome *out)
{
	check_as(f, token, user, now, out);
	if (out->reason != reason || (message && strcmp(out->err.message, message))) {
		print_error("test_token.c:%u: expected %s \"%s\"\n", line, idg_token_rejection_name(reason),
			    message ? message : "");
		print_error("test_token.c:%u:      got %s \"%s\"\n", line, idg_token_rejection_name(out->reason),
			    out->err.message);
		fail();
	}
	assert_string_equal(idg_token_rejection_name(out->reason), word);
}

#define expect_refused_at(f, token, user, now, reason, word, message, out) \
	expect_refused_at_line(__LINE__, f, token, user, now, reason, word, message, out)
#define expect_refused(f, token, reason, word, message, out) \
	expect_refused_at_line(__LINE__, f, token, "alice", NOW, reason, word, message, out)

static void expect_accepted_at_line(unsigned line, const struct fixture *f, const char *token, int64_t now,
				    struct outcome *out)
{
	check_as(f, token, "alice", now, out);
	if (out->reason != IDG_TOKEN_OK) {
		print_error("test_token.c:%u: refused (%s): %s\n", line, idg_token_rejection_name(out->reason),
			    out->err.message);
		fail();
	}
	assert_non_null(out->approver);
}

#define expect_accepted_at(f, token, now, out) expect_accepted_at_line(__LINE__, f, token, now, out)

/* ---- the fixture itself ----------------------------------------------------------- */

static void test_rejection_names(void **state)
{
	static const struct {
		enum idg_token_rejection reason;
		const char *word;
	} names[] = {
		{ IDG_TOKEN_OK, "ok" },
		{ IDG_TOKEN_MALFORMED, "malformed" },
		{ IDG_TOKEN_UNKNOWN_APPROVER, "unknown-approver" },
		{ IDG_TOKEN_BAD_SIGNATURE, "bad-signature" },
		{ IDG_TOKEN_UNKNOWN_PURPOSE, "unknown-purpose" },
		{ IDG_TOKEN_APPROVER_NOT_ALLOWED, "approver-not-allowed" },
		{ IDG_TOKEN_SELF_APPROVED, "self-approved" },
		{ IDG_TOKEN_WRONG_HOST, "wrong-host" },
		{ IDG_TOKEN_WRONG_USER, "wrong-user" },
		{ IDG_TOKEN_NOT_YET_VALID, "not-yet-valid" },
		{ IDG_TOKEN_EXPIRED, "expired" },
		{ IDG_TOKEN_TOO_LONG, "too-long" },
		{ IDG_TOKEN_CLASS_NOT_ALLOWED, "class-not-allowed" },
		{ IDG_TOKEN_REF_ID_NUMBER, "ref-id-number" },
		{ IDG_TOKEN_REPLAYED, "replayed" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(idg_token_rejection_name(names[i].reason), names[i].word);
	assert_string_equal(idg_token_rejection_name((enum idg_token_rejection)(IDG_TOKEN_REPLAYED + 1)), "unknown");
	assert_string_equal(idg_token_rejection_name((enum idg_token_rejection)-1), "unknown");
}

static void test_fixture_lookups(void **state)
{
	const struct fixture *f = *state;
	const struct idg_purpose *opening = idg_policy_purpose(f->policy, "account-opening");
	const struct idg_purpose *hotel = idg_policy_purpose(f->policy, "hotel-registration");
	const struct idg_approver *wang = idg_policy_approver(f->policy, "wang");

	assert_non_null(opening);
	assert_int_equal(opening->class_mask, (1u << IDG_CLASS_SCANNER) | (1u << IDG_CLASS_CAMERA));
	assert_int_equal(opening->max_minutes, 15);
	assert_int_equal(opening->n_approvers, 2);
	assert_string_equal(opening->approvers[0], "wang");
	assert_string_equal(opening->approvers[1], "li");
	assert_non_null(hotel);
	assert_int_equal(hotel->class_mask, 1u << IDG_CLASS_CARD_READER);
	assert_int_equal(hotel->max_minutes, 10);
	assert_null(idg_policy_purpose(f->policy, "car-rental"));
	assert_null(idg_policy_purpose(f->policy, ""));

	assert_non_null(wang);
	assert_string_equal(wang->user, "wang");
	assert_true(wang->has_key);
	assert_memory_equal(wang->public_key, f->wang.pk, sizeof(f->wang.pk));
	assert_string_equal(wang->key_id, f->wang.pid);
	assert_int_equal(wang->n_purposes, 1);
	assert_string_equal(wang->purposes[0], "account-opening");
	assert_null(idg_policy_approver(f->policy, "zhang"));

	assert_ptr_equal(idg_policy_approver_by_key_id(f->policy, f->wang.pid), wang);
	assert_ptr_equal(idg_policy_approver_by_key_id(f->policy, f->li.pid), idg_policy_approver(f->policy, "li"));
	assert_ptr_equal(idg_policy_approver_by_key_id(f->policy, f->mallory.pid),
			 idg_policy_approver(f->policy, "mallory"));
	assert_null(idg_policy_approver_by_key_id(f->policy, f->stranger.pid));
	assert_null(idg_policy_approver_by_key_id(f->policy, ""));
}

/* Both sides must agree: the purpose lists the approver, and the approver
 * lists the purpose (or "*"). */
static void test_may_approve(void **state)
{
	const struct fixture *f = *state;
	const struct idg_purpose *opening = idg_policy_purpose(f->policy, "account-opening");
	const struct idg_purpose *hotel = idg_policy_purpose(f->policy, "hotel-registration");
	const struct idg_approver *wang = idg_policy_approver(f->policy, "wang");
	const struct idg_approver *li = idg_policy_approver(f->policy, "li");
	const struct idg_approver *mallory = idg_policy_approver(f->policy, "mallory");

	assert_true(idg_policy_may_approve(wang, opening));
	assert_true(idg_policy_may_approve(li, opening));
	assert_true(idg_policy_may_approve(li, hotel));
	/* hotel-registration lists wang, but wang's Purposes= does not list it. */
	assert_false(idg_policy_may_approve(wang, hotel));
	/* mallory's Purposes= lists hotel-registration, but the purpose does not list mallory. */
	assert_false(idg_policy_may_approve(mallory, hotel));
	/* Neither side lists the other. */
	assert_false(idg_policy_may_approve(mallory, opening));
}

/* ---- accepted ------------------------------------------------------------------- */

static void test_accepts_good_token(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner,camera", 15);
	struct idg_token_claims minted;
	struct outcome out;
	char *token = NULL;

	assert_int_equal(idg_token_mint(&req, f->wang.sk, f->wang.pid, NOW, &token, &minted), 0);
	keep(token);
	assert_true(strncmp(token, "v4.public.", 10) == 0);
	expect_accepted_at(f, token, NOW, &out);
	assert_ptr_equal(out.approver, idg_policy_approver(f->policy, "wang"));

	assert_int_equal(strlen(out.claims.jti), 32);
	assert_int_equal(strspn(out.claims.jti, "0123456789abcdef"), 32);
	assert_string_equal(out.claims.jti, minted.jti);
	assert_string_equal(out.claims.sub, "alice");
	assert_string_equal(out.claims.host, HOST);
	assert_string_equal(out.claims.pur, "account-opening");
	assert_string_equal(out.claims.ref, CASE_REF);
	assert_string_equal(out.claims.rid, REQUEST_ID);
	assert_string_equal(out.claims.kid, f->wang.pid);
	assert_int_equal(out.claims.class_mask, (1u << IDG_CLASS_SCANNER) | (1u << IDG_CLASS_CAMERA));
	assert_int_equal(out.claims.iat, NOW);
	assert_int_equal(out.claims.nbf, NOW);
	assert_int_equal(out.claims.exp, NOW + 15 * 60);
	/* What the approver was told it signed is what the agent reads. */
	assert_string_equal(minted.sub, out.claims.sub);
	assert_string_equal(minted.host, out.claims.host);
	assert_string_equal(minted.pur, out.claims.pur);
	assert_string_equal(minted.ref, out.claims.ref);
	assert_string_equal(minted.rid, out.claims.rid);
	assert_string_equal(minted.kid, out.claims.kid);
	assert_int_equal(minted.class_mask, out.claims.class_mask);
	assert_int_equal(minted.nbf, out.claims.nbf);
	assert_int_equal(minted.exp, out.claims.exp);

	/* Still good in its last second. */
	expect_accepted_at(f, token, NOW + 15 * 60 - 1, &out);

	/* Two mints of one request are two tokens. */
	assert_int_equal(idg_token_mint(&req, f->wang.sk, f->wang.pid, NOW, &token, &out.claims), 0);
	keep(token);
	assert_string_not_equal(out.claims.jti, minted.jti);
}

static void test_accepts_other_approver_and_purpose(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("hotel-registration", "card-reader", 10);
	char *token = mint(&f->li, &req, NOW);
	struct outcome out;

	expect_accepted_at(f, token, NOW, &out);
	assert_ptr_equal(out.approver, idg_policy_approver(f->policy, "li"));
	assert_string_equal(out.claims.pur, "hotel-registration");
	assert_int_equal(out.claims.class_mask, 1u << IDG_CLASS_CARD_READER);
}

/* Claims written by another implementation, with offsets in its times. */
static void test_accepts_hand_written_claims(void **state)
{
	const struct fixture *f = *state;
	struct claims_spec spec = good_claims();
	char *token = sign_claims(&f->wang, f->wang.pid, &spec), *footer;
	struct outcome out;
	char payload[1024];

	expect_accepted_at(f, token, NOW, &out);
	assert_string_equal(out.claims.jti, JTI);

	(void)snprintf(payload, sizeof(payload),
		       "{\"jti\":\"" JTI "\",\"sub\":\"alice\",\"host\":\"" HOST "\",\"pur\":\"account-opening\","
		       "\"ref\":\"" CASE_REF "\",\"cls\":[\"camera\"],\"iat\":\"2026-11-22T18:15:00+08:00\","
		       "\"nbf\":\"2026-11-22T18:15:00.250+08:00\",\"exp\":\"2026-11-22T10:30:00Z\"}");
	assert_true(asprintf(&footer, "{\"kid\":\"%s\"}", f->wang.pid) > 0);
	keep(footer);
	token = sign_raw(&f->wang, payload, footer);
	expect_accepted_at(f, token, NOW, &out);
	assert_int_equal(out.claims.nbf, NOW);
	assert_int_equal(out.claims.exp, NOW + 15 * 60);
	assert_int_equal(out.claims.class_mask, 1u << IDG_CLASS_CAMERA);
	assert_string_equal(out.claims.rid, ""); /* optional */

	/* A hex token id may hold 18 digits with a valid checksum by chance:
	 * an accepted token is not card data and keeps its id as signed. */
	(void)snprintf(payload, sizeof(payload),
		       "{\"jti\":\"ab110105199003000000cd0123456789\",\"sub\":\"alice\",\"host\":\"" HOST
		       "\",\"pur\":\"account-opening\",\"ref\":\"" CASE_REF "\",\"cls\":[\"camera\"],"
		       "\"iat\":\"2026-11-22T10:15:00Z\",\"nbf\":\"2026-11-22T10:15:00Z\",\"exp\":\"2026-11-22T10:30:00Z\"}");
	token = sign_raw(&f->wang, payload, footer);
	expect_accepted_at(f, token, NOW, &out);
	assert_string_equal(out.claims.jti, "ab110105199003000000cd0123456789");
}

/* ---- malformed ------------------------------------------------------------------- */

static void test_malformed_not_a_token(void **state)
{
	const struct fixture *f = *state;
	struct outcome out;

	expect_refused(f, "garbage", IDG_TOKEN_MALFORMED, "malformed",
		       "this is not a valid purpose token (not a v4.public token); copy it again", &out);
	assert_null(out.approver);
	assert_string_equal(out.claims.sub, "");
	expect_refused(f, "", IDG_TOKEN_MALFORMED, "malformed",
		       "this is not a valid purpose token (not a v4.public token); copy it again", &out);
	expect_refused(f, "v4.public.***", IDG_TOKEN_MALFORMED, "malformed",
		       "this is not a valid purpose token (token is not valid base64url); copy it again", &out);
	expect_refused(f, "v4.public.AAAA", IDG_TOKEN_MALFORMED, "malformed",
		       "this is not a valid purpose token (token is too short); copy it again", &out);
}

static void test_malformed_no_footer(void **state)
{
	const struct fixture *f = *state;
	struct claims_spec spec = good_claims();
	char *payload = claims_json(&spec), *token = sign_raw(&f->wang, payload, NULL);
	struct outcome out;

	expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed",
		       "this is not a valid purpose token (no key id in its footer); copy it again", &out);
	assert_null(out.approver);
}

static void test_malformed_footer_without_kid(void **state)
{
	const struct fixture *f = *state;
	struct claims_spec spec = good_claims();
	char *payload = claims_json(&spec), *footer, *token;
	const char *footers[] = { NULL, "{\"kid\":\"\"}", "{\"kid\":42}", "[\"kid\"]", "kid" };
	struct outcome out;

	/* The right key id under another name. */
	assert_true(asprintf(&footer, "{\"key\":\"%s\"}", f->wang.pid) > 0);
	keep(footer);
	footers[0] = footer;
	for (size_t i = 0; i < ARRAY_SIZE(footers); i++) {
		token = sign_raw(&f->wang, payload, footers[i]);
		expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed",
			       "this is not a valid purpose token (no key id in its footer); copy it again", &out);
		assert_null(out.approver);
	}
}

static void test_malformed_missing_claims(void **state)
{
	const struct fixture *f = *state;
	static const struct {
		const char *claim;
		const char *message;
	} needed[] = {
		{ "jti", BAD_TEXT_CLAIM("jti", "63") },	  { "sub", BAD_TEXT_CLAIM("sub", "63") },
		{ "host", BAD_TEXT_CLAIM("host", "63") }, { "pur", BAD_TEXT_CLAIM("pur", "63") },
		{ "cls", BAD_CLASSES },			  { "iat", BAD_TIMES },
		{ "nbf", BAD_TIMES },			  { "exp", BAD_TIMES },
	};
	struct claims_spec spec;
	struct outcome out;
	char *token;

	for (size_t i = 0; i < ARRAY_SIZE(needed); i++) {
		spec = good_claims();
		spec.omit = needed[i].claim;
		token = sign_claims(&f->wang, f->wang.pid, &spec);
		expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", needed[i].message, &out);
		/* The signature was good: the approver is known. */
		assert_ptr_equal(out.approver, idg_policy_approver(f->policy, "wang"));
		assert_string_equal(out.claims.kid, f->wang.pid);
	}

	spec = good_claims();
	spec.omit = "ref";
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", BAD_TEXT_CLAIM("ref", "127"), &out);

	spec = good_claims();
	spec.ref = "";
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", BAD_TEXT_CLAIM("ref", "127"), &out);
}

static void test_malformed_exp_not_after_nbf(void **state)
{
	const struct fixture *f = *state;
	struct claims_spec spec = good_claims();
	struct outcome out;
	char *token;

	spec.exp = spec.nbf - 60;
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", "the token expires before it becomes valid", &out);

	spec.exp = spec.nbf;
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", "the token expires before it becomes valid", &out);
}

static void test_malformed_classes(void **state)
{
	const struct fixture *f = *state;
	const char *bad[] = {
		"[\"scanner\",\"fax\"]", /* a class nobody knows */
		"[]",
		"\"scanner\"",           /* not an array */
		"[\"scanner\",7]",
		"[\"unknown\"]",
	};
	struct claims_spec spec;
	struct outcome out;
	char *token;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		spec = good_claims();
		spec.cls = bad[i];
		token = sign_claims(&f->wang, f->wang.pid, &spec);
		expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", BAD_CLASSES, &out);
	}
}

static void test_malformed_times(void **state)
{
	const struct fixture *f = *state;
	const char *bad[] = { "2026-11-22T10:15:00", "2026-11-22", "1795342500", "2026-02-30T10:15:00Z" };
	char payload[1024], *footer, *token;
	struct outcome out;

	assert_true(asprintf(&footer, "{\"kid\":\"%s\"}", f->wang.pid) > 0);
	keep(footer);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		(void)snprintf(payload, sizeof(payload),
			       "{\"jti\":\"" JTI "\",\"sub\":\"alice\",\"host\":\"" HOST "\",\"pur\":\"account-opening\","
			       "\"ref\":\"" CASE_REF "\",\"cls\":[\"camera\"],\"iat\":\"2026-11-22T10:15:00Z\","
			       "\"nbf\":\"2026-11-22T10:15:00Z\",\"exp\":\"%s\"}",
			       bad[i]);
		token = sign_raw(&f->wang, payload, footer);
		expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", BAD_TIMES, &out);
	}
}

/* ---- signature and approver ------------------------------------------------------- */

static void test_unknown_approver(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	char *token = mint(&f->stranger, &req, NOW), *expect;
	struct outcome out;

	assert_true(asprintf(&expect,
			     "the token was signed with a key this workstation does not know (key id %s); ask an "
			     "approver registered here",
			     f->stranger.pid) > 0);
	keep(expect);
	expect_refused(f, token, IDG_TOKEN_UNKNOWN_APPROVER, "unknown-approver", expect, &out);
	assert_null(out.approver);
	/* What it claims is kept for the journal. */
	assert_string_equal(out.claims.kid, f->stranger.pid);
	assert_string_equal(out.claims.sub, "alice");
	assert_string_equal(out.claims.pur, "account-opening");
	assert_string_equal(out.claims.ref, CASE_REF);
}

static void test_bad_signature_other_key(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	char *token = NULL;
	struct outcome out;

	/* The stranger puts wang's key id in the footer. */
	assert_int_equal(idg_token_mint(&req, f->stranger.sk, f->wang.pid, NOW, &token, NULL), 0);
	keep(token);
	expect_refused(f, token, IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
		       "the token's signature does not verify: it was altered, or not signed by wang's key", &out);

	/* li's real key, wang's name on it. */
	assert_int_equal(idg_token_mint(&req, f->li.sk, f->wang.pid, NOW, &token, NULL), 0);
	keep(token);
	expect_refused(f, token, IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
		       "the token's signature does not verify: it was altered, or not signed by wang's key", &out);
}

static void test_bad_signature_altered_payload(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	char *token = mint(&f->wang, &req, NOW), *altered;
	struct outcome out;

	/* Sanity: with nothing changed the helper gives the token back. */
	altered = alter_payload(token, "alice", "alice");
	assert_string_equal(altered, token);

	/* One byte changed: the clerk's name. */
	altered = alter_payload(token, "alice", "alicf");
	expect_refused(f, altered, IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
		       "the token's signature does not verify: it was altered, or not signed by wang's key", &out);

	/* One byte changed: the minutes stretched. */
	altered = alter_payload(token, "T10:30:00Z", "T11:30:00Z");
	expect_refused(f, altered, IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
		       "the token's signature does not verify: it was altered, or not signed by wang's key", &out);
}

static void test_unknown_purpose(void **state)
{
	const struct fixture *f = *state;
	struct claims_spec spec = good_claims();
	char *token;
	struct outcome out;

	spec.pur = "car-rental";
	token = sign_claims(&f->li, f->li.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_UNKNOWN_PURPOSE, "unknown-purpose",
		       "purpose 'car-rental' is not in this workstation's policy", &out);
	assert_string_equal(out.claims.pur, "car-rental");
}

static void test_approver_not_allowed(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request opening = request("account-opening", "scanner", 15);
	struct idg_token_request hotel = request("hotel-registration", "card-reader", 10);
	struct outcome out;
	char *token;

	/* Neither side lists the other. */
	token = mint(&f->mallory, &opening, NOW);
	expect_refused(f, token, IDG_TOKEN_APPROVER_NOT_ALLOWED, "approver-not-allowed",
		       "mallory may not approve purpose account-opening; ask an approver who may", &out);
	assert_ptr_equal(out.approver, idg_policy_approver(f->policy, "mallory"));

	/* mallory lists hotel-registration; the purpose does not list mallory. */
	token = mint(&f->mallory, &hotel, NOW);
	expect_refused(f, token, IDG_TOKEN_APPROVER_NOT_ALLOWED, "approver-not-allowed",
		       "mallory may not approve purpose hotel-registration; ask an approver who may", &out);

	/* hotel-registration lists wang; wang's Purposes= does not list it. */
	token = mint(&f->wang, &hotel, NOW);
	expect_refused(f, token, IDG_TOKEN_APPROVER_NOT_ALLOWED, "approver-not-allowed",
		       "wang may not approve purpose hotel-registration; ask an approver who may", &out);
}

static void test_self_approved(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	struct outcome out;
	char *token;

	(void)snprintf(req.user, sizeof(req.user), "wang");
	token = mint(&f->wang, &req, NOW);
	expect_refused_at(f, token, "wang", NOW, IDG_TOKEN_SELF_APPROVED, "self-approved",
			  "this token was approved by wang for wang: nobody may approve their own request", &out);
	/* Refused for that before the question of who redeems it. */
	expect_refused_at(f, token, "alice", NOW, IDG_TOKEN_SELF_APPROVED, "self-approved",
			  "this token was approved by wang for wang: nobody may approve their own request", &out);
}

/* ---- where and who ---------------------------------------------------------------- */

static void test_wrong_host(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	struct outcome out;
	char *token;

	(void)snprintf(req.host, sizeof(req.host), OTHER_HOST);
	token = mint(&f->wang, &req, NOW);
	expect_refused(f, token, IDG_TOKEN_WRONG_HOST, "wrong-host",
		       "this token is for another workstation (machine id " OTHER_HOST "); it can only be redeemed there",
		       &out);
	assert_string_equal(out.claims.host, OTHER_HOST);
}

static void test_wrong_user(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	char *token = mint(&f->wang, &req, NOW);
	struct outcome out;

	expect_refused_at(f, token, "bob", NOW, IDG_TOKEN_WRONG_USER, "wrong-user",
			  "this token was approved for alice; you are bob", &out);
	assert_string_equal(out.claims.sub, "alice");
	/* Names are compared exactly. */
	expect_refused_at(f, token, "Alice", NOW, IDG_TOKEN_WRONG_USER, "wrong-user",
			  "this token was approved for alice; you are Alice", &out);
}

/* ---- when -------------------------------------------------------------------------- */

static void test_not_yet_valid(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	struct outcome out;
	char *token;

	/* The approver's clock is 121 s ahead: one second beyond the leeway. */
	token = mint(&f->wang, &req, NOW + IDG_TOKEN_LEEWAY_SECONDS + 1);
	expect_refused(f, token, IDG_TOKEN_NOT_YET_VALID, "not-yet-valid",
		       "this token is not valid before 18:17; check this workstation's clock", &out);
	/* A second later on this workstation it is within the leeway. */
	expect_accepted_at(f, token, NOW + 1, &out);

	/* Exactly at the leeway. */
	token = mint(&f->wang, &req, NOW + IDG_TOKEN_LEEWAY_SECONDS);
	expect_accepted_at(f, token, NOW, &out);

	/* Tomorrow's token gives the date as well. */
	token = mint(&f->wang, &req, NOW + 86400);
	expect_refused(f, token, IDG_TOKEN_NOT_YET_VALID, "not-yet-valid",
		       "this token is not valid before 2026-11-23 18:15; check this workstation's clock", &out);
}

static void test_expired(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	struct outcome out;
	char *token;

	/* Minted 20 minutes ago for 15: expired at 10:10Z, 18:10 here. */
	token = mint(&f->wang, &req, NOW - 20 * 60);
	expect_refused(f, token, IDG_TOKEN_EXPIRED, "expired", "this token expired at 18:10; ask for a new one", &out);
	assert_true(strncmp(out.err.message, "this token expired at ", 22) == 0);
	assert_string_equal(out.err.message + strlen(out.err.message) - strlen("; ask for a new one"),
			    "; ask for a new one");

	/* exp == now: expiry gets no leeway. */
	token = mint(&f->wang, &req, NOW - 15 * 60);
	expect_refused(f, token, IDG_TOKEN_EXPIRED, "expired", "this token expired at 18:15; ask for a new one", &out);
	/* One second earlier it was still good. */
	expect_accepted_at(f, token, NOW - 1, &out);

	/* Yesterday's token gives the date as well. */
	token = mint(&f->wang, &req, NOW - 86400 - 20 * 60);
	expect_refused(f, token, IDG_TOKEN_EXPIRED, "expired",
		       "this token expired at 2026-11-21 18:10; ask for a new one", &out);
}

static void test_too_long(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 16);
	struct claims_spec spec = good_claims();
	struct outcome out;
	char *token;

	/* Exactly the purpose's maximum. */
	spec.exp = spec.nbf + 15 * 60;
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_accepted_at(f, token, NOW, &out);

	/* One second more. */
	spec.exp = spec.nbf + 15 * 60 + 1;
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_TOO_LONG, "too-long",
		       "this token is valid for 16 minutes, but purpose account-opening allows at most 15", &out);

	/* Minted for 16 minutes by an approver that did not check. */
	token = mint(&f->wang, &req, NOW);
	expect_refused(f, token, IDG_TOKEN_TOO_LONG, "too-long",
		       "this token is valid for 16 minutes, but purpose account-opening allows at most 15", &out);

	/* Each purpose has its own maximum. */
	req = request("hotel-registration", "card-reader", 11);
	token = mint(&f->li, &req, NOW);
	expect_refused(f, token, IDG_TOKEN_TOO_LONG, "too-long",
		       "this token is valid for 11 minutes, but purpose hotel-registration allows at most 10", &out);
}

static void test_class_not_allowed(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner,card-reader", 15);
	struct outcome out;
	char *token = mint(&f->wang, &req, NOW);

	expect_refused(f, token, IDG_TOKEN_CLASS_NOT_ALLOWED, "class-not-allowed",
		       "purpose account-opening does not allow card-reader", &out);

	req = request("account-opening", "card-reader,printer,storage", 15);
	token = mint(&f->wang, &req, NOW);
	expect_refused(f, token, IDG_TOKEN_CLASS_NOT_ALLOWED, "class-not-allowed",
		       "purpose account-opening does not allow card-reader,printer,storage", &out);
}

/* ---- ref --------------------------------------------------------------------------- */

static void test_ref_id_number(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	struct outcome out;
	char *token;

	(void)snprintf(req.ref, sizeof(req.ref), "case " ID_NUMBER);
	token = mint(&f->wang, &req, NOW);
	expect_refused(f, token, IDG_TOKEN_REF_ID_NUMBER, "ref-id-number",
		       "the token's case reference looks like a resident ID number; card data must not reach the "
		       "logs, so ask for a new token with the case or file number",
		       &out);
	assert_string_equal(as_recorded(out.claims.ref), "case [withheld]");
	assert_not_contains(as_recorded(out.claims.ref), ID_NUMBER);
	assert_not_contains(as_recorded(out.claims.ref), "1101051949");
	/* The rest of the claims are still there for the journal. */
	assert_string_equal(out.claims.sub, "alice");
	assert_string_equal(out.claims.pur, "account-opening");

	/* Withheld too when the token is refused before its signature is checked. */
	token = mint(&f->stranger, &req, NOW);
	check_as(f, token, "alice", NOW, &out);
	assert_int_equal(out.reason, IDG_TOKEN_UNKNOWN_APPROVER);
	assert_string_equal(as_recorded(out.claims.ref), "case [withheld]");
	assert_not_contains(out.err.message, ID_NUMBER);

	/* ... and when its signature is bad. */
	assert_int_equal(idg_token_mint(&req, f->stranger.sk, f->wang.pid, NOW, &token, NULL), 0);
	keep(token);
	check_as(f, token, "alice", NOW, &out);
	assert_int_equal(out.reason, IDG_TOKEN_BAD_SIGNATURE);
	assert_string_equal(as_recorded(out.claims.ref), "case [withheld]");
}

/* An unverified token can carry an ID number in any claim; the claims kept
 * for the journal must not hold it, whichever claim it is in. */
static void test_id_number_withheld_in_every_claim(void **state)
{
	const struct fixture *f = *state;
	struct claims_spec spec = good_claims();
	struct outcome out;
	char *token;

	spec.sub = ID_NUMBER;
	spec.pur = ID_NUMBER;
	token = sign_claims(&f->stranger, f->stranger.pid, &spec);
	check_as(f, token, "alice", NOW, &out);
	assert_int_equal(out.reason, IDG_TOKEN_UNKNOWN_APPROVER);
	assert_not_contains(as_recorded(out.claims.sub), ID_NUMBER);
	assert_not_contains(as_recorded(out.claims.pur), ID_NUMBER);
	assert_string_equal(as_recorded(out.claims.sub), "[withheld]");
}

/* The claims of a malformed token are kept for the journal as well; an ID
 * number in their ref must not reach it that way either. */
static void test_ref_id_number_withheld_when_malformed(void **state)
{
	const struct fixture *f = *state;
	struct claims_spec spec = good_claims();
	struct outcome out;
	char *token;

	spec.ref = ID_NUMBER;
	spec.omit = "exp";
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", BAD_TIMES, &out);
	assert_not_contains(as_recorded(out.claims.ref), ID_NUMBER);

	spec = good_claims();
	spec.ref = ID_NUMBER;
	spec.cls = "[\"fax\"]";
	token = sign_claims(&f->wang, f->wang.pid, &spec);
	expect_refused(f, token, IDG_TOKEN_MALFORMED, "malformed", BAD_CLASSES, &out);
	assert_not_contains(as_recorded(out.claims.ref), ID_NUMBER);
}

/* ---- requests ---------------------------------------------------------------------- */

static void test_request_round_trip(void **state)
{
	struct idg_token_request req = request("account-opening", "scanner,camera", 15), back;
	struct idg_error err = { { 0 } };
	char *code = NULL;

	(void)state;
	assert_int_equal(idg_token_request_encode(&req, &code), 0);
	keep(code);
	assert_true(strncmp(code, IDG_REQUEST_PREFIX, strlen(IDG_REQUEST_PREFIX)) == 0);
	/* It is copied by hand and pasted into chat: one word, no padding. */
	assert_int_equal(strspn(code + strlen(IDG_REQUEST_PREFIX),
				"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
			 strlen(code) - strlen(IDG_REQUEST_PREFIX));
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(idg_token_request_decode(code, &back, &err), 0);
	assert_string_equal(back.user, "alice");
	assert_string_equal(back.host, HOST);
	assert_string_equal(back.hostname, "ws-07");
	assert_string_equal(back.purpose, "account-opening");
	assert_string_equal(back.ref, CASE_REF);
	assert_string_equal(back.id, REQUEST_ID);
	assert_int_equal(back.class_mask, req.class_mask);
	assert_int_equal(back.minutes, 15);
	assert_int_equal(back.created, NOW);

	/* Text that is not ASCII survives too. */
	(void)snprintf(req.ref, sizeof(req.ref), "开户-2026-0042");
	assert_int_equal(idg_token_request_encode(&req, &code), 0);
	keep(code);
	assert_int_equal(idg_token_request_decode(code, &back, &err), 0);
	assert_string_equal(back.ref, "开户-2026-0042");
}

/* "idgreq1." + base64url(json). */
static char *request_code(const char *json)
{
	size_t len = strlen(json), size = sodium_base64_encoded_len(len, B64);
	char *code = keep(malloc(strlen(IDG_REQUEST_PREFIX) + size));

	strcpy(code, IDG_REQUEST_PREFIX);
	(void)sodium_bin2base64(code + strlen(IDG_REQUEST_PREFIX), size, (const unsigned char *)json, len, B64);
	return code;
}

static const char request_json[] =
	"{\"v\":1,\"rid\":\"" REQUEST_ID "\",\"sub\":\"alice\",\"host\":\"" HOST "\",\"hostname\":\"ws-07\","
	"\"pur\":\"account-opening\",\"ref\":\"" CASE_REF "\",\"cls\":[\"scanner\",\"camera\"],\"min\":15,"
	"\"iat\":\"2026-11-22T10:15:00Z\"}";

/* request_json with key removed, or set to value (JSON text) when value is given. */
static char *request_code_with(const char *key, const char *value)
{
	struct json_object *obj = json_tokener_parse(request_json);
	char *code;

	assert_non_null(obj);
	json_object_object_del(obj, key);
	if (value) {
		struct json_object *v = json_tokener_parse(value);

		assert_non_null(v);
		json_object_object_add(obj, key, v);
	}
	code = request_code(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	return code;
}

static void expect_decode_refused(const char *code, int r, const char *message)
{
	struct idg_token_request req, untouched;
	struct idg_error err = { { 0 } };

	memset(&req, 0x5a, sizeof(req));
	untouched = req;
	if (idg_token_request_decode(code, &req, &err) != r) {
		print_error("'%s' was not refused with %d (%s)\n", code, r, err.message);
		fail();
	}
	assert_string_equal(err.message, message);
	/* Out-parameters are written only on success. */
	assert_memory_equal(&req, &untouched, sizeof(req));
}

#define DAMAGED "the request code is damaged (its contents do not make sense); copy it again"

static void test_request_decode_refusals(void **state)
{
	struct idg_token_request req;
	struct idg_error err = { { 0 } };
	static const struct {
		const char *key, *value;
	} damaged[] = {
		{ "ref", NULL },
		{ "sub", NULL },
		{ "pur", NULL },
		{ "cls", NULL },
		{ "min", NULL },
		{ "iat", NULL },
		{ "v", NULL },
		{ "min", "0" },
		{ "min", "-5" },
		{ "min", "\"15\"" },
		{ "v", "2" },
		{ "cls", "[\"fax\"]" },
		{ "cls", "[]" },
		{ "ref", "\"\"" },
		{ "ref", "\"a\\nb\"" },
		{ "iat", "\"yesterday\"" },
	};
	char *code;

	(void)state;
	/* The template itself is good, so each refusal below is for its one change. */
	code = request_code(request_json);
	assert_int_equal(idg_token_request_decode(code, &req, &err), 0);

	expect_decode_refused("idgreq2.eyJ2IjoxfQ", -EINVAL, "not a request code: it should start with 'idgreq1.'");
	expect_decode_refused("", -EINVAL, "not a request code: it should start with 'idgreq1.'");
	expect_decode_refused("v4.public.AAAA", -EINVAL, "not a request code: it should start with 'idgreq1.'");
	expect_decode_refused("idgreq1.!!!!", -EINVAL, "the request code is damaged (not base64url); copy it again");
	expect_decode_refused("idgreq1.eyJ2Ijox fQ", -EINVAL,
			      "the request code is damaged (not base64url); copy it again");

	code = request_code("this is not JSON");
	expect_decode_refused(code, -EINVAL, DAMAGED);
	code = request_code("[1,2,3]");
	expect_decode_refused(code, -EINVAL, DAMAGED);
	expect_decode_refused(IDG_REQUEST_PREFIX, -EINVAL, DAMAGED);

	for (size_t i = 0; i < ARRAY_SIZE(damaged); i++) {
		code = request_code_with(damaged[i].key, damaged[i].value);
		expect_decode_refused(code, -EINVAL, DAMAGED);
	}
}

static void expect_request_refused(const struct fixture *f, const struct idg_token_request *req, int r,
				   const char *message)
{
	struct idg_error err = { { 0 } };
	int got = idg_token_request_check(req, f->policy, &err);

	if (got != r) {
		print_error("request_check returned %d, expected %d (%s)\n", got, r, err.message);
		fail();
	}
	assert_string_equal(err.message, message);
}

static void test_request_check(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner,camera", 15);
	struct idg_error err = { { 0 } };

	assert_int_equal(idg_token_request_check(&req, f->policy, &err), 0);
	req = request("hotel-registration", "card-reader", 1);
	assert_int_equal(idg_token_request_check(&req, f->policy, &err), 0);

	req = request("car-rental", "scanner", 15);
	expect_request_refused(f, &req, -ENOENT,
			       "purpose 'car-rental' is not in the policy (see 'idguardctl token purposes')");
	req = request("account-opening", "scanner,card-reader", 15);
	expect_request_refused(f, &req, -EPERM, "purpose account-opening does not allow card-reader");
	req = request("account-opening", "scanner", 16);
	expect_request_refused(f, &req, -ERANGE, "purpose account-opening allows at most 15 minutes, not 16");
	req = request("account-opening", "scanner", 0);
	expect_request_refused(f, &req, -ERANGE, "purpose account-opening allows at most 15 minutes, not 0");
	req = request("account-opening", "scanner", 15);
	req.class_mask = 0;
	expect_request_refused(f, &req, -EINVAL, "no device class requested");

	req = request("account-opening", "scanner", 15);
	req.ref[0] = '\0';
	expect_request_refused(f, &req, -EINVAL, "the case reference is empty");
	(void)snprintf(req.ref, sizeof(req.ref), "file " ID_NUMBER " copy");
	expect_request_refused(f, &req, -EPERM,
			       "the case reference looks like a resident ID number; use the case or file number instead "
			       "(card data must not reach the logs)");
	(void)snprintf(req.ref, sizeof(req.ref), "CASE\t2026");
	expect_request_refused(f, &req, -EINVAL, "the case reference contains control characters");
	(void)snprintf(req.ref, sizeof(req.ref), "CASE-2026\x7f");
	expect_request_refused(f, &req, -EINVAL, "the case reference contains control characters");
	/* A longer run of digits is a file number, not an ID number. */
	(void)snprintf(req.ref, sizeof(req.ref), "9" ID_NUMBER);
	assert_int_equal(idg_token_request_check(&req, f->policy, &err), 0);
}

static void test_request_summary(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner,camera", 15);
	char buf[512];

	idg_token_request_short_id(&req, buf, sizeof(buf));
	assert_string_equal(buf, "7F3E-9A02");

	idg_token_request_summary(&req, f->policy, buf, sizeof(buf));
	assert_string_equal(buf, "Request 7F3E-9A02: alice on ws-07 asks to use scanner,camera for 15 minutes for "
				 "account-opening (Open a bank account), case " CASE_REF ".");
	assert_contains(buf, "7F3E-9A02");
	assert_contains(buf, "alice");
	assert_contains(buf, "scanner,camera");
	assert_contains(buf, "15 minutes");
	assert_contains(buf, "account-opening");
	assert_contains(buf, CASE_REF);

	req = request("car-rental", "card-reader", 1);
	idg_token_request_summary(&req, f->policy, buf, sizeof(buf));
	assert_string_equal(buf, "Request 7F3E-9A02: alice on ws-07 asks to use card-reader for 1 minute for "
				 "car-rental, case " CASE_REF ".");
}

/* ---- RFC 3339 -------------------------------------------------------------------- */

static void test_rfc3339_parse(void **state)
{
	static const struct {
		const char *text;
		int64_t t;
	} good[] = {
		{ "2026-11-22T10:15:00Z", NOW },
		{ "2026-11-22T18:15:00+08:00", NOW },
		{ "2026-11-22T04:45:00-05:30", NOW },
		{ "2026-11-22T10:15:00.5Z", NOW },
		{ "2026-11-22T10:15:00.123456789+00:00", NOW },
		{ "2026-11-22t10:15:00z", NOW },
		{ "2026-11-23T00:15:00+14:00", NOW },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2028-02-29T00:00:00Z", INT64_C(1835395200) },
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		t = -1;
		if (idg_rfc3339_parse(good[i].text, &t) != 0 || t != good[i].t) {
			print_error("'%s' gave %lld, expected %lld\n", good[i].text, (long long)t, (long long)good[i].t);
			fail();
		}
	}
}

static void test_rfc3339_refusals(void **state)
{
	static const char *const bad[] = {
		"2026-11-22T10:15:00",       /* no zone */
		"2026-11-22T10:15:00+08",    /* half an offset */
		"2026-11-22T10:15:00+8:00",
		"2026-11-22T10:15:00+24:00",
		"2026-13-22T10:15:00Z",      /* month */
		"2026-00-22T10:15:00Z",
		"2026-02-30T10:15:00Z",      /* Feb 30 */
		"2026-02-29T10:15:00Z",      /* not a leap year */
		"2026-04-31T10:15:00Z",
		"2026-11-00T10:15:00Z",
		"2026-11-22T24:00:00Z",
		"2026-11-22T10:60:00Z",
		"2026-11-22T10:15:00.Z",     /* a dot without digits */
		"2026-11-22",
		"garbage",
		"",
		"2026-11-22T10:15:00Zjunk",  /* trailing text */
		"2026-11-22T10:15:00+08:00 ",
		"2026-11-22T10:15:00ZZ",
		"2026-1-22T10:15:00Z",
		"2026-11-22X10:15:00Z",
		/* Every field is digits only (RFC 3339 section 5.6), never a sign. */
		"2026-11-22T-1:15:00Z",
		"2026-11-22T10:-5:00Z",
		"2026-+1-22T10:15:00Z",
	};
	size_t accepted = 0;
	int64_t t;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		t = 4242;
		if (idg_rfc3339_parse(bad[i], &t) != -EINVAL || t != 4242) {
			print_error("'%s' was accepted as %lld\n", bad[i], (long long)t);
			accepted++;
		}
	}
	assert_int_equal(accepted, 0);
}

static void test_rfc3339_format(void **state)
{
	static const int64_t times[] = { 0, NOW, NOW + 59, INT64_C(1835395200), INT64_C(4102444799) };
	char buf[32];
	int64_t t;

	(void)state;
	idg_rfc3339_format(NOW, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-22T10:15:00Z");
	idg_rfc3339_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		idg_rfc3339_format(times[i], buf, sizeof(buf));
		assert_int_equal(idg_rfc3339_parse(buf, &t), 0);
		assert_int_equal(t, times[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejection_names),
		cmocka_unit_test_setup_teardown(test_fixture_lookups, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_may_approve, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_accepts_good_token, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_accepts_other_approver_and_purpose, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_accepts_hand_written_claims, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_not_a_token, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_no_footer, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_footer_without_kid, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_missing_claims, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_exp_not_after_nbf, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_classes, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_times, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_approver, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_signature_other_key, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_signature_altered_payload, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_purpose, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_approver_not_allowed, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_self_approved, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_host, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_user, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_yet_valid, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_expired, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_too_long, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_class_not_allowed, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ref_id_number, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_id_number_withheld_in_every_claim, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ref_id_number_withheld_when_malformed, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_teardown(test_request_round_trip, made_teardown),
		cmocka_unit_test_teardown(test_request_decode_refusals, made_teardown),
		cmocka_unit_test_setup_teardown(test_request_check, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_request_summary, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_rfc3339_parse),
		cmocka_unit_test(test_rfc3339_refusals),
		cmocka_unit_test(test_rfc3339_format),
	};

	/* Local times in messages ("expired at 18:10") depend on the zone. */
	if (setenv("TZ", TEST_TZ, 1) < 0)
		return 1;
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
