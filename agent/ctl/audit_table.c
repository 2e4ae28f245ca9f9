// SPDX-License-Identifier: GPL-2.0-only
/* The audit table: a line per record. */
#include <stdio.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

#define TABLE_FORMAT "%-19s  %-16s  %-16s  %-12s  %-12s  %6s  %s%s\n"

void audit_print_table_header(void)
{
	(void)printf(TABLE_FORMAT, "TIME", "HOST", "EVENT", "USER", "CLASS", "COUNT", "WHAT", "");
}

void audit_print_table_row(const struct idg_audit_row *row)
{
	char when[32], what[512], count[24] = "";

	idg_format_time(row->time_usec, when, sizeof(when));
	audit_what_of(row, what, sizeof(what));
	if (row->values[IDG_AF_COUNT])
		(void)snprintf(count, sizeof(count), "%s", audit_value(row, IDG_AF_COUNT));
	(void)printf(TABLE_FORMAT, when, audit_value(row, IDG_AF_HOST), audit_value(row, IDG_AF_EVENT),
		     audit_value(row, IDG_AF_USER), audit_value(row, IDG_AF_CLASS), count, what,
		     row->redacted ? "  [REDACTED]" : "");
}
