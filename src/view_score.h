/* view_score.h — rendering of unit scores: the league table page with its input forms
 * (manual entries, deductions and bonuses, period close/reopen), the printable A4
 * period report, the report as CSV, and the due list of the CLI. Plain data in, text
 * out; every dynamic value escaped. Used by web_score.c and the CLI (main.c). */
#ifndef GS_VIEW_SCORE_H
#define GS_VIEW_SCORE_H

#include <stdio.h>

#include "indicator.h"
#include "scoring.h"
#include "view.h"

/* 1 if unit `code` of r is `within` or lies below it (within NULL: every unit). */
int view_score_within(const struct scoring_result *r, const char *code, const char *within);

/* One line per unit and indicator (units without indicators: one line), RFC 4180. */
void view_score_csv(struct buf *b, const struct scoring_result *r, const char *within);

/* The contract's JSON: [{"unit","score","indicators":[{"code","actual","score","weight"}]}].
 * Caller frees. */
char *view_score_api_json(const struct scoring_result *r, const char *within);

/* The printable A4 report as a whole document (print stylesheet /static/report.css, or
 * that file's text inlined when inline_css is set — the CLI's standalone file). */
void view_score_report(struct buf *b, const struct view_ctx *v, const struct scoring_result *r, const char *within,
		       int inline_css);

/* Messages beside form fields: struct view_field_error (view.h); the score forms use the
 * fields "indicator", "unit", "value", "points", "reason", ... or "" for the form. */

/* The league table page: scores with their breakdown, leaders, differentiation, and
 * the forms the caller may use. */
struct view_scores {
	const struct scoring_result *r;
	const char *within;                 /* station users: their station */
	const char *period;
	int can_close, can_reopen;          /* managers and admins close, admins reopen */
	const char *error;                  /* shown on top (e.g. a refused close), may be NULL */
};
void view_scores_page(struct buf *b, const struct view_ctx *v, const struct view_scores *s);

/* The manual entry page of an evaluating department. */
struct view_manual {
	const char *period;
	int closed;
	const struct indicator *inds;       /* the manual indicators the caller evaluates */
	size_t n_inds;
	const struct org_unit *units;       /* units they may apply to */
	size_t n_units;
	const struct indicator_manual_row *rows; /* current entries of the period */
	size_t n_rows;
	const char *in_indicator, *in_unit, *in_value, *in_note; /* echoed after an error */
	const struct view_field_error *errs;
	size_t n_errs;
	const char *notice;                 /* "saved", may be NULL */
};
void view_manual_page(struct buf *b, const struct view_ctx *v, const struct view_manual *m);

/* The deductions and bonuses page: the list with confirm/reject buttons on proposed
 * ones and the form to record one. */
struct view_adjustments {
	const char *period;
	int closed, can_decide;
	const struct indicator_adjustment_row *rows;
	size_t n_rows;
	const struct org_unit *units;
	size_t n_units;
	const struct indicator *inds;
	size_t n_inds;
	const char *in_unit, *in_kind, *in_points, *in_reason, *in_evidence, *in_source, *in_indicator;
	const struct view_field_error *errs;
	size_t n_errs;
	const char *notice;
};
void view_adjustments_page(struct buf *b, const struct view_ctx *v, const struct view_adjustments *a);

/* The scores block of the dashboard and unit pages: the period's league table of the
 * unit `code` and the scored units one level below it, best first, with rank among
 * peers, score, change against the previous period and links to the unit pages and
 * /scores?period=; long tables keep the best 10 and the last 5. Then the period's
 * milestones of those units that are overdue or due within SCORING_DUE_DAYS days. */
void view_score_league(struct buf *b, const struct view_ctx *v, const struct scoring_result *r, const char *code);

/* The milestones page: every milestone of the caller's scope, open ones first (overdue,
 * then by due day), each with a button that marks it done or open again. */
struct view_milestones {
	const struct indicator_milestone *m;
	size_t n;
	const char *today;
	const char *notice;                 /* "saved" or a refusal, may be NULL */
};
void view_milestones_page(struct buf *b, const struct view_ctx *v, const struct view_milestones *p);

/* The CLI's due list: milestones grouped by responsible person and unit. */
void view_score_due_text(FILE *out, const struct scoring_milestone *m, size_t n, const char *today);

#endif
