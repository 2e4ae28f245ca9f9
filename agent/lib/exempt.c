// SPDX-License-Identifier: GPL-2.0-only
/* Resolving exempt units and cgroup paths to cgroup ids (see exempt.h). */
#include "exempt.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>

#include "mounts.h"
#include "util.h"

static int add_id(struct idg_exempt_set *set, uint64_t id, const char *path)
{
	uint64_t *ids;
	char **paths;

	for (size_t i = 0; i < set->count; i++)
		if (set->ids[i] == id)
			return 0;
	ids = realloc(set->ids, (set->count + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	set->ids = ids;
	paths = realloc(set->paths, (set->count + 1) * sizeof(*paths));
	if (!paths)
		return -ENOMEM;
	set->paths = paths;
	if (!(set->paths[set->count] = strdup(path)))
		return -ENOMEM;
	set->ids[set->count++] = id;
	return 0;
}

/* "a-b-c.slice" lives at "a.slice/a-b.slice/a-b-c.slice" (systemd's rule). */
static int slice_path(const char *slice, char *buf, size_t size)
{
	size_t used = 0, len = strlen(slice) - strlen(".slice");

	buf[0] = '\0';
	for (size_t i = 0; i <= len; i++) {
		if (i < len && slice[i] != '-')
			continue;
		int n = snprintf(buf + used, size - used, "%s%.*s.slice", used ? "/" : "", (int)i, slice);

		if (n < 0 || (size_t)n >= size - used)
			return -ENAMETOOLONG;
		used += (size_t)n;
	}
	return 0;
}

/* Looks for the unit's cgroup under each slice a service can live in. */
static int resolve_unit(const char *root, const char *unit, struct idg_exempt_set *set, int *ret_found)
{
	const char *parents[3] = { "system.slice", "" };
	size_t n_parents = 2;
	char path[PATH_MAX], rel[PATH_MAX], template_slice[300];
	uint64_t id;
	int r;

	*ret_found = 0;
	if (strlen(unit) > 6 && streq(unit + strlen(unit) - 6, ".slice")) {
		if (slice_path(unit, rel, sizeof(rel)) < 0)
			return -ENAMETOOLONG;
		(void)snprintf(path, sizeof(path), "%s/%s", root, rel);
		if (idg_cgroup_id(path, &id) == 0) {
			*ret_found = 1;
			return add_id(set, id, path);
		}
		return 0;
	}
	/* Template instances (name@x.service) live in system-name.slice. */
	if (strchr(unit, '@') && snprintf(template_slice, sizeof(template_slice), "system.slice/system-%.*s.slice",
					  (int)(strchr(unit, '@') - unit), unit) < (int)sizeof(template_slice))
		parents[n_parents++] = template_slice;
	for (size_t p = 0; p < n_parents; p++) {
		DIR *dir;
		struct dirent *de;

		(void)snprintf(path, sizeof(path), "%s/%s", root, parents[p]);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.' || fnmatch(unit, de->d_name, 0) != 0)
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s%s%s", root, parents[p], *parents[p] ? "/" : "",
				       de->d_name);
			if (idg_cgroup_id(path, &id) < 0)
				continue;
			r = add_id(set, id, path);
			if (r < 0) {
				(void)closedir(dir);
				return r;
			}
			*ret_found = 1;
		}
		(void)closedir(dir);
	}
	return 0;
}

int idg_exempt_resolve(const struct idg_policy *policy, const char *cgroup_root, const char *units_root,
		       struct idg_exempt_set *ret, struct idg_diags *diags)
{
	struct idg_exempt_set set = { 0 };
	int r;

	for (size_t i = 0; i < policy->n_exempt; i++) {
		const struct idg_policy_exempt *e = &policy->exempt[i];
		int found = 0;

		if (e->is_unit) {
			r = resolve_unit(units_root, e->name, &set, &found);
			if (r < 0)
				goto fail;
			if (!found)
				r = idg_diag_add(diags, e->file, e->line, true,
						 "unit %s is not running now; it is exempt from when it starts",
						 e->name);
		} else {
			char path[PATH_MAX];
			uint64_t id;

			(void)snprintf(path, sizeof(path), "%s%s", cgroup_root, e->name);
			r = idg_cgroup_id(path, &id);
			if (r == 0)
				r = add_id(&set, id, path);
			else
				r = idg_diag_add(diags, e->file, e->line, true, "cgroup %s does not exist now: %s", path,
						 strerror(-r));
		}
		if (r < 0)
			goto fail;
		if (set.count > IDG_MAX_EXEMPT) {
			r = idg_diag_add(diags, e->file, e->line, false,
					 "more than %d exempt cgroups: the kernel map holds %d", IDG_MAX_EXEMPT, IDG_MAX_EXEMPT);
			if (r < 0)
				goto fail;
			break;
		}
	}
	*ret = set;
	return 0;
fail:
	idg_exempt_set_clear(&set);
	return r;
}

bool idg_exempt_set_equal(const struct idg_exempt_set *a, const struct idg_exempt_set *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		bool found = false;

		for (size_t j = 0; j < b->count && !found; j++)
			found = a->ids[i] == b->ids[j];
		if (!found)
			return false;
	}
	return true;
}

void idg_exempt_set_clear(struct idg_exempt_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->paths[i]);
	free(set->paths);
	free(set->ids);
	memset(set, 0, sizeof(*set));
}
