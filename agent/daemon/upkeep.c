// SPDX-License-Identifier: GPL-2.0-only
/*
 * The network gate's maps, and what changes under a policy without a
 * reload: this host's own addresses (for Address=local; DHCP moves them),
 * and the cgroups of exempt units (a restarted service runs in a new
 * cgroup with a new id). Both are looked at again every UPKEEP_INTERVAL_NS
 * and written into the kernel only when they changed.
 */
#include "daemon.h"

#include <errno.h>

#include "names.h"

int daemon_network_build(const struct idg_policy *policy, struct idg_network_view *ret, struct idg_diags *diags)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = idg_local_addresses(&ret->local, &ret->n_local);
	if (r < 0) {
		/* Loopback still counts as local; the rest waits for upkeep. */
		log_warning("cannot list this host's addresses: %s", strerror(-r));
		ret->local = NULL;
		ret->n_local = 0;
	}
	r = idg_endpoint_table_build(policy, ret->local, ret->n_local, &ret->table, diags);
	if (r < 0)
		daemon_network_view_clear(ret);
	return r;
}

void daemon_network_view_clear(struct idg_network_view *view)
{
	idg_endpoint_table_clear(&view->table);
	free(view->local);
	memset(view, 0, sizeof(*view));
}

int daemon_network_apply(struct daemon *d, struct idg_error *err)
{
	struct idg_broker_key *keys = calloc(d->policy->n_brokers ? d->policy->n_brokers : 1, sizeof(*keys));
	struct idg_watch *values = calloc(d->policy->n_brokers ? d->policy->n_brokers : 1, sizeof(*values));
	size_t n = 0;
	int r;

	if (!keys || !values) {
		free(keys);
		free(values);
		return idg_error_set(err, -ENOMEM, "out of memory");
	}
	r = idg_gate_sync_endpoints(d->gate, d->network.table.entries, d->network.table.count,
				    d->network.table.port_flags, err);
	for (size_t i = 0; r == 0 && i < d->policy->n_brokers; i++) {
		const struct idg_broker *b = &d->policy->brokers[i];

		if (!b->path || !b->class_id)
			continue;
		(void)snprintf(keys[n].path, sizeof(keys[n].path), "%s", b->path);
		values[n].class_id = b->class_id;
		values[n].device_id = b->broker_id;
		n++;
	}
	if (r == 0)
		r = idg_gate_sync_brokers(d->gate, keys, values, n, err);
	free(keys);
	free(values);
	return r;
}

static bool endpoints_use_local(const struct idg_policy *policy)
{
	for (size_t i = 0; i < policy->n_endpoints; i++)
		if (policy->endpoints[i].local)
			return true;
	return false;
}

static void refresh_local_addresses(struct daemon *d)
{
	struct idg_prefix *now = NULL;
	size_t n_now = 0;
	struct idg_network_view view, old;
	struct idg_diags diags = { 0 };
	struct idg_error err;
	char first[1024];

	if (!endpoints_use_local(d->policy) || idg_local_addresses(&now, &n_now) < 0)
		return;
	if (n_now == d->network.n_local && (!n_now || !memcmp(now, d->network.local, n_now * sizeof(*now)))) {
		free(now);
		return;
	}
	free(now);
	if (daemon_network_build(d->policy, &view, &diags) < 0 || diags.errors) {
		idg_diags_first_error(&diags, first, sizeof(first));
		log_error("this host's addresses changed, but the endpoints cannot follow: %s", diags.errors ? first : "out of memory");
		idg_diags_clear(&diags);
		daemon_network_view_clear(&view);
		return;
	}
	idg_diags_clear(&diags);
	old = d->network;
	d->network = view;
	if (daemon_network_apply(d, &err) < 0) {
		log_error("cannot write the network endpoints: %s; exiting so a restart does", err.message);
		daemon_network_view_clear(&old);
		daemon_stop(d, "kernel map update failure", true);
		return;
	}
	daemon_network_view_clear(&old);
	log_notice("this host's addresses changed: Address=local now covers %zu of them besides loopback",
		   d->network.n_local);
}

static void refresh_exempt(struct daemon *d)
{
	struct idg_exempt_set now = { 0 };
	struct idg_diags diags = { 0 };
	struct idg_error err;

	if (!d->policy->n_exempt ||
	    idg_exempt_resolve(d->policy, d->cgroup_root, d->cgroup_path, &now, &diags) < 0) {
		idg_diags_clear(&diags);
		return;
	}
	idg_diags_clear(&diags);
	if (idg_exempt_set_equal(&now, &d->exempt)) {
		idg_exempt_set_clear(&now);
		return;
	}
	if (idg_gate_sync_exempt(d->gate, now.ids, now.count, &err) < 0) {
		log_error("cannot update the exempt cgroups: %s; exiting so a restart does", err.message);
		idg_exempt_set_clear(&now);
		daemon_stop(d, "kernel map update failure", true);
		return;
	}
	for (size_t i = 0; i < now.count; i++) {
		bool known = false;

		for (size_t j = 0; j < d->exempt.count && !known; j++)
			known = d->exempt.ids[j] == now.ids[i];
		if (!known)
			log_notice("exempt: %s (cgroup id %llu)", now.paths[i], (unsigned long long)now.ids[i]);
	}
	idg_exempt_set_clear(&d->exempt);
	d->exempt = now;
}

void daemon_upkeep(struct daemon *d)
{
	refresh_exempt(d);
	refresh_local_addresses(d);
}
