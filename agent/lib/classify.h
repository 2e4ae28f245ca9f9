/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Recognising devices: the Match*= lines of a [Class NAME] section, and the
 * decision which class a device belongs to, given what udev and sysfs say
 * about it (its "facts"). Pure: no udev here (see udevice.h), so the rules
 * are unit-tested and `idguardctl policy check` validates them anywhere.
 *
 * Which rule decides, when several classes match:
 *   1. MatchVidPid with an exact product id; then MatchVidPid=VVVV:*: the
 *      site named that product, nothing is more specific;
 *   2. otherwise the first class in the order scanner, camera, card-reader,
 *      printer, storage, other: the class that guards most wins, so a
 *      printer that also scans is a scanner;
 *   3. [Class other] takes a device by MatchUSBInterface only when *every*
 *      interface of the device matches one of its lines: a keyboard (03) is
 *      other, a scanner with HID buttons and a vendor interface (03 + ff) is
 *      not;
 *   4. a USB device nothing matches is "unclassified"; a device without USB
 *      nothing matches is not tracked at all.
 */
#ifndef IDG_CLASSIFY_H
#define IDG_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idg_error;
struct idg_policy;

enum idg_match_kind {
	IDG_MATCH_VID_PID = 1,       /* MatchVidPid=0400:c35a, 04a9:* */
	IDG_MATCH_USB_INTERFACE = 2, /* MatchUSBInterface=06, 0e:01:*, ff:ff:ff */
	IDG_MATCH_PROPERTY = 3,      /* MatchProperty=libsane_matched=yes (value: a glob) */
	IDG_MATCH_SUBSYSTEM = 4,     /* MatchSubsystem=video4linux */
};

#define IDG_MATCH_ANY (-1)

struct idg_match_rule {
	uint8_t class_id;
	uint8_t kind;               /* enum idg_match_kind */
	int32_t vid, pid;           /* VID_PID; pid may be IDG_MATCH_ANY */
	int16_t usb_class, usb_subclass, usb_protocol; /* USB_INTERFACE; each may be ANY */
	char *name;                 /* PROPERTY key, SUBSYSTEM name */
	char *value;                /* PROPERTY value glob */
	const char *file;
	unsigned line;
};

/* The policy key for a kind ("MatchVidPid"), and the reverse (0: unknown). */
const char *idg_match_key_name(unsigned kind);
unsigned idg_match_kind_from_key(const char *key);

/* Parses one word of a Match*= line. -EINVAL with a message in err. */
int idg_match_rule_parse(unsigned kind, const char *word, struct idg_match_rule *ret, struct idg_error *err);
void idg_match_rule_free(struct idg_match_rule *rule);
/* "MatchVidPid=0400:c35a" */
void idg_match_rule_format(const struct idg_match_rule *rule, char *buf, size_t size);

#define IDG_FACTS_MAX_INTERFACES 32
#define IDG_FACTS_MAX_SUBSYSTEMS 16
#define IDG_FACTS_MAX_PROPERTIES 512

/* What is known about one device: the USB device and everything below it
 * (interfaces and the nodes drivers made), or a lone device node. */
struct idg_device_facts {
	bool usb;
	uint16_t vid, pid;
	struct {
		uint8_t usb_class, usb_subclass, usb_protocol;
	} interfaces[IDG_FACTS_MAX_INTERFACES];
	size_t n_interfaces;
	bool interfaces_truncated;  /* more than fit: never "every interface is harmless" */
	char *subsystems[IDG_FACTS_MAX_SUBSYSTEMS]; /* of the nodes */
	size_t n_subsystems;
	char *properties[IDG_FACTS_MAX_PROPERTIES]; /* "KEY=VALUE", of every part */
	size_t n_properties;
};

void idg_facts_clear(struct idg_device_facts *facts);
/* Adders ignore duplicates and what does not fit. -ENOMEM only. */
int idg_facts_add_interface(struct idg_device_facts *facts, unsigned usb_class, unsigned usb_subclass,
			    unsigned usb_protocol);
int idg_facts_add_subsystem(struct idg_device_facts *facts, const char *subsystem);
int idg_facts_add_property(struct idg_device_facts *facts, const char *key, const char *value);
/* ID_USB_INTERFACES as udev writes it (":060101:ff0000:"). Returns the
 * number of interfaces read. */
int idg_facts_add_interface_list(struct idg_device_facts *facts, const char *list);

struct idg_classification {
	unsigned class_id;                 /* IDG_CLASS_NONE: not ours to track */
	const struct idg_match_rule *rule; /* the deciding line; NULL for unclassified */
};

void idg_classify(const struct idg_policy *policy, const struct idg_device_facts *facts,
		  struct idg_classification *ret);

/* Why, for people: "MatchVidPid=0400:c35a (/etc/idguard/policy.d/50-site.conf:4)",
 * "every USB interface matches [Class other] MatchUSBInterface=03 (...)", or
 * "no policy line recognises this USB device". */
void idg_classification_explain(const struct idg_classification *c, char *buf, size_t size);

#endif
