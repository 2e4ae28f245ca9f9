// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the kernel side says about itself: the gate's counters, and how
 * often its device program has run (kernel.bpf_stats, switched on only while
 * asked, since it costs time on every run).
 */
#include "bench.h"
#include "gate.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The gate's counters, summed over CPUs, as idguardctl status reads them. */
int gate_stats_read(const char *bpffs_dir, uint64_t totals[IDG_STAT_COUNT])
{
	struct idg_gate_pins pins;
	struct idg_error err = { 0 };
	int r = idg_gate_inspect_pins(bpffs_dir, &pins, &err);

	if (r < 0)
		return r;
	memcpy(totals, pins.stats, sizeof(pins.stats));
	return 0;
}

int stats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

/* How often idguard's device program (the one its pinned link holds) has
 * run; counted only while stats_enable()'s descriptor is held. */
int device_program_runs(const char *bpffs_dir, uint64_t *runs)
{
	struct idg_gate_pins pins;
	struct idg_error err = { 0 };
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int r = idg_gate_inspect_pins(bpffs_dir, &pins, &err), fd;

	if (r < 0)
		return r;
	if (!pins.prog_id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(pins.prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	r = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (r < 0)
		return -errno;
	*runs = info.run_cnt;
	return 0;
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
