/* web.c — the route table and the foundation's handlers: health, static files, login
 * and logout, and the units API (the dashboard, unit and hall pages are in
 * web_dashboard.c). Scope rules (a
 * station user sees only their own station) are enforced here, per handler. */
#include "web.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org.h"
#include "ratelimit.h"
#include "view.h"
#include "web_int.h"

#define FORM_SMALL (16 * 1024)

void web_view_ctx(const struct http_request *req, struct view_ctx *v)
{
	v->lang = req->lang;
	v->login = (req->logged_in && !req->by_token) ? req->user.login : NULL;
	v->role = v->login ? auth_role_name(req->user.role) : NULL;
	v->csrf = req->csrf;
	v->path = req->path;
}

void web_error_page(struct http_request *req, struct http_response *res, int status, const char *message)
{
	struct view_ctx v;
	web_view_ctx(req, &v);
	view_error(&res->body, &v, status, message);
}

/* The unit a caller is confined to: 0 means the whole company. */
int64_t web_scope_unit(struct http_request *req)
{
	if (req->by_token) {
		if (req->token.hall_id) {
			struct org_hall h;
			if (org_hall_get(req->db, req->token.hall_code, &h) == GS_OK) {
				int64_t id = h.station_id;
				org_hall_clear(&h);
				return id;
			}
			return -1; /* the hall is gone: nothing is in scope */
		}
		return 0;
	}
	return req->user.role == AUTH_ROLE_STATION ? req->user.unit_id : 0;
}

/* GS_OK if unit_id is within the caller's scope, else GS_ERR_FORBIDDEN with a message. */
enum gs_result web_check_scope(struct http_request *req, struct http_response *res, int64_t unit_id)
{
	int64_t scope = web_scope_unit(req);
	if (scope == 0)
		return GS_OK;
	if (scope > 0 && org_unit_within(req->db, unit_id, scope) == 1)
		return GS_OK;
	return http_fail(res, GS_ERR_FORBIDDEN, "%s",
			 strcmp(req->lang, "en") == 0 ? "this page belongs to another station"
						      : "该页面属于其他供电所，您无权查看");
}

static enum gs_result h_healthz(struct http_request *req, struct http_response *res)
{
	sqlite3_stmt *st = db_stmt(req->db, "SELECT 1");
	int ok = st && sqlite3_step(st) == SQLITE_ROW;
	if (st)
		sqlite3_reset(st);
	if (!ok)
		return http_fail(res, GS_ERR_BUSY, "database unavailable");
	res->content_type = "text/plain; charset=utf-8";
	buf_puts(&res->body, "ok\n");
	return GS_OK;
}

static enum gs_result h_static(struct http_request *req, struct http_response *res)
{
	char name[160];
	snprintf(name, sizeof name, "src/static/%s", req->match.params[0]);
	const struct embed_file *f = embed_find(name);
	if (!f || strstr(req->match.params[0], ".."))
		return http_fail(res, GS_ERR_NOT_FOUND, "no such file");
	const char *dot = strrchr(name, '.');
	if (dot && strcmp(dot, ".css") == 0)
		res->content_type = "text/css; charset=utf-8";
	else if (dot && strcmp(dot, ".js") == 0)
		res->content_type = "text/javascript; charset=utf-8";
	else if (dot && strcmp(dot, ".svg") == 0)
		res->content_type = "image/svg+xml";
	else
		res->content_type = "application/octet-stream";
	res->cacheable = 1;
	buf_append(&res->body, f->data, f->len);
	return GS_OK;
}

/* A safe local redirect target: an absolute path on this site, or "/". */
static const char *safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n\\") ||
	    strlen(next) > 512)
		return "/";
	return next;
}

/* The pre-login cookie binds the login form's CSRF token to this browser. */
static const char *pre_login_binding(struct http_request *req, struct http_response *res, char fresh[AUTH_TOKEN_LEN + 1])
{
	const char *pre = http_cookie(req, "gs_pre");
	if (pre && strlen(pre) == AUTH_TOKEN_LEN)
		return pre;
	auth_random_token(fresh);
	http_set_cookie(req, res, "gs_pre", fresh, 3600);
	return fresh;
}

static enum gs_result render_login(struct http_request *req, struct http_response *res, const char *login,
				   const char *error)
{
	char fresh[AUTH_TOKEN_LEN + 1], token[AUTH_TOKEN_LEN + 1];
	const char *binding = pre_login_binding(req, res, fresh);
	auth_csrf_token(http_csrf_key(req), "login", binding, token);
	struct view_ctx v;
	web_view_ctx(req, &v);
	const char *next = req->form ? form_get(req->form, "next") : http_query(req, "next");
	view_login(&res->body, &v, token, login, safe_next(next), error);
	return GS_OK;
}

static enum gs_result h_login_page(struct http_request *req, struct http_response *res)
{
	if (req->logged_in) {
		http_redirect(res, 303, safe_next(http_query(req, "next")));
		return GS_OK;
	}
	return render_login(req, res, NULL, NULL);
}

static enum gs_result h_login(struct http_request *req, struct http_response *res)
{
	int en = strcmp(req->lang, "en") == 0;
	const char *pre = http_cookie(req, "gs_pre");
	const char *tok = form_get(req->form, "_csrf");
	if (!pre || !tok || !auth_csrf_check(http_csrf_key(req), "login", pre, tok)) {
		res->status = 403;
		return render_login(req, res, NULL,
				    en ? "The login form expired. Please try again." : "登录表单已过期，请重新登录。");
	}
	const char *login = form_get(req->form, "login");
	const char *password = form_get(req->form, "password");
	if (!login || !*login || !password || !*password) {
		res->status = 400;
		return render_login(req, res, login, en ? "Enter your login and password." : "请输入用户名和密码。");
	}
	char user_key[AUTH_LOGIN_MAX + 8], ip_key[80];
	snprintf(user_key, sizeof user_key, "u:%.*s", AUTH_LOGIN_MAX, login);
	snprintf(ip_key, sizeof ip_key, "ip:%s", req->client_ip);
	struct ratelimit *rl_user = http_login_limiter_user(req), *rl_ip = http_login_limiter_ip(req);
	int64_t now = util_now();
	if (!ratelimit_allowed(rl_user, user_key, now) || !ratelimit_allowed(rl_ip, ip_key, now)) {
		unsigned wait = ratelimit_retry_after(rl_user, user_key, now);
		unsigned wait_ip = ratelimit_retry_after(rl_ip, ip_key, now);
		if (wait_ip > wait)
			wait = wait_ip;
		char secs[16], msg[160];
		snprintf(secs, sizeof secs, "%u", wait);
		http_add_header(res, "Retry-After", secs);
		snprintf(msg, sizeof msg,
			 en ? "Too many failed attempts. Try again in %u minutes." : "登录失败次数过多，请 %u 分钟后再试。",
			 (wait + 59) / 60);
		res->status = 429;
		return render_login(req, res, login, msg);
	}
	struct auth_user user;
	if (auth_password_check(req->db, login, password, &user) != GS_OK) {
		ratelimit_hit(rl_user, user_key, now);
		ratelimit_hit(rl_ip, ip_key, now);
		res->status = 401;
		return render_login(req, res, login,
				    en ? "Wrong login or password." : "用户名或密码错误。");
	}
	ratelimit_clear(rl_user, user_key);
	/* A new session id at every login: a planted id never becomes authenticated. */
	if (req->session_id[0])
		auth_session_delete(req->db, req->session_id);
	const char *old = http_cookie(req, "gs_session");
	if (old)
		auth_session_delete(req->db, old);
	char sid[AUTH_TOKEN_LEN + 1];
	enum gs_result r = auth_session_create(req->db, user.id, sid);
	if (r != GS_OK)
		return http_fail(res, r, "could not start a session");
	http_set_cookie(req, res, "gs_session", sid, AUTH_SESSION_MAX_S);
	http_set_cookie(req, res, "gs_pre", "", -1);
	auth_audit(req->db, user.login, "login", req->client_ip);
	http_redirect(res, 303, safe_next(form_get(req->form, "next")));
	return GS_OK;
}

static enum gs_result h_logout(struct http_request *req, struct http_response *res)
{
	auth_session_delete(req->db, req->session_id);
	http_set_cookie(req, res, "gs_session", "", -1);
	http_redirect(res, 303, "/login");
	return GS_OK;
}

static enum gs_result h_admin(struct http_request *req, struct http_response *res)
{
	http_redirect(res, 303, "/admin/halls");
	return GS_OK;
}

/* Serialises a jansson value as the response body and frees it. */
enum gs_result web_json_reply(struct http_response *res, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(v);
	if (!s)
		return GS_ERR_INTERNAL;
	res->content_type = "application/json";
	buf_puts(&res->body, s);
	buf_putc(&res->body, '\n');
	free(s);
	return GS_OK;
}

static enum gs_result h_api_units(struct http_request *req, struct http_response *res)
{
	int64_t scope = web_scope_unit(req);
	struct org_unit *units = NULL;
	size_t n = 0;
	enum gs_result r = scope < 0 ? GS_OK : org_units_list(req->db, scope, &units, &n);
	if (r != GS_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "code", json_string(units[i].code));
		json_object_set_new(o, "name", json_string(units[i].name));
		json_object_set_new(o, "kind", json_string(units[i].kind));
		json_object_set_new(o, "parent", units[i].parent_code ? json_string(units[i].parent_code) : json_null());
		json_array_append_new(arr, o);
	}
	org_units_free(units, n);
	return web_json_reply(res, arr);
}

static const struct http_route routes[] = {
	{"GET", "/healthz", 0, AUTH_ROLE_NONE, 0, h_healthz},
	{"GET", "/static/{file}", 0, AUTH_ROLE_NONE, 0, h_static},
	{"GET", "/login", 0, AUTH_ROLE_NONE, 0, h_login_page},
	{"POST", "/login", HTTP_FORM, AUTH_ROLE_NONE, FORM_SMALL, h_login},
	{"POST", "/logout", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_STATION, FORM_SMALL, h_logout},
	{"GET", "/", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_dashboard},
	{"GET", "/units/{code}", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_unit_page},
	{"GET", "/halls/{code}", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_hall_page},
	{"GET", "/api/v1/units", HTTP_LOGIN | HTTP_API, AUTH_ROLE_STATION, 0, h_api_units},
	/* surveys (web_survey.c): public pages first */
	{"GET", "/s/{code}", 0, AUTH_ROLE_NONE, 0, web_survey_page},
	{"POST", "/s/{code}", HTTP_FORM, AUTH_ROLE_NONE, FORM_SMALL, web_survey_submit},
	{"GET", "/s/{code}/thanks", 0, AUTH_ROLE_NONE, 0, web_survey_thanks},
	{"GET", "/t/{ticket}", HTTP_REDACT, AUTH_ROLE_NONE, 0, web_ticket_page},
	{"POST", "/t/{ticket}", HTTP_FORM | HTTP_REDACT, AUTH_ROLE_NONE, FORM_SMALL, web_ticket_submit},
	{"GET", "/thanks", 0, AUTH_ROLE_NONE, 0, web_ticket_thanks},
	{"GET", "/halls/{code}/poster", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_poster},
	{"GET", "/halls/{code}/qr", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_qr_image},
	{"GET", "/halls/{code}/responses.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_responses_csv},
	{"GET", "/units/{code}/posters", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_posters},
	{"GET", "/units/{code}/satisfaction.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_satisfaction_csv},
	{"GET", "/units/{code}/responses.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_responses_csv},
	{"GET", "/followups", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_followups},
	{"POST", "/followups/{id}/close", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_STATION, FORM_SMALL,
	 web_followup_close},
	{"GET", "/api/v1/halls", HTTP_LOGIN | HTTP_API, AUTH_ROLE_STATION, 0, web_api_halls},
	{"GET", "/api/v1/units/{code}/satisfaction", HTTP_LOGIN | HTTP_API, AUTH_ROLE_STATION, 0, web_api_satisfaction},
	{"POST", "/api/v1/halls/{code}/tickets", HTTP_LOGIN | HTTP_API | HTTP_CSRF, AUTH_ROLE_STATION, FORM_SMALL,
	 web_api_ticket},
	/* rollout imports and coverage (web_import.c); upload bodies are capped by serve --max-upload */
	{"GET", "/imports", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_imports_page},
	{"POST", "/imports", HTTP_LOGIN | HTTP_CSRF | HTTP_UPLOAD, AUTH_ROLE_STATION, 0, web_import_upload},
	{"GET", "/imports/{id}", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_import_page},
	{"POST", "/api/v1/imports", HTTP_LOGIN | HTTP_API | HTTP_CSRF | HTTP_UPLOAD, AUTH_ROLE_STATION, 0,
	 web_api_import},
	{"GET", "/api/v1/units/{code}/coverage", HTTP_LOGIN | HTTP_API, AUTH_ROLE_STATION, 0, web_api_coverage},
	{"GET", "/units/{code}/uncovered.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_uncovered_csv},
	/* the data behind the charts of the dashboard, unit and hall pages (web_dashboard.c, web_import.c) */
	{"GET", "/units/{code}/satisfaction-months.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_satisfaction_months_csv},
	{"GET", "/halls/{code}/satisfaction-months.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_satisfaction_months_csv},
	{"GET", "/halls/{code}/heatmap.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_hall_heatmap_csv},
	{"GET", "/units/{code}/coverage-months.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_coverage_months_csv},
	{"GET", "/units/{code}/coverage-stations.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_coverage_stations_csv},
	/* administration (web_admin.c) */
	{"GET", "/admin", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, h_admin},
	{"GET", "/admin/halls", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_halls},
	{"POST", "/admin/halls/{code}/active", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_hall_active},
	{"POST", "/admin/halls/{code}/rotate-key", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_hall_rotate},
	{"GET", "/admin/logins", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_logins},
	{"POST", "/admin/logins", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_login_add},
	{"POST", "/admin/logins/{login}/password", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_login_password},
	{"POST", "/admin/logins/{login}/active", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_login_active},
	{"GET", "/admin/tokens", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_tokens},
	{"POST", "/admin/tokens", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_token_add},
	{"POST", "/admin/tokens/{id}/revoke", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_token_revoke},
	{"GET", "/admin/settings", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_settings},
	{"POST", "/admin/settings", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_settings},
	{"POST", "/admin/halls", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_hall_add},
	{"GET", "/admin/halls/{code}", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_hall_page},
	{"POST", "/admin/halls/{code}", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_hall_edit},
	{"GET", "/admin/units", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_units},
	{"POST", "/admin/units", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_unit_add},
	{"GET", "/admin/units/{code}", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_unit_page},
	{"POST", "/admin/units/{code}", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_unit_edit},
	{"GET", "/admin/people", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_people},
	{"POST", "/admin/people", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL, web_admin_person_add},
	{"GET", "/admin/people/{code}", HTTP_LOGIN, AUTH_ROLE_ADMIN, 0, web_admin_person_page},
	{"POST", "/admin/people/{code}", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_person_edit},
	{"POST", "/admin/people/{code}/links", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_link_add},
	{"POST", "/admin/people/{code}/links/remove", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_admin_link_remove},
	/* unit scores, reports and their inputs (web_score.c) */
	{"GET", "/scores", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_scores_page},
	{"GET", "/reports/{period}.html", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_report_html},
	{"GET", "/reports/{period}.csv", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_report_csv},
	{"GET", "/api/v1/scores", HTTP_LOGIN | HTTP_API, AUTH_ROLE_STATION, 0, web_api_scores},
	{"GET", "/scores/manual", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_manual_page},
	{"POST", "/scores/manual", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_STATION, FORM_SMALL, web_manual_post},
	{"GET", "/scores/adjustments", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_adjustments_page},
	{"POST", "/scores/adjustments", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_STATION, FORM_SMALL,
	 web_adjustment_post},
	{"POST", "/scores/adjustments/{id}/decide", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_STATION, FORM_SMALL,
	 web_adjustment_decide},
	{"POST", "/periods/{period}/close", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_MANAGER, FORM_SMALL,
	 web_period_close},
	{"POST", "/periods/{period}/reopen", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_ADMIN, FORM_SMALL,
	 web_period_reopen},
	{"GET", "/milestones", HTTP_LOGIN, AUTH_ROLE_STATION, 0, web_milestones_page},
	{"POST", "/milestones/{id}/done", HTTP_LOGIN | HTTP_CSRF | HTTP_FORM, AUTH_ROLE_STATION, FORM_SMALL,
	 web_milestone_done},
};

const struct http_route *web_routes(size_t *n)
{
	*n = sizeof routes / sizeof routes[0];
	return routes;
}
