// SPDX-License-Identifier: GPL-2.0-only
/* Audit records as JSON lines and as CSV (RFC 4180). */
#include <stdio.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

void audit_print_json_row(const struct idg_audit_row *row)
{
	struct json_object *obj = json_object_new_object();
	char when[32];

	idg_format_time(row->time_usec, when, sizeof(when));
	json_object_object_add(obj, "time", json_object_new_string(when));
	json_object_object_add(obj, "time_usec", json_object_new_int64((int64_t)row->time_usec));
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++)
		if (row->values[f])
			json_object_object_add(obj, idg_audit_column(f), json_object_new_string(row->values[f]));
	json_object_object_add(obj, "redacted", json_object_new_boolean(row->redacted));
	ctl_print_json(obj);
	json_object_put(obj);
}

void audit_print_csv_header(void)
{
	(void)fputs("time,time_usec", stdout);
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++)
		(void)printf(",%s", idg_audit_column(f));
	(void)fputs(",redacted\r\n", stdout);
}

void audit_print_csv_row(const struct idg_audit_row *row)
{
	char when[32];

	idg_format_time(row->time_usec, when, sizeof(when));
	(void)printf("%s,%llu", when, (unsigned long long)row->time_usec);
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++) {
		(void)fputc(',', stdout);
		idg_csv_write_field(stdout, row->values[f]);
	}
	(void)printf(",%s\r\n", row->redacted ? "yes" : "no");
}
