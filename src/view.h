/* view.h — HTML rendering. Every dynamic value goes through view_esc (or a helper
 * built on it); views receive plain data from handlers and never query anything.
 * Pages are server-rendered, need no JavaScript, and speak Chinese by default with
 * an English switch. */
#ifndef GS_VIEW_H
#define GS_VIEW_H

#include <stddef.h>

#include "org.h"
#include "util.h"

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
		    const struct org_hall *halls, size_t n_halls);

/* A unit page: the unit, its parent (may be NULL), descendants in tree order (the
 * first entry is the unit itself), halls within it and its leader links. */
void view_unit(struct buf *b, const struct view_ctx *v, const struct org_unit *unit, const struct org_unit *subtree,
	       size_t n_subtree, const struct org_hall *halls, size_t n_halls, const struct org_leader *leaders,
	       size_t n_leaders);

/* A hall page: the hall and its opening hours. */
void view_hall(struct buf *b, const struct view_ctx *v, const struct org_hall *hall, const struct org_hours *hours,
	       size_t n_hours);

#endif
