/* scoring.c — computes a period's scores from the stored data (see scoring.h): it
 * gathers the inputs through survey.h, meter.h, org.h and indicator.h, applies the
 * formulas of score.h, and reads a closed period back from its snapshot. Its own SQL
 * is the settings lookup and the report cache's version and expiry (which read other
 * modules' tables: see the cache below); everything else goes through the owning
 * modules. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "scoring.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meter_bulk.h"
#include "org.h"
#include "stats.h"
#include "survey.h"
#include "survey_bulk.h"
#include "util.h"

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

/* A numeric setting (table settings), or dflt when absent or not a number. */
static double setting_double(struct db *db, const char *name, double dflt)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT value FROM settings WHERE name = ?1");
	if (!st)
		return dflt;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	double v = dflt;
	if (db_step_row(db, st) == 1) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		char *end = NULL;
		double x = s ? strtod(s, &end) : NAN;
		if (s && end != s && *end == '\0' && isfinite(x))
			v = x;
	}
	sqlite3_reset(st);
	return v;
}

void scoring_current_quarter(int64_t t, char out[SCORE_PERIOD_MAX])
{
	char day[11];
	int hour, wd;
	survey_local_time(t, day, &hour, &wd);
	struct score_period p = {.year = atoi(day), .quarter = (atoi(day + 5) - 1) / 3 + 1};
	score_period_format(&p, out);
}

/* ---------------------------------------------------------------- freeing */

static void indicator_row_clear(struct scoring_indicator *x)
{
	free(x->code), free(x->name), free(x->name_en), free(x->rate_from), free(x->note);
}

void scoring_milestones_free(struct scoring_milestone *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		free(m[i].indicator), free(m[i].unit), free(m[i].name), free(m[i].person);
	free(m);
}

static pthread_mutex_t cache_mutex = PTHREAD_MUTEX_INITIALIZER;

void scoring_free(struct scoring_result *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&cache_mutex);
	int shared = r->refs > 0;
	if (shared)
		r->refs--;
	pthread_mutex_unlock(&cache_mutex);
	if (shared)
		return;
	for (size_t i = 0; i < r->n_units; i++) {
		struct scoring_unit *u = &r->units[i];
		for (size_t k = 0; k < u->n_ind; k++)
			indicator_row_clear(&u->ind[k]);
		free(u->ind);
		free(u->code), free(u->name), free(u->name_en), free(u->kind), free(u->parent_code);
	}
	free(r->units);
	for (size_t i = 0; i < r->n_leaders; i++) {
		struct scoring_leader *l = &r->leaders[i];
		free(l->person_code), free(l->person_name), free(l->title), free(l->unit_code), free(l->unit_kind);
		free(l->linked);
	}
	free(r->leaders);
	for (size_t i = 0; i < r->n_groups; i++)
		free(r->groups[i].kind);
	free(r->groups);
	for (size_t i = 0; i < r->n_diffs; i++)
		free(r->diffs[i].evaluator), free(r->diffs[i].indicator), free(r->diffs[i].kind);
	free(r->diffs);
	scoring_milestones_free(r->milestones, r->n_milestones);
	free(r);
}

const struct scoring_unit *scoring_find_unit(const struct scoring_result *r, const char *code)
{
	for (size_t i = 0; r && code && i < r->n_units; i++)
		if (strcmp(r->units[i].code, code) == 0)
			return &r->units[i];
	return NULL;
}

/* ---------------------------------------------------------------- milestones */

static int milestone_cmp(const void *a, const void *b)
{
	const struct scoring_milestone *x = a, *y = b;
	int c = strcmp(x->person ? x->person : "", y->person ? y->person : "");
	if (c == 0)
		c = strcmp(x->unit, y->unit);
	if (c == 0)
		c = strcmp(x->due, y->due);
	if (c == 0)
		c = strcmp(x->indicator, y->indicator);
	return c;
}

enum gs_result scoring_due(struct db *db, int64_t within_unit, const char *today, int days,
			   struct scoring_milestone **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	long t = survey_day_number(today);
	if (t < 0 || days < 0)
		return GS_ERR_INVALID;
	char until[11];
	survey_day_string(t + days, until);
	struct indicator_milestone *m = NULL;
	struct indicator *inds = NULL;
	size_t nm = 0, ni = 0;
	enum gs_result r = indicator_milestones_list(db, within_unit, NULL, until, &m, &nm);
	if (r == GS_OK)
		r = indicator_list(db, 0, &inds, &ni);
	if (r == GS_OK) {
		for (size_t i = 0; i < nm; i++) {
			if (m[i].done)
				continue;
			*out = xrealloc(*out, (*n + 1) * sizeof **out);
			struct scoring_milestone *s = &(*out)[(*n)++];
			memset(s, 0, sizeof *s);
			s->id = m[i].id;
			s->indicator = xstrdup(m[i].indicator_code);
			s->unit = xstrdup(m[i].unit_code);
			s->name = xstrdup(m[i].name);
			snprintf(s->due, sizeof s->due, "%s", m[i].due);
			s->overdue = strcmp(m[i].due, today) < 0;
			for (size_t k = 0; k < ni; k++)
				if (strcmp(inds[k].code, m[i].indicator_code) == 0)
					s->person = xstrdup(inds[k].responsible_person);
		}
		if (*n > 1)
			qsort(*out, *n, sizeof **out, milestone_cmp);
	}
	indicator_milestones_free(m, nm);
	indicator_list_free(inds, ni);
	return r;
}

/* ---------------------------------------------------------------- computing */

/* A unit's survey counts over the period, as survey_stats_get would give them. */
struct unit_sat {
	int64_t responses, satisfied;
	double rate, ci_low, ci_high;
	int sample_ok;
};

struct id_index {
	int64_t id;
	size_t i;
};

/* What one computation shares: the org tree with lookups by id, the catalog with the
 * parameters in force, and every unit's inputs gathered in a few bulk reads (survey
 * counts, coverage, follow-ups), so nothing is queried per unit. */
struct calc {
	struct db *db;
	struct score_period per;
	char period[SCORE_PERIOD_MAX], first[11], last[11];
	struct survey_settings set;
	struct org_unit *units;
	size_t n_units;
	struct id_index *by_id;        /* sorted by id */
	size_t *parent;                /* each unit's parent index, (size_t)-1 for the root */
	struct indicator *inds;
	size_t n_inds;
	struct indicator_params *params;
	int *has_params;
	struct score_unit_params unit_params;
	struct unit_sat *sat;          /* per unit */
	long *points, *smart;          /* per unit: coverage on the last day, pooled over its stations */
	int64_t *fu_open, *fu_overdue; /* per unit: open follow-ups of the halls within it */
	const struct indicator_manual_row **manual; /* sorted by unit code, indicator code */
	size_t n_manual;
};

static int id_index_cmp(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static size_t unit_index_by_id(const struct calc *c, int64_t id)
{
	struct id_index key = {.id = id};
	const struct id_index *hit = bsearch(&key, c->by_id, c->n_units, sizeof key, id_index_cmp);
	return hit ? hit->i : (size_t)-1;
}

/* The customer-evaluation actual of unit i: its own top-two rate, or the nearest
 * ancestor's when its sample is below the minimum. */
static void customer_actual(const struct calc *c, size_t i, struct scoring_indicator *x)
{
	const struct unit_sat *own = &c->sat[i], *s = own;
	size_t at = i;
	while (!s->sample_ok && c->parent[at] != (size_t)-1) {
		at = c->parent[at];
		s = &c->sat[at];
	}
	if (!s->sample_ok) {
		x->responses = own->responses;
		x->satisfied = own->satisfied;
		x->note = xasprintf("insufficient sample: %lld responses (minimum %d), none of the units above has enough",
				    (long long)own->responses, c->set.min_sample);
		return;
	}
	x->has_actual = 1;
	x->actual = s->rate;
	x->responses = s->responses;
	x->satisfied = s->satisfied;
	x->ci_low = s->ci_low;
	x->ci_high = s->ci_high;
	x->rate_from = xstrdup(c->units[at].code);
	if (at != i) {
		x->fallback = 1;
		x->note = xasprintf("insufficient sample: %lld responses (minimum %d); the rate of %s is used",
				    (long long)own->responses, c->set.min_sample, c->units[at].code);
	}
}

static int manual_cmp(const void *a, const void *b)
{
	const struct indicator_manual_row *x = *(const struct indicator_manual_row *const *)a,
					  *y = *(const struct indicator_manual_row *const *)b;
	int k = strcmp(x->unit_code, y->unit_code);
	return k ? k : strcmp(x->indicator_code, y->indicator_code);
}

static const struct indicator_manual_row *manual_find(const struct calc *c, const char *ind, const char *unit)
{
	struct indicator_manual_row key = {.indicator_code = (char *)ind, .unit_code = (char *)unit};
	const struct indicator_manual_row *kp = &key;
	const struct indicator_manual_row *const *hit =
	    bsearch(&kp, c->manual, c->n_manual, sizeof *c->manual, manual_cmp);
	return hit ? *hit : NULL;
}

/* Fills unit u's indicator rows and its score. */
static enum gs_result score_one_unit(struct calc *c, size_t ui, const struct indicator_adjustment_row *adj,
				     size_t n_adj, struct scoring_unit *u)
{
	const struct org_unit *ou = &c->units[ui];
	u->code = xstrdup(ou->code);
	u->name = xstrdup(ou->name);
	u->name_en = xstrdup(ou->name_en);
	u->kind = xstrdup(ou->kind);
	u->parent_code = xstrdup(ou->parent_code);
	u->depth = ou->depth;
	u->ind = xcalloc(c->n_inds ? c->n_inds : 1, sizeof *u->ind);
	struct score_item *items = xcalloc(c->n_inds ? c->n_inds : 1, sizeof *items);
	enum gs_result r = GS_OK;
	for (size_t k = 0; r == GS_OK && k < c->n_inds; k++) {
		const struct indicator *d = &c->inds[k];
		double w = indicator_weight_for(d, ou->kind);
		if (w <= 0)
			continue;
		struct scoring_indicator *x = &u->ind[u->n_ind];
		x->code = xstrdup(d->code);
		x->name = xstrdup(d->name);
		x->name_en = xstrdup(d->name_en);
		x->kind = d->kind;
		x->weight = w;
		if (!c->has_params[k]) {
			x->note = xasprintf("no parameters in force for %s", c->period);
		} else {
			const struct indicator_params *p = &c->params[k];
			snprintf(x->method, sizeof x->method, "%s", indicator_method_name(p->method));
			if (d->kind == INDICATOR_CUSTOMER_EVALUATION) {
				customer_actual(c, ui, x);
			} else if (d->kind == INDICATOR_COVERAGE) {
				if (c->points[ui] > 0) {
					x->has_actual = 1;
					x->actual = (double)c->smart[ui] / (double)c->points[ui];
					x->points = c->points[ui];
					x->smart = c->smart[ui];
				} else {
					x->note = xasprintf("no metering points in service on %s", c->last);
				}
			} else {
				const struct indicator_manual_row *m = manual_find(c, d->code, ou->code);
				if (!m) {
					x->note = xstrdup("not entered by the evaluating department");
				} else if (p->method == INDICATOR_DIRECT) {
					if (m->is_score) {
						x->has_data = 1;
						x->score = m->value;
					} else {
						x->note = xstrdup("an actual was entered but the method scores directly");
					}
				} else if (!m->is_score) {
					x->has_actual = 1;
					x->actual = m->value;
				} else {
					x->note = xstrdup("a score was entered but the method scores from the actual");
				}
			}
			if (r == GS_OK && x->has_actual) {
				if (indicator_params_score(p, x->actual, &x->score) == GS_OK)
					x->has_data = 1;
				else
					x->note = xstrdup("the actual could not be scored");
			}
		}
		items[u->n_ind].weight = w;
		items[u->n_ind].has_data = x->has_data;
		items[u->n_ind].score = x->score;
		u->n_ind++;
	}
	double ded = 0, bon = 0;
	for (size_t k = 0; k < n_adj; k++) {
		if (strcmp(adj[k].state, "confirmed") != 0 || strcmp(adj[k].unit_code, ou->code) != 0)
			continue;
		if (adj[k].bonus)
			bon += adj[k].points;
		else
			ded += adj[k].points;
	}
	u->deductions_raw = ded;
	u->bonuses_raw = bon;
	if (r == GS_OK && u->n_ind > 0) {
		struct score_unit_result sr;
		r = score_unit(items, u->n_ind, ded, bon, &c->unit_params, &sr);
		if (r == GS_OK) {
			u->scored = sr.scored;
			u->score = sr.score;
			u->weighted = sr.weighted;
			u->deductions = sr.deductions;
			u->bonuses = sr.bonuses;
			u->weight_missing = sr.weight_missing;
			u->n_missing = sr.n_missing;
			for (size_t k = 0; k < u->n_ind; k++) {
				u->ind[k].effective_weight = items[k].effective_weight;
				u->ind[k].contribution = items[k].contribution;
			}
		}
	}
	free(items);
	return r;
}

/* Peer groups of units (kind, depth) or leaders (their unit's kind and depth). */
static struct scoring_group *group_get(struct scoring_result *res, const char *kind, int depth, int leaders)
{
	for (size_t i = 0; i < res->n_groups; i++)
		if (res->groups[i].leaders == leaders && res->groups[i].depth == depth &&
		    strcmp(res->groups[i].kind, kind) == 0)
			return &res->groups[i];
	res->groups = xrealloc(res->groups, (res->n_groups + 1) * sizeof *res->groups);
	struct scoring_group *g = &res->groups[res->n_groups++];
	memset(g, 0, sizeof *g);
	g->kind = xstrdup(kind);
	g->depth = depth;
	g->leaders = leaders;
	return g;
}

/* Ranks and grades the members of every group; member i has kind/depth/scored/score at
 * the given accessor. */
static enum gs_result rank_units(struct scoring_result *res)
{
	double *scores = xcalloc(res->n_units + 1, sizeof *scores);
	size_t *idx = xcalloc(res->n_units + 1, sizeof *idx), *rank = xcalloc(res->n_units + 1, sizeof *rank);
	int *ex = xcalloc(res->n_units + 1, sizeof *ex);
	enum gs_result r = GS_OK;
	for (size_t i = 0; r == GS_OK && i < res->n_units; i++) {
		struct scoring_unit *u = &res->units[i];
		struct scoring_group *g = group_get(res, u->kind, u->depth, 0);
		if (g->n > 0 || !u->scored)
			continue; /* done with an earlier member, or nothing to rank here */
		size_t n = 0;
		for (size_t k = 0; k < res->n_units; k++) {
			struct scoring_unit *p = &res->units[k];
			if (p->scored && p->depth == u->depth && strcmp(p->kind, u->kind) == 0) {
				scores[n] = p->score;
				idx[n++] = k;
			}
		}
		r = score_excellent(scores, n, res->excellent_share, 0, ex, rank, &g->quota, &g->chosen, &g->tied_out);
		g->n = n;
		for (size_t k = 0; r == GS_OK && k < n; k++) {
			res->units[idx[k]].rank = rank[k];
			res->units[idx[k]].peers = n;
			res->units[idx[k]].excellent = ex[k];
		}
	}
	free(scores), free(idx), free(rank), free(ex);
	return r;
}

static enum gs_result rank_leaders(struct scoring_result *res, const int *depth_of)
{
	size_t n_all = res->n_leaders;
	double *scores = xcalloc(n_all + 1, sizeof *scores);
	size_t *idx = xcalloc(n_all + 1, sizeof *idx), *rank = xcalloc(n_all + 1, sizeof *rank);
	int *ex = xcalloc(n_all + 1, sizeof *ex);
	enum gs_result r = GS_OK;
	for (size_t i = 0; r == GS_OK && i < n_all; i++) {
		struct scoring_leader *l = &res->leaders[i];
		struct scoring_group *g = group_get(res, l->unit_kind, depth_of[i], 1);
		if (g->n > 0 || !l->scored)
			continue;
		size_t n = 0;
		for (size_t k = 0; k < n_all; k++) {
			struct scoring_leader *p = &res->leaders[k];
			if (p->scored && depth_of[k] == depth_of[i] && strcmp(p->unit_kind, l->unit_kind) == 0) {
				scores[n] = p->score;
				idx[n++] = k;
			}
		}
		r = score_excellent(scores, n, res->excellent_share, 0, ex, rank, &g->quota, &g->chosen, &g->tied_out);
		g->n = n;
		for (size_t k = 0; r == GS_OK && k < n; k++) {
			res->leaders[idx[k]].rank = rank[k];
			res->leaders[idx[k]].peers = n;
			res->leaders[idx[k]].excellent = ex[k];
		}
	}
	free(scores), free(idx), free(rank), free(ex);
	return r;
}

/* A leader link with its place in the report's leader order: links are met unit by
 * unit in tree order, a unit's own links (those pointing at it) first, then the links
 * of its people to other units; within each, by kind (head, deputy, supervises,
 * liaises), person code and unit code. */
struct link_pos {
	const struct org_leader_link *l;
	size_t at;       /* tree index of the unit where the link is met first */
	int elsewhere;   /* 1: met through its person's unit, not the unit it points at */
	int kind_rank;
	size_t order;    /* position in that order */
};

static int kind_rank(const char *kind)
{
	return strcmp(kind, "head") == 0 ? 0 : strcmp(kind, "deputy") == 0 ? 1 : strcmp(kind, "supervises") == 0 ? 2 : 3;
}

static int link_pos_cmp(const void *a, const void *b)
{
	const struct link_pos *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->elsewhere != y->elsewhere)
		return x->elsewhere - y->elsewhere;
	if (x->kind_rank != y->kind_rank)
		return x->kind_rank - y->kind_rank;
	int k = strcmp(x->l->person_code, y->l->person_code);
	return k ? k : strcmp(x->l->unit_code, y->l->unit_code);
}

/* By person, then by position: a deputy's links in report order. */
static int link_person_cmp(const void *a, const void *b)
{
	const struct link_pos *x = a, *y = b;
	int k = strcmp(x->l->person_code, y->l->person_code);
	return k ? k : x->order < y->order ? -1 : x->order > y->order;
}

static enum gs_result leaders_compute(struct calc *c, struct scoring_result *res)
{
	struct org_leader_link *all = NULL;
	size_t n_all = 0;
	enum gs_result r = org_leader_links_all(c->db, &all, &n_all);
	if (r != GS_OK)
		return r;
	struct link_pos *links = xcalloc(n_all + 1, sizeof *links), *by_person = xcalloc(n_all + 1, sizeof *by_person);
	size_t nl = 0;
	for (size_t i = 0; i < n_all; i++) {
		size_t ti = unit_index_by_id(c, all[i].unit_id), pi = unit_index_by_id(c, all[i].person_unit_id);
		if (ti == (size_t)-1 && pi == (size_t)-1)
			continue;
		struct link_pos *k = &links[nl++];
		k->l = &all[i];
		k->elsewhere = pi < ti && ti != pi; /* (size_t)-1 sorts last */
		k->at = k->elsewhere ? pi : ti;
		k->kind_rank = kind_rank(all[i].kind);
	}
	qsort(links, nl, sizeof *links, link_pos_cmp);
	for (size_t i = 0; i < nl; i++)
		links[i].order = i;
	memcpy(by_person, links, nl * sizeof *links);
	qsort(by_person, nl, sizeof *by_person, link_person_cmp);
	/* the deputy share per unit kind, read once per kind */
	struct {
		const char *kind;
		double beta;
	} betas[8];
	size_t n_betas = 0;
	int *depth_of = NULL;
	int *seen = xcalloc(c->n_units + 1, sizeof *seen);
	double *linked = xcalloc(nl + 1, sizeof *linked);
	for (size_t i = 0; r == GS_OK && i < nl; i++) {
		const struct org_leader_link *li = links[i].l;
		int head = links[i].kind_rank == 0;
		if (links[i].kind_rank > 1)
			continue;
		size_t ui = unit_index_by_id(c, li->unit_id);
		if (ui == (size_t)-1)
			continue;
		const struct scoring_unit *u = &res->units[ui];
		res->leaders = xrealloc(res->leaders, (res->n_leaders + 1) * sizeof *res->leaders);
		depth_of = xrealloc(depth_of, (res->n_leaders + 1) * sizeof *depth_of);
		depth_of[res->n_leaders] = u->depth;
		struct scoring_leader *ld = &res->leaders[res->n_leaders++];
		memset(ld, 0, sizeof *ld);
		ld->person_code = xstrdup(li->person_code);
		ld->person_name = xstrdup(li->person_name);
		ld->title = xstrdup(li->title);
		ld->unit_code = xstrdup(u->code);
		ld->unit_kind = xstrdup(u->kind);
		snprintf(ld->role, sizeof ld->role, "%s", head ? "head" : "deputy");
		ld->beta = 1.0;
		if (!u->scored)
			continue;
		ld->own = u->score;
		if (head) {
			ld->scored = 1;
			ld->score = u->score;
			continue;
		}
		size_t b = 0;
		while (b < n_betas && strcmp(betas[b].kind, u->kind) != 0)
			b++;
		if (b == n_betas) {
			char name[48];
			snprintf(name, sizeof name, "score.deputy_beta.%s", u->kind);
			ld->beta = setting_double(c->db, name, SCORE_DEFAULT_BETA);
			if (n_betas < sizeof betas / sizeof betas[0])
				betas[n_betas].kind = u->kind, betas[n_betas++].beta = ld->beta;
		} else {
			ld->beta = betas[b].beta;
		}
		/* the person's supervised and liaison units, in report order */
		struct link_pos key = {.l = li, .order = 0};
		size_t lo = 0, hi = nl;
		while (lo < hi) { /* the first link of this person */
			size_t mid = lo + (hi - lo) / 2;
			if (link_person_cmp(&by_person[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		size_t n_linked = 0, end = lo;
		struct buf codes;
		buf_init(&codes, 64 * 1024);
		for (; end < nl && strcmp(by_person[end].l->person_code, li->person_code) == 0; end++) {
			if (by_person[end].kind_rank < 2)
				continue;
			size_t lu = unit_index_by_id(c, by_person[end].l->unit_id);
			if (lu == (size_t)-1 || seen[lu])
				continue; /* a unit both supervised and liaised with counts once */
			seen[lu] = 1;
			buf_printf(&codes, "%s%s", codes.len ? "," : "", by_person[end].l->unit_code);
			if (res->units[lu].scored)
				linked[n_linked++] = res->units[lu].score;
		}
		for (size_t k = lo; k < end; k++) {
			size_t lu = unit_index_by_id(c, by_person[k].l->unit_id);
			if (lu != (size_t)-1)
				seen[lu] = 0;
		}
		r = score_deputy(u->score, linked, n_linked, ld->beta, &ld->score, &ld->used_links);
		if (r == GS_ERR_INVALID) {
			/* a bad beta setting: the default, rather than no leader scores at all */
			ld->beta = SCORE_DEFAULT_BETA;
			r = score_deputy(u->score, linked, n_linked, ld->beta, &ld->score, &ld->used_links);
		}
		ld->scored = r == GS_OK;
		double sum = 0;
		for (size_t k = 0; k < n_linked; k++)
			sum += linked[k];
		ld->linked_mean = n_linked ? sum / (double)n_linked : 0;
		ld->linked = codes.len ? buf_steal(&codes, NULL) : NULL;
		buf_free(&codes);
	}
	if (r == GS_OK && res->n_leaders)
		r = rank_leaders(res, depth_of);
	free(depth_of);
	free(seen);
	free(linked);
	free(links);
	free(by_person);
	org_leader_links_free(all, n_all);
	return r;
}

static enum gs_result diffs_compute(struct calc *c, struct scoring_result *res)
{
	double deduction = setting_double(c->db, "score.diff_deduction", 0);
	double *scores = xcalloc(res->n_units + 1, sizeof *scores);
	enum gs_result r = GS_OK;
	for (size_t k = 0; r == GS_OK && k < c->n_inds; k++) {
		const struct indicator *d = &c->inds[k];
		if (d->kind != INDICATOR_MANUAL || !d->evaluator)
			continue;
		/* each peer group (kind, depth) the indicator applies to, once */
		for (size_t i = 0; r == GS_OK && i < res->n_units; i++) {
			const struct scoring_unit *u = &res->units[i];
			int seen = 0;
			for (size_t j = 0; j < i && !seen; j++)
				seen = res->units[j].depth == u->depth && strcmp(res->units[j].kind, u->kind) == 0;
			if (seen || indicator_weight_for(d, u->kind) <= 0)
				continue;
			size_t n = 0;
			for (size_t j = i; j < res->n_units; j++) {
				const struct scoring_unit *p = &res->units[j];
				if (p->depth != u->depth || strcmp(p->kind, u->kind) != 0)
					continue;
				for (size_t q = 0; q < p->n_ind; q++)
					if (strcmp(p->ind[q].code, d->code) == 0 && p->ind[q].has_data)
						scores[n++] = p->ind[q].score;
			}
			if (n < SCORE_MIN_PEERS)
				continue;
			res->diffs = xrealloc(res->diffs, (res->n_diffs + 1) * sizeof *res->diffs);
			struct scoring_diff *x = &res->diffs[res->n_diffs++];
			memset(x, 0, sizeof *x);
			x->evaluator = xstrdup(d->evaluator);
			x->indicator = xstrdup(d->code);
			x->kind = xstrdup(u->kind);
			x->depth = u->depth;
			r = score_differentiation(scores, n, res->diff_target, &x->d);
			x->proposed_deduction = x->d.flagged && deduction > 0 ? deduction : 0;
		}
	}
	free(scores);
	return r;
}

static void calc_free(struct calc *c)
{
	org_units_free(c->units, c->n_units);
	indicator_list_free(c->inds, c->n_inds);
	free(c->params);
	free(c->has_params);
	free(c->by_id);
	free(c->parent);
	free(c->sat);
	free(c->points);
	free(c->smart);
	free(c->fu_open);
	free(c->fu_overdue);
	free(c->manual);
}

/* Every unit's inputs in a few bulk reads: survey counts over the period (then the
 * interval and the sample rule per unit), coverage of every station on the last day
 * and open follow-ups per station, each pooled up the tree in memory. */
static enum gs_result inputs_gather(struct calc *c, int64_t now)
{
	size_t n = c->n_units;
	c->by_id = xcalloc(n + 1, sizeof *c->by_id);
	c->parent = xcalloc(n + 1, sizeof *c->parent);
	c->sat = xcalloc(n + 1, sizeof *c->sat);
	c->points = xcalloc(n + 1, sizeof *c->points);
	c->smart = xcalloc(n + 1, sizeof *c->smart);
	c->fu_open = xcalloc(n + 1, sizeof *c->fu_open);
	c->fu_overdue = xcalloc(n + 1, sizeof *c->fu_overdue);
	for (size_t i = 0; i < n; i++)
		c->by_id[i] = (struct id_index){.id = c->units[i].id, .i = i};
	qsort(c->by_id, n, sizeof *c->by_id, id_index_cmp);
	for (size_t i = 0; i < n; i++)
		c->parent[i] = c->units[i].parent_id ? unit_index_by_id(c, c->units[i].parent_id) : (size_t)-1;

	struct survey_bulk_count *counts = NULL;
	size_t nc = 0;
	enum gs_result r = survey_bulk_unit_counts(c->db, c->first, c->last, c->set.verified_only, &counts, &nc);
	for (size_t k = 0; r == GS_OK && k < nc; k++) {
		size_t i = unit_index_by_id(c, counts[k].unit_id);
		if (i == (size_t)-1)
			continue;
		c->sat[i].responses = counts[k].responses;
		c->sat[i].satisfied = counts[k].satisfied;
	}
	free(counts);
	for (size_t i = 0; r == GS_OK && i < n; i++) {
		struct unit_sat *s = &c->sat[i];
		if (s->responses > 0) {
			struct stats_proportion p = stats_wilson(s->satisfied, s->responses, STATS_Z95);
			s->rate = p.rate;
			s->ci_low = p.low;
			s->ci_high = p.high;
		}
		s->sample_ok = s->responses >= c->set.min_sample;
	}

	struct meter_bulk_station *st = NULL;
	size_t ns = 0;
	if (r == GS_OK)
		r = meter_bulk_coverage_at(c->db, c->last, &st, &ns);
	for (size_t k = 0; r == GS_OK && k < ns; k++)
		for (size_t i = unit_index_by_id(c, st[k].station_id); i != (size_t)-1; i = c->parent[i]) {
			c->points[i] += st[k].points;
			c->smart[i] += st[k].smart;
		}
	free(st);

	struct survey_bulk_followups *fu = NULL;
	size_t nf = 0;
	if (r == GS_OK)
		r = survey_bulk_followups(c->db, now, &fu, &nf);
	for (size_t k = 0; r == GS_OK && k < nf; k++)
		for (size_t i = unit_index_by_id(c, fu[k].station_id); i != (size_t)-1; i = c->parent[i]) {
			c->fu_open[i] += fu[k].open;
			c->fu_overdue[i] += fu[k].overdue;
		}
	free(fu);
	return r;
}

static enum gs_result report_inner(struct db *db, const struct score_period *per, int64_t now, int with_previous,
				   struct scoring_result **out);

static enum gs_result compute_inner(struct db *db, const struct score_period *per, int64_t now, int with_previous,
				    struct scoring_result **out)
{
	struct calc c = {.db = db, .per = *per};
	struct scoring_result *res = xcalloc(1, sizeof *res);
	struct indicator_manual_row *manual = NULL;
	struct indicator_adjustment_row *adj = NULL;
	size_t n_manual = 0, n_adj = 0;
	score_period_format(per, c.period);
	score_period_first_day(per, c.first);
	score_period_last_day(per, c.last);
	memcpy(res->period, c.period, sizeof res->period);
	memcpy(res->first_day, c.first, sizeof res->first_day);
	memcpy(res->last_day, c.last, sizeof res->last_day);
	struct score_period prev;
	score_period_previous(per, &prev);
	score_period_format(&prev, res->previous);
	res->computed_at = now;
	res->excellent_share = setting_double(db, "score.excellent_share", SCORE_DEFAULT_EXCELLENT_SHARE);
	res->diff_target = setting_double(db, "score.diff_target", SCORE_DEFAULT_DIFF_TARGET);
	score_unit_params_default(&c.unit_params);
	c.unit_params.deduction_cap = setting_double(db, "score.deduction_cap", c.unit_params.deduction_cap);
	c.unit_params.bonus_cap = setting_double(db, "score.bonus_cap", c.unit_params.bonus_cap);

	enum gs_result r = survey_settings_load(db, &c.set);
	if (r == GS_OK)
		r = survey_aggregates_rebuild(db, 1, NULL); /* unit rows match the tree: one seek per unit */
	if (r == GS_OK)
		r = org_units_list(db, 0, &c.units, &c.n_units);
	if (r == GS_OK)
		r = indicator_list(db, 0, &c.inds, &c.n_inds);
	if (r == GS_OK)
		r = indicator_manual_list(db, c.period, &manual, &n_manual);
	if (r == GS_OK)
		r = indicator_adjustments_list(db, c.period, &adj, &n_adj);
	if (r == GS_OK)
		r = inputs_gather(&c, now);
	if (r != GS_OK)
		goto out;
	c.manual = xcalloc(n_manual + 1, sizeof *c.manual);
	for (size_t i = 0; i < n_manual; i++)
		c.manual[i] = &manual[i];
	c.n_manual = n_manual;
	qsort(c.manual, n_manual, sizeof *c.manual, manual_cmp);
	c.params = xcalloc(c.n_inds + 1, sizeof *c.params);
	c.has_params = xcalloc(c.n_inds + 1, sizeof *c.has_params);
	for (size_t k = 0; r == GS_OK && k < c.n_inds; k++) {
		enum gs_result pr = indicator_params_get(db, c.inds[k].id, per, &c.params[k]);
		c.has_params[k] = pr == GS_OK;
		if (pr != GS_OK && pr != GS_ERR_NOT_FOUND)
			r = pr;
	}
	res->units = xcalloc(c.n_units + 1, sizeof *res->units);
	for (size_t i = 0; r == GS_OK && i < c.n_units; i++) {
		r = score_one_unit(&c, i, adj, n_adj, &res->units[i]);
		res->n_units = i + 1;
		if (strcmp(c.units[i].kind, "station") == 0) {
			res->units[i].followups_open = c.fu_open[i];
			res->units[i].followups_overdue = c.fu_overdue[i];
		}
	}
	if (r == GS_OK)
		r = rank_units(res);
	if (r == GS_OK)
		r = leaders_compute(&c, res);
	if (r == GS_OK)
		r = diffs_compute(&c, res);
	if (r == GS_OK) {
		char today[11];
		int hour, wd;
		survey_local_time(now, today, &hour, &wd);
		r = scoring_due(db, 0, today, SCORING_DUE_DAYS, &res->milestones, &res->n_milestones);
	}
	if (r == GS_OK && with_previous) {
		struct scoring_result *p = NULL;
		r = report_inner(db, &prev, now, 0, &p);
		for (size_t i = 0; r == GS_OK && i < res->n_units; i++) {
			const struct scoring_unit *pu = scoring_find_unit(p, res->units[i].code);
			if (pu && pu->scored && res->units[i].scored) {
				res->units[i].has_previous = 1;
				res->units[i].previous = pu->score;
				res->units[i].change = res->units[i].score - pu->score;
			}
		}
		scoring_free(p);
	}
out:
	indicator_manual_free(manual, n_manual);
	indicator_adjustments_free(adj, n_adj);
	calc_free(&c);
	if (r != GS_OK) {
		scoring_free(res);
		res = NULL;
	}
	*out = res;
	return r;
}

enum gs_result scoring_compute(struct db *db, const char *period, int64_t now, struct scoring_result **out,
			       char *err, size_t errlen)
{
	struct score_period per;
	*out = NULL;
	if (score_period_parse(period, &per) != GS_OK) {
		set_err(err, errlen, "period '%.16s' is not a quarter (2026Q3) or a year (2026)", period ? period : "");
		return GS_ERR_INVALID;
	}
	enum gs_result r = compute_inner(db, &per, now, 1, out);
	if (r != GS_OK)
		set_err(err, errlen, "computing the scores of %s failed (%s)", period, gs_result_str(r));
	return r;
}

static enum gs_result from_json_value(json_t *root, struct scoring_result **out);
static char *cache_key(struct db *db, const char *period);
static struct scoring_result *cache_get(const char *key, int64_t now);
static void cache_put(char *key, struct scoring_result *r, int64_t valid_until);

/* A closed period from its latest snapshot; GS_ERR_NOT_FOUND if it is open (or was
 * closed before scores were stored in snapshots). A snapshot never changes, so its
 * parsed report is kept in the report cache under the snapshot's id and hash: a
 * previous-period column or a closed report costs one index lookup after the first. */
static enum gs_result from_snapshot(struct db *db, const char *period, struct scoring_result **out)
{
	*out = NULL;
	int closed = indicator_period_closed(db, period);
	if (closed < 0)
		return GS_ERR_DB;
	if (!closed)
		return GS_ERR_NOT_FOUND;
	int64_t id = 0;
	char sha[65], latest[65];
	enum gs_result r = indicator_snapshot_latest(db, period, &id, latest);
	if (r != GS_OK)
		return r;
	const char *file = sqlite3_db_filename(db_handle(db), "main");
	char *key = file && *file ? xasprintf("snapshot|%s|%s|%lld|%s", file, period, (long long)id, latest) : NULL;
	if (key && (*out = cache_get(key, 0)) != NULL) {
		free(key);
		return GS_OK;
	}
	char *content = NULL;
	r = indicator_snapshot_get(db, period, &content, sha);
	json_t *root = r == GS_OK ? json_loads(content, 0, NULL) : NULL;
	free(content);
	json_t *scores = root ? json_object_get(root, "scores") : NULL;
	if (r == GS_OK && !scores)
		r = GS_ERR_NOT_FOUND;
	if (r == GS_OK)
		r = from_json_value(scores, out);
	json_decref(root);
	if (r == GS_OK) {
		(*out)->closed = 1;
		memcpy((*out)->sha256, sha, sizeof sha);
		if (key && strcmp(sha, latest) == 0) { /* not re-closed in between */
			cache_put(key, *out, 0);
			key = NULL;
		}
	}
	free(key);
	return r;
}

static enum gs_result report_inner(struct db *db, const struct score_period *per, int64_t now, int with_previous,
				   struct scoring_result **out)
{
	char p[SCORE_PERIOD_MAX];
	score_period_format(per, p);
	enum gs_result r = from_snapshot(db, p, out);
	if (r != GS_ERR_NOT_FOUND)
		return r;
	return compute_inner(db, per, now, with_previous, out);
}

/* ---- The report cache. A report is kept, per database file and period, together with
 * a version of everything it is made of: the newest response, import, manual entry,
 * adjustment and decision, period event, org and catalog load, follow-up close and
 * milestone mark and the settings. Any change makes a new version, so a page never
 * shows a stale score; an unchanged database answers from memory. What depends on the
 * clock alone (a follow-up becoming overdue, milestones due from today on) gives the
 * report an expiry instead: the next open follow-up's due time or the next local
 * midnight, whichever comes first. The settings that reading itself writes (the fold's
 * watermark, the unit rows' org stamp) are left out of the version: the responses and
 * org loads they follow are in it. In-memory databases are not cached. */
#define CACHE_SLOTS 8

struct cache_slot {
	char *key;
	struct scoring_result *r;
	uint64_t used;
	int64_t valid_until; /* the report holds while now < valid_until; 0: for ever */
};
static struct cache_slot cache[CACHE_SLOTS];
static uint64_t cache_clock;

/* The version is "file|period|...": what an explicit change makes (imports, entries,
 * adjustments, periods, loads, follow-up closes, milestones, settings), then after
 * RESPONSES_MARK the newest response id, which customers move all day long. */
#define RESPONSES_MARK "#responses="

static char *cache_key(struct db *db, const char *period)
{
	const char *file = sqlite3_db_filename(db_handle(db), "main");
	if (!file || !*file)
		return NULL;
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT (SELECT max(id) FROM meter_imports), "
		"(SELECT max(id) FROM score_manual_history), (SELECT max(id) FROM score_adjustments), "
		"(SELECT max(decided_at) FROM score_adjustments), (SELECT max(id) FROM score_period_events), "
		"(SELECT max(id) FROM org_loads), (SELECT max(id) FROM indicator_loads), "
		"(SELECT max(closed_at) FROM survey_followups), (SELECT max(done_at) FROM indicator_milestones), "
		"(SELECT group_concat(name || '=' || value, ';') FROM settings "
		"WHERE name NOT LIKE 'survey.folded%' AND name <> 'survey.aggregates_org'), "
		"(SELECT max(id) FROM survey_responses)");
	if (!st)
		return NULL;
	char *key = NULL;
	if (db_step_row(db, st) == 1) {
		struct buf b;
		buf_init(&b, 64 * 1024);
		buf_printf(&b, "%s|%s", file, period);
		int n = sqlite3_column_count(st);
		for (int i = 0; i < n; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			buf_printf(&b, "%s%s", i == n - 1 ? RESPONSES_MARK : "|", v ? v : "");
		}
		key = b.failed ? NULL : buf_steal(&b, NULL);
		buf_free(&b);
	}
	sqlite3_reset(st);
	return key;
}

/* When a report computed at now stops being true by the clock alone: the first open
 * follow-up to become overdue (overdue means due_at < now) or the next local midnight
 * (milestones due, today's date), whichever is first. 0 if it cannot be read. */
static int64_t report_valid_until(struct db *db, int64_t now)
{
	int64_t local = now + SURVEY_TZ_OFFSET_S;
	int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t until = (day + 1) * 86400 - SURVEY_TZ_OFFSET_S;
	sqlite3_stmt *st =
		db_stmt(db, "SELECT min(due_at) FROM survey_followups WHERE closed_at IS NULL AND due_at >= ?1");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, now);
	int row = db_step_row(db, st);
	if (row < 0)
		until = 0;
	else if (row > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL && sqlite3_column_int64(st, 0) + 1 < until)
		until = sqlite3_column_int64(st, 0) + 1;
	sqlite3_reset(st);
	return until;
}

/* A shared report for key that still holds at now, or NULL. */
static struct scoring_result *cache_get(const char *key, int64_t now)
{
	struct scoring_result *r = NULL;
	pthread_mutex_lock(&cache_mutex);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].key && strcmp(cache[i].key, key) == 0 &&
		    (cache[i].valid_until == 0 || now < cache[i].valid_until)) {
			r = cache[i].r;
			r->refs++;
			cache[i].used = ++cache_clock;
			break;
		}
	pthread_mutex_unlock(&cache_mutex);
	return r;
}

/* The newest cached report whose version differs from key at most in the responses
 * part, computed at or after not_before and still holding at now; NULL if none. */
static struct scoring_result *cache_get_recent(const char *key, int64_t now, int64_t not_before)
{
	const char *mark = NULL; /* the last one: a setting's value may hold the text too */
	for (const char *p = strstr(key, RESPONSES_MARK); p; p = strstr(p + 1, RESPONSES_MARK))
		mark = p;
	if (!mark)
		return NULL;
	size_t hard = (size_t)(mark - key) + strlen(RESPONSES_MARK);
	struct scoring_result *r = NULL;
	int best = -1;
	pthread_mutex_lock(&cache_mutex);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].key && strncmp(cache[i].key, key, hard) == 0 && cache[i].r->computed_at >= not_before &&
		    (cache[i].valid_until == 0 || now < cache[i].valid_until) &&
		    (best < 0 || cache[i].r->computed_at > cache[best].r->computed_at))
			best = i;
	if (best >= 0) {
		r = cache[best].r;
		r->refs++;
		cache[best].used = ++cache_clock;
	}
	pthread_mutex_unlock(&cache_mutex);
	return r;
}

/* Keeps r under key until valid_until (0: for ever); a slot of the same key, else the
 * least recently used one, gives way. r becomes shared. */
static void cache_put(char *key, struct scoring_result *r, int64_t valid_until)
{
	struct scoring_result *old = NULL;
	char *old_key = NULL;
	pthread_mutex_lock(&cache_mutex);
	int victim = 0;
	for (int i = 1; i < CACHE_SLOTS; i++)
		if (cache[i].used < cache[victim].used)
			victim = i;
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].key && strcmp(cache[i].key, key) == 0)
			victim = i; /* an expired report of the same version */
	old = cache[victim].r;
	old_key = cache[victim].key;
	cache[victim].key = key;
	cache[victim].r = r;
	cache[victim].used = ++cache_clock;
	cache[victim].valid_until = valid_until;
	r->refs++; /* the cache's reference */
	pthread_mutex_unlock(&cache_mutex);
	free(old_key);
	scoring_free(old);
}

enum gs_result scoring_report(struct db *db, const char *period, int64_t now, struct scoring_result **out, char *err,
			      size_t errlen)
{
	struct score_period per;
	*out = NULL;
	if (score_period_parse(period, &per) != GS_OK) {
		set_err(err, errlen, "period '%.16s' is not a quarter (2026Q3) or a year (2026)", period ? period : "");
		return GS_ERR_INVALID;
	}
	char p[SCORE_PERIOD_MAX];
	score_period_format(&per, p);
	/* responses stored but not folded yet are part of the version (their ids) */
	char *key = cache_key(db, p);
	if (key && (*out = cache_get(key, now)) != NULL) {
		free(key);
		return GS_OK;
	}
	int64_t valid_until = key ? report_valid_until(db, now) : 0;
	enum gs_result r = report_inner(db, &per, now, 1, out);
	if (r == GS_OK && key && valid_until > now)
		cache_put(key, *out, valid_until);
	else
		free(key);
	if (r != GS_OK)
		set_err(err, errlen, "the report of %s could not be made (%s)", period, gs_result_str(r));
	return r;
}

/* ---------------------------------------------------------------- warmer */

struct scoring_warmer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	unsigned interval_ms;
	unsigned long computed;
	struct db *db;
};

/* One round: the current quarter's report (a cache lookup while nothing changed) and
 * the quarter's unit sums (loads or refreshes the unit-row copy). */
static void warm_round(struct scoring_warmer *w, int *warned)
{
	int64_t now = util_now();
	char period[SCORE_PERIOD_MAX], first[11], last[11], err[256];
	scoring_current_quarter(now, period);
	struct score_period per;
	if (score_period_parse(period, &per) != GS_OK)
		return;
	score_period_first_day(&per, first);
	score_period_last_day(&per, last);

	int64_t id = 0;
	struct survey_bulk_count cnt;
	memset(&cnt, 0, sizeof cnt);
	enum gs_result r = survey_bulk_units_range(w->db, &id, 1, first, last, 0, &cnt);

	char *key = cache_key(w->db, period);
	struct scoring_result *res = key ? cache_get(key, now) : NULL;
	free(key);
	if (r == GS_OK && !res) {
		r = scoring_report(w->db, period, now, &res, err, sizeof err);
		pthread_mutex_lock(&w->lock);
		w->computed++;
		pthread_mutex_unlock(&w->lock);
	}
	scoring_free(res);
	if (r != GS_OK && !*warned) {
		log_warn("scores warmer: %s (pages compute on request)", gs_result_str(r));
		*warned = 1;
	} else if (r == GS_OK)
		*warned = 0;
}

static void *warmer_main(void *arg)
{
	struct scoring_warmer *w = arg;
	int warned = 0;
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		pthread_mutex_unlock(&w->lock);
		warm_round(w, &warned);
		pthread_mutex_lock(&w->lock);
		if (w->stop)
			break;
		struct timespec until = util_deadline_us((int64_t)w->interval_ms * 1000);
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

enum gs_result scoring_warmer_start(const char *db_path, unsigned interval_ms, struct scoring_warmer **out,
				    char *err, size_t errlen)
{
	*out = NULL;
	struct scoring_warmer *w = xcalloc(1, sizeof *w);
	w->interval_ms = interval_ms ? interval_ms : 2000;
	enum gs_result r = db_open(db_path, 0, &w->db, err, errlen);
	if (r != GS_OK) {
		free(w);
		return r;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, warmer_main, w) != 0) {
		set_err(err, errlen, "cannot start the scores warmer thread");
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		db_close(w->db);
		free(w);
		return GS_ERR_DB;
	}
	*out = w;
	return GS_OK;
}

void scoring_warmer_stop(struct scoring_warmer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	db_close(w->db);
	free(w);
}

unsigned long scoring_warmer_computed(struct scoring_warmer *w)
{
	pthread_mutex_lock(&w->lock);
	unsigned long n = w->computed;
	pthread_mutex_unlock(&w->lock);
	return n;
}

enum gs_result scoring_report_recent(struct db *db, const char *period, int64_t now, int max_age_s,
				     struct scoring_result **out, char *err, size_t errlen)
{
	struct score_period per;
	*out = NULL;
	if (score_period_parse(period, &per) != GS_OK)
		return scoring_report(db, period, now, out, err, errlen);
	char p[SCORE_PERIOD_MAX];
	score_period_format(&per, p);
	char *key = cache_key(db, p);
	if (key) {
		*out = cache_get(key, now);
		if (!*out)
			*out = cache_get_recent(key, now, now - max_age_s);
		free(key);
		if (*out)
			return GS_OK;
	}
	return scoring_report(db, period, now, out, err, errlen);
}

enum gs_result scoring_period_close(struct db *db, const struct auth_user *who, const char *period, int64_t now,
				    char *sha256_out, char *err, size_t errlen)
{
	if (!who || (who->role != AUTH_ROLE_ADMIN && who->role != AUTH_ROLE_MANAGER)) {
		set_err(err, errlen, "only administrators and managers close periods");
		return GS_ERR_FORBIDDEN;
	}
	struct scoring_result *res = NULL;
	enum gs_result r = scoring_compute(db, period, now, &res, err, errlen);
	if (r != GS_OK)
		return r;
	int closed = indicator_period_closed(db, res->period);
	if (closed != 0) {
		scoring_free(res);
		if (closed > 0)
			set_err(err, errlen, "period %s is closed already", period);
		return closed > 0 ? GS_ERR_CONFLICT : GS_ERR_DB;
	}
	char *json = scoring_to_json(res);
	/* The scores are computed just before the closing transaction: survey statistics
	 * fold pending responses in a transaction of their own, which cannot nest. */
	r = indicator_period_close(db, who, res->period, now, json, sha256_out, err, errlen);
	free(json);
	scoring_free(res);
	return r;
}

/* ---------------------------------------------------------------- JSON */

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static void set_num(json_t *o, const char *k, double v)
{
	json_object_set_new(o, k, json_real(v));
}

static void set_int(json_t *o, const char *k, long long v)
{
	json_object_set_new(o, k, json_integer(v));
}

char *scoring_to_json(const struct scoring_result *r)
{
	json_t *root = json_object();
	set_str(root, "period", r->period);
	set_str(root, "previous", r->previous);
	set_str(root, "first_day", r->first_day);
	set_str(root, "last_day", r->last_day);
	set_int(root, "computed_at", r->computed_at);
	set_num(root, "excellent_share", r->excellent_share);
	set_num(root, "diff_target", r->diff_target);
	json_t *units = json_array();
	for (size_t i = 0; i < r->n_units; i++) {
		const struct scoring_unit *u = &r->units[i];
		json_t *o = json_object();
		set_str(o, "code", u->code);
		set_str(o, "name", u->name);
		set_str(o, "name_en", u->name_en);
		set_str(o, "kind", u->kind);
		set_str(o, "parent", u->parent_code);
		set_int(o, "depth", u->depth);
		set_int(o, "scored", u->scored);
		set_num(o, "score", u->score);
		set_num(o, "weighted", u->weighted);
		set_num(o, "deductions", u->deductions);
		set_num(o, "bonuses", u->bonuses);
		set_num(o, "deductions_raw", u->deductions_raw);
		set_num(o, "bonuses_raw", u->bonuses_raw);
		set_num(o, "weight_missing", u->weight_missing);
		set_int(o, "n_missing", (long long)u->n_missing);
		set_int(o, "rank", (long long)u->rank);
		set_int(o, "peers", (long long)u->peers);
		set_int(o, "excellent", u->excellent);
		if (u->has_previous) {
			set_num(o, "previous", u->previous);
			set_num(o, "change", u->change);
		}
		set_int(o, "followups_open", u->followups_open);
		set_int(o, "followups_overdue", u->followups_overdue);
		json_t *inds = json_array();
		for (size_t k = 0; k < u->n_ind; k++) {
			const struct scoring_indicator *x = &u->ind[k];
			json_t *e = json_object();
			set_str(e, "code", x->code);
			set_str(e, "name", x->name);
			set_str(e, "name_en", x->name_en);
			set_str(e, "kind", indicator_kind_name(x->kind));
			set_str(e, "method", x->method);
			set_int(e, "has_data", x->has_data);
			if (x->has_actual)
				set_num(e, "actual", x->actual);
			set_num(e, "score", x->score);
			set_num(e, "weight", x->weight);
			set_num(e, "effective_weight", x->effective_weight);
			set_num(e, "contribution", x->contribution);
			set_int(e, "responses", x->responses);
			set_int(e, "satisfied", x->satisfied);
			set_num(e, "ci_low", x->ci_low);
			set_num(e, "ci_high", x->ci_high);
			set_str(e, "rate_from", x->rate_from);
			set_int(e, "fallback", x->fallback);
			set_int(e, "points", x->points);
			set_int(e, "smart", x->smart);
			set_str(e, "note", x->note);
			json_array_append_new(inds, e);
		}
		json_object_set_new(o, "indicators", inds);
		json_array_append_new(units, o);
	}
	json_object_set_new(root, "units", units);
	json_t *leaders = json_array();
	for (size_t i = 0; i < r->n_leaders; i++) {
		const struct scoring_leader *l = &r->leaders[i];
		json_t *o = json_object();
		set_str(o, "person", l->person_code);
		set_str(o, "name", l->person_name);
		set_str(o, "title", l->title);
		set_str(o, "unit", l->unit_code);
		set_str(o, "unit_kind", l->unit_kind);
		set_str(o, "role", l->role);
		set_int(o, "scored", l->scored);
		set_num(o, "score", l->score);
		set_num(o, "own", l->own);
		set_num(o, "linked_mean", l->linked_mean);
		set_num(o, "beta", l->beta);
		set_int(o, "used_links", (long long)l->used_links);
		set_str(o, "linked", l->linked);
		set_int(o, "rank", (long long)l->rank);
		set_int(o, "peers", (long long)l->peers);
		set_int(o, "excellent", l->excellent);
		json_array_append_new(leaders, o);
	}
	json_object_set_new(root, "leaders", leaders);
	json_t *groups = json_array();
	for (size_t i = 0; i < r->n_groups; i++) {
		const struct scoring_group *g = &r->groups[i];
		json_t *o = json_object();
		set_str(o, "kind", g->kind);
		set_int(o, "depth", g->depth);
		set_int(o, "leaders", g->leaders);
		set_int(o, "n", (long long)g->n);
		set_int(o, "quota", (long long)g->quota);
		set_int(o, "chosen", (long long)g->chosen);
		set_int(o, "tied_out", (long long)g->tied_out);
		json_array_append_new(groups, o);
	}
	json_object_set_new(root, "groups", groups);
	json_t *diffs = json_array();
	for (size_t i = 0; i < r->n_diffs; i++) {
		const struct scoring_diff *x = &r->diffs[i];
		json_t *o = json_object();
		set_str(o, "evaluator", x->evaluator);
		set_str(o, "indicator", x->indicator);
		set_str(o, "kind", x->kind);
		set_int(o, "depth", x->depth);
		set_int(o, "n", (long long)x->d.n);
		set_int(o, "largest_group", (long long)x->d.largest_group);
		set_num(o, "largest_value", x->d.largest_value);
		set_num(o, "rate", x->d.rate);
		set_int(o, "flagged", x->d.flagged);
		set_num(o, "mean", x->d.mean);
		set_num(o, "stddev", x->d.stddev);
		set_num(o, "cv", x->d.cv);
		set_num(o, "min", x->d.min);
		set_num(o, "max", x->d.max);
		set_num(o, "range", x->d.range);
		set_num(o, "proposed_deduction", x->proposed_deduction);
		json_array_append_new(diffs, o);
	}
	json_object_set_new(root, "differentiation", diffs);
	json_t *ms = json_array();
	for (size_t i = 0; i < r->n_milestones; i++) {
		const struct scoring_milestone *m = &r->milestones[i];
		json_t *o = json_object();
		set_str(o, "indicator", m->indicator);
		set_str(o, "unit", m->unit);
		set_str(o, "name", m->name);
		set_str(o, "person", m->person);
		set_str(o, "due", m->due);
		set_int(o, "overdue", m->overdue);
		json_array_append_new(ms, o);
	}
	json_object_set_new(root, "milestones", ms);
	char *s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	json_decref(root);
	if (!s)
		abort(); /* only out of memory */
	return s;
}

static char *get_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? xstrdup(s) : NULL;
}

/* A string the views print: "" when absent. */
static char *get_req(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return xstrdup(s ? s : "");
}

static double get_num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static long long get_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : (long long)json_number_value(v);
}

static void get_fixed(json_t *o, const char *k, char *dst, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, k));
	snprintf(dst, cap, "%s", s ? s : "");
}

static enum gs_result from_json_value(json_t *root, struct scoring_result **out)
{
	*out = NULL;
	if (!json_is_object(root))
		return GS_ERR_INVALID;
	struct scoring_result *r = xcalloc(1, sizeof *r);
	get_fixed(root, "period", r->period, sizeof r->period);
	get_fixed(root, "previous", r->previous, sizeof r->previous);
	get_fixed(root, "first_day", r->first_day, sizeof r->first_day);
	get_fixed(root, "last_day", r->last_day, sizeof r->last_day);
	r->computed_at = get_int(root, "computed_at");
	r->excellent_share = get_num(root, "excellent_share");
	r->diff_target = get_num(root, "diff_target");
	json_t *arr = json_object_get(root, "units"), *o;
	size_t i;
	r->units = xcalloc(json_array_size(arr) + 1, sizeof *r->units);
	json_array_foreach(arr, i, o)
	{
		struct scoring_unit *u = &r->units[r->n_units++];
		u->code = get_req(o, "code");
		u->name = get_req(o, "name");
		u->name_en = get_str(o, "name_en");
		u->kind = get_req(o, "kind");
		u->parent_code = get_str(o, "parent");
		u->depth = (int)get_int(o, "depth");
		u->scored = (int)get_int(o, "scored");
		u->score = get_num(o, "score");
		u->weighted = get_num(o, "weighted");
		u->deductions = get_num(o, "deductions");
		u->bonuses = get_num(o, "bonuses");
		u->deductions_raw = get_num(o, "deductions_raw");
		u->bonuses_raw = get_num(o, "bonuses_raw");
		u->weight_missing = get_num(o, "weight_missing");
		u->n_missing = (size_t)get_int(o, "n_missing");
		u->rank = (size_t)get_int(o, "rank");
		u->peers = (size_t)get_int(o, "peers");
		u->excellent = (int)get_int(o, "excellent");
		u->has_previous = json_object_get(o, "previous") != NULL;
		u->previous = get_num(o, "previous");
		u->change = get_num(o, "change");
		u->followups_open = get_int(o, "followups_open");
		u->followups_overdue = get_int(o, "followups_overdue");
		json_t *inds = json_object_get(o, "indicators"), *e;
		size_t k;
		u->ind = xcalloc(json_array_size(inds) + 1, sizeof *u->ind);
		json_array_foreach(inds, k, e)
		{
			struct scoring_indicator *x = &u->ind[u->n_ind++];
			x->code = get_req(e, "code");
			x->name = get_req(e, "name");
			x->name_en = get_str(e, "name_en");
			const char *kind = json_string_value(json_object_get(e, "kind"));
			x->kind = kind && strcmp(kind, "customer-evaluation") == 0 ? INDICATOR_CUSTOMER_EVALUATION
				  : kind && strcmp(kind, "coverage") == 0	     ? INDICATOR_COVERAGE
										     : INDICATOR_MANUAL;
			get_fixed(e, "method", x->method, sizeof x->method);
			x->has_data = (int)get_int(e, "has_data");
			x->has_actual = json_object_get(e, "actual") != NULL;
			x->actual = get_num(e, "actual");
			x->score = get_num(e, "score");
			x->weight = get_num(e, "weight");
			x->effective_weight = get_num(e, "effective_weight");
			x->contribution = get_num(e, "contribution");
			x->responses = get_int(e, "responses");
			x->satisfied = get_int(e, "satisfied");
			x->ci_low = get_num(e, "ci_low");
			x->ci_high = get_num(e, "ci_high");
			x->rate_from = get_str(e, "rate_from");
			x->fallback = (int)get_int(e, "fallback");
			x->points = (long)get_int(e, "points");
			x->smart = (long)get_int(e, "smart");
			x->note = get_str(e, "note");
		}
	}
	arr = json_object_get(root, "leaders");
	r->leaders = xcalloc(json_array_size(arr) + 1, sizeof *r->leaders);
	json_array_foreach(arr, i, o)
	{
		struct scoring_leader *l = &r->leaders[r->n_leaders++];
		l->person_code = get_req(o, "person");
		l->person_name = get_req(o, "name");
		l->title = get_str(o, "title");
		l->unit_code = get_req(o, "unit");
		l->unit_kind = get_req(o, "unit_kind");
		get_fixed(o, "role", l->role, sizeof l->role);
		l->scored = (int)get_int(o, "scored");
		l->score = get_num(o, "score");
		l->own = get_num(o, "own");
		l->linked_mean = get_num(o, "linked_mean");
		l->beta = get_num(o, "beta");
		l->used_links = (size_t)get_int(o, "used_links");
		l->linked = get_str(o, "linked");
		l->rank = (size_t)get_int(o, "rank");
		l->peers = (size_t)get_int(o, "peers");
		l->excellent = (int)get_int(o, "excellent");
	}
	arr = json_object_get(root, "groups");
	r->groups = xcalloc(json_array_size(arr) + 1, sizeof *r->groups);
	json_array_foreach(arr, i, o)
	{
		struct scoring_group *g = &r->groups[r->n_groups++];
		g->kind = get_req(o, "kind");
		g->depth = (int)get_int(o, "depth");
		g->leaders = (int)get_int(o, "leaders");
		g->n = (size_t)get_int(o, "n");
		g->quota = (size_t)get_int(o, "quota");
		g->chosen = (size_t)get_int(o, "chosen");
		g->tied_out = (size_t)get_int(o, "tied_out");
	}
	arr = json_object_get(root, "differentiation");
	r->diffs = xcalloc(json_array_size(arr) + 1, sizeof *r->diffs);
	json_array_foreach(arr, i, o)
	{
		struct scoring_diff *x = &r->diffs[r->n_diffs++];
		x->evaluator = get_req(o, "evaluator");
		x->indicator = get_req(o, "indicator");
		x->kind = get_req(o, "kind");
		x->depth = (int)get_int(o, "depth");
		x->d.n = (size_t)get_int(o, "n");
		x->d.largest_group = (size_t)get_int(o, "largest_group");
		x->d.largest_value = get_num(o, "largest_value");
		x->d.rate = get_num(o, "rate");
		x->d.flagged = (int)get_int(o, "flagged");
		x->d.mean = get_num(o, "mean");
		x->d.stddev = get_num(o, "stddev");
		x->d.cv = get_num(o, "cv");
		x->d.min = get_num(o, "min");
		x->d.max = get_num(o, "max");
		x->d.range = get_num(o, "range");
		x->proposed_deduction = get_num(o, "proposed_deduction");
	}
	arr = json_object_get(root, "milestones");
	r->milestones = xcalloc(json_array_size(arr) + 1, sizeof *r->milestones);
	json_array_foreach(arr, i, o)
	{
		struct scoring_milestone *m = &r->milestones[r->n_milestones++];
		m->indicator = get_req(o, "indicator");
		m->unit = get_req(o, "unit");
		m->name = get_req(o, "name");
		m->person = get_str(o, "person");
		get_fixed(o, "due", m->due, sizeof m->due);
		m->overdue = (int)get_int(o, "overdue");
	}
	*out = r;
	return GS_OK;
}

enum gs_result scoring_from_json(const char *text, struct scoring_result **out)
{
	json_t *root = json_loads(text, 0, NULL);
	enum gs_result r = from_json_value(root, out);
	json_decref(root);
	return r;
}
