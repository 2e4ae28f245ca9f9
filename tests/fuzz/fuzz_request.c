// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for control requests: the input is one request line for
 * idg_request_parse. A refusal must come with a reason to send back; an
 * accepted request must name its command, and written out again as the
 * client would send it, must be accepted again. Seeds:
 * tests/fuzz/corpus/request/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *request = NULL, *again = NULL;
	struct idg_error err;
	const char *text;

	err.message[0] = '\0';
	if (idg_request_parse((const char *)data, size, &request, &err) < 0) {
		if (!err.message[0])
			abort();
		return 0;
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
	return 0;
}
