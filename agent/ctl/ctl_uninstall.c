// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl uninstall: the one deliberate way to stop enforcement. It
 * refuses while idguardd answers, because a running daemon would keep
 * believing it guards devices that nobody guards any more.
 */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "gate.h"
#include "protocol.h"

static const char uninstall_help[] =
	"Usage: idguardctl uninstall [--bpffs-dir DIR] [--force]\n"
	"Detaches the kernel gate and removes every pin under DIR (default\n"
	IDG_DEFAULT_BPFFS_DIR "). From then on imaging devices are not guarded.\n"
	"Stop idguardd first (systemctl stop idguard); --force skips that check.\n"
	"Needs root. Grants and the state database are kept.\n";

int ctl_uninstall(const struct ctl *ctl_in, int argc, char **argv)
{
	static const struct option options[] = {
		{ "bpffs-dir", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bpffs_dir = IDG_DEFAULT_BPFFS_DIR;
	struct json_object *request, *reply = NULL;
	struct idg_error err;
	bool force = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fh", options, NULL)) != -1) {
		switch (c) {
		case 'b':
			bpffs_dir = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			(void)fputs(uninstall_help, stdout);
			return CTL_EXIT_OK;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		(void)fprintf(stderr, "idguardctl uninstall: unexpected argument '%s'\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		(void)fprintf(stderr, "idguardctl uninstall: needs root\n");
		return CTL_EXIT_PERMISSION;
	}
	if (!force) {
		request = json_object_new_object();
		json_object_object_add(request, "command", json_object_new_string("ping"));
		if (idg_client_call(ctl_in->socket_path, request, 3000, &reply, &err) == 0) {
			(void)fprintf(stderr,
				      "idguardctl uninstall: idguardd is running (pid %lld); stop it first "
				      "(systemctl stop idguard), or use --force\n",
				      ctl_get_int(reply, "pid", 0));
			json_object_put(reply);
			json_object_put(request);
			return CTL_EXIT_FAILED;
		}
		json_object_put(request);
	}
	if (idg_gate_uninstall(bpffs_dir, &err) < 0) {
		(void)fprintf(stderr, "idguardctl uninstall: %s\n", err.message);
		return CTL_EXIT_FAILED;
	}
	(void)printf("Detached the kernel gate and removed the pins in %s: imaging devices are no longer guarded.\n",
		     bpffs_dir);
	return CTL_EXIT_OK;
}
