/* survey_bulk.h — the counts of every unit at once, for callers that need them all
 * (scoring a period): one grouped statement over the daily aggregates instead of one
 * survey_stats_get per unit, and the open follow-ups of every station in one
 * statement. Same rules and numbers as survey.h (unflagged responses, verified only if
 * asked; a unit pools every hall whose station lies within it). Read-only; pages that
 * sum many units over long ranges use an in-memory copy of the unit rows
 * (survey_bulk_units_range), and a hall's heatmap reads its hourly rows. */
#ifndef GS_SURVEY_BULK_H
#define GS_SURVEY_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "gs.h"

struct survey_bulk_count {
	int64_t unit_id;
	int64_t responses;   /* counted: unflagged, verified only when asked */
	int64_t satisfied;   /* of which in the top two levels */
};

/* Every unit that has counted responses in [from, to] (local days "YYYY-MM-DD",
 * inclusive; GS_ERR_INVALID otherwise), ordered by unit id; units without any are
 * absent. Folds pending responses first, as survey_stats_get does; reads the units'
 * own aggregate rows when they match the org tree, else pools the hall rows through
 * the tree. Caller frees *out with free(). */
enum gs_result survey_bulk_unit_counts(struct db *db, const char *from, const char *to, int verified_only,
				       struct survey_bulk_count **out, size_t *n);

struct survey_bulk_followups {
	int64_t station_id;  /* the station of the halls (halls.station_id) */
	int64_t open, overdue; /* open follow-ups, and of them those due before now */
};

/* Open follow-ups grouped by their hall's station, ordered by station id (stations
 * without any are absent). Caller frees *out with free(). */
enum gs_result survey_bulk_followups(struct db *db, int64_t now, struct survey_bulk_followups **out, size_t *n);

/* The counts of each unit ids[0..n) over [from, to] (local days, inclusive;
 * GS_ERR_INVALID otherwise) into out[0..n) (out[i].unit_id = ids[i]; zero counts for
 * a unit without responses or an unknown id). The same numbers as
 * survey_bulk_unit_counts, for pages that need a few hundred units over a year
 * (a drill-down): a database file's unit rows are kept in memory, one cell per unit
 * and day, so a range is summed in memory. The copy follows the database: pending
 * responses are folded first; the days of responses folded since the last call
 * (survey.folded_upto) are read again, and an aggregates rebuild (survey.aggregates_org)
 * reads everything again. When the unit rows do not match the org tree, the database
 * is in memory or the copy would be too large, the grouped statement answers instead.
 * Safe from several threads (one mutex). */
enum gs_result survey_bulk_units_range(struct db *db, const int64_t *ids, size_t n, const char *from, const char *to,
				       int verified_only, struct survey_bulk_count *out);

/* Drops every in-memory copy (tests; a process may call it to free the memory). */
void survey_bulk_cache_clear(void);

/* Counted (unflagged) responses of a hall by weekday (1 = Monday .. 7 = Sunday) and
 * hour over [from, to], straight from the hall's hourly rows: one index range, no raw
 * responses. The hourly rows do not tell verified responses apart: a verified-only
 * view must count raw responses instead. *total = the sum of the cells. Folds pending
 * responses first. */
enum gs_result survey_bulk_hall_heatmap(struct db *db, int64_t hall_id, const char *from, const char *to,
					int64_t n[8][24], int64_t *total);

#endif
