// SPDX-License-Identifier: GPL-2.0-only
/*
 * How often idg_find_id_number() takes text that is not card data for an
 * ID number, and that it never misses one. A deterministic generator (its
 * own xorshift64, fixed seeds, no rand()) writes realistic non-card text by
 * category: case numbers, phone numbers, bank cards with a valid Luhn
 * digit, dates and times, Unix timestamps, hexadecimal ids and UUIDs,
 * IMEIs, order numbers of random digits, and two numbers side by side.
 * Each category's rate is printed; the structured ones must stay under the
 * bound in the table (most of them 0). Those whose digits are random
 * (order numbers, 18-digit cards, IMEIs, phone extensions, numbers side by
 * side) are bounded only near what chance gives: 1 in 11 for 18 digits
 * (the checksum), about 1 in 27 for 15 (a real date at positions 7-12).
 * Then valid ID numbers in every written form, which must all be found,
 * with the exact span, and withheld with the rest kept byte for byte.
 * The figures are quoted in docs/journal.md ("What is withheld").
 */
#include "unit.h"

#include <inttypes.h>

#include "idnumber.h"
#include "util.h"

/* Samples per category; -DFP_SAMPLES=1000000 for a longer measurement. */
#ifndef FP_SAMPLES
#define FP_SAMPLES 200000u
#endif
#define SAMPLES FP_SAMPLES
#define ORDER_SAMPLES (FP_SAMPLES / 2)
#define ID_SAMPLES 20000u
#define SAMPLE_SIZE 256

/* xorshift64 (Marsaglia 2003): the same sequence on every libc. */
struct rng {
	uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t x = r->state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return r->state = x;
}

static unsigned rng_below(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

/* A generator seeded from a category's index alone, so that adding a
 * category does not change the figures of the others. */
static struct rng rng_seeded(unsigned index)
{
	struct rng r = { 0x2545f4914f6cdd1dull ^ ((uint64_t)(index + 1) * 0x9e3779b97f4a7c15ull) };

	for (int i = 0; i < 8; i++)
		(void)rng_next(&r);
	return r;
}

struct out {
	char text[SAMPLE_SIZE];
	size_t len;
};

static void out_add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->text + o->len, sizeof(o->text) - o->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(o->text) - o->len);
	o->len += (size_t)n;
}

static void out_char(struct out *o, char c)
{
	assert_true(o->len + 1 < sizeof(o->text));
	o->text[o->len++] = c;
	o->text[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	while (*s)
		out_char(o, *s++);
}

/* n random ASCII digits; the first one not 0 when nonzero_first. */
static void out_digits(struct out *o, struct rng *r, unsigned n, bool nonzero_first)
{
	for (unsigned i = 0; i < n; i++)
		out_char(o, (char)('0' + (i == 0 && nonzero_first ? 1 + rng_below(r, 9) : rng_below(r, 10))));
}

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
	return list[rng_below(r, (unsigned)n)];
}

#define PICK(r, list) pick(r, list, ARRAY_SIZE(list))

/* digits[0..n) in groups of four separated by sep ("" for none). */
static void out_grouped(struct out *o, const char *digits, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i && i % 4 == 0)
			out_str(o, sep);
		out_char(o, digits[i]);
	}
}

/* The Luhn check digit for digits[0..n). */
static char luhn_digit(const char *digits, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(digits[n - 1 - i] - '0');

		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/* ---- the non-card categories ------------------------------------------- */

static void gen_case_number(struct out *o, struct rng *r, unsigned arg)
{
	static const char *const courts[] = { "京", "沪", "粤", "浙", "苏", "川" };
	static const char *const kinds[] = { "民初", "民终", "刑初", "行初", "执", "商初" };
	unsigned year = 2000 + rng_below(r, 31);

	(void)arg;
	switch (rng_below(r, 8)) {
	case 0:
		out_add(o, "CASE-%u-%04u", year, rng_below(r, 10000));
		break;
	case 1:
		out_add(o, "(%u)%s%04u%s%u号", year, PICK(r, courts), rng_below(r, 10000), PICK(r, kinds),
			1 + rng_below(r, 99999));
		break;
	case 2:
		out_add(o, "ACC-%u%02u%02u-%06u", year, 1 + rng_below(r, 12), 1 + rng_below(r, 28),
			rng_below(r, 1000000));
		break;
	case 3:
		out_add(o, "FILE %u/%05u", year, rng_below(r, 100000));
		break;
	case 4:
		out_add(o, "INC%07u", rng_below(r, 10000000));
		break;
	case 5:
		out_add(o, "%u-%06u", year, rng_below(r, 1000000));
		break;
	case 6:
		out_add(o, "ticket #%u, case %u-%04u-%02u", rng_below(r, 1000000), year, rng_below(r, 10000),
			rng_below(r, 100));
		break;
	default:
		out_add(o, "（%u）%s%04u%s第%u号", year, PICK(r, courts), rng_below(r, 10000), PICK(r, kinds),
			1 + rng_below(r, 99999));
		break;
	}
}

static void gen_mobile(struct out *o, struct rng *r, unsigned arg)
{
	static const char *const seps[] = { " ", "-", "" };
	char number[12];
	const char *sep = PICK(r, seps);

	(void)arg;
	number[0] = '1';
	number[1] = (char)('3' + rng_below(r, 7));
	for (int i = 2; i < 11; i++)
		number[i] = (char)('0' + rng_below(r, 10));
	number[11] = '\0';
	switch (rng_below(r, 4)) {
	case 0:
		out_str(o, number);
		break;
	case 1:
		out_add(o, "%.3s%s%.4s%s%.4s", number, sep, number + 3, sep, number + 7);
		break;
	case 2:
		out_add(o, "+86 %.3s%s%.4s%s%.4s", number, sep, number + 3, sep, number + 7);
		break;
	default:
		out_add(o, "tel:+86%s", number);
		break;
	}
}

/* Area code (010, 02x, or 0 and three digits) and a local number of 7 or 8
 * digits; arg 1 adds an extension of 3 or 4 digits. */
static void gen_landline(struct out *o, struct rng *r, unsigned arg)
{
	static const char *const seps[] = { "-", " " };
	char area[8];
	struct out local = { .len = 0 };
	const char *sep = PICK(r, seps);

	switch (rng_below(r, 3)) {
	case 0:
		(void)snprintf(area, sizeof(area), "010");
		break;
	case 1:
		(void)snprintf(area, sizeof(area), "02%u", rng_below(r, 10));
		break;
	default:
		(void)snprintf(area, sizeof(area), "0%u%02u", 3 + rng_below(r, 7), rng_below(r, 100));
		break;
	}
	out_digits(&local, r, strlen(area) == 3 ? 8 : 7 + rng_below(r, 2), true);
	switch (rng_below(r, 3)) {
	case 0:
		out_add(o, "%s%s%s", area, sep, local.text);
		break;
	case 1:
		out_add(o, "(%s) %s", area, local.text);
		break;
	default:
		out_add(o, "+86 %s %s", area + 1, local.text);
		break;
	}
	if (arg) {
		out_str(o, rng_below(r, 2) ? "-" : " ");
		out_digits(o, r, 3 + rng_below(r, 2), false);
	}
}

/* A card of arg digits (0: 16, 17 or 19) with a valid Luhn digit, unbroken
 * or in groups of four. */
static void gen_bank_card(struct out *o, struct rng *r, unsigned arg)
{
	static const char *const prefixes[] = { "62", "4", "51", "55", "35", "60" };
	static const unsigned not_18[] = { 16, 17, 19 };
	static const char *const seps[] = { "", " ", "-" };
	unsigned n = arg ? arg : not_18[rng_below(r, ARRAY_SIZE(not_18))];
	char digits[20];
	const char *prefix = PICK(r, prefixes);
	size_t p = strlen(prefix);

	memcpy(digits, prefix, p);
	for (; p < n - 1; p++)
		digits[p] = (char)('0' + rng_below(r, 10));
	digits[n - 1] = luhn_digit(digits, n - 1);
	if (rng_below(r, 4) == 0)
		out_str(o, "card ");
	out_grouped(o, digits, n, PICK(r, seps));
}

static void gen_date_time(struct out *o, struct rng *r, unsigned arg)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	unsigned y = 1970 + rng_below(r, 80), mo = 1 + rng_below(r, 12), d = 1 + rng_below(r, 28);
	unsigned h = rng_below(r, 24), mi = rng_below(r, 60), s = rng_below(r, 60), ms = rng_below(r, 1000);
	unsigned us = rng_below(r, 1000000);

	(void)arg;
	switch (rng_below(r, 20)) {
	case 0: out_add(o, "%04u-%02u-%02u", y, mo, d); break;
	case 1: out_add(o, "%04u/%02u/%02u", y, mo, d); break;
	case 2: out_add(o, "%04u%02u%02u", y, mo, d); break;
	case 3: out_add(o, "%04u-%02u-%02u %02u:%02u:%02u", y, mo, d, h, mi, s); break;
	case 4: out_add(o, "%04u-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi, s); break;
	case 5: out_add(o, "%04u-%02u-%02uT%02u:%02u:%02u.%03u+08:00", y, mo, d, h, mi, s, ms); break;
	case 6: out_add(o, "%04u%02u%02u%02u%02u%02u", y, mo, d, h, mi, s); break;
	case 7: out_add(o, "%04u%02u%02u%02u%02u%02u%03u", y, mo, d, h, mi, s, ms); break;
	case 8: out_add(o, "%04u%02u%02u %02u%02u%02u", y, mo, d, h, mi, s); break;
	case 9: out_add(o, "%04u-%02u-%02u %02u:%02u:%02u,%03u", y, mo, d, h, mi, s, ms); break;
	case 10: out_add(o, "%02u/%02u/%04u %02u:%02u", mo, d, y, h, mi); break;
	case 11: out_add(o, "%02u.%02u.%04u", d, mo, y); break;
	case 12: out_add(o, "%04u年%02u月%02u日 %02u:%02u", y, mo, d, h, mi); break;
	case 13: out_add(o, "%02u-%02u-%04u", d, mo, y); break;
	case 14: out_add(o, "%s %u, %04u %02u:%02u:%02u", months[mo - 1], d, y, h, mi, s); break;
	case 15: out_add(o, "%04u %02u %02u %02u %02u %02u", y, mo, d, h, mi, s); break;
	case 16: out_add(o, "%04u-%02u-%02u-%02u-%02u-%02u", y, mo, d, h, mi, s); break;
	case 17: out_add(o, "%04u%02u%02u-%02u%02u%02u", y, mo, d, h, mi, s); break;
	case 18: out_add(o, "%04u%02u%02u_%02u%02u%02u", y, mo, d, h, mi, s); break;
	default: out_add(o, "%04u-%02u-%02u %02u:%02u:%02u.%06u", y, mo, d, h, mi, s, us); break;
	}
}

/* Unix time in s, ms, µs or ns, between 2001 and 2033. */
static void gen_timestamp(struct out *o, struct rng *r, unsigned arg)
{
	uint64_t seconds = 1000000000u + rng_next(r) % 1000000000u;

	(void)arg;
	switch (rng_below(r, 5)) {
	case 0: out_add(o, "%" PRIu64, seconds); break;
	case 1: out_add(o, "%" PRIu64, seconds * 1000 + rng_below(r, 1000)); break;
	case 2: out_add(o, "%" PRIu64, seconds * 1000000 + rng_below(r, 1000000)); break;
	case 3: out_add(o, "%" PRIu64, seconds * 1000000000 + rng_below(r, 1000000000)); break;
	default: out_add(o, "%" PRIu64 ".%06u", seconds, rng_below(r, 1000000)); break;
	}
}

static void out_hex(struct out *o, struct rng *r, unsigned n, bool upper)
{
	for (unsigned i = 0; i < n; i++)
		out_char(o, (upper ? "0123456789ABCDEF" : "0123456789abcdef")[rng_below(r, 16)]);
}

static void gen_hex_uuid(struct out *o, struct rng *r, unsigned arg)
{
	bool upper = rng_below(r, 4) == 0;

	(void)arg;
	switch (rng_below(r, 5)) {
	case 0: /* UUID v4: 8-4-4-4-12, version 4, variant 8-b */
	case 1:
		out_hex(o, r, 8, upper);
		out_str(o, "-");
		out_hex(o, r, 4, upper);
		out_add(o, "-4");
		out_hex(o, r, 3, upper);
		out_add(o, "-%c", (upper ? "89AB" : "89ab")[rng_below(r, 4)]);
		out_hex(o, r, 3, upper);
		out_str(o, "-");
		out_hex(o, r, 12, upper);
		break;
	case 2: /* machine id, UUID without hyphens */
		out_hex(o, r, 32, false);
		break;
	case 3: /* a git commit, a SHA-1 */
		out_hex(o, r, 40, false);
		break;
	default: /* a short id: token ids, request ids */
		out_hex(o, r, 8 + rng_below(r, 17), upper);
		break;
	}
}

/* arg random digits (the first not 0), as order numbers are. */
static void gen_order_number(struct out *o, struct rng *r, unsigned arg)
{
	if (rng_below(r, 2))
		out_str(o, "order ");
	out_digits(o, r, arg, true);
}

/* A date then random digits, as many shops number orders: arg digits in all. */
static void gen_dated_order_number(struct out *o, struct rng *r, unsigned arg)
{
	out_add(o, "%04u%02u%02u", 2015 + rng_below(r, 12), 1 + rng_below(r, 12), 1 + rng_below(r, 28));
	out_digits(o, r, arg - 8, false);
}

/* IMEI: 8-digit TAC (reporting body 35, 86, 01 or 99), 6-digit serial, a
 * Luhn digit; unbroken or as AA-BBBBBB-CCCCCC-D. */
static void gen_imei(struct out *o, struct rng *r, unsigned arg)
{
	static const char *const bodies[] = { "35", "86", "01", "99" };
	static const char *const seps[] = { "-", " " };
	char digits[16];
	const char *sep = PICK(r, seps);

	(void)arg;
	memcpy(digits, PICK(r, bodies), 2);
	for (int i = 2; i < 14; i++)
		digits[i] = (char)('0' + rng_below(r, 10));
	digits[14] = luhn_digit(digits, 14);
	digits[15] = '\0';
	if (rng_below(r, 2))
		out_str(o, "IMEI: ");
	if (rng_below(r, 2))
		out_str(o, digits);
	else
		out_add(o, "%.2s%s%.6s%s%.6s%s%c", digits, sep, digits + 2, sep, digits + 8, sep, digits[14]);
}

/* Two numbers of 1 to 12 random digits with one space, tab or hyphen
 * between them, as in a table or a log line: one number to the rules, of
 * 15 or 18 digits now and then. */
static void gen_side_by_side(struct out *o, struct rng *r, unsigned arg)
{
	static const char *const seps[] = { " ", "\t", "-" };

	(void)arg;
	out_digits(o, r, 1 + rng_below(r, 12), true);
	out_str(o, PICK(r, seps));
	out_digits(o, r, 1 + rng_below(r, 12), true);
}

struct category {
	const char *name;
	void (*generate)(struct out *o, struct rng *r, unsigned arg);
	unsigned arg;
	unsigned samples;
	/* The highest rate accepted. Structured text: 0, or just above the
	 * chance matches of random hex. Random digits: a little above what
	 * chance gives (1/11 for 18 digits, 1/27 for 15), to catch a rule
	 * that goes wrong, not to promise a figure. */
	double bound;
	bool structured;
};

static const struct category categories[] = {
	{ "case numbers", gen_case_number, 0, SAMPLES, 0, true },
	{ "mobile numbers", gen_mobile, 0, SAMPLES, 0, true },
	{ "landline numbers", gen_landline, 0, SAMPLES, 0, true },
	{ "bank cards, 16/17/19 digits", gen_bank_card, 0, SAMPLES, 0, true },
	{ "dates and times", gen_date_time, 0, SAMPLES, 0, true },
	{ "Unix timestamps s/ms/us/ns", gen_timestamp, 0, SAMPLES, 0, true },
	{ "hex ids and UUIDs", gen_hex_uuid, 0, SAMPLES, 0.001, true },
	{ "bank cards, 18 digits", gen_bank_card, 18, SAMPLES, 0.10, false },
	{ "landline with extension", gen_landline, 1, SAMPLES, 0.03, false },
	{ "IMEI (15 digits, Luhn)", gen_imei, 0, SAMPLES, 0.04, false },
	{ "order number, 12 digits", gen_order_number, 12, ORDER_SAMPLES, 0, false },
	{ "order number, 13 digits", gen_order_number, 13, ORDER_SAMPLES, 0, false },
	{ "order number, 14 digits", gen_order_number, 14, ORDER_SAMPLES, 0, false },
	{ "order number, 15 digits", gen_order_number, 15, ORDER_SAMPLES, 0.04, false },
	{ "order number, 16 digits", gen_order_number, 16, ORDER_SAMPLES, 0, false },
	{ "order number, 17 digits", gen_order_number, 17, ORDER_SAMPLES, 0, false },
	{ "order number, 18 digits", gen_order_number, 18, ORDER_SAMPLES, 0.10, false },
	{ "order number, 19 digits", gen_order_number, 19, ORDER_SAMPLES, 0, false },
	{ "order number, 20 digits", gen_order_number, 20, ORDER_SAMPLES, 0, false },
	{ "dated order number, 18 digits", gen_dated_order_number, 18, ORDER_SAMPLES, 0.10, false },
	{ "two numbers side by side", gen_side_by_side, 0, SAMPLES, 0.01, false },
};

/* The digits in text[start..end), ASCII or full-width. */
static unsigned count_digits(const char *text, size_t start, size_t end, char *first_two)
{
	unsigned n = 0;

	for (size_t i = start; i < end; i++) {
		const unsigned char *p = (const unsigned char *)text + i;
		int d = -1;

		if (*p >= '0' && *p <= '9') {
			d = *p - '0';
		} else if (i + 2 < end && p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 && p[2] <= 0x99) {
			d = p[2] - 0x90;
			i += 2;
		}
		if (d >= 0 && n < 2)
			first_two[n] = (char)('0' + d);
		n += d >= 0;
	}
	return n;
}

/* The province codes first-generation cards were issued under. Counted,
 * not used: it says what a region check on 15 digits would save. */
static bool province_code(const char two[2])
{
	static const char *const ranges[] = { "1115", "2123", "3137", "4146", "5054", "6165" };
	int code = (two[0] - '0') * 10 + (two[1] - '0');

	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		int low = (ranges[i][0] - '0') * 10 + (ranges[i][1] - '0');
		int high = (ranges[i][2] - '0') * 10 + (ranges[i][3] - '0');

		if (code >= low && code <= high)
			return true;
	}
	return false;
}

static void test_false_positives(void **state)
{
	bool failed = false;

	(void)state;
	print_message("%-30s %8s %8s %9s %7s %8s %7s\n", "category", "samples", "withheld", "rate", "15-dig",
		      "province", "18-dig");
	for (size_t c = 0; c < ARRAY_SIZE(categories); c++) {
		const struct category *cat = &categories[c];
		struct rng r = rng_seeded((unsigned)c);
		unsigned hits = 0, fifteen = 0, province = 0, eighteen = 0;
		double rate;

		for (unsigned i = 0; i < cat->samples; i++) {
			struct out o = { .len = 0 };
			size_t start, end;
			char first_two[2] = { '0', '0' };
			unsigned digits;

			cat->generate(&o, &r, cat->arg);
			if (!idg_find_id_number(o.text, o.len, &start, &end))
				continue;
			hits++;
			digits = count_digits(o.text, start, end, first_two);
			if (digits == 15) {
				fifteen++;
				province += province_code(first_two);
			} else {
				eighteen++;
			}
			if (hits <= 2 && cat->structured)
				print_message("  %s: withheld \"%.*s\" in \"%s\"\n", cat->name, (int)(end - start),
					      o.text + start, o.text);
		}
		rate = (double)hits / cat->samples;
		print_message("%-30s %8u %8u %8.4f%% %7u %8u %7u%s\n", cat->name, cat->samples, hits, 100.0 * rate,
			      fifteen, province, eighteen, rate > cat->bound ? "  ABOVE BOUND" : "");
		if (rate > cat->bound) {
			print_error("%s: %.4f%% withheld, the bound is %.4f%%\n", cat->name, 100.0 * rate,
				    100.0 * cat->bound);
			failed = true;
		}
	}
	assert_false(failed);
}

/* ---- valid ID numbers in every written form ---------------------------- */

static const char *const separators[] = {
	" ", "-", "\t", "\u00a0", "\u3000", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\uff0d",
};

static const char *const full_width_digits[] = { "０", "１", "２", "３", "４", "５", "６", "７", "８", "９" };

static const unsigned char weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };

/* A valid number: a random region (any 6 digits: only the checksum is
 * tested), a real date of birth, a random sequence and its check
 * character. 15 digits (first generation, 19YY) when first_generation. */
static size_t make_id(struct rng *r, bool first_generation, char id[19])
{
	static const unsigned char month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned year = first_generation ? 1900 + rng_below(r, 100) : 1900 + rng_below(r, 127);
	unsigned month = 1 + rng_below(r, 12);
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	unsigned day = 1 + rng_below(r, month_days[month - 1] + (month == 2 && leap));
	struct out o = { .len = 0 };
	unsigned sum = 0;

	out_digits(&o, r, 6, false);
	if (first_generation) {
		out_add(&o, "%02u%02u%02u", year % 100, month, day);
		out_digits(&o, r, 3, false);
		memcpy(id, o.text, 16);
		return 15;
	}
	out_add(&o, "%04u%02u%02u", year, month, day);
	out_digits(&o, r, 3, false);
	for (int i = 0; i < 17; i++)
		sum += (unsigned)(o.text[i] - '0') * weights[i];
	o.text[17] = "10X98765432"[sum % 11];
	o.text[18] = '\0';
	memcpy(id, o.text, 19);
	return 18;
}

enum digit_style { ASCII, FULL_WIDTH, MIXED };

/* One character of the number: a digit or the check X in the style. */
static void out_id_char(struct out *o, struct rng *r, char ch, enum digit_style style)
{
	static const char *const ascii_x[] = { "X", "x" };
	static const char *const wide_x[] = { "Ｘ", "ｘ" };
	static const char *const any_x[] = { "X", "x", "Ｘ", "ｘ" };
	bool wide = style == FULL_WIDTH || (style == MIXED && rng_below(r, 2));

	if (ch == 'X')
		out_str(o, style == MIXED ? PICK(r, any_x) : wide ? PICK(r, wide_x) : PICK(r, ascii_x));
	else if (wide)
		out_str(o, full_width_digits[ch - '0']);
	else
		out_char(o, ch);
}

struct id_form {
	const char *name;
	bool first_generation;
	enum digit_style style;
	/* Group sizes, 0-terminated; none: unbroken. */
	unsigned char groups[20];
	/* Separators: " " only, "-" only, or any of the list, per gap. */
	const char *separator;
	bool in_text;
};

static const struct id_form forms[] = {
	{ "18, unbroken", false, ASCII, { 0 }, NULL, false },
	{ "18, 6-8-4 spaces", false, ASCII, { 6, 8, 4 }, " ", false },
	{ "18, 6-8-4 hyphens", false, ASCII, { 6, 8, 4 }, "-", false },
	{ "18, 6-8-4 any separators", false, ASCII, { 6, 8, 4 }, "any", false },
	{ "18, 3-3-4-4-4 any separators", false, ASCII, { 3, 3, 4, 4, 4 }, "any", false },
	{ "18, fours", false, ASCII, { 4, 4, 4, 4, 2 }, " ", false },
	{ "18, one by one", false, ASCII, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, "any", false },
	{ "18, full-width", false, FULL_WIDTH, { 0 }, NULL, false },
	{ "18, full-width 6-8-4 U+3000", false, FULL_WIDTH, { 6, 8, 4 }, "\u3000", false },
	{ "18, mixed digits and X", false, MIXED, { 0 }, NULL, false },
	{ "18, mixed, any separators", false, MIXED, { 6, 8, 4 }, "any", false },
	{ "18, in text", false, MIXED, { 6, 8, 4 }, "any", true },
	{ "18, unbroken in text", false, ASCII, { 0 }, NULL, true },
	{ "15, unbroken", true, ASCII, { 0 }, NULL, false },
	{ "15, 6-6-3 any separators", true, ASCII, { 6, 6, 3 }, "any", false },
	{ "15, full-width", true, FULL_WIDTH, { 0 }, NULL, false },
	{ "15, mixed, in text", true, MIXED, { 6, 6, 3 }, "any", true },
};

/* Writes the number in the form; sets where it starts and ends. */
static void out_id(struct out *o, struct rng *r, const struct id_form *form, const char *id, size_t n,
		   size_t *start, size_t *end)
{
	static const char *const before[] = { "", "ID ", "身份证号：", "证件号码", "no.", "(", "客户 张三 ", "abc" };
	static const char *const after[] = { "", " 电话", ",", "号", ")", "。", " done", "xyz" };
	size_t group = 0, in_group = 0;

	if (form->in_text)
		out_str(o, PICK(r, before));
	*start = o->len;
	for (size_t i = 0; i < n; i++) {
		if (form->groups[0] && in_group == form->groups[group]) {
			out_str(o, strcmp(form->separator, "any") ? form->separator : PICK(r, separators));
			group++;
			in_group = 0;
		}
		out_id_char(o, r, id[i], form->style);
		in_group++;
	}
	*end = o->len;
	if (form->in_text)
		out_str(o, PICK(r, after));
}

static void test_true_positives(void **state)
{
	bool failed = false;

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(forms); f++) {
		struct rng r = rng_seeded(1000 + (unsigned)f);
		unsigned found = 0, withheld = 0;

		for (unsigned i = 0; i < ID_SAMPLES; i++) {
			struct out o = { .len = 0 };
			char id[19], expected[SAMPLE_SIZE];
			size_t n = make_id(&r, forms[f].first_generation, id), start, end, at, got_start, got_end;

			out_id(&o, &r, &forms[f], id, n, &start, &end);
			if (idg_find_id_number(o.text, o.len, &got_start, &got_end) && got_start == start &&
			    got_end == end) {
				found++;
			} else if (!failed) {
				print_error("%s: \"%s\" not found as [%zu, %zu)\n", forms[f].name, o.text, start, end);
				failed = true;
			}
			/* idg_withhold() keeps what is around it byte for byte. */
			at = (size_t)snprintf(expected, sizeof(expected), "%.*s%s%s", (int)start, o.text, IDG_WITHHELD,
					      o.text + end);
			assert_true(at < sizeof(expected));
			if (idg_withhold(o.text) == 1 && streq(o.text, expected))
				withheld++;
		}
		print_message("%-30s %6u of %6u found, %6u withheld exactly\n", forms[f].name, found, ID_SAMPLES,
			      withheld);
		if (found != ID_SAMPLES || withheld != ID_SAMPLES)
			failed = true;
	}
	assert_false(failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_true_positives),
		cmocka_unit_test(test_false_positives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
