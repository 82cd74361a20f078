/* view_score.c — the score pages (league table, manual entries, deductions and
 * bonuses), the printable A4 report, the CSV and JSON forms of a report and the CLI's
 * due list. Receives computed data (scoring.h) and never queries anything. */
#define _GNU_SOURCE
#include "view_score.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

int view_score_within(const struct scoring_result *r, const char *code, const char *within)
{
	if (!within || !*within)
		return 1;
	/* walk up by parent codes; the tree is small and the depth bounded */
	for (int hops = 0; code && hops < 64; hops++) {
		if (strcmp(code, within) == 0)
			return 1;
		const struct scoring_unit *u = scoring_find_unit(r, code);
		code = u ? u->parent_code : NULL;
	}
	return 0;
}

/* ---------------------------------------------------------------- CSV and JSON */

void view_score_csv(struct buf *b, const struct scoring_result *r, const char *within)
{
	buf_puts(b, "period,unit,name,kind,parent,score,rank,peers,excellent,previous,change,weighted,deductions,"
		    "bonuses,missing_weight,indicator,actual,indicator_score,weight,effective_weight,responses,"
		    "satisfied,ci_low,ci_high,rate_from,points,smart,note\r\n");
	for (size_t i = 0; i < r->n_units; i++) {
		const struct scoring_unit *u = &r->units[i];
		if (!view_score_within(r, u->code, within))
			continue;
		size_t lines = u->n_ind ? u->n_ind : 1;
		for (size_t k = 0; k < lines; k++) {
			const struct scoring_indicator *x = u->n_ind ? &u->ind[k] : NULL;
			view_csv_text(b, r->period);
			buf_putc(b, ',');
			view_csv_text(b, u->code);
			buf_putc(b, ',');
			view_csv_text(b, u->name);
			buf_putc(b, ',');
			view_csv_text(b, u->kind);
			buf_putc(b, ',');
			view_csv_text(b, u->parent_code);
			buf_putc(b, ',');
			view_csv_num(b, u->scored, u->score, 2);
			buf_putc(b, ',');
			if (u->rank)
				buf_printf(b, "%zu", u->rank);
			buf_printf(b, ",%zu,%d,", u->peers, u->excellent);
			view_csv_num(b, u->has_previous, u->previous, 2);
			buf_putc(b, ',');
			view_csv_num(b, u->has_previous, u->change, 2);
			buf_putc(b, ',');
			view_csv_num(b, u->scored, u->weighted, 2);
			buf_printf(b, ",%.2f,%.2f,%.2f,", u->deductions_raw, u->bonuses_raw, u->weight_missing);
			if (x) {
				view_csv_text(b, x->code);
				buf_putc(b, ',');
				view_csv_num(b, x->has_actual, x->actual, 4);
				buf_putc(b, ',');
				view_csv_num(b, x->has_data, x->score, 2);
				buf_printf(b, ",%g,%.2f,", x->weight, x->effective_weight);
				if (x->kind == INDICATOR_CUSTOMER_EVALUATION)
					buf_printf(b, "%lld,%lld,%.4f,%.4f", (long long)x->responses, (long long)x->satisfied,
						   x->ci_low, x->ci_high);
				else
					buf_puts(b, ",,,");
				buf_putc(b, ',');
				view_csv_text(b, x->rate_from);
				buf_putc(b, ',');
				if (x->kind == INDICATOR_COVERAGE)
					buf_printf(b, "%ld,%ld", x->points, x->smart);
				else
					buf_putc(b, ',');
				buf_putc(b, ',');
				view_csv_text(b, x->note);
			} else {
				buf_puts(b, ",,,,,,,,,,,,");
			}
			buf_puts(b, "\r\n");
		}
	}
}

char *view_score_api_json(const struct scoring_result *r, const char *within)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < r->n_units; i++) {
		const struct scoring_unit *u = &r->units[i];
		if (!view_score_within(r, u->code, within))
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "unit", json_string(u->code));
		json_object_set_new(o, "score", u->scored ? json_real(round(u->score * 100) / 100) : json_null());
		json_t *inds = json_array();
		for (size_t k = 0; k < u->n_ind; k++) {
			const struct scoring_indicator *x = &u->ind[k];
			json_t *e = json_object();
			json_object_set_new(e, "code", json_string(x->code));
			json_object_set_new(e, "actual", x->has_actual ? json_real(x->actual) : json_null());
			json_object_set_new(e, "score", x->has_data ? json_real(round(x->score * 100) / 100) : json_null());
			json_object_set_new(e, "weight", json_real(x->weight));
			json_array_append_new(inds, e);
		}
		json_object_set_new(o, "indicators", inds);
		json_array_append_new(arr, o);
	}
	char *s = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(12));
	json_decref(arr);
	if (!s)
		abort();
	return s;
}

/* ---------------------------------------------------------------- shared HTML pieces */

static int en(const struct view_ctx *v)
{
	return v->lang && strcmp(v->lang, "en") == 0;
}

static const char *uname(const struct view_ctx *v, const struct scoring_unit *u)
{
	return en(v) && u->name_en && *u->name_en ? u->name_en : u->name;
}

static const char *iname(const struct view_ctx *v, const struct scoring_indicator *x)
{
	return en(v) && x->name_en && *x->name_en ? x->name_en : x->name;
}

static void num_cell(struct buf *b, int has, double x, int decimals)
{
	buf_puts(b, "<td class=\"num\">");
	if (has)
		buf_printf(b, "%.*f", decimals, x);
	else
		buf_puts(b, "—");
	buf_puts(b, "</td>");
}

static void pct(struct buf *b, double x)
{
	buf_printf(b, "%.1f%%", x * 100.0);
}

static void unit_link(struct buf *b, const struct view_ctx *v, const struct scoring_unit *u)
{
	buf_puts(b, "<a href=\"/units/");
	view_url_segment(b, u->code);
	buf_puts(b, "\">");
	view_esc(b, uname(v, u));
	buf_puts(b, "</a>");
}

static void change_cell(struct buf *b, const struct scoring_unit *u)
{
	buf_puts(b, "<td class=\"num\">");
	if (u->has_previous)
		buf_printf(b, "%+.2f", u->change);
	else
		buf_puts(b, "—");
	buf_puts(b, "</td>");
}

/* The actual of an indicator as the reader expects it: rates in percent. */
static void actual_text(struct buf *b, const struct view_ctx *v, const struct scoring_indicator *x)
{
	if (!x->has_actual) {
		buf_puts(b, x->has_data ? view_tr(v, "直接评分", "scored directly") : "—");
		return;
	}
	if (x->kind == INDICATOR_CUSTOMER_EVALUATION) {
		pct(b, x->actual);
		buf_printf(b, " <small>(%lld/%lld, 95%% ", (long long)x->satisfied, (long long)x->responses);
		pct(b, x->ci_low);
		buf_puts(b, "–");
		pct(b, x->ci_high);
		buf_puts(b, ")</small>");
	} else if (x->kind == INDICATOR_COVERAGE) {
		pct(b, x->actual);
		buf_printf(b, " <small>(%ld/%ld)</small>", x->smart, x->points);
	} else {
		buf_printf(b, "%g", x->actual);
	}
}


/* A breakdown note in the page's language. Notes are stored in English (snapshots keep
 * them as computed), so the known ones are given in Chinese here; anything else is
 * shown as it is, marked as English. */
static void note_text(struct buf *b, const struct view_ctx *v, const char *note)
{
	long long got = 0;
	int min = 0;
	char what[64] = "";
	struct buf zh;
	buf_init(&zh, 512);
	if (en(v)) {
		/* as stored */
	} else if (sscanf(note, "insufficient sample: %lld responses (minimum %d), none of the units above", &got, &min) ==
		   2) {
		buf_printf(&zh, "样本不足：%lld 份（至少 %d 份），上级单位也都不足", got, min);
	} else if (sscanf(note, "no parameters in force for %63s", what) == 1) {
		buf_printf(&zh, "%s 没有生效的考核参数", what);
	} else if (sscanf(note, "no metering points in service on %63s", what) == 1) {
		buf_printf(&zh, "%s 没有在运计量点", what);
	} else if (strcmp(note, "not entered by the evaluating department") == 0) {
		buf_puts(&zh, "考评部门尚未录入");
	} else if (strcmp(note, "an actual was entered but the method scores directly") == 0) {
		buf_puts(&zh, "录入了实际值，但该指标直接评分");
	} else if (strcmp(note, "a score was entered but the method scores from the actual") == 0) {
		buf_puts(&zh, "录入了得分，但该指标按实际值计分");
	} else if (strcmp(note, "the actual could not be scored") == 0) {
		buf_puts(&zh, "实际值无法计分");
	}
	if (zh.len) {
		buf_puts(b, " <small class=\"note\">");
		view_esc(b, zh.data);
	} else {
		buf_puts(b, en(v) ? " <small class=\"note\">" : " <small class=\"note\" lang=\"en\">");
		view_esc(b, note);
	}
	buf_puts(b, "</small>");
	buf_free(&zh);
}

static void breakdown(struct buf *b, const struct view_ctx *v, const struct scoring_unit *u)
{
	buf_puts(b, "<ul class=\"breakdown\">");
	for (size_t k = 0; k < u->n_ind; k++) {
		const struct scoring_indicator *x = &u->ind[k];
		buf_puts(b, "<li>");
		view_esc(b, iname(v, x));
		buf_puts(b, ": ");
		actual_text(b, v, x);
		if (x->has_data)
			buf_printf(b, " → <strong>%.2f</strong> × %s %.1f", x->score, view_tr(v, "权重", "weight"),
				   x->effective_weight);
		else
			buf_printf(b, " <span class=\"missing\">%s</span>", view_tr(v, "无数据，权重已重新分配",
										    "no data, weight redistributed"));
		if (x->fallback && !en(v)) {
			/* the domain's notes are English; the common one is said in Chinese here */
			buf_puts(b, " <small class=\"note\">样本不足，采用上级单位 ");
			view_esc(b, x->rate_from);
			buf_puts(b, " 的满意率</small>");
		} else if (x->note) {
			note_text(b, v, x->note);
		}
		buf_puts(b, "</li>");
	}
	if (u->deductions_raw > 0 || u->bonuses_raw > 0)
		buf_printf(b, "<li>%s −%.2f (%s %.2f), %s +%.2f (%s %.2f)</li>", view_tr(v, "扣分", "deductions"),
			   u->deductions, view_tr(v, "合计", "total"), u->deductions_raw, view_tr(v, "加分", "bonuses"),
			   u->bonuses, view_tr(v, "合计", "total"), u->bonuses_raw);
	buf_puts(b, "</ul>");
}

static void units_table(struct buf *b, const struct view_ctx *v, const struct scoring_result *r, const char *within)
{
	buf_printf(b,
		   "<table class=\"scores\">\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		   "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		   "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "单位", "Unit"), view_tr(v, "类别", "Kind"), view_tr(v, "得分", "Score"),
		   view_tr(v, "排名", "Rank"), view_tr(v, "较上期", "Change"), view_tr(v, "等次", "Grade"),
		   view_tr(v, "构成", "Breakdown"));
	for (size_t i = 0; i < r->n_units; i++) {
		const struct scoring_unit *u = &r->units[i];
		if (!view_score_within(r, u->code, within))
			continue;
		buf_printf(b, "<tr id=\"u-");
		view_esc(b, u->code);
		buf_printf(b, "\"><td class=\"d%d\">", u->depth > 3 ? 3 : u->depth);
		unit_link(b, v, u);
		buf_puts(b, " <small>");
		view_esc(b, u->code);
		buf_printf(b, "</small></td><td>%s</td>", view_kind_name(v, u->kind));
		num_cell(b, u->scored, u->score, 2);
		buf_puts(b, "<td class=\"num\">");
		if (u->rank)
			buf_printf(b, "%zu/%zu", u->rank, u->peers);
		else
			buf_puts(b, "—");
		buf_puts(b, "</td>");
		change_cell(b, u);
		buf_printf(b, "<td>%s</td><td>", u->excellent ? view_tr(v, "优秀", "excellent") : "");
		if (u->scored || u->n_ind)
			breakdown(b, v, u);
		else
			buf_puts(b, view_tr(v, "本期无适用指标", "no indicator applies"));
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
}

static void leaders_table(struct buf *b, const struct view_ctx *v, const struct scoring_result *r, const char *within)
{
	size_t shown = 0;
	for (size_t i = 0; i < r->n_leaders; i++)
		shown += view_score_within(r, r->leaders[i].unit_code, within);
	if (!shown)
		return;
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "领导人员得分", "Leader scores"));
	buf_printf(b,
		   "<p class=\"hint\">%s</p>\n<table class=\"leaders\">\n<thead><tr><th scope=\"col\">%s</th>"
		   "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		   "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "正职得分 = 本单位得分；副职得分 = β × 本单位得分 + (1 − β) × 分管部门及联系单位得分均值。",
			   "Head = the unit's score; deputy = β × own unit + (1 − β) × mean of supervised and liaison units."),
		   view_tr(v, "姓名", "Name"), view_tr(v, "职务", "Title"), view_tr(v, "单位", "Unit"),
		   view_tr(v, "得分", "Score"), view_tr(v, "计算", "How"), view_tr(v, "排名", "Rank"),
		   view_tr(v, "等次", "Grade"));
	for (size_t i = 0; i < r->n_leaders; i++) {
		const struct scoring_leader *l = &r->leaders[i];
		if (!view_score_within(r, l->unit_code, within))
			continue;
		buf_puts(b, "<tr><td>");
		view_esc(b, l->person_name);
		buf_puts(b, "</td><td>");
		view_esc(b, l->title ? l->title : l->role);
		buf_puts(b, "</td><td>");
		view_esc(b, l->unit_code);
		buf_puts(b, "</td>");
		num_cell(b, l->scored, l->score, 2);
		buf_puts(b, "<td>");
		if (strcmp(l->role, "head") == 0)
			buf_puts(b, view_tr(v, "正职：本单位得分", "head: the unit's score"));
		else if (l->scored)
			buf_printf(b, "β %.2f × %.2f + %.2f × %.2f (%zu %s)", l->beta, l->own, 1 - l->beta,
				   l->used_links ? l->linked_mean : l->own, l->used_links, view_tr(v, "个联系单位", "linked units"));
		buf_puts(b, "</td><td class=\"num\">");
		if (l->rank)
			buf_printf(b, "%zu/%zu", l->rank, l->peers);
		buf_printf(b, "</td><td>%s</td></tr>\n", l->excellent ? view_tr(v, "优秀", "excellent") : "");
	}
	buf_puts(b, "</tbody></table>\n");
}

static void groups_list(struct buf *b, const struct view_ctx *v, const struct scoring_result *r)
{
	buf_printf(b, "<h2>%s</h2>\n<p class=\"hint\">%s %.0f%%%s</p>\n<ul class=\"groups\">",
		   view_tr(v, "优秀名额", "Excellent quota"), view_tr(v, "优秀比例上限", "At most"),
		   r->excellent_share * 100,
		   view_tr(v, "；同分跨越名额的整组不评优秀。", " of peers; a tie that would cross the quota is left out whole."));
	for (size_t i = 0; i < r->n_groups; i++) {
		const struct scoring_group *g = &r->groups[i];
		if (!g->n)
			continue;
		buf_printf(b, "<li>%s%s (%s %d): %zu %s, %s %zu, %s %zu", g->leaders ? view_tr(v, "领导人员 · ", "leaders · ") : "",
			   view_kind_name(v, g->kind), view_tr(v, "层级", "level"), g->depth, g->n,
			   view_tr(v, "个", "peers"), view_tr(v, "名额", "quota"), g->quota, view_tr(v, "评为优秀", "excellent"),
			   g->chosen);
		if (g->tied_out)
			buf_printf(b, ", %s %zu", view_tr(v, "因同分未评", "left out by a tie"), g->tied_out);
		buf_puts(b, "</li>");
	}
	buf_puts(b, "</ul>\n");
}

static void diffs_table(struct buf *b, const struct view_ctx *v, const struct scoring_result *r)
{
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "考评差异化率", "Differentiation rates"));
	if (!r->n_diffs) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "本期没有满 3 个同类单位的人工评分。",
						     "No evaluator scored a peer group of 3 or more this period."));
		return;
	}
	buf_printf(b,
		   "<table class=\"diffs\">\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		   "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">N</th><th scope=\"col\" class=\"num\">%s</th>"
		   "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "考评部门", "Evaluator"), view_tr(v, "指标", "Indicator"), view_tr(v, "同类单位", "Peers"),
		   view_tr(v, "差异化率", "Rate"), view_tr(v, "变异系数", "CV"), view_tr(v, "极差", "Range"),
		   view_tr(v, "结论", "Finding"));
	for (size_t i = 0; i < r->n_diffs; i++) {
		const struct scoring_diff *x = &r->diffs[i];
		buf_puts(b, x->d.flagged ? "<tr class=\"flagged\"><td>" : "<tr><td>");
		view_esc(b, x->evaluator);
		buf_puts(b, "</td><td>");
		view_esc(b, x->indicator);
		buf_printf(b, "</td><td>%s</td><td class=\"num\">%zu</td><td class=\"num\">", view_kind_name(v, x->kind), x->d.n);
		pct(b, x->d.rate);
		buf_printf(b, "</td><td class=\"num\">%.3f</td><td class=\"num\">%.2f</td><td>", x->d.cv, x->d.range);
		if (x->d.flagged) {
			buf_printf(b, "<strong>%s</strong> (%zu %s %.1f)", view_tr(v, "考评差异化不足", "insufficient differentiation"),
				   x->d.largest_group, view_tr(v, "个单位同为", "units share"), x->d.largest_value);
			if (x->proposed_deduction > 0)
				buf_printf(b, "; %s %.2f", view_tr(v, "建议扣分", "proposed deduction"), x->proposed_deduction);
		} else {
			buf_puts(b, view_tr(v, "达标", "adequate"));
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
}

static void followups_list(struct buf *b, const struct view_ctx *v, const struct scoring_result *r, const char *within)
{
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "整改回访与时间节点", "Follow-ups and milestones"));
	buf_printf(b, "<table class=\"followups\">\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		      "<th scope=\"col\" class=\"num\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "供电所", "Station"), view_tr(v, "未办结", "Open"), view_tr(v, "已超期", "Overdue"));
	for (size_t i = 0; i < r->n_units; i++) {
		const struct scoring_unit *u = &r->units[i];
		if (strcmp(u->kind, "station") != 0 || !view_score_within(r, u->code, within))
			continue;
		buf_puts(b, u->followups_overdue ? "<tr class=\"flagged\"><td>" : "<tr><td>");
		view_esc(b, uname(v, u));
		buf_printf(b, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td></tr>\n",
			   (long long)u->followups_open, (long long)u->followups_overdue);
	}
	buf_puts(b, "</tbody></table>\n");
	size_t shown = 0;
	for (size_t i = 0; i < r->n_milestones; i++)
		if (view_score_within(r, r->milestones[i].unit, within)) {
			const struct scoring_milestone *m = &r->milestones[i];
			if (!shown++)
				buf_printf(b, "<ul class=\"milestones\">");
			buf_printf(b, "<li%s>%s ", m->overdue ? " class=\"flagged\"" : "",
				   m->overdue ? view_tr(v, "已超期", "overdue") : view_tr(v, "即将到期", "due soon"));
			view_esc(b, m->due);
			buf_puts(b, " · ");
			view_esc(b, m->unit);
			buf_puts(b, " · ");
			view_esc(b, m->name);
			buf_printf(b, " · %s ", view_tr(v, "责任人", "responsible"));
			view_esc(b, m->person ? m->person : "—");
			buf_puts(b, "</li>");
		}
	if (shown)
		buf_puts(b, "</ul>\n");
	else
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "没有超期或 7 天内到期的时间节点。",
						     "No milestone is overdue or due within 7 days."));
	buf_printf(b, "<p><a href=\"/milestones\">%s</a></p>\n",
		   view_tr(v, "全部时间节点（标记完成）", "All milestones (mark them done)"));
}

static void local_time(int64_t t, char out[20])
{
	time_t s = (time_t)(t + 8 * 3600);
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		snprintf(out, 20, "?");
		return;
	}
	strftime(out, 20, "%Y-%m-%d %H:%M", &tm);
}

static void state_line(struct buf *b, const struct view_ctx *v, const struct scoring_result *r)
{
	char when[20];
	local_time(r->computed_at, when);
	buf_printf(b, "<p class=\"state\">%s %s – %s · ", view_tr(v, "考核期", "Period"), r->first_day, r->last_day);
	if (r->closed) {
		buf_printf(b, "%s %s · SHA-256 <code>", view_tr(v, "已关账，数据截至", "closed; computed"), when);
		view_esc(b, r->sha256);
		buf_puts(b, "</code>");
	} else {
		buf_printf(b, "%s %s", view_tr(v, "未关账，实时计算于", "open; computed"), when);
	}
	buf_printf(b, " · %s ", view_tr(v, "上期", "previous period"));
	view_esc(b, r->previous);
	buf_puts(b, "</p>\n");
}

/* ---------------------------------------------------------------- the report */

void view_score_report(struct buf *b, const struct view_ctx *v, const struct scoring_result *r, const char *within,
		       int inline_css)
{
	char title[96];
	snprintf(title, sizeof title, "%s %s", r->period, view_tr(v, "绩效考核报告", "performance report"));
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
		   view_tr(v, "zh-CN", "en"));
	view_esc(b, title);
	buf_puts(b, "</title>\n");
	const struct embed_file *css = embed_find("src/static/report.css");
	if (inline_css && css)
		buf_printf(b, "<style>\n%s</style>\n", (const char *)css->data);
	else
		buf_puts(b, "<link rel=\"stylesheet\" href=\"/static/report.css\">\n");
	buf_puts(b, "</head>\n<body class=\"report\">\n<header>\n<h1>");
	view_esc(b, title);
	buf_puts(b, "</h1>\n");
	if (within) {
		buf_printf(b, "<p>%s ", view_tr(v, "范围", "Scope"));
		view_esc(b, within);
		buf_puts(b, "</p>\n");
	}
	state_line(b, v, r);
	buf_puts(b, "</header>\n<main>\n");
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "单位得分", "Unit scores"));
	units_table(b, v, r, within);
	leaders_table(b, v, r, within);
	if (!within) {
		groups_list(b, v, r);
		diffs_table(b, v, r);
	}
	followups_list(b, v, r, within);
	buf_printf(b, "</main>\n<footer>%s</footer>\n</body>\n</html>\n",
		   view_tr(v, "得分 0–120，100 为达到目标值；满意率与覆盖率附 95% 置信区间与样本数。",
			   "Scores run 0–120, 100 = target met; rates with their 95% intervals and counts."));
}

/* ---------------------------------------------------------------- the pages */

static void period_nav(struct buf *b, const struct view_ctx *v, const char *base, const struct scoring_result *r)
{
	buf_puts(b, "<form method=\"get\" action=\"");
	buf_puts(b, base);
	buf_printf(b, "\" class=\"period\"><label for=\"period\">%s</label> <input id=\"period\" name=\"period\" "
		      "maxlength=\"7\" pattern=\"[0-9]{4}(Q[1-4])?\" value=\"",
		   view_tr(v, "考核期", "Period"));
	view_esc(b, r ? r->period : "");
	buf_printf(b, "\"> <button type=\"submit\">%s</button></form>\n", view_tr(v, "查看", "Show"));
}

void view_scores_page(struct buf *b, const struct view_ctx *v, const struct view_scores *s)
{
	const struct scoring_result *r = s->r;
	char title[64];
	snprintf(title, sizeof title, "%s %s", view_tr(v, "单位得分", "Unit scores"), r->period);
	view_begin(b, v, title);
	buf_puts(b, "<h1>");
	view_esc(b, title);
	buf_puts(b, "</h1>\n");
	period_nav(b, v, "/scores", r);
	state_line(b, v, r);
	if (s->error) {
		buf_puts(b, "<p class=\"error\" role=\"alert\">");
		view_esc(b, s->error);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<p class=\"links\"><a href=\"/reports/");
	view_url_segment(b, r->period);
	buf_printf(b, ".html\">%s</a> · <a href=\"/reports/", view_tr(v, "打印报告", "Printable report"));
	view_url_segment(b, r->period);
	buf_printf(b, ".csv\">CSV</a> · <a href=\"/api/v1/scores?period=");
	view_url_segment(b, r->period);
	buf_printf(b, "\">JSON</a> · <a href=\"/scores/manual?period=");
	view_url_segment(b, r->period);
	buf_printf(b, "\">%s</a> · <a href=\"/scores/adjustments?period=", view_tr(v, "人工评分", "Manual scores"));
	view_url_segment(b, r->period);
	buf_printf(b, "\">%s</a></p>\n", view_tr(v, "扣分与加分", "Deductions and bonuses"));
	if (s->can_close && !r->closed) {
		buf_puts(b, "<form method=\"post\" action=\"/periods/");
		view_url_segment(b, r->period);
		buf_puts(b, "/close\" class=\"period-action\">");
		view_csrf_field(b, v);
		buf_printf(b, "<button type=\"submit\">%s %s</button></form>\n", view_tr(v, "关账", "Close"), r->period);
	}
	if (s->can_reopen && r->closed) {
		buf_puts(b, "<form method=\"post\" action=\"/periods/");
		view_url_segment(b, r->period);
		buf_puts(b, "/reopen\" class=\"period-action\">");
		view_csrf_field(b, v);
		buf_printf(b, "<label for=\"reason\">%s</label> <input id=\"reason\" name=\"reason\" required maxlength=\"500\"> "
			      "<button type=\"submit\">%s %s</button></form>\n",
			   view_tr(v, "重新打开的原因", "Reason for reopening"), view_tr(v, "重新打开", "Reopen"), r->period);
	}
	units_table(b, v, r, s->within);
	leaders_table(b, v, r, s->within);
	if (!s->within) {
		groups_list(b, v, r);
		diffs_table(b, v, r);
	}
	followups_list(b, v, r, s->within);
	view_end(b, v);
}

/* League order: scored units by score, best first; ties by code. */
static int league_cmp(const void *a, const void *b)
{
	const struct scoring_unit *x = *(const struct scoring_unit *const *)a, *y = *(const struct scoring_unit *const *)b;
	if (x->scored != y->scored)
		return y->scored - x->scored;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->code, y->code);
}

static void league_row(struct buf *b, const struct view_ctx *v, const struct scoring_unit *u, int self)
{
	buf_puts(b, self ? "<tr class=\"self\"><td class=\"num\">" : "<tr><td class=\"num\">");
	if (u->rank)
		buf_printf(b, "%zu/%zu", u->rank, u->peers);
	else
		buf_puts(b, "—");
	buf_puts(b, "</td><td>");
	unit_link(b, v, u);
	buf_printf(b, " <small>%s</small></td>", view_kind_name(v, u->kind));
	buf_puts(b, "<td class=\"num\" data-unit=\"");
	view_esc(b, u->code);
	buf_puts(b, "\">");
	if (u->scored) /* rounded as the API rounds it, so both say the same */
		buf_printf(b, "%.2f", round(u->score * 100) / 100);
	else
		buf_puts(b, "—");
	buf_puts(b, "</td>");
	change_cell(b, u);
	buf_printf(b, "<td>%s</td></tr>\n", u->excellent ? view_tr(v, "优秀", "excellent") : "");
}

void view_score_league(struct buf *b, const struct view_ctx *v, const struct scoring_result *r, const char *code)
{
	const struct scoring_unit *self = scoring_find_unit(r, code);
	const struct scoring_unit **idx = xcalloc(r->n_units + 1, sizeof *idx);
	size_t n = 0;
	for (size_t i = 0; self && i < r->n_units; i++)
		if (r->units[i].depth == self->depth + 1 && r->units[i].parent_code &&
		    strcmp(r->units[i].parent_code, self->code) == 0 && r->units[i].scored)
			idx[n++] = &r->units[i];
	qsort(idx, n, sizeof *idx, league_cmp);
	buf_printf(b, "<section class=\"league\" id=\"scores\" aria-labelledby=\"sc-h\">\n<h2 id=\"sc-h\">%s ",
		   view_tr(v, "单位得分", "Unit scores"));
	view_esc(b, r->period);
	buf_puts(b, "</h2>\n<p class=\"links\">");
	buf_puts(b, r->closed ? view_tr(v, "已关账", "closed") : view_tr(v, "未关账，随数据更新", "open, follows the data"));
	if (!r->closed) {
		char when[20];
		local_time(r->computed_at, when);
		buf_printf(b, " · %s %s", view_tr(v, "计算于", "computed"), when);
	}
	buf_puts(b, " · <a href=\"/scores?period=");
	view_url_segment(b, r->period);
	buf_printf(b, "\">%s</a> · <a href=\"/reports/", view_tr(v, "全部得分与构成", "All scores and breakdowns"));
	view_url_segment(b, r->period);
	buf_printf(b, ".html\">%s</a></p>\n", view_tr(v, "打印报告", "Printable report"));
	if (!self) {
		buf_printf(b, "<p>%s</p>\n</section>\n", view_tr(v, "本期没有该单位的得分。", "No score of this unit in the period."));
		free(idx);
		return;
	}
	buf_printf(b,
		   "<table class=\"scores league\">\n<caption>%s</caption>\n<thead><tr><th scope=\"col\" class=\"num\">%s</th>"
		   "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		   "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "排名为同类同级单位中的名次；较上期为本期得分减上期得分。",
			   "Rank among peers (same kind and level); change = this period's score − the previous one's."),
		   view_tr(v, "排名", "Rank"), view_tr(v, "单位", "Unit"), view_tr(v, "得分", "Score"),
		   view_tr(v, "较上期", "Change"), view_tr(v, "等次", "Grade"));
	league_row(b, v, self, 1);
	enum { HEAD = 10, TAIL = 5 };
	for (size_t k = 0; k < n; k++) {
		if (n > HEAD + TAIL + 1 && k == HEAD) {
			buf_printf(b, "<tr class=\"more\"><td></td><td colspan=\"4\"><a href=\"/scores?period=");
			view_url_segment(b, r->period);
			buf_printf(b, "\">%s %zu %s</a></td></tr>\n", view_tr(v, "另有", "and"), n - HEAD - TAIL,
				   view_tr(v, "个单位", "more units"));
			k = n - TAIL;
		}
		league_row(b, v, idx[k], 0);
	}
	buf_puts(b, "</tbody></table>\n");
	size_t shown = 0;
	for (size_t i = 0; i < r->n_milestones; i++) {
		const struct scoring_milestone *m = &r->milestones[i];
		if (!view_score_within(r, m->unit, code))
			continue;
		if (shown++ == 0)
			buf_printf(b, "<h3>%s</h3>\n<ul class=\"due\">", view_tr(v, "时间节点（逾期及 7 天内到期）",
								       "Milestones (overdue or due within 7 days)"));
		buf_printf(b, "<li%s>", m->overdue ? " class=\"overdue\"" : "");
		view_esc(b, m->due);
		buf_puts(b, " ");
		view_esc(b, m->unit);
		buf_puts(b, " · ");
		view_esc(b, m->indicator);
		buf_puts(b, ": ");
		view_esc(b, m->name);
		if (m->overdue)
			buf_printf(b, " <strong>%s</strong>", view_tr(v, "已逾期", "overdue"));
		buf_puts(b, "</li>");
	}
	if (shown)
		buf_puts(b, "</ul>\n");
	buf_puts(b, "</section>\n");
	free(idx);
}

static void field_msg(struct buf *b, const struct view_field_error *errs, size_t n, const char *field)
{
	const char *m = view_field_error_for(errs, n, field);
	if (!m)
		return;
	buf_printf(b, "<span class=\"error\" id=\"%s-error\" role=\"alert\">", field);
	view_esc(b, m);
	buf_puts(b, "</span>");
}

/* Opens an entry page: "<what> <period>" as title and heading, then the notice and the
 * error about the form as a whole (field ""). */
static void entry_page_begin(struct buf *b, const struct view_ctx *v, const char *what, const char *period,
                             const char *notice, const struct view_field_error *errs, size_t n)
{
	char title[64];
	snprintf(title, sizeof title, "%s %s", what, period);
	view_begin(b, v, title);
	buf_puts(b, "<h1>");
	view_esc(b, title);
	buf_puts(b, "</h1>\n");
	if (notice) {
		buf_puts(b, "<p class=\"notice\" role=\"status\">");
		view_esc(b, notice);
		buf_puts(b, "</p>\n");
	}
	field_msg(b, errs, n, "");
}

/* The period a form posts, as a hidden input. */
static void period_field(struct buf *b, const char *period)
{
	buf_puts(b, "<input type=\"hidden\" name=\"period\" value=\"");
	view_esc(b, period);
	buf_puts(b, "\">");
}

static void options_units(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n,
			  const char *selected)
{
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<option value=\"");
		view_esc(b, units[i].code);
		buf_printf(b, "\"%s>", selected && strcmp(selected, units[i].code) == 0 ? " selected" : "");
		view_esc(b, units[i].code);
		buf_puts(b, " ");
		view_esc(b, view_unit_name(v, &units[i]));
		buf_puts(b, "</option>");
	}
}

static void options_inds(struct buf *b, const struct view_ctx *v, const struct indicator *inds, size_t n,
			 const char *selected)
{
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<option value=\"");
		view_esc(b, inds[i].code);
		buf_printf(b, "\"%s>", selected && strcmp(selected, inds[i].code) == 0 ? " selected" : "");
		view_esc(b, en(v) && inds[i].name_en ? inds[i].name_en : inds[i].name);
		buf_puts(b, "</option>");
	}
}

void view_manual_page(struct buf *b, const struct view_ctx *v, const struct view_manual *m)
{
	entry_page_begin(b, v, view_tr(v, "人工评分", "Manual scores"), m->period, m->notice, m->errs, m->n_errs);
	if (m->closed)
		buf_printf(b, "<p class=\"notice\">%s</p>\n",
			   view_tr(v, "本期已关账，不能再录入；需管理员重新打开。", "This period is closed; an administrator must reopen it first."));
	if (m->n_inds == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "您所在的部门不是任何人工指标的考评部门。",
						     "Your department evaluates no manual indicator."));
	} else if (!m->closed) {
		buf_puts(b, "<form method=\"post\" action=\"/scores/manual\" class=\"entry\">\n");
		view_csrf_field(b, v);
		period_field(b, m->period);
		buf_printf(b, "\n<label for=\"indicator\">%s</label><select id=\"indicator\" name=\"indicator\">",
		           view_tr(v, "指标", "Indicator"));
		options_inds(b, v, m->inds, m->n_inds, m->in_indicator);
		buf_puts(b, "</select>");
		field_msg(b, m->errs, m->n_errs, "indicator");
		buf_printf(b, "\n<label for=\"unit\">%s</label><select id=\"unit\" name=\"unit\">", view_tr(v, "单位", "Unit"));
		options_units(b, v, m->units, m->n_units, m->in_unit);
		buf_puts(b, "</select>");
		field_msg(b, m->errs, m->n_errs, "unit");
		buf_printf(b, "\n<label for=\"value\">%s</label><input id=\"value\" name=\"value\" inputmode=\"decimal\" "
			      "required maxlength=\"32\" value=\"",
			   view_tr(v, "实际值（直接评分的指标填得分）", "Actual (the score for directly scored indicators)"));
		view_esc(b, m->in_value ? m->in_value : "");
		buf_puts(b, "\">");
		field_msg(b, m->errs, m->n_errs, "value");
		buf_printf(b, "\n<label for=\"note\">%s</label><input id=\"note\" name=\"note\" maxlength=\"2000\" value=\"",
			   view_tr(v, "说明（可不填）", "Note (optional)"));
		view_esc(b, m->in_note ? m->in_note : "");
		buf_puts(b, "\">");
		field_msg(b, m->errs, m->n_errs, "note");
		buf_printf(b, "\n<button type=\"submit\">%s</button>\n</form>\n", view_tr(v, "保存", "Save"));
	}
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "本期已录入", "Entered this period"));
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "指标", "Indicator"), view_tr(v, "单位", "Unit"), view_tr(v, "值", "Value"),
		   view_tr(v, "录入人", "By"), view_tr(v, "说明", "Note"));
	for (size_t i = 0; i < m->n_rows; i++) {
		const struct indicator_manual_row *x = &m->rows[i];
		buf_puts(b, "<tr><td>");
		view_esc(b, x->indicator_code);
		buf_puts(b, "</td><td>");
		view_esc(b, x->unit_code);
		buf_printf(b, "</td><td class=\"num\">%g %s</td><td>", x->value,
			   x->is_score ? view_tr(v, "分", "points") : "");
		view_esc(b, x->entered_by);
		buf_puts(b, "</td><td>");
		view_esc(b, x->note);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
	view_end(b, v);
}

static const char *const source_zh[] = {"廉政监察", "督察内审", "督查督办", "舆情监测", "整改回访超期", "其他"};

void view_adjustments_page(struct buf *b, const struct view_ctx *v, const struct view_adjustments *a)
{
	entry_page_begin(b, v, view_tr(v, "扣分与加分", "Deductions and bonuses"), a->period, a->notice, a->errs,
	                 a->n_errs);
	if (a->closed)
		buf_printf(b, "<p class=\"notice\">%s</p>\n",
			   view_tr(v, "本期已关账，不能再录入或审核。", "This period is closed: nothing can be recorded or decided."));
	if (a->can_decide && !a->closed) {
		buf_printf(b, "<h2>%s</h2>\n<form method=\"post\" action=\"/scores/adjustments\" class=\"entry\">\n",
			   view_tr(v, "登记", "Record"));
		view_csrf_field(b, v);
		period_field(b, a->period);
		buf_printf(b, "\n<label for=\"unit\">%s</label><select id=\"unit\" name=\"unit\">",
		           view_tr(v, "单位", "Unit"));
		options_units(b, v, a->units, a->n_units, a->in_unit);
		buf_puts(b, "</select>");
		field_msg(b, a->errs, a->n_errs, "unit");
		int bonus = a->in_kind && strcmp(a->in_kind, "bonus") == 0;
		buf_printf(b, "\n<label for=\"kind\">%s</label><select id=\"kind\" name=\"kind\"><option value=\"deduction\"%s>%s"
			      "</option><option value=\"bonus\"%s>%s</option></select>",
			   view_tr(v, "类别", "Kind"), bonus ? "" : " selected", view_tr(v, "扣分", "deduction"),
			   bonus ? " selected" : "", view_tr(v, "加分", "bonus"));
		field_msg(b, a->errs, a->n_errs, "kind");
		buf_printf(b, "\n<label for=\"points\">%s</label><input id=\"points\" name=\"points\" inputmode=\"decimal\" "
			      "required maxlength=\"16\" value=\"",
			   view_tr(v, "分值（0–100）", "Points (0–100)"));
		view_esc(b, a->in_points ? a->in_points : "");
		buf_puts(b, "\">");
		field_msg(b, a->errs, a->n_errs, "points");
		buf_printf(b, "\n<label for=\"source\">%s</label><select id=\"source\" name=\"source\">", view_tr(v, "来源", "Source"));
		for (int i = 0; i <= INDICATOR_SRC_OTHER; i++) {
			const char *name = indicator_source_name((enum indicator_source)i);
			buf_printf(b, "<option value=\"%s\"%s>%s</option>", name,
				   a->in_source && strcmp(a->in_source, name) == 0 ? " selected" : "",
				   en(v) ? name : source_zh[i]);
		}
		buf_puts(b, "</select>");
		field_msg(b, a->errs, a->n_errs, "source");
		buf_printf(b, "\n<label for=\"indicator\">%s</label><select id=\"indicator\" name=\"indicator\"><option value=\"\">%s</option>",
			   view_tr(v, "相关指标", "Indicator"), view_tr(v, "（整体）", "(the unit as a whole)"));
		options_inds(b, v, a->inds, a->n_inds, a->in_indicator);
		buf_puts(b, "</select>");
		field_msg(b, a->errs, a->n_errs, "indicator");
		buf_printf(b, "\n<label for=\"reason\">%s</label><input id=\"reason\" name=\"reason\" required maxlength=\"500\" value=\"",
			   view_tr(v, "原因", "Reason"));
		view_esc(b, a->in_reason ? a->in_reason : "");
		buf_puts(b, "\">");
		field_msg(b, a->errs, a->n_errs, "reason");
		buf_printf(b, "\n<label for=\"evidence\">%s</label><textarea id=\"evidence\" name=\"evidence\" maxlength=\"2000\">",
			   view_tr(v, "依据（可不填）", "Evidence (optional)"));
		view_esc(b, a->in_evidence ? a->in_evidence : "");
		buf_puts(b, "</textarea>");
		field_msg(b, a->errs, a->n_errs, "evidence");
		buf_printf(b, "\n<label class=\"check\"><input type=\"checkbox\" name=\"propose\" value=\"1\"> %s</label>",
			   view_tr(v, "仅提出，待他人确认", "Propose only, for someone to confirm"));
		buf_printf(b, "\n<button type=\"submit\">%s</button>\n</form>\n", view_tr(v, "登记", "Record"));
	}
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "本期记录", "This period"));
	buf_printf(b, "<table class=\"adjustments\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\"></th></tr></thead>\n<tbody>\n",
		   view_tr(v, "单位", "Unit"), view_tr(v, "类别", "Kind"), view_tr(v, "分值", "Points"),
		   view_tr(v, "来源", "Source"), view_tr(v, "原因", "Reason"), view_tr(v, "状态", "State"));
	for (size_t i = 0; i < a->n_rows; i++) {
		const struct indicator_adjustment_row *x = &a->rows[i];
		buf_printf(b, "<tr><td>%lld</td><td>", (long long)x->id);
		view_esc(b, x->unit_code);
		buf_printf(b, "</td><td>%s</td><td class=\"num\">%.2f</td><td>",
			   x->bonus ? view_tr(v, "加分", "bonus") : view_tr(v, "扣分", "deduction"), x->points);
		view_esc(b, x->source);
		buf_puts(b, "</td><td>");
		view_esc(b, x->reason);
		buf_puts(b, "</td><td>");
		const char *st = strcmp(x->state, "proposed") == 0    ? view_tr(v, "待确认", "proposed")
				 : strcmp(x->state, "confirmed") == 0 ? view_tr(v, "已确认", "confirmed")
								      : view_tr(v, "已驳回", "rejected");
		buf_puts(b, st);
		buf_puts(b, "</td><td>");
		if (a->can_decide && !a->closed && strcmp(x->state, "proposed") == 0) {
			buf_printf(b, "<form method=\"post\" action=\"/scores/adjustments/%lld/decide\" class=\"inline\">",
				   (long long)x->id);
			view_csrf_field(b, v);
			period_field(b, a->period);
			buf_printf(b, "<button type=\"submit\" name=\"decision\" value=\"confirm\">%s</button> "
				      "<button type=\"submit\" name=\"decision\" value=\"reject\">%s</button></form>",
				   view_tr(v, "确认", "Confirm"), view_tr(v, "驳回", "Reject"));
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
	view_end(b, v);
}

void view_score_due_text(FILE *out, const struct scoring_milestone *m, size_t n, const char *today)
{
	fprintf(out, "milestones overdue or due within %d days of %s: %zu\n", SCORING_DUE_DAYS, today, n);
	const char *person = NULL, *unit = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *p = m[i].person ? m[i].person : "-";
		if (!person || strcmp(person, p) != 0) {
			fprintf(out, "responsible %s\n", p);
			person = p;
			unit = NULL;
		}
		if (!unit || strcmp(unit, m[i].unit) != 0) {
			fprintf(out, "  unit %s\n", m[i].unit);
			unit = m[i].unit;
		}
		fprintf(out, "    #%lld %s %s %s: %s\n", (long long)m[i].id, m[i].due, m[i].overdue ? "OVERDUE" : "due",
			m[i].indicator, m[i].name);
	}
}

static void milestone_row(struct buf *b, const struct view_ctx *v, const struct indicator_milestone *m,
			  const char *today)
{
	int overdue = !m->done && strcmp(m->due, today) < 0;
	buf_puts(b, overdue ? "<tr class=\"flagged\"><td>" : "<tr><td>");
	view_esc(b, m->due);
	buf_puts(b, "</td><td>");
	view_esc(b, m->unit_code);
	buf_puts(b, "</td><td>");
	view_esc(b, m->indicator_code);
	buf_puts(b, "</td><td>");
	view_esc(b, m->name);
	buf_printf(b, "</td><td>%s</td><td>",
		   m->done ? view_tr(v, "已完成", "done")
			   : overdue ? view_tr(v, "已超期", "overdue") : view_tr(v, "未完成", "open"));
	buf_printf(b, "<form method=\"post\" action=\"/milestones/%lld/done\">", (long long)m->id);
	view_csrf_field(b, v);
	buf_printf(b, "<input type=\"hidden\" name=\"done\" value=\"%d\"><button type=\"submit\">%s</button></form>",
		   m->done ? 0 : 1, m->done ? view_tr(v, "重新打开", "Reopen") : view_tr(v, "标记完成", "Mark done"));
	buf_puts(b, "</td></tr>\n");
}

void view_milestones_page(struct buf *b, const struct view_ctx *v, const struct view_milestones *p)
{
	view_begin(b, v, view_tr(v, "时间节点", "Milestones"));
	buf_printf(b, "<h1>%s</h1>\n", view_tr(v, "时间节点", "Milestones"));
	if (p->notice) {
		buf_puts(b, "<p class=\"notice\" role=\"status\">");
		view_esc(b, p->notice);
		buf_puts(b, "</p>\n");
	}
	if (p->n == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "您的范围内没有时间节点。", "No milestones in your scope."));
		view_end(b, v);
		return;
	}
	buf_printf(b, "<table class=\"milestones\">\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "到期日", "Due"), view_tr(v, "单位", "Unit"), view_tr(v, "指标", "Indicator"),
		   view_tr(v, "节点", "Milestone"), view_tr(v, "状态", "State"), view_tr(v, "操作", "Action"));
	/* open ones first (the list comes by due day), then the done ones */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->n; i++)
			if (p->m[i].done == pass)
				milestone_row(b, v, &p->m[i], p->today);
	buf_puts(b, "</tbody></table>\n");
	view_end(b, v);
}
