// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl key generate: an approver's signing key pair as PASERK files,
 * and the approvers.d entry that registers it on workstations.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "paseto.h"
#include "policy.h"
#include "util.h"

static const char key_help[] =
	"Usage: idguardctl key generate --id ID [--user USER] [--dir DIR] [--json]\n"
	"Creates an approver's signing key pair: DIR/ID.k4.secret (mode 0600: whoever\n"
	"holds it can approve tokens) and DIR/ID.k4.public, both PASERK, and prints\n"
	"the [Approver] entry to install as " IDG_SYSCONFDIR "/idguard/approvers.d/ID.conf\n"
	"on every workstation (and in the registry of approvers' PCs). USER is the\n"
	"approver's login name (default: ID). DIR defaults to the current directory;\n"
	"it is created (mode 0700, with missing parents) when missing, and refused\n"
	"when other users may write to it. Existing files are never replaced.\n";

/* Creates path with mode and writes text, refusing to replace a file. */
static int write_new_file(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t len = strlen(text);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		r = -EIO;
	if (fsync(fd) < 0 && r == 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void)unlink(path);
	return r;
}

/* Creates dir and its missing parents with mode 0700: the last one holds a
 * secret key. An existing directory is used as it is, unless any user may
 * write to it without the sticky bit: then someone could swap the key files
 * later. 0 with *ret_created, or -errno (-EPERM for that case). */
static int prepare_dir(const char *dir, bool *ret_created)
{
	char path[4096];
	bool created = false;
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == 0)
			created = true;
		else if (errno != EEXIST)
			return -errno;
		else
			created = false;
		*p = c;
		if (!c)
			break;
	}
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return -EPERM;
	*ret_created = created;
	return 0;
}

int ctl_key(const struct ctl *ctl_in, int argc, char **argv)
{
	static const struct option options[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "user", required_argument, NULL, 'u' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *id = NULL, *user = NULL, *dir = ".";
	char secret_path[4096], public_path[4096];
	char secret_text[IDG_PASERK_MAX], public_text[IDG_PASERK_MAX], key_id[IDG_PASERK_MAX];
	unsigned char pk[32], sk[64];
	struct ctl ctl = *ctl_in;
	bool created = false;
	int c, r;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		(void)fputs(key_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	if (!streq(argv[1], "generate")) {
		(void)fprintf(stderr, "idguardctl key: unknown action '%s' (generate)\n", argv[1]);
		return CTL_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 0; /* 0, not 1: glibc then forgets the "+" (stop at operands) of main()'s scan */
	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			id = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			(void)fputs(key_help, stdout);
			return CTL_EXIT_OK;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (!id || optind < argc) {
		(void)fprintf(stderr, "idguardctl key generate: --id is needed (the approver's id, e.g. wang)\n");
		return CTL_EXIT_USAGE;
	}
	/* The same rule approvers.d applies, so the printed entry is valid. */
	for (const char *name = id; name; name = name == id ? user : NULL) {
		if (!*name || strlen(name) >= IDG_NAME_MAX || !isalnum((unsigned char)name[0]) ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name)) {
			(void)fprintf(stderr,
				      "idguardctl key generate: '%s' is not a name (a letter or digit first, then letters, "
				      "digits, '.', '_', '-')\n",
				      name);
			return CTL_EXIT_USAGE;
		}
	}
	r = prepare_dir(dir, &created);
	if (r == -EPERM) {
		(void)fprintf(stderr,
			      "idguardctl key generate: %s may be written by any user, who could replace the key files; "
			      "use a directory of your own (it is created with mode 0700 when missing)\n",
			      dir);
		return CTL_EXIT_FAILED;
	}
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl key generate: cannot create the directory %s: %s\n", dir, strerror(-r));
		return CTL_EXIT_FAILED;
	}
	if (idg_paserk_generate(pk, sk) < 0 || idg_paserk_secret_encode(sk, secret_text, sizeof(secret_text)) < 0 ||
	    idg_paserk_public_encode(pk, public_text, sizeof(public_text)) < 0 ||
	    idg_paserk_pid(pk, key_id, sizeof(key_id)) < 0) {
		sodium_memzero(sk, sizeof(sk));
		(void)fprintf(stderr, "idguardctl key generate: cannot create a key pair\n");
		return CTL_EXIT_FAILED;
	}
	sodium_memzero(sk, sizeof(sk));
	(void)snprintf(secret_path, sizeof(secret_path), "%s/%s.k4.secret", dir, id);
	(void)snprintf(public_path, sizeof(public_path), "%s/%s.k4.public", dir, id);
	r = write_new_file(secret_path, 0600, secret_text);
	sodium_memzero(secret_text, sizeof(secret_text));
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl key generate: cannot create %s: %s\n", secret_path, strerror(-r));
		return CTL_EXIT_FAILED;
	}
	r = write_new_file(public_path, 0644, public_text);
	if (r < 0) {
		(void)unlink(secret_path);
		(void)fprintf(stderr, "idguardctl key generate: cannot create %s: %s\n", public_path, strerror(-r));
		return CTL_EXIT_FAILED;
	}
	if (ctl.json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ok", json_object_new_boolean(1));
		json_object_object_add(obj, "id", json_object_new_string(id));
		json_object_object_add(obj, "user", json_object_new_string(user ? user : id));
		json_object_object_add(obj, "secret_key_file", json_object_new_string(secret_path));
		json_object_object_add(obj, "public_key_file", json_object_new_string(public_path));
		json_object_object_add(obj, "public_key", json_object_new_string(public_text));
		json_object_object_add(obj, "key_id", json_object_new_string(key_id));
		json_object_object_add(obj, "created_dir", json_object_new_boolean(created));
		ctl_print_json(obj);
		json_object_put(obj);
		return CTL_EXIT_OK;
	}
	if (created)
		(void)printf("Created %s (mode 0700).\n", dir);
	(void)printf("Wrote %s (keep it private: whoever holds it can approve tokens)\n"
		     "and %s. Key id: %s\n\n"
		     "Register the approver on every workstation, as %s/idguard/approvers.d/%s.conf:\n\n"
		     "[Approver %s]\nUser=%s\nPublicKey=%s\n"
		     "# the purposes this approver may approve (ids from the policy, or *)\nPurposes=\n",
		     secret_path, public_path, key_id, IDG_SYSCONFDIR, id, id, user ? user : id, public_text);
	return CTL_EXIT_OK;
}
