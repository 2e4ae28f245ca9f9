// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit table: a line per record. Columns are measured in display
 * columns (a CJK character takes two); a value wider than its column is
 * cut between characters and marked with "…", never shortened silently
 * into another valid value, and --wide shows every value whole.
 */
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "textwidth.h"
#include "util.h"

enum column { COL_TIME, COL_HOST, COL_EVENT, COL_USER, COL_CLASS, COL_PROGRAM, COL_COUNT, COL_WHAT, N_COLUMNS };

static const struct {
	const char *title;
	size_t width;
} columns[N_COLUMNS] = {
	[COL_TIME] = { "TIME", 19 },   [COL_HOST] = { "HOST", 16 },       [COL_EVENT] = { "EVENT", 16 },
	[COL_USER] = { "USER", 12 },   [COL_CLASS] = { "CLASS", 12 },     [COL_PROGRAM] = { "PROGRAM", 20 },
	[COL_COUNT] = { "COUNT", 6 },  [COL_WHAT] = { "WHAT", 0 },
};

static bool wide;
static size_t what_width; /* 0: whole */

void audit_table_setup(bool show_whole)
{
	struct winsize ws;
	size_t before = 0;

	wide = show_whole;
	what_width = 0;
	for (int c = 0; c < COL_WHAT; c++)
		before += columns[c].width + 2;
	/* On a terminal the last column ends at its edge; piped, it is whole. */
	if (!wide && isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > before + 20)
		what_width = ws.ws_col - before;
}

static void cell(enum column c, const char *text)
{
	char fitted[1024];
	size_t width = columns[c].width;

	if (c == COL_WHAT) {
		if (what_width && !wide)
			(void)idg_text_fit(text, what_width, fitted, sizeof(fitted));
		(void)fputs(what_width && !wide ? fitted : text, stdout);
		return;
	}
	if (!wide)
		(void)idg_text_fit(text, width, fitted, sizeof(fitted));
	if (c == COL_COUNT) {
		/* Right-aligned numbers. */
		for (size_t w = idg_text_width(wide ? text : fitted); w < width; w++)
			(void)fputc(' ', stdout);
		(void)fputs(wide ? text : fitted, stdout);
	} else {
		idg_text_pad(stdout, wide ? text : fitted, width);
	}
	(void)fputs("  ", stdout);
}

void audit_print_table_header(void)
{
	for (int c = 0; c < N_COLUMNS; c++)
		cell((enum column)c, columns[c].title);
	(void)fputc('\n', stdout);
}

void audit_print_table_row(const struct idg_audit_row *row)
{
	char when[32], what[2048], program[300] = "";

	idg_format_time(row->time_usec, when, sizeof(when));
	audit_what_of(row, what, sizeof(what));
	if (row->values[IDG_AF_COMM])
		(void)snprintf(program, sizeof(program), row->values[IDG_AF_PID] ? "%s (%s)" : "%s",
			       audit_value(row, IDG_AF_COMM), audit_value(row, IDG_AF_PID));
	cell(COL_TIME, when);
	cell(COL_HOST, audit_value(row, IDG_AF_HOST));
	cell(COL_EVENT, audit_value(row, IDG_AF_EVENT));
	cell(COL_USER, audit_value(row, IDG_AF_USER));
	cell(COL_CLASS, audit_value(row, IDG_AF_CLASS));
	cell(COL_PROGRAM, program);
	cell(COL_COUNT, audit_value(row, IDG_AF_COUNT));
	cell(COL_WHAT, what);
	if (row->redacted)
		(void)fputs("  [REDACTED]", stdout);
	(void)fputc('\n', stdout);
}
