// SPDX-License-Identifier: GPL-2.0-only
/*
 * Purposes (the lawful reasons a card may be imaged, in policy files) and
 * approvers (supervisors' signing keys, in approvers.d): their sections'
 * keys, their lookups, and the checks only the merged whole allows, such as
 * "every purpose names someone who may approve it".
 */
#include <ctype.h>
#include <errno.h>

#include "names.h"
#include "paseto.h"
#include "policy_internal.h"
#include "util.h"

#define MAX_PURPOSE_MINUTES 1440

#define report(site, ...) ((void)idg_diag_add((site)->diags, (site)->file, (site)->line, false, __VA_ARGS__))

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* "a, b c" appends a, b and c; an empty value clears the list. */
static int list_add(char ***list, size_t *n, const char *value, const char *key,
		    const struct idg_parse_site *site)
{
	char word[IDG_NAME_MAX];
	const char *p = value;

	if (!*value) {
		free_list(*list, *n);
		*list = NULL;
		*n = 0;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ", \t");

		if (len) {
			char **grown;

			if (len >= sizeof(word)) {
				report(site, "%s= has a name longer than %d characters", key, IDG_NAME_MAX - 1);
				return 0;
			}
			memcpy(word, p, len);
			word[len] = '\0';
			if (!streq(word, "*") && !idg_policy_valid_id(word)) {
				report(site, "%s= has '%s', which is not a name (letters, digits, '.', '_', '-')", key, word);
				return 0;
			}
			grown = idg_policy_grow(*list, *n, sizeof(**list));
			if (!grown)
				return -ENOMEM;
			*list = grown;
			if (!((*list)[*n] = strdup(word)))
				return -ENOMEM;
			(*n)++;
		}
		p += len;
		p += strspn(p, ", \t");
	}
	return 0;
}

static int set_text(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

static int parse_bool(const char *value, bool *ret)
{
	if (streq(value, "yes") || streq(value, "true") || streq(value, "1"))
		*ret = true;
	else if (streq(value, "no") || streq(value, "false") || streq(value, "0"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

int idg_purpose_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
			struct idg_purpose **ret)
{
	struct idg_purpose *purposes;
	ssize_t found;

	if (!idg_policy_valid_id(id)) {
		report(site, "'%s' is not a purpose id (letters, digits, '.', '_', '-'; at most %d)", id, IDG_NAME_MAX - 1);
		return 1;
	}
	found = idg_name_index_find(&policy->index->purposes, id);
	if (found >= 0) {
		*ret = &policy->purposes[found]; /* a later file adds to or overrides it */
		return 0;
	}
	purposes = idg_policy_grow(policy->purposes, policy->n_purposes, sizeof(*purposes));
	if (!purposes)
		return -ENOMEM;
	policy->purposes = purposes;
	if (idg_name_index_add(&policy->index->purposes, id, policy->n_purposes) < 0)
		return -ENOMEM;
	*ret = &policy->purposes[policy->n_purposes++];
	memset(*ret, 0, sizeof(**ret));
	strcpy((*ret)->id, id);
	(*ret)->file = site->file;
	(*ret)->line = site->line;
	return 0;
}

int idg_approver_section(struct idg_policy *policy, const char *id, const struct idg_parse_site *site,
			 struct idg_approver **ret)
{
	struct idg_approver *approvers;
	ssize_t found;

	if (!idg_policy_valid_id(id)) {
		report(site, "'%s' is not an approver id (letters, digits, '.', '_', '-'; at most %d)", id, IDG_NAME_MAX - 1);
		return 1;
	}
	found = idg_name_index_find(&policy->index->approvers, id);
	if (found >= 0) {
		*ret = &policy->approvers[found];
		return 0;
	}
	approvers = idg_policy_grow(policy->approvers, policy->n_approvers, sizeof(*approvers));
	if (!approvers)
		return -ENOMEM;
	policy->approvers = approvers;
	if (idg_name_index_add(&policy->index->approvers, id, policy->n_approvers) < 0)
		return -ENOMEM;
	*ret = &policy->approvers[policy->n_approvers++];
	memset(*ret, 0, sizeof(**ret));
	strcpy((*ret)->id, id);
	(*ret)->file = site->file;
	(*ret)->line = site->line;
	return 0;
}

int idg_purpose_key(struct idg_purpose *purpose, const char *name, const char *value,
		    const struct idg_parse_site *site)
{
	char bad[64];
	uint64_t minutes;

	if (streq(name, "Description"))
		return set_text(&purpose->description, value);
	if (streq(name, "Description[zh_CN]"))
		return set_text(&purpose->description_zh, value);
	if (streq(name, "LegalBasis"))
		return set_text(&purpose->legal_basis, value);
	if (streq(name, "Approvers"))
		return list_add(&purpose->approvers, &purpose->n_approvers, value, name, site);
	if (streq(name, "Classes")) {
		if (idg_class_mask_parse(value, &purpose->class_mask, bad, sizeof(bad)) < 0)
			report(site, "Classes= has '%s', which is not a class (" IDG_CLASS_NAMES_TEXT ")",
			       bad);
		return 0;
	}
	if (streq(name, "MaxMinutes")) {
		if (idg_parse_uint(value, MAX_PURPOSE_MINUTES, &minutes) < 0 || minutes == 0)
			report(site, "MaxMinutes='%s' must be a whole number of minutes from 1 to %d", value,
			       MAX_PURPOSE_MINUTES);
		else
			purpose->max_minutes = (uint32_t)minutes;
		return 0;
	}
	if (streq(name, "Example")) {
		if (parse_bool(value, &purpose->example) < 0)
			report(site, "Example='%s' must be yes or no", value);
		return 0;
	}
	report(site,
	       "unknown key '%s' in [Purpose %s] (known: Description, Description[zh_CN], LegalBasis, Classes, "
	       "MaxMinutes, Approvers, Example)",
	       name, purpose->id);
	return 0;
}

int idg_approver_key(struct idg_approver *approver, const char *name, const char *value,
		     const struct idg_parse_site *site)
{
	if (streq(name, "User")) {
		if (!idg_policy_valid_id(value))
			report(site, "User='%s' is not a user name", value);
		else
			(void)snprintf(approver->user, sizeof(approver->user), "%s", value);
		return 0;
	}
	if (streq(name, "PublicKey")) {
		if (idg_paserk_public_decode(value, approver->public_key) < 0) {
			report(site, "PublicKey= must be a PASERK k4.public key (as written by 'idguardctl key generate')");
			return 0;
		}
		approver->has_key = true;
		return idg_paserk_pid(approver->public_key, approver->key_id, sizeof(approver->key_id)) < 0 ? -ENOMEM : 0;
	}
	if (streq(name, "Purposes"))
		return list_add(&approver->purposes, &approver->n_purposes, value, name, site);
	if (streq(name, "Admin")) {
		if (parse_bool(value, &approver->admin) < 0)
			report(site, "Admin='%s' must be yes or no", value);
		return 0;
	}
	report(site, "unknown key '%s' in [Approver %s] (known: User, PublicKey, Purposes, Admin)", name, approver->id);
	return 0;
}

void idg_purposes_free(struct idg_policy *policy)
{
	for (size_t i = 0; i < policy->n_purposes; i++) {
		struct idg_purpose *p = &policy->purposes[i];

		free(p->description);
		free(p->description_zh);
		free(p->legal_basis);
		free_list(p->approvers, p->n_approvers);
	}
	for (size_t i = 0; i < policy->n_approvers; i++)
		free_list(policy->approvers[i].purposes, policy->approvers[i].n_purposes);
	free(policy->purposes);
	free(policy->approvers);
}

const struct idg_purpose *idg_policy_purpose(const struct idg_policy *policy, const char *id)
{
	ssize_t found = idg_name_index_find(&policy->index->purposes, id);

	return found >= 0 ? &policy->purposes[found] : NULL;
}

const struct idg_approver *idg_policy_approver(const struct idg_policy *policy, const char *id)
{
	ssize_t found = idg_name_index_find(&policy->index->approvers, id);

	return found >= 0 ? &policy->approvers[found] : NULL;
}

const struct idg_approver *idg_policy_approver_by_key_id(const struct idg_policy *policy, const char *key_id)
{
	for (size_t i = 0; i < policy->n_approvers; i++)
		if (policy->approvers[i].has_key && streq(policy->approvers[i].key_id, key_id))
			return &policy->approvers[i];
	return NULL;
}

static bool in_list(char *const *list, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (streq(list[i], id) || streq(list[i], "*"))
			return true;
	return false;
}

bool idg_policy_may_approve(const struct idg_approver *approver, const struct idg_purpose *purpose)
{
	return in_list(purpose->approvers, purpose->n_approvers, approver->id) &&
	       in_list(approver->purposes, approver->n_purposes, purpose->id);
}

void idg_policy_check_purposes(const struct idg_policy *policy, struct idg_diags *diags)
{
	for (size_t i = 0; i < policy->n_purposes; i++) {
		const struct idg_purpose *p = &policy->purposes[i];

		if (!p->description || !*p->description)
			(void)idg_diag_add(diags, p->file, p->line, false, "purpose %s has no Description=", p->id);
		if (!p->class_mask)
			(void)idg_diag_add(diags, p->file, p->line, false, "purpose %s has no Classes=", p->id);
		if (!p->max_minutes)
			(void)idg_diag_add(diags, p->file, p->line, false, "purpose %s has no MaxMinutes=", p->id);
		if (!p->n_approvers)
			(void)idg_diag_add(diags, p->file, p->line, false,
					   "nobody may approve purpose %s: add Approvers=", p->id);
		if (p->example)
			(void)idg_diag_add(diags, p->file, p->line, true,
					   "purpose %s is a shipped example (Example=yes): check it against the rules that "
					   "bind this site, and adapt it in " IDG_SYSCONFDIR "/idguard/policy.d", p->id);
	}
}

/* An approver with the key of an earlier one is reported once, naming the
 * first: keys holds the keys of those before i, so that no approver is
 * compared with all before it. */
static void check_key_unique(const struct idg_policy *policy, size_t i, struct idg_name_index *keys,
			     struct idg_diags *diags)
{
	const struct idg_approver *a = &policy->approvers[i], *first;
	ssize_t found;

	if (!a->has_key)
		return;
	found = idg_name_index_find(keys, a->key_id);
	if (found < 0) {
		if (idg_name_index_add(keys, a->key_id, i) < 0)
			(void)idg_diag_add(diags, a->file, a->line, false,
					   "cannot check that approver %s has a key of its own: out of memory", a->id);
		return;
	}
	first = &policy->approvers[found];
	(void)idg_diag_add(diags, a->file, a->line, false, "approver %s has the same key as %s (%s:%u)", a->id, first->id,
			   first->file, first->line);
}

void idg_policy_check_approvers(const struct idg_policy *policy, struct idg_diags *diags)
{
	struct idg_name_index keys = { 0 };

	for (size_t i = 0; i < policy->n_purposes; i++) {
		const struct idg_purpose *p = &policy->purposes[i];

		for (size_t a = 0; a < p->n_approvers; a++)
			if (!streq(p->approvers[a], "*") && !idg_policy_approver(policy, p->approvers[a]))
				(void)idg_diag_add(diags, p->file, p->line, true,
						   "purpose %s names approver %s, who is not registered in approvers.d",
						   p->id, p->approvers[a]);
	}
	for (size_t i = 0; i < policy->n_approvers; i++) {
		const struct idg_approver *a = &policy->approvers[i];

		if (!a->has_key)
			(void)idg_diag_add(diags, a->file, a->line, false, "approver %s has no PublicKey=", a->id);
		if (!a->user[0])
			(void)idg_diag_add(diags, a->file, a->line, false, "approver %s has no User=", a->id);
		if (!a->n_purposes)
			(void)idg_diag_add(diags, a->file, a->line, false,
					   "approver %s may approve nothing: add Purposes= (ids, or * for any)", a->id);
		check_key_unique(policy, i, &keys, diags);
		for (size_t k = 0; k < a->n_purposes; k++)
			if (!streq(a->purposes[k], "*") && !idg_policy_purpose(policy, a->purposes[k]))
				(void)idg_diag_add(diags, a->file, a->line, true,
						   "approver %s may approve purpose %s, which the policy does not define",
						   a->id, a->purposes[k]);
	}
	idg_name_index_clear(&keys);
}
