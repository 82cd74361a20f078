/* demo.c — loads the demo county through the same org loader and account functions
 * the CLI uses, and creates one login per role (and per supply station). Passwords
 * are random at every run, printed once, never stored in the repository. */
#include "demo.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "indicator.h"
#include "org.h"
#include "scoring.h"
#include "survey.h"
#include "util.h"
#include "xform.h"

#define DEMO_ORG "src/demo/county-org.xml"

/* Creates the login, or resets its password if it exists; prints it. */
static enum gs_result demo_login(struct db *db, FILE *out, const char *login, enum auth_role role,
				 const char *unit_code, const char *what)
{
	char token[AUTH_TOKEN_LEN + 1], password[17], err[256];
	auth_random_token(token);
	memcpy(password, token, 16);
	password[16] = '\0';
	enum gs_result r = auth_user_add(db, login, password, role, unit_code, err, sizeof err);
	if (r == GS_ERR_CONFLICT)
		r = auth_user_set_password(db, login, password, err, sizeof err);
	if (r != GS_OK) {
		fprintf(stderr, "gridscore: demo login %s: %s\n", login, err);
		return r;
	}
	fprintf(out, "  %-16s %-18s %s\n", login, password, what);
	return GS_OK;
}

/* ---- A year of survey responses ------------------------------------------------
 * Deterministic (a fixed-seed generator) so the demo looks the same on every machine,
 * but relative to today so the dashboard shows a current year. Every response goes
 * through survey_store, the path real submissions take: aggregates, flags and
 * follow-ups come out as they would in production. */

static uint64_t demo_rng = 0x9e3779b97f4a7c15ull;

static uint32_t demo_rand(void)
{
	/* xorshift64* */
	demo_rng ^= demo_rng >> 12;
	demo_rng ^= demo_rng << 25;
	demo_rng ^= demo_rng >> 27;
	return (uint32_t)((demo_rng * 0x2545f4914f6cdd1dull) >> 32);
}

static double demo_unit(void)
{
	return demo_rand() / 4294967296.0;
}

struct demo_answer {
	const char *names[XFORM_MAX_QUESTIONS];
	const char *values[XFORM_MAX_QUESTIONS][4];
	size_t n;
};

static const char *demo_get(void *ctx, const char *name, size_t index)
{
	const struct demo_answer *a = ctx;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->names[i], name) == 0)
			return index < 4 ? a->values[i][index] : NULL;
	return NULL;
}

static const char *const good_comments[] = {"工作人员很耐心，讲解清楚。", "办理很快，十分钟就好了。", "服务态度好，点赞！",
					    "环境干净整洁。", "一次就办完了，不用来回跑。"};
static const char *const bad_comments[] = {"排队时间太长了。", "窗口开得太少，等了快一个小时。",
					   "工作人员态度冷淡。", "材料要求没有一次说清楚，跑了两趟。",
					   "电费账单看不懂，没人解释。"};

static enum gs_result demo_surveys(struct db *db, FILE *out)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM survey_responses");
	if (!st)
		return GS_ERR_DB;
	int64_t have = db_step_row(db, st) > 0 ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	if (have != 0) {
		if (have > 0)
			fprintf(out, "demo surveys: %lld responses already loaded\n", (long long)have);
		return have > 0 ? GS_OK : GS_ERR_DB;
	}
	const struct embed_file *ff = embed_find("forms/hall-satisfaction.xml");
	if (!ff)
		return GS_ERR_INTERNAL;
	struct xform *form = NULL;
	struct xform_error xe;
	enum gs_result r = xform_load_memory("forms/hall-satisfaction.xml", (const char *)ff->data, ff->len, &form, &xe);
	if (r != GS_OK)
		return r;
	int64_t form_row = 0;
	r = survey_form_register(db, form->id, form->version, (const char *)ff->data, ff->len, &form_row);
	struct survey_settings set;
	if (r == GS_OK)
		r = survey_settings_load(db, &set);
	struct org_hall *halls = NULL;
	size_t nh = 0;
	if (r == GS_OK)
		r = org_halls_list(db, 0, &halls, &nh);
	if (r != GS_OK || nh == 0) {
		xform_free(form);
		org_halls_free(halls, nh);
		return r != GS_OK ? r : GS_ERR_INTERNAL;
	}

	int64_t now = util_now();
	char day[11];
	survey_local_time(now, day, NULL, NULL);
	long today = survey_day_number(day);
	long stored = 0, flagged = 0, tickets = 0, followups = 0;
	for (size_t h = 0; h < nh && r == GS_OK; h++) {
		if (!halls[h].active)
			continue;
		/* Each hall has its own level (70%..90% top-two) and volume. */
		double base = 0.72 + 0.17 * demo_unit();
		double per_day = 1.7 + 1.7 * demo_unit();
		struct org_hours *hours = NULL;
		size_t n_hours = 0;
		r = org_hall_hours(db, halls[h].id, &hours, &n_hours);
		for (long d = today - 365; d < today && r == GS_OK; d++) {
			char dstr[11];
			survey_day_string(d, dstr);
			int month = (dstr[5] - '0') * 10 + (dstr[6] - '0');
			/* Busier and a little less satisfied in the summer peak and at year end. */
			double season = (month >= 7 && month <= 8) || month == 12 ? -0.05 : 0.01;
			long wd = ((d % 7) + 7 + 3) % 7 + 1;
			/* The day's opening intervals, as minutes. */
			int open_from[8], open_to[8], n_open = 0, open_minutes = 0;
			for (size_t i = 0; i < n_hours && n_open < 8; i++) {
				if (hours[i].weekday != wd)
					continue;
				open_from[n_open] = atoi(hours[i].opens) * 60 + atoi(hours[i].opens + 3);
				open_to[n_open] = atoi(hours[i].closes) * 60 + atoi(hours[i].closes + 3);
				open_minutes += open_to[n_open] - open_from[n_open];
				n_open++;
			}
			double volume = n_open ? per_day * open_minutes / 420.0 * (season < 0 ? 1.3 : 1.0) : 0.05;
			int count = (int)volume + (demo_unit() < volume - (int)volume);
			for (int k = 0; k < count && r == GS_OK; k++) {
				double p_sat = base + season;
				int rating;
				double u = demo_unit();
				if (u < p_sat)
					rating = demo_unit() < 0.62 ? 5 : 4;
				else
					rating = (u = demo_unit()) < 0.55 ? 3 : u < 0.82 ? 2 : 1;
				/* Within opening hours (up to 20 minutes after closing); a few at night. */
				int minute = 20 * 60 + (int)(demo_unit() * 120);
				if (n_open && demo_unit() > 0.015) {
					int at = (int)(demo_unit() * open_minutes);
					for (int i = 0; i < n_open; i++) {
						int len = open_to[i] - open_from[i];
						if (at < len) {
							minute = open_from[i] + 5 + at * (len + 15) / len;
							break;
						}
						at -= len;
					}
				}
				int64_t t = (int64_t)d * 86400 + minute * 60 + (int)(demo_unit() * 60) - SURVEY_TZ_OFFSET_S;
				if (t >= now)
					continue;
				struct demo_answer a = {0};
				char rating_s[2] = {(char)('0' + rating), '\0'};
				for (size_t qi = 0; qi < form->n_questions; qi++) {
					const struct xform_question *q = &form->questions[qi];
					a.names[a.n] = q->name;
					if (q->is_rating) {
						a.values[a.n][0] = rating_s;
					} else if (q->type == XFORM_SELECT1 && q->n_choices) {
						/* Better ratings go with better answers to the other questions. */
						size_t c = rating >= 4 ? (size_t)(demo_unit() * 1.6) : (size_t)(demo_unit() * q->n_choices);
						if (c >= q->n_choices)
							c = q->n_choices - 1;
						a.values[a.n][0] = q->choices[c].value;
					} else if (q->type == XFORM_SELECT && q->n_choices) {
						a.values[a.n][0] = q->choices[demo_rand() % q->n_choices].value;
					} else if (q->type == XFORM_STRING) {
						if (demo_unit() < (rating <= 2 ? 0.6 : 0.12))
							a.values[a.n][0] = rating <= 2 ? bad_comments[demo_rand() % 5]
										      : good_comments[demo_rand() % 5];
						else
							continue;
					} else {
						continue;
					}
					a.n++;
				}
				struct xform_answers ans = {0};
				size_t n_errs = 0;
				r = xform_answers_parse(form, demo_get, &a, XFORM_ZH, &ans, NULL, 0, &n_errs);
				if (r != GS_OK)
					break;
				char instance[96], ticket[SURVEY_TICKET_LEN + 1];
				snprintf(instance, sizeof instance, "demo-%zu-%ld-%d", h, d, k);
				struct survey_choice choices[XFORM_MAX_QUESTIONS];
				size_t nc = 0;
				const char *comment = NULL;
				for (size_t i = 0; i < a.n; i++) {
					long qi = xform_find(form, a.names[i]);
					if (qi < 0 || form->questions[qi].is_rating)
						continue;
					if (form->questions[qi].type == XFORM_STRING)
						comment = a.values[i][0];
					else
						choices[nc++] = (struct survey_choice){a.names[i], a.values[i][0]};
				}
				struct survey_submission s = {.hall_id = halls[h].id,
							      .form_row = form_row,
							      .submitted_at = t,
							      .rating = ans.rating,
							      .satisfied = form->satisfied[ans.rating],
							      .answers_json = ans.json,
							      .comment = comment,
							      .instance = instance,
							      .duration_s = demo_unit() < 0.01 ? 2 : 25 + (int)(demo_unit() * 120),
							      .choices = choices,
							      .n_choices = nc};
				/* In the last 60 days a quarter of the customers answered a ticket. */
				int64_t expires;
				if (d >= today - 60 && demo_unit() < 0.25 &&
				    survey_ticket_issue(db, halls[h].code, "demo", set.ticket_ttl_s, ticket, &expires) == GS_OK) {
					s.ticket = ticket;
					tickets++;
				}
				struct survey_stored so;
				r = survey_store(db, &set, &s, &so);
				xform_answers_clear(&ans);
				if (r == GS_OK) {
					stored++;
					flagged += so.flags != 0;
					followups += so.followup_id != 0;
				}
			}
		}
		free(hours);
	}
	/* Demo tickets were issued "now": date them to their visit, and leave some unanswered. */
	if (r == GS_OK)
		r = db_exec(db, "UPDATE survey_tickets SET issued_at = (SELECT r.submitted_at - 300 FROM survey_responses r "
				"WHERE r.ticket_id = survey_tickets.id), expires_at = (SELECT r.submitted_at + 86100 FROM "
				"survey_responses r WHERE r.ticket_id = survey_tickets.id) WHERE issued_by = 'demo'");
	for (size_t h = 0; h < nh && r == GS_OK; h++) {
		for (int k = 0; k < 12 && halls[h].active; k++) {
			char ticket[SURVEY_TICKET_LEN + 1];
			int64_t expires;
			r = survey_ticket_issue(db, halls[h].code, "demo-unanswered", set.ticket_ttl_s, ticket, &expires);
			tickets++;
		}
	}
	/* Stations have worked through most follow-ups older than three weeks. */
	if (r == GS_OK) {
		char sql[512];
		snprintf(sql, sizeof sql,
			 "UPDATE survey_followups SET closed_at = opened_at + 3 * 86400 + (id %% 9) * 86400, "
			 "closed_by = 'demo', note = '已电话回访客户，说明情况并致歉，客户表示理解。' "
			 "WHERE opened_at < %lld AND id %% 7 <> 0",
			 (long long)(now - 21 * 86400));
		r = db_exec(db, sql);
	}
	xform_free(form);
	org_halls_free(halls, nh);
	if (r == GS_OK)
		fprintf(out, "demo surveys: %ld responses over the last year (%ld flagged), %ld tickets, %ld follow-ups\n",
			stored, flagged, tickets, followups);
	return r;
}

/* The indicator catalog (src/demo/indicators.xml), loaded like any catalog file. */
static enum gs_result demo_indicators(struct db *db, FILE *out)
{
	const struct embed_file *f = embed_find("src/demo/indicators.xml");
	if (!f)
		return GS_ERR_INTERNAL;
	struct indicator_load_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = indicator_load_memory(db, "demo indicators", (const char *)f->data, f->len, rep);
	indicator_report_print(rep, "demo indicators", out);
	free(rep);
	return r;
}

/* ---- Demo scores ------------------------------------------------------------------
 * Manual entries by the evaluating departments for the current quarter and the two
 * before it (the office gives everyone the same party-building marks, which the
 * differentiation rate flags), deductions and bonuses (one proposed from an overdue
 * follow-up and confirmed), and the two earlier quarters closed — all through the
 * functions the pages and the CLI call. A second run leaves closed quarters alone. */

static struct auth_user demo_user(struct db *db, const char *login, enum auth_role role, const char *unit)
{
	struct auth_user u = {.role = role};
	snprintf(u.login, sizeof u.login, "%s", login);
	struct org_unit ou;
	if (unit && org_unit_get(db, unit, &ou) == GS_OK) {
		u.unit_id = ou.id;
		snprintf(u.unit_code, sizeof u.unit_code, "%s", ou.code);
		org_unit_clear(&ou);
	}
	return u;
}

/* Stores a manual value; a closed period (a second demo run) is not an error. */
static enum gs_result demo_manual(struct db *db, const struct auth_user *who, const char *ind, const char *unit,
				  const char *period, int is_score, double value, long *n)
{
	char err[INDICATOR_ERR_MAX];
	enum gs_result r = indicator_manual_set(db, who, ind, unit, period, is_score, value, NULL, util_now(), err,
						sizeof err);
	if (r == GS_OK)
		(*n)++;
	else if (r == GS_ERR_CONFLICT)
		r = GS_OK;
	else
		fprintf(stderr, "gridscore: demo %s %s %s: %s\n", ind, unit, period, err);
	return r;
}

static enum gs_result demo_adjust(struct db *db, const struct auth_user *who, const char *unit, const char *period,
				  int bonus, double points, enum indicator_source src, const char *reason)
{
	char err[INDICATOR_ERR_MAX];
	struct indicator_adjustment_in in = {.unit_code = unit, .period = period, .bonus = bonus, .points = points,
					     .reason = reason, .source = src};
	enum gs_result r = indicator_adjustment_add(db, who, &in, 0, util_now(), NULL, err, sizeof err);
	if (r != GS_OK)
		fprintf(stderr, "gridscore: demo adjustment %s %s: %s\n", unit, period, err);
	return r;
}

static enum gs_result demo_scores(struct db *db, FILE *out)
{
	struct auth_user mkt = demo_user(db, "marketing", AUTH_ROLE_MANAGER, "QH-MKT");
	struct auth_user off = demo_user(db, "office", AUTH_ROLE_MANAGER, "QH-OFF");
	struct auth_user ops = demo_user(db, "operations", AUTH_ROLE_MANAGER, "QH-OPS");
	struct auth_user admin = demo_user(db, "admin", AUTH_ROLE_ADMIN, NULL);
	char periods[3][SCORE_PERIOD_MAX];
	struct score_period p;
	scoring_current_quarter(util_now(), periods[2]);
	score_period_parse(periods[2], &p);
	score_period_previous(&p, &p);
	score_period_format(&p, periods[1]);
	score_period_previous(&p, &p);
	score_period_format(&p, periods[0]);
	struct org_unit *units = NULL;
	size_t nu = 0;
	enum gs_result r = org_units_list(db, 0, &units, &nu);
	long entries = 0, adjustments = 0, closed = 0;
	for (int k = 0; k < 3 && r == GS_OK; k++) {
		const char *per = periods[k];
		for (size_t i = 0; i < nu && r == GS_OK; i++) {
			const char *kind = units[i].kind, *code = units[i].code;
			unsigned v = (unsigned)(i * 7 + (size_t)k * 3); /* deterministic variety */
			if (strcmp(kind, "station") == 0)
				r = demo_manual(db, &mkt, "service-quality-inspection", code, per, 0, 88 + v % 12, &entries);
			if (r == GS_OK && strcmp(kind, "team") == 0)
				r = demo_manual(db, &ops, "work-safety", code, per, 0, v % 4, &entries);
			if (r == GS_OK && strcmp(kind, "department") == 0)
				r = demo_manual(db, &off, "key-work", code, per, 0, 0.85 + (double)(v % 4) * 0.05, &entries);
			/* the office marks everyone alike: flagged as insufficient differentiation */
			if (r == GS_OK && strcmp(kind, "team") != 0)
				r = demo_manual(db, &off, "party-building", code, per, 1, 90, &entries);
		}
		if (r != GS_OK || indicator_period_closed(db, per) != 0)
			continue;
		struct indicator_adjustment_row *rows = NULL;
		size_t na = 0;
		r = indicator_adjustments_list(db, per, &rows, &na);
		indicator_adjustments_free(rows, na);
		if (r != GS_OK || na > 0)
			continue; /* recorded by an earlier run */
		r = demo_adjust(db, &mkt, "QH-S05", per, 0, 3, INDICATOR_SRC_INSPECTION,
				"营业厅服务规范检查发现问题（廉政监察通报）");
		if (r == GS_OK)
			r = demo_adjust(db, &mkt, "QH-S02", per, 1, 2, INDICATOR_SRC_PUBLIC_OPINION, "客户来信表扬，媒体正面报道");
		if (r == GS_OK && k < 2)
			r = demo_adjust(db, &admin, "QH-S07", per, 0, 5, INDICATOR_SRC_SUPERVISION, "督办事项逾期未完成");
		adjustments += r == GS_OK ? (k < 2 ? 3 : 2) : 0;
		/* overdue follow-ups become proposed deductions; the first one is confirmed */
		long proposed = 0;
		if (r == GS_OK)
			r = indicator_propose_overdue(db, per, 1, util_now(), &proposed);
		if (r == GS_OK && proposed > 0) {
			r = indicator_adjustments_list(db, per, &rows, &na);
			for (size_t i = 0; r == GS_OK && i < na; i++)
				if (rows[i].followup_id && strcmp(rows[i].state, "proposed") == 0) {
					char err[INDICATOR_ERR_MAX];
					r = indicator_adjustment_decide(db, &admin, rows[i].id, 1, util_now(), err, sizeof err);
					break;
				}
			indicator_adjustments_free(rows, na);
			adjustments += proposed;
		}
	}
	org_units_free(units, nu);
	for (int k = 0; k < 2 && r == GS_OK; k++) {
		if (indicator_period_closed(db, periods[k]) != 0)
			continue;
		char err[INDICATOR_ERR_MAX];
		r = scoring_period_close(db, &admin, periods[k], util_now(), NULL, err, sizeof err);
		if (r != GS_OK)
			fprintf(stderr, "gridscore: demo close %s: %s\n", periods[k], err);
		closed++;
	}
	if (r == GS_OK)
		fprintf(out, "demo scores: %ld manual entries, %ld deductions and bonuses for %s–%s, %ld quarters closed (%s, %s)\n",
			entries, adjustments, periods[0], periods[2], closed, periods[0], periods[1]);
	return r;
}

enum gs_result demo_load(struct db *db, FILE *out)
{
	const struct embed_file *f = embed_find(DEMO_ORG);
	if (!f) {
		fprintf(stderr, "gridscore: the demo county is missing from this build\n");
		return GS_ERR_INTERNAL;
	}
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = org_load_memory(db, "demo county", (const char *)f->data, f->len, rep);
	org_report_print(rep, "demo county", out);
	free(rep);
	if (r != GS_OK)
		return r;

	struct org_unit *units = NULL;
	size_t n = 0;
	r = org_units_list(db, 0, &units, &n);
	if (r != GS_OK)
		return r;
	fprintf(out, "demo logins (login, password, scope):\n");
	r = demo_login(db, out, "admin", AUTH_ROLE_ADMIN, NULL, "administrator");
	if (r == GS_OK)
		r = demo_login(db, out, "manager", AUTH_ROLE_MANAGER, NULL, "manager, reads everything");
	if (r == GS_OK)
		r = demo_login(db, out, "marketing", AUTH_ROLE_MANAGER, "QH-MKT", "marketing department: evaluates service quality");
	if (r == GS_OK)
		r = demo_login(db, out, "office", AUTH_ROLE_MANAGER, "QH-OFF", "office: evaluates party building and key work");
	if (r == GS_OK)
		r = demo_login(db, out, "operations", AUTH_ROLE_MANAGER, "QH-OPS", "operations: evaluates work safety");
	for (size_t i = 0; i < n && r == GS_OK; i++) {
		if (strcmp(units[i].kind, "station") != 0)
			continue;
		char login[AUTH_LOGIN_MAX + 1], what[256];
		/* QH-S01 → station-s01 */
		const char *tail = strrchr(units[i].code, '-');
		snprintf(login, sizeof login, "station-%s", tail ? tail + 1 : units[i].code);
		for (char *p = login; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		snprintf(what, sizeof what, "station user, %s (%s)", units[i].name, units[i].code);
		r = demo_login(db, out, login, AUTH_ROLE_STATION, units[i].code, what);
	}
	org_units_free(units, n);
	if (r == GS_OK)
		r = demo_surveys(db, out);
	if (r == GS_OK)
		r = demo_rollout_load(db, out);
	if (r == GS_OK)
		r = demo_indicators(db, out);
	if (r == GS_OK)
		r = survey_aggregates_rebuild(db, 1, NULL);
	if (r == GS_OK)
		r = demo_scores(db, out);
	return r;
}
