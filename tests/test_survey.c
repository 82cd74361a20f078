/* test_survey.c — the survey data layer: local dates, hall codes (forgery, revocation),
 * tickets (once only, also under 50 concurrent submitters), flags, aggregates pooled
 * up the tree, statistics against hand-counted values, follow-ups. */
#define _DEFAULT_SOURCE /* usleep */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "org.h"
#include "survey.h"
#include "util.h"

static struct db *open_fixture(const char *path)
{
	struct db *db = NULL;
	char err[256];
	int flags = DB_MIGRATE | (path ? DB_CREATE : DB_MEMORY);
	if (db_open(path, flags, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "db_open: %s\n", err);
		exit(1);
	}
	struct org_load_report rep;
	if (org_load_file(db, "tests/data/http/org.xml", &rep) != GS_OK) {
		fprintf(stderr, "org load failed\n");
		exit(1);
	}
	return db;
}

static int64_t hall_id(struct db *db, const char *code)
{
	struct org_hall h;
	if (org_hall_get(db, code, &h) != GS_OK)
		return 0;
	int64_t id = h.id;
	org_hall_clear(&h);
	return id;
}

static int64_t unit_id(struct db *db, const char *code)
{
	struct org_unit u;
	if (org_unit_get(db, code, &u) != GS_OK)
		return 0;
	int64_t id = u.id;
	org_unit_clear(&u);
	return id;
}

/* A local time (Asia/Shanghai) as unix seconds. */
static int64_t local_ts(const char *day, int hour, int minute)
{
	return (int64_t)survey_day_number(day) * 86400 + hour * 3600 + minute * 60 - SURVEY_TZ_OFFSET_S;
}

static void test_dates(void)
{
	char day[11];
	int hour, wd;
	CHECK_INT(survey_day_number("1970-01-01"), 0);
	CHECK_INT(survey_day_number("2000-03-01"), 11017);
	CHECK_INT(survey_day_number("2026-11-26"), 20783);
	CHECK_INT(survey_day_number("2024-02-29"), 19782);
	CHECK_INT(survey_day_number("2023-02-29"), -1);
	CHECK_INT(survey_day_number("2026-13-01"), -1);
	CHECK_INT(survey_day_number("2026-04-31"), -1);
	CHECK_INT(survey_day_number("2026-4-01"), -1);
	CHECK_INT(survey_day_number("2026-04-0x"), -1);
	CHECK_INT(survey_day_number(""), -1);
	CHECK_INT(survey_day_number(NULL), -1);
	survey_day_string(20783, day);
	CHECK_STR(day, "2026-11-26");
	for (long d = 0; d < 40000; d += 37) {
		survey_day_string(d, day);
		CHECK(survey_day_number(day) == d);
	}
	/* 2026-11-26 00:30 Shanghai is 2026-11-25 16:30 UTC; a Thursday */
	survey_local_time(1795624200, day, &hour, &wd);
	CHECK_STR(day, "2026-11-26");
	CHECK_INT(hour, 0);
	CHECK_INT(wd, 4);
	survey_local_time(local_ts("2026-11-29", 23, 59), day, &hour, &wd);
	CHECK_STR(day, "2026-11-29");
	CHECK_INT(hour, 23);
	CHECK_INT(wd, 7);
	survey_local_time(local_ts("2026-11-30", 8, 0), day, &hour, &wd);
	CHECK_INT(wd, 1);
}

static void test_codes(void)
{
	struct db *db = open_fixture(NULL);
	char code[SURVEY_CODE_MAX], code2[SURVEY_CODE_MAX];
	struct org_hall h;
	CHECK_INT(survey_code_make(db, "T-H1", 1, code), GS_OK);
	CHECK(strncmp(code, "T-H1.1.", 7) == 0);
	CHECK_INT(strlen(code), 7 + 10);
	CHECK_INT(survey_code_make(db, "T-H1", 1, code2), GS_OK);
	CHECK_STR(code, code2); /* stable */
	CHECK_INT(survey_code_resolve(db, code, &h), GS_OK);
	CHECK_STR(h.code, "T-H1");
	org_hall_clear(&h);
	/* upper case and Crockford look-alikes are accepted as typed */
	char upper[SURVEY_CODE_MAX];
	strcpy(upper, code);
	for (char *p = upper + 7; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	CHECK_INT(survey_code_resolve(db, upper, &h), GS_OK);
	org_hall_clear(&h);
	/* every single-character change of the MAC is refused */
	int refused = 0;
	for (size_t i = 7; i < strlen(code); i++) {
		char forged[SURVEY_CODE_MAX];
		strcpy(forged, code);
		forged[i] = forged[i] == 'a' ? 'b' : 'a';
		if (survey_code_resolve(db, forged, &h) == GS_ERR_NOT_FOUND)
			refused++;
		else
			org_hall_clear(&h);
	}
	CHECK_INT(refused, 10);
	/* another hall's MAC does not fit */
	CHECK_INT(survey_code_make(db, "T-H2", 1, code2), GS_OK);
	char swapped[SURVEY_CODE_MAX];
	snprintf(swapped, sizeof swapped, "T-H2.1.%s", code + 7);
	CHECK_INT(survey_code_resolve(db, swapped, &h), GS_ERR_NOT_FOUND);
	const char *bad[] = {"", "T-H1", "T-H1.1", "T-H1..abcdefghjk", "T-H1.01.abcdefghjk", "T-H1.1.abc",
			     ".1.abcdefghjk", "T-H1.1.abcdefghjk.", "NOPE.1.abcdefghjk", "T H1.1.abcdefghjk",
			     "T-H1.9999999.abcdefghjk"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(survey_code_resolve(db, bad[i], &h), GS_ERR_NOT_FOUND);
	/* the per-thread cache: the same entry again, forged codes still refused, and
	 * more codes than slots keep working */
	const struct org_hall *ch1 = NULL, *ch2 = NULL;
	CHECK_INT(survey_code_resolve_cached(db, code, &ch1), GS_OK);
	CHECK_STR(ch1->code, "T-H1");
	CHECK_INT(survey_code_resolve_cached(db, code, &ch2), GS_OK);
	CHECK(ch1 == ch2);
	CHECK_INT(survey_code_resolve_cached(db, swapped, &ch2), GS_ERR_NOT_FOUND);
	CHECK(ch2 == NULL);
	for (int i = 0; i < 20; i++) {
		CHECK_INT(survey_code_resolve_cached(db, i % 2 ? code : upper, &ch2), GS_OK);
		CHECK_STR(ch2->code, "T-H1");
	}
	/* rotating the key revokes the old code */
	int v = 0;
	CHECK_INT(survey_hall_rotate_key(db, "T-H1", &v), GS_OK);
	CHECK_INT(v, 2);
	CHECK_INT(survey_code_resolve(db, code, &h), GS_ERR_NOT_FOUND);
	CHECK_INT(survey_code_make(db, "T-H1", 2, code2), GS_OK);
	CHECK(strcmp(code, code2) != 0);
	CHECK_INT(survey_code_resolve(db, code2, &h), GS_OK);
	CHECK_INT(h.key_version, 2);
	org_hall_clear(&h);
	CHECK_INT(survey_hall_rotate_key(db, "NOPE", &v), GS_ERR_NOT_FOUND);
	/* an inactive hall's code is not valid */
	CHECK_INT(db_exec(db, "UPDATE halls SET active = 0 WHERE code = 'T-H1'"), GS_OK);
	CHECK_INT(survey_code_resolve(db, code2, &h), GS_ERR_NOT_FOUND);
	db_close(db);
}

static struct survey_submission sub(int64_t hall, int64_t form, int64_t at, int rating, const char *instance)
{
	return (struct survey_submission){.hall_id = hall,
					  .form_row = form,
					  .submitted_at = at,
					  .rating = rating,
					  .satisfied = rating >= 4,
					  .answers_json = "{}",
					  .instance = instance,
					  .duration_s = 40};
}

static void test_store_and_stats(void)
{
	struct db *db = open_fixture(NULL);
	struct survey_settings set;
	CHECK_INT(survey_settings_load(db, &set), GS_OK);
	CHECK_INT(set.min_sample, 30);
	CHECK_INT(set.ticket_ttl_s, 86400);
	int64_t form = 0, form2 = 0;
	CHECK_INT(survey_form_register(db, "f", "1", "<x/>", 4, &form), GS_OK);
	CHECK_INT(survey_form_register(db, "f", "1", "<x/>", 4, &form2), GS_OK);
	CHECK_INT(form, form2);
	CHECK_INT(survey_form_register(db, "f", "1", "<y/>", 4, &form2), GS_ERR_CONFLICT);
	CHECK_INT(survey_form_register(db, "f", "2", "<y/>", 4, &form2), GS_OK);
	CHECK(form2 != form);

	int64_t h1 = hall_id(db, "T-H1"), h2 = hall_id(db, "T-H2");
	/* T-H1 opens Mondays 08:30-12:00 and 14:00-17:30. 2026-11-23 is a Monday. */
	struct survey_stored st;
	char inst[32];
	int n_ok = 0;
	/* 40 responses at T-H1 during opening hours: ratings 5,4,3,2,1 cycling → 16 satisfied */
	for (int i = 0; i < 40; i++) {
		snprintf(inst, sizeof inst, "h1-%d", i);
		struct survey_submission s = sub(h1, form, local_ts("2026-11-23", 9, i), 5 - i % 5, inst);
		if (survey_store(db, &set, &s, &st) == GS_OK)
			n_ok++;
	}
	CHECK_INT(n_ok, 40);
	/* the same instance again is a duplicate: nothing written */
	struct survey_submission dup = sub(h1, form, local_ts("2026-11-23", 10, 0), 1, "h1-0");
	CHECK_INT(survey_store(db, &set, &dup, &st), GS_ERR_CONFLICT);
	CHECK_INT(st.duplicate, 1);
	/* T-H2 has no hours: never outside; 10 responses, all rating 5, on two days */
	for (int i = 0; i < 10; i++) {
		snprintf(inst, sizeof inst, "h2-%d", i);
		struct survey_submission s = sub(h2, form2, local_ts(i < 5 ? "2026-11-24" : "2026-11-25", 3, i), 5, inst);
		CHECK_INT(survey_store(db, &set, &s, &st), GS_OK);
		CHECK_INT(st.flags, 0);
	}
	/* flagged: outside hours (Monday 20:00), too fast, unserved */
	struct survey_submission late = sub(h1, form, local_ts("2026-11-23", 20, 0), 5, "late");
	CHECK_INT(survey_store(db, &set, &late, &st), GS_OK);
	CHECK_INT(st.flags, SURVEY_FLAG_OUTSIDE_HOURS);
	struct survey_submission grace = sub(h1, form, local_ts("2026-11-23", 17, 50), 5, "grace");
	CHECK_INT(survey_store(db, &set, &grace, &st), GS_OK);
	CHECK_INT(st.flags, 0);
	struct survey_submission fast = sub(h1, form, local_ts("2026-11-23", 11, 0), 1, "fast");
	fast.duration_s = 2;
	fast.unserved = 1;
	CHECK_INT(survey_store(db, &set, &fast, &st), GS_OK);
	CHECK_INT(st.flags, SURVEY_FLAG_FAST | SURVEY_FLAG_UNSERVED);
	CHECK_INT(st.followup_id, 0); /* flagged bad ratings open no follow-up */
	/* burst: the same client hash more than burst_max times an hour */
	unsigned char ch[SURVEY_CLIENT_HASH_LEN];
	CHECK_INT(survey_client_hash(db, "192.0.2.7", "phone", local_ts("2026-11-23", 9, 0), ch), GS_OK);
	int flagged_burst = 0;
	for (int i = 0; i < 4; i++) {
		snprintf(inst, sizeof inst, "burst-%d", i);
		struct survey_submission s = sub(h1, form, local_ts("2026-11-23", 15, i), 4, inst);
		s.client_hash = ch;
		CHECK_INT(survey_store(db, &set, &s, &st), GS_OK);
		flagged_burst += (st.flags & SURVEY_FLAG_BURST) != 0;
	}
	CHECK_INT(flagged_burst, 2); /* the first two pass, then flagged */

	/* statistics for the hall: 40 + grace + 2 unflagged burst = 43 counted */
	struct survey_stats s;
	struct survey_scope scope = {.hall_id = h1};
	CHECK_INT(survey_stats_get(db, &set, &scope, "2026-11-23", "2026-11-23", 0, 1, &s), GS_OK);
	CHECK_INT(s.responses, 43);
	CHECK_INT(s.satisfied, 16 + 1 + 2);
	CHECK_INT(s.levels[5], 8 + 1);
	CHECK_INT(s.levels[4], 8 + 2);
	CHECK_INT(s.levels[1], 8);
	CHECK_INT(s.flagged, 4);
	CHECK_INT(s.unverified, 43);
	CHECK_INT(s.verified, 0);
	CHECK_INT(s.sample_ok, 1);
	CHECK(s.rate > 0.4418 && s.rate < 0.4419);
	CHECK(s.ci_low < s.rate && s.ci_high > s.rate);
	CHECK_INT(s.hour_n[9], 40);
	CHECK_INT(s.weekday_n[1], 43);
	survey_stats_clear(&s);
	/* the station pools its halls; the company pools everything: counts, not rates */
	struct survey_scope company = {.unit_id = unit_id(db, "T")};
	CHECK_INT(survey_stats_get(db, &set, &company, "2026-11-01", "2026-11-30", 0, 0, &s), GS_OK);
	CHECK_INT(s.responses, 53);
	CHECK_INT(s.satisfied, 19 + 10);
	survey_stats_clear(&s);
	struct survey_scope st2 = {.unit_id = unit_id(db, "T-S2")};
	CHECK_INT(survey_stats_get(db, &set, &st2, "2026-11-24", "2026-11-24", 0, 0, &s), GS_OK);
	CHECK_INT(s.responses, 5);
	CHECK_INT(s.sample_ok, 0);
	survey_stats_clear(&s);
	/* a department has no halls */
	struct survey_scope dept = {.unit_id = unit_id(db, "T-MKT")};
	CHECK_INT(survey_stats_get(db, &set, &dept, "2026-11-01", "2026-11-30", 0, 1, &s), GS_OK);
	CHECK_INT(s.responses, 0);
	CHECK(s.rate == 0);
	survey_stats_clear(&s);
	CHECK_INT(survey_stats_get(db, &set, &company, "2026-11-30", "2026-11-01", 0, 0, &s), GS_ERR_INVALID);
	CHECK_INT(survey_stats_get(db, &set, &company, "2026-02-30", "2026-11-01", 0, 0, &s), GS_ERR_INVALID);

	/* unit rows derived again from the hall rows give the same answers */
	struct survey_stats before, after;
	CHECK_INT(survey_stats_get(db, &set, &company, "2026-11-01", "2026-11-30", 0, 1, &before), GS_OK);
	int rebuilt = 0;
	CHECK_INT(survey_aggregates_rebuild(db, 1, &rebuilt), GS_OK);
	CHECK_INT(rebuilt, 1); /* the fixture's org load came after: stale */
	CHECK_INT(survey_aggregates_rebuild(db, 1, &rebuilt), GS_OK);
	CHECK_INT(rebuilt, 0);
	CHECK_INT(survey_stats_get(db, &set, &company, "2026-11-01", "2026-11-30", 0, 1, &after), GS_OK);
	CHECK_INT(after.responses, before.responses);
	CHECK_INT(after.satisfied, before.satisfied);
	CHECK_INT(after.flagged, before.flagged);
	CHECK_INT(after.levels[1], before.levels[1]);
	CHECK_INT(after.hour_n[9], before.hour_n[9]);
	CHECK_INT(after.weekday_n[1], before.weekday_n[1]);
	CHECK_INT(after.n_questions, before.n_questions);
	survey_stats_clear(&before);
	survey_stats_clear(&after);
	sqlite3_stmt *q = db_stmt(db, "SELECT count(*) FROM survey_daily WHERE scope < 0");
	CHECK(db_step_row(db, q) == 1);
	CHECK(sqlite3_column_int(q, 0) > 0);
	sqlite3_reset(q);
	/* once fresh, new responses update the unit rows as they arrive */
	struct survey_submission more = sub(h2, form2, local_ts("2026-11-25", 4, 0), 4, "after-rebuild");
	CHECK_INT(survey_store(db, &set, &more, &st), GS_OK);
	CHECK_INT(survey_stats_get(db, &set, &company, "2026-11-01", "2026-11-30", 0, 0, &after), GS_OK);
	CHECK_INT(after.responses, 54);
	survey_stats_clear(&after);
	struct survey_scope st2b = {.unit_id = unit_id(db, "T-S2")};
	CHECK_INT(survey_stats_get(db, &set, &st2b, "2026-11-25", "2026-11-25", 0, 0, &after), GS_OK);
	CHECK_INT(after.responses, 6);
	survey_stats_clear(&after);

	/* monthly series */
	struct survey_month *m = NULL;
	size_t nm = 0;
	CHECK_INT(survey_monthly(db, &company, "2026-10-15", "2027-01-10", 0, &m, &nm), GS_OK);
	CHECK_INT(nm, 4);
	if (nm == 4) {
		CHECK_STR(m[0].month, "2026-10");
		CHECK_STR(m[1].month, "2026-11");
		CHECK_STR(m[3].month, "2027-01");
		CHECK_INT(m[1].responses, 54);
		CHECK_INT(m[0].responses, 0);
	}
	free(m);

	/* follow-ups: ratings 1 and 2 among the 40 → 16 */
	struct survey_followup *f = NULL;
	size_t nf = 0;
	CHECK_INT(survey_followups_list(db, 0, 0, 0, &f, &nf), GS_OK);
	CHECK_INT(nf, 16);
	int64_t first = nf ? f[0].id : 0;
	if (nf) {
		CHECK_STR(f[0].hall_code, "T-H1");
		CHECK_STR(f[0].station_code, "T-S1");
		CHECK(f[0].rating <= 2);
		CHECK_INT(f[0].due_at - f[0].opened_at, 15 * 86400);
	}
	survey_followups_free(f, nf);
	int64_t open = 0, overdue = 0;
	CHECK_INT(survey_followups_count(db, unit_id(db, "T-S1"), local_ts("2026-12-30", 0, 0), &open, &overdue), GS_OK);
	CHECK_INT(open, 16);
	CHECK_INT(overdue, 16);
	CHECK_INT(survey_followups_count(db, unit_id(db, "T-S2"), 0, &open, &overdue), GS_OK);
	CHECK_INT(open, 0);
	/* station T-S2 may not close T-S1's follow-up */
	CHECK_INT(survey_followup_close(db, first, unit_id(db, "T-S2"), "s2", "called back"), GS_ERR_NOT_FOUND);
	CHECK_INT(survey_followup_close(db, first, unit_id(db, "T-S1"), "s1", ""), GS_ERR_INVALID);
	CHECK_INT(survey_followup_close(db, first, unit_id(db, "T-S1"), "s1", "called back, resolved"), GS_OK);
	CHECK_INT(survey_followup_close(db, first, unit_id(db, "T-S1"), "s1", "again"), GS_ERR_CONFLICT);
	CHECK_INT(survey_followups_list(db, unit_id(db, "T-S1"), 1, 0, &f, &nf), GS_OK);
	CHECK_INT(nf, 1);
	if (nf)
		CHECK_STR(f[0].note, "called back, resolved");
	survey_followups_free(f, nf);

	db_close(db);
}

static enum gs_result count_cb(void *ctx, const struct survey_response *r)
{
	int *n = ctx;
	if (r->flags && r->flag_reasons)
		(*n)++;
	return GS_OK;
}

static void test_responses_each(void)
{
	struct db *db = open_fixture(NULL);
	struct survey_settings set;
	survey_settings_load(db, &set);
	int64_t form = 0;
	survey_form_register(db, "f", "1", "<x/>", 4, &form);
	int64_t h1 = hall_id(db, "T-H1");
	struct survey_stored st;
	struct survey_submission a = sub(h1, form, local_ts("2026-11-23", 9, 0), 5, "a");
	a.comment = "很好";
	survey_store(db, &set, &a, &st);
	struct survey_submission b = sub(h1, form, local_ts("2026-11-23", 22, 0), 5, "b");
	survey_store(db, &set, &b, &st);
	int n = 0;
	struct survey_scope hs = {.hall_id = h1};
	CHECK_INT(survey_responses_each(db, &hs, "2026-11-23", "2026-11-23", 1, 0, 0, count_cb, &n), GS_OK);
	CHECK_INT(n, 1);
	db_close(db);
}

/* 50 threads, each with its own connection, submit the same ticket at once. */
struct race {
	const char *path;
	const char *ticket;
	int64_t hall, form;
	int index;
	enum gs_result result;
	int ticket_state;
};

static void *race_run(void *arg)
{
	struct race *r = arg;
	struct db *db = NULL;
	char err[256];
	if (db_open(r->path, 0, &db, err, sizeof err) != GS_OK) {
		r->result = GS_ERR_IO;
		return NULL;
	}
	struct survey_settings set;
	survey_settings_load(db, &set);
	char inst[32];
	snprintf(inst, sizeof inst, "race-%d", r->index);
	struct survey_submission s = sub(r->hall, r->form, util_now(), 3, inst);
	s.ticket = r->ticket;
	struct survey_stored st;
	r->result = survey_store(db, &set, &s, &st);
	r->ticket_state = st.ticket_state;
	db_close(db);
	return NULL;
}

static void test_tickets(void)
{
	const char *tmp = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	char path[512];
	util_mkdir_parent(tmp);
	snprintf(path, sizeof path, "%s/survey-race-%d.db", tmp, (int)getpid());
	unlink(path);
	struct db *db = open_fixture(path);
	struct survey_settings set;
	survey_settings_load(db, &set);
	int64_t form = 0;
	survey_form_register(db, "f", "1", "<x/>", 4, &form);
	char ticket[SURVEY_TICKET_LEN + 1];
	int64_t expires = 0, tid = 0;
	CHECK_INT(survey_ticket_issue(db, "T-H2", "test", 3600, ticket, &expires), GS_OK);
	CHECK_INT(strlen(ticket), SURVEY_TICKET_LEN);
	CHECK(expires > util_now() + 3500);
	CHECK_INT(survey_ticket_issue(db, "NOPE", "test", 3600, ticket + 0, &expires) == GS_ERR_NOT_FOUND, 1);
	CHECK_INT(survey_ticket_issue(db, "T-H2", "test", 3600, ticket, &expires), GS_OK);
	struct org_hall h;
	int state = 0;
	CHECK_INT(survey_ticket_check(db, ticket, util_now(), &tid, &h, &state), GS_OK);
	CHECK_STR(h.code, "T-H2");
	int64_t h2 = h.id;
	org_hall_clear(&h);
	CHECK_INT(survey_ticket_check(db, "short", util_now(), &tid, &h, &state), GS_ERR_NOT_FOUND);
	char unknown[SURVEY_TICKET_LEN + 1];
	memset(unknown, 'A', SURVEY_TICKET_LEN);
	unknown[SURVEY_TICKET_LEN] = '\0';
	CHECK_INT(survey_ticket_check(db, unknown, util_now(), &tid, &h, &state), GS_ERR_NOT_FOUND);
	CHECK_INT(survey_ticket_check(db, ticket, expires + 1, &tid, &h, &state), GS_ERR_CONFLICT);
	CHECK_INT(state, 2);

	enum { N = 50 };
	pthread_t th[N];
	struct race rs[N];
	for (int i = 0; i < N; i++) {
		rs[i] = (struct race){.path = path, .ticket = ticket, .hall = h2, .form = form, .index = i};
		pthread_create(&th[i], NULL, race_run, &rs[i]);
	}
	int ok = 0, used = 0, other = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (rs[i].result == GS_OK)
			ok++;
		else if (rs[i].result == GS_ERR_CONFLICT && rs[i].ticket_state == 1)
			used++;
		else
			other++;
	}
	CHECK_INT(ok, 1);
	CHECK_INT(used, N - 1);
	CHECK_INT(other, 0);
	sqlite3_stmt *q = db_stmt(db, "SELECT count(*), sum(verified) FROM survey_responses");
	CHECK(db_step_row(db, q) == 1);
	CHECK_INT(sqlite3_column_int(q, 0), 1);
	CHECK_INT(sqlite3_column_int(q, 1), 1);
	sqlite3_reset(q);
	CHECK_INT(survey_ticket_check(db, ticket, util_now(), &tid, &h, &state), GS_ERR_CONFLICT);
	CHECK_INT(state, 1);
	/* the ticket response is verified and counts as answered */
	struct survey_stats s;
	struct survey_scope scope = {.hall_id = h2};
	char today[11];
	survey_local_time(util_now(), today, NULL, NULL);
	CHECK_INT(survey_stats_get(db, &set, &scope, today, today, 1, 0, &s), GS_OK);
	CHECK_INT(s.verified, 1);
	CHECK_INT(s.responses, 1);
	CHECK_INT(s.tickets_issued, 2);
	CHECK_INT(s.tickets_answered, 1);
	survey_stats_clear(&s);
	/* a ticket of another hall cannot be spent here */
	CHECK_INT(survey_ticket_issue(db, "T-H1", "test", 3600, ticket, &expires), GS_OK);
	struct survey_submission x = sub(h2, form, util_now(), 5, "cross");
	x.ticket = ticket;
	struct survey_stored st;
	CHECK_INT(survey_store(db, &set, &x, &st), GS_ERR_CONFLICT);
	CHECK_INT(st.ticket_state, 3);
	db_close(db);
	unlink(path);
}

/* Group commit: 40 threads, each with its own connection, store through one batcher:
 * 39 distinct responses plus one duplicate of another's instance, and all 40 race for
 * one ticket. Every result is what survey_store would have said. */
struct batched {
	const char *path;
	struct survey_batcher *b;
	const char *ticket;
	int64_t hall, form;
	int index;
	enum gs_result plain, with_ticket;
	int ticket_state, duplicate;
};

static void *batched_run(void *arg)
{
	struct batched *x = arg;
	struct db *db = NULL;
	char err[256], inst[32], inst2[32];
	if (db_open(x->path, 0, &db, err, sizeof err) != GS_OK) {
		x->plain = x->with_ticket = GS_ERR_IO;
		return NULL;
	}
	struct survey_settings set;
	survey_settings_load(db, &set);
	/* thread 39 repeats thread 0's instance */
	snprintf(inst, sizeof inst, "batch-%d", x->index == 39 ? 0 : x->index);
	struct survey_submission s = sub(x->hall, x->form, util_now(), 1 + x->index % 5, inst);
	struct survey_stored st;
	x->plain = survey_store_batched(x->b, db, &set, &s, &st);
	x->duplicate = st.duplicate;
	snprintf(inst2, sizeof inst2, "batch-ticket-%d", x->index);
	struct survey_submission t = sub(x->hall, x->form, util_now(), 4, inst2);
	t.ticket = x->ticket;
	x->with_ticket = survey_store_batched(x->b, db, &set, &t, &st);
	x->ticket_state = st.ticket_state;
	db_close(db);
	return NULL;
}

static void test_batcher(int background)
{
	const char *tmp = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	char path[512];
	snprintf(path, sizeof path, "%s/survey-batch-%d.db", tmp, (int)getpid());
	unlink(path);
	struct db *db = open_fixture(path);
	int64_t form = 0, expires = 0;
	survey_form_register(db, "f", "1", "<x/>", 4, &form);
	char ticket[SURVEY_TICKET_LEN + 1];
	CHECK_INT(survey_ticket_issue(db, "T-H2", "test", 3600, ticket, &expires), GS_OK);
	struct survey_batcher *b = survey_batcher_new(8);
	if (background) {
		/* a shared writer connection and the maintenance thread */
		CHECK_INT(survey_batcher_background(b, path), GS_OK);
		CHECK_INT(survey_batcher_background(b, path), GS_ERR_CONFLICT);
	}
	enum { N = 40 };
	pthread_t th[N];
	struct batched xs[N];
	for (int i = 0; i < N; i++) {
		xs[i] = (struct batched){.path = path, .b = b, .ticket = ticket, .hall = hall_id(db, "T-H2"), .form = form, .index = i};
		pthread_create(&th[i], NULL, batched_run, &xs[i]);
	}
	int ok = 0, dup = 0, ticket_ok = 0, ticket_used = 0, other = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (xs[i].plain == GS_OK)
			ok++;
		else if (xs[i].plain == GS_ERR_CONFLICT && xs[i].duplicate)
			dup++;
		else
			other++;
		if (xs[i].with_ticket == GS_OK)
			ticket_ok++;
		else if (xs[i].with_ticket == GS_ERR_CONFLICT && xs[i].ticket_state == 1)
			ticket_used++;
		else
			other++;
	}
	CHECK_INT(ok, N - 1);
	CHECK_INT(dup, 1);
	CHECK_INT(ticket_ok, 1);
	CHECK_INT(ticket_used, N - 1);
	CHECK_INT(other, 0);
	uint64_t batches = 0, items = 0;
	survey_batcher_stats(b, &batches, &items);
	CHECK_INT(items, 2 * N);
	CHECK(batches >= (2 * N + 7) / 8); /* at most 8 per transaction */
	printf("batcher: %llu submissions in %llu transactions\n", (unsigned long long)items, (unsigned long long)batches);
	sqlite3_stmt *q = db_stmt(db, "SELECT count(*), sum(verified) FROM survey_responses");
	CHECK(db_step_row(db, q) == 1);
	CHECK_INT(sqlite3_column_int(q, 0), N - 1 + 1);
	CHECK_INT(sqlite3_column_int(q, 1), 1);
	sqlite3_reset(q);
	/* the aggregates agree with the rows */
	int64_t folded = 0;
	if (background) {
		/* the maintenance thread folds at least every 200 ms */
		usleep(400 * 1000);
		CHECK_INT(survey_fold(db, &folded), GS_OK);
		CHECK_INT(folded, 0);
	}
	CHECK_INT(survey_fold(db, &folded), GS_OK);
	CHECK(folded >= 0 && folded <= N); /* the batcher folds now and then itself */
	CHECK_INT(survey_fold(db, &folded), GS_OK);
	CHECK_INT(folded, 0);
	q = db_stmt(db, "SELECT sum(n1 + n2 + n3 + n4 + n5) FROM survey_daily WHERE scope > 0");
	CHECK(db_step_row(db, q) == 1);
	CHECK_INT(sqlite3_column_int(q, 0), N);
	sqlite3_reset(q);
	survey_batcher_free(b);
	survey_batcher_free(NULL);
	db_close(db);
	unlink(path);
}

static void test_client_hash(void)
{
	struct db *db = open_fixture(NULL);
	unsigned char a[SURVEY_CLIENT_HASH_LEN], b[SURVEY_CLIENT_HASH_LEN], c[SURVEY_CLIENT_HASH_LEN];
	int64_t day1 = local_ts("2026-11-23", 10, 0), day2 = local_ts("2026-11-24", 10, 0);
	CHECK_INT(survey_client_hash(db, "192.0.2.1", "ua", day1, a), GS_OK);
	CHECK_INT(survey_client_hash(db, "192.0.2.1", "ua", day1 + 60, b), GS_OK);
	CHECK(memcmp(a, b, sizeof a) == 0);
	CHECK_INT(survey_client_hash(db, "192.0.2.2", "ua", day1, c), GS_OK);
	CHECK(memcmp(a, c, sizeof a) != 0);
	CHECK_INT(survey_client_hash(db, "192.0.2.1", "ub", day1, c), GS_OK);
	CHECK(memcmp(a, c, sizeof a) != 0);
	/* the next day's key differs, and keys older than yesterday are deleted */
	CHECK_INT(survey_client_hash(db, "192.0.2.1", "ua", day2, c), GS_OK);
	CHECK(memcmp(a, c, sizeof a) != 0);
	CHECK_INT(survey_client_hash(db, "192.0.2.1", "ua", local_ts("2026-11-26", 10, 0), c), GS_OK);
	sqlite3_stmt *q = db_stmt(db, "SELECT count(*) FROM secrets WHERE name LIKE 'client-hash:%'");
	CHECK(db_step_row(db, q) == 1);
	CHECK_INT(sqlite3_column_int(q, 0), 1);
	sqlite3_reset(q);
	db_close(db);
}

/* Bursts: survey_store counts the hall's rows of the day and the day before (across
 * midnight); the group commit's in-memory window is filled at start from the last
 * hour's responses, ignores older ones and second submits, and forgets after an hour. */
static void test_burst_window(void)
{
	struct db *db = open_fixture(NULL);
	struct survey_settings set;
	CHECK_INT(survey_settings_load(db, &set), GS_OK);
	CHECK_INT(set.burst_max, 2);
	int64_t form = 0, h2 = hall_id(db, "T-H2"); /* T-H2 has no opening hours */
	CHECK_INT(survey_form_register(db, "f", "1", "<x/>", 4, &form), GS_OK);
	unsigned char ch[SURVEY_CLIENT_HASH_LEN], ch2[SURVEY_CLIENT_HASH_LEN];
	memset(ch, 0xa1, sizeof ch);
	memset(ch2, 0xb2, sizeof ch2);
	struct survey_stored st;
	const char *times[][2] = {{"2026-11-23", "22:00"}, {"2026-11-23", "23:50"}, {"2026-11-23", "23:55"}};
	int expect[] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		char inst[16];
		snprintf(inst, sizeof inst, "old-%d", i);
		struct survey_submission s = sub(h2, form, local_ts(times[i][0], atoi(times[i][1]), atoi(times[i][1] + 3)),
						 5, inst);
		s.client_hash = ch;
		CHECK_INT(survey_store(db, &set, &s, &st), GS_OK);
		CHECK_INT(st.flags, expect[i]);
	}
	/* 00:10: 23:50 and 23:55 of the day before are within the hour */
	struct survey_submission s = sub(h2, form, local_ts("2026-11-24", 0, 10), 5, "sql-3");
	s.client_hash = ch;
	CHECK_INT(survey_store(db, &set, &s, &st), GS_OK);
	CHECK_INT(st.flags, SURVEY_FLAG_BURST);

	/* The server starts at 00:15: the window holds 23:50, 23:55, 00:10 (not 22:00). */
	struct survey_batcher *b = survey_batcher_new(0);
	CHECK_INT(survey_batcher_burst_window(b, db, set.burst_max, local_ts("2026-11-24", 0, 15)), GS_OK);
	CHECK_INT(survey_batcher_burst_window(b, db, set.burst_max, local_ts("2026-11-24", 0, 15)), GS_ERR_CONFLICT);
	s = sub(h2, form, local_ts("2026-11-24", 0, 15), 5, "win-1");
	s.client_hash = ch;
	CHECK_INT(survey_store_batched(b, db, &set, &s, &st), GS_OK);
	CHECK_INT(st.flags, SURVEY_FLAG_BURST);
	/* 01:09: 00:10 and 00:15 are within the hour → still a burst; 02:12: none is */
	s = sub(h2, form, local_ts("2026-11-24", 1, 9), 5, "win-2");
	s.client_hash = ch;
	CHECK_INT(survey_store_batched(b, db, &set, &s, &st), GS_OK);
	CHECK_INT(st.flags, SURVEY_FLAG_BURST);
	s = sub(h2, form, local_ts("2026-11-24", 2, 12), 5, "win-3");
	s.client_hash = ch;
	CHECK_INT(survey_store_batched(b, db, &set, &s, &st), GS_OK);
	CHECK_INT(st.flags, 0);
	/* another client: a second submit of a stored instance is not a response */
	for (int i = 0; i < 3; i++) {
		s = sub(h2, form, local_ts("2026-11-24", 3, i), 5, i < 2 ? "other-1" : "other-2");
		s.client_hash = ch2;
		CHECK_INT(survey_store_batched(b, db, &set, &s, &st), i == 1 ? GS_ERR_CONFLICT : GS_OK);
		CHECK_INT(st.flags, 0);
	}
	s = sub(h2, form, local_ts("2026-11-24", 3, 5), 5, "other-3");
	s.client_hash = ch2;
	CHECK_INT(survey_store_batched(b, db, &set, &s, &st), GS_OK);
	CHECK_INT(st.flags, SURVEY_FLAG_BURST);
	/* the same client at another hall is another pair */
	s = sub(hall_id(db, "T-H1"), form, local_ts("2026-11-23", 9, 0), 5, "other-h1");
	s.client_hash = ch2;
	CHECK_INT(survey_store_batched(b, db, &set, &s, &st), GS_OK);
	CHECK_INT(st.flags & SURVEY_FLAG_BURST, 0);
	survey_batcher_free(b);
	db_close(db);
}

/* Choice answers reach the per-question counts through the JSON the store writes,
 * escaped: a value with quotes and a backslash comes back as it was. */
static void test_choices(void)
{
	struct db *db = open_fixture(NULL);
	struct survey_settings set;
	CHECK_INT(survey_settings_load(db, &set), GS_OK);
	int64_t form = 0, h2 = hall_id(db, "T-H2");
	CHECK_INT(survey_form_register(db, "f", "1", "<x/>", 4, &form), GS_OK);
	struct survey_choice picks[] = {{"service", "bill"}, {"service", "say \"hi\" \\ ok"}, {"waiting", "lt5"}};
	struct survey_stored st;
	for (int i = 0; i < 6; i++) {
		char inst[16];
		snprintf(inst, sizeof inst, "c-%d", i);
		struct survey_submission s = sub(h2, form, local_ts("2026-11-24", 10, i), 5, inst);
		s.choices = picks;
		s.n_choices = i < 5 ? 3 : 1;
		CHECK_INT(survey_store(db, &set, &s, &st), GS_OK);
	}
	struct survey_stats stats;
	struct survey_scope scope = {.hall_id = h2};
	CHECK_INT(survey_stats_get(db, &set, &scope, "2026-11-24", "2026-11-24", 0, 1, &stats), GS_OK);
	int found = 0;
	for (size_t i = 0; i < stats.n_questions; i++) {
		const struct survey_question_count *q = &stats.questions[i];
		if (strcmp(q->question, "service") == 0 && strcmp(q->value, "bill") == 0)
			found += q->n == 6;
		if (strcmp(q->question, "service") == 0 && strcmp(q->value, "say \"hi\" \\ ok") == 0)
			found += q->n == 5;
		if (strcmp(q->question, "waiting") == 0 && strcmp(q->value, "lt5") == 0)
			found += q->n == 5;
	}
	CHECK_INT(stats.n_questions, 3);
	CHECK_INT(found, 3);
	survey_stats_clear(&stats);
	db_close(db);
}

/* survey_store_async through the writer thread: every callback comes once with
 * survey_store's result, and the aggregates the writer folds from its in-memory sums
 * equal a fold of the same rows from scratch (halls, days, hours, flags, tickets,
 * choices; one response stored before the writer started, so its first fold is from
 * the rows). */
struct async_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done, ok, dup, other;
};

struct async_one {
	struct async_wait *w;
	struct survey_submission s;
	struct survey_stored out;
	char inst[32];
	unsigned char ch[SURVEY_CLIENT_HASH_LEN];
};

static void async_done(void *ctx, enum gs_result r)
{
	struct async_one *a = ctx;
	pthread_mutex_lock(&a->w->lock);
	if (r == GS_OK && a->out.response_id > 0)
		a->w->ok++;
	else if (r == GS_ERR_CONFLICT && a->out.duplicate)
		a->w->dup++;
	else
		a->w->other++;
	a->w->done++;
	pthread_cond_signal(&a->w->cond);
	pthread_mutex_unlock(&a->w->lock);
}

/* The aggregate tables as text, in key order. Caller frees. */
static char *aggregates_dump(struct db *db)
{
	struct buf b;
	buf_init(&b, SIZE_MAX / 2);
	static const char *const q[] = {
		("SELECT scope, day, verified, flagged, n1, n2, n3, n4, n5, satisfied FROM survey_daily "
		 "WHERE n1 + n2 + n3 + n4 + n5 > 0 ORDER BY 1, 2, 3, 4"),
		"SELECT scope, day, hour, n, satisfied FROM survey_hourly WHERE n > 0 ORDER BY 1, 2, 3",
		"SELECT scope, day, question, value, n FROM survey_answer_daily WHERE n > 0 ORDER BY 1, 2, 3, 4"};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		sqlite3_stmt *st = db_stmt(db, q[i]);
		CHECK(st != NULL);
		while (st && db_step_row(db, st) > 0) {
			for (int c = 0; c < sqlite3_column_count(st); c++)
				buf_printf(&b, "%s%s", c ? "|" : "", (const char *)sqlite3_column_text(st, c));
			buf_putc(&b, '\n');
		}
		if (st)
			sqlite3_reset(st);
		buf_puts(&b, "--\n");
	}
	return buf_steal(&b, NULL);
}

static void test_async_writer_fold(void)
{
	const char *tmp = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	char path[512];
	snprintf(path, sizeof path, "%s/survey-async-%d.db", tmp, (int)getpid());
	unlink(path);
	struct db *db = open_fixture(path);
	int64_t form = 0, expires = 0;
	survey_form_register(db, "f", "1", "<x/>", 4, &form);
	struct survey_settings set;
	CHECK_INT(survey_settings_load(db, &set), GS_OK);
	int64_t h1 = hall_id(db, "T-H1"), h2 = hall_id(db, "T-H2");
	char ticket[SURVEY_TICKET_LEN + 1];
	CHECK_INT(survey_ticket_issue(db, "T-H2", "test", 3600, ticket, &expires), GS_OK);
	/* stored before the writer starts, not folded */
	struct survey_submission early = sub(h1, form, local_ts("2026-11-23", 10, 0), 2, "early");
	struct survey_stored st;
	CHECK_INT(survey_store(db, &set, &early, &st), GS_OK);

	struct survey_batcher *b = survey_batcher_new(0);
	CHECK_INT(survey_batcher_burst_window(b, db, set.burst_max, util_now()), GS_OK);
	CHECK_INT(survey_batcher_background(b, path), GS_OK);
	static const struct survey_choice picks[][2] = {
		{{"waiting", "lt5"}, {"service", "enquiry"}}, {{"waiting", "5to15"}, {"service", "payment"}}};
	enum { N = 300 };
	struct async_wait w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct async_one *all = xcalloc(N, sizeof *all);
	for (int i = 0; i < N; i++) {
		struct async_one *a = &all[i];
		a->w = &w;
		/* the last one repeats the first one's instance */
		snprintf(a->inst, sizeof a->inst, "async-%d", i == N - 1 ? 0 : i);
		a->s = sub(i % 3 ? h1 : h2, form, local_ts(i % 2 ? "2026-11-24" : "2026-11-25", 6 + i % 14, i % 60),
			   1 + i % 5, a->inst);
		a->s.choices = picks[i % 2];
		a->s.n_choices = i % 7 ? 2 : 0;
		a->s.duration_s = i % 11 ? 40 : 1; /* some too fast: flagged */
		a->ch[0] = (unsigned char)(i % 4); /* four clients: bursts flagged */
		a->s.client_hash = a->ch;
		if (i == 6) /* a hall of T-H2, the ticket's */
			a->s.ticket = ticket;
		survey_store_async(b, db, &set, &a->s, &a->out, async_done, a);
	}
	pthread_mutex_lock(&w.lock);
	while (w.done < N)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	CHECK_INT(w.ok, N - 1);
	CHECK_INT(w.dup, 1);
	CHECK_INT(w.other, 0);
	survey_batcher_free(b); /* the writer folds what it holds before it stops */
	int64_t folded = -1;
	CHECK_INT(survey_fold(db, &folded), GS_OK);
	CHECK_INT(folded, 0);
	char *by_writer = aggregates_dump(db);
	CHECK(strstr(by_writer, "lt5") != NULL);
	CHECK(strstr(by_writer, "|1|") != NULL); /* a verified or flagged row */
	/* from scratch */
	CHECK_INT(db_exec(db, "DELETE FROM survey_daily; DELETE FROM survey_hourly; DELETE FROM survey_answer_daily; "
			      "DELETE FROM settings WHERE name = 'survey.folded_upto'"),
		  GS_OK);
	CHECK_INT(survey_fold(db, &folded), GS_OK);
	CHECK_INT(folded > 0, 1);
	char *by_rows = aggregates_dump(db);
	CHECK_STR(by_writer, by_rows);
	free(by_writer);
	free(by_rows);
	free(all);
	db_close(db);
	unlink(path);
}

int main(void)
{
	test_dates();
	test_codes();
	test_store_and_stats();
	test_responses_each();
	test_tickets();
	test_batcher(0);
	test_batcher(1);
	test_async_writer_fold();
	test_burst_window();
	test_choices();
	test_client_hash();
	return check_finish("test_survey");
}
