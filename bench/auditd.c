// SPDX-License-Identifier: GPL-2.0-only
/*
 * The comparison an administrator would otherwise make: auditd with a
 * watch rule on the device node (auditctl -w NODE -p r). When no auditd
 * runs we start one with Debian's auditd.conf, its log moved into our work
 * directory, and the backlog Debian's shipped rules set (-b 8192); when one
 * already runs we only add our rule. Everything is put back afterwards: our
 * rule removed, our auditd stopped by its pid, audit switched off again if
 * it was off, the backlog limit restored.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define AUDIT_KEY "idguard-bench"
/* A file system gid no one uses: tasks forked while we hold it match our
 * "never" task rule, and so get no audit context. */
#define NO_AUDIT_FSGID "2147483646"
#define DEBIAN_BACKLOG "8192"

/* Runs argv; its standard output (when out) lands in out. Returns the exit
 * status, or -1 when it could not run. */
static int run(char *const argv[], char *out, size_t out_len)
{
	int pipefd[2];
	pid_t pid;
	int status;
	size_t used = 0;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(pipefd[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		char scratch[512];
		char *dst = out && used + 1 < out_len ? out + used : scratch;
		size_t room = out && used + 1 < out_len ? out_len - used - 1 : sizeof(scratch);
		ssize_t n = read(pipefd[0], dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != scratch)
			used += (size_t)n;
	}
	if (out && out_len)
		out[used] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One number from `auditctl -s` ("enabled 1", "pid 123", "lost 0"). */
static int audit_status(const char *key, uint64_t *value)
{
	char *argv[] = { "auditctl", "-s", NULL };
	char out[2048], *line;
	size_t key_len = strlen(key);

	if (run(argv, out, sizeof(out)) != 0)
		return -1;
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ' ') {
			*value = strtoull(line + key_len + 1, NULL, 10);
			return 0;
		}
	}
	return -1;
}

uint64_t auditd_lost(void)
{
	uint64_t lost = 0;

	audit_status("lost", &lost);
	return lost;
}

/* Debian's auditd.conf with the log moved to dir. */
static int write_config(const char *dir, char *log, size_t log_len)
{
	char path[4200], line[1024];
	FILE *in = fopen("/etc/audit/auditd.conf", "r"), *out;

	if (!in)
		return -errno;
	snprintf(path, sizeof(path), "%s/auditd.conf", dir);
	out = fopen(path, "w");
	if (!out) {
		int err = -errno;

		fclose(in);
		return err;
	}
	snprintf(log, log_len, "%s/audit.log", dir);
	while (fgets(line, sizeof(line), in)) {
		if (strncmp(line, "log_file", 8) == 0)
			fprintf(out, "log_file = %s\n", log);
		else
			fputs(line, out);
	}
	fclose(in);
	/* auditd refuses a config file others may write. */
	fchmod(fileno(out), 0640);
	return fclose(out) == 0 ? 0 : -EIO;
}

static uint64_t backlog_before;
static char state_file[4200];

/* What run.sh needs to put audit back should the harness be killed
 * outright (SIGKILL): our auditd's pid, whether audit was on, the backlog. */
static void write_state(const struct auditd_watch *a)
{
	FILE *f = fopen(state_file, "w");

	if (!f)
		return;
	fprintf(f, "AUDITD_PID=%d\nAUDIT_WAS_ENABLED=%d\nAUDIT_BACKLOG=%" PRIu64 "\n", (int)a->pid,
		a->was_enabled, backlog_before);
	fclose(f);
}

int auditd_watch_start(struct auditd_watch *a, const char *node, const char *work_dir)
{
	uint64_t enabled = 0, running_pid = 0;
	char *add[] = { "auditctl", "-w", (char *)node, "-p", "r", "-k", AUDIT_KEY, NULL };
	int err;

	memset(a, 0, sizeof(*a));
	snprintf(a->node, sizeof(a->node), "%s", node);
	if (audit_status("enabled", &enabled) < 0 || audit_status("pid", &running_pid) < 0) {
		fprintf(stderr, "idguard-bench: 'auditctl -s' failed: is auditd installed (make deps-bench)?\n");
		return -1;
	}
	a->was_enabled = enabled != 0;
	audit_status("backlog_limit", &backlog_before);
	snprintf(state_file, sizeof(state_file), "%s/auditd.state", work_dir);
	if (running_pid == 0) {
		char dir[4200], own_log[4300];

		snprintf(dir, sizeof(dir), "%s/auditd", work_dir);
		snprintf(own_log, sizeof(own_log), "%s/auditd.out", dir);
		if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
			fprintf(stderr, "idguard-bench: cannot create %s: %m\n", dir);
			return -1;
		}
		if ((err = write_config(dir, a->log, sizeof(a->log))) < 0) {
			fprintf(stderr, "idguard-bench: cannot write the auditd config: %s\n", strerror(-err));
			return -1;
		}
		a->pid = fork();
		if (a->pid < 0) {
			fprintf(stderr, "idguard-bench: cannot start auditd: %m\n");
			return -1;
		}
		if (a->pid == 0) {
			int out = open(own_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			if (out >= 0)
				dup2(out, STDOUT_FILENO), dup2(out, STDERR_FILENO);
			close_range(3, ~0u, 0);
			execlp("auditd", "auditd", "-n", "-c", dir, (char *)NULL);
			_exit(127);
		}
		write_state(a);
		for (int i = 0; i < 100; i++) {
			if (audit_status("pid", &running_pid) == 0 && running_pid == (uint64_t)a->pid)
				break;
			usleep(50000);
		}
		if (running_pid != (uint64_t)a->pid) {
			fprintf(stderr, "idguard-bench: auditd (pid %d) did not register with the kernel; its words: %s\n",
				(int)a->pid, own_log);
			auditd_watch_stop(a);
			return -1;
		}
		char *backlog[] = { "auditctl", "-b", DEBIAN_BACKLOG, NULL };

		run(backlog, NULL, 0);
	} else {
		snprintf(a->log, sizeof(a->log), "/var/log/audit/audit.log");
	}
	if (run(add, NULL, 0) != 0) {
		fprintf(stderr, "idguard-bench: 'auditctl -w %s -p r' failed\n", node);
		auditd_watch_stop(a);
		return -1;
	}
	a->rule_added = true;
	a->lost_before = auditd_lost();
	return 0;
}

void auditd_watch_stop(struct auditd_watch *a)
{
	if (a->rule_added) {
		char *del[] = { "auditctl", "-W", a->node, "-p", "r", "-k", AUDIT_KEY, NULL };

		if (run(del, NULL, 0) != 0)
			fprintf(stderr, "idguard-bench: warning: could not remove the audit watch on %s\n", a->node);
		a->rule_added = false;
	}
	if (a->pid > 0) {
		char backlog[32];
		char *restore[] = { "auditctl", "-b", backlog, NULL };
		char *off[] = { "auditctl", "-e", "0", NULL };

		kill(a->pid, SIGTERM);
		waitpid(a->pid, NULL, 0);
		a->pid = 0;
		snprintf(backlog, sizeof(backlog), "%" PRIu64, backlog_before);
		if (backlog_before)
			run(restore, NULL, 0);
		if (!a->was_enabled)
			run(off, NULL, 0);
		unlink(state_file);
	}
}

/*
 * Once audit has been on since boot, every task forked afterwards carries an
 * audit context and pays audit's work on each system call, rules or not. The
 * "no agent" and idguard workers must not: forks made between these two
 * calls get none (task rule "never" on a file system gid only they carry).
 * Without auditctl there is nothing to undo: audit was never on.
 */
static bool context_rule_added;

void audit_contexts_off_begin(void)
{
	char *add[] = { "auditctl", "-A", "task,never", "-F", "fsgid=" NO_AUDIT_FSGID, NULL };

	context_rule_added = run(add, NULL, 0) == 0;
	if (context_rule_added)
		setfsgid((gid_t)strtoul(NO_AUDIT_FSGID, NULL, 10));
}

void audit_contexts_off_end(void)
{
	char *del[] = { "auditctl", "-d", "task,never", "-F", "fsgid=" NO_AUDIT_FSGID, NULL };

	if (!context_rule_added)
		return;
	setfsgid(0);
	if (run(del, NULL, 0) != 0)
		fprintf(stderr, "idguard-bench: warning: could not remove the audit task rule on fsgid %s\n",
			NO_AUDIT_FSGID);
	context_rule_added = false;
}

bool audit_contexts_off_active(void)
{
	return context_rule_added;
}

/* The kernel thread that hands audit records to auditd. */
pid_t kauditd_pid(void)
{
	for (int pid = 2; pid < 4096; pid++) {
		char path[64], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && strcmp(comm, "kauditd\n") == 0) {
			fclose(f);
			return pid;
		}
		fclose(f);
	}
	return 0;
}

/* Waits (bounded) until the kernel's audit backlog has drained. */
void audit_backlog_drain(void)
{
	for (int i = 0; i < 100; i++) {
		uint64_t backlog = 0;

		if (audit_status("backlog", &backlog) < 0 || backlog == 0)
			return;
		usleep(100000);
	}
}

pid_t auditd_running_pid(void)
{
	uint64_t pid = 0;

	audit_status("pid", &pid);
	return (pid_t)pid;
}
