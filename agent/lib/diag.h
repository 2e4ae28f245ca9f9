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

struct idg_diags {
	struct idg_diag *items;
	size_t count;
	size_t allocated;
	size_t errors;
};

/* Appends one diagnostic; returns -ENOMEM when it cannot be stored. */
int idg_diag_add(struct idg_diags *diags, const char *file, unsigned line, bool warning,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* One diagnostic as "FILE:LINE: error: message". */
void idg_diag_format(const struct idg_diag *diag, char *buf, size_t size);
/* Writes "FILE:LINE: error: message" lines. */
void idg_diags_print(const struct idg_diags *diags, FILE *out);
/* First error as one line (for a journal entry or a status reply). */
void idg_diags_first_error(const struct idg_diags *diags, char *buf, size_t size);
void idg_diags_clear(struct idg_diags *diags);

#endif
