/* test_storage.c — disk full and read-only storage: the database lives on a small
 * tmpfs the test mounts. When the filesystem fills up, submissions fail with a clear
 * 503 (never a 500, never a crash), pages that only read keep working, nothing is
 * corrupted, and service resumes by itself when space returns. The same for a
 * filesystem remounted read-only. Needs permission to mount (root, as in CI); skipped
 * with a message otherwise. */
#include "server.h"
#include "check.h"

#include <sys/mount.h>

#include "db.h"
#include "util.h"

static char dir[512], fs[600], db[700], token[128], survey[160];
static struct test_server srv;
static char acks[4096][64];
static size_t n_acks;
static int mounted;

/* Opens the page and submits once; returns the submit's status (-1: no answer), and
 * records the instance when it was acknowledged. body_out receives the answer's body. */
static int submit(long k, char *body_out, size_t outlen)
{
	struct test_response r;
	if (test_request(srv.port, "GET", survey, NULL, NULL, &r) != 0)
		return -1;
	char inst[64], stamp[96];
	int ok = r.status == 200 && test_form_value(r.body, "_i", inst, sizeof inst) == 0 &&
		 test_form_value(r.body, "_t", stamp, sizeof stamp) == 0;
	test_response_free(&r);
	if (!ok)
		return -1;
	char body[512], hdr[256];
	snprintf(body, sizeof body,
		 "_i=%s&_t=%s&rating=4&waiting=lt5&attitude=4&one_visit=yes&service=enquiry&comment=%ld%%20"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 inst, stamp, k);
	snprintf(hdr, sizeof hdr, "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: storage-%ld\r\n", k);
	if (test_request(srv.port, "POST", survey, hdr, body, &r) != 0)
		return -1;
	int status = r.status;
	if (body_out)
		snprintf(body_out, outlen, "%s", r.body ? r.body : "");
	test_response_free(&r);
	if (status == 303 && n_acks < GS_ARRAY_LEN(acks))
		snprintf(acks[n_acks++], sizeof acks[0], "%s", inst);
	return status;
}

static int healthz(void)
{
	struct test_response r;
	if (test_request(srv.port, "GET", "/healthz", NULL, NULL, &r) != 0)
		return -1;
	int s = r.status;
	test_response_free(&r);
	return s;
}

/* Fills the filesystem with a file until it is full. */
static void fill(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	static char block[16384];
	while (write(fd, block, sizeof block) > 0)
		;
	while (write(fd, block, 512) > 0)
		;
	close(fd);
}

static void verify(void)
{
	struct db *d = NULL;
	char err[256];
	CHECK_INT(db_open(db, 0, &d, err, sizeof err), GS_OK);
	if (!d)
		return;
	sqlite3_stmt *st = db_stmt(d, "PRAGMA integrity_check");
	CHECK_INT(db_step_row(d, st), 1);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_reset(st);
	st = db_stmt(d, "SELECT count(*) FROM survey_responses WHERE instance = ?");
	long missing = 0;
	for (size_t i = 0; i < n_acks; i++) {
		sqlite3_bind_text(st, 1, acks[i], -1, SQLITE_STATIC);
		if (db_step_row(d, st) != 1 || sqlite3_column_int(st, 0) != 1)
			missing++;
		sqlite3_reset(st);
	}
	CHECK_INT(missing, 0);
	db_close(d);
}

static void cleanup(void)
{
	if (mounted) {
		umount2(fs, MNT_DETACH);
		mounted = 0;
	}
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_storage"));
	snprintf(fs, sizeof fs, "%s/fs", dir);
	snprintf(db, sizeof db, "%s/g.db", fs);
	mkdir(fs, 0755);
	if (mount("tmpfs", fs, "tmpfs", 0, "size=3m") != 0) {
		printf("test_storage: skipped: cannot mount a small tmpfs here (%s); run as root to test disk full\n",
		       strerror(errno));
		return 0;
	}
	mounted = 1;
	atexit(cleanup);
	char out[8192], filler[800];
	snprintf(filler, sizeof filler, "%s/filler", fs);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "all", NULL), 0);
	sscanf(out, "%127s", token);
	struct db *d = NULL;
	char err[256];
	CHECK_INT(db_open(db, 0, &d, err, sizeof err), GS_OK);
	CHECK_INT(db_exec(d, "INSERT INTO settings(name, value) VALUES('survey.fast_seconds', '0')"), GS_OK);
	db_close(d);

	char log[700];
	snprintf(log, sizeof log, "%s/server.log", dir);
	static const char *const extra[] = {"--hall-rate", "1000000", "--client-rate", "1000000", NULL};
	CHECK_INT(test_server_start_with(&srv, db, log, extra), 0);
	CHECK_INT(test_survey_path(srv.port, token, "T-H2", survey, sizeof survey), 0);
	long k = 0;
	for (int i = 0; i < 20; i++)
		CHECK_INT(submit(k++, NULL, 0), 303);

	/* Disk full: keep submitting until the database cannot grow; the answer must be a 503
	 * that says why, the server must stay up, and reading must still work. */
	fill(filler);
	char body[8192] = "";
	int status = 303, tries = 0;
	while (status == 303 && tries++ < 3000)
		status = submit(k++, body, sizeof body);
	fprintf(stderr, "disk full: first refusal after %d submissions, status %d\n", tries, status);
	CHECK_INT(status, 503);
	CHECK_CONTAINS(body, "请稍后再提交");
	for (int i = 0; i < 5; i++)
		CHECK_INT(submit(k++, NULL, 0), 503);
	CHECK_INT(healthz(), 200);
	struct test_response r;
	CHECK_INT(test_request(srv.port, "GET", survey, NULL, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);

	/* Space returns: service resumes without a restart. */
	CHECK_INT(unlink(filler), 0);
	for (int i = 0; i < 10; i++)
		CHECK_INT(submit(k++, NULL, 0), 303);

	/* Read-only storage (a filesystem remounted read-only, e.g. after errors): a mount
	 * with files open for writing cannot be switched, so the server is stopped first.
	 * It must refuse to start with a message that names the cause, and start normally
	 * once the storage is writable again. */
	CHECK_INT(test_server_stop(&srv), 0);
	CHECK_INT(mount("tmpfs", fs, "tmpfs", MS_REMOUNT | MS_RDONLY, "size=3m"), 0);
	char log2[700], text[4096] = "";
	snprintf(log2, sizeof log2, "%s/server-ro.log", dir);
	CHECK(test_server_start_with(&srv, db, log2, extra) != 0);
	waitpid(srv.pid, NULL, 0);
	FILE *lf = fopen(log2, "r");
	if (lf) {
		size_t got = fread(text, 1, sizeof text - 1, lf);
		text[got] = '\0';
		fclose(lf);
	}
	CHECK_CONTAINS(text, "read-only storage");
	CHECK_INT(mount("tmpfs", fs, "tmpfs", MS_REMOUNT, "size=3m"), 0);
	CHECK_INT(test_server_start_with(&srv, db, log, extra), 0);
	for (int i = 0; i < 5; i++)
		CHECK_INT(submit(k++, NULL, 0), 303);

	CHECK_INT(test_server_stop(&srv), 0);
	verify();
	fprintf(stderr, "%zu acknowledged submissions intact after disk full and read-only storage\n", n_acks);
	cleanup();
	return check_finish("test_storage");
}
