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

#include <stddef.h>

struct idg_process_info {
	char exe[512];      /* the program's path ("" when unreadable) */
	char cmdline[1024]; /* arguments joined by spaces, cut with "…" */
	char unit[256];     /* the innermost .service or .scope, or "" */
};

/* The process's name (/proc/PID/comm), control characters shown as '?';
 * "" when it is gone. */
void idg_process_comm(int pid, char *buf, size_t size);

/* Its cgroup v2 path below the mount ("/system.slice/cups.service"): 0, or
 * -ENOENT when it is gone or has no cgroup v2 line, -E2BIG when too long. */
int idg_process_cgroup(int pid, char *buf, size_t size);

/* Reads pid's details if it is still the program named comm (a pid now
 * used by another program is not described): 0, or -ESRCH when the
 * process is gone or no longer that program. Control characters are
 * shown as '?'. */
int idg_process_read(int pid, const char *comm, struct idg_process_info *ret);

#endif
