/* scoring.h — a period's unit and leader scores computed from the stored data: the
 * survey top-two rate (survey.h, from the daily aggregates, with the parent's rate for
 * units under the minimum sample), smart-meter coverage on the period's last day
 * (meter.h), manual entries and confirmed adjustments (indicator.h), weight
 * redistribution, peer rankings and the excellent quota, change against the previous
 * period, leader scores, differentiation rates of evaluating departments, and
 * milestones due soon or overdue. The formulas are score.h's; this module only
 * gathers inputs. A closed period's report is read back from its snapshot, so it never
 * changes after later imports or responses. No HTTP, no HTML. docs/indicators.md. */
#ifndef GS_SCORING_H
#define GS_SCORING_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "gs.h"
#include "indicator.h"
#include "score.h"

/* One indicator of one unit. */
struct scoring_indicator {
	char *code, *name, *name_en;          /* name_en may be NULL */
	enum indicator_kind kind;
	char method[8];                       /* "bands", "step", "direct", "" without parameters */
	int has_data;                         /* 0: missing, its weight was redistributed */
	int has_actual;                       /* the actual is known (not for direct scores) */
	double actual;                        /* rates as fractions 0..1 */
	double score;
	double weight, effective_weight, contribution;
	/* customer-evaluation: the counts the rate came from */
	int64_t responses, satisfied;
	double ci_low, ci_high;
	char *rate_from;                      /* the unit whose rate was used: itself or an ancestor */
	int fallback;                         /* 1: own sample too small, rate_from is an ancestor */
	/* coverage */
	long points, smart;
	char *note;                           /* why data is missing or where it came from; may be NULL */
};

struct scoring_unit {
	char *code, *name, *name_en, *kind;   /* name_en may be NULL */
	char *parent_code;                    /* NULL for the company */
	int depth;
	int scored;                           /* 0: no indicator had data, score means nothing */
	double score, weighted;
	double deductions, bonuses;           /* applied, after the caps */
	double deductions_raw, bonuses_raw;
	double weight_missing;
	size_t n_missing;
	size_t rank, peers;                   /* competition rank among peers (same kind and level) */
	int excellent;
	int has_previous;
	double previous, change;              /* the previous period's score, score − previous */
	int64_t followups_open, followups_overdue; /* stations: survey follow-ups at computation time */
	struct scoring_indicator *ind;
	size_t n_ind;
};

struct scoring_leader {
	char *person_code, *person_name, *title; /* title may be NULL */
	char *unit_code, *unit_kind;
	char role[8];                         /* "head" or "deputy" */
	int scored;
	double score, own, linked_mean, beta;
	size_t used_links;
	char *linked;                         /* linked unit codes, "A,B" (deputies); may be NULL */
	size_t rank, peers;
	int excellent;
};

/* A peer group: units (or leaders) of one kind at one level of the tree. */
struct scoring_group {
	char *kind;
	int depth;
	int leaders;                          /* 1: a group of leaders */
	size_t n, quota, chosen, tied_out;
};

/* The differentiation of one evaluating department's scores for one indicator over a
 * peer group of at least SCORE_MIN_PEERS units. */
struct scoring_diff {
	char *evaluator, *indicator, *kind;
	int depth;
	struct score_diff d;
	double proposed_deduction;            /* setting score.diff_deduction when flagged, else 0 */
};

struct scoring_milestone {
	int64_t id;                           /* for `gridscore milestone done ID` */
	char *indicator, *unit, *name, *person; /* person: the indicator's responsible person */
	char due[11];
	int overdue;                          /* due before the day of computation */
};

struct scoring_result {
	char period[SCORE_PERIOD_MAX], previous[SCORE_PERIOD_MAX];
	char first_day[11], last_day[11];
	int closed;                           /* read from the period's snapshot */
	char sha256[65];                      /* the snapshot's hash when closed */
	int64_t computed_at;
	double excellent_share, diff_target;
	struct scoring_unit *units;           /* tree order */
	size_t n_units;
	struct scoring_leader *leaders;
	size_t n_leaders;
	struct scoring_group *groups;
	size_t n_groups;
	struct scoring_diff *diffs;
	size_t n_diffs;
	struct scoring_milestone *milestones; /* overdue and due within 7 days, by due day */
	size_t n_milestones;
	int refs;                             /* internal: other holders of a shared (cached) result */
};

#define SCORING_DUE_DAYS 7

/* Computes the period from the stored data as of now (the previous period's scores
 * come from its snapshot when closed, else are computed too). period is YYYY or
 * YYYYQn (GS_ERR_INVALID otherwise, with a message in err). Free with scoring_free. */
enum gs_result scoring_compute(struct db *db, const char *period, int64_t now, struct scoring_result **out,
			       char *err, size_t errlen);
/* The report of a period: a closed period's from its latest snapshot (never recomputed),
 * an open one computed now. Reports of database files are cached and shared while
 * nothing they are made of changed (see scoring.c): treat *out as read-only. Free with
 * scoring_free (which releases the caller's reference). */
enum gs_result scoring_report(struct db *db, const char *period, int64_t now, struct scoring_result **out, char *err,
			      size_t errlen);
void scoring_free(struct scoring_result *r); /* NULL is a no-op */
/* The same report, except that while customers' responses arrive a cached report that
 * differs from the data only by responses stored since it was computed is good enough
 * if it was computed at most max_age_s seconds ago: the league table on the dashboard
 * and unit pages (which say when it was computed), so that a page after each new
 * response does not compute the period itself — the server's warmer (below) computes
 * the new version within seconds. Any other change (an import, an entry, an
 * adjustment, a closing, a load, the settings, the clock's expiry) is never lagged.
 * /scores, the reports and the API use scoring_report. */
enum gs_result scoring_report_recent(struct db *db, const char *period, int64_t now, int max_age_s,
				     struct scoring_result **out, char *err, size_t errlen);

/* Computes the period and closes it with the scores in its snapshot (see
 * indicator_period_close for who may and the refusals). sha256_out may be NULL. */
enum gs_result scoring_period_close(struct db *db, const struct auth_user *who, const char *period, int64_t now,
				    char *sha256_out, char *err, size_t errlen);

/* The result as JSON text (the "scores" part of a snapshot) and back. Caller frees. */
char *scoring_to_json(const struct scoring_result *r);
enum gs_result scoring_from_json(const char *text, struct scoring_result **out);

/* Milestones not done, due up to `today` + days (overdue ones too), of units within
 * within_unit (0 all), ordered by responsible person, unit and due day. */
enum gs_result scoring_due(struct db *db, int64_t within_unit, const char *today, int days,
			   struct scoring_milestone **out, size_t *n);
void scoring_milestones_free(struct scoring_milestone *m, size_t n);

/* The unit with this code in r, or NULL. */
const struct scoring_unit *scoring_find_unit(const struct scoring_result *r, const char *code);

/* The quarter that contains unix time t (Asia/Shanghai). */
void scoring_current_quarter(int64_t t, char out[SCORE_PERIOD_MAX]);

/* The server's warmer: a thread with its own connection to db_path that, at once and
 * then every interval_ms, asks for the current quarter's report and sums the survey
 * unit rows of the quarter (survey_bulk_units_range), so the report cache and the
 * in-memory copy of the unit rows are ready before a page needs them: the first page
 * after a start, after new data or after an expiry (scoring_report) answers from
 * memory instead of computing the league table. Answers never depend on it; without it
 * the first request computes. GS_ERR_DB if the database cannot be opened (err says
 * why). Stop (joins the thread) with scoring_warmer_stop; NULL is a no-op. */
struct scoring_warmer;
enum gs_result scoring_warmer_start(const char *db_path, unsigned interval_ms, struct scoring_warmer **out,
				    char *err, size_t errlen);
void scoring_warmer_stop(struct scoring_warmer *w);
/* How many reports the warmer's rounds computed (not found in the cache), for tests. */
unsigned long scoring_warmer_computed(struct scoring_warmer *w);

#endif
