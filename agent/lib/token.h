/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Purpose tokens (Article 7 authorisation). A clerk's request names the
 * purpose, the case reference, the classes and the minutes; an approver
 * signs it into a PASETO v4.public token, or signs a decline; the agent
 * checks every rule of DESIGN §3 before it turns a token into a grant.
 *
 * The contract for other implementations is docs/tokens.md, "The token
 * contract". In short, each is a CBOR array without field names:
 *   request code  "idgreq2." + base64url([2, rid, sub, host, hostname, pur,
 *                 ref, classes, minutes, iat])
 *   token         v4.public, no footer, payload [2, jti, sub, host, pur,
 *                 ref, rid, classes, iat, nbf, exp, kid]
 *   decline       v4.public, no footer, implicit assertion "idguard-decline",
 *                 payload [2, rid, sub, host, reason, iat, kid]
 * rid, jti, host and kid are raw bytes (8, 16, 16 and the 33 bytes of the
 * approver key's k4.pid digest), classes the mask (1 << class id of
 * bpf/idguard.h), times unsigned unix seconds. Still accepted: "idgreq1."
 * codes (base64url of JSON) and tokens with JSON claims (jti, sub, host,
 * pur, ref, cls: class names, rid, iat/nbf/exp: RFC 3339) and the footer
 * {"kid": "k4.pid...."}, as a stock PASETO library mints them. The structs
 * below hold ids as text either way (hex digits, "k4.pid....").
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
#define IDG_REQUEST_PREFIX "idgreq2."    /* what idg_token_request_encode() writes */
#define IDG_REQUEST_PREFIX_V1 "idgreq1." /* JSON codes, still read */
/* A decline's implicit assertion: a decline never verifies as a token, nor
 * a token as a decline. */
#define IDG_DECLINE_IMPLICIT "idguard-decline"
/* Longest reason in a decline, in bytes of UTF-8. */
#define IDG_DECLINE_REASON_MAX 200
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
	char kid[IDG_KEY_ID_MAX];       /* "k4.pid....": in the payload, or the JSON form's footer */
};

/* An approver's signed refusal of a request. */
struct idg_decline {
	char rid[IDG_TOKEN_ID_MAX];     /* the request's id, 16 hex digits */
	char sub[IDG_NAME_MAX];         /* the clerk who asked */
	char host[IDG_HOST_ID_MAX];     /* machine id of her workstation */
	char reason[IDG_DECLINE_REASON_MAX + 1];
	int64_t iat;                    /* unix seconds, the approver's clock */
	char kid[IDG_KEY_ID_MAX];       /* "k4.pid....": the approver's key */
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
/* "idgreq2." + base64url(CBOR), malloc'd. 0, -ENOMEM, or -EINVAL when req
 * cannot be written: id not 16 hex digits, host not 32, a text empty, too
 * long, not UTF-8 or with control characters, no classes, minutes 0. */
int idg_token_request_encode(const struct idg_token_request *req, char **ret_code);
/* Reads an "idgreq2." or "idgreq1." code; 0, or -EINVAL / -EMSGSIZE with a
 * sentence saying what is damaged. *ret is written only on success. The
 * policy's checks are idg_token_request_check(). */
int idg_token_request_decode(const char *code, struct idg_token_request *ret, struct idg_error *err);
/* A sentence an approver can read aloud. */
void idg_token_request_summary(const struct idg_token_request *req, const struct idg_policy *policy, char *buf,
			       size_t size);
/* The part of the request id people compare: "7F3K-9QX2". */
void idg_token_request_short_id(const struct idg_token_request *req, char *buf, size_t size);
/* The same of a request id alone (its first 8 hex digits, in capitals). */
void idg_request_id_short(const char *rid, char *buf, size_t size);
/* A random id of n_bytes as hex: a request's (IDG_REQUEST_ID_BYTES) or a
 * token's (IDG_TOKEN_ID_BYTES). The ids go into every record of a request
 * or grant, and now and then random hex digits hold a run that looks like
 * a resident ID number (15 or 18 digits with a valid date), which the
 * journal would withhold, so that the record could no longer be found by
 * the id: such an id is drawn again. */
#define IDG_REQUEST_ID_BYTES 8
#define IDG_TOKEN_ID_BYTES 16
void idg_random_id(char *buf, size_t size, size_t n_bytes);
/* Whether text, as a clerk or supervisor types it, names request rid: the
 * whole id, or the short id ("B4A4-EAE7", "b4a4eae7"); dashes ignored. */
bool idg_request_id_matches(const char *text, const char *rid);

/* Signs the claims for req (nbf = now, exp = now + minutes) with an
 * approver's secret key (key_id its "k4.pid...."), in the CBOR form;
 * *ret_token is malloc'd. 0, -ENOMEM, -EIO, or -EINVAL when req or key_id
 * cannot be written (see idg_token_request_encode). */
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
 * knows that), to either form of token (CBOR claims, or JSON claims with a
 * kid footer: told apart by the payload's first byte, '{' for JSON).
 * Returns IDG_TOKEN_OK with *ret_claims and *ret_approver filled, or the
 * reason with a sentence for the clerk in err. The claims that could be
 * read are left in *ret_claims even when refused, for the journal (never
 * the signature). */
enum idg_token_rejection idg_token_check(const char *token, const struct idg_token_context *ctx,
					 struct idg_token_claims *ret_claims,
					 const struct idg_approver **ret_approver, struct idg_error *err);

/* 0 when reason can go into a decline: 1 to IDG_DECLINE_REASON_MAX bytes
 * of UTF-8 without control characters (-EINVAL), and no resident ID number
 * (-EPERM); the sentence in err. */
int idg_decline_reason_check(const char *reason, struct idg_error *err);

/* Signs a refusal of req with the approver's secret key (key_id its
 * "k4.pid....") at now; *ret_text ("v4.public....") is malloc'd. 0,
 * -ENOMEM, -EIO, -EINVAL (req as for idg_token_request_encode, key_id, or
 * the reason), -EPERM (an ID number in the reason). */
int idg_decline_mint(const struct idg_token_request *req, const unsigned char secret_key[64], const char *key_id,
		     const char *reason, int64_t now, char **ret_text);

/* Checks a decline: its form, that its key is a registered approver's
 * (ctx->policy), its signature, its contents, the reason (no ID number),
 * and, when ctx->host / ctx->user are not NULL, that it answers a request
 * of this workstation / of that user (ctx->now is not used: a decline
 * grants nothing, so its time is only reported). Returns 0 with
 * *ret_decline and *ret_approver filled, or -EINVAL (damaged, or not a
 * decline), -ENOKEY (a key not registered here), -EBADMSG (the signature
 * does not verify), -EPERM (an ID number in the reason), -EXDEV (another
 * workstation's), -EACCES (another user's), with a sentence in err. What
 * could be read is left in *ret_decline even when refused, for the
 * journal; *ret_approver is set once the key is known. */
int idg_decline_check(const char *text, const struct idg_token_context *ctx, struct idg_decline *ret_decline,
		      const struct idg_approver **ret_approver, struct idg_error *err);

/* What an answer to a request is, by its shape alone (nothing verified):
 * for a program that receives both and must pick the check. */
enum idg_answer_kind {
	IDG_ANSWER_UNKNOWN = 0,
	IDG_ANSWER_TOKEN,     /* CBOR token claims, or JSON claims */
	IDG_ANSWER_DECLINE,
};
enum idg_answer_kind idg_answer_kind(const char *text);

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
