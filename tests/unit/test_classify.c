// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recognising devices (classify.h) under the shipped policy itself
 * (policy/10-defaults.conf): a SANE-marked scanner with only the vendor
 * class ff, a UVC document camera with a microphone, the card readers seen
 * at counters (by VID:PID, although they are HID), CCID readers, printers,
 * a printer that also scans, storage, keyboards and hubs ("other" only when
 * every interface is harmless), vendor-class devices nobody recognised
 * (unclassified), and non-USB nodes. Then the precedence rules (a site's
 * VID:PID beats everything, exact beats VENDOR:*), the rule text people
 * see, ID_USB_INTERFACES parsing, and a product in two classes refused.
 */
#include "unit.h"

#include "classify.h"
#include "idguard.h"
#include "policy.h"
#include "util.h"

struct fixture {
	struct idg_policy *policy;
	struct idg_device_facts facts;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[PATH_MAX];
	struct idg_diags diags = { 0 };

	assert_non_null(f);
	(void)snprintf(path, sizeof(path), "%s/../../policy/10-defaults.conf", test_data_dir());
	f->policy = idg_policy_new();
	assert_non_null(f->policy);
	assert_int_equal(idg_policy_parse_file(f->policy, path, &diags), 0);
	idg_policy_check_matches(f->policy, &diags);
	assert_int_equal(diags.count, 0);
	idg_diags_clear(&diags);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	idg_facts_clear(&f->facts);
	idg_policy_free(f->policy);
	free(f);
	return 0;
}

static void usb(struct fixture *f, uint16_t vid, uint16_t pid, const char *interfaces)
{
	idg_facts_clear(&f->facts);
	f->facts.usb = true;
	f->facts.vid = vid;
	f->facts.pid = pid;
	assert_true(idg_facts_add_interface_list(&f->facts, interfaces) >= 0);
	assert_int_equal(idg_facts_add_subsystem(&f->facts, "usb"), 0);
}

static unsigned classify(struct fixture *f, char *why, size_t size)
{
	struct idg_classification c;

	idg_classify(f->policy, &f->facts, &c);
	idg_classification_explain(&c, why, size);
	return c.class_id;
}

#define assert_class(f, want, why_part)                                  \
	do {                                                             \
		char _why[512];                                          \
		assert_int_equal(classify(f, _why, sizeof(_why)), want); \
		assert_contains(_why, why_part);                         \
	} while (0)

static void test_shipped_policy_recognises_the_counter_devices(void **state)
{
	struct fixture *f = *state;

	/* A flatbed scanner: vendor class only, marked by SANE's udev rules. */
	usb(f, 0x04a9, 0x1913, ":ffffff:");
	assert_int_equal(idg_facts_add_property(&f->facts, "libsane_matched", "yes"), 0);
	assert_class(f, IDG_CLASS_SCANNER, "MatchProperty=libsane_matched=yes (");
	/* The same without SANE's mark: nobody knows it, so it is refused. */
	usb(f, 0x04a9, 0x1913, ":ffffff:");
	assert_class(f, IDG_CLASS_UNCLASSIFIED, "no policy line recognises this USB device");
	/* Still image (06). */
	usb(f, 0x04b8, 0x0142, ":060101:");
	assert_class(f, IDG_CLASS_SCANNER, "MatchUSBInterface=06 (");
	/* A document camera: UVC control + streaming, and a microphone. */
	usb(f, 0x0ac8, 0x3610, ":0e0100:0e0200:010100:010200:");
	assert_class(f, IDG_CLASS_CAMERA, "MatchUSBInterface=0e (");
	/* A camera seen only through its video4linux node. */
	usb(f, 0x1234, 0x0001, "");
	assert_int_equal(idg_facts_add_subsystem(&f->facts, "video4linux"), 0);
	assert_class(f, IDG_CLASS_CAMERA, "MatchSubsystem=video4linux (");
	/* The resident ID card readers: HID, but named by VID:PID. */
	usb(f, 0x0400, 0xc35a, ":030000:");
	assert_class(f, IDG_CLASS_CARD_READER, "MatchVidPid=0400:c35a (");
	usb(f, 0x0316, 0x5020, ":ffffff:");
	assert_class(f, IDG_CLASS_CARD_READER, "MatchVidPid=0316:5020 (");
	/* A CCID smart-card reader with a keypad. */
	usb(f, 0x076b, 0x3031, ":0b0000:030101:");
	assert_class(f, IDG_CLASS_CARD_READER, "MatchUSBInterface=0b (");
	/* Printers; a printer that also scans is a scanner. */
	usb(f, 0x03f0, 0x2b17, ":070102:");
	assert_class(f, IDG_CLASS_PRINTER, "MatchUSBInterface=07 (");
	usb(f, 0x03f0, 0x5817, ":070102:ffffff:");
	assert_int_equal(idg_facts_add_property(&f->facts, "libsane_matched", "yes"), 0);
	assert_class(f, IDG_CLASS_SCANNER, "libsane_matched");
	/* Storage. */
	usb(f, 0x0781, 0x5567, ":080650:");
	assert_class(f, IDG_CLASS_STORAGE, "MatchUSBInterface=08 (");
	/* Keyboards, hubs, Bluetooth: every interface harmless. */
	usb(f, 0x046d, 0xc31c, ":030101:030000:");
	assert_class(f, IDG_CLASS_OTHER, "every USB interface matches [Class other]");
	usb(f, 0x05e3, 0x0610, ":090000:");
	assert_class(f, IDG_CLASS_OTHER, "MatchUSBInterface=09");
	/* Buttons (HID) next to a vendor interface: not "other". */
	usb(f, 0x1234, 0x5678, ":030000:ffffff:");
	assert_class(f, IDG_CLASS_UNCLASSIFIED, "no policy line");
	/* A device listing more interfaces than are kept is never "every
	 * interface harmless": the ones dropped could be anything. */
	usb(f, 0x1234, 0x5678, "");
	for (unsigned p = 0; p < IDG_FACTS_MAX_INTERFACES; p++)
		assert_int_equal(idg_facts_add_interface(&f->facts, 0x03, 0, p), 0);
	assert_int_equal(idg_facts_add_interface(&f->facts, 0xff, 0xff, 0xff), 0);
	assert_class(f, IDG_CLASS_UNCLASSIFIED, "no policy line");
	/* A USB device whose interfaces are not known yet. */
	usb(f, 0x1234, 0x5678, "");
	assert_class(f, IDG_CLASS_UNCLASSIFIED, "no policy line");
}

static void test_nodes_without_usb(void **state)
{
	struct fixture *f = *state;
	char why[256];

	idg_facts_clear(&f->facts);
	assert_int_equal(idg_facts_add_subsystem(&f->facts, "video4linux"), 0);
	assert_class(f, IDG_CLASS_CAMERA, "MatchSubsystem=video4linux");
	/* /dev/null and friends: not ours to track. */
	idg_facts_clear(&f->facts);
	assert_int_equal(idg_facts_add_subsystem(&f->facts, "mem"), 0);
	assert_int_equal(classify(f, why, sizeof(why)), IDG_CLASS_NONE);
}

static void add_site_lines(struct fixture *f, const char *text)
{
	struct idg_diags diags = { 0 };

	assert_int_equal(idg_policy_parse_string(f->policy, "/etc/idguard/policy.d/50-site.conf", text, &diags), 0);
	idg_policy_check_matches(f->policy, &diags);
	assert_int_equal(diags.count, 0);
	idg_diags_clear(&diags);
}

static void test_site_vid_pid_beats_everything(void **state)
{
	struct fixture *f = *state;

	add_site_lines(f, "[Class scanner]\n"
			  "MatchVidPid=046d:c31c\n"
			  "[Class other]\n"
			  "MatchVidPid=04b8:0142\n"
			  "[Class camera]\n"
			  "MatchVidPid=04b8:*\n");
	/* A keyboard the site says is a scanner. */
	usb(f, 0x046d, 0xc31c, ":030101:");
	assert_class(f, IDG_CLASS_SCANNER, "MatchVidPid=046d:c31c (/etc/idguard/policy.d/50-site.conf:2)");
	/* A still-image device the site says is harmless; the exact product
	 * beats the vendor-wide line. */
	usb(f, 0x04b8, 0x0142, ":060101:");
	assert_class(f, IDG_CLASS_OTHER, "MatchVidPid=04b8:0142 (/etc/idguard/policy.d/50-site.conf:4)");
	usb(f, 0x04b8, 0x0999, ":070102:");
	assert_class(f, IDG_CLASS_CAMERA, "MatchVidPid=04b8:* (");
}

static void test_property_value_is_a_glob(void **state)
{
	struct fixture *f = *state;

	add_site_lines(f, "[Class camera]\nMatchProperty=ID_MODEL=*Document*\n");
	usb(f, 0x1234, 0x0001, ":ffffff:");
	assert_int_equal(idg_facts_add_property(&f->facts, "ID_MODEL", "USB_Document_Camera"), 0);
	assert_class(f, IDG_CLASS_CAMERA, "MatchProperty=ID_MODEL=*Document*");
	usb(f, 0x1234, 0x0001, ":ffffff:");
	assert_int_equal(idg_facts_add_property(&f->facts, "ID_MODEL_X", "Document"), 0);
	assert_int_equal(idg_facts_add_property(&f->facts, "ID_MODE", "Document"), 0);
	assert_class(f, IDG_CLASS_UNCLASSIFIED, "no policy line");
}

static void test_interface_list_parsing(void **state)
{
	struct idg_device_facts facts = { 0 };

	(void)state;
	assert_int_equal(idg_facts_add_interface_list(&facts, ":060101:ff0000:"), 2);
	assert_int_equal(facts.n_interfaces, 2);
	assert_int_equal(facts.interfaces[0].usb_class, 0x06);
	assert_int_equal(facts.interfaces[0].usb_subclass, 0x01);
	assert_int_equal(facts.interfaces[0].usb_protocol, 0x01);
	assert_int_equal(facts.interfaces[1].usb_class, 0xff);
	/* Repeats are kept once; garbage words are skipped. */
	assert_int_equal(idg_facts_add_interface_list(&facts, ":060101:zz0000:0601:06010101:"), 1);
	assert_int_equal(facts.n_interfaces, 2);
	assert_int_equal(idg_facts_add_interface_list(&facts, ""), 0);
	/* More interfaces than fit are dropped, not overflowed, and noted. */
	assert_false(facts.interfaces_truncated);
	for (unsigned i = 0; i < 2 * IDG_FACTS_MAX_INTERFACES; i++)
		assert_int_equal(idg_facts_add_interface(&facts, i, 0, 0), 0);
	assert_int_equal(facts.n_interfaces, IDG_FACTS_MAX_INTERFACES);
	assert_true(facts.interfaces_truncated);
	idg_facts_clear(&facts);
}

static void test_rule_format_round_trip(void **state)
{
	static const struct {
		unsigned kind;
		const char *in, *out;
	} cases[] = {
		{ IDG_MATCH_VID_PID, "0400:C35A", "MatchVidPid=0400:c35a" },
		{ IDG_MATCH_VID_PID, "04a9:*", "MatchVidPid=04a9:*" },
		{ IDG_MATCH_USB_INTERFACE, "0E", "MatchUSBInterface=0e" },
		{ IDG_MATCH_USB_INTERFACE, "0e:*:*", "MatchUSBInterface=0e" },
		{ IDG_MATCH_USB_INTERFACE, "0e:01", "MatchUSBInterface=0e:01:*" },
		{ IDG_MATCH_USB_INTERFACE, "ff:*:01", "MatchUSBInterface=ff:*:01" },
		{ IDG_MATCH_PROPERTY, "libsane_matched=yes", "MatchProperty=libsane_matched=yes" },
		{ IDG_MATCH_PROPERTY, "ID_MODEL=a=b", "MatchProperty=ID_MODEL=a=b" },
		{ IDG_MATCH_SUBSYSTEM, "video4linux", "MatchSubsystem=video4linux" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct idg_match_rule rule;
		struct idg_error err;
		char buf[128];

		assert_int_equal(idg_match_rule_parse(cases[i].kind, cases[i].in, &rule, &err), 0);
		idg_match_rule_format(&rule, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
		idg_match_rule_free(&rule);
	}
	assert_int_equal(idg_match_kind_from_key("MatchVidPid"), IDG_MATCH_VID_PID);
	assert_int_equal(idg_match_kind_from_key("matchvidpid"), 0);
	assert_int_equal(idg_match_kind_from_key("Match"), 0);
}

static void test_product_in_two_classes_is_refused(void **state)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };
	char first[512];

	(void)state;
	assert_int_equal(idg_policy_parse_string(policy, "a.conf",
						 "[Class scanner]\nMatchVidPid=04a9:1913\n"
						 "[Class printer]\nMatchVidPid=04a9:1913 04a9:*\n"
						 "[Class camera]\nMatchVidPid=04a9:*\n",
						 &diags),
			 0);
	assert_int_equal(diags.count, 0);
	idg_policy_check_matches(policy, &diags);
	assert_int_equal(diags.errors, 2);
	idg_diags_first_error(&diags, first, sizeof(first));
	assert_string_equal(first, "a.conf:4: error: MatchVidPid=04a9:1913 is also in [Class scanner] (a.conf:2); "
				   "a product can be in one class only");
	idg_diags_clear(&diags);
	idg_policy_free(policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped_policy_recognises_the_counter_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodes_without_usb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_site_vid_pid_beats_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_property_value_is_a_glob, setup, teardown),
		cmocka_unit_test(test_interface_list_parsing),
		cmocka_unit_test(test_rule_format_round_trip),
		cmocka_unit_test(test_product_in_two_classes_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
