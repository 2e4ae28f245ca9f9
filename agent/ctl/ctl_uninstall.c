// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl uninstall: the one deliberate way to stop enforcement. It
 * refuses while idguardd holds the pins, because a running daemon would keep
 * believing it guards devices that nobody guards any more. Records still
 * waiting in the pins are written to the journal first, so removing the
 * gate loses no decision.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "describe.h"
#include "gate.h"
#include "journal.h"
#include "protocol.h"

static const char uninstall_help[] =
	"Usage: idguardctl uninstall [--bpffs-dir DIR] [--force] [--json]\n"
	"Detaches the kernel gate and removes every pin under DIR (default\n"
	IDG_DEFAULT_BPFFS_DIR "). From then on imaging devices are not guarded.\n"
	"Decision records still waiting in the pins are written to the journal\n"
	"first. Stop idguardd first (systemctl stop idguard); --force skips that\n"
	"check. Needs root. Grants and the state database are kept.\n";

static void journal_waiting_record(const struct idg_event *ev, void *userdata)
{
	struct idg_describe_context ctx = { .boot_to_realtime_usec = idg_boot_to_realtime_usec() };
	struct idg_record rec;

	idg_describe_event(ev, &ctx, &rec);
	(void)idg_journal_send(&rec);
}

/* Names the running daemon, best effort, for the refusal message. */
static long long running_daemon_pid(const char *socket_path)
{
	struct json_object *request = json_object_new_object(), *reply = NULL;
	struct idg_error err;
	long long pid = 0;

	json_object_object_add(request, "command", json_object_new_string("ping"));
	if (idg_client_call(socket_path, request, 3000, &reply, &err) == 0)
		pid = ctl_get_int(reply, "pid", 0);
	json_object_put(reply);
	json_object_put(request);
	return pid;
}

int ctl_uninstall(const struct ctl *ctl_in, int argc, char **argv)
{
	static const struct option options[] = {
		{ "bpffs-dir", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bpffs_dir = IDG_DEFAULT_BPFFS_DIR;
	struct ctl ctl = *ctl_in;
	struct idg_error err;
	bool force = false;
	int c, lock_fd = -1, drained;
	long long pid;

	optind = 0; /* 0, not 1: glibc then forgets the "+" (stop at operands) of main()'s scan */
	while ((c = getopt_long(argc, argv, "fjh", options, NULL)) != -1) {
		switch (c) {
		case 'b':
			bpffs_dir = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'j':
			ctl.json = true;
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
	if (access(bpffs_dir, F_OK) < 0) {
		if (ctl.json) {
			struct json_object *obj = json_object_new_object();

			json_object_object_add(obj, "ok", json_object_new_boolean(1));
			json_object_object_add(obj, "bpffs_dir", json_object_new_string(bpffs_dir));
			json_object_object_add(obj, "installed", json_object_new_boolean(0));
			ctl_print_json(obj);
			json_object_put(obj);
		} else {
			(void)printf("Nothing to remove: no idguard pins in %s.\n", bpffs_dir);
		}
		return CTL_EXIT_OK;
	}
	if (idg_gate_lock(bpffs_dir, &lock_fd, &err) < 0 && !force) {
		pid = running_daemon_pid(ctl.socket_path);
		if (pid)
			(void)fprintf(stderr, "idguardctl uninstall: idguardd is running (pid %lld); stop it first "
					      "(systemctl stop idguard), or use --force\n", pid);
		else
			(void)fprintf(stderr, "idguardctl uninstall: %s; stop it first (systemctl stop idguard), or use --force\n",
				      err.message);
		return CTL_EXIT_FAILED;
	}
	(void)idg_journal_open(IDG_JOURNAL_AUTO);
	drained = idg_gate_uninstall(bpffs_dir, journal_waiting_record, NULL, &err);
	if (lock_fd >= 0)
		(void)close(lock_fd);
	if (drained < 0) {
		(void)fprintf(stderr, "idguardctl uninstall: %s\n", err.message);
		return CTL_EXIT_FAILED;
	}
	if (ctl.json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ok", json_object_new_boolean(1));
		json_object_object_add(obj, "bpffs_dir", json_object_new_string(bpffs_dir));
		json_object_object_add(obj, "installed", json_object_new_boolean(1));
		json_object_object_add(obj, "records_written", json_object_new_int(drained));
		ctl_print_json(obj);
		json_object_put(obj);
	} else {
		(void)printf("Detached the kernel gate and removed the pins in %s: imaging devices are no longer guarded.\n",
			     bpffs_dir);
		if (drained)
			(void)printf("%d decision record%s still waiting in the pins %s written to the journal.\n", drained,
				     drained == 1 ? "" : "s", drained == 1 ? "was" : "were");
	}
	return CTL_EXIT_OK;
}
