/* org.h — the org model: units (company → departments and stations → teams), service
 * halls, people and leader links. Loads org files (urn:gridscore:org:1, validated
 * against forms/org-1.xsd) all-or-nothing, and answers the queries the views and the
 * API need. Owns its SQL; knows nothing of HTTP or HTML. */
#ifndef GS_ORG_H
#define GS_ORG_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "gs.h"

/* One problem found in an org file: where, and what. */
struct org_error {
	long line;
	long column;     /* 0 when libxml2 does not know it */
	char message[256];
};

#define ORG_MAX_ERRORS 50

struct org_load_report {
	int already_loaded;           /* same content as an earlier load: nothing to do */
	long units_created, units_updated;
	long halls_created, halls_updated;
	long people_created, people_updated;
	long links_changed;           /* leader links added or removed */
	long unchanged;               /* records identical to what was stored */
	size_t n_errors;              /* errors[0..n_errors) */
	size_t n_errors_total;        /* may exceed ORG_MAX_ERRORS */
	struct org_error errors[ORG_MAX_ERRORS];
};

/* Loads an org file: validates it against the embedded XSD while reading, checks the
 * references (parents, stations, units of people and links, no cycles, a hall only
 * under a station, no duplicate codes within the file) and applies it in one write
 * transaction, creating or updating by code. On any error nothing is written, the
 * result is GS_ERR_INVALID and report->errors say line, column and reason. Loading
 * the same content again changes nothing (report->already_loaded or all unchanged).
 * name is used in messages (a file name). Files over ORG_MAX_FILE bytes: GS_ERR_TOO_LARGE. */
#define ORG_MAX_FILE (16u * 1024 * 1024)
enum gs_result org_load_file(struct db *db, const char *path, struct org_load_report *report);
enum gs_result org_load_memory(struct db *db, const char *name, const char *data, size_t len,
			       struct org_load_report *report);

/* Writes a human summary of a report ("created 3 units, ...", or the errors as
 * name:line:column: message lines) to out, for the CLI. */
void org_report_print(const struct org_load_report *report, const char *name, void *file /* FILE* */);

struct org_unit {
	int64_t id;
	char *code;
	char *name;
	char *name_en;      /* may be NULL */
	char *kind;         /* "company", "department", "station", "team" */
	int64_t parent_id;  /* 0 for the company */
	char *parent_code;  /* NULL for the company */
	int depth;          /* 0 for the company */
};

struct org_hall {
	int64_t id;
	char *code;
	char *name;
	char *name_en;      /* may be NULL */
	char *address;      /* may be NULL */
	int64_t station_id;
	char *station_code;
	char *station_name;
	char *station_name_en; /* may be NULL */
	int active;
	int key_version;
};

struct org_hours {
	int weekday;        /* 1 = Monday .. 7 = Sunday */
	char opens[6];      /* "HH:MM" */
	char closes[6];
};

struct org_leader {
	char *person_code;
	char *person_name;
	char *title;        /* may be NULL */
	char *kind;         /* "head", "deputy", "supervises", "liaises" */
	char *unit_code;    /* the unit the link points at */
	char *unit_name;
};

/* All units in tree order (each parent before its children; siblings by sort, code).
 * If within_id is non-zero, only that unit and its descendants. Caller frees with
 * org_units_free. */
enum gs_result org_units_list(struct db *db, int64_t within_id, struct org_unit **out, size_t *n);
void org_units_free(struct org_unit *units, size_t n);

/* One unit by code: GS_ERR_NOT_FOUND if none. Free with org_unit_clear. */
enum gs_result org_unit_get(struct db *db, const char *code, struct org_unit *out);
void org_unit_clear(struct org_unit *u);

/* Halls of a station and its teams (station_id = 0: every hall), active ones first,
 * then by code. Caller frees with org_halls_free. If within_id is non-zero, only halls
 * whose station is within that unit's subtree. */
enum gs_result org_halls_list(struct db *db, int64_t within_id, struct org_hall **out, size_t *n);
void org_halls_free(struct org_hall *halls, size_t n);
enum gs_result org_hall_get(struct db *db, const char *code, struct org_hall *out);
void org_hall_clear(struct org_hall *h);
/* Opening hours of a hall, ordered by weekday and opening time. */
enum gs_result org_hall_hours(struct db *db, int64_t hall_id, struct org_hours **out, size_t *n);

/* Leader links: those that point at unit_id (who heads, supervises or liaises with it)
 * and, for people who belong to unit_id, their own links. Caller frees with org_leaders_free. */
enum gs_result org_leaders_of_unit(struct db *db, int64_t unit_id, struct org_leader **out, size_t *n);
void org_leaders_free(struct org_leader *l, size_t n);

/* Opens (active = 1) or closes (0) a service hall: a closed hall's survey codes stop
 * working and it is listed as inactive. GS_ERR_NOT_FOUND if no hall has that code. */
enum gs_result org_hall_set_active(struct db *db, const char *code, int active);

/* 1 if unit_id is ancestor_id or lies below it in the tree, 0 if not, -1 on error. */
int org_unit_within(struct db *db, int64_t unit_id, int64_t ancestor_id);

/* ---- Changes from the admin pages: one record at a time, through the same checks as
 * an org file (the schema's formats, then the loader's tree and reference rules on the
 * org as it would be) and applied the same way, in one write transaction. A change is
 * recorded in org_loads as "admin page (ACTOR)", so loading the same org file again
 * applies it again instead of answering "already loaded", and the unit statistics know
 * the tree changed (survey_aggregates_rebuild with only_if_stale). */

/* Free text fields: NULL or "" means absent (name_en, address, title are then cleared,
 * as when a file leaves the attribute out). */
struct org_unit_change {
	const char *code, *kind, *parent, *name, *name_en;
};

struct org_hall_change {
	const char *code, *station, *name, *name_en, *address;
	int active;
	/* opening hours per weekday, Monday first: intervals "HH:MM-HH:MM" separated by
	 * spaces, commas or semicolons ("08:30-12:00 14:00-17:30"); NULL or "" = closed */
	const char *hours[7];
};

struct org_person_change {
	const char *code, *unit, *name, *name_en, *title;
};

/* Why a change was refused, per form field: "code", "kind", "parent", "name",
 * "name_en", "station", "address", "hours-mon" .. "hours-sun", "unit", "title",
 * "link_kind", "link_unit", or "" for the record as a whole. Messages are English,
 * like the loader's. */
struct org_change_error {
	const char *field;       /* static string */
	char message[256];
};
#define ORG_CHANGE_MAX_ERRORS 16
struct org_change_report {
	size_t n_errors;
	struct org_change_error errors[ORG_CHANGE_MAX_ERRORS];
};

/* Creates (create = 1) or updates (create = 0) one unit, hall or person by code.
 * Updating replaces every field with the change's (a hall keeps its QR key version; a
 * person keeps their leader links). Results: GS_OK; GS_ERR_INVALID with rep->errors;
 * GS_ERR_CONFLICT when creating a code that exists (units and halls share one code
 * space, as in files); GS_ERR_NOT_FOUND when updating a code that does not exist;
 * GS_ERR_BUSY / GS_ERR_DB. actor names who made the change (for org_loads). */
enum gs_result org_unit_save(struct db *db, const struct org_unit_change *u, int create, const char *actor,
			     struct org_change_report *rep);
enum gs_result org_hall_save(struct db *db, const struct org_hall_change *h, int create, const char *actor,
			     struct org_change_report *rep);
enum gs_result org_person_save(struct db *db, const struct org_person_change *p, int create, const char *actor,
			       struct org_change_report *rep);

/* Adds (add = 1) or removes (add = 0) one leader link of a person: kind is "head",
 * "deputy", "supervises" or "liaises". GS_ERR_NOT_FOUND: no such person, or (removing)
 * no such link; GS_ERR_CONFLICT: adding a link the person has; GS_ERR_INVALID with
 * rep->errors (bad kind, unknown unit). */
enum gs_result org_person_link(struct db *db, const char *person, const char *kind, const char *unit, int add,
			       const char *actor, struct org_change_report *rep);

/* A day's opening hours as the change's text ("08:30-12:00 14:00-17:30"; "" when
 * closed), from hours as org_hall_hours returns them. weekday 1 = Monday. */
void org_hours_text(const struct org_hours *hours, size_t n, int weekday, char *out, size_t len);

struct org_person_link {
	char *kind;          /* "head", "deputy", "supervises", "liaises" */
	char *unit_code;
	char *unit_name;
	char *unit_name_en;  /* may be NULL */
};

struct org_person {
	int64_t id;
	char *code, *name;
	char *name_en, *title;        /* may be NULL */
	char *unit_code, *unit_name;
	char *unit_name_en;           /* may be NULL */
	struct org_person_link *links; /* ordered head, deputy, supervises, liaises, then unit code */
	size_t n_links;
};

/* Every person by code, each with their leader links. Caller frees with org_people_free. */
enum gs_result org_people_list(struct db *db, struct org_person **out, size_t *n);
void org_people_free(struct org_person *people, size_t n);
/* One person by code with their links: GS_ERR_NOT_FOUND if none. Free with org_person_clear. */
enum gs_result org_person_get(struct db *db, const char *code, struct org_person *out);
void org_person_clear(struct org_person *p);

/* Every leader link at once (for scoring, which needs them all): who, which kind, which
 * unit, and the unit the person belongs to, ordered by person code, kind, unit code.
 * One scan instead of one query per unit. Caller frees with org_leader_links_free. */
struct org_leader_link {
	char *person_code;
	char *person_name;
	char *title;           /* may be NULL */
	int64_t person_unit_id; /* the unit the person belongs to */
	char *kind;            /* "head", "deputy", "supervises", "liaises" */
	int64_t unit_id;       /* the unit the link points at */
	char *unit_code;
};
enum gs_result org_leader_links_all(struct db *db, struct org_leader_link **out, size_t *n);
void org_leader_links_free(struct org_leader_link *l, size_t n); /* NULL is a no-op */

#endif
