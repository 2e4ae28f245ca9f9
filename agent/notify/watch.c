// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguard-notify's connection to idguardd (a daemon_stream.h stream): the
 * request {"command":"watch"}, its reply ({"ok":true,"uid":...}), then one
 * notice per line for as long as the daemon runs, reconnecting when it
 * restarts. What cannot be reached is said once per outage on stderr, not
 * every second. Each request asks for the
 * notices after the last one received (at first, after the start), so
 * that refusals made while the connection was down are still shown.
 */
#include "notify.h"

#include <errno.h>

#include "daemon_stream.h"
#include "util.h"

struct watch {
	struct idg_stream *stream;
	bool verbose;
	watch_notice_fn on_notice;
	void *userdata;
	bool in_outage;            /* said that it cannot reach idguardd */
	char last_refusal[512];    /* the daemon's last "ok": false, said once */
	uint64_t since_usec;       /* the newest notice passed on, or the start */
};

/* Each request asks for what came after the newest notice passed on. */
static int make_request(void *userdata, char *buf, size_t size)
{
	struct watch *w = userdata;

	return snprintf(buf, size, "{\"command\":\"watch\",\"since_usec\":%llu}\n", (unsigned long long)w->since_usec);
}

/* Something went wrong with the connection: said once per outage. */
static void on_lost(void *userdata, const char *why)
{
	struct watch *w = userdata;

	if (!w->in_outage || w->verbose)
		notify_log("%s; connecting again", why);
	w->in_outage = true;
}

/* The first line: whether idguardd watches for us. */
static int handle_reply(struct watch *w, struct json_object *reply)
{
	const char *path = idg_stream_socket_path(w->stream);
	struct json_object *ok, *uid;
	const char *code = NULL, *error = NULL;
	char refusal[512];

	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)) {
		/* The daemon sends only our own notices; a reply for another
		 * uid means something is badly wrong, and nothing is shown. */
		if (!json_object_object_get_ex(reply, "uid", &uid) ||
		    json_object_get_int64(uid) != (int64_t)getuid()) {
			on_lost(w, "idguardd answered for another uid than ours; showing nothing from it");
			return -EPERM;
		}
		if (w->in_outage || w->verbose)
			notify_log("watching idguardd at %s for notices", path);
		w->in_outage = false;
		w->last_refusal[0] = '\0';
		return 0;
	}
	if (json_object_object_get_ex(reply, "code", &ok))
		code = json_object_get_string(ok);
	if (json_object_object_get_ex(reply, "error", &ok))
		error = json_object_get_string(ok);
	(void)snprintf(refusal, sizeof(refusal), "idguardd at %s refused to send notices (%s): %s%s", path,
		       code ? code : "no code", error ? error : "no reason given",
		       code && streq(code, "unknown-command") ? " (is idguardd older than idguard-notify?)" : "");
	if (!streq(refusal, w->last_refusal))
		notify_log("%s", refusal);
	(void)snprintf(w->last_refusal, sizeof(w->last_refusal), "%s", refusal);
	/* Said already: the reconnection stays quiet unless something changes. */
	w->in_outage = true;
	return -EPROTO;
}

static int on_line(void *userdata, struct json_object *obj, bool first)
{
	struct watch *w = userdata;
	struct json_object *time;

	if (first)
		return handle_reply(w, obj);
	if (json_object_object_get_ex(obj, "time_usec", &time) && (uint64_t)json_object_get_int64(time) > w->since_usec)
		w->since_usec = (uint64_t)json_object_get_int64(time);
	w->on_notice(w->userdata, obj);
	return 0;
}

static const struct idg_stream_ops watch_ops = {
	.request = make_request,
	.on_line = on_line,
	.on_lost = on_lost,
};

int watch_new(sd_event *event, const char *socket_path, bool verbose, watch_notice_fn on_notice, void *userdata,
	      struct watch **ret)
{
	struct watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .verbose = verbose, .on_notice = on_notice, .userdata = userdata };
	/* What happened before this session's agent started is for `idguardctl
	 * why`, not for the screen. */
	w->since_usec = idg_now_realtime_usec();
	r = idg_stream_new(event, socket_path, &watch_ops, w, &w->stream);
	if (r < 0) {
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	idg_stream_free(w->stream);
	free(w);
}
