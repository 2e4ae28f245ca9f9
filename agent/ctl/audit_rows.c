// SPDX-License-Identifier: GPL-2.0-only
/* One journal entry as an audit row, and what a row says. */
#include <string.h>
#include <stdlib.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

int audit_read_row(sd_journal *j, struct idg_audit_row *row)
{
	int r = sd_journal_get_realtime_usec(j, &row->time_usec);

	for (int f = 0; r >= 0 && f < IDG_AF_COUNT_OF_FIELDS; f++) {
		const char *name = idg_audit_journal_field(f);
		const void *data;
		size_t len, prefix;

		if (!name)
			continue;
		if (sd_journal_get_data(j, name, &data, &len) < 0)
			continue;
		prefix = strlen(name) + 1;
		if (len < prefix)
			continue;
		r = idg_audit_row_set(row, f, (const char *)data + prefix, len - prefix);
	}
	if (r >= 0)
		r = idg_audit_row_set(row, IDG_AF_EVENT, idg_audit_event_name(row->values[IDG_AF_MESSAGE_ID]),
				      strlen(idg_audit_event_name(row->values[IDG_AF_MESSAGE_ID])));
	return r < 0 ? r : 0;
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
