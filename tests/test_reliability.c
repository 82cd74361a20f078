/* test_reliability.c — evidence under load on loopback:
 *  - crash consistency of survey submissions: the server is killed with SIGKILL at a
 *    random moment, several rounds; after each, every submission that received its 303
 *    must be in the database and the database must pass PRAGMA integrity_check
 *    (GS_CRASH_ROUNDS sets the rounds, default 3; bench/crash.sh runs more);
 *  - online backup under write load: `gridscore backup` while clients submit yields a
 *    database that passes integrity_check and holds every submission acknowledged before
 *    the backup began, and a server starts on the copy (the restore path);
 *  - a large meter import killed with SIGKILL at a random moment: afterwards the import
 *    is fully present or fully absent (metering points and meters counted), the import
 *    log says which, and the database passes integrity_check (GS_IMPORT_ROUNDS, default 3). */
#include "server.h"
#include "check.h"

#include <pthread.h>

#include "db.h"
#include "util.h"

#define CLIENTS 4
#define MAX_ACKS 20000

static char dir[512], db[600], token[128], survey[160];
static struct test_server srv;

/* What the clients were told: the instance ids answered with 303. */
static pthread_mutex_t acks_lock = PTHREAD_MUTEX_INITIALIZER;
static char acks[MAX_ACKS][64];
static size_t n_acks;
static volatile int stop_clients;

struct client {
	int round, index;
	long sent, acked, failed;
};

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_reliability"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[8192];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "all", NULL), 0);
	sscanf(out, "%127s", token);
	struct db *d = NULL;
	char err[256];
	CHECK_INT(db_open(db, 0, &d, err, sizeof err), GS_OK);
	CHECK_INT(db_exec(d, "INSERT INTO settings(name, value) VALUES('survey.fast_seconds', '0')"), GS_OK);
	db_close(d);
}

static int start_server(int round)
{
	char log[700];
	snprintf(log, sizeof log, "%s/server-%d.log", dir, round);
	/* Rate limits far above what the clients send: every submission is stored. */
	static const char *const extra[] = {"--hall-rate", "1000000", "--client-rate", "1000000", NULL};
	return test_server_start_with(&srv, db, log, extra);
}

/* Opens the page and submits, until told to stop or the server is gone. */
static void *client_run(void *arg)
{
	struct client *c = arg;
	for (long k = 0; !stop_clients; k++) {
		struct test_response r;
		if (test_request(srv.port, "GET", survey, NULL, NULL, &r) != 0) {
			c->failed++;
			break;
		}
		char inst[64], stamp[96];
		int ok = r.status == 200 && test_form_value(r.body, "_i", inst, sizeof inst) == 0 &&
			 test_form_value(r.body, "_t", stamp, sizeof stamp) == 0;
		test_response_free(&r);
		if (!ok) {
			c->failed++;
			break;
		}
		char body[512], hdr[256];
		snprintf(body, sizeof body, "_i=%s&_t=%s&rating=%ld&waiting=lt5&attitude=4&one_visit=yes&service=enquiry",
			 inst, stamp, 1 + k % 5);
		/* A different phone each time, so no per-client rule interferes. */
		snprintf(hdr, sizeof hdr,
			 "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: crash-%d-%d-%ld\r\n", c->round,
			 c->index, k);
		c->sent++;
		if (test_request(srv.port, "POST", survey, hdr, body, &r) != 0) {
			c->failed++;
			break;
		}
		int status = r.status;
		test_response_free(&r);
		if (status == 303) {
			pthread_mutex_lock(&acks_lock);
			if (n_acks < MAX_ACKS)
				snprintf(acks[n_acks++], sizeof acks[0], "%s", inst);
			pthread_mutex_unlock(&acks_lock);
			c->acked++;
		}
	}
	return NULL;
}

/* Every acknowledged instance is stored, and the file is sound. */
static void verify(const char *path, size_t upto, int round)
{
	struct db *d = NULL;
	char err[256];
	CHECK_INT(db_open(path, 0, &d, err, sizeof err), GS_OK);
	if (!d)
		return;
	sqlite3_stmt *st = db_stmt(d, "PRAGMA integrity_check");
	CHECK_INT(db_step_row(d, st), 1);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_reset(st);
	st = db_stmt(d, "SELECT count(*) FROM survey_responses WHERE instance = ?");
	size_t missing = 0;
	for (size_t i = 0; i < upto; i++) {
		sqlite3_bind_text(st, 1, acks[i], -1, SQLITE_STATIC);
		if (db_step_row(d, st) != 1 || sqlite3_column_int(st, 0) != 1) {
			if (missing++ < 5)
				fprintf(stderr, "round %d: acknowledged submission %s is missing\n", round, acks[i]);
		}
		sqlite3_reset(st);
	}
	CHECK_INT((long)missing, 0);
	st = db_stmt(d, "SELECT count(*) FROM survey_responses");
	CHECK_INT(db_step_row(d, st), 1);
	CHECK((size_t)sqlite3_column_int64(st, 0) >= upto);
	sqlite3_reset(st);
	db_close(d);
}

static void start_clients(pthread_t *th, struct client *cl, int round)
{
	stop_clients = 0;
	for (int i = 0; i < CLIENTS; i++) {
		cl[i] = (struct client){.round = round, .index = i};
		pthread_create(&th[i], NULL, client_run, &cl[i]);
	}
}

static long join_clients(pthread_t *th, struct client *cl)
{
	stop_clients = 1;
	long acked = 0;
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		acked += cl[i].acked;
	}
	return acked;
}

/* Waits (up to 20 s) until a submission beyond the first `from` is acknowledged: on a
 * loaded machine (ctest -j2 beside a build) the server may not answer one in the first
 * 150 ms, and a kill before any acknowledgement tests nothing. */
static void wait_ack_beyond(size_t from)
{
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&acks_lock);
		size_t n = n_acks;
		pthread_mutex_unlock(&acks_lock);
		if (n > from)
			return;
		usleep(10000);
	}
}

static void crash_round(int round, unsigned seed)
{
	CHECK_INT(start_server(round), 0);
	CHECK_INT(test_survey_path(srv.port, token, "T-H2", survey, sizeof survey), 0);
	pthread_t th[CLIENTS];
	struct client cl[CLIENTS];
	pthread_mutex_lock(&acks_lock);
	size_t from = n_acks;
	pthread_mutex_unlock(&acks_lock);
	start_clients(th, cl, round);
	/* Kill at a random moment between 150 and 900 ms after the first acknowledgement. */
	wait_ack_beyond(from);
	usleep(150000 + (seed % 750) * 1000);
	kill(srv.pid, SIGKILL);
	waitpid(srv.pid, NULL, 0);
	long acked = join_clients(th, cl);
	fprintf(stderr, "round %d: %ld submissions acknowledged before the kill\n", round, acked);
	CHECK(acked > 0);
	verify(db, n_acks, round);
}

/* Backup while clients keep submitting; then the copy must hold what was acknowledged
 * before it began, and a server must start on it. */
static void backup_under_load(int round)
{
	char copy[700], out[4096];
	snprintf(copy, sizeof copy, "%s/backup.db", dir);
	CHECK_INT(start_server(round), 0);
	CHECK_INT(test_survey_path(srv.port, token, "T-H2", survey, sizeof survey), 0);
	pthread_t th[CLIENTS];
	struct client cl[CLIENTS];
	pthread_mutex_lock(&acks_lock);
	size_t from = n_acks;
	pthread_mutex_unlock(&acks_lock);
	start_clients(th, cl, round);
	wait_ack_beyond(from);
	usleep(300000);
	pthread_mutex_lock(&acks_lock);
	size_t before = n_acks;
	pthread_mutex_unlock(&acks_lock);
	int rc = test_run(NULL, out, sizeof out, "--db", db, "backup", copy, NULL);
	usleep(100000);
	long acked = join_clients(th, cl);
	CHECK_INT(rc, 0);
	CHECK_INT(test_server_stop(&srv), 0);
	fprintf(stderr, "backup: %zu acknowledged before it began, %ld during the whole load\n", before, acked);
	verify(copy, before, round);
	/* Restore = serve the copy. */
	struct test_server restored;
	char log[700];
	snprintf(log, sizeof log, "%s/restored.log", dir);
	CHECK_INT(test_server_start(&restored, copy, log), 0);
	struct test_response r;
	CHECK_INT(test_request(restored.port, "GET", "/healthz", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	CHECK_INT(test_server_stop(&restored), 0);
}

/* ---- Kill -9 during a large meter import. */

#define IMPORT_POINTS 10000

/* A native rollout file for station T-S1: n points and a smart meter on each. */
static void write_rollout(const char *path, int round, int n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" "
		   "station=\"T-S1\" file-id=\"kill-%d\" generated-at=\"2026-07-01T10:00:00+08:00\">\n<inventory>\n",
		round);
	for (int i = 0; i < n; i++)
		fprintf(f, "<point code=\"K%d-P%06d\" class=\"residential\" since=\"2020-01-01\"/>\n", round, i);
	fputs("</inventory>\n<events>\n", f);
	for (int i = 0; i < n; i++)
		fprintf(f,
			"<install meter=\"K%d-M%06d\" serial=\"K%dS%06d\" manufacturer=\"Acme\" model=\"X1\" "
			"point=\"K%d-P%06d\" date=\"2026-0%d-1%d\"/>\n",
			round, i, round, i, round, i, 1 + i % 6, i % 9);
	fputs("</events>\n</rollout>\n", f);
	fclose(f);
}

static long count_of(struct db *d, const char *sql, const char *arg)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	long n = db_step_row(d, st) == 1 ? (long)sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return n;
}

struct import_state {
	long points, meters, logged; /* logged: 'imported' rows of this file in the log */
	int integrity_ok;
};

static struct import_state import_state(const char *file_id)
{
	struct import_state s = {-1, -1, -1, 0};
	struct db *d = NULL;
	char err[256];
	if (db_open(db, 0, &d, err, sizeof err) != GS_OK)
		return s;
	sqlite3_stmt *st = db_stmt(d, "PRAGMA integrity_check");
	s.integrity_ok = db_step_row(d, st) == 1 && strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_reset(st);
	s.points = count_of(d, "SELECT count(*) FROM meter_points", NULL);
	s.meters = count_of(d, "SELECT count(*) FROM meters", NULL);
	s.logged = count_of(d, "SELECT count(*) FROM meter_imports WHERE file_id = ? AND status = 'imported'", file_id);
	db_close(d);
	return s;
}

/* Starts `gridscore import FILE`, kills it after delay_ms unless it finished; returns 1
 * if it was killed, 0 if it had finished (exit status in *rc). */
static int import_killed_after(const char *file, long delay_ms, int *rc)
{
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		execl(test_bin(), test_bin(), "--db", db, "import", file, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	for (long waited = 0; waited < delay_ms; waited += 5) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			*rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			return 0;
		}
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	*rc = -1;
	return 1;
}

static void import_kill_rounds(int rounds, unsigned seed)
{
	int killed = 0, finished = 0;
	for (int round = 1; round <= rounds; round++) {
		char file[700], file_id[32];
		snprintf(file, sizeof file, "%s/kill-%d.xml", dir, round);
		snprintf(file_id, sizeof file_id, "kill-%d", round);
		write_rollout(file, round, IMPORT_POINTS);
		struct import_state before = import_state(file_id);
		CHECK(before.integrity_ok);
		seed = seed * 1103515245u + 12345u;
		long delay = 30 + (long)((seed >> 8) % 1500);
		int rc = 0;
		int was_killed = import_killed_after(file, delay, &rc);
		struct import_state after = import_state(file_id);
		CHECK(after.integrity_ok);
		int present = after.points == before.points + IMPORT_POINTS && after.meters == before.meters + IMPORT_POINTS;
		int absent = after.points == before.points && after.meters == before.meters;
		fprintf(stderr, "import round %d: %s after %ld ms; points %ld -> %ld, meters %ld -> %ld; log: %s\n", round,
			was_killed ? "killed" : "finished", delay, before.points, after.points, before.meters, after.meters,
			after.logged ? "imported" : "no import");
		CHECK(present || absent);
		CHECK_INT(after.logged, present ? 1 : 0);
		if (!was_killed)
			CHECK_INT(rc, 0);
		killed += was_killed;
		finished += !was_killed;
		if (absent) {
			/* Nothing half-done blocks the same file: it imports in full now. */
			CHECK_INT(import_killed_after(file, 600000, &rc), 0);
			CHECK_INT(rc, 0);
			struct import_state again = import_state(file_id);
			CHECK_INT(again.points, before.points + IMPORT_POINTS);
			CHECK_INT(again.meters, before.meters + IMPORT_POINTS);
			CHECK_INT(again.logged, 1);
		}
		unlink(file);
	}
	fprintf(stderr, "import: %d rounds killed mid-way, %d finished before the kill\n", killed, finished);
}

int main(void)
{
	setup();
	int rounds = getenv("GS_CRASH_ROUNDS") ? atoi(getenv("GS_CRASH_ROUNDS")) : 3;
	unsigned seed = (unsigned)getpid() * 2654435761u;
	for (int round = 1; round <= rounds; round++) {
		seed = seed * 1103515245u + 12345u;
		crash_round(round, seed >> 8);
	}
	/* After the last crash the server starts normally and serves what was stored. */
	CHECK_INT(start_server(rounds + 1), 0);
	CHECK_INT(test_survey_path(srv.port, token, "T-H2", survey, sizeof survey), 0);
	CHECK_INT(test_server_stop(&srv), 0);
	verify(db, n_acks, rounds + 1);
	fprintf(stderr, "%zu acknowledged submissions checked after %d kills\n", n_acks, rounds);
	backup_under_load(rounds + 2);
	int import_rounds = getenv("GS_IMPORT_ROUNDS") ? atoi(getenv("GS_IMPORT_ROUNDS")) : 3;
	import_kill_rounds(import_rounds, seed);
	return check_finish("test_reliability");
}
