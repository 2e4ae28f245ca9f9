/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a notice says to a person. idguardd sends each clerk notices of
 * her own ("refused", "granted", "ending", "ended", and for requests sent
 * through the approval queue "request-declined", "request-expired",
 * "request-answer-refused"; see the `watch`
 * command in protocol.h and idguard-notify(1)); this turns one into the
 * title, body and urgency of a desktop notification, or into one line for
 * a terminal (`idguardctl why`), in the language of the LC_MESSAGES
 * locale. The texts are gettext messages of the domain "idguard" (po/);
 * what a catalog lacks stays English, never empty.
 */
#ifndef IDG_NOTICE_TEXT_H
#define IDG_NOTICE_TEXT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define IDG_TEXTDOMAIN "idguard"

/* The urgency byte of the freedesktop notification spec. */
enum idg_urgency {
	IDG_URGENCY_LOW = 0,
	IDG_URGENCY_NORMAL = 1,
	IDG_URGENCY_CRITICAL = 2,
};

struct idg_notice_text {
	char title[256];       /* one line */
	char body[4096];       /* plain text (no markup), lines separated by '\n' */
	enum idg_urgency urgency;
	const char *icon;      /* a freedesktop icon name, static */
};

/* Sets the locale from the environment (LC_ALL, LC_MESSAGES, LANG; but
 * LC_NUMERIC stays "C", so JSON and numbers print as before) and binds the
 * "idguard" domain to $IDGUARD_LOCALEDIR when set (tests, from the build
 * tree), else to the compiled-in locale directory (/usr/share/locale),
 * with UTF-8 output. Call once, early in main(). */
void idg_i18n_init(void);

/* Composes notice (an object from the daemon, with "notice": KIND) in the
 * current locale. Fields the notice lacks are left out of the text.
 * Returns 0; -EINVAL when notice is not an object with a "notice" string;
 * -EOPNOTSUPP for a kind this version does not know (a newer daemon's:
 * skip it). out is written only on success. */
int idg_notice_text(struct json_object *notice, struct idg_notice_text *out);

/* As idg_notice_text(), for a list of past notices in a terminal
 * (`idguardctl why`): attempts counted as "(N attempts)", as the notice
 * has them, rather than "in the last minute". */
int idg_notice_text_for_terminal(struct json_object *notice, struct idg_notice_text *out);

/* The same notice as one line for a terminal, without a newline:
 * "HH:MM:SS TITLE: BODY" with the body's lines joined by spaces (the time
 * of the notice, with the date when it is not today; attempts counted as
 * "(N attempts)" rather than "in the last minute"). Cut at a UTF-8
 * character boundary when longer than size - 1. Returns the same codes as
 * idg_notice_text(); buf is written only on success. */
int idg_notice_line(struct json_object *notice, char *buf, size_t size);

/* The notification that stands for refusals not shown one by one
 * (idguard-notify's limit per minute): attempts in all, and where to read
 * them (`idguardctl why`). */
void idg_notice_summary_text(uint64_t attempts, struct idg_notice_text *out);

#endif
