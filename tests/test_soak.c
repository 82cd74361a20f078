/* test_soak.c — a bounded soak of mixed traffic against the real server: customers open
 * and submit surveys, a logged-in manager reads the dashboard, unit and hall pages, an
 * integration reads the coverage and satisfaction API, and every few seconds a rollout
 * file is imported through POST /api/v1/imports. Zero 5xx and zero failed connections,
 * the server's RSS may not grow past a bound after warm-up, and the count of its open
 * file descriptors is the same before and after. GS_SOAK_SECONDS sets the length
 * (default 60; bench/soak.sh runs 600). Stops by itself. */
#include "server.h"
#include "check.h"

#include <dirent.h>
#include <pthread.h>

#include "db.h"
#include "util.h"

/* Growth of VmRSS from the end of warm-up to the end of the run. Sanitizers keep freed
 * memory in quarantine (up to 256 MiB by default), so their build gets a wider bound. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_GROWTH_KB (320L * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_GROWTH_KB (320L * 1024)
#endif
#endif
#ifndef RSS_GROWTH_KB
#define RSS_GROWTH_KB (24L * 1024)
#endif
#define FD_SLACK 8 /* a worker thread may open its database connection late (db, wal, shm) */

static char dir[512], db[600], survey[160], token[128], sid[128];
static struct test_server srv;
static volatile int stop;

struct tally {
	pthread_mutex_t lock;
	long ok, redirects, client_errors, server_errors, failed, imports;
};
static struct tally tally = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, 0};

static void count(int status, const char *what)
{
	pthread_mutex_lock(&tally.lock);
	if (status < 0)
		tally.failed++;
	else if (status >= 500)
		tally.server_errors++;
	else if (status >= 400)
		tally.client_errors++;
	else if (status >= 300)
		tally.redirects++;
	else
		tally.ok++;
	pthread_mutex_unlock(&tally.lock);
	if (status < 0 || status >= 400)
		fprintf(stderr, "soak: %s answered %d\n", what, status);
}

static long proc_kb(const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)srv.pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static long open_fds(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)srv.pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int get(const char *path, const char *headers)
{
	struct test_response r;
	if (test_request(srv.port, "GET", path, headers, NULL, &r) != 0)
		return -1;
	int s = r.status;
	test_response_free(&r);
	return s;
}

/* Customers: open the page, submit, follow to the thank-you page. */
static void *customer(void *arg)
{
	long id = (long)(intptr_t)arg;
	for (long k = 0; !stop; k++) {
		struct test_response r;
		if (test_request(srv.port, "GET", survey, NULL, NULL, &r) != 0) {
			count(-1, "survey page");
			continue;
		}
		char inst[64] = "", stamp[96] = "";
		int st = r.status;
		int ok = st == 200 && test_form_value(r.body, "_i", inst, sizeof inst) == 0 &&
			 test_form_value(r.body, "_t", stamp, sizeof stamp) == 0;
		test_response_free(&r);
		count(ok ? st : (st == 200 ? 400 : st), "survey page");
		if (!ok)
			continue;
		char body[512], hdr[256], loc[256] = "";
		snprintf(body, sizeof body,
			 "_i=%s&_t=%s&rating=%ld&waiting=lt5&attitude=4&one_visit=yes&service=enquiry&comment=soak%%20%ld",
			 inst, stamp, 1 + k % 5, k);
		snprintf(hdr, sizeof hdr,
			 "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: soak-%ld-%ld\r\n", id, k);
		if (test_request(srv.port, "POST", survey, hdr, body, &r) != 0) {
			count(-1, "survey submit");
			continue;
		}
		st = r.status;
		test_header(&r, "Location", loc, sizeof loc);
		test_response_free(&r);
		count(st == 303 ? st : (st < 500 ? 400 : st), "survey submit");
		if (st == 303 && loc[0] == '/')
			count(get(loc, NULL), "thank-you page");
		usleep(50 * 1000); /* a steady load, not a benchmark: the machine runs other tests */
	}
	return NULL;
}

/* A manager reading pages with a session cookie. */
static void *manager(void *arg)
{
	(void)arg;
	static const char *const pages[] = {"/", "/units/T-S1", "/units/T", "/halls/T-H1", "/imports", "/followups",
					    "/units/T-S1/satisfaction.csv", "/static/app.css"};
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid);
	for (size_t k = 0; !stop; k++) {
		const char *p = pages[k % GS_ARRAY_LEN(pages)];
		count(get(p, hdr), p);
		usleep(30 * 1000);
	}
	return NULL;
}

/* An integration reading the API with a token. */
static void *integration(void *arg)
{
	(void)arg;
	static const char *const paths[] = {"/api/v1/units/T-S1/coverage?at=2026-03-01",
					    "/api/v1/units/T/satisfaction?from=2026-01-01&to=2026-12-31",
					    "/api/v1/units/T-H1/satisfaction", "/api/v1/halls", "/api/v1/units", "/healthz"};
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
	for (size_t k = 0; !stop; k++) {
		const char *p = paths[k % GS_ARRAY_LEN(paths)];
		count(get(p, hdr), p);
		usleep(30 * 1000);
	}
	return NULL;
}

/* Every few seconds a new rollout file for station T-S1 (new points, new meters). */
static void *importer(void *arg)
{
	(void)arg;
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\nContent-Type: application/xml\r\n", token);
	struct buf b;
	buf_init(&b, 1u << 20);
	for (int k = 1; !stop; k++) {
		buf_reset(&b);
		buf_printf(&b,
			   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" "
			   "station=\"T-S1\" file-id=\"soak-%d\" generated-at=\"2026-03-01T08:00:00+08:00\">\n<inventory>\n",
			   k);
		for (int i = 0; i < 50; i++)
			buf_printf(&b, "<point code=\"SK%d-P%02d\" class=\"residential\" since=\"2020-01-01\"/>\n", k, i);
		buf_puts(&b, "</inventory>\n<events>\n");
		for (int i = 0; i < 50; i += 2)
			buf_printf(&b,
				   "<install meter=\"SK%d-M%02d\" serial=\"SK%dS%02d\" manufacturer=\"Acme\" model=\"X\" "
				   "point=\"SK%d-P%02d\" date=\"2026-02-1%d\"/>\n",
				   k, i, k, i, k, i, i % 9);
		buf_puts(&b, "</events>\n</rollout>\n");
		struct test_response r;
		if (test_request(srv.port, "POST", "/api/v1/imports", hdr, b.data, &r) != 0) {
			count(-1, "import");
		} else {
			int ok = r.status == 200 && strstr(r.body, "\"status\":\"imported\"");
			if (!ok)
				fprintf(stderr, "soak: import %d: %.300s\n", k, r.body);
			count(ok ? 200 : (r.status < 500 ? 400 : r.status), "import");
			if (ok) {
				pthread_mutex_lock(&tally.lock);
				tally.imports++;
				pthread_mutex_unlock(&tally.lock);
			}
			test_response_free(&r);
		}
		for (int w = 0; w < 30 && !stop; w++) /* 3 s */
			usleep(100 * 1000);
	}
	buf_free(&b);
	return NULL;
}

static int login(void)
{
	return test_login(srv.port, "mgr", "manager-password-1", sid, sizeof sid);
}

int main(void)
{
	int seconds = getenv("GS_SOAK_SECONDS") ? atoi(getenv("GS_SOAK_SECONDS")) : 60;
	if (seconds < 5)
		seconds = 5;
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_soak"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[8192], log[700];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run("manager-password-1\n", out, sizeof out, "--db", db, "user", "add", "mgr", "--role",
			   "manager", NULL),
		  0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "soak", NULL), 0);
	sscanf(out, "%127s", token);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "import", "tests/data/import/s1-good.xml", NULL), 0);
	snprintf(log, sizeof log, "%s/server.log", dir);
	static const char *const extra[] = {"--hall-rate", "1000000", "--client-rate", "1000000", NULL};
	CHECK_INT(test_server_start_with(&srv, db, log, extra), 0);
	CHECK_INT(test_survey_path(srv.port, token, "T-H2", survey, sizeof survey), 0);
	CHECK_INT(login(), 0);

	pthread_t th[5];
	pthread_create(&th[0], NULL, customer, (void *)(intptr_t)1);
	pthread_create(&th[1], NULL, customer, (void *)(intptr_t)2);
	pthread_create(&th[2], NULL, manager, NULL);
	pthread_create(&th[3], NULL, integration, NULL);
	pthread_create(&th[4], NULL, importer, NULL);

	/* Warm-up: a tenth of the run (at least 3 s) fills caches and opens every worker's
	 * database connection; the bounds are measured from there. */
	int warm = seconds / 10 > 3 ? seconds / 10 : 3;
	sleep((unsigned)warm);
	long rss_warm = proc_kb("VmRSS"), fds_warm = open_fds(), rss_peak = rss_warm;
	for (int t = warm; t < seconds; t++) {
		sleep(1);
		long v = proc_kb("VmRSS");
		if (v > rss_peak)
			rss_peak = v;
	}
	stop = 1;
	for (int i = 0; i < 5; i++)
		pthread_join(th[i], NULL);
	usleep(500 * 1000); /* the last connections close */
	long rss_end = proc_kb("VmRSS"), fds_end = open_fds();
	long total = tally.ok + tally.redirects + tally.client_errors + tally.server_errors + tally.failed;
	fprintf(stderr,
		"soak %d s: %ld requests (%ld 2xx, %ld 3xx, %ld 4xx, %ld 5xx, %ld failed), %ld imports; "
		"RSS %ld kB after warm-up, peak %ld kB, end %ld kB (growth bound %ld kB); fds %ld -> %ld\n",
		seconds, total, tally.ok, tally.redirects, tally.client_errors, tally.server_errors, tally.failed,
		tally.imports, rss_warm, rss_peak, rss_end, RSS_GROWTH_KB, fds_warm, fds_end);
	CHECK(total > seconds * 20L);
	CHECK_INT(tally.server_errors, 0);
	CHECK_INT(tally.failed, 0);
	CHECK_INT(tally.client_errors, 0);
	CHECK(tally.imports >= seconds / 5);
	CHECK(rss_warm > 0 && rss_peak - rss_warm < RSS_GROWTH_KB);
	CHECK(fds_warm > 0 && fds_end <= fds_warm + FD_SLACK);
	/* The database is sound and holds every import. */
	CHECK_INT(test_server_stop(&srv), 0);
	struct db *d = NULL;
	CHECK_INT(db_open(db, 0, &d, out, sizeof out), GS_OK);
	if (d) {
		sqlite3_stmt *st = db_stmt(d, "PRAGMA integrity_check");
		CHECK_INT(db_step_row(d, st), 1);
		CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
		sqlite3_reset(st);
		st = db_stmt(d, "SELECT count(*) FROM meter_imports WHERE status = 'imported'");
		CHECK_INT(db_step_row(d, st), 1);
		CHECK_INT(sqlite3_column_int64(st, 0), tally.imports + 1);
		sqlite3_reset(st);
		db_close(d);
	}
	return check_finish("test_soak");
}
