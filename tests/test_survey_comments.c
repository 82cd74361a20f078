/* test_survey_comments.c — the newest comments of a scope (survey_responses_each with
 * with_comment and a small limit) walk the commented-responses index (migration 008)
 * and must give exactly what the general query gives: every unit and hall of the demo
 * county, several ranges and limits, ties on the second, responses without comments
 * and flagged ones in between; a hall with three comments among 25,000 of another hall
 * (the walk stops at its cap and the scope's own rows answer); an empty scope; a bad
 * range. The expected lists come from one plain SQL statement. In-memory database;
 * run from the source folder. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "org.h"
#include "survey.h"
#include "util.h"

static struct db *db;

struct got {
	int64_t ids[128];
	size_t n;
	int bad;
};

static enum gs_result collect(void *ctx, const struct survey_response *r)
{
	struct got *g = ctx;
	if (g->n < 128)
		g->ids[g->n++] = r->id;
	if (!r->comment || !r->hall_code || !r->form_id)
		g->bad = 1;
	return GS_OK;
}

/* The expected ids: the scope's commented responses in range, newest first. */
static size_t expected(const struct survey_scope *sc, const char *from, const char *to, size_t limit, int64_t *ids)
{
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db_handle(db),
			   "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION ALL SELECT u.id FROM units u JOIN sub ON "
			   "u.parent_id = sub.id), hs(id) AS (SELECT id FROM halls WHERE (?1 = 0 AND id = ?2) OR "
			   "station_id IN sub) SELECT r.id FROM survey_responses r NOT INDEXED WHERE r.hall_id IN hs "
			   "AND r.day BETWEEN ?3 AND ?4 AND r.comment IS NOT NULL "
			   "ORDER BY r.submitted_at DESC, r.id DESC LIMIT ?5",
			   -1, &st, NULL);
	sqlite3_bind_int64(st, 1, sc->unit_id);
	sqlite3_bind_int64(st, 2, sc->unit_id ? 0 : sc->hall_id);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)limit);
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int same(const struct survey_scope *sc, const char *from, const char *to, size_t limit)
{
	int64_t want[128];
	size_t nw = expected(sc, from, to, limit, want);
	struct got g = {0};
	if (survey_responses_each(db, sc, from, to, 0, 1, limit, collect, &g) != GS_OK || g.bad)
		return 0;
	if (g.n != nw) {
		fprintf(stderr, "scope %lld/%lld %s..%s limit %zu: %zu rows, expected %zu\n", (long long)sc->unit_id,
			(long long)sc->hall_id, from, to, limit, g.n, nw);
		return 0;
	}
	for (size_t i = 0; i < nw; i++)
		if (g.ids[i] != want[i])
			return 0;
	return 1;
}

int main(void)
{
	char err[512];
	CHECK_INT(db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, err, sizeof err), GS_OK);
	struct org_load_report *orep = xcalloc(1, sizeof *orep);
	CHECK_INT(org_load_file(db, "src/demo/county-org.xml", orep), GS_OK);
	free(orep);
	int64_t form_row = 0;
	CHECK_INT(survey_form_register(db, "c", "1", "<x/>", 4, &form_row), GS_OK);

	/* 3,000 responses over 60 days in every hall, submitted_at in no particular id order
	 * (as a bulk load or the demo writes them), every third with a comment, ties on the
	 * second, some flagged */
	sqlite3_stmt *ins = NULL;
	sqlite3_prepare_v2(db_handle(db),
			   "INSERT INTO survey_responses(hall_id, form, submitted_at, day, hour, rating, satisfied, "
			   "answers, comment, verified, instance, flags) VALUES(?1, ?2, ?3, ?4, 10, ?5, ?5 >= 4, '{}', "
			   "?6, 0, ?7, ?8)",
			   -1, &ins, NULL);
	struct org_hall *halls = NULL;
	size_t nh = 0;
	CHECK_INT(org_halls_list(db, 0, &halls, &nh), GS_OK);
	CHECK(nh >= 3);
	CHECK_INT(db_begin(db), GS_OK);
	uint32_t seed = 12345;
	for (int i = 0; i < 3000; i++) {
		seed = seed * 1103515245u + 12345u;
		int day = (int)((seed >> 8) % 60);
		int sec = (int)((seed >> 4) % 50); /* few distinct seconds: ties */
		int64_t t = (int64_t)(survey_day_number("2026-03-01") + day) * 86400 - 8 * 3600 + 10 * 3600 + sec;
		char d[11], inst[32];
		survey_local_time(t, d, NULL, NULL);
		snprintf(inst, sizeof inst, "c-%d", i);
		sqlite3_bind_int64(ins, 1, halls[(seed >> 16) % nh].id);
		sqlite3_bind_int64(ins, 2, form_row);
		sqlite3_bind_int64(ins, 3, t);
		sqlite3_bind_text(ins, 4, d, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 5, 1 + (int)((seed >> 20) % 5));
		if (i % 3 == 0)
			sqlite3_bind_text(ins, 6, "a comment", -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 6);
		sqlite3_bind_text(ins, 7, inst, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 8, i % 7 == 0);
		CHECK_INT(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	CHECK_INT(db_commit(db), GS_OK);

	struct org_unit *units = NULL;
	size_t nu = 0;
	CHECK_INT(org_units_list(db, 0, &units, &nu), GS_OK);
	const char *ranges[][2] = {{"2026-03-01", "2026-04-29"}, {"2026-03-10", "2026-03-20"},
				   {"2026-04-29", "2026-04-29"}, {"2025-01-01", "2025-12-31"}};
	size_t limits[] = {1, 5, 10, 100};
	int all_same = 1;
	for (size_t r = 0; r < 4; r++)
		for (size_t l = 0; l < 4; l++) {
			for (size_t i = 0; i < nu; i++) {
				struct survey_scope sc = {.unit_id = units[i].id};
				all_same &= same(&sc, ranges[r][0], ranges[r][1], limits[l]);
			}
			for (size_t i = 0; i < nh; i++) {
				struct survey_scope sc = {.hall_id = halls[i].id};
				all_same &= same(&sc, ranges[r][0], ranges[r][1], limits[l]);
			}
		}
	CHECK(all_same);

	/* the walk's cap: 25,000 newer comments at one hall, then three at another */
	CHECK_INT(db_exec(db, "DELETE FROM survey_responses"), GS_OK);
	char *sql = xasprintf(
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000) "
		"INSERT INTO survey_responses(hall_id, form, submitted_at, day, hour, rating, satisfied, answers, "
		"comment, verified, instance) SELECT %lld, %lld, 1780000000 + i, '2026-05-28', 10, 5, 1, '{}', 'x', 0, "
		"'cap-' || i FROM n",
		(long long)halls[0].id, (long long)form_row);
	CHECK_INT(db_exec(db, sql), GS_OK);
	free(sql);
	sql = xasprintf("INSERT INTO survey_responses(hall_id, form, submitted_at, day, hour, rating, satisfied, "
			"answers, comment, verified, instance) VALUES(%lld, %lld, 1779000000, '2026-05-17', 10, 2, 0, "
			"'{}', 'old one', 0, 'few-1'), (%lld, %lld, 1779000100, '2026-05-17', 10, 2, 0, '{}', "
			"'old two', 0, 'few-2'), (%lld, %lld, 1779000200, '2026-05-17', 10, 2, 0, '{}', NULL, 0, "
			"'few-3'), (%lld, %lld, 1779000300, '2026-05-17', 10, 2, 0, '{}', 'old three', 0, 'few-4')",
			(long long)halls[1].id, (long long)form_row, (long long)halls[1].id, (long long)form_row,
			(long long)halls[1].id, (long long)form_row, (long long)halls[1].id, (long long)form_row);
	CHECK_INT(db_exec(db, sql), GS_OK);
	free(sql);
	struct survey_scope few = {.hall_id = halls[1].id}, many = {.hall_id = halls[0].id};
	CHECK(same(&few, "2026-05-01", "2026-05-31", 10));
	struct got g = {0};
	CHECK_INT(survey_responses_each(db, &few, "2026-05-01", "2026-05-31", 0, 1, 10, collect, &g), GS_OK);
	CHECK_INT(g.n, 3);
	CHECK(same(&many, "2026-05-01", "2026-05-31", 10));
	CHECK(same(&many, "2026-05-01", "2026-05-31", 100));
	struct survey_scope none = {.hall_id = 999999};
	CHECK(same(&none, "2026-05-01", "2026-05-31", 10));
	CHECK_INT(survey_responses_each(db, &few, "2026-05-31", "2026-02-30", 0, 1, 10, collect, &g), GS_ERR_INVALID);

	/* the plan: the walk reads the partial index, newest first, without a sort */
	sqlite3_stmt *ex = NULL;
	sqlite3_prepare_v2(db_handle(db),
			   "EXPLAIN QUERY PLAN SELECT id, hall_id FROM survey_responses INDEXED BY "
			   "survey_responses_commented WHERE comment IS NOT NULL AND day BETWEEN '2026-01-01' AND "
			   "'2026-12-31' ORDER BY day DESC, submitted_at DESC, id DESC LIMIT 10",
			   -1, &ex, NULL);
	int sorts = 0, walks = 0;
	while (sqlite3_step(ex) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(ex, 3);
		sorts += d && strstr(d, "TEMP B-TREE") != NULL;
		walks += d && strstr(d, "INDEX survey_responses_commented") != NULL;
	}
	sqlite3_finalize(ex);
	CHECK_INT(sorts, 0);
	CHECK_INT(walks, 1);

	sqlite3_finalize(ins);
	org_halls_free(halls, nh);
	org_units_free(units, nu);
	db_close(db);
	return check_finish("test_survey_comments");
}
