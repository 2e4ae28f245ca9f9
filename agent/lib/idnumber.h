/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Recognising a Chinese resident ID number (GB 11643-1999) in free text.
 * A purpose token's case reference ends up in the journal with every event
 * raised under its grant, so a reference that carries card data would copy
 * that data into logs, which Article 8 forbids; the token is refused instead.
 */
#ifndef IDG_IDNUMBER_H
#define IDG_IDNUMBER_H

#include <stdbool.h>

/* True when text is exactly 18 characters: 17 digits and a check character
 * (a digit, 'X' or 'x') that satisfies ISO 7064 MOD 11-2. False for NULL. */
bool idg_is_id_number(const char *text18);

/* True when text contains such 18 characters that are not part of a longer
 * run of digits anywhere in it. False for NULL and "". */
bool idg_contains_id_number(const char *text);

#endif
