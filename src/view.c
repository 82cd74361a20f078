/* view.c — the HTML views: layout, escaping and the pages of the foundation (login,
 * dashboard, unit and hall pages, errors), and the one CSV field writer of every export.
 * Styling lives in src/static/app.css. */
#include "view.h"

#include <stdio.h>
#include <string.h>

const char *view_tr(const struct view_ctx *v, const char *zh, const char *en)
{
	return v->lang && strcmp(v->lang, "en") == 0 ? en : zh;
}

void view_esc(struct buf *b, const char *s)
{
	if (!s)
		return;
	const char *run = s;
	for (const char *p = s; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_append(b, run, (size_t)(p - run));
		buf_puts(b, rep);
		run = p + 1;
	}
	buf_puts(b, run);
}

const char *view_field_error_for(const struct view_field_error *errs, size_t n, const char *field)
{
	for (size_t i = 0; i < n; i++)
		if (errs[i].field && strcmp(errs[i].field, field) == 0)
			return errs[i].message;
	return NULL;
}

void view_url_segment(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_append(b, e, 3);
		}
	}
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* 1 if a spreadsheet could take a cell starting at s for a formula. Besides the ASCII
 * = + - @ (and TAB, CR, LF, which some programs skip before a formula), the fullwidth
 * ＝ ＋ － ＠ count: a Chinese input method types them, and Excel in CJK locales turns a
 * leading fullwidth ＝ into = as it reads a cell. */
static int csv_formula_start(const char *s)
{
	while (*s == ' ') /* LibreOffice's "trim spaces" import option removes them */
		s++;
	if (*s && strchr("=+-@\t\r\n", *s))
		return 1;
	const unsigned char *u = (const unsigned char *)s;
	/* U+FF0B ＋, U+FF0D －, U+FF1D ＝, U+FF20 ＠ */
	return u[0] == 0xEF && u[1] == 0xBC && (u[2] == 0x8B || u[2] == 0x8D || u[2] == 0x9D || u[2] == 0xA0);
}

void view_csv_text(struct buf *b, const char *s)
{
	if (!s || !*s)
		return;
	size_t n = strlen(s);
	int defuse = csv_formula_start(s);
	int quote = strpbrk(s, ",\"\r\n\t") != NULL || s[0] == ' ' || s[n - 1] == ' ';
	if (!defuse && !quote) {
		buf_append(b, s, n);
		return;
	}
	if (quote)
		buf_putc(b, '"');
	if (defuse)
		buf_putc(b, '\'');
	const char *run = s;
	for (const char *p = s; *p; p++)
		if (*p == '"') {
			buf_append(b, run, (size_t)(p + 1 - run)); /* the quote, and again from p */
			run = p;
		}
	buf_puts(b, run);
	if (quote)
		buf_putc(b, '"');
}

void view_csv_num(struct buf *b, int has, double x, int decimals)
{
	if (has)
		buf_printf(b, "%.*f", decimals, x);
}

void view_csrf_field(struct buf *b, const struct view_ctx *v)
{
	buf_puts(b, "<input type=\"hidden\" name=\"_csrf\" value=\"");
	view_esc(b, v->csrf);
	buf_puts(b, "\">");
}

void view_begin(struct buf *b, const struct view_ctx *v, const char *title)
{
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
		   view_tr(v, "zh-CN", "en"));
	buf_puts(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	view_esc(b, title);
	buf_printf(b, " · %s</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n<body>\n",
		   view_tr(v, "绩效评分", "gridscore"));
	buf_puts(b, "<header class=\"top\"><a class=\"brand\" href=\"/\">");
	buf_puts(b, view_tr(v, "绩效评分 <small>gridscore</small>", "gridscore"));
	buf_puts(b, "</a>");
	if (v->login) {
		buf_printf(b, "<nav aria-label=\"%s\"><a href=\"/\">%s</a><a href=\"/scores\">%s</a><a href=\"/imports\">%s</a>",
			   view_tr(v, "主导航", "Main"), view_tr(v, "总览", "Dashboard"), view_tr(v, "单位得分", "Scores"),
			   view_tr(v, "轮换导入", "Rollout imports"));
		if (v->role && strcmp(v->role, "admin") == 0)
			buf_printf(b, "<a href=\"/admin/halls\">%s</a>", view_tr(v, "系统管理", "Administration"));
		buf_puts(b, "</nav>");
	}
	buf_puts(b, "<div class=\"user\">");
	/* The language switch keeps the current page. */
	buf_puts(b, "<a class=\"lang\" href=\"");
	view_esc(b, v->path ? v->path : "/");
	buf_printf(b, "?lang=%s\">%s</a>", view_tr(v, "en", "zh"), view_tr(v, "English", "中文"));
	if (v->login) {
		buf_puts(b, "<span class=\"who\">");
		view_esc(b, v->login);
		buf_puts(b, "</span><form method=\"post\" action=\"/logout\" class=\"inline\">");
		view_csrf_field(b, v);
		buf_printf(b, "<button type=\"submit\">%s</button></form>", view_tr(v, "退出", "Log out"));
	}
	buf_puts(b, "</div></header>\n<main>\n");
}

void view_end(struct buf *b, const struct view_ctx *v)
{
	buf_printf(b, "</main>\n<footer>%s</footer>\n</body>\n</html>\n",
		   view_tr(v, "县供电公司绩效管理 · gridscore", "County supply company performance management · gridscore"));
}

void view_error(struct buf *b, const struct view_ctx *v, int status, const char *message)
{
	char title[64];
	snprintf(title, sizeof title, "%s %d", view_tr(v, "错误", "Error"), status);
	view_begin(b, v, title);
	buf_printf(b, "<h1>%s</h1>\n<p class=\"error\" role=\"alert\">", title);
	view_esc(b, message);
	buf_printf(b, "</p>\n<p><a href=\"/\">%s</a></p>\n", view_tr(v, "返回首页", "Back to the start page"));
	view_end(b, v);
}

void view_login(struct buf *b, const struct view_ctx *v, const char *csrf, const char *login, const char *next,
		const char *error)
{
	view_begin(b, v, view_tr(v, "登录", "Log in"));
	buf_printf(b, "<section class=\"login\">\n<h1>%s</h1>\n", view_tr(v, "登录", "Log in"));
	if (error) {
		buf_puts(b, "<p class=\"error\" role=\"alert\">");
		view_esc(b, error);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<form method=\"post\" action=\"/login\">\n<input type=\"hidden\" name=\"_csrf\" value=\"");
	view_esc(b, csrf);
	buf_puts(b, "\">\n<input type=\"hidden\" name=\"next\" value=\"");
	view_esc(b, next ? next : "/");
	buf_printf(b, "\">\n<label for=\"login\">%s</label>\n", view_tr(v, "用户名", "Login"));
	buf_puts(b, "<input id=\"login\" name=\"login\" autocomplete=\"username\" required maxlength=\"64\" value=\"");
	view_esc(b, login ? login : "");
	buf_printf(b, "\">\n<label for=\"password\">%s</label>\n", view_tr(v, "密码", "Password"));
	buf_puts(b, "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" "
		    "required maxlength=\"256\">\n");
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n</section>\n", view_tr(v, "登录", "Log in"));
	view_end(b, v);
}

const char *view_kind_name(const struct view_ctx *v, const char *kind)
{
	if (!kind)
		return "";
	if (strcmp(kind, "company") == 0)
		return view_tr(v, "供电公司", "Supply company");
	if (strcmp(kind, "department") == 0)
		return view_tr(v, "机关部室", "Department");
	if (strcmp(kind, "station") == 0)
		return view_tr(v, "供电所", "Supply station");
	if (strcmp(kind, "team") == 0)
		return view_tr(v, "班组", "Team");
	return kind;
}

const char *view_unit_name(const struct view_ctx *v, const struct org_unit *u)
{
	return (u->name_en && *u->name_en && strcmp(v->lang, "en") == 0) ? u->name_en : u->name;
}

const char *view_hall_name(const struct view_ctx *v, const struct org_hall *h)
{
	return (h->name_en && *h->name_en && strcmp(v->lang, "en") == 0) ? h->name_en : h->name;
}

static void unit_link(struct buf *b, const struct view_ctx *v, const struct org_unit *u)
{
	buf_puts(b, "<a href=\"/units/");
	view_url_segment(b, u->code);
	buf_puts(b, "\">");
	view_esc(b, view_unit_name(v, u));
	buf_puts(b, "</a>");
}

static void hall_link(struct buf *b, const struct view_ctx *v, const struct org_hall *h)
{
	buf_puts(b, "<a href=\"/halls/");
	view_url_segment(b, h->code);
	buf_puts(b, "\">");
	view_esc(b, view_hall_name(v, h));
	buf_puts(b, "</a>");
}

/* Nested lists from a tree-ordered array with depths. */
static void unit_tree(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n)
{
	if (n == 0)
		return;
	int base = units[0].depth, depth = base - 1;
	for (size_t i = 0; i < n; i++) {
		const struct org_unit *u = &units[i];
		if (u->depth > depth) {
			buf_puts(b, "<ul class=\"tree\">");
		} else {
			buf_puts(b, "</li>");
			for (int d = depth; d > u->depth; d--)
				buf_puts(b, "</ul></li>");
		}
		depth = u->depth;
		buf_puts(b, "<li>");
		unit_link(b, v, u);
		buf_puts(b, " <span class=\"kind\">");
		view_esc(b, view_kind_name(v, u->kind));
		buf_puts(b, "</span>");
	}
	for (; depth >= base; depth--)
		buf_puts(b, "</li></ul>");
}

static void hall_table(struct buf *b, const struct view_ctx *v, const struct org_hall *halls, size_t n)
{
	if (n == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "没有营业厅。", "No service halls."));
		return;
	}
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "营业厅", "Service hall"), view_tr(v, "编码", "Code"), view_tr(v, "供电所", "Station"),
		   view_tr(v, "状态", "Status"));
	for (size_t i = 0; i < n; i++) {
		const struct org_hall *h = &halls[i];
		buf_puts(b, "<tr><td>");
		hall_link(b, v, h);
		buf_puts(b, "</td><td><code>");
		view_esc(b, h->code);
		buf_puts(b, "</code></td><td><a href=\"/units/");
		view_url_segment(b, h->station_code);
		buf_puts(b, "\">");
		/* the station's English name on English pages, as for the hall itself */
		int en = strcmp(v->lang, "en") == 0 && h->station_name_en && *h->station_name_en;
		view_esc(b, en ? h->station_name_en : h->station_name);
		buf_printf(b, "</a></td><td>%s</td></tr>\n",
			   h->active ? view_tr(v, "营业中", "Open") : view_tr(v, "已停用", "Inactive"));
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

void view_dashboard(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n_units,
		    const struct org_hall *halls, size_t n_halls, const char *extra)
{
	view_begin(b, v, view_tr(v, "总览", "Dashboard"));
	size_t stations = 0, depts = 0, active = 0;
	for (size_t i = 0; i < n_units; i++) {
		stations += strcmp(units[i].kind, "station") == 0;
		depts += strcmp(units[i].kind, "department") == 0;
	}
	for (size_t i = 0; i < n_halls; i++)
		active += halls[i].active != 0;
	buf_puts(b, "<h1>");
	view_esc(b, n_units ? view_unit_name(v, &units[0]) : view_tr(v, "总览", "Dashboard"));
	buf_puts(b, "</h1>\n");
	if (extra)
		buf_puts(b, extra);
	buf_printf(b, "<section class=\"org\" aria-labelledby=\"org-h\">\n<h2 id=\"org-h\">%s</h2>\n<ul class=\"figures\">",
		   view_tr(v, "组织机构与营业厅", "Organisation and service halls"));
	buf_printf(b, "<li><strong>%zu</strong> %s</li>", depts, view_tr(v, "个机关部室", "departments"));
	buf_printf(b, "<li><strong>%zu</strong> %s</li>", stations, view_tr(v, "个供电所", "supply stations"));
	buf_printf(b, "<li><strong>%zu</strong> %s</li>", active, view_tr(v, "个营业中的营业厅", "open service halls"));
	buf_puts(b, "</ul>\n<div class=\"cols\">\n<div>\n");
	buf_printf(b, "<h3>%s</h3>\n", view_tr(v, "组织机构", "Organisation"));
	unit_tree(b, v, units, n_units);
	buf_printf(b, "</div>\n<div>\n<h3>%s</h3>\n", view_tr(v, "营业厅", "Service halls"));
	hall_table(b, v, halls, n_halls);
	buf_puts(b, "</div>\n</div>\n</section>\n");
	view_end(b, v);
}

static const char *link_kind_name(const struct view_ctx *v, const char *kind)
{
	if (strcmp(kind, "head") == 0)
		return view_tr(v, "负责人", "Head");
	if (strcmp(kind, "deputy") == 0)
		return view_tr(v, "副职", "Deputy");
	if (strcmp(kind, "supervises") == 0)
		return view_tr(v, "分管", "Supervises");
	if (strcmp(kind, "liaises") == 0)
		return view_tr(v, "联系", "Liaises with");
	return kind;
}

void view_breadcrumbs(struct buf *b, const struct view_ctx *v, const struct org_unit *crumbs, size_t n,
		      const char *current)
{
	buf_printf(b, "<nav class=\"crumbs\" aria-label=\"%s\"><ol>", view_tr(v, "位置", "Breadcrumb"));
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<li>");
		unit_link(b, v, &crumbs[i]);
		buf_puts(b, "</li>");
	}
	buf_puts(b, "<li aria-current=\"page\">");
	view_esc(b, current);
	buf_puts(b, "</li></ol></nav>\n");
}

void view_unit(struct buf *b, const struct view_ctx *v, const struct org_unit *unit, const struct org_unit *subtree,
	       size_t n_subtree, const struct org_hall *halls, size_t n_halls, const struct org_leader *leaders,
	       size_t n_leaders, const struct view_page *p)
{
	view_begin(b, v, view_unit_name(v, unit));
	view_breadcrumbs(b, v, p ? p->crumbs : NULL, p ? p->n_crumbs : 0, view_unit_name(v, unit));
	buf_puts(b, "<h1>");
	view_esc(b, view_unit_name(v, unit));
	buf_puts(b, " <span class=\"kind\">");
	view_esc(b, view_kind_name(v, unit->kind));
	buf_puts(b, "</span></h1>\n<dl class=\"facts\"><dt>");
	buf_puts(b, view_tr(v, "编码", "Code"));
	buf_puts(b, "</dt><dd><code>");
	view_esc(b, unit->code);
	buf_puts(b, "</code></dd>");
	if (unit->name_en && strcmp(v->lang, "en") != 0) {
		buf_puts(b, "<dt>English</dt><dd>");
		view_esc(b, unit->name_en);
		buf_puts(b, "</dd>");
	}
	buf_puts(b, "</dl>\n");
	if (p && p->filter)
		view_filter_form(b, v, p->action, p->filter);
	if (p && p->top)
		buf_puts(b, p->top);
	buf_puts(b, "<div class=\"cols\">\n<section>\n");
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "下属单位", "Units below"));
	if (n_subtree > 1)
		unit_tree(b, v, subtree + 1, n_subtree - 1);
	else
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "没有下属单位。", "No units below this one."));
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "领导关系", "Leaders"));
	if (n_leaders == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "没有登记的领导关系。", "No leader links recorded."));
	} else {
		buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			   view_tr(v, "姓名", "Name"), view_tr(v, "职务", "Title"), view_tr(v, "关系", "Link"),
			   view_tr(v, "单位", "Unit"));
		for (size_t i = 0; i < n_leaders; i++) {
			const struct org_leader *l = &leaders[i];
			buf_puts(b, "<tr><td>");
			view_esc(b, l->person_name);
			buf_puts(b, "</td><td>");
			view_esc(b, l->title ? l->title : "");
			buf_puts(b, "</td><td>");
			view_esc(b, link_kind_name(v, l->kind));
			buf_puts(b, "</td><td><a href=\"/units/");
			view_url_segment(b, l->unit_code);
			buf_puts(b, "\">");
			view_esc(b, l->unit_name);
			buf_puts(b, "</a></td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	buf_printf(b, "</section>\n<section>\n<h2>%s</h2>\n", view_tr(v, "营业厅", "Service halls"));
	hall_table(b, v, halls, n_halls);
	if (strcmp(unit->kind, "station") == 0 && n_halls > 0) {
		buf_puts(b, "<p><a href=\"/units/");
		view_url_segment(b, unit->code);
		buf_printf(b, "/posters\">%s</a></p>\n", view_tr(v, "打印本所全部营业厅的二维码海报", "Print the QR posters of all halls"));
	}
	buf_puts(b, "</section>\n</div>\n");
	if (p && p->blocks)
		buf_puts(b, p->blocks);
	view_end(b, v);
}

void view_hall(struct buf *b, const struct view_ctx *v, const struct org_hall *hall, const struct org_hours *hours,
	       size_t n_hours, const struct view_page *p)
{
	static const char *days_zh[] = {"", "周一", "周二", "周三", "周四", "周五", "周六", "周日"};
	static const char *days_en[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	view_begin(b, v, view_hall_name(v, hall));
	view_breadcrumbs(b, v, p ? p->crumbs : NULL, p ? p->n_crumbs : 0, view_hall_name(v, hall));
	buf_puts(b, "<h1>");
	view_esc(b, view_hall_name(v, hall));
	buf_printf(b, " <span class=\"kind\">%s</span></h1>\n", view_tr(v, "营业厅", "Service hall"));
	if (!hall->active)
		buf_printf(b, "<p class=\"notice\">%s</p>\n",
			   view_tr(v, "该营业厅已停用。", "This service hall is inactive."));
	buf_printf(b, "<dl class=\"facts\"><dt>%s</dt><dd><code>", view_tr(v, "编码", "Code"));
	view_esc(b, hall->code);
	buf_printf(b, "</code></dd><dt>%s</dt><dd>", view_tr(v, "地址", "Address"));
	view_esc(b, hall->address ? hall->address : "—");
	buf_puts(b, "</dd></dl>\n");
	buf_printf(b, "<h2>%s</h2>\n", view_tr(v, "营业时间", "Opening hours"));
	if (n_hours == 0) {
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "未登记营业时间。", "No opening hours recorded."));
	} else {
		buf_printf(b, "<table class=\"hours\">\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr>"
			      "</thead>\n<tbody>\n",
			   view_tr(v, "星期", "Day"), view_tr(v, "时间", "Hours"));
		for (size_t i = 0; i < n_hours;) {
			int day = hours[i].weekday;
			buf_printf(b, "<tr><th scope=\"row\">%s</th><td>",
				   strcmp(v->lang, "en") == 0 ? days_en[day] : days_zh[day]);
			for (int first = 1; i < n_hours && hours[i].weekday == day; i++, first = 0) {
				if (!first)
					buf_puts(b, ", ");
				view_esc(b, hours[i].opens);
				buf_puts(b, "–");
				view_esc(b, hours[i].closes);
			}
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	buf_puts(b, "<p><a href=\"/halls/");
	view_url_segment(b, hall->code);
	buf_printf(b, "/poster\">%s</a></p>\n", view_tr(v, "打印评价二维码海报", "Print the survey QR poster"));
	if (p && p->filter)
		view_filter_form(b, v, p->action, p->filter);
	if (p && p->top)
		buf_puts(b, p->top);
	if (p && p->blocks)
		buf_puts(b, p->blocks);
	view_end(b, v);
}
