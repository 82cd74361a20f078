/* view_import.c — the pages of the smart-meter rollout: the import list with its
 * upload form, one page per import (counts and errors), the report of a dry run or a
 * refused upload, and the coverage block of unit pages and the dashboard. Works
 * without JavaScript; /static/upload.js only adds an upload progress bar. Every
 * dynamic value is escaped. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart.h"
#include "view.h"

/* "YYYY-MM-DD HH:MM" in local time (Asia/Shanghai, UTC+8 all year). */
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

static void pct(struct buf *b, double x)
{
	buf_printf(b, "%.1f%%", x * 100.0);
}

static const char *status_name(const struct view_ctx *v, const char *status)
{
	if (!status)
		return "";
	if (strcmp(status, "imported") == 0)
		return view_tr(v, "已导入", "imported");
	if (strcmp(status, "rejected") == 0)
		return view_tr(v, "已拒绝", "rejected");
	if (strcmp(status, "already") == 0)
		return view_tr(v, "此前已导入", "already imported");
	if (strcmp(status, "dry-run") == 0)
		return view_tr(v, "试导入（未写入）", "dry run (nothing written)");
	return status;
}

static void status_badge(struct buf *b, const struct view_ctx *v, const char *status)
{
	buf_printf(b, "<span class=\"status status-%s\">",
		   status && strcmp(status, "rejected") == 0 ? "bad" : status && strcmp(status, "imported") == 0 ? "ok" : "info");
	view_esc(b, status_name(v, status));
	buf_puts(b, "</span>");
}

/* Who imported: the login, else the API token's name, else the command line. */
static void importer(struct buf *b, const struct view_ctx *v, const struct meter_import_row *r)
{
	if (r->user_login) {
		view_esc(b, r->user_login);
	} else if (r->actor) {
		buf_puts(b, view_tr(v, "API 令牌 ", "API token "));
		view_esc(b, r->actor);
	} else {
		view_esc(b, view_tr(v, "命令行", "command line"));
	}
}

static void station_link(struct buf *b, const char *code)
{
	if (!code || !*code) {
		buf_puts(b, "—");
		return;
	}
	buf_puts(b, "<a href=\"/units/");
	view_url_segment(b, code);
	buf_puts(b, "\">");
	view_esc(b, code);
	buf_puts(b, "</a>");
}

static void upload_form(struct buf *b, const struct view_ctx *v, const struct view_import_list *l)
{
	buf_printf(b, "<section class=\"upload\">\n<h2>%s</h2>\n", view_tr(v, "上传轮换文件", "Upload a rollout file"));
	buf_printf(b, "<p>%s ", view_tr(v, "支持原生格式（urn:gridscore:rollout:1）和 IEC 61968-9 文件，每个文件单独导入，全部成功或全部不写入。",
				       "Native (urn:gridscore:rollout:1) and IEC 61968-9 files; each file is one import, "
				       "all or nothing."));
	buf_printf(b, "%s %.0f MB.</p>\n", view_tr(v, "文件上限", "Size limit"), (double)l->max_upload / (1024.0 * 1024.0));
	buf_puts(b, "<form method=\"post\" action=\"/imports\" enctype=\"multipart/form-data\" id=\"upload-form\">\n");
	/* The token comes first: the server checks it before it stores the file. */
	view_csrf_field(b, v);
	buf_printf(b, "\n<label for=\"file\">%s</label>\n", view_tr(v, "文件", "File"));
	buf_puts(b, "<input id=\"file\" name=\"file\" type=\"file\" required accept=\".xml,application/xml,text/xml\">\n");
	if (l->ask_station) {
		buf_printf(b, "<label for=\"station\">%s</label>\n",
			   view_tr(v, "供电所编码（仅用于来源未登记的 IEC 文件，可不填）",
				   "Station code (only for IEC files from an unmapped source; optional)"));
		buf_puts(b, "<input id=\"station\" name=\"station\" maxlength=\"64\" pattern=\"[A-Za-z0-9][A-Za-z0-9._\\-]*\">\n");
	}
	buf_printf(b, "<label class=\"check\"><input type=\"checkbox\" name=\"dry_run\" value=\"1\"> %s</label>\n",
		   view_tr(v, "仅校验，不写入（试导入）", "Check only, write nothing (dry run)"));
	buf_printf(b, "<button type=\"submit\">%s</button>\n", view_tr(v, "上传并导入", "Upload and import"));
	buf_printf(b, "<progress id=\"upload-progress\" max=\"100\" value=\"0\" hidden></progress>"
		      "<span id=\"upload-status\" role=\"status\" aria-live=\"polite\" data-sending=\"%s\" "
		      "data-importing=\"%s\" data-failed=\"%s\"></span>\n",
		   view_tr(v, "正在上传", "Uploading"), view_tr(v, "上传完成，正在导入…", "Uploaded, importing…"),
		   view_tr(v, "上传失败，请重试。", "The upload failed; please try again."));
	buf_puts(b, "</form>\n</section>\n");
}

void view_imports(struct buf *b, const struct view_ctx *v, const struct view_import_list *l)
{
	view_begin(b, v, view_tr(v, "智能表轮换导入", "Rollout imports"));
	buf_printf(b, "<h1>%s</h1>\n", view_tr(v, "智能表轮换导入", "Rollout imports"));
	upload_form(b, v, l);
	buf_printf(b, "<section>\n<h2>%s</h2>\n", view_tr(v, "导入记录", "Imports"));
	if (l->n == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "还没有导入记录。", "No imports yet."));
	} else {
		buf_printf(b,
			   "<table class=\"imports\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">%s</th>"
			   "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			   "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			   "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "时间", "When"), view_tr(v, "文件", "File"), view_tr(v, "供电所", "Station"),
			   view_tr(v, "状态", "Status"), view_tr(v, "记录", "Records"), view_tr(v, "新增", "Inserted"),
			   view_tr(v, "更新", "Updated"), view_tr(v, "错误", "Errors"), view_tr(v, "导入人", "By"));
		for (size_t i = 0; i < l->n; i++) {
			const struct meter_import_row *r = &l->rows[i];
			char when[20];
			local_time(r->created_at, when);
			buf_printf(b, "<tr><td><a href=\"/imports/%lld\">%lld</a></td><td>%s</td><td>",
				   (long long)r->id, (long long)r->id, when);
			view_esc(b, r->file_name);
			buf_puts(b, "</td><td>");
			station_link(b, r->station_code);
			buf_puts(b, "</td><td>");
			status_badge(b, v, r->status);
			buf_printf(b, "</td><td>%ld</td><td>%ld</td><td>%ld</td><td>%ld</td><td>", r->records, r->inserted,
				   r->updated, r->n_errors);
			importer(b, v, r);
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	if (l->page > 1 || l->has_next) {
		buf_puts(b, "<p class=\"pager\">");
		if (l->page > 1)
			buf_printf(b, "<a href=\"/imports?page=%zu\" rel=\"prev\">%s</a> ", l->page - 1,
				   view_tr(v, "← 较新", "← Newer"));
		buf_printf(b, "<span>%s %zu</span>", view_tr(v, "第", "Page"), l->page);
		if (l->has_next)
			buf_printf(b, " <a href=\"/imports?page=%zu\" rel=\"next\">%s</a>", l->page + 1,
				   view_tr(v, "较早 →", "Older →"));
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "</section>\n<script src=\"/static/upload.js\" defer></script>\n");
	view_end(b, v);
}

static void errors_table(struct buf *b, const struct view_ctx *v, const struct rollout_errors *e, long total)
{
	if (!e || e->n == 0) {
		if (total > 0)
			buf_printf(b, "<p>%s</p>\n", view_tr(v, "错误明细未保存。", "The error details were not kept."));
		return;
	}
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "错误", "Errors"));
	if ((size_t)total > e->n)
		buf_printf(b, "<p class=\"notice\">%s %zu / %ld.</p>\n", view_tr(v, "仅显示前面的错误：", "Showing the first errors:"),
			   e->n, total);
	buf_printf(b, "<table class=\"errors\">\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "行", "Line"), view_tr(v, "列", "Column"), view_tr(v, "字段", "Field"),
		   view_tr(v, "问题", "Problem"));
	for (size_t i = 0; i < e->n; i++) {
		const struct rollout_error *x = &e->e[i];
		buf_printf(b, "<tr><td>%ld</td><td>", x->line);
		if (x->column > 0)
			buf_printf(b, "%ld", x->column);
		buf_puts(b, "</td><td><code>");
		view_esc(b, x->field);
		buf_puts(b, "</code></td><td>");
		view_esc(b, x->message);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

static void counts(struct buf *b, const struct view_ctx *v, long records, long inserted, long updated, long unchanged)
{
	buf_printf(b, "<ul class=\"figures\"><li><strong>%ld</strong> %s</li><li><strong>%ld</strong> %s</li>"
		      "<li><strong>%ld</strong> %s</li><li><strong>%ld</strong> %s</li></ul>\n",
		   records, view_tr(v, "条记录", "records"), inserted, view_tr(v, "新增", "inserted"), updated,
		   view_tr(v, "更新", "updated"), unchanged, view_tr(v, "未变", "unchanged"));
}

static void fact(struct buf *b, const char *label)
{
	buf_puts(b, "<dt>");
	buf_puts(b, label);
	buf_puts(b, "</dt><dd>");
}

void view_import(struct buf *b, const struct view_ctx *v, const struct meter_import_row *row,
		 const struct rollout_errors *errors, const char *notice)
{
	char title[64], when[20];
	snprintf(title, sizeof title, "%s #%lld", view_tr(v, "导入", "Import"), (long long)row->id);
	view_begin(b, v, title);
	buf_printf(b, "<p class=\"crumbs\"><a href=\"/imports\">%s</a></p>\n<h1>%s ",
		   view_tr(v, "← 全部导入", "← All imports"), title);
	status_badge(b, v, row->status);
	buf_puts(b, "</h1>\n");
	if (notice) {
		buf_puts(b, "<p class=\"notice\" role=\"status\">");
		view_esc(b, notice);
		buf_puts(b, "</p>\n");
	}
	counts(b, v, row->records, row->inserted, row->updated, row->unchanged);
	local_time(row->created_at, when);
	buf_puts(b, "<dl class=\"facts\">");
	fact(b, view_tr(v, "文件", "File"));
	view_esc(b, row->file_name);
	buf_puts(b, "</dd>");
	fact(b, view_tr(v, "时间", "When"));
	buf_puts(b, when);
	buf_puts(b, "</dd>");
	fact(b, view_tr(v, "导入人", "By"));
	importer(b, v, row);
	buf_puts(b, "</dd>");
	fact(b, view_tr(v, "供电所", "Station"));
	station_link(b, row->station_code);
	buf_puts(b, "</dd>");
	fact(b, view_tr(v, "格式", "Format"));
	buf_puts(b, "<code>");
	view_esc(b, row->format);
	buf_puts(b, "</code></dd>");
	if (row->file_id) {
		fact(b, view_tr(v, "文件标识", "File id"));
		buf_puts(b, "<code>");
		view_esc(b, row->file_id);
		buf_puts(b, "</code></dd>");
	}
	fact(b, "SHA-256");
	buf_puts(b, "<code class=\"hash\">");
	view_esc(b, row->sha256);
	buf_puts(b, "</code></dd>");
	fact(b, view_tr(v, "用时", "Duration"));
	buf_printf(b, "%.3f s</dd>", row->seconds);
	fact(b, view_tr(v, "错误数", "Errors"));
	buf_printf(b, "%ld</dd></dl>\n", row->n_errors);
	errors_table(b, v, errors, row->n_errors);
	view_end(b, v);
}

void view_import_report(struct buf *b, const struct view_ctx *v, const struct meter_import_report *rep,
			const char *file_name, const char *message)
{
	const char *title = view_tr(v, "导入结果", "Import result");
	view_begin(b, v, title);
	buf_printf(b, "<p class=\"crumbs\"><a href=\"/imports\">%s</a></p>\n<h1>", view_tr(v, "← 全部导入", "← All imports"));
	buf_puts(b, title);
	buf_puts(b, " ");
	status_badge(b, v, rep->status[0] ? rep->status : "rejected");
	buf_puts(b, "</h1>\n");
	if (message) {
		buf_puts(b, "<p class=\"error\" role=\"alert\">");
		view_esc(b, message);
		buf_puts(b, "</p>\n");
	}
	if (strcmp(rep->status, "dry-run") == 0)
		buf_printf(b, "<p class=\"notice\">%s</p>\n",
			   view_tr(v, "这是试导入：文件已校验，数据库没有任何改动。",
				   "This was a dry run: the file was checked and nothing was written."));
	counts(b, v, rep->records, rep->inserted, rep->updated, rep->unchanged);
	buf_puts(b, "<dl class=\"facts\">");
	fact(b, view_tr(v, "文件", "File"));
	view_esc(b, file_name);
	buf_puts(b, "</dd>");
	fact(b, view_tr(v, "供电所", "Station"));
	station_link(b, rep->station);
	buf_puts(b, "</dd>");
	fact(b, view_tr(v, "格式", "Format"));
	buf_puts(b, "<code>");
	view_esc(b, rep->format);
	buf_puts(b, "</code></dd>");
	fact(b, "SHA-256");
	buf_puts(b, "<code class=\"hash\">");
	view_esc(b, rep->sha256);
	buf_puts(b, "</code></dd>");
	fact(b, view_tr(v, "用时", "Duration"));
	buf_printf(b, "%.3f s</dd>", rep->seconds);
	if (rep->id > 0) {
		fact(b, view_tr(v, "导入记录", "Log entry"));
		buf_printf(b, "<a href=\"/imports/%lld\">#%lld</a></dd>", (long long)rep->id, (long long)rep->id);
	}
	buf_puts(b, "</dl>\n");
	errors_table(b, v, &rep->errors, (long)rep->errors.total);
	view_end(b, v);
}

/* The monthly coverage as a line toward the full-coverage line (100%). */
static void coverage_charts(struct buf *b, const struct view_ctx *v, const struct view_coverage *c)
{
	struct chart_point *p = xcalloc(c->n_months, sizeof *p);
	for (size_t i = 0; i < c->n_months; i++) {
		p[i].label = c->months[i].day;
		p[i].value = c->months[i].rate;
		p[i].missing = c->months[i].points == 0;
		p[i].note = view_tr(v, "无计量点", "no metering points");
	}
	struct chart_trend t = {
		.meta = {.id = "cov-trend",
			 .title = view_tr(v, "月末智能表覆盖率", "Smart-meter coverage at each month's end"),
			 .desc = view_tr(v, "虚线为全覆盖（100%）。", "The dashed line is full coverage (100%)."),
			 .csv_href = c->months_csv_href,
			 .csv_label = view_tr(v, "数据（CSV）", "Data (CSV)")},
		.points = p,
		.n = c->n_months,
		.percent = 1,
		.has_target = 1,
		.target = 1.0,
		.target_label = view_tr(v, "全覆盖", "Full coverage"),
	};
	chart_trend(b, &t);
	free(p);
}

/* Each station's coverage as a bar; late stations are hatched and say so. */
static void station_bars(struct buf *b, const struct view_ctx *v, const struct view_coverage *c)
{
	struct chart_bar *bars = xcalloc(c->n_stations, sizeof *bars);
	char **hrefs = xcalloc(c->n_stations, sizeof *hrefs);
	for (size_t i = 0; i < c->n_stations; i++) {
		const struct meter_station_coverage *s = &c->stations[i];
		struct buf h;
		buf_init(&h, 256);
		buf_puts(&h, "/units/");
		view_url_segment(&h, s->code);
		hrefs[i] = buf_steal(&h, NULL);
		bars[i] = (struct chart_bar){.label = s->name ? s->name : s->code,
					     .value = s->cov.rate,
					     .href = hrefs[i],
					     .highlight = s->proj.late};
	}
	buf_puts(b, "<div id=\"coverage-stations\">");
	struct chart_bars ch = {
		.meta = {.id = "cov-stations",
			 .title = view_tr(v, "各供电所智能表覆盖率", "Smart-meter coverage by station"),
			 .desc = view_tr(v, "斜线条纹为进度滞后的供电所。", "Hatched bars are stations behind their target."),
			 .csv_href = c->stations_csv_href,
			 .csv_label = view_tr(v, "数据（CSV）", "Data (CSV)")},
		.bars = bars,
		.n = c->n_stations,
		.percent = 1,
		.highlight_note = view_tr(v, "滞后", "late"),
	};
	chart_bars(b, &ch);
	buf_puts(b, "</div>\n");
	for (size_t i = 0; i < c->n_stations; i++)
		free(hrefs[i]);
	free(hrefs);
	free(bars);
}

void view_coverage(struct buf *b, const struct view_ctx *v, const struct view_coverage *c)
{
	const struct meter_coverage *cov = c->cov;
	buf_printf(b, "<section class=\"coverage\" id=\"coverage\" aria-labelledby=\"cov-h\">\n<h2 id=\"cov-h\">%s</h2>\n",
		   view_tr(v, "智能表覆盖率", "Smart-meter coverage"));
	buf_printf(b, "<p class=\"crumbs\">%s ", view_tr(v, "截至", "As of"));
	view_esc(b, c->day);
	buf_puts(b, "</p>\n<ul class=\"figures\"><li><strong>");
	if (cov->points > 0)
		pct(b, cov->rate);
	else
		buf_puts(b, "—");
	buf_printf(b, "</strong> %s</li><li><strong>%ld</strong> %s</li><li><strong>%ld</strong> %s</li>"
		      "<li><strong>%ld</strong> %s</li></ul>\n",
		   view_tr(v, "覆盖率", "coverage"), cov->points, view_tr(v, "个在运计量点", "metering points in service"),
		   cov->smart, view_tr(v, "个已装智能表", "with a smart meter"), cov->points - cov->smart,
		   view_tr(v, "个未覆盖", "not covered"));
	if (cov->points == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "尚无计量点数据：请先导入轮换文件。",
						     "No metering points yet: import a rollout file first."));
	} else {
		buf_printf(b, "<p class=\"bar\"><progress max=\"1000\" value=\"%ld\" aria-label=\"%s\"></progress></p>\n",
			   (long)(cov->rate * 1000.0 + 0.5), view_tr(v, "距全覆盖的进度", "progress toward full coverage"));
	}
	if (c->proj) {
		const struct meter_projection_s *p = c->proj;
		buf_puts(b, "<dl class=\"facts\">");
		fact(b, view_tr(v, "全覆盖目标日期", "Full-coverage target"));
		view_esc(b, p->target);
		buf_puts(b, "</dd>");
		fact(b, view_tr(v, "预计全覆盖日期", "Projected full coverage"));
		if (cov->points > 0 && cov->smart >= cov->points)
			buf_puts(b, view_tr(v, "已全覆盖", "reached"));
		else if (p->projected[0])
			view_esc(b, p->projected);
		else
			buf_puts(b, view_tr(v, "近期无进展，无法预计", "no recent progress: cannot project"));
		if (p->late)
			buf_printf(b, " <span class=\"late\">%s</span>", view_tr(v, "滞后", "late"));
		buf_puts(b, "</dd>");
		fact(b, view_tr(v, "近期进度", "Recent pace"));
		buf_printf(b, "%.1f %s</dd></dl>\n", p->per_day, view_tr(v, "个计量点/天", "points a day"));
	}
	if (c->n_months > 0)
		coverage_charts(b, v, c);
	if (c->n_months > 0) {
		buf_printf(b, "<h3>%s</h3>\n<table class=\"months\">\n<thead><tr><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "月度趋势", "Monthly trend"), view_tr(v, "月末", "Month end"),
			   view_tr(v, "计量点", "Points"), view_tr(v, "智能表", "Smart"), view_tr(v, "覆盖率", "Coverage"));
		for (size_t i = 0; i < c->n_months; i++) {
			const struct meter_coverage *m = &c->months[i];
			buf_puts(b, "<tr><td>");
			view_esc(b, m->day);
			buf_printf(b, "</td><td>%ld</td><td>%ld</td><td>", m->points, m->smart);
			if (m->points > 0)
				pct(b, m->rate);
			else
				buf_puts(b, "—");
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	if (c->n_stations > 0) {
		station_bars(b, v, c);
		buf_printf(b, "<h3>%s</h3>\n<table class=\"stations\">\n<thead><tr><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "各供电所", "By station"), view_tr(v, "供电所", "Station"), view_tr(v, "计量点", "Points"),
			   view_tr(v, "智能表", "Smart"), view_tr(v, "覆盖率", "Coverage"),
			   view_tr(v, "预计全覆盖", "Projected"), view_tr(v, "目标", "Target"),
			   view_tr(v, "未覆盖清单", "Uncovered"));
		for (size_t i = 0; i < c->n_stations; i++) {
			const struct meter_station_coverage *s = &c->stations[i];
			buf_puts(b, "<tr><td><a href=\"/units/");
			view_url_segment(b, s->code);
			buf_puts(b, "\">");
			view_esc(b, s->name ? s->name : s->code);
			buf_printf(b, "</a></td><td>%ld</td><td>%ld</td><td>", s->cov.points, s->cov.smart);
			if (s->cov.points > 0)
				pct(b, s->cov.rate);
			else
				buf_puts(b, "—");
			buf_puts(b, "</td><td>");
			if (s->cov.points > 0 && s->cov.smart >= s->cov.points)
				buf_puts(b, view_tr(v, "已全覆盖", "reached"));
			else if (s->proj.projected[0])
				view_esc(b, s->proj.projected);
			else
				buf_puts(b, "—");
			if (s->proj.late)
				buf_printf(b, " <span class=\"late\">%s</span>", view_tr(v, "滞后", "late"));
			buf_puts(b, "</td><td>");
			view_esc(b, s->proj.target);
			buf_puts(b, "</td><td><a href=\"/units/");
			view_url_segment(b, s->code);
			buf_puts(b, "/uncovered.csv?at=");
			view_url_segment(b, c->day);
			buf_puts(b, "\">CSV</a></td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	if (c->kind && strcmp(c->kind, "station") == 0) {
		buf_puts(b, "<p><a href=\"/units/");
		view_url_segment(b, c->code);
		buf_puts(b, "/uncovered.csv?at=");
		view_url_segment(b, c->day);
		buf_printf(b, "\">%s</a></p>\n", view_tr(v, "下载未覆盖计量点清单（CSV）", "Uncovered metering points (CSV)"));
	}
	buf_puts(b, "</section>\n");
}
