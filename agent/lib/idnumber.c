// SPDX-License-Identifier: GPL-2.0-only
/*
 * Finding resident ID numbers in free text, in the forms people write them.
 * The GB 11643-1999 check: 17 digits weighted by 2^(17-i) mod 11 (the table
 * below), the sum mod 11 choosing the 18th character. Of 18 digits only
 * the checksum is tested, not the region code or the birth date: a made-up
 * number that passes the checksum looks like card data to anyone reading
 * the log, and refusing one reference too many costs an approver only a
 * re-typed token.
 *
 * The rules, and why:
 * - A number is a maximal sequence of digits (ASCII or full-width) in which
 *   consecutive digits may stand apart by exactly one separator. People
 *   group ID numbers 6-8-4 or 3-3-4-4-4 with whatever separator comes to
 *   hand; counting the digits of the whole joined sequence, never of a part
 *   of it, keeps a bank card in groups of four (16 or 19 digits), a grouped
 *   phone number or "2026-12-02 10:30" (a number of 10 digits, then 30) from
 *   being read as one.
 * - Two separators in a row, or any other character (letters, '.', '/',
 *   ':'), end a number: a looser rule would join the unrelated numbers of a
 *   line into one, and of a table into a row.
 * - Each unbroken run of digits inside a longer joined number is checked on
 *   its own too. That was the rule before grouping was understood, so
 *   nothing matched then is missed now, and "110101199003074573 13800138000"
 *   (an ID number and a phone number side by side) must not hide the first.
 *   It costs nothing beyond what unbroken 18 and 15-digit runs cost anyway.
 *   A run taken that way splits the number: the digits before it, and those
 *   after it, are judged as numbers of their own, as they would be once the
 *   run is withheld (so idg_withhold() leaves nothing a second pass finds).
 * - 18 digits whose last is the check digit, or 17 digits and a check 'X'
 *   (x, Ｘ, ｘ) directly or after one separator: "1 1 0 1 … 0 0 2 X", spelt
 *   out a character at a time, puts a separator before the X like before
 *   every digit. The price is that a 17-digit number followed by a word
 *   that starts with x is taken one time in eleven.
 * - What follows the check character does not matter, so "…002X5" still
 *   counts (refusing errs on the safe side).
 * - 15 digits (first generation: region, YYMMDD in 19YY, sequence; no check
 *   digit) count when positions 7-12 are a real date: every genuine one has
 *   a real date, and the test turns away all but about 1 in 27 of other
 *   15-digit numbers.
 * - Text may hold any bytes. A byte that does not start one of the
 *   sequences below is some other character and is stepped over alone;
 *   UTF-8 continuation bytes never start one, so valid UTF-8 is never
 *   misread, and a sequence cut short by the end of the text is not read.
 *   One pass, a few characters of look-ahead: linear in the text.
 */
#include "idnumber.h"

#include <string.h>

#define ID_LENGTH 18
#define FIRST_GENERATION_LENGTH 15

static const unsigned char weights[ID_LENGTH - 1] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
static const char check_chars[] = "10X98765432";

enum char_kind {
	CHAR_OTHER,
	CHAR_DIGIT,
	CHAR_CHECK_X,
	CHAR_SEPARATOR,
};

struct text_char {
	enum char_kind kind;
	unsigned char digit; /* its value, for CHAR_DIGIT */
	size_t size;         /* in bytes */
};

/* The digits of a number, or of one unbroken run in it, as far as an ID
 * number needs them; count goes on past ID_LENGTH. */
struct digits {
	size_t start, end; /* bytes: the first digit, after the last */
	size_t count;
	unsigned char value[ID_LENGTH];
};

/* The character at text[pos], pos < len. Not isdigit(): that follows the
 * locale. Bytes are compared, not decoded, so nothing else needs to be
 * valid UTF-8. */
static struct text_char read_char(const unsigned char *text, size_t len, size_t pos)
{
	const unsigned char *p = text + pos;
	size_t left = len - pos;

	if (p[0] >= '0' && p[0] <= '9')
		return (struct text_char){ CHAR_DIGIT, (unsigned char)(p[0] - '0'), 1 };
	if (p[0] == 'X' || p[0] == 'x')
		return (struct text_char){ CHAR_CHECK_X, 0, 1 };
	if (p[0] == ' ' || p[0] == '-' || p[0] == '\t')
		return (struct text_char){ CHAR_SEPARATOR, 0, 1 };
	if (left >= 2 && p[0] == 0xc2 && p[1] == 0xa0) /* U+00A0 no-break space */
		return (struct text_char){ CHAR_SEPARATOR, 0, 2 };
	if (left < 3)
		return (struct text_char){ CHAR_OTHER, 0, 1 };
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) /* U+3000 ideographic space */
		return (struct text_char){ CHAR_SEPARATOR, 0, 3 };
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x95) /* U+2010..U+2015 dashes */
		return (struct text_char){ CHAR_SEPARATOR, 0, 3 };
	if (p[0] == 0xef && p[1] == 0xbc) {
		if (p[2] >= 0x90 && p[2] <= 0x99) /* U+FF10..U+FF19 full-width digits */
			return (struct text_char){ CHAR_DIGIT, (unsigned char)(p[2] - 0x90), 3 };
		if (p[2] == 0x8d) /* U+FF0D full-width hyphen-minus */
			return (struct text_char){ CHAR_SEPARATOR, 0, 3 };
		if (p[2] == 0xb8) /* U+FF38 Ｘ */
			return (struct text_char){ CHAR_CHECK_X, 0, 3 };
	}
	if (p[0] == 0xef && p[1] == 0xbd && p[2] == 0x98) /* U+FF58 ｘ */
		return (struct text_char){ CHAR_CHECK_X, 0, 3 };
	return (struct text_char){ CHAR_OTHER, 0, 1 };
}

static void digits_add(struct digits *d, unsigned char digit, size_t end)
{
	if (d->count < ID_LENGTH)
		d->value[d->count] = digit;
	d->count++;
	d->end = end;
}

/* The check character the first 17 digits call for: '0'-'9' or 'X'. */
static char check_character(const unsigned char value[ID_LENGTH - 1])
{
	unsigned sum = 0;

	for (size_t i = 0; i < ID_LENGTH - 1; i++)
		sum += value[i] * weights[i];
	return check_chars[sum % 11];
}

/* YYMMDD of a first-generation number, all of them in the 1900s. */
static bool valid_birth_date(const unsigned char yymmdd[6])
{
	static const unsigned char month_days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned year = 1900 + yymmdd[0] * 10u + yymmdd[1];
	unsigned month = yymmdd[2] * 10u + yymmdd[3];
	unsigned day = yymmdd[4] * 10u + yymmdd[5];

	if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1])
		return false;
	if (month == 2 && day == 29)
		return year % 4 == 0 && year != 1900;
	return true;
}

/* Whether d is an ID number; x_end, when not 0, ends a check X that follows
 * d's last digit. Sets *ret_end to the end of the span. */
static bool id_digits(const struct digits *d, size_t x_end, size_t *ret_end)
{
	if (d->count == ID_LENGTH && check_character(d->value) == (char)('0' + d->value[ID_LENGTH - 1])) {
		*ret_end = d->end;
		return true;
	}
	if (d->count == ID_LENGTH - 1 && x_end && check_character(d->value) == 'X') {
		*ret_end = x_end;
		return true;
	}
	if (d->count == FIRST_GENERATION_LENGTH && valid_birth_date(d->value + 6)) {
		*ret_end = d->end;
		return true;
	}
	return false;
}

/* The end of a check X at pos, or after one separator there; 0 if none. */
static size_t check_x_at(const unsigned char *text, size_t len, size_t pos)
{
	struct text_char c;

	if (pos == len)
		return 0;
	c = read_char(text, len, pos);
	if (c.kind == CHAR_SEPARATOR && pos + c.size < len) {
		pos += c.size;
		c = read_char(text, len, pos);
	}
	return c.kind == CHAR_CHECK_X ? pos + c.size : 0;
}

/* Whether the digits of whole before run (which ends a joined part of it
 * at prefix_end) are an ID number; sets the span. No check X can follow
 * them: a separator and run's first digit do. */
static bool prefix_is_id(const struct digits *whole, const struct digits *run, size_t prefix_end, size_t *ret_start,
			 size_t *ret_end)
{
	struct digits prefix = *whole;

	prefix.count = whole->count - run->count;
	prefix.end = prefix_end;
	if (!id_digits(&prefix, 0, ret_end))
		return false;
	*ret_start = prefix.start;
	return true;
}

/* Reads the number whose first digit is at *pos. On a match sets the span
 * and returns true; otherwise moves *pos past the number's last digit. */
static bool match_number(const unsigned char *text, size_t len, size_t *pos, size_t *ret_start, size_t *ret_end)
{
	struct digits whole = { .start = *pos }, run = { .start = *pos };
	size_t p = *pos, runs = 1, prefix_end = 0, found_start = 0, found_end = 0, x_end, end;
	bool found = false;

	for (;;) {
		struct text_char c = read_char(text, len, p);

		digits_add(&whole, c.digit, p + c.size);
		digits_add(&run, c.digit, p + c.size);
		p += c.size;
		/* An earlier run matched and the whole is now too long to be
		 * one: the run it is, without reading the rest (which keeps
		 * idg_withhold() linear when it starts again after the run). */
		if (found && whole.count > ID_LENGTH)
			goto found_run;
		if (p == len)
			break;
		c = read_char(text, len, p);
		if (c.kind == CHAR_DIGIT)
			continue;
		if (c.kind != CHAR_SEPARATOR || p + c.size == len ||
		    read_char(text, len, p + c.size).kind != CHAR_DIGIT)
			break;
		/* A separator and a digit: this run ends, the number goes on. */
		if (!found && id_digits(&run, 0, &found_end)) {
			if (runs > 1 && prefix_is_id(&whole, &run, prefix_end, ret_start, ret_end))
				return true;
			found = true;
			found_start = run.start;
		}
		prefix_end = run.end;
		p += c.size;
		runs++;
		run = (struct digits){ .start = p };
	}
	*pos = p;
	x_end = check_x_at(text, len, p);
	if (id_digits(&whole, x_end, ret_end)) {
		*ret_start = whole.start;
		return true;
	}
	if (found)
		goto found_run;
	if (runs > 1 && id_digits(&run, x_end, &end)) {
		if (prefix_is_id(&whole, &run, prefix_end, ret_start, ret_end))
			return true;
		*ret_start = run.start;
		*ret_end = end;
		return true;
	}
	return false;

found_run:
	*ret_start = found_start;
	*ret_end = found_end;
	return true;
}

bool idg_is_id_number(const char *text18)
{
	unsigned char value[ID_LENGTH - 1];
	char check;

	if (!text18)
		return false;
	for (size_t i = 0; i < ID_LENGTH - 1; i++) {
		if (text18[i] < '0' || text18[i] > '9')
			return false;
		value[i] = (unsigned char)(text18[i] - '0');
	}
	check = text18[ID_LENGTH - 1] == 'x' ? 'X' : text18[ID_LENGTH - 1];
	return check && text18[ID_LENGTH] == '\0' && check == check_character(value);
}

bool idg_find_id_number(const char *text, size_t len, size_t *start, size_t *end)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t pos = 0;

	if (!text)
		return false;
	while (pos < len) {
		struct text_char c = read_char(t, len, pos);

		if (c.kind != CHAR_DIGIT) {
			pos += c.size;
			continue;
		}
		if (match_number(t, len, &pos, start, end))
			return true;
	}
	return false;
}

bool idg_contains_id_number(const char *text)
{
	size_t start, end;

	return text && idg_find_id_number(text, strlen(text), &start, &end);
}

size_t idg_withhold(char *text)
{
	static const char mark[] = IDG_WITHHELD;
	size_t len, read = 0, written = 0, count = 0, start, end;

	if (!text)
		return 0;
	len = strlen(text);
	/* Each search starts after the last span, so what follows a span is
	 * read as new text: a run withheld from a longer number leaves the
	 * rest of it to be judged alone. The mark (10 bytes) is shorter than
	 * a span (15 at least), so writing never overtakes reading. */
	while (idg_find_id_number(text + read, len - read, &start, &end)) {
		memmove(text + written, text + read, start);
		written += start;
		memcpy(text + written, mark, sizeof(mark) - 1);
		written += sizeof(mark) - 1;
		read += end;
		count++;
	}
	memmove(text + written, text + read, len - read + 1);
	return count;
}
