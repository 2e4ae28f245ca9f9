// SPDX-License-Identifier: GPL-2.0-only
/* idguardd: command line, and going to the background when asked to. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/wait.h>

#include "daemon.h"
#include "mounts.h"
#include "protocol.h"
#include "store.h"
#include "withhold_stream.h"

static void usage(FILE *out)
{
	(void)fprintf(out,
		"Usage: idguardd [OPTION]...\n"
		"Refuses or logs attempts to open scanners, cameras and other imaging devices\n"
		"without a purpose token, deciding in the kernel, and records every decision\n"
		"in the journal.\n"
		"\n"
		"  --cgroup PATH        cgroup v2 directory to guard (default: the cgroup v2\n"
		"                       root, found in /proc/self/mountinfo; mounted if absent)\n"
		"  --bpffs-dir DIR      where programs and maps are pinned (default %s;\n"
		"                       a bpf filesystem is mounted if needed)\n"
		"  --policy-dir DIR     policy drop-in directory; repeat to merge several, later\n"
		"                       ones override files of the same name (default:\n"
		"                       %s/share/idguard/policy.d, then %s/idguard/policy.d)\n"
		"  --approvers-dir DIR  approver registry directory; repeatable (default\n"
		"                       %s/idguard/approvers.d)\n"
		"  --state-dir DIR      state database directory (default %s)\n"
		"  --socket PATH        control socket (default %s)\n"
		"  --foreground         stay in the foreground (as under systemd)\n"
		"  --events-to=stderr   write decision records to stderr even if journald runs\n"
		"  --relay-user USER    the user idguard-relay runs as: only it and root may\n"
		"                       hand in what the relay carries (default %s)\n"
		"  --bpf-helpers=WHICH  helpers the kernel programs call: auto (as the kernel\n"
		"                       offers them, the default), none (read the same from\n"
		"                       the current task), all (without asking the kernel)\n"
		"  -h, --help           show this help\n"
		"  --version            show the version\n"
		"\n"
		"Signals: SIGHUP reloads the policy (an invalid one is refused and the current\n"
		"one stays); SIGTERM stops the daemon but NOT the enforcement, which continues\n"
		"through the pinned programs. 'idguardctl uninstall' removes them.\n"
		"Exit status: 0 after a clean stop; 1 when setup failed or a failure stopped\n"
		"it (enforcement pinned earlier continues; a restart resumes the rest);\n"
		"2 on a usage error.\n"
		"See idguardd(8) and idguard-policy(5).\n",
		IDG_DEFAULT_BPFFS_DIR, IDG_PREFIX, IDG_SYSCONFDIR, IDG_SYSCONFDIR, IDG_DEFAULT_STATE_DIR, IDG_DEFAULT_SOCKET,
		IDG_DEFAULT_RELAY_USER);
}

/* Forks; the parent waits on a pipe until the child is ready or failed, so
 * "idguardd" without --foreground still reports setup errors and exit codes. */
static int daemonize(int *ret_ready_fd)
{
	int fds[2], status;
	pid_t pid;
	char byte;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		(void)close(fds[1]);
		if (read(fds[0], &byte, 1) == 1 && byte == 'R')
			_exit(0);
		(void)waitpid(pid, &status, 0);
		_exit(1);
	}
	(void)close(fds[0]);
	if (setsid() < 0)
		return -errno;
	*ret_ready_fd = fds[1];
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		OPT_CGROUP = 256,
		OPT_BPFFS,
		OPT_POLICY,
		OPT_APPROVERS,
		OPT_STATE,
		OPT_SOCKET,
		OPT_FOREGROUND,
		OPT_EVENTS,
		OPT_HELPERS,
		OPT_RELAY_USER,
		OPT_VERSION,
	};
	static const struct option options[] = {
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "bpffs-dir", required_argument, NULL, OPT_BPFFS },
		{ "policy-dir", required_argument, NULL, OPT_POLICY },
		{ "approvers-dir", required_argument, NULL, OPT_APPROVERS },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "events-to", required_argument, NULL, OPT_EVENTS },
		{ "bpf-helpers", required_argument, NULL, OPT_HELPERS },
		{ "relay-user", required_argument, NULL, OPT_RELAY_USER },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	static const char *const default_dirs[] = IDG_DEFAULT_POLICY_DIRS;
	static const char *const default_approver_dirs[] = IDG_DEFAULT_APPROVER_DIRS;
	struct daemon_options opts = {
		.bpffs_dir = IDG_DEFAULT_BPFFS_DIR,
		.state_dir = IDG_DEFAULT_STATE_DIR,
		.socket_path = IDG_DEFAULT_SOCKET,
		.journal_target = IDG_JOURNAL_AUTO,
		.ready_fd = -1,
		.bpf_helpers = -1,
		.relay_user = IDG_DEFAULT_RELAY_USER,
	};

	/* Before anything is printed: no card data on stdout or stderr. */
	if (idg_withhold_stdio() < 0) {
		(void)fputs("idguardd: out of memory\n", stderr);
		return EXIT_FAILURE;
	}
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_CGROUP:
			opts.cgroup_path = optarg;
			break;
		case OPT_BPFFS:
			opts.bpffs_dir = optarg;
			break;
		case OPT_POLICY:
			if (opts.n_policy_dirs == IDG_MAX_POLICY_DIRS) {
				(void)fprintf(stderr, "idguardd: at most %d --policy-dir options\n", IDG_MAX_POLICY_DIRS);
				return 2;
			}
			opts.policy_dirs[opts.n_policy_dirs++] = optarg;
			break;
		case OPT_APPROVERS:
			if (opts.n_approver_dirs == IDG_MAX_POLICY_DIRS) {
				(void)fprintf(stderr, "idguardd: at most %d --approvers-dir options\n", IDG_MAX_POLICY_DIRS);
				return 2;
			}
			opts.approver_dirs[opts.n_approver_dirs++] = optarg;
			break;
		case OPT_STATE:
			opts.state_dir = optarg;
			break;
		case OPT_SOCKET:
			opts.socket_path = optarg;
			break;
		case OPT_FOREGROUND:
			opts.foreground = true;
			break;
		case OPT_EVENTS:
			if (strcmp(optarg, "stderr") && strcmp(optarg, "auto")) {
				(void)fprintf(stderr, "idguardd: --events-to takes 'stderr' or 'auto', not '%s'\n", optarg);
				return 2;
			}
			opts.journal_target = strcmp(optarg, "stderr") ? IDG_JOURNAL_AUTO : IDG_JOURNAL_STDERR;
			break;
		case OPT_HELPERS:
			if (streq(optarg, "auto"))
				opts.bpf_helpers = -1;
			else if (streq(optarg, "none"))
				opts.bpf_helpers = 0;
			else if (streq(optarg, "all"))
				opts.bpf_helpers = IDG_HELPER_ALL;
			else {
				(void)fprintf(stderr, "idguardd: --bpf-helpers takes auto, none or all, not '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_RELAY_USER:
			opts.relay_user = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			(void)printf("idguardd %s\n", IDG_VERSION);
			return 0;
		default:
			(void)fprintf(stderr, "Try 'idguardd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		(void)fprintf(stderr, "idguardd: unexpected argument '%s'\nTry 'idguardd --help'.\n", argv[optind]);
		return 2;
	}
	if (!opts.n_policy_dirs)
		for (size_t i = 0; i < ARRAY_SIZE(default_dirs); i++)
			opts.policy_dirs[opts.n_policy_dirs++] = default_dirs[i];
	if (!opts.n_approver_dirs)
		for (size_t i = 0; i < ARRAY_SIZE(default_approver_dirs); i++)
			opts.approver_dirs[opts.n_approver_dirs++] = default_approver_dirs[i];
	if (geteuid() != 0) {
		(void)fprintf(stderr, "idguardd: must run as root (it loads BPF programs and stays uid 0 so journald "
				      "records which process was refused)\n");
		return 1;
	}
	if (!opts.foreground) {
		(void)idg_journal_open(opts.journal_target);
		if (opts.journal_target == IDG_JOURNAL_STDERR) {
			(void)fprintf(stderr, "idguardd: --events-to=stderr needs --foreground: in the background stderr "
					      "is closed and the records would be lost\n");
			return 2;
		}
		if (!idg_journal_is_journald()) {
			(void)fprintf(stderr, "idguardd: no journald is running, so in the background its records would be "
					      "lost; run with --foreground to write them to stderr\n");
			return 1;
		}
		r = daemonize(&opts.ready_fd);
		if (r < 0) {
			(void)fprintf(stderr, "idguardd: cannot go to the background: %s\n", strerror(-r));
			return 1;
		}
	}
	r = daemon_run(&opts);
	return r < 0 ? 1 : 0;
}
