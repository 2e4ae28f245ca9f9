// SPDX-License-Identifier: GPL-2.0-only
/* Match rules and the class decision (see classify.h). */
#include "classify.h"

#include <errno.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "policy.h"
#include "util.h"

static const char *const key_names[] = {
	[IDG_MATCH_VID_PID] = "MatchVidPid",
	[IDG_MATCH_USB_INTERFACE] = "MatchUSBInterface",
	[IDG_MATCH_PROPERTY] = "MatchProperty",
	[IDG_MATCH_SUBSYSTEM] = "MatchSubsystem",
};

/* Rule 2 of classify.h: the class that guards most comes first. */
static const unsigned class_order[] = {
	IDG_CLASS_SCANNER, IDG_CLASS_CAMERA, IDG_CLASS_CARD_READER,
	IDG_CLASS_PRINTER, IDG_CLASS_STORAGE, IDG_CLASS_OTHER,
};

const char *idg_match_key_name(unsigned kind)
{
	return kind < ARRAY_SIZE(key_names) && key_names[kind] ? key_names[kind] : "Match?";
}

unsigned idg_match_kind_from_key(const char *key)
{
	for (unsigned k = 1; k < ARRAY_SIZE(key_names); k++)
		if (streq(key_names[k], key))
			return k;
	return 0;
}

/* Exactly `digits` hex digits, or "*" when any is allowed. */
static int parse_hex(const char *s, size_t len, unsigned digits, bool star_ok, int32_t *ret)
{
	unsigned long v = 0;

	if (star_ok && len == 1 && s[0] == '*') {
		*ret = IDG_MATCH_ANY;
		return 0;
	}
	if (len != digits)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned long)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = (int32_t)v;
	return 0;
}

static int parse_vid_pid(const char *word, struct idg_match_rule *rule, struct idg_error *err)
{
	const char *colon = strchr(word, ':');

	if (!colon || parse_hex(word, (size_t)(colon - word), 4, false, &rule->vid) < 0 ||
	    parse_hex(colon + 1, strlen(colon + 1), 4, true, &rule->pid) < 0)
		return idg_error_set(err, -EINVAL,
				     "MatchVidPid '%s' must be VENDOR:PRODUCT in 4 hex digits each, as lsusb shows them "
				     "(e.g. 0400:c35a), or VENDOR:* for every product of a vendor", word);
	return 0;
}

static int parse_interface(const char *word, struct idg_match_rule *rule, struct idg_error *err)
{
	int32_t parts[3] = { IDG_MATCH_ANY, IDG_MATCH_ANY, IDG_MATCH_ANY };
	const char *p = word;
	unsigned n = 0;

	for (;;) {
		size_t len = strcspn(p, ":");

		if (n == 3 || parse_hex(p, len, 2, n > 0, &parts[n]) < 0)
			return idg_error_set(err, -EINVAL,
					     "MatchUSBInterface '%s' must be CLASS[:SUBCLASS[:PROTOCOL]] in 2 hex digits "
					     "each, '*' for any subclass or protocol (e.g. 06, 0e:01:*, 0b)", word);
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	rule->usb_class = (int16_t)parts[0];
	rule->usb_subclass = (int16_t)parts[1];
	rule->usb_protocol = (int16_t)parts[2];
	return 0;
}

static bool valid_name(const char *s, bool allow_dash)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || (allow_dash && (*s == '-' || *s == '.'))))
			return false;
	return true;
}

int idg_match_rule_parse(unsigned kind, const char *word, struct idg_match_rule *ret, struct idg_error *err)
{
	struct idg_match_rule rule = { .kind = (uint8_t)kind };
	const char *eq;
	int r;

	switch (kind) {
	case IDG_MATCH_VID_PID:
		r = parse_vid_pid(word, &rule, err);
		break;
	case IDG_MATCH_USB_INTERFACE:
		r = parse_interface(word, &rule, err);
		break;
	case IDG_MATCH_PROPERTY:
		eq = strchr(word, '=');
		if (!eq || eq == word || !eq[1]) {
			r = idg_error_set(err, -EINVAL,
					  "MatchProperty '%s' must be KEY=VALUE, a udev property and a value or glob "
					  "(e.g. libsane_matched=yes)", word);
			break;
		}
		if (!(rule.name = strndup(word, (size_t)(eq - word))) || !(rule.value = strdup(eq + 1))) {
			r = -ENOMEM;
			break;
		}
		r = valid_name(rule.name, false) ? 0
			: idg_error_set(err, -EINVAL, "MatchProperty '%s': '%s' is not a udev property name "
				       "(letters, digits and '_')", word, rule.name);
		break;
	case IDG_MATCH_SUBSYSTEM:
		if (!valid_name(word, true)) {
			r = idg_error_set(err, -EINVAL, "MatchSubsystem '%s' is not a subsystem name (e.g. video4linux)",
					  word);
			break;
		}
		r = (rule.name = strdup(word)) ? 0 : -ENOMEM;
		break;
	default:
		r = idg_error_set(err, -EINVAL, "unknown match kind %u", kind);
		break;
	}
	if (r < 0) {
		idg_match_rule_free(&rule);
		return r == -ENOMEM ? idg_error_set(err, r, "out of memory") : r;
	}
	*ret = rule;
	return 0;
}

void idg_match_rule_free(struct idg_match_rule *rule)
{
	free(rule->name);
	free(rule->value);
	rule->name = rule->value = NULL;
}

static void format_hex_or_any(char *buf, size_t size, int32_t v, unsigned digits)
{
	if (v == IDG_MATCH_ANY)
		(void)snprintf(buf, size, "*");
	else
		(void)snprintf(buf, size, "%0*x", (int)digits, (unsigned)v);
}

void idg_match_rule_format(const struct idg_match_rule *rule, char *buf, size_t size)
{
	char a[8], b[8], c[8];
	const char *key = idg_match_key_name(rule->kind);

	switch (rule->kind) {
	case IDG_MATCH_VID_PID:
		format_hex_or_any(b, sizeof(b), rule->pid, 4);
		(void)snprintf(buf, size, "%s=%04x:%s", key, (unsigned)rule->vid, b);
		break;
	case IDG_MATCH_USB_INTERFACE:
		format_hex_or_any(a, sizeof(a), rule->usb_class, 2);
		format_hex_or_any(b, sizeof(b), rule->usb_subclass, 2);
		format_hex_or_any(c, sizeof(c), rule->usb_protocol, 2);
		if (rule->usb_subclass == IDG_MATCH_ANY && rule->usb_protocol == IDG_MATCH_ANY)
			(void)snprintf(buf, size, "%s=%s", key, a);
		else
			(void)snprintf(buf, size, "%s=%s:%s:%s", key, a, b, c);
		break;
	case IDG_MATCH_PROPERTY:
		(void)snprintf(buf, size, "%s=%s=%s", key, rule->name, rule->value);
		break;
	default:
		(void)snprintf(buf, size, "%s=%s", key, rule->name ? rule->name : "");
		break;
	}
}

/* ---- facts ------------------------------------------------------------------ */

void idg_facts_clear(struct idg_device_facts *facts)
{
	for (size_t i = 0; i < facts->n_subsystems; i++)
		free(facts->subsystems[i]);
	for (size_t i = 0; i < facts->n_properties; i++)
		free(facts->properties[i]);
	memset(facts, 0, sizeof(*facts));
}

int idg_facts_add_interface(struct idg_device_facts *facts, unsigned usb_class, unsigned usb_subclass,
			    unsigned usb_protocol)
{
	for (size_t i = 0; i < facts->n_interfaces; i++)
		if (facts->interfaces[i].usb_class == usb_class && facts->interfaces[i].usb_subclass == usb_subclass &&
		    facts->interfaces[i].usb_protocol == usb_protocol)
			return 0;
	if (usb_class > 0xff || usb_subclass > 0xff || usb_protocol > 0xff)
		return 0;
	if (facts->n_interfaces == IDG_FACTS_MAX_INTERFACES) {
		facts->interfaces_truncated = true;
		return 0;
	}
	facts->interfaces[facts->n_interfaces].usb_class = (uint8_t)usb_class;
	facts->interfaces[facts->n_interfaces].usb_subclass = (uint8_t)usb_subclass;
	facts->interfaces[facts->n_interfaces].usb_protocol = (uint8_t)usb_protocol;
	facts->n_interfaces++;
	return 0;
}

int idg_facts_add_subsystem(struct idg_device_facts *facts, const char *subsystem)
{
	for (size_t i = 0; i < facts->n_subsystems; i++)
		if (streq(facts->subsystems[i], subsystem))
			return 0;
	if (facts->n_subsystems == IDG_FACTS_MAX_SUBSYSTEMS)
		return 0;
	if (!(facts->subsystems[facts->n_subsystems] = strdup(subsystem)))
		return -ENOMEM;
	facts->n_subsystems++;
	return 0;
}

int idg_facts_add_property(struct idg_device_facts *facts, const char *key, const char *value)
{
	char *kv;

	if (facts->n_properties == IDG_FACTS_MAX_PROPERTIES)
		return 0;
	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < facts->n_properties; i++)
		if (streq(facts->properties[i], kv)) {
			free(kv);
			return 0;
		}
	facts->properties[facts->n_properties++] = kv;
	return 0;
}

int idg_facts_add_interface_list(struct idg_device_facts *facts, const char *list)
{
	int n = 0;

	/* ":060101:ff0000:" - six hex digits per interface between colons. */
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ":");
		int32_t c, s, pr;

		if (len == 6 && parse_hex(p, 2, 2, false, &c) == 0 && parse_hex(p + 2, 2, 2, false, &s) == 0 &&
		    parse_hex(p + 4, 2, 2, false, &pr) == 0) {
			if (idg_facts_add_interface(facts, (unsigned)c, (unsigned)s, (unsigned)pr) < 0)
				return -ENOMEM;
			n++;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return n;
}

/* ---- the decision --------------------------------------------------------------- */

static bool field_matches(int16_t want, uint8_t have)
{
	return want == IDG_MATCH_ANY || (unsigned)want == have;
}

static bool interface_matches(const struct idg_match_rule *rule, const struct idg_device_facts *facts, size_t i)
{
	return field_matches(rule->usb_class, facts->interfaces[i].usb_class) &&
	       field_matches(rule->usb_subclass, facts->interfaces[i].usb_subclass) &&
	       field_matches(rule->usb_protocol, facts->interfaces[i].usb_protocol);
}

static bool property_matches(const struct idg_match_rule *rule, const struct idg_device_facts *facts)
{
	size_t key_len = strlen(rule->name);

	for (size_t i = 0; i < facts->n_properties; i++) {
		const char *kv = facts->properties[i];

		if (!strncmp(kv, rule->name, key_len) && kv[key_len] == '=' &&
		    fnmatch(rule->value, kv + key_len + 1, 0) == 0)
			return true;
	}
	return false;
}

static bool rule_matches(const struct idg_match_rule *rule, const struct idg_device_facts *facts)
{
	switch (rule->kind) {
	case IDG_MATCH_VID_PID:
		return facts->usb && (uint32_t)rule->vid == facts->vid &&
		       (rule->pid == IDG_MATCH_ANY || (uint32_t)rule->pid == facts->pid);
	case IDG_MATCH_USB_INTERFACE:
		for (size_t i = 0; i < facts->n_interfaces; i++)
			if (interface_matches(rule, facts, i))
				return true;
		return false;
	case IDG_MATCH_PROPERTY:
		return property_matches(rule, facts);
	case IDG_MATCH_SUBSYSTEM:
		for (size_t i = 0; i < facts->n_subsystems; i++)
			if (streq(facts->subsystems[i], rule->name))
				return true;
		return false;
	}
	return false;
}

/* Rule 3: every interface matches one of other's MatchUSBInterface lines.
 * Returns the first line that matched, as the one to name. */
static const struct idg_match_rule *all_interfaces_other(const struct idg_policy *policy,
							  const struct idg_device_facts *facts)
{
	const struct idg_match_rule *first = NULL;

	if (facts->n_interfaces == 0 || facts->interfaces_truncated)
		return NULL;
	for (size_t i = 0; i < facts->n_interfaces; i++) {
		const struct idg_match_rule *hit = NULL;

		for (size_t m = 0; m < policy->n_matches && !hit; m++) {
			const struct idg_match_rule *rule = &policy->matches[m];

			if (rule->class_id == IDG_CLASS_OTHER && rule->kind == IDG_MATCH_USB_INTERFACE &&
			    interface_matches(rule, facts, i))
				hit = rule;
		}
		if (!hit)
			return NULL;
		if (!first)
			first = hit;
	}
	return first;
}

void idg_classify(const struct idg_policy *policy, const struct idg_device_facts *facts,
		  struct idg_classification *ret)
{
	const struct idg_match_rule *by_vid = NULL, *by_vid_any = NULL;

	*ret = (struct idg_classification){ .class_id = IDG_CLASS_NONE };

	/* 1. A product the site named. */
	for (size_t m = 0; m < policy->n_matches; m++) {
		const struct idg_match_rule *rule = &policy->matches[m];

		if (rule->kind != IDG_MATCH_VID_PID || !rule_matches(rule, facts))
			continue;
		if (rule->pid != IDG_MATCH_ANY && !by_vid)
			by_vid = rule;
		else if (rule->pid == IDG_MATCH_ANY && !by_vid_any)
			by_vid_any = rule;
	}
	if (by_vid || by_vid_any) {
		ret->rule = by_vid ? by_vid : by_vid_any;
		ret->class_id = ret->rule->class_id;
		return;
	}
	/* 2 and 3. The first class, in guarding order, with a matching line. */
	for (size_t c = 0; c < ARRAY_SIZE(class_order); c++) {
		unsigned class_id = class_order[c];

		for (size_t m = 0; m < policy->n_matches; m++) {
			const struct idg_match_rule *rule = &policy->matches[m];

			if (rule->class_id != class_id || rule->kind == IDG_MATCH_VID_PID)
				continue;
			if (class_id == IDG_CLASS_OTHER && rule->kind == IDG_MATCH_USB_INTERFACE)
				continue; /* judged as a whole below */
			if (rule_matches(rule, facts)) {
				ret->class_id = class_id;
				ret->rule = rule;
				return;
			}
		}
		if (class_id == IDG_CLASS_OTHER && (ret->rule = all_interfaces_other(policy, facts))) {
			ret->class_id = class_id;
			return;
		}
	}
	/* 4. */
	if (facts->usb)
		ret->class_id = IDG_CLASS_UNCLASSIFIED;
}

void idg_classification_explain(const struct idg_classification *c, char *buf, size_t size)
{
	char rule[256];

	if (!c->rule) {
		(void)snprintf(buf, size, "%s", c->class_id == IDG_CLASS_UNCLASSIFIED
					 ? "no policy line recognises this USB device"
					 : "no policy line recognises this device");
		return;
	}
	idg_match_rule_format(c->rule, rule, sizeof(rule));
	if (c->rule->class_id == IDG_CLASS_OTHER && c->rule->kind == IDG_MATCH_USB_INTERFACE)
		(void)snprintf(buf, size, "every USB interface matches [Class other] lines such as %s (%s:%u)", rule,
			       c->rule->file, c->rule->line);
	else
		(void)snprintf(buf, size, "%s (%s:%u)", rule, c->rule->file, c->rule->line);
}
