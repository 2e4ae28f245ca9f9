// SPDX-License-Identifier: GPL-2.0-only
/*
 * sockcat: talks to a unix stream socket the way a broken or hostile client
 * would, for the control-socket tests.
 *
 *   sockcat [-c] [-t MS] SOCKET < INPUT
 *
 * Sends INPUT as is (no newline added), then waits up to MS milliseconds
 * (default 10000) for the reply and prints what arrived. With -c it shuts
 * down its sending side after INPUT (a client that gives up mid-line).
 * Exit status: 0 when a reply arrived, 1 when none did before the timeout
 * or the server closed without one.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	static char input[1 << 20], reply[1 << 16];
	size_t len = 0, used = 0;
	int timeout_ms = 10000, close_write = 0, c, fd;

	while ((c = getopt(argc, argv, "ct:")) != -1) {
		if (c == 'c')
			close_write = 1;
		else if (c == 't')
			timeout_ms = atoi(optarg);
		else
			return 2;
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= sizeof(addr.sun_path))
		return 2;
	strcpy(addr.sun_path, argv[optind]);
	for (ssize_t n; (n = read(0, input + len, sizeof(input) - len)) > 0;)
		len += (size_t)n;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("connect");
		return 1;
	}
	for (size_t sent = 0; sent < len;) {
		ssize_t n = send(fd, input + sent, len - sent, MSG_NOSIGNAL);

		if (n < 0) {
			/* The server may refuse an oversized request before reading it all. */
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			perror("send");
			return 1;
		}
		sent += (size_t)n;
	}
	if (close_write)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			break;
		n = recv(fd, reply + used, sizeof(reply) - used - 1, 0);
		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(reply, '\n', used))
			break;
	}
	fwrite(reply, 1, used, stdout);
	return used ? 0 : 1;
}
