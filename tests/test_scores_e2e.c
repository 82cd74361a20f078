/* test_scores_e2e.c — a quarter scored end to end from stored data: survey responses
 * (pooled, a flagged one excluded, a station under the minimum sample using the
 * company's rate, teams using their station's), a rollout import (coverage on the
 * quarter's last day), manual entries by the evaluating departments, confirmed and
 * proposed adjustments; the hand-computed unit, leader and differentiation results;
 * closing, then more responses and another import leave the closed report unchanged;
 * an admin reopen is recorded and the report is live again. The bulk readers scoring
 * uses (survey_bulk, meter_bulk, org_leader_links_all) equal the per-unit functions. In-memory database with
 * the demo county and catalog; run from the source folder (ctest does). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "indicator.h"
#include "meter.h"
#include "meter_bulk.h"
#include "org.h"
#include "scoring.h"
#include "survey.h"
#include "survey_bulk.h"
#include "util.h"
#include "view_score.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

static struct db *db;
static struct survey_settings set;
static int64_t form_row;
static int serial;

static int64_t unit_id(const char *code)
{
	struct org_unit u;
	if (org_unit_get(db, code, &u) != GS_OK)
		return 0;
	int64_t id = u.id;
	org_unit_clear(&u);
	return id;
}

static int64_t first_hall(const char *station)
{
	struct org_hall *h = NULL;
	size_t n = 0;
	org_halls_list(db, unit_id(station), &h, &n);
	int64_t id = n ? h[0].id : 0;
	org_halls_free(h, n);
	return id;
}

/* local time on a day, unix seconds */
static int64_t at(const char *day, int hour)
{
	return (int64_t)survey_day_number(day) * 86400 - 8 * 3600 + hour * 3600;
}

static void respond(const char *station, const char *day, int rating, int n, int duration)
{
	int64_t hall = first_hall(station);
	CHECK(hall > 0);
	for (int i = 0; i < n; i++) {
		char inst[64];
		snprintf(inst, sizeof inst, "uuid:e2e-%d", ++serial);
		struct survey_submission s = {.hall_id = hall,
					      .form_row = form_row,
					      .submitted_at = at(day, 10) + i * 60,
					      .rating = rating,
					      .satisfied = rating >= 4,
					      .answers_json = "{}",
					      .instance = inst,
					      .duration_s = duration};
		struct survey_stored out;
		CHECK_INT(survey_store(db, &set, &s, &out), GS_OK);
	}
}

static void import_text(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/gs-e2e-%d-%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), name);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
	struct meter_import_opts o;
	meter_import_opts_init(&o);
	o.today = "2026-07-10";
	struct meter_import_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = meter_import_run(db, path, &o, rep);
	if (r != GS_OK)
		meter_report_print(rep, name, stderr);
	CHECK_INT(r, GS_OK);
	free(rep);
	unlink(path);
}

static const struct scoring_indicator *ind_of(const struct scoring_unit *u, const char *code)
{
	for (size_t i = 0; u && i < u->n_ind; i++)
		if (strcmp(u->ind[i].code, code) == 0)
			return &u->ind[i];
	return NULL;
}

static const struct scoring_leader *leader_of(const struct scoring_result *r, const char *person)
{
	for (size_t i = 0; i < r->n_leaders; i++)
		if (strcmp(r->leaders[i].person_code, person) == 0)
			return &r->leaders[i];
	return NULL;
}

static char *report_csv(const char *period, int *closed)
{
	struct scoring_result *r = NULL;
	char err[256];
	CHECK_INT(scoring_report(db, period, at("2026-07-10", 12), &r, err, sizeof err), GS_OK);
	if (!r)
		return xstrdup("");
	*closed = r->closed;
	struct buf b;
	buf_init(&b, 1 << 24);
	view_score_csv(&b, r, NULL);
	char *j = scoring_to_json(r);
	buf_puts(&b, j);
	free(j);
	scoring_free(r);
	return buf_steal(&b, NULL);
}

/* The bulk readers scoring uses give exactly the per-unit functions' numbers: survey
 * counts from the units' own rows and, when those are stale, pooled from the hall rows;
 * every station's coverage pooled up the tree; follow-ups per station. */
static void bulk_equals_per_unit(const char *from, const char *to, const char *day, int64_t now)
{
	struct org_unit *units = NULL;
	size_t nu = 0;
	CHECK_INT(org_units_list(db, 0, &units, &nu), GS_OK);
	for (int stale = 0; stale < 2; stale++) {
		if (stale) /* as if an org file changed the tree after the unit rows were derived */
			CHECK_INT(db_exec(db, "UPDATE settings SET value = '-1' WHERE name = 'survey.aggregates_org'"), GS_OK);
		for (int verified_only = 0; verified_only < 2; verified_only++) {
			struct survey_bulk_count *c = NULL;
			size_t nc = 0;
			CHECK_INT(survey_bulk_unit_counts(db, from, to, verified_only, &c, &nc), GS_OK);
			size_t with = 0;
			for (size_t i = 0; i < nu; i++) {
				struct survey_scope sc = {.unit_id = units[i].id};
				struct survey_stats st;
				CHECK_INT(survey_stats_get(db, &set, &sc, from, to, verified_only, 0, &st), GS_OK);
				int64_t resp = 0, sat = 0;
				for (size_t k = 0; k < nc; k++)
					if (c[k].unit_id == units[i].id)
						resp = c[k].responses, sat = c[k].satisfied;
				CHECK_INT(resp, st.responses);
				CHECK_INT(sat, st.satisfied);
				with += st.responses > 0;
				survey_stats_clear(&st);
			}
			CHECK(with > 0 || verified_only);
			free(c);
		}
	}
	CHECK_INT(survey_aggregates_rebuild(db, 0, NULL), GS_OK);
	struct survey_bulk_count *c = NULL;
	size_t nc = 0;
	CHECK_INT(survey_bulk_unit_counts(db, to, from, 0, &c, &nc), strcmp(to, from) > 0 ? GS_ERR_INVALID : GS_OK);
	free(c);
	CHECK_INT(survey_bulk_unit_counts(db, "2026-02-30", to, 0, &c, &nc), GS_ERR_INVALID);

	struct meter_bulk_station *ms = NULL;
	size_t nm = 0;
	CHECK_INT(meter_bulk_coverage_at(db, day, &ms, &nm), GS_OK);
	struct survey_bulk_followups *fu = NULL;
	size_t nf = 0;
	CHECK_INT(survey_bulk_followups(db, now, &fu, &nf), GS_OK);
	for (size_t i = 0; i < nu; i++) {
		/* pooled over the stations within the unit, as scoring pools them */
		long points = 0, smart = 0;
		int64_t open = 0, overdue = 0;
		for (size_t k = 0; k < nm; k++)
			if (org_unit_within(db, ms[k].station_id, units[i].id) == 1)
				points += ms[k].points, smart += ms[k].smart;
		for (size_t k = 0; k < nf; k++)
			if (org_unit_within(db, fu[k].station_id, units[i].id) == 1)
				open += fu[k].open, overdue += fu[k].overdue;
		struct meter_coverage cov;
		CHECK_INT(meter_coverage_at(db, units[i].id, day, &cov), GS_OK);
		CHECK_INT(points, cov.points);
		CHECK_INT(smart, cov.smart);
		int64_t o = 0, d = 0;
		CHECK_INT(survey_followups_count(db, units[i].id, now, &o, &d), GS_OK);
		CHECK_INT(open, o);
		CHECK_INT(overdue, d);
	}
	free(ms);
	free(fu);
	CHECK_INT(meter_bulk_coverage_at(db, "yesterday", &ms, &nm), GS_ERR_INVALID);
	CHECK(ms == NULL && nm == 0);

	/* all leader links: every unit's links are among them */
	struct org_leader_link *all = NULL;
	size_t na = 0;
	CHECK_INT(org_leader_links_all(db, &all, &na), GS_OK);
	CHECK(na > 0);
	for (size_t i = 0; i < nu; i++) {
		struct org_leader *l = NULL;
		size_t nl = 0;
		CHECK_INT(org_leaders_of_unit(db, units[i].id, &l, &nl), GS_OK);
		for (size_t k = 0; k < nl; k++) {
			int found = 0;
			for (size_t j = 0; j < na && !found; j++)
				found = strcmp(all[j].person_code, l[k].person_code) == 0 && strcmp(all[j].kind, l[k].kind) == 0 &&
					strcmp(all[j].unit_code, l[k].unit_code) == 0;
			CHECK(found);
		}
		org_leaders_free(l, nl);
	}
	org_leader_links_free(all, na);
	org_leader_links_free(NULL, 0);
	org_units_free(units, nu);
}

int main(void)
{
	char err[512];
	CHECK_INT(db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, err, sizeof err), GS_OK);
	struct org_load_report *orep = xcalloc(1, sizeof *orep);
	CHECK_INT(org_load_file(db, "src/demo/county-org.xml", orep), GS_OK);
	free(orep);
	struct indicator_load_report *irep = xcalloc(1, sizeof *irep);
	CHECK_INT(indicator_load_file(db, "tests/data/indicators/e2e-catalog.xml", irep), GS_OK);
	free(irep);
	CHECK_INT(survey_settings_load(db, &set), GS_OK);
	CHECK_INT(survey_form_register(db, "e2e", "1", "<x/>", 4, &form_row), GS_OK);

	/* surveys in 2026Q2: QH-S01 36 of 40 satisfied plus one flagged (too fast);
	 * QH-S02 5 of 10 (under the minimum of 30) */
	respond("QH-S01", "2026-05-12", 5, 36, 40);
	respond("QH-S01", "2026-05-13", 2, 4, 40);
	respond("QH-S01", "2026-05-13", 1, 1, 1);
	respond("QH-S02", "2026-05-12", 5, 5, 40);
	respond("QH-S02", "2026-05-12", 3, 5, 40);
	/* QH-S01's rollout: 4 points, 3 smart meters by the end of June */
	import_text("a.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"QH-S01\" file-id=\"e2e-a\" "
			     "generated-at=\"2026-07-01T10:00:00+08:00\">\n<inventory>\n"
			     "<point code=\"E1\" class=\"residential\" since=\"2020-01-01\"/>\n"
			     "<point code=\"E2\" class=\"residential\" since=\"2020-01-01\"/>\n"
			     "<point code=\"E3\" class=\"residential\" since=\"2020-01-01\"/>\n"
			     "<point code=\"E4\" class=\"residential\" since=\"2020-01-01\"/>\n</inventory>\n<events>\n"
			     "<install meter=\"EM1\" point=\"E1\" date=\"2026-04-10\"/>\n"
			     "<install meter=\"EM2\" point=\"E2\" date=\"2026-04-10\"/>\n"
			     "<install meter=\"EM3\" point=\"E3\" date=\"2026-04-10\"/>\n</events>\n</rollout>\n");

	/* manual entries by the evaluating departments */
	struct auth_user mkt = {.id = 1, .role = AUTH_ROLE_MANAGER, .unit_id = unit_id("QH-MKT")};
	struct auth_user off = {.id = 2, .role = AUTH_ROLE_MANAGER, .unit_id = unit_id("QH-OFF")};
	struct auth_user admin = {.id = 3, .role = AUTH_ROLE_ADMIN};
	snprintf(mkt.login, sizeof mkt.login, "mkt");
	snprintf(off.login, sizeof off.login, "off");
	snprintf(admin.login, sizeof admin.login, "admin");
	int64_t now = at("2026-07-10", 12);
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S01", "2026Q2", 0, 96, NULL, now, err,
				       sizeof err),
		  GS_OK);
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S02", "2026Q2", 0, 90, NULL, now, err,
				       sizeof err),
		  GS_OK);
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S03", "2026Q2", 0, 90, NULL, now, err,
				       sizeof err),
		  GS_OK);
	const char *same[] = {"QH-S01", "QH-S02", "QH-S03", "QH-S04"};
	for (size_t i = 0; i < 4; i++)
		CHECK_INT(indicator_manual_set(db, &off, "party-building", same[i], "2026Q2", 1, 90, NULL, now, err,
					       sizeof err),
			  GS_OK);
	struct indicator_adjustment_in ded = {.unit_code = "QH-S01", .period = "2026Q2", .points = 5,
					      .reason = "complaint upheld", .source = INDICATOR_SRC_SUPERVISION};
	CHECK_INT(indicator_adjustment_add(db, &mkt, &ded, 0, now, NULL, err, sizeof err), GS_OK);
	ded.points = 3; /* proposed only: does not count */
	CHECK_INT(indicator_adjustment_add(db, &mkt, &ded, 1, now, NULL, err, sizeof err), GS_OK);

	bulk_equals_per_unit("2026-04-01", "2026-06-30", "2026-06-30", now);
	bulk_equals_per_unit("2026-05-13", "2026-05-13", "2026-04-09", now);

	struct scoring_result *r = NULL;
	CHECK_INT(scoring_compute(db, "2026Q2", now, &r, err, sizeof err), GS_OK);
	scoring_free(r);
	CHECK_INT(scoring_compute(db, "2026Q5", now, &r, err, sizeof err), GS_ERR_INVALID);
	CHECK(r == NULL);
	CHECK_CONTAINS(err, "2026Q5");
	CHECK_INT(scoring_compute(db, "2026Q2", now, &r, err, sizeof err), GS_OK);
	const struct scoring_unit *s01 = scoring_find_unit(r, "QH-S01"), *s02 = scoring_find_unit(r, "QH-S02");
	const struct scoring_unit *s04 = scoring_find_unit(r, "QH-S04"), *qh = scoring_find_unit(r, "QH");
	const struct scoring_unit *team = scoring_find_unit(r, "QH-S01-T1");
	CHECK(s01 && s02 && s04 && qh && team);
	if (!(s01 && s02 && s04 && qh && team))
		return check_finish("test_scores_e2e");
	/* pooled survey rate, the flagged response excluded: 36/40 = 0.9 → 100 + 20 × 0.02/0.08 = 105 */
	const struct scoring_indicator *ce = ind_of(s01, "customer-evaluation");
	CHECK(ce && ce->has_actual && NEAR(ce->actual, 0.9) && NEAR(ce->score, 105));
	CHECK_INT(ce->responses, 40);
	CHECK(!ce->fallback);
	/* coverage on 2026-06-30: 3/4 under the 2025 parameters → 60 + 40 × 0.25/0.30 */
	const struct scoring_indicator *cov = ind_of(s01, "smart-meter-coverage");
	CHECK(cov && NEAR(cov->actual, 0.75) && NEAR(cov->score, 60 + 40 * 0.25 / 0.30));
	CHECK_INT(cov->points, 4);
	/* step: 96 against 95 with a whole-step bonus of 1 → 101 */
	CHECK(NEAR(ind_of(s01, "service-quality-inspection")->score, 101));
	/* (30 × 105 + 30 × 93.333 + 25 × 101 + 15 × 90) / 100 − 5 (the proposed 3 does not count) */
	CHECK(s01->scored && NEAR(s01->weighted, 98.25) && NEAR(s01->score, 93.25));
	CHECK(NEAR(s01->deductions_raw, 5));
	/* QH-S02: 10 responses < 30 → the company's rate 41/50 = 0.82 → 76; no meters: its
	 * weight is spread over the rest: (30 × 76 + 25 × 90 + 15 × 90) / 70 = 84 */
	ce = ind_of(s02, "customer-evaluation");
	CHECK(ce && ce->fallback && ce->rate_from && strcmp(ce->rate_from, "QH") == 0 && NEAR(ce->actual, 0.82));
	CHECK_CONTAINS(ce->note, "insufficient sample");
	CHECK(!ind_of(s02, "smart-meter-coverage")->has_data);
	CHECK(NEAR(s02->weight_missing, 30) && s02->n_missing == 1 && NEAR(s02->score, 84));
	CHECK(NEAR(ind_of(s02, "service-quality-inspection")->effective_weight, 25.0 * 100 / 70));
	/* QH-S04: (30 × 76 + 15 × 90) / 45 */
	CHECK(NEAR(s04->score, (30 * 76 + 15 * 90) / 45.0));
	/* a team without halls uses its station's rate */
	ce = ind_of(team, "customer-evaluation");
	CHECK(ce && ce->fallback && strcmp(ce->rate_from, "QH-S01") == 0 && NEAR(team->score, 105));
	/* the company on its own pooled data: (40 × 76 + 40 × 93.333) / 80 */
	double company = (40 * 76 + 40 * (60 + 40 * 0.25 / 0.30)) / 80.0;
	CHECK(NEAR(qh->score, company));
	/* ranks among the 10 stations: S01 first */
	CHECK_INT(s01->rank, 1);
	CHECK_INT(s01->peers, 10);
	/* leaders: the head is the company; deputy QH-P02 = 0.5 × company + 0.5 × mean(S02, S03, S04)
	 * (QH-MKT has no score and is left out) */
	const struct scoring_leader *p01 = leader_of(r, "QH-P01"), *p02 = leader_of(r, "QH-P02");
	CHECK(p01 && NEAR(p01->score, company));
	double mean = (84 + 84 + (30 * 76 + 15 * 90) / 45.0) / 3;
	CHECK(p02 && NEAR(p02->score, 0.5 * company + 0.5 * mean));
	CHECK(p02 && p02->used_links == 3);
	/* differentiation: four equal party-building scores → 0, flagged; 101, 90, 90 → 1/3 */
	int seen_party = 0, seen_sqi = 0;
	for (size_t i = 0; i < r->n_diffs; i++) {
		if (strcmp(r->diffs[i].indicator, "party-building") == 0 && strcmp(r->diffs[i].kind, "station") == 0) {
			seen_party = 1;
			CHECK(r->diffs[i].d.flagged && NEAR(r->diffs[i].d.rate, 0));
			CHECK_STR(r->diffs[i].evaluator, "QH-OFF");
		}
		if (strcmp(r->diffs[i].indicator, "service-quality-inspection") == 0) {
			seen_sqi = 1;
			CHECK(!r->diffs[i].d.flagged && NEAR(r->diffs[i].d.rate, 1.0 / 3));
		}
	}
	CHECK(seen_party && seen_sqi);
	/* the JSON form round-trips exactly */
	char *j1 = scoring_to_json(r);
	struct scoring_result *back = NULL;
	CHECK_INT(scoring_from_json(j1, &back), GS_OK);
	char *j2 = back ? scoring_to_json(back) : xstrdup("");
	CHECK_STR(j2, j1);
	free(j1), free(j2);
	scoring_free(back);
	/* a damaged snapshot text is refused, not half-read */
	CHECK_INT(scoring_from_json("[1,2]", &back), GS_ERR_INVALID);
	CHECK_INT(scoring_from_json("{\"units\":", &back), GS_ERR_INVALID);
	CHECK(back == NULL);
	/* missing keys read as empty, never as NULL strings the views would print */
	CHECK_INT(scoring_from_json("{\"units\":[{\"indicators\":[{}]}],\"leaders\":[{}]}", &back), GS_OK);
	CHECK(back && back->n_units == 1 && back->units[0].code && back->units[0].ind[0].code && back->leaders[0].unit_code);
	scoring_free(back);
	scoring_free(r);

	/* closing: refused to a station user, then done by the admin */
	struct auth_user st = {.id = 4, .role = AUTH_ROLE_STATION, .unit_id = unit_id("QH-S01")};
	snprintf(st.login, sizeof st.login, "st");
	char sha[65] = "";
	CHECK_INT(scoring_period_close(db, &st, "2026Q2", now, sha, err, sizeof err), GS_ERR_FORBIDDEN);
	int closed = 0;
	char *before = report_csv("2026Q2", &closed);
	CHECK_INT(closed, 0);
	CHECK_INT(scoring_period_close(db, &admin, "2026Q2", now, sha, err, sizeof err), GS_OK);
	CHECK_INT(strlen(sha), 64);
	CHECK_INT(scoring_period_close(db, &admin, "2026Q2", now, sha, err, sizeof err), GS_ERR_CONFLICT);
	char *closed_report = report_csv("2026Q2", &closed);
	CHECK_INT(closed, 1);
	/* the stored report is the one computed at closing (the JSON's computed_at aside) */
	CHECK(strncmp(before, closed_report, strstr(before, "{") - before) == 0);

	/* later data for the closed quarter: 40 bad ratings and a new meter */
	respond("QH-S01", "2026-06-02", 1, 40, 40);
	import_text("b.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"QH-S01\" file-id=\"e2e-b\" "
			     "generated-at=\"2026-07-09T10:00:00+08:00\">\n<events>\n"
			     "<install meter=\"EM4\" point=\"E4\" date=\"2026-05-01\"/>\n</events>\n</rollout>\n");
	char *after = report_csv("2026Q2", &closed);
	CHECK_STR(after, closed_report);
	CHECK_INT(indicator_manual_set(db, &mkt, "service-quality-inspection", "QH-S01", "2026Q2", 0, 80, NULL, now, err,
				       sizeof err),
		  GS_ERR_CONFLICT);

	/* reopening: admins only, with a reason, recorded; the report is live again */
	CHECK_INT(indicator_period_reopen(db, &mkt, "2026Q2", "late data", now, err, sizeof err), GS_ERR_FORBIDDEN);
	CHECK_INT(indicator_period_reopen(db, &admin, "2026Q2", "late survey data", now + 60, err, sizeof err), GS_OK);
	sqlite3_stmt *q = db_stmt(db, "SELECT count(*) FROM score_period_events WHERE period = '2026Q2' AND "
				      "action = 'reopen' AND actor = 'admin' AND reason = 'late survey data'");
	CHECK(q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1);
	if (q)
		sqlite3_reset(q);
	char *live = report_csv("2026Q2", &closed);
	CHECK_INT(closed, 0);
	CHECK(strcmp(live, closed_report) != 0);
	CHECK_INT(scoring_compute(db, "2026Q2", now, &r, err, sizeof err), GS_OK);
	s01 = r ? scoring_find_unit(r, "QH-S01") : NULL;
	CHECK(s01 && NEAR(ind_of(s01, "smart-meter-coverage")->actual, 1.0));
	CHECK(s01 && NEAR(ind_of(s01, "customer-evaluation")->actual, 36.0 / 80));
	scoring_free(r);
	/* the next quarter compares with the closed-then-reopened one */
	CHECK_INT(scoring_compute(db, "2026Q3", now, &r, err, sizeof err), GS_OK);
	CHECK(r && strcmp(r->previous, "2026Q2") == 0);
	scoring_free(r);
	free(before), free(closed_report), free(after), free(live);
	db_close(db);
	return check_finish("test_scores_e2e");
}
