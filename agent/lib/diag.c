// SPDX-License-Identifier: GPL-2.0-only
/* Collected diagnostics with file and line (see diag.h). */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int store(struct idg_diags *diags, const char *file, unsigned line, bool warning, const char *fmt,
		 va_list ap) __attribute__((format(printf, 5, 0)));

static int store(struct idg_diags *diags, const char *file, unsigned line, bool warning, const char *fmt,
		 va_list ap)
{
	struct idg_diag *d;
	int r;

	if (diags->count == diags->allocated) {
		size_t n = diags->allocated ? diags->allocated * 2 : 8;
		struct idg_diag *items = realloc(diags->items, n * sizeof(*items));

		if (!items)
			return -ENOMEM;
		diags->items = items;
		diags->allocated = n;
	}
	d = &diags->items[diags->count];
	memset(d, 0, sizeof(*d));
	r = vasprintf(&d->message, fmt, ap);
	if (r < 0)
		return -ENOMEM;
	if (file && !(d->file = strdup(file))) {
		free(d->message);
		return -ENOMEM;
	}
	d->line = line;
	d->warning = warning;
	diags->count++;
	if (!warning)
		diags->errors++;
	return 0;
}

static int store_text(struct idg_diags *diags, bool warning, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int store_text(struct idg_diags *diags, bool warning, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = store(diags, NULL, 0, warning, fmt, ap);
	va_end(ap);
	return r;
}

#define OMITTED_MESSAGE_SIZE 64

/* Past IDG_DIAGS_KEPT of a kind, one more diagnostic says how many more
 * there were; its message is rewritten in place, so counting allocates
 * nothing. */
static int count_omitted(struct idg_diags *diags, bool warning)
{
	struct idg_diag *d;

	if (diags->omitted[warning] == 0) {
		int r = store_text(diags, warning, "%*s", OMITTED_MESSAGE_SIZE - 1, "");

		if (r < 0)
			return r;
		diags->omitted_at[warning] = diags->count - 1;
	}
	d = &diags->items[diags->omitted_at[warning]];
	diags->omitted[warning]++;
	(void)snprintf(d->message, OMITTED_MESSAGE_SIZE, "%zu more %s%s not shown", diags->omitted[warning],
		       warning ? "warning" : "error", diags->omitted[warning] == 1 ? "" : "s");
	return 0;
}

int idg_diag_add(struct idg_diags *diags, const char *file, unsigned line, bool warning,
		 const char *fmt, ...)
{
	size_t kept = warning ? diags->count - diags->errors : diags->errors;
	va_list ap;
	int r;

	if (diags->omitted[warning] || kept >= IDG_DIAGS_KEPT)
		return count_omitted(diags, warning);
	va_start(ap, fmt);
	r = store(diags, file, line, warning, fmt, ap);
	va_end(ap);
	return r;
}

size_t idg_diags_error_total(const struct idg_diags *diags)
{
	return diags->errors - (diags->omitted[0] ? 1 : 0) + diags->omitted[0];
}

size_t idg_diags_warning_total(const struct idg_diags *diags)
{
	return diags->count - diags->errors - (diags->omitted[1] ? 1 : 0) + diags->omitted[1];
}

void idg_diag_format(const struct idg_diag *d, char *buf, size_t size)
{
	const char *kind = d->warning ? "warning" : "error";

	if (d->file && d->line)
		(void)snprintf(buf, size, "%s:%u: %s: %s", d->file, d->line, kind, d->message);
	else if (d->file)
		(void)snprintf(buf, size, "%s: %s: %s", d->file, kind, d->message);
	else
		(void)snprintf(buf, size, "%s: %s", kind, d->message);
}

void idg_diags_print(const struct idg_diags *diags, FILE *out)
{
	char buf[2048];

	for (size_t i = 0; i < diags->count; i++) {
		idg_diag_format(&diags->items[i], buf, sizeof(buf));
		(void)fprintf(out, "%s\n", buf);
	}
}

void idg_diags_first_error(const struct idg_diags *diags, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < diags->count; i++)
		if (!diags->items[i].warning) {
			idg_diag_format(&diags->items[i], buf, size);
			return;
		}
}

void idg_diags_clear(struct idg_diags *diags)
{
	for (size_t i = 0; i < diags->count; i++) {
		free(diags->items[i].file);
		free(diags->items[i].message);
	}
	free(diags->items);
	memset(diags, 0, sizeof(*diags));
}
