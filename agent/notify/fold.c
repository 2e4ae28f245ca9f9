// SPDX-License-Identifier: GPL-2.0-only
/*
 * What reaches the clerk's screen, and how often. A program that retries
 * a refused device sends about one notice a second; she needs one
 * notification that says so, not a storm:
 *
 *  - refusals with the same fold_key (one program, one device) within
 *    FOLD_WINDOW_USEC of the first are one notification, replaced in place
 *    (replaces_id) with the total of attempts, at most once every
 *    FOLD_MIN_INTERVAL_USEC;
 *  - beyond FOLD_MAX_PER_WINDOW distinct refusal notifications in a window,
 *    the rest are summed up in one "refused N more attempts" notification;
 *  - the notices of one grant ("granted", "ending", "ended") replace each
 *    other, so a stale "ends in 5 minutes" never outlives the grant.
 *
 * A notice that cannot be shown (no bus, no server) waits, and is shown
 * when the desktop is back, unless it has grown stale by then.
 */
#include "notify.h"

#include <errno.h>
#include <inttypes.h>

#include "daemon_stream.h"
#include "util.h"

#define PENDING_STALE_USEC (15 * USEC_PER_SEC)  /* a Notify never answered */
#define NOTICE_STALE_USEC (300 * USEC_PER_SEC)  /* not worth showing this late */
#define ENTRY_KEEP_USEC (2 * FOLD_WINDOW_USEC)  /* then forgotten */
#define RETRY_MIN_USEC (1 * USEC_PER_SEC)
#define RETRY_MAX_USEC (30 * USEC_PER_SEC)

/* How long each kind stays on screen. Refusals 20 s: long enough to read
 * and copy the command (and `idguardctl why` repeats it); they are not
 * left to pile up at a counter in front of customers. The warning before
 * a grant ends stays until dismissed: missing it costs the work in hand.
 * An end that ended a program stays too, as the program vanished. */
#define EXPIRE_REFUSED_MS 20000
#define EXPIRE_GRANTED_MS 10000
#define EXPIRE_ENDED_MS 15000

enum entry_kind { ENTRY_REFUSED, ENTRY_SUMMARY, ENTRY_GRANT };

struct entry {
	struct fold *fold;
	struct entry *next;
	enum entry_kind kind;
	char *key;
	uint32_t server_id;        /* the notification on screen; 0 before the first answer */
	uint64_t group_start;      /* refusals: when this group of attempts began */
	uint64_t attempts;         /* refusals and the summary: in this group */
	uint64_t shown_at;         /* the last Notify sent */
	uint64_t last_notice_at;
	struct json_object *latest; /* what to show (NULL for the summary) */
	bool dirty;                /* latest is not on screen yet */
	bool pending;              /* a Notify awaits its answer */
	uint64_t pending_since;
	sd_event_source *timer;    /* the next allowed update */
};

struct fold {
	sd_event *event;
	struct desktop *desktop;
	bool verbose;
	struct entry *entries;
	struct entry *summary;
	/* Start times of the latest refusal groups shown, a ring. */
	uint64_t group_starts[FOLD_MAX_PER_WINDOW];
	size_t n_group_starts;
	sd_event_source *retry;
	uint64_t retry_backoff;
};

static void entry_schedule(struct entry *e);

static uint64_t now_usec(const struct fold *f)
{
	uint64_t now = 0;

	(void)sd_event_now(f->event, CLOCK_MONOTONIC, &now);
	return now;
}

static void entry_free(struct entry *e)
{
	sd_event_source_disable_unref(e->timer);
	json_object_put(e->latest);
	free(e->key);
	free(e);
}

static struct entry *entry_find(struct fold *f, const char *key)
{
	for (struct entry *e = f->entries; e; e = e->next)
		if (streq(e->key, key))
			return e;
	return NULL;
}

static struct entry *entry_new(struct fold *f, enum entry_kind kind, const char *key)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->key = strdup(key);
	if (!e->key) {
		free(e);
		return NULL;
	}
	e->fold = f;
	e->kind = kind;
	e->next = f->entries;
	f->entries = e;
	return e;
}

/* Forgets entries long quiet, so the list stays as long as a few minutes'
 * worth of distinct programs and grants. */
static void prune(struct fold *f, uint64_t now)
{
	struct entry **p = &f->entries;

	while (*p) {
		struct entry *e = *p;

		if (e != f->summary && !e->dirty && !e->pending && now - e->last_notice_at > ENTRY_KEEP_USEC) {
			*p = e->next;
			entry_free(e);
		} else {
			p = &e->next;
		}
	}
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	fold_flush(userdata);
	return 0;
}

/* The server did not answer: try what waits again later, more slowly
 * each time, until it answers. */
static void retry_later(struct fold *f)
{
	uint64_t delay = f->retry_backoff ? f->retry_backoff : RETRY_MIN_USEC;
	int enabled = SD_EVENT_OFF, r;

	/* Several notices failing at once wait for the same retry. */
	if (f->retry && sd_event_source_get_enabled(f->retry, &enabled) >= 0 && enabled != SD_EVENT_OFF)
		return;
	f->retry_backoff = delay * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : delay * 2;
	r = idg_timer_arm(f->event, &f->retry, delay, on_retry, f);
	if (r < 0)
		notify_log("cannot set a timer to show waiting notices again: %s", strerror(-r));
}

static void on_shown(void *userdata, uint32_t id, int error)
{
	struct entry *e = userdata;
	struct fold *f = e->fold;

	e->pending = false;
	if (error < 0) {
		e->dirty = true;
		retry_later(f);
		return;
	}
	f->retry_backoff = 0;
	e->server_id = id;
	if (f->verbose)
		notify_log("the server shows it as notification %" PRIu32, id);
	if (e->dirty)
		entry_schedule(e);
}

static void entry_send(struct entry *e)
{
	struct fold *f = e->fold;
	struct idg_notice_text text;
	struct desktop_notification n = { .text = &text, .replaces_id = e->server_id };
	uint64_t now = now_usec(f);
	const char *kind = "summary";
	int r;

	if (now - e->last_notice_at > NOTICE_STALE_USEC) {
		e->dirty = false; /* too late to be news; `idguardctl why` has it */
		return;
	}
	if (e->kind == ENTRY_SUMMARY) {
		idg_notice_summary_text(e->attempts, &text);
		n.expire_ms = EXPIRE_REFUSED_MS;
		n.category = "device.error";
	} else {
		struct json_object *programs;

		if (e->kind == ENTRY_REFUSED)
			/* The latest refusal, counting every attempt of the group. */
			json_object_object_add(e->latest, "count", json_object_new_int64((int64_t)e->attempts));
		r = idg_notice_text(e->latest, &text);
		if (r < 0) {
			e->dirty = false;
			return;
		}
		kind = json_object_get_string(json_object_object_get(e->latest, "notice"));
		n.category = e->kind == ENTRY_REFUSED ? "device.error" : "device";
		if (e->kind == ENTRY_REFUSED)
			n.expire_ms = EXPIRE_REFUSED_MS;
		else if (streq(kind, "granted"))
			n.expire_ms = EXPIRE_GRANTED_MS;
		else if (streq(kind, "ending"))
			n.expire_ms = 0;
		else
			n.expire_ms = json_object_object_get_ex(e->latest, "programs", &programs) &&
					      json_object_array_length(programs) > 0 ?
					      0 :
					      EXPIRE_ENDED_MS;
	}
	r = desktop_show(f->desktop, &n, on_shown, e);
	if (r == -ENOTCONN)
		return; /* stays dirty: fold_flush shows it when the bus is back */
	if (r < 0) {
		notify_log("cannot send a notification: %s", strerror(-r));
		retry_later(f);
		return;
	}
	e->dirty = false;
	e->pending = true;
	e->pending_since = now;
	e->shown_at = now;
	if (f->verbose)
		notify_log("showing %s%s%" PRIu32 ": %s | %s", kind, e->server_id ? ", replacing notification " : "",
			   e->server_id, text.title, text.body);
}

static int on_entry_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	entry_schedule(userdata);
	return 0;
}

/* Shows the entry now if it may be, else when it may. */
static void entry_schedule(struct entry *e)
{
	struct fold *f = e->fold;
	uint64_t now = now_usec(f), earliest = 0;
	int r;

	if (!e->dirty)
		return;
	/* One Notify at a time per notification: its answer carries the id
	 * that the next one replaces. */
	if (e->pending && now - e->pending_since < PENDING_STALE_USEC)
		return;
	if (e->kind != ENTRY_GRANT && e->shown_at)
		earliest = e->shown_at + FOLD_MIN_INTERVAL_USEC;
	if (now >= earliest) {
		entry_send(e);
		return;
	}
	if (e->timer) {
		r = sd_event_source_set_time(e->timer, earliest);
		if (r >= 0)
			r = sd_event_source_set_enabled(e->timer, SD_EVENT_ONESHOT);
	} else {
		r = sd_event_add_time(f->event, &e->timer, CLOCK_MONOTONIC, earliest, 0, on_entry_timer, e);
	}
	if (r < 0)
		notify_log("cannot set a timer for the next update: %s", strerror(-r));
}

/* Whether another distinct refusal notification may start now. */
static bool group_allowed(struct fold *f, uint64_t now)
{
	size_t recent = 0;

	for (size_t i = 0; i < f->n_group_starts; i++)
		recent += now - f->group_starts[i] < FOLD_WINDOW_USEC;
	return recent < FOLD_MAX_PER_WINDOW;
}

static void group_started(struct fold *f, uint64_t now)
{
	size_t oldest = 0;

	if (f->n_group_starts < FOLD_MAX_PER_WINDOW) {
		f->group_starts[f->n_group_starts++] = now;
		return;
	}
	for (size_t i = 1; i < f->n_group_starts; i++)
		if (f->group_starts[i] < f->group_starts[oldest])
			oldest = i;
	f->group_starts[oldest] = now;
}

static void fold_refused(struct fold *f, struct json_object *notice, uint64_t now)
{
	struct json_object *value;
	const char *fold_key = NULL;
	_cleanup_free_ char *key = NULL;
	int64_t count = 1;
	struct entry *e;

	if (json_object_object_get_ex(notice, "fold_key", &value))
		fold_key = json_object_get_string(value);
	if (json_object_object_get_ex(notice, "count", &value) && json_object_get_int64(value) > 0)
		count = json_object_get_int64(value);
	if (asprintf(&key, "refused:%s", fold_key ? fold_key : "") < 0)
		return;
	e = entry_find(f, key);
	if (!e || now - e->group_start >= FOLD_WINDOW_USEC) {
		if (!group_allowed(f, now)) {
			e = f->summary;
			if (!e)
				e = f->summary = entry_new(f, ENTRY_SUMMARY, "summary");
			if (!e)
				return;
			if (now - e->group_start >= FOLD_WINDOW_USEC) {
				e->group_start = now;
				e->attempts = 0;
			}
			e->attempts += (uint64_t)count;
			e->last_notice_at = now;
			e->dirty = true;
			entry_schedule(e);
			return;
		}
		if (!e)
			e = entry_new(f, ENTRY_REFUSED, key);
		if (!e)
			return;
		group_started(f, now);
		e->group_start = now;
		e->attempts = 0;
	}
	e->attempts += (uint64_t)count;
	json_object_put(e->latest);
	e->latest = json_object_get(notice);
	e->last_notice_at = now;
	e->dirty = true;
	entry_schedule(e);
}

static void fold_grant(struct fold *f, struct json_object *notice, uint64_t now)
{
	struct json_object *grant, *id;
	char key[64];
	struct entry *e;

	if (!json_object_object_get_ex(notice, "grant", &grant) || !json_object_object_get_ex(grant, "id", &id))
		return;
	(void)snprintf(key, sizeof(key), "grant:%" PRId64, json_object_get_int64(id));
	e = entry_find(f, key);
	if (!e)
		e = entry_new(f, ENTRY_GRANT, key);
	if (!e)
		return;
	json_object_put(e->latest);
	e->latest = json_object_get(notice);
	e->last_notice_at = now;
	e->dirty = true;
	entry_schedule(e);
}

void fold_notice(struct fold *f, struct json_object *notice)
{
	struct json_object *kind;
	uint64_t now = now_usec(f);
	const char *k;

	prune(f, now);
	if (!json_object_object_get_ex(notice, "notice", &kind))
		return;
	k = json_object_get_string(kind);
	if (f->verbose)
		notify_log("notice from idguardd: %s", json_object_to_json_string_ext(notice, JSON_C_TO_STRING_PLAIN));
	if (streq(k, "refused"))
		fold_refused(f, notice, now);
	else if (streq(k, "granted") || streq(k, "ending") || streq(k, "ended"))
		fold_grant(f, notice, now);
	else if (f->verbose)
		notify_log("not showing a notice of kind '%s' (this version does not know it)", k);
}

void fold_flush(struct fold *f)
{
	for (struct entry *e = f->entries; e; e = e->next)
		entry_schedule(e);
}

int fold_new(sd_event *event, struct desktop *desktop, bool verbose, struct fold **ret)
{
	struct fold *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->event = sd_event_ref(event);
	f->desktop = desktop;
	f->verbose = verbose;
	*ret = f;
	return 0;
}

void fold_free(struct fold *f)
{
	if (!f)
		return;
	while (f->entries) {
		struct entry *e = f->entries;

		f->entries = e->next;
		entry_free(e);
	}
	sd_event_source_disable_unref(f->retry);
	sd_event_unref(f->event);
	free(f);
}
