/* meter_bulk.c — every station's coverage as of a day in one statement (see
 * meter_bulk.h). Kept apart from meter.c, which owns the writes of meter_daily; this
 * file only reads its running totals. */
#include "meter_bulk.h"

#include <stdlib.h>
#include <string.h>

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
