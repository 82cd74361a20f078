/* web_admin.c — the admin pages (role admin, every change a CSRF-checked POST): service
 * halls (open or close, rotate the QR key), logins (add, reset a password, disable), API
 * tokens (create, shown once; revoke) and settings. Each change writes one audit line
 * naming the admin. Domain work is in org.c, auth.c, survey.c and settings.c; HTML in
 * view_admin.c. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "web_int.h"

static int is_en(const struct http_request *req)
{
	return strcmp(req->lang, "en") == 0;
}

#define TR(req, zh, en) (is_en(req) ? (en) : (zh))

static void audit(struct http_request *req, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void audit(struct http_request *req, const char *action, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (auth_audit(req->db, req->user.login, action, detail) != GS_OK)
		log_error("audit line not written: %s %s %s", req->user.login, action, detail);
}

static const char *field(struct http_request *req, const char *name)
{
	const char *s = req->form ? form_get(req->form, name) : NULL;
	return s ? s : "";
}

/* ---- Halls ------------------------------------------------------------------------------- */

static enum gs_result halls_page(struct http_request *req, struct http_response *res, const char *notice,
				 const char *error)
{
	struct org_hall *halls = NULL;
	size_t n = 0;
	enum gs_result r = org_halls_list(req->db, 0, &halls, &n);
	if (r != GS_OK)
		return r;
	struct view_ctx v;
	web_view_ctx(req, &v);
	struct view_admin_halls p = {.halls = halls, .n = n, .notice = notice, .error = error};
	buf_reset(&res->body);
	view_admin_halls(&res->body, &v, &p);
	org_halls_free(halls, n);
	return GS_OK;
}

enum gs_result web_admin_halls(struct http_request *req, struct http_response *res)
{
	const char *done = http_query(req, "done");
	const char *msg = !done ? NULL
			  : strcmp(done, "opened") == 0  ? TR(req, "营业厅已启用。", "The hall is open.")
			  : strcmp(done, "closed") == 0  ? TR(req, "营业厅已停用，其二维码已失效。", "The hall is closed; its survey codes no longer work.")
			  : strcmp(done, "rotated") == 0 ? TR(req, "二维码密钥已更换：请重新打印海报。", "The QR key is rotated: print new posters.")
							 : NULL;
	return halls_page(req, res, msg, NULL);
}

enum gs_result web_admin_hall_active(struct http_request *req, struct http_response *res)
{
	const char *code = req->match.params[0], *a = field(req, "active");
	if (strcmp(a, "0") != 0 && strcmp(a, "1") != 0) {
		res->status = 400;
		return halls_page(req, res, NULL, TR(req, "active 只能是 0 或 1。", "active: must be 0 or 1."));
	}
	enum gs_result r = org_hall_set_active(req->db, code, a[0] == '1');
	if (r == GS_ERR_NOT_FOUND) {
		res->status = 404;
		return halls_page(req, res, NULL, TR(req, "没有此编码的营业厅。", "No service hall with that code."));
	}
	if (r != GS_OK)
		return r;
	audit(req, a[0] == '1' ? "admin.hall.open" : "admin.hall.close", "hall=%.64s", code);
	http_redirect(res, 303, a[0] == '1' ? "/admin/halls?done=opened" : "/admin/halls?done=closed");
	return GS_OK;
}

enum gs_result web_admin_hall_rotate(struct http_request *req, struct http_response *res)
{
	const char *code = req->match.params[0];
	int version = 0;
	enum gs_result r = survey_hall_rotate_key(req->db, code, &version);
	if (r == GS_ERR_NOT_FOUND) {
		res->status = 404;
		return halls_page(req, res, NULL, TR(req, "没有此编码的营业厅。", "No service hall with that code."));
	}
	if (r != GS_OK)
		return r;
	audit(req, "admin.hall.rotate-key", "hall=%.64s key_version=%d", code, version);
	http_redirect(res, 303, "/admin/halls?done=rotated");
	return GS_OK;
}

/* ---- Logins ------------------------------------------------------------------------------ */

/* auth.c's messages start with the field ("login: ...", "--unit: ..."): the field for
 * the form, the rest for the message. */
static const char *err_field(const char *err, const char **msg)
{
	static const struct {
		const char *prefix, *field;
	} map[] = {{"login:", "login"}, {"password:", "password"}, {"--role:", "role"}, {"--unit:", "unit"},
		   {"unit:", "unit"}, {"name:", "name"}, {"--hall:", "hall"}};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		size_t n = strlen(map[i].prefix);
		if (strncmp(err, map[i].prefix, n) == 0) {
			*msg = err + n + (err[n] == ' ');
			return map[i].field;
		}
	}
	*msg = err;
	return NULL;
}

static enum gs_result logins_page(struct http_request *req, struct http_response *res, struct view_admin_logins *p)
{
	struct auth_login_row *rows = NULL;
	size_t n = 0;
	enum gs_result r = auth_logins_list(req->db, &rows, &n);
	if (r != GS_OK)
		return r;
	struct view_ctx v;
	web_view_ctx(req, &v);
	p->rows = rows;
	p->n = n;
	buf_reset(&res->body);
	view_admin_logins(&res->body, &v, p);
	free(rows);
	return GS_OK;
}

enum gs_result web_admin_logins(struct http_request *req, struct http_response *res)
{
	const char *done = http_query(req, "done");
	struct view_admin_logins p = {
		.notice = !done ? NULL
			  : strcmp(done, "added") == 0    ? TR(req, "账号已新增。", "The login was added.")
			  : strcmp(done, "password") == 0 ? TR(req, "密码已重设，该账号的会话已全部结束。", "The password was reset and the login's sessions ended.")
			  : strcmp(done, "enabled") == 0  ? TR(req, "账号已启用。", "The login is enabled.")
			  : strcmp(done, "disabled") == 0 ? TR(req, "账号已停用，其会话已结束。", "The login is disabled and its sessions ended.")
							  : NULL};
	return logins_page(req, res, &p);
}

enum gs_result web_admin_login_add(struct http_request *req, struct http_response *res)
{
	const char *login = field(req, "login"), *password = field(req, "password"), *role_s = field(req, "role");
	const char *unit = field(req, "unit");
	struct view_field_error errs[2];
	size_t ne = 0;
	enum auth_role role;
	char err[256] = "";
	enum gs_result r;
	if (auth_role_parse(role_s, &role) != GS_OK || role == AUTH_ROLE_NONE) {
		errs[ne++] = (struct view_field_error){"role", TR(req, "请选择角色", "choose a role")};
		r = GS_ERR_INVALID;
	} else {
		r = auth_user_add(req->db, login, password, role, *unit ? unit : NULL, err, sizeof err);
	}
	if (r == GS_OK) {
		audit(req, "admin.login.add", "login=%.64s role=%s%s%.64s", login, role_s, *unit ? " unit=" : "", unit);
		http_redirect(res, 303, "/admin/logins?done=added");
		return GS_OK;
	}
	if (r != GS_ERR_INVALID && r != GS_ERR_CONFLICT && r != GS_ERR_NOT_FOUND)
		return r;
	if (err[0]) {
		const char *msg;
		const char *f = err_field(err, &msg);
		errs[ne++] = (struct view_field_error){f ? f : "login", msg};
	}
	res->status = r == GS_ERR_CONFLICT ? 409 : 400;
	struct view_admin_logins p = {.errs = errs, .n_errs = ne, .login = login, .role = role_s, .unit = unit};
	return logins_page(req, res, &p);
}

enum gs_result web_admin_login_password(struct http_request *req, struct http_response *res)
{
	const char *login = req->match.params[0];
	char err[256] = "";
	enum gs_result r = auth_user_set_password(req->db, login, field(req, "password"), err, sizeof err);
	if (r == GS_OK) {
		audit(req, "admin.login.password", "login=%.64s", login);
		http_redirect(res, 303, "/admin/logins?done=password");
		return GS_OK;
	}
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", TR(req, "没有此账号", "no such login"), login);
	if (r != GS_ERR_INVALID)
		return r;
	const char *msg;
	err_field(err, &msg);
	struct view_field_error e = {"row_password", msg};
	struct view_admin_logins p = {.errs = &e, .n_errs = 1, .row_login = login};
	res->status = 400;
	return logins_page(req, res, &p);
}

enum gs_result web_admin_login_active(struct http_request *req, struct http_response *res)
{
	const char *login = req->match.params[0], *a = field(req, "active");
	if (strcmp(a, "0") != 0 && strcmp(a, "1") != 0)
		return http_fail(res, GS_ERR_INVALID, "active: must be 0 or 1");
	if (a[0] == '0' && strcmp(login, req->user.login) == 0)
		return http_fail(res, GS_ERR_CONFLICT, "%s",
				 TR(req, "不能停用自己正在使用的账号。", "You cannot disable the login you are using."));
	enum gs_result r = auth_user_set_active(req->db, login, a[0] == '1');
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", TR(req, "没有此账号", "no such login"), login);
	if (r != GS_OK)
		return r;
	audit(req, a[0] == '1' ? "admin.login.enable" : "admin.login.disable", "login=%.64s", login);
	http_redirect(res, 303, a[0] == '1' ? "/admin/logins?done=enabled" : "/admin/logins?done=disabled");
	return GS_OK;
}

/* ---- API tokens -------------------------------------------------------------------------- */

static enum gs_result tokens_page(struct http_request *req, struct http_response *res, struct view_admin_tokens *p)
{
	struct auth_token_row *rows = NULL;
	size_t n = 0;
	enum gs_result r = auth_tokens_list(req->db, &rows, &n);
	if (r != GS_OK)
		return r;
	struct view_ctx v;
	web_view_ctx(req, &v);
	p->rows = rows;
	p->n = n;
	buf_reset(&res->body);
	view_admin_tokens(&res->body, &v, p);
	free(rows);
	return GS_OK;
}

enum gs_result web_admin_tokens(struct http_request *req, struct http_response *res)
{
	const char *done = http_query(req, "done");
	struct view_admin_tokens p = {
		.notice = done && strcmp(done, "revoked") == 0 ? TR(req, "令牌已吊销。", "The token is revoked.") : NULL};
	return tokens_page(req, res, &p);
}

enum gs_result web_admin_token_add(struct http_request *req, struct http_response *res)
{
	const char *name = field(req, "name"), *hall = field(req, "hall");
	char secret[AUTH_API_TOKEN_LEN + 1], err[256] = "";
	struct view_field_error e[1];
	size_t ne = 0;
	enum gs_result r;
	if (!*name || strlen(name) > AUTH_LOGIN_MAX) {
		e[ne++] = (struct view_field_error){"name", TR(req, "请输入 1 到 64 个字符的名称", "enter a name of 1 to 64 characters")};
		r = GS_ERR_INVALID;
	} else {
		r = auth_token_add(req->db, name, *hall ? hall : NULL, secret, err, sizeof err);
	}
	if (r == GS_OK) {
		audit(req, "admin.token.add", "name=%.64s%s%.64s", name, *hall ? " hall=" : "", hall);
		struct view_admin_tokens p = {.new_name = name, .new_secret = secret};
		r = tokens_page(req, res, &p);
		sodium_memzero(secret, sizeof secret);
		return r;
	}
	if (r != GS_ERR_INVALID && r != GS_ERR_CONFLICT)
		return r;
	if (err[0]) {
		const char *msg;
		const char *f = err_field(err, &msg);
		e[ne++] = (struct view_field_error){f ? f : "name", msg};
	}
	res->status = r == GS_ERR_CONFLICT ? 409 : 400;
	struct view_admin_tokens p = {.errs = e, .n_errs = ne, .name = name, .hall = hall};
	return tokens_page(req, res, &p);
}

enum gs_result web_admin_token_revoke(struct http_request *req, struct http_response *res)
{
	char *end = NULL;
	long long id = strtoll(req->match.params[0], &end, 10);
	if (!end || *end || id <= 0)
		return http_fail(res, GS_ERR_NOT_FOUND, "no such token");
	enum gs_result r = auth_token_revoke(req->db, id);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s", TR(req, "没有此令牌", "no such token"));
	if (r == GS_ERR_CONFLICT)
		return http_fail(res, r, "%s", TR(req, "该令牌已吊销", "this token is already revoked"));
	if (r != GS_OK)
		return r;
	audit(req, "admin.token.revoke", "id=%lld", id);
	http_redirect(res, 303, "/admin/tokens?done=revoked");
	return GS_OK;
}

/* ---- Settings ---------------------------------------------------------------------------- */

enum gs_result web_admin_settings(struct http_request *req, struct http_response *res)
{
	size_t n;
	const struct settings_def *defs = settings_defs(&n);
	struct view_admin_setting *s = xcalloc(n, sizeof *s);
	char (*values)[64] = xcalloc(n, sizeof *values);
	int posted = req->form != NULL, invalid = 0;
	char (*errs)[128] = xcalloc(n, sizeof *errs);
	enum gs_result r = GS_OK;
	for (size_t i = 0; i < n && r == GS_OK; i++) {
		int found = 0;
		s[i].def = &defs[i];
		r = settings_get(req->db, defs[i].name, values[i], sizeof values[i], &found);
		s[i].stored = found;
		if (!found)
			snprintf(values[i], sizeof values[i], "%s", defs[i].def);
		if (posted) {
			const char *in = field(req, defs[i].name);
			if (settings_check(&defs[i], in, errs[i], sizeof errs[i]) != GS_OK) {
				s[i].error = errs[i];
				invalid = 1;
			}
			snprintf(values[i], sizeof values[i], "%.63s", in);
		}
		s[i].value = values[i];
	}
	if (r == GS_OK && posted && !invalid) {
		/* all or nothing: one transaction, one audit line per changed value */
		r = db_begin(req->db);
		for (size_t i = 0; i < n && r == GS_OK; i++) {
			char old[64];
			int found = 0;
			r = settings_get(req->db, defs[i].name, old, sizeof old, &found);
			if (r == GS_OK && strcmp(found ? old : defs[i].def, values[i]) != 0) {
				r = settings_set(req->db, defs[i].name, values[i]);
				char detail[256];
				snprintf(detail, sizeof detail, "%s: %s -> %s", defs[i].name, found ? old : defs[i].def, values[i]);
				if (r == GS_OK)
					r = auth_audit(req->db, req->user.login, "admin.setting", detail);
			}
		}
		if (r == GS_OK)
			r = db_commit(req->db);
		else
			db_rollback(req->db);
		if (r == GS_OK)
			http_redirect(res, 303, "/admin/settings?done=saved");
	} else if (r == GS_OK) {
		struct view_ctx v;
		web_view_ctx(req, &v);
		const char *done = http_query(req, "done");
		if (invalid)
			res->status = 400;
		view_admin_settings(&res->body, &v, s, n,
				    done && strcmp(done, "saved") == 0 ? TR(req, "设置已保存。", "The settings are saved.") : NULL);
	}
	free(s);
	free(values);
	free(errs);
	return r;
}
