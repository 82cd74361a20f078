/* test_meter.c — rollout imports and coverage: a native file and its coverage as of
 * several days against hand-computed values (also after a later file), months,
 * projection, uncovered points; IEC documents in both orders; every conflict rejected
 * with line and field and the database unchanged; dry run, "already", the log, scope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "meter.h"
#include "org.h"
#include "util.h"

#define DATA "tests/data/meter/"

static char tmpdir[512];

static struct db *open_fixture(void)
{
	struct db *db = NULL;
	char err[256];
	if (db_open(NULL, DB_MIGRATE | DB_MEMORY, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "db_open: %s\n", err);
		exit(1);
	}
	struct org_load_report rep;
	if (org_load_file(db, "tests/data/http/org.xml", &rep) != GS_OK) {
		fprintf(stderr, "org load failed\n");
		exit(1);
	}
	return db;
}

static int64_t unit_id(struct db *db, const char *code)
{
	struct org_unit u;
	if (org_unit_get(db, code, &u) != GS_OK)
		return -1;
	int64_t id = u.id;
	org_unit_clear(&u);
	return id;
}

/* The rows of s, each as its columns' text and '|', one a line. */
static void dump_rows(struct buf *b, sqlite3_stmt *s)
{
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *v = sqlite3_column_text(s, i);
			buf_printf(b, "%s|", v ? (const char *)v : "NULL");
		}
		buf_putc(b, '\n');
	}
}

/* Every row of every table (optionally not the import log), in a stable order. */
static char *dump(struct db *db, int with_log)
{
	struct buf b;
	buf_init(&b, 64u << 20);
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *t;
	sqlite3_prepare_v2(h, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", -1, &t, NULL);
	while (sqlite3_step(t) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(t, 0);
		if (!with_log && strncmp(name, "meter_import", 12) == 0)
			continue;
		char *sql = xasprintf("SELECT * FROM \"%s\" ORDER BY 1, 2", name);
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK) {
			free(sql);
			continue;
		}
		buf_printf(&b, "[%s]\n", name);
		dump_rows(&b, s);
		sqlite3_finalize(s);
		free(sql);
	}
	sqlite3_finalize(t);
	return buf_steal(&b, NULL);
}

/* The plan every import of the tests uses for the touched points' intervals (main runs
 * the suites with each). */
static int cov_plan;
/* 1: the general path only (main runs the suites with and without the fast path) */
static int no_fast;
static size_t fast_chunk; /* opts.fast_chunk: test_fast_path runs with 0 and with 2 */
static size_t pipe_batch; /* opts.pipe_batch: and with batches of 3 and of 1 record */

static void opts_pin(struct meter_import_opts *o, const char *today)
{
	meter_import_opts_init(o);
	o->today = today;
	o->cov_plan = cov_plan;
	o->no_fast = no_fast;
	o->fast_chunk = fast_chunk;
	o->pipe_batch = pipe_batch;
}

static enum gs_result import(struct db *db, const char *path, const char *today, struct meter_import_report *rep)
{
	struct meter_import_opts o;
	opts_pin(&o, today);
	return meter_import_run(db, path, &o, rep);
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

static void check_cov(struct db *db, const char *unit, const char *day, long points, long smart)
{
	struct meter_coverage c;
	int64_t id = unit ? unit_id(db, unit) : 0;
	CHECK_INT(meter_coverage_at(db, id, day, &c), GS_OK);
	if (c.points != points || c.smart != smart)
		fprintf(stderr, "coverage %s on %s: %ld/%ld, expected %ld/%ld\n", unit ? unit : "company", day, c.smart,
			c.points, smart, points);
	CHECK_INT(c.points, points);
	CHECK_INT(c.smart, smart);
	CHECK(points == 0 ? c.rate == 0.0 : c.rate == (double)smart / (double)points);
}

/* The meter_daily rows the imports kept up to date incrementally are exactly those a
 * rebuild from the points and links gives. */
static void check_daily_rebuilt(struct db *db)
{
	char *kept = dump(db, 0);
	CHECK_INT(meter_daily_rebuild(db, 0), GS_OK);
	char *rebuilt = dump(db, 0);
	CHECK_STR(kept, rebuilt);
	free(kept);
	free(rebuilt);
}

struct collect {
	char codes[512];
};

static enum gs_result collect_point(void *ctx, const char *station, const char *point, const char *cls,
				    const char *since)
{
	struct collect *c = ctx;
	size_t n = strlen(c->codes);
	snprintf(c->codes + n, sizeof c->codes - n, "%s%s/%s/%s/%s", n ? "," : "", station, point, cls, since);
	return GS_OK;
}

static void test_native(void)
{
	struct db *db = open_fixture();
	struct meter_import_report rep;
	CHECK_INT(import(db, DATA "a.xml", "2026-07-10", &rep), GS_OK);
	CHECK_STR(rep.status, "imported");
	CHECK_STR(rep.format, "native");
	CHECK_STR(rep.station, "T-S1");
	CHECK_STR(rep.file_id, "a-1");
	CHECK_INT(rep.records, 10);
	CHECK_INT(rep.inserted, 10);
	CHECK_INT(rep.updated, 0);
	CHECK_INT(rep.unchanged, 0);
	CHECK_INT(rep.errors.total, 0);
	CHECK(rep.id > 0);
	CHECK_INT(strlen(rep.sha256), 64);
	int64_t first_id = rep.id;

	/* hand-computed: see the comments in a.xml's events */
	check_cov(db, "T-S1", "2019-12-31", 1, 0);
	check_cov(db, "T-S1", "2026-01-31", 3, 0);
	check_cov(db, "T-S1", "2026-02-09", 3, 0);
	check_cov(db, "T-S1", "2026-02-10", 3, 1);
	check_cov(db, "T-S1", "2026-03-31", 4, 2);
	check_cov(db, "T-S1", "2026-04-19", 4, 3);
	check_cov(db, "T-S1", "2026-04-20", 4, 2);
	check_cov(db, "T-S1", "2026-05-01", 3, 2);
	check_cov(db, "T-S1", "2026-05-19", 3, 2);
	check_cov(db, "T-S1", "2026-05-20", 3, 2);
	check_cov(db, "T-S1", "2026-06-29", 3, 2);
	check_cov(db, "T-S1", "2026-06-30", 3, 3);
	check_cov(db, "T", "2026-06-30", 3, 3);
	check_cov(db, NULL, "2026-06-30", 3, 3);
	check_cov(db, "T-S2", "2026-06-30", 0, 0);
	check_cov(db, "T-MKT", "2026-06-30", 0, 0);

	struct meter_coverage c;
	CHECK_INT(meter_coverage_at(db, 999999, "2026-06-30", &c), GS_ERR_NOT_FOUND);
	CHECK_INT(meter_coverage_at(db, 0, "2026-02-30", &c), GS_ERR_INVALID);
	CHECK_INT(meter_coverage_at(db, 0, "yesterday", &c), GS_ERR_INVALID);

	/* months: each as of its last day, the running month as of today */
	struct meter_coverage *m = NULL;
	size_t n = 0;
	CHECK_INT(meter_coverage_months(db, unit_id(db, "T"), "2026-01", "2026-07", "2026-07-10", &m, &n), GS_OK);
	CHECK_INT(n, 7);
	if (n == 7) {
		static const long pts[] = {3, 3, 4, 4, 3, 3, 3}, sm[] = {0, 1, 2, 2, 2, 3, 3};
		for (int i = 0; i < 7; i++) {
			CHECK_INT(m[i].points, pts[i]);
			CHECK_INT(m[i].smart, sm[i]);
		}
		CHECK_STR(m[0].day, "2026-01-31");
		CHECK_STR(m[1].day, "2026-02-28");
		CHECK_STR(m[6].day, "2026-07-10");
	}
	free(m);
	CHECK_INT(meter_coverage_months(db, 0, "2026-07", "2026-01", "2026-07-10", &m, &n), GS_ERR_INVALID);
	CHECK_INT(meter_coverage_months(db, 0, "2026-13", "2026-14", "2026-07-10", &m, &n), GS_ERR_INVALID);

	/* projection: on 2026-06-29 one point is uncovered, 90 days earlier two were */
	struct meter_projection_s p;
	int64_t s1 = unit_id(db, "T-S1");
	CHECK_INT(meter_projection(db, s1, "2026-06-29", &p), GS_OK);
	CHECK_STR(p.target, "2026-12-31");
	CHECK_STR(p.projected, "2026-09-27");
	CHECK(p.per_day > 0.0111 && p.per_day < 0.0112);
	CHECK_INT(p.late, 0);
	CHECK_INT(meter_projection(db, s1, "2026-07-10", &p), GS_OK);
	CHECK_STR(p.projected, "2026-07-10"); /* full */
	CHECK_INT(p.late, 0);
	CHECK_INT(db_exec(db, "INSERT INTO settings(name, value) VALUES ('coverage.target_date', '2026-09-01')"), GS_OK);
	CHECK_INT(meter_projection(db, s1, "2026-06-29", &p), GS_OK);
	CHECK_STR(p.target, "2026-09-01");
	CHECK_INT(p.late, 1);
	/* a window in which nothing got better: no projection, late */
	CHECK_INT(db_exec(db, "INSERT INTO settings(name, value) VALUES ('coverage.window_days', '30')"), GS_OK);
	CHECK_INT(meter_projection(db, s1, "2026-06-29", &p), GS_OK);
	CHECK_STR(p.projected, "");
	CHECK_INT(p.late, 1);
	CHECK_INT(db_exec(db, "DELETE FROM settings WHERE name LIKE 'coverage.%'"), GS_OK);

	/* stations list: ordered by rate, then code */
	struct meter_station_coverage *sv = NULL;
	CHECK_INT(meter_stations(db, 0, "2026-06-29", &sv, &n), GS_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(sv[0].code, "T-S2");
		CHECK_INT(sv[0].cov.points, 0);
		CHECK_STR(sv[1].code, "T-S1");
		CHECK_INT(sv[1].cov.points, 3);
		CHECK_INT(sv[1].cov.smart, 2);
		CHECK_STR(sv[1].proj.projected, "2026-09-27");
	}
	meter_stations_free(sv, n);

	/* uncovered points */
	struct collect col = {""};
	CHECK_INT(meter_uncovered_each(db, s1, "2026-06-29", collect_point, &col), GS_OK);
	CHECK_STR(col.codes, "T-S1/P3/residential/2026-03-01");
	col.codes[0] = '\0';
	CHECK_INT(meter_uncovered_each(db, 0, "2026-04-30", collect_point, &col), GS_OK);
	CHECK_STR(col.codes, "T-S1/P3/residential/2026-03-01,T-S1/P4/residential/2019-05-01");

	/* the same file again: already, nothing written at all */
	char *before = dump(db, 1);
	CHECK_INT(import(db, DATA "a.xml", "2026-07-10", &rep), GS_OK);
	CHECK_STR(rep.status, "already");
	CHECK_INT(rep.earlier_id, first_id);
	char *after = dump(db, 1);
	CHECK_STR(after, before);
	free(after);

	/* a dry run of a later file: counts, nothing written */
	struct meter_import_opts o;
	opts_pin(&o, "2026-07-10");
	o.dry_run = 1;
	CHECK_INT(meter_import_run(db, DATA "b.xml", &o, &rep), GS_OK);
	CHECK_STR(rep.status, "dry-run");
	CHECK_INT(rep.id, 0);
	CHECK_INT(rep.records, 4);
	CHECK_INT(rep.inserted, 2);
	CHECK_INT(rep.updated, 1);
	CHECK_INT(rep.unchanged, 1);
	after = dump(db, 1);
	CHECK_STR(after, before);
	free(after);
	free(before);

	/* the later file, sent with an API token: upsert counts; history before it stays exact */
	opts_pin(&o, "2026-07-10");
	o.actor = "queue-7";
	CHECK_INT(meter_import_run(db, DATA "b.xml", &o, &rep), GS_OK);
	CHECK_STR(rep.status, "imported");
	CHECK_INT(rep.inserted, 2);
	CHECK_INT(rep.updated, 1);
	CHECK_INT(rep.unchanged, 1);
	check_cov(db, "T-S1", "2026-06-30", 3, 3);
	check_cov(db, "T-S1", "2026-07-04", 4, 3);
	check_cov(db, "T-S1", "2026-07-10", 4, 4);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db_handle(db), "SELECT model FROM meters WHERE serial = 'S4'", -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "B7-rev2") == 0);
	sqlite3_finalize(st);
	/* the legacy meter L1 was created and ends on the install day */
	sqlite3_prepare_v2(db_handle(db),
			   "SELECT m.smart, l.until FROM meters m JOIN meter_links l ON l.meter_id = m.id WHERE m.key "
			   "= 'm:L1'",
			   -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0 &&
	      strcmp((const char *)sqlite3_column_text(st, 1), "2026-02-10") == 0);
	sqlite3_finalize(st);
	/* an mRID is stored once, in the key (migration 009) */
	sqlite3_prepare_v2(db_handle(db), "SELECT count(*) FROM meters WHERE mrid IS NOT NULL AND key GLOB 'm:*'", -1,
			   &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
	sqlite3_finalize(st);

	/* the log */
	struct meter_import_row *rows = NULL;
	CHECK_INT(meter_imports_list(db, 0, 0, 10, 0, &rows, &n), GS_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(rows[0].file_name, "b.xml");
		CHECK_STR(rows[0].status, "imported");
		CHECK_STR(rows[0].station_code, "T-S1");
		CHECK_INT(rows[0].inserted, 2);
		CHECK(rows[0].user_login == NULL);
		CHECK(rows[0].actor && strcmp(rows[0].actor, "queue-7") == 0);
		CHECK_STR(rows[1].file_id, "a-1");
		CHECK(rows[1].actor == NULL); /* the command line */
	}
	meter_imports_free(rows, n);
	struct meter_import_row one;
	CHECK_INT(meter_import_get(db, rep.id, &one, NULL), GS_OK);
	CHECK(one.actor && strcmp(one.actor, "queue-7") == 0);
	meter_import_row_clear(&one);
	check_daily_rebuilt(db);
	CHECK_INT(meter_imports_list(db, unit_id(db, "T-S2"), 0, 10, 0, &rows, &n), GS_OK);
	CHECK_INT(n, 0);
	meter_imports_free(rows, n);
	db_close(db);
}

/* A conflict: the import is rejected with the error at line and field, the database
 * is as before apart from the log, which keeps the rejection and its errors. */
static void expect_conflict(struct db *db, const char *name, const char *xml, long line, const char *field,
			    const char *words)
{
	const char *path = write_tmp(name, xml);
	char *before = dump(db, 0);
	struct meter_import_report rep;
	enum gs_result r = import(db, path, "2026-07-10", &rep);
	CHECK_INT(r, GS_ERR_INVALID);
	CHECK_STR(rep.status, "rejected");
	CHECK(rep.errors.n >= 1);
	int found = 0;
	for (size_t i = 0; i < rep.errors.n; i++)
		if (rep.errors.e[i].line == line && strcmp(rep.errors.e[i].field, field) == 0 &&
		    strstr(rep.errors.e[i].message, words))
			found = 1;
	if (!found) {
		fprintf(stderr, "%s: expected an error at line %ld, field %s, saying '%s'; got:\n", name, line, field, words);
		meter_report_print(&rep, name, stderr);
	}
	CHECK(found);
	char *after = dump(db, 0);
	CHECK_STR(after, before);
	free(before);
	free(after);
	struct meter_import_row row;
	struct rollout_errors *errs = xmalloc(sizeof *errs);
	CHECK_INT(meter_import_get(db, rep.id, &row, errs), GS_OK);
	CHECK_STR(row.status, "rejected");
	CHECK_INT(row.n_errors, (long)rep.errors.total);
	CHECK_INT(errs->n, rep.errors.n);
	if (errs->n)
		CHECK_INT(errs->e[0].line, rep.errors.e[0].line);
	meter_import_row_clear(&row);
	free(errs);
}

#define HEAD(station, id)                                                                                       \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"" station \
	"\" file-id=\"" id "\" generated-at=\"2026-07-08T10:00:00+08:00\">\n"

static void test_conflicts(void)
{
	struct db *db = open_fixture();
	struct meter_import_report rep;
	CHECK_INT(import(db, DATA "a.xml", "2026-07-10", &rep), GS_OK);

	expect_conflict(db, "other-station.xml",
			HEAD("T-S2", "c1") "<inventory>\n<point code=\"P9\" class=\"residential\" since=\"2020-01-01\"/>\n"
					   "<point code=\"P1\" class=\"residential\" since=\"2020-01-01\"/>\n"
					   "</inventory>\n</rollout>\n",
			5, "code", "belongs to station T-S1");
	expect_conflict(db, "other-station-event.xml",
			HEAD("T-S2", "c2") "<events>\n<install meter=\"M20\" point=\"P1\" date=\"2026-07-01\"/>\n"
					   "</events>\n</rollout>\n",
			4, "point", "belongs to station T-S1");
	expect_conflict(db, "two-smart.xml",
			HEAD("T-S1", "c3") "<events>\n<install meter=\"M9\" point=\"P1\" date=\"2026-06-01\"/>\n"
					   "</events>\n</rollout>\n",
			4, "meter", "two smart meters on metering point P1");
	expect_conflict(db, "remove-before-install.xml",
			HEAD("T-S1", "c4") "<events>\n<remove serial=\"S4\" manufacturer=\"Bolt\" point=\"P3\" "
					   "date=\"2026-06-01\"/>\n</events>\n</rollout>\n",
			4, "meter", "removal before installation");
	expect_conflict(db, "future.xml",
			HEAD("T-S1", "c5") "<events>\n<install meter=\"M9\" point=\"P3\" date=\"2026-07-11\"/>\n"
					   "</events>\n</rollout>\n",
			4, "date", "after today");
	expect_conflict(db, "unknown-point.xml",
			HEAD("T-S1", "c6") "<events>\n<install meter=\"M9\" point=\"P99\" date=\"2026-07-01\"/>\n"
					   "</events>\n</rollout>\n",
			4, "point", "unknown metering point P99");
	expect_conflict(db, "dup-meter.xml",
			HEAD("T-S1", "c7") "<inventory>\n<point code=\"P7\" class=\"residential\" since=\"2020-01-01\"/>\n"
					   "<point code=\"P8\" class=\"residential\" since=\"2020-01-01\"/>\n</inventory>\n"
					   "<events>\n<install meter=\"M7\" point=\"P7\" date=\"2026-07-01\"/>\n"
					   "<install meter=\"M7\" point=\"P8\" date=\"2026-07-01\"/>\n</events>\n</rollout>\n",
			9, "meter", "installed twice in this file (first at line 8)");
	expect_conflict(db, "dup-point.xml",
			HEAD("T-S1", "c8") "<inventory>\n<point code=\"P7\" class=\"residential\" since=\"2020-01-01\"/>\n"
					   "<point code=\"P7\" class=\"public\" since=\"2021-01-01\"/>\n</inventory>\n"
					   "</rollout>\n",
			5, "code", "appears twice in this file (first at line 4)");
	expect_conflict(db, "not-on-point.xml",
			HEAD("T-S1", "c9") "<events>\n<remove meter=\"M1\" point=\"P2\" date=\"2026-07-01\"/>\n"
					   "</events>\n</rollout>\n",
			4, "meter", "is not on metering point P2");
	expect_conflict(db, "replace-unknown.xml",
			HEAD("T-S1", "c10") "<events>\n<replace meter=\"M11\" point=\"P2\" date=\"2026-07-01\" "
					    "old-meter=\"M404\"/>\n</events>\n</rollout>\n",
			4, "old-meter", "meter M404 is unknown");
	expect_conflict(db, "until-before-since.xml",
			HEAD("T-S1", "c11") "<inventory>\n<point code=\"P7\" class=\"residential\" since=\"2020-01-01\" "
					    "until=\"2019-01-01\"/>\n</inventory>\n</rollout>\n",
			4, "until", "before in service since");
	expect_conflict(db, "no-meter-id.xml",
			HEAD("T-S1", "c12") "<events>\n<install serial=\"S77\" point=\"P3\" date=\"2026-07-01\"/>\n"
					    "</events>\n</rollout>\n",
			4, "meter", "needs an mRID");
	expect_conflict(db, "unknown-station.xml",
			HEAD("T-NOPE", "c13") "<inventory>\n<point code=\"P7\" class=\"residential\" "
					      "since=\"2020-01-01\"/>\n</inventory>\n</rollout>\n",
			2, "station", "unknown station");
	expect_conflict(db, "team-station.xml", HEAD("T-S1-A", "c14") "</rollout>\n", 2, "station", "not a station");
	expect_conflict(db, "schema.xml",
			HEAD("T-S1", "c15") "<inventory>\n<point code=\"P7\" class=\"castle\" since=\"2020-01-01\"/>\n"
					    "</inventory>\n</rollout>\n",
			4, "class", "castle");
	/* the second error of a replace chain ending a meter twice */
	expect_conflict(db, "end-twice.xml",
			HEAD("T-S1", "c16") "<events>\n<remove meter=\"M1\" point=\"P1\" date=\"2026-07-01\"/>\n"
					    "<remove meter=\"M1\" point=\"P1\" date=\"2026-07-02\"/>\n</events>\n</rollout>\n",
			5, "meter", "meter M1 is taken off metering point P1 twice in this file (first at line 4)");

	/* scope: a station user of T-S2 may not import T-S1's file */
	struct meter_import_opts o;
	opts_pin(&o, "2026-07-10");
	o.scope_unit = unit_id(db, "T-S2");
	char *before = dump(db, 0);
	const char *path = write_tmp("scoped.xml", HEAD("T-S1", "c20") "<inventory>\n<point code=\"P7\" "
								      "class=\"residential\" since=\"2020-01-01\"/>\n"
								      "</inventory>\n</rollout>\n");
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_ERR_FORBIDDEN);
	CHECK_STR(rep.status, "rejected");
	CHECK(rep.id > 0);
	char *after = dump(db, 0);
	CHECK_STR(after, before);
	free(after);
	/* the same unit scope on its own station's file is fine */
	o.scope_unit = unit_id(db, "T");
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_OK);
	CHECK_STR(rep.status, "imported");
	int64_t scoped_id = rep.id;
	free(before);
	/* sent again by T-S2's user: refused as any file of T-S1 would be, not "already",
	 * which would tell that T-S1's file exists; the refusal is logged */
	opts_pin(&o, "2026-07-10");
	o.scope_unit = unit_id(db, "T-S2");
	before = dump(db, 0);
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_ERR_FORBIDDEN);
	CHECK_STR(rep.status, "rejected");
	CHECK_INT(rep.earlier_id, 0);
	CHECK(rep.id > 0 && rep.id != scoped_id);
	CHECK(rep.errors.n == 1 && strstr(rep.errors.e[0].message, "outside the units you may import for"));
	after = dump(db, 0);
	CHECK_STR(after, before);
	free(after);
	free(before);
	/* and by T-S1's own user: already */
	o.scope_unit = unit_id(db, "T-S1");
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_OK);
	CHECK_STR(rep.status, "already");
	CHECK_INT(rep.earlier_id, scoped_id);

	/* a rejected file is not "already imported": fixed, it goes in; the rejection is listed */
	struct meter_import_row *rows = NULL;
	size_t n = 0;
	CHECK_INT(meter_imports_list(db, 0, 0, 100, 0, &rows, &n), GS_OK);
	size_t rejected = 0;
	for (size_t i = 0; i < n; i++)
		rejected += strcmp(rows[i].status, "rejected") == 0;
	CHECK_INT(rejected, 18);
	meter_imports_free(rows, n);

	/* dry run of a bad file: rejected, no log row */
	opts_pin(&o, "2026-07-10");
	o.dry_run = 1;
	before = dump(db, 1);
	path = write_tmp("dry-bad.xml", HEAD("T-S1", "c21") "<events>\n<install meter=\"M9\" point=\"P99\" "
								"date=\"2026-07-01\"/>\n</events>\n</rollout>\n");
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_ERR_INVALID);
	CHECK_STR(rep.status, "rejected");
	CHECK_INT(rep.id, 0);
	after = dump(db, 1);
	CHECK_STR(after, before);
	free(after);
	free(before);
	db_close(db);
}

static void test_iec(int linkage_first)
{
	struct db *db = open_fixture();
	int64_t s2 = unit_id(db, "T-S2");
	CHECK_INT(meter_source_map(db, "CIS", s2), GS_OK);
	CHECK_INT(meter_source_map(db, "CIS", unit_id(db, "T-S1-A")), GS_ERR_NOT_FOUND);
	struct meter_import_report rep;
	CHECK_INT(import(db, DATA "usagepointconfig-soap.xml", "2026-05-10", &rep), GS_OK);
	CHECK_STR(rep.format, "iec-usagepointconfig");
	CHECK_STR(rep.station, "T-S2");
	CHECK_STR(rep.file_id, "sample-usagepoints-0001");
	CHECK_INT(rep.records, 4);
	CHECK_INT(rep.inserted, 4);
	check_cov(db, "T-S2", "2026-03-31", 4, 0);
	check_cov(db, "T-S2", "2026-05-06", 3, 0);

	const char *second = linkage_first ? DATA "linkage-bare.xml" : DATA "meterconfig-request.xml";
	const char *third = linkage_first ? DATA "meterconfig-request.xml" : DATA "linkage-bare.xml";
	CHECK_INT(import(db, second, "2026-05-10", &rep), GS_OK);
	CHECK_STR(rep.status, "imported");
	check_cov(db, "T-S2", "2026-05-06", 3, 0); /* a link alone, or meters alone, cover nothing */
	CHECK_INT(import(db, third, "2026-05-10", &rep), GS_OK);
	CHECK_STR(rep.status, "imported");
	if (linkage_first) {
		CHECK_INT(rep.records, 4);
		CHECK_INT(rep.inserted, 3);
		CHECK_INT(rep.updated, 1); /* the placeholder the link made */
	}
	check_cov(db, "T-S2", "2026-05-01", 3, 0);
	check_cov(db, "T-S2", "2026-05-02", 3, 1);
	check_cov(db, "T-S2", "2026-05-06", 3, 1);
	check_cov(db, "T", "2026-05-06", 3, 1);

	/* the same MessageID again, in a file that differs in bytes: already */
	char *before = dump(db, 1);
	char *text = NULL;
	size_t len;
	CHECK_INT(util_read_file(DATA "meterconfig-request.xml", 1 << 20, &text, &len), GS_OK);
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, text);
	buf_puts(&b, "<!-- sent again -->\n");
	const char *path = write_tmp("meterconfig-again.xml", b.data);
	buf_free(&b);
	free(text);
	CHECK_INT(import(db, path, "2026-05-10", &rep), GS_OK);
	CHECK_STR(rep.status, "already");
	CHECK(rep.earlier_id > 0);
	char *after = dump(db, 1);
	CHECK_STR(after, before);
	free(after);
	free(before);
	check_daily_rebuilt(db);
	db_close(db);
}

static void test_iec_conflicts(void)
{
	struct db *db = open_fixture();
	struct meter_import_report rep;
	/* no station for usage points */
	expect_conflict(db, "up-nostation.xml",
			"<UsagePointConfig xmlns=\"http://iec.ch/TC57/2011/UsagePointConfig#\">\n<UsagePoint>"
			"<mRID>UP-1</mRID><ConfigurationEvents><createdDateTime>2020-01-01T00:00:00+08:00"
			"</createdDateTime></ConfigurationEvents></UsagePoint>\n</UsagePointConfig>\n",
			1, "Source", "needs a station");
	CHECK_INT(meter_source_map(db, "CIS", unit_id(db, "T-S2")), GS_OK);
	CHECK_INT(import(db, DATA "usagepointconfig-soap.xml", "2026-05-10", &rep), GS_OK);
	/* a link to an unknown usage point */
	expect_conflict(db, "link-unknown.xml",
			"<MasterDataLinkageConfig xmlns=\"http://iec.ch/TC57/2011/MasterDataLinkageConfig#\">\n"
			"<ConfigurationEvent><effectiveDateTime>2026-05-02T10:00:00+08:00</effectiveDateTime>"
			"</ConfigurationEvent>\n<Meter><mRID>X1</mRID></Meter>\n<UsagePoint><mRID>UP-404</mRID>"
			"</UsagePoint>\n</MasterDataLinkageConfig>\n",
			3, "UsagePoint", "unknown metering point UP-404");
	/* removal before installation in MeterConfig */
	expect_conflict(db, "meter-order.xml",
			"<MeterConfig xmlns=\"http://iec.ch/TC57/2011/MeterConfig#\">\n<Meter><mRID>X2</mRID>"
			"<lifecycle><installationDate>2026-05-02</installationDate><removalDate>2026-04-01"
			"</removalDate></lifecycle></Meter>\n</MeterConfig>\n",
			2, "removalDate", "removal before installation");
	/* a usage point of another station when the station is known */
	struct meter_import_opts o;
	opts_pin(&o, "2026-05-10");
	o.station_id = unit_id(db, "T-S1");
	const char *path = write_tmp("link-other.xml",
				     "<MasterDataLinkageConfig xmlns=\"http://iec.ch/TC57/2011/MasterDataLinkageConfig#\">\n"
				     "<ConfigurationEvent><effectiveDateTime>2026-05-02T10:00:00+08:00</effectiveDateTime>"
				     "</ConfigurationEvent>\n<Meter><mRID>X1</mRID></Meter>\n<UsagePoint><mRID>UP-0000101"
				     "</mRID></UsagePoint>\n</MasterDataLinkageConfig>\n");
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_ERR_INVALID);
	CHECK(rep.errors.n >= 1 && strstr(rep.errors.e[0].message, "belongs to station T-S2") != NULL);
	/* two smart meters linked to one point on overlapping days */
	CHECK_INT(import(db, DATA "meterconfig-request.xml", "2026-05-10", &rep), GS_OK);
	CHECK_INT(import(db, DATA "linkage-bare.xml", "2026-05-10", &rep), GS_OK);
	expect_conflict(db, "link-second.xml",
			"<MasterDataLinkageConfig xmlns=\"http://iec.ch/TC57/2011/MasterDataLinkageConfig#\">\n"
			"<ConfigurationEvent><effectiveDateTime>2026-05-04T10:00:00+08:00</effectiveDateTime>"
			"</ConfigurationEvent>\n<Meter><mRID>7d0f8a52-1c1e-4d55-9a55-000000000102</mRID></Meter>\n"
			"<UsagePoint><mRID>UP-0000101</mRID></UsagePoint>\n</MasterDataLinkageConfig>\n",
			3, "Meter", "two smart meters on metering point UP-0000101");
	db_close(db);
}

static enum gs_result stop_after_one(void *ctx, const char *station, const char *point, const char *cls,
				     const char *since)
{
	(*(int *)ctx)++;
	return GS_ERR_CONFLICT;
}

/* Size cap, the log's visibility rules, the source map, a callback that stops. */
static void test_edges(void)
{
	struct db *db = open_fixture();
	struct meter_import_report rep;
	struct meter_import_opts o;
	opts_pin(&o, "2026-07-10");
	o.limits.max_file_bytes = 100;
	o.user_id = 0;
	CHECK_INT(meter_import_run(db, DATA "a.xml", &o, &rep), GS_ERR_TOO_LARGE);
	CHECK_STR(rep.status, "rejected");
	CHECK(rep.id > 0);
	CHECK(rep.errors.n == 1 && strstr(rep.errors.e[0].message, "more than the limit") != NULL);
	check_cov(db, "T-S1", "2026-06-30", 0, 0);

	/* a rejected file of no known station is listed to its uploader (and to "all") only */
	CHECK_INT(db_exec(db, "INSERT INTO users(id, login, password_hash, role, unit_id, created_at) VALUES (7, "
			      "'s1', 'x', 'station', (SELECT id FROM units WHERE code = 'T-S1'), 0), (8, 's2', "
			      "'x', 'station', (SELECT id FROM units WHERE code = 'T-S2'), 0)"),
		 GS_OK);
	opts_pin(&o, "2026-07-10");
	o.user_id = 7;
	const char *path = write_tmp("not-xml.xml", "this is not XML\n");
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_ERR_INVALID);
	int64_t bad_id = rep.id;
	CHECK(bad_id > 0);
	struct meter_import_row *rows = NULL;
	size_t n = 0;
	CHECK_INT(meter_imports_list(db, unit_id(db, "T-S1"), 7, 10, 0, &rows, &n), GS_OK);
	CHECK(n >= 1 && rows[0].id == bad_id && rows[0].user_login && strcmp(rows[0].user_login, "s1") == 0);
	meter_imports_free(rows, n);
	CHECK_INT(meter_imports_list(db, unit_id(db, "T-S2"), 8, 10, 0, &rows, &n), GS_OK);
	for (size_t i = 0; i < n; i++)
		CHECK(rows[i].id != bad_id);
	meter_imports_free(rows, n);
	/* paging */
	CHECK_INT(meter_imports_list(db, 0, 0, 1, 1, &rows, &n), GS_OK);
	CHECK_INT(n, 1);
	meter_imports_free(rows, n);
	struct meter_import_row row;
	CHECK_INT(meter_import_get(db, 999999, &row, NULL), GS_ERR_NOT_FOUND);

	/* the source map: a station only; 0 removes the mapping */
	CHECK_INT(meter_source_map(db, "HES-NORTH", unit_id(db, "T-S1")), GS_OK);
	CHECK_INT(meter_source_map(db, "HES-NORTH", 0), GS_OK);
	CHECK_INT(meter_source_map(db, "", unit_id(db, "T-S1")), GS_ERR_INVALID);

	/* the uncovered list stops at the callback's first refusal */
	opts_pin(&o, "2026-07-10");
	CHECK_INT(meter_import_run(db, DATA "a.xml", &o, &rep), GS_OK);
	int calls = 0;
	CHECK_INT(meter_uncovered_each(db, 0, "2026-04-30", stop_after_one, &calls), GS_ERR_CONFLICT);
	CHECK_INT(calls, 1);
	CHECK_INT(meter_uncovered_each(db, 0, "2026-04-31", stop_after_one, &calls), GS_ERR_INVALID);
	/* a bad "today" is refused before anything happens */
	opts_pin(&o, "2026-13-01");
	CHECK_INT(meter_import_run(db, DATA "b.xml", &o, &rep), GS_ERR_INVALID);
	db_close(db);
}

/* The stored history by natural keys (ids differ between the two paths: the fast one
 * inserts a legacy meter beside the meter that replaces it, the general one after all). */
static char *dump_keys(struct db *db)
{
	static const char *const q[] = {
		"SELECT p.code, u.code, p.customer_class, p.since, p.until FROM meter_points p JOIN units u ON u.id = "
		"p.station_id ORDER BY p.code",
		"SELECT key, mrid, serial, manufacturer, model, smart, installed, removed, status FROM meters ORDER BY key",
		"SELECT m.key, p.code, l.since, l.until FROM meter_links l JOIN meters m ON m.id = l.meter_id JOIN "
		"meter_points p ON p.id = l.point_id ORDER BY 1, 2, 3",
		"SELECT u.code, d.day, d.d_points, d.d_smart, d.points, d.smart FROM meter_daily d JOIN units u ON u.id = "
		"d.station_id ORDER BY 1, 2",
		"SELECT file_name, format, status, records, inserted, updated, unchanged, n_errors FROM meter_imports "
		"ORDER BY id",
		"SELECT seq, line, col, field, message FROM meter_import_errors ORDER BY import_id, seq",
	};
	struct buf b;
	buf_init(&b, 16u << 20);
	for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
		sqlite3_stmt *s;
		CHECK_INT(sqlite3_prepare_v2(db_handle(db), q[k], -1, &s, NULL), SQLITE_OK);
		buf_printf(&b, "[%zu]\n", k);
		dump_rows(&b, s);
		sqlite3_finalize(s);
	}
	return buf_steal(&b, NULL);
}

/* One file imported after `before` (NULL: none) by the fast path (allowed) and by the
 * general path only, each on a fresh database: the same result, the same report and
 * errors, the same stored history, meter_daily equal to a rebuild. fast: whether the
 * fast path is expected to apply it. */
static void fast_same(const char *name, const char *before, const char *text, enum gs_result want, int fast)
{
	char *out[2];
	struct meter_import_report rep[2];
	for (int k = 0; k < 2; k++) {
		struct db *db = open_fixture();
		struct meter_import_opts o;
		opts_pin(&o, "2026-07-10");
		if (before) {
			o.no_fast = 1;
			CHECK_INT(meter_import_run(db, before, &o, &rep[k]), GS_OK);
		}
		o.no_fast = k;
		enum gs_result r = meter_import_run(db, write_tmp(name, text), &o, &rep[k]);
		if (r != want)
			fprintf(stderr, "fast_same %s (%s): %s, expected %s\n", name, k ? "general" : "fast",
				gs_result_str(r), gs_result_str(want));
		for (size_t i = 0; r != want && i < rep[k].errors.n; i++)
			fprintf(stderr, "  %ld:%ld %s: %s\n", rep[k].errors.e[i].line, rep[k].errors.e[i].column,
				rep[k].errors.e[i].field, rep[k].errors.e[i].message);
		CHECK_INT(r, want);
		CHECK_INT(rep[k].fast, k == 0 && fast);
		check_daily_rebuilt(db);
		out[k] = dump_keys(db);
		db_close(db);
	}
	if (strcmp(out[0], out[1]) != 0)
		fprintf(stderr, "fast_same %s: the paths differ\n--- fast\n%s--- general\n%s", name, out[0], out[1]);
	CHECK_STR(out[0], out[1]);
	CHECK_STR(rep[0].status, rep[1].status);
	CHECK_INT(rep[0].records, rep[1].records);
	CHECK_INT(rep[0].inserted, rep[1].inserted);
	CHECK_INT(rep[0].updated, rep[1].updated);
	CHECK_INT(rep[0].unchanged, rep[1].unchanged);
	CHECK_INT(rep[0].errors.total, rep[1].errors.total);
	for (size_t i = 0; i < rep[0].errors.n && i < rep[1].errors.n; i++) {
		CHECK_INT(rep[0].errors.e[i].line, rep[1].errors.e[i].line);
		CHECK_INT(rep[0].errors.e[i].column, rep[1].errors.e[i].column);
		CHECK_STR(rep[0].errors.e[i].field, rep[1].errors.e[i].field);
		CHECK_STR(rep[0].errors.e[i].message, rep[1].errors.e[i].message);
	}
	free(out[0]);
	free(out[1]);
}

#define FAST_HEAD                                                                                                 \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"T-S1\" "  \
	"file-id=\"f\" generated-at=\"2026-07-01T10:00:00+08:00\">\n<inventory>\n<point code=\"F1\" class=\"residential\" "         \
	"since=\"2020-01-01\"/>\n<point code=\"F2\" class=\"other\" since=\"2026-03-01\"/>\n<point code=\"F3\" class=\"other\" since=\"2019-05-01\" " \
	"until=\"2026-05-01\"/>\n</inventory>\n<events>\n"
#define FAST_TAIL "</events>\n</rollout>\n"

/* The many-points file of test_fast_path, compared by fast_same; `bad` adds an end of
 * meter N29 (its point: codes[29]; the third meter written, so its link is ended in the
 * first statement of ends): 1 on another point, 2 before its install, 3 of an unknown
 * meter N139, all after the file's events; 4 before them all (valid). */
static void fast_many(const char *name, int bad, enum gs_result want, int fast)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	buf_printf(&b, "<?xml version=\"1.0\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"T-S1\" "
	               "file-id=\"m\" generated-at=\"2026-07-01T10:00:00+08:00\">\n<inventory>\n");
	static const char *const pre[] = {"K", "K0", "K00", "KA", "KAB", "KB"};
	char codes[6 * 12][16];
	int n = 0;
	for (size_t p = 0; p < 6; p++)
		for (int i = 0; i < 12; i++)
			snprintf(codes[n++], sizeof codes[0], "%s%02d", pre[p], i);
	/* increasing order: K00.., K000.., ... as strcmp orders them */
	qsort(codes, (size_t)n, sizeof codes[0], (int (*)(const void *, const void *))strcmp);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "<point code=\"%s\" class=\"other\" since=\"20%02d-01-01\"/>\n", codes[i], 10 + i % 10);
	buf_printf(&b, "</inventory>\n<events>\n");
	if (bad == 4)
		buf_printf(&b, "<remove meter=\"N29\" point=\"%s\" date=\"2026-03-01\"/>\n", codes[29]);
	for (int j = 0; j < n; j++) {
		int i = (j * 29) % n;
		buf_printf(&b, "<install meter=\"N%d\" point=\"%s\" date=\"2025-%02d-01\" replaces=\"O%d\"/>\n", i,
		           codes[i], 1 + i % 12, i);
	}
	for (int j = 0; j < n; j++) {
		int i = (j * 17) % n;
		if (i % 3 == 0)
			buf_printf(&b,
			           "<replace meter=\"R%d\" point=\"%s\" date=\"2026-02-%02d\" old-meter=\"N%d\"/>\n", i,
			           codes[i], 1 + i % 28, i);
		else if (i % 4 == 0)
			buf_printf(&b, "<remove meter=\"N%d\" point=\"%s\" date=\"2026-03-%02d\"/>\n", i, codes[i],
			           1 + i % 28);
	}
	if (bad >= 1 && bad <= 3)
		buf_printf(&b, "<remove meter=\"N%d\" point=\"%s\" date=\"%s\"/>\n", bad == 3 ? 139 : 29,
		           codes[bad == 1 ? 30 : 29], bad == 2 ? "2024-03-01" : "2026-03-01");
	buf_printf(&b, FAST_TAIL);
	char *text = buf_steal(&b, NULL);
	fast_same(name, NULL, text, want, fast);
	free(text);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A wide inventory for the fast path's code search (many blocks of codes, which all
 * share a prefix longer than the 8 bytes of a block's key, of several lengths, so
 * that keys tie): installs in inventory order, then replaces and removals in no
 * order; `unknown` adds one event on a code not in the inventory: 1 between two
 * stored codes, 2 below the first, 3 above the last, 4 off the shared prefix, 5 a
 * stored code's prefix (each bails; the general path refuses the file). */
static void fast_wide(const char *name, int unknown)
{
	enum { N = 1500 };
	char *codes[N];
	for (int i = 0; i < N; i++)
		codes[i] = xasprintf("WIDE-STATION-%u%s", (unsigned)(i * 7919u % 100003u), i % 7 ? "" : "-X");
	qsort(codes, N, sizeof codes[0], str_cmp);
	struct buf b;
	buf_init(&b, 4u << 20);
	buf_printf(&b, "<?xml version=\"1.0\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"T-S1\" "
	               "file-id=\"w\" generated-at=\"2026-07-01T10:00:00+08:00\">\n<inventory>\n");
	for (int i = 0; i < N; i++)
		buf_printf(&b, "<point code=\"%s\" class=\"other\" since=\"2015-01-01\"/>\n", codes[i]);
	buf_printf(&b, "</inventory>\n<events>\n");
	for (int i = 0; i < N; i++)
		buf_printf(&b, "<install meter=\"W%d\" point=\"%s\" date=\"2025-01-01\" replaces=\"O%d\"/>\n", i,
		           codes[i], i);
	for (int j = 0; j < N; j++) {
		int i = (int)((unsigned)j * 611u % N);
		if (i % 3 == 0)
			buf_printf(&b, "<replace meter=\"V%d\" point=\"%s\" date=\"2026-02-01\" old-meter=\"W%d\"/>\n",
			           i, codes[i], i);
		else if (i % 5 == 0)
			buf_printf(&b, "<remove meter=\"W%d\" point=\"%s\" date=\"2026-03-01\"/>\n", i, codes[i]);
	}
	if (unknown) {
		static const char *const other[] = {
		    "", "WIDE-STATION-500000", "WIDE-STATION-0", "WIDE-STATION-99999", "WIDE-STATIO", "WIDE-STATION-1"};
		buf_printf(&b, "<install meter=\"U1\" point=\"%s\" date=\"2026-04-01\"/>\n", other[unknown]);
	}
	buf_printf(&b, FAST_TAIL);
	char *text = buf_steal(&b, NULL);
	fast_same(name, NULL, text, unknown ? GS_ERR_INVALID : GS_OK, !unknown);
	free(text);
	for (int i = 0; i < N; i++)
		free(codes[i]);
}

/* The first-import fast path against the general path, on files it applies and on
 * files it hands over (stored keys, conflicts, orders it does not handle). */
static void test_fast_path(void)
{
	/* applied by the fast path: legacy replaces, a replace, removals, a point closed, a
	 * meter without mRID, a zero-length link, installs before the point's service */
	fast_same("f-ok.xml", NULL,
		  FAST_HEAD "<install meter=\"A\" serial=\"1\" manufacturer=\"X\" point=\"F1\" date=\"2026-02-10\" "
			    "replaces=\"L1\"/>\n<install serial=\"2\" manufacturer=\"X\" point=\"F2\" date=\"2026-01-15\"/>\n"
			    "<install meter=\"C\" point=\"F3\" date=\"2026-03-01\" replaces=\"L3\"/>\n"
			    "<replace meter=\"B\" point=\"F1\" date=\"2026-05-20\" old-meter=\"A\"/>\n"
			    "<remove meter=\"C\" point=\"F3\" date=\"2026-04-20\"/>\n"
			    "<remove meter=\"B\" point=\"F1\" date=\"2026-06-01\"/>\n"
			    "<install meter=\"D\" point=\"F1\" date=\"2026-06-01\"/>\n"
			    "<replace meter=\"E\" point=\"F1\" date=\"2026-06-01\" old-meter=\"D\"/>\n" FAST_TAIL,
		  GS_OK, 1);
	fast_same("f-inventory.xml", NULL, FAST_HEAD FAST_TAIL, GS_OK, 1);
	/* valid, but an end before its start in the file: the general path applies it */
	fast_same("f-order.xml", NULL,
		  FAST_HEAD "<remove meter=\"C\" point=\"F3\" date=\"2026-04-20\"/>\n"
			    "<install meter=\"C\" point=\"F3\" date=\"2026-03-01\"/>\n" FAST_TAIL,
		  GS_OK, 0);
	/* valid, a point's installs out of date order in the file */
	fast_same("f-dates.xml", NULL,
		  FAST_HEAD "<install meter=\"B\" point=\"F1\" date=\"2026-05-01\"/>\n"
			    "<install meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n"
			    "<remove meter=\"A\" point=\"F1\" date=\"2026-03-01\"/>\n" FAST_TAIL,
		  GS_OK, 0);
	/* new points and meters beside stored ones: still a first import */
	fast_same("f-beside.xml", DATA "a.xml",
		  FAST_HEAD "<install meter=\"Z\" point=\"F1\" date=\"2026-02-10\"/>\n" FAST_TAIL, GS_OK, 1);
	/* stored points and meters: a second file goes the general path */
	fast_same("f-second.xml", DATA "a.xml",
		  FAST_HEAD "<install meter=\"Z\" point=\"F1\" date=\"2026-02-10\"/>\n<replace meter=\"Y\" "
			    "point=\"P1\" date=\"2026-06-10\" old-meter=\"M1\"/>\n" FAST_TAIL,
		  GS_OK, 0);
	fast_same("f-stored-meter.xml", DATA "a.xml",
		  "<?xml version=\"1.0\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"T-S1\">\n<inventory>\n"
		  "<point code=\"N1\" class=\"other\" since=\"2020-01-01\"/>\n</inventory>\n<events>\n"
		  "<install meter=\"M1\" point=\"N1\" date=\"2026-06-10\"/>\n" FAST_TAIL,
		  GS_ERR_INVALID, 0);
	/* errors in first files: the same errors as the general path */
	static const char *const bad[] = {
		"<install meter=\"A\" point=\"F1\" date=\"2026-08-01\"/>\n",                       /* future */
		"<install meter=\"A\" point=\"F9\" date=\"2026-02-01\"/>\n",                       /* unknown point */
		"<install meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n<install meter=\"A\" point=\"F2\" "
		"date=\"2026-04-01\"/>\n",                                                         /* meter twice */
		"<install meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n<install meter=\"B\" point=\"F1\" "
		"date=\"2026-04-01\"/>\n",                                                         /* two smart */
		"<remove meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n",                        /* unknown meter */
		"<install meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n<remove meter=\"A\" point=\"F2\" "
		"date=\"2026-04-01\"/>\n",                                                         /* other point */
		"<install meter=\"A\" point=\"F1\" date=\"2026-04-01\"/>\n<remove meter=\"A\" point=\"F1\" "
		"date=\"2026-02-01\"/>\n",                                                         /* before install */
		"<install meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n<remove meter=\"A\" point=\"F1\" "
		"date=\"2026-03-01\"/>\n<remove meter=\"A\" point=\"F1\" date=\"2026-04-01\"/>\n", /* twice */
		"<replace meter=\"B\" point=\"F1\" date=\"2026-02-01\" old-meter=\"Q\"/>\n",       /* old unknown */
		"<install meter=\"A\" point=\"F1\" date=\"2026-02-01\" replaces=\"L\"/>\n<install meter=\"B\" "
		"point=\"F2\" date=\"2026-04-01\" replaces=\"L\"/>\n",                             /* legacy twice */
		"<install meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n<install meter=\"B\" point=\"F2\" "
		"date=\"2026-04-01\" replaces=\"A\"/>\n",                                          /* smart as legacy */
		"<install point=\"F1\" date=\"2026-02-01\"/>\n",                                   /* no meter key */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *text = xasprintf(FAST_HEAD "%s" FAST_TAIL, bad[i]);
		char name[32];
		snprintf(name, sizeof name, "f-bad-%zu.xml", i);
		/* "smart as legacy" and "legacy twice" are valid files: compared all the same */
		fast_same(name, NULL, text, i == 9 || i == 10 ? GS_OK : GS_ERR_INVALID, 0);
		free(text);
	}
	/* an unknown point named before the first, between and after the inventory's codes
	 * (found in memory), a meter ended twice by a remove and a replace */
	static const char *const bad2[] = {
	    "<install meter=\"A\" point=\"F0\" date=\"2026-02-01\"/>\n",
	    "<install meter=\"A\" point=\"F15\" date=\"2026-02-01\"/>\n",
	    "<install meter=\"A\" point=\"G\" date=\"2026-02-01\"/>\n",
	    ("<install meter=\"A\" point=\"F1\" date=\"2026-02-01\"/>\n<remove meter=\"A\" point=\"F1\" "
	     "date=\"2026-03-01\"/>\n<replace meter=\"B\" point=\"F1\" date=\"2026-04-01\" old-meter=\"A\"/>\n"),
	};
	for (size_t i = 0; i < sizeof bad2 / sizeof bad2[0]; i++) {
		char *text = xasprintf(FAST_HEAD "%s" FAST_TAIL, bad2[i]);
		char name[32];
		snprintf(name, sizeof name, "f-bad2-%zu.xml", i);
		fast_same(name, NULL, text, GS_ERR_INVALID, 0);
		free(text);
	}
	/* an inventory not in code order: the points are looked up in the database */
	fast_same(
	    "f-unsorted.xml", NULL,
	    "<?xml version=\"1.0\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"T-S1\" file-id=\"u\" "
	    "generated-at=\"2026-07-01T10:00:00+08:00\">\n<inventory>\n"
	    "<point code=\"U2\" class=\"other\" since=\"2020-01-01\"/>\n<point code=\"U1\" class=\"other\" "
	    "since=\"2021-01-01\"/>\n<point code=\"U3\" class=\"other\" since=\"2021-01-01\"/>\n</inventory>\n"
	    "<events>\n<install meter=\"A\" point=\"U1\" date=\"2026-02-01\" replaces=\"L\"/>\n"
	    "<install meter=\"B\" point=\"U3\" date=\"2026-02-01\"/>\n<replace meter=\"C\" point=\"U1\" "
	    "date=\"2026-04-01\" old-meter=\"A\"/>\n<remove meter=\"B\" point=\"U3\" date=\"2026-05-01\"/>\n" FAST_TAIL,
	    GS_OK, 1);
	/* many points, codes sharing prefixes of every length (the in-memory code blocks),
	 * each with an install replacing a legacy meter, every third replaced, every
	 * fourth removed, in no point order: 36 ends, two full statements of ends */
	fast_many("f-many.xml", 0, GS_OK, 1);
	/* the same with one wrong end among them (in a full statement of ends): another
	 * point, before the meter's install, an unknown meter; and a meter ended before its
	 * install in the file (valid: the general path applies it) */
	fast_many("f-many-point.xml", 1, GS_ERR_INVALID, 0);
	fast_many("f-many-early.xml", 2, GS_ERR_INVALID, 0);
	fast_many("f-many-unknown.xml", 3, GS_ERR_INVALID, 0);
	fast_many("f-many-order.xml", 4, GS_OK, 0);
	for (int u = 0; u <= 5; u++) {
		char name[32];
		snprintf(name, sizeof name, "f-wide-%d.xml", u);
		fast_wide(name, u);
	}
	fast_same("f-dup-point.xml", NULL,
		  "<?xml version=\"1.0\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"T-S1\">\n<inventory>\n"
		  "<point code=\"D1\" class=\"other\" since=\"2020-01-01\"/>\n<point code=\"D1\" class=\"other\" since=\"2021-01-01\"/>\n"
		  "<point code=\"D2\" class=\"other\" since=\"2021-01-01\" until=\"2020-01-01\"/>\n</inventory>\n</rollout>\n",
		  GS_ERR_INVALID, 0);
}

/* A file that writes nothing imported twice: the fast path applies it the first time;
 * the second time it bails at the end, when its SHA-256 shows the earlier import, and
 * the answer is "already". */
static void test_already_empty(void)
{
	struct db *db = open_fixture();
	struct meter_import_opts o;
	opts_pin(&o, "2026-07-10");
	struct meter_import_report rep;
	const char *path = write_tmp("f-empty.xml", FAST_HEAD FAST_TAIL);
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_OK);
	CHECK_STR(rep.status, "imported");
	CHECK_INT(rep.fast, 1);
	int64_t first = rep.id;
	CHECK(first > 0);
	CHECK_INT(meter_import_run(db, path, &o, &rep), GS_OK);
	CHECK_STR(rep.status, "already");
	CHECK_INT(rep.earlier_id, first);
	CHECK_INT(rep.fast, 0);
	db_close(db);
}

static int64_t pragma_value(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The import's small page caches are its own: the connection's sizes come back after a
 * fast import, a general one and a rejected one. */
static void test_cache_restored(void)
{
	struct db *db = open_fixture();
	CHECK_INT(
	    sqlite3_exec(db_handle(db), "PRAGMA cache_size = -12345; PRAGMA temp.cache_size = 777", NULL, NULL, NULL),
	    SQLITE_OK);
	struct meter_import_report rep;
	CHECK_INT(import(db, DATA "a.xml", "2026-07-10", &rep), GS_OK);
	CHECK_STR(rep.status, "imported");
	CHECK_INT(pragma_value(db, "PRAGMA cache_size"), -12345);
	CHECK_INT(pragma_value(db, "PRAGMA temp.cache_size"), 777);
	CHECK_INT(import(db, DATA "b.xml", "2026-07-10", &rep), GS_OK);
	CHECK_INT(pragma_value(db, "PRAGMA cache_size"), -12345);
	CHECK_INT(pragma_value(db, "PRAGMA temp.cache_size"), 777);
	const char *bad = write_tmp("cache-bad.xml", "<?xml version=\"1.0\"?><nope/>");
	CHECK_INT(import(db, bad, "2026-07-10", &rep), GS_ERR_INVALID);
	CHECK_INT(pragma_value(db, "PRAGMA cache_size"), -12345);
	CHECK_INT(pragma_value(db, "PRAGMA temp.cache_size"), 777);
	db_close(db);
}

/* 1969-12-31 is a day like any other (day number -1); invalid dates are refused. */
static void test_days(void)
{
	struct db *db = open_fixture();
	struct meter_coverage cov;
	CHECK_INT(meter_coverage_at(db, 0, "1969-12-31", &cov), GS_OK);
	CHECK_INT(meter_coverage_at(db, 0, "1950-06-30", &cov), GS_OK);
	CHECK_INT(meter_coverage_at(db, 0, "1969-02-29", &cov), GS_ERR_INVALID);
	CHECK_INT(meter_coverage_at(db, 0, "1899-12-31", &cov), GS_ERR_INVALID);
	CHECK_INT(meter_coverage_at(db, 0, "1969-12-3x", &cov), GS_ERR_INVALID);
	db_close(db);
}

int main(void)
{
	const char *base = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	mkdir(base, 0700);
	snprintf(tmpdir, sizeof tmpdir, "%s/test_meter.%d", base, (int)getpid());
	mkdir(tmpdir, 0700);
	/* auto (one pass: the fixtures are small), then per point, then one pass forced */
	for (int k = 0; k < 4; k++) {
		/* each cov_plan with the fast path allowed, then the general path only */
		cov_plan = k < 3 ? k : 0;
		no_fast = k == 3;
		test_native();
		test_conflicts();
		test_iec(0);
		test_iec(1);
		test_iec_conflicts();
	}
	cov_plan = no_fast = 0;
	test_edges();
	test_fast_path();
	fast_chunk = 2; /* links and ends written two at a time */
	test_fast_path();
	/* batches ending inside a record's sequence (an install and its legacy meter's
	 * end, a chunk of links half written), so the slices run between them */
	pipe_batch = 3;
	test_fast_path();
	fast_chunk = 5;
	pipe_batch = 1;
	test_fast_path();
	fast_chunk = pipe_batch = 0;
	test_already_empty();
	test_cache_restored();
	test_days();
	return check_finish("test_meter");
}
