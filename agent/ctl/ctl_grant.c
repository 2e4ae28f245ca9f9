// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl grant add / list / remove: administrator grants, for when a
 * supervisor is unavailable and a site's procedure allows it. Every grant is
 * recorded in the journal with the administrator who added it.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "names.h"
#include "util.h"

#define MAX_GRANT_SECONDS (7u * 24 * 3600) /* idguardd refuses longer ones */

static const char grant_help[] =
	"Usage: idguardctl grant add --user USER --class CLASS[,CLASS] --minutes N [--session ID]\n"
	"       idguardctl grant list [--json]\n"
	"       idguardctl grant remove ID\n"
	"\n"
	"add     lets USER (a name or a uid) open devices of the classes for N minutes\n"
	"        (--seconds N for shorter grants; at most 7 days). With --session ID the\n"
	"        grant covers only that audit session (/proc/PID/sessionid), not every\n"
	"        login of the user. Needs root. The expiry is enforced in the kernel.\n"
	"list    live grants: yours, or everyone's when run as root.\n"
	"remove  ends a grant at once. Needs root.\n"
	"\n"
	"Classes: " IDG_CLASS_NAMES_TEXT ".\n"
	"Staff normally get access through purpose tokens approved by a supervisor.\n";

static int resolve_user(const char *text, char *name, size_t size, uint32_t *ret_uid)
{
	struct passwd *pw = getpwnam(text);
	uint64_t uid;

	if (pw) {
		(void)snprintf(name, size, "%s", pw->pw_name);
		*ret_uid = pw->pw_uid;
		return 0;
	}
	if (idg_parse_uint(text, UINT32_MAX - 1, &uid) < 0)
		return -ENOENT;
	pw = getpwuid((uid_t)uid);
	(void)snprintf(name, size, "%s", pw ? pw->pw_name : text);
	*ret_uid = (uint32_t)uid;
	return 0;
}

static int grant_add(struct ctl *ctl, int argc, char **argv)
{
	enum { OPT_SECONDS = 256 };
	static const struct option options[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "class", required_argument, NULL, 'c' },
		{ "minutes", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "session", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *user = NULL, *classes = NULL, *session = NULL;
	uint64_t seconds = 0, value, session_id = 0;
	struct json_object *request, *reply, *grant;
	char name[64], bad[64], until[64];
	uint32_t uid, mask;
	int c, r;

	optind = 0; /* 0, not 1: glibc then forgets the "+" (stop at operands) of main()'s scan */
	while ((c = getopt_long(argc, argv, "u:c:m:s:jh", options, NULL)) != -1) {
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 'c':
			classes = optarg;
			break;
		case 'm':
		case OPT_SECONDS:
			if (idg_parse_uint(optarg, MAX_GRANT_SECONDS, &value) < 0 || value == 0 ||
			    (c == 'm' && value > MAX_GRANT_SECONDS / 60)) {
				(void)fprintf(stderr,
					      "idguardctl grant add: --%s needs a whole number from 1 to %u (7 days), not '%s'\n",
					      c == 'm' ? "minutes" : "seconds",
					      c == 'm' ? MAX_GRANT_SECONDS / 60 : MAX_GRANT_SECONDS, optarg);
				return CTL_EXIT_USAGE;
			}
			seconds = c == 'm' ? value * 60 : value;
			break;
		case 's':
			session = optarg;
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'h':
			(void)fputs(grant_help, stdout);
			return CTL_EXIT_OK;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (!user || !classes || !seconds) {
		(void)fprintf(stderr, "idguardctl grant add: --user, --class and --minutes are all needed\n");
		return CTL_EXIT_USAGE;
	}
	if (idg_class_mask_parse(classes, &mask, bad, sizeof(bad)) < 0) {
		(void)fprintf(stderr,
			      "idguardctl grant add: unknown class '%s' (known: " IDG_CLASS_NAMES_TEXT ")\n",
			      bad);
		return CTL_EXIT_USAGE;
	}
	if (resolve_user(user, name, sizeof(name), &uid) < 0) {
		(void)fprintf(stderr, "idguardctl grant add: no user '%s' on this machine\n", user);
		return CTL_EXIT_USAGE;
	}
	if (session && idg_parse_uint(session, UINT32_MAX - 1, &session_id) < 0) {
		(void)fprintf(stderr, "idguardctl grant add: --session needs an audit session id, not '%s'\n", session);
		return CTL_EXIT_USAGE;
	}
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("grant-add"));
	json_object_object_add(request, "user", json_object_new_string(name));
	json_object_object_add(request, "uid", json_object_new_int64(uid));
	json_object_object_add(request, "classes", json_object_new_string(classes));
	json_object_object_add(request, "seconds", json_object_new_int64((int64_t)seconds));
	if (session) {
		json_object_object_add(request, "scope", json_object_new_string("session"));
		json_object_object_add(request, "session", json_object_new_int64((int64_t)session_id));
	}
	r = ctl_call(ctl, request, &reply);
	if (r)
		return r;
	json_object_object_get_ex(reply, "grant", &grant);
	if (ctl->json) {
		ctl_print_json(reply);
	} else {
		idg_format_time((uint64_t)ctl_get_int(grant, "expires_usec", 0), until, sizeof(until));
		(void)printf("Grant %lld: %s (uid %lld) may use %s until %s.\n", ctl_get_int(grant, "id", 0),
			     ctl_get_string(grant, "user", "?"), ctl_get_int(grant, "uid", 0),
			     ctl_get_string(grant, "classes", "?"), until);
	}
	json_object_put(reply);
	return CTL_EXIT_OK;
}

static int grant_list(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *request, *reply, *list;
	char until[64];
	int r;

	r = ctl_common_options(ctl, &argc, &argv, grant_help);
	if (r)
		return CTL_OPTIONS_EXIT(r);
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("grant-list"));
	r = ctl_call(ctl, request, &reply);
	if (r)
		return r;
	json_object_object_get_ex(reply, "grants", &list);
	if (ctl->json) {
		ctl_print_json(reply);
	} else if (json_object_array_length(list) == 0) {
		(void)printf("No live grants.\n");
	} else {
		(void)printf("%-6s %-12s %-7s %-24s %-14s %-20s %s\n", "ID", "USER", "UID", "CLASSES", "SCOPE", "UNTIL",
			     "SOURCE");
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *g = json_object_array_get_idx(list, i);
			char scope[32];

			idg_format_time((uint64_t)ctl_get_int(g, "expires_usec", 0), until, sizeof(until));
			if (streq(ctl_get_string(g, "scope", "uid"), "session"))
				(void)snprintf(scope, sizeof(scope), "session %lld", ctl_get_int(g, "session", 0));
			else
				(void)snprintf(scope, sizeof(scope), "uid");
			(void)printf("%-6lld %-12s %-7lld %-24s %-14s %-20s %s\n", ctl_get_int(g, "id", 0),
				     ctl_get_string(g, "user", "?"), ctl_get_int(g, "uid", 0), ctl_get_string(g, "classes", "?"),
				     scope, until, ctl_get_string(g, "source", "?"));
		}
	}
	json_object_put(reply);
	return CTL_EXIT_OK;
}

static int grant_remove(struct ctl *ctl, int argc, char **argv)
{
	uint64_t id;
	int r;

	r = ctl_common_options(ctl, &argc, &argv, grant_help);
	if (r)
		return CTL_OPTIONS_EXIT(r);
	if (argc != 1 || idg_parse_uint(argv[0], UINT32_MAX, &id) < 0) {
		(void)fprintf(stderr, "idguardctl grant remove: give one grant ID (see 'idguardctl grant list')\n");
		return CTL_EXIT_USAGE;
	}
	r = ctl_call_on_id(ctl, "grant-remove", json_object_new_int64((int64_t)id));
	if (r == 0 && !ctl->json)
		(void)printf("Grant %llu ended.\n", (unsigned long long)id);
	return r;
}

int ctl_grant(const struct ctl *ctl_in, int argc, char **argv)
{
	struct ctl ctl = *ctl_in;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		(void)fputs(grant_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	if (streq(argv[1], "add"))
		return grant_add(&ctl, argc - 1, argv + 1);
	if (streq(argv[1], "list"))
		return grant_list(&ctl, argc - 1, argv + 1);
	if (streq(argv[1], "remove"))
		return grant_remove(&ctl, argc - 1, argv + 1);
	(void)fprintf(stderr, "idguardctl grant: unknown action '%s' (add, list or remove)\n", argv[1]);
	return CTL_EXIT_USAGE;
}
