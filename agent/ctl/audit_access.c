// SPDX-License-Identifier: GPL-2.0-only
/* When the journal cannot be read: say why, and point staff to their own
 * record (`idguardctl why`) rather than to the audit trail. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "util.h"

/* Whether dir (recursively, one level) holds journal files we cannot read. */
static bool unreadable_journal_files(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return errno == EACCES;
	while (!found && (de = readdir(d))) {
		char path[4096];
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (len > 8 && (streq(de->d_name + len - 8, ".journal") || strstr(de->d_name, ".journal~")))
			found = access(path, R_OK) < 0;
		else if (depth > 0 && de->d_type == DT_DIR)
			found = unreadable_journal_files(path, depth - 1);
	}
	(void)closedir(d);
	return found;
}

int audit_explain_no_access(const struct audit_options *o)
{
	bool blocked;

	if (o->n_files) {
		for (size_t i = 0; i < o->n_files; i++)
			if (access(o->files[i], R_OK) < 0) {
				(void)fprintf(stderr, "idguardctl audit: cannot read %s: %s\n", o->files[i], strerror(errno));
				return CTL_EXIT_PERMISSION;
			}
		return 0;
	}
	blocked = o->directory ? unreadable_journal_files(o->directory, 1)
			       : unreadable_journal_files("/var/log/journal", 1) || unreadable_journal_files("/run/log/journal", 1);
	if (!blocked)
		return 0;
	return audit_print_no_access(o);
}

int audit_print_no_access(const struct audit_options *o)
{
	/* Most who get here are staff wanting to know why they were refused:
	 * their own record is `idguardctl why`; the trail of everyone's is not
	 * theirs to read (Article 8), so the way to it is not advertised. */
	(void)fprintf(stderr,
		      "idguardctl audit: you may not read %s: the audit trail is kept for auditors.\n"
		      "To see your own refusals (with what to do next) and your live grants, run:\n"
		      "  idguardctl why\n"
		      "Auditors: see idguardctl(8), under audit, for the access an administrator gives you.\n",
		      o->directory ? o->directory : "this machine's journal");
	return CTL_EXIT_PERMISSION;
}
