// SPDX-License-Identifier: GPL-2.0-only
/*
 * Following devices: enumerate at start, then the udev monitor. Every change
 * is classified under the policy in force and written into the kernel's
 * watched-device map at once, together with the policy's Device= entries
 * (idg_devtable_watchlist()). A node nobody has classified yet falls under
 * the policy's whole-major entries (189:* and 81:* are "unclassified" in the
 * shipped policy), so the hotplug race is closed in the kernel, not here.
 *
 * Sources: the "udev" monitor carries what systemd-udevd has processed (with
 * its properties: hwdb names, libsane_matched, ID_USB_INTERFACES). Where
 * systemd-udevd does not run, the "kernel" monitor is read as well and
 * devices are recognised from sysfs alone. A monitor that overflowed
 * (ENOBUFS: events were lost) makes the daemon enumerate everything again.
 */
#include "daemon.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "names.h"
#include "udevice.h"

#define MONITOR_BUFFER_BYTES (4 << 20)

static void device_record(struct daemon *d, const struct idg_device *dev, const char *what, const char *previous_class)
{
	struct idg_record rec;
	char label[256], nodes[1024] = "";
	size_t used = 0;
	int mode = idg_policy_effective_mode(d->policy, dev->class_id);
	bool removed = streq(what, "removed");

	idg_device_label(dev, label, sizeof(label));
	for (size_t i = 0; i < dev->n_nodes && used < sizeof(nodes); i++)
		used += (size_t)snprintf(nodes + used, sizeof(nodes) - used, "%s%s", i ? " " : "",
					 dev->nodes[i].devnode ? dev->nodes[i].devnode : "?");
	idg_record_init(&rec, removed ? IDG_MSG_DEVICE_REMOVED : IDG_MSG_DEVICE_ADDED,
			dev->class_id == IDG_CLASS_UNCLASSIFIED && !removed ? LOG_NOTICE : LOG_INFO);
	if (removed)
		idg_record_add(&rec, "MESSAGE", "Device removed: %s %s", idg_class_name(dev->class_id), label);
	else if (previous_class)
		idg_record_add(&rec, "MESSAGE", "Device reclassified: %s is now %s (was %s), mode %s; rule: %s", label,
			       idg_class_name(dev->class_id), previous_class, idg_mode_name((unsigned)mode), dev->matched_by);
	else if (dev->class_id == IDG_CLASS_UNCLASSIFIED)
		idg_record_add(&rec, "MESSAGE", "Device %s: %s is not recognised by the policy and stays unclassified "
			       "(mode %s); to recognise it, add MatchVidPid=%s to its class", what, label,
			       idg_mode_name((unsigned)mode), dev->vid_pid[0] ? dev->vid_pid : "VENDOR:PRODUCT");
	else
		idg_record_add(&rec, "MESSAGE", "Device %s: %s %s, mode %s; rule: %s", what,
			       idg_class_name(dev->class_id), label, idg_mode_name((unsigned)mode), dev->matched_by);
	idg_record_add(&rec, "IDGUARD_DEVICE_EVENT", "%s", previous_class ? "reclassified" : what);
	idg_record_add(&rec, "IDGUARD_CLASS", "%s", idg_class_name(dev->class_id));
	if (previous_class)
		idg_record_add(&rec, "IDGUARD_PREVIOUS_CLASS", "%s", previous_class);
	idg_record_add(&rec, "IDGUARD_MODE", "%s", idg_mode_name((unsigned)mode));
	idg_record_add(&rec, "IDGUARD_DEVICE_LABEL", "%s", label);
	if (dev->vid_pid[0])
		idg_record_add(&rec, "IDGUARD_VID_PID", "%s", dev->vid_pid);
	if (dev->vendor)
		idg_record_add(&rec, "IDGUARD_VENDOR", "%s", dev->vendor);
	if (dev->model)
		idg_record_add(&rec, "IDGUARD_MODEL", "%s", dev->model);
	if (dev->serial)
		idg_record_add(&rec, "IDGUARD_SERIAL", "%s", dev->serial);
	if (dev->bus_path)
		idg_record_add(&rec, "IDGUARD_BUS_PATH", "%s", dev->bus_path);
	idg_record_add(&rec, "IDGUARD_SYSPATH", "%s", dev->syspath);
	idg_record_add(&rec, "IDGUARD_NODES", "%s", nodes);
	idg_record_add(&rec, "IDGUARD_MATCHED_BY", "%s", dev->matched_by);
	daemon_send(d, &rec);
}

/* Reads and classifies the device at syspath; *ret is NULL when the policy
 * does not track it (or it is gone). */
static int read_device(struct daemon *d, const char *syspath, const char *skip, struct idg_device **ret)
{
	struct idg_device *dev = NULL;
	int r;

	*ret = NULL;
	r = idg_udev_read(d->udev, syspath, skip, &dev);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	r = idg_device_classify(dev, d->policy);
	if (r < 0 || dev->class_id == IDG_CLASS_NONE) {
		idg_device_free(dev);
		return r;
	}
	*ret = dev;
	return 0;
}

/* Enumerates every device into a fresh table. */
static int enumerate(struct daemon *d, struct idg_device_table *ret_table)
{
	struct idg_device_table table = { 0 };
	struct udev_enumerate *e = udev_enumerate_new(d->udev);
	struct udev_list_entry *entry;
	int r;

	if (!e)
		return -ENOMEM;
	r = udev_enumerate_scan_devices(e);
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		struct udev_device *part;
		struct idg_device *dev = NULL, *old;
		char owner[4096];

		if (r < 0)
			break;
		part = udev_device_new_from_syspath(d->udev, udev_list_entry_get_name(entry));
		if (!part)
			continue;
		if (idg_udev_owner(part, owner, sizeof(owner)) == 0 && !idg_devtable_get(&table, owner))
			r = read_device(d, owner, NULL, &dev);
		udev_device_unref(part);
		if (dev && (r = idg_devtable_put(&table, dev, &old)) < 0)
			idg_device_free(dev);
	}
	udev_enumerate_unref(e);
	if (r < 0) {
		idg_devtable_clear(&table);
		return r;
	}
	*ret_table = table;
	return 0;
}

int daemon_sync_kernel_watches(struct daemon *d, struct idg_error *err)
{
	struct idg_watchlist *list;
	int r = idg_devtable_watchlist(&d->devices, d->watches, &list);

	if (r < 0)
		return idg_error_set(err, r, "out of memory");
	r = idg_gate_sync_watches(d->gate, list, err);
	if (r < 0) {
		idg_watchlist_free(list);
		return r;
	}
	idg_watchlist_free(d->kernel_watches);
	d->kernel_watches = list;
	return 0;
}

/* A failed map update leaves a device unwatched or watched under its old
 * class: exit, so that a restart rebuilds the map from scratch. */
static void sync_or_stop(struct daemon *d)
{
	struct idg_error err;

	if (daemon_sync_kernel_watches(d, &err) < 0) {
		log_error("cannot update the kernel's watched devices: %s; exiting so a restart rebuilds them", err.message);
		daemon_stop(d, "kernel map update failure", true);
	}
}

static bool same_product(const struct idg_device *a, const struct idg_device *b)
{
	return streq(a->vid_pid, b->vid_pid) && streq(a->serial ?: "", b->serial ?: "");
}

/* Read again (another uevent, a reload), a device keeps its arrival time. */
static void keep_first_seen(struct idg_device *dev, const struct idg_device *was)
{
	if (was && same_product(dev, was))
		dev->seen_usec = was->seen_usec;
}

/* Puts dev (may be NULL: untracked) in place of what the table has at
 * syspath, and records what changed. */
static void replace_device(struct daemon *d, const char *syspath, struct idg_device *dev)
{
	struct idg_device *old = NULL;

	if (!dev) {
		old = idg_devtable_take(&d->devices, syspath);
		if (old) {
			device_record(d, old, "removed", NULL);
			idg_devtable_retire(&d->devices, old);
		}
		return;
	}
	if (idg_devtable_put(&d->devices, dev, &old) < 0) {
		log_error("out of memory recording %s", syspath);
		idg_device_free(dev);
		daemon_stop(d, "out of memory", true);
		return;
	}
	keep_first_seen(dev, old);
	if (!old)
		device_record(d, dev, "connected", NULL);
	else if (old->class_id != dev->class_id)
		device_record(d, dev, "connected", idg_class_name(old->class_id));
	/* Keep the old one for records raised under its id a moment ago. */
	if (old && old->device_id != dev->device_id)
		idg_devtable_retire(&d->devices, old);
	else
		idg_device_free(old);
}

static void handle_uevent(struct daemon *d, struct udev_device *event)
{
	const char *action = udev_device_get_action(event) ?: "change";
	const char *syspath = udev_device_get_syspath(event);
	struct idg_device *dev = NULL, *owner_dev;
	char owner[4096];
	int r;

	if (!syspath)
		return;
	if (streq(action, "remove")) {
		if (idg_devtable_get(&d->devices, syspath)) {
			replace_device(d, syspath, NULL);
			return;
		}
		/* A part of a device left: read the device again without it. */
		owner_dev = idg_devtable_owner(&d->devices, syspath);
		if (!owner_dev)
			return;
		(void)snprintf(owner, sizeof(owner), "%s", owner_dev->syspath);
		r = read_device(d, owner, syspath, &dev);
	} else {
		const char *old_path = udev_device_get_property_value(event, "DEVPATH_OLD");

		if (streq(action, "move") && old_path) {
			char old_syspath[4096];

			(void)snprintf(old_syspath, sizeof(old_syspath), "/sys%s", old_path);
			replace_device(d, old_syspath, NULL);
		}
		if (idg_udev_owner(event, owner, sizeof(owner)) < 0)
			return;
		r = read_device(d, owner, NULL, &dev);
	}
	if (r < 0) {
		log_error("cannot read %s: %s", owner, strerror(-r));
		return;
	}
	replace_device(d, owner, dev);
}

/* Puts a fresh enumeration in place of the table, recording what changed. */
static void replace_table(struct daemon *d, struct idg_device_table *fresh, bool record)
{
	for (size_t i = 0; i < d->devices.count; i++)
		if (record && !idg_devtable_get(fresh, d->devices.items[i]->syspath))
			device_record(d, d->devices.items[i], "removed", NULL);
	for (size_t i = 0; i < fresh->count; i++) {
		struct idg_device *dev = fresh->items[i];
		const struct idg_device *was = idg_devtable_get(&d->devices, dev->syspath);

		keep_first_seen(dev, was);
		if (!record)
			continue;
		if (!was)
			device_record(d, dev, "connected", NULL);
		else if (was->class_id != dev->class_id)
			device_record(d, dev, "connected", idg_class_name(was->class_id));
	}
	/* Devices that left, or came back under another id, stay describable
	 * for records raised a moment ago, with those that left earlier. */
	memcpy(fresh->retired, d->devices.retired, sizeof(fresh->retired));
	fresh->retired_next = d->devices.retired_next;
	memset(d->devices.retired, 0, sizeof(d->devices.retired));
	for (size_t i = 0; i < d->devices.count; i++) {
		struct idg_device *old = d->devices.items[i];
		const struct idg_device *now = idg_devtable_get(fresh, old->syspath);

		if (!now || now->device_id != old->device_id)
			idg_devtable_retire(fresh, old);
		else
			idg_device_free(old);
		d->devices.items[i] = NULL;
	}
	d->devices.count = 0;
	idg_devtable_clear(&d->devices);
	d->devices = *fresh;
}

/* Everything again, after lost events. */
static void rescan(struct daemon *d)
{
	struct idg_device_table fresh;
	int r = enumerate(d, &fresh);

	if (r < 0) {
		log_error("cannot enumerate devices after lost udev events: %s; exiting so a restart does", strerror(-r));
		daemon_stop(d, "device enumeration failure", true);
		return;
	}
	log_warning("udev events were lost (the monitor's buffer overflowed); all devices enumerated again");
	replace_table(d, &fresh, true);
}

static void on_monitor_ready(struct io_watch *watch, uint32_t events)
{
	struct daemon *d = watch->data;
	struct udev_monitor *monitor = watch == &d->udev_watch ? d->udev_monitor : d->kernel_monitor;
	bool lost = false;

	/* Drain what is queued, then update the kernel map once. libudev
	 * skips messages it filters or cannot parse; NULL means the queue is
	 * empty (EAGAIN), or that the kernel dropped messages (ENOBUFS). */
	for (;;) {
		struct udev_device *event;

		errno = 0;
		event = udev_monitor_receive_device(monitor);
		if (!event) {
			if (errno != ENOBUFS)
				break;
			lost = true;
			continue;
		}
		handle_uevent(d, event);
		udev_device_unref(event);
		if (d->stopping)
			return;
	}
	if (lost)
		rescan(d);
	sync_or_stop(d);
}

static int open_monitor(struct daemon *d, const char *source, struct udev_monitor **ret, struct idg_error *err)
{
	struct udev_monitor *monitor = udev_monitor_new_from_netlink(d->udev, source);
	int r;

	if (!monitor)
		return idg_error_errno(err, -(errno ?: ENOMEM), "cannot open the %s device monitor", source);
	/* A burst (a hub with many devices) must not overflow it; needs
	 * CAP_NET_ADMIN, which the daemon still has here. */
	(void)udev_monitor_set_receive_buffer_size(monitor, MONITOR_BUFFER_BYTES);
	r = udev_monitor_enable_receiving(monitor);
	if (r < 0) {
		udev_monitor_unref(monitor);
		return idg_error_errno(err, r, "cannot listen to %s device events", source);
	}
	*ret = monitor;
	return 0;
}

int daemon_devices_open(struct daemon *d, struct idg_error *err)
{
	int r;

	d->udev = udev_new();
	if (!d->udev)
		return idg_error_errno(err, -(errno ?: ENOMEM), "cannot use libudev");
	d->udevd_running = access("/run/udev/control", F_OK) == 0;
	/* Listen first, then enumerate: a device that arrives in between is
	 * seen twice rather than never. */
	r = open_monitor(d, "udev", &d->udev_monitor, err);
	if (r == 0 && !d->udevd_running)
		r = open_monitor(d, "kernel", &d->kernel_monitor, err);
	if (r < 0)
		return r;
	if (!d->udevd_running)
		log_notice("systemd-udevd is not running: devices are recognised from sysfs and kernel events only; "
			   "properties that udev rules set (such as libsane_matched=yes) are missing, so MatchProperty= "
			   "lines that need them cannot match");
	r = enumerate(d, &d->devices);
	if (r < 0)
		return idg_error_errno(err, r, "cannot enumerate devices");
	return 0;
}

int daemon_devices_watch(struct daemon *d)
{
	int r;

	d->udev_watch = (struct io_watch){ .fd = udev_monitor_get_fd(d->udev_monitor), .on_ready = on_monitor_ready, .data = d };
	r = daemon_watch_fd(d, &d->udev_watch, EPOLLIN);
	if (r == 0 && d->kernel_monitor) {
		d->kernel_watch = (struct io_watch){ .fd = udev_monitor_get_fd(d->kernel_monitor),
						     .on_ready = on_monitor_ready, .data = d };
		r = daemon_watch_fd(d, &d->kernel_watch, EPOLLIN);
	}
	return r;
}

void daemon_devices_announce(struct daemon *d)
{
	for (size_t i = 0; i < d->devices.count; i++)
		device_record(d, d->devices.items[i], "present", NULL);
}

int daemon_devices_reclassify(struct daemon *d, bool record)
{
	struct idg_device_table fresh;
	int r;

	if (!d->udev || !d->started_usec)
		return 0; /* at start-up: the first enumeration used this policy */
	/* Enumerate again rather than reclassify the table: a new line may
	 * also match a node that was none of our business so far. */
	r = enumerate(d, &fresh);
	if (r < 0)
		return r;
	replace_table(d, &fresh, record);
	return 0;
}

void daemon_devices_close(struct daemon *d)
{
	if (d->udev_monitor)
		udev_monitor_unref(d->udev_monitor);
	if (d->kernel_monitor)
		udev_monitor_unref(d->kernel_monitor);
	if (d->udev)
		udev_unref(d->udev);
	idg_devtable_clear(&d->devices);
	idg_watchlist_free(d->kernel_watches);
}
