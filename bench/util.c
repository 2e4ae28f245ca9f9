// SPDX-License-Identifier: GPL-2.0-only
/* Small measuring helpers of the benchmark harness. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* What idguardd records as IDGUARD_CGROUP_ID: the cgroup directory's inode. */
uint64_t cgroup_id_of(const char *cgroup)
{
	struct stat st;

	return stat(cgroup, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* CPU time of a process, all its threads, in ns: the scheduler's own
 * account (/proc/PID/schedstat) where there is one, which is exact; else
 * user plus system time from /proc/PID/stat, in clock ticks. */
uint64_t process_cpu_ns(pid_t pid)
{
	char path[64], text[2048], *p;
	unsigned long long utime = 0, stime = 0, total = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *tasks = opendir(path);

	if (tasks) {
		struct dirent *d;
		bool any = false;

		while ((d = readdir(tasks))) {
			unsigned long long run_ns;

			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, d->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fscanf(f, "%llu", &run_ns) == 1)
				total += run_ns, any = true;
			fclose(f);
		}
		closedir(tasks);
		if (any)
			return total;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to its end. */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		return 0;
	return (utime + stime) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/* Bytes a process has written with write() and its kin (/proc/PID/io). */
uint64_t process_written_bytes(pid_t pid)
{
	char path[64], line[128];
	unsigned long long wchar = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %llu", &wchar) == 1)
			break;
	fclose(f);
	return wchar;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts values in place. */
double median(double *values, int n)
{
	if (n <= 0)
		return 0;
	qsort(values, (size_t)n, sizeof(*values), compare_doubles);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}
