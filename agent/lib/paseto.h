/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Purpose tokens on the wire: PASETO v4.public (Ed25519 over the
 * pre-authentication encoding of header, payload, footer and implicit
 * assertion) and approver keys as PASERK k4.public / k4.secret / k4.pid,
 * all on libsodium. This module owns the token's bytes and signature only;
 * what the claims mean (who, where, when, which classes) is decided by the
 * caller once idg_paseto_verify() has returned the payload. Any other
 * PASETO v4 implementation can mint tokens this module accepts, and the
 * reverse, so a central approval service may be written in any language.
 */
#ifndef IDG_PASETO_H
#define IDG_PASETO_H

#include <stddef.h>

struct idg_error;

/* Longest token accepted, header and footer included (bytes). */
#define IDG_PASETO_MAX_TOKEN 8192
/* Big enough for any k4.public, k4.secret or k4.pid string and its NUL. */
#define IDG_PASERK_MAX 128

#define IDG_PASETO_PUBLIC_KEY_BYTES 32
#define IDG_PASETO_SECRET_KEY_BYTES 64 /* libsodium's seed || public key */

/* Signs payload (payload_len bytes, text or binary) with footer and implicit assertion
 * (NULL means ""; the footer is not written when empty) into a malloc'd
 * "v4.public...." string. Returns 0, -ENOMEM, -EMSGSIZE when the token
 * would exceed IDG_PASETO_MAX_TOKEN (idg_paseto_verify would refuse it), or
 * -EIO if libsodium cannot start. */
int idg_paseto_sign(const unsigned char secret_key[64], const char *payload, size_t payload_len, const char *footer,
		    const char *implicit, char **ret_token);

/* Checks token's format and its signature by public_key, with implicit
 * (NULL means "") as the implicit assertion. On success returns 0 and a
 * malloc'd NUL-terminated copy of the payload and its length. Errors, with
 * the reason in err: -EMSGSIZE (longer than IDG_PASETO_MAX_TOKEN), -EPROTO
 * (not v4.public), -EINVAL (bad base64url, too short, empty footer part, a
 * NUL byte in the payload), -EBADMSG (signature does not verify), -ENOMEM,
 * -EIO (libsodium cannot start). */
int idg_paseto_verify(const unsigned char public_key[32], const char *token, const char *implicit,
		      char **ret_payload, size_t *ret_payload_len, struct idg_error *err);

/* The same for a binary payload (a CBOR one): NUL bytes in it are allowed.
 * *ret_payload is malloc'd, *ret_payload_len bytes, and a NUL follows them
 * (not counted). */
int idg_paseto_verify_binary(const unsigned char public_key[32], const char *token, const char *implicit,
			     unsigned char **ret_payload, size_t *ret_payload_len, struct idg_error *err);

/* The decoded footer of token (malloc'd, "" when there is none), WITHOUT
 * verifying anything: only to find the key id before choosing a key.
 * Same format errors as idg_paseto_verify, and -EINVAL for a NUL byte in
 * the footer. */
int idg_paseto_footer(const char *token, char **ret_footer, struct idg_error *err);

/* The decoded payload of token (malloc'd), WITHOUT verifying the signature:
 * only to describe a rejected token. Same format errors as
 * idg_paseto_verify. */
int idg_paseto_payload_unverified(const char *token, char **ret_payload, struct idg_error *err);
/* The same for a binary payload (NUL bytes allowed), with its length. */
int idg_paseto_payload_unverified_binary(const char *token, unsigned char **ret_payload, size_t *ret_payload_len,
					 struct idg_error *err);

/* "k4.public.<base64url(pk)>" into buf. Returns 0 or -ENOSPC. */
int idg_paserk_public_encode(const unsigned char pk[32], char *buf, size_t size);
/* "k4.secret.<base64url(sk)>" into buf. Returns 0 or -ENOSPC. */
int idg_paserk_secret_encode(const unsigned char sk[64], char *buf, size_t size);
/* Parses a k4.public string into pk. Returns 0 or -EINVAL (wrong prefix,
 * bad base64url, not 32 bytes); pk is written only on success. */
int idg_paserk_public_decode(const char *text, unsigned char pk[32]);
/* Parses a k4.secret string into sk. Returns 0 or -EINVAL (wrong prefix,
 * bad base64url, not 64 bytes, or a public half that is not the one its
 * seed gives), or -EIO; sk is written only on success. */
int idg_paserk_secret_decode(const char *text, unsigned char sk[64]);
/* "k4.pid.<base64url(BLAKE2b-264("k4.pid." || "k4.public.<pk>"))>", the
 * key id a footer's "kid" carries. Returns 0, -ENOSPC, or -EIO. */
int idg_paserk_pid(const unsigned char pk[32], char *buf, size_t size);
/* A fresh Ed25519 key pair. Returns 0, or -EIO if libsodium cannot start. */
int idg_paserk_generate(unsigned char pk[32], unsigned char sk[64]);

#endif
