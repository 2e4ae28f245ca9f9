/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device table: every device found through udev that a class rule
 * recognises (or, for USB, that none does: "unclassified"), with all its
 * device nodes, the identity a person recognises (VID:PID, vendor, model,
 * serial, bus path) and why it got its class.
 *
 * A "device" is a USB device with everything below it that is its own
 * (interfaces, and the nodes their drivers made: usbfs, video4linux, hidraw,
 * tty, usblp, input, block; not the devices plugged into it if it is a hub),
 * or a lone device node without USB (a platform camera). Each of its
 * nodes becomes an exact entry in the kernel's watched-device map, under the
 * device's class. Minors are reused, so a device that leaves takes every one
 * of its entries with it. Pure data: no udev here (udevice.h fills it).
 */
#ifndef IDG_DEVICES_H
#define IDG_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

struct idg_policy;
struct idg_watchlist;

struct idg_device_node {
	uint8_t dev_type;   /* enum idg_dev_type */
	uint32_t major;
	uint32_t minor;
	char *devnode;      /* "/dev/bus/usb/001/004", or NULL when udev has no name */
	char *subsystem;    /* "usb", "video4linux", "hidraw", ... */
};

struct idg_device {
	char *syspath;      /* the key: the USB device, or the lone node's device */
	uint32_t device_id; /* in the kernel map and in events; see idg_device_classify() */
	uint8_t class_id;
	char *matched_by;   /* idg_classification_explain() */
	char vid_pid[10];   /* "0400:c35a", "" without USB */
	char *vendor;       /* udev hwdb name, else the USB descriptor string */
	char *model;
	char *serial;
	char *bus_path;     /* udev ID_PATH: the port, stable across replugs */
	struct idg_device_node *nodes;
	size_t n_nodes;
	struct idg_device_facts facts;
	uint64_t seen_usec; /* CLOCK_REALTIME when it was first seen */
};

void idg_device_free(struct idg_device *dev);
/* -ENOMEM only. */
int idg_device_add_node(struct idg_device *dev, unsigned dev_type, uint32_t major, uint32_t minor,
			const char *devnode, const char *subsystem);

/* Classifies dev under policy and sets class_id, matched_by and device_id.
 * The id is a hash of syspath, VID:PID, serial and class: stable across
 * daemon restarts (records waiting in the ring buffer still name it), new
 * when another device takes the same port or the class changes. */
int idg_device_classify(struct idg_device *dev, const struct idg_policy *policy);

/* "Canon CanoScan LiDE 300 (04a9:1913)", "USB device 1234:5678",
 * "/dev/video0": what a person recognises. */
void idg_device_label(const struct idg_device *dev, char *buf, size_t size);

/* Devices that left are kept this long (count) to describe records the
 * kernel raised while they were there. */
#define IDG_DEVICES_RETIRED_KEEP 64

struct idg_device_table {
	struct idg_device **items;
	size_t count;
	size_t capacity;
	struct idg_device *retired[IDG_DEVICES_RETIRED_KEEP];
	size_t retired_next;
};

void idg_devtable_clear(struct idg_device_table *table);
/* Takes dev. A device with the same syspath is replaced and handed back in
 * *ret_old (NULL if none) for the caller to compare, then retire or free. */
int idg_devtable_put(struct idg_device_table *table, struct idg_device *dev, struct idg_device **ret_old);
/* Removes and returns the device with this syspath, or NULL. */
struct idg_device *idg_devtable_take(struct idg_device_table *table, const char *syspath);
/* Keeps a device that left (taking it) for idg_devtable_by_id(). */
void idg_devtable_retire(struct idg_device_table *table, struct idg_device *dev);

struct idg_device *idg_devtable_get(const struct idg_device_table *table, const char *syspath);
/* The device whose syspath is path or its nearest ancestor, or NULL. */
struct idg_device *idg_devtable_owner(const struct idg_device_table *table, const char *path);
/* Present devices first, then retired ones. */
const struct idg_device *idg_devtable_by_id(const struct idg_device_table *table, uint32_t device_id);
const struct idg_device *idg_devtable_by_node(const struct idg_device_table *table, unsigned dev_type,
					      uint32_t major, uint32_t minor);

/* The list the kernel map must hold: the policy's Device= entries, plus one
 * exact entry per node of every device. A Device= line naming that exact
 * node wins over the device (the administrator wrote it down). */
int idg_devtable_watchlist(const struct idg_device_table *table, const struct idg_watchlist *policy_list,
			   struct idg_watchlist **ret_list);

#endif
