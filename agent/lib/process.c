// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading a process's program, command line and unit from /proc. The
 * process may have ended since the kernel's decision, or its pid may have
 * been reused; comparing the name the kernel recorded with the current one
 * catches the common case of a reuse by another program.
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t used = 0;

	if (fd < 0)
		return -errno;
	while (used < size) {
		ssize_t n = read(fd, buf + used, size - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	return (ssize_t)used;
}

static void printable(char *text)
{
	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* NUL-separated arguments to one line, cut with "…" when they do not fit. */
static void read_cmdline(int pid, char *buf, size_t size)
{
	static const char ellipsis[] = "\u2026";
	char path[64];
	ssize_t n;

	(void)snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	buf[0] = '\0';
	n = read_small_file(path, buf, size);
	if (n <= 0)
		return;
	if ((size_t)n == size) {
		/* Cut: end on a character boundary, then mark it. */
		size_t end = size - sizeof(ellipsis);

		while (end > 0 && ((unsigned char)buf[end] & 0xc0) == 0x80)
			end--;
		memcpy(buf + end, ellipsis, sizeof(ellipsis));
		n = (ssize_t)(end + sizeof(ellipsis) - 1);
	}
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	printable(buf);
}

void idg_process_comm(int pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	(void)snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = read_small_file(path, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printable(buf);
}

int idg_process_cgroup(int pid, char *buf, size_t size)
{
	char path[64], line[4096];
	int r = -ENOENT;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (r == -ENOENT && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		r = snprintf(buf, size, "%s", line + 3) < (int)size ? 0 : -E2BIG;
	}
	(void)fclose(f);
	return r;
}

/* The innermost unit in the cgroup v2 path: "…/foo.service/…" or a scope. */
static void read_unit(int pid, char *buf, size_t size)
{
	char cgroup[4096];

	buf[0] = '\0';
	if (idg_process_cgroup(pid, cgroup, sizeof(cgroup)) < 0)
		return;
	for (char *part = strtok(cgroup, "/"); part; part = strtok(NULL, "/")) {
		size_t len = strlen(part);

		if ((len > 8 && streq(part + len - 8, ".service")) || (len > 6 && streq(part + len - 6, ".scope")))
			(void)snprintf(buf, size, "%s", part);
	}
	printable(buf);
}

int idg_process_read(int pid, const char *comm, struct idg_process_info *ret)
{
	char path[64], current[32];
	ssize_t n;

	ret->exe[0] = ret->cmdline[0] = ret->unit[0] = '\0';
	idg_process_comm(pid, current, sizeof(current));
	if (!current[0] || (comm && strncmp(current, comm, 15)))
		return -ESRCH;
	(void)snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, ret->exe, sizeof(ret->exe) - 1);
	ret->exe[n > 0 ? n : 0] = '\0';
	printable(ret->exe);
	read_cmdline(pid, ret->cmdline, sizeof(ret->cmdline));
	read_unit(pid, ret->unit, sizeof(ret->unit));
	return 0;
}
