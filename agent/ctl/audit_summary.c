// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit summary: what an auditor's Friday report asks of a period.
 * Every kind of record by its MESSAGE_ID (records, and attempts where a
 * record counts several); refusals by workstation, user, program, class
 * and day; token uses by purpose and by approver; administrator grants
 * apart from token grants; and every use without an approver, listed.
 * As text, one JSON object, or CSV (section, key, value).
 */
#include <libintl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "notice_text.h"
#include "util.h"

#define _(s) dgettext(IDG_TEXTDOMAIN, s)

#define TOP_N 10
#define UNAPPROVED_LIST_MAX 200

struct audit_summary {
	uint64_t records, first_usec, last_usec;
	struct json_object *events;        /* event -> {"records": n, "attempts": n} */
	struct json_object *verdicts;      /* verdict -> attempts */
	struct json_object *refused;       /* "by_host" ... "by_day" -> {key: attempts} */
	struct json_object *token_uses;    /* "by_purpose", "by_approver" -> {key: {"redeemed", "attempts"}} */
	struct json_object *admin;         /* "grants_added", "attempts_granted" */
	struct json_object *unapproved;    /* [{time, host, user, class, grant_id, attempts}] */
	uint64_t unapproved_total;
	/* As earlier versions gave them (scripts read them): attempts by
	 * host, user and class, each by verdict; tokens redeemed; the most
	 * refused users and devices. */
	struct json_object *hosts, *users, *classes, *redeemed, *refused_users, *refused_devices;
	/* Where the hosts' names come from, and where a named sender wrote
	 * another _HOSTNAME: "NAME\037CLAIMED" -> records. */
	const char *host_source, *names_file;
	struct json_object *claimed_differs;
	struct json_object *left_out; /* [file] that could not be read */
};

void audit_summary_left_out(struct audit_summary *s, const char *file)
{
	if (s)
		json_object_array_add(s->left_out, json_object_new_string(file));
}

void audit_summary_set_hosts(struct audit_summary *s, enum audit_host_source source, const char *names_file)
{
	s->host_source = source == HOST_COLLECTOR_NAMED ? "collector-named" :
			 source == HOST_COLLECTOR       ? "collector" :
							  "claimed";
	s->names_file = source == HOST_COLLECTOR_NAMED ? names_file : NULL;
}

static const char *const refused_sections[] = { "by_host", "by_user", "by_program", "by_class", "by_day" };

static struct json_object *map_in(struct json_object *parent, const char *key)
{
	struct json_object *map;

	if (!json_object_object_get_ex(parent, key, &map)) {
		map = json_object_new_object();
		json_object_object_add(parent, key, map);
	}
	return map;
}

static void bump(struct json_object *map, const char *key, uint64_t n)
{
	struct json_object *count;
	int64_t now;

	if (!key || !*key)
		key = "(none)";
	now = json_object_object_get_ex(map, key, &count) ? json_object_get_int64(count) : 0;
	json_object_object_add(map, key, json_object_new_int64(now + (int64_t)n));
}

static void day_of(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	(void)localtime_r(&t, &tm);
	(void)strftime(buf, size, "%Y-%m-%d", &tm);
}

void audit_summary_add(struct audit_summary *s, const struct idg_audit_row *row)
{
	const char *event = audit_value(row, IDG_AF_EVENT), *verdict = row->values[IDG_AF_VERDICT];
	uint64_t n = audit_count_of(row);
	bool access = !strncmp(event, "access-", 7);
	char day[16], program[300];

	if (!s->records || row->time_usec < s->first_usec)
		s->first_usec = row->time_usec;
	if (row->time_usec > s->last_usec)
		s->last_usec = row->time_usec;
	s->records++;
	/* A sender the site's list names (its address beside the name). */
	if (row->values[IDG_AF_SENDER_ADDRESS] && row->values[IDG_AF_CLAIMED_HOST] &&
	    !streq(row->values[IDG_AF_CLAIMED_HOST], audit_value(row, IDG_AF_HOST))) {
		char key[300];

		(void)snprintf(key, sizeof(key), "%s\037%s", audit_value(row, IDG_AF_HOST),
			       row->values[IDG_AF_CLAIMED_HOST]);
		bump(s->claimed_differs, key, 1);
	}
	bump(map_in(s->events, event), "records", 1);
	bump(map_in(s->events, event), "attempts", access ? n : 1);
	if (verdict && access) {
		bump(s->verdicts, verdict, n);
		bump(map_in(s->hosts, row->values[IDG_AF_HOST] ? row->values[IDG_AF_HOST] : "(none)"), verdict, n);
		bump(map_in(s->users, row->values[IDG_AF_USER] ? row->values[IDG_AF_USER] : "(none)"), verdict, n);
		bump(map_in(s->classes, row->values[IDG_AF_CLASS] ? row->values[IDG_AF_CLASS] : "(none)"), verdict, n);
	}
	if (verdict && access && streq(verdict, "denied")) {
		day_of(row->time_usec, day, sizeof(day));
		/* A print job's record names the queue, not a program. */
		if (row->values[IDG_AF_COMM])
			(void)snprintf(program, sizeof(program), "%s", row->values[IDG_AF_COMM]);
		else
			(void)snprintf(program, sizeof(program), "%s", row->values[IDG_AF_PRINT_QUEUE] ? "(print job)" : "");
		bump(map_in(s->refused, "by_host"), row->values[IDG_AF_HOST], n);
		bump(map_in(s->refused, "by_user"), row->values[IDG_AF_USER], n);
		bump(map_in(s->refused, "by_program"), program, n);
		bump(map_in(s->refused, "by_class"), row->values[IDG_AF_CLASS], n);
		bump(map_in(s->refused, "by_day"), day, n);
		bump(s->refused_users, row->values[IDG_AF_USER], n);
		audit_what_of(row, program, sizeof(program));
		bump(s->refused_devices, program, n);
	}
	if (streq(event, "token-redeemed")) {
		bump(map_in(s->redeemed, "by_purpose"), row->values[IDG_AF_PURPOSE], 1);
		bump(map_in(s->redeemed, "by_approver"), row->values[IDG_AF_APPROVER], 1);
		bump(map_in(map_in(s->token_uses, "by_purpose"), audit_value(row, IDG_AF_PURPOSE)), "redeemed", 1);
		bump(map_in(map_in(s->token_uses, "by_approver"), audit_value(row, IDG_AF_APPROVER)), "redeemed", 1);
	}
	if (streq(event, "grant-added") &&
	    (!row->values[IDG_AF_GRANT_SOURCE] || streq(row->values[IDG_AF_GRANT_SOURCE], "admin")))
		bump(s->admin, "grants_added", 1);
	if (streq(event, "access-granted")) {
		if (row->values[IDG_AF_APPROVER]) {
			bump(map_in(map_in(s->token_uses, "by_purpose"), audit_value(row, IDG_AF_PURPOSE)), "attempts", n);
			bump(map_in(map_in(s->token_uses, "by_approver"), audit_value(row, IDG_AF_APPROVER)), "attempts",
			     n);
		} else {
			/* A use with no approver behind it: an administrator's grant. */
			struct json_object *use = json_object_new_object();
			char when[32];

			bump(s->admin, "attempts_granted", n);
			s->unapproved_total++;
			if (json_object_array_length(s->unapproved) < UNAPPROVED_LIST_MAX) {
				idg_format_time(row->time_usec, when, sizeof(when));
				json_object_object_add(use, "time", json_object_new_string(when));
				json_object_object_add(use, "host", json_object_new_string(audit_value(row, IDG_AF_HOST)));
				json_object_object_add(use, "user", json_object_new_string(audit_value(row, IDG_AF_USER)));
				json_object_object_add(use, "class", json_object_new_string(audit_value(row, IDG_AF_CLASS)));
				json_object_object_add(use, "program", json_object_new_string(audit_value(row, IDG_AF_COMM)));
				json_object_object_add(use, "grant_id",
						       json_object_new_int64(strtoll(audit_value(row, IDG_AF_GRANT_ID), NULL, 10)));
				json_object_object_add(use, "attempts", json_object_new_int64((int64_t)n));
				json_object_array_add(s->unapproved, use);
			}
		}
	}
}

static int by_count(const void *a, const void *b)
{
	int64_t x = json_object_get_int64(json_object_object_get(*(struct json_object *const *)a, "attempts"));
	int64_t y = json_object_get_int64(json_object_object_get(*(struct json_object *const *)b, "attempts"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(json_object_get_string(json_object_object_get(*(struct json_object *const *)a, "name")),
		      json_object_get_string(json_object_object_get(*(struct json_object *const *)b, "name")));
}

/* key -> n as [{"name", "attempts"}], largest first (at most max, 0: all);
 * days in order of time. */
static struct json_object *ranked_by(struct json_object *map, size_t max, bool chronological)
{
	struct json_object *list = json_object_new_array();

	json_object_object_foreach(map, key, count) {
		struct json_object *item = json_object_new_object();

		json_object_object_add(item, "name", json_object_new_string(key));
		json_object_object_add(item, "attempts", json_object_new_int64(json_object_get_int64(count)));
		json_object_array_add(list, item);
	}
	json_object_array_sort(list, chronological ? by_name : by_count);
	while (max && json_object_array_length(list) > max)
		json_object_array_del_idx(list, max, 1);
	return list;
}

static struct json_object *ranked(struct json_object *map, size_t max)
{
	return ranked_by(map, max, false);
}

/* The 5 largest as [{"name", "count"}], as earlier versions gave them. */
static struct json_object *top_counts(struct json_object *map)
{
	struct json_object *list = ranked(map, 5);

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *item = json_object_array_get_idx(list, i);

		json_object_object_add(item, "count", json_object_get(json_object_object_get(item, "attempts")));
		json_object_object_del(item, "attempts");
	}
	return list;
}

/* "NAME\037CLAIMED" -> n as [{"host", "claimed_host", "records"}]. */
static struct json_object *host_differences(struct json_object *map)
{
	struct json_object *list = json_object_new_array();

	json_object_object_foreach(map, key, count) {
		struct json_object *item = json_object_new_object();
		const char *sep = strchr(key, '\037');

		json_object_object_add(item, "host", json_object_new_string_len(key, sep ? (int)(sep - key) : 0));
		json_object_object_add(item, "claimed_host", json_object_new_string(sep ? sep + 1 : key));
		json_object_object_add(item, "records", json_object_new_int64(json_object_get_int64(count)));
		json_object_array_add(list, item);
	}
	return list;
}

struct json_object *audit_summary_json(struct audit_summary *s)
{
	struct json_object *obj = json_object_new_object(), *refused = json_object_new_object();
	char first[32] = "", last[32] = "";

	if (s->records) {
		idg_format_time(s->first_usec, first, sizeof(first));
		idg_format_time(s->last_usec, last, sizeof(last));
	}
	json_object_object_add(obj, "records", json_object_new_int64((int64_t)s->records));
	json_object_object_add(obj, "first", json_object_new_string(first));
	json_object_object_add(obj, "last", json_object_new_string(last));
	json_object_object_add(obj, "host_source", json_object_new_string(s->host_source ? s->host_source : "claimed"));
	if (s->names_file)
		json_object_object_add(obj, "names_file", json_object_new_string(s->names_file));
	json_object_object_add(obj, "claimed_host_differs", host_differences(s->claimed_differs));
	json_object_object_add(obj, "unreadable_files", json_object_get(s->left_out));
	json_object_object_add(obj, "events", json_object_get(s->events));
	json_object_object_add(obj, "verdicts", json_object_get(s->verdicts));
	json_object_object_add(obj, "hosts", json_object_get(s->hosts));
	json_object_object_add(obj, "users", json_object_get(s->users));
	json_object_object_add(obj, "classes", json_object_get(s->classes));
	json_object_object_add(obj, "tokens_redeemed", json_object_get(s->redeemed));
	json_object_object_add(obj, "most_refused_users", top_counts(s->refused_users));
	json_object_object_add(obj, "most_refused_devices", top_counts(s->refused_devices));
	json_object_object_foreach(s->refused, by, map)
		json_object_object_add(refused, by, ranked_by(map, 0, streq(by, "by_day")));
	json_object_object_add(obj, "refused", refused);
	json_object_object_add(obj, "token_uses", json_object_get(s->token_uses));
	json_object_object_add(obj, "administrator_grants", json_object_get(s->admin));
	json_object_object_add(obj, "uses_without_approver", json_object_get(s->unapproved));
	json_object_object_add(obj, "uses_without_approver_total", json_object_new_int64((int64_t)s->unapproved_total));
	return obj;
}

const char *audit_host_source_text(const char *source, const char *names_file)
{
	static char text[512];

	if (source && streq(source, "collector-named"))
		(void)snprintf(text, sizeof(text),
			       _("named by %s from the address the collector received each one's records from"),
			       names_file);
	else if (source && streq(source, "collector"))
		(void)snprintf(text, sizeof(text), "%s",
			       _("the address the collector received each one's records from (remote-ADDRESS.journal)"));
	else
		(void)snprintf(text, sizeof(text), "%s",
			       _("the host name in each record (_HOSTNAME), as the workstation itself wrote it"));
	return text;
}

static long long get(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return obj && json_object_object_get_ex(obj, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

static void print_text(struct audit_summary *s, struct json_object *obj)
{
	static const struct {
		const char *key, *title;
	} refused_by[] = {
		{ "by_host", "workstation" }, { "by_user", "user" }, { "by_program", "program" },
		{ "by_class", "class" },      { "by_day", "day" },
	};
	struct json_object *refused = json_object_object_get(obj, "refused");

	if (s->records)
		(void)printf("%llu records, from %s to %s\n", (unsigned long long)s->records,
			     json_object_get_string(json_object_object_get(obj, "first")),
			     json_object_get_string(json_object_object_get(obj, "last")));
	else
		(void)printf("No records for the period and filters given.\n");
	(void)printf("Workstations: %s\n", audit_host_source_text(s->host_source, s->names_file));
	{
		struct json_object *differs = json_object_object_get(obj, "claimed_host_differs");

		for (size_t i = 0; i < json_object_array_length(differs); i++) {
			struct json_object *d = json_object_array_get_idx(differs, i);

			(void)printf("  Warning: %s wrote the host name %s in %lld records\n",
				     json_object_get_string(json_object_object_get(d, "host")),
				     json_object_get_string(json_object_object_get(d, "claimed_host")), get(d, "records"));
		}
	}
	for (size_t i = 0; i < json_object_array_length(s->left_out); i++)
		(void)printf("  Warning: %s could not be read; its records are not counted\n",
			     json_object_get_string(json_object_array_get_idx(s->left_out, i)));
	(void)printf("Attempts: %lld denied, %lld audited, %lld granted\n", get(s->verdicts, "denied"),
		     get(s->verdicts, "audited"), get(s->verdicts, "granted"));
	(void)printf("\nRecords by kind:\n  %-24s %10s %10s\n", "", "records", "attempts");
	json_object_object_foreach(s->events, event, counts)
		(void)printf("  %-24s %10lld %10lld\n", event, get(counts, "records"), get(counts, "attempts"));
	for (size_t i = 0; i < ARRAY_SIZE(refused_by); i++) {
		struct json_object *list = json_object_object_get(refused, refused_by[i].key);
		size_t n = list ? json_object_array_length(list) : 0;

		(void)printf("\nRefused attempts by %s:\n", refused_by[i].title);
		if (!n)
			(void)printf("  (none)\n");
		for (size_t k = 0; k < n && (streq(refused_by[i].key, "by_day") || k < TOP_N); k++) {
			struct json_object *item = json_object_array_get_idx(list, k);

			(void)printf("  %-40s %10lld\n", json_object_get_string(json_object_object_get(item, "name")),
				     get(item, "attempts"));
		}
		if (!streq(refused_by[i].key, "by_day") && n > TOP_N)
			(void)printf("  (%zu more; --json lists all)\n", n - TOP_N);
	}
	(void)printf("\nToken uses:\n  %-40s %10s %10s\n", "", "redeemed", "attempts");
	json_object_object_foreach(map_in(s->token_uses, "by_purpose"), purpose, pc)
		(void)printf("  purpose %-32s %10lld %10lld\n", purpose, get(pc, "redeemed"), get(pc, "attempts"));
	json_object_object_foreach(map_in(s->token_uses, "by_approver"), approver, ac)
		(void)printf("  approver %-31s %10lld %10lld\n", approver, get(ac, "redeemed"), get(ac, "attempts"));
	(void)printf("\nAdministrator grants (no approver): %lld added, %lld attempts granted under them\n",
		     get(s->admin, "grants_added"), get(s->admin, "attempts_granted"));
	(void)printf("Uses without an approver: %llu\n", (unsigned long long)s->unapproved_total);
	for (size_t i = 0; i < json_object_array_length(s->unapproved); i++) {
		struct json_object *u = json_object_array_get_idx(s->unapproved, i);

		(void)printf("  %s  %-16s %-12s %-12s %-16s grant %lld, %lld attempts\n",
			     json_object_get_string(json_object_object_get(u, "time")),
			     json_object_get_string(json_object_object_get(u, "host")),
			     json_object_get_string(json_object_object_get(u, "user")),
			     json_object_get_string(json_object_object_get(u, "class")),
			     json_object_get_string(json_object_object_get(u, "program")), get(u, "grant_id"),
			     get(u, "attempts"));
	}
	if (s->unapproved_total > json_object_array_length(s->unapproved))
		(void)printf("  (%llu more; filter with --event access-granted to see them all)\n",
			     (unsigned long long)(s->unapproved_total - json_object_array_length(s->unapproved)));
}

static void csv_line(const char *section, const char *key, const char *sub, long long value)
{
	idg_csv_write_field(stdout, section);
	(void)fputc(',', stdout);
	idg_csv_write_field(stdout, key);
	(void)fputc(',', stdout);
	idg_csv_write_field(stdout, sub);
	(void)printf(",%lld\r\n", value);
}

static void print_csv(struct audit_summary *s, struct json_object *obj, bool bom)
{
	struct json_object *refused = json_object_object_get(obj, "refused");

	if (bom)
		(void)fputs("\xef\xbb\xbf", stdout);
	(void)fputs("section,key,measure,value\r\n", stdout);
	csv_line("total", "records", "records", (long long)s->records);
	for (size_t i = 0; i < json_object_array_length(s->left_out); i++)
		csv_line("unreadable file", json_object_get_string(json_object_array_get_idx(s->left_out, i)), "", 0);
	csv_line("hosts", s->host_source ? s->host_source : "claimed", s->names_file ? s->names_file : "", 0);
	{
		struct json_object *differs = json_object_object_get(obj, "claimed_host_differs");

		for (size_t i = 0; i < json_object_array_length(differs); i++) {
			struct json_object *d = json_object_array_get_idx(differs, i);

			csv_line("host wrote another name", json_object_get_string(json_object_object_get(d, "host")),
				 json_object_get_string(json_object_object_get(d, "claimed_host")), get(d, "records"));
		}
	}
	json_object_object_foreach(s->verdicts, verdict, count)
		csv_line("attempts", verdict, "attempts", (long long)json_object_get_int64(count));
	json_object_object_foreach(s->events, event, counts) {
		csv_line("event", event, "records", get(counts, "records"));
		csv_line("event", event, "attempts", get(counts, "attempts"));
	}
	json_object_object_foreach(refused, by, list) {
		char section[32];

		(void)snprintf(section, sizeof(section), "refused %s", by);
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *item = json_object_array_get_idx(list, i);

			csv_line(section, json_object_get_string(json_object_object_get(item, "name")), "attempts",
				 get(item, "attempts"));
		}
	}
	json_object_object_foreach(s->token_uses, by2, map) {
		char section[40];

		(void)snprintf(section, sizeof(section), "token uses %s", by2);
		json_object_object_foreach(map, key, uses) {
			csv_line(section, key, "redeemed", get(uses, "redeemed"));
			csv_line(section, key, "attempts", get(uses, "attempts"));
		}
	}
	csv_line("administrator grants", "added", "grants", get(s->admin, "grants_added"));
	csv_line("administrator grants", "granted", "attempts", get(s->admin, "attempts_granted"));
	csv_line("uses without approver", "total", "records", (long long)s->unapproved_total);
}

void audit_summary_print(struct audit_summary *s, enum audit_summary_format format, bool bom)
{
	struct json_object *obj = audit_summary_json(s);

	if (format == AUDIT_SUMMARY_JSON)
		ctl_print_json(obj);
	else if (format == AUDIT_SUMMARY_CSV)
		print_csv(s, obj, bom);
	else
		print_text(s, obj);
	json_object_put(obj);
}

struct audit_summary *audit_summary_new(void)
{
	struct audit_summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->events = json_object_new_object();
	s->verdicts = json_object_new_object();
	s->refused = json_object_new_object();
	s->token_uses = json_object_new_object();
	s->admin = json_object_new_object();
	s->unapproved = json_object_new_array();
	s->hosts = json_object_new_object();
	s->users = json_object_new_object();
	s->classes = json_object_new_object();
	s->redeemed = json_object_new_object();
	s->refused_users = json_object_new_object();
	s->refused_devices = json_object_new_object();
	s->claimed_differs = json_object_new_object();
	s->left_out = json_object_new_array();
	/* Every section is there, empty when nothing fell into it: a period
	 * without a refusal or a token use still has its report, and scripts
	 * find the same keys every time. */
	for (size_t i = 0; i < ARRAY_SIZE(refused_sections); i++)
		(void)map_in(s->refused, refused_sections[i]);
	(void)map_in(s->token_uses, "by_purpose");
	(void)map_in(s->token_uses, "by_approver");
	(void)map_in(s->redeemed, "by_purpose");
	(void)map_in(s->redeemed, "by_approver");
	bump(s->admin, "grants_added", 0);
	bump(s->admin, "attempts_granted", 0);
	return s;
}

void audit_summary_free(struct audit_summary *s)
{
	if (!s)
		return;
	json_object_put(s->events);
	json_object_put(s->verdicts);
	json_object_put(s->refused);
	json_object_put(s->token_uses);
	json_object_put(s->admin);
	json_object_put(s->unapproved);
	json_object_put(s->hosts);
	json_object_put(s->users);
	json_object_put(s->classes);
	json_object_put(s->redeemed);
	json_object_put(s->refused_users);
	json_object_put(s->refused_devices);
	json_object_put(s->claimed_differs);
	json_object_put(s->left_out);
	free(s);
}
