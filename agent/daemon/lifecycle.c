// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's start and stop records, and what the running kernel gave the
 * gate: which programs loaded, which did not and why, which helpers they
 * call. The same account goes to the log, the start record and `status`,
 * so that an administrator reads the same words wherever she looks.
 */
#include "daemon.h"

#include <stdarg.h>

static const struct {
	uint32_t bit;
	const char *name;
} helper_names[] = {
	{ IDG_HELPER_PID_TGID, "pid_tgid" },
	{ IDG_HELPER_COMM, "comm" },
	{ IDG_HELPER_ANCESTOR_CGROUP, "ancestor_cgroup_id" },
};

static void helpers_text(uint32_t bits, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(helper_names) && used < size; i++)
		if (bits & helper_names[i].bit)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "", helper_names[i].name);
	if (!used)
		(void)snprintf(buf, size, "none (read from the task)");
}

/* The first line of a program's problem, for one-line messages. */
static void first_line(const char *text, char *buf, size_t size)
{
	size_t n = strcspn(text, "\n");

	if (n >= size)
		n = size - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
}

static bool network_loaded(const struct daemon *d)
{
	return idg_gate_program_loaded(d->gate, IDG_PROG_CONNECT4) && idg_gate_program_loaded(d->gate, IDG_PROG_CONNECT6);
}

/* One sentence per thing the policy asks for that this kernel does not
 * enforce; "" when none. */
static void shortfalls_text(const struct daemon *d, char *buf, size_t size)
{
	size_t used = 0;
	char why[512];

	buf[0] = '\0';
	for (int p = IDG_PROG_DEVICE_STANDBY; p < IDG_PROG_COUNT && used < size; p++) {
		const char *problem = idg_gate_program_problem(d->gate, p);
		const char *what;
		bool matters;

		if (!problem)
			continue;
		first_line(problem, why, sizeof(why));
		switch (p) {
		case IDG_PROG_DEVICE_STANDBY:
			what = "a device link detached by someone leaves the device gate open until idguardd restarts";
			matters = true;
			break;
		case IDG_PROG_CONNECT4:
		case IDG_PROG_CONNECT6:
			what = d->policy->n_endpoints ? "the policy's [Endpoint] sections are NOT enforced"
						      : "[Endpoint] sections could not be enforced";
			matters = true;
			break;
		case IDG_PROG_CONNECT_UNIX:
			what = d->policy->n_brokers ? "the policy's [Broker] sections are NOT enforced"
						    : "[Broker] sections could not be enforced";
			matters = d->policy->n_brokers > 0;
			break;
		default:
			what = "counts of folded repeats are sent late (when the next window starts, or at uninstall)";
			matters = true;
			break;
		}
		if (!matters)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s program not loaded, %s: %s", used ? "; " : "",
					 idg_gate_program_name(p), what, why);
	}
}

void daemon_kernel_log(struct daemon *d)
{
	char dev[128], sock[128];

	helpers_text(idg_gate_device_helpers(d->gate), dev, sizeof(dev));
	helpers_text(idg_gate_socket_helpers(d->gate), sock, sizeof(sock));
	log_info("Linux %s: device programs call %s; connect programs call %s", idg_gate_kernel(d->gate), dev, sock);
	for (int p = 0; p < IDG_PROG_COUNT; p++) {
		const char *problem = idg_gate_program_problem(d->gate, p);

		if (problem)
			log_warning("the %s program is not loaded: %s", idg_gate_program_name(p), problem);
	}
}

void daemon_send_lifecycle(struct daemon *d, const char *message_id, int priority, const char *fmt, ...)
{
	struct idg_record rec;
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	idg_record_init(&rec, message_id, priority);
	idg_record_add(&rec, "MESSAGE", "%s", text);
	idg_record_add(&rec, "IDGUARD_VERSION", "%s", IDG_VERSION);
	idg_record_add(&rec, "IDGUARD_CGROUP", "%s", d->cgroup_path);
	idg_record_add(&rec, "IDGUARD_BPFFS_DIR", "%s", d->opts.bpffs_dir);
	daemon_send(d, &rec);
}

/* Appends text to buf (of size bytes, *used of them taken, always
 * NUL-terminated), its newlines written as " / ", as much as fits. */
static void append_one_line(char *buf, size_t size, size_t *used, const char *text)
{
	for (const char *c = text; *c; c++) {
		const char *piece = *c == '\n' ? " / " : NULL;
		size_t n = piece ? 3 : 1;

		if (*used + n >= size)
			break;
		memcpy(buf + *used, piece ? piece : c, n);
		*used += n;
	}
	buf[*used] = '\0';
}

void daemon_send_started(struct daemon *d)
{
	char shortfalls[2048], loaded[128] = "", missing[128] = "", problems[4096] = "", helpers[128];
	size_t used_loaded = 0, used_missing = 0, used_problems = 0;
	struct idg_record rec;

	shortfalls_text(d, shortfalls, sizeof(shortfalls));
	for (int p = 0; p < IDG_PROG_COUNT; p++) {
		const char *problem = idg_gate_program_problem(d->gate, p);

		if (!problem) {
			used_loaded += (size_t)snprintf(loaded + used_loaded, sizeof(loaded) - used_loaded, "%s%s",
							used_loaded ? " " : "", idg_gate_program_name(p));
			continue;
		}
		used_missing += (size_t)snprintf(missing + used_missing, sizeof(missing) - used_missing, "%s%s",
						 used_missing ? " " : "", idg_gate_program_name(p));
		/* Journal fields are one line: the verifier's lines are joined. */
		append_one_line(problems, sizeof(problems), &used_problems, used_problems ? " | " : "");
		append_one_line(problems, sizeof(problems), &used_problems, idg_gate_program_name(p));
		append_one_line(problems, sizeof(problems), &used_problems, ": ");
		append_one_line(problems, sizeof(problems), &used_problems, problem);
	}

	idg_record_init(&rec, IDG_MSG_AGENT_STARTED, shortfalls[0] || d->policy->n_files == 0 ? LOG_WARNING : LOG_NOTICE);
	idg_record_add(&rec, "MESSAGE", "idguard %s started on Linux %s: guarding %s with %zu Device= entries and %zu "
		       "devices from udev%s%s%s%s",
		       IDG_VERSION, idg_gate_kernel(d->gate), d->cgroup_path, d->watches->count, d->devices.count,
		       idg_gate_reused_link(d->gate) ? " (pinned enforcement continued without a gap)" : "",
		       d->policy->n_files == 0 ? ". WARNING: no policy file was found, so no device is guarded" : "",
		       shortfalls[0] ? ". WARNING: " : "", shortfalls);
	idg_record_add(&rec, "IDGUARD_VERSION", "%s", IDG_VERSION);
	idg_record_add(&rec, "IDGUARD_CGROUP", "%s", d->cgroup_path);
	idg_record_add(&rec, "IDGUARD_BPFFS_DIR", "%s", d->opts.bpffs_dir);
	idg_record_add(&rec, "IDGUARD_KERNEL", "%s", idg_gate_kernel(d->gate));
	idg_record_add(&rec, "IDGUARD_PROGRAMS", "%s", loaded);
	if (missing[0]) {
		idg_record_add(&rec, "IDGUARD_PROGRAMS_MISSING", "%s", missing);
		idg_record_add(&rec, "IDGUARD_PROGRAM_PROBLEMS", "%s", problems);
	}
	helpers_text(idg_gate_device_helpers(d->gate), helpers, sizeof(helpers));
	idg_record_add(&rec, "IDGUARD_DEVICE_HELPERS", "%s", helpers);
	idg_record_add(&rec, "IDGUARD_POLICY_FILES_COUNT", "%zu", d->policy->n_files);
	idg_record_add(&rec, "IDGUARD_POLICY_WARNINGS", "%zu", d->policy_warnings);
	daemon_send(d, &rec);
}

static struct json_object *helpers_json(uint32_t bits)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(helper_names); i++)
		if (bits & helper_names[i].bit)
			json_object_array_add(list, json_object_new_string(helper_names[i].name));
	return list;
}

struct json_object *daemon_kernel_json(struct daemon *d)
{
	struct json_object *obj = json_object_new_object(), *programs = json_object_new_array(), *helpers;
	char shortfalls[2048];

	json_object_object_add(obj, "release", json_object_new_string(idg_gate_kernel(d->gate)));
	for (int p = 0; p < IDG_PROG_COUNT; p++) {
		struct json_object *prog = json_object_new_object();
		const char *problem = idg_gate_program_problem(d->gate, p);

		json_object_object_add(prog, "name", json_object_new_string(idg_gate_program_name(p)));
		json_object_object_add(prog, "loaded", json_object_new_boolean(!problem));
		if (problem)
			json_object_object_add(prog, "problem", json_object_new_string(problem));
		json_object_array_add(programs, prog);
	}
	json_object_object_add(obj, "programs", programs);
	helpers = json_object_new_object();
	json_object_object_add(helpers, "device", helpers_json(idg_gate_device_helpers(d->gate)));
	json_object_object_add(helpers, "connect", helpers_json(idg_gate_socket_helpers(d->gate)));
	json_object_object_add(obj, "helpers", helpers);
	json_object_object_add(obj, "cap_bpf_kept", json_object_new_boolean(d->kept_cap_bpf));
	shortfalls_text(d, shortfalls, sizeof(shortfalls));
	json_object_object_add(obj, "not_enforced", json_object_new_string(shortfalls));
	return obj;
}

bool daemon_network_gate_loaded(const struct daemon *d)
{
	return network_loaded(d);
}
