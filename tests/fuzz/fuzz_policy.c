// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the policy language: the input, as text, is parsed
 * as one drop-in and then merged again as a second one (so clearing and
 * replacing across files run too), built into a watch list, and written
 * back as INI with its diagnostics. Every allocation is freed, so leaks
 * show up. Seeds: tests/fuzz/corpus/policy/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "policy.h"
#include "watchlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idg_diags diags = { 0 };
	struct idg_watchlist *list = NULL;
	struct idg_policy *policy;
	char *text;

	if (!devnull && !(devnull = fopen("/dev/null", "we")))
		abort();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	policy = idg_policy_new();
	if (policy && idg_policy_parse_string(policy, "10-fuzz.conf", text, &diags) == 0 &&
	    idg_policy_parse_string(policy, "50-fuzz.conf", text, &diags) == 0) {
		/* A diagnostic always says where it comes from, but for the
		 * one that counts those past the cap (IDG_DIAGS_KEPT). */
		for (size_t i = 0; i < diags.count; i++) {
			bool counter = (diags.omitted[0] && i == diags.omitted_at[0]) ||
				       (diags.omitted[1] && i == diags.omitted_at[1]);

			if (!diags.items[i].message || (!diags.items[i].file && !counter))
				abort();
		}
		if (idg_watchlist_build(policy, &list, &diags) == 0)
			idg_watchlist_free(list);
		idg_policy_format_ini(policy, devnull);
		idg_diags_print(&diags, devnull);
	}
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	/* The same text as a registry file ([Approver] and [Approval] too). */
	policy = idg_policy_new();
	if (policy && idg_policy_parse_registry_string(policy, "site.conf", text, &diags) == 0)
		idg_policy_format_ini(policy, devnull);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
	return 0;
}
