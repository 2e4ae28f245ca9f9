/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idguardd's state and the pieces of the daemon: start-up and the event
 * loop (daemon.c), policy loading and reloading (policy_apply.c), kernel
 * records to the journal and periodic counters (events.c), grant upkeep
 * (grant_sync.c), devices from udev (devices.c), the control socket
 * (control.c) and its commands (commands.c).
 */
#ifndef IDG_DAEMON_H
#define IDG_DAEMON_H

#include <json-c/json.h>
#include <libudev.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "devices.h"
#include "exempt.h"
#include "gate.h"
#include "grants.h"
#include "journal.h"
#include "policy.h"
#include "token.h"
#include "watchlist.h"

#define IDG_MAX_POLICY_DIRS 16

struct daemon_options {
	const char *cgroup_path;  /* NULL: the cgroup v2 root */
	const char *bpffs_dir;
	const char *policy_dirs[IDG_MAX_POLICY_DIRS];
	size_t n_policy_dirs;
	const char *approver_dirs[IDG_MAX_POLICY_DIRS];
	size_t n_approver_dirs;
	const char *state_dir;
	const char *socket_path;
	bool foreground;
	enum idg_journal_target journal_target;
	int ready_fd;             /* background mode: told 'R' once ready, or -1 */
	int bpf_helpers;          /* enum idg_helper bits, or -1: as the kernel offers */
	const char *relay_user;   /* who may act as the approval relay (besides root) */
};

struct control;
struct notices;

/* What the network maps hold, and this host's addresses it was built with
 * (Address=local): kept together, so a rolled-back reload keeps both. */
struct idg_network_view {
	struct idg_endpoint_table table;
	struct idg_prefix *local;
	size_t n_local;
};

/* io dispatch in the event loop (daemon.c) */
struct io_watch {
	int fd;
	void (*on_ready)(struct io_watch *watch, uint32_t events);
	void *data;
};

struct daemon {
	struct daemon_options opts;
	char cgroup_root[4096];   /* the cgroup v2 mount */
	char cgroup_path[4096];   /* where the gate is attached */
	char machine_id[64];      /* tokens name the workstation by it ("" if unknown) */

	struct idg_gate *gate;
	struct idg_policy *policy;
	struct idg_watchlist *watches;        /* the policy's Device= entries */
	struct idg_device_table devices;      /* what udev shows, classified */
	struct idg_watchlist *kernel_watches; /* both, as the kernel map holds them */
	struct idg_network_view network;      /* the network maps' contents */
	struct udev *udev;
	struct udev_monitor *udev_monitor;    /* events systemd-udevd has processed */
	struct udev_monitor *kernel_monitor;  /* raw kernel events, only without systemd-udevd */
	bool udevd_running;
	struct idg_exempt_set exempt;
	size_t policy_warnings;
	char **policy_warning_list; /* as `idguardctl policy check` words them */
	size_t n_policy_warning_list;
	bool kept_cap_bpf;        /* this kernel needs CAP_BPF for map updates */
	sqlite3 *db;
	struct idg_grants *grants;
	struct control *control;
	struct notices *notices;        /* what clerks are told (notices.c) */
	uid_t relay_uid;                /* opts.relay_user's uid, or -1 when there is none */
	struct {                        /* as the relay last reported it (requests.c) */
		bool connected;
		char broker[256];
		char error[256];
		uint64_t since_usec;
	} relay;

	int lock_fd;              /* flock on the bpffs dir, see idg_gate_lock() */
	int epoll_fd;
	int signal_fd;
	int timer_fd;
	struct io_watch events_watch;
	struct io_watch signal_watch;
	struct io_watch timer_watch;
	struct io_watch udev_watch;
	struct io_watch kernel_watch;
	bool stopping;
	bool failed;              /* stopping because something broke: exit 1 */
	const char *stop_reason;

	uint64_t started_usec;
	uint64_t watchdog_usec;     /* 0 when systemd does not watch us */
	uint64_t next_watchdog_ns;
	uint64_t next_stats_ns;
	uint64_t next_check_ns;
	uint64_t next_upkeep_ns;
	uint64_t reported[IDG_STAT_COUNT]; /* counters as of the last report */
	uint64_t journal_failures;
};

/* The commands' JSON: a request's string field (protocol.c checked its
 * type), or fallback; fields added to a reply. */
static inline const char *daemon_arg_string(struct json_object *request, const char *field, const char *fallback)
{
	struct json_object *value;

	if (!json_object_object_get_ex(request, field, &value) || !json_object_is_type(value, json_type_string))
		return fallback;
	return json_object_get_string(value);
}

static inline void daemon_add_string(struct json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, json_object_new_string(value));
}

static inline void daemon_add_uint(struct json_object *obj, const char *key, uint64_t value)
{
	json_object_object_add(obj, key, json_object_new_int64((int64_t)value));
}

/* daemon.c */
int daemon_run(const struct daemon_options *opts);
void daemon_update_status(struct daemon *d);
/* Ends the event loop; a failure makes idguardd exit 1 so systemd restarts it. */
void daemon_stop(struct daemon *d, const char *reason, bool failure);
/* Re-arms the periodic timer after the repeat window changed. */
void daemon_rearm_timer(struct daemon *d);

/* policy_apply.c: loads the policy and, when valid, applies it to the gate.
 * A policy with errors is refused (logged with file:line) and the current
 * one stays; at start-up (no current policy) that is fatal. ret_error gets
 * every error, one per line. Returns -EINVAL for an invalid policy, -EIO
 * when the kernel maps could not be written. With announce, a valid policy
 * is recorded in the journal at once (at start-up that waits until the gate
 * is attached: see daemon_announce_policy). */
int daemon_load_policy(struct daemon *d, bool announce, char *ret_error, size_t error_size);
void daemon_announce_policy(struct daemon *d);
void daemon_policy_warnings_clear(struct daemon *d);
struct json_object *daemon_policy_warnings_json(const struct daemon *d);
/* Applies the current policy's maps. Used again after the gate opens. */
int daemon_apply_policy(struct daemon *d, struct idg_error *err);

/* devices.c: following devices through udev. open: monitors, then a first
 * enumeration (before the gate's maps are first written, so a restart
 * rewrites them from udev without a window); watch: into the event loop;
 * announce: a record per device present at start. reclassify: enumerate
 * again under the current policy, after a reload (record: journal what
 * changed). */
int daemon_devices_open(struct daemon *d, struct idg_error *err);
int daemon_devices_watch(struct daemon *d);
void daemon_devices_announce(struct daemon *d);
int daemon_devices_reclassify(struct daemon *d, bool record);
void daemon_devices_close(struct daemon *d);
/* Writes the policy's Device= entries and every device's nodes into the
 * kernel map (adds first, then removals) and keeps the list as
 * kernel_watches. */
int daemon_sync_kernel_watches(struct daemon *d, struct idg_error *err);

/* lifecycle.c: the start and stop records; what the running kernel gave
 * the gate (programs loaded or not and why, helpers), for the log, the
 * start record and status. */
void daemon_send_lifecycle(struct daemon *d, const char *message_id, int priority, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void daemon_send_started(struct daemon *d);
void daemon_kernel_log(struct daemon *d);
struct json_object *daemon_kernel_json(struct daemon *d);
bool daemon_network_gate_loaded(const struct daemon *d);

/* events.c */
void daemon_on_event(const struct idg_event *ev, void *userdata);
void daemon_report_counters(struct daemon *d, bool initial);
void daemon_send(struct daemon *d, const struct idg_record *rec);

/* grant_sync.c */
int daemon_grants_sync_all(struct daemon *d, struct idg_error *err);
int daemon_grants_sync_subject(struct daemon *d, uint32_t scope, uint32_t subject);
void daemon_grants_expire(struct daemon *d);
/* Ends a live grant now (revoked or removed): kernel, journal, open handles. */
int daemon_grant_end(struct daemon *d, uint64_t id, const char *reason, struct idg_grant_info *ret);

/* handles.c: when a grant ends, processes of its subject still holding a
 * device of its classes are ended (OnGrantEnd=terminate) or recorded. */
void daemon_end_open_handles(struct daemon *d, const struct idg_grant_info *grant);

/* tokens.c: the purpose-token commands. A token is redeemed for the
 * clerk at the socket, or (requests.c) for the clerk whose request the
 * relay brought the answer to: expect then names that request, and the
 * token must answer it. */
struct idg_stored_request;
struct daemon_redeemer {
	uint32_t uid;
	char user[64];
	pid_t client_pid;
	bool session_scope;
	uint32_t session;
	bool via_relay;
	const char *request_id;                 /* via the relay: the request answered */
	const struct idg_stored_request *expect; /* via the relay */
};
int64_t daemon_peer_session(pid_t pid);
struct json_object *daemon_token_redeem_for(struct daemon *d, const struct daemon_redeemer *who, const char *token,
					    enum idg_token_rejection *ret_reason);
struct json_object *daemon_token_redeem(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_token_list(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_token_revoke(struct daemon *d, const struct ucred *cred, struct json_object *request);
/* A grant as JSON, for replies. */
struct json_object *daemon_grant_to_json(const struct idg_grant_info *g);

/* upkeep.c: the network maps, built from a policy (with this host's
 * addresses now; errors such as too many rules on one address in diags)
 * and written into the kernel; and, every second, exempt units' cgroups
 * and this host's addresses followed without a reload. */
int daemon_network_build(const struct idg_policy *policy, struct idg_network_view *ret, struct idg_diags *diags);
void daemon_network_view_clear(struct idg_network_view *view);
int daemon_network_apply(struct daemon *d, struct idg_error *err);
void daemon_upkeep(struct daemon *d);

/* print.c: the CUPS backend's question, for one job (root only). */
struct json_object *daemon_print_check(struct daemon *d, const struct ucred *cred, struct json_object *request);

/* notices.c: what the clerk is told (idguard-notify(1), `idguardctl why`):
 * notices made from refusal records (daemon_send passes every record to
 * daemon_notices_record), from grants granted, about to end (upkeep, once
 * a second) and ended; each goes to its user's watching connections only,
 * and the newest few per user are kept. Around daemon_end_open_handles,
 * ending_begin/ended gather the programs ended with the grant. */
int daemon_notices_open(struct daemon *d);
void daemon_notices_close(struct daemon *d);
void daemon_notices_record(struct daemon *d, const struct idg_record *rec);
void daemon_notice_granted(struct daemon *d, const struct idg_grant_info *g);
void daemon_notice_ending_begin(struct daemon *d, const struct idg_grant_info *g);
void daemon_notice_ended(struct daemon *d, const struct idg_grant_info *g);
void daemon_notices_upkeep(struct daemon *d);
/* The first line of a `watch` connection; the `notices` command. */
struct json_object *daemon_notices_watch_reply(struct daemon *d, const struct ucred *cred);
/* The kept notices of uid newer than since_usec, oldest first (a watcher
 * that reconnects gets what it missed meanwhile). */
struct json_object *daemon_notices_since(struct daemon *d, uid_t uid, uint64_t since_usec);
struct json_object *daemon_notices_list(struct daemon *d, const struct ucred *cred, struct json_object *request);

/* requests.c: the online approval round trip (the outbox, the relay's
 * commands; see idguard-relay(8)). */
struct json_object *daemon_request_submit(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_request_list(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_request_cancel(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_relay_status(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_relay_sent(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_relay_withdrawn(struct daemon *d, const struct ucred *cred, struct json_object *request);
struct json_object *daemon_relay_answer(struct daemon *d, const struct ucred *cred, struct json_object *request);
/* The first line of a relay-watch connection (the outbox so far). */
struct json_object *daemon_relay_watch_reply(struct daemon *d);
struct json_object *daemon_relay_json(const struct daemon *d);
bool daemon_is_relay(const struct daemon *d, const struct ucred *cred);
void daemon_requests_upkeep(struct daemon *d);
/* A token answering request rid was redeemed (through the relay or pasted):
 * the request, if it waits in the outbox, is granted and withdrawn. */
void daemon_request_redeemed(struct daemon *d, const char *rid, const char *approver);
/* notices.c: a request that ended without a grant (declined, expired), or
 * an answer that could not be used (answer-refused), told to its clerk. */
void daemon_notice_request(struct daemon *d, const struct idg_stored_request *r, const char *kind,
			   const char *approver, const char *reason);

/* control.c */
/* Sends a notice to every watching connection of uid (and no other). */
void control_push(struct control *c, uid_t uid, struct json_object *notice);
/* Sends an event to the relay's watching connections. */
void control_push_relay(struct control *c, struct json_object *event);
int control_relay_watchers(const struct control *c);
/* -EADDRINUSE (with a message) when another daemon listens on path. */
int control_check_free(const char *path, struct idg_error *err);
int control_open(struct daemon *d, const char *path, struct control **ret, struct idg_error *err);
void control_close(struct control *c);
void control_sweep(struct control *c);
int control_count(const struct control *c);
/* Connections closed by the limits since start. */
uint64_t control_closed_total(const struct control *c);
/* true when a connection has requests waiting that its last turn left
 * (see REQUESTS_PER_TURN): the event loop then polls without waiting and
 * calls control_resume(). */
bool control_pending(const struct control *c);
void control_resume(struct control *c);

/* commands.c: answers one validated request from the peer described by cred. */
struct json_object *daemon_handle_request(struct daemon *d, const struct ucred *cred, struct json_object *request);

int daemon_watch_fd(struct daemon *d, struct io_watch *watch, uint32_t events);
void daemon_unwatch_fd(struct daemon *d, struct io_watch *watch);

/* Operational messages (not audit records): stderr, with a syslog
 * priority prefix when stderr is a journal stream. */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(3, __VA_ARGS__)
#define log_warning(...) log_msg(4, __VA_ARGS__)
#define log_notice(...) log_msg(5, __VA_ARGS__)
#define log_info(...) log_msg(6, __VA_ARGS__)

#endif
