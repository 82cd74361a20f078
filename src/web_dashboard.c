/* web_dashboard.c — the dashboard (GET /), unit pages (GET /units/{code}) and hall pages
 * (GET /halls/{code}): the filter read from the URL, the headline figures, the
 * drill-down one level down, the satisfaction and coverage blocks, short lists
 * (follow-ups, milestones, imports), the hall heatmap, and the CSVs behind the charts.
 * Scope rules as everywhere: a station login sees its own station only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicator.h"
#include "meter.h"
#include "meter_bulk.h"
#include "org.h"
#include "stats.h"
#include "survey_bulk.h"
#include "web_int.h"

/* web_dashboard_scores_block is defined (and set) in web_score.c, the scores module. */

static int is_en(const struct http_request *req)
{
	return strcmp(req->lang, "en") == 0;
}

#define TR(req, zh, en) (is_en(req) ? (en) : (zh))

/* ---- The filter ------------------------------------------------------------------------ */

static int valid_day(const char *s)
{
	return s && strlen(s) == 10 && survey_day_number(s) >= 0;
}

/* "2026" → the year, "2026Q3" → the quarter, "2026-03" → the month. 0 if not a period. */
static int period_range(const char *p, char from[11], char to[11])
{
	size_t n = strlen(p);
	if (n < 4 || strspn(p, "0123456789") < 4)
		return 0;
	unsigned y = (unsigned)((p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
	if (y < 2000 || y > 2100)
		return 0;
	unsigned m1, m2; /* first and last month */
	if (n == 4) {
		m1 = 1;
		m2 = 12;
	} else if (n == 6 && (p[4] == 'Q' || p[4] == 'q') && p[5] >= '1' && p[5] <= '4') {
		m1 = (unsigned)(p[5] - '1') * 3 + 1;
		m2 = m1 + 2;
	} else if (n == 7 && p[4] == '-' && strspn(p + 5, "0123456789") == 2) {
		m1 = m2 = (unsigned)((p[5] - '0') * 10 + (p[6] - '0'));
		if (m1 < 1 || m1 > 12)
			return 0;
	} else {
		return 0;
	}
	char next[16];
	snprintf(from, 11, "%04u-%02u-01", y % 10000u, m1 % 100u);
	if (m2 == 12)
		snprintf(next, sizeof next, "%04u-01-01", (y + 1) % 10000u);
	else
		snprintf(next, sizeof next, "%04u-%02u-01", y % 10000u, (m2 + 1) % 100u);
	survey_day_string(survey_day_number(next) - 1, to);
	return valid_day(from) && valid_day(to);
}

void web_filter_parse(struct http_request *req, struct view_filter *f)
{
	const struct survey_settings *set = web_settings(req);
	memset(f, 0, sizeof *f);
	char today[11];
	survey_local_time(util_now(), today, NULL, NULL);
	const char *qp = http_query(req, "period"), *qf = http_query(req, "from"), *qt = http_query(req, "to");
	const char *qv = http_query(req, "verified"), *qa = http_query(req, "at"), *qu = http_query(req, "unit");
	/* to, then from: each falls back to its default when it is not a date */
	snprintf(f->to, sizeof f->to, "%s", today);
	if (qt && *qt) {
		if (valid_day(qt))
			snprintf(f->to, sizeof f->to, "%s", qt);
		else
			f->err_to = TR(req, "请输入日期 YYYY-MM-DD", "enter a date YYYY-MM-DD");
	}
	survey_day_string(survey_day_number(f->to) - 364, f->from);
	if (qf && *qf) {
		if (!valid_day(qf))
			f->err_from = TR(req, "请输入日期 YYYY-MM-DD", "enter a date YYYY-MM-DD");
		else if (survey_day_number(qf) > survey_day_number(f->to))
			f->err_from = TR(req, "起始日期晚于截止日期", "this date is after the end date");
		else if (survey_day_number(f->to) - survey_day_number(qf) > 3660)
			f->err_from = TR(req, "区间最长十年", "the range may span at most ten years");
		else
			snprintf(f->from, sizeof f->from, "%s", qf);
	}
	if (qp && *qp) {
		char pf[11], pt[11];
		if (strlen(qp) < sizeof f->period && period_range(qp, pf, pt)) {
			snprintf(f->period, sizeof f->period, "%s", qp);
			snprintf(f->from, sizeof f->from, "%s", pf);
			snprintf(f->to, sizeof f->to, "%s", pt);
		} else {
			f->err_period = TR(req, "请输入年（2026）、季度（2026Q3）或月份（2026-03）",
					   "enter a year (2026), a quarter (2026Q3) or a month (2026-03)");
		}
	}
	f->verified_only = set->verified_only;
	if (qv && *qv) {
		if (strcmp(qv, "only") == 0)
			f->verified_only = 1;
		else if (strcmp(qv, "all") == 0)
			f->verified_only = 0;
		else
			f->err_verified = TR(req, "只能选择“全部”或“仅验证”", "choose all or verified only");
	}
	if (qa && *qa) {
		if (valid_day(qa))
			snprintf(f->at, sizeof f->at, "%s", qa);
		else
			f->err_at = TR(req, "请输入日期 YYYY-MM-DD", "enter a date YYYY-MM-DD");
	}
	if (qu && *qu)
		snprintf(f->unit, sizeof f->unit, "%.64s", qu);
}

/* ---- Shared parts ------------------------------------------------------------------------ */

/* The unit's ancestors within the caller's scope, company first. Free with org_units_free. */
static void crumbs_of(struct http_request *req, const char *parent_code, struct org_unit **out, size_t *n)
{
	int64_t scope = web_scope_unit(req);
	struct org_unit chain[16];
	size_t k = 0;
	char *code = parent_code ? xstrdup(parent_code) : NULL;
	while (code && k < 16) {
		struct org_unit u;
		if (org_unit_get(req->db, code, &u) != GS_OK)
			break;
		free(code);
		if (scope && org_unit_within(req->db, u.id, scope) != 1) {
			org_unit_clear(&u);
			code = NULL;
			break;
		}
		code = u.parent_code ? xstrdup(u.parent_code) : NULL;
		chain[k++] = u;
	}
	free(code);
	*out = k ? xcalloc(k, sizeof **out) : NULL;
	for (size_t i = 0; i < k; i++)
		(*out)[i] = chain[k - 1 - i];
	*n = k;
}

static int64_t today_number(char today[11])
{
	survey_local_time(util_now(), today, NULL, NULL);
	return survey_day_number(today);
}

/* Stats of one child scope (counts only, from the aggregates). */
static void child_stats(struct http_request *req, const struct view_filter *f, const struct survey_scope *sc,
			struct view_child *c)
{
	struct survey_stats s;
	if (survey_stats_get(req->db, web_settings(req), sc, f->from, f->to, f->verified_only,
			     0, &s) == GS_OK) {
		c->responses = s.responses;
		c->satisfied = s.satisfied;
		c->rate = s.rate;
		c->ci_low = s.ci_low;
		c->ci_high = s.ci_high;
		survey_stats_clear(&s);
	}
}

static int cmp_unit_id(const void *a, const void *b)
{
	int64_t x = ((const struct org_unit *)a)->id, y = ((const struct org_unit *)b)->id;
	return x < y ? -1 : x > y;
}

/* The units one level below subtree[0] into kids (returns how many): their counts from
 * one in-memory sum (survey_bulk_units_range), their coverage from every station's
 * running totals read once (meter_bulk_coverage_at) and pooled up to the child, instead
 * of a statistics call and a coverage query per child. */
static size_t drill_units(struct http_request *req, const struct view_filter *f, const struct org_unit *subtree,
			  size_t ns, const char *today, struct view_child *kids)
{
	size_t nk = 0;
	int64_t *ids = xcalloc(ns + 1, sizeof *ids);
	int need_cov = 0;
	for (size_t i = 1; i < ns; i++) {
		if (subtree[i].depth != subtree[0].depth + 1)
			continue;
		kids[nk].unit = &subtree[i];
		ids[nk++] = subtree[i].id;
		need_cov |= strcmp(subtree[i].kind, "team") != 0;
	}
	struct survey_bulk_count *cnt = xcalloc(nk + 1, sizeof *cnt);
	if (nk && survey_bulk_units_range(req->db, ids, nk, f->from, f->to, f->verified_only, cnt) == GS_OK) {
		for (size_t k = 0; k < nk; k++) {
			struct view_child *c = &kids[k];
			c->responses = cnt[k].responses;
			c->satisfied = cnt[k].satisfied;
			if (c->responses > 0) {
				struct stats_proportion w = stats_wilson(c->satisfied, c->responses, STATS_Z95);
				c->rate = w.rate;
				c->ci_low = w.low;
				c->ci_high = w.high;
			}
		}
	}
	free(cnt);
	free(ids);
	struct meter_bulk_station *st = NULL;
	size_t nst = 0;
	if (need_cov && meter_bulk_coverage_at(req->db, f->at[0] ? f->at : today, &st, &nst) == GS_OK) {
		/* each station of the subtree counts for the child above it: walk up by parent id */
		struct org_unit *byid = xcalloc(ns + 1, sizeof *byid);
		memcpy(byid, subtree, ns * sizeof *byid);
		qsort(byid, ns, sizeof *byid, cmp_unit_id);
		for (size_t k = 0; k < nk; k++)
			if (strcmp(kids[k].unit->kind, "team") != 0) {
				kids[k].have_cov = 1;
				snprintf(kids[k].cov.day, sizeof kids[k].cov.day, "%s", f->at[0] ? f->at : today);
			}
		for (size_t i = 0; i < nst; i++) {
			struct org_unit key = {.id = st[i].station_id};
			const struct org_unit *u = bsearch(&key, byid, ns, sizeof *byid, cmp_unit_id);
			while (u && u->depth > subtree[0].depth + 1) {
				key.id = u->parent_id;
				u = bsearch(&key, byid, ns, sizeof *byid, cmp_unit_id);
			}
			if (!u || u->depth != subtree[0].depth + 1)
				continue; /* not below this unit */
			for (size_t k = 0; k < nk; k++)
				if (kids[k].unit->id == u->id && kids[k].have_cov) {
					kids[k].cov.points += st[i].points;
					kids[k].cov.smart += st[i].smart;
				}
		}
		for (size_t k = 0; k < nk; k++)
			if (kids[k].cov.points > 0)
				kids[k].cov.rate = (double)kids[k].cov.smart / (double)kids[k].cov.points;
		free(byid);
	}
	free(st);
	return nk;
}

static char *steal(struct buf *b)
{
	if (b->failed || buf_putc(b, '\0') != GS_OK) {
		buf_free(b);
		return NULL;
	}
	return buf_steal(b, NULL);
}

static void append_free(struct buf *b, char *html)
{
	if (html)
		buf_puts(b, html);
	free(html);
}

/* ---- Unit pages and the dashboard ------------------------------------------------------- */

/* Renders the page of unit (the dashboard when dashboard = 1) with the filter f. */
static enum gs_result unit_page(struct http_request *req, struct http_response *res, const struct org_unit *unit,
				struct view_filter *f, int dashboard)
{
	const struct survey_settings *set = web_settings(req);
	struct org_unit *subtree = NULL, *crumbs = NULL, *scope_units = NULL;
	struct org_hall *halls = NULL;
	struct org_leader *leaders = NULL;
	struct survey_followup *fu = NULL;
	struct indicator_milestone *ms = NULL;
	struct meter_import_row *imports = NULL;
	size_t ns = 0, nh = 0, nl = 0, nc = 0, nsu = 0, nfu = 0, nms = 0, nim = 0;
	enum gs_result r = org_units_list(req->db, unit->id, &subtree, &ns);
	if (r == GS_OK)
		r = org_halls_list(req->db, unit->id, &halls, &nh);
	if (r == GS_OK && !dashboard)
		r = org_leaders_of_unit(req->db, unit->id, &leaders, &nl);
	if (r == GS_OK && dashboard)
		r = org_units_list(req->db, web_scope_unit(req), &scope_units, &nsu);
	if (r != GS_OK)
		goto out;
	if (!dashboard)
		crumbs_of(req, unit->parent_code, &crumbs, &nc);
	if (dashboard) {
		f->units = scope_units;
		f->n_units = nsu;
		if (!f->unit[0])
			snprintf(f->unit, sizeof f->unit, "%s", unit->code);
	}
	struct view_ctx v;
	web_view_ctx(req, &v);
	struct survey_scope sc = {.unit_id = unit->id};
	struct web_sat_summary sat;
	struct web_cov_summary cov;
	char *sat_html = web_survey_block(req, &v, &sc, unit->id, unit->code, f, &sat);
	char *cov_html = web_coverage_block(req, &v, unit, &cov);
	char *scores_html = web_dashboard_scores_block ? web_dashboard_scores_block(req, &v, unit, f) : NULL;

	char today[11], soon[11];
	survey_day_string(today_number(today) + 30, soon);
	long milestones = -1;
	if (indicator_milestones_list(req->db, unit->id, today, soon, &ms, &nms) == GS_OK)
		milestones = (long)nms;
	else
		ms = NULL, nms = 0;
	if (survey_followups_list(req->db, unit->id, 0, 5, &fu, &nfu) != GS_OK)
		fu = NULL, nfu = 0;
	int everything = unit->parent_id == 0 && req->user.role >= AUTH_ROLE_MANAGER;
	if (meter_imports_list(req->db, everything ? 0 : unit->id, everything ? 0 : req->user.id, 5, 0, &imports, &nim) !=
	    GS_OK)
		imports = NULL, nim = 0;

	/* the drill-down: units one level down, and a station's halls */
	struct view_child *kids = xcalloc(ns + nh + 1, sizeof *kids);
	size_t nk = drill_units(req, f, subtree, ns, today, kids);
	if (strcmp(unit->kind, "station") == 0) {
		for (size_t i = 0; i < nh; i++) {
			struct view_child *c = &kids[nk++];
			c->hall = &halls[i];
			struct survey_scope hsc = {.hall_id = halls[i].id};
			child_stats(req, f, &hsc, c);
		}
	}

	struct buf top, blocks;
	buf_init(&top, 1 << 20);
	buf_init(&blocks, 4 << 20);
	struct view_figures fig = {.code = unit->code,
				   .filter = f,
				   .have_sat = sat.ok,
				   .responses = sat.responses,
				   .satisfied = sat.satisfied,
				   .verified = sat.verified,
				   .rate = sat.rate,
				   .ci_low = sat.ci_low,
				   .ci_high = sat.ci_high,
				   .sample_ok = sat.sample_ok,
				   .have_cov = cov.ok,
				   .cov = cov.cov,
				   .proj = cov.have_proj ? &cov.proj : NULL,
				   .followups_open = sat.followups_open,
				   .followups_overdue = sat.followups_overdue,
				   .milestones_due = milestones,
				   .late_stations = cov.late_stations};
	view_figures(&top, &v, &fig);
	if (scores_html) {
		buf_puts(&top, scores_html);
		free(scores_html);
	}
	struct buf csv;
	buf_init(&csv, 1024);
	buf_puts(&csv, "/units/");
	view_url_segment(&csv, unit->code);
	buf_puts(&csv, "/satisfaction.csv?from=");
	buf_puts(&csv, f->from);
	buf_puts(&csv, "&to=");
	buf_puts(&csv, f->to);
	buf_puts(&csv, f->verified_only ? "&verified=only" : "&verified=all");
	view_children(&top, &v, strcmp(unit->kind, "station") == 0 ? TR(req, "下属班组与营业厅", "Teams and service halls")
								    : TR(req, "下一级单位", "One level down"),
		      kids, nk, set->min_breakdown, "drill", csv.data, f);
	buf_free(&csv);
	append_free(&blocks, sat_html);
	append_free(&blocks, cov_html);
	buf_puts(&blocks, "<div class=\"cols\">\n");
	view_followups_brief(&blocks, &v, fu, nfu, sat.followups_open, util_now());
	view_milestones_brief(&blocks, &v, ms, nms, today);
	buf_puts(&blocks, "</div>\n");
	view_imports_brief(&blocks, &v, imports, nim);
	char *top_html = steal(&top), *blocks_html = steal(&blocks);
	if (view_filter_invalid(f))
		res->status = 400;
	if (dashboard) {
		struct buf extra;
		buf_init(&extra, 8 << 20);
		view_filter_form(&extra, &v, "/", f);
		if (top_html)
			buf_puts(&extra, top_html);
		if (blocks_html)
			buf_puts(&extra, blocks_html);
		char *extra_html = steal(&extra);
		view_dashboard(&res->body, &v, subtree, ns, halls, nh, extra_html);
		free(extra_html);
	} else {
		char action[ROUTE_PARAM_MAX + 16];
		struct buf a;
		buf_init(&a, sizeof action);
		buf_puts(&a, "/units/");
		view_url_segment(&a, unit->code);
		struct view_page p = {.crumbs = crumbs,
				      .n_crumbs = nc,
				      .filter = f,
				      .action = a.data,
				      .top = top_html,
				      .blocks = blocks_html};
		view_unit(&res->body, &v, unit, subtree, ns, halls, nh, leaders, nl, &p);
		buf_free(&a);
	}
	free(top_html);
	free(blocks_html);
	free(kids);
out:
	org_units_free(subtree, ns);
	org_units_free(crumbs, nc);
	org_units_free(scope_units, nsu);
	org_halls_free(halls, nh);
	org_leaders_free(leaders, nl);
	survey_followups_free(fu, nfu);
	indicator_milestones_free(ms, nms);
	meter_imports_free(imports, nim);
	return r;
}

enum gs_result web_dashboard(struct http_request *req, struct http_response *res)
{
	int64_t scope = web_scope_unit(req);
	if (scope < 0)
		return http_fail(res, GS_ERR_FORBIDDEN, "nothing in scope");
	struct view_filter f;
	web_filter_parse(req, &f);
	struct org_unit *units = NULL;
	size_t nu = 0;
	enum gs_result r = org_units_list(req->db, scope, &units, &nu);
	if (r != GS_OK)
		return r;
	if (nu == 0) {
		org_units_free(units, nu);
		struct view_ctx v;
		web_view_ctx(req, &v);
		view_dashboard(&res->body, &v, NULL, 0, NULL, 0, NULL);
		return GS_OK;
	}
	/* the unit selector: any unit within the caller's scope */
	const struct org_unit *unit = &units[0];
	if (f.unit[0]) {
		const struct org_unit *pick = NULL;
		for (size_t i = 0; i < nu && !pick; i++)
			if (strcmp(units[i].code, f.unit) == 0)
				pick = &units[i];
		if (pick)
			unit = pick;
		else
			f.err_unit = TR(req, "没有此单位，或不在您的权限范围内", "no such unit in your scope");
	}
	struct org_unit copy = *unit;
	r = unit_page(req, res, &copy, &f, 1);
	org_units_free(units, nu);
	return r;
}

enum gs_result web_unit_page(struct http_request *req, struct http_response *res)
{
	struct org_unit unit = {0};
	enum gs_result r = org_unit_get(req->db, req->match.params[0], &unit);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", TR(req, "没有此编码的单位", "no unit with code"), req->match.params[0]);
	if (r == GS_OK)
		r = web_check_scope(req, res, unit.id);
	if (r == GS_OK) {
		struct view_filter f;
		web_filter_parse(req, &f);
		r = unit_page(req, res, &unit, &f, 0);
	}
	org_unit_clear(&unit);
	return r;
}

/* ---- Hall pages -------------------------------------------------------------------------- */

struct heat {
	int64_t n[8][24];
	int64_t total;
	int verified_only;
};

static enum gs_result heat_add(void *ctx, const struct survey_response *x)
{
	struct heat *h = ctx;
	if (x->flags || (h->verified_only && !x->verified))
		return GS_OK;
	char day[11];
	int hour = 0, wd = 1;
	survey_local_time(x->submitted_at, day, &hour, &wd);
	if (hour >= 0 && hour < 24 && wd >= 1 && wd <= 7) {
		h->n[wd][hour]++;
		h->total++;
	}
	return GS_OK;
}

/* Counted responses of the hall by weekday and hour over the filter's range. */
static enum gs_result heat_collect(struct http_request *req, int64_t hall_id, const struct view_filter *f,
				   struct heat *h)
{
	memset(h, 0, sizeof *h);
	h->verified_only = f->verified_only;
	/* all responses: the hall's hourly rows (one index range); the hourly rows do not
	 * tell verified ones apart, so verified only counts the raw responses */
	if (!f->verified_only)
		return survey_bulk_hall_heatmap(req->db, hall_id, f->from, f->to, h->n, &h->total);
	struct survey_scope sc = {.hall_id = hall_id};
	return survey_responses_each(req->db, &sc, f->from, f->to, 0, 0, 200000, heat_add, h);
}

/* The hall by the route's {code}, within the caller's scope. */
static enum gs_result hall_in_scope(struct http_request *req, struct http_response *res, struct org_hall *hall)
{
	enum gs_result r = org_hall_get(req->db, req->match.params[0], hall);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", TR(req, "没有此编码的营业厅", "no service hall with code"),
				 req->match.params[0]);
	if (r == GS_OK && (r = web_check_scope(req, res, hall->station_id)) != GS_OK)
		org_hall_clear(hall);
	return r;
}

enum gs_result web_hall_page(struct http_request *req, struct http_response *res)
{
	const struct survey_settings *set = web_settings(req);
	struct org_hall hall = {0};
	struct org_hours *hours = NULL;
	struct org_unit *crumbs = NULL;
	struct survey_followup *fu = NULL;
	size_t n = 0, nc = 0, nfu = 0;
	enum gs_result r = hall_in_scope(req, res, &hall);
	if (r != GS_OK)
		return r;
	r = org_hall_hours(req->db, hall.id, &hours, &n);
	if (r == GS_OK) {
		struct view_filter f;
		web_filter_parse(req, &f);
		struct view_ctx v;
		web_view_ctx(req, &v);
		crumbs_of(req, hall.station_code, &crumbs, &nc);
		struct survey_scope scope = {.hall_id = hall.id};
		struct web_sat_summary sat;
		char *block = web_survey_block(req, &v, &scope, hall.station_id, hall.code, &f, &sat);
		struct buf top, blocks;
		buf_init(&top, 1 << 20);
		buf_init(&blocks, 4 << 20);
		struct view_figures fig = {.code = hall.code,
					   .is_hall = 1,
					   .filter = &f,
					   .have_sat = sat.ok,
					   .responses = sat.responses,
					   .satisfied = sat.satisfied,
					   .verified = sat.verified,
					   .rate = sat.rate,
					   .ci_low = sat.ci_low,
					   .ci_high = sat.ci_high,
					   .sample_ok = sat.sample_ok,
					   .followups_open = sat.followups_open,
					   .followups_overdue = sat.followups_overdue,
					   .milestones_due = -1};
		view_figures(&top, &v, &fig);
		append_free(&blocks, block);
		/* the heatmap only for a hall with enough responses to show any breakdown */
		struct heat h;
		if (sat.ok && sat.responses >= set->min_breakdown && heat_collect(req, hall.id, &f, &h) == GS_OK) {
			struct buf csv;
			buf_init(&csv, 1024);
			buf_puts(&csv, "/halls/");
			view_url_segment(&csv, hall.code);
			buf_puts(&csv, "/heatmap.csv?");
			view_filter_query(&csv, &f);
			/* view_filter_query escapes & for HTML; the chart escapes again: undo ours */
			char *href = xstrdup(csv.data);
			for (char *p = strstr(href, "&amp;"); p; p = strstr(p + 1, "&amp;"))
				memmove(p + 1, p + 5, strlen(p + 5) + 1);
			view_heatmap(&blocks, &v, (const int64_t(*)[24])h.n, set->min_breakdown, href);
			free(href);
			buf_free(&csv);
		}
		/* this hall's open follow-ups */
		if (survey_followups_list(req->db, hall.station_id, 0, 500, &fu, &nfu) == GS_OK) {
			size_t k = 0;
			for (size_t i = 0; i < nfu; i++) {
				if (strcmp(fu[i].hall_code, hall.code) != 0 || k >= 10)
					continue;
				if (k != i) {
					struct survey_followup t = fu[k];
					fu[k] = fu[i];
					fu[i] = t;
				}
				k++;
			}
			int64_t open = 0;
			for (size_t i = 0; i < nfu; i++)
				open += strcmp(fu[i].hall_code, hall.code) == 0;
			view_followups_brief(&blocks, &v, fu, k, open, util_now());
		}
		char *top_html = steal(&top), *blocks_html = steal(&blocks);
		struct buf a;
		buf_init(&a, 512);
		buf_puts(&a, "/halls/");
		view_url_segment(&a, hall.code);
		struct view_page p = {.crumbs = crumbs,
				      .n_crumbs = nc,
				      .filter = &f,
				      .action = a.data,
				      .top = top_html,
				      .blocks = blocks_html};
		if (view_filter_invalid(&f))
			res->status = 400;
		view_hall(&res->body, &v, &hall, hours, n, &p);
		buf_free(&a);
		free(top_html);
		free(blocks_html);
	}
	org_hall_clear(&hall);
	org_units_free(crumbs, nc);
	survey_followups_free(fu, nfu);
	free(hours);
	return r;
}

/* ---- CSVs behind the charts -------------------------------------------------------------- */

static void csv_begin(struct http_response *res, const char *what, const char *code, const struct view_filter *f)
{
	char cd[ROUTE_PARAM_MAX + 128];
	snprintf(cd, sizeof cd, "attachment; filename=\"%s-%s-%s-%s.csv\"", what, code, f->from, f->to);
	res->content_type = "text/csv; charset=utf-8";
	http_add_header(res, "Content-Disposition", cd);
	buf_puts(&res->body, "\xEF\xBB\xBF"); /* a BOM, so spreadsheet programs read UTF-8 */
}

/* A CSV's filter must be valid: a bad value is a 400 saying which, not a default. */
static enum gs_result filter_strict(struct http_request *req, struct http_response *res, struct view_filter *f)
{
	web_filter_parse(req, f);
	const char *field = f->err_from ? "from" : f->err_to ? "to" : f->err_period ? "period"
			    : f->err_verified ? "verified" : NULL;
	const char *msg = f->err_from ? f->err_from : f->err_to ? f->err_to : f->err_period ? f->err_period
			  : f->err_verified;
	if (field)
		return http_fail(res, GS_ERR_INVALID, "%s: %s", field, msg);
	return GS_OK;
}

/* GET /units/{code}/satisfaction-months.csv and /halls/{code}/satisfaction-months.csv:
 * the trend chart's data (groups under the privacy minimum keep their count only). */
enum gs_result web_satisfaction_months_csv(struct http_request *req, struct http_response *res)
{
	const struct survey_settings *set = web_settings(req);
	struct view_filter f;
	enum gs_result r = filter_strict(req, res, &f);
	if (r != GS_OK)
		return r;
	struct survey_scope sc = {0};
	int hall = strncmp(req->path, "/halls/", 7) == 0;
	if (hall) {
		struct org_hall h;
		if ((r = hall_in_scope(req, res, &h)) != GS_OK)
			return r;
		sc.hall_id = h.id;
		org_hall_clear(&h);
	} else {
		struct org_unit u;
		r = org_unit_get(req->db, req->match.params[0], &u);
		if (r == GS_ERR_NOT_FOUND)
			return http_fail(res, r, "%s '%s'", TR(req, "没有此编码的单位", "no unit with code"), req->match.params[0]);
		if (r != GS_OK)
			return r;
		sc.unit_id = u.id;
		org_unit_clear(&u);
		if ((r = web_check_scope(req, res, sc.unit_id)) != GS_OK)
			return r;
	}
	if (survey_day_number(f.to) - survey_day_number(f.from) > 3 * 366)
		return http_fail(res, GS_ERR_INVALID, "from: the monthly series may span at most 36 months");
	struct survey_month *m = NULL;
	size_t n = 0;
	r = survey_monthly(req->db, &sc, f.from, f.to, f.verified_only, &m, &n);
	if (r != GS_OK)
		return r;
	csv_begin(res, "satisfaction-months", req->match.params[0], &f);
	buf_puts(&res->body, "month,responses,satisfied,rate,ci_low,ci_high\r\n");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&res->body, "%s,%lld,", m[i].month, (long long)m[i].responses);
		if (m[i].responses >= set->min_breakdown && m[i].responses > 0) {
			struct stats_proportion w = stats_wilson(m[i].satisfied, m[i].responses, STATS_Z95);
			buf_printf(&res->body, "%lld,%.4f,%.4f,%.4f\r\n", (long long)m[i].satisfied, w.rate, w.low, w.high);
		} else {
			buf_puts(&res->body, ",,,\r\n");
		}
	}
	free(m);
	return GS_OK;
}

/* GET /halls/{code}/heatmap.csv: counted responses by weekday (1 = Monday) and hour;
 * cells under the privacy minimum are blank. */
enum gs_result web_hall_heatmap_csv(struct http_request *req, struct http_response *res)
{
	const struct survey_settings *set = web_settings(req);
	struct view_filter f;
	enum gs_result r = filter_strict(req, res, &f);
	if (r != GS_OK)
		return r;
	struct org_hall h;
	if ((r = hall_in_scope(req, res, &h)) != GS_OK)
		return r;
	struct heat *heat = xcalloc(1, sizeof *heat);
	r = heat_collect(req, h.id, &f, heat);
	if (r == GS_OK) {
		csv_begin(res, "heatmap", h.code, &f);
		buf_puts(&res->body, "weekday,hour,responses\r\n");
		int show = heat->total >= set->min_breakdown;
		for (int d = 1; d <= 7; d++)
			for (int hr = 0; hr < 24; hr++) {
				int64_t x = heat->n[d][hr];
				if (show && (x == 0 || x >= set->min_breakdown))
					buf_printf(&res->body, "%d,%d,%lld\r\n", d, hr, (long long)x);
				else
					buf_printf(&res->body, "%d,%d,\r\n", d, hr);
			}
	}
	free(heat);
	org_hall_clear(&h);
	return r;
}
