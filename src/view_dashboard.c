/* view_dashboard.c — the parts of the dashboard, unit and hall pages around the
 * satisfaction and coverage blocks: the filter form (plain GET, the URL is the state),
 * the headline figures with links to their sources, the drill-down table with its bar
 * chart, short lists (follow-ups, milestones, imports) and the hall heatmap. Charts come
 * from chart.c; every dynamic value is escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "view.h"

static void pct(struct buf *b, double x)
{
	buf_printf(b, "%.1f%%", x * 100.0);
}

int view_filter_invalid(const struct view_filter *f)
{
	return f->err_from || f->err_to || f->err_period || f->err_at || f->err_verified || f->err_unit;
}

void view_filter_query(struct buf *b, const struct view_filter *f)
{
	if (f->period[0]) {
		buf_puts(b, "period=");
		view_url_segment(b, f->period);
	} else {
		buf_puts(b, "from=");
		view_url_segment(b, f->from);
		buf_puts(b, "&amp;to=");
		view_url_segment(b, f->to);
	}
	buf_printf(b, "&amp;verified=%s", f->verified_only ? "only" : "all");
	if (f->at[0]) {
		buf_puts(b, "&amp;at=");
		view_url_segment(b, f->at);
	}
}

/* One labelled input with its error beside it (aria-describedby points at the message). */
static void field(struct buf *b, const char *id, const char *label, const char *type, const char *value,
		  const char *placeholder, const char *err)
{
	buf_printf(b, "<div class=\"field%s\"><label for=\"f-%s\">%s</label>", err ? " invalid" : "", id, label);
	buf_printf(b, "<input id=\"f-%s\" name=\"%s\" type=\"%s\" value=\"", id, id, type);
	view_esc(b, value);
	buf_puts(b, "\"");
	if (placeholder) {
		buf_puts(b, " placeholder=\"");
		view_esc(b, placeholder);
		buf_puts(b, "\"");
	}
	if (err)
		buf_printf(b, " aria-invalid=\"true\" aria-describedby=\"f-%s-err\"", id);
	buf_puts(b, ">");
	if (err) {
		buf_printf(b, "<span class=\"field-error\" id=\"f-%s-err\">", id);
		view_esc(b, err);
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</div>\n");
}

void view_filter_form(struct buf *b, const struct view_ctx *v, const char *action, const struct view_filter *f)
{
	buf_puts(b, "<form class=\"filter\" method=\"get\" action=\"");
	view_esc(b, action);
	buf_printf(b, "\" aria-label=\"%s\">\n", view_tr(v, "筛选", "Filter"));
	if (view_filter_invalid(f))
		buf_printf(b, "<p class=\"error\" role=\"alert\">%s</p>\n",
			   view_tr(v, "部分筛选条件无效，已改用默认值，见各项说明。",
				   "Some filter values are invalid; defaults are shown instead (see the notes beside the fields)."));
	if (f->units) {
		buf_printf(b, "<div class=\"field%s\"><label for=\"f-unit\">%s</label><select id=\"f-unit\" name=\"unit\"%s>",
			   f->err_unit ? " invalid" : "", view_tr(v, "单位", "Unit"),
			   f->err_unit ? " aria-invalid=\"true\" aria-describedby=\"f-unit-err\"" : "");
		for (size_t i = 0; i < f->n_units; i++) {
			const struct org_unit *u = &f->units[i];
			if (strcmp(u->kind, "team") == 0)
				continue;
			buf_puts(b, "<option value=\"");
			view_esc(b, u->code);
			buf_printf(b, "\"%s>", strcmp(u->code, f->unit) == 0 ? " selected" : "");
			for (int d = 0; d < u->depth; d++)
				buf_puts(b, "· ");
			view_esc(b, view_unit_name(v, u));
			buf_puts(b, "</option>");
		}
		buf_puts(b, "</select>");
		if (f->err_unit) {
			buf_puts(b, "<span class=\"field-error\" id=\"f-unit-err\">");
			view_esc(b, f->err_unit);
			buf_puts(b, "</span>");
		}
		buf_puts(b, "</div>\n");
	}
	field(b, "period", view_tr(v, "考核期（年、季度或月）", "Period (year, quarter or month)"), "text", f->period,
	      "2026Q3", f->err_period);
	field(b, "from", view_tr(v, "起始日期", "From"), "date", f->period[0] ? "" : f->from, NULL, f->err_from);
	field(b, "to", view_tr(v, "截止日期", "To"), "date", f->period[0] ? "" : f->to, NULL, f->err_to);
	field(b, "at", view_tr(v, "覆盖率截至", "Coverage as of"), "date", f->at, NULL, f->err_at);
	buf_printf(b, "<fieldset class=\"field%s\"><legend>%s</legend>", f->err_verified ? " invalid" : "",
		   view_tr(v, "评价范围", "Responses"));
	buf_printf(b, "<label><input type=\"radio\" name=\"verified\" value=\"all\"%s> %s</label>",
		   f->verified_only ? "" : " checked", view_tr(v, "全部有效评价", "All counted responses"));
	buf_printf(b, "<label><input type=\"radio\" name=\"verified\" value=\"only\"%s> %s</label>",
		   f->verified_only ? " checked" : "", view_tr(v, "仅验证评价（评价码）", "Verified only (tickets)"));
	if (f->err_verified) {
		buf_puts(b, "<span class=\"field-error\">");
		view_esc(b, f->err_verified);
		buf_puts(b, "</span>");
	}
	buf_printf(b, "</fieldset>\n<div class=\"actions\"><button type=\"submit\">%s</button> <a href=\"",
		   view_tr(v, "应用", "Apply"));
	view_esc(b, action);
	buf_printf(b, "\">%s</a></div>\n</form>\n", view_tr(v, "重置", "Reset"));
	buf_puts(b, "<p class=\"range\">");
	buf_printf(b, "%s ", view_tr(v, "满意度统计区间", "Satisfaction period"));
	view_esc(b, f->from);
	buf_puts(b, " – ");
	view_esc(b, f->to);
	buf_printf(b, " · %s</p>\n", f->verified_only ? view_tr(v, "仅验证评价", "verified responses only")
						       : view_tr(v, "全部有效评价", "all counted responses"));
}

static void page_href(struct buf *b, const struct view_figures *f, const char *suffix, int with_filter)
{
	buf_puts(b, f->is_hall ? "/halls/" : "/units/");
	view_url_segment(b, f->code);
	buf_puts(b, suffix);
	if (with_filter && f->filter) {
		buf_puts(b, strchr(suffix, '?') ? "&amp;" : "?");
		view_filter_query(b, f->filter);
	}
}

void view_figures(struct buf *b, const struct view_ctx *v, const struct view_figures *f)
{
	buf_printf(b, "<section class=\"keyfigures\" aria-labelledby=\"kf-h\">\n<h2 id=\"kf-h\">%s</h2>\n<ul class=\"figures\">",
		   view_tr(v, "关键指标", "Key figures"));
	if (f->have_sat) {
		buf_puts(b, "<li><a href=\"#satisfaction\"><strong>");
		if (f->responses > 0)
			pct(b, f->rate);
		else
			buf_puts(b, "—");
		buf_printf(b, "</strong></a> %s", view_tr(v, "客户满意率", "customer satisfaction"));
		if (f->responses > 0) {
			buf_printf(b, "<br><small>95%% %s ", view_tr(v, "区间", "interval"));
			pct(b, f->ci_low);
			buf_puts(b, "–");
			pct(b, f->ci_high);
			if (!f->sample_ok)
				buf_printf(b, " · %s", view_tr(v, "样本不足", "small sample"));
			buf_puts(b, "</small>");
		}
		buf_puts(b, "</li><li><a href=\"");
		page_href(b, f, "/responses.csv", 1);
		buf_printf(b, "\"><strong>%lld</strong></a> %s</li>", (long long)f->responses,
			   view_tr(v, "份有效评价", "responses"));
		buf_puts(b, "<li><a href=\"#satisfaction\"><strong>");
		if (f->responses > 0)
			pct(b, (double)f->verified / (double)f->responses);
		else
			buf_puts(b, "—");
		buf_printf(b, "</strong></a> %s</li>", view_tr(v, "验证评价占比", "verified share"));
	}
	if (f->have_cov) {
		buf_puts(b, "<li><a href=\"#coverage\"><strong>");
		if (f->cov.points > 0)
			pct(b, f->cov.rate);
		else
			buf_puts(b, "—");
		buf_printf(b, "</strong></a> %s", view_tr(v, "智能表覆盖率", "smart-meter coverage"));
		if (f->proj && f->cov.points > 0) {
			buf_printf(b, "<br><small>%s ", view_tr(v, "预计全覆盖", "full by"));
			if (f->cov.smart >= f->cov.points)
				buf_puts(b, view_tr(v, "已全覆盖", "reached"));
			else if (f->proj->projected[0])
				view_esc(b, f->proj->projected);
			else
				buf_puts(b, view_tr(v, "无法预计", "cannot project"));
			if (f->proj->late)
				buf_printf(b, " <span class=\"late\">%s</span>", view_tr(v, "滞后", "late"));
			buf_puts(b, "</small>");
		}
		buf_puts(b, "</li>");
		if (f->late_stations)
			buf_printf(b, "<li><a href=\"#coverage-stations\"><strong>%zu</strong></a> %s</li>", f->late_stations,
				   view_tr(v, "个供电所进度滞后", "stations late"));
	}
	buf_printf(b, "<li><a href=\"/followups\"><strong>%lld</strong></a> %s, <a href=\"/followups\"><strong>%lld</strong></a> %s</li>",
		   (long long)f->followups_open, view_tr(v, "件差评待跟进", "follow-ups open"),
		   (long long)f->followups_overdue, view_tr(v, "件逾期", "overdue"));
	if (f->milestones_due >= 0)
		buf_printf(b, "<li><a href=\"#milestones\"><strong>%ld</strong></a> %s</li>", f->milestones_due,
			   view_tr(v, "个节点 30 天内到期", "milestones due in 30 days"));
	buf_puts(b, "</ul>\n");
	if (f->have_cov && f->cov.points > 0) {
		char text[160];
		snprintf(text, sizeof text, "%.1f%% (%ld / %ld)", f->cov.rate * 100.0, f->cov.smart, f->cov.points);
		struct chart_progress p = {
			.meta = {.id = "kf-coverage",
				 .title = view_tr(v, "距智能表全覆盖的进度", "Progress toward full smart-meter coverage"),
				 .desc = view_tr(v, "已装智能表的在运计量点占比。", "Share of metering points in service with a smart meter."),
				 .csv_href = NULL},
			.value = f->cov.rate,
			.value_text = text,
		};
		struct buf csv;
		buf_init(&csv, 512);
		page_href(&csv, f, "/coverage-months.csv", 0);
		if (f->filter && f->filter->at[0]) {
			buf_puts(&csv, "?at=");
			buf_puts(&csv, f->filter->at);
		}
		p.meta.csv_href = csv.data;
		p.meta.csv_label = view_tr(v, "数据（CSV）", "Data (CSV)");
		chart_progress(b, &p);
		buf_free(&csv);
	}
	buf_puts(b, "</section>\n");
}

void view_children(struct buf *b, const struct view_ctx *v, const char *heading, const struct view_child *c,
		   size_t n, int min_breakdown, const char *id, const char *csv_href, const struct view_filter *f)
{
	if (n == 0)
		return;
	buf_printf(b, "<section class=\"drill\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">", id, id);
	view_esc(b, heading);
	buf_puts(b, "</h2>\n");
	struct chart_bar *bars = xcalloc(n, sizeof *bars);
	struct buf *hrefs = xcalloc(n, sizeof *hrefs);
	size_t nb = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].responses < min_breakdown || c[i].responses <= 0)
			continue;
		buf_init(&hrefs[nb], 512);
		buf_puts(&hrefs[nb], c[i].unit ? "/units/" : "/halls/");
		view_url_segment(&hrefs[nb], c[i].unit ? c[i].unit->code : c[i].hall->code);
		bars[nb] = (struct chart_bar){.label = c[i].unit ? view_unit_name(v, c[i].unit) : view_hall_name(v, c[i].hall),
					      .value = c[i].rate,
					      .href = hrefs[nb].data};
		nb++;
	}
	char cid[64];
	snprintf(cid, sizeof cid, "%s-chart", id);
	struct chart_bars ch = {
		.meta = {.id = cid,
			 .title = view_tr(v, "各单位客户满意率", "Customer satisfaction by unit"),
			 .desc = view_tr(v, "样本过少的单位不显示。", "Units with too few responses are left out."),
			 .csv_href = csv_href,
			 .csv_label = view_tr(v, "数据（CSV）", "Data (CSV)"),
			 .empty = view_tr(v, "暂无足够的评价", "Not enough responses yet")},
		.bars = bars,
		.n = nb,
		.percent = 1,
	};
	chart_bars(b, &ch);
	for (size_t i = 0; i < nb; i++)
		buf_free(&hrefs[i]);
	free(hrefs);
	free(bars);
	buf_printf(b, "<table class=\"drill\">\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "名称", "Name"), view_tr(v, "类型", "Kind"), view_tr(v, "有效评价", "Responses"),
		   view_tr(v, "满意率（95% 区间）", "Satisfaction (95% interval)"), view_tr(v, "智能表覆盖率", "Coverage"));
	for (size_t i = 0; i < n; i++) {
		const struct view_child *x = &c[i];
		buf_puts(b, "<tr><th scope=\"row\"><a href=\"");
		buf_puts(b, x->unit ? "/units/" : "/halls/");
		view_url_segment(b, x->unit ? x->unit->code : x->hall->code);
		if (f) {
			buf_puts(b, "?");
			view_filter_query(b, f);
		}
		buf_puts(b, "\">");
		view_esc(b, x->unit ? view_unit_name(v, x->unit) : view_hall_name(v, x->hall));
		buf_puts(b, "</a></th><td>");
		view_esc(b, x->unit ? view_kind_name(v, x->unit->kind) : view_tr(v, "营业厅", "Service hall"));
		buf_printf(b, "</td><td>%lld</td><td>", (long long)x->responses);
		if (x->responses >= min_breakdown && x->responses > 0) {
			pct(b, x->rate);
			buf_puts(b, " (");
			pct(b, x->ci_low);
			buf_puts(b, "–");
			pct(b, x->ci_high);
			buf_puts(b, ")");
		} else {
			buf_puts(b, x->responses ? view_tr(v, "样本过少", "too few") : "—");
		}
		buf_puts(b, "</td><td>");
		if (x->have_cov && x->cov.points > 0) {
			pct(b, x->cov.rate);
		} else {
			buf_puts(b, "—");
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

static void local_day(int64_t t, char out[11])
{
	survey_local_time(t, out, NULL, NULL);
}

void view_followups_brief(struct buf *b, const struct view_ctx *v, const struct survey_followup *f, size_t n,
			  int64_t open, int64_t now)
{
	buf_printf(b, "<section class=\"brief\" aria-labelledby=\"fu-h\">\n<h2 id=\"fu-h\">%s</h2>\n",
		   view_tr(v, "待跟进的差评", "Open follow-ups"));
	if (n == 0) {
		buf_printf(b, "<p>%s</p>\n</section>\n", view_tr(v, "没有待跟进的差评。", "No open follow-ups."));
		return;
	}
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "营业厅", "Service hall"), view_tr(v, "评价", "Rating"), view_tr(v, "到期", "Due"),
		   view_tr(v, "状态", "State"));
	for (size_t i = 0; i < n; i++) {
		char due[11];
		local_day(f[i].due_at, due);
		buf_puts(b, "<tr><td><a href=\"/halls/");
		view_url_segment(b, f[i].hall_code);
		buf_puts(b, "\">");
		view_esc(b, f[i].hall_name);
		buf_printf(b, "</a></td><td>%d</td><td>%s</td><td>%s</td></tr>\n", f[i].rating, due,
			   f[i].due_at < now ? view_tr(v, "<span class=\"late\">逾期</span>", "<span class=\"late\">overdue</span>")
					     : view_tr(v, "处理中", "open"));
	}
	buf_printf(b, "</tbody>\n</table>\n<p><a href=\"/followups\">%s (%lld)</a></p>\n</section>\n",
		   view_tr(v, "全部待跟进事项", "All open follow-ups"), (long long)open);
}

void view_milestones_brief(struct buf *b, const struct view_ctx *v, const struct indicator_milestone *m, size_t n,
			   const char *today)
{
	buf_printf(b, "<section class=\"brief\" id=\"milestones\" aria-labelledby=\"ms-h\">\n<h2 id=\"ms-h\">%s</h2>\n",
		   view_tr(v, "近期到期的工作节点", "Milestones due soon"));
	if (n == 0) {
		buf_printf(b, "<p>%s</p>\n</section>\n", view_tr(v, "30 天内没有到期的节点。", "No milestones due in the next 30 days."));
		return;
	}
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "到期日", "Due"), view_tr(v, "节点", "Milestone"), view_tr(v, "指标", "Indicator"),
		   view_tr(v, "单位", "Unit"), view_tr(v, "状态", "State"));
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<tr><td>");
		view_esc(b, m[i].due);
		buf_puts(b, "</td><td>");
		view_esc(b, m[i].name);
		buf_puts(b, "</td><td><code>");
		view_esc(b, m[i].indicator_code);
		buf_puts(b, "</code></td><td><a href=\"/units/");
		view_url_segment(b, m[i].unit_code);
		buf_puts(b, "\">");
		view_esc(b, m[i].unit_code);
		buf_puts(b, "</a></td><td>");
		if (m[i].done)
			buf_puts(b, view_tr(v, "已完成", "done"));
		else if (strcmp(m[i].due, today) < 0)
			buf_printf(b, "<span class=\"late\">%s</span>", view_tr(v, "逾期", "overdue"));
		else
			buf_puts(b, view_tr(v, "未完成", "open"));
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

void view_imports_brief(struct buf *b, const struct view_ctx *v, const struct meter_import_row *rows, size_t n)
{
	buf_printf(b, "<section class=\"brief\" aria-labelledby=\"im-h\">\n<h2 id=\"im-h\">%s</h2>\n",
		   view_tr(v, "最近的轮换导入", "Recent rollout imports"));
	if (n == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "尚无导入。", "No imports yet."));
	} else {
		buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "时间", "When"), view_tr(v, "文件", "File"), view_tr(v, "供电所", "Station"),
			   view_tr(v, "状态", "Status"), view_tr(v, "记录", "Records"));
		for (size_t i = 0; i < n; i++) {
			char day[11];
			local_day(rows[i].created_at, day);
			buf_printf(b, "<tr><td>%s</td><td><a href=\"/imports/%lld\">", day, (long long)rows[i].id);
			view_esc(b, rows[i].file_name);
			buf_puts(b, "</a></td><td>");
			view_esc(b, rows[i].station_code ? rows[i].station_code : "—");
			buf_puts(b, "</td><td>");
			view_esc(b, strcmp(rows[i].status, "imported") == 0 ? view_tr(v, "已导入", "imported")
					: strcmp(rows[i].status, "rejected") == 0 ? view_tr(v, "已拒绝", "rejected")
										  : rows[i].status);
			buf_printf(b, "</td><td>%ld</td></tr>\n", rows[i].records);
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	buf_printf(b, "<p><a href=\"/imports\">%s</a></p>\n</section>\n", view_tr(v, "全部导入", "All imports"));
}

void view_heatmap(struct buf *b, const struct view_ctx *v, const int64_t n[8][24], int min_breakdown,
		  const char *csv_href)
{
	static const char *wd_zh[] = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"};
	static const char *wd_en[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	/* only the hours that have any response, 7:00–19:00 at least, so the grid stays readable */
	int lo = 7, hi = 19;
	for (int h = 0; h < 24; h++)
		for (int d = 1; d <= 7; d++)
			if (n[d][h]) {
				if (h < lo)
					lo = h;
				if (h > hi)
					hi = h;
			}
	size_t cols = (size_t)(hi - lo + 1);
	char col_text[24][4];
	const char *col_labels[24], *row_labels[7];
	double values[7 * 24];
	unsigned char sup[7 * 24];
	for (size_t k = 0; k < cols; k++) {
		snprintf(col_text[k], sizeof col_text[k], "%02d", lo + (int)k);
		col_labels[k] = col_text[k];
	}
	for (int d = 0; d < 7; d++) {
		row_labels[d] = view_tr(v, wd_zh[d], wd_en[d]);
		for (size_t k = 0; k < cols; k++) {
			int64_t x = n[d + 1][lo + (int)k];
			values[(size_t)d * cols + k] = (double)x;
			sup[(size_t)d * cols + k] = x > 0 && x < min_breakdown;
		}
	}
	char note[96];
	if (strcmp(v->lang, "en") == 0)
		snprintf(note, sizeof note, "fewer than %d, not shown", min_breakdown);
	else
		snprintf(note, sizeof note, "少于 %d 份，不显示", min_breakdown);
	buf_printf(b, "<section class=\"heatmap\" aria-labelledby=\"hm-h\">\n<h2 id=\"hm-h\">%s</h2>\n",
		   view_tr(v, "评价时段分布（星期 × 小时）", "Responses by weekday and hour"));
	struct chart_heatmap c = {
		.meta = {.id = "hall-heatmap",
			 .title = view_tr(v, "按星期和小时统计的有效评价份数", "Counted responses by weekday and hour of day"),
			 .desc = view_tr(v, "颜色越深份数越多，格内为份数。", "Darker cells hold more responses; each cell shows its count."),
			 .csv_href = csv_href,
			 .csv_label = view_tr(v, "数据（CSV）", "Data (CSV)"),
			 .empty = view_tr(v, "暂无评价", "No responses yet")},
		.row_labels = row_labels,
		.rows = 7,
		.col_labels = col_labels,
		.cols = cols,
		.values = values,
		.suppressed = sup,
		.suppressed_note = note,
	};
	chart_heatmap(b, &c);
	buf_puts(b, "</section>\n");
}
