// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl token approve: the supervisor's signature. Works on any machine
 * with the approver's key and the site's registry (ctl_registry.c), no
 * daemon. Before signing it checks everything a workstation will check, and
 * the request's age, then shows everything that would be signed and asks;
 * after signing it repeats what was signed. The token alone goes to stdout,
 * so that scripts can pipe it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "names.h"
#include "paseto.h"
#include "policy.h"
#include "token.h"
#include "util.h"

static int read_secret_key(const char *path, unsigned char sk[64])
{
	char text[IDG_PASERK_MAX + 8];
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return -errno;
	if (!fgets(text, sizeof(text), f)) {
		(void)fclose(f);
		return -EINVAL;
	}
	(void)fclose(f);
	r = idg_paserk_secret_decode(idg_strstrip(text), sk);
	sodium_memzero(text, sizeof(text));
	return r;
}

/* The clerk's machine wrote the user and host names: no terminal control
 * sequences from them reach the supervisor's screen. */
static const char *printable(const char *in, char *buf, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	buf[i] = '\0';
	return buf;
}

/* The supervisor's language for the purpose's description, by the POSIX
 * precedence of the locale variables. */
static bool wants_zh_cn(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return !strncmp(v, "zh_CN", 5);
	}
	return false;
}

/* Everything about one approval, as shown and as put in JSON. */
struct approval_view {
	const struct idg_token_request *req;
	const struct idg_purpose *purpose;
	const struct idg_approver *approver;
	char short_id[16], user[IDG_NAME_MAX], hostname[IDG_NAME_MAX], host[IDG_HOST_ID_MAX];
	char classes[128], made[160], limit[64], limit_from[4200];
	const char *description;
	int64_t now;
	bool forced;
	char forced_why[1200];
};

static void print_request(const struct approval_view *v)
{
	(void)fprintf(stderr,
		      "Request %s, to be signed by you as %s:\n"
		      "  clerk        %s\n"
		      "  workstation  %s (machine id %s)\n"
		      "  purpose      %s: %s\n"
		      "  legal basis  %s\n"
		      "  case         %s\n"
		      "  classes      %s\n"
		      "  minutes      %u (%s allows at most %u)\n"
		      "  made         %s\n"
		      "  request id   %s\n",
		      v->short_id, v->approver->id, v->user, v->hostname, v->host, v->purpose->id, v->description,
		      v->purpose->legal_basis ? v->purpose->legal_basis : "-", v->req->ref, v->classes,
		      v->req->minutes, v->purpose->id, v->purpose->max_minutes, v->made, v->short_id);
	if (v->forced)
		(void)fprintf(stderr, "  FORCED       %s\n", v->forced_why);
}

/* 1 when the supervisor answers y or yes, 0 for anything else, -ENOTTY
 * when nobody can be asked: stdin is no terminal, and the request code
 * came from stdin with no controlling terminal to ask on instead. */
static int confirm(const char *operand)
{
	FILE *in = NULL, *out = stderr;
	char answer[64];
	bool own = false;

	if (isatty(STDIN_FILENO)) {
		in = stdin;
	} else if (streq(operand, "-")) {
		/* The code was piped in; the supervisor is still at a terminal. */
		int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

		if (fd >= 0 && !(in = fdopen(fd, "r+")))
			(void)close(fd);
		out = in ? in : stderr;
		own = in != NULL;
	}
	if (!in)
		return -ENOTTY;
	(void)fputs("Sign this token? [y/N] ", out);
	(void)fflush(out);
	if (!fgets(answer, sizeof(answer), in))
		answer[0] = '\0';
	if (own)
		(void)fclose(in);
	idg_strstrip(answer);
	for (char *c = answer; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	return streq(answer, "y") || streq(answer, "yes");
}

/* The limit on the request's age and where it was set. */
static int max_age(const struct token_options *o, const struct ctl_registry *reg, uint64_t *ret, char *from,
		   size_t size)
{
	if (o->max_age) {
		if (idg_timespan_parse(o->max_age, ret) < 0 || *ret == 0) {
			(void)fprintf(stderr,
				      "idguardctl token approve: --max-age needs a time span such as 1d, 12h or 30min, not "
				      "'%s'\n",
				      o->max_age);
			return CTL_EXIT_USAGE;
		}
		(void)snprintf(from, size, "--max-age");
	} else if (reg->policy->approval.max_request_age_sec) {
		const struct idg_approval *approval = &reg->policy->approval;

		*ret = approval->max_request_age_sec;
		(void)snprintf(from, size, "MaxRequestAge= in %s:%u", approval->max_request_age_file,
			       approval->max_request_age_line);
	} else {
		*ret = IDG_REQUEST_MAX_AGE_DEFAULT;
		(void)snprintf(from, size, "the default; a site sets MaxRequestAge= in its registry");
	}
	return 0;
}

/* Whether key_id may sign req at all, as a workstation will judge it.
 * Prints why not and returns CTL_EXIT_FAILED, or 0 with *ret_approver and
 * *ret_purpose set. */
static int check_approval(const struct ctl_registry *reg, const struct idg_token_request *req, const char *key_id,
			  const unsigned char pk[32], const char *key_file, const struct idg_approver **ret_approver,
			  const struct idg_purpose **ret_purpose)
{
	const struct idg_policy *policy = reg->policy;
	const struct idg_approver *approver = idg_policy_approver_by_key_id(policy, key_id);
	const struct idg_purpose *purpose = idg_policy_purpose(policy, req->purpose);
	char public_text[IDG_PASERK_MAX], user[IDG_NAME_MAX];
	struct idg_error err;

	if (!policy->n_approvers) {
		(void)fprintf(stderr,
			      "idguardctl token approve: no approvers are registered on this machine: no [Approver] in "
			      "%s; install your site's approvers.d or registry (see idguardctl(8), REGISTRY), or pass "
			      "--approvers-dir DIR or --registry FILE\n",
			      reg->approvers_where);
		return CTL_EXIT_FAILED;
	}
	if (!approver) {
		(void)idg_paserk_public_encode(pk, public_text, sizeof(public_text));
		(void)fprintf(stderr,
			      "idguardctl token approve: this key (%s) is not registered: no [Approver] in %s has its "
			      "PublicKey= (%zu approver%s read from %zu file%s); workstations would refuse what it "
			      "signs. Register it: your administrator adds an [Approver] entry with PublicKey=%s (the "
			      "public half of %s) to approvers.d on every workstation and to the registry\n",
			      key_id, reg->approvers_where, policy->n_approvers, policy->n_approvers == 1 ? "" : "s",
			      reg->approver_files, reg->approver_files == 1 ? "" : "s", public_text, key_file);
		return CTL_EXIT_FAILED;
	}
	if (streq(approver->user, req->user)) {
		(void)fprintf(stderr, "idguardctl token approve: this is your own request (%s): nobody may approve "
				      "their own; ask another approver\n", printable(req->user, user, sizeof(user)));
		return CTL_EXIT_FAILED;
	}
	if (!purpose) {
		(void)fprintf(stderr,
			      "idguardctl token approve: the request's purpose '%s' is not among the %zu purposes read "
			      "from %s; if it is new, this machine's registry is out of date (see idguardctl(8), "
			      "REGISTRY)\n",
			      req->purpose, policy->n_purposes, reg->purposes_where);
		return CTL_EXIT_FAILED;
	}
	if (idg_token_request_check(req, policy, &err) < 0) {
		(void)fprintf(stderr, "idguardctl token approve: %s\n", err.message);
		return CTL_EXIT_FAILED;
	}
	if (!idg_policy_may_approve(approver, purpose)) {
		(void)fprintf(stderr, "idguardctl token approve: %s may not approve purpose %s\n", approver->id, purpose->id);
		return CTL_EXIT_FAILED;
	}
	*ret_approver = approver;
	*ret_purpose = purpose;
	return 0;
}

/* Refuses a request too old or dated in the future, unless --force, which
 * is then recorded in v->forced_why. */
static int check_age(const struct token_options *o, const struct ctl_registry *reg, struct approval_view *v)
{
	uint64_t limit;
	struct idg_error err;
	int r = max_age(o, reg, &limit, v->limit_from, sizeof(v->limit_from));

	if (r)
		return r;
	idg_timespan_format(limit, v->limit, sizeof(v->limit));
	r = idg_token_request_check_age(v->req, v->now, limit, &err);
	if (r == 0)
		return 0;
	if (o->force) {
		v->forced = true;
		(void)snprintf(v->forced_why, sizeof(v->forced_why), "signed with --force although %s", err.message);
		return 0;
	}
	if (r == -ERANGE)
		(void)fprintf(stderr,
			      "idguardctl token approve: %s. Check both clocks and ask for a new request, or sign this "
			      "one anyway with --force\n",
			      err.message);
	else
		(void)fprintf(stderr,
			      "idguardctl token approve: %s (limit %s: %s). Ask %s for a new request, or sign this one "
			      "anyway with --force\n",
			      err.message, v->limit, v->limit_from, v->user);
	return CTL_EXIT_FAILED;
}

static void print_signed(const struct approval_view *v, const struct idg_token_claims *claims, const char *until)
{
	(void)fprintf(stderr,
		      "Approved request %s as %s; signed:\n"
		      "  clerk        %s\n"
		      "  workstation  %s (machine id %s)\n"
		      "  purpose      %s\n"
		      "  case         %s\n"
		      "  classes      %s\n"
		      "  minutes      %u\n"
		      "  valid until  %s\n"
		      "  token id     %s\n"
		      "  request id   %s\n",
		      v->short_id, v->approver->id, v->user, v->hostname, v->host, v->purpose->id, v->req->ref, v->classes,
		      v->req->minutes, until, claims->jti, v->short_id);
	if (v->forced)
		(void)fprintf(stderr, "  FORCED       %s\n", v->forced_why);
}

static void print_json(const struct approval_view *v, const struct idg_token_claims *claims, const char *token,
		       const char *sent_to, bool sent)
{
	struct json_object *obj = json_object_new_object();
	char valid_until[64];

	idg_rfc3339_format(claims->exp, valid_until, sizeof(valid_until));
	json_object_object_add(obj, "ok", json_object_new_boolean(1));
	json_object_object_add(obj, "token", json_object_new_string(token));
	json_object_object_add(obj, "token_id", json_object_new_string(claims->jti));
	json_object_object_add(obj, "request_id", json_object_new_string(v->short_id));
	json_object_object_add(obj, "approver", json_object_new_string(v->approver->id));
	json_object_object_add(obj, "user", json_object_new_string(v->user));
	json_object_object_add(obj, "hostname", json_object_new_string(v->hostname));
	json_object_object_add(obj, "machine_id", json_object_new_string(v->host));
	json_object_object_add(obj, "purpose", json_object_new_string(v->purpose->id));
	json_object_object_add(obj, "purpose_description", json_object_new_string(v->description));
	json_object_object_add(obj, "legal_basis",
			       json_object_new_string(v->purpose->legal_basis ? v->purpose->legal_basis : ""));
	json_object_object_add(obj, "ref", json_object_new_string(v->req->ref));
	json_object_object_add(obj, "classes", json_object_new_string(v->classes));
	json_object_object_add(obj, "minutes", json_object_new_int((int)v->req->minutes));
	json_object_object_add(obj, "max_minutes", json_object_new_int((int)v->purpose->max_minutes));
	json_object_object_add(obj, "requested", json_object_new_int64(v->req->created));
	json_object_object_add(obj, "request_age_seconds", json_object_new_int64(v->now - v->req->created));
	json_object_object_add(obj, "max_request_age", json_object_new_string(v->limit));
	json_object_object_add(obj, "forced", json_object_new_boolean(v->forced));
	json_object_object_add(obj, "expires", json_object_new_int64(claims->exp));
	json_object_object_add(obj, "valid_until", json_object_new_string(valid_until));
	if (sent_to) {
		json_object_object_add(obj, "workstation", json_object_new_string(sent_to));
		json_object_object_add(obj, "sent", json_object_new_boolean(sent));
	}
	ctl_print_json(obj);
	json_object_put(obj);
}

/* Asks, unless --yes. 0 to sign, or the exit code. */
static int ask(const struct token_options *o)
{
	int r;

	if (o->yes)
		return 0;
	r = confirm(o->operand);
	if (r == -ENOTTY) {
		(void)fprintf(stderr,
			      "idguardctl token approve: not signed: nobody can confirm it here (standard input is not "
			      "a terminal). Check the request above, then sign it with --yes\n");
		return CTL_EXIT_NOT_CONFIRMED;
	}
	if (r == 0) {
		(void)fprintf(stderr, "Not signed.\n");
		return CTL_EXIT_NOT_CONFIRMED;
	}
	return 0;
}

/* The request to approve: from a request code (the operand, or stdin), or
 * taken from the approval inbox on the site's broker by its id. */
static int get_request(const struct token_options *o, struct idg_token_request *req, struct ctl_inbox *box,
		       struct ctl_inbox_entry **ret_entry)
{
	char code[8192];
	struct idg_error err;
	int r;

	*ret_entry = NULL;
	if (o->operand && !streq(o->operand, "-") && strncmp(o->operand, "idgreq", 6) != 0 &&
	    ctl_inbox_is_request_id(o->operand)) {
		r = ctl_inbox_open(o, "approve", box);
		if (r)
			return r;
		r = ctl_inbox_find(box, o->operand, "approve", ret_entry);
		if (r)
			return r;
		*req = (*ret_entry)->req;
		return 0;
	}
	r = ctl_token_operand(o->operand, code, sizeof(code), "request code or request id");
	if (r)
		return r;
	if (idg_token_request_decode(code, req, &err) < 0) {
		(void)fprintf(stderr, "idguardctl token approve: %s\n", err.message);
		return CTL_EXIT_FAILED;
	}
	return 0;
}

/* A request from the inbox names a workstation; the broker says which
 * certificate sent it. They must agree, or someone's certificate is used
 * where it should not be. */
static int check_sender(const struct token_options *o, const struct ctl_inbox_entry *e, struct approval_view *v)
{
	if (!e || streq(e->workstation, e->req.hostname))
		return 0;
	if (o->force) {
		v->forced = true;
		(void)snprintf(v->forced_why, sizeof(v->forced_why),
			       "signed with --force although the request says it is from %s and was sent with %s's "
			       "certificate",
			       v->hostname, e->workstation);
		return 0;
	}
	(void)fprintf(stderr,
		      "idguardctl token approve: request %s says it is from workstation %s, but the broker received it "
		      "from the certificate of %s. Ask the clerk where she is; sign it anyway with --force\n",
		      v->short_id, v->hostname, e->workstation);
	return CTL_EXIT_FAILED;
}

int ctl_token_approve(struct ctl *ctl, const struct token_options *o)
{
	struct idg_token_request req;
	struct idg_token_claims claims;
	struct approval_view v = { .req = &req };
	struct ctl_registry reg;
	struct ctl_inbox box = { 0 };
	struct ctl_inbox_entry *entry = NULL;
	unsigned char sk[64], pk[32];
	char key_id[IDG_PASERK_MAX], until[64];
	_cleanup_free_ char *token = NULL;
	bool sent = false;
	int r;

	if (ctl->json && !o->yes) {
		(void)fprintf(stderr, "idguardctl token approve: --json needs --yes: no question is asked in JSON "
				      "output, so say on the command line that you sign\n");
		return CTL_EXIT_USAGE;
	}
	if (!o->key_file) {
		(void)fprintf(stderr, "idguardctl token approve: --key FILE is needed (your k4.secret key file)\n");
		return CTL_EXIT_USAGE;
	}
	r = read_secret_key(o->key_file, sk);
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl token approve: cannot use key file %s: %s\n", o->key_file,
			      r == -EINVAL ? "not a PASERK k4.secret key" : strerror(-r));
		return CTL_EXIT_FAILED;
	}
	r = get_request(o, &req, &box, &entry);
	if (r) {
		sodium_memzero(sk, sizeof(sk));
		ctl_inbox_close(&box);
		return r;
	}
	memcpy(pk, sk + 32, sizeof(pk));
	(void)idg_paserk_pid(pk, key_id, sizeof(key_id));
	r = ctl_registry_load(o, true, &reg);
	if (r == 0) {
		r = ctl_registry_require_purposes(&reg, "approve");
		if (r)
			ctl_registry_clear(&reg);
	}
	if (r) {
		sodium_memzero(sk, sizeof(sk));
		ctl_inbox_close(&box);
		return r;
	}
	v.now = (int64_t)time(NULL);
	idg_token_request_short_id(&req, v.short_id, sizeof(v.short_id));
	(void)printable(req.user, v.user, sizeof(v.user));
	(void)printable(req.hostname, v.hostname, sizeof(v.hostname));
	(void)printable(req.host, v.host, sizeof(v.host));
	idg_class_mask_format(req.class_mask, v.classes, sizeof(v.classes));
	idg_token_request_made_text(&req, v.now, v.made, sizeof(v.made));
	r = check_approval(&reg, &req, key_id, pk, o->key_file, &v.approver, &v.purpose);
	if (r == 0)
		r = check_age(o, &reg, &v);
	if (r == 0)
		r = check_sender(o, entry, &v);
	if (r == 0) {
		v.description = wants_zh_cn() && v.purpose->description_zh ? v.purpose->description_zh
			      : v.purpose->description ? v.purpose->description : "";
		if (!ctl->json)
			print_request(&v);
		r = ask(o);
	}
	if (r == 0 && idg_token_mint(&req, sk, key_id, (int64_t)time(NULL), &token, &claims) < 0) {
		(void)fprintf(stderr, "idguardctl token approve: cannot sign the token\n");
		r = CTL_EXIT_FAILED;
	}
	sodium_memzero(sk, sizeof(sk));
	/* From the inbox, the token goes back the way the request came. If
	 * the broker does not take it, it is printed to be given by hand. */
	if (r == 0 && entry)
		sent = ctl_inbox_send(&box, entry, token, "approve") == 0;
	if (r == 0) {
		idg_format_time((uint64_t)claims.exp * 1000000, until, sizeof(until));
		if (ctl->json) {
			print_json(&v, &claims, token, entry ? entry->workstation : NULL, sent);
		} else {
			print_signed(&v, &claims, until);
			if (sent) {
				(void)fprintf(stderr, "Sent to %s through the broker %s: it is redeemed there for %s, who is "
						      "told.\n", entry->workstation, box.broker, v.user);
			} else {
				(void)fprintf(stderr, "The token is on standard output: give it to %s.\n", v.user);
				(void)printf("%s\n", token);
			}
		}
	}
	ctl_registry_clear(&reg);
	ctl_inbox_close(&box);
	return r;
}

int ctl_token_decline(struct ctl *ctl, const struct token_options *o)
{
	struct ctl_inbox box = { 0 };
	struct ctl_inbox_entry *entry = NULL;
	const struct idg_approver *approver;
	struct ctl_registry reg;
	struct idg_error err = { "" };
	unsigned char sk[64], pk[32];
	char key_id[IDG_PASERK_MAX], short_id[16], user[IDG_NAME_MAX];
	_cleanup_free_ char *text = NULL;
	int r;

	if (!o->operand || !ctl_inbox_is_request_id(o->operand)) {
		(void)fprintf(stderr, "idguardctl token decline: give the id of a request in the inbox (B4A4-EAE7; see "
				      "'idguardctl token inbox')\n");
		return CTL_EXIT_USAGE;
	}
	if (!o->reason || !o->key_file) {
		(void)fprintf(stderr, "idguardctl token decline: --reason TEXT (what the clerk is told) and --key FILE "
				      "(your k4.secret key file) are needed\n");
		return CTL_EXIT_USAGE;
	}
	if (idg_decline_reason_check(o->reason, &err) < 0) {
		(void)fprintf(stderr, "idguardctl token decline: --reason: %s\n", err.message);
		return CTL_EXIT_USAGE;
	}
	r = read_secret_key(o->key_file, sk);
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl token decline: cannot use key file %s: %s\n", o->key_file,
			      r == -EINVAL ? "not a PASERK k4.secret key" : strerror(-r));
		return CTL_EXIT_FAILED;
	}
	memcpy(pk, sk + 32, sizeof(pk));
	(void)idg_paserk_pid(pk, key_id, sizeof(key_id));
	r = ctl_registry_load(o, true, &reg);
	if (r) {
		sodium_memzero(sk, sizeof(sk));
		return r;
	}
	approver = idg_policy_approver_by_key_id(reg.policy, key_id);
	if (!approver) {
		(void)fprintf(stderr,
			      "idguardctl token decline: this key (%s) is not a registered approver's (no [Approver] in %s "
			      "has it): workstations would ignore the decline\n",
			      key_id, reg.approvers_where);
		r = CTL_EXIT_FAILED;
	}
	if (r == 0)
		r = ctl_inbox_open(o, "decline", &box);
	if (r == 0)
		r = ctl_inbox_find(&box, o->operand, "decline", &entry);
	if (r == 0 && streq(approver->user, entry->req.user)) {
		(void)fprintf(stderr, "idguardctl token decline: this is your own request (%s): withdraw it with "
				      "'idguardctl token cancel' on your workstation\n",
			      printable(entry->req.user, user, sizeof(user)));
		r = CTL_EXIT_FAILED;
	}
	if (r == 0 && idg_decline_mint(&entry->req, sk, key_id, o->reason, (int64_t)time(NULL), &text) < 0) {
		(void)fprintf(stderr, "idguardctl token decline: cannot sign the decline\n");
		r = CTL_EXIT_FAILED;
	}
	sodium_memzero(sk, sizeof(sk));
	if (r == 0)
		r = ctl_inbox_send(&box, entry, text, "decline");
	if (r == 0) {
		idg_token_request_short_id(&entry->req, short_id, sizeof(short_id));
		if (ctl->json) {
			struct json_object *obj = json_object_new_object();

			json_object_object_add(obj, "ok", json_object_new_boolean(1));
			json_object_object_add(obj, "request_id", json_object_new_string(entry->rid));
			json_object_object_add(obj, "short_id", json_object_new_string(short_id));
			json_object_object_add(obj, "workstation", json_object_new_string(entry->workstation));
			json_object_object_add(obj, "user", json_object_new_string(entry->req.user));
			json_object_object_add(obj, "approver", json_object_new_string(approver->id));
			json_object_object_add(obj, "reason", json_object_new_string(o->reason));
			ctl_print_json(obj);
			json_object_put(obj);
		} else {
			(void)printf("Declined request %s of %s on %s as %s; sent through the broker %s. %s is told: %s\n",
				     short_id, printable(entry->req.user, user, sizeof(user)), entry->workstation, approver->id,
				     box.broker, user, o->reason);
		}
	}
	ctl_registry_clear(&reg);
	ctl_inbox_close(&box);
	return r;
}
