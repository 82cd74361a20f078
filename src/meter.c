/* meter.c — rollout imports and smart-meter coverage. An import streams the records the
 * rollout reader hands over into TEMP staging tables (file order = rowid, with line and
 * column), then one write transaction checks them with set-based queries that emit
 * errors with line and column, merges them into meter_points / meters / meter_links on
 * natural keys, and rebuilds the touched stations' meter_daily rows, which every
 * coverage question reads; a station's first native file is written while it is read
 * instead (the fast path, below), with the same results. Owns the SQL of
 * migrations/003_meters.sql. */
#define _GNU_SOURCE
#include "meter.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <nettle/sha2.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "org.h"
#include "settings.h"
#include "util.h"

#define METER_TZ_OFFSET_S (8 * 3600)
#define METER_DEFAULT_TARGET "2026-12-31"
#define METER_DEFAULT_WINDOW 90
#define METER_FAR "9999-12-31" /* "open" in interval arithmetic */
#ifndef METER_CACHE_KB
#define METER_CACHE_KB "4000"     /* page cache of the import's connection, KiB */
#endif
#ifndef METER_TEMP_CACHE_KB
#define METER_TEMP_CACHE_KB "2000" /* page cache of the staging tables, KiB */
#endif

/* ---- Days ----------------------------------------------------------------------- */

#define NO_DAY UTIL_NO_DAY

/* Day number of "YYYY-MM-DD" (days since 1970-01-01, negative before it), NO_DAY if it
 * is not a valid date of 1900 or later. */
static long day_number(const char *s)
{
	return util_day_number(s, 1900);
}

void meter_today(char out[11])
{
	int64_t local = util_now() + METER_TZ_OFFSET_S;
	util_day_string((long)(local / 86400), out);
}

/* ---- Options and errors ------------------------------------------------------------ */

void meter_import_opts_init(struct meter_import_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	rollout_limits_default(&opts->limits);
}

/* ---- Staging ----------------------------------------------------------------------- */

/* The records of one file, in file order; per-import work tables beside them. TEMP:
 * private to the connection, never in the database file, no indexes while loading. */
static const char *const stage_schema[] = {
	("CREATE TEMP TABLE IF NOT EXISTS mi_rec(rid INTEGER PRIMARY KEY, kind INTEGER, line INTEGER, col INTEGER, "
	 "point TEXT, class TEXT, since TEXT, until TEXT, mkey TEXT, mrid TEXT, serial TEXT, manufacturer TEXT, "
	 "model TEXT, smart INTEGER, date TEXT, removed TEXT, status TEXT, okey TEXT, omrid TEXT, oserial TEXT, "
	 "omanufacturer TEXT)"),
	("CREATE TEMP TABLE IF NOT EXISTS mi_fpoint(code TEXT PRIMARY KEY, rid INTEGER) WITHOUT ROWID"),
	("CREATE TEMP TABLE IF NOT EXISTS mi_st(rid INTEGER PRIMARY KEY, st INTEGER NOT NULL)"),
	/* narrow: line, column, key and point code are read from mi_rec for the few errors */
	("CREATE TEMP TABLE IF NOT EXISTS mi_end(rid INTEGER, kind INTEGER, meter_id INTEGER, "
	 "point_id INTEGER, date TEXT, link_id INTEGER, old_until TEXT)"),
	("CREATE TEMP TABLE IF NOT EXISTS mi_aff_point(id INTEGER PRIMARY KEY)"),
	("CREATE TEMP TABLE IF NOT EXISTS mi_pt(rid INTEGER PRIMARY KEY, point_id INTEGER, station_id INTEGER, "
	 "since TEXT)"),
	("CREATE TEMP TABLE IF NOT EXISTS mi_dd(sid INTEGER, day TEXT, dp INTEGER, ds INTEGER)"),
	("CREATE TEMP TABLE IF NOT EXISTS mi_cov(link_id INTEGER, point_id INTEGER, sid INTEGER, sb TEXT, se TEXT, "
	 "b TEXT, e TEXT)"),
};

static const char *const stage_clear[] = {
	"DROP INDEX IF EXISTS temp.mi_rec_point",
	"DELETE FROM temp.mi_rec",
	"DELETE FROM temp.mi_fpoint",
	"DELETE FROM temp.mi_st",
	"DELETE FROM temp.mi_end",
	"DELETE FROM temp.mi_aff_point",
	"DELETE FROM temp.mi_pt",
	"DELETE FROM temp.mi_dd",
	"DELETE FROM temp.mi_cov",
};

static enum gs_result stage_prepare(struct db *db)
{
	enum gs_result r = GS_OK;
	for (size_t i = 0; r == GS_OK && i < GS_ARRAY_LEN(stage_schema); i++)
		r = db_exec(db, stage_schema[i]);
	for (size_t i = 0; r == GS_OK && i < GS_ARRAY_LEN(stage_clear); i++)
		r = db_exec(db, stage_clear[i]);
	return r;
}

#define SQL_STAGE_INSERT                                                                                           \
	"INSERT INTO temp.mi_rec(kind, line, col, point, class, since, until, mkey, mrid, serial, manufacturer, "   \
	"model, smart, date, removed, status, okey, omrid, oserial, omanufacturer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " \
	"?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"

/* The natural key of a meter: "m:" mRID, else "s:" manufacturer \x1f serial; "" if neither. */
static void meter_key(char *out, size_t len, const char *mrid, const char *serial, const char *manufacturer)
{
	if (mrid && *mrid)
		snprintf(out, len, "m:%s", mrid);
	else if (serial && *serial && manufacturer && *manufacturer)
		snprintf(out, len, "s:%s\x1f%s", manufacturer, serial);
	else
		out[0] = '\0';
}

/* ---- One import -------------------------------------------------------------------- */

/* The fast path's statements, prepared once per import (fast_begin). */
enum {
	FS_POINT,
	FS_POINTS,
	FS_POINT_ID,
	FS_METER,
	FS_METERS,
	FS_LINK,
	FS_LINKS,
	FS_METER_ID,
	FS_METER_IDS,
	FS_END,
	FS_COUNT
};
struct fast_ends;
struct fast_rows;
struct fast_link;

struct imp {
	struct db *db;
	const struct meter_import_opts *opts;
	struct meter_import_report *rep;
	enum rollout_format format;
	int64_t station_id;
	long header_line;
	char today[11];
	int already;          /* the header showed an already imported MessageID */
	int forbidden;
	sqlite3_stmt *ins;
	int in_stage, in_write, fk_off; /* the staging transaction, the write transaction, FKs off */
	/* The first-import fast path (fast_begin): the file's rows are written as they are
	 * read, in the write transaction; ids above p0/m0/l0 are this file's rows. */
	int allow_fast;       /* it may be taken (native file, not a re-run) */
	int fast;             /* it is being taken */
	int bail;             /* it cannot apply the file: roll back, the general path runs */
	const char *bail_why;
	long bail_line;
	int64_t p0, m0, l0;
	struct fast_point *pts; /* the file's points by ordinal (id - p0 - 1) */
	size_t n_pts, cap_pts;
	unsigned char *legacy;  /* bit per meter ordinal (id - m0 - 1): a legacy meter */
	size_t cap_legacy;
	size_t n_meters;        /* meters (and links: link k is meter k's) written so far */
	int checks_off;         /* PRAGMA ignore_check_constraints is on (fast_begin) */
	int sha_later;          /* the SHA-256 is computed meanwhile; anything but the fast path bails */
	sqlite3_stmt *fst[FS_COUNT];
	struct fast_ends *ends; /* ends read, not yet applied */
	long point_ord;         /* the record's point as the reading thread found it in the file's
	                         * inventory (fast_codes_find); -2: not known, ask the database */
	struct fast_rows *meters;  /* meters read, not yet written (FAST_ROWS) */
	struct fast_rows *points;  /* points read, not yet written (FAST_ROWS) */
	struct fast_link *links;   /* links read, not yet written (FAST_LINK_CHUNK) */
	size_t n_links;
	struct fast_link *links_w; /* the chunk before, sorted, written a slice at a time */
	size_t n_links_w, links_w_done;
	uint32_t links_w_end;      /* the ordinal after links_w's last */
	uint32_t links_below;      /* every link of a lower ordinal is written */
	size_t slice_links, slice_ends; /* links and ends gathered at the last fast_slice */
	size_t chunk_links, chunk_ends, chunk_done; /* gathered before they are written (opts->fast_chunk) */
};

static enum gs_result fast_begin(struct imp *c);
static enum gs_result fast_bail(struct imp *c, long line, const char *why);
static enum gs_result fast_record(struct imp *c, const struct rollout_record *r, const char *mkey, const char *okey);
static int has_errors(const struct imp *c);

static int is_iec(enum rollout_format f)
{
	return f == ROLLOUT_IEC_METER || f == ROLLOUT_IEC_USAGEPOINT || f == ROLLOUT_IEC_LINKAGE;
}

/* The station's id if code names a station, 0 if not, -1 on error. */
static int64_t station_by_code(struct db *db, const char *code, char *kind, size_t kindlen)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, kind FROM units WHERE code = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int64_t id = 0;
	if (kind)
		kind[0] = '\0';
	if (row == 1) {
		const char *k = (const char *)sqlite3_column_text(st, 1);
		if (kind)
			snprintf(kind, kindlen, "%s", k ? k : "");
		if (k && strcmp(k, "station") == 0)
			id = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return row < 0 ? -1 : id;
}

/* The code of a station id into out ("" if none). */
static void station_code(struct db *db, int64_t id, char *out, size_t len)
{
	out[0] = '\0';
	sqlite3_stmt *st = db_stmt(db, "SELECT code, kind FROM units WHERE id = ?1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, id);
	if (db_step_row(db, st) == 1 && strcmp((const char *)sqlite3_column_text(st, 1), "station") == 0)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
}

/* The earlier import of an IEC MessageID, 0 if none, -1 on error. */
static int64_t earlier_by_file_id(struct db *db, const char *file_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(id) FROM meter_imports WHERE file_id = ?1 AND status = 'imported' "
				       "AND format <> 'native'");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, file_id, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int64_t id = row == 1 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return row < 0 ? -1 : id;
}

static int64_t earlier_by_sha(struct db *db, const char *sha)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(id) FROM meter_imports WHERE sha256 = ?1 AND status = 'imported'");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int64_t id = row == 1 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return row < 0 ? -1 : id;
}

/* A scoped caller is told "already" only about an earlier import of a station within
 * its scope: for any other the answer is the refusal a new file of that station gets,
 * so it cannot learn whether another station's file was imported. 1: in scope, or no
 * scope; 0: refused (errors, c->station_id and c->forbidden set); -1 on error. */
static int earlier_in_scope(struct imp *c, int64_t earlier, long line)
{
	if (!c->opts->scope_unit)
		return 1;
	sqlite3_stmt *st = db_stmt(c->db, "SELECT coalesce(station_id, 0) FROM meter_imports WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, earlier);
	int row = db_step_row(c->db, st);
	int64_t station = row == 1 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (row < 0)
		return -1;
	int within = station ? org_unit_within(c->db, station, c->opts->scope_unit) : 0;
	if (within != 0)
		return within;
	c->station_id = station;
	if (station) {
		station_code(c->db, station, c->rep->station, sizeof c->rep->station);
		rollout_error_add(&c->rep->errors, line, 0, "station",
				  "station '%s' is outside the units you may import for", c->rep->station);
	} else {
		rollout_error_add(&c->rep->errors, line, 0, "Source",
				  "this document names no station; you may import only your own station's files");
	}
	c->forbidden = 1;
	return 0;
}

static enum gs_result on_header(void *ctx, const struct rollout_header *h)
{
	struct imp *c = ctx;
	struct meter_import_report *rep = c->rep;
	c->format = h->format;
	c->header_line = h->line;
	snprintf(rep->format, sizeof rep->format, "%s", rollout_format_name(h->format));
	snprintf(rep->file_id, sizeof rep->file_id, "%s", h->file_id);
	char kind[16];
	if (h->format == ROLLOUT_NATIVE) {
		int64_t id = station_by_code(c->db, h->station, kind, sizeof kind);
		if (id < 0)
			return GS_ERR_DB;
		if (id == 0) {
			if (kind[0])
				rollout_error_add(&rep->errors, h->line, 0, "station", "'%s' is a %s, not a station",
						  h->station, kind);
			else
				rollout_error_add(&rep->errors, h->line, 0, "station", "unknown station '%s'",
						  h->station);
			return GS_ERR_INVALID;
		}
		c->station_id = id;
	} else if (is_iec(h->format)) {
		sqlite3_stmt *st = db_stmt(c->db, "SELECT station_id FROM meter_source_map WHERE source = ?1");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_text(st, 1, h->source, -1, SQLITE_STATIC);
		int row = db_step_row(c->db, st);
		c->station_id = row == 1 ? sqlite3_column_int64(st, 0) : c->opts->station_id;
		sqlite3_reset(st);
		if (row < 0)
			return GS_ERR_DB;
		if (c->station_id) {
			char code[65];
			station_code(c->db, c->station_id, code, sizeof code);
			if (!code[0]) {
				rollout_error_add(&rep->errors, h->line, 0, "Source",
						  "the station given for this document (unit id %lld) is not a station",
						  (long long)c->station_id);
				c->station_id = 0;
				return GS_ERR_INVALID;
			}
		}
		if (!c->station_id && h->format == ROLLOUT_IEC_USAGEPOINT) {
			rollout_error_add(&rep->errors, h->line, 0, "Source",
					  "UsagePointConfig needs a station: Source '%s' is not mapped to one and no "
					  "station was given",
					  h->source);
			return GS_ERR_INVALID;
		}
	}
	if (c->station_id)
		station_code(c->db, c->station_id, rep->station, sizeof rep->station);
	if (c->opts->scope_unit) {
		int within = c->station_id ? org_unit_within(c->db, c->station_id, c->opts->scope_unit) : 0;
		if (within < 0)
			return GS_ERR_DB;
		if (!within) {
			if (c->station_id)
				rollout_error_add(&rep->errors, h->line, 0, "station",
						  "station '%s' is outside the units you may import for", rep->station);
			else
				rollout_error_add(&rep->errors, h->line, 0, "Source",
						  "this document names no station; you may import only your own "
						  "station's files");
			c->forbidden = 1;
			return GS_ERR_FORBIDDEN;
		}
	}
	/* after the scope: "already" must not tell a caller about another station's file */
	if (is_iec(h->format) && h->file_id[0]) {
		int64_t earlier = earlier_by_file_id(c->db, h->file_id);
		if (earlier < 0)
			return GS_ERR_DB;
		if (earlier > 0) {
			int ok = earlier_in_scope(c, earlier, h->line);
			if (ok < 0)
				return GS_ERR_DB;
			if (!ok)
				return GS_ERR_FORBIDDEN;
			rep->earlier_id = earlier;
			c->already = 1;
			return GS_ERR_CONFLICT; /* stops the reading; not an error of the file */
		}
	}
	if (c->allow_fast && h->format == ROLLOUT_NATIVE && c->station_id && !has_errors(c))
		return fast_begin(c);
	if (c->sha_later) /* the general run, which knows the file's SHA-256 from the start */
		return fast_bail(c, h->line, "not a native file of a known station");
	return GS_OK;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static enum gs_result on_record(void *ctx, const struct rollout_record *r)
{
	struct imp *c = ctx;
	struct rollout_errors *errs = &c->rep->errors;
	char mkey[256], okey[256];
	meter_key(mkey, sizeof mkey, r->meter, r->serial, r->manufacturer);
	okey[0] = '\0';
	const char *omrid = NULL, *oserial = NULL, *omanufacturer = NULL;
	switch (r->kind) {
	case ROLLOUT_INSTALL:
		if (r->replaces && *r->replaces) {
			omrid = r->replaces;
			meter_key(okey, sizeof okey, r->replaces, NULL, NULL);
		}
		break;
	case ROLLOUT_REPLACE:
		omrid = r->old_meter;
		oserial = r->old_serial;
		omanufacturer = r->old_manufacturer;
		meter_key(okey, sizeof okey, omrid, oserial, omanufacturer);
		if (!okey[0])
			rollout_error_add(errs, r->line, r->column, "old-meter",
					  "a replace needs the old meter: old-meter, or old-manufacturer and "
					  "old-serial");
		break;
	case ROLLOUT_LINK:
		if (!r->date)
			rollout_error_add(errs, r->line, r->column, "effectiveDateTime",
					  "a meter-to-usage-point link needs a date");
		if (!r->point)
			rollout_error_add(errs, r->line, r->column, "UsagePoint", "a link needs a usage point");
		break;
	default:
		break;
	}
	if (r->kind != ROLLOUT_POINT && !mkey[0])
		rollout_error_add(errs, r->line, r->column, r->kind == ROLLOUT_METER || r->kind == ROLLOUT_LINK ? "mRID" : "meter",
				  "the meter needs an mRID, or a manufacturer and a serial number");
	if ((r->kind == ROLLOUT_INSTALL || r->kind == ROLLOUT_REMOVE || r->kind == ROLLOUT_REPLACE) &&
	    (!r->point || !r->date))
		rollout_error_add(errs, r->line, r->column, r->point ? "date" : "point", "missing %s",
				  r->point ? "date" : "point");
	if (r->kind == ROLLOUT_POINT && !r->point)
		rollout_error_add(errs, r->line, r->column, "code", "a metering point needs a code");
	if (c->fast) {
		/* after an error the file is rejected with the reader's errors, as on the general path */
		if (!c->bail && !has_errors(c)) {
			enum gs_result fr = fast_record(c, r, mkey, okey);
			if (fr != GS_OK)
				return fr;
		}
		c->rep->records++;
		return GS_OK;
	}
	sqlite3_stmt *st = c->ins;
	sqlite3_bind_int(st, 1, (int)r->kind);
	sqlite3_bind_int64(st, 2, r->line);
	sqlite3_bind_int64(st, 3, r->column);
	bind_opt(st, 4, r->point);
	bind_opt(st, 5, r->customer_class);
	bind_opt(st, 6, r->since);
	bind_opt(st, 7, r->until);
	bind_opt(st, 8, mkey[0] ? mkey : NULL);
	bind_opt(st, 9, r->meter);
	bind_opt(st, 10, r->serial);
	bind_opt(st, 11, r->manufacturer);
	bind_opt(st, 12, r->model);
	sqlite3_bind_int(st, 13, r->kind == ROLLOUT_INSTALL || r->kind == ROLLOUT_REPLACE ? 1 : r->smart);
	bind_opt(st, 14, r->date);
	bind_opt(st, 15, r->removed);
	bind_opt(st, 16, r->status);
	bind_opt(st, 17, okey[0] ? okey : NULL);
	bind_opt(st, 18, omrid);
	bind_opt(st, 19, oserial);
	bind_opt(st, 20, omanufacturer);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(c->db, st, rc);
	c->rep->records++;
	return GS_OK;
}

/* ---- Checks and merges ------------------------------------------------------------- */

/* Every check binds ?1 the file's station (0: none), ?2 today, ?3 1 for IEC documents,
 * and yields rows (line, column, field, message). */
#define SQL_DISP(k) "replace(substr(" k ", 3), char(31), ' ')"

static const char sql_check_future[] =
	"SELECT line, col, CASE WHEN since > ?2 THEN (CASE WHEN ?3 THEN 'createdDateTime' ELSE 'since' END) "
	"WHEN until > ?2 THEN 'until' WHEN date > ?2 THEN (CASE kind WHEN 5 THEN 'installationDate' WHEN 6 THEN "
	"'effectiveDateTime' ELSE 'date' END) ELSE 'removalDate' END, printf('%s is after today (%s)', CASE WHEN "
	"since > ?2 THEN since WHEN until > ?2 THEN until WHEN date > ?2 THEN date ELSE removed END, ?2) "
	"FROM temp.mi_rec WHERE since > ?2 OR until > ?2 OR date > ?2 OR removed > ?2 ORDER BY rid";

static const char sql_check_order[] =
	"SELECT line, col, CASE kind WHEN 1 THEN 'until' ELSE 'removalDate' END, CASE kind WHEN 1 THEN "
	"printf('out of service from %s, before in service since %s', until, since) ELSE "
	"printf('removal before installation: removed %s, installed %s', removed, date) END FROM temp.mi_rec "
	"WHERE (kind = 1 AND until < since) OR (kind = 5 AND removed < date) ORDER BY rid";

static const char sql_check_dup_point[] =
	"SELECT line, col, CASE WHEN ?3 THEN 'mRID' ELSE 'code' END, printf('metering point %s appears twice in "
	"this file (first at line %d)', point, first) FROM (SELECT rid, line, col, point, first_value(line) OVER w "
	"AS first, row_number() OVER w AS rn FROM temp.mi_rec WHERE kind = 1 WINDOW w AS (PARTITION BY point ORDER "
	"BY rid)) WHERE rn > 1 ORDER BY rid";

static const char sql_check_dup_meter[] =
	"SELECT line, col, CASE kind WHEN 5 THEN 'mRID' ELSE 'meter' END, printf('meter %s %s twice in this file "
	"(first at line %d)', " SQL_DISP("mkey") ", CASE kind WHEN 5 THEN 'is described' ELSE 'is installed' END, "
	"first) FROM (SELECT rid, line, col, kind, mkey, first_value(line) OVER w AS first, row_number() OVER w AS "
	"rn FROM temp.mi_rec WHERE kind IN (2, 4, 5) AND mkey IS NOT NULL WINDOW w AS (PARTITION BY kind = 5, mkey "
	"ORDER BY rid)) WHERE rn > 1 ORDER BY rid";

/* Cheap tests run before the two duplicate checks above, which sort whole rows: files
 * seldom hold duplicates. */
static const char sql_any_dup_point[] =
	"SELECT 1 FROM temp.mi_rec WHERE kind = 1 GROUP BY point HAVING count(*) > 1 LIMIT 1";
static const char sql_any_dup_meter[] =
	"SELECT 1 FROM temp.mi_rec WHERE kind IN (2, 4, 5) AND mkey IS NOT NULL GROUP BY kind = 5, mkey HAVING "
	"count(*) > 1 LIMIT 1";

static const char sql_check_point_station[] =
	"SELECT r.line, r.col, CASE WHEN ?3 THEN 'mRID' ELSE 'code' END, printf('metering point %s belongs to "
	"station %s, not to %s', r.point, u.code, (SELECT code FROM units WHERE id = ?1)) FROM temp.mi_rec r JOIN "
	"meter_points p ON p.code = r.point JOIN units u ON u.id = p.station_id WHERE r.kind = 1 AND "
	"p.station_id <> ?1 ORDER BY r.rid";

static const char sql_check_point_since[] =
	"SELECT r.line, r.col, 'createdDateTime', printf('usage point %s is new and has no creation date "
	"(ConfigurationEvents/createdDateTime)', r.point) FROM temp.mi_rec r WHERE r.kind = 1 AND r.since IS NULL "
	"AND NOT EXISTS (SELECT 1 FROM meter_points p WHERE p.code = r.point) ORDER BY r.rid";

/* After the inventory is merged: every event's point must exist, in the file's station. */
static const char sql_check_event_points[] =
	"SELECT r.line, r.col, CASE WHEN ?3 THEN 'UsagePoint' ELSE 'point' END, CASE WHEN x.point_id IS NULL THEN "
	"printf('unknown metering point %s (not stored and not in this file)', r.point) ELSE printf('metering "
	"point %s belongs to station %s, not to %s', r.point, u.code, (SELECT code FROM units WHERE id = ?1)) END "
	"FROM temp.mi_pt x JOIN temp.mi_rec r ON r.rid = x.rid LEFT JOIN units u ON u.id = x.station_id WHERE "
	"r.kind <> 1 AND (x.point_id IS NULL OR (?1 <> 0 AND x.station_id <> ?1)) ORDER BY x.rid";

/* Each record's metering point resolved once after the inventory merge (NULL: unknown),
 * so the later steps join integers in file order instead of looking codes up again. */
static const char sql_resolve_points[] =
	"INSERT INTO temp.mi_pt(rid, point_id, station_id, since) SELECT r.rid, p.id, p.station_id, p.since FROM "
	"temp.mi_rec r LEFT JOIN meter_points p ON p.code = r.point WHERE r.point IS NOT NULL ORDER BY r.rid";

/* Meter removals (remove, replace's old meter, install's legacy meter) that match no
 * link of that meter on that point at that day. */
/* The key of the meter an end record takes off (r: its mi_rec row, e: its mi_end row). */
#define SQL_END_KEY "CASE e.kind WHEN 3 THEN r.mkey ELSE r.okey END"
static const char sql_check_ends[] =
	"SELECT r.line, r.col, CASE e.kind WHEN 3 THEN 'meter' WHEN 4 THEN 'old-meter' ELSE 'replaces' END, CASE "
	"WHEN e.meter_id IS NULL THEN printf('meter %s is unknown: it is not on metering point %s on %s', "
	SQL_DISP(SQL_END_KEY) ", r.point, e.date) "
	"WHEN e.link_id IS NULL AND e.later IS NOT NULL THEN printf('removal before installation: meter %s is taken "
	"off metering point %s on %s but installed there on %s', " SQL_DISP(SQL_END_KEY) ", r.point, e.date, e.later) "
	"WHEN e.link_id IS NULL THEN printf('meter %s is not on metering point %s on %s', " SQL_DISP(SQL_END_KEY)
	", r.point, e.date) "
	"ELSE printf('meter %s was already taken off metering point %s on %s', " SQL_DISP(SQL_END_KEY)
	", r.point, e.old_until) END "
	"FROM (SELECT q.*, (SELECT min(x.since) FROM meter_links x WHERE x.meter_id = q.meter_id AND x.point_id = "
	"q.point_id AND x.since > q.date) AS later FROM temp.mi_end q WHERE q.link_id IS NULL OR q.old_until < "
	"q.date) e JOIN temp.mi_rec r ON r.rid = e.rid WHERE (e.kind IN (3, 4) AND (e.meter_id IS NULL OR e.link_id "
	"IS NULL)) OR (e.link_id IS NULL AND e.later IS NOT NULL) OR e.old_until < e.date ORDER BY e.rid";

static const char sql_check_end_twice[] =
	"SELECT r.line, r.col, CASE e.kind WHEN 3 THEN 'meter' WHEN 4 THEN 'old-meter' ELSE 'replaces' END, "
	"printf('meter %s is taken off metering point %s twice in this file (first at line %d)', "
	SQL_DISP(SQL_END_KEY) ", r.point, (SELECT line FROM temp.mi_rec WHERE rid = e.first)) FROM (SELECT rid, kind, "
	"first_value(rid) OVER w AS first, row_number() OVER w AS rn FROM temp.mi_end WHERE link_id IS NOT NULL "
	"WINDOW w AS (PARTITION BY link_id ORDER BY rid)) e JOIN temp.mi_rec r ON r.rid = e.rid WHERE e.rn > 1 "
	"ORDER BY e.rid";

/* The mRID as meters.mrid stores it: NULL when the key holds it ('m:' || mRID; migration
 * 009), else as given. */
#define SQL_MRID_STORED(mrid, key) "nullif(" mrid ", substr(" key ", 3))"

/* Meter attributes of a record that differ from the stored meter m (absent fields keep
 * the stored value). */
#define SQL_METER_DIFFERS                                                                                      \
	"(m.mrid IS NOT coalesce(" SQL_MRID_STORED("r.mrid", "r.mkey") ", m.mrid) OR m.serial IS NOT "            \
	"coalesce(r.serial, m.serial) OR m.manufacturer IS NOT coalesce(r.manufacturer, m.manufacturer) OR "     \
	"m.model IS NOT coalesce(r.model, m.model) OR (r.smart >= 0 AND m.smart <> r.smart))"

/* Record statuses: 2 inserted, 1 updated, 0 unchanged; +4 marks a native start whose
 * meter was stored as not smart (its other points' stations change too). */
static const char sql_st_points[] =
	"INSERT INTO temp.mi_st(rid, st) SELECT r.rid, CASE WHEN p.id IS NULL THEN 2 WHEN p.customer_class IS "
	"coalesce(r.class, p.customer_class) AND p.since = coalesce(r.since, p.since) AND p.until IS r.until THEN 0 "
	"ELSE 1 END FROM temp.mi_rec r LEFT JOIN meter_points p ON p.code = r.point WHERE r.kind = 1 ORDER BY r.rid";

static const char sql_st_meters[] =
	"INSERT INTO temp.mi_st(rid, st) SELECT r.rid, CASE WHEN m.id IS NULL THEN 2 WHEN " SQL_METER_DIFFERS
	" OR m.installed IS NOT coalesce(r.date, m.installed) OR m.removed IS NOT coalesce(r.removed, m.removed) "
	"OR m.status IS NOT coalesce(r.status, m.status) THEN 1 ELSE 0 END FROM temp.mi_rec r LEFT JOIN meters m "
	"ON m.key = r.mkey WHERE r.kind = 5 ORDER BY r.rid";

static const char sql_st_starts[] =
	"INSERT INTO temp.mi_st(rid, st) SELECT r.rid, CASE WHEN l.id IS NULL THEN 2 WHEN r.kind IN (2, 4) AND "
	SQL_METER_DIFFERS " THEN 1 ELSE 0 END + CASE WHEN r.kind IN (2, 4) AND m.smart <> 1 THEN 4 ELSE 0 END "
	"FROM temp.mi_rec r LEFT JOIN meters m ON m.key = r.mkey LEFT JOIN meter_points p ON p.code = r.point LEFT "
	"JOIN meter_links l ON l.meter_id = m.id AND l.point_id = p.id AND l.since = coalesce(r.date, p.since) "
	"WHERE r.kind IN (2, 4, 6) OR (r.kind = 5 AND r.point IS NOT NULL) ORDER BY r.rid "
	"ON CONFLICT(rid) DO UPDATE SET st = max(st, excluded.st)";

static const char sql_st_ends[] =
	"INSERT INTO temp.mi_st(rid, st) SELECT rid, CASE WHEN link_id IS NULL OR old_until IS NULL THEN 2 WHEN "
	"old_until = date THEN 0 ELSE 1 END FROM temp.mi_end WHERE true ORDER BY rid ON CONFLICT(rid) DO UPDATE SET "
	"st = max(st & 3, excluded.st) | (st & 4)";

static const char sql_merge_points[] =
	"INSERT INTO meter_points(code, station_id, customer_class, since, until) SELECT r.point, ?1, r.class, "
	"CASE WHEN r.since IS NULL THEN (SELECT since FROM meter_points WHERE code = r.point) ELSE r.since END, "
	"r.until FROM temp.mi_rec r WHERE r.kind = 1 ORDER BY r.rid ON CONFLICT(code) DO UPDATE SET customer_class "
	"= coalesce(excluded.customer_class, customer_class), since = excluded.since, until = excluded.until WHERE "
	"customer_class IS NOT coalesce(excluded.customer_class, customer_class) OR since IS NOT excluded.since OR "
	"until IS NOT excluded.until";

static const char sql_merge_meter_records[] =
	"INSERT INTO meters(key, mrid, serial, manufacturer, model, smart, installed, removed, status) SELECT mkey, "
	SQL_MRID_STORED("mrid", "mkey") ", serial, manufacturer, model, smart, date, removed, status FROM temp.mi_rec "
	"WHERE kind = 5 ORDER BY rid ON CONFLICT(key) DO UPDATE SET mrid = coalesce(excluded.mrid, mrid), serial = coalesce(excluded.serial, "
	"serial), manufacturer = coalesce(excluded.manufacturer, manufacturer), model = coalesce(excluded.model, "
	"model), smart = CASE WHEN excluded.smart >= 0 THEN excluded.smart ELSE smart END, installed = "
	"coalesce(excluded.installed, installed), removed = coalesce(excluded.removed, removed), status = "
	"coalesce(excluded.status, status) WHERE mrid IS NOT coalesce(excluded.mrid, mrid) OR serial IS NOT "
	"coalesce(excluded.serial, serial) OR manufacturer IS NOT coalesce(excluded.manufacturer, manufacturer) OR "
	"model IS NOT coalesce(excluded.model, model) OR (excluded.smart >= 0 AND smart <> excluded.smart) OR "
	"installed IS NOT coalesce(excluded.installed, installed) OR removed IS NOT coalesce(excluded.removed, "
	"removed) OR status IS NOT coalesce(excluded.status, status)";

static const char sql_merge_meter_starts[] =
	"INSERT INTO meters(key, mrid, serial, manufacturer, model, smart) SELECT mkey, "
	SQL_MRID_STORED("mrid", "mkey") ", serial, manufacturer, model, 1 FROM temp.mi_rec WHERE kind IN (2, 4) ORDER BY rid ON CONFLICT(key) DO UPDATE SET mrid = "
	"coalesce(excluded.mrid, mrid), serial = coalesce(excluded.serial, serial), manufacturer = "
	"coalesce(excluded.manufacturer, manufacturer), model = coalesce(excluded.model, model), smart = 1 WHERE "
	"mrid IS NOT coalesce(excluded.mrid, mrid) OR serial IS NOT coalesce(excluded.serial, serial) OR "
	"manufacturer IS NOT coalesce(excluded.manufacturer, manufacturer) OR model IS NOT coalesce(excluded.model, "
	"model) OR smart <> 1";

/* Legacy meters an install replaces, and meters a link names before any MeterConfig. */
static const char sql_merge_meter_legacy[] =
	"INSERT OR IGNORE INTO meters(key, mrid, serial, manufacturer, smart) SELECT okey, "
	SQL_MRID_STORED("omrid", "okey") ", oserial, omanufacturer, 0 FROM temp.mi_rec WHERE kind = 2 AND okey IS NOT NULL ORDER BY rid";
static const char sql_merge_meter_placeholders[] =
	"INSERT OR IGNORE INTO meters(key, mrid, serial, manufacturer, smart) SELECT mkey, "
	SQL_MRID_STORED("mrid", "mkey") ", serial, manufacturer, -1 FROM temp.mi_rec WHERE kind = 6 ORDER BY rid";

static const char sql_merge_starts[] =
	"INSERT INTO meter_links(meter_id, point_id, since) SELECT m.id, x.point_id, coalesce(r.date, x.since) FROM "
	"temp.mi_rec r JOIN temp.mi_pt x ON x.rid = r.rid JOIN meters m ON m.key = r.mkey WHERE r.kind IN (2, 4, 6) "
	"OR (r.kind = 5 AND r.point IS NOT NULL) ORDER BY r.rid ON CONFLICT DO NOTHING";

/* Each end's meter by key in file order, then its link looked up in meter order (one
 * pass along meter_links' (meter, point, since) index instead of a seek per end in the
 * strided order of replace events; LIMIT -1 keeps SQLite from dropping the subquery's
 * ORDER BY); mi_end takes the rows in that order (no key on rid: appends), the later
 * steps sort by rid where they need file order. */
static const char sql_find_ends[] =
	"WITH x AS MATERIALIZED (SELECT r.rid, r.kind, m.id AS mid, p.point_id AS pid, r.date FROM "
	"temp.mi_rec r JOIN temp.mi_pt p ON p.rid = r.rid LEFT JOIN meters m ON m.key = CASE r.kind WHEN 3 THEN "
	"r.mkey ELSE r.okey END WHERE r.kind = 3 OR (r.kind IN (2, 4) AND r.okey IS NOT NULL) ORDER BY m.id, "
	"p.point_id LIMIT -1) INSERT INTO temp.mi_end(rid, kind, meter_id, point_id, date, link_id, old_until) SELECT "
	"x.rid, x.kind, x.mid, x.pid, x.date, l.id, l.until FROM x LEFT JOIN meter_links l ON l.id = (SELECT y.id FROM "
	"meter_links y WHERE y.meter_id = x.mid AND y.point_id = x.pid AND y.since <= x.date ORDER BY y.since DESC "
	"LIMIT 1)";

/* A legacy meter an install replaces, not known on that point: its link until that day. */
static const char sql_merge_legacy_links[] =
	"INSERT INTO meter_links(meter_id, point_id, since, until) SELECT e.meter_id, e.point_id, min(p.since, "
	"e.date), e.date FROM temp.mi_end e JOIN meter_points p ON p.id = e.point_id WHERE e.kind = 2 AND "
	"e.link_id IS NULL ORDER BY e.rid ON CONFLICT DO NOTHING";

/* In link order: one pass over meter_links instead of a seek per end in file order. */
static const char sql_merge_ends[] =
	"UPDATE meter_links SET until = e.date FROM (SELECT link_id, date FROM temp.mi_end WHERE link_id IS NOT NULL "
	"ORDER BY link_id) e WHERE meter_links.id = e.link_id AND meter_links.until IS NOT e.date";

/* The metering points whose coverage an import may change: the stored points its records
 * name, and every point linked to a meter that an IEC record describes or links, or
 * that a native start turns smart (+4). Collected before the merges, so that their
 * meter_daily contribution can be taken out; the file's new points join after. */
static const char sql_aff_points[] =
	"INSERT OR IGNORE INTO temp.mi_aff_point(id) SELECT p.id FROM temp.mi_rec r JOIN meter_points p ON p.code = "
	"r.point WHERE r.point IS NOT NULL";
static const char sql_aff_meters[] =
	"INSERT OR IGNORE INTO temp.mi_aff_point(id) SELECT l.point_id FROM temp.mi_rec r JOIN meters m ON m.key = "
	"r.mkey JOIN meter_links l ON l.meter_id = m.id WHERE r.kind IN (5, 6)";
static const char sql_aff_starts[] =
	"INSERT OR IGNORE INTO temp.mi_aff_point(id) SELECT l.point_id FROM temp.mi_st s JOIN temp.mi_rec r ON r.rid "
	"= s.rid JOIN meters m ON m.key = r.mkey JOIN meter_links l ON l.meter_id = m.id WHERE s.st >= 4";
static const char sql_aff_new[] =
	"INSERT OR IGNORE INTO temp.mi_aff_point(id) SELECT point_id FROM temp.mi_pt WHERE point_id IS NOT NULL";

/* Smart meters serving one point on overlapping days, in the touched stations: each
 * serving interval that starts while another, which started earlier (or the same day
 * and was stored first), is still open. A range seek on the point's links per interval,
 * no sort: points have few links. */
#define SQL_SERVE_B(l, m) "max(" l ".since, coalesce(" m ".installed, " l ".since))"
#define SQL_SERVE_E(l, m) "min(coalesce(" l ".until, '" METER_FAR "'), coalesce(" m ".removed, '" METER_FAR "'))"
/* The smart-served intervals of the touched points' links, once per state (before the
 * merges for the daily contribution taken out, after them for the overlap check and the
 * contribution put back): sb/se the link ∩ the meter's lifecycle, b/e that ∩ the point's
 * service. Two plans with the same rows: per touched point through meter_links_point
 * (few touched points), or one pass over meter_links in rowid order with the meters
 * beside them (a large import touches most links: random seeks per point would cost
 * more than reading every link once). */
#define SQL_COV_COLS                                                                                               \
	"l.id, p.id, p.station_id, " SQL_SERVE_B("l", "m") ", " SQL_SERVE_E("l", "m") ", max(" SQL_SERVE_B("l", "m") \
	", p.since), min(" SQL_SERVE_E("l", "m") ", coalesce(p.until, '" METER_FAR "'))"
static const char sql_cov_by_point[] =
	"INSERT INTO temp.mi_cov(link_id, point_id, sid, sb, se, b, e) SELECT " SQL_COV_COLS " FROM temp.mi_aff_point "
	"a CROSS JOIN meter_points p ON p.id = a.id CROSS JOIN meter_links l ON l.point_id = p.id CROSS JOIN meters m "
	"ON m.id = l.meter_id WHERE m.smart = 1";
static const char sql_cov_scan[] =
	"INSERT INTO temp.mi_cov(link_id, point_id, sid, sb, se, b, e) SELECT " SQL_COV_COLS " FROM meter_links l "
	"CROSS JOIN meters m ON m.id = l.meter_id CROSS JOIN meter_points p ON p.id = l.point_id WHERE l.point_id IN "
	"(SELECT id FROM temp.mi_aff_point) AND m.smart = 1";

/* Smart meters serving one point on overlapping days: each serving interval that starts
 * while another, which started earlier (or the same day and was stored first), is still
 * open — the latest end among the point's earlier intervals is after its start. */
static const char sql_check_overlap[] =
	"SELECT c.link_id, c.point_id, c.sb, p.code, m.key FROM (SELECT link_id, point_id, sb, max(se) OVER (PARTITION "
	"BY point_id ORDER BY sb, link_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pe FROM temp.mi_cov "
	"WHERE sb < se) c CROSS JOIN meter_points p ON p.id = c.point_id CROSS JOIN meter_links l ON l.id = c.link_id "
	"CROSS JOIN meters m ON m.id = l.meter_id WHERE c.pe > c.sb ORDER BY p.code, c.sb";

static const char sql_overlap_other[] =
	"SELECT m.key FROM meter_links l JOIN meters m ON m.id = l.meter_id WHERE l.point_id = ?1 AND l.id <> ?2 "
	"AND m.smart = 1 AND max(l.since, coalesce(m.installed, l.since)) <= ?3 AND min(coalesce(l.until, '" METER_FAR
	"'), coalesce(m.removed, '" METER_FAR "')) > ?3 ORDER BY l.since LIMIT 1";

static const char sql_overlap_line[] =
	"SELECT line, col FROM temp.mi_rec WHERE point = ?1 AND (mkey = ?2 OR mkey = ?3) ORDER BY rid DESC LIMIT 1";
static const char sql_overlap_line_meter[] =
	"SELECT line, col FROM temp.mi_rec WHERE mkey = ?1 OR mkey = ?2 ORDER BY rid DESC LIMIT 1";

/* meter_daily of a set of stations, from their points and links: +1/-1 points on the
 * days a point enters and leaves service, +1/-1 smart on the days its smart-served
 * interval (link ∩ meter lifecycle ∩ point service) starts and ends; running sums. */
#define SQL_DAILY_BODY(STATIONS)                                                                                  \
	"WITH st(id) AS (" STATIONS "), pts AS (SELECT p.id, p.station_id, p.since, p.until FROM st JOIN "          \
	"meter_points p ON p.station_id = st.id), cov AS (SELECT pts.station_id, max(l.since, "                     \
	"coalesce(m.installed, l.since), pts.since) AS b, min(coalesce(l.until, '" METER_FAR "'), "               \
	"coalesce(m.removed, '" METER_FAR "'), coalesce(pts.until, '" METER_FAR "')) AS e FROM pts JOIN "           \
	"meter_links l ON l.point_id = pts.id JOIN meters m ON m.id = l.meter_id WHERE m.smart = 1), ev(sid, day, " \
	"dp, ds) AS (SELECT station_id, since, 1, 0 FROM pts UNION ALL SELECT station_id, until, -1, 0 FROM pts "   \
	"WHERE until IS NOT NULL UNION ALL SELECT station_id, b, 0, 1 FROM cov WHERE b < e UNION ALL SELECT "       \
	"station_id, e, 0, -1 FROM cov WHERE b < e AND e < '" METER_FAR "'), g AS (SELECT sid, day, sum(dp) AS "  \
	"dp, sum(ds) AS ds FROM ev GROUP BY sid, day HAVING sum(dp) <> 0 OR sum(ds) <> 0) INSERT INTO "             \
	"meter_daily(station_id, day, d_points, d_smart, points, smart) SELECT sid, day, dp, ds, sum(dp) OVER w, "  \
	"sum(ds) OVER w FROM g WINDOW w AS (PARTITION BY sid ORDER BY day)"

/* The contribution of the touched points to meter_daily (the same events as
 * SQL_DAILY_BODY, the served intervals from mi_cov), taken out before the merges (sign
 * -1) and put back after (+1). */
#define SQL_DAILY_DELTA(SIGN)                                                                                     \
	"WITH pts AS (SELECT p.id, p.station_id, p.since, p.until FROM temp.mi_aff_point a CROSS JOIN meter_points " \
	"p ON p.id = a.id), ev(sid, day, dp, ds) AS (SELECT station_id, since, 1, 0 FROM pts UNION ALL SELECT "     \
	"station_id, until, -1, 0 FROM pts WHERE until IS NOT NULL UNION ALL SELECT sid, b, 0, 1 FROM temp.mi_cov " \
	"WHERE b < e UNION ALL SELECT sid, e, 0, -1 FROM temp.mi_cov WHERE b < e AND e < '" METER_FAR "') INSERT " \
	"INTO temp.mi_dd(sid, day, dp, ds) SELECT sid, day, " SIGN " * sum(dp), " SIGN " * sum(ds) FROM ev GROUP " \
	"BY sid, day"
static const char sql_daily_before[] = SQL_DAILY_DELTA("-1");
static const char sql_daily_after[] = SQL_DAILY_DELTA("1");
/* The net changes into the stored rows; rows whose day no longer changes anything go;
 * the running totals of the touched stations are summed again (a few rows per day with
 * changes, not the points and links). */
static const char sql_daily_merge[] =
	"INSERT INTO meter_daily(station_id, day, d_points, d_smart, points, smart) SELECT sid, day, sum(dp), "
	"sum(ds), 0, 0 FROM temp.mi_dd GROUP BY sid, day HAVING sum(dp) <> 0 OR sum(ds) <> 0 ORDER BY sid, day ON "
	"CONFLICT(station_id, day) DO UPDATE SET d_points = d_points + excluded.d_points, d_smart = d_smart + "
	"excluded.d_smart";
static const char sql_daily_drop_zero[] =
	"DELETE FROM meter_daily WHERE d_points = 0 AND d_smart = 0 AND station_id IN (SELECT DISTINCT sid FROM "
	"temp.mi_dd)";
static const char sql_daily_running[] =
	"WITH r AS (SELECT station_id AS sid, day, sum(d_points) OVER w AS p, sum(d_smart) OVER w AS s FROM "
	"meter_daily WHERE station_id IN (SELECT DISTINCT sid FROM temp.mi_dd) WINDOW w AS (PARTITION BY station_id "
	"ORDER BY day)) UPDATE meter_daily SET points = r.p, smart = r.s FROM r WHERE meter_daily.station_id = r.sid "
	"AND meter_daily.day = r.day AND (meter_daily.points <> r.p OR meter_daily.smart <> r.s)";
static const char sql_daily_clear_one[] = "DELETE FROM meter_daily WHERE ?1 = 0 OR station_id = ?1";
static const char sql_daily_one[] =
	SQL_DAILY_BODY("SELECT id FROM units WHERE kind = 'station' AND (?1 = 0 OR id = ?1)");

/* Steps a statement with the import's standard bindings, adding a row as an error per
 * result row when it yields (line, column, field, message). */
/* CPU time of this thread, microseconds (step timings that a busy machine does not skew). */
static int64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The process's resident and peak resident set, KiB, for the step timings (0: unknown). */
static void rss_kb(long *now, long *peak)
{
	*now = *peak = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return;
	char line[128];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*now = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*peak = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

static enum gs_result run_sql(struct imp *c, const char *sql, int yields_errors)
{
	int64_t t0 = util_monotonic_us(), cpu0 = thread_cpu_us();
	/* prepared for this run only: these run once per import, and the connection's
	 * statement cache (db_stmt) is kept for the statements that run all the time */
	sqlite3_stmt *st = NULL;
	int prc = sqlite3_prepare_v2(db_handle(c->db), sql, -1, &st, NULL);
	if (prc != SQLITE_OK) {
		log_error("sqlite: cannot prepare: %s in: %.200s", sqlite3_errmsg(db_handle(c->db)), sql);
		sqlite3_finalize(st);
		return GS_ERR_DB;
	}
	int n = sqlite3_bind_parameter_count(st);
	if (n >= 1)
		sqlite3_bind_int64(st, 1, c->station_id);
	if (n >= 2)
		sqlite3_bind_text(st, 2, c->today, -1, SQLITE_STATIC);
	if (n >= 3)
		sqlite3_bind_int(st, 3, is_iec(c->format));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!yields_errors)
			continue;
		const char *field = (const char *)sqlite3_column_text(st, 2);
		const char *msg = (const char *)sqlite3_column_text(st, 3);
		rollout_error_add(&c->rep->errors, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), field, "%s",
				  msg ? msg : "");
	}
	enum gs_result r = rc == SQLITE_DONE ? GS_OK : db_fail(c->db, st, rc);
	sqlite3_finalize(st);
	log_msg(LOG_DEBUG, "import: %.3f s (cpu %.3f s) in: %.90s", (double)(util_monotonic_us() - t0) / 1e6,
		(double)(thread_cpu_us() - cpu0) / 1e6, sql);
	return r;
}

static void disp_key(const char *key, char *out, size_t len)
{
	snprintf(out, len, "%s", key && strlen(key) > 2 ? key + 2 : "?");
	for (char *p = out; *p; p++)
		if (*p == '\x1f')
			*p = ' ';
}

/* Fills mi_cov for the touched points in the current state (emptied first), by the plan
 * that reads less: per point when the touched points are few beside the stored links. */
static enum gs_result build_cov(struct imp *c)
{
	enum gs_result r = db_exec(c->db, "DELETE FROM temp.mi_cov");
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st = db_stmt(c->db, "SELECT (SELECT count(*) FROM temp.mi_aff_point), (SELECT "
					  "coalesce(max(id), 0) FROM meter_links)");
	if (!st)
		return GS_ERR_DB;
	int row = db_step_row(c->db, st);
	int64_t n_aff = row == 1 ? sqlite3_column_int64(st, 0) : 0;
	int64_t n_links = row == 1 ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_reset(st);
	if (row != 1)
		return GS_ERR_DB;
	if (n_aff == 0)
		return GS_OK;
	/* a point has a few links: past an eighth of all links, one pass reads less */
	int scan = c->opts->cov_plan ? c->opts->cov_plan == 2 : n_aff * 8 >= n_links;
	return run_sql(c, scan ? sql_cov_scan : sql_cov_by_point, 0);
}

/* Two smart meters on one point on overlapping days: one error per interval that
 * starts while another is still open, at the file record that brought either. */
static enum gs_result check_overlaps(struct imp *c)
{
	sqlite3_stmt *st = db_stmt(c->db, sql_check_overlap);
	if (!st)
		return GS_ERR_DB;
	int indexed = 0, rc = SQLITE_DONE;
	enum gs_result r = GS_OK;
	while (r == GS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rollout_errors *errs = &c->rep->errors;
		if (errs->n >= ROLLOUT_MAX_ERRORS) {
			rollout_error_add(errs, 0, 0, "meter", "two smart meters on one metering point");
			continue;
		}
		int64_t link = sqlite3_column_int64(st, 0), point = sqlite3_column_int64(st, 1);
		char day[11], code[65], key[256], other[256] = "";
		snprintf(day, sizeof day, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(code, sizeof code, "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(key, sizeof key, "%s", (const char *)sqlite3_column_text(st, 4));
		sqlite3_stmt *o = db_stmt(c->db, sql_overlap_other);
		if (!o) {
			r = GS_ERR_DB;
			break;
		}
		sqlite3_bind_int64(o, 1, point);
		sqlite3_bind_int64(o, 2, link);
		sqlite3_bind_text(o, 3, day, -1, SQLITE_STATIC);
		if (db_step_row(c->db, o) == 1)
			snprintf(other, sizeof other, "%s", (const char *)sqlite3_column_text(o, 0));
		sqlite3_reset(o);
		if (!indexed) {
			/* only now worth an index: errors are few, the file may be large */
			r = db_exec(c->db, "CREATE INDEX IF NOT EXISTS temp.mi_rec_point ON mi_rec(point)");
			indexed = 1;
			if (r != GS_OK)
				break;
		}
		long line = 0, col = 0;
		for (int pass = 0; pass < 2 && line == 0; pass++) {
			sqlite3_stmt *q = db_stmt(c->db, pass == 0 ? sql_overlap_line : sql_overlap_line_meter);
			if (!q) {
				r = GS_ERR_DB;
				break;
			}
			int i = 1;
			if (pass == 0)
				sqlite3_bind_text(q, i++, code, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, i++, key, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, i, other, -1, SQLITE_STATIC);
			if (db_step_row(c->db, q) == 1) {
				line = (long)sqlite3_column_int64(q, 0);
				col = (long)sqlite3_column_int64(q, 1);
			}
			sqlite3_reset(q);
		}
		char k1[256], k2[256];
		disp_key(key, k1, sizeof k1);
		disp_key(other, k2, sizeof k2);
		rollout_error_add(errs, line, col, is_iec(c->format) ? "Meter" : "meter",
				  "two smart meters on metering point %s: %s serves it from %s while %s still does", code,
				  k1, day, other[0] ? k2 : "another smart meter");
	}
	if (r == GS_OK && rc != SQLITE_DONE)
		r = db_fail(c->db, st, rc);
	sqlite3_reset(st);
	return r;
}

/* 1 if the query yields a row, 0 if not, -1 on error. */
static int exists(struct db *db, const char *sql)
{
	int64_t cpu0 = thread_cpu_us();
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("sqlite: cannot prepare: %s in: %.200s", sqlite3_errmsg(db_handle(db)), sql);
		sqlite3_finalize(st);
		return -1;
	}
	int row = db_step_row(db, st);
	sqlite3_finalize(st);
	log_msg(LOG_DEBUG, "import: (cpu %.3f s) in: %.90s", (double)(thread_cpu_us() - cpu0) / 1e6, sql);
	return row;
}

/* Errors found so far: stop before merging what cannot be merged. */
static int has_errors(const struct imp *c)
{
	return c->rep->errors.total > 0;
}

/* The checks and merges of a staged file, inside the caller's write transaction. GS_OK
 * with errors recorded means the file is rejected. */
static enum gs_result apply_staged(struct imp *c)
{
	enum gs_result r;
	static const char *const pre_checks[] = {
		sql_check_future,    sql_check_order,         sql_check_dup_point,
		sql_check_dup_meter, sql_check_point_station, sql_check_point_since,
	};
	int iec = is_iec(c->format);
	for (size_t i = 0; i < GS_ARRAY_LEN(pre_checks); i++) {
		if ((pre_checks[i] == sql_check_point_station && !c->station_id) ||
		    (pre_checks[i] == sql_check_point_since && !iec))
			continue;
		if (pre_checks[i] == sql_check_dup_point || pre_checks[i] == sql_check_dup_meter) {
			int any = exists(c->db, pre_checks[i] == sql_check_dup_point ? sql_any_dup_point
										    : sql_any_dup_meter);
			if (any < 0)
				return GS_ERR_DB;
			if (!any)
				continue;
		}
		if ((r = run_sql(c, pre_checks[i], 1)) != GS_OK)
			return r;
	}
	if (has_errors(c))
		return GS_OK;
	/* statuses against the stored state, before anything changes */
	static const char *const status[] = {sql_st_points, sql_st_meters, sql_st_starts};
	for (size_t i = 0; i < GS_ARRAY_LEN(status); i++)
		if ((status[i] != sql_st_meters || iec) && (r = run_sql(c, status[i], 0)) != GS_OK)
			return r;
	/* the touched points' coverage as stored, taken out of meter_daily at the end */
	if ((r = run_sql(c, sql_aff_points, 0)) != GS_OK || (iec && (r = run_sql(c, sql_aff_meters, 0)) != GS_OK) ||
	    (r = run_sql(c, sql_aff_starts, 0)) != GS_OK || (r = build_cov(c)) != GS_OK ||
	    (r = run_sql(c, sql_daily_before, 0)) != GS_OK)
		return r;
	if ((r = run_sql(c, sql_merge_points, 0)) != GS_OK || (r = run_sql(c, sql_resolve_points, 0)) != GS_OK ||
	    (r = run_sql(c, sql_check_event_points, 1)) != GS_OK)
		return r;
	if (has_errors(c))
		return GS_OK;
	static const char *const merges[] = {
		sql_merge_meter_records, sql_merge_meter_starts, sql_merge_meter_legacy,
		sql_merge_meter_placeholders, sql_merge_starts, sql_find_ends,
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(merges); i++) {
		/* only IEC documents describe meters or link them without installing */
		if (!iec && (merges[i] == sql_merge_meter_records || merges[i] == sql_merge_meter_placeholders))
			continue;
		if ((r = run_sql(c, merges[i], 0)) != GS_OK)
			return r;
	}
	if ((r = run_sql(c, sql_check_ends, 1)) != GS_OK)
		return r;
	int twice = exists(c->db, "SELECT 1 FROM temp.mi_end WHERE link_id IS NOT NULL GROUP BY link_id HAVING "
				  "count(*) > 1 LIMIT 1");
	if (twice < 0)
		return GS_ERR_DB;
	if (twice && (r = run_sql(c, sql_check_end_twice, 1)) != GS_OK)
		return r;
	if (has_errors(c))
		return GS_OK;
	if ((r = run_sql(c, sql_merge_legacy_links, 0)) != GS_OK || (r = run_sql(c, sql_merge_ends, 0)) != GS_OK ||
	    (r = run_sql(c, sql_st_ends, 0)) != GS_OK)
		return r;
	/* the file's new points join the touched ones */
	if ((r = run_sql(c, sql_aff_new, 0)) != GS_OK)
		return r;
	if ((r = build_cov(c)) != GS_OK)
		return r;
	int64_t cpu0 = thread_cpu_us();
	r = check_overlaps(c);
	log_msg(LOG_DEBUG, "import: (cpu %.3f s) in: the overlap check", (double)(thread_cpu_us() - cpu0) / 1e6);
	if (r != GS_OK || has_errors(c))
		return r;
	static const char *const daily[] = {sql_daily_after, sql_daily_merge, sql_daily_drop_zero, sql_daily_running};
	for (size_t i = 0; i < GS_ARRAY_LEN(daily); i++)
		if ((r = run_sql(c, daily[i], 0)) != GS_OK)
			return r;
	sqlite3_stmt *st = db_stmt(c->db, "SELECT coalesce(sum(st & 3 = 2), 0), coalesce(sum(st & 3 = 1), 0), "
					  "coalesce(sum(st & 3 = 0), 0) FROM temp.mi_st");
	if (!st)
		return GS_ERR_DB;
	if (db_step_row(c->db, st) != 1) {
		sqlite3_reset(st);
		return GS_ERR_DB;
	}
	c->rep->inserted = (long)sqlite3_column_int64(st, 0);
	c->rep->updated = (long)sqlite3_column_int64(st, 1);
	c->rep->unchanged = (long)sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	return GS_OK;
}

/* ---- The first-import fast path ------------------------------------------------------ */

/* A native file none of whose metering points and meters is stored yet (a station's
 * first file: the bulk case) is applied while it is read, in the write transaction the
 * header opens: each point and meter is inserted as its record arrives (the reader
 * parses the next batch on the other core meanwhile), links and ends are gathered and
 * written in sorted chunks (fast_links_flush, fast_ends_apply), and after the reading
 * one scan of the new links checks overlaps and gives
 * the coverage rows, summed in memory by day. None of the general path's staging,
 * statuses, touched sets or before/after passes is needed: every row the file touches
 * is new (ids above p0/m0/l0), so the file's rows are the whole history of its points.
 * Anything else — a stored point or meter key, a key twice, an end before its start in
 * the file or not matching it, a day after today, points whose events are not in date
 * order, two smart meters on one point, a file past FAST_MAX_POINTS — makes it bail:
 * everything is rolled back and the general path imports the file from the start, so
 * its checks give the same errors and results as always (tests/test_meter.c compares). */

#define FAST_FAR 0xFFFFu                   /* "open": no end */
#define FAST_MAX_POINTS ((size_t)1 << 21)  /* 16 MiB of point state; larger files: general path */

struct fast_point {
	uint16_t since, until; /* days since 1900-01-01; until FAST_FAR while in service */
};

/* fast_finish's state per point (apart from fast_point: only the scan needs it). */
struct fast_scan {
	uint16_t last_sb, max_se; /* the latest served start and end seen so far */
};

/* "YYYY-MM-DD" → days since 1900-01-01, -1 if invalid or past 2079. */
static long fast_day(const char *s)
{
	long d = day_number(s);
	if (d == NO_DAY)
		return -1;
	d -= util_days_from_civil(1900, 1, 1);
	return d < 0 || d >= (long)FAST_FAR ? -1 : d;
}

static void fast_day_string(long d, char out[11])
{
	util_day_string(d + util_days_from_civil(1900, 1, 1), out);
}

static enum gs_result fast_bail(struct imp *c, long line, const char *why)
{
	c->bail = 1;
	c->bail_why = why;
	c->bail_line = line;
	return GS_ERR_CONFLICT; /* stops the reading */
}

/* FAST_ROWS rows of five parameters each: one statement writes a run of a chunk's
 * links (a multi-row VALUES is a co-routine: the per-statement work is paid once) */
#define FAST_ROWS 16
/* r sixteen times, comma-separated: the VALUES list of a FAST_ROWS statement. */
#define FAST_REP16(r) r "," r "," r "," r "," r "," r "," r "," r "," r "," r "," r "," r "," r "," r "," r "," r
#define FAST_ROWS5 FAST_REP16("(?, ?, ?, ?, ?)")
#define FAST_ROWS6 FAST_REP16("(?, ?, ?, ?, ?, ?)")
#define FAST_ROWS7 FAST_REP16("(?, ?, ?, ?, ?, ?, ?)")
#define FAST_ROWS2 FAST_REP16("(?, ?)")

/* Points or meters waiting for a full statement of FAST_ROWS: their texts copied (the
 * reader's batch they point into is handed back after each record). */
struct fast_rows {
	size_t n, used, cap;
	struct {
		uint32_t k, off[5]; /* ordinal; key, mrid, serial, maker, model or code, class,
		                     * since, until (0: NULL, else offset + 1) */
		int smart;
		long line;
	} row[FAST_ROWS];
	char *text;
};

static const char *const fast_sql[FS_COUNT] = {
    [FS_POINT] = "INSERT OR FAIL INTO meter_points(id, code, station_id, customer_class, since, until) VALUES (?1, ?2, "
                 "?3, ?4, ?5, ?6)",
    [FS_POINTS] =
        "INSERT OR FAIL INTO meter_points(id, code, station_id, customer_class, since, until) VALUES " FAST_ROWS6,
    [FS_POINT_ID] = "SELECT id FROM meter_points WHERE code = ?1",
    [FS_METER] = "INSERT OR FAIL INTO meters(id, key, mrid, serial, manufacturer, model, smart) VALUES (?1, ?2, ?3, "
                 "?4, ?5, ?6, ?7)",
    [FS_LINK] = "INSERT OR FAIL INTO meter_links(id, meter_id, point_id, since, until) VALUES (?1, ?1 - ?5, ?2, ?3, "
                "?4)",
    [FS_METERS] = "INSERT OR FAIL INTO meters(id, key, mrid, serial, manufacturer, model, smart) VALUES " FAST_ROWS7,
    [FS_LINKS] = "INSERT OR FAIL INTO meter_links(id, meter_id, point_id, since, until) VALUES " FAST_ROWS5,
    [FS_METER_ID] = "SELECT id FROM meters WHERE key = ?1",
    /* FAST_ROWS keys (row number, key): each row's meter id, NULL when there is none */
    [FS_METER_IDS] = "SELECT v.column1, m.id FROM (VALUES " FAST_ROWS2 ") AS v LEFT JOIN meters AS m ON m.key = "
                     "v.column2",
    /* the link must be on that point, started on or before the day, and open */
    [FS_END] = "UPDATE OR FAIL meter_links SET until = ?2 WHERE id = ?1 AND point_id = ?3 AND since <= ?2 AND until IS "
               "NULL",
};

/* Ends (remove, replace) are gathered and applied in chunks: each chunk's meters are
 * looked up in key order, and the links found are ended in link order in larger chunks
 * (fast_done), so the key index and the links are passed over in order instead of
 * sought at random (the page cache holds a small part of them). An end applied later
 * than it was read changes nothing:
 * it touches only its meter's one link, which no later record of the file reads before
 * fast_finish; `seen` keeps the rule that the meter came before the end in the file.
 * Halves of 32,768: each half's lookups pass once over the key index, whose leaves leave
 * the page cache between passes (at 1M, 16,384 sorted keys touched ~10 k of its ~16 k
 * leaves, 32,768 touch ~14 k for twice the ends): 17 % fewer page reads from the WAL. */
#define FAST_END_CHUNK 65536
#define FAST_END_ARENA ((size_t)4 << 20)

struct fast_end {
	uint32_t key;   /* offset in the arena */
	uint32_t point; /* ordinal */
	union {
		uint32_t seen; /* meters written before this end was read */
		uint32_t link; /* once looked up: the ordinal of the meter's link */
	};
	uint32_t line;
	uint16_t day;
};

/* An end whose meter was found: it closes link ordinal `link`. The closing waits for
 * FAST_DONE_CHUNK of them, which are then applied in link order: each pass of UPDATEs
 * over meter_links (tens of MB, through a page cache of 4 MB) reads and dirties pages
 * that other passes read and dirty again, so four times fewer passes write four times
 * fewer pages (each read back from the WAL and spilled into it again). */
#define FAST_DONE_CHUNK 131072

/* A found end in 8 bytes (a queue of 1 MB, not 1.5): link ordinal << 37 | point ordinal
 * << 16 | day, so that the numbers sort in link order. (No line: a failed end bails, and
 * the general path tells.) Points are below FAST_MAX_POINTS = 2^21; a file of 2^27
 * meters or more bails (fast_count_meter). */
#define FAST_DONE_LINK_SHIFT 37
#define FAST_DONE_POINT_SHIFT 16
#define FAST_MAX_METERS ((size_t)1 << (64 - FAST_DONE_LINK_SHIFT))

/* The ends and their keys in two halves: one gathers while the other, sorted, is looked
 * up a slice at a time (fast_ends_lookup). */
struct fast_ends {
	struct fast_end e[FAST_END_CHUNK];
	size_t n, used;         /* the gathering half's */
	int half;               /* the gathering half */
	size_t look_n, look_at; /* the other half: ends, looked up so far (look_n 0: none) */
	char arena[FAST_END_ARENA];
	uint64_t done[FAST_DONE_CHUNK];
	size_t n_done;
	size_t done_at; /* a full queue, sorted, is closed from here a slice at a time */
	int done_sorted;
};

/* The file's point codes in memory, so that an event finds its point without a seek
 * into meter_points' code index (at 1M events those seeks were a sixth of this path's
 * time: random reads, and dirty pages spilled to make room for them). The reading
 * thread keeps them (pipe_record) and hands each event's point ordinal over with the
 * record: while the events are read it waits for this thread, which writes them, so the
 * searches cost nothing there (while the inventory is read it is the other way round,
 * and the codes are added on the way, at a small cost per point). Kept only while
 * the inventory comes in increasing code order (exports are sorted by code), front-coded
 * in blocks of FAST_CODE_BLOCK: a block's first code whole, each next one as the length
 * it shares with the one before and the rest; an event's code is found by a binary
 * search over the blocks' first codes, then a walk through one block. A code out of
 * order, longer than FAST_CODE_MAX or past FAST_CODES_BYTES turns it off: from then on
 * the events' points are looked up in the database, as before. */
#define FAST_CODE_BLOCK 16
#define FAST_CODE_MAX 255
#define FAST_CODES_BYTES ((size_t)8 << 20)

struct fast_codes {
	int off;
	char *arena;
	size_t used, cap;
	uint32_t *block; /* arena offset of each block's first code */
	size_t n_blocks, cap_blocks, n;
	size_t hint; /* the block the last search ended in: installs come in point order */
	/* Made at the first search (the inventory comes before the events): each block's
	 * first code as 8 bytes from `pre` on, the length all codes share, so the binary
	 * search reads an array of 8 bytes a block instead of codes all over the arena. */
	uint64_t *key;
	size_t keyed, pre; /* codes when the keys were made (none after: no keys); pre */
	char last[FAST_CODE_MAX + 1];
	size_t last_len;
};

static void fast_codes_off(struct fast_codes *fc)
{
	fc->off = 1;
	free(fc->arena);
	free(fc->block);
	free(fc->key);
	fc->arena = NULL;
	fc->block = NULL;
	fc->key = NULL;
}

/* Bytes pre .. pre + 7 of s (len bytes) as a big-endian number, zeros past its end:
 * ordered as the strings are, among strings that share their first pre bytes. */
static uint64_t fast_code_key(const char *s, size_t len, size_t pre)
{
	uint64_t k = 0;
	for (size_t i = pre; i < pre + 8; i++)
		k = k << 8 | (i < len ? (unsigned char)s[i] : 0u);
	return k;
}

static void fast_codes_key(struct fast_codes *fc)
{
	const char *first = fc->arena + fc->block[0];
	size_t pre = 0;
	while (pre < fc->last_len && first[pre] == fc->last[pre])
		pre++;
	fc->pre = pre;
	fc->keyed = fc->n;
	fc->key = xmalloc(fc->n_blocks * sizeof *fc->key);
	for (size_t b = 0; b < fc->n_blocks; b++) {
		const char *s = fc->arena + fc->block[b];
		fc->key[b] = fast_code_key(s, strlen(s), pre);
	}
}

static void fast_codes_grow(struct fast_codes *fc, size_t more)
{
	if (fc->used + more <= fc->cap)
		return;
	size_t cap = fc->cap ? fc->cap + fc->cap / 2 : 65536;
	while (cap < fc->used + more)
		cap += cap / 2;
	fc->arena = xrealloc(fc->arena, cap);
	fc->cap = cap;
}

/* Notes the code of the next point (ordinal fc->n). */
static void fast_codes_add(struct fast_codes *fc, const char *code)
{
	if (fc->off)
		return;
	size_t len = strlen(code);
	if (len > FAST_CODE_MAX || (fc->n && strcmp(code, fc->last) <= 0) || fc->used + len + 2 > FAST_CODES_BYTES) {
		fast_codes_off(fc);
		return;
	}
	if (fc->n % FAST_CODE_BLOCK == 0) {
		if (fc->n_blocks == fc->cap_blocks) {
			fc->cap_blocks = fc->cap_blocks ? fc->cap_blocks * 2 : 1024;
			fc->block = xrealloc(fc->block, fc->cap_blocks * sizeof *fc->block);
		}
		fc->block[fc->n_blocks++] = (uint32_t)fc->used;
		fast_codes_grow(fc, len + 1);
		memcpy(fc->arena + fc->used, code, len + 1);
		fc->used += len + 1;
	} else {
		size_t shared = 0;
		while (shared < fc->last_len && code[shared] == fc->last[shared])
			shared++;
		fast_codes_grow(fc, len - shared + 2);
		fc->arena[fc->used++] = (char)(unsigned char)shared;
		memcpy(fc->arena + fc->used, code + shared, len - shared + 1);
		fc->used += len - shared + 1;
	}
	memcpy(fc->last, code, len + 1);
	fc->last_len = len;
	fc->n++;
}

/* The ordinal of the file's point `code`: >= 0, -1 when it is not in the file's
 * inventory, -2 when the codes are not kept (ask the database). */
static long fast_codes_find(struct fast_codes *fc, const char *code)
{
	if (fc->off)
		return -2;
	size_t clen = strlen(code);
	if (!fc->n_blocks || clen > FAST_CODE_MAX)
		return -1;
	if (!fc->key)
		fast_codes_key(fc);
	/* the last block whose first code is <= code: the hint's block or the next one when
	 * the events follow the inventory's order (installs do), else a binary search, whose
	 * probes into the arena of several MB are cache misses (a microsecond an event) */
	size_t lo = 0, hi = fc->n_blocks;
	for (size_t h = fc->hint; h < fc->hint + 2 && h < fc->n_blocks; h++) {
		if (strcmp(fc->arena + fc->block[h], code) > 0)
			break;
		if (h + 1 == fc->n_blocks || strcmp(fc->arena + fc->block[h + 1], code) > 0) {
			lo = h;
			hi = h + 1;
			break;
		}
	}
	if (hi - lo > 1 && fc->keyed == fc->n) {
		/* blocks whose key is below the code's start below it, those above it above it */
		if (clen < fc->pre || memcmp(code, fc->last, fc->pre) != 0)
			return -1;
		uint64_t k = fast_code_key(code, clen, fc->pre);
		size_t a = 0, b = fc->n_blocks; /* the first block whose key is >= k */
		while (a < b) {
			size_t mid = a + (b - a) / 2;
			if (fc->key[mid] < k)
				a = mid + 1;
			else
				b = mid;
		}
		lo = a ? a - 1 : 0;
		b = fc->n_blocks; /* then the first whose key is > k */
		while (a < b) {
			size_t mid = a + (b - a) / 2;
			if (fc->key[mid] <= k)
				a = mid + 1;
			else
				b = mid;
		}
		if (a == 0)
			return -1;
		hi = a;
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(fc->arena + fc->block[mid], code) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	fc->hint = lo;
	/* The walk through the block keeps m, the length `code` shares with the current
	 * entry, which is below `code`: an entry sharing more than m with the one before has
	 * the same byte at m, so it is below `code` too; one sharing less differs from the
	 * one before at a byte where that one equals `code`, upwards, so it is above it. */
	const unsigned char *p = (const unsigned char *)fc->arena + fc->block[lo], *q = (const unsigned char *)code;
	size_t m = 0;
	size_t first = lo * FAST_CODE_BLOCK, end = first + FAST_CODE_BLOCK < fc->n ? first + FAST_CODE_BLOCK : fc->n;
	for (size_t i = first;; i++) {
		/* p: the entry's bytes from position m on, the ones before equal to code's */
		while (*p && *p == q[m]) {
			p++;
			m++;
		}
		if (!*p && !q[m])
			return (long)i;
		if (*p > q[m] || i + 1 == end) /* (the entry ended first: it is below) */
			return -1;
		p += strlen((const char *)p) + 1; /* the next entry: shared length, then its rest */
		size_t shared;
		for (;;) {
			shared = *p++;
			if (shared <= m)
				break;
			/* below `code` like the one before: skip it */
			if (i + 2 == end)
				return -1;
			i++;
			p += strlen((const char *)p) + 1;
		}
		if (shared < m)
			return -1;
	}
}

/* Links are written in chunks sorted by point (fast_link_cmp): meter_links_point is then
 * passed over in order instead of at random (replaces come in no point order), while
 * the chunk's table and (meter, point, since) rows, whose ids are consecutive, stay in
 * the page cache. A link insert cannot fail here (its id and meter are new), so a link
 * carries no line (if one did fail, the general path would tell where). Chunks of
 * 65,536: half as many passes over meter_links_point as with 32,768 (4 % fewer page
 * reads from the WAL at 1M, for 0.6 MB). */
#define FAST_LINK_CHUNK 65536

struct fast_link {
	uint32_t k;            /* meter and link ordinal */
	uint32_t point;        /* point ordinal */
	uint16_t since, until; /* days; until FAST_FAR when open */
};

/* Opens the write transaction at the header (the staging one held nothing yet). */
static enum gs_result fast_begin(struct imp *c)
{
	enum gs_result r;
	if (c->in_stage) {
		if ((r = db_exec(c->db, "COMMIT")) != GS_OK)
			return r;
		c->in_stage = 0;
	}
	/* as on the general path: every reference written comes from a row just looked up */
	if ((r = db_exec(c->db, "PRAGMA foreign_keys = OFF")) != GS_OK)
		return r;
	c->fk_off = 1;
	if ((r = db_begin(c->db)) != GS_OK)
		return r;
	c->in_write = 1;
	if (!c->sha_later) { /* else checked at the end (import_run) */
		int64_t earlier = earlier_by_sha(c->db, c->rep->sha256);
		if (earlier < 0)
			return GS_ERR_DB;
		if (earlier > 0) /* imported by someone else while this one started: the general path answers */
			return fast_bail(c, c->header_line, "imported meanwhile");
	}
	sqlite3_stmt *st = db_stmt(c->db, "SELECT (SELECT coalesce(max(id), 0) FROM meter_points), (SELECT "
					  "coalesce(max(id), 0) FROM meters), (SELECT coalesce(max(id), 0) FROM meter_links)");
	if (!st || db_step_row(c->db, st) != 1) {
		if (st)
			sqlite3_reset(st);
		return GS_ERR_DB;
	}
	c->p0 = sqlite3_column_int64(st, 0);
	c->m0 = sqlite3_column_int64(st, 1);
	c->l0 = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	for (int i = 0; i < FS_COUNT; i++) {
		int rc =
		    sqlite3_prepare_v3(db_handle(c->db), fast_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->fst[i], NULL);
		if (rc != SQLITE_OK) {
			log_error("sqlite: cannot prepare: %s in: %s", sqlite3_errmsg(db_handle(c->db)), fast_sql[i]);
			return GS_ERR_DB;
		}
	}
	/* The CHECK constraints hold by construction here: smart is bound 0 or 1, a point's
	 * until before its since bails, a new link ends on or after its start, and an end's
	 * UPDATE asks for since <= the day. meters' CHECK (smart IN (-1, 0, 1)) builds a
	 * temporary B-tree at every execution (SQLite 3.40), a quarter of this path's work.
	 * The flag applies when a statement is compiled, and changing it recompiles them all,
	 * so it stays on while the file is read (off again in fast_checks_on). */
	if ((r = db_exec(c->db, "PRAGMA ignore_check_constraints = ON")) != GS_OK)
		return r;
	c->checks_off = 1;
	c->ends = xmalloc(sizeof *c->ends);
	c->links = xmalloc(FAST_LINK_CHUNK * sizeof *c->links);
	c->links_w = xmalloc(FAST_LINK_CHUNK * sizeof *c->links_w);
	c->n_links = c->n_links_w = c->links_w_done = 0;
	c->links_w_end = c->links_below = 0;
	c->slice_links = c->slice_ends = 0;
	c->meters = xcalloc(1, sizeof *c->meters);
	c->points = xcalloc(1, sizeof *c->points);
	size_t chunk = c->opts->fast_chunk;
	c->chunk_links = chunk && chunk < FAST_LINK_CHUNK ? chunk : FAST_LINK_CHUNK;
	c->chunk_ends = chunk && chunk < FAST_END_CHUNK / 2 ? chunk : FAST_END_CHUNK / 2;
	c->chunk_done = chunk && chunk < FAST_DONE_CHUNK ? chunk : FAST_DONE_CHUNK;
	c->ends->n = c->ends->used = c->ends->n_done = c->ends->done_at = 0;
	c->ends->look_n = c->ends->look_at = 0;
	c->ends->half = c->ends->done_sorted = 0;
	c->fast = 1;
	log_msg(LOG_DEBUG, "import: the fast path writes while reading");
	return GS_OK;
}

static enum gs_result fast_checks_on(struct imp *c)
{
	if (!c->checks_off)
		return GS_OK;
	c->checks_off = 0;
	return db_exec(c->db, "PRAGMA ignore_check_constraints = OFF");
}

/* Frees what fast_begin made; the transaction is the caller's. */
static void fast_end_import(struct imp *c)
{
	if (c->checks_off)
		sqlite3_exec(db_handle(c->db), "PRAGMA ignore_check_constraints = OFF", NULL, NULL, NULL);
	c->checks_off = 0;
	for (int i = 0; i < FS_COUNT; i++) {
		sqlite3_finalize(c->fst[i]);
		c->fst[i] = NULL;
	}
	free(c->ends);
	c->ends = NULL;
	free(c->links);
	c->links = NULL;
	free(c->links_w);
	c->links_w = NULL;
	c->n_links_w = c->links_w_done = 0;
	if (c->meters)
		free(c->meters->text);
	free(c->meters);
	c->meters = NULL;
	if (c->points)
		free(c->points->text);
	free(c->points);
	c->points = NULL;
}

/* Steps an insert or update: a constraint (a stored or repeated key) means the file is
 * not a first import. */
static enum gs_result fast_step(struct imp *c, sqlite3_stmt *st, long line, const char *why)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return GS_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return fast_bail(c, line, why);
	return db_fail(c->db, st, rc);
}

/* Notes the next meter (and its link) as written. */
static void fast_count_meter(struct imp *c, int legacy)
{
	size_t ord = c->n_meters;
	if (ord / 8 >= c->cap_legacy) {
		size_t cap = c->cap_legacy ? c->cap_legacy * 2 : 4096;
		c->legacy = xrealloc(c->legacy, cap);
		memset(c->legacy + c->cap_legacy, 0, cap - c->cap_legacy);
		c->cap_legacy = cap;
	}
	if (legacy)
		c->legacy[ord / 8] |= (unsigned char)(1u << (ord % 8));
	c->n_meters++;
}

/* In-place sorts for the fast path's chunks: glibc's qsort is a merge sort that takes a
 * copy of the array (a transient 1.5 MB for the queue of found ends, 0.5 MB for a chunk
 * of links; the peak RSS that bounds the page cache). Quicksort on the middle element
 * after a median of three, insertion sort below 16 elements, heapsort past 2 log2 n
 * levels (no quadratic case, whatever the file). Elements of at most 32 bytes. */
typedef int (*fast_cmp_fn)(const void *a, const void *b, void *arg);

static void fast_swap(char *a, char *b, size_t size)
{
	char t[32];
	memcpy(t, a, size);
	memcpy(a, b, size);
	memcpy(b, t, size);
}

static void fast_sift(char *base, size_t i, size_t n, size_t size, fast_cmp_fn cmp, void *arg)
{
	for (size_t k; (k = 2 * i + 1) < n; i = k) {
		if (k + 1 < n && cmp(base + k * size, base + (k + 1) * size, arg) < 0)
			k++;
		if (cmp(base + i * size, base + k * size, arg) >= 0)
			return;
		fast_swap(base + i * size, base + k * size, size);
	}
}

static void fast_sort_at(char *base, size_t n, size_t size, fast_cmp_fn cmp, void *arg, int depth)
{
	while (n > 16) {
		if (depth-- == 0) { /* heapsort */
			for (size_t i = n / 2; i-- > 0;)
				fast_sift(base, i, n, size, cmp, arg);
			for (size_t m = n; m-- > 1;) {
				fast_swap(base, base + m * size, size);
				fast_sift(base, 0, m, size, cmp, arg);
			}
			return;
		}
		char *lo = base, *mid = base + n / 2 * size, *hi = base + (n - 1) * size, pivot[32];
		if (cmp(mid, lo, arg) < 0)
			fast_swap(mid, lo, size);
		if (cmp(hi, mid, arg) < 0) {
			fast_swap(hi, mid, size);
			if (cmp(mid, lo, arg) < 0)
				fast_swap(mid, lo, size);
		}
		memcpy(pivot, mid, size);
		size_t i = 0, j = n - 1; /* Hoare: [0, j] <= pivot <= [j + 1, n) */
		for (;; i++, j--) {
			while (cmp(base + i * size, pivot, arg) < 0)
				i++;
			while (cmp(pivot, base + j * size, arg) < 0)
				j--;
			if (i >= j)
				break;
			fast_swap(base + i * size, base + j * size, size);
		}
		size_t left = j + 1;
		if (left < n - left) { /* recurse into the smaller part */
			fast_sort_at(base, left, size, cmp, arg, depth);
			base += left * size;
			n -= left;
		} else {
			fast_sort_at(base + left * size, n - left, size, cmp, arg, depth);
			n = left;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && cmp(base + (k - 1) * size, base + k * size, arg) > 0; k--)
			fast_swap(base + (k - 1) * size, base + k * size, size);
}

static void fast_sort(void *base, size_t n, size_t size, fast_cmp_fn cmp, void *arg)
{
	assert(size <= 32);
	int depth = 0;
	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	fast_sort_at(base, n, size, cmp, arg, depth);
}

/* Found ends compare as numbers: link order (see FAST_DONE_LINK_SHIFT). */
static int fast_done_cmp(const void *a, const void *b, void *arg)
{
	(void)arg;
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* By point, then by ordinal: an install's two links (its meter k, then the legacy one
 * it replaces, k + 1, which started earlier) go in id order, so the table and the
 * (meter, point, since) index are appended to and only meter_links_point takes the
 * pair out of order; by (point, since) two of the three were. */
static int fast_link_cmp(const void *a, const void *b, void *arg)
{
	(void)arg;
	const struct fast_link *x = a, *y = b;
	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* Writes up to `max` more links of the chunk in links_w (all when max is 0). */
static enum gs_result fast_links_write(struct imp *c, size_t max)
{
	size_t i = c->links_w_done, end = c->n_links_w;
	if (max && end - i > max)
		end = i + max;
	while (i < end) {
		size_t n = c->n_links_w - i >= FAST_ROWS ? FAST_ROWS : 1;
		sqlite3_stmt *st = c->fst[n == FAST_ROWS ? FS_LINKS : FS_LINK];
		for (size_t j = 0; j < n; j++) {
			const struct fast_link *l = &c->links_w[i + j];
			int b = (int)j * 5;
			sqlite3_bind_int64(st, b + 1, c->l0 + 1 + l->k);
			if (n == 1) {
				sqlite3_bind_int64(st, 5, c->l0 - c->m0); /* meter_id = ?1 - ?5 */
				b = -1;                                   /* ?2 point, ?3 since, ?4 until */
			} else {
				sqlite3_bind_int64(st, b + 2, c->m0 + 1 + l->k);
			}
			char day[11];
			sqlite3_bind_int64(st, b + 3, c->p0 + 1 + l->point);
			fast_day_string(l->since, day);
			sqlite3_bind_text(st, b + 4, day, 10, SQLITE_TRANSIENT);
			if (l->until == FAST_FAR) {
				sqlite3_bind_null(st, b + 5);
			} else {
				fast_day_string(l->until, day);
				sqlite3_bind_text(st, b + 5, day, 10, SQLITE_TRANSIENT);
			}
		}
		enum gs_result res = fast_step(c, st, 0, "a link stored before");
		if (res != GS_OK)
			return res;
		i += n;
	}
	c->links_w_done = i;
	if (i == c->n_links_w) {
		c->n_links_w = c->links_w_done = 0;
		c->links_below = c->links_w_end;
	}
	return GS_OK;
}

/* The gathered links become the chunk being written (the one before must be written
 * out first); `all`: and it is written at once, else a slice at a time by
 * fast_links_slice, between batches of records, so that the reading thread, whose
 * queue holds only a few thousand records, need not wait while a whole chunk of
 * ~0.1 s is written. */
static enum gs_result fast_links_flush_mode(struct imp *c, int all)
{
	enum gs_result res = fast_links_write(c, 0);
	if (res != GS_OK || !c->n_links)
		return res;
	struct fast_link *t = c->links_w;
	c->links_w = c->links;
	c->links = t;
	c->n_links_w = c->n_links;
	c->links_w_done = 0;
	c->links_w_end = c->links_w[c->n_links_w - 1].k + 1; /* (gathered in ordinal order) */
	c->n_links = 0;
	fast_sort(c->links_w, c->n_links_w, sizeof c->links_w[0], fast_link_cmp, NULL);
	return all ? fast_links_write(c, 0) : GS_OK;
}

/* Every link gathered so far written. */
static enum gs_result fast_links_flush(struct imp *c)
{
	return fast_links_flush_mode(c, 1);
}

/* Adds a waiting row: ordinal k, five texts (NULL or copied), an integer. */
static void fast_wait(struct fast_rows *fm, uint32_t k, const char *const text[5], int smart, long line)
{
	size_t need = 0;
	for (int f = 0; f < 5; f++)
		need += text[f] ? strlen(text[f]) + 1 : 0;
	if (fm->used + need > fm->cap) {
		fm->cap = fm->used + need + 4096;
		fm->text = xrealloc(fm->text, fm->cap);
	}
	fm->row[fm->n].k = k;
	fm->row[fm->n].smart = smart;
	fm->row[fm->n].line = line;
	for (int f = 0; f < 5; f++) {
		if (!text[f]) {
			fm->row[fm->n].off[f] = 0;
			continue;
		}
		size_t len = strlen(text[f]) + 1;
		memcpy(fm->text + fm->used, text[f], len);
		fm->row[fm->n].off[f] = (uint32_t)fm->used + 1;
		fm->used += len;
	}
	fm->n++;
}

static void fast_bind_text(sqlite3_stmt *st, int i, const struct fast_rows *fm, uint32_t off)
{
	if (off)
		sqlite3_bind_text(st, i, fm->text + off - 1, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Binds waiting row r of fr as the row at parameter offset b of a points or meters
 * statement. */
typedef void (*fast_bind_fn)(const struct imp *c, sqlite3_stmt *st, int b, const struct fast_rows *fr, size_t r);

static void fast_bind_point(const struct imp *c, sqlite3_stmt *st, int b, const struct fast_rows *fp, size_t r)
{
	sqlite3_bind_int64(st, b + 1, c->p0 + 1 + fp->row[r].k);
	fast_bind_text(st, b + 2, fp, fp->row[r].off[0]);
	sqlite3_bind_int64(st, b + 3, c->station_id);
	for (int f = 1; f < 4; f++)
		fast_bind_text(st, b + 3 + f, fp, fp->row[r].off[f]);
}

static void fast_bind_meter(const struct imp *c, sqlite3_stmt *st, int b, const struct fast_rows *fm, size_t r)
{
	sqlite3_bind_int64(st, b + 1, c->m0 + 1 + fm->row[r].k);
	for (int f = 0; f < 5; f++)
		fast_bind_text(st, b + 2 + f, fm, fm->row[r].off[f]);
	sqlite3_bind_int(st, b + 7, fm->row[r].smart);
}

/* Writes the waiting rows of fr: a full statement of FAST_ROWS rows of `width`
 * parameters (st_full), else one at a time (st_one); then empties fr. */
static enum gs_result fast_rows_flush(struct imp *c, struct fast_rows *fr, int st_full, int st_one, int width,
				      fast_bind_fn bind, const char *why)
{
	size_t i = 0;
	while (i < fr->n) {
		size_t n = fr->n - i == FAST_ROWS ? FAST_ROWS : 1;
		sqlite3_stmt *st = c->fst[n == FAST_ROWS ? st_full : st_one];
		for (size_t j = 0; j < n; j++)
			bind(c, st, (int)j * width, fr, i + j);
		enum gs_result res = fast_step(c, st, fr->row[i].line, why);
		if (res != GS_OK)
			return res;
		i += n;
	}
	fr->n = fr->used = 0;
	return GS_OK;
}

/* Writes the waiting points. */
static enum gs_result fast_points_flush(struct imp *c)
{
	return fast_rows_flush(c, c->points, FS_POINTS, FS_POINT, 6, fast_bind_point,
			       "a point stored before or named twice");
}

/* Writes the waiting meters. */
static enum gs_result fast_meters_flush(struct imp *c)
{
	return fast_rows_flush(c, c->meters, FS_METERS, FS_METER, 7, fast_bind_meter,
			       "a meter stored before or named twice");
}

/* Meter k of the file has id m0 + 1 + k and its one link id l0 + 1 + k: the next meter
 * (smart when `legacy` is 0) and its link to point ordinal `pord` over [since, until),
 * until FAST_FAR when open. Both wait: meters for a full statement, links for a chunk. */
static enum gs_result fast_meter_link(struct imp *c, const char *key, const char *mrid, const char *serial,
                                      const char *maker, const char *model, int legacy, size_t pord, long since,
                                      long until, long line)
{
	int64_t k = (int64_t)c->n_meters;
	if (c->n_meters >= FAST_MAX_METERS - 1)
		return fast_bail(c, line, "more meters than the fast path keeps");
	/* mrid as SQL_MRID_STORED stores it: NULL when the key holds it */
	if (mrid && strncmp(key, "m:", 2) == 0 && strcmp(key + 2, mrid) == 0)
		mrid = NULL;
	const char *text[5] = {key, mrid, serial, maker, model};
	fast_wait(c->meters, (uint32_t)k, text, !legacy, line);
	enum gs_result res;
	if (c->meters->n == FAST_ROWS && (res = fast_meters_flush(c)) != GS_OK)
		return res;
	if (c->n_links == c->chunk_links && (res = fast_links_flush_mode(c, 0)) != GS_OK)
		return res;
	c->links[c->n_links++] = (struct fast_link){
	    .k = (uint32_t)k, .point = (uint32_t)pord, .since = (uint16_t)since, .until = (uint16_t)until};
	fast_count_meter(c, legacy);
	return GS_OK;
}

static int fast_end_by_key(const void *a, const void *b, void *arena)
{
	const struct fast_end *x = a, *y = b;
	return strcmp((const char *)arena + x->key, (const char *)arena + y->key);
}

/* Closes up to `max` more links of the queue of found ends (all of them, and every
 * link written first, when max is 0), in link order: each must be on the end's point,
 * started on or before its day, and open. A slice stops at the first link not yet
 * written (fast_links_slice writes it). */
static enum gs_result fast_done_write(struct imp *c, size_t max)
{
	struct fast_ends *fe = c->ends;
	enum gs_result res;
	if (!max && (res = fast_links_flush(c)) != GS_OK)
		return res;
	if (!fe->done_sorted) {
		fast_sort(fe->done, fe->n_done, sizeof fe->done[0], fast_done_cmp, NULL);
		fe->done_sorted = 1;
	}
	/* One a statement: an UPDATE ... FROM (VALUES ...) of 16 rows, checked by its count,
	 * took 15 % more instructions than 16 of these (it materializes the VALUES and then
	 * the rows to change, two temporary B-trees). */
	sqlite3_stmt *st = c->fst[FS_END];
	size_t i = fe->done_at, end = fe->n_done;
	if (max && end - i > max)
		end = i + max;
	for (; i < end; i++) {
		uint64_t d = fe->done[i];
		size_t link = (size_t)(d >> FAST_DONE_LINK_SHIFT);
		if (link >= c->links_below)
			break; /* (not when max is 0: every link is written) */
		char day[11];
		fast_day_string((long)(d & 0xFFFFu), day);
		sqlite3_bind_int64(st, 1, c->l0 + 1 + (int64_t)link);
		sqlite3_bind_text(st, 2, day, 10, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, c->p0 + 1 + (int64_t)((d >> FAST_DONE_POINT_SHIFT) & (FAST_MAX_POINTS - 1)));
		res = fast_step(c, st, 0, "link end");
		if (res != GS_OK)
			return res;
		if (sqlite3_changes(db_handle(c->db)) != 1)
			return fast_bail(c, 0, "an end that does not close its meter's one open link in this file");
	}
	fe->done_at = i;
	if (i == fe->n_done) {
		fe->n_done = fe->done_at = 0;
		fe->done_sorted = 0;
	} else if (!max) { /* every link is written by now: a surprise, never a silent skip */
		return fast_bail(c, 0, "an end of a link not written");
	}
	return GS_OK;
}

/* Closes every queued end's link. */
static enum gs_result fast_done_apply(struct imp *c)
{
	return fast_done_write(c, 0);
}

/* Between batches of records (pipe_consume): the next slices of the links' chunk being
 * written, of the queue of found ends being closed and of the half of ends being looked
 * up, so that each is done before the links or ends being gathered meanwhile need its
 * place: after each batch a slice paced by how fast they come (what is left × what the
 * batch brought / the room left, at least a small base), and small slices (`idle`)
 * whenever no batch is ready, instead of waiting for one. *did: any was there to do.
 * The rest is done at once when the place is needed (fast_links_flush_mode,
 * fast_ends_turn). */
#define FAST_LINK_SLICE (FAST_ROWS * 16)
#define FAST_END_SLICE (FAST_ROWS * 4)
#define FAST_DONE_SLICE 256
static enum gs_result fast_ends_lookup(struct imp *c, size_t max);

static size_t fast_pace(size_t left, size_t came, size_t room, size_t base)
{
	size_t n = room ? (left * came + room - 1) / room : left;
	return n > base ? n : base;
}

static enum gs_result fast_slice(struct imp *c, int idle, int *did)
{
	*did = 0;
	if (!c->fast || c->bail)
		return GS_OK;
	struct fast_ends *fe = c->ends;
	size_t came_l = 0, came_e = 0;
	if (!idle) {
		came_l = c->n_links >= c->slice_links ? c->n_links - c->slice_links : c->n_links;
		came_e = fe->n >= c->slice_ends ? fe->n - c->slice_ends : fe->n;
		c->slice_links = c->n_links;
		c->slice_ends = fe->n;
	}
	size_t room_l = c->chunk_links - c->n_links, room_e = c->chunk_ends - fe->n;
	enum gs_result res = GS_OK;
	if (c->n_links_w) {
		size_t left = c->n_links_w - c->links_w_done;
		size_t n = idle ? FAST_LINK_SLICE / 2 : fast_pace(left, came_l, room_l, FAST_LINK_SLICE);
		res = fast_links_write(c, n);
		*did = 1;
	}
	if (res == GS_OK && fe->done_sorted) {
		size_t at = fe->done_at, left = fe->n_done - fe->done_at;
		res = fast_done_write(c, idle ? FAST_DONE_SLICE / 2 : fast_pace(left, came_e, room_e, FAST_DONE_SLICE));
		*did |= fe->done_at != at || !fe->done_sorted;
	}
	if (res == GS_OK && fe->look_n && fe->look_at < fe->look_n) {
		size_t left = fe->look_n - fe->look_at;
		res = fast_ends_lookup(c, idle ? FAST_END_SLICE / 2 : fast_pace(left, came_e, room_e, FAST_END_SLICE));
		*did = 1;
	} else if (res == GS_OK && fe->look_n && !fe->done_sorted) {
		res = fast_ends_lookup(c, 1); /* looked up, waiting for the queue: queued now */
		*did = 1;
	}
	return res;
}

#define FAST_END_HALF_ARENA (FAST_END_ARENA / 2)

static struct fast_end *fast_ends_half(struct fast_ends *fe, int half)
{
	return fe->e + (size_t)half * (FAST_END_CHUNK / 2);
}

static char *fast_ends_arena(struct fast_ends *fe, int half)
{
	return fe->arena + (size_t)half * FAST_END_HALF_ARENA;
}

/* Finds up to `max` more links of the half being looked up (all when max is 0): each
 * end's meter, which must have been written before the end was read, and its one link;
 * when all are found, queues them for fast_done_write. */
static enum gs_result fast_ends_lookup(struct imp *c, size_t max)
{
	struct fast_ends *fe = c->ends;
	struct fast_end *le = fast_ends_half(fe, !fe->half);
	const char *arena = fast_ends_arena(fe, !fe->half);
	size_t i = fe->look_at, end = fe->look_n;
	if (max && end - i > max)
		end = i + max;
	enum gs_result res;
	/* the meters by key, FAST_ROWS a statement (the rest one at a time) */
	while (i < end) {
		size_t n = fe->look_n - i >= FAST_ROWS ? FAST_ROWS : 1;
		sqlite3_stmt *st = c->fst[n == FAST_ROWS ? FS_METER_IDS : FS_METER_ID];
		for (size_t j = 0; j < n; j++) {
			if (n == 1) {
				sqlite3_bind_text(st, 1, arena + le[i].key, -1, SQLITE_STATIC);
				break;
			}
			sqlite3_bind_int(st, (int)j * 2 + 1, (int)j);
			sqlite3_bind_text(st, (int)j * 2 + 2, arena + le[i + j].key, -1, SQLITE_STATIC);
		}
		size_t got = 0;
		int row;
		while ((row = db_step_row(c->db, st)) == 1) {
			size_t j = n == 1 ? 0 : (size_t)sqlite3_column_int(st, 0);
			int col = n == 1 ? 0 : 1;
			if (j >= n)
				break;
			struct fast_end *e = &le[i + j];
			int64_t ord = sqlite3_column_type(st, col) == SQLITE_NULL
			                  ? -1
			                  : sqlite3_column_int64(st, col) - c->m0 - 1;
			if (ord < 0 || ord >= (int64_t)e->seen) {
				sqlite3_reset(st);
				return fast_bail(c, (long)e->line,
				                 "an end of a meter not written before it in this file");
			}
			e->link = (uint32_t)ord;
			got++;
		}
		sqlite3_reset(st);
		if (row < 0)
			return GS_ERR_DB;
		if (got != n) /* no meter by that key (the one-row statement), or a surprise */
			return fast_bail(c, (long)le[i].line, "an end of a meter not written before it in this file");
		i += n;
	}
	fe->look_at = i;
	if (i < fe->look_n || (max && fe->done_sorted))
		return GS_OK; /* (a slice leaves the found ends until the queue is closed) */
	/* A queue being closed a slice at a time is closed out before it grows. A queue that
	 * could not take another half of ends is closed from now on, a slice between batches
	 * of records (fast_slice), so that neither the reading thread waits for a whole queue
	 * (~0.3 s) nor the queue for the next ends, or for fast_finish, after the reading. A
	 * queue full before a half is in is closed at once. */
	if (fe->done_sorted && (res = fast_done_apply(c)) != GS_OK)
		return res;
	for (i = 0; i < fe->look_n; i++) {
		const struct fast_end *e = &le[i];
		fe->done[fe->n_done++] =
		    (uint64_t)e->link << FAST_DONE_LINK_SHIFT | (uint64_t)e->point << FAST_DONE_POINT_SHIFT | e->day;
		if (fe->n_done == c->chunk_done && i + 1 < fe->look_n && (res = fast_done_apply(c)) != GS_OK)
			return res;
	}
	fe->look_n = fe->look_at = 0;
	if (fe->n_done + c->chunk_ends > c->chunk_done) {
		fast_sort(fe->done, fe->n_done, sizeof fe->done[0], fast_done_cmp, NULL);
		fe->done_sorted = 1;
	}
	return GS_OK;
}

/* The gathered half of the ends (each the one link of its meter, which was written
 * before the end was read) is to be looked up, after the half before it; `all`: at
 * once, else a slice at a time by fast_slice. */
static enum gs_result fast_ends_turn(struct imp *c, int all)
{
	enum gs_result res = fast_points_flush(c);
	if (res != GS_OK || (res = fast_meters_flush(c)) != GS_OK)
		return res; /* (the links are written before the first end is closed) */
	struct fast_ends *fe = c->ends;
	if (fe->look_n && (res = fast_ends_lookup(c, 0)) != GS_OK)
		return res;
	if (!fe->n)
		return GS_OK;
	struct fast_end *ge = fast_ends_half(fe, fe->half);
	char *arena = fast_ends_arena(fe, fe->half);
	fast_sort(ge, fe->n, sizeof ge[0], fast_end_by_key, arena);
	for (size_t i = 1; i < fe->n; i++)
		if (strcmp(arena + ge[i].key, arena + ge[i - 1].key) == 0)
			return fast_bail(c, (long)ge[i].line, "a meter taken off twice");
	fe->look_n = fe->n;
	fe->look_at = 0;
	fe->half = !fe->half;
	fe->n = fe->used = 0;
	return all ? fast_ends_lookup(c, 0) : GS_OK;
}

/* Every end gathered so far looked up and queued. */
static enum gs_result fast_ends_apply(struct imp *c)
{
	return fast_ends_turn(c, 1);
}

/* Gathers an end of the meter `key` on point ordinal `point` at `day`. */
static enum gs_result fast_end_add(struct imp *c, const char *key, size_t point, long day, long line)
{
	struct fast_ends *fe = c->ends;
	size_t len = strlen(key) + 1;
	if (fe->n == c->chunk_ends || fe->used + len > FAST_END_HALF_ARENA) {
		enum gs_result r = fast_ends_turn(c, 0);
		if (r != GS_OK)
			return r;
	}
	memcpy(fast_ends_arena(fe, fe->half) + fe->used, key, len);
	fast_ends_half(fe, fe->half)[fe->n++] = (struct fast_end){.key = (uint32_t)fe->used,
	                                                          .point = (uint32_t)point,
	                                                          .seen = (uint32_t)c->n_meters,
	                                                          .day = (uint16_t)day,
	                                                          .line = (uint32_t)line};
	fe->used += len;
	return GS_OK;
}

static enum gs_result fast_record(struct imp *c, const struct rollout_record *r, const char *mkey, const char *okey)
{
	long line = r->line;
	if (r->kind == ROLLOUT_POINT) {
		long since = fast_day(r->since), until = r->until ? fast_day(r->until) : (long)FAST_FAR;
		if (since < 0 || until < 0)
			return fast_bail(c, line, "a day out of range");
		if (strcmp(r->since, c->today) > 0 || (r->until && strcmp(r->until, c->today) > 0) || until < since)
			return fast_bail(c, line, "a day after today, or until before since");
		if (c->n_pts >= FAST_MAX_POINTS)
			return fast_bail(c, line, "more points than the fast path keeps");
		const char *text[5] = {r->point, r->customer_class, r->since, r->until, NULL};
		fast_wait(c->points, (uint32_t)c->n_pts, text, 0, line);
		enum gs_result res;
		if (c->points->n == FAST_ROWS && (res = fast_points_flush(c)) != GS_OK)
			return res;
		if (c->n_pts == c->cap_pts) {
			c->cap_pts = c->cap_pts ? c->cap_pts * 2 : 4096;
			c->pts = xrealloc(c->pts, c->cap_pts * sizeof *c->pts);
		}
		c->pts[c->n_pts++] = (struct fast_point){(uint16_t)since, (uint16_t)until};
		return GS_OK;
	}
	if (r->kind != ROLLOUT_INSTALL && r->kind != ROLLOUT_REPLACE && r->kind != ROLLOUT_REMOVE)
		return fast_bail(c, line, "not a native event");
	long day = fast_day(r->date);
	if (day < 0 || strcmp(r->date, c->today) > 0)
		return fast_bail(c, line, "a day out of range or after today");
	long ord = c->point_ord;
	int64_t point = ord >= 0 ? c->p0 + 1 + ord : 0;
	if (ord == -2) {
		enum gs_result res = fast_points_flush(c); /* the points read so far, all of them written */
		if (res != GS_OK)
			return res;
		sqlite3_stmt *st = c->fst[FS_POINT_ID];
		sqlite3_bind_text(st, 1, r->point, -1, SQLITE_STATIC);
		int row = db_step_row(c->db, st);
		point = row == 1 ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (row < 0)
			return GS_ERR_DB;
	}
	if (point <= c->p0) /* stored before, or unknown */
		return fast_bail(c, line, "an event on a point not in this file's inventory");
	size_t pord = (size_t)(point - c->p0 - 1);
	enum gs_result res = GS_OK;
	if (r->kind != ROLLOUT_REMOVE && (res = fast_meter_link(c, mkey, r->meter, r->serial, r->manufacturer, r->model,
	                                                        0, pord, day, (long)FAST_FAR, line)) != GS_OK)
		return res;
	if (r->kind == ROLLOUT_INSTALL && okey[0]) { /* the legacy meter it replaces, new: on the point until now */
		long psince = c->pts[pord].since;
		return fast_meter_link(c, okey, r->replaces, NULL, NULL, NULL, 1, pord, psince < day ? psince : day,
		                       day, line);
	}
	if (r->kind == ROLLOUT_REPLACE)
		res = fast_end_add(c, okey, pord, day, line);
	else if (r->kind == ROLLOUT_REMOVE)
		res = fast_end_add(c, mkey, pord, day, line);
	return res;
}

/* After the reading: one scan of the file's links in id order checks that no two smart
 * meters serve a point on overlapping days and sums the coverage changes by day (the
 * events of SQL_DAILY_BODY), which go into meter_daily as on the general path. */
static enum gs_result fast_finish(struct imp *c)
{
	int64_t t0 = util_monotonic_us(), cpu0 = thread_cpu_us();
	enum gs_result r = fast_ends_apply(c);
	if (r == GS_OK)
		r = fast_done_apply(c);
	if (r == GS_ERR_CONFLICT && c->bail)
		return GS_OK;
	if (r != GS_OK || (r = fast_checks_on(c)) != GS_OK)
		return r;
	/* what the reading needed is no longer: peak memory stays the reading's */
	free(c->ends);
	c->ends = NULL;
	free(c->links);
	c->links = NULL;
	free(c->links_w);
	c->links_w = NULL;
	c->n_links_w = c->links_w_done = 0;
	struct fast_scan *scan = xcalloc(c->n_pts ? c->n_pts : 1, sizeof *scan);
	int32_t *dp = xcalloc(2 * (size_t)(FAST_FAR + 1), sizeof *dp), *ds = dp + FAST_FAR + 1;
	for (size_t i = 0; i < c->n_pts; i++) {
		dp[c->pts[i].since]++;
		if (c->pts[i].until != FAST_FAR)
			dp[c->pts[i].until]--;
	}
	sqlite3_stmt *st = db_stmt(c->db, "SELECT point_id, meter_id, since, until FROM meter_links WHERE id > ?1 "
					  "ORDER BY id");
	if (!st) {
		free(dp);
		free(scan);
		return GS_ERR_DB;
	}
	sqlite3_bind_int64(st, 1, c->l0);
	int row;
	while (r == GS_OK && (row = db_step_row(c->db, st)) == 1) {
		int64_t pord = sqlite3_column_int64(st, 0) - c->p0 - 1, mord = sqlite3_column_int64(st, 1) - c->m0 - 1;
		if (pord < 0 || (size_t)pord >= c->n_pts || mord < 0 || (size_t)mord / 8 >= c->cap_legacy) {
			r = fast_bail(c, 0, "a link outside the file's rows");
			break;
		}
		if (c->legacy[mord / 8] & (1u << (mord % 8)))
			continue;
		const struct fast_point *pt = &c->pts[pord];
		struct fast_scan *p = &scan[pord];
		long sb = fast_day((const char *)sqlite3_column_text(st, 2));
		long se = sqlite3_column_type(st, 3) == SQLITE_NULL ? (long)FAST_FAR
								       : fast_day((const char *)sqlite3_column_text(st, 3));
		if (sb < 0 || se < 0) {
			r = fast_bail(c, 0, "a day out of range");
			break;
		}
		if (sb < se) {
			if (sb < p->last_sb) {
				r = fast_bail(c, 0, "a point's installs not in date order");
				break;
			}
			if (p->max_se > sb) {
				r = fast_bail(c, 0, "two smart meters on one point");
				break;
			}
			p->last_sb = (uint16_t)sb;
			if (se > p->max_se)
				p->max_se = (uint16_t)se;
		}
		long b = sb > pt->since ? sb : pt->since, e = se < pt->until ? se : pt->until;
		if (b < e) {
			ds[b]++;
			if (e != (long)FAST_FAR)
				ds[e]--;
		}
	}
	sqlite3_reset(st);
	free(scan);
	if (r == GS_ERR_CONFLICT) { /* bailed: not an error */
		free(dp);
		return GS_OK;
	}
	if (r == GS_OK && row < 0)
		r = GS_ERR_DB;
	sqlite3_stmt *ins = r == GS_OK ? db_stmt(c->db, "INSERT INTO temp.mi_dd(sid, day, dp, ds) VALUES (?1, ?2, ?3, "
							"?4)")
				       : NULL;
	if (r == GS_OK && !ins)
		r = GS_ERR_DB;
	for (long d = 0; r == GS_OK && d < (long)FAST_FAR; d++) {
		if (!dp[d] && !ds[d])
			continue;
		char day[11];
		fast_day_string(d, day);
		sqlite3_bind_int64(ins, 1, c->station_id);
		sqlite3_bind_text(ins, 2, day, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 3, dp[d]);
		sqlite3_bind_int(ins, 4, ds[d]);
		r = db_step_done(c->db, ins);
	}
	free(dp);
	log_msg(LOG_DEBUG, "import: %.3f s (cpu %.3f s) in: the fast path's link scan and daily sums",
		(double)(util_monotonic_us() - t0) / 1e6, (double)(thread_cpu_us() - cpu0) / 1e6);
	static const char *const daily[] = {sql_daily_merge, sql_daily_drop_zero, sql_daily_running};
	for (size_t i = 0; r == GS_OK && i < GS_ARRAY_LEN(daily); i++)
		r = run_sql(c, daily[i], 0);
	c->rep->inserted = c->rep->records;
	c->rep->updated = c->rep->unchanged = 0;
	return r;
}

enum gs_result meter_daily_rebuild(struct db *db, int64_t station_id)
{
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	static const char *const sql[] = {sql_daily_clear_one, sql_daily_one};
	for (size_t i = 0; r == GS_OK && i < GS_ARRAY_LEN(sql); i++) {
		sqlite3_stmt *st = db_stmt(db, sql[i]);
		if (!st) {
			r = GS_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, station_id);
		r = db_step_done(db, st);
	}
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}

/* ---- The log ------------------------------------------------------------------------ */

static enum gs_result log_write(struct db *db, const struct meter_import_opts *opts, const char *name,
				int64_t station_id, const char *status, struct meter_import_report *rep)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO meter_imports(user_id, created_at, file_name, sha256, format, "
				       "station_id, status, file_id, records, inserted, updated, unchanged, n_errors, "
				       "seconds, actor) VALUES (nullif(?1, 0), ?2, ?3, ?4, ?5, nullif(?6, 0), ?7, "
				       "nullif(?8, ''), ?9, ?10, ?11, ?12, ?13, ?14, nullif(?15, ''))");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, opts->user_id);
	sqlite3_bind_int64(st, 2, util_now());
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rep->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rep->format, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, station_id);
	sqlite3_bind_text(st, 7, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rep->file_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, rep->records);
	sqlite3_bind_int64(st, 10, rep->inserted);
	sqlite3_bind_int64(st, 11, rep->updated);
	sqlite3_bind_int64(st, 12, rep->unchanged);
	sqlite3_bind_int64(st, 13, (int64_t)rep->errors.total);
	sqlite3_bind_double(st, 14, rep->seconds);
	bind_opt(st, 15, opts->actor);
	enum gs_result r = db_step_done(db, st);
	if (r != GS_OK)
		return r;
	rep->id = sqlite3_last_insert_rowid(db_handle(db));
	for (size_t i = 0; r == GS_OK && i < rep->errors.n; i++) {
		const struct rollout_error *e = &rep->errors.e[i];
		st = db_stmt(db, "INSERT INTO meter_import_errors(import_id, seq, line, col, field, message) VALUES "
				 "(?1, ?2, ?3, ?4, ?5, ?6)");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int64(st, 1, rep->id);
		sqlite3_bind_int64(st, 2, (int64_t)i + 1);
		sqlite3_bind_int64(st, 3, e->line);
		sqlite3_bind_int64(st, 4, e->column);
		sqlite3_bind_text(st, 5, e->field, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, e->message, -1, SQLITE_STATIC);
		r = db_step_done(db, st);
	}
	return r;
}

/* ---- The reading thread ------------------------------------------------------------- */

/* The file is parsed and validated on a thread of its own while this one hashes it and
 * stages the records (the machine has two cores): records travel in batches through a
 * small bounded queue, their strings copied into the batch. The reader never touches the
 * database; the header goes through the queue too, and a verdict on it (forbidden,
 * already imported, unknown station) stops the reader at its next record. */
#define PIPE_BATCH 1024           /* records per batch */
#define PIPE_ARENA (256u << 10)   /* string bytes per batch (a record holds at most 16 × max_text) */
#define PIPE_DEPTH 6              /* batches in flight: ~6k records, ~1.2 MB (~40 ms of reading) */

enum { PF_POINT, PF_CLASS, PF_SINCE, PF_UNTIL, PF_METER, PF_SERIAL, PF_MAKER, PF_MODEL, PF_DATE,
       PF_REMOVED, PF_STATUS, PF_REPLACES, PF_OLD_METER, PF_OLD_SERIAL, PF_OLD_MAKER, PF_REASON, PF_COUNT };

struct pipe_rec {
	enum rollout_kind kind;
	int smart;
	long line, column;
	long point_ord;         /* an event's point in the codes (fast_codes_find), else -2 */
	uint32_t off[PF_COUNT]; /* offset + 1 into the arena; 0: NULL */
};

struct pipe_batch {
	size_t n;
	int has_header;
	struct rollout_header header;
	struct pipe_rec rec[PIPE_BATCH];
	size_t alen;
	char arena[PIPE_ARENA];
};

struct pipe {
	pthread_mutex_t lock;
	pthread_cond_t can_put, can_take;
	struct pipe_batch *slot[PIPE_DEPTH];
	size_t head, count;
	struct pipe_batch *free_list[PIPE_DEPTH + 2];
	size_t n_free;
	int threaded;             /* a reading thread runs (set before it starts, then constant) */
	int done;                 /* the reader has finished; result in reader_result */
	enum gs_result reader_result;
	_Atomic int stop;         /* a gs_result: the consumer wants the reader to stop */
	struct pipe_batch *cur;   /* reader side: being filled */
	struct rollout_errors errs; /* the reader's own errors, merged after it ends */
	int64_t reader_cpu_us;      /* the reading thread's CPU time, once done */
	struct fast_codes codes;    /* reader side: the inventory's codes, for the fast path */
	_Atomic int no_codes;       /* the consumer will not take the fast path: keep none */
	int64_t wait_us;            /* consumer side: time waited for a batch */
	long waits;                 /* consumer side: how often it waited */
	int64_t put_wait_us;        /* reader side: time waited for room in the queue */
	long put_waits;             /* reader side: how often it waited */
	const char *path, *name;
	const struct rollout_limits *limits;
	size_t batch;               /* records a batch (PIPE_BATCH; less in tests) */
};

static struct pipe_batch *pipe_get_free(struct pipe *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->n_free == 0) {
		int64_t t0 = util_monotonic_us();
		while (p->n_free == 0)
			pthread_cond_wait(&p->can_put, &p->lock);
		p->put_wait_us += util_monotonic_us() - t0;
		p->put_waits++;
	}
	struct pipe_batch *b = p->free_list[--p->n_free];
	pthread_mutex_unlock(&p->lock);
	b->n = 0;
	b->alen = 0;
	b->has_header = 0;
	return b;
}

/* Reader side: hands the current batch over (blocks while the queue is full). */
static void pipe_put(struct pipe *p)
{
	struct pipe_batch *b = p->cur;
	p->cur = NULL;
	if (!b)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->count == PIPE_DEPTH) {
		int64_t t0 = util_monotonic_us();
		while (p->count == PIPE_DEPTH)
			pthread_cond_wait(&p->can_put, &p->lock);
		p->put_wait_us += util_monotonic_us() - t0;
		p->put_waits++;
	}
	p->slot[(p->head + p->count) % PIPE_DEPTH] = b;
	p->count++;
	pthread_cond_signal(&p->can_take);
	pthread_mutex_unlock(&p->lock);
}

/* With p->lock held: the oldest batch, or NULL if none is queued. */
static struct pipe_batch *pipe_pop_locked(struct pipe *p)
{
	if (!p->count)
		return NULL;
	struct pipe_batch *b = p->slot[p->head];
	p->head = (p->head + 1) % PIPE_DEPTH;
	p->count--;
	return b;
}

/* Consumer side: the next batch, or NULL when the reader is done and all were taken. */
static struct pipe_batch *pipe_take(struct pipe *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->count == 0 && !p->done) {
		int64_t t0 = util_monotonic_us();
		while (p->count == 0 && !p->done)
			pthread_cond_wait(&p->can_take, &p->lock);
		p->wait_us += util_monotonic_us() - t0;
		p->waits++;
	}
	struct pipe_batch *b = pipe_pop_locked(p);
	pthread_mutex_unlock(&p->lock);
	return b;
}

/* Consumer side: the next batch if one is ready, else NULL at once. */
static struct pipe_batch *pipe_take_ready(struct pipe *p)
{
	pthread_mutex_lock(&p->lock);
	struct pipe_batch *b = pipe_pop_locked(p);
	pthread_mutex_unlock(&p->lock);
	return b;
}

static void pipe_give_back(struct pipe *p, struct pipe_batch *b)
{
	pthread_mutex_lock(&p->lock);
	p->free_list[p->n_free++] = b;
	pthread_cond_signal(&p->can_put);
	pthread_mutex_unlock(&p->lock);
}

static enum gs_result pipe_header(void *ctx, const struct rollout_header *h)
{
	struct pipe *p = ctx;
	if (p->stop)
		return (enum gs_result)p->stop;
	if (!p->cur)
		p->cur = pipe_get_free(p);
	p->cur->has_header = 1;
	p->cur->header = *h;
	pipe_put(p); /* the header travels alone: the consumer decides on it at once */
	return GS_OK;
}

static enum gs_result pipe_record(void *ctx, const struct rollout_record *r)
{
	struct pipe *p = ctx;
	if (p->stop)
		return (enum gs_result)p->stop;
	const char *f[PF_COUNT] = {r->point,    r->customer_class, r->since,   r->until,     r->meter,
				   r->serial,   r->manufacturer,   r->model,   r->date,      r->removed,
				   r->status,   r->replaces,       r->old_meter, r->old_serial, r->old_manufacturer,
				   r->reason};
	size_t need = 0, len[PF_COUNT];
	for (int i = 0; i < PF_COUNT; i++) {
		len[i] = f[i] ? strlen(f[i]) + 1 : 0;
		need += len[i];
	}
	if (need > PIPE_ARENA)
		return GS_ERR_TOO_LARGE; /* cannot happen within the reader's text cap */
	if (p->cur && (p->cur->n == p->batch || p->cur->alen + need > PIPE_ARENA))
		pipe_put(p);
	if (!p->cur)
		p->cur = pipe_get_free(p);
	struct pipe_batch *b = p->cur;
	struct pipe_rec *q = &b->rec[b->n++];
	q->point_ord = -2;
	if (p->no_codes) {
		if (!p->codes.off)
			fast_codes_off(&p->codes);
	} else if (r->kind == ROLLOUT_POINT) {
		if (r->point)
			fast_codes_add(&p->codes, r->point);
	} else if (r->point) {
		q->point_ord = fast_codes_find(&p->codes, r->point);
	}
	q->kind = r->kind;
	q->smart = r->smart;
	q->line = r->line;
	q->column = r->column;
	for (int i = 0; i < PF_COUNT; i++) {
		if (!f[i]) {
			q->off[i] = 0;
			continue;
		}
		memcpy(b->arena + b->alen, f[i], len[i]);
		q->off[i] = (uint32_t)b->alen + 1;
		b->alen += len[i];
	}
	return GS_OK;
}

static void *pipe_reader(void *arg)
{
	struct pipe *p = arg;
	struct rollout_sink sink = {.header = pipe_header, .record = pipe_record, .ctx = p};
	enum gs_result r = rollout_read_file(p->path, p->name, p->limits, &sink, &p->errs);
	pipe_put(p);
	pthread_mutex_lock(&p->lock);
	p->reader_cpu_us = thread_cpu_us();
	p->done = 1;
	p->reader_result = r;
	pthread_cond_signal(&p->can_take);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static struct pipe *pipe_start(const char *path, const char *name, const struct rollout_limits *limits, size_t batch,
			       pthread_t *thread)
{
	struct pipe *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->can_put, NULL);
	pthread_cond_init(&p->can_take, NULL);
	for (size_t i = 0; i < PIPE_DEPTH + 2; i++)
		p->free_list[p->n_free++] = xmalloc(sizeof(struct pipe_batch));
	p->path = path;
	p->name = name;
	p->limits = limits;
	p->batch = batch && batch < PIPE_BATCH ? batch : PIPE_BATCH;
	p->threaded = 1;
	if (pthread_create(thread, NULL, pipe_reader, p) != 0)
		p->threaded = 0; /* no second thread: the caller reads on its own */
	return p;
}

/* Drains what the reader still sends (after a stop) and ends the thread. Returns the
 * reader's result; its errors are added to errs. Frees the pipe. */
static enum gs_result pipe_finish(struct pipe *p, pthread_t thread, struct rollout_errors *errs)
{
	if (p->threaded) {
		struct pipe_batch *b;
		while ((b = pipe_take(p)) != NULL)
			pipe_give_back(p, b);
		pthread_join(thread, NULL);
		log_msg(LOG_DEBUG,
		        "import: %.3f s waited for records %ld times (the reading thread's cpu %.3f s, "
		        "it waited %.3f s for room %ld times)",
		        (double)p->wait_us / 1e6, p->waits, (double)p->reader_cpu_us / 1e6,
		        (double)p->put_wait_us / 1e6, p->put_waits);
	}
	enum gs_result r = p->reader_result;
	for (size_t i = 0; i < p->errs.n; i++) {
		const struct rollout_error *e = &p->errs.e[i];
		rollout_error_add(errs, e->line, e->column, e->field[0] ? e->field : NULL, "%s", e->message);
	}
	if (p->errs.total > p->errs.n)
		errs->total += p->errs.total - p->errs.n;
	fast_codes_off(&p->codes);
	for (size_t i = 0; i < p->n_free; i++)
		free(p->free_list[i]);
	free(p->cur);
	pthread_cond_destroy(&p->can_put);
	pthread_cond_destroy(&p->can_take);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return r;
}

/* Consumer: stages every batch through on_header/on_record until the reader is done or
 * a callback refuses; then tells the reader to stop. */
static enum gs_result pipe_consume(struct pipe *p, struct imp *c)
{
	enum gs_result r = GS_OK;
	struct pipe_batch *b;
	for (;;) {
		int did = 0;
		b = pipe_take_ready(p);
		if (!b && r == GS_OK) { /* nothing to stage yet: write meanwhile */
			r = fast_slice(c, 1, &did);
			if (r != GS_OK && !p->stop)
				p->stop = (int)r;
			if (did)
				continue;
		}
		if (!b && (b = pipe_take(p)) == NULL)
			break;
		if (b->has_header && r == GS_OK)
			r = on_header(c, &b->header);
		for (size_t i = 0; r == GS_OK && i < b->n; i++) {
			const struct pipe_rec *q = &b->rec[i];
			const char *f[PF_COUNT];
			for (int k = 0; k < PF_COUNT; k++)
				f[k] = q->off[k] ? b->arena + q->off[k] - 1 : NULL;
			struct rollout_record rec = {
				.kind = q->kind, .line = q->line, .column = q->column, .point = f[PF_POINT],
				.customer_class = f[PF_CLASS], .since = f[PF_SINCE], .until = f[PF_UNTIL],
				.meter = f[PF_METER], .serial = f[PF_SERIAL], .manufacturer = f[PF_MAKER],
				.model = f[PF_MODEL], .smart = q->smart, .date = f[PF_DATE], .removed = f[PF_REMOVED],
				.status = f[PF_STATUS], .replaces = f[PF_REPLACES], .old_meter = f[PF_OLD_METER],
				.old_serial = f[PF_OLD_SERIAL], .old_manufacturer = f[PF_OLD_MAKER], .reason = f[PF_REASON]};
			c->point_ord = q->point_ord;
			r = on_record(c, &rec);
		}
		c->point_ord = -2;
		if (b->has_header && !c->fast)
			p->no_codes = 1;
		pipe_give_back(p, b);
		if (r == GS_OK)
			r = fast_slice(c, 0, &did);
		if (r != GS_OK && !p->stop)
			p->stop = (int)r;
	}
	return r;
}

/* ---- The import ------------------------------------------------------------------------ */

/* The file's SHA-256 on a thread of its own, for the fast path, which need not know it
 * before the end (import_run): hashing 250 MB took 1.3 s of the main thread before the
 * first record. `stop` ends it early (the file is not imported on this run). */
struct sha_job {
	const char *path;
	char hex[65];
	enum gs_result r;
	atomic_int stop;
	pthread_t thread;
	int running;
};

static enum gs_result file_sha256_until(const char *path, char hex[65], atomic_int *stop)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return GS_ERR_IO;
	/* nettle's SHA-256 uses the CPU's SHA extensions where there are some (1M events,
	 * 250 MB: 0.2 s against libsodium's portable code's 1.3-1.7 s) */
	struct sha256_ctx s;
	sha256_init(&s);
	static _Thread_local unsigned char buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (stop && atomic_load_explicit(stop, memory_order_relaxed)) {
			fclose(f);
			return GS_ERR_CONFLICT;
		}
		sha256_update(&s, n, buf);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return GS_ERR_IO;
	unsigned char out[SHA256_DIGEST_SIZE];
	sha256_digest(&s, sizeof out, out);
	util_hex(out, sizeof out, hex);
	return GS_OK;
}

static void *sha_run(void *arg)
{
	struct sha_job *j = arg;
	j->r = file_sha256_until(j->path, j->hex, &j->stop);
	return NULL;
}

/* Waits for the hash (stopping it first when `stop`); GS_OK with the hex in `out`. */
static enum gs_result sha_wait(struct sha_job *j, int stop, char out[65])
{
	if (j->running) {
		if (stop)
			atomic_store(&j->stop, 1);
		pthread_join(j->thread, NULL);
		j->running = 0;
	}
	if (j->r == GS_OK && out)
		memcpy(out, j->hex, 65);
	return j->r;
}

/* The integer a pragma answers: 1, or 0 when it cannot be read. */
static int pragma_int(struct db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("sqlite: %s in: %s", sqlite3_errmsg(db_handle(db)), sql);
		return 0;
	}
	int ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ok;
}

static int error_cmp(const void *a, const void *b)
{
	const struct rollout_error *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->column < y->column ? -1 : x->column > y->column;
}

static double elapsed(int64_t t0)
{
	return (double)(util_monotonic_us() - t0) / 1e6;
}

/* One attempt at an import. allow_fast: the first-import fast path may be taken; when
 * it finds the file is not a first import (or anything it does not handle), *bailed is
 * set, everything is rolled back and the caller runs the general path. */
static enum gs_result import_run(struct db *db, const char *path, const struct meter_import_opts *opts,
				 struct meter_import_report *report, int64_t t0, int allow_fast, int *bailed)
{
	*bailed = 0;
	memset(report, 0, sizeof *report);
	snprintf(report->format, sizeof report->format, "%s", rollout_format_name(ROLLOUT_UNKNOWN));
	const char *name = opts->name;
	if (!name) {
		const char *slash = strrchr(path, '/');
		name = slash ? slash + 1 : path;
	}
	struct imp c = {.db = db, .opts = opts, .rep = report, .allow_fast = allow_fast, .point_ord = -2};
	struct sha_job sj = {0};
	if (opts->today) {
		if (day_number(opts->today) == NO_DAY)
			return GS_ERR_INVALID;
		snprintf(c.today, sizeof c.today, "%s", opts->today);
	} else {
		meter_today(c.today);
	}
	enum gs_result r = GS_OK, verdict = GS_OK;
	int64_t cache_main = 0, cache_temp = 0; /* the connection's, restored at the end */
	int cache_set = 0;
	struct pipe *pipe = NULL;
	pthread_t reader;
	struct stat sb;
	if (stat(path, &sb) != 0)
		return GS_ERR_IO;
	if ((uint64_t)sb.st_size > opts->limits.max_file_bytes) {
		rollout_error_add(&report->errors, 0, 0, NULL, "the file has %lld bytes, more than the limit of %llu",
				  (long long)sb.st_size, (unsigned long long)opts->limits.max_file_bytes);
		verdict = GS_ERR_TOO_LARGE;
		goto reject;
	}
	/* the reader starts at once; this thread hashes the file meanwhile */
	pipe = pipe_start(path, name, &opts->limits, opts->pipe_batch, &reader);
	/* A run that may take the fast path hashes on another thread and checks for an
	 * earlier import of the same content at the end (sha_later): a file imported before
	 * cannot be a first import, and whatever is not one bails, so the general run, which
	 * checks first as always, gives every answer but a first import's. */
	sj.path = path;
	c.sha_later = allow_fast && pthread_create(&sj.thread, NULL, sha_run, &sj) == 0;
	sj.running = c.sha_later;
	int64_t earlier = 0;
	if (c.sha_later)
		goto stage;
	if ((r = file_sha256_until(path, report->sha256, NULL)) != GS_OK)
		goto fail;
	earlier = earlier_by_sha(db, report->sha256);
	if (earlier < 0) {
		r = GS_ERR_DB;
		goto fail;
	}
	if (earlier > 0) {
		int ok = earlier_in_scope(&c, earlier, 0);
		if (ok < 0) {
			r = GS_ERR_DB;
			goto fail;
		}
		if (!ok) { /* the reader's errors would only add noise to a refusal */
			struct rollout_errors *scratch = xcalloc(1, sizeof *scratch);
			pipe->stop = GS_ERR_FORBIDDEN;
			pipe_finish(pipe, reader, scratch);
			pipe = NULL;
			free(scratch);
			verdict = GS_ERR_FORBIDDEN;
			goto reject;
		}
		report->earlier_id = earlier;
		goto already;
	}

stage:
	/* Stage the records: temp tables only, under a deferred transaction so the rows go
	 * in as one batch and other writers are not held up while the file is read. */
	/* Bounded memory whatever the file size: staging and sorts go to a temp file, and
	 * the page caches stay small (peak RSS is measured in bench/import.sh). */
	/* the connection's own page cache sizes come back at the end (out:) */
	if (!pragma_int(db, "PRAGMA cache_size", &cache_main) ||
	    !pragma_int(db, "PRAGMA temp.cache_size", &cache_temp)) {
		r = GS_ERR_DB;
		goto fail;
	}
	cache_set = 1;
	if ((r = db_exec(db, "PRAGMA temp_store = FILE; PRAGMA cache_size = -" METER_CACHE_KB
				 "; PRAGMA temp.cache_size = -" METER_TEMP_CACHE_KB)) != GS_OK ||
	    (r = stage_prepare(db)) != GS_OK)
		goto fail;
	c.ins = db_stmt(db, SQL_STAGE_INSERT);
	if (!c.ins) {
		r = GS_ERR_DB;
		goto fail;
	}
	if ((r = db_exec(db, "BEGIN")) != GS_OK)
		goto fail;
	c.in_stage = 1;
	enum gs_result rr;
	if (!pipe->threaded) { /* no reading thread could be made: read here */
		struct rollout_sink sink = {.header = on_header, .record = on_record, .ctx = &c};
		rr = rollout_read_file(path, name, &opts->limits, &sink, &report->errors);
		pipe_finish(pipe, reader, &report->errors);
	} else {
		enum gs_result cr = pipe_consume(pipe, &c);
		rr = pipe_finish(pipe, reader, &report->errors);
		if (cr != GS_OK)
			rr = cr;
	}
	pipe = NULL;
	sqlite3_reset(c.ins);
	if (getenv("GS_IMPORT_TIMINGS")) {
		long rss, hwm;
		rss_kb(&rss, &hwm);
		log_msg(LOG_DEBUG, "import: %.3f s (cpu %.3f s) reading and staging (rss %ld KiB, peak %ld KiB)",
			elapsed(t0), (double)thread_cpu_us() / 1e6, rss, hwm);
	}
	if (c.in_stage && (r = db_exec(db, "COMMIT")) != GS_OK)
		goto fail;
	c.in_stage = 0;
	if (c.sha_later && !c.bail) {
		if (!c.fast) /* no first import (or no header): the general run answers */
			c.bail = 1;
		else if ((r = sha_wait(&sj, 0, report->sha256)) != GS_OK)
			goto fail;
		else if ((earlier = earlier_by_sha(db, report->sha256)) < 0) {
			r = GS_ERR_DB;
			goto fail;
		} else if (earlier > 0)
			c.bail = 1;
	}
	if (c.bail)
		goto bail;
	if (c.already)
		goto already;
	if (c.forbidden) {
		verdict = GS_ERR_FORBIDDEN;
		goto reject;
	}
	if (rr == GS_ERR_TOO_LARGE) {
		verdict = GS_ERR_TOO_LARGE;
		goto reject;
	}
	if (rr == GS_ERR_INVALID || (rr == GS_OK && report->errors.total > 0)) {
		verdict = GS_ERR_INVALID;
		goto reject;
	}
	if (rr != GS_OK) {
		r = rr;
		goto fail;
	}
	if (c.fast) { /* the rows are written: the coverage rows and the overlap check */
		if ((r = fast_finish(&c)) != GS_OK)
			goto fail;
		if (c.bail)
			goto bail;
		report->fast = 1;
		goto applied;
	}

	/* The merges join every reference they write (a link's meter and point come from
	 * the rows just merged), so per-row foreign-key lookups would only cost time:
	 * off for this transaction (the pragma cannot change inside one), on again after. */
	if ((r = db_exec(db, "PRAGMA foreign_keys = OFF")) != GS_OK)
		goto fail;
	c.fk_off = 1;
	if ((r = db_begin(db)) != GS_OK)
		goto fail;
	c.in_write = 1;
	earlier = earlier_by_sha(db, report->sha256);
	if (earlier == 0 && is_iec(c.format) && report->file_id[0])
		earlier = earlier_by_file_id(db, report->file_id);
	if (earlier < 0) {
		r = GS_ERR_DB;
		goto fail;
	}
	if (earlier > 0) { /* imported by someone else while this one was read */
		int ok = earlier_in_scope(&c, earlier, 0);
		if (ok < 0) {
			r = GS_ERR_DB;
			goto fail;
		}
		db_rollback(db);
		c.in_write = 0;
		if (!ok) {
			verdict = GS_ERR_FORBIDDEN;
			goto reject;
		}
		report->earlier_id = earlier;
		goto already;
	}
	if ((r = apply_staged(&c)) != GS_OK)
		goto fail;
	if (has_errors(&c)) {
		db_rollback(db);
		c.in_write = 0;
		verdict = GS_ERR_INVALID;
		goto reject;
	}
applied:
	report->seconds = elapsed(t0);
	if (opts->dry_run) {
		db_rollback(db);
		snprintf(report->status, sizeof report->status, "dry-run");
		goto out;
	}
	if ((r = log_write(db, opts, name, c.station_id, "imported", report)) != GS_OK ||
	    (r = db_commit(db)) != GS_OK) {
		report->id = 0;
		goto fail;
	}
	c.in_write = 0;
	snprintf(report->status, sizeof report->status, "imported");
	goto out;

bail:
	if (c.in_write)
		db_rollback(db);
	c.in_write = 0;
	log_msg(LOG_DEBUG, "import: %.3f s the fast path left at line %ld (%s); the general path runs",
		elapsed(t0), c.bail_line, c.bail_why ? c.bail_why : "?");
	*bailed = 1;
	r = GS_OK;
	goto out;

already:
	snprintf(report->status, sizeof report->status, "already");
	r = GS_OK;
	goto out;

reject:
	if (c.in_stage)
		db_exec(db, "ROLLBACK");
	c.in_stage = 0;
	if (c.in_write)
		db_rollback(db);
	c.in_write = 0;
	snprintf(report->status, sizeof report->status, "rejected");
	/* the reader's errors and those of the checks, in the order of the file */
	qsort(report->errors.e, report->errors.n, sizeof report->errors.e[0], error_cmp);
	report->inserted = report->updated = report->unchanged = 0;
	report->seconds = elapsed(t0);
	if (!opts->dry_run) {
		r = db_begin(db);
		if (r == GS_OK) {
			r = log_write(db, opts, name, c.station_id, "rejected", report);
			r = r == GS_OK ? db_commit(db) : r;
			if (r != GS_OK) {
				db_rollback(db);
				report->id = 0;
			}
		}
		if (r != GS_OK)
			log_error("import %s: the rejection could not be logged (%s)", name, gs_result_str(r));
	}
	r = verdict;
	goto out;

fail:
	if (c.in_stage)
		db_exec(db, "ROLLBACK");
	if (c.in_write)
		db_rollback(db);
	snprintf(report->status, sizeof report->status, "failed");
out:
	sha_wait(&sj, 1, NULL);
	if (pipe) { /* stopped before staging: let the reader end */
		pipe->stop = GS_ERR_CONFLICT;
		pipe_finish(pipe, reader, &report->errors);
	}
	if (c.fk_off && c.in_write)
		db_rollback(db);
	if (c.fk_off)
		sqlite3_exec(db_handle(db), "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	fast_end_import(&c);
	/* leave the temp tables empty: their file space is reused by the next import */
	for (size_t i = 0; i < GS_ARRAY_LEN(stage_clear); i++)
		sqlite3_exec(db_handle(db), stage_clear[i], NULL, NULL, NULL);
	free(c.pts);
	free(c.legacy);
	if (cache_set) {
		char sql[96];
		snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld; PRAGMA temp.cache_size = %lld",
		         (long long)cache_main, (long long)cache_temp);
		sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL);
	}
	report->seconds = elapsed(t0);
	return r;
}

enum gs_result meter_import_run(struct db *db, const char *path, const struct meter_import_opts *opts,
				struct meter_import_report *report)
{
	int64_t t0 = util_monotonic_us();
	if (getenv("GS_IMPORT_TIMINGS")) /* per-step wall and CPU times on the log (bench/import.sh) */
		log_set_level(LOG_DEBUG);
	int bailed = 0;
	enum gs_result r = import_run(db, path, opts, report, t0, !opts->no_fast, &bailed);
	if (r == GS_OK && bailed) /* not a first import after all: the general path, from the file again */
		r = import_run(db, path, opts, report, t0, 0, &bailed);
	return r;
}

void meter_report_print(const struct meter_import_report *rep, const char *name, void *file)
{
	FILE *f = file;
	if (strcmp(rep->status, "already") == 0) {
		fprintf(f, "%s: already imported (import %lld); nothing changed\n", name, (long long)rep->earlier_id);
		return;
	}
	for (size_t i = 0; i < rep->errors.n; i++) {
		const struct rollout_error *e = &rep->errors.e[i];
		fprintf(f, "%s:%ld:%ld: %s%s%s\n", name, e->line, e->column, e->field, e->field[0] ? ": " : "",
			e->message);
	}
	if (rep->errors.total > rep->errors.n)
		fprintf(f, "%s: %zu more errors not shown\n", name, rep->errors.total - rep->errors.n);
	if (strcmp(rep->status, "rejected") == 0) {
		fprintf(f, "%s: rejected (%zu errors); nothing was imported\n", name, rep->errors.total);
		return;
	}
	fprintf(f, "%s: %s%s%s, station %s: %ld records, %ld inserted, %ld updated, %ld unchanged (%.2f s)\n", name,
		rep->status, rep->format[0] ? " " : "", rep->format, rep->station[0] ? rep->station : "-", rep->records,
		rep->inserted, rep->updated, rep->unchanged, rep->seconds);
}

/* ---- The import log ------------------------------------------------------------------ */

#define IMPORT_COLUMNS                                                                                            \
	"i.id, i.created_at, u.login, i.file_name, i.sha256, i.format, s.code, i.status, i.file_id, i.records, "    \
	"i.inserted, i.updated, i.unchanged, i.n_errors, i.seconds, i.actor"

static void import_row_read(sqlite3_stmt *st, struct meter_import_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->created_at = sqlite3_column_int64(st, 1);
	r->user_login = db_column_strdup(st, 2);
	r->file_name = db_column_strdup(st, 3);
	r->sha256 = db_column_strdup(st, 4);
	r->format = db_column_strdup(st, 5);
	r->station_code = db_column_strdup(st, 6);
	r->status = db_column_strdup(st, 7);
	r->file_id = db_column_strdup(st, 8);
	r->records = (long)sqlite3_column_int64(st, 9);
	r->inserted = (long)sqlite3_column_int64(st, 10);
	r->updated = (long)sqlite3_column_int64(st, 11);
	r->unchanged = (long)sqlite3_column_int64(st, 12);
	r->n_errors = (long)sqlite3_column_int64(st, 13);
	r->seconds = sqlite3_column_double(st, 14);
	r->actor = db_column_strdup(st, 15);
}

void meter_import_row_clear(struct meter_import_row *r)
{
	if (!r)
		return;
	free(r->user_login);
	free(r->file_name);
	free(r->sha256);
	free(r->format);
	free(r->station_code);
	free(r->status);
	free(r->file_id);
	free(r->actor);
	memset(r, 0, sizeof *r);
}

void meter_imports_free(struct meter_import_row *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		meter_import_row_clear(&rows[i]);
	free(rows);
}

enum gs_result meter_imports_list(struct db *db, int64_t within_unit, int64_t user_id, size_t limit, size_t offset,
				  struct meter_import_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(
		db, "WITH RECURSIVE sub(id) AS (SELECT ?1 WHERE ?1 <> 0 UNION ALL SELECT u.id FROM units u JOIN sub ON "
		    "u.parent_id = sub.id) SELECT " IMPORT_COLUMNS " FROM meter_imports i LEFT JOIN users u ON u.id = "
		    "i.user_id LEFT JOIN units s ON s.id = i.station_id WHERE CASE WHEN i.station_id IS NULL THEN ?2 = 0 "
		    "OR i.user_id = ?2 ELSE ?1 = 0 OR i.station_id IN sub END ORDER BY i.id DESC LIMIT ?3 OFFSET ?4");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, within_unit);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, (int64_t)(limit > INT64_MAX ? INT64_MAX : limit));
	sqlite3_bind_int64(st, 4, (int64_t)offset);
	size_t cap = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		memset(&(*out)[*n], 0, sizeof **out);
		import_row_read(st, &(*out)[(*n)++]);
	}
	sqlite3_reset(st);
	if (row < 0) {
		meter_imports_free(*out, *n);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

enum gs_result meter_import_get(struct db *db, int64_t id, struct meter_import_row *out, struct rollout_errors *errors)
{
	memset(out, 0, sizeof *out);
	if (errors)
		memset(errors, 0, sizeof *errors);
	sqlite3_stmt *st = db_stmt(db, "SELECT " IMPORT_COLUMNS " FROM meter_imports i LEFT JOIN users u ON u.id = "
				       "i.user_id LEFT JOIN units s ON s.id = i.station_id WHERE i.id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	int row = db_step_row(db, st);
	if (row == 1)
		import_row_read(st, out);
	sqlite3_reset(st);
	if (row != 1)
		return row == 0 ? GS_ERR_NOT_FOUND : GS_ERR_DB;
	if (!errors)
		return GS_OK;
	errors->total = (size_t)(out->n_errors > 0 ? out->n_errors : 0);
	st = db_stmt(db, "SELECT line, col, field, message FROM meter_import_errors WHERE import_id = ?1 ORDER BY seq");
	if (!st) {
		meter_import_row_clear(out);
		return GS_ERR_DB;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((row = db_step_row(db, st)) == 1 && errors->n < ROLLOUT_MAX_ERRORS) {
		struct rollout_error *e = &errors->e[errors->n++];
		e->line = (long)sqlite3_column_int64(st, 0);
		e->column = (long)sqlite3_column_int64(st, 1);
		snprintf(e->field, sizeof e->field, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(e->message, sizeof e->message, "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	if (row < 0) {
		meter_import_row_clear(out);
		return GS_ERR_DB;
	}
	if (errors->total < errors->n)
		errors->total = errors->n;
	return GS_OK;
}

enum gs_result meter_source_map(struct db *db, const char *source, int64_t station_id)
{
	if (!source || !*source || strlen(source) > 100)
		return GS_ERR_INVALID;
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st;
	if (station_id == 0) {
		st = db_stmt(db, "DELETE FROM meter_source_map WHERE source = ?1");
	} else {
		char code[65];
		station_code(db, station_id, code, sizeof code);
		if (!code[0]) {
			db_rollback(db);
			return GS_ERR_NOT_FOUND;
		}
		st = db_stmt(db, "INSERT INTO meter_source_map(source, station_id) VALUES (?1, ?2) ON CONFLICT(source) "
				 "DO UPDATE SET station_id = excluded.station_id");
	}
	if (!st) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	if (station_id)
		sqlite3_bind_int64(st, 2, station_id);
	r = db_step_done(db, st);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}

/* ---- Coverage ------------------------------------------------------------------------ */

/* The stations of a unit's subtree (?1; 0 = the whole company). */
#define SQL_STATIONS_CTE                                                                                          \
	"WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE CASE WHEN ?1 = 0 THEN parent_id IS NULL ELSE id = ?1 " \
	"END UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id), st(id) AS (SELECT sub.id FROM "   \
	"sub JOIN units k ON k.id = sub.id WHERE k.kind = 'station') "

/* GS_OK if unit_id is 0 or a unit, GS_ERR_NOT_FOUND if not. */
static enum gs_result unit_check(struct db *db, int64_t unit_id)
{
	if (unit_id == 0)
		return GS_OK;
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM units WHERE id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, unit_id);
	int row = db_step_row(db, st);
	sqlite3_reset(st);
	return row == 1 ? GS_OK : row == 0 ? GS_ERR_NOT_FOUND : GS_ERR_DB;
}

/* Coverage as of the end of day, from each station's last meter_daily row on or before
 * it (one index seek per station). */
static enum gs_result coverage_read(struct db *db, int64_t unit_id, const char *day, struct meter_coverage *out)
{
	sqlite3_stmt *st = db_stmt(db, SQL_STATIONS_CTE
				   "SELECT coalesce(sum(d.points), 0), coalesce(sum(d.smart), 0) FROM st JOIN meter_daily "
				   "d ON d.station_id = st.id AND d.day = (SELECT x.day FROM meter_daily x WHERE "
				   "x.station_id = st.id AND x.day <= ?2 ORDER BY x.day DESC LIMIT 1)");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, unit_id);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	memset(out, 0, sizeof *out);
	snprintf(out->day, sizeof out->day, "%s", day);
	if (row == 1) {
		out->points = (long)sqlite3_column_int64(st, 0);
		out->smart = (long)sqlite3_column_int64(st, 1);
		out->rate = out->points > 0 ? (double)out->smart / (double)out->points : 0.0;
	}
	sqlite3_reset(st);
	return row == 1 ? GS_OK : GS_ERR_DB;
}

enum gs_result meter_coverage_at(struct db *db, int64_t unit_id, const char *day, struct meter_coverage *out)
{
	memset(out, 0, sizeof *out);
	if (day_number(day) == NO_DAY)
		return GS_ERR_INVALID;
	enum gs_result r = unit_check(db, unit_id);
	return r == GS_OK ? coverage_read(db, unit_id, day, out) : r;
}

/* "YYYY-MM" → year and month; -1 if malformed. */
static int month_parse(const char *s, int *y, int *m)
{
	if (!s || strlen(s) != 7 || s[4] != '-')
		return -1;
	char d[11];
	snprintf(d, sizeof d, "%s-01", s);
	if (day_number(d) == NO_DAY)
		return -1;
	*y = atoi(s);
	*m = atoi(s + 5);
	return 0;
}

#define METER_MAX_MONTHS 1200

enum gs_result meter_coverage_months(struct db *db, int64_t unit_id, const char *from_month, const char *to_month,
				     const char *today, struct meter_coverage **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	int y0, m0, y1, m1;
	char now[11];
	if (today) {
		if (day_number(today) == NO_DAY)
			return GS_ERR_INVALID;
		snprintf(now, sizeof now, "%s", today);
	} else {
		meter_today(now);
	}
	if (month_parse(from_month, &y0, &m0) < 0 || month_parse(to_month, &y1, &m1) < 0)
		return GS_ERR_INVALID;
	long count = (long)(y1 - y0) * 12 + (m1 - m0) + 1;
	if (count < 1)
		return GS_ERR_INVALID;
	if (count > METER_MAX_MONTHS)
		return GS_ERR_TOO_LARGE;
	enum gs_result r = unit_check(db, unit_id);
	if (r != GS_OK)
		return r;
	struct meter_coverage *v = xcalloc((size_t)count, sizeof *v);
	for (long i = 0; i < count; i++) {
		int y = y0 + (int)((m0 - 1 + i) / 12), m = (int)((m0 - 1 + i) % 12) + 1;
		/* the month's last day: the day before the next month's first */
		long next = util_days_from_civil(m == 12 ? y + 1 : y, (unsigned)(m == 12 ? 1 : m + 1), 1);
		char day[11];
		util_day_string(next - 1, day);
		if (strcmp(day, now) > 0 && strncmp(day, now, 7) == 0)
			snprintf(day, sizeof day, "%s", now);
		if ((r = coverage_read(db, unit_id, day, &v[i])) != GS_OK) {
			free(v);
			return r;
		}
	}
	*out = v;
	*n = (size_t)count;
	return GS_OK;
}

void meter_projection_settings(struct db *db, char target[11], long *window_days)
{
	char t[32], w[16];
	int found = 0;
	if (settings_get(db, "coverage.target_date", t, sizeof t, &found) != GS_OK || !found || day_number(t) == NO_DAY)
		snprintf(t, sizeof t, "%s", METER_DEFAULT_TARGET);
	memcpy(target, t, 11); /* day_number checked: 10 chars and a NUL */
	long window = 0;
	if (settings_get(db, "coverage.window_days", w, sizeof w, &found) == GS_OK && found)
		window = strtol(w, NULL, 10);
	*window_days = window >= 1 && window <= 3650 ? window : METER_DEFAULT_WINDOW;
}

void meter_project(const struct meter_coverage *cur, const struct meter_coverage *then, long window, long now,
		   const char *today, const char *target, struct meter_projection_s *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->target, target, sizeof out->target);
	long gap = cur->points - cur->smart, gap_then = then->points - then->smart;
	/* net progress: newly covered points less newly uncovered ones (new points count) */
	out->per_day = (double)(gap_then - gap) / (double)window;
	if (cur->points == 0)
		return; /* nothing to cover: no projection, not late */
	if (gap <= 0) {
		snprintf(out->projected, sizeof out->projected, "%s", today);
		return;
	}
	if (out->per_day <= 0) {
		out->late = 1;
		return;
	}
	double days = (double)gap / out->per_day;
	if (days > 36500) {
		out->late = 1;
		return;
	}
	long d = now + (long)days + ((double)(long)days < days ? 1 : 0);
	util_day_string(d, out->projected);
	out->late = strcmp(out->projected, out->target) > 0;
}

static enum gs_result projection_for(struct db *db, int64_t unit_id, const char *today, struct meter_projection_s *out)
{
	char target[11];
	long window;
	meter_projection_settings(db, target, &window);
	long now = day_number(today);
	char then_day[11];
	util_day_string(now - window, then_day);
	struct meter_coverage cur, then;
	enum gs_result r = coverage_read(db, unit_id, today, &cur);
	if (r == GS_OK)
		r = coverage_read(db, unit_id, then_day, &then);
	if (r != GS_OK) {
		memset(out, 0, sizeof *out);
		memcpy(out->target, target, sizeof out->target);
		return r;
	}
	meter_project(&cur, &then, window, now, today, target, out);
	return GS_OK;
}

enum gs_result meter_projection(struct db *db, int64_t unit_id, const char *today, struct meter_projection_s *out)
{
	memset(out, 0, sizeof *out);
	char now[11];
	if (today) {
		if (day_number(today) == NO_DAY)
			return GS_ERR_INVALID;
		snprintf(now, sizeof now, "%s", today);
	} else {
		meter_today(now);
	}
	enum gs_result r = unit_check(db, unit_id);
	return r == GS_OK ? projection_for(db, unit_id, now, out) : r;
}

void meter_stations_free(struct meter_station_coverage *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		free(s[i].code);
		free(s[i].name);
	}
	free(s);
}

static int station_cmp(const void *a, const void *b)
{
	const struct meter_station_coverage *x = a, *y = b;
	if (x->cov.rate != y->cov.rate)
		return x->cov.rate < y->cov.rate ? -1 : 1;
	return strcmp(x->code, y->code);
}

enum gs_result meter_stations(struct db *db, int64_t unit_id, const char *day, struct meter_station_coverage **out,
			      size_t *n)
{
	*out = NULL;
	*n = 0;
	if (day_number(day) == NO_DAY)
		return GS_ERR_INVALID;
	enum gs_result r = unit_check(db, unit_id);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st = db_stmt(db, SQL_STATIONS_CTE "SELECT u.id, u.code, u.name FROM st JOIN units u ON u.id = "
						       "st.id ORDER BY u.code");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, unit_id);
	struct meter_station_coverage *v = NULL;
	size_t cap = 0, len = 0;
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
	if (row < 0)
		r = GS_ERR_DB;
	for (size_t i = 0; r == GS_OK && i < len; i++) {
		r = coverage_read(db, v[i].station_id, day, &v[i].cov);
		if (r == GS_OK)
			r = projection_for(db, v[i].station_id, day, &v[i].proj);
	}
	if (r != GS_OK) {
		meter_stations_free(v, len);
		return r;
	}
	if (len > 1)
		qsort(v, len, sizeof *v, station_cmp);
	*out = v;
	*n = len;
	return GS_OK;
}

enum gs_result meter_uncovered_each(struct db *db, int64_t station_id, const char *day, meter_point_fn fn, void *ctx)
{
	if (day_number(day) == NO_DAY)
		return GS_ERR_INVALID;
	enum gs_result r = unit_check(db, station_id);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st = db_stmt(
		db, SQL_STATIONS_CTE "SELECT s.code, p.code, coalesce(p.customer_class, ''), p.since FROM st JOIN "
				     "meter_points p ON p.station_id = st.id JOIN units s ON s.id = p.station_id WHERE "
				     "p.since <= ?2 AND (p.until IS NULL OR p.until > ?2) AND NOT EXISTS (SELECT 1 FROM "
				     "meter_links l JOIN meters m ON m.id = l.meter_id WHERE l.point_id = p.id AND m.smart "
				     "= 1 AND l.since <= ?2 AND (l.until IS NULL OR l.until > ?2) AND (m.installed IS NULL "
				     "OR m.installed <= ?2) AND (m.removed IS NULL OR m.removed > ?2)) ORDER BY p.code");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, station_id);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	int row = 0;
	while (r == GS_OK && (row = db_step_row(db, st)) == 1)
		r = fn(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
	if (r == GS_OK && row < 0)
		r = GS_ERR_DB;
	sqlite3_reset(st);
	return r;
}
