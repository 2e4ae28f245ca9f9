/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gate's state, shared by the three files that implement gate.h:
 * gate_load.c (probing the kernel, loading the programs it takes),
 * gate_maps.c (keeping the maps in step, the ring buffer) and gate.c
 * (attaching and pinning, checks, inspection, uninstall).
 */
#ifndef IDG_GATE_INTERNAL_H
#define IDG_GATE_INTERNAL_H

#include <limits.h>

#include "gate.h"
#include "gate.skel.h"

struct idg_gate {
	struct gate *skel;
	/* One per program that attaches to the cgroup (not the flush). */
	struct bpf_link *links[IDG_PROG_COUNT];
	bool loaded[IDG_PROG_COUNT];
	/* Why a program is not loaded, for status and the start record. */
	char *problem[IDG_PROG_COUNT];
	uint32_t dev_helpers;  /* enum idg_helper bits given to the programs */
	uint32_t sock_helpers;
	char kernel[65];       /* uname -r */
	struct ring_buffer *ring;
	idg_event_handler handler;
	void *userdata;
	char bpffs_dir[PATH_MAX];
	char cgroup_path[PATH_MAX];
	uint64_t cgroup_id;
	bool reused_pins;
	bool reused_link;
	/* What major_rules holds, once this daemon has written all of it: a
	 * sync after a hotplug then writes only the slots that change. */
	struct idg_major_rule *rules_written;
	uint8_t *ports_written; /* likewise for port_flags */
};

struct gate_program_info {
	const char *name;     /* in messages, status and the start record */
	const char *link_pin; /* the link's pin under the bpffs dir, or NULL */
	const char *hook;     /* what it attaches to, for messages */
};
extern const struct gate_program_info gate_programs[IDG_PROG_COUNT];

/* The skeleton's program for p (NULL before load). */
struct bpf_program *gate_program(const struct idg_gate *gate, enum idg_gate_program p);
int gate_pin_path(char *buf, size_t size, const char *dir, const char *name);
/* Sums a pinned or held per-CPU stats map into out[IDG_STAT_COUNT]. */
int gate_sum_stats(int fd, uint64_t out[IDG_STAT_COUNT]);

#endif
