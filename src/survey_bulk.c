/* survey_bulk.c — counts of every unit in one statement (see survey_bulk.h). Apart
 * from survey.c, which owns the writes of the aggregates: this file only reads them. */
#include "survey_bulk.h"

#include <stdlib.h>
#include <string.h>

#include "survey.h"
#include "util.h"

static int valid_day(const char *s)
{
	return s && strlen(s) == 10 && survey_day_number(s) >= 0;
}

/* 1 if the unit rows of survey_daily match the org tree (the rule survey.c applies). */
static int unit_rows_fresh(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT (SELECT coalesce(max(id), 0) FROM org_loads) = coalesce((SELECT "
				       "CAST(value AS INTEGER) FROM settings WHERE name = 'survey.aggregates_org'), 0)");
	if (!st)
		return 0;
	int fresh = db_step_row(db, st) > 0 && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return fresh;
}

enum gs_result survey_bulk_unit_counts(struct db *db, const char *from, const char *to, int verified_only,
				       struct survey_bulk_count **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!valid_day(from) || !valid_day(to) || strcmp(from, to) > 0)
		return GS_ERR_INVALID;
	enum gs_result fr = survey_fold(db, NULL);
	if (fr != GS_OK && fr != GS_ERR_BUSY) /* busy: read what is folded already */
		return fr;
	/* Fresh unit rows: one index range per unit, grouped in the scan's order (no sort).
	 * Otherwise every hall row counts for its station and each unit above it. */
	sqlite3_stmt *st =
	    unit_rows_fresh(db)
		? db_stmt(db, "SELECT u.id, sum(d.n1 + d.n2 + d.n3 + d.n4 + d.n5), sum(d.satisfied) FROM units u "
			      "JOIN survey_daily d ON d.scope = -u.id AND d.day BETWEEN ?1 AND ?2 "
			      "WHERE d.flagged = 0 AND (d.verified = 1 OR ?3 = 0) GROUP BY u.id ORDER BY u.id")
		: db_stmt(db, "WITH RECURSIVE anc(hall, unit) AS (SELECT id, station_id FROM halls UNION ALL SELECT "
			      "anc.hall, u.parent_id FROM anc JOIN units u ON u.id = anc.unit WHERE u.parent_id IS NOT "
			      "NULL) SELECT anc.unit, sum(d.n1 + d.n2 + d.n3 + d.n4 + d.n5), sum(d.satisfied) FROM "
			      "anc JOIN survey_daily d ON d.scope = anc.hall AND d.day BETWEEN ?1 AND ?2 "
			      "WHERE d.flagged = 0 AND (d.verified = 1 OR ?3 = 0) GROUP BY anc.unit ORDER BY anc.unit");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, verified_only ? 1 : 0);
	struct survey_bulk_count *v = NULL;
	size_t count = 0, cap = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		if (count == cap) {
			cap = cap ? cap * 2 : 256;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[count].unit_id = sqlite3_column_int64(st, 0);
		v[count].responses = sqlite3_column_int64(st, 1);
		v[count].satisfied = sqlite3_column_int64(st, 2);
		count++;
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(v);
		return GS_ERR_DB;
	}
	*out = v;
	*n = count;
	return GS_OK;
}

enum gs_result survey_bulk_followups(struct db *db, int64_t now, struct survey_bulk_followups **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT h.station_id, count(*), count(CASE WHEN f.due_at < ?1 THEN 1 END) "
				       "FROM survey_followups f JOIN halls h ON h.id = f.hall_id "
				       "WHERE f.closed_at IS NULL GROUP BY h.station_id ORDER BY h.station_id");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	struct survey_bulk_followups *v = NULL;
	size_t count = 0, cap = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[count].station_id = sqlite3_column_int64(st, 0);
		v[count].open = sqlite3_column_int64(st, 1);
		v[count].overdue = sqlite3_column_int64(st, 2);
		count++;
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(v);
		return GS_ERR_DB;
	}
	*out = v;
	*n = count;
	return GS_OK;
}
