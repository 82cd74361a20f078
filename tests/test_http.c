/* test_http.c — the real server on an ephemeral loopback port: health and headers,
 * 404/405/413/415, login with CSRF and a new session id, logout, role scoping, login
 * rate limiting, API tokens, escaping of stored names, keep-alive, and a clean stop. */
#include "server.h"
#include "check.h"

static char dir[512], db[600];
static struct test_server srv;

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_http"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[8192];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run("admin-password-1\n", out, sizeof out, "--db", db, "user", "add", "adm", "--role", "admin",
			   NULL),
		  0);
	CHECK_INT(test_run("station-password-1\n", out, sizeof out, "--db", db, "user", "add", "st1", "--role",
			   "station", "--unit", "T-S1", NULL),
		  0);
	CHECK_INT(test_run("rate-password-1\n", out, sizeof out, "--db", db, "user", "add", "victim", "--role",
			   "manager", NULL),
		  0);
	char log[700];
	snprintf(log, sizeof log, "%s/server.log", dir);
	CHECK_INT(test_server_start(&srv, db, log), 0);
}

static void test_health_and_headers(void)
{
	struct test_response r;
	char v[512];
	CHECK_INT(test_request(srv.port, "GET", "/healthz", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "ok\n");
	CHECK(test_header(&r, "Content-Security-Policy", v, sizeof v) != NULL);
	CHECK_CONTAINS(v, "frame-ancestors 'none'");
	CHECK(strstr(v, "unsafe-inline") == NULL);
	CHECK_STR(test_header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
	CHECK_STR(test_header(&r, "Referrer-Policy", v, sizeof v), "no-referrer");
	test_response_free(&r);

	CHECK_INT(test_request(srv.port, "GET", "/no/such/page", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 404);
	CHECK_CONTAINS(r.body, "<html");
	CHECK(strstr(r.body, "sqlite") == NULL);
	test_response_free(&r);

	CHECK_INT(test_request(srv.port, "POST", "/healthz", NULL, "", &r), 0);
	CHECK_INT(r.status, 405);
	CHECK_STR(test_header(&r, "Allow", v, sizeof v), "GET");
	test_response_free(&r);

	CHECK_INT(test_request(srv.port, "GET", "/api/v1/nothing", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);

	/* the stylesheet is served, cacheable */
	CHECK_INT(test_request(srv.port, "GET", "/static/app.css", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(test_header(&r, "Content-Type", v, sizeof v), "text/css");
	test_response_free(&r);
}

/* Logs in through the form; returns the session cookie value in sid. */
static int login(const char *user, const char *password, char *sid, size_t sidlen, int *status)
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
	snprintf(hdr, sizeof hdr,
		 "Cookie: gs_pre=%s; gs_session=planted-by-attacker-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\n",
		 pre);
	snprintf(body, sizeof body, "_csrf=%s&login=%s&password=%s&next=%%2Funits%%2FT-S1", csrf, user, password);
	if (test_request(srv.port, "POST", "/login", hdr, body, &r) != 0)
		return -1;
	*status = r.status;
	int rc = test_set_cookie(&r, "gs_session", sid, sidlen);
	if (r.status == 303) {
		char loc[256];
		CHECK_STR(test_header(&r, "Location", loc, sizeof loc), "/units/T-S1");
	}
	test_response_free(&r);
	return rc;
}

static void test_login_flow(void)
{
	struct test_response r;
	char v[512], hdr[512];
	/* not logged in: the dashboard sends us to the login page */
	CHECK_INT(test_request(srv.port, "GET", "/", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 303);
	CHECK_STR(test_header(&r, "Location", v, sizeof v), "/login?next=/");
	test_response_free(&r);

	/* login CSRF: a POST without the pre-login cookie and token is refused */
	CHECK_INT(test_request(srv.port, "POST", "/login", "Content-Type: application/x-www-form-urlencoded\r\n",
			       "login=adm&password=admin-password-1", &r),
		  0);
	CHECK_INT(r.status, 403);
	CHECK(strstr(r.headers, "gs_session=") == NULL || strstr(r.headers, "gs_session=;") != NULL);
	test_response_free(&r);

	char sid[128];
	int status = 0;
	CHECK_INT(login("adm", "wrong-password-x", sid, sizeof sid, &status), -1);
	CHECK_INT(status, 401);
	CHECK_INT(login("adm", "admin-password-1", sid, sizeof sid, &status), 0);
	CHECK_INT(status, 303);
	CHECK_INT((int)strlen(sid), 43);
	CHECK(strstr(sid, "planted") == NULL);

	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid);
	CHECK_INT(test_request(srv.port, "GET", "/", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "测试县供电公司");
	CHECK_CONTAINS(r.body, "href=\"/units/T-S1\"");
	/* stored names are escaped wherever they appear */
	CHECK_CONTAINS(r.body, "二号营业厅 &lt;script&gt;alert(1)&lt;/script&gt;");
	CHECK(strstr(r.body, "<script>") == NULL);
	CHECK_CONTAINS(r.body, "&lt;b&gt;&amp;&quot;x&quot;");
	CHECK_STR(test_header(&r, "Cache-Control", v, sizeof v), "no-store");
	char csrf[128];
	CHECK_INT(test_form_value(r.body, "_csrf", csrf, sizeof csrf), 0);
	test_response_free(&r);

	/* English switch */
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S1?lang=en", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "Station One");
	CHECK_CONTAINS(r.body, "Supply station");
	test_response_free(&r);

	CHECK_INT(test_request(srv.port, "GET", "/halls/T-H1", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "08:30");
	CHECK_CONTAINS(r.body, "测试路1号");
	test_response_free(&r);

	CHECK_INT(test_request(srv.port, "GET", "/units/NOPE", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 404);
	CHECK_CONTAINS(r.body, "NOPE");
	test_response_free(&r);

	/* logout without the CSRF token: 403, and the session still works */
	char hdr2[700];
	snprintf(hdr2, sizeof hdr2, "%sContent-Type: application/x-www-form-urlencoded\r\n", hdr);
	CHECK_INT(test_request(srv.port, "POST", "/logout", hdr2, "_csrf=forged", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);

	char body[256];
	snprintf(body, sizeof body, "_csrf=%s", csrf);
	CHECK_INT(test_request(srv.port, "POST", "/logout", hdr2, body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 303); /* the session is gone */
	test_response_free(&r);
}

static void test_station_scope(void)
{
	struct test_response r;
	char sid[128], hdr[256];
	int status = 0;
	CHECK_INT(login("st1", "station-password-1", sid, sizeof sid, &status), 0);
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid);
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S1", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S1-A", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/halls/T-H1", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S2", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/halls/T-H2", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	/* the dashboard shows only the station's own subtree */
	CHECK_INT(test_request(srv.port, "GET", "/", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "T-S1-A");
	CHECK(strstr(r.body, "T-S2") == NULL);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"code\":\"T-S1\"");
	CHECK(strstr(r.body, "T-S2") == NULL);
	test_response_free(&r);
}

static void test_limits(void)
{
	struct test_response r;
	/* declared body larger than the route accepts: 413 before reading it */
	CHECK_INT(test_request(srv.port, "POST", "/login",
			       "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\n", NULL,
			       &r),
		  0);
	CHECK_INT(r.status, 413);
	test_response_free(&r);
	/* a body on a route that takes none */
	CHECK_INT(test_request(srv.port, "GET", "/healthz", NULL, "x=1", &r), 0);
	CHECK_INT(r.status, 413);
	test_response_free(&r);
	/* an actual oversized body (no declared length beyond the limit: sent in full) */
	size_t big = 40 * 1024;
	char *body = malloc(big + 1);
	memset(body, 'a', big);
	memcpy(body, "login=", 6);
	body[big] = '\0';
	CHECK_INT(test_request(srv.port, "POST", "/login", "Content-Type: application/x-www-form-urlencoded\r\n", body,
			       &r),
		  0);
	CHECK_INT(r.status, 413);
	test_response_free(&r);
	free(body);
	/* a form route with a content type it cannot parse */
	CHECK_INT(test_request(srv.port, "POST", "/login", "Content-Type: application/json\r\n", "{}", &r), 0);
	CHECK_INT(r.status, 415);
	test_response_free(&r);
	/* very long URL */
	char url[4200] = "/units/";
	memset(url + 7, 'x', 4100);
	url[4107] = '\0';
	CHECK_INT(test_request(srv.port, "GET", url, NULL, NULL, &r), 0);
	CHECK(r.status == 414 || r.status == 413 || r.status == 431);
	test_response_free(&r);
	/* Headers: 7 KiB of cookies (more than browsers send) fit in a connection's 16 KiB;
	 * 40 KiB are refused whole. */
	for (size_t len = 7 * 1024; len <= 40 * 1024; len += 33 * 1024) {
		char *hdr = malloc(len + 64);
		int n = snprintf(hdr, 64, "Cookie: big=");
		memset(hdr + n, 'c', len);
		memcpy(hdr + n + len, "\r\n", 3);
		CHECK_INT(test_request(srv.port, "GET", "/healthz", hdr, NULL, &r), 0);
		CHECK_INT(r.status, len < 16 * 1024 ? 200 : 431);
		test_response_free(&r);
		free(hdr);
	}
}

static void test_rate_limit(void)
{
	int status = 0;
	char sid[128];
	for (int i = 0; i < 5; i++) {
		CHECK_INT(login("victim", "not-the-password", sid, sizeof sid, &status), -1);
		CHECK_INT(status, 401);
	}
	/* now even the right password is refused for a while */
	CHECK_INT(login("victim", "rate-password-1", sid, sizeof sid, &status), -1);
	CHECK_INT(status, 429);
}

static void test_api_tokens(void)
{
	char out[512];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "queue-1", "--hall", "T-H1", NULL), 0);
	char token[128] = "";
	sscanf(out, "%127s", token);
	CHECK_INT((int)strlen(token), 47);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "queue-x", "--hall", "NOPE", NULL), 1);
	CHECK_CONTAINS(out, "NOPE");

	struct test_response r;
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"code\":\"T-S1\"");
	CHECK(strstr(r.body, "T-S2") == NULL); /* a hall's token sees its station */
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units", "Authorization: Bearer gst_forged\r\n", NULL, &r), 0);
	CHECK_INT(r.status, 401);
	CHECK_CONTAINS(r.body, "\"error\"");
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 401);
	CHECK_CONTAINS(r.body, "\"error\"");
	test_response_free(&r);
	/* bearer tokens do not open HTML pages */
	CHECK_INT(test_request(srv.port, "GET", "/", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
}

static void test_keep_alive(void)
{
	int fd = test_connect(srv.port);
	CHECK(fd >= 0);
	const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	for (int i = 0; i < 3; i++) {
		CHECK(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
		struct test_response r;
		CHECK_INT(test_read_response(fd, &r), 0);
		CHECK_INT(r.status, 200);
		char v[64];
		const char *conn = test_header(&r, "Connection", v, sizeof v);
		CHECK(conn == NULL || strcasecmp(conn, "close") != 0);
		test_response_free(&r);
	}
	close(fd);
}

static void test_access_log(void)
{
	char *log = NULL;
	FILE *f = fopen(srv.log, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	log = calloc(1, 1 << 20);
	size_t n = fread(log, 1, (1 << 20) - 1, f);
	log[n] = '\0';
	fclose(f);
	CHECK_CONTAINS(log, "access GET /healthz 200 3 ");
	CHECK_CONTAINS(log, "access GET /no/such/page 404");
	/* passwords and query strings never reach the log */
	CHECK(strstr(log, "admin-password-1") == NULL);
	CHECK(strstr(log, "lang=en") == NULL);
	free(log);
}

int main(void)
{
	setup();
	if (srv.port <= 0) {
		fprintf(stderr, "server did not start\n");
		return check_finish("test_http");
	}
	test_health_and_headers();
	test_login_flow();
	test_station_scope();
	test_limits();
	test_rate_limit();
	test_api_tokens();
	test_keep_alive();
	CHECK_INT(test_server_stop(&srv), 0);
	test_access_log();
	return check_finish("test_http");
}
