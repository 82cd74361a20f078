/* test_http_admin.c — the admin pages against the real server: for each form, success
 * (303 and the change made), a validation error shown beside its field, a missing CSRF
 * token (403, nothing changed), a non-admin caller (403), and the audit line naming the
 * admin. Halls (close, open, rotate the QR key), logins (add, reset a password,
 * disable), API tokens (create, shown once; revoke) and settings. */
#include "server.h"
#include "check.h"

#include "db.h"

static char dir[512], db[600];
static struct test_server srv;
static char sid_adm[128], sid_mgr[128], csrf_adm[128], csrf_mgr[128];

static int login(const char *user, const char *password, char *sid, size_t sidlen)
{
	struct test_response r;
	char pre[128], csrf[128], hdr[512], body[512];
	if (test_request(srv.port, "GET", "/login", NULL, NULL, &r) != 0)
		return -1;
	int ok = r.status == 200 && test_set_cookie(&r, "gs_pre", pre, sizeof pre) == 0 &&
		 test_form_value(r.body, "_csrf", csrf, sizeof csrf) == 0;
	test_response_free(&r);
	if (!ok)
		return -1;
	snprintf(hdr, sizeof hdr, "Cookie: gs_pre=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", pre);
	snprintf(body, sizeof body, "_csrf=%s&login=%s&password=%s&next=%%2F", csrf, user, password);
	if (test_request(srv.port, "POST", "/login", hdr, body, &r) != 0)
		return -1;
	int rc = r.status == 303 ? test_set_cookie(&r, "gs_session", sid, sidlen) : -1;
	test_response_free(&r);
	return rc;
}

static int get(const char *sid, const char *path, struct test_response *r)
{
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid);
	return test_request(srv.port, "GET", path, hdr, NULL, r);
}

/* POSTs body (urlencoded) with the session's CSRF token prepended unless csrf is NULL. */
static int post(const char *sid, const char *csrf, const char *path, const char *body, struct test_response *r)
{
	char hdr[300], full[2048];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", sid);
	if (csrf)
		snprintf(full, sizeof full, "_csrf=%s%s%s", csrf, *body ? "&" : "", body);
	else
		snprintf(full, sizeof full, "%s", body);
	return test_request(srv.port, "POST", path, hdr, full, r);
}

/* One value from the database (first column of the first row) into out; "" if none. */
static const char *sql1(const char *q, char *out, size_t len)
{
	struct db *d = NULL;
	out[0] = '\0';
	if (db_open(db, 0, &d, NULL, 0) != GS_OK)
		return out;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db_handle(d), q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	db_close(d);
	return out;
}

static long audit_count(const char *action)
{
	char q[256], out[32];
	snprintf(q, sizeof q, "SELECT count(*) FROM audit_log WHERE actor = 'adm' AND action = '%s'", action);
	return atol(sql1(q, out, sizeof out));
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_http_admin"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[8192], logpath[700];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run("admin-password-1\n", out, sizeof out, "--db", db, "user", "add", "adm", "--role", "admin",
			   NULL),
		  0);
	CHECK_INT(test_run("manager-password-1\n", out, sizeof out, "--db", db, "user", "add", "mgr", "--role",
			   "manager", NULL),
		  0);
	snprintf(logpath, sizeof logpath, "%s/server.log", dir);
	CHECK_INT(test_server_start(&srv, db, logpath), 0);
	CHECK_INT(login("adm", "admin-password-1", sid_adm, sizeof sid_adm), 0);
	CHECK_INT(login("mgr", "manager-password-1", sid_mgr, sizeof sid_mgr), 0);
	struct test_response r;
	CHECK_INT(get(sid_adm, "/admin/halls", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_INT(test_form_value(r.body, "_csrf", csrf_adm, sizeof csrf_adm), 0);
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/", &r), 0);
	CHECK_INT(test_form_value(r.body, "_csrf", csrf_mgr, sizeof csrf_mgr), 0);
	test_response_free(&r);
}

static void test_access(void)
{
	static const char *const pages[] = {"/admin/halls", "/admin/logins", "/admin/tokens", "/admin/settings"};
	struct test_response r;
	for (size_t i = 0; i < 4; i++) {
		CHECK_INT(get(sid_mgr, pages[i], &r), 0);
		CHECK_INT(r.status, 403);
		test_response_free(&r);
		CHECK_INT(get(sid_adm, pages[i], &r), 0);
		CHECK_INT(r.status, 200);
		CHECK_CONTAINS(r.body, "aria-current=\"page\"");
		test_response_free(&r);
	}
	CHECK_INT(test_request(srv.port, "GET", "/admin/halls", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 303); /* to the login page */
	test_response_free(&r);
	/* a manager posting with a valid token of their own: still 403 */
	CHECK_INT(post(sid_mgr, csrf_mgr, "/admin/halls/T-H1/active", "active=0", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(sid_mgr, csrf_mgr, "/admin/logins", "login=x1&password=long-enough-1&role=admin", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(sid_mgr, csrf_mgr, "/admin/settings", "survey.min_sample=10", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	char out[64];
	CHECK_STR(sql1("SELECT count(*) FROM users WHERE login = 'x1'", out, sizeof out), "0");
	/* the admin sees the Administration link, the manager does not */
	CHECK_INT(get(sid_adm, "/?lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "href=\"/admin/halls\">Administration</a>");
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/?lang=en", &r), 0);
	CHECK(strstr(r.body, "/admin/halls") == NULL);
	test_response_free(&r);
}

static void test_halls(void)
{
	struct test_response r;
	char out[64], loc[256];
	/* CSRF missing: 403, nothing changed */
	CHECK_INT(post(sid_adm, NULL, "/admin/halls/T-H1/active", "active=0", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT active FROM halls WHERE code = 'T-H1'", out, sizeof out), "1");
	/* close, then open again */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H1/active", "active=0", &r), 0);
	CHECK_INT(r.status, 303);
	CHECK_STR(test_header(&r, "Location", loc, sizeof loc), "/admin/halls?done=closed");
	test_response_free(&r);
	CHECK_STR(sql1("SELECT active FROM halls WHERE code = 'T-H1'", out, sizeof out), "0");
	CHECK_INT(audit_count("admin.hall.close"), 1);
	CHECK_INT(get(sid_adm, "/admin/halls?done=closed&lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "The hall is closed");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H1/active", "active=1", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT active FROM halls WHERE code = 'T-H1'", out, sizeof out), "1");
	CHECK_INT(audit_count("admin.hall.open"), 1);
	/* a bad value: 400 with the message, nothing changed */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H1/active?lang=en", "active=maybe", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "active: must be 0 or 1.");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/NOPE/active", "active=0", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	/* rotate the QR key */
	CHECK_INT(post(sid_adm, NULL, "/admin/halls/T-H2/rotate-key", "", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT key_version FROM halls WHERE code = 'T-H2'", out, sizeof out), "1");
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H2/rotate-key", "", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT key_version FROM halls WHERE code = 'T-H2'", out, sizeof out), "2");
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.hall.rotate-key'", out,
		       sizeof out),
		  "hall=T-H2 key_version=2");
}

static void test_logins(void)
{
	struct test_response r;
	char out[64];
	/* validation errors beside their fields, the values refilled */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins?lang=en", "login=new1&password=short&role=manager", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"password-err\">must be 10 to 256 bytes long</span>");
	CHECK_CONTAINS(r.body, "aria-describedby=\"password-err\"");
	CHECK_CONTAINS(r.body, "id=\"login\" name=\"login\" type=\"text\" value=\"new1\"");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins", "login=st9&password=long-enough-1&role=station", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"unit-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins", "login=bad%20login&password=long-enough-1&role=manager", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"login-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins", "login=x2&password=long-enough-1&role=root", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"role-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins", "login=mgr&password=long-enough-1&role=manager", &r), 0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "id=\"login-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, NULL, "/admin/logins", "login=new1&password=long-enough-1&role=manager", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT count(*) FROM users WHERE login = 'new1'", out, sizeof out), "0");
	CHECK_INT(audit_count("admin.login.add"), 0);
	/* success */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins", "login=st1new&password=long-enough-1&role=station&unit=T-S1", &r),
		  0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT role FROM users WHERE login = 'st1new'", out, sizeof out), "station");
	CHECK_INT(audit_count("admin.login.add"), 1);
	char sid[128];
	CHECK_INT(login("st1new", "long-enough-1", sid, sizeof sid), 0);
	/* reset the password: error beside the row's field, then success ends the sessions */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins/st1new/password?lang=en", "password=short", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"pw-st1new-err\">must be 10 to 256 bytes long</span>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, NULL, "/admin/logins/st1new/password", "password=another-pass-2", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins/st1new/password", "password=another-pass-2", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(audit_count("admin.login.password"), 1);
	CHECK_INT(get(sid, "/", &r), 0);
	CHECK_INT(r.status, 303); /* the old session is gone */
	test_response_free(&r);
	CHECK_INT(login("st1new", "another-pass-2", sid, sizeof sid), 0);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins/nobody/password", "password=another-pass-2", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	/* disable: sessions end, login refused; enable again */
	CHECK_INT(post(sid_adm, NULL, "/admin/logins/st1new/active", "active=0", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins/st1new/active", "active=0", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(audit_count("admin.login.disable"), 1);
	CHECK_INT(get(sid, "/", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK(login("st1new", "another-pass-2", sid, sizeof sid) != 0);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins/adm/active", "active=0", &r), 0);
	CHECK_INT(r.status, 409); /* not yourself */
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/logins/st1new/active", "active=1", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(login("st1new", "another-pass-2", sid, sizeof sid), 0);
	CHECK_INT(audit_count("admin.login.enable"), 1);
}

static void test_tokens(void)
{
	struct test_response r;
	char out[64];
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/tokens?lang=en", "name=&hall=", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"name-err\">enter a name of 1 to 64 characters</span>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/tokens", "name=q1&hall=NOPE", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"hall-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, NULL, "/admin/tokens", "name=q1&hall=T-H1", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT count(*) FROM api_tokens", out, sizeof out), "0");
	/* created: the secret on this page only */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/tokens", "name=q1&hall=T-H1", &r), 0);
	CHECK_INT(r.status, 200);
	const char *p = strstr(r.body, "<code class=\"hash\">gst_");
	CHECK(p != NULL);
	char token[64] = "";
	if (p)
		sscanf(p + strlen("<code class=\"hash\">"), "%63[^<]", token);
	CHECK_INT((int)strlen(token), 47);
	test_response_free(&r);
	CHECK_INT(audit_count("admin.token.add"), 1);
	CHECK_INT(get(sid_adm, "/admin/tokens", &r), 0);
	CHECK(strstr(r.body, token) == NULL);
	CHECK_CONTAINS(r.body, "q1");
	test_response_free(&r);
	char hdr[200];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/halls", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/tokens", "name=q1", &r), 0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "id=\"name-err\">");
	test_response_free(&r);
	/* revoke */
	char id[32], path[64];
	sql1("SELECT id FROM api_tokens WHERE name = 'q1'", id, sizeof id);
	snprintf(path, sizeof path, "/admin/tokens/%s/revoke", id);
	CHECK_INT(post(sid_adm, NULL, path, "", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, path, "", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(audit_count("admin.token.revoke"), 1);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/halls", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 401);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, path, "", &r), 0);
	CHECK_INT(r.status, 409);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/tokens/999/revoke", "", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
}

/* Every setting's field with the given override. */
static void settings_body(char *out, size_t len, const char *name, const char *value)
{
	static const char *const names[] = {"survey.ticket_ttl_hours", "survey.followup_days", "survey.unsatisfied_max",
					    "survey.min_sample",       "survey.min_breakdown", "survey.verified_only",
					    "survey.fast_seconds",     "survey.burst_max",     "coverage.target_date",
					    "coverage.window_days"};
	static const char *const values[] = {"24", "15", "2", "30", "5", "0", "5", "2", "2026-12-31", "90"};
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < 10; i++)
		k += (size_t)snprintf(out + k, len - k, "%s%s=%s", i ? "&" : "", names[i],
				      strcmp(names[i], name) == 0 ? value : values[i]);
}

static void test_settings(void)
{
	struct test_response r;
	char body[1024], out[64];
	CHECK_INT(get(sid_adm, "/admin/settings?lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "<label for=\"s-survey-min_sample\">");
	CHECK_CONTAINS(r.body, "id=\"s-survey-min_sample\" name=\"survey.min_sample\" type=\"number\" value=\"30\"");
	test_response_free(&r);
	settings_body(body, sizeof body, "survey.min_sample", "lots");
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/settings?lang=en", body, &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"s-survey-min_sample-err\">enter a whole number from 0 to 1000000</span>");
	CHECK_CONTAINS(r.body, "nothing was saved");
	test_response_free(&r);
	settings_body(body, sizeof body, "coverage.target_date", "2026-02-30");
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/settings?lang=en", body, &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"s-coverage-target_date-err\">enter a date YYYY-MM-DD</span>");
	test_response_free(&r);
	CHECK_STR(sql1("SELECT count(*) FROM settings WHERE name NOT LIKE 'survey.folded%' AND name NOT LIKE "
		       "'survey.aggregates%' AND name <> 'base_url'",
		       out, sizeof out),
		  "0");
	settings_body(body, sizeof body, "coverage.target_date", "2027-06-30");
	CHECK_INT(post(sid_adm, NULL, "/admin/settings", body, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/settings", body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT value FROM settings WHERE name = 'coverage.target_date'", out, sizeof out), "2027-06-30");
	/* only the changed value is written and audited */
	CHECK_STR(sql1("SELECT count(*) FROM settings WHERE name = 'survey.min_sample'", out, sizeof out), "0");
	CHECK_INT(audit_count("admin.setting"), 1);
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE action = 'admin.setting'", out, sizeof out),
		  "coverage.target_date: 2026-12-31 -> 2027-06-30");
	/* coverage settings take effect at once */
	CHECK_INT(get(sid_adm, "/units/T-S1?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	CHECK_INT(get(sid_adm, "/admin/settings?done=saved&lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "The settings are saved.");
	CHECK_CONTAINS(r.body, "value=\"2027-06-30\"");
	test_response_free(&r);
}

int main(void)
{
	setup();
	test_access();
	test_halls();
	test_logins();
	test_tokens();
	test_settings();
	CHECK_INT(test_server_stop(&srv), 0);
	return check_finish("test_http_admin");
}
