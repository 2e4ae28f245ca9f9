/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text as a terminal shows it: how many columns a UTF-8 string takes
 * (CJK characters two, combining marks none), and fitting one into a
 * column without altering what it says: cut only between characters, and
 * marked with "…" when cut. Independent of the caller's locale.
 */
#ifndef IDG_TEXTWIDTH_H
#define IDG_TEXTWIDTH_H

#include <stddef.h>
#include <stdio.h>

/* Columns s takes; an invalid byte counts as one column. */
size_t idg_text_width(const char *s);

/* s, cut to at most width columns with "…" as its last column when it does
 * not fit, into buf (always NUL-terminated). Returns the columns written. */
size_t idg_text_fit(const char *s, size_t width, char *buf, size_t size);

/* Writes s to out padded with spaces to width columns (s in full, even
 * when wider). */
void idg_text_pad(FILE *out, const char *s, size_t width);

#endif
