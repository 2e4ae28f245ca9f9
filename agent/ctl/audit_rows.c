// SPDX-License-Identifier: GPL-2.0-only
/* One journal entry as an audit row, and what a row says. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

/* The row's field for a journal field name ("IDGUARD_USER"), or -1. */
static int field_of(const char *name, size_t len)
{
	static struct {
		const char *name;
		size_t len;
	} names[IDG_AF_COUNT_OF_FIELDS];
	static bool made;

	if (!made) {
		for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++) {
			names[f].name = idg_audit_journal_field(f);
			names[f].len = names[f].name ? strlen(names[f].name) : 0;
		}
		made = true;
	}
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++)
		if (names[f].name && names[f].len == len && !memcmp(names[f].name, name, len))
			return f;
	return -1;
}

/* One pass over the entry's fields (as journalctl -o json reads them),
 * not one lookup per column: each sd_journal_get_data() walks the whole
 * entry. A field given twice keeps its first value, as get_data would. */
int audit_read_row(sd_journal *j, struct idg_audit_row *row)
{
	const void *data;
	size_t len;
	int r = sd_journal_get_realtime_usec(j, &row->time_usec);

	if (r < 0)
		return r;
	SD_JOURNAL_FOREACH_DATA(j, data, len) {
		const char *text = data, *eq = memchr(text, '=', len);
		int f;

		if (!eq || (f = field_of(text, (size_t)(eq - text))) < 0 || row->values[f])
			continue;
		r = idg_audit_row_set(row, f, eq + 1, len - (size_t)(eq - text) - 1);
		if (r < 0)
			return r;
	}
	return idg_audit_row_set(row, IDG_AF_EVENT, idg_audit_event_name(row->values[IDG_AF_MESSAGE_ID]),
				 strlen(idg_audit_event_name(row->values[IDG_AF_MESSAGE_ID])));
}

const char *audit_value(const struct idg_audit_row *row, enum idg_audit_field f)
{
	return row->values[f] ? row->values[f] : "";
}

uint64_t audit_count_of(const struct idg_audit_row *row)
{
	const char *c = row->values[IDG_AF_COUNT];

	return c && *c ? strtoull(c, NULL, 10) : 1;
}

/* What the record is about, in a few words. */
void audit_what_of(const struct idg_audit_row *row, char *buf, size_t size)
{
	if (row->values[IDG_AF_DEVICE_LABEL])
		(void)snprintf(buf, size, "%s %s", audit_value(row, IDG_AF_NODE), audit_value(row, IDG_AF_DEVICE_LABEL));
	else if (row->values[IDG_AF_NODE])
		(void)snprintf(buf, size, "%s", audit_value(row, IDG_AF_NODE));
	else if (row->values[IDG_AF_ENDPOINT] || row->values[IDG_AF_ADDRESS])
		(void)snprintf(buf, size, "endpoint %s %s:%s", audit_value(row, IDG_AF_ENDPOINT), audit_value(row, IDG_AF_ADDRESS),
			       audit_value(row, IDG_AF_PORT));
	else if (row->values[IDG_AF_PRINT_QUEUE])
		(void)snprintf(buf, size, "print queue %s", audit_value(row, IDG_AF_PRINT_QUEUE));
	else if (row->values[IDG_AF_DEVICE])
		(void)snprintf(buf, size, "%s", audit_value(row, IDG_AF_DEVICE));
	else
		(void)snprintf(buf, size, "%s", audit_value(row, IDG_AF_MESSAGE));
	if (row->values[IDG_AF_PURPOSE]) {
		size_t used = strlen(buf);

		(void)snprintf(buf + used, size - used, "%spurpose %s, ref %s, approver %s", used ? "; " : "",
			       audit_value(row, IDG_AF_PURPOSE), audit_value(row, IDG_AF_REF), audit_value(row, IDG_AF_APPROVER));
	}
}
