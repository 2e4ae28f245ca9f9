// SPDX-License-Identifier: GPL-2.0-only
/*
 * Worker processes: each joins its cgroup, takes its user as uid and login
 * uid (so it has an audit session, as a clerk who logged in does), pins
 * itself to a CPU and then opens and closes what it is told, timing the
 * whole block with CLOCK_MONOTONIC.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct command {
	int op;
	uint64_t iterations;
};

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

int cgroup_join(const char *cgroup)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	return write_file(path, "0");
}

static int full_read(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int full_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The measured loop: nothing in it but the two system calls. */
static void open_close(const char *path, uint64_t iterations, struct block *b)
{
	uint64_t cpu_start = thread_cpu_ns(), start = now_ns();

	for (uint64_t i = 0; i < iterations; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			b->opened++;
		} else if (errno == EPERM) {
			b->refused++;
		} else {
			if (!b->failed)
				b->first_errno = errno;
			b->failed++;
		}
	}
	b->elapsed_ns = now_ns() - start;
	b->cpu_ns = thread_cpu_ns() - cpu_start;
	b->iterations = iterations;
}

/* In a freshly forked child of the harness: the harness's signal handling
 * and exit work are not the child's, and only the n descriptors in keep
 * stay open, renumbered 3, 4, ... in that order. */
void child_setup(const int *keep, int n)
{
	int moved[8];

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* Out of the way first, so that no dup2() below overwrites one. */
	for (int i = 0; i < n && i < 8; i++)
		if ((moved[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 16)) < 0)
			_exit(2);
	for (int i = 0; i < n && i < 8; i++)
		if (dup2(moved[i], 3 + i) < 0)
			_exit(2);
	close_range(3 + (unsigned)n, ~0u, 0);
}

/* Makes this child the clerk it stands for: joins cgroup, takes uid as uid,
 * gid and login uid (so it has an audit session of its own, as a clerk who
 * logged in does), pins itself to cpu (unless -1), then asks to be killed
 * with the harness (the kernel forgets that request on a change of
 * credentials, so it comes last). Exits on failure: a process in the wrong
 * place would measure the wrong thing. */
int become_clerk(const char *who, const char *cgroup, uid_t uid, int cpu)
{
	pid_t parent = getppid();
	char uid_text[32];
	int err;

	if ((err = cgroup_join(cgroup)) < 0) {
		fprintf(stderr, "%s: cannot join %s: %s\n", who, cgroup, strerror(-err));
		_exit(2);
	}
	snprintf(uid_text, sizeof(uid_text), "%u", (unsigned)uid);
	if ((err = write_file("/proc/self/loginuid", uid_text)) < 0) {
		fprintf(stderr, "%s: cannot set the login uid: %s\n", who, strerror(-err));
		_exit(2);
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			fprintf(stderr, "%s: cannot pin to CPU %d: %m\n", who, cpu);
			_exit(2);
		}
	}
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "%s: cannot become uid %u: %m\n", who, (unsigned)uid);
		_exit(2);
	}
	if (getppid() != parent)
		_exit(2); /* the harness is already gone */
	return 0;
}

static void serve(const struct worker_spec *spec, int in, int out)
{
	struct command cmd;

	while (full_read(in, &cmd, sizeof(cmd)) == 0) {
		struct block b = { 0 };

		if (cmd.op < 0 || cmd.op >= OP_COUNT)
			_exit(3);
		open_close(spec->paths[cmd.op], cmd.iterations, &b);
		if (full_write(out, &b, sizeof(b)) < 0)
			_exit(3);
	}
	_exit(0);
}

int worker_start(struct worker *w, const struct worker_spec *spec)
{
	int to[2], from[2];
	pid_t pid;

	if (pipe2(to, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(from, O_CLOEXEC) < 0) {
		int err = -errno;

		close(to[0]);
		close(to[1]);
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(to[0]), close(to[1]), close(from[0]), close(from[1]);
		return err;
	}
	if (pid == 0) {
		/* A copy of another worker's command pipe would keep that
		 * worker from seeing EOF: keep only ours. */
		child_setup((int[]){ to[0], from[1] }, 2);
		become_clerk(spec->name, spec->cgroup, spec->uid, spec->cpu);
		serve(spec, 3, 4);
	}
	close(to[0]);
	close(from[1]);
	w->name = spec->name;
	w->pid = pid;
	w->to_worker = to[1];
	w->from_worker = from[0];
	return 0;
}

int worker_run(struct worker *w, enum bench_op op, uint64_t iterations, struct block *out)
{
	struct command cmd = { .op = op, .iterations = iterations };

	if (full_write(w->to_worker, &cmd, sizeof(cmd)) < 0 ||
	    full_read(w->from_worker, out, sizeof(*out)) < 0) {
		fprintf(stderr, "idguard-bench: worker %s (pid %d) stopped answering\n", w->name, (int)w->pid);
		return -1;
	}
	return 0;
}

/* Closing its pipe ends the worker; one that does not end within two
 * seconds is killed. */
void worker_stop(struct worker *w)
{
	int status;

	if (w->pid <= 0)
		return;
	close(w->to_worker);
	close(w->from_worker);
	for (int i = 0; i < 200; i++) {
		if (waitpid(w->pid, &status, WNOHANG) != 0)
			goto done;
		usleep(10000);
	}
	kill(w->pid, SIGKILL);
	waitpid(w->pid, &status, 0);
done:
	w->pid = 0;
}
