/* view.h — HTML rendering. Every dynamic value goes through view_esc (or a helper
 * built on it); views receive plain data from handlers and never query anything.
 * Pages are server-rendered, need no JavaScript, and speak Chinese by default with
 * an English switch. */
#ifndef GS_VIEW_H
#define GS_VIEW_H

#include <stddef.h>

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

/* A unit page: the unit, its parent (may be NULL), descendants in tree order (the
 * first entry is the unit itself), halls within it and its leader links; extra (may be
 * NULL) is HTML made by another view, placed at the end. */
void view_unit(struct buf *b, const struct view_ctx *v, const struct org_unit *unit, const struct org_unit *subtree,
	       size_t n_subtree, const struct org_hall *halls, size_t n_halls, const struct org_leader *leaders,
	       size_t n_leaders, const char *extra);

/* A hall page: the hall, its opening hours, the poster link and extra (may be NULL). */
void view_hall(struct buf *b, const struct view_ctx *v, const struct org_hall *hall, const struct org_hours *hours,
	       size_t n_hours, const char *extra);

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
};
void view_coverage(struct buf *b, const struct view_ctx *v, const struct view_coverage *c);

#endif
