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
#include "idnumber.h"
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

/* token with the first n bytes equal to from in its payload replaced by to,
 * re-encoded (footer, if any, kept): the signature no longer matches. */
static char *alter_payload_bytes(const char *token, const void *from, const void *to, size_t n)
{
	const char *body = token + strlen("v4.public."), *dot = strchr(body, '.');
	size_t body_chars = dot ? (size_t)(dot - body) : strlen(body), bin_len = 0, size;
	unsigned char bin[IDG_PASETO_MAX_TOKEN];
	unsigned char *hit;
	char *out;

	assert_int_equal(sodium_base642bin(bin, sizeof(bin), body, body_chars, NULL, &bin_len, NULL, B64), 0);
	hit = memmem(bin, bin_len - crypto_sign_BYTES, from, n);
	assert_non_null(hit);
	memcpy(hit, to, n);
	size = strlen("v4.public.") + sodium_base64_encoded_len(bin_len, B64) + (dot ? strlen(dot) : 0);
	out = keep(malloc(size));
	strcpy(out, "v4.public.");
	(void)sodium_bin2base64(out + strlen(out), sodium_base64_encoded_len(bin_len, B64), bin, bin_len, B64);
	if (dot)
		strcat(out, dot);
	return out;
}

/* The same for text: the first `from` becomes `to` (same length). */
static char *alter_payload(const char *token, const char *from, const char *to)
{
	assert_int_equal(strlen(from), strlen(to));
	return alter_payload_bytes(token, from, to, strlen(from));
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

	/* One byte changed: the minutes stretched (exp, a 4-byte unsigned
	 * integer, 0x1a and big-endian, one hour later). */
	{
		uint32_t exp = (uint32_t)(NOW + 15 * 60), later = exp + 3600;
		unsigned char from[5] = { 0x1a, exp >> 24, exp >> 16, exp >> 8, exp };
		unsigned char to[5] = { 0x1a, later >> 24, later >> 16, later >> 8, later };

		altered = alter_payload_bytes(token, from, to, sizeof(from));
		expect_refused(f, altered, IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
			       "the token's signature does not verify: it was altered, or not signed by wang's key",
			       &out);
	}

	/* The same for a token with JSON claims. */
	{
		struct claims_spec spec = good_claims();

		token = sign_claims(&f->wang, f->wang.pid, &spec);
		expect_accepted_at(f, token, NOW, &out);
		altered = alter_payload(token, "T10:30:00Z", "T11:30:00Z");
		expect_refused(f, altered, IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
			       "the token's signature does not verify: it was altered, or not signed by wang's key",
			       &out);
	}
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

/* prefix + base64url(len bytes of data). */
static char *code_of(const char *prefix, const void *data, size_t len)
{
	size_t size = sodium_base64_encoded_len(len, B64);
	char *code = keep(malloc(strlen(prefix) + size));

	strcpy(code, prefix);
	(void)sodium_bin2base64(code + strlen(prefix), size, data, len, B64);
	return code;
}

/* "idgreq1." + base64url(json): the old form, still read. */
static char *request_code(const char *json)
{
	return code_of(IDG_REQUEST_PREFIX_V1, json, strlen(json));
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
		{ "iat", "\"1969-12-31T23:59:59Z\"" }, /* before what the binary form can say */
	};
	char *code;

	(void)state;
	/* The template itself is good, so each refusal below is for its one change. */
	code = request_code(request_json);
	assert_int_equal(idg_token_request_decode(code, &req, &err), 0);

	expect_decode_refused("idgreq3.eyJ2IjoxfQ", -EINVAL, "not a request code: it should start with 'idgreq2.'");
	expect_decode_refused("", -EINVAL, "not a request code: it should start with 'idgreq2.'");
	expect_decode_refused("v4.public.AAAA", -EINVAL, "not a request code: it should start with 'idgreq2.'");
	/* JSON behind the new prefix is not read as JSON. */
	expect_decode_refused("idgreq2.eyJ2IjoxfQ", -EINVAL,
			      "the request code is damaged: it is cut short in its first item; copy it again");
	expect_decode_refused("idgreq1.!!!!", -EINVAL, "the request code is damaged (not base64url); copy it again");
	expect_decode_refused("idgreq1.eyJ2Ijox fQ", -EINVAL,
			      "the request code is damaged (not base64url); copy it again");

	code = request_code("this is not JSON");
	expect_decode_refused(code, -EINVAL, DAMAGED);
	code = request_code("[1,2,3]");
	expect_decode_refused(code, -EINVAL, DAMAGED);
	expect_decode_refused(IDG_REQUEST_PREFIX_V1, -EINVAL, DAMAGED);
	expect_decode_refused(IDG_REQUEST_PREFIX, -EINVAL, "the request code is damaged: it is empty; copy it again");
	/* Ids that the binary form of the token cannot carry. */
	code = request_code_with("rid", "\"7F3E9A02C4D5E6F7\"");
	expect_decode_refused(code, -EINVAL, DAMAGED);
	code = request_code_with("host", "\"" HOST "00\"");
	expect_decode_refused(code, -EINVAL, DAMAGED);
	/* A good request, then a NUL and more: the JSON text would end early. */
	{
		char text[sizeof(request_json) + 8];

		memcpy(text, request_json, sizeof(request_json)); /* its NUL too */
		memcpy(text + sizeof(request_json), "junk", 4);
		code = code_of(IDG_REQUEST_PREFIX_V1, text, sizeof(request_json) + 4);
		expect_decode_refused(code, -EINVAL, DAMAGED);
	}
	/* Bytes that are not UTF-8 in a string: json-c would take them. */
	{
		char *text = strdup(request_json), *hit = strstr(text, "ws-07");

		assert_non_null(hit);
		hit[3] = '\xc3';
		hit[4] = '(';
		code = request_code(text);
		free(text);
		expect_decode_refused(code, -EINVAL, DAMAGED);
	}

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

/* ---- the binary forms, byte by byte ------------------------------------------------- */

/* CBOR written here by hand, independently of the library's encoder. */
struct cbor {
	unsigned char b[1024];
	size_t n;
};

static void cb_raw(struct cbor *c, const void *data, size_t len)
{
	assert_true(c->n + len <= sizeof(c->b));
	if (len)
		memcpy(c->b + c->n, data, len);
	c->n += len;
}

/* A head (major type and argument) in its shortest form. */
static void cb_head(struct cbor *c, unsigned major, uint64_t v)
{
	unsigned char h[9];
	size_t n, bytes;

	if (v < 24) {
		h[0] = (unsigned char)(major << 5 | v);
		cb_raw(c, h, 1);
		return;
	}
	bytes = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffff ? 4 : 8;
	h[0] = (unsigned char)(major << 5 | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27));
	for (n = 0; n < bytes; n++)
		h[1 + n] = (unsigned char)(v >> (8 * (bytes - 1 - n)));
	cb_raw(c, h, 1 + bytes);
}

static struct cbor cb_uint(uint64_t v)
{
	struct cbor c = { .n = 0 };

	cb_head(&c, 0, v);
	return c;
}

static struct cbor cb_bytes(const void *data, size_t len)
{
	struct cbor c = { .n = 0 };

	cb_head(&c, 2, len);
	cb_raw(&c, data, len);
	return c;
}

static struct cbor cb_hex(const char *hex)
{
	unsigned char bin[64];
	size_t len = 0;

	assert_int_equal(sodium_hex2bin(bin, sizeof(bin), hex, strlen(hex), NULL, &len, NULL), 0);
	return cb_bytes(bin, len);
}

static struct cbor cb_text(const char *text)
{
	struct cbor c = { .n = 0 };

	cb_head(&c, 3, strlen(text));
	cb_raw(&c, text, strlen(text));
	return c;
}

static struct cbor cb_text_n(const char *text, size_t len)
{
	struct cbor c = { .n = 0 };

	cb_head(&c, 3, len);
	cb_raw(&c, text, len);
	return c;
}

/* An item given as its raw bytes. */
#define RAW(literal) cb_raw_item(literal, sizeof(literal) - 1)
static struct cbor cb_raw_item(const char *bytes, size_t len)
{
	struct cbor c = { .n = 0 };

	cb_raw(&c, bytes, len);
	return c;
}

/* An array's items; join() writes the array. */
struct items {
	struct cbor item[16];
	size_t n;
};

static struct cbor join(const struct items *items)
{
	struct cbor c = { .n = 0 };

	cb_head(&c, 4, items->n);
	for (size_t i = 0; i < items->n; i++)
		cb_raw(&c, items->item[i].b, items->item[i].n);
	return c;
}

/* The request of request("account-opening", "scanner,camera", 15). */
static struct items request_items(void)
{
	return (struct items){
		.n = 10,
		.item = {
			cb_uint(2), cb_hex(REQUEST_ID), cb_text("alice"), cb_hex(HOST), cb_text("ws-07"),
			cb_text("account-opening"), cb_text(CASE_REF),
			cb_uint((1u << IDG_CLASS_SCANNER) | (1u << IDG_CLASS_CAMERA)), cb_uint(15), cb_uint(NOW),
		},
	};
}

static char *request_code_cbor(const struct cbor *c)
{
	return code_of(IDG_REQUEST_PREFIX, c->b, c->n);
}

/* The 33 bytes of key's k4.pid digest. */
static void kid_digest(const struct key *key, unsigned char digest[33])
{
	size_t len = 0;

	assert_int_equal(sodium_base642bin(digest, 33, key->pid + 7, strlen(key->pid + 7), NULL, &len, NULL, B64), 0);
	assert_int_equal(len, 33);
}

/* What wang would sign for alice's account-opening request now, with
 * signer's key id. */
static struct items claims_items(const struct key *signer)
{
	unsigned char kid[33];

	kid_digest(signer, kid);
	return (struct items){
		.n = 12,
		.item = {
			cb_uint(2), cb_hex(JTI), cb_text("alice"), cb_hex(HOST), cb_text("account-opening"),
			cb_text(CASE_REF), cb_hex(REQUEST_ID),
			cb_uint((1u << IDG_CLASS_SCANNER) | (1u << IDG_CLASS_CAMERA)), cb_uint(NOW), cb_uint(NOW),
			cb_uint(NOW + 15 * 60), cb_bytes(kid, sizeof(kid)),
		},
	};
}

/* The request's decline by signer, for alice. */
static struct items decline_items(const struct key *signer, const char *reason)
{
	unsigned char kid[33];

	kid_digest(signer, kid);
	return (struct items){
		.n = 7,
		.item = { cb_uint(2), cb_hex(REQUEST_ID), cb_text("alice"), cb_hex(HOST), cb_text(reason), cb_uint(NOW),
			  cb_bytes(kid, sizeof(kid)) },
	};
}

/* payload signed by signer with footer and implicit assertion (NULL: none). */
static char *sign_cbor(const struct key *signer, const struct cbor *payload, const char *footer, const char *implicit)
{
	char *token = NULL;

	assert_int_equal(idg_paseto_sign(signer->sk, (const char *)payload->b, payload->n, footer, implicit, &token), 0);
	return keep(token);
}

/* The layout of docs/tokens.md, byte for byte: what the library writes is
 * what was written here by hand. */
static void test_request_v2_layout(void **state)
{
	struct idg_token_request req = request("account-opening", "scanner,camera", 15);
	struct items items = request_items();
	struct cbor c = join(&items);
	char *code = NULL;

	(void)state;
	assert_int_equal(idg_token_request_encode(&req, &code), 0);
	keep(code);
	assert_string_equal(code, request_code_cbor(&c));
	/* No field names: none of them is in the bytes. */
	assert_null(memmem(c.b, c.n, "pur", 3));
	assert_null(memmem(c.b, c.n, "rid", 3));
}

/* Every item a wrong way: each is refused with a sentence naming it. */
static void test_request_v2_refusals(void **state)
{
	static const char prefix[] = "the request code is damaged: ";
	char longest[128], message[512];
	const struct {
		size_t item;
		struct cbor raw;
		const char *what;
	} cases[] = {
		{ 0, RAW("\x03"), "it is version 3; this idguard reads version 2" },
		{ 0, RAW("\x01"), "it is version 1; this idguard reads version 2" },
		{ 1, RAW("\x70" "7f3e9a02c4d5e6f7"), "item 2 (rid) is text, not a byte string" },
		{ 1, RAW("\x47" "1234567"), "item 2 (rid) has 7 bytes, not 8" },
		{ 1, RAW("\xc2\x48" "12345678"), "item 2 (rid) is a tag, not a byte string" },
		{ 1, RAW("\x5f\x48" "12345678" "\xff"), "item 2 (rid) has an indefinite length" },
		{ 1, RAW("\x1c"), "item 2 (rid) is not CBOR" },
		{ 2, RAW("\x45" "alice"), "item 3 (sub) is a byte string, not text" },
		{ 2, RAW("\x7f\x65" "alice" "\xff"), "item 3 (sub) has an indefinite length" },
		{ 2, RAW("\x81\x65" "alice"), "item 3 (sub) is an array, not text" },
		{ 2, RAW("\xa0"), "item 3 (sub) is a map, not text" },
		{ 2, RAW("\x66" "ali\0ce"), "item 3 (sub) holds a NUL character" },
		{ 2, RAW("\x60"), "item 3 (sub) is empty" },
		{ 3, RAW("\x51" "0123456789abcdefg"), "item 4 (host) has 17 bytes, not 16" },
		{ 4, RAW("\xf6"), "item 5 (hostname) is true, false, null or undefined, not text" },
		{ 6, RAW("\x62\xc3\x28"), "item 7 (ref) is not valid UTF-8" },
		{ 6, RAW("\x62\xc0\xaf"), "item 7 (ref) is not valid UTF-8" },         /* overlong "/" */
		{ 6, RAW("\x63\xed\xa0\x80"), "item 7 (ref) is not valid UTF-8" },     /* a surrogate */
		{ 6, RAW("\x64\xf4\x90\x80\x80"), "item 7 (ref) is not valid UTF-8" }, /* beyond U+10FFFF */
		{ 6, RAW("\x63" "a\tb"), "item 7 (ref) holds control characters" },
		{ 6, RAW("\x62" "a\x7f"), "item 7 (ref) holds control characters" },
		{ 7, RAW("\x00"), "item 8 (cls) names no class" },
		{ 7, RAW("\x01"), "item 8 (cls) has bits for classes that do not exist (0x1)" },
		{ 7, RAW("\x19\x01\x02"), "item 8 (cls) has bits for classes that do not exist (0x100)" },
		{ 8, RAW("\x00"), "item 9 (min) is not from 1 to 100000" },
		{ 8, RAW("\x1a\x00\x01\x86\xa1"), "item 9 (min) is not from 1 to 100000" },
		{ 8, RAW("\x29"), "item 9 (min) is a negative integer, not an unsigned integer" },
		{ 8, RAW("\xf9\x3c\x00"), "item 9 (min) is a floating-point number, not an unsigned integer" },
		{ 9, RAW("\x1b\x00\x00\x00\x3b\x00\x00\x00\x00"), "item 10 (iat) is a time after the year 9999" },
	};
	struct items items;
	struct cbor c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		items = request_items();
		items.item[cases[i].item] = cases[i].raw;
		c = join(&items);
		(void)snprintf(message, sizeof(message), "%s%s; copy it again", prefix, cases[i].what);
		expect_decode_refused(request_code_cbor(&c), -EINVAL, message);
	}

	/* Longer than the struct holds: 64 bytes of user name, 128 of ref. */
	memset(longest, 'a', sizeof(longest));
	items = request_items();
	items.item[2] = cb_text_n(longest, 64);
	c = join(&items);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: item 3 (sub) is longer than 63 bytes; copy it again");
	items = request_items();
	items.item[2] = cb_text_n(longest, 63);
	c = join(&items);
	assert_int_equal(idg_token_request_decode(request_code_cbor(&c), &(struct idg_token_request){ 0 }, NULL), 0);
	items = request_items();
	items.item[6] = cb_text_n(longest, 128);
	c = join(&items);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: item 7 (ref) is longer than 127 bytes; copy it again");
}

/* The array itself damaged: too few or too many items, no array, bytes
 * after it, cut short anywhere. */
static void test_request_v2_damaged_array(void **state)
{
	struct items items = request_items();
	struct cbor good = join(&items), c;

	(void)state;
	items.n = 9;
	c = join(&items);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it is an array of 9 items, not 10; copy it again");
	items = request_items();
	items.item[items.n++] = cb_uint(0);
	c = join(&items);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it is an array of 11 items, not 10; copy it again");

	/* An indefinite-length array with the same items. */
	c = (struct cbor){ .n = 0 };
	cb_raw(&c, "\x9f", 1);
	cb_raw(&c, good.b + 1, good.n - 1);
	cb_raw(&c, "\xff", 1);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it starts with an item of indefinite length, not an array of "
			      "10 items; copy it again");
	c = RAW("\xa0");
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it is a map, not an array of 10 items; copy it again");
	c = RAW("\xff");
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it is a break, not an array of 10 items; copy it again");

	/* Bytes after the array. */
	c = good;
	cb_raw(&c, "\x00", 1);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it has 1 byte after its end; copy it again");
	cb_raw(&c, "\x00", 1);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it has 2 bytes after its end; copy it again");

	/* Cut short after each byte: half copied. */
	expect_decode_refused(code_of(IDG_REQUEST_PREFIX, good.b, 0), -EINVAL,
			      "the request code is damaged: it is empty; copy it again");
	for (size_t len = 1; len < good.n; len++) {
		struct idg_token_request req;
		struct idg_error err = { { 0 } };
		char *code = code_of(IDG_REQUEST_PREFIX, good.b, len);

		assert_int_equal(idg_token_request_decode(code, &req, &err), -EINVAL);
		assert_contains(err.message, "the request code is damaged: it is cut short in item ");
		free(made[--n_made]);
	}
	/* Cut right after the host name: the purpose is missing. */
	items = request_items();
	c = (struct cbor){ .n = 0 };
	cb_head(&c, 4, 10);
	for (size_t i = 0; i < 5; i++)
		cb_raw(&c, items.item[i].b, items.item[i].n);
	expect_decode_refused(request_code_cbor(&c), -EINVAL,
			      "the request code is damaged: it is cut short in item 6 (pur) of 10; copy it again");
}

/* Each bit flipped, one at a time: refused with a sentence, or read as
 * another request, never anything else. */
static void test_request_v2_flipped_bits(void **state)
{
	struct items items = request_items();
	struct cbor good = join(&items), c;
	size_t refused = 0, read = 0;

	(void)state;
	for (size_t i = 0; i < good.n; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			struct idg_token_request req, untouched;
			struct idg_error err = { { 0 } };
			char *code;
			int r;

			c = good;
			c.b[i] ^= (unsigned char)(1u << bit);
			code = request_code_cbor(&c);
			memset(&req, 0x5a, sizeof(req));
			untouched = req;
			r = idg_token_request_decode(code, &req, &err);
			if (r == 0) {
				read++;
			} else {
				assert_int_equal(r, -EINVAL);
				assert_true(strncmp(err.message, "the request code is damaged: ", 29) == 0);
				assert_contains(err.message, "; copy it again");
				assert_memory_equal(&req, &untouched, sizeof(req));
				refused++;
			}
			free(made[--n_made]);
		}
	/* Flipping the array's head, a length or a type is always seen. */
	assert_true(refused > good.n);
	assert_true(read > 0);
	print_message("request code: %zu single-bit flips refused, %zu read as another request\n", refused, read);
}

/* What the reader takes beyond what the writer writes. */
static void test_request_v2_accepted_variants(void **state)
{
	struct idg_token_request req;
	struct idg_error err = { { 0 } };
	struct items items;
	struct cbor c;

	(void)state;
	/* An integer in a longer form than needed. */
	items = request_items();
	items.item[8] = RAW("\x18\x0f");
	c = join(&items);
	assert_int_equal(idg_token_request_decode(request_code_cbor(&c), &req, &err), 0);
	assert_int_equal(req.minutes, 15);
	/* Every class, the last second of the year 9999, UTF-8 text. */
	items = request_items();
	items.item[7] = cb_uint(0xfe);
	items.item[9] = cb_uint(UINT64_C(253402300799));
	items.item[6] = cb_text("开户-2026-0042");
	c = join(&items);
	assert_int_equal(idg_token_request_decode(request_code_cbor(&c), &req, &err), 0);
	assert_int_equal(req.class_mask, 0xfe);
	assert_int_equal(req.created, INT64_C(253402300799));
	assert_string_equal(req.ref, "开户-2026-0042");
}

/* A request that the binary form cannot carry is not written. */
static void test_request_encode_refusals(void **state)
{
	struct idg_token_request good = request("account-opening", "scanner", 15), req;
	char *code = NULL;

	(void)state;
	req = good;
	(void)snprintf(req.id, sizeof(req.id), "7F3E9A02C4D5E6F7");
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	(void)snprintf(req.id, sizeof(req.id), "7f3e9a02");
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	(void)snprintf(req.host, sizeof(req.host), "%s", "ws-07");
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	req.hostname[0] = '\0';
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	(void)snprintf(req.ref, sizeof(req.ref), "CASE\n1");
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	(void)snprintf(req.ref, sizeof(req.ref), "CASE-\xc3");
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	req.minutes = 0;
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	req.class_mask = 1;
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	req = good;
	req.created = -1;
	assert_int_equal(idg_token_request_encode(&req, &code), -EINVAL);
	assert_null(code);
}

/* A code from before: read, approved, and its token redeemed. */
static void test_request_v1_still_approved(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req, expect = request("account-opening", "scanner,camera", 15);
	struct idg_error err = { { 0 } };
	struct outcome out;
	char *token = NULL;

	assert_int_equal(idg_token_request_decode(request_code(request_json), &req, &err), 0);
	assert_memory_equal(&req, &expect, sizeof(req));
	assert_int_equal(idg_token_mint(&req, f->wang.sk, f->wang.pid, NOW, &token, NULL), 0);
	keep(token);
	expect_accepted_at(f, token, NOW, &out);
	assert_string_equal(out.claims.rid, REQUEST_ID);
}

/* The token's layout, byte for byte, and no footer. */
static void test_token_v2_layout(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner,camera", 15);
	struct idg_token_claims minted;
	struct items items = claims_items(&f->wang);
	struct cbor expect;
	unsigned char *payload = NULL;
	struct idg_error err;
	size_t len = 0;
	char *token = NULL;

	assert_int_equal(idg_token_mint(&req, f->wang.sk, f->wang.pid, NOW, &token, &minted), 0);
	keep(token);
	assert_null(strchr(token + strlen("v4.public."), '.'));
	assert_int_equal(idg_paseto_payload_unverified_binary(token, &payload, &len, &err), 0);
	items.item[1] = cb_hex(minted.jti); /* random */
	expect = join(&items);
	assert_int_equal(len, expect.n);
	assert_memory_equal(payload, expect.b, len);
	free(payload);
	/* A mint with a key id that is not a k4.pid is refused. */
	assert_int_equal(idg_token_mint(&req, f->wang.sk, "k4.pid.short", NOW, &token, NULL), -EINVAL);
}

static void test_token_v2_hand_written(void **state)
{
	const struct fixture *f = *state;
	struct items items = claims_items(&f->wang);
	struct cbor c = join(&items);
	struct outcome out;

	expect_accepted_at(f, sign_cbor(&f->wang, &c, NULL, NULL), NOW, &out);
	assert_ptr_equal(out.approver, idg_policy_approver(f->policy, "wang"));
	assert_string_equal(out.claims.jti, JTI);
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

	/* The rules apply as to any token: li may not be named by wang's id. */
	items = claims_items(&f->li);
	items.item[2] = cb_text("li");
	c = join(&items);
	expect_refused_at(f, sign_cbor(&f->li, &c, NULL, NULL), "li", NOW, IDG_TOKEN_SELF_APPROVED, "self-approved",
			  "this token was approved by li for li: nobody may approve their own request", &out);
}

#define NOT_VALID(detail) "this is not a valid purpose token (" detail "); copy it again"

/* A payload damaged before its key id: nothing to check it with. */
static void test_token_v2_damaged_payload(void **state)
{
	const struct fixture *f = *state;
	const struct {
		size_t item; /* SIZE_MAX: the whole payload is raw */
		struct cbor raw;
		const char *message;
	} cases[] = {
		{ 1, RAW("\x70" JTI), NOT_VALID("its payload is damaged: item 2 (jti) is text, not a byte string") },
		{ 4, RAW("\x7f\x6f" "account-opening" "\xff"),
		  NOT_VALID("its payload is damaged: item 5 (pur) has an indefinite length") },
		{ 11, RAW("\x58\x20" "0123456789abcdef0123456789abcdef"),
		  NOT_VALID("its payload is damaged: item 12 (kid) has 32 bytes, not 33") },
		{ 0, RAW("\x03"), NOT_VALID("its payload is damaged: it is version 3; this idguard reads version 2") },
		{ SIZE_MAX, RAW("\xa0"), NOT_VALID("its payload is damaged: it is a map, not an array of 12 items") },
		{ SIZE_MAX, RAW(""), NOT_VALID("its payload is damaged: it is empty") },
	};
	struct items items;
	struct outcome out;
	struct cbor c;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		items = claims_items(&f->wang);
		if (cases[i].item == SIZE_MAX) {
			c = cases[i].raw;
		} else {
			items.item[cases[i].item] = cases[i].raw;
			c = join(&items);
		}
		expect_refused(f, sign_cbor(&f->wang, &c, NULL, NULL), IDG_TOKEN_MALFORMED, "malformed", cases[i].message,
			       &out);
		assert_null(out.approver);
	}

	/* Signed as cut short (the key id missing), and with a byte after it. */
	items = claims_items(&f->wang);
	c = join(&items);
	c.n -= 35;
	expect_refused(f, sign_cbor(&f->wang, &c, NULL, NULL), IDG_TOKEN_MALFORMED, "malformed",
		       NOT_VALID("its payload is damaged: it is cut short in item 12 (kid) of 12"), &out);
	c = join(&items);
	cb_raw(&c, "\x00", 1);
	expect_refused(f, sign_cbor(&f->wang, &c, NULL, NULL), IDG_TOKEN_MALFORMED, "malformed",
		       NOT_VALID("its payload is damaged: it has 1 byte after its end"), &out);

	/* The key id is in the payload: a footer has no place. */
	c = join(&items);
	expect_refused(f, sign_cbor(&f->wang, &c, "{\"kid\":\"x\"}", NULL), IDG_TOKEN_MALFORMED, "malformed",
		       NOT_VALID("it has a footer, which the binary form has not"), &out);
}

/* Whole, signed, but a claim is bad: refused after the signature, so the
 * approver is known. */
static void test_token_v2_bad_claims(void **state)
{
	const struct fixture *f = *state;
	char longest[128];
	const struct {
		size_t item;
		struct cbor raw;
		const char *message;
	} cases[] = {
		{ 2, RAW("\x63" "a\tb"), "the token's claim 'sub' (item 3) holds control characters" },
		{ 2, RAW("\x66" "ali\0ce"), "the token's claim 'sub' (item 3) holds a NUL character" },
		{ 4, RAW("\x60"), "the token's claim 'pur' (item 5) is empty" },
		{ 5, RAW("\x62\xc3\x28"), "the token's claim 'ref' (item 6) is not valid UTF-8" },
		{ 7, RAW("\x00"), "the token's claim 'cls' (item 8) names no class" },
		{ 7, RAW("\x19\x01\x04"), "the token's claim 'cls' (item 8) has bits for classes that do not exist (0x100)" },
		{ 10, RAW("\x1b\x00\x00\x00\x3b\x00\x00\x00\x00"),
		  "the token's claim 'exp' (item 11) is a time after the year 9999" },
	};
	struct items items;
	struct outcome out;
	struct cbor c;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		items = claims_items(&f->wang);
		items.item[cases[i].item] = cases[i].raw;
		c = join(&items);
		expect_refused(f, sign_cbor(&f->wang, &c, NULL, NULL), IDG_TOKEN_MALFORMED, "malformed", cases[i].message,
			       &out);
		assert_ptr_equal(out.approver, idg_policy_approver(f->policy, "wang"));
		assert_string_equal(out.claims.kid, f->wang.pid);
	}
	memset(longest, 'a', sizeof(longest));
	items = claims_items(&f->wang);
	items.item[5] = cb_text_n(longest, 128);
	c = join(&items);
	expect_refused(f, sign_cbor(&f->wang, &c, NULL, NULL), IDG_TOKEN_MALFORMED, "malformed",
		       "the token's claim 'ref' (item 6) is longer than 127 bytes", &out);
}

/* Altered after signing, signed for another use, or by an unknown key. */
static void test_token_v2_tampered(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	char *token = mint(&f->wang, &req, NOW), *expect;
	struct items items = claims_items(&f->wang);
	struct cbor c = join(&items);
	struct outcome out;

	expect_refused(f, alter_payload(token, "CASE", "CASF"), IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
		       "the token's signature does not verify: it was altered, or not signed by wang's key", &out);
	/* Signed as a decline would be. */
	expect_refused(f, sign_cbor(&f->wang, &c, NULL, IDG_DECLINE_IMPLICIT), IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
		       "the token's signature does not verify: it was altered, or not signed by wang's key", &out);
	/* A key nobody registered, its own id inside. */
	items = claims_items(&f->stranger);
	c = join(&items);
	assert_true(asprintf(&expect,
			     "the token was signed with a key this workstation does not know (key id %s); ask an "
			     "approver registered here",
			     f->stranger.pid) > 0);
	keep(expect);
	expect_refused(f, sign_cbor(&f->stranger, &c, NULL, NULL), IDG_TOKEN_UNKNOWN_APPROVER, "unknown-approver", expect,
		       &out);
	assert_string_equal(out.claims.sub, "alice");
	assert_string_equal(out.claims.ref, CASE_REF);
}

/* Every bit of a good token's payload flipped, one at a time: never
 * accepted, whichever reason. */
static void test_token_v2_flipped_bits(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	const char *token = mint(&f->wang, &req, NOW), *body = token + strlen("v4.public.");
	unsigned char bin[512];
	char altered[1024];
	size_t bin_len = 0, counts[IDG_TOKEN_REPLAYED + 1] = { 0 };
	struct outcome out;

	assert_int_equal(sodium_base642bin(bin, sizeof(bin), body, strlen(body), NULL, &bin_len, NULL, B64), 0);
	for (size_t i = 0; i < bin_len - crypto_sign_BYTES; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			bin[i] ^= (unsigned char)(1u << bit);
			strcpy(altered, "v4.public.");
			(void)sodium_bin2base64(altered + 10, sizeof(altered) - 10, bin, bin_len, B64);
			check_as(f, altered, "alice", NOW, &out);
			assert_int_not_equal(out.reason, IDG_TOKEN_OK);
			assert_true(out.err.message[0] != '\0');
			counts[out.reason]++;
			bin[i] ^= (unsigned char)(1u << bit);
		}
	assert_true(counts[IDG_TOKEN_BAD_SIGNATURE] > 0);
	assert_true(counts[IDG_TOKEN_MALFORMED] > 0);
	print_message("token: single-bit flips in the payload refused as bad-signature %zu, malformed %zu, "
		      "unknown-approver %zu\n",
		      counts[IDG_TOKEN_BAD_SIGNATURE], counts[IDG_TOKEN_MALFORMED], counts[IDG_TOKEN_UNKNOWN_APPROVER]);
}

/* Half copied: cut after each character, a token is never accepted. */
static void test_token_v2_cut_short(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	const char *token = mint(&f->wang, &req, NOW);
	char cut[1024];
	struct outcome out;

	for (size_t len = 0; len < strlen(token); len++) {
		(void)snprintf(cut, sizeof(cut), "%.*s", (int)len, token);
		check_as(f, cut, "alice", NOW, &out);
		if (out.reason != IDG_TOKEN_MALFORMED ||
		    strncmp(out.err.message, "this is not a valid purpose token (", 35) != 0) {
			print_error("cut to %zu: %s \"%s\"\n", len, idg_token_rejection_name(out.reason), out.err.message);
			fail();
		}
	}
	/* 200 characters are 150 bytes: the last 64 are taken as the
	 * signature, and the 86 before them end inside iat (bytes 84-88). */
	(void)snprintf(cut, sizeof(cut), "%.*s", 10 + 200, token);
	expect_refused(f, cut, IDG_TOKEN_MALFORMED, "malformed",
		       NOT_VALID("its payload is damaged: it is cut short in item 9 (iat) of 12"), &out);
}

/* ---- declines ---------------------------------------------------------------------- */

/* Checks a decline for alice on HOST. */
static int decline_check_as(const struct fixture *f, const char *text, const char *host, const char *user,
			    struct idg_decline *d, const struct idg_approver **approver, struct idg_error *err)
{
	struct idg_token_context ctx = { .policy = f->policy, .host = host, .user = user, .now = NOW };

	dirty_stack();
	(void)snprintf(err->message, sizeof(err->message), "(no message set)");
	return idg_decline_check(text, &ctx, d, approver, err);
}

static void expect_decline_refused_line(unsigned line, const struct fixture *f, const char *text, const char *host,
					const char *user, int r, const char *message, struct idg_decline *d,
					const struct idg_approver **approver)
{
	struct idg_error err;
	int got = decline_check_as(f, text, host, user, d, approver, &err);

	if (got != r || strcmp(err.message, message)) {
		print_error("test_token.c:%u: expected %d \"%s\"\n", line, r, message);
		print_error("test_token.c:%u:      got %d \"%s\"\n", line, got, err.message);
		fail();
	}
}

#define expect_decline_refused(f, text, host, user, r, message, d, approver) \
	expect_decline_refused_line(__LINE__, f, text, host, user, r, message, d, approver)

static void test_decline_round_trip(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	const struct idg_approver *approver = NULL;
	struct idg_decline d;
	struct idg_error err;
	char *text = NULL;
	unsigned char *payload = NULL;
	size_t len = 0;
	struct items items = decline_items(&f->li, "The case file is incomplete: bring the signed form");
	struct cbor expect = join(&items);

	assert_int_equal(idg_decline_mint(&req, f->li.sk, f->li.pid, "The case file is incomplete: bring the signed form",
					  NOW, &text),
			 0);
	keep(text);
	assert_true(strncmp(text, "v4.public.", 10) == 0);
	assert_null(strchr(text + 10, '.'));
	/* The layout of docs/tokens.md. */
	assert_int_equal(idg_paseto_payload_unverified_binary(text, &payload, &len, &err), 0);
	assert_int_equal(len, expect.n);
	assert_memory_equal(payload, expect.b, len);
	free(payload);

	assert_int_equal(decline_check_as(f, text, HOST, "alice", &d, &approver, &err), 0);
	assert_ptr_equal(approver, idg_policy_approver(f->policy, "li"));
	assert_string_equal(d.rid, REQUEST_ID);
	assert_string_equal(d.sub, "alice");
	assert_string_equal(d.host, HOST);
	assert_string_equal(d.reason, "The case file is incomplete: bring the signed form");
	assert_int_equal(d.iat, NOW);
	assert_string_equal(d.kid, f->li.pid);
	/* Host and user are checked only when given. */
	assert_int_equal(decline_check_as(f, text, NULL, NULL, &d, &approver, &err), 0);
	/* Any registered approver may decline: wang may not approve hotel
	 * registrations, but a decline names no purpose. */
	req = request("hotel-registration", "card-reader", 5);
	assert_int_equal(idg_decline_mint(&req, f->wang.sk, f->wang.pid, "Not today", NOW, &text), 0);
	keep(text);
	assert_int_equal(decline_check_as(f, text, HOST, "alice", &d, &approver, &err), 0);
	assert_ptr_equal(approver, idg_policy_approver(f->policy, "wang"));
	assert_int_equal(idg_answer_kind(text), IDG_ANSWER_DECLINE);
}

static void test_decline_reasons(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	struct idg_error err = { { 0 } };
	char reason[256], *text = NULL;

	memset(reason, 'a', sizeof(reason));
	reason[IDG_DECLINE_REASON_MAX] = '\0';
	assert_int_equal(idg_decline_reason_check(reason, &err), 0);
	assert_int_equal(idg_decline_mint(&req, f->li.sk, f->li.pid, reason, NOW, &text), 0);
	keep(text);
	/* 200 bytes of UTF-8: 66 three-byte characters and two more. */
	reason[0] = '\0';
	for (size_t i = 0; i < 66; i++)
		strcat(reason, "拒");
	strcat(reason, "ok");
	assert_int_equal(strlen(reason), 200);
	assert_int_equal(idg_decline_reason_check(reason, &err), 0);

	strcat(reason, "!");
	assert_int_equal(idg_decline_reason_check(reason, &err), -EINVAL);
	assert_string_equal(err.message, "the reason is longer than 200 bytes");
	assert_int_equal(idg_decline_mint(&req, f->li.sk, f->li.pid, reason, NOW, &text), -EINVAL);
	assert_int_equal(idg_decline_reason_check("", &err), -EINVAL);
	assert_string_equal(err.message, "the reason is empty");
	assert_int_equal(idg_decline_reason_check("first line\nsecond", &err), -EINVAL);
	assert_string_equal(err.message, "the reason holds control characters");
	assert_int_equal(idg_decline_reason_check("caf\xc3", &err), -EINVAL);
	assert_string_equal(err.message, "the reason is not valid UTF-8");
	assert_int_equal(idg_decline_reason_check("wrong card " ID_NUMBER, &err), -EPERM);
	assert_string_equal(err.message, "the reason looks like it holds a resident ID number; say why without card data "
					 "(it reaches the clerk's screen and the journal)");
	assert_int_equal(idg_decline_mint(&req, f->li.sk, f->li.pid, "wrong card " ID_NUMBER, NOW, &text), -EPERM);
	/* A request the binary form cannot carry. */
	(void)snprintf(req.id, sizeof(req.id), "r1");
	assert_int_equal(idg_decline_mint(&req, f->li.sk, f->li.pid, "no", NOW, &text), -EINVAL);
}

static void test_decline_refusals(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	const struct idg_approver *approver;
	struct items items;
	struct idg_decline d;
	struct cbor c;
	char *text = NULL, *expect;

	expect_decline_refused(f, "garbage", HOST, "alice", -EINVAL, "this is not a valid decline (not a v4.public token)",
			       &d, &approver);
	assert_null(approver);

	/* Signed by a key nobody registered. */
	assert_int_equal(idg_decline_mint(&req, f->stranger.sk, f->stranger.pid, "no", NOW, &text), 0);
	keep(text);
	assert_true(asprintf(&expect, "the decline was signed with a key this workstation does not know (key id %s)",
			     f->stranger.pid) > 0);
	keep(expect);
	expect_decline_refused(f, text, HOST, "alice", -ENOKEY, expect, &d, &approver);
	assert_null(approver);
	assert_string_equal(d.rid, REQUEST_ID); /* for the journal */

	/* Wang's name on the stranger's signature. */
	assert_int_equal(idg_decline_mint(&req, f->stranger.sk, f->wang.pid, "no", NOW, &text), 0);
	keep(text);
	expect_decline_refused(f, text, HOST, "alice", -EBADMSG,
			       "the decline's signature does not verify: it was altered, or not signed by wang's key", &d,
			       &approver);
	/* Altered after signing. */
	assert_int_equal(idg_decline_mint(&req, f->wang.sk, f->wang.pid, "Not today", NOW, &text), 0);
	keep(text);
	expect_decline_refused(f, alter_payload(text, "today", "later"), HOST, "alice", -EBADMSG,
			       "the decline's signature does not verify: it was altered, or not signed by wang's key", &d,
			       &approver);

	/* Another workstation's, another clerk's. */
	expect_decline_refused(f, text, OTHER_HOST, "alice", -EXDEV,
			       "this decline is for another workstation (machine id " HOST ")", &d, &approver);
	expect_decline_refused(f, text, HOST, "bob", -EACCES, "this decline answers a request of alice, not of bob", &d,
			       &approver);
	assert_ptr_equal(approver, idg_policy_approver(f->policy, "wang"));

	/* Signed with an ID number in its reason, as another implementation might. */
	items = decline_items(&f->wang, "card " ID_NUMBER);
	c = join(&items);
	expect_decline_refused(f, sign_cbor(&f->wang, &c, NULL, IDG_DECLINE_IMPLICIT), HOST, "alice", -EPERM,
			       "the decline's reason looks like a resident ID number; card data must not reach the logs", &d,
			       &approver);
	assert_string_equal(as_recorded(d.reason), "card [withheld]");

	/* Damaged: cut short, a claim bad, a footer. */
	items = decline_items(&f->wang, "no");
	c = join(&items);
	c.n -= 10;
	expect_decline_refused(f, sign_cbor(&f->wang, &c, NULL, IDG_DECLINE_IMPLICIT), HOST, "alice", -EINVAL,
			       "this is not a valid decline (its payload is damaged: it is cut short in item 7 (kid) of 7)",
			       &d, &approver);
	items = decline_items(&f->wang, "a\tb");
	c = join(&items);
	expect_decline_refused(f, sign_cbor(&f->wang, &c, NULL, IDG_DECLINE_IMPLICIT), HOST, "alice", -EINVAL,
			       "the decline's item 5 (reason) holds control characters", &d, &approver);
	items = decline_items(&f->wang, "no");
	c = join(&items);
	expect_decline_refused(f, sign_cbor(&f->wang, &c, "{}", IDG_DECLINE_IMPLICIT), HOST, "alice", -EINVAL,
			       "this is not a valid decline (it has a footer, which the binary form has not)", &d,
			       &approver);
}

/* A decline never redeems as a token, nor a token as a decline, whatever
 * is done to their arrays. */
static void test_decline_and_token_never_mix(void **state)
{
	const struct fixture *f = *state;
	struct idg_token_request req = request("account-opening", "scanner", 15);
	const struct idg_approver *approver;
	struct claims_spec spec = good_claims();
	struct items items;
	struct idg_decline d;
	struct outcome out;
	struct cbor c;
	char *decline = NULL, *token = mint(&f->wang, &req, NOW), *json_token = sign_claims(&f->wang, f->wang.pid, &spec);

	assert_int_equal(idg_decline_mint(&req, f->wang.sk, f->wang.pid, "no", NOW, &decline), 0);
	keep(decline);
	expect_refused(f, decline, IDG_TOKEN_MALFORMED, "malformed",
		       NOT_VALID("its payload is damaged: it is an array of 7 items, not 12"), &out);
	expect_decline_refused(f, token, HOST, "alice", -EINVAL,
			       "this is not a valid decline (its payload is damaged: it is an array of 12 items, not 7)", &d,
			       &approver);
	assert_int_equal(decline_check_as(f, json_token, HOST, "alice", &d, &approver, &out.err), -EINVAL);

	/* A token's claims under a decline's signature, and the reverse. */
	items = claims_items(&f->wang);
	c = join(&items);
	expect_refused(f, sign_cbor(&f->wang, &c, NULL, IDG_DECLINE_IMPLICIT), IDG_TOKEN_BAD_SIGNATURE, "bad-signature",
		       "the token's signature does not verify: it was altered, or not signed by wang's key", &out);
	items = decline_items(&f->wang, "no");
	c = join(&items);
	expect_decline_refused(f, sign_cbor(&f->wang, &c, NULL, NULL), HOST, "alice", -EBADMSG,
			       "the decline's signature does not verify: it was altered, or not signed by wang's key", &d,
			       &approver);

	assert_int_equal(idg_answer_kind(token), IDG_ANSWER_TOKEN);
	assert_int_equal(idg_answer_kind(json_token), IDG_ANSWER_TOKEN);
	assert_int_equal(idg_answer_kind(decline), IDG_ANSWER_DECLINE);
	assert_int_equal(idg_answer_kind("garbage"), IDG_ANSWER_UNKNOWN);
	assert_int_equal(idg_answer_kind("v4.public.AAAA"), IDG_ANSWER_UNKNOWN);
}

/* ---- lengths ------------------------------------------------------------------------ */

/* The example of docs/tokens.md: alice on ws-017, account-opening, case
 * CASE-2026-0042, scanner, 10 minutes. Before: the JSON forms. */
static void test_lengths_of_the_docs_example(void **state)
{
	const struct fixture *f = *state;
	static const char v1_code[] =
		"idgreq1.eyJ2IjoxLCJyaWQiOiJiNGE0ZWFlNzE2M2M5NTRkIiwic3ViIjoiYWxpY2UiLCJob3N0IjoiNWYwYzNiOWFkMmU0NGI2Yzlh"
		"MWU3ZDNmMjBiOGM0MTciLCJob3N0bmFtZSI6IndzLTAxNyIsInB1ciI6ImFjY291bnQtb3BlbmluZyIsInJlZiI6IkNBU0UtMjAyNi0w"
		"MDQyIiwiY2xzIjpbInNjYW5uZXIiXSwibWluIjoxMCwiaWF0IjoiMjAyNi0xMS0yM1QwMjoxNjo0MFoifQ";
	struct idg_token_request req, back;
	struct idg_error err = { { 0 } };
	struct claims_spec spec = good_claims();
	char *code = NULL, *token = NULL, *json_token;

	/* The code in the docs is read, and written again in the new form. */
	assert_int_equal(idg_token_request_decode(v1_code, &req, &err), 0);
	assert_string_equal(req.user, "alice");
	assert_string_equal(req.hostname, "ws-017");
	assert_int_equal(req.minutes, 10);
	assert_int_equal(idg_token_request_encode(&req, &code), 0);
	keep(code);
	assert_int_equal(idg_token_request_decode(code, &back, &err), 0);
	assert_memory_equal(&back, &req, sizeof(req));
	assert_int_equal(idg_token_mint(&req, f->wang.sk, f->wang.pid, req.created + 25, &token, NULL), 0);
	keep(token);

	/* The same token with JSON claims, as the old mint wrote them. */
	spec.host = req.host;
	spec.cls = "[\"scanner\"]";
	spec.nbf = req.created + 25;
	spec.exp = spec.nbf + 600;
	json_token = sign_claims(&f->wang, f->wang.pid, &spec);

	print_message("request code: %zu characters before (idgreq1, JSON), %zu after (idgreq2, CBOR)\n",
		      strlen(v1_code), strlen(code));
	print_message("token: %zu characters before (JSON claims, kid footer), %zu after (CBOR claims, no footer)\n",
		      strlen(json_token), strlen(token));
	assert_int_equal(strlen(v1_code), 290);
	assert_true(strlen(code) <= 130);
	assert_true(strlen(token) <= 300);
	assert_true(strlen(json_token) > 500);
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

/* Request and token ids never look like an ID number, so that the journal
 * never withholds them (a test flake in the CI: a request id whose first
 * 15 digits were withheld could not be followed in the journal). Without
 * the redraw, about 1 in 1,000 random 16-digit request ids would. */
static void test_random_ids_never_look_like_an_id_number(void **state)
{
	char id[IDG_TOKEN_ID_MAX];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		idg_random_id(id, sizeof(id), i % 2 ? IDG_REQUEST_ID_BYTES : IDG_TOKEN_ID_BYTES);
		assert_int_equal(strlen(id), i % 2 ? 16 : 32);
		assert_false(idg_contains_id_number(id));
	}
	idg_random_id(id, 8, IDG_REQUEST_ID_BYTES); /* no room: empty, never cut */
	assert_string_equal(id, "");
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
		cmocka_unit_test_teardown(test_request_v2_layout, made_teardown),
		cmocka_unit_test_teardown(test_request_v2_refusals, made_teardown),
		cmocka_unit_test_teardown(test_request_v2_damaged_array, made_teardown),
		cmocka_unit_test_teardown(test_request_v2_flipped_bits, made_teardown),
		cmocka_unit_test_teardown(test_request_v2_accepted_variants, made_teardown),
		cmocka_unit_test_teardown(test_request_encode_refusals, made_teardown),
		cmocka_unit_test_setup_teardown(test_request_v1_still_approved, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_v2_layout, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_v2_hand_written, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_v2_damaged_payload, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_v2_bad_claims, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_v2_tampered, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_v2_flipped_bits, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_token_v2_cut_short, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_decline_round_trip, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_decline_reasons, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_decline_refusals, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_decline_and_token_never_mix, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_lengths_of_the_docs_example, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_rfc3339_parse),
		cmocka_unit_test(test_rfc3339_refusals),
		cmocka_unit_test(test_rfc3339_format),
		cmocka_unit_test(test_random_ids_never_look_like_an_id_number),
	};

	/* Local times in messages ("expired at 18:10") depend on the zone. */
	if (setenv("TZ", TEST_TZ, 1) < 0)
		return 1;
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
