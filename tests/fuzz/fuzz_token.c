// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for purpose tokens and PASERK keys: the input, as a C
 * string, goes to idg_paseto_footer, idg_paseto_payload_unverified and
 * idg_paseto_verify (with the published test vectors' public key, so the
 * seeds reach the success path) and to both PASERK decoders. A refusal must
 * come with a reason; a verified token must read back the same payload
 * unverified and have a footer; a decoded key must encode back to exactly
 * the input. Seeds: tests/fuzz/corpus/token/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "paseto.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1eb9dbbb...: the key of paseto-standard's v4.public test vectors. */
static const unsigned char vector_pk[32] = {
	0x1e, 0xb9, 0xdb, 0xbb, 0xbc, 0x04, 0x7c, 0x03, 0xfd, 0x70, 0x60, 0x4e, 0x00, 0x71, 0xf0, 0x98,
	0x7e, 0x16, 0xb2, 0x8b, 0x75, 0x72, 0x25, 0xc1, 0x1f, 0x00, 0x41, 0x5d, 0x0e, 0x20, 0xb1, 0xa2,
};

static void check_refusal(int r, const struct idg_error *err)
{
	if (r < 0 && !err->message[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = NULL, *footer = NULL, *unverified = NULL, *payload = NULL;
	unsigned char pk[32], sk[64];
	char again[IDG_PASERK_MAX];
	struct idg_error err;
	size_t payload_len = 0;
	int r, r_footer, r_unverified;

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
