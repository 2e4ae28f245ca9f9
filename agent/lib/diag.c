// SPDX-License-Identifier: GPL-2.0-only
/* Collected diagnostics with file and line (see diag.h). */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int idg_diag_add(struct idg_diags *diags, const char *file, unsigned line, bool warning,
		 const char *fmt, ...)
{
	struct idg_diag *d;
	va_list ap;
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
	va_start(ap, fmt);
	r = vasprintf(&d->message, fmt, ap);
	va_end(ap);
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
