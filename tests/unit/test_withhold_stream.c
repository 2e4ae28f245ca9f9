// SPDX-License-Identifier: GPL-2.0-only
/*
 * stdout and stderr that withhold ID numbers (withhold_stream.h), in a
 * child whose stdout and stderr are pipes: a number split across writes
 * and flushes, several on a line, a tail held back until the end shows it
 * is a number, and prompts without a newline going out at once.
 */
#include "unit.h"

#include <sys/wait.h>

#include "withhold_stream.h"

/* Runs body in a child with stdout and stderr on pipes; returns what came
 * out of each. */
static void run_child(void (*body)(void), char *out, size_t out_size, char *err, size_t err_size)
{
	int out_pipe[2], err_pipe[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(out_pipe), 0);
	assert_int_equal(pipe(err_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)dup2(out_pipe[1], STDOUT_FILENO);
		(void)dup2(err_pipe[1], STDERR_FILENO);
		(void)close(out_pipe[0]);
		(void)close(err_pipe[0]);
		if (idg_withhold_stdio() < 0)
			_exit(2);
		body();
		exit(0);
	}
	(void)close(out_pipe[1]);
	(void)close(err_pipe[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = read(out_pipe[0], out, out_size - 1);
	out[n > 0 ? n : 0] = '\0';
	n = read(err_pipe[0], err, err_size - 1);
	err[n > 0 ? n : 0] = '\0';
	(void)close(out_pipe[0]);
	(void)close(err_pipe[0]);
}

static void split_writes(void)
{
	(void)fputs("case 1101051949", stdout);
	(void)fflush(stdout);
	(void)fputs("1231002X and 430102 500101 001\n", stdout);
	(void)fputs("Approve? [y/N] ", stderr);
	(void)fflush(stderr);
	(void)fputs("idguardctl: no grant has id 110105-19491231-", stderr);
	(void)fflush(stderr);
	(void)fputs("002X", stderr); /* no newline: held until exit */
}

static void test_split_numbers_are_withheld(void **state)
{
	char out[256], err[256];

	(void)state;
	run_child(split_writes, out, sizeof(out), err, sizeof(err));
	assert_string_equal(out, "case [withheld] and [withheld]\n");
	assert_string_equal(err, "Approve? [y/N] idguardctl: no grant has id [withheld]");
}

static void plain_text(void)
{
	(void)printf("grant 12: alice (uid 1001) may use scanner until 2026-12-02 10:30; card 6222 0212 3456 7890\n");
	(void)printf("中文说明 13800138000 ");
}

static void test_other_text_is_unchanged(void **state)
{
	char out[256], err[256];

	(void)state;
	run_child(plain_text, out, sizeof(out), err, sizeof(err));
	assert_string_equal(out, "grant 12: alice (uid 1001) may use scanner until 2026-12-02 10:30; card 6222 0212 "
				 "3456 7890\n中文说明 13800138000 ");
	assert_string_equal(err, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_numbers_are_withheld),
		cmocka_unit_test(test_other_text_is_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
