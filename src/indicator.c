/* indicator.c — the indicator catalog (loading catalog files safely: no DOCTYPE, no
 * network, schema-validated, references and weights checked in C, applied all or
 * nothing; queries), manual inputs, deductions and bonuses, and period closing.
 * Owns the SQL of the scores migration. The formulas are in score.c. */
#include "indicator.h"

#include <jansson.h>
#include <limits.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "org.h"
#include "survey.h"
#include "util.h"
#include "xmldoc.h"

#define IND_NS "urn:gridscore:indicators:1"
#define IND_XSD "forms/indicators-1.xsd"
#define WEIGHT_SUM 100.0
#define WEIGHT_EPS 1e-6

static const char *const unit_kinds[] = {"company", "department", "station", "team"};
static const char *const kind_names[] = {"customer-evaluation", "coverage", "manual"};
static const char *const method_names[] = {"bands", "step", "direct"};
static const char *const source_names[] = {"inspection",     "internal-audit",   "supervision",
					   "public-opinion", "overdue-followup", "other"};

const char *indicator_kind_name(enum indicator_kind k)
{
	return (unsigned)k < GS_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

const char *indicator_method_name(enum indicator_method m)
{
	return (unsigned)m < GS_ARRAY_LEN(method_names) ? method_names[m] : "?";
}

const char *indicator_source_name(enum indicator_source s)
{
	return (unsigned)s < GS_ARRAY_LEN(source_names) ? source_names[s] : "?";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

enum gs_result indicator_source_parse(const char *name, enum indicator_source *out)
{
	int i = name_index(source_names, GS_ARRAY_LEN(source_names), name);
	if (i < 0)
		return GS_ERR_INVALID;
	*out = (enum indicator_source)i;
	return GS_OK;
}

/* ---------------------------------------------------------------- errors */

static void report_add(struct indicator_load_report *rep, long line, long column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report_add(struct indicator_load_report *rep, long line, long column, const char *fmt, ...)
{
	rep->n_errors_total++;
	if (rep->n_errors >= INDICATOR_MAX_ERRORS)
		return;
	struct indicator_error *e = &rep->errors[rep->n_errors++];
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

static const struct xmldoc_spec indicator_doc = {
    .what = "indicator", .xsd = IND_XSD, .ns = IND_NS, .root = "indicators"};

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

/* ---------------------------------------------------------------- the file, in memory */

enum param_attr {
	PA_THRESHOLD,
	PA_TARGET,
	PA_BENCHMARK,
	PA_DELTA,
	PA_POINTS,
	PA_MAX_DEDUCTION,
	PA_BONUS,
	PA_MAX_BONUS,
	PA_MAX,
	PA_MIN_ACTUAL,
	PA_MAX_ACTUAL,
	PA_COUNT
};
static const char *const param_attr_names[PA_COUNT] = {"threshold", "target",    "benchmark", "delta",
						       "points",    "max-deduction", "bonus", "max-bonus",
						       "max",       "min-actual", "max-actual"};
struct f_params {
	char from[SCORE_PERIOD_MAX];
	char from_day[11];
	int method;
	double v[PA_COUNT];
	int has[PA_COUNT];
	int whole_steps;
	long line;
};

struct f_weight {
	char kind[12];
	double weight;
	long line;
};

struct f_milestone {
	char *unit, *due, *name;
	long line;
};

struct f_indicator {
	char *code, *name, *name_en;
	int kind, direction;
	char *supervisor, *runit, *rperson, *handler, *evaluator;
	long line, owner_line, evaluator_line;
	struct f_weight weights[4];
	size_t n_weights;
	struct f_params *params;
	size_t n_params;
	struct f_milestone *milestones;
	size_t n_milestones;
	char digest[65];
};

struct ind_file {
	struct f_indicator *ind;
	size_t n;
};

static void ind_file_free(struct ind_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct f_indicator *d = &f->ind[i];
		free(d->code), free(d->name), free(d->name_en);
		free(d->supervisor), free(d->runit), free(d->rperson), free(d->handler), free(d->evaluator);
		for (size_t j = 0; j < d->n_milestones; j++)
			free(d->milestones[j].unit), free(d->milestones[j].due), free(d->milestones[j].name);
		free(d->milestones);
		free(d->params);
	}
	free(f->ind);
	memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------- parsing */

static int is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST IND_NS) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	if (!v)
		return NULL;
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* A schema-valid xs:decimal or xs:boolean attribute (blanks allowed around it). */
static int attr_number(const xmlNode *n, const char *name, double *out)
{
	char *s = attr(n, name);
	if (!s)
		return 0;
	*out = strtod(s, NULL);
	free(s);
	return 1;
}

static int attr_bool(const xmlNode *n, const char *name)
{
	char *s = attr(n, name);
	const char *p = s;
	while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	int v = p && (*p == 't' || *p == '1');
	free(s);
	return v;
}

static void copy_trimmed(char *dst, size_t cap, const char *src)
{
	while (src && (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r'))
		src++;
	size_t n = 0;
	while (src && src[n] && src[n] != ' ' && src[n] != '\t' && src[n] != '\n' && src[n] != '\r' && n + 1 < cap) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = '\0';
}

/* The canonical text of an indicator as read (no line numbers), for its digest. */
static void digest_of(struct f_indicator *d)
{
	struct buf b;
	buf_init(&b, 1u << 24);
	buf_printf(&b, "%s\n%s\n%s\n%d\n%d\n%s\n%s\n%s\n%s\n%s\n", d->code, d->name, d->name_en ? d->name_en : "",
		   d->kind, d->direction, d->supervisor, d->runit, d->rperson, d->handler,
		   d->evaluator ? d->evaluator : "");
	for (size_t i = 0; i < d->n_weights; i++)
		buf_printf(&b, "w %s %.17g\n", d->weights[i].kind, d->weights[i].weight);
	for (size_t i = 0; i < d->n_params; i++) {
		const struct f_params *p = &d->params[i];
		buf_printf(&b, "p %s %d %d", p->from, p->method, p->whole_steps);
		for (int a = 0; a < PA_COUNT; a++)
			if (p->has[a])
				buf_printf(&b, " %d=%.17g", a, p->v[a]);
			else
				buf_printf(&b, " %d=-", a);
		buf_putc(&b, '\n');
	}
	for (size_t i = 0; i < d->n_milestones; i++)
		buf_printf(&b, "m %s %s %s\n", d->milestones[i].unit, d->milestones[i].due, d->milestones[i].name);
	util_sha256_hex(b.data ? b.data : "", b.len, d->digest);
	buf_free(&b);
}

/* Reads the validated tree into plain structs: the schema guarantees the required
 * attributes are there and well formed, and bounds the element counts. */
static void read_tree(const xmlNode *root, struct ind_file *f)
{
	for (const xmlNode *n = root->children; n; n = n->next) {
		if (!is_el(n, "indicator"))
			continue;
		f->ind = xrealloc(f->ind, (f->n + 1) * sizeof *f->ind);
		struct f_indicator *d = &f->ind[f->n++];
		memset(d, 0, sizeof *d);
		d->line = xmlGetLineNo(n);
		d->code = attr(n, "code");
		d->name = attr(n, "name");
		d->name_en = attr(n, "name-en");
		char *s = attr(n, "kind");
		d->kind = name_index(kind_names, GS_ARRAY_LEN(kind_names), s);
		free(s);
		s = attr(n, "direction");
		d->direction = s && strcmp(s, "lower") == 0 ? SCORE_LOWER_BETTER : SCORE_HIGHER_BETTER;
		free(s);
		for (const xmlNode *c = n->children; c; c = c->next) {
			if (is_el(c, "weight") && d->n_weights < GS_ARRAY_LEN(d->weights)) {
				struct f_weight *w = &d->weights[d->n_weights++];
				s = attr(c, "unit-kind");
				copy_trimmed(w->kind, sizeof w->kind, s);
				free(s);
				attr_number(c, "value", &w->weight);
				w->line = xmlGetLineNo(c);
			} else if (is_el(c, "owner")) {
				d->owner_line = xmlGetLineNo(c);
				d->supervisor = attr(c, "supervisor");
				d->runit = attr(c, "unit");
				d->rperson = attr(c, "person");
				d->handler = attr(c, "handler");
			} else if (is_el(c, "evaluator")) {
				d->evaluator_line = xmlGetLineNo(c);
				d->evaluator = attr(c, "unit");
			} else if (is_el(c, "params")) {
				d->params = xrealloc(d->params, (d->n_params + 1) * sizeof *d->params);
				struct f_params *p = &d->params[d->n_params++];
				memset(p, 0, sizeof *p);
				p->line = xmlGetLineNo(c);
				s = attr(c, "from");
				copy_trimmed(p->from, sizeof p->from, s);
				free(s);
				s = attr(c, "method");
				char m[16];
				copy_trimmed(m, sizeof m, s);
				free(s);
				p->method = name_index(method_names, GS_ARRAY_LEN(method_names), m);
				for (int a = 0; a < PA_COUNT; a++)
					p->has[a] = attr_number(c, param_attr_names[a], &p->v[a]);
				p->whole_steps = attr_bool(c, "whole-steps");
			} else if (is_el(c, "milestone")) {
				d->milestones = xrealloc(d->milestones, (d->n_milestones + 1) * sizeof *d->milestones);
				struct f_milestone *m = &d->milestones[d->n_milestones++];
				m->unit = attr(c, "unit");
				s = attr(c, "due");
				char due[16];
				copy_trimmed(due, sizeof due, s);
				free(s);
				m->due = xstrdup(due);
				m->name = attr(c, "name");
				m->line = xmlGetLineNo(c);
			}
		}
		digest_of(d);
	}
}

/* Parses and validates data into f. GS_ERR_INVALID with report errors if it is not a
 * well-formed, schema-valid catalog. */
static enum gs_result parse_file(const char *name, const char *data, size_t len, struct indicator_load_report *rep,
				 struct ind_file *f)
{
	xmlDocPtr doc = NULL;
	enum gs_result r = xmldoc_load(&indicator_doc, name, data, len, report_xml_error, rep, &doc);
	if (r == GS_OK)
		read_tree(xmlDocGetRootElement(doc), f);
	xmlFreeDoc(doc);
	return r;
}

/* ---------------------------------------------------------------- checks */

/* The id of the row with this code (sql selects id by ?1), 0 if none, -1 on error. */
static int64_t id_of(struct db *db, const char *sql, const char *code)
{
	if (!code)
		return 0;
	sqlite3_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int64_t id = row == 1 ? sqlite3_column_int64(st, 0) : row;
	sqlite3_reset(st);
	return id;
}

#define SQL_UNIT_ID "SELECT id FROM units WHERE code = ?1"
#define SQL_PERSON_ID "SELECT id FROM people WHERE code = ?1"

/* The kind of a unit by code into kind (12 bytes): 1 found, 0 not, -1 error. */
static int unit_kind_of(struct db *db, const char *code, char kind[12])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT kind FROM units WHERE code = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row == 1)
		snprintf(kind, 12, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return row;
}

/* -1 on a database error, else 0 (errors reported). */
static int check_person(struct db *db, struct indicator_load_report *rep, const struct f_indicator *d,
			const char *role, const char *code)
{
	int64_t id = id_of(db, SQL_PERSON_ID, code);
	if (id < 0)
		return -1;
	if (id == 0)
		report_add(rep, d->owner_line, 0, "indicator '%s': %s '%s' is not a known person", d->code, role, code);
	return 0;
}

static int check_params(struct indicator_load_report *rep, const struct f_indicator *d, struct f_params *p)
{
	char err[200];
	struct score_period per;
	if (score_period_parse(p->from, &per) != GS_OK) {
		report_add(rep, p->line, 0, "indicator '%s': from '%s' is not a period of the years 2000 to 2999",
			   d->code, p->from);
		return 0;
	}
	score_period_first_day(&per, p->from_day);
	if (p->method < 0) {
		report_add(rep, p->line, 0, "indicator '%s': unknown scoring method", d->code);
		return 0;
	}
	static const int need_bands[] = {PA_THRESHOLD, PA_TARGET, PA_BENCHMARK};
	static const int need_step[] = {PA_TARGET, PA_DELTA, PA_POINTS, PA_MAX_DEDUCTION};
	const int *need = p->method == INDICATOR_BANDS ? need_bands : need_step;
	size_t n_need = p->method == INDICATOR_BANDS ? GS_ARRAY_LEN(need_bands)
			: p->method == INDICATOR_STEP ? GS_ARRAY_LEN(need_step)
						      : 0;
	for (size_t i = 0; i < n_need; i++)
		if (!p->has[need[i]]) {
			report_add(rep, p->line, 0, "indicator '%s': method %s needs the attribute '%s'", d->code,
				   method_names[p->method], param_attr_names[need[i]]);
			return 0;
		}
	if (p->method == INDICATOR_BANDS) {
		struct score_bands b = {p->v[PA_THRESHOLD], p->v[PA_TARGET], p->v[PA_BENCHMARK],
					(enum score_direction)d->direction};
		if (score_bands_check(&b, err, sizeof err) != GS_OK)
			report_add(rep, p->line, 0, "indicator '%s': bands from %s: %s", d->code, p->from, err);
	} else if (p->method == INDICATOR_STEP) {
		struct score_step s = {.target = p->v[PA_TARGET],
				       .delta = p->v[PA_DELTA],
				       .points = p->v[PA_POINTS],
				       .max_deduction = p->v[PA_MAX_DEDUCTION],
				       .bonus_points = p->has[PA_BONUS] ? p->v[PA_BONUS] : 0,
				       .max_bonus = p->has[PA_MAX_BONUS] ? p->v[PA_MAX_BONUS] : 0,
				       .whole_steps = p->whole_steps,
				       .direction = (enum score_direction)d->direction};
		if (p->has[PA_BONUS] && p->v[PA_BONUS] > 0 && !p->has[PA_MAX_BONUS])
			report_add(rep, p->line, 0, "indicator '%s': step from %s: a bonus needs max-bonus", d->code,
				   p->from);
		else if (score_step_check(&s, err, sizeof err) != GS_OK)
			report_add(rep, p->line, 0, "indicator '%s': step from %s: %s", d->code, p->from, err);
	} else {
		if (d->kind != INDICATOR_MANUAL)
			report_add(rep, p->line, 0,
				   "indicator '%s': method direct (a score entered by hand) is only for manual indicators",
				   d->code);
		if (p->has[PA_MAX] && (p->v[PA_MAX] <= 0 || p->v[PA_MAX] > SCORE_MAX))
			report_add(rep, p->line, 0, "indicator '%s': max %g must be above 0 and at most %g", d->code,
				   p->v[PA_MAX], SCORE_MAX);
	}
	if (p->has[PA_MIN_ACTUAL] && p->has[PA_MAX_ACTUAL] && p->v[PA_MIN_ACTUAL] >= p->v[PA_MAX_ACTUAL])
		report_add(rep, p->line, 0, "indicator '%s': min-actual %g must be below max-actual %g", d->code,
			   p->v[PA_MIN_ACTUAL], p->v[PA_MAX_ACTUAL]);
	return 0;
}

static int check_indicator(struct db *db, struct indicator_load_report *rep, struct f_indicator *d)
{
	if (d->kind < 0)
		report_add(rep, d->line, 0, "indicator '%s': unknown kind", d->code);
	/* owner chain */
	if (check_person(db, rep, d, "supervisor", d->supervisor) < 0 ||
	    check_person(db, rep, d, "responsible person", d->rperson) < 0 ||
	    check_person(db, rep, d, "handler", d->handler) < 0)
		return -1;
	int64_t uid = id_of(db, SQL_UNIT_ID, d->runit);
	if (uid < 0)
		return -1;
	if (uid == 0)
		report_add(rep, d->owner_line, 0, "indicator '%s': responsible unit '%s' is not a known unit", d->code,
			   d->runit);
	/* the evaluating department */
	if (d->evaluator) {
		char kind[12] = "";
		int found = unit_kind_of(db, d->evaluator, kind);
		if (found < 0)
			return -1;
		if (!found)
			report_add(rep, d->evaluator_line, 0, "indicator '%s': evaluator '%s' is not a known unit",
				   d->code, d->evaluator);
		else if (strcmp(kind, "department") != 0)
			report_add(rep, d->evaluator_line, 0,
				   "indicator '%s': evaluator '%s' is a %s; the evaluating unit must be a department",
				   d->code, d->evaluator, kind);
	} else if (d->kind == INDICATOR_MANUAL) {
		report_add(rep, d->line, 0, "indicator '%s': a manual indicator needs an <evaluator> department",
			   d->code);
	}
	/* one weight per unit kind */
	for (size_t i = 0; i < d->n_weights; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->weights[i].kind, d->weights[j].kind) == 0)
				report_add(rep, d->weights[i].line, 0,
					   "indicator '%s': a weight for %s units is given twice (first at line %ld)",
					   d->code, d->weights[i].kind, d->weights[j].line);
	/* parameters: each valid, one set per starting day */
	for (size_t i = 0; i < d->n_params; i++)
		check_params(rep, d, &d->params[i]);
	for (size_t i = 0; i < d->n_params; i++)
		for (size_t j = 0; j < i; j++)
			if (d->params[i].from_day[0] && strcmp(d->params[i].from_day, d->params[j].from_day) == 0)
				report_add(rep, d->params[i].line, 0,
					   "indicator '%s': parameters from %s start on the same day as those from %s "
					   "(line %ld)",
					   d->code, d->params[i].from, d->params[j].from, d->params[j].line);
	/* milestones */
	for (size_t i = 0; i < d->n_milestones; i++) {
		const struct f_milestone *m = &d->milestones[i];
		int64_t mid = id_of(db, SQL_UNIT_ID, m->unit);
		if (mid < 0)
			return -1;
		if (mid == 0)
			report_add(rep, m->line, 0, "indicator '%s': milestone unit '%s' is not a known unit", d->code,
				   m->unit);
		long day = survey_day_number(m->due);
		if (day < 0 || m->due[0] < '2')
			report_add(rep, m->line, 0, "indicator '%s': milestone due day '%s' is not a date from 2000 on",
				   d->code, m->due);
	}
	return 0;
}

static enum gs_result check_file(struct db *db, struct ind_file *f, struct indicator_load_report *rep)
{
	for (size_t i = 0; i < f->n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(f->ind[i].code, f->ind[j].code) == 0) {
				report_add(rep, f->ind[i].line, 0, "indicator '%s': code is defined twice (first at line %ld)",
					   f->ind[i].code, f->ind[j].line);
				break;
			}
	for (size_t i = 0; i < f->n; i++)
		if (check_indicator(db, rep, &f->ind[i]) < 0) {
			report_add(rep, 0, 0, "reading the database failed");
			return GS_ERR_DB;
		}
	/* the weights of every unit kind an indicator applies to add up to 100 */
	for (size_t k = 0; k < GS_ARRAY_LEN(unit_kinds); k++) {
		double sum = 0;
		long first_line = 0;
		size_t count = 0;
		for (size_t i = 0; i < f->n; i++)
			for (size_t j = 0; j < f->ind[i].n_weights; j++)
				if (strcmp(f->ind[i].weights[j].kind, unit_kinds[k]) == 0) {
					sum += f->ind[i].weights[j].weight;
					if (!first_line)
						first_line = f->ind[i].weights[j].line;
					count++;
					break; /* a repeated kind is reported above */
				}
		if (count && fabs(sum - WEIGHT_SUM) > WEIGHT_EPS)
			report_add(rep, first_line, 0,
				   "the weights for %s units add up to %g (%zu indicator%s); they must add up to %g",
				   unit_kinds[k], sum, count, count == 1 ? "" : "s", WEIGHT_SUM);
	}
	return GS_OK;
}

/* ---------------------------------------------------------------- applying */

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Keeps the milestones whose unit, due day and name are unchanged (and their done
 * marks), deletes the others, inserts the new ones. */
static enum gs_result milestones_sync(struct db *db, int64_t ind_id, const struct f_indicator *d)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT m.id, u.code, m.due, m.name FROM indicator_milestones m "
				       "JOIN units u ON u.id = m.unit_id WHERE m.indicator_id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, ind_id);
	char *kept = xcalloc(d->n_milestones + 1, 1);
	int64_t *gone = NULL;
	size_t n_gone = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		const char *unit = (const char *)sqlite3_column_text(st, 1);
		const char *due = (const char *)sqlite3_column_text(st, 2);
		const char *name = (const char *)sqlite3_column_text(st, 3);
		size_t j;
		for (j = 0; j < d->n_milestones; j++) {
			const struct f_milestone *m = &d->milestones[j];
			if (!kept[j] && strcmp(m->unit, unit) == 0 && strcmp(m->due, due) == 0 &&
			    strcmp(m->name, name) == 0)
				break;
		}
		if (j < d->n_milestones) {
			kept[j] = 1;
		} else {
			gone = xrealloc(gone, (n_gone + 1) * sizeof *gone);
			gone[n_gone++] = sqlite3_column_int64(st, 0);
		}
	}
	sqlite3_reset(st);
	enum gs_result r = row < 0 ? GS_ERR_DB : GS_OK;
	for (size_t i = 0; r == GS_OK && i < n_gone; i++) {
		st = db_stmt(db, "DELETE FROM indicator_milestones WHERE id = ?1");
		if (!st) {
			r = GS_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, gone[i]);
		r = db_step_done(db, st);
	}
	for (size_t j = 0; r == GS_OK && j < d->n_milestones; j++) {
		if (kept[j])
			continue;
		const struct f_milestone *m = &d->milestones[j];
		st = db_stmt(db, "INSERT INTO indicator_milestones(indicator_id, unit_id, due, name) "
				 "SELECT ?1, id, ?3, ?4 FROM units WHERE code = ?2");
		if (!st) {
			r = GS_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, ind_id);
		sqlite3_bind_text(st, 2, m->unit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->due, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, m->name, -1, SQLITE_STATIC);
		r = db_step_done(db, st);
	}
	free(kept);
	free(gone);
	return r;
}

static enum gs_result children_replace(struct db *db, int64_t ind_id, const struct f_indicator *d)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM indicator_weights WHERE indicator_id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, ind_id);
	enum gs_result r = db_step_done(db, st);
	if (r == GS_OK && (st = db_stmt(db, "DELETE FROM indicator_params WHERE indicator_id = ?1")) == NULL)
		r = GS_ERR_DB;
	if (r == GS_OK) {
		sqlite3_bind_int64(st, 1, ind_id);
		r = db_step_done(db, st);
	}
	for (size_t i = 0; r == GS_OK && i < d->n_weights; i++) {
		st = db_stmt(db, "INSERT INTO indicator_weights(indicator_id, unit_kind, weight) VALUES (?1, ?2, ?3)");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int64(st, 1, ind_id);
		sqlite3_bind_text(st, 2, d->weights[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, d->weights[i].weight);
		r = db_step_done(db, st);
	}
	for (size_t i = 0; r == GS_OK && i < d->n_params; i++) {
		const struct f_params *p = &d->params[i];
		st = db_stmt(db, "INSERT INTO indicator_params(indicator_id, from_day, from_period, method, threshold, "
				 "target, benchmark, delta, points, max_deduction, bonus, max_bonus, score_max, "
				 "min_actual, max_actual, whole_steps) "
				 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int64(st, 1, ind_id);
		sqlite3_bind_text(st, 2, p->from_day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, method_names[p->method], -1, SQLITE_STATIC);
		for (int a = 0; a < PA_COUNT; a++)
			if (p->has[a])
				sqlite3_bind_double(st, 5 + a, p->v[a]);
		sqlite3_bind_int(st, 16, p->whole_steps);
		r = db_step_done(db, st);
	}
	if (r == GS_OK)
		r = milestones_sync(db, ind_id, d);
	return r;
}

static enum gs_result apply_indicator(struct db *db, const struct f_indicator *d, int sort,
				      struct indicator_load_report *rep)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, digest, active, sort FROM indicators WHERE code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, d->code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int64_t id = 0;
	int same = 0;
	if (row == 1) {
		id = sqlite3_column_int64(st, 0);
		const char *digest = (const char *)sqlite3_column_text(st, 1);
		same = digest && strcmp(digest, d->digest) == 0 && sqlite3_column_int(st, 2) == 1 &&
		       sqlite3_column_int(st, 3) == sort;
	}
	sqlite3_reset(st);
	if (row < 0)
		return GS_ERR_DB;
	if (same) {
		rep->unchanged++;
		return GS_OK;
	}
	int64_t ids[5] = {id_of(db, SQL_PERSON_ID, d->supervisor), id_of(db, SQL_UNIT_ID, d->runit),
			  id_of(db, SQL_PERSON_ID, d->rperson), id_of(db, SQL_PERSON_ID, d->handler),
			  id_of(db, SQL_UNIT_ID, d->evaluator)};
	for (int i = 0; i < 4; i++)
		if (ids[i] <= 0)
			return GS_ERR_DB; /* checked before: only a database failure gets here */
	if (ids[4] < 0)
		return GS_ERR_DB;
	st = db_stmt(db, row == 1 ? "UPDATE indicators SET name = ?2, name_en = ?3, kind = ?4, direction = ?5, "
				    "supervisor_id = ?6, responsible_unit_id = ?7, responsible_person_id = ?8, "
				    "handler_id = ?9, evaluator_unit_id = ?10, sort = ?11, active = 1, digest = ?12 "
				    "WHERE id = ?1"
				  : "INSERT INTO indicators(code, name, name_en, kind, direction, supervisor_id, "
				    "responsible_unit_id, responsible_person_id, handler_id, evaluator_unit_id, sort, "
				    "digest) VALUES (?13, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
	if (!st)
		return GS_ERR_DB;
	if (row == 1)
		sqlite3_bind_int64(st, 1, id);
	else
		sqlite3_bind_text(st, 13, d->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, d->name_en);
	sqlite3_bind_text(st, 4, kind_names[d->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->direction == SCORE_LOWER_BETTER ? "lower" : "higher", -1, SQLITE_STATIC);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(st, 6 + i, ids[i]);
	if (ids[4] > 0)
		sqlite3_bind_int64(st, 10, ids[4]);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int(st, 11, sort);
	sqlite3_bind_text(st, 12, d->digest, -1, SQLITE_STATIC);
	enum gs_result r = db_step_done(db, st);
	if (r != GS_OK)
		return r;
	if (row == 0)
		id = sqlite3_last_insert_rowid(db_handle(db));
	r = children_replace(db, id, d);
	if (r == GS_OK) {
		if (row == 1)
			rep->updated++;
		else
			rep->created++;
	}
	return r;
}

/* Retires stored active indicators the file does not list. */
static enum gs_result retire_missing(struct db *db, const struct ind_file *f, struct indicator_load_report *rep)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, code FROM indicators WHERE active = 1");
	if (!st)
		return GS_ERR_DB;
	int64_t *gone = NULL;
	size_t n_gone = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		const char *code = (const char *)sqlite3_column_text(st, 1);
		size_t i;
		for (i = 0; i < f->n; i++)
			if (strcmp(f->ind[i].code, code) == 0)
				break;
		if (i == f->n) {
			gone = xrealloc(gone, (n_gone + 1) * sizeof *gone);
			gone[n_gone++] = sqlite3_column_int64(st, 0);
		}
	}
	sqlite3_reset(st);
	enum gs_result r = row < 0 ? GS_ERR_DB : GS_OK;
	for (size_t i = 0; r == GS_OK && i < n_gone; i++) {
		st = db_stmt(db, "UPDATE indicators SET active = 0 WHERE id = ?1");
		if (!st) {
			r = GS_ERR_DB;
			break;
		}
		sqlite3_bind_int64(st, 1, gone[i]);
		r = db_step_done(db, st);
		rep->retired++;
	}
	free(gone);
	return r;
}

/* 1 if the most recent load had this hash, 0 if not, -1 on error. */
static int last_load_is(struct db *db, const char *hex)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT sha256 FROM indicator_loads ORDER BY id DESC LIMIT 1");
	if (!st)
		return -1;
	int row = db_step_row(db, st);
	int same = row == 1 ? strcmp((const char *)sqlite3_column_text(st, 0), hex) == 0 : row;
	sqlite3_reset(st);
	return same;
}

static enum gs_result record_load(struct db *db, const char *hex, const char *name,
				  const struct indicator_load_report *rep)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO indicator_loads(sha256, file_name, loaded_at, created, updated, "
				       "unchanged, retired) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, util_now());
	sqlite3_bind_int64(st, 4, rep->created);
	sqlite3_bind_int64(st, 5, rep->updated);
	sqlite3_bind_int64(st, 6, rep->unchanged);
	sqlite3_bind_int64(st, 7, rep->retired);
	return db_step_done(db, st);
}

enum gs_result indicator_load_memory(struct db *db, const char *name, const char *data, size_t len,
				     struct indicator_load_report *report)
{
	memset(report, 0, sizeof *report);
	if (!name)
		name = "indicator file";
	if (len > INDICATOR_MAX_FILE) {
		report_add(report, 0, 0, "the file is larger than %u bytes", INDICATOR_MAX_FILE);
		return GS_ERR_TOO_LARGE;
	}
	if (!data)
		data = "", len = 0;
	char hex[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(data, len, hex);

	/* parse and validate before taking the write lock */
	struct ind_file f = {0};
	enum gs_result r = parse_file(name, data, len, report, &f);
	if (r != GS_OK) {
		ind_file_free(&f);
		return r;
	}
	r = db_begin(db);
	if (r != GS_OK) {
		report_add(report, 0, 0, "the database is busy or failed: %s", gs_result_str(r));
		ind_file_free(&f);
		return r;
	}
	int last = last_load_is(db, hex);
	if (last != 0) {
		db_rollback(db);
		ind_file_free(&f);
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
	for (size_t i = 0; r == GS_OK && i < f.n; i++)
		r = apply_indicator(db, &f.ind[i], (int)i, report);
	if (r == GS_OK)
		r = retire_missing(db, &f, report);
	if (r == GS_OK)
		r = record_load(db, hex, name, report);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK) {
		db_rollback(db);
		if (report->n_errors_total == 0)
			report_add(report, 0, 0, "the database failed (%s), nothing was changed", gs_result_str(r));
		report->created = report->updated = report->unchanged = report->retired = 0;
	}
	ind_file_free(&f);
	return r;
}

enum gs_result indicator_load_file(struct db *db, const char *path, struct indicator_load_report *report)
{
	char *data = NULL;
	size_t len = 0;
	memset(report, 0, sizeof *report);
	enum gs_result r = xmldoc_read_file(path, INDICATOR_MAX_FILE, report_xml_error, report, &data, &len);
	if (r != GS_OK)
		return r;
	r = indicator_load_memory(db, path, data ? data : "", len, report);
	free(data);
	return r;
}

void indicator_report_print(const struct indicator_load_report *rep, const char *name, void *file)
{
	FILE *out = file;
	if (!name)
		name = "indicator file";
	if (rep->n_errors_total > 0) {
		for (size_t i = 0; i < rep->n_errors; i++) {
			const struct indicator_error *e = &rep->errors[i];
			xmldoc_print_error(out, name, e->line, e->column, e->message);
		}
		xmldoc_print_rejected(out, name, rep->n_errors, rep->n_errors_total);
		return;
	}
	if (rep->already_loaded) {
		fprintf(out, "%s: already loaded, nothing changed\n", name);
		return;
	}
	fprintf(out, "%s: %ld created, %ld updated, %ld unchanged, %ld retired\n", name, rep->created, rep->updated,
		rep->unchanged, rep->retired);
}

/* ---------------------------------------------------------------- catalog queries */

#define SQL_INDICATOR_COLS                                                                                     \
	"SELECT i.id, i.code, i.name, i.name_en, i.kind, i.direction, s.code, ru.code, rp.code, h.code, e.code, " \
	"i.evaluator_unit_id, i.active FROM indicators i JOIN people s ON s.id = i.supervisor_id "               \
	"JOIN units ru ON ru.id = i.responsible_unit_id JOIN people rp ON rp.id = i.responsible_person_id "       \
	"JOIN people h ON h.id = i.handler_id LEFT JOIN units e ON e.id = i.evaluator_unit_id "

static void indicator_from_row(sqlite3_stmt *st, struct indicator *d)
{
	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(st, 0);
	d->code = db_column_strdup(st, 1);
	d->name = db_column_strdup(st, 2);
	d->name_en = db_column_strdup(st, 3);
	int k = name_index(kind_names, GS_ARRAY_LEN(kind_names), (const char *)sqlite3_column_text(st, 4));
	d->kind = k < 0 ? INDICATOR_MANUAL : (enum indicator_kind)k;
	const char *dir = (const char *)sqlite3_column_text(st, 5);
	d->direction = dir && strcmp(dir, "lower") == 0 ? SCORE_LOWER_BETTER : SCORE_HIGHER_BETTER;
	d->supervisor = db_column_strdup(st, 6);
	d->responsible_unit = db_column_strdup(st, 7);
	d->responsible_person = db_column_strdup(st, 8);
	d->handler = db_column_strdup(st, 9);
	d->evaluator = db_column_strdup(st, 10);
	d->evaluator_unit_id = sqlite3_column_int64(st, 11);
	d->active = sqlite3_column_int(st, 12);
}

static enum gs_result weights_load(struct db *db, struct indicator *d)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT unit_kind, weight FROM indicator_weights WHERE indicator_id = ?1 "
				       "ORDER BY CASE unit_kind WHEN 'company' THEN 0 WHEN 'department' THEN 1 "
				       "WHEN 'station' THEN 2 ELSE 3 END");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, d->id);
	int row;
	d->n_weights = 0;
	while ((row = db_step_row(db, st)) == 1 && d->n_weights < GS_ARRAY_LEN(d->weights)) {
		struct indicator_weight *w = &d->weights[d->n_weights++];
		snprintf(w->unit_kind, sizeof w->unit_kind, "%s", (const char *)sqlite3_column_text(st, 0));
		w->weight = sqlite3_column_double(st, 1);
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}

void indicator_clear(struct indicator *d)
{
	if (!d)
		return;
	free(d->code), free(d->name), free(d->name_en);
	free(d->supervisor), free(d->responsible_unit), free(d->responsible_person), free(d->handler);
	free(d->evaluator);
	memset(d, 0, sizeof *d);
}

void indicator_list_free(struct indicator *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		indicator_clear(&list[i]);
	free(list);
}

enum gs_result indicator_list(struct db *db, int include_retired, struct indicator **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, SQL_INDICATOR_COLS "WHERE i.active = 1 OR ?1 ORDER BY i.active DESC, i.sort, "
							  "i.code");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int(st, 1, include_retired ? 1 : 0);
	struct indicator *list = NULL;
	size_t count = 0;
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		list = xrealloc(list, (count + 1) * sizeof *list);
		indicator_from_row(st, &list[count++]);
	}
	sqlite3_reset(st);
	enum gs_result r = row < 0 ? GS_ERR_DB : GS_OK;
	for (size_t i = 0; r == GS_OK && i < count; i++)
		r = weights_load(db, &list[i]);
	if (r != GS_OK) {
		indicator_list_free(list, count);
		return r;
	}
	*out = list;
	*n = count;
	return GS_OK;
}

enum gs_result indicator_get(struct db *db, const char *code, struct indicator *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(db, SQL_INDICATOR_COLS "WHERE i.code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row == 1)
		indicator_from_row(st, out);
	sqlite3_reset(st);
	if (row <= 0)
		return row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
	enum gs_result r = weights_load(db, out);
	if (r != GS_OK)
		indicator_clear(out);
	return r;
}

double indicator_weight_for(const struct indicator *d, const char *unit_kind)
{
	for (size_t i = 0; unit_kind && i < d->n_weights; i++)
		if (strcmp(d->weights[i].unit_kind, unit_kind) == 0)
			return d->weights[i].weight;
	return 0.0;
}

#define SQL_PARAMS_COLS                                                                                         \
	"SELECT p.from_period, p.method, p.threshold, p.target, p.benchmark, p.delta, p.points, p.max_deduction, " \
	"p.bonus, p.max_bonus, p.score_max, p.min_actual, p.max_actual, p.whole_steps, i.direction "             \
	"FROM indicator_params p JOIN indicators i ON i.id = p.indicator_id "

static double col_or(sqlite3_stmt *st, int i, double dflt)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_double(st, i);
}

static void params_from_row(sqlite3_stmt *st, struct indicator_params *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->from, sizeof p->from, "%s", (const char *)sqlite3_column_text(st, 0));
	int m = name_index(method_names, GS_ARRAY_LEN(method_names), (const char *)sqlite3_column_text(st, 1));
	p->method = m < 0 ? INDICATOR_DIRECT : (enum indicator_method)m;
	const char *dir = (const char *)sqlite3_column_text(st, 14);
	enum score_direction d = dir && strcmp(dir, "lower") == 0 ? SCORE_LOWER_BETTER : SCORE_HIGHER_BETTER;
	p->bands = (struct score_bands){col_or(st, 2, 0), col_or(st, 3, 0), col_or(st, 4, 0), d};
	p->step = (struct score_step){.target = col_or(st, 3, 0),
				      .delta = col_or(st, 5, 0),
				      .points = col_or(st, 6, 0),
				      .max_deduction = col_or(st, 7, 0),
				      .bonus_points = col_or(st, 8, 0),
				      .max_bonus = col_or(st, 9, 0),
				      .whole_steps = sqlite3_column_int(st, 13),
				      .direction = d};
	p->score_max = col_or(st, 10, SCORE_FULL);
	p->has_min_actual = sqlite3_column_type(st, 11) != SQLITE_NULL;
	p->min_actual = col_or(st, 11, 0);
	p->has_max_actual = sqlite3_column_type(st, 12) != SQLITE_NULL;
	p->max_actual = col_or(st, 12, 0);
}

enum gs_result indicator_params_get(struct db *db, int64_t indicator_id, const struct score_period *period,
				    struct indicator_params *out)
{
	char first[11];
	score_period_first_day(period, first);
	sqlite3_stmt *st = db_stmt(db, SQL_PARAMS_COLS "WHERE p.indicator_id = ?1 AND p.from_day <= ?2 "
						      "ORDER BY p.from_day DESC LIMIT 1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, indicator_id);
	sqlite3_bind_text(st, 2, first, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row == 1)
		params_from_row(st, out);
	sqlite3_reset(st);
	return row == 1 ? GS_OK : row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
}

enum gs_result indicator_params_list(struct db *db, int64_t indicator_id, struct indicator_params **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, SQL_PARAMS_COLS "WHERE p.indicator_id = ?1 ORDER BY p.from_day");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, indicator_id);
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		params_from_row(st, &(*out)[(*n)++]);
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

enum gs_result indicator_params_score(const struct indicator_params *p, double actual, double *score)
{
	if (p->method == INDICATOR_BANDS)
		return score_bands_apply(&p->bands, actual, score);
	if (p->method == INDICATOR_STEP)
		return score_step_apply(&p->step, actual, score);
	return GS_ERR_INVALID;
}

void indicator_milestones_free(struct indicator_milestone *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		free(m[i].indicator_code), free(m[i].unit_code), free(m[i].name);
	free(m);
}

enum gs_result indicator_milestones_list(struct db *db, int64_t within_unit, const char *from, const char *to,
					 struct indicator_milestone **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	/* within_unit: the unit and its descendants, by a recursive walk down the tree */
	sqlite3_stmt *st = db_stmt(
	    db, "WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE ?1 = 0 OR id = ?1 "
		"UNION SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id WHERE ?1 <> 0) "
		"SELECT m.id, i.code, u.code, m.name, m.due, m.done_at IS NOT NULL FROM indicator_milestones m "
		"JOIN indicators i ON i.id = m.indicator_id JOIN units u ON u.id = m.unit_id "
		"WHERE i.active = 1 AND m.unit_id IN (SELECT id FROM sub) AND (?2 IS NULL OR m.due >= ?2) "
		"AND (?3 IS NULL OR m.due <= ?3) ORDER BY m.due, i.sort, u.code, m.id");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, within_unit);
	bind_text_or_null(st, 2, from);
	bind_text_or_null(st, 3, to);
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		struct indicator_milestone *m = &(*out)[(*n)++];
		m->id = sqlite3_column_int64(st, 0);
		m->indicator_code = db_column_strdup(st, 1);
		m->unit_code = db_column_strdup(st, 2);
		m->name = db_column_strdup(st, 3);
		snprintf(m->due, sizeof m->due, "%s", (const char *)sqlite3_column_text(st, 4));
		m->done = sqlite3_column_int(st, 5);
	}
	sqlite3_reset(st);
	if (row < 0) {
		indicator_milestones_free(*out, *n);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

/* ---------------------------------------------------------------- inputs */

int indicator_period_closed(struct db *db, const char *period)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT state = 'closed' FROM score_periods WHERE period = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int closed = row == 1 ? sqlite3_column_int(st, 0) : row;
	sqlite3_reset(st);
	return closed;
}

/* Normalises period into out: GS_ERR_INVALID with a message if malformed. */
static enum gs_result period_arg(const char *period, struct score_period *p, char out[SCORE_PERIOD_MAX], char *err,
				 size_t errlen)
{
	if (score_period_parse(period, p) != GS_OK) {
		set_err(err, errlen, "period '%.16s' is not a quarter (2026Q3) or a year (2026)", period ? period : "");
		return GS_ERR_INVALID;
	}
	score_period_format(p, out);
	return GS_OK;
}

/* GS_ERR_CONFLICT with a message if the period is closed; call inside the transaction. */
static enum gs_result period_open(struct db *db, const char *period, char *err, size_t errlen)
{
	int closed = indicator_period_closed(db, period);
	if (closed < 0)
		return GS_ERR_DB;
	if (closed) {
		set_err(err, errlen, "period %s is closed; an administrator must reopen it first", period);
		return GS_ERR_CONFLICT;
	}
	return GS_OK;
}

/* The kind of the unit with this id into kind (12 bytes): 1 found, 0 not, -1 error. */
static int unit_kind_by_id(struct db *db, int64_t id, char kind[12])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT kind FROM units WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int row = db_step_row(db, st);
	if (row == 1)
		snprintf(kind, 12, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return row;
}

static enum gs_result manual_write(struct db *db, int64_t ind_id, int64_t unit_id, const char *period,
				   int is_score, double value, const char *note, const char *login, int64_t now)
{
	static const char *const sql[2] = {
	    "INSERT INTO score_manual(indicator_id, unit_id, period, actual, score, note, entered_by, entered_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (indicator_id, unit_id, period) DO UPDATE SET "
	    "actual = excluded.actual, score = excluded.score, note = excluded.note, "
	    "entered_by = excluded.entered_by, entered_at = excluded.entered_at",
	    "INSERT INTO score_manual_history(indicator_id, unit_id, period, actual, score, note, entered_by, "
	    "entered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"};
	enum gs_result r = GS_OK;
	for (int i = 0; r == GS_OK && i < 2; i++) {
		sqlite3_stmt *st = db_stmt(db, sql[i]);
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int64(st, 1, ind_id);
		sqlite3_bind_int64(st, 2, unit_id);
		sqlite3_bind_text(st, 3, period, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, is_score ? 5 : 4, value);
		bind_text_or_null(st, 6, note);
		sqlite3_bind_text(st, 7, login, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, now);
		r = db_step_done(db, st);
	}
	return r;
}

enum gs_result indicator_manual_set(struct db *db, const struct auth_user *who, const char *indicator_code,
				    const char *unit_code, const char *period, int is_score, double value,
				    const char *note, int64_t now, char *err, size_t errlen)
{
	struct score_period per;
	char pstr[SCORE_PERIOD_MAX];
	struct indicator ind = {0};
	struct org_unit unit = {0};
	struct indicator_params params;
	enum gs_result r = period_arg(period, &per, pstr, err, errlen);
	if (r != GS_OK)
		goto out;
	if (note && strlen(note) > 2000) {
		set_err(err, errlen, "the note is longer than 2000 bytes");
		r = GS_ERR_INVALID;
		goto out;
	}
	r = indicator_get(db, indicator_code, &ind);
	if (r != GS_OK || !ind.active) {
		if (r == GS_OK || r == GS_ERR_NOT_FOUND) {
			set_err(err, errlen, "indicator '%.64s' is not in the catalog", indicator_code ? indicator_code : "");
			r = GS_ERR_NOT_FOUND;
		}
		goto out;
	}
	if (ind.kind != INDICATOR_MANUAL) {
		set_err(err, errlen, "indicator '%s' is computed from %s data, not entered by hand", ind.code,
			ind.kind == INDICATOR_COVERAGE ? "meter" : "survey");
		r = GS_ERR_INVALID;
		goto out;
	}
	r = org_unit_get(db, unit_code ? unit_code : "", &unit);
	if (r != GS_OK) {
		if (r == GS_ERR_NOT_FOUND)
			set_err(err, errlen, "unit '%.64s' does not exist", unit_code ? unit_code : "");
		goto out;
	}
	if (indicator_weight_for(&ind, unit.kind) <= 0) {
		set_err(err, errlen, "indicator '%s' does not apply to %s units such as '%s'", ind.code, unit.kind,
			unit.code);
		r = GS_ERR_INVALID;
		goto out;
	}
	/* the evaluating department (or a team of it) enters the value, nobody else */
	int within = who && who->unit_id ? org_unit_within(db, who->unit_id, ind.evaluator_unit_id) : 0;
	if (within < 0) {
		r = GS_ERR_DB;
		goto out;
	}
	if (!within) {
		set_err(err, errlen, "only the evaluating department %s enters indicator '%s'; %s is not of it",
			ind.evaluator ? ind.evaluator : "?", ind.code, who ? who->login : "this user");
		r = GS_ERR_FORBIDDEN;
		goto out;
	}
	r = indicator_params_get(db, ind.id, &per, &params);
	if (r != GS_OK) {
		if (r == GS_ERR_NOT_FOUND) {
			set_err(err, errlen, "indicator '%s' has no parameters in force for %s", ind.code, pstr);
			r = GS_ERR_INVALID;
		}
		goto out;
	}
	if (!isfinite(value)) {
		set_err(err, errlen, "the value must be a number");
		r = GS_ERR_INVALID;
		goto out;
	}
	if (params.method == INDICATOR_DIRECT) {
		if (!is_score) {
			set_err(err, errlen, "indicator '%s' is scored directly: enter a score, not an actual", ind.code);
			r = GS_ERR_INVALID;
			goto out;
		}
		if (value < 0 || value > params.score_max) {
			set_err(err, errlen, "score %g for '%s' is outside 0..%g", value, ind.code, params.score_max);
			r = GS_ERR_INVALID;
			goto out;
		}
	} else {
		if (is_score) {
			set_err(err, errlen, "indicator '%s' is scored by %s from its actual: enter the actual", ind.code,
				indicator_method_name(params.method));
			r = GS_ERR_INVALID;
			goto out;
		}
		if ((params.has_min_actual && value < params.min_actual) ||
		    (params.has_max_actual && value > params.max_actual)) {
			set_err(err, errlen, "actual %g for '%s' is outside %g..%g", value, ind.code,
				params.has_min_actual ? params.min_actual : -INFINITY,
				params.has_max_actual ? params.max_actual : INFINITY);
			r = GS_ERR_INVALID;
			goto out;
		}
	}
	r = db_begin(db);
	if (r != GS_OK)
		goto out;
	r = period_open(db, pstr, err, errlen);
	if (r == GS_OK)
		r = manual_write(db, ind.id, unit.id, pstr, is_score, value, note, who->login, now);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
out:
	if (r != GS_OK && err && errlen && !err[0])
		set_err(err, errlen, "storing the value failed (%s)", gs_result_str(r));
	indicator_clear(&ind);
	org_unit_clear(&unit);
	return r;
}

void indicator_manual_free(struct indicator_manual_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].indicator_code), free(rows[i].unit_code), free(rows[i].entered_by), free(rows[i].note);
	free(rows);
}

enum gs_result indicator_manual_list(struct db *db, const char *period, struct indicator_manual_row **out,
				     size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT i.code, u.code, m.entered_by, m.note, m.score IS NOT NULL, "
				       "COALESCE(m.score, m.actual), m.entered_at FROM score_manual m "
				       "JOIN indicators i ON i.id = m.indicator_id JOIN units u ON u.id = m.unit_id "
				       "WHERE m.period = ?1 ORDER BY i.sort, i.code, u.code");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, period ? period : "", -1, SQLITE_STATIC);
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		struct indicator_manual_row *m = &(*out)[(*n)++];
		m->indicator_code = db_column_strdup(st, 0);
		m->unit_code = db_column_strdup(st, 1);
		m->entered_by = db_column_strdup(st, 2);
		m->note = db_column_strdup(st, 3);
		m->is_score = sqlite3_column_int(st, 4);
		m->value = sqlite3_column_double(st, 5);
		m->entered_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (row < 0) {
		indicator_manual_free(*out, *n);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

/* Admins, and users whose unit is a department, record and decide adjustments. */
static enum gs_result may_adjust(struct db *db, const struct auth_user *who, char *err, size_t errlen)
{
	if (who && who->role == AUTH_ROLE_ADMIN)
		return GS_OK;
	char kind[12] = "";
	int found = who && who->unit_id ? unit_kind_by_id(db, who->unit_id, kind) : 0;
	if (found < 0)
		return GS_ERR_DB;
	if (found && strcmp(kind, "department") == 0 && who->role != AUTH_ROLE_STATION)
		return GS_OK;
	set_err(err, errlen, "deductions and bonuses are recorded by administrators and departments; %s is neither",
		who ? who->login : "this user");
	return GS_ERR_FORBIDDEN;
}

enum gs_result indicator_adjustment_add(struct db *db, const struct auth_user *who,
					const struct indicator_adjustment_in *in, int proposed, int64_t now,
					int64_t *id, char *err, size_t errlen)
{
	struct score_period per;
	char pstr[SCORE_PERIOD_MAX];
	int64_t unit_id = 0, ind_id = 0;
	enum gs_result r = may_adjust(db, who, err, errlen);
	if (r == GS_OK)
		r = period_arg(in->period, &per, pstr, err, errlen);
	if (r != GS_OK)
		return r;
	if (!isfinite(in->points) || in->points <= 0 || in->points > 100) {
		set_err(err, errlen, "points must be above 0 and at most 100");
		return GS_ERR_INVALID;
	}
	const char *reason = in->reason;
	while (reason && (*reason == ' ' || *reason == '\t' || *reason == '\n' || *reason == '\r'))
		reason++;
	if (!reason || !*reason) {
		set_err(err, errlen, "a reason is required");
		return GS_ERR_INVALID;
	}
	if (strlen(in->reason) > 500 || (in->evidence && strlen(in->evidence) > 2000)) {
		set_err(err, errlen, "the reason (500 bytes) or the evidence (2000 bytes) is too long");
		return GS_ERR_INVALID;
	}
	if ((unsigned)in->source >= GS_ARRAY_LEN(source_names)) {
		set_err(err, errlen, "unknown source");
		return GS_ERR_INVALID;
	}
	unit_id = id_of(db, SQL_UNIT_ID, in->unit_code ? in->unit_code : "");
	if (unit_id <= 0) {
		if (unit_id == 0)
			set_err(err, errlen, "unit '%.64s' does not exist", in->unit_code ? in->unit_code : "");
		return unit_id < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
	}
	if (in->indicator_code) {
		ind_id = id_of(db, "SELECT id FROM indicators WHERE code = ?1 AND active = 1", in->indicator_code);
		if (ind_id <= 0) {
			if (ind_id == 0)
				set_err(err, errlen, "indicator '%.64s' is not in the catalog", in->indicator_code);
			return ind_id < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
		}
	}
	r = db_begin(db);
	if (r != GS_OK)
		return r;
	r = period_open(db, pstr, err, errlen);
	sqlite3_stmt *st = NULL;
	if (r == GS_OK &&
	    !(st = db_stmt(db, "INSERT INTO score_adjustments(unit_id, period, kind, points, reason, evidence, source, "
			       "indicator_id, state, created_by, created_at, decided_by, decided_at) "
			       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")))
		r = GS_ERR_DB;
	if (r == GS_OK) {
		sqlite3_bind_int64(st, 1, unit_id);
		sqlite3_bind_text(st, 2, pstr, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, in->bonus ? "bonus" : "deduction", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, in->points);
		sqlite3_bind_text(st, 5, in->reason, -1, SQLITE_STATIC);
		bind_text_or_null(st, 6, in->evidence);
		sqlite3_bind_text(st, 7, source_names[in->source], -1, SQLITE_STATIC);
		if (ind_id)
			sqlite3_bind_int64(st, 8, ind_id);
		sqlite3_bind_text(st, 9, proposed ? "proposed" : "confirmed", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, who->login, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, now);
		if (!proposed) {
			sqlite3_bind_text(st, 12, who->login, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 13, now);
		}
		r = db_step_done(db, st);
	}
	if (r == GS_OK && id)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}

enum gs_result indicator_adjustment_decide(struct db *db, const struct auth_user *who, int64_t id, int confirm,
					   int64_t now, char *err, size_t errlen)
{
	enum gs_result r = may_adjust(db, who, err, errlen);
	if (r != GS_OK)
		return r;
	r = db_begin(db);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st = db_stmt(db, "SELECT period, state FROM score_adjustments WHERE id = ?1");
	char period[SCORE_PERIOD_MAX] = "", state[16] = "";
	int row = st ? (sqlite3_bind_int64(st, 1, id), db_step_row(db, st)) : -1;
	if (row == 1) {
		snprintf(period, sizeof period, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	if (st)
		sqlite3_reset(st);
	if (row < 0) {
		r = GS_ERR_DB;
	} else if (row == 0) {
		set_err(err, errlen, "adjustment %lld does not exist", (long long)id);
		r = GS_ERR_NOT_FOUND;
	} else if (strcmp(state, "proposed") != 0) {
		set_err(err, errlen, "adjustment %lld was %s already", (long long)id, state);
		r = GS_ERR_CONFLICT;
	} else {
		r = period_open(db, period, err, errlen);
	}
	if (r == GS_OK) {
		st = db_stmt(db, "UPDATE score_adjustments SET state = ?2, decided_by = ?3, decided_at = ?4 WHERE id = ?1");
		if (!st) {
			r = GS_ERR_DB;
		} else {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_text(st, 2, confirm ? "confirmed" : "rejected", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, who->login, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, now);
			r = db_step_done(db, st);
		}
	}
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}

enum gs_result indicator_propose_overdue(struct db *db, const char *period, double points, int64_t now,
					 long *proposed)
{
	struct score_period per;
	char pstr[SCORE_PERIOD_MAX];
	if (proposed)
		*proposed = 0;
	if (period_arg(period, &per, pstr, NULL, 0) != GS_OK || !isfinite(points) || points <= 0 || points > 100)
		return GS_ERR_INVALID;
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	int closed = indicator_period_closed(db, pstr);
	if (closed != 0) {
		db_rollback(db);
		return closed < 0 ? GS_ERR_DB : GS_OK;
	}
	/* one set-based statement; followup_id is UNIQUE, so each follow-up is proposed once */
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO score_adjustments(unit_id, period, kind, points, reason, evidence, source, followup_id, "
		"state, created_by, created_at) "
		"SELECT h.station_id, ?1, 'deduction', ?2, 'survey follow-up ' || f.id || ' of hall ' || h.code || "
		"' overdue', CASE WHEN f.closed_at IS NULL THEN 'still open' ELSE 'closed late' END, "
		"'overdue-followup', f.id, 'proposed', 'system', ?3 "
		"FROM survey_followups f JOIN halls h ON h.id = f.hall_id "
		"WHERE f.due_at >= ?4 AND f.due_at < ?5 AND ((f.closed_at IS NULL AND f.due_at < ?3) OR "
		"f.closed_at > f.due_at) AND NOT EXISTS (SELECT 1 FROM score_adjustments a WHERE a.followup_id = f.id) "
		"ORDER BY f.id");
	if (!st) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	sqlite3_bind_text(st, 1, pstr, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, points);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, score_period_start(&per));
	sqlite3_bind_int64(st, 5, score_period_end(&per));
	r = db_step_done(db, st);
	long added = r == GS_OK ? sqlite3_changes(db_handle(db)) : 0;
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK) {
		db_rollback(db);
		return r;
	}
	if (proposed)
		*proposed = added;
	return GS_OK;
}

void indicator_adjustments_free(struct indicator_adjustment_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		struct indicator_adjustment_row *a = &rows[i];
		free(a->unit_code), free(a->period), free(a->reason), free(a->evidence), free(a->source);
		free(a->indicator_code), free(a->state), free(a->created_by), free(a->decided_by);
	}
	free(rows);
}

enum gs_result indicator_adjustments_list(struct db *db, const char *period, struct indicator_adjustment_row **out,
					  size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT a.id, u.code, a.period, a.reason, a.evidence, a.source, i.code, a.state, "
				       "a.created_by, a.decided_by, a.kind = 'bonus', a.points, a.created_at, "
				       "COALESCE(a.decided_at, 0), COALESCE(a.followup_id, 0) FROM score_adjustments a "
				       "JOIN units u ON u.id = a.unit_id LEFT JOIN indicators i ON i.id = a.indicator_id "
				       "WHERE a.period = ?1 ORDER BY u.code, a.id");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, period ? period : "", -1, SQLITE_STATIC);
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		struct indicator_adjustment_row *a = &(*out)[(*n)++];
		a->id = sqlite3_column_int64(st, 0);
		a->unit_code = db_column_strdup(st, 1);
		a->period = db_column_strdup(st, 2);
		a->reason = db_column_strdup(st, 3);
		a->evidence = db_column_strdup(st, 4);
		a->source = db_column_strdup(st, 5);
		a->indicator_code = db_column_strdup(st, 6);
		a->state = db_column_strdup(st, 7);
		a->created_by = db_column_strdup(st, 8);
		a->decided_by = db_column_strdup(st, 9);
		a->bonus = sqlite3_column_int(st, 10);
		a->points = sqlite3_column_double(st, 11);
		a->created_at = sqlite3_column_int64(st, 12);
		a->decided_at = sqlite3_column_int64(st, 13);
		a->followup_id = sqlite3_column_int64(st, 14);
	}
	sqlite3_reset(st);
	if (row < 0) {
		indicator_adjustments_free(*out, *n);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

/* ---------------------------------------------------------------- closing */

/* Appends the rows of a query as JSON objects (column names as keys) to arr. The
 * statement's parameter 1 is the period. */
static enum gs_result rows_json(struct db *db, const char *sql, const char *period, const char *first_day,
				json_t *arr)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, first_day, -1, SQLITE_STATIC);
	int row;
	while ((row = db_step_row(db, st)) == 1) {
		json_t *o = json_object();
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *name = sqlite3_column_name(st, c);
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_INTEGER:
				json_object_set_new(o, name, json_integer(sqlite3_column_int64(st, c)));
				break;
			case SQLITE_FLOAT:
				json_object_set_new(o, name, json_real(sqlite3_column_double(st, c)));
				break;
			case SQLITE_NULL:
				break; /* absent keys keep the text short and stable */
			default:
				json_object_set_new(o, name, json_string((const char *)sqlite3_column_text(st, c)));
			}
		}
		json_array_append_new(arr, o);
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}

/* The canonical JSON of what a period's report is made of. Caller frees. */
static enum gs_result snapshot_build(struct db *db, const char *period, const char *first_day,
				     const char *scores_json, char **out)
{
	static const char *const parts[][2] = {
	    {"indicators",
	     "SELECT i.code AS code, i.kind AS kind, i.direction AS direction, "
	     "(SELECT group_concat(w.unit_kind || '=' || w.weight, ';') FROM (SELECT * FROM indicator_weights "
	     "WHERE indicator_id = i.id ORDER BY unit_kind) w) AS weights, p.from_period AS params_from, "
	     "p.method AS method, p.threshold AS threshold, p.target AS target, p.benchmark AS benchmark, "
	     "p.delta AS delta, p.points AS points, p.max_deduction AS max_deduction, p.bonus AS bonus, "
	     "p.max_bonus AS max_bonus, p.whole_steps AS whole_steps, p.score_max AS score_max "
	     "FROM indicators i LEFT JOIN indicator_params p ON p.indicator_id = i.id AND p.from_day = "
	     "(SELECT max(from_day) FROM indicator_params WHERE indicator_id = i.id AND from_day <= ?2) "
	     "WHERE i.active = 1 ORDER BY i.code"},
	    {"manual",
	     "SELECT i.code AS indicator, u.code AS unit, m.actual AS actual, m.score AS score, "
	     "m.entered_by AS entered_by, m.entered_at AS entered_at FROM score_manual m "
	     "JOIN indicators i ON i.id = m.indicator_id JOIN units u ON u.id = m.unit_id WHERE m.period = ?1 "
	     "ORDER BY i.code, u.code"},
	    {"adjustments",
	     "SELECT a.id AS id, u.code AS unit, a.kind AS kind, a.points AS points, a.source AS source, "
	     "a.reason AS reason, a.evidence AS evidence, i.code AS indicator, a.created_by AS created_by, "
	     "a.decided_by AS decided_by FROM score_adjustments a JOIN units u ON u.id = a.unit_id "
	     "LEFT JOIN indicators i ON i.id = a.indicator_id WHERE a.period = ?1 AND a.state = 'confirmed' "
	     "ORDER BY a.id"}};
	json_t *root = json_object();
	json_object_set_new(root, "period", json_string(period));
	json_object_set_new(root, "format", json_integer(1));
	enum gs_result r = GS_OK;
	for (size_t i = 0; r == GS_OK && i < GS_ARRAY_LEN(parts); i++) {
		json_t *arr = json_array();
		json_object_set_new(root, parts[i][0], arr);
		r = rows_json(db, parts[i][1], period, first_day, arr);
	}
	if (r == GS_OK && scores_json) {
		json_t *scores = json_loads(scores_json, 0, NULL);
		if (!scores)
			r = GS_ERR_INTERNAL;
		else
			json_object_set_new(root, "scores", scores);
	}
	*out = r == GS_OK ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(root);
	if (r == GS_OK && !*out)
		r = GS_ERR_INTERNAL;
	return r;
}

static enum gs_result period_event(struct db *db, const char *period, const char *action, const char *actor,
				   const char *reason, const char *sha, int64_t now)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO score_period_events(period, action, at, actor, reason, sha256) "
				       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
	bind_text_or_null(st, 5, reason);
	bind_text_or_null(st, 6, sha);
	enum gs_result r = db_step_done(db, st);
	if (r == GS_OK) {
		char detail[160];
		snprintf(detail, sizeof detail, "period %s%s%.64s", period, sha ? " sha256 " : "", sha ? sha : "");
		r = auth_audit(db, actor, strcmp(action, "close") == 0 ? "period.close" : "period.reopen", detail);
	}
	return r;
}

enum gs_result indicator_period_close(struct db *db, const struct auth_user *who, const char *period, int64_t now,
				      const char *scores_json, char *sha256_out, char *err, size_t errlen)
{
	struct score_period per;
	char pstr[SCORE_PERIOD_MAX], first[11], hex[65];
	char *content = NULL;
	if (!who || (who->role != AUTH_ROLE_ADMIN && who->role != AUTH_ROLE_MANAGER)) {
		set_err(err, errlen, "only administrators and managers close periods");
		return GS_ERR_FORBIDDEN;
	}
	enum gs_result r = period_arg(period, &per, pstr, err, errlen);
	if (r != GS_OK)
		return r;
	score_period_first_day(&per, first);
	r = db_begin(db);
	if (r != GS_OK)
		return r;
	r = period_open(db, pstr, err, errlen);
	if (r == GS_OK)
		r = snapshot_build(db, pstr, first, scores_json, &content);
	sqlite3_stmt *st = NULL;
	int64_t snap = 0;
	if (r == GS_OK) {
		util_sha256_hex(content, strlen(content), hex);
		st = db_stmt(db, "INSERT INTO score_snapshots(period, created_at, created_by, content, sha256) "
				 "VALUES (?1, ?2, ?3, ?4, ?5)");
		if (!st)
			r = GS_ERR_DB;
	}
	if (r == GS_OK) {
		sqlite3_bind_text(st, 1, pstr, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_text(st, 3, who->login, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, content, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, hex, -1, SQLITE_STATIC);
		r = db_step_done(db, st);
		snap = sqlite3_last_insert_rowid(db_handle(db));
	}
	if (r == GS_OK) {
		st = db_stmt(db, "INSERT INTO score_periods(period, state, changed_at, changed_by, snapshot_id) "
				 "VALUES (?1, 'closed', ?2, ?3, ?4) ON CONFLICT (period) DO UPDATE SET state = 'closed', "
				 "changed_at = excluded.changed_at, changed_by = excluded.changed_by, "
				 "snapshot_id = excluded.snapshot_id");
		if (!st) {
			r = GS_ERR_DB;
		} else {
			sqlite3_bind_text(st, 1, pstr, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, now);
			sqlite3_bind_text(st, 3, who->login, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, snap);
			r = db_step_done(db, st);
		}
	}
	if (r == GS_OK)
		r = period_event(db, pstr, "close", who->login, NULL, hex, now);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	else if (sha256_out)
		memcpy(sha256_out, hex, sizeof hex);
	free(content);
	return r;
}

enum gs_result indicator_period_reopen(struct db *db, const struct auth_user *who, const char *period,
				       const char *reason, int64_t now, char *err, size_t errlen)
{
	struct score_period per;
	char pstr[SCORE_PERIOD_MAX];
	if (!who || who->role != AUTH_ROLE_ADMIN) {
		set_err(err, errlen, "only an administrator reopens a closed period");
		return GS_ERR_FORBIDDEN;
	}
	enum gs_result r = period_arg(period, &per, pstr, err, errlen);
	if (r != GS_OK)
		return r;
	const char *p = reason;
	while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (!p || !*p || strlen(reason) > 500) {
		set_err(err, errlen, "reopening needs a reason (at most 500 bytes)");
		return GS_ERR_INVALID;
	}
	r = db_begin(db);
	if (r != GS_OK)
		return r;
	int closed = indicator_period_closed(db, pstr);
	if (closed < 0) {
		r = GS_ERR_DB;
	} else if (!closed) {
		set_err(err, errlen, "period %s is not closed", pstr);
		r = GS_ERR_CONFLICT;
	}
	sqlite3_stmt *st = NULL;
	if (r == GS_OK && !(st = db_stmt(db, "UPDATE score_periods SET state = 'open', changed_at = ?2, "
					     "changed_by = ?3 WHERE period = ?1")))
		r = GS_ERR_DB;
	if (r == GS_OK) {
		sqlite3_bind_text(st, 1, pstr, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_text(st, 3, who->login, -1, SQLITE_STATIC);
		r = db_step_done(db, st);
	}
	if (r == GS_OK)
		r = period_event(db, pstr, "reopen", who->login, reason, NULL, now);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}

enum gs_result indicator_snapshot_get(struct db *db, const char *period, char **content, char sha256[65])
{
	*content = NULL;
	sqlite3_stmt *st = db_stmt(db, "SELECT content, sha256 FROM score_snapshots WHERE period = ?1 "
				       "ORDER BY id DESC LIMIT 1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, period ? period : "", -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row == 1) {
		*content = db_column_strdup(st, 0);
		snprintf(sha256, 65, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return row == 1 ? GS_OK : row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
}

enum gs_result indicator_snapshot_latest(struct db *db, const char *period, int64_t *id, char sha256[65])
{
	*id = 0;
	sha256[0] = '\0';
	sqlite3_stmt *st = db_stmt(db, "SELECT id, sha256 FROM score_snapshots WHERE period = ?1 "
				       "ORDER BY id DESC LIMIT 1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, period ? period : "", -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row == 1) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(sha256, 65, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return row == 1 ? GS_OK : row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
}

enum gs_result indicator_milestone_set_done(struct db *db, const struct auth_user *by, int64_t id, int done,
					    int64_t now, char *err, size_t errlen)
{
	err[0] = '\0';
	sqlite3_stmt *st = db_stmt(db, "SELECT m.unit_id, m.done_at IS NOT NULL, m.name, u.code FROM indicator_milestones m "
				       "JOIN units u ON u.id = m.unit_id WHERE m.id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	int row = db_step_row(db, st);
	if (row != 1) {
		sqlite3_reset(st);
		if (row == 0)
			snprintf(err, errlen, "no milestone %lld", (long long)id);
		return row == 0 ? GS_ERR_NOT_FOUND : GS_ERR_DB;
	}
	int64_t unit_id = sqlite3_column_int64(st, 0);
	int is_done = sqlite3_column_int(st, 1);
	char detail[200];
	snprintf(detail, sizeof detail, "milestone %lld (%s, %.120s)", (long long)id,
		 (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	if (by->role != AUTH_ROLE_ADMIN && by->role != AUTH_ROLE_MANAGER) {
		int within = by->unit_id ? org_unit_within(db, unit_id, by->unit_id) : 0;
		if (within < 0)
			return GS_ERR_DB;
		if (!within) {
			snprintf(err, errlen, "this milestone belongs to a unit outside yours");
			return GS_ERR_FORBIDDEN;
		}
	}
	if (is_done == (done != 0)) {
		snprintf(err, errlen, done ? "this milestone is already marked done" : "this milestone is not marked done");
		return GS_ERR_CONFLICT;
	}
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	st = db_stmt(db, "UPDATE indicator_milestones SET done_at = ?2, done_by = ?3 WHERE id = ?1");
	if (!st)
		r = GS_ERR_DB;
	if (r == GS_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (done) {
			sqlite3_bind_int64(st, 2, now);
			sqlite3_bind_text(st, 3, by->login, -1, SQLITE_STATIC);
		}
		r = db_step_done(db, st);
	}
	if (r == GS_OK)
		r = auth_audit(db, by->login, done ? "milestone.done" : "milestone.reopen", detail);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}
