// SPDX-License-Identifier: GPL-2.0-only
/*
 * loopdev: makes the kernel create or remove loop device N (block 7:N)
 * through /dev/loop-control, so a test sees a real hotplug, with real
 * kernel uevents, on a machine without USB.
 *
 *   loopdev add N | loopdev remove N
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long request;
	char *end;
	long n;
	int fd, r;

	if (argc != 3 || (strcmp(argv[1], "add") && strcmp(argv[1], "remove"))) {
		fprintf(stderr, "usage: loopdev add|remove N\n");
		return 2;
	}
	n = strtol(argv[2], &end, 10);
	if (*end || n < 0 || n > 1048575) {
		fprintf(stderr, "loopdev: '%s' is not a loop device number\n", argv[2]);
		return 2;
	}
	request = strcmp(argv[1], "add") ? LOOP_CTL_REMOVE : LOOP_CTL_ADD;
	fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "loopdev: /dev/loop-control: %s\n", strerror(errno));
		return 1;
	}
	r = ioctl(fd, request, n);
	if (r < 0) {
		fprintf(stderr, "loopdev: %s loop%ld: %s\n", argv[1], n, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
