/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idguardctl: the command table lives in idguardctl.c; each group of
 * subcommands has its own file. Exit codes are part of the interface and
 * documented in idguardctl(8).
 */
#ifndef IDG_CTL_H
#define IDG_CTL_H

#include <json-c/json.h>
#include <stdbool.h>

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,        /* refused, failed, or problems found */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_UNREACHABLE = 3,   /* idguardd is not running or not reachable */
	CTL_EXIT_PERMISSION = 4,    /* the command needs root */
};

struct ctl {
	const char *socket_path;
	bool json;
};

/* Sends request (consumed) to idguardd. On success *ret_reply holds an
 * "ok": true reply. Otherwise prints the reason and returns the exit code. */
int ctl_call(const struct ctl *ctl, struct json_object *request, struct json_object **ret_reply);

/* Prints obj as one line of JSON on stdout. */
void ctl_print_json(struct json_object *obj);

const char *ctl_get_string(struct json_object *obj, const char *key, const char *fallback);
long long ctl_get_int(struct json_object *obj, const char *key, long long fallback);

int ctl_status(const struct ctl *ctl, int argc, char **argv);
int ctl_devices(const struct ctl *ctl, int argc, char **argv);
int ctl_policy(const struct ctl *ctl, int argc, char **argv);
int ctl_grant(const struct ctl *ctl, int argc, char **argv);
int ctl_reload(const struct ctl *ctl, int argc, char **argv);
int ctl_uninstall(const struct ctl *ctl, int argc, char **argv);
int ctl_token(const struct ctl *ctl, int argc, char **argv);
int ctl_key(const struct ctl *ctl, int argc, char **argv);
int ctl_audit(const struct ctl *ctl, int argc, char **argv);

/* Parses the options every subcommand has, --json/-j and --help/-h, and
 * leaves the operands in argc/argv. Returns 0 to go on, CTL_HELP_SHOWN after
 * printing help, or CTL_EXIT_USAGE. */
#define CTL_HELP_SHOWN (-1)
int ctl_common_options(struct ctl *ctl, int *argc, char ***argv, const char *help);
/* The exit code for a ctl_common_options() result that is not 0. */
#define CTL_OPTIONS_EXIT(r) ((r) == CTL_HELP_SHOWN ? CTL_EXIT_OK : (r))

#endif
