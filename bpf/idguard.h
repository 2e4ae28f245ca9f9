/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between the kernel gate and userspace: every map key and value,
 * the event record, and the ids for classes, modes, verdicts and reasons.
 * Both bpf/gate.bpf.c and agent/ include this file, so a struct exists once.
 * Pinned maps outlive the daemon, so a layout change here must also change
 * IDG_ABI_VERSION (the daemon refuses to reuse pins of another version).
 */
#ifndef IDGUARD_H
#define IDGUARD_H

#include <linux/types.h>
#include <linux/bpf.h>

#define IDG_ABI_VERSION 2

/* Majors are 12 bits (MINORBITS is 20); char majors come first, then block. */
#define IDG_MAJOR_COUNT 4096
#define IDG_MAJOR_SLOTS (2 * IDG_MAJOR_COUNT)
#define IDG_MINOR_MAX 0xfffffu

#define IDG_MAX_WATCHED 16384
#define IDG_MAX_RANGES 4096
#define IDG_MAX_EXEMPT 1024
#define IDG_MAX_GRANTS 4096
#define IDG_REPEAT_SLOTS 4096 /* power of two: the slot is a hash & mask */
#define IDG_EVENTS_BYTES (4u << 20)
#define IDG_EXEMPT_MAX_DEPTH 16 /* cgroup ancestors checked for an exemption */
#define IDG_MAX_ENDPOINT_PREFIXES 4096
#define IDG_ENDPOINT_RULES 16    /* port rules that can apply to one address */
#define IDG_MAX_BROKERS 64
#define IDG_PORT_COUNT 65536
#define IDG_UNIX_PATH_MAX 108    /* sizeof(sockaddr_un.sun_path) */
/* BPF_CGROUP_UNIX_CONNECT (Linux 6.7); libbpf 1.1 has no name for it. */
#define IDG_ATTACH_UNIX_CONNECT 49

/* Helpers a gate program may call on the running kernel, probed by the
 * daemon before load and handed to the programs as read-only constants
 * (dev_helpers, sock_helpers). Where one is missing (cgroup/dev programs
 * before Linux 5.15 or so), the program reads the same value from the
 * current task instead, so one object loads on 5.10 as on 6.18. */
enum idg_helper {
	IDG_HELPER_PID_TGID = 1 << 0,        /* bpf_get_current_pid_tgid */
	IDG_HELPER_COMM = 1 << 1,            /* bpf_get_current_comm */
	IDG_HELPER_ANCESTOR_CGROUP = 1 << 2, /* bpf_get_current_ancestor_cgroup_id */
	IDG_HELPER_ALL = (1 << 3) - 1,
};

/* The kernel's own values, so the program uses ctx->access_type as is. */
enum idg_dev_type {
	IDG_DEV_BLOCK = BPF_DEVCG_DEV_BLOCK,
	IDG_DEV_CHAR = BPF_DEVCG_DEV_CHAR,
};

/* Device classes. 0 is "not watched"; bit (1 << class) is used in masks. */
enum idg_class {
	IDG_CLASS_NONE = 0,
	IDG_CLASS_SCANNER = 1,
	IDG_CLASS_CAMERA = 2,
	IDG_CLASS_CARD_READER = 3,
	IDG_CLASS_PRINTER = 4,
	IDG_CLASS_STORAGE = 5,
	IDG_CLASS_UNCLASSIFIED = 6, /* USB/video nodes not (yet) recognised */
	IDG_CLASS_OTHER = 7,        /* recognised, and cannot image a card */
	IDG_CLASS_COUNT = 8, /* array size; ids stay below this */
};

enum idg_mode {
	IDG_MODE_OFF = 0,     /* not looked at, no events */
	IDG_MODE_AUDIT = 1,   /* allowed, every attempt logged */
	IDG_MODE_ENFORCE = 2, /* refused without a grant, every attempt logged */
};

enum idg_verdict {
	IDG_VERDICT_DENIED = 1,  /* refused: the caller saw EPERM */
	IDG_VERDICT_AUDITED = 2, /* allowed only because the class is in audit mode */
	IDG_VERDICT_GRANTED = 3, /* allowed under a live grant */
};

enum idg_reason {
	IDG_REASON_NO_GRANT = 1,          /* caller holds no grant at all */
	IDG_REASON_GRANT_EXPIRED = 2,     /* a grant for this class ran out */
	IDG_REASON_GRANT_OTHER_CLASS = 3, /* a live grant, but not for this class */
	IDG_REASON_UID_GRANT = 4,         /* allowed by a grant on the caller's uid */
	IDG_REASON_SESSION_GRANT = 5,     /* allowed by a grant on the audit session */
};

enum idg_event_kind {
	IDG_EVENT_ACCESS = 1, /* first attempt of a (process, device, verdict) window */
	IDG_EVENT_REPEAT = 2, /* further attempts folded into one record with a count */
};

enum idg_gate_kind {
	IDG_GATE_DEVICE = 1,  /* open() of a device node (cgroup/dev) */
	IDG_GATE_NETWORK = 2, /* connect() to a policy endpoint (cgroup/connect4, 6) */
	IDG_GATE_BROKER = 3,  /* connect() to a broker's unix socket (Linux 6.7+) */
	IDG_GATE_PRINT = 4,   /* a CUPS job, decided by the daemon for the backend */
};

/* ctx->access_type >> 16 in cgroup/dev; kept as a bitmask in events. */
enum idg_access {
	IDG_ACCESS_MKNOD = BPF_DEVCG_ACC_MKNOD,
	IDG_ACCESS_READ = BPF_DEVCG_ACC_READ,
	IDG_ACCESS_WRITE = BPF_DEVCG_ACC_WRITE,
};

/* ---- watched devices ---------------------------------------------------- */

/* major_rules[major + (block ? IDG_MAJOR_COUNT : 0)]: the cheap first check. */
enum idg_major_flags {
	IDG_MAJOR_EXACT = 1 << 0, /* some minors are in watched_devs */
	IDG_MAJOR_RANGE = 1 << 1, /* some minor ranges are in watched_ranges */
	IDG_MAJOR_WHOLE = 1 << 2, /* every other minor belongs to whole_class */
};

struct idg_major_rule {
	__u8 flags;
	__u8 whole_class;
	__u16 reserved;
	__u32 whole_device_id;
};

struct idg_dev_key {
	__u32 dev_type;
	__u32 major;
	__u32 minor;
};

/* Value of watched_devs and watched_ranges. device_id names the entry in the
 * daemon's device table, so events can say "/dev/video0" or a model name. */
struct idg_watch {
	__u32 class_id;
	__u32 device_id;
};

/* LPM key for minor ranges: data is big-endian (dev_type << 12 | major, minor);
 * a range [lo, hi] is split into aligned prefixes by userspace. */
struct idg_range_key {
	__u32 prefixlen;
	__u8 data[8];
};
#define IDG_RANGE_PREFIX_BASE 32 /* bits that select the major */

/* decided[pid_tgid]: the device open the main device program saw last on
 * that thread. A standby copy of the program, attached to the same cgroup
 * after it, leaves that open alone and decides every other one: those are
 * exactly the opens the main program did not see because its link was
 * detached, so detaching one link never opens the gate. */
#define IDG_MAX_DECIDED 4096
struct idg_decided {
	__u32 access_type; /* ctx->access_type, as the kernel gave it */
	__u32 major;
	__u32 minor;
	__u32 reserved;
	__u64 time_boot_ns; /* when the main program wrote it */
};

/* ---- network endpoints and broker sockets ---------------------------------- */

/* port_flags[port] != 0 when some endpoint lists the port: the cheap first
 * check every connect() takes. */

/* LPM key over the destination address, IPv4 as ::ffff:a.b.c.d (so an
 * IPv4-mapped IPv6 destination is the same address). prefixlen: 0..128. */
struct idg_endpoint_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct idg_endpoint_rule {
	__u16 port_lo;
	__u16 port_hi;
	__u32 class_id;
	__u32 endpoint_id; /* names the [Endpoint] in the daemon's table */
};

/* Every rule that applies to the addresses under one prefix: userspace
 * copies the rules of wider prefixes into narrower ones, so the longest
 * match alone is complete. */
struct idg_endpoint_set {
	__u32 count;
	__u32 reserved;
	struct idg_endpoint_rule rules[IDG_ENDPOINT_RULES];
};

/* brokers: key is sun_path, zero-padded. */
struct idg_broker_key {
	char path[IDG_UNIX_PATH_MAX];
};

/* ---- grants --------------------------------------------------------------- */

enum idg_grant_scope {
	IDG_SCOPE_UID = 1,
	IDG_SCOPE_SESSION = 2, /* audit session id, /proc/self/sessionid */
};

struct idg_grant_key {
	__u32 scope;
	__u32 subject; /* uid or audit session id */
};

/* Per class: until when (CLOCK_BOOTTIME ns, so wall-clock changes cannot
 * stretch it) and which grant allows it. The kernel checks the expiry itself. */
struct idg_grant {
	__u32 class_mask;
	__u32 reserved;
	__u64 expires_boot_ns[IDG_CLASS_COUNT];
	__u64 grant_id[IDG_CLASS_COUNT];
};

/* ---- configuration and counters ----------------------------------------- */

struct idg_config {
	__u32 abi_version;
	__u32 class_mode[IDG_CLASS_COUNT]; /* enum idg_mode, global cap applied */
	__u32 reserved;
	__u64 repeat_window_ns; /* repeats within this window become one record */
};

enum idg_stat {
	IDG_STAT_DECISIONS = 0, /* decisions on watched devices (mode not off) */
	IDG_STAT_DENIED,
	IDG_STAT_AUDITED,
	IDG_STAT_GRANTED,
	IDG_STAT_EXEMPT,          /* allowed because the caller's cgroup is exempt */
	IDG_STAT_EVENTS,          /* records written to the ring buffer */
	IDG_STAT_FOLDED,          /* attempts folded into a pending repeat count */
	IDG_STAT_LOST_EVENTS,     /* ring buffer reservations that failed */
	IDG_STAT_LOST_ATTEMPTS,   /* attempts those lost records stood for */
	IDG_STAT_COUNT,
};

/* ---- events ----------------------------------------------------------------- */

#define IDG_COMM_LEN 16

struct idg_event {
	__u64 time_boot_ns;  /* first attempt in this record */
	__u64 last_boot_ns;  /* last attempt in this record */
	__u64 cgroup_id;
	__u64 grant_id;      /* 0 unless a grant was involved */
	__u64 count;         /* attempts this record stands for */
	__u32 pid;           /* thread id */
	__u32 tgid;          /* process id */
	__u32 uid;
	__u32 loginuid;
	__u32 sessionid;
	__u32 device_id;     /* device entry; for network and broker: the endpoint */
	__u32 major;
	__u32 minor;
	__u16 access;        /* enum idg_access bits */
	__u8 dev_type;       /* enum idg_dev_type */
	__u8 kind;           /* enum idg_event_kind */
	__u8 gate;           /* enum idg_gate_kind */
	__u8 verdict;        /* enum idg_verdict */
	__u8 reason;         /* enum idg_reason */
	__u8 class_id;       /* enum idg_class */
	char comm[IDG_COMM_LEN];
	/* network gate: the destination; IPv4 as ::ffff:a.b.c.d */
	__u8 addr[16];
	__u16 port;          /* host byte order */
	__u8 family;         /* AF_INET, AF_INET6 (the socket's), AF_UNIX */
	__u8 reserved;
};

/* One slot of the in-kernel repeat aggregation. Slots are never deleted, so a
 * pending count can only leave through a record: nothing is dropped silently. */
struct idg_repeat_slot {
	struct bpf_spin_lock lock;
	__u32 reserved;
	__u64 window_start_ns;
	__u64 pending;           /* attempts since `first` was sent */
	struct idg_event first;  /* identity and details of the tracked window */
};

#endif
