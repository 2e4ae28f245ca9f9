// SPDX-License-Identifier: GPL-2.0-only
/* idguard-relay: command line and the event loop (see relay.h). */
#include "relay.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "util.h"
#include "withhold_stream.h"

void relay_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)fputs("idguard-relay: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *out)
{
	(void)fprintf(out,
		"Usage: idguard-relay [OPTION]...\n"
		"Carries this workstation's approval requests to the site's MQTT broker, and\n"
		"the supervisors' answers back to idguardd, which redeems an approved token\n"
		"for the clerk who asked. It decides nothing: every token is checked by\n"
		"idguardd as if the clerk had pasted it.\n"
		"\n"
		"  --config FILE   where the broker is and this workstation's certificate\n"
		"                  (default %s)\n"
		"  --socket PATH   idguardd's control socket (default %s)\n"
		"  --check         read the configuration, say what it says, and exit\n"
		"  -v, --verbose   say more about each step\n"
		"  -h, --help      show this help\n"
		"      --version   show the version\n"
		"\n"
		"It runs as idguard-relay.service. Exit status: 0 on SIGTERM, 1 when it\n"
		"cannot start (the configuration is wrong: the message says where), 2 on\n"
		"a usage error. See idguard-relay(8) and docs/relay.md.\n",
		IDG_RELAY_CONFIG, IDG_DEFAULT_SOCKET);
}

static int on_queue_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct relay *r = userdata;
	struct idg_queue_event ev;

	while (idg_queue_next(r->queue, &ev) > 0) {
		outbox_on_queue_event(r, &ev);
		idg_queue_event_clear(&ev);
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_CONFIG = 256, OPT_SOCKET, OPT_CHECK, OPT_VERSION };
	static const struct option options[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	struct relay r = { .socket_path = IDG_DEFAULT_SOCKET };
	const char *config = IDG_RELAY_CONFIG;
	struct idg_error err = { "" };
	bool check = false;
	sigset_t mask;
	int c, rc;

	/* Before anything is printed: no card data on stdout or stderr. */
	if (idg_withhold_stdio() < 0) {
		(void)fputs("idguard-relay: out of memory\n", stderr);
		return 1;
	}
	while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_SOCKET:
			r.socket_path = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case 'v':
			r.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			(void)printf("idguard-relay %s\n", IDG_VERSION);
			return 0;
		default:
			(void)fprintf(stderr, "Try 'idguard-relay --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		(void)fprintf(stderr, "idguard-relay: unexpected argument '%s'\nTry 'idguard-relay --help'.\n",
			      argv[optind]);
		return 2;
	}
	if (idg_queue_config_load(config, &r.cfg, &err) < 0) {
		relay_log("%s", err.message);
		return 1;
	}
	idg_queue_config_address(&r.cfg, r.broker, sizeof(r.broker));
	if (check) {
		(void)printf("broker       %s\nname         %s\ntopics       %s/request/%s/+ (out), %s/answer/%s/+ (in)\n"
			     "CA           %s\ncertificate  %s\nkey          %s\n",
			     r.broker, r.cfg.name, r.cfg.prefix, r.cfg.name, r.cfg.prefix, r.cfg.name, r.cfg.ca, r.cfg.cert,
			     r.cfg.key);
		return 0;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	rc = sd_event_default(&r.event);
	if (rc >= 0)
		rc = sd_event_add_signal(r.event, NULL, SIGTERM, NULL, NULL);
	if (rc >= 0)
		rc = sd_event_add_signal(r.event, NULL, SIGINT, NULL, NULL);
	if (rc < 0) {
		relay_log("cannot set up the event loop: %s", strerror(-rc));
		return 1;
	}
	rc = idg_queue_open(&r.cfg, IDG_QUEUE_WORKSTATION, "relay", &r.queue, &err);
	if (rc < 0) {
		relay_log("%s", err.message);
		return 1;
	}
	rc = sd_event_add_io(r.event, &r.queue_io, idg_queue_fd(r.queue), EPOLLIN, on_queue_ready, &r);
	if (rc >= 0)
		rc = link_open(&r);
	if (rc < 0) {
		relay_log("cannot start: %s", strerror(-rc));
		return 1;
	}
	relay_log("relaying approval requests between idguardd at %s and the broker %s as %s", r.socket_path, r.broker,
		  r.cfg.name);
	rc = sd_event_loop(r.event);
	link_close(&r);
	sd_event_source_disable_unref(r.queue_io);
	idg_queue_close(r.queue);
	outbox_free(&r);
	sd_event_unref(r.event);
	return rc < 0 ? 1 : 0;
}
