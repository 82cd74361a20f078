/* bench_stats.c — statistics time on a large company: builds an org of 20 stations and
 * 200 halls, fills the daily aggregates as 10 million responses over three years would
 * (the statistics read only aggregates, so raw rows are not needed for this measure)
 * and derives the unit rows as survey_store keeps them,
 * then times survey_stats_get and survey_monthly for the company, a station and a hall.
 * Usage: bench_stats DB_PATH [RESPONSES]   (the file is created; prints a Markdown table) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "org.h"
#include "survey.h"
#include "util.h"

enum { STATIONS = 20, HALLS_PER_STATION = 10, DAYS = 3 * 365, REPEAT = 30 };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void timed(struct db *db, const char *label, const struct survey_settings *set, const struct survey_scope *sc,
		  const char *from, const char *to, int detail)
{
	double ms[REPEAT];
	struct survey_stats s = {0};
	for (int i = 0; i < REPEAT; i++) {
		int64_t t0 = util_monotonic_us();
		survey_stats_clear(&s);
		if (survey_stats_get(db, set, sc, from, to, 0, detail, &s) != GS_OK) {
			fprintf(stderr, "stats failed\n");
			exit(1);
		}
		ms[i] = (double)(util_monotonic_us() - t0) / 1000.0;
	}
	qsort(ms, REPEAT, sizeof ms[0], cmp_double);
	printf("| %s | %s – %s | %s | %lld | %.2f | %.2f |\n", label, from, to, detail ? "yes" : "no",
	       (long long)(s.responses + s.flagged), ms[REPEAT / 2], ms[REPEAT - 1]);
	survey_stats_clear(&s);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_stats DB_PATH [RESPONSES]\n");
		return 2;
	}
	long long total = argc > 2 ? atoll(argv[2]) : 10000000LL;
	unlink(argv[1]);
	struct db *db = NULL;
	char err[256];
	if (db_open(argv[1], DB_CREATE | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct buf org;
	buf_init(&org, 4 << 20);
	buf_puts(&org, "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"P\" kind=\"company\" name=\"省公司\"/>");
	for (int s = 1; s <= STATIONS; s++)
		buf_printf(&org, "<unit code=\"P-S%02d\" kind=\"station\" parent=\"P\" name=\"供电所%d\"/>", s, s);
	buf_puts(&org, "</units><halls>");
	for (int s = 1; s <= STATIONS; s++)
		for (int h = 1; h <= HALLS_PER_STATION; h++)
			buf_printf(&org, "<hall code=\"P-H%02d%02d\" station=\"P-S%02d\" name=\"营业厅%d-%d\"/>", s, h, s, s, h);
	buf_puts(&org, "</halls></org>");
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	if (org_load_memory(db, "bench org", org.data, org.len, rep) != GS_OK) {
		org_report_print(rep, "bench org", stderr);
		return 1;
	}
	free(rep);
	buf_free(&org);

	/* Aggregates: per hall and day, four rows (verified x flagged), as survey_store keeps them. */
	int64_t t0 = util_monotonic_us();
	long first = survey_day_number("2024-01-01");
	long long per_day = total / ((long long)STATIONS * HALLS_PER_STATION * DAYS);
	db_begin(db);
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO survey_daily(scope, day, verified, flagged, n1, n2, n3, n4, n5, "
				       "satisfied) SELECT id, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7 + ?8 FROM halls");
	long long made = 0;
	for (long d = 0; d < DAYS; d++) {
		char day[11];
		survey_day_string(first + d, day);
		for (int v = 0; v < 2; v++)
			for (int f = 0; f < 2; f++) {
				/* 60% unverified unflagged, 30% verified unflagged, 10% flagged */
				double share = f ? 0.05 : v ? 0.30 : 0.60;
				long long n = (long long)(per_day * share + 0.5);
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
				sqlite3_step(st);
				sqlite3_reset(st);
				made += n * STATIONS * HALLS_PER_STATION;
			}
	}
	db_commit(db);
	/* the unit rows, as survey_store keeps them with each response */
	if (survey_aggregates_rebuild(db, 0, NULL) != GS_OK) {
		fprintf(stderr, "rebuild failed\n");
		return 1;
	}
	db_exec(db, "ANALYZE");
	fprintf(stderr, "aggregates for %lld responses written in %.1f s\n", made,
		(double)(util_monotonic_us() - t0) / 1e6);

	struct survey_settings set;
	survey_settings_load(db, &set);
	struct org_unit company, station;
	struct org_hall hall;
	org_unit_get(db, "P", &company);
	org_unit_get(db, "P-S07", &station);
	org_hall_get(db, "P-H0703", &hall);
	struct survey_scope c = {.unit_id = company.id}, s = {.unit_id = station.id}, h = {.hall_id = hall.id};
	printf("%d stations, %d halls, %d days of aggregates; %d runs each\n\n", STATIONS,
	       STATIONS * HALLS_PER_STATION, DAYS, REPEAT);
	printf("| scope | range | breakdowns | responses in range | median ms | max ms |\n| --- | --- | --- | --- | --- | --- |\n");
	timed(db, "company (200 halls)", &set, &c, "2024-01-01", "2026-12-30", 0);
	timed(db, "company (200 halls)", &set, &c, "2026-01-01", "2026-12-30", 0);
	timed(db, "company (200 halls)", &set, &c, "2026-07-01", "2026-09-30", 0);
	timed(db, "station (10 halls)", &set, &s, "2024-01-01", "2026-12-30", 0);
	timed(db, "hall", &set, &h, "2024-01-01", "2026-12-30", 0);
	timed(db, "company (200 halls)", &set, &c, "2026-01-01", "2026-12-30", 1);
	org_unit_clear(&company);
	org_unit_clear(&station);
	org_hall_clear(&hall);
	db_close(db);
	return 0;
}
