/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gate: loading, attaching and pinning the kernel programs, and keeping
 * their maps in step with the policy and the grants.
 *
 * Life cycle, chosen so no watched device is ever open to everyone:
 *   idg_gate_open()    loads the programs; maps already pinned under the
 *                      bpffs dir are reused (with the decisions, grants and
 *                      waiting events they hold), new ones are pinned.
 *   idg_gate_sync_*()  writes policy into the maps (before attaching).
 *   idg_gate_attach()  first start: attach a bpf_link per program (device
 *                      opens, connect4/6, and unix connect where the kernel
 *                      has it) and pin each.
 *                      restart: swap each new program into its pinned link
 *                      atomically (BPF_LINK_UPDATE); there is no gap.
 *   idg_gate_close()   closes fds only. Pins stay; enforcement continues.
 *   idg_gate_uninstall() detaches the pinned link and removes every pin.
 */
#ifndef IDG_GATE_H
#define IDG_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idguard.h"
#include "util.h"

struct idg_watchlist;
struct idg_gate;

#define IDG_DEFAULT_BPFFS_DIR "/sys/fs/bpf/idguard"
#define IDG_LINK_PIN_NAME "link_dev"

struct idg_gate_options {
	const char *bpffs_dir;
	const char *cgroup_path; /* where to attach */
	int helpers;             /* enum idg_helper bits the programs may call, or
				  * -1 for what the kernel offers each type */
};

/* Called for each record from the ring buffer. */
typedef void (*idg_event_handler)(const struct idg_event *event, void *userdata);

int idg_gate_open(const struct idg_gate_options *opts, struct idg_gate **ret_gate, struct idg_error *err);
int idg_gate_attach(struct idg_gate *gate, struct idg_error *err);
void idg_gate_close(struct idg_gate *gate);

/* The programs of the gate. The device program is the gate itself: without
 * it idg_gate_open() fails. The others are loaded where the running kernel
 * takes them; where it does not (no hook, or its verifier refuses one), the
 * gate opens without it and idg_gate_program_problem() says why, so that an
 * optional program never keeps the device gate from attaching. */
enum idg_gate_program {
	IDG_PROG_DEVICE,       /* cgroup/dev: opens of device nodes */
	IDG_PROG_DEVICE_STANDBY, /* the same, attached after it: decides what it
				  * did not see, so one detached link is no gap */
	IDG_PROG_CONNECT4,     /* cgroup/connect4: network endpoints, IPv4 */
	IDG_PROG_CONNECT6,     /* cgroup/connect6: network endpoints, IPv6 */
	IDG_PROG_CONNECT_UNIX, /* unix-socket connect: brokers (Linux 6.7+) */
	IDG_PROG_FLUSH,        /* sends the counts of ended repeat windows */
	IDG_PROG_COUNT,
};

/* "device", "connect4", "connect6", "connect-unix", "flush". */
const char *idg_gate_program_name(enum idg_gate_program p);
bool idg_gate_program_loaded(const struct idg_gate *gate, enum idg_gate_program p);
/* Why p is not loaded (one or more lines), or NULL when it is. */
const char *idg_gate_program_problem(const struct idg_gate *gate, enum idg_gate_program p);
/* The enum idg_helper bits the device and the connect programs were given:
 * what this kernel lets them call (the rest is read from the task). */
uint32_t idg_gate_device_helpers(const struct idg_gate *gate);
uint32_t idg_gate_socket_helpers(const struct idg_gate *gate);
/* The running kernel's release, as uname -r says. */
const char *idg_gate_kernel(const struct idg_gate *gate);
/* 1 when a process without capabilities cannot use the gate's map fds (as
 * on Linux before 5.19 with kernel.unprivileged_bpf_disabled set: every
 * bpf() call then needs CAP_BPF), 0 when it can, -errno when unknown. */
int idg_gate_fds_need_cap_bpf(struct idg_gate *gate);

/* True when the maps were found pinned (a restart, not a first start). */
bool idg_gate_reused_pins(const struct idg_gate *gate);
/* True when the device link was found pinned and its program swapped in place. */
bool idg_gate_reused_link(const struct idg_gate *gate);
uint64_t idg_gate_cgroup_id(const struct idg_gate *gate);
const char *idg_gate_cgroup_path(const struct idg_gate *gate);
const char *idg_gate_bpffs_dir(const struct idg_gate *gate);

/* Class modes and the repeat window. */
int idg_gate_set_config(struct idg_gate *gate, const struct idg_config *config, struct idg_error *err);
/* Makes the watched-device maps say exactly what list says: adds and
 * updates first, then removes what is no longer listed. */
int idg_gate_sync_watches(struct idg_gate *gate, const struct idg_watchlist *list, struct idg_error *err);
/* Makes the network maps hold exactly entries[0..n) and port_flags
 * (IDG_PORT_COUNT bytes), adding before removing. */
struct idg_endpoint_entry;
int idg_gate_sync_endpoints(struct idg_gate *gate, const struct idg_endpoint_entry *entries, size_t n,
			    const uint8_t *port_flags, struct idg_error *err);
/* Makes the broker map hold exactly keys[i] -> values[i]. */
int idg_gate_sync_brokers(struct idg_gate *gate, const struct idg_broker_key *keys, const struct idg_watch *values,
			  size_t n, struct idg_error *err);
/* Makes the exempt-cgroup map hold exactly ids[0..n). */
int idg_gate_sync_exempt(struct idg_gate *gate, const uint64_t *ids, size_t n, struct idg_error *err);
/* Sets (value != NULL) or removes (value == NULL) one grant entry. */
int idg_gate_put_grant(struct idg_gate *gate, const struct idg_grant_key *key, const struct idg_grant *value);
/* Calls fn for every grant entry in the kernel map. */
int idg_gate_foreach_grant(struct idg_gate *gate,
			   int (*fn)(const struct idg_grant_key *key, const struct idg_grant *value, void *data),
			   void *data);

/* Sums the per-CPU counters into out[IDG_STAT_COUNT]. */
int idg_gate_read_stats(struct idg_gate *gate, uint64_t out[IDG_STAT_COUNT]);
/* Sends the pending counts of repeat windows that have ended. */
int idg_gate_flush_repeats(struct idg_gate *gate);

/* The ring buffer: an fd for epoll, and a call that delivers what waits. */
int idg_gate_events_setup(struct idg_gate *gate, idg_event_handler handler, void *userdata);
int idg_gate_events_fd(struct idg_gate *gate);
int idg_gate_events_consume(struct idg_gate *gate);

/* Checks that our link is still attached to our cgroup and that the pins are
 * in place; re-pins missing pins. Returns 0 when all is well, -ENOLINK when
 * the link was detached behind our back (with a description in err). */
int idg_gate_check(struct idg_gate *gate, struct idg_error *err);

/* What the pins under bpffs_dir say, for status without a running daemon. */
struct idg_gate_pins {
	bool maps_pinned;
	bool link_pinned;
	bool link_attached;
	uint64_t cgroup_id;
	uint32_t link_id;
	uint32_t prog_id;
	uint64_t stats[IDG_STAT_COUNT];
	struct idg_config config;
};
int idg_gate_inspect_pins(const char *bpffs_dir, struct idg_gate_pins *ret, struct idg_error *err);

/* The lock a running idguardd holds on its bpffs_dir for its whole life, so
 * that one daemon at a time drives a set of pins; -EBUSY while another holds
 * it. Callers take it before idg_gate_open(); release by closing *ret_fd. */
int idg_gate_lock(const char *bpffs_dir, int *ret_fd, struct idg_error *err);

/* Detaches the pinned link, hands every record still waiting (in the ring
 * buffer, and the pending counts of repeat windows) to drain, then removes
 * every pin and the directory. Returns the number of records drained. */
int idg_gate_uninstall(const char *bpffs_dir, idg_event_handler drain, void *userdata, struct idg_error *err);

#endif
