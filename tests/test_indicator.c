/* test_indicator.c — the indicator catalog loader (demo catalog, every rejection with
 * its line, all-or-nothing, idempotence, retiring), parameter lookup by period,
 * milestones, manual inputs and who may enter them, deductions and bonuses, overdue
 * follow-up proposals, and closing/reopening a period. In-memory databases with the
 * demo county; run from the source folder (ctest does). */
#define _POSIX_C_SOURCE 200809L
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "indicator.h"
#include "org.h"
#include "util.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)
#include <math.h>

#define DEMO_CATALOG "src/demo/indicators.xml"
#define FIX "tests/data/indicators/"

static struct db *open_county(void)
{
	struct db *db = NULL;
	char err[256];
	if (db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "db_open: %s\n", err);
		exit(1);
	}
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	if (org_load_file(db, "src/demo/county-org.xml", rep) != GS_OK) {
		org_report_print(rep, "county-org.xml", stderr);
		exit(1);
	}
	free(rep);
	return db;
}

static long count_rows(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	long n = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

static void exec(struct db *db, const char *sql)
{
	if (sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "exec failed: %s: %s\n", sql, sqlite3_errmsg(db_handle(db)));
		exit(1);
	}
}

/* Loads a fixture that must be rejected; checks that an error names want_line and
 * contains want_text, and that nothing changed. */
static void expect_rejected(struct db *db, const char *file, long want_line, const char *want_text)
{
	struct indicator_load_report *rep = xcalloc(1, sizeof *rep);
	long before = count_rows(db, "SELECT count(*) FROM indicators");
	long loads = count_rows(db, "SELECT count(*) FROM indicator_loads");
	enum gs_result r = indicator_load_file(db, file, rep);
	if (r != GS_ERR_INVALID)
		fprintf(stderr, "%s: result %s\n", file, gs_result_str(r));
	CHECK_INT(r, GS_ERR_INVALID);
	CHECK(rep->n_errors > 0);
	int found = 0;
	for (size_t i = 0; i < rep->n_errors; i++)
		if ((want_line == 0 || rep->errors[i].line == want_line) && strstr(rep->errors[i].message, want_text))
			found = 1;
	if (!found) {
		fprintf(stderr, "%s: expected line %ld with '%s'; got:\n", file, want_line, want_text);
		indicator_report_print(rep, file, stderr);
	}
	CHECK(found);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicators"), before);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicator_loads"), loads);
	free(rep);
}

static void test_demo_catalog(struct db *db)
{
	struct indicator_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(indicator_load_file(db, DEMO_CATALOG, rep), GS_OK);
	if (rep->n_errors)
		indicator_report_print(rep, DEMO_CATALOG, stderr);
	CHECK_INT(rep->created, 6);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicator_milestones"), 5);
	/* the same bytes again: nothing to do */
	CHECK_INT(indicator_load_file(db, DEMO_CATALOG, rep), GS_OK);
	CHECK(rep->already_loaded);
	/* the same content in other bytes: every indicator unchanged */
	char *data = NULL;
	size_t len = 0;
	CHECK_INT(util_read_file(DEMO_CATALOG, INDICATOR_MAX_FILE, &data, &len), GS_OK);
	char *more = xasprintf("%s\n<!-- again -->\n", data);
	CHECK_INT(indicator_load_memory(db, "again.xml", more, strlen(more), rep), GS_OK);
	CHECK_INT(rep->unchanged, 6);
	CHECK_INT(rep->updated + rep->created + rep->retired, 0);
	free(more);
	free(data);
	free(rep);

	struct indicator *list = NULL;
	size_t n = 0;
	CHECK_INT(indicator_list(db, 0, &list, &n), GS_OK);
	CHECK_INT(n, 6);
	if (n == 6) {
		CHECK_STR(list[0].code, "customer-evaluation");
		CHECK_INT(list[0].kind, INDICATOR_CUSTOMER_EVALUATION);
		CHECK_STR(list[0].supervisor, "QH-P02");
		CHECK_STR(list[0].responsible_unit, "QH-MKT");
		CHECK_STR(list[0].responsible_person, "QH-P06");
		CHECK_STR(list[0].handler, "QH-P25");
		CHECK_STR(list[0].evaluator, "QH-MKT");
		CHECK(NEAR(indicator_weight_for(&list[0], "station"), 30));
		CHECK(NEAR(indicator_weight_for(&list[0], "department"), 0));
		CHECK_STR(list[1].code, "smart-meter-coverage");
		CHECK_INT(list[1].kind, INDICATOR_COVERAGE);
		CHECK_STR(list[5].code, "work-safety");
		CHECK_INT(list[5].direction, SCORE_LOWER_BETTER);
	}
	indicator_list_free(list, n);

	/* parameters per period: targets rise from 2026Q3 */
	struct indicator cov;
	CHECK_INT(indicator_get(db, "smart-meter-coverage", &cov), GS_OK);
	struct indicator_params p;
	struct score_period per;
	score_period_parse("2026Q3", &per);
	CHECK_INT(indicator_params_get(db, cov.id, &per, &p), GS_OK);
	CHECK_STR(p.from, "2026Q3");
	CHECK_INT(p.method, INDICATOR_BANDS);
	CHECK(NEAR(p.bands.target, 0.90));
	double s = 0;
	CHECK_INT(indicator_params_score(&p, 0.80, &s), GS_OK); /* 60 + 40 × 0.10/0.20 */
	CHECK(fabs(s - 80) < 1e-9);
	score_period_parse("2026Q2", &per);
	CHECK_INT(indicator_params_get(db, cov.id, &per, &p), GS_OK);
	CHECK_STR(p.from, "2025");
	CHECK(NEAR(p.bands.target, 0.80));
	score_period_parse("2026", &per); /* the year starts before 2026Q3: the 2025 set */
	CHECK_INT(indicator_params_get(db, cov.id, &per, &p), GS_OK);
	CHECK_STR(p.from, "2025");
	score_period_parse("2024Q4", &per);
	CHECK_INT(indicator_params_get(db, cov.id, &per, &p), GS_ERR_NOT_FOUND);
	struct indicator_params *all = NULL;
	CHECK_INT(indicator_params_list(db, cov.id, &all, &n), GS_OK);
	CHECK_INT(n, 2);
	free(all);
	indicator_clear(&cov);
	indicator_clear(NULL);

	struct indicator sqi;
	CHECK_INT(indicator_get(db, "service-quality-inspection", &sqi), GS_OK);
	score_period_parse("2026Q1", &per);
	CHECK_INT(indicator_params_get(db, sqi.id, &per, &p), GS_OK);
	CHECK_INT(p.method, INDICATOR_STEP);
	CHECK(p.step.whole_steps);
	CHECK_INT(indicator_params_score(&p, 92.5, &s), GS_OK); /* 2.5 short → 3 steps × 2 */
	CHECK(fabs(s - 94) < 1e-9);
	CHECK_INT(indicator_params_score(&p, 97, &s), GS_OK);   /* 2 steps above × 1 bonus */
	CHECK(fabs(s - 102) < 1e-9);
	CHECK(p.has_min_actual && p.has_max_actual && NEAR(p.max_actual, 100));
	indicator_clear(&sqi);
	CHECK_INT(indicator_get(db, "nope", &sqi), GS_ERR_NOT_FOUND);

	/* milestones */
	struct indicator_milestone *m = NULL;
	CHECK_INT(indicator_milestones_list(db, 0, "2026-06-01", "2026-07-31", &m, &n), GS_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(m[0].due, "2026-06-30");
		CHECK_STR(m[0].unit_code, "QH-S01");
		CHECK_STR(m[2].indicator_code, "party-building");
	}
	indicator_milestones_free(m, n);
	struct org_unit s01;
	CHECK_INT(org_unit_get(db, "QH-S01", &s01), GS_OK);
	CHECK_INT(indicator_milestones_list(db, s01.id, NULL, NULL, &m, &n), GS_OK);
	CHECK_INT(n, 1);
	indicator_milestones_free(m, n);
	org_unit_clear(&s01);
}

static void test_rejections(struct db *db)
{
	expect_rejected(db, FIX "unknown-unit.xml", 5, "responsible unit 'QH-NOPE' is not a known unit");
	expect_rejected(db, FIX "unknown-person.xml", 5, "supervisor 'QH-P99' is not a known person");
	expect_rejected(db, FIX "weights.xml", 4, "the weights for station units add up to 60");
	expect_rejected(db, FIX "band.xml", 6, "threshold 0.9 must be below target 0.9");
	expect_rejected(db, FIX "method.xml", 6, "median");
	expect_rejected(db, FIX "missing-param.xml", 6, "method step needs the attribute 'points'");
	expect_rejected(db, FIX "evaluator-station.xml", 6, "the evaluating unit must be a department");
	expect_rejected(db, FIX "no-evaluator.xml", 3, "needs an <evaluator> department");
	expect_rejected(db, FIX "same-start.xml", 7, "start on the same day");
	expect_rejected(db, FIX "milestone.xml", 7, "milestone unit 'QH-S77' is not a known unit");
	expect_rejected(db, FIX "milestone.xml", 8, "'1999-06-30' is not a date from 2000 on");
	expect_rejected(db, FIX "direct-coverage.xml", 6, "only for manual indicators");
	expect_rejected(db, FIX "duplicate.xml", 8, "code is defined twice (first at line 3)");
	expect_rejected(db, FIX "doctype.xml", 2, "DOCTYPE is not allowed");

	struct indicator_load_report *rep = xcalloc(1, sizeof *rep);
	static const char *const bad[] = {
	    "", "<indicators", "<other xmlns=\"urn:gridscore:indicators:1\"/>",
	    "<indicators xmlns=\"urn:gridscore:indicators:1\"><indicator/></indicators>",
	    "<indicators xmlns=\"urn:gridscore:indicators:1\">\0</indicators>"};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad); i++) {
		size_t len = i == 4 ? 60 : strlen(bad[i]);
		CHECK_INT(indicator_load_memory(db, "bad.xml", bad[i], len, rep), GS_ERR_INVALID);
		CHECK(rep->n_errors > 0);
	}
	CHECK_INT(indicator_load_memory(db, "big.xml", "x", INDICATOR_MAX_FILE + 1, rep), GS_ERR_TOO_LARGE);
	CHECK_INT(indicator_load_file(db, FIX "no-such-file.xml", rep), GS_ERR_IO);
	/* the printed report carries file:line */
	CHECK_INT(indicator_load_file(db, FIX "weights.xml", rep), GS_ERR_INVALID);
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem = open_memstream(&text, &tlen);
	indicator_report_print(rep, "w.xml", mem);
	fclose(mem);
	CHECK_CONTAINS(text, "w.xml:4: the weights for station units add up to 60");
	CHECK_CONTAINS(text, "nothing was changed");
	free(text);
	free(rep);
	/* the catalog is as before */
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicators WHERE active = 1"), 6);
}

/* s with the first occurrence of from replaced by to; caller frees. */
static char *replace_once(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	CHECK(at != NULL);
	if (!at)
		return xstrdup(s);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

static void test_retire(void)
{
	struct db *db = open_county();
	struct indicator_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(indicator_load_file(db, DEMO_CATALOG, rep), GS_OK);
	/* a done milestone keeps its mark when the catalog is loaded again with changes */
	exec(db, "UPDATE indicator_milestones SET done_at = 1, done_by = 'x' WHERE due = '2026-12-31'");
	char *data = NULL;
	size_t len = 0;
	CHECK_INT(util_read_file(DEMO_CATALOG, INDICATOR_MAX_FILE, &data, &len), GS_OK);
	/* drop work-safety, give teams 100 on customer evaluation, and move one milestone */
	char *cut = strstr(data, "  <indicator code=\"work-safety\"");
	char *end = cut ? strstr(cut, "</indicator>\n") : NULL;
	CHECK(cut && end);
	if (!cut || !end)
		exit(1);
	memmove(cut, end + strlen("</indicator>\n"), strlen(end + strlen("</indicator>\n")) + 1);
	char *v1 = replace_once(data, "unit-kind=\"team\" value=\"50\"", "unit-kind=\"team\" value=\"100\"");
	char *moved = replace_once(v1, "due=\"2026-09-30\"", "due=\"2026-10-31\"");
	free(v1);
	CHECK_INT(indicator_load_memory(db, "v2.xml", moved, strlen(moved), rep), GS_OK);
	if (rep->n_errors)
		indicator_report_print(rep, "v2.xml", stderr);
	CHECK_INT(rep->retired, 1);
	CHECK_INT(rep->updated, 2);   /* customer-evaluation (weight), smart-meter-coverage (milestone) */
	CHECK_INT(rep->unchanged, 3);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicators WHERE active = 1"), 5);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicators"), 6);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicator_milestones WHERE due = '2026-10-31'"), 1);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicator_milestones WHERE due = '2026-09-30'"), 0);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicator_milestones WHERE done_at = 1"), 1);
	struct indicator *list = NULL;
	size_t n = 0;
	CHECK_INT(indicator_list(db, 1, &list, &n), GS_OK);
	CHECK_INT(n, 6);
	if (n == 6)
		CHECK(!list[5].active);
	indicator_list_free(list, n);
	/* the old file brings it back */
	CHECK_INT(indicator_load_file(db, DEMO_CATALOG, rep), GS_OK);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM indicators WHERE active = 1"), 6);
	free(moved);
	free(data);
	free(rep);
	db_close(db);
}

static struct auth_user user_of(struct db *db, const char *login, enum auth_role role, const char *unit)
{
	struct auth_user u = {0};
	snprintf(u.login, sizeof u.login, "%s", login);
	u.role = role;
	if (unit) {
		struct org_unit ou;
		if (org_unit_get(db, unit, &ou) == GS_OK) {
			u.unit_id = ou.id;
			snprintf(u.unit_code, sizeof u.unit_code, "%s", ou.code);
			org_unit_clear(&ou);
		}
	}
	return u;
}

static void test_manual(struct db *db)
{
	struct auth_user mkt = user_of(db, "mkt", AUTH_ROLE_MANAGER, "QH-MKT");
	struct auth_user off = user_of(db, "off", AUTH_ROLE_MANAGER, "QH-OFF");
	struct auth_user ops = user_of(db, "ops", AUTH_ROLE_MANAGER, "QH-OPS");
	struct auth_user admin = user_of(db, "admin", AUTH_ROLE_ADMIN, NULL);
	char err[INDICATOR_ERR_MAX];
	const int64_t now = 1780000000;

	err[0] = '\0';
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S01", "2026Q2", 0, 93, "spot check",
				       now, err, sizeof err),
		  GS_OK);
	/* replacing keeps the history */
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S01", "2026Q2", 0, 94, NULL, now + 1,
				       err, sizeof err),
		  GS_OK);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM score_manual"), 1);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM score_manual_history"), 2);
	CHECK_INT(indicator_manual_set(db, &off, "party-building", "QH-HR", "2026Q2", 1, 95, NULL, now, err, sizeof err),
		  GS_OK);

	struct { const struct auth_user *who; const char *ind, *unit, *period; int is_score; double v;
		 enum gs_result want; const char *text; } bad[] = {
	    {&mkt, "service-quality-inspection", "QH-S01", "2026Q2", 1, 90, GS_ERR_INVALID, "enter the actual"},
	    {&mkt, "service-quality-inspection", "QH-S01", "2026Q2", 0, 101, GS_ERR_INVALID, "outside 0..100"},
	    {&mkt, "service-quality-inspection", "QH-S01", "2026Q2", 0, NAN, GS_ERR_INVALID, "must be a number"},
	    {&ops, "service-quality-inspection", "QH-S01", "2026Q2", 0, 90, GS_ERR_FORBIDDEN, "only the evaluating department QH-MKT"},
	    {&admin, "service-quality-inspection", "QH-S01", "2026Q2", 0, 90, GS_ERR_FORBIDDEN, "evaluating department"},
	    {&mkt, "customer-evaluation", "QH-S01", "2026Q2", 0, 0.9, GS_ERR_INVALID, "computed from survey data"},
	    {&mkt, "service-quality-inspection", "QH-HR", "2026Q2", 0, 90, GS_ERR_INVALID, "does not apply to department"},
	    {&off, "party-building", "QH-HR", "2026Q2", 1, 130, GS_ERR_INVALID, "outside 0..100"},
	    {&off, "party-building", "QH-HR", "2026Q2", 0, 90, GS_ERR_INVALID, "enter a score"},
	    {&mkt, "service-quality-inspection", "QH-S01", "2026Q5", 0, 90, GS_ERR_INVALID, "is not a quarter"},
	    {&mkt, "service-quality-inspection", "QH-S01", "2024Q4", 0, 90, GS_ERR_INVALID, "no parameters in force"},
	    {&mkt, "service-quality-inspection", "QH-NONE", "2026Q2", 0, 90, GS_ERR_NOT_FOUND, "does not exist"},
	    {&mkt, "no-such-indicator", "QH-S01", "2026Q2", 0, 90, GS_ERR_NOT_FOUND, "not in the catalog"},
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		enum gs_result r = indicator_manual_set(db, bad[i].who, bad[i].ind, bad[i].unit, bad[i].period,
							bad[i].is_score, bad[i].v, NULL, now, err, sizeof err);
		if (r != bad[i].want || !strstr(err, bad[i].text))
			fprintf(stderr, "manual case %zu: %s: %s\n", i, gs_result_str(r), err);
		CHECK_INT(r, bad[i].want);
		CHECK_CONTAINS(err, bad[i].text);
	}
	CHECK_INT(count_rows(db, "SELECT count(*) FROM score_manual_history"), 3);

	struct indicator_manual_row *rows = NULL;
	size_t n = 0;
	CHECK_INT(indicator_manual_list(db, "2026Q2", &rows, &n), GS_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(rows[0].indicator_code, "service-quality-inspection");
		CHECK_STR(rows[0].entered_by, "mkt");
		CHECK(!rows[0].is_score && NEAR(rows[0].value, 94));
		CHECK_INT(rows[0].entered_at, now + 1);
		CHECK_STR(rows[1].indicator_code, "party-building");
		CHECK(rows[1].is_score && NEAR(rows[1].value, 95));
	}
	indicator_manual_free(rows, n);
}

static void test_adjustments_and_closing(struct db *db)
{
	struct auth_user mkt = user_of(db, "mkt", AUTH_ROLE_MANAGER, "QH-MKT");
	struct auth_user station = user_of(db, "s01", AUTH_ROLE_STATION, "QH-S01");
	struct auth_user manager = user_of(db, "boss", AUTH_ROLE_MANAGER, NULL);
	struct auth_user admin = user_of(db, "admin", AUTH_ROLE_ADMIN, NULL);
	char err[INDICATOR_ERR_MAX] = "";
	const int64_t now = 1780000000;

	struct indicator_adjustment_in in = {.unit_code = "QH-S02", .period = "2026Q2", .points = 2,
					     .reason = "暗访发现窗口服务不规范", .evidence = "督查通报2026-05",
					     .source = INDICATOR_SRC_SUPERVISION, .indicator_code = "service-quality-inspection"};
	int64_t id = 0;
	CHECK_INT(indicator_adjustment_add(db, &mkt, &in, 0, now, &id, err, sizeof err), GS_OK);
	CHECK(id > 0);
	struct indicator_adjustment_in bonus = {.unit_code = "QH-S03", .period = "2026Q2", .bonus = 1, .points = 1,
						.reason = "commended", .source = INDICATOR_SRC_OTHER};
	CHECK_INT(indicator_adjustment_add(db, &admin, &bonus, 0, now, NULL, err, sizeof err), GS_OK);
	CHECK_INT(indicator_adjustment_add(db, &station, &in, 0, now, NULL, err, sizeof err), GS_ERR_FORBIDDEN);
	CHECK_CONTAINS(err, "administrators and departments");
	CHECK_INT(indicator_adjustment_add(db, &manager, &in, 0, now, NULL, err, sizeof err), GS_ERR_FORBIDDEN);
	struct indicator_adjustment_in b = in;
	b.reason = "  ";
	CHECK_INT(indicator_adjustment_add(db, &mkt, &b, 0, now, NULL, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "reason is required");
	b = in;
	b.points = 0;
	CHECK_INT(indicator_adjustment_add(db, &mkt, &b, 0, now, NULL, err, sizeof err), GS_ERR_INVALID);
	b = in;
	b.unit_code = "QH-X";
	CHECK_INT(indicator_adjustment_add(db, &mkt, &b, 0, now, NULL, err, sizeof err), GS_ERR_NOT_FOUND);
	b = in;
	b.indicator_code = "nope";
	CHECK_INT(indicator_adjustment_add(db, &mkt, &b, 0, now, NULL, err, sizeof err), GS_ERR_NOT_FOUND);
	enum indicator_source src;
	CHECK_INT(indicator_source_parse("public-opinion", &src), GS_OK);
	CHECK_INT(src, INDICATOR_SRC_PUBLIC_OPINION);
	CHECK_STR(indicator_source_name(INDICATOR_SRC_INTERNAL_AUDIT), "internal-audit");
	CHECK_INT(indicator_source_parse("gossip", &src), GS_ERR_INVALID);

	/* overdue follow-ups: 1 open past due, 2 closed late, 3 closed in time, 4 due next quarter.
	 * 2026Q2 runs from 1774972800 (2026-04-01 00:00 +08) to 1782835200. */
	exec(db, "INSERT INTO survey_forms(id, form_id, version, sha256, source, loaded_at) VALUES (1, 'f', '1', 'x', 'x', 0);"
		 "INSERT INTO survey_responses(id, hall_id, form, submitted_at, day, hour, rating, satisfied, answers, "
		 "verified, instance) SELECT n, (SELECT id FROM halls WHERE code = 'QH-H03'), 1, 0, '2026-05-01', 9, 1, 0, "
		 "'{}', 0, 'i' || n FROM (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3 UNION SELECT 4);"
		 "INSERT INTO survey_followups(response_id, hall_id, opened_at, due_at, closed_at) SELECT id, hall_id, 0, "
		 "CASE id WHEN 4 THEN 1783000000 ELSE 1778000000 END, CASE id WHEN 1 THEN NULL WHEN 2 THEN 1779000000 "
		 "WHEN 3 THEN 1777000000 ELSE NULL END FROM survey_responses");
	long proposed = -1;
	CHECK_INT(indicator_propose_overdue(db, "2026Q2", 1.5, now, &proposed), GS_OK);
	CHECK_INT(proposed, 2);
	CHECK_INT(indicator_propose_overdue(db, "2026Q2", 1.5, now, &proposed), GS_OK);
	CHECK_INT(proposed, 0); /* each follow-up once */
	CHECK_INT(indicator_propose_overdue(db, "2026Q9", 1.5, now, &proposed), GS_ERR_INVALID);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM score_adjustments a JOIN units u ON u.id = a.unit_id "
				 "WHERE a.state = 'proposed' AND a.source = 'overdue-followup' AND u.code = 'QH-S02'"),
		  2);
	int64_t first_proposed = count_rows(db, "SELECT min(id) FROM score_adjustments WHERE state = 'proposed'");
	CHECK_INT(indicator_adjustment_decide(db, &station, first_proposed, 1, now, err, sizeof err), GS_ERR_FORBIDDEN);
	CHECK_INT(indicator_adjustment_decide(db, &mkt, first_proposed, 1, now, err, sizeof err), GS_OK);
	CHECK_INT(indicator_adjustment_decide(db, &mkt, first_proposed, 0, now, err, sizeof err), GS_ERR_CONFLICT);
	CHECK_CONTAINS(err, "confirmed already");
	CHECK_INT(indicator_adjustment_decide(db, &mkt, 999, 1, now, err, sizeof err), GS_ERR_NOT_FOUND);

	struct indicator_adjustment_row *rows = NULL;
	size_t n = 0;
	CHECK_INT(indicator_adjustments_list(db, "2026Q2", &rows, &n), GS_OK);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(rows[0].unit_code, "QH-S02");
		CHECK_STR(rows[0].source, "supervision");
		CHECK_STR(rows[0].state, "confirmed");
		CHECK_STR(rows[0].indicator_code, "service-quality-inspection");
		CHECK_STR(rows[1].source, "overdue-followup");
		CHECK_STR(rows[1].decided_by, "mkt");
		CHECK(rows[1].followup_id > 0);
		CHECK_STR(rows[3].unit_code, "QH-S03");
		CHECK(rows[3].bonus);
	}
	indicator_adjustments_free(rows, n);

	/* closing */
	char sha[65] = "", sha2[65] = "";
	CHECK_INT(indicator_period_closed(db, "2026Q2"), 0);
	CHECK_INT(indicator_period_close(db, &station, "2026Q2", now, NULL, sha, err, sizeof err), GS_ERR_FORBIDDEN);
	CHECK_INT(indicator_period_close(db, &manager, "2026Q2", now, NULL, sha, err, sizeof err), GS_OK);
	CHECK_INT(strlen(sha), 64);
	CHECK_INT(indicator_period_closed(db, "2026Q2"), 1);
	CHECK_INT(indicator_period_closed(db, "2026"), 0);
	CHECK_INT(indicator_period_close(db, &manager, "2026Q2", now, NULL, sha2, err, sizeof err), GS_ERR_CONFLICT);
	CHECK_CONTAINS(err, "closed");
	char *content = NULL, got[65];
	CHECK_INT(indicator_snapshot_get(db, "2026Q2", &content, got), GS_OK);
	CHECK_STR(got, sha);
	CHECK_CONTAINS(content, "\"indicator\":\"service-quality-inspection\"");
	CHECK_CONTAINS(content, "\"reason\":\"暗访发现窗口服务不规范\"");
	CHECK_CONTAINS(content, "\"code\":\"smart-meter-coverage\"");
	CHECK_CONTAINS(content, "\"params_from\":\"2025\"");
	CHECK(content && !strstr(content, "\"state\":\"proposed\"") && !strstr(content, "follow-up 2 of"));
	if (content) {
		unsigned char h[32];
		char hex[65];
		crypto_hash_sha256(h, (const unsigned char *)content, strlen(content));
		util_hex(h, sizeof h, hex);
		CHECK_STR(hex, sha);
	}
	free(content);
	CHECK_INT(indicator_snapshot_get(db, "2026Q1", &content, got), GS_ERR_NOT_FOUND);

	/* a closed period refuses inputs */
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S02", "2026Q2", 0, 90, NULL, now, err,
				       sizeof err),
		  GS_ERR_CONFLICT);
	CHECK_CONTAINS(err, "period 2026Q2 is closed");
	CHECK_INT(indicator_adjustment_add(db, &mkt, &in, 0, now, NULL, err, sizeof err), GS_ERR_CONFLICT);
	int64_t still = count_rows(db, "SELECT min(id) FROM score_adjustments WHERE state = 'proposed'");
	CHECK_INT(indicator_adjustment_decide(db, &mkt, still, 1, now, err, sizeof err), GS_ERR_CONFLICT);
	CHECK_INT(indicator_propose_overdue(db, "2026Q2", 1.5, now, &proposed), GS_OK);
	CHECK_INT(proposed, 0);

	/* reopening: admins only, with a reason, recorded */
	CHECK_INT(indicator_period_reopen(db, &manager, "2026Q2", "fix", now, err, sizeof err), GS_ERR_FORBIDDEN);
	CHECK_INT(indicator_period_reopen(db, &admin, "2026Q2", " ", now, err, sizeof err), GS_ERR_INVALID);
	CHECK_INT(indicator_period_reopen(db, &admin, "2026Q1", "fix", now, err, sizeof err), GS_ERR_CONFLICT);
	CHECK_INT(indicator_period_reopen(db, &admin, "2026Q2", "a late inspection result", now + 5, err, sizeof err),
		  GS_OK);
	CHECK_INT(indicator_period_closed(db, "2026Q2"), 0);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM score_period_events WHERE period = '2026Q2'"), 2);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM audit_log WHERE action = 'period.reopen' AND actor = 'admin'"), 1);
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S02", "2026Q2", 0, 90, NULL, now, err,
				       sizeof err),
		  GS_OK);
	CHECK_INT(indicator_period_close(db, &admin, "2026Q2", now + 10, NULL, sha2, err, sizeof err), GS_OK);
	CHECK(strcmp(sha, sha2) != 0);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM score_snapshots WHERE period = '2026Q2'"), 2);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERROR);
	struct db *db = open_county();
	test_demo_catalog(db);
	test_rejections(db);
	test_manual(db);
	test_adjustments_and_closing(db);
	db_close(db);
	test_retire();
	return check_finish("test_indicator");
}
