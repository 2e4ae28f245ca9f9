/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers the unit tests share: cmocka in the right include order, where the
 * sample files live, an assertion that prints both strings, and a temporary
 * directory per test that the teardown removes even when the test failed.
 * Everything is static inline so a test that uses only part of it builds
 * clean with -Wall -Wextra.
 */
#ifndef IDG_TEST_UNIT_H
#define IDG_TEST_UNIT_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* Sample files: $IDG_TEST_DATA, else tests/unit (tests run from the repo root). */
static inline const char *test_data_dir(void)
{
	const char *dir = getenv("IDG_TEST_DATA");

	return dir && *dir ? dir : "tests/unit";
}

/* strstr() with both strings in the failure message. */
#define assert_contains(haystack, needle)                                                        \
	do {                                                                                     \
		const char *_h = (haystack), *_n = (needle);                                     \
		if (!_h || !strstr(_h, _n)) {                                                    \
			print_error("'%s' does not contain '%s'\n", _h ? _h : "(null)", _n);    \
			fail();                                                                  \
		}                                                                                \
	} while (0)

#define assert_not_contains(haystack, needle)                                                    \
	do {                                                                                     \
		const char *_h = (haystack), *_n = (needle);                                     \
		if (_h && strstr(_h, _n)) {                                                      \
			print_error("'%s' contains '%s'\n", _h, _n);                             \
			fail();                                                                  \
		}                                                                                \
	} while (0)

static inline int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* cmocka setup: *state becomes a fresh directory "/tmp/idg-unit.XXXXXX". */
static inline int tmpdir_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/idg-unit.XXXXXX", base && *base ? base : "/tmp") < 0)
		return -1;
	if (!mkdtemp(path)) {
		free(path);
		return -1;
	}
	*state = path;
	return 0;
}

/* cmocka teardown: removes the directory and everything in it. */
static inline int tmpdir_teardown(void **state)
{
	char *path = *state;

	if (path)
		(void)nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
	*state = NULL;
	return 0;
}

/* "dir/name" in a buffer the caller frees. */
static inline char *path_join(const char *dir, const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", dir, name) >= 0);
	return path;
}

/* Writes text to dir/name (creating the file), failing the test on error. */
static inline void write_file(const char *dir, const char *name, const char *text)
{
	char *path = path_join(dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd < 0) {
		print_error("cannot create %s: %s\n", path, strerror(errno));
		free(path);
		fail();
	}
	free(path);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* mkdir dir/name, failing the test on error. */
static inline void make_dir(const char *dir, const char *name)
{
	char *path = path_join(dir, name);
	int r = mkdir(path, 0755);

	if (r < 0)
		print_error("cannot create %s: %s\n", path, strerror(errno));
	free(path);
	assert_int_equal(r, 0);
}

#endif
