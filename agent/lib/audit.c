// SPDX-License-Identifier: GPL-2.0-only
/* Audit rows, time syntax, CSV and redaction (see audit.h). */
#include "audit.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "idnumber.h"
#include "journal.h"
#include "util.h"

static const struct {
	const char *column;
	const char *field;
} fields[IDG_AF_COUNT_OF_FIELDS] = {
	[IDG_AF_HOST] = { "host", "_HOSTNAME" },
	[IDG_AF_CLAIMED_HOST] = { "claimed_host", NULL },
	[IDG_AF_SENDER_ADDRESS] = { "sender_address", NULL },
	[IDG_AF_EVENT] = { "event", NULL },
	[IDG_AF_VERDICT] = { "verdict", "IDGUARD_VERDICT" },
	[IDG_AF_CLASS] = { "class", "IDGUARD_CLASS" },
	[IDG_AF_USER] = { "user", "IDGUARD_USER" },
	[IDG_AF_UID] = { "uid", "IDGUARD_UID" },
	[IDG_AF_COUNT] = { "count", "IDGUARD_COUNT" },
	[IDG_AF_GATE] = { "gate", "IDGUARD_GATE" },
	[IDG_AF_DEVICE] = { "device", "IDGUARD_DEVICE" },
	[IDG_AF_NODE] = { "node", "IDGUARD_NODE" },
	[IDG_AF_DEVICE_LABEL] = { "device_label", "IDGUARD_DEVICE_LABEL" },
	[IDG_AF_VID_PID] = { "vid_pid", "IDGUARD_VID_PID" },
	[IDG_AF_ENDPOINT] = { "endpoint", "IDGUARD_ENDPOINT" },
	[IDG_AF_ADDRESS] = { "address", "IDGUARD_ADDRESS" },
	[IDG_AF_PORT] = { "port", "IDGUARD_PORT" },
	[IDG_AF_PRINT_QUEUE] = { "print_queue", "IDGUARD_PRINT_QUEUE" },
	[IDG_AF_COMM] = { "comm", "IDGUARD_COMM" },
	[IDG_AF_PID] = { "pid", "IDGUARD_PID" },
	[IDG_AF_REASON] = { "reason", "IDGUARD_REASON" },
	[IDG_AF_GRANT_ID] = { "grant_id", "IDGUARD_GRANT_ID" },
	[IDG_AF_GRANT_SOURCE] = { "grant_source", "IDGUARD_GRANT_SOURCE" },
	[IDG_AF_TOKEN_ID] = { "token_id", "IDGUARD_TOKEN_ID" },
	[IDG_AF_REQUEST_ID] = { "request_id", "IDGUARD_REQUEST_ID" },
	[IDG_AF_PURPOSE] = { "purpose", "IDGUARD_PURPOSE" },
	[IDG_AF_REF] = { "ref", "IDGUARD_REF" },
	[IDG_AF_APPROVER] = { "approver", "IDGUARD_APPROVER" },
	[IDG_AF_MESSAGE_ID] = { "message_id", "MESSAGE_ID" },
	[IDG_AF_MESSAGE] = { "message", "MESSAGE" },
};

static const struct {
	const char *id;
	const char *event;
} events[] = {
	{ IDG_MSG_ACCESS_DENIED, "access-denied" },
	{ IDG_MSG_ACCESS_AUDITED, "access-audited" },
	{ IDG_MSG_ACCESS_GRANTED, "access-granted" },
	{ IDG_MSG_TOKEN_REDEEMED, "token-redeemed" },
	{ IDG_MSG_TOKEN_REJECTED, "token-rejected" },
	{ IDG_MSG_TOKEN_REVOKED, "token-revoked" },
	{ IDG_MSG_TOKEN_EXPIRED, "grant-expired" },
	{ IDG_MSG_HANDLE_ENDED, "handle-ended" },
	{ IDG_MSG_EVENTS_LOST, "records-lost" },
	{ IDG_MSG_AGENT_STARTED, "agent-started" },
	{ IDG_MSG_AGENT_STOPPED, "agent-stopped" },
	{ IDG_MSG_POLICY_LOADED, "policy-loaded" },
	{ IDG_MSG_POLICY_REJECTED, "policy-rejected" },
	{ IDG_MSG_TAMPER, "tamper" },
	{ IDG_MSG_GRANT_ADDED, "grant-added" },
	{ IDG_MSG_GRANT_REMOVED, "grant-removed" },
	{ IDG_MSG_DEVICE_ADDED, "device-connected" },
	{ IDG_MSG_DEVICE_REMOVED, "device-removed" },
	{ IDG_MSG_CLIENT_CLOSED, "client-closed" },
	{ IDG_MSG_REQUEST_QUEUED, "request-queued" },
	{ IDG_MSG_REQUEST_SENT, "request-sent" },
	{ IDG_MSG_REQUEST_ENDED, "request-ended" },
	{ IDG_MSG_REQUEST_WITHDRAWN, "request-withdrawn" },
	{ IDG_MSG_RELAY_STATE, "relay" },
};

const char *idg_audit_column(enum idg_audit_field field)
{
	return field < IDG_AF_COUNT_OF_FIELDS ? fields[field].column : "?";
}

const char *idg_audit_journal_field(enum idg_audit_field field)
{
	return field < IDG_AF_COUNT_OF_FIELDS ? fields[field].field : NULL;
}

size_t idg_audit_message_ids(const char *const **ret)
{
	static const char *ids[ARRAY_SIZE(events)];

	for (size_t i = 0; i < ARRAY_SIZE(events); i++)
		ids[i] = events[i].id;
	*ret = ids;
	return ARRAY_SIZE(events);
}

const char *idg_audit_event_name(const char *message_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(events); i++)
		if (message_id && streq(events[i].id, message_id))
			return events[i].event;
	return "other";
}

const char *idg_audit_event_id(const char *event)
{
	for (size_t i = 0; i < ARRAY_SIZE(events); i++)
		if (event && streq(events[i].event, event))
			return events[i].id;
	return NULL;
}

bool idg_audit_redact(char *text)
{
	return idg_withhold(text) > 0;
}

int idg_audit_row_set(struct idg_audit_row *row, enum idg_audit_field field, const char *value, size_t len)
{
	char *copy = strndup(value, len);

	if (!copy)
		return -ENOMEM;
	/* Journal values may carry control characters; rows are for people. */
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	if (idg_audit_redact(copy))
		row->redacted = true;
	free(row->values[field]);
	row->values[field] = copy;
	return 0;
}

void idg_audit_row_clear(struct idg_audit_row *row)
{
	for (size_t i = 0; i < IDG_AF_COUNT_OF_FIELDS; i++)
		free(row->values[i]);
	memset(row, 0, sizeof(*row));
}

/* "5min", "2 hours", "3d" -> µs; -EINVAL. */
static int parse_span(const char *s, uint64_t *ret)
{
	static const struct {
		const char *unit;
		uint64_t usec;
	} units[] = {
		{ "s", 1000000ull },           { "sec", 1000000ull },       { "second", 1000000ull },
		{ "seconds", 1000000ull },     { "m", 60000000ull },        { "min", 60000000ull },
		{ "minute", 60000000ull },     { "minutes", 60000000ull },  { "h", 3600000000ull },
		{ "hour", 3600000000ull },     { "hours", 3600000000ull },  { "d", 86400000000ull },
		{ "day", 86400000000ull },     { "days", 86400000000ull },  { "w", 604800000000ull },
		{ "week", 604800000000ull },   { "weeks", 604800000000ull },
	};
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || n > 100000)
		return -EINVAL;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (streq(end, units[i].unit)) {
			*ret = n * units[i].usec;
			return 0;
		}
	return -EINVAL;
}

static uint64_t local_midnight(uint64_t now_usec, int day_offset)
{
	time_t t = (time_t)(now_usec / 1000000);
	struct tm tm;

	(void)localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += day_offset;
	tm.tm_isdst = -1;
	return (uint64_t)mktime(&tm) * 1000000ull;
}

static int parse_absolute(const char *text, uint64_t now_usec, uint64_t *ret_usec);

int idg_audit_parse_time(const char *text, uint64_t now_usec, uint64_t *ret_usec)
{
	char buf[64], *end;
	size_t len = strlen(text);
	uint64_t span;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (streq(text, "now"))
		return *ret_usec = now_usec, 0;
	if (streq(text, "today"))
		return *ret_usec = local_midnight(now_usec, 0), 0;
	if (streq(text, "yesterday"))
		return *ret_usec = local_midnight(now_usec, -1), 0;
	if (streq(text, "tomorrow"))
		return *ret_usec = local_midnight(now_usec, 1), 0;
	if (text[0] == '@') {
		unsigned long long s;

		errno = 0;
		s = strtoull(text + 1, &end, 10);
		if (errno || end == text + 1 || *end)
			return -EINVAL;
		return *ret_usec = s * 1000000ull, 0;
	}
	if ((text[0] == '-' || text[0] == '+') && parse_span(text + 1, &span) == 0) {
		*ret_usec = text[0] == '-' ? (span > now_usec ? 0 : now_usec - span) : now_usec + span;
		return 0;
	}
	if (len > 4 && streq(text + len - 4, " ago")) {
		memcpy(buf, text, len - 4);
		buf[len - 4] = '\0';
		if (parse_span(buf, &span) < 0)
			return -EINVAL;
		*ret_usec = span > now_usec ? 0 : now_usec - span;
		return 0;
	}
	return parse_absolute(text, now_usec, ret_usec);
}

/* HH:MM[:SS[.fraction]] at the start of s; the rest in *ret_end. */
static int parse_clock(const char *s, struct tm *tm, uint64_t *ret_frac_usec, const char **ret_end)
{
	const char *end = strptime(s, "%H:%M:%S", tm);

	*ret_frac_usec = 0;
	if (!end) {
		tm->tm_sec = 0;
		end = strptime(s, "%H:%M", tm);
		if (!end)
			return -EINVAL;
	} else if (*end == '.') {
		uint64_t scale = 100000;

		for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
			*ret_frac_usec += (uint64_t)(*end - '0') * scale;
	}
	*ret_end = end;
	return 0;
}

/* The absolute forms of systemd.time(7), as journalctl takes them:
 * [WEEKDAY] YYYY-MM-DD [HH:MM[:SS[.frac]]] [UTC|Z], the date-time
 * separator ' ' or 'T', or a time alone (today). Local time unless UTC. */
static int parse_absolute(const char *text, uint64_t now_usec, uint64_t *ret_usec)
{
	static const char *const weekdays[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday",
						"wednesday", "thursday", "friday", "saturday", "sunday" };
	char buf[64];
	const char *p = buf, *end;
	struct tm tm = { 0 };
	uint64_t frac = 0;
	bool utc = false, has_date;
	size_t len;
	time_t t;

	(void)snprintf(buf, sizeof(buf), "%s", text);
	len = strlen(buf);
	if (len > 4 && !strcasecmp(buf + len - 4, " UTC"))
		buf[len -= 4] = '\0', utc = true;
	else if (len > 1 && (buf[len - 1] == 'Z' || buf[len - 1] == 'z') && isdigit((unsigned char)buf[len - 2]))
		buf[--len] = '\0', utc = true;
	for (size_t i = 0; i < ARRAY_SIZE(weekdays); i++) {
		size_t n = strlen(weekdays[i]);

		if (!strncasecmp(p, weekdays[i], n) && p[n] == ' ') {
			p += n + 1;
			break;
		}
	}
	end = strptime(p, "%Y-%m-%d", &tm);
	has_date = end != NULL;
	if (has_date && (*end == ' ' || *end == 'T') && end[1]) {
		if (parse_clock(end + 1, &tm, &frac, &end) < 0)
			return -EINVAL;
	} else if (!has_date) {
		time_t now = (time_t)(now_usec / 1000000);

		if (utc)
			(void)gmtime_r(&now, &tm);
		else
			(void)localtime_r(&now, &tm);
		if (parse_clock(p, &tm, &frac, &end) < 0)
			return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret_usec = (uint64_t)t * 1000000ull + frac;
	return 0;
}

void idg_csv_write_field(FILE *out, const char *value)
{
	/* A process name or a device's own strings must not become a
	 * spreadsheet formula when an auditor opens the file. */
	bool formula = value && strchr("=+-@", value[0]) && value[0];

	if (!value)
		return;
	if (!value[strcspn(value, ",\"\r\n")]) {
		if (formula)
			(void)fputc('\'', out);
		(void)fputs(value, out);
		return;
	}
	(void)fputc('"', out);
	if (formula)
		(void)fputc('\'', out);
	for (const char *c = value; *c; c++) {
		if (*c == '"')
			(void)fputc('"', out);
		(void)fputc(*c, out);
	}
	(void)fputc('"', out);
}
