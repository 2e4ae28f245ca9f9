// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguard-notify: start-up, options and the event loop. One runs in each
 * graphical session (the systemd user unit, or XDG autostart), as the
 * session's user; a second one in the same session sees the bus name
 * taken and leaves quietly.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "notify.h"
#include "protocol.h"
#include "util.h"

struct app {
	struct fold *fold;
};

void notify_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)fputs("idguard-notify: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *out)
{
	(void)fprintf(out,
		"Usage: idguard-notify [--socket PATH] [--verbose]\n"
		"Shows the clerk's idguard notices as desktop notifications: a device or\n"
		"service refused (which one, to which program, why, and the exact\n"
		"'idguardctl token request' to run), a grant given, a grant about to end,\n"
		"a grant ended and the programs ended with it. Runs in the graphical session\n"
		"as its user (started by the systemd user unit idguard-notify.service or by\n"
		"XDG autostart); only one runs per session. The texts follow the session's\n"
		"locale (LC_ALL, LC_MESSAGES, LANG): English and Chinese (zh_CN).\n"
		"\n"
		"Options:\n"
		"  --socket PATH   idguardd's control socket (default %s)\n"
		"  -v, --verbose   say on stderr each notice received and each notification sent\n"
		"  -h, --help      this help\n"
		"  --version       the version\n"
		"\n"
		"It keeps running when there is no idguardd, session bus or notification\n"
		"service yet, says so once on stderr, and tries again. Exit status: 0 when\n"
		"stopped (SIGTERM, SIGINT) or when another idguard-notify already runs in\n"
		"this session; 1 when it cannot start; 2 usage error. See idguard-notify(1).\n",
		IDG_DEFAULT_SOCKET);
}

static void on_ready(void *userdata)
{
	struct app *app = userdata;

	if (app->fold)
		fold_flush(app->fold);
}

static void on_notice(void *userdata, struct json_object *notice)
{
	struct app *app = userdata;

	fold_notice(app->fold, notice);
}

int main(int argc, char **argv)
{
	enum { OPT_SOCKET = 0x100, OPT_VERSION };
	static const struct option options[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	const char *socket_path = IDG_DEFAULT_SOCKET;
	struct app app = { 0 };
	struct desktop *desktop = NULL;
	struct watch *watch = NULL;
	sd_event *event = NULL;
	bool verbose = false;
	sigset_t mask;
	int c, r, status = 1;

	while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			socket_path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			(void)printf("idguard-notify %s\n", IDG_VERSION);
			return 0;
		default:
			(void)fprintf(stderr, "Try 'idguard-notify --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		(void)fprintf(stderr, "idguard-notify: unexpected argument '%s'\nTry 'idguard-notify --help'.\n",
			      argv[optind]);
		return 2;
	}
	idg_i18n_init();
	/* Signals arrive through the loop, so it ends cleanly. */
	(void)sigemptyset(&mask);
	(void)sigaddset(&mask, SIGTERM);
	(void)sigaddset(&mask, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	(void)signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r < 0) {
		notify_log("cannot set up the event loop: %s", strerror(-r));
		goto out;
	}
	r = desktop_new(event, verbose, on_ready, &app, &desktop);
	if (r == -EEXIST) {
		if (verbose)
			notify_log("another idguard-notify already runs in this session (%s is taken)", NOTIFY_BUS_NAME);
		status = 0;
		goto out;
	}
	if (r < 0) {
		notify_log("cannot start: %s", strerror(-r));
		goto out;
	}
	r = fold_new(event, desktop, verbose, &app.fold);
	if (r >= 0)
		r = watch_new(event, socket_path, verbose, on_notice, &app, &watch);
	if (r < 0) {
		notify_log("cannot start: %s", strerror(-r));
		goto out;
	}
	r = sd_event_loop(event);
	if (r < 0) {
		notify_log("the event loop failed: %s", strerror(-r));
		goto out;
	}
	if (desktop_lost_to_other_instance(desktop) && verbose)
		notify_log("another idguard-notify took over this session; leaving");
	status = 0;
out:
	watch_free(watch);
	/* The bus first: no Notify answer may reach a freed fold entry. */
	desktop_free(desktop);
	fold_free(app.fold);
	sd_event_unref(event);
	return status;
}
