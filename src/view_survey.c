/* view_survey.c — the customer's survey page and its notices (small, phone first, no
 * JavaScript), the printable QR posters, the follow-up list and the satisfaction block
 * of unit and hall pages. Every dynamic value is escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart.h"
#include "stats.h"
#include "view.h"

static enum xform_lang xlang(const struct view_ctx *v)
{
	return strcmp(v->lang, "en") == 0 ? XFORM_EN : XFORM_ZH;
}

/* The survey pages have their own tiny frame: no navigation, one stylesheet. */
static void survey_begin(struct buf *b, const struct view_ctx *v, const char *title, const char *switch_href)
{
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", view_tr(v, "zh-CN", "en"));
	buf_puts(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"robots\" content=\"noindex\">\n<title>");
	view_esc(b, title);
	buf_puts(b, "</title>\n<link rel=\"stylesheet\" href=\"/static/survey.css\">\n</head>\n<body>\n<main>\n");
	if (switch_href) {
		buf_puts(b, "<p class=\"lang\"><a href=\"");
		view_esc(b, switch_href);
		buf_printf(b, "?lang=%s\" lang=\"%s\">%s</a></p>\n", view_tr(v, "en", "zh"), view_tr(v, "en", "zh-CN"),
			   view_tr(v, "English", "中文"));
	}
}

static void survey_end(struct buf *b)
{
	buf_puts(b, "</main>\n</body>\n</html>\n");
}

static void hall_banner(struct buf *b, const struct view_ctx *v, const struct org_hall *hall, const char *lead)
{
	buf_printf(b, "<p class=\"hall\">%s<strong>", lead);
	view_esc(b, view_hall_name(v, hall));
	buf_puts(b, "</strong><br><small>");
	view_esc(b, hall->station_name);
	if (hall->address) {
		buf_puts(b, " · ");
		view_esc(b, hall->address);
	}
	buf_puts(b, "</small></p>\n");
}

/* 1 if value is among the posted values of the field. */
static int was_given(const struct view_answers *a, const char *name, const char *value)
{
	if (!a || !a->get)
		return 0;
	for (size_t i = 0; i < 64; i++) {
		const char *x = a->get(a->ctx, name, i);
		if (!x)
			return 0;
		if (strcmp(x, value) == 0)
			return 1;
	}
	return 0;
}

static void question(struct buf *b, const struct view_ctx *v, const struct xform_question *q,
		     const struct view_answers *a, const char *error)
{
	enum xform_lang L = xlang(v);
	buf_printf(b, "<fieldset%s", error ? " class=\"bad\"" : "");
	if (error) {
		buf_puts(b, " aria-describedby=\"e-");
		view_esc(b, q->name);
		buf_puts(b, "\"");
	}
	buf_puts(b, "><legend>");
	int labelled_control = q->type == XFORM_STRING || q->type == XFORM_INT;
	if (labelled_control) {
		buf_puts(b, "<label for=\"q-");
		view_esc(b, q->name);
		buf_puts(b, "\">");
	}
	view_esc(b, xform_text(q->label, L));
	if (labelled_control)
		buf_puts(b, "</label>");
	if (q->required)
		buf_printf(b, " <span class=\"req\" aria-label=\"%s\">*</span>", view_tr(v, "必答", "required"));
	buf_puts(b, "</legend>\n");
	const char *hint = xform_text(q->hint, L);
	if (*hint) {
		buf_puts(b, "<p class=\"hint\">");
		view_esc(b, hint);
		buf_puts(b, "</p>\n");
	}
	if (error) {
		buf_puts(b, "<p class=\"err\" id=\"e-");
		view_esc(b, q->name);
		buf_puts(b, "\">");
		view_esc(b, error);
		buf_puts(b, "</p>\n");
	}
	switch (q->type) {
	case XFORM_SELECT1:
	case XFORM_SELECT:
		for (size_t i = 0; i < q->n_choices; i++) {
			const struct xform_choice *c = &q->choices[i];
			buf_printf(b, "<label class=\"opt\"><input type=\"%s\" name=\"",
				   q->type == XFORM_SELECT1 ? "radio" : "checkbox");
			view_esc(b, q->name);
			buf_puts(b, "\" value=\"");
			view_esc(b, c->value);
			buf_puts(b, "\"");
			if (was_given(a, q->name, c->value))
				buf_puts(b, " checked");
			if (q->required && q->type == XFORM_SELECT1)
				buf_puts(b, " required");
			buf_puts(b, "> ");
			view_esc(b, xform_text(c->label, L));
			buf_puts(b, "</label>\n");
		}
		break;
	case XFORM_STRING: {
		buf_puts(b, "<textarea id=\"q-");
		view_esc(b, q->name);
		buf_puts(b, "\" name=\"");
		view_esc(b, q->name);
		buf_printf(b, "\" rows=\"3\" maxlength=\"%zu\"%s>", q->max_length, q->required ? " required" : "");
		const char *prev = a && a->get ? a->get(a->ctx, q->name, 0) : NULL;
		view_esc(b, prev ? prev : "");
		buf_puts(b, "</textarea>\n");
		break;
	}
	case XFORM_INT: {
		buf_puts(b, "<input type=\"number\" inputmode=\"numeric\" id=\"q-");
		view_esc(b, q->name);
		buf_puts(b, "\" name=\"");
		view_esc(b, q->name);
		buf_puts(b, "\"");
		if (q->has_range)
			buf_printf(b, " min=\"%ld\" max=\"%ld\"", q->min, q->max);
		if (q->required)
			buf_puts(b, " required");
		const char *prev = a && a->get ? a->get(a->ctx, q->name, 0) : NULL;
		buf_puts(b, " value=\"");
		view_esc(b, prev ? prev : "");
		buf_puts(b, "\">\n");
		break;
	}
	}
	buf_puts(b, "</fieldset>\n");
}

void view_survey(struct buf *b, const struct view_ctx *v, const struct xform *form, const struct org_hall *hall,
		 const char *action, const char *instance, const char *stamp, const struct view_answers *answers,
		 const struct xform_field_error *errs, size_t n_errs)
{
	enum xform_lang L = xlang(v);
	const char *title = xform_text(form->title, L);
	if (!*title)
		title = view_tr(v, "服务评价", "Rate our service");
	survey_begin(b, v, title, action);
	buf_puts(b, "<h1>");
	view_esc(b, title);
	buf_puts(b, "</h1>\n");
	hall_banner(b, v, hall, view_tr(v, "您正在评价：", "You are rating: "));
	if (n_errs)
		buf_printf(b, "<p class=\"err\" role=\"alert\">%s</p>\n",
			   view_tr(v, "请检查下面标出的问题后再提交。", "Please check the questions marked below."));
	buf_puts(b, "<form method=\"post\" action=\"");
	view_esc(b, action);
	buf_puts(b, "\">\n<input type=\"hidden\" name=\"_i\" value=\"");
	view_esc(b, instance);
	buf_puts(b, "\"><input type=\"hidden\" name=\"_t\" value=\"");
	view_esc(b, stamp);
	buf_puts(b, "\">\n");
	int group = -1;
	for (size_t i = 0; i < form->n_questions; i++) {
		const struct xform_question *q = &form->questions[i];
		if (q->group != group) {
			group = q->group;
			const char *gl = group >= 0 ? xform_text(form->groups[group].label, L) : "";
			if (*gl) {
				buf_puts(b, "<h2 class=\"group\">");
				view_esc(b, gl);
				buf_puts(b, "</h2>\n");
			}
		}
		const char *err = NULL;
		for (size_t k = 0; k < n_errs; k++)
			if (errs[k].question == i)
				err = errs[k].message;
		question(b, v, q, answers, err);
	}
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n", view_tr(v, "提交评价", "Submit"));
	buf_printf(b, "<p class=\"note\">%s</p>\n",
		   view_tr(v, "评价匿名提交，我们不收集您的姓名、电话或位置。",
			   "Your answers are anonymous: we collect no name, phone number or location."));
	survey_end(b);
}

void view_survey_notice(struct buf *b, const struct view_ctx *v, const char *heading, const char *message,
			const struct org_hall *hall)
{
	survey_begin(b, v, heading, NULL);
	buf_puts(b, "<h1>");
	view_esc(b, heading);
	buf_puts(b, "</h1>\n");
	if (hall)
		hall_banner(b, v, hall, "");
	buf_puts(b, "<p>");
	view_esc(b, message);
	buf_puts(b, "</p>\n");
	survey_end(b);
}

/* ---- Posters ----------------------------------------------------------------- */

void view_posters(struct buf *b, const struct view_ctx *v, const char *title, const struct view_poster *p, size_t n)
{
	view_begin(b, v, title);
	buf_printf(b, "<p class=\"noprint\">%s</p>\n",
		   view_tr(v, "用浏览器打印本页（A4 纵向），每个营业厅一页。",
			   "Print this page from the browser (A4 portrait): one page per hall."));
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<section class=\"poster\">\n<h1>");
		view_esc(b, p[i].hall->name);
		buf_puts(b, "</h1>\n<p class=\"ask\">请扫码评价本次服务</p>\n<div class=\"qr\">");
		buf_puts(b, p[i].qr_svg); /* made by qr.c from our own URL: well-formed and escaped */
		buf_puts(b, "</div>\n<p class=\"ask-en\">Scan to rate our service — it takes one minute</p>\n");
		buf_puts(b, "<p class=\"url\">");
		view_esc(b, p[i].url);
		buf_puts(b, "</p>\n<p class=\"station\">");
		view_esc(b, p[i].hall->station_name);
		buf_puts(b, "</p>\n</section>\n");
	}
	view_end(b, v);
}

/* ---- Follow-ups -------------------------------------------------------------- */

static void local_date(int64_t t, char out[20])
{
	char day[11];
	int hour;
	survey_local_time(t, day, &hour, NULL);
	int minute = (int)(((t + SURVEY_TZ_OFFSET_S) % 3600 + 3600) % 3600 / 60);
	snprintf(out, 20, "%s %02d:%02d", day, hour % 24, minute % 60);
}

static void followup_rows(struct buf *b, const struct view_ctx *v, const struct survey_followup *f, size_t n,
			  int64_t now, int can_close, int open)
{
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "营业厅", "Hall"), view_tr(v, "评价", "Rating"), view_tr(v, "意见", "Comment"),
		   view_tr(v, "收到", "Received"), view_tr(v, "期限", "Due"),
		   open ? view_tr(v, "处理", "Action") : view_tr(v, "处理结果", "Outcome"));
	for (size_t i = 0; i < n; i++) {
		char opened[20], due[20];
		local_date(f[i].opened_at, opened);
		local_date(f[i].due_at, due);
		int overdue = open && f[i].due_at < now;
		buf_printf(b, "<tr%s><td><a href=\"/halls/", overdue ? " class=\"overdue\"" : "");
		view_url_segment(b, f[i].hall_code);
		buf_puts(b, "\">");
		view_esc(b, f[i].hall_name);
		buf_puts(b, "</a><br><small>");
		view_esc(b, f[i].station_name);
		buf_printf(b, "</small></td><td>%d</td><td>", f[i].rating);
		view_esc(b, f[i].comment ? f[i].comment : "—");
		buf_printf(b, "</td><td>%s</td><td>%s%s</td><td>", opened, due,
			   overdue ? view_tr(v, " <strong class=\"error\">已逾期</strong>", " <strong class=\"error\">overdue</strong>")
				   : "");
		if (open && can_close) {
			buf_printf(b, "<form method=\"post\" action=\"/followups/%lld/close\">", (long long)f[i].id);
			view_csrf_field(b, v);
			buf_printf(b, "<label for=\"note-%lld\">%s</label> <textarea id=\"note-%lld\" name=\"note\" rows=\"2\" "
				      "maxlength=\"2000\" required></textarea> <button type=\"submit\">%s</button></form>",
				   (long long)f[i].id, view_tr(v, "处理说明", "What was done"), (long long)f[i].id,
				   view_tr(v, "办结", "Close"));
		} else if (!open) {
			view_esc(b, f[i].note);
			buf_puts(b, "<br><small>");
			view_esc(b, f[i].closed_by);
			buf_puts(b, "</small>");
		} else {
			buf_puts(b, view_tr(v, "待处理", "Open"));
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

void view_followups(struct buf *b, const struct view_ctx *v, const struct survey_followup *open, size_t n_open,
		    const struct survey_followup *closed, size_t n_closed, int64_t now, int can_close,
		    const char *error)
{
	view_begin(b, v, view_tr(v, "差评跟进", "Follow-ups"));
	buf_printf(b, "<h1>%s</h1>\n", view_tr(v, "差评跟进", "Follow-ups of bad ratings"));
	if (error) {
		buf_puts(b, "<p class=\"error\" role=\"alert\">");
		view_esc(b, error);
		buf_puts(b, "</p>\n");
	}
	size_t overdue = 0;
	for (size_t i = 0; i < n_open; i++)
		overdue += open[i].due_at < now;
	buf_printf(b, "<ul class=\"figures\"><li><strong>%zu</strong> %s</li><li><strong>%zu</strong> %s</li></ul>\n",
		   n_open, view_tr(v, "待处理", "open"), overdue, view_tr(v, "已逾期", "overdue"));
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "待处理", "Open"));
	if (n_open)
		followup_rows(b, v, open, n_open, now, can_close, 1);
	else
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "没有待处理的差评。", "Nothing to follow up."));
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "最近办结", "Recently closed"));
	if (n_closed)
		followup_rows(b, v, closed, n_closed, now, 0, 0);
	else
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "暂无。", "None yet."));
	view_end(b, v);
}

/* ---- Satisfaction block -------------------------------------------------------- */

static void pct(struct buf *b, double x)
{
	buf_printf(b, "%.1f%%", 100.0 * x);
}

static const char *choice_label(const struct view_ctx *v, const struct xform *form, const char *question,
				const char *value, const char **qlabel)
{
	*qlabel = question;
	if (!form)
		return value;
	long qi = xform_find(form, question);
	if (qi < 0)
		return value;
	const struct xform_question *q = &form->questions[qi];
	*qlabel = xform_text(q->label, xlang(v));
	for (size_t i = 0; i < q->n_choices; i++)
		if (strcmp(q->choices[i].value, value) == 0)
			return xform_text(q->choices[i].label, xlang(v));
	return value;
}

/* The monthly rate as a line with its 95% Wilson interval as a band; months with fewer
 * responses than the privacy minimum are gaps, not points. */
static void satisfaction_trend(struct buf *b, const struct view_ctx *v, const struct view_satisfaction *s)
{
	struct chart_point *p = xcalloc(s->n_months, sizeof *p);
	for (size_t i = 0; i < s->n_months; i++) {
		const struct survey_month *m = &s->months[i];
		p[i].label = m->month;
		if (m->responses >= s->min_breakdown && m->responses > 0) {
			struct stats_proportion w = stats_wilson(m->satisfied, m->responses, STATS_Z95);
			p[i].value = w.rate;
			p[i].lo = w.low;
			p[i].hi = w.high;
			p[i].has_band = 1;
		} else {
			p[i].missing = 1;
			p[i].note = m->responses ? view_tr(v, "样本过少", "too few responses") : view_tr(v, "无评价", "no responses");
		}
	}
	struct chart_trend c = {
		.meta = {.id = "sat-trend",
			 .title = view_tr(v, "月度客户满意率及 95% 置信区间", "Monthly satisfaction rate with its 95% interval"),
			 .desc = view_tr(v, "折线为满意率，阴影带为 95% 置信区间；样本过少的月份留空。",
					 "The line is the rate, the hatched band its 95% interval; months with too few responses are gaps."),
			 .csv_href = s->months_csv_href,
			 .csv_label = view_tr(v, "数据（CSV）", "Data (CSV)"),
			 .empty = view_tr(v, "评价太少，无法绘制趋势", "Too few responses to draw a trend")},
		.points = p,
		.n = s->n_months,
		.percent = 1,
	};
	chart_trend(b, &c);
	free(p);
}

void view_satisfaction(struct buf *b, const struct view_ctx *v, const struct view_satisfaction *s)
{
	const struct survey_stats *st = s->stats;
	buf_printf(b, "<section class=\"satisfaction\" id=\"satisfaction\" aria-labelledby=\"sat-h\">\n<h2 id=\"sat-h\">%s</h2>\n",
		   view_tr(v, "客户满意度", "Customer satisfaction"));
	buf_printf(b, "<p class=\"crumbs\">%s ", view_tr(v, "统计区间", "Period"));
	view_esc(b, s->from);
	buf_puts(b, " – ");
	view_esc(b, s->to);
	buf_puts(b, "</p>\n<ul class=\"figures\">");
	if (st->responses == 0) {
		buf_printf(b, "<li>%s</li>", view_tr(v, "暂无评价", "No responses yet"));
	} else {
		buf_puts(b, "<li><strong>");
		pct(b, st->rate);
		buf_printf(b, "</strong> %s<br><small>95%% %s ", view_tr(v, "非常好+比较好", "very or fairly good"),
			   view_tr(v, "置信区间", "interval"));
		pct(b, st->ci_low);
		buf_puts(b, "–");
		pct(b, st->ci_high);
		buf_puts(b, "</small></li>");
	}
	buf_printf(b, "<li><strong>%lld</strong> %s</li>", (long long)st->responses, view_tr(v, "份有效评价", "responses"));
	buf_printf(b, "<li><strong>%lld</strong> %s / <strong>%lld</strong> %s</li>", (long long)st->verified,
		   view_tr(v, "验证", "verified"), (long long)st->unverified, view_tr(v, "未验证", "unverified"));
	if (st->tickets_issued) {
		buf_printf(b, "<li><strong>%lld/%lld</strong> %s</li>", (long long)st->tickets_answered,
			   (long long)st->tickets_issued, view_tr(v, "评价码回收", "tickets answered"));
	}
	buf_printf(b, "<li><strong>%lld</strong> %s</li>", (long long)st->flagged, view_tr(v, "份可疑已剔除", "flagged, excluded"));
	if (s->followups_href) {
		buf_puts(b, "<li><a href=\"");
		view_esc(b, s->followups_href);
		buf_printf(b, "\"><strong>%lld</strong> %s, <strong>%lld</strong> %s</a></li>", (long long)s->followups_open,
			   view_tr(v, "差评待跟进", "follow-ups open"), (long long)s->followups_overdue,
			   view_tr(v, "逾期", "overdue"));
	} else {
		buf_printf(b, "<li><strong>%lld</strong> %s, <strong>%lld</strong> %s</li>", (long long)s->followups_open,
			   view_tr(v, "差评待跟进", "follow-ups open"), (long long)s->followups_overdue,
			   view_tr(v, "逾期", "overdue"));
	}
	buf_puts(b, "</ul>\n");
	if (!st->sample_ok)
		buf_printf(b, "<p class=\"notice\">%s</p>\n",
			   view_tr(v, "样本不足（少于 30 份），比例仅供参考。",
				   "Insufficient sample (fewer than 30 responses): the rate is indicative only."));

	if (st->responses >= s->min_breakdown) {
		static const char *lv_zh[] = {"", "很不好", "不太好", "一般", "比较好", "非常好"};
		static const char *lv_en[] = {"", "Very poor", "Fairly poor", "Average", "Fairly good", "Very good"};
		buf_printf(b, "<table class=\"levels\">\n<caption>%s</caption>\n<thead><tr><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "总体评价分布", "Overall rating"), view_tr(v, "评价", "Rating"),
			   view_tr(v, "份数", "Count"), view_tr(v, "占比", "Share"));
		for (int k = 5; k >= 1; k--) {
			buf_printf(b, "<tr><th scope=\"row\">%s</th><td>%lld</td><td>", view_tr(v, lv_zh[k], lv_en[k]),
				   (long long)st->levels[k]);
			pct(b, (double)st->levels[k] / (double)st->responses);
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}

	if (s->n_months)
		satisfaction_trend(b, v, s);
	if (s->n_months) {
		buf_printf(b, "<table class=\"months\">\n<caption>%s</caption>\n<thead><tr><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "月度趋势", "By month"), view_tr(v, "月份", "Month"), view_tr(v, "份数", "Responses"),
			   view_tr(v, "满意率", "Rate"));
		for (size_t i = 0; i < s->n_months; i++) {
			const struct survey_month *m = &s->months[i];
			buf_printf(b, "<tr><th scope=\"row\">%s</th><td>%lld</td><td>", m->month, (long long)m->responses);
			if (m->responses >= s->min_breakdown)
				pct(b, (double)m->satisfied / (double)m->responses);
			else
				buf_puts(b, m->responses ? view_tr(v, "样本过少", "too few") : "—");
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}

	if (st->n_questions && st->responses >= s->min_breakdown) {
		buf_printf(b, "<table class=\"questions\">\n<caption>%s</caption>\n<tbody>\n",
			   view_tr(v, "各题选项分布", "Answers by question"));
		const char *last = NULL;
		for (size_t i = 0; i < st->n_questions; i++) {
			const struct survey_question_count *q = &st->questions[i];
			const char *ql;
			const char *cl = choice_label(v, s->form, q->question, q->value, &ql);
			if (!last || strcmp(last, q->question) != 0) {
				buf_puts(b, "<tr><th colspan=\"2\" scope=\"rowgroup\">");
				view_esc(b, ql);
				buf_puts(b, "</th></tr>\n");
				last = q->question;
			}
			buf_puts(b, "<tr><td>");
			view_esc(b, cl);
			buf_printf(b, "</td><td>%lld</td></tr>\n", (long long)q->n);
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}

	if (st->responses >= s->min_breakdown) {
		static const char *wd_zh[] = {"", "周一", "周二", "周三", "周四", "周五", "周六", "周日"};
		static const char *wd_en[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
		buf_printf(b, "<table class=\"hours\">\n<caption>%s</caption>\n<thead><tr><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "按星期", "By weekday"), view_tr(v, "星期", "Day"), view_tr(v, "份数（满意率）", "Responses (rate)"));
		for (int d = 1; d <= 7; d++) {
			buf_printf(b, "<tr><th scope=\"row\">%s</th><td>%lld", view_tr(v, wd_zh[d], wd_en[d]),
				   (long long)st->weekday_n[d]);
			if (st->weekday_n[d] >= s->min_breakdown) {
				buf_puts(b, " (");
				pct(b, (double)st->weekday_sat[d] / (double)st->weekday_n[d]);
				buf_puts(b, ")");
			}
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
		buf_printf(b, "<table class=\"hours\">\n<caption>%s</caption>\n<thead><tr><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "按时段", "By hour of day"), view_tr(v, "时段", "Hour"),
			   view_tr(v, "份数（满意率）", "Responses (rate)"));
		for (int h = 0; h < 24; h++) {
			if (!st->hour_n[h])
				continue;
			buf_printf(b, "<tr><th scope=\"row\">%02d:00–%02d:59</th><td>%lld", h, h, (long long)st->hour_n[h]);
			if (st->hour_n[h] >= s->min_breakdown) {
				buf_puts(b, " (");
				pct(b, (double)st->hour_sat[h] / (double)st->hour_n[h]);
				buf_puts(b, ")");
			}
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}

	if (s->n_comments) {
		buf_printf(b, "<h3>%s</h3>\n<ul class=\"comments\">\n", view_tr(v, "最近的意见", "Recent comments"));
		for (size_t i = 0; i < s->n_comments; i++) {
			buf_puts(b, "<li>");
			view_esc(b, s->comments[i]);
			buf_puts(b, "</li>\n");
		}
		buf_puts(b, "</ul>\n");
	}
	buf_puts(b, "<p>");
	if (s->csv_href) {
		buf_puts(b, "<a href=\"");
		view_esc(b, s->csv_href);
		buf_printf(b, "\">%s</a> ", view_tr(v, "统计 CSV", "Statistics (CSV)"));
	}
	if (s->responses_href) {
		buf_puts(b, "<a href=\"");
		view_esc(b, s->responses_href);
		buf_printf(b, "\">%s</a>", view_tr(v, "评价明细 CSV", "Responses (CSV)"));
	}
	buf_puts(b, "</p>\n</section>\n");
}
