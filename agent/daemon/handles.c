// SPDX-License-Identifier: GPL-2.0-only
/*
 * When a grant ends, the kernel refuses new opens at once, but a descriptor
 * opened under the grant keeps working: the device cgroup is asked at open
 * time only. So the daemon looks for processes that still hold a watched
 * device of the ended classes and, per OnGrantEnd=, ends them (SIGKILL: the
 * descriptor must close now) or only records them.
 *
 * Every holder counts, not only the grant's own uid or session: a
 * descriptor passed over a unix socket (SCM_RIGHTS), or inherited across a
 * setuid, is the same open file. Left alone are processes outside the gated
 * cgroup or in an exempt one (the gate never asked about them), those still
 * covered by a live grant of their own, and, for other users, classes not in
 * enforce mode (there anyone may open the device without a grant).
 */
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "describe.h"
#include "names.h"
#include "process.h"

/* Classes a live grant on (scope, subject) still covers. */
static uint32_t classes_covered(struct daemon *d, uint32_t scope, uint32_t subject, uint64_t now)
{
	struct idg_grant still;
	uint32_t covered = 0;

	if (!idg_grants_kernel_value(d->grants, scope, subject, &still))
		return 0;
	for (unsigned c = 1; c < IDG_CLASS_COUNT; c++)
		if ((still.class_mask & (1u << c)) && still.expires_boot_ns[c] > now)
			covered |= 1u << c;
	return covered;
}

static bool read_number_after(const char *path, const char *label, unsigned long long *ret)
{
	char line[256];
	size_t len = strlen(label);
	FILE *f = fopen(path, "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, label, len))
			found = sscanf(line + len, "%llu", ret) == 1;
	(void)fclose(f);
	return found;
}

/* A process's real uid and audit session, as the kernel gate sees them. */
static bool process_identity(int pid, unsigned long long *ret_uid, unsigned long long *ret_session)
{
	char path[64];

	(void)snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!read_number_after(path, "Uid:", ret_uid))
		return false;
	(void)snprintf(path, sizeof(path), "/proc/%d/sessionid", pid);
	if (!read_number_after(path, "", ret_session))
		*ret_session = 0xffffffffull;
	return true;
}

static int parent_of(int pid)
{
	unsigned long long ppid;
	char path[64];

	(void)snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return read_number_after(path, "PPid:", &ppid) ? (int)ppid : 0;
}

/* Whether dir is base or below it. */
static bool path_within(const char *dir, const char *base)
{
	size_t n = strlen(base);

	while (n > 1 && base[n - 1] == '/')
		n--;
	return !strncmp(dir, base, n) && (dir[n] == '\0' || dir[n] == '/');
}

/* Whether the gate decides for pid: its cgroup is in the gated subtree and
 * not in an exempt one. A process whose cgroup cannot be read is treated as
 * gated: ending one too many is safer than leaving a descriptor open. */
static bool process_gated(struct daemon *d, int pid)
{
	char cgroup[4096], dir[sizeof(d->cgroup_root) + sizeof(cgroup)];

	if (idg_process_cgroup(pid, cgroup, sizeof(cgroup)) < 0)
		return true;
	(void)snprintf(dir, sizeof(dir), "%s%s", d->cgroup_root, cgroup);
	if (!path_within(dir, d->cgroup_path))
		return false;
	for (size_t i = 0; i < d->exempt.count; i++)
		if (path_within(dir, d->exempt.paths[i]))
			return false;
	return true;
}

static bool is_subject(const struct idg_grant_info *grant, unsigned long long uid, unsigned long long session)
{
	return grant->scope == IDG_SCOPE_SESSION ? session == grant->subject : uid == grant->subject;
}

/* How a holder that is not the grant's subject came by the descriptor, as
 * far as /proc can tell: from an ancestor that is the subject (inherited,
 * e.g. across su or a setuid program), else passed to it by another
 * process (over a unix socket, or by a parent that has since ended). */
static int inherited_from(const struct idg_grant_info *grant, int pid)
{
	for (int hops = 0, p = parent_of(pid); p > 1 && hops < 64; hops++, p = parent_of(p)) {
		unsigned long long uid, session;

		if (process_identity(p, &uid, &session) && is_subject(grant, uid, session))
			return p;
	}
	return 0;
}

static uint32_t enforced_classes(const struct daemon *d)
{
	uint32_t mask = 0;

	for (unsigned c = 1; c < IDG_CLASS_COUNT; c++)
		if (idg_policy_effective_mode(d->policy, c) == IDG_MODE_ENFORCE)
			mask |= 1u << c;
	return mask;
}

/* The first watched device of an ended class that pid holds open. */
static const struct idg_watch_entry *held_device(struct daemon *d, int pid, uint32_t ended, dev_t *ret_rdev,
						 bool *ret_block)
{
	char path[64];
	struct dirent *de;
	DIR *fds;

	(void)snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	fds = opendir(path);
	if (!fds)
		return NULL;
	while ((de = readdir(fds))) {
		const struct idg_watch_entry *e;
		char fd_path[128];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(fd_path, sizeof(fd_path), "/proc/%d/fd/%s", pid, de->d_name);
		if (stat(fd_path, &st) < 0 || (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)))
			continue;
		/* What the kernel map holds: Device= entries and devices from udev. */
		e = idg_watchlist_find(d->kernel_watches, S_ISBLK(st.st_mode) ? IDG_DEV_BLOCK : IDG_DEV_CHAR,
				       major(st.st_rdev), minor(st.st_rdev));
		if (e && (ended & (1u << e->class_id))) {
			*ret_rdev = st.st_rdev;
			*ret_block = S_ISBLK(st.st_mode);
			(void)closedir(fds);
			return e;
		}
	}
	(void)closedir(fds);
	return NULL;
}

/* A process found holding a device of an ended class. */
struct holder {
	int pid;
	unsigned uid;
	char comm[32];
	char user[64];
	bool own;            /* the grant's own uid or session */
	int inherited_from;  /* else: an ancestor that is, or 0 */
	char parent_comm[32];
};

/* "received …" / "inherited …" for a holder that is not the grant's. */
static void how_obtained(const struct holder *h, char *buf, size_t size)
{
	if (h->inherited_from)
		(void)snprintf(buf, size, "it inherited the descriptor from %s (pid %d), a process of the grant's holder",
			       h->parent_comm, h->inherited_from);
	else
		(void)snprintf(buf, size, "it did not open it under a grant of its own: the descriptor was passed to it "
			       "by another process (over a unix socket, or by a parent that has ended)");
}

static void record_handle(struct daemon *d, const struct idg_grant_info *grant, const struct holder *h,
			  const struct idg_watch_entry *e, dev_t rdev, bool block, bool terminated, int kill_errno)
{
	char node[256] = "", device[64], what[320], how[200] = "", whose[128];
	const struct idg_device *dev;
	struct idg_record rec;

	(void)snprintf(device, sizeof(device), "%s %u:%u", block ? "block" : "char", major(rdev), minor(rdev));
	if (e->node)
		(void)snprintf(node, sizeof(node), "%s", e->node);
	else
		(void)idg_node_from_sysfs(NULL, block ? IDG_DEV_BLOCK : IDG_DEV_CHAR, major(rdev), minor(rdev), node,
					  sizeof(node));
	(void)snprintf(what, sizeof(what), "%s %s", idg_class_name(e->class_id), node[0] ? node : device);
	if (h->own)
		whose[0] = '\0';
	else
		(void)snprintf(whose, sizeof(whose), " of %s (uid %u)", grant->user, grant->uid);
	if (!h->own) {
		how[0] = ';';
		how[1] = ' ';
		how_obtained(h, how + 2, sizeof(how) - 2);
	}
	idg_record_init(&rec, IDG_MSG_HANDLE_ENDED, terminated ? LOG_WARNING : kill_errno ? LOG_ERR : LOG_NOTICE);
	if (terminated)
		idg_record_add(&rec, "MESSAGE", "Ended %s (pid %d) of %s (uid %u): it still held %s when grant %llu%s ended (%s)%s",
			       h->comm, h->pid, h->user, h->uid, what, (unsigned long long)grant->id, whose,
			       grant->end_reason, how);
	else if (kill_errno)
		idg_record_add(&rec, "MESSAGE", "Could not end %s (pid %d) of %s (uid %u), which still holds %s after grant %llu%s ended (%s)%s: %s",
			       h->comm, h->pid, h->user, h->uid, what, (unsigned long long)grant->id, whose,
			       grant->end_reason, how, strerror(kill_errno));
	else
		idg_record_add(&rec, "MESSAGE", "%s (pid %d) of %s (uid %u) still holds %s after grant %llu%s ended (%s)%s; left running (OnGrantEnd=log)",
			       h->comm, h->pid, h->user, h->uid, what, (unsigned long long)grant->id, whose,
			       grant->end_reason, how);
	idg_record_add(&rec, "IDGUARD_ACTION", "%s", terminated ? "terminated" : kill_errno ? "failed" : "logged");
	idg_record_add(&rec, "IDGUARD_PID", "%d", h->pid);
	idg_record_add(&rec, "IDGUARD_COMM", "%s", h->comm);
	idg_record_add(&rec, "IDGUARD_HOLDER_USER", "%s", h->user);
	idg_record_add(&rec, "IDGUARD_HOLDER_UID", "%u", h->uid);
	idg_record_add(&rec, "IDGUARD_OBTAINED", "%s", h->own ? "under-grant" : h->inherited_from ? "inherited" : "passed");
	if (h->inherited_from)
		idg_record_add(&rec, "IDGUARD_OBTAINED_FROM_PID", "%d", h->inherited_from);
	idg_record_add(&rec, "IDGUARD_CLASS", "%s", idg_class_name(e->class_id));
	idg_record_add(&rec, "IDGUARD_DEVICE", "%s", device);
	if (node[0])
		idg_record_add(&rec, "IDGUARD_NODE", "%s", node);
	if ((dev = idg_devtable_by_id(&d->devices, e->device_id))) {
		char label[256];

		idg_device_label(dev, label, sizeof(label));
		idg_record_add(&rec, "IDGUARD_DEVICE_LABEL", "%s", label);
		if (dev->vid_pid[0])
			idg_record_add(&rec, "IDGUARD_VID_PID", "%s", dev->vid_pid);
	}
	idg_record_add(&rec, "IDGUARD_GRANT_ID", "%llu", (unsigned long long)grant->id);
	idg_record_add(&rec, "IDGUARD_GRANT_END", "%s", grant->end_reason);
	idg_record_add(&rec, "IDGUARD_USER", "%s", grant->user);
	idg_record_add(&rec, "IDGUARD_UID", "%u", grant->uid);
	if (grant->token_id[0])
		idg_record_add(&rec, "IDGUARD_TOKEN_ID", "%s", grant->token_id);
	daemon_send(d, &rec);
}

void daemon_end_open_handles(struct daemon *d, const struct idg_grant_info *grant)
{
	uint32_t enforced = enforced_classes(d);
	uint64_t now = idg_now_boot_ns();
	struct dirent *de;
	DIR *proc;

	/* Ended by a reboot: no process of this boot held a device under it,
	 * and its session number may now be someone else's. */
	if (streq(grant->end_reason, "reboot"))
		return;
	proc = opendir("/proc");
	if (!proc) {
		log_warning("cannot read /proc to end handles of grant %llu: %s", (unsigned long long)grant->id,
			    strerror(errno));
		return;
	}
	while ((de = readdir(proc))) {
		const struct idg_watch_entry *e;
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		bool block = false, terminated = false;
		unsigned long long uid, session;
		struct holder h = { 0 };
		uint32_t ended;
		int kill_errno = 0;
		dev_t rdev = 0;

		if (*end || pid <= 1 || pid == getpid() || !process_identity((int)pid, &uid, &session))
			continue;
		h.own = is_subject(grant, uid, session);
		ended = grant->class_mask;
		/* Another user's process: only where the gate would have refused
		 * it the device. */
		if (!h.own && !(ended &= enforced))
			continue;
		/* Outside the gated cgroups (another idguardd's, an exempt
		 * service) the grant never decided for it, whoever it is. */
		if (!process_gated(d, (int)pid))
			continue;
		/* As the kernel decides: a live grant on the uid or on the session
		 * of this very process still covers what it holds. */
		ended &= ~classes_covered(d, IDG_SCOPE_UID, (uint32_t)uid, now);
		if (session != 0xffffffffull)
			ended &= ~classes_covered(d, IDG_SCOPE_SESSION, (uint32_t)session, now);
		if (!ended)
			continue;
		e = held_device(d, (int)pid, ended, &rdev, &block);
		if (!e)
			continue;
		h.pid = (int)pid;
		h.uid = (unsigned)uid;
		idg_process_comm(h.pid, h.comm, sizeof(h.comm));
		idg_user_name((uid_t)uid, h.user, sizeof(h.user));
		if (!h.own && (h.inherited_from = inherited_from(grant, h.pid)))
			idg_process_comm(h.inherited_from, h.parent_comm, sizeof(h.parent_comm));
		if (d->policy->on_grant_end == IDG_GRANT_END_TERMINATE) {
			if (kill((pid_t)pid, SIGKILL) == 0)
				terminated = true;
			else
				kill_errno = errno;
		}
		record_handle(d, grant, &h, e, rdev, block, terminated, kill_errno);
	}
	(void)closedir(proc);
}
