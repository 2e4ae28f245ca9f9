// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel gate. `idguard_dev` runs on every open()/access()/mknod() of a
 * char or block device node by a task in the attached cgroup and decides:
 * watched? exempt? granted? which mode? Every decision on a watched device is
 * recorded; repeats are folded into counts in repeat_slots. `idguard_flush` is
 * run by the daemon (BPF_PROG_TEST_RUN) to send the counts of windows that
 * have ended, so a burst that stops is still reported exactly.
 */
#include "idguard.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

struct bpf_map; /* opaque: only passed back to the kernel */

char LICENSE[] SEC("license") = "GPL";

/* Only the two fields we read; CO-RE finds them in the running kernel. */
typedef struct {
	unsigned int val;
} kuid_t;
struct task_struct {
	unsigned int sessionid;
	kuid_t loginuid;
} __attribute__((preserve_access_index));

#define VERDICT_ALLOW 1 /* cgroup/dev: non-zero lets the syscall go on */
#define VERDICT_DENY 0  /* zero makes it fail with EPERM */

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

static __always_inline int lookup_watch(__u32 dev_type, __u32 major, __u32 minor,
					const struct idg_major_rule *rule,
					struct idg_watch *ret)
{
	struct idg_watch *watch;

	if (rule->flags & IDG_MAJOR_EXACT) {
		struct idg_dev_key key = { .dev_type = dev_type, .major = major, .minor = minor };

		watch = bpf_map_lookup_elem(&watched_devs, &key);
		if (watch) {
			*ret = *watch;
			return 1;
		}
	}
	if (rule->flags & IDG_MAJOR_RANGE) {
		struct idg_range_key key = { .prefixlen = 64 };
		__u32 head = bpf_htonl(dev_type << 12 | major), tail = bpf_htonl(minor);

		__builtin_memcpy(key.data, &head, 4);
		__builtin_memcpy(key.data + 4, &tail, 4);
		watch = bpf_map_lookup_elem(&watched_ranges, &key);
		if (watch) {
			*ret = *watch;
			return 1;
		}
	}
	if (rule->flags & IDG_MAJOR_WHOLE) {
		ret->class_id = rule->whole_class;
		ret->device_id = rule->whole_device_id;
		return 1;
	}
	return 0;
}

static __always_inline int caller_is_exempt(__u64 cgroup_id)
{
	if (bpf_map_lookup_elem(&exempt_cgroups, &cgroup_id))
		return 1;
	/* An exempt service may run in child cgroups of its unit. */
	for (int level = 1; level < IDG_EXEMPT_MAX_DEPTH; level++) {
		__u64 ancestor = bpf_get_current_ancestor_cgroup_id(level);

		if (!ancestor || ancestor == cgroup_id)
			break;
		if (bpf_map_lookup_elem(&exempt_cgroups, &ancestor))
			return 1;
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

static __always_inline __u32 repeat_slot_index(const struct idg_event *ev)
{
	__u32 h = ev->tgid * 2654435761u;

	h ^= (ev->major << 20 | ev->minor) * 0x9e3779b1u;
	h ^= ev->verdict << 8 | ev->reason;
	return h & (IDG_REPEAT_SLOTS - 1);
}

static __always_inline int same_window_key(const struct idg_event *a, const struct idg_event *b)
{
	return a->tgid == b->tgid && a->major == b->major && a->minor == b->minor &&
	       a->dev_type == b->dev_type && a->verdict == b->verdict &&
	       a->reason == b->reason && a->grant_id == b->grant_id &&
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

SEC("cgroup/dev")
int idguard_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 dev_type = ctx->access_type & 0xffff;
	__u32 access = ctx->access_type >> 16;
	__u32 major = ctx->major, minor = ctx->minor;
	__u32 slot_index = major + (dev_type == IDG_DEV_BLOCK ? IDG_MAJOR_COUNT : 0);
	struct idg_major_rule *rule;
	struct idg_config *cfg;
	struct idg_watch watch;
	__u32 zero = 0, mode, class_id;

	/* devtmpfs and udev create nodes through mknod; creating is not imaging. */
	if (access == BPF_DEVCG_ACC_MKNOD || major >= IDG_MAJOR_COUNT)
		return VERDICT_ALLOW;

	/* The fast path every unrelated device takes: one inlined array load. */
	rule = bpf_map_lookup_elem(&major_rules, &slot_index);
	if (!rule || !rule->flags)
		return VERDICT_ALLOW;
	if (!lookup_watch(dev_type, major, minor, rule, &watch))
		return VERDICT_ALLOW;
	class_id = watch.class_id;
	if (class_id >= IDG_CLASS_COUNT)
		return VERDICT_ALLOW;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return VERDICT_ALLOW;
	mode = cfg->class_mode[class_index(class_id)];
	if (mode == IDG_MODE_OFF)
		return VERDICT_ALLOW;

	__u64 cgroup_id = bpf_get_current_cgroup_id();

	if (caller_is_exempt(cgroup_id)) {
		stat_add(IDG_STAT_EXEMPT, 1);
		return VERDICT_ALLOW;
	}

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_boot_ns();
	struct idg_event ev = {
		.time_boot_ns = now,
		.last_boot_ns = now,
		.cgroup_id = cgroup_id,
		.count = 1,
		.pid = (__u32)pid_tgid,
		.tgid = pid_tgid >> 32,
		.uid = (__u32)bpf_get_current_uid_gid(),
		.loginuid = BPF_CORE_READ(task, loginuid.val),
		.sessionid = BPF_CORE_READ(task, sessionid),
		.device_id = watch.device_id,
		.major = major,
		.minor = minor,
		.access = access,
		.dev_type = dev_type,
		.kind = IDG_EVENT_ACCESS,
		.gate = IDG_GATE_DEVICE,
		.reason = IDG_REASON_NO_GRANT,
		.class_id = class_id,
	};
	int verdict;

	stat_add(IDG_STAT_DECISIONS, 1);
	if (grant_allows(IDG_SCOPE_UID, ev.uid, class_id, now, &ev) ||
	    (ev.sessionid != (__u32)-1 && grant_allows(IDG_SCOPE_SESSION, ev.sessionid, class_id, now, &ev))) {
		ev.verdict = IDG_VERDICT_GRANTED;
		stat_add(IDG_STAT_GRANTED, 1);
		verdict = VERDICT_ALLOW;
	} else if (mode == IDG_MODE_ENFORCE) {
		ev.verdict = IDG_VERDICT_DENIED;
		stat_add(IDG_STAT_DENIED, 1);
		verdict = VERDICT_DENY;
	} else {
		ev.verdict = IDG_VERDICT_AUDITED;
		stat_add(IDG_STAT_AUDITED, 1);
		verdict = VERDICT_ALLOW;
	}
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	record(&ev, cfg->repeat_window_ns);
	return verdict;
}

/* Sends the pending count of every window that has ended. */
static long flush_slot(struct bpf_map *map, __u32 *key, struct idg_repeat_slot *slot, void *ctx)
{
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 window_ns = *(__u64 *)ctx;
	struct idg_event ev;
	__u64 count = 0;

	bpf_spin_lock(&slot->lock);
	if (slot->pending && now - slot->window_start_ns >= window_ns) {
		ev = slot->first;
		count = slot->pending;
		slot->pending = 0;
		/* The next attempt starts a fresh window with an immediate record. */
		slot->first.count = 0;
	}
	bpf_spin_unlock(&slot->lock);

	if (count) {
		ev.kind = IDG_EVENT_REPEAT;
		ev.count = count;
		emit(&ev);
	}
	return 0;
}

SEC("tc")
int idguard_flush(struct __sk_buff *skb)
{
	struct idg_config *cfg;
	__u32 zero = 0;
	__u64 window_ns;

	cfg = bpf_map_lookup_elem(&config, &zero);
	window_ns = cfg ? cfg->repeat_window_ns : 0;
	bpf_for_each_map_elem(&repeat_slots, flush_slot, &window_ns, 0);
	return 0;
}
