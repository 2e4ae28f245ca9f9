// SPDX-License-Identifier: GPL-2.0-only
/*
 * PASETO v4.public tokens and PASERK k4 keys on libsodium: the
 * pre-authentication encoding, Ed25519 signing and verification, strict
 * unpadded base64url both ways, and the k4.public / k4.secret / k4.pid
 * strings an approver's key is stored and named by. Nothing here reads
 * claims or keys from disk; callers choose the key and judge the payload.
 */
#include "paseto.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>

#include "util.h"

#define TOKEN_HEADER "v4.public."
#define TOKEN_HEADER_LEN (sizeof(TOKEN_HEADER) - 1)
#define SIGNATURE_BYTES crypto_sign_BYTES
#define PASERK_PUBLIC "k4.public."
#define PASERK_SECRET "k4.secret."
#define PASERK_PID "k4.pid."
#define PID_HASH_BYTES 33 /* BLAKE2b-264: encodes to 44 characters exactly */
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;

static void sodium_start(void)
{
	sodium_status = sodium_init();
}

/* sodium_init() picks the fastest implementations and seeds the RNG; it is
 * safe to call again, but once is enough and costs no lock afterwards. */
static int need_sodium(void)
{
	(void)pthread_once(&sodium_once, sodium_start);
	return sodium_status < 0 ? -EIO : 0;
}

/* ---- pre-authentication encoding ----------------------------------------------- */

struct pae_piece {
	const void *data;
	size_t len;
};

/* PASETO's LE64: little-endian, with the top bit cleared so that languages
 * without unsigned 64-bit integers compute the same bytes. */
static void le64(unsigned char out[8], uint64_t n)
{
	n &= UINT64_MAX >> 1;
	for (size_t i = 0; i < 8; i++) {
		out[i] = n & 0xff;
		n >>= 8;
	}
}

/* PAE(pieces): LE64(count), then LE64(len) || bytes for each piece. Every
 * length is bound into the signed message, so no piece can spill into the
 * next. NULL when out of memory. */
static unsigned char *pae(const struct pae_piece *pieces, size_t count, size_t *ret_len)
{
	unsigned char *out, *p;
	size_t total = 8;

	for (size_t i = 0; i < count; i++) {
		if (pieces[i].len > SIZE_MAX - total - 8)
			return NULL;
		total += 8 + pieces[i].len;
	}
	out = malloc(total);
	if (!out)
		return NULL;
	p = out;
	le64(p, count);
	p += 8;
	for (size_t i = 0; i < count; i++) {
		le64(p, pieces[i].len);
		p += 8;
		if (pieces[i].len)
			memcpy(p, pieces[i].data, pieces[i].len);
		p += pieces[i].len;
	}
	*ret_len = total;
	return out;
}

/* PAE("v4.public.", payload, footer, implicit): what the signature covers. */
static unsigned char *signed_message(const unsigned char *payload, size_t payload_len, const void *footer,
				     size_t footer_len, const char *implicit, size_t *ret_len)
{
	const struct pae_piece pieces[] = {
		{ TOKEN_HEADER, TOKEN_HEADER_LEN },
		{ payload, payload_len },
		{ footer, footer_len },
		{ implicit, strlen(implicit) },
	};

	return pae(pieces, ARRAY_SIZE(pieces), ret_len);
}

/* ---- base64url ------------------------------------------------------------------ */

/* Length of the unpadded encoding of len bytes, without the NUL. */
static size_t b64_len(size_t len)
{
	return sodium_base64_encoded_len(len, B64) - 1;
}

/* Whether text[0..len) holds only the base64url alphabet. libsodium 1.0.18
 * decodes every byte from 0x80 up as '_' (it reads a signed char), which
 * would give one token many spellings; so the alphabet is checked here. */
static bool is_b64url(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* Decodes exactly text[0..len) as unpadded base64url into a malloc'd,
 * NUL-terminated buffer. With the alphabet checked, libsodium (no ignore
 * set, no end pointer) still refuses a stray last character and non-zero
 * trailing bits, so each byte string has one encoding only. -EINVAL or
 * -ENOMEM. */
static int b64url_decode(const char *text, size_t len, unsigned char **ret, size_t *ret_len)
{
	_cleanup_free_ unsigned char *bin = NULL;
	size_t max = len / 4 * 3 + 3, bin_len;

	if (!is_b64url(text, len))
		return -EINVAL;
	bin = malloc(max + 1);
	if (!bin)
		return -ENOMEM;
	if (sodium_base642bin(bin, max, text, len, NULL, &bin_len, NULL, B64) != 0)
		return -EINVAL;
	bin[bin_len] = '\0';
	*ret = TAKE_PTR(bin);
	*ret_len = bin_len;
	return 0;
}

/* ---- tokens --------------------------------------------------------------------- */

/* A token's decoded parts; body is payload || signature. Both buffers are
 * NUL-terminated after their length. */
struct token_parts {
	unsigned char *body;
	size_t body_len;
	unsigned char *footer;
	size_t footer_len;
};

static void token_parts_done(struct token_parts *parts)
{
	free(parts->body);
	free(parts->footer);
}

static size_t payload_len(const struct token_parts *parts)
{
	return parts->body_len - SIGNATURE_BYTES;
}

/* The format checks every reader of a token shares. Length first, so that
 * nothing longer than IDG_PASETO_MAX_TOKEN is even scanned to its end. */
static int token_split(const char *token, struct token_parts *ret, struct idg_error *err)
{
	_cleanup_(token_parts_done) struct token_parts parts = { 0 };
	const char *body, *dot;
	size_t len;
	int r;

	if (!token)
		return idg_error_set(err, -EINVAL, "no token given");
	len = strnlen(token, IDG_PASETO_MAX_TOKEN + 1);
	if (len > IDG_PASETO_MAX_TOKEN)
		return idg_error_set(err, -EMSGSIZE, "token is longer than %d bytes", IDG_PASETO_MAX_TOKEN);
	if (strncmp(token, TOKEN_HEADER, TOKEN_HEADER_LEN) != 0)
		return idg_error_set(err, -EPROTO, "not a v4.public token");
	body = token + TOKEN_HEADER_LEN;
	dot = strchr(body, '.');
	r = b64url_decode(body, dot ? (size_t)(dot - body) : strlen(body), &parts.body, &parts.body_len);
	if (r == -ENOMEM)
		return idg_error_set(err, r, "out of memory");
	if (r < 0)
		return idg_error_set(err, -EINVAL, "token is not valid base64url");
	/* An empty footer is never written, so "payload." would be a second
	 * spelling of the same signed token. */
	if (dot && !dot[1])
		return idg_error_set(err, -EINVAL, "token has an empty footer part");
	r = b64url_decode(dot ? dot + 1 : "", dot ? strlen(dot + 1) : 0, &parts.footer, &parts.footer_len);
	if (r == -ENOMEM)
		return idg_error_set(err, r, "out of memory");
	if (r < 0)
		return idg_error_set(err, -EINVAL, "token is not valid base64url");
	if (parts.body_len < SIGNATURE_BYTES)
		return idg_error_set(err, -EINVAL, "token is too short");
	*ret = parts;
	parts = (struct token_parts){ 0 };
	return 0;
}

/* A copy of the payload, NUL-terminated after its length. A text payload
 * (text true) must itself hold no NUL: callers treat it as a C string, and
 * JSON text never contains one; a binary payload (CBOR) may. */
static int copy_payload(const struct token_parts *parts, bool text, unsigned char **ret, struct idg_error *err)
{
	size_t len = payload_len(parts);
	unsigned char *copy;

	if (text && memchr(parts->body, '\0', len))
		return idg_error_set(err, -EINVAL, "payload contains a NUL byte");
	copy = malloc(len + 1);
	if (!copy)
		return idg_error_set(err, -ENOMEM, "out of memory");
	if (len)
		memcpy(copy, parts->body, len);
	copy[len] = '\0';
	*ret = copy;
	return 0;
}

int idg_paseto_sign(const unsigned char secret_key[64], const char *payload, size_t payload_len,
		    const char *footer, const char *implicit, char **ret_token)
{
	_cleanup_free_ unsigned char *body = NULL, *message = NULL;
	size_t footer_len, body_len, message_len, token_len;
	char *token, *p;

	if (need_sodium() < 0)
		return -EIO;
	footer = footer ? footer : "";
	implicit = implicit ? implicit : "";
	footer_len = strlen(footer);
	/* Bounds the arithmetic below as well as the result. */
	if (payload_len > IDG_PASETO_MAX_TOKEN || footer_len > IDG_PASETO_MAX_TOKEN)
		return -EMSGSIZE;
	body_len = payload_len + SIGNATURE_BYTES;
	token_len = TOKEN_HEADER_LEN + b64_len(body_len) + (footer_len ? 1 + b64_len(footer_len) : 0);
	if (token_len > IDG_PASETO_MAX_TOKEN)
		return -EMSGSIZE;

	body = malloc(body_len);
	if (!body)
		return -ENOMEM;
	if (payload_len)
		memcpy(body, payload, payload_len);
	message = signed_message(body, payload_len, footer, footer_len, implicit, &message_len);
	if (!message)
		return -ENOMEM;
	(void)crypto_sign_detached(body + payload_len, NULL, message, message_len, secret_key);

	token = malloc(token_len + 1);
	if (!token)
		return -ENOMEM;
	memcpy(token, TOKEN_HEADER, TOKEN_HEADER_LEN);
	p = token + TOKEN_HEADER_LEN;
	(void)sodium_bin2base64(p, token + token_len + 1 - p, body, body_len, B64);
	p += b64_len(body_len);
	if (footer_len) {
		*p++ = '.';
		(void)sodium_bin2base64(p, token + token_len + 1 - p, (const unsigned char *)footer, footer_len, B64);
	}
	*ret_token = token;
	return 0;
}

static int verify(const unsigned char public_key[32], const char *token, const char *implicit, bool text,
		  unsigned char **ret_payload, size_t *ret_payload_len, struct idg_error *err)
{
	_cleanup_(token_parts_done) struct token_parts parts = { 0 };
	_cleanup_free_ unsigned char *message = NULL;
	size_t message_len;
	int r;

	if (need_sodium() < 0)
		return idg_error_set(err, -EIO, "libsodium cannot be initialised");
	r = token_split(token, &parts, err);
	if (r < 0)
		return r;
	message = signed_message(parts.body, payload_len(&parts), parts.footer, parts.footer_len,
				 implicit ? implicit : "", &message_len);
	if (!message)
		return idg_error_set(err, -ENOMEM, "out of memory");
	/* Say nothing about the key or the signature bytes: the message may
	 * reach the journal, and neither helps a person there. */
	if (crypto_sign_verify_detached(parts.body + payload_len(&parts), message, message_len, public_key) != 0)
		return idg_error_set(err, -EBADMSG, "signature does not verify");
	r = copy_payload(&parts, text, ret_payload, err);
	if (r < 0)
		return r;
	*ret_payload_len = payload_len(&parts);
	return 0;
}

int idg_paseto_verify(const unsigned char public_key[32], const char *token, const char *implicit,
		      char **ret_payload, size_t *ret_payload_len, struct idg_error *err)
{
	return verify(public_key, token, implicit, true, (unsigned char **)ret_payload, ret_payload_len, err);
}

int idg_paseto_verify_binary(const unsigned char public_key[32], const char *token, const char *implicit,
			     unsigned char **ret_payload, size_t *ret_payload_len, struct idg_error *err)
{
	return verify(public_key, token, implicit, false, ret_payload, ret_payload_len, err);
}

int idg_paseto_footer(const char *token, char **ret_footer, struct idg_error *err)
{
	_cleanup_(token_parts_done) struct token_parts parts = { 0 };
	int r;

	r = token_split(token, &parts, err);
	if (r < 0)
		return r;
	if (memchr(parts.footer, '\0', parts.footer_len))
		return idg_error_set(err, -EINVAL, "footer contains a NUL byte");
	*ret_footer = (char *)TAKE_PTR(parts.footer);
	return 0;
}

int idg_paseto_payload_unverified(const char *token, char **ret_payload, struct idg_error *err)
{
	_cleanup_(token_parts_done) struct token_parts parts = { 0 };
	int r;

	r = token_split(token, &parts, err);
	if (r < 0)
		return r;
	return copy_payload(&parts, true, (unsigned char **)ret_payload, err);
}

int idg_paseto_payload_unverified_binary(const char *token, unsigned char **ret_payload, size_t *ret_payload_len,
					 struct idg_error *err)
{
	_cleanup_(token_parts_done) struct token_parts parts = { 0 };
	int r;

	r = token_split(token, &parts, err);
	if (r < 0)
		return r;
	r = copy_payload(&parts, false, ret_payload, err);
	if (r < 0)
		return r;
	*ret_payload_len = payload_len(&parts);
	return 0;
}

/* ---- PASERK --------------------------------------------------------------------- */

static int paserk_encode(const char *prefix, const unsigned char *key, size_t key_len, char *buf, size_t size)
{
	size_t prefix_len = strlen(prefix);

	if (!buf || size < prefix_len + b64_len(key_len) + 1)
		return -ENOSPC;
	memcpy(buf, prefix, prefix_len);
	(void)sodium_bin2base64(buf + prefix_len, size - prefix_len, key, key_len, B64);
	return 0;
}

/* Decodes prefix + base64url of exactly key_len bytes into key (at most 64),
 * writing key only on success and wiping the scratch copy either way. */
static int paserk_decode(const char *prefix, const char *text, unsigned char *key, size_t key_len)
{
	unsigned char bin[64];
	size_t prefix_len = strlen(prefix), bin_len, len;
	int r = -EINVAL;

	if (!text || strncmp(text, prefix, prefix_len) != 0)
		return -EINVAL;
	text += prefix_len;
	len = strnlen(text, IDG_PASERK_MAX);
	if (len < IDG_PASERK_MAX && is_b64url(text, len) && sodium_base642bin(bin, key_len, text, len, NULL, &bin_len, NULL, B64) == 0 &&
	    bin_len == key_len) {
		memcpy(key, bin, key_len);
		r = 0;
	}
	sodium_memzero(bin, sizeof(bin));
	return r;
}

int idg_paserk_public_encode(const unsigned char pk[32], char *buf, size_t size)
{
	return paserk_encode(PASERK_PUBLIC, pk, crypto_sign_PUBLICKEYBYTES, buf, size);
}

int idg_paserk_secret_encode(const unsigned char sk[64], char *buf, size_t size)
{
	return paserk_encode(PASERK_SECRET, sk, crypto_sign_SECRETKEYBYTES, buf, size);
}

int idg_paserk_public_decode(const char *text, unsigned char pk[32])
{
	return paserk_decode(PASERK_PUBLIC, text, pk, crypto_sign_PUBLICKEYBYTES);
}

int idg_paserk_secret_decode(const char *text, unsigned char sk[64])
{
	unsigned char candidate[crypto_sign_SECRETKEYBYTES], derived_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char derived_pk[crypto_sign_PUBLICKEYBYTES];
	int r;

	if (need_sodium() < 0)
		return -EIO;
	r = paserk_decode(PASERK_SECRET, text, candidate, sizeof(candidate));
	if (r < 0)
		return r;
	/* libsodium signs with the public half as stored: halves that disagree
	 * make signatures nobody can verify, and two signatures of one message
	 * under different public halves give the secret scalar away. */
	(void)crypto_sign_seed_keypair(derived_pk, derived_sk, candidate);
	if (sodium_memcmp(derived_pk, candidate + crypto_sign_SEEDBYTES, crypto_sign_PUBLICKEYBYTES) != 0)
		r = -EINVAL;
	else
		memcpy(sk, candidate, sizeof(candidate));
	sodium_memzero(candidate, sizeof(candidate));
	sodium_memzero(derived_sk, sizeof(derived_sk));
	return r;
}

int idg_paserk_pid(const unsigned char pk[32], char *buf, size_t size)
{
	char message[sizeof(PASERK_PID) - 1 + IDG_PASERK_MAX];
	unsigned char hash[PID_HASH_BYTES];
	size_t header_len = sizeof(PASERK_PID) - 1;
	int r;

	if (need_sodium() < 0)
		return -EIO;
	/* PASERK "ID" operation, versions 2 and 4: d = BLAKE2b-264(h || p) with
	 * h = "k4.pid." and p the key's whole k4.public string. */
	memcpy(message, PASERK_PID, header_len);
	r = idg_paserk_public_encode(pk, message + header_len, sizeof(message) - header_len);
	if (r < 0)
		return r;
	(void)crypto_generichash(hash, sizeof(hash), (const unsigned char *)message, strlen(message), NULL, 0);
	return paserk_encode(PASERK_PID, hash, sizeof(hash), buf, size);
}

int idg_paserk_generate(unsigned char pk[32], unsigned char sk[64])
{
	if (need_sodium() < 0)
		return -EIO;
	(void)crypto_sign_keypair(pk, sk);
	return 0;
}
