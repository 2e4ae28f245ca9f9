// SPDX-License-Identifier: GPL-2.0-only
/*
 * Purpose tokens: requests, minting, the checks a token must pass before it
 * becomes a grant, and signed declines (see token.h). Both forms of each
 * are read here (JSON with json-c; the CBOR arrays through token_wire.c),
 * the binary form is written. The messages are for the clerk at the
 * counter: each says what is wrong and what to do.
 */
#include "token.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <json-c/json.h>
#include <sodium.h>
#include <time.h>

#include "idnumber.h"
#include "names.h"
#include "paseto.h"
#include "token_wire.h"
#include "util.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static const char *const rejection_names[] = {
	[IDG_TOKEN_OK] = "ok",
	[IDG_TOKEN_MALFORMED] = "malformed",
	[IDG_TOKEN_UNKNOWN_APPROVER] = "unknown-approver",
	[IDG_TOKEN_BAD_SIGNATURE] = "bad-signature",
	[IDG_TOKEN_UNKNOWN_PURPOSE] = "unknown-purpose",
	[IDG_TOKEN_APPROVER_NOT_ALLOWED] = "approver-not-allowed",
	[IDG_TOKEN_SELF_APPROVED] = "self-approved",
	[IDG_TOKEN_WRONG_HOST] = "wrong-host",
	[IDG_TOKEN_WRONG_USER] = "wrong-user",
	[IDG_TOKEN_NOT_YET_VALID] = "not-yet-valid",
	[IDG_TOKEN_EXPIRED] = "expired",
	[IDG_TOKEN_TOO_LONG] = "too-long",
	[IDG_TOKEN_CLASS_NOT_ALLOWED] = "class-not-allowed",
	[IDG_TOKEN_REF_ID_NUMBER] = "ref-id-number",
	[IDG_TOKEN_REPLAYED] = "replayed",
};

const char *idg_token_rejection_name(enum idg_token_rejection reason)
{
	return (unsigned)reason < ARRAY_SIZE(rejection_names) ? rejection_names[reason] : "unknown";
}

int idg_machine_id(char buf[IDG_HOST_ID_MAX])
{
	_cleanup_fclose_ FILE *f = fopen("/etc/machine-id", "re");
	size_t len;

	if (!f)
		return -errno;
	if (!fgets(buf, IDG_HOST_ID_MAX, f))
		return -EIO;
	buf[strcspn(buf, "\n")] = '\0';
	len = strlen(buf);
	if (len != 32 || strspn(buf, "0123456789abcdef") != len)
		return -EINVAL;
	return 0;
}

int idg_rfc3339_parse(const char *text, int64_t *ret)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	struct tm tm = { 0 };
	int year, month, day, hour, minute, second, consumed = 0;
	const char *p;
	long offset = 0;
	time_t t;

	/* Digits where digits belong: sscanf alone would take "+1" or "-5". */
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = text[i];

		if (shape[i] == 'd' ? !isdigit((unsigned char)c) : shape[i] == 'T' ? (c != 'T' && c != 't') : c != shape[i])
			return -EINVAL;
	}
	if (sscanf(text, "%4d-%2d-%2d%*[Tt]%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
		   &consumed) != 6 || consumed != 19)
		return -EINVAL;
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
		return -EINVAL;
	p = text + consumed;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		   p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = (p[4] - '0') * 10 + (p[5] - '0');

		if (oh > 23 || om > 59)
			return -EINVAL;
		offset = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != day)
		return -EINVAL;
	*ret = (int64_t)t - offset;
	return 0;
}

void idg_rfc3339_format(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		(void)snprintf(buf, size, "1970-01-01T00:00:00Z");
}

/* Local "HH:MM" (or "YYYY-MM-DD HH:MM" when not today) for a clerk. */
static void clock_text(int64_t t, int64_t now, char *buf, size_t size)
{
	time_t tt = (time_t)t, tn = (time_t)now;
	struct tm tm, today;

	if (!localtime_r(&tt, &tm) || !localtime_r(&tn, &today)) {
		(void)snprintf(buf, size, "@%lld", (long long)t);
		return;
	}
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		(void)strftime(buf, size, "%H:%M", &tm);
	else
		(void)strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

/* A reference goes into logs: printable, bounded, and never card data. */
static int check_ref(const char *ref, struct idg_error *err)
{
	if (!*ref)
		return idg_error_set(err, -EINVAL, "the case reference is empty");
	if (strlen(ref) >= IDG_REF_MAX)
		return idg_error_set(err, -EINVAL, "the case reference is longer than %d characters", IDG_REF_MAX - 1);
	for (const char *c = ref; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return idg_error_set(err, -EINVAL, "the case reference contains control characters");
	if (idg_contains_id_number(ref))
		return idg_error_set(err, -EPERM,
				     "the case reference looks like a resident ID number; use the case or file number "
				     "instead (card data must not reach the logs)");
	return 0;
}

int idg_token_request_check(const struct idg_token_request *req, const struct idg_policy *policy,
			    struct idg_error *err)
{
	const struct idg_purpose *purpose = idg_policy_purpose(policy, req->purpose);
	char classes[128];
	uint32_t extra;
	int r;

	if (!purpose)
		return idg_error_set(err, -ENOENT, "purpose '%s' is not in the policy (see 'idguardctl token purposes')",
				     req->purpose);
	extra = req->class_mask & ~purpose->class_mask;
	if (extra) {
		idg_class_mask_format(extra, classes, sizeof(classes));
		return idg_error_set(err, -EPERM, "purpose %s does not allow %s", purpose->id, classes);
	}
	if (!req->class_mask)
		return idg_error_set(err, -EINVAL, "no device class requested");
	if (req->minutes == 0 || req->minutes > purpose->max_minutes)
		return idg_error_set(err, -ERANGE, "purpose %s allows at most %u minutes, not %u", purpose->id,
				     purpose->max_minutes, req->minutes);
	r = check_ref(req->ref, err);
	if (r < 0)
		return r;
	return 0;
}

static int classes_from_array(struct json_object *array, uint32_t *ret_mask)
{
	uint32_t mask = 0;
	size_t n;

	if (!json_object_is_type(array, json_type_array))
		return -EINVAL;
	n = json_object_array_length(array);
	if (n == 0 || n > IDG_CLASS_COUNT)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);
		int class_id;

		if (!json_object_is_type(item, json_type_string))
			return -EINVAL;
		class_id = idg_class_from_name(json_object_get_string(item));
		if (!class_id)
			return -EINVAL;
		mask |= 1u << class_id;
	}
	*ret_mask = mask;
	return 0;
}

/* Copies a string member into buf; -EINVAL when missing, not a string,
 * empty, too long, or holding control characters. */
static int get_text(struct json_object *obj, const char *key, char *buf, size_t size)
{
	struct json_object *value;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_string))
		return -EINVAL;
	s = json_object_get_string(value);
	if (!*s || strlen(s) >= size || strlen(s) != (size_t)json_object_get_string_len(value))
		return -EINVAL;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return -EINVAL;
	strcpy(buf, s);
	return 0;
}

static int get_time(struct json_object *obj, const char *key, int64_t *ret)
{
	char text[64];

	if (get_text(obj, key, text, sizeof(text)) < 0)
		return -EINVAL;
	return idg_rfc3339_parse(text, ret);
}

void idg_random_id(char *buf, size_t size, size_t n_bytes)
{
	unsigned char bytes[32];

	if (n_bytes > sizeof(bytes) || size < n_bytes * 2 + 1) {
		if (size)
			buf[0] = '\0';
		return;
	}
	do {
		randombytes_buf(bytes, n_bytes);
		(void)sodium_bin2hex(buf, size, bytes, n_bytes);
	} while (idg_contains_id_number(buf));
}

int idg_token_request_encode(const struct idg_token_request *req, char **ret_code)
{
	_cleanup_free_ unsigned char *bin = NULL;
	size_t bin_len, prefix = strlen(IDG_REQUEST_PREFIX), size;
	char *code;
	int r;

	if (sodium_init() < 0)
		return -ENOMEM;
	r = idg_wire_request_encode(req, &bin, &bin_len);
	if (r < 0)
		return r;
	size = prefix + sodium_base64_ENCODED_LEN(bin_len, B64);
	code = malloc(size);
	if (!code)
		return -ENOMEM;
	memcpy(code, IDG_REQUEST_PREFIX, prefix);
	(void)sodium_bin2base64(code + prefix, size - prefix, bin, bin_len, B64);
	*ret_code = code;
	return 0;
}

/* Only the base64url alphabet: libsodium 1.0.18 would decode bytes from
 * 0x80 up as '_', giving one code many spellings. */
static bool is_b64url(const char *text)
{
	return strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(text);
}

/* An "idgreq1." code's JSON (bin, NUL-terminated) into *ret. Each token made
 * from it is written in the binary form, so its ids must fit that form. */
static int request_decode_v1(const char *json, struct idg_token_request *ret)
{
	struct idg_token_request req = { 0 };
	struct json_object *obj = json_tokener_parse(json), *value;
	int64_t minutes;
	int r = -EINVAL;

	if (!obj || !json_object_is_type(obj, json_type_object))
		goto bad;
	if (!json_object_object_get_ex(obj, "v", &value) || json_object_get_int(value) != 1)
		goto bad;
	if (get_text(obj, "rid", req.id, sizeof(req.id)) < 0 || get_text(obj, "sub", req.user, sizeof(req.user)) < 0 ||
	    get_text(obj, "host", req.host, sizeof(req.host)) < 0 ||
	    get_text(obj, "hostname", req.hostname, sizeof(req.hostname)) < 0 ||
	    get_text(obj, "pur", req.purpose, sizeof(req.purpose)) < 0 ||
	    get_text(obj, "ref", req.ref, sizeof(req.ref)) < 0 || get_time(obj, "iat", &req.created) < 0)
		goto bad;
	if (strlen(req.id) != 2 * IDG_WIRE_RID_BYTES || strspn(req.id, "0123456789abcdef") != strlen(req.id) ||
	    strlen(req.host) != 2 * IDG_WIRE_HOST_BYTES || strspn(req.host, "0123456789abcdef") != strlen(req.host) ||
	    req.created < 0)
		goto bad;
	/* json-c takes any bytes in a string; the binary form takes UTF-8. */
	if (idg_wire_text_check(req.user, strlen(req.user), sizeof(req.user) - 1, NULL) < 0 ||
	    idg_wire_text_check(req.hostname, strlen(req.hostname), sizeof(req.hostname) - 1, NULL) < 0 ||
	    idg_wire_text_check(req.purpose, strlen(req.purpose), sizeof(req.purpose) - 1, NULL) < 0 ||
	    idg_wire_text_check(req.ref, strlen(req.ref), sizeof(req.ref) - 1, NULL) < 0)
		goto bad;
	if (!json_object_object_get_ex(obj, "cls", &value) || classes_from_array(value, &req.class_mask) < 0)
		goto bad;
	if (!json_object_object_get_ex(obj, "min", &value) || !json_object_is_type(value, json_type_int))
		goto bad;
	minutes = json_object_get_int64(value);
	if (minutes < 1 || minutes > 100000)
		goto bad;
	req.minutes = (uint32_t)minutes;
	r = 0;
bad:
	json_object_put(obj);
	if (r == 0)
		*ret = req;
	return r;
}

/* One length serves both prefixes below. */
_Static_assert(sizeof(IDG_REQUEST_PREFIX) == sizeof(IDG_REQUEST_PREFIX_V1), "request code prefixes differ in length");

int idg_token_request_decode(const char *code, struct idg_token_request *ret, struct idg_error *err)
{
	size_t prefix = strlen(IDG_REQUEST_PREFIX), len, bin_len;
	_cleanup_free_ unsigned char *bin = NULL;
	struct idg_token_request req;
	struct idg_error why;
	bool v1;

	v1 = strncmp(code, IDG_REQUEST_PREFIX_V1, prefix) == 0;
	if (!v1 && strncmp(code, IDG_REQUEST_PREFIX, prefix) != 0)
		return idg_error_set(err, -EINVAL, "not a request code: it should start with '%s'", IDG_REQUEST_PREFIX);
	len = strlen(code + prefix);
	if (len > 4096)
		return idg_error_set(err, -EMSGSIZE, "the request code is too long");
	bin = malloc(len + 1);
	if (!bin || sodium_init() < 0)
		return idg_error_set(err, -ENOMEM, "out of memory");
	if (!is_b64url(code + prefix) ||
	    sodium_base642bin(bin, len, code + prefix, len, NULL, &bin_len, NULL, B64) != 0)
		return idg_error_set(err, -EINVAL, "the request code is damaged (not base64url); copy it again");
	bin[bin_len] = '\0';
	if (v1) {
		/* A NUL would end the JSON text early and hide what follows. */
		if (memchr(bin, '\0', bin_len) || request_decode_v1((const char *)bin, &req) < 0)
			return idg_error_set(err, -EINVAL,
					     "the request code is damaged (its contents do not make sense); copy it again");
	} else if (idg_wire_request_decode(bin, bin_len, &req, &why) < 0) {
		return idg_error_set(err, -EINVAL, "the request code is damaged: %s; copy it again", why.message);
	}
	*ret = req;
	return 0;
}

void idg_request_id_short(const char *rid, char *buf, size_t size)
{
	rid = rid ? rid : "";
	(void)snprintf(buf, size, "%.4s-%.4s", rid, strlen(rid) > 4 ? rid + 4 : "");
	for (char *c = buf; *c; c++)
		*c = (char)toupper((unsigned char)*c);
}

void idg_token_request_short_id(const struct idg_token_request *req, char *buf, size_t size)
{
	idg_request_id_short(req->id, buf, size);
}

bool idg_request_id_matches(const char *text, const char *rid)
{
	char wanted[IDG_TOKEN_ID_MAX];
	size_t len = 0;

	for (const char *p = text; *p && len < sizeof(wanted) - 1; p++)
		if (*p != '-')
			wanted[len++] = (char)tolower((unsigned char)*p);
	wanted[len] = '\0';
	return len >= 8 && strncmp(rid, wanted, len) == 0 && (len == 8 || len == strlen(rid));
}

void idg_token_request_summary(const struct idg_token_request *req, const struct idg_policy *policy, char *buf,
			       size_t size)
{
	const struct idg_purpose *purpose = idg_policy_purpose(policy, req->purpose);
	char classes[128], short_id[16];

	idg_class_mask_format(req->class_mask, classes, sizeof(classes));
	idg_token_request_short_id(req, short_id, sizeof(short_id));
	(void)snprintf(buf, size, "Request %s: %s on %s asks to use %s for %u minute%s for %s%s%s%s, case %s.", short_id,
		       req->user, req->hostname, classes, req->minutes, req->minutes == 1 ? "" : "s", req->purpose,
		       purpose && purpose->description ? " (" : "",
		       purpose && purpose->description ? purpose->description : "",
		       purpose && purpose->description ? ")" : "", req->ref);
}

int idg_token_mint(const struct idg_token_request *req, const unsigned char secret_key[64], const char *key_id,
		   int64_t now, char **ret_token, struct idg_token_claims *ret_claims)
{
	struct idg_token_claims claims = { 0 };
	_cleanup_free_ unsigned char *payload = NULL;
	size_t payload_len;
	int r;

	if (sodium_init() < 0)
		return -ENOMEM;
	idg_random_id(claims.jti, sizeof(claims.jti), IDG_TOKEN_ID_BYTES);
	(void)snprintf(claims.sub, sizeof(claims.sub), "%s", req->user);
	(void)snprintf(claims.host, sizeof(claims.host), "%s", req->host);
	(void)snprintf(claims.pur, sizeof(claims.pur), "%s", req->purpose);
	(void)snprintf(claims.ref, sizeof(claims.ref), "%s", req->ref);
	(void)snprintf(claims.rid, sizeof(claims.rid), "%s", req->id);
	(void)snprintf(claims.kid, sizeof(claims.kid), "%s", key_id);
	claims.class_mask = req->class_mask;
	claims.iat = claims.nbf = now;
	claims.exp = now + (int64_t)req->minutes * 60;
	r = idg_wire_claims_encode(&claims, &payload, &payload_len);
	if (r < 0)
		return r;
	/* No footer: the key id is in the signed payload. */
	r = idg_paseto_sign(secret_key, (const char *)payload, payload_len, NULL, NULL, ret_token);
	if (r == 0 && ret_claims)
		*ret_claims = claims;
	return r;
}

static enum idg_token_rejection reject(struct idg_error *err, enum idg_token_rejection reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum idg_token_rejection reject(struct idg_error *err, enum idg_token_rejection reason, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return reason;
}

/* Reads the key id from the (still unverified) footer. */
static int read_kid(const char *token, char *kid, size_t size, struct idg_error *err)
{
	_cleanup_free_ char *footer = NULL;
	struct json_object *obj;
	int r;

	r = idg_paseto_footer(token, &footer, err);
	if (r < 0)
		return r;
	obj = json_tokener_parse(footer);
	r = obj && json_object_is_type(obj, json_type_object) ? get_text(obj, "kid", kid, size) : -EINVAL;
	json_object_put(obj);
	return r;
}

/* Reads every claim; on the first bad one says which and why. */
static int read_claims(const char *payload, struct idg_token_claims *c, struct idg_error *err)
{
	static const struct {
		const char *name;
		size_t offset;
		size_t size;
	} texts[] = {
		{ "jti", offsetof(struct idg_token_claims, jti), sizeof(c->jti) },
		{ "sub", offsetof(struct idg_token_claims, sub), sizeof(c->sub) },
		{ "host", offsetof(struct idg_token_claims, host), sizeof(c->host) },
		{ "pur", offsetof(struct idg_token_claims, pur), sizeof(c->pur) },
		{ "ref", offsetof(struct idg_token_claims, ref), sizeof(c->ref) },
	};
	struct json_object *obj = json_tokener_parse(payload), *value;
	int r = -EINVAL;

	if (!obj || !json_object_is_type(obj, json_type_object)) {
		idg_error_set(err, r, "the token's claims are not a JSON object");
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (get_text(obj, texts[i].name, (char *)c + texts[i].offset, texts[i].size) < 0) {
			idg_error_set(err, r,
				      "the token's claim '%s' is missing, empty, longer than %zu characters, or holds control characters",
				      texts[i].name, texts[i].size - 1);
			goto out;
		}
	if (json_object_object_get_ex(obj, "rid", &value) && get_text(obj, "rid", c->rid, sizeof(c->rid)) < 0) {
		idg_error_set(err, r, "the token's claim 'rid' is not a request id");
		goto out;
	}
	if (!json_object_object_get_ex(obj, "cls", &value) || classes_from_array(value, &c->class_mask) < 0) {
		idg_error_set(err, r,
			      "the token's claim 'cls' must list classes (" IDG_CLASS_NAMES_TEXT ")");
		goto out;
	}
	if (get_time(obj, "iat", &c->iat) < 0 || get_time(obj, "nbf", &c->nbf) < 0 || get_time(obj, "exp", &c->exp) < 0) {
		idg_error_set(err, r, "the token's claims iat, nbf and exp must be RFC 3339 times");
		goto out;
	}
	r = 0;
out:
	json_object_put(obj);
	return r;
}

/* The rules every token's claims c must pass once its signature by
 * approver is good; sets *ret_claims to c. */
static enum idg_token_rejection check_rules(const struct idg_token_claims *c, const struct idg_approver *approver,
					   const struct idg_token_context *ctx, struct idg_token_claims *ret_claims,
					   struct idg_error *err)
{
	const struct idg_purpose *purpose;
	char when[64], classes[128];
	uint32_t extra;

	/* The claims as signed, for decisions and records alike: whatever
	 * of them looks like an ID number is withheld where it leaves the
	 * agent (a record, a reply, an output), not here. */
	*ret_claims = *c;
	if (idg_contains_id_number(c->ref))
		return reject(err, IDG_TOKEN_REF_ID_NUMBER,
			      "the token's case reference looks like a resident ID number; card data must not "
			      "reach the logs, so ask for a new token with the case or file number");
	purpose = idg_policy_purpose(ctx->policy, c->pur);
	if (!purpose)
		return reject(err, IDG_TOKEN_UNKNOWN_PURPOSE, "purpose '%s' is not in this workstation's policy", c->pur);
	if (!idg_policy_may_approve(approver, purpose))
		return reject(err, IDG_TOKEN_APPROVER_NOT_ALLOWED, "%s may not approve purpose %s; ask an approver who may",
			      approver->id, purpose->id);
	if (streq(approver->user, c->sub))
		return reject(err, IDG_TOKEN_SELF_APPROVED,
			      "this token was approved by %s for %s: nobody may approve their own request", approver->user,
			      c->sub);
	if (!streq(c->host, ctx->host))
		return reject(err, IDG_TOKEN_WRONG_HOST,
			      "this token is for another workstation (machine id %s); it can only be redeemed there",
			      c->host);
	if (!streq(c->sub, ctx->user))
		return reject(err, IDG_TOKEN_WRONG_USER, "this token was approved for %s; you are %s", c->sub, ctx->user);
	if (c->exp <= c->nbf)
		return reject(err, IDG_TOKEN_MALFORMED, "the token expires before it becomes valid");
	if (c->nbf > ctx->now + IDG_TOKEN_LEEWAY_SECONDS) {
		clock_text(c->nbf, ctx->now, when, sizeof(when));
		return reject(err, IDG_TOKEN_NOT_YET_VALID,
			      "this token is not valid before %s; check this workstation's clock", when);
	}
	if (c->exp <= ctx->now) {
		clock_text(c->exp, ctx->now, when, sizeof(when));
		return reject(err, IDG_TOKEN_EXPIRED, "this token expired at %s; ask for a new one", when);
	}
	if (c->exp - c->nbf > (int64_t)purpose->max_minutes * 60)
		return reject(err, IDG_TOKEN_TOO_LONG,
			      "this token is valid for %lld minutes, but purpose %s allows at most %u",
			      (long long)((c->exp - c->nbf + 59) / 60), purpose->id, purpose->max_minutes);
	extra = c->class_mask & ~purpose->class_mask;
	if (extra) {
		idg_class_mask_format(extra, classes, sizeof(classes));
		return reject(err, IDG_TOKEN_CLASS_NOT_ALLOWED, "purpose %s does not allow %s", purpose->id, classes);
	}
	return IDG_TOKEN_OK;
}

/* The registered approver whose key a token names (kid), or NULL with
 * the refusal said in err. */
static const struct idg_approver *token_approver(const struct idg_token_context *ctx, const char *kid,
						 const struct idg_approver **ret_approver, struct idg_error *err)
{
	const struct idg_approver *approver = idg_policy_approver_by_key_id(ctx->policy, kid);

	if (!approver)
		(void)reject(err, IDG_TOKEN_UNKNOWN_APPROVER,
			     "the token was signed with a key this workstation does not know (key id %s); ask an approver "
			     "registered here",
			     kid);
	else
		*ret_approver = approver;
	return approver;
}

/* What a failed signature check (r) means, for the clerk. */
static enum idg_token_rejection verify_failed(int r, const struct idg_approver *approver,
					      const struct idg_error *inner, struct idg_error *err)
{
	if (r == -EBADMSG)
		return reject(err, IDG_TOKEN_BAD_SIGNATURE,
			      "the token's signature does not verify: it was altered, or not signed by %s's key",
			      approver->id);
	return reject(err, IDG_TOKEN_MALFORMED, "this is not a valid purpose token (%s); copy it again", inner->message);
}

/* A token with JSON claims and the key id in a JSON footer, as a stock
 * PASETO library mints it. */
static enum idg_token_rejection check_json_token(const char *token, const struct idg_token_context *ctx,
						struct idg_token_claims *ret_claims,
						const struct idg_approver **ret_approver, struct idg_error *err)
{
	struct idg_token_claims c = { 0 };
	const struct idg_approver *approver;
	_cleanup_free_ char *payload = NULL;
	struct idg_error inner = { "" };
	size_t payload_len;
	int r;

	if (read_kid(token, c.kid, sizeof(c.kid), &inner) < 0)
		return reject(err, IDG_TOKEN_MALFORMED, "this is not a valid purpose token (%s); copy it again",
			      inner.message[0] ? inner.message : "no key id in its footer");
	/* What the token claims, for the journal even when refused. */
	if (idg_paseto_payload_unverified(token, &payload, &inner) == 0) {
		(void)read_claims(payload, &c, &inner);
		free(payload);
		payload = NULL;
	}
	*ret_claims = c;

	approver = token_approver(ctx, c.kid, ret_approver, err);
	if (!approver)
		return IDG_TOKEN_UNKNOWN_APPROVER;
	r = idg_paseto_verify(approver->public_key, token, NULL, &payload, &payload_len, &inner);
	if (r < 0)
		return verify_failed(r, approver, &inner, err);
	memset(&c, 0, sizeof(c));
	(void)snprintf(c.kid, sizeof(c.kid), "%s", ret_claims->kid);
	if (read_claims(payload, &c, &inner) < 0) {
		*ret_claims = c;
		return reject(err, IDG_TOKEN_MALFORMED, "%s", inner.message);
	}
	return check_rules(&c, approver, ctx, ret_claims, err);
}

/* The footer of a CBOR token or decline must be empty: the key id is in
 * the signed payload, and a second place for it would be a second truth. */
static int require_no_footer(const char *text, struct idg_error *err)
{
	_cleanup_free_ char *footer = NULL;
	int r;

	r = idg_paseto_footer(text, &footer, err);
	if (r < 0)
		return r;
	if (*footer)
		return idg_error_set(err, -EINVAL, "it has a footer, which the binary form has not");
	return 0;
}

/* A token with CBOR claims (payload holds payload_len bytes, unverified). */
static enum idg_token_rejection check_cbor_token(const char *token, const unsigned char *payload,
						size_t payload_len, const struct idg_token_context *ctx,
						struct idg_token_claims *ret_claims,
						const struct idg_approver **ret_approver, struct idg_error *err)
{
	struct idg_token_claims c;
	const struct idg_approver *approver;
	_cleanup_free_ unsigned char *verified = NULL;
	struct idg_error inner = { "" };
	size_t verified_len;
	int r;

	if (require_no_footer(token, &inner) < 0)
		return reject(err, IDG_TOKEN_MALFORMED, "this is not a valid purpose token (%s); copy it again",
			      inner.message);
	/* What the token claims, for the journal even when refused; a
	 * payload damaged before its key id has none to check it with. */
	r = idg_wire_claims_decode(payload, payload_len, &c, &inner);
	*ret_claims = c;
	if (r == -EBADMSG)
		return reject(err, IDG_TOKEN_MALFORMED,
			      "this is not a valid purpose token (its payload is damaged: %s); copy it again", inner.message);

	approver = token_approver(ctx, c.kid, ret_approver, err);
	if (!approver)
		return IDG_TOKEN_UNKNOWN_APPROVER;
	r = idg_paseto_verify_binary(approver->public_key, token, NULL, &verified, &verified_len, &inner);
	if (r < 0)
		return verify_failed(r, approver, &inner, err);
	/* Read again from the verified bytes, which are what counts. */
	r = idg_wire_claims_decode(verified, verified_len, &c, &inner);
	*ret_claims = c;
	if (r == -EBADMSG)
		return reject(err, IDG_TOKEN_MALFORMED,
			      "this is not a valid purpose token (its payload is damaged: %s); copy it again", inner.message);
	if (r < 0)
		return reject(err, IDG_TOKEN_MALFORMED, "%s", inner.message);
	return check_rules(&c, approver, ctx, ret_claims, err);
}

enum idg_token_rejection idg_token_check(const char *token, const struct idg_token_context *ctx,
					 struct idg_token_claims *ret_claims,
					 const struct idg_approver **ret_approver, struct idg_error *err)
{
	_cleanup_free_ unsigned char *payload = NULL;
	struct idg_error inner = { "" };
	size_t payload_len;

	*ret_approver = NULL;
	memset(ret_claims, 0, sizeof(*ret_claims));
	if (idg_paseto_payload_unverified_binary(token, &payload, &payload_len, &inner) < 0)
		return reject(err, IDG_TOKEN_MALFORMED, "this is not a valid purpose token (%s); copy it again",
			      inner.message);
	/* A JSON object starts with '{' (0x7b), which no CBOR array does. */
	if (payload_len && payload[0] == '{')
		return check_json_token(token, ctx, ret_claims, ret_approver, err);
	return check_cbor_token(token, payload, payload_len, ctx, ret_claims, ret_approver, err);
}

/* ---- declines ------------------------------------------------------------------- */

int idg_decline_reason_check(const char *reason, struct idg_error *err)
{
	struct idg_error why;
	int r;

	r = idg_wire_text_check(reason, strnlen(reason, IDG_DECLINE_REASON_MAX + 1), IDG_DECLINE_REASON_MAX, &why);
	if (r < 0)
		return idg_error_set(err, r, "the reason %s", why.message);
	if (idg_contains_id_number(reason))
		return idg_error_set(err, -EPERM,
				     "the reason looks like it holds a resident ID number; say why without card data "
				     "(it reaches the clerk's screen and the journal)");
	return 0;
}

int idg_decline_mint(const struct idg_token_request *req, const unsigned char secret_key[64], const char *key_id,
		     const char *reason, int64_t now, char **ret_text)
{
	_cleanup_free_ unsigned char *payload = NULL;
	struct idg_decline d = { .iat = now };
	size_t payload_len;
	int r;

	r = idg_decline_reason_check(reason, NULL);
	if (r < 0)
		return r;
	(void)snprintf(d.rid, sizeof(d.rid), "%s", req->id);
	(void)snprintf(d.sub, sizeof(d.sub), "%s", req->user);
	(void)snprintf(d.host, sizeof(d.host), "%s", req->host);
	(void)snprintf(d.reason, sizeof(d.reason), "%s", reason);
	(void)snprintf(d.kid, sizeof(d.kid), "%s", key_id);
	r = idg_wire_decline_encode(&d, &payload, &payload_len);
	if (r < 0)
		return r;
	return idg_paseto_sign(secret_key, (const char *)payload, payload_len, NULL, IDG_DECLINE_IMPLICIT, ret_text);
}

int idg_decline_check(const char *text, const struct idg_token_context *ctx, struct idg_decline *ret_decline,
		      const struct idg_approver **ret_approver, struct idg_error *err)
{
	_cleanup_free_ unsigned char *payload = NULL, *verified = NULL;
	const struct idg_approver *approver;
	struct idg_error inner = { "" };
	size_t payload_len, verified_len;
	struct idg_decline d;
	int r;

	*ret_approver = NULL;
	memset(ret_decline, 0, sizeof(*ret_decline));
	r = idg_paseto_payload_unverified_binary(text, &payload, &payload_len, &inner);
	if (r == 0)
		r = require_no_footer(text, &inner);
	if (r < 0)
		return idg_error_set(err, -EINVAL, "this is not a valid decline (%s)", inner.message);
	r = idg_wire_decline_decode(payload, payload_len, &d, &inner);
	*ret_decline = d;
	if (r == -EBADMSG)
		return idg_error_set(err, -EINVAL, "this is not a valid decline (its payload is damaged: %s)",
				     inner.message);
	approver = idg_policy_approver_by_key_id(ctx->policy, d.kid);
	if (!approver)
		return idg_error_set(err, -ENOKEY,
				     "the decline was signed with a key this workstation does not know (key id %s)", d.kid);
	*ret_approver = approver;
	r = idg_paseto_verify_binary(approver->public_key, text, IDG_DECLINE_IMPLICIT, &verified, &verified_len,
				     &inner);
	if (r == -EBADMSG)
		return idg_error_set(err, -EBADMSG,
				     "the decline's signature does not verify: it was altered, or not signed by %s's key",
				     approver->id);
	if (r < 0)
		return idg_error_set(err, -EINVAL, "this is not a valid decline (%s)", inner.message);
	r = idg_wire_decline_decode(verified, verified_len, &d, &inner);
	*ret_decline = d;
	if (r == -EBADMSG)
		return idg_error_set(err, -EINVAL, "this is not a valid decline (its payload is damaged: %s)",
				     inner.message);
	if (r < 0)
		return idg_error_set(err, -EINVAL, "%s", inner.message);
	if (idg_contains_id_number(d.reason))
		return idg_error_set(err, -EPERM,
				     "the decline's reason looks like a resident ID number; card data must not reach "
				     "the logs");
	if (ctx->host && !streq(d.host, ctx->host))
		return idg_error_set(err, -EXDEV, "this decline is for another workstation (machine id %s)", d.host);
	if (ctx->user && !streq(d.sub, ctx->user))
		return idg_error_set(err, -EACCES, "this decline answers a request of %s, not of %s", d.sub, ctx->user);
	return 0;
}

enum idg_answer_kind idg_answer_kind(const char *text)
{
	_cleanup_free_ unsigned char *payload = NULL;
	size_t payload_len;
	int items;

	if (idg_paseto_payload_unverified_binary(text, &payload, &payload_len, NULL) < 0)
		return IDG_ANSWER_UNKNOWN;
	if (payload_len && payload[0] == '{')
		return IDG_ANSWER_TOKEN;
	items = idg_wire_array_items(payload, payload_len);
	return items == IDG_WIRE_CLAIMS_ITEMS ? IDG_ANSWER_TOKEN
	       : items == IDG_WIRE_DECLINE_ITEMS ? IDG_ANSWER_DECLINE
						  : IDG_ANSWER_UNKNOWN;
}

/* Largest unit first, so that formatting picks "1d 12h", not "36h". */
static const struct {
	const char *name;
	uint64_t sec;
} span_units[] = {
	{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "h", 3600 }, { "hr", 3600 }, { "hour", 3600 }, { "hours", 3600 },
	{ "min", 60 }, { "m", 60 }, { "minute", 60 }, { "minutes", 60 },
	{ "s", 1 }, { "sec", 1 }, { "second", 1 }, { "seconds", 1 },
};

int idg_timespan_parse(const char *text, uint64_t *ret_sec)
{
	uint64_t total = 0;
	const char *p = text;
	bool any = false;

	while (*p) {
		unsigned long long v;
		uint64_t unit = 0;
		char *end;
		size_t len;

		p += strspn(p, " \t");
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno)
			return -ERANGE;
		p = end + strspn(end, " \t");
		len = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (len == 0) {
			/* A bare number is seconds, as in systemd; only alone. */
			if (any || *p)
				return -EINVAL;
			unit = 1;
		}
		for (size_t i = 0; i < ARRAY_SIZE(span_units) && !unit; i++)
			if (strlen(span_units[i].name) == len && !strncmp(p, span_units[i].name, len))
				unit = span_units[i].sec;
		if (!unit)
			return -EINVAL;
		p += len;
		if (v > (UINT64_MAX - total) / unit)
			return -ERANGE;
		total += v * unit;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*ret_sec = total;
	return 0;
}

void idg_timespan_format(uint64_t sec, char *buf, size_t size)
{
	static const struct {
		const char *name;
		uint64_t sec;
	} parts[] = { { "d", 86400 }, { "h", 3600 }, { "min", 60 }, { "s", 1 } };
	size_t used = 0;

	buf[0] = '\0';
	if (sec == 0) {
		(void)snprintf(buf, size, "0s");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(parts) && used < size; i++) {
		uint64_t n = sec / parts[i].sec;

		if (!n)
			continue;
		sec -= n * parts[i].sec;
		used += (size_t)snprintf(buf + used, size - used, "%s%llu%s", used ? " " : "", (unsigned long long)n,
					 parts[i].name);
	}
}

void idg_age_format(int64_t age_sec, char *buf, size_t size)
{
	bool future = age_sec < 0;
	uint64_t a = future ? (uint64_t)0 - (uint64_t)age_sec : (uint64_t)age_sec;
	unsigned long long n;
	const char *unit;

	if (a < 60) {
		(void)snprintf(buf, size, future ? "less than a minute from now" : "less than a minute ago");
		return;
	}
	/* Minutes up to two hours, hours up to two days: "90 minutes ago"
	 * says more than "1 hour ago". */
	if (a < 2 * 3600) {
		n = a / 60;
		unit = "minute";
	} else if (a < 2 * 86400) {
		n = a / 3600;
		unit = "hour";
	} else {
		n = a / 86400;
		unit = "day";
	}
	(void)snprintf(buf, size, "%s%llu %s%s%s", future ? "in " : "", n, unit, n == 1 ? "" : "s",
		       future ? "" : " ago");
}

void idg_token_request_made_text(const struct idg_token_request *req, int64_t now, char *buf, size_t size)
{
	time_t t = (time_t)req->created;
	char when[64], age[64];
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		(void)snprintf(when, sizeof(when), "@%lld", (long long)req->created);
	idg_age_format(now - req->created, age, sizeof(age));
	(void)snprintf(buf, size, "%s (%s)", when, age);
}

int idg_token_request_check_age(const struct idg_token_request *req, int64_t now, uint64_t max_age_sec,
				struct idg_error *err)
{
	char made[160], limit[64], short_id[16];

	idg_token_request_short_id(req, short_id, sizeof(short_id));
	idg_token_request_made_text(req, now, made, sizeof(made));
	if (req->created > now && (uint64_t)(req->created - now) > IDG_REQUEST_FUTURE_SKEW_SECONDS) {
		idg_timespan_format(IDG_REQUEST_FUTURE_SKEW_SECONDS, limit, sizeof(limit));
		return idg_error_set(err, -ERANGE,
				     "request %s is dated %s: more than %s ahead of this machine's clock; the clock of "
				     "this machine or of %s is wrong",
				     short_id, made, limit, req->hostname);
	}
	if (req->created < now && (uint64_t)(now - req->created) > max_age_sec) {
		idg_timespan_format(max_age_sec, limit, sizeof(limit));
		return idg_error_set(err, -ETIMEDOUT, "request %s was made %s; requests older than %s are refused",
				     short_id, made, limit);
	}
	return 0;
}
