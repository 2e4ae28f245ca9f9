// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry for idguardctl token: the purposes of the policy directories
 * and of the registry (IDG_DEFAULT_REGISTRY_DIR or --registry), and the
 * approvers of approvers.d and of the registry, loaded for approve and
 * purposes with a record of where each was looked for; and `token registry
 * export`, which writes what an approver's PC needs from a workstation's
 * policy as one file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "names.h"
#include "paseto.h"
#include "policy.h"
#include "token.h"
#include "util.h"

static void append_where(char *buf, size_t size, const char *path, const char *note)
{
	size_t used = strlen(buf);

	if (used < size)
		(void)snprintf(buf + used, size - used, "%s%s%s", used ? ", " : "", path, note);
}

/* " (does not exist)", " (empty)" or "" for a directory of *.conf files. */
static const char *dir_note(const char *dir)
{
	struct stat st;
	bool any = false;
	DIR *d;
	struct dirent *de;

	if (stat(dir, &st) < 0)
		return errno == ENOENT ? " (does not exist)" : " (cannot be read)";
	if (!S_ISDIR(st.st_mode))
		return "";
	d = opendir(dir);
	if (!d)
		return " (cannot be read)";
	while (!any && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		any = de->d_name[0] != '.' && len > 5 && streq(de->d_name + len - 5, ".conf");
	}
	(void)closedir(d);
	return any ? "" : " (no *.conf files)";
}

/* Adds the diagnostics of more not already in diags: the purposes are
 * checked once more after the registry joined them, and those of the
 * policy directories were checked already. */
static void merge_new_diags(struct idg_diags *diags, const struct idg_diags *more)
{
	for (size_t i = 0; i < more->count; i++) {
		const struct idg_diag *m = &more->items[i];
		bool seen = false;

		for (size_t k = 0; k < diags->count && !seen; k++) {
			const struct idg_diag *d = &diags->items[k];

			seen = d->line == m->line && d->warning == m->warning && streq(d->message, m->message) &&
			       (d->file && m->file ? streq(d->file, m->file) : d->file == m->file);
		}
		if (!seen)
			(void)idg_diag_add(diags, m->file, m->line, m->warning, "%s", m->message);
	}
}

static size_t approver_file_count(const struct idg_policy *policy)
{
	size_t n = 0;

	for (size_t i = 0; i < policy->n_approvers; i++) {
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = policy->approvers[k].file == policy->approvers[i].file;
		n += !seen;
	}
	return n;
}

int ctl_registry_load(const struct token_options *o, bool with_approvers, struct ctl_registry *reg)
{
	static const char *const default_dirs[] = IDG_DEFAULT_POLICY_DIRS;
	static const char *const default_approver_dirs[] = IDG_DEFAULT_APPROVER_DIRS;
	static const char *const default_registry[] = { IDG_DEFAULT_REGISTRY_DIR };
	const char *const *dirs = o->n_dirs ? o->dirs : default_dirs;
	size_t n_dirs = o->n_dirs ? o->n_dirs : ARRAY_SIZE(default_dirs);
	const char *const *registry = o->n_registry ? o->registry : default_registry;
	size_t n_registry = o->n_registry ? o->n_registry : ARRAY_SIZE(default_registry);
	const char *const *approver_dirs = o->n_approver_dirs ? o->approver_dirs : default_approver_dirs;
	size_t n_approver_dirs = o->n_approver_dirs ? o->n_approver_dirs : ARRAY_SIZE(default_approver_dirs);
	struct idg_diags diags = { 0 }, again = { 0 };
	size_t registry_files = 0;
	int r;

	memset(reg, 0, sizeof(*reg));
	for (size_t i = 0; i < n_dirs; i++)
		append_where(reg->purposes_where, sizeof(reg->purposes_where), dirs[i], "");
	for (size_t i = 0; i < n_registry; i++)
		append_where(reg->purposes_where, sizeof(reg->purposes_where), registry[i], "");
	r = idg_policy_load_dirs(dirs, n_dirs, &reg->policy, &diags);
	if (r == 0) {
		reg->purpose_files = reg->policy->n_files;
		r = idg_policy_load_registry(reg->policy, registry, n_registry, &registry_files, &diags);
	}
	if (r == 0 && registry_files) {
		reg->purpose_files += registry_files;
		idg_policy_check_purposes(reg->policy, &again);
		merge_new_diags(&diags, &again);
		idg_diags_clear(&again);
	}
	if (r == 0 && with_approvers) {
		for (size_t i = 0; i < n_approver_dirs; i++)
			append_where(reg->approvers_where, sizeof(reg->approvers_where), approver_dirs[i],
				     dir_note(approver_dirs[i]));
		/* The registry may hold [Approver] sections too. */
		for (size_t i = 0; i < n_registry && registry_files; i++)
			append_where(reg->approvers_where, sizeof(reg->approvers_where), registry[i], "");
		r = idg_policy_load_approvers(reg->policy, approver_dirs, n_approver_dirs, &diags);
		if (r == 0)
			reg->approver_files = approver_file_count(reg->policy);
	}
	if (r < 0 || diags.errors) {
		if (r < 0)
			(void)fprintf(stderr, "idguardctl token: cannot read the policy and registry: %s\n", strerror(-r));
		idg_diags_print(&diags, stderr);
		(void)fprintf(stderr, "idguardctl token: the policy, registry or approvers files above have errors; "
				      "ask an administrator\n");
		idg_diags_clear(&diags);
		ctl_registry_clear(reg);
		return CTL_EXIT_FAILED;
	}
	idg_diags_clear(&diags);
	return 0;
}

void ctl_registry_clear(struct ctl_registry *reg)
{
	idg_policy_free(reg->policy);
	reg->policy = NULL;
}

int ctl_registry_require_purposes(const struct ctl_registry *reg, const char *command)
{
	if (reg->policy->n_purposes)
		return 0;
	if (!reg->purpose_files)
		(void)fprintf(stderr,
			      "idguardctl token %s: no purposes found: no policy or registry files in %s; install your "
			      "site's registry (see idguardctl(8), REGISTRY) or pass --registry FILE\n",
			      command, reg->purposes_where);
	else
		(void)fprintf(stderr,
			      "idguardctl token %s: no purposes found: none of the %zu files read from %s has a "
			      "[Purpose] section; install your site's registry (see idguardctl(8), REGISTRY) or pass "
			      "--registry FILE\n",
			      command, reg->purpose_files, reg->purposes_where);
	return CTL_EXIT_FAILED;
}

static void write_list(FILE *out, const char *key, char *const *list, size_t n)
{
	(void)fprintf(out, "%s=", key);
	for (size_t i = 0; i < n; i++)
		(void)fprintf(out, "%s%s", i ? "," : "", list[i]);
	(void)fputc('\n', out);
}

/* The registry as one file, read back by idg_policy_load_registry(). */
static int write_registry(const struct ctl_registry *reg, FILE *out)
{
	const struct idg_policy *policy = reg->policy;
	char host[256] = "?", when[64], span[64], public_text[IDG_PASERK_MAX];

	(void)gethostname(host, sizeof(host) - 1);
	idg_rfc3339_format((int64_t)time(NULL), when, sizeof(when));
	idg_timespan_format(policy->approval.max_request_age_sec ? policy->approval.max_request_age_sec
								 : IDG_REQUEST_MAX_AGE_DEFAULT,
			    span, sizeof(span));
	(void)fprintf(out,
		      "# idguard registry: the purposes and approvers that `idguardctl token approve`\n"
		      "# checks a request against, on a PC without the workstations' policy.\n"
		      "# Written by `idguardctl token registry export` on %s at %s from:\n",
		      host, when);
	for (size_t i = 0; i < policy->n_files; i++)
		(void)fprintf(out, "#   %s\n", policy->files[i]);
	(void)fprintf(out,
		      "# Install it as %s/site.conf on each approver's PC, and export it\n"
		      "# again whenever purposes or approvers change (see docs/administrators.md).\n"
		      "\n[Approval]\n"
		      "# Older requests are refused unless the approver signs with --force.\n"
		      "MaxRequestAge=%s\n",
		      IDG_DEFAULT_REGISTRY_DIR, span);
	for (size_t i = 0; i < policy->n_purposes; i++)
		idg_purpose_format_ini(&policy->purposes[i], false, out);
	for (size_t i = 0; i < policy->n_approvers; i++) {
		const struct idg_approver *a = &policy->approvers[i];

		if (idg_paserk_public_encode(a->public_key, public_text, sizeof(public_text)) < 0)
			return -ENOMEM;
		(void)fprintf(out, "\n[Approver %s]\nUser=%s\nPublicKey=%s\n", a->id, a->user, public_text);
		write_list(out, "Purposes", a->purposes, a->n_purposes);
		if (a->admin)
			(void)fprintf(out, "Admin=yes\n");
	}
	return ferror(out) ? -EIO : 0;
}

/* Writes FILE whole or not at all: a half-written registry would refuse
 * every approval on the PCs it reaches. */
static int export_to_file(const struct ctl_registry *reg, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		(void)close(fd);
		(void)unlink(tmp);
		return r;
	}
	/* Readable by all: it holds public keys and purposes, nothing secret. */
	r = fchmod(fd, 0644) < 0 ? -errno : write_registry(reg, f);
	if (fflush(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int ctl_token_registry(struct ctl *ctl, const struct token_options *o)
{
	struct ctl_registry reg;
	char *text = NULL;
	size_t size = 0;
	FILE *mem;
	int r;

	if (!o->operand || !streq(o->operand, "export")) {
		(void)fprintf(stderr, "idguardctl token registry: give the action: export [--output FILE]\n");
		return CTL_EXIT_USAGE;
	}
	r = ctl_registry_load(o, true, &reg);
	if (r)
		return r;
	r = ctl_registry_require_purposes(&reg, "registry export");
	if (r) {
		ctl_registry_clear(&reg);
		return r;
	}
	if (o->output) {
		r = export_to_file(&reg, o->output);
		if (r < 0) {
			(void)fprintf(stderr, "idguardctl token registry export: cannot write %s: %s\n", o->output,
				      strerror(-r));
			ctl_registry_clear(&reg);
			return CTL_EXIT_FAILED;
		}
	} else if (!ctl->json) {
		r = write_registry(&reg, stdout);
	} else if ((mem = open_memstream(&text, &size))) {
		r = write_registry(&reg, mem);
		(void)fclose(mem);
	} else {
		r = -ENOMEM;
	}
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl token registry export: cannot write the registry: %s\n", strerror(-r));
		free(text);
		ctl_registry_clear(&reg);
		return CTL_EXIT_FAILED;
	}
	if (ctl->json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ok", json_object_new_boolean(1));
		if (o->output)
			json_object_object_add(obj, "output", json_object_new_string(o->output));
		else
			json_object_object_add(obj, "registry", json_object_new_string(text ? text : ""));
		json_object_object_add(obj, "purposes", json_object_new_int64((int64_t)reg.policy->n_purposes));
		json_object_object_add(obj, "approvers", json_object_new_int64((int64_t)reg.policy->n_approvers));
		ctl_print_json(obj);
		json_object_put(obj);
	} else if (o->output) {
		(void)fprintf(stderr,
			      "Wrote %s: %zu purpose%s, %zu approver%s. Install it as %s/site.conf on each "
			      "approver's PC.\n",
			      o->output, reg.policy->n_purposes, reg.policy->n_purposes == 1 ? "" : "s",
			      reg.policy->n_approvers, reg.policy->n_approvers == 1 ? "" : "s", IDG_DEFAULT_REGISTRY_DIR);
	}
	free(text);
	ctl_registry_clear(&reg);
	return CTL_EXIT_OK;
}
