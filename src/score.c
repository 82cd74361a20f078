/* score.c — pure scoring functions (see score.h and docs/indicators.md for the
 * formulas). No I/O and no database: inputs in, numbers out. Lower-is-better methods
 * are computed as higher-is-better on negated values, so each formula is written once. */
#include "score.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Floating-point slack for "a whole number of steps" and quota products: 0.2 × 15 is
 * 3.0000000000000004 in binary, which must not round up to 4. */
#define SCORE_EPS 1e-9

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- bands */

enum gs_result score_bands_check(const struct score_bands *b, char *err, size_t errlen)
{
	if (!isfinite(b->threshold) || !isfinite(b->target) || !isfinite(b->benchmark)) {
		set_err(err, errlen, "threshold, target and benchmark must be numbers");
		return GS_ERR_INVALID;
	}
	if (b->direction == SCORE_HIGHER_BETTER) {
		if (b->threshold >= b->target) {
			set_err(err, errlen, "threshold %g must be below target %g (higher is better)", b->threshold,
				b->target);
			return GS_ERR_INVALID;
		}
		if (b->target >= b->benchmark) {
			set_err(err, errlen, "target %g must be below benchmark %g (higher is better)", b->target,
				b->benchmark);
			return GS_ERR_INVALID;
		}
	} else if (b->direction == SCORE_LOWER_BETTER) {
		if (b->threshold <= b->target) {
			set_err(err, errlen, "threshold %g must be above target %g (lower is better)", b->threshold,
				b->target);
			return GS_ERR_INVALID;
		}
		if (b->target <= b->benchmark) {
			set_err(err, errlen, "target %g must be above benchmark %g (lower is better)", b->target,
				b->benchmark);
			return GS_ERR_INVALID;
		}
	} else {
		set_err(err, errlen, "unknown direction");
		return GS_ERR_INVALID;
	}
	return GS_OK;
}

enum gs_result score_bands_apply(const struct score_bands *b, double actual, double *score)
{
	if (score_bands_check(b, NULL, 0) != GS_OK || !isfinite(actual))
		return GS_ERR_INVALID;
	double sign = b->direction == SCORE_LOWER_BETTER ? -1.0 : 1.0;
	double a = sign * actual, t = sign * b->threshold, g = sign * b->target, k = sign * b->benchmark;
	if (a <= t)
		*score = 0.0;
	else if (a < g)
		*score = 60.0 + 40.0 * (a - t) / (g - t);
	else if (a < k)
		*score = SCORE_FULL + (SCORE_MAX - SCORE_FULL) * (a - g) / (k - g);
	else
		*score = SCORE_MAX;
	return GS_OK;
}

/* ---------------------------------------------------------------- step */

enum gs_result score_step_check(const struct score_step *s, char *err, size_t errlen)
{
	if (!isfinite(s->target) || !isfinite(s->delta) || !isfinite(s->points) || !isfinite(s->max_deduction) ||
	    !isfinite(s->bonus_points) || !isfinite(s->max_bonus)) {
		set_err(err, errlen, "step parameters must be numbers");
		return GS_ERR_INVALID;
	}
	if (s->direction != SCORE_HIGHER_BETTER && s->direction != SCORE_LOWER_BETTER) {
		set_err(err, errlen, "unknown direction");
		return GS_ERR_INVALID;
	}
	if (s->delta <= 0) {
		set_err(err, errlen, "step delta %g must be above 0", s->delta);
		return GS_ERR_INVALID;
	}
	if (s->points < 0) {
		set_err(err, errlen, "step points %g must not be negative", s->points);
		return GS_ERR_INVALID;
	}
	if (s->max_deduction < 0 || s->max_deduction > SCORE_FULL) {
		set_err(err, errlen, "max-deduction %g must be between 0 and %g", s->max_deduction, SCORE_FULL);
		return GS_ERR_INVALID;
	}
	if (s->bonus_points < 0) {
		set_err(err, errlen, "bonus points %g must not be negative", s->bonus_points);
		return GS_ERR_INVALID;
	}
	if (s->max_bonus < 0 || s->max_bonus > SCORE_MAX - SCORE_FULL) {
		set_err(err, errlen, "max-bonus %g must be between 0 and %g", s->max_bonus, SCORE_MAX - SCORE_FULL);
		return GS_ERR_INVALID;
	}
	return GS_OK;
}

enum gs_result score_step_apply(const struct score_step *s, double actual, double *score)
{
	if (score_step_check(s, NULL, 0) != GS_OK || !isfinite(actual))
		return GS_ERR_INVALID;
	double sign = s->direction == SCORE_LOWER_BETTER ? -1.0 : 1.0;
	double ahead = sign * (actual - s->target); /* > 0: better than the target */
	double steps = fabs(ahead) / s->delta;
	if (ahead < 0) {
		if (s->whole_steps)
			steps = ceil(steps - SCORE_EPS);
		double off = fmin(steps * s->points, s->max_deduction);
		*score = SCORE_FULL - off;
	} else {
		double bonus = 0.0;
		if (s->bonus_points > 0 && ahead > 0) {
			if (s->whole_steps)
				steps = floor(steps + SCORE_EPS); /* a bonus is earned per full step */
			bonus = fmin(steps * s->bonus_points, s->max_bonus);
		}
		*score = SCORE_FULL + bonus;
	}
	return GS_OK;
}

/* ---------------------------------------------------------------- unit score */

void score_unit_params_default(struct score_unit_params *p)
{
	p->deduction_cap = 20.0;
	p->bonus_cap = 10.0;
	p->min = 0.0;
	p->max = SCORE_MAX;
}

enum gs_result score_unit(struct score_item *items, size_t n, double deductions, double bonuses,
			  const struct score_unit_params *p, struct score_unit_result *out)
{
	memset(out, 0, sizeof *out);
	if (!isfinite(deductions) || !isfinite(bonuses) || deductions < 0 || bonuses < 0)
		return GS_ERR_INVALID;
	if (!isfinite(p->deduction_cap) || !isfinite(p->bonus_cap) || !isfinite(p->min) || !isfinite(p->max) ||
	    p->deduction_cap < 0 || p->bonus_cap < 0 || p->min > p->max)
		return GS_ERR_INVALID;
	double total = 0, present = 0, sum = 0;
	for (size_t i = 0; i < n; i++) {
		const struct score_item *it = &items[i];
		if (!isfinite(it->weight) || it->weight < 0)
			return GS_ERR_INVALID;
		if (it->has_data && !isfinite(it->score))
			return GS_ERR_INVALID;
		total += it->weight;
		if (it->has_data) {
			present += it->weight;
			sum += it->weight * it->score;
		} else {
			out->weight_missing += it->weight;
			out->n_missing++;
		}
	}
	if (total <= 0)
		return GS_ERR_INVALID;
	out->weight_total = total;
	out->deductions_raw = deductions;
	out->bonuses_raw = bonuses;
	for (size_t i = 0; i < n; i++) {
		struct score_item *it = &items[i];
		it->effective_weight = it->has_data && present > 0 ? it->weight * total / present : 0.0;
		it->contribution = it->has_data && present > 0 ? it->effective_weight * it->score / total : 0.0;
	}
	if (present <= 0)
		return GS_OK; /* nothing to score: out->scored = 0 */
	out->scored = 1;
	out->weighted = sum / present;
	out->deductions = fmin(deductions, p->deduction_cap);
	out->bonuses = fmin(bonuses, p->bonus_cap);
	double s = out->weighted - out->deductions + out->bonuses;
	if (s < p->min) {
		s = p->min;
		out->clamped = 1;
	} else if (s > p->max) {
		s = p->max;
		out->clamped = 1;
	}
	out->score = s;
	return GS_OK;
}

/* ---------------------------------------------------------------- leaders */

enum gs_result score_deputy(double own, const double *linked, size_t n_linked, double beta, double *score,
			    size_t *used_links)
{
	if (!isfinite(own) || !isfinite(beta) || beta < 0 || beta > 1)
		return GS_ERR_INVALID;
	double sum = 0;
	size_t used = 0;
	for (size_t i = 0; i < n_linked; i++) {
		if (!isfinite(linked[i]))
			continue; /* a linked unit without a score this period */
		sum += linked[i];
		used++;
	}
	if (used_links)
		*used_links = used;
	*score = used ? beta * own + (1.0 - beta) * (sum / (double)used) : own;
	return GS_OK;
}

/* ---------------------------------------------------------------- excellent quota */

struct ranked {
	double key;
	size_t i;
};

static int ranked_desc(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i; /* stable: keeps the output deterministic */
}

static double round_to(double x, double unit)
{
	return round(x / unit) * unit;
}

enum gs_result score_excellent(const double *scores, size_t n, double share, double min_score, int *excellent,
			       size_t *rank, size_t *quota, size_t *chosen, size_t *tied_out)
{
	if (!isfinite(share) || share < 0 || share > 1 || !isfinite(min_score))
		return GS_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(scores[i]))
			return GS_ERR_INVALID;
	size_t q = (size_t)ceil(share * (double)n - SCORE_EPS);
	if (q > n)
		q = n;
	if (n < SCORE_EXCELLENT_MIN_PEERS)
		q = 0; /* nobody to be compared with */
	struct ranked *r = xcalloc(n ? n : 1, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		r[i].key = round_to(scores[i], 0.01);
		r[i].i = i;
		excellent[i] = 0;
	}
	qsort(r, n, sizeof *r, ranked_desc);
	size_t taken = 0, left_out = 0;
	for (size_t p = 0; p < n;) {
		size_t g = 1;
		while (p + g < n && r[p + g].key == r[p].key)
			g++;
		if (rank)
			for (size_t j = 0; j < g; j++)
				rank[r[p + j].i] = p + 1;
		if (taken < q && left_out == 0 && r[p].key >= round_to(min_score, 0.01)) {
			if (taken + g <= q) {
				for (size_t j = 0; j < g; j++)
					excellent[r[p + j].i] = 1;
				taken += g;
			} else {
				left_out = g;
			}
		}
		p += g;
	}
	free(r);
	if (quota)
		*quota = q;
	if (chosen)
		*chosen = taken;
	if (tied_out)
		*tied_out = left_out;
	return GS_OK;
}

/* ---------------------------------------------------------------- differentiation */

double score_round_half(double x)
{
	return round(x * 2.0) / 2.0;
}

static int double_asc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

enum gs_result score_differentiation(const double *scores, size_t n, double target, struct score_diff *out)
{
	memset(out, 0, sizeof *out);
	if (n < SCORE_MIN_PEERS || !isfinite(target))
		return GS_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(scores[i]))
			return GS_ERR_INVALID;
	double *v = xmalloc(n * sizeof *v);
	double sum = 0, lo = scores[0], hi = scores[0];
	for (size_t i = 0; i < n; i++) {
		v[i] = score_round_half(scores[i]);
		sum += scores[i];
		lo = fmin(lo, scores[i]);
		hi = fmax(hi, scores[i]);
	}
	qsort(v, n, sizeof *v, double_asc);
	size_t best = 0;
	double best_value = v[0];
	for (size_t p = 0; p < n;) {
		size_t g = 1;
		while (p + g < n && v[p + g] == v[p])
			g++;
		if (g > best) {
			best = g;
			best_value = v[p];
		}
		p += g;
	}
	free(v);
	out->n = n;
	out->largest_group = best;
	out->largest_value = best_value;
	out->rate = (double)(n - best) / (double)n;
	out->flagged = out->rate < target - SCORE_EPS;
	out->mean = sum / (double)n;
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (scores[i] - out->mean) * (scores[i] - out->mean);
	out->stddev = sqrt(ss / (double)n);
	out->cv = out->mean != 0 ? out->stddev / fabs(out->mean) : 0.0;
	out->min = lo;
	out->max = hi;
	out->range = hi - lo;
	return GS_OK;
}

/* ---------------------------------------------------------------- periods */

enum gs_result score_period_parse(const char *s, struct score_period *out)
{
	if (!s)
		return GS_ERR_INVALID;
	size_t len = strlen(s);
	if (len != 4 && len != 6)
		return GS_ERR_INVALID;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return GS_ERR_INVALID;
	int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (year < 2000 || year > 2999)
		return GS_ERR_INVALID;
	int quarter = 0;
	if (len == 6) {
		if (s[4] != 'Q' || s[5] < '1' || s[5] > '4')
			return GS_ERR_INVALID;
		quarter = s[5] - '0';
	}
	out->year = year;
	out->quarter = quarter;
	return GS_OK;
}

void score_period_format(const struct score_period *p, char out[SCORE_PERIOD_MAX])
{
	if (p->quarter)
		snprintf(out, SCORE_PERIOD_MAX, "%04uQ%u", (unsigned)p->year % 10000u, (unsigned)p->quarter % 10u);
	else
		snprintf(out, SCORE_PERIOD_MAX, "%04u", (unsigned)p->year % 10000u);
}

static unsigned first_month(const struct score_period *p)
{
	return p->quarter ? (unsigned)(3 * (p->quarter - 1) + 1) : 1u;
}

static unsigned last_month(const struct score_period *p)
{
	return p->quarter ? (unsigned)(3 * p->quarter) : 12u;
}

void score_period_first_day(const struct score_period *p, char out[11])
{
	snprintf(out, 11, "%04u-%02u-01", (unsigned)p->year % 10000u, first_month(p) % 100u);
}

void score_period_last_day(const struct score_period *p, char out[11])
{
	static const unsigned ends[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned m = last_month(p); /* March, June, September or December: never February */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)p->year % 10000u, m % 100u, ends[m] % 100u);
}

int64_t score_period_start(const struct score_period *p)
{
	return (int64_t)util_days_from_civil(p->year, first_month(p), 1) * 86400 - SCORE_TZ_OFFSET_S;
}

int64_t score_period_end(const struct score_period *p)
{
	unsigned m = last_month(p) + 1;
	long y = p->year;
	if (m > 12)
		m = 1, y++;
	return (int64_t)util_days_from_civil(y, m, 1) * 86400 - SCORE_TZ_OFFSET_S;
}

void score_period_previous(const struct score_period *p, struct score_period *out)
{
	struct score_period r = *p;
	if (r.quarter == 0) {
		r.year--;
	} else if (r.quarter == 1) {
		r.year--;
		r.quarter = 4;
	} else {
		r.quarter--;
	}
	*out = r;
}

int score_period_contains(const struct score_period *p, const char *day)
{
	if (!day || strlen(day) != 10 || day[4] != '-' || day[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (day[i] < '0' || day[i] > '9'))
			return 0;
	char first[11], last[11];
	score_period_first_day(p, first);
	score_period_last_day(p, last);
	return strcmp(day, first) >= 0 && strcmp(day, last) <= 0;
}

int score_period_cmp(const struct score_period *a, const struct score_period *b)
{
	int64_t x = score_period_start(a), y = score_period_start(b);
	if (x != y)
		return x < y ? -1 : 1;
	/* same first day: the year (quarter 0) sorts before its first quarter */
	return (a->quarter > b->quarter) - (a->quarter < b->quarter);
}
