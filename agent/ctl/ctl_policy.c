// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl policy check / show. Both work without the daemon, on the
 * same parser the daemon uses, so "check" passing means the daemon accepts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "exempt.h"
#include "mounts.h"
#include "names.h"
#include "policy.h"
#include "util.h"
#include "watchlist.h"

static const char policy_help[] =
	"Usage: idguardctl policy check [--policy-dir DIR]... [--approvers-dir DIR]... [--json] [FILE...]\n"
	"       idguardctl policy show  [--policy-dir DIR]... [--approvers-dir DIR]... [--json]\n"
	"\n"
	"check  parses FILEs (or, without FILEs, the merged policy directories) and\n"
	"       reports every problem as FILE:LINE: error|warning: message.\n"
	"       Exit status 1 when there is any error; warnings alone exit 0.\n"
	"show   prints the merged effective policy, each line with the file and line\n"
	"       it came from.\n"
	"\n"
	"Without FILEs, the approver registry is checked too. Without --policy-dir and\n"
	"--approvers-dir, the directories are those idguardd reads by default:\n"
	"  " IDG_PREFIX "/share/idguard/policy.d, then " IDG_SYSCONFDIR "/idguard/policy.d\n"
	"  " IDG_SYSCONFDIR "/idguard/approvers.d\n";

static struct json_object *diags_to_json(const struct idg_diags *diags)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < diags->count; i++) {
		const struct idg_diag *d = &diags->items[i];
		struct json_object *obj = json_object_new_object();

		if (d->file)
			json_object_object_add(obj, "file", json_object_new_string(d->file));
		if (d->line)
			json_object_object_add(obj, "line", json_object_new_int((int)d->line));
		json_object_object_add(obj, "severity", json_object_new_string(d->warning ? "warning" : "error"));
		json_object_object_add(obj, "message", json_object_new_string(d->message));
		json_object_array_add(list, obj);
	}
	return list;
}

/* Loads from FILEs (in the order given) or from the directories. */
static int load(const char *const *dirs, size_t n_dirs, char **files, int n_files, struct idg_policy **ret,
		struct idg_diags *diags)
{
	static const char *const default_dirs[] = IDG_DEFAULT_POLICY_DIRS;
	struct idg_policy *policy;
	int r;

	if (n_files == 0) {
		if (n_dirs == 0) {
			dirs = default_dirs;
			n_dirs = ARRAY_SIZE(default_dirs);
		}
		r = idg_policy_load_dirs(dirs, n_dirs, ret, diags);
		if (r == 0)
			idg_policy_check_found(*ret, dirs, n_dirs, true, diags);
		return r;
	}
	policy = idg_policy_new();
	if (!policy)
		return -ENOMEM;
	for (int i = 0; i < n_files; i++) {
		r = idg_policy_parse_file(policy, files[i], diags);
		if (r == -ENOMEM) {
			idg_policy_free(policy);
			return r;
		}
	}
	idg_policy_check_purposes(policy, diags);
	idg_policy_check_matches(policy, diags);
	idg_policy_check_endpoints(policy, diags);
	*ret = policy;
	return 0;
}

int ctl_policy(const struct ctl *ctl_in, int argc, char **argv)
{
	static const struct option options[] = {
		{ "policy-dir", required_argument, NULL, 'd' },
		{ "approvers-dir", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dirs[16], *approver_dirs[16];
	size_t n_dirs = 0, n_approver_dirs = 0;
	struct ctl ctl = *ctl_in;
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = NULL;
	struct idg_watchlist *watches = NULL;
	const char *verb;
	int c, r, exit_code;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		(void)fputs(policy_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	verb = argv[1];
	if (!streq(verb, "check") && !streq(verb, "show")) {
		(void)fprintf(stderr, "idguardctl policy: unknown action '%s' (check or show)\n", verb);
		return CTL_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 0; /* 0, not 1: glibc then forgets the "+" (stop at operands) of main()'s scan */
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (n_dirs == ARRAY_SIZE(dirs)) {
				(void)fprintf(stderr, "idguardctl policy: at most %zu --policy-dir options\n", ARRAY_SIZE(dirs));
				return CTL_EXIT_USAGE;
			}
			dirs[n_dirs++] = optarg;
			break;
		case 'a':
			if (n_approver_dirs == ARRAY_SIZE(approver_dirs)) {
				(void)fprintf(stderr, "idguardctl policy: at most %zu --approvers-dir options\n",
					      ARRAY_SIZE(approver_dirs));
				return CTL_EXIT_USAGE;
			}
			approver_dirs[n_approver_dirs++] = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			(void)fputs(policy_help, stdout);
			return CTL_EXIT_OK;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (streq(verb, "show") && optind < argc) {
		(void)fprintf(stderr, "idguardctl policy show: unexpected argument '%s'\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	r = load(dirs, n_dirs, argv + optind, argc - optind, &policy, &diags);
	/* With the directories (not single files), the approver registry too:
	 * idguardd refuses a policy whose approvers.d has errors. */
	if (r == 0 && optind == argc) {
		static const char *const default_approver_dirs[] = IDG_DEFAULT_APPROVER_DIRS;

		r = idg_policy_load_approvers(policy, n_approver_dirs ? approver_dirs : default_approver_dirs,
					      n_approver_dirs ? n_approver_dirs : ARRAY_SIZE(default_approver_dirs), &diags);
	}
	if (r == 0 && diags.errors == 0)
		r = idg_watchlist_build(policy, &watches, &diags);
	if (r == 0 && diags.errors == 0) {
		/* The [Exempt] units and cgroups as the daemon resolves them, so
		 * that check, status and reload report the same warnings. */
		struct idg_exempt_set exempt = { 0 };
		char cgroup_root[4096];

		if (idg_cgroup2_find(cgroup_root, sizeof(cgroup_root)) == 0)
			r = idg_exempt_resolve(policy, cgroup_root, cgroup_root, &exempt, &diags);
		idg_exempt_set_clear(&exempt);
	}
	if (r == 0 && diags.errors == 0) {
		/* What the daemon would write for the network gate, with this
		 * machine's addresses: finds too many rules on one address. */
		struct idg_endpoint_table table;
		struct idg_prefix *local = NULL;
		size_t n_local = 0;

		(void)idg_local_addresses(&local, &n_local);
		r = idg_endpoint_table_build(policy, local, n_local, &table, &diags);
		idg_endpoint_table_clear(&table);
		free(local);
	}
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl policy: %s\n", strerror(-r));
		exit_code = CTL_EXIT_FAILED;
		goto out;
	}
	exit_code = diags.errors ? CTL_EXIT_FAILED : CTL_EXIT_OK;

	if (streq(verb, "check")) {
		if (ctl.json) {
			struct json_object *obj = json_object_new_object(), *files = json_object_new_array();

			for (size_t i = 0; i < policy->n_files; i++)
				json_object_array_add(files, json_object_new_string(policy->files[i]));
			json_object_object_add(obj, "ok", json_object_new_boolean(diags.errors == 0));
			json_object_object_add(obj, "files", files);
			json_object_object_add(obj, "errors", json_object_new_int64((int64_t)idg_diags_error_total(&diags)));
			json_object_object_add(obj, "warnings", json_object_new_int64((int64_t)idg_diags_warning_total(&diags)));
			json_object_object_add(obj, "diagnostics", diags_to_json(&diags));
			ctl_print_json(obj);
			json_object_put(obj);
		} else {
			idg_diags_print(&diags, stdout);
			size_t errors = idg_diags_error_total(&diags), warnings = idg_diags_warning_total(&diags);

			if (errors)
				(void)printf("%zu error%s, %zu warning%s in %zu file%s: the policy would be refused\n",
					     errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
					     policy->n_files, policy->n_files == 1 ? "" : "s");
			else
				(void)printf("%zu file%s checked: no errors, %zu warning%s\n", policy->n_files,
					     policy->n_files == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
		}
		goto out;
	}

	/* show */
	if (diags.errors) {
		idg_diags_print(&diags, stderr);
		(void)fprintf(stderr, "idguardctl policy show: the merged policy has errors (see above)\n");
		goto out;
	}
	if (ctl.json) {
		struct json_object *obj = json_object_new_object(), *classes = json_object_new_object();
		struct json_object *devices = json_object_new_array(), *exempt = json_object_new_array();
		struct json_object *files = json_object_new_array();
		char spec[256];

		json_object_object_add(obj, "global_mode", json_object_new_string(idg_mode_name((unsigned)policy->global_mode)));
		json_object_object_add(obj, "repeat_window_ms", json_object_new_int64((int64_t)policy->repeat_window_ms));
		json_object_object_add(obj, "stats_interval_sec", json_object_new_int64(policy->stats_interval_sec));
		{
			struct json_object *notify = json_object_new_object();

			json_object_object_add(notify, "warn_before_sec",
					       json_object_new_int64(policy->notify_warn_before_sec));
			if (policy->notify_advice)
				json_object_object_add(notify, "advice", json_object_new_string(policy->notify_advice));
			if (policy->notify_advice_zh)
				json_object_object_add(notify, "advice_zh_CN",
						       json_object_new_string(policy->notify_advice_zh));
			json_object_object_add(obj, "notify", notify);
		}
		for (unsigned k = 1; k < IDG_CLASS_COUNT; k++) {
			struct json_object *cls;

			if (!idg_class_from_name(idg_class_name(k)))
				continue;
			cls = json_object_new_object();
			json_object_object_add(cls, "mode", json_object_new_string(idg_mode_name((unsigned)policy->class_mode[k])));
			json_object_object_add(cls, "effective_mode",
					       json_object_new_string(idg_mode_name((unsigned)idg_policy_effective_mode(policy, k))));
			json_object_object_add(classes, idg_class_name(k), cls);
		}
		for (size_t i = 0; i < policy->n_devices; i++) {
			struct json_object *dev = json_object_new_object();

			idg_policy_device_format(&policy->devices[i], spec, sizeof(spec));
			json_object_object_add(dev, "class", json_object_new_string(idg_class_name(policy->devices[i].class_id)));
			json_object_object_add(dev, "device", json_object_new_string(spec));
			(void)snprintf(spec, sizeof(spec), "%s:%u", policy->devices[i].file, policy->devices[i].line);
			json_object_object_add(dev, "source", json_object_new_string(spec));
			json_object_array_add(devices, dev);
		}
		{
			struct json_object *matches = json_object_new_array();

			for (size_t i = 0; i < policy->n_matches; i++) {
				const struct idg_match_rule *rule = &policy->matches[i];
				struct json_object *m = json_object_new_object();

				idg_match_rule_format(rule, spec, sizeof(spec));
				json_object_object_add(m, "class", json_object_new_string(idg_class_name(rule->class_id)));
				json_object_object_add(m, "match", json_object_new_string(spec));
				(void)snprintf(spec, sizeof(spec), "%s:%u", rule->file, rule->line);
				json_object_object_add(m, "source", json_object_new_string(spec));
				json_object_array_add(matches, m);
			}
			json_object_object_add(obj, "matches", matches);
		}
		{
			struct json_object *endpoints = json_object_new_array(), *brokers = json_object_new_array();

			for (size_t i = 0; i < policy->n_endpoints; i++) {
				const struct idg_endpoint *e = &policy->endpoints[i];
				struct json_object *eo = json_object_new_object(), *addrs = json_object_new_array();
				struct json_object *ports = json_object_new_array();

				json_object_object_add(eo, "name", json_object_new_string(e->id));
				json_object_object_add(eo, "class", json_object_new_string(idg_class_name(e->class_id)));
				if (e->local)
					json_object_array_add(addrs, json_object_new_string("local"));
				if (e->loopback)
					json_object_array_add(addrs, json_object_new_string("loopback"));
				for (size_t k = 0; k < e->n_prefixes; k++) {
					idg_prefix_format(&e->prefixes[k], spec, sizeof(spec));
					json_object_array_add(addrs, json_object_new_string(spec));
				}
				for (size_t k = 0; k < e->n_ports; k++) {
					struct json_object *range = json_object_new_object();

					json_object_object_add(range, "first", json_object_new_int(e->ports[k].lo));
					json_object_object_add(range, "last", json_object_new_int(e->ports[k].hi));
					json_object_array_add(ports, range);
				}
				json_object_object_add(eo, "addresses", addrs);
				json_object_object_add(eo, "ports", ports);
				(void)snprintf(spec, sizeof(spec), "%s:%u", e->file, e->line);
				json_object_object_add(eo, "source", json_object_new_string(spec));
				json_object_array_add(endpoints, eo);
			}
			for (size_t i = 0; i < policy->n_brokers; i++) {
				const struct idg_broker *b = &policy->brokers[i];
				struct json_object *bo = json_object_new_object();

				json_object_object_add(bo, "name", json_object_new_string(b->id));
				json_object_object_add(bo, "class", json_object_new_string(idg_class_name(b->class_id)));
				json_object_object_add(bo, "path", json_object_new_string(b->path ? b->path : ""));
				(void)snprintf(spec, sizeof(spec), "%s:%u", b->file, b->line);
				json_object_object_add(bo, "source", json_object_new_string(spec));
				json_object_array_add(brokers, bo);
			}
			json_object_object_add(obj, "endpoints", endpoints);
			json_object_object_add(obj, "brokers", brokers);
		}
		for (size_t i = 0; i < policy->n_exempt; i++) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, policy->exempt[i].is_unit ? "unit" : "cgroup",
					       json_object_new_string(policy->exempt[i].name));
			(void)snprintf(spec, sizeof(spec), "%s:%u", policy->exempt[i].file, policy->exempt[i].line);
			json_object_object_add(e, "source", json_object_new_string(spec));
			json_object_array_add(exempt, e);
		}
		for (size_t i = 0; i < policy->n_files; i++)
			json_object_array_add(files, json_object_new_string(policy->files[i]));
		json_object_object_add(obj, "on_grant_end",
				       json_object_new_string(policy->on_grant_end == IDG_GRANT_END_LOG ? "log" : "terminate"));
		{
			struct json_object *purposes = json_object_new_array();

			for (size_t i = 0; i < policy->n_purposes; i++) {
				const struct idg_purpose *p = &policy->purposes[i];
				struct json_object *po = json_object_new_object(), *approvers = json_object_new_array();

				idg_class_mask_format(p->class_mask, spec, sizeof(spec));
				json_object_object_add(po, "id", json_object_new_string(p->id));
				json_object_object_add(po, "classes", json_object_new_string(spec));
				json_object_object_add(po, "max_minutes", json_object_new_int((int)p->max_minutes));
				for (size_t a = 0; a < p->n_approvers; a++)
					json_object_array_add(approvers, json_object_new_string(p->approvers[a]));
				json_object_object_add(po, "approvers", approvers);
				json_object_object_add(po, "example", json_object_new_boolean(p->example));
				(void)snprintf(spec, sizeof(spec), "%s:%u", p->file, p->line);
				json_object_object_add(po, "source", json_object_new_string(spec));
				json_object_array_add(purposes, po);
			}
			json_object_object_add(obj, "purposes", purposes);
		}
		json_object_object_add(obj, "classes", classes);
		json_object_object_add(obj, "devices", devices);
		json_object_object_add(obj, "exempt", exempt);
		json_object_object_add(obj, "files", files);
		ctl_print_json(obj);
		json_object_put(obj);
	} else {
		idg_diags_print(&diags, stderr);
		idg_policy_format_ini(policy, stdout);
	}
out:
	idg_watchlist_free(watches);
	idg_policy_free(policy);
	idg_diags_clear(&diags);
	return exit_code;
}
