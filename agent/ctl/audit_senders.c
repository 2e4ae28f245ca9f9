// SPDX-License-Identifier: GPL-2.0-only
/*
 * A collector's directory, read sender by sender. systemd-journal-remote
 * (SplitMode=host) files each sender's records as remote-NAME.journal (and
 * archived remote-NAME@....journal); on Debian 12 NAME is the address the
 * connection came from, which the firewall and fixed addresses vouch for,
 * while _HOSTNAME is whatever the sender wrote (docs/collection.md). So
 * each sender's files are read on their own, the rows merged in time, and
 * the row's host is NAME; _HOSTNAME stays beside it as claimed_host.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

#define MAX_SENDERS 4096
#define MAX_FILES_PER_SENDER 256

struct sender {
	char name[128];       /* as the collector filed it: the address on Debian 12 */
	const char *site_name; /* the names file's name for it, or NULL */
	char *files[MAX_FILES_PER_SENDER + 1];
	size_t n_files;
	sd_journal *j;
	struct idg_audit_row row;
	bool has_row;
	bool done;
	bool denied; /* its files may not be read */
};

/* NAME of remote-NAME.journal, remote-NAME@....journal or ...journal~. */
static bool sender_of(const char *file, char *name, size_t size)
{
	const char *start, *end;

	if (strncmp(file, "remote-", 7) != 0 || !strstr(file, ".journal"))
		return false;
	start = file + 7;
	end = strchr(start, '@');
	if (!end)
		end = strstr(start, ".journal");
	if (end == start || (size_t)(end - start) >= size)
		return false;
	(void)snprintf(name, size, "%.*s", (int)(end - start), start);
	return true;
}

static struct sender *find_or_add(struct sender *senders, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (streq(senders[i].name, name))
			return &senders[i];
	if (*n == MAX_SENDERS)
		return NULL;
	(void)snprintf(senders[*n].name, sizeof(senders[*n].name), "%s", name);
	return &senders[(*n)++];
}

/* Files the collector named after a sender go to that sender. */
static void add_file(const char *path, const char *base, struct sender *senders, size_t *n)
{
	char name[128];
	struct sender *s;

	if (!sender_of(base, name, sizeof(name)) || !(s = find_or_add(senders, n, name)) ||
	    s->n_files == MAX_FILES_PER_SENDER)
		return;
	s->files[s->n_files] = strdup(path);
	if (s->files[s->n_files])
		s->n_files++;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* --file: read by sender only when every file is a collector's. */
static bool every_file_a_senders(const struct audit_options *o)
{
	char name[128];

	for (size_t i = 0; i < o->n_files; i++)
		if (!sender_of(base_name(o->files[i]), name, sizeof(name)))
			return false;
	return o->n_files > 0;
}

static void scan(const char *dir, int depth, struct sender *senders, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[4096];

		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR && depth > 0) {
			scan(path, depth - 1, senders, n);
			continue;
		}
		add_file(path, de->d_name, senders, n);
	}
	if (d)
		(void)closedir(d);
}

static const char *sender_host(const struct sender *s)
{
	return s->site_name ? s->site_name : s->name;
}

/* The sender's next row in the window and wanted, or done. */
static void advance(const struct audit_options *o, struct sender *s, bool *ret_error)
{
	int r = 0;

	idg_audit_row_clear(&s->row);
	s->has_row = false;
	while (!s->done && (r = sd_journal_next(s->j)) > 0) {
		if (audit_read_row(s->j, &s->row) < 0) {
			*ret_error = true;
			break;
		}
		if (audit_past_window(o, &s->row))
			break;
		/* The collector's name for the sender; what it wrote beside it. */
		if (s->row.values[IDG_AF_HOST])
			(void)idg_audit_row_set(&s->row, IDG_AF_CLAIMED_HOST, s->row.values[IDG_AF_HOST],
						strlen(s->row.values[IDG_AF_HOST]));
		(void)idg_audit_row_set(&s->row, IDG_AF_HOST, sender_host(s), strlen(sender_host(s)));
		if (s->site_name)
			(void)idg_audit_row_set(&s->row, IDG_AF_SENDER_ADDRESS, s->name, strlen(s->name));
		if (audit_in_window(o, &s->row) && audit_row_wanted(o, &s->row)) {
			s->has_row = true;
			return;
		}
		idg_audit_row_clear(&s->row);
	}
	if (r < 0)
		*ret_error = true;
	s->done = true;
}

long audit_emit_by_sender(struct audit_options *o, struct audit_summary *summary, bool *ret_error, bool *ret_used)
{
	struct sender *senders = calloc(MAX_SENDERS, sizeof(*senders));
	size_t n = 0, n_opened = 0;
	long emitted = 0;
	int r;

	*ret_used = false;
	if (!senders)
		return 0;
	if (o->directory)
		scan(o->directory, 1, senders, &n);
	else if (every_file_a_senders(o))
		for (size_t i = 0; i < o->n_files; i++)
			add_file(o->files[i], base_name(o->files[i]), senders, &n);
	for (size_t i = 0; i < n; i++) {
		struct sender *s = &senders[i];

		s->site_name = audit_names_lookup(o->names, s->name);
		if (s->site_name)
			o->senders_named++;
		else
			o->senders_unnamed++;
		/* --host names the collector's senders: one not asked for is
		 * not opened at all. */
		if (!audit_host_wanted(o, sender_host(s))) {
			s->done = true;
			continue;
		}
		r = audit_open_files(o, (const char **)s->files, &s->j);
		if (r == CTL_EXIT_PERMISSION) {
			s->denied = s->done = true;
			continue;
		}
		if (r != 0) {
			/* Said on stderr, and in the summary and the report, which
			 * may be read without it. */
			audit_summary_left_out(summary, s->files[0]);
			s->done = true;
			*ret_error = true;
			continue;
		}
		n_opened++;
		if (audit_narrow_to_ids(o, s->j) == 0) {
			s->done = true; /* no record of this sender has the ids asked for */
			continue;
		}
		if (o->has_since)
			(void)sd_journal_seek_realtime_usec(s->j, o->since);
		else
			(void)sd_journal_seek_head(s->j);
		advance(o, s, ret_error);
	}
	/* None readable: the caller explains once (audit_explain_no_access);
	 * some: each left out is said, as a damaged file is. */
	for (size_t i = 0; n_opened && i < n; i++)
		if (senders[i].denied) {
			(void)fprintf(stderr, "idguardctl audit: may not read %s; its records are left out\n",
				      senders[i].files[0]);
			audit_summary_left_out(summary, senders[i].files[0]);
			*ret_error = true;
		}
	if (n > 0)
		o->host_source = o->senders_named ? HOST_COLLECTOR_NAMED : HOST_COLLECTOR;
	*ret_used = n > 0;
	for (;;) {
		struct sender *next = NULL;

		for (size_t i = 0; i < n; i++)
			if (senders[i].has_row && (!next || senders[i].row.time_usec < next->row.time_usec))
				next = &senders[i];
		if (!next)
			break;
		audit_emit_row(o, summary, &next->row);
		emitted++;
		advance(o, next, ret_error);
	}
	for (size_t i = 0; i < n; i++) {
		idg_audit_row_clear(&senders[i].row);
		if (senders[i].j)
			sd_journal_close(senders[i].j);
		for (size_t f = 0; f < senders[i].n_files; f++)
			free(senders[i].files[f]);
	}
	free(senders);
	(void)fflush(stdout);
	return emitted;
}
