/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Diagnostics with a place: "FILE:LINE: error: message". The policy parser
 * and the watch-list builder collect every problem instead of stopping at the
 * first, so an administrator fixes a file in one pass.
 */
#ifndef IDG_DIAG_H
#define IDG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct idg_diag {
	char *file;    /* NULL when not tied to a file */
	unsigned line; /* 0 when not tied to a line */
	bool warning;
	char *message;
};

/* Errors kept, and warnings kept; past that each kind is only counted, in
 * one last diagnostic "N more errors not shown", so that a file of a
 * million bad lines is refused with a hundred lines of text (and journal
 * records), not a million. count and errors count what is kept. */
#define IDG_DIAGS_KEPT 100

struct idg_diags {
	struct idg_diag *items;
	size_t count;
	size_t allocated;
	size_t errors;
	size_t omitted[2];    /* [warning]: not kept */
	size_t omitted_at[2]; /* [warning]: the item that counts them */
};

/* Appends one diagnostic (or counts it, see IDG_DIAGS_KEPT); returns -ENOMEM
 * when it cannot be stored. */
int idg_diag_add(struct idg_diags *diags, const char *file, unsigned line, bool warning,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* How many errors and warnings there were in all, those only counted
 * included (for summaries: "3 errors"). */
size_t idg_diags_error_total(const struct idg_diags *diags);
size_t idg_diags_warning_total(const struct idg_diags *diags);
/* One diagnostic as "FILE:LINE: error: message". */
void idg_diag_format(const struct idg_diag *diag, char *buf, size_t size);
/* Writes "FILE:LINE: error: message" lines. */
void idg_diags_print(const struct idg_diags *diags, FILE *out);
/* First error as one line (for a journal entry or a status reply). */
void idg_diags_first_error(const struct idg_diags *diags, char *buf, size_t size);
void idg_diags_clear(struct idg_diags *diags);

#endif
