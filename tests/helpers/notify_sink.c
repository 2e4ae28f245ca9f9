// SPDX-License-Identifier: GPL-2.0-only
/*
 * notify_sink: stands in for systemd's side of sd_notify(3) in tests. It
 * binds a datagram socket at PATH and appends every message it receives to
 * OUTFILE, one line per assignment ("READY=1"), until killed.
 *
 *   notify_sink PATH OUTFILE
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char buf[4096];
	FILE *out;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path))
		return 2;
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("bind");
		return 1;
	}
	out = fopen(argv[2], "a");
	if (!out)
		return 1;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			return 1;
		buf[n] = '\0';
		fprintf(out, "%s%s", buf, n && buf[n - 1] == '\n' ? "" : "\n");
		fflush(out);
	}
}
