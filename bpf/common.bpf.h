/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every gate program shares: the pinned maps, and the decision once a
 * gate knows the class of what is being opened or connected to: exempt
 * cgroup? live grant of the caller's uid or audit session? which mode? The
 * decision is recorded, with repeats folded into counts in repeat_slots.
 * Included by gate.bpf.c only (one BPF object, one set of maps).
 */
#ifndef IDG_COMMON_BPF_H
#define IDG_COMMON_BPF_H

#include "idguard.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

struct bpf_map; /* opaque: only passed back to the kernel */

/* Only the fields we read; CO-RE finds them in the running kernel. The
 * cgroup path is how a task's cgroup ancestors are read where the kernel has
 * no bpf_get_current_ancestor_cgroup_id for the program. */
typedef struct {
	unsigned int val;
} kuid_t;
struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));
struct cgroup_subsys_state {
	struct cgroup_subsys_state *parent;
} __attribute__((preserve_access_index));
struct cgroup {
	struct cgroup_subsys_state self; /* first: a css of a cgroup is the cgroup */
	struct kernfs_node *kn;
	int level;                       /* the root is 0 */
} __attribute__((preserve_access_index));
struct css_set {
	struct cgroup *dfl_cgrp;
} __attribute__((preserve_access_index));
struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	unsigned int sessionid;
	kuid_t loginuid;
	struct css_set *cgroups;
} __attribute__((preserve_access_index));

/* enum idg_helper bits: what cgroup/dev and cgroup/connect* programs may
 * call here. Set by the daemon before load; the verifier sees constants and
 * never looks at the branch this kernel could not check. */
const volatile __u32 dev_helpers = 0;
const volatile __u32 sock_helpers = 0;
/* When the daemon loaded these programs (CLOCK_BOOTTIME). A mark written
 * before then is stale: it was left while no standby took marks away (its
 * link was detached, and the daemon restarted to attach it again), and it
 * must not stand for an open to come. A call in flight while a link is
 * attached or updated runs the programs it started with, so no fresh
 * mark is ever older than the standby that reads it. */
const volatile __u64 marks_since_ns = 0;

/* How far up the fallback walks a task's cgroups to reach levels 1 to
 * IDG_EXEMPT_MAX_DEPTH - 1. */
#define IDG_CGROUP_WALK_MAX 64

/* Every map is pinned by name under the daemon's bpffs dir, so a restarted
 * daemon picks up the same state and the ring buffer keeps waiting events. */
#define PINNED __uint(pinning, LIBBPF_PIN_BY_NAME)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IDG_MAJOR_SLOTS);
	__type(key, __u32);
	__type(value, struct idg_major_rule);
	PINNED;
} major_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IDG_MAX_WATCHED);
	__type(key, struct idg_dev_key);
	__type(value, struct idg_watch);
	PINNED;
} watched_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IDG_MAX_RANGES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct idg_range_key);
	__type(value, struct idg_watch);
	PINNED;
} watched_ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IDG_MAX_DECIDED);
	__type(key, __u64);
	__type(value, struct idg_decided);
	PINNED;
} decided SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IDG_MAX_EXEMPT);
	__type(key, __u64);
	__type(value, __u8);
	PINNED;
} exempt_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IDG_MAX_GRANTS);
	__type(key, struct idg_grant_key);
	__type(value, struct idg_grant);
	PINNED;
} grants SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct idg_config);
	PINNED;
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IDG_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
	PINNED;
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IDG_REPEAT_SLOTS);
	__type(key, __u32);
	__type(value, struct idg_repeat_slot);
	PINNED;
} repeat_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IDG_EVENTS_BYTES);
	PINNED;
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IDG_PORT_COUNT);
	__type(key, __u32);
	__type(value, __u8);
	PINNED;
} port_flags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IDG_MAX_ENDPOINT_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct idg_endpoint_key);
	__type(value, struct idg_endpoint_set);
	PINNED;
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IDG_MAX_BROKERS);
	__type(key, struct idg_broker_key);
	__type(value, struct idg_watch);
	PINNED;
} brokers SEC(".maps");

/* Clang may index an array through a copy of a class id whose bound check
 * the verifier never saw; an opaque copy masked at the use is always provably
 * in range (and class ids are checked to be below IDG_CLASS_COUNT anyway). */
static __always_inline __u32 class_index(__u32 class_id)
{
	barrier_var(class_id);
	return class_id & (IDG_CLASS_COUNT - 1);
}

static __always_inline void stat_add(__u32 stat, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(&stats, &stat);

	/* Atomic even per CPU: another task may preempt us on this CPU. */
	if (value)
		__sync_fetch_and_add(value, n);
}

/* Sends one record; a failed reservation is counted, never silent. */
static __always_inline void emit(const struct idg_event *ev)
{
	struct idg_event *out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);

	if (!out) {
		stat_add(IDG_STAT_LOST_EVENTS, 1);
		stat_add(IDG_STAT_LOST_ATTEMPTS, ev->count);
		return;
	}
	__builtin_memcpy(out, ev, sizeof(*out));
	bpf_ringbuf_submit(out, 0);
	stat_add(IDG_STAT_EVENTS, 1);
}

static __always_inline int cgroup_is_exempt(__u64 cgroup_id)
{
	return bpf_map_lookup_elem(&exempt_cgroups, &cgroup_id) != NULL;
}

/* An exempt service may run in child cgroups of its unit: every ancestor
 * below the root counts. */
static __always_inline int caller_is_exempt(__u64 cgroup_id, struct task_struct *task, __u32 helpers)
{
	if (cgroup_is_exempt(cgroup_id))
		return 1;
	if (helpers & IDG_HELPER_ANCESTOR_CGROUP) {
		for (int level = 1; level < IDG_EXEMPT_MAX_DEPTH; level++) {
			__u64 ancestor = bpf_get_current_ancestor_cgroup_id(level);

			if (!ancestor || ancestor == cgroup_id)
				break;
			if (cgroup_is_exempt(ancestor))
				return 1;
		}
		return 0;
	}
	/* The same ancestors (levels 1 to IDG_EXEMPT_MAX_DEPTH - 1, whatever
	 * the task's own depth), read upwards from the task's own cgroup. A
	 * tree deeper than the walk is not exempt: fail closed. */
	struct cgroup *cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp);

	for (int step = 0; step < IDG_CGROUP_WALK_MAX && cgroup; step++) {
		struct cgroup *parent = (struct cgroup *)BPF_CORE_READ(cgroup, self.parent);
		int level;

		if (!parent)
			break;
		level = BPF_CORE_READ(parent, level);
		/* The root is no exemption. */
		if (level < 1)
			break;
		if (level < IDG_EXEMPT_MAX_DEPTH && cgroup_is_exempt(BPF_CORE_READ(parent, kn, id)))
			return 1;
		cgroup = parent;
	}
	return 0;
}

/* Looks for a live grant of class_id for one subject; remembers why not. */
static __always_inline int grant_allows(__u32 scope, __u32 subject, __u32 class_id,
					__u64 now, struct idg_event *ev)
{
	struct idg_grant_key key = { .scope = scope, .subject = subject };
	struct idg_grant *grant = bpf_map_lookup_elem(&grants, &key);

	if (!grant || class_id >= IDG_CLASS_COUNT)
		return 0;
	if (!(grant->class_mask & (1u << class_id))) {
		if (ev->reason == IDG_REASON_NO_GRANT)
			ev->reason = IDG_REASON_GRANT_OTHER_CLASS;
		return 0;
	}
	ev->grant_id = grant->grant_id[class_index(class_id)];
	if (grant->expires_boot_ns[class_index(class_id)] > now) {
		ev->reason = scope == IDG_SCOPE_UID ? IDG_REASON_UID_GRANT : IDG_REASON_SESSION_GRANT;
		return 1;
	}
	ev->reason = IDG_REASON_GRANT_EXPIRED;
	return 0;
}

static __always_inline __u32 addr_word(const struct idg_event *ev, int i)
{
	__u32 w;

	__builtin_memcpy(&w, ev->addr + 4 * i, 4);
	return w;
}

static __always_inline __u32 repeat_slot_index(const struct idg_event *ev)
{
	__u32 h = ev->tgid * 2654435761u;

	h ^= (ev->major << 20 | ev->minor) * 0x9e3779b1u;
	h ^= (addr_word(ev, 3) ^ ev->port ^ ev->device_id) * 0x85ebca6bu;
	h ^= ev->verdict << 8 | ev->reason;
	return h & (IDG_REPEAT_SLOTS - 1);
}

static __always_inline int same_window_key(const struct idg_event *a, const struct idg_event *b)
{
	return a->tgid == b->tgid && a->gate == b->gate && a->device_id == b->device_id &&
	       a->major == b->major && a->minor == b->minor && a->dev_type == b->dev_type &&
	       a->port == b->port && addr_word(a, 0) == addr_word(b, 0) && addr_word(a, 1) == addr_word(b, 1) &&
	       addr_word(a, 2) == addr_word(b, 2) && addr_word(a, 3) == addr_word(b, 3) &&
	       a->verdict == b->verdict && a->reason == b->reason && a->grant_id == b->grant_id &&
	       a->class_id == b->class_id && a->uid == b->uid;
}

/* Records one attempt: folds it into the slot's count when the same process
 * repeats the same decision on the same device within the window; otherwise
 * starts a new window, sending the slot's previous pending count first. */
static __always_inline void record(struct idg_event *ev, __u64 window_ns)
{
	__u32 index = repeat_slot_index(ev);
	struct idg_repeat_slot *slot = bpf_map_lookup_elem(&repeat_slots, &index);
	struct idg_event previous;
	__u64 previous_count = 0;
	int folded = 0;

	if (!slot) {
		emit(ev);
		return;
	}
	bpf_spin_lock(&slot->lock);
	if (slot->first.count && same_window_key(&slot->first, ev) &&
	    ev->time_boot_ns - slot->window_start_ns < window_ns) {
		slot->pending++;
		slot->first.last_boot_ns = ev->time_boot_ns;
		folded = 1;
	} else {
		if (slot->pending) {
			previous = slot->first;
			previous_count = slot->pending;
		}
		slot->first = *ev;
		slot->window_start_ns = ev->time_boot_ns;
		slot->pending = 0;
	}
	bpf_spin_unlock(&slot->lock);

	if (folded) {
		stat_add(IDG_STAT_FOLDED, 1);
		return;
	}
	if (previous_count) {
		previous.kind = IDG_EVENT_REPEAT;
		previous.count = previous_count;
		emit(&previous);
	}
	emit(ev);
}

static __always_inline __u64 current_pid_tgid(struct task_struct *task, __u32 helpers)
{
	if (helpers & IDG_HELPER_PID_TGID)
		return bpf_get_current_pid_tgid();
	return (__u64)BPF_CORE_READ(task, tgid) << 32 | (__u32)BPF_CORE_READ(task, pid);
}

/* The decision all gates share. ev carries the gate's own fields (gate,
 * entry id, device numbers or address); the rest is filled in here.
 * helpers: what this program may call (dev_helpers or sock_helpers).
 * Returns 1 to let the call go on, 0 to make it fail with EPERM. */
static __always_inline int decide(struct idg_event *ev, __u32 class_id, __u32 helpers)
{
	struct idg_config *cfg;
	__u32 zero = 0, mode;

	if (class_id >= IDG_CLASS_COUNT)
		return 1;
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return 1;
	mode = cfg->class_mode[class_index(class_id)];
	if (mode == IDG_MODE_OFF)
		return 1;

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 cgroup_id = bpf_get_current_cgroup_id();

	if (caller_is_exempt(cgroup_id, task, helpers)) {
		stat_add(IDG_STAT_EXEMPT, 1);
		return 1;
	}

	__u64 now = bpf_ktime_get_boot_ns();
	int allow;

	ev->time_boot_ns = now;
	ev->last_boot_ns = now;
	ev->cgroup_id = cgroup_id;
	ev->count = 1;
	__u64 pid_tgid = current_pid_tgid(task, helpers);

	ev->pid = (__u32)pid_tgid;
	ev->tgid = pid_tgid >> 32;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->loginuid = BPF_CORE_READ(task, loginuid.val);
	ev->sessionid = BPF_CORE_READ(task, sessionid);
	ev->kind = IDG_EVENT_ACCESS;
	ev->reason = IDG_REASON_NO_GRANT;
	ev->class_id = class_id;

	stat_add(IDG_STAT_DECISIONS, 1);
	if (grant_allows(IDG_SCOPE_UID, ev->uid, class_id, now, ev) ||
	    (ev->sessionid != (__u32)-1 && grant_allows(IDG_SCOPE_SESSION, ev->sessionid, class_id, now, ev))) {
		ev->verdict = IDG_VERDICT_GRANTED;
		stat_add(IDG_STAT_GRANTED, 1);
		allow = 1;
	} else if (mode == IDG_MODE_ENFORCE) {
		ev->verdict = IDG_VERDICT_DENIED;
		stat_add(IDG_STAT_DENIED, 1);
		allow = 0;
	} else {
		ev->verdict = IDG_VERDICT_AUDITED;
		stat_add(IDG_STAT_AUDITED, 1);
		allow = 1;
	}
	if (helpers & IDG_HELPER_COMM)
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	else
		BPF_CORE_READ_INTO(&ev->comm, task, comm);
	record(ev, cfg->repeat_window_ns);
	return allow;
}

#endif
