// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reads the records idguardd wrote for one cgroup back from the journal
 * files, as an auditor's tools would: how many entries, and how many
 * attempts their IDGUARD_COUNT fields add up to.
 */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

int journal_tally(const char *directory, const char *message_id, uint64_t cgroup_id,
		  struct journal_tally *out)
{
	char match_id[64], match_cgroup[64];
	sd_journal *j;
	int r;

	memset(out, 0, sizeof(*out));
	r = sd_journal_open_directory(&j, directory, 0);
	if (r < 0)
		return r;
	snprintf(match_id, sizeof(match_id), "MESSAGE_ID=%s", message_id);
	snprintf(match_cgroup, sizeof(match_cgroup), "IDGUARD_CGROUP_ID=%" PRIu64, cgroup_id);
	if ((r = sd_journal_add_match(j, match_id, 0)) < 0 ||
	    (r = sd_journal_add_match(j, match_cgroup, 0)) < 0)
		goto out;
	SD_JOURNAL_FOREACH(j) {
		const void *data;
		size_t len;
		char value[32];

		r = sd_journal_get_data(j, "IDGUARD_COUNT", &data, &len);
		if (r < 0)
			goto out;
		/* data is "IDGUARD_COUNT=N", not NUL-terminated. */
		len -= strlen("IDGUARD_COUNT=");
		if (len == 0 || len >= sizeof(value)) {
			r = -EBADMSG;
			goto out;
		}
		memcpy(value, (const char *)data + strlen("IDGUARD_COUNT="), len);
		value[len] = '\0';
		out->records++;
		out->attempts += strtoull(value, NULL, 10);
	}
	r = 0;
out:
	sd_journal_close(j);
	return r;
}
