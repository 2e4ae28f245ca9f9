// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flood: several processes of one clerk with no grant open a watched
 * node as fast as they can. flood_prepare() forks them and waits until each
 * has joined its cgroup and become the clerk (become_clerk()); flood_go()
 * starts them all at once and collects what each saw.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FLOOD_PROCESSES 64

struct flood_report {
	uint64_t refused;
	uint64_t opened;
	uint64_t failed;
};

struct flood {
	pid_t pids[MAX_FLOOD_PROCESSES];
	int started;
	int go;     /* closing it starts them */
	int report; /* their reports */
};

static void flood_child(const char *cgroup, uid_t uid, const char *path, uint64_t share, int ready, int go,
			int report)
{
	struct flood_report r = { 0 };
	char byte = 1;
	int fd;

	become_clerk("flood", cgroup, uid, -1);
	if (write(ready, &byte, 1) != 1)
		_exit(2);
	/* Everyone starts when the harness closes its end of go. */
	if (read(go, &byte, 1) < 0)
		_exit(2);
	for (uint64_t i = 0; i < share; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd), r.opened++;
		else if (errno == EPERM)
			r.refused++;
		else
			r.failed++;
	}
	_exit(write(report, &r, sizeof(r)) == sizeof(r) ? 0 : 2);
}

static void flood_abandon(struct flood *f)
{
	for (int i = 0; i < f->started; i++) {
		kill(f->pids[i], SIGKILL);
		waitpid(f->pids[i], NULL, 0);
	}
	close(f->go);
	close(f->report);
	free(f);
}

int flood_prepare(struct flood **ret, const char *cgroup, uid_t uid, const char *path, uint64_t total,
		  int processes)
{
	int go[2], report[2], ready[2];
	struct flood *f;

	if (processes < 1 || processes > MAX_FLOOD_PROCESSES)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		free(f);
		return -errno;
	}
	f->go = go[1];
	f->report = report[0];
	fflush(NULL);
	for (int i = 0; i < processes; i++) {
		uint64_t share = total / processes + ((uint64_t)i < total % processes);
		pid_t pid = fork();

		if (pid < 0)
			break;
		if (pid == 0) {
			/* Only its own three pipe ends stay open. */
			child_setup((int[]){ ready[1], go[0], report[1] }, 3);
			flood_child(cgroup, uid, path, share, 3, 4, 5);
		}
		f->pids[f->started++] = pid;
	}
	close(go[0]);
	close(report[1]);
	close(ready[1]);
	for (int i = 0; i < f->started; i++) {
		char byte;

		if (read(ready[0], &byte, 1) != 1)
			break;
		if (i == f->started - 1 && f->started == processes) {
			close(ready[0]);
			*ret = f;
			return 0;
		}
	}
	close(ready[0]);
	flood_abandon(f);
	return -EIO;
}

int flood_go(struct flood *f, struct flood_result *out)
{
	int failed = 0;
	uint64_t start;

	memset(out, 0, sizeof(*out));
	start = now_ns();
	close(f->go);
	f->go = -1;
	for (int i = 0; i < f->started; i++) {
		int status;

		if (waitpid(f->pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	out->elapsed_ns = now_ns() - start;
	for (int i = 0; i < f->started && !failed; i++) {
		struct flood_report r;

		if (read(f->report, &r, sizeof(r)) != sizeof(r)) {
			failed = 1;
			break;
		}
		out->refused += r.refused;
		out->opened += r.opened;
		out->failed += r.failed;
	}
	out->attempts = out->refused + out->opened + out->failed;
	close(f->report);
	free(f);
	return failed ? -EIO : 0;
}
