// SPDX-License-Identifier: GPL-2.0-only
/* From kernel decision records to journal records (see describe.h). */
#include "describe.h"

#include <errno.h>
#include <pwd.h>

#include "devices.h"
#include "endpoints.h"
#include "grants.h"
#include "names.h"
#include "policy.h"
#include "util.h"
#include "watchlist.h"

#define NO_ID 0xffffffffu /* loginuid / sessionid when unset */

int64_t idg_boot_to_realtime_usec(void)
{
	return (int64_t)idg_now_realtime_usec() - (int64_t)(idg_now_boot_ns() / 1000);
}

void idg_user_name(uint32_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) == 0 && found)
		(void)snprintf(buf, size, "%s", found->pw_name);
	else
		(void)snprintf(buf, size, "uid %u", uid);
}

int idg_node_from_sysfs(const char *sysfs_dev_dir, unsigned dev_type, uint32_t major, uint32_t minor, char *buf,
			size_t size)
{
	char path[512], line[512];
	_cleanup_fclose_ FILE *f = NULL;

	(void)snprintf(path, sizeof(path), "%s/%s/%u:%u/uevent", sysfs_dev_dir ? sysfs_dev_dir : "/sys/dev",
		       dev_type == IDG_DEV_BLOCK ? "block" : "char", major, minor);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "DEVNAME=", 8))
			continue;
		line[strcspn(line, "\n")] = '\0';
		(void)snprintf(buf, size, "/dev/%s", line + 8);
		return 0;
	}
	return -ENOENT;
}

static uint64_t to_realtime(const struct idg_describe_context *ctx, uint64_t boot_ns)
{
	int64_t usec = (int64_t)(boot_ns / 1000) + ctx->boot_to_realtime_usec;

	return usec > 0 ? (uint64_t)usec : 0;
}

static void clock_time(uint64_t usec, char *buf, size_t size)
{
	char full[64];

	idg_format_time(usec, full, sizeof(full));
	/* "2026-11-22 10:15:00" -> "10:15:00": the clerk cares about today. */
	(void)snprintf(buf, size, "%s", strlen(full) > 11 ? full + 11 : full);
}

void idg_grant_summary(const struct idg_grant_info *g, bool with_until, char *buf, size_t size)
{
	char until[48] = "";

	if (with_until) {
		char when[32];

		clock_time(g->expires_usec, when, sizeof(when));
		(void)snprintf(until, sizeof(until), ", until %s", when);
	}
	if (streq(g->source, "token"))
		(void)snprintf(buf, size, "grant %llu: token %s for %s, ref %s, approved by %s%s",
			       (unsigned long long)g->id, g->token_id, g->purpose, g->ref, g->approver, until);
	else
		(void)snprintf(buf, size, "grant %llu: administrator grant%s", (unsigned long long)g->id, until);
}

void idg_record_add_grant_details(struct idg_record *rec, const struct idg_grant_info *g)
{
	idg_record_add(rec, "IDGUARD_GRANT_SOURCE", "%s", g->source);
	if (g->token_id[0])
		idg_record_add(rec, "IDGUARD_TOKEN_ID", "%s", g->token_id);
	if (g->purpose[0])
		idg_record_add(rec, "IDGUARD_PURPOSE", "%s", g->purpose);
	if (g->ref[0])
		idg_record_add(rec, "IDGUARD_REF", "%s", g->ref);
	if (g->approver[0])
		idg_record_add(rec, "IDGUARD_APPROVER", "%s", g->approver);
}

/* Where a network or broker connection went, for people and fields. */
struct destination {
	char name[64];      /* the [Endpoint] or [Broker] name */
	char address[64];   /* network: the address as people write it */
	char path[IDG_UNIX_PATH_MAX];
	char source[300];   /* FILE:LINE of the section */
};

static void describe_destination(const struct idg_event *ev, const struct idg_describe_context *ctx, const char *comm,
				 char *what, size_t size, struct destination *dest)
{
	const char *class_name = idg_class_name(ev->class_id);

	if (ev->gate == IDG_GATE_NETWORK) {
		const struct idg_endpoint *e = idg_policy_endpoint_by_id(ctx->policy, ev->device_id);

		idg_address_format(ev->addr, dest->address, sizeof(dest->address));
		if (e) {
			(void)snprintf(dest->name, sizeof(dest->name), "%s", e->id);
			(void)snprintf(dest->source, sizeof(dest->source), "%s:%u", e->file, e->line);
		}
		/* [fd00::5]:443, as URLs write an IPv6 address with a port. */
		bool v6 = strchr(dest->address, ':') != NULL;

		(void)snprintf(what, size, "%s endpoint %s%s%s%s%s:%u with %s (pid %u)", class_name, dest->name,
			       dest->name[0] ? " at " : "", v6 ? "[" : "", dest->address, v6 ? "]" : "", ev->port, comm,
			       ev->tgid);
	} else {
		const struct idg_broker *b = idg_policy_broker_by_id(ctx->policy, ev->device_id);

		if (b) {
			(void)snprintf(dest->name, sizeof(dest->name), "%s", b->id);
			(void)snprintf(dest->path, sizeof(dest->path), "%s", b->path ? b->path : "");
			(void)snprintf(dest->source, sizeof(dest->source), "%s:%u", b->file, b->line);
		}
		(void)snprintf(what, size, "%s broker %s%s%s with %s (pid %u)", class_name, dest->name[0] ? dest->name : "socket",
			       dest->path[0] ? " at " : "", dest->path, comm, ev->tgid);
	}
}

void idg_describe_event(const struct idg_event *ev, const struct idg_describe_context *ctx, struct idg_record *rec)
{
	const struct idg_watch_entry *watch = NULL;
	const struct idg_device *dev = NULL;
	struct destination dest = { 0 };
	struct idg_grant_info grant;
	bool have_grant = false;
	char user[64], login[64], comm[IDG_COMM_LEN + 1], node[256] = "", device[64], access[32];
	char subject[160], what[640], reason[256] = "", grant_text[320] = "", repeat[96] = "", when[32];
	char label[256] = "";
	const char *class_name = idg_class_name(ev->class_id);
	const char *verb = ev->gate == IDG_GATE_DEVICE ? "opening" : "connecting to";
	const char *message_id;
	int priority;

	memcpy(comm, ev->comm, IDG_COMM_LEN);
	comm[IDG_COMM_LEN] = '\0';
	/* A process names itself: keep its control characters out of the record. */
	for (char *c = comm; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	idg_user_name(ev->uid, user, sizeof(user));
	(void)snprintf(device, sizeof(device), "%s %u:%u", idg_dev_type_name(ev->dev_type), ev->major, ev->minor);
	idg_access_format(ev->access, access, sizeof(access));

	if (ctx->watches)
		watch = idg_watchlist_by_id(ctx->watches, ev->device_id);
	if (ctx->devices && ev->gate == IDG_GATE_DEVICE) {
		/* By id: the device the kernel matched, even if it left since.
		 * A node caught by a whole-major or range entry (not yet
		 * classified) is named by whoever holds that number now. */
		dev = idg_devtable_by_id(ctx->devices, ev->device_id);
		if (!dev)
			dev = idg_devtable_by_node(ctx->devices, ev->dev_type, ev->major, ev->minor);
	}
	if (dev)
		idg_device_label(dev, label, sizeof(label));
	for (size_t i = 0; dev && i < dev->n_nodes && !node[0]; i++)
		if (dev->nodes[i].dev_type == ev->dev_type && dev->nodes[i].major == ev->major &&
		    dev->nodes[i].minor == ev->minor && dev->nodes[i].devnode)
			(void)snprintf(node, sizeof(node), "%s", dev->nodes[i].devnode);
	if (ev->gate == IDG_GATE_DEVICE && !node[0]) {
		if (watch && watch->node && watch->minor_lo == ev->minor && watch->major == ev->major)
			(void)snprintf(node, sizeof(node), "%s", watch->node);
		else
			(void)idg_node_from_sysfs(ctx->sysfs_dev_dir, ev->dev_type, ev->major, ev->minor, node,
						  sizeof(node));
	}
	if (ev->grant_id && ctx->grants && idg_grants_get(ctx->grants, ev->grant_id, &grant) == 0)
		have_grant = true;

	if (ev->loginuid != NO_ID && ev->loginuid != ev->uid) {
		idg_user_name(ev->loginuid, login, sizeof(login));
		(void)snprintf(subject, sizeof(subject), "%s (uid %u, logged in as %s)", user, ev->uid, login);
	} else {
		(void)snprintf(subject, sizeof(subject), "%s (uid %u)", user, ev->uid);
	}
	if (ev->gate == IDG_GATE_NETWORK || ev->gate == IDG_GATE_BROKER)
		describe_destination(ev, ctx, comm, what, sizeof(what), &dest);
	else
		(void)snprintf(what, sizeof(what), "%s %s%s%s%s with %s (pid %u)", class_name, node[0] ? node : device,
			       label[0] ? " (" : "", label, label[0] ? ")" : "", comm, ev->tgid);

	switch (ev->reason) {
	case IDG_REASON_GRANT_EXPIRED:
		if (have_grant) {
			clock_time(grant.expires_usec, when, sizeof(when));
			(void)snprintf(reason, sizeof(reason), "the %s expired at %s",
				       streq(grant.source, "token") ? "purpose token" : "grant", when);
		} else {
			(void)snprintf(reason, sizeof(reason), "the grant expired");
		}
		break;
	case IDG_REASON_GRANT_OTHER_CLASS:
		/* The kernel saw grants of other classes only; it names none. */
		(void)snprintf(reason, sizeof(reason), "the grants held do not cover %s", class_name);
		break;
	default:
		(void)snprintf(reason, sizeof(reason), "no purpose token");
		break;
	}
	if (have_grant)
		idg_grant_summary(&grant, true, grant_text, sizeof(grant_text));
	else if (ev->grant_id)
		(void)snprintf(grant_text, sizeof(grant_text), "grant %llu", (unsigned long long)ev->grant_id);
	if (ev->kind == IDG_EVENT_REPEAT)
		(void)snprintf(repeat, sizeof(repeat), " %llu more time%s in %.1f s", (unsigned long long)ev->count,
			       ev->count == 1 ? "" : "s", (double)(ev->last_boot_ns - ev->time_boot_ns) / 1e9);

	switch (ev->verdict) {
	case IDG_VERDICT_DENIED:
		message_id = IDG_MSG_ACCESS_DENIED;
		priority = LOG_WARNING;
		break;
	case IDG_VERDICT_AUDITED:
		message_id = IDG_MSG_ACCESS_AUDITED;
		priority = LOG_NOTICE;
		break;
	default:
		message_id = IDG_MSG_ACCESS_GRANTED;
		priority = LOG_INFO;
		break;
	}
	idg_record_init(rec, message_id, priority);
	if (ev->verdict == IDG_VERDICT_DENIED)
		idg_record_add(rec, "MESSAGE", "Refused %s %s %s%s: %s", subject, verb, what, repeat, reason);
	else if (ev->verdict == IDG_VERDICT_AUDITED)
		idg_record_add(rec, "MESSAGE", "Audit only: allowed %s %s %s%s although it would be refused: %s",
			       subject, verb, what, repeat, reason);
	else
		idg_record_add(rec, "MESSAGE", "Allowed %s %s %s%s under %s", subject, verb, what, repeat, grant_text);

	idg_record_add(rec, "IDGUARD_EVENT", "%s", ev->kind == IDG_EVENT_REPEAT ? "repeat" : "access");
	idg_record_add(rec, "IDGUARD_GATE", "%s", ev->gate == IDG_GATE_NETWORK ? "network"
						 : ev->gate == IDG_GATE_BROKER ? "broker" : "device");
	idg_record_add(rec, "IDGUARD_VERDICT", "%s", idg_verdict_name(ev->verdict));
	idg_record_add(rec, "IDGUARD_REASON", "%s", idg_reason_name(ev->reason));
	idg_record_add(rec, "IDGUARD_CLASS", "%s", class_name);
	if (ev->gate == IDG_GATE_NETWORK) {
		idg_record_add(rec, "IDGUARD_ADDRESS", "%s", dest.address);
		idg_record_add(rec, "IDGUARD_PORT", "%u", ev->port);
		idg_record_add(rec, "IDGUARD_FAMILY", "%s", ev->family == 10 ? "ipv6" : "ipv4");
		if (dest.name[0])
			idg_record_add(rec, "IDGUARD_ENDPOINT", "%s", dest.name);
	} else if (ev->gate == IDG_GATE_BROKER) {
		if (dest.name[0])
			idg_record_add(rec, "IDGUARD_BROKER", "%s", dest.name);
		if (dest.path[0])
			idg_record_add(rec, "IDGUARD_SOCKET_PATH", "%s", dest.path);
	} else {
		idg_record_add(rec, "IDGUARD_DEVICE", "%s", device);
	}
	if (node[0])
		idg_record_add(rec, "IDGUARD_NODE", "%s", node);
	if (dev) {
		idg_record_add(rec, "IDGUARD_DEVICE_LABEL", "%s", label);
		if (dev->vid_pid[0])
			idg_record_add(rec, "IDGUARD_VID_PID", "%s", dev->vid_pid);
		if (dev->vendor)
			idg_record_add(rec, "IDGUARD_VENDOR", "%s", dev->vendor);
		if (dev->model)
			idg_record_add(rec, "IDGUARD_MODEL", "%s", dev->model);
		if (dev->serial)
			idg_record_add(rec, "IDGUARD_SERIAL", "%s", dev->serial);
		if (dev->bus_path)
			idg_record_add(rec, "IDGUARD_BUS_PATH", "%s", dev->bus_path);
	}
	if (dest.source[0])
		idg_record_add(rec, "IDGUARD_POLICY_SOURCE", "%s", dest.source);
	else if (dev && dev->device_id == ev->device_id)
		idg_record_add(rec, "IDGUARD_POLICY_SOURCE", "%s", dev->matched_by);
	else if (watch && ev->gate == IDG_GATE_DEVICE)
		idg_record_add(rec, "IDGUARD_POLICY_SOURCE", "%s", watch->source);
	if (ev->gate == IDG_GATE_DEVICE)
		idg_record_add(rec, "IDGUARD_ACCESS", "%s", access);
	idg_record_add(rec, "IDGUARD_PID", "%u", ev->tgid);
	idg_record_add(rec, "IDGUARD_TID", "%u", ev->pid);
	idg_record_add(rec, "IDGUARD_COMM", "%s", comm);
	idg_record_add(rec, "IDGUARD_UID", "%u", ev->uid);
	idg_record_add(rec, "IDGUARD_USER", "%s", user);
	if (ev->loginuid != NO_ID) {
		idg_record_add(rec, "IDGUARD_LOGINUID", "%u", ev->loginuid);
		idg_user_name(ev->loginuid, login, sizeof(login));
		idg_record_add(rec, "IDGUARD_LOGIN_USER", "%s", login);
	}
	if (ev->sessionid != NO_ID)
		idg_record_add(rec, "IDGUARD_SESSION", "%u", ev->sessionid);
	idg_record_add(rec, "IDGUARD_CGROUP_ID", "%llu", (unsigned long long)ev->cgroup_id);
	idg_record_add(rec, "IDGUARD_COUNT", "%llu", (unsigned long long)ev->count);
	idg_record_add(rec, "IDGUARD_FIRST_USEC", "%llu", (unsigned long long)to_realtime(ctx, ev->time_boot_ns));
	idg_record_add(rec, "IDGUARD_LAST_USEC", "%llu", (unsigned long long)to_realtime(ctx, ev->last_boot_ns));
	if (ev->grant_id)
		idg_record_add(rec, "IDGUARD_GRANT_ID", "%llu", (unsigned long long)ev->grant_id);
	if (have_grant)
		idg_record_add_grant_details(rec, &grant);
}
