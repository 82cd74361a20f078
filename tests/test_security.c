/* test_security.c — items of the security checklist (docs/SECURITY.md) that no module
 * test covered: rollout files with a DOCTYPE (external entity, entity expansion) are
 * refused before anything is read or imported, through the CLI and the upload API; the
 * session and pre-login cookies carry HttpOnly, SameSite=Strict and Path=/, and Secure
 * when the public base URL is https; customers' comments that a spreadsheet would run as
 * a formula come out of the responses CSV defused. */
#include "server.h"
#include "check.h"

#include "db.h"

static char dir[512], db[600];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_rollout_doctype(void)
{
	char secret[700], xxe[700], laughs[700], out[8192], text[2048];
	snprintf(secret, sizeof secret, "%s/secret.txt", dir);
	write_file(secret, "TOP-SECRET-CONTENT-91\n");
	snprintf(xxe, sizeof xxe, "%s/xxe.xml", dir);
	snprintf(text, sizeof text,
		 "<?xml version=\"1.0\"?>\n<!DOCTYPE rollout [<!ENTITY s SYSTEM \"file://%s\">]>\n"
		 "<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"T-S1\" file-id=\"x\" "
		 "generated-at=\"2026-03-01T08:00:00+08:00\"><inventory><point code=\"&s;\" class=\"residential\" "
		 "since=\"2020-01-01\"/></inventory></rollout>\n",
		 secret);
	write_file(xxe, text);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", xxe, NULL), 1);
	CHECK_CONTAINS(out, "DOCTYPE");
	CHECK(strstr(out, "TOP-SECRET") == NULL);
	snprintf(laughs, sizeof laughs, "%s/laughs.xml", dir);
	write_file(laughs, "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
			   "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n"
			   "<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"&c;\"/>\n");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", laughs, NULL), 1);
	CHECK_CONTAINS(out, "DOCTYPE");

	/* The same through the upload API. */
	char tok[128];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "sec", NULL), 0);
	sscanf(out, "%127s", tok);
	struct test_server srv;
	char log[700], hdr[512];
	snprintf(log, sizeof log, "%s/server-xxe.log", dir);
	CHECK_INT(test_server_start(&srv, db, log), 0);
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\nContent-Type: application/xml\r\n", tok);
	struct test_response r;
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/imports", hdr, text, &r), 0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "\"status\":\"rejected\"");
	CHECK_CONTAINS(r.body, "DOCTYPE");
	CHECK(strstr(r.body, "TOP-SECRET") == NULL);
	test_response_free(&r);
	/* Nothing was imported. */
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", tok);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/units/T-S1/coverage?at=2026-03-01", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"metering_points\":0");
	test_response_free(&r);
	CHECK_INT(test_server_stop(&srv), 0);
}

/* The attributes of the Set-Cookie header for name. */
static int cookie_line(const struct test_response *r, const char *name, char *out, size_t len)
{
	char needle[64];
	snprintf(needle, sizeof needle, "Set-Cookie: %s=", name);
	const char *p = strstr(r->headers, needle);
	if (!p)
		return -1;
	size_t n = strcspn(p, "\r\n");
	snprintf(out, len, "%.*s", (int)n, p);
	return 0;
}

static void test_cookie_flags(void)
{
	char out[4096];
	CHECK_INT(test_run("security-password-1\n", out, sizeof out, "--db", db, "user", "add", "secadm", "--role",
			   "admin", NULL),
		  0);
	for (int https = 0; https <= 1; https++) {
		struct test_server srv;
		char log[700];
		snprintf(log, sizeof log, "%s/server-cookies-%d.log", dir, https);
		static const char *const extra[] = {"--base-url", "https://survey.example.test", NULL};
		CHECK_INT(test_server_start_with(&srv, db, log, https ? extra : NULL), 0);
		struct test_response r;
		char pre[128] = "", csrf[128] = "", line[512] = "", hdr[512], body[512];
		CHECK_INT(test_request(srv.port, "GET", "/login", NULL, NULL, &r), 0);
		CHECK_INT(test_set_cookie(&r, "gs_pre", pre, sizeof pre), 0);
		CHECK_INT(test_form_value(r.body, "_csrf", csrf, sizeof csrf), 0);
		CHECK_INT(cookie_line(&r, "gs_pre", line, sizeof line), 0);
		test_response_free(&r);
		CHECK_CONTAINS(line, "; HttpOnly");
		CHECK_CONTAINS(line, "; SameSite=Strict");
		CHECK_CONTAINS(line, "; Path=/");
		CHECK(https ? strstr(line, "; Secure") != NULL : strstr(line, "Secure") == NULL);

		snprintf(hdr, sizeof hdr, "Cookie: gs_pre=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", pre);
		snprintf(body, sizeof body, "_csrf=%s&login=secadm&password=security-password-1", csrf);
		CHECK_INT(test_request(srv.port, "POST", "/login", hdr, body, &r), 0);
		CHECK_INT(r.status, 303);
		CHECK_INT(cookie_line(&r, "gs_session", line, sizeof line), 0);
		test_response_free(&r);
		CHECK_CONTAINS(line, "; HttpOnly");
		CHECK_CONTAINS(line, "; SameSite=Strict");
		CHECK_CONTAINS(line, "; Path=/");
		CHECK(https ? strstr(line, "; Secure") != NULL : strstr(line, "Secure") == NULL);
		CHECK_INT(test_server_stop(&srv), 0);
	}
}

/* Item 15: a customer's comment reaches the responses CSV as text, never as a formula.
 * Each comment is submitted through the survey form like a customer's; the CSV is read
 * as a station user would download it. */
static void test_csv_formula(void)
{
	/* Show groups of any size and do not flag fast answers, so four responses are listed. */
	struct db *d = NULL;
	char err[256], out[4096];
	CHECK_INT(db_open(db, 0, &d, err, sizeof err), GS_OK);
	CHECK_INT(db_exec(d, "INSERT OR REPLACE INTO settings(name, value) VALUES('survey.min_breakdown', '1'), "
			     "('survey.fast_seconds', '0')"),
		  GS_OK);
	db_close(d);
	CHECK_INT(test_run("csv-password-1\n", out, sizeof out, "--db", db, "user", "add", "csvst", "--role", "station",
			   "--unit", "T-S1", NULL),
		  0);
	char tok[128] = "";
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "csv", NULL), 0);
	sscanf(out, "%127s", tok);
	struct test_server srv;
	char log[700];
	snprintf(log, sizeof log, "%s/server-csv.log", dir);
	CHECK_INT(test_server_start(&srv, db, log), 0);

	/* =1+2, -1+2, @SUM(A1) and a fullwidth ＋1 (urlencoded) */
	static const char *const comments[] = {"%3D1%2B2", "-1%2B2", "%40SUM(A1)", "%EF%BC%8B1"};
	char path[160] = "";
	CHECK_INT(test_survey_path(srv.port, tok, "T-H1", path, sizeof path), 0);
	for (size_t i = 0; i < sizeof comments / sizeof *comments; i++) {
		struct test_response r;
		char inst[64] = "", stamp[96] = "", hdr[256], body[512];
		CHECK_INT(test_request(srv.port, "GET", path, NULL, NULL, &r), 0);
		CHECK_INT(test_form_value(r.body, "_i", inst, sizeof inst), 0);
		CHECK_INT(test_form_value(r.body, "_t", stamp, sizeof stamp), 0);
		test_response_free(&r);
		snprintf(hdr, sizeof hdr, "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: csv-%zu\r\n",
			 i);
		snprintf(body, sizeof body, "_i=%s&_t=%s&rating=4&comment=%s", inst, stamp, comments[i]);
		CHECK_INT(test_request(srv.port, "POST", path, hdr, body, &r), 0);
		CHECK_INT(r.status, 303);
		test_response_free(&r);
	}

	char sid[128] = "";
	CHECK_INT(test_login(srv.port, "csvst", "csv-password-1", sid, sizeof sid), 0);
	struct test_response r;
	CHECK_INT(test_session_get(srv.port, sid, "/halls/T-H1/responses.csv", &r), 0);
	CHECK_INT(r.status, 200);
	/* the comment field, before the answers' JSON: defused; the rating on its row stays a number */
	static const char *const want[] = {",'=1+2,\"{", ",'-1+2,\"{", ",'@SUM(A1),\"{", ",'＋1,\"{"};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		const char *hit = strstr(r.body, want[i]);
		CHECK_CONTAINS(r.body, want[i]);
		const char *line = hit;
		while (line && line > r.body && line[-1] != '\n')
			line--;
		char row[512] = "";
		if (line)
			snprintf(row, sizeof row, "%.*s", (int)strcspn(line, "\r\n"), line);
		CHECK_CONTAINS(row, ",T-H1,");
		CHECK_CONTAINS(row, ",4,");
	}
	CHECK(strstr(r.body, ",=1+2") == NULL);
	CHECK(strstr(r.body, ",-1+2") == NULL);
	test_response_free(&r);
	CHECK_INT(test_server_stop(&srv), 0);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_security"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[4096];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	test_rollout_doctype();
	test_cookie_flags();
	test_csv_formula();
	return check_finish("test_security");
}
