// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the kernel side says about itself: the gate's per-CPU counters
 * (pinned map "stats", summed over CPUs), and how often the device program
 * attached to a cgroup has run (kernel.bpf_stats, switched on only while
 * asked, since it costs time on every run).
 */
#include "bench.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gate_stats_read(const char *bpffs_dir, uint64_t totals[IDG_STAT_COUNT])
{
	char path[4200];
	int fd, cpus = libbpf_num_possible_cpus();
	uint64_t *values;

	if (cpus <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/stats", bpffs_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	values = calloc((size_t)cpus, sizeof(*values));
	if (!values) {
		close(fd);
		return -ENOMEM;
	}
	for (__u32 key = 0; key < IDG_STAT_COUNT; key++) {
		totals[key] = 0;
		if (bpf_map_lookup_elem(fd, &key, values) == 0)
			for (int cpu = 0; cpu < cpus; cpu++)
				totals[key] += values[cpu];
	}
	free(values);
	close(fd);
	return 0;
}

int stats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int device_program_runs(const char *cgroup, uint64_t *runs)
{
	__u32 ids[8], count = 8, attach_flags = 0;
	int cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	if (cg < 0)
		return -errno;
	err = bpf_prog_query(cg, BPF_CGROUP_DEVICE, 0, &attach_flags, ids, &count);
	close(cg);
	if (err < 0)
		return -errno;
	*runs = 0;
	for (__u32 i = 0; i < count; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			return -errno;
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (err < 0)
			return -errno;
		*runs += info.run_cnt;
	}
	return count ? 0 : -ENOENT;
}

/* How many entries a pinned map holds, by walking its keys. */
int map_entries(const char *bpffs_dir, const char *map_name, uint64_t *count)
{
	char path[4200];
	unsigned char key[64], next[64];
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd, err;
	void *prev = NULL;

	snprintf(path, sizeof(path), "%s/%s", bpffs_dir, map_name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err < 0 || info.key_size > sizeof(key)) {
		close(fd);
		return err < 0 ? -errno : -E2BIG;
	}
	*count = 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		(*count)++;
		memcpy(key, next, info.key_size);
		prev = key;
	}
	close(fd);
	return 0;
}
