/* view_admin.c — the admin pages: service halls (open or close, rotate the QR key),
 * logins (add, reset a password, disable), API tokens (create, shown once; revoke) and
 * settings. Every form carries the CSRF token, every input its label, and errors sit
 * beside their fields. */
#include <stdio.h>
#include <string.h>

#include "settings.h"
#include "view.h"

static void admin_begin(struct buf *b, const struct view_ctx *v, const char *title, const char *here)
{
	view_begin(b, v, title);
	static const char *const paths[] = {"/admin/halls", "/admin/logins", "/admin/tokens", "/admin/settings"};
	const char *names[] = {view_tr(v, "营业厅", "Service halls"), view_tr(v, "登录账号", "Logins"),
			       view_tr(v, "API 令牌", "API tokens"), view_tr(v, "设置", "Settings")};
	buf_printf(b, "<nav class=\"subnav\" aria-label=\"%s\"><ul>", view_tr(v, "系统管理", "Administration"));
	for (size_t i = 0; i < 4; i++)
		buf_printf(b, "<li><a href=\"%s\"%s>%s</a></li>", paths[i],
			   strcmp(paths[i], here) == 0 ? " aria-current=\"page\"" : "", names[i]);
	buf_puts(b, "</ul></nav>\n<h1>");
	view_esc(b, title);
	buf_puts(b, "</h1>\n");
}

static void notice(struct buf *b, const char *msg, int error)
{
	if (!msg)
		return;
	buf_printf(b, "<p class=\"%s\" role=\"%s\">", error ? "error" : "notice", error ? "alert" : "status");
	view_esc(b, msg);
	buf_puts(b, "</p>\n");
}

static const char *err_for(const struct view_field_error *errs, size_t n, const char *field)
{
	for (size_t i = 0; i < n; i++)
		if (errs[i].field && strcmp(errs[i].field, field) == 0)
			return errs[i].message;
	return NULL;
}

/* A labelled input with its error beside it. id must be unique on the page. */
static void input(struct buf *b, const char *id, const char *name, const char *label, const char *type,
		  const char *value, const char *extra, const char *err)
{
	buf_printf(b, "<div class=\"field%s\"><label for=\"", err ? " invalid" : "");
	view_esc(b, id);
	buf_printf(b, "\">%s</label><input id=\"", label);
	view_esc(b, id);
	buf_printf(b, "\" name=\"%s\" type=\"%s\"", name, type);
	if (value) {
		buf_puts(b, " value=\"");
		view_esc(b, value);
		buf_puts(b, "\"");
	}
	if (extra)
		buf_printf(b, " %s", extra);
	if (err) {
		buf_puts(b, " aria-invalid=\"true\" aria-describedby=\"");
		view_esc(b, id);
		buf_puts(b, "-err\"");
	}
	buf_puts(b, ">");
	if (err) {
		buf_puts(b, "<span class=\"field-error\" id=\"");
		view_esc(b, id);
		buf_puts(b, "-err\">");
		view_esc(b, err);
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</div>\n");
}

/* A one-button POST form; label_hidden completes the button's name for screen readers. */
static void button_form(struct buf *b, const struct view_ctx *v, const char *action_prefix, const char *code,
			const char *action_suffix, const char *field, const char *value, const char *label,
			const char *label_hidden)
{
	buf_puts(b, "<form method=\"post\" class=\"inline\" action=\"");
	buf_puts(b, action_prefix);
	view_url_segment(b, code);
	buf_printf(b, "%s\">", action_suffix);
	view_csrf_field(b, v);
	if (field)
		buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", field, value);
	buf_printf(b, "<button type=\"submit\">%s<span class=\"vh\"> ", label);
	view_esc(b, label_hidden);
	buf_puts(b, "</span></button></form>");
}

static void day_of(int64_t t, char out[11])
{
	if (t <= 0) {
		snprintf(out, 11, "—");
		return;
	}
	survey_local_time(t, out, NULL, NULL);
}

void view_admin_halls(struct buf *b, const struct view_ctx *v, const struct view_admin_halls *p)
{
	admin_begin(b, v, view_tr(v, "营业厅管理", "Service halls"), "/admin/halls");
	notice(b, p->notice, 0);
	notice(b, p->error, 1);
	buf_printf(b, "<p>%s</p>\n",
		   view_tr(v, "停用营业厅后，其二维码立即失效；更换二维码密钥会使已印制的海报全部失效，需重新打印。",
			   "Closing a hall stops its survey codes at once; rotating its QR key revokes every printed "
			   "poster (print new ones)."));
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "营业厅", "Service hall"), view_tr(v, "编码", "Code"), view_tr(v, "供电所", "Station"),
		   view_tr(v, "状态", "State"), view_tr(v, "密钥版本", "Key version"), view_tr(v, "操作", "Actions"));
	for (size_t i = 0; i < p->n; i++) {
		const struct org_hall *h = &p->halls[i];
		buf_puts(b, "<tr><th scope=\"row\"><a href=\"/halls/");
		view_url_segment(b, h->code);
		buf_puts(b, "\">");
		view_esc(b, view_hall_name(v, h));
		buf_puts(b, "</a></th><td><code>");
		view_esc(b, h->code);
		buf_puts(b, "</code></td><td>");
		view_esc(b, h->station_name);
		buf_printf(b, "</td><td>%s</td><td>%d</td><td>",
			   h->active ? view_tr(v, "营业中", "Open") : view_tr(v, "已停用", "Closed"), h->key_version);
		button_form(b, v, "/admin/halls/", h->code, "/active", "active", h->active ? "0" : "1",
			    h->active ? view_tr(v, "停用", "Close") : view_tr(v, "启用", "Open"), h->code);
		buf_puts(b, " ");
		button_form(b, v, "/admin/halls/", h->code, "/rotate-key", NULL, NULL,
			    view_tr(v, "更换二维码密钥", "Rotate QR key"), h->code);
		buf_puts(b, " <a href=\"/halls/");
		view_url_segment(b, h->code);
		buf_printf(b, "/poster\">%s<span class=\"vh\"> ", view_tr(v, "海报", "Poster"));
		view_esc(b, h->code);
		buf_puts(b, "</span></a></td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	view_end(b, v);
}

void view_admin_logins(struct buf *b, const struct view_ctx *v, const struct view_admin_logins *p)
{
	admin_begin(b, v, view_tr(v, "登录账号", "Logins"), "/admin/logins");
	notice(b, p->notice, 0);
	buf_printf(b, "<section aria-labelledby=\"add-h\">\n<h2 id=\"add-h\">%s</h2>\n"
		      "<form method=\"post\" action=\"/admin/logins\" class=\"admin\">",
		   view_tr(v, "新增账号", "Add a login"));
	view_csrf_field(b, v);
	input(b, "login", "login", view_tr(v, "用户名", "Login"), "text", p->login,
	      "required maxlength=\"64\" autocomplete=\"off\"", err_for(p->errs, p->n_errs, "login"));
	input(b, "password", "password", view_tr(v, "初始密码（至少 10 个字符）", "Initial password (at least 10 characters)"),
	      "password", NULL, "required autocomplete=\"new-password\"", err_for(p->errs, p->n_errs, "password"));
	const char *role_err = err_for(p->errs, p->n_errs, "role");
	buf_printf(b, "<div class=\"field%s\"><label for=\"role\">%s</label><select id=\"role\" name=\"role\"%s>",
		   role_err ? " invalid" : "", view_tr(v, "角色", "Role"),
		   role_err ? " aria-invalid=\"true\" aria-describedby=\"role-err\"" : "");
	static const char *const roles[] = {"station", "manager", "admin"};
	const char *role_names[] = {view_tr(v, "供电所", "Station"), view_tr(v, "管理人员（只读全部）", "Manager (reads all)"),
				    view_tr(v, "系统管理员", "Administrator")};
	for (int i = 0; i < 3; i++)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>", roles[i],
			   p->role && strcmp(p->role, roles[i]) == 0 ? " selected" : "", role_names[i]);
	buf_puts(b, "</select>");
	if (role_err) {
		buf_puts(b, "<span class=\"field-error\" id=\"role-err\">");
		view_esc(b, role_err);
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</div>\n");
	input(b, "unit", "unit", view_tr(v, "供电所编码（供电所账号必填）", "Station code (for station logins)"), "text", p->unit,
	      "maxlength=\"64\"", err_for(p->errs, p->n_errs, "unit"));
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n</section>\n", view_tr(v, "新增", "Add"));

	buf_printf(b, "<section aria-labelledby=\"list-h\">\n<h2 id=\"list-h\">%s</h2>\n", view_tr(v, "全部账号", "All logins"));
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "用户名", "Login"), view_tr(v, "角色", "Role"), view_tr(v, "单位", "Unit"),
		   view_tr(v, "状态", "State"), view_tr(v, "重设密码", "Reset password"), view_tr(v, "启用/停用", "Enable or disable"));
	for (size_t i = 0; i < p->n; i++) {
		const struct auth_login_row *x = &p->rows[i];
		buf_puts(b, "<tr><th scope=\"row\">");
		view_esc(b, x->login);
		buf_printf(b, "</th><td>%s</td><td>", auth_role_name(x->role));
		view_esc(b, x->unit_code[0] ? x->unit_code : "—");
		buf_printf(b, "</td><td>%s</td><td>", x->active ? view_tr(v, "启用", "Active") : view_tr(v, "已停用", "Disabled"));
		buf_puts(b, "<form method=\"post\" class=\"inline\" action=\"/admin/logins/");
		view_url_segment(b, x->login);
		buf_puts(b, "/password\">");
		view_csrf_field(b, v);
		char id[AUTH_LOGIN_MAX + 8], label[AUTH_LOGIN_MAX * 2 + 64];
		snprintf(id, sizeof id, "pw-%s", x->login);
		struct buf lb;
		buf_init(&lb, sizeof label);
		buf_printf(&lb, "%s ", view_tr(v, "新密码：", "New password for"));
		view_esc(&lb, x->login);
		int this_row = p->row_login && strcmp(p->row_login, x->login) == 0;
		input(b, id, "password", lb.data ? lb.data : "", "password", NULL, "required autocomplete=\"new-password\"",
		      this_row ? err_for(p->errs, p->n_errs, "row_password") : NULL);
		buf_free(&lb);
		buf_printf(b, "<button type=\"submit\">%s<span class=\"vh\"> ", view_tr(v, "重设", "Reset"));
		view_esc(b, x->login);
		buf_puts(b, "</span></button></form></td><td>");
		button_form(b, v, "/admin/logins/", x->login, "/active", "active", x->active ? "0" : "1",
			    x->active ? view_tr(v, "停用", "Disable") : view_tr(v, "启用", "Enable"), x->login);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n</section>\n");
	view_end(b, v);
}

void view_admin_tokens(struct buf *b, const struct view_ctx *v, const struct view_admin_tokens *p)
{
	admin_begin(b, v, view_tr(v, "API 令牌", "API tokens"), "/admin/tokens");
	notice(b, p->notice, 0);
	if (p->new_secret) {
		buf_printf(b, "<section class=\"secret\" aria-labelledby=\"new-h\">\n<h2 id=\"new-h\">%s</h2>\n<p>",
			   view_tr(v, "新令牌（只显示这一次）", "The new token (shown only this once)"));
		view_esc(b, p->new_name);
		buf_puts(b, ": <code class=\"hash\">");
		view_esc(b, p->new_secret);
		buf_printf(b, "</code></p>\n<p>%s</p>\n</section>\n",
			   view_tr(v, "请立即复制保存；离开本页后无法再次查看。", "Copy it now: it cannot be shown again."));
	}
	buf_printf(b, "<section aria-labelledby=\"add-h\">\n<h2 id=\"add-h\">%s</h2>\n"
		      "<form method=\"post\" action=\"/admin/tokens\" class=\"admin\">",
		   view_tr(v, "新建令牌", "Create a token"));
	view_csrf_field(b, v);
	input(b, "name", "name", view_tr(v, "名称", "Name"), "text", p->name, "required maxlength=\"64\"",
	      err_for(p->errs, p->n_errs, "name"));
	input(b, "hall", "hall", view_tr(v, "限定营业厅编码（可选）", "Only for the hall with code (optional)"), "text", p->hall,
	      "maxlength=\"64\"", err_for(p->errs, p->n_errs, "hall"));
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n</section>\n", view_tr(v, "新建", "Create"));
	buf_printf(b, "<section aria-labelledby=\"list-h\">\n<h2 id=\"list-h\">%s</h2>\n", view_tr(v, "全部令牌", "All tokens"));
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "名称", "Name"), view_tr(v, "营业厅", "Hall"), view_tr(v, "创建", "Created"),
		   view_tr(v, "最近使用", "Last used"), view_tr(v, "状态", "State"));
	for (size_t i = 0; i < p->n; i++) {
		const struct auth_token_row *x = &p->rows[i];
		char c[11], u[11], id[32];
		day_of(x->created_at, c);
		day_of(x->last_used, u);
		buf_puts(b, "<tr><th scope=\"row\">");
		view_esc(b, x->name);
		buf_puts(b, "</th><td>");
		view_esc(b, x->hall_code[0] ? x->hall_code : "—");
		buf_printf(b, "</td><td>%s</td><td>%s</td><td>", c, u);
		if (x->revoked_at) {
			char r[11];
			day_of(x->revoked_at, r);
			buf_printf(b, "%s %s", view_tr(v, "已吊销于", "revoked"), r);
		} else {
			snprintf(id, sizeof id, "%lld", (long long)x->id);
			button_form(b, v, "/admin/tokens/", id, "/revoke", NULL, NULL, view_tr(v, "吊销", "Revoke"), x->name);
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n</section>\n");
	view_end(b, v);
}

void view_admin_settings(struct buf *b, const struct view_ctx *v, const struct view_admin_setting *s, size_t n,
			 const char *notice_text)
{
	admin_begin(b, v, view_tr(v, "设置", "Settings"), "/admin/settings");
	notice(b, notice_text, 0);
	int any_err = 0;
	for (size_t i = 0; i < n; i++)
		any_err |= s[i].error != NULL;
	if (any_err)
		notice(b, view_tr(v, "有设置无效，未保存任何更改，见各项说明。", "Some values are invalid; nothing was saved (see the notes beside the fields)."), 1);
	buf_puts(b, "<form method=\"post\" action=\"/admin/settings\" class=\"admin settings\">");
	view_csrf_field(b, v);
	for (size_t i = 0; i < n; i++) {
		const struct settings_def *d = s[i].def;
		char id[64], label[512], extra[160];
		snprintf(id, sizeof id, "s-%s", d->name);
		for (char *c = id; *c; c++)
			if (*c == '.')
				*c = '-';
		snprintf(label, sizeof label, "%s <small><code>%s</code> · %s %s%s</small>", view_tr(v, d->zh, d->en), d->name,
			 view_tr(v, "默认", "default"), d->def,
			 d->at_restart ? view_tr(v, " · 重启服务后生效", " · takes effect at the next server start") : "");
		if (d->type == SETTINGS_DAY)
			snprintf(extra, sizeof extra, "required");
		else
			snprintf(extra, sizeof extra, "required inputmode=\"numeric\" min=\"%ld\" max=\"%ld\"", d->min, d->max);
		input(b, id, d->name, label, d->type == SETTINGS_DAY ? "date" : "number", s[i].value, extra, s[i].error);
	}
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n", view_tr(v, "保存", "Save"));
	view_end(b, v);
}
