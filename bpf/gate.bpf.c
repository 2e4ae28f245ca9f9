// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel gate: one program per kind of access, each finding the class of
 * what is asked for and handing the rest to decide() (common.bpf.h).
 *   idguard_dev            open()/access() of a char or block device node
 *   idguard_dev_standby    the same, attached after it: decides what it
 *                          did not see (its link detached by someone)
 *   idguard_connect4, 6    connect() to a policy endpoint (address, port)
 *   idguard_connect_unix   connect() to a broker's unix socket, by path
 *                          (Linux 6.7+; the daemon loads it where it exists)
 *   idguard_flush          run by the daemon (BPF_PROG_TEST_RUN) to send the
 *                          counts of repeat windows that have ended
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define VERDICT_ALLOW 1 /* cgroup/dev and sock_addr: non-zero lets the call go on */

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* ---- device nodes --------------------------------------------------------- */

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
		struct idg_range_key key = {};
		__u32 head = bpf_htonl(dev_type << 12 | major), tail = bpf_htonl(minor);

		/* Set here, not in an initializer: clang would keep that in an
		 * anonymous .rodata, whose BTF Linux 5.10 refuses. */
		key.prefixlen = 64;
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

/* A node of a watched major: which entry, then the shared decision. The
 * main program marks the open as decided; the standby, attached after it,
 * decides only an open that carries no such mark (see struct idg_decided).
 * Kept out of line, and handed only ctx and the rule, so that the fast
 * path below keeps two registers and a 4-byte stack frame (inlined, the
 * whole decision's stores were hoisted ahead of its early return): every
 * device open in the guarded cgroup pays for the fast path, and most opens
 * never get past it. */
static __always_inline int decide_device(struct bpf_cgroup_dev_ctx *ctx, const struct idg_major_rule *rule,
					 int standby)
{
	__u32 dev_type = ctx->access_type & 0xffff, access = ctx->access_type >> 16;
	__u32 major = ctx->major, minor = ctx->minor;
	struct idg_decided mark = {
		.access_type = ctx->access_type,
		.major = major,
		.minor = minor,
		.time_boot_ns = bpf_ktime_get_boot_ns(),
	};
	struct task_struct *task;
	struct idg_watch watch;
	__u64 pid_tgid;

	/* devtmpfs and udev create nodes through mknod; creating is not imaging. */
	if (access == BPF_DEVCG_ACC_MKNOD)
		return VERDICT_ALLOW;
	if (!lookup_watch(dev_type, major, minor, rule, &watch))
		return VERDICT_ALLOW;

	task = (struct task_struct *)bpf_get_current_task();
	pid_tgid = current_pid_tgid(task, dev_helpers);
	if (standby) {
		struct idg_decided *seen = bpf_map_lookup_elem(&decided, &pid_tgid);

		/* The main program decided this open, and its verdict stands. */
		if (seen && seen->access_type == mark.access_type && seen->major == major && seen->minor == minor &&
		    seen->time_boot_ns >= marks_since_ns) {
			(void)bpf_map_delete_elem(&decided, &pid_tgid);
			return VERDICT_ALLOW;
		}
	} else {
		(void)bpf_map_update_elem(&decided, &pid_tgid, &mark, BPF_ANY);
	}

	struct idg_event ev = {
		.device_id = watch.device_id,
		.major = major,
		.minor = minor,
		.access = access,
		.dev_type = dev_type,
		.gate = IDG_GATE_DEVICE,
	};

	return decide(&ev, watch.class_id, dev_helpers);
}

static __noinline int decide_device_main(struct bpf_cgroup_dev_ctx *ctx, const struct idg_major_rule *rule)
{
	return decide_device(ctx, rule, 0);
}

static __noinline int decide_device_standby(struct bpf_cgroup_dev_ctx *ctx, const struct idg_major_rule *rule)
{
	return decide_device(ctx, rule, 1);
}

/* The fast path every unrelated device takes: one inlined array load. */
static __always_inline const struct idg_major_rule *watched_major(const struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 major = ctx->major;
	struct idg_major_rule *rule;
	__u32 slot_index;

	/* Linux majors have 12 bits; the check keeps the slot in its half. */
	if (major >= IDG_MAJOR_COUNT)
		return NULL;
	slot_index = major + (ctx->access_type & BPF_DEVCG_DEV_BLOCK ? IDG_MAJOR_COUNT : 0);
	rule = bpf_map_lookup_elem(&major_rules, &slot_index);
	if (!rule || !rule->flags)
		return NULL;
	return rule;
}

SEC("cgroup/dev")
int idguard_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	const struct idg_major_rule *rule = watched_major(ctx);

	return rule ? decide_device_main(ctx, rule) : VERDICT_ALLOW;
}

/* The same gate, attached after idguard_dev: it stands in for it, with the
 * same decision and the same records, for any open idguard_dev did not see. */
SEC("cgroup/dev")
int idguard_dev_standby(struct bpf_cgroup_dev_ctx *ctx)
{
	const struct idg_major_rule *rule = watched_major(ctx);

	return rule ? decide_device_standby(ctx, rule) : VERDICT_ALLOW;
}

/* ---- network endpoints ------------------------------------------------------ */

/* The first rule for port among those of the longest prefix of key. */
static __always_inline int decide_endpoint(struct idg_endpoint_key *key, __u16 port, __u8 family)
{
	struct idg_endpoint_set *set = bpf_map_lookup_elem(&endpoints, key);

	if (!set)
		return VERDICT_ALLOW;
	for (int i = 0; i < IDG_ENDPOINT_RULES; i++) {
		struct idg_endpoint_rule *rule = &set->rules[i];

		if (i >= set->count)
			break;
		if (port < rule->port_lo || port > rule->port_hi)
			continue;

		struct idg_event ev = {
			.device_id = rule->endpoint_id,
			.gate = IDG_GATE_NETWORK,
			.port = port,
			.family = family,
		};

		__builtin_memcpy(ev.addr, key->addr, 16);
		return decide(&ev, rule->class_id, sock_helpers);
	}
	return VERDICT_ALLOW;
}

/* Every connect() of the cgroup's tasks passes here: one array load for a
 * port no endpoint lists. */
static __always_inline int port_listed(__u16 port)
{
	__u32 index = port;
	__u8 *flag = bpf_map_lookup_elem(&port_flags, &index);

	return flag && *flag;
}

SEC("cgroup/connect4")
int idguard_connect4(struct bpf_sock_addr *ctx)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	struct idg_endpoint_key key = {};
	__u32 ip4 = ctx->user_ip4; /* network byte order */

	if (!port_listed(port))
		return VERDICT_ALLOW;
	key.prefixlen = 128;
	key.addr[10] = 0xff;
	key.addr[11] = 0xff;
	__builtin_memcpy(key.addr + 12, &ip4, 4);
	return decide_endpoint(&key, port, AF_INET);
}

SEC("cgroup/connect6")
int idguard_connect6(struct bpf_sock_addr *ctx)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	struct idg_endpoint_key key = {};
	__u32 words[4];

	if (!port_listed(port))
		return VERDICT_ALLOW;
	key.prefixlen = 128;
	/* One load per word: the verifier allows only 4-byte reads here. */
	words[0] = ctx->user_ip6[0];
	words[1] = ctx->user_ip6[1];
	words[2] = ctx->user_ip6[2];
	words[3] = ctx->user_ip6[3];
	__builtin_memcpy(key.addr, words, 16);
	return decide_endpoint(&key, port, AF_INET6);
}

/* ---- broker sockets (Linux 6.7+) --------------------------------------------- */

/* The kernel's view of the context, for the unix address (CO-RE). */
struct bpf_sock_addr_kern {
	void *uaddr;
	__u32 uaddrlen;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

/* Loaded with expected attach type IDG_ATTACH_UNIX_CONNECT by the daemon,
 * which libbpf 1.1 cannot name. The path is the caller's own string, so
 * this gate is advisory (a relative path or a symlink is not recognised). */
SEC("cgroup/connect4")
int idguard_connect_unix(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_addr_kern *kctx;
	struct idg_broker_key key = {};
	struct idg_watch *broker;
	__u32 len;

	if (!bpf_cast_to_kern_ctx)
		return VERDICT_ALLOW;
	kctx = bpf_cast_to_kern_ctx(ctx);
	len = BPF_CORE_READ(kctx, uaddrlen);
	/* sun_path follows the 2-byte family. */
	if (len <= 2)
		return VERDICT_ALLOW;
	len -= 2;
	/* The address sits in a struct sockaddr_storage (128 bytes): reading a
	 * whole sun_path stays inside it; what lies past the caller's length
	 * or its NUL is cleared, as userspace wrote the key. */
	if (bpf_probe_read_kernel(key.path, sizeof(key.path), (char *)BPF_CORE_READ(kctx, uaddr) + 2) < 0)
		return VERDICT_ALLOW;
	for (__u32 i = 0, ended = 0; i < IDG_UNIX_PATH_MAX; i++) {
		if (i >= len || !key.path[i])
			ended = 1;
		if (ended)
			key.path[i] = 0;
	}
	broker = bpf_map_lookup_elem(&brokers, &key);
	if (!broker)
		return VERDICT_ALLOW;

	struct idg_event ev = {
		.device_id = broker->device_id,
		.gate = IDG_GATE_BROKER,
		.family = AF_UNIX,
	};

	return decide(&ev, broker->class_id, sock_helpers);
}

/* ---- repeat windows ------------------------------------------------------------- */

/* Sends one slot's pending count if its window has ended. A global
 * function: the verifier checks it once, not once per slot (Linux 5.10's
 * gives up on 4096 inlined copies); and it looks the slot up itself, since
 * Linux 6.1 cannot lock the value a bpf_for_each_map_elem callback is
 * handed (nor has 5.10 that helper at all). */
__noinline int idguard_flush_slot(__u32 index, __u64 window_ns)
{
	struct idg_repeat_slot *slot = bpf_map_lookup_elem(&repeat_slots, &index);
	__u64 now = bpf_ktime_get_boot_ns();
	struct idg_event ev;
	__u64 count = 0;

	if (!slot)
		return 0;
	bpf_spin_lock(&slot->lock);
	/* A window may have started after now was read (no helper may be
	 * called under the lock): it has not ended. */
	if (slot->pending && now >= slot->window_start_ns && now - slot->window_start_ns >= window_ns) {
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
#pragma clang loop unroll(disable)
	for (__u32 index = 0; index < IDG_REPEAT_SLOTS; index++)
		idguard_flush_slot(index, window_ns);
	return 0;
}
