// SPDX-License-Identifier: GPL-2.0-only
/*
 * try_open: opens a path the way an imaging program would and reports what
 * the kernel said, for the integration tests and the benchmark.
 *
 *   try_open [-n COUNT] [-P PROCESSES] [-r BYTES] [-w] PATH
 *
 * Each of PROCESSES children opens PATH COUNT times (O_RDONLY, or O_RDWR
 * with -w) and closes it. Prints one line per outcome, "OK N" or "EPERM N"
 * (errno names), sorted by name; with -r, reads BYTES after a successful
 * open and prints "READ N" with the bytes read by the first open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ERRNO 4096

int main(int argc, char **argv)
{
	long count = 1, processes = 1, read_bytes = 0;
	int flags = O_RDONLY | O_CLOEXEC, c;
	unsigned long *outcomes; /* shared: [0] OK, [e] errno e, [MAX_ERRNO] bytes read */

	while ((c = getopt(argc, argv, "n:P:r:w")) != -1) {
		switch (c) {
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'P':
			processes = strtol(optarg, NULL, 10);
			break;
		case 'r':
			read_bytes = strtol(optarg, NULL, 10);
			break;
		case 'w':
			flags = O_RDWR | O_CLOEXEC;
			break;
		default:
			fprintf(stderr, "usage: try_open [-n COUNT] [-P PROCESSES] [-r BYTES] [-w] PATH\n");
			return 2;
		}
	}
	if (optind != argc - 1 || count < 1 || processes < 1 || read_bytes < 0 || read_bytes > 65536) {
		fprintf(stderr, "usage: try_open [-n COUNT] [-P PROCESSES] [-r BYTES] [-w] PATH\n");
		return 2;
	}
	outcomes = mmap(NULL, (MAX_ERRNO + 1) * sizeof(*outcomes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	if (outcomes == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (long p = 0; p < processes; p++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid > 0)
			continue;
		for (long i = 0; i < count; i++) {
			int fd = open(argv[optind], flags);

			if (fd < 0) {
				__atomic_fetch_add(&outcomes[errno < MAX_ERRNO ? errno : 0], 1, __ATOMIC_RELAXED);
				continue;
			}
			__atomic_fetch_add(&outcomes[0], 1, __ATOMIC_RELAXED);
			if (read_bytes && i == 0 && p == 0) {
				char buf[65536];
				ssize_t n = read(fd, buf, (size_t)read_bytes);

				outcomes[MAX_ERRNO] = n > 0 ? (unsigned long)n : 0;
			}
			close(fd);
		}
		_exit(0);
	}
	while (wait(NULL) > 0)
		;
	if (outcomes[0])
		printf("OK %lu\n", outcomes[0]);
	for (int e = 1; e < MAX_ERRNO; e++)
		if (outcomes[e])
			printf("%s %lu\n", strerrorname_np(e) ? strerrorname_np(e) : "E?", outcomes[e]);
	if (read_bytes)
		printf("READ %lu\n", outcomes[MAX_ERRNO]);
	return 0;
}
