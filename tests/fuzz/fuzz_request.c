// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for requests of both kinds idguard reads from others:
 * control requests (idg_request_parse) and clerks' request codes
 * (idg_token_request_decode). The input is one control request line; as
 * text it is also a request code ("idgreq2." or "idgreq1." seeds), and its
 * raw bytes are also the CBOR of an "idgreq2." code, so that the fuzzer
 * mutates the binary form directly. A refusal must come with a reason; an
 * accepted control request must name its command and be accepted again as
 * the client would write it; a decoded request code must be written again
 * in the binary form and read back the same, and a refused one must leave
 * the output alone. Seeds: tests/fuzz/corpus/request/.
 */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "token.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request_code(const char *code)
{
	struct idg_token_request req, untouched, again;
	_cleanup_free_ char *written = NULL;
	struct idg_error err;

	memset(&req, 0x5a, sizeof(req));
	untouched = req;
	err.message[0] = '\0';
	if (idg_token_request_decode(code, &req, &err) < 0) {
		if (!err.message[0] || memcmp(&req, &untouched, sizeof(req)) != 0)
			abort();
		return;
	}
	/* Whatever is read, old form or new, can be written in the new one. */
	if (idg_token_request_encode(&req, &written) != 0 || strncmp(written, IDG_REQUEST_PREFIX, 8) != 0)
		abort();
	if (idg_token_request_decode(written, &again, &err) != 0 || memcmp(&req, &again, sizeof(req)) != 0)
		abort();
}

static void control_request(const uint8_t *data, size_t size)
{
	struct json_object *request = NULL, *again = NULL;
	struct idg_error err;
	const char *text;

	err.message[0] = '\0';
	if (idg_request_parse((const char *)data, size, &request, &err) < 0) {
		if (!err.message[0])
			abort();
		return;
	}
	if (!request || !*idg_request_command(request))
		abort();
	text = json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) < IDG_MAX_REQUEST) {
		if (idg_request_parse(text, strlen(text), &again, &err) < 0)
			abort();
		if (strcmp(idg_request_command(again), idg_request_command(request)))
			abort();
		json_object_put(again);
	}
	json_object_put(request);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = NULL, *code = NULL;
	size_t code_size;

	control_request(data, size);

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_request_code(text);

	if (size > 4096 / 4 * 3)
		return 0;
	code_size = strlen(IDG_REQUEST_PREFIX) + sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	code = malloc(code_size);
	if (!code)
		return 0;
	strcpy(code, IDG_REQUEST_PREFIX);
	(void)sodium_bin2base64(code + strlen(IDG_REQUEST_PREFIX), code_size - strlen(IDG_REQUEST_PREFIX), data, size,
				sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	check_request_code(code);
	return 0;
}
