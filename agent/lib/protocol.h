/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol between idguardctl and idguardd: a unix stream
 * socket carrying one JSON object per line each way. A request names a
 * "command" and its fields; a reply has "ok": true and data, or "ok": false,
 * "error" (a sentence for people) and "code" (a word for scripts).
 * The daemon learns who is asking from SO_PEERCRED, never from the request.
 *
 * Every request is checked against a table of commands and field types
 * before anything acts on it, so garbage gets a precise refusal.
 */
#ifndef IDG_PROTOCOL_H
#define IDG_PROTOCOL_H

#include <json-c/json.h>
#include <stddef.h>

struct idg_error;

#define IDG_DEFAULT_SOCKET "/run/idguard/idguard.sock"
/* The system user idguard-relay.service runs as (sysusers). */
#define IDG_DEFAULT_RELAY_USER "idguard-relay"
#define IDG_MAX_REQUEST 16384          /* bytes, newline included */
#define IDG_MAX_REPLY (16u << 20)      /* what a client accepts */
#define IDG_REQUEST_TIMEOUT_MS 5000    /* for the whole line to arrive */

/* Parses and validates one request line (without its newline). On error
 * returns -EINVAL / -EPROTO with the reason in err, ready to send back. */
int idg_request_parse(const char *line, size_t len, struct json_object **ret_request, struct idg_error *err);

/* The command of a validated request. */
const char *idg_request_command(struct json_object *request);

/* {"ok": true} to add fields to; {"ok": false, "error": ..., "code": ...}. */
struct json_object *idg_reply_ok(void);
struct json_object *idg_reply_error(const char *code, const char *message);

/* Withholds ID-number-shaped text (idg_withhold()) in every string of a
 * reply, keys included, and turns a number that is one into the string
 * "[withheld]". The daemon passes every reply through it on the way out.
 * Returns how many values were withheld. */
size_t idg_reply_withhold(struct json_object *reply);

/* Sends request to the daemon and waits for its reply (timeout_ms overall).
 * -ECONNREFUSED / -ENOENT mean no daemon listens there. An "ok": false reply
 * is returned as a reply, not as an error. */
int idg_client_call(const char *socket_path, struct json_object *request, int timeout_ms,
		    struct json_object **ret_reply, struct idg_error *err);

#endif
