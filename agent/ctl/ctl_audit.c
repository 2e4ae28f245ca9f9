// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl audit: idguard's records from a journal (this machine's, a
 * collector's directory, or files), filtered, as a table, JSON lines or
 * CSV, or summed up; --follow tails. Reading the journal needs membership
 * of idguard-auditors (or adm / systemd-journal); the command says so when
 * it cannot read.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "ctl.h"
#include "util.h"

#define MAX_FILTERS 16
#define MAX_FILES 64
#define TOP_N 5

static const char audit_help[] =
	"Usage: idguardctl audit [OPTIONS]\n"
	"Shows idguard's journal records: refusals, audited and granted access, tokens,\n"
	"grants, devices, and the agent's own records.\n"
	"\n"
	"Where from (default: this machine's journal):\n"
	"  -D, --directory DIR   a journal directory, e.g. a collector's /var/log/journal/remote\n"
	"      --file FILE       a journal file (repeatable)\n"
	"Which records (repeat an option for \"or\"; different options combine with \"and\"):\n"
	"  -S, --since TIME      from TIME: 2026-11-22, '2026-11-22 09:30', today, yesterday,\n"
	"  -U, --until TIME        -2h, '3 days ago', @EPOCH (a subset of systemd.time(7))\n"
	"      --host HOST       the workstation's host name\n"
	"      --user USER       the user the record is about\n"
	"      --class CLASS     scanner, camera, card-reader, printer, storage, ...\n"
	"      --verdict V       denied, audited or granted\n"
	"      --purpose P       the purpose of the token\n"
	"      --token ID        the token id (jti)\n"
	"How:\n"
	"      --json            one JSON object per line\n"
	"      --csv             CSV (RFC 4180) with a header line\n"
	"      --summary         counts per host, user, class and verdict; tokens per\n"
	"                        purpose and approver; the most refused users and devices\n"
	"  -f, --follow          keep printing new records (not with --summary)\n"
	"\n"
	"Counts are attempts: a record of repeated attempts counts IDGUARD_COUNT times.\n"
	"A value that looks like a resident ID number is shown as [withheld] and the\n"
	"record is flagged. Only records written by root are shown (what idguardd and\n"
	"idguardctl write); a user's own entries with idguard's message ids are not.\n"
	"In CSV, a value starting with = + - or @ gets a leading ' (spreadsheets would\n"
	"run it as a formula). Reading the journal needs the idguard-auditors group.\n";

enum output { OUT_TABLE, OUT_JSON, OUT_CSV, OUT_SUMMARY };

struct audit_options {
	const char *directory;
	const char *files[MAX_FILES + 1];
	size_t n_files;
	uint64_t since, until;
	bool has_since, has_until;
	const char *filters[MAX_FILTERS]; /* "FIELD=value" */
	size_t n_filters;
	enum output output;
	bool json;
	bool follow;
};

/* ---- reading ---------------------------------------------------------------- */

static int read_row(sd_journal *j, struct idg_audit_row *row)
{
	int r = sd_journal_get_realtime_usec(j, &row->time_usec);

	for (int f = 0; r >= 0 && f < IDG_AF_COUNT_OF_FIELDS; f++) {
		const char *name = idg_audit_journal_field(f);
		const void *data;
		size_t len, prefix;

		if (!name)
			continue;
		if (sd_journal_get_data(j, name, &data, &len) < 0)
			continue;
		prefix = strlen(name) + 1;
		if (len < prefix)
			continue;
		r = idg_audit_row_set(row, f, (const char *)data + prefix, len - prefix);
	}
	if (r >= 0)
		r = idg_audit_row_set(row, IDG_AF_EVENT, idg_audit_event_name(row->values[IDG_AF_MESSAGE_ID]),
				      strlen(idg_audit_event_name(row->values[IDG_AF_MESSAGE_ID])));
	return r < 0 ? r : 0;
}

static const char *value(const struct idg_audit_row *row, enum idg_audit_field f)
{
	return row->values[f] ? row->values[f] : "";
}

static uint64_t count_of(const struct idg_audit_row *row)
{
	const char *c = row->values[IDG_AF_COUNT];

	return c && *c ? strtoull(c, NULL, 10) : 1;
}

/* What the record is about, in a few words. */
static void what_of(const struct idg_audit_row *row, char *buf, size_t size)
{
	if (row->values[IDG_AF_DEVICE_LABEL])
		(void)snprintf(buf, size, "%s %s", value(row, IDG_AF_NODE), value(row, IDG_AF_DEVICE_LABEL));
	else if (row->values[IDG_AF_NODE])
		(void)snprintf(buf, size, "%s", value(row, IDG_AF_NODE));
	else if (row->values[IDG_AF_ENDPOINT] || row->values[IDG_AF_ADDRESS])
		(void)snprintf(buf, size, "endpoint %s %s:%s", value(row, IDG_AF_ENDPOINT), value(row, IDG_AF_ADDRESS),
			       value(row, IDG_AF_PORT));
	else if (row->values[IDG_AF_PRINT_QUEUE])
		(void)snprintf(buf, size, "print queue %s", value(row, IDG_AF_PRINT_QUEUE));
	else if (row->values[IDG_AF_DEVICE])
		(void)snprintf(buf, size, "%s", value(row, IDG_AF_DEVICE));
	else
		(void)snprintf(buf, size, "%.100s", value(row, IDG_AF_MESSAGE));
	if (row->values[IDG_AF_PURPOSE]) {
		size_t used = strlen(buf);

		(void)snprintf(buf + used, size - used, "%spurpose %s, ref %s, approver %s", used ? "; " : "",
			       value(row, IDG_AF_PURPOSE), value(row, IDG_AF_REF), value(row, IDG_AF_APPROVER));
	}
}

/* ---- output ------------------------------------------------------------------ */

#define TABLE_FORMAT "%-19s  %-16s  %-16s  %-12s  %-12s  %6s  %s%s\n"

static void print_table_header(void)
{
	(void)printf(TABLE_FORMAT, "TIME", "HOST", "EVENT", "USER", "CLASS", "COUNT", "WHAT", "");
}

static void print_table_row(const struct idg_audit_row *row)
{
	char when[32], what[512], count[24] = "";

	idg_format_time(row->time_usec, when, sizeof(when));
	what_of(row, what, sizeof(what));
	if (row->values[IDG_AF_COUNT])
		(void)snprintf(count, sizeof(count), "%s", value(row, IDG_AF_COUNT));
	(void)printf(TABLE_FORMAT, when, value(row, IDG_AF_HOST), value(row, IDG_AF_EVENT), value(row, IDG_AF_USER),
		     value(row, IDG_AF_CLASS), count, what, row->redacted ? "  [REDACTED]" : "");
}

static void print_json_row(const struct idg_audit_row *row)
{
	struct json_object *obj = json_object_new_object();
	char when[32];

	idg_format_time(row->time_usec, when, sizeof(when));
	json_object_object_add(obj, "time", json_object_new_string(when));
	json_object_object_add(obj, "time_usec", json_object_new_int64((int64_t)row->time_usec));
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++)
		if (row->values[f])
			json_object_object_add(obj, idg_audit_column(f), json_object_new_string(row->values[f]));
	json_object_object_add(obj, "redacted", json_object_new_boolean(row->redacted));
	ctl_print_json(obj);
	json_object_put(obj);
}

static void print_csv_header(void)
{
	(void)fputs("time,time_usec", stdout);
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++)
		(void)printf(",%s", idg_audit_column(f));
	(void)fputs(",redacted\r\n", stdout);
}

static void print_csv_row(const struct idg_audit_row *row)
{
	char when[32];

	idg_format_time(row->time_usec, when, sizeof(when));
	(void)printf("%s,%llu", when, (unsigned long long)row->time_usec);
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++) {
		(void)fputc(',', stdout);
		idg_csv_write_field(stdout, row->values[f]);
	}
	(void)printf(",%s\r\n", row->redacted ? "yes" : "no");
}

/* ---- summary ------------------------------------------------------------------- */

struct summary {
	struct json_object *hosts, *users, *classes, *verdicts; /* key -> {verdict: n} */
	struct json_object *purposes, *approvers;              /* key -> n */
	struct json_object *refused_users, *refused_devices;   /* key -> n */
	uint64_t records, first_usec, last_usec;
};

static void bump(struct json_object *map, const char *key, const char *sub, uint64_t n)
{
	struct json_object *entry, *count;

	if (!key || !*key)
		key = "(none)";
	if (!sub) {
		int64_t now = json_object_object_get_ex(map, key, &count) ? json_object_get_int64(count) : 0;

		json_object_object_add(map, key, json_object_new_int64(now + (int64_t)n));
		return;
	}
	if (!json_object_object_get_ex(map, key, &entry)) {
		entry = json_object_new_object();
		json_object_object_add(map, key, entry);
	}
	bump(entry, sub, NULL, n);
}

static void summary_add(struct summary *s, const struct idg_audit_row *row)
{
	const char *event = value(row, IDG_AF_EVENT), *verdict = row->values[IDG_AF_VERDICT];
	char what[512];

	if (!s->records || row->time_usec < s->first_usec)
		s->first_usec = row->time_usec;
	if (row->time_usec > s->last_usec)
		s->last_usec = row->time_usec;
	s->records++;
	if (verdict && !strncmp(event, "access-", 7)) {
		uint64_t n = count_of(row);

		bump(s->hosts, row->values[IDG_AF_HOST], verdict, n);
		bump(s->users, row->values[IDG_AF_USER], verdict, n);
		bump(s->classes, row->values[IDG_AF_CLASS], verdict, n);
		bump(s->verdicts, verdict, NULL, n);
		if (streq(verdict, "denied")) {
			bump(s->refused_users, row->values[IDG_AF_USER], NULL, n);
			what_of(row, what, sizeof(what));
			bump(s->refused_devices, what, NULL, n);
		}
	}
	if (streq(event, "token-redeemed")) {
		bump(s->purposes, row->values[IDG_AF_PURPOSE], NULL, 1);
		bump(s->approvers, row->values[IDG_AF_APPROVER], NULL, 1);
	}
}

static int compare_counts(const void *a, const void *b)
{
	int64_t x = json_object_get_int64(json_object_object_get(*(struct json_object *const *)a, "count"));
	int64_t y = json_object_get_int64(json_object_object_get(*(struct json_object *const *)b, "count"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The TOP_N largest of key -> n, as [{"name":..,"count":..}]. */
static struct json_object *top(struct json_object *map)
{
	struct json_object *list = json_object_new_array();

	json_object_object_foreach(map, key, count) {
		struct json_object *item = json_object_new_object();

		json_object_object_add(item, "name", json_object_new_string(key));
		json_object_object_add(item, "count", json_object_new_int64(json_object_get_int64(count)));
		json_object_array_add(list, item);
	}
	json_object_array_sort(list, compare_counts);
	while (json_object_array_length(list) > TOP_N)
		json_object_array_del_idx(list, TOP_N, 1);
	return list;
}

static void print_breakdown(const char *title, struct json_object *map)
{
	(void)printf("\n%s\n  %-32s %10s %10s %10s\n", title, "", "denied", "audited", "granted");
	json_object_object_foreach(map, key, verdicts)
		(void)printf("  %-32s %10lld %10lld %10lld\n", key, ctl_get_int(verdicts, "denied", 0),
			     ctl_get_int(verdicts, "audited", 0), ctl_get_int(verdicts, "granted", 0));
}

static void print_counts(const char *title, struct json_object *map)
{
	(void)printf("\n%s\n", title);
	if (json_object_object_length(map) == 0)
		(void)printf("  (none)\n");
	json_object_object_foreach(map, key, count)
		(void)printf("  %-40s %10lld\n", key, (long long)json_object_get_int64(count));
}

static void print_top(const char *title, struct json_object *list)
{
	(void)printf("\n%s\n", title);
	if (json_object_array_length(list) == 0)
		(void)printf("  (none)\n");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *item = json_object_array_get_idx(list, i);

		(void)printf("  %-60s %10lld\n", ctl_get_string(item, "name", ""), ctl_get_int(item, "count", 0));
	}
}

static void summary_print(struct summary *s, bool json)
{
	struct json_object *top_users = top(s->refused_users), *top_devices = top(s->refused_devices);
	char first[32] = "-", last[32] = "-";

	if (s->records) {
		idg_format_time(s->first_usec, first, sizeof(first));
		idg_format_time(s->last_usec, last, sizeof(last));
	}
	if (json) {
		struct json_object *obj = json_object_new_object(), *tokens = json_object_new_object();

		json_object_object_add(obj, "records", json_object_new_int64((int64_t)s->records));
		json_object_object_add(obj, "first", json_object_new_string(first));
		json_object_object_add(obj, "last", json_object_new_string(last));
		json_object_object_add(obj, "verdicts", json_object_get(s->verdicts));
		json_object_object_add(obj, "hosts", json_object_get(s->hosts));
		json_object_object_add(obj, "users", json_object_get(s->users));
		json_object_object_add(obj, "classes", json_object_get(s->classes));
		json_object_object_add(tokens, "by_purpose", json_object_get(s->purposes));
		json_object_object_add(tokens, "by_approver", json_object_get(s->approvers));
		json_object_object_add(obj, "tokens_redeemed", tokens);
		json_object_object_add(obj, "most_refused_users", json_object_get(top_users));
		json_object_object_add(obj, "most_refused_devices", json_object_get(top_devices));
		ctl_print_json(obj);
		json_object_put(obj);
	} else {
		(void)printf("%llu records, from %s to %s\n", (unsigned long long)s->records, first, last);
		(void)printf("Attempts: %lld denied, %lld audited, %lld granted\n",
			     (long long)json_object_get_int64(json_object_object_get(s->verdicts, "denied")),
			     (long long)json_object_get_int64(json_object_object_get(s->verdicts, "audited")),
			     (long long)json_object_get_int64(json_object_object_get(s->verdicts, "granted")));
		print_breakdown("By host:", s->hosts);
		print_breakdown("By user:", s->users);
		print_breakdown("By class:", s->classes);
		print_counts("Tokens redeemed, by purpose:", s->purposes);
		print_counts("Tokens redeemed, by approver:", s->approvers);
		print_top("Most refused users:", top_users);
		print_top("Most refused devices:", top_devices);
	}
	json_object_put(top_users);
	json_object_put(top_devices);
}

/* ---- permissions ------------------------------------------------------------------- */

static int print_no_access(const struct audit_options *o);

/* Whether dir (recursively, one level) holds journal files we cannot read. */
static bool unreadable_journal_files(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return errno == EACCES;
	while (!found && (de = readdir(d))) {
		char path[4096];
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (len > 8 && (streq(de->d_name + len - 8, ".journal") || strstr(de->d_name, ".journal~")))
			found = access(path, R_OK) < 0;
		else if (depth > 0 && de->d_type == DT_DIR)
			found = unreadable_journal_files(path, depth - 1);
	}
	(void)closedir(d);
	return found;
}

static int explain_no_access(const struct audit_options *o)
{
	bool blocked;

	if (o->n_files) {
		for (size_t i = 0; i < o->n_files; i++)
			if (access(o->files[i], R_OK) < 0) {
				(void)fprintf(stderr, "idguardctl audit: cannot read %s: %s\n", o->files[i], strerror(errno));
				return CTL_EXIT_PERMISSION;
			}
		return 0;
	}
	blocked = o->directory ? unreadable_journal_files(o->directory, 1)
			       : unreadable_journal_files("/var/log/journal", 1) || unreadable_journal_files("/run/log/journal", 1);
	if (!blocked)
		return 0;
	return print_no_access(o);
}

static int print_no_access(const struct audit_options *o)
{
	/* Most who get here are staff wanting to know why they were refused:
	 * their own record is `idguardctl why`; the trail of everyone's is not
	 * theirs to read (Article 8), so the way to it is not advertised. */
	(void)fprintf(stderr,
		      "idguardctl audit: you may not read %s: the audit trail is kept for auditors.\n"
		      "To see your own refusals (with what to do next) and your live grants, run:\n"
		      "  idguardctl why\n"
		      "Auditors: see idguardctl(8), under audit, for the access an administrator gives you.\n",
		      o->directory ? o->directory : "this machine's journal");
	return CTL_EXIT_PERMISSION;
}

/* ---- main -------------------------------------------------------------------------- */

static int add_filter(struct audit_options *o, const char *field, const char *text)
{
	char *filter;

	if (o->n_filters == MAX_FILTERS) {
		(void)fprintf(stderr, "idguardctl audit: at most %d filters\n", MAX_FILTERS);
		return CTL_EXIT_USAGE;
	}
	if (!*text || strchr(text, '\n')) {
		(void)fprintf(stderr, "idguardctl audit: an empty or multi-line value for %s\n", field);
		return CTL_EXIT_USAGE;
	}
	if (asprintf(&filter, "%s=%s", field, text) < 0)
		return CTL_EXIT_FAILED;
	o->filters[o->n_filters++] = filter;
	return 0;
}

static int parse_options(int argc, char **argv, struct audit_options *o)
{
	static const struct option options[] = {
		{ "directory", required_argument, NULL, 'D' }, { "file", required_argument, NULL, 'F' },
		{ "since", required_argument, NULL, 'S' },     { "until", required_argument, NULL, 'U' },
		{ "host", required_argument, NULL, 'H' },      { "user", required_argument, NULL, 'u' },
		{ "class", required_argument, NULL, 'c' },     { "verdict", required_argument, NULL, 'v' },
		{ "purpose", required_argument, NULL, 'p' },   { "token", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },            { "csv", no_argument, NULL, 'C' },
		{ "summary", no_argument, NULL, 's' },         { "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },            { 0 },
	};
	uint64_t now = idg_now_realtime_usec();
	bool json = false, csv = false, summary = false;
	int c, r = 0;

	optind = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "D:S:U:fjh", options, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->directory = optarg;
			break;
		case 'F':
			if (o->n_files == MAX_FILES) {
				(void)fprintf(stderr, "idguardctl audit: at most %d --file options\n", MAX_FILES);
				return CTL_EXIT_USAGE;
			}
			o->files[o->n_files++] = optarg;
			break;
		case 'S':
		case 'U':
			if (idg_audit_parse_time(optarg, now, c == 'S' ? &o->since : &o->until) < 0) {
				(void)fprintf(stderr,
					      "idguardctl audit: '%s' is not a time (try 2026-11-22, '2026-11-22 09:30', today, "
					      "yesterday, -2h, '3 days ago')\n", optarg);
				return CTL_EXIT_USAGE;
			}
			*(c == 'S' ? &o->has_since : &o->has_until) = true;
			break;
		case 'H':
			r = add_filter(o, "_HOSTNAME", optarg);
			break;
		case 'u':
			r = add_filter(o, "IDGUARD_USER", optarg);
			break;
		case 'c':
			r = add_filter(o, "IDGUARD_CLASS", optarg);
			break;
		case 'v':
			if (!streq(optarg, "denied") && !streq(optarg, "audited") && !streq(optarg, "granted")) {
				(void)fprintf(stderr, "idguardctl audit: --verdict is denied, audited or granted\n");
				return CTL_EXIT_USAGE;
			}
			r = add_filter(o, "IDGUARD_VERDICT", optarg);
			break;
		case 'p':
			r = add_filter(o, "IDGUARD_PURPOSE", optarg);
			break;
		case 't':
			r = add_filter(o, "IDGUARD_TOKEN_ID", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'C':
			csv = true;
			break;
		case 's':
			summary = true;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'h':
			(void)fputs(audit_help, stdout);
			return CTL_HELP_SHOWN;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (r)
		return r;
	if (optind < argc) {
		(void)fprintf(stderr, "idguardctl audit: unexpected argument '%s'\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	if (o->directory && o->n_files) {
		(void)fprintf(stderr, "idguardctl audit: --directory and --file do not go together\n");
		return CTL_EXIT_USAGE;
	}
	if (csv && json) {
		(void)fprintf(stderr, "idguardctl audit: --csv or --json, not both\n");
		return CTL_EXIT_USAGE;
	}
	if (o->follow && o->has_until) {
		(void)fprintf(stderr, "idguardctl audit: --follow and --until do not go together\n");
		return CTL_EXIT_USAGE;
	}
	if (summary && (csv || o->follow)) {
		(void)fprintf(stderr, "idguardctl audit: --summary goes with --json only (not --csv or --follow)\n");
		return CTL_EXIT_USAGE;
	}
	if (o->has_since && o->has_until && o->until < o->since) {
		(void)fprintf(stderr, "idguardctl audit: --until is before --since\n");
		return CTL_EXIT_USAGE;
	}
	o->output = summary ? OUT_SUMMARY : csv ? OUT_CSV : json ? OUT_JSON : OUT_TABLE;
	o->json = json; /* for --summary: JSON instead of text */
	return 0;
}

static int open_journal(const struct audit_options *o, sd_journal **ret)
{
	const char *const *ids;
	size_t n_ids = idg_audit_message_ids(&ids);
	int r;

	if (o->n_files)
		r = sd_journal_open_files(ret, (const char **)o->files, 0);
	else if (o->directory)
		r = sd_journal_open_directory(ret, o->directory, 0);
	else
		r = sd_journal_open(ret, 0);
	if (r == -EACCES || r == -EPERM)
		return print_no_access(o);
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl audit: cannot open %s: %s\n",
			      o->directory ? o->directory : o->n_files ? "the journal files" : "the journal", strerror(-r));
		return CTL_EXIT_FAILED;
	}
	/* Same field: "or"; different fields: "and". */
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

static void print_header(const struct audit_options *o)
{
	static bool printed;

	if (printed)
		return;
	printed = true;
	if (o->output == OUT_TABLE)
		print_table_header();
	else if (o->output == OUT_CSV)
		print_csv_header();
}

/* Prints (or sums) entries from the current position; returns how many. */
static long emit_entries(sd_journal *j, const struct audit_options *o, struct summary *s, bool *ret_error)
{
	long n = 0;
	int r;

	while ((r = sd_journal_next(j)) > 0) {
		struct idg_audit_row row = { 0 };

		if (read_row(j, &row) < 0) {
			*ret_error = true;
			idg_audit_row_clear(&row);
			break;
		}
		if (o->has_since && row.time_usec < o->since) {
			idg_audit_row_clear(&row);
			continue;
		}
		/* Not "break": after a clock step a later record can come first. */
		if (o->has_until && row.time_usec > o->until) {
			idg_audit_row_clear(&row);
			continue;
		}
		print_header(o);
		switch (o->output) {
		case OUT_TABLE:
			print_table_row(&row);
			break;
		case OUT_JSON:
			print_json_row(&row);
			break;
		case OUT_CSV:
			print_csv_row(&row);
			break;
		case OUT_SUMMARY:
			summary_add(s, &row);
			break;
		}
		idg_audit_row_clear(&row);
		n++;
	}
	if (r < 0)
		*ret_error = true;
	(void)fflush(stdout);
	return n;
}

int ctl_audit(const struct ctl *ctl, int argc, char **argv)
{
	struct audit_options o = { 0 };
	struct summary s = {
		.hosts = json_object_new_object(), .users = json_object_new_object(),
		.classes = json_object_new_object(), .verdicts = json_object_new_object(),
		.purposes = json_object_new_object(), .approvers = json_object_new_object(),
		.refused_users = json_object_new_object(), .refused_devices = json_object_new_object(),
	};
	bool error = false;
	sd_journal *j = NULL;
	long n;
	int r;

	r = parse_options(argc, argv, &o);
	if (r == 0 && ctl->json) { /* idguardctl --json audit */
		o.json = true;
		if (o.output == OUT_TABLE)
			o.output = OUT_JSON;
	}
	if (r == 0)
		r = open_journal(&o, &j);
	if (r) {
		r = r == CTL_HELP_SHOWN ? CTL_EXIT_OK : r;
		goto out;
	}
	if (o.has_since)
		(void)sd_journal_seek_realtime_usec(j, o.since);
	else
		(void)sd_journal_seek_head(j);
	n = emit_entries(j, &o, &s, &error);
	if (n == 0 && (r = explain_no_access(&o)))
		goto out;
	print_header(&o); /* also when nothing matched: the columns say what would be there */
	if (o.output == OUT_SUMMARY)
		summary_print(&s, o.json);
	while (o.follow && !error) {
		r = sd_journal_wait(j, (uint64_t)-1);
		if (r < 0) {
			(void)fprintf(stderr, "idguardctl audit: %s\n", strerror(-r));
			error = true;
			break;
		}
		(void)emit_entries(j, &o, &s, &error);
	}
	r = error ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	if (error)
		(void)fprintf(stderr, "idguardctl audit: reading the journal failed part way\n");
out:
	if (j)
		sd_journal_close(j);
	for (size_t i = 0; i < o.n_filters; i++)
		free((char *)o.filters[i]);
	json_object_put(s.hosts);
	json_object_put(s.users);
	json_object_put(s.classes);
	json_object_put(s.verdicts);
	json_object_put(s.purposes);
	json_object_put(s.approvers);
	json_object_put(s.refused_users);
	json_object_put(s.refused_devices);
	return r;
}
