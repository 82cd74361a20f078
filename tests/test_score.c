/* test_score.c — known-answer tests of the pure scoring functions: bands, step, unit
 * score with weight redistribution and capped adjustments, deputy linkage, the
 * excellent quota, the differentiation rate and periods. Every expected number was
 * worked out by hand; the working is in the comment beside it. */
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "score.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

static double bands(double t, double g, double b, enum score_direction d, double actual)
{
	struct score_bands sb = {t, g, b, d};
	double s = -1;
	CHECK_INT(score_bands_apply(&sb, actual, &s), GS_OK);
	return s;
}

static void test_bands(void)
{
	/* higher is better: T 0.80, G 0.90, B 0.95 */
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.75), 0));
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.80), 0));     /* at T: 0 */
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.85), 80));    /* 60 + 40 × 0.05/0.10 */
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.82), 68));    /* 60 + 40 × 0.02/0.10 */
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.90), 100));
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.925), 110));  /* 100 + 20 × 0.025/0.05 */
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.95), 120));
	CHECK(NEAR(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 1.00), 120));
	/* just above T starts at 60 */
	CHECK(fabs(bands(0.80, 0.90, 0.95, SCORE_HIGHER_BETTER, 0.8000001) - 60) < 0.001);
	/* lower is better: T 10, G 5, B 2 (e.g. days to resolve) */
	CHECK(NEAR(bands(10, 5, 2, SCORE_LOWER_BETTER, 12), 0));
	CHECK(NEAR(bands(10, 5, 2, SCORE_LOWER_BETTER, 10), 0));
	CHECK(NEAR(bands(10, 5, 2, SCORE_LOWER_BETTER, 7.5), 80));   /* 60 + 40 × 2.5/5 */
	CHECK(NEAR(bands(10, 5, 2, SCORE_LOWER_BETTER, 5), 100));
	CHECK(NEAR(bands(10, 5, 2, SCORE_LOWER_BETTER, 3.5), 110));  /* 100 + 20 × 1.5/3 */
	CHECK(NEAR(bands(10, 5, 2, SCORE_LOWER_BETTER, 2), 120));
	CHECK(NEAR(bands(10, 5, 2, SCORE_LOWER_BETTER, 0), 120));

	/* bad anchors are refused, with a message naming them */
	char err[128] = "";
	struct score_bands b = {0.90, 0.90, 0.95, SCORE_HIGHER_BETTER};
	CHECK_INT(score_bands_check(&b, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "threshold 0.9 must be below target 0.9");
	b = (struct score_bands){0.95, 0.90, 0.99, SCORE_HIGHER_BETTER};
	CHECK_INT(score_bands_check(&b, err, sizeof err), GS_ERR_INVALID);
	b = (struct score_bands){0.80, 0.90, 0.90, SCORE_HIGHER_BETTER};
	CHECK_INT(score_bands_check(&b, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "benchmark");
	b = (struct score_bands){2, 5, 10, SCORE_LOWER_BETTER};
	CHECK_INT(score_bands_check(&b, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "lower is better");
	b = (struct score_bands){NAN, 5, 10, SCORE_HIGHER_BETTER};
	CHECK_INT(score_bands_check(&b, err, sizeof err), GS_ERR_INVALID);
	double s = -1;
	CHECK_INT(score_bands_apply(&b, 1, &s), GS_ERR_INVALID);
	b = (struct score_bands){0.8, 0.9, 0.95, SCORE_HIGHER_BETTER};
	CHECK_INT(score_bands_apply(&b, INFINITY, &s), GS_ERR_INVALID);
	CHECK_INT(score_bands_check(&b, NULL, 0), GS_OK);
}

static double step(const struct score_step *st, double actual)
{
	double s = -1;
	CHECK_INT(score_step_apply(st, actual, &s), GS_OK);
	return s;
}

static void test_step(void)
{
	/* 2 points per percentage point short of 98%, at most 10 off */
	struct score_step st = {.target = 0.98, .delta = 0.01, .points = 2, .max_deduction = 10};
	CHECK(NEAR(step(&st, 0.98), 100));
	CHECK(NEAR(step(&st, 0.99), 100));  /* no bonus configured */
	CHECK(NEAR(step(&st, 0.97), 98));
	CHECK(NEAR(step(&st, 0.955), 95));  /* 2.5 points short × 2 */
	CHECK(NEAR(step(&st, 0.90), 90));   /* 16 off, capped at 10 */
	/* whole steps: a started percentage point counts as one */
	st.whole_steps = 1;
	CHECK(NEAR(step(&st, 0.955), 94));  /* 2.5 → 3 steps */
	CHECK(NEAR(step(&st, 0.97), 98));   /* exactly one step despite binary fractions */
	CHECK(NEAR(step(&st, 0.96), 96));
	/* bonus: 1 point per percentage point above, at most 3 */
	st.whole_steps = 0;
	st.bonus_points = 1;
	st.max_bonus = 3;
	CHECK(NEAR(step(&st, 0.995), 101.5));
	CHECK(NEAR(step(&st, 1.05), 103));  /* 7 points, capped at 3 */
	st.whole_steps = 1;
	CHECK(NEAR(step(&st, 0.995), 101)); /* bonus for full steps only */
	CHECK(NEAR(step(&st, 0.99), 101));
	/* lower is better: 5 points per day over a 5-day target, at most 20 */
	struct score_step low = {.target = 5, .delta = 1, .points = 5, .max_deduction = 20,
				 .direction = SCORE_LOWER_BETTER};
	CHECK(NEAR(step(&low, 7), 90));
	CHECK(NEAR(step(&low, 4), 100));
	CHECK(NEAR(step(&low, 30), 80));
	/* refused parameters */
	char err[128] = "";
	struct score_step bad = st;
	bad.delta = 0;
	CHECK_INT(score_step_check(&bad, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "delta");
	bad = st;
	bad.max_deduction = 101;
	CHECK_INT(score_step_check(&bad, err, sizeof err), GS_ERR_INVALID);
	bad = st;
	bad.max_bonus = 25;
	CHECK_INT(score_step_check(&bad, err, sizeof err), GS_ERR_INVALID);
	bad = st;
	bad.points = -1;
	CHECK_INT(score_step_check(&bad, err, sizeof err), GS_ERR_INVALID);
	double s;
	CHECK_INT(score_step_apply(&st, NAN, &s), GS_ERR_INVALID);
}

static void test_unit(void)
{
	struct score_unit_params p;
	score_unit_params_default(&p);
	CHECK(NEAR(p.deduction_cap, 20) && NEAR(p.bonus_cap, 10) && NEAR(p.min, 0) && NEAR(p.max, 120));

	/* weights 40, 30, 30; the third has no data: its 30 is spread over the other 70.
	 * weighted = (40×90 + 30×80) / 70 = 6000/70 = 85.714286;
	 * effective weights 40×100/70 = 57.142857 and 30×100/70 = 42.857143;
	 * deductions 25 capped at 20, bonus 3: 85.714286 − 20 + 3 = 68.714286 */
	struct score_item it[3] = {{.weight = 40, .has_data = 1, .score = 90},
				   {.weight = 30, .has_data = 1, .score = 80},
				   {.weight = 30, .has_data = 0}};
	struct score_unit_result r;
	CHECK_INT(score_unit(it, 3, 25, 3, &p, &r), GS_OK);
	CHECK(r.scored);
	CHECK(NEAR(r.weighted, 6000.0 / 70));
	CHECK(NEAR(it[0].effective_weight, 4000.0 / 70));
	CHECK(NEAR(it[1].effective_weight, 3000.0 / 70));
	CHECK(NEAR(it[2].effective_weight, 0));
	CHECK(NEAR(it[0].contribution + it[1].contribution, r.weighted));
	CHECK(NEAR(it[0].contribution, 51.428571));
	CHECK(NEAR(r.weight_total, 100));
	CHECK(NEAR(r.weight_missing, 30));
	CHECK_INT(r.n_missing, 1);
	CHECK(NEAR(r.deductions, 20) && NEAR(r.deductions_raw, 25));
	CHECK(NEAR(r.bonuses, 3));
	CHECK(NEAR(r.score, 6000.0 / 70 - 20 + 3));
	CHECK(!r.clamped);

	/* everything present: a plain weighted mean (50×100 + 50×60)/100 = 80; bonus 15 capped at 10 */
	struct score_item full[2] = {{.weight = 50, .has_data = 1, .score = 100}, {.weight = 50, .has_data = 1, .score = 60}};
	CHECK_INT(score_unit(full, 2, 0, 15, &p, &r), GS_OK);
	CHECK(NEAR(r.score, 90));
	CHECK(NEAR(full[0].effective_weight, 50));

	/* clamping at both ends */
	struct score_item top[1] = {{.weight = 10, .has_data = 1, .score = 120}};
	CHECK_INT(score_unit(top, 1, 0, 5, &p, &r), GS_OK);
	CHECK(NEAR(r.score, 120) && r.clamped);
	struct score_item bottom[1] = {{.weight = 10, .has_data = 1, .score = 5}};
	CHECK_INT(score_unit(bottom, 1, 18, 0, &p, &r), GS_OK);
	CHECK(NEAR(r.score, 0) && r.clamped);

	/* no indicator with data: not scored */
	struct score_item none[2] = {{.weight = 50}, {.weight = 50}};
	CHECK_INT(score_unit(none, 2, 5, 0, &p, &r), GS_OK);
	CHECK(!r.scored);
	CHECK_INT(r.n_missing, 2);

	/* refused input */
	struct score_item neg[1] = {{.weight = -1, .has_data = 1, .score = 50}};
	CHECK_INT(score_unit(neg, 1, 0, 0, &p, &r), GS_ERR_INVALID);
	struct score_item zero[1] = {{.weight = 0, .has_data = 1, .score = 50}};
	CHECK_INT(score_unit(zero, 1, 0, 0, &p, &r), GS_ERR_INVALID);
	CHECK_INT(score_unit(full, 2, -1, 0, &p, &r), GS_ERR_INVALID);
	struct score_item nan[1] = {{.weight = 1, .has_data = 1, .score = NAN}};
	CHECK_INT(score_unit(nan, 1, 0, 0, &p, &r), GS_ERR_INVALID);
	struct score_unit_params badp = p;
	badp.min = 130;
	CHECK_INT(score_unit(full, 2, 0, 0, &badp, &r), GS_ERR_INVALID);
}

static void test_deputy(void)
{
	double s;
	size_t used;
	/* own 80, supervised 70 and liaison 100: mean 85; 0.5×80 + 0.5×85 = 82.5 */
	double linked[] = {70, 100, NAN};
	CHECK_INT(score_deputy(80, linked, 3, SCORE_DEFAULT_BETA, &s, &used), GS_OK);
	CHECK(NEAR(s, 82.5));
	CHECK_INT(used, 2);
	/* beta 0.7: 0.7×80 + 0.3×85 = 81.5 */
	CHECK_INT(score_deputy(80, linked, 3, 0.7, &s, &used), GS_OK);
	CHECK(NEAR(s, 81.5));
	/* a deduction of 10 in the supervised unit lowers the deputy by (1 − 0.5) × 10 / 2 = 2.5 */
	double after[] = {60, 100};
	CHECK_INT(score_deputy(80, after, 2, 0.5, &s, &used), GS_OK);
	CHECK(NEAR(s, 80.0));
	/* no linked unit: the own unit's score */
	CHECK_INT(score_deputy(77, NULL, 0, 0.5, &s, &used), GS_OK);
	CHECK(NEAR(s, 77));
	CHECK_INT(used, 0);
	CHECK_INT(score_deputy(77, linked, 3, 1.5, &s, &used), GS_ERR_INVALID);
	CHECK_INT(score_deputy(NAN, linked, 3, 0.5, &s, &used), GS_ERR_INVALID);
}

static void test_excellent(void)
{
	int ex[16];
	size_t rank[16], quota, chosen, tied;
	/* 10 peers, 20%: quota 2 — the two best */
	double a[10] = {90, 99, 80, 97, 95, 95, 70, 60, 85, 88};
	CHECK_INT(score_excellent(a, 10, 0.2, 0, ex, rank, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 2);
	CHECK_INT(chosen, 2);
	CHECK_INT(tied, 0);
	CHECK(ex[1] && ex[3] && !ex[4] && !ex[5] && !ex[0]);
	CHECK_INT(rank[1], 1);
	CHECK_INT(rank[3], 2);
	CHECK_INT(rank[4], 3);
	CHECK_INT(rank[5], 3); /* tie: competition rank */
	CHECK_INT(rank[0], 5);
	CHECK_INT(rank[7], 10);

	/* a tie across the quota is left out whole: 98 in, the two 97s out */
	double b[10] = {98, 97, 97, 90, 80, 70, 60, 50, 40, 30};
	CHECK_INT(score_excellent(b, 10, 0.2, 0, ex, NULL, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 2);
	CHECK_INT(chosen, 1);
	CHECK_INT(tied, 2);
	CHECK(ex[0] && !ex[1] && !ex[2]);
	/* scores equal after rounding to 0.01 are a tie */
	double c[5] = {91.004, 90.996, 80, 70, 60};
	CHECK_INT(score_excellent(c, 5, 0.2, 0, ex, NULL, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 1);
	CHECK_INT(chosen, 0);
	CHECK_INT(tied, 2);

	/* rounding up: 11 peers → ceil(2.2) = 3; 15 peers → exactly 3, not 4 */
	double d[15];
	for (int i = 0; i < 15; i++)
		d[i] = 100 - i;
	CHECK_INT(score_excellent(d, 11, 0.2, 0, ex, NULL, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 3);
	CHECK_INT(score_excellent(d, 15, 0.2, 0, ex, NULL, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 3);
	CHECK(ex[0] && ex[1] && ex[2] && !ex[3]);
	/* no peers, no comparison: one unit alone is not excellent (ceil(0.2 × 1) would be 1);
	 * two peers: ceil(0.4) = 1 */
	size_t r1 = 0;
	CHECK_INT(score_excellent(d, 1, 0.2, 0, ex, &r1, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 0);
	CHECK_INT(chosen, 0);
	CHECK(!ex[0]);
	CHECK_INT(r1, 1);
	CHECK_INT(score_excellent(d, 2, 0.2, 0, ex, NULL, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 1);
	CHECK(ex[0] && !ex[1]);
	/* a minimum score */
	double e[3] = {50, 40, 30};
	CHECK_INT(score_excellent(e, 3, 1.0, 45, ex, NULL, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(chosen, 1);
	CHECK(ex[0] && !ex[1]);
	CHECK_INT(score_excellent(e, 3, 1.5, 0, ex, NULL, &quota, &chosen, &tied), GS_ERR_INVALID);
	/* no peers */
	CHECK_INT(score_excellent(e, 0, 0.2, 0, ex, NULL, &quota, &chosen, &tied), GS_OK);
	CHECK_INT(quota, 0);
}

static void test_differentiation(void)
{
	struct score_diff d;
	CHECK(NEAR(score_round_half(87.25), 87.5));
	CHECK(NEAR(score_round_half(87.24), 87.0));
	CHECK(NEAR(score_round_half(87.75), 88.0));

	/* four equal of five: (5 − 4)/5 = 0.2 < 0.3 → flagged */
	double a[5] = {90, 90, 90, 90, 85};
	CHECK_INT(score_differentiation(a, 5, SCORE_DEFAULT_DIFF_TARGET, &d), GS_OK);
	CHECK_INT(d.largest_group, 4);
	CHECK(NEAR(d.largest_value, 90));
	CHECK(NEAR(d.rate, 0.2));
	CHECK(d.flagged);
	/* 90.2 and 89.8 round to 90: the group is 3 of 5 → 0.4, not flagged */
	double b[5] = {90, 90.2, 89.8, 85, 80};
	CHECK_INT(score_differentiation(b, 5, 0.3, &d), GS_OK);
	CHECK_INT(d.largest_group, 3);
	CHECK(NEAR(d.rate, 0.4));
	CHECK(!d.flagged);
	/* 100, 90, 80: rate 2/3, mean 90, σ = sqrt(200/3) = 8.164966, CV 0.090722, range 20 */
	double c[3] = {100, 90, 80};
	CHECK_INT(score_differentiation(c, 3, 0.3, &d), GS_OK);
	CHECK(NEAR(d.rate, 2.0 / 3));
	CHECK(NEAR(d.mean, 90));
	CHECK(NEAR(d.stddev, 8.164966));
	CHECK(NEAR(d.cv, 0.0907218));
	CHECK(NEAR(d.range, 20) && NEAR(d.min, 80) && NEAR(d.max, 100));
	/* exactly at the target is not below it: 7 equal of 10 → 0.3 */
	double e[10] = {80, 80, 80, 80, 80, 80, 80, 90, 95, 70};
	CHECK_INT(score_differentiation(e, 10, 0.3, &d), GS_OK);
	CHECK(NEAR(d.rate, 0.3));
	CHECK(!d.flagged);
	/* all equal: rate 0, σ 0, CV 0 */
	double f[3] = {88, 88, 88};
	CHECK_INT(score_differentiation(f, 3, 0.3, &d), GS_OK);
	CHECK(NEAR(d.rate, 0) && d.flagged && NEAR(d.cv, 0) && NEAR(d.range, 0));
	/* two equal-size groups: the lower value is reported */
	double g[4] = {90, 90, 80, 80};
	CHECK_INT(score_differentiation(g, 4, 0.3, &d), GS_OK);
	CHECK_INT(d.largest_group, 2);
	CHECK(NEAR(d.largest_value, 80));
	/* zero mean: CV 0 */
	double z[3] = {0, 0, 0};
	CHECK_INT(score_differentiation(z, 3, 0.3, &d), GS_OK);
	CHECK(NEAR(d.cv, 0));
	/* fewer than 3 peers */
	CHECK_INT(score_differentiation(c, 2, 0.3, &d), GS_ERR_INVALID);
	double h[3] = {1, NAN, 2};
	CHECK_INT(score_differentiation(h, 3, 0.3, &d), GS_ERR_INVALID);
}

static void test_periods(void)
{
	struct score_period p, q;
	char s[SCORE_PERIOD_MAX], day[11];
	CHECK_INT(score_period_parse("2026Q3", &p), GS_OK);
	CHECK_INT(p.year, 2026);
	CHECK_INT(p.quarter, 3);
	score_period_format(&p, s);
	CHECK_STR(s, "2026Q3");
	score_period_first_day(&p, day);
	CHECK_STR(day, "2026-07-01");
	score_period_last_day(&p, day);
	CHECK_STR(day, "2026-09-30");
	/* 2026-07-01 00:00 in Shanghai is 2026-06-30 16:00 UTC */
	CHECK_INT(score_period_start(&p), 1782835200);
	CHECK_INT(score_period_end(&p), 1790784000);
	score_period_previous(&p, &q);
	score_period_format(&q, s);
	CHECK_STR(s, "2026Q2");
	CHECK(score_period_contains(&p, "2026-09-30"));
	CHECK(score_period_contains(&p, "2026-07-01"));
	CHECK(!score_period_contains(&p, "2026-10-01"));
	CHECK(!score_period_contains(&p, "2026-06-30"));
	CHECK(!score_period_contains(&p, "2026-7-01x"));
	CHECK(!score_period_contains(&p, NULL));

	CHECK_INT(score_period_parse("2026Q1", &p), GS_OK);
	score_period_previous(&p, &q);
	score_period_format(&q, s);
	CHECK_STR(s, "2025Q4");
	score_period_last_day(&q, day);
	CHECK_STR(day, "2025-12-31");
	CHECK_INT(score_period_parse("2026Q2", &p), GS_OK);
	score_period_last_day(&p, day);
	CHECK_STR(day, "2026-06-30");
	score_period_first_day(&p, day);
	CHECK_STR(day, "2026-04-01");

	CHECK_INT(score_period_parse("2026", &p), GS_OK);
	CHECK_INT(p.quarter, 0);
	score_period_format(&p, s);
	CHECK_STR(s, "2026");
	score_period_first_day(&p, day);
	CHECK_STR(day, "2026-01-01");
	score_period_last_day(&p, day);
	CHECK_STR(day, "2026-12-31");
	CHECK_INT(score_period_start(&p), 1767196800);
	CHECK_INT(score_period_end(&p), 1798732800);
	score_period_previous(&p, &q);
	score_period_format(&q, s);
	CHECK_STR(s, "2025");

	/* ordering: 2025Q4 < 2026 < 2026Q1 < 2026Q2 */
	struct score_period y25q4 = {2025, 4}, y26 = {2026, 0}, q1 = {2026, 1}, q2 = {2026, 2};
	CHECK(score_period_cmp(&y25q4, &y26) < 0);
	CHECK(score_period_cmp(&y26, &q1) < 0);
	CHECK(score_period_cmp(&q1, &q2) < 0);
	CHECK(score_period_cmp(&q2, &q2) == 0);

	static const char *bad[] = {"", "26", "2026Q", "2026Q0", "2026Q5", "2026q3", "1999", "3000",
				    "20261", "2026Q3x", "2026-Q3", " 2026", "2026 "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (score_period_parse(bad[i], &p) != GS_ERR_INVALID) {
			fprintf(stderr, "period '%s' was accepted\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_INT(score_period_parse(NULL, &p), GS_ERR_INVALID);
}

int main(void)
{
	test_bands();
	test_step();
	test_unit();
	test_deputy();
	test_excellent();
	test_differentiation();
	test_periods();
	return check_finish("test_score");
}
