/* test_scoring_cache.c — the report cache of a database file and the server's warmer.
 * A report stays cached while nothing it is made of changes, across minutes (the same
 * shared report comes back); it expires when an open follow-up becomes overdue and at
 * the next local midnight, and a new response makes a new version. The warmer started
 * on the file computes the current quarter's report before any page asks for it, and
 * again after new data. Database file in GS_TMP (ctest sets it); run from the source
 * folder. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "indicator.h"
#include "org.h"
#include "scoring.h"
#include "survey.h"
#include "util.h"

static struct db *db;
static struct survey_settings set;
static int64_t form_row;
static int serial;

static int64_t first_hall(const char *station)
{
	struct org_unit u;
	if (org_unit_get(db, station, &u) != GS_OK)
		return 0;
	struct org_hall *h = NULL;
	size_t n = 0;
	org_halls_list(db, u.id, &h, &n);
	int64_t id = n ? h[0].id : 0;
	org_halls_free(h, n);
	org_unit_clear(&u);
	return id;
}

/* local time on a day, unix seconds */
static int64_t at(const char *day, int hour)
{
	return (int64_t)survey_day_number(day) * 86400 - 8 * 3600 + hour * 3600;
}

static void respond(const char *station, int64_t when, int rating)
{
	char inst[64];
	snprintf(inst, sizeof inst, "uuid:cache-%d", ++serial);
	struct survey_submission s = {.hall_id = first_hall(station),
				      .form_row = form_row,
				      .submitted_at = when,
				      .rating = rating,
				      .satisfied = rating >= 4,
				      .answers_json = "{}",
				      .instance = inst,
				      .duration_s = 40};
	struct survey_stored out;
	CHECK_INT(survey_store(db, &set, &s, &out), GS_OK);
}

static const struct scoring_unit *station(const struct scoring_result *r)
{
	return scoring_find_unit(r, "QH-S01");
}

static struct scoring_result *report(const char *period, int64_t now)
{
	struct scoring_result *r = NULL;
	char err[256];
	CHECK_INT(scoring_report(db, period, now, &r, err, sizeof err), GS_OK);
	return r;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Waits (up to 30 s, not a timing check) for the warmer to have computed n reports. */
static int warmer_reached(struct scoring_warmer *w, unsigned long n)
{
	for (int i = 0; i < 3000 && scoring_warmer_computed(w) < n; i++)
		sleep_ms(10);
	return scoring_warmer_computed(w) >= n;
}

int main(void)
{
	char err[512], path[512];
	const char *tmp = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	mkdir(tmp, 0700);
	snprintf(path, sizeof path, "%s/scoring-cache-%d.db", tmp, (int)getpid());
	unlink(path);
	if (db_open(path, DB_CREATE | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct org_load_report *orep = xcalloc(1, sizeof *orep);
	CHECK_INT(org_load_file(db, "src/demo/county-org.xml", orep), GS_OK);
	free(orep);
	struct indicator_load_report *irep = xcalloc(1, sizeof *irep);
	CHECK_INT(indicator_load_file(db, "tests/data/indicators/e2e-catalog.xml", irep), GS_OK);
	free(irep);
	CHECK_INT(survey_settings_load(db, &set), GS_OK);
	CHECK_INT(survey_form_register(db, "cache", "1", "<x/>", 4, &form_row), GS_OK);

	/* 2026Q2: a good rating and a bad one (its follow-up is due 15 days later) */
	int64_t bad_at = at("2026-06-01", 10);
	respond("QH-S01", at("2026-06-01", 9), 5);
	respond("QH-S01", bad_at, 1);
	int64_t due = bad_at + (int64_t)set.followup_days * 86400;

	/* the same version within a day: the same shared report, minutes apart */
	int64_t t0 = at("2026-06-05", 9);
	struct scoring_result *a = report("2026Q2", t0);
	struct scoring_result *b = report("2026Q2", t0 + 61);
	struct scoring_result *c = report("2026Q2", t0 + 3 * 3600);
	CHECK(a && a == b && b == c);
	CHECK(a && station(a) && station(a)->followups_open == 1 && station(a)->followups_overdue == 0);
	scoring_free(b);
	scoring_free(c);

	/* the next local midnight ends it (milestones due and "today" move) */
	struct scoring_result *d = report("2026Q2", at("2026-06-05", 23) + 3599);
	CHECK(d == a);
	struct scoring_result *e = report("2026Q2", at("2026-06-06", 0));
	CHECK(e && e != a);
	scoring_free(d);
	scoring_free(a);

	/* the follow-up's due time: overdue once now passes it, not before */
	struct scoring_result *f = report("2026Q2", due - 60);
	CHECK(f && station(f) && station(f)->followups_overdue == 0);
	struct scoring_result *g = report("2026Q2", due);
	CHECK(g == f);
	struct scoring_result *h = report("2026Q2", due + 1);
	CHECK(h && h != f && station(h) && station(h)->followups_overdue == 1);
	scoring_free(e);
	scoring_free(f);
	scoring_free(g);

	/* new data: a new version at once, whatever the clock */
	respond("QH-S01", at("2026-06-02", 11), 4);
	struct scoring_result *i = report("2026Q2", due + 2);
	CHECK(i && i != h);
	const struct scoring_indicator *sat = NULL;
	for (size_t k = 0; i && station(i) && k < station(i)->n_ind; k++)
		if (station(i)->ind[k].responses > 0)
			sat = &station(i)->ind[k];
	CHECK(sat && sat->responses == 3);
	scoring_free(h);

	/* the league table's reader: a report computed before the newest responses serves
	 * for max_age seconds, not longer, and never across another kind of change */
	int64_t t1 = due + 12;
	struct scoring_result *l = report("2026Q2", t1);
	CHECK(l == i);
	respond("QH-S01", at("2026-06-03", 11), 5);
	struct scoring_result *m = NULL;
	CHECK_INT(scoring_report_recent(db, "2026Q2", t1 + 30, 60, &m, err, sizeof err), GS_OK);
	CHECK(m == i); /* lagging by one response, 40 s old */
	scoring_free(m);
	CHECK_INT(scoring_report_recent(db, "2026Q2", due + 2 + 61, 60, &m, err, sizeof err), GS_OK);
	CHECK(m && m != i && m->computed_at == due + 2 + 61); /* 61 s old by then: computed */
	struct scoring_result *exact = report("2026Q2", due + 2 + 61);
	CHECK(exact == m); /* the exact version, cached */
	scoring_free(exact);
	scoring_free(m);
	respond("QH-S01", at("2026-06-03", 13), 5);
	CHECK(db_exec(db, "INSERT INTO settings(name, value) VALUES('test.other', '1')") == GS_OK);
	CHECK_INT(scoring_report_recent(db, "2026Q2", due + 2 + 62, 60, &m, err, sizeof err), GS_OK);
	CHECK(m && m->computed_at == due + 2 + 62); /* never lagged across a settings change */
	scoring_free(m);
	CHECK_INT(scoring_report_recent(db, "2026Q9", due, 60, &m, err, sizeof err), GS_ERR_INVALID);
	scoring_free(l);
	scoring_free(i);

	/* the warmer: the current quarter's report is computed before a page asks */
	struct scoring_warmer *w = NULL;
	int64_t started = util_now();
	CHECK_INT(scoring_warmer_start(path, 100, &w, err, sizeof err), GS_OK);
	CHECK(warmer_reached(w, 1));
	char period[SCORE_PERIOD_MAX];
	scoring_current_quarter(util_now(), period);
	struct scoring_result *j = report(period, util_now());
	CHECK(j && j->computed_at >= started && j->computed_at <= util_now());
	sleep_ms(300); /* a few more rounds: nothing changed, nothing computed */
	CHECK_INT(scoring_warmer_computed(w), 1);
	/* a response now: the warmer computes the new version */
	respond("QH-S01", util_now() - 60, 5);
	CHECK(warmer_reached(w, 2));
	struct scoring_result *k = report(period, util_now());
	CHECK(k && k != j);
	scoring_free(j);
	scoring_free(k);
	scoring_warmer_stop(w);
	scoring_warmer_stop(NULL);

	/* a database that cannot be opened: a clear refusal, no thread */
	w = NULL;
	CHECK(scoring_warmer_start("/nonexistent-dir/x.db", 100, &w, err, sizeof err) != GS_OK && !w && err[0]);

	db_close(db);
	unlink(path);
	char side[600];
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	return check_finish("test_scoring_cache");
}
