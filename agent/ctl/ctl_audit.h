/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idguardctl audit, in parts: the options (ctl_audit.c), reading the
 * journal into rows (audit_journal.c, audit_rows.c), the table
 * (audit_table.c), JSON lines and CSV (audit_export.c), the summary
 * (audit_summary.c), and what to say when the journal cannot be read
 * (audit_access.c).
 */
#ifndef IDG_CTL_AUDIT_H
#define IDG_CTL_AUDIT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-journal.h>

#include "audit.h"

#define AUDIT_MAX_FILTERS 16
#define AUDIT_MAX_FILES 64
/* Ids by their first digits: at most this many whole ids become journal
 * matches; more are filtered as the rows are read. */
#define AUDIT_MAX_ID_MATCHES 256
/* How far past --until reading goes on, for records after a clock step. */
#define AUDIT_CLOCK_STEP_USEC (24ull * 3600 * 1000000)

enum audit_output { OUT_TABLE, OUT_JSON, OUT_CSV, OUT_ECS, OUT_SUMMARY, OUT_REPORT };

struct audit_names;

/* Where the rows' host came from (the report says which). */
enum audit_host_source {
	HOST_CLAIMED,         /* _HOSTNAME: what each workstation wrote */
	HOST_COLLECTOR,       /* the address the collector filed it under */
	HOST_COLLECTOR_NAMED, /* that address, named by the site's names file */
};

/* The default names file: "ADDRESS NAME" lines, as /etc/hosts. */
#define AUDIT_NAMES_FILE "/etc/idguard/workstations"

struct audit_options {
	const char *directory;
	const char *files[AUDIT_MAX_FILES + 1];
	size_t n_files;
	uint64_t since, until;
	bool has_since, has_until;
	const char *filters[AUDIT_MAX_FILTERS]; /* "FIELD=value" */
	size_t n_filters;
	const char *events[AUDIT_MAX_FILTERS];  /* MESSAGE_IDs of --event; none: all of idguard's */
	size_t n_events;
	/* Matched on the rows read (the journal matches only whole values):
	 * host globs, and token and request ids by their first digits. */
	const char *host_globs[AUDIT_MAX_FILTERS];
	size_t n_host_globs;
	char *token_prefixes[AUDIT_MAX_FILTERS];
	size_t n_token_prefixes;
	char *request_prefixes[AUDIT_MAX_FILTERS];
	size_t n_request_prefixes;
	enum audit_output output;
	bool json;
	bool follow;
	bool wide;               /* --wide/--full: no value cut in the table */
	bool bom;                /* --bom: CSV starts with a UTF-8 byte-order mark */
	bool summary_csv;        /* --summary --csv */
	const char *output_path; /* --output FILE (the report), else stdout */
	const char *names_path;  /* --names FILE; NULL: AUDIT_NAMES_FILE where it exists */
	struct audit_names *names; /* loaded from it, or NULL */
	enum audit_host_source host_source; /* found while reading */
	size_t senders_named, senders_unnamed;
	char command_line[1024]; /* the filters given, for the report */
};

/* audit_rows.c: one journal entry as a row, and what rows say. */
int audit_read_row(sd_journal *j, struct idg_audit_row *row);
const char *audit_value(const struct idg_audit_row *row, enum idg_audit_field f);
/* The attempts a record counts (IDGUARD_COUNT, else 1). */
uint64_t audit_count_of(const struct idg_audit_row *row);
/* What the record is about, in a few words. */
void audit_what_of(const struct idg_audit_row *row, char *buf, size_t size);

/* audit_table.c, audit_export.c. show_whole: --wide, nothing cut. */
void audit_table_setup(bool show_whole);
void audit_print_table_header(void);
void audit_print_table_row(const struct idg_audit_row *row);
void audit_print_json_row(const struct idg_audit_row *row);
void audit_print_csv_header(bool bom);
void audit_print_ecs_row(const struct idg_audit_row *row);
void audit_print_csv_row(const struct idg_audit_row *row);

/* audit_summary.c */
struct audit_summary;
struct audit_summary *audit_summary_new(void);
void audit_summary_add(struct audit_summary *s, const struct idg_audit_row *row);
enum audit_summary_format { AUDIT_SUMMARY_TEXT, AUDIT_SUMMARY_JSON, AUDIT_SUMMARY_CSV };
void audit_summary_print(struct audit_summary *s, enum audit_summary_format format, bool bom);
void audit_summary_free(struct audit_summary *s);
/* Where the rows' hosts come from, for the summary and the report. */
void audit_summary_set_hosts(struct audit_summary *s, enum audit_host_source source, const char *names_file);
/* A journal file that could not be read, its records left out. */
void audit_summary_left_out(struct audit_summary *s, const char *file);
/* That, in a sentence (the summary's "host_source", "names_file"). */
const char *audit_host_source_text(const char *source, const char *names_file);
/* The summary as one JSON object (what --summary --json prints). */
struct json_object *audit_summary_json(struct audit_summary *s);

/* audit_names.c: the site's names for the collector's senders (addresses),
 * from a file of "ADDRESS NAME" lines. Not found and not required: 0 with
 * *ret NULL. A mistake: said with FILE:LINE, and an exit code. */
int audit_names_load(const char *path, bool required, struct audit_names **ret);
const char *audit_names_lookup(const struct audit_names *names, const char *address);
void audit_names_free(struct audit_names *names);

/* audit_report.c: the printable HTML report of a summary. */
#include <stdio.h>
int audit_report_html(struct audit_summary *s, const struct audit_options *o, FILE *out);

/* audit_access.c: when nothing could be read, whether it is for lack of
 * permission; says so (pointing staff to `idguardctl why`) and returns
 * the exit code, or 0. */
int audit_explain_no_access(const struct audit_options *o);
int audit_print_no_access(const struct audit_options *o);

/* audit_journal.c: the journal opened with idguard's matches and the
 * filters; then rows printed or summed from the current position. */
int audit_open_journal(const struct audit_options *o, sd_journal **ret);
/* The same on these files only (NULL-terminated). */
int audit_open_files(const struct audit_options *o, const char **files, sd_journal **ret);
bool audit_in_window(const struct audit_options *o, const struct idg_audit_row *row);
/* Whether reading can stop: the row is well after --until. */
bool audit_past_window(const struct audit_options *o, const struct idg_audit_row *row);
/* Whether --host asks for this host. */
bool audit_host_wanted(const struct audit_options *o, const char *host);
/* --token and --request given by their first digits, made journal
 * matches of the whole ids these files hold. 0: none of the files' ids
 * has them (nothing to read); 1: go on. */
int audit_narrow_to_ids(const struct audit_options *o, sd_journal *j);
void audit_emit_row(const struct audit_options *o, struct audit_summary *s, const struct idg_audit_row *row);
/* audit_senders.c: a collector's directory where systemd-journal-remote
 * filed each sender's records in files of its own (remote-NAME.journal):
 * each sender read on its own, merged in time, and the host of each row is
 * the NAME the collector filed it under, not the _HOSTNAME the sender
 * wrote (kept as claimed_host). *ret_used false: no such files, nothing
 * done. */
long audit_emit_by_sender(struct audit_options *o, struct audit_summary *s, bool *ret_error, bool *ret_used);
/* Whether a row passes the filters the journal could not apply. */
bool audit_row_wanted(const struct audit_options *o, const struct idg_audit_row *row);
long audit_emit_entries(sd_journal *j, const struct audit_options *o, struct audit_summary *s, bool *ret_error);
void audit_print_header(const struct audit_options *o);

#endif
