// SPDX-License-Identifier: GPL-2.0-only
/* idguardctl: global options, the command table, and shared helpers. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "protocol.h"
#include "util.h"
#include "withhold_stream.h"

#define CALL_TIMEOUT_MS 15000

static void usage(FILE *out)
{
	(void)fprintf(out,
		"Usage: idguardctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		"Controls idguardd, which guards scanners, cameras and other imaging devices.\n"
		"\n"
		"Commands:\n"
		"  status                     is the agent running and enforcing; counters\n"
		"  devices                    connected devices, their classes and modes\n"
		"  policy check [FILE...]     check policy files; errors are FILE:LINE (no daemon needed)\n"
		"  policy show                the merged effective policy (no daemon needed)\n"
		"  reload                     re-read the policy (like SIGHUP), report errors\n"
		"  grant add --user U --class C[,C] --minutes N [--session ID]\n"
		"                             let a user use device classes for a while (root)\n"
		"  grant list                 live grants (yours; all of them for root)\n"
		"  grant remove ID            end a grant now (root)\n"
		"  uninstall [--bpffs-dir DIR] detach the kernel gate and remove its pins (root)\n"
		"  token request|approve|redeem|list|revoke|purposes\n"
		"                             purpose tokens: 'idguardctl token --help'\n"
		"  key generate --id ID       an approver's signing key pair\n"
		"  why                        why you were refused, what to do next; your grants\n"
		"  audit [--summary|--csv]    idguard's journal records, filtered (auditors)\n"
		"\n"
		"Options:\n"
		"  --socket PATH   idguardd's control socket (default %s)\n"
		"  -j, --json      machine-readable output, one JSON object\n"
		"  -h, --help      this help; 'idguardctl COMMAND --help' for a command\n"
		"  --version       the version\n"
		"\n"
		"Exit status: 0 success; 1 refused, failed or problems found; 2 usage error;\n"
		"3 idguardd not reachable; 4 the command needs root. See idguardctl(8).\n",
		IDG_DEFAULT_SOCKET);
}

int ctl_call(const struct ctl *ctl, struct json_object *request, struct json_object **ret_reply)
{
	struct json_object *reply = NULL, *ok;
	struct idg_error err;
	const char *code;
	int r;

	r = idg_client_call(ctl->socket_path, request, CALL_TIMEOUT_MS, &reply, &err);
	json_object_put(request);
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl: %s\n", err.message);
		if (r == -ENOENT || r == -ECONNREFUSED)
			(void)fprintf(stderr, "idguardctl: is idguardd running? (systemctl status idguard)\n");
		if (r == -EACCES)
			(void)fprintf(stderr, "idguardctl: no permission to use %s\n", ctl->socket_path);
		return CTL_EXIT_UNREACHABLE;
	}
	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)) {
		*ret_reply = reply;
		return CTL_EXIT_OK;
	}
	code = ctl_get_string(reply, "code", "error");
	if (ctl->json)
		ctl_print_json(reply);
	else
		(void)fprintf(stderr, "idguardctl: %s\n", ctl_get_string(reply, "error", "idguardd refused the request"));
	r = streq(code, "permission-denied") ? CTL_EXIT_PERMISSION : CTL_EXIT_FAILED;
	json_object_put(reply);
	return r;
}

int ctl_call_on_id(const struct ctl *ctl, const char *command, struct json_object *id)
{
	struct json_object *request = json_object_new_object(), *reply;
	int r;

	json_object_object_add(request, "command", json_object_new_string(command));
	json_object_object_add(request, "id", id);
	r = ctl_call(ctl, request, &reply);
	if (r)
		return r;
	if (ctl->json)
		ctl_print_json(reply);
	json_object_put(reply);
	return CTL_EXIT_OK;
}

void ctl_print_json(struct json_object *obj)
{
	(void)printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *ctl_get_string(struct json_object *obj, const char *key, const char *fallback)
{
	struct json_object *value;

	if (!json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, json_type_string))
		return fallback;
	return json_object_get_string(value);
}

long long ctl_get_int(struct json_object *obj, const char *key, long long fallback)
{
	struct json_object *value;

	if (!json_object_object_get_ex(obj, key, &value))
		return fallback;
	return (long long)json_object_get_int64(value);
}

int ctl_common_options(struct ctl *ctl, int *argc, char ***argv, const char *help)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 0; /* 0, not 1: glibc then forgets the "+" (stop at operands) of main()'s scan */
	while ((c = getopt_long(*argc, *argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl->json = true;
			break;
		case 'h':
			(void)fputs(help, stdout);
			return CTL_HELP_SHOWN;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	*argc -= optind;
	*argv += optind;
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct ctl *ctl, int argc, char **argv);
} commands[] = {
	{ "status", ctl_status },
	{ "devices", ctl_devices },
	{ "audit", ctl_audit },
	{ "policy", ctl_policy },
	{ "grant", ctl_grant },
	{ "reload", ctl_reload },
	{ "uninstall", ctl_uninstall },
	{ "token", ctl_token },
	{ "key", ctl_key },
	{ "why", ctl_why },
};

int main(int argc, char **argv)
{
	enum { OPT_SOCKET = 256, OPT_VERSION };
	static const struct option options[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	struct ctl ctl = { .socket_path = IDG_DEFAULT_SOCKET };
	int c;

	/* Before anything is printed: no card data on stdout or stderr. */
	if (idg_withhold_stdio() < 0) {
		(void)fputs("idguardctl: out of memory\n", stderr);
		return 1;
	}
	/* "+": stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+jh", options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			ctl.socket_path = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		case OPT_VERSION:
			(void)printf("idguardctl %s\n", IDG_VERSION);
			return CTL_EXIT_OK;
		default:
			(void)fprintf(stderr, "Try 'idguardctl --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, argv[optind]))
			return commands[i].fn(&ctl, argc - optind, argv + optind);
	(void)fprintf(stderr, "idguardctl: unknown command '%s'\nTry 'idguardctl --help'.\n", argv[optind]);
	return CTL_EXIT_USAGE;
}
