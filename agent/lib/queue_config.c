// SPDX-License-Identifier: GPL-2.0-only
/*
 * relay.conf: where the site's broker is and which certificate this
 * machine shows it. Read by idguard-relay on a workstation and by
 * `idguardctl token inbox` on a supervisor's PC.
 *
 *   [Broker]
 *   Address=broker.branch-017.example     (host, host:port, [v6]:port; port 8883)
 *   CA=/etc/idguard/relay/ca.crt
 *   Certificate=/etc/idguard/relay/client.crt
 *   Key=/etc/idguard/relay/client.key
 *   Name=ws-017                           (the certificate's name; default: host name)
 *   TopicPrefix=idguard
 */
#include "queue.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct parse {
	struct idg_queue_config *cfg;
	struct idg_error *err;
	int r;
	int line;
	FILE *file;
	bool in_broker;
};

static int fail_at(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_at(struct parse *p, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (p->r < 0)
		return 0;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->r = idg_error_set(p->err, -EINVAL, "%s:%d: %s", p->cfg->file, p->line, what);
	return 0;
}

/* inih's reader, counting lines: the handler then knows where it is. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;

	p->line++;
	return fgets(buf, size, p->file);
}

static int parse_address(struct idg_queue_config *cfg, const char *value)
{
	const char *colon;
	char *end;
	long port = IDG_QUEUE_DEFAULT_PORT;
	size_t host_len;

	if (value[0] == '[') {
		const char *close = strchr(value, ']');

		if (!close || close == value + 1)
			return -EINVAL;
		host_len = (size_t)(close - value - 1);
		value++;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return -EINVAL;
	} else {
		colon = strchr(value, ':');
		if (colon && strchr(colon + 1, ':'))
			return -EINVAL; /* an IPv6 address needs brackets */
		host_len = colon ? (size_t)(colon - value) : strlen(value);
	}
	if (host_len == 0 || host_len >= sizeof(cfg->address))
		return -EINVAL;
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
			return -ERANGE;
	}
	memcpy(cfg->address, value, host_len);
	cfg->address[host_len] = '\0';
	cfg->port = (int)port;
	return 0;
}

static int set_path(struct parse *p, char *dst, size_t size, const char *key, const char *value)
{
	if (value[0] != '/')
		return fail_at(p, "%s= must be an absolute path, not '%s'", key, value);
	if (strlen(value) >= size)
		return fail_at(p, "%s= is too long", key);
	(void)snprintf(dst, size, "%s", value);
	return 1;
}

static int handle(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;

	p->in_broker = streq(section, "Broker");
	if (!p->in_broker && !*section)
		return fail_at(p, "%s= outside the [Broker] section", key);
	if (!p->in_broker)
		return fail_at(p, "unknown section [%s] (relay.conf has only [Broker])", section);
	if (streq(key, "Address")) {
		int r = parse_address(p->cfg, value);

		if (r == -ERANGE)
			return fail_at(p, "Address=%s: the port must be 1 to 65535", value);
		if (r < 0)
			return fail_at(p, "Address=%s is not a host name, an address, HOST:PORT or [IPV6]:PORT", value);
		return 1;
	}
	if (streq(key, "CA"))
		return set_path(p, p->cfg->ca, sizeof(p->cfg->ca), key, value);
	if (streq(key, "Certificate"))
		return set_path(p, p->cfg->cert, sizeof(p->cfg->cert), key, value);
	if (streq(key, "Key"))
		return set_path(p, p->cfg->key, sizeof(p->cfg->key), key, value);
	if (streq(key, "Name") || streq(key, "TopicPrefix")) {
		char *dst = streq(key, "Name") ? p->cfg->name : p->cfg->prefix;
		size_t size = streq(key, "Name") ? sizeof(p->cfg->name) : sizeof(p->cfg->prefix);

		/* Topic levels: no wildcards, no separators in a name. */
		if (!*value || strlen(value) >= size || strpbrk(value, "+#") ||
		    (streq(key, "Name") && strchr(value, '/')))
			return fail_at(p, "%s=%s is not usable in a topic (empty, too long, or has + # or /)", key,
				       value);
		(void)snprintf(dst, size, "%s", value);
		return 1;
	}
	return fail_at(p, "unknown setting %s= (known: Address, CA, Certificate, Key, Name, TopicPrefix)", key);
}

int idg_queue_config_load(const char *path, struct idg_queue_config *ret, struct idg_error *err)
{
	struct parse p = { .cfg = ret, .err = err };
	FILE *f;
	int r;

	*ret = (struct idg_queue_config){ .port = IDG_QUEUE_DEFAULT_PORT };
	(void)snprintf(ret->file, sizeof(ret->file), "%s", path);
	(void)snprintf(ret->prefix, sizeof(ret->prefix), "%s", IDG_QUEUE_DEFAULT_PREFIX);
	f = fopen(path, "re");
	if (!f)
		return idg_error_errno(err, -errno, "cannot read %s", path);
	p.file = f;
	r = ini_parse_stream(read_line, &p, handle, &p);
	(void)fclose(f);
	if (p.r < 0)
		return p.r;
	if (r > 0)
		return idg_error_set(err, -EINVAL, "%s:%d: not a 'Key=value' line or a [Section]", path, r);
	if (r < 0)
		return idg_error_set(err, -EIO, "cannot read %s", path);
	if (!ret->address[0] || !ret->ca[0] || !ret->cert[0] || !ret->key[0])
		return idg_error_set(err, -EINVAL, "%s: [Broker] needs Address=, CA=, Certificate= and Key= (missing: %s%s%s%s)",
				     path, ret->address[0] ? "" : "Address= ", ret->ca[0] ? "" : "CA= ",
				     ret->cert[0] ? "" : "Certificate= ", ret->key[0] ? "" : "Key=");
	if (!ret->name[0]) {
		char host[256];

		/* A workstation's certificate carries its host name. */
		if (gethostname(host, sizeof(host)) < 0 || !host[0])
			return idg_error_set(err, -EINVAL, "%s: no Name= and no host name to use instead", path);
		host[strcspn(host, ".")] = '\0';
		(void)snprintf(ret->name, sizeof(ret->name), "%s", host);
	}
	return 0;
}

void idg_queue_config_address(const struct idg_queue_config *cfg, char *buf, size_t size)
{
	bool v6 = strchr(cfg->address, ':') != NULL;

	(void)snprintf(buf, size, "%s%s%s:%d", v6 ? "[" : "", cfg->address, v6 ? "]" : "", cfg->port);
}
