/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idguard-notify, the clerk's desktop notifications: one process per
 * graphical session. watch.c keeps a `watch` connection to idguardd and
 * hands over each notice (only ever the session user's own: the daemon
 * knows the peer by SO_PEERCRED); fold.c decides what reaches the screen
 * (repeated refusals folded, a limit per minute); desktop.c shows it
 * through org.freedesktop.Notifications on the session bus (sd-bus).
 * Everything runs on one sd-event loop.
 */
#ifndef IDG_NOTIFY_H
#define IDG_NOTIFY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "notice_text.h"

#define NOTIFY_BUS_NAME "org.idguard.Notify1"
#define USEC_PER_SEC 1000000ull

/* Says something on stderr, prefixed with the program's name. */
void notify_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- desktop.c: the session bus and the notification server ---------------------- */

struct desktop;

/* Called on each (re)connection to the session bus, so that what could not
 * be shown meanwhile is shown now. */
typedef void (*desktop_ready_fn)(void *userdata);
/* The server's answer to one Notify: its id, or error < 0. */
typedef void (*desktop_shown_fn)(void *userdata, uint32_t id, int error);

struct desktop_notification {
	const struct idg_notice_text *text;
	uint32_t replaces_id;
	int32_t expire_ms;       /* 0: until dismissed */
	const char *category;    /* the spec's "category" hint */
};

/* Connects to the session bus at once, or keeps trying (1 s doubling to
 * 30 s) and calls ready each time it connects. Returns 0, or -EEXIST when
 * another idguard-notify of this session holds NOTIFY_BUS_NAME. */
int desktop_new(sd_event *event, bool verbose, desktop_ready_fn ready, void *userdata, struct desktop **ret);
void desktop_free(struct desktop *d);
/* Whether another instance took the name on a reconnection: the loop then
 * ends with status 0. */
bool desktop_lost_to_other_instance(const struct desktop *d);
/* Sends one Notify; shown is called once with its outcome (unless the
 * desktop is freed first). Returns 0 when sent, -ENOTCONN without a bus. */
int desktop_show(struct desktop *d, const struct desktop_notification *n, desktop_shown_fn shown, void *userdata);

/* ---- fold.c: what reaches the screen ------------------------------------------------ */

#define FOLD_WINDOW_USEC (60 * USEC_PER_SEC)     /* refusals of one key in a group */
#define FOLD_MIN_INTERVAL_USEC (3 * USEC_PER_SEC) /* between updates of one notification */
#define FOLD_MAX_PER_WINDOW 5                     /* distinct refusal notifications a minute */

struct fold;

int fold_new(sd_event *event, struct desktop *desktop, bool verbose, struct fold **ret);
void fold_free(struct fold *f);
/* One notice from the daemon (a reference is taken). */
void fold_notice(struct fold *f, struct json_object *notice);
/* Shows now what is waiting (after the bus came back). */
void fold_flush(struct fold *f);

/* ---- watch.c: the connection to idguardd ---------------------------------------------- */

struct watch;

typedef void (*watch_notice_fn)(void *userdata, struct json_object *notice);

/* Connects to idguardd's socket and sends {"command":"watch"}; reconnects
 * (1 s doubling to 30 s) whenever the connection is lost or cannot be
 * made. on_notice gets every notice line. */
int watch_new(sd_event *event, const char *socket_path, bool verbose, watch_notice_fn on_notice, void *userdata,
	      struct watch **ret);
void watch_free(struct watch *w);

#endif
