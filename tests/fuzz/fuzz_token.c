// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for purpose tokens, declines and PASERK keys. The input,
 * as a C string, goes to idg_paseto_footer, idg_paseto_payload_unverified
 * and idg_paseto_verify (text and binary) with the published test vectors'
 * public key, to idg_token_check and idg_decline_check against a registry
 * whose one approver holds that key (so seeds signed with the vectors'
 * secret key reach the CBOR claims and every rule after the signature), and
 * to both PASERK decoders. The input's raw bytes also go straight to the
 * CBOR decoders of token claims and declines. A refusal must come with a
 * reason; a verified token must read back the same payload unverified; an
 * accepted token or decline must have an approver and be told apart as
 * such; decoded claims must encode and decode to themselves; a decoded key
 * must encode back to exactly the input. Seeds: tests/fuzz/corpus/token/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "paseto.h"
#include "policy.h"
#include "token.h"
#include "token_wire.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1eb9dbbb...: the key of paseto-standard's v4.public test vectors. */
static const unsigned char vector_pk[32] = {
	0x1e, 0xb9, 0xdb, 0xbb, 0xbc, 0x04, 0x7c, 0x03, 0xfd, 0x70, 0x60, 0x4e, 0x00, 0x71, 0xf0, 0x98,
	0x7e, 0x16, 0xb2, 0x8b, 0x75, 0x72, 0x25, 0xc1, 0x1f, 0x00, 0x41, 0x5d, 0x0e, 0x20, 0xb1, 0xa2,
};

/* The workstation of the seeds: alice on this machine id, in Nov 2026. */
#define SEED_HOST "5f0c3b9ad2e44b6c9a1e7d3f20b8c417"
#define SEED_NOW INT64_C(1795400230)

static const char registry_text[] = "[Purpose account-opening]\n"
				    "Description=Account opening\n"
				    "Classes=scanner,camera\n"
				    "MaxMinutes=15\n"
				    "Approvers=vector\n"
				    "\n"
				    "[Approver vector]\n"
				    "User=wang\n"
				    "PublicKey=k4.public.Hrnbu7wEfAP9cGBOAHHwmH4Wsot1ciXBHwBBXQ4gsaI\n"
				    "Purposes=*\n";

static struct idg_policy *policy;

static void check_refusal(int r, const struct idg_error *err)
{
	if (r < 0 && !err->message[0])
		abort();
}

static const struct idg_policy *fixture(void)
{
	struct idg_diags diags = { 0 };

	if (policy)
		return policy;
	policy = idg_policy_new();
	if (!policy || idg_policy_parse_registry_string(policy, "fuzz-registry.conf", registry_text, &diags) < 0)
		abort();
	idg_policy_check_purposes(policy, &diags);
	idg_policy_check_approvers(policy, &diags);
	if (diags.errors || !idg_policy_approver(policy, "vector"))
		abort();
	idg_diags_clear(&diags);
	return policy;
}

/* The CBOR decoders straight on the bytes: what decodes must re-encode and
 * decode to the same. */
static void wire_round_trips(const uint8_t *data, size_t size)
{
	struct idg_token_claims c, again;
	struct idg_decline d, d_again;
	struct idg_error err;
	unsigned char *bin = NULL;
	size_t bin_len = 0;
	int r;

	err.message[0] = '\0';
	r = idg_wire_claims_decode(data, size, &c, &err);
	check_refusal(r, &err);
	if (r == -EBADMSG && c.kid[0])
		abort(); /* a damaged array has no key id */
	if (r == -EINVAL && strncmp(c.kid, "k4.pid.", 7) != 0)
		abort(); /* a whole array has one */
	if (r == 0) {
		if (idg_wire_claims_encode(&c, &bin, &bin_len) != 0 || idg_wire_claims_decode(bin, bin_len, &again, &err) != 0 ||
		    memcmp(&c, &again, sizeof(c)) != 0)
			abort();
		free(bin);
		bin = NULL;
	}
	err.message[0] = '\0';
	r = idg_wire_decline_decode(data, size, &d, &err);
	check_refusal(r, &err);
	if (r == 0) {
		if (idg_wire_decline_encode(&d, &bin, &bin_len) != 0 ||
		    idg_wire_decline_decode(bin, bin_len, &d_again, &err) != 0 || memcmp(&d, &d_again, sizeof(d)) != 0)
			abort();
		free(bin);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = NULL, *footer = NULL, *unverified = NULL, *payload = NULL;
	_cleanup_free_ unsigned char *unverified_bin = NULL, *payload_bin = NULL;
	struct idg_token_context ctx = { .policy = fixture(), .host = SEED_HOST, .user = "alice", .now = SEED_NOW };
	const struct idg_approver *approver = NULL;
	enum idg_token_rejection reason;
	struct idg_token_claims claims;
	struct idg_decline decline;
	unsigned char pk[32], sk[64];
	char again[IDG_PASERK_MAX];
	struct idg_error err;
	size_t payload_len = 0, unverified_len = 0, payload_bin_len = 0;
	int r, r_footer, r_unverified;

	wire_round_trips(data, size);

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	err.message[0] = '\0';
	r_footer = idg_paseto_footer(text, &footer, &err);
	check_refusal(r_footer, &err);
	err.message[0] = '\0';
	r_unverified = idg_paseto_payload_unverified(text, &unverified, &err);
	check_refusal(r_unverified, &err);
	err.message[0] = '\0';
	r = idg_paseto_verify(vector_pk, text, NULL, &payload, &payload_len, &err);
	check_refusal(r, &err);
	if (r == 0) {
		if (r_footer != 0 && r_footer != -EINVAL) /* a footer may hold a NUL */
			abort();
		if (r_unverified != 0 || strcmp(unverified, payload) != 0 || strlen(payload) != payload_len)
			abort();
	}
	/* The binary readers give the same bytes, NULs allowed. */
	err.message[0] = '\0';
	if (idg_paseto_payload_unverified_binary(text, &unverified_bin, &unverified_len, &err) == 0) {
		if (r_unverified == 0 && (unverified_len != strlen(unverified) || memcmp(unverified_bin, unverified, unverified_len)))
			abort();
	} else {
		check_refusal(-1, &err);
	}
	err.message[0] = '\0';
	if (idg_paseto_verify_binary(vector_pk, text, NULL, &payload_bin, &payload_bin_len, &err) == 0) {
		if (!unverified_bin || payload_bin_len != unverified_len || memcmp(payload_bin, unverified_bin, unverified_len))
			abort();
	} else {
		check_refusal(-1, &err);
	}

	/* The workstation's whole check, then the decline's. */
	err.message[0] = '\0';
	reason = idg_token_check(text, &ctx, &claims, &approver, &err);
	if (reason != IDG_TOKEN_OK && !err.message[0])
		abort();
	if (reason == IDG_TOKEN_OK && (!approver || idg_answer_kind(text) != IDG_ANSWER_TOKEN))
		abort();
	err.message[0] = '\0';
	r = idg_decline_check(text, &ctx, &decline, &approver, &err);
	check_refusal(r, &err);
	if (r == 0 && (!approver || idg_answer_kind(text) != IDG_ANSWER_DECLINE || reason == IDG_TOKEN_OK))
		abort();

	if (idg_paserk_public_decode(text, pk) == 0) {
		if (idg_paserk_public_encode(pk, again, sizeof(again)) != 0 || strcmp(again, text) != 0)
			abort();
	}
	if (idg_paserk_secret_decode(text, sk) == 0) {
		if (idg_paserk_secret_encode(sk, again, sizeof(again)) != 0 || strcmp(again, text) != 0)
			abort();
	}
	return 0;
}
