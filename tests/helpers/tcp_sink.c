// SPDX-License-Identifier: GPL-2.0-only
/*
 * tcp_sink: a network printer for the print tests, the way CUPS's socket
 * backend (AppSocket, port 9100) sees one. It listens on 127.0.0.1:PORT
 * (0: the kernel chooses), prints "listening PORT" once it accepts
 * connections, and appends everything each connection sends to OUTFILE,
 * closing the connection when the sender has finished. Runs until killed.
 *
 *   tcp_sink PORT OUTFILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Appends all of buf to fd; -1 when the file cannot take it. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t addr_len = sizeof(addr);
	char buf[65536], *end;
	unsigned long port;
	int listener, out, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: tcp_sink PORT OUTFILE\n");
		return 2;
	}
	errno = 0;
	port = strtoul(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || port > 65535) {
		fprintf(stderr, "tcp_sink: '%s' is not a port number\n", argv[1]);
		return 2;
	}
	addr.sin_port = htons((uint16_t)port);
	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0) {
		fprintf(stderr, "tcp_sink: cannot open %s: %m\n", argv[2]);
		return 1;
	}
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(listener, 16) < 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &addr_len) < 0) {
		fprintf(stderr, "tcp_sink: cannot listen on 127.0.0.1:%lu: %m\n", port);
		return 1;
	}
	printf("listening %u\n", ntohs(addr.sin_port));
	(void)fflush(stdout);
	for (;;) {
		int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;

		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "tcp_sink: accept: %m\n");
			return 1;
		}
		while ((n = read(conn, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			if (write_all(out, buf, (size_t)n) < 0) {
				fprintf(stderr, "tcp_sink: cannot write to %s: %m\n", argv[2]);
				return 1;
			}
		}
		(void)close(conn);
	}
}
