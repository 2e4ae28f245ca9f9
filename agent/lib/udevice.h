/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What udev knows about a device, read through libudev into a struct
 * idg_device (devices.h): its nodes, its identity and the facts the class
 * rules look at. Works from the udev database when systemd-udevd runs, and
 * from sysfs attributes alone when it does not (then udev properties such as
 * libsane_matched are missing, and VID:PID and interface classes remain).
 */
#ifndef IDG_UDEVICE_H
#define IDG_UDEVICE_H

#include <libudev.h>
#include <stddef.h>

#include "devices.h"

/* The syspath of the device dev belongs to: its USB device (dev itself when
 * it is one), else dev when it has a device node. -ENOENT when neither: dev
 * is none of our business. */
int idg_udev_owner(struct udev_device *dev, char *buf, size_t size);

/* Reads the device at syspath: a USB device with everything below it
 * (except what lies at or under skip: a part being removed), or a lone
 * node. Identity, nodes and facts are filled; class is not (see
 * idg_device_classify()). -ENODEV when it is gone. */
int idg_udev_read(struct udev *udev, const char *syspath, const char *skip, struct idg_device **ret);

#endif
