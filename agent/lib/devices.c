// SPDX-License-Identifier: GPL-2.0-only
/* The device table (see devices.h). */
#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idguard.h"
#include "policy.h"
#include "util.h"
#include "watchlist.h"

void idg_device_free(struct idg_device *dev)
{
	if (!dev)
		return;
	for (size_t i = 0; i < dev->n_nodes; i++) {
		free(dev->nodes[i].devnode);
		free(dev->nodes[i].subsystem);
	}
	free(dev->nodes);
	idg_facts_clear(&dev->facts);
	free(dev->syspath);
	free(dev->matched_by);
	free(dev->vendor);
	free(dev->model);
	free(dev->serial);
	free(dev->bus_path);
	free(dev);
}

int idg_device_add_node(struct idg_device *dev, unsigned dev_type, uint32_t major, uint32_t minor,
			const char *devnode, const char *subsystem)
{
	struct idg_device_node *nodes, node = { .dev_type = (uint8_t)dev_type, .major = major, .minor = minor };

	for (size_t i = 0; i < dev->n_nodes; i++)
		if (dev->nodes[i].dev_type == dev_type && dev->nodes[i].major == major && dev->nodes[i].minor == minor)
			return 0;
	nodes = reallocarray(dev->nodes, dev->n_nodes + 1, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	dev->nodes = nodes;
	if ((devnode && !(node.devnode = strdup(devnode))) || (subsystem && !(node.subsystem = strdup(subsystem)))) {
		free(node.devnode);
		return -ENOMEM;
	}
	dev->nodes[dev->n_nodes++] = node;
	return 0;
}

static uint32_t fnv1a(uint32_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u; /* a separator, so "ab"+"c" != "a"+"bc" */
}

int idg_device_classify(struct idg_device *dev, const struct idg_policy *policy)
{
	struct idg_classification c;
	char why[512], class_text[4];
	uint32_t h = 2166136261u;
	char *matched_by;

	idg_classify(policy, &dev->facts, &c);
	idg_classification_explain(&c, why, sizeof(why));
	if (!(matched_by = strdup(why)))
		return -ENOMEM;
	free(dev->matched_by);
	dev->matched_by = matched_by;
	dev->class_id = (uint8_t)c.class_id;
	(void)snprintf(class_text, sizeof(class_text), "%u", c.class_id);
	h = fnv1a(h, "udev");
	h = fnv1a(h, dev->syspath);
	h = fnv1a(h, dev->vid_pid);
	h = fnv1a(h, dev->serial);
	h = fnv1a(h, class_text);
	dev->device_id = h ? h : 1;
	return 0;
}

void idg_device_label(const struct idg_device *dev, char *buf, size_t size)
{
	const char *vendor = dev->vendor ? dev->vendor : "";
	const char *model = dev->model ? dev->model : "";

	if (*vendor || *model) {
		/* hwdb names repeat the vendor in the model now and then. */
		bool repeat = *vendor && !strncmp(model, vendor, strlen(vendor));

		(void)snprintf(buf, size, "%s%s%s%s%s%s", repeat ? "" : vendor, !repeat && *vendor && *model ? " " : "",
			       model, dev->vid_pid[0] ? " (" : "", dev->vid_pid, dev->vid_pid[0] ? ")" : "");
	} else if (dev->vid_pid[0]) {
		(void)snprintf(buf, size, "USB device %s", dev->vid_pid);
	} else if (dev->n_nodes && dev->nodes[0].devnode) {
		(void)snprintf(buf, size, "%s", dev->nodes[0].devnode);
	} else {
		(void)snprintf(buf, size, "%s", dev->syspath);
	}
}

/* ---- the table ------------------------------------------------------------------ */

void idg_devtable_clear(struct idg_device_table *table)
{
	for (size_t i = 0; i < table->count; i++)
		idg_device_free(table->items[i]);
	for (size_t i = 0; i < IDG_DEVICES_RETIRED_KEEP; i++)
		idg_device_free(table->retired[i]);
	free(table->items);
	memset(table, 0, sizeof(*table));
}

static ssize_t find(const struct idg_device_table *table, const char *syspath)
{
	for (size_t i = 0; i < table->count; i++)
		if (streq(table->items[i]->syspath, syspath))
			return (ssize_t)i;
	return -1;
}

int idg_devtable_put(struct idg_device_table *table, struct idg_device *dev, struct idg_device **ret_old)
{
	ssize_t at = find(table, dev->syspath);

	*ret_old = NULL;
	if (at >= 0) {
		*ret_old = table->items[at];
		table->items[at] = dev;
		return 0;
	}
	if (table->count == table->capacity) {
		size_t capacity = table->capacity ? table->capacity * 2 : 16;
		struct idg_device **items = reallocarray(table->items, capacity, sizeof(*items));

		if (!items)
			return -ENOMEM;
		table->items = items;
		table->capacity = capacity;
	}
	table->items[table->count++] = dev;
	return 0;
}

struct idg_device *idg_devtable_take(struct idg_device_table *table, const char *syspath)
{
	ssize_t at = find(table, syspath);
	struct idg_device *dev;

	if (at < 0)
		return NULL;
	dev = table->items[at];
	memmove(&table->items[at], &table->items[at + 1], (table->count - (size_t)at - 1) * sizeof(*table->items));
	table->count--;
	return dev;
}

void idg_devtable_retire(struct idg_device_table *table, struct idg_device *dev)
{
	idg_device_free(table->retired[table->retired_next]);
	table->retired[table->retired_next] = dev;
	table->retired_next = (table->retired_next + 1) % IDG_DEVICES_RETIRED_KEEP;
}

struct idg_device *idg_devtable_get(const struct idg_device_table *table, const char *syspath)
{
	ssize_t at = find(table, syspath);

	return at >= 0 ? table->items[at] : NULL;
}

struct idg_device *idg_devtable_owner(const struct idg_device_table *table, const char *path)
{
	struct idg_device *best = NULL;
	size_t best_len = 0;

	/* The deepest: a hub is an ancestor of the devices plugged into it. */
	for (size_t i = 0; i < table->count; i++) {
		const char *sys = table->items[i]->syspath;
		size_t len = strlen(sys);

		if (len > best_len && !strncmp(path, sys, len) && (path[len] == '\0' || path[len] == '/')) {
			best = table->items[i];
			best_len = len;
		}
	}
	return best;
}

const struct idg_device *idg_devtable_by_id(const struct idg_device_table *table, uint32_t device_id)
{
	for (size_t i = 0; i < table->count; i++)
		if (table->items[i]->device_id == device_id)
			return table->items[i];
	for (size_t i = 0; i < IDG_DEVICES_RETIRED_KEEP; i++)
		if (table->retired[i] && table->retired[i]->device_id == device_id)
			return table->retired[i];
	return NULL;
}

const struct idg_device *idg_devtable_by_node(const struct idg_device_table *table, unsigned dev_type,
					      uint32_t major, uint32_t minor)
{
	for (size_t i = 0; i < table->count; i++)
		for (size_t n = 0; n < table->items[i]->n_nodes; n++) {
			const struct idg_device_node *node = &table->items[i]->nodes[n];

			if (node->dev_type == dev_type && node->major == major && node->minor == minor)
				return table->items[i];
		}
	return NULL;
}

static bool listed_from(const struct idg_watchlist *list, size_t from, const struct idg_device_node *node)
{
	for (size_t i = from; i < list->count; i++)
		if (list->entries[i].dev_type == node->dev_type && list->entries[i].major == node->major &&
		    list->entries[i].minor_lo == node->minor)
			return true;
	return false;
}

static bool policy_names_node(const struct idg_watchlist *list, const struct idg_device_node *node)
{
	const struct idg_watch_entry *e = idg_watchlist_find(list, node->dev_type, node->major, node->minor);

	return e && !e->whole_major && e->minor_lo == e->minor_hi;
}

int idg_devtable_watchlist(const struct idg_device_table *table, const struct idg_watchlist *policy_list,
			   struct idg_watchlist **ret_list)
{
	struct idg_watchlist *list = calloc(1, sizeof(*list));
	int r = 0;

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < policy_list->count && r == 0; i++)
		r = idg_watchlist_append(list, &policy_list->entries[i]);
	for (size_t i = 0; i < table->count && r == 0; i++) {
		const struct idg_device *dev = table->items[i];

		for (size_t n = 0; n < dev->n_nodes && r == 0; n++) {
			const struct idg_device_node *node = &dev->nodes[n];
			struct idg_watch_entry e = {
				.device_id = dev->device_id,
				.class_id = dev->class_id,
				.dev_type = node->dev_type,
				.major = node->major,
				.minor_lo = node->minor,
				.minor_hi = node->minor,
				.node = node->devnode,
				.source = dev->syspath,
			};

			/* Two devices never share a node; should udev ever say so,
			 * the first one listed keeps it. */
			if (node->major >= IDG_MAJOR_COUNT || policy_names_node(policy_list, node) ||
			    listed_from(list, policy_list->count, node))
				continue;
			r = idg_watchlist_append(list, &e);
		}
	}
	if (r < 0) {
		idg_watchlist_free(list);
		return r;
	}
	*ret_list = list;
	return 0;
}
