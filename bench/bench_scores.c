/* bench_scores.c — scoring a quarter for a province-size dataset: 1 company, 4
 * departments, 200 stations, 2,000 halls, 403 leaders; survey aggregates as 10 million
 * responses over a year would leave them, and meter daily rows as 30 million
 * metering-point events over 1,000 days would (both written directly with SQL: scoring
 * reads only these rows, never raw responses or events); manual entries and
 * adjustments through indicator.h. Times scoring_compute (the quarter and its previous
 * one), closing, the closed report from its snapshot, and rendering the report page,
 * the league table, CSV and JSON. Usage: bench_scores DB_PATH [RESPONSES] (the file is
 * created; prints a Markdown table). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "indicator.h"
#include "org.h"
#include "scoring.h"
#include "survey.h"
#include "util.h"
#include "view_score.h"

enum { STATIONS = 200, HALLS_PER_STATION = 10, SURVEY_DAYS = 365, METER_DAYS = 1000, RUNS = 7 };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_scores: %s failed\n", what);
	exit(1);
}

static void build_org(struct db *db)
{
	struct buf b;
	buf_init(&b, 16 << 20);
	buf_puts(&b, "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"P\" kind=\"company\" name=\"省公司\"/>");
	const char *depts[] = {"P-HR", "P-MKT", "P-OPS", "P-OFF"};
	for (int d = 0; d < 4; d++)
		buf_printf(&b, "<unit code=\"%s\" kind=\"department\" parent=\"P\" name=\"部门%d\"/>", depts[d], d);
	for (int s = 1; s <= STATIONS; s++)
		buf_printf(&b, "<unit code=\"P-S%03d\" kind=\"station\" parent=\"P\" name=\"供电所%d\"/>", s, s);
	buf_puts(&b, "</units><halls>");
	for (int s = 1; s <= STATIONS; s++)
		for (int h = 1; h <= HALLS_PER_STATION; h++)
			buf_printf(&b, "<hall code=\"P-H%03d%02d\" station=\"P-S%03d\" name=\"营业厅%d-%d\"/>", s, h, s, s, h);
	buf_puts(&b, "</halls><people><person code=\"P-P0\" unit=\"P\" name=\"总经理\"><head unit=\"P\"/></person>");
	for (int k = 1; k <= 3; k++) {
		buf_printf(&b, "<person code=\"P-P%d\" unit=\"P\" name=\"副总%d\"><deputy unit=\"P\"/><supervises unit=\"%s\"/>",
			   k, k, depts[k]);
		for (int s = k; s <= STATIONS; s += 3)
			buf_printf(&b, "<liaises unit=\"P-S%03d\"/>", s);
		buf_puts(&b, "</person>");
	}
	for (int s = 1; s <= STATIONS; s++)
		buf_printf(&b, "<person code=\"P-H%03d\" unit=\"P-S%03d\" name=\"所长%d\"><head unit=\"P-S%03d\"/></person>"
			       "<person code=\"P-D%03d\" unit=\"P-S%03d\" name=\"副所长%d\"><deputy unit=\"P-S%03d\"/></person>",
			   s, s, s, s, s, s, s, s);
	buf_puts(&b, "</people></org>");
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	if (org_load_memory(db, "bench org", b.data, b.len, rep) != GS_OK) {
		org_report_print(rep, "bench org", stderr);
		die("org load");
	}
	free(rep);
	buf_free(&b);
	static const char catalog[] =
	    "<indicators xmlns=\"urn:gridscore:indicators:1\">"
	    "<indicator code=\"customer-evaluation\" kind=\"customer-evaluation\" name=\"服务对象评价\">"
	    "<weight unit-kind=\"company\" value=\"40\"/><weight unit-kind=\"station\" value=\"30\"/>"
	    "<owner supervisor=\"P-P1\" unit=\"P-MKT\" person=\"P-P1\" handler=\"P-P1\"/><evaluator unit=\"P-MKT\"/>"
	    "<params from=\"2025\" method=\"bands\" threshold=\"0.70\" target=\"0.80\" benchmark=\"0.90\"/></indicator>"
	    "<indicator code=\"smart-meter-coverage\" kind=\"coverage\" name=\"智能表覆盖率\">"
	    "<weight unit-kind=\"company\" value=\"40\"/><weight unit-kind=\"station\" value=\"30\"/>"
	    "<owner supervisor=\"P-P1\" unit=\"P-MKT\" person=\"P-P1\" handler=\"P-P1\"/><evaluator unit=\"P-MKT\"/>"
	    "<params from=\"2025\" method=\"bands\" threshold=\"0.50\" target=\"0.80\" benchmark=\"0.95\"/>"
	    "<milestone unit=\"P-S001\" due=\"2026-11-30\" name=\"覆盖率达到90%\"/></indicator>"
	    "<indicator code=\"service-quality-inspection\" kind=\"manual\" name=\"服务质量检查\">"
	    "<weight unit-kind=\"station\" value=\"25\"/>"
	    "<owner supervisor=\"P-P1\" unit=\"P-MKT\" person=\"P-P1\" handler=\"P-P1\"/><evaluator unit=\"P-MKT\"/>"
	    "<params from=\"2025\" method=\"step\" target=\"95\" delta=\"1\" points=\"2\" max-deduction=\"30\" "
	    "min-actual=\"0\" max-actual=\"100\"/></indicator>"
	    "<indicator code=\"party-building\" kind=\"manual\" name=\"党建工作\">"
	    "<weight unit-kind=\"company\" value=\"20\"/><weight unit-kind=\"department\" value=\"40\"/>"
	    "<weight unit-kind=\"station\" value=\"15\"/>"
	    "<owner supervisor=\"P-P3\" unit=\"P-OFF\" person=\"P-P3\" handler=\"P-P3\"/><evaluator unit=\"P-OFF\"/>"
	    "<params from=\"2025\" method=\"direct\" max=\"100\"/></indicator>"
	    "<indicator code=\"key-work\" kind=\"manual\" name=\"重点工作\"><weight unit-kind=\"department\" value=\"60\"/>"
	    "<owner supervisor=\"P-P3\" unit=\"P-OFF\" person=\"P-P3\" handler=\"P-P3\"/><evaluator unit=\"P-OFF\"/>"
	    "<params from=\"2025\" method=\"step\" target=\"1\" delta=\"0.05\" points=\"5\" max-deduction=\"40\" "
	    "min-actual=\"0\" max-actual=\"1\"/></indicator></indicators>";
	struct indicator_load_report *irep = xcalloc(1, sizeof *irep);
	if (indicator_load_memory(db, "bench catalog", catalog, sizeof catalog - 1, irep) != GS_OK) {
		indicator_report_print(irep, "bench catalog", stderr);
		die("catalog load");
	}
	free(irep);
}

/* Survey aggregates per hall and day (verified × flagged), then the unit rows. */
static long long build_surveys(struct db *db, long long total)
{
	long first = survey_day_number("2025-10-01");
	long long per_day = total / ((long long)STATIONS * HALLS_PER_STATION * SURVEY_DAYS);
	long long made = 0;
	db_begin(db);
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO survey_daily(scope, day, verified, flagged, n1, n2, n3, n4, n5, "
				       "satisfied) SELECT id, ?1, ?2, ?3, ?4 + (id % 3), ?5, ?6, ?7, ?8 + (id % 7), "
				       "?7 + ?8 + (id % 7) FROM halls");
	for (long d = 0; d < SURVEY_DAYS; d++) {
		char day[11];
		survey_day_string(first + d, day);
		for (int v = 0; v < 2; v++)
			for (int f = 0; f < 2; f++) {
				double share = f ? 0.05 : v ? 0.30 : 0.65;
				long long n = (long long)((double)per_day * share + 0.5);
				long long n5 = n * 45 / 100, n4 = n * 35 / 100, n3 = n * 12 / 100, n2 = n * 5 / 100;
				long long n1 = n - n5 - n4 - n3 - n2;
				sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int(st, 2, v);
				sqlite3_bind_int(st, 3, f);
				sqlite3_bind_int64(st, 4, n1);
				sqlite3_bind_int64(st, 5, n2);
				sqlite3_bind_int64(st, 6, n3);
				sqlite3_bind_int64(st, 7, n4);
				sqlite3_bind_int64(st, 8, n5);
				if (sqlite3_step(st) != SQLITE_DONE)
					die("survey rows");
				sqlite3_reset(st);
				made += n * STATIONS * HALLS_PER_STATION;
			}
	}
	if (db_commit(db) != GS_OK || survey_aggregates_rebuild(db, 0, NULL) != GS_OK)
		die("survey aggregates");
	return made;
}

/* meter_daily: per station a row per day with its net changes and running totals, as
 * 30 million events (installs, replacements, removals) over METER_DAYS days leave them. */
static long long build_meters(struct db *db)
{
	long first = survey_day_number("2024-01-01");
	long long events = 0;
	db_begin(db);
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO meter_daily(station_id, day, d_points, d_smart, points, smart) "
				       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_stmt *ids = db_stmt(db, "SELECT id FROM units WHERE kind = 'station' ORDER BY code");
	int64_t station_ids[STATIONS];
	int n = 0;
	while (n < STATIONS && sqlite3_step(ids) == SQLITE_ROW)
		station_ids[n++] = sqlite3_column_int64(ids, 0);
	sqlite3_reset(ids);
	for (int s = 0; s < n; s++) {
		long points = 0, smart = 0;
		for (long d = 0; d < METER_DAYS; d++) {
			char day[11];
			survey_day_string(first + d, day);
			long dp = d == 0 ? 45000 + s * 10 : (d % 3 == 0 ? 2 : 0);
			long ds = d == 0 ? 15000 : 25 + (s % 20);
			if (smart + ds > points + dp)
				ds = points + dp - smart;
			points += dp;
			smart += ds;
			/* each day ~150 events: installs, replacements (smart for smart) and removals */
			events += d == 0 ? 0 : 150;
			sqlite3_bind_int64(st, 1, station_ids[s]);
			sqlite3_bind_text(st, 2, day, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 3, dp);
			sqlite3_bind_int64(st, 4, ds);
			sqlite3_bind_int64(st, 5, points);
			sqlite3_bind_int64(st, 6, smart);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("meter rows");
			sqlite3_reset(st);
		}
	}
	if (db_commit(db) != GS_OK)
		die("meter commit");
	return events;
}

static void build_inputs(struct db *db)
{
	struct org_unit mkt, off;
	if (org_unit_get(db, "P-MKT", &mkt) != GS_OK || org_unit_get(db, "P-OFF", &off) != GS_OK)
		die("departments");
	struct auth_user um = {.id = 1, .role = AUTH_ROLE_MANAGER, .unit_id = mkt.id};
	struct auth_user uo = {.id = 2, .role = AUTH_ROLE_MANAGER, .unit_id = off.id};
	snprintf(um.login, sizeof um.login, "mkt");
	snprintf(uo.login, sizeof uo.login, "off");
	char err[256];
	int64_t now = util_now();
	const char *periods[] = {"2026Q2", "2026Q3"};
	for (int p = 0; p < 2; p++) {
		for (int s = 1; s <= STATIONS; s++) {
			char code[16];
			snprintf(code, sizeof code, "P-S%03d", s);
			if (indicator_manual_set(db, &um, "service-quality-inspection", code, periods[p], 0, 88 + s % 12, NULL,
						 now, err, sizeof err) != GS_OK ||
			    indicator_manual_set(db, &uo, "party-building", code, periods[p], 1, 90, NULL, now, err,
						 sizeof err) != GS_OK)
				die(err);
			if (s % 10 == 0) {
				struct indicator_adjustment_in a = {.unit_code = code, .period = periods[p], .points = 2 + s % 5,
								    .reason = "inspection finding",
								    .source = INDICATOR_SRC_INSPECTION};
				if (indicator_adjustment_add(db, &um, &a, 0, now, NULL, err, sizeof err) != GS_OK)
					die(err);
			}
		}
		const char *depts[] = {"P-HR", "P-MKT", "P-OPS", "P-OFF"};
		for (int d = 0; d < 4; d++)
			if (indicator_manual_set(db, &uo, "key-work", depts[d], periods[p], 0, 0.9 + d * 0.03, NULL, now, err,
						 sizeof err) != GS_OK ||
			    indicator_manual_set(db, &uo, "party-building", depts[d], periods[p], 1, 85 + d, NULL, now, err,
						 sizeof err) != GS_OK)
				die(err);
	}
	org_unit_clear(&mkt);
	org_unit_clear(&off);
}

static int64_t cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double median(double *ms, int n);

/* What GET /reports/2026Q3.html costs on the first request after a change: a manual
 * entry is changed before each run (so the report cache cannot answer), then
 * scoring_report and the render. Prints wall and CPU medians. */
static void report_after_change(struct db *db, const char *label)
{
	struct org_unit mkt;
	if (org_unit_get(db, "P-MKT", &mkt) != GS_OK)
		die("P-MKT");
	struct auth_user um = {.id = 1, .role = AUTH_ROLE_MANAGER, .unit_id = mkt.id};
	snprintf(um.login, sizeof um.login, "mkt");
	org_unit_clear(&mkt);
	struct view_ctx v = {.lang = "zh", .path = "/reports/2026Q3.html"};
	double wall[RUNS], cpu[RUNS];
	char err[256];
	for (int i = 0; i < RUNS; i++) {
		if (indicator_manual_set(db, &um, "service-quality-inspection", "P-S007", "2026Q3", 0, 80 + i, NULL,
					 util_now(), err, sizeof err) != GS_OK)
			die(err);
		struct scoring_result *q = NULL;
		struct buf page;
		buf_init(&page, 64u << 20);
		int64_t a = util_monotonic_us(), c = cpu_us();
		if (scoring_report(db, "2026Q3", util_now(), &q, err, sizeof err) != GS_OK)
			die(err);
		view_score_report(&page, &v, q, NULL, 0);
		wall[i] = (double)(util_monotonic_us() - a) / 1000.0;
		cpu[i] = (double)(cpu_us() - c) / 1000.0;
		buf_free(&page);
		scoring_free(q);
	}
	double wm = median(wall, RUNS), cm = median(cpu, RUNS);
	printf("| report page 2026Q3, first request after a change (%s): wall / CPU | %.1f / %.1f | %.1f / %.1f |\n",
	       label, wm, cm, wall[RUNS - 1], cpu[RUNS - 1]);
}

static double median(double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof ms[0], cmp_double);
	return ms[n / 2];
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_scores DB_PATH [RESPONSES]\n");
		return 2;
	}
	/* "reuse" times a database built by an earlier run (its 2026Q2 reopened first) */
	int reuse = argc > 2 && strcmp(argv[2], "reuse") == 0;
	long long total = argc > 2 && !reuse ? atoll(argv[2]) : 10000000LL;
	if (!reuse)
		unlink(argv[1]);
	struct db *db = NULL;
	char err[256];
	if (db_open(argv[1], DB_CREATE | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int64_t t0 = util_monotonic_us();
	long long responses = total, events = 0;
	if (!reuse) {
		build_org(db);
		responses = build_surveys(db, total);
		events = build_meters(db);
		build_inputs(db);
		db_exec(db, "ANALYZE");
	} else {
		struct auth_user adm = {.id = 9, .role = AUTH_ROLE_ADMIN};
		snprintf(adm.login, sizeof adm.login, "admin");
		indicator_period_reopen(db, &adm, "2026Q2", "bench rerun", util_now(), err, sizeof err);
	}
	fprintf(stderr, "dataset built in %.1f s: %lld responses as aggregates, %lld meter events as daily rows\n",
		(double)(util_monotonic_us() - t0) / 1e6, responses, events);

	int64_t now = util_now();
	double ms[RUNS];
	struct scoring_result *r = NULL;
	for (int i = 0; i < RUNS; i++) {
		scoring_free(r);
		int64_t a = util_monotonic_us();
		if (scoring_compute(db, "2026Q3", now, &r, err, sizeof err) != GS_OK)
			die(err);
		ms[i] = (double)(util_monotonic_us() - a) / 1000.0;
	}
	double compute_ms = median(ms, RUNS), compute_max = ms[RUNS - 1];
	printf("%d stations, %d halls, %zu units, %zu leaders; %lld responses (aggregates), %lld meter events "
	       "(daily rows); %d runs each\n\n",
	       STATIONS, STATIONS * HALLS_PER_STATION, r->n_units, r->n_leaders, responses, events, RUNS);
	printf("| what | median ms | max ms |\n| --- | --- | --- |\n");
	printf("| scoring_compute 2026Q3 (and 2026Q2 for the change, both open) | %.1f | %.1f |\n", compute_ms,
	       compute_max);

	report_after_change(db, "2026Q2 open, computed too");

	struct auth_user admin = {.id = 9, .role = AUTH_ROLE_ADMIN};
	snprintf(admin.login, sizeof admin.login, "admin");
	int64_t a = util_monotonic_us();
	if (scoring_period_close(db, &admin, "2026Q2", now, NULL, err, sizeof err) != GS_OK)
		die(err);
	printf("| scoring_period_close 2026Q2 (compute + snapshot, once) | %.1f | |\n",
	       (double)(util_monotonic_us() - a) / 1000.0);
	struct scoring_result *closed = NULL;
	for (int i = 0; i < RUNS; i++) {
		scoring_free(closed);
		a = util_monotonic_us();
		if (scoring_report(db, "2026Q2", now, &closed, err, sizeof err) != GS_OK || !closed->closed)
			die("closed report");
		ms[i] = (double)(util_monotonic_us() - a) / 1000.0;
	}
	double med = median(ms, RUNS);
	printf("| scoring_report 2026Q2 (closed: read from the snapshot) | %.1f | %.1f |\n", med, ms[RUNS - 1]);
	for (int i = 0; i < RUNS; i++) {
		scoring_free(r);
		a = util_monotonic_us();
		if (scoring_compute(db, "2026Q3", now, &r, err, sizeof err) != GS_OK)
			die(err);
		ms[i] = (double)(util_monotonic_us() - a) / 1000.0;
	}
	med = median(ms, RUNS);
	printf("| scoring_compute 2026Q3 (2026Q2 closed) | %.1f | %.1f |\n", med, ms[RUNS - 1]);

	/* what GET /reports/2026Q3.html does: scoring_report (cached while the data stay the same) and render */
	struct view_ctx v0 = {.lang = "zh", .path = "/reports/2026Q3.html"};
	double first_ms = 0;
	for (int i = 0; i < RUNS; i++) {
		struct scoring_result *q = NULL;
		struct buf page;
		buf_init(&page, 64u << 20);
		a = util_monotonic_us();
		if (scoring_report(db, "2026Q3", now, &q, err, sizeof err) != GS_OK)
			die(err);
		view_score_report(&page, &v0, q, NULL, 0);
		ms[i] = (double)(util_monotonic_us() - a) / 1000.0;
		if (i == 0)
			first_ms = ms[0];
		buf_free(&page);
		scoring_free(q);
	}
	med = median(ms, RUNS);
	report_after_change(db, "2026Q2 closed");
	printf("| report page 2026Q3 end to end (scoring_report + render): first request | %.1f | |\n", first_ms);
	printf("| report page 2026Q3 end to end: later requests, data unchanged (cached) | %.1f | %.1f |\n", med,
	       ms[RUNS - 1]);

	struct view_ctx v = {.lang = "zh", .login = "admin", .role = "admin", .csrf = "x", .path = "/scores"};
	struct buf b;
	size_t bytes = 0;
	const char *labels[] = {"render report page 2026Q3 (view_score_report)", "render league table /scores",
				"render CSV", "render API JSON"};
	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < RUNS; i++) {
			buf_init(&b, 64u << 20);
			a = util_monotonic_us();
			if (k == 0) {
				view_score_report(&b, &v, r, NULL, 0);
			} else if (k == 1) {
				struct view_scores s = {.r = r, .period = r->period, .can_close = 1};
				view_scores_page(&b, &v, &s);
			} else if (k == 2) {
				view_score_csv(&b, r, NULL);
			} else {
				char *j = view_score_api_json(r, NULL);
				buf_puts(&b, j);
				free(j);
			}
			ms[i] = (double)(util_monotonic_us() - a) / 1000.0;
			bytes = b.len;
			buf_free(&b);
		}
		med = median(ms, RUNS);
		printf("| %s, %zu KiB | %.1f | %.1f |\n", labels[k], bytes / 1024, med, ms[RUNS - 1]);
	}
	scoring_free(r);
	scoring_free(closed);
	db_close(db);
	return 0;
}
