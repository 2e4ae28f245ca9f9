// SPDX-License-Identifier: GPL-2.0-only
/*
 * The idguard CUPS backend: the print gate's front door. A queue whose
 * device URI is idguard:/REAL-URI (idguard:/socket://192.0.2.10:9100,
 * idguard:/usb://HP/LaserJet?serial=X) runs this backend for each job; it
 * asks idguardd (print-check) whether the job's user may print now, then
 * either refuses the job or becomes the real backend (exec), which gets the
 * job exactly as cupsd would have given it: arguments, print file, stdin,
 * back and side channels, and the user cupsd would have run it as.
 * Also accepted: idguard://REAL-URI and idguard:REAL-URI (the real URI
 * starts with a scheme, never a slash, so the slashes are not ambiguous).
 *
 * It must be installed mode 0700, owned by root: cupsd then runs it as root,
 * which print-check requires and which the drop to cupsd's User needs.
 *
 *   idguard                                      (discovery: lists nothing)
 *   idguard JOB USER TITLE COPIES OPTIONS [FILE] (DEVICE_URI, PRINTER set)
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/stat.h>

#include "protocol.h"
#include "util.h"

/* How cupsd reads a backend's exit status (backend(7)). */
enum cups_backend_status {
	CUPS_BACKEND_OK = 0,     /* printed; or, without arguments, nothing to list */
	CUPS_BACKEND_FAILED = 1, /* the queue's ErrorPolicy decides */
	CUPS_BACKEND_STOP = 4,   /* stop the queue; the job waits in it */
	CUPS_BACKEND_CANCEL = 5, /* cancel this job; the queue goes on */
	CUPS_BACKEND_RETRY = 6,  /* hold the job JobRetryInterval seconds, then try again */
};

enum print_verdict {
	PRINT_OFF,
	PRINT_AUDITED,
	PRINT_GRANTED,
	PRINT_DENIED,
};

#define URI_PREFIX "idguard:"
#define DEFAULT_SERVERBIN "/usr/lib/cups"
#define DEFAULT_SERVERROOT "/etc/cups"
#define DEFAULT_RUN_USER "lp" /* cupsd's defaults for User and Group */

/* print-check's field limits (agent/lib/protocol.c), in bytes. */
#define MAX_USER 256
#define MAX_QUEUE 256
#define MAX_JOB 32
#define MAX_TITLE 1024

/* The real device URI inside ours, or NULL when uri is not ours or is empty inside. */
static const char *inner_uri(const char *uri)
{
	const char *p;

	if (strncmp(uri, URI_PREFIX, strlen(URI_PREFIX)) != 0)
		return NULL;
	p = uri + strlen(URI_PREFIX);
	for (int i = 0; i < 2 && *p == '/'; i++)
		p++;
	return *p ? p : NULL;
}

/* Copies uri's scheme (RFC 3986: a letter, then letters, digits, '+', '-',
 * '.') into buf; -EINVAL when it has none, -ELOOP when it is ours. */
static int uri_scheme(const char *uri, char *buf, size_t size)
{
	size_t len = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

	if (len == 0 || len >= size || uri[len] != ':' || !((uri[0] | 0x20) >= 'a' && (uri[0] | 0x20) <= 'z'))
		return -EINVAL;
	memcpy(buf, uri, len);
	buf[len] = '\0';
	return strcasecmp(buf, "idguard") == 0 ? -ELOOP : 0;
}

/* The length of s cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t utf8_prefix_len(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	for (len = max; len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80; len--)
		;
	return len;
}

/* Whether cupsd (2.4, scheduler/job.c) runs a backend with this mode as
 * root: when it has no group-write bit and no bits for others. */
static bool cups_runs_as_root(mode_t mode)
{
	return !(mode & (S_IWGRP | S_IRWXO));
}

/* A User or Group value of cups-files.conf: a name, or a number as cupsd accepts it. */
static int resolve_id(const char *value, bool group, unsigned *ret, struct idg_error *err)
{
	uint64_t number;
	struct passwd *pw;
	struct group *gr;

	if (idg_parse_uint(value, UINT32_MAX - 1, &number) == 0) {
		*ret = (unsigned)number;
		return 0;
	}
	if (group && (gr = getgrnam(value))) {
		*ret = gr->gr_gid;
		return 0;
	}
	if (!group && (pw = getpwnam(value))) {
		*ret = pw->pw_uid;
		return 0;
	}
	return idg_error_set(err, -ENOENT, "cupsd's %s '%s' does not exist", group ? "Group" : "User", value);
}

/* cupsd's User and Group from cups-files.conf (lp and lp when not set): the
 * ids cupsd runs a backend as when it would not run it as root. */
static int cups_run_ids(uid_t *ret_uid, gid_t *ret_gid, struct idg_error *err)
{
	const char *root = getenv("CUPS_SERVERROOT");
	char path[4096], line[1024], user[256] = DEFAULT_RUN_USER, group[256] = DEFAULT_RUN_USER;
	_cleanup_fclose_ FILE *f = NULL;
	unsigned uid, gid;
	int r;

	(void)snprintf(path, sizeof(path), "%s/cups-files.conf", root && root[0] == '/' ? root : DEFAULT_SERVERROOT);
	f = fopen(path, "re");
	if (!f && errno != ENOENT)
		return idg_error_errno(err, -errno, "cannot read %s", path);
	while (f && fgets(line, sizeof(line), f)) {
		char *key = idg_strstrip(line), *value = key + strcspn(key, " \t");

		if (*value == '\0')
			continue;
		*value++ = '\0';
		value = idg_strstrip(value);
		if (strcasecmp(key, "User") == 0)
			(void)snprintf(user, sizeof(user), "%s", value);
		else if (strcasecmp(key, "Group") == 0)
			(void)snprintf(group, sizeof(group), "%s", value);
	}
	r = resolve_id(user, false, &uid, err);
	if (r < 0)
		return r;
	r = resolve_id(group, true, &gid, err);
	if (r < 0)
		return r;
	if (uid == 0)
		return idg_error_set(err, -EPERM, "cupsd's User in %s is root, which is not a user to drop to", path);
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

/* Becomes uid and gid for good, as cups-exec does (one supplementary group:
 * gid); every step is checked, and root must not be regainable. */
static int drop_privileges(uid_t uid, gid_t gid, struct idg_error *err)
{
	if (setgroups(1, &gid) < 0)
		return idg_error_errno(err, -errno, "setgroups(%u)", (unsigned)gid);
	if (setgid(gid) < 0)
		return idg_error_errno(err, -errno, "setgid(%u)", (unsigned)gid);
	if (setuid(uid) < 0)
		return idg_error_errno(err, -errno, "setuid(%u)", (unsigned)uid);
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
		return idg_error_set(err, -EPERM, "the ids did not change to %u:%u", (unsigned)uid, (unsigned)gid);
	if (setuid(0) == 0)
		return idg_error_set(err, -EPERM, "root could be regained after dropping to uid %u", (unsigned)uid);
	return 0;
}

/* Asks idguardd about one job. Returns 0 with the verdict and the daemon's
 * sentence; -ENOENT / -ECONNREFUSED when no daemon listens; -EPROTO when it
 * refused the question or answered something else; other -errno (err says). */
static int print_check(const char *socket_path, const char *user, const char *queue, const char *job,
		       const char *title, enum print_verdict *ret_verdict, char *message, size_t message_size,
		       struct idg_error *err)
{
	struct json_object *request = json_object_new_object(), *reply = NULL, *value;
	const char *verdict;
	int r;

	if (!request)
		return idg_error_set(err, -ENOMEM, "out of memory");
	json_object_object_add(request, "command", json_object_new_string("print-check"));
	json_object_object_add(request, "user", json_object_new_string(user));
	json_object_object_add(request, "queue", json_object_new_string_len(queue, (int)utf8_prefix_len(queue, MAX_QUEUE)));
	json_object_object_add(request, "job", json_object_new_string(job));
	json_object_object_add(request, "title", json_object_new_string_len(title, (int)utf8_prefix_len(title, MAX_TITLE)));
	r = idg_client_call(socket_path, request, IDG_REQUEST_TIMEOUT_MS, &reply, err);
	json_object_put(request);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(reply, "ok", &value) || !json_object_get_boolean(value)) {
		r = idg_error_set(err, -EPROTO, "idguardd refused the question: %s",
				  json_object_object_get_ex(reply, "error", &value) ? json_object_get_string(value)
										    : "(no reason given)");
		json_object_put(reply);
		return r;
	}
	verdict = json_object_object_get_ex(reply, "verdict", &value) ? json_object_get_string(value) : "";
	if (streq(verdict, "off"))
		*ret_verdict = PRINT_OFF;
	else if (streq(verdict, "audited"))
		*ret_verdict = PRINT_AUDITED;
	else if (streq(verdict, "granted"))
		*ret_verdict = PRINT_GRANTED;
	else if (streq(verdict, "denied"))
		*ret_verdict = PRINT_DENIED;
	else {
		r = idg_error_set(err, -EPROTO, "idguardd answered the unknown verdict '%.64s'", verdict);
		json_object_put(reply);
		return r;
	}
	(void)snprintf(message, message_size, "%s",
		       json_object_object_get_ex(reply, "message", &value) ? json_object_get_string(value) : "");
	json_object_put(reply);
	return 0;
}

/* One line to cupsd, which acts on some of a backend's lines (ATTR:, PPD:):
 * a control character in what it quotes (a user name, say) must not start
 * a line of its own. fmt starts with the level ("ERROR: ..."). */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	char line[2048]; /* cupsd takes 2047 bytes of a message (CUPS_MAX_MESSAGE) */
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	(void)fprintf(stderr, "%s\n", line);
}

int main(int argc, char **argv)
{
	const char *device_uri, *shown_uri, *real_uri, *queue, *serverbin, *socket_path;
	char scheme[256], backend[4096], message[1024];
	enum print_verdict verdict = PRINT_DENIED; /* until idguardd says otherwise */
	struct idg_error err;
	struct stat st;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int r;

	/* Discovery (cups-deviced, lpinfo -v): the real backends list the
	 * devices; a wrapper has none of its own. */
	if (argc == 1)
		return CUPS_BACKEND_OK;
	if (argc != 6 && argc != 7) {
		(void)fprintf(stderr, "Usage: %s job-id user title copies options [file]\n"
				      "The device URI (DEVICE_URI) is idguard:/REAL-URI, e.g. "
				      "idguard:/socket://192.0.2.10:9100\n", argv[0]);
		return CUPS_BACKEND_FAILED;
	}

	/* The queue's own configuration is wrong: every job would fail alike,
	 * so the queue stops with the reason as its state message and the jobs
	 * wait in it for the administrator (cancelling would lose them). */
	device_uri = getenv("DEVICE_URI");
	if (!device_uri || !device_uri[0])
		device_uri = strchr(argv[0], ':') ? argv[0] : NULL;
	if (!device_uri) {
		report("ERROR: idguard: DEVICE_URI is not set: the backend runs under cupsd");
		return CUPS_BACKEND_STOP;
	}
	/* From cupsd, argv[0] is the URI without its password: what messages show. */
	shown_uri = strchr(argv[0], ':') ? argv[0] : device_uri;
	real_uri = inner_uri(device_uri);
	if (!real_uri) {
		report("ERROR: idguard: the device URI '%s' is not idguard:/REAL-URI "
		       "(for example idguard:/socket://192.0.2.10:9100)", shown_uri);
		return CUPS_BACKEND_STOP;
	}
	r = uri_scheme(real_uri, scheme, sizeof(scheme));
	if (r < 0) {
		report("ERROR: idguard: the device URI '%s' %s", shown_uri,
		       r == -ELOOP ? "wraps idguard itself" : "has no valid scheme after idguard:/");
		return CUPS_BACKEND_STOP;
	}
	serverbin = getenv("CUPS_SERVERBIN");
	if (!serverbin || serverbin[0] != '/')
		serverbin = DEFAULT_SERVERBIN;
	(void)snprintf(backend, sizeof(backend), "%s/backend/%s", serverbin, scheme);
	if (stat(backend, &st) < 0) {
		report("ERROR: idguard: no CUPS backend for '%s:' URIs: %s: %s", scheme, backend, strerror(errno));
		return CUPS_BACKEND_STOP;
	}
	/* What cupsd demands of a backend it runs, since this one may run as root. */
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		report("ERROR: idguard: the backend %s must be a file owned by root and writable only by root",
		       backend);
		return CUPS_BACKEND_STOP;
	}
	queue = getenv("PRINTER");
	if (!queue || !queue[0]) {
		report("ERROR: idguard: PRINTER is not set: the backend runs under cupsd");
		return CUPS_BACKEND_STOP;
	}

	/* Cut down, a user name or a job id could become another's; refuse. */
	if (strlen(argv[2]) > MAX_USER || strlen(argv[1]) > MAX_JOB) {
		report("ERROR: idguard: refused the job: its %s is longer than %d bytes",
		       strlen(argv[2]) > MAX_USER ? "user name" : "id", strlen(argv[2]) > MAX_USER ? MAX_USER : MAX_JOB);
		return CUPS_BACKEND_CANCEL;
	}
	/* Only root (cupsd) runs this backend, and only root sets cupsd's environment. */
	socket_path = getenv("IDGUARD_SOCKET");
	if (!socket_path || !socket_path[0])
		socket_path = IDG_DEFAULT_SOCKET;
	r = print_check(socket_path, argv[2], queue, argv[1], argv[3], &verdict, message, sizeof(message), &err);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		/* Fail closed, but keep the job: a daemon being restarted is back
		 * in seconds, and cupsd tries the job again after JobRetryInterval
		 * (it aborts it after JobRetryLimit tries). */
		report("DEBUG: idguard: %s", err.message);
		report("ERROR: idguard: idguardd is not running; printing through this queue is held");
		return CUPS_BACKEND_RETRY;
	}
	if (r == -EPROTO) {
		/* A daemon that will not answer this backend (not root, a daemon
		 * without print-check) will not change its mind by itself. */
		report("ERROR: idguard: %s; printing through this queue is stopped", err.message);
		return CUPS_BACKEND_STOP;
	}
	if (r < 0) {
		report("ERROR: idguard: cannot ask idguardd: %s; printing through this queue is held", err.message);
		return CUPS_BACKEND_RETRY;
	}
	if (verdict == PRINT_DENIED) {
		/* The daemon's sentence becomes the job's and the printer's state message. */
		report("ERROR: %s", message);
		return CUPS_BACKEND_CANCEL;
	}
	report("DEBUG: %s", message);

	/* Becoming the real backend: its URI in DEVICE_URI, and in argv[0]
	 * without the password when cupsd gave us ours so. */
	if (setenv("DEVICE_URI", real_uri, 1) < 0) {
		report("ERROR: idguard: cannot set DEVICE_URI: %s", strerror(errno));
		return CUPS_BACKEND_STOP;
	}
	argv[0] = (char *)(inner_uri(argv[0]) ?: real_uri);
	if (!cups_runs_as_root(st.st_mode)) {
		r = cups_run_ids(&uid, &gid, &err);
		if (r >= 0)
			r = drop_privileges(uid, gid, &err);
		if (r < 0) {
			report("ERROR: idguard: cannot run %s as cupsd's user: %s", backend, err.message);
			return CUPS_BACKEND_STOP;
		}
	}
	(void)execv(backend, argv);
	report("ERROR: idguard: cannot run %s: %s", backend, strerror(errno));
	return CUPS_BACKEND_STOP;
}
