/* survey_bulk.c — counts of every unit in one statement, a range of many units from an
 * in-memory copy of the unit rows, a hall's heatmap from its hourly rows (see
 * survey_bulk.h). Apart from survey.c, which owns the writes of the aggregates: this
 * file only reads them (the copy follows survey.folded_upto and survey.aggregates_org,
 * so a new writer of the unit rows must move one of them). */
#define _POSIX_C_SOURCE 200809L
#include "survey_bulk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "survey.h"
#include "util.h"

static int valid_day(const char *s)
{
	return s && strlen(s) == 10 && survey_day_number(s) >= 0;
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
	    survey_unit_rows_fresh(db)
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

/* ---- Units over a range, from an in-memory copy of the unit rows ------------------------ */

/* One unit's counts on one day: unflagged responses, and the verified ones among them. */
struct day_cell {
	int64_t n, sat, vn, vsat;
};

/* The copy of one database file's unit rows. cells[u * ndays + d] is unit ids[u] on day
 * day0 + d. Valid while the file (dev, ino) and its aggregates_org are the same;
 * folded_upto says which responses it includes. */
struct unit_copy {
	char *file;
	dev_t dev;
	ino_t ino;
	int64_t org, folded;
	long day0, ndays;
	int64_t *ids; /* ascending */
	size_t nids;
	struct day_cell *cells;
};

enum { COPY_SLOTS = 4, COPY_MAX_CELLS = 4 << 20, COPY_MAX_NEW_DAYS = 62 };

static pthread_mutex_t copy_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct unit_copy *copies[COPY_SLOTS];

static void copy_free(struct unit_copy *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->ids);
	free(c->cells);
	free(c);
}

void survey_bulk_cache_clear(void)
{
	pthread_mutex_lock(&copy_mutex);
	for (int i = 0; i < COPY_SLOTS; i++) {
		copy_free(copies[i]);
		copies[i] = NULL;
	}
	pthread_mutex_unlock(&copy_mutex);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static long copy_unit_index(const struct unit_copy *c, int64_t id)
{
	const int64_t *p = bsearch(&id, c->ids, c->nids, sizeof *c->ids, cmp_id);
	return p ? (long)(p - c->ids) : -1;
}

/* The versions the copy follows: folded_upto and aggregates_org; fresh = 1 if the unit
 * rows match the org tree. -1 on a database error. */
static int copy_versions(struct db *db, int64_t *folded, int64_t *org, int *fresh)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'survey.folded_upto'), "
			"0), coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'survey.aggregates_org'), "
			"0), (SELECT coalesce(max(id), 0) FROM org_loads)");
	if (!st)
		return -1;
	int row = db_step_row(db, st);
	if (row == 1) {
		*folded = sqlite3_column_int64(st, 0);
		*org = sqlite3_column_int64(st, 1);
		*fresh = *org == sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return row == 1 ? 0 : -1;
}

struct raw_row {
	int64_t unit;
	long day;
	int verified;
	int64_t n, sat;
};

/* Reads every unit row into a new copy; NULL if it would be too large or on error. */
static struct unit_copy *copy_load(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT -d.scope, d.day, d.verified, d.n1 + d.n2 + d.n3 + d.n4 + d.n5, "
				       "d.satisfied FROM survey_daily d WHERE d.scope < 0 AND d.flagged = 0");
	if (!st)
		return NULL;
	struct raw_row *rows = NULL;
	size_t nr = 0, cap = 0;
	long lo = 0, hi = -1;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		if (nr == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > COPY_MAX_CELLS * 2u)
				break;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		const char *day = (const char *)sqlite3_column_text(st, 1);
		long d = day ? survey_day_number(day) : -1;
		if (d < 0)
			continue;
		rows[nr] = (struct raw_row){.unit = sqlite3_column_int64(st, 0),
					    .day = d,
					    .verified = sqlite3_column_int(st, 2) != 0,
					    .n = sqlite3_column_int64(st, 3),
					    .sat = sqlite3_column_int64(st, 4)};
		if (hi < lo || d < lo)
			lo = d;
		if (d > hi)
			hi = d;
		nr++;
	}
	sqlite3_reset(st);
	struct unit_copy *c = NULL;
	if (row != 0) /* an error, or too many rows */
		goto out;
	c = xcalloc(1, sizeof *c);
	/* the unit ids: sort the rows' ids and keep each once */
	int64_t *ids = xcalloc(nr + 1, sizeof *ids);
	for (size_t i = 0; i < nr; i++)
		ids[i] = rows[i].unit;
	qsort(ids, nr, sizeof *ids, cmp_id);
	size_t nid = 0;
	for (size_t i = 0; i < nr; i++)
		if (nid == 0 || ids[nid - 1] != ids[i])
			ids[nid++] = ids[i];
	c->ids = ids;
	c->nids = nid;
	c->day0 = nr ? lo : 0;
	c->ndays = nr ? hi - lo + 1 : 0;
	if ((double)c->nids * (double)c->ndays > COPY_MAX_CELLS) {
		copy_free(c);
		c = NULL;
		goto out;
	}
	c->cells = xcalloc(c->nids * (size_t)c->ndays + 1, sizeof *c->cells);
	for (size_t i = 0; i < nr; i++) {
		struct day_cell *x = &c->cells[(size_t)copy_unit_index(c, rows[i].unit) * (size_t)c->ndays +
					       (size_t)(rows[i].day - c->day0)];
		x->n += rows[i].n;
		x->sat += rows[i].sat;
		if (rows[i].verified) {
			x->vn += rows[i].n;
			x->vsat += rows[i].sat;
		}
	}
out:
	free(rows);
	return c;
}

/* Widens the copy to cover day d, the new days' cells zero (a day with responses but no
 * unfiltered unit rows yet: today's first responses, or a day of only flagged ones).
 * 0 if done, 1 if it would pass COPY_MAX_CELLS or d is too far out: load again. */
static int copy_cover(struct unit_copy *c, long d)
{
	long lo = c->ndays ? c->day0 : d, hi = c->ndays ? c->day0 + c->ndays - 1 : d;
	if (d < lo)
		lo = d;
	if (d > hi)
		hi = d;
	long nd = hi - lo + 1;
	if (nd == c->ndays)
		return 0;
	if (nd > c->ndays + 366 || (double)c->nids * (double)nd > COPY_MAX_CELLS)
		return 1;
	struct day_cell *cells = xcalloc(c->nids * (size_t)nd + 1, sizeof *cells);
	for (size_t u = 0; u < c->nids && c->ndays > 0; u++)
		memcpy(&cells[u * (size_t)nd + (size_t)(c->day0 - lo)], &c->cells[u * (size_t)c->ndays],
		       (size_t)c->ndays * sizeof *cells);
	free(c->cells);
	c->cells = cells;
	c->day0 = lo;
	c->ndays = nd;
	return 0;
}

/* Reads the unit rows of the days of responses (from_id, to_id] again. 0 if done, 1 if
 * the copy cannot take them (a unit it does not have, too many days, a day too far
 * out): load again; -1 on error. */
static int copy_refresh(struct db *db, struct unit_copy *c, int64_t from_id, int64_t to_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT DISTINCT day FROM survey_responses WHERE id > ?1 AND id <= ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, from_id);
	sqlite3_bind_int64(st, 2, to_id);
	long days[COPY_MAX_NEW_DAYS];
	int nd = 0, row, redo = 0;
	while ((row = db_step_row(db, st)) == 1) {
		const char *day = (const char *)sqlite3_column_text(st, 0);
		long d = day ? survey_day_number(day) : -1;
		if (nd == COPY_MAX_NEW_DAYS || d < 0 || copy_cover(c, d) != 0) {
			redo = 1;
			break;
		}
		days[nd++] = d;
	}
	sqlite3_reset(st);
	if (row < 0)
		return -1;
	if (redo)
		return 1;
	st = db_stmt(db, "SELECT -d.scope, d.verified, d.n1 + d.n2 + d.n3 + d.n4 + d.n5, d.satisfied FROM units u "
			 "JOIN survey_daily d ON d.scope = -u.id AND d.day = ?1 AND d.flagged = 0");
	if (!st)
		return -1;
	for (int k = 0; k < nd && !redo; k++) {
		size_t at = (size_t)(days[k] - c->day0);
		for (size_t u = 0; u < c->nids; u++)
			c->cells[u * (size_t)c->ndays + at] = (struct day_cell){0};
		char day[11];
		survey_day_string(days[k], day);
		sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
		while ((row = db_step_row(db, st)) == 1) {
			long u = copy_unit_index(c, sqlite3_column_int64(st, 0));
			if (u < 0) {
				redo = 1;
				break;
			}
			struct day_cell *x = &c->cells[(size_t)u * (size_t)c->ndays + at];
			int64_t n = sqlite3_column_int64(st, 2), sat = sqlite3_column_int64(st, 3);
			x->n += n;
			x->sat += sat;
			if (sqlite3_column_int(st, 1)) {
				x->vn += n;
				x->vsat += sat;
			}
		}
		sqlite3_reset(st);
		if (row < 0)
			return -1;
	}
	return redo;
}

/* The answer from the grouped statement, for when no copy can be used. */
static enum gs_result units_range_sql(struct db *db, const int64_t *ids, size_t n, const char *from, const char *to,
				      int verified_only, struct survey_bulk_count *out)
{
	struct survey_bulk_count *all = NULL;
	size_t na = 0;
	enum gs_result r = survey_bulk_unit_counts(db, from, to, verified_only, &all, &na);
	if (r != GS_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct survey_bulk_count *p = bsearch(&ids[i], all, na, sizeof *all, cmp_id);
		if (p) {
			out[i].responses = p->responses;
			out[i].satisfied = p->satisfied;
		}
	}
	free(all);
	return GS_OK;
}

enum gs_result survey_bulk_units_range(struct db *db, const int64_t *ids, size_t n, const char *from, const char *to,
				       int verified_only, struct survey_bulk_count *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct survey_bulk_count){.unit_id = ids[i]};
	if (!valid_day(from) || !valid_day(to) || strcmp(from, to) > 0)
		return GS_ERR_INVALID;
	enum gs_result r = survey_fold(db, NULL);
	if (r != GS_OK && r != GS_ERR_BUSY) /* busy: read what is folded already */
		return r;
	const char *file = sqlite3_db_filename(db_handle(db), "main");
	struct stat sb;
	int64_t folded = 0, org = 0;
	int fresh = 0;
	if (copy_versions(db, &folded, &org, &fresh) < 0)
		return GS_ERR_DB;
	if (!fresh || !file || !*file || stat(file, &sb) != 0)
		return units_range_sql(db, ids, n, from, to, verified_only, out);
	pthread_mutex_lock(&copy_mutex);
	int slot = -1;
	for (int i = 0; i < COPY_SLOTS && slot < 0; i++)
		if (copies[i] && strcmp(copies[i]->file, file) == 0)
			slot = i;
	struct unit_copy *c = slot >= 0 ? copies[slot] : NULL;
	int reload = !c || c->dev != sb.st_dev || c->ino != sb.st_ino || c->org != org || c->folded > folded;
	if (!reload && c->folded < folded) {
		int x = copy_refresh(db, c, c->folded, folded);
		if (x < 0)
			r = GS_ERR_DB;
		reload = x != 0;
		if (x == 0)
			c->folded = folded;
	}
	if (reload) {
		if (slot >= 0) {
			copy_free(copies[slot]);
			copies[slot] = NULL;
		} else {
			slot = COPY_SLOTS - 1; /* the oldest goes; the newest comes first */
			copy_free(copies[slot]);
			memmove(&copies[1], &copies[0], (COPY_SLOTS - 1) * sizeof copies[0]);
			copies[0] = NULL;
			slot = 0;
		}
		c = copy_load(db);
		if (c) {
			c->file = xstrdup(file);
			c->dev = sb.st_dev;
			c->ino = sb.st_ino;
			c->org = org;
			c->folded = folded;
			r = GS_OK;
		}
		copies[slot] = c;
	}
	if (c && r == GS_OK) {
		long d0 = survey_day_number(from) - c->day0, d1 = survey_day_number(to) - c->day0;
		if (d0 < 0)
			d0 = 0;
		if (d1 >= c->ndays)
			d1 = c->ndays - 1;
		for (size_t i = 0; i < n; i++) {
			long u = copy_unit_index(c, ids[i]);
			if (u < 0)
				continue;
			const struct day_cell *x = &c->cells[(size_t)u * (size_t)c->ndays];
			for (long d = d0; d <= d1; d++) {
				out[i].responses += verified_only ? x[d].vn : x[d].n;
				out[i].satisfied += verified_only ? x[d].vsat : x[d].sat;
			}
		}
	}
	pthread_mutex_unlock(&copy_mutex);
	if (!c && r == GS_OK) /* too large to copy, or it could not be read */
		return units_range_sql(db, ids, n, from, to, verified_only, out);
	return r;
}

/* ---- The hall heatmap -------------------------------------------------------------------- */

enum gs_result survey_bulk_hall_heatmap(struct db *db, int64_t hall_id, const char *from, const char *to,
					int64_t n[8][24], int64_t *total)
{
	memset(n, 0, sizeof(int64_t[8][24]));
	*total = 0;
	if (!valid_day(from) || !valid_day(to) || strcmp(from, to) > 0 || hall_id <= 0)
		return GS_ERR_INVALID;
	enum gs_result r = survey_fold(db, NULL);
	if (r != GS_OK && r != GS_ERR_BUSY)
		return r;
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT day, hour, n FROM survey_hourly WHERE scope = ?1 AND day BETWEEN ?2 AND ?3");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, hall_id);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		const char *day = (const char *)sqlite3_column_text(st, 0);
		long d = day ? survey_day_number(day) : -1;
		int hour = sqlite3_column_int(st, 1);
		if (d < 0 || hour < 0 || hour > 23)
			continue;
		int wd = (int)((d % 7 + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
		n[wd][hour] += sqlite3_column_int64(st, 2);
		*total += sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}
