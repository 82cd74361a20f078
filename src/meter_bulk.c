/* meter_bulk.c — every station's coverage as of a day in one statement (see
 * meter_bulk.h). Kept apart from meter.c, which owns the writes of meter_daily; this
 * file only reads its running totals. */
#include "meter_bulk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meter.h"
#include "survey.h"
#include "util.h"

enum gs_result meter_bulk_coverage_at(struct db *db, const char *day, struct meter_bulk_station **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!day || strlen(day) != 10 || survey_day_number(day) < 0)
		return GS_ERR_INVALID;
	/* the last row on or before the day: its running totals are the state at its end */
	sqlite3_stmt *st = db_stmt(db, "SELECT s.id, coalesce(d.points, 0), coalesce(d.smart, 0) FROM units s "
				       "LEFT JOIN meter_daily d ON d.station_id = s.id AND d.day = (SELECT x.day FROM "
				       "meter_daily x WHERE x.station_id = s.id AND x.day <= ?1 ORDER BY x.day DESC LIMIT 1) "
				       "WHERE s.kind = 'station' ORDER BY s.id");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	struct meter_bulk_station *v = NULL;
	size_t count = 0, cap = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[count].station_id = sqlite3_column_int64(st, 0);
		v[count].points = (long)sqlite3_column_int64(st, 1);
		v[count].smart = (long)sqlite3_column_int64(st, 2);
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

static int cmp_station_id(const void *a, const void *b)
{
	int64_t x = ((const struct meter_bulk_station *)a)->station_id;
	int64_t y = ((const struct meter_bulk_station *)b)->station_id;
	return x < y ? -1 : x > y;
}

static int cmp_rate_code(const void *a, const void *b)
{
	const struct meter_station_coverage *x = a, *y = b;
	if (x->cov.rate != y->cov.rate)
		return x->cov.rate < y->cov.rate ? -1 : 1;
	return strcmp(x->code, y->code);
}

enum gs_result meter_bulk_stations(struct db *db, int64_t unit_id, const char *day,
				   struct meter_station_coverage **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	long now = day && strlen(day) == 10 ? survey_day_number(day) : -1;
	if (now < 0)
		return GS_ERR_INVALID;
	char target[11], then_day[11];
	long window;
	meter_projection_settings(db, target, &window);
	survey_day_string(now - window, then_day);
	sqlite3_stmt *st = db_stmt(db, "WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE CASE WHEN ?1 = 0 THEN "
				       "parent_id IS NULL ELSE id = ?1 END UNION ALL SELECT u.id FROM units u JOIN sub ON "
				       "u.parent_id = sub.id) SELECT u.id, u.code, u.name FROM sub JOIN units u ON u.id = "
				       "sub.id WHERE u.kind = 'station' ORDER BY u.code");
	if (!st)
		return GS_ERR_DB;
	if (unit_id != 0) {
		sqlite3_stmt *chk = db_stmt(db, "SELECT 1 FROM units WHERE id = ?1");
		if (!chk)
			return GS_ERR_DB;
		sqlite3_bind_int64(chk, 1, unit_id);
		int found = db_step_row(db, chk);
		sqlite3_reset(chk);
		if (found != 1)
			return found == 0 ? GS_ERR_NOT_FOUND : GS_ERR_DB;
	}
	sqlite3_bind_int64(st, 1, unit_id);
	struct meter_station_coverage *v = NULL;
	size_t len = 0, cap = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		memset(&v[len], 0, sizeof *v);
		v[len].station_id = sqlite3_column_int64(st, 0);
		v[len].code = db_column_strdup(st, 1);
		v[len].name = db_column_strdup(st, 2);
		len++;
	}
	sqlite3_reset(st);
	struct meter_bulk_station *cur = NULL, *then = NULL;
	size_t ncur = 0, nthen = 0;
	enum gs_result r = row < 0 ? GS_ERR_DB : GS_OK;
	if (r == GS_OK && len)
		r = meter_bulk_coverage_at(db, day, &cur, &ncur);
	if (r == GS_OK && len)
		r = meter_bulk_coverage_at(db, then_day, &then, &nthen);
	for (size_t i = 0; r == GS_OK && i < len; i++) {
		struct meter_bulk_station key = {.station_id = v[i].station_id};
		const struct meter_bulk_station *a = bsearch(&key, cur, ncur, sizeof *cur, cmp_station_id);
		const struct meter_bulk_station *b = bsearch(&key, then, nthen, sizeof *then, cmp_station_id);
		struct meter_coverage c = {0}, t = {0};
		snprintf(c.day, sizeof c.day, "%s", day);
		snprintf(t.day, sizeof t.day, "%s", then_day);
		if (a) {
			c.points = a->points;
			c.smart = a->smart;
		}
		if (b) {
			t.points = b->points;
			t.smart = b->smart;
		}
		c.rate = c.points > 0 ? (double)c.smart / (double)c.points : 0.0;
		v[i].cov = c;
		meter_project(&c, &t, window, now, day, target, &v[i].proj);
	}
	free(cur);
	free(then);
	if (r != GS_OK) {
		meter_stations_free(v, len);
		return r;
	}
	if (len > 1)
		qsort(v, len, sizeof *v, cmp_rate_code);
	*out = v;
	*n = len;
	return GS_OK;
}

/* "YYYY-MM" → months since year 0; -1 if malformed. */
static long month_index(const char *s)
{
	if (!s || strlen(s) != 7 || s[4] != '-')
		return -1;
	char d[11];
	snprintf(d, sizeof d, "%s-01", s);
	if (survey_day_number(d) < 0)
		return -1;
	return (long)atoi(s) * 12 + atoi(s + 5) - 1;
}

enum gs_result meter_bulk_coverage_months(struct db *db, int64_t unit_id, const char *from_month,
					  const char *to_month, const char *today, struct meter_coverage **out,
					  size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!today || strlen(today) != 10 || survey_day_number(today) < 0)
		return GS_ERR_INVALID;
	long m0 = month_index(from_month), m1 = month_index(to_month);
	if (m0 < 0 || m1 < 0 || m1 < m0)
		return GS_ERR_INVALID;
	long count = m1 - m0 + 1;
	if (count > 1200)
		return GS_ERR_TOO_LARGE;
	if (unit_id != 0) {
		sqlite3_stmt *chk = db_stmt(db, "SELECT 1 FROM units WHERE id = ?1");
		if (!chk)
			return GS_ERR_DB;
		sqlite3_bind_int64(chk, 1, unit_id);
		int found = db_step_row(db, chk);
		sqlite3_reset(chk);
		if (found != 1)
			return found == 0 ? GS_ERR_NOT_FOUND : GS_ERR_DB;
	}
	struct meter_coverage *v = xcalloc((size_t)count, sizeof *v);
	/* the days as a JSON array for json_each: each month's last day, today for the running month */
	struct buf days;
	buf_init(&days, 16 * 1200 + 16);
	buf_putc(&days, '[');
	for (long i = 0; i < count; i++) {
		long k = m0 + i + 1; /* the next month */
		char first[11];
		snprintf(first, sizeof first, "%04ld-%02ld-01", (k / 12) % 10000, k % 12 + 1);
		survey_day_string(survey_day_number(first) - 1, v[i].day);
		if (strcmp(v[i].day, today) > 0 && strncmp(v[i].day, today, 7) == 0)
			snprintf(v[i].day, sizeof v[i].day, "%s", today);
		buf_printf(&days, "%s\"%s\"", i ? "," : "", v[i].day);
	}
	buf_putc(&days, ']');
	buf_putc(&days, '\0');
	/* points and smart of a row in one value (both < 2^31 for a station): one seek each */
	sqlite3_stmt *st = db_stmt(db, "WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE CASE WHEN ?1 = 0 THEN "
				       "parent_id IS NULL ELSE id = ?1 END UNION ALL SELECT u.id FROM units u JOIN sub ON "
				       "u.parent_id = sub.id), st(id) AS MATERIALIZED (SELECT sub.id FROM sub JOIN units k "
				       "ON k.id = sub.id WHERE k.kind = 'station') SELECT m.key, (SELECT x.points * "
				       "4294967296 + x.smart FROM meter_daily x WHERE x.station_id = st.id AND x.day <= "
				       "m.value ORDER BY x.day DESC LIMIT 1) FROM json_each(?2) m, st");
	enum gs_result r = st && !days.failed ? GS_OK : GS_ERR_DB;
	if (r == GS_OK) {
		sqlite3_bind_int64(st, 1, unit_id);
		sqlite3_bind_text(st, 2, days.data, -1, SQLITE_STATIC);
		int row;
		while ((row = db_step_row(db, st)) == 1) {
			long i = (long)sqlite3_column_int64(st, 0);
			if (i < 0 || i >= count || sqlite3_column_type(st, 1) == SQLITE_NULL)
				continue;
			int64_t packed = sqlite3_column_int64(st, 1);
			v[i].points += (long)(packed >> 32);
			v[i].smart += (long)(packed & 0xffffffffLL);
		}
		sqlite3_reset(st);
		if (row < 0)
			r = GS_ERR_DB;
	}
	buf_free(&days);
	if (r != GS_OK) {
		free(v);
		return r;
	}
	for (long i = 0; i < count; i++)
		v[i].rate = v[i].points > 0 ? (double)v[i].smart / (double)v[i].points : 0.0;
	*out = v;
	*n = (size_t)count;
	return GS_OK;
}
