// SPDX-License-Identifier: GPL-2.0-only
/* Builds and queries the watch list (see watchlist.h). */
#include "watchlist.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "names.h"
#include "util.h"

static bool is_exact(const struct idg_watch_entry *e)
{
	return !e->whole_major && e->minor_lo == e->minor_hi;
}

static bool is_range(const struct idg_watch_entry *e)
{
	return !e->whole_major && e->minor_lo != e->minor_hi;
}

/* FNV-1a over what the entry covers: the same Device= line keeps its id. */
static uint32_t entry_hash(const struct idg_watch_entry *e)
{
	uint32_t words[5] = { e->dev_type, e->major, e->whole_major ? 0xffffffffu : e->minor_lo, e->minor_hi,
			      e->class_id };
	const unsigned char *bytes = (const unsigned char *)words;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(words); i++)
		h = (h ^ bytes[i]) * 16777619u;
	return h ? h : 1;
}

void idg_watch_entry_format(const struct idg_watch_entry *e, char *buf, size_t size)
{
	const char *type = idg_dev_type_name(e->dev_type);

	if (e->whole_major)
		(void)snprintf(buf, size, "%s %u:*", type, e->major);
	else if (is_exact(e))
		(void)snprintf(buf, size, "%s %u:%u", type, e->major, e->minor_lo);
	else
		(void)snprintf(buf, size, "%s %u:%u-%u", type, e->major, e->minor_lo, e->minor_hi);
}

void idg_watchlist_free(struct idg_watchlist *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->entries[i].node);
		free(list->entries[i].source);
	}
	free(list->entries);
	free(list);
}

int idg_watchlist_append(struct idg_watchlist *list, const struct idg_watch_entry *entry)
{
	struct idg_watch_entry copy = *entry;

	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 16;
		struct idg_watch_entry *grown = reallocarray(list->entries, capacity, sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		list->entries = grown;
		list->capacity = capacity;
	}
	copy.node = NULL;
	copy.source = NULL;
	if ((entry->node && !(copy.node = strdup(entry->node))) || (entry->source && !(copy.source = strdup(entry->source)))) {
		free(copy.node);
		return -ENOMEM;
	}
	list->entries[list->count++] = copy;
	return 0;
}

/* 1: a and b cannot both be in the kernel maps unambiguously.
 * 2: b repeats a. 0: fine (the more specific entry wins, as in the kernel). */
static int overlap(const struct idg_watch_entry *a, const struct idg_watch_entry *b)
{
	if (a->dev_type != b->dev_type || a->major != b->major)
		return 0;
	if (a->whole_major != b->whole_major)
		return 0;
	if (is_exact(a) != is_exact(b))
		return 0;
	if (a->minor_hi < b->minor_lo || b->minor_hi < a->minor_lo)
		return 0;
	if (a->class_id == b->class_id && a->minor_lo == b->minor_lo && a->minor_hi == b->minor_hi)
		return 2;
	return 1;
}

static int resolve_node(const struct idg_policy_device *dev, struct idg_watch_entry *e, struct idg_diags *diags)
{
	struct stat st;

	if (stat(dev->node, &st) < 0) {
		if (errno == ENOENT)
			return idg_diag_add(diags, dev->file, dev->line, true,
					    "%s does not exist now; it is not watched until it exists and the policy is reloaded",
					    dev->node) ?: 1;
		return idg_diag_add(diags, dev->file, dev->line, false, "cannot stat %s: %s", dev->node,
				    strerror(errno)) ?: 1;
	}
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return idg_diag_add(diags, dev->file, dev->line, false, "%s is not a device node", dev->node) ?: 1;
	e->dev_type = S_ISBLK(st.st_mode) ? IDG_DEV_BLOCK : IDG_DEV_CHAR;
	e->major = major(st.st_rdev);
	e->minor_lo = e->minor_hi = minor(st.st_rdev);
	if (e->major >= IDG_MAJOR_COUNT)
		return idg_diag_add(diags, dev->file, dev->line, false, "%s has major %u, above %d", dev->node,
				    e->major, IDG_MAJOR_COUNT - 1) ?: 1;
	return 0;
}

int idg_watchlist_build(const struct idg_policy *policy, struct idg_watchlist **ret_list,
			struct idg_diags *diags)
{
	struct idg_watchlist *list = calloc(1, sizeof(*list));
	int r;

	if (!list || !(list->entries = calloc(policy->n_devices ? policy->n_devices : 1, sizeof(*list->entries)))) {
		free(list);
		return -ENOMEM;
	}
	list->capacity = policy->n_devices ? policy->n_devices : 1;
	for (size_t i = 0; i < policy->n_devices; i++) {
		const struct idg_policy_device *dev = &policy->devices[i];
		struct idg_watch_entry e = {
			.class_id = dev->class_id,
			.dev_type = dev->dev_type,
			.whole_major = dev->whole_major,
			.major = dev->major,
			.minor_lo = dev->minor_lo,
			.minor_hi = dev->minor_hi,
		};
		bool skip = false;

		if (dev->node) {
			r = resolve_node(dev, &e, diags);
			if (r < 0)
				goto fail;
			if (r > 0)
				continue;
		}
		for (size_t j = 0; j < list->count && !skip; j++) {
			char other[64];

			switch (overlap(&list->entries[j], &e)) {
			case 1:
				idg_watch_entry_format(&list->entries[j], other, sizeof(other));
				if (list->entries[j].class_id == e.class_id)
					r = idg_diag_add(diags, dev->file, dev->line, false,
							 "overlaps %s (%s) of the same class; merge the two into one range",
							 other, list->entries[j].source);
				else
					r = idg_diag_add(diags, dev->file, dev->line, false,
							 "overlaps %s of class %s (%s); a device can be in one class only",
							 other, idg_class_name(list->entries[j].class_id),
							 list->entries[j].source);
				if (r < 0)
					goto fail;
				skip = true;
				break;
			case 2:
				skip = true; /* the same line twice: harmless, keep the first */
				break;
			}
		}
		if (skip)
			continue;
		e.device_id = entry_hash(&e);
		if ((dev->node && !(e.node = strdup(dev->node))) ||
		    asprintf(&e.source, "%s:%u", dev->file, dev->line) < 0) {
			free(e.node);
			r = -ENOMEM;
			goto fail;
		}
		list->entries[list->count++] = e;
		if (list->count > IDG_MAX_WATCHED) {
			r = idg_diag_add(diags, dev->file, dev->line, false,
					 "more than %d Device= entries: the kernel map holds %d", IDG_MAX_WATCHED, IDG_MAX_WATCHED);
			if (r < 0)
				goto fail;
			break;
		}
	}
	*ret_list = list;
	return 0;
fail:
	idg_watchlist_free(list);
	return r;
}

const struct idg_watch_entry *idg_watchlist_find(const struct idg_watchlist *list, unsigned dev_type,
						 uint32_t major, uint32_t minor)
{
	const struct idg_watch_entry *range = NULL, *whole = NULL;

	for (size_t i = 0; list && i < list->count; i++) {
		const struct idg_watch_entry *e = &list->entries[i];

		if (e->dev_type != dev_type || e->major != major || minor < e->minor_lo || minor > e->minor_hi)
			continue;
		if (is_exact(e))
			return e;
		if (is_range(e) && !range)
			range = e;
		if (e->whole_major)
			whole = e;
	}
	return range ? range : whole;
}

const struct idg_watch_entry *idg_watchlist_by_id(const struct idg_watchlist *list, uint32_t device_id)
{
	for (size_t i = 0; list && i < list->count; i++)
		if (list->entries[i].device_id == device_id)
			return &list->entries[i];
	return NULL;
}

void idg_range_split(uint32_t lo, uint32_t hi, void (*emit)(uint32_t start, unsigned bits, void *data),
		     void *data)
{
	uint64_t start = lo, end = (uint64_t)hi + 1;

	while (start < end) {
		unsigned bits = 0;

		/* Grow the block while it stays aligned and inside the range. */
		while (bits < 32 && !(start & ((1ull << (bits + 1)) - 1)) && start + (1ull << (bits + 1)) <= end)
			bits++;
		emit((uint32_t)start, bits, data);
		start += 1ull << bits;
	}
}
