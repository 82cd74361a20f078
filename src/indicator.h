/* indicator.h — the indicator catalog and its inputs: loading catalog files
 * (urn:gridscore:indicators:1, validated against forms/indicators-1.xsd) all-or-nothing,
 * the queries for indicators and their parameters in force for a period, manual actuals
 * and scores entered by evaluating departments, deductions and bonuses (proposed and
 * confirmed), period closing with a snapshot and its hash, and the computation of a
 * period's unit scores. Scoring formulas live in score.h (pure); this module owns the
 * SQL of the scores migration and knows nothing of HTTP or HTML. docs/indicators.md. */
#ifndef GS_INDICATOR_H
#define GS_INDICATOR_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "gs.h"
#include "score.h"

/* ---------------------------------------------------------------- the catalog file */

struct indicator_error {
	long line;
	long column;            /* 0 when unknown */
	char message[256];
};

#define INDICATOR_MAX_ERRORS 50
#define INDICATOR_MAX_FILE (4u * 1024 * 1024)

struct indicator_load_report {
	int already_loaded;     /* same bytes as the last load: nothing to do */
	long created, updated, unchanged;
	long retired;           /* stored indicators the file no longer lists (kept, inactive) */
	size_t n_errors;        /* errors[0..n_errors) */
	size_t n_errors_total;  /* may exceed INDICATOR_MAX_ERRORS */
	struct indicator_error errors[INDICATOR_MAX_ERRORS];
};

/* Loads a catalog file: schema, then the checks that need the database (units,
 * people, the evaluating department, weights per unit kind summing to 100, each
 * method's parameters, band order, one parameter set per starting period, milestone
 * units and days), then applies it in one write transaction: indicators created or
 * updated by code, their weights, parameters and milestones replaced (milestones keep
 * their done marks when unit, due day and name are unchanged), indicators absent from
 * the file retired. On any error nothing changes: GS_ERR_INVALID and the report lists
 * line and reason. Loading the same file again changes nothing. GS_ERR_TOO_LARGE over
 * INDICATOR_MAX_FILE. name is used in messages. */
enum gs_result indicator_load_file(struct db *db, const char *path, struct indicator_load_report *report);
enum gs_result indicator_load_memory(struct db *db, const char *name, const char *data, size_t len,
				     struct indicator_load_report *report);
/* name:line:column: message lines or a summary, to file (a FILE*), for the CLI. */
void indicator_report_print(const struct indicator_load_report *report, const char *name, void *file);

/* ---------------------------------------------------------------- catalog queries */

enum indicator_kind {
	INDICATOR_CUSTOMER_EVALUATION = 0, /* the survey top-two rate */
	INDICATOR_COVERAGE = 1,            /* smart-meter coverage on the period's last day */
	INDICATOR_MANUAL = 2               /* entered by the evaluating department */
};
enum indicator_method {
	INDICATOR_BANDS = 0,
	INDICATOR_STEP = 1,
	INDICATOR_DIRECT = 2               /* the evaluator enters the score itself */
};
const char *indicator_kind_name(enum indicator_kind k);     /* "customer-evaluation", ... */
const char *indicator_method_name(enum indicator_method m); /* "bands", ... */

struct indicator_weight {
	char unit_kind[12];     /* "company", "department", "station", "team" */
	double weight;
};

struct indicator {
	int64_t id;
	char *code, *name;
	char *name_en;              /* may be NULL */
	enum indicator_kind kind;
	enum score_direction direction;
	/* owner chain, as person and unit codes */
	char *supervisor, *responsible_unit, *responsible_person, *handler;
	char *evaluator;            /* the evaluating department's code; NULL if none */
	int64_t evaluator_unit_id;  /* 0 if none */
	int active;
	struct indicator_weight weights[4];
	size_t n_weights;
};

/* The catalog in file order; retired ones too when include_retired. Free with
 * indicator_list_free. */
enum gs_result indicator_list(struct db *db, int include_retired, struct indicator **out, size_t *n);
void indicator_list_free(struct indicator *list, size_t n);
/* One indicator by code (retired too): GS_ERR_NOT_FOUND if none. Free with indicator_clear. */
enum gs_result indicator_get(struct db *db, const char *code, struct indicator *out);
void indicator_clear(struct indicator *ind);
/* The indicator's weight for units of this kind, 0 if it does not apply to them. */
double indicator_weight_for(const struct indicator *ind, const char *unit_kind);

struct indicator_params {
	char from[SCORE_PERIOD_MAX];    /* the period these parameters start in */
	enum indicator_method method;
	struct score_bands bands;       /* method bands (direction filled in) */
	struct score_step step;         /* method step (direction filled in) */
	double score_max;               /* method direct: scores run 0..score_max */
	int has_min_actual, has_max_actual;
	double min_actual, max_actual;  /* the range a manual actual must lie in */
};

/* The parameters in force for period: those with the latest starting period whose first
 * day is not after the period's first day. GS_ERR_NOT_FOUND if none starts early enough. */
enum gs_result indicator_params_get(struct db *db, int64_t indicator_id, const struct score_period *period,
				    struct indicator_params *out);
/* Every parameter set of an indicator, oldest first. Caller frees *out. */
enum gs_result indicator_params_list(struct db *db, int64_t indicator_id, struct indicator_params **out, size_t *n);
/* The score of an actual under p (bands or step). GS_ERR_INVALID for direct or bad input. */
enum gs_result indicator_params_score(const struct indicator_params *p, double actual, double *score);

struct indicator_milestone {
	int64_t id;
	char *indicator_code, *unit_code, *name;
	char due[11];
	int done;
};
/* Milestones due from..to (inclusive local days; either may be NULL for open-ended),
 * of units within within_unit (0: all), by due day then indicator and unit. Free with
 * indicator_milestones_free. */
enum gs_result indicator_milestones_list(struct db *db, int64_t within_unit, const char *from, const char *to,
					 struct indicator_milestone **out, size_t *n);
void indicator_milestones_free(struct indicator_milestone *m, size_t n);

/* Marks milestone id done (done = 1: when and by whom are recorded) or open again
 * (done = 0). Admins and managers may mark any milestone; other users only those of
 * units within their own unit. GS_ERR_NOT_FOUND (no such milestone),
 * GS_ERR_FORBIDDEN (outside the caller's unit), GS_ERR_CONFLICT (already in that
 * state); err says why. Audited as milestone.done / milestone.reopen. */
enum gs_result indicator_milestone_set_done(struct db *db, const struct auth_user *by, int64_t id, int done,
					    int64_t now, char *err, size_t errlen);

/* ---------------------------------------------------------------- inputs */

/* A message for the user when an input is refused (what and why). */
#define INDICATOR_ERR_MAX 256

/* Enters (or replaces) a manual indicator's value for a unit and period: an actual for
 * methods bands and step (within min-actual..max-actual when set), a score for method
 * direct (0..max). Refused with a message in err: GS_ERR_NOT_FOUND for an unknown
 * indicator or unit; GS_ERR_INVALID for a period that is not YYYY or YYYYQn, an
 * indicator that is not manual or does not apply to the unit's kind, no parameters in
 * force, a value of the wrong sort or out of range; GS_ERR_FORBIDDEN for a user who is
 * not of the evaluating department (its unit or a unit below it — admins included: the
 * evaluation is the department's); GS_ERR_CONFLICT for a closed period. Who and when
 * are recorded, and the previous value stays in the history. */
enum gs_result indicator_manual_set(struct db *db, const struct auth_user *who, const char *indicator_code,
				    const char *unit_code, const char *period, int is_score, double value,
				    const char *note, int64_t now, char *err, size_t errlen);

struct indicator_manual_row {
	char *indicator_code, *unit_code, *entered_by, *note;
	int is_score;
	double value;
	int64_t entered_at;
};
/* The current manual entries of a period, by indicator then unit. Free with
 * indicator_manual_free. */
enum gs_result indicator_manual_list(struct db *db, const char *period, struct indicator_manual_row **out,
				     size_t *n);
void indicator_manual_free(struct indicator_manual_row *rows, size_t n);

enum indicator_source {
	INDICATOR_SRC_INSPECTION = 0,    /* 廉政监察 integrity inspection */
	INDICATOR_SRC_INTERNAL_AUDIT,    /* 督察内审 */
	INDICATOR_SRC_SUPERVISION,       /* 督查督办 */
	INDICATOR_SRC_PUBLIC_OPINION,    /* 舆情监测 */
	INDICATOR_SRC_OVERDUE_FOLLOWUP,  /* an overdue survey follow-up */
	INDICATOR_SRC_OTHER
};
const char *indicator_source_name(enum indicator_source s); /* "inspection", "internal-audit", ... */
/* GS_ERR_INVALID for an unknown name. */
enum gs_result indicator_source_parse(const char *name, enum indicator_source *out);

struct indicator_adjustment_in {
	const char *unit_code;
	const char *period;
	int bonus;                   /* 0 deduction, 1 bonus */
	double points;               /* 0 < points <= 100 */
	const char *reason;          /* required, at most 500 bytes */
	const char *evidence;        /* may be NULL, at most 2000 bytes */
	enum indicator_source source;
	const char *indicator_code;  /* may be NULL: the adjustment is of the unit as a whole */
};

/* Records a deduction or bonus. proposed = 1 leaves it for a person to confirm. Allowed
 * to admins and to users of a department; refused like indicator_manual_set for closed
 * periods, unknown units or indicators and bad values. *id (may be NULL) receives its id. */
enum gs_result indicator_adjustment_add(struct db *db, const struct auth_user *who,
					const struct indicator_adjustment_in *in, int proposed, int64_t now,
					int64_t *id, char *err, size_t errlen);
/* Confirms or rejects a proposed adjustment (admins and department users; not the
 * station it concerns). GS_ERR_CONFLICT if it was decided already or its period is closed. */
enum gs_result indicator_adjustment_decide(struct db *db, const struct auth_user *who, int64_t id, int confirm,
					   int64_t now, char *err, size_t errlen);

/* Proposes a deduction of `points` for the hall's station for every survey follow-up
 * that was still open at its due time, or closed after it, with due time inside period,
 * and not proposed before (each follow-up at most once, whatever its period). Nothing
 * for a closed period. *proposed (may be NULL) receives how many were added. */
enum gs_result indicator_propose_overdue(struct db *db, const char *period, double points, int64_t now,
					 long *proposed);

struct indicator_adjustment_row {
	int64_t id;
	char *unit_code, *period, *reason, *evidence, *source, *indicator_code, *state, *created_by, *decided_by;
	int bonus;
	double points;
	int64_t created_at, decided_at, followup_id;
};
/* Adjustments of a period (every state), by unit then id. Free with
 * indicator_adjustments_free. */
enum gs_result indicator_adjustments_list(struct db *db, const char *period, struct indicator_adjustment_row **out,
					  size_t *n);
void indicator_adjustments_free(struct indicator_adjustment_row *rows, size_t n);

/* ---------------------------------------------------------------- closing */

/* 1 if the period is closed, 0 if open, -1 on error. A closed year does not close its
 * quarters, nor the other way round. */
int indicator_period_closed(struct db *db, const char *period);

/* Closes a period (admins and managers): its manual entries, confirmed adjustments and
 * the parameters and weights in force are written as canonical JSON into a snapshot
 * with its SHA-256 (hex in sha256_out, 65 bytes, may be NULL). scores_json (may be
 * NULL) is the computed report (scoring_to_json), stored under "scores" so the closed
 * report is read back instead of recomputed; scoring_period_close passes it.
 * GS_ERR_CONFLICT if it is closed already. */
enum gs_result indicator_period_close(struct db *db, const struct auth_user *who, const char *period, int64_t now,
				      const char *scores_json, char *sha256_out, char *err, size_t errlen);
/* Reopens a closed period: admins only, with a reason; recorded in the period's events
 * and the audit log. GS_ERR_CONFLICT if it is not closed. */
enum gs_result indicator_period_reopen(struct db *db, const struct auth_user *who, const char *period,
				       const char *reason, int64_t now, char *err, size_t errlen);
/* The latest snapshot of a period: content (JSON, caller frees) and hash.
 * GS_ERR_NOT_FOUND if it was never closed. */
enum gs_result indicator_snapshot_get(struct db *db, const char *period, char **content, char sha256[65]);
/* The id and hash of the latest snapshot of a period, without its content (to know
 * whether a copy read earlier is still the one in force). GS_ERR_NOT_FOUND if none. */
enum gs_result indicator_snapshot_latest(struct db *db, const char *period, int64_t *id, char sha256[65]);

#endif
