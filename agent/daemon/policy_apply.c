// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading, validating and applying the policy, at start-up and on SIGHUP.
 * A policy with any error is refused as a whole, with file:line in the log
 * and in a "policy rejected" journal record; the policy in force stays.
 */
#include "daemon.h"

#include <errno.h>

#include "names.h"

static void log_diags(const struct idg_diags *diags)
{
	char line[2048];

	for (size_t i = 0; i < diags->count; i++) {
		idg_diag_format(&diags->items[i], line, sizeof(line));
		if (diags->items[i].warning)
			log_warning("%s", line);
		else
			log_error("%s", line);
	}
}

static void modes_text(const struct idg_policy *policy, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned c = 1; c < IDG_CLASS_COUNT && used < size; c++) {
		if (!idg_class_from_name(idg_class_name(c)))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "", idg_class_name(c),
					 idg_mode_name((unsigned)idg_policy_effective_mode(policy, c)));
	}
}

static void send_rejected(struct daemon *d, const struct idg_diags *diags, const char *first)
{
	struct idg_record rec;

	idg_record_init(&rec, IDG_MSG_POLICY_REJECTED, LOG_ERR);
	idg_record_add(&rec, "MESSAGE", "Policy refused (%zu error%s; %s): %s", idg_diags_error_total(diags),
		       idg_diags_error_total(diags) == 1 ? "" : "s",
		       d->policy ? "the previous policy stays in force" : "idguardd does not start", first);
	idg_record_add(&rec, "IDGUARD_POLICY_ERRORS", "%zu", idg_diags_error_total(diags));
	idg_record_add(&rec, "IDGUARD_POLICY_ERROR", "%s", first);
	daemon_send(d, &rec);
}

void daemon_announce_policy(struct daemon *d)
{
	struct idg_record rec;
	char modes[256], files[2048] = "";
	size_t used = 0;

	modes_text(d->policy, modes, sizeof(modes));
	for (size_t i = 0; i < d->policy->n_files && used < sizeof(files); i++)
		used += (size_t)snprintf(files + used, sizeof(files) - used, "%s%s", i ? " " : "", d->policy->files[i]);
	idg_record_init(&rec, IDG_MSG_POLICY_LOADED, LOG_NOTICE);
	idg_record_add(&rec, "MESSAGE", "Policy loaded from %zu file%s: %s; %zu Device= entries, %zu devices from udev, "
		       "%zu exempt cgroups", d->policy->n_files, d->policy->n_files == 1 ? "" : "s", modes,
		       d->watches->count, d->devices.count, d->exempt.count);
	idg_record_add(&rec, "IDGUARD_POLICY_FILES", "%s", files);
	idg_record_add(&rec, "IDGUARD_MODES", "%s", modes);
	idg_record_add(&rec, "IDGUARD_WATCHED", "%zu", d->watches->count);
	idg_record_add(&rec, "IDGUARD_DEVICES", "%zu", d->devices.count);
	idg_record_add(&rec, "IDGUARD_EXEMPT", "%zu", d->exempt.count);
	daemon_send(d, &rec);
}

static struct idg_config config_for(const struct idg_policy *policy)
{
	struct idg_config cfg = { .abi_version = IDG_ABI_VERSION, .repeat_window_ns = policy->repeat_window_ms * 1000000ull };

	for (unsigned c = 0; c < IDG_CLASS_COUNT; c++)
		cfg.class_mode[c] = (__u32)idg_policy_effective_mode(policy, c);
	return cfg;
}

int daemon_apply_policy(struct daemon *d, struct idg_error *err)
{
	struct idg_config cfg = config_for(d->policy);
	int r;

	/* Watches first and modes last would briefly watch with old modes;
	 * either order only ever adds coverage before removing it. */
	r = daemon_devices_reclassify(d, d->started_usec != 0);
	if (r < 0)
		return idg_error_errno(err, r, "cannot enumerate devices");
	r = daemon_sync_kernel_watches(d, err);
	if (r == 0)
		r = daemon_network_apply(d, err);
	if (r == 0)
		r = idg_gate_sync_exempt(d->gate, d->exempt.ids, d->exempt.count, err);
	if (r == 0)
		r = idg_gate_set_config(d->gate, &cfg, err);
	return r;
}

/* The warnings of the policy in force, as `idguardctl policy check` words
 * them, for status and reload. */
static void keep_warnings(struct daemon *d, const struct idg_diags *diags)
{
	char line[2048];

	daemon_policy_warnings_clear(d);
	d->policy_warnings = diags->count - diags->errors;
	d->policy_warning_list = calloc(d->policy_warnings ? d->policy_warnings : 1, sizeof(char *));
	for (size_t i = 0; d->policy_warning_list && i < diags->count; i++) {
		if (!diags->items[i].warning)
			continue;
		idg_diag_format(&diags->items[i], line, sizeof(line));
		d->policy_warning_list[d->n_policy_warning_list] = strdup(line);
		if (!d->policy_warning_list[d->n_policy_warning_list])
			break; /* out of memory: the count stays right, the list is cut */
		d->n_policy_warning_list++;
	}
}

struct json_object *daemon_policy_warnings_json(const struct daemon *d)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < d->n_policy_warning_list; i++)
		json_object_array_add(list, json_object_new_string(d->policy_warning_list[i]));
	return list;
}

void daemon_policy_warnings_clear(struct daemon *d)
{
	for (size_t i = 0; i < d->n_policy_warning_list; i++)
		free(d->policy_warning_list[i]);
	free(d->policy_warning_list);
	d->policy_warning_list = NULL;
	d->n_policy_warning_list = 0;
	d->policy_warnings = 0;
}

/* Every error, one per line, as much as fits. */
static void join_errors(const struct idg_diags *diags, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < diags->count && used + 1 < size; i++) {
		if (diags->items[i].warning)
			continue;
		if (used)
			buf[used++] = '\n';
		idg_diag_format(&diags->items[i], buf + used, size - used);
		used += strlen(buf + used);
	}
}

int daemon_load_policy(struct daemon *d, bool announce, char *ret_error, size_t error_size)
{
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = NULL, *old_policy;
	struct idg_watchlist *watches = NULL, *old_watches;
	struct idg_exempt_set exempt = { 0 }, old_exempt;
	struct idg_network_view network = { 0 }, old_network;
	struct idg_error err;
	int r;

	r = idg_policy_load_dirs(d->opts.policy_dirs, d->opts.n_policy_dirs, &policy, &diags);
	if (r == 0)
		idg_policy_check_found(policy, d->opts.policy_dirs, d->opts.n_policy_dirs, false, &diags);
	if (r == 0)
		r = idg_policy_load_approvers(policy, d->opts.approver_dirs, d->opts.n_approver_dirs, &diags);
	if (r == 0 && diags.errors == 0)
		r = idg_watchlist_build(policy, &watches, &diags);
	if (r == 0 && diags.errors == 0)
		r = idg_exempt_resolve(policy, d->cgroup_root, d->cgroup_path, &exempt, &diags);
	if (r == 0 && diags.errors == 0)
		r = daemon_network_build(policy, &network, &diags);
	if (r < 0 && !diags.errors)
		(void)idg_diag_add(&diags, NULL, 0, false, "%s", strerror(-r));
	log_diags(&diags);
	if (diags.errors) {
		char first[2048];

		idg_diags_first_error(&diags, first, sizeof(first));
		join_errors(&diags, ret_error, error_size);
		send_rejected(d, &diags, first);
		r = -EINVAL;
		goto out;
	}

	old_policy = d->policy;
	old_watches = d->watches;
	old_exempt = d->exempt;
	old_network = d->network;
	d->policy = policy;
	d->watches = watches;
	d->exempt = exempt;
	d->network = network;
	if (d->gate) {
		r = daemon_apply_policy(d, &err);
		if (r < 0) {
			(void)snprintf(ret_error, error_size, "cannot write the policy into the kernel maps: %s", err.message);
			/* Put the maps back to what the old policy says. */
			d->policy = old_policy;
			d->watches = old_watches;
			d->exempt = old_exempt;
			d->network = old_network;
			if (daemon_apply_policy(d, &err) < 0) {
				log_error("cannot restore the previous policy in the kernel maps: %s; exiting so a restart applies it",
					  err.message);
				daemon_stop(d, "kernel map update failure", true);
			}
			idg_policy_free(policy);
			idg_watchlist_free(watches);
			idg_exempt_set_clear(&exempt);
			daemon_network_view_clear(&network);
			idg_diags_clear(&diags);
			return -EIO;
		}
	}
	keep_warnings(d, &diags);
	idg_policy_free(old_policy);
	idg_watchlist_free(old_watches);
	idg_exempt_set_clear(&old_exempt);
	daemon_network_view_clear(&old_network);
	if (announce)
		daemon_announce_policy(d);
	if (d->timer_fd >= 0)
		daemon_rearm_timer(d);
	policy = NULL;
	watches = NULL;
	memset(&exempt, 0, sizeof(exempt));
	memset(&network, 0, sizeof(network));
	r = 0;
out:
	idg_policy_free(policy);
	idg_watchlist_free(watches);
	idg_exempt_set_clear(&exempt);
	daemon_network_view_clear(&network);
	idg_diags_clear(&diags);
	return r;
}
