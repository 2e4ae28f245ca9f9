/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What /proc shows of the process behind a decision: its program, command
 * line and systemd unit. idguardd writes these itself instead of handing
 * journald OBJECT_PID=, for which journald would copy the whole command
 * line into OBJECT_CMDLINE= unfiltered: a clerk's viewer opened on
 * /cases/<ID number>.pdf would put card data in the record (Article 8).
 * Written by us, the values pass the journal's withholding like any field.
 */
#ifndef IDG_PROCESS_H
#define IDG_PROCESS_H

struct idg_process_info {
	char exe[512];      /* the program's path ("" when unreadable) */
	char cmdline[1024]; /* arguments joined by spaces, cut with "…" */
	char unit[256];     /* the innermost .service or .scope, or "" */
};

/* Reads pid's details if it is still the program named comm (a pid now
 * used by another program is not described): 0, or -ESRCH when the
 * process is gone or no longer that program. Control characters are
 * shown as '?'. */
int idg_process_read(int pid, const char *comm, struct idg_process_info *ret);

#endif
