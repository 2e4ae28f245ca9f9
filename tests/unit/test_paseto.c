// SPDX-License-Identifier: GPL-2.0-only
/*
 * Purpose-token crypto (paseto.h): every vector in
 * ../shared/vectors/paseto-v4-public.json (or $IDG_VECTORS) signs to exactly
 * its token and verifies to its payload; then the exact refusal for a wrong
 * implicit assertion or key, a flipped bit in payload, signature or footer,
 * a foreign header, bad base64url, a token cut short, one over the size
 * limit and an empty footer part; footer and unverified-payload reads; and
 * PASERK k4.public / k4.secret / k4.pid against the examples and vectors
 * published by paseto-standard, round trips and malformed keys.
 */
#include "unit.h"

#include <json-c/json.h>
#include <sodium.h>

#include "paseto.h"
#include "util.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* ---- vectors ------------------------------------------------------------------- */

struct vector {
	char *name;
	bool expect_fail;
	unsigned char pk[32];
	unsigned char sk[64];
	char *token;
	char *payload;
	char *footer;
	char *implicit;
};

static struct vector vectors[16];
static size_t n_vectors;

static const char *vectors_path(void)
{
	const char *path = getenv("IDG_VECTORS");

	return path && *path ? path : "../shared/vectors/paseto-v4-public.json";
}

static void hex_decode(const char *hex, unsigned char *out, size_t len)
{
	size_t bin_len = 0;

	assert_non_null(hex);
	assert_int_equal(strlen(hex), len * 2);
	assert_int_equal(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &bin_len, NULL), 0);
	assert_int_equal(bin_len, len);
}

static char *string_field(struct json_object *test, const char *key)
{
	struct json_object *value;

	if (!json_object_object_get_ex(test, key, &value) || !json_object_is_type(value, json_type_string)) {
		print_error("vector field '%s' missing or not a string\n", key);
		return NULL;
	}
	return strdup(json_object_get_string(value));
}

static int vectors_setup(void **state)
{
	struct json_object *root, *tests, *flag;
	const char *path = vectors_path();

	(void)state;
	root = json_object_from_file(path);
	if (!root) {
		print_error("cannot read the test vectors at %s (set IDG_VECTORS)\n", path);
		return -1;
	}
	if (!json_object_object_get_ex(root, "tests", &tests) || !json_object_is_type(tests, json_type_array) ||
	    json_object_array_length(tests) == 0 || json_object_array_length(tests) > ARRAY_SIZE(vectors)) {
		print_error("%s has no usable \"tests\" array\n", path);
		json_object_put(root);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(tests); i++) {
		struct json_object *test = json_object_array_get_idx(tests, i);
		struct vector *v = &vectors[n_vectors++];
		char *pk_hex = string_field(test, "public-key"), *sk_hex = string_field(test, "secret-key");

		v->name = string_field(test, "name");
		v->token = string_field(test, "token");
		v->payload = string_field(test, "payload");
		v->footer = string_field(test, "footer");
		v->implicit = string_field(test, "implicit-assertion");
		v->expect_fail = json_object_object_get_ex(test, "expect-fail", &flag) && json_object_get_boolean(flag);
		if (!pk_hex || !sk_hex || !v->name || !v->token || !v->payload || !v->footer || !v->implicit ||
		    strlen(pk_hex) != 64 || strlen(sk_hex) != 128 ||
		    sodium_hex2bin(v->pk, 32, pk_hex, 64, NULL, NULL, NULL) != 0 ||
		    sodium_hex2bin(v->sk, 64, sk_hex, 128, NULL, NULL, NULL) != 0) {
			print_error("vector %zu in %s is malformed\n", i, path);
			free(pk_hex);
			free(sk_hex);
			json_object_put(root);
			return -1;
		}
		free(pk_hex);
		free(sk_hex);
	}
	json_object_put(root);
	return 0;
}

static int vectors_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_vectors; i++) {
		free(vectors[i].name);
		free(vectors[i].token);
		free(vectors[i].payload);
		free(vectors[i].footer);
		free(vectors[i].implicit);
	}
	n_vectors = 0;
	return 0;
}

/* The vector by name; the tests below lean on the three published ones. */
static const struct vector *vector(const char *name)
{
	for (size_t i = 0; i < n_vectors; i++)
		if (streq(vectors[i].name, name))
			return &vectors[i];
	print_error("no vector %s in %s\n", name, vectors_path());
	fail();
	return NULL;
}

/* ---- helpers ------------------------------------------------------------------- */

static char *b64(const void *data, size_t len)
{
	size_t size = sodium_base64_encoded_len(len, B64);
	char *out = malloc(size);

	assert_non_null(out);
	sodium_bin2base64(out, size, data, len, B64);
	return out;
}

/* "v4.public." + b64(body) (+ "." + b64(footer) when footer_len > 0). */
static char *make_token(const char *header, const void *body, size_t body_len, const void *footer, size_t footer_len)
{
	char *body_text = b64(body, body_len), *footer_text = b64(footer, footer_len), *token;

	assert_true(asprintf(&token, "%s%s%s%s", header, body_text, footer_len ? "." : "",
			     footer_len ? footer_text : "") >= 0);
	free(body_text);
	free(footer_text);
	return token;
}

/* Decodes the body (payload || signature) of a well-formed token. */
static unsigned char *token_body(const char *token, size_t *ret_len)
{
	const char *body = token + strlen("v4.public."), *dot = strchr(body, '.');
	size_t len = dot ? (size_t)(dot - body) : strlen(body);
	unsigned char *bin = malloc(len);

	assert_non_null(bin);
	assert_int_equal(sodium_base642bin(bin, len, body, len, NULL, ret_len, NULL, B64), 0);
	return bin;
}

static char *concat(const char *a, const char *b)
{
	char *s;

	assert_true(asprintf(&s, "%s%s", a, b) >= 0);
	return s;
}

/* token with the substring at offset..offset+cut replaced by insert. */
static char *token_splice(const char *token, size_t offset, size_t cut, const char *insert)
{
	char *s;

	assert_true(offset + cut <= strlen(token));
	assert_true(asprintf(&s, "%.*s%s%s", (int)offset, token, insert, token + offset + cut) >= 0);
	return s;
}

static void expect_verified(const unsigned char pk[32], const char *token, const char *implicit, const char *payload)
{
	struct idg_error err = { "" };
	char *got = NULL;
	size_t len = 0;
	int r = idg_paseto_verify(pk, token, implicit, &got, &len, &err);

	if (r != 0) {
		print_error("%.120s refused (%d): %s\n", token, r, err.message);
		fail();
	}
	assert_string_equal(got, payload);
	assert_int_equal(len, strlen(payload));
	free(got);
}

/* verify refuses with exactly r and message, leaving its outputs alone. */
static void expect_verify_error(const unsigned char pk[32], const char *token, const char *implicit, int expected_r,
				const char *message)
{
	struct idg_error err = { "" };
	char *payload = (char *)0x1;
	size_t len = 4242;
	int r = idg_paseto_verify(pk, token, implicit, &payload, &len, &err);

	if (r != expected_r || !streq(err.message, message)) {
		print_error("verify %.120s: returned %d with \"%s\"\nexpected %d with \"%s\"\n", token, r, err.message,
			    expected_r, message);
		fail();
	}
	assert_ptr_equal(payload, (char *)0x1);
	assert_int_equal(len, 4242);
}

/* A format error: verify, footer and payload_unverified all refuse alike. */
static void expect_format_error(const char *token, int expected_r, const char *message)
{
	struct idg_error err = { "" };
	char *out = (char *)0x1;
	int r;

	expect_verify_error(vector("4-S-1")->pk, token, NULL, expected_r, message);
	r = idg_paseto_footer(token, &out, &err);
	if (r != expected_r || !streq(err.message, message)) {
		print_error("footer %.120s: returned %d with \"%s\"\n", token, r, err.message);
		fail();
	}
	assert_ptr_equal(out, (char *)0x1);
	err.message[0] = '\0';
	r = idg_paseto_payload_unverified(token, &out, &err);
	if (r != expected_r || !streq(err.message, message)) {
		print_error("payload_unverified %.120s: returned %d with \"%s\"\n", token, r, err.message);
		fail();
	}
	assert_ptr_equal(out, (char *)0x1);
}

/* ---- tokens -------------------------------------------------------------------- */

static void test_vectors(void **state)
{
	(void)state;
	assert_true(n_vectors >= 3);
	for (size_t i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		struct idg_error err = { "" };
		char *token = NULL, *payload = NULL;
		size_t len = 0;
		int r;

		if (v->expect_fail) {
			r = idg_paseto_verify(v->pk, v->token, v->implicit, &payload, &len, &err);
			if (r == 0) {
				print_error("%s: verified, but the vector expects failure\n", v->name);
				free(payload);
				fail();
			}
			assert_true(r < 0);
			assert_true(err.message[0] != '\0');
			continue;
		}
		/* Ed25519 is deterministic: the same bytes must come out. */
		assert_int_equal(idg_paseto_sign(v->sk, v->payload, strlen(v->payload), v->footer, v->implicit, &token), 0);
		if (!streq(token, v->token)) {
			print_error("%s: signed to\n%s\nexpected\n%s\n", v->name, token, v->token);
			free(token);
			fail();
		}
		free(token);
		expect_verified(v->pk, v->token, v->implicit, v->payload);

		assert_int_equal(idg_paseto_footer(v->token, &payload, &err), 0);
		assert_string_equal(payload, v->footer);
		free(payload);
		assert_int_equal(idg_paseto_payload_unverified(v->token, &payload, &err), 0);
		assert_string_equal(payload, v->payload);
		free(payload);
	}
}

static void test_null_means_empty(void **state)
{
	const struct vector *v = vector("4-S-1");
	char *token = NULL;

	(void)state;
	assert_int_equal(idg_paseto_sign(v->sk, v->payload, strlen(v->payload), NULL, NULL, &token), 0);
	assert_string_equal(token, v->token);
	free(token);
	expect_verified(v->pk, v->token, NULL, v->payload);
}

static void test_wrong_implicit_assertion(void **state)
{
	const struct vector *v3 = vector("4-S-3"), *v1 = vector("4-S-1");

	(void)state;
	expect_verify_error(v3->pk, v3->token, "", -EBADMSG, "signature does not verify");
	expect_verify_error(v3->pk, v3->token, NULL, -EBADMSG, "signature does not verify");
	expect_verify_error(v3->pk, v3->token, "{\"test-vector\":\"4-S-2\"}", -EBADMSG, "signature does not verify");
	expect_verify_error(v1->pk, v1->token, "host=abc", -EBADMSG, "signature does not verify");
}

static void test_wrong_key(void **state)
{
	const struct vector *v = vector("4-S-2");
	unsigned char pk[32], sk[64];

	(void)state;
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	expect_verify_error(pk, v->token, NULL, -EBADMSG, "signature does not verify");
}

static void test_flipped_bits(void **state)
{
	const struct vector *v = vector("4-S-2");
	size_t body_len, payload_len = strlen(v->payload), footer_len = strlen(v->footer);
	unsigned char *body = token_body(v->token, &body_len);
	/* Offsets in payload || signature, then in the footer (after body_len). */
	const size_t flips[] = { 0, payload_len / 2, payload_len - 1, payload_len, payload_len + 31, body_len - 1,
				 body_len, body_len + footer_len - 1 };
	unsigned char *footer = malloc(footer_len);
	char *token;

	(void)state;
	assert_int_equal(body_len, payload_len + 64);
	assert_non_null(footer);
	memcpy(footer, v->footer, footer_len);
	/* The unmodified pieces rebuild the vector's token exactly. */
	token = make_token("v4.public.", body, body_len, footer, footer_len);
	assert_string_equal(token, v->token);
	free(token);

	for (size_t i = 0; i < ARRAY_SIZE(flips); i++)
		for (unsigned bit = 0; bit < 8; bit += 7) {
			unsigned char *p = flips[i] < body_len ? &body[flips[i]] : &footer[flips[i] - body_len];

			*p ^= (unsigned char)(1u << bit);
			token = make_token("v4.public.", body, body_len, footer, footer_len);
			expect_verify_error(v->pk, token, NULL, -EBADMSG, "signature does not verify");
			free(token);
			*p ^= (unsigned char)(1u << bit);
		}
	free(body);
	free(footer);
}

static void test_wrong_header(void **state)
{
	const struct vector *v = vector("4-S-2");
	const char *rest = v->token + strlen("v4.public.");
	const char *headers[] = { "v3.public.", "v4.local.", "v2.public.", "V4.public.", "v4.Public.", " v4.public.",
				  "v4.public", "v4public.", "v4.", "" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
		char *token = concat(headers[i], rest);

		expect_format_error(token, -EPROTO, "not a v4.public token");
		free(token);
	}
	expect_format_error("", -EPROTO, "not a v4.public token");
	expect_format_error("v4.publi", -EPROTO, "not a v4.public token");
	expect_format_error(NULL, -EINVAL, "no token given");
}

static void test_bad_base64(void **state)
{
	const struct vector *v1 = vector("4-S-1"), *v2 = vector("4-S-2");
	size_t header = strlen("v4.public."), body_end = strchr(v2->token + header, '.') - v2->token;
	size_t end1 = strlen(v1->token);
	const struct {
		const char *token;
		size_t offset, cut;
		const char *insert;
	} cases[] = {
		{ v1->token, end1, 0, "=" },          /* padding */
		{ v1->token, end1, 0, "==" },
		{ v1->token, header + 5, 1, "+" },    /* standard alphabet */
		{ v1->token, header + 5, 1, "/" },
		{ v1->token, header + 5, 0, " " },    /* whitespace */
		{ v1->token, header + 5, 0, "\n" },
		{ v1->token, end1, 0, "\n" },
		{ v1->token, end1, 0, "\t" },
		{ v1->token, header, 0, " " },
		{ v1->token, header + 5, 1, "*" },
		{ v1->token, header + 5, 1, "\xc3\xa9" },
		{ v1->token, header + 5, 1, "\x80" },     /* libsodium 1.0.18 reads any byte >= 0x80 as '_' */
		{ v1->token, header + 5, 1, "\xff" },
		{ v1->token, end1, 0, "AAA" },        /* one character past a group: 6 stray bits */
		{ v1->token, end1, 0, ".e30.e30" },   /* a second footer part */
		{ v2->token, body_end + 3, 0, "=" },  /* in the footer */
		{ v2->token, body_end + 3, 1, "+" },
		{ v2->token, body_end + 3, 0, " " },
		{ v2->token, strlen(v2->token), 0, "=" },
		{ v2->token, body_end, 0, "=" },      /* between body and footer */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *token = token_splice(cases[i].token, cases[i].offset, cases[i].cut, cases[i].insert);

		expect_format_error(token, -EINVAL, "token is not valid base64url");
		free(token);
	}
}

/* Regression: libsodium 1.0.18 decodes any byte from 0x80 up as '_', so a
 * token with '_' had a second spelling that verified. */
static void test_high_byte_is_not_underscore(void **state)
{
	const struct vector *v = vector("4-S-1");
	const char *underscore = strchr(v->token + strlen("v4.public."), '_');
	char *token, *secret;
	unsigned char sk[64];

	(void)state;
	assert_non_null(underscore);
	token = token_splice(v->token, underscore - v->token, 1, "\x80");
	expect_format_error(token, -EINVAL, "token is not valid base64url");
	free(token);
	token = token_splice(v->token, underscore - v->token, 1, "\xdf");
	expect_format_error(token, -EINVAL, "token is not valid base64url");
	free(token);

	secret = strdup("k4.secret.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8c5WpIyC_5kWKhS8VEYSZ05dYfuTF-ZdQFV4D9vLTcNQ");
	assert_non_null(secret);
	assert_int_equal(idg_paserk_secret_decode(secret, sk), 0);
	*strchr(secret, '_') = '\x80';
	assert_int_equal(idg_paserk_secret_decode(secret, sk), -EINVAL);
	free(secret);
}

/* The bits past the last whole byte must be zero, so a token has one
 * spelling only. */
static void test_noncanonical_base64(void **state)
{
	const struct vector *v = vector("4-S-1");
	size_t len = strlen(v->token), body_chars = len - strlen("v4.public.");
	char *token = strdup(v->token);

	(void)state;
	assert_non_null(token);
	assert_true(body_chars % 4 != 0);
	assert_int_equal(token[len - 1], 'A');
	token[len - 1] = 'B';
	expect_format_error(token, -EINVAL, "token is not valid base64url");
	free(token);
}

static void test_too_short(void **state)
{
	const struct vector *v = vector("4-S-1");
	unsigned char body[64] = { 0 };
	size_t len = strlen(v->token);
	char *token, *payload = NULL;
	unsigned char pk[32], sk[64];
	struct idg_error err = { "" };

	(void)state;
	expect_format_error("v4.public.", -EINVAL, "token is too short");
	token = make_token("v4.public.", body, 63, NULL, 0);
	expect_format_error(token, -EINVAL, "token is too short");
	free(token);
	token = make_token("v4.public.", body, 63, "{}", 2);
	expect_format_error(token, -EINVAL, "token is too short");
	free(token);
	/* Exactly a signature: the format is fine, the signature is not. */
	token = make_token("v4.public.", body, 64, NULL, 0);
	expect_verify_error(v->pk, token, NULL, -EBADMSG, "signature does not verify");
	assert_int_equal(idg_paseto_payload_unverified(token, &payload, &err), 0);
	assert_string_equal(payload, "");
	free(payload);
	free(token);
	/* And an empty payload signed for real is a valid token. */
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	assert_int_equal(idg_paseto_sign(sk, "", 0, NULL, NULL, &token), 0);
	expect_verified(pk, token, NULL, "");
	free(token);

	/* Cut to a whole base64 group: still well-formed, no longer signed. */
	assert_int_equal((len - strlen("v4.public.")) % 4, 2);
	token = strndup(v->token, len - 2);
	expect_verify_error(v->pk, token, NULL, -EBADMSG, "signature does not verify");
	free(token);
	/* Cut by one group more than there is a signature for. */
	token = strndup(v->token, strlen("v4.public.") + 84);
	expect_format_error(token, -EINVAL, "token is too short");
	free(token);
}

static void test_footer_dropped_or_empty(void **state)
{
	const struct vector *v = vector("4-S-2");
	const char *dot = strchr(v->token + strlen("v4.public."), '.');
	char *token = strndup(v->token, dot - v->token), *with_dot;

	(void)state;
	/* The footer is signed: without it the token no longer verifies. */
	expect_verify_error(v->pk, token, NULL, -EBADMSG, "signature does not verify");
	/* "body." would be a second spelling of a footer-less token. */
	with_dot = concat(vector("4-S-1")->token, ".");
	expect_format_error(with_dot, -EINVAL, "token has an empty footer part");
	free(with_dot);
	free(token);
}

static void test_oversized(void **state)
{
	char *payload = malloc(20000), *token = NULL, *big;
	unsigned char pk[32], sk[64];

	(void)state;
	assert_non_null(payload);
	memset(payload, 'a', 20000);
	assert_int_equal(idg_paserk_generate(pk, sk), 0);

	/* 6072 bytes of payload make exactly IDG_PASETO_MAX_TOKEN characters. */
	assert_int_equal(idg_paseto_sign(sk, payload, 6072, NULL, NULL, &token), 0);
	assert_int_equal(strlen(token), IDG_PASETO_MAX_TOKEN);
	payload[6072] = '\0';
	expect_verified(pk, token, NULL, payload);
	payload[6072] = 'a';
	free(token);

	token = (char *)0x1;
	assert_int_equal(idg_paseto_sign(sk, payload, 6073, NULL, NULL, &token), -EMSGSIZE);
	assert_int_equal(idg_paseto_sign(sk, payload, 20000, NULL, NULL, &token), -EMSGSIZE);
	payload[6200] = '\0'; /* as a footer: 8267 characters of base64url */
	assert_int_equal(idg_paseto_sign(sk, "{}", 2, payload, NULL, &token), -EMSGSIZE);
	assert_ptr_equal(token, (char *)0x1);

	/* One character over, whatever follows the header. */
	big = malloc(IDG_PASETO_MAX_TOKEN + 2);
	assert_non_null(big);
	memset(big, 'A', IDG_PASETO_MAX_TOKEN + 1);
	memcpy(big, "v4.public.", strlen("v4.public."));
	big[IDG_PASETO_MAX_TOKEN + 1] = '\0';
	expect_format_error(big, -EMSGSIZE, "token is longer than 8192 bytes");
	memcpy(big, "v3.public.", strlen("v3.public."));
	expect_format_error(big, -EMSGSIZE, "token is longer than 8192 bytes");
	/* At the limit it is judged on its contents. */
	big[IDG_PASETO_MAX_TOKEN] = '\0';
	memcpy(big, "v4.public.", strlen("v4.public."));
	expect_verify_error(pk, big, NULL, -EBADMSG, "signature does not verify");
	free(big);
	free(payload);
}

static void test_footer(void **state)
{
	const struct vector *v1 = vector("4-S-1"), *v2 = vector("4-S-2");
	struct idg_error err = { "" };
	unsigned char pk[32], sk[64];
	char *footer = NULL, *token;

	(void)state;
	assert_int_equal(idg_paseto_footer(v1->token, &footer, &err), 0);
	assert_string_equal(footer, "");
	free(footer);
	assert_int_equal(idg_paseto_footer(v2->token, &footer, &err), 0);
	assert_string_equal(footer, "{\"kid\":\"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN\"}");
	free(footer);

	/* Read without verifying: a token signed by nobody still has a footer. */
	{
		unsigned char body[80] = { 0 };

		token = make_token("v4.public.", body, sizeof(body), "{\"kid\":\"k4.pid.x\"}", 18);
		assert_int_equal(idg_paseto_footer(token, &footer, &err), 0);
		assert_string_equal(footer, "{\"kid\":\"k4.pid.x\"}");
		free(footer);
		free(token);
		/* A NUL cannot be handed out in a C string. */
		token = make_token("v4.public.", body, sizeof(body), "{\"kid\":\0}", 9);
		footer = (char *)0x1;
		assert_int_equal(idg_paseto_footer(token, &footer, &err), -EINVAL);
		assert_string_equal(err.message, "footer contains a NUL byte");
		assert_ptr_equal(footer, (char *)0x1);
		free(token);
	}

	/* Signing and reading back a footer and an implicit assertion. */
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	assert_int_equal(idg_paseto_sign(sk, "{\"jti\":\"1\"}", 11, "{\"kid\":\"me\"}", "host=h", &token), 0);
	assert_int_equal(idg_paseto_footer(token, &footer, &err), 0);
	assert_string_equal(footer, "{\"kid\":\"me\"}");
	free(footer);
	expect_verified(pk, token, "host=h", "{\"jti\":\"1\"}");
	expect_verify_error(pk, token, NULL, -EBADMSG, "signature does not verify");
	free(token);
}

static void test_payload_unverified(void **state)
{
	const struct vector *v = vector("4-S-3");
	size_t body_len;
	unsigned char *body = token_body(v->token, &body_len);
	struct idg_error err = { "" };
	char *token, *payload = NULL;

	(void)state;
	body[body_len - 1] ^= 1; /* a broken signature */
	token = make_token("v4.public.", body, body_len, v->footer, strlen(v->footer));
	expect_verify_error(v->pk, token, v->implicit, -EBADMSG, "signature does not verify");
	assert_int_equal(idg_paseto_payload_unverified(token, &payload, &err), 0);
	assert_string_equal(payload, v->payload);
	free(payload);
	free(token);
	free(body);
}

static void test_payload_with_nul(void **state)
{
	unsigned char pk[32], sk[64];
	struct idg_error err = { "" };
	char *token = NULL, *payload = (char *)0x1;

	(void)state;
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	assert_int_equal(idg_paseto_sign(sk, "{\"a\":1}\0{\"a\":2}", 15, NULL, NULL, &token), 0);
	/* The signature is good; the payload still cannot be a C string. */
	expect_verify_error(pk, token, NULL, -EINVAL, "payload contains a NUL byte");
	assert_int_equal(idg_paseto_payload_unverified(token, &payload, &err), -EINVAL);
	assert_string_equal(err.message, "payload contains a NUL byte");
	assert_ptr_equal(payload, (char *)0x1);
	free(token);
}

/* ---- PASERK -------------------------------------------------------------------- */

/* Examples from paseto-standard/paserk types/public.md and types/secret.md. */
static void test_paserk_spec_examples(void **state)
{
	unsigned char pk[32], sk[64], expected_sk[64], expected_pk[32], decoded_pk[32];
	char buf[IDG_PASERK_MAX];

	(void)state;
	hex_decode("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f", pk, 32);
	assert_int_equal(idg_paserk_public_encode(pk, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8");
	assert_int_equal(idg_paserk_public_decode(buf, decoded_pk), 0);
	assert_memory_equal(decoded_pk, pk, 32);

	/* seed 70..8f with its Ed25519 public key 1ce56a48... (k4.secret-2). */
	hex_decode("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f"
		   "1ce56a48c82ff99162a14bc544612674e5d61fb9317e65d4055780fdbcb4dc35",
		   expected_sk, 64);
	assert_int_equal(idg_paserk_secret_decode("k4.secret.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8c5WpIyC_5kWKh"
						  "S8VEYSZ05dYfuTF-ZdQFV4D9vLTcNQ",
						  sk),
			 0);
	assert_memory_equal(sk, expected_sk, 64);
	assert_int_equal(idg_paserk_secret_encode(sk, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "k4.secret.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8c5WpIyC_5kWKhS8VEYSZ05dYfuTF-"
				 "ZdQFV4D9vLTcNQ");
	/* The vectors' own key pair, as PASERK, is consistent too. */
	assert_int_equal(idg_paserk_secret_encode(vector("4-S-1")->sk, buf, sizeof(buf)), 0);
	assert_int_equal(idg_paserk_secret_decode(buf, sk), 0);
	assert_memory_equal(sk, vector("4-S-1")->sk, 64);
	hex_decode("1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2", expected_pk, 32);
	assert_memory_equal(sk + 32, expected_pk, 32);
}

static void test_paserk_round_trip(void **state)
{
	unsigned char pk[32], sk[64], pk2[32], sk2[64];
	char buf[IDG_PASERK_MAX], *token = NULL;

	(void)state;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(idg_paserk_generate(pk, sk), 0);
		assert_memory_equal(sk + 32, pk, 32);
		assert_int_equal(idg_paserk_public_encode(pk, buf, sizeof(buf)), 0);
		assert_int_equal(strlen(buf), strlen("k4.public.") + 43);
		assert_int_equal(strncmp(buf, "k4.public.", 10), 0);
		assert_int_equal(idg_paserk_public_decode(buf, pk2), 0);
		assert_memory_equal(pk2, pk, 32);
		assert_int_equal(idg_paserk_secret_encode(sk, buf, sizeof(buf)), 0);
		assert_int_equal(strlen(buf), strlen("k4.secret.") + 86);
		assert_int_equal(strncmp(buf, "k4.secret.", 10), 0);
		assert_int_equal(idg_paserk_secret_decode(buf, sk2), 0);
		assert_memory_equal(sk2, sk, 64);
		/* The decoded keys work together. */
		assert_int_equal(idg_paseto_sign(sk2, "{}", 2, NULL, NULL, &token), 0);
		expect_verified(pk2, token, NULL, "{}");
		free(token);
	}
}

static void test_paserk_bad(void **state)
{
	unsigned char pk[32], sk[64], other_pk[32], other_sk[64], out_pk[32], out_sk[64], zero_pk[32] = { 0 };
	unsigned char zero_sk[64] = { 0 };
	char public_text[IDG_PASERK_MAX], secret_text[IDG_PASERK_MAX], buf[IDG_PASERK_MAX + 16];
	unsigned char bytes[40] = { 1, 2, 3 };
	char *b;
	const char *bad_public[] = {
		"", "k4.public.", "k4.public", "k2.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
		"k3.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
		"K4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
		"k4.secret.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
		"k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
		"k4.pid.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
		" k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
		"k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8=",
		"k4.public.cHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo8",
		"k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8 ",
		"k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8\n",
		"k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo9", /* stray bits */
		"k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo",  /* 31 bytes and a bit */
	};

	(void)state;
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	assert_int_equal(idg_paserk_generate(other_pk, other_sk), 0);
	memcpy(out_pk, zero_pk, 32);
	memcpy(out_sk, zero_sk, 64);

	for (size_t i = 0; i < ARRAY_SIZE(bad_public); i++) {
		if (idg_paserk_public_decode(bad_public[i], out_pk) != -EINVAL) {
			print_error("public key \"%s\" was not refused with -EINVAL\n", bad_public[i]);
			fail();
		}
		assert_memory_equal(out_pk, zero_pk, 32);
	}
	assert_int_equal(idg_paserk_public_decode(NULL, out_pk), -EINVAL);

	/* 31 and 33 bytes. */
	for (size_t n = 31; n <= 33; n += 2) {
		b = b64(bytes, n);
		snprintf(buf, sizeof(buf), "k4.public.%s", b);
		assert_int_equal(idg_paserk_public_decode(buf, out_pk), -EINVAL);
		free(b);
	}
	/* 63, 65 bytes, and the 32-byte seed-only form, as secrets. */
	{
		unsigned char long_bytes[65] = { 0 };
		const size_t lengths[] = { 32, 63, 65 };

		for (size_t i = 0; i < ARRAY_SIZE(lengths); i++) {
			b = b64(long_bytes, lengths[i]);
			snprintf(buf, sizeof(buf), "k4.secret.%s", b);
			assert_int_equal(idg_paserk_secret_decode(buf, out_sk), -EINVAL);
			free(b);
		}
	}
	assert_int_equal(idg_paserk_secret_decode("k4.secret.O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik", out_sk),
			 -EINVAL);
	assert_memory_equal(out_sk, zero_sk, 64);

	/* Each kind refuses the other's prefix. */
	assert_int_equal(idg_paserk_public_encode(pk, public_text, sizeof(public_text)), 0);
	assert_int_equal(idg_paserk_secret_encode(sk, secret_text, sizeof(secret_text)), 0);
	assert_int_equal(idg_paserk_secret_decode(public_text, out_sk), -EINVAL);
	assert_int_equal(idg_paserk_public_decode(secret_text, out_pk), -EINVAL);
	snprintf(buf, sizeof(buf), "k2.secret.%s", secret_text + 10);
	assert_int_equal(idg_paserk_secret_decode(buf, out_sk), -EINVAL);
	snprintf(buf, sizeof(buf), "k4.secret.%s=", secret_text + 10);
	assert_int_equal(idg_paserk_secret_decode(buf, out_sk), -EINVAL);
	assert_int_equal(idg_paserk_secret_decode(NULL, out_sk), -EINVAL);
	assert_int_equal(idg_paserk_secret_decode("", out_sk), -EINVAL);

	/* A secret whose public half belongs to another key. */
	memcpy(sk + 32, other_pk, 32);
	assert_int_equal(idg_paserk_secret_encode(sk, secret_text, sizeof(secret_text)), 0);
	assert_int_equal(idg_paserk_secret_decode(secret_text, out_sk), -EINVAL);
	/* And one with a single bit of the public half flipped. */
	memcpy(sk + 32, pk, 32);
	sk[63] ^= 0x01;
	assert_int_equal(idg_paserk_secret_encode(sk, secret_text, sizeof(secret_text)), 0);
	assert_int_equal(idg_paserk_secret_decode(secret_text, out_sk), -EINVAL);
	assert_memory_equal(out_sk, zero_sk, 64);
	assert_memory_equal(out_pk, zero_pk, 32);
}

static void test_paserk_buffer_sizes(void **state)
{
	unsigned char pk[32], sk[64];
	char buf[IDG_PASERK_MAX];

	(void)state;
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	/* Exact sizes: prefix + base64url + NUL. */
	assert_int_equal(idg_paserk_public_encode(pk, buf, 10 + 43 + 1), 0);
	assert_int_equal(idg_paserk_public_encode(pk, buf, 10 + 43), -ENOSPC);
	assert_int_equal(idg_paserk_secret_encode(sk, buf, 10 + 86 + 1), 0);
	assert_int_equal(idg_paserk_secret_encode(sk, buf, 10 + 86), -ENOSPC);
	assert_int_equal(idg_paserk_pid(pk, buf, 7 + 44 + 1), 0);
	assert_int_equal(strlen(buf), 7 + 44);
	assert_int_equal(idg_paserk_pid(pk, buf, 7 + 44), -ENOSPC);
	assert_int_equal(idg_paserk_public_encode(pk, buf, 0), -ENOSPC);
	assert_int_equal(idg_paserk_public_encode(pk, NULL, 0), -ENOSPC);
}

/* The three k4.pid vectors of paseto-standard/test-vectors PASERK/k4.pid.json
 * (the raw 32 bytes are hashed as a public key; they need not be a point). */
static void test_paserk_pid_vectors(void **state)
{
	const struct {
		const char *key, *pid;
	} cases[] = {
		{ "0000000000000000000000000000000000000000000000000000000000000000",
		  "k4.pid.S_XQmeEwHbbvRmiyfXfHYpLGjXGzjTRSDoT1YtTakWFE" },
		{ "707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f",
		  "k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs" },
		{ "707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e90",
		  "k4.pid.-nyvbaTz8U6TQz7OZWW-iB3va31iAxIpUgzUcVQVmW9A" },
	};
	unsigned char pk[32];
	char buf[IDG_PASERK_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		hex_decode(cases[i].key, pk, 32);
		assert_int_equal(idg_paserk_pid(pk, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].pid);
	}
}

static void test_paserk_pid_properties(void **state)
{
	unsigned char pk[32], sk[64], pk2[32], sk2[64];
	char a[IDG_PASERK_MAX], b[IDG_PASERK_MAX], c[IDG_PASERK_MAX];

	(void)state;
	assert_int_equal(idg_paserk_generate(pk, sk), 0);
	assert_int_equal(idg_paserk_generate(pk2, sk2), 0);
	assert_int_equal(idg_paserk_pid(pk, a, sizeof(a)), 0);
	assert_int_equal(idg_paserk_pid(pk, b, sizeof(b)), 0);
	assert_int_equal(idg_paserk_pid(pk2, c, sizeof(c)), 0);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strncmp(a, "k4.pid.", 7), 0);
	assert_int_equal(strlen(a), 51);
	/* Nothing of the key itself shows in its id. */
	assert_int_equal(idg_paserk_public_encode(pk, b, sizeof(b)), 0);
	assert_not_contains(a, b + 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_null_means_empty),
		cmocka_unit_test(test_wrong_implicit_assertion),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_wrong_header),
		cmocka_unit_test(test_bad_base64),
		cmocka_unit_test(test_high_byte_is_not_underscore),
		cmocka_unit_test(test_noncanonical_base64),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_footer_dropped_or_empty),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_footer),
		cmocka_unit_test(test_payload_unverified),
		cmocka_unit_test(test_payload_with_nul),
		cmocka_unit_test(test_paserk_spec_examples),
		cmocka_unit_test(test_paserk_round_trip),
		cmocka_unit_test(test_paserk_bad),
		cmocka_unit_test(test_paserk_buffer_sizes),
		cmocka_unit_test(test_paserk_pid_vectors),
		cmocka_unit_test(test_paserk_pid_properties),
	};

	return cmocka_run_group_tests(tests, vectors_setup, vectors_teardown);
}
