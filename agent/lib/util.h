/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers every module uses: cleanup attributes in the systemd style,
 * and struct idg_error, through which library code reports what went wrong
 * (library code never logs; the daemon and the CLI decide where text goes).
 */
#ifndef IDG_UTIL_H
#define IDG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hands ownership out of a cleanup variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

struct idg_error {
	char message[1024];
};

/* Sets err's message and returns r (a negative errno), for `return idg_error_set(...)`. */
int idg_error_set(struct idg_error *err, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with ": <strerror(-r)>" appended. */
int idg_error_errno(struct idg_error *err, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses a decimal unsigned integer with an upper bound; 0 or -EINVAL/-ERANGE. */
int idg_parse_uint(const char *s, uint64_t max, uint64_t *ret);
/* Removes leading and trailing whitespace in place; returns s. */
char *idg_strstrip(char *s);
/* Current CLOCK_BOOTTIME / CLOCK_REALTIME in ns / µs. */
uint64_t idg_now_boot_ns(void);
uint64_t idg_now_realtime_usec(void);
/* Formats a realtime µs value as "2026-11-22 10:15:00" (local time). */
void idg_format_time(uint64_t usec, char *buf, size_t size);

#endif
