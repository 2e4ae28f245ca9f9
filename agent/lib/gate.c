// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading, attaching, pinning and map upkeep for the kernel gate (see
 * gate.h). Every step that weakens enforcement when it fails (load, attach,
 * pin) returns an error the daemon treats as fatal.
 */
#include "gate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gate.skel.h"
#include "mounts.h"
#include "watchlist.h"

/* The programs attached to the cgroup, each through a pinned link. */
enum gate_link {
	LINK_DEV,
	LINK_CONNECT4,
	LINK_CONNECT6,
	LINK_CONNECT_UNIX, /* only where the kernel has the hook (6.7+) */
	LINK_COUNT,
};

static const char *const link_pin_names[LINK_COUNT] = {
	[LINK_DEV] = IDG_LINK_PIN_NAME,
	[LINK_CONNECT4] = "link_connect4",
	[LINK_CONNECT6] = "link_connect6",
	[LINK_CONNECT_UNIX] = "link_connect_unix",
};

static const char *const link_hooks[LINK_COUNT] = {
	[LINK_DEV] = "cgroup/dev",
	[LINK_CONNECT4] = "cgroup/connect4",
	[LINK_CONNECT6] = "cgroup/connect6",
	[LINK_CONNECT_UNIX] = "cgroup/connect_unix",
};

struct idg_gate {
	struct gate *skel;
	struct bpf_link *links[LINK_COUNT];
	bool unix_hook; /* the kernel has the unix-socket connect hook */
	struct ring_buffer *ring;
	idg_event_handler handler;
	void *userdata;
	char bpffs_dir[PATH_MAX];
	char cgroup_path[PATH_MAX];
	uint64_t cgroup_id;
	bool reused_pins;
	bool reused_link;
	/* What major_rules holds, once this daemon has written all of it: a
	 * sync after a hotplug then writes only the slots that change. */
	struct idg_major_rule *rules_written;
	uint8_t *ports_written; /* likewise for port_flags */
};

static const char *const pinned_maps[] = {
	"major_rules", "watched_devs", "watched_ranges", "exempt_cgroups", "grants",
	"config", "stats", "repeat_slots", "events", "port_flags", "endpoints", "brokers",
};

static struct bpf_program *link_program(const struct idg_gate *gate, enum gate_link which)
{
	switch (which) {
	case LINK_DEV:
		return gate->skel->progs.idguard_dev;
	case LINK_CONNECT4:
		return gate->skel->progs.idguard_connect4;
	case LINK_CONNECT6:
		return gate->skel->progs.idguard_connect6;
	case LINK_CONNECT_UNIX:
		return gate->unix_hook ? gate->skel->progs.idguard_connect_unix : NULL;
	default:
		return NULL;
	}
}

static int pin_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Reads the pinned config map, if any, to refuse state of another layout. */
static int check_pinned_abi(const char *dir, bool *ret_found, struct idg_error *err)
{
	char path[PATH_MAX];
	struct idg_config cfg = { 0 };
	__u32 zero = 0;
	int fd;

	*ret_found = false;
	if (pin_path(path, sizeof(path), dir, "config") < 0)
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	if (access(path, F_OK) < 0)
		return 0;
	*ret_found = true;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot open pinned map %s", path);
	if (bpf_map_lookup_elem(fd, &zero, &cfg) < 0) {
		int r = -errno;

		(void)close(fd);
		return idg_error_errno(err, r, "cannot read pinned map %s", path);
	}
	(void)close(fd);
	if (cfg.abi_version && cfg.abi_version != IDG_ABI_VERSION)
		return idg_error_set(err, -EPROTO,
				     "the state pinned in %s was written by an idguard with map layout %u; this one uses %u. "
				     "Enforcement by the old programs continues. Run 'idguardctl uninstall --bpffs-dir %s' to replace it",
				     dir, cfg.abi_version, IDG_ABI_VERSION, dir);
	return 0;
}

int idg_gate_open(const struct idg_gate_options *opts, struct idg_gate **ret_gate, struct idg_error *err)
{
	struct idg_gate *gate = calloc(1, sizeof(*gate));
	struct statfs sfs;
	int r;

	if (!gate)
		return idg_error_set(err, -ENOMEM, "out of memory");
	if (snprintf(gate->bpffs_dir, sizeof(gate->bpffs_dir), "%s", opts->bpffs_dir) >= (int)sizeof(gate->bpffs_dir) ||
	    snprintf(gate->cgroup_path, sizeof(gate->cgroup_path), "%s", opts->cgroup_path) >= (int)sizeof(gate->cgroup_path)) {
		r = idg_error_set(err, -ENAMETOOLONG, "path too long");
		goto fail;
	}
	if (statfs(gate->cgroup_path, &sfs) < 0) {
		r = idg_error_errno(err, -errno, "cannot use cgroup %s", gate->cgroup_path);
		goto fail;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		r = idg_error_set(err, -ENOTDIR, "%s is not a cgroup v2 directory", gate->cgroup_path);
		goto fail;
	}
	r = idg_cgroup_id(gate->cgroup_path, &gate->cgroup_id);
	if (r < 0) {
		idg_error_errno(err, r, "cannot use cgroup %s", gate->cgroup_path);
		goto fail;
	}
	r = idg_bpffs_prepare(gate->bpffs_dir, err);
	if (r < 0)
		goto fail;
	r = check_pinned_abi(gate->bpffs_dir, &gate->reused_pins, err);
	if (r < 0)
		goto fail;

	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = gate->bpffs_dir);
	gate->skel = gate__open_opts(&open_opts);
	if (!gate->skel) {
		r = idg_error_errno(err, -errno, "cannot open the BPF object");
		goto fail;
	}
	/* The unix-socket hook exists from Linux 6.7; without it the program
	 * is left out, and the broker gate with it. */
	gate->unix_hook = idg_gate_probe_unix_hook();
	if (gate->unix_hook)
		r = bpf_program__set_expected_attach_type(gate->skel->progs.idguard_connect_unix,
							  (enum bpf_attach_type)IDG_ATTACH_UNIX_CONNECT);
	else
		r = bpf_program__set_autoload(gate->skel->progs.idguard_connect_unix, false);
	if (r < 0) {
		idg_error_errno(err, r, "cannot prepare the unix-socket program");
		goto fail;
	}
	r = gate__load(gate->skel);
	if (r < 0) {
		idg_error_errno(err, r,
				"cannot load the BPF programs (needs root with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON; "
				"if the maps pinned in %s are from another build, run 'idguardctl uninstall')",
				gate->bpffs_dir);
		goto fail;
	}
	if (!gate->reused_pins) {
		struct idg_config cfg = { .abi_version = IDG_ABI_VERSION, .repeat_window_ns = 1000000000ull };

		r = idg_gate_set_config(gate, &cfg, err);
		if (r < 0)
			goto fail;
	}
	*ret_gate = gate;
	return 0;
fail:
	idg_gate_close(gate);
	return r;
}

/* Attaches a fresh link of one program to our cgroup and pins it at path. */
static int attach_new_link(struct idg_gate *gate, enum gate_link which, const char *path, struct bpf_link **ret_link,
			   struct idg_error *err)
{
	_cleanup_close_ int cgroup_fd = open(gate->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bpf_link *link;

	if (cgroup_fd < 0)
		return idg_error_errno(err, -errno, "cannot open cgroup %s", gate->cgroup_path);
	link = bpf_program__attach_cgroup(link_program(gate, which), cgroup_fd);
	if (!link)
		return idg_error_errno(err, -errno, "cannot attach the %s program to %s", link_hooks[which],
				       gate->cgroup_path);
	if (bpf_obj_pin(bpf_link__fd(link), path) < 0) {
		int r = -errno;

		/* An unpinned link would vanish with us: that is a gap, so fail. */
		(void)bpf_link__detach(link);
		bpf_link__destroy(link);
		return idg_error_errno(err, r, "cannot pin the link at %s", path);
	}
	*ret_link = link;
	return 0;
}

static int link_cgroup(int link_fd, uint64_t *ret_cgroup_id)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0)
		return -errno;
	if (info.type != BPF_LINK_TYPE_CGROUP)
		return -EMEDIUMTYPE;
	*ret_cgroup_id = info.cgroup.cgroup_id;
	return 0;
}

/* Attaches one program: a fresh link on first start; on a restart, the new
 * program swapped into the pinned link (BPF_LINK_UPDATE). */
static int attach_one(struct idg_gate *gate, enum gate_link which, struct idg_error *err)
{
	char path[PATH_MAX], fresh[PATH_MAX]; /* bpffs refuses '.' in names */
	struct bpf_link *old;
	uint64_t old_cgroup = 0;
	int r;

	if (pin_path(path, sizeof(path), gate->bpffs_dir, link_pin_names[which]) < 0 ||
	    snprintf(fresh, sizeof(fresh), "%s_new", path) >= (int)sizeof(fresh))
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	if (access(path, F_OK) < 0)
		return attach_new_link(gate, which, path, &gate->links[which], err);

	old = bpf_link__open(path);
	if (!old)
		return idg_error_errno(err, -errno, "cannot open the pinned link %s", path);
	r = link_cgroup(bpf_link__fd(old), &old_cgroup);
	if (r < 0) {
		bpf_link__destroy(old);
		return idg_error_errno(err, r, "%s is not a cgroup link", path);
	}
	if (old_cgroup == gate->cgroup_id) {
		/* The restart path: one atomic swap, never a moment unguarded. */
		if (bpf_link__update_program(old, link_program(gate, which)) < 0) {
			r = -errno;
			bpf_link__destroy(old);
			return idg_error_errno(err, r, "cannot update the program in the pinned link %s", path);
		}
		gate->links[which] = old;
		if (which == LINK_DEV)
			gate->reused_link = true;
		return 0;
	}
	/* Another cgroup (or detached): guard the new one first, then let go. */
	(void)unlink(fresh);
	r = attach_new_link(gate, which, fresh, &gate->links[which], err);
	if (r < 0) {
		bpf_link__destroy(old);
		return r;
	}
	if (old_cgroup)
		(void)bpf_link__detach(old);
	bpf_link__destroy(old);
	if (rename(fresh, path) < 0)
		return idg_error_errno(err, -errno, "cannot move the new link pin to %s", path);
	return 0;
}

int idg_gate_attach(struct idg_gate *gate, struct idg_error *err)
{
	for (int which = 0; which < LINK_COUNT; which++) {
		int r;

		if (!link_program(gate, which))
			continue;
		r = attach_one(gate, which, err);
		if (r < 0)
			return r;
	}
	return 0;
}

bool idg_gate_has_unix_hook(const struct idg_gate *gate)
{
	return gate->unix_hook;
}

bool idg_gate_probe_unix_hook(void)
{
	/* "return 1", loaded as a unix-connect program: the kernel says
	 * whether it knows the attach type. */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = (enum bpf_attach_type)IDG_ATTACH_UNIX_CONNECT);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL, "GPL", insns, ARRAY_SIZE(insns), &opts);

	if (fd < 0)
		return false;
	(void)close(fd);
	return true;
}

int idg_gate_lock(const char *bpffs_dir, int *ret_fd, struct idg_error *err)
{
	int fd = open(bpffs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot open %s", bpffs_dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

		(void)close(fd);
		if (r == -EBUSY)
			return idg_error_set(err, r, "another idguardd is running with the pins in %s", bpffs_dir);
		return idg_error_errno(err, r, "cannot lock %s", bpffs_dir);
	}
	*ret_fd = fd;
	return 0;
}

void idg_gate_close(struct idg_gate *gate)
{
	if (!gate)
		return;
	ring_buffer__free(gate->ring);
	/* Closes our fds only: the pinned links keep the programs attached. */
	for (int which = 0; which < LINK_COUNT; which++)
		bpf_link__destroy(gate->links[which]);
	gate__destroy(gate->skel);
	free(gate->rules_written);
	free(gate->ports_written);
	free(gate);
}

bool idg_gate_reused_pins(const struct idg_gate *gate)
{
	return gate->reused_pins;
}

bool idg_gate_reused_link(const struct idg_gate *gate)
{
	return gate->reused_link;
}

uint64_t idg_gate_cgroup_id(const struct idg_gate *gate)
{
	return gate->cgroup_id;
}

const char *idg_gate_cgroup_path(const struct idg_gate *gate)
{
	return gate->cgroup_path;
}

const char *idg_gate_bpffs_dir(const struct idg_gate *gate)
{
	return gate->bpffs_dir;
}

int idg_gate_set_config(struct idg_gate *gate, const struct idg_config *config, struct idg_error *err)
{
	struct idg_config cfg = *config;
	__u32 zero = 0;

	cfg.abi_version = IDG_ABI_VERSION;
	if (bpf_map_update_elem(bpf_map__fd(gate->skel->maps.config), &zero, &cfg, BPF_ANY) < 0)
		return idg_error_errno(err, -errno, "cannot write the config map");
	return 0;
}

static int compare_bytes_12(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idg_dev_key));
}

static int compare_range_keys(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idg_range_key));
}

struct range_collect {
	struct idg_range_key *keys;
	size_t count;
	size_t allocated;
	uint32_t head; /* dev_type << 12 | major */
	int error;
};

static void collect_block(uint32_t start, unsigned bits, void *data)
{
	struct range_collect *c = data;
	struct idg_range_key *key;
	uint32_t head = htobe32(c->head), tail = htobe32(start);

	if (c->count == c->allocated) {
		size_t n = c->allocated ? c->allocated * 2 : 64;
		struct idg_range_key *keys = realloc(c->keys, n * sizeof(*keys));

		if (!keys) {
			c->error = -ENOMEM;
			return;
		}
		c->keys = keys;
		c->allocated = n;
	}
	key = &c->keys[c->count++];
	memset(key, 0, sizeof(*key));
	key->prefixlen = 64 - bits;
	memcpy(key->data, &head, 4);
	memcpy(key->data + 4, &tail, 4);
}

/* Deletes every key of map_fd that is not in the sorted array wanted. */
static int delete_unwanted(int map_fd, size_t key_size, const void *wanted, size_t n_wanted,
			   int (*compare)(const void *, const void *))
{
	_cleanup_free_ unsigned char *stale = NULL;
	unsigned char key[128], next[128]; /* the largest key: a unix-socket path */
	size_t n_stale = 0, allocated = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(map_fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (n_wanted && bsearch(key, wanted, n_wanted, key_size, compare))
			continue;
		if (n_stale == allocated) {
			size_t n = allocated ? allocated * 2 : 64;
			unsigned char *grown = realloc(stale, n * key_size);

			if (!grown)
				return -ENOMEM;
			stale = grown;
			allocated = n;
		}
		memcpy(stale + n_stale++ * key_size, key, key_size);
	}
	for (size_t i = 0; i < n_stale; i++)
		if (bpf_map_delete_elem(map_fd, stale + i * key_size) < 0 && errno != ENOENT)
			return -errno;
	return 0;
}

int idg_gate_sync_watches(struct idg_gate *gate, const struct idg_watchlist *list, struct idg_error *err)
{
	_cleanup_free_ struct idg_major_rule *rules = calloc(IDG_MAJOR_SLOTS, sizeof(*rules));
	_cleanup_free_ struct idg_dev_key *exact = calloc(list->count ? list->count : 1, sizeof(*exact));
	struct range_collect ranges = { 0 };
	int devs_fd = bpf_map__fd(gate->skel->maps.watched_devs);
	int ranges_fd = bpf_map__fd(gate->skel->maps.watched_ranges);
	int rules_fd = bpf_map__fd(gate->skel->maps.major_rules);
	size_t n_exact = 0;
	int r = 0;

	if (!rules || !exact)
		return idg_error_set(err, -ENOMEM, "out of memory");

	/* 1. Add and update: the maps only ever gain coverage here. */
	for (size_t i = 0; i < list->count; i++) {
		const struct idg_watch_entry *e = &list->entries[i];
		uint32_t slot = e->major + (e->dev_type == IDG_DEV_BLOCK ? IDG_MAJOR_COUNT : 0);
		struct idg_watch value = { .class_id = e->class_id, .device_id = e->device_id };

		if (e->whole_major) {
			rules[slot].flags |= IDG_MAJOR_WHOLE;
			rules[slot].whole_class = e->class_id;
			rules[slot].whole_device_id = e->device_id;
		} else if (e->minor_lo == e->minor_hi) {
			struct idg_dev_key key = { .dev_type = e->dev_type, .major = e->major, .minor = e->minor_lo };

			if (bpf_map_update_elem(devs_fd, &key, &value, BPF_ANY) < 0) {
				r = idg_error_errno(err, -errno, "cannot add %s:%u to the watched devices", e->source, e->minor_lo);
				goto out;
			}
			exact[n_exact++] = key;
			rules[slot].flags |= IDG_MAJOR_EXACT;
		} else {
			size_t first = ranges.count;

			ranges.head = (uint32_t)e->dev_type << 12 | e->major;
			idg_range_split(e->minor_lo, e->minor_hi, collect_block, &ranges);
			if (ranges.error) {
				r = idg_error_set(err, ranges.error, "out of memory");
				goto out;
			}
			for (size_t k = first; k < ranges.count; k++)
				if (bpf_map_update_elem(ranges_fd, &ranges.keys[k], &value, BPF_ANY) < 0) {
					r = idg_error_errno(err, -errno, "cannot add the range of %s to the watched ranges",
							    e->source);
					goto out;
				}
			rules[slot].flags |= IDG_MAJOR_RANGE;
		}
	}
	for (uint32_t slot = 0; slot < IDG_MAJOR_SLOTS; slot++) {
		struct idg_major_rule current;

		if (gate->rules_written) {
			if (!memcmp(&gate->rules_written[slot], &rules[slot], sizeof(current)))
				continue;
		} else if (bpf_map_lookup_elem(rules_fd, &slot, &current) == 0 &&
			   !memcmp(&current, &rules[slot], sizeof(current))) {
			continue;
		}
		if (bpf_map_update_elem(rules_fd, &slot, &rules[slot], BPF_ANY) < 0) {
			r = idg_error_errno(err, -errno, "cannot write the major rules");
			/* Unknown what the map holds now: read it next time. */
			free(gate->rules_written);
			gate->rules_written = NULL;
			goto out;
		}
		if (gate->rules_written)
			gate->rules_written[slot] = rules[slot];
	}
	if (!gate->rules_written) {
		gate->rules_written = rules;
		rules = NULL;
	}

	/* 2. Remove what the list no longer has. */
	qsort(exact, n_exact, sizeof(*exact), compare_bytes_12);
	qsort(ranges.keys, ranges.count, sizeof(*ranges.keys), compare_range_keys);
	r = delete_unwanted(devs_fd, sizeof(struct idg_dev_key), exact, n_exact, compare_bytes_12);
	if (r == 0)
		r = delete_unwanted(ranges_fd, sizeof(struct idg_range_key), ranges.keys, ranges.count, compare_range_keys);
	if (r < 0)
		idg_error_errno(err, r, "cannot remove stale watched devices");
out:
	free(ranges.keys);
	return r;
}

static int compare_endpoint_keys(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idg_endpoint_key));
}

static int compare_broker_keys(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct idg_broker_key));
}

int idg_gate_sync_endpoints(struct idg_gate *gate, const struct idg_endpoint_entry *entries, size_t n,
			    const uint8_t *port_flags, struct idg_error *err)
{
	_cleanup_free_ struct idg_endpoint_key *keys = calloc(n ? n : 1, sizeof(*keys));
	int map_fd = bpf_map__fd(gate->skel->maps.endpoints);
	int ports_fd = bpf_map__fd(gate->skel->maps.port_flags);
	int r;

	if (!keys)
		return idg_error_set(err, -ENOMEM, "out of memory");
	/* Rules first, then the ports that lead to them; removals last. */
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(map_fd, &entries[i].key, &entries[i].set, BPF_ANY) < 0)
			return idg_error_errno(err, -errno, "cannot write the network endpoints");
		keys[i] = entries[i].key;
	}
	for (__u32 port = 0; port < IDG_PORT_COUNT; port++) {
		__u8 current;

		if (gate->ports_written) {
			if (gate->ports_written[port] == port_flags[port])
				continue;
		} else if (bpf_map_lookup_elem(ports_fd, &port, &current) == 0 && current == port_flags[port]) {
			continue;
		}
		if (bpf_map_update_elem(ports_fd, &port, &port_flags[port], BPF_ANY) < 0) {
			free(gate->ports_written);
			gate->ports_written = NULL;
			return idg_error_errno(err, -errno, "cannot write the endpoint ports");
		}
		if (gate->ports_written)
			gate->ports_written[port] = port_flags[port];
	}
	if (!gate->ports_written && (gate->ports_written = malloc(IDG_PORT_COUNT)))
		memcpy(gate->ports_written, port_flags, IDG_PORT_COUNT);
	qsort(keys, n, sizeof(*keys), compare_endpoint_keys);
	r = delete_unwanted(map_fd, sizeof(*keys), keys, n, compare_endpoint_keys);
	if (r < 0)
		return idg_error_errno(err, r, "cannot remove stale network endpoints");
	return 0;
}

int idg_gate_sync_brokers(struct idg_gate *gate, const struct idg_broker_key *keys, const struct idg_watch *values,
			  size_t n, struct idg_error *err)
{
	_cleanup_free_ struct idg_broker_key *sorted = calloc(n ? n : 1, sizeof(*sorted));
	int map_fd = bpf_map__fd(gate->skel->maps.brokers);
	int r;

	if (!sorted)
		return idg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(map_fd, &keys[i], &values[i], BPF_ANY) < 0)
			return idg_error_errno(err, -errno, "cannot write the broker sockets");
		sorted[i] = keys[i];
	}
	qsort(sorted, n, sizeof(*sorted), compare_broker_keys);
	r = delete_unwanted(map_fd, sizeof(*sorted), sorted, n, compare_broker_keys);
	if (r < 0)
		return idg_error_errno(err, r, "cannot remove stale broker sockets");
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int idg_gate_sync_exempt(struct idg_gate *gate, const uint64_t *ids, size_t n, struct idg_error *err)
{
	_cleanup_free_ uint64_t *sorted = calloc(n ? n : 1, sizeof(*sorted));
	int fd = bpf_map__fd(gate->skel->maps.exempt_cgroups);
	__u8 one = 1;
	int r;

	if (!sorted)
		return idg_error_set(err, -ENOMEM, "out of memory");
	memcpy(sorted, ids, n * sizeof(*ids));
	qsort(sorted, n, sizeof(*sorted), compare_u64);
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &sorted[i], &one, BPF_ANY) < 0)
			return idg_error_errno(err, -errno, "cannot add cgroup %llu to the exempt map",
					       (unsigned long long)sorted[i]);
	r = delete_unwanted(fd, sizeof(uint64_t), sorted, n, compare_u64);
	if (r < 0)
		return idg_error_errno(err, r, "cannot remove stale exempt cgroups");
	return 0;
}

int idg_gate_put_grant(struct idg_gate *gate, const struct idg_grant_key *key, const struct idg_grant *value)
{
	int fd = bpf_map__fd(gate->skel->maps.grants);

	if (value)
		return bpf_map_update_elem(fd, key, value, BPF_ANY) < 0 ? -errno : 0;
	if (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int idg_gate_foreach_grant(struct idg_gate *gate,
			   int (*fn)(const struct idg_grant_key *key, const struct idg_grant *value, void *data),
			   void *data)
{
	int fd = bpf_map__fd(gate->skel->maps.grants);
	struct idg_grant_key key, next;
	struct idg_grant value;
	void *prev = NULL;
	int r;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &value) < 0)
			continue; /* removed meanwhile */
		r = fn(&key, &value, data);
		if (r < 0)
			return r;
	}
	return 0;
}

static int sum_percpu_stats(int fd, uint64_t out[IDG_STAT_COUNT])
{
	int ncpus = libbpf_num_possible_cpus();
	_cleanup_free_ uint64_t *values = NULL;

	if (ncpus <= 0)
		return -EINVAL;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (__u32 stat = 0; stat < IDG_STAT_COUNT; stat++) {
		out[stat] = 0;
		if (bpf_map_lookup_elem(fd, &stat, values) < 0)
			return -errno;
		for (int cpu = 0; cpu < ncpus; cpu++)
			out[stat] += values[cpu];
	}
	return 0;
}

int idg_gate_read_stats(struct idg_gate *gate, uint64_t out[IDG_STAT_COUNT])
{
	return sum_percpu_stats(bpf_map__fd(gate->skel->maps.stats), out);
}

int idg_gate_flush_repeats(struct idg_gate *gate)
{
	unsigned char packet[64] = { 0 }; /* tc test runs want at least an Ethernet header */
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet, .data_size_in = sizeof(packet));

	if (bpf_prog_test_run_opts(bpf_program__fd(gate->skel->progs.idguard_flush), &run) < 0)
		return -errno;
	return 0;
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct idg_gate *gate = ctx;

	if (size < sizeof(struct idg_event))
		return 0; /* a record of another layout cannot be ours to read */
	gate->handler(data, gate->userdata);
	return 0;
}

int idg_gate_events_setup(struct idg_gate *gate, idg_event_handler handler, void *userdata)
{
	gate->handler = handler;
	gate->userdata = userdata;
	gate->ring = ring_buffer__new(bpf_map__fd(gate->skel->maps.events), on_ring_record, gate, NULL);
	return gate->ring ? 0 : -errno;
}

int idg_gate_events_fd(struct idg_gate *gate)
{
	return ring_buffer__epoll_fd(gate->ring);
}

int idg_gate_events_consume(struct idg_gate *gate)
{
	int n = ring_buffer__consume(gate->ring);

	return n < 0 ? n : 0;
}

int idg_gate_check(struct idg_gate *gate, struct idg_error *err)
{
	char path[PATH_MAX];
	uint64_t cgroup_id = 0;
	int r = 0;

	for (int which = 0; which < LINK_COUNT; which++) {
		if (!gate->links[which])
			continue;
		r = link_cgroup(bpf_link__fd(gate->links[which]), &cgroup_id);
		if (r < 0)
			return idg_error_errno(err, r, "cannot query our %s link", link_hooks[which]);
		if (cgroup_id != gate->cgroup_id)
			return idg_error_set(err, -ENOLINK, "the %s link was detached from %s by someone else",
					     link_hooks[which], gate->cgroup_path);
	}
	r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(pinned_maps) + LINK_COUNT; i++) {
		bool is_map = i < ARRAY_SIZE(pinned_maps);
		size_t which = i - ARRAY_SIZE(pinned_maps);
		const char *name = is_map ? pinned_maps[i] : link_pin_names[which];
		int fd;

		if (!is_map && !gate->links[which])
			continue;
		if (pin_path(path, sizeof(path), gate->bpffs_dir, name) < 0 || access(path, F_OK) == 0)
			continue;
		fd = is_map ? bpf_map__fd(bpf_object__find_map_by_name(gate->skel->obj, name))
			    : bpf_link__fd(gate->links[which]);
		if (bpf_obj_pin(fd, path) < 0)
			return idg_error_errno(err, -errno, "pin %s was removed and cannot be restored", path);
		r = idg_error_set(err, -ESTALE, "pin %s was removed by someone else; restored", path);
	}
	return r < 0 ? r : 0;
}

int idg_gate_inspect_pins(const char *bpffs_dir, struct idg_gate_pins *ret, struct idg_error *err)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, r;

	memset(ret, 0, sizeof(*ret));
	if (pin_path(path, sizeof(path), bpffs_dir, "config") < 0)
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		ret->maps_pinned = true;
		(void)bpf_map_lookup_elem(fd, &zero, &ret->config);
		(void)close(fd);
	} else if (errno != ENOENT) {
		return idg_error_errno(err, -errno, "cannot open %s", path);
	}
	(void)pin_path(path, sizeof(path), bpffs_dir, "stats");
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		r = sum_percpu_stats(fd, ret->stats);
		(void)close(fd);
		if (r < 0)
			return idg_error_errno(err, r, "cannot read %s", path);
	}
	(void)pin_path(path, sizeof(path), bpffs_dir, IDG_LINK_PIN_NAME);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);

		ret->link_pinned = true;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			ret->link_id = info.id;
			ret->prog_id = info.prog_id;
			ret->cgroup_id = info.cgroup.cgroup_id;
			ret->link_attached = info.cgroup.cgroup_id != 0;
		}
		(void)close(fd);
	}
	return 0;
}

struct drain_context {
	idg_event_handler handler;
	void *userdata;
	int count;
};

/* Records of layout 1 are a prefix of today's (the network fields were
 * appended), so an uninstall after an upgrade still reads them. */
#define IDG_EVENT_V1_SIZE offsetof(struct idg_event, addr)

static int on_drained_record(void *ctx, void *data, size_t size)
{
	struct drain_context *drain = ctx;
	struct idg_event ev = { 0 };

	if (size >= IDG_EVENT_V1_SIZE) {
		memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
		drain->handler(&ev, drain->userdata);
		drain->count++;
	}
	return 0;
}

/* With the link detached nothing writes any more: read what is left. */
static int drain_pins(const char *bpffs_dir, struct drain_context *drain, struct idg_error *err)
{
	char path[PATH_MAX];
	struct ring_buffer *ring;
	struct idg_repeat_slot slot;
	int fd;

	(void)pin_path(path, sizeof(path), bpffs_dir, "events");
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		ring = ring_buffer__new(fd, on_drained_record, drain, NULL);
		if (!ring) {
			int r = -errno;

			(void)close(fd);
			return idg_error_errno(err, r, "cannot read %s", path);
		}
		(void)ring_buffer__consume(ring);
		ring_buffer__free(ring);
		(void)close(fd);
	}
	(void)pin_path(path, sizeof(path), bpffs_dir, "repeat_slots");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	for (__u32 i = 0; i < IDG_REPEAT_SLOTS; i++) {
		memset(&slot, 0, sizeof(slot)); /* an older, shorter slot leaves the tail */
		if (bpf_map_lookup_elem(fd, &i, &slot) < 0 || !slot.pending)
			continue;
		slot.first.kind = IDG_EVENT_REPEAT;
		slot.first.count = slot.pending;
		drain->handler(&slot.first, drain->userdata);
		drain->count++;
	}
	(void)close(fd);
	return 0;
}

int idg_gate_uninstall(const char *bpffs_dir, idg_event_handler drain_handler, void *userdata,
		       struct idg_error *err)
{
	struct drain_context drain = { .handler = drain_handler, .userdata = userdata };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd, r;

	for (int which = 0; which < LINK_COUNT; which++) {
		if (pin_path(path, sizeof(path), bpffs_dir, link_pin_names[which]) < 0)
			return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (bpf_link_detach(fd) < 0 && errno != ENOLINK) {
				r = -errno;
				(void)close(fd);
				return idg_error_errno(err, r, "cannot detach the link pinned at %s", path);
			}
			(void)close(fd);
		} else if (errno != ENOENT) {
			return idg_error_errno(err, -errno, "cannot open %s", path);
		}
	}
	if (drain_handler) {
		r = drain_pins(bpffs_dir, &drain, err);
		if (r < 0)
			return r;
	}
	dir = opendir(bpffs_dir);
	if (!dir) {
		if (errno == ENOENT)
			return 0;
		return idg_error_errno(err, -errno, "cannot open %s", bpffs_dir);
	}
	while ((de = readdir(dir))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (pin_path(path, sizeof(path), bpffs_dir, de->d_name) == 0 && unlink(path) < 0) {
			r = -errno;
			(void)closedir(dir);
			return idg_error_errno(err, r, "cannot remove %s", path);
		}
	}
	(void)closedir(dir);
	if (rmdir(bpffs_dir) < 0)
		return idg_error_errno(err, -errno, "cannot remove %s", bpffs_dir);
	return drain.count;
}
