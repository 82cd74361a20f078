/* test_http_import.c — rollout imports through all three ways in, against the real
 * server on a loopback port and the real binary: the multipart upload form with a
 * station login (303 to the result page, counts, coverage API after), another
 * station's file (403, nothing written), an invalid file (errors with line numbers on
 * the page and in the API JSON), the same file again ("already"), dry runs, 413 from
 * Content-Length before the body and at the cap of a chunked body, CSRF, the coverage
 * API's 404/400/403, the uncovered-points CSV, temporary files cleaned up, and the
 * `gridscore import` and `source map` verbs. */
#include "server.h"
#include "check.h"

#include <dirent.h>
#include <poll.h>

static char dir[512], db[600], updir[600];
static struct test_server srv;
static char token_all[128], token_h1[128];

/* Like test_server_start, with uploads spooled in updir and a given cap. */
static int start_server(struct test_server *s, const char *max_upload)
{
	char logpath[700];
	snprintf(logpath, sizeof logpath, "%s/server-%s.log", dir, max_upload);
	snprintf(s->db, sizeof s->db, "%s", db);
	int o[2];
	if (pipe(o))
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		int lf = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(o[1], 1);
		if (lf >= 0)
			dup2(lf, 2);
		close(o[0]);
		setenv("TMPDIR", updir, 1);
		execl(test_bin(), test_bin(), "--db", db, "serve", "--listen", "127.0.0.1:0", "--threads", "2",
		      "--max-upload", max_upload, (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	char line[128] = "";
	size_t got = 0;
	while (got < sizeof line - 1) {
		ssize_t n = read(o[0], line + got, 1);
		if (n <= 0 || line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	close(o[0]);
	return sscanf(line, "listening on port %d", &s->port) == 1 ? 0 : -1;
}

static void read_token(const char *out, char *tok, size_t len)
{
	/* the token is the first line of the output (the notice follows on stderr) */
	size_t n = strcspn(out, "\r\n");
	if (n >= len)
		n = len - 1;
	memcpy(tok, out, n);
	tok[n] = '\0';
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_http_import"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	snprintf(updir, sizeof updir, "%s/uploads", dir);
	mkdir(updir, 0700);
	char out[8192];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run("admin-password-1\n", out, sizeof out, "--db", db, "user", "add", "adm", "--role", "admin",
			   NULL),
		  0);
	CHECK_INT(test_run("station-password-1\n", out, sizeof out, "--db", db, "user", "add", "st1", "--role",
			   "station", "--unit", "T-S1", NULL),
		  0);
	CHECK_INT(test_run("station-password-2\n", out, sizeof out, "--db", db, "user", "add", "st2", "--role",
			   "station", "--unit", "T-S2", NULL),
		  0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "integration", NULL), 0);
	read_token(out, token_all, sizeof token_all);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "hall-one", "--hall", "T-H1", NULL), 0);
	read_token(out, token_h1, sizeof token_h1);
	CHECK_INT(strncmp(token_all, "gst_", 4), 0);
	CHECK_INT(start_server(&srv, "1G"), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *data = malloc(1 << 20);
	size_t n = fread(data, 1, (1 << 20) - 1, f);
	fclose(f);
	data[n] = '\0';
	return data;
}

/* Logs in through the form: the session cookie value in sid. */
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

/* The CSRF token of the import page for a session. */
static int page_csrf(const char *sid, char *csrf, size_t len)
{
	struct test_response r;
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid);
	if (test_request(srv.port, "GET", "/imports", hdr, NULL, &r) != 0)
		return -1;
	int rc = r.status == 200 ? test_form_value(r.body, "_csrf", csrf, len) : -1;
	test_response_free(&r);
	return rc;
}

#define BOUNDARY "gsTestBoundary7MA4YWxkTrZu0gW"

/* A multipart body: the CSRF field (if csrf), the file part, then the dry-run box. */
static char *multipart(const char *csrf, const char *fixture, const char *filename, int dry_run, int csrf_after)
{
	char *data = slurp(fixture);
	if (!data)
		return NULL;
	size_t cap = strlen(data) + 4096;
	char *b = malloc(cap);
	size_t n = 0;
	if (csrf && !csrf_after)
		n += (size_t)snprintf(b + n, cap - n,
				      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n%s\r\n", csrf);
	n += (size_t)snprintf(b + n, cap - n,
			      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
			      "Content-Type: text/xml\r\n\r\n%s\r\n",
			      filename, data);
	if (csrf && csrf_after)
		n += (size_t)snprintf(b + n, cap - n,
				      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n%s\r\n", csrf);
	if (dry_run)
		n += (size_t)snprintf(b + n, cap - n,
				      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n");
	snprintf(b + n, cap - n, "--" BOUNDARY "--\r\n");
	free(data);
	return b;
}

static int upload_form(const char *sid, const char *body, struct test_response *r)
{
	char hdr[512];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\nContent-Type: multipart/form-data; boundary=" BOUNDARY "\r\n",
		 sid);
	return test_request(srv.port, "POST", "/imports", hdr, body, r);
}

static int api_upload(const char *token, const char *fixture, const char *query, struct test_response *r)
{
	char hdr[512], path[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\nContent-Type: application/xml\r\n", token);
	snprintf(path, sizeof path, "/api/v1/imports%s", query ? query : "");
	char *data = slurp(fixture);
	if (!data)
		return -1;
	int rc = test_request(srv.port, "POST", path, hdr, data, r);
	free(data);
	return rc;
}

/* Coverage of a unit on a day through the API, as the integration token sees it:
 * "points/smart" (e.g. "4/2"), or "status N". */
static const char *coverage(const char *unit, const char *day, char *out, size_t len)
{
	struct test_response r;
	char hdr[256], path[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token_all);
	snprintf(path, sizeof path, "/api/v1/units/%s/coverage?at=%s", unit, day);
	if (test_request(srv.port, "GET", path, hdr, NULL, &r) != 0)
		return "no answer";
	long points = -1, smart = -1;
	const char *p = r.status == 200 ? strstr(r.body, "\"metering_points\":") : NULL;
	const char *q = r.status == 200 ? strstr(r.body, "\"smart\":") : NULL;
	if (p && q) {
		points = strtol(p + 18, NULL, 10);
		smart = strtol(q + 8, NULL, 10);
		snprintf(out, len, "%ld/%ld", points, smart);
	} else {
		snprintf(out, len, "status %d", r.status);
	}
	test_response_free(&r);
	return out;
}

static int count_uploads_left(void)
{
	DIR *d = opendir(updir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "gridscore-upload-", 17) == 0;
	if (d)
		closedir(d);
	return n;
}

static char sid1[128], sid2[128], sid_adm[128];

static void test_form_flow(void)
{
	struct test_response r;
	char csrf[128], hdr[256], loc[256], c[64];
	CHECK_INT(login("st1", "station-password-1", sid1, sizeof sid1), 0);
	CHECK_INT(login("st2", "station-password-2", sid2, sizeof sid2), 0);
	CHECK_INT(login("adm", "admin-password-1", sid_adm, sizeof sid_adm), 0);
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid1);

	/* the page: the form works without JavaScript, the script is a same-origin file */
	CHECK_INT(test_request(srv.port, "GET", "/imports", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "enctype=\"multipart/form-data\"");
	CHECK_CONTAINS(r.body, "action=\"/imports\"");
	CHECK_CONTAINS(r.body, "name=\"dry_run\"");
	CHECK_CONTAINS(r.body, "<script src=\"/static/upload.js\"");
	CHECK(strstr(r.body, "name=\"station\"") == NULL); /* a station login has its own station */
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/static/upload.js", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "XMLHttpRequest");
	test_response_free(&r);

	CHECK_STR(coverage("T-S1", "2026-03-01", c, sizeof c), "0/0");
	CHECK_INT(page_csrf(sid1, csrf, sizeof csrf), 0);
	char *body = multipart(csrf, "tests/data/import/s1-good.xml", "../../fakepath/s1-good.xml", 0, 0);
	CHECK(body != NULL);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 303);
	CHECK(test_header(&r, "Location", loc, sizeof loc) != NULL);
	CHECK_INT(strncmp(loc, "/imports/", 9), 0);
	CHECK(strchr(loc, '?') == NULL);
	test_response_free(&r);

	CHECK_INT(test_request(srv.port, "GET", loc, hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "s1-good.xml");
	CHECK(strstr(r.body, "fakepath") == NULL); /* the client's folder is not kept */
	CHECK_CONTAINS(r.body, "<strong>6</strong>"); /* 4 points + 2 installs read */
	CHECK_CONTAINS(r.body, "已导入");
	CHECK_CONTAINS(r.body, "st1");
	CHECK_CONTAINS(r.body, "href=\"/units/T-S1\"");
	test_response_free(&r);

	/* the coverage API follows: 4 points, 2 smart by March, 1 at the end of January */
	CHECK_STR(coverage("T-S1", "2026-03-01", c, sizeof c), "4/2");
	CHECK_STR(coverage("T-S1", "2026-01-31", c, sizeof c), "4/1");
	CHECK_STR(coverage("T", "2026-03-01", c, sizeof c), "4/2");
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units/T-S1/coverage?at=2026-03-01", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"unit\":\"T-S1\"");
	CHECK_CONTAINS(r.body, "\"at\":\"2026-03-01\"");
	CHECK_CONTAINS(r.body, "\"rate\":0.5");
	test_response_free(&r);

	/* the list shows it, newest first */
	CHECK_INT(test_request(srv.port, "GET", "/imports", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "s1-good.xml");
	test_response_free(&r);

	/* the same file again: "already", nothing changes */
	CHECK_INT(page_csrf(sid1, csrf, sizeof csrf), 0);
	body = multipart(csrf, "tests/data/import/s1-good.xml", "again.xml", 0, 0);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 303);
	CHECK_CONTAINS(test_header(&r, "Location", loc, sizeof loc), "?already=1");
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", loc, hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "此前已导入");
	test_response_free(&r);
	CHECK_STR(coverage("T-S1", "2026-03-01", c, sizeof c), "4/2");

	/* the unit page and the dashboard carry the coverage block */
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S1?at=2026-03-01", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "智能表覆盖率");
	CHECK_CONTAINS(r.body, "50.0%");
	CHECK_CONTAINS(r.body, "<progress");
	CHECK_CONTAINS(r.body, "/units/T-S1/uncovered.csv?at=2026-03-01");
	test_response_free(&r);
	char ahdr[256];
	snprintf(ahdr, sizeof ahdr, "Cookie: gs_session=%s\r\n", sid_adm);
	CHECK_INT(test_request(srv.port, "GET", "/?lang=en&at=2026-03-01", ahdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "Smart-meter coverage");
	CHECK_CONTAINS(r.body, "By station"); /* the company has a per-station table */
	test_response_free(&r);

	/* the uncovered points of the station, as CSV */
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S1/uncovered.csv?at=2026-03-01", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "T-S1-P3");
	CHECK_CONTAINS(r.body, "T-S1-P4");
	CHECK(strstr(r.body, "T-S1-P1") == NULL);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T/uncovered.csv", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403); /* the company is outside a station login's scope */
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T/uncovered.csv", ahdr, NULL, &r), 0);
	CHECK_INT(r.status, 404); /* kept per station */
	test_response_free(&r);
}

static void test_other_station(void)
{
	struct test_response r;
	char csrf[128], c[64], hdr[256];
	/* T-S2's file from a T-S1 login: refused, nothing written */
	CHECK_INT(page_csrf(sid1, csrf, sizeof csrf), 0);
	char *body = multipart(csrf, "tests/data/import/s2-good.xml", "s2-good.xml", 0, 0);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 403);
	CHECK_CONTAINS(r.body, "s2-good.xml");
	test_response_free(&r);
	CHECK_STR(coverage("T-S2", "2026-03-01", c, sizeof c), "0/0");
	/* the hall token is scoped to T-H1's station: the same */
	CHECK_INT(api_upload(token_h1, "tests/data/import/s2-good.xml", NULL, &r), 0);
	CHECK_INT(r.status, 403);
	CHECK_CONTAINS(r.body, "\"status\":\"rejected\"");
	CHECK_CONTAINS(r.body, "\"error\":");
	test_response_free(&r);
	CHECK_STR(coverage("T-S2", "2026-03-01", c, sizeof c), "0/0");
	/* a station user cannot read the other station's coverage */
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid1);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units/T-S2/coverage", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403);
	CHECK_CONTAINS(r.body, "\"error\":");
	test_response_free(&r);
	/* its own station's login may import it */
	CHECK_INT(page_csrf(sid2, csrf, sizeof csrf), 0);
	body = multipart(csrf, "tests/data/import/s2-good.xml", "s2-good.xml", 0, 0);
	CHECK_INT(upload_form(sid2, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_STR(coverage("T-S2", "2026-03-01", c, sizeof c), "2/1");
	/* T-S1 does not see T-S2's import in its list, nor its page */
	CHECK_INT(test_request(srv.port, "GET", "/imports", hdr, NULL, &r), 0);
	CHECK(strstr(r.body, "T-S2") == NULL);
	test_response_free(&r);
}

static void test_invalid_file(void)
{
	struct test_response r;
	char csrf[128], hdr[256], loc[256], c[64];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid1);
	CHECK_INT(page_csrf(sid1, csrf, sizeof csrf), 0);
	char *body = multipart(csrf, "tests/data/import/s1-bad.xml", "s1-bad.xml", 0, 0);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 303);
	CHECK(test_header(&r, "Location", loc, sizeof loc) != NULL);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", loc, hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "已拒绝");
	CHECK_CONTAINS(r.body, "<tr><td>6</td>"); /* the line of the bad class */
	CHECK_CONTAINS(r.body, "spaceship");
	test_response_free(&r);
	CHECK_STR(coverage("T-S1", "2026-03-01", c, sizeof c), "4/2");

	/* the client's file name is escaped wherever it is shown */
	CHECK_INT(page_csrf(sid1, csrf, sizeof csrf), 0);
	body = multipart(csrf, "tests/data/import/s1-bad.xml", "<img src=x onerror=alert(1)>.xml", 0, 0);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 303);
	CHECK(test_header(&r, "Location", loc, sizeof loc) != NULL);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", loc, hdr, NULL, &r), 0);
	CHECK_CONTAINS(r.body, "&lt;img src=x onerror=alert(1)&gt;.xml");
	CHECK(strstr(r.body, "<img") == NULL);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/imports", hdr, NULL, &r), 0);
	CHECK(strstr(r.body, "<img") == NULL);
	test_response_free(&r);
	/* a form whose file input was left empty */
	char empty[512];
	snprintf(empty, sizeof empty,
		 "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n%s\r\n--" BOUNDARY
		 "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
		 "Content-Type: application/octet-stream\r\n\r\n\r\n--" BOUNDARY "--\r\n",
		 csrf);
	CHECK_INT(upload_form(sid1, empty, &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "请选择要上传的文件");
	test_response_free(&r);

	/* through the API: 422 with the errors */
	CHECK_INT(api_upload(token_h1, "tests/data/import/s1-bad.xml", "?name=s1-bad.xml", &r), 0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "\"status\":\"rejected\"");
	CHECK_CONTAINS(r.body, "\"line\":6");
	CHECK_CONTAINS(r.body, "\"column\":");
	CHECK_CONTAINS(r.body, "\"message\":");
	CHECK_CONTAINS(r.body, "\"records\":");
	test_response_free(&r);

	/* not XML at all */
	char hdr2[512];
	snprintf(hdr2, sizeof hdr2, "Authorization: Bearer %s\r\nContent-Type: application/xml\r\n", token_all);
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports", hdr2, "this is not xml", &r), 0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "\"line\":1");
	test_response_free(&r);
	/* an empty body, a form with no file, a body type that is no file */
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports", hdr2, "", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "\"error\":");
	test_response_free(&r);
	snprintf(hdr2, sizeof hdr2, "Authorization: Bearer %s\r\nContent-Type: application/x-www-form-urlencoded\r\n",
		 token_all);
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports", hdr2, "file=x", &r), 0);
	CHECK_INT(r.status, 415);
	test_response_free(&r);
}

static void test_api_and_dry_run(void)
{
	struct test_response r;
	char c[64], csrf[128], hdr[512];
	/* a dry run through the API: a report, nothing written */
	CHECK_INT(api_upload(token_all, "tests/data/import/s1-more.xml", "?dry_run=1", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"status\":\"dry-run\"");
	CHECK_CONTAINS(r.body, "\"id\":null");
	CHECK_CONTAINS(r.body, "\"records\":1");
	test_response_free(&r);
	CHECK_STR(coverage("T-S1", "2026-03-31", c, sizeof c), "4/2");
	/* a dry run through the form: the report is the answer */
	CHECK_INT(page_csrf(sid1, csrf, sizeof csrf), 0);
	char *body = multipart(csrf, "tests/data/import/s1-more.xml", "s1-more.xml", 1, 0);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "试导入");
	test_response_free(&r);
	CHECK_STR(coverage("T-S1", "2026-03-31", c, sizeof c), "4/2");
	/* the real import through the API, exactly the contract's fields */
	CHECK_INT(api_upload(token_all, "tests/data/import/s1-more.xml", "?name=s1-more.xml", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"status\":\"imported\"");
	CHECK_CONTAINS(r.body, "\"inserted\":1");
	CHECK_CONTAINS(r.body, "\"updated\":0");
	CHECK_CONTAINS(r.body, "\"unchanged\":0");
	CHECK_CONTAINS(r.body, "\"errors\":[]");
	CHECK(strstr(r.body, "\"id\":null") == NULL);
	test_response_free(&r);
	CHECK_STR(coverage("T-S1", "2026-03-31", c, sizeof c), "4/3");
	CHECK_INT(api_upload(token_all, "tests/data/import/s1-more.xml", NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"status\":\"already\"");
	test_response_free(&r);
	/* a session caller of the API needs the CSRF header */
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\nContent-Type: application/xml\r\n", sid1);
	char *data = slurp("tests/data/import/s1-more.xml");
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports", hdr, data, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\nContent-Type: application/xml\r\nX-CSRF-Token: %s\r\n", sid1,
		 csrf);
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports", hdr, data, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"status\":\"already\"");
	test_response_free(&r);
	free(data);
	/* no credentials at all, a bad token */
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports", "Content-Type: application/xml\r\n", "<x/>", &r), 0);
	CHECK_INT(r.status, 401);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports",
			       "Authorization: Bearer gst_nope\r\nContent-Type: application/xml\r\n", "<x/>", &r),
		  0);
	CHECK_INT(r.status, 401);
	test_response_free(&r);
}

/* An import through the API with a Bearer token: its page names the token as who imported
 * ("API token" and the token's name; no login), and the list shows it too. */
static void test_token_actor(void)
{
	struct test_response r;
	char c[64], hdr[256], path[64];
	CHECK_INT(api_upload(token_all, "tests/data/meter/http-token.xml", "?name=http-token.xml", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"status\":\"imported\"");
	CHECK_CONTAINS(r.body, "\"unchanged\":1");
	const char *idp = r.status == 200 ? strstr(r.body, "\"id\":") : NULL;
	long id = idp ? strtol(idp + 5, NULL, 10) : 0;
	test_response_free(&r);
	CHECK(id > 0);
	CHECK_STR(coverage("T-S1", "2026-03-31", c, sizeof c), "4/3");
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid_adm);
	snprintf(path, sizeof path, "/imports/%ld?lang=en", id);
	CHECK_INT(test_request(srv.port, "GET", path, hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "http-token.xml");
	CHECK_CONTAINS(r.body, "API token integration");
	test_response_free(&r);
	/* the station's own login sees it as well, with the same name */
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid1);
	CHECK_INT(test_request(srv.port, "GET", path, hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "API token integration");
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/imports?lang=en", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "API token integration");
	test_response_free(&r);
}

static void test_csrf(void)
{
	struct test_response r;
	char c[64], csrf[128];
	CHECK_INT(page_csrf(sid1, csrf, sizeof csrf), 0);
	/* no token */
	char *body = multipart(NULL, "tests/data/import/s1-more.xml", "s1-more.xml", 0, 0);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	/* another session's token */
	char other[128];
	CHECK_INT(page_csrf(sid2, other, sizeof other), 0);
	body = multipart(other, "tests/data/import/s1-more.xml", "s1-more.xml", 0, 0);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	/* the right token, but after the file: the file is not stored */
	body = multipart(csrf, "tests/data/import/s1-more.xml", "s1-more.xml", 0, 1);
	CHECK_INT(upload_form(sid1, body, &r), 0);
	free(body);
	CHECK_INT(r.status, 403);
	CHECK_CONTAINS(r.body, "_csrf");
	test_response_free(&r);
	/* not logged in */
	body = multipart(csrf, "tests/data/import/s1-more.xml", "s1-more.xml", 0, 0);
	CHECK_INT(test_request(srv.port, "POST", "/imports",
			       "Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n", body, &r),
		  0);
	free(body);
	CHECK_INT(r.status, 401);
	test_response_free(&r);
	CHECK_STR(coverage("T-S1", "2026-03-31", c, sizeof c), "4/3");
}

/* Sends only the request head and waits for the answer: it must come without the body. */
static void test_too_large(void)
{
	int fd = test_connect(srv.port);
	CHECK(fd >= 0);
	char head[512];
	int n = snprintf(head, sizeof head,
			 "POST /api/v1/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
			 "Content-Type: application/xml\r\nContent-Length: 5368709120\r\n\r\n",
			 token_all);
	CHECK_INT(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	CHECK_INT(poll(&p, 1, 5000), 1);
	struct test_response r;
	CHECK_INT(test_read_response(fd, &r), 0);
	CHECK_INT(r.status, 413);
	CHECK_CONTAINS(r.body, "\"error\":");
	test_response_free(&r);
	close(fd);

	/* the web form too, with the upload cap in the message */
	char hdr[512];
	snprintf(hdr, sizeof hdr,
		 "Cookie: gs_session=%s\r\nContent-Type: multipart/form-data; boundary=" BOUNDARY
		 "\r\nContent-Length: 1073741825\r\n",
		 sid1);
	CHECK_INT(test_request(srv.port, "POST", "/imports", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 413);
	CHECK_CONTAINS(r.body, "1073741824");
	test_response_free(&r);

	/* a server with a 4 KiB cap: a chunked body is cut at the cap */
	struct test_server small;
	CHECK_INT(start_server(&small, "4K"), 0);
	fd = test_connect(small.port);
	CHECK(fd >= 0);
	n = snprintf(head, sizeof head,
		     "POST /api/v1/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		     "Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
		     token_all);
	CHECK_INT(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
	char chunk[1100];
	memset(chunk, ' ', sizeof chunk);
	memcpy(chunk, "400\r\n", 5);
	memcpy(chunk + 5 + 1024, "\r\n", 2);
	for (int i = 0; i < 6; i++)
		CHECK_INT(send(fd, chunk, 5 + 1024 + 2, MSG_NOSIGNAL), 5 + 1024 + 2);
	CHECK_INT(send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL), 5);
	CHECK_INT(test_read_response(fd, &r), 0);
	CHECK_INT(r.status, 413);
	CHECK_CONTAINS(r.body, "4096");
	test_response_free(&r);
	close(fd);
	/* under the cap the same way works */
	fd = test_connect(small.port);
	CHECK_INT(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
	CHECK_INT(send(fd, "5\r\nnot x\r\n0\r\n\r\n", 15, MSG_NOSIGNAL), 15);
	CHECK_INT(test_read_response(fd, &r), 0);
	CHECK_INT(r.status, 422);
	test_response_free(&r);
	close(fd);
	CHECK_INT(test_server_stop(&small), 0);
}

static void test_coverage_api(void)
{
	struct test_response r;
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token_all);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units/NOPE/coverage", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 404);
	CHECK_CONTAINS(r.body, "\"error\":");
	CHECK_CONTAINS(r.body, "NOPE");
	test_response_free(&r);
	const char *bad[] = {"2026-02-30", "yesterday", "2026-3-1", "2026-03-01x", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char path[128];
		snprintf(path, sizeof path, "/api/v1/units/T/coverage?at=%s", bad[i]);
		CHECK_INT(test_request(srv.port, "GET", path, hdr, NULL, &r), 0);
		CHECK_INT(r.status, 400);
		CHECK_CONTAINS(r.body, "\"error\":\"at:");
		test_response_free(&r);
	}
	/* no date: today; before any point was in service: zero, rate 0 */
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units/T/coverage", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"metering_points\":6");
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units/T/coverage?at=2019-12-31", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"metering_points\":0");
	CHECK_CONTAINS(r.body, "\"rate\":0");
	test_response_free(&r);
	/* unauthenticated */
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units/T/coverage", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 401);
	test_response_free(&r);
}

static void test_import_pages_scope(void)
{
	struct test_response r;
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid2);
	/* import #1 is T-S1's: T-S2's login may not read it */
	CHECK_INT(test_request(srv.port, "GET", "/imports/1", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/imports/999999", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/imports/x1", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid_adm);
	CHECK_INT(test_request(srv.port, "GET", "/imports/1?lang=en", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "SHA-256");
	test_response_free(&r);
	/* the admin's list has everyone's imports and the station field */
	CHECK_INT(test_request(srv.port, "GET", "/imports", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "s1-good.xml");
	CHECK_CONTAINS(r.body, "s2-good.xml");
	CHECK_CONTAINS(r.body, "name=\"station\"");
	test_response_free(&r);
}

static void test_cli(void)
{
	char out[16384], c[64];
	/* a rejected file: exit 1, file:line on stderr, nothing written */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "tests/data/import/s1-bad.xml", NULL), 1);
	CHECK_CONTAINS(out, "s1-bad.xml:6");
	/* a dry run of a good file: exit 0, nothing written */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "--dry-run", "tests/data/import/s2-good.xml",
			   NULL),
		  0);
	/* --as a station login: another station's file is refused */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "--as", "st1", "tests/data/import/s2-more.xml",
			   NULL),
		  1);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "--as", "st2", "--dry-run",
			   "tests/data/import/s2-more.xml", NULL),
		  0);
	CHECK_STR(coverage("T-S2", "2026-03-01", c, sizeof c), "2/1");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "--as", "st2", "tests/data/import/s2-more.xml",
			   NULL),
		  0);
	CHECK_STR(coverage("T-S2", "2026-03-01", c, sizeof c), "2/2");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "--as", "nobody", "tests/data/import/s2-good.xml",
			   NULL),
		  1);
	CHECK_CONTAINS(out, "nobody");
	/* several files: each its own import; one already there, one rejected → exit 1 */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "tests/data/import/s1-good.xml",
			   "tests/data/import/s1-bad.xml", NULL),
		  1);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "tests/data/import/no-such-file.xml", NULL), 1);
	CHECK_CONTAINS(out, "no-such-file.xml");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", NULL), 2);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "--bogus", "x.xml", NULL), 2);
	CHECK_STR(coverage("T-S1", "2026-03-31", c, sizeof c), "4/3");
	/* the import log records the CLI's imports under --as */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "source", "map", "HES-1", "T-S1", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "source", "map", "HES-1", "T", NULL), 1);
	CHECK_CONTAINS(out, "not a supply station");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "source", "map", "HES-1", NULL), 2);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "serve", "--max-upload", "0", NULL), 2);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "serve", "--max-upload", "12X", NULL), 2);
}

int main(void)
{
	setup();
	if (srv.port <= 0) {
		fprintf(stderr, "server did not start\n");
		return check_finish("test_http_import");
	}
	test_form_flow();
	test_other_station();
	test_invalid_file();
	test_api_and_dry_run();
	test_token_actor();
	test_csrf();
	test_too_large();
	test_coverage_api();
	test_import_pages_scope();
	test_cli();
	CHECK_INT(test_server_stop(&srv), 0);
	/* every temporary upload file was removed */
	CHECK_INT(count_uploads_left(), 0);
	return check_finish("test_http_import");
}
