// SPDX-License-Identifier: GPL-2.0-only
/*
 * The words of notices (notice_text.h): for each kind ("refused",
 * "granted", "ending", "ended") and the summary, the exact English title,
 * body, urgency and terminal line; attempts counted; the site's advice
 * with and instead of the token command; the wrong input refused without
 * touching the output; a cut line still valid UTF-8. Then the same in
 * zh_CN from the catalog built in the tree ($IDGUARD_LOCALEDIR, else
 * $BUILD/locale, else build/locale), the site's Chinese advice chosen, and
 * English, never nothing, when the catalog is missing. The zh_CN tests
 * are skipped (and say so) when the zh_CN.UTF-8 locale is not installed
 * (`make deps` generates it).
 */
#include "unit.h"

#include <libintl.h>
#include <locale.h>
#include <time.h>

#include "notice_text.h"
#include "util.h"

/* Times far from today, so they are printed with their date (UTC). */
#define CREATED "1795400285000000" /* 2026-11-23 02:18:05 */
#define EXPIRES "1795400825000000" /* 2026-11-23 02:27:05 */

static const char *refused_json =
	"{\"notice\":\"refused\",\"time_usec\":1795400000000000,\"gate\":\"device\",\"class\":\"camera\","
	"\"device\":\"/dev/video0\",\"device_label\":\"Logitech, Inc. HD Webcam C920\",\"program\":\"cheese\","
	"\"pid\":4242,\"count\":1,\"reason\":\"no-grant\","
	"\"purposes\":[{\"id\":\"account-opening\",\"description\":\"Account opening\","
	"\"description_zh_CN\":\"开立账户\",\"max_minutes\":15,"
	"\"command\":\"idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15\"},"
	"{\"id\":\"telecom-real-name\",\"max_minutes\":10,\"command\":\"idguardctl token request --purpose "
	"telecom-real-name --ref CASE-REF --class camera --minutes 10\"},"
	"{\"id\":\"hotel-registration\",\"max_minutes\":10,\"command\":\"x\"}],"
	"\"advice\":\"Call the branch security officer on 8021.\","
	"\"advice_zh_CN\":\"请致电网点安全员 8021。\",\"fold_key\":\"device:camera:/dev/video0:cheese\"}";

#define GRANT_TOKEN                                                                                        \
	"{\"id\":7,\"user\":\"idgt-wang\",\"uid\":1001,\"classes\":\"scanner,camera\",\"created_usec\":" CREATED \
	",\"expires_usec\":" EXPIRES ",\"source\":\"token\",\"token_id\":\"3f9a\",\"purpose\":\"account-opening\","  \
	"\"ref\":\"CASE-2026-0042\",\"approver\":\"wang\"}"
#define GRANT_ADMIN                                                                                        \
	"{\"id\":8,\"user\":\"idgt-wang\",\"uid\":1001,\"classes\":\"scanner\",\"created_usec\":" CREATED       \
	",\"expires_usec\":" EXPIRES ",\"source\":\"admin\"}"

static struct json_object *parse(const char *json)
{
	struct json_object *obj = json_tokener_parse(json);

	if (!obj) {
		print_error("test JSON does not parse: %s\n", json);
		fail();
	}
	return obj;
}

/* The notice with one member set (a JSON value), for variations. */
static struct json_object *with(const char *json, const char *key, const char *value_json)
{
	struct json_object *obj = parse(json);

	if (value_json)
		json_object_object_add(obj, key, parse(value_json));
	else
		json_object_object_del(obj, key);
	return obj;
}

static void expect_text(struct json_object *notice, const char *title, const char *body, enum idg_urgency urgency)
{
	struct idg_notice_text text;

	memset(&text, 0x55, sizeof(text));
	assert_int_equal(idg_notice_text(notice, &text), 0);
	assert_string_equal(text.title, title);
	assert_string_equal(text.body, body);
	assert_int_equal(text.urgency, urgency);
	assert_non_null(text.icon);
	json_object_put(notice);
}

static void expect_line(struct json_object *notice, const char *line)
{
	char buf[4096];

	assert_int_equal(idg_notice_line(notice, buf, sizeof(buf)), 0);
	assert_string_equal(buf, line);
	json_object_put(notice);
}

/* English, whatever the environment says. */
static int english_setup(void **state)
{
	(void)setenv("TZ", "UTC", 1);
	tzset();
	(void)setenv("LC_ALL", "C.UTF-8", 1);
	(void)unsetenv("LANGUAGE");
	idg_i18n_init();
	return 0;
}

/* ---- English ---------------------------------------------------------------------- */

static void test_refused(void **state)
{
	expect_text(parse(refused_json), "idguard refused the camera",
		    "cheese (pid 4242) tried to open /dev/video0 (Logitech, Inc. HD Webcam C920).\n"
		    "You hold no grant for the camera; using it needs a purpose token approved by your supervisor.\n"
		    "If the case needs it, ask for a purpose token, with the case number in place of CASE-REF:\n"
		    "idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15\n"
		    "(or for: telecom-real-name, hotel-registration)\n"
		    "Call the branch security officer on 8021.",
		    IDG_URGENCY_NORMAL);
}

static void test_refused_counted(void **state)
{
	struct json_object *notice = with(refused_json, "count", "21");

	json_object_object_del(notice, "advice");
	json_object_object_add(notice, "purposes", parse("[{\"id\":\"account-opening\",\"command\":\"idguardctl token "
							   "request --purpose account-opening --ref CASE-REF "
							   "--class camera --minutes 15\"}]"));
	json_object_object_add(notice, "reason", json_object_new_string("grant-other-class"));
	expect_text(notice, "idguard refused the camera",
		    "cheese (pid 4242) tried to open /dev/video0 (Logitech, Inc. HD Webcam C920).\n"
		    "Your grant does not cover the camera.\n"
		    "Refused 21 times in the last minute.\n"
		    "If the case needs it, ask for a purpose token, with the case number in place of CASE-REF:\n"
		    "idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15",
		    IDG_URGENCY_NORMAL);
}

/* No purpose covers the class: the site's advice, or whom to ask. */
static void test_refused_without_purposes(void **state)
{
	struct json_object *notice = with(refused_json, "purposes", "[]");

	json_object_object_add(notice, "reason", json_object_new_string("grant-expired"));
	json_object_object_add(notice, "class", json_object_new_string("unclassified"));
	json_object_object_del(notice, "device_label");
	expect_text(notice, "idguard refused the unrecognised device",
		    "cheese (pid 4242) tried to open /dev/video0.\n"
		    "Your grant for the unrecognised device has ended.\n"
		    "Call the branch security officer on 8021.",
		    IDG_URGENCY_NORMAL);

	notice = with(refused_json, "purposes", "[]");
	json_object_object_del(notice, "advice");
	json_object_object_del(notice, "advice_zh_CN");
	json_object_object_del(notice, "pid");
	json_object_object_del(notice, "reason");
	expect_text(notice, "idguard refused the camera",
		    "cheese tried to open /dev/video0 (Logitech, Inc. HD Webcam C920).\n"
		    "Using the camera needs a grant.\n"
		    "No purpose allows the camera on this workstation; ask your supervisor.",
		    IDG_URGENCY_NORMAL);
}

static void test_refused_network_and_print(void **state)
{
	struct json_object *notice = with(refused_json, "gate", "\"network\"");

	json_object_object_add(notice, "class", json_object_new_string("scanner"));
	json_object_object_add(notice, "device", json_object_new_string("copier-scan at 192.0.2.7:8080"));
	json_object_object_add(notice, "program", json_object_new_string("scanimage"));
	json_object_object_del(notice, "device_label");
	json_object_object_add(notice, "purposes", parse("[]"));
	json_object_object_del(notice, "advice");
	expect_text(notice, "idguard refused the scanner",
		    "scanimage (pid 4242) tried to connect to copier-scan at 192.0.2.7:8080.\n"
		    "You hold no grant for the scanner; using it needs a purpose token approved by your supervisor.\n"
		    "No purpose allows the scanner on this workstation; ask your supervisor.",
		    IDG_URGENCY_NORMAL);

	notice = with(refused_json, "gate", "\"print\"");
	json_object_object_add(notice, "class", json_object_new_string("printer"));
	json_object_object_add(notice, "device", json_object_new_string("counter-copier"));
	json_object_object_add(notice, "program", json_object_new_string("print job 12"));
	json_object_object_del(notice, "device_label");
	json_object_object_del(notice, "pid");
	json_object_object_add(notice, "purposes", parse("[]"));
	expect_text(notice, "idguard refused the printer",
		    "Print job 12 to printer counter-copier was cancelled.\n"
		    "You hold no grant for the printer; using it needs a purpose token approved by your supervisor.\n"
		    "Call the branch security officer on 8021.",
		    IDG_URGENCY_NORMAL);
}

static void test_granted(void **state)
{
	expect_text(parse("{\"notice\":\"granted\",\"time_usec\":" CREATED ",\"grant\":" GRANT_TOKEN "}"),
		    "Granted: scanner, camera until 2026-11-23 02:27:05",
		    "Grant 7 for account-opening, case CASE-2026-0042, approved by wang.\n"
		    "Finish and close the program before 2026-11-23 02:27:05: a program still using the scanner, camera "
		    "when the grant ends is ended.",
		    IDG_URGENCY_NORMAL);
	expect_text(parse("{\"notice\":\"granted\",\"grant\":" GRANT_ADMIN "}"),
		    "Granted: scanner until 2026-11-23 02:27:05",
		    "Grant 8, given by an administrator.\n"
		    "Finish and close the program before 2026-11-23 02:27:05: a program still using the scanner "
		    "when the grant ends is ended.",
		    IDG_URGENCY_NORMAL);
}

/* A time of today is said without its date. */
static void test_granted_today(void **state)
{
	struct json_object *notice = parse("{\"notice\":\"granted\",\"grant\":" GRANT_ADMIN "}");
	struct json_object *grant = json_object_object_get(notice, "grant");
	time_t now = time(NULL), at = now - now % 86400 + 3600 * 10 + 60 * 27 + 5; /* 10:27:05 UTC today */

	json_object_object_add(grant, "expires_usec", json_object_new_int64((int64_t)at * 1000000));
	expect_text(notice, "Granted: scanner until 10:27:05",
		    "Grant 8, given by an administrator.\n"
		    "Finish and close the program before 10:27:05: a program still using the scanner "
		    "when the grant ends is ended.",
		    IDG_URGENCY_NORMAL);
}

static void test_ending(void **state)
{
	static const char *body =
		"Grant 7 for account-opening, case CASE-2026-0042, approved by wang.\n"
		"It ends at 2026-11-23 02:27:05. Finish the work and close the program now: a program still using the "
		"scanner, camera then is ended, and its unsaved work is lost.";

	expect_text(parse("{\"notice\":\"ending\",\"seconds_left\":300,\"grant\":" GRANT_TOKEN "}"),
		    "Grant for scanner, camera ends in 5 minutes", body, IDG_URGENCY_CRITICAL);
	expect_text(parse("{\"notice\":\"ending\",\"seconds_left\":241,\"grant\":" GRANT_TOKEN "}"),
		    "Grant for scanner, camera ends in 5 minutes", body, IDG_URGENCY_CRITICAL);
	expect_text(parse("{\"notice\":\"ending\",\"seconds_left\":60,\"grant\":" GRANT_TOKEN "}"),
		    "Grant for scanner, camera ends in 1 minute", body, IDG_URGENCY_CRITICAL);
	expect_text(parse("{\"notice\":\"ending\",\"seconds_left\":45,\"grant\":" GRANT_TOKEN "}"),
		    "Grant for scanner, camera ends in 45 seconds", body, IDG_URGENCY_CRITICAL);
	expect_text(parse("{\"notice\":\"ending\",\"seconds_left\":1,\"grant\":" GRANT_TOKEN "}"),
		    "Grant for scanner, camera ends in 1 second", body, IDG_URGENCY_CRITICAL);
}

/* OnGrantEnd=log: programs are not ended, and the clerk is not told so. */
static void test_ending_when_programs_are_only_recorded(void **state)
{
	(void)state;
	expect_text(parse("{\"notice\":\"ending\",\"seconds_left\":300,\"on_grant_end\":\"log\",\"grant\":" GRANT_TOKEN "}"),
		    "Grant for scanner, camera ends in 5 minutes",
		    "Grant 7 for account-opening, case CASE-2026-0042, approved by wang.\n"
		    "It ends at 2026-11-23 02:27:05. Finish the work now: after that the scanner, camera cannot be "
		    "opened again.",
		    IDG_URGENCY_CRITICAL);
}

static void test_ended(void **state)
{
	expect_text(parse("{\"notice\":\"ended\",\"reason\":\"expired\",\"grant\":" GRANT_TOKEN ",\"programs\":["
			  "{\"program\":\"scanimage\",\"pid\":4311,\"action\":\"ended\"},"
			  "{\"program\":\"xsane\",\"pid\":4312,\"action\":\"ended\"},"
			  "{\"program\":\"simple-scan\",\"pid\":4313,\"action\":\"recorded\"}]}"),
		    "Grant for scanner, camera has ended",
		    "Grant 7 expired at 2026-11-23 02:27:05.\n"
		    "Ended because they still used the scanner, camera: scanimage (pid 4311), xsane (pid 4312).\n"
		    "Still using the scanner, camera (recorded, not ended): simple-scan (pid 4313).\n"
		    "To use it again, ask for a new purpose token:\n"
		    "idguardctl token request --purpose account-opening --ref CASE-REF --class scanner,camera --minutes 9",
		    IDG_URGENCY_NORMAL);
	expect_text(parse("{\"notice\":\"ended\",\"reason\":\"revoked\",\"grant\":" GRANT_TOKEN ",\"programs\":["
			  "{\"program\":\"scanimage\",\"pid\":4311,\"action\":\"ended\"}]}"),
		    "Grant for scanner, camera has ended",
		    "Grant 7 was revoked.\n"
		    "Ended because it still used the scanner, camera: scanimage (pid 4311).\n"
		    "To use it again, ask for a new purpose token:\n"
		    "idguardctl token request --purpose account-opening --ref CASE-REF --class scanner,camera --minutes 9",
		    IDG_URGENCY_NORMAL);
	expect_text(parse("{\"notice\":\"ended\",\"reason\":\"removed\",\"grant\":" GRANT_ADMIN ",\"programs\":[]}"),
		    "Grant for scanner has ended",
		    "Grant 8 was removed by an administrator.\n"
		    "To use it again, ask for a purpose token (idguardctl token request).",
		    IDG_URGENCY_NORMAL);
	expect_text(parse("{\"notice\":\"ended\",\"reason\":\"session-ended\",\"grant\":" GRANT_ADMIN "}"),
		    "Grant for scanner has ended",
		    "Grant 8 has ended.\n"
		    "To use it again, ask for a purpose token (idguardctl token request).",
		    IDG_URGENCY_NORMAL);
}

/* Requests sent through the approval queue that end without a grant. */
#define REQUEST_FIELDS "\"request_id\":\"b4a4eae7163c954d\",\"purpose\":\"account-opening\",\"ref\":\"CASE-2026-0042\"," \
		       "\"classes\":\"scanner\",\"minutes\":10"

static void test_requests(void **state)
{
	expect_text(parse("{\"notice\":\"request-declined\"," REQUEST_FIELDS ",\"approver\":\"wang\","
			  "\"reason\":\"a copy is not needed for this account type\"}"),
		    "Request B4A4-EAE7 was declined",
		    "wang declined your request to use the scanner for account-opening, case CASE-2026-0042: a copy is "
		    "not needed for this account type\n"
		    "Ask your supervisor if anything is unclear. To ask again:\n"
		    "idguardctl token request --purpose account-opening --ref CASE-2026-0042 --class scanner --minutes 10",
		    IDG_URGENCY_NORMAL);
	expect_text(parse("{\"notice\":\"request-expired\"," REQUEST_FIELDS "}"), "Request B4A4-EAE7 expired unanswered",
		    "Nobody answered your request to use the scanner for account-opening, case CASE-2026-0042, in time. "
		    "If you still need it, ask again:\n"
		    "idguardctl token request --purpose account-opening --ref CASE-2026-0042 --class scanner --minutes 10",
		    IDG_URGENCY_NORMAL);
	expect_text(parse("{\"notice\":\"request-answer-refused\"," REQUEST_FIELDS ",\"reason\":\"the token has "
			  "expired\"}"),
		    "An answer to request B4A4-EAE7 could not be used",
		    "An answer to your request to use the scanner came back, but idguard refused it: the token has "
		    "expired\n"
		    "The request still waits for a valid answer; tell your supervisor.",
		    IDG_URGENCY_CRITICAL);
}

static void test_summary(void **state)
{
	struct idg_notice_text text;

	idg_notice_summary_text(17, &text);
	assert_string_equal(text.title, "idguard refused more attempts");
	assert_string_equal(text.body,
			    "idguard refused 17 more attempts in the last minute; run \"idguardctl why\" to see them.");
	assert_int_equal(text.urgency, IDG_URGENCY_NORMAL);
	idg_notice_summary_text(1, &text);
	assert_string_equal(text.body,
			    "idguard refused 1 more attempt in the last minute; run \"idguardctl why\" to see them.");
}

static void test_line(void **state)
{
	expect_line(with(refused_json, "count", "3"),
		    "2026-11-23 02:13:20 idguard refused the camera: cheese (pid 4242) tried to open /dev/video0 "
		    "(Logitech, Inc. HD Webcam C920). You hold no grant for the camera; using it needs a purpose token "
		    "approved by your supervisor. (3 attempts) If the case needs it, ask for a purpose token, with the "
		    "case number in place of CASE-REF: idguardctl token request --purpose account-opening --ref "
		    "CASE-REF --class camera --minutes 15 (or for: telecom-real-name, hotel-registration) Call the "
		    "branch security officer on 8021.");
	expect_line(parse("{\"notice\":\"ended\",\"time_usec\":" EXPIRES ",\"reason\":\"revoked\",\"grant\":" GRANT_ADMIN
			  ",\"programs\":[]}"),
		    "2026-11-23 02:27:05 Grant for scanner has ended: Grant 8 was revoked. To use it again, ask for a "
		    "purpose token (idguardctl token request).");
}

static void test_invalid(void **state)
{
	struct idg_notice_text text;
	struct json_object *notice;
	char buf[64] = "untouched";

	memset(&text, 0, sizeof(text));
	assert_int_equal(idg_notice_text(NULL, &text), -EINVAL);
	notice = parse("[1,2]");
	assert_int_equal(idg_notice_text(notice, &text), -EINVAL);
	json_object_put(notice);
	notice = parse("{\"count\":1}");
	assert_int_equal(idg_notice_text(notice, &text), -EINVAL);
	json_object_put(notice);
	notice = parse("{\"notice\":\"rebooted\"}");
	assert_int_equal(idg_notice_text(notice, &text), -EOPNOTSUPP);
	assert_int_equal(idg_notice_line(notice, buf, sizeof(buf)), -EOPNOTSUPP);
	json_object_put(notice);
	assert_string_equal(text.title, "");
	assert_string_equal(buf, "untouched");
}

/* A line cut short ends at a whole character, here inside the Chinese. */
static void test_line_cut(void **state)
{
	struct json_object *notice = with(refused_json, "program", "\"扫描程序\"");
	char buf[40];

	json_object_object_add(notice, "time_usec", json_object_new_int64(1795400000000000));
	/* "2026-11-23 02:13:20 idguard refused the camera: " is 48 bytes; the
	 * cut falls in the title. */
	assert_int_equal(idg_notice_line(notice, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-23 02:13:20 idguard refused the");
	json_object_put(notice);

	/* 48 bytes of time and title, then 3 bytes a character: 58 bytes of
	 * room hold 扫描程 (57) and one byte of 序, which is left out. */
	notice = with(refused_json, "program", "\"扫描程序\"");
	{
		char buf59[59];

		assert_int_equal(idg_notice_line(notice, buf59, sizeof(buf59)), 0);
		assert_string_equal(buf59, "2026-11-23 02:13:20 idguard refused the camera: 扫描程");
	}
	json_object_put(notice);
}

/* ---- zh_CN --------------------------------------------------------------------------- */

static char localedir[PATH_MAX];
static bool localedir_given; /* $IDGUARD_LOCALEDIR came from outside */

static bool chinese(void)
{
	const char *dir = getenv("IDGUARD_LOCALEDIR"), *build = getenv("BUILD");

	if (!setlocale(LC_ALL, "zh_CN.UTF-8")) {
		print_message("zh_CN.UTF-8 is not installed (make deps, or localedef -i zh_CN -f UTF-8 zh_CN.UTF-8)\n");
		return false;
	}
	if (dir && *dir && (localedir_given || !localedir[0])) {
		localedir_given = true;
		(void)snprintf(localedir, sizeof(localedir), "%s", dir);
	} else {
		(void)snprintf(localedir, sizeof(localedir), "%s/locale", build && *build ? build : "build");
	}
	(void)setenv("LC_ALL", "zh_CN.UTF-8", 1);
	(void)setenv("IDGUARD_LOCALEDIR", localedir, 1);
	idg_i18n_init();
	return true;
}

/* Without the locale the Chinese tests are skipped, and say why (a package
 * build's chroot may lack it); CI, which installs it (make deps), must not
 * skip them. */
static void chinese_or_skip(void)
{
	const char *required = getenv("IDGUARD_REQUIRE_ROOT_TESTS");

	if (chinese())
		return;
	if (required && !strcmp(required, "1"))
		fail_msg("IDGUARD_REQUIRE_ROOT_TESTS=1: the Chinese texts must be tested here");
	skip();
}

static int chinese_teardown(void **state)
{
	if (localedir_given)
		(void)setenv("IDGUARD_LOCALEDIR", localedir, 1);
	else
		(void)unsetenv("IDGUARD_LOCALEDIR");
	return english_setup(state);
}

static void check_catalog(void)
{
	char *path = path_join(localedir, "zh_CN/LC_MESSAGES/idguard.mo");

	if (access(path, R_OK) < 0) {
		print_error("the catalog %s is not there (make)\n", path);
		free(path);
		fail();
	}
	free(path);
}

static void test_zh_refused(void **state)
{
	chinese_or_skip();
	check_catalog();
	expect_text(with(refused_json, "count", "21"), "idguard 已拒绝使用摄像头",
		    "cheese（pid 4242）试图打开 /dev/video0（Logitech, Inc. HD Webcam C920）。\n"
		    "您没有使用摄像头的授权；须持有经审批人批准的用途令牌才能使用。\n"
		    "最近一分钟内已拒绝 21 次。\n"
		    "如本业务确需使用，请申请用途令牌（把 CASE-REF 换成业务编号）：\n"
		    "idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15\n"
		    "（或申请用途：telecom-real-name、hotel-registration）\n"
		    "请致电网点安全员 8021。",
		    IDG_URGENCY_NORMAL);
	/* Without the site's Chinese sentence, its English one. */
	{
		struct json_object *notice = with(refused_json, "advice_zh_CN", NULL);
		struct idg_notice_text text;

		assert_int_equal(idg_notice_text(notice, &text), 0);
		assert_contains(text.body, "\nCall the branch security officer on 8021.");
		json_object_put(notice);
	}
}

static void test_zh_grants(void **state)
{
	chinese_or_skip();
	check_catalog();
	expect_text(parse("{\"notice\":\"granted\",\"grant\":" GRANT_TOKEN "}"),
		    "已授权使用扫描仪、摄像头，至 2026-11-23 02:27:05",
		    "授权 7：用途 account-opening，业务编号 CASE-2026-0042，审批人 wang。\n"
		    "请在 2026-11-23 02:27:05 之前完成并关闭程序：授权结束时仍在使用扫描仪、摄像头的程序会被结束。",
		    IDG_URGENCY_NORMAL);
	expect_text(parse("{\"notice\":\"ending\",\"seconds_left\":300,\"grant\":" GRANT_TOKEN "}"),
		    "扫描仪、摄像头的授权将在 5 分钟后结束",
		    "授权 7：用途 account-opening，业务编号 CASE-2026-0042，审批人 wang。\n"
		    "授权于 2026-11-23 02:27:05 结束。请现在完成工作并关闭程序：届时仍在使用扫描仪、摄像头的程序会被结束，"
		    "未保存的工作会丢失。",
		    IDG_URGENCY_CRITICAL);
	expect_text(parse("{\"notice\":\"ended\",\"reason\":\"expired\",\"grant\":" GRANT_TOKEN ",\"programs\":["
			  "{\"program\":\"scanimage\",\"pid\":4311,\"action\":\"ended\"}]}"),
		    "扫描仪、摄像头的授权已结束",
		    "授权 7 已于 2026-11-23 02:27:05 到期。\n"
		    "以下程序仍在使用扫描仪、摄像头，已被结束：scanimage（pid 4311）。\n"
		    "如需再次使用，请重新申请用途令牌：\n"
		    "idguardctl token request --purpose account-opening --ref CASE-REF --class scanner,camera --minutes 9",
		    IDG_URGENCY_NORMAL);
}

static void test_zh_requests(void **state)
{
	chinese_or_skip();
	check_catalog();
	expect_text(parse("{\"notice\":\"request-declined\"," REQUEST_FIELDS ",\"approver\":\"wang\","
			  "\"reason\":\"no copy needed\"}"),
		    "申请 B4A4-EAE7 已被拒绝",
		    "wang 拒绝了您使用扫描仪的申请（用途 account-opening，业务编号 CASE-2026-0042）：no copy needed\n"
		    "如有疑问，请询问审批人。重新申请：\n"
		    "idguardctl token request --purpose account-opening --ref CASE-2026-0042 --class scanner --minutes 10",
		    IDG_URGENCY_NORMAL);
}

static void test_zh_summary(void **state)
{
	struct idg_notice_text text;

	chinese_or_skip();
	check_catalog();
	idg_notice_summary_text(17, &text);
	assert_string_equal(text.title, "idguard 拒绝了更多尝试");
	assert_string_equal(text.body, "最近一分钟内 idguard 另外拒绝了 17 次尝试；运行“idguardctl why”查看详情。");
}

/* No catalog where it is looked for: English, never empty. */
static void test_zh_missing_catalog(void **state)
{
	chinese_or_skip();
	(void)setenv("IDGUARD_LOCALEDIR", "/nonexistent/idguard-locale", 1);
	idg_i18n_init();
	expect_text(parse("{\"notice\":\"ended\",\"reason\":\"revoked\",\"grant\":" GRANT_ADMIN "}"),
		    "Grant for scanner has ended",
		    "Grant 8 was revoked.\n"
		    "To use it again, ask for a purpose token (idguardctl token request).",
		    IDG_URGENCY_NORMAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_refused, english_setup),
		cmocka_unit_test_setup(test_refused_counted, english_setup),
		cmocka_unit_test_setup(test_refused_without_purposes, english_setup),
		cmocka_unit_test_setup(test_refused_network_and_print, english_setup),
		cmocka_unit_test_setup(test_granted, english_setup),
		cmocka_unit_test_setup(test_granted_today, english_setup),
		cmocka_unit_test_setup(test_ending, english_setup),
		cmocka_unit_test_setup(test_ending_when_programs_are_only_recorded, english_setup),
		cmocka_unit_test_setup(test_ended, english_setup),
		cmocka_unit_test_setup(test_requests, english_setup),
		cmocka_unit_test_setup(test_summary, english_setup),
		cmocka_unit_test_setup(test_line, english_setup),
		cmocka_unit_test_setup(test_invalid, english_setup),
		cmocka_unit_test_setup(test_line_cut, english_setup),
		cmocka_unit_test_setup_teardown(test_zh_refused, english_setup, chinese_teardown),
		cmocka_unit_test_setup_teardown(test_zh_grants, english_setup, chinese_teardown),
		cmocka_unit_test_setup_teardown(test_zh_requests, english_setup, chinese_teardown),
		cmocka_unit_test_setup_teardown(test_zh_summary, english_setup, chinese_teardown),
		cmocka_unit_test_setup_teardown(test_zh_missing_catalog, english_setup, chinese_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
