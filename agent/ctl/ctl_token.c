// SPDX-License-Identifier: GPL-2.0-only
/*
 * idguardctl token: the options of every action, the clerk's request,
 * redemption on the workstation, listing and revoking. The supervisor's
 * approval is in ctl_approve.c, the registry it reads in ctl_registry.c.
 * Request and approval check the same purposes the workstation enforces, so
 * a request that passes here is not refused later for them.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
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

static const char token_help[] =
	"Usage: idguardctl token request --purpose ID --ref REF --class C[,C] --minutes N\n"
	"                               [--session] [--send | --no-send]\n"
	"       idguardctl token requests\n"
	"       idguardctl token cancel REQUEST-ID\n"
	"       idguardctl token inbox [--relay FILE]\n"
	"       idguardctl token approve REQUEST --key FILE [--yes] [--max-age SPAN] [--force]\n"
	"       idguardctl token decline REQUEST-ID --reason TEXT --key FILE [--relay FILE]\n"
	"       idguardctl token redeem TOKEN [--session]\n"
	"       idguardctl token list\n"
	"       idguardctl token revoke ID\n"
	"       idguardctl token purposes\n"
	"       idguardctl token registry export [--output FILE]\n"
	"\n"
	"request   (clerk) asks for a purpose token: checks the request against the\n"
	"          policy, prints a sentence to read aloud and the request code, and,\n"
	"          where a relay is set up (" IDG_RELAY_CONFIG "), sends it to the\n"
	"          approval queue: the approved token comes back and is redeemed for\n"
	"          you (with --session: for this login session only). --no-send: only\n"
	"          print the code. REF is the case or file number, never an ID number.\n"
	"requests  (clerk) your requests sent for approval, and where each stands\n"
	"cancel    (clerk) withdraws a request of yours from the approval queue\n"
	"inbox     (supervisor) what waits in the approval queue: clerk, workstation\n"
	"          (the name its certificate proves), purpose, case, classes, minutes,\n"
	"          how long it has waited. Reads --relay FILE, else\n"
	"          ~/.config/idguard/relay.conf, else " IDG_RELAY_CONFIG ".\n"
	"approve   (supervisor) shows everything the token would say (clerk,\n"
	"          workstation, purpose, case, classes, minutes, when the request was\n"
	"          made), asks \"Sign this token? [y/N]\", then signs it with your key\n"
	"          file (k4.secret). REQUEST is a request code (or '-' for stdin): the\n"
	"          token is printed on standard output; or a request id from the inbox\n"
	"          (B4A4-EAE7): the token goes back to the workstation by itself. Works\n"
	"          on any machine with the site's registry; no daemon needed. You\n"
	"          cannot approve your own request.\n"
	"          --yes      sign without asking (scripts; needed when stdin is not a\n"
	"                     terminal, and with --json)\n"
	"          --max-age SPAN  refuse requests older than SPAN (1d, 12h, 30min;\n"
	"                     default: the registry's MaxRequestAge=, else 1d)\n"
	"          --force    sign a request that is too old or dated in the future\n"
	"          Exit status 5: not confirmed, nothing signed.\n"
	"decline   (supervisor) refuses a request from the inbox, signed with your\n"
	"          key; the clerk is told your reason (never an ID number in it).\n"
	"redeem    (clerk) turns the token into access on this workstation; with\n"
	"          --session only for this login session. TOKEN may be '-' (stdin).\n"
	"list      your live tokens (everyone's for root and approver-administrators)\n"
	"revoke    ends a token's access now: the holder, an approver-administrator,\n"
	"          or root. ID is the grant id or the token id.\n"
	"purposes  the purposes the policy and registry allow, with their limits\n"
	"registry export  (administrator) writes the registry an approver's PC needs:\n"
	"          the purposes, the approvers and [Approval], as one file to install\n"
	"          as " IDG_SYSCONFDIR "/idguard/registry.d/site.conf (stdout without --output)\n"
	"\n"
	"Where purposes and approvers are read (request, approve, purposes, registry):\n"
	"  --policy-dir DIR     policy directories (default " IDG_PREFIX "/share/idguard/policy.d\n"
	"                       and " IDG_SYSCONFDIR "/idguard/policy.d); request reads only these\n"
	"  --registry PATH      registry file or directory (default " IDG_SYSCONFDIR "/idguard/registry.d)\n"
	"  --approvers-dir DIR  approvers (default " IDG_SYSCONFDIR "/idguard/approvers.d)\n"
	"Each may be repeated. Every command takes --json.\n";


static int parse_options(struct ctl *ctl, int argc, char **argv, struct token_options *o)
{
	enum { OPT_POLICY = 256, OPT_APPROVERS, OPT_REGISTRY, OPT_SESSION, OPT_OUTPUT, OPT_MAX_AGE, OPT_FORCE, OPT_RELAY,
	       OPT_REASON, OPT_SEND, OPT_NO_SEND };
	static const struct option options[] = {
		{ "purpose", required_argument, NULL, 'p' },
		{ "ref", required_argument, NULL, 'r' },
		{ "class", required_argument, NULL, 'c' },
		{ "minutes", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "session", no_argument, NULL, OPT_SESSION },
		{ "policy-dir", required_argument, NULL, OPT_POLICY },
		{ "approvers-dir", required_argument, NULL, OPT_APPROVERS },
		{ "registry", required_argument, NULL, OPT_REGISTRY },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "max-age", required_argument, NULL, OPT_MAX_AGE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "relay", required_argument, NULL, OPT_RELAY },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "send", no_argument, NULL, OPT_SEND },
		{ "no-send", no_argument, NULL, OPT_NO_SEND },
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 0; /* 0, not 1: glibc then forgets the "+" (stop at operands) of main()'s scan */
	while ((c = getopt_long(argc, argv, "jhy", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->purpose = optarg;
			break;
		case 'r':
			o->ref = optarg;
			break;
		case 'c':
			o->classes = optarg;
			break;
		case 'm':
			if (idg_parse_uint(optarg, 1440, &o->minutes) < 0 || o->minutes == 0) {
				(void)fprintf(stderr, "idguardctl token: --minutes needs a whole number from 1 to 1440, not '%s'\n",
					      optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case OPT_SESSION:
			o->session = true;
			break;
		case OPT_POLICY:
		case OPT_APPROVERS:
		case OPT_REGISTRY: {
			const char **list = c == OPT_POLICY ? o->dirs : c == OPT_APPROVERS ? o->approver_dirs : o->registry;
			size_t *n = c == OPT_POLICY ? &o->n_dirs : c == OPT_APPROVERS ? &o->n_approver_dirs : &o->n_registry;

			if (*n == CTL_TOKEN_MAX_PATHS) {
				(void)fprintf(stderr, "idguardctl token: at most %d paths of a kind\n", CTL_TOKEN_MAX_PATHS);
				return CTL_EXIT_USAGE;
			}
			list[(*n)++] = optarg;
			break;
		}
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case OPT_MAX_AGE:
			o->max_age = optarg;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_RELAY:
			o->relay = optarg;
			break;
		case OPT_REASON:
			o->reason = optarg;
			break;
		case OPT_SEND:
		case OPT_NO_SEND:
			o->send = c == OPT_SEND;
			break;
		case 'y':
			o->yes = true;
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'h':
			(void)fputs(token_help, stdout);
			return CTL_HELP_SHOWN;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		o->operand = argv[optind++];
	if (optind < argc) {
		(void)fprintf(stderr, "idguardctl token: unexpected argument '%s'\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

/* The local policy: the same files idguardd reads. */
static int load_policy(const struct token_options *o, struct idg_policy **ret)
{
	static const char *const default_dirs[] = IDG_DEFAULT_POLICY_DIRS;
	struct idg_diags diags = { 0 };
	struct idg_policy *policy = NULL;
	int r;

	r = idg_policy_load_dirs(o->n_dirs ? o->dirs : default_dirs, o->n_dirs ? o->n_dirs : ARRAY_SIZE(default_dirs),
				 &policy, &diags);
	if (r < 0 || diags.errors) {
		if (r < 0)
			(void)fprintf(stderr, "idguardctl token: cannot read the policy: %s\n", strerror(-r));
		idg_diags_print(&diags, stderr);
		(void)fprintf(stderr, "idguardctl token: the policy has errors; ask an administrator\n");
		idg_diags_clear(&diags);
		idg_policy_free(policy);
		return CTL_EXIT_FAILED;
	}
	idg_diags_clear(&diags);
	*ret = policy;
	return 0;
}

int ctl_token_operand(const char *operand, char *buf, size_t size, const char *what)
{
	if (!operand) {
		(void)fprintf(stderr, "idguardctl token: give the %s (or '-' to read it from standard input)\n", what);
		return CTL_EXIT_USAGE;
	}
	if (streq(operand, "-")) {
		if (!fgets(buf, (int)size, stdin)) {
			(void)fprintf(stderr, "idguardctl token: no %s on standard input\n", what);
			return CTL_EXIT_USAGE;
		}
	} else if (snprintf(buf, size, "%s", operand) >= (int)size) {
		(void)fprintf(stderr, "idguardctl token: the %s is too long\n", what);
		return CTL_EXIT_USAGE;
	}
	(void)memmove(buf, idg_strstrip(buf), strlen(idg_strstrip(buf)) + 1);
	return 0;
}

static int token_request(struct ctl *ctl, const struct token_options *o)
{
	struct idg_token_request req = { 0 };
	struct idg_policy *policy = NULL;
	struct passwd *pw = getpwuid(getuid());
	struct idg_error err;
	char bad[64], summary[1024], short_id[16];
	struct json_object *sent = NULL;
	_cleanup_free_ char *code = NULL;
	int r;

	if (!o->purpose || !o->ref || !o->classes || !o->minutes) {
		(void)fprintf(stderr, "idguardctl token request: --purpose, --ref, --class and --minutes are all needed\n");
		return CTL_EXIT_USAGE;
	}
	if (idg_class_mask_parse(o->classes, &req.class_mask, bad, sizeof(bad)) < 0) {
		(void)fprintf(stderr, "idguardctl token request: unknown class '%s' (known: " IDG_CLASS_NAMES_TEXT ")\n", bad);
		return CTL_EXIT_USAGE;
	}
	if (!pw || idg_machine_id(req.host) < 0 || gethostname(req.hostname, sizeof(req.hostname) - 1) < 0 ||
	    sodium_init() < 0) {
		(void)fprintf(stderr, "idguardctl token request: cannot tell who and where you are (user, /etc/machine-id, host name)\n");
		return CTL_EXIT_FAILED;
	}
	(void)snprintf(req.user, sizeof(req.user), "%s", pw->pw_name);
	(void)snprintf(req.purpose, sizeof(req.purpose), "%s", o->purpose);
	(void)snprintf(req.ref, sizeof(req.ref), "%s", o->ref);
	if (strlen(o->ref) >= sizeof(req.ref) || strlen(o->purpose) >= sizeof(req.purpose)) {
		(void)fprintf(stderr, "idguardctl token request: --purpose or --ref is too long\n");
		return CTL_EXIT_USAGE;
	}
	req.minutes = (uint32_t)o->minutes;
	req.created = (int64_t)time(NULL);
	idg_random_id(req.id, sizeof(req.id), IDG_REQUEST_ID_BYTES);

	r = load_policy(o, &policy);
	if (r)
		return r;
	if (idg_token_request_check(&req, policy, &err) < 0) {
		(void)fprintf(stderr, "idguardctl token request: %s\n", err.message);
		idg_policy_free(policy);
		return CTL_EXIT_FAILED;
	}
	idg_token_request_summary(&req, policy, summary, sizeof(summary));
	idg_token_request_short_id(&req, short_id, sizeof(short_id));
	idg_policy_free(policy);
	r = idg_token_request_encode(&req, &code);
	if (r < 0) {
		(void)fprintf(stderr, "idguardctl token request: %s\n",
			      r == -ENOMEM ? "out of memory"
					   : "cannot make a request code of this request (is this machine's host name, or "
					     "its /etc/machine-id, unusual?)");
		return CTL_EXIT_FAILED;
	}
	if (!ctl->json)
		(void)printf("%s\n\n", summary);
	/* The online way first; the code below it works whatever happens. */
	r = ctl_request_send(ctl, o, code, &sent);
	if (ctl->json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ok", json_object_new_boolean(1));
		json_object_object_add(obj, "request", json_object_new_string(code));
		json_object_object_add(obj, "request_id", json_object_new_string(short_id));
		json_object_object_add(obj, "summary", json_object_new_string(summary));
		json_object_object_add(obj, "queue", json_object_get(sent));
		ctl_print_json(obj);
		json_object_put(obj);
	} else {
		(void)printf("%sequest code for your approver:\n%s\n",
			     json_object_get_boolean(json_object_object_get(sent, "sent")) ? "\nIf it cannot wait, the r"
											     : "R",
			     code);
	}
	json_object_put(sent);
	/* The code was made: a request that could not be sent is not a
	 * failure of this command, it says so and the code goes by hand. */
	(void)r;
	return CTL_EXIT_OK;
}

static int token_redeem(struct ctl *ctl, const struct token_options *o)
{
	struct json_object *request, *reply, *grant;
	char token[9000], until[64];
	int r;

	r = ctl_token_operand(o->operand, token, sizeof(token), "token");
	if (r)
		return r;
	/* A token on the command line is in /proc/PID/cmdline, which every
	 * local user can read (ps): wipe our copy of it there. */
	if (!streq(o->operand, "-"))
		explicit_bzero((char *)o->operand, strlen(o->operand));
	request = json_object_new_object();
	json_object_object_add(request, "command", json_object_new_string("token-redeem"));
	json_object_object_add(request, "token", json_object_new_string(token));
	json_object_object_add(request, "scope", json_object_new_string(o->session ? "session" : "uid"));
	r = ctl_call(ctl, request, &reply);
	if (r)
		return r;
	json_object_object_get_ex(reply, "grant", &grant);
	if (ctl->json) {
		ctl_print_json(reply);
	} else {
		idg_format_time((uint64_t)ctl_get_int(grant, "expires_usec", 0), until, sizeof(until));
		(void)printf("Granted: %s may use %s on this workstation%s until %s.\n"
			     "Purpose %s, case %s, approved by %s; grant %lld, token %s.\n",
			     ctl_get_string(grant, "user", "?"), ctl_get_string(grant, "classes", "?"),
			     o->session ? " in this login session" : "", until, ctl_get_string(grant, "purpose", "?"),
			     ctl_get_string(grant, "ref", "?"), ctl_get_string(grant, "approver", "?"),
			     ctl_get_int(grant, "id", 0), ctl_get_string(grant, "token_id", "?"));
	}
	json_object_put(reply);
	return CTL_EXIT_OK;
}

static int token_list(struct ctl *ctl)
{
	struct json_object *request = json_object_new_object(), *reply, *list;
	char until[64];
	int r;

	json_object_object_add(request, "command", json_object_new_string("token-list"));
	r = ctl_call(ctl, request, &reply);
	if (r)
		return r;
	json_object_object_get_ex(reply, "grants", &list);
	if (ctl->json) {
		ctl_print_json(reply);
	} else if (!list || json_object_array_length(list) == 0) {
		(void)printf("No live tokens.\n");
	} else {
		(void)printf("%-6s %-12s %-20s %-20s %-20s %-18s %s\n", "GRANT", "USER", "CLASSES", "UNTIL", "PURPOSE",
			     "CASE", "APPROVER");
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *g = json_object_array_get_idx(list, i);

			idg_format_time((uint64_t)ctl_get_int(g, "expires_usec", 0), until, sizeof(until));
			(void)printf("%-6lld %-12s %-20s %-20s %-20s %-18s %s\n", ctl_get_int(g, "id", 0),
				     ctl_get_string(g, "user", "?"), ctl_get_string(g, "classes", "?"), until,
				     ctl_get_string(g, "purpose", "?"), ctl_get_string(g, "ref", "?"),
				     ctl_get_string(g, "approver", "?"));
		}
	}
	json_object_put(reply);
	return CTL_EXIT_OK;
}

static int token_revoke(struct ctl *ctl, const struct token_options *o)
{
	int r;

	if (!o->operand) {
		(void)fprintf(stderr, "idguardctl token revoke: give the grant id or token id (see 'idguardctl token list')\n");
		return CTL_EXIT_USAGE;
	}
	r = ctl_call_on_id(ctl, "token-revoke", json_object_new_string(o->operand));
	if (r == 0 && !ctl->json)
		(void)printf("Token %s revoked: its access ended now.\n", o->operand);
	return r;
}

static int token_purposes(struct ctl *ctl, const struct token_options *o)
{
	const struct idg_policy *policy;
	struct ctl_registry reg;
	struct json_object *list;
	char classes[128];
	int r = ctl_registry_load(o, false, &reg);

	if (r)
		return r;
	policy = reg.policy;
	list = json_object_new_array();
	for (size_t i = 0; i < policy->n_purposes; i++) {
		const struct idg_purpose *p = &policy->purposes[i];

		idg_class_mask_format(p->class_mask, classes, sizeof(classes));
		if (ctl->json) {
			struct json_object *obj = json_object_new_object();

			json_object_object_add(obj, "id", json_object_new_string(p->id));
			json_object_object_add(obj, "description", json_object_new_string(p->description ? p->description : ""));
			json_object_object_add(obj, "description_zh_CN",
					       json_object_new_string(p->description_zh ? p->description_zh : ""));
			json_object_object_add(obj, "legal_basis", json_object_new_string(p->legal_basis ? p->legal_basis : ""));
			json_object_object_add(obj, "classes", json_object_new_string(classes));
			json_object_object_add(obj, "max_minutes", json_object_new_int((int)p->max_minutes));
			json_object_object_add(obj, "example", json_object_new_boolean(p->example));
			json_object_array_add(list, obj);
		} else {
			(void)printf("%s%s\n  %s\n  %s\n  classes: %s; at most %u minutes\n  legal basis: %s\n\n", p->id,
				     p->example ? " (example)" : "", p->description ? p->description : "",
				     p->description_zh ? p->description_zh : "", classes, p->max_minutes,
				     p->legal_basis ? p->legal_basis : "-");
		}
	}
	if (ctl->json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "ok", json_object_new_boolean(1));
		json_object_object_add(obj, "purposes", list);
		ctl_print_json(obj);
		json_object_put(obj);
	} else {
		json_object_put(list);
		if (!policy->n_purposes)
			(void)printf("No purposes found in %s: no token can be approved.\n", reg.purposes_where);
	}
	ctl_registry_clear(&reg);
	return CTL_EXIT_OK;
}

int ctl_token(const struct ctl *ctl_in, int argc, char **argv)
{
	struct token_options o = { .send = -1 };
	struct ctl ctl = *ctl_in;
	const char *action;
	int r;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		(void)fputs(token_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	action = argv[1];
	r = parse_options(&ctl, argc - 1, argv + 1, &o);
	if (r)
		return CTL_OPTIONS_EXIT(r);
	if (streq(action, "request"))
		return token_request(&ctl, &o);
	if (streq(action, "requests"))
		return ctl_token_requests(&ctl);
	if (streq(action, "cancel"))
		return ctl_token_cancel(&ctl, &o);
	if (streq(action, "inbox"))
		return ctl_token_inbox(&ctl, &o);
	if (streq(action, "approve"))
		return ctl_token_approve(&ctl, &o);
	if (streq(action, "decline"))
		return ctl_token_decline(&ctl, &o);
	if (streq(action, "redeem"))
		return token_redeem(&ctl, &o);
	if (streq(action, "list"))
		return token_list(&ctl);
	if (streq(action, "revoke"))
		return token_revoke(&ctl, &o);
	if (streq(action, "purposes"))
		return token_purposes(&ctl, &o);
	if (streq(action, "registry"))
		return ctl_token_registry(&ctl, &o);
	(void)fprintf(stderr,
		      "idguardctl token: unknown action '%s' (request, requests, cancel, inbox, approve, decline, redeem, "
		      "list, revoke, purposes, registry)\n",
		      action);
	return CTL_EXIT_USAGE;
}
