// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardd start-up, event loop and shutdown. The order of start-up is the
 * security argument: the policy is validated before anything is touched;
 * the maps are filled before the program is attached (or swapped into the
 * pinned link); privileges are dropped before the first request is served.
 * Any failure on that path is fatal and leaves earlier pins enforcing.
 */
#include "daemon.h"

#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <bpf/libbpf.h>

#include "describe.h"
#include "idnumber.h"
#include "mounts.h"
#include "names.h"
#include "privileges.h"
#include "store.h"
#include "token.h"

#define CHECK_INTERVAL_NS (5ull * 1000000000ull)
#define UPKEEP_INTERVAL_NS (1ull * 1000000000ull) /* exempt units, this host's addresses */

/* Set once stderr is /dev/null (background mode): log lines go to journald. */
static bool log_to_journal;

static void log_msgv(int priority, const char *fmt, va_list ap)
{
	char text[4096];

	(void)vsnprintf(text, sizeof(text), fmt, ap);
	/* stderr withholds by itself (idg_withhold_stdio()); this does not. */
	(void)idg_withhold(text);
	if (log_to_journal) {
		(void)sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", priority, "SYSLOG_IDENTIFIER=idguardd", NULL);
		return;
	}
	/* "<N>" is the priority prefix journald reads when stderr is its stream. */
	if (getenv("JOURNAL_STREAM"))
		(void)fprintf(stderr, "<%d>idguardd: %s\n", priority, text);
	else
		(void)fprintf(stderr, "idguardd: %s\n", text);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_msgv(priority, fmt, ap);
	va_end(ap);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char text[4096];
	size_t len;

	struct rlimit memlock;

	/* libbpf's debug chatter is for developers; warnings explain failures. */
	if (level == LIBBPF_DEBUG)
		return 0;
	/* Before Linux 5.11 libbpf raises RLIMIT_MEMLOCK before each load,
	 * which the unit's system call filter refuses; the unit has made the
	 * limit infinite already, so that is no failure to report. */
	if (strstr(fmt, "Failed to bump RLIMIT_MEMLOCK") && getrlimit(RLIMIT_MEMLOCK, &memlock) == 0 &&
	    memlock.rlim_cur == RLIM_INFINITY)
		return 0;
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	len = strlen(text);
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';
	log_msg(level == LIBBPF_WARN ? 4 : 6, "%s", text);
	return 0;
}

int daemon_watch_fd(struct daemon *d, struct io_watch *watch, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = watch };

	return epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, watch->fd, &ev) < 0 ? -errno : 0;
}

void daemon_unwatch_fd(struct daemon *d, struct io_watch *watch)
{
	(void)epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, watch->fd, NULL);
}

void daemon_update_status(struct daemon *d)
{
	uint64_t stats[IDG_STAT_COUNT] = { 0 };

	(void)idg_gate_read_stats(d->gate, stats);
	(void)sd_notifyf(0,
			 "STATUS=Watching %zu device entries; %llu denied, %llu audited, %llu granted; %llu records lost",
			 d->watches ? d->watches->count : 0, (unsigned long long)stats[IDG_STAT_DENIED],
			 (unsigned long long)stats[IDG_STAT_AUDITED], (unsigned long long)stats[IDG_STAT_GRANTED],
			 (unsigned long long)stats[IDG_STAT_LOST_EVENTS]);
}

static void on_events_ready(struct io_watch *watch, uint32_t events)
{
	struct daemon *d = watch->data;

	if (idg_gate_events_consume(d->gate) < 0)
		log_warning("reading the event ring buffer failed: %s", strerror(errno));
}

void daemon_stop(struct daemon *d, const char *reason, bool failure)
{
	d->stopping = true;
	d->stop_reason = reason;
	d->failed |= failure;
}

static void on_signal(struct io_watch *watch, uint32_t events)
{
	struct daemon *d = watch->data;
	struct signalfd_siginfo si;
	char error[8192];

	while (read(d->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			(void)sd_notify(0, "RELOADING=1");
			if (daemon_load_policy(d, true, error, sizeof(error)) < 0)
				log_error("reload refused, the previous policy stays in force: %s", error);
			(void)sd_notify(0, "READY=1");
			daemon_update_status(d);
		} else {
			daemon_stop(d, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM", false);
		}
	}
}

static uint64_t tick_ns(const struct daemon *d)
{
	uint64_t ns = d->policy->repeat_window_ms * 1000000ull / 2;

	if (ns < 100000000ull)
		ns = 100000000ull;
	if (ns > 1000000000ull)
		ns = 1000000000ull;
	return ns;
}

static int arm_timer(struct daemon *d)
{
	uint64_t ns = tick_ns(d);
	struct itimerspec its = {
		.it_interval = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) },
		.it_value = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) },
	};

	return timerfd_settime(d->timer_fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void daemon_rearm_timer(struct daemon *d)
{
	if (arm_timer(d) < 0)
		log_warning("cannot re-arm the timer: %s", strerror(errno));
}

static void check_gate(struct daemon *d)
{
	struct idg_error err;
	struct idg_record rec;
	int r = idg_gate_check(d->gate, &err);

	if (r == 0)
		return;
	idg_record_init(&rec, IDG_MSG_TAMPER, LOG_CRIT);
	idg_record_add(&rec, "MESSAGE", "Tamper: %s", err.message);
	idg_record_add(&rec, "IDGUARD_TAMPER", "%s", r == -ENOLINK ? "link-detached" : r == -ESTALE ? "pin-removed" : "check-failed");
	daemon_send(d, &rec);
	/* We hold no capability to re-attach, and a pin we cannot restore
	 * would let enforcement end with us; exiting lets systemd restart us,
	 * and a fresh start attaches and pins again. */
	if (r == -ENOLINK)
		daemon_stop(d, "tamper: the link was detached", true);
	else if (r != -ESTALE)
		daemon_stop(d, "tamper: the pins cannot be checked or restored", true);
}

static void on_timer(struct io_watch *watch, uint32_t events)
{
	struct daemon *d = watch->data;
	uint64_t expirations, now = idg_now_boot_ns();

	(void)!read(d->timer_fd, &expirations, sizeof(expirations));
	if (idg_gate_flush_repeats(d->gate) < 0)
		log_warning("flushing repeat counts failed: %s", strerror(errno));
	(void)idg_gate_events_consume(d->gate);
	daemon_grants_expire(d);
	daemon_notices_upkeep(d);
	if (now >= d->next_stats_ns) {
		daemon_report_counters(d, false);
		daemon_update_status(d);
		d->next_stats_ns = now + d->policy->stats_interval_sec * 1000000000ull;
	}
	if (now >= d->next_check_ns) {
		check_gate(d);
		d->next_check_ns = now + CHECK_INTERVAL_NS;
	}
	if (now >= d->next_upkeep_ns && !d->stopping) {
		daemon_upkeep(d);
		daemon_requests_upkeep(d);
		d->next_upkeep_ns = now + UPKEEP_INTERVAL_NS;
	}
	if (d->watchdog_usec && now >= d->next_watchdog_ns) {
		(void)sd_notify(0, "WATCHDOG=1");
		d->next_watchdog_ns = now + d->watchdog_usec * 1000 / 2;
	}
}

/* What the daemon keeps after setup. Map updates, ring-buffer reads and test
 * runs go through fds it already holds, and policy, state and bpffs files
 * belong to root, which it still is: none of that needs a capability.
 * Re-attaching after tamper would need CAP_BPF and CAP_NET_ADMIN, so instead
 * it exits for a restart. What remains is ending the handles a grant no
 * longer covers (handles.c), which reads other users' /proc/PID/fd. */
static int drop_privileges(struct daemon *d, struct idg_error *err)
{
	cap_value_t keep[] = {
		CAP_DAC_READ_SEARCH, /* list /proc/PID/fd of another user's process */
		CAP_SYS_PTRACE,      /* follow its fd links to the device (ptrace read check) */
		CAP_KILL,            /* end it when OnGrantEnd=terminate */
		CAP_BPF,             /* only where every bpf() call needs it (below) */
	};
	int n = (int)ARRAY_SIZE(keep) - 1;
	int r = idg_gate_fds_need_cap_bpf(d->gate);

	/* Before Linux 5.19, kernel.unprivileged_bpf_disabled (Debian sets 2)
	 * refuses even map updates through a held fd without CAP_BPF. */
	if (r != 0) {
		n++;
		d->kept_cap_bpf = true;
		log_notice("keeping CAP_BPF: %s", r > 0 ? "on this kernel every bpf() call needs it while "
							  "kernel.unprivileged_bpf_disabled is set"
							: "cannot tell whether this kernel needs it for map updates");
	}
	return idg_privileges_drop(keep, n, err);
}

/* The approval relay runs as its own system user (idguard-relay.service);
 * its commands are taken from that uid and root only. No such user: no
 * relay but root's. */
static void resolve_relay_user(struct daemon *d)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	d->relay_uid = (uid_t)-1;
	if (!d->opts.relay_user || !*d->opts.relay_user)
		return;
	if (getpwnam_r(d->opts.relay_user, &pw, scratch, sizeof(scratch), &found) == 0 && found && found->pw_uid != 0)
		d->relay_uid = found->pw_uid;
	else
		log_info("no user %s: only root may act as the approval relay", d->opts.relay_user);
}

static int setup(struct daemon *d, struct idg_error *err, char *policy_error, size_t policy_error_size)
{
	struct idg_gate_options gate_opts;
	sigset_t mask;
	int r;

	libbpf_set_print(libbpf_log);
	r = idg_cgroup2_find_or_mount(d->cgroup_root, sizeof(d->cgroup_root), err);
	if (r < 0)
		return r;
	(void)snprintf(d->cgroup_path, sizeof(d->cgroup_path), "%s", d->opts.cgroup_path ? d->opts.cgroup_path : d->cgroup_root);
	r = idg_machine_id(d->machine_id);
	if (r < 0)
		log_warning("cannot read /etc/machine-id (%s): purpose tokens cannot be redeemed here", strerror(-r));

	/* One daemon per socket and per set of pins: a second one must stop
	 * before it reads anything it could act on or records anything. */
	r = control_check_free(d->opts.socket_path, err);
	if (r < 0)
		return r;
	r = idg_bpffs_prepare(d->opts.bpffs_dir, err);
	if (r == 0)
		r = idg_gate_lock(d->opts.bpffs_dir, &d->lock_fd, err);
	if (r < 0)
		return r;

	r = daemon_load_policy(d, false, policy_error, policy_error_size);
	if (r < 0)
		return idg_error_set(err, r, "the policy is invalid: %s", policy_error);
	r = daemon_devices_open(d, err);
	if (r < 0)
		return r;

	r = idg_store_open(d->opts.state_dir, &d->db, err);
	if (r < 0)
		return r;
	r = idg_grants_open(d->db, &d->grants, err);
	if (r < 0)
		return r;
	r = daemon_notices_open(d);
	if (r < 0)
		return idg_error_set(err, r, "out of memory");
	resolve_relay_user(d);

	gate_opts = (struct idg_gate_options){
		.bpffs_dir = d->opts.bpffs_dir,
		.cgroup_path = d->cgroup_path,
		.helpers = d->opts.bpf_helpers,
	};
	r = idg_gate_open(&gate_opts, &d->gate, err);
	if (r < 0)
		return r;
	r = daemon_apply_policy(d, err);
	if (r < 0)
		return r;
	r = daemon_grants_sync_all(d, err);
	if (r < 0)
		return r;
	r = idg_gate_attach(d->gate, err);
	if (r < 0)
		return r;
	daemon_kernel_log(d);

	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epoll_fd < 0)
		return idg_error_errno(err, -errno, "epoll_create1");
	r = idg_gate_events_setup(d->gate, daemon_on_event, d);
	if (r < 0)
		return idg_error_errno(err, r, "cannot read the event ring buffer");
	d->events_watch = (struct io_watch){ .fd = idg_gate_events_fd(d->gate), .on_ready = on_events_ready, .data = d };
	r = daemon_watch_fd(d, &d->events_watch, EPOLLIN);
	if (r < 0)
		return idg_error_errno(err, r, "epoll");
	r = daemon_devices_watch(d);
	if (r < 0)
		return idg_error_errno(err, r, "epoll");

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return idg_error_errno(err, -errno, "sigprocmask");
	(void)signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->signal_fd < 0)
		return idg_error_errno(err, -errno, "signalfd");
	d->signal_watch = (struct io_watch){ .fd = d->signal_fd, .on_ready = on_signal, .data = d };
	r = daemon_watch_fd(d, &d->signal_watch, EPOLLIN);
	if (r < 0)
		return idg_error_errno(err, r, "epoll");

	d->timer_fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->timer_fd < 0 || arm_timer(d) < 0)
		return idg_error_errno(err, -errno, "timerfd");
	d->timer_watch = (struct io_watch){ .fd = d->timer_fd, .on_ready = on_timer, .data = d };
	r = daemon_watch_fd(d, &d->timer_watch, EPOLLIN);
	if (r < 0)
		return idg_error_errno(err, r, "epoll");

	r = control_open(d, d->opts.socket_path, &d->control, err);
	if (r < 0)
		return r;

	r = drop_privileges(d, err);
	if (r < 0)
		return r;

	if (sd_watchdog_enabled(0, &d->watchdog_usec) <= 0)
		d->watchdog_usec = 0;
	d->started_usec = idg_now_realtime_usec();
	d->next_stats_ns = idg_now_boot_ns() + d->policy->stats_interval_sec * 1000000000ull;
	return 0;
}

/* Background mode: tell the waiting parent we are up, then let go of the
 * terminal. Records go to journald (checked before forking). */
static void detach_from_terminal(int ready_fd)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	(void)!write(ready_fd, "R", 1);
	(void)close(ready_fd);
	log_to_journal = true;
	if (null_fd >= 0) {
		(void)dup2(null_fd, STDIN_FILENO);
		(void)dup2(null_fd, STDOUT_FILENO);
		(void)dup2(null_fd, STDERR_FILENO);
		(void)close(null_fd);
	}
}

static void teardown(struct daemon *d)
{
	if (d->lock_fd >= 0)
		(void)close(d->lock_fd);
	control_close(d->control);
	d->control = NULL;
	daemon_notices_close(d);
	daemon_devices_close(d);
	idg_gate_close(d->gate);
	idg_grants_free(d->grants);
	idg_store_close(d->db);
	idg_watchlist_free(d->watches);
	idg_policy_free(d->policy);
	daemon_policy_warnings_clear(d);
	idg_exempt_set_clear(&d->exempt);
	daemon_network_view_clear(&d->network);
	if (d->epoll_fd >= 0)
		(void)close(d->epoll_fd);
	if (d->signal_fd >= 0)
		(void)close(d->signal_fd);
	if (d->timer_fd >= 0)
		(void)close(d->timer_fd);
}

int daemon_run(const struct daemon_options *opts)
{
	struct daemon d = { .opts = *opts, .epoll_fd = -1, .signal_fd = -1, .timer_fd = -1, .lock_fd = -1 };
	char policy_error[1024] = "";
	struct idg_error err = { "" };
	const char *events_to;
	int r;

	events_to = idg_journal_open(opts->journal_target);
	r = setup(&d, &err, policy_error, sizeof(policy_error));
	if (r < 0) {
		log_error("%s", err.message);
		log_error("not started; any enforcement pinned earlier in %s stays in force", opts->bpffs_dir);
		/* The status line is shown by systemctl status: withheld too. */
		(void)idg_withhold(err.message);
		(void)sd_notifyf(0, "STATUS=Failed: %s\nERRNO=%d", err.message, -r);
		teardown(&d);
		return r;
	}

	log_notice("attached to %s (%s); %zu Device= entries, %zu devices from udev; events go to %s; control socket %s",
		   d.cgroup_path,
		   idg_gate_reused_link(d.gate) ? "restart: new program swapped into the pinned link"
		   : idg_gate_reused_pins(d.gate) ? "pinned maps reused, link attached"
						  : "first start: link attached and pinned",
		   d.watches->count, d.devices.count, events_to, opts->socket_path);
	daemon_send_started(&d);
	daemon_announce_policy(&d);
	daemon_devices_announce(&d);
	daemon_report_counters(&d, true);
	(void)sd_notify(0, "READY=1");
	daemon_update_status(&d);
	if (opts->ready_fd >= 0)
		detach_from_terminal(opts->ready_fd);

	/* Events raised while no daemon ran are waiting in the ring buffer. */
	(void)idg_gate_events_consume(d.gate);

	while (!d.stopping) {
		struct epoll_event events[16];
		int n = epoll_wait(d.epoll_fd, events, 16, control_pending(d.control) ? 0 : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			log_error("epoll_wait: %s", strerror(-r));
			daemon_stop(&d, "event loop failure", true);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct io_watch *w = events[i].data.ptr;

			w->on_ready(w, events[i].events);
		}
		/* Here, not in a callback: closing a connection while epoll's
		 * events for it wait in this batch would leave them dangling. */
		control_sweep(d.control);
		control_resume(d.control);
	}

	(void)sd_notify(0, "STOPPING=1");
	(void)idg_gate_flush_repeats(d.gate);
	(void)idg_gate_events_consume(d.gate);
	daemon_report_counters(&d, false);
	if (d.failed)
		daemon_send_lifecycle(&d, IDG_MSG_AGENT_STOPPED, LOG_NOTICE,
				      "idguardd stopped because of a failure (%s); it exits with status 1 so that systemd starts "
			       "it again, which restores enforcement",
			       d.stop_reason ? d.stop_reason : "error");
	else
		daemon_send_lifecycle(&d, IDG_MSG_AGENT_STOPPED, LOG_NOTICE,
				      "idguardd stopped (%s); enforcement continues through the programs pinned in %s, and "
			       "events wait in the ring buffer until it starts again",
			       d.stop_reason ? d.stop_reason : "error", opts->bpffs_dir);
	teardown(&d);
	return d.failed && r == 0 ? -EIO : r;
}
