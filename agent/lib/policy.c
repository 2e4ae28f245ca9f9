// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy parsing and merging (see policy.h). libinih does the INI syntax; a
 * line-counting reader in front of it gives every diagnostic a line number,
 * rejects lines inih would silently split or continue, and lets one pass
 * report every problem in a file.
 */
#include "policy.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <search.h>
#include <sys/stat.h>

#include "names.h"
#include "policy_internal.h"
#include "token.h"
#include "util.h"

#define MAX_LINE (INI_MAX_LINE - 2) /* room for "\n\0" in inih's buffer */
#define MATCH_KINDS (IDG_MATCH_SUBSYSTEM + 1)
/* [Approval] MaxRequestAge=: at least a minute, at most a year. */
#define APPROVAL_MAX_AGE_MIN 60
#define APPROVAL_MAX_AGE_MAX (366 * 86400)

static const int default_class_mode[IDG_CLASS_COUNT] = {
	[IDG_CLASS_SCANNER] = IDG_MODE_ENFORCE,
	[IDG_CLASS_CAMERA] = IDG_MODE_ENFORCE,
	[IDG_CLASS_CARD_READER] = IDG_MODE_AUDIT,
	[IDG_CLASS_PRINTER] = IDG_MODE_AUDIT,
	[IDG_CLASS_STORAGE] = IDG_MODE_OFF,
	[IDG_CLASS_UNCLASSIFIED] = IDG_MODE_ENFORCE,
};

enum section_kind {
	SECTION_NONE,    /* before any [section] */
	SECTION_INVALID, /* already reported */
	SECTION_GLOBAL,
	SECTION_CLASS,
	SECTION_EXEMPT,
	SECTION_NOTIFY,
	SECTION_APPROVAL,
	SECTION_PURPOSE,
	SECTION_APPROVER,
	SECTION_ENDPOINT,
	SECTION_BROKER,
};

/* Which sections a file may hold. */
enum file_kind {
	FILE_POLICY,    /* policy.d: every section but [Approver] */
	FILE_APPROVERS, /* approvers.d: [Approver ID] only */
	FILE_REGISTRY,  /* registry.d: a policy file's sections and [Approver ID] */
};

struct parser {
	struct idg_policy *policy;
	struct idg_diags *diags;
	const char *file;  /* interned in policy->files */
	const char *text;  /* unread rest of the file */
	unsigned line;
	enum section_kind section;
	unsigned section_class;
	struct idg_purpose *purpose;   /* current [Purpose] section */
	struct idg_approver *approver; /* current [Approver] section */
	size_t section_index;          /* current [Endpoint] or [Broker] */
	enum file_kind kind;
	int oom;
	/* An empty Device=, Match*=, Unit= or CGroup= only marks where it was
	 * written; what it clears goes when the file ends (drop_cleared()), in
	 * one pass however many lines clear. Entries of a list below its mark
	 * are dropped. */
	bool cleared;
	size_t devices_cleared[IDG_CLASS_COUNT];
	size_t matches_cleared[IDG_CLASS_COUNT][MATCH_KINDS];
	size_t exempt_cleared[2];      /* [is_unit] */
};

/* ---- names to items ---------------------------------------------------------- */

/* The tree holds entry->name; the item is found from it. */
struct name_entry {
	size_t item;
	char name[];
};

static struct name_entry *name_entry_of(const void *name)
{
	return (struct name_entry *)((char *)name - offsetof(struct name_entry, name));
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

ssize_t idg_name_index_find(const struct idg_name_index *index, const char *name)
{
	void *const *node = tfind(name, &index->root, compare_names);

	return node ? (ssize_t)name_entry_of(*node)->item : -ENOENT;
}

int idg_name_index_add(struct idg_name_index *index, const char *name, size_t item)
{
	size_t len = strlen(name);
	struct name_entry *entry = malloc(sizeof(*entry) + len + 1);
	void **node;

	if (!entry)
		return -ENOMEM;
	entry->item = item;
	memcpy(entry->name, name, len + 1);
	node = tsearch(entry->name, &index->root, compare_names);
	if (!node) {
		free(entry);
		return -ENOMEM;
	}
	if (*node != entry->name)
		free(entry); /* there already: the first stays */
	return 0;
}

static void free_name_entry(void *name)
{
	free(name_entry_of(name));
}

void idg_name_index_clear(struct idg_name_index *index)
{
	if (index->root)
		tdestroy(index->root, free_name_entry);
	index->root = NULL;
}

/* ---- the policy ------------------------------------------------------------------ */

struct idg_policy *idg_policy_new(void)
{
	struct idg_policy *policy = calloc(1, sizeof(*policy));

	if (!policy)
		return NULL;
	policy->index = calloc(1, sizeof(*policy->index));
	if (!policy->index) {
		free(policy);
		return NULL;
	}
	policy->global_mode = IDG_MODE_ENFORCE;
	memcpy(policy->class_mode, default_class_mode, sizeof(policy->class_mode));
	policy->repeat_window_ms = 1000;
	policy->stats_interval_sec = 60;
	policy->notify_warn_before_sec = 300;
	return policy;
}

void idg_policy_free(struct idg_policy *policy)
{
	if (!policy)
		return;
	for (size_t i = 0; i < policy->n_devices; i++)
		free(policy->devices[i].node);
	for (size_t i = 0; i < policy->n_exempt; i++)
		free(policy->exempt[i].name);
	for (size_t i = 0; i < policy->n_files; i++)
		free(policy->files[i]);
	idg_purposes_free(policy);
	idg_endpoints_free(policy);
	free(policy->notify_advice);
	free(policy->notify_advice_zh);
	for (size_t i = 0; i < policy->n_matches; i++)
		idg_match_rule_free(&policy->matches[i]);
	free(policy->matches);
	free(policy->devices);
	free(policy->exempt);
	free(policy->files);
	idg_name_index_clear(&policy->index->purposes);
	idg_name_index_clear(&policy->index->approvers);
	idg_name_index_clear(&policy->index->endpoints);
	idg_name_index_clear(&policy->index->brokers);
	free(policy->index);
	free(policy);
}

int idg_policy_effective_mode(const struct idg_policy *policy, unsigned class_id)
{
	int mode;

	if (class_id == 0 || class_id >= IDG_CLASS_COUNT)
		return IDG_MODE_OFF;
	mode = policy->class_mode[class_id];
	return mode < policy->global_mode ? mode : policy->global_mode;
}

int idg_parse_duration_ms(const char *s, uint64_t *ret_ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "min", 60000 }, { "h", 3600000 }, { "", 1000 } };
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (streq(end, units[i].suffix)) {
			if (v > UINT64_MAX / units[i].ms / 1000)
				return -ERANGE;
			*ret_ms = v * units[i].ms;
			return 0;
		}
	return -EINVAL;
}

static int parse_minor(const char *s, uint32_t *ret)
{
	uint64_t v;

	if (idg_parse_uint(s, IDG_MINOR_MAX, &v) < 0)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int idg_policy_parse_device(const char *spec, struct idg_policy_device *ret, struct idg_error *err)
{
	struct idg_policy_device dev = { 0 };
	char buf[128], *type, *major_s, *minor_s, *dash;
	uint64_t major;

	if (spec[0] == '/') {
		if (strstr(spec, "/../") || strstr(spec, "/./"))
			return idg_error_set(err, -EINVAL, "device path '%s' must be a plain absolute path", spec);
		dev.node = strdup(spec);
		if (!dev.node)
			return -ENOMEM;
		ret->dev_type = 0;
		ret->node = dev.node;
		return 0;
	}
	if (strlen(spec) >= sizeof(buf))
		return idg_error_set(err, -EINVAL, "device '%s' is too long", spec);
	strcpy(buf, spec);
	type = buf;
	major_s = strchr(buf, ' ');
	if (!major_s)
		goto syntax;
	*major_s++ = '\0';
	while (*major_s == ' ')
		major_s++;
	if (streq(type, "char") || streq(type, "c"))
		dev.dev_type = IDG_DEV_CHAR;
	else if (streq(type, "block") || streq(type, "b"))
		dev.dev_type = IDG_DEV_BLOCK;
	else
		return idg_error_set(err, -EINVAL, "device type '%s' is neither 'char' nor 'block'", type);
	minor_s = strchr(major_s, ':');
	if (!minor_s)
		goto syntax;
	*minor_s++ = '\0';
	if (idg_parse_uint(major_s, IDG_MAJOR_COUNT - 1, &major) < 0)
		return idg_error_set(err, -EINVAL, "major '%s' is not a number from 0 to %d", major_s,
				     IDG_MAJOR_COUNT - 1);
	dev.major = (uint32_t)major;
	if (streq(minor_s, "*")) {
		dev.whole_major = true;
		dev.minor_lo = 0;
		dev.minor_hi = IDG_MINOR_MAX;
	} else if ((dash = strchr(minor_s, '-'))) {
		*dash = '\0';
		if (parse_minor(minor_s, &dev.minor_lo) < 0 || parse_minor(dash + 1, &dev.minor_hi) < 0 ||
		    dev.minor_lo > dev.minor_hi)
			return idg_error_set(err, -EINVAL,
					     "minor range '%s-%s' must be LOW-HIGH with 0 <= LOW <= HIGH <= %u",
					     minor_s, dash + 1, IDG_MINOR_MAX);
	} else {
		if (parse_minor(minor_s, &dev.minor_lo) < 0)
			return idg_error_set(err, -EINVAL, "minor '%s' is not a number from 0 to %u", minor_s,
					     IDG_MINOR_MAX);
		dev.minor_hi = dev.minor_lo;
	}
	ret->dev_type = dev.dev_type;
	ret->whole_major = dev.whole_major;
	ret->major = dev.major;
	ret->minor_lo = dev.minor_lo;
	ret->minor_hi = dev.minor_hi;
	ret->node = NULL;
	return 0;
syntax:
	return idg_error_set(err, -EINVAL,
			     "device '%s' is not a node path or 'char|block MAJOR:MINOR' (MINOR may be N, LOW-HIGH or *)",
			     spec);
}

void idg_policy_device_format(const struct idg_policy_device *dev, char *buf, size_t size)
{
	const char *type = idg_dev_type_name(dev->dev_type);

	if (dev->node)
		(void)snprintf(buf, size, "%s", dev->node);
	else if (dev->whole_major)
		(void)snprintf(buf, size, "%s %u:*", type, dev->major);
	else if (dev->minor_lo == dev->minor_hi)
		(void)snprintf(buf, size, "%s %u:%u", type, dev->major, dev->minor_lo);
	else
		(void)snprintf(buf, size, "%s %u:%u-%u", type, dev->major, dev->minor_lo, dev->minor_hi);
}

#define report(p, ...) ((void)idg_diag_add((p)->diags, (p)->file, (p)->line, false, __VA_ARGS__))

static bool valid_unit_name(const char *name)
{
	static const char *const suffixes[] = { ".service", ".socket", ".slice", ".scope" };
	size_t len = strlen(name);

	if (len == 0 || len > 255)
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(":-_.\\@*", *c))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && streq(name + len - n, suffixes[i]))
			return true;
	}
	return false;
}

/* Absolute, and no empty, "." or ".." component ("/" alone is the root). */
static bool valid_cgroup_path(const char *path)
{
	const char *part = path + 1;

	if (path[0] != '/' || strlen(path) >= 4096)
		return false;
	if (!*part)
		return true;
	while (part) {
		size_t len = strcspn(part, "/");

		if (len == 0 || (len == 1 && part[0] == '.') || (len == 2 && part[0] == '.' && part[1] == '.'))
			return false;
		part = part[len] ? part + len + 1 : NULL;
	}
	return true;
}

void *idg_policy_grow(void *array, size_t count, size_t item_size)
{
	if (count & (count - 1))
		return array;
	return realloc(array, (count ? count * 2 : 4) * item_size);
}

bool idg_policy_valid_id(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len >= IDG_NAME_MAX || !isalnum((unsigned char)id[0]))
		return false;
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
			return false;
	return true;
}

static int add_device(struct parser *p, const char *value)
{
	struct idg_policy *policy = p->policy;
	struct idg_policy_device dev = { 0 }, *devices;
	struct idg_error err;
	int r;

	if (!*value) {
		p->devices_cleared[p->section_class] = policy->n_devices;
		p->cleared = true;
		return 0;
	}
	r = idg_policy_parse_device(value, &dev, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		report(p, "%s", err.message);
		return 0;
	}
	devices = idg_policy_grow(policy->devices, policy->n_devices, sizeof(*devices));
	if (!devices) {
		free(dev.node);
		return -ENOMEM;
	}
	policy->devices = devices;
	dev.class_id = (uint8_t)p->section_class;
	dev.file = p->file;
	dev.line = p->line;
	policy->devices[policy->n_devices++] = dev;
	return 0;
}

/* One Match*= line: whitespace-separated words, each a rule; an empty value
 * clears this class's rules of that kind. */
static int add_matches(struct parser *p, unsigned kind, const char *value)
{
	struct idg_policy *policy = p->policy;
	char word[MAX_LINE + 1];

	if (p->section_class == IDG_CLASS_UNCLASSIFIED) {
		report(p, "[Class unclassified] holds the USB devices no Match line recognises; it cannot have %s= lines",
		       idg_match_key_name(kind));
		return 0;
	}
	if (!*value) {
		p->matches_cleared[p->section_class][kind] = policy->n_matches;
		p->cleared = true;
		return 0;
	}
	for (const char *w = value; *w;) {
		size_t len = strcspn(w, " \t");
		struct idg_match_rule rule, *matches;
		struct idg_error err;
		int r;

		if (len == 0) {
			w++;
			continue;
		}
		memcpy(word, w, len);
		word[len] = '\0';
		w += len;
		r = idg_match_rule_parse(kind, word, &rule, &err);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			report(p, "%s", err.message);
			continue;
		}
		matches = idg_policy_grow(policy->matches, policy->n_matches, sizeof(*matches));
		if (!matches) {
			idg_match_rule_free(&rule);
			return -ENOMEM;
		}
		policy->matches = matches;
		rule.class_id = (uint8_t)p->section_class;
		rule.file = p->file;
		rule.line = p->line;
		policy->matches[policy->n_matches++] = rule;
	}
	return 0;
}

struct vid_pid_ref {
	uint64_t product; /* vid and pid */
	size_t rule;
};

static int compare_vid_pid(const void *a, const void *b)
{
	const struct vid_pid_ref *x = a, *y = b;

	if (x->product != y->product)
		return x->product < y->product ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Each MatchVidPid= rule in the class of another rule for the same product
 * is reported once, naming the first such rule before it. Sorted by product
 * rather than each rule compared with all before it: n log n. */
void idg_policy_check_matches(const struct idg_policy *policy, struct idg_diags *diags)
{
	_cleanup_free_ struct vid_pid_ref *refs = calloc(policy->n_matches + 1, sizeof(*refs));
	_cleanup_free_ size_t *clash = calloc(policy->n_matches + 1, sizeof(*clash));
	size_t n = 0;

	if (!refs || !clash) {
		(void)idg_diag_add(diags, NULL, 0, false, "cannot check the MatchVidPid= lines: out of memory");
		return;
	}
	for (size_t i = 0; i < policy->n_matches; i++) {
		const struct idg_match_rule *rule = &policy->matches[i];

		clash[i] = SIZE_MAX;
		if (rule->kind == IDG_MATCH_VID_PID)
			refs[n++] = (struct vid_pid_ref){ (uint64_t)(uint32_t)rule->vid << 32 | (uint32_t)rule->pid, i };
	}
	qsort(refs, n, sizeof(*refs), compare_vid_pid);
	for (size_t start = 0, end; start < n; start = end) {
		size_t first = refs[start].rule, other = SIZE_MAX;
		uint8_t first_class = policy->matches[first].class_id;

		for (end = start; end < n && refs[end].product == refs[start].product; end++)
			;
		/* A rule in another class than the first clashes with the first;
		 * one in its class, with the first rule in another class. */
		for (size_t k = start; k < end; k++) {
			size_t rule = refs[k].rule;

			if (policy->matches[rule].class_id != first_class) {
				clash[rule] = first;
				if (other == SIZE_MAX)
					other = rule;
			} else if (other < rule) {
				clash[rule] = other;
			}
		}
	}
	for (size_t i = 0; i < policy->n_matches; i++) {
		const struct idg_match_rule *a = &policy->matches[i], *b;
		char text[64];

		if (clash[i] == SIZE_MAX)
			continue;
		b = &policy->matches[clash[i]];
		idg_match_rule_format(a, text, sizeof(text));
		(void)idg_diag_add(diags, a->file, a->line, false,
				   "%s is also in [Class %s] (%s:%u); a product can be in one class only", text,
				   idg_class_name(b->class_id), b->file, b->line);
	}
}

static int add_exempt(struct parser *p, bool is_unit, const char *value)
{
	/* Unit= takes several names on a line, as systemd's lists do. */
	if (is_unit && value[strcspn(value, " \t")]) {
		char word[MAX_LINE + 1];

		if (strchr(value, '#')) {
			report(p, "Unit='%s': '#' starts a comment only at the start of a line (';' after a blank ends a value)",
			       value);
			return 0;
		}

		for (const char *w = value + strspn(value, " \t"); *w; w += strspn(w, " \t")) {
			size_t len = strcspn(w, " \t");
			int r;

			memcpy(word, w, len);
			word[len] = '\0';
			w += len;
			r = add_exempt(p, true, word);
			if (r < 0)
				return r;
		}
		return 0;
	}
	struct idg_policy *policy = p->policy;
	struct idg_policy_exempt *exempt;
	char *name;

	if (!*value) {
		p->exempt_cleared[is_unit] = policy->n_exempt;
		p->cleared = true;
		return 0;
	}
	if (is_unit && !valid_unit_name(value)) {
		report(p, "'%s' is not a unit name (NAME.service, .socket, .slice or .scope; '*' for instances)", value);
		return 0;
	}
	if (!is_unit && !valid_cgroup_path(value)) {
		report(p, "'%s' is not a cgroup path: it must start with '/' (the cgroup v2 root) and have no '.', '..' or '//' parts",
		       value);
		return 0;
	}
	exempt = idg_policy_grow(policy->exempt, policy->n_exempt, sizeof(*exempt));
	if (!exempt)
		return -ENOMEM;
	policy->exempt = exempt;
	if (!(name = strdup(value)))
		return -ENOMEM;
	policy->exempt[policy->n_exempt++] = (struct idg_policy_exempt){
		.is_unit = is_unit, .name = name, .file = p->file, .line = p->line
	};
	return 0;
}

static void set_mode(struct parser *p, int *slot, const char *value)
{
	int mode = idg_mode_from_name(value);

	if (mode < 0)
		report(p, "mode '%s' is not one of off, audit, enforce", value);
	else
		*slot = mode;
}

static void set_duration(struct parser *p, const char *key, const char *value, uint64_t min_ms,
			 uint64_t max_ms, uint64_t *ret_ms)
{
	uint64_t ms;

	if (idg_parse_duration_ms(value, &ms) < 0 || ms < min_ms || ms > max_ms)
		report(p, "%s='%s' must be a duration from %llums to %llus (e.g. 500ms, 2s, 1min)", key, value,
		       (unsigned long long)min_ms, (unsigned long long)(max_ms / 1000));
	else
		*ret_ms = ms;
}

/* [Notify]: the site's words and timing for the clerk's notifications
 * (idguard-notify(1), `idguardctl why`). */
static int notify_key(struct parser *p, const char *name, const char *value)
{
	char **slot = NULL;

	if (streq(name, "WarnBefore")) {
		uint64_t ms = p->policy->notify_warn_before_sec * 1000ull;

		if (streq(value, "0") || streq(value, "no")) {
			p->policy->notify_warn_before_sec = 0;
			return 0;
		}
		set_duration(p, name, value, 1000, 3600000, &ms);
		p->policy->notify_warn_before_sec = (uint32_t)(ms / 1000);
		return 0;
	}
	if (streq(name, "Advice"))
		slot = &p->policy->notify_advice;
	else if (streq(name, "Advice[zh_CN]"))
		slot = &p->policy->notify_advice_zh;
	if (!slot) {
		report(p, "unknown key '%s' in [Notify] (known: WarnBefore, Advice, Advice[zh_CN])", name);
		return 0;
	}
	if (strlen(value) > 400) {
		report(p, "%s= is longer than 400 bytes; say it in one sentence", name);
		return 0;
	}
	free(*slot);
	*slot = value[0] ? strdup(value) : NULL;
	return value[0] && !*slot ? -ENOMEM : 0;
}

/* [Approval]: for `idguardctl token approve` (idguardd ignores it). */
static void approval_key(struct parser *p, const char *name, const char *value)
{
	uint64_t sec;

	if (!streq(name, "MaxRequestAge")) {
		report(p, "unknown key '%s' in [Approval] (known: MaxRequestAge)", name);
		return;
	}
	if (idg_timespan_parse(value, &sec) < 0 || sec < APPROVAL_MAX_AGE_MIN || sec > APPROVAL_MAX_AGE_MAX) {
		report(p, "MaxRequestAge='%s' must be a time span from 1min to 366d (e.g. 1d, 12h, 30min)", value);
		return;
	}
	p->policy->approval.max_request_age_sec = sec;
	p->policy->approval.max_request_age_file = p->file;
	p->policy->approval.max_request_age_line = p->line;
}

static int handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	int r = 0;

	(void)section; /* the reader tracked it, with its line number */
	if (p->oom)
		return 1;
	switch (p->section) {
	case SECTION_INVALID:
		return 1;
	case SECTION_NONE:
		report(p, "'%s=' appears before any [section]", name);
		return 1;
	case SECTION_PURPOSE:
	case SECTION_APPROVER:
	case SECTION_ENDPOINT:
	case SECTION_BROKER: {
		struct idg_parse_site site = { .diags = p->diags, .file = p->file, .line = p->line };

		if (p->section == SECTION_PURPOSE)
			r = idg_purpose_key(p->purpose, name, value, &site);
		else if (p->section == SECTION_APPROVER)
			r = idg_approver_key(p->approver, name, value, &site);
		else if (p->section == SECTION_ENDPOINT)
			r = idg_endpoint_key(&p->policy->endpoints[p->section_index], name, value, &site);
		else
			r = idg_broker_key(&p->policy->brokers[p->section_index], name, value, &site);
		break;
	}
	case SECTION_GLOBAL:
		if (streq(name, "Mode")) {
			set_mode(p, &p->policy->global_mode, value);
		} else if (streq(name, "RepeatWindow")) {
			set_duration(p, name, value, 10, 60000, &p->policy->repeat_window_ms);
		} else if (streq(name, "StatsInterval")) {
			uint64_t ms = p->policy->stats_interval_sec * 1000ull;

			set_duration(p, name, value, 1000, 86400000, &ms);
			if (ms % 1000)
				report(p, "StatsInterval='%s' must be whole seconds", value);
			else
				p->policy->stats_interval_sec = (uint32_t)(ms / 1000);
		} else if (streq(name, "OnGrantEnd")) {
			if (streq(value, "terminate"))
				p->policy->on_grant_end = IDG_GRANT_END_TERMINATE;
			else if (streq(value, "log"))
				p->policy->on_grant_end = IDG_GRANT_END_LOG;
			else
				report(p, "OnGrantEnd='%s' must be terminate or log", value);
		} else {
			report(p, "unknown key '%s' in [Global] (known: Mode, RepeatWindow, StatsInterval, OnGrantEnd)", name);
		}
		break;
	case SECTION_CLASS:
		if (streq(name, "Mode"))
			set_mode(p, &p->policy->class_mode[p->section_class], value);
		else if (streq(name, "Device"))
			r = add_device(p, value);
		else if (idg_match_kind_from_key(name))
			r = add_matches(p, idg_match_kind_from_key(name), value);
		else
			report(p, "unknown key '%s' in [Class %s] (known: Mode, Device, MatchVidPid, MatchUSBInterface, "
			       "MatchProperty, MatchSubsystem)", name, idg_class_name(p->section_class));
		break;
	case SECTION_NOTIFY:
		r = notify_key(p, name, value);
		break;
	case SECTION_APPROVAL:
		approval_key(p, name, value);
		break;
	case SECTION_EXEMPT:
		if (streq(name, "Unit"))
			r = add_exempt(p, true, value);
		else if (streq(name, "CGroup"))
			r = add_exempt(p, false, value);
		else
			report(p, "unknown key '%s' in [Exempt] (known: Unit, CGroup)", name);
		break;
	}
	if (r < 0)
		p->oom = 1;
	return 1;
}

static void enter_section(struct parser *p, const char *header)
{
	char name[INI_MAX_LINE];
	const char *end = strchr(header, ']');
	size_t len;

	struct idg_parse_site site = { .diags = p->diags, .file = p->file, .line = p->line };
	int r;

	len = (size_t)(end - header - 1);
	memcpy(name, header + 1, len);
	name[len] = '\0';
	if (!strncmp(name, "Approver ", 9) && p->kind != FILE_POLICY) {
		r = idg_approver_section(p->policy, name + 9, &site, &p->approver);
		p->section = r == 0 ? SECTION_APPROVER : SECTION_INVALID;
		p->oom |= r < 0;
	} else if (p->kind == FILE_APPROVERS) {
		report(p, "[%s] does not belong in approvers.d, which holds [Approver ID] sections only", name);
		p->section = SECTION_INVALID;
	} else if (!strncmp(name, "Approver ", 9)) {
		report(p, "approvers are registered in " IDG_SYSCONFDIR "/idguard/approvers.d, not in policy files");
		p->section = SECTION_INVALID;
	} else if (!strncmp(name, "Purpose ", 8)) {
		r = idg_purpose_section(p->policy, name + 8, &site, &p->purpose);
		p->section = r == 0 ? SECTION_PURPOSE : SECTION_INVALID;
		p->oom |= r < 0;
	} else if (!strncmp(name, "Endpoint ", 9)) {
		struct idg_endpoint *e;

		r = idg_endpoint_section(p->policy, name + 9, &site, &e);
		p->section = r == 0 ? SECTION_ENDPOINT : SECTION_INVALID;
		if (r == 0)
			p->section_index = (size_t)(e - p->policy->endpoints);
		p->oom |= r < 0;
	} else if (!strncmp(name, "Broker ", 7)) {
		struct idg_broker *b;

		r = idg_broker_section(p->policy, name + 7, &site, &b);
		p->section = r == 0 ? SECTION_BROKER : SECTION_INVALID;
		if (r == 0)
			p->section_index = (size_t)(b - p->policy->brokers);
		p->oom |= r < 0;
	} else if (streq(name, "Global")) {
		p->section = SECTION_GLOBAL;
	} else if (streq(name, "Exempt")) {
		p->section = SECTION_EXEMPT;
	} else if (streq(name, "Notify")) {
		p->section = SECTION_NOTIFY;
	} else if (streq(name, "Approval")) {
		p->section = SECTION_APPROVAL;
	} else if (!strncmp(name, "Class ", 6)) {
		int class_id = idg_class_from_name(name + 6);

		if (!class_id) {
			report(p, "unknown class '%s' (known: " IDG_CLASS_NAMES_TEXT ")",
			       name + 6);
			p->section = SECTION_INVALID;
		} else {
			p->section = SECTION_CLASS;
			p->section_class = (unsigned)class_id;
		}
	} else {
		report(p, "unknown section [%s] (known: [Global], [Class NAME], [Exempt], [Notify], [Approval], "
			  "[Purpose ID], %s[Endpoint NAME], [Broker NAME])", name,
		       p->kind == FILE_REGISTRY ? "[Approver ID], " : "");
		p->section = SECTION_INVALID;
	}
}

/* inih's line source. It counts lines, strips leading blanks (so an indented
 * line is never taken as a continuation), and checks the line shape itself;
 * a line it reports is handed to inih as blank so it is reported once. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *nl;
	size_t len;
	char *line;

	if (!*p->text)
		return NULL;
	nl = strchr(p->text, '\n');
	len = nl ? (size_t)(nl - p->text) : strlen(p->text);
	p->line++;
	/* Editors on some systems start files with a UTF-8 byte order mark. */
	if (p->line == 1 && len >= 3 && !memcmp(p->text, "\xef\xbb\xbf", 3)) {
		p->text += 3;
		len -= 3;
	}
	if (len >= (size_t)num - 1 || len > MAX_LINE) {
		report(p, "line is longer than %d characters", MAX_LINE);
		p->text += len + (nl ? 1 : 0);
		strcpy(str, "\n");
		return str;
	}
	memcpy(str, p->text, len);
	str[len] = '\0';
	p->text += len + (nl ? 1 : 0);
	if (len && str[len - 1] == '\r')
		str[--len] = '\0';

	line = str;
	while (isspace((unsigned char)*line))
		line++;
	memmove(str, line, strlen(line) + 1);
	if (!*str || *str == '#' || *str == ';') {
		/* blank or comment */
	} else if (*str == '[') {
		if (!strchr(str, ']')) {
			report(p, "section header is missing ']'");
			p->section = SECTION_INVALID;
			str[0] = '\0';
		} else {
			enter_section(p, str);
		}
	} else if (str[strcspn(str, "=:")] != '=') {
		report(p, "expected 'Key=Value', found '%s'", str);
		str[0] = '\0';
	}
	strcat(str, "\n");
	return str;
}

static int intern_file(struct idg_policy *policy, const char *name, const char **ret)
{
	char **files, *copy;

	for (size_t i = 0; i < policy->n_files; i++)
		if (streq(policy->files[i], name)) {
			*ret = policy->files[i];
			return 0;
		}
	files = idg_policy_grow(policy->files, policy->n_files, sizeof(*files));
	if (!files)
		return -ENOMEM;
	policy->files = files;
	if (!(copy = strdup(name)))
		return -ENOMEM;
	policy->files[policy->n_files++] = copy;
	*ret = copy;
	return 0;
}

/* Drops what the empty list lines of the file cleared (see struct parser). */
static void drop_cleared(struct parser *p)
{
	struct idg_policy *policy = p->policy;
	size_t kept = 0;

	if (!p->cleared)
		return;
	for (size_t i = 0; i < policy->n_devices; i++) {
		if (i < p->devices_cleared[policy->devices[i].class_id])
			free(policy->devices[i].node);
		else
			policy->devices[kept++] = policy->devices[i];
	}
	policy->n_devices = kept;
	kept = 0;
	for (size_t i = 0; i < policy->n_matches; i++) {
		struct idg_match_rule *rule = &policy->matches[i];

		if (i < p->matches_cleared[rule->class_id][rule->kind])
			idg_match_rule_free(rule);
		else
			policy->matches[kept++] = *rule;
	}
	policy->n_matches = kept;
	kept = 0;
	for (size_t i = 0; i < policy->n_exempt; i++) {
		if (i < p->exempt_cleared[policy->exempt[i].is_unit])
			free(policy->exempt[i].name);
		else
			policy->exempt[kept++] = policy->exempt[i];
	}
	policy->n_exempt = kept;
}

static int parse_text(struct idg_policy *policy, const char *name, const char *text, enum file_kind kind,
		      struct idg_diags *diags)
{
	struct parser p = { .policy = policy, .diags = diags, .text = text, .kind = kind };
	int r;

	r = intern_file(policy, name, &p.file);
	if (r < 0)
		return r;
	r = ini_parse_stream(read_line, &p, handle_key, &p);
	drop_cleared(&p);
	if (r == -2 || p.oom)
		return -ENOMEM;
	return 0;
}

int idg_policy_parse_string(struct idg_policy *policy, const char *name, const char *text,
			    struct idg_diags *diags)
{
	return parse_text(policy, name, text, FILE_POLICY, diags);
}

int idg_policy_parse_registry_string(struct idg_policy *policy, const char *name, const char *text,
				     struct idg_diags *diags)
{
	return parse_text(policy, name, text, FILE_REGISTRY, diags);
}

static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "of an unknown type";
	}
}

/* 0 for a regular file; 1 for /dev/null itself, which reads as empty: a
 * symbolic link to it switches off the file of the same name in an
 * earlier directory (idguard-policy(5)), and a node made with its numbers
 * is refused like any other. Anything else is refused here, with -errno. */
static int check_file_type(const char *path, const struct stat *st, struct idg_diags *diags)
{
	struct stat null;

	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
	    st->st_dev == null.st_dev && st->st_ino == null.st_ino)
		return 1;
	(void)idg_diag_add(diags, path, 0, false, "is %s, not a regular file", file_type(st->st_mode));
	return S_ISDIR(st->st_mode) ? -EISDIR : -EBADFD;
}

static int report_unreadable(const char *path, int r, struct idg_diags *diags)
{
	(void)idg_diag_add(diags, path, 0, false, "cannot read: %s", strerror(-r));
	return r;
}

/* Reads path into *ret_text (NUL-terminated; *ret_len bytes before the NUL
 * added). Only a regular file is opened: stat() first, so that no device
 * is ever opened (opening some has effects), then O_NONBLOCK, so that a
 * FIFO put in its place meanwhile cannot block the open, and the type
 * checked again on what was opened. -EFBIG, not reported, past max_bytes;
 * every other problem is reported. */
static int read_file(const char *path, size_t max_bytes, char **ret_text, size_t *ret_len, struct idg_diags *diags)
{
	_cleanup_close_ int fd = -1;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len;
	int r;

	if (stat(path, &st) < 0)
		return report_unreadable(path, -errno, diags);
	r = check_file_type(path, &st, diags);
	if (r == 0) {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return report_unreadable(path, -errno, diags);
		r = check_file_type(path, &st, diags);
	}
	if (r < 0)
		return r;
	if (r == 1) {
		*ret_text = strdup("");
		*ret_len = 0;
		return *ret_text ? 0 : -ENOMEM;
	}
	if ((uint64_t)st.st_size > max_bytes)
		return -EFBIG;
	f = fdopen(fd, "re");
	if (!f)
		return report_unreadable(path, -errno, diags);
	fd = -1; /* f owns it now */
	text = malloc(max_bytes + 1);
	if (!text)
		return -ENOMEM;
	/* The file may have grown since fstat(): read one byte past the limit. */
	len = fread(text, 1, max_bytes + 1, f);
	if (ferror(f))
		return report_unreadable(path, -EIO, diags);
	if (len > max_bytes)
		return -EFBIG;
	text[len] = '\0';
	*ret_text = TAKE_PTR(text);
	*ret_len = len;
	return 0;
}

/* 1 + the newlines before end. */
static unsigned line_at(const char *text, const char *end)
{
	unsigned line = 1;

	for (const char *c = text; c < end; c++)
		line += *c == '\n';
	return line;
}

/* budget: the bytes the files of one load may still add together (NULL: no
 * such limit); what this file holds is taken from it. */
static int parse_file(struct idg_policy *policy, const char *path, enum file_kind kind, size_t *budget,
		      struct idg_diags *diags)
{
	_cleanup_free_ char *text = NULL;
	size_t max_bytes = IDG_POLICY_MAX_FILE_BYTES, len;
	const char *nul;
	int r;

	if (budget && *budget < max_bytes)
		max_bytes = *budget;
	r = read_file(path, max_bytes, &text, &len, diags);
	if (r == -EFBIG && max_bytes < IDG_POLICY_MAX_FILE_BYTES)
		(void)idg_diag_add(diags, path, 0, false, "the files read together would be larger than %d bytes",
				   IDG_POLICY_MAX_TOTAL_BYTES);
	else if (r == -EFBIG)
		(void)idg_diag_add(diags, path, 0, false, "larger than %d bytes", IDG_POLICY_MAX_FILE_BYTES);
	if (r < 0)
		return r;
	if (budget)
		*budget -= len;
	/* The parser stops at a NUL: what follows it would go unread. */
	nul = memchr(text, '\0', len);
	if (nul) {
		(void)idg_diag_add(diags, path, line_at(text, nul), false, "contains a NUL byte: not a text file");
		return -EINVAL;
	}
	return parse_text(policy, path, text, kind, diags);
}

int idg_policy_parse_file(struct idg_policy *policy, const char *path, struct idg_diags *diags)
{
	return parse_file(policy, path, FILE_POLICY, NULL, diags);
}

struct found_file {
	char name[256];
	char path[4096 + 256];
};

static int compare_found(const void *a, const void *b)
{
	return strcmp(((const struct found_file *)a)->name, ((const struct found_file *)b)->name);
}

static bool is_conf_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && streq(name + len - 5, ".conf");
}

static const char *file_kind_name(enum file_kind kind)
{
	switch (kind) {
	case FILE_APPROVERS:
		return "approver";
	case FILE_REGISTRY:
		return "registry";
	default:
		return "policy";
	}
}

/* Adds the *.conf files of dir to found (IDG_POLICY_MAX_FILES entries): a
 * name already there, from an earlier directory, is replaced. A missing
 * dir adds nothing. */
static void collect_dir(const char *dir, enum file_kind kind, struct found_file *found, size_t *n_found,
			struct idg_diags *diags)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		if (errno != ENOENT)
			(void)idg_diag_add(diags, dir, 0, false, "cannot read directory: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		size_t i;

		if (!is_conf_name(de->d_name) || strlen(de->d_name) >= sizeof(found->name))
			continue;
		for (i = 0; i < *n_found; i++)
			if (streq(found[i].name, de->d_name))
				break; /* a later directory overrides the same name */
		if (i == *n_found) {
			if (*n_found == IDG_POLICY_MAX_FILES) {
				(void)idg_diag_add(diags, dir, 0, false, "more than %d %s files", IDG_POLICY_MAX_FILES,
						   file_kind_name(kind));
				continue;
			}
			(*n_found)++;
		}
		(void)snprintf(found[i].name, sizeof(found[i].name), "%s", de->d_name);
		(void)snprintf(found[i].path, sizeof(found[i].path), "%s/%s", dir, de->d_name);
	}
	(void)closedir(d);
}

/* Reads found in lexical order of the names; only running out of memory
 * stops it, every other problem is in diags. */
static int parse_found(struct idg_policy *policy, struct found_file *found, size_t n_found, enum file_kind kind,
		       size_t *budget, struct idg_diags *diags)
{
	qsort(found, n_found, sizeof(*found), compare_found);
	for (size_t i = 0; i < n_found; i++)
		if (parse_file(policy, found[i].path, kind, budget, diags) == -ENOMEM)
			return -ENOMEM;
	return 0;
}

/* The merge rule of both policy and approver directories (see policy.h). */
static int load_into(struct idg_policy *policy, const char *const *dirs, size_t n_dirs, enum file_kind kind,
		     struct idg_diags *diags)
{
	_cleanup_free_ struct found_file *found = calloc(IDG_POLICY_MAX_FILES, sizeof(*found));
	size_t n_found = 0, budget = IDG_POLICY_MAX_TOTAL_BYTES;

	if (!found)
		return -ENOMEM;
	for (size_t d = 0; d < n_dirs; d++)
		collect_dir(dirs[d], kind, found, &n_found, diags);
	return parse_found(policy, found, n_found, kind, &budget, diags);
}

int idg_policy_load_dirs(const char *const *dirs, size_t n_dirs, struct idg_policy **ret_policy,
			 struct idg_diags *diags)
{
	struct idg_policy *policy = idg_policy_new();
	int r;

	if (!policy)
		return -ENOMEM;
	r = load_into(policy, dirs, n_dirs, FILE_POLICY, diags);
	if (r < 0) {
		idg_policy_free(policy);
		return r;
	}
	idg_policy_check_purposes(policy, diags);
	idg_policy_check_matches(policy, diags);
	idg_policy_check_endpoints(policy, diags);
	*ret_policy = policy;
	return 0;
}

void idg_policy_check_found(const struct idg_policy *policy, const char *const *dirs, size_t n_dirs, bool required,
			    struct idg_diags *diags)
{
	char where[1024] = "";
	size_t used = 0;

	if (policy->n_files)
		return;
	for (size_t i = 0; i < n_dirs && used < sizeof(where); i++)
		used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%s", i ? ", " : "", dirs[i]);
	(void)idg_diag_add(diags, NULL, 0, !required,
			   "no policy file (*.conf) was found in %s: no device would be guarded", where);
}

int idg_policy_load_approvers(struct idg_policy *policy, const char *const *dirs, size_t n_dirs,
			      struct idg_diags *diags)
{
	int r = load_into(policy, dirs, n_dirs, FILE_APPROVERS, diags);

	if (r < 0)
		return r;
	idg_policy_check_approvers(policy, diags);
	return 0;
}

/* Unlike policy directories, each registry path stands alone: a file
 * named on the command line, or a directory read whole, whatever names
 * another path's files have. */
int idg_policy_load_registry(struct idg_policy *policy, const char *const *paths, size_t n_paths, size_t *ret_files,
			     struct idg_diags *diags)
{
	_cleanup_free_ struct found_file *found = calloc(IDG_POLICY_MAX_FILES, sizeof(*found));
	size_t budget = IDG_POLICY_MAX_TOTAL_BYTES, files = 0;
	struct stat st;

	if (!found)
		return -ENOMEM;
	for (size_t i = 0; i < n_paths; i++) {
		size_t n_found = 0;

		if (stat(paths[i], &st) < 0) {
			if (errno != ENOENT)
				(void)report_unreadable(paths[i], -errno, diags);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			files++;
			if (parse_file(policy, paths[i], FILE_REGISTRY, &budget, diags) == -ENOMEM)
				return -ENOMEM;
			continue;
		}
		collect_dir(paths[i], FILE_REGISTRY, found, &n_found, diags);
		files += n_found;
		if (parse_found(policy, found, n_found, FILE_REGISTRY, &budget, diags) < 0)
			return -ENOMEM;
	}
	*ret_files = files;
	return 0;
}

void idg_purpose_format_ini(const struct idg_purpose *p, bool with_source, FILE *out)
{
	char classes[256];

	idg_class_mask_format(p->class_mask, classes, sizeof(classes));
	(void)fprintf(out, "\n[Purpose %s]", p->id);
	if (with_source)
		(void)fprintf(out, "  ; %s:%u", p->file, p->line);
	(void)fputc('\n', out);
	if (p->example)
		(void)fprintf(out, "Example=yes\n");
	(void)fprintf(out, "Description=%s\n", p->description ? p->description : "");
	if (p->description_zh)
		(void)fprintf(out, "Description[zh_CN]=%s\n", p->description_zh);
	if (p->legal_basis)
		(void)fprintf(out, "LegalBasis=%s\n", p->legal_basis);
	(void)fprintf(out, "Classes=%s\nMaxMinutes=%u\nApprovers=", classes, p->max_minutes);
	for (size_t a = 0; a < p->n_approvers; a++)
		(void)fprintf(out, "%s%s", a ? "," : "", p->approvers[a]);
	(void)fputc('\n', out);
}

void idg_policy_format_ini(const struct idg_policy *policy, FILE *out)
{
	char buf[256];

	(void)fprintf(out, "# Effective policy merged from:\n");
	for (size_t i = 0; i < policy->n_files; i++)
		(void)fprintf(out, "#   %s\n", policy->files[i]);
	(void)fprintf(out, "\n[Global]\nMode=%s\nRepeatWindow=%llums\nStatsInterval=%us\nOnGrantEnd=%s\n",
		      idg_mode_name((unsigned)policy->global_mode), (unsigned long long)policy->repeat_window_ms,
		      policy->stats_interval_sec, policy->on_grant_end == IDG_GRANT_END_LOG ? "log" : "terminate");
	if (policy->notify_warn_before_sec)
		(void)fprintf(out, "\n[Notify]\nWarnBefore=%us\n", policy->notify_warn_before_sec);
	else
		(void)fprintf(out, "\n[Notify]\nWarnBefore=0\n");
	if (policy->notify_advice)
		(void)fprintf(out, "Advice=%s\n", policy->notify_advice);
	if (policy->notify_advice_zh)
		(void)fprintf(out, "Advice[zh_CN]=%s\n", policy->notify_advice_zh);
	if (policy->approval.max_request_age_sec) {
		idg_timespan_format(policy->approval.max_request_age_sec, buf, sizeof(buf));
		(void)fprintf(out, "\n[Approval]  ; for idguardctl token approve\nMaxRequestAge=%s  ; %s:%u\n", buf,
			      policy->approval.max_request_age_file, policy->approval.max_request_age_line);
	}
	for (unsigned c = 1; c < IDG_CLASS_COUNT; c++) {
		if (!idg_class_from_name(idg_class_name(c)))
			continue;
		(void)fprintf(out, "\n[Class %s]\nMode=%s", idg_class_name(c), idg_mode_name((unsigned)policy->class_mode[c]));
		if (idg_policy_effective_mode(policy, c) != policy->class_mode[c])
			(void)fprintf(out, "  ; runs as %s: [Global] Mode caps it",
				      idg_mode_name((unsigned)idg_policy_effective_mode(policy, c)));
		(void)fputc('\n', out);
		for (size_t i = 0; i < policy->n_devices; i++) {
			const struct idg_policy_device *dev = &policy->devices[i];

			if (dev->class_id != c)
				continue;
			idg_policy_device_format(dev, buf, sizeof(buf));
			(void)fprintf(out, "Device=%s  ; %s:%u\n", buf, dev->file, dev->line);
		}
		for (size_t i = 0; i < policy->n_matches; i++) {
			const struct idg_match_rule *rule = &policy->matches[i];

			if (rule->class_id != c)
				continue;
			idg_match_rule_format(rule, buf, sizeof(buf));
			(void)fprintf(out, "%s  ; %s:%u\n", buf, rule->file, rule->line);
		}
	}
	for (size_t i = 0; i < policy->n_endpoints; i++)
		idg_endpoint_format(&policy->endpoints[i], out);
	for (size_t i = 0; i < policy->n_brokers; i++)
		(void)fprintf(out, "\n[Broker %s]  ; %s:%u\nClass=%s\nPath=%s\n", policy->brokers[i].id,
			      policy->brokers[i].file, policy->brokers[i].line, idg_class_name(policy->brokers[i].class_id),
			      policy->brokers[i].path ? policy->brokers[i].path : "");
	(void)fprintf(out, "\n[Exempt]\n");
	for (size_t i = 0; i < policy->n_exempt; i++)
		(void)fprintf(out, "%s=%s  ; %s:%u\n", policy->exempt[i].is_unit ? "Unit" : "CGroup",
			      policy->exempt[i].name, policy->exempt[i].file, policy->exempt[i].line);
	for (size_t i = 0; i < policy->n_purposes; i++)
		idg_purpose_format_ini(&policy->purposes[i], true, out);

}
