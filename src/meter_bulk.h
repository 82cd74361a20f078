/* meter_bulk.h — coverage of every station at once, for callers that need them all
 * (scoring): one statement and one index seek per station, instead of a query per
 * unit. Reads meter_daily, whose rows carry each station's running totals (meter.h
 * keeps them up to date on import); the same numbers as meter_coverage_at. */
#ifndef GS_METER_BULK_H
#define GS_METER_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "gs.h"

struct meter_bulk_station {
	int64_t station_id;  /* a unit of kind station */
	long points;         /* metering points in service at the end of the day */
	long smart;          /* of which served by an in-service smart meter */
};

/* Every station (units of kind 'station') with its coverage as of the end of day
 * ("YYYY-MM-DD", GS_ERR_INVALID otherwise); stations without rows up to that day have
 * 0 points. Ordered by station id. Caller frees *out with free(). */
enum gs_result meter_bulk_coverage_at(struct db *db, const char *day, struct meter_bulk_station **out, size_t *n);

/* The same list as meter_stations (meter.h): each station in unit_id's subtree (0 =
 * all) with its coverage as of the end of day and its projection as of day, ordered by
 * rate then code; GS_ERR_INVALID for a bad day, GS_ERR_NOT_FOUND for an unknown unit.
 * Reads every station's totals on day and on day - window in two statements
 * (meter_bulk_coverage_at) instead of three statements per station. Caller frees with
 * meter_stations_free. */
struct meter_station_coverage;
enum gs_result meter_bulk_stations(struct db *db, int64_t unit_id, const char *day,
				   struct meter_station_coverage **out, size_t *n);

/* The same series as meter_coverage_months (meter.h): one entry per month from
 * from_month to to_month ("YYYY-MM"), each as of the month's last day (or today for the
 * running month), for unit_id's subtree (0 = all). One statement: each station's last
 * row on or before each month's end is one index seek, and the station set is found
 * once, instead of a statement per month. GS_ERR_INVALID for bad months or today,
 * GS_ERR_TOO_LARGE beyond 1,200 months, GS_ERR_NOT_FOUND for an unknown unit. Caller
 * frees *out with free(). */
struct meter_coverage;
enum gs_result meter_bulk_coverage_months(struct db *db, int64_t unit_id, const char *from_month,
					  const char *to_month, const char *today, struct meter_coverage **out,
					  size_t *n);

#endif
