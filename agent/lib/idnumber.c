// SPDX-License-Identifier: GPL-2.0-only
/*
 * The GB 11643-1999 check: 17 digits weighted by 2^(17-i) mod 11 (the table
 * below), the sum mod 11 choosing the 18th character. Only the checksum is
 * tested, not the region code or the birth date: a made-up number that
 * passes the checksum looks like card data to anyone reading the log, and
 * refusing one reference too many costs an approver only a re-typed token.
 */
#include "idnumber.h"

#include <stddef.h>

#define ID_LENGTH 18

static const unsigned char weights[ID_LENGTH - 1] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
static const char check_chars[] = "10X98765432";

/* Not isdigit(): that follows the locale, and only ASCII digits count. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Checks the 18 characters at p; the caller knows they are there. */
static bool valid_at(const char *p)
{
	unsigned sum = 0;
	char check;

	for (size_t i = 0; i < ID_LENGTH - 1; i++) {
		if (!is_digit(p[i]))
			return false;
		sum += (unsigned)(p[i] - '0') * weights[i];
	}
	check = p[ID_LENGTH - 1] == 'x' ? 'X' : p[ID_LENGTH - 1];
	return check == check_chars[sum % 11];
}

bool idg_is_id_number(const char *text18)
{
	size_t len = 0;

	if (!text18)
		return false;
	while (len <= ID_LENGTH && text18[len])
		len++;
	return len == ID_LENGTH && valid_at(text18);
}

bool idg_contains_id_number(const char *text)
{
	const char *p = text;

	if (!text)
		return false;
	/* Walk maximal runs of digits. A number is a run of exactly 18, or of
	 * exactly 17 followed by X or x; what follows the X does not matter,
	 * so "…002X5" still counts (refusing errs on the safe side). */
	while (*p) {
		const char *start;
		size_t run;

		if (!is_digit(*p)) {
			p++;
			continue;
		}
		start = p;
		while (is_digit(*p))
			p++;
		run = (size_t)(p - start);
		if (run == ID_LENGTH && valid_at(start))
			return true;
		if (run == ID_LENGTH - 1 && (*p == 'X' || *p == 'x') && valid_at(start))
			return true;
	}
	return false;
}
