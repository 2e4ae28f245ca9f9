// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl status / devices / reload. When idguardd cannot be reached,
 * status still tells (as root) whether the pinned gate keeps enforcing,
 * because that is what an administrator needs to know at that moment.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "gate.h"
#include "names.h"
#include "protocol.h"
#include "util.h"

static const char status_help[] =
	"Usage: idguardctl status [--json] [--bpffs-dir DIR]\n"
	"Shows whether idguardd runs, where the gate is attached, the class modes and\n"
	"the decision counters. When idguardd is not running, shows (as root) whether\n"
	"the pinned programs in DIR still enforce. Exit status 3 when idguardd is not\n"
	"reachable, even if the pinned gate still enforces.\n";

static void print_counters(struct json_object *counters)
{
	(void)printf("decisions     %lld on watched devices: %lld denied, %lld audited, %lld granted; %lld exempt\n",
		     ctl_get_int(counters, "decisions", 0), ctl_get_int(counters, "denied", 0),
		     ctl_get_int(counters, "audited", 0), ctl_get_int(counters, "granted", 0),
		     ctl_get_int(counters, "exempt", 0));
	(void)printf("records       %lld sent, %lld repeated attempts folded into counts, %lld lost (%lld attempts)\n",
		     ctl_get_int(counters, "records", 0), ctl_get_int(counters, "folded", 0),
		     ctl_get_int(counters, "lost_records", 0), ctl_get_int(counters, "lost_attempts", 0));
}

/* The policy's warnings, as `idguardctl policy check` prints them. */
static void print_warning_list(struct json_object *list)
{
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++)
		(void)printf("              %s\n", json_object_get_string(json_object_array_get_idx(list, i)));
}

/* The approval relay (idguard-relay), as it last reported itself. */
static void print_relay(struct json_object *relay)
{
	struct json_object *value;

	if (!relay)
		return;
	if (!json_object_object_get_ex(relay, "running", &value) || !json_object_get_boolean(value))
		(void)printf("relay         not running (requests go by hand, as request codes)\n");
	else if (json_object_object_get_ex(relay, "connected", &value) && json_object_get_boolean(value))
		(void)printf("relay         connected to the broker %s\n", ctl_get_string(relay, "broker", "?"));
	else
		(void)printf("relay         cannot reach the broker %s: %s (requests wait and are sent when it is back)\n",
			     ctl_get_string(relay, "broker", "?"), ctl_get_string(relay, "error", "not connected"));
}

/* Which programs this kernel took; what is not enforced, and why. */
static void print_kernel(struct json_object *kernel)
{
	struct json_object *programs = json_object_object_get(kernel, "programs");
	const char *not_enforced = ctl_get_string(kernel, "not_enforced", "");
	size_t n = programs ? json_object_array_length(programs) : 0;

	if (!kernel)
		return;
	(void)printf("kernel        Linux %s; programs loaded:", ctl_get_string(kernel, "release", "?"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *prog = json_object_array_get_idx(programs, i);

		if (json_object_get_boolean(json_object_object_get(prog, "loaded")))
			(void)printf(" %s", ctl_get_string(prog, "name", "?"));
	}
	(void)printf("\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *prog = json_object_array_get_idx(programs, i);
		const char *problem = ctl_get_string(prog, "problem", NULL);

		if (problem)
			(void)printf("              not loaded: %s: %s\n", ctl_get_string(prog, "name", "?"), problem);
	}
	if (not_enforced[0])
		(void)printf("              WARNING: %s\n", not_enforced);
}

static void print_running(struct json_object *reply)
{
	struct json_object *modes, *link, *files;
	char started[64];

	idg_format_time((uint64_t)ctl_get_int(reply, "started_usec", 0), started, sizeof(started));
	(void)printf("idguardd      running, pid %lld, version %s, since %s\n", ctl_get_int(reply, "pid", 0),
		     ctl_get_string(reply, "version", "?"), started);
	link = json_object_object_get(reply, "link");
	(void)printf("gate          %s %s (cgroup id %lld); pinned in %s\n",
		     link && json_object_get_boolean(json_object_object_get(link, "attached")) ? "attached to" : "NOT ATTACHED to",
		     ctl_get_string(reply, "cgroup", "?"), ctl_get_int(reply, "cgroup_id", 0),
		     ctl_get_string(reply, "bpffs_dir", "?"));
	(void)printf("modes        ");
	if (json_object_object_get_ex(reply, "modes", &modes)) {
		json_object_object_foreach(modes, name, mode)
			(void)printf(" %s=%s", name, json_object_get_string(mode));
	}
	(void)printf("\n");
	if (!json_object_object_get_ex(reply, "policy_files", &files) || !json_object_is_type(files, json_type_array))
		files = json_object_new_array_ext(0);
	else
		json_object_get(files);
	(void)printf("policy        %zu file%s, %lld watched device entr%s, %lld exempt cgroup%s, %lld warning%s\n",
		     json_object_array_length(files), json_object_array_length(files) == 1 ? "" : "s",
		     ctl_get_int(reply, "watched", 0), ctl_get_int(reply, "watched", 0) == 1 ? "y" : "ies",
		     ctl_get_int(reply, "exempt", 0), ctl_get_int(reply, "exempt", 0) == 1 ? "" : "s",
		     ctl_get_int(reply, "policy_warnings", 0), ctl_get_int(reply, "policy_warnings", 0) == 1 ? "" : "s");
	json_object_put(files);
	print_warning_list(json_object_object_get(reply, "policy_warning_list"));
	(void)printf("devices       %lld from %s, %lld unclassified%s\n", ctl_get_int(reply, "devices", 0),
		     streq(ctl_get_string(reply, "device_source", ""), "udev") ? "udev" : "sysfs (systemd-udevd is not running)",
		     ctl_get_int(reply, "devices_unclassified", 0),
		     ctl_get_int(reply, "devices_unclassified", 0) ? " (see 'idguardctl devices')" : "");
	{
		struct json_object *gates = NULL, *broker = NULL;

		json_object_object_get_ex(reply, "gates", &gates);
		if (gates)
			json_object_object_get_ex(gates, "broker", &broker);
		(void)printf("network       %lld endpoints; %lld broker sockets%s\n", ctl_get_int(reply, "endpoints", 0),
			     ctl_get_int(reply, "brokers", 0),
			     broker && !json_object_get_boolean(broker)
				     ? " (not enforced: this kernel has no unix-socket connect hook, Linux 6.7+)"
				     : "");
	}
	print_kernel(json_object_object_get(reply, "kernel"));
	(void)printf("grants        %lld live\n", ctl_get_int(reply, "grants", 0));
	print_relay(json_object_object_get(reply, "relay"));
	print_counters(json_object_object_get(reply, "counters"));
	(void)printf("records to    %s\n", ctl_get_string(reply, "events_to", "?"));
}

/* The daemon is not answering: report what the pins say. */
static int status_from_pins(const struct ctl *ctl, const char *bpffs_dir)
{
	struct idg_gate_pins pins;
	struct idg_error err;
	struct json_object *obj, *counters;

	if (geteuid() != 0) {
		if (ctl->json) {
			obj = json_object_new_object();
			json_object_object_add(obj, "running", json_object_new_boolean(0));
			ctl_print_json(obj);
			json_object_put(obj);
		}
		(void)fprintf(stderr, "idguardctl: run as root to see whether the pinned gate still enforces\n");
		return CTL_EXIT_UNREACHABLE;
	}
	if (idg_gate_inspect_pins(bpffs_dir, &pins, &err) < 0) {
		(void)fprintf(stderr, "idguardctl: %s\n", err.message);
		return CTL_EXIT_UNREACHABLE;
	}
	if (ctl->json) {
		obj = json_object_new_object();
		counters = json_object_new_object();
		json_object_object_add(obj, "running", json_object_new_boolean(0));
		json_object_object_add(obj, "bpffs_dir", json_object_new_string(bpffs_dir));
		json_object_object_add(obj, "maps_pinned", json_object_new_boolean(pins.maps_pinned));
		json_object_object_add(obj, "link_pinned", json_object_new_boolean(pins.link_pinned));
		json_object_object_add(obj, "link_attached", json_object_new_boolean(pins.link_attached));
		json_object_object_add(obj, "cgroup_id", json_object_new_int64((int64_t)pins.cgroup_id));
		for (unsigned s = 0; s < IDG_STAT_COUNT; s++)
			json_object_object_add(counters, idg_stat_name(s), json_object_new_int64((int64_t)pins.stats[s]));
		json_object_object_add(obj, "counters", counters);
		ctl_print_json(obj);
		json_object_put(obj);
		return CTL_EXIT_UNREACHABLE;
	}
	(void)printf("idguardd      not running\n");
	if (pins.link_attached)
		(void)printf("gate          STILL ENFORCING: link pinned in %s, attached to cgroup id %llu\n", bpffs_dir,
			     (unsigned long long)pins.cgroup_id);
	else if (pins.maps_pinned)
		(void)printf("gate          not attached (maps pinned in %s, no attached link)\n", bpffs_dir);
	else
		(void)printf("gate          not installed (nothing pinned in %s)\n", bpffs_dir);
	if (pins.maps_pinned) {
		(void)printf("modes        ");
		for (unsigned c = 1; c < IDG_CLASS_COUNT; c++)
			if (idg_class_from_name(idg_class_name(c)))
				(void)printf(" %s=%s", idg_class_name(c), idg_mode_name(pins.config.class_mode[c]));
		(void)printf("\n");
		obj = json_object_new_object();
		for (unsigned s = 0; s < IDG_STAT_COUNT; s++)
			json_object_object_add(obj, idg_stat_name(s), json_object_new_int64((int64_t)pins.stats[s]));
		print_counters(obj);
		json_object_put(obj);
	}
	if (pins.maps_pinned)
		(void)printf("records       waiting in the pinned ring buffer until idguardd starts\n");
	return CTL_EXIT_UNREACHABLE;
}

int ctl_status(const struct ctl *ctl_in, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "bpffs-dir", required_argument, NULL, 'b' },
		{ 0 },
	};
	struct ctl ctl = *ctl_in;
	const char *bpffs_dir = IDG_DEFAULT_BPFFS_DIR;
	struct json_object *request, *reply;
	struct idg_error err;
	int c, r;

	optind = 0; /* 0, not 1: glibc then forgets the "+" (stop at operands) of main()'s scan */
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'b':
			bpffs_dir = optarg;
			break;
		case 'h':
			(void)fputs(status_help, stdout);
			return CTL_EXIT_OK;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		(void)fprintf(stderr, "idguardctl status: unexpected argument '%s'\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("status"));
	r = idg_client_call(ctl.socket_path, request, 15000, &reply, &err);
	json_object_put(request);
	if (r < 0) {
		if (!ctl.json)
			(void)fprintf(stderr, "idguardctl: %s\n", err.message);
		return status_from_pins(&ctl, bpffs_dir);
	}
	if (!json_object_get_boolean(json_object_object_get(reply, "ok"))) {
		/* It answered, but with a refusal (e.g. too many connections). */
		if (ctl.json)
			ctl_print_json(reply);
		else
			(void)fprintf(stderr, "idguardctl: %s\n", ctl_get_string(reply, "error", "idguardd refused"));
		json_object_put(reply);
		return CTL_EXIT_FAILED;
	}
	if (ctl.json)
		ctl_print_json(reply);
	else
		print_running(reply);
	json_object_put(reply);
	return CTL_EXIT_OK;
}

static const char devices_help[] =
	"Usage: idguardctl devices [--json]\n"
	"Lists the devices idguardd follows through udev, each with its class and\n"
	"mode, the name a person recognises (vendor, model, VID:PID), serial number,\n"
	"bus path, device nodes, and the policy line that recognised it. Then the\n"
	"policy's Device= entries: whole majors and ranges (such as 'char 189:*',\n"
	"unclassified) that cover nodes no device claims yet.\n";

static void print_device(struct json_object *dev)
{
	struct json_object *nodes = NULL;
	const char *serial = ctl_get_string(dev, "serial", NULL), *bus = ctl_get_string(dev, "bus_path", NULL);

	(void)printf("%-13s %-8s %s\n", ctl_get_string(dev, "class", "?"), ctl_get_string(dev, "mode", "?"),
		     ctl_get_string(dev, "label", "?"));
	if (serial || bus)
		(void)printf("    %s%s%s%s\n", serial ? "serial " : "", serial ? serial : "", serial && bus ? ", " : "",
			     bus ? bus : "");
	json_object_object_get_ex(dev, "nodes", &nodes);
	(void)printf("    nodes:");
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);

		(void)printf("%s %s (%s)", i ? "," : "", ctl_get_string(n, "node", "?"), ctl_get_string(n, "device", "?"));
	}
	if (!nodes || json_object_array_length(nodes) == 0)
		(void)printf(" none yet");
	(void)printf("\n    by:    %s\n", ctl_get_string(dev, "matched_by", "?"));
}

int ctl_devices(const struct ctl *ctl_in, int argc, char **argv)
{
	struct ctl ctl = *ctl_in;
	struct json_object *request, *reply, *list = NULL, *entries = NULL;
	int r;

	r = ctl_common_options(&ctl, &argc, &argv, devices_help);
	if (r)
		return CTL_OPTIONS_EXIT(r);
	if (argc > 0) {
		(void)fprintf(stderr, "idguardctl devices: unexpected argument '%s'\n", argv[0]);
		return CTL_EXIT_USAGE;
	}
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("devices"));
	r = ctl_call(&ctl, request, &reply);
	if (r)
		return r;
	if (ctl.json) {
		ctl_print_json(reply);
		json_object_put(reply);
		return CTL_EXIT_OK;
	}
	json_object_object_get_ex(reply, "devices", &list);
	json_object_object_get_ex(reply, "entries", &entries);
	(void)printf("Devices (from %s):\n", streq(ctl_get_string(reply, "device_source", ""), "udev")
						  ? "udev" : "sysfs; systemd-udevd is not running");
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		print_device(json_object_array_get_idx(list, i));
	if (!list || json_object_array_length(list) == 0)
		(void)printf("  (none: no device the policy recognises is connected)\n");
	(void)printf("\nPolicy entries (Device= lines):\n");
	if (entries && json_object_array_length(entries) > 0)
		(void)printf("%-13s %-8s %-20s %-22s %s\n", "CLASS", "MODE", "DEVICE", "NODE", "POLICY");
	for (size_t i = 0; entries && i < json_object_array_length(entries); i++) {
		struct json_object *e = json_object_array_get_idx(entries, i);

		(void)printf("%-13s %-8s %-20s %-22s %s\n", ctl_get_string(e, "class", "?"), ctl_get_string(e, "mode", "?"),
			     ctl_get_string(e, "device", "?"), ctl_get_string(e, "node", "-"), ctl_get_string(e, "source", ""));
	}
	if (!entries || json_object_array_length(entries) == 0)
		(void)printf("  (none)\n");
	json_object_put(reply);
	return CTL_EXIT_OK;
}

static const char reload_help[] =
	"Usage: idguardctl reload [--json]\n"
	"Makes idguardd re-read its policy directories, like SIGHUP. An invalid policy\n"
	"is refused with FILE:LINE and the policy in force stays. Needs root.\n";

int ctl_reload(const struct ctl *ctl_in, int argc, char **argv)
{
	struct ctl ctl = *ctl_in;
	struct json_object *request, *reply;
	int r;

	r = ctl_common_options(&ctl, &argc, &argv, reload_help);
	if (r)
		return CTL_OPTIONS_EXIT(r);
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("reload"));
	r = ctl_call(&ctl, request, &reply);
	if (r)
		return r;
	if (ctl.json)
		ctl_print_json(reply);
	else
	{
		(void)printf("Policy reloaded: %lld watched device entries, %lld exempt cgroups, %lld warnings%s\n",
			     ctl_get_int(reply, "watched", 0), ctl_get_int(reply, "exempt", 0),
			     ctl_get_int(reply, "warnings", 0), ctl_get_int(reply, "warnings", 0) ? ":" : ".");
		print_warning_list(json_object_object_get(reply, "warning_list"));
	}
	json_object_put(reply);
	return CTL_EXIT_OK;
}
