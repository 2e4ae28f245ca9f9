/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Purpose tokens (Article 7 authorisation). A clerk's request names the
 * purpose, the case reference, the classes and the minutes; an approver
 * signs it into a PASETO v4.public token; the agent checks every rule of
 * DESIGN §3 before it turns the token into a grant.
 *
 * Claims (the contract for other implementations, see docs/tokens.md):
 *   jti  token id, unique (random, 32 hex digits)
 *   sub  the clerk's login name          host  /etc/machine-id of the workstation
 *   pur  purpose id from the policy      ref   case reference (never an ID number)
 *   cls  array of class names            rid   the request's id
 *   iat, nbf, exp  RFC 3339 times (UTC "Z" or an offset)
 * Footer: {"kid": "<PASERK k4.pid of the approver's key>"}.
 */
#ifndef IDG_TOKEN_H
#define IDG_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct idg_error;

#define IDG_REF_MAX 128
#define IDG_HOST_ID_MAX 64
#define IDG_TOKEN_ID_MAX 64
#define IDG_REQUEST_PREFIX "idgreq1."
/* Clocks of approvers and workstations differ a little: nbf may be this far
 * ahead. Expiry gets no leeway. */
#define IDG_TOKEN_LEEWAY_SECONDS 120

struct idg_token_request {
	char user[IDG_NAME_MAX];       /* who will redeem it */
	char host[IDG_HOST_ID_MAX];    /* machine-id of the workstation */
	char hostname[IDG_NAME_MAX];   /* for people only */
	char purpose[IDG_NAME_MAX];
	char ref[IDG_REF_MAX];
	uint32_t class_mask;
	uint32_t minutes;
	int64_t created;               /* unix seconds */
	char id[IDG_TOKEN_ID_MAX];     /* random, so two equal requests differ */
};

struct idg_token_claims {
	char jti[IDG_TOKEN_ID_MAX];
	char sub[IDG_NAME_MAX];
	char host[IDG_HOST_ID_MAX];
	char pur[IDG_NAME_MAX];
	char ref[IDG_REF_MAX];
	char rid[IDG_TOKEN_ID_MAX];
	uint32_t class_mask;
	int64_t iat;
	int64_t nbf;
	int64_t exp;
	char kid[IDG_KEY_ID_MAX];       /* from the footer */
};

/* Why a token was refused: a stable word for scripts and journal fields. */
enum idg_token_rejection {
	IDG_TOKEN_OK = 0,
	IDG_TOKEN_MALFORMED,          /* not a token, bad encoding, bad claims */
	IDG_TOKEN_UNKNOWN_APPROVER,   /* kid not registered */
	IDG_TOKEN_BAD_SIGNATURE,
	IDG_TOKEN_UNKNOWN_PURPOSE,
	IDG_TOKEN_APPROVER_NOT_ALLOWED,
	IDG_TOKEN_SELF_APPROVED,
	IDG_TOKEN_WRONG_HOST,
	IDG_TOKEN_WRONG_USER,
	IDG_TOKEN_NOT_YET_VALID,
	IDG_TOKEN_EXPIRED,
	IDG_TOKEN_TOO_LONG,
	IDG_TOKEN_CLASS_NOT_ALLOWED,
	IDG_TOKEN_REF_ID_NUMBER,
	IDG_TOKEN_REPLAYED,           /* decided by the daemon's database */
};

const char *idg_token_rejection_name(enum idg_token_rejection reason);

/* This machine's id (/etc/machine-id, 32 hex digits). */
int idg_machine_id(char buf[IDG_HOST_ID_MAX]);

/* Checks a request against the policy: purpose known, classes allowed,
 * minutes within the purpose's maximum, ref not an ID number. */
int idg_token_request_check(const struct idg_token_request *req, const struct idg_policy *policy,
			    struct idg_error *err);
/* "idgreq1." + base64url(JSON); malloc'd. */
int idg_token_request_encode(const struct idg_token_request *req, char **ret_code);
int idg_token_request_decode(const char *code, struct idg_token_request *ret, struct idg_error *err);
/* A sentence an approver can read aloud. */
void idg_token_request_summary(const struct idg_token_request *req, const struct idg_policy *policy, char *buf,
			       size_t size);
/* The part of the request id people compare: "7F3K-9QX2". */
void idg_token_request_short_id(const struct idg_token_request *req, char *buf, size_t size);

/* Signs the claims for req (nbf = now, exp = now + minutes) with an
 * approver's secret key; *ret_token is malloc'd. */
int idg_token_mint(const struct idg_token_request *req, const unsigned char secret_key[64], const char *key_id,
		   int64_t now, char **ret_token, struct idg_token_claims *ret_claims);

/* Who redeems, where, when. */
struct idg_token_context {
	const struct idg_policy *policy;  /* purposes and approvers */
	const char *host;                 /* this machine's id */
	const char *user;                 /* the caller's login name */
	int64_t now;                      /* unix seconds */
};

/* Applies every rule of DESIGN §3 except replay (the daemon's database
 * knows that). Returns IDG_TOKEN_OK with *ret_claims and *ret_approver
 * filled, or the reason with a sentence for the clerk in err. The claims
 * that could be read are left in *ret_claims even when refused, for the
 * journal (never the signature). */
enum idg_token_rejection idg_token_check(const char *token, const struct idg_token_context *ctx,
					 struct idg_token_claims *ret_claims,
					 const struct idg_approver **ret_approver, struct idg_error *err);

/* How old a request may be when it is approved, unless the registry's
 * [Approval] MaxRequestAge= says otherwise: an old request is a stale
 * case, or a code copied from somewhere it should not have been. */
#define IDG_REQUEST_MAX_AGE_DEFAULT (24 * 3600)
/* A request dated this far after the approver's clock is still taken as
 * made now (clocks differ); beyond it, it is refused. */
#define IDG_REQUEST_FUTURE_SKEW_SECONDS 600

/* "2026-12-03 09:14 (3 minutes ago)": when req was made, local time, and
 * its age at now. */
void idg_token_request_made_text(const struct idg_token_request *req, int64_t now, char *buf, size_t size);

/* 0 when req was made at most max_age_sec before now and at most
 * IDG_REQUEST_FUTURE_SKEW_SECONDS after it. Otherwise -ETIMEDOUT (too old)
 * or -ERANGE (dated in the future), with a sentence saying when it was
 * made and the limit in err. */
int idg_token_request_check_age(const struct idg_token_request *req, int64_t now, uint64_t max_age_sec,
				struct idg_error *err);

/* systemd-style time spans: "1d", "12h", "30min", "1d 12h", "90s", a bare
 * number is seconds; units s/sec/second(s), m/min/minute(s), h/hr/hour(s),
 * d/day(s), w/week(s). 0, -EINVAL or -ERANGE. */
int idg_timespan_parse(const char *text, uint64_t *ret_sec);
/* The reverse, in the largest units: "1d", "1d 12h", "30min", "0s". */
void idg_timespan_format(uint64_t sec, char *buf, size_t size);
/* An age for people: "3 minutes ago", "less than a minute ago", "2 days
 * ago", or for a negative age "in 5 minutes". */
void idg_age_format(int64_t age_sec, char *buf, size_t size);

/* RFC 3339 <-> unix seconds. */
int idg_rfc3339_parse(const char *text, int64_t *ret);
void idg_rfc3339_format(int64_t t, char *buf, size_t size);

#endif
