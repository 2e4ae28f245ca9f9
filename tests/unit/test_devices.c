// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device table (devices.h): devices replaced by syspath and handed
 * back, taken out, the deepest owner of a path (not the hub above), kept after they leave to name late records (and only the
 * last IDG_DEVICES_RETIRED_KEEP of them), found by id, by node and by a
 * path below them; ids that follow syspath, product, serial and class; the
 * labels people read; and the list the kernel map must hold: the policy's
 * entries, one exact entry per device node under the device's class, a
 * Device= line for the same node winning, a node claimed twice kept once.
 */
#include "unit.h"

#include "devices.h"
#include "idguard.h"
#include "policy.h"
#include "util.h"
#include "watchlist.h"

static struct idg_device *make_device(const char *syspath, const char *vid_pid, const char *vendor, const char *model)
{
	struct idg_device *dev = calloc(1, sizeof(*dev));

	assert_non_null(dev);
	dev->syspath = strdup(syspath);
	(void)snprintf(dev->vid_pid, sizeof(dev->vid_pid), "%s", vid_pid);
	dev->vendor = vendor ? strdup(vendor) : NULL;
	dev->model = model ? strdup(model) : NULL;
	dev->facts.usb = vid_pid[0] != '\0';
	return dev;
}

static struct idg_policy *shipped_like_policy(void)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	assert_int_equal(idg_policy_parse_string(policy, "10-defaults.conf",
						 "[Class scanner]\nMatchUSBInterface=06\n"
						 "[Class other]\nMatchUSBInterface=03\n"
						 "[Class unclassified]\nDevice=char 189:*\n"
						 "[Class printer]\nDevice=char 180:0-15\n"
						 "[Class camera]\nDevice=char 81:7\n",
						 &diags),
			 0);
	assert_int_equal(diags.count, 0);
	return policy;
}

static void test_ids_follow_what_the_device_is(void **state)
{
	struct idg_policy *policy = shipped_like_policy();
	struct idg_device *a = make_device("/sys/devices/usb1/1-1", "04b8:0142", NULL, NULL);
	struct idg_device *b = make_device("/sys/devices/usb1/1-1", "04b8:0142", NULL, NULL);
	uint32_t first;

	(void)state;
	assert_int_equal(idg_facts_add_interface(&a->facts, 6, 1, 1), 0);
	assert_int_equal(idg_facts_add_interface(&b->facts, 6, 1, 1), 0);
	assert_int_equal(idg_device_classify(a, policy), 0);
	assert_int_equal(idg_device_classify(b, policy), 0);
	assert_int_equal(a->class_id, IDG_CLASS_SCANNER);
	assert_string_equal(a->matched_by, "MatchUSBInterface=06 (10-defaults.conf:2)");
	assert_int_equal(a->device_id, b->device_id);
	assert_int_not_equal(a->device_id, 0);
	first = a->device_id;
	/* Another product in the same port is another device. */
	(void)snprintf(b->vid_pid, sizeof(b->vid_pid), "046d:c31c");
	assert_int_equal(idg_device_classify(b, policy), 0);
	assert_int_not_equal(b->device_id, first);
	/* A new class is a new id: records raised under the old one still
	 * name the old class. */
	idg_facts_clear(&a->facts);
	a->facts.usb = true;
	assert_int_equal(idg_facts_add_interface(&a->facts, 3, 1, 1), 0);
	assert_int_equal(idg_device_classify(a, policy), 0);
	assert_int_equal(a->class_id, IDG_CLASS_OTHER);
	assert_int_not_equal(a->device_id, first);
	idg_device_free(a);
	idg_device_free(b);
	idg_policy_free(policy);
}

static void test_labels(void **state)
{
	static const struct {
		const char *vid_pid, *vendor, *model, *label;
	} cases[] = {
		{ "04a9:1913", "Canon, Inc.", "CanoScan LiDE 300", "Canon, Inc. CanoScan LiDE 300 (04a9:1913)" },
		{ "046d:c31c", "Logitech", "Logitech USB Keyboard", "Logitech USB Keyboard (046d:c31c)" },
		{ "0400:c35a", NULL, "ID Card Reader", "ID Card Reader (0400:c35a)" },
		{ "1234:5678", NULL, NULL, "USB device 1234:5678" },
		{ "", NULL, "Integrated Camera", "Integrated Camera" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct idg_device *dev = make_device("/sys/x", cases[i].vid_pid, cases[i].vendor, cases[i].model);
		char label[256];

		idg_device_label(dev, label, sizeof(label));
		assert_string_equal(label, cases[i].label);
		idg_device_free(dev);
	}
}

static void test_table_put_take_retire(void **state)
{
	struct idg_device_table table = { 0 };
	struct idg_device *a = make_device("/sys/devices/usb1/1-1", "04b8:0142", NULL, NULL);
	struct idg_device *a2 = make_device("/sys/devices/usb1/1-1", "04b8:0142", NULL, NULL);
	struct idg_device *b = make_device("/sys/devices/usb1/1-10", "046d:c31c", NULL, NULL);
	struct idg_device *hub = make_device("/sys/devices/usb1", "1d6b:0002", NULL, NULL);
	struct idg_device *old, *taken;

	(void)state;
	a->device_id = 11;
	a2->device_id = 12;
	b->device_id = 20;
	assert_int_equal(idg_device_add_node(a, IDG_DEV_CHAR, 189, 1, "/dev/bus/usb/001/002", "usb"), 0);
	assert_int_equal(idg_device_add_node(a, IDG_DEV_CHAR, 189, 1, "/dev/bus/usb/001/002", "usb"), 0);
	assert_int_equal(a->n_nodes, 1);
	assert_int_equal(idg_device_add_node(b, IDG_DEV_CHAR, 243, 1, "/dev/hidraw1", "hidraw"), 0);
	assert_int_equal(idg_devtable_put(&table, hub, &old), 0);
	assert_int_equal(idg_devtable_put(&table, a, &old), 0);
	assert_null(old);
	assert_int_equal(idg_devtable_put(&table, b, &old), 0);
	assert_int_equal(idg_devtable_put(&table, a2, &old), 0);
	assert_ptr_equal(old, a);
	assert_int_equal(table.count, 3);
	idg_devtable_retire(&table, old);

	/* 1-1 is not an ancestor of 1-10. */
	assert_ptr_equal(idg_devtable_owner(&table, "/sys/devices/usb1/1-10/1-10:1.0/hidraw/hidraw1"), b);
	assert_ptr_equal(idg_devtable_owner(&table, "/sys/devices/usb1/1-1/1-1:1.0"), a2);
	assert_ptr_equal(idg_devtable_owner(&table, "/sys/devices/usb1/1-1"), a2);
	/* The deepest owner: the hub holds what is plugged into it. */
	assert_ptr_equal(idg_devtable_owner(&table, "/sys/devices/usb1/1-2"), hub);
	assert_ptr_equal(idg_devtable_owner(&table, "/sys/devices/usb1/1-0:1.0"), hub);
	assert_null(idg_devtable_owner(&table, "/sys/devices/usb10"));
	assert_ptr_equal(idg_devtable_by_node(&table, IDG_DEV_CHAR, 243, 1), b);
	assert_null(idg_devtable_by_node(&table, IDG_DEV_BLOCK, 243, 1));
	/* The replaced one is still found by its id; the present one first. */
	assert_ptr_equal(idg_devtable_by_id(&table, 11), a);
	assert_ptr_equal(idg_devtable_by_id(&table, 12), a2);

	taken = idg_devtable_take(&table, "/sys/devices/usb1/1-10");
	assert_ptr_equal(taken, b);
	assert_int_equal(table.count, 2);
	assert_null(idg_devtable_by_node(&table, IDG_DEV_CHAR, 243, 1));
	assert_null(idg_devtable_take(&table, "/sys/devices/usb1/1-10"));
	idg_devtable_retire(&table, taken);
	assert_ptr_equal(idg_devtable_by_id(&table, 20), b);
	/* Only the last IDG_DEVICES_RETIRED_KEEP are kept. */
	for (unsigned i = 0; i < IDG_DEVICES_RETIRED_KEEP; i++) {
		struct idg_device *gone = make_device("/sys/gone", "", NULL, NULL);

		gone->device_id = 1000 + i;
		idg_devtable_retire(&table, gone);
	}
	assert_null(idg_devtable_by_id(&table, 20));
	assert_non_null(idg_devtable_by_id(&table, 1000));
	idg_devtable_clear(&table);
	assert_int_equal(table.count, 0);
}

static void test_kernel_list_merges_policy_and_devices(void **state)
{
	struct idg_policy *policy = shipped_like_policy();
	struct idg_device_table table = { 0 };
	struct idg_watchlist *policy_list = NULL, *list = NULL;
	struct idg_device *cam = make_device("/sys/devices/usb1/1-2", "0ac8:3610", NULL, NULL);
	struct idg_device *printer = make_device("/sys/devices/usb1/1-4", "03f0:2b17", NULL, NULL);
	struct idg_device *twin = make_device("/sys/devices/usb1/1-9", "1111:2222", NULL, NULL);
	struct idg_diags diags = { 0 };
	const struct idg_watch_entry *e;
	struct idg_device *old;

	(void)state;
	assert_int_equal(idg_watchlist_build(policy, &policy_list, &diags), 0);
	assert_int_equal(diags.count, 0);
	cam->class_id = IDG_CLASS_CAMERA;
	cam->device_id = 100;
	assert_int_equal(idg_device_add_node(cam, IDG_DEV_CHAR, 189, 2, "/dev/bus/usb/001/003", "usb"), 0);
	/* The policy names 81:7 itself: its line wins. */
	assert_int_equal(idg_device_add_node(cam, IDG_DEV_CHAR, 81, 7, "/dev/video7", "video4linux"), 0);
	printer->class_id = IDG_CLASS_SCANNER; /* a printer that scans */
	printer->device_id = 200;
	assert_int_equal(idg_device_add_node(printer, IDG_DEV_CHAR, 180, 0, "/dev/usb/lp0", "usbmisc"), 0);
	twin->class_id = IDG_CLASS_OTHER;
	twin->device_id = 300;
	assert_int_equal(idg_device_add_node(twin, IDG_DEV_CHAR, 189, 2, "/dev/bus/usb/001/003", "usb"), 0);
	assert_int_equal(idg_devtable_put(&table, cam, &old), 0);
	assert_int_equal(idg_devtable_put(&table, printer, &old), 0);
	assert_int_equal(idg_devtable_put(&table, twin, &old), 0);

	assert_int_equal(idg_devtable_watchlist(&table, policy_list, &list), 0);
	assert_int_equal(list->count, policy_list->count + 2);
	e = idg_watchlist_find(list, IDG_DEV_CHAR, 189, 2);
	assert_int_equal(e->class_id, IDG_CLASS_CAMERA);
	assert_int_equal(e->device_id, 100);
	assert_string_equal(e->node, "/dev/bus/usb/001/003");
	e = idg_watchlist_find(list, IDG_DEV_CHAR, 189, 3);
	assert_int_equal(e->class_id, IDG_CLASS_UNCLASSIFIED);
	assert_true(e->whole_major);
	e = idg_watchlist_find(list, IDG_DEV_CHAR, 81, 7);
	assert_string_equal(e->source, "10-defaults.conf:10");
	/* An exact entry beats the printer range. */
	e = idg_watchlist_find(list, IDG_DEV_CHAR, 180, 0);
	assert_int_equal(e->class_id, IDG_CLASS_SCANNER);
	e = idg_watchlist_find(list, IDG_DEV_CHAR, 180, 1);
	assert_int_equal(e->class_id, IDG_CLASS_PRINTER);

	idg_watchlist_free(list);
	idg_watchlist_free(policy_list);
	idg_devtable_clear(&table);
	idg_policy_free(policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_follow_what_the_device_is),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_table_put_take_retire),
		cmocka_unit_test(test_kernel_list_merges_policy_and_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
