// SPDX-License-Identifier: GPL-2.0-only
/* Network endpoints and broker sockets (see endpoints.h). */
#include "endpoints.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "policy.h"
#include "policy_internal.h"
#include "util.h"

#define report(site, ...) ((void)idg_diag_add((site)->diags, (site)->file, (site)->line, false, __VA_ARGS__))

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static uint32_t id_hash(const char *kind, const char *id)
{
	uint32_t h = 2166136261u;

	for (const char *s = kind; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = id; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h ? h : 1;
}

/* ---- addresses -------------------------------------------------------------- */

int idg_prefix_parse(const char *text, struct idg_prefix *ret)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	struct in_addr v4;
	struct in6_addr v6;
	long bits = -1;

	if (len == 0 || len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, len);
	addr[len] = '\0';
	if (slash) {
		char *end;

		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || *end)
			return -EINVAL;
	}
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, addr, &v4) == 1) {
		if (bits > 32)
			return -EINVAL;
		memcpy(ret->addr, v4_mapped, 12);
		memcpy(ret->addr + 12, &v4, 4);
		ret->len = (uint8_t)(96 + (bits < 0 ? 32 : bits));
	} else if (inet_pton(AF_INET6, addr, &v6) == 1) {
		if (bits > 128)
			return -EINVAL;
		memcpy(ret->addr, &v6, 16);
		ret->len = (uint8_t)(bits < 0 ? 128 : bits);
	} else {
		return -EINVAL;
	}
	/* Host bits are cleared: 192.168.1.7/24 is 192.168.1.0/24. */
	for (unsigned i = ret->len; i < 128; i++)
		ret->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

static bool is_v4(const uint8_t addr[16])
{
	return !memcmp(addr, v4_mapped, 12);
}

void idg_address_format(const uint8_t addr[16], char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];

	if (is_v4(addr))
		(void)inet_ntop(AF_INET, addr + 12, text, sizeof(text));
	else
		(void)inet_ntop(AF_INET6, addr, text, sizeof(text));
	(void)snprintf(buf, size, "%s", text);
}

void idg_prefix_format(const struct idg_prefix *prefix, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];
	bool v4 = is_v4(prefix->addr) && prefix->len >= 96;

	idg_address_format(prefix->addr, text, sizeof(text));
	if (v4 && !is_v4(prefix->addr))
		v4 = false;
	(void)snprintf(buf, size, "%s/%u", text, v4 ? prefix->len - 96u : prefix->len);
}

/* Whether outer covers inner (outer no longer than inner, same leading bits). */
static bool prefix_covers(const struct idg_prefix *outer, const struct idg_prefix *inner)
{
	if (outer->len > inner->len)
		return false;
	for (unsigned i = 0; i < outer->len; i++) {
		uint8_t bit = 0x80u >> (i % 8);

		if ((outer->addr[i / 8] & bit) != (inner->addr[i / 8] & bit))
			return false;
	}
	return true;
}

/* Loopback, and the unspecified addresses: Linux takes a connect() to
 * 0.0.0.0 or :: as one to this host, so they reach loopback services too. */
static const struct idg_prefix loopback_prefixes[] = {
	{ .addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 0 }, .len = 104 },
	{ .addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, .len = 128 },
	{ .addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 }, .len = 128 },
	{ .addr = { 0 }, .len = 128 },
};

int idg_local_addresses(struct idg_prefix **ret, size_t *n)
{
	struct ifaddrs *list, *ifa;
	struct idg_prefix *out = NULL;
	size_t count = 0;

	if (getifaddrs(&list) < 0)
		return -errno;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		struct idg_prefix p = { 0 };
		struct idg_prefix *grown;
		bool dup = false;

		if (!ifa->ifa_addr)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			memcpy(p.addr, v4_mapped, 12);
			memcpy(p.addr + 12, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
			p.len = 128;
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			memcpy(p.addr, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
			p.len = 128;
		} else {
			continue;
		}
		if (prefix_covers(&loopback_prefixes[0], &p) || prefix_covers(&loopback_prefixes[1], &p))
			continue;
		for (size_t i = 0; i < count && !dup; i++)
			dup = !memcmp(&out[i], &p, sizeof(p));
		if (dup)
			continue;
		grown = realloc(out, (count + 1) * sizeof(*out));
		if (!grown) {
			free(out);
			freeifaddrs(list);
			return -ENOMEM;
		}
		out = grown;
		out[count++] = p;
	}
	freeifaddrs(list);
	for (size_t i = 1; i < count; i++) /* sorted, so two lists compare with memcmp */
		for (size_t j = i; j > 0 && memcmp(&out[j - 1], &out[j], sizeof(*out)) > 0; j--) {
			struct idg_prefix t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	*ret = out;
	*n = count;
	return 0;
}

/* ---- sections ------------------------------------------------------------------ */

int idg_endpoint_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
			 struct idg_endpoint **ret)
{
	struct idg_endpoint *endpoints;
	ssize_t found;

	if (!idg_policy_valid_id(id)) {
		report(site, "'%s' is not an endpoint name (letters, digits, '.', '_', '-'; at most 63)", id);
		return 1;
	}
	found = idg_name_index_find(&policy->index->endpoints, id);
	if (found >= 0) {
		*ret = &policy->endpoints[found]; /* a later file adds to or overrides it */
		return 0;
	}
	endpoints = idg_policy_grow(policy->endpoints, policy->n_endpoints, sizeof(*endpoints));
	if (!endpoints)
		return -ENOMEM;
	policy->endpoints = endpoints;
	if (idg_name_index_add(&policy->index->endpoints, id, policy->n_endpoints) < 0)
		return -ENOMEM;
	*ret = &policy->endpoints[policy->n_endpoints++];
	memset(*ret, 0, sizeof(**ret));
	strcpy((*ret)->id, id);
	(*ret)->endpoint_id = id_hash("endpoint", id);
	(*ret)->file = site->file;
	(*ret)->line = site->line;
	return 0;
}

int idg_broker_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
		       struct idg_broker **ret)
{
	struct idg_broker *brokers;
	ssize_t found;

	if (!idg_policy_valid_id(id)) {
		report(site, "'%s' is not a broker name (letters, digits, '.', '_', '-'; at most 63)", id);
		return 1;
	}
	found = idg_name_index_find(&policy->index->brokers, id);
	if (found >= 0) {
		*ret = &policy->brokers[found];
		return 0;
	}
	brokers = idg_policy_grow(policy->brokers, policy->n_brokers, sizeof(*brokers));
	if (!brokers)
		return -ENOMEM;
	policy->brokers = brokers;
	if (idg_name_index_add(&policy->index->brokers, id, policy->n_brokers) < 0)
		return -ENOMEM;
	*ret = &policy->brokers[policy->n_brokers++];
	memset(*ret, 0, sizeof(**ret));
	strcpy((*ret)->id, id);
	(*ret)->broker_id = id_hash("broker", id);
	(*ret)->file = site->file;
	(*ret)->line = site->line;
	return 0;
}

static void set_class(uint8_t *slot, const char *value, const struct idg_parse_site *site)
{
	int class_id = idg_class_from_name(value);

	if (!class_id || class_id == IDG_CLASS_UNCLASSIFIED || class_id == IDG_CLASS_OTHER)
		report(site, "Class='%s' must be one of scanner, camera, card-reader, printer, storage", value);
	else
		*slot = (uint8_t)class_id;
}

static int add_address(struct idg_endpoint *e, const char *word, const struct idg_parse_site *site)
{
	struct idg_prefix prefix, *grown;

	if (streq(word, "local")) {
		e->local = true;
		return 0;
	}
	if (streq(word, "loopback")) {
		e->loopback = true;
		return 0;
	}
	if (idg_prefix_parse(word, &prefix) < 0) {
		report(site, "Address '%s' is not local, loopback, an IP address or a prefix such as 192.168.10.0/24 "
			     "or fd00::/8", word);
		return 0;
	}
	grown = idg_policy_grow(e->prefixes, e->n_prefixes, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->prefixes = grown;
	e->prefixes[e->n_prefixes++] = prefix;
	return 0;
}

static int add_ports(struct idg_endpoint *e, const char *word, const struct idg_parse_site *site)
{
	struct idg_port_range range, *grown;
	unsigned long lo, hi;
	char *end;

	errno = 0;
	lo = strtoul(word, &end, 10);
	hi = lo;
	if (!errno && end != word && *end == '-') {
		const char *second = end + 1;

		hi = strtoul(second, &end, 10);
		if (end == second)
			errno = EINVAL;
	}
	if (errno || end == word || *end || !isdigit((unsigned char)word[0]) || lo < 1 || hi > 65535 || lo > hi) {
		report(site, "Port '%s' must be a port from 1 to 65535 or a range such as 60000-65535", word);
		return 0;
	}
	range.lo = (uint16_t)lo;
	range.hi = (uint16_t)hi;
	grown = idg_policy_grow(e->ports, e->n_ports, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->ports = grown;
	e->ports[e->n_ports++] = range;
	return 0;
}

/* Calls add(word) for each blank- or comma-separated word of value. */
static int each_word(struct idg_endpoint *e, const char *value, const struct idg_parse_site *site,
		     int (*add)(struct idg_endpoint *, const char *, const struct idg_parse_site *))
{
	char word[128];

	for (const char *p = value + strspn(value, ", \t"); *p; p += strspn(p, ", \t")) {
		size_t len = strcspn(p, ", \t");
		int r;

		if (len >= sizeof(word)) {
			report(site, "'%.*s...' is too long", 32, p);
			return 0;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		r = add(e, word, site);
		if (r < 0)
			return r;
	}
	return 0;
}

int idg_endpoint_key(struct idg_endpoint *e, const char *name, const char *value, const struct idg_parse_site *site)
{
	if (streq(name, "Class")) {
		set_class(&e->class_id, value, site);
	} else if (streq(name, "Address")) {
		if (!*value) {
			free(e->prefixes);
			e->prefixes = NULL;
			e->n_prefixes = 0;
			e->local = e->loopback = false;
			return 0;
		}
		return each_word(e, value, site, add_address);
	} else if (streq(name, "Port")) {
		if (!*value) {
			free(e->ports);
			e->ports = NULL;
			e->n_ports = 0;
			return 0;
		}
		return each_word(e, value, site, add_ports);
	} else {
		report(site, "unknown key '%s' in [Endpoint %s] (known: Class, Address, Port)", name, e->id);
	}
	return 0;
}

int idg_broker_key(struct idg_broker *b, const char *name, const char *value, const struct idg_parse_site *site)
{
	if (streq(name, "Class")) {
		set_class(&b->class_id, value, site);
	} else if (streq(name, "Path")) {
		char *copy;

		if (value[0] != '/' || strlen(value) >= IDG_UNIX_PATH_MAX) {
			report(site, "Path='%s' must be an absolute unix-socket path shorter than %d characters", value,
			       IDG_UNIX_PATH_MAX);
			return 0;
		}
		if (!(copy = strdup(value)))
			return -ENOMEM;
		free(b->path);
		b->path = copy;
	} else {
		report(site, "unknown key '%s' in [Broker %s] (known: Class, Path)", name, b->id);
	}
	return 0;
}

void idg_endpoints_free(struct idg_policy *policy)
{
	for (size_t i = 0; i < policy->n_endpoints; i++) {
		free(policy->endpoints[i].prefixes);
		free(policy->endpoints[i].ports);
	}
	free(policy->endpoints);
	for (size_t i = 0; i < policy->n_brokers; i++)
		free(policy->brokers[i].path);
	free(policy->brokers);
	policy->endpoints = NULL;
	policy->brokers = NULL;
	policy->n_endpoints = policy->n_brokers = 0;
}

/* Each broker has a class and a path, and no two the same path. A broker
 * with the path of an earlier one is reported once, naming the first: an
 * index of the paths, not each broker compared with all before it. */
static void check_brokers(const struct idg_policy *policy, struct idg_diags *diags)
{
	struct idg_name_index paths = { 0 };

	for (size_t i = 0; i < policy->n_brokers; i++) {
		const struct idg_broker *b = &policy->brokers[i], *first;
		ssize_t found;

		if (!b->class_id)
			(void)idg_diag_add(diags, b->file, b->line, false, "[Broker %s] has no Class=", b->id);
		if (!b->path) {
			(void)idg_diag_add(diags, b->file, b->line, false, "[Broker %s] has no Path=", b->id);
			continue;
		}
		found = idg_name_index_find(&paths, b->path);
		if (found < 0 && idg_name_index_add(&paths, b->path, i) < 0) {
			(void)idg_diag_add(diags, NULL, 0, false, "cannot check the brokers' Path= lines: out of memory");
			break;
		}
		if (found < 0)
			continue;
		first = &policy->brokers[found];
		(void)idg_diag_add(diags, b->file, b->line, false, "[Broker %s] has the same Path= as [Broker %s] (%s:%u)",
				   b->id, first->id, first->file, first->line);
	}
	idg_name_index_clear(&paths);
}

void idg_policy_check_endpoints(const struct idg_policy *policy, struct idg_diags *diags)
{
	if (policy->n_brokers > IDG_MAX_BROKERS)
		(void)idg_diag_add(diags, policy->brokers[IDG_MAX_BROKERS].file, policy->brokers[IDG_MAX_BROKERS].line, false,
				   "more than %d [Broker] sections: the kernel map holds %d", IDG_MAX_BROKERS, IDG_MAX_BROKERS);
	for (size_t i = 0; i < policy->n_endpoints; i++) {
		const struct idg_endpoint *e = &policy->endpoints[i];

		if (!e->class_id)
			(void)idg_diag_add(diags, e->file, e->line, false, "[Endpoint %s] has no Class=", e->id);
		if (!e->n_ports)
			(void)idg_diag_add(diags, e->file, e->line, false, "[Endpoint %s] has no Port=", e->id);
	}
	check_brokers(policy, diags);
}

void idg_endpoint_format(const struct idg_endpoint *e, FILE *out)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *sep = "";

	(void)fprintf(out, "\n[Endpoint %s]  ; %s:%u\nClass=%s\nAddress=", e->id, e->file, e->line,
		      idg_class_name(e->class_id));
	if (e->local) {
		(void)fprintf(out, "local");
		sep = " ";
	}
	if (e->loopback) {
		(void)fprintf(out, "%sloopback", sep);
		sep = " ";
	}
	for (size_t i = 0; i < e->n_prefixes; i++, sep = " ") {
		idg_prefix_format(&e->prefixes[i], text, sizeof(text));
		(void)fprintf(out, "%s%s", sep, text);
	}
	(void)fprintf(out, "\nPort=");
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i].lo == e->ports[i].hi)
			(void)fprintf(out, "%s%u", i ? " " : "", e->ports[i].lo);
		else
			(void)fprintf(out, "%s%u-%u", i ? " " : "", e->ports[i].lo, e->ports[i].hi);
	(void)fputc('\n', out);
}

const struct idg_endpoint *idg_policy_endpoint_by_id(const struct idg_policy *policy, uint32_t endpoint_id)
{
	for (size_t i = 0; policy && i < policy->n_endpoints; i++)
		if (policy->endpoints[i].endpoint_id == endpoint_id)
			return &policy->endpoints[i];
	return NULL;
}

const struct idg_broker *idg_policy_broker_by_id(const struct idg_policy *policy, uint32_t broker_id)
{
	for (size_t i = 0; policy && i < policy->n_brokers; i++)
		if (policy->brokers[i].broker_id == broker_id)
			return &policy->brokers[i];
	return NULL;
}

/* ---- the kernel's view ---------------------------------------------------------- */

/* One (prefix, endpoint) pair the policy asks for; order numbers them in
 * policy order. */
struct placed {
	struct idg_prefix prefix;
	size_t endpoint; /* in policy->endpoints */
	size_t order;
};

/* A distinct prefix, and the endpoints naming it, each once and in policy
 * order: members[first_member ... first_member + n_members). */
struct prefix_group {
	struct idg_prefix prefix;
	size_t first_order; /* of the first pair naming it: the table follows it */
	size_t first_member, n_members;
};

/* The building blocks of the table, so that building it costs n log n in
 * the size of the policy: the groups sorted by prefix find the (at most
 * 129) prefixes covering one by binary search, and each endpoint's ports
 * are taken without repeats, so that no rule is looked at twice. */
struct table_builder {
	const struct idg_policy *policy;
	struct placed *placed;
	size_t n_placed;
	struct prefix_group *groups; /* sorted by prefix */
	size_t n_groups;
	size_t *members;             /* endpoint indices */
	struct idg_port_range *ports;
	size_t *port_start;          /* endpoint i: ports[port_start[i] ... port_start[i + 1]) */
};

static void builder_clear(struct table_builder *b)
{
	free(b->placed);
	free(b->groups);
	free(b->members);
	free(b->ports);
	free(b->port_start);
}

/* The first len bits of prefix, as a prefix of that length. */
static void truncate_prefix(const struct idg_prefix *prefix, unsigned len, struct idg_prefix *ret)
{
	*ret = *prefix;
	ret->len = (uint8_t)len;
	for (unsigned i = len; i < 128; i++)
		ret->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

static int compare_prefixes(const struct idg_prefix *a, const struct idg_prefix *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int compare_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	int c = compare_prefixes(&x->prefix, &y->prefix);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static int compare_group_prefix(const void *key, const void *group)
{
	return compare_prefixes(key, &((const struct prefix_group *)group)->prefix);
}

static int compare_group_order(const void *a, const void *b)
{
	const struct prefix_group *x = a, *y = b;

	return x->first_order < y->first_order ? -1 : x->first_order > y->first_order;
}

static bool endpoint_watches(const struct idg_endpoint *e)
{
	return e->class_id && e->n_ports && (e->n_prefixes || e->local || e->loopback);
}

static int place(struct table_builder *b, const struct idg_prefix *prefix, size_t endpoint)
{
	struct placed *grown = idg_policy_grow(b->placed, b->n_placed, sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	b->placed = grown;
	/* Host bits cleared, so that the prefixes covering another are found
	 * by value (see fill_entries()). */
	truncate_prefix(prefix, prefix->len, &b->placed[b->n_placed].prefix);
	b->placed[b->n_placed].endpoint = endpoint;
	b->placed[b->n_placed].order = b->n_placed;
	b->n_placed++;
	return 0;
}

/* Every (prefix, endpoint) pair the policy asks for. */
static int place_all(struct table_builder *b, const struct idg_prefix *local, size_t n_local)
{
	int r = 0;

	for (size_t i = 0; i < b->policy->n_endpoints && r == 0; i++) {
		const struct idg_endpoint *e = &b->policy->endpoints[i];

		if (!endpoint_watches(e))
			continue;
		for (size_t k = 0; k < e->n_prefixes && r == 0; k++)
			r = place(b, &e->prefixes[k], i);
		for (size_t k = 0; (e->local || e->loopback) && k < ARRAY_SIZE(loopback_prefixes) && r == 0; k++)
			r = place(b, &loopback_prefixes[k], i);
		for (size_t k = 0; e->local && k < n_local && r == 0; k++)
			r = place(b, &local[k], i);
	}
	return r;
}

/* The ports any watching endpoint lists: each range counted where it
 * starts and uncounted after it ends, then one pass, so that a policy of
 * many wide ranges costs no more than one of narrow ones. */
static int set_port_flags(const struct idg_policy *policy, uint8_t *flags)
{
	_cleanup_free_ int32_t *starts = calloc(IDG_PORT_COUNT + 1, sizeof(*starts));
	int32_t open = 0;

	if (!starts)
		return -ENOMEM;
	for (size_t i = 0; i < policy->n_endpoints; i++) {
		const struct idg_endpoint *e = &policy->endpoints[i];

		if (!endpoint_watches(e))
			continue;
		for (size_t k = 0; k < e->n_ports; k++) {
			starts[e->ports[k].lo]++;
			starts[e->ports[k].hi + 1]--;
		}
	}
	for (size_t port = 0; port < IDG_PORT_COUNT; port++) {
		open += starts[port];
		flags[port] = open > 0;
	}
	return 0;
}

/* The distinct prefixes, each with its endpoints. */
static int group_prefixes(struct table_builder *b)
{
	if (b->n_placed) /* placed is NULL then: not for qsort() */
		qsort(b->placed, b->n_placed, sizeof(*b->placed), compare_placed);
	b->groups = calloc(b->n_placed + 1, sizeof(*b->groups));
	b->members = calloc(b->n_placed + 1, sizeof(*b->members));
	if (!b->groups || !b->members)
		return -ENOMEM;
	for (size_t i = 0, n_members = 0; i < b->n_placed; i++) {
		const struct placed *pl = &b->placed[i];
		struct prefix_group *g = b->n_groups ? &b->groups[b->n_groups - 1] : NULL;

		if (!g || compare_prefixes(&g->prefix, &pl->prefix)) {
			g = &b->groups[b->n_groups++];
			g->prefix = pl->prefix;
			g->first_order = pl->order;
			g->first_member = n_members;
		} else if (b->members[n_members - 1] == pl->endpoint) {
			continue; /* an endpoint naming the same prefix again */
		}
		b->members[n_members++] = pl->endpoint;
		g->n_members++;
	}
	return 0;
}

struct port_ref {
	struct idg_port_range range;
	size_t at;
};

static int compare_port_refs(const void *a, const void *b)
{
	const struct port_ref *x = a, *y = b;

	if (x->range.lo != y->range.lo)
		return x->range.lo < y->range.lo ? -1 : 1;
	if (x->range.hi != y->range.hi)
		return x->range.hi < y->range.hi ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Each endpoint's port ranges in its order, without repeats. */
static int distinct_ports(struct table_builder *b)
{
	const struct idg_policy *policy = b->policy;
	_cleanup_free_ struct port_ref *refs = NULL;
	_cleanup_free_ bool *first = NULL;
	size_t total = 0, most = 0, n = 0;

	for (size_t i = 0; i < policy->n_endpoints; i++) {
		total += policy->endpoints[i].n_ports;
		if (policy->endpoints[i].n_ports > most)
			most = policy->endpoints[i].n_ports;
	}
	b->ports = calloc(total + 1, sizeof(*b->ports));
	b->port_start = calloc(policy->n_endpoints + 1, sizeof(*b->port_start));
	refs = calloc(most + 1, sizeof(*refs));
	first = calloc(most + 1, sizeof(*first));
	if (!b->ports || !b->port_start || !refs || !first)
		return -ENOMEM;
	for (size_t i = 0; i < policy->n_endpoints; i++) {
		const struct idg_endpoint *e = &policy->endpoints[i];

		for (size_t k = 0; k < e->n_ports; k++)
			refs[k] = (struct port_ref){ e->ports[k], k };
		qsort(refs, e->n_ports, sizeof(*refs), compare_port_refs);
		for (size_t k = 0; k < e->n_ports; k++)
			first[refs[k].at] = k == 0 || refs[k].range.lo != refs[k - 1].range.lo ||
					    refs[k].range.hi != refs[k - 1].range.hi;
		b->port_start[i] = n;
		for (size_t k = 0; k < e->n_ports; k++)
			if (first[k])
				b->ports[n++] = e->ports[k];
	}
	b->port_start[policy->n_endpoints] = n;
	return 0;
}

/* Adds the rules of endpoint to the entry of prefix where. Each rule added
 * or already there: the loop ends after at most twice IDG_ENDPOINT_RULES. */
static int add_rules(const struct table_builder *b, struct idg_endpoint_entry *entry, size_t endpoint,
		     const struct idg_prefix *where, struct idg_diags *diags)
{
	const struct idg_endpoint *e = &b->policy->endpoints[endpoint];

	for (size_t k = b->port_start[endpoint]; k < b->port_start[endpoint + 1]; k++) {
		const struct idg_port_range *port = &b->ports[k];
		char text[INET6_ADDRSTRLEN + 8];
		bool dup = false;

		for (size_t m = 0; m < entry->set.count && !dup; m++)
			dup = entry->set.rules[m].endpoint_id == e->endpoint_id && entry->set.rules[m].port_lo == port->lo &&
			      entry->set.rules[m].port_hi == port->hi;
		if (dup)
			continue;
		if (entry->set.count == IDG_ENDPOINT_RULES) {
			idg_prefix_format(where, text, sizeof(text));
			(void)idg_diag_add(diags, e->file, e->line, false,
					   "more than %d port rules apply to %s; merge ports into ranges", IDG_ENDPOINT_RULES,
					   text);
			return -E2BIG;
		}
		entry->set.rules[entry->set.count++] = (struct idg_endpoint_rule){
			.port_lo = port->lo,
			.port_hi = port->hi,
			.class_id = e->class_id,
			.endpoint_id = e->endpoint_id,
		};
	}
	return 0;
}

/* One entry per distinct prefix, in the order the policy first names them,
 * holding the rules of every prefix that covers it: the narrowest first,
 * so it wins on the same port. */
static int fill_entries(const struct table_builder *b, struct idg_endpoint_table *table, struct idg_diags *diags)
{
	_cleanup_free_ struct prefix_group *in_order = calloc(b->n_groups + 1, sizeof(*in_order));
	int r = 0;

	if (!in_order)
		return -ENOMEM;
	memcpy(in_order, b->groups, b->n_groups * sizeof(*in_order));
	qsort(in_order, b->n_groups, sizeof(*in_order), compare_group_order);
	for (size_t i = 0; i < b->n_groups && r == 0; i++) {
		const struct prefix_group *g = &in_order[i];
		struct idg_endpoint_entry entry = { 0 }, *grown;

		entry.key.prefixlen = g->prefix.len;
		memcpy(entry.key.addr, g->prefix.addr, 16);
		for (int len = g->prefix.len; len >= 0 && r == 0; len--) {
			const struct prefix_group *outer;
			struct idg_prefix key;

			truncate_prefix(&g->prefix, (unsigned)len, &key);
			outer = bsearch(&key, b->groups, b->n_groups, sizeof(*b->groups), compare_group_prefix);
			for (size_t m = 0; outer && m < outer->n_members && r == 0; m++)
				r = add_rules(b, &entry, b->members[outer->first_member + m], &g->prefix, diags);
		}
		if (r < 0)
			break;
		if (table->count == IDG_MAX_ENDPOINT_PREFIXES) {
			const struct idg_endpoint *e = &b->policy->endpoints[b->members[g->first_member]];

			(void)idg_diag_add(diags, e->file, e->line, false,
					   "more than %d addresses and prefixes in [Endpoint] sections: the kernel map holds %d",
					   IDG_MAX_ENDPOINT_PREFIXES, IDG_MAX_ENDPOINT_PREFIXES);
			return -E2BIG;
		}
		grown = idg_policy_grow(table->entries, table->count, sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		table->entries = grown;
		table->entries[table->count++] = entry;
	}
	return r;
}

void idg_endpoint_table_clear(struct idg_endpoint_table *table)
{
	free(table->entries);
	free(table->port_flags);
	memset(table, 0, sizeof(*table));
}

int idg_endpoint_table_build(const struct idg_policy *policy, const struct idg_prefix *local, size_t n_local,
			     struct idg_endpoint_table *ret, struct idg_diags *diags)
{
	struct idg_endpoint_table table = { 0 };
	struct table_builder b = { .policy = policy };
	int r;

	memset(ret, 0, sizeof(*ret));
	table.port_flags = calloc(IDG_PORT_COUNT, 1);
	if (!table.port_flags)
		return -ENOMEM;
	r = set_port_flags(policy, table.port_flags);
	if (r == 0)
		r = place_all(&b, local, n_local);
	if (r == 0)
		r = group_prefixes(&b);
	if (r == 0)
		r = distinct_ports(&b);
	if (r == 0)
		r = fill_entries(&b, &table, diags);
	builder_clear(&b);
	if (r == -E2BIG) {
		idg_endpoint_table_clear(&table);
		return 0; /* reported in diags, where the caller looks */
	}
	if (r < 0) {
		idg_endpoint_table_clear(&table);
		return r;
	}
	*ret = table;
	return 0;
}
