/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The compact (version 2) wire forms of requests, token claims and
 * declines: CBOR arrays (RFC 8949) without field names, written and read
 * with libcbor's streaming decoder, strictly: an array of exactly the
 * version's items, each of its type, definite lengths only, byte strings
 * of their exact length, text valid UTF-8 without NUL or control
 * characters, nothing after the array. Internal to libidguard (token.c and
 * the fuzzers); the layouts are documented in docs/tokens.md, "The token
 * contract".
 */
#ifndef IDG_TOKEN_WIRE_H
#define IDG_TOKEN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "token.h"

struct idg_error;

#define IDG_WIRE_VERSION 2
#define IDG_WIRE_RID_BYTES 8
#define IDG_WIRE_JTI_BYTES 16
#define IDG_WIRE_HOST_BYTES 16
#define IDG_WIRE_KID_BYTES 33 /* BLAKE2b-264 of the k4.pid */
/* The latest time written or read, 9999-12-31T23:59:59Z: what RFC 3339
 * text (the JSON forms) can say, and far from int64 overflow. */
#define IDG_WIRE_TIME_MAX INT64_C(253402300799)
/* Items of each array. */
#define IDG_WIRE_REQUEST_ITEMS 10
#define IDG_WIRE_CLAIMS_ITEMS 12
#define IDG_WIRE_DECLINE_ITEMS 7

/* req as a CBOR array; *ret is malloc'd, *ret_len bytes. 0, -ENOMEM, or
 * -EINVAL when a field cannot be written (see idg_token_request_encode). */
int idg_wire_request_encode(const struct idg_token_request *req, unsigned char **ret, size_t *ret_len);
/* The reverse. 0, or -EINVAL with a phrase in err saying what is wrong
 * ("item 6 (pur) is not valid UTF-8"), for the caller to put in its
 * sentence. *ret is written only on success. */
int idg_wire_request_decode(const unsigned char *data, size_t len, struct idg_token_request *ret,
			    struct idg_error *err);

/* c as a CBOR array (jti 32 hex digits, host 32, rid 16, kid a k4.pid). */
int idg_wire_claims_encode(const struct idg_token_claims *c, unsigned char **ret, size_t *ret_len);
/* Reads token claims into c, which is zeroed first and then filled as far
 * as they could be read, also on failure (for the journal). Returns 0;
 * -EBADMSG when the array itself is damaged (c->kid is then ""), with a
 * phrase in err ("it is cut short in item 12 (kid)"); or -EINVAL when the
 * array is whole but a claim is bad (c->kid is then set), with a sentence
 * ("the token's claim 'sub' (item 3) holds control characters"). */
int idg_wire_claims_decode(const unsigned char *data, size_t len, struct idg_token_claims *c,
			   struct idg_error *err);

/* A decline as a CBOR array. */
int idg_wire_decline_encode(const struct idg_decline *d, unsigned char **ret, size_t *ret_len);
/* As idg_wire_claims_decode, for a decline. */
int idg_wire_decline_decode(const unsigned char *data, size_t len, struct idg_decline *d, struct idg_error *err);

/* How many items the CBOR array in data holds (checking nothing else), or
 * -EINVAL when data does not start with a definite-length array. */
int idg_wire_array_items(const unsigned char *data, size_t len);

/* "k4.pid." + base64url(digest) <-> the 33 digest bytes. The decoder takes
 * only the one spelling the encoder writes: 0 or -EINVAL. */
int idg_wire_kid_decode(const char *kid, unsigned char digest[IDG_WIRE_KID_BYTES]);
void idg_wire_kid_encode(const unsigned char digest[IDG_WIRE_KID_BYTES], char *buf, size_t size);

/* Checks text for a wire field: valid UTF-8 of 1 to max bytes, no NUL
 * (len is the byte count, so an embedded NUL is seen), no control
 * characters (below U+0020, and U+007F). Returns 0 or -EINVAL with a
 * phrase in err ("is empty", "is not valid UTF-8"). */
int idg_wire_text_check(const char *text, size_t len, size_t max, struct idg_error *err);

#endif
