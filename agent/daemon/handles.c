// SPDX-License-Identifier: GPL-2.0-only
/*
 * When a grant ends, the kernel refuses new opens at once, but a descriptor
 * opened under the grant keeps working: the device cgroup is asked at open
 * time only. So the daemon looks for processes of the grant's subject that
 * still hold a watched device of the ended classes and, per OnGrantEnd=,
 * ends them (SIGKILL: the descriptor must close now) or only records them.
 */
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "describe.h"
#include "names.h"

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

static void read_comm(int pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		(void)fclose(f);
	}
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
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

static void record_handle(struct daemon *d, const struct idg_grant_info *grant, int pid, const char *comm,
			  const struct idg_watch_entry *e, dev_t rdev, bool block, bool terminated, int kill_errno)
{
	char node[256] = "", device[64];
	const struct idg_device *dev;
	struct idg_record rec;

	(void)snprintf(device, sizeof(device), "%s %u:%u", block ? "block" : "char", major(rdev), minor(rdev));
	if (e->node)
		(void)snprintf(node, sizeof(node), "%s", e->node);
	else
		(void)idg_node_from_sysfs(NULL, block ? IDG_DEV_BLOCK : IDG_DEV_CHAR, major(rdev), minor(rdev), node,
					  sizeof(node));
	idg_record_init(&rec, IDG_MSG_HANDLE_ENDED, terminated ? LOG_WARNING : kill_errno ? LOG_ERR : LOG_NOTICE);
	if (terminated)
		idg_record_add(&rec, "MESSAGE", "Ended %s (pid %d) of %s (uid %u): it still held %s %s when grant %llu ended (%s)",
			       comm, pid, grant->user, grant->uid, idg_class_name(e->class_id), node[0] ? node : device,
			       (unsigned long long)grant->id, grant->end_reason);
	else if (kill_errno)
		idg_record_add(&rec, "MESSAGE", "Could not end %s (pid %d) of %s (uid %u), which still holds %s %s after grant %llu ended (%s): %s",
			       comm, pid, grant->user, grant->uid, idg_class_name(e->class_id), node[0] ? node : device,
			       (unsigned long long)grant->id, grant->end_reason, strerror(kill_errno));
	else
		idg_record_add(&rec, "MESSAGE", "%s (pid %d) of %s (uid %u) still holds %s %s after grant %llu ended (%s); left running (OnGrantEnd=log)",
			       comm, pid, grant->user, grant->uid, idg_class_name(e->class_id), node[0] ? node : device,
			       (unsigned long long)grant->id, grant->end_reason);
	idg_record_add(&rec, "OBJECT_PID", "%d", pid);
	idg_record_add(&rec, "IDGUARD_ACTION", "%s", terminated ? "terminated" : kill_errno ? "failed" : "logged");
	idg_record_add(&rec, "IDGUARD_PID", "%d", pid);
	idg_record_add(&rec, "IDGUARD_COMM", "%s", comm);
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
		char *end, comm[32];
		long pid = strtol(de->d_name, &end, 10);
		bool block = false, terminated = false;
		unsigned long long uid, session;
		uint32_t ended;
		int kill_errno = 0;
		dev_t rdev = 0;

		if (*end || pid <= 1 || pid == getpid() || !process_identity((int)pid, &uid, &session))
			continue;
		if (grant->scope == IDG_SCOPE_SESSION ? session != grant->subject : uid != grant->subject)
			continue;
		/* As the kernel decides: a live grant on the uid or on the session
		 * of this very process still covers what it holds. */
		ended = grant->class_mask & ~classes_covered(d, IDG_SCOPE_UID, (uint32_t)uid, now);
		if (session != 0xffffffffull)
			ended &= ~classes_covered(d, IDG_SCOPE_SESSION, (uint32_t)session, now);
		if (!ended)
			continue;
		e = held_device(d, (int)pid, ended, &rdev, &block);
		if (!e)
			continue;
		read_comm((int)pid, comm, sizeof(comm));
		if (d->policy->on_grant_end == IDG_GRANT_END_TERMINATE) {
			if (kill((pid_t)pid, SIGKILL) == 0)
				terminated = true;
			else
				kill_errno = errno;
		}
		record_handle(d, grant, (int)pid, comm, e, rdev, block, terminated, kill_errno);
	}
	(void)closedir(proc);
}
