/* meter.h — the smart-meter rollout: imports rollout files (read by rollout.h) into the
 * metering-point inventory and the meter history, all-or-nothing and idempotently,
 * keeps a log of every import, and answers the coverage questions (as of any day,
 * monthly trend, projected full-coverage date, uncovered points). Owns its SQL
 * (migrations/003_meters.sql); knows nothing of HTTP or HTML. Days are local dates
 * "YYYY-MM-DD" (Asia/Shanghai). The one code path behind `gridscore import`,
 * POST /imports and POST /api/v1/imports. */
#ifndef GS_METER_H
#define GS_METER_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "gs.h"
#include "rollout.h"

struct meter_import_opts {
	const char *name;        /* file name for the log and messages (NULL: the path's basename) */
	int dry_run;             /* validate and report, write nothing (not even the log) */
	int64_t user_id;         /* who imports; 0 = the CLI without --as, or an API token */
	const char *actor;       /* who imports when it is not a login: an API token's name,
				  * kept in the log (NULL: none, the command line); borrowed for
				  * the call */
	int64_t scope_unit;      /* 0: any station (admin, CLI); else the caller's unit: a file
				  * whose station lies outside it is refused, GS_ERR_FORBIDDEN */
	int64_t station_id;      /* the station for IEC documents whose Source is not mapped
				  * (the uploader's station, or --station); 0: none */
	const char *today;       /* local day "YYYY-MM-DD" used for "dates in the future";
				  * NULL: the real date (tests pin it) */
	int cov_plan;            /* how the touched points' served intervals are read: 0 by
				  * size (the default), 1 per point, 2 one pass over the links;
				  * both give the same rows (tests run each) */
	int no_fast;             /* 1: never the first-import fast path (tests compare the two
				  * paths; docs/coverage.md) */
	size_t fast_chunk;       /* tests: the fast path gathers at most this many links,
	                          * ends and found ends before it writes them (0: its own
	                          * sizes), so small files cross the chunk boundaries */
	size_t pipe_batch;       /* tests: the reading thread hands over at most this many
	                          * records a batch (0: its own size), so that the fast path
	                          * writes its slices between batches of small files too */
	struct rollout_limits limits;
};
/* Zeroes opts and sets the default limits. */
void meter_import_opts_init(struct meter_import_opts *opts);

struct meter_import_report {
	int64_t id;              /* the import's log row; 0 for a dry run */
	char status[16];         /* "imported", "already", "rejected", "dry-run" */
	int64_t earlier_id;      /* status "already": the import that brought this content */
	char format[24];         /* rollout_format_name() */
	char station[65];        /* the station code the file was applied to ("" unknown) */
	char sha256[65];
	char file_id[101];       /* native file-id or IEC MessageID */
	long records;            /* records read from the file */
	long inserted, updated, unchanged;
	double seconds;
	int fast;                /* 1: applied by the first-import fast path (docs/coverage.md) */
	struct rollout_errors errors;
};

/* Imports one file in one write transaction. GS_OK: imported (or "already": the same
 * SHA-256 or the same IEC MessageID was imported before — nothing changes). GS_ERR_INVALID:
 * the file or its content was rejected; report->errors list line, column, field and
 * reason; nothing of it is written, and a log row with status "rejected" and the errors
 * is kept (report->id). GS_ERR_FORBIDDEN: another station's file for a scoped caller
 * (logged as rejected too). GS_ERR_TOO_LARGE: over limits.max_file_bytes. GS_ERR_BUSY /
 * GS_ERR_DB / GS_ERR_IO: storage failed, nothing written. Re-sent events upsert on natural
 * keys (meter mRID, else manufacturer + serial) and count as updated or unchanged.
 * Conflicts are errors: a point of another station, two smart meters active on one point,
 * removal before installation, days after opts->today, an unknown metering point, the
 * same meter twice in one file. */
enum gs_result meter_import_run(struct db *db, const char *path, const struct meter_import_opts *opts,
				struct meter_import_report *report);

/* Prints a report for the CLI: a summary line, or name:line:column: field: message lines. */
void meter_report_print(const struct meter_import_report *report, const char *name, void *file /* FILE* */);

/* ---- The import log. */
struct meter_import_row {
	int64_t id;
	int64_t created_at;      /* unix seconds */
	char *user_login;        /* NULL for the CLI and for API tokens */
	char *actor;             /* the API token's name (opts->actor); NULL if none */
	char *file_name;
	char *sha256;
	char *format;
	char *station_code;      /* NULL when unknown */
	char *status;            /* "imported", "rejected" */
	char *file_id;           /* NULL when none */
	long records, inserted, updated, unchanged;
	long n_errors;           /* total found (the log keeps up to ROLLOUT_MAX_ERRORS) */
	double seconds;
};
/* Imports newest first; within_unit != 0 keeps those whose station lies in that unit
 * (rejected files of unknown station are shown only to the one who uploaded them:
 * pass user_id, or 0 to see all). Free with meter_imports_free. */
enum gs_result meter_imports_list(struct db *db, int64_t within_unit, int64_t user_id, size_t limit, size_t offset,
				  struct meter_import_row **out, size_t *n);
void meter_imports_free(struct meter_import_row *rows, size_t n);
/* One import with its stored errors. GS_ERR_NOT_FOUND if none. Free with
 * meter_import_row_clear (the errors are plain data). */
enum gs_result meter_import_get(struct db *db, int64_t id, struct meter_import_row *out,
				struct rollout_errors *errors);
void meter_import_row_clear(struct meter_import_row *r);

/* ---- Where IEC messages come from: Header/Source → station. */
enum gs_result meter_source_map(struct db *db, const char *source, int64_t station_id);

/* ---- Coverage. unit_id 0 = the whole company. Counts are pooled over the stations in
 * the unit's subtree (a point belongs to one station). */
struct meter_coverage {
	char day[11];
	long points;        /* metering points in service that day */
	long smart;         /* of which served by an in-service smart meter */
	double rate;        /* smart / points; 0 when points == 0 */
};
/* As of the end of `day`, exact from the stored history whatever was imported later. */
enum gs_result meter_coverage_at(struct db *db, int64_t unit_id, const char *day, struct meter_coverage *out);
/* One entry per month from from_month to to_month ("YYYY-MM"), each as of the month's last
 * day (or `today` for the running month). Caller frees *out. */
enum gs_result meter_coverage_months(struct db *db, int64_t unit_id, const char *from_month, const char *to_month,
				     const char *today, struct meter_coverage **out, size_t *n);

/* Each station in the unit's subtree with its coverage on day, ordered by rate then code. */
struct meter_station_coverage {
	int64_t station_id;
	char *code;
	char *name;
	struct meter_coverage cov;
	struct meter_projection_s {
		char target[11];      /* the full-coverage target date */
		char projected[11];   /* projected full-coverage day, "" if no progress */
		double per_day;       /* net points covered per day over the recent window */
		int late;             /* projected after target, or no progress and not full */
	} proj;
};
enum gs_result meter_stations(struct db *db, int64_t unit_id, const char *day,
			      struct meter_station_coverage **out, size_t *n);
void meter_stations_free(struct meter_station_coverage *s, size_t n);

/* Projection for a unit as of today: the target date (setting coverage.target_date,
 * default 2026-12-31), the recent net installation rate (setting coverage.window_days,
 * default 90) and the day full coverage would be reached at that pace. */
enum gs_result meter_projection(struct db *db, int64_t unit_id, const char *today, struct meter_projection_s *out);
/* The settings a projection uses: coverage.target_date (a valid day, else 2026-12-31)
 * and coverage.window_days (1..3650, else 90). */
void meter_projection_settings(struct db *db, char target[11], long *window_days);
/* The projection rule from a unit's totals on today (day number now) and window days
 * before: the net pace of newly covered points, the day the gap closes at that pace,
 * late if after target or without progress; nothing projected without points. */
void meter_project(const struct meter_coverage *cur, const struct meter_coverage *then, long window, long now,
		   const char *today, const char *target, struct meter_projection_s *out);

/* Calls fn for each metering point of the station (and its teams) in service on day
 * without an in-service smart meter, ordered by code. Stops at the first non-OK result. */
typedef enum gs_result (*meter_point_fn)(void *ctx, const char *station_code, const char *point_code,
					 const char *customer_class, const char *since);
enum gs_result meter_uncovered_each(struct db *db, int64_t station_id, const char *day, meter_point_fn fn, void *ctx);

/* Rebuilds the meter_daily coverage rows of one station (0: every station) from its
 * points and links, in one write transaction. Imports keep them up to date by themselves;
 * this is for repairs and for tools that load rows directly (bench/bench_coverage.c). */
enum gs_result meter_daily_rebuild(struct db *db, int64_t station_id);

/* Today's local day (Asia/Shanghai) in out[11]. */
void meter_today(char out[11]);

#endif
