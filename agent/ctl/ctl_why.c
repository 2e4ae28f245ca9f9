// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl why: the clerk's own answer to "why was I refused, and what
 * do I do now?", with no auditor rights. idguardd keeps the newest notices
 * of each user (what idguard-notify shows on the desktop) and answers only
 * the asker's, known by SO_PEERCRED; the texts are the notifications'
 * (notice_text.c), in the user's language.
 */
#include <libintl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "notice_text.h"
#include "protocol.h"
#include "util.h"

#define _(text) dgettext(IDG_TEXTDOMAIN, text)
#define P_(one, many, n) dngettext(IDG_TEXTDOMAIN, one, many, n)

static const char why_help[] =
	"Usage: idguardctl why [--json]\n"
	"\n"
	"Shows why you were refused: your own refusals of the last 24 hours, each\n"
	"with the device, the program, the reason and what to do next (the exact\n"
	"'idguardctl token request' to run), the grants given and ended, and your\n"
	"live grants with the time left. Only your own: nobody else's, and no\n"
	"auditor rights needed. The same as the desktop notifications show\n"
	"(idguard-notify(1)), in your language (LANG).\n"
	"\n"
	"  -j, --json   the notices and grants as one JSON object\n";

static void print_clock(int64_t usec)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	char buf[32];

	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%m-%d %H:%M:%S", &tm))
		(void)snprintf(buf, sizeof(buf), "?");
	(void)printf("%s", buf);
}

/* Each line of text after the first indented under it. */
static void print_indented(const char *text, int indent)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		(void)printf("%*s%.*s\n", indent, "", len, line);
		line = nl ? nl + 1 : NULL;
	}
}

static void print_notices(struct json_object *notices)
{
	size_t n = json_object_array_length(notices);

	if (!n) {
		(void)printf("%s\n", _("Nothing refused in the last 24 hours."));
		return;
	}
	(void)printf("%s\n", _("In the last 24 hours (newest last):"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *notice = json_object_array_get_idx(notices, i);
		struct idg_notice_text text;

		/* A kind a newer idguardd sends and this idguardctl does not
		 * know is left out, not shown garbled. */
		if (idg_notice_text_for_terminal(notice, &text) < 0)
			continue;
		(void)printf("  ");
		print_clock(ctl_get_int(notice, "time_usec", 0));
		(void)printf("  %s\n", text.title);
		print_indented(text.body, 18);
	}
}

/* A live grant told as its "granted" notice (the same words, in her
 * language), with the time left. */
static void print_grants(struct json_object *grants)
{
	size_t n = json_object_array_length(grants);
	int64_t now = (int64_t)time(NULL);

	if (!n) {
		(void)printf("\n%s\n", _("You hold no grant now."));
		return;
	}
	(void)printf("\n%s\n", _("Your live grants:"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(grants, i), *notice = json_object_new_object();
		int64_t until = ctl_get_int(g, "expires_usec", 0) / 1000000;
		long long left = until > now ? (long long)((until - now + 59) / 60) : 0;
		struct idg_notice_text text;

		json_object_object_add(notice, "notice", json_object_new_string("granted"));
		json_object_object_add(notice, "grant", json_object_get(g));
		if (idg_notice_text(notice, &text) == 0) {
			(void)printf("  %s (", text.title);
			(void)printf(P_("%lld minute left", "%lld minutes left", (unsigned long)left),
				     left);
			(void)printf(")\n");
			print_indented(text.body, 4);
		}
		json_object_put(notice);
	}
}

int ctl_why(const struct ctl *ctl_in, int argc, char **argv)
{
	struct ctl ctl = *ctl_in;
	struct json_object *request, *reply = NULL, *notices, *grants;
	int r;

	r = ctl_common_options(&ctl, &argc, &argv, why_help);
	if (r)
		return CTL_OPTIONS_EXIT(r);
	if (argc > 0) {
		(void)fprintf(stderr, "idguardctl why: no operands expected\n");
		return CTL_EXIT_USAGE;
	}
	idg_i18n_init();
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("notices"));
	r = ctl_call(&ctl, request, &reply);
	if (r)
		return r;
	if (ctl.json) {
		ctl_print_json(reply);
		json_object_put(reply);
		return CTL_EXIT_OK;
	}
	if (!json_object_object_get_ex(reply, "notices", &notices) || !json_object_is_type(notices, json_type_array) ||
	    !json_object_object_get_ex(reply, "grants", &grants) || !json_object_is_type(grants, json_type_array)) {
		(void)fprintf(stderr, "idguardctl why: idguardd's answer lacks notices or grants\n");
		json_object_put(reply);
		return CTL_EXIT_FAILED;
	}
	print_notices(notices);
	print_grants(grants);
	json_object_put(reply);
	return CTL_EXIT_OK;
}
