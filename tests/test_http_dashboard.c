/* test_http_dashboard.c — the dashboard, unit and hall pages against the real server:
 * pages per role and scope (a station login sees its own station only, the unit
 * selector refuses others), drill-down links one level down carrying the filter,
 * breadcrumbs, the filter in the URL (period, range, verified-only, coverage day),
 * bad filter values (400 with the message beside the field, never a 500), the charts
 * (inline SVG with a text alternative) and every CSV link on the pages answering, the
 * privacy minimum on comments and on the heatmap, and headings in order. */
#include "server.h"
#include "check.h"

#include "db.h"
#include "meter.h"
#include "meter_bulk.h"
#include "survey.h"
#include "survey_bulk.h"
#include "util.h"

static char dir[512], db[600];
static struct test_server srv;
static char sid_mgr[128], sid_st[128];

static int login(const char *user, const char *password, char *sid, size_t sidlen)
{
	return test_login(srv.port, user, password, sid, sidlen);
}

static int get(const char *sid, const char *path, struct test_response *r)
{
	return test_session_get(srv.port, sid, path, r);
}

/* Responses stored straight into the database: 60 at T-H2 over the last 60 days
 * (ratings cycling 5,5,4,2,5 — two in five satisfied... every fifth a comment that needs
 * escaping), 3 at T-H1 with a comment that must never be shown (under the minimum). */
static void seed(void)
{
	struct db *d = NULL;
	char err[256];
	CHECK_INT(db_open(db, 0, &d, err, sizeof err), GS_OK);
	if (!d)
		return;
	struct survey_settings set;
	CHECK_INT(survey_settings_load(d, &set), GS_OK);
	int64_t form = 0;
	CHECK_INT(survey_form_register(d, "test-form", "1", "<x/>", 4, &form), GS_OK);
	struct org_hall h1, h2;
	CHECK_INT(org_hall_get(d, "T-H1", &h1), GS_OK);
	CHECK_INT(org_hall_get(d, "T-H2", &h2), GS_OK);
	int64_t now = util_now();
	static const int ratings[5] = {5, 5, 4, 2, 5};
	for (int i = 0; i < 60; i++) {
		char inst[32];
		snprintf(inst, sizeof inst, "d-%d", i);
		struct survey_submission s = {.hall_id = h2.id,
					      .form_row = form,
					      .submitted_at = now - 3600 - (int64_t)i * 86400 - (i % 4) * 3600,
					      .rating = ratings[i % 5],
					      .satisfied = ratings[i % 5] >= 4,
					      .answers_json = "{}",
					      .comment = i % 5 == 3 ? "<b>slow</b> & rude" : NULL,
					      .instance = inst,
					      .duration_s = 60};
		struct survey_stored st;
		CHECK_INT(survey_store(d, &set, &s, &st), GS_OK);
	}
	for (int i = 0; i < 3; i++) {
		char inst[32];
		snprintf(inst, sizeof inst, "p-%d", i);
		struct survey_submission s = {.hall_id = h1.id,
					      .form_row = form,
					      .submitted_at = now - 7200 - (int64_t)i * 86400,
					      .rating = 1,
					      .satisfied = 0,
					      .answers_json = "{}",
					      .comment = "private-comment-under-minimum",
					      .instance = inst,
					      .duration_s = 60};
		struct survey_stored st;
		CHECK_INT(survey_store(d, &set, &s, &st), GS_OK);
	}
	CHECK_INT(survey_fold(d, NULL), GS_OK);
	org_hall_clear(&h1);
	org_hall_clear(&h2);
	db_close(d);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_http_dashboard"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[8192], logpath[700];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run("manager-password-1\n", out, sizeof out, "--db", db, "user", "add", "mgr", "--role",
			   "manager", NULL),
		  0);
	CHECK_INT(test_run("station-password-1\n", out, sizeof out, "--db", db, "user", "add", "st1", "--role",
			   "station", "--unit", "T-S1", NULL),
		  0);
	seed();
	snprintf(logpath, sizeof logpath, "%s/server.log", dir);
	CHECK_INT(test_server_start(&srv, db, logpath), 0);
	CHECK_INT(login("mgr", "manager-password-1", sid_mgr, sizeof sid_mgr), 0);
	CHECK_INT(login("st1", "station-password-1", sid_st, sizeof sid_st), 0);
}

/* Headings never skip a level going down, and the page has exactly one h1. */
static int headings_in_order(const char *html)
{
	int last = 0, h1 = 0;
	for (const char *p = html; (p = strstr(p, "<h")); p++) {
		int lv = p[2] - '0';
		if (lv < 1 || lv > 6 || (p[3] != '>' && p[3] != ' '))
			continue;
		if (lv > last + 1)
			return 0;
		h1 += lv == 1;
		last = lv;
	}
	return h1 == 1;
}

/* Every <input> and <select> with an id has a <label for=...>; radios sit inside a label. */
static int inputs_labelled(const char *html)
{
	static const char *const tags[] = {"<input id=\"", "<select id=\""};
	for (size_t t = 0; t < 2; t++) {
		for (const char *p = html; (p = strstr(p, tags[t])); p++) {
			const char *q = p + strlen(tags[t]);
			char id[64], lab[96];
			size_t n = strcspn(q, "\"");
			if (n >= sizeof id)
				return 0;
			memcpy(id, q, n);
			id[n] = '\0';
			snprintf(lab, sizeof lab, "<label for=\"%s\"", id);
			if (!strstr(html, lab))
				return 0;
		}
	}
	return 1;
}

/* GETs every href ending in .csv (or with .csv?) on the page; all must answer 200 text/csv. */
static int csv_links_ok(const char *sid, const char *html, int *count)
{
	*count = 0;
	for (const char *p = html; (p = strstr(p, "href=\"")); p++) {
		const char *q = p + 6;
		size_t n = strcspn(q, "\"");
		char href[1024], path[1024];
		if (n >= sizeof href)
			continue;
		memcpy(href, q, n);
		href[n] = '\0';
		if (!strstr(href, ".csv"))
			continue;
		/* undo the HTML escaping of & */
		size_t k = 0;
		for (const char *s = href; *s && k + 1 < sizeof path; s++) {
			if (strncmp(s, "&amp;", 5) == 0) {
				path[k++] = '&';
				s += 4;
			} else {
				path[k++] = *s;
			}
		}
		path[k] = '\0';
		struct test_response r;
		if (get(sid, path, &r) != 0)
			return 0;
		char ct[128];
		int ok = r.status == 200 && test_header(&r, "Content-Type", ct, sizeof ct) && strstr(ct, "text/csv");
		if (!ok)
			fprintf(stderr, "CSV link %s: status %d\n", path, r.status);
		test_response_free(&r);
		if (!ok)
			return 0;
		(*count)++;
	}
	return 1;
}

static void test_dashboard_manager(void)
{
	struct test_response r;
	CHECK_INT(get(sid_mgr, "/?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "Test County Power Supply");
	CHECK_CONTAINS(r.body, "<form class=\"filter\" method=\"get\" action=\"/\"");
	CHECK_CONTAINS(r.body, "<label for=\"f-unit\">");
	CHECK_CONTAINS(r.body, "<option value=\"T-S2\">");
	CHECK_CONTAINS(r.body, "Key figures");
	CHECK_CONTAINS(r.body, "href=\"#satisfaction\"");
	CHECK_CONTAINS(r.body, "href=\"/followups\"");
	CHECK_CONTAINS(r.body, "id=\"milestones\"");
	CHECK_CONTAINS(r.body, "Recent rollout imports");
	/* drill-down one level: departments and stations, the filter carried along */
	CHECK_CONTAINS(r.body, "One level down");
	CHECK_CONTAINS(r.body, "<th scope=\"row\"><a href=\"/units/T-S2?from=");
	CHECK_CONTAINS(r.body, "&amp;verified=all");
	/* T-S2 has 60 responses: 48 satisfied (ratings 5,5,4 of each five) */
	CHECK_CONTAINS(r.body, "80.0%");
	/* charts: inline SVG with a text alternative, no script */
	CHECK_CONTAINS(r.body, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
	CHECK_CONTAINS(r.body, "role=\"img\"");
	CHECK_CONTAINS(r.body, "<desc id=\"sat-trend-d\">");
	CHECK(strstr(r.body, "<script") == NULL);
	CHECK(headings_in_order(r.body));
	CHECK(inputs_labelled(r.body));
	int n = 0;
	CHECK(csv_links_ok(sid_mgr, r.body, &n));
	CHECK(n >= 3);
	test_response_free(&r);

	/* the unit selector: another unit's dashboard */
	CHECK_INT(get(sid_mgr, "/?unit=T-S2&lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "<option value=\"T-S2\" selected>");
	CHECK_CONTAINS(r.body, "<h1>Station Two");
	test_response_free(&r);
}

static void test_scope_station(void)
{
	struct test_response r;
	CHECK_INT(get(sid_st, "/?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "Station One");
	CHECK(strstr(r.body, "T-S2") == NULL);
	CHECK(strstr(r.body, "Station Two") == NULL);
	test_response_free(&r);
	/* a unit outside the scope through the selector: the message beside the field */
	CHECK_INT(get(sid_st, "/?unit=T-S2&lang=en", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"f-unit-err\">no such unit in your scope</span>");
	CHECK(strstr(r.body, "Station Two") == NULL);
	test_response_free(&r);
	/* drill-down pages and CSVs of another station: 403 */
	CHECK_INT(get(sid_st, "/units/T-S2", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(get(sid_st, "/halls/T-H2/heatmap.csv", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(get(sid_st, "/units/T-S2/satisfaction-months.csv", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(get(sid_st, "/units/T/coverage-months.csv", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	/* breadcrumbs stop at the station's scope: no link to the company */
	CHECK_INT(get(sid_st, "/halls/T-H1?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a href=\"/units/T-S1\">");
	CHECK(strstr(r.body, "href=\"/units/T\"") == NULL);
	test_response_free(&r);
}

static void test_drill_down(void)
{
	struct test_response r;
	CHECK_INT(get(sid_mgr, "/units/T-S2?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	/* breadcrumbs: the company, then this station */
	CHECK_CONTAINS(r.body, "<ol><li><a href=\"/units/T\">Test County Power Supply</a></li><li aria-current=\"page\">");
	CHECK_CONTAINS(r.body, "Teams and service halls");
	CHECK_CONTAINS(r.body, "<th scope=\"row\"><a href=\"/halls/T-H2?");
	CHECK(headings_in_order(r.body));
	int n = 0;
	CHECK(csv_links_ok(sid_mgr, r.body, &n));
	CHECK(n >= 3);
	test_response_free(&r);

	CHECK_INT(get(sid_mgr, "/halls/T-H2?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "<li><a href=\"/units/T-S2\">");
	CHECK_CONTAINS(r.body, "href=\"/halls/T-H2/poster\"");
	CHECK_CONTAINS(r.body, "Responses by weekday and hour");
	CHECK_CONTAINS(r.body, "id=\"fig-hall-heatmap\"");
	CHECK_CONTAINS(r.body, "/halls/T-H2/heatmap.csv?");
	/* comments are shown (60 responses) and escaped */
	CHECK_CONTAINS(r.body, "&lt;b&gt;slow&lt;/b&gt; &amp; rude");
	CHECK(strstr(r.body, "<b>slow</b>") == NULL);
	CHECK_CONTAINS(r.body, "Open follow-ups");
	CHECK(headings_in_order(r.body));
	CHECK(inputs_labelled(r.body));
	CHECK(csv_links_ok(sid_mgr, r.body, &n));
	CHECK(n >= 3);
	test_response_free(&r);

	/* under the privacy minimum: no comment, no heatmap */
	CHECK_INT(get(sid_mgr, "/halls/T-H1?lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK(strstr(r.body, "private-comment-under-minimum") == NULL);
	CHECK(strstr(r.body, "fig-hall-heatmap") == NULL);
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/halls/T-H1/heatmap.csv", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "weekday,hour,responses\r\n1,0,\r\n");
	test_response_free(&r);
}

static void test_filters(void)
{
	struct test_response r;
	/* the URL holds the state: the form shows it, links carry it */
	CHECK_INT(get(sid_mgr, "/units/T?from=2025-01-01&to=2025-03-31&verified=only&lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "id=\"f-from\" name=\"from\" type=\"date\" value=\"2025-01-01\"");
	CHECK_CONTAINS(r.body, "id=\"f-to\" name=\"to\" type=\"date\" value=\"2025-03-31\"");
	CHECK_CONTAINS(r.body, "value=\"only\" checked");
	CHECK_CONTAINS(r.body, "Satisfaction period 2025-01-01 – 2025-03-31");
	CHECK_CONTAINS(r.body, "?from=2025-01-01&amp;to=2025-03-31&amp;verified=only");
	test_response_free(&r);
	/* a period wins over from/to */
	CHECK_INT(get(sid_mgr, "/units/T?period=2025Q2&lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "value=\"2025Q2\"");
	CHECK_CONTAINS(r.body, "2025-04-01 – 2025-06-30");
	CHECK_CONTAINS(r.body, "?period=2025Q2&amp;verified=all");
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/halls/T-H2?period=2024-02&lang=en", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "2024-02-01 – 2024-02-29");
	test_response_free(&r);
	/* bad values: 400, the page with defaults, each message beside its field */
	CHECK_INT(get(sid_mgr, "/units/T?from=2025-02-30&to=nope&verified=maybe&period=2026Q5&at=x&lang=en", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"f-from\" name=\"from\" type=\"date\" value=\"");
	CHECK_CONTAINS(r.body, "aria-invalid=\"true\" aria-describedby=\"f-from-err\"");
	CHECK_CONTAINS(r.body, "id=\"f-from-err\">enter a date YYYY-MM-DD</span>");
	CHECK_CONTAINS(r.body, "id=\"f-to-err\">enter a date YYYY-MM-DD</span>");
	CHECK_CONTAINS(r.body, "id=\"f-period-err\">enter a year (2026), a quarter (2026Q3) or a month (2026-03)</span>");
	CHECK_CONTAINS(r.body, "id=\"f-at-err\">");
	CHECK_CONTAINS(r.body, "choose all or verified only");
	CHECK_CONTAINS(r.body, "class=\"satisfaction\""); /* the page still renders */
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/units/T?from=2025-06-01&to=2025-01-01&lang=en", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "this date is after the end date");
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/halls/T-H2?from=2020-13-01", &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
	/* CSVs are strict: a bad filter is a 400 naming the field */
	CHECK_INT(get(sid_mgr, "/units/T/satisfaction-months.csv?from=2025-02-30", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "from");
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/halls/T-H2/heatmap.csv?verified=maybe&lang=en", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "verified");
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/units/T/coverage-months.csv?at=2025-99-01", &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/units/NOPE/satisfaction-months.csv", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
}

static void test_csv_content(void)
{
	struct test_response r;
	CHECK_INT(get(sid_mgr, "/units/T-S2/satisfaction-months.csv", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "month,responses,satisfied,rate,ci_low,ci_high\r\n");
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/halls/T-H2/heatmap.csv", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "weekday,hour,responses\r\n");
	/* 7 × 24 rows and the header */
	int lines = 0;
	for (const char *p = r.body; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	CHECK_INT(lines, 1 + 7 * 24);
	test_response_free(&r);
	CHECK_INT(get(sid_mgr, "/units/T/coverage-stations.csv", &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "station,name,at,metering_points,smart,rate,projected,target,late\r\n");
	test_response_free(&r);
}

/* survey_bulk_units_range equals survey_stats_get for every unit, also after responses
 * arrive on a day the in-memory copy has and on one it has not, and after the unit
 * rows are rebuilt. */
static void units_range_equal(struct db *d, const struct survey_settings *set, const char *from, const char *to, int vo)
{
	struct org_unit *u = NULL;
	size_t n = 0;
	CHECK_INT(org_units_list(d, 0, &u, &n), GS_OK);
	int64_t *ids = calloc(n + 1, sizeof *ids);
	struct survey_bulk_count *c = calloc(n + 1, sizeof *c);
	for (size_t i = 0; i < n; i++)
		ids[i] = u[i].id;
	CHECK_INT(survey_bulk_units_range(d, ids, n, from, to, vo, c), GS_OK);
	for (size_t i = 0; i < n; i++) {
		struct survey_scope sc = {.unit_id = u[i].id};
		struct survey_stats s;
		CHECK_INT(survey_stats_get(d, set, &sc, from, to, vo, 0, &s), GS_OK);
		CHECK_INT(c[i].unit_id, u[i].id);
		CHECK_INT(c[i].responses, s.responses);
		CHECK_INT(c[i].satisfied, s.satisfied);
		survey_stats_clear(&s);
	}
	free(ids);
	free(c);
	org_units_free(u, n);
}

static void store_timed(struct db *d, const struct survey_settings *set, int64_t hall, int64_t at, int rating,
			const char *inst, int duration, int flagged)
{
	int64_t form = 0;
	CHECK_INT(survey_form_register(d, "test-form", "1", "<x/>", 4, &form), GS_OK);
	struct survey_submission s = {.hall_id = hall,
				      .form_row = form,
				      .submitted_at = at,
				      .rating = rating,
				      .satisfied = rating >= 4,
				      .answers_json = "{}",
				      .instance = inst,
				      .duration_s = duration};
	struct survey_stored st;
	CHECK_INT(survey_store(d, set, &s, &st), GS_OK);
	if (flagged >= 0) /* -1: either */
		CHECK_INT(st.flags != 0, flagged);
}

static void store_one(struct db *d, const struct survey_settings *set, int64_t hall, int64_t at, int rating,
		      const char *inst)
{
	store_timed(d, set, hall, at, rating, inst, 60, -1);
}

static void test_bulk_readers(void)
{
	struct db *d = NULL;
	char err[256], today[11], from[11], old[11];
	CHECK_INT(db_open(db, 0, &d, err, sizeof err), GS_OK);
	if (!d)
		return;
	struct survey_settings set;
	CHECK_INT(survey_settings_load(d, &set), GS_OK);
	int64_t now = util_now();
	survey_local_time(now, today, NULL, NULL);
	survey_day_string(survey_day_number(today) - 364, from);
	survey_day_string(survey_day_number(today) - 20, old);
	survey_bulk_cache_clear();
	units_range_equal(d, &set, from, today, 0);
	units_range_equal(d, &set, from, today, 1);
	units_range_equal(d, &set, old, today, 0);
	units_range_equal(d, &set, today, today, 0);
	/* new responses: on days the copy holds (read again) and long before them (loaded again) */
	struct org_hall h2;
	CHECK_INT(org_hall_get(d, "T-H2", &h2), GS_OK);
	store_one(d, &set, h2.id, now - 5 * 86400, 5, "bulk-1");
	store_one(d, &set, h2.id, now - 5 * 86400, 1, "bulk-2");
	units_range_equal(d, &set, from, today, 0);
	units_range_equal(d, &set, old, today, 0);
	store_one(d, &set, h2.id, now - 300 * 86400, 4, "bulk-3");
	units_range_equal(d, &set, from, today, 0);
	CHECK_INT(survey_aggregates_rebuild(d, 0, NULL), GS_OK);
	units_range_equal(d, &set, from, today, 0);
	/* days after the copy's last one: first a day of flagged responses only (the copy
	 * widens, nothing counted), then a counted one two days later */
	char later[11];
	survey_day_string(survey_day_number(today) + 3, later);
	units_range_equal(d, &set, from, later, 0);
	store_timed(d, &set, h2.id, now + 86400, 5, "bulk-4", 1, 1);
	units_range_equal(d, &set, from, later, 0);
	units_range_equal(d, &set, today, later, 1);
	store_timed(d, &set, h2.id, now + 3 * 86400, 2, "bulk-5", 60, 0);
	units_range_equal(d, &set, from, later, 0);
	units_range_equal(d, &set, later, later, 0);
	/* bad ranges are refused */
	int64_t one = h2.station_id;
	struct survey_bulk_count c;
	CHECK_INT(survey_bulk_units_range(d, &one, 1, today, from, 0, &c), GS_ERR_INVALID);
	CHECK_INT(survey_bulk_units_range(d, &one, 1, "2026-02-30", today, 0, &c), GS_ERR_INVALID);
	CHECK_INT(c.unit_id, one);
	CHECK_INT(c.responses, 0);

	/* the heatmap from the hourly rows equals the raw responses' weekday and hour */
	int64_t heat[8][24], raw[8][24], total = 0, raw_total = 0;
	CHECK_INT(survey_bulk_hall_heatmap(d, h2.id, from, today, heat, &total), GS_OK);
	memset(raw, 0, sizeof raw);
	sqlite3_stmt *st = db_stmt(d, "SELECT submitted_at FROM survey_responses WHERE hall_id = ?1 AND flags = 0 "
				      "AND day BETWEEN ?2 AND ?3");
	sqlite3_bind_int64(st, 1, h2.id);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, today, -1, SQLITE_STATIC);
	while (db_step_row(d, st) == 1) {
		char day[11];
		int hour = 0, wd = 0;
		survey_local_time(sqlite3_column_int64(st, 0), day, &hour, &wd);
		raw[wd][hour]++;
		raw_total++;
	}
	sqlite3_reset(st);
	CHECK(total > 60);
	CHECK_INT(total, raw_total);
	CHECK(memcmp(heat, raw, sizeof heat) == 0);
	CHECK_INT(survey_bulk_hall_heatmap(d, h2.id, today, from, heat, &total), GS_ERR_INVALID);
	org_hall_clear(&h2);

	/* meter_bulk_stations and meter_bulk_coverage_months equal meter_stations and
	 * meter_coverage_months, for everything, the company and a station, on days before,
	 * between and after the imported events */
	char out[8192];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "tests/data/import/s1-good.xml",
			   "tests/data/import/s2-good.xml", "tests/data/import/s1-more.xml", NULL),
		  0);
	struct org_unit co, s1;
	CHECK_INT(org_unit_get(d, "T", &co), GS_OK);
	CHECK_INT(org_unit_get(d, "T-S1", &s1), GS_OK);
	int64_t scopes[3] = {0, co.id, s1.id};
	const char *days[4] = {"2025-12-31", "2026-02-20", "2026-03-10", today};
	for (int k = 0; k < 12; k++) {
		struct meter_coverage *ma = NULL, *mb = NULL;
		size_t nma = 0, nmb = 0;
		CHECK_INT(meter_coverage_months(d, scopes[k % 3], "2025-10", "2026-09", days[k / 3], &ma, &nma), GS_OK);
		CHECK_INT(meter_bulk_coverage_months(d, scopes[k % 3], "2025-10", "2026-09", days[k / 3], &mb, &nmb),
			  GS_OK);
		CHECK_INT(nmb, nma);
		CHECK_INT(nma, 12);
		for (size_t i = 0; i < nma && i < nmb; i++) {
			CHECK_STR(mb[i].day, ma[i].day);
			CHECK_INT(mb[i].points, ma[i].points);
			CHECK_INT(mb[i].smart, ma[i].smart);
			CHECK(mb[i].rate == ma[i].rate);
		}
		if (k == 4) /* the company in March: the imports count */
			CHECK(ma[5].points > 0 && ma[5].smart > 0);
		free(ma);
		free(mb);
	}
	struct meter_coverage *mx = NULL;
	size_t nmx = 0;
	CHECK_INT(meter_bulk_coverage_months(d, co.id, "2026-09", "2026-01", today, &mx, &nmx), GS_ERR_INVALID);
	CHECK_INT(meter_bulk_coverage_months(d, co.id, "2026-13", "2026-01", today, &mx, &nmx), GS_ERR_INVALID);
	CHECK_INT(meter_bulk_coverage_months(d, co.id, "2026-01", "2130-01", today, &mx, &nmx), GS_ERR_TOO_LARGE);
	CHECK_INT(meter_bulk_coverage_months(d, 999999, "2026-01", "2026-02", today, &mx, &nmx), GS_ERR_NOT_FOUND);
	CHECK(mx == NULL);
	for (int k = 0; k < 12; k++) {
		struct meter_station_coverage *a = NULL, *b = NULL;
		size_t na = 0, nb = 0;
		CHECK_INT(meter_stations(d, scopes[k % 3], days[k / 3], &a, &na), GS_OK);
		CHECK_INT(meter_bulk_stations(d, scopes[k % 3], days[k / 3], &b, &nb), GS_OK);
		CHECK_INT(nb, na);
		CHECK(na >= 1);
		for (size_t i = 0; i < na && i < nb; i++) {
			CHECK_STR(b[i].code, a[i].code);
			CHECK_STR(b[i].name, a[i].name);
			CHECK_INT(b[i].cov.points, a[i].cov.points);
			CHECK_INT(b[i].cov.smart, a[i].cov.smart);
			CHECK(b[i].cov.rate == a[i].cov.rate);
			CHECK_STR(b[i].proj.target, a[i].proj.target);
			CHECK_STR(b[i].proj.projected, a[i].proj.projected);
			CHECK(b[i].proj.per_day == a[i].proj.per_day);
			CHECK_INT(b[i].proj.late, a[i].proj.late);
		}
		meter_stations_free(a, na);
		meter_stations_free(b, nb);
	}
	struct meter_station_coverage *x = NULL;
	size_t nx = 0;
	CHECK_INT(meter_bulk_stations(d, 999999, today, &x, &nx), GS_ERR_NOT_FOUND);
	CHECK_INT(meter_bulk_stations(d, co.id, "2026-13-01", &x, &nx), GS_ERR_INVALID);
	CHECK(x == NULL);
	org_unit_clear(&co);
	org_unit_clear(&s1);
	survey_bulk_cache_clear();
	db_close(d);
}

int main(void)
{
	setup();
	test_dashboard_manager();
	test_scope_station();
	test_drill_down();
	test_filters();
	test_csv_content();
	test_bulk_readers();
	CHECK_INT(test_server_stop(&srv), 0);
	return check_finish("test_http_dashboard");
}
