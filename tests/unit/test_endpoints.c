// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network endpoints (endpoints.h): addresses and prefixes parsed and written
 * back (IPv4 kept as IPv4-mapped IPv6, host bits cleared), and the table the
 * kernel maps hold: one entry per distinct prefix with the rules of every
 * prefix covering it, the narrowest first; Address=local and loopback
 * expanded (with 0.0.0.0 and ::, which connect() takes as this host); endpoints without addresses watching nothing; the ports any
 * rule lists flagged; too many rules on one address refused at the
 * endpoint's file:line.
 */
#include "unit.h"

#include "endpoints.h"
#include "policy.h"
#include "util.h"

static void test_prefix_parse_and_format(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "127.0.0.1", "127.0.0.1/32" },
		{ "192.168.10.7/24", "192.168.10.0/24" },
		{ "::ffff:10.1.2.3", "10.1.2.3/32" },
		{ "::1", "::1/128" },
		{ "fd00:10::5/64", "fd00:10::/64" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
	};
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4/33", "::1/129", "1.2.3.4/", "1.2.3.4/x", "host",
					   "1.2.3.4/-1" };
	struct idg_prefix p;
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(idg_prefix_parse(good[i].in, &p), 0);
		idg_prefix_format(&p, buf, sizeof(buf));
		assert_string_equal(buf, good[i].out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(idg_prefix_parse(bad[i], &p), -EINVAL);
	assert_int_equal(idg_prefix_parse("127.0.0.1", &p), 0);
	idg_address_format(p.addr, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");
}

static struct idg_policy *parse(const char *text)
{
	struct idg_policy *policy = idg_policy_new();
	struct idg_diags diags = { 0 };

	assert_int_equal(idg_policy_parse_string(policy, "30-network.conf", text, &diags), 0);
	idg_policy_check_endpoints(policy, &diags);
	assert_int_equal(diags.count, 0);
	return policy;
}

static const struct idg_endpoint_entry *entry_for(const struct idg_endpoint_table *t, const char *prefix)
{
	struct idg_prefix p;

	assert_int_equal(idg_prefix_parse(prefix, &p), 0);
	for (size_t i = 0; i < t->count; i++)
		if (t->entries[i].key.prefixlen == p.len && !memcmp(t->entries[i].key.addr, p.addr, 16))
			return &t->entries[i];
	print_error("no entry for %s\n", prefix);
	fail();
	return NULL;
}

static void test_table_inherits_wider_rules(void **state)
{
	struct idg_policy *policy = parse("[Endpoint saned]\nClass=scanner\nAddress=local\nPort=6566\n"
					  "[Endpoint copier]\nClass=printer\nAddress=192.168.10.0/24\nPort=9100 631\n"
					  "[Endpoint one]\nClass=scanner\nAddress=192.168.10.20\nPort=80\n"
					  "[Endpoint unset]\nClass=scanner\nPort=443\n");
	struct idg_prefix local;
	struct idg_endpoint_table t;
	struct idg_diags diags = { 0 };
	const struct idg_endpoint_entry *e;

	(void)state;
	assert_int_equal(idg_prefix_parse("192.168.10.20", &local), 0);
	assert_int_equal(idg_endpoint_table_build(policy, &local, 1, &t, &diags), 0);
	assert_int_equal(diags.count, 0);
	/* 127/8, ::1, 0.0.0.0, ::, the local 192.168.10.20 (also "one"), the
	 * copier /24. */
	assert_int_equal(t.count, 6);
	assert_int_equal(entry_for(&t, "0.0.0.0")->set.count, 1);
	assert_int_equal(entry_for(&t, "::")->set.count, 1);
	e = entry_for(&t, "127.0.0.0/8");
	assert_int_equal(e->set.count, 1);
	assert_int_equal(e->set.rules[0].port_lo, 6566);
	assert_int_equal(e->set.rules[0].class_id, IDG_CLASS_SCANNER);
	assert_int_equal(e->set.rules[0].endpoint_id, policy->endpoints[0].endpoint_id);
	e = entry_for(&t, "::1");
	assert_int_equal(e->set.count, 1);
	/* The host address: its own rules first, then the /24's. */
	e = entry_for(&t, "192.168.10.20");
	assert_int_equal(e->set.count, 4);
	assert_int_equal(e->set.rules[0].port_lo, 6566);
	assert_int_equal(e->set.rules[1].port_lo, 80);
	assert_int_equal(e->set.rules[2].port_lo, 9100);
	assert_int_equal(e->set.rules[3].port_lo, 631);
	assert_int_equal(e->set.rules[3].class_id, IDG_CLASS_PRINTER);
	e = entry_for(&t, "192.168.10.0/24");
	assert_int_equal(e->set.count, 2);
	/* Ports: only those of endpoints that watch something. */
	assert_int_equal(t.port_flags[6566], 1);
	assert_int_equal(t.port_flags[9100], 1);
	assert_int_equal(t.port_flags[80], 1);
	assert_int_equal(t.port_flags[443], 0);
	assert_int_equal(t.port_flags[6567], 0);
	idg_endpoint_table_clear(&t);
	idg_policy_free(policy);
}

static void test_port_ranges_and_too_many_rules(void **state)
{
	struct idg_policy *policy = parse("[Endpoint ipp-usb]\nClass=scanner\nAddress=loopback\nPort=60000-65535\n"
					  "[Endpoint many]\nClass=printer\nAddress=10.0.0.0/8\n"
					  "Port=1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n");
	struct idg_endpoint_table t;
	struct idg_diags diags = { 0 };
	char first[512];

	(void)state;
	assert_int_equal(idg_endpoint_table_build(policy, NULL, 0, &t, &diags), 0);
	assert_int_equal(diags.errors, 1);
	idg_diags_first_error(&diags, first, sizeof(first));
	assert_string_equal(first, "30-network.conf:5: error: more than 16 port rules apply to 10.0.0.0/8; merge ports "
				   "into ranges");
	assert_int_equal(t.count, 0);
	assert_null(t.port_flags);
	idg_diags_clear(&diags);
	idg_policy_free(policy);

	policy = parse("[Endpoint ipp-usb]\nClass=scanner\nAddress=loopback\nPort=60000-65535\n");
	assert_int_equal(idg_endpoint_table_build(policy, NULL, 0, &t, &diags), 0);
	assert_int_equal(t.port_flags[59999], 0);
	assert_int_equal(t.port_flags[60000], 1);
	assert_int_equal(t.port_flags[65535], 1);
	assert_int_equal(entry_for(&t, "127.0.0.0/8")->set.rules[0].port_hi, 65535);
	idg_endpoint_table_clear(&t);
	idg_policy_free(policy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse_and_format),
		cmocka_unit_test(test_table_inherits_wider_rules),
		cmocka_unit_test(test_port_ranges_and_too_many_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
