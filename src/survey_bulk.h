/* survey_bulk.h — the counts of every unit at once, for callers that need them all
 * (scoring a period): one grouped statement over the daily aggregates instead of one
 * survey_stats_get per unit, and the open follow-ups of every station in one
 * statement. Same rules and numbers as survey.h (unflagged responses, verified only if
 * asked; a unit pools every hall whose station lies within it). Read-only. */
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

#endif
