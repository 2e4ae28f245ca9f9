// SPDX-License-Identifier: GPL-2.0-only
/* The audit summary: attempts by host, user, class and verdict, tokens by
 * purpose and approver, the most refused users and devices. */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

#define TOP_N 5

struct audit_summary {
	struct json_object *hosts, *users, *classes, *verdicts; /* key -> {verdict: n} */
	struct json_object *purposes, *approvers;              /* key -> n */
	struct json_object *refused_users, *refused_devices;   /* key -> n */
	uint64_t records, first_usec, last_usec;
};

static void bump(struct json_object *map, const char *key, const char *sub, uint64_t n)
{
	struct json_object *entry, *count;

	if (!key || !*key)
		key = "(none)";
	if (!sub) {
		int64_t now = json_object_object_get_ex(map, key, &count) ? json_object_get_int64(count) : 0;

		json_object_object_add(map, key, json_object_new_int64(now + (int64_t)n));
		return;
	}
	if (!json_object_object_get_ex(map, key, &entry)) {
		entry = json_object_new_object();
		json_object_object_add(map, key, entry);
	}
	bump(entry, sub, NULL, n);
}

void audit_summary_add(struct audit_summary *s, const struct idg_audit_row *row)
{
	const char *event = audit_value(row, IDG_AF_EVENT), *verdict = row->values[IDG_AF_VERDICT];
	char what[512];

	if (!s->records || row->time_usec < s->first_usec)
		s->first_usec = row->time_usec;
	if (row->time_usec > s->last_usec)
		s->last_usec = row->time_usec;
	s->records++;
	if (verdict && !strncmp(event, "access-", 7)) {
		uint64_t n = audit_count_of(row);

		bump(s->hosts, row->values[IDG_AF_HOST], verdict, n);
		bump(s->users, row->values[IDG_AF_USER], verdict, n);
		bump(s->classes, row->values[IDG_AF_CLASS], verdict, n);
		bump(s->verdicts, verdict, NULL, n);
		if (streq(verdict, "denied")) {
			bump(s->refused_users, row->values[IDG_AF_USER], NULL, n);
			audit_what_of(row, what, sizeof(what));
			bump(s->refused_devices, what, NULL, n);
		}
	}
	if (streq(event, "token-redeemed")) {
		bump(s->purposes, row->values[IDG_AF_PURPOSE], NULL, 1);
		bump(s->approvers, row->values[IDG_AF_APPROVER], NULL, 1);
	}
}

static int compare_counts(const void *a, const void *b)
{
	int64_t x = json_object_get_int64(json_object_object_get(*(struct json_object *const *)a, "count"));
	int64_t y = json_object_get_int64(json_object_object_get(*(struct json_object *const *)b, "count"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The TOP_N largest of key -> n, as [{"name":..,"count":..}]. */
static struct json_object *top(struct json_object *map)
{
	struct json_object *list = json_object_new_array();

	json_object_object_foreach(map, key, count) {
		struct json_object *item = json_object_new_object();

		json_object_object_add(item, "name", json_object_new_string(key));
		json_object_object_add(item, "count", json_object_new_int64(json_object_get_int64(count)));
		json_object_array_add(list, item);
	}
	json_object_array_sort(list, compare_counts);
	while (json_object_array_length(list) > TOP_N)
		json_object_array_del_idx(list, TOP_N, 1);
	return list;
}

static void print_breakdown(const char *title, struct json_object *map)
{
	(void)printf("\n%s\n  %-32s %10s %10s %10s\n", title, "", "denied", "audited", "granted");
	json_object_object_foreach(map, key, verdicts)
		(void)printf("  %-32s %10lld %10lld %10lld\n", key, ctl_get_int(verdicts, "denied", 0),
			     ctl_get_int(verdicts, "audited", 0), ctl_get_int(verdicts, "granted", 0));
}

static void print_counts(const char *title, struct json_object *map)
{
	(void)printf("\n%s\n", title);
	if (json_object_object_length(map) == 0)
		(void)printf("  (none)\n");
	json_object_object_foreach(map, key, count)
		(void)printf("  %-40s %10lld\n", key, (long long)json_object_get_int64(count));
}

static void print_top(const char *title, struct json_object *list)
{
	(void)printf("\n%s\n", title);
	if (json_object_array_length(list) == 0)
		(void)printf("  (none)\n");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *item = json_object_array_get_idx(list, i);

		(void)printf("  %-60s %10lld\n", ctl_get_string(item, "name", ""), ctl_get_int(item, "count", 0));
	}
}

void audit_summary_print(struct audit_summary *s, bool json)
{
	struct json_object *top_users = top(s->refused_users), *top_devices = top(s->refused_devices);
	char first[32] = "-", last[32] = "-";

	if (s->records) {
		idg_format_time(s->first_usec, first, sizeof(first));
		idg_format_time(s->last_usec, last, sizeof(last));
	}
	if (json) {
		struct json_object *obj = json_object_new_object(), *tokens = json_object_new_object();

		json_object_object_add(obj, "records", json_object_new_int64((int64_t)s->records));
		json_object_object_add(obj, "first", json_object_new_string(first));
		json_object_object_add(obj, "last", json_object_new_string(last));
		json_object_object_add(obj, "verdicts", json_object_get(s->verdicts));
		json_object_object_add(obj, "hosts", json_object_get(s->hosts));
		json_object_object_add(obj, "users", json_object_get(s->users));
		json_object_object_add(obj, "classes", json_object_get(s->classes));
		json_object_object_add(tokens, "by_purpose", json_object_get(s->purposes));
		json_object_object_add(tokens, "by_approver", json_object_get(s->approvers));
		json_object_object_add(obj, "tokens_redeemed", tokens);
		json_object_object_add(obj, "most_refused_users", json_object_get(top_users));
		json_object_object_add(obj, "most_refused_devices", json_object_get(top_devices));
		ctl_print_json(obj);
		json_object_put(obj);
	} else {
		(void)printf("%llu records, from %s to %s\n", (unsigned long long)s->records, first, last);
		(void)printf("Attempts: %lld denied, %lld audited, %lld granted\n",
			     (long long)json_object_get_int64(json_object_object_get(s->verdicts, "denied")),
			     (long long)json_object_get_int64(json_object_object_get(s->verdicts, "audited")),
			     (long long)json_object_get_int64(json_object_object_get(s->verdicts, "granted")));
		print_breakdown("By host:", s->hosts);
		print_breakdown("By user:", s->users);
		print_breakdown("By class:", s->classes);
		print_counts("Tokens redeemed, by purpose:", s->purposes);
		print_counts("Tokens redeemed, by approver:", s->approvers);
		print_top("Most refused users:", top_users);
		print_top("Most refused devices:", top_devices);
	}
	json_object_put(top_users);
	json_object_put(top_devices);
}


struct audit_summary *audit_summary_new(void)
{
	struct audit_summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hosts = json_object_new_object();
	s->users = json_object_new_object();
	s->classes = json_object_new_object();
	s->verdicts = json_object_new_object();
	s->purposes = json_object_new_object();
	s->approvers = json_object_new_object();
	s->refused_users = json_object_new_object();
	s->refused_devices = json_object_new_object();
	return s;
}

void audit_summary_free(struct audit_summary *s)
{
	if (!s)
		return;
	json_object_put(s->hosts);
	json_object_put(s->users);
	json_object_put(s->classes);
	json_object_put(s->verdicts);
	json_object_put(s->purposes);
	json_object_put(s->approvers);
	json_object_put(s->refused_users);
	json_object_put(s->refused_devices);
	free(s);
}
