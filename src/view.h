/* view.h — HTML rendering and CSV fields. Every dynamic value goes through view_esc (or a
 * helper built on it), every text field of a CSV through view_csv_text; views receive
 * plain data from handlers and never query anything.
 * Pages are server-rendered, need no JavaScript, and speak Chinese by default with
 * an English switch. */
#ifndef GS_VIEW_H
#define GS_VIEW_H

#include <stddef.h>

#include "indicator.h"
#include "meter.h"
#include "org.h"
#include "survey.h"
#include "util.h"
#include "xform.h"

/* Who is looking and how: passed to every page. Strings are borrowed. */
struct view_ctx {
	const char *lang;       /* "zh" or "en" */
	const char *login;      /* NULL when not logged in */
	const char *role;       /* role name when logged in */
	const char *csrf;       /* CSRF token for forms on the page (logout included) */
	const char *path;       /* the current path, for the language switch */
};

/* Chinese or English text by the context's language. */
const char *view_tr(const struct view_ctx *v, const char *zh, const char *en);

/* Appends s with &, <, >, " and ' escaped: safe in element content and in quoted attributes. */
void view_esc(struct buf *b, const char *s);
/* Appends a percent-encoded path segment (for href values built from codes). */
void view_url_segment(struct buf *b, const char *s);

/* ---- CSV (RFC 4180; docs/SECURITY.md item 15). Every export writes its fields with
 * these two and its own separators ("," and "\r\n"), so one rule holds everywhere. */

/* Appends s as one CSV field: text that came from people or files (names, codes,
 * comments, notes, form versions, flags). A value a spreadsheet would run as a formula —
 * its first character, after any spaces, one of = + - @ TAB CR LF or the fullwidth
 * ＝ ＋ － ＠ — gets a leading ' (so "-1+2" is written '-1+2). The field is then quoted
 * when s contains , " CR LF or TAB or begins or ends with a space, quotes doubled. NULL
 * and "" give an empty field. Not for numbers the program formats: use view_csv_num. */
void view_csv_text(struct buf *b, const char *s);
/* Appends a number the program computed as a plain field with decimals places ("-2.50"
 * stays a number), or nothing (an empty field) when has is 0. */
void view_csv_num(struct buf *b, int has, double x, int decimals);

/* The page frame: <head>, header bar with navigation, user menu and language switch. */
void view_begin(struct buf *b, const struct view_ctx *v, const char *title);
void view_end(struct buf *b, const struct view_ctx *v);

/* A hidden input carrying the CSRF token. */
void view_csrf_field(struct buf *b, const struct view_ctx *v);

void view_error(struct buf *b, const struct view_ctx *v, int status, const char *message);

/* The login page: csrf is the pre-login token; login and next are echoed back; error may be NULL. */
void view_login(struct buf *b, const struct view_ctx *v, const char *csrf, const char *login, const char *next,
		const char *error);

/* Local names of unit kinds ("供电所" / "Supply station"). */
const char *view_kind_name(const struct view_ctx *v, const char *kind);
/* The unit's display name: Chinese name, or the English one in English when known. */
const char *view_unit_name(const struct view_ctx *v, const struct org_unit *u);
const char *view_hall_name(const struct view_ctx *v, const struct org_hall *h);

/* The dashboard: the org tree within the caller's scope and the halls in it. */
void view_dashboard(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n_units,
		    const struct org_hall *halls, size_t n_halls, const char *extra);

/* ---- Filters, pages and drill-down (view_dashboard.c). */

/* The filter of the dashboard, unit and hall pages, as the URL holds it (plain GET
 * form, bookmarkable). Values are the ones in force; err_* (NULL when fine) are shown
 * beside their fields. */
struct view_filter {
	char from[11], to[11];         /* the satisfaction range in force */
	char period[16];               /* "2026", "2026Q3" or "2026-03" as given ("" none) */
	char at[11];                   /* coverage as of ("" today) */
	int verified_only;             /* in force */
	char unit[65];                 /* the dashboard's unit selector ("" the caller's scope) */
	const char *err_from, *err_to, *err_period, *err_at, *err_verified, *err_unit;
	const struct org_unit *units;  /* unit selector options; NULL: no selector */
	size_t n_units;
};
/* The form; action is the page's path. */
void view_filter_form(struct buf *b, const struct view_ctx *v, const char *action, const struct view_filter *f);
/* "from=..&to=..&verified=.." (plus period and at when set), escaped for an href. */
void view_filter_query(struct buf *b, const struct view_filter *f);
/* 1 if any field has an error. */
int view_filter_invalid(const struct view_filter *f);

/* The headline numbers of a scope, each with the link to where it comes from. */
struct view_figures {
	const char *code;              /* unit or hall code */
	int is_hall;
	const struct view_filter *filter;
	int have_sat;
	int64_t responses, satisfied, verified;
	double rate, ci_low, ci_high;
	int sample_ok;
	int have_cov;
	struct meter_coverage cov;
	const struct meter_projection_s *proj; /* may be NULL */
	int64_t followups_open, followups_overdue;
	long milestones_due;           /* -1: not shown */
	size_t late_stations;
};
void view_figures(struct buf *b, const struct view_ctx *v, const struct view_figures *f);

/* One row of the drill-down table: a unit below, or a hall. */
struct view_child {
	const struct org_unit *unit;   /* or */
	const struct org_hall *hall;
	int64_t responses, satisfied;
	double rate, ci_low, ci_high;
	int have_cov;
	struct meter_coverage cov;
};
/* The drill-down table with a bar chart of the satisfaction rates; csv_href (may be
 * NULL) is the same data as CSV. */
void view_children(struct buf *b, const struct view_ctx *v, const char *heading, const struct view_child *c,
		   size_t n, int min_breakdown, const char *id, const char *csv_href, const struct view_filter *f);

/* Short lists of the dashboard and unit pages. */
void view_followups_brief(struct buf *b, const struct view_ctx *v, const struct survey_followup *f, size_t n,
			  int64_t open, int64_t now);
struct indicator_milestone;
void view_milestones_brief(struct buf *b, const struct view_ctx *v, const struct indicator_milestone *m, size_t n,
			   const char *today);
void view_imports_brief(struct buf *b, const struct view_ctx *v, const struct meter_import_row *rows, size_t n);

/* The hour-of-day × weekday heatmap of a hall (counts; cells under min_breakdown are
 * hatched and not shown). n[weekday 1..7][hour]. */
void view_heatmap(struct buf *b, const struct view_ctx *v, const int64_t n[8][24], int min_breakdown,
		  const char *csv_href);

/* What the unit and hall pages add around their own content. */
struct view_page {
	const struct org_unit *crumbs; /* ancestors, company first (the page's own unit excluded) */
	size_t n_crumbs;
	const struct view_filter *filter;
	const char *action;            /* the filter form's action (the page's path) */
	const char *top;               /* HTML after the filter (figures, scores, drill-down); may be NULL */
	const char *blocks;            /* HTML at the end (satisfaction, coverage, lists); may be NULL */
};
/* Breadcrumbs: the ancestors as links, then the current page's name. */
void view_breadcrumbs(struct buf *b, const struct view_ctx *v, const struct org_unit *crumbs, size_t n,
		      const char *current);

/* A unit page: breadcrumbs, the filter, p->top, descendants in tree order (the first
 * entry is the unit itself), its halls and leader links, then p->blocks. */
void view_unit(struct buf *b, const struct view_ctx *v, const struct org_unit *unit, const struct org_unit *subtree,
	       size_t n_subtree, const struct org_hall *halls, size_t n_halls, const struct org_leader *leaders,
	       size_t n_leaders, const struct view_page *p);

/* A hall page: breadcrumbs, the hall, its opening hours, the poster link, the filter,
 * p->top and p->blocks. */
void view_hall(struct buf *b, const struct view_ctx *v, const struct org_hall *hall, const struct org_hours *hours,
	       size_t n_hours, const struct view_page *p);

/* ---- Survey pages (view_survey.c): public, small, no JavaScript. */

/* Gives the posted value(s) of a field when re-rendering a form after errors. */
struct view_answers {
	xform_get_fn get;
	void *ctx;
};

/* The survey page for a hall. action is the form's URL; instance and stamp go into
 * hidden fields; answers (may be NULL) refill the form; errs are shown beside their
 * questions. */
void view_survey(struct buf *b, const struct view_ctx *v, const struct xform *form, const struct org_hall *hall,
		 const char *action, const char *instance, const char *stamp, const struct view_answers *answers,
		 const struct xform_field_error *errs, size_t n_errs);
/* A short public page (thank-you, already received, invalid code, used ticket, slow
 * down): heading and one message; hall may be NULL. */
void view_survey_notice(struct buf *b, const struct view_ctx *v, const char *heading, const char *message,
			const struct org_hall *hall);

/* Printable A4 posters, one per hall: name, QR code (inline SVG), fallback URL. */
struct view_poster {
	const struct org_hall *hall;
	const char *url;
	const char *qr_svg;
};
void view_posters(struct buf *b, const struct view_ctx *v, const char *title, const struct view_poster *p, size_t n);

/* Follow-ups of bad ratings; can_close shows the close form on open ones. */
void view_followups(struct buf *b, const struct view_ctx *v, const struct survey_followup *open, size_t n_open,
		    const struct survey_followup *closed, size_t n_closed, int64_t now, int can_close,
		    const char *error);

/* The satisfaction block of unit and hall pages (counts pooled over the scope). */
struct view_satisfaction {
	const char *from, *to;
	const char *csv_href;           /* statistics as CSV */
	const char *responses_href;     /* responses as CSV */
	const struct survey_stats *stats;
	const struct survey_month *months;
	size_t n_months;
	const struct xform *form;       /* question and choice labels */
	int min_breakdown;
	const char *const *comments;    /* recent comments (already vetted for the privacy rule) */
	size_t n_comments;
	int64_t followups_open, followups_overdue;
	const char *months_csv_href;    /* the monthly trend as CSV (may be NULL) */
	const char *followups_href;     /* where the follow-up counts come from */
};
void view_satisfaction(struct buf *b, const struct view_ctx *v, const struct view_satisfaction *s);

/* ---- Rollout imports and coverage (view_import.c). */

/* The import list with the upload form on top. */
struct view_import_list {
	const struct meter_import_row *rows;
	size_t n;
	size_t page;                /* 1-based */
	int has_next;
	int ask_station;            /* offer a station code field (callers without a station of their own) */
	unsigned long long max_upload;
};
void view_imports(struct buf *b, const struct view_ctx *v, const struct view_import_list *l);

/* One logged import: who, when, file, SHA-256, format, station, status, counts, duration
 * and the stored errors. notice (may be NULL) is shown on top (e.g. "already imported"). */
void view_import(struct buf *b, const struct view_ctx *v, const struct meter_import_row *row,
		 const struct rollout_errors *errors, const char *notice);

/* A report that has no page of its own (a dry run, or a refused upload): file_name is
 * the client's file name; message (may be NULL) says why it was refused. */
void view_import_report(struct buf *b, const struct view_ctx *v, const struct meter_import_report *rep,
			const char *file_name, const char *message);

/* The smart-meter coverage block of unit pages and the dashboard. */
struct view_coverage {
	const char *code;                         /* the unit's code, for links */
	const char *kind;                         /* the unit's kind */
	const char *day;                          /* as of */
	const struct meter_coverage *cov;
	const struct meter_projection_s *proj;    /* NULL when unknown */
	const struct meter_coverage *months;      /* monthly trend, oldest first */
	size_t n_months;
	const struct meter_station_coverage *stations; /* company and departments: each station */
	size_t n_stations;
	const char *months_csv_href;              /* the monthly trend as CSV (may be NULL) */
	const char *stations_csv_href;            /* the stations' coverage as CSV (may be NULL) */
};
void view_coverage(struct buf *b, const struct view_ctx *v, const struct view_coverage *c);

/* ---- Admin pages (view_admin.c), role admin. Forms carry the CSRF token; errors are
 * shown beside their fields. */

/* A field's error on a re-rendered form (field names the input; NULL ends a list). */
struct view_field_error {
	const char *field;
	const char *message;
};

/* The message of the first error in errs[0..n) whose field is field ("" for the form as a
 * whole), or NULL if there is none. Entries with a NULL field match nothing. */
const char *view_field_error_for(const struct view_field_error *errs, size_t n, const char *field);

struct view_admin_halls {
	const struct org_hall *halls;
	size_t n;
	const char *notice;         /* what just happened (may be NULL) */
	const char *error;          /* page-level error (may be NULL) */
};
void view_admin_halls(struct buf *b, const struct view_ctx *v, const struct view_admin_halls *p);

struct view_admin_logins {
	const struct auth_login_row *rows;
	size_t n;
	const char *notice;
	const struct view_field_error *errs;  /* beside the add form's fields and the row's password */
	size_t n_errs;
	const char *login, *role, *unit;      /* the add form's values to refill */
	const char *row_login;                /* the row whose password form has errors */
};
void view_admin_logins(struct buf *b, const struct view_ctx *v, const struct view_admin_logins *p);

struct view_admin_tokens {
	const struct auth_token_row *rows;
	size_t n;
	const char *notice;
	const char *new_name, *new_secret;    /* shown once after creating one */
	const struct view_field_error *errs;
	size_t n_errs;
	const char *name, *hall;              /* the form's values to refill */
};
void view_admin_tokens(struct buf *b, const struct view_ctx *v, const struct view_admin_tokens *p);

struct settings_def;
struct view_admin_setting {
	const struct settings_def *def;
	const char *value;          /* what the field shows */
	int stored;                 /* a row exists (else the default applies) */
	const char *error;          /* beside the field (may be NULL) */
};
void view_admin_settings(struct buf *b, const struct view_ctx *v, const struct view_admin_setting *s, size_t n,
			 const char *notice);

#endif
