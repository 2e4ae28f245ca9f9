// SPDX-License-Identifier: GPL-2.0-only
/* Name tables for the ids shared with the kernel (see names.h). */
#include "names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const class_names[IDG_CLASS_COUNT] = {
	[IDG_CLASS_SCANNER] = "scanner",
	[IDG_CLASS_CAMERA] = "camera",
	[IDG_CLASS_CARD_READER] = "card-reader",
	[IDG_CLASS_PRINTER] = "printer",
	[IDG_CLASS_STORAGE] = "storage",
	[IDG_CLASS_UNCLASSIFIED] = "unclassified",
	[IDG_CLASS_OTHER] = "other",
};

static const char *const mode_names[] = {
	[IDG_MODE_OFF] = "off",
	[IDG_MODE_AUDIT] = "audit",
	[IDG_MODE_ENFORCE] = "enforce",
};

int idg_class_from_name(const char *name)
{
	for (unsigned i = 1; i < IDG_CLASS_COUNT; i++)
		if (class_names[i] && streq(class_names[i], name))
			return (int)i;
	return 0;
}

const char *idg_class_name(unsigned class_id)
{
	if (class_id < IDG_CLASS_COUNT && class_names[class_id])
		return class_names[class_id];
	return "unknown";
}

int idg_class_mask_parse(const char *list, uint32_t *ret_mask, char *bad, size_t bad_size)
{
	uint32_t mask = 0;
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		char word[32];
		int class_id = 0;

		if (len > 0 && len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = '\0';
			class_id = idg_class_from_name(word);
		}
		if (!class_id) {
			(void)snprintf(bad, bad_size, "%.*s", (int)len, p);
			return -EINVAL;
		}
		mask |= 1u << class_id;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!mask) {
		(void)snprintf(bad, bad_size, "%s", "");
		return -EINVAL;
	}
	*ret_mask = mask;
	return 0;
}

void idg_class_mask_format(uint32_t mask, char *buf, int size)
{
	int used = 0;

	buf[0] = '\0';
	for (unsigned i = 1; i < IDG_CLASS_COUNT && used < size; i++)
		if (mask & (1u << i))
			used += snprintf(buf + used, (size_t)(size - used), "%s%s", used ? "," : "", idg_class_name(i));
}

int idg_mode_from_name(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (streq(mode_names[i], name))
			return (int)i;
	return -EINVAL;
}

const char *idg_mode_name(unsigned mode)
{
	return mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "unknown";
}

const char *idg_verdict_name(unsigned verdict)
{
	switch (verdict) {
	case IDG_VERDICT_DENIED:
		return "denied";
	case IDG_VERDICT_AUDITED:
		return "audited";
	case IDG_VERDICT_GRANTED:
		return "granted";
	default:
		return "unknown";
	}
}

const char *idg_reason_name(unsigned reason)
{
	switch (reason) {
	case IDG_REASON_NO_GRANT:
		return "no-grant";
	case IDG_REASON_GRANT_EXPIRED:
		return "grant-expired";
	case IDG_REASON_GRANT_OTHER_CLASS:
		return "grant-other-class";
	case IDG_REASON_UID_GRANT:
		return "uid-grant";
	case IDG_REASON_SESSION_GRANT:
		return "session-grant";
	default:
		return "unknown";
	}
}

const char *idg_stat_name(unsigned stat)
{
	static const char *const names[IDG_STAT_COUNT] = {
		[IDG_STAT_DECISIONS] = "decisions", [IDG_STAT_DENIED] = "denied",
		[IDG_STAT_AUDITED] = "audited",     [IDG_STAT_GRANTED] = "granted",
		[IDG_STAT_EXEMPT] = "exempt",       [IDG_STAT_EVENTS] = "records",
		[IDG_STAT_FOLDED] = "folded",       [IDG_STAT_LOST_EVENTS] = "lost_records",
		[IDG_STAT_LOST_ATTEMPTS] = "lost_attempts",
	};

	return stat < IDG_STAT_COUNT && names[stat] ? names[stat] : "unknown";
}

const char *idg_dev_type_name(unsigned dev_type)
{
	return dev_type == IDG_DEV_BLOCK ? "block" : "char";
}

void idg_access_format(unsigned access, char *buf, int size)
{
	(void)snprintf(buf, (size_t)size, "%s%s%s%s%s",
		       access & IDG_ACCESS_READ ? "read" : "",
		       (access & IDG_ACCESS_READ) && (access & (IDG_ACCESS_WRITE | IDG_ACCESS_MKNOD)) ? "," : "",
		       access & IDG_ACCESS_WRITE ? "write" : "",
		       (access & IDG_ACCESS_WRITE) && (access & IDG_ACCESS_MKNOD) ? "," : "",
		       access & IDG_ACCESS_MKNOD ? "mknod" : "");
}
