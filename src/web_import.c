/* web_import.c — handlers of the smart-meter rollout: the import list and upload form,
 * the upload itself (POST /imports, POST /api/v1/imports — both call meter_import_run,
 * the code path of `gridscore import`), one page per import, the coverage API, the
 * uncovered-points CSV and the coverage block of unit pages and the dashboard. A
 * station user imports and sees only their own station's files. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meter.h"
#include "meter_bulk.h"
#include "org.h"
#include "web_int.h"

#define IMPORTS_PER_PAGE 50

static int is_en(const struct http_request *req)
{
	return strcmp(req->lang, "en") == 0;
}

/* The day of ?at= (default today). A page is lenient (a bad date means today), the API
 * strict: GS_ERR_INVALID with a message. */
static enum gs_result day_param(struct http_request *req, struct http_response *res, int strict, char day[11])
{
	const char *at = http_query(req, "at");
	if (at && *at && survey_day_number(at) >= 0 && strlen(at) == 10) {
		snprintf(day, 11, "%s", at);
		return GS_OK;
	}
	if (at && strict)
		return http_fail(res, GS_ERR_INVALID, "at: expected a date YYYY-MM-DD, got '%.40s'", at);
	meter_today(day);
	return GS_OK;
}

/* A unit by the route's {code}, within the caller's scope. */
static enum gs_result unit_in_scope(struct http_request *req, struct http_response *res, struct org_unit *u)
{
	enum gs_result r = org_unit_get(req->db, req->match.params[0], u);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", is_en(req) ? "no unit with code" : "没有此编码的单位",
				 req->match.params[0]);
	if (r == GS_OK && (r = web_check_scope(req, res, u->id)) != GS_OK)
		org_unit_clear(u);
	return r;
}

/* ---- Running an import ------------------------------------------------------------------ */

/* The options every way in shares: who imports, the scope a file must lie in, the
 * station for IEC documents from an unmapped source (the caller's own, or the one
 * named in station_code), and the server's upload cap. */
static enum gs_result import_opts(struct http_request *req, struct http_response *res, const char *station_code,
				  int dry_run, struct meter_import_opts *o)
{
	meter_import_opts_init(o);
	int64_t scope = web_scope_unit(req);
	if (scope < 0)
		return http_fail(res, GS_ERR_FORBIDDEN, "%s",
				 is_en(req) ? "nothing is in your scope" : "您的账号没有可导入的供电所");
	o->name = req->upload->name;
	o->dry_run = dry_run;
	o->user_id = req->by_token ? 0 : req->user.id;
	o->actor = req->by_token ? req->token.name : NULL; /* the log names the token */
	o->scope_unit = scope;
	o->station_id = scope;
	o->limits.max_file_bytes = http_max_upload(req);
	if (station_code && *station_code) {
		struct org_unit u;
		enum gs_result r = org_unit_get(req->db, station_code, &u);
		if (r == GS_ERR_NOT_FOUND)
			return http_fail(res, GS_ERR_INVALID, "station: %s '%.64s'",
					 is_en(req) ? "no supply station with code" : "没有此编码的供电所", station_code);
		if (r != GS_OK)
			return r;
		int station = strcmp(u.kind, "station") == 0;
		int64_t id = u.id;
		org_unit_clear(&u);
		if (!station)
			return http_fail(res, GS_ERR_INVALID, "station: '%.64s' %s", station_code,
					 is_en(req) ? "is not a supply station" : "不是供电所");
		if ((r = web_check_scope(req, res, id)) != GS_OK)
			return r;
		o->station_id = id;
	}
	return GS_OK;
}

/* Why a refused import was refused, in one line: the first error, else the result. */
static const char *refusal(const struct http_request *req, enum gs_result r, const struct meter_import_report *rep)
{
	if (rep->errors.n > 0)
		return rep->errors.e[0].message;
	if (r == GS_ERR_FORBIDDEN)
		return is_en(req) ? "this file belongs to another station" : "该文件属于其他供电所，您无权导入";
	if (r == GS_ERR_TOO_LARGE)
		return is_en(req) ? "the file is larger than the import limit" : "文件超过导入上限";
	return is_en(req) ? "the file was rejected" : "文件未通过校验";
}

static json_t *report_json(const struct meter_import_report *rep)
{
	json_t *o = json_object();
	int64_t id = rep->id > 0 ? rep->id : rep->earlier_id;
	json_object_set_new(o, "id", id > 0 ? json_integer(id) : json_null());
	json_object_set_new(o, "status", json_string(rep->status[0] ? rep->status : "rejected"));
	json_object_set_new(o, "records", json_integer(rep->records));
	json_object_set_new(o, "inserted", json_integer(rep->inserted));
	json_object_set_new(o, "updated", json_integer(rep->updated));
	json_object_set_new(o, "unchanged", json_integer(rep->unchanged));
	json_t *errs = json_array();
	for (size_t i = 0; i < rep->errors.n; i++) {
		const struct rollout_error *e = &rep->errors.e[i];
		json_t *x = json_object();
		json_object_set_new(x, "line", json_integer(e->line));
		json_object_set_new(x, "column", json_integer(e->column));
		json_object_set_new(x, "field", json_string(e->field));
		json_object_set_new(x, "message", json_string(e->message));
		json_array_append_new(errs, x);
	}
	json_object_set_new(o, "errors", errs);
	return o;
}

/* POST /api/v1/imports: the body is the XML file (or a multipart form with one file).
 * ?dry_run=1 checks only; ?station=CODE names the station for IEC files from an
 * unmapped source; ?name= the file name for the log. */
enum gs_result web_api_import(struct http_request *req, struct http_response *res)
{
	if (!req->upload)
		return http_fail(res, GS_ERR_INVALID, "the request has no file: send the XML document as the body");
	const char *dry = http_query(req, "dry_run");
	if (!dry && req->form)
		dry = form_get(req->form, "dry_run");
	const char *station = http_query(req, "station");
	if (!station && req->form)
		station = form_get(req->form, "station");
	struct meter_import_opts opts;
	enum gs_result r = import_opts(req, res, station, dry && strcmp(dry, "0") != 0 && *dry, &opts);
	if (r != GS_OK)
		return r;
	struct meter_import_report *rep = xcalloc(1, sizeof *rep);
	r = meter_import_run(req->db, req->upload->path, &opts, rep);
	if (r == GS_OK || r == GS_ERR_INVALID || r == GS_ERR_FORBIDDEN || r == GS_ERR_TOO_LARGE) {
		json_t *o = report_json(rep);
		if (r != GS_OK) {
			res->status = r == GS_ERR_INVALID ? 422 : http_status_for(r);
			json_object_set_new(o, "error", json_string(refusal(req, r, rep)));
		}
		free(rep);
		return web_json_reply(res, o);
	}
	free(rep);
	return http_fail(res, r, "the import could not be completed (%s); nothing was written", gs_result_str(r));
}

/* POST /imports: the upload form. Without JavaScript the browser follows the 303 to the
 * import's page; upload.js does the same after its progress bar. */
enum gs_result web_import_upload(struct http_request *req, struct http_response *res)
{
	if (!req->upload)
		return http_fail(res, GS_ERR_INVALID, "%s",
				 is_en(req) ? "choose a file to upload" : "请选择要上传的文件");
	const char *dry = form_get(req->form, "dry_run");
	struct meter_import_opts opts;
	enum gs_result r = import_opts(req, res, form_get(req->form, "station"), dry != NULL, &opts);
	if (r != GS_OK)
		return r;
	struct meter_import_report *rep = xcalloc(1, sizeof *rep);
	r = meter_import_run(req->db, req->upload->path, &opts, rep);
	char loc[64];
	struct view_ctx v;
	web_view_ctx(req, &v);
	if ((r == GS_OK || r == GS_ERR_INVALID) && rep->id > 0 && strcmp(rep->status, "already") != 0) {
		snprintf(loc, sizeof loc, "/imports/%lld", (long long)rep->id);
		http_redirect(res, 303, loc); /* rejected files too: their page lists the errors */
		r = GS_OK;
	} else if (r == GS_OK && strcmp(rep->status, "already") == 0 && (rep->earlier_id > 0 || rep->id > 0)) {
		snprintf(loc, sizeof loc, "/imports/%lld?already=1",
			 (long long)(rep->earlier_id > 0 ? rep->earlier_id : rep->id));
		http_redirect(res, 303, loc);
	} else if (r == GS_OK || r == GS_ERR_INVALID || r == GS_ERR_FORBIDDEN || r == GS_ERR_TOO_LARGE) {
		/* A dry run, or a refusal: the report has no page of its own, so it is the answer. */
		res->status = r == GS_OK ? 200 : r == GS_ERR_INVALID ? 422 : http_status_for(r);
		view_import_report(&res->body, &v, rep, req->upload->name, r == GS_OK ? NULL : refusal(req, r, rep));
		r = GS_OK;
	} else {
		r = http_fail(res, r, "%s (%s)",
			      is_en(req) ? "the import could not be completed; nothing was written" : "导入未能完成，未写入任何数据",
			      gs_result_str(r));
	}
	free(rep);
	return r;
}

/* GET /imports: newest first, the caller's scope only, with the upload form. */
enum gs_result web_imports_page(struct http_request *req, struct http_response *res)
{
	int64_t scope = web_scope_unit(req);
	if (scope < 0)
		return http_fail(res, GS_ERR_FORBIDDEN, "nothing in scope");
	size_t page = 1;
	const char *p = http_query(req, "page");
	if (p && *p && strspn(p, "0123456789") == strlen(p) && strlen(p) < 7 && atol(p) >= 1)
		page = (size_t)atol(p);
	struct meter_import_row *rows = NULL;
	size_t n = 0;
	enum gs_result r = meter_imports_list(req->db, scope, scope > 0 ? req->user.id : 0, IMPORTS_PER_PAGE + 1,
					      (page - 1) * IMPORTS_PER_PAGE, &rows, &n);
	if (r != GS_OK)
		return r;
	struct view_ctx v;
	web_view_ctx(req, &v);
	struct view_import_list l = {.rows = rows,
				     .n = n > IMPORTS_PER_PAGE ? IMPORTS_PER_PAGE : n,
				     .page = page,
				     .has_next = n > IMPORTS_PER_PAGE,
				     .ask_station = scope == 0,
				     .max_upload = http_max_upload(req)};
	view_imports(&res->body, &v, &l);
	meter_imports_free(rows, n);
	return GS_OK;
}

/* A station user may see an import of their station, or one they made themselves (a
 * rejected file may have no station). */
static enum gs_result import_in_scope(struct http_request *req, struct http_response *res,
				      const struct meter_import_row *row)
{
	int64_t scope = web_scope_unit(req);
	if (scope == 0)
		return GS_OK;
	if (row->user_login && !req->by_token && strcmp(row->user_login, req->user.login) == 0)
		return GS_OK;
	if (scope > 0 && row->station_code) {
		struct org_unit u;
		if (org_unit_get(req->db, row->station_code, &u) == GS_OK) {
			int in = org_unit_within(req->db, u.id, scope) == 1;
			org_unit_clear(&u);
			if (in)
				return GS_OK;
		}
	}
	return http_fail(res, GS_ERR_FORBIDDEN, "%s",
			 is_en(req) ? "this import belongs to another station" : "该导入记录属于其他供电所，您无权查看");
}

/* GET /imports/{id} */
enum gs_result web_import_page(struct http_request *req, struct http_response *res)
{
	const char *s = req->match.params[0];
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return http_fail(res, GS_ERR_NOT_FOUND, "%s '%s'", is_en(req) ? "no import" : "没有此导入记录", s);
	struct meter_import_row row = {0};
	struct rollout_errors *errs = xcalloc(1, sizeof *errs);
	enum gs_result r = meter_import_get(req->db, atoll(s), &row, errs);
	if (r == GS_ERR_NOT_FOUND)
		r = http_fail(res, r, "%s #%s", is_en(req) ? "no import" : "没有此导入记录", s);
	else if (r == GS_OK)
		r = import_in_scope(req, res, &row);
	if (r == GS_OK) {
		struct view_ctx v;
		web_view_ctx(req, &v);
		const char *notice = NULL;
		if (http_query(req, "already"))
			notice = is_en(req) ? "This file was imported before (same content or same message id): nothing changed."
					    : "该文件此前已导入（内容或消息标识相同），本次没有任何改动。";
		view_import(&res->body, &v, &row, errs, notice);
	}
	meter_import_row_clear(&row);
	free(errs);
	return r;
}

/* ---- Coverage ------------------------------------------------------------------------------ */

/* GET /api/v1/units/{code}/coverage?at=YYYY-MM-DD */
enum gs_result web_api_coverage(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	char day[11];
	enum gs_result r = day_param(req, res, 1, day);
	if (r != GS_OK)
		return r;
	if ((r = unit_in_scope(req, res, &u)) != GS_OK)
		return r;
	struct meter_coverage c;
	r = meter_coverage_at(req->db, u.id, day, &c);
	if (r == GS_OK) {
		json_t *o = json_object();
		json_object_set_new(o, "unit", json_string(u.code));
		json_object_set_new(o, "at", json_string(day));
		json_object_set_new(o, "metering_points", json_integer(c.points));
		json_object_set_new(o, "smart", json_integer(c.smart));
		json_object_set_new(o, "rate", json_real(c.rate));
		r = web_json_reply(res, o);
	}
	org_unit_clear(&u);
	return r;
}

/* One text field of a file's data (view_csv_text defuses formulas), then its separator. */
static void csv_field(struct buf *b, const char *s, int last)
{
	view_csv_text(b, s);
	buf_puts(b, last ? "\r\n" : ",");
}

static enum gs_result uncovered_row(void *ctx, const char *station_code, const char *point_code,
				    const char *customer_class, const char *since)
{
	struct buf *b = ctx;
	csv_field(b, station_code, 0);
	csv_field(b, point_code, 0);
	csv_field(b, customer_class, 0);
	csv_field(b, since, 1);
	return b->failed ? GS_ERR_TOO_LARGE : GS_OK;
}

/* GET /units/{code}/uncovered.csv?at= — a station's metering points in service on
 * that day without an in-service smart meter. */
enum gs_result web_uncovered_csv(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	char day[11];
	enum gs_result r = day_param(req, res, 1, day);
	if (r != GS_OK)
		return r;
	if ((r = unit_in_scope(req, res, &u)) != GS_OK)
		return r;
	if (strcmp(u.kind, "station") != 0) {
		r = http_fail(res, GS_ERR_NOT_FOUND, "%s",
			      is_en(req) ? "the list of uncovered metering points is kept per supply station"
					 : "未覆盖计量点清单按供电所提供");
	} else {
		char cd[ROUTE_PARAM_MAX + 96];
		snprintf(cd, sizeof cd, "attachment; filename=\"uncovered-%s-%s.csv\"", u.code, day);
		res->content_type = "text/csv; charset=utf-8";
		http_add_header(res, "Content-Disposition", cd);
		buf_puts(&res->body, "\xEF\xBB\xBF"); /* a BOM, so spreadsheet programs read UTF-8 */
		buf_puts(&res->body, "station,metering_point,customer_class,in_service_since\r\n");
		r = meter_uncovered_each(req->db, u.id, day, uncovered_row, &res->body);
		if (r == GS_ERR_TOO_LARGE)
			r = http_fail(res, r, "the list is too long for one download");
	}
	org_unit_clear(&u);
	return r;
}

/* "YYYY-MM" of the month delta months after day's month. */
static void month_of(const char *day, int delta, char out[8])
{
	int y = atoi(day), m = atoi(day + 5);
	int k = y * 12 + (m - 1) + delta;
	if (k < 0)
		k = 0;
	snprintf(out, 8, "%04u-%02u", (unsigned)(k / 12) % 10000u, (unsigned)(k % 12 + 1) % 100u);
}

char *web_coverage_block(struct http_request *req, const struct view_ctx *v, const struct org_unit *unit,
			 struct web_cov_summary *sum)
{
	if (sum)
		memset(sum, 0, sizeof *sum);
	char day[11], today[11];
	day_param(req, NULL, 0, day);
	meter_today(today);
	struct meter_coverage cov;
	if (meter_coverage_at(req->db, unit->id, day, &cov) != GS_OK)
		return NULL;
	struct meter_projection_s proj;
	int have_proj = meter_projection(req->db, unit->id, today, &proj) == GS_OK;
	char from[8], to[8];
	month_of(day, -11, from);
	month_of(day, 0, to);
	struct meter_coverage *months = NULL;
	size_t nm = 0;
	if (meter_bulk_coverage_months(req->db, unit->id, from, to, today, &months, &nm) != GS_OK) { /* one statement */
		months = NULL;
		nm = 0;
	}
	struct meter_station_coverage *st = NULL;
	size_t ns = 0;
	if ((strcmp(unit->kind, "company") == 0 || strcmp(unit->kind, "department") == 0) &&
	    meter_bulk_stations(req->db, unit->id, day, &st, &ns) != GS_OK) { /* two statements, not 3 per station */
		st = NULL;
		ns = 0;
	}
	char *mcsv = xasprintf("/units/%s/coverage-months.csv?at=%s", unit->code, day);
	char *scsv = ns ? xasprintf("/units/%s/coverage-stations.csv?at=%s", unit->code, day) : NULL;
	if (sum) {
		sum->ok = 1;
		sum->cov = cov;
		sum->have_proj = have_proj;
		if (have_proj)
			sum->proj = proj;
		for (size_t i = 0; i < ns; i++)
			sum->late_stations += st[i].proj.late != 0;
	}
	struct view_coverage c = {.months_csv_href = mcsv,
				  .stations_csv_href = scsv,
				  .code = unit->code,
				  .kind = unit->kind,
				  .day = day,
				  .cov = &cov,
				  .proj = have_proj ? &proj : NULL,
				  .months = months,
				  .n_months = nm,
				  .stations = st,
				  .n_stations = ns};
	struct buf b;
	buf_init(&b, 1 << 20);
	view_coverage(&b, v, &c);
	free(mcsv);
	free(scsv);
	free(months);
	meter_stations_free(st, ns);
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

static void coverage_csv_headers(struct http_response *res, const char *what, const char *code, const char *day)
{
	char cd[ROUTE_PARAM_MAX + 128];
	snprintf(cd, sizeof cd, "attachment; filename=\"%s-%s-%s.csv\"", what, code, day);
	res->content_type = "text/csv; charset=utf-8";
	http_add_header(res, "Content-Disposition", cd);
	buf_puts(&res->body, "\xEF\xBB\xBF"); /* a BOM, so spreadsheet programs read UTF-8 */
}

/* GET /units/{code}/coverage-months.csv?at= — the coverage trend chart's data: the
 * twelve months up to at's month, each as of its last day. */
enum gs_result web_coverage_months_csv(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	char day[11], today[11], from[8], to[8];
	enum gs_result r = day_param(req, res, 1, day);
	if (r != GS_OK || (r = unit_in_scope(req, res, &u)) != GS_OK)
		return r;
	meter_today(today);
	month_of(day, -11, from);
	month_of(day, 0, to);
	struct meter_coverage *months = NULL;
	size_t nm = 0;
	r = meter_coverage_months(req->db, u.id, from, to, today, &months, &nm);
	if (r == GS_OK) {
		coverage_csv_headers(res, "coverage-months", u.code, day);
		buf_puts(&res->body, "unit,month_end,metering_points,smart,rate\r\n");
		for (size_t i = 0; i < nm; i++) {
			csv_field(&res->body, u.code, 0);
			buf_printf(&res->body, "%s,%ld,%ld,%.4f\r\n", months[i].day, months[i].points, months[i].smart,
				   months[i].rate);
		}
	}
	free(months);
	org_unit_clear(&u);
	return r;
}

/* GET /units/{code}/coverage-stations.csv?at= — each station below the unit: coverage,
 * projection, target and whether it is late (the station bar chart's data). */
enum gs_result web_coverage_stations_csv(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	char day[11];
	enum gs_result r = day_param(req, res, 1, day);
	if (r != GS_OK || (r = unit_in_scope(req, res, &u)) != GS_OK)
		return r;
	struct meter_station_coverage *st = NULL;
	size_t ns = 0;
	r = meter_stations(req->db, u.id, day, &st, &ns);
	if (r == GS_OK) {
		coverage_csv_headers(res, "coverage-stations", u.code, day);
		buf_puts(&res->body, "station,name,at,metering_points,smart,rate,projected,target,late\r\n");
		for (size_t i = 0; i < ns; i++) {
			csv_field(&res->body, st[i].code, 0);
			csv_field(&res->body, st[i].name, 0);
			buf_printf(&res->body, "%s,%ld,%ld,%.4f,%s,%s,%s\r\n", day, st[i].cov.points, st[i].cov.smart,
				   st[i].cov.rate, st[i].proj.projected, st[i].proj.target, st[i].proj.late ? "yes" : "no");
		}
	}
	meter_stations_free(st, ns);
	org_unit_clear(&u);
	return r;
}
