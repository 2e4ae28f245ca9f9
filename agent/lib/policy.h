/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy: INI drop-ins (libinih) merged systemd style. Files named
 * *.conf are collected from each policy directory in order; a file in a later
 * directory replaces one with the same name in an earlier directory; the
 * survivors are read in lexical order of their names. Scalars: last wins.
 * Lists (Device=, Match*=, Unit=, CGroup=): each line appends, an empty value
 * clears.
 * The syntax is documented in docs/man/idguard-policy.5.
 *
 * Parsing is pure: node paths are kept as written and resolved later by the
 * watch list (watchlist.h), so `idguardctl policy check` works anywhere.
 */
#ifndef IDG_POLICY_H
#define IDG_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "classify.h"
#include "diag.h"
#include "endpoints.h"
#include "idguard.h"

#define IDG_DEFAULT_POLICY_DIRS { IDG_PREFIX "/share/idguard/policy.d", IDG_SYSCONFDIR "/idguard/policy.d" }
#define IDG_POLICY_MAX_FILES 256
/* Only regular files are read (a symbolic link to /dev/null reads as
 * empty), each at most IDG_POLICY_MAX_FILE_BYTES, and the files of one
 * load (the policy directories, the approvers directories, or the
 * registry) at most IDG_POLICY_MAX_TOTAL_BYTES together. */
#define IDG_POLICY_MAX_FILE_BYTES (1 << 20)
#define IDG_POLICY_MAX_TOTAL_BYTES (4 << 20)

/* One Device= line. Either a node path or (dev_type, major, minors). */
struct idg_policy_device {
	uint8_t class_id;
	uint8_t dev_type;  /* enum idg_dev_type; 0 when given by node path */
	bool whole_major;  /* MAJOR:* */
	uint32_t major;
	uint32_t minor_lo;
	uint32_t minor_hi; /* == minor_lo for a single minor */
	char *node;        /* absolute path, or NULL */
	const char *file;  /* points into idg_policy.files */
	unsigned line;
};

struct idg_policy_exempt {
	bool is_unit;      /* Unit=NAME, else CGroup=PATH */
	char *name;
	const char *file;
	unsigned line;
};

#define IDG_NAME_MAX 64      /* purpose ids, approver ids, user names */
#define IDG_KEY_ID_MAX 128   /* a PASERK k4.pid string */

enum idg_grant_end {
	IDG_GRANT_END_TERMINATE, /* end processes still holding a device of the grant */
	IDG_GRANT_END_LOG,       /* only record them */
};

/* [Purpose ID]: a lawful reason to image a card, what it may use, who may
 * approve it. */
struct idg_purpose {
	char id[IDG_NAME_MAX];
	char *description;       /* Description= (English) */
	char *description_zh;    /* Description[zh_CN]= */
	char *legal_basis;       /* LegalBasis= */
	uint32_t class_mask;     /* Classes= */
	uint32_t max_minutes;    /* MaxMinutes= */
	char **approvers;        /* Approvers=: approver ids */
	size_t n_approvers;
	bool example;            /* Example=yes: shipped as a model to adapt */
	const char *file;
	unsigned line;
};

/* [Approver ID] in approvers.d: a supervisor's signing key. */
struct idg_approver {
	char id[IDG_NAME_MAX];
	char user[IDG_NAME_MAX];           /* User=: the approver's login name */
	unsigned char public_key[32];      /* PublicKey=k4.public.... */
	bool has_key;
	char key_id[IDG_KEY_ID_MAX];       /* its PASERK k4.pid, the token's kid */
	char **purposes;                   /* Purposes=: ids, or "*" for any */
	size_t n_purposes;
	bool admin;                        /* Admin=yes: may revoke anyone's tokens */
	const char *file;
	unsigned line;
};

/* [Approval]: what `idguardctl token approve` asks of a request. Read from
 * registry and policy files (so one site file serves as both); idguardd
 * uses MaxRequestAge= too, to expire requests sent through the relay that
 * nobody answered. */
struct idg_approval {
	uint64_t max_request_age_sec;     /* MaxRequestAge=; 0 when not set */
	const char *max_request_age_file; /* where it was set (in idg_policy.files) */
	unsigned max_request_age_line;
};

struct idg_policy_index;

struct idg_policy {
	int global_mode;                    /* ceiling for every class */
	int class_mode[IDG_CLASS_COUNT];    /* as written, before the ceiling */
	uint64_t repeat_window_ms;
	uint32_t stats_interval_sec;

	struct idg_policy_device *devices;
	size_t n_devices;
	struct idg_match_rule *matches;     /* Match*= lines, in file order */
	size_t n_matches;
	struct idg_endpoint *endpoints;     /* [Endpoint NAME] */
	size_t n_endpoints;
	struct idg_broker *brokers;         /* [Broker NAME] */
	size_t n_brokers;
	struct idg_policy_exempt *exempt;
	size_t n_exempt;
	enum idg_grant_end on_grant_end;
	/* [Notify]: what the clerk's notifications say and when. */
	uint32_t notify_warn_before_sec;    /* WarnBefore=: 0 for no warning */
	char *notify_advice;                /* Advice=: the site's next step, or NULL */
	char *notify_advice_zh;             /* Advice[zh_CN]= */
	struct idg_purpose *purposes;
	size_t n_purposes;
	struct idg_approver *approvers;     /* from the approvers directories or the registry */
	size_t n_approvers;
	struct idg_approval approval;       /* [Approval] */
	char **files;                       /* the files merged, in order */
	size_t n_files;
	struct idg_policy_index *index;     /* sections by id (policy_internal.h) */
};

#define IDG_DEFAULT_APPROVER_DIRS { IDG_SYSCONFDIR "/idguard/approvers.d" }
/* The registry: what approving a token needs besides the approver's key,
 * on a PC without the workstations' policy: the site's purposes, its
 * approvers and its [Approval] rules, in files with the policy's grammar. */
#define IDG_DEFAULT_REGISTRY_DIR IDG_SYSCONFDIR "/idguard/registry.d"

/* A policy holding only the built-in defaults (see policy.c). */
struct idg_policy *idg_policy_new(void);
void idg_policy_free(struct idg_policy *policy);

/* Reads one file into policy. Problems go to diags with file:line; returns
 * -errno only when the file cannot be read (also when it is no regular
 * file, is too large or holds a NUL byte) or memory runs out. */
int idg_policy_parse_file(struct idg_policy *policy, const char *path, struct idg_diags *diags);

/* Parses text as if it were the file named `name` (tests, fuzzing). */
int idg_policy_parse_string(struct idg_policy *policy, const char *name, const char *text,
			    struct idg_diags *diags);

/* Collects and merges the drop-ins of dirs (missing dirs are fine). On
 * success *ret_policy is set even when diags holds errors: the caller
 * decides whether errors make the policy unusable (they always should). */
int idg_policy_load_dirs(const char *const *dirs, size_t n_dirs, struct idg_policy **ret_policy,
			 struct idg_diags *diags);

/* When dirs held no policy file at all, says so: nothing would be guarded.
 * An error with required (idguardctl policy check), a warning without
 * (idguardd starts, guarding nothing, and says so loudly). */
void idg_policy_check_found(const struct idg_policy *policy, const char *const *dirs, size_t n_dirs, bool required,
			    struct idg_diags *diags);

/* Reads the [Approver] files of dirs into policy (same merge rules as
 * policy files; these files hold [Approver] sections only). */
int idg_policy_load_approvers(struct idg_policy *policy, const char *const *dirs, size_t n_dirs,
			      struct idg_diags *diags);

/* Reads the registry at paths into policy: each a file, or a directory
 * whose *.conf files are read in lexical order (a missing path is fine).
 * Registry files hold [Approver] sections (as in approvers.d), [Approval]
 * and every policy section, so that a workstation's policy file serves as
 * a registry. The same file checks and byte budget as policy files; files
 * that cannot be read are reported in diags. *ret_files counts the files
 * read. Returns -errno only when memory runs out. The checks of the merged
 * whole (idg_policy_check_purposes/_approvers) are the caller's. */
int idg_policy_load_registry(struct idg_policy *policy, const char *const *paths, size_t n_paths, size_t *ret_files,
			     struct idg_diags *diags);

/* Parses text as if it were the registry file named `name` (tests,
 * fuzzing). 0 or -ENOMEM. */
int idg_policy_parse_registry_string(struct idg_policy *policy, const char *name, const char *text,
				     struct idg_diags *diags);

/* What only the merged whole can tell. Purposes: each complete (called by
 * idg_policy_load_dirs(); call it after parsing files by hand). Approvers:
 * each complete, keys unique, and the names purposes and approvers give each
 * other known (called by idg_policy_load_approvers()). */
void idg_policy_check_purposes(const struct idg_policy *policy, struct idg_diags *diags);
/* Match rules: one product (VID:PID) in one class only. Called by
 * idg_policy_load_dirs(). */
void idg_policy_check_matches(const struct idg_policy *policy, struct idg_diags *diags);
void idg_policy_check_approvers(const struct idg_policy *policy, struct idg_diags *diags);

/* Lookups; NULL when absent. */
const struct idg_purpose *idg_policy_purpose(const struct idg_policy *policy, const char *id);
const struct idg_approver *idg_policy_approver(const struct idg_policy *policy, const char *id);
const struct idg_approver *idg_policy_approver_by_key_id(const struct idg_policy *policy, const char *key_id);
/* Whether approver may approve purpose: the purpose lists it and it lists
 * the purpose (or "*"). */
bool idg_policy_may_approve(const struct idg_approver *approver, const struct idg_purpose *purpose);

/* Mode a class really runs in: its own mode, capped by the global mode. */
int idg_policy_effective_mode(const struct idg_policy *policy, unsigned class_id);

/* Writes the merged policy back as INI, with where each line came from. */
void idg_policy_format_ini(const struct idg_policy *policy, FILE *out);
/* One [Purpose] section as the parser reads it back; with_source adds
 * "  ; FILE:LINE" to its header (policy show), without it the section is
 * as a registry file holds it (token registry export). */
void idg_purpose_format_ini(const struct idg_purpose *p, bool with_source, FILE *out);

/* "char 81:*", "block 8:0-15", "/dev/video0" -> device fields (class_id,
 * file and line left alone). -EINVAL with a message in err on bad input. */
struct idg_error;
int idg_policy_parse_device(const char *spec, struct idg_policy_device *ret, struct idg_error *err);
/* The reverse, for display: "char 81:*", "char 180:0-15", "/dev/video0". */
void idg_policy_device_format(const struct idg_policy_device *dev, char *buf, size_t size);

/* "1s", "500ms", "2min" -> milliseconds. */
int idg_parse_duration_ms(const char *s, uint64_t *ret_ms);

#endif
