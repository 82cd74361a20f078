/* score.h — pure scoring: the indicator methods (bands, step), the unit score with
 * weight redistribution and capped adjustments, leader scores, the "excellent" quota,
 * the differentiation rate of an evaluator, and scoring periods (2026Q3, 2026).
 * No I/O, no database, no allocation the caller must free unless stated: every
 * function here can be tested with hand-computed numbers. docs/indicators.md has the
 * formulas. */
#ifndef GS_SCORE_H
#define GS_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "gs.h"

/* Scores run from 0 to SCORE_MAX; 100 is "target met". */
#define SCORE_FULL 100.0
#define SCORE_MAX 120.0

enum score_direction {
	SCORE_HIGHER_BETTER = 0,
	SCORE_LOWER_BETTER = 1
};

/* ---- Bands: threshold T, target G, benchmark B.
 * Higher is better: T < G < B; 0 at or below T, 60→100 linear on (T, G], 100→120
 * linear on [G, B], 120 at or above B. Lower is better: T > G > B, mirrored. */
struct score_bands {
	double threshold, target, benchmark;
	enum score_direction direction;
};

/* GS_OK if the anchors are finite and ordered for the direction; otherwise
 * GS_ERR_INVALID and a message in err ("threshold 0.9 must be below target 0.8"). */
enum gs_result score_bands_check(const struct score_bands *b, char *err, size_t errlen);
/* The score of actual: GS_ERR_INVALID for bad anchors or a non-finite actual. */
enum gs_result score_bands_apply(const struct score_bands *b, double actual, double *score);

/* ---- Step: full points (100) at the target; `points` off per `delta` short of it
 * (in the actual's own unit: 0.01 is one percentage point of a fraction), at most
 * `max_deduction` off; optionally `bonus_points` per `delta` beyond the target, at
 * most `max_bonus`. whole_steps = 1 counts a started step as a whole one (不足一个
 * 百分点按一个百分点计), 0 scores the shortfall in proportion. */
struct score_step {
	double target;
	double delta;          /* > 0 */
	double points;         /* >= 0 */
	double max_deduction;  /* 0..100 */
	double bonus_points;   /* >= 0; 0: no bonus */
	double max_bonus;      /* 0..20 */
	int whole_steps;
	enum score_direction direction;
};
enum gs_result score_step_check(const struct score_step *s, char *err, size_t errlen);
enum gs_result score_step_apply(const struct score_step *s, double actual, double *score);

/* ---- Unit score: Σ weight × score / Σ weight over the indicators that have data,
 * so a missing indicator's weight is spread over the others in proportion; then
 * minus the deductions (capped), plus the bonuses (capped), clamped to [min, max]. */
struct score_item {
	double weight;           /* in: >= 0 */
	int has_data;            /* in: 0 = no actual or score for the period */
	double score;            /* in: the indicator's score, when has_data */
	double effective_weight; /* out: weight × Σ weight / Σ weight with data; 0 if missing */
	double contribution;     /* out: effective_weight × score / Σ weight */
};

struct score_unit_params {
	double deduction_cap;    /* default 20 */
	double bonus_cap;        /* default 10 */
	double min, max;         /* default 0 .. 120 */
};
void score_unit_params_default(struct score_unit_params *p);

struct score_unit_result {
	int scored;              /* 0: no indicator had data, score is 0 and means nothing */
	double weighted;         /* Σ weight × score / Σ weight with data */
	double weight_total;     /* Σ weight of all items */
	double weight_missing;   /* Σ weight of items without data (redistributed) */
	size_t n_missing;
	double deductions;       /* applied, after the cap */
	double bonuses;          /* applied, after the cap */
	double deductions_raw, bonuses_raw;
	int clamped;             /* the result hit min or max */
	double score;
};

/* items[0..n) are updated with their effective weights and contributions.
 * deductions and bonuses are sums of positive points. GS_ERR_INVALID for a negative
 * or non-finite weight, score or adjustment, a total weight of 0, or min > max. */
enum gs_result score_unit(struct score_item *items, size_t n, double deductions, double bonuses,
			  const struct score_unit_params *p, struct score_unit_result *out);

/* ---- Leader scores. A head's score is their unit's score. A deputy's is
 * beta × own unit + (1 − beta) × the mean of the scores of the departments they
 * supervise and the units they liaise with (each unit once). Without any linked
 * unit with a score it is the own unit's score (*used_links = 0). */
#define SCORE_DEFAULT_BETA 0.5
enum gs_result score_deputy(double own, const double *linked, size_t n_linked, double beta, double *score,
			    size_t *used_links);

/* ---- The excellent grade: at most ceil(share × n) of n peers. Peers are ranked by
 * score (compared after rounding to 0.01), higher first. A group of equal scores that
 * would cross the quota is left out whole, so the quota is never exceeded and no tie is
 * broken by an arbitrary key; *tied_out says how many were left out that way. A peer
 * also needs score >= min_score. excellent[i] = 1 for the chosen ones. rank[i] (may be
 * NULL) is the competition rank (1, 2, 2, 4) among the n. Excellent is a comparison
 * with peers: a group of fewer than SCORE_EXCELLENT_MIN_PEERS (a company alone, a
 * single head at its level) has quota 0 instead of ceil(share × 1) = 1. */
#define SCORE_DEFAULT_EXCELLENT_SHARE 0.2
#define SCORE_EXCELLENT_MIN_PEERS 2
enum gs_result score_excellent(const double *scores, size_t n, double share, double min_score, int *excellent,
			       size_t *rank, size_t *quota, size_t *chosen, size_t *tied_out);

/* ---- Differentiation rate of the scores one evaluating department gave a peer group
 * of n >= 3: (n − size of the largest group of equal scores after rounding to 0.5) / n.
 * Flagged when below target (default 0.30). Also the coefficient of variation
 * (population standard deviation / mean; 0 when the mean is 0) and the range. */
#define SCORE_MIN_PEERS 3
#define SCORE_DEFAULT_DIFF_TARGET 0.30
struct score_diff {
	size_t n;
	size_t largest_group;
	double largest_value;    /* the rounded score shared by the largest group (the lowest such) */
	double rate;
	int flagged;
	double mean, stddev, cv, min, max, range;
};
/* GS_ERR_INVALID with n < SCORE_MIN_PEERS or a non-finite score. */
enum gs_result score_differentiation(const double *scores, size_t n, double target, struct score_diff *out);

/* Rounds to the nearest 0.5, halves away from zero (87.25 → 87.5, 87.24 → 87.0). */
double score_round_half(double x);

/* ---- Periods: a quarter ("2026Q3") or a year ("2026"), years 2000..2999, local days
 * in Asia/Shanghai (UTC+8, no daylight saving). */
struct score_period {
	int year;
	int quarter;             /* 1..4, or 0 for the whole year */
};
#define SCORE_PERIOD_MAX 8   /* "2026Q3" + NUL, with room */
#define SCORE_TZ_OFFSET_S (8 * 3600)

/* GS_ERR_INVALID unless s is exactly YYYY or YYYYQn. */
enum gs_result score_period_parse(const char *s, struct score_period *out);
void score_period_format(const struct score_period *p, char out[SCORE_PERIOD_MAX]);
/* First and last local day, "YYYY-MM-DD". */
void score_period_first_day(const struct score_period *p, char out[11]);
void score_period_last_day(const struct score_period *p, char out[11]);
/* The first second (unix, UTC) of the period and the first second after it. */
int64_t score_period_start(const struct score_period *p);
int64_t score_period_end(const struct score_period *p);
/* The period before: 2026Q1 → 2025Q4, 2026 → 2025. */
void score_period_previous(const struct score_period *p, struct score_period *out);
/* 1 if the local day "YYYY-MM-DD" lies in p, 0 if not or malformed. */
int score_period_contains(const struct score_period *p, const char *day);
/* Orders periods by their first day, a year before its first quarter. */
int score_period_cmp(const struct score_period *a, const struct score_period *b);

#endif
