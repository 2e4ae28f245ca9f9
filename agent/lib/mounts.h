/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two filesystems the gate needs: the cgroup v2 hierarchy (where the
 * program attaches and exempt cgroups live) and a bpffs (where links and maps
 * are pinned so enforcement outlives the daemon). Both are found through
 * /proc/self/mountinfo and mounted when absent.
 */
#ifndef IDG_MOUNTS_H
#define IDG_MOUNTS_H

#include <stddef.h>
#include <stdint.h>

struct idg_error;

#define IDG_CGROUP2_FALLBACK_MOUNT "/run/idguard/cgroup2"

/* Mount point of the cgroup v2 hierarchy from mountinfo; -ENOENT if none. */
int idg_cgroup2_find(char *buf, size_t size);
/* Same, mounting cgroup2 at IDG_CGROUP2_FALLBACK_MOUNT when none is mounted. */
int idg_cgroup2_find_or_mount(char *buf, size_t size, struct idg_error *err);
/* The cgroup id (kernfs inode) of a cgroup directory. */
int idg_cgroup_id(const char *path, uint64_t *ret_id);
/* Makes dir a directory on a bpffs. If its parent is not on one, mounts a
 * bpffs on the parent when that is /sys/fs/bpf or an empty directory, and
 * refuses otherwise (mounting over a populated directory would hide it). */
int idg_bpffs_prepare(const char *dir, struct idg_error *err);
/* 1 when path is on a bpffs, 0 when not, -errno on error. */
int idg_is_bpffs(const char *path);

#endif
