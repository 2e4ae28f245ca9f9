// SPDX-License-Identifier: GPL-2.0-only
/*
 * The session side of idguard-notify: its connection to the session bus
 * (sd-bus), the well-known name that keeps it to one instance a session,
 * and the Notify calls to whatever notification server the desktop runs
 * (org.freedesktop.Notifications, Desktop Notifications Specification
 * 1.2). No bus or no server is said once on stderr, and tried again; the
 * notices that could not be shown meanwhile are fold.c's to show later.
 */
#include "notify.h"

#include <errno.h>
#include <systemd/sd-bus.h>

#include "daemon_stream.h"
#include "util.h"

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
#define CALL_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define RETRY_MIN_USEC (1 * USEC_PER_SEC)
#define RETRY_MAX_USEC (30 * USEC_PER_SEC)

struct desktop {
	sd_event *event;
	sd_bus *bus;
	bool verbose;
	desktop_ready_fn ready;
	void *userdata;
	sd_event_source *retry;
	uint64_t backoff_usec;
	bool said_no_bus, said_no_server, said_no_name;
	/* Until the server says otherwise (GetCapabilities), assume it reads
	 * markup in bodies, as nearly all do: "&" and "<" are then escaped. */
	bool body_markup;
	bool lost_name;
};

struct pending_call {
	struct desktop *desktop;
	desktop_shown_fn shown;
	void *userdata;
};

static void schedule_retry(struct desktop *d, uint64_t delay_usec);

static int on_capabilities(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct desktop *d = userdata;
	const char *cap;
	bool markup = false;

	if (sd_bus_message_is_method_error(reply, NULL))
		return 0; /* no server yet: keep assuming */
	if (sd_bus_message_enter_container(reply, 'a', "s") < 0)
		return 0;
	while (sd_bus_message_read(reply, "s", &cap) > 0)
		markup = markup || streq(cap, "body-markup");
	d->body_markup = markup;
	return 0;
}

/* The bus went away (the session ended, or dbus-daemon was restarted). */
static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct desktop *d = userdata;

	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
		notify_log("the session bus closed the connection; connecting again");
		/* Not here: the bus must not be freed inside its own callback. */
		d->backoff_usec = RETRY_MIN_USEC;
		schedule_retry(d, 0);
	}
	return 0;
}

static void drop_bus(struct desktop *d)
{
	d->bus = sd_bus_flush_close_unref(d->bus);
}

/* 1 connected, 0 not (said once), -EEXIST another instance is running. */
static int bus_connect(struct desktop *d)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_user(&bus);
	if (r < 0) {
		if (!d->said_no_bus)
			notify_log("no session bus (DBUS_SESSION_BUS_ADDRESS=%s, XDG_RUNTIME_DIR=%s): %s; "
				   "trying again until there is one",
				   getenv("DBUS_SESSION_BUS_ADDRESS") ?: "(unset)", getenv("XDG_RUNTIME_DIR") ?: "(unset)",
				   strerror(-r));
		d->said_no_bus = true;
		return 0;
	}
	r = sd_bus_request_name(bus, NOTIFY_BUS_NAME, 0);
	if (r == -EEXIST) {
		(void)sd_bus_flush_close_unref(bus);
		return -EEXIST;
	}
	if (r < 0 && r != -EALREADY) {
		/* Not fatal: without the name a second instance is possible,
		 * but notifications still work. */
		if (!d->said_no_name)
			notify_log("cannot own the name %s on the session bus: %s", NOTIFY_BUS_NAME, strerror(-r));
		d->said_no_name = true;
	}
	r = sd_bus_add_filter(bus, NULL, on_bus_message, d);
	if (r >= 0)
		r = sd_bus_attach_event(bus, d->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0) {
		notify_log("cannot watch the session bus: %s", strerror(-r));
		(void)sd_bus_flush_close_unref(bus);
		return 0;
	}
	if (d->said_no_bus || d->verbose)
		notify_log("connected to the session bus");
	d->said_no_bus = false;
	d->bus = bus;
	d->body_markup = true;
	(void)sd_bus_call_method_async(bus, NULL, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME,
				       "GetCapabilities", on_capabilities, d, "");
	return 1;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct desktop *d = userdata;
	int r;

	if (d->bus && sd_bus_is_open(d->bus) > 0)
		return 0;
	drop_bus(d);
	r = bus_connect(d);
	if (r == -EEXIST) {
		/* Someone else shows this session's notices now. */
		d->lost_name = true;
		return sd_event_exit(d->event, 0);
	}
	if (r == 0) {
		schedule_retry(d, d->backoff_usec);
		d->backoff_usec = d->backoff_usec * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : d->backoff_usec * 2;
		return 0;
	}
	d->backoff_usec = RETRY_MIN_USEC;
	if (d->ready)
		d->ready(d->userdata);
	return 0;
}

static void schedule_retry(struct desktop *d, uint64_t delay_usec)
{
	int r = idg_timer_arm(d->event, &d->retry, delay_usec, on_retry, d);

	if (r < 0)
		notify_log("cannot set a timer to reach the session bus again: %s", strerror(-r));
}

int desktop_new(sd_event *event, bool verbose, desktop_ready_fn ready, void *userdata, struct desktop **ret)
{
	struct desktop *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	*d = (struct desktop){ .event = sd_event_ref(event), .verbose = verbose, .ready = ready, .userdata = userdata,
			       .backoff_usec = RETRY_MIN_USEC, .body_markup = true };
	r = bus_connect(d);
	if (r == -EEXIST) {
		desktop_free(d);
		return r;
	}
	if (r == 0)
		schedule_retry(d, d->backoff_usec);
	*ret = d;
	return 0;
}

void desktop_free(struct desktop *d)
{
	if (!d)
		return;
	drop_bus(d);
	sd_event_source_disable_unref(d->retry);
	sd_event_unref(d->event);
	free(d);
}

bool desktop_lost_to_other_instance(const struct desktop *d)
{
	return d && d->lost_name;
}

static int on_notify_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct pending_call *call = userdata;
	struct desktop *d = call->desktop;
	const sd_bus_error *error = sd_bus_message_get_error(reply);
	uint32_t id = 0;
	int r;

	if (error) {
		if (!d->said_no_server)
			notify_log("the session has no notification service that answers (%s: %s); "
				   "notices wait until one does",
				   NOTIFICATIONS_NAME, error->message ? error->message : error->name);
		d->said_no_server = true;
		call->shown(call->userdata, 0, -EHOSTUNREACH);
		return 0;
	}
	r = sd_bus_message_read(reply, "u", &id);
	if (r < 0) {
		call->shown(call->userdata, 0, -EPROTO);
		return 0;
	}
	if (d->said_no_server)
		notify_log("the notification service answers again");
	d->said_no_server = false;
	call->shown(call->userdata, id, 0);
	return 0;
}

/* The body as the server reads it: with markup, &, < and > escaped. */
static char *body_for_server(const struct desktop *d, const char *body)
{
	size_t size = 1;
	char *out, *p;

	if (!d->body_markup)
		return strdup(body);
	for (const char *s = body; *s; s++)
		size += *s == '&' ? 5 : (*s == '<' || *s == '>') ? 4 : 1;
	out = malloc(size);
	if (!out)
		return NULL;
	p = out;
	for (const char *s = body; *s; s++) {
		if (*s == '&')
			p = stpcpy(p, "&amp;");
		else if (*s == '<')
			p = stpcpy(p, "&lt;");
		else if (*s == '>')
			p = stpcpy(p, "&gt;");
		else
			*p++ = *s;
	}
	*p = '\0';
	return out;
}

int desktop_show(struct desktop *d, const struct desktop_notification *n, desktop_shown_fn shown, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_free_ char *body = NULL;
	struct pending_call *call;
	sd_bus_slot *slot = NULL;
	int r;

	if (!d->bus || sd_bus_is_open(d->bus) <= 0)
		return -ENOTCONN;
	body = body_for_server(d, n->text->body);
	if (!body)
		return -ENOMEM;
	r = sd_bus_message_new_method_call(d->bus, &m, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_NAME,
					   "Notify");
	if (r >= 0)
		r = sd_bus_message_append(m, "susssas", "idguard", n->replaces_id, n->text->icon ? n->text->icon : "",
					  n->text->title, body, 0);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "urgency", "y", (uint8_t)n->text->urgency);
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "desktop-entry", "s", "idguard-notify");
	if (r >= 0 && n->category)
		r = sd_bus_message_append(m, "{sv}", "category", "s", n->category);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "i", n->expire_ms);
	if (r < 0)
		return r;
	call = malloc(sizeof(*call));
	if (!call)
		return -ENOMEM;
	*call = (struct pending_call){ .desktop = d, .shown = shown, .userdata = userdata };
	r = sd_bus_call_async(d->bus, &slot, m, on_notify_reply, call, CALL_TIMEOUT_USEC);
	if (r < 0) {
		free(call);
		return r;
	}
	/* The bus owns the call from now on, and frees it when it is done
	 * (answered, timed out, or the bus closed). */
	(void)sd_bus_slot_set_destroy_callback(slot, free);
	(void)sd_bus_slot_set_floating(slot, 1);
	sd_bus_slot_unref(slot);
	return 0;
}
