/* view_admin.c — the admin pages: service halls (add, edit, open or close, rotate the
 * QR key), units, people and their leader links, logins (add, reset a password,
 * disable), API tokens (create, shown once; revoke) and settings. Every form carries
 * the CSRF token, every input its label, and errors sit beside their fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "view.h"
#include "view_admin.h"

static void admin_begin(struct buf *b, const struct view_ctx *v, const char *title, const char *here)
{
	view_begin(b, v, title);
	static const char *const paths[] = {"/admin/halls",  "/admin/units",  "/admin/people",
					    "/admin/logins", "/admin/tokens", "/admin/settings"};
	const char *names[] = {view_tr(v, "营业厅", "Service halls"), view_tr(v, "单位", "Units"),
			       view_tr(v, "人员与分工", "People and leader links"), view_tr(v, "登录账号", "Logins"),
			       view_tr(v, "API 令牌", "API tokens"), view_tr(v, "设置", "Settings")};
	buf_printf(b, "<nav class=\"subnav\" aria-label=\"%s\"><ul>", view_tr(v, "系统管理", "Administration"));
	for (size_t i = 0; i < GS_ARRAY_LEN(paths); i++)
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

/* Opens the "add" section of a list page: its heading and a POST form to action with
 * the CSRF token. form_end closes it. */
static void add_form_begin(struct buf *b, const struct view_ctx *v, const char *heading, const char *action)
{
	buf_printf(b,
	           "<section aria-labelledby=\"add-h\">\n<h2 id=\"add-h\">%s</h2>\n"
	           "<form method=\"post\" action=\"%s\" class=\"admin\">",
	           heading, action);
	view_csrf_field(b, v);
}

/* Closes a form and its section with a submit button labelled label. */
static void form_end(struct buf *b, const char *label)
{
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n</section>\n", label);
}

/* An "Edit" link to prefix + code; screen readers hear the code too. */
static void edit_link(struct buf *b, const struct view_ctx *v, const char *prefix, const char *code)
{
	buf_printf(b, "<a href=\"%s", prefix);
	view_url_segment(b, code);
	buf_printf(b, "\">%s<span class=\"vh\"> ", view_tr(v, "编辑", "Edit"));
	view_esc(b, code);
	buf_puts(b, "</span></a>");
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

/* A <select> with its label and error; values[i] shown as labels[i]. empty_label (may
 * be NULL) adds a first option with the value "". */
static void select_field(struct buf *b, const char *id, const char *label, const char *const *values,
			 const char *const *labels, size_t n, const char *selected, const char *empty_label,
			 const char *err)
{
	buf_printf(b, "<div class=\"field%s\"><label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\"%s%s%s>",
		   err ? " invalid" : "", id, label, id, id, err ? " aria-invalid=\"true\" aria-describedby=\"" : "",
		   err ? id : "", err ? "-err\"" : "");
	if (empty_label) {
		buf_printf(b, "<option value=\"\"%s>", selected && *selected ? "" : " selected");
		view_esc(b, empty_label);
		buf_puts(b, "</option>");
	}
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<option value=\"");
		view_esc(b, values[i]);
		buf_printf(b, "\"%s>", selected && strcmp(selected, values[i]) == 0 ? " selected" : "");
		view_esc(b, labels[i]);
		buf_puts(b, "</option>");
	}
	buf_puts(b, "</select>");
	if (err) {
		buf_printf(b, "<span class=\"field-error\" id=\"%s-err\">", id);
		view_esc(b, err);
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</div>\n");
}

/* Units as select choices ("name (code)", indented by depth); only those of kind
 * only_kind when it is not NULL. The strings live in the returned buffer; free both
 * arrays and *store after use. */
static size_t unit_choices(const struct view_ctx *v, const struct org_unit *units, size_t n, const char *only_kind,
			   const char ***values, const char ***labels, struct buf *store)
{
	*values = xcalloc(n ? n : 1, sizeof **values);
	*labels = xcalloc(n ? n : 1, sizeof **labels);
	size_t k = 0, *offs = xcalloc(n ? n : 1, sizeof *offs);
	buf_init(store, 1u << 20);
	for (size_t i = 0; i < n; i++) {
		if (only_kind && strcmp(units[i].kind, only_kind) != 0)
			continue;
		offs[k] = store->len;
		for (int d = 0; !only_kind && d < units[i].depth; d++)
			buf_puts(store, "\u00a0\u00a0");
		buf_printf(store, "%s (%s)", view_unit_name(v, &units[i]), units[i].code);
		buf_putc(store, '\0');
		(*values)[k++] = units[i].code;
	}
	for (size_t i = 0; i < k; i++)
		(*labels)[i] = store->data + offs[i];
	free(offs);
	return k;
}

static void unit_select(struct buf *b, const struct view_ctx *v, const char *id, const char *label,
			const struct org_unit *units, size_t n, const char *only_kind, const char *selected,
			const char *empty_label, const char *err)
{
	const char **values, **labels;
	struct buf store;
	size_t k = unit_choices(v, units, n, only_kind, &values, &labels, &store);
	select_field(b, id, label, values, labels, k, selected, empty_label, err);
	free(values);
	free(labels);
	buf_free(&store);
}

/* The page-level errors of a form (field ""), as an alert above it. */
static void form_errors(struct buf *b, const struct view_ctx *v, const struct view_field_error *errs, size_t n)
{
	int any = 0;
	for (size_t i = 0; i < n; i++)
		any |= errs[i].field != NULL;
	if (!any)
		return;
	buf_printf(b, "<div class=\"error\" role=\"alert\"><p>%s</p>",
		   view_tr(v, "未保存：请按各项旁的说明修改。", "Not saved: see the notes beside the fields."));
	for (size_t i = 0; i < n; i++)
		if (errs[i].field && !*errs[i].field) {
			buf_puts(b, "<p>");
			view_esc(b, errs[i].message);
			buf_puts(b, "</p>");
		}
	buf_puts(b, "</div>\n");
}

static const char *station_label(const struct view_ctx *v, const struct org_hall *h)
{
	return strcmp(v->lang, "en") == 0 && h->station_name_en && *h->station_name_en ? h->station_name_en
											  : h->station_name;
}

/* The fields of a hall form; with_code: the code is editable (a new hall). */
static void hall_fields(struct buf *b, const struct view_ctx *v, const struct view_admin_hall_form *f, int with_code,
			const struct org_unit *stations, size_t n_stations)
{
	static const struct view_admin_hall_form empty;
	if (!f)
		f = &empty;
	const struct view_field_error *e = f->errs;
	size_t ne = f->n_errs;
	form_errors(b, v, e, ne);
	if (with_code)
		input(b, "code", "code", view_tr(v, "编码", "Code"), "text", f->code,
		      "required maxlength=\"64\" pattern=\"[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}\" autocomplete=\"off\"",
		      view_field_error_for(e, ne, "code"));
	if (stations)
		unit_select(b, v, "station", view_tr(v, "所属供电所", "Supply station"), stations, n_stations,
		            "station", f->station, view_tr(v, "（请选择）", "(choose one)"),
		            view_field_error_for(e, ne, "station"));
	else
		input(b, "station", "station", view_tr(v, "所属供电所编码", "Supply station code"), "text", f->station,
		      "required maxlength=\"64\"", view_field_error_for(e, ne, "station"));
	input(b, "name", "name", view_tr(v, "名称", "Name (Chinese)"), "text", f->name, "required maxlength=\"100\"",
	      view_field_error_for(e, ne, "name"));
	input(b, "name_en", "name_en", view_tr(v, "英文名称（可选）", "English name (optional)"), "text", f->name_en,
	      "maxlength=\"100\"", view_field_error_for(e, ne, "name_en"));
	input(b, "address", "address", view_tr(v, "地址（可选）", "Address (optional)"), "text", f->address,
	      "maxlength=\"200\"", view_field_error_for(e, ne, "address"));
	static const char *const ids[] = {"hours-mon", "hours-tue", "hours-wed", "hours-thu",
					  "hours-fri", "hours-sat", "hours-sun"};
	const char *days[] = {view_tr(v, "周一", "Monday"),   view_tr(v, "周二", "Tuesday"), view_tr(v, "周三", "Wednesday"),
			      view_tr(v, "周四", "Thursday"), view_tr(v, "周五", "Friday"),  view_tr(v, "周六", "Saturday"),
			      view_tr(v, "周日", "Sunday")};
	buf_printf(b, "<fieldset class=\"hours\"><legend>%s</legend><p class=\"hint\" id=\"hours-hint\">%s</p>\n",
		   view_tr(v, "营业时间", "Opening hours"),
		   view_tr(v, "每天一行，可写多个时段，如“08:30-12:00 14:00-17:30”；空白表示当天不营业。",
			   "Per day, one or more intervals such as \"08:30-12:00 14:00-17:30\"; empty: closed that day."));
	for (int d = 0; d < 7; d++)
		input(b, ids[d], ids[d], days[d], "text", f->hours[d],
		      "maxlength=\"120\" aria-describedby=\"hours-hint\"", view_field_error_for(e, ne, ids[d]));
	buf_puts(b, "</fieldset>\n");
}

void view_admin_halls(struct buf *b, const struct view_ctx *v, const struct view_admin_halls *p)
{
	view_admin_halls_page(b, v, p, NULL, NULL, 0);
}

void view_admin_halls_page(struct buf *b, const struct view_ctx *v, const struct view_admin_halls *p,
			   const struct view_admin_hall_form *add, const struct org_unit *stations, size_t n_stations)
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
		view_esc(b, station_label(v, h));
		buf_printf(b, "</td><td>%s</td><td>%d</td><td>",
			   h->active ? view_tr(v, "营业中", "Open") : view_tr(v, "已停用", "Closed"), h->key_version);
		edit_link(b, v, "/admin/halls/", h->code);
		buf_puts(b, " ");
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
	add_form_begin(b, v, view_tr(v, "新增营业厅", "Add a service hall"), "/admin/halls");
	hall_fields(b, v, add, 1, stations, n_stations);
	form_end(b, view_tr(v, "新增", "Add"));
	view_end(b, v);
}

void view_admin_hall_edit(struct buf *b, const struct view_ctx *v, const struct org_hall *h,
			  const struct view_admin_hall_form *f, const struct org_unit *stations, size_t n_stations)
{
	struct buf title;
	buf_init(&title, 512);
	buf_printf(&title, "%s %s", view_tr(v, "编辑营业厅", "Edit service hall"), h->code);
	admin_begin(b, v, title.data ? title.data : "", "/admin/halls");
	buf_free(&title);
	buf_printf(b, "<p>%s <strong>%s</strong> · %s %d · <a href=\"/halls/",
		   view_tr(v, "状态：", "State:"), h->active ? view_tr(v, "营业中", "open") : view_tr(v, "已停用", "closed"),
		   view_tr(v, "二维码密钥版本", "QR key version"), h->key_version);
	view_url_segment(b, h->code);
	buf_printf(b, "/poster\">%s</a> · <a href=\"/admin/halls\">%s</a></p>\n", view_tr(v, "打印海报", "Print the poster"),
		   view_tr(v, "返回营业厅列表（停用、更换密钥）", "Back to the halls (close, rotate the key)"));
	buf_puts(b, "<form method=\"post\" class=\"admin\" action=\"/admin/halls/");
	view_url_segment(b, h->code);
	buf_puts(b, "\">");
	view_csrf_field(b, v);
	hall_fields(b, v, f, 0, stations, n_stations);
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n", view_tr(v, "保存", "Save"));
	view_end(b, v);
}

void view_admin_logins(struct buf *b, const struct view_ctx *v, const struct view_admin_logins *p)
{
	admin_begin(b, v, view_tr(v, "登录账号", "Logins"), "/admin/logins");
	notice(b, p->notice, 0);
	add_form_begin(b, v, view_tr(v, "新增账号", "Add a login"), "/admin/logins");
	input(b, "login", "login", view_tr(v, "用户名", "Login"), "text", p->login,
	      "required maxlength=\"64\" autocomplete=\"off\"", view_field_error_for(p->errs, p->n_errs, "login"));
	input(b, "password", "password",
	      view_tr(v, "初始密码（至少 10 个字符）", "Initial password (at least 10 characters)"), "password", NULL,
	      "required autocomplete=\"new-password\"", view_field_error_for(p->errs, p->n_errs, "password"));
	const char *role_err = view_field_error_for(p->errs, p->n_errs, "role");
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
	input(b, "unit", "unit", view_tr(v, "供电所编码（供电所账号必填）", "Station code (for station logins)"),
	      "text", p->unit, "maxlength=\"64\"", view_field_error_for(p->errs, p->n_errs, "unit"));
	form_end(b, view_tr(v, "新增", "Add"));

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
		input(b, id, "password", lb.data ? lb.data : "", "password", NULL,
		      "required autocomplete=\"new-password\"",
		      this_row ? view_field_error_for(p->errs, p->n_errs, "row_password") : NULL);
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
	add_form_begin(b, v, view_tr(v, "新建令牌", "Create a token"), "/admin/tokens");
	input(b, "name", "name", view_tr(v, "名称", "Name"), "text", p->name, "required maxlength=\"64\"",
	      view_field_error_for(p->errs, p->n_errs, "name"));
	input(b, "hall", "hall", view_tr(v, "限定营业厅编码（可选）", "Only for the hall with code (optional)"), "text",
	      p->hall, "maxlength=\"64\"", view_field_error_for(p->errs, p->n_errs, "hall"));
	form_end(b, view_tr(v, "新建", "Create"));
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

/* ---- Units ------------------------------------------------------------------------------- */

static const char *kind_name(const struct view_ctx *v, const char *kind)
{
	return strcmp(kind, "company") == 0      ? view_tr(v, "供电公司", "Company")
	       : strcmp(kind, "department") == 0 ? view_tr(v, "机关部室", "Department")
	       : strcmp(kind, "station") == 0    ? view_tr(v, "供电所", "Supply station")
	       : strcmp(kind, "team") == 0       ? view_tr(v, "班组", "Team")
						 : kind;
}

static void unit_fields(struct buf *b, const struct view_ctx *v, const struct view_admin_unit_form *f, int with_code,
			const struct org_unit *units, size_t n)
{
	static const struct view_admin_unit_form empty;
	if (!f)
		f = &empty;
	const struct view_field_error *e = f->errs;
	size_t ne = f->n_errs;
	form_errors(b, v, e, ne);
	if (with_code)
		input(b, "code", "code", view_tr(v, "编码", "Code"), "text", f->code,
		      "required maxlength=\"64\" pattern=\"[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}\" autocomplete=\"off\"",
		      view_field_error_for(e, ne, "code"));
	static const char *const kinds[] = {"department", "station", "team", "company"};
	const char *labels[4];
	for (size_t i = 0; i < 4; i++)
		labels[i] = kind_name(v, kinds[i]);
	select_field(b, "kind", view_tr(v, "类型", "Kind"), kinds, labels, 4, f->kind, NULL,
	             view_field_error_for(e, ne, "kind"));
	unit_select(b, v, "parent", view_tr(v, "上级单位", "Parent unit"), units, n, NULL, f->parent,
	            view_tr(v, "（无：仅供电公司）", "(none: the company only)"),
	            view_field_error_for(e, ne, "parent"));
	input(b, "name", "name", view_tr(v, "名称", "Name (Chinese)"), "text", f->name, "required maxlength=\"100\"",
	      view_field_error_for(e, ne, "name"));
	input(b, "name_en", "name_en", view_tr(v, "英文名称（可选）", "English name (optional)"), "text", f->name_en,
	      "maxlength=\"100\"", view_field_error_for(e, ne, "name_en"));
}

void view_admin_units(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n,
		      const char *notice_text, const struct view_admin_unit_form *add)
{
	admin_begin(b, v, view_tr(v, "单位", "Units"), "/admin/units");
	notice(b, notice_text, 0);
	buf_printf(b, "<p>%s</p>\n",
		   view_tr(v, "部室和供电所直属供电公司；班组属于部室或供电所；营业厅只能属于供电所。修改后单位统计随即按新结构重算。",
			   "Departments and stations sit directly under the company; teams under a department or a "
			   "station; halls only under a station. Unit statistics follow the new tree at once."));
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "单位", "Unit"), view_tr(v, "编码", "Code"), view_tr(v, "类型", "Kind"),
		   view_tr(v, "上级", "Parent"), view_tr(v, "操作", "Actions"));
	for (size_t i = 0; i < n; i++) {
		const struct org_unit *u = &units[i];
		buf_printf(b, "<tr><th scope=\"row\" class=\"depth-%d\">", u->depth > 3 ? 3 : u->depth);
		for (int d = 0; d < u->depth; d++)
			buf_puts(b, "\u00a0\u00a0");
		buf_puts(b, "<a href=\"/units/");
		view_url_segment(b, u->code);
		buf_puts(b, "\">");
		view_esc(b, view_unit_name(v, u));
		buf_puts(b, "</a></th><td><code>");
		view_esc(b, u->code);
		buf_printf(b, "</code></td><td>%s</td><td>", kind_name(v, u->kind));
		view_esc(b, u->parent_code ? u->parent_code : "—");
		buf_puts(b, "</td><td>");
		edit_link(b, v, "/admin/units/", u->code);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	add_form_begin(b, v, view_tr(v, "新增单位", "Add a unit"), "/admin/units");
	unit_fields(b, v, add, 1, units, n);
	form_end(b, view_tr(v, "新增", "Add"));
	view_end(b, v);
}

void view_admin_unit_edit(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n,
			  const struct view_admin_unit_form *f)
{
	struct buf title;
	buf_init(&title, 512);
	buf_printf(&title, "%s %s", view_tr(v, "编辑单位", "Edit unit"), f->code);
	admin_begin(b, v, title.data ? title.data : "", "/admin/units");
	buf_free(&title);
	buf_puts(b, "<p><a href=\"/units/");
	view_url_segment(b, f->code);
	buf_printf(b, "\">%s</a> · <a href=\"/admin/units\">%s</a></p>\n", view_tr(v, "单位页面", "The unit's page"),
		   view_tr(v, "返回单位列表", "Back to the units"));
	buf_puts(b, "<form method=\"post\" class=\"admin\" action=\"/admin/units/");
	view_url_segment(b, f->code);
	buf_puts(b, "\">");
	view_csrf_field(b, v);
	unit_fields(b, v, f, 0, units, n);
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n", view_tr(v, "保存", "Save"));
	view_end(b, v);
}

/* ---- People and leader links ------------------------------------------------------------ */

static const char *link_name(const struct view_ctx *v, const char *kind)
{
	return strcmp(kind, "head") == 0	 ? view_tr(v, "负责人", "Head of")
	       : strcmp(kind, "deputy") == 0	 ? view_tr(v, "副职", "Deputy head of")
	       : strcmp(kind, "supervises") == 0 ? view_tr(v, "分管", "Supervises")
	       : strcmp(kind, "liaises") == 0	 ? view_tr(v, "联系", "Liaises with")
						 : kind;
}

static const char *person_unit_label(const struct view_ctx *v, const char *name, const char *name_en)
{
	return strcmp(v->lang, "en") == 0 && name_en && *name_en ? name_en : name;
}

static void person_fields(struct buf *b, const struct view_ctx *v, const struct view_admin_person_form *f,
			  int with_code, const struct org_unit *units, size_t n)
{
	static const struct view_admin_person_form empty;
	if (!f)
		f = &empty;
	const struct view_field_error *e = f->errs;
	size_t ne = f->n_errs;
	form_errors(b, v, e, ne);
	if (with_code)
		input(b, "code", "code", view_tr(v, "编码", "Code"), "text", f->code,
		      "required maxlength=\"64\" pattern=\"[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}\" autocomplete=\"off\"",
		      view_field_error_for(e, ne, "code"));
	unit_select(b, v, "unit", view_tr(v, "所在单位", "Belongs to unit"), units, n, NULL, f->unit,
	            view_tr(v, "（请选择）", "(choose one)"), view_field_error_for(e, ne, "unit"));
	input(b, "name", "name", view_tr(v, "姓名", "Name (Chinese)"), "text", f->name, "required maxlength=\"100\"",
	      view_field_error_for(e, ne, "name"));
	input(b, "name_en", "name_en", view_tr(v, "英文姓名（可选）", "English name (optional)"), "text", f->name_en,
	      "maxlength=\"100\"", view_field_error_for(e, ne, "name_en"));
	input(b, "title", "title", view_tr(v, "职务（可选）", "Title (optional)"), "text", f->title,
	      "maxlength=\"100\"", view_field_error_for(e, ne, "title"));
}

static void links_cell(struct buf *b, const struct view_ctx *v, const struct org_person *p)
{
	if (!p->n_links) {
		buf_puts(b, "—");
		return;
	}
	buf_puts(b, "<ul class=\"plain\">");
	for (size_t j = 0; j < p->n_links; j++) {
		const struct org_person_link *l = &p->links[j];
		buf_printf(b, "<li>%s ", link_name(v, l->kind));
		view_esc(b, person_unit_label(v, l->unit_name, l->unit_name_en));
		buf_puts(b, "</li>");
	}
	buf_puts(b, "</ul>");
}

void view_admin_people(struct buf *b, const struct view_ctx *v, const struct org_person *people, size_t n,
		       const struct org_unit *units, size_t n_units, const char *notice_text,
		       const struct view_admin_person_form *add)
{
	admin_begin(b, v, view_tr(v, "人员与分工", "People and leader links"), "/admin/people");
	notice(b, notice_text, 0);
	buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
		   view_tr(v, "姓名", "Name"), view_tr(v, "编码", "Code"), view_tr(v, "职务", "Title"),
		   view_tr(v, "所在单位", "Unit"), view_tr(v, "分工", "Leader links"), view_tr(v, "操作", "Actions"));
	for (size_t i = 0; i < n; i++) {
		const struct org_person *p = &people[i];
		buf_puts(b, "<tr><th scope=\"row\">");
		view_esc(b, person_unit_label(v, p->name, p->name_en));
		buf_puts(b, "</th><td><code>");
		view_esc(b, p->code);
		buf_puts(b, "</code></td><td>");
		view_esc(b, p->title ? p->title : "—");
		buf_puts(b, "</td><td>");
		view_esc(b, person_unit_label(v, p->unit_name, p->unit_name_en));
		buf_puts(b, "</td><td>");
		links_cell(b, v, p);
		buf_puts(b, "</td><td>");
		edit_link(b, v, "/admin/people/", p->code);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	add_form_begin(b, v, view_tr(v, "新增人员", "Add a person"), "/admin/people");
	person_fields(b, v, add, 1, units, n_units);
	form_end(b, view_tr(v, "新增", "Add"));
	view_end(b, v);
}

void view_admin_person_edit(struct buf *b, const struct view_ctx *v, const struct org_person *p,
			    const struct org_unit *units, size_t n_units, const char *notice_text,
			    const struct view_admin_person_form *f)
{
	struct buf title;
	buf_init(&title, 512);
	buf_printf(&title, "%s %s", view_tr(v, "编辑人员", "Edit person"), p->code);
	admin_begin(b, v, title.data ? title.data : "", "/admin/people");
	buf_free(&title);
	notice(b, notice_text, 0);
	buf_printf(b, "<p><a href=\"/admin/people\">%s</a></p>\n", view_tr(v, "返回人员列表", "Back to the people"));
	buf_printf(b, "<section aria-labelledby=\"person-h\">\n<h2 id=\"person-h\">%s</h2>\n",
		   view_tr(v, "基本信息", "Details"));
	buf_puts(b, "<form method=\"post\" class=\"admin\" action=\"/admin/people/");
	view_url_segment(b, p->code);
	buf_puts(b, "\">");
	view_csrf_field(b, v);
	person_fields(b, v, f, 0, units, n_units);
	form_end(b, view_tr(v, "保存", "Save"));

	buf_printf(b, "<section aria-labelledby=\"links-h\">\n<h2 id=\"links-h\">%s</h2>\n",
		   view_tr(v, "分工（负责、副职、分管、联系）", "Leader links (head, deputy, supervises, liaises)"));
	if (!p->n_links)
		buf_printf(b, "<p>%s</p>\n", view_tr(v, "暂无分工。", "No leader links yet."));
	else
		buf_printf(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			      "</tr></thead>\n<tbody>\n",
			   view_tr(v, "分工", "Link"), view_tr(v, "单位", "Unit"), view_tr(v, "操作", "Action"));
	for (size_t j = 0; j < p->n_links; j++) {
		const struct org_person_link *l = &p->links[j];
		buf_printf(b, "<tr><td>%s</td><th scope=\"row\">", link_name(v, l->kind));
		view_esc(b, person_unit_label(v, l->unit_name, l->unit_name_en));
		buf_puts(b, " <code>");
		view_esc(b, l->unit_code);
		buf_puts(b, "</code></th><td><form method=\"post\" class=\"inline\" action=\"/admin/people/");
		view_url_segment(b, p->code);
		buf_puts(b, "/links/remove\">");
		view_csrf_field(b, v);
		buf_printf(b, "<input type=\"hidden\" name=\"link_kind\" value=\"%s\"><input type=\"hidden\" "
			      "name=\"link_unit\" value=\"",
			   l->kind);
		view_esc(b, l->unit_code);
		buf_printf(b, "\"><button type=\"submit\">%s<span class=\"vh\"> %s ", view_tr(v, "删除", "Remove"),
			   link_name(v, l->kind));
		view_esc(b, l->unit_code);
		buf_puts(b, "</span></button></form></td></tr>\n");
	}
	if (p->n_links)
		buf_puts(b, "</tbody>\n</table>\n");
	buf_printf(b, "<h3>%s</h3>\n<form method=\"post\" class=\"admin\" action=\"/admin/people/",
		   view_tr(v, "新增分工", "Add a leader link"));
	view_url_segment(b, p->code);
	buf_puts(b, "/links\">");
	view_csrf_field(b, v);
	const struct view_field_error *le = f ? f->link_errs : NULL;
	size_t nle = f ? f->n_link_errs : 0;
	form_errors(b, v, le, nle);
	static const char *const kinds[] = {"head", "deputy", "supervises", "liaises"};
	const char *labels[4];
	for (size_t i = 0; i < 4; i++)
		labels[i] = link_name(v, kinds[i]);
	select_field(b, "link_kind", view_tr(v, "分工", "Link"), kinds, labels, 4, f ? f->link_kind : NULL, NULL,
	             view_field_error_for(le, nle, "link_kind"));
	unit_select(b, v, "link_unit", view_tr(v, "单位", "Unit"), units, n_units, NULL, f ? f->link_unit : NULL,
	            view_tr(v, "（请选择）", "(choose one)"), view_field_error_for(le, nle, "link_unit"));
	form_end(b, view_tr(v, "新增", "Add"));
	view_end(b, v);
}
