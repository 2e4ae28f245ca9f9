// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control commands, one function each, dispatched from a table that
 * also says who may run them. The caller is who SO_PEERCRED says, never what
 * the request claims.
 */
#include "daemon.h"

#include <errno.h>
#include <pwd.h>

#include "describe.h"
#include "names.h"
#include "protocol.h"

#define MAX_GRANT_SECONDS (7u * 24 * 3600)

typedef struct json_object *(*command_fn)(struct daemon *d, const struct ucred *cred, struct json_object *request);

static uint64_t get_uint(struct json_object *request, const char *field, uint64_t fallback)
{
	struct json_object *value;

	if (!json_object_object_get_ex(request, field, &value))
		return fallback;
	return (uint64_t)json_object_get_int64(value);
}

struct json_object *daemon_grant_to_json(const struct idg_grant_info *g)
{
	struct json_object *obj = json_object_new_object();
	char classes[128];

	idg_class_mask_format(g->class_mask, classes, sizeof(classes));
	daemon_add_uint(obj, "id", g->id);
	daemon_add_string(obj, "scope", g->scope == IDG_SCOPE_SESSION ? "session" : "uid");
	if (g->scope == IDG_SCOPE_SESSION)
		daemon_add_uint(obj, "session", g->subject);
	daemon_add_string(obj, "user", g->user);
	daemon_add_uint(obj, "uid", g->uid);
	daemon_add_string(obj, "classes", classes);
	daemon_add_uint(obj, "created_usec", g->created_usec);
	daemon_add_uint(obj, "expires_usec", g->expires_usec);
	daemon_add_string(obj, "source", g->source);
	daemon_add_uint(obj, "added_by_uid", g->added_by_uid);
	if (g->token_id[0])
		daemon_add_string(obj, "token_id", g->token_id);
	if (g->purpose[0])
		daemon_add_string(obj, "purpose", g->purpose);
	if (g->ref[0])
		daemon_add_string(obj, "ref", g->ref);
	if (g->approver[0])
		daemon_add_string(obj, "approver", g->approver);
	return obj;
}

static struct json_object *do_ping(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply = idg_reply_ok();

	daemon_add_string(reply, "version", IDG_VERSION);
	daemon_add_uint(reply, "pid", (uint64_t)getpid());
	return reply;
}

static struct json_object *do_status(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply = idg_reply_ok(), *modes, *counters, *files, *link;
	uint64_t stats[IDG_STAT_COUNT] = { 0 };
	struct idg_gate_pins pins;
	struct idg_error err;

	(void)idg_gate_read_stats(d->gate, stats);
	(void)idg_gate_inspect_pins(idg_gate_bpffs_dir(d->gate), &pins, &err);
	json_object_object_add(reply, "running", json_object_new_boolean(1));
	daemon_add_string(reply, "version", IDG_VERSION);
	daemon_add_uint(reply, "pid", (uint64_t)getpid());
	daemon_add_uint(reply, "started_usec", d->started_usec);
	daemon_add_string(reply, "cgroup", idg_gate_cgroup_path(d->gate));
	daemon_add_uint(reply, "cgroup_id", idg_gate_cgroup_id(d->gate));
	daemon_add_string(reply, "bpffs_dir", idg_gate_bpffs_dir(d->gate));
	link = json_object_new_object();
	json_object_object_add(link, "pinned", json_object_new_boolean(pins.link_pinned));
	json_object_object_add(link, "attached", json_object_new_boolean(pins.link_attached &&
									  pins.cgroup_id == idg_gate_cgroup_id(d->gate)));
	daemon_add_uint(link, "link_id", pins.link_id);
	daemon_add_uint(link, "prog_id", pins.prog_id);
	json_object_object_add(reply, "link", link);
	daemon_add_string(reply, "global_mode", idg_mode_name((unsigned)d->policy->global_mode));
	modes = json_object_new_object();
	for (unsigned c = 1; c < IDG_CLASS_COUNT; c++)
		if (idg_class_from_name(idg_class_name(c)))
			daemon_add_string(modes, idg_class_name(c), idg_mode_name((unsigned)idg_policy_effective_mode(d->policy, c)));
	json_object_object_add(reply, "modes", modes);
	daemon_add_uint(reply, "repeat_window_ms", d->policy->repeat_window_ms);
	daemon_add_uint(reply, "watched", d->watches->count);
	daemon_add_uint(reply, "exempt", d->exempt.count);
	daemon_add_uint(reply, "grants", idg_grants_count(d->grants));
	daemon_add_uint(reply, "devices", d->devices.count);
	{
		size_t unclassified = 0;

		for (size_t i = 0; i < d->devices.count; i++)
			unclassified += d->devices.items[i]->class_id == IDG_CLASS_UNCLASSIFIED;
		daemon_add_uint(reply, "devices_unclassified", unclassified);
	}
	daemon_add_string(reply, "device_source", d->udevd_running ? "udev" : "sysfs");
	{
		struct json_object *gates = json_object_new_object();

		json_object_object_add(gates, "device", json_object_new_boolean(1));
		json_object_object_add(gates, "network", json_object_new_boolean(daemon_network_gate_loaded(d)));
		json_object_object_add(gates, "broker",
				       json_object_new_boolean(idg_gate_program_loaded(d->gate, IDG_PROG_CONNECT_UNIX)));
		json_object_object_add(reply, "gates", gates);
		json_object_object_add(reply, "kernel", daemon_kernel_json(d));
	}
	daemon_add_uint(reply, "endpoints", d->policy->n_endpoints);
	daemon_add_uint(reply, "brokers", d->policy->n_brokers);
	files = json_object_new_array();
	for (size_t i = 0; i < d->policy->n_files; i++)
		json_object_array_add(files, json_object_new_string(d->policy->files[i]));
	json_object_object_add(reply, "policy_files", files);
	daemon_add_uint(reply, "policy_warnings", d->policy_warnings);
	json_object_object_add(reply, "policy_warning_list", daemon_policy_warnings_json(d));
	daemon_add_string(reply, "events_to", idg_journal_is_journald() ? "journald" : "stderr");
	counters = json_object_new_object();
	for (unsigned s = 0; s < IDG_STAT_COUNT; s++)
		daemon_add_uint(counters, idg_stat_name(s), stats[s]);
	daemon_add_uint(counters, "journal_failures", d->journal_failures);
	json_object_object_add(reply, "counters", counters);
	json_object_object_add(reply, "relay", daemon_relay_json(d));
	return reply;
}

static struct json_object *device_json(struct daemon *d, const struct idg_device *dev)
{
	struct json_object *obj = json_object_new_object(), *nodes = json_object_new_array();
	char label[256], spec[64];

	idg_device_label(dev, label, sizeof(label));
	daemon_add_uint(obj, "device_id", dev->device_id);
	daemon_add_string(obj, "class", idg_class_name(dev->class_id));
	daemon_add_string(obj, "mode", idg_mode_name((unsigned)idg_policy_effective_mode(d->policy, dev->class_id)));
	daemon_add_string(obj, "label", label);
	if (dev->vid_pid[0])
		daemon_add_string(obj, "vid_pid", dev->vid_pid);
	if (dev->vendor)
		daemon_add_string(obj, "vendor", dev->vendor);
	if (dev->model)
		daemon_add_string(obj, "model", dev->model);
	if (dev->serial)
		daemon_add_string(obj, "serial", dev->serial);
	if (dev->bus_path)
		daemon_add_string(obj, "bus_path", dev->bus_path);
	daemon_add_string(obj, "syspath", dev->syspath);
	daemon_add_string(obj, "matched_by", dev->matched_by);
	daemon_add_uint(obj, "since_usec", dev->seen_usec);
	for (size_t i = 0; i < dev->n_nodes; i++) {
		const struct idg_device_node *n = &dev->nodes[i];
		struct json_object *node = json_object_new_object();

		(void)snprintf(spec, sizeof(spec), "%s %u:%u", idg_dev_type_name(n->dev_type), n->major, n->minor);
		if (n->devnode)
			daemon_add_string(node, "node", n->devnode);
		daemon_add_string(node, "device", spec);
		daemon_add_string(node, "type", idg_dev_type_name(n->dev_type));
		daemon_add_uint(node, "major", n->major);
		daemon_add_uint(node, "minor", n->minor);
		if (n->subsystem)
			daemon_add_string(node, "subsystem", n->subsystem);
		json_object_array_add(nodes, node);
	}
	json_object_object_add(obj, "nodes", nodes);
	return obj;
}

/* The devices udev shows, then the policy's Device= entries. */
static struct json_object *do_devices(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply = idg_reply_ok(), *devices = json_object_new_array(), *entries = json_object_new_array();
	char spec[64];

	for (size_t i = 0; i < d->devices.count; i++)
		json_object_array_add(devices, device_json(d, d->devices.items[i]));
	for (size_t i = 0; i < d->watches->count; i++) {
		const struct idg_watch_entry *e = &d->watches->entries[i];
		struct json_object *obj = json_object_new_object();

		idg_watch_entry_format(e, spec, sizeof(spec));
		daemon_add_uint(obj, "device_id", e->device_id);
		daemon_add_string(obj, "class", idg_class_name(e->class_id));
		daemon_add_string(obj, "mode", idg_mode_name((unsigned)idg_policy_effective_mode(d->policy, e->class_id)));
		daemon_add_string(obj, "device", spec);
		daemon_add_string(obj, "type", idg_dev_type_name(e->dev_type));
		daemon_add_uint(obj, "major", e->major);
		if (!e->whole_major) {
			daemon_add_uint(obj, "minor_first", e->minor_lo);
			daemon_add_uint(obj, "minor_last", e->minor_hi);
		}
		if (e->node)
			daemon_add_string(obj, "node", e->node);
		daemon_add_string(obj, "source", e->source);
		json_object_array_add(entries, obj);
	}
	json_object_object_add(reply, "devices", devices);
	json_object_object_add(reply, "entries", entries);
	daemon_add_string(reply, "device_source", d->udevd_running ? "udev" : "sysfs");
	daemon_add_uint(reply, "kernel_entries", d->kernel_watches ? d->kernel_watches->count : 0);
	return reply;
}

static struct json_object *do_reload(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply;
	char error[8192];
	int r = daemon_load_policy(d, true, error, sizeof(error));

	if (r < 0)
		return idg_reply_error(r == -EINVAL ? "policy-invalid" : "kernel-error", error);
	daemon_update_status(d);
	reply = idg_reply_ok();
	daemon_add_uint(reply, "watched", d->watches->count);
	daemon_add_uint(reply, "exempt", d->exempt.count);
	daemon_add_uint(reply, "warnings", d->policy_warnings);
	json_object_object_add(reply, "warning_list", daemon_policy_warnings_json(d));
	return reply;
}

static void send_grant_record(struct daemon *d, const char *message_id, const struct idg_grant_info *g,
			      const struct ucred *cred, const char *verb)
{
	struct idg_record rec;
	char classes[128], until[64], admin[64];

	idg_class_mask_format(g->class_mask, classes, sizeof(classes));
	idg_format_time(g->expires_usec, until, sizeof(until));
	idg_user_name(cred->uid, admin, sizeof(admin));
	idg_record_init(&rec, message_id, LOG_NOTICE);
	if (g->scope == IDG_SCOPE_SESSION)
		idg_record_add(&rec, "MESSAGE", "%s (uid %u) %s grant %llu: %s (uid %u) may use %s in audit session %u until %s",
			       admin, cred->uid, verb, (unsigned long long)g->id, g->user, g->uid, classes, g->subject, until);
	else
		idg_record_add(&rec, "MESSAGE", "%s (uid %u) %s grant %llu: %s (uid %u) may use %s until %s", admin,
			       cred->uid, verb, (unsigned long long)g->id, g->user, g->uid, classes, until);
	idg_record_add(&rec, "IDGUARD_CLIENT_PID", "%d", (int)cred->pid);
	idg_record_add(&rec, "IDGUARD_GRANT_ID", "%llu", (unsigned long long)g->id);
	idg_record_add(&rec, "IDGUARD_GRANT_SOURCE", "%s", g->source);
	idg_record_add(&rec, "IDGUARD_USER", "%s", g->user);
	idg_record_add(&rec, "IDGUARD_UID", "%u", g->uid);
	idg_record_add(&rec, "IDGUARD_CLASS", "%s", classes);
	idg_record_add(&rec, "IDGUARD_SCOPE", "%s", g->scope == IDG_SCOPE_SESSION ? "session" : "uid");
	if (g->scope == IDG_SCOPE_SESSION)
		idg_record_add(&rec, "IDGUARD_SESSION", "%u", g->subject);
	idg_record_add(&rec, "IDGUARD_EXPIRES_USEC", "%llu", (unsigned long long)g->expires_usec);
	idg_record_add(&rec, "IDGUARD_ADMIN_UID", "%u", cred->uid);
	idg_record_add(&rec, "IDGUARD_ADMIN", "%s", admin);
	if (g->token_id[0]) {
		idg_record_add(&rec, "IDGUARD_TOKEN_ID", "%s", g->token_id);
		idg_record_add(&rec, "IDGUARD_PURPOSE", "%s", g->purpose);
		idg_record_add(&rec, "IDGUARD_REF", "%s", g->ref);
		idg_record_add(&rec, "IDGUARD_APPROVER", "%s", g->approver);
	}
	daemon_send(d, &rec);
}

static struct json_object *do_grant_add(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct idg_grant_info g = { .scope = IDG_SCOPE_UID, .added_by_uid = cred->uid };
	const char *user = daemon_arg_string(request, "user", ""), *scope = daemon_arg_string(request, "scope", "uid");
	uint64_t seconds = get_uint(request, "seconds", 0);
	struct passwd pw, *found = NULL;
	char scratch[1024], bad[64], message[256];
	struct json_object *reply;
	struct idg_error err;
	int r;

	if (idg_class_mask_parse(daemon_arg_string(request, "classes", ""), &g.class_mask, bad, sizeof(bad)) < 0) {
		(void)snprintf(message, sizeof(message),
			       "unknown class '%s' (known: " IDG_CLASS_NAMES_TEXT ")", bad);
		return idg_reply_error("invalid-class", message);
	}
	if (seconds == 0 || seconds > MAX_GRANT_SECONDS) {
		(void)snprintf(message, sizeof(message), "a grant lasts from 1 second to %u days", MAX_GRANT_SECONDS / 86400);
		return idg_reply_error("invalid-duration", message);
	}
	g.uid = (uint32_t)get_uint(request, "uid", 0);
	if (!*user)
		return idg_reply_error("invalid-user", "the user name is empty");
	if (getpwnam_r(user, &pw, scratch, sizeof(scratch), &found) == 0 && found && found->pw_uid != g.uid) {
		(void)snprintf(message, sizeof(message), "user %s has uid %u, not %u", user, found->pw_uid, g.uid);
		return idg_reply_error("invalid-user", message);
	}
	(void)snprintf(g.user, sizeof(g.user), "%s", user);
	g.subject = g.uid;
	if (streq(scope, "session")) {
		if (!json_object_object_get_ex(request, "session", NULL))
			return idg_reply_error("invalid-scope", "a session grant needs the audit session id");
		g.scope = IDG_SCOPE_SESSION;
		g.subject = (uint32_t)get_uint(request, "session", 0);
	} else if (!streq(scope, "uid")) {
		return idg_reply_error("invalid-scope", "scope must be 'uid' or 'session'");
	}
	(void)snprintf(g.source, sizeof(g.source), "admin");
	g.duration_ns = seconds * 1000000000ull;

	if (idg_grants_add(d->grants, &g, &err) < 0)
		return idg_reply_error("state-error", err.message);
	r = daemon_grants_sync_subject(d, g.scope, g.subject);
	if (r < 0) {
		(void)idg_grants_end(d->grants, g.id, "kernel-error", NULL);
		(void)snprintf(message, sizeof(message), "cannot write the grant into the kernel: %s", strerror(-r));
		return idg_reply_error("kernel-error", message);
	}
	send_grant_record(d, IDG_MSG_GRANT_ADDED, &g, cred, "added");
	daemon_notice_granted(d, &g);
	reply = idg_reply_ok();
	json_object_object_add(reply, "grant", daemon_grant_to_json(&g));
	return reply;
}

static struct json_object *do_grant_list(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	struct json_object *reply = idg_reply_ok(), *list = json_object_new_array();

	for (size_t i = 0; i < idg_grants_count(d->grants); i++) {
		const struct idg_grant_info *g = idg_grants_at(d->grants, i);

		/* Staff see their own grants; administrators see everyone's. */
		if (cred->uid == 0 || g->uid == cred->uid)
			json_object_array_add(list, daemon_grant_to_json(g));
	}
	json_object_object_add(reply, "grants", list);
	return reply;
}

static struct json_object *do_grant_remove(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	uint64_t id = get_uint(request, "id", 0);
	struct idg_grant_info g;
	char message[128];
	int r;

	r = daemon_grant_end(d, id, "removed", &g);
	if (r == -ENOENT) {
		(void)snprintf(message, sizeof(message), "no live grant has id %llu (see 'idguardctl grant list')",
			       (unsigned long long)id);
		return idg_reply_error("not-found", message);
	}
	if (r == -EIO)
		return idg_reply_error("state-error", "cannot record the removal in the state database");
	send_grant_record(d, IDG_MSG_GRANT_REMOVED, &g, cred, "removed");
	if (r < 0) {
		(void)snprintf(message, sizeof(message), "cannot remove the grant from the kernel: %s", strerror(-r));
		return idg_reply_error("kernel-error", message);
	}
	return idg_reply_ok();
}

/* Who may run a command: anyone (it acts for the caller, known from
 * SO_PEERCRED), root, or the approval relay's user (and root). */
enum who { ANYONE, ROOT, RELAY };

static const struct {
	const char *name;
	enum who who;
	command_fn fn;
} command_table[] = {
	{ "ping", ANYONE, do_ping },
	{ "status", ANYONE, do_status },
	{ "devices", ANYONE, do_devices },
	{ "print-check", ROOT, daemon_print_check },
	{ "reload", ROOT, do_reload },
	{ "grant-add", ROOT, do_grant_add },
	{ "grant-list", ANYONE, do_grant_list },
	{ "grant-remove", ROOT, do_grant_remove },
	/* Staff redeem their own tokens; the caller is who SO_PEERCRED says. */
	{ "token-redeem", ANYONE, daemon_token_redeem },
	{ "token-list", ANYONE, daemon_token_list },
	{ "token-revoke", ANYONE, daemon_token_revoke },
	/* The online round trip: staff send and cancel their own requests. */
	{ "request-submit", ANYONE, daemon_request_submit },
	{ "request-list", ANYONE, daemon_request_list },
	{ "request-cancel", ANYONE, daemon_request_cancel },
	/* "watch" and "relay-watch" turn the connection into a stream:
	 * control.c answers them. */
	{ "notices", ANYONE, daemon_notices_list },
	{ "relay-status", RELAY, daemon_relay_status },
	{ "relay-sent", RELAY, daemon_relay_sent },
	{ "relay-withdrawn", RELAY, daemon_relay_withdrawn },
	{ "relay-answer", RELAY, daemon_relay_answer },
};

struct json_object *daemon_handle_request(struct daemon *d, const struct ucred *cred, struct json_object *request)
{
	const char *command = idg_request_command(request);
	char message[160];

	for (size_t i = 0; i < ARRAY_SIZE(command_table); i++) {
		if (!streq(command_table[i].name, command))
			continue;
		if (command_table[i].who == ROOT && cred->uid != 0) {
			(void)snprintf(message, sizeof(message), "'%s' is for administrators: run it as root", command);
			return idg_reply_error("permission-denied", message);
		}
		if (command_table[i].who == RELAY && !daemon_is_relay(d, cred)) {
			(void)snprintf(message, sizeof(message), "'%s' is for the approval relay (idguard-relay)", command);
			return idg_reply_error("permission-denied", message);
		}
		return command_table[i].fn(d, cred, request);
	}
	(void)snprintf(message, sizeof(message), "unknown command '%s'", command);
	return idg_reply_error("invalid-request", message);
}
