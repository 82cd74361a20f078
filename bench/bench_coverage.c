/* bench_coverage.c — coverage of a large company as of any day. Builds (once) a database
 * with POINTS metering points spread over STATIONS stations under a company, one smart
 * meter on about 80% of them from days spread over 2024..2026 and some points out of
 * service, loading rows directly through SQL and then deriving meter_daily with
 * meter_daily_rebuild; then times meter_coverage_at for the company and for random
 * stations on random days, and meter_coverage_months for the company over a year.
 * Usage: bench_coverage [DB] [POINTS] [STATIONS] [QUERIES]
 * (defaults /tmp/bench_coverage.db 5000000 400 200; an existing DB of the same size is reused). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "meter.h"
#include "util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int exec(struct db *db, const char *sql)
{
	int64_t t0 = util_monotonic_us();
	if (db_exec(db, sql) != GS_OK) {
		fprintf(stderr, "bench_coverage: failed: %.200s\n", sql);
		return -1;
	}
	fprintf(stderr, "  %.2f s  %.70s\n", (double)(util_monotonic_us() - t0) / 1e6, sql);
	return 0;
}

static long count(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	long n = st && sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
	if (st)
		sqlite3_reset(st);
	return n;
}

static int build(struct db *db, long points, long stations)
{
	char sql[2048];
	fprintf(stderr, "bench_coverage: building %ld points over %ld stations\n", points, stations);
	if (exec(db, "PRAGMA cache_size = -200000; PRAGMA foreign_keys = OFF; PRAGMA journal_mode = OFF; "
		     "PRAGMA synchronous = OFF") ||
	    exec(db, "BEGIN") ||
	    exec(db, "INSERT INTO units(id, code, name, kind, parent_id) VALUES (1, 'BC', 'Bench company', "
		     "'company', NULL)"))
		return -1;
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) INSERT INTO "
		 "units(id, code, name, kind, parent_id) SELECT 1 + i, printf('BC-S%%04d', i), printf('Station "
		 "%%d', i), 'station', 1 FROM n",
		 stations);
	if (exec(db, sql))
		return -1;
	/* point i: station 2 + i % stations; in service from a day in 2000..2023; 1% leave in 2025 */
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %ld - 1) INSERT INTO "
		 "meter_points(id, code, station_id, customer_class, since, until) SELECT i + 1, printf('BP%%08d', "
		 "i), 2 + i %% %ld, 'residential', date('2000-01-01', '+' || ((i * 7919) %% 8766) || ' days'), "
		 "CASE WHEN i %% 100 = 7 THEN date('2025-01-01', '+' || (i %% 365) || ' days') END FROM n",
		 points, stations);
	if (exec(db, sql))
		return -1;
	/* a smart meter on 80% of the points, installed on a day of 2024-01-01 .. 2026-06-30;
	 * 2% of them taken off again later (a link that ends) */
	if (exec(db, "INSERT INTO meters(id, key, mrid, smart) SELECT id, 'm:BM' || id, 'BM' || id, 1 FROM "
		     "meter_points WHERE id % 5 <> 0") ||
	    exec(db, "INSERT INTO meter_links(meter_id, point_id, since, until) SELECT id, id, date('2024-01-01', "
		     "'+' || ((id * 104729) % 912) || ' days'), CASE WHEN id % 50 = 1 THEN '2026-07-01' END FROM "
		     "meter_points WHERE id % 5 <> 0") ||
	    exec(db, "COMMIT"))
		return -1;
	int64_t t0 = util_monotonic_us();
	if (meter_daily_rebuild(db, 0) != GS_OK)
		return -1;
	fprintf(stderr, "  %.2f s  meter_daily_rebuild (all stations)\n", (double)(util_monotonic_us() - t0) / 1e6);
	return exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
			"PRAGMA cache_size = -2000");
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/bench_coverage.db";
	long points = argc > 2 ? atol(argv[2]) : 5000000, stations = argc > 3 ? atol(argv[3]) : 400;
	int queries = argc > 4 ? atoi(argv[4]) : 200;
	if (points < 1 || stations < 1 || stations > 9999 || queries < 1 || queries > 100000) {
		fprintf(stderr, "usage: bench_coverage [DB] [POINTS] [STATIONS] [QUERIES]\n");
		return 2;
	}
	struct db *db = NULL;
	char err[512];
	if (db_open(path, DB_CREATE | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "bench_coverage: %s\n", err);
		return 1;
	}
	if (count(db, "SELECT count(*) FROM meter_points") != points ||
	    count(db, "SELECT count(*) FROM units WHERE kind = 'station'") != stations) {
		if (count(db, "SELECT count(*) FROM units") != 0) {
			fprintf(stderr, "bench_coverage: %s holds other data; give a fresh path\n", path);
			db_close(db);
			return 1;
		}
		if (build(db, points, stations) != 0) {
			db_close(db);
			return 1;
		}
	}
	fprintf(stderr, "bench_coverage: %ld points, %ld meter_daily rows\n",
		count(db, "SELECT count(*) FROM meter_points"), count(db, "SELECT count(*) FROM meter_daily"));
	double *t_company = xcalloc((size_t)queries, sizeof(double));
	double *t_station = xcalloc((size_t)queries, sizeof(double));
	srand(42);
	struct meter_coverage c;
	long first = -1;
	for (int i = 0; i < queries; i++) {
		char day[16];
		snprintf(day, sizeof day, "20%02u-%02u-%02u", 20u + (unsigned)rand() % 7u, 1u + (unsigned)rand() % 12u,
			 1u + (unsigned)rand() % 28u);
		int64_t t0 = util_monotonic_us();
		if (meter_coverage_at(db, 0, day, &c) != GS_OK)
			return 1;
		t_company[i] = (double)(util_monotonic_us() - t0) / 1000.0;
		if (i == 0)
			first = c.points;
		int64_t station = 2 + rand() % stations;
		t0 = util_monotonic_us();
		if (meter_coverage_at(db, station, day, &c) != GS_OK)
			return 1;
		t_station[i] = (double)(util_monotonic_us() - t0) / 1000.0;
	}
	qsort(t_company, (size_t)queries, sizeof(double), cmp_double);
	qsort(t_station, (size_t)queries, sizeof(double), cmp_double);
	if (meter_coverage_at(db, 0, "2026-06-30", &c) != GS_OK)
		return 1;
	printf("company as of 2026-06-30: %ld points, %ld smart (%.1f%%); first random day: %ld points\n", c.points,
	       c.smart, 100.0 * c.rate, first);
	printf("meter_coverage_at, company (%ld stations), %d random days: median %.2f ms, p95 %.2f ms, max %.2f ms\n",
	       stations, queries, t_company[queries / 2], t_company[queries * 95 / 100], t_company[queries - 1]);
	printf("meter_coverage_at, one station, %d random days: median %.3f ms, p95 %.3f ms, max %.3f ms\n", queries,
	       t_station[queries / 2], t_station[queries * 95 / 100], t_station[queries - 1]);
	struct meter_coverage *months = NULL;
	size_t n = 0;
	int64_t t0 = util_monotonic_us();
	if (meter_coverage_months(db, 0, "2025-07", "2026-06", "2026-06-30", &months, &n) != GS_OK)
		return 1;
	printf("meter_coverage_months, company, 12 months: %.2f ms\n", (double)(util_monotonic_us() - t0) / 1000.0);
	free(months);
	free(t_company);
	free(t_station);
	db_close(db);
	return 0;
}
