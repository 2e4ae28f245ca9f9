// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flood: several processes of one user open a watched node as fast as
 * they can, all starting together. Each reports what it saw; the harness
 * then checks that the journal accounts for every attempt.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct flood_report {
	uint64_t refused;
	uint64_t other;
};

static void flood_child(const char *cgroup, uid_t uid, const char *path, uint64_t share, int go, int report)
{
	struct flood_report r = { 0 };
	char byte;
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((err = cgroup_join(cgroup)) < 0) {
		fprintf(stderr, "flood: cannot join %s: %s\n", cgroup, strerror(-err));
		_exit(2);
	}
	if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(2);
	/* Everyone starts when the harness closes the pipe. */
	if (read(go, &byte, 1) < 0)
		_exit(2);
	for (uint64_t i = 0; i < share; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd), r.other++;
		else if (errno == EPERM)
			r.refused++;
		else
			r.other++;
	}
	_exit(write(report, &r, sizeof(r)) == sizeof(r) ? 0 : 2);
}

int flood_run(const char *cgroup, uid_t uid, const char *path, uint64_t total, int processes,
	      struct flood_result *out)
{
	int go[2], report[2], started = 0, failed = 0;
	pid_t pids[64];
	uint64_t start;

	if (processes < 1 || processes > 64)
		return -EINVAL;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	fflush(NULL);
	for (int i = 0; i < processes; i++) {
		uint64_t share = total / processes + ((uint64_t)i < total % processes);
		pid_t pid = fork();

		if (pid < 0) {
			failed = 1;
			break;
		}
		if (pid == 0) {
			close(go[1]);
			close(report[0]);
			flood_child(cgroup, uid, path, share, go[0], report[1]);
		}
		pids[started++] = pid;
	}
	close(go[0]);
	close(report[1]);
	/* Children block in read(go) until this close. */
	start = now_ns();
	close(go[1]);
	for (int i = 0; i < started; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	out->elapsed_ns = now_ns() - start;
	for (int i = 0; i < started; i++) {
		struct flood_report r;

		if (read(report[0], &r, sizeof(r)) != sizeof(r)) {
			failed = 1;
			break;
		}
		out->refused += r.refused;
		out->other += r.other;
	}
	close(report[0]);
	out->attempts = out->refused + out->other;
	return failed ? -EIO : 0;
}
