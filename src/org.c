/* org.c — the org model: loading org files (parse untrusted XML safely, validate against
 * the embedded forms/org-1.xsd, check references and the unit tree in C, apply all or
 * nothing in one write transaction) and the queries the views and the API use.
 * Owns the SQL of units, halls, hall_hours, people, leader_links and org_loads. */
#include "org.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xmldoc.h"

#define ORG_NS "urn:gridscore:org:1"
#define ORG_XSD "forms/org-1.xsd"

/* ---------------------------------------------------------------- errors */

static void report_add(struct org_load_report *rep, long line, long column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report_add(struct org_load_report *rep, long line, long column, const char *fmt, ...)
{
	rep->n_errors_total++;
	if (rep->n_errors >= ORG_MAX_ERRORS)
		return;
	struct org_error *e = &rep->errors[rep->n_errors++];
	e->line = line;
	e->column = column;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

/* xmldoc's problems become report lines as they are */
static void report_xml_error(void *ctx, long line, long column, const char *message)
{
	report_add(ctx, line, column, "%s", message);
}

static const struct xmldoc_spec org_doc = {.what = "org", .xsd = ORG_XSD, .ns = ORG_NS, .root = "org"};

/* ---------------------------------------------------------------- the file, in memory */

struct file_hours {
	int weekday;
	char opens[6], closes[6];
	long line;
};

struct file_link {
	const char *kind; /* static string */
	char *unit;
	long line;
};

struct file_unit {
	char *code, *kind, *parent, *name, *name_en;
	long line;
};

struct file_hall {
	char *code, *station, *name, *name_en, *address;
	int active;
	long line;
	struct file_hours *hours;
	size_t n_hours;
};

struct file_person {
	char *code, *unit, *name, *name_en, *title;
	long line;
	struct file_link *links;
	size_t n_links;
};

struct org_file {
	struct file_unit *units;
	size_t n_units;
	struct file_hall *halls;
	size_t n_halls;
	struct file_person *people;
	size_t n_people;
};

static void org_file_free(struct org_file *f)
{
	for (size_t i = 0; i < f->n_units; i++) {
		struct file_unit *u = &f->units[i];
		free(u->code), free(u->kind), free(u->parent), free(u->name), free(u->name_en);
	}
	for (size_t i = 0; i < f->n_halls; i++) {
		struct file_hall *h = &f->halls[i];
		free(h->code), free(h->station), free(h->name), free(h->name_en), free(h->address);
		free(h->hours);
	}
	for (size_t i = 0; i < f->n_people; i++) {
		struct file_person *p = &f->people[i];
		free(p->code), free(p->unit), free(p->name), free(p->name_en), free(p->title);
		for (size_t j = 0; j < p->n_links; j++)
			free(p->links[j].unit);
		free(p->links);
	}
	free(f->units), free(f->halls), free(f->people);
	memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------- parsing */

static int is_org_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST ORG_NS) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

/* An attribute as a fresh string, NULL if absent. */
static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	if (!v)
		return NULL;
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

static int weekday_of(const char *day)
{
	static const char *days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	for (int i = 0; i < 7; i++)
		if (day && strcmp(day, days[i]) == 0)
			return i + 1;
	return 0;
}

static const char *link_kind_of(const xmlNode *n)
{
	static const char *kinds[] = {"head", "deputy", "supervises", "liaises"};
	for (size_t i = 0; i < GS_ARRAY_LEN(kinds); i++)
		if (is_org_element(n, kinds[i]))
			return kinds[i];
	return NULL;
}

/* An xs:boolean as the schema accepted it: true, false, 1 or 0, maybe with blanks around. */
static int boolean_of(const char *v, int missing)
{
	if (!v)
		return missing;
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	return *v == 't' || *v == '1';
}

static void copy_time(char dst[6], const char *src)
{
	snprintf(dst, 6, "%s", src ? src : "");
}

/* Reads the validated tree into plain structs; the schema guarantees every required
 * attribute is present and well formed. */
static void read_tree(const xmlNode *root, struct org_file *f)
{
	for (const xmlNode *sec = root->children; sec; sec = sec->next) {
		if (sec->type != XML_ELEMENT_NODE)
			continue;
		for (const xmlNode *n = sec->children; n; n = n->next) {
			long line = xmlGetLineNo(n);
			if (is_org_element(n, "unit")) {
				f->units = xrealloc(f->units, (f->n_units + 1) * sizeof *f->units);
				struct file_unit *u = &f->units[f->n_units++];
				u->code = attr(n, "code");
				u->kind = attr(n, "kind");
				u->parent = attr(n, "parent");
				u->name = attr(n, "name");
				u->name_en = attr(n, "name-en");
				u->line = line;
			} else if (is_org_element(n, "hall")) {
				f->halls = xrealloc(f->halls, (f->n_halls + 1) * sizeof *f->halls);
				struct file_hall *h = &f->halls[f->n_halls++];
				memset(h, 0, sizeof *h);
				h->code = attr(n, "code");
				h->station = attr(n, "station");
				h->name = attr(n, "name");
				h->name_en = attr(n, "name-en");
				h->line = line;
				char *active = attr(n, "active");
				h->active = boolean_of(active, 1);
				free(active);
				for (const xmlNode *c = n->children; c; c = c->next) {
					if (is_org_element(c, "address")) {
						xmlChar *t = xmlNodeGetContent(c);
						free(h->address);
						h->address = xstrdup((const char *)t);
						xmlFree(t);
					} else if (is_org_element(c, "hours")) {
						h->hours = xrealloc(h->hours, (h->n_hours + 1) * sizeof *h->hours);
						struct file_hours *hr = &h->hours[h->n_hours++];
						char *day = attr(c, "day"), *opens = attr(c, "opens"),
						     *closes = attr(c, "closes");
						hr->weekday = weekday_of(day);
						copy_time(hr->opens, opens);
						copy_time(hr->closes, closes);
						hr->line = xmlGetLineNo(c);
						free(day), free(opens), free(closes);
					}
				}
			} else if (is_org_element(n, "person")) {
				f->people = xrealloc(f->people, (f->n_people + 1) * sizeof *f->people);
				struct file_person *p = &f->people[f->n_people++];
				memset(p, 0, sizeof *p);
				p->code = attr(n, "code");
				p->unit = attr(n, "unit");
				p->name = attr(n, "name");
				p->name_en = attr(n, "name-en");
				p->title = attr(n, "title");
				p->line = line;
				for (const xmlNode *c = n->children; c; c = c->next) {
					const char *kind = link_kind_of(c);
					if (!kind)
						continue;
					p->links = xrealloc(p->links, (p->n_links + 1) * sizeof *p->links);
					struct file_link *l = &p->links[p->n_links++];
					l->kind = kind;
					l->unit = attr(c, "unit");
					l->line = xmlGetLineNo(c);
				}
			}
		}
	}
}

/* Parses and validates data into f. GS_ERR_INVALID with report errors if it is not a
 * well-formed, schema-valid org file. */
static enum gs_result parse_file(const char *name, const char *data, size_t len, struct org_load_report *rep,
                                 struct org_file *f)
{
	xmlDocPtr doc = NULL;
	enum gs_result r = xmldoc_load(&org_doc, name, data, len, report_xml_error, rep, &doc);
	if (r == GS_OK)
		read_tree(xmlDocGetRootElement(doc), f);
	xmlFreeDoc(doc);
	return r;
}

/* ---------------------------------------------------------------- semantic checks */

/* What the unit tree will look like after the load: stored units overlaid with the
 * file's. */
struct eff_unit {
	char *code, *kind, *parent;
	long line; /* 0 for a stored unit the file does not mention */
	int stored;
};

struct code_index {
	const char *code;
	size_t i;
};

static int code_index_cmp(const void *a, const void *b)
{
	const struct code_index *x = a, *y = b;
	int c = strcmp(x->code, y->code);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static struct code_index *index_build(size_t n, const char *(*code_at)(const void *, size_t), const void *arr)
{
	struct code_index *ix = xcalloc(n ? n : 1, sizeof *ix);
	for (size_t i = 0; i < n; i++)
		ix[i] = (struct code_index){code_at(arr, i), i};
	qsort(ix, n, sizeof *ix, code_index_cmp);
	return ix;
}

/* The position of code in a sorted index, or -1. */
static long index_find(const struct code_index *ix, size_t n, const char *code)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix[mid].code, code);
		if (c == 0) {
			while (mid > 0 && strcmp(ix[mid - 1].code, code) == 0)
				mid--;
			return (long)ix[mid].i;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const char *unit_code_at(const void *arr, size_t i)
{
	return ((const struct file_unit *)arr)[i].code;
}

static const char *hall_code_at(const void *arr, size_t i)
{
	return ((const struct file_hall *)arr)[i].code;
}

static const char *person_code_at(const void *arr, size_t i)
{
	return ((const struct file_person *)arr)[i].code;
}

static const char *eff_code_at(const void *arr, size_t i)
{
	return ((const struct eff_unit *)arr)[i].code;
}

static void check_duplicates(struct org_load_report *rep, const char *what, struct code_index *ix, size_t n,
                             const long *lines)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(ix[i].code, ix[i - 1].code) == 0) {
			size_t first = i - 1;
			while (first > 0 && strcmp(ix[first - 1].code, ix[i].code) == 0)
				first--;
			report_add(rep, lines[ix[i].i], 0, "%s '%s': code is defined twice (first at line %ld)", what,
			           ix[i].code, lines[ix[first].i]);
		}
}

struct checker {
	struct db *db;
	const struct org_file *f;
	struct org_load_report *rep;
	struct eff_unit *eff;
	size_t n_eff;
	struct code_index *eff_ix;
};

static const struct eff_unit *eff_find(const struct checker *c, const char *code)
{
	long i = code ? index_find(c->eff_ix, c->n_eff, code) : -1;
	return i < 0 ? NULL : &c->eff[i];
}

static void eff_free(struct checker *c)
{
	for (size_t i = 0; i < c->n_eff; i++) {
		free(c->eff[i].code), free(c->eff[i].kind), free(c->eff[i].parent);
	}
	free(c->eff);
	free(c->eff_ix);
}

/* Stored units overlaid with the file's (the file's first definition of a code wins;
 * duplicates are reported separately). */
static enum gs_result eff_build(struct checker *c)
{
	sqlite3_stmt *st = db_stmt(c->db, "SELECT u.code, u.kind, p.code FROM units u "
	                                  "LEFT JOIN units p ON p.id = u.parent_id");
	if (!st)
		return GS_ERR_DB;
	int row;
	while ((row = db_step_row(c->db, st)) == 1) {
		c->eff = xrealloc(c->eff, (c->n_eff + 1) * sizeof *c->eff);
		c->eff[c->n_eff++] =
		    (struct eff_unit){db_column_strdup(st, 0), db_column_strdup(st, 1), db_column_strdup(st, 2), 0, 1};
	}
	sqlite3_reset(st);
	if (row < 0)
		return GS_ERR_DB;
	size_t n_stored = c->n_eff;
	struct code_index *stored_ix = index_build(n_stored, eff_code_at, c->eff);
	struct code_index *file_ix = index_build(c->f->n_units, unit_code_at, c->f->units);
	for (size_t i = 0; i < c->f->n_units; i++) {
		const struct file_unit *u = &c->f->units[i];
		long at = index_find(stored_ix, n_stored, u->code);
		struct eff_unit *e;
		if (at >= 0) {
			e = &c->eff[at];
			if (e->line)
				continue; /* a duplicate in the file */
			free(e->kind), free(e->parent);
		} else {
			if (index_find(file_ix, c->f->n_units, u->code) != (long)i)
				continue; /* a duplicate in the file */
			c->eff = xrealloc(c->eff, (c->n_eff + 1) * sizeof *c->eff);
			e = &c->eff[c->n_eff++];
			e->code = xstrdup(u->code);
			e->stored = 0;
		}
		e->kind = xstrdup(u->kind);
		e->parent = xstrdup(u->parent);
		e->line = u->line;
	}
	free(stored_ix);
	free(file_ix);
	c->eff_ix = index_build(c->n_eff, eff_code_at, c->eff);
	return GS_OK;
}

static int kind_is(const struct eff_unit *e, const char *kind)
{
	return e && strcmp(e->kind, kind) == 0;
}

/* The unit tree rules, for one unit of the overlaid tree. Stored units the file does
 * not mention are checked too, when the file changed their parent, and blamed on it. */
static void check_unit_rules(struct checker *c, const struct eff_unit *e)
{
	const struct eff_unit *parent = eff_find(c, e->parent);
	long line = e->line;
	char prefix[160];
	if (!line) {
		if (!parent || !parent->line)
			return; /* nothing in the file touches this stored unit */
		line = parent->line;
		snprintf(prefix, sizeof prefix, "unit '%s': stored %s '%s'", parent->code, e->kind, e->code);
	} else {
		snprintf(prefix, sizeof prefix, "unit '%s'", e->code);
	}
	if (kind_is(e, "company")) {
		if (e->parent)
			report_add(c->rep, line, 0, "%s: a company has no parent", prefix);
		return;
	}
	if (!e->parent) {
		report_add(c->rep, line, 0, "%s: a %s needs a parent", prefix, e->kind);
		return;
	}
	if (!parent) {
		report_add(c->rep, line, 0, "%s: parent '%s' is not defined", prefix, e->parent);
		return;
	}
	if (kind_is(e, "team")) {
		if (!kind_is(parent, "department") && !kind_is(parent, "station"))
			report_add(c->rep, line, 0,
			           "%s: a team must be under a department or a station, not under %s '%s'", prefix,
			           parent->kind, parent->code);
	} else if (!kind_is(parent, "company")) {
		report_add(c->rep, line, 0, "%s: a %s must be directly under the company, not under %s '%s'", prefix,
		           e->kind, parent->kind, parent->code);
	}
}

/* 1 if following parents from e comes back to e. */
static int in_cycle(const struct checker *c, const struct eff_unit *e)
{
	const struct eff_unit *p = eff_find(c, e->parent);
	for (size_t steps = 0; p && steps <= c->n_eff; steps++) {
		if (p == e)
			return 1;
		p = eff_find(c, p->parent);
	}
	return 0;
}

static void check_units(struct checker *c)
{
	const struct org_file *f = c->f;
	size_t companies = 0;
	const struct eff_unit *first_company = NULL;
	for (size_t i = 0; i < c->n_eff; i++) {
		const struct eff_unit *e = &c->eff[i];
		check_unit_rules(c, e);
		if (e->line && in_cycle(c, e))
			report_add(c->rep, e->line, 0, "unit '%s': its parents form a cycle", e->code);
		if (kind_is(e, "company")) {
			if (companies++ == 0) {
				first_company = e;
			} else {
				const struct eff_unit *blame = e->line ? e : first_company;
				const struct eff_unit *other = e->line ? first_company : e;
				report_add(c->rep, blame->line, 0,
				           "unit '%s': there can be only one company, and '%s' is one already",
				           blame->code, other->code);
			}
		}
	}
	if (companies == 0 && f->n_units > 0)
		report_add(c->rep, f->units[0].line, 0, "there is no company: one unit must be of kind company");
	/* a unit code must not name a stored hall: the API takes either kind of code */
	sqlite3_stmt *st = db_stmt(c->db, "SELECT 1 FROM halls WHERE code = ?1");
	for (size_t i = 0; st && i < f->n_units; i++) {
		sqlite3_bind_text(st, 1, f->units[i].code, -1, SQLITE_STATIC);
		if (db_step_row(c->db, st) == 1)
			report_add(c->rep, f->units[i].line, 0, "unit '%s': code is already used by a hall",
			           f->units[i].code);
		sqlite3_reset(st);
	}
}

static int hours_cmp(const void *a, const void *b)
{
	const struct file_hours *x = a, *y = b;
	if (x->weekday != y->weekday)
		return x->weekday - y->weekday;
	int c = strcmp(x->opens, y->opens);
	return c ? c : strcmp(x->closes, y->closes);
}

static const char *day_name(int weekday)
{
	static const char *days[] = {"?", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	return weekday >= 1 && weekday <= 7 ? days[weekday] : days[0];
}

static void check_halls(struct checker *c)
{
	const struct org_file *f = c->f;
	/* a hall that stays in the database but is not in the file keeps its station */
	sqlite3_stmt *st = db_stmt(c->db, "SELECT h.code, u.code FROM halls h JOIN units u ON u.id = h.station_id");
	struct code_index *hix = index_build(f->n_halls, hall_code_at, f->halls);
	while (st && db_step_row(c->db, st) == 1) {
		const char *hall = (const char *)sqlite3_column_text(st, 0);
		const struct eff_unit *s = eff_find(c, (const char *)sqlite3_column_text(st, 1));
		if (index_find(hix, f->n_halls, hall) < 0 && s && s->line && !kind_is(s, "station"))
			report_add(c->rep, s->line, 0, "unit '%s': stored hall '%s' needs it to stay a station",
			           s->code, hall);
	}
	if (st)
		sqlite3_reset(st);
	free(hix);

	for (size_t i = 0; i < f->n_halls; i++) {
		struct file_hall *h = &f->halls[i];
		const struct eff_unit *s = eff_find(c, h->station);
		if (eff_find(c, h->code))
			report_add(c->rep, h->line, 0, "hall '%s': code is already used by a unit", h->code);
		if (!s)
			report_add(c->rep, h->line, 0, "hall '%s': station '%s' is not defined", h->code, h->station);
		else if (!kind_is(s, "station"))
			report_add(c->rep, h->line, 0, "hall '%s': '%s' is a %s, not a station", h->code, h->station,
			           s->kind);
		for (size_t j = 0; j < h->n_hours; j++) {
			const struct file_hours *hr = &h->hours[j];
			if (strcmp(hr->opens, hr->closes) >= 0)
				report_add(c->rep, hr->line, 0, "hall '%s': on %s it opens at %s but closes at %s",
				           h->code, day_name(hr->weekday), hr->opens, hr->closes);
		}
		/* sorting keeps each line with its interval; the file's order does not matter.
		 * Compare each interval with the one closing latest before it on that day. */
		if (h->n_hours > 1)
			qsort(h->hours, h->n_hours, sizeof *h->hours, hours_cmp);
		const struct file_hours *latest = NULL;
		for (size_t j = 0; j < h->n_hours; j++) {
			const struct file_hours *b = &h->hours[j];
			if (strcmp(b->opens, b->closes) >= 0)
				continue; /* reported above */
			if (latest && latest->weekday == b->weekday && strcmp(b->opens, latest->closes) < 0)
				report_add(c->rep, latest->line > b->line ? latest->line : b->line, 0,
				           "hall '%s': on %s %s-%s overlaps %s-%s", h->code, day_name(b->weekday),
				           latest->opens, latest->closes, b->opens, b->closes);
			if (!latest || latest->weekday != b->weekday || strcmp(b->closes, latest->closes) > 0)
				latest = b;
		}
	}
}

static int link_cmp(const void *a, const void *b)
{
	const struct file_link *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);
	if (!c)
		c = strcmp(x->unit, y->unit);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void check_people(struct checker *c)
{
	const struct org_file *f = c->f;
	for (size_t i = 0; i < f->n_people; i++) {
		struct file_person *p = &f->people[i];
		if (!eff_find(c, p->unit))
			report_add(c->rep, p->line, 0, "person '%s': unit '%s' is not defined", p->code, p->unit);
		for (size_t j = 0; j < p->n_links; j++) {
			const struct file_link *l = &p->links[j];
			if (!eff_find(c, l->unit))
				report_add(c->rep, l->line, 0, "person '%s': %s unit '%s' is not defined", p->code,
				           l->kind, l->unit);
		}
		/* sorted, a repeated link sits next to its first mention (links_replace relies
		 * on the order too) */
		if (p->n_links > 1)
			qsort(p->links, p->n_links, sizeof *p->links, link_cmp);
		size_t first = 0;
		for (size_t j = 1; j < p->n_links; j++) {
			const struct file_link *a = &p->links[first], *b = &p->links[j];
			if (strcmp(a->kind, b->kind) == 0 && strcmp(a->unit, b->unit) == 0)
				report_add(c->rep, b->line, 0,
				           "person '%s': %s '%s' is listed twice (first at line %ld)", p->code, b->kind,
				           b->unit, a->line);
			else
				first = j;
		}
	}
}

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static void check_names(struct checker *c)
{
	const struct org_file *f = c->f;
	for (size_t i = 0; i < f->n_units; i++)
		if (blank(f->units[i].name))
			report_add(c->rep, f->units[i].line, 0, "unit '%s': the name is blank", f->units[i].code);
	for (size_t i = 0; i < f->n_halls; i++)
		if (blank(f->halls[i].name))
			report_add(c->rep, f->halls[i].line, 0, "hall '%s': the name is blank", f->halls[i].code);
	for (size_t i = 0; i < f->n_people; i++)
		if (blank(f->people[i].name))
			report_add(c->rep, f->people[i].line, 0, "person '%s': the name is blank", f->people[i].code);
}

/* Every check that needs more than the schema. Errors go to the report; the result is
 * GS_OK only if reading the database worked. */
static enum gs_result check_file(struct db *db, const struct org_file *f, struct org_load_report *rep)
{
	struct checker c = {.db = db, .f = f, .rep = rep};
	long *lines = xcalloc(f->n_units + f->n_halls + f->n_people + 1, sizeof *lines);
	struct code_index *ix;

	for (size_t i = 0; i < f->n_units; i++)
		lines[i] = f->units[i].line;
	ix = index_build(f->n_units, unit_code_at, f->units);
	check_duplicates(rep, "unit", ix, f->n_units, lines);
	free(ix);
	for (size_t i = 0; i < f->n_halls; i++)
		lines[i] = f->halls[i].line;
	ix = index_build(f->n_halls, hall_code_at, f->halls);
	check_duplicates(rep, "hall", ix, f->n_halls, lines);
	free(ix);
	for (size_t i = 0; i < f->n_people; i++)
		lines[i] = f->people[i].line;
	ix = index_build(f->n_people, person_code_at, f->people);
	check_duplicates(rep, "person", ix, f->n_people, lines);
	free(ix);
	free(lines);

	enum gs_result r = eff_build(&c);
	if (r == GS_OK) {
		check_names(&c);
		check_units(&c);
		check_halls(&c);
		check_people(&c);
	}
	eff_free(&c);
	return r;
}

/* ---------------------------------------------------------------- applying */

static int str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int col_eq(sqlite3_stmt *st, int i, const char *s)
{
	return str_eq((const char *)sqlite3_column_text(st, i), s);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* The id of a unit by code, 0 if none, -1 on error. */
static int64_t unit_id_of(struct db *db, const char *code)
{
	if (!code)
		return 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM units WHERE code = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int64_t id = row == 1 ? sqlite3_column_int64(st, 0) : row;
	sqlite3_reset(st);
	return id;
}

/* A step that must finish with SQLITE_DONE. */
static int unit_rank(const char *kind)
{
	return strcmp(kind, "company") == 0 ? 0 : strcmp(kind, "team") == 0 ? 2 : 1;
}

static enum gs_result apply_unit(struct db *db, const struct file_unit *u, struct org_load_report *rep)
{
	int64_t parent_id = unit_id_of(db, u->parent);
	if (parent_id < 0 || (u->parent && parent_id == 0))
		return GS_ERR_DB;
	sqlite3_stmt *st = db_stmt(db, "SELECT id, name, name_en, kind, parent_id FROM units WHERE code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, u->code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row < 0)
		return GS_ERR_DB;
	int64_t id = 0;
	int same = 0;
	if (row == 1) {
		id = sqlite3_column_int64(st, 0);
		same = col_eq(st, 1, u->name) && col_eq(st, 2, u->name_en) && col_eq(st, 3, u->kind) &&
		       sqlite3_column_int64(st, 4) == parent_id;
	}
	sqlite3_reset(st);
	if (row == 1 && same) {
		rep->unchanged++;
		return GS_OK;
	}
	st = db_stmt(db, row == 1
	                     ? "UPDATE units SET name = ?2, name_en = ?3, kind = ?4, parent_id = ?5 WHERE id = ?1"
	                     : "INSERT INTO units(code, name, name_en, kind, parent_id) VALUES (?6, ?2, ?3, ?4, ?5)");
	if (!st)
		return GS_ERR_DB;
	if (row == 1)
		sqlite3_bind_int64(st, 1, id);
	else
		sqlite3_bind_text(st, 6, u->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->name, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, u->name_en);
	sqlite3_bind_text(st, 4, u->kind, -1, SQLITE_STATIC);
	if (parent_id)
		sqlite3_bind_int64(st, 5, parent_id);
	else
		sqlite3_bind_null(st, 5);
	enum gs_result r = db_step_done(db, st);
	if (r == GS_OK) {
		if (row == 1)
			rep->units_updated++;
		else
			rep->units_created++;
	}
	return r;
}

/* 1 if the stored hours of hall_id are exactly h's (sorted), 0 if not, -1 on error. */
static int hours_same(struct db *db, int64_t hall_id, const struct file_hall *h)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT weekday, opens, closes FROM hall_hours WHERE hall_id = ?1 "
	                               "ORDER BY weekday, opens");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, hall_id);
	size_t i = 0;
	int same = 1, row;
	while ((row = db_step_row(db, st)) == 1) {
		if (i >= h->n_hours || sqlite3_column_int(st, 0) != h->hours[i].weekday ||
		    !col_eq(st, 1, h->hours[i].opens) || !col_eq(st, 2, h->hours[i].closes))
			same = 0;
		i++;
	}
	sqlite3_reset(st);
	if (row < 0)
		return -1;
	return same && i == h->n_hours;
}

static enum gs_result hours_replace(struct db *db, int64_t hall_id, const struct file_hall *h)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM hall_hours WHERE hall_id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, hall_id);
	enum gs_result r = db_step_done(db, st);
	for (size_t i = 0; r == GS_OK && i < h->n_hours; i++) {
		st = db_stmt(db, "INSERT INTO hall_hours(hall_id, weekday, opens, closes) VALUES (?1, ?2, ?3, ?4)");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int64(st, 1, hall_id);
		sqlite3_bind_int(st, 2, h->hours[i].weekday);
		sqlite3_bind_text(st, 3, h->hours[i].opens, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, h->hours[i].closes, -1, SQLITE_STATIC);
		r = db_step_done(db, st);
	}
	return r;
}

static enum gs_result apply_hall(struct db *db, const struct file_hall *h, struct org_load_report *rep)
{
	int64_t station_id = unit_id_of(db, h->station);
	if (station_id <= 0)
		return GS_ERR_DB;
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id, name, name_en, station_id, address, active FROM halls WHERE code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, h->code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row < 0)
		return GS_ERR_DB;
	int64_t id = 0;
	int same = 0;
	if (row == 1) {
		id = sqlite3_column_int64(st, 0);
		same = col_eq(st, 1, h->name) && col_eq(st, 2, h->name_en) &&
		       sqlite3_column_int64(st, 3) == station_id && col_eq(st, 4, h->address) &&
		       sqlite3_column_int(st, 5) == h->active;
	}
	sqlite3_reset(st);
	enum gs_result r = GS_OK;
	if (row == 0 || !same) {
		/* key_version is the hall's QR key generation: never the loader's business */
		st = db_stmt(db, row == 1 ? "UPDATE halls SET name = ?2, name_en = ?3, station_id = ?4, address = ?5, "
		                            "active = ?6 WHERE id = ?1"
		                          : "INSERT INTO halls(code, name, name_en, station_id, address, active) "
		                            "VALUES (?7, ?2, ?3, ?4, ?5, ?6)");
		if (!st)
			return GS_ERR_DB;
		if (row == 1)
			sqlite3_bind_int64(st, 1, id);
		else
			sqlite3_bind_text(st, 7, h->code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, h->name, -1, SQLITE_STATIC);
		bind_text_or_null(st, 3, h->name_en);
		sqlite3_bind_int64(st, 4, station_id);
		bind_text_or_null(st, 5, h->address);
		sqlite3_bind_int(st, 6, h->active);
		r = db_step_done(db, st);
		if (r != GS_OK)
			return r;
		if (row == 0)
			id = sqlite3_last_insert_rowid(db_handle(db));
	}
	int hs = row == 1 ? hours_same(db, id, h) : 0;
	if (hs < 0)
		return GS_ERR_DB;
	if (!hs && (row == 1 || h->n_hours > 0))
		r = hours_replace(db, id, h);
	if (r != GS_OK)
		return r;
	if (row == 0)
		rep->halls_created++;
	else if (!same || !hs)
		rep->halls_updated++;
	else
		rep->unchanged++;
	return GS_OK;
}

/* Makes the person's stored links exactly the file's; counts what changed. */
static enum gs_result links_replace(struct db *db, int64_t person_id, const struct file_person *p, long *changed)
{
	*changed = 0;
	/* remove stored links that the file does not list */
	sqlite3_stmt *st = db_stmt(db, "SELECT l.kind, u.code, l.unit_id FROM leader_links l "
	                               "JOIN units u ON u.id = l.unit_id WHERE l.person_id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, person_id);
	int64_t *gone_unit = NULL;
	char **gone_kind = NULL;
	size_t n_gone = 0, n_kept = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *unit = (const char *)sqlite3_column_text(st, 1);
		struct file_link key = {.kind = kind ? kind : "", .unit = (char *)(unit ? unit : ""), .line = 0};
		/* links are sorted by check_people; line 0 sorts before any real line */
		size_t lo = 0, hi = p->n_links;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (link_cmp(&p->links[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		int listed = lo < p->n_links && strcmp(p->links[lo].kind, key.kind) == 0 &&
		             strcmp(p->links[lo].unit, key.unit) == 0;
		if (listed) {
			n_kept++;
			continue;
		}
		gone_unit = xrealloc(gone_unit, (n_gone + 1) * sizeof *gone_unit);
		gone_kind = xrealloc(gone_kind, (n_gone + 1) * sizeof *gone_kind);
		gone_unit[n_gone] = sqlite3_column_int64(st, 2);
		gone_kind[n_gone++] = xstrdup(kind);
	}
	sqlite3_reset(st);
	enum gs_result r = row < 0 ? GS_ERR_DB : GS_OK;
	for (size_t i = 0; r == GS_OK && i < n_gone; i++) {
		st = db_stmt(db, "DELETE FROM leader_links WHERE person_id = ?1 AND unit_id = ?2 AND kind = ?3");
		if (!st) {
			r = GS_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, person_id);
		sqlite3_bind_int64(st, 2, gone_unit[i]);
		sqlite3_bind_text(st, 3, gone_kind[i], -1, SQLITE_STATIC);
		r = db_step_done(db, st);
		(*changed)++;
	}
	for (size_t i = 0; i < n_gone; i++)
		free(gone_kind[i]);
	free(gone_kind);
	free(gone_unit);
	if (r != GS_OK || n_kept == p->n_links)
		return r;
	/* add the file's links that are not stored yet */
	for (size_t j = 0; r == GS_OK && j < p->n_links; j++) {
		int64_t unit_id = unit_id_of(db, p->links[j].unit);
		if (unit_id <= 0)
			return GS_ERR_DB;
		st = db_stmt(db, "INSERT INTO leader_links(person_id, unit_id, kind) VALUES (?1, ?2, ?3) "
		                 "ON CONFLICT DO NOTHING");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int64(st, 1, person_id);
		sqlite3_bind_int64(st, 2, unit_id);
		sqlite3_bind_text(st, 3, p->links[j].kind, -1, SQLITE_STATIC);
		r = db_step_done(db, st);
		*changed += sqlite3_changes(db_handle(db));
	}
	return r;
}

static enum gs_result apply_person(struct db *db, const struct file_person *p, struct org_load_report *rep)
{
	int64_t unit_id = unit_id_of(db, p->unit);
	if (unit_id <= 0)
		return GS_ERR_DB;
	sqlite3_stmt *st = db_stmt(db, "SELECT id, name, name_en, unit_id, title FROM people WHERE code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, p->code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row < 0)
		return GS_ERR_DB;
	int64_t id = 0;
	int same = 0;
	if (row == 1) {
		id = sqlite3_column_int64(st, 0);
		same = col_eq(st, 1, p->name) && col_eq(st, 2, p->name_en) && sqlite3_column_int64(st, 3) == unit_id &&
		       col_eq(st, 4, p->title);
	}
	sqlite3_reset(st);
	enum gs_result r = GS_OK;
	if (row == 0 || !same) {
		st = db_stmt(db, row == 1 ? "UPDATE people SET name = ?2, name_en = ?3, unit_id = ?4, title = ?5 "
		                            "WHERE id = ?1"
		                          : "INSERT INTO people(code, name, name_en, unit_id, title) "
		                            "VALUES (?6, ?2, ?3, ?4, ?5)");
		if (!st)
			return GS_ERR_DB;
		if (row == 1)
			sqlite3_bind_int64(st, 1, id);
		else
			sqlite3_bind_text(st, 6, p->code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
		bind_text_or_null(st, 3, p->name_en);
		sqlite3_bind_int64(st, 4, unit_id);
		bind_text_or_null(st, 5, p->title);
		r = db_step_done(db, st);
		if (r != GS_OK)
			return r;
		if (row == 0)
			id = sqlite3_last_insert_rowid(db_handle(db));
	}
	long changed = 0;
	r = links_replace(db, id, p, &changed);
	if (r != GS_OK)
		return r;
	rep->links_changed += changed;
	if (row == 0)
		rep->people_created++;
	else if (!same || changed)
		rep->people_updated++;
	else
		rep->unchanged++;
	return GS_OK;
}

static enum gs_result apply_file(struct db *db, const struct org_file *f, struct org_load_report *rep)
{
	enum gs_result r = GS_OK;
	/* parents first: the tree rules have been checked, so kind gives the depth */
	for (int rank = 0; rank <= 2 && r == GS_OK; rank++)
		for (size_t i = 0; i < f->n_units && r == GS_OK; i++)
			if (unit_rank(f->units[i].kind) == rank)
				r = apply_unit(db, &f->units[i], rep);
	for (size_t i = 0; i < f->n_halls && r == GS_OK; i++)
		r = apply_hall(db, &f->halls[i], rep);
	for (size_t i = 0; i < f->n_people && r == GS_OK; i++)
		r = apply_person(db, &f->people[i], rep);
	return r;
}

/* ---------------------------------------------------------------- loading */

/* 1 if the most recent load had this hash, 0 if not, -1 on error. */
static int last_load_is(struct db *db, const char *hex)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT sha256 FROM org_loads ORDER BY id DESC LIMIT 1");
	if (!st)
		return -1;
	int row = db_step_row(db, st);
	int same = row == 1 ? col_eq(st, 0, hex) : row;
	sqlite3_reset(st);
	return same;
}

static enum gs_result record_load(struct db *db, const char *hex, const char *name, const struct org_load_report *rep)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO org_loads(sha256, file_name, loaded_at, created, updated, "
	                               "unchanged) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, util_now());
	sqlite3_bind_int64(st, 4, rep->units_created + rep->halls_created + rep->people_created);
	sqlite3_bind_int64(st, 5, rep->units_updated + rep->halls_updated + rep->people_updated);
	sqlite3_bind_int64(st, 6, rep->unchanged);
	return db_step_done(db, st);
}

enum gs_result org_load_memory(struct db *db, const char *name, const char *data, size_t len,
                               struct org_load_report *report)
{
	memset(report, 0, sizeof *report);
	if (!name)
		name = "org file";
	if (len > ORG_MAX_FILE) {
		report_add(report, 0, 0, "the file is larger than %u bytes", ORG_MAX_FILE);
		return GS_ERR_TOO_LARGE;
	}
	if (!data)
		data = "", len = 0;

	char hex[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(data, len, hex);

	/* parse and validate before taking the write lock: other writers wait only for
	 * the checks against the database and the writes */
	struct org_file f = {0};
	enum gs_result r = parse_file(name, data, len, report, &f);
	if (r != GS_OK) {
		org_file_free(&f);
		return r;
	}
	r = db_begin(db);
	if (r != GS_OK) {
		report_add(report, 0, 0, "the database is busy or failed: %s", gs_result_str(r));
		org_file_free(&f);
		return r;
	}
	int last = last_load_is(db, hex);
	if (last != 0) {
		db_rollback(db);
		org_file_free(&f);
		if (last < 0) {
			report_add(report, 0, 0, "reading the database failed");
			return GS_ERR_DB;
		}
		report->already_loaded = 1;
		return GS_OK;
	}
	r = check_file(db, &f, report);
	if (r == GS_OK && report->n_errors_total > 0)
		r = GS_ERR_INVALID;
	if (r == GS_OK)
		r = apply_file(db, &f, report);
	if (r == GS_OK)
		r = record_load(db, hex, name, report);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK) {
		db_rollback(db);
		if (report->n_errors_total == 0)
			report_add(report, 0, 0, "the database failed (%s), nothing was changed", gs_result_str(r));
		/* nothing was written, so nothing counts */
		report->units_created = report->units_updated = report->halls_created = report->halls_updated = 0;
		report->people_created = report->people_updated = report->links_changed = report->unchanged = 0;
	}
	org_file_free(&f);
	return r;
}

enum gs_result org_load_file(struct db *db, const char *path, struct org_load_report *report)
{
	char *data = NULL;
	size_t len = 0;
	memset(report, 0, sizeof *report);
	enum gs_result r = xmldoc_read_file(path, ORG_MAX_FILE, report_xml_error, report, &data, &len);
	if (r != GS_OK)
		return r;
	r = org_load_memory(db, path, data ? data : "", len, report);
	free(data);
	return r;
}

void org_report_print(const struct org_load_report *rep, const char *name, void *file)
{
	FILE *out = file;
	if (!name)
		name = "org file";
	if (rep->n_errors_total > 0) {
		for (size_t i = 0; i < rep->n_errors; i++) {
			const struct org_error *e = &rep->errors[i];
			xmldoc_print_error(out, name, e->line, e->column, e->message);
		}
		xmldoc_print_rejected(out, name, rep->n_errors, rep->n_errors_total);
		return;
	}
	if (rep->already_loaded) {
		fprintf(out, "%s: already loaded, nothing changed\n", name);
		return;
	}
	fprintf(out,
	        "%s: created %ld units, %ld halls, %ld people; updated %ld units, %ld halls, %ld people; "
	        "%ld leader links changed; %ld unchanged\n",
	        name, rep->units_created, rep->halls_created, rep->people_created, rep->units_updated,
	        rep->halls_updated, rep->people_updated, rep->links_changed, rep->unchanged);
}

/* ---------------------------------------------------------------- queries */

static void unit_from_row(sqlite3_stmt *st, struct org_unit *u)
{
	u->id = sqlite3_column_int64(st, 0);
	u->code = db_column_strdup(st, 1);
	u->name = db_column_strdup(st, 2);
	u->name_en = db_column_strdup(st, 3);
	u->kind = db_column_strdup(st, 4);
	u->parent_id = sqlite3_column_int64(st, 5);
	u->parent_code = db_column_strdup(st, 6);
	u->depth = 0;
}

#define UNIT_COLUMNS "u.id, u.code, u.name, u.name_en, u.kind, u.parent_id, p.code"

void org_unit_clear(struct org_unit *u)
{
	if (!u)
		return;
	free(u->code), free(u->name), free(u->name_en), free(u->kind), free(u->parent_code);
	memset(u, 0, sizeof *u);
}

void org_units_free(struct org_unit *units, size_t n)
{
	for (size_t i = 0; units && i < n; i++)
		org_unit_clear(&units[i]);
	free(units);
}

struct tree_child {
	int64_t parent_id;
	size_t i; /* index in all: keeps the sort, code order among siblings */
};

struct tree_walk {
	struct org_unit *all; /* sorted by sort, code */
	size_t n_all;
	struct tree_child *children; /* sorted by parent_id, i */
	unsigned char *done;
	struct org_unit *out;
	size_t n_out;
};

static int tree_child_cmp(const void *a, const void *b)
{
	const struct tree_child *x = a, *y = b;
	if (x->parent_id != y->parent_id)
		return x->parent_id < y->parent_id ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Moves all[i] and, below it, its descendants to out in tree order. */
static void tree_emit(struct tree_walk *w, size_t i, int depth)
{
	if (w->done[i])
		return; /* a cycle in a damaged database: emit each unit once */
	w->done[i] = 1;
	w->all[i].depth = depth;
	w->out[w->n_out++] = w->all[i];
	int64_t id = w->all[i].id;
	memset(&w->all[i], 0, sizeof w->all[i]);
	size_t lo = 0, hi = w->n_all;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->children[mid].parent_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t j = lo; j < w->n_all && w->children[j].parent_id == id; j++)
		tree_emit(w, w->children[j].i, depth + 1);
}

enum gs_result org_units_list(struct db *db, int64_t within_id, struct org_unit **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT " UNIT_COLUMNS " FROM units u LEFT JOIN units p ON p.id = u.parent_id "
	                               "ORDER BY u.sort, u.code");
	if (!st)
		return GS_ERR_DB;
	struct tree_walk w = {0};
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		w.all = xrealloc(w.all, (w.n_all + 1) * sizeof *w.all);
		unit_from_row(st, &w.all[w.n_all++]);
	}
	sqlite3_reset(st);
	if (row < 0) {
		org_units_free(w.all, w.n_all);
		return GS_ERR_DB;
	}
	w.children = xcalloc(w.n_all + 1, sizeof *w.children);
	for (size_t i = 0; i < w.n_all; i++)
		w.children[i] = (struct tree_child){w.all[i].parent_id, i};
	if (w.n_all > 1)
		qsort(w.children, w.n_all, sizeof *w.children, tree_child_cmp);
	w.done = xcalloc(w.n_all + 1, 1);
	w.out = xcalloc(w.n_all + 1, sizeof *w.out);
	/* depth counts from the company even for a subtree, so find it from the roots */
	for (size_t i = 0; i < w.n_all; i++)
		if (w.all[i].parent_id == 0)
			tree_emit(&w, i, 0);
	size_t from = 0, count = w.n_out;
	if (within_id) {
		count = 0;
		for (size_t i = 0; i < w.n_out; i++)
			if (w.out[i].id == within_id) {
				from = i;
				count = 1;
				while (from + count < w.n_out && w.out[from + count].depth > w.out[from].depth)
					count++;
				break;
			}
	}
	for (size_t i = 0; i < w.n_out; i++)
		if (i < from || i >= from + count)
			org_unit_clear(&w.out[i]);
	for (size_t i = 0; i < w.n_all; i++)
		org_unit_clear(&w.all[i]);
	free(w.all);
	free(w.children);
	free(w.done);
	if (count == 0) {
		free(w.out);
		return GS_OK;
	}
	memmove(w.out, w.out + from, count * sizeof *w.out);
	*out = w.out;
	*n = count;
	return GS_OK;
}

enum gs_result org_unit_get(struct db *db, const char *code, struct org_unit *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(db, "SELECT " UNIT_COLUMNS " FROM units u LEFT JOIN units p ON p.id = u.parent_id "
	                               "WHERE u.code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row == 1)
		unit_from_row(st, out);
	sqlite3_reset(st);
	if (row != 1)
		return row == 0 ? GS_ERR_NOT_FOUND : GS_ERR_DB;
	st = db_stmt(db, "WITH RECURSIVE up(id, pid) AS (SELECT id, parent_id FROM units WHERE id = ?1 "
	                 "UNION SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.pid) "
	                 "SELECT count(*) - 1 FROM up");
	if (!st) {
		org_unit_clear(out);
		return GS_ERR_DB;
	}
	sqlite3_bind_int64(st, 1, out->id);
	row = db_step_row(db, st);
	if (row == 1)
		out->depth = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (row != 1) {
		org_unit_clear(out);
		return GS_ERR_DB;
	}
	return GS_OK;
}

#define HALL_COLUMNS                                                                                            \
	"h.id, h.code, h.name, h.name_en, h.address, h.station_id, s.code, s.name, h.active, h.key_version, "   \
	"s.name_en"

static void hall_from_row(sqlite3_stmt *st, struct org_hall *h)
{
	h->id = sqlite3_column_int64(st, 0);
	h->code = db_column_strdup(st, 1);
	h->name = db_column_strdup(st, 2);
	h->name_en = db_column_strdup(st, 3);
	h->address = db_column_strdup(st, 4);
	h->station_id = sqlite3_column_int64(st, 5);
	h->station_code = db_column_strdup(st, 6);
	h->station_name = db_column_strdup(st, 7);
	h->active = sqlite3_column_int(st, 8);
	h->key_version = sqlite3_column_int(st, 9);
	h->station_name_en = db_column_strdup(st, 10);
}

void org_hall_clear(struct org_hall *h)
{
	if (!h)
		return;
	free(h->code), free(h->name), free(h->name_en), free(h->address), free(h->station_code);
	free(h->station_name), free(h->station_name_en);
	memset(h, 0, sizeof *h);
}

void org_halls_free(struct org_hall *halls, size_t n)
{
	for (size_t i = 0; halls && i < n; i++)
		org_hall_clear(&halls[i]);
	free(halls);
}

enum gs_result org_halls_list(struct db *db, int64_t within_id, struct org_hall **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE ?1 = 0 OR id = ?1 "
	                               "UNION SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id) "
	                               "SELECT " HALL_COLUMNS " FROM halls h JOIN units s ON s.id = h.station_id "
	                               "WHERE h.station_id IN (SELECT id FROM sub) ORDER BY h.active DESC, h.code");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, within_id);
	struct org_hall *halls = NULL;
	size_t count = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		halls = xrealloc(halls, (count + 1) * sizeof *halls);
		hall_from_row(st, &halls[count++]);
	}
	sqlite3_reset(st);
	if (row < 0) {
		org_halls_free(halls, count);
		return GS_ERR_DB;
	}
	*out = halls;
	*n = count;
	return GS_OK;
}

enum gs_result org_hall_get(struct db *db, const char *code, struct org_hall *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(db, "SELECT " HALL_COLUMNS " FROM halls h JOIN units s ON s.id = h.station_id "
	                               "WHERE h.code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row == 1)
		hall_from_row(st, out);
	sqlite3_reset(st);
	return row == 1 ? GS_OK : row == 0 ? GS_ERR_NOT_FOUND : GS_ERR_DB;
}

enum gs_result org_hall_hours(struct db *db, int64_t hall_id, struct org_hours **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT weekday, opens, closes FROM hall_hours WHERE hall_id = ?1 "
	                               "ORDER BY weekday, opens");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, hall_id);
	struct org_hours *hours = NULL;
	size_t count = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		hours = xrealloc(hours, (count + 1) * sizeof *hours);
		struct org_hours *h = &hours[count++];
		h->weekday = sqlite3_column_int(st, 0);
		const char *o = (const char *)sqlite3_column_text(st, 1), *c = (const char *)sqlite3_column_text(st, 2);
		copy_time(h->opens, o);
		copy_time(h->closes, c);
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(hours);
		return GS_ERR_DB;
	}
	*out = hours;
	*n = count;
	return GS_OK;
}

void org_leaders_free(struct org_leader *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++) {
		free(l[i].person_code), free(l[i].person_name), free(l[i].title), free(l[i].kind);
		free(l[i].unit_code), free(l[i].unit_name);
	}
	free(l);
}

enum gs_result org_leaders_of_unit(struct db *db, int64_t unit_id, struct org_leader **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	/* links to the unit first (who heads and supervises it), then its own people's */
	sqlite3_stmt *st = db_stmt(db, "SELECT p.code, p.name, p.title, l.kind, u.code, u.name "
	                               "FROM leader_links l JOIN people p ON p.id = l.person_id "
	                               "JOIN units u ON u.id = l.unit_id WHERE l.unit_id = ?1 OR p.unit_id = ?1 "
	                               "ORDER BY l.unit_id <> ?1, CASE l.kind WHEN 'head' THEN 0 WHEN 'deputy' THEN 1 "
	                               "WHEN 'supervises' THEN 2 ELSE 3 END, p.code, u.code");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, unit_id);
	struct org_leader *l = NULL;
	size_t count = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		l = xrealloc(l, (count + 1) * sizeof *l);
		struct org_leader *x = &l[count++];
		x->person_code = db_column_strdup(st, 0);
		x->person_name = db_column_strdup(st, 1);
		x->title = db_column_strdup(st, 2);
		x->kind = db_column_strdup(st, 3);
		x->unit_code = db_column_strdup(st, 4);
		x->unit_name = db_column_strdup(st, 5);
	}
	sqlite3_reset(st);
	if (row < 0) {
		org_leaders_free(l, count);
		return GS_ERR_DB;
	}
	*out = l;
	*n = count;
	return GS_OK;
}

int org_unit_within(struct db *db, int64_t unit_id, int64_t ancestor_id)
{
	sqlite3_stmt *st = db_stmt(db, "WITH RECURSIVE up(id, pid) AS (SELECT id, parent_id FROM units WHERE id = ?1 "
	                               "UNION SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.pid) "
	                               "SELECT EXISTS (SELECT 1 FROM up WHERE id = ?2)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, unit_id);
	sqlite3_bind_int64(st, 2, ancestor_id);
	int row = db_step_row(db, st);
	int within = row == 1 ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	return within;
}

enum gs_result org_hall_set_active(struct db *db, const char *code, int active)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE halls SET active = ?2 WHERE code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, active ? 1 : 0);
	enum gs_result r = db_step_done(db, st);
	if (r == GS_OK && sqlite3_changes(db_handle(db)) == 0)
		r = GS_ERR_NOT_FOUND;
	return r;
}

/* ---------------------------------------------------------------- changes from the admin pages */

/* A change is a one-record org file: the loader's checks and its apply functions do the
 * work. Lines in that file are only labels: a hall's hours of weekday d are on line d,
 * the record on CHANGE_LINE, so an error can be put beside the field it concerns. */
#define CHANGE_LINE 100

static void change_error(struct org_change_report *rep, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void change_error(struct org_change_report *rep, const char *field, const char *fmt, ...)
{
	if (rep->n_errors >= ORG_CHANGE_MAX_ERRORS)
		return;
	struct org_change_error *e = &rep->errors[rep->n_errors++];
	e->field = field;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

static const char *const hours_fields[] = {"hours-mon", "hours-tue", "hours-wed", "hours-thu",
                                           "hours-fri", "hours-sat", "hours-sun"};

/* The form field a loader message is about. The messages are this file's own (check_*
 * above); the order matters: "stored hall ... a station" is about the unit's kind. */
static const char *change_field_of(const struct org_error *e, const char *record)
{
	if (e->line >= 1 && e->line <= 7)
		return hours_fields[e->line - 1];
	static const struct {
		const char *record, *needle, *field;
	} map[] = {
	    {"unit", ": stored ", "kind"},      {"unit", "only one company", "kind"},
	    {"unit", "no company", "kind"},     {"unit", "code is already used", "code"},
	    {"unit", "name is blank", "name"},  {"unit", "parent", "parent"},
	    {"unit", "under", "parent"},        {"unit", "cycle", "parent"},
	    {"hall", "code is already used", "code"}, {"hall", "name is blank", "name"},
	    {"hall", "station", "station"},     {"person", "name is blank", "name"},
	    {"person", "': unit '", "unit"},    {"person", " unit '", "link_unit"},
	    {"person", "listed twice", "link_kind"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].record, record) == 0 && strstr(e->message, map[i].needle))
			return map[i].field;
	return "";
}

/* The static string for a leader link kind, NULL if kind is none of them. */
static const char *link_kind_of_name(const char *kind)
{
	static const char *kinds[] = {"head", "deputy", "supervises", "liaises"};
	for (size_t i = 0; kind && i < GS_ARRAY_LEN(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return kinds[i];
	return NULL;
}

/* Counts UTF-8 characters (continuation bytes are not counted); -1 if not UTF-8. */
static long utf8_chars(const char *s)
{
	long n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
		if (!len || (len == 2 && *p < 0xC2))
			return -1;
		for (int i = 1; i < len; i++)
			if ((p[i] & 0xC0) != 0x80)
				return -1;
		p += len;
		n++;
	}
	return n;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* What the schema checks for a file: the formats of codes, names and the like. */
static void check_code(struct org_change_report *rep, const char *field, const char *what, const char *code)
{
	if (!code || !*code)
		change_error(rep, field, "enter the %s code", what);
	else if (!util_valid_code(code))
		change_error(rep, field,
		             "'%.64s' is not a code: use 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or a digit",
		             code);
}

static void check_text(struct org_change_report *rep, const char *field, const char *value, long max, int required)
{
	if (!value || !*value) {
		if (required)
			change_error(rep, field, "enter a name of 1 to %ld characters", max);
		return;
	}
	long n = utf8_chars(value);
	if (n < 0)
		change_error(rep, field, "the text is not valid UTF-8");
	else if (n > max)
		change_error(rep, field, "at most %ld characters, this has %ld", max, n);
	else if (blank(value))
		change_error(rep, field, "the text is blank");
	else
		for (const char *c = value; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t') {
				change_error(rep, field, "line breaks and control characters are not allowed");
				break;
			}
}

static int valid_time(const char *t)
{
	return strlen(t) == 5 && t[0] >= '0' && t[0] <= '2' && t[1] >= '0' && t[1] <= '9' &&
	       (t[0] < '2' || t[1] <= '3') && t[2] == ':' && t[3] >= '0' && t[3] <= '5' && t[4] >= '0' && t[4] <= '9';
}

/* Parses one day's text into h->hours (line = weekday); errors beside that day's field. */
static void parse_day_hours(struct org_change_report *rep, struct file_hall *h, int weekday, const char *text)
{
	const char *field = hours_fields[weekday - 1];
	const char *p = text ? text : "";
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " ,;\t");
		char tok[32];
		if (len >= sizeof tok || len != 11 || p[5] != '-') {
			change_error(rep, field, "'%.*s' is not an interval HH:MM-HH:MM", (int)(len > 20 ? 20 : len), p);
			return;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		tok[5] = '\0';
		if (!valid_time(tok) || !valid_time(tok + 6)) {
			change_error(rep, field, "'%.11s' is not an interval HH:MM-HH:MM (00:00 to 23:59)", p);
			return;
		}
		h->hours = xrealloc(h->hours, (h->n_hours + 1) * sizeof *h->hours);
		struct file_hours *x = &h->hours[h->n_hours++];
		x->weekday = weekday;
		memcpy(x->opens, tok, 6);
		memcpy(x->closes, tok + 6, 6);
		x->line = weekday;
		p += len;
	}
}

void org_hours_text(const struct org_hours *hours, size_t n, int weekday, char *out, size_t len)
{
	size_t k = 0;
	if (len)
		out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (hours[i].weekday == weekday && k + 13 < len)
			k += (size_t)snprintf(out + k, len - k, "%s%s-%s", k ? " " : "", hours[i].opens, hours[i].closes);
}

/* 1 if a unit or hall (which share one code space) has this code, 0 if not, -1 on error. */
static int code_taken(struct db *db, const char *table, const char *code)
{
	sqlite3_stmt *st = db_stmt(db, strcmp(table, "units") == 0   ? "SELECT 1 FROM units WHERE code = ?1"
	                               : strcmp(table, "halls") == 0 ? "SELECT 1 FROM halls WHERE code = ?1"
	                                                             : "SELECT 1 FROM people WHERE code = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	sqlite3_reset(st);
	return row;
}

/* Checks f against the stored org and applies it, all in one write transaction, with
 * the existence rule of create/update checked inside it. record is "unit", "hall" or
 * "person"; table its table. */
static enum gs_result change_run(struct db *db, struct org_file *f, const char *record, const char *table,
                                 const char *code, int create, const char *actor, struct org_change_report *rep)
{
	struct org_load_report *lr = xcalloc(1, sizeof *lr);
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		goto out;
	int exists = code_taken(db, table, code);
	if (exists < 0) {
		r = GS_ERR_DB;
		goto rollback;
	}
	if (create && exists) {
		change_error(rep, "code", "a %s with code '%s' exists already", record, code);
		r = GS_ERR_CONFLICT;
		goto rollback;
	}
	if (!create && !exists) {
		r = GS_ERR_NOT_FOUND;
		goto rollback;
	}
	r = check_file(db, f, lr);
	if (r == GS_OK && lr->n_errors_total > 0) {
		for (size_t i = 0; i < lr->n_errors; i++)
			change_error(rep, change_field_of(&lr->errors[i], record), "%s", lr->errors[i].message);
		r = GS_ERR_INVALID;
	}
	if (r == GS_OK)
		r = apply_file(db, f, lr);
	if (r == GS_OK) {
		/* recorded like a load: the next load of a file is applied again, and the
		 * statistics know the tree may have changed */
		char what[256], hex[UTIL_SHA256_HEX_LEN + 1];
		snprintf(what, sizeof what, "admin page (%.64s): %s %s %s at %lld", actor ? actor : "?",
		         create ? "create" : "update", record, code, (long long)util_now());
		util_sha256_hex(what, strlen(what), hex);
		snprintf(what, sizeof what, "admin page (%.64s)", actor ? actor : "?");
		r = record_load(db, hex, what, lr);
	}
	if (r == GS_OK)
		r = db_commit(db);
rollback:
	if (r != GS_OK)
		db_rollback(db);
out:
	free(lr);
	return r;
}

enum gs_result org_unit_save(struct db *db, const struct org_unit_change *u, int create, const char *actor,
                             struct org_change_report *rep)
{
	memset(rep, 0, sizeof *rep);
	check_code(rep, "code", "unit", u->code);
	static const char *const kinds[] = {"company", "department", "station", "team"};
	int kind_ok = 0;
	for (size_t i = 0; u->kind && i < 4; i++)
		kind_ok |= strcmp(u->kind, kinds[i]) == 0;
	if (!kind_ok)
		change_error(rep, "kind", "choose company, department, station or team");
	if (nonempty(u->parent))
		check_code(rep, "parent", "parent", u->parent);
	check_text(rep, "name", u->name, 100, 1);
	check_text(rep, "name_en", u->name_en, 100, 0);
	if (rep->n_errors)
		return GS_ERR_INVALID;
	struct file_unit fu = {(char *)u->code, (char *)u->kind, (char *)nonempty(u->parent), (char *)u->name,
	                       (char *)nonempty(u->name_en), CHANGE_LINE};
	struct org_file f = {.units = &fu, .n_units = 1};
	return change_run(db, &f, "unit", "units", u->code, create, actor, rep);
}

enum gs_result org_hall_save(struct db *db, const struct org_hall_change *h, int create, const char *actor,
                             struct org_change_report *rep)
{
	memset(rep, 0, sizeof *rep);
	check_code(rep, "code", "hall", h->code);
	check_code(rep, "station", "station", h->station);
	check_text(rep, "name", h->name, 100, 1);
	check_text(rep, "name_en", h->name_en, 100, 0);
	check_text(rep, "address", h->address, 200, 0);
	struct file_hall fh = {(char *)h->code,        (char *)h->station, (char *)h->name, (char *)nonempty(h->name_en),
	                       (char *)nonempty(h->address), h->active ? 1 : 0, CHANGE_LINE, NULL, 0};
	for (int d = 1; d <= 7; d++)
		parse_day_hours(rep, &fh, d, h->hours[d - 1]);
	enum gs_result r = GS_ERR_INVALID;
	if (!rep->n_errors) {
		struct org_file f = {.halls = &fh, .n_halls = 1};
		r = change_run(db, &f, "hall", "halls", h->code, create, actor, rep);
	}
	free(fh.hours);
	return r;
}

/* The stored links of a person as file links (unit codes owned by the array). */
static enum gs_result stored_links(struct db *db, const char *person, struct file_link **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT l.kind, u.code FROM leader_links l JOIN people p ON p.id = l.person_id "
	                               "JOIN units u ON u.id = l.unit_id WHERE p.code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, person, -1, SQLITE_STATIC);
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		const char *kind = link_kind_of_name((const char *)sqlite3_column_text(st, 0));
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = (struct file_link){kind ? kind : "head", db_column_strdup(st, 1), CHANGE_LINE + 1 + (long)*n};
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}

static void links_free(struct file_link *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].unit);
	free(l);
}

static void person_format_checks(struct org_change_report *rep, const struct org_person_change *p)
{
	check_code(rep, "code", "person", p->code);
	check_code(rep, "unit", "unit", p->unit);
	check_text(rep, "name", p->name, 100, 1);
	check_text(rep, "name_en", p->name_en, 100, 0);
	check_text(rep, "title", p->title, 100, 0);
}

enum gs_result org_person_save(struct db *db, const struct org_person_change *p, int create, const char *actor,
                               struct org_change_report *rep)
{
	memset(rep, 0, sizeof *rep);
	person_format_checks(rep, p);
	if (rep->n_errors)
		return GS_ERR_INVALID;
	struct file_person fp = {(char *)p->code, (char *)p->unit, (char *)p->name, (char *)nonempty(p->name_en),
	                         (char *)nonempty(p->title), CHANGE_LINE, NULL, 0};
	/* a person keeps their links; read before the transaction, so a link changed in
	 * between is lost: the admin pages change one thing at a time (see docs) */
	enum gs_result r = create ? GS_OK : stored_links(db, p->code, &fp.links, &fp.n_links);
	if (r == GS_OK) {
		struct org_file f = {.people = &fp, .n_people = 1};
		r = change_run(db, &f, "person", "people", p->code, create, actor, rep);
	}
	links_free(fp.links, fp.n_links);
	return r;
}

enum gs_result org_person_link(struct db *db, const char *person, const char *kind, const char *unit, int add,
                               const char *actor, struct org_change_report *rep)
{
	memset(rep, 0, sizeof *rep);
	const char *k = link_kind_of_name(kind);
	if (!k)
		change_error(rep, "link_kind", "choose head, deputy, supervises or liaises");
	check_code(rep, "link_unit", "unit", unit);
	if (rep->n_errors)
		return GS_ERR_INVALID;
	struct org_person cur;
	enum gs_result r = org_person_get(db, person, &cur);
	if (r != GS_OK)
		return r;
	struct file_person fp = {cur.code, cur.unit_code, cur.name, cur.name_en, cur.title, CHANGE_LINE, NULL, 0};
	r = stored_links(db, person, &fp.links, &fp.n_links);
	size_t at = fp.n_links;
	for (size_t i = 0; r == GS_OK && i < fp.n_links; i++)
		if (strcmp(fp.links[i].kind, k) == 0 && strcmp(fp.links[i].unit, unit) == 0)
			at = i;
	if (r == GS_OK && add && at < fp.n_links) {
		change_error(rep, "link_unit", "person '%s' already has %s '%s'", person, k, unit);
		r = GS_ERR_CONFLICT;
	} else if (r == GS_OK && !add && at == fp.n_links) {
		r = GS_ERR_NOT_FOUND;
	} else if (r == GS_OK && add) {
		fp.links = xrealloc(fp.links, (fp.n_links + 1) * sizeof *fp.links);
		fp.links[fp.n_links++] = (struct file_link){k, xstrdup(unit), CHANGE_LINE + 1 + (long)fp.n_links};
	} else if (r == GS_OK) {
		free(fp.links[at].unit);
		fp.links[at] = fp.links[--fp.n_links];
	}
	if (r == GS_OK) {
		struct org_file f = {.people = &fp, .n_people = 1};
		r = change_run(db, &f, "person", "people", person, 0, actor, rep);
	}
	links_free(fp.links, fp.n_links);
	org_person_clear(&cur);
	return r;
}

/* ---------------------------------------------------------------- people */

void org_person_clear(struct org_person *p)
{
	if (!p)
		return;
	free(p->code), free(p->name), free(p->name_en), free(p->title);
	free(p->unit_code), free(p->unit_name), free(p->unit_name_en);
	for (size_t i = 0; i < p->n_links; i++) {
		free(p->links[i].kind), free(p->links[i].unit_code), free(p->links[i].unit_name);
		free(p->links[i].unit_name_en);
	}
	free(p->links);
	memset(p, 0, sizeof *p);
}

void org_people_free(struct org_person *people, size_t n)
{
	for (size_t i = 0; people && i < n; i++)
		org_person_clear(&people[i]);
	free(people);
}

/* People (one code, or all when code is NULL) with their links, by code. */
static enum gs_result people_read(struct db *db, const char *code, struct org_person **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT p.id, p.code, p.name, p.name_en, p.title, u.code, u.name, u.name_en "
	                               "FROM people p JOIN units u ON u.id = p.unit_id "
	                               "WHERE ?1 IS NULL OR p.code = ?1 ORDER BY p.code");
	if (!st)
		return GS_ERR_DB;
	bind_text_or_null(st, 1, code);
	struct org_person *people = NULL;
	size_t count = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		people = xrealloc(people, (count + 1) * sizeof *people);
		struct org_person *p = &people[count++];
		memset(p, 0, sizeof *p);
		p->id = sqlite3_column_int64(st, 0);
		p->code = db_column_strdup(st, 1);
		p->name = db_column_strdup(st, 2);
		p->name_en = db_column_strdup(st, 3);
		p->title = db_column_strdup(st, 4);
		p->unit_code = db_column_strdup(st, 5);
		p->unit_name = db_column_strdup(st, 6);
		p->unit_name_en = db_column_strdup(st, 7);
	}
	sqlite3_reset(st);
	if (row < 0) {
		org_people_free(people, count);
		return GS_ERR_DB;
	}
	/* the links in one pass, matched to people by id (both sorted by the person's code) */
	st = db_stmt(db, "SELECT l.person_id, l.kind, u.code, u.name, u.name_en FROM leader_links l "
	                 "JOIN people p ON p.id = l.person_id JOIN units u ON u.id = l.unit_id "
	                 "WHERE ?1 IS NULL OR p.code = ?1 ORDER BY p.code, CASE l.kind WHEN 'head' THEN 0 "
	                 "WHEN 'deputy' THEN 1 WHEN 'supervises' THEN 2 ELSE 3 END, u.code");
	if (!st) {
		org_people_free(people, count);
		return GS_ERR_DB;
	}
	bind_text_or_null(st, 1, code);
	size_t at = 0;
	while ((row = db_step_row(db, st)) == 1) {
		int64_t pid = sqlite3_column_int64(st, 0);
		while (at < count && people[at].id != pid)
			at++;
		if (at == count)
			break; /* cannot happen: both lists follow the codes */
		struct org_person *p = &people[at];
		p->links = xrealloc(p->links, (p->n_links + 1) * sizeof *p->links);
		p->links[p->n_links++] = (struct org_person_link){db_column_strdup(st, 1), db_column_strdup(st, 2),
		                                                  db_column_strdup(st, 3), db_column_strdup(st, 4)};
	}
	sqlite3_reset(st);
	if (row < 0) {
		org_people_free(people, count);
		return GS_ERR_DB;
	}
	*out = people;
	*n = count;
	return GS_OK;
}

enum gs_result org_people_list(struct db *db, struct org_person **out, size_t *n)
{
	return people_read(db, NULL, out, n);
}

enum gs_result org_person_get(struct db *db, const char *code, struct org_person *out)
{
	memset(out, 0, sizeof *out);
	struct org_person *p = NULL;
	size_t n = 0;
	enum gs_result r = people_read(db, code ? code : "", &p, &n);
	if (r != GS_OK)
		return r;
	if (n == 0) {
		free(p);
		return GS_ERR_NOT_FOUND;
	}
	*out = p[0];
	free(p);
	return GS_OK;
}

enum gs_result org_leader_links_all(struct db *db, struct org_leader_link **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT p.code, p.name, p.title, p.unit_id, l.kind, l.unit_id, u.code "
	                               "FROM leader_links l JOIN people p ON p.id = l.person_id "
	                               "JOIN units u ON u.id = l.unit_id ORDER BY p.code, l.kind, u.code");
	if (!st)
		return GS_ERR_DB;
	struct org_leader_link *l = NULL;
	size_t count = 0, cap = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			l = xrealloc(l, cap * sizeof *l);
		}
		struct org_leader_link *x = &l[count++];
		x->person_code = db_column_strdup(st, 0);
		x->person_name = db_column_strdup(st, 1);
		x->title = db_column_strdup(st, 2);
		x->person_unit_id = sqlite3_column_int64(st, 3);
		x->kind = db_column_strdup(st, 4);
		x->unit_id = sqlite3_column_int64(st, 5);
		x->unit_code = db_column_strdup(st, 6);
	}
	sqlite3_reset(st);
	if (row < 0) {
		org_leader_links_free(l, count);
		return GS_ERR_DB;
	}
	*out = l;
	*n = count;
	return GS_OK;
}

void org_leader_links_free(struct org_leader_link *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++) {
		free(l[i].person_code), free(l[i].person_name), free(l[i].title), free(l[i].kind);
		free(l[i].unit_code);
	}
	free(l);
}
