// SPDX-License-Identifier: GPL-2.0-only
/*
 * Audit records for machines: JSON lines (numbers as numbers), CSV (RFC
 * 4180; with --bom a UTF-8 byte-order mark, without which Excel on a
 * Chinese Windows shows case references as mojibake), and ECS-style JSON
 * lines for a SIEM (Elastic Common Schema field names, idguard's own under
 * "idguard.").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

/* Whether a column holds a number: written as one in JSON. */
static bool numeric(enum idg_audit_field f)
{
	return f == IDG_AF_UID || f == IDG_AF_COUNT || f == IDG_AF_PORT || f == IDG_AF_PID || f == IDG_AF_GRANT_ID;
}

/* value as a JSON number when it is one (all digits, no leading zero), else
 * as a string: what the record says is never changed. */
static struct json_object *json_value(enum idg_audit_field f, const char *value)
{
	char *end;
	long long n;

	if (numeric(f) && *value && (value[0] != '0' || !value[1]) && strspn(value, "0123456789") == strlen(value)) {
		n = strtoll(value, &end, 10);
		if (!*end)
			return json_object_new_int64(n);
	}
	return json_object_new_string(value);
}

void audit_print_json_row(const struct idg_audit_row *row)
{
	struct json_object *obj = json_object_new_object();
	char when[32];

	idg_format_time(row->time_usec, when, sizeof(when));
	json_object_object_add(obj, "time", json_object_new_string(when));
	json_object_object_add(obj, "time_usec", json_object_new_int64((int64_t)row->time_usec));
	for (int f = 0; f < IDG_AF_COUNT_OF_FIELDS; f++)
		if (row->values[f])
			json_object_object_add(obj, idg_audit_column(f), json_value(f, row->values[f]));
	json_object_object_add(obj, "redacted", json_object_new_boolean(row->redacted));
	ctl_print_json(obj);
	json_object_put(obj);
}

void audit_print_csv_header(bool bom)
{
	if (bom)
		(void)fputs("\xef\xbb\xbf", stdout);
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

/* ---- ECS ----------------------------------------------------------------- */

static void add(struct json_object *obj, const char *path, struct json_object *value)
{
	char key[64];
	const char *dot = strchr(path, '.');
	struct json_object *child;

	if (!dot) {
		json_object_object_add(obj, path, value);
		return;
	}
	(void)snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
	if (!json_object_object_get_ex(obj, key, &child)) {
		child = json_object_new_object();
		json_object_object_add(obj, key, child);
	}
	add(child, dot + 1, value);
}

static void add_field(struct json_object *obj, const char *path, const struct idg_audit_row *row, enum idg_audit_field f)
{
	if (row->values[f])
		add(obj, path, json_value(f, row->values[f]));
}

/* success / failure / unknown, as ECS's event.outcome has it. */
static const char *outcome(const char *event, const char *verdict)
{
	if (verdict)
		return streq(verdict, "denied") ? "failure" : "success";
	if (streq(event, "token-rejected") || streq(event, "policy-rejected"))
		return "failure";
	if (streq(event, "token-redeemed") || streq(event, "grant-added") || streq(event, "policy-loaded"))
		return "success";
	return "unknown";
}

void audit_print_ecs_row(const struct idg_audit_row *row)
{
	struct json_object *obj = json_object_new_object(), *category = json_object_new_array(),
			   *type = json_object_new_array();
	const char *event = audit_value(row, IDG_AF_EVENT), *verdict = row->values[IDG_AF_VERDICT];
	char when[40];
	time_t t = (time_t)(row->time_usec / 1000000);
	struct tm tm;

	(void)gmtime_r(&t, &tm);
	(void)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%06lluZ",
		       (unsigned long long)(row->time_usec % 1000000));
	add(obj, "@timestamp", json_object_new_string(when));
	add(obj, "ecs.version", json_object_new_string("8.11.0"));
	add(obj, "event.kind", json_object_new_string(verdict && streq(verdict, "denied") ? "alert" : "event"));
	json_object_array_add(category, json_object_new_string(!strncmp(event, "access-", 7) ? "host" : "iam"));
	add(obj, "event.category", category);
	json_object_array_add(type, json_object_new_string(verdict && streq(verdict, "denied") ? "denied"
							   : verdict			      ? "allowed"
											      : "info"));
	add(obj, "event.type", type);
	add(obj, "event.action", json_object_new_string(event));
	add(obj, "event.outcome", json_object_new_string(outcome(event, verdict)));
	add(obj, "event.module", json_object_new_string("idguard"));
	add_field(obj, "event.code", row, IDG_AF_MESSAGE_ID);
	add_field(obj, "event.reason", row, IDG_AF_REASON);
	add_field(obj, "message", row, IDG_AF_MESSAGE);
	add_field(obj, "host.name", row, IDG_AF_HOST);
	add_field(obj, "idguard.claimed_host", row, IDG_AF_CLAIMED_HOST);
	add_field(obj, "idguard.sender_address", row, IDG_AF_SENDER_ADDRESS);
	add_field(obj, "user.name", row, IDG_AF_USER);
	if (row->values[IDG_AF_UID])
		add(obj, "user.id", json_object_new_string(row->values[IDG_AF_UID]));
	add_field(obj, "process.name", row, IDG_AF_COMM);
	add_field(obj, "process.pid", row, IDG_AF_PID);
	add_field(obj, "destination.address", row, IDG_AF_ADDRESS);
	add_field(obj, "destination.port", row, IDG_AF_PORT);
	add_field(obj, "idguard.class", row, IDG_AF_CLASS);
	add_field(obj, "idguard.verdict", row, IDG_AF_VERDICT);
	add_field(obj, "idguard.count", row, IDG_AF_COUNT);
	add_field(obj, "idguard.gate", row, IDG_AF_GATE);
	add_field(obj, "idguard.device", row, IDG_AF_DEVICE);
	add_field(obj, "idguard.node", row, IDG_AF_NODE);
	add_field(obj, "idguard.device_label", row, IDG_AF_DEVICE_LABEL);
	add_field(obj, "idguard.vid_pid", row, IDG_AF_VID_PID);
	add_field(obj, "idguard.endpoint", row, IDG_AF_ENDPOINT);
	add_field(obj, "idguard.print_queue", row, IDG_AF_PRINT_QUEUE);
	add_field(obj, "idguard.grant_id", row, IDG_AF_GRANT_ID);
	add_field(obj, "idguard.token_id", row, IDG_AF_TOKEN_ID);
	add_field(obj, "idguard.request_id", row, IDG_AF_REQUEST_ID);
	add_field(obj, "idguard.purpose", row, IDG_AF_PURPOSE);
	add_field(obj, "idguard.ref", row, IDG_AF_REF);
	add_field(obj, "idguard.approver", row, IDG_AF_APPROVER);
	add(obj, "idguard.redacted", json_object_new_boolean(row->redacted));
	ctl_print_json(obj);
	json_object_put(obj);
}
