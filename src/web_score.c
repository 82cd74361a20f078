/* web_score.c — handlers of unit scores: the league table (GET /scores), the printable
 * report and its CSV (GET /reports/{period}.html|.csv), the scores API, manual entry by
 * evaluating departments, deductions and bonuses (record, confirm, reject), and period
 * close/reopen. They call the functions the CLI uses (scoring.h, indicator.h); a
 * station user sees only their own station. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicator.h"
#include "meter.h"
#include "org.h"
#include "scoring.h"
#include "view_score.h"
#include "web_int.h"

static int is_en(const struct http_request *req)
{
	return strcmp(req->lang, "en") == 0;
}

/* The period of ?period= (or a form field), default the current quarter; GS_ERR_INVALID
 * with a message for anything else than YYYY or YYYYQn. */
static enum gs_result period_param(struct http_request *req, struct http_response *res, const char *given,
				   char out[SCORE_PERIOD_MAX])
{
	struct score_period p;
	if (!given || !*given) {
		scoring_current_quarter(util_now(), out);
		return GS_OK;
	}
	if (score_period_parse(given, &p) != GS_OK)
		return http_fail(res, GS_ERR_INVALID, "period: %s '%.16s'",
				 is_en(req) ? "expected a quarter (2026Q3) or a year (2026), got" : "考核期应为季度（如 2026Q3）或年度（如 2026），收到",
				 given);
	score_period_format(&p, out);
	return GS_OK;
}

/* The unit code a caller's views are limited to: NULL for the whole company. */
static enum gs_result scope_code(struct http_request *req, struct http_response *res, char *out, size_t cap,
				 const char **within)
{
	int64_t scope = web_scope_unit(req);
	*within = NULL;
	if (scope < 0)
		return http_fail(res, GS_ERR_FORBIDDEN, "nothing in scope");
	if (scope == 0)
		return GS_OK;
	if (!req->by_token) {
		snprintf(out, cap, "%s", req->user.unit_code);
	} else {
		struct org_hall h;
		if (org_hall_get(req->db, req->token.hall_code, &h) != GS_OK)
			return http_fail(res, GS_ERR_FORBIDDEN, "nothing in scope");
		snprintf(out, cap, "%s", h.station_code);
		org_hall_clear(&h);
	}
	*within = out;
	return GS_OK;
}

static enum gs_result load_report(struct http_request *req, struct http_response *res, const char *period,
				  struct scoring_result **out)
{
	char err[INDICATOR_ERR_MAX] = "";
	enum gs_result r = scoring_report(req->db, period, util_now(), out, err, sizeof err);
	if (r != GS_OK)
		return http_fail(res, r, "%s", err[0] ? err : gs_result_str(r));
	return GS_OK;
}

static int can_close(const struct http_request *req)
{
	return !req->by_token && (req->user.role == AUTH_ROLE_ADMIN || req->user.role == AUTH_ROLE_MANAGER);
}

static enum gs_result render_scores(struct http_request *req, struct http_response *res, const char *period,
				    const char *error)
{
	char code[AUTH_CODE_MAX + 1];
	const char *within;
	struct scoring_result *r = NULL;
	enum gs_result rc = scope_code(req, res, code, sizeof code, &within);
	if (rc == GS_OK)
		rc = load_report(req, res, period, &r);
	if (rc != GS_OK)
		return rc;
	struct view_ctx v;
	web_view_ctx(req, &v);
	struct view_scores s = {.r = r,
				.within = within,
				.period = period,
				.can_close = can_close(req),
				.can_reopen = !req->by_token && req->user.role == AUTH_ROLE_ADMIN,
				.error = error};
	view_scores_page(&res->body, &v, &s);
	scoring_free(r);
	return GS_OK;
}

/* The scores block of the dashboard and unit pages (web_int.h's hook): the current
 * quarter's league table below the page's unit, which the page has checked is in the
 * caller's scope. The report comes from the cache while nothing changed, and while only
 * customers' responses arrived for up to LEAGUE_MAX_AGE_S after it was computed (the
 * block says when; the server's warmer computes the new version meanwhile).
 * NULL (no block) when the report cannot be made; the page goes on without it. */
#define LEAGUE_MAX_AGE_S 60
static char *scores_block(struct http_request *req, const struct view_ctx *v, const struct org_unit *unit,
			  const struct view_filter *f)
{
	char period[SCORE_PERIOD_MAX], err[INDICATOR_ERR_MAX] = "";
	struct scoring_result *r = NULL;
	int64_t now = util_now();
	scoring_current_quarter(now, period);
	if (scoring_report_recent(req->db, period, now, LEAGUE_MAX_AGE_S, &r, err, sizeof err) != GS_OK) {
		log_warn("dashboard scores: %s", err);
		return NULL;
	}
	struct buf b;
	buf_init(&b, 1 << 20);
	view_score_league(&b, v, r, unit->code);
	scoring_free(r);
	char *html = b.failed ? NULL : buf_steal(&b, NULL);
	buf_free(&b);
	return html;
}

web_block_fn web_dashboard_scores_block = scores_block;

/* GET /scores?period= */
enum gs_result web_scores_page(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX];
	enum gs_result r = period_param(req, res, http_query(req, "period"), period);
	return r == GS_OK ? render_scores(req, res, period, NULL) : r;
}

/* GET /reports/{period}.html and .csv */
static enum gs_result report(struct http_request *req, struct http_response *res, int csv)
{
	char period[SCORE_PERIOD_MAX], code[AUTH_CODE_MAX + 1];
	const char *within;
	struct scoring_result *r = NULL;
	enum gs_result rc = period_param(req, res, req->match.params[0], period);
	if (rc == GS_OK)
		rc = scope_code(req, res, code, sizeof code, &within);
	if (rc == GS_OK)
		rc = load_report(req, res, period, &r);
	if (rc != GS_OK)
		return rc;
	if (csv) {
		char disp[96];
		res->content_type = "text/csv; charset=utf-8";
		snprintf(disp, sizeof disp, "attachment; filename=\"scores-%s.csv\"", period);
		http_add_header(res, "Content-Disposition", disp);
		view_score_csv(&res->body, r, within);
	} else {
		struct view_ctx v;
		web_view_ctx(req, &v);
		view_score_report(&res->body, &v, r, within, 0);
	}
	scoring_free(r);
	return GS_OK;
}

enum gs_result web_report_html(struct http_request *req, struct http_response *res)
{
	return report(req, res, 0);
}

enum gs_result web_report_csv(struct http_request *req, struct http_response *res)
{
	return report(req, res, 1);
}

/* GET /api/v1/scores?period= */
enum gs_result web_api_scores(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX], code[AUTH_CODE_MAX + 1];
	const char *within;
	struct scoring_result *r = NULL;
	enum gs_result rc = period_param(req, res, http_query(req, "period"), period);
	if (rc == GS_OK)
		rc = scope_code(req, res, code, sizeof code, &within);
	if (rc == GS_OK)
		rc = load_report(req, res, period, &r);
	if (rc != GS_OK)
		return rc;
	char *s = view_score_api_json(r, within);
	res->content_type = "application/json";
	buf_puts(&res->body, s);
	buf_putc(&res->body, '\n');
	free(s);
	scoring_free(r);
	return GS_OK;
}

/* ---- forms ------------------------------------------------------------------------------ */

/* Which field a refusal of the domain is about, for the message beside it. */
static const char *field_of(enum gs_result r, const char *msg)
{
	if (r == GS_ERR_FORBIDDEN || r == GS_ERR_CONFLICT)
		return "";
	if (strstr(msg, "points"))
		return "points";
	if (strstr(msg, "reason") || strstr(msg, "evidence"))
		return strstr(msg, "reason") ? "reason" : "evidence";
	if (strstr(msg, "source"))
		return "source";
	if (strstr(msg, "score ") || strstr(msg, "actual ") || strstr(msg, "number") || strstr(msg, "enter a"))
		return "value";
	if (strstr(msg, "unit '"))
		return "unit";
	if (strstr(msg, "note"))
		return "note";
	if (strstr(msg, "period"))
		return "";
	return "indicator";
}

/* A number from a form field: the whole text, finite. */
static int parse_number(const char *s, double *out)
{
	if (!s || !*s)
		return 0;
	char *end = NULL;
	errno = 0;
	double x = strtod(s, &end);
	while (end && (*end == ' ' || *end == '\t'))
		end++;
	if (errno || !end || *end || !isfinite(x))
		return 0;
	*out = x;
	return 1;
}

/* The manual indicators the caller's department evaluates, and the units they apply to. */
static enum gs_result manual_choices(struct http_request *req, struct indicator **inds, size_t *ni,
				     struct org_unit **units, size_t *nu)
{
	struct indicator *all = NULL;
	struct org_unit *ua = NULL;
	size_t na = 0, nua = 0;
	*inds = NULL;
	*units = NULL;
	*ni = *nu = 0;
	enum gs_result r = indicator_list(req->db, 0, &all, &na);
	if (r == GS_OK)
		r = org_units_list(req->db, 0, &ua, &nua);
	if (r != GS_OK)
		goto out;
	*inds = xcalloc(na + 1, sizeof **inds);
	for (size_t i = 0; i < na; i++) {
		int mine = !req->by_token && req->user.unit_id && all[i].kind == INDICATOR_MANUAL &&
			   all[i].evaluator_unit_id && org_unit_within(req->db, req->user.unit_id, all[i].evaluator_unit_id) == 1;
		if (!mine) {
			indicator_clear(&all[i]);
			continue;
		}
		(*inds)[(*ni)++] = all[i]; /* moved */
	}
	free(all);
	all = NULL;
	na = 0;
	*units = xcalloc(nua + 1, sizeof **units);
	for (size_t i = 0; i < nua; i++) {
		int applies = 0;
		for (size_t k = 0; k < *ni && !applies; k++)
			applies = indicator_weight_for(&(*inds)[k], ua[i].kind) > 0;
		if (applies) {
			(*units)[(*nu)++] = ua[i];
			continue;
		}
		org_unit_clear(&ua[i]);
	}
	free(ua);
	ua = NULL;
	nua = 0;
out:
	indicator_list_free(all, na);
	org_units_free(ua, nua);
	return r;
}

static enum gs_result render_manual(struct http_request *req, struct http_response *res, const char *period,
				    const struct view_field_error *errs, size_t n_errs, const char *notice)
{
	struct indicator *inds = NULL;
	struct org_unit *units = NULL;
	struct indicator_manual_row *rows = NULL;
	size_t ni = 0, nu = 0, nr = 0;
	enum gs_result r = manual_choices(req, &inds, &ni, &units, &nu);
	if (r == GS_OK)
		r = indicator_manual_list(req->db, period, &rows, &nr);
	if (r == GS_OK) {
		/* only the rows of the indicators this department evaluates */
		size_t keep = 0;
		for (size_t i = 0; i < nr; i++) {
			int mine = 0;
			for (size_t k = 0; k < ni && !mine; k++)
				mine = strcmp(inds[k].code, rows[i].indicator_code) == 0;
			if (mine) {
				struct indicator_manual_row t = rows[keep];
				rows[keep++] = rows[i];
				rows[i] = t;
			}
		}
		struct view_ctx v;
		web_view_ctx(req, &v);
		const struct form_parser *f = n_errs ? req->form : NULL;
		struct view_manual m = {.period = period,
					.closed = indicator_period_closed(req->db, period) == 1,
					.inds = inds,
					.n_inds = ni,
					.units = units,
					.n_units = nu,
					.rows = rows,
					.n_rows = keep,
					.in_indicator = f ? form_get(req->form, "indicator") : NULL,
					.in_unit = f ? form_get(req->form, "unit") : NULL,
					.in_value = f ? form_get(req->form, "value") : NULL,
					.in_note = f ? form_get(req->form, "note") : NULL,
					.errs = errs,
					.n_errs = n_errs,
					.notice = notice};
		view_manual_page(&res->body, &v, &m);
	}
	indicator_list_free(inds, ni);
	org_units_free(units, nu);
	indicator_manual_free(rows, nr);
	return r;
}

/* GET /scores/manual?period= */
enum gs_result web_manual_page(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX];
	enum gs_result r = period_param(req, res, http_query(req, "period"), period);
	if (r != GS_OK)
		return r;
	const char *saved = http_query(req, "saved");
	return render_manual(req, res, period, NULL, 0,
			     saved ? (is_en(req) ? "Saved." : "已保存。") : NULL);
}

/* POST /scores/manual: period, indicator, unit, value, note */
enum gs_result web_manual_post(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX];
	enum gs_result r = period_param(req, res, form_get(req->form, "period"), period);
	if (r != GS_OK)
		return r;
	double value = 0;
	const char *indicator = form_get(req->form, "indicator");
	struct view_field_error e = {0};
	char err[INDICATOR_ERR_MAX] = "";
	if (!parse_number(form_get(req->form, "value"), &value)) {
		e.field = "value";
		e.message = is_en(req) ? "enter a number, e.g. 96.5 or 0.93" : "请输入数字，如 96.5 或 0.93";
		res->status = 422;
		return render_manual(req, res, period, &e, 1, NULL);
	}
	/* direct-method indicators take a score; the others an actual */
	struct indicator ind = {0};
	struct indicator_params p;
	struct score_period per;
	int is_score = 0;
	score_period_parse(period, &per);
	if (indicator && indicator_get(req->db, indicator, &ind) == GS_OK) {
		if (indicator_params_get(req->db, ind.id, &per, &p) == GS_OK)
			is_score = p.method == INDICATOR_DIRECT;
		indicator_clear(&ind);
	}
	const char *note = form_get(req->form, "note");
	r = indicator_manual_set(req->db, &req->user, indicator, form_get(req->form, "unit"), period, is_score, value,
				 note && *note ? note : NULL, util_now(), err, sizeof err);
	if (r == GS_OK) {
		char loc[64];
		snprintf(loc, sizeof loc, "/scores/manual?period=%s&saved=1", period);
		http_redirect(res, 303, loc);
		return GS_OK;
	}
	if (r == GS_ERR_DB || r == GS_ERR_BUSY || r == GS_ERR_INTERNAL)
		return http_fail(res, r, "%s", err);
	e.field = field_of(r, err);
	e.message = err;
	res->status = r == GS_ERR_INVALID || r == GS_ERR_NOT_FOUND ? 422 : http_status_for(r);
	return render_manual(req, res, period, &e, 1, NULL);
}

static int may_decide(struct http_request *req)
{
	if (req->by_token)
		return 0;
	if (req->user.role == AUTH_ROLE_ADMIN)
		return 1;
	if (req->user.role == AUTH_ROLE_STATION || !req->user.unit_code[0])
		return 0;
	struct org_unit u;
	if (org_unit_get(req->db, req->user.unit_code, &u) != GS_OK)
		return 0;
	int dept = strcmp(u.kind, "department") == 0;
	org_unit_clear(&u);
	return dept;
}

static enum gs_result render_adjustments(struct http_request *req, struct http_response *res, const char *period,
					 const struct view_field_error *errs, size_t n_errs, const char *notice)
{
	struct indicator_adjustment_row *rows = NULL;
	struct org_unit *units = NULL;
	struct indicator *inds = NULL;
	size_t nr = 0, nu = 0, ni = 0;
	char code[AUTH_CODE_MAX + 1];
	const char *within;
	enum gs_result r = scope_code(req, res, code, sizeof code, &within);
	if (r == GS_OK)
		r = indicator_adjustments_list(req->db, period, &rows, &nr);
	if (r == GS_OK)
		r = org_units_list(req->db, 0, &units, &nu);
	if (r == GS_OK)
		r = indicator_list(req->db, 0, &inds, &ni);
	if (r == GS_OK) {
		/* station users see their own station's rows only */
		size_t keep = 0;
		for (size_t i = 0; i < nr; i++) {
			struct org_unit u;
			int in = !within;
			if (!in && org_unit_get(req->db, rows[i].unit_code, &u) == GS_OK) {
				in = org_unit_within(req->db, u.id, req->user.unit_id) == 1;
				org_unit_clear(&u);
			}
			if (in) {
				struct indicator_adjustment_row t = rows[keep];
				rows[keep++] = rows[i];
				rows[i] = t;
			}
		}
		struct view_ctx v;
		web_view_ctx(req, &v);
		int echo = n_errs > 0;
		struct view_adjustments a = {.period = period,
					     .closed = indicator_period_closed(req->db, period) == 1,
					     .can_decide = may_decide(req),
					     .rows = rows,
					     .n_rows = keep,
					     .units = units,
					     .n_units = nu,
					     .inds = inds,
					     .n_inds = ni,
					     .in_unit = echo ? form_get(req->form, "unit") : NULL,
					     .in_kind = echo ? form_get(req->form, "kind") : NULL,
					     .in_points = echo ? form_get(req->form, "points") : NULL,
					     .in_reason = echo ? form_get(req->form, "reason") : NULL,
					     .in_evidence = echo ? form_get(req->form, "evidence") : NULL,
					     .in_source = echo ? form_get(req->form, "source") : NULL,
					     .in_indicator = echo ? form_get(req->form, "indicator") : NULL,
					     .errs = errs,
					     .n_errs = n_errs,
					     .notice = notice};
		view_adjustments_page(&res->body, &v, &a);
	}
	indicator_adjustments_free(rows, nr);
	org_units_free(units, nu);
	indicator_list_free(inds, ni);
	return r;
}

/* GET /scores/adjustments?period= */
enum gs_result web_adjustments_page(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX];
	enum gs_result r = period_param(req, res, http_query(req, "period"), period);
	if (r != GS_OK)
		return r;
	const char *saved = http_query(req, "saved");
	return render_adjustments(req, res, period, NULL, 0, saved ? (is_en(req) ? "Saved." : "已保存。") : NULL);
}

/* POST /scores/adjustments: period, unit, kind, points, reason, evidence, source, indicator, propose */
enum gs_result web_adjustment_post(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX];
	enum gs_result r = period_param(req, res, form_get(req->form, "period"), period);
	if (r != GS_OK)
		return r;
	struct view_field_error e = {0};
	char err[INDICATOR_ERR_MAX] = "";
	const char *kind = form_get(req->form, "kind"), *source = form_get(req->form, "source");
	const char *indicator = form_get(req->form, "indicator"), *evidence = form_get(req->form, "evidence");
	struct indicator_adjustment_in in = {.unit_code = form_get(req->form, "unit"),
					     .period = period,
					     .bonus = kind && strcmp(kind, "bonus") == 0,
					     .reason = form_get(req->form, "reason"),
					     .evidence = evidence && *evidence ? evidence : NULL,
					     .indicator_code = indicator && *indicator ? indicator : NULL};
	if (!kind || (strcmp(kind, "bonus") != 0 && strcmp(kind, "deduction") != 0)) {
		e.field = "kind";
		e.message = is_en(req) ? "choose deduction or bonus" : "请选择扣分或加分";
	} else if (!parse_number(form_get(req->form, "points"), &in.points)) {
		e.field = "points";
		e.message = is_en(req) ? "enter the points as a number above 0 and at most 100" : "分值应为大于 0、不超过 100 的数字";
	} else if (indicator_source_parse(source ? source : "", &in.source) != GS_OK) {
		e.field = "source";
		e.message = is_en(req) ? "choose a source from the list" : "请从列表中选择来源";
	}
	if (e.field) {
		res->status = 422;
		return render_adjustments(req, res, period, &e, 1, NULL);
	}
	r = indicator_adjustment_add(req->db, &req->user, &in, form_get(req->form, "propose") != NULL, util_now(), NULL, err,
				     sizeof err);
	if (r == GS_OK) {
		char loc[64];
		snprintf(loc, sizeof loc, "/scores/adjustments?period=%s&saved=1", period);
		http_redirect(res, 303, loc);
		return GS_OK;
	}
	if (r == GS_ERR_DB || r == GS_ERR_BUSY || r == GS_ERR_INTERNAL)
		return http_fail(res, r, "%s", err);
	e.field = field_of(r, err);
	e.message = err;
	res->status = r == GS_ERR_INVALID || r == GS_ERR_NOT_FOUND ? 422 : http_status_for(r);
	return render_adjustments(req, res, period, &e, 1, NULL);
}

/* POST /scores/adjustments/{id}/decide: decision = confirm | reject */
enum gs_result web_adjustment_decide(struct http_request *req, struct http_response *res)
{
	const char *ids = req->match.params[0], *decision = form_get(req->form, "decision");
	char *end = NULL;
	long long id = strtoll(ids, &end, 10);
	if (!*ids || *end || id <= 0)
		return http_fail(res, GS_ERR_NOT_FOUND, "no adjustment %.32s", ids);
	if (!decision || (strcmp(decision, "confirm") != 0 && strcmp(decision, "reject") != 0))
		return http_fail(res, GS_ERR_INVALID, "decision: expected confirm or reject");
	char err[INDICATOR_ERR_MAX] = "";
	enum gs_result r = indicator_adjustment_decide(req->db, &req->user, id, strcmp(decision, "confirm") == 0,
						       util_now(), err, sizeof err);
	if (r != GS_OK)
		return http_fail(res, r, "%s", err[0] ? err : gs_result_str(r));
	/* back to the period's list */
	char loc[64] = "/scores/adjustments";
	const char *back = form_get(req->form, "period");
	struct score_period p;
	if (back && score_period_parse(back, &p) == GS_OK)
		snprintf(loc, sizeof loc, "/scores/adjustments?period=%s&saved=1", back);
	http_redirect(res, 303, loc);
	return GS_OK;
}

/* POST /periods/{period}/close */
enum gs_result web_period_close(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX], err[INDICATOR_ERR_MAX] = "", loc[64];
	enum gs_result r = period_param(req, res, req->match.params[0], period);
	if (r != GS_OK)
		return r;
	r = scoring_period_close(req->db, &req->user, period, util_now(), NULL, err, sizeof err);
	if (r == GS_OK) {
		snprintf(loc, sizeof loc, "/scores?period=%s", period);
		http_redirect(res, 303, loc);
		return GS_OK;
	}
	if (r != GS_ERR_CONFLICT && r != GS_ERR_FORBIDDEN)
		return http_fail(res, r, "%s", err[0] ? err : gs_result_str(r));
	res->status = http_status_for(r);
	return render_scores(req, res, period, err);
}

/* POST /periods/{period}/reopen: reason */
enum gs_result web_period_reopen(struct http_request *req, struct http_response *res)
{
	char period[SCORE_PERIOD_MAX], err[INDICATOR_ERR_MAX] = "", loc[64];
	enum gs_result r = period_param(req, res, req->match.params[0], period);
	if (r != GS_OK)
		return r;
	r = indicator_period_reopen(req->db, &req->user, period, form_get(req->form, "reason"), util_now(), err,
				    sizeof err);
	if (r == GS_OK) {
		snprintf(loc, sizeof loc, "/scores?period=%s", period);
		http_redirect(res, 303, loc);
		return GS_OK;
	}
	if (r != GS_ERR_CONFLICT && r != GS_ERR_FORBIDDEN && r != GS_ERR_INVALID)
		return http_fail(res, r, "%s", err[0] ? err : gs_result_str(r));
	res->status = r == GS_ERR_INVALID ? 422 : http_status_for(r);
	return render_scores(req, res, period, err);
}

/* GET /milestones: the caller's milestones with done/reopen buttons. */
static enum gs_result render_milestones(struct http_request *req, struct http_response *res, const char *notice)
{
	int64_t scope = web_scope_unit(req);
	if (scope < 0)
		return http_fail(res, GS_ERR_FORBIDDEN, "nothing in scope");
	struct indicator_milestone *m = NULL;
	size_t n = 0;
	enum gs_result r = indicator_milestones_list(req->db, scope, NULL, NULL, &m, &n);
	if (r != GS_OK)
		return r;
	char today[11];
	meter_today(today);
	struct view_ctx v;
	web_view_ctx(req, &v);
	struct view_milestones p = {.m = m, .n = n, .today = today, .notice = notice};
	view_milestones_page(&res->body, &v, &p);
	indicator_milestones_free(m, n);
	return GS_OK;
}

enum gs_result web_milestones_page(struct http_request *req, struct http_response *res)
{
	return render_milestones(req, res, http_query(req, "saved") ? (is_en(req) ? "Saved." : "已保存。") : NULL);
}

/* POST /milestones/{id}/done: done=1 marks it done, done=0 opens it again. */
enum gs_result web_milestone_done(struct http_request *req, struct http_response *res)
{
	const char *ids = req->match.params[0], *done = form_get(req->form, "done");
	char *end = NULL;
	long long id = strtoll(ids, &end, 10);
	if (!*ids || *end || id <= 0)
		return http_fail(res, GS_ERR_NOT_FOUND, "no milestone %.32s", ids);
	if (!done || (strcmp(done, "1") != 0 && strcmp(done, "0") != 0))
		return http_fail(res, GS_ERR_INVALID, "done: expected 1 or 0");
	char err[INDICATOR_ERR_MAX] = "";
	enum gs_result r = indicator_milestone_set_done(req->db, &req->user, id, done[0] == '1', util_now(), err,
							sizeof err);
	if (r == GS_ERR_CONFLICT) {
		res->status = http_status_for(r);
		return render_milestones(req, res, err);
	}
	if (r != GS_OK)
		return http_fail(res, r, "%s", err[0] ? err : gs_result_str(r));
	http_redirect(res, 303, "/milestones?saved=1");
	return GS_OK;
}
