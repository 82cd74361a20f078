/* view_admin.h — the admin pages for the org (view_admin.c): service halls (add and
 * edit beside close, open and rotate-key), units and people with their leader links.
 * The first admin pages (halls list, logins, tokens, settings) are declared in view.h.
 * Plain data in, HTML out; every form carries the CSRF token and shows its errors
 * (struct view_field_error, view.h) beside the fields they concern. */
#ifndef GS_VIEW_ADMIN_H
#define GS_VIEW_ADMIN_H

#include "org.h"
#include "view.h"

/* The values a hall form shows (NULL: empty) and its errors; the field names are those
 * of struct org_change_error ("code", "station", "name", "name_en", "address",
 * "hours-mon" .. "hours-sun", or "" for the form). */
struct view_admin_hall_form {
	const char *code, *station, *name, *name_en, *address;
	const char *hours[7];                  /* Monday first: "08:30-12:00 14:00-17:30" */
	const struct view_field_error *errs;
	size_t n_errs;
};

/* The halls list with its add form below (add may be NULL: an empty form). stations
 * are the choices for a hall's station (units of kind station). */
void view_admin_halls_page(struct buf *b, const struct view_ctx *v, const struct view_admin_halls *p,
			   const struct view_admin_hall_form *add, const struct org_unit *stations, size_t n_stations);

/* A hall's edit form (the code is fixed), with the links to close or open it, rotate
 * its key and print its poster. */
void view_admin_hall_edit(struct buf *b, const struct view_ctx *v, const struct org_hall *h,
			  const struct view_admin_hall_form *f, const struct org_unit *stations, size_t n_stations);

/* Unit forms: fields "code", "kind", "parent", "name", "name_en". */
struct view_admin_unit_form {
	const char *code, *kind, *parent, *name, *name_en;
	const struct view_field_error *errs;
	size_t n_errs;
};

/* Every unit in tree order with edit links, and the add form (add may be NULL). */
void view_admin_units(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n,
		      const char *notice, const struct view_admin_unit_form *add);
/* One unit's edit form; units are the parent choices. */
void view_admin_unit_edit(struct buf *b, const struct view_ctx *v, const struct org_unit *units, size_t n,
			  const struct view_admin_unit_form *f);

/* Person forms: "code", "unit", "name", "name_en", "title"; link forms "link_kind",
 * "link_unit". */
struct view_admin_person_form {
	const char *code, *unit, *name, *name_en, *title;
	const struct view_field_error *errs;
	size_t n_errs;
	const char *link_kind, *link_unit;     /* the add-link form's values */
	const struct view_field_error *link_errs;
	size_t n_link_errs;
};

/* Every person with their links and an add form (add may be NULL). */
void view_admin_people(struct buf *b, const struct view_ctx *v, const struct org_person *people, size_t n,
		       const struct org_unit *units, size_t n_units, const char *notice,
		       const struct view_admin_person_form *add);
/* One person: edit form, their links with a remove button each, the add-link form. */
void view_admin_person_edit(struct buf *b, const struct view_ctx *v, const struct org_person *p,
			    const struct org_unit *units, size_t n_units, const char *notice,
			    const struct view_admin_person_form *f);

#endif
