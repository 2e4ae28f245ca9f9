// SPDX-License-Identifier: GPL-2.0-only
/* relay.conf: what the relay and the inbox read, and every mistake said
 * with its file and line. */
#include "unit.h"

#include "queue.h"
#include "util.h"

static int load(const char *dir, const char *text, struct idg_queue_config *cfg, struct idg_error *err)
{
	_cleanup_free_ char *path = path_join(dir, "relay.conf");

	write_file(dir, "relay.conf", text);
	return idg_queue_config_load(path, cfg, err);
}

#define GOOD "[Broker]\nCA=/etc/idguard/relay/ca.crt\nCertificate=/etc/idguard/relay/client.crt\n" \
	     "Key=/etc/idguard/relay/client.key\n"

static void test_good(void **state)
{
	struct idg_queue_config cfg;
	struct idg_error err = { "" };
	char address[300];

	assert_int_equal(load(*state, GOOD "Address=mqtt.branch-017.example\nName=ws-017\n", &cfg, &err), 0);
	assert_string_equal(cfg.address, "mqtt.branch-017.example");
	assert_int_equal(cfg.port, 8883);
	assert_string_equal(cfg.name, "ws-017");
	assert_string_equal(cfg.prefix, "idguard");
	assert_string_equal(cfg.key, "/etc/idguard/relay/client.key");
	assert_int_equal(load(*state, GOOD "Address=10.17.0.5:18883\nTopicPrefix=branch-017/idguard\n", &cfg, &err), 0);
	assert_string_equal(cfg.address, "10.17.0.5");
	assert_int_equal(cfg.port, 18883);
	assert_string_equal(cfg.prefix, "branch-017/idguard");
	/* No Name=: the host name, as the workstation's certificate has it. */
	assert_true(cfg.name[0] != '\0');
	assert_int_equal(load(*state, GOOD "Address=[fd00::5]:8884\n", &cfg, &err), 0);
	assert_string_equal(cfg.address, "fd00::5");
	idg_queue_config_address(&cfg, address, sizeof(address));
	assert_string_equal(address, "[fd00::5]:8884");
}

static void expect_error(void *dir, const char *text, const char *message)
{
	struct idg_queue_config cfg;
	struct idg_error err = { "" };

	assert_int_equal(load(dir, text, &cfg, &err), -EINVAL);
	assert_contains(err.message, message);
}

static void test_bad(void **state)
{
	expect_error(*state, GOOD "Adress=mqtt\n", "relay.conf:5: unknown setting Adress= (known: Address, CA,");
	expect_error(*state, "Address=mqtt\n", "relay.conf:1: Address= outside the [Broker] section");
	expect_error(*state, "[Brokers]\nAddress=mqtt\n", "relay.conf:2: unknown section [Brokers]");
	expect_error(*state, GOOD "Address=mqtt:0\n", "relay.conf:5: Address=mqtt:0: the port must be 1 to 65535");
	expect_error(*state, GOOD "Address=fd00::5\n", "relay.conf:5: Address=fd00::5 is not a host name");
	expect_error(*state, GOOD "Address=mqtt\nCA=ca.crt\n", "relay.conf:6: CA= must be an absolute path, not 'ca.crt'");
	expect_error(*state, GOOD "Address=mqtt\nName=ws/017\n", "relay.conf:6: Name=ws/017 is not usable in a topic");
	expect_error(*state, GOOD "Address=mqtt\nTopicPrefix=idguard/#\n", "relay.conf:6: TopicPrefix=idguard/# is not usable");
	expect_error(*state, "[Broker]\nAddress=mqtt\n", "needs Address=, CA=, Certificate= and Key= (missing: CA= Certificate= Key=)");
	expect_error(*state, GOOD "Address=mqtt\nthis is not a setting\n", "relay.conf:6: not a 'Key=value' line");
}

static void test_missing_file(void **state)
{
	struct idg_queue_config cfg;
	struct idg_error err = { "" };

	assert_int_equal(idg_queue_config_load("/nonexistent/relay.conf", &cfg, &err), -ENOENT);
	assert_contains(err.message, "cannot read /nonexistent/relay.conf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_bad, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
