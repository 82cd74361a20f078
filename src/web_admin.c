/* web_admin.c — the admin pages (role admin, every change a CSRF-checked POST): service
 * halls (add, edit, open or close, rotate the QR key), units, people and their leader
 * links, logins (add, reset a password, disable), API tokens (create, shown once;
 * revoke) and settings. Each change writes one audit line naming the admin. Domain work
 * is in org.c, auth.c, survey.c and settings.c; HTML in view_admin.c. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "view_admin.h"
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

/* The org change's errors as the form's (pointing into rep, which must outlive them). */
static size_t change_errs(const struct org_change_report *rep, struct view_field_error *errs, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->n_errors && n < max; i++)
		errs[n++] = (struct view_field_error){rep->errors[i].field, rep->errors[i].message};
	return n;
}

/* After a change of the org: unit statistics follow the new tree (as after org load). */
static void org_changed(struct http_request *req)
{
	if (survey_aggregates_rebuild(req->db, 1, NULL) != GS_OK)
		log_error("unit statistics not rebuilt after an org change by %s", req->user.login);
}

/* Appends ", name" to a changed-fields list when a and b differ (NULL equals ""). */
static void changed(char *list, size_t len, const char *name, const char *a, const char *b)
{
	if (strcmp(a ? a : "", b ? b : "") == 0)
		return;
	size_t k = strlen(list);
	snprintf(list + k, len - k, "%s%s", k ? "," : "", name);
}

static enum gs_result halls_page_form(struct http_request *req, struct http_response *res, const char *notice,
				      const char *error, const struct view_admin_hall_form *add)
{
	struct org_hall *halls = NULL;
	struct org_unit *units = NULL;
	size_t n = 0, nu = 0;
	enum gs_result r = org_halls_list(req->db, 0, &halls, &n);
	if (r == GS_OK)
		r = org_units_list(req->db, 0, &units, &nu);
	if (r == GS_OK) {
		struct view_ctx v;
		web_view_ctx(req, &v);
		struct view_admin_halls p = {.halls = halls, .n = n, .notice = notice, .error = error};
		buf_reset(&res->body);
		view_admin_halls_page(&res->body, &v, &p, add, units, nu);
	}
	org_halls_free(halls, n);
	org_units_free(units, nu);
	return r;
}

static enum gs_result halls_page(struct http_request *req, struct http_response *res, const char *notice,
				 const char *error)
{
	return halls_page_form(req, res, notice, error, NULL);
}

enum gs_result web_admin_halls(struct http_request *req, struct http_response *res)
{
	const char *done = http_query(req, "done");
	const char *msg = !done ? NULL
			  : strcmp(done, "opened") == 0  ? TR(req, "营业厅已启用。", "The hall is open.")
			  : strcmp(done, "closed") == 0  ? TR(req, "营业厅已停用，其二维码已失效。", "The hall is closed; its survey codes no longer work.")
			  : strcmp(done, "rotated") == 0 ? TR(req, "二维码密钥已更换：请重新打印海报。", "The QR key is rotated: print new posters.")
			  : strcmp(done, "added") == 0   ? TR(req, "营业厅已新增，可打印其二维码海报。", "The hall was added: its QR poster is ready to print.")
			  : strcmp(done, "saved") == 0   ? TR(req, "营业厅已保存。", "The hall is saved.")
							 : NULL;
	return halls_page(req, res, msg, NULL);
}

static const char *const day_fields[] = {"hours-mon", "hours-tue", "hours-wed", "hours-thu",
					 "hours-fri", "hours-sat", "hours-sun"};

/* The hall form's fields as a change and as the values to show again. */
static void hall_form_read(struct http_request *req, struct org_hall_change *c, struct view_admin_hall_form *f)
{
	c->code = field(req, "code");
	c->station = field(req, "station");
	c->name = field(req, "name");
	c->name_en = field(req, "name_en");
	c->address = field(req, "address");
	for (int d = 0; d < 7; d++)
		c->hours[d] = field(req, day_fields[d]);
	*f = (struct view_admin_hall_form){c->code, c->station, c->name, c->name_en, c->address, {0}, NULL, 0};
	memcpy(f->hours, c->hours, sizeof f->hours);
}

enum gs_result web_admin_hall_add(struct http_request *req, struct http_response *res)
{
	struct org_hall_change c = {.active = 1};
	struct view_admin_hall_form f;
	hall_form_read(req, &c, &f);
	struct org_change_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = org_hall_save(req->db, &c, 1, req->user.login, rep);
	if (r == GS_OK) {
		audit(req, "admin.hall.add", "hall=%.64s station=%.64s", c.code, c.station);
		org_changed(req);
		http_redirect(res, 303, "/admin/halls?done=added");
	} else if (r == GS_ERR_INVALID || r == GS_ERR_CONFLICT) {
		struct view_field_error errs[ORG_CHANGE_MAX_ERRORS];
		f.errs = errs;
		f.n_errs = change_errs(rep, errs, ORG_CHANGE_MAX_ERRORS);
		res->status = r == GS_ERR_CONFLICT ? 409 : 400;
		r = halls_page_form(req, res, NULL, NULL, &f);
	}
	free(rep);
	return r;
}

static enum gs_result hall_edit_page(struct http_request *req, struct http_response *res, const struct org_hall *h,
				     const struct view_admin_hall_form *f)
{
	struct org_unit *units = NULL;
	size_t nu = 0;
	enum gs_result r = org_units_list(req->db, 0, &units, &nu);
	if (r != GS_OK)
		return r;
	struct view_ctx v;
	web_view_ctx(req, &v);
	buf_reset(&res->body);
	view_admin_hall_edit(&res->body, &v, h, f, units, nu);
	org_units_free(units, nu);
	return GS_OK;
}

/* The stored hall's hours as the form's text, one buffer per day. */
static enum gs_result hall_hours_text(struct http_request *req, const struct org_hall *h, char text[7][128])
{
	struct org_hours *hours = NULL;
	size_t n = 0;
	enum gs_result r = org_hall_hours(req->db, h->id, &hours, &n);
	for (int d = 0; r == GS_OK && d < 7; d++)
		org_hours_text(hours, n, d + 1, text[d], sizeof text[d]);
	free(hours);
	return r;
}

enum gs_result web_admin_hall_page(struct http_request *req, struct http_response *res)
{
	struct org_hall h;
	enum gs_result r = org_hall_get(req->db, req->match.params[0], &h);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s", TR(req, "没有此编码的营业厅", "no service hall with that code"));
	if (r != GS_OK)
		return r;
	char text[7][128];
	r = hall_hours_text(req, &h, text);
	if (r == GS_OK) {
		struct view_admin_hall_form f = {h.code, h.station_code, h.name, h.name_en, h.address, {0}, NULL, 0};
		for (int d = 0; d < 7; d++)
			f.hours[d] = text[d];
		r = hall_edit_page(req, res, &h, &f);
	}
	org_hall_clear(&h);
	return r;
}

enum gs_result web_admin_hall_edit(struct http_request *req, struct http_response *res)
{
	struct org_hall h;
	enum gs_result r = org_hall_get(req->db, req->match.params[0], &h);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s", TR(req, "没有此编码的营业厅", "no service hall with that code"));
	if (r != GS_OK)
		return r;
	char text[7][128];
	struct org_change_report *rep = xcalloc(1, sizeof *rep);
	struct org_hall_change c = {.active = h.active};
	struct view_admin_hall_form f;
	hall_form_read(req, &c, &f);
	c.code = f.code = h.code; /* the code is the URL's, not a field */
	r = hall_hours_text(req, &h, text);
	if (r == GS_OK)
		r = org_hall_save(req->db, &c, 0, req->user.login, rep);
	if (r == GS_OK) {
		char list[128] = "";
		changed(list, sizeof list, "station", h.station_code, c.station);
		changed(list, sizeof list, "name", h.name, c.name);
		changed(list, sizeof list, "name_en", h.name_en, c.name_en);
		changed(list, sizeof list, "address", h.address, c.address);
		for (int d = 0; d < 7; d++)
			if (strcmp(text[d], c.hours[d]) != 0 && !strstr(list, "hours"))
				changed(list, sizeof list, "hours", "", "x");
		audit(req, "admin.hall.edit", "hall=%.64s changed=%s", h.code, list[0] ? list : "nothing");
		org_changed(req);
		http_redirect(res, 303, "/admin/halls?done=saved");
	} else if (r == GS_ERR_INVALID) {
		struct view_field_error errs[ORG_CHANGE_MAX_ERRORS];
		f.errs = errs;
		f.n_errs = change_errs(rep, errs, ORG_CHANGE_MAX_ERRORS);
		res->status = 400;
		r = hall_edit_page(req, res, &h, &f);
	}
	free(rep);
	org_hall_clear(&h);
	return r;
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
		if (r == GS_OK) {
			settings_changed(); /* the server's threads read them again */
			http_redirect(res, 303, "/admin/settings?done=saved");
		}
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

/* ---- Units ------------------------------------------------------------------------------- */

static enum gs_result units_page(struct http_request *req, struct http_response *res, const char *notice,
				 const struct view_admin_unit_form *add, const struct view_admin_unit_form *edit)
{
	struct org_unit *units = NULL;
	size_t n = 0;
	enum gs_result r = org_units_list(req->db, 0, &units, &n);
	if (r != GS_OK)
		return r;
	struct view_ctx v;
	web_view_ctx(req, &v);
	buf_reset(&res->body);
	if (edit)
		view_admin_unit_edit(&res->body, &v, units, n, edit);
	else
		view_admin_units(&res->body, &v, units, n, notice, add);
	org_units_free(units, n);
	return GS_OK;
}

enum gs_result web_admin_units(struct http_request *req, struct http_response *res)
{
	const char *done = http_query(req, "done");
	const char *msg = !done ? NULL
			  : strcmp(done, "added") == 0 ? TR(req, "单位已新增。", "The unit was added.")
			  : strcmp(done, "saved") == 0 ? TR(req, "单位已保存。", "The unit is saved.")
						       : NULL;
	return units_page(req, res, msg, NULL, NULL);
}

static void unit_form_read(struct http_request *req, struct org_unit_change *c, struct view_admin_unit_form *f)
{
	*c = (struct org_unit_change){field(req, "code"), field(req, "kind"), field(req, "parent"), field(req, "name"),
				      field(req, "name_en")};
	*f = (struct view_admin_unit_form){c->code, c->kind, c->parent, c->name, c->name_en, NULL, 0};
}

enum gs_result web_admin_unit_add(struct http_request *req, struct http_response *res)
{
	struct org_unit_change c;
	struct view_admin_unit_form f;
	unit_form_read(req, &c, &f);
	struct org_change_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = org_unit_save(req->db, &c, 1, req->user.login, rep);
	if (r == GS_OK) {
		audit(req, "admin.unit.add", "unit=%.64s kind=%.16s parent=%.64s", c.code, c.kind, *c.parent ? c.parent : "-");
		org_changed(req);
		http_redirect(res, 303, "/admin/units?done=added");
	} else if (r == GS_ERR_INVALID || r == GS_ERR_CONFLICT) {
		struct view_field_error errs[ORG_CHANGE_MAX_ERRORS];
		f.errs = errs;
		f.n_errs = change_errs(rep, errs, ORG_CHANGE_MAX_ERRORS);
		res->status = r == GS_ERR_CONFLICT ? 409 : 400;
		r = units_page(req, res, NULL, &f, NULL);
	}
	free(rep);
	return r;
}

enum gs_result web_admin_unit_page(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	enum gs_result r = org_unit_get(req->db, req->match.params[0], &u);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s", TR(req, "没有此编码的单位", "no unit with that code"));
	if (r != GS_OK)
		return r;
	struct view_admin_unit_form f = {u.code, u.kind, u.parent_code, u.name, u.name_en, NULL, 0};
	r = units_page(req, res, NULL, NULL, &f);
	org_unit_clear(&u);
	return r;
}

enum gs_result web_admin_unit_edit(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	enum gs_result r = org_unit_get(req->db, req->match.params[0], &u);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s", TR(req, "没有此编码的单位", "no unit with that code"));
	if (r != GS_OK)
		return r;
	struct org_unit_change c;
	struct view_admin_unit_form f;
	unit_form_read(req, &c, &f);
	c.code = f.code = u.code;
	struct org_change_report *rep = xcalloc(1, sizeof *rep);
	r = org_unit_save(req->db, &c, 0, req->user.login, rep);
	if (r == GS_OK) {
		char list[128] = "";
		changed(list, sizeof list, "kind", u.kind, c.kind);
		changed(list, sizeof list, "parent", u.parent_code, c.parent);
		changed(list, sizeof list, "name", u.name, c.name);
		changed(list, sizeof list, "name_en", u.name_en, c.name_en);
		audit(req, "admin.unit.edit", "unit=%.64s changed=%s", u.code, list[0] ? list : "nothing");
		org_changed(req);
		http_redirect(res, 303, "/admin/units?done=saved");
	} else if (r == GS_ERR_INVALID) {
		struct view_field_error errs[ORG_CHANGE_MAX_ERRORS];
		f.errs = errs;
		f.n_errs = change_errs(rep, errs, ORG_CHANGE_MAX_ERRORS);
		res->status = 400;
		r = units_page(req, res, NULL, NULL, &f);
	}
	free(rep);
	org_unit_clear(&u);
	return r;
}

/* ---- People and leader links ------------------------------------------------------------ */

static enum gs_result people_page(struct http_request *req, struct http_response *res, const char *notice,
				  const struct view_admin_person_form *add)
{
	struct org_person *people = NULL;
	struct org_unit *units = NULL;
	size_t n = 0, nu = 0;
	enum gs_result r = org_people_list(req->db, &people, &n);
	if (r == GS_OK)
		r = org_units_list(req->db, 0, &units, &nu);
	if (r == GS_OK) {
		struct view_ctx v;
		web_view_ctx(req, &v);
		buf_reset(&res->body);
		view_admin_people(&res->body, &v, people, n, units, nu, notice, add);
	}
	org_people_free(people, n);
	org_units_free(units, nu);
	return r;
}

/* One person's page; f NULL: the stored values. */
static enum gs_result person_page(struct http_request *req, struct http_response *res, const struct org_person *p,
				  const char *notice, const struct view_admin_person_form *f)
{
	struct org_unit *units = NULL;
	size_t nu = 0;
	enum gs_result r = org_units_list(req->db, 0, &units, &nu);
	if (r != GS_OK)
		return r;
	struct view_admin_person_form stored = {p->code, p->unit_code, p->name, p->name_en, p->title,
						NULL,	 0,	       NULL,	NULL,	    NULL,
						0};
	struct view_ctx v;
	web_view_ctx(req, &v);
	buf_reset(&res->body);
	view_admin_person_edit(&res->body, &v, p, units, nu, notice, f ? f : &stored);
	org_units_free(units, nu);
	return GS_OK;
}

enum gs_result web_admin_people(struct http_request *req, struct http_response *res)
{
	const char *done = http_query(req, "done");
	const char *msg = !done ? NULL
			  : strcmp(done, "added") == 0 ? TR(req, "人员已新增。", "The person was added.")
			  : strcmp(done, "saved") == 0 ? TR(req, "人员信息已保存。", "The person is saved.")
						       : NULL;
	return people_page(req, res, msg, NULL);
}

static void person_form_read(struct http_request *req, struct org_person_change *c, struct view_admin_person_form *f)
{
	*c = (struct org_person_change){field(req, "code"), field(req, "unit"), field(req, "name"), field(req, "name_en"),
					field(req, "title")};
	*f = (struct view_admin_person_form){.code = c->code, .unit = c->unit, .name = c->name, .name_en = c->name_en,
					     .title = c->title};
}

enum gs_result web_admin_person_add(struct http_request *req, struct http_response *res)
{
	struct org_person_change c;
	struct view_admin_person_form f;
	person_form_read(req, &c, &f);
	struct org_change_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = org_person_save(req->db, &c, 1, req->user.login, rep);
	if (r == GS_OK) {
		audit(req, "admin.person.add", "person=%.64s unit=%.64s", c.code, c.unit);
		org_changed(req);
		http_redirect(res, 303, "/admin/people?done=added");
	} else if (r == GS_ERR_INVALID || r == GS_ERR_CONFLICT) {
		struct view_field_error errs[ORG_CHANGE_MAX_ERRORS];
		f.errs = errs;
		f.n_errs = change_errs(rep, errs, ORG_CHANGE_MAX_ERRORS);
		res->status = r == GS_ERR_CONFLICT ? 409 : 400;
		r = people_page(req, res, NULL, &f);
	}
	free(rep);
	return r;
}

static enum gs_result person_or_404(struct http_request *req, struct http_response *res, struct org_person *p)
{
	enum gs_result r = org_person_get(req->db, req->match.params[0], p);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s", TR(req, "没有此编码的人员", "no person with that code"));
	return r;
}

enum gs_result web_admin_person_page(struct http_request *req, struct http_response *res)
{
	struct org_person p;
	enum gs_result r = person_or_404(req, res, &p);
	if (r != GS_OK)
		return r;
	const char *done = http_query(req, "done");
	const char *msg = !done ? NULL
			  : strcmp(done, "link-added") == 0   ? TR(req, "分工已新增。", "The leader link was added.")
			  : strcmp(done, "link-removed") == 0 ? TR(req, "分工已删除。", "The leader link was removed.")
							      : NULL;
	r = person_page(req, res, &p, msg, NULL);
	org_person_clear(&p);
	return r;
}

enum gs_result web_admin_person_edit(struct http_request *req, struct http_response *res)
{
	struct org_person p;
	enum gs_result r = person_or_404(req, res, &p);
	if (r != GS_OK)
		return r;
	struct org_person_change c;
	struct view_admin_person_form f;
	person_form_read(req, &c, &f);
	c.code = f.code = p.code;
	struct org_change_report *rep = xcalloc(1, sizeof *rep);
	r = org_person_save(req->db, &c, 0, req->user.login, rep);
	if (r == GS_OK) {
		char list[128] = "";
		changed(list, sizeof list, "unit", p.unit_code, c.unit);
		changed(list, sizeof list, "name", p.name, c.name);
		changed(list, sizeof list, "name_en", p.name_en, c.name_en);
		changed(list, sizeof list, "title", p.title, c.title);
		audit(req, "admin.person.edit", "person=%.64s changed=%s", p.code, list[0] ? list : "nothing");
		org_changed(req);
		http_redirect(res, 303, "/admin/people?done=saved");
	} else if (r == GS_ERR_INVALID) {
		struct view_field_error errs[ORG_CHANGE_MAX_ERRORS];
		f.errs = errs;
		f.n_errs = change_errs(rep, errs, ORG_CHANGE_MAX_ERRORS);
		res->status = 400;
		r = person_page(req, res, &p, NULL, &f);
	}
	free(rep);
	org_person_clear(&p);
	return r;
}

static enum gs_result link_change(struct http_request *req, struct http_response *res, int add)
{
	struct org_person p;
	enum gs_result r = person_or_404(req, res, &p);
	if (r != GS_OK)
		return r;
	const char *kind = field(req, "link_kind"), *unit = field(req, "link_unit");
	struct org_change_report *rep = xcalloc(1, sizeof *rep);
	r = org_person_link(req->db, p.code, kind, unit, add, req->user.login, rep);
	if (r == GS_OK) {
		char to[200];
		audit(req, add ? "admin.link.add" : "admin.link.remove", "person=%.64s %.16s=%.64s", p.code, kind, unit);
		org_changed(req);
		snprintf(to, sizeof to, "/admin/people/%s?done=%s", p.code, add ? "link-added" : "link-removed");
		http_redirect(res, 303, to);
	} else if (r == GS_ERR_NOT_FOUND && !add) {
		r = http_fail(res, r, "%s", TR(req, "此人没有这项分工", "this person has no such leader link"));
	} else if (r == GS_ERR_INVALID || r == GS_ERR_CONFLICT) {
		struct view_field_error errs[ORG_CHANGE_MAX_ERRORS];
		struct view_admin_person_form f = {p.code, p.unit_code, p.name, p.name_en, p.title, NULL, 0, kind, unit,
						   errs,   0};
		f.n_link_errs = change_errs(rep, errs, ORG_CHANGE_MAX_ERRORS);
		res->status = r == GS_ERR_CONFLICT ? 409 : 400;
		r = person_page(req, res, &p, NULL, &f);
	}
	free(rep);
	org_person_clear(&p);
	return r;
}

enum gs_result web_admin_link_add(struct http_request *req, struct http_response *res)
{
	return link_change(req, res, 1);
}

enum gs_result web_admin_link_remove(struct http_request *req, struct http_response *res)
{
	return link_change(req, res, 0);
}
