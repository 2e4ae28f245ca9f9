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
#include <stdint.h>

#include "queue.h"
#include "token.h"

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,        /* refused, failed, or problems found */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_UNREACHABLE = 3,   /* idguardd is not running or not reachable */
	CTL_EXIT_PERMISSION = 4,    /* the command needs root */
	CTL_EXIT_NOT_CONFIRMED = 5, /* token approve: nobody confirmed the signature, nothing signed */
};

struct ctl {
	const char *socket_path;
	bool json;
};

/* Sends request (consumed) to idguardd. On success *ret_reply holds an
 * "ok": true reply. Otherwise prints the reason and returns the exit code. */
int ctl_call(const struct ctl *ctl, struct json_object *request, struct json_object **ret_reply);

/* The commands that act on one thing by its id ({"command":..., "id": id},
 * id consumed): the reply is printed with --json; on 0 the caller says
 * what was done, unless ctl->json. Otherwise the exit code, reason said. */
int ctl_call_on_id(const struct ctl *ctl, const char *command, struct json_object *id);

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
int ctl_why(const struct ctl *ctl, int argc, char **argv);

/* Parses the options every subcommand has, --json/-j and --help/-h, and
 * leaves the operands in argc/argv. Returns 0 to go on, CTL_HELP_SHOWN after
 * printing help, or CTL_EXIT_USAGE. */
#define CTL_HELP_SHOWN (-1)
int ctl_common_options(struct ctl *ctl, int *argc, char ***argv, const char *help);
/* The exit code for a ctl_common_options() result that is not 0. */
#define CTL_OPTIONS_EXIT(r) ((r) == CTL_HELP_SHOWN ? CTL_EXIT_OK : (r))

/* idguardctl token: its options (ctl_token.c parses them), shared with
 * ctl_approve.c and ctl_registry.c. */
#define CTL_TOKEN_MAX_PATHS 16
struct token_options {
	const char *dirs[CTL_TOKEN_MAX_PATHS];           /* --policy-dir */
	size_t n_dirs;
	const char *approver_dirs[CTL_TOKEN_MAX_PATHS];  /* --approvers-dir */
	size_t n_approver_dirs;
	const char *registry[CTL_TOKEN_MAX_PATHS];       /* --registry */
	size_t n_registry;
	const char *purpose, *ref, *classes, *key_file, *output, *max_age;
	const char *relay, *reason;                      /* --relay FILE, --reason TEXT */
	uint64_t minutes;
	bool session, yes, force;
	int send;                                        /* --send 1, --no-send 0, else -1 */
	const char *operand;
};

/* What approving reads: the policy directories' and the registry's
 * purposes and [Approval] (policy->approval), and the approvers when asked;
 * and where each was looked for, for the messages that say what is missing. */
struct ctl_registry {
	struct idg_policy *policy;
	char purposes_where[2048];    /* "DIR, DIR, PATH" */
	size_t purpose_files;         /* files read for purposes */
	char approvers_where[2048];   /* "DIR (does not exist), PATH" */
	size_t approver_files;        /* files that hold an [Approver] */
};

/* Loads them (approvers too when with_approvers). Prints the problems and
 * returns an exit code when the files have errors or cannot be read; 0
 * with reg filled otherwise (free it with ctl_registry_clear()). */
int ctl_registry_load(const struct token_options *o, bool with_approvers, struct ctl_registry *reg);
void ctl_registry_clear(struct ctl_registry *reg);
/* Prints "no purposes found: ..." (naming where it looked) and returns
 * CTL_EXIT_FAILED when reg has no purpose; 0 otherwise. */
int ctl_registry_require_purposes(const struct ctl_registry *reg, const char *command);

/* An operand, or the first line of stdin for "-", stripped, into buf;
 * prints why not and returns CTL_EXIT_USAGE. */
int ctl_token_operand(const char *operand, char *buf, size_t size, const char *what);
int ctl_token_approve(struct ctl *ctl, const struct token_options *o);
int ctl_token_decline(struct ctl *ctl, const struct token_options *o);

/* ctl_inbox.c: the supervisor's approval inbox on the site's broker. */
struct ctl_inbox_entry {
	char workstation[128];        /* the sender's certificate name (the broker vouches) */
	char rid[64];
	char *code;                   /* NULL: removed */
	bool decoded;
	struct idg_token_request req;
	char error[256];              /* why it could not be read */
	bool answered;                /* an answer waits for the workstation */
};
struct ctl_inbox {
	struct idg_queue_config cfg;
	char broker[300];
	struct idg_queue *queue;
	struct ctl_inbox_entry *items;
	size_t n;
};
/* Connects with this PC's certificate (--relay, ~/.config/idguard/relay.conf
 * or /etc/idguard/relay.conf) and reads what waits. 0, or an exit code
 * after saying why. */
int ctl_inbox_open(const struct token_options *o, const char *command, struct ctl_inbox *box);
void ctl_inbox_close(struct ctl_inbox *box);
/* Whether an operand is a request id rather than a request code. */
bool ctl_inbox_is_request_id(const char *text);
/* The waiting request id names (short or whole); an exit code otherwise. */
int ctl_inbox_find(struct ctl_inbox *box, const char *id, const char *command, struct ctl_inbox_entry **ret);
/* Files text (a token or a decline) as the answer to e; waits for the
 * broker to take it. */
int ctl_inbox_send(struct ctl_inbox *box, const struct ctl_inbox_entry *e, const char *text, const char *command);
int ctl_token_inbox(struct ctl *ctl, const struct token_options *o);

/* ctl_requests.c: the clerk's side. Hands the request code to idguardd for
 * the approval queue when a relay is set up (or --send); *ret_result says
 * what happened ("sent", "why", "relay"), and a line is printed unless
 * --json. 0, or an exit code when it could not be handed in. */
int ctl_request_send(const struct ctl *ctl, const struct token_options *o, const char *code,
		     struct json_object **ret_result);
int ctl_token_requests(struct ctl *ctl);
int ctl_token_cancel(struct ctl *ctl, const struct token_options *o);
int ctl_token_registry(struct ctl *ctl, const struct token_options *o);

#endif
