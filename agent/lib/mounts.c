// SPDX-License-Identifier: GPL-2.0-only
/* Finding and mounting cgroup2 and bpffs (see mounts.h). */
#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "util.h"

int idg_cgroup2_find(char *buf, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	/* Fields: id parent maj:min root mountpoint options... - fstype source super */
	while (getline(&line, &cap, f) > 0) {
		char mountpoint[4096], fstype[64];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 || !streq(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mountpoint) != 1)
			continue;
		if (strlen(mountpoint) >= size)
			return -ENAMETOOLONG;
		strcpy(buf, mountpoint); /* mountinfo escapes spaces as \040; our paths have none */
		return 0;
	}
	return -ENOENT;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int idg_cgroup2_find_or_mount(char *buf, size_t size, struct idg_error *err)
{
	int r = idg_cgroup2_find(buf, size);

	if (r != -ENOENT) {
		if (r < 0)
			return idg_error_errno(err, r, "cannot read /proc/self/mountinfo");
		return 0;
	}
	r = mkdir_p(IDG_CGROUP2_FALLBACK_MOUNT, 0755);
	if (r < 0)
		return idg_error_errno(err, r, "cannot create %s", IDG_CGROUP2_FALLBACK_MOUNT);
	if (mount("cgroup2", IDG_CGROUP2_FALLBACK_MOUNT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return idg_error_errno(err, -errno, "no cgroup v2 hierarchy is mounted and mounting one at %s failed",
				       IDG_CGROUP2_FALLBACK_MOUNT);
	(void)snprintf(buf, size, "%s", IDG_CGROUP2_FALLBACK_MOUNT);
	return 0;
}

int idg_cgroup_id(const char *path, uint64_t *ret_id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*ret_id = st.st_ino; /* on cgroup2 the inode number is the cgroup id */
	return 0;
}

int idg_is_bpffs(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return -errno;
	return sfs.f_type == BPF_FS_MAGIC;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			empty = 0;
			break;
		}
	(void)closedir(d);
	return empty;
}

int idg_bpffs_prepare(const char *dir, struct idg_error *err)
{
	char parent_buf[4096];
	const char *parent;
	int r;

	if (strlen(dir) >= sizeof(parent_buf) || dir[0] != '/')
		return idg_error_set(err, -EINVAL, "bpffs directory '%s' must be an absolute path", dir);
	strcpy(parent_buf, dir);
	parent = dirname(parent_buf);

	r = mkdir_p(parent, 0755);
	if (r < 0)
		return idg_error_errno(err, r, "cannot create %s", parent);
	r = idg_is_bpffs(parent);
	if (r < 0)
		return idg_error_errno(err, r, "cannot inspect %s", parent);
	if (r == 0) {
		if (!streq(parent, "/sys/fs/bpf") && dir_is_empty(parent) != 1)
			return idg_error_set(err, -ENOTDIR,
					     "%s is not on a bpf filesystem and is not empty; mount one first (mount -t bpf bpf %s) or choose another --bpffs-dir",
					     parent, parent);
		if (mount("bpf", parent, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
			return idg_error_errno(err, -errno, "cannot mount a bpf filesystem on %s", parent);
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return idg_error_errno(err, -errno, "cannot create %s", dir);
	return 0;
}
