/* test_http_scores.c — unit scores over HTTP against the real binary: the catalog
 * loaded with `gridscore indicators load` (a rejected file exits 1 with its line),
 * manual entry by the evaluating department (a non-number and an out-of-range value
 * refused beside the field, another department refused), deductions (bad points, a
 * station refused), the /api/v1/scores JSON exactly as the contract says and scoped to a
 * station, the league table, the printable report and its CSV, closing (a closed period
 * refuses entries; a manager cannot reopen, an admin needs a reason), CSRF, a bad
 * period, the `report` and `period` verbs, and the dashboard's league table (the
 * current quarter's scores equal to the API's, a station seeing its own). */
#include "server.h"
#include "check.h"

#include <jansson.h>
#include <math.h>
#include <time.h>

static char dir[512], db[600];
static struct test_server srv;

static void user(const char *login, const char *role, const char *unit)
{
	char out[4096], pw[64];
	snprintf(pw, sizeof pw, "%s-password-1\n", login);
	if (unit)
		CHECK_INT(test_run(pw, out, sizeof out, "--db", db, "user", "add", login, "--role", role, "--unit", unit, NULL),
			  0);
	else
		CHECK_INT(test_run(pw, out, sizeof out, "--db", db, "user", "add", login, "--role", role, NULL), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_http_scores"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[8192];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "src/demo/county-org.xml", NULL), 0);
	/* a rejected catalog: exit 1, file and line on stderr, nothing loaded */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "indicators", "load", "tests/data/indicators/weights.xml", NULL),
		  1);
	CHECK_CONTAINS(out, "weights.xml:");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "indicators", "load", "src/demo/indicators.xml", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "indicators", "load", NULL), 2);
	user("adm", "admin", NULL);
	user("mgr", "manager", NULL);
	user("mkt", "manager", "QH-MKT");
	user("off", "manager", "QH-OFF");
	user("st1", "station", "QH-S01");
	user("st2", "station", "QH-S02");
	char logpath[700];
	snprintf(logpath, sizeof logpath, "%s/server.log", dir);
	CHECK_INT(test_server_start(&srv, db, logpath), 0);
}

/* Every test login's password is LOGIN-password-1. */
static int login(const char *who, char *sid, size_t sidlen)
{
	char password[128];
	snprintf(password, sizeof password, "%s-password-1", who);
	return test_login(srv.port, who, password, sid, sidlen);
}

static int get(const char *sid, const char *path, struct test_response *r)
{
	return test_session_get(srv.port, sid, path, r);
}

/* POSTs a form with the CSRF token of page `from` (NULL: no token). */
static int post(const char *sid, const char *from, const char *path, const char *fields, struct test_response *r)
{
	char csrf[128] = "", body[2048];
	struct test_response p;
	if (from) {
		if (get(sid, from, &p) != 0)
			return -1;
		test_form_value(p.body, "_csrf", csrf, sizeof csrf);
		test_response_free(&p);
	}
	snprintf(body, sizeof body, "_csrf=%s&%s", csrf, fields);
	return test_session_post(srv.port, sid, path, body, r);
}

#define MANUAL "/scores/manual?period=2026Q2"
#define ADJ "/scores/adjustments?period=2026Q2"

static void test_manual(void)
{
	char mkt[128], off[128];
	CHECK_INT(login("mkt", mkt, sizeof mkt), 0);
	CHECK_INT(login("off", off, sizeof off), 0);
	struct test_response r;
	CHECK_INT(get(mkt, MANUAL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "value=\"service-quality-inspection\"");
	test_response_free(&r);
	/* not a number: refused beside the value field */
	CHECK_INT(post(mkt, MANUAL, "/scores/manual",
		       "period=2026Q2&indicator=service-quality-inspection&unit=QH-S01&value=abc", &r),
		  0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "id=\"value-error\"");
	CHECK_CONTAINS(r.body, "请输入数字");
	test_response_free(&r);
	/* out of min-actual..max-actual */
	CHECK_INT(post(mkt, MANUAL, "/scores/manual",
		       "period=2026Q2&indicator=service-quality-inspection&unit=QH-S01&value=150", &r),
		  0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "id=\"value-error\"");
	CHECK_CONTAINS(r.body, "outside 0..100");
	CHECK_CONTAINS(r.body, "value=\"150\""); /* echoed for correction */
	test_response_free(&r);
	/* a unit the indicator does not apply to */
	CHECK_INT(post(mkt, MANUAL, "/scores/manual",
		       "period=2026Q2&indicator=service-quality-inspection&unit=QH-HR&value=90", &r),
		  0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "does not apply");
	test_response_free(&r);
	/* another department: refused with who may */
	CHECK_INT(post(off, "/scores/manual?period=2026Q2", "/scores/manual",
		       "period=2026Q2&indicator=service-quality-inspection&unit=QH-S01&value=96", &r),
		  0);
	CHECK_INT(r.status, 403);
	CHECK_CONTAINS(r.body, "only the evaluating department QH-MKT");
	test_response_free(&r);
	const char *units[] = {"QH-S01", "QH-S02", "QH-S03"}, *vals[] = {"96", "90", "90"};
	for (int i = 0; i < 3; i++) {
		char f[256];
		snprintf(f, sizeof f, "period=2026Q2&indicator=service-quality-inspection&unit=%s&value=%s", units[i], vals[i]);
		CHECK_INT(post(mkt, MANUAL, "/scores/manual", f, &r), 0);
		CHECK_INT(r.status, 303);
		test_response_free(&r);
	}
	/* direct scores by the office: everyone the same */
	for (int i = 0; i < 3; i++) {
		char f[256];
		snprintf(f, sizeof f, "period=2026Q2&indicator=party-building&unit=%s&value=90", units[i]);
		CHECK_INT(post(off, "/scores/manual?period=2026Q2", "/scores/manual", f, &r), 0);
		CHECK_INT(r.status, 303);
		test_response_free(&r);
	}
	CHECK_INT(get(mkt, MANUAL, &r), 0);
	CHECK_CONTAINS(r.body, "QH-S03");
	test_response_free(&r);
	/* without the CSRF token */
	CHECK_INT(post(mkt, NULL, "/scores/manual",
		       "period=2026Q2&indicator=service-quality-inspection&unit=QH-S01&value=96", &r),
		  0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
}

static void test_adjustments(void)
{
	char mkt[128], st1[128];
	CHECK_INT(login("mkt", mkt, sizeof mkt), 0);
	CHECK_INT(login("st1", st1, sizeof st1), 0);
	struct test_response r;
	CHECK_INT(post(mkt, ADJ, "/scores/adjustments",
		       "period=2026Q2&unit=QH-S01&kind=deduction&points=0&source=supervision&reason=x", &r),
		  0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "id=\"points-error\"");
	test_response_free(&r);
	CHECK_INT(post(mkt, ADJ, "/scores/adjustments",
		       "period=2026Q2&unit=QH-S01&kind=deduction&points=5&source=supervision&reason=", &r),
		  0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "id=\"reason-error\"");
	test_response_free(&r);
	CHECK_INT(post(mkt, ADJ, "/scores/adjustments",
		       "period=2026Q2&unit=QH-S01&kind=deduction&points=5&source=nowhere&reason=x", &r),
		  0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "id=\"source-error\"");
	test_response_free(&r);
	CHECK_INT(post(st1, ADJ, "/scores/adjustments",
		       "period=2026Q2&unit=QH-S01&kind=bonus&points=5&source=other&reason=self", &r),
		  0);
	CHECK_INT(r.status, 403);
	CHECK_CONTAINS(r.body, "administrators and departments");
	test_response_free(&r);
	CHECK_INT(post(mkt, ADJ, "/scores/adjustments",
		       "period=2026Q2&unit=QH-S01&kind=deduction&points=5&source=supervision&reason=complaint+upheld", &r),
		  0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	/* a proposal, then confirmed from the list */
	CHECK_INT(post(mkt, ADJ, "/scores/adjustments",
		       "period=2026Q2&unit=QH-S02&kind=bonus&points=2&source=other&reason=praise&propose=1", &r),
		  0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(get(mkt, ADJ, &r), 0);
	CHECK_CONTAINS(r.body, "/decide");
	test_response_free(&r);
	CHECK_INT(post(mkt, ADJ, "/scores/adjustments/2/decide", "decision=confirm&period=2026Q2", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(post(mkt, ADJ, "/scores/adjustments/2/decide", "decision=confirm&period=2026Q2", &r), 0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "confirmed already");
	test_response_free(&r);
}

/* The unit object of the API array, or NULL. */
static json_t *api_unit(json_t *arr, const char *code)
{
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o) if (strcmp(json_string_value(json_object_get(o, "unit")), code) == 0) return o;
	return NULL;
}

static void test_api_and_pages(void)
{
	char mgr[128], st1[128];
	CHECK_INT(login("mgr", mgr, sizeof mgr), 0);
	CHECK_INT(login("st1", st1, sizeof st1), 0);
	struct test_response r;
	CHECK_INT(get(mgr, "/api/v1/scores?period=2026Q2", &r), 0);
	CHECK_INT(r.status, 200);
	json_t *arr = json_loads(r.body, 0, NULL);
	CHECK(json_is_array(arr));
	json_t *s01 = api_unit(arr, "QH-S01");
	CHECK(s01 != NULL);
	if (s01) {
		CHECK_INT(json_object_size(s01), 3);
		/* no survey or meter data here: (25 × 101 + 15 × 90) / 40 − 5 */
		CHECK(fabs(json_number_value(json_object_get(s01, "score")) - ((25 * 101 + 15 * 90) / 40.0 - 5)) < 0.006);
		json_t *inds = json_object_get(s01, "indicators"), *e;
		size_t i;
		int seen = 0;
		json_array_foreach(inds, i, e)
		{
			CHECK_INT(json_object_size(e), 4);
			const char *code = json_string_value(json_object_get(e, "code"));
			CHECK(json_object_get(e, "actual") && json_object_get(e, "score") && json_object_get(e, "weight"));
			if (strcmp(code, "customer-evaluation") == 0 || strcmp(code, "smart-meter-coverage") == 0) {
				seen++;
				CHECK(json_is_null(json_object_get(e, "actual")));
			}
			if (strcmp(code, "service-quality-inspection") == 0) {
				CHECK(fabs(json_number_value(json_object_get(e, "actual")) - 96) < 1e-9);
				CHECK(fabs(json_number_value(json_object_get(e, "score")) - 101) < 1e-9);
				CHECK(fabs(json_number_value(json_object_get(e, "weight")) - 25) < 1e-9);
			}
		}
		CHECK_INT(seen, 2);
	}
	/* QH-S02 got a bonus of 2 once confirmed: (25 × 90 + 15 × 90) / 40 + 2 */
	json_t *s02 = api_unit(arr, "QH-S02");
	CHECK(s02 && fabs(json_number_value(json_object_get(s02, "score")) - 92) < 1e-9);
	json_decref(arr);
	test_response_free(&r);
	/* a station sees its own station (and teams) only */
	CHECK_INT(get(st1, "/api/v1/scores?period=2026Q2", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "\"QH-S01\"");
	CHECK(!strstr(r.body, "\"QH-S02\"") && !strstr(r.body, "\"unit\":\"QH\""));
	test_response_free(&r);
	CHECK_INT(get(mgr, "/api/v1/scores?period=2026Q9", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "\"error\"");
	test_response_free(&r);
	/* pages */
	CHECK_INT(get(mgr, "/scores?period=2026Q2", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "/reports/2026Q2.html");
	CHECK_CONTAINS(r.body, "考评差异化不足"); /* the office gave everyone 90 */
	/* breakdown notes in the page's language (no meters here) */
	CHECK_CONTAINS(r.body, "2026-06-30 没有在运计量点");
	CHECK(strstr(r.body, "no metering points in service") == NULL);
	CHECK_CONTAINS(r.body, "/periods/2026Q2/close");
	test_response_free(&r);
	CHECK_INT(get(st1, "/scores?period=2026Q2", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK(!strstr(r.body, "id=\"u-QH-S02\"") && strstr(r.body, "id=\"u-QH-S01\""));
	CHECK(!strstr(r.body, "/periods/2026Q2/close"));
	test_response_free(&r);
	CHECK_INT(get(mgr, "/reports/2026Q2.html", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "/static/report.css");
	CHECK_CONTAINS(r.body, "绩效考核报告");
	CHECK_CONTAINS(r.body, "领导人员得分");
	test_response_free(&r);
	CHECK_INT(get(mgr, "/static/report.css", &r), 0);
	CHECK_CONTAINS(r.body, "@page");
	test_response_free(&r);
	CHECK_INT(get(mgr, "/reports/2026Q2.csv", &r), 0);
	CHECK_INT(r.status, 200);
	char ct[128];
	CHECK_CONTAINS(test_header(&r, "Content-Type", ct, sizeof ct), "text/csv");
	CHECK(strncmp(r.body, "period,unit,name,kind", 21) == 0);
	CHECK_CONTAINS(r.body, "2026Q2,QH-S01,");
	test_response_free(&r);
	CHECK_INT(get(mgr, "/reports/nonsense.csv", &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
}

/* The quarter of now in Asia/Shanghai (UTC+8, no daylight saving), as the server computes it. */
static void current_quarter(char out[16])
{
	time_t t = time(NULL) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 16, "%04dQ%d", (tm.tm_year + 1900) % 10000, tm.tm_mon / 3 % 4 + 1);
}

/* The dashboard's league table: the current quarter's scores of the units one level
 * below the caller's scope, each equal to /api/v1/scores; a station sees its own. */
static void test_dashboard_league(void)
{
	char mkt[128], off[128], mgr[128], st1[128], q[16], from[64];
	current_quarter(q);
	snprintf(from, sizeof from, "/scores/manual?period=%s", q);
	CHECK_INT(login("mkt", mkt, sizeof mkt), 0);
	CHECK_INT(login("off", off, sizeof off), 0);
	CHECK_INT(login("mgr", mgr, sizeof mgr), 0);
	CHECK_INT(login("st1", st1, sizeof st1), 0);
	struct test_response r;
	const char *units[] = {"QH-S01", "QH-S02", "QH-S03"}, *vals[] = {"96", "91", "85"}, *pb[] = {"90", "95", "70"};
	for (int i = 0; i < 3; i++) {
		char f[256];
		snprintf(f, sizeof f, "period=%s&indicator=service-quality-inspection&unit=%s&value=%s", q, units[i],
			 vals[i]);
		CHECK_INT(post(mkt, from, "/scores/manual", f, &r), 0);
		CHECK_INT(r.status, 303);
		test_response_free(&r);
		snprintf(f, sizeof f, "period=%s&indicator=party-building&unit=%s&value=%s", q, units[i], pb[i]);
		CHECK_INT(post(off, from, "/scores/manual", f, &r), 0);
		CHECK_INT(r.status, 303);
		test_response_free(&r);
	}
	char path[64];
	snprintf(path, sizeof path, "/api/v1/scores?period=%s", q);
	CHECK_INT(get(mgr, path, &r), 0);
	CHECK_INT(r.status, 200);
	json_t *arr = json_loads(r.body, 0, NULL);
	test_response_free(&r);
	CHECK(json_is_array(arr));
	CHECK_INT(get(mgr, "/", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "<a href=\"/scores\">"); /* the header's navigation */
	CHECK_CONTAINS(r.body, "id=\"scores\"");
	char link[64];
	snprintf(link, sizeof link, "/scores?period=%s", q);
	CHECK_CONTAINS(r.body, link);
	CHECK_CONTAINS(r.body, "href=\"/units/QH-S01\"");
	/* each station's score on the dashboard is the API's, and the best comes first */
	const char *first = NULL;
	double best = -1;
	for (int i = 0; i < 3; i++) {
		json_t *o = api_unit(arr, units[i]);
		CHECK(o && json_is_number(json_object_get(o, "score")));
		if (!o)
			continue;
		double sc = json_number_value(json_object_get(o, "score"));
		char cell[96];
		snprintf(cell, sizeof cell, "data-unit=\"%s\">%.2f</td>", units[i], sc);
		CHECK_CONTAINS(r.body, cell);
		if (sc > best)
			best = sc, first = units[i];
	}
	if (first) {
		char cell[64];
		snprintf(cell, sizeof cell, "data-unit=\"%s\">", first);
		for (int i = 0; i < 3; i++) {
			char other[64];
			snprintf(other, sizeof other, "data-unit=\"%s\">", units[i]);
			if (strstr(r.body, other))
				CHECK(strstr(r.body, cell) <= strstr(r.body, other));
		}
	}
	test_response_free(&r);
	/* English */
	CHECK_INT(get(mgr, "/?lang=en", &r), 0);
	CHECK_CONTAINS(r.body, "Unit scores");
	CHECK_CONTAINS(r.body, ">Scores</a>");
	test_response_free(&r);
	/* a station user: its own station's row, not the others' */
	CHECK_INT(get(st1, "/", &r), 0);
	CHECK_INT(r.status, 200);
	json_t *o = api_unit(arr, "QH-S01");
	if (o) {
		char cell[96];
		snprintf(cell, sizeof cell, "data-unit=\"QH-S01\">%.2f</td>", json_number_value(json_object_get(o, "score")));
		CHECK_CONTAINS(r.body, cell);
	}
	CHECK(!strstr(r.body, "data-unit=\"QH-S02\""));
	test_response_free(&r);
	json_decref(arr);
}

static void test_close(void)
{
	char mgr[128], adm[128], mkt[128];
	CHECK_INT(login("mgr", mgr, sizeof mgr), 0);
	CHECK_INT(login("adm", adm, sizeof adm), 0);
	CHECK_INT(login("mkt", mkt, sizeof mkt), 0);
	struct test_response r;
	CHECK_INT(get(mgr, "/reports/2026Q2.csv", &r), 0);
	char *open_csv = strdup(r.body);
	test_response_free(&r);
	CHECK_INT(post(mgr, "/scores?period=2026Q2", "/periods/2026Q2/close", "x=1", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(post(mgr, "/scores?period=2026Q2", "/periods/2026Q2/close", "x=1", &r), 0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "closed already");
	test_response_free(&r);
	/* closed: entries refused with the reason */
	CHECK_INT(post(mkt, MANUAL, "/scores/manual",
		       "period=2026Q2&indicator=service-quality-inspection&unit=QH-S01&value=80", &r),
		  0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "is closed");
	test_response_free(&r);
	CHECK_INT(get(mgr, "/reports/2026Q2.csv", &r), 0);
	CHECK_STR(r.body, open_csv);
	test_response_free(&r);
	CHECK_INT(get(mgr, "/reports/2026Q2.html", &r), 0);
	CHECK_CONTAINS(r.body, "SHA-256");
	test_response_free(&r);
	/* a manager cannot reopen; an admin needs a reason */
	CHECK_INT(post(mgr, "/scores?period=2026Q2", "/periods/2026Q2/reopen", "reason=oops", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(post(adm, "/scores?period=2026Q2", "/periods/2026Q2/reopen", "reason=", &r), 0);
	CHECK_INT(r.status, 422);
	CHECK_CONTAINS(r.body, "needs a reason");
	test_response_free(&r);
	CHECK_INT(post(adm, "/scores?period=2026Q2", "/periods/2026Q2/reopen", "reason=late+inspection+results", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	free(open_csv);
}

static void test_cli(void)
{
	char *out = malloc(1 << 20);
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "report", "--period", "2026Q2", "--unit", "QH-S01", NULL), 0);
	CHECK(strncmp(out, "period,unit", 11) == 0);
	CHECK(!strstr(out, "QH-S02"));
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "report", "--period", "2026Q2", "--format", "json", NULL), 0);
	CHECK_CONTAINS(out, "\"unit\":\"QH-S01\"");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "report", "--period", "2026Q2", "--format", "html", NULL), 0);
	CHECK_CONTAINS(out, "<style>");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "report", "--format", "pdf", NULL), 2);
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "report", "--period", "2026Q7", NULL), 1);
	CHECK_CONTAINS(out, "2026Q7");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "report", "--unit", "NOPE", NULL), 1);
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "report", "--due", NULL), 0);
	CHECK_CONTAINS(out, "milestones overdue or due within 7 days");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "milestone", "done", "1", "--as", "st2", NULL), 1);
	CHECK_CONTAINS(out, "outside yours");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "milestone", "done", "1", "--as", "st1", NULL), 0);
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "milestone", "done", "1", NULL), 1);
	CHECK_CONTAINS(out, "already marked done");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "milestone", "finish", "1", NULL), 2);
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "period", "close", "2026Q1", "--as", "st1", NULL), 1);
	CHECK_CONTAINS(out, "only administrators and managers");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "period", "close", "2026Q1", "--as", "mgr", NULL), 0);
	CHECK_CONTAINS(out, "snapshot sha256");
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "period", "reopen", "2026Q1", "--as", "adm", NULL), 2);
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "period", "reopen", "2026Q1", "--reason", "x", "--as", "mgr",
			   NULL),
		  1);
	CHECK_INT(test_run(NULL, out, 1 << 20, "--db", db, "period", "reopen", "2026Q1", "--reason", "recount", "--as",
			   "adm", NULL),
		  0);
	free(out);
}

/* The demo catalog's first milestone: QH-S01's coverage milestone (id 1 after one load). */
static void test_milestones(void)
{
	char st[128], other[128], mgr[128];
	CHECK_INT(login("st1", st, sizeof st), 0);
	CHECK_INT(login("st2", other, sizeof other), 0);
	CHECK_INT(login("mgr", mgr, sizeof mgr), 0);
	struct test_response r;
	/* the station sees its own milestones with a button, not the others' */
	CHECK_INT(get(st, "/milestones", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "action=\"/milestones/1/done\"");
	CHECK(strstr(r.body, "QH-S02") == NULL);
	test_response_free(&r);
	/* without the CSRF token: refused */
	CHECK_INT(post(st, NULL, "/milestones/1/done", "done=1", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	/* another unit's login may not mark it */
	CHECK_INT(post(other, "/milestones", "/milestones/1/done", "done=1", &r), 0);
	CHECK_INT(r.status, 403);
	CHECK_CONTAINS(r.body, "outside yours");
	test_response_free(&r);
	/* a bad value and an unknown id */
	CHECK_INT(post(st, "/milestones", "/milestones/1/done", "done=yes", &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
	CHECK_INT(post(st, "/milestones", "/milestones/99999/done", "done=1", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	/* the station marks it done: 303, then it is listed as done and no longer due */
	CHECK_INT(post(st, "/milestones", "/milestones/1/done", "done=1", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(get(st, "/milestones?saved=1", &r), 0);
	CHECK_CONTAINS(r.body, "已完成");
	CHECK_CONTAINS(r.body, "name=\"done\" value=\"0\"");
	test_response_free(&r);
	/* twice: a clear conflict on the page */
	CHECK_INT(post(st, "/milestones", "/milestones/1/done", "done=1", &r), 0);
	CHECK_INT(r.status, 409);
	CHECK_CONTAINS(r.body, "already marked done");
	test_response_free(&r);
	/* a manager may open it again */
	CHECK_INT(post(mgr, "/milestones", "/milestones/1/done", "done=0", &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
}

int main(void)
{
	setup();
	if (srv.port <= 0) {
		fprintf(stderr, "server did not start\n");
		return check_finish("test_http_scores");
	}
	test_dashboard_league();
	test_manual();
	test_adjustments();
	test_api_and_pages();
	test_close();
	test_milestones();
	CHECK_INT(test_server_stop(&srv), 0);
	test_cli();
	return check_finish("test_http_scores");
}
