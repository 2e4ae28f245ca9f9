// SPDX-License-Identifier: GPL-2.0-only
/*
 * The printable audit report (`idguardctl audit --report html`): one
 * self-contained HTML file for a period and a set of workstations, from
 * the same summary as --summary: the tables, bar charts as inline SVG
 * (refusals per day and per workstation, token uses per purpose and per
 * approver, uses without an approver, the most refused users and
 * programs), the filters used and the record counts, and print styles so
 * that a browser's "Print to PDF" gives a clean A4 report. The texts are
 * in the locale's language (English, Chinese), through the "idguard"
 * gettext domain. Every value is escaped; values were already withheld
 * where they looked like ID numbers.
 */
#include <errno.h>
#include <libintl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_audit.h"
#include "notice_text.h"
#include "util.h"

#define _(s) dgettext(IDG_TEXTDOMAIN, s)
#define BAR_ROWS 15

static void escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			(void)fputs("&amp;", out);
			break;
		case '<':
			(void)fputs("&lt;", out);
			break;
		case '>':
			(void)fputs("&gt;", out);
			break;
		case '"':
			(void)fputs("&quot;", out);
			break;
		default:
			(void)fputc(*s, out);
		}
	}
}

static long long get(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return obj && json_object_object_get_ex(obj, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

static const char *str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return obj && json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : "";
}

/* The decision as the report's language says it. */
static const char *verdict_label(const char *verdict)
{
	/* TRANSLATORS: the decisions on an attempt, in the report's table. */
	if (streq(verdict, "denied"))
		return _("denied");
	if (streq(verdict, "audited"))
		return _("audited");
	if (streq(verdict, "granted"))
		return _("granted");
	return verdict;
}

/* A horizontal bar chart of [{"name", "attempts"}] (or a measure of
 * {key: {measure: n}}), as inline SVG: no script, no external file. */
static void bar_chart(FILE *out, const char *id, const char *title, struct json_object *list, const char *measure)
{
	long long max = 1;
	size_t n = list ? json_object_array_length(list) : 0;
	int row_h = 22, label_w = 230, bar_w = 380;

	if (n > BAR_ROWS)
		n = BAR_ROWS;
	for (size_t i = 0; i < n; i++)
		if (get(json_object_array_get_idx(list, i), measure) > max)
			max = get(json_object_array_get_idx(list, i), measure);
	(void)fprintf(out, "<figure class=\"chart\" id=\"%s\"><figcaption>", id);
	escape(out, title);
	(void)fputs("</figcaption>\n", out);
	if (n == 0) {
		(void)fprintf(out, "<p class=\"none\">%s</p></figure>\n", _("(none)"));
		return;
	}
	(void)fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" role=\"img\">\n",
		      label_w + bar_w + 70, n * (size_t)row_h + 4);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(list, i);
		long long v = get(item, measure);
		int w = (int)(v * bar_w / max), y = (int)i * row_h + 2;

		(void)fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"label\">", label_w - 6, y + 15);
		escape(out, str(item, "name"));
		(void)fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"bar\"/>"
				   "<text x=\"%d\" y=\"%d\" class=\"value\">%lld</text>\n",
			      label_w, y + 3, w > 0 ? w : 1, row_h - 6, label_w + (w > 0 ? w : 1) + 6, y + 15, v);
	}
	(void)fputs("</svg></figure>\n", out);
}

/* {key: {redeemed, attempts}} as [{"name", "redeemed", "attempts"}]. */
static struct json_object *as_list(struct json_object *map)
{
	struct json_object *list = json_object_new_array();

	if (!map)
		return list;
	json_object_object_foreach(map, key, counts) {
		struct json_object *item = json_object_new_object();

		json_object_object_add(item, "name", json_object_new_string(key));
		json_object_object_add(item, "redeemed", json_object_new_int64(get(counts, "redeemed")));
		json_object_object_add(item, "attempts", json_object_new_int64(get(counts, "attempts")));
		json_object_array_add(list, item);
	}
	return list;
}

static void table_of(FILE *out, const char *title, const char *key_title, struct json_object *list,
		     const char *const *measures, const char *const *measure_titles, size_t n_measures)
{
	(void)fputs("<table><caption>", out);
	escape(out, title);
	(void)fputs("</caption><thead><tr><th>", out);
	escape(out, key_title);
	for (size_t m = 0; m < n_measures; m++) {
		(void)fputs("</th><th class=\"n\">", out);
		escape(out, measure_titles[m]);
	}
	(void)fputs("</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct json_object *item = json_object_array_get_idx(list, i);

		(void)fputs("<tr><td>", out);
		escape(out, str(item, "name"));
		for (size_t m = 0; m < n_measures; m++)
			(void)fprintf(out, "</td><td class=\"n\">%lld", get(item, measures[m]));
		(void)fputs("</td></tr>\n", out);
	}
	if (!list || json_object_array_length(list) == 0)
		(void)fprintf(out, "<tr><td colspan=\"%zu\" class=\"none\">%s</td></tr>\n", n_measures + 1, _("(none)"));
	(void)fputs("</tbody></table>\n", out);
}

static const char style[] =
	"body{font-family:'Noto Sans','WenQuanYi Micro Hei',sans-serif;font-size:10.5pt;color:#111;margin:2em}"
	"h1{font-size:17pt;margin:0 0 .2em}h2{font-size:12.5pt;margin:1.4em 0 .4em;border-bottom:1px solid #888}"
	"table{border-collapse:collapse;margin:.4em 0 1em;min-width:50%}"
	"caption{text-align:left;font-weight:bold;padding:.2em 0}"
	"th,td{border:1px solid #bbb;padding:.15em .5em;text-align:left;vertical-align:top}"
	"td.n,th.n{text-align:right}td.none,p.none{color:#666;font-style:italic}"
	"dl.meta{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dl.meta dt{font-weight:bold}"
	"figure.chart{margin:.6em 0 1.2em}figure.chart figcaption{font-weight:bold;margin-bottom:.2em}"
	"svg .bar{fill:#4a6fa5}svg text{font-size:11px}svg .value{fill:#111}"
	".warn{color:#8a1c1c;font-weight:bold}"
	"@page{size:A4;margin:15mm}"
	"@media print{body{margin:0}h2{break-after:avoid}table,figure{break-inside:avoid}}";

int audit_report_html(struct audit_summary *s, const struct audit_options *o, FILE *out)
{
	static const char *const verdict_measure[] = { "attempts" };
	static const char *const token_measures[] = { "redeemed", "attempts" };
	struct json_object *obj = audit_summary_json(s), *refused = json_object_object_get(obj, "refused");
	struct json_object *uses = json_object_object_get(obj, "token_uses");
	struct json_object *by_purpose = as_list(json_object_object_get(uses, "by_purpose"));
	struct json_object *by_approver = as_list(json_object_object_get(uses, "by_approver"));
	struct json_object *unapproved = json_object_object_get(obj, "uses_without_approver");
	struct json_object *verdicts = json_object_new_array();
	const char *attempts_title[] = { _("attempts") };
	const char *token_titles[] = { _("tokens redeemed"), _("attempts granted") };
	char made[32], lang[16];

	json_object_object_foreach(json_object_object_get(obj, "verdicts"), verdict, count) {
		struct json_object *item = json_object_new_object();

		json_object_object_add(item, "name", json_object_new_string(verdict_label(verdict)));
		json_object_object_add(item, "attempts", json_object_get(count));
		json_object_array_add(verdicts, item);
	}
	idg_format_time(idg_now_realtime_usec(), made, sizeof(made));
	/* The catalog's language ("en", "zh_CN") as HTML writes it ("zh-CN"). */
	(void)snprintf(lang, sizeof(lang), "%s", _("en"));
	for (char *c = lang; *c; c++)
		if (*c == '_')
			*c = '-';
	(void)fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
			   "<meta name=\"generator\" content=\"idguardctl %s\"><title>",
		      lang, IDG_VERSION);
	escape(out, _("idguard audit report"));
	(void)fprintf(out, "</title><style>%s</style></head><body>\n<h1>", style);
	escape(out, _("idguard audit report"));
	(void)fputs("</h1>\n<dl class=\"meta\">", out);
	(void)fprintf(out, "<dt>%s</dt><dd id=\"period\">", _("Period"));
	escape(out, str(obj, "first"));
	(void)fputs(" – ", out);
	escape(out, str(obj, "last"));
	(void)fprintf(out, "</dd><dt>%s</dt><dd id=\"records\">%lld</dd>", _("Records"), get(obj, "records"));
	(void)fprintf(out, "<dt>%s</dt><dd id=\"filters\">", _("Filters"));
	escape(out, o->command_line[0] ? o->command_line : _("(none)"));
	(void)fprintf(out, "</dd><dt>%s</dt><dd>", _("Workstation names"));
	escape(out, audit_host_source_text(str(obj, "host_source"), str(obj, "names_file")));
	{
		struct json_object *differs = json_object_object_get(obj, "claimed_host_differs");

		for (size_t i = 0; i < json_object_array_length(differs); i++) {
			struct json_object *d = json_object_array_get_idx(differs, i);
			long long records = get(d, "records");
			char text[600];

			/* TRANSLATORS: a workstation (named by the site's list)
			 * whose records carry another host name. */
			(void)snprintf(text, sizeof(text),
				       dngettext(IDG_TEXTDOMAIN, "%s wrote the host name %s in %lld record",
						 "%s wrote the host name %s in %lld records", (unsigned long)records),
				       str(d, "host"), str(d, "claimed_host"), records);
			(void)fputs("<br><span class=\"warn claimed-differs\">", out);
			escape(out, text);
			(void)fputs("</span>", out);
		}
	}
	{
		struct json_object *unreadable = json_object_object_get(obj, "unreadable_files");

		for (size_t i = 0; i < json_object_array_length(unreadable); i++) {
			char text[600];

			/* TRANSLATORS: a collector's journal file that could not
			 * be read: the report does not count its records. */
			(void)snprintf(text, sizeof(text), _("%s could not be read; its records are not counted"),
				       json_object_get_string(json_object_array_get_idx(unreadable, i)));
			(void)fputs("<br><span class=\"warn unreadable\">", out);
			escape(out, text);
			(void)fputs("</span>", out);
		}
	}
	(void)fprintf(out, "</dd><dt>%s</dt><dd>", _("Made"));
	escape(out, made);
	(void)fputs("</dd></dl>\n", out);

	(void)fprintf(out, "<h2>%s</h2>\n", _("Attempts"));
	table_of(out, _("Attempts by decision"), _("decision"), verdicts, verdict_measure, attempts_title, 1);
	(void)fprintf(out, "<h2>%s</h2>\n", _("Refusals"));
	bar_chart(out, "refusals-per-day", _("Refused attempts per day"), json_object_object_get(refused, "by_day"),
		  "attempts");
	bar_chart(out, "refusals-per-workstation", _("Refused attempts per workstation"),
		  json_object_object_get(refused, "by_host"), "attempts");
	bar_chart(out, "refused-users", _("Most refused users"), json_object_object_get(refused, "by_user"), "attempts");
	bar_chart(out, "refused-programs", _("Most refused programs"), json_object_object_get(refused, "by_program"),
		  "attempts");
	table_of(out, _("Refused attempts by class"), _("class"), json_object_object_get(refused, "by_class"),
		 verdict_measure, attempts_title, 1);

	(void)fprintf(out, "<h2>%s</h2>\n", _("Token uses"));
	bar_chart(out, "uses-per-purpose", _("Attempts granted per purpose"), by_purpose, "attempts");
	bar_chart(out, "uses-per-approver", _("Attempts granted per approver"), by_approver, "attempts");
	table_of(out, _("Token uses by purpose"), _("purpose"), by_purpose, token_measures, token_titles, 2);
	table_of(out, _("Token uses by approver"), _("approver"), by_approver, token_measures, token_titles, 2);

	(void)fprintf(out, "<h2>%s</h2>\n<p id=\"unapproved-total\" class=\"%s\">", _("Uses without an approver"),
		      get(obj, "uses_without_approver_total") ? "warn" : "");
	{
		long long attempts = get(json_object_object_get(obj, "administrator_grants"), "attempts_granted");
		long long added = get(json_object_object_get(obj, "administrator_grants"), "grants_added");

		/* TRANSLATORS: attempts granted under grants an administrator
		 * gave, not a token an approver signed. */
		(void)fprintf(out, dngettext(IDG_TEXTDOMAIN, "%lld attempt granted under administrator grants",
					     "%lld attempts granted under administrator grants", (unsigned long)attempts),
			      attempts);
		/* TRANSLATORS: between two sentences of one line ("；" in Chinese). */
		(void)fputs(_("; "), out);
		(void)fprintf(out, dngettext(IDG_TEXTDOMAIN, "%lld administrator grant added.",
					     "%lld administrator grants added.", (unsigned long)added),
			      added);
	}
	(void)fputs("</p>\n<table id=\"unapproved\"><thead><tr>", out);
	(void)fprintf(out, "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th class=\"n\">%s</th>"
			   "<th class=\"n\">%s</th></tr></thead><tbody>\n",
		      _("time"), _("workstation"), _("user"), _("class"), _("program"), _("grant"), _("attempts"));
	for (size_t i = 0; unapproved && i < json_object_array_length(unapproved); i++) {
		struct json_object *u = json_object_array_get_idx(unapproved, i);
		static const char *const cols[] = { "time", "host", "user", "class", "program" };

		(void)fputs("<tr>", out);
		for (size_t c = 0; c < ARRAY_SIZE(cols); c++) {
			(void)fputs("<td>", out);
			escape(out, str(u, cols[c]));
			(void)fputs("</td>", out);
		}
		(void)fprintf(out, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>\n", get(u, "grant_id"),
			      get(u, "attempts"));
	}
	if (!unapproved || json_object_array_length(unapproved) == 0)
		(void)fprintf(out, "<tr><td colspan=\"7\" class=\"none\">%s</td></tr>\n", _("(none)"));
	(void)fputs("</tbody></table>\n</body></html>\n", out);
	json_object_put(verdicts);
	json_object_put(by_purpose);
	json_object_put(by_approver);
	json_object_put(obj);
	return ferror(out) ? -EIO : 0;
}
