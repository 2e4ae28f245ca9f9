// SPDX-License-Identifier: GPL-2.0-only
/* The journal, opened with idguard's message ids, root as the writer and
 * the filters; entries from the current position printed or summed. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

int audit_open_journal(const struct audit_options *o, sd_journal **ret)
{
	return audit_open_files(o, NULL, ret);
}

int audit_open_files(const struct audit_options *o, const char **files, sd_journal **ret)
{
	const char *const *ids;
	size_t n_ids = idg_audit_message_ids(&ids);
	int r;

	if (files)
		r = sd_journal_open_files(ret, files, 0);
	else if (o->n_files)
		r = sd_journal_open_files(ret, (const char **)o->files, 0);
	else if (o->directory)
		r = sd_journal_open_directory(ret, o->directory, 0);
	else
		r = sd_journal_open(ret, 0);
	if ((r == -EACCES || r == -EPERM) && files)
		return CTL_EXIT_PERMISSION; /* one sender: the caller says it once for all */
	if (r == -EACCES || r == -EPERM)
		return audit_print_no_access(o);
	if (r < 0) {
		if (files) /* one sender of a collector's directory */
			(void)fprintf(stderr, "idguardctl audit: cannot open %s%s: %s; its records are left out\n", files[0],
				      files[1] ? " (and the sender's other files)" : "", strerror(-r));
		else
			(void)fprintf(stderr, "idguardctl audit: cannot open %s: %s\n",
				      o->directory ? o->directory : o->n_files ? "the journal files" : "the journal",
				      strerror(-r));
		return CTL_EXIT_FAILED;
	}
	/* Same field: "or"; different fields: "and". --event narrows the
	 * message ids to its own. */
	if (o->n_events) {
		ids = o->events;
		n_ids = o->n_events;
	}
	for (size_t i = 0; i < n_ids && r >= 0; i++) {
		char match[64];

		(void)snprintf(match, sizeof(match), "MESSAGE_ID=%s", ids[i]);
		r = sd_journal_add_match(*ret, match, 0);
	}
	/* Written by root (idguardd, or idguardctl uninstall): a user's own
	 * entries with idguard's message ids (logger --journald) are not
	 * idguard's records, and journald's _UID cannot be forged. */
	if (r >= 0)
		r = sd_journal_add_match(*ret, "_UID=0", 0);
	for (size_t i = 0; i < o->n_filters && r >= 0; i++)
		r = sd_journal_add_match(*ret, o->filters[i], 0);
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl audit: %s\n", strerror(-r));
		sd_journal_close(*ret);
		return CTL_EXIT_FAILED;
	}
	return 0;
}

void audit_print_header(const struct audit_options *o)
{
	static bool printed;

	if (printed)
		return;
	printed = true;
	if (o->output == OUT_TABLE)
		audit_print_table_header();
	else if (o->output == OUT_CSV)
		audit_print_csv_header(o->bom);
}

/* Prints (or sums) entries from the current position; returns how many. */
static bool prefix_of(char *const *prefixes, size_t n, const char *value)
{
	if (n == 0)
		return true;
	for (size_t i = 0; value && i < n; i++)
		if (!strncmp(value, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

bool audit_in_window(const struct audit_options *o, const struct idg_audit_row *row)
{
	/* Not "stop at the first later one": after a clock step a later
	 * record can come first. */
	return !(o->has_since && row->time_usec < o->since) && !(o->has_until && row->time_usec > o->until);
}

bool audit_past_window(const struct audit_options *o, const struct idg_audit_row *row)
{
	/* journalctl --until stops at the first record after it. After a
	 * clock step back a record of the window can come after a later
	 * one, so reading goes on for a day past it. */
	return o->has_until && row->time_usec > o->until + AUDIT_CLOCK_STEP_USEC;
}

bool audit_host_wanted(const struct audit_options *o, const char *host)
{
	for (size_t i = 0; i < o->n_host_globs; i++)
		if (host && fnmatch(o->host_globs[i], host, 0) == 0)
			return true;
	return o->n_host_globs == 0;
}

bool audit_row_wanted(const struct audit_options *o, const struct idg_audit_row *row)
{
	return audit_host_wanted(o, row->values[IDG_AF_HOST]) &&
	       prefix_of(o->token_prefixes, o->n_token_prefixes, row->values[IDG_AF_TOKEN_ID]) &&
	       prefix_of(o->request_prefixes, o->n_request_prefixes, row->values[IDG_AF_REQUEST_ID]);
}

/* The values of FIELD in these files that start with one of the prefixes,
 * added as matches ("or" among them). Returns how many; -1 when there are
 * too many to list (the rows are then filtered as read). */
static long match_prefixed(sd_journal *j, const char *field, char *const *prefixes, size_t n_prefixes)
{
	char **found = NULL;
	size_t n_found = 0, field_len = strlen(field);
	const void *data;
	size_t len;
	long r = 0;

	if (sd_journal_query_unique(j, field) < 0)
		return -1;
	SD_JOURNAL_FOREACH_UNIQUE(j, data, len) {
		const char *value = (const char *)data + field_len + 1;
		size_t value_len = len - field_len - 1;

		for (size_t i = 0; i < n_prefixes; i++) {
			size_t plen = strlen(prefixes[i]);

			if (value_len < plen || strncmp(value, prefixes[i], plen) != 0)
				continue;
			if (n_found == AUDIT_MAX_ID_MATCHES) {
				r = -1;
				goto out;
			}
			char **more = reallocarray(found, n_found + 1, sizeof(*found));

			if (!more) {
				r = -1;
				goto out;
			}
			found = more;
			if (!(found[n_found] = strndup(data, len))) {
				r = -1;
				goto out;
			}
			n_found++;
			break;
		}
	}
	for (size_t i = 0; i < n_found && r >= 0; i++)
		if (sd_journal_add_match(j, found[i], 0) < 0)
			r = -1; /* the row filter still holds */
	if (r >= 0)
		r = (long)n_found;
out:
	for (size_t i = 0; i < n_found; i++)
		free(found[i]);
	free(found);
	return r;
}

int audit_narrow_to_ids(const struct audit_options *o, sd_journal *j)
{
	/* The journal matches whole values only; the ids people type are the
	 * first digits. Finding the whole ids first lets the journal's index
	 * do the search, as journalctl IDGUARD_TOKEN_ID=... does. Not with
	 * --follow: ids written later would not be among them. */
	if (o->follow)
		return 1;
	if (o->n_token_prefixes && match_prefixed(j, "IDGUARD_TOKEN_ID", o->token_prefixes, o->n_token_prefixes) == 0)
		return 0;
	if (o->n_request_prefixes &&
	    match_prefixed(j, "IDGUARD_REQUEST_ID", o->request_prefixes, o->n_request_prefixes) == 0)
		return 0;
	return 1;
}

void audit_emit_row(const struct audit_options *o, struct audit_summary *s, const struct idg_audit_row *row)
{
	audit_print_header(o);
	switch (o->output) {
	case OUT_TABLE:
		audit_print_table_row(row);
		break;
	case OUT_JSON:
		audit_print_json_row(row);
		break;
	case OUT_CSV:
		audit_print_csv_row(row);
		break;
	case OUT_ECS:
		audit_print_ecs_row(row);
		break;
	case OUT_SUMMARY:
	case OUT_REPORT:
		audit_summary_add(s, row);
		break;
	}
}

long audit_emit_entries(sd_journal *j, const struct audit_options *o, struct audit_summary *s, bool *ret_error)
{
	long n = 0;
	int r;

	while ((r = sd_journal_next(j)) > 0) {
		struct idg_audit_row row = { 0 };

		if (audit_read_row(j, &row) < 0) {
			*ret_error = true;
			idg_audit_row_clear(&row);
			break;
		}
		if (audit_past_window(o, &row)) {
			idg_audit_row_clear(&row);
			break;
		}
		if (!audit_in_window(o, &row) || !audit_row_wanted(o, &row)) {
			idg_audit_row_clear(&row);
			continue;
		}
		audit_emit_row(o, s, &row);
		idg_audit_row_clear(&row);
		n++;
	}
	if (r < 0)
		*ret_error = true;
	(void)fflush(stdout);
	return n;
}
