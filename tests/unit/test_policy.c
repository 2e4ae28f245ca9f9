// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy language (policy.h): the built-in defaults, every sample in
 * policy.good/ (must parse without a diagnostic) and policy.bad/ (each file
 * says in leading "# expect: LINE: TEXT" comments which errors it must give,
 * and it must give exactly those), the values parsed lines produce, Device=
 * specs and durations on their own, merging drop-in directories (lexical
 * order, same name replaces, empty Device= clears, last Mode= wins, the
 * [Global] ceiling), and the merged policy written back as INI. Also what
 * cannot hang or stall a load (issue 13): only regular files are read, of
 * bounded size, and policies of many thousand sections are refused with
 * one error per problem. How fast is measured by hand, not by timed tests.
 */
#include "unit.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include "endpoints.h"
#include "names.h"
#include "policy.h"
#include "util.h"

struct sample {
	char name[256];
};

static int compare_samples(const void *a, const void *b)
{
	return strcmp(((const struct sample *)a)->name, ((const struct sample *)b)->name);
}

/* The *.conf names in test_data_dir()/sub, sorted; the caller frees. */
static struct sample *list_samples(const char *sub, size_t *ret_count, char **ret_dir)
{
	struct sample *samples = NULL;
	size_t count = 0;
	struct dirent *de;
	char *dir = path_join(test_data_dir(), sub);
	DIR *d = opendir(dir);

	if (!d) {
		print_error("cannot open %s: %s (run the tests from the repository root)\n", dir, strerror(errno));
		free(dir);
		fail();
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		samples = realloc(samples, (count + 1) * sizeof(*samples));
		assert_non_null(samples);
		(void)snprintf(samples[count++].name, sizeof(samples->name), "%s", de->d_name);
	}
	(void)closedir(d);
	qsort(samples, count, sizeof(*samples), compare_samples);
	*ret_count = count;
	*ret_dir = dir;
	return samples;
}

static void print_diags(const char *what, const struct idg_diags *diags)
{
	char buf[2048];

	print_error("%s:\n", what);
	for (size_t i = 0; i < diags->count; i++) {
		idg_diag_format(&diags->items[i], buf, sizeof(buf));
		print_error("    %s\n", buf);
	}
}

/* ---- built-in defaults ---------------------------------------------------- */

static void test_builtin_defaults(void **state)
{
	struct idg_policy *policy = idg_policy_new();

	(void)state;
	assert_non_null(policy);
	assert_int_equal(policy->global_mode, IDG_MODE_ENFORCE);
	assert_int_equal(policy->class_mode[IDG_CLASS_SCANNER], IDG_MODE_ENFORCE);
	assert_int_equal(policy->class_mode[IDG_CLASS_CAMERA], IDG_MODE_ENFORCE);
	assert_int_equal(policy->class_mode[IDG_CLASS_CARD_READER], IDG_MODE_AUDIT);
	assert_int_equal(policy->class_mode[IDG_CLASS_PRINTER], IDG_MODE_AUDIT);
	assert_int_equal(policy->class_mode[IDG_CLASS_STORAGE], IDG_MODE_OFF);
	assert_int_equal(policy->class_mode[IDG_CLASS_UNCLASSIFIED], IDG_MODE_ENFORCE);
	assert_int_equal(policy->repeat_window_ms, 1000);
	assert_int_equal(policy->stats_interval_sec, 60);
	assert_int_equal(policy->n_devices, 0);
	assert_int_equal(policy->n_exempt, 0);
	assert_int_equal(policy->n_files, 0);

	/* Under the default enforce ceiling every class runs as written. */
	for (unsigned c = 1; c <= IDG_CLASS_UNCLASSIFIED; c++)
		assert_int_equal(idg_policy_effective_mode(policy, c), policy->class_mode[c]);
	/* Ids without a class are never looked at. */
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_NONE), IDG_MODE_OFF);
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_COUNT), IDG_MODE_OFF);
	assert_int_equal(idg_policy_effective_mode(policy, 1000), IDG_MODE_OFF);
	idg_policy_free(policy);
	idg_policy_free(NULL);
}

/* ---- sample files ------------------------------------------------------------ */

static void test_good_samples(void **state)
{
	size_t count, failed = 0;
	char *dir;
	struct sample *samples = list_samples("policy.good", &count, &dir);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		struct idg_policy *policy = idg_policy_new();
		struct idg_diags diags = { 0 };
		char *path = path_join(dir, samples[i].name);
		int r;

		assert_non_null(policy);
		r = idg_policy_parse_file(policy, path, &diags);
		idg_policy_check_purposes(policy, &diags);
		if (r != 0 || diags.count != 0) {
			print_error("%s: returned %d with %zu diagnostics\n", path, r, diags.count);
			print_diags(path, &diags);
			failed++;
		}
		idg_diags_clear(&diags);
		idg_policy_free(policy);
		free(path);
	}
	free(samples);
	free(dir);
	assert_int_equal(failed, 0);
	assert_true(count >= 6);
}

struct expectation {
	unsigned line;
	char text[512];
	bool seen;
};

/* Reads the leading "# expect: LINE: TEXT" comments of a bad sample. */
static size_t read_expectations(const char *path, struct expectation *expect, size_t max)
{
	char buf[1024];
	size_t n = 0;
	FILE *f = fopen(path, "re");

	assert_non_null(f);
	while (n < max && fgets(buf, sizeof(buf), f)) {
		int offset = 0;

		buf[strcspn(buf, "\n")] = '\0';
		if (sscanf(buf, "# expect: %u: %n", &expect[n].line, &offset) != 1 || offset == 0)
			break;
		(void)snprintf(expect[n].text, sizeof(expect[n].text), "%s", buf + offset);
		expect[n].seen = false;
		n++;
	}
	(void)fclose(f);
	return n;
}

static void test_bad_samples(void **state)
{
	size_t count, failed = 0;
	char *dir;
	struct sample *samples = list_samples("policy.bad", &count, &dir);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		struct idg_policy *policy = idg_policy_new();
		struct idg_diags diags = { 0 };
		struct expectation expect[16];
		char *path = path_join(dir, samples[i].name);
		size_t n_expect = read_expectations(path, expect, ARRAY_SIZE(expect));
		bool ok = true;
		int r;

		assert_non_null(policy);
		if (n_expect == 0) {
			print_error("%s: the first line must be '# expect: LINE: TEXT'\n", path);
			failed++;
			goto next;
		}
		r = idg_policy_parse_file(policy, path, &diags);
		if (r != 0) {
			print_error("%s: idg_policy_parse_file returned %d, not 0\n", path, r);
			ok = false;
		}
		/* What `idguardctl policy check FILE` adds: the whole-policy checks. */
		idg_policy_check_purposes(policy, &diags);
		for (size_t e = 0; e < n_expect; e++) {
			for (size_t d = 0; d < diags.count; d++) {
				const struct idg_diag *diag = &diags.items[d];

				if (!diag->warning && diag->line == expect[e].line && diag->file &&
				    streq(diag->file, path) && strstr(diag->message, expect[e].text))
					expect[e].seen = true;
			}
			if (!expect[e].seen) {
				print_error("%s: no error on line %u containing \"%s\"\n", path, expect[e].line,
					    expect[e].text);
				ok = false;
			}
		}
		/* Each problem is reported once: no cascades, nothing unexpected. */
		if (diags.errors != n_expect) {
			print_error("%s: %zu errors, expected %zu\n", path, diags.errors, n_expect);
			ok = false;
		}
		if (!ok) {
			print_diags(path, &diags);
			failed++;
		}
next:
		idg_diags_clear(&diags);
		idg_policy_free(policy);
		free(path);
	}
	free(samples);
	free(dir);
	assert_int_equal(failed, 0);
	assert_true(count >= 15);
}

/* ---- what parsed lines mean --------------------------------------------------- */

static struct idg_policy *parse_ok(const char *text)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	assert_non_null(policy);
	assert_int_equal(idg_policy_parse_string(policy, "test.conf", text, &diags), 0);
	if (diags.count) {
		print_diags("unexpected diagnostics", &diags);
		fail();
	}
	idg_diags_clear(&diags);
	return policy;
}

static void test_device_lines(void **state)
{
	struct idg_policy *policy = parse_ok("[Class camera]\n"      /* 1 */
					     "Device=char 81:*\n"    /* 2 */
					     "Device=/dev/video0\n"  /* 3 */
					     "[Class printer]\n"     /* 4 */
					     "Device=c 180:0-15\n"   /* 5 */
					     "[Class storage]\n"     /* 6 */
					     "Device=b 8:16\n");     /* 7 */
	const struct idg_policy_device *d = policy->devices;
	char buf[128];

	(void)state;
	assert_int_equal(policy->n_devices, 4);
	assert_int_equal(policy->n_files, 1);
	assert_string_equal(policy->files[0], "test.conf");

	assert_int_equal(d[0].class_id, IDG_CLASS_CAMERA);
	assert_int_equal(d[0].dev_type, IDG_DEV_CHAR);
	assert_true(d[0].whole_major);
	assert_int_equal(d[0].major, 81);
	assert_int_equal(d[0].minor_lo, 0);
	assert_int_equal(d[0].minor_hi, 0xfffff);
	assert_null(d[0].node);
	assert_ptr_equal(d[0].file, policy->files[0]);
	assert_int_equal(d[0].line, 2);

	assert_int_equal(d[1].class_id, IDG_CLASS_CAMERA);
	assert_int_equal(d[1].dev_type, 0);
	assert_string_equal(d[1].node, "/dev/video0");
	assert_int_equal(d[1].line, 3);

	assert_int_equal(d[2].class_id, IDG_CLASS_PRINTER);
	assert_int_equal(d[2].dev_type, IDG_DEV_CHAR);
	assert_false(d[2].whole_major);
	assert_int_equal(d[2].major, 180);
	assert_int_equal(d[2].minor_lo, 0);
	assert_int_equal(d[2].minor_hi, 15);
	assert_int_equal(d[2].line, 5);

	assert_int_equal(d[3].class_id, IDG_CLASS_STORAGE);
	assert_int_equal(d[3].dev_type, IDG_DEV_BLOCK);
	assert_int_equal(d[3].minor_lo, 16);
	assert_int_equal(d[3].minor_hi, 16);

	idg_policy_device_format(&d[0], buf, sizeof(buf));
	assert_string_equal(buf, "char 81:*");
	idg_policy_device_format(&d[1], buf, sizeof(buf));
	assert_string_equal(buf, "/dev/video0");
	idg_policy_device_format(&d[2], buf, sizeof(buf));
	assert_string_equal(buf, "char 180:0-15");
	idg_policy_device_format(&d[3], buf, sizeof(buf));
	assert_string_equal(buf, "block 8:16");
	idg_policy_free(policy);
}

static void test_empty_device_clears_own_class(void **state)
{
	struct idg_policy *policy = parse_ok("[Class camera]\n"
					     "Device=char 81:*\n"
					     "Device=/dev/video0\n"
					     "[Class printer]\n"
					     "Device=char 180:0-15\n"
					     "[Class camera]\n"
					     "Device=\n"
					     "Device=char 240:0\n");

	(void)state;
	assert_int_equal(policy->n_devices, 2);
	assert_int_equal(policy->devices[0].class_id, IDG_CLASS_PRINTER);
	assert_int_equal(policy->devices[0].major, 180);
	assert_int_equal(policy->devices[1].class_id, IDG_CLASS_CAMERA);
	assert_int_equal(policy->devices[1].major, 240);
	assert_int_equal(policy->devices[1].line, 8);
	idg_policy_free(policy);
}

static void test_exempt_lines(void **state)
{
	struct idg_policy *policy = parse_ok("[Exempt]\n"
					     "Unit=cups.service\n"
					     "CGroup=/system.slice/saned.service\n"
					     "Unit=saned@*.service\n"
					     "Unit=\n" /* clears units, keeps cgroups */
					     "Unit=systemd-udevd.service\n");

	(void)state;
	assert_int_equal(policy->n_exempt, 2);
	assert_false(policy->exempt[0].is_unit);
	assert_string_equal(policy->exempt[0].name, "/system.slice/saned.service");
	assert_int_equal(policy->exempt[0].line, 3);
	assert_true(policy->exempt[1].is_unit);
	assert_string_equal(policy->exempt[1].name, "systemd-udevd.service");
	assert_string_equal(policy->exempt[1].file, "test.conf");
	assert_int_equal(policy->exempt[1].line, 6);
	idg_policy_free(policy);
}

static void test_scalars_last_wins(void **state)
{
	struct idg_policy *policy = parse_ok("[Global]\n"
					     "Mode=off\n"
					     "RepeatWindow=250ms\n"
					     "StatsInterval=2min\n"
					     "Mode=audit\n"
					     "[Class storage]\n"
					     "Mode=enforce\n"
					     "[Class scanner]\n"
					     "Mode=off\n");

	(void)state;
	assert_int_equal(policy->global_mode, IDG_MODE_AUDIT);
	assert_int_equal(policy->repeat_window_ms, 250);
	assert_int_equal(policy->stats_interval_sec, 120);
	assert_int_equal(policy->class_mode[IDG_CLASS_STORAGE], IDG_MODE_ENFORCE);
	assert_int_equal(policy->class_mode[IDG_CLASS_SCANNER], IDG_MODE_OFF);
	/* Untouched classes keep their defaults. */
	assert_int_equal(policy->class_mode[IDG_CLASS_CARD_READER], IDG_MODE_AUDIT);
	idg_policy_free(policy);
	/* Fractions of a second are refused: see policy.bad/stats-interval-fraction.conf. */
}

/* [Notify]: the warning before a grant ends (default 5 minutes, 0 for
 * none) and the site's advice, in English and Chinese. */
static void test_notify_section(void **state)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };
	char buf[1024];

	(void)state;
	assert_int_equal(policy->notify_warn_before_sec, 300);
	assert_null(policy->notify_advice);
	assert_int_equal(idg_policy_parse_string(policy, "site.conf",
						 "[Notify]\nWarnBefore=2min\nAdvice=Call 8021\n"
						 "Advice[zh_CN]=请拨打 8021\nWarnBefore=soon\nTone=loud\n",
						 &diags),
			 0);
	assert_int_equal(policy->notify_warn_before_sec, 120);
	assert_string_equal(policy->notify_advice, "Call 8021");
	assert_string_equal(policy->notify_advice_zh, "请拨打 8021");
	assert_int_equal(diags.errors, 2);
	idg_diag_format(&diags.items[0], buf, sizeof(buf));
	assert_string_equal(buf, "site.conf:5: error: WarnBefore='soon' must be a duration from 1000ms to 3600s "
				 "(e.g. 500ms, 2s, 1min)");
	idg_diag_format(&diags.items[1], buf, sizeof(buf));
	assert_string_equal(buf, "site.conf:6: error: unknown key 'Tone' in [Notify] (known: WarnBefore, Advice, "
				 "Advice[zh_CN])");
	idg_diags_clear(&diags);
	assert_int_equal(idg_policy_parse_string(policy, "later.conf", "[Notify]\nWarnBefore=0\nAdvice=\n", &diags), 0);
	assert_int_equal(diags.errors, 0);
	assert_int_equal(policy->notify_warn_before_sec, 0);
	assert_null(policy->notify_advice);
	idg_policy_free(policy);
}

/* A refused value leaves the earlier one in force. */
static void test_bad_value_keeps_previous(void **state)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };
	char buf[1024];

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "site.conf",
						 "[Global]\nRepeatWindow=2s\nRepeatWindow=2h\nMode=audit\nMode=maybe\n",
						 &diags),
			 0);
	assert_int_equal(diags.errors, 2);
	assert_int_equal(policy->repeat_window_ms, 2000);
	assert_int_equal(policy->global_mode, IDG_MODE_AUDIT);
	/* How `idguardctl policy check` prints them. */
	idg_diag_format(&diags.items[0], buf, sizeof(buf));
	assert_string_equal(buf, "site.conf:3: error: RepeatWindow='2h' must be a duration from 10ms to 60s "
				 "(e.g. 500ms, 2s, 1min)");
	idg_diags_first_error(&diags, buf, sizeof(buf));
	assert_string_equal(buf, "site.conf:3: error: RepeatWindow='2h' must be a duration from 10ms to 60s "
				 "(e.g. 500ms, 2s, 1min)");
	idg_diag_format(&diags.items[1], buf, sizeof(buf));
	assert_string_equal(buf, "site.conf:5: error: mode 'maybe' is not one of off, audit, enforce");
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

/* idguard-policy(5): a CGroup= path has no '.' component; the error text
 * says so too, but a '.' as the last component is let through. */
static void test_cgroup_path_dot_component_refused(void **state)
{
	static const char *const paths[] = { "/system.slice/.", "/." };
	char text[128], message[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		struct idg_policy *policy = idg_policy_new();
		struct idg_diags diags = { 0 };

		(void)snprintf(text, sizeof(text), "[Exempt]\nCGroup=%s\n", paths[i]);
		assert_int_equal(idg_policy_parse_string(policy, "test.conf", text, &diags), 0);
		(void)snprintf(message, sizeof(message),
			       "'%s' is not a cgroup path: it must start with '/' (the cgroup v2 root) and have no '.', "
			       "'..' or '//' parts",
			       paths[i]);
		if (diags.errors != 1 || !streq(diags.items[0].message, message)) {
			print_error("CGroup=%s: %zu errors, n_exempt %zu; expected the error \"%s\"\n", paths[i],
				    diags.errors, policy->n_exempt, message);
			idg_diags_clear(&diags);
			idg_policy_free(policy);
			fail();
		}
		assert_int_equal(policy->n_exempt, 0);
		idg_diags_clear(&diags);
		idg_policy_free(policy);
	}
}

/* inih accepts a UTF-8 byte order mark; the line reader in front of it must
 * too, or a file saved by an editor that adds one (likely with the Chinese
 * comments of the shipped policy) fails with "found '[Global]'", the BOM
 * being invisible. */
static void test_utf8_bom_accepted(void **state)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "bom.conf", "\xEF\xBB\xBF[Global]\nMode=audit\n", &diags), 0);
	if (diags.count) {
		print_diags("a file starting with a UTF-8 BOM", &diags);
		idg_diags_clear(&diags);
		idg_policy_free(policy);
		fail();
	}
	assert_int_equal(policy->global_mode, IDG_MODE_AUDIT);
	idg_policy_free(policy);
}

static void test_unreadable_files(void **state)
{
	const char *dir = *state;
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };
	char *missing = path_join(dir, "missing.conf"), *nul = path_join(dir, "nul.conf");
	char *big = path_join(dir, "big.conf");
	char buf[1024], line[64];
	int fd;

	memset(line, '#', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';

	assert_int_equal(idg_policy_parse_file(policy, missing, &diags), -ENOENT);
	assert_int_equal(diags.errors, 1);
	assert_int_equal(diags.items[0].line, 0);
	assert_string_equal(diags.items[0].message, "cannot read: No such file or directory");

	fd = open(nul, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[Global]\n\0Mode=off\n", 19), 19);
	(void)close(fd);
	assert_int_equal(idg_policy_parse_file(policy, nul, &diags), -EINVAL);
	assert_int_equal(diags.errors, 2);
	idg_diag_format(&diags.items[1], buf, sizeof(buf));
	/* With the line it is on, as every refusal where there is a line. */
	assert_contains(buf, "nul.conf:2: error: contains a NUL byte: not a text file");
	/* Nothing after the NUL byte was taken. */
	assert_int_equal(policy->global_mode, IDG_MODE_ENFORCE);

	/* At most 1 MiB: exactly that is read, one byte more is refused. */
	fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	for (size_t i = 0; i < (1u << 20) / sizeof(line); i++)
		assert_int_equal(write(fd, line, sizeof(line)), sizeof(line));
	(void)close(fd);
	assert_int_equal(idg_policy_parse_file(policy, big, &diags), 0);
	assert_int_equal(diags.errors, 2);
	fd = open(big, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_int_equal(write(fd, "\n", 1), 1);
	(void)close(fd);
	assert_int_equal(idg_policy_parse_file(policy, big, &diags), -EFBIG);
	assert_int_equal(diags.errors, 3);
	idg_diag_format(&diags.items[2], buf, sizeof(buf));
	assert_contains(buf, "big.conf: error: larger than 1048576 bytes");

	/* A NUL within a line, after lines ended by CR LF. */
	fd = open(nul, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_int_equal(write(fd, "[Global]\r\nMode=audit\r\n# a\0b\nMode=off\n", 31), 31);
	(void)close(fd);
	assert_int_equal(idg_policy_parse_file(policy, nul, &diags), -EINVAL);
	assert_int_equal(diags.errors, 4);
	assert_int_equal(diags.items[3].line, 3);
	assert_string_equal(diags.items[3].message, "contains a NUL byte: not a text file");
	assert_int_equal(policy->global_mode, IDG_MODE_ENFORCE);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(missing);
	free(nul);
	free(big);
}

/* ---- Device= specs and durations ------------------------------------------------ */

static void test_parse_device_good(void **state)
{
	static const struct {
		const char *spec, *formatted;
		uint8_t dev_type;
		bool whole;
		uint32_t major, lo, hi;
	} cases[] = {
		{ "char 81:*", "char 81:*", IDG_DEV_CHAR, true, 81, 0, 0xfffff },
		{ "c 81:0", "char 81:0", IDG_DEV_CHAR, false, 81, 0, 0 },
		{ "block 8:0-15", "block 8:0-15", IDG_DEV_BLOCK, false, 8, 0, 15 },
		{ "b 259:7", "block 259:7", IDG_DEV_BLOCK, false, 259, 7, 7 },
		{ "char   0:0", "char 0:0", IDG_DEV_CHAR, false, 0, 0, 0 },
		{ "char 4095:1048575", "char 4095:1048575", IDG_DEV_CHAR, false, 4095, 0xfffff, 0xfffff },
		{ "char 189:0-1048575", "char 189:0-1048575", IDG_DEV_CHAR, false, 189, 0, 0xfffff },
		{ "char 180:3-3", "char 180:3", IDG_DEV_CHAR, false, 180, 3, 3 },
	};
	struct idg_error err = { "" };
	char buf[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct idg_policy_device dev = { 0 };

		if (idg_policy_parse_device(cases[i].spec, &dev, &err) != 0) {
			print_error("'%s' refused: %s\n", cases[i].spec, err.message);
			fail();
		}
		assert_int_equal(dev.dev_type, cases[i].dev_type);
		assert_int_equal(dev.whole_major, cases[i].whole);
		assert_int_equal(dev.major, cases[i].major);
		assert_int_equal(dev.minor_lo, cases[i].lo);
		assert_int_equal(dev.minor_hi, cases[i].hi);
		assert_null(dev.node);
		idg_policy_device_format(&dev, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].formatted);
	}
}

static void test_parse_device_path(void **state)
{
	struct idg_policy_device dev = { .class_id = IDG_CLASS_CAMERA, .line = 7 };
	struct idg_error err = { "" };
	char buf[128];

	(void)state;
	assert_int_equal(idg_policy_parse_device("/dev/bus/usb/001/002", &dev, &err), 0);
	assert_string_equal(dev.node, "/dev/bus/usb/001/002");
	assert_int_equal(dev.dev_type, 0);
	/* class_id, file and line are the caller's. */
	assert_int_equal(dev.class_id, IDG_CLASS_CAMERA);
	assert_int_equal(dev.line, 7);
	idg_policy_device_format(&dev, buf, sizeof(buf));
	assert_string_equal(buf, "/dev/bus/usb/001/002");
	free(dev.node);
}

static void test_parse_device_bad(void **state)
{
	static const struct {
		const char *spec, *message;
	} cases[] = {
		{ "tape 9:0", "device type 'tape' is neither 'char' nor 'block'" },
		{ "character 9:0", "device type 'character' is neither 'char' nor 'block'" },
		{ "char 4096:0", "major '4096' is not a number from 0 to 4095" },
		{ "char -1:0", "major '-1' is not a number from 0 to 4095" },
		{ "char 0x51:0", "major '0x51' is not a number from 0 to 4095" },
		{ "char 81:1048576", "minor '1048576' is not a number from 0 to 1048575" },
		{ "char 81:", "minor '' is not a number from 0 to 1048575" },
		{ "char 81:**", "minor '**' is not a number from 0 to 1048575" },
		{ "char 180:15-0", "minor range '15-0' must be LOW-HIGH with 0 <= LOW <= HIGH <= 1048575" },
		{ "char 180:0-1048576", "minor range '0-1048576' must be LOW-HIGH with 0 <= LOW <= HIGH <= 1048575" },
		{ "char 180:-5", "minor range '-5' must be LOW-HIGH with 0 <= LOW <= HIGH <= 1048575" },
		{ "char 180:1-", "minor range '1-' must be LOW-HIGH with 0 <= LOW <= HIGH <= 1048575" },
		{ "char 81",
		  "device 'char 81' is not a node path or 'char|block MAJOR:MINOR' (MINOR may be N, LOW-HIGH or *)" },
		{ "char81:0",
		  "device 'char81:0' is not a node path or 'char|block MAJOR:MINOR' (MINOR may be N, LOW-HIGH or *)" },
		{ "video0",
		  "device 'video0' is not a node path or 'char|block MAJOR:MINOR' (MINOR may be N, LOW-HIGH or *)" },
		{ "dev/video0",
		  "device 'dev/video0' is not a node path or 'char|block MAJOR:MINOR' (MINOR may be N, LOW-HIGH or *)" },
		{ "/dev/../etc/shadow", "device path '/dev/../etc/shadow' must be a plain absolute path" },
		{ "/dev/./video0", "device path '/dev/./video0' must be a plain absolute path" },
	};
	struct idg_error err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct idg_policy_device dev = { 0 };
		int r;

		strcpy(err.message, "(not set)");
		r = idg_policy_parse_device(cases[i].spec, &dev, &err);
		if (r != -EINVAL || !streq(err.message, cases[i].message)) {
			print_error("'%s': returned %d with \"%s\", expected -EINVAL with \"%s\"\n", cases[i].spec, r,
				    err.message, cases[i].message);
			fail();
		}
		assert_null(dev.node);
	}
}

static void test_parse_device_too_long(void **state)
{
	char spec[200];
	struct idg_policy_device dev = { 0 };
	struct idg_error err = { "" };

	(void)state;
	memset(spec, '1', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	memcpy(spec, "char 1:", 7);
	assert_int_equal(idg_policy_parse_device(spec, &dev, &err), -EINVAL);
	assert_contains(err.message, "' is too long");
	assert_true(!strncmp(err.message, "device 'char 1:111", 18));
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *text;
		int r;
		uint64_t ms;
	} cases[] = {
		{ "0", 0, 0 },
		{ "1", 0, 1000 },
		{ "1s", 0, 1000 },
		{ "2sec", 0, 2000 },
		{ "500ms", 0, 500 },
		{ "2min", 0, 120000 },
		{ "3h", 0, 10800000 },
		{ "007ms", 0, 7 },
		{ "", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "+1s", -EINVAL, 0 },
		{ " 1s", -EINVAL, 0 },
		{ "1 s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "1S", -EINVAL, 0 },
		{ "1d", -EINVAL, 0 },
		{ "1m", -EINVAL, 0 },
		{ "1sx", -EINVAL, 0 },
		{ "99999999999999999999ms", -ERANGE, 0 },
		{ "18446744073709551h", -ERANGE, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t ms = 4242;
		int r = idg_parse_duration_ms(cases[i].text, &ms);

		if (r != cases[i].r || ms != (cases[i].r ? 4242 : cases[i].ms)) {
			print_error("'%s': returned %d and %llu ms, expected %d and %llu ms\n", cases[i].text, r,
				    (unsigned long long)ms, cases[i].r, (unsigned long long)cases[i].ms);
			fail();
		}
	}
}

/* ---- merging drop-in directories ------------------------------------------------ */

static void test_load_dirs_order_and_replace(void **state)
{
	const char *tmp = *state;
	char *vendor = path_join(tmp, "vendor"), *site = path_join(tmp, "site"), *none = path_join(tmp, "none");
	const char *dirs[] = { vendor, none, site };
	struct idg_policy *policy = NULL;
	struct idg_diags diags = { 0 };
	char *expect;

	make_dir(tmp, "vendor");
	make_dir(tmp, "site");
	write_file(vendor, "10-a.conf", "[Class camera]\nMode=audit\n");
	write_file(vendor, "20-b.conf", "[Class camera]\nMode=enforce\n[Global]\nMode=sometimes\n");
	write_file(vendor, "30-c.conf", "[Class camera]\nMode=off\n");
	write_file(site, "20-b.conf", "[Class scanner]\nMode=audit\n");
	write_file(site, "15-x.conf", "[Class printer]\nMode=enforce\n");
	/* Not drop-ins: wrong suffix, hidden, or nothing before ".conf". */
	write_file(site, "README", "not a policy\n");
	write_file(site, "40-d.conf.orig", "garbage\n");
	write_file(site, ".50-e.conf", "garbage\n");
	write_file(site, ".conf", "garbage\n");

	assert_int_equal(idg_policy_load_dirs(dirs, ARRAY_SIZE(dirs), &policy, &diags), 0);
	assert_non_null(policy);
	if (diags.count) {
		/* vendor/20-b.conf has an error; it must not have been read. */
		print_diags("unexpected diagnostics", &diags);
		fail();
	}
	assert_int_equal(policy->n_files, 4);
	expect = path_join(vendor, "10-a.conf");
	assert_string_equal(policy->files[0], expect);
	free(expect);
	expect = path_join(site, "15-x.conf");
	assert_string_equal(policy->files[1], expect);
	free(expect);
	expect = path_join(site, "20-b.conf");
	assert_string_equal(policy->files[2], expect);
	free(expect);
	expect = path_join(vendor, "30-c.conf");
	assert_string_equal(policy->files[3], expect);
	free(expect);

	/* Read in name order: 30-c.conf from the first directory comes last. */
	assert_int_equal(policy->class_mode[IDG_CLASS_CAMERA], IDG_MODE_OFF);
	assert_int_equal(policy->class_mode[IDG_CLASS_SCANNER], IDG_MODE_AUDIT);
	assert_int_equal(policy->class_mode[IDG_CLASS_PRINTER], IDG_MODE_ENFORCE);
	assert_int_equal(policy->global_mode, IDG_MODE_ENFORCE);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(vendor);
	free(site);
	free(none);
}

static void test_load_dirs_site_overrides_defaults(void **state)
{
	const char *tmp = *state;
	char *vendor = path_join(tmp, "vendor"), *site = path_join(tmp, "site");
	const char *dirs[] = { vendor, site };
	struct idg_policy *policy = NULL;
	struct idg_diags diags = { 0 };
	size_t cameras = 0, printers = 0;
	FILE *defaults = NULL;
	/* The shipped policy itself, as installed in the vendor directory. */
	char *defaults_path = path_join(test_data_dir(), "../../policy/10-defaults.conf");
	static char text[16384];
	size_t len;

	defaults = fopen(defaults_path, "re");
	free(defaults_path);
	assert_non_null(defaults);
	len = fread(text, 1, sizeof(text) - 1, defaults);
	text[len] = '\0';
	(void)fclose(defaults);

	make_dir(tmp, "vendor");
	make_dir(tmp, "site");
	write_file(vendor, "10-defaults.conf", text);
	write_file(site, "50-site.conf",
		   "[Global]\n"
		   "Mode=audit\n"
		   "[Class camera]\n"
		   "Device=\n"
		   "Device=char 240:0\n"
		   "[Class card-reader]\n"
		   "Mode=enforce\n"
		   "[Class storage]\n"
		   "Mode=enforce\n");
	assert_int_equal(idg_policy_load_dirs(dirs, ARRAY_SIZE(dirs), &policy, &diags), 0);
	assert_int_equal(diags.count, 0);

	for (size_t i = 0; i < policy->n_devices; i++) {
		const struct idg_policy_device *d = &policy->devices[i];

		if (d->class_id == IDG_CLASS_CAMERA) {
			cameras++;
			/* The vendor's char 81:* is gone; only the site's line is left. */
			assert_int_equal(d->major, 240);
			assert_int_equal(d->minor_lo, 0);
			assert_false(d->whole_major);
			assert_contains(d->file, "site/50-site.conf");
			assert_int_equal(d->line, 5);
		} else if (d->class_id == IDG_CLASS_PRINTER) {
			printers++;
			assert_int_equal(d->major, 180);
		}
	}
	assert_int_equal(cameras, 1);
	assert_int_equal(printers, 1);
	/* systemd-udevd, cups, cups-browsed, saned.socket, saned@*, ipp-usb */
	assert_int_equal(policy->n_exempt, 6);

	/* Later Mode= wins; the [Global] ceiling then caps every class. */
	assert_int_equal(policy->global_mode, IDG_MODE_AUDIT);
	assert_int_equal(policy->class_mode[IDG_CLASS_CARD_READER], IDG_MODE_ENFORCE);
	assert_int_equal(policy->class_mode[IDG_CLASS_STORAGE], IDG_MODE_ENFORCE);
	assert_int_equal(policy->class_mode[IDG_CLASS_CAMERA], IDG_MODE_ENFORCE);
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_CARD_READER), IDG_MODE_AUDIT);
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_STORAGE), IDG_MODE_AUDIT);
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_CAMERA), IDG_MODE_AUDIT);
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_PRINTER), IDG_MODE_AUDIT);

	/* A global "off" switches everything off; a class "off" stays off under enforce. */
	policy->global_mode = IDG_MODE_OFF;
	for (unsigned c = 1; c <= IDG_CLASS_UNCLASSIFIED; c++)
		assert_int_equal(idg_policy_effective_mode(policy, c), IDG_MODE_OFF);
	policy->global_mode = IDG_MODE_ENFORCE;
	policy->class_mode[IDG_CLASS_SCANNER] = IDG_MODE_OFF;
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_SCANNER), IDG_MODE_OFF);
	assert_int_equal(idg_policy_effective_mode(policy, IDG_CLASS_CARD_READER), IDG_MODE_ENFORCE);
	idg_policy_free(policy);
	free(vendor);
	free(site);
}

static void test_load_dirs_reports_file_and_line(void **state)
{
	const char *tmp = *state;
	const char *dirs[] = { tmp };
	struct idg_policy *policy = NULL;
	struct idg_diags diags = { 0 };
	char *path = path_join(tmp, "60-typo.conf"), buf[1024], *expect;

	write_file(tmp, "60-typo.conf", "[Class camera]\nMode=enforce\nDevice=char 81\n");
	assert_int_equal(idg_policy_load_dirs(dirs, 1, &policy, &diags), 0);
	/* The policy is returned; the caller must refuse it because of the error. */
	assert_non_null(policy);
	assert_int_equal(diags.errors, 1);
	idg_diags_first_error(&diags, buf, sizeof(buf));
	assert_true(asprintf(&expect,
			     "%s:3: error: device 'char 81' is not a node path or 'char|block MAJOR:MINOR' "
			     "(MINOR may be N, LOW-HIGH or *)",
			     path) > 0);
	assert_string_equal(buf, expect);
	free(expect);
	free(path);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

static void test_load_dirs_problems(void **state)
{
	const char *tmp = *state;
	char *file = path_join(tmp, "not-a-dir"), *many = path_join(tmp, "many"), name[32];
	const char *dirs[] = { file, many };
	struct idg_policy *policy = NULL;
	struct idg_diags diags = { 0 };

	write_file(tmp, "not-a-dir", "");
	make_dir(tmp, "many");
	for (int i = 0; i <= IDG_POLICY_MAX_FILES; i++) {
		(void)snprintf(name, sizeof(name), "%03d.conf", i);
		write_file(many, name, "");
	}
	assert_int_equal(idg_policy_load_dirs(dirs, ARRAY_SIZE(dirs), &policy, &diags), 0);
	assert_non_null(policy);
	assert_int_equal(diags.errors, 2);
	assert_string_equal(diags.items[0].file, file);
	assert_string_equal(diags.items[0].message, "cannot read directory: Not a directory");
	assert_string_equal(diags.items[1].file, many);
	assert_string_equal(diags.items[1].message, "more than 256 policy files");
	/* The first 256 found are still read. */
	assert_int_equal(policy->n_files, IDG_POLICY_MAX_FILES);
	free(file);
	free(many);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

/* ---- what a load reads, and how much ----------------------------------------------- */

/* A regression would wait in open() of a FIFO for a writer that never
 * comes: SIGALRM then ends the test binary, a failure, not a hang. */
#define HANG_GUARD_SECONDS 10

static void make_socket(const char *dir, const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name) < (int)sizeof(addr.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	(void)close(fd); /* the socket file stays */
}

/* false when not allowed: the package build runs these tests without root. */
static bool make_node(const char *dir, const char *name, mode_t mode, dev_t dev)
{
	char *path = path_join(dir, name);
	int r = mknod(path, mode, dev);

	if (r < 0 && errno != EPERM) {
		print_error("cannot create %s: %s\n", path, strerror(errno));
		free(path);
		fail();
	}
	if (r < 0)
		print_message("    (not root: no device node %s)\n", path);
	free(path);
	return r == 0;
}

static void make_link(const char *dir, const char *name, const char *target)
{
	char *path = path_join(dir, name);
	int r = symlink(target, path);

	free(path);
	assert_int_equal(r, 0);
}

/* Whether diags holds the error "PATH: error: TEXT" (no line) for dir/name. */
static bool has_file_error(const struct idg_diags *diags, const char *dir, const char *name, const char *text)
{
	char *path = path_join(dir, name);
	bool found = false;

	for (size_t i = 0; i < diags->count && !found; i++)
		found = !diags->items[i].warning && diags->items[i].line == 0 && diags->items[i].file &&
			streq(diags->items[i].file, path) && streq(diags->items[i].message, text);
	free(path);
	return found;
}

/* Issue 13: a FIFO named x.conf hung `idguardctl policy check` and, on a
 * reload, idguardd for good. Only regular files are read: a FIFO, a socket,
 * a device node (even one with /dev/null's numbers), a directory and a link
 * to a device are refused, each naming its path and what it is. A link to
 * /dev/null itself still switches off the file of that name in an earlier
 * directory, as idguard-policy(5) says. */
static void test_load_dirs_only_regular_files(void **state)
{
	static const struct {
		const char *name, *error;
		bool node;
	} refused[] = {
		{ "10-fifo.conf", "is a FIFO, not a regular file", false },
		{ "20-socket.conf", "is a socket, not a regular file", false },
		{ "30-null-node.conf", "is a character device, not a regular file", true },
		{ "31-block-node.conf", "is a block device, not a regular file", true },
		{ "40-dir.conf", "is a directory, not a regular file", false },
		{ "50-zero-link.conf", "is a character device, not a regular file", false },
	};
	size_t expected = 0;
	bool nodes;
	const char *tmp = *state;
	char *vendor = path_join(tmp, "vendor"), *site = path_join(tmp, "site"), *fifo;
	const char *dirs[] = { vendor, site };
	struct idg_policy *policy = NULL;
	struct idg_diags diags = { 0 };
	int r;

	make_dir(tmp, "vendor");
	make_dir(tmp, "site");
	write_file(vendor, "60-masked.conf", "[Global]\nMode=off\n");
	write_file(site, "70-site.conf", "[Class camera]\nMode=audit\n");
	fifo = path_join(site, "10-fifo.conf");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	make_socket(site, "20-socket.conf");
	nodes = make_node(site, "30-null-node.conf", S_IFCHR | 0644, makedev(1, 3)) &&
		make_node(site, "31-block-node.conf", S_IFBLK | 0644, makedev(7, 0));
	make_dir(site, "40-dir.conf");
	make_link(site, "50-zero-link.conf", "/dev/zero");
	make_link(site, "60-masked.conf", "/dev/null");

	(void)alarm(HANG_GUARD_SECONDS);
	r = idg_policy_load_dirs(dirs, ARRAY_SIZE(dirs), &policy, &diags);
	(void)alarm(0);
	assert_int_equal(r, 0);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		if (refused[i].node && !nodes)
			continue;
		expected++;
		if (!has_file_error(&diags, site, refused[i].name, refused[i].error)) {
			print_error("no error \"%s\" for %s\n", refused[i].error, refused[i].name);
			print_diags("diagnostics", &diags);
			fail();
		}
	}
	assert_int_equal(diags.errors, expected);
	/* The link to /dev/null read as empty, in place of vendor/60-masked.conf. */
	assert_int_equal(policy->n_files, 2);
	assert_int_equal(policy->global_mode, IDG_MODE_ENFORCE);
	assert_int_equal(policy->class_mode[IDG_CLASS_CAMERA], IDG_MODE_AUDIT);
	idg_diags_clear(&diags);
	idg_policy_free(policy);

	/* A file named on the command line (idguardctl policy check FILE) too. */
	policy = idg_policy_new();
	(void)alarm(HANG_GUARD_SECONDS);
	r = idg_policy_parse_file(policy, fifo, &diags);
	(void)alarm(0);
	assert_int_equal(r, -EBADFD);
	assert_int_equal(diags.errors, 1);
	assert_string_equal(diags.items[0].file, fifo);
	assert_string_equal(diags.items[0].message, "is a FIFO, not a regular file");
	assert_int_equal(policy->n_files, 0);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(fifo);
	free(vendor);
	free(site);
}

/* Writes size bytes of comment lines to dir/name. */
static void write_comment_file(const char *dir, const char *name, size_t size)
{
	char *path = path_join(dir, name), line[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	free(path);
	assert_true(fd >= 0);
	memset(line, '#', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (size_t i = 0; i < size / sizeof(line); i++)
		assert_int_equal(write(fd, line, sizeof(line)), sizeof(line));
	(void)close(fd);
}

/* The files of one load are read up to IDG_POLICY_MAX_TOTAL_BYTES together,
 * not up to 256 files of 1 MiB each: a file past that is refused. */
static void test_load_dirs_total_size_cap(void **state)
{
	const char *tmp = *state;
	const char *dirs[] = { tmp };
	struct idg_policy *policy = NULL;
	struct idg_diags diags = { 0 };
	char name[32];

	assert_int_equal(IDG_POLICY_MAX_TOTAL_BYTES % IDG_POLICY_MAX_FILE_BYTES, 0);
	for (int i = 0; i < IDG_POLICY_MAX_TOTAL_BYTES / IDG_POLICY_MAX_FILE_BYTES; i++) {
		(void)snprintf(name, sizeof(name), "%02d-big.conf", 10 + i);
		write_comment_file(tmp, name, IDG_POLICY_MAX_FILE_BYTES);
	}
	write_file(tmp, "99-late.conf", "[Global]\nMode=off\n");
	assert_int_equal(idg_policy_load_dirs(dirs, 1, &policy, &diags), 0);
	if (diags.errors != 1 ||
	    !has_file_error(&diags, tmp, "99-late.conf", "the files read together would be larger than 4194304 bytes")) {
		print_diags("expected one error, for 99-late.conf", &diags);
		fail();
	}
	assert_int_equal(policy->n_files, IDG_POLICY_MAX_TOTAL_BYTES / IDG_POLICY_MAX_FILE_BYTES);
	assert_int_equal(policy->global_mode, IDG_MODE_ENFORCE);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

/* The text of count sections, section i written by write; the caller frees. */
static char *repeat_sections(unsigned count, void (*write)(FILE *out, unsigned i))
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	for (unsigned i = 0; i < count; i++)
		write(out, i);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void write_endpoint_own_address(FILE *out, unsigned i)
{
	(void)fprintf(out, "[Endpoint e%u]\nClass=scanner\nAddress=10.1.%u.%u\nPort=9100\n", i, i / 256, i % 256);
}

static void write_endpoint_shared_address(FILE *out, unsigned i)
{
	(void)fprintf(out, "[Endpoint e%u]\nClass=scanner\nAddress=10.0.0.1\nPort=%u\n", i, 1 + i);
}

/* The last 40 without Class= and Port=. */
static void write_endpoint_incomplete(FILE *out, unsigned i)
{
	if (i < 10000 - 40)
		(void)fprintf(out, "[Endpoint e%u]\nClass=camera\nAddress=10.0.0.1\nPort=%u\n", i, 1 + i);
	else
		(void)fprintf(out, "[Endpoint e%u]\nAddress=10.0.0.1\n", i);
}

static void write_broker_one_path(FILE *out, unsigned i)
{
	(void)fprintf(out, "[Broker b%u]\nClass=scanner\nPath=/run/one.sock\n", i);
}

static void write_clearing_lines(FILE *out, unsigned i)
{
	(void)fprintf(out, "[Class camera]\nDevice=char 81:%u\nMatchSubsystem=video4linux\n"
			   "[Class scanner]\nDevice=\nMatchSubsystem=\n[Exempt]\nCGroup=/a%u\nUnit=\n",
		      i, i);
}

/* Issue 13: a policy of 10,000 [Endpoint] sections took 7 to 17 s to
 * refuse (each section looked up among all before it, each address among
 * all others). Refused now in time linear in its size (measured by hand);
 * here, that it is refused right, and that a later section of the same
 * name still adds to the first. */
static void test_many_endpoints_refused(void **state)
{
	char *text = repeat_sections(10000, write_endpoint_own_address);
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };
	struct idg_endpoint_table table;

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "many.conf", text, &diags), 0);
	assert_int_equal(idg_policy_parse_string(policy, "again.conf",
						 "[Endpoint e0]\nPort=631\n[Endpoint e9999]\nAddress=fd00::1\n", &diags),
			 0);
	idg_policy_check_endpoints(policy, &diags);
	if (diags.count) {
		print_diags("unexpected diagnostics", &diags);
		fail();
	}
	assert_int_equal(policy->n_endpoints, 10000);
	assert_int_equal(policy->endpoints[0].n_ports, 2);
	assert_int_equal(policy->endpoints[9999].n_prefixes, 2);
	assert_int_equal(idg_endpoint_table_build(policy, NULL, 0, &table, &diags), 0);
	/* Reported at the first section past the kernel map, e4096. */
	assert_int_equal(diags.errors, 1);
	assert_string_equal(diags.items[0].message,
			    "more than 4096 addresses and prefixes in [Endpoint] sections: the kernel map holds 4096");
	assert_string_equal(diags.items[0].file, "many.conf");
	assert_int_equal(diags.items[0].line, 4096 * 4 + 1);
	assert_int_equal(table.count, 0);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
}

/* 10,000 endpoints on one address: more port rules than the kernel keeps
 * for one address, reported at the 17th endpoint. */
static void test_many_endpoints_on_one_address_refused(void **state)
{
	char *text = repeat_sections(10000, write_endpoint_shared_address);
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };
	struct idg_endpoint_table table;

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "many.conf", text, &diags), 0);
	idg_policy_check_endpoints(policy, &diags);
	assert_int_equal(diags.count, 0);
	assert_int_equal(idg_endpoint_table_build(policy, NULL, 0, &table, &diags), 0);
	assert_int_equal(diags.errors, 1);
	assert_string_equal(diags.items[0].message, "more than 16 port rules apply to 10.0.0.1/32; merge ports into ranges");
	assert_int_equal(diags.items[0].line, 16 * 4 + 1);
	assert_int_equal(table.count, 0);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
}

/* Of 10,000 [Endpoint] sections, 40 lack Class= and Port=: two errors
 * each, at the sections. */
static void test_many_incomplete_endpoints_refused(void **state)
{
	char *text = repeat_sections(10000, write_endpoint_incomplete);
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "many.conf", text, &diags), 0);
	idg_policy_check_endpoints(policy, &diags);
	assert_int_equal(diags.errors, 80);
	assert_string_equal(diags.items[0].message, "[Endpoint e9960] has no Class=");
	assert_int_equal(diags.items[0].line, 9960 * 4 + 1);
	assert_string_equal(diags.items[79].message, "[Endpoint e9999] has no Port=");
	assert_int_equal(diags.items[79].line, 9960 * 4 + 39 * 2 + 1);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
}

/* A file of garbage is refused with the first 100 errors and a count of
 * the rest: printing (and recording) 400,000 lines would stall the daemon. */
static void test_diagnostics_capped_totals_exact(void **state)
{
	size_t lines = 400, len = lines * strlen("garbage\n") + 1;
	char *text = malloc(len);
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	(void)state;
	assert_non_null(text);
	text[0] = '\0';
	for (size_t i = 0; i < lines; i++)
		strcat(text, "garbage\n");
	(void)idg_policy_parse_string(policy, "garbage.conf", text, &diags);
	assert_int_equal(diags.count, 101);
	assert_int_equal(idg_diags_error_total(&diags), 400);
	assert_int_equal(idg_diags_warning_total(&diags), 0);
	assert_int_equal(diags.items[99].line, 100);
	assert_string_equal(diags.items[100].message, "300 more errors not shown");
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
}

/* A broker with the path of an earlier one is one error, naming the first:
 * each used to be reported against every broker before it (90 brokers gave
 * 4,005 errors; 10,000 gave 50 million, in 9 GB). */
static void test_many_brokers_one_path(void **state)
{
	char *text = repeat_sections(90, write_broker_one_path);
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "brokers.conf", text, &diags), 0);
	assert_int_equal(diags.count, 0);
	idg_policy_check_endpoints(policy, &diags);
	/* "more than 64 [Broker] sections", then one for each after the first. */
	assert_int_equal(diags.errors, 1 + 89);
	assert_string_equal(diags.items[0].message, "more than 64 [Broker] sections: the kernel map holds 64");
	assert_string_equal(diags.items[2].message,
			    "[Broker b2] has the same Path= as [Broker b0] (brokers.conf:1)");
	assert_int_equal(diags.items[2].line, 7);
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
}

/* A product in two classes: each later rule names the first rule for the
 * product in another class than its own. */
static void test_vid_pid_in_two_classes(void **state)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "test.conf",
						 "[Class scanner]\n"          /* 1 */
						 "MatchVidPid=04a9:1234\n"    /* 2 */
						 "[Class camera]\n"           /* 3 */
						 "MatchVidPid=04a9:1234\n"    /* 4: scanner, line 2 */
						 "[Class scanner]\n"          /* 5 */
						 "MatchVidPid=04a9:1234\n"    /* 6: camera, line 4 */
						 "MatchVidPid=04a9:*\n"       /* 7: another product */
						 "[Class printer]\n"          /* 8 */
						 "MatchVidPid=04a9:*\n"       /* 9: scanner, line 7 */
						 "MatchVidPid=04a9:5678\n",   /* 10 */
						 &diags),
			 0);
	idg_policy_check_matches(policy, &diags);
	assert_int_equal(diags.errors, 3);
	assert_int_equal(diags.items[0].line, 4);
	assert_string_equal(diags.items[0].message, "MatchVidPid=04a9:1234 is also in [Class scanner] (test.conf:2); "
						    "a product can be in one class only");
	assert_int_equal(diags.items[1].line, 6);
	assert_contains(diags.items[1].message, "is also in [Class camera] (test.conf:4)");
	assert_int_equal(diags.items[2].line, 9);
	assert_string_equal(diags.items[2].message, "MatchVidPid=04a9:* is also in [Class scanner] (test.conf:7); "
						    "a product can be in one class only");
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

/* Empty list lines clear what came before them, in this file and earlier
 * ones, however many there are. */
static void test_many_clearing_lines(void **state)
{
	char *text = repeat_sections(5000, write_clearing_lines);
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "10-first.conf",
						 "[Class scanner]\nDevice=char 180:0\nMatchSubsystem=usb\n"
						 "[Exempt]\nUnit=a.service\n",
						 &diags),
			 0);
	assert_int_equal(idg_policy_parse_string(policy, "20-many.conf", text, &diags), 0);
	assert_int_equal(diags.count, 0);
	/* Only what the scanner lines and Unit= cleared is gone. */
	assert_int_equal(policy->n_devices, 5000);
	assert_int_equal(policy->devices[0].class_id, IDG_CLASS_CAMERA);
	assert_int_equal(policy->devices[4999].minor_lo, 4999);
	assert_int_equal(policy->n_matches, 5000);
	assert_int_equal(policy->matches[0].class_id, IDG_CLASS_CAMERA);
	assert_int_equal(policy->n_exempt, 5000);
	assert_false(policy->exempt[0].is_unit);
	assert_string_equal(policy->exempt[4999].name, "/a4999");
	idg_diags_clear(&diags);
	idg_policy_free(policy);
	free(text);
}

/* ---- the merged policy as INI ---------------------------------------------------- */

/* What `idguardctl policy show` prints for policy (free it). */
static char *format_ini(const struct idg_policy *policy)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	idg_policy_format_ini(policy, out);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_format_ini(void **state)
{
	struct idg_policy *policy = parse_ok("[Global]\n"
					     "Mode=audit\n"
					     "RepeatWindow=2s\n"
					     "[Class camera]\n"
					     "Device=char 81:*\n"
					     "[Class printer]\n"
					     "Device=char 180:0-15\n"
					     "[Exempt]\n"
					     "Unit=cups.service\n"
					     "CGroup=/x/y\n");
	char *text = format_ini(policy);
	struct idg_policy *again;
	struct idg_diags diags = { 0 };

	(void)state;
	assert_contains(text, "# Effective policy merged from:\n#   test.conf\n");
	assert_contains(text, "\n[Global]\nMode=audit\nRepeatWindow=2000ms\nStatsInterval=60s\n");
	assert_contains(text, "\n[Class camera]\nMode=enforce  ; runs as audit: [Global] Mode caps it\n"
			      "Device=char 81:*  ; test.conf:5\n");
	assert_contains(text, "\n[Class printer]\nMode=audit\nDevice=char 180:0-15  ; test.conf:7\n");
	assert_contains(text, "\n[Class storage]\nMode=off\n");
	assert_contains(text, "\n[Exempt]\nUnit=cups.service  ; test.conf:9\nCGroup=/x/y  ; test.conf:10\n");

	/* What `policy show` prints is itself a valid policy with the same meaning. */
	again = idg_policy_new();
	assert_int_equal(idg_policy_parse_string(again, "shown.conf", text, &diags), 0);
	if (diags.count) {
		print_diags("the formatted policy does not parse", &diags);
		fail();
	}
	assert_int_equal(again->global_mode, policy->global_mode);
	assert_memory_equal(again->class_mode, policy->class_mode, sizeof(policy->class_mode));
	assert_int_equal(again->repeat_window_ms, policy->repeat_window_ms);
	assert_int_equal(again->n_devices, policy->n_devices);
	assert_int_equal(again->n_exempt, policy->n_exempt);
	idg_policy_free(again);
	idg_policy_free(policy);
	free(text);
}

/* [Approval] is for `idguardctl token approve`; a policy file accepts it
 * so that one site file serves as policy and registry (idguardd ignores
 * it). `policy show` writes it back with where it was set. */
static void test_approval_section(void **state)
{
	struct idg_policy *policy = parse_ok("[Global]\n"
					     "Mode=enforce\n"
					     "[Approval]\n"
					     "MaxRequestAge=2d\n"
					     "MaxRequestAge=12h\n");
	char *text = format_ini(policy);
	struct idg_policy *again = parse_ok(text);

	(void)state;
	assert_int_equal(policy->approval.max_request_age_sec, 12 * 3600);
	assert_string_equal(policy->approval.max_request_age_file, "test.conf");
	assert_int_equal(policy->approval.max_request_age_line, 5);
	assert_contains(text, "\n[Approval]  ; for idguardctl token approve\nMaxRequestAge=12h  ; test.conf:5\n");
	assert_int_equal(again->approval.max_request_age_sec, 12 * 3600);
	idg_policy_free(again);
	idg_policy_free(policy);
	free(text);

	/* Not set: not shown. */
	policy = parse_ok("[Global]\nMode=audit\n");
	text = format_ini(policy);
	assert_null(strstr(text, "[Approval]"));
	idg_policy_free(policy);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_defaults),
		cmocka_unit_test(test_good_samples),
		cmocka_unit_test(test_bad_samples),
		cmocka_unit_test(test_device_lines),
		cmocka_unit_test(test_empty_device_clears_own_class),
		cmocka_unit_test(test_exempt_lines),
		cmocka_unit_test(test_scalars_last_wins),
		cmocka_unit_test(test_notify_section),
		cmocka_unit_test(test_bad_value_keeps_previous),
		cmocka_unit_test(test_cgroup_path_dot_component_refused),
		cmocka_unit_test(test_utf8_bom_accepted),
		cmocka_unit_test_setup_teardown(test_unreadable_files, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_parse_device_good),
		cmocka_unit_test(test_parse_device_path),
		cmocka_unit_test(test_parse_device_bad),
		cmocka_unit_test(test_parse_device_too_long),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test_setup_teardown(test_load_dirs_order_and_replace, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_dirs_site_overrides_defaults, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_dirs_reports_file_and_line, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_dirs_problems, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_dirs_only_regular_files, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_dirs_total_size_cap, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_many_endpoints_refused),
		cmocka_unit_test(test_many_endpoints_on_one_address_refused),
		cmocka_unit_test(test_many_incomplete_endpoints_refused),
		cmocka_unit_test(test_many_brokers_one_path),
		cmocka_unit_test(test_diagnostics_capped_totals_exact),
		cmocka_unit_test(test_vid_pid_in_two_classes),
		cmocka_unit_test(test_many_clearing_lines),
		cmocka_unit_test(test_format_ini),
		cmocka_unit_test(test_approval_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
