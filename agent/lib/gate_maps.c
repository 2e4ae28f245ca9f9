// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate's maps kept in step with the policy, the devices and the grants
 * (always adding before removing, so coverage never dips), the counters,
 * the flush of ended repeat windows, and the ring buffer of records.
 */
#include "gate_internal.h"

#include <errno.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "watchlist.h"

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
	if (ranges.count) /* keys is NULL then: not for qsort() */
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
	if (n)
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

int gate_sum_stats(int fd, uint64_t out[IDG_STAT_COUNT])
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
	return gate_sum_stats(bpf_map__fd(gate->skel->maps.stats), out);
}

int idg_gate_flush_repeats(struct idg_gate *gate)
{
	unsigned char packet[64] = { 0 }; /* tc test runs want at least an Ethernet header */
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet, .data_size_in = sizeof(packet));

	/* Without the flush program (status says why), a pending count is
	 * sent when its slot takes the next window, or at uninstall. */
	if (!gate->loaded[IDG_PROG_FLUSH])
		return 0;
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
