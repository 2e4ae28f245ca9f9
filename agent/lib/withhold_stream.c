// SPDX-License-Identifier: GPL-2.0-only
/*
 * A write-only stdio stream over a file descriptor that withholds ID
 * numbers (see withhold_stream.h). stdio hands the stream its buffer in
 * pieces that may end anywhere, even inside a number; so the tail of a piece
 * that could still be part of one (digits, separators, X, bytes of
 * non-ASCII characters) is kept back until the next piece, a newline, or
 * the end shows how it ends. A line is never held: ID numbers hold no
 * newline.
 */
#include "withhold_stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idnumber.h"

/* Tails longer than this are let go as they are: only a megabyte-long
 * line of digits gets there, and it is written withheld all the same. */
#define HELD_MAX (64u << 10)

struct withhold_stream {
	int fd;
	char *buf; /* text not yet written: NUL-terminated, len bytes */
	size_t len, cap;
};

static struct withhold_stream *streams[2];

static bool may_continue_number(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '\t' || c == 'X' || c == 'x' || c >= 0x80;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Withholds and writes buf[0..upto), keeps the rest. */
static int emit(struct withhold_stream *s, size_t upto)
{
	char saved = s->buf[upto];
	size_t out;
	int r;

	s->buf[upto] = '\0';
	(void)idg_withhold(s->buf);
	out = strlen(s->buf);
	r = write_all(s->fd, s->buf, out);
	s->buf[upto] = saved;
	memmove(s->buf, s->buf + upto, s->len - upto + 1);
	s->len -= upto;
	return r;
}

static ssize_t stream_write(void *cookie, const char *data, size_t size)
{
	struct withhold_stream *s = cookie;
	size_t keep_from;
	bool number_like = false;
	int r;

	if (s->len + size + 1 > s->cap) {
		size_t cap = (s->len + size + 1) * 2;
		char *buf = realloc(s->buf, cap);

		if (!buf) {
			errno = ENOMEM;
			return -1;
		}
		s->buf = buf;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, size);
	s->len += size;
	s->buf[s->len] = '\0';
	/* NUL bytes would end the text early: a NUL is never part of a number,
	 * so write what comes before as it is. */
	for (size_t i = 0; i < s->len; i++)
		if (s->buf[i] == '\0')
			s->buf[i] = '?';
	keep_from = s->len;
	while (keep_from > 0 && may_continue_number((unsigned char)s->buf[keep_from - 1])) {
		unsigned char c = (unsigned char)s->buf[--keep_from];

		number_like |= (c >= '0' && c <= '9') || c >= 0x80;
	}
	if (!number_like || s->len - keep_from > HELD_MAX)
		keep_from = s->len;
	r = emit(s, keep_from);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return (ssize_t)size;
}

static int stream_close(void *cookie)
{
	struct withhold_stream *s = cookie;
	int r = s->len ? emit(s, s->len) : 0;

	free(s->buf);
	free(s);
	return r < 0 ? -1 : 0;
}

/* At exit stdio flushes the streams but does not close them: what is held
 * back must still go out. */
static void flush_held(void)
{
	(void)fflush(stdout);
	(void)fflush(stderr);
	for (int i = 0; i < 2; i++)
		if (streams[i] && streams[i]->len)
			(void)emit(streams[i], streams[i]->len);
}

static FILE *open_stream(int fd, int buffering, struct withhold_stream **ret)
{
	cookie_io_functions_t io = { .write = stream_write, .close = stream_close };
	struct withhold_stream *s = calloc(1, sizeof(*s));
	FILE *f;

	if (!s)
		return NULL;
	s->fd = fd;
	f = fopencookie(s, "w", io);
	if (!f) {
		free(s);
		return NULL;
	}
	(void)setvbuf(f, NULL, buffering, BUFSIZ);
	*ret = s;
	return f;
}

int idg_withhold_stdio(void)
{
	FILE *out, *err;

	out = open_stream(STDOUT_FILENO, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, &streams[0]);
	if (!out)
		return -ENOMEM;
	err = open_stream(STDERR_FILENO, _IOLBF, &streams[1]);
	if (!err) {
		(void)fclose(out);
		streams[0] = NULL;
		return -ENOMEM;
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	stdout = out;
	stderr = err;
	(void)atexit(flush_held);
	return 0;
}
