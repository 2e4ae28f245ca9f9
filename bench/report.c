// SPDX-License-Identifier: GPL-2.0-only
/* The benchmark's output: a table for people, JSON for machines. */
#include "bench.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* The rows of the table: which series each column takes. */
struct row {
	const char *label;
	const char *key;
	enum bench_op op;
	enum bench_config idguard;
};

static const struct row rows[] = {
	{ "unwatched device node (char 1:3)", "unwatched", OP_UNWATCHED, CONF_IDGUARD },
	{ "regular file", "file", OP_FILE, CONF_IDGUARD },
	{ "watched node, refused (no grant)", "watched-refused", OP_WATCHED, CONF_IDGUARD },
	{ "watched node, granted", "watched-granted", OP_WATCHED, CONF_IDGUARD_GRANT },
};

static double med(const struct results *r, enum bench_config c, enum bench_op op)
{
	return r->series[c][op].measured ? r->series[c][op].median_ns : 0;
}

/* The agent's own processes' CPU time per watched open it dealt with. */
double agent_ns_per_open(const struct results *r, enum bench_config c)
{
	enum bench_config agent = c == CONF_IDGUARD_GRANT ? CONF_IDGUARD : c;

	if (agent != CONF_IDGUARD && agent != CONF_AUDITD)
		return 0;
	return r->agent_opens[agent] ? (double)r->agent_cpu_ns[agent] / (double)r->agent_opens[agent] : 0;
}

/* A watched open, all of it: the CPU time of the opener plus the agent's
 * share. CPU time, not the opener's wall time: an opener that waits for
 * auditd to make room in its backlog is not using a CPU meanwhile, auditd
 * is (and is counted). */
double watched_total_ns(const struct results *r, enum bench_config c)
{
	const struct series *s = &r->series[c][OP_WATCHED];

	return (s->measured ? s->median_cpu_ns : 0) + agent_ns_per_open(r, c);
}

static void ns_cell(FILE *out, double ns)
{
	if (ns > 0)
		fprintf(out, " %10.0f ns", ns);
	else
		fprintf(out, " %13s", "-");
}

static void ratio_cell(FILE *out, double a, double b, int width)
{
	if (a > 0 && b > 0)
		fprintf(out, " %*.3fx", width - 1, a / b);
	else
		fprintf(out, " %*s", width, "-");
}

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int d = snprintf(digits, sizeof(digits), "%" PRIu64, n), o = 0;

	for (int i = 0; i < d && (size_t)o + 2 < len; i++) {
		if (i && (d - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* The ratio a/b round by round (the blocks of a round run back to back):
 * its median and middle half say how steady the comparison is. */
static void round_ratios(const struct results *r, enum bench_config a, enum bench_config b, enum bench_op op,
			 double *mid, double *q1, double *q3)
{
	const struct series *sa = &r->series[a][op], *sb = &r->series[b][op];
	double ratios[MAX_ROUNDS];
	int n = sa->n < sb->n ? sa->n : sb->n;

	for (int i = 0; i < n; i++)
		ratios[i] = sb->ns[i] > 0 ? sa->ns[i] / sb->ns[i] : 0;
	*mid = median(ratios, n); /* sorts */
	/* Nearest-rank quartiles: the ceil(p*n)-th smallest. */
	*q1 = n ? ratios[(n + 3) / 4 - 1] : 0;
	*q3 = n ? ratios[(3 * n + 3) / 4 - 1] : 0;
}

/* How much of the unwatched open's cost is the hook's, not idguard's. */
static void print_floor(const struct results *r, FILE *out)
{
	double none = med(r, CONF_NONE, OP_UNWATCHED), floor = med(r, CONF_FLOOR, OP_UNWATCHED),
	       idg = med(r, CONF_IDGUARD, OP_UNWATCHED), mid, q1, q3;

	if (none <= 0 || floor <= 0)
		return;
	fprintf(out, "\nThe hook's own price, unwatched node: a cgroup/dev program that only allows costs\n"
		     "  %+.0f ns per open (%.3fx no agent); idguard %+.0f ns (%.3fx)\n",
		floor - none, floor / none, idg - none, idg / none);
	round_ratios(r, CONF_FLOOR, CONF_NONE, OP_UNWATCHED, &mid, &q1, &q3);
	fprintf(out, "  round by round: allow-only/no agent %.3fx (middle half %.3f-%.3f)", mid, q1, q3);
	round_ratios(r, CONF_IDGUARD, CONF_NONE, OP_UNWATCHED, &mid, &q1, &q3);
	fprintf(out, ", idguard/no agent %.3fx (%.3f-%.3f)\n", mid, q1, q3);
}

static void print_whole_cost(const struct results *r, FILE *out)
{
	static const struct {
		const char *label;
		enum bench_config c;
		const char *agent;
	} lines[] = {
		{ "no agent", CONF_NONE, "" },
		{ "idguard, refused", CONF_IDGUARD, "idguardd, journald" },
		{ "idguard, granted", CONF_IDGUARD_GRANT, "idguardd, journald" },
		{ "auditd watch", CONF_AUDITD, "auditd, kauditd" },
	};
	double none = watched_total_ns(r, CONF_NONE);

	fprintf(out, "\nWatched node, whole cost per open in CPU time: the opener's own, plus the agent's\n"
		     "processes' over the rounds divided by the watched opens they handled\n");
	fprintf(out, "  %-20s %13s %13s %13s %14s\n", "", "opener", "agent", "total", "total/no agent");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		double total = watched_total_ns(r, lines[i].c);

		if (!r->series[lines[i].c][OP_WATCHED].measured)
			continue;
		fprintf(out, "  %-20s", lines[i].label);
		ns_cell(out, r->series[lines[i].c][OP_WATCHED].median_cpu_ns);
		ns_cell(out, agent_ns_per_open(r, lines[i].c));
		ns_cell(out, total);
		ratio_cell(out, total, none, 14);
		fprintf(out, "   %s\n", lines[i].agent);
	}
}

static void print_accounting(const struct results *r, FILE *out)
{
	char a[32], b[32];

	fprintf(out, "\nEvery attempt accounted for (journal records of the timed blocks):\n");
	fprintf(out, "  refused opens made %s, in the journal %s, in %" PRIu64 " entries\n",
		grouped(r->refused_attempts, a, sizeof(a)), grouped(r->refused_journal.attempts, b, sizeof(b)),
		r->refused_journal.records);
	fprintf(out, "  granted opens made %s, in the journal %s, in %" PRIu64 " entries\n",
		grouped(r->granted_attempts, a, sizeof(a)), grouped(r->granted_journal.attempts, b, sizeof(b)),
		r->granted_journal.records);
	if (r->hook_measured)
		fprintf(out, "  device hook runs per open (kernel.bpf_stats, %" PRIu64 " opens each): "
			"regular file %.3f, unwatched node %.3f\n",
			r->hook_opens, (double)r->hook_runs_file / (double)r->hook_opens,
			(double)r->hook_runs_unwatched / (double)r->hook_opens);
	if (r->auditd) {
		uint64_t watched = r->agent_opens[CONF_AUDITD];

		fprintf(out, "  auditd: %s watched opens in the rounds, %.1f MB written to its log "
			"(%.0f bytes per open); the kernel lost %" PRIu64 " audit records\n",
			grouped(watched, a, sizeof(a)), (double)r->audit_log_bytes / 1e6,
			watched ? (double)r->audit_log_bytes / (double)watched : 0, r->audit_lost);
	}
}

static void print_flood(const struct results *r, FILE *out)
{
	char a[32], b[32], c[32];
	double took = (double)r->flood.elapsed_ns / 1e9, accounted = (double)r->flood_accounted_ns / 1e9;

	if (!r->flood_total)
		return;
	fprintf(out, "\nFlood: %s refused opens of the watched node from %d processes at once\n",
		grouped(r->flood_total, a, sizeof(a)), r->flood_processes);
	fprintf(out, "  opens took %.2f s: %s attempts/s, %s refused\n", took,
		grouped((uint64_t)((double)r->flood.attempts / took), b, sizeof(b)),
		grouped(r->flood.refused, c, sizeof(c)));
	fprintf(out, "  journal: %" PRIu64 " entries whose counts add up to %s, all there %.2f s after the "
		"first open, the last repeat window included (%s attempts/s delivered)\n",
		r->flood_journal.records, grouped(r->flood_journal.attempts, a, sizeof(a)), accounted,
		grouped((uint64_t)((double)r->flood_journal.attempts / accounted), b, sizeof(b)));
	fprintf(out, "  ring buffer: %" PRIu64 " records, %" PRIu64 " lost; %s attempts folded into counts\n",
		r->ring_records, r->ring_lost, grouped(r->folded, c, sizeof(c)));
	fprintf(out, "  idguardd CPU time: %.1f ms (%.3f µs per attempt)\n", (double)r->daemon_cpu_ns / 1e6,
		(double)r->daemon_cpu_ns / 1e3 / (double)r->flood_total);
}

static void print_targets(const struct results *r, FILE *out)
{
	int met = 0, measured = 0;

	fprintf(out, "\nTargets:\n");
	for (int i = 0; i < r->target_count; i++) {
		const struct target *t = &r->targets[i];

		measured += t->measured;
		met += t->met;
		fprintf(out, "  %-8s %-32s %-40s", t->measured ? (t->met ? "met" : "MISSED") : "not run", t->name,
			t->measure);
		if (t->measured)
			fprintf(out, " %10.3f %s %g", t->value, t->at_most ? "<=" : ">=", t->limit);
		fputc('\n', out);
	}
	fprintf(out, "%d of %d targets met\n", met, measured);
}

void report_table(const struct results *r, FILE *out)
{
	fprintf(out, "idguard benchmark: %s, %s, %d CPUs\n", r->kernel, r->cpu, r->cpus);
	fprintf(out, "idguard with %" PRIu64 " watched device entries and %" PRIu64
		" grants loaded; %d interleaved rounds of %d ms blocks; medians of open()+close()\n\n",
		r->watched_entries, r->grants, r->rounds, r->block_ms);
	fprintf(out, "%-34s %13s %13s %13s %14s %14s\n", "open()+close() of", "no agent", "idguard", "auditd",
		"idguard/none", "auditd/idguard");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];
		double none = med(r, CONF_NONE, row->op), idg = med(r, row->idguard, row->op),
		       aud = med(r, CONF_AUDITD, row->op);

		fprintf(out, "%-34s", row->label);
		ns_cell(out, none);
		ns_cell(out, idg);
		ns_cell(out, aud);
		ratio_cell(out, idg, none, 14);
		ratio_cell(out, aud, idg, 14);
		fputc('\n', out);
	}
	print_floor(r, out);
	print_whole_cost(r, out);
	print_accounting(r, out);
	print_flood(r, out);
	print_targets(r, out);
}

static json_object *u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static json_object *samples(const double *values, int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_double(values[i]));
	return a;
}

static void add_case(json_object *cases, const struct results *r, const struct row *row)
{
	json_object *c = json_object_new_object(), *all = json_object_new_object(), *all_cpu = json_object_new_object();
	const enum bench_config confs[4] = { CONF_NONE, row->idguard, CONF_AUDITD, CONF_FLOOR };
	const char *names[4] = { "none", "idguard", "auditd", "allow_only" };
	double none = med(r, CONF_NONE, row->op), idg = med(r, row->idguard, row->op),
	       aud = med(r, CONF_AUDITD, row->op);

	json_object_object_add(c, "case", json_object_new_string(row->key));
	json_object_object_add(c, "label", json_object_new_string(row->label));
	for (int i = 0; i < 4; i++) {
		const struct series *s = &r->series[confs[i]][row->op];
		char key[32];

		if (!s->measured)
			continue;
		snprintf(key, sizeof(key), "%s_ns", names[i]);
		json_object_object_add(c, key, json_object_new_double(s->median_ns));
		snprintf(key, sizeof(key), "%s_cpu_ns", names[i]);
		json_object_object_add(c, key, json_object_new_double(s->median_cpu_ns));
		json_object_object_add(all, names[i], samples(s->ns, s->n));
		json_object_object_add(all_cpu, names[i], samples(s->cpu, s->n));
	}
	if (none > 0)
		json_object_object_add(c, "idguard_vs_none", json_object_new_double(idg / none));
	if (aud > 0 && idg > 0)
		json_object_object_add(c, "auditd_vs_idguard", json_object_new_double(aud / idg));
	json_object_object_add(c, "samples_ns", all);
	json_object_object_add(c, "samples_cpu_ns", all_cpu);
	json_object_array_add(cases, c);
}

static json_object *tally(const struct journal_tally *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "entries", u64(t->records));
	json_object_object_add(o, "attempts", u64(t->attempts));
	return o;
}

int report_json(const struct results *r, const char *path)
{
	json_object *root = json_object_new_object(), *o, *cases = json_object_new_array(), *targets;
	int err;

	o = json_object_new_object();
	json_object_object_add(o, "kernel", json_object_new_string(r->kernel));
	json_object_object_add(o, "cpu", json_object_new_string(r->cpu));
	json_object_object_add(o, "cpus", json_object_new_int(r->cpus));
	json_object_object_add(root, "machine", o);

	o = json_object_new_object();
	json_object_object_add(o, "watched_device_entries", u64(r->watched_entries));
	json_object_object_add(o, "grants", u64(r->grants));
	json_object_object_add(o, "rounds", json_object_new_int(r->rounds));
	json_object_object_add(o, "block_ms", json_object_new_int(r->block_ms));
	json_object_object_add(o, "auditd", json_object_new_boolean(r->auditd));
	json_object_object_add(o, "auditd_started_by_bench", json_object_new_boolean(r->auditd_ours));
	json_object_object_add(o, "workers_without_audit_context", json_object_new_boolean(r->no_audit_context));
	json_object_object_add(root, "setup", o);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		add_case(cases, r, &rows[i]);
	json_object_object_add(root, "cases", cases);

	o = json_object_new_object();
	json_object_object_add(o, "refused_opens", u64(r->refused_attempts));
	json_object_object_add(o, "refused_journal", tally(&r->refused_journal));
	json_object_object_add(o, "granted_opens", u64(r->granted_attempts));
	json_object_object_add(o, "granted_journal", tally(&r->granted_journal));
	if (r->hook_measured) {
		json_object_object_add(o, "hook_opens", u64(r->hook_opens));
		json_object_object_add(o, "hook_runs_regular_file", u64(r->hook_runs_file));
		json_object_object_add(o, "hook_runs_unwatched_node", u64(r->hook_runs_unwatched));
	}
	if (r->auditd) {
		json_object_object_add(o, "auditd_watched_opens", u64(r->series[CONF_AUDITD][OP_WATCHED].attempts));
		json_object_object_add(o, "auditd_log_bytes", u64(r->audit_log_bytes));
		json_object_object_add(o, "auditd_lost", u64(r->audit_lost));
	}
	json_object_object_add(root, "accounting", o);

	o = json_object_new_object();
	for (int c = 0; c < CONF_COUNT; c++) {
		static const char *const names[CONF_COUNT] = { "none", "idguard_refused", "idguard_granted", "auditd", "allow_only" };
		json_object *w;

		if (!r->series[c][OP_WATCHED].measured)
			continue;
		w = json_object_new_object();
		json_object_object_add(w, "opener_ns", json_object_new_double(med(r, c, OP_WATCHED)));
		json_object_object_add(w, "opener_cpu_ns", json_object_new_double(r->series[c][OP_WATCHED].median_cpu_ns));
		json_object_object_add(w, "agent_ns", json_object_new_double(agent_ns_per_open(r, c)));
		json_object_object_add(w, "total_ns", json_object_new_double(watched_total_ns(r, c)));
		json_object_object_add(o, names[c], w);
	}
	json_object_object_add(o, "idguard_agent_cpu_ns", u64(r->agent_cpu_ns[CONF_IDGUARD]));
	json_object_object_add(o, "idguard_watched_opens", u64(r->agent_opens[CONF_IDGUARD]));
	json_object_object_add(o, "auditd_agent_cpu_ns", u64(r->agent_cpu_ns[CONF_AUDITD]));
	json_object_object_add(o, "auditd_watched_opens", u64(r->agent_opens[CONF_AUDITD]));
	json_object_object_add(root, "watched_whole_cost", o);

	if (r->flood_total) {
		o = json_object_new_object();
		json_object_object_add(o, "opens", u64(r->flood_total));
		json_object_object_add(o, "processes", json_object_new_int(r->flood_processes));
		json_object_object_add(o, "refused", u64(r->flood.refused));
		json_object_object_add(o, "elapsed_ns", u64(r->flood.elapsed_ns));
		json_object_object_add(o, "journal", tally(&r->flood_journal));
		json_object_object_add(o, "accounted_after_ns", u64(r->flood_accounted_ns));
		json_object_object_add(o, "ring_records", u64(r->ring_records));
		json_object_object_add(o, "ring_lost", u64(r->ring_lost));
		json_object_object_add(o, "folded", u64(r->folded));
		json_object_object_add(o, "daemon_cpu_ns", u64(r->daemon_cpu_ns));
		json_object_object_add(root, "flood", o);
	}

	targets = json_object_new_array();
	for (int i = 0; i < r->target_count; i++) {
		const struct target *t = &r->targets[i];

		o = json_object_new_object();
		json_object_object_add(o, "target", json_object_new_string(t->name));
		json_object_object_add(o, "measure", json_object_new_string(t->measure));
		json_object_object_add(o, "measured", json_object_new_boolean(t->measured));
		if (t->measured)
			json_object_object_add(o, "value", json_object_new_double(t->value));
		json_object_object_add(o, "limit", json_object_new_double(t->limit));
		json_object_object_add(o, "comparison", json_object_new_string(t->at_most ? "<=" : ">="));
		json_object_object_add(o, "met", json_object_new_boolean(t->met));
		json_object_array_add(targets, o);
	}
	json_object_object_add(root, "targets", targets);

	err = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	return err;
}
