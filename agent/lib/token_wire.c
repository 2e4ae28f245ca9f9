// SPDX-License-Identifier: GPL-2.0-only
/*
 * The version 2 wire forms of requests, token claims and declines (see
 * token_wire.h): CBOR arrays written with libcbor's encoders and read one
 * item at a time with its streaming decoder, which builds no tree, so
 * nothing here allocates for what it reads or recurses into nested items:
 * any item that is not the expected scalar ends the reading. Each refusal
 * names the item and what is wrong with it.
 */
#include "token_wire.h"

#include <cbor.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>

#include "names.h"
#include "util.h"

/* The class numbers of bpf/idguard.h are bits of the mask in every request
 * code and token, so they are wire format: a class may be added, never
 * renumbered (docs/tokens.md lists them). */
_Static_assert(IDG_CLASS_SCANNER == 1 && IDG_CLASS_CAMERA == 2 && IDG_CLASS_CARD_READER == 3 &&
		       IDG_CLASS_PRINTER == 4 && IDG_CLASS_STORAGE == 5 && IDG_CLASS_UNCLASSIFIED == 6 &&
		       IDG_CLASS_OTHER == 7,
	       "class numbers are part of the request and token wire format: never renumber them");
_Static_assert(IDG_CLASS_COUNT <= 32, "a class mask must fit the uint32 of the wire format");
/* Bits 1 .. IDG_CLASS_COUNT - 1; bit 0 is "not watched", never granted. */
#define CLASS_MASK_VALID ((uint32_t)((UINT64_C(1) << IDG_CLASS_COUNT) - 2))
#define MINUTES_MAX 100000 /* as the JSON request code's "min" */
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define B64_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#define KID_PREFIX "k4.pid."
#define KID_B64_LEN 44 /* 33 bytes, no bits left over: one spelling only */

/* ---- reading one item ------------------------------------------------------------ */

enum item_kind {
	ITEM_NONE,
	ITEM_UINT,
	ITEM_NEGINT,
	ITEM_BYTES,
	ITEM_TEXT,
	ITEM_ARRAY,
	ITEM_MAP,
	ITEM_TAG,
	ITEM_FLOAT,
	ITEM_SIMPLE,
	ITEM_BREAK,
	ITEM_INDEFINITE, /* the start of an indefinite-length string, array or map */
};

struct item {
	enum item_kind kind;
	uint64_t value;            /* ITEM_UINT; the item count of ITEM_ARRAY */
	const unsigned char *data; /* ITEM_BYTES, ITEM_TEXT: inside the input */
	size_t len;
};

static const char *kind_text(enum item_kind kind)
{
	switch (kind) {
	case ITEM_UINT: return "an unsigned integer";
	case ITEM_NEGINT: return "a negative integer";
	case ITEM_BYTES: return "a byte string";
	case ITEM_TEXT: return "text";
	case ITEM_ARRAY: return "an array";
	case ITEM_MAP: return "a map";
	case ITEM_TAG: return "a tag";
	case ITEM_FLOAT: return "a floating-point number";
	case ITEM_SIMPLE: return "true, false, null or undefined";
	case ITEM_BREAK: return "a break";
	case ITEM_INDEFINITE: return "of indefinite length";
	case ITEM_NONE: break;
	}
	return "nothing";
}

static void set_kind(void *context, enum item_kind kind)
{
	((struct item *)context)->kind = kind;
}

static void set_uint(void *context, uint64_t value)
{
	struct item *it = context;

	it->kind = ITEM_UINT;
	it->value = value;
}

static void on_uint8(void *c, uint8_t v) { set_uint(c, v); }
static void on_uint16(void *c, uint16_t v) { set_uint(c, v); }
static void on_uint32(void *c, uint32_t v) { set_uint(c, v); }
static void on_uint64(void *c, uint64_t v) { set_uint(c, v); }
static void on_negint8(void *c, uint8_t v) { (void)v; set_kind(c, ITEM_NEGINT); }
static void on_negint16(void *c, uint16_t v) { (void)v; set_kind(c, ITEM_NEGINT); }
static void on_negint32(void *c, uint32_t v) { (void)v; set_kind(c, ITEM_NEGINT); }
static void on_negint64(void *c, uint64_t v) { (void)v; set_kind(c, ITEM_NEGINT); }

static void on_string(struct item *it, enum item_kind kind, cbor_data data, size_t len)
{
	it->kind = kind;
	it->data = data;
	it->len = len;
}

static void on_bytes(void *c, cbor_data data, size_t len) { on_string(c, ITEM_BYTES, data, len); }
static void on_text(void *c, cbor_data data, size_t len) { on_string(c, ITEM_TEXT, data, len); }
static void on_indefinite(void *c) { set_kind(c, ITEM_INDEFINITE); }

static void on_array(void *c, size_t n)
{
	struct item *it = c;

	it->kind = ITEM_ARRAY;
	it->value = n;
}

static void on_map(void *c, size_t n) { (void)n; set_kind(c, ITEM_MAP); }
static void on_tag(void *c, uint64_t v) { (void)v; set_kind(c, ITEM_TAG); }
static void on_float(void *c, float v) { (void)v; set_kind(c, ITEM_FLOAT); }
static void on_double(void *c, double v) { (void)v; set_kind(c, ITEM_FLOAT); }
static void on_simple(void *c) { set_kind(c, ITEM_SIMPLE); }
static void on_boolean(void *c, bool v) { (void)v; set_kind(c, ITEM_SIMPLE); }
static void on_break(void *c) { set_kind(c, ITEM_BREAK); }

/* Every callback is set, so each item that decodes says what it was. */
static const struct cbor_callbacks callbacks = {
	.uint8 = on_uint8,
	.uint16 = on_uint16,
	.uint32 = on_uint32,
	.uint64 = on_uint64,
	.negint8 = on_negint8,
	.negint16 = on_negint16,
	.negint32 = on_negint32,
	.negint64 = on_negint64,
	.byte_string = on_bytes,
	.byte_string_start = on_indefinite,
	.string = on_text,
	.string_start = on_indefinite,
	.array_start = on_array,
	.indef_array_start = on_indefinite,
	.map_start = on_map,
	.indef_map_start = on_indefinite,
	.tag = on_tag,
	.float2 = on_float,
	.float4 = on_float,
	.float8 = on_double,
	.undefined = on_simple,
	.null = on_simple,
	.boolean = on_boolean,
	.indef_break = on_break,
};

/* The item at data[*pos]: 1 when read (*pos moves past it), 0 when the
 * data ends inside it, -1 when its bytes are not CBOR. A string's content
 * counts as part of the item, so a cut-short string is 0. */
static int next_item(const unsigned char *data, size_t len, size_t *pos, struct item *it)
{
	struct cbor_decoder_result res;

	*it = (struct item){ .kind = ITEM_NONE };
	if (*pos >= len)
		return 0;
	res = cbor_stream_decode(data + *pos, len - *pos, &callbacks, it);
	if (res.status == CBOR_DECODER_NEDATA)
		return 0;
	if (res.status != CBOR_DECODER_FINISHED || it->kind == ITEM_NONE || res.read == 0 ||
	    res.read > len - *pos)
		return -1;
	*pos += res.read;
	return 1;
}

/* ---- the arrays -------------------------------------------------------------------- */

enum field_type { FIELD_UINT, FIELD_BYTES, FIELD_TEXT };

struct field {
	const char *name;
	enum field_type type;
	size_t bytes; /* FIELD_BYTES: the exact length */
};

static const struct field request_fields[IDG_WIRE_REQUEST_ITEMS] = {
	{ "version", FIELD_UINT, 0 }, { "rid", FIELD_BYTES, IDG_WIRE_RID_BYTES },
	{ "sub", FIELD_TEXT, 0 },     { "host", FIELD_BYTES, IDG_WIRE_HOST_BYTES },
	{ "hostname", FIELD_TEXT, 0 }, { "pur", FIELD_TEXT, 0 },
	{ "ref", FIELD_TEXT, 0 },     { "cls", FIELD_UINT, 0 },
	{ "min", FIELD_UINT, 0 },     { "iat", FIELD_UINT, 0 },
};
enum { RQ_VERSION, RQ_RID, RQ_SUB, RQ_HOST, RQ_HOSTNAME, RQ_PUR, RQ_REF, RQ_CLS, RQ_MIN, RQ_IAT };

static const struct field claims_fields[IDG_WIRE_CLAIMS_ITEMS] = {
	{ "version", FIELD_UINT, 0 }, { "jti", FIELD_BYTES, IDG_WIRE_JTI_BYTES },
	{ "sub", FIELD_TEXT, 0 },     { "host", FIELD_BYTES, IDG_WIRE_HOST_BYTES },
	{ "pur", FIELD_TEXT, 0 },     { "ref", FIELD_TEXT, 0 },
	{ "rid", FIELD_BYTES, IDG_WIRE_RID_BYTES }, { "cls", FIELD_UINT, 0 },
	{ "iat", FIELD_UINT, 0 },     { "nbf", FIELD_UINT, 0 },
	{ "exp", FIELD_UINT, 0 },     { "kid", FIELD_BYTES, IDG_WIRE_KID_BYTES },
};
enum { CL_VERSION, CL_JTI, CL_SUB, CL_HOST, CL_PUR, CL_REF, CL_RID, CL_CLS, CL_IAT, CL_NBF, CL_EXP, CL_KID };

static const struct field decline_fields[IDG_WIRE_DECLINE_ITEMS] = {
	{ "version", FIELD_UINT, 0 }, { "rid", FIELD_BYTES, IDG_WIRE_RID_BYTES },
	{ "sub", FIELD_TEXT, 0 },     { "host", FIELD_BYTES, IDG_WIRE_HOST_BYTES },
	{ "reason", FIELD_TEXT, 0 },  { "iat", FIELD_UINT, 0 },
	{ "kid", FIELD_BYTES, IDG_WIRE_KID_BYTES },
};
enum { DC_VERSION, DC_RID, DC_SUB, DC_HOST, DC_REASON, DC_IAT, DC_KID };

static enum item_kind field_kind(enum field_type type)
{
	return type == FIELD_UINT ? ITEM_UINT : type == FIELD_BYTES ? ITEM_BYTES : ITEM_TEXT;
}

/* Reads data as an array of exactly n items of fields' types into items,
 * then checks the version. 0, or -EBADMSG with a phrase about "it". */
static int parse_array(const unsigned char *data, size_t len, const struct field *fields, size_t n,
		       struct item *items, struct idg_error *err)
{
	struct item head;
	size_t pos = 0;
	int r;

	if (len == 0)
		return idg_error_set(err, -EBADMSG, "it is empty");
	r = next_item(data, len, &pos, &head);
	if (r == 0)
		return idg_error_set(err, -EBADMSG, "it is cut short in its first item");
	if (r < 0)
		return idg_error_set(err, -EBADMSG, "it is not CBOR");
	if (head.kind == ITEM_INDEFINITE)
		return idg_error_set(err, -EBADMSG, "it starts with an item of indefinite length, not an array of %zu items",
				     n);
	if (head.kind != ITEM_ARRAY)
		return idg_error_set(err, -EBADMSG, "it is %s, not an array of %zu items", kind_text(head.kind), n);
	if (head.value != n)
		return idg_error_set(err, -EBADMSG, "it is an array of %" PRIu64 " items, not %zu", head.value, n);
	for (size_t i = 0; i < n; i++) {
		const struct field *f = &fields[i];
		enum item_kind want = field_kind(f->type);

		r = next_item(data, len, &pos, &items[i]);
		if (r == 0)
			return idg_error_set(err, -EBADMSG, "it is cut short in item %zu (%s) of %zu", i + 1, f->name, n);
		if (r < 0)
			return idg_error_set(err, -EBADMSG, "item %zu (%s) is not CBOR", i + 1, f->name);
		if (items[i].kind == ITEM_INDEFINITE)
			return idg_error_set(err, -EBADMSG, "item %zu (%s) has an indefinite length", i + 1, f->name);
		if (items[i].kind != want)
			return idg_error_set(err, -EBADMSG, "item %zu (%s) is %s, not %s", i + 1, f->name,
					     kind_text(items[i].kind), kind_text(want));
		if (f->type == FIELD_BYTES && items[i].len != f->bytes)
			return idg_error_set(err, -EBADMSG, "item %zu (%s) has %zu bytes, not %zu", i + 1, f->name,
					     items[i].len, f->bytes);
	}
	if (pos != len)
		return idg_error_set(err, -EBADMSG, "it has %zu byte%s after its end", len - pos,
				     len - pos == 1 ? "" : "s");
	if (items[0].value != IDG_WIRE_VERSION)
		return idg_error_set(err, -EBADMSG, "it is version %" PRIu64 "; this idguard reads version %d",
				     items[0].value, IDG_WIRE_VERSION);
	return 0;
}

/* How a bad item is named in a sentence. */
enum form { FORM_REQUEST, FORM_CLAIMS, FORM_DECLINE };

static int item_error(struct idg_error *err, enum form form, const struct field *fields, size_t i,
		      const char *what)
{
	switch (form) {
	case FORM_CLAIMS:
		return idg_error_set(err, -EINVAL, "the token's claim '%s' (item %zu) %s", fields[i].name, i + 1, what);
	case FORM_DECLINE:
		return idg_error_set(err, -EINVAL, "the decline's item %zu (%s) %s", i + 1, fields[i].name, what);
	case FORM_REQUEST:
		break;
	}
	return idg_error_set(err, -EINVAL, "item %zu (%s) %s", i + 1, fields[i].name, what);
}

/* ---- values -------------------------------------------------------------------------- */

static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp, min;
		size_t more;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates, beyond Unicode. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

int idg_wire_text_check(const char *text, size_t len, size_t max, struct idg_error *err)
{
	if (len == 0)
		return idg_error_set(err, -EINVAL, "is empty");
	if (len > max)
		return idg_error_set(err, -EINVAL, "is longer than %zu bytes", max);
	if (memchr(text, '\0', len))
		return idg_error_set(err, -EINVAL, "holds a NUL character");
	if (!utf8_valid((const unsigned char *)text, len))
		return idg_error_set(err, -EINVAL, "is not valid UTF-8");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return idg_error_set(err, -EINVAL, "holds control characters");
	return 0;
}

/* Text item i into buf (size bytes, NUL included). */
static int read_text(const struct item *items, size_t i, enum form form, const struct field *fields, char *buf,
		     size_t size, struct idg_error *err)
{
	struct idg_error why;

	if (idg_wire_text_check((const char *)items[i].data, items[i].len, size - 1, &why) < 0)
		return item_error(err, form, fields, i, why.message);
	memcpy(buf, items[i].data, items[i].len);
	buf[items[i].len] = '\0';
	return 0;
}

/* Byte string item i as lowercase hex (the text form of the structs). */
static void read_hex(const struct item *items, size_t i, char *buf, size_t size)
{
	(void)sodium_bin2hex(buf, size, items[i].data, items[i].len);
}

static int read_classes(const struct item *items, size_t i, enum form form, const struct field *fields,
			uint32_t *ret, struct idg_error *err)
{
	char what[96];

	if (items[i].value == 0)
		return item_error(err, form, fields, i, "names no class");
	if (items[i].value & ~(uint64_t)CLASS_MASK_VALID) {
		(void)snprintf(what, sizeof(what), "has bits for classes that do not exist (0x%" PRIx64 ")",
			       items[i].value & ~(uint64_t)CLASS_MASK_VALID);
		return item_error(err, form, fields, i, what);
	}
	*ret = (uint32_t)items[i].value;
	return 0;
}

static int read_time(const struct item *items, size_t i, enum form form, const struct field *fields, int64_t *ret,
		     struct idg_error *err)
{
	if (items[i].value > (uint64_t)IDG_WIRE_TIME_MAX)
		return item_error(err, form, fields, i, "is a time after the year 9999");
	*ret = (int64_t)items[i].value;
	return 0;
}

/* Lowercase hex of exactly n bytes into out; -EINVAL otherwise. */
static int hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
	size_t bin_len;

	if (strlen(hex) != 2 * n || strspn(hex, "0123456789abcdef") != 2 * n)
		return -EINVAL;
	if (sodium_hex2bin(out, n, hex, 2 * n, NULL, &bin_len, NULL) != 0 || bin_len != n)
		return -EINVAL;
	return 0;
}

int idg_wire_kid_decode(const char *kid, unsigned char digest[IDG_WIRE_KID_BYTES])
{
	size_t prefix = strlen(KID_PREFIX), bin_len;
	const char *b;

	if (!kid || strncmp(kid, KID_PREFIX, prefix) != 0)
		return -EINVAL;
	b = kid + prefix;
	if (strlen(b) != KID_B64_LEN || strspn(b, B64_ALPHABET) != KID_B64_LEN)
		return -EINVAL;
	if (sodium_base642bin(digest, IDG_WIRE_KID_BYTES, b, KID_B64_LEN, NULL, &bin_len, NULL, B64) != 0 ||
	    bin_len != IDG_WIRE_KID_BYTES)
		return -EINVAL;
	return 0;
}

void idg_wire_kid_encode(const unsigned char digest[IDG_WIRE_KID_BYTES], char *buf, size_t size)
{
	size_t prefix = strlen(KID_PREFIX);

	if (size < prefix + KID_B64_LEN + 1) {
		if (size)
			buf[0] = '\0';
		return;
	}
	memcpy(buf, KID_PREFIX, prefix);
	(void)sodium_bin2base64(buf + prefix, size - prefix, digest, IDG_WIRE_KID_BYTES, B64);
}

/* ---- writing ------------------------------------------------------------------------ */

/* Every field is bounded by the structs (the longest, a decline's reason,
 * is 200 bytes), so a fixed buffer holds any array. */
#define WIRE_MAX 1024

struct writer {
	unsigned char buf[WIRE_MAX];
	size_t used;
	bool bad; /* out of room, or a value that cannot be written */
};

static void put_array(struct writer *w, size_t n)
{
	size_t k = cbor_encode_array_start(n, w->buf + w->used, sizeof(w->buf) - w->used);

	w->bad |= k == 0;
	w->used += k;
}

static void put_uint(struct writer *w, uint64_t v)
{
	size_t k = cbor_encode_uint(v, w->buf + w->used, sizeof(w->buf) - w->used);

	w->bad |= k == 0;
	w->used += k;
}

static void put_raw(struct writer *w, size_t head, const void *data, size_t len)
{
	if (head == 0 || sizeof(w->buf) - w->used - head < len) {
		w->bad = true;
		return;
	}
	w->used += head;
	if (len)
		memcpy(w->buf + w->used, data, len);
	w->used += len;
}

static void put_bytes(struct writer *w, const void *data, size_t len)
{
	put_raw(w, cbor_encode_bytestring_start(len, w->buf + w->used, sizeof(w->buf) - w->used), data, len);
}

/* Text that the reader would take (max bytes at most). */
static void put_text(struct writer *w, const char *text, size_t max)
{
	struct idg_error ignored;
	size_t len = strnlen(text, max + 1);

	if (idg_wire_text_check(text, len, max, &ignored) < 0) {
		w->bad = true;
		return;
	}
	put_raw(w, cbor_encode_string_start(len, w->buf + w->used, sizeof(w->buf) - w->used), text, len);
}

/* n bytes given as lowercase hex. */
static void put_hex(struct writer *w, const char *hex, size_t n)
{
	unsigned char bin[32];

	if (n > sizeof(bin) || hex_to_bytes(hex, bin, n) < 0) {
		w->bad = true;
		return;
	}
	put_bytes(w, bin, n);
}

static void put_classes(struct writer *w, uint32_t mask)
{
	if (!mask || (mask & ~CLASS_MASK_VALID))
		w->bad = true;
	else
		put_uint(w, mask);
}

static void put_time(struct writer *w, int64_t t)
{
	if (t < 0 || t > IDG_WIRE_TIME_MAX)
		w->bad = true;
	else
		put_uint(w, (uint64_t)t);
}

static void put_kid(struct writer *w, const char *kid)
{
	unsigned char digest[IDG_WIRE_KID_BYTES];

	if (idg_wire_kid_decode(kid, digest) < 0)
		w->bad = true;
	else
		put_bytes(w, digest, sizeof(digest));
}

static int writer_done(struct writer *w, unsigned char **ret, size_t *ret_len)
{
	unsigned char *copy;

	if (w->bad)
		return -EINVAL;
	copy = malloc(w->used);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, w->buf, w->used);
	*ret = copy;
	*ret_len = w->used;
	return 0;
}

/* ---- requests ---------------------------------------------------------------------- */

int idg_wire_request_encode(const struct idg_token_request *req, unsigned char **ret, size_t *ret_len)
{
	struct writer w = { .used = 0 };

	put_array(&w, IDG_WIRE_REQUEST_ITEMS);
	put_uint(&w, IDG_WIRE_VERSION);
	put_hex(&w, req->id, IDG_WIRE_RID_BYTES);
	put_text(&w, req->user, sizeof(req->user) - 1);
	put_hex(&w, req->host, IDG_WIRE_HOST_BYTES);
	put_text(&w, req->hostname, sizeof(req->hostname) - 1);
	put_text(&w, req->purpose, sizeof(req->purpose) - 1);
	put_text(&w, req->ref, sizeof(req->ref) - 1);
	put_classes(&w, req->class_mask);
	if (req->minutes < 1 || req->minutes > MINUTES_MAX)
		w.bad = true;
	put_uint(&w, req->minutes);
	put_time(&w, req->created);
	return writer_done(&w, ret, ret_len);
}

int idg_wire_request_decode(const unsigned char *data, size_t len, struct idg_token_request *ret,
			    struct idg_error *err)
{
	const struct field *f = request_fields;
	struct item items[IDG_WIRE_REQUEST_ITEMS];
	struct idg_token_request req = { 0 };
	int r;

	r = parse_array(data, len, f, IDG_WIRE_REQUEST_ITEMS, items, err);
	if (r < 0)
		return -EINVAL;
	read_hex(items, RQ_RID, req.id, sizeof(req.id));
	read_hex(items, RQ_HOST, req.host, sizeof(req.host));
	if (read_text(items, RQ_SUB, FORM_REQUEST, f, req.user, sizeof(req.user), err) < 0 ||
	    read_text(items, RQ_HOSTNAME, FORM_REQUEST, f, req.hostname, sizeof(req.hostname), err) < 0 ||
	    read_text(items, RQ_PUR, FORM_REQUEST, f, req.purpose, sizeof(req.purpose), err) < 0 ||
	    read_text(items, RQ_REF, FORM_REQUEST, f, req.ref, sizeof(req.ref), err) < 0 ||
	    read_classes(items, RQ_CLS, FORM_REQUEST, f, &req.class_mask, err) < 0)
		return -EINVAL;
	if (items[RQ_MIN].value < 1 || items[RQ_MIN].value > MINUTES_MAX)
		return item_error(err, FORM_REQUEST, f, RQ_MIN, "is not from 1 to 100000");
	req.minutes = (uint32_t)items[RQ_MIN].value;
	if (read_time(items, RQ_IAT, FORM_REQUEST, f, &req.created, err) < 0)
		return -EINVAL;
	*ret = req;
	return 0;
}

/* ---- token claims ------------------------------------------------------------------ */

int idg_wire_claims_encode(const struct idg_token_claims *c, unsigned char **ret, size_t *ret_len)
{
	struct writer w = { .used = 0 };

	put_array(&w, IDG_WIRE_CLAIMS_ITEMS);
	put_uint(&w, IDG_WIRE_VERSION);
	put_hex(&w, c->jti, IDG_WIRE_JTI_BYTES);
	put_text(&w, c->sub, sizeof(c->sub) - 1);
	put_hex(&w, c->host, IDG_WIRE_HOST_BYTES);
	put_text(&w, c->pur, sizeof(c->pur) - 1);
	put_text(&w, c->ref, sizeof(c->ref) - 1);
	put_hex(&w, c->rid, IDG_WIRE_RID_BYTES);
	put_classes(&w, c->class_mask);
	put_time(&w, c->iat);
	put_time(&w, c->nbf);
	put_time(&w, c->exp);
	put_kid(&w, c->kid);
	return writer_done(&w, ret, ret_len);
}

int idg_wire_claims_decode(const unsigned char *data, size_t len, struct idg_token_claims *c,
			   struct idg_error *err)
{
	const struct field *f = claims_fields;
	struct item items[IDG_WIRE_CLAIMS_ITEMS];
	int r;

	memset(c, 0, sizeof(*c));
	r = parse_array(data, len, f, IDG_WIRE_CLAIMS_ITEMS, items, err);
	if (r < 0)
		return r;
	/* The key id first: with it, a token whose claims are bad can still
	 * be pinned on its signer. */
	idg_wire_kid_encode(items[CL_KID].data, c->kid, sizeof(c->kid));
	read_hex(items, CL_JTI, c->jti, sizeof(c->jti));
	if (read_text(items, CL_SUB, FORM_CLAIMS, f, c->sub, sizeof(c->sub), err) < 0)
		return -EINVAL;
	read_hex(items, CL_HOST, c->host, sizeof(c->host));
	if (read_text(items, CL_PUR, FORM_CLAIMS, f, c->pur, sizeof(c->pur), err) < 0 ||
	    read_text(items, CL_REF, FORM_CLAIMS, f, c->ref, sizeof(c->ref), err) < 0)
		return -EINVAL;
	read_hex(items, CL_RID, c->rid, sizeof(c->rid));
	if (read_classes(items, CL_CLS, FORM_CLAIMS, f, &c->class_mask, err) < 0 ||
	    read_time(items, CL_IAT, FORM_CLAIMS, f, &c->iat, err) < 0 ||
	    read_time(items, CL_NBF, FORM_CLAIMS, f, &c->nbf, err) < 0 ||
	    read_time(items, CL_EXP, FORM_CLAIMS, f, &c->exp, err) < 0)
		return -EINVAL;
	return 0;
}

/* ---- declines ---------------------------------------------------------------------- */

int idg_wire_decline_encode(const struct idg_decline *d, unsigned char **ret, size_t *ret_len)
{
	struct writer w = { .used = 0 };

	put_array(&w, IDG_WIRE_DECLINE_ITEMS);
	put_uint(&w, IDG_WIRE_VERSION);
	put_hex(&w, d->rid, IDG_WIRE_RID_BYTES);
	put_text(&w, d->sub, sizeof(d->sub) - 1);
	put_hex(&w, d->host, IDG_WIRE_HOST_BYTES);
	put_text(&w, d->reason, IDG_DECLINE_REASON_MAX);
	put_time(&w, d->iat);
	put_kid(&w, d->kid);
	return writer_done(&w, ret, ret_len);
}

int idg_wire_decline_decode(const unsigned char *data, size_t len, struct idg_decline *d, struct idg_error *err)
{
	const struct field *f = decline_fields;
	struct item items[IDG_WIRE_DECLINE_ITEMS];
	int r;

	memset(d, 0, sizeof(*d));
	r = parse_array(data, len, f, IDG_WIRE_DECLINE_ITEMS, items, err);
	if (r < 0)
		return r;
	idg_wire_kid_encode(items[DC_KID].data, d->kid, sizeof(d->kid));
	read_hex(items, DC_RID, d->rid, sizeof(d->rid));
	read_hex(items, DC_HOST, d->host, sizeof(d->host));
	if (read_text(items, DC_SUB, FORM_DECLINE, f, d->sub, sizeof(d->sub), err) < 0 ||
	    read_text(items, DC_REASON, FORM_DECLINE, f, d->reason, sizeof(d->reason), err) < 0 ||
	    read_time(items, DC_IAT, FORM_DECLINE, f, &d->iat, err) < 0)
		return -EINVAL;
	return 0;
}

int idg_wire_array_items(const unsigned char *data, size_t len)
{
	struct item head;
	size_t pos = 0;

	if (next_item(data, len, &pos, &head) != 1 || head.kind != ITEM_ARRAY || head.value > INT32_MAX)
		return -EINVAL;
	return (int)head.value;
}
