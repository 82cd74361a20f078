/* test_http_admin.c — the admin pages against the real server: for each form, success
 * (303 and the change made), a validation error shown beside its field, a missing CSRF
 * token (403, nothing changed), a non-admin caller (403), and the audit line naming the
 * admin. Halls (add, edit, close, open, rotate the QR key), units, people and leader
 * links (the org tree rules through the loader's checks; a later org load still
 * applies), logins (add, reset a password, disable), API tokens (create, shown once;
 * revoke) and settings. */
#include "server.h"
#include "check.h"

#include "db.h"

static char dir[512], db[600];
static struct test_server srv;
static char sid_adm[128], sid_mgr[128], csrf_adm[128], csrf_mgr[128];

static int login(const char *user, const char *password, char *sid, size_t sidlen)
{
	return test_login(srv.port, user, password, sid, sidlen);
}

static int get(const char *sid, const char *path, struct test_response *r)
{
	return test_session_get(srv.port, sid, path, r);
}

/* POSTs body (urlencoded) with the session's CSRF token prepended unless csrf is NULL. */
static int post(const char *sid, const char *csrf, const char *path, const char *body, struct test_response *r)
{
	char full[2048];
	if (csrf)
		snprintf(full, sizeof full, "_csrf=%s%s%s", csrf, *body ? "&" : "", body);
	else
		snprintf(full, sizeof full, "%s", body);
	return test_session_post(srv.port, sid, path, full, r);
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
	char out[64];
	static const char *const pages[] = {"/admin/halls",  "/admin/logins", "/admin/tokens", "/admin/settings",
					    "/admin/units",  "/admin/people", "/admin/halls/T-H1", "/admin/units/T-S1",
					    "/admin/people/TP2"};
	struct test_response r;
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
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
	static const char *const org_posts[][2] = {
	    {"/admin/halls", "code=M-H1&station=T-S1&name=x"},	{"/admin/halls/T-H1", "station=T-S1&name=x"},
	    {"/admin/units", "code=M-U1&kind=team&parent=T-S1&name=x"}, {"/admin/units/T-S1-A", "kind=team&parent=T-S1&name=x"},
	    {"/admin/people", "code=M-P1&unit=T&name=x"},		{"/admin/people/TP1", "unit=T&name=x"},
	    {"/admin/people/TP1/links", "link_kind=liaises&link_unit=T-S2"},
	    {"/admin/people/TP1/links/remove", "link_kind=head&link_unit=T"}};
	for (size_t i = 0; i < sizeof org_posts / sizeof org_posts[0]; i++) {
		CHECK_INT(post(sid_mgr, csrf_mgr, org_posts[i][0], org_posts[i][1], &r), 0);
		CHECK_INT(r.status, 403);
		test_response_free(&r);
	}
	CHECK_STR(sql1("SELECT count(*) FROM audit_log WHERE actor = 'mgr' AND action LIKE 'admin.%'", out, sizeof out), "0");
	CHECK_STR(sql1("SELECT name FROM halls WHERE code = 'T-H1'", out, sizeof out), "一号营业厅");
	CHECK_STR(sql1("SELECT count(*) FROM users WHERE login = 'x1'", out, sizeof out), "0");
	/* the admin sees the Administration link, the manager does not */
	CHECK_INT(get(sid_adm, "/?lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "href=\"/admin/halls\">Administration</a>");
	/* the dashboard's hall table names stations in English on English pages */
	CHECK_CONTAINS(r.body, "<td><a href=\"/units/T-S1\">Station One</a></td><td>Open</td>");
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
	CHECK_INT(test_api_get(srv.port, token, "/api/v1/halls", &r), 0);
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
	CHECK_INT(test_api_get(srv.port, token, "/api/v1/halls", &r), 0);
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

/* A bad rating submitted at once after the page (as a script would): its stored flags
 * and its follow-up's due time minus its opening time, or -1. */
static void submit_quick(const char *path, char *flags, size_t flen, char *due_gap, size_t glen)
{
	struct test_response r;
	char inst[96] = "", stamp[160] = "", body[512];
	CHECK_INT(test_request(srv.port, "GET", path, NULL, NULL, &r), 0);
	CHECK_INT(test_form_value(r.body, "_i", inst, sizeof inst), 0);
	CHECK_INT(test_form_value(r.body, "_t", stamp, sizeof stamp), 0);
	test_response_free(&r);
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=1&waiting=lt5&attitude=1&one_visit=no&service=enquiry", inst,
		 stamp);
	CHECK_INT(test_request(srv.port, "POST", path, "Content-Type: application/x-www-form-urlencoded\r\n", body, &r),
		  0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	char q[256];
	snprintf(q, sizeof q, "SELECT flags FROM survey_responses WHERE instance = '%s'", inst);
	sql1(q, flags, flen);
	snprintf(q, sizeof q,
		 "SELECT f.due_at - f.opened_at FROM survey_followups f JOIN survey_responses r ON r.id = "
		 "f.response_id WHERE r.instance = '%s'",
		 inst);
	sql1(q, due_gap, glen);
}

/* 1 if the settings page's label of name says it waits for a restart, 0 if not, -1 if absent. */
static int restart_note(const char *html, const char *name)
{
	char code[96];
	snprintf(code, sizeof code, "<code>%s</code>", name);
	const char *p = strstr(html, code), *end = p ? strstr(p, "</small>") : NULL;
	if (!end)
		return -1;
	const char *note = strstr(p, "takes effect at the next server start");
	return note && note < end;
}

/* The survey settings an administrator changes take effect without a restart (except
 * survey.burst_max, which says so on the page). */
static void test_settings_live(void)
{
	char out[512], path[256], flags[32], gap[32];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "qr", "T-H1", "--base-url", "http://x", NULL), 0);
	const char *p = strstr(out, "http://x/s/");
	CHECK(p != NULL);
	snprintf(path, sizeof path, "%.*s", p ? (int)strcspn(p + 8, "\r\n") : 0, p ? p + 8 : "");
	/* before: completed within the default 5 s: flagged too fast (no follow-up for it) */
	submit_quick(path, flags, sizeof flags, gap, sizeof gap);
	CHECK(flags[0] && strcmp(flags, "0") != 0);
	CHECK_STR(gap, "");
	struct test_response r;
	char body[1024];
	settings_body(body, sizeof body, "survey.fast_seconds", "0");
	char *two = strstr(body, "survey.followup_days=15");
	CHECK(two != NULL);
	if (two)
		memcpy(two + strlen("survey.followup_days="), "02", 2);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/settings", body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	/* at once, same server (another hall: one client waits 30 s between two ratings of a
	 * hall): not flagged, its follow-up due in 2 days */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "qr", "T-H2", "--base-url", "http://x", NULL), 0);
	p = strstr(out, "http://x/s/");
	CHECK(p != NULL);
	snprintf(path, sizeof path, "%.*s", p ? (int)strcspn(p + 8, "\r\n") : 0, p ? p + 8 : "");
	submit_quick(path, flags, sizeof flags, gap, sizeof gap);
	CHECK_STR(flags, "0");
	CHECK_STR(gap, "172800");
	/* the page says which setting waits for a restart */
	CHECK_INT(get(sid_adm, "/admin/settings?lang=en", &r), 0);
	CHECK(restart_note(r.body, "survey.burst_max") == 1);
	CHECK(restart_note(r.body, "survey.fast_seconds") == 0);
	CHECK(restart_note(r.body, "survey.followup_days") == 0);
	test_response_free(&r);
}

static void test_hall_add_edit(void)
{
	struct test_response r;
	char out[128], loc[256];
	/* errors beside their fields, values refilled, nothing stored */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls?lang=en",
		       "code=bad%20code&station=T-S1&name=&hours-mon=08%3A30-12%3A00+11%3A00-13%3A00&hours-tue=8-12", &r),
		  0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"code-err\">");
	CHECK_CONTAINS(r.body, "aria-describedby=\"code-err\"");
	CHECK_CONTAINS(r.body, "id=\"name-err\">enter a name of 1 to 100 characters</span>");
	CHECK_CONTAINS(r.body, "id=\"hours-tue-err\">&#39;8-12&#39; is not an interval HH:MM-HH:MM</span>");
	CHECK_CONTAINS(r.body, "value=\"bad code\"");
	test_response_free(&r);
	/* the loader's rules: a hall only under a station, overlapping hours */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls?lang=en",
		       "code=T-H9&station=T-MKT&name=Nine&hours-mon=08%3A30-12%3A00+11%3A00-13%3A00", &r),
		  0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"station-err\">hall &#39;T-H9&#39;: &#39;T-MKT&#39; is a department, not a station</span>");
	CHECK_CONTAINS(r.body, "id=\"hours-mon-err\">hall &#39;T-H9&#39;: on mon 08:30-12:00 overlaps 11:00-13:00</span>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls", "code=T-S2&station=T-S1&name=Nine", &r), 0);
	CHECK_INT(r.status, 400); /* a unit's code */
	CHECK_CONTAINS(r.body, "id=\"code-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls", "code=T-H2&station=T-S1&name=Nine", &r), 0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "id=\"code-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, NULL, "/admin/halls", "code=T-H9&station=T-S1&name=Nine", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT count(*) FROM halls WHERE code = 'T-H9'", out, sizeof out), "0");
	CHECK_INT(audit_count("admin.hall.add"), 0);
	/* added: listed with its poster, hours stored, QR works */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls",
		       "code=T-H9&station=T-S1&name=%E4%B9%9D%E5%8F%B7%E5%8E%85&name_en=Hall+Nine&address=Road+9"
		       "&hours-mon=14%3A00-17%3A30%2C+08%3A30-12%3A00&hours-sat=09%3A00-12%3A00",
		       &r),
		  0);
	CHECK_INT(r.status, 303);
	CHECK_STR(test_header(&r, "Location", loc, sizeof loc), "/admin/halls?done=added");
	test_response_free(&r);
	CHECK_STR(sql1("SELECT name || '|' || name_en || '|' || address || '|' || active || '|' || key_version FROM halls "
		       "WHERE code = 'T-H9'",
		       out, sizeof out),
		  "九号厅|Hall Nine|Road 9|1|1");
	CHECK_STR(sql1("SELECT group_concat(weekday || ' ' || opens || '-' || closes, ',') FROM (SELECT * FROM hall_hours "
		       "WHERE hall_id = (SELECT id FROM halls WHERE code = 'T-H9') ORDER BY weekday, opens)",
		       out, sizeof out),
		  "1 08:30-12:00,1 14:00-17:30,6 09:00-12:00");
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.hall.add'", out, sizeof out),
		  "hall=T-H9 station=T-S1");
	CHECK_STR(sql1("SELECT file_name FROM org_loads ORDER BY id DESC LIMIT 1", out, sizeof out), "admin page (adm)");
	CHECK_INT(get(sid_adm, "/admin/halls?done=added&lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "The hall was added");
	CHECK_CONTAINS(r.body, "href=\"/halls/T-H9/poster\"");
	test_response_free(&r);
	CHECK_INT(get(sid_adm, "/halls/T-H9/poster", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "<svg");
	test_response_free(&r);
	/* the edit form shows the stored values; an edit keeps the key version and the state */
	CHECK_INT(get(sid_adm, "/admin/halls/T-H9?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "id=\"hours-mon\" name=\"hours-mon\" type=\"text\" value=\"08:30-12:00 14:00-17:30\"");
	CHECK_CONTAINS(r.body, "<option value=\"T-S1\" selected>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H9/rotate-key", "", &r), 0);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H9?lang=en", "station=T-S2&name=Nine&hours-fri=18%3A00-09%3A00", &r),
		  0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"hours-fri-err\">hall &#39;T-H9&#39;: on fri it opens at 18:00 but closes at 09:00</span>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H9", "station=T-S2&name=Nine&hours-fri=08%3A00-18%3A00", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT s.code || '|' || h.name || '|' || coalesce(h.name_en, '-') || '|' || h.key_version FROM halls h "
		       "JOIN units s ON s.id = h.station_id WHERE h.code = 'T-H9'",
		       out, sizeof out),
		  "T-S2|Nine|-|2");
	CHECK_STR(sql1("SELECT count(*) FROM hall_hours WHERE hall_id = (SELECT id FROM halls WHERE code = 'T-H9')", out,
		       sizeof out),
		  "1");
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.hall.edit'", out, sizeof out),
		  "hall=T-H9 changed=station,name,name_en,address,hours");
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/NOPE", "station=T-S2&name=Nine", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	CHECK_INT(get(sid_adm, "/admin/halls/NOPE", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
}

static void test_units(void)
{
	struct test_response r;
	char out[128];
	/* the tree rules come from the loader */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units?lang=en", "code=T-S9&kind=station&parent=T-MKT&name=Nine", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"parent-err\">unit &#39;T-S9&#39;: a station must be directly under the company, not "
			       "under department &#39;T-MKT&#39;</span>");
	CHECK_CONTAINS(r.body, "<option value=\"station\" selected>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units?lang=en", "code=T2&kind=company&name=Other", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"kind-err\">");
	CHECK_CONTAINS(r.body, "there can be only one company");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units?lang=en", "code=T-S9&kind=shop&parent=T&name=", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"kind-err\">choose company, department, station or team</span>");
	CHECK_CONTAINS(r.body, "id=\"name-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units", "code=T-H1&kind=station&parent=T&name=x", &r), 0);
	CHECK_INT(r.status, 400); /* a hall's code */
	CHECK_CONTAINS(r.body, "id=\"code-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units", "code=T-S1&kind=station&parent=T&name=x", &r), 0);
	CHECK_INT(r.status, 409);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, NULL, "/admin/units", "code=T-S9&kind=station&parent=T&name=Nine", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT count(*) FROM units WHERE code = 'T-S9'", out, sizeof out), "0");
	/* added */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units", "code=T-S9&kind=station&parent=T&name=%E4%B9%9D&name_en=Nine", &r),
		  0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT kind || '|' || (SELECT code FROM units p WHERE p.id = u.parent_id) || '|' || name_en FROM "
		       "units u WHERE code = 'T-S9'",
		       out, sizeof out),
		  "station|T|Nine");
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.unit.add'", out, sizeof out),
		  "unit=T-S9 kind=station parent=T");
	/* a team cannot become its own ancestor's parent: a cycle */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units", "code=T-S9-A&kind=team&parent=T-S9&name=a", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units/T-S9?lang=en", "kind=team&parent=T-S9-A&name=x", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"parent-err\">");
	test_response_free(&r);
	/* a station with a hall cannot become a department */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units/T-S2?lang=en", "kind=department&parent=T&name=x", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"kind-err\">unit &#39;T-S2&#39;: stored hall &#39;T-H2&#39; needs it to stay a station</span>");
	test_response_free(&r);
	/* edited: the team moves to the other station; the statistics follow */
	CHECK_INT(get(sid_adm, "/admin/units/T-S1-A?lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "<option value=\"team\" selected>");
	CHECK_CONTAINS(r.body, "value=\"Service team\"");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/units/T-S1-A", "kind=team&parent=T-S9&name=%E8%90%A5%E4%B8%9A%E7%8F%AD&name_en=Service+team", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'T-S1-A'", out,
		       sizeof out),
		  "T-S9");
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.unit.edit'", out, sizeof out),
		  "unit=T-S1-A changed=parent");
	CHECK_STR(sql1("SELECT value = (SELECT CAST(max(id) AS TEXT) FROM org_loads) FROM settings WHERE name = "
		       "'survey.aggregates_org'",
		       out, sizeof out),
		  "1");
	CHECK_INT(get(sid_adm, "/admin/units?lang=en&done=saved", &r), 0);
	CHECK_CONTAINS(r.body, "The unit is saved.");
	CHECK_CONTAINS(r.body, "href=\"/admin/units/T-S9\"");
	test_response_free(&r);
}

static void test_people(void)
{
	struct test_response r;
	char out[128];
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people?lang=en", "code=TP9&unit=NOPE&name=Nine", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"unit-err\">person &#39;TP9&#39;: unit &#39;NOPE&#39; is not defined</span>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people", "code=TP1&unit=T&name=x", &r), 0);
	CHECK_INT(r.status, 409);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, NULL, "/admin/people", "code=TP9&unit=T-S1&name=Nine", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people", "code=TP9&unit=T-S1&name=%E7%8E%8B%E4%B9%9D&title=%E6%89%80%E9%95%BF",
		       &r),
		  0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.person.add'", out, sizeof out),
		  "person=TP9 unit=T-S1");
	/* links: add, a duplicate, an unknown unit, remove */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9/links", "link_kind=head&link_unit=T-S1", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9/links", "link_kind=liaises&link_unit=T-S2", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9/links?lang=en", "link_kind=head&link_unit=T-S1", &r), 0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "id=\"link_unit-err\">person &#39;TP9&#39; already has head &#39;T-S1&#39;</span>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9/links?lang=en", "link_kind=boss&link_unit=NOPE", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"link_kind-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9/links?lang=en", "link_kind=supervises&link_unit=NOPE", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"link_unit-err\">person &#39;TP9&#39;: supervises unit &#39;NOPE&#39; is not defined</span>");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, NULL, "/admin/people/TP9/links/remove", "link_kind=head&link_unit=T-S1", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT count(*) FROM leader_links WHERE person_id = (SELECT id FROM people WHERE code = 'TP9')", out,
		       sizeof out),
		  "2");
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9/links/remove", "link_kind=head&link_unit=T-S1", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9/links/remove", "link_kind=head&link_unit=T-S1", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT group_concat(l.kind || ' ' || u.code) FROM leader_links l JOIN units u ON u.id = l.unit_id "
		       "WHERE person_id = (SELECT id FROM people WHERE code = 'TP9')",
		       out, sizeof out),
		  "liaises T-S2");
	CHECK_INT(audit_count("admin.link.add"), 2);
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.link.remove'", out, sizeof out),
		  "person=TP9 head=T-S1");
	/* editing the person keeps the links */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9?lang=en", "unit=T-S1&name=", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"name-err\">");
	test_response_free(&r);
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP9", "unit=T-S2&name=Wang+Jiu&name_en=Wang+Jiu", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT u.code || '|' || coalesce(p.title, '-') || '|' || (SELECT count(*) FROM leader_links WHERE "
		       "person_id = p.id) FROM people p JOIN units u ON u.id = p.unit_id WHERE p.code = 'TP9'",
		       out, sizeof out),
		  "T-S2|-|1");
	CHECK_STR(sql1("SELECT detail FROM audit_log WHERE actor = 'adm' AND action = 'admin.person.edit'", out, sizeof out),
		  "person=TP9 changed=unit,name,name_en,title");
	CHECK_INT(get(sid_adm, "/admin/people/TP9?lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "Liaises with");
	CHECK_CONTAINS(r.body, "name=\"link_unit\" value=\"T-S2\"");
	test_response_free(&r);
	CHECK_INT(get(sid_adm, "/admin/people/NOPE", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
}

/* An org file loaded after changes on the admin pages is applied again: the file wins
 * for what it lists, records made only on the pages stay. */
static void test_org_load_after(void)
{
	char out[8192], v[128];
	struct test_response r;
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/halls/T-H1", "station=T-S1&name=Renamed", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT name FROM halls WHERE code = 'T-H1'", v, sizeof v), "Renamed");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK(strstr(out, "already loaded") == NULL);
	CHECK_STR(sql1("SELECT name FROM halls WHERE code = 'T-H1'", v, sizeof v), "一号营业厅");
	CHECK_STR(sql1("SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'T-S1-A'", v, sizeof v),
		  "T-S1");
	CHECK_STR(sql1("SELECT count(*) FROM halls WHERE code = 'T-H9'", v, sizeof v), "1");
	CHECK_STR(sql1("SELECT count(*) FROM people WHERE code = 'TP9'", v, sizeof v), "1");
	/* and the pages go on working on what the file made */
	CHECK_INT(post(sid_adm, csrf_adm, "/admin/people/TP2/links/remove", "link_kind=liaises&link_unit=T-S1", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(sql1("SELECT count(*) FROM leader_links WHERE person_id = (SELECT id FROM people WHERE code = 'TP2')", v,
		       sizeof v),
		  "2");
}

int main(void)
{
	setup();
	test_access();
	test_halls();
	test_hall_add_edit();
	test_units();
	test_people();
	test_org_load_after();
	test_logins();
	test_tokens();
	test_settings();
	test_settings_live();
	CHECK_INT(test_server_stop(&srv), 0);
	return check_finish("test_http_admin");
}
