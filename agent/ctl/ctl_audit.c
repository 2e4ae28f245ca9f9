// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl audit: idguard's records from a journal (this machine's, a
 * collector's directory, or files), filtered, as a table, JSON lines or
 * CSV, or summed up; --follow tails. Reading the journal needs membership
 * of idguard-auditors (or adm / systemd-journal); the command says so when
 * it cannot read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "audit.h"
#include "ctl.h"
#include "ctl_audit.h"
#include "names.h"
#include "notice_text.h"
#include "util.h"

static const char audit_help[] =
	"Usage: idguardctl audit [OPTIONS]\n"
	"Shows idguard's journal records: refusals, audited and granted access, tokens,\n"
	"grants, devices, and the agent's own records.\n"
	"\n"
	"Where from (default: this machine's journal):\n"
	"  -D, --directory DIR   a journal directory, e.g. a collector's /var/log/journal/remote\n"
	"      --file FILE       a journal file (repeatable)\n"
	"      --names FILE      the site's names for a collector's senders, lines of\n"
	"                        ADDRESS NAME (default: " AUDIT_NAMES_FILE ", if it exists)\n"
	"Which records (repeat an option for \"or\"; different options combine with \"and\"):\n"
	"  -S, --since TIME      from TIME, in the forms journalctl takes: 2026-11-22,\n"
	"  -U, --until TIME        '2026-11-22 09:30[:15]', 15:00 (today), 'Sun 2026-11-22',\n"
	"                        '... UTC', today, yesterday, -2h, '3 days ago', @EPOCH\n"
	"      --host HOST       the workstation, or a glob of them ('ws-0*'): on a collector\n"
	"                        the address its records came from, or its name from --names;\n"
	"                        elsewhere the host name it wrote (_HOSTNAME)\n"
	"      --user USER       the user the record is about\n"
	"      --class CLASS     scanner, camera, card-reader, printer, storage, ...\n"
	"      --verdict V       denied, audited or granted\n"
	"      --purpose P       the purpose of the token\n"
	"      --approver ID     the approver who signed the token\n"
	"      --ref REF         the case reference\n"
	"      --token ID        the token id, or its first 8 or more hex digits\n"
	"      --request ID      the request id, as the clerk read it (B4A4-EAE7), or whole\n"
	"      --event KIND      access-denied, token-redeemed, grant-added, request-ended,\n"
	"                        ... (an unknown one is listed with the known ones)\n"
	"How:\n"
	"      --json            one JSON object per line (numbers as numbers)\n"
	"      --csv             CSV (RFC 4180) with a header line; --bom adds the UTF-8\n"
	"                        byte-order mark Excel needs to read Chinese text right\n"
	"      --ecs             JSON lines in Elastic Common Schema fields, for a SIEM\n"
	"      --summary         every kind of record with its attempts; refusals by\n"
	"                        workstation, user, program, class and day; token uses\n"
	"                        by purpose and approver; administrator grants apart;\n"
	"                        every use without an approver (text, --json or --csv)\n"
	"      --wide, --full    the table with every value whole (by default a value\n"
	"                        wider than its column is cut and marked with \"…\")\n"
	"      --report html     a printable report of the summary (HTML, charts as SVG,\n"
	"                        print styles for A4), in the locale's language\n"
	"  -o, --output FILE     where the report goes (default: standard output)\n"
	"  -f, --follow          keep printing new records (not with --summary)\n"
	"\n"
	"Counts are attempts: a record of repeated attempts counts IDGUARD_COUNT times.\n"
	"A value that looks like a resident ID number is shown as [withheld] and the\n"
	"record is flagged. Only records written by root are shown (what idguardd and\n"
	"idguardctl write); a user's own entries with idguard's message ids are not.\n"
	"In CSV, a value starting with = + - or @ gets a leading ' (spreadsheets would\n"
	"run it as a formula). Reading the journal needs the idguard-auditors group.\n";

static int add_filter(struct audit_options *o, const char *field, const char *text)
{
	char *filter;

	if (o->n_filters == AUDIT_MAX_FILTERS) {
		(void)fprintf(stderr, "idguardctl audit: at most %d filters\n", AUDIT_MAX_FILTERS);
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

static int add_to(const char **list, size_t *n, const char *value, const char *option)
{
	if (*n == AUDIT_MAX_FILTERS) {
		(void)fprintf(stderr, "idguardctl audit: at most %d %s options\n", AUDIT_MAX_FILTERS, option);
		return CTL_EXIT_USAGE;
	}
	list[(*n)++] = value;
	return 0;
}

/* Whole ids: a request's 8 random bytes, a token's 16 (token.h). */
#define REQUEST_ID_HEX 16
#define TOKEN_ID_HEX 32

/* A token or request id, whole or by its first digits as messages and
 * people give them ("B4A4-EAE7", "3f9a1c7e"): at least 8 hex digits. */
static int add_id_prefix(struct audit_options *o, char **list, size_t *n, const char *text, const char *option,
			 const char *field, size_t whole_len)
{
	char hex[65];
	size_t len = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '-')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *p) || len == sizeof(hex) - 1) {
			len = 0;
			break;
		}
		hex[len++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	}
	if (len < 8) {
		(void)fprintf(stderr, "idguardctl audit: %s takes an id, or its first 8 or more hex digits (as B4A4-EAE7), "
				      "not '%s'\n", option, text);
		return CTL_EXIT_USAGE;
	}
	hex[len] = '\0';
	/* A whole id is a journal match, found through the index as
	 * journalctl finds it; only a part of one needs the search. */
	if (len == whole_len)
		return add_filter(o, field, hex);
	if (*n == AUDIT_MAX_FILTERS) {
		(void)fprintf(stderr, "idguardctl audit: at most %d %s options\n", AUDIT_MAX_FILTERS, option);
		return CTL_EXIT_USAGE;
	}
	list[*n] = strdup(hex);
	if (!list[*n])
		return CTL_EXIT_FAILED;
	(*n)++;
	return 0;
}

static void print_event_names(FILE *out)
{
	const char *const *ids;
	size_t n = idg_audit_message_ids(&ids);

	for (size_t i = 0; i < n; i++)
		(void)fprintf(out, "%s%s", i ? ", " : "", idg_audit_event_name(ids[i]));
}

/* The options that chose the records, as given, for the report. */
static void describe_filters(int argc, char **argv, struct audit_options *o)
{
	size_t used = 0;

	o->command_line[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--report") || streq(argv[i], "--output") || streq(argv[i], "-o")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--report=", 9) || !strncmp(argv[i], "--output=", 9))
			continue;
		used += (size_t)snprintf(o->command_line + used, used < sizeof(o->command_line) ?
								   sizeof(o->command_line) - used : 0,
					 "%s%s", used ? " " : "", argv[i]);
		if (used >= sizeof(o->command_line))
			break;
	}
}

static int parse_options(int argc, char **argv, struct audit_options *o)
{
	static const struct option options[] = {
		{ "directory", required_argument, NULL, 'D' }, { "file", required_argument, NULL, 'F' },
		{ "since", required_argument, NULL, 'S' },     { "until", required_argument, NULL, 'U' },
		{ "host", required_argument, NULL, 'H' },      { "user", required_argument, NULL, 'u' },
		{ "class", required_argument, NULL, 'c' },     { "verdict", required_argument, NULL, 'v' },
		{ "purpose", required_argument, NULL, 'p' },   { "token", required_argument, NULL, 't' },
		{ "approver", required_argument, NULL, 'a' },  { "ref", required_argument, NULL, 'r' },
		{ "event", required_argument, NULL, 'e' },     { "request", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },            { "csv", no_argument, NULL, 'C' },
		{ "summary", no_argument, NULL, 's' },         { "follow", no_argument, NULL, 'f' },
		{ "wide", no_argument, NULL, 'W' },            { "full", no_argument, NULL, 'W' },
		{ "bom", no_argument, NULL, 'B' },             { "ecs", no_argument, NULL, 'E' },
		{ "report", required_argument, NULL, 'P' },    { "output", required_argument, NULL, 'o' },
		{ "names", required_argument, NULL, 'N' },     { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t now = idg_now_realtime_usec();
	bool json = false, csv = false, summary = false, ecs = false, report = false;
	int c, r = 0;

	optind = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "D:S:U:o:fjh", options, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->directory = optarg;
			break;
		case 'N':
			o->names_path = optarg;
			break;
		case 'F':
			if (o->n_files == AUDIT_MAX_FILES) {
				(void)fprintf(stderr, "idguardctl audit: at most %d --file options\n", AUDIT_MAX_FILES);
				return CTL_EXIT_USAGE;
			}
			o->files[o->n_files++] = optarg;
			break;
		case 'S':
		case 'U':
			if (idg_audit_parse_time(optarg, now, c == 'S' ? &o->since : &o->until) < 0) {
				(void)fprintf(stderr,
					      "idguardctl audit: '%s' is not a time (try 2026-11-22, '2026-11-22 09:30', 15:00, "
					      "today, yesterday, -2h, '3 days ago', '2026-11-22 09:30 UTC')\n", optarg);
				return CTL_EXIT_USAGE;
			}
			*(c == 'S' ? &o->has_since : &o->has_until) = true;
			break;
		case 'H':
			/* Matched on the rows: the host is the collector's name for
			 * the sender where it has one, which the journal's own
			 * matches cannot see; a glob matches many. */
			r = add_to(o->host_globs, &o->n_host_globs, optarg, "--host");
			break;
		case 'u':
			r = add_filter(o, "IDGUARD_USER", optarg);
			break;
		case 'c':
			if (idg_class_from_name(optarg) <= 0) {
				(void)fprintf(stderr, "idguardctl audit: unknown class '%s' (known: " IDG_CLASS_NAMES_TEXT ")\n",
					      optarg);
				return CTL_EXIT_USAGE;
			}
			r = add_filter(o, "IDGUARD_CLASS", optarg);
			break;
		case 'e':
			if (!idg_audit_event_id(optarg)) {
				(void)fprintf(stderr, "idguardctl audit: unknown event '%s' (known: ", optarg);
				print_event_names(stderr);
				(void)fputs(")\n", stderr);
				return CTL_EXIT_USAGE;
			}
			r = add_to(o->events, &o->n_events, idg_audit_event_id(optarg), "--event");
			break;
		case 'a':
			r = add_filter(o, "IDGUARD_APPROVER", optarg);
			break;
		case 'r':
			r = add_filter(o, "IDGUARD_REF", optarg);
			break;
		case 'R':
			r = add_id_prefix(o, o->request_prefixes, &o->n_request_prefixes, optarg, "--request",
					  "IDGUARD_REQUEST_ID", REQUEST_ID_HEX);
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
			r = add_id_prefix(o, o->token_prefixes, &o->n_token_prefixes, optarg, "--token", "IDGUARD_TOKEN_ID",
					  TOKEN_ID_HEX);
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
		case 'W':
			o->wide = true;
			break;
		case 'B':
			o->bom = true;
			break;
		case 'P':
			if (!streq(optarg, "html")) {
				(void)fprintf(stderr, "idguardctl audit: --report takes html, not '%s'\n", optarg);
				return CTL_EXIT_USAGE;
			}
			report = true;
			break;
		case 'o':
			o->output_path = optarg;
			break;
		case 'E':
			ecs = true;
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
	if (csv + json + ecs > 1) {
		(void)fprintf(stderr, "idguardctl audit: one of --csv, --json and --ecs\n");
		return CTL_EXIT_USAGE;
	}
	if (o->bom && !csv) {
		(void)fprintf(stderr, "idguardctl audit: --bom goes with --csv\n");
		return CTL_EXIT_USAGE;
	}
	if (o->names_path && !o->directory && !o->n_files) {
		(void)fprintf(stderr, "idguardctl audit: --names names a collector's senders: give its directory "
				      "(-D /var/log/journal/remote) or files\n");
		return CTL_EXIT_USAGE;
	}
	if (o->follow && o->has_until) {
		(void)fprintf(stderr, "idguardctl audit: --follow and --until do not go together\n");
		return CTL_EXIT_USAGE;
	}
	if (summary && (ecs || o->follow)) {
		(void)fprintf(stderr, "idguardctl audit: --summary is text, --json or --csv (not --ecs or --follow)\n");
		return CTL_EXIT_USAGE;
	}
	o->summary_csv = summary && csv;
	if (o->has_since && o->has_until && o->until < o->since) {
		(void)fprintf(stderr, "idguardctl audit: --until is before --since\n");
		return CTL_EXIT_USAGE;
	}
	if (report && (summary || csv || json || ecs || o->follow)) {
		(void)fprintf(stderr, "idguardctl audit: --report html goes alone (with filters and --output)\n");
		return CTL_EXIT_USAGE;
	}
	if (o->output_path && !report) {
		(void)fprintf(stderr, "idguardctl audit: --output goes with --report\n");
		return CTL_EXIT_USAGE;
	}
	describe_filters(argc, argv, o);
	o->output = report ? OUT_REPORT : summary ? OUT_SUMMARY : csv ? OUT_CSV : ecs ? OUT_ECS : json ? OUT_JSON : OUT_TABLE;
	o->json = json; /* for --summary: JSON instead of text */
	return 0;
}

static int write_report(struct audit_summary *s, const struct audit_options *o)
{
	FILE *out = stdout;
	int r;

	idg_i18n_init();
	if (o->output_path) {
		out = fopen(o->output_path, "we");
		if (!out) {
			(void)fprintf(stderr, "idguardctl audit: cannot write %s: %s\n", o->output_path, strerror(errno));
			return CTL_EXIT_FAILED;
		}
	}
	r = audit_report_html(s, o, out);
	if (out != stdout && fclose(out) != 0)
		r = -EIO;
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl audit: cannot write the report%s%s\n", o->output_path ? " to " : "",
			      o->output_path ? o->output_path : "");
		return CTL_EXIT_FAILED;
	}
	if (o->output_path)
		(void)fprintf(stderr, "idguardctl audit: the report is in %s\n", o->output_path);
	return 0;
}

int ctl_audit(const struct ctl *ctl, int argc, char **argv)
{
	struct audit_options o = { 0 };
	struct audit_summary *s = audit_summary_new();
	bool error = false, by_sender = false;
	sd_journal *j = NULL;
	long n = 0;
	int r;

	r = parse_options(argc, argv, &o);
	if (r == 0 && ctl->json) { /* idguardctl --json audit */
		o.json = true;
		if (o.output == OUT_TABLE)
			o.output = OUT_JSON;
	}
	if (r == 0)
		audit_table_setup(o.wide);
	if (r == 0 && (o.directory || o.n_files))
		r = audit_names_load(o.names_path ? o.names_path : AUDIT_NAMES_FILE, o.names_path != NULL, &o.names);
	if (r) {
		r = r == CTL_HELP_SHOWN ? CTL_EXIT_OK : r;
		goto out;
	}
	/* A collector's directory or files: each sender by the name the collector
	 * filed it under (not with --follow, which follows one journal). */
	if ((o.directory || o.n_files) && !o.follow)
		n = audit_emit_by_sender(&o, s, &error, &by_sender);
	if (!by_sender) {
		r = audit_open_journal(&o, &j);
		if (r)
			goto out;
		if (o.has_since)
			(void)sd_journal_seek_realtime_usec(j, o.since);
		else
			(void)sd_journal_seek_head(j);
		if (audit_narrow_to_ids(&o, j))
			n = audit_emit_entries(j, &o, s, &error);
	}
	if (n == 0 && (r = audit_explain_no_access(&o)))
		goto out;
	audit_summary_set_hosts(s, o.host_source, o.names_path ? o.names_path : AUDIT_NAMES_FILE);
	audit_print_header(&o); /* also when nothing matched: the columns say what would be there */
	if (o.output == OUT_REPORT)
		r = write_report(s, &o);
	if (o.output == OUT_SUMMARY)
		audit_summary_print(s, o.json ? AUDIT_SUMMARY_JSON : o.summary_csv ? AUDIT_SUMMARY_CSV : AUDIT_SUMMARY_TEXT,
				    o.bom);
	while (o.follow && !error) {
		r = sd_journal_wait(j, (uint64_t)-1);
		if (r < 0) {
			(void)fprintf(stderr, "idguardctl audit: %s\n", strerror(-r));
			error = true;
			break;
		}
		(void)audit_emit_entries(j, &o, s, &error);
	}
	r = error ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	if (error)
		(void)fprintf(stderr, "idguardctl audit: reading the journal failed part way\n");
out:
	if (j)
		sd_journal_close(j);
	for (size_t i = 0; i < o.n_filters; i++)
		free((char *)o.filters[i]);
	for (size_t i = 0; i < o.n_token_prefixes; i++)
		free(o.token_prefixes[i]);
	for (size_t i = 0; i < o.n_request_prefixes; i++)
		free(o.request_prefixes[i]);
	audit_names_free(o.names);
	audit_summary_free(s);
	return r;
}
