/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The benchmark harness (make bench): what its parts share.
 *
 * Each configuration is a long-lived worker process in its own cgroup, as
 * its own user: "no agent" in a cgroup with no program, "idguard" in a child
 * of the cgroup idguardd guards, "auditd" with an audit watch on the node.
 * The harness asks the workers in turn (A B C, then B C A, ...) to open and
 * close a path a number of times and keeps the time per open of every block;
 * the tables show medians over the rounds.
 */
#ifndef IDG_BENCH_H
#define IDG_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "idguard.h"

/* What a block opens. */
enum bench_op {
	OP_UNWATCHED, /* a mknod of char 1:3, no policy entry */
	OP_FILE,      /* a regular file: the device hook is never called */
	OP_WATCHED,   /* a node of the watched scanner */
	OP_COUNT,
};

struct worker_spec {
	const char *name;
	const char *cgroup;  /* joined before anything else */
	uid_t uid;           /* runs as this user, with it as login uid */
	int cpu;             /* pinned here; -1 leaves it free */
	const char *paths[OP_COUNT];
};

struct worker {
	const char *name;
	pid_t pid;
	int to_worker;
	int from_worker;
};

/* The result of one block of opens. */
struct block {
	uint64_t iterations;
	uint64_t elapsed_ns;
	uint64_t cpu_ns;    /* the worker's own CPU time over the block */
	uint64_t opened;    /* open() returned a descriptor */
	uint64_t refused;   /* EPERM */
	uint64_t failed;    /* any other error */
	int first_errno;    /* of the first other error */
};

int worker_start(struct worker *w, const struct worker_spec *spec);
void child_setup(const int *keep, int n);
int become_clerk(const char *who, const char *cgroup, uid_t uid, int cpu);
int worker_run(struct worker *w, enum bench_op op, uint64_t iterations, struct block *out);
void worker_stop(struct worker *w);

/* The flood: processes opening path at once, each its share of total. */
struct flood_result {
	uint64_t attempts;
	uint64_t refused;
	uint64_t opened;
	uint64_t failed;
	uint64_t elapsed_ns;
};
struct flood;
int flood_prepare(struct flood **ret, const char *cgroup, uid_t uid, const char *path, uint64_t total,
		  int processes);
int flood_go(struct flood *f, struct flood_result *out);

/* Journal records of one MESSAGE_ID for one cgroup: how many, and the sum
 * of their IDGUARD_COUNT. */
struct journal_tally {
	uint64_t records;
	uint64_t attempts;
};
int journal_tally(const char *directory, const char *message_id, uint64_t cgroup_id,
		  struct journal_tally *out);

/* auditd with a watch on one node, started by us when none runs. */
struct auditd_watch {
	char node[4096];
	char log[4096];
	pid_t pid;           /* ours, or 0 when auditd was already running */
	bool was_enabled;    /* audit was on before we came */
	bool rule_added;
	uint64_t lost_before;
};
int auditd_watch_start(struct auditd_watch *a, const char *node, const char *work_dir);
void auditd_watch_stop(struct auditd_watch *a);
uint64_t auditd_lost(void);
pid_t auditd_running_pid(void);
pid_t kauditd_pid(void);
void audit_backlog_drain(void);
void audit_contexts_off_begin(void);
void audit_contexts_off_end(void);
bool audit_contexts_off_active(void);

/* The kernel side, from idguard's pins: the gate's counters summed over
 * CPUs; the device program's run count (needs stats_enable()'s fd held). */
int gate_stats_read(const char *bpffs_dir, uint64_t totals[IDG_STAT_COUNT]);
int stats_enable(void);
int device_program_runs(const char *bpffs_dir, uint64_t *runs);

int map_entries(const char *bpffs_dir, const char *map_name, uint64_t *count);

/* ---- results -------------------------------------------------------------- */

/* The configurations, one worker each. */
enum bench_config {
	CONF_NONE,          /* no agent: a cgroup with no program */
	CONF_IDGUARD,       /* idguard, as a clerk with no grant */
	CONF_IDGUARD_GRANT, /* idguard, as a clerk with a grant for the scanner */
	CONF_AUDITD,        /* no agent, auditd watching the scanner node */
	CONF_FLOOR,         /* a cgroup/dev program that only allows (floor.bpf.c) */
	CONF_COUNT,
};

#define MAX_ROUNDS 201

struct series {
	bool measured;
	int n;
	double ns[MAX_ROUNDS]; /* per round, time per open */
	double cpu[MAX_ROUNDS]; /* per round, the opener's CPU time per open */
	double median_ns;
	double median_cpu_ns;
	uint64_t attempts;     /* every open made, calibration included */
	uint64_t refused;
	uint64_t opened;
};

struct target {
	const char *name;
	const char *measure;   /* what the number is */
	double value;
	double limit;
	bool at_most;          /* value <= limit, else value >= limit */
	bool measured;
	bool met;
};

#define MAX_TARGETS 12

struct results {
	char kernel[128];
	char cpu[256];
	int cpus;
	int rounds;
	int block_ms;
	uint64_t watched_entries;
	uint64_t grants;
	bool auditd;
	bool auditd_ours;
	struct series series[CONF_COUNT][OP_COUNT];

	/* Every refused and granted open of the timed blocks, in the journal. */
	uint64_t refused_attempts, granted_attempts;
	struct journal_tally refused_journal, granted_journal;
	bool journal_timed_out;

	/* Hook runs while the guarded clerk opened hook_opens of each. */
	uint64_t hook_opens, hook_runs_file, hook_runs_unwatched;
	bool hook_measured;

	/* The flood. */
	uint64_t flood_total;
	int flood_processes;
	struct flood_result flood;
	struct journal_tally flood_journal;
	uint64_t flood_accounted_ns;  /* from the first open until the journal adds up */
	uint64_t daemon_cpu_ns;
	uint64_t ring_records, ring_lost, folded;

	/* The agents' own processes (idguardd and journald; auditd and the
	 * kauditd thread): CPU time over the rounds, per watched open made. */
	uint64_t agent_cpu_ns[CONF_COUNT];
	uint64_t agent_opens[CONF_COUNT];
	bool no_audit_context;   /* the no-agent and idguard workers have none */

	/* auditd's side. */
	uint64_t audit_log_bytes, audit_lost;

	struct target targets[MAX_TARGETS];
	int target_count;
};

double agent_ns_per_open(const struct results *r, enum bench_config c);
double watched_total_ns(const struct results *r, enum bench_config c);
void report_table(const struct results *r, FILE *out);
int report_json(const struct results *r, const char *path);

/* The allow-only reference program, attached while the harness runs. */
int floor_attach(const char *cgroup);
void floor_detach(void);

/* Time helpers. */
uint64_t now_ns(void);
int cgroup_join(const char *cgroup);
uint64_t cgroup_id_of(const char *cgroup);
uint64_t process_cpu_ns(pid_t pid);
uint64_t process_written_bytes(pid_t pid);
double median(double *values, int n);

#endif
