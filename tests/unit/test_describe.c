// SPDX-License-Identifier: GPL-2.0-only
/*
 * From kernel decision records to journal records (describe.h), on
 * hand-built struct idg_event values: the exact MESSAGE sentence of a denied,
 * audited and granted access (with an administrator or token grant read from
 * a real grants database), folded repeats ("999 more times in"), the reason
 * texts, a login user other than the uid, the node name found through a fake
 * sysfs tree or the watch list, and the IDGUARD_* fields, PRIORITY and
 * MESSAGE_ID auditors filter on. Also idg_node_from_sysfs on its own.
 */
#include "unit.h"

#include "describe.h"
#include "devices.h"
#include "grants.h"
#include "journal.h"
#include "policy.h"
#include "store.h"
#include "util.h"
#include "watchlist.h"

#define SEC_NS 1000000000ull
#define MIN_NS (60 * SEC_NS)
#define NO_ID 0xffffffffu
#define BOOT_TO_REALTIME_USEC 1700000000000000ll

struct fixture {
	char *tmp;
	char *sysfs;
	sqlite3 *db;
	struct idg_grants *grants;
	struct idg_describe_context ctx;
	struct idg_record rec;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	void *tmp = NULL;

	if (!fx || tmpdir_setup(&tmp) < 0)
		return -1;
	fx->tmp = tmp;
	if (asprintf(&fx->sysfs, "%s/sys-dev", fx->tmp) < 0 || mkdir(fx->sysfs, 0755) < 0)
		return -1;
	fx->ctx.sysfs_dev_dir = fx->sysfs;
	fx->ctx.boot_to_realtime_usec = BOOT_TO_REALTIME_USEC;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	void *tmp = fx->tmp;

	idg_grants_free(fx->grants);
	idg_store_close(fx->db);
	free(fx->sysfs);
	(void)tmpdir_teardown(&tmp);
	free(fx);
	return 0;
}

/* root running cat (pid 42) opens char 240:0, a camera, with no login uid. */
static struct idg_event event(uint8_t verdict, uint8_t reason)
{
	struct idg_event ev = {
		.time_boot_ns = 5 * SEC_NS,
		.last_boot_ns = 5 * SEC_NS,
		.cgroup_id = 1234,
		.count = 1,
		.pid = 43,
		.tgid = 42,
		.uid = 0,
		.loginuid = NO_ID,
		.sessionid = NO_ID,
		.major = 240,
		.minor = 0,
		.access = IDG_ACCESS_READ | IDG_ACCESS_WRITE,
		.dev_type = IDG_DEV_CHAR,
		.kind = IDG_EVENT_ACCESS,
		.gate = IDG_GATE_DEVICE,
		.verdict = verdict,
		.reason = reason,
		.class_id = IDG_CLASS_CAMERA,
		.comm = "cat",
	};

	return ev;
}

/* A field's value, failing at the caller's line with both values shown. */
#define expect_field(rec, name, value) check_field(rec, name, value, __FILE__, __LINE__)

static void check_field(const struct idg_record *rec, const char *name, const char *value, const char *file,
			int line)
{
	const char *got = idg_record_get(rec, name);

	if (!got || !streq(got, value)) {
		print_error("%s is %s%s%s, expected \"%s\"\n", name, got ? "\"" : "", got ? got : "missing",
			    got ? "\"" : "", value);
		_fail(file, line);
	}
}

static struct idg_grant_info add_grant(struct fixture *fx, const char *source)
{
	struct idg_grant_info g = {
		.scope = IDG_SCOPE_UID,
		.subject = 0,
		.uid = 0,
		.user = "root",
		.class_mask = 1u << IDG_CLASS_CAMERA,
		.duration_ns = 10 * MIN_NS,
	};
	struct idg_error err = { "" };

	if (!fx->grants) {
		char *state_dir = path_join(fx->tmp, "state");

		if (idg_store_open(state_dir, &fx->db, &err) != 0 || idg_grants_open(fx->db, &fx->grants, &err) != 0) {
			print_error("%s\n", err.message);
			fail();
		}
		free(state_dir);
		fx->ctx.grants = fx->grants;
	}
	(void)snprintf(g.source, sizeof(g.source), "%s", source);
	if (streq(source, "token")) {
		strcpy(g.token_id, "tok-7f3a");
		strcpy(g.purpose, "account-opening");
		strcpy(g.ref, "CASE-2026-0042");
		strcpy(g.approver, "wang");
	}
	assert_int_equal(idg_grants_add(fx->grants, &g, &err), 0);
	return g;
}

/* "10:15:00": how a message names a time of today. */
static void clock_text(uint64_t usec, char *buf, size_t size)
{
	char full[64];

	idg_format_time(usec, full, sizeof(full));
	assert_int_equal(strlen(full), 19);
	(void)snprintf(buf, size, "%s", full + 11);
}

/* ---- verdicts ---------------------------------------------------------------------- */

static void test_denied(void **state)
{
	struct fixture *fx = *state;
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);

	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused root (uid 0) opening camera char 240:0 with cat (pid 42): no purpose token");
	expect_field(&fx->rec, "MESSAGE_ID", IDG_MSG_ACCESS_DENIED);
	expect_field(&fx->rec, "PRIORITY", "4");
	/* Not OBJECT_PID=: journald would copy the command line in, unfiltered. */
	assert_null(idg_record_get(&fx->rec, "OBJECT_PID"));
	expect_field(&fx->rec, "IDGUARD_EVENT", "access");
	expect_field(&fx->rec, "IDGUARD_GATE", "device");
	expect_field(&fx->rec, "IDGUARD_VERDICT", "denied");
	expect_field(&fx->rec, "IDGUARD_REASON", "no-grant");
	expect_field(&fx->rec, "IDGUARD_CLASS", "camera");
	expect_field(&fx->rec, "IDGUARD_DEVICE", "char 240:0");
	expect_field(&fx->rec, "IDGUARD_ACCESS", "read,write");
	expect_field(&fx->rec, "IDGUARD_PID", "42");
	expect_field(&fx->rec, "IDGUARD_TID", "43");
	expect_field(&fx->rec, "IDGUARD_COMM", "cat");
	expect_field(&fx->rec, "IDGUARD_UID", "0");
	expect_field(&fx->rec, "IDGUARD_USER", "root");
	expect_field(&fx->rec, "IDGUARD_CGROUP_ID", "1234");
	expect_field(&fx->rec, "IDGUARD_COUNT", "1");
	expect_field(&fx->rec, "IDGUARD_FIRST_USEC", "1700000005000000");
	expect_field(&fx->rec, "IDGUARD_LAST_USEC", "1700000005000000");
	/* Nothing that is not known is made up. */
	assert_null(idg_record_get(&fx->rec, "IDGUARD_NODE"));
	assert_null(idg_record_get(&fx->rec, "IDGUARD_POLICY_SOURCE"));
	assert_null(idg_record_get(&fx->rec, "IDGUARD_LOGINUID"));
	assert_null(idg_record_get(&fx->rec, "IDGUARD_LOGIN_USER"));
	assert_null(idg_record_get(&fx->rec, "IDGUARD_SESSION"));
	assert_null(idg_record_get(&fx->rec, "IDGUARD_GRANT_ID"));
	assert_false(fx->rec.truncated);
}

static void test_audited(void **state)
{
	struct fixture *fx = *state;
	struct idg_event ev = event(IDG_VERDICT_AUDITED, IDG_REASON_NO_GRANT);

	ev.class_id = IDG_CLASS_CARD_READER;
	ev.access = IDG_ACCESS_READ;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Audit only: allowed root (uid 0) opening card-reader char 240:0 with cat (pid 42) although it "
		     "would be refused: no purpose token");
	expect_field(&fx->rec, "MESSAGE_ID", IDG_MSG_ACCESS_AUDITED);
	expect_field(&fx->rec, "PRIORITY", "5");
	expect_field(&fx->rec, "IDGUARD_VERDICT", "audited");
	expect_field(&fx->rec, "IDGUARD_CLASS", "card-reader");
	expect_field(&fx->rec, "IDGUARD_ACCESS", "read");
}

static void test_granted_admin(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info g = add_grant(fx, "admin");
	struct idg_event ev = event(IDG_VERDICT_GRANTED, IDG_REASON_UID_GRANT);
	char until[16], *message;

	ev.grant_id = g.id;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	clock_text(g.expires_usec, until, sizeof(until));
	assert_true(asprintf(&message,
			     "Allowed root (uid 0) opening camera char 240:0 with cat (pid 42) under grant %llu: "
			     "administrator grant, until %s",
			     (unsigned long long)g.id, until) > 0);
	expect_field(&fx->rec, "MESSAGE", message);
	free(message);
	assert_true(asprintf(&message, "under grant %llu: administrator grant, until ", (unsigned long long)g.id) > 0);
	assert_contains(idg_record_get(&fx->rec, "MESSAGE"), message);
	free(message);
	expect_field(&fx->rec, "MESSAGE_ID", IDG_MSG_ACCESS_GRANTED);
	expect_field(&fx->rec, "PRIORITY", "6");
	expect_field(&fx->rec, "IDGUARD_VERDICT", "granted");
	expect_field(&fx->rec, "IDGUARD_REASON", "uid-grant");
	expect_field(&fx->rec, "IDGUARD_GRANT_SOURCE", "admin");
	assert_int_equal(strtoull(idg_record_get(&fx->rec, "IDGUARD_GRANT_ID"), NULL, 10), g.id);
	assert_null(idg_record_get(&fx->rec, "IDGUARD_TOKEN_ID"));
	assert_null(idg_record_get(&fx->rec, "IDGUARD_PURPOSE"));
}

static void test_granted_token(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info g = add_grant(fx, "token");
	struct idg_event ev = event(IDG_VERDICT_GRANTED, IDG_REASON_SESSION_GRANT);
	char until[16], *message;

	ev.grant_id = g.id;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	clock_text(g.expires_usec, until, sizeof(until));
	assert_true(asprintf(&message,
			     "Allowed root (uid 0) opening camera char 240:0 with cat (pid 42) under grant %llu: token "
			     "tok-7f3a for account-opening, ref CASE-2026-0042, approved by wang, until %s",
			     (unsigned long long)g.id, until) > 0);
	expect_field(&fx->rec, "MESSAGE", message);
	free(message);
	expect_field(&fx->rec, "IDGUARD_REASON", "session-grant");
	expect_field(&fx->rec, "IDGUARD_GRANT_SOURCE", "token");
	expect_field(&fx->rec, "IDGUARD_TOKEN_ID", "tok-7f3a");
	expect_field(&fx->rec, "IDGUARD_PURPOSE", "account-opening");
	expect_field(&fx->rec, "IDGUARD_REF", "CASE-2026-0042");
	expect_field(&fx->rec, "IDGUARD_APPROVER", "wang");
}

static void test_granted_unknown_grant(void **state)
{
	struct fixture *fx = *state;
	struct idg_event ev = event(IDG_VERDICT_GRANTED, IDG_REASON_UID_GRANT);

	/* The grant is not in the database (or no database is at hand). */
	ev.grant_id = 77;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE", "Allowed root (uid 0) opening camera char 240:0 with cat (pid 42) under grant 77");
	expect_field(&fx->rec, "IDGUARD_GRANT_ID", "77");
	assert_null(idg_record_get(&fx->rec, "IDGUARD_GRANT_SOURCE"));
}

/* ---- repeats, reasons, people ---------------------------------------------------- */

static void test_repeat(void **state)
{
	struct fixture *fx = *state;
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);

	ev.kind = IDG_EVENT_REPEAT;
	ev.count = 999;
	ev.last_boot_ns = ev.time_boot_ns + 2500 * 1000000ull;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused root (uid 0) opening camera char 240:0 with cat (pid 42) 999 more times in 2.5 s: no "
		     "purpose token");
	assert_contains(idg_record_get(&fx->rec, "MESSAGE"), "999 more times in");
	expect_field(&fx->rec, "IDGUARD_EVENT", "repeat");
	expect_field(&fx->rec, "IDGUARD_COUNT", "999");
	expect_field(&fx->rec, "IDGUARD_FIRST_USEC", "1700000005000000");
	expect_field(&fx->rec, "IDGUARD_LAST_USEC", "1700000007500000");

	ev.count = 1;
	ev.last_boot_ns = ev.time_boot_ns;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused root (uid 0) opening camera char 240:0 with cat (pid 42) 1 more time in 0.0 s: no "
		     "purpose token");
}

static void test_reason_texts(void **state)
{
	struct fixture *fx = *state;
	struct idg_grant_info g;
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_GRANT_EXPIRED);
	char at[16], *message;

	/* No grant named: the reason stands alone. */
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused root (uid 0) opening camera char 240:0 with cat (pid 42): the grant expired");
	expect_field(&fx->rec, "IDGUARD_REASON", "grant-expired");

	/* The grant that ran out is known: say when. */
	g = add_grant(fx, "token");
	assert_int_equal(idg_grants_end(fx->grants, g.id, "expired", NULL), 0);
	ev.grant_id = g.id;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	clock_text(g.expires_usec, at, sizeof(at));
	assert_true(asprintf(&message,
			     "Refused root (uid 0) opening camera char 240:0 with cat (pid 42): the purpose token "
			     "expired at %s",
			     at) > 0);
	expect_field(&fx->rec, "MESSAGE", message);
	free(message);
	expect_field(&fx->rec, "IDGUARD_PURPOSE", "account-opening");

	ev = event(IDG_VERDICT_DENIED, IDG_REASON_GRANT_OTHER_CLASS);
	ev.class_id = IDG_CLASS_SCANNER;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused root (uid 0) opening scanner char 240:0 with cat (pid 42): the grants held do not "
		     "cover scanner");
	expect_field(&fx->rec, "IDGUARD_REASON", "grant-other-class");
	expect_field(&fx->rec, "IDGUARD_CLASS", "scanner");
}

static void test_login_user(void **state)
{
	struct fixture *fx = *state;
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);

	/* su to root from a login whose uid has no name here. */
	ev.loginuid = 3999999;
	ev.sessionid = 3;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused root (uid 0, logged in as uid 3999999) opening camera char 240:0 with cat (pid 42): no "
		     "purpose token");
	assert_contains(idg_record_get(&fx->rec, "MESSAGE"), "logged in as");
	expect_field(&fx->rec, "IDGUARD_LOGINUID", "3999999");
	expect_field(&fx->rec, "IDGUARD_LOGIN_USER", "uid 3999999");
	expect_field(&fx->rec, "IDGUARD_SESSION", "3");

	/* Logged in as the same uid: nothing to add to the sentence. */
	ev.loginuid = 0;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	assert_not_contains(idg_record_get(&fx->rec, "MESSAGE"), "logged in as");
	expect_field(&fx->rec, "IDGUARD_LOGINUID", "0");
	expect_field(&fx->rec, "IDGUARD_LOGIN_USER", "root");

	/* A uid without a name is still named. */
	ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);
	ev.uid = 3999998;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused uid 3999998 (uid 3999998) opening camera char 240:0 with cat (pid 42): no purpose token");
	expect_field(&fx->rec, "IDGUARD_USER", "uid 3999998");
}

static void test_comm_fills_field(void **state)
{
	struct fixture *fx = *state;
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);

	/* The kernel's comm has no NUL when it uses all 16 bytes. */
	memcpy(ev.comm, "0123456789abcdef", IDG_COMM_LEN);
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "IDGUARD_COMM", "0123456789abcdef");
	assert_contains(idg_record_get(&fx->rec, "MESSAGE"), " with 0123456789abcdef (pid 42)");
}

/* ---- device nodes ----------------------------------------------------------------- */

/* Writes SYSFS/TYPE/MAJOR:MINOR/uevent. */
static void fake_uevent(const char *sysfs, const char *type, const char *numbers, const char *text)
{
	char *dir = path_join(sysfs, type), *node_dir;

	(void)mkdir(dir, 0755);
	node_dir = path_join(dir, numbers);
	assert_int_equal(mkdir(node_dir, 0755), 0);
	write_file(node_dir, "uevent", text);
	free(node_dir);
	free(dir);
}

static void test_node_from_sysfs(void **state)
{
	struct fixture *fx = *state;
	char buf[64];

	fake_uevent(fx->sysfs, "char", "81:0", "MAJOR=81\nMINOR=0\nDEVNAME=video0\n");
	fake_uevent(fx->sysfs, "char", "189:1", "MAJOR=189\nMINOR=1\nDEVNAME=bus/usb/001/002\nDEVTYPE=usb_device\n");
	fake_uevent(fx->sysfs, "block", "8:0", "MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk");
	fake_uevent(fx->sysfs, "char", "10:1", "MAJOR=10\nMINOR=1\n");

	assert_int_equal(idg_node_from_sysfs(fx->sysfs, IDG_DEV_CHAR, 81, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/video0");
	assert_int_equal(idg_node_from_sysfs(fx->sysfs, IDG_DEV_CHAR, 189, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/bus/usb/001/002");
	assert_int_equal(idg_node_from_sysfs(fx->sysfs, IDG_DEV_BLOCK, 8, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/sda");

	strcpy(buf, "untouched");
	/* char and block are separate name spaces */
	assert_int_equal(idg_node_from_sysfs(fx->sysfs, IDG_DEV_BLOCK, 81, 0, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(idg_node_from_sysfs(fx->sysfs, IDG_DEV_CHAR, 81, 1, buf, sizeof(buf)), -ENOENT);
	/* a device without a node */
	assert_int_equal(idg_node_from_sysfs(fx->sysfs, IDG_DEV_CHAR, 10, 1, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "untouched");
}

static void test_node_in_message(void **state)
{
	struct fixture *fx = *state;
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);

	fake_uevent(fx->sysfs, "char", "240:0", "MAJOR=240\nMINOR=0\nDEVNAME=video0\n");
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE",
		     "Refused root (uid 0) opening camera /dev/video0 with cat (pid 42): no purpose token");
	expect_field(&fx->rec, "IDGUARD_NODE", "/dev/video0");
	expect_field(&fx->rec, "IDGUARD_DEVICE", "char 240:0");
}

static void test_node_from_watch_list(void **state)
{
	struct fixture *fx = *state;
	struct idg_policy *policy = idg_policy_new();
	struct idg_watchlist *watches = NULL;
	struct idg_diags diags = { 0 };
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);

	assert_int_equal(idg_policy_parse_string(policy, "50-site.conf", "[Class camera]\nDevice=/dev/null\n", &diags),
			 0);
	assert_int_equal(idg_watchlist_build(policy, &watches, &diags), 0);
	assert_int_equal(diags.count, 0);
	assert_int_equal(watches->count, 1);
	fx->ctx.watches = watches;
	ev.major = 1;
	ev.minor = 3;
	ev.device_id = watches->entries[0].device_id;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	fx->ctx.watches = NULL;
	idg_watchlist_free(watches);
	idg_policy_free(policy);
	expect_field(&fx->rec, "MESSAGE", "Refused root (uid 0) opening camera /dev/null with cat (pid 42): no purpose token");
	expect_field(&fx->rec, "IDGUARD_NODE", "/dev/null");
	expect_field(&fx->rec, "IDGUARD_POLICY_SOURCE", "50-site.conf:2");
	expect_field(&fx->rec, "IDGUARD_DEVICE", "char 1:3");
}

/* A device from udev names itself: by the id the kernel matched, even after
 * it left; a node still caught by a whole-major entry by its number. */
static void test_device_identity(void **state)
{
	struct fixture *fx = *state;
	struct idg_device_table table = { 0 };
	struct idg_device *dev = calloc(1, sizeof(*dev)), *old;
	struct idg_event ev = event(IDG_VERDICT_DENIED, IDG_REASON_NO_GRANT);

	assert_non_null(dev);
	dev->syspath = strdup("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1");
	strcpy(dev->vid_pid, "04a9:1913");
	dev->vendor = strdup("Canon, Inc.");
	dev->model = strdup("CanoScan LiDE 300");
	dev->serial = strdup("SCN0042");
	dev->bus_path = strdup("pci-0000:00:14.0-usb-0:1");
	dev->matched_by = strdup("MatchProperty=libsane_matched=yes (10-defaults.conf:30)");
	dev->class_id = IDG_CLASS_SCANNER;
	dev->device_id = 4242;
	assert_int_equal(idg_device_add_node(dev, IDG_DEV_CHAR, 189, 1, "/dev/bus/usb/001/002", "usb"), 0);
	assert_int_equal(idg_devtable_put(&table, dev, &old), 0);
	fx->ctx.devices = &table;

	ev.major = 189;
	ev.minor = 1;
	ev.class_id = IDG_CLASS_SCANNER;
	ev.device_id = 4242;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "MESSAGE", "Refused root (uid 0) opening scanner /dev/bus/usb/001/002 (Canon, Inc. CanoScan "
					   "LiDE 300 (04a9:1913)) with cat (pid 42): no purpose token");
	expect_field(&fx->rec, "IDGUARD_VID_PID", "04a9:1913");
	expect_field(&fx->rec, "IDGUARD_VENDOR", "Canon, Inc.");
	expect_field(&fx->rec, "IDGUARD_MODEL", "CanoScan LiDE 300");
	expect_field(&fx->rec, "IDGUARD_SERIAL", "SCN0042");
	expect_field(&fx->rec, "IDGUARD_BUS_PATH", "pci-0000:00:14.0-usb-0:1");
	expect_field(&fx->rec, "IDGUARD_DEVICE_LABEL", "Canon, Inc. CanoScan LiDE 300 (04a9:1913)");
	expect_field(&fx->rec, "IDGUARD_POLICY_SOURCE", "MatchProperty=libsane_matched=yes (10-defaults.conf:30)");

	/* It left; the record raised just before is described afterwards. */
	idg_devtable_retire(&table, idg_devtable_take(&table, dev->syspath));
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "IDGUARD_VID_PID", "04a9:1913");
	expect_field(&fx->rec, "IDGUARD_NODE", "/dev/bus/usb/001/002");

	/* Caught by "char 189:*" (another device id) before it was classified. */
	dev = calloc(1, sizeof(*dev));
	assert_non_null(dev);
	dev->syspath = strdup("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-5");
	strcpy(dev->vid_pid, "046d:c31c");
	dev->device_id = 77;
	assert_int_equal(idg_device_add_node(dev, IDG_DEV_CHAR, 189, 5, "/dev/bus/usb/001/006", "usb"), 0);
	assert_int_equal(idg_devtable_put(&table, dev, &old), 0);
	ev.minor = 5;
	ev.device_id = 999;
	ev.class_id = IDG_CLASS_UNCLASSIFIED;
	idg_describe_event(&ev, &fx->ctx, &fx->rec);
	expect_field(&fx->rec, "IDGUARD_CLASS", "unclassified");
	expect_field(&fx->rec, "IDGUARD_VID_PID", "046d:c31c");
	assert_null(idg_record_get(&fx->rec, "IDGUARD_POLICY_SOURCE"));
	fx->ctx.devices = NULL;
	idg_devtable_clear(&table);
}

static void test_user_name(void **state)
{
	char buf[64];

	(void)state;
	idg_user_name(0, buf, sizeof(buf));
	assert_string_equal(buf, "root");
	idg_user_name(3999999, buf, sizeof(buf));
	assert_string_equal(buf, "uid 3999999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_granted_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_granted_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_granted_unknown_grant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reason_texts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comm_fills_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_from_sysfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_in_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_from_watch_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_identity, setup, teardown),
		cmocka_unit_test(test_user_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
