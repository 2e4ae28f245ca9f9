/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Recognising a Chinese resident ID number (GB 11643-1999) in free text, as
 * people write it: grouped with spaces or dashes, in full-width digits, or
 * in the 15-digit first-generation form. A purpose token's case reference
 * ends up in the journal with every event raised under its grant, so a
 * reference that carries card data would copy that data into logs, which
 * Article 8 forbids; the token is refused instead, and other values that
 * reach a record, a reply or an output are withheld (idg_withhold()).
 */
#ifndef IDG_IDNUMBER_H
#define IDG_IDNUMBER_H

#include <stdbool.h>
#include <stddef.h>

/* What replaces a withheld value in every record, reply and output. */
#define IDG_WITHHELD "[withheld]"

/* True when text is exactly 18 characters: 17 ASCII digits and a check
 * character (a digit, 'X' or 'x') that satisfies ISO 7064 MOD 11-2.
 * False for NULL. The strict form, for a value already cut to 18 bytes. */
bool idg_is_id_number(const char *text18);

/* Finds the first ID-number-shaped span in text[0..len): 18-digit numbers with a
 * valid GB 11643 checksum (check character 0-9, X, x, or full-width Ｘ/ｘ) and
 * 15-digit first-generation numbers with a valid date of birth, in ASCII or
 * full-width digits, optionally grouped by single separators (space, hyphen,
 * tab, no-break space U+00A0, ideographic space U+3000, U+2010..U+2015 dashes,
 * full-width hyphen-minus U+FF0D). On success sets [*start, *end) to the bytes
 * of the span (first digit to check character) and returns true; otherwise
 * returns false and leaves *start and *end alone. Any bytes may be in text
 * (NUL included); the scan is linear in len and reads nothing past it.
 * The rules in detail are at the top of idnumber.c. */
bool idg_find_id_number(const char *text, size_t len, size_t *start, size_t *end);

/* True when idg_find_id_number() finds one in the NUL-terminated text.
 * False for NULL and "". */
bool idg_contains_id_number(const char *text);

/* Rewrites text in place, every such span replaced by IDG_WITHHELD (the mark is
 * shorter than any span, so the text never grows). Returns how many were
 * withheld. NULL-safe. */
size_t idg_withhold(char *text);

#endif
