// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguard-bench: what idguard costs per open and under a flood, measured
 * side by side with no agent and with an auditd watch, in one run.
 * bench/run.sh prepares the machine (journald, cgroups, idguardd with 1,000
 * watched devices and 1,000 grants) and runs this; see docs/performance.md.
 *
 * Order of things matters:
 *   1. the no-agent and idguard workers are forked before auditd is started,
 *      so they carry no audit context (a task forked while audit is on pays
 *      audit's entry/exit work on every system call);
 *   2. auditd and its watch, then the auditd worker;
 *   3. calibration, then the rounds, rotating the order within each case;
 *   4. auditd put back; the journal must account for every refused and
 *      granted open; the device hook's run count is checked;
 *   5. the flood.
 */
#include "bench.h"
#include "journal.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

struct options {
	const char *cgroup;
	const char *nodes;
	const char *bpffs;
	const char *journal;
	const char *work;
	const char *json;
	pid_t daemon;
	pid_t journald;
	uid_t refused_uid, granted_uid;
	int rounds;
	int block_ms;
	uint64_t flood;
	int flood_processes;
	bool auditd;
};

static const char *const op_names[OP_COUNT] = { "unwatched", "file", "watched" };
static const char *const conf_names[CONF_COUNT] = { "none", "idguard", "idguard-grant", "auditd", "floor" };

static struct worker workers[CONF_COUNT];
static struct auditd_watch audit_watch;
/* The cgroups the harness makes (and removes) below --cgroup. */
enum leaf { LEAF_REFUSED, LEAF_GRANTED, LEAF_FLOOD, LEAF_NONE, LEAF_AUDITD, LEAF_FLOOR, LEAF_COUNT };
static const char *const leaf_paths[LEAF_COUNT] = {
	"guarded/refused", "guarded/granted", "guarded/flood", "plain/none", "plain/auditd", "floor",
};
static char leaf_cgroups[LEAF_COUNT][4200];

static void cleanup(void)
{
	audit_contexts_off_end();
	for (int c = 0; c < CONF_COUNT; c++)
		worker_stop(&workers[c]);
	auditd_watch_stop(&audit_watch);
	floor_detach();
	for (int i = 0; i < LEAF_COUNT; i++)
		if (leaf_cgroups[i][0])
			rmdir(leaf_cgroups[i]);
}

static pid_t harness_pid;

/* The harness cleans up (atexit) on SIGINT/SIGTERM; a second signal kills it
 * outright (SA_RESETHAND), and run.sh's trap then removes what is left. */
static void on_signal(int sig)
{
	(void)sig;
	if (getpid() != harness_pid)
		_exit(130);
	exit(130);
}

static void usage(FILE *out)
{
	fputs("Usage: idguard-bench --cgroup DIR --nodes DIR --bpffs-dir DIR --journal-dir DIR\n"
	      "                     --daemon-pid PID --refused-uid UID --granted-uid UID [OPTIONS]\n"
	      "Run through 'make bench' (bench/run.sh), which prepares all of these.\n\n"
	      "  --cgroup DIR          throwaway cgroup with guarded/ (idguardd attached) and plain/\n"
	      "  --nodes DIR           holds unwatched (char 1:3), file, watched (a scanner node)\n"
	      "  --journald-pid PID    journald's CPU time counts as idguard's (it writes the records)\n"
	      "  --work-dir DIR        for auditd's config and log (default: --nodes)\n"
	      "  --rounds N            rounds of interleaved blocks (default 21)\n"
	      "  --block-ms MS         length of one block (default 40)\n"
	      "  --flood N             refused opens in the flood (default 1000000)\n"
	      "  --flood-processes P   processes sharing the flood (default 4)\n"
	      "  --no-auditd           leave auditd out\n"
	      "  --json FILE           also write the results as JSON\n",
	      out);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "bpffs-dir", required_argument, NULL, 'b' },
		{ "journal-dir", required_argument, NULL, 'j' },
		{ "work-dir", required_argument, NULL, 'w' },
		{ "daemon-pid", required_argument, NULL, 'd' },
		{ "journald-pid", required_argument, NULL, 'l' },
		{ "refused-uid", required_argument, NULL, 'r' },
		{ "granted-uid", required_argument, NULL, 'g' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "block-ms", required_argument, NULL, 'B' },
		{ "flood", required_argument, NULL, 'f' },
		{ "flood-processes", required_argument, NULL, 'p' },
		{ "no-auditd", no_argument, NULL, 'A' },
		{ "json", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*o = (struct options){ .rounds = 21, .block_ms = 40, .flood = 1000000, .flood_processes = 4,
			       .auditd = true, .refused_uid = (uid_t)-1, .granted_uid = (uid_t)-1 };
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->cgroup = optarg; break;
		case 'n': o->nodes = optarg; break;
		case 'b': o->bpffs = optarg; break;
		case 'j': o->journal = optarg; break;
		case 'w': o->work = optarg; break;
		case 'd': o->daemon = (pid_t)atoi(optarg); break;
		case 'l': o->journald = (pid_t)atoi(optarg); break;
		case 'r': o->refused_uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'g': o->granted_uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'R': o->rounds = atoi(optarg); break;
		case 'B': o->block_ms = atoi(optarg); break;
		case 'f': o->flood = strtoull(optarg, NULL, 10); break;
		case 'p': o->flood_processes = atoi(optarg); break;
		case 'A': o->auditd = false; break;
		case 'J': o->json = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!o->cgroup || !o->nodes || !o->bpffs || !o->journal || o->daemon <= 0 ||
	    o->refused_uid == (uid_t)-1 || o->granted_uid == (uid_t)-1) {
		usage(stderr);
		return -1;
	}
	if (o->rounds < 3 || o->rounds > MAX_ROUNDS || o->block_ms < 1 || o->flood_processes < 1 ||
	    o->flood_processes > 64) {
		fprintf(stderr, "idguard-bench: --rounds 3..%d, --block-ms >= 1, --flood-processes 1..64\n",
			MAX_ROUNDS);
		return -1;
	}
	if (!o->work)
		o->work = o->nodes;
	return 0;
}

/* The highest CPU this process may run on, or -1 when it may run on one only. */
static int last_allowed_cpu(void)
{
	cpu_set_t set;
	int last = -1;

	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) < 2)
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			last = cpu;
	return last;
}

static void describe_machine(struct results *r)
{
	struct utsname u;
	char line[512];
	FILE *f;

	if (uname(&u) == 0)
		snprintf(r->kernel, sizeof(r->kernel), "Linux %s %s", u.release, u.machine);
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(r->cpu, sizeof(r->cpu), "%s", colon + 2);
			r->cpu[strcspn(r->cpu, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	r->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* One block, checked: a block that did not do what its configuration
 * promises (a granted open refused, a refused one let through) would
 * measure something else, so it stops the run. */
static int run_block(struct results *r, enum bench_config c, enum bench_op op, uint64_t iterations,
		     double *ns_per_open, double *cpu_per_open)
{
	struct series *s = &r->series[c][op];
	struct block b;
	bool expect_refusal = c == CONF_IDGUARD && op == OP_WATCHED;

	if (worker_run(&workers[c], op, iterations, &b) < 0)
		return -1;
	s->attempts += b.iterations;
	s->refused += b.refused;
	s->opened += b.opened;
	if (b.failed || (expect_refusal ? b.refused : b.opened) != b.iterations) {
		fprintf(stderr,
			"idguard-bench: %s opening %s: %" PRIu64 " opened, %" PRIu64 " refused, %" PRIu64
			" failed (%s) of %" PRIu64 "; expected every one %s\n",
			conf_names[c], op_names[op], b.opened, b.refused, b.failed,
			b.failed ? strerror(b.first_errno) : "-", b.iterations,
			expect_refusal ? "refused" : "opened");
		return -1;
	}
	if (ns_per_open)
		*ns_per_open = (double)b.elapsed_ns / (double)b.iterations;
	if (cpu_per_open)
		*cpu_per_open = (double)b.cpu_ns / (double)b.iterations;
	return 0;
}

/* The participants of each case, in the order of round 0. */
static int participants(const struct results *r, enum bench_op op, enum bench_config out[CONF_COUNT])
{
	int n = 0;

	out[n++] = CONF_NONE;
	if (op != OP_WATCHED)
		out[n++] = CONF_FLOOR;
	out[n++] = CONF_IDGUARD;
	if (op == OP_WATCHED)
		out[n++] = CONF_IDGUARD_GRANT;
	if (r->auditd)
		out[n++] = CONF_AUDITD;
	return n;
}

/* The processes that work for an agent besides the opener itself. */
static int agent_pids(const struct options *o, enum bench_config c, pid_t pids[2])
{
	switch (c) {
	case CONF_IDGUARD:
		pids[0] = o->daemon;
		pids[1] = o->journald;
		return 2;
	case CONF_AUDITD:
		pids[0] = audit_watch.pid ? audit_watch.pid : auditd_running_pid();
		pids[1] = kauditd_pid();
		return 2;
	default:
		return 0;
	}
}

static uint64_t agent_cpu(const struct options *o, enum bench_config c)
{
	pid_t pids[2];
	int n = agent_pids(o, c, pids);
	uint64_t total = 0;

	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			total += process_cpu_ns(pids[i]);
	return total;
}

/* Watched opens an agent had to deal with. */
static uint64_t agent_watched_opens(const struct results *r, enum bench_config c)
{
	if (c == CONF_IDGUARD)
		return r->series[CONF_IDGUARD][OP_WATCHED].attempts + r->series[CONF_IDGUARD_GRANT][OP_WATCHED].attempts;
	return r->series[c][OP_WATCHED].attempts;
}

static int measure(struct results *r, const struct options *o)
{
	uint64_t iterations[CONF_COUNT][OP_COUNT];
	const enum bench_config agents[2] = { CONF_IDGUARD, CONF_AUDITD };

	/* Calibration: a warm-up block each, sized so a block lasts block_ms. */
	for (int op = 0; op < OP_COUNT; op++) {
		enum bench_config who[CONF_COUNT];
		int n = participants(r, op, who);

		for (int i = 0; i < n; i++) {
			double ns;

			if (run_block(r, who[i], op, 2000, &ns, NULL) < 0)
				return -1;
			iterations[who[i]][op] = (uint64_t)((double)o->block_ms * 1e6 / (ns > 1 ? ns : 1));
			if (iterations[who[i]][op] < 200)
				iterations[who[i]][op] = 200;
			r->series[who[i]][op].measured = true;
		}
	}
	if (r->auditd)
		audit_backlog_drain(); /* the calibration's records */
	for (int i = 0; i < 2; i++) {
		r->agent_cpu_ns[agents[i]] = agent_cpu(o, agents[i]);
		r->agent_opens[agents[i]] = agent_watched_opens(r, agents[i]);
	}
	if (r->auditd)
		r->audit_log_bytes = process_written_bytes(auditd_running_pid());
	for (int round = 0; round < o->rounds; round++) {
		for (int op = 0; op < OP_COUNT; op++) {
			enum bench_config who[CONF_COUNT];
			int n = participants(r, op, who);

			for (int i = 0; i < n; i++) {
				/* Rotated each round, and backwards every other round, so
				 * that no configuration always follows the same one. */
				int k = round % 2 ? n - 1 - i : i;
				enum bench_config c = who[(k + round / 2) % n];
				struct series *s = &r->series[c][op];

				if (run_block(r, c, op, iterations[c][op], &s->ns[s->n], &s->cpu[s->n]) < 0)
					return -1;
				s->n++;
				/* auditd's backlog is drained before the next block, so
				 * that its work does not land on another configuration. */
				if (c == CONF_AUDITD && op == OP_WATCHED)
					audit_backlog_drain();
			}
		}
		fprintf(stderr, "\r  round %d of %d", round + 1, o->rounds);
	}
	fputc('\n', stderr);
	/* Let the agents finish what the rounds gave them: auditd's backlog,
	 * idguard's last repeat windows (RepeatWindow=1s, then a flush). */
	if (r->auditd)
		audit_backlog_drain();
	usleep(2500000);
	for (int i = 0; i < 2; i++) {
		r->agent_cpu_ns[agents[i]] = agent_cpu(o, agents[i]) - r->agent_cpu_ns[agents[i]];
		r->agent_opens[agents[i]] = agent_watched_opens(r, agents[i]) - r->agent_opens[agents[i]];
	}
	if (r->auditd)
		r->audit_log_bytes = process_written_bytes(auditd_running_pid()) - r->audit_log_bytes;
	for (int c = 0; c < CONF_COUNT; c++)
		for (int op = 0; op < OP_COUNT; op++) {
			struct series *s = &r->series[c][op];
			double copy[MAX_ROUNDS];

			memcpy(copy, s->ns, sizeof(double) * (size_t)s->n);
			s->median_ns = median(copy, s->n);
			memcpy(copy, s->cpu, sizeof(double) * (size_t)s->n);
			s->median_cpu_ns = median(copy, s->n);
		}
	return 0;
}

/* Waits (bounded) until the journal holds at least `expected` attempts of
 * message_id for cgroup; then whether they match exactly is the caller's
 * target. Returns 1 when the wait timed out. */
static int await_journal(const char *journal, const char *message_id, const char *cgroup,
			 uint64_t expected, int timeout_s, struct journal_tally *t)
{
	uint64_t id = cgroup_id_of(cgroup), deadline = now_ns() + (uint64_t)timeout_s * 1000000000u;
	int err;

	do {
		if ((err = journal_tally(journal, message_id, id, t)) < 0) {
			fprintf(stderr, "idguard-bench: cannot read the journal in %s: %s\n", journal, strerror(-err));
			return -1;
		}
		if (t->attempts >= expected)
			return 0;
		usleep(100000);
	} while (now_ns() < deadline);
	fprintf(stderr, "idguard-bench: after %d s the journal holds %" PRIu64 " of %" PRIu64
		" attempts (MESSAGE_ID=%s) for %s\n", timeout_s, t->attempts, expected, message_id, cgroup);
	return 1;
}

static int check_accounting(struct results *r, const struct options *o)
{
	r->refused_attempts = r->series[CONF_IDGUARD][OP_WATCHED].refused;
	r->granted_attempts = r->series[CONF_IDGUARD_GRANT][OP_WATCHED].opened;
	int a = await_journal(o->journal, IDG_MSG_ACCESS_DENIED, leaf_cgroups[LEAF_REFUSED], r->refused_attempts,
			      30, &r->refused_journal);
	int b = await_journal(o->journal, IDG_MSG_ACCESS_GRANTED, leaf_cgroups[LEAF_GRANTED], r->granted_attempts,
			      30, &r->granted_journal);

	if (a < 0 || b < 0)
		return -1;
	r->journal_timed_out = a || b;
	return 0;
}

/* kernel.bpf_stats on, for this check only: opening the regular file must
 * not run the device program at all; the unwatched node runs it once. */
static int check_hook(struct results *r, const struct options *o)
{
	uint64_t before, after_file, after_node;
	int stats_fd = stats_enable(), err;

	if (stats_fd < 0) {
		fprintf(stderr, "idguard-bench: cannot switch on BPF run statistics: %s\n", strerror(-stats_fd));
		return 0;
	}
	r->hook_opens = 10000;
	if ((err = device_program_runs(o->bpffs, &before)) < 0 ||
	    run_block(r, CONF_IDGUARD, OP_FILE, r->hook_opens, NULL, NULL) < 0 ||
	    (err = device_program_runs(o->bpffs, &after_file)) < 0 ||
	    run_block(r, CONF_IDGUARD, OP_UNWATCHED, r->hook_opens, NULL, NULL) < 0 ||
	    (err = device_program_runs(o->bpffs, &after_node)) < 0) {
		close(stats_fd);
		fprintf(stderr, "idguard-bench: cannot read the device program's run count: %s\n",
			err < 0 ? strerror(-err) : "worker failed");
		return -1;
	}
	close(stats_fd);
	r->hook_runs_file = after_file - before;
	r->hook_runs_unwatched = after_node - after_file;
	r->hook_measured = true;
	return 0;
}

static int run_flood(struct results *r, const struct options *o)
{
	uint64_t before[IDG_STAT_COUNT], after[IDG_STAT_COUNT], cpu_before, start;
	struct flood *flood;
	char path[4200];
	int err;

	r->flood_total = o->flood;
	r->flood_processes = o->flood_processes;
	if (!o->flood)
		return 0;
	snprintf(path, sizeof(path), "%s/watched", o->nodes);
	if (gate_stats_read(o->bpffs, before) < 0) {
		fprintf(stderr, "idguard-bench: cannot read %s/stats\n", o->bpffs);
		return -1;
	}
	audit_contexts_off_begin();
	err = flood_prepare(&flood, leaf_cgroups[LEAF_FLOOD], o->refused_uid, path, o->flood, o->flood_processes);
	audit_contexts_off_end();
	if (err < 0) {
		fprintf(stderr, "idguard-bench: cannot start the flood's processes: %s\n", strerror(-err));
		return -1;
	}
	cpu_before = process_cpu_ns(o->daemon);
	start = now_ns();
	if (flood_go(flood, &r->flood) < 0) {
		fprintf(stderr, "idguard-bench: a flood process failed\n");
		return -1;
	}
	if (r->flood.refused != o->flood) {
		fprintf(stderr, "idguard-bench: the flood's opens were not all refused: %" PRIu64 " refused, %" PRIu64
			" opened, %" PRIu64 " failed otherwise, of %" PRIu64 "\n",
			r->flood.refused, r->flood.opened, r->flood.failed, o->flood);
		return -1;
	}
	if (await_journal(o->journal, IDG_MSG_ACCESS_DENIED, leaf_cgroups[LEAF_FLOOD], o->flood, 60,
			  &r->flood_journal) < 0)
		return -1;
	r->flood_accounted_ns = now_ns() - start;
	r->daemon_cpu_ns = process_cpu_ns(o->daemon) - cpu_before;
	if (gate_stats_read(o->bpffs, after) < 0)
		return -1;
	r->ring_records = after[IDG_STAT_EVENTS] - before[IDG_STAT_EVENTS];
	r->ring_lost = after[IDG_STAT_LOST_EVENTS] - before[IDG_STAT_LOST_EVENTS];
	r->folded = after[IDG_STAT_FOLDED] - before[IDG_STAT_FOLDED];
	return 0;
}

static void add_target(struct results *r, const char *name, const char *measure, bool measured,
		       double value, double limit, bool at_most)
{
	struct target *t = &r->targets[r->target_count++];

	*t = (struct target){ .name = name, .measure = measure, .value = value, .limit = limit,
			      .at_most = at_most, .measured = measured };
	t->met = measured && (at_most ? value <= limit : value >= limit);
}

static double ratio(const struct results *r, enum bench_config a, enum bench_op op_a, enum bench_config b,
		    enum bench_op op_b)
{
	double den = r->series[b][op_b].median_ns;

	return den > 0 ? r->series[a][op_a].median_ns / den : 0;
}

static void judge(struct results *r)
{
	add_target(r, "unwatched device open", "idguard / no agent", true,
		   ratio(r, CONF_IDGUARD, OP_UNWATCHED, CONF_NONE, OP_UNWATCHED), 1.03, true);
	add_target(r, "regular file open", "idguard / no agent", true,
		   ratio(r, CONF_IDGUARD, OP_FILE, CONF_NONE, OP_FILE), 1.01, true);
	add_target(r, "regular file: device hook runs", "runs per open", r->hook_measured,
		   r->hook_opens ? (double)r->hook_runs_file / (double)r->hook_opens : 0, 0, true);
	add_target(r, "refused watched open", "whole cost / plain open, no agent", true,
		   watched_total_ns(r, CONF_IDGUARD) / watched_total_ns(r, CONF_NONE), 1.25, true);
	add_target(r, "refused opens in the journal", "attempts missing or extra", true,
		   fabs((double)r->refused_attempts - (double)r->refused_journal.attempts), 0, true);
	add_target(r, "granted opens in the journal", "attempts missing or extra", true,
		   fabs((double)r->granted_attempts - (double)r->granted_journal.attempts), 0, true);
	add_target(r, "granted watched open", "whole cost: auditd watch / idguard", r->auditd,
		   watched_total_ns(r, CONF_AUDITD) / watched_total_ns(r, CONF_IDGUARD_GRANT), 20, false);
	add_target(r, "flood: journal entries", "entries", r->flood_total > 0,
		   (double)r->flood_journal.records, 1000, true);
	add_target(r, "flood: counts add up", "attempts missing or extra", r->flood_total > 0,
		   fabs((double)r->flood.refused - (double)r->flood_journal.attempts), 0, true);
}

int main(int argc, char **argv)
{
	static struct results r;
	struct options o;
	char path[OP_COUNT][4200];
	int cpu, err, met = 0, measured = 0;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	harness_pid = getpid();
	atexit(cleanup);
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	describe_machine(&r);
	r.rounds = o.rounds;
	r.block_ms = o.block_ms;
	r.auditd = o.auditd;
	if (map_entries(o.bpffs, "watched_devs", &r.watched_entries) < 0 ||
	    map_entries(o.bpffs, "grants", &r.grants) < 0) {
		fprintf(stderr, "idguard-bench: cannot read idguard's maps in %s: is idguardd running?\n", o.bpffs);
		return 1;
	}

	for (int op = 0; op < OP_COUNT; op++)
		snprintf(path[op], sizeof(path[op]), "%s/%s", o.nodes, op_names[op]);
	for (int i = 0; i < LEAF_COUNT; i++) {
		snprintf(leaf_cgroups[i], sizeof(leaf_cgroups[i]), "%s/%s", o.cgroup, leaf_paths[i]);
		if (mkdir(leaf_cgroups[i], 0755) < 0) {
			fprintf(stderr, "idguard-bench: cannot create %s: %m\n", leaf_cgroups[i]);
			leaf_cgroups[i][0] = '\0';
			return 1;
		}
	}
	if ((err = floor_attach(leaf_cgroups[LEAF_FLOOR])) < 0) {
		fprintf(stderr, "idguard-bench: cannot attach the allow-only program to %s: %s\n",
			leaf_cgroups[LEAF_FLOOR], strerror(-err));
		return 1;
	}

	/* Every worker on the same CPU, so each configuration meets the same one. */
	cpu = last_allowed_cpu();
#define SPEC(name, leaf, uid) { name, leaf_cgroups[leaf], uid, cpu, { path[0], path[1], path[2] } }
	const struct worker_spec specs[CONF_COUNT] = {
		[CONF_NONE] = SPEC("none", LEAF_NONE, o.refused_uid),
		[CONF_IDGUARD] = SPEC("idguard", LEAF_REFUSED, o.refused_uid),
		[CONF_IDGUARD_GRANT] = SPEC("idguard-grant", LEAF_GRANTED, o.granted_uid),
		[CONF_AUDITD] = SPEC("auditd", LEAF_AUDITD, o.refused_uid),
		[CONF_FLOOR] = SPEC("floor", LEAF_FLOOR, o.refused_uid),
	};
#undef SPEC

	audit_contexts_off_begin();
	r.no_audit_context = audit_contexts_off_active();
	if (!r.no_audit_context)
		fprintf(stderr, "idguard-bench: warning: could not add the audit task rule; if audit has been on since "
				"boot, every worker pays audit's per-call work alike\n");
	for (int c = 0; c < CONF_COUNT; c++)
		if (c != CONF_AUDITD && worker_start(&workers[c], &specs[c]) < 0) {
			fprintf(stderr, "idguard-bench: cannot start worker %s: %m\n", specs[c].name);
			return 1;
		}
	audit_contexts_off_end();
	if (o.auditd) {
		if (auditd_watch_start(&audit_watch, path[OP_WATCHED], o.work) < 0)
			return 1;
		r.auditd_ours = audit_watch.pid > 0;
		if (worker_start(&workers[CONF_AUDITD], &specs[CONF_AUDITD]) < 0)
			return 1;
	}

	fprintf(stderr, "idguard-bench: %d rounds of %d ms blocks%s\n", o.rounds, o.block_ms,
		o.auditd ? ", with auditd" : "");
	if (measure(&r, &o) < 0)
		return 1;
	if (o.auditd) {
		r.audit_lost = auditd_lost() - audit_watch.lost_before;
		worker_stop(&workers[CONF_AUDITD]);
		auditd_watch_stop(&audit_watch);
	}
	fprintf(stderr, "idguard-bench: waiting for the journal to account for every refused and granted open\n");
	if (check_accounting(&r, &o) < 0 || check_hook(&r, &o) < 0)
		return 1;
	fprintf(stderr, "idguard-bench: flood of %" PRIu64 " refused opens from %d processes\n", o.flood,
		o.flood_processes);
	if (run_flood(&r, &o) < 0)
		return 1;

	judge(&r);
	report_table(&r, stdout);
	if (o.json && report_json(&r, o.json) < 0) {
		fprintf(stderr, "idguard-bench: cannot write %s: %m\n", o.json);
		return 1;
	}
	for (int i = 0; i < r.target_count; i++) {
		measured += r.targets[i].measured;
		met += r.targets[i].met;
	}
	return met == measured ? 0 : 3;
}
