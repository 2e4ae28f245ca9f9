/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Network endpoints and broker sockets: where a card can be imaged without
 * opening a device node (saned, ipp-usb, network scanners and copiers, and
 * local brokers' unix sockets).
 *
 *   [Endpoint NAME]  Class=, Address= (local, loopback, IPv4/IPv6 addresses
 *                    and CIDR prefixes), Port= (numbers and ranges)
 *   [Broker NAME]    Class=, Path= (an absolute unix-socket path)
 *
 * This module parses those sections (for policy.c) and builds what the
 * kernel maps hold: per address prefix, every port rule that applies to
 * it (rules of wider prefixes copied into narrower ones, so the kernel's
 * longest-prefix match alone is complete), and the ports any rule lists.
 * IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d), so a connection to
 * ::ffff:127.0.0.1 is a connection to 127.0.0.1.
 */
#ifndef IDG_ENDPOINTS_H
#define IDG_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "idguard.h"

struct idg_policy;
struct idg_parse_site;

struct idg_prefix {
	uint8_t addr[16];   /* IPv6, or IPv4-mapped */
	uint8_t len;        /* 0..128 bits over the IPv6 form */
};

struct idg_port_range {
	uint16_t lo;
	uint16_t hi;
};

struct idg_endpoint {
	char id[64];
	uint32_t endpoint_id;          /* a hash of id: names it in kernel records */
	uint8_t class_id;
	bool local;                    /* Address=local: loopback and this host's addresses */
	bool loopback;                 /* Address=loopback: 127.0.0.0/8 and ::1 */
	struct idg_prefix *prefixes;   /* the other Address= words */
	size_t n_prefixes;
	struct idg_port_range *ports;
	size_t n_ports;
	const char *file;
	unsigned line;
};

struct idg_broker {
	char id[64];
	uint32_t broker_id;
	uint8_t class_id;
	char *path;
	const char *file;
	unsigned line;
};

/* Sections and keys, for policy.c. Section: 0 with *ret, 1 when the id is
 * not acceptable (reported), -ENOMEM. Key: 0 or -ENOMEM; problems reported. */
int idg_endpoint_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
			 struct idg_endpoint **ret);
int idg_endpoint_key(struct idg_endpoint *endpoint, const char *name, const char *value,
		     const struct idg_parse_site *site);
int idg_broker_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
		       struct idg_broker **ret);
int idg_broker_key(struct idg_broker *broker, const char *name, const char *value, const struct idg_parse_site *site);
void idg_endpoints_free(struct idg_policy *policy);
/* After merging: every endpoint and broker has a class, ports, a path. */
void idg_policy_check_endpoints(const struct idg_policy *policy, struct idg_diags *diags);

/* An [Endpoint] section as INI, for policy show. */
void idg_endpoint_format(const struct idg_endpoint *endpoint, FILE *out);

/* "192.168.1.0/24", "fd00::/8", "10.0.0.7" (a /32), "::1". -EINVAL. */
int idg_prefix_parse(const char *text, struct idg_prefix *ret);
/* The reverse; an IPv4-mapped prefix is written as IPv4. */
void idg_prefix_format(const struct idg_prefix *prefix, char *buf, size_t size);
/* An address as people write it: IPv4-mapped as IPv4. */
void idg_address_format(const uint8_t addr[16], char *buf, size_t size);

/* What the kernel maps must hold. */
struct idg_endpoint_entry {
	struct idg_endpoint_key key;
	struct idg_endpoint_set set;
};

struct idg_endpoint_table {
	struct idg_endpoint_entry *entries;
	size_t count;
	uint8_t *port_flags;           /* IDG_PORT_COUNT entries */
};

/* Builds the table from the policy, with local[] as this host's own
 * addresses (for Address=local). More than IDG_ENDPOINT_RULES rules on one
 * address is an error in diags, at the endpoint that overflowed. */
int idg_endpoint_table_build(const struct idg_policy *policy, const struct idg_prefix *local, size_t n_local,
			     struct idg_endpoint_table *ret, struct idg_diags *diags);
void idg_endpoint_table_clear(struct idg_endpoint_table *table);

/* This host's addresses now (getifaddrs), as /32 and /128 prefixes, sorted;
 * loopback ones left out (Address=local adds loopback itself). */
int idg_local_addresses(struct idg_prefix **ret, size_t *n);

const struct idg_endpoint *idg_policy_endpoint_by_id(const struct idg_policy *policy, uint32_t endpoint_id);
const struct idg_broker *idg_policy_broker_by_id(const struct idg_policy *policy, uint32_t broker_id);

#endif
