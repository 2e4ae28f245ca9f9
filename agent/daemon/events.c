// SPDX-License-Identifier: GPL-2.0-only
/*
 * From the ring buffer to the journal, and the periodic report of records
 * the kernel could not deliver (lost) or folded into counts (suppressed).
 * The report baseline is kept in the state database, so a restart neither
 * repeats nor forgets a loss.
 */
#include "daemon.h"

#include "process.h"

#include "describe.h"
#include "store.h"

static const struct {
	enum idg_stat stat;
	const char *name;
} reported_counters[] = {
	{ IDG_STAT_LOST_EVENTS, "reported_lost_events" },
	{ IDG_STAT_LOST_ATTEMPTS, "reported_lost_attempts" },
	{ IDG_STAT_FOLDED, "reported_folded" },
};

void daemon_send(struct daemon *d, const struct idg_record *rec)
{
	if (idg_journal_send(rec) < 0)
		d->journal_failures++;
	daemon_notices_record(d, rec);
}

void daemon_on_event(const struct idg_event *ev, void *userdata)
{
	struct daemon *d = userdata;
	struct idg_describe_context ctx = {
		.watches = d->kernel_watches,
		.devices = &d->devices,
		.policy = d->policy,
		.grants = d->grants,
		.boot_to_realtime_usec = idg_boot_to_realtime_usec(),
	};
	struct idg_record rec;

	struct idg_process_info proc;

	idg_describe_event(ev, &ctx, &rec);
	/* Not OBJECT_PID=: see process.h. */
	if (idg_process_read((int)ev->tgid, ev->comm, &proc) == 0) {
		if (proc.exe[0])
			idg_record_add(&rec, "IDGUARD_EXE", "%s", proc.exe);
		if (proc.cmdline[0])
			idg_record_add(&rec, "IDGUARD_CMDLINE", "%s", proc.cmdline);
		if (proc.unit[0])
			idg_record_add(&rec, "IDGUARD_UNIT", "%s", proc.unit);
	}
	daemon_send(d, &rec);
}

void daemon_report_counters(struct daemon *d, bool initial)
{
	uint64_t stats[IDG_STAT_COUNT] = { 0 }, delta[IDG_STAT_COUNT] = { 0 };
	struct idg_record rec;

	if (idg_gate_read_stats(d->gate, stats) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(reported_counters); i++) {
		enum idg_stat s = reported_counters[i].stat;

		if (initial)
			(void)idg_store_get_counter(d->db, reported_counters[i].name, &d->reported[s]);
		/* Counters restart at zero after an uninstall. */
		if (stats[s] < d->reported[s])
			d->reported[s] = 0;
		delta[s] = stats[s] - d->reported[s];
	}
	if (!delta[IDG_STAT_LOST_EVENTS] && !delta[IDG_STAT_FOLDED])
		return;

	if (delta[IDG_STAT_LOST_EVENTS]) {
		idg_record_init(&rec, IDG_MSG_EVENTS_LOST, LOG_WARNING);
		idg_record_add(&rec, "MESSAGE",
			       "Lost %llu decision records standing for %llu attempts: the event ring buffer was full "
			       "(every attempt was still decided; %llu more attempts were folded into counted records)",
			       (unsigned long long)delta[IDG_STAT_LOST_EVENTS],
			       (unsigned long long)delta[IDG_STAT_LOST_ATTEMPTS],
			       (unsigned long long)delta[IDG_STAT_FOLDED]);
	} else {
		idg_record_init(&rec, IDG_MSG_EVENTS_LOST, LOG_INFO);
		idg_record_add(&rec, "MESSAGE",
			       "Folded %llu repeated attempts into counted records (see IDGUARD_COUNT); no records lost",
			       (unsigned long long)delta[IDG_STAT_FOLDED]);
	}
	idg_record_add(&rec, "IDGUARD_LOST_EVENTS", "%llu", (unsigned long long)delta[IDG_STAT_LOST_EVENTS]);
	idg_record_add(&rec, "IDGUARD_LOST_ATTEMPTS", "%llu", (unsigned long long)delta[IDG_STAT_LOST_ATTEMPTS]);
	idg_record_add(&rec, "IDGUARD_FOLDED", "%llu", (unsigned long long)delta[IDG_STAT_FOLDED]);
	idg_record_add(&rec, "IDGUARD_TOTAL_LOST_EVENTS", "%llu", (unsigned long long)stats[IDG_STAT_LOST_EVENTS]);
	daemon_send(d, &rec);

	for (size_t i = 0; i < ARRAY_SIZE(reported_counters); i++) {
		enum idg_stat s = reported_counters[i].stat;

		d->reported[s] = stats[s];
		(void)idg_store_set_counter(d->db, reported_counters[i].name, stats[s]);
	}
}
