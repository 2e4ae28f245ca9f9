// SPDX-License-Identifier: GPL-2.0-only
/* Reading devices through libudev (see udevice.h). */
#include "udevice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "idguard.h"
#include "util.h"

static bool is_usb_device(struct udev_device *dev)
{
	return streq(udev_device_get_subsystem(dev) ?: "", "usb") && streq(udev_device_get_devtype(dev) ?: "", "usb_device");
}

int idg_udev_owner(struct udev_device *dev, char *buf, size_t size)
{
	struct udev_device *usb = is_usb_device(dev) ? dev
				  : udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device");

	if (!usb && udev_device_get_devnum(dev) == 0)
		return -ENOENT;
	(void)snprintf(buf, size, "%s", udev_device_get_syspath(usb ? usb : dev));
	return 0;
}

/* First of: a udev property, a sysfs attribute, another property. */
static const char *first_of(struct udev_device *dev, const char *prop, const char *attr, const char *prop2)
{
	const char *v = prop ? udev_device_get_property_value(dev, prop) : NULL;

	if ((!v || !*v) && attr)
		v = udev_device_get_sysattr_value(dev, attr);
	if ((!v || !*v) && prop2)
		v = udev_device_get_property_value(dev, prop2);
	return v && *v ? v : NULL;
}

/* A copy for display: trimmed, control characters replaced. A device names
 * itself with these strings, so they are not trusted to be tidy. */
static int set_text(char **slot, const char *value)
{
	size_t len;
	char *copy;

	if (!value)
		return 0;
	while (*value == ' ')
		value++;
	len = strnlen(value, 128);
	while (len && (value[len - 1] == ' ' || value[len - 1] == '\n'))
		len--;
	if (!len)
		return 0;
	if (!(copy = strndup(value, len)))
		return -ENOMEM;
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	free(*slot);
	*slot = copy;
	return 0;
}

static unsigned long hex_attr(struct udev_device *dev, const char *attr, const char *prop, bool *ok)
{
	const char *v = first_of(dev, NULL, attr, prop);
	char *end;
	unsigned long n;

	if (!v) {
		*ok = false;
		return 0;
	}
	errno = 0;
	n = strtoul(v, &end, 16);
	if (errno || end == v || (*end && *end != '\n'))
		*ok = false;
	return n;
}

static int read_identity(struct idg_device *out, struct udev_device *root, bool usb)
{
	int r;

	if (usb) {
		bool ok = true;
		unsigned long vid = hex_attr(root, "idVendor", "ID_VENDOR_ID", &ok);
		unsigned long pid = hex_attr(root, "idProduct", "ID_MODEL_ID", &ok);

		if (ok && vid <= 0xffff && pid <= 0xffff) {
			out->facts.vid = (uint16_t)vid;
			out->facts.pid = (uint16_t)pid;
			(void)snprintf(out->vid_pid, sizeof(out->vid_pid), "%04lx:%04lx", vid, pid);
		}
		out->facts.usb = true;
	}
	r = set_text(&out->vendor, first_of(root, "ID_VENDOR_FROM_DATABASE", "manufacturer", "ID_VENDOR"));
	if (r == 0)
		r = set_text(&out->model, first_of(root, "ID_MODEL_FROM_DATABASE", usb ? "product" : "name", "ID_MODEL"));
	if (r == 0)
		r = set_text(&out->serial, first_of(root, "ID_SERIAL_SHORT", "serial", NULL));
	if (r == 0)
		r = set_text(&out->bus_path, first_of(root, "ID_PATH", NULL, NULL));
	if (r == 0 && !out->bus_path && usb) {
		char port[160];

		/* Without udev's ID_PATH: the kernel's name is bus-port.port... */
		(void)snprintf(port, sizeof(port), "usb-%s", udev_device_get_sysname(root));
		r = set_text(&out->bus_path, port);
	}
	return r;
}

static unsigned hex_or_zero(struct udev_device *dev, const char *attr)
{
	bool ok = true;
	unsigned long v = hex_attr(dev, attr, NULL, &ok);

	return ok && v <= 0xff ? (unsigned)v : 0;
}

/* One part of the device: its node, subsystem, properties, interface class. */
static int read_part(struct idg_device *out, struct udev_device *part)
{
	const char *subsystem = udev_device_get_subsystem(part) ?: "";
	dev_t devnum = udev_device_get_devnum(part);
	struct udev_list_entry *entry;
	int r = 0;

	if (devnum != 0) {
		r = idg_device_add_node(out, streq(subsystem, "block") ? IDG_DEV_BLOCK : IDG_DEV_CHAR, major(devnum),
					minor(devnum), udev_device_get_devnode(part), subsystem);
		if (r == 0)
			r = idg_facts_add_subsystem(&out->facts, subsystem);
	}
	udev_list_entry_foreach(entry, udev_device_get_properties_list_entry(part)) {
		if (r < 0)
			break;
		r = idg_facts_add_property(&out->facts, udev_list_entry_get_name(entry),
					   udev_list_entry_get_value(entry) ?: "");
	}
	if (r == 0 && streq(udev_device_get_devtype(part) ?: "", "usb_interface") &&
	    udev_device_get_sysattr_value(part, "bInterfaceClass"))
		r = idg_facts_add_interface(&out->facts, hex_or_zero(part, "bInterfaceClass"),
					    hex_or_zero(part, "bInterfaceSubClass"), hex_or_zero(part, "bInterfaceProtocol"));
	if (r == 0 && streq(udev_device_get_devtype(part) ?: "", "usb_device")) {
		const char *list = udev_device_get_property_value(part, "ID_USB_INTERFACES");

		if (list && idg_facts_add_interface_list(&out->facts, list) < 0)
			r = -ENOMEM;
	}
	return r;
}

static bool under(const char *path, const char *top)
{
	size_t len = top ? strlen(top) : 0;

	return top && !strncmp(path, top, len) && (path[len] == '\0' || path[len] == '/');
}

/* Everything below a USB device that is its own: its interfaces and their
 * nodes, but not the devices plugged into it when it is a hub (each of
 * those is a device of its own, with its own class). */
static int read_below(struct udev *udev, struct idg_device *out, struct udev_device *root, const char *skip)
{
	struct udev_enumerate *e = udev_enumerate_new(udev);
	const char *root_path = udev_device_get_syspath(root);
	struct udev_list_entry *entry;
	int r;

	if (!e)
		return -ENOMEM;
	r = udev_enumerate_add_match_parent(e, root);
	if (r >= 0)
		r = udev_enumerate_scan_devices(e);
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		const char *path = udev_list_entry_get_name(entry);
		struct udev_device *part, *usb;

		if (r < 0)
			break;
		if (streq(path, root_path) || under(path, skip))
			continue;
		part = udev_device_new_from_syspath(udev, path);
		if (!part)
			continue; /* left while we looked */
		usb = is_usb_device(part) ? part : udev_device_get_parent_with_subsystem_devtype(part, "usb", "usb_device");
		if (usb && streq(udev_device_get_syspath(usb), root_path))
			r = read_part(out, part);
		udev_device_unref(part);
	}
	udev_enumerate_unref(e);
	return r < 0 ? r : 0;
}

int idg_udev_read(struct udev *udev, const char *syspath, const char *skip, struct idg_device **ret)
{
	struct udev_device *root = udev_device_new_from_syspath(udev, syspath);
	struct idg_device *out;
	bool usb;
	int r;

	if (!root)
		return -ENODEV;
	out = calloc(1, sizeof(*out));
	if (!out || !(out->syspath = strdup(syspath))) {
		free(out);
		udev_device_unref(root);
		return -ENOMEM;
	}
	out->seen_usec = idg_now_realtime_usec();
	usb = is_usb_device(root);
	r = read_identity(out, root, usb);
	if (r == 0)
		r = read_part(out, root);
	if (r == 0 && usb)
		r = read_below(udev, out, root, skip);
	udev_device_unref(root);
	if (r < 0) {
		idg_device_free(out);
		return r;
	}
	*ret = out;
	return 0;
}
