// SPDX-License-Identifier: GPL-2.0-only
/* Request validation, replies, and the client side of the control socket. */
#include "protocol.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "idnumber.h"
#include "util.h"

enum field_type {
	FIELD_STRING,
	FIELD_UINT,
	FIELD_USEC,   /* a time in microseconds: 0 to INT64_MAX */
	FIELD_BOOL,
};

struct field_spec {
	const char *name;
	enum field_type type;
	int required;
	size_t max_len; /* strings */
};

struct command_spec {
	const char *name;
	struct field_spec fields[8];
};

static const struct command_spec commands[] = {
	{ "ping", { { 0 } } },
	{ "status", { { 0 } } },
	{ "devices", { { 0 } } },
	{ "reload", { { 0 } } },
	{ "grant-list", { { 0 } } },
	{ "grant-add",
	  { { "user", FIELD_STRING, 1, 64 },
	    { "uid", FIELD_UINT, 1, 0 },
	    { "classes", FIELD_STRING, 1, 128 },
	    { "seconds", FIELD_UINT, 1, 0 },
	    { "scope", FIELD_STRING, 0, 16 },
	    { "session", FIELD_UINT, 0, 0 } } },
	{ "grant-remove", { { "id", FIELD_UINT, 1, 0 } } },
	{ "token-redeem", { { "token", FIELD_STRING, 1, 8192 }, { "scope", FIELD_STRING, 0, 16 } } },
	{ "token-list", { { 0 } } },
	{ "token-revoke", { { "id", FIELD_STRING, 1, 64 } } },
	{ "watch", { { "since_usec", FIELD_USEC, 0, 0 } } },
	{ "notices", { { 0 } } },
	/* The online approval round trip (the clerk's side). */
	{ "request-submit", { { "code", FIELD_STRING, 1, 1023 }, { "scope", FIELD_STRING, 0, 16 } } },
	{ "request-list", { { 0 } } },
	{ "request-cancel", { { "id", FIELD_STRING, 1, 64 } } },
	/* The relay's side. */
	{ "relay-watch", { { 0 } } },
	{ "relay-status",
	  { { "connected", FIELD_BOOL, 1, 0 }, { "broker", FIELD_STRING, 1, 255 }, { "error", FIELD_STRING, 0, 255 } } },
	{ "relay-sent", { { "request_id", FIELD_STRING, 1, 63 }, { "broker", FIELD_STRING, 0, 255 } } },
	{ "relay-withdrawn", { { "request_id", FIELD_STRING, 1, 63 } } },
	{ "relay-answer", { { "request_id", FIELD_STRING, 1, 63 }, { "answer", FIELD_STRING, 1, 4096 } } },
	{ "print-check",
	  { { "user", FIELD_STRING, 1, 256 },
	    { "queue", FIELD_STRING, 1, 256 },
	    { "job", FIELD_STRING, 1, 32 },
	    { "title", FIELD_STRING, 0, 1024 } } },
};

static const struct command_spec *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static const char *type_word(enum field_type type)
{
	switch (type) {
	case FIELD_STRING:
		return "a string";
	case FIELD_UINT:
		return "an integer from 0 to 4294967295";
	case FIELD_USEC:
		return "a time in microseconds, 0 or more";
	default:
		return "true or false";
	}
}

static int check_field(const struct field_spec *f, struct json_object *value, const char *command,
		       struct idg_error *err)
{
	switch (f->type) {
	case FIELD_STRING:
		if (!json_object_is_type(value, json_type_string))
			break;
		if ((size_t)json_object_get_string_len(value) > f->max_len)
			return idg_error_set(err, -EINVAL, "field '%s' of '%s' is longer than %zu characters", f->name,
					     command, f->max_len);
		if (strlen(json_object_get_string(value)) != (size_t)json_object_get_string_len(value))
			return idg_error_set(err, -EINVAL, "field '%s' of '%s' contains a NUL character", f->name, command);
		return 0;
	case FIELD_UINT:
		if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 0 ||
		    json_object_get_int64(value) > UINT32_MAX)
			break;
		return 0;
	case FIELD_USEC:
		/* json-c saturates larger numbers at INT64_MAX: still a time. */
		if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 0)
			break;
		return 0;
	case FIELD_BOOL:
		if (json_object_is_type(value, json_type_boolean))
			return 0;
		break;
	}
	return idg_error_set(err, -EINVAL, "field '%s' of '%s' must be %s", f->name, command, type_word(f->type));
}

int idg_request_parse(const char *line, size_t len, struct json_object **ret_request, struct idg_error *err)
{
	struct json_tokener *tok;
	struct json_object *request, *command_obj;
	const struct command_spec *spec;
	const char *command;
	enum json_tokener_error jerr;
	size_t offset;
	int r;

	if (len == 0)
		return idg_error_set(err, -EINVAL, "empty request: send one JSON object per line");
	if (len >= IDG_MAX_REQUEST)
		return idg_error_set(err, -EMSGSIZE, "request is larger than %d bytes", IDG_MAX_REQUEST - 1);
	if (memchr(line, '\0', len))
		return idg_error_set(err, -EINVAL, "request contains a NUL byte: not JSON text");
	tok = json_tokener_new_ex(16);
	if (!tok)
		return idg_error_set(err, -ENOMEM, "out of memory");
	request = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	offset = json_tokener_get_parse_end(tok);
	if (!request && jerr == json_tokener_continue) {
		/* The line is all there is: tell the tokener, so a complete
		 * scalar ("123") ends and a cut-off object is reported as such. */
		request = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		offset = len;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(request);
		if (jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof)
			return idg_error_set(err, -EINVAL, "request is not complete JSON (it ends early)");
		return idg_error_set(err, -EINVAL, "request is not JSON: %s at byte %zu", json_tokener_error_desc(jerr),
				     offset);
	}
	if (!request) /* the literal null */
		return idg_error_set(err, -EINVAL, "request must be a JSON object");
	if (offset != len) {
		json_object_put(request);
		return idg_error_set(err, -EINVAL, "unexpected text after the JSON object at byte %zu", offset);
	}
	if (!json_object_is_type(request, json_type_object)) {
		json_object_put(request);
		return idg_error_set(err, -EINVAL, "request must be a JSON object");
	}
	if (!json_object_object_get_ex(request, "command", &command_obj) ||
	    !json_object_is_type(command_obj, json_type_string)) {
		json_object_put(request);
		return idg_error_set(err, -EINVAL, "request has no \"command\" string");
	}
	command = json_object_get_string(command_obj);
	spec = find_command(command);
	if (!spec) {
		r = idg_error_set(err, -EPROTO, "unknown command '%.64s'", command);
		json_object_put(request);
		return r;
	}
	json_object_object_foreach(request, key, value) {
		const struct field_spec *f = NULL;

		if (streq(key, "command"))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(spec->fields) && spec->fields[i].name; i++)
			if (streq(spec->fields[i].name, key))
				f = &spec->fields[i];
		if (!f) {
			r = idg_error_set(err, -EINVAL, "unknown field '%.64s' for '%s'", key, spec->name);
			json_object_put(request);
			return r;
		}
		r = check_field(f, value, spec->name, err);
		if (r < 0) {
			json_object_put(request);
			return r;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(spec->fields) && spec->fields[i].name; i++)
		if (spec->fields[i].required && !json_object_object_get_ex(request, spec->fields[i].name, NULL)) {
			r = idg_error_set(err, -EINVAL, "'%s' needs the field '%s'", spec->name, spec->fields[i].name);
			json_object_put(request);
			return r;
		}
	*ret_request = request;
	return 0;
}

const char *idg_request_command(struct json_object *request)
{
	struct json_object *command;

	if (!json_object_object_get_ex(request, "command", &command))
		return "";
	return json_object_get_string(command);
}

struct json_object *idg_reply_ok(void)
{
	struct json_object *reply = json_object_new_object();

	if (reply)
		json_object_object_add(reply, "ok", json_object_new_boolean(1));
	return reply;
}

/* A copy of text with ID numbers withheld, or NULL when there are none. */
static char *withheld_copy(const char *text)
{
	char *copy;

	if (!idg_contains_id_number(text))
		return NULL;
	copy = strdup(text);
	if (copy)
		(void)idg_withhold(copy);
	return copy;
}

/* An integer whose digits look like an ID number: it cannot be rewritten
 * in place, the caller puts the string "[withheld]" where it was. */
static bool is_id_number_integer(struct json_object *value)
{
	char digits[32];

	if (!json_object_is_type(value, json_type_int))
		return false;
	(void)snprintf(digits, sizeof(digits), "%s", json_object_to_json_string(value));
	return idg_contains_id_number(digits);
}

size_t idg_reply_withhold(struct json_object *reply)
{
	size_t count = 0;
	char *copy;

	switch (json_object_get_type(reply)) {
	case json_type_string:
		copy = withheld_copy(json_object_get_string(reply));
		if (copy) {
			(void)json_object_set_string(reply, copy);
			free(copy);
			count++;
		}
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(reply); i++) {
			struct json_object *item = json_object_array_get_idx(reply, i);

			if (!is_id_number_integer(item))
				count += idg_reply_withhold(item);
			else if (json_object_array_put_idx(reply, i, json_object_new_string(IDG_WITHHELD)) == 0)
				count++;
		}
		break;
	case json_type_object: {
		/* Keys are rewritten by re-adding; collect first, the object
		 * must not change while it is walked. */
		struct json_object *renamed = NULL;

		json_object_object_foreach(reply, key, value) {
			if (!is_id_number_integer(value))
				count += idg_reply_withhold(value);
			else if (json_object_object_add(reply, key, json_object_new_string(IDG_WITHHELD)) == 0)
				count++;
			if (idg_contains_id_number(key)) {
				if (!renamed)
					renamed = json_object_new_array();
				json_object_array_add(renamed, json_object_new_string(key));
			}
		}
		for (size_t i = 0; renamed && i < json_object_array_length(renamed); i++) {
			const char *old_key = json_object_get_string(json_object_array_get_idx(renamed, i));
			struct json_object *moved = NULL;

			copy = withheld_copy(old_key);
			(void)json_object_object_get_ex(reply, old_key, &moved);
			if (copy && moved) {
				(void)json_object_object_add(reply, copy, json_object_get(moved));
				json_object_object_del(reply, old_key);
				count++;
			}
			free(copy);
		}
		json_object_put(renamed);
		break;
	}
	default:
		break;
	}
	return count;
}

struct json_object *idg_reply_error(const char *code, const char *message)
{
	struct json_object *reply = json_object_new_object();

	if (!reply)
		return NULL;
	json_object_object_add(reply, "ok", json_object_new_boolean(0));
	json_object_object_add(reply, "code", json_object_new_string(code));
	json_object_object_add(reply, "error", json_object_new_string(message));
	return reply;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events, until the deadline. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left = deadline - now_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&pfd, 1, (int)left);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

int idg_client_call(const char *socket_path, struct json_object *request, int timeout_ms,
		    struct json_object **ret_reply, struct idg_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *reply_buf = NULL;
	const char *text;
	size_t len, sent = 0, used = 0, allocated = 0;
	int64_t deadline = now_ms() + timeout_ms;
	struct json_object *reply;
	int r;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return idg_error_set(err, -ENAMETOOLONG, "socket path %s is too long", socket_path);
	strcpy(addr.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot create a socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return idg_error_errno(err, -errno, "cannot reach idguardd at %s", socket_path);

	text = json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	while (sent <= len) {
		/* The newline is sent as its own step so text need not be copied. */
		const char *chunk = sent < len ? text + sent : "\n";
		size_t chunk_len = sent < len ? len - sent : 1;
		ssize_t n = send(fd, chunk, chunk_len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return idg_error_errno(err, r, "sending to idguardd");
			continue;
		}
		if (n < 0)
			return idg_error_errno(err, -errno, "sending to idguardd");
		sent += (size_t)n;
	}
	for (;;) {
		ssize_t n;

		if (used + 4096 > allocated) {
			size_t size = allocated ? allocated * 2 : 16384;
			char *grown;

			if (size > IDG_MAX_REPLY + 4096)
				return idg_error_set(err, -EMSGSIZE, "reply from idguardd is larger than %u bytes",
						     IDG_MAX_REPLY);
			grown = realloc(reply_buf, size);
			if (!grown)
				return idg_error_set(err, -ENOMEM, "out of memory");
			reply_buf = grown;
			allocated = size;
		}
		n = recv(fd, reply_buf + used, allocated - used - 1, 0);
		if (n < 0 && errno == EAGAIN) {
			r = wait_fd(fd, POLLIN, deadline);
			if (r < 0)
				return idg_error_errno(err, r, "waiting for idguardd's reply");
			continue;
		}
		if (n < 0)
			return idg_error_errno(err, -errno, "reading idguardd's reply");
		if (n == 0)
			return idg_error_set(err, -ECONNRESET, "idguardd closed the connection without a reply");
		used += (size_t)n;
		reply_buf[used] = '\0';
		if (memchr(reply_buf, '\n', used))
			break;
	}
	reply = json_tokener_parse(reply_buf);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		json_object_put(reply);
		return idg_error_set(err, -EPROTO, "idguardd's reply is not a JSON object");
	}
	*ret_reply = reply;
	return 0;
}
