// SPDX-License-Identifier: GPL-2.0-only
/*
 * The words of notices (notice_text.h): from a notice of idguardd to the
 * title and body a clerk reads, through gettext, so that a clerk whose
 * session runs in zh_CN reads Chinese. Only what the notice holds is said:
 * the device, the program, the reason in one sentence and one next step
 * (the exact `idguardctl token request` of the first purpose, or the
 * site's own advice). The notices come already withheld of ID-number-shaped
 * text by the daemon; nothing here adds any.
 *
 * Every sentence is one whole message with its blanks, so that a
 * translation can put the words in its own order ("%2$s" in msgstr).
 */
#include "notice_text.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <time.h>

#include "token.h"
#include "util.h"

#ifndef IDG_LOCALEDIR
#define IDG_LOCALEDIR "/usr/share/locale"
#endif

#define _(s) dgettext(IDG_TEXTDOMAIN, s)
#define N_(s) (s)
#define P_(singular, plural, n) dngettext(IDG_TEXTDOMAIN, singular, plural, n)

void idg_i18n_init(void)
{
	const char *dir = getenv("IDGUARD_LOCALEDIR");

	(void)setlocale(LC_ALL, "");
	/* json-c and our own number printing must not start writing "1,5". */
	(void)setlocale(LC_NUMERIC, "C");
	(void)bindtextdomain(IDG_TEXTDOMAIN, dir && *dir ? dir : IDG_LOCALEDIR);
	(void)bind_textdomain_codeset(IDG_TEXTDOMAIN, "UTF-8");
}

/* ---- a bounded text that is never cut inside a UTF-8 character -------------- */

struct text {
	char *buf;
	size_t size, len;
};

static void text_init(struct text *t, char *buf, size_t size)
{
	*t = (struct text){ .buf = buf, .size = size };
	buf[0] = '\0';
}

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s), room = t->size - 1 - t->len;

	if (n > room) {
		n = room;
		/* Back off to the start of the character that would be cut. */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static __attribute__((format(printf, 2, 3))) void text_addf(struct text *t, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r >= 0)
		text_add(t, s);
}

/* Starts a new line of the body (no newline before the first). */
static void text_line(struct text *t)
{
	if (t->len > 0)
		text_add(t, "\n");
}

/* ---- reading the notice ---------------------------------------------------- */

/* A non-empty string member, or NULL. */
static const char *str_of(struct json_object *obj, const char *key)
{
	struct json_object *value;
	const char *s;

	if (!obj || !json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_string))
		return NULL;
	s = json_object_get_string(value);
	return s && *s ? s : NULL;
}

static bool int_of(struct json_object *obj, const char *key, int64_t *ret)
{
	struct json_object *value;

	if (!obj || !json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_int))
		return false;
	*ret = json_object_get_int64(value);
	return true;
}

/* The language of the catalog in use, as the policy spells it in its
 * localised keys (Advice[zh_CN]= becomes "advice_zh_CN" in a notice), so
 * that the site's sentence is in the same language as ours. */
static const char *catalog_language(void)
{
	/* TRANSLATORS: the name of this translation's language as the policy
	   writes it in localised keys such as Advice[zh_CN]=: "zh_CN". */
	return _("en");
}

/* obj[key + "_" + language] when the catalog is not English and it is
 * there, else obj[key]. */
static const char *localised_of(struct json_object *obj, const char *key)
{
	const char *language = catalog_language(), *s;
	char localised[64];

	if (!streq(language, "en")) {
		(void)snprintf(localised, sizeof(localised), "%s_%s", key, language);
		s = str_of(obj, localised);
		if (s)
			return s;
	}
	return str_of(obj, key);
}

/* ---- words --------------------------------------------------------------------- */

static const struct {
	const char *id;
	const char *name;
} class_words[] = {
	/* TRANSLATORS: the classes of devices, as in "idguard refused the
	   %s" and "Granted: %s until 10:27:05". */
	{ "scanner", N_("scanner") },
	{ "camera", N_("camera") },
	{ "card-reader", N_("card reader") },
	{ "printer", N_("printer") },
	{ "storage", N_("storage device") },
	{ "unclassified", N_("unrecognised device") },
	{ "other", N_("device") },
};

static const char *class_word(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(class_words); i++)
		if (streq(class_words[i].id, id))
			return _(class_words[i].name);
	return id; /* a class this version does not know: its own name */
}

/* "scanner,camera" as "scanner, camera" in the catalog's words. */
static void class_list(const char *ids, char *buf, size_t size)
{
	_cleanup_free_ char *copy = strdup(ids ? ids : "");
	char *saveptr = NULL, *id;
	struct text t;

	text_init(&t, buf, size);
	if (!copy)
		return;
	for (id = strtok_r(copy, ",", &saveptr); id; id = strtok_r(NULL, ",", &saveptr)) {
		if (t.len > 0)
			/* TRANSLATORS: between the items of a list ("scanner, camera"). */
			text_add(&t, _(", "));
		text_add(&t, class_word(id));
	}
	if (t.len == 0)
		text_add(&t, class_word("other"));
}

/* A time of today as "10:27:05", of another day with its date. */
static void format_when(int64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000), now = time(NULL);
	struct tm tm, today;

	if (usec <= 0 || !localtime_r(&t, &tm) || !localtime_r(&now, &today)) {
		(void)snprintf(buf, size, "?");
		return;
	}
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		(void)strftime(buf, size, "%H:%M:%S", &tm);
	else
		(void)strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- the kinds ------------------------------------------------------------------ */

enum mode {
	MODE_NOTIFICATION, /* attempts counted "in the last minute" (the agent's fold) */
	MODE_LINE,         /* attempts counted as they are in the notice */
};

static void refused_what(struct json_object *notice, struct text *body)
{
	const char *gate = str_of(notice, "gate"), *device = str_of(notice, "device");
	const char *label = str_of(notice, "device_label"), *program = str_of(notice, "program");
	char what[768];
	int64_t pid = 0;
	bool has_pid = int_of(notice, "pid", &pid) && pid > 0;

	if (device && label) {
		/* TRANSLATORS: a device and its name, "/dev/video0 (HD Webcam C920)". */
		(void)snprintf(what, sizeof(what), _("%s (%s)"), device, label);
		device = what;
	} else if (!device) {
		device = label ? label : "?";
	}
	program = program ? program : "?";
	text_line(body);
	if (gate && streq(gate, "print")) {
		/* The daemon names a job "print job 12"; the number is what we say. */
		const char *job = strncmp(program, "print job ", 10) == 0 ? program + 10 : program;

		text_addf(body, _("Print job %s to printer %s was cancelled."), job, device);
	} else if (gate && (streq(gate, "network") || streq(gate, "broker"))) {
		if (has_pid)
			text_addf(body, _("%s (pid %lld) tried to connect to %s."), program, (long long)pid, device);
		else
			text_addf(body, _("%s tried to connect to %s."), program, device);
	} else {
		if (has_pid)
			text_addf(body, _("%s (pid %lld) tried to open %s."), program, (long long)pid, device);
		else
			text_addf(body, _("%s tried to open %s."), program, device);
	}
}

static void refused_reason(const char *reason, const char *cls, struct text *body)
{
	text_line(body);
	if (reason && streq(reason, "no-grant"))
		text_addf(body, _("You hold no grant for the %s; using it needs a purpose token approved by your "
				  "supervisor."), cls);
	else if (reason && streq(reason, "grant-expired"))
		text_addf(body, _("Your grant for the %s has ended."), cls);
	else if (reason && streq(reason, "grant-other-class"))
		text_addf(body, _("Your grant does not cover the %s."), cls);
	else
		text_addf(body, _("Using the %s needs a grant."), cls);
}

/* The first purpose's command, the other purposes, the site's advice. */
static void refused_next_step(struct json_object *notice, const char *cls, struct text *body)
{
	struct json_object *purposes = NULL;
	const char *advice = localised_of(notice, "advice"), *command = NULL;
	size_t n = 0;

	if (json_object_object_get_ex(notice, "purposes", &purposes) && json_object_is_type(purposes, json_type_array))
		n = json_object_array_length(purposes);
	if (n > 0)
		command = str_of(json_object_array_get_idx(purposes, 0), "command");
	if (command) {
		text_line(body);
		text_add(body, _("If the case needs it, ask for a purpose token, with the case number in place of "
				 "CASE-REF:"));
		text_line(body);
		text_add(body, command);
	}
	if (command && n > 1) {
		char others[512];
		struct text list;

		text_init(&list, others, sizeof(others));
		for (size_t i = 1; i < n; i++) {
			const char *id = str_of(json_object_array_get_idx(purposes, i), "id");

			if (!id)
				continue;
			if (list.len > 0)
				text_add(&list, _(", "));
			text_add(&list, id);
		}
		if (list.len > 0) {
			text_line(body);
			/* TRANSLATORS: the other purposes a token could be asked for. */
			text_addf(body, _("(or for: %s)"), others);
		}
	}
	if (advice) {
		text_line(body);
		text_add(body, advice);
	}
	if (!command && !advice) {
		text_line(body);
		text_addf(body, _("No purpose allows the %s on this workstation; ask your supervisor."), cls);
	}
}

static int compose_refused(struct json_object *notice, enum mode mode, struct idg_notice_text *out)
{
	const char *class_id = str_of(notice, "class"), *cls = class_word(class_id ? class_id : "unclassified");
	struct text body;
	int64_t count = 1;

	(void)snprintf(out->title, sizeof(out->title), _("idguard refused the %s"), cls);
	text_init(&body, out->body, sizeof(out->body));
	refused_what(notice, &body);
	refused_reason(str_of(notice, "reason"), cls, &body);
	if (int_of(notice, "count", &count) && count > 1) {
		text_line(&body);
		if (mode == MODE_NOTIFICATION)
			text_addf(&body, P_("Refused %lld time in the last minute.", "Refused %lld times in the last minute.",
					    (unsigned long)count),
				  (long long)count);
		else
			text_addf(&body, P_("(%lld attempt)", "(%lld attempts)", (unsigned long)count), (long long)count);
	}
	refused_next_step(notice, cls, &body);
	/* Normal, not critical: a refusal is a fact with a next step, and
	 * critical notifications stay on screen until dismissed on most
	 * servers; the one that costs work (ending) is critical. */
	out->urgency = IDG_URGENCY_NORMAL;
	out->icon = "security-high";
	return 0;
}

/* "Grant 7 for account-opening, case CASE-1, approved by wang." */
static void grant_sentence(struct json_object *grant, struct text *body)
{
	const char *source = str_of(grant, "source"), *purpose = str_of(grant, "purpose");
	const char *ref = str_of(grant, "ref"), *approver = str_of(grant, "approver");
	int64_t id = 0;

	(void)int_of(grant, "id", &id);
	text_line(body);
	if (purpose && ref && approver)
		text_addf(body, _("Grant %lld for %s, case %s, approved by %s."), (long long)id, purpose, ref, approver);
	else if (purpose && ref)
		text_addf(body, _("Grant %lld for %s, case %s."), (long long)id, purpose, ref);
	else if (source && streq(source, "admin"))
		text_addf(body, _("Grant %lld, given by an administrator."), (long long)id);
	else
		text_addf(body, _("Grant %lld."), (long long)id);
}

/* Whether the site ends a program still using a device when its grant
 * ends (OnGrantEnd=terminate, also what an older daemon that does not say
 * does) or only records it (log). */
static bool ends_programs(struct json_object *notice)
{
	const char *how = str_of(notice, "on_grant_end");

	return !how || !streq(how, "log");
}

static struct json_object *grant_of(struct json_object *notice)
{
	struct json_object *grant;

	if (json_object_object_get_ex(notice, "grant", &grant) && json_object_is_type(grant, json_type_object))
		return grant;
	return NULL;
}

static int compose_granted(struct json_object *notice, struct idg_notice_text *out)
{
	struct json_object *grant = grant_of(notice);
	char classes[256], until[64];
	int64_t expires = 0;
	struct text body;

	class_list(str_of(grant, "classes"), classes, sizeof(classes));
	(void)int_of(grant, "expires_usec", &expires);
	format_when(expires, until, sizeof(until));
	(void)snprintf(out->title, sizeof(out->title), _("Granted: %s until %s"), classes, until);
	text_init(&body, out->body, sizeof(out->body));
	grant_sentence(grant, &body);
	text_line(&body);
	if (ends_programs(notice))
		text_addf(&body, _("Finish and close the program before %s: a program still using the %s when the "
				   "grant ends is ended."), until, classes);
	else
		text_addf(&body, _("Finish and close the program before %s: after that the %s cannot be opened "
				   "again."), until, classes);
	out->urgency = IDG_URGENCY_NORMAL;
	out->icon = "dialog-information";
	return 0;
}

static int compose_ending(struct json_object *notice, struct idg_notice_text *out)
{
	struct json_object *grant = grant_of(notice);
	char classes[256], until[64];
	int64_t expires = 0, left = 0;
	struct text body;

	class_list(str_of(grant, "classes"), classes, sizeof(classes));
	(void)int_of(grant, "expires_usec", &expires);
	format_when(expires, until, sizeof(until));
	(void)int_of(notice, "seconds_left", &left);
	if (left < 0)
		left = 0;
	if (left >= 60) {
		/* Rounded up: "5 minutes" until the last second of the fifth. */
		int64_t minutes = (left + 59) / 60;

		(void)snprintf(out->title, sizeof(out->title),
			       P_("Grant for %s ends in %lld minute", "Grant for %s ends in %lld minutes",
				  (unsigned long)minutes),
			       classes, (long long)minutes);
	} else {
		(void)snprintf(out->title, sizeof(out->title),
			       P_("Grant for %s ends in %lld second", "Grant for %s ends in %lld seconds",
				  (unsigned long)left),
			       classes, (long long)left);
	}
	text_init(&body, out->body, sizeof(out->body));
	grant_sentence(grant, &body);
	text_line(&body);
	if (ends_programs(notice))
		text_addf(&body, _("It ends at %s. Finish the work and close the program now: a program still using "
				   "the %s then is ended, and its unsaved work is lost."), until, classes);
	else
		text_addf(&body, _("It ends at %s. Finish the work now: after that the %s cannot be opened again."),
			  until, classes);
	/* Work is lost if she misses it: it stays until she dismisses it. */
	out->urgency = IDG_URGENCY_CRITICAL;
	out->icon = "dialog-warning";
	return 0;
}

/* The programs of one action, "scanimage (pid 4311), xsane (pid 4312)". */
static size_t program_list(struct json_object *programs, const char *action, char *buf, size_t size)
{
	size_t n = 0, total = programs ? json_object_array_length(programs) : 0;
	struct text t;

	text_init(&t, buf, size);
	for (size_t i = 0; i < total; i++) {
		struct json_object *p = json_object_array_get_idx(programs, i);
		const char *a = str_of(p, "action"), *name = str_of(p, "program");
		int64_t pid = 0;

		if (!streq(a ? a : "not-ended", action))
			continue;
		if (t.len > 0)
			text_add(&t, _(", "));
		if (int_of(p, "pid", &pid) && pid > 0)
			/* TRANSLATORS: a program and its process id. */
			text_addf(&t, _("%s (pid %lld)"), name ? name : "?", (long long)pid);
		else
			text_add(&t, name ? name : "?");
		n++;
	}
	return n;
}

static int compose_ended(struct json_object *notice, struct idg_notice_text *out)
{
	struct json_object *grant = grant_of(notice), *programs = NULL;
	const char *reason = str_of(notice, "reason"), *purpose = str_of(grant, "purpose");
	const char *class_ids = str_of(grant, "classes");
	char classes[256], when[64], list[1024];
	int64_t id = 0, expires = 0, created = 0;
	struct text body;
	size_t n;

	class_list(class_ids, classes, sizeof(classes));
	(void)int_of(grant, "id", &id);
	(void)int_of(grant, "expires_usec", &expires);
	(void)int_of(grant, "created_usec", &created);
	if (!json_object_object_get_ex(notice, "programs", &programs) || !json_object_is_type(programs, json_type_array))
		programs = NULL;
	(void)snprintf(out->title, sizeof(out->title), _("Grant for %s has ended"), classes);
	text_init(&body, out->body, sizeof(out->body));
	text_line(&body);
	if (reason && streq(reason, "expired")) {
		format_when(expires, when, sizeof(when));
		text_addf(&body, _("Grant %lld expired at %s."), (long long)id, when);
	} else if (reason && streq(reason, "revoked"))
		text_addf(&body, _("Grant %lld was revoked."), (long long)id);
	else if (reason && streq(reason, "removed"))
		text_addf(&body, _("Grant %lld was removed by an administrator."), (long long)id);
	else
		text_addf(&body, _("Grant %lld has ended."), (long long)id);
	n = program_list(programs, "ended", list, sizeof(list));
	if (n > 0) {
		text_line(&body);
		text_addf(&body, P_("Ended because it still used the %s: %s.", "Ended because they still used the %s: %s.",
				    (unsigned long)n),
			  classes, list);
	}
	if (program_list(programs, "recorded", list, sizeof(list)) > 0) {
		text_line(&body);
		text_addf(&body, _("Still using the %s (recorded, not ended): %s."), classes, list);
	}
	if (program_list(programs, "not-ended", list, sizeof(list)) > 0) {
		text_line(&body);
		text_addf(&body, _("Still using the %s, could not be ended: %s."), classes, list);
	}
	text_line(&body);
	if (purpose && class_ids) {
		/* The minutes the grant had, which the purpose allowed then. */
		int64_t minutes = expires > created ? (expires - created + 59999999) / 60000000 : 1;

		text_add(&body, _("To use it again, ask for a new purpose token:"));
		text_line(&body);
		text_addf(&body, "idguardctl token request --purpose %s --ref CASE-REF --class %s --minutes %lld", purpose,
			  class_ids, (long long)minutes);
	} else {
		text_add(&body, _("To use it again, ask for a purpose token (idguardctl token request)."));
	}
	out->urgency = IDG_URGENCY_NORMAL;
	out->icon = "dialog-information";
	return 0;
}

/* The command that asks again for what a request asked. */
static void ask_again(struct json_object *notice, struct text *body)
{
	const char *purpose = str_of(notice, "purpose"), *classes = str_of(notice, "classes");
	int64_t minutes = 0;

	if (!purpose || !classes)
		return;
	(void)int_of(notice, "minutes", &minutes);
	text_line(body);
	text_addf(body, "idguardctl token request --purpose %s --ref %s --class %s --minutes %lld", purpose,
		  str_of(notice, "ref") ? str_of(notice, "ref") : "CASE-REF", classes, (long long)minutes);
}

/* A request sent through the approval queue that ended without a grant
 * (declined, expired), or an answer to it that idguard could not use. */
static int compose_request(struct json_object *notice, const char *kind, struct idg_notice_text *out)
{
	const char *approver = str_of(notice, "approver"), *reason = str_of(notice, "reason");
	const char *purpose = str_of(notice, "purpose"), *ref = str_of(notice, "ref");
	char classes[256], shown[16];
	struct text body;

	class_list(str_of(notice, "classes"), classes, sizeof(classes));
	idg_request_id_short(str_of(notice, "request_id"), shown, sizeof(shown));
	text_init(&body, out->body, sizeof(out->body));
	out->urgency = IDG_URGENCY_NORMAL;
	out->icon = "dialog-information";
	if (streq(kind, "request-declined")) {
		(void)snprintf(out->title, sizeof(out->title), _("Request %s was declined"), shown);
		text_addf(&body, _("%s declined your request to use the %s for %s, case %s: %s"),
			  approver ? approver : "?", classes, purpose ? purpose : "?", ref ? ref : "?",
			  reason ? reason : "");
		text_line(&body);
		text_add(&body, _("Ask your supervisor if anything is unclear. To ask again:"));
		ask_again(notice, &body);
	} else if (streq(kind, "request-expired")) {
		(void)snprintf(out->title, sizeof(out->title), _("Request %s expired unanswered"), shown);
		text_addf(&body, _("Nobody answered your request to use the %s for %s, case %s, in time. If you still "
				   "need it, ask again:"),
			  classes, purpose ? purpose : "?", ref ? ref : "?");
		ask_again(notice, &body);
	} else {
		(void)snprintf(out->title, sizeof(out->title), _("An answer to request %s could not be used"), shown);
		text_addf(&body, _("An answer to your request to use the %s came back, but idguard refused it: %s"),
			  classes, reason ? reason : "");
		text_line(&body);
		text_add(&body, _("The request still waits for a valid answer; tell your supervisor."));
		out->urgency = IDG_URGENCY_CRITICAL;
		out->icon = "dialog-warning";
	}
	return 0;
}

static int compose(struct json_object *notice, enum mode mode, struct idg_notice_text *ret)
{
	struct idg_notice_text out = { .title = "" };
	const char *kind = str_of(notice, "notice");
	int r;

	if (!notice || !json_object_is_type(notice, json_type_object) || !kind)
		return -EINVAL;
	if (streq(kind, "refused"))
		r = compose_refused(notice, mode, &out);
	else if (streq(kind, "granted"))
		r = compose_granted(notice, &out);
	else if (streq(kind, "ending"))
		r = compose_ending(notice, &out);
	else if (streq(kind, "ended"))
		r = compose_ended(notice, &out);
	else if (streq(kind, "request-declined") || streq(kind, "request-expired") || streq(kind, "request-answer-refused"))
		r = compose_request(notice, kind, &out);
	else
		return -EOPNOTSUPP;
	if (r < 0)
		return r;
	*ret = out;
	return 0;
}

int idg_notice_text(struct json_object *notice, struct idg_notice_text *out)
{
	return compose(notice, MODE_NOTIFICATION, out);
}

int idg_notice_text_for_terminal(struct json_object *notice, struct idg_notice_text *out)
{
	return compose(notice, MODE_LINE, out);
}

int idg_notice_line(struct json_object *notice, char *buf, size_t size)
{
	_cleanup_free_ struct idg_notice_text *text = malloc(sizeof(*text));
	char when[64];
	int64_t time_usec = 0;
	struct text line;
	int r;

	if (!text)
		return -ENOMEM;
	if (size == 0)
		return -EINVAL;
	r = compose(notice, MODE_LINE, text);
	if (r < 0)
		return r;
	(void)int_of(notice, "time_usec", &time_usec);
	format_when(time_usec, when, sizeof(when));
	for (char *p = text->body; *p; p++)
		if (*p == '\n')
			*p = ' ';
	text_init(&line, buf, size);
	text_addf(&line, "%s %s: %s", when, text->title, text->body);
	return 0;
}

void idg_notice_summary_text(uint64_t attempts, struct idg_notice_text *out)
{
	*out = (struct idg_notice_text){ .urgency = IDG_URGENCY_NORMAL, .icon = "security-high" };
	(void)snprintf(out->title, sizeof(out->title), "%s", _("idguard refused more attempts"));
	(void)snprintf(out->body, sizeof(out->body),
		       P_("idguard refused %llu more attempt in the last minute; run \"idguardctl why\" to see them.",
			  "idguard refused %llu more attempts in the last minute; run \"idguardctl why\" to see them.",
			  (unsigned long)attempts),
		       (unsigned long long)attempts);
}
