// SPDX-License-Identifier: GPL-2.0-only
/*
 * mint_token: makes purpose tokens the way another implementation (a
 * central approval service, say) might, including ones idguardctl would
 * never approve, for the integration tests. It signs whatever claims it is
 * told with a PASERK k4.secret key file and prints the token.
 *
 *   mint_token --key FILE --sub USER --pur PURPOSE --cls a,b [--ref REF]
 *              [--host MACHINE_ID] [--nbf-in SECONDS] [--exp-in SECONDS]
 *              [--jti ID] [--kid KID]
 *
 * Times are relative to now (may be negative). Defaults: host this
 * machine's id, ref CASE-TEST, nbf now, exp now + 600 s, a random jti, and
 * the key's own k4.pid as kid.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "paseto.h"
#include "token.h"
#include "util.h"

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "key", required_argument, NULL, 'k' },   { "sub", required_argument, NULL, 's' },
		{ "pur", required_argument, NULL, 'p' },   { "cls", required_argument, NULL, 'c' },
		{ "ref", required_argument, NULL, 'r' },   { "host", required_argument, NULL, 'H' },
		{ "nbf-in", required_argument, NULL, 'n' }, { "exp-in", required_argument, NULL, 'e' },
		{ "jti", required_argument, NULL, 'j' },   { "kid", required_argument, NULL, 'K' },
		{ 0 },
	};
	const char *key_file = NULL, *sub = NULL, *pur = NULL, *cls = NULL, *ref = "CASE-TEST", *jti = NULL, *kid = NULL;
	char host[IDG_HOST_ID_MAX] = "", key_text[256], pid[IDG_PASERK_MAX], time_text[3][32], jti_buf[40];
	long nbf_in = 0, exp_in = 600;
	struct json_object *claims, *footer, *classes;
	unsigned char sk[64], random_id[16];
	char *token = NULL, *copy, *word, *save = NULL;
	time_t now = time(NULL);
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'k': key_file = optarg; break;
		case 's': sub = optarg; break;
		case 'p': pur = optarg; break;
		case 'c': cls = optarg; break;
		case 'r': ref = optarg; break;
		case 'H': (void)snprintf(host, sizeof(host), "%s", optarg); break;
		case 'n': nbf_in = strtol(optarg, NULL, 10); break;
		case 'e': exp_in = strtol(optarg, NULL, 10); break;
		case 'j': jti = optarg; break;
		case 'K': kid = optarg; break;
		default: return 2;
		}
	}
	if (!key_file || !sub || !pur || !cls || sodium_init() < 0) {
		fprintf(stderr, "usage: mint_token --key FILE --sub USER --pur PURPOSE --cls a,b [...]\n");
		return 2;
	}
	f = fopen(key_file, "re");
	if (!f || !fgets(key_text, sizeof(key_text), f) || idg_paserk_secret_decode(idg_strstrip(key_text), sk) < 0) {
		fprintf(stderr, "mint_token: cannot read a k4.secret key from %s\n", key_file);
		return 1;
	}
	fclose(f);
	if (!host[0] && idg_machine_id(host) < 0) {
		fprintf(stderr, "mint_token: no /etc/machine-id; give --host\n");
		return 1;
	}
	if (!kid) {
		(void)idg_paserk_pid(sk + 32, pid, sizeof(pid));
		kid = pid;
	}
	if (!jti) {
		randombytes_buf(random_id, sizeof(random_id));
		(void)sodium_bin2hex(jti_buf, sizeof(jti_buf), random_id, sizeof(random_id));
		jti = jti_buf;
	}
	idg_rfc3339_format((int64_t)now, time_text[0], sizeof(time_text[0]));
	idg_rfc3339_format((int64_t)now + nbf_in, time_text[1], sizeof(time_text[1]));
	idg_rfc3339_format((int64_t)now + exp_in, time_text[2], sizeof(time_text[2]));

	claims = json_object_new_object();
	classes = json_object_new_array();
	copy = strdup(cls);
	for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save))
		json_object_array_add(classes, json_object_new_string(word));
	free(copy);
	json_object_object_add(claims, "jti", json_object_new_string(jti));
	json_object_object_add(claims, "sub", json_object_new_string(sub));
	json_object_object_add(claims, "host", json_object_new_string(host));
	json_object_object_add(claims, "pur", json_object_new_string(pur));
	json_object_object_add(claims, "ref", json_object_new_string(ref));
	json_object_object_add(claims, "cls", classes);
	json_object_object_add(claims, "iat", json_object_new_string(time_text[0]));
	json_object_object_add(claims, "nbf", json_object_new_string(time_text[1]));
	json_object_object_add(claims, "exp", json_object_new_string(time_text[2]));
	footer = json_object_new_object();
	json_object_object_add(footer, "kid", json_object_new_string(kid));
	{
		const char *payload = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN);

		if (idg_paseto_sign(sk, payload, strlen(payload), json_object_to_json_string_ext(footer, JSON_C_TO_STRING_PLAIN),
				    NULL, &token) < 0) {
			fprintf(stderr, "mint_token: cannot sign\n");
			return 1;
		}
	}
	printf("%s\n", token);
	free(token);
	json_object_put(claims);
	json_object_put(footer);
	return 0;
}
