// SPDX-License-Identifier: GPL-2.0-only
/*
 * The site's names for the collector's senders. systemd-journal-remote on
 * Debian 12 files each workstation's records under the address they came
 * from (remote-192.168.10.17.journal); docs/collection.md asks for fixed
 * addresses and a list of which is which. That list, in /etc/hosts form:
 *
 *     # ADDRESS       NAME
 *     192.168.10.17   ws-017
 *
 * A mistake is reported with FILE:LINE and nothing is read: an auditor's
 * report must not name a workstation by a half-read list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

#define NAME_MAX_BYTES 100

struct audit_names {
	struct entry {
		char *address, *name;
		unsigned line;
	} *entries;
	size_t n, allocated;
};

void audit_names_free(struct audit_names *names)
{
	if (!names)
		return;
	for (size_t i = 0; i < names->n; i++) {
		free(names->entries[i].address);
		free(names->entries[i].name);
	}
	free(names->entries);
	free(names);
}

const char *audit_names_lookup(const struct audit_names *names, const char *address)
{
	for (size_t i = 0; names && i < names->n; i++)
		if (streq(names->entries[i].address, address))
			return names->entries[i].name;
	return NULL;
}

/* A word of the file: printable, no spaces, not too long. */
static bool word_ok(const char *w)
{
	if (!*w || strlen(w) > NAME_MAX_BYTES)
		return false;
	for (const unsigned char *c = (const unsigned char *)w; *c; c++)
		if (*c < 0x21 || *c == 0x7f)
			return false;
	return true;
}

static int add(struct audit_names *names, const char *path, unsigned line, const char *address, const char *name)
{
	const struct entry *same = NULL;

	for (size_t i = 0; i < names->n && !same; i++)
		if (streq(names->entries[i].address, address))
			same = &names->entries[i];
	if (same) {
		(void)fprintf(stderr, "idguardctl audit: %s:%u: %s is already named %s (line %u)\n", path, line, address,
			      same->name, same->line);
		return CTL_EXIT_FAILED;
	}
	if (names->n == names->allocated) {
		size_t more = names->allocated ? names->allocated * 2 : 64;
		struct entry *e = reallocarray(names->entries, more, sizeof(*e));

		if (!e)
			return CTL_EXIT_FAILED;
		names->entries = e;
		names->allocated = more;
	}
	names->entries[names->n].address = strdup(address);
	names->entries[names->n].name = strdup(name);
	names->entries[names->n].line = line;
	if (!names->entries[names->n].address || !names->entries[names->n].name) {
		free(names->entries[names->n].address);
		free(names->entries[names->n].name);
		return CTL_EXIT_FAILED;
	}
	names->n++;
	return 0;
}

int audit_names_load(const char *path, bool required, struct audit_names **ret)
{
	struct audit_names *names;
	char *line = NULL;
	size_t size = 0;
	unsigned number = 0;
	int r = 0;
	FILE *f;

	*ret = NULL;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !required)
			return 0;
		(void)fprintf(stderr, "idguardctl audit: cannot read the names file %s: %s\n", path, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	names = calloc(1, sizeof(*names));
	if (!names) {
		(void)fclose(f);
		return CTL_EXIT_FAILED;
	}
	while (r == 0 && getline(&line, &size, f) >= 0) {
		char *address, *name, *rest, *save = NULL;

		number++;
		line[strcspn(line, "#\n")] = '\0';
		address = strtok_r(line, " \t\r", &save);
		if (!address)
			continue;
		name = strtok_r(NULL, " \t\r", &save);
		rest = strtok_r(NULL, " \t\r", &save);
		if (!name || rest || !word_ok(address) || !word_ok(name)) {
			(void)fprintf(stderr,
				      "idguardctl audit: %s:%u: expected \"ADDRESS NAME\" (one name, printable, at most "
				      "%d bytes)\n",
				      path, number, NAME_MAX_BYTES);
			r = CTL_EXIT_FAILED;
			break;
		}
		r = add(names, path, number, address, name);
	}
	if (r == 0 && ferror(f)) {
		(void)fprintf(stderr, "idguardctl audit: cannot read the names file %s\n", path);
		r = CTL_EXIT_FAILED;
	}
	free(line);
	(void)fclose(f);
	if (r) {
		audit_names_free(names);
		return r;
	}
	*ret = names;
	return 0;
}
