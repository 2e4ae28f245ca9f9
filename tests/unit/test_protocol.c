// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control protocol (protocol.h): a valid request for every command in
 * the table, the exact refusal for each kind of garbage (empty, not JSON,
 * cut short, trailing text, not an object, no or unknown command, unknown
 * field, wrong type, integers out of range, missing field, NUL bytes, too
 * large), the shapes of ok and error replies, and idg_client_call against a
 * small server thread on a unix socket in a temporary directory: newline
 * framing both ways, replies returned whatever they say, a server that hangs
 * up (-ECONNRESET) or never answers (-ETIMEDOUT), and no server at all.
 */
#include "unit.h"

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "protocol.h"
#include "util.h"

/* ---- requests ------------------------------------------------------------------ */

static void expect_valid(const char *line, const char *command)
{
	struct json_object *request = NULL;
	struct idg_error err = { "" };
	int r = idg_request_parse(line, strlen(line), &request, &err);

	if (r != 0) {
		print_error("%s refused (%d): %s\n", line, r, err.message);
		fail();
	}
	assert_non_null(request);
	assert_string_equal(idg_request_command(request), command);
	json_object_put(request);
}

static void expect_refused_len(const char *line, size_t len, int expected_r, const char *message)
{
	struct json_object *request = (struct json_object *)0x1;
	struct idg_error err = { "" };
	int r = idg_request_parse(line, len, &request, &err);

	if (r != expected_r || !streq(err.message, message)) {
		print_error("%.200s: returned %d with \"%s\"\nexpected %d with \"%s\"\n", line, r, err.message,
			    expected_r, message);
		fail();
	}
	/* ret_request is only written on success. */
	assert_ptr_equal(request, (struct json_object *)0x1);
}

static void expect_refused(const char *line, int expected_r, const char *message)
{
	expect_refused_len(line, strlen(line), expected_r, message);
}

static void test_valid_requests(void **state)
{
	(void)state;
	expect_valid("{\"command\":\"ping\"}", "ping");
	expect_valid("{\"command\":\"status\"}", "status");
	expect_valid("{\"command\":\"devices\"}", "devices");
	expect_valid("{\"command\":\"reload\"}", "reload");
	expect_valid("{\"command\":\"grant-list\"}", "grant-list");
	expect_valid("{\"command\":\"grant-add\",\"user\":\"alice\",\"uid\":1000,\"classes\":\"scanner,camera\","
		     "\"seconds\":600}",
		     "grant-add");
	expect_valid("{\"command\":\"grant-add\",\"user\":\"alice\",\"uid\":1000,\"classes\":\"scanner\","
		     "\"seconds\":600,\"scope\":\"session\",\"session\":4294967295}",
		     "grant-add");
	expect_valid("{\"command\":\"grant-remove\",\"id\":0}", "grant-remove");
	expect_valid("{\"command\":\"grant-remove\",\"id\":4294967295}", "grant-remove");
	/* Whitespace around the object, as a person typing into socat sends it. */
	expect_valid("  { \"command\" : \"ping\" }  ", "ping");
}

static void test_refused_syntax(void **state)
{
	(void)state;
	expect_refused("", -EINVAL, "empty request: send one JSON object per line");
	expect_refused("hello", -EINVAL, "request is not JSON: unexpected character at byte 0");
	expect_refused("{\"command\":\"ping\"", -EINVAL, "request is not complete JSON (it ends early)");
	expect_refused("{\"command\":", -EINVAL, "request is not complete JSON (it ends early)");
	expect_refused("{\"command\":\"ping\"} x", -EINVAL, "unexpected text after the JSON object at byte 19");
	expect_refused("{\"command\":\"ping\"}{\"command\":\"ping\"}", -EINVAL,
		       "unexpected text after the JSON object at byte 18");
	expect_refused("[\"ping\"]", -EINVAL, "request must be a JSON object");
	expect_refused("\"ping\"", -EINVAL, "request must be a JSON object");
}

static void test_refused_not_json_mentions_json(void **state)
{
	static const char *const lines[] = { "ping", "GET / HTTP/1.1", "{\"command\" \"ping\"}", "}" };
	struct json_object *request = NULL;
	struct idg_error err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		assert_int_equal(idg_request_parse(lines[i], strlen(lines[i]), &request, &err), -EINVAL);
		assert_contains(err.message, "request is not JSON: ");
	}
}

/* A complete JSON value that is not an object is not "cut short". */
static void test_refused_scalar_is_not_truncated(void **state)
{
	(void)state;
	expect_refused("123", -EINVAL, "request must be a JSON object");
	expect_refused("null", -EINVAL, "request must be a JSON object");
	expect_refused("true", -EINVAL, "request must be a JSON object");
}

static void test_refused_command(void **state)
{
	char line[256], message[128];

	(void)state;
	expect_refused("{}", -EINVAL, "request has no \"command\" string");
	expect_refused("{\"all\":true}", -EINVAL, "request has no \"command\" string");
	expect_refused("{\"command\":5}", -EINVAL, "request has no \"command\" string");
	expect_refused("{\"command\":null}", -EINVAL, "request has no \"command\" string");
	expect_refused("{\"command\":\"shutdown\"}", -EPROTO, "unknown command 'shutdown'");
	expect_refused("{\"command\":\"PING\"}", -EPROTO, "unknown command 'PING'");
	expect_refused("{\"command\":\"\"}", -EPROTO, "unknown command ''");
	/* A long unknown command is quoted only in part. */
	(void)snprintf(line, sizeof(line), "{\"command\":\"%0100d\"}", 7);
	(void)snprintf(message, sizeof(message), "unknown command '%064d'", 0);
	expect_refused(line, -EPROTO, message);
}

static void test_refused_fields(void **state)
{
	char line[512], user[70];

	(void)state;
	expect_refused("{\"command\":\"ping\",\"force\":true}", -EINVAL, "unknown field 'force' for 'ping'");
	expect_refused("{\"command\":\"grant-remove\",\"id\":1,\"uid\":1}", -EINVAL,
		       "unknown field 'uid' for 'grant-remove'");
	expect_refused("{\"command\":\"grant-list\",\"all\":true}", -EINVAL,
		       "unknown field 'all' for 'grant-list'");
	expect_refused("{\"command\":\"grant-remove\",\"id\":\"5\"}", -EINVAL,
		       "field 'id' of 'grant-remove' must be an integer from 0 to 4294967295");
	expect_refused("{\"command\":\"grant-remove\",\"id\":1.5}", -EINVAL,
		       "field 'id' of 'grant-remove' must be an integer from 0 to 4294967295");
	expect_refused("{\"command\":\"grant-remove\",\"id\":-1}", -EINVAL,
		       "field 'id' of 'grant-remove' must be an integer from 0 to 4294967295");
	expect_refused("{\"command\":\"grant-remove\",\"id\":4294967296}", -EINVAL,
		       "field 'id' of 'grant-remove' must be an integer from 0 to 4294967295");
	expect_refused("{\"command\":\"grant-remove\",\"id\":99999999999999999999}", -EINVAL,
		       "field 'id' of 'grant-remove' must be an integer from 0 to 4294967295");
	expect_refused("{\"command\":\"grant-remove\",\"id\":null}", -EINVAL,
		       "field 'id' of 'grant-remove' must be an integer from 0 to 4294967295");
	expect_refused("{\"command\":\"grant-add\",\"user\":7,\"uid\":1000,\"classes\":\"camera\",\"seconds\":60}",
		       -EINVAL, "field 'user' of 'grant-add' must be a string");
	expect_refused("{\"command\":\"grant-remove\"}", -EINVAL, "'grant-remove' needs the field 'id'");
	expect_refused("{\"command\":\"grant-add\",\"user\":\"alice\",\"uid\":1000,\"seconds\":60}", -EINVAL,
		       "'grant-add' needs the field 'classes'");

	memset(user, 'a', 65);
	user[65] = '\0';
	(void)snprintf(line, sizeof(line),
		       "{\"command\":\"grant-add\",\"user\":\"%s\",\"uid\":1,\"classes\":\"camera\",\"seconds\":60}", user);
	expect_refused(line, -EINVAL, "field 'user' of 'grant-add' is longer than 64 characters");
	user[64] = '\0';
	(void)snprintf(line, sizeof(line),
		       "{\"command\":\"grant-add\",\"user\":\"%s\",\"uid\":1,\"classes\":\"camera\",\"seconds\":60}", user);
	expect_valid(line, "grant-add");
}

static void test_refused_nul(void **state)
{
	static const char with_nul[] = "{\"command\":\"ping\"}\0";
	static const char nul_inside[] = "{\"command\":\"pi\0ng\"}";

	(void)state;
	expect_refused_len(with_nul, sizeof(with_nul) - 1, -EINVAL, "request contains a NUL byte: not JSON text");
	expect_refused_len(nul_inside, sizeof(nul_inside) - 1, -EINVAL, "request contains a NUL byte: not JSON text");
	/* An escaped NUL is valid JSON, but no field may carry one. */
	expect_refused("{\"command\":\"grant-add\",\"user\":\"a\\u0000b\",\"uid\":1,\"classes\":\"camera\","
		       "\"seconds\":60}",
		       -EINVAL, "field 'user' of 'grant-add' contains a NUL character");
}

static void test_refused_too_large(void **state)
{
	static const char ping[] = "{\"command\":\"ping\"}";
	char *line = malloc(IDG_MAX_REQUEST + 1);

	(void)state;
	assert_non_null(line);
	/* IDG_MAX_REQUEST counts the newline, so IDG_MAX_REQUEST - 1 bytes of text fit. */
	memset(line, ' ', IDG_MAX_REQUEST);
	memcpy(line + IDG_MAX_REQUEST - 1 - strlen(ping), ping, strlen(ping));
	line[IDG_MAX_REQUEST - 1] = '\0';
	expect_valid(line, "ping");

	memset(line, ' ', IDG_MAX_REQUEST);
	memcpy(line + IDG_MAX_REQUEST - strlen(ping), ping, strlen(ping));
	line[IDG_MAX_REQUEST] = '\0';
	assert_int_equal(strlen(line), IDG_MAX_REQUEST);
	expect_refused(line, -EMSGSIZE, "request is larger than 16383 bytes");
	free(line);
}

/* ---- replies ------------------------------------------------------------------- */

static const char *get_string(struct json_object *obj, const char *key)
{
	struct json_object *value;

	if (!json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

static void test_reply_shapes(void **state)
{
	struct json_object *ok = idg_reply_ok(), *error = idg_reply_error("no-grant", "grant 7 is not live"), *v;

	(void)state;
	assert_non_null(ok);
	assert_string_equal(json_object_to_json_string_ext(ok, JSON_C_TO_STRING_PLAIN), "{\"ok\":true}");
	json_object_object_add(ok, "pid", json_object_new_int(42));
	assert_string_equal(json_object_to_json_string_ext(ok, JSON_C_TO_STRING_PLAIN), "{\"ok\":true,\"pid\":42}");

	assert_non_null(error);
	assert_int_equal(json_object_object_length(error), 3);
	assert_true(json_object_object_get_ex(error, "ok", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	assert_string_equal(get_string(error, "code"), "no-grant");
	assert_string_equal(get_string(error, "error"), "grant 7 is not live");
	json_object_put(ok);
	json_object_put(error);
}

/* ---- idg_client_call against a server thread ----------------------------------- */

enum server_behaviour {
	SERVER_REPLY,   /* read the request line, write `reply` in two parts, close */
	SERVER_HANG_UP, /* read the request line, close without a word */
	SERVER_SILENT,  /* read the request line, wait for the client to give up */
};

struct server {
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	enum server_behaviour behaviour;
	const char *reply;
	char request[1024];
	size_t request_len;
	const char *problem; /* set by the thread; checked by the test */
	pthread_t thread;
};

#define SERVER_LIMIT_MS 5000 /* nothing here waits longer, even when the client misbehaves */

static bool wait_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, SERVER_LIMIT_MS) == 1;
}

static void *server_main(void *data)
{
	struct server *s = data;
	int fd;

	if (!wait_readable(s->listen_fd)) {
		s->problem = "no client connected";
		return NULL;
	}
	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		s->problem = "accept failed";
		return NULL;
	}
	while (!memchr(s->request, '\n', s->request_len)) {
		ssize_t n;

		if (s->request_len == sizeof(s->request) - 1 || !wait_readable(fd)) {
			s->problem = "no request line arrived";
			goto out;
		}
		n = read(fd, s->request + s->request_len, sizeof(s->request) - 1 - s->request_len);
		if (n <= 0) {
			s->problem = "the client closed before its newline";
			goto out;
		}
		s->request_len += (size_t)n;
	}
	s->request[s->request_len] = '\0';
	switch (s->behaviour) {
	case SERVER_REPLY: {
		size_t len = strlen(s->reply), half = len / 2;

		/* Two writes: the client must gather a reply that arrives in parts. */
		if (write(fd, s->reply, half) != (ssize_t)half ||
		    write(fd, s->reply + half, len - half) != (ssize_t)(len - half))
			s->problem = "writing the reply failed";
		break;
	}
	case SERVER_HANG_UP:
		break;
	case SERVER_SILENT: {
		char c;

		/* The client's close after its timeout ends this. */
		if (!wait_readable(fd) || read(fd, &c, 1) != 0)
			s->problem = "the client did not give up";
		break;
	}
	}
out:
	(void)close(fd);
	return NULL;
}

static void server_start(struct server *s, const char *dir, enum server_behaviour behaviour, const char *reply)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	memset(s, 0, sizeof(*s));
	s->behaviour = behaviour;
	s->reply = reply;
	assert_true((size_t)snprintf(s->path, sizeof(s->path), "%s/ctl.sock", dir) < sizeof(s->path));
	strcpy(addr.sun_path, s->path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	(void)close(s->listen_fd);
	(void)unlink(s->path);
	if (s->problem) {
		print_error("server: %s\n", s->problem);
		fail();
	}
}

static struct json_object *ping_request(void)
{
	struct json_object *request = json_object_new_object();

	assert_non_null(request);
	json_object_object_add(request, "command", json_object_new_string("ping"));
	return request;
}

/* Every string of a reply, keys included, and numbers that are ID-shaped. */
static void test_reply_withheld(void **state)
{
	struct json_object *reply = idg_reply_ok(), *list = json_object_new_array(), *item = json_object_new_object();

	(void)state;
	json_object_object_add(item, "token_id", json_object_new_string("11010519491231002X"));
	json_object_object_add(item, "id", json_object_new_int64(7));
	json_object_object_add(item, "430102500101001", json_object_new_string("as a key"));
	json_object_array_add(list, item);
	json_object_array_add(list, json_object_new_int64(110105194912310011LL));
	json_object_object_add(reply, "grants", list);
	json_object_object_add(reply, "error", json_object_new_string("no grant has id 110105-19491231-002X"));
	assert_int_equal(idg_reply_withhold(reply), 4);
	assert_string_equal(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN),
			    "{\"ok\":true,\"grants\":[{\"token_id\":\"[withheld]\",\"id\":7,\"[withheld]\":\"as a key\"},"
			    "\"[withheld]\"],\"error\":\"no grant has id [withheld]\"}");
	json_object_put(reply);
}

static void test_client_round_trip(void **state)
{
	struct server s;
	struct json_object *request = ping_request(), *reply = NULL;
	struct idg_error err = { "" };
	int r;

	server_start(&s, *state, SERVER_REPLY, "{\"ok\":true,\"pid\":42}\n");
	r = idg_client_call(s.path, request, 5000, &reply, &err);
	server_stop(&s);
	if (r != 0)
		print_error("idg_client_call: %d %s\n", r, err.message);
	assert_int_equal(r, 0);
	/* Exactly one line went out: the JSON text and its newline. */
	assert_string_equal(s.request, "{\"command\":\"ping\"}\n");
	assert_int_equal(json_object_get_int(json_object_object_get(reply, "pid")), 42);
	assert_true(json_object_get_boolean(json_object_object_get(reply, "ok")));
	json_object_put(reply);
	json_object_put(request);
}

static void test_client_returns_any_object(void **state)
{
	static const char *const replies[] = {
		"{\"hello\":\"world\"}\n",
		"{\"ok\":false,\"code\":\"denied\",\"error\":\"not for you\"}\n",
	};
	struct json_object *request = ping_request();

	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		struct server s;
		struct json_object *reply = NULL;
		struct idg_error err = { "" };
		int r;

		server_start(&s, *state, SERVER_REPLY, replies[i]);
		r = idg_client_call(s.path, request, 5000, &reply, &err);
		server_stop(&s);
		assert_int_equal(r, 0);
		assert_non_null(reply);
		if (i == 0) {
			assert_string_equal(get_string(reply, "hello"), "world");
			assert_false(json_object_object_get_ex(reply, "ok", NULL));
		} else {
			assert_string_equal(get_string(reply, "code"), "denied");
		}
		json_object_put(reply);
	}
	json_object_put(request);
}

static void test_client_large_reply(void **state)
{
	struct server s;
	struct json_object *request = ping_request(), *reply = NULL;
	struct idg_error err = { "" };
	size_t blob_len = 200000;
	char *text = malloc(blob_len + 64);
	int r;

	assert_non_null(text);
	strcpy(text, "{\"ok\":true,\"blob\":\"");
	memset(text + strlen(text), 'x', blob_len);
	strcpy(text + 19 + blob_len, "\"}\n");
	server_start(&s, *state, SERVER_REPLY, text);
	r = idg_client_call(s.path, request, 5000, &reply, &err);
	server_stop(&s);
	assert_int_equal(r, 0);
	assert_int_equal(strlen(get_string(reply, "blob")), blob_len);
	json_object_put(reply);
	json_object_put(request);
	free(text);
}

static void test_client_not_json_reply(void **state)
{
	struct server s;
	struct json_object *request = ping_request(), *reply = (struct json_object *)0x1;
	struct idg_error err = { "" };
	int r;

	server_start(&s, *state, SERVER_REPLY, "hello\n");
	r = idg_client_call(s.path, request, 5000, &reply, &err);
	server_stop(&s);
	assert_int_equal(r, -EPROTO);
	assert_string_equal(err.message, "idguardd's reply is not a JSON object");
	assert_ptr_equal(reply, (struct json_object *)0x1);
	json_object_put(request);
}

static void test_client_hang_up(void **state)
{
	struct server s;
	struct json_object *request = ping_request(), *reply = NULL;
	struct idg_error err = { "" };
	int r;

	server_start(&s, *state, SERVER_HANG_UP, NULL);
	r = idg_client_call(s.path, request, 5000, &reply, &err);
	server_stop(&s);
	assert_int_equal(r, -ECONNRESET);
	assert_string_equal(err.message, "idguardd closed the connection without a reply");
	json_object_put(request);
}

static void test_client_timeout(void **state)
{
	struct server s;
	struct json_object *request = ping_request(), *reply = NULL;
	struct idg_error err = { "" };
	struct timespec start, end;
	long elapsed_ms;
	int r;

	server_start(&s, *state, SERVER_SILENT, NULL);
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	r = idg_client_call(s.path, request, 100, &reply, &err);
	(void)clock_gettime(CLOCK_MONOTONIC, &end);
	server_stop(&s);
	assert_int_equal(r, -ETIMEDOUT);
	assert_string_equal(err.message, "waiting for idguardd's reply: Connection timed out");
	/* It waited for the timeout, not for ever. */
	elapsed_ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
	assert_true(elapsed_ms >= 90);
	assert_true(elapsed_ms < SERVER_LIMIT_MS);
	json_object_put(request);
}

static void test_client_no_daemon(void **state)
{
	const char *dir = *state;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct json_object *request = ping_request(), *reply = NULL;
	struct idg_error err = { "" };
	char *path = path_join(dir, "none.sock"), *expect, long_path[200];
	int fd;

	assert_int_equal(idg_client_call(path, request, 1000, &reply, &err), -ENOENT);
	assert_true(asprintf(&expect, "cannot reach idguardd at %s: No such file or directory", path) > 0);
	assert_string_equal(err.message, expect);
	free(expect);

	/* A socket file nobody listens on any more. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(addr.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	(void)close(fd);
	assert_int_equal(idg_client_call(path, request, 1000, &reply, &err), -ECONNREFUSED);
	assert_true(asprintf(&expect, "cannot reach idguardd at %s: Connection refused", path) > 0);
	assert_string_equal(err.message, expect);
	free(expect);

	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(idg_client_call(long_path, request, 1000, &reply, &err), -ENAMETOOLONG);
	assert_contains(err.message, "is too long");
	free(path);
	json_object_put(request);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_requests),
		cmocka_unit_test(test_refused_syntax),
		cmocka_unit_test(test_reply_withheld),
		cmocka_unit_test(test_refused_not_json_mentions_json),
		cmocka_unit_test(test_refused_scalar_is_not_truncated),
		cmocka_unit_test(test_refused_command),
		cmocka_unit_test(test_refused_fields),
		cmocka_unit_test(test_refused_nul),
		cmocka_unit_test(test_refused_too_large),
		cmocka_unit_test(test_reply_shapes),
		cmocka_unit_test_setup_teardown(test_client_round_trip, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_client_returns_any_object, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_client_large_reply, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_client_not_json_reply, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_client_hang_up, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_client_timeout, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_client_no_daemon, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
