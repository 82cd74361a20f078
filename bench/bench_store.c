/* bench_store.c — the cost of storing one survey response without HTTP: survey_store
 * (one transaction each; bursts counted from the hall's rows of the day, the CLI's
 * way) against survey_store_batched from several threads (group commit; the last row
 * as the server runs it: the writer thread and the in-memory burst window), on a file
 * database with the demo county's shape of org. The responses are spread over every
 * hall and over past days (at most PER_HALL_DAY per hall and day), as a year of real
 * ones are: survey_store counts bursts by reading the hall's rows of the day, so one
 * hall on one day would make the benchmark quadratic.
 * Usage: bench_store DB_PATH [COUNT] [THREADS]   (prints per-second rates) */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "org.h"
#include "survey.h"
#include "util.h"

#define PER_HALL_DAY 40
#define MAX_HALLS 256

static const char *path;
static int64_t halls[MAX_HALLS], form;
static size_t n_halls;
static int64_t start;
static int64_t run_days;   /* the first day of this run, counted from start */
static int n_threads;
static struct survey_batcher *batcher;
static long per_thread;
static int background;

static const struct survey_choice choices[] = {
	{"waiting", "lt5"}, {"attitude", "5"}, {"one_visit", "yes"}, {"service", "enquiry"}};

/* The i-th response of thread t: hall and day from i, days going forward, the
 * threads' interleaved (so that the day's rows another thread stored after this
 * one's stay few), a fresh instance of the server's shape (render
 * time first) and a random client hash, as a real one is. */
static void fill(struct survey_submission *s, char inst[SURVEY_INSTANCE_LEN + 1], long i, int t, unsigned char *ch)
{
	long slot = i / (long)n_halls;
	int64_t day = run_days + (int64_t)(slot / PER_HALL_DAY) * n_threads + t;
	int64_t at = start + day * 86400 + 9 * 3600 + slot % PER_HALL_DAY;
	survey_instance_new(at, inst);
	randombytes_buf(ch, SURVEY_CLIENT_HASH_LEN);
	*s = (struct survey_submission){.hall_id = halls[i % (long)n_halls],
					.form_row = form,
					.submitted_at = at,
					.rating = 1 + (int)(i % 5),
					.satisfied = i % 5 >= 3,
					.answers_json = "{\"rating\":\"5\",\"waiting\":\"lt5\",\"comment\":\"bench\"}",
					.comment = "bench",
					.instance = inst,
					.client_hash = ch,
					.duration_s = 40,
					.choices = choices,
					.n_choices = 4};
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	struct db *db = NULL;
	char err[256];
	if (db_open(path, 0, &db, err, sizeof err) != GS_OK)
		return NULL;
	struct survey_settings set;
	survey_settings_load(db, &set);
	for (long i = 0; i < per_thread; i++) {
		char inst[SURVEY_INSTANCE_LEN + 1];
		unsigned char ch[SURVEY_CLIENT_HASH_LEN] = {0};
		struct survey_submission s;
		struct survey_stored st;
		fill(&s, inst, i, t, ch);
		if (batcher)
			survey_store_batched(batcher, db, &set, &s, &st);
		else
			survey_store(db, &set, &s, &st);
	}
	db_close(db);
	return NULL;
}

static double run(int threads, int batched)
{
	batcher = batched ? survey_batcher_new(0) : NULL;
	if (batcher && background) {
		/* as the server: bursts from the in-memory window, folding and checkpoints
		 * in the background */
		struct db *db = NULL;
		struct survey_settings set;
		if (db_open(path, 0, &db, NULL, 0) == GS_OK && survey_settings_load(db, &set) == GS_OK)
			survey_batcher_burst_window(batcher, db, set.burst_max, util_now());
		db_close(db);
		survey_batcher_background(batcher, path);
	}
	pthread_t th[64];
	n_threads = threads;
	int64_t t0 = util_monotonic_us();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double secs = (double)(util_monotonic_us() - t0) / 1e6;
	run_days += (per_thread / (long)n_halls / PER_HALL_DAY + 1) * threads;
	uint64_t b = 0, n = 0;
	if (batcher) {
		survey_batcher_stats(batcher, &b, &n);
		survey_batcher_free(batcher);
	}
	double rate = (double)per_thread * threads / secs;
	printf("| %s | %d | %.0f | %s |\n",
	       batched ? (background ? "group commit, writer thread, maintenance thread" : "group commit")
		       : "one transaction each",
	       threads, rate,
	       batched ? (b ? "" : "-") : "-");
	if (b)
		printf("|  (%.1f submissions per transaction) | | | |\n", (double)n / (double)b);
	return rate;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_store DB_PATH [COUNT] [THREADS]\n");
		return 2;
	}
	path = argv[1];
	long count = argc > 2 ? atol(argv[2]) : 20000;
	int threads = argc > 3 ? atoi(argv[3]) : 4;
	if (threads < 1 || threads > 64)
		threads = 4;
	unlink(path);
	struct db *db = NULL;
	char err[256];
	if (db_open(path, DB_CREATE | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const struct embed_file *f = embed_find("src/demo/county-org.xml");
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	if (!f || org_load_memory(db, "demo", (const char *)f->data, f->len, rep) != GS_OK)
		return 1;
	free(rep);
	survey_form_register(db, "bench", "1", "<x/>", 4, &form);
	survey_aggregates_rebuild(db, 0, NULL);
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM halls ORDER BY id");
	while (st && n_halls < MAX_HALLS && db_step_row(db, st) > 0)
		halls[n_halls++] = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	db_close(db);
	if (!n_halls) {
		fprintf(stderr, "no halls in the demo org\n");
		return 1;
	}
	start = util_now() / 86400 * 86400 - 5000 * 86400; /* days from the past on */
	printf("| path | threads | responses/s | |\n| --- | --- | --- | --- |\n");
	per_thread = count;
	run(1, 0);
	per_thread = count / threads;
	run(threads, 0);
	run(threads, 1);
	/* as the server runs it: the writer thread and a maintenance thread */
	background = 1;
	run(threads, 1);
	return 0;
}
