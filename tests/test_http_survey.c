/* test_http_survey.c — the survey flow against the real server on loopback: the QR URL
 * from the API (decoded from the PNG with zbarimg), the page and its size, submit and
 * thank-you, "already received", every kind of bad input, rate limiting, single-use
 * tickets under 50 parallel submitters, statistics through the API, follow-ups with
 * station scoping, posters and CSV. */
#include "server.h"
#include "check.h"

#include <pthread.h>
#include <unistd.h>

#include "db.h"
#include "survey.h"
#include "util.h"

static char dir[512], db[600];
static struct test_server srv;
static char token[128];     /* an unrestricted API token */
static char hall_token[128]; /* a queue machine's token for T-H2 */


static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_http_survey"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	char out[8192];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run("station-password-1\n", out, sizeof out, "--db", db, "user", "add", "st1", "--role",
			   "station", "--unit", "T-S1", NULL),
		  0);
	CHECK_INT(test_run("station-password-2\n", out, sizeof out, "--db", db, "user", "add", "st2", "--role",
			   "station", "--unit", "T-S2", NULL),
		  0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "all", NULL), 0);
	sscanf(out, "%127s", token);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "queue-h2", "--hall", "T-H2", NULL), 0);
	sscanf(out, "%127s", hall_token);
	/* Tests answer in milliseconds: do not flag that as implausibly fast. */
	struct db *d = NULL;
	char err[256];
	CHECK_INT(db_open(db, 0, &d, err, sizeof err), GS_OK);
	CHECK_INT(db_exec(d, "INSERT INTO settings(name, value) VALUES('survey.fast_seconds', '0')"), GS_OK);
	db_close(d);
	char log[700];
	snprintf(log, sizeof log, "%s/server.log", dir);
	CHECK_INT(test_server_start(&srv, db, log), 0);
}

static int api_get(const char *path, struct test_response *r)
{
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
	return test_request(srv.port, "GET", path, hdr, NULL, r);
}

/* The survey path (/s/...) of a hall, from GET /api/v1/halls. */
static int survey_path(const char *hall, char *out, size_t len)
{
	struct test_response r;
	if (api_get("/api/v1/halls", &r) != 0)
		return -1;
	char needle[64];
	snprintf(needle, sizeof needle, "\"code\":\"%s\"", hall);
	const char *p = strstr(r.body, needle);
	const char *u = p ? strstr(p, "\"survey_url\":\"") : NULL;
	int rc = -1;
	if (u) {
		u = strstr(u, "/s/");
		size_t n = strcspn(u, "\"");
		if (n < len) {
			memcpy(out, u, n);
			out[n] = '\0';
			rc = 0;
		}
	}
	test_response_free(&r);
	return rc;
}

/* GETs a survey page and takes its instance and stamp. */
static int open_form(const char *path, char *inst, char *stamp, struct test_response *keep)
{
	struct test_response r;
	if (test_request(srv.port, "GET", path, NULL, NULL, &r) != 0)
		return -1;
	int ok = r.status == 200 && test_form_value(r.body, "_i", inst, 64) == 0 &&
		 test_form_value(r.body, "_t", stamp, 96) == 0;
	if (keep)
		*keep = r;
	else
		test_response_free(&r);
	return ok ? 0 : -1;
}

static int post_form(const char *path, const char *ua, const char *body, struct test_response *r)
{
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: %s\r\n", ua);
	return test_request(srv.port, "POST", path, hdr, body, r);
}

static long json_int(const char *json, const char *key)
{
	char needle[64];
	snprintf(needle, sizeof needle, "\"%s\":", key);
	const char *p = json ? strstr(json, needle) : NULL;
	return p ? strtol(p + strlen(needle), NULL, 10) : -999;
}

static long responses_of(const char *code, const char *key)
{
	struct test_response r;
	char path[128];
	snprintf(path, sizeof path, "/api/v1/units/%s/satisfaction", code);
	if (api_get(path, &r) != 0)
		return -1;
	long v = r.status == 200 ? json_int(r.body, key) : -2;
	test_response_free(&r);
	return v;
}

static void test_page(void)
{
	char path[160], inst[64], stamp[96];
	CHECK_INT(survey_path("T-H2", path, sizeof path), 0);
	CHECK(strncmp(path, "/s/T-H2.1.", 10) == 0);
	struct test_response r, css;
	CHECK_INT(open_form(path, inst, stamp, &r), 0);
	CHECK_INT(strlen(inst), 43);
	CHECK_CONTAINS(r.body, "<fieldset");
	CHECK_CONTAINS(r.body, "<legend>");
	CHECK_CONTAINS(r.body, "name=\"rating\" value=\"5\"");
	/* the hall's name is shown, escaped */
	CHECK_CONTAINS(r.body, "二号营业厅 &lt;script&gt;alert(1)&lt;/script&gt;");
	CHECK(strstr(r.body, "<script>") == NULL);
	CHECK(strstr(r.body, "<script") == NULL);
	char v[64];
	CHECK_STR(test_header(&r, "Cache-Control", v, sizeof v), "no-store");
	CHECK_INT(test_request(srv.port, "GET", "/static/survey.css", NULL, NULL, &css), 0);
	CHECK_INT(css.status, 200);
	CHECK(r.body_len + css.body_len < 15 * 1024);
	printf("survey page %zu bytes + stylesheet %zu bytes\n", r.body_len, css.body_len);
	test_response_free(&css);
	/* every fieldset has a legend */
	int fs = 0, lg = 0;
	for (const char *p = r.body; (p = strstr(p, "<fieldset")); p++)
		fs++;
	for (const char *p = r.body; (p = strstr(p, "<legend>")); p++)
		lg++;
	CHECK(fs >= 6);
	CHECK_INT(lg, fs);
	/* pages come from a per-thread cache of the rendered form: every page has its own
	 * instance and stamp (the time-prefixed instance, the stamp of that instance), the
	 * rest is the same */
	char inst2[64], stamp2[96];
	for (int i = 0; i < 10; i++) {
		struct test_response r2;
		CHECK_INT(open_form(path, inst2, stamp2, &r2), 0);
		CHECK(strcmp(inst, inst2) != 0);
		CHECK_INT(strlen(inst2), 43);
		CHECK(strspn(inst2, "0123456789abcdef") >= 8);
		CHECK(strchr(stamp2, '.') != NULL);
		CHECK_INT(r2.body_len, r.body_len + strlen(stamp2) - strlen(stamp));
		const char *a = strstr(r.body, inst), *b = strstr(r2.body, inst2);
		CHECK(a && b && a - r.body == b - r2.body);
		if (a && b)
			CHECK(memcmp(r.body, r2.body, (size_t)(a - r.body)) == 0);
		const char *ae = strstr(r.body, stamp), *be = strstr(r2.body, stamp2);
		CHECK(ae && be);
		if (ae && be)
			CHECK_STR(ae + strlen(stamp), be + strlen(stamp2));
		test_response_free(&r2);
	}
	test_response_free(&r);
	/* English */
	char en[200];
	snprintf(en, sizeof en, "%s?lang=en", path);
	CHECK_INT(test_request(srv.port, "GET", en, NULL, NULL, &r), 0);
	CHECK_CONTAINS(r.body, "Very good");
	CHECK_CONTAINS(r.body, "lang=\"en\"");
	test_response_free(&r);
}

static void test_bad_codes(void)
{
	struct test_response r;
	const char *bad[] = {"/s/T-H2.1.aaaaaaaaaa", "/s/NOPE.1.aaaaaaaaaa", "/s/T-H2", "/s/x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_INT(test_request(srv.port, "GET", bad[i], NULL, NULL, &r), 0);
		CHECK_INT(r.status, 404);
		CHECK_CONTAINS(r.body, "二维码无效");
		test_response_free(&r);
		CHECK_INT(post_form(bad[i], "ua-bad", "rating=5", &r), 0);
		CHECK_INT(r.status, 404);
		test_response_free(&r);
	}
}

static void test_submit_and_duplicate(void)
{
	char path[160], inst[64], stamp[96], body[512], v[256];
	CHECK_INT(survey_path("T-H2", path, sizeof path), 0);
	long before = responses_of("T-H2", "responses");
	CHECK_INT(open_form(path, inst, stamp, NULL), 0);
	snprintf(body, sizeof body,
		 "_i=%s&_t=%s&rating=5&waiting=lt5&attitude=5&one_visit=yes&service=enquiry&service=other&comment=%s", inst,
		 stamp, "%E5%BE%88%E5%A5%BD");
	struct test_response r;
	CHECK_INT(post_form(path, "ua-submit", body, &r), 0);
	CHECK_INT(r.status, 303);
	char want[200];
	snprintf(want, sizeof want, "%s/thanks", path);
	CHECK_STR(test_header(&r, "Location", v, sizeof v), want);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", want, NULL, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "感谢");
	test_response_free(&r);
	CHECK_INT(responses_of("T-H2", "responses"), before + 1);
	/* the same form again: "already received", no second row */
	CHECK_INT(post_form(path, "ua-submit", body, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "已收到");
	test_response_free(&r);
	CHECK_INT(responses_of("T-H2", "responses"), before + 1);
	CHECK_INT(responses_of("T-H2", "5"), 1);
}

/* Hall-code submissions wait for the write queue without holding a server thread
 * (http_defer): 40 phones submit to one hall at once, half of them the same page (one
 * instance). Every distinct page is stored once and answered 303 after its commit;
 * the copies of the shared one are "already received", and nothing else is answered. */
struct hall_racer {
	const char *path;
	const char *shared_body;     /* NULL: open a page of its own */
	int index;
	int status;
	int already;
};

static pthread_barrier_t hall_race_start;

static void *hall_race(void *arg)
{
	struct hall_racer *x = arg;
	char inst[64], stamp[96], body[512], ua[32];
	x->status = -1;
	int opened = 1;
	if (x->shared_body) {
		snprintf(body, sizeof body, "%s", x->shared_body);
	} else {
		opened = open_form(x->path, inst, stamp, NULL) == 0;
		snprintf(body, sizeof body, "_i=%s&_t=%s&rating=%d&waiting=lt5", inst, stamp, 1 + x->index % 5);
	}
	pthread_barrier_wait(&hall_race_start);
	if (!opened)
		return NULL;
	snprintf(ua, sizeof ua, "hall-racer-%d", x->index);
	struct test_response r;
	if (post_form(x->path, ua, body, &r) == 0) {
		x->status = r.status;
		x->already = r.status == 200 && r.body && strstr(r.body, "已收到") != NULL;
		test_response_free(&r);
	}
	return NULL;
}

static void test_hall_race(void)
{
	char path[160], inst[64], stamp[96], shared[512];
	CHECK_INT(survey_path("T-H1", path, sizeof path), 0);
	/* counted or flagged (T-H1 has opening hours; the test may run outside them) */
	long before = responses_of("T-H1", "responses") + responses_of("T-H1", "flagged");
	CHECK_INT(open_form(path, inst, stamp, NULL), 0);
	snprintf(shared, sizeof shared, "_i=%s&_t=%s&rating=4&waiting=lt5", inst, stamp);
	enum { N = 40 };
	pthread_t th[N];
	struct hall_racer rs[N];
	pthread_barrier_init(&hall_race_start, NULL, N);
	for (int i = 0; i < N; i++) {
		rs[i] = (struct hall_racer){.path = path, .shared_body = i % 2 ? NULL : shared, .index = i};
		pthread_create(&th[i], NULL, hall_race, &rs[i]);
	}
	int stored = 0, already = 0, other = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (rs[i].status == 303)
			stored++;
		else if (rs[i].already)
			already++;
		else
			other++;
	}
	pthread_barrier_destroy(&hall_race_start);
	CHECK_INT(stored, N / 2 + 1);
	CHECK_INT(already, N / 2 - 1);
	CHECK_INT(other, 0);
	CHECK_INT(responses_of("T-H1", "responses") + responses_of("T-H1", "flagged"), before + N / 2 + 1);
}

static void test_bad_input(void)
{
	char path[160], inst[64], stamp[96], body[4096];
	CHECK_INT(survey_path("T-H2", path, sizeof path), 0);
	long before = responses_of("T-H2", "responses"), flagged = responses_of("T-H2", "flagged");
	CHECK_INT(open_form(path, inst, stamp, NULL), 0);
	struct test_response r;
	/* missing required answer: the form again, the error beside the field, answers kept */
	snprintf(body, sizeof body, "_i=%s&_t=%s&waiting=15to30&comment=abc", inst, stamp);
	CHECK_INT(post_form(path, "ua-bad-1", body, &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"e-rating\"");
	CHECK_CONTAINS(r.body, "value=\"15to30\" checked");
	CHECK_CONTAINS(r.body, ">abc</textarea>");
	CHECK_CONTAINS(r.body, inst); /* same instance: a fix-and-resubmit is one response */
	test_response_free(&r);
	/* value outside the options */
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=9", inst, stamp);
	CHECK_INT(post_form(path, "ua-bad-2", body, &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"e-rating\"");
	test_response_free(&r);
	/* oversized comment (501 characters) */
	int n = snprintf(body, sizeof body, "_i=%s&_t=%s&rating=4&comment=", inst, stamp);
	for (int i = 0; i < 501; i++)
		body[n++] = 'x';
	body[n] = '\0';
	CHECK_INT(post_form(path, "ua-bad-3", body, &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "id=\"e-comment\"");
	test_response_free(&r);
	/* an unknown field */
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=4&admin=1", inst, stamp);
	CHECK_INT(post_form(path, "ua-bad-4", body, &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "admin");
	test_response_free(&r);
	/* invalid UTF-8 */
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=4&comment=%%FF%%FE", inst, stamp);
	CHECK_INT(post_form(path, "ua-bad-5", body, &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
	/* no instance */
	CHECK_INT(post_form(path, "ua-bad-6", "rating=4", &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
	/* wrong content type */
	CHECK_INT(test_request(srv.port, "POST", path, "Content-Type: text/plain\r\n", "rating=4", &r), 0);
	CHECK_INT(r.status, 415);
	test_response_free(&r);
	/* body over the limit */
	char *big = malloc(40000);
	n = snprintf(big, 40000, "_i=%s&rating=4&comment=", inst);
	memset(big + n, 'y', 39000 - (size_t)n);
	big[39000] = '\0';
	CHECK_INT(post_form(path, "ua-bad-7", big, &r), 0);
	CHECK_INT(r.status, 413);
	test_response_free(&r);
	free(big);
	/* nothing of that was stored */
	CHECK_INT(responses_of("T-H2", "responses"), before);
	CHECK_INT(responses_of("T-H2", "flagged"), flagged);
	/* a forged render stamp is stored, but flagged and excluded */
	snprintf(body, sizeof body, "_i=%s&_t=123.abc&rating=1", inst);
	CHECK_INT(post_form(path, "ua-bad-8", body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(responses_of("T-H2", "responses"), before);
	CHECK_INT(responses_of("T-H2", "flagged"), flagged + 1);
}

static void test_rate_limit(void)
{
	char path[160], inst[64], stamp[96], body[512], v[32];
	CHECK_INT(survey_path("T-H2", path, sizeof path), 0);
	struct test_response r;
	CHECK_INT(open_form(path, inst, stamp, NULL), 0);
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=4", inst, stamp);
	CHECK_INT(post_form(path, "ua-rate", body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	/* the stored page sent again is "already received", also while the client is
	 * limited, also with a field it should not have, and more often than the client's
	 * limit (20 an hour): a resubmitted page never counts */
	char stored_body[512];
	snprintf(stored_body, sizeof stored_body, "%s", body);
	for (int i = 0; i < 25; i++) {
		CHECK_INT(post_form(path, "ua-rate", i % 5 == 4 ? "_i=x" : stored_body, &r), 0);
		if (i % 5 == 4) { /* not a stored instance: refused as incomplete or limited */
			CHECK(r.status == 400 || r.status == 429);
		} else {
			CHECK_INT(r.status, 200);
			CHECK_CONTAINS(r.body, "已收到");
		}
		test_response_free(&r);
	}
	char odd[600];
	snprintf(odd, sizeof odd, "%s&nosuchfield=1", stored_body);
	CHECK_INT(post_form(path, "ua-rate", odd, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "已收到");
	test_response_free(&r);
	char path1[160];
	CHECK_INT(survey_path("T-H1", path1, sizeof path1), 0);
	CHECK_INT(open_form(path1, inst, stamp, NULL), 0);
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=4", inst, stamp);
	CHECK_INT(post_form(path1, "ua-rate", body, &r), 0);
	CHECK_INT(r.status, 303); /* the client's tokens were not spent on the resubmits */
	test_response_free(&r);
	/* the same client at the same hall again at once: a friendly 429 */
	CHECK_INT(open_form(path, inst, stamp, NULL), 0);
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=4", inst, stamp);
	CHECK_INT(post_form(path, "ua-rate", body, &r), 0);
	CHECK_INT(r.status, 429);
	CHECK(test_header(&r, "Retry-After", v, sizeof v) != NULL);
	CHECK(atoi(v) > 0);
	CHECK_CONTAINS(r.body, "请稍");
	test_response_free(&r);
	/* another phone is not affected */
	CHECK_INT(post_form(path, "ua-rate-other", body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
}

struct racer {
	const char *path;
	int index;
	int status;
};

static pthread_barrier_t race_start;

/* Every racer opens the page first; then all submit at once. */
static void *race(void *arg)
{
	struct racer *x = arg;
	char inst[64], stamp[96], body[512], ua[32];
	x->status = -1;
	int opened = open_form(x->path, inst, stamp, NULL) == 0;
	pthread_barrier_wait(&race_start);
	if (!opened)
		return NULL;
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=%d", inst, stamp, 1 + x->index % 5);
	snprintf(ua, sizeof ua, "racer-%d", x->index);
	struct test_response r;
	if (post_form(x->path, ua, body, &r) == 0) {
		x->status = r.status;
		test_response_free(&r);
	}
	return NULL;
}

static void test_tickets(void)
{
	char hdr[256];
	struct test_response r;
	/* the queue machine's token issues tickets for its own hall only */
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", hall_token);
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/halls/T-H1/tickets", hdr, "", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "POST", "/api/v1/halls/T-H2/tickets", hdr, "", &r), 0);
	CHECK_INT(r.status, 201);
	CHECK_CONTAINS(r.body, "\"expires\":\"");
	CHECK_CONTAINS(r.body, "+08:00");
	const char *u = strstr(r.body, "/t/");
	char path[128] = "";
	if (u)
		snprintf(path, sizeof path, "%.*s", (int)strcspn(u, "\""), u);
	test_response_free(&r);
	CHECK_INT(strlen(path), 3 + 43);
	long issued = responses_of("T-H2", "tickets_issued");
	CHECK(issued >= 1);
	/* 50 customers submit the same ticket at once: exactly one is stored */
	enum { N = 50 };
	pthread_t th[N];
	struct racer rs[N];
	long verified = responses_of("T-H2", "verified");
	pthread_barrier_init(&race_start, NULL, N);
	for (int i = 0; i < N; i++) {
		rs[i] = (struct racer){.path = path, .index = i};
		pthread_create(&th[i], NULL, race, &rs[i]);
	}
	int ok = 0, gone = 0, other = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (rs[i].status == 303)
			ok++;
		else if (rs[i].status == 410)
			gone++;
		else
			other++;
	}
	pthread_barrier_destroy(&race_start);
	CHECK_INT(ok, 1);
	CHECK_INT(gone, N - 1);
	CHECK_INT(other, 0);
	CHECK_INT(responses_of("T-H2", "verified"), verified + 1);
	CHECK_INT(responses_of("T-H2", "tickets_answered"), 1);
	/* used: a page that says so */
	CHECK_INT(test_request(srv.port, "GET", path, NULL, NULL, &r), 0);
	CHECK_INT(r.status, 410);
	CHECK_CONTAINS(r.body, "已使用");
	test_response_free(&r);
	/* unknown ticket */
	CHECK_INT(test_request(srv.port, "GET", "/t/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	/* the ticket never reaches the access log */
	char log[700], *text = NULL;
	size_t len = 0;
	snprintf(log, sizeof log, "%s/server.log", dir);
	CHECK_INT(util_read_file(log, 16 << 20, &text, &len), GS_OK);
	CHECK(text && strstr(text, path + 3) == NULL);
	free(text);
	/* the CLI issues them too */
	char out[512];
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "ticket", "T-H1", "--base-url", "https://gs.example.cn", NULL), 0);
	CHECK(strncmp(out, "https://gs.example.cn/t/", 24) == 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "ticket", "NOPE", NULL), 1);
	CHECK_CONTAINS(out, "NOPE");
}

static int login(const char *user, const char *password, char *sid, size_t sidlen, char *csrf, size_t csrflen)
{
	struct test_response r;
	char pre[128], tok[128], hdr[512], body[512];
	if (test_request(srv.port, "GET", "/login", NULL, NULL, &r) != 0)
		return -1;
	int ok = test_set_cookie(&r, "gs_pre", pre, sizeof pre) == 0 && test_form_value(r.body, "_csrf", tok, sizeof tok) == 0;
	test_response_free(&r);
	if (!ok)
		return -1;
	snprintf(hdr, sizeof hdr, "Cookie: gs_pre=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", pre);
	snprintf(body, sizeof body, "_csrf=%s&login=%s&password=%s", tok, user, password);
	if (test_request(srv.port, "POST", "/login", hdr, body, &r) != 0)
		return -1;
	int rc = test_set_cookie(&r, "gs_session", sid, sidlen);
	test_response_free(&r);
	if (rc)
		return rc;
	/* the CSRF token of the session, from any page with a form */
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid);
	if (test_request(srv.port, "GET", "/followups", hdr, NULL, &r) != 0)
		return -1;
	rc = test_form_value(r.body, "_csrf", csrf, csrflen);
	test_response_free(&r);
	return rc;
}

static void test_followups(void)
{
	char path[160], inst[64], stamp[96], body[512];
	CHECK_INT(survey_path("T-H2", path, sizeof path), 0);
	CHECK_INT(open_form(path, inst, stamp, NULL), 0);
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=1&comment=%s", inst, stamp, "queue%20too%20long");
	struct test_response r;
	CHECK_INT(post_form(path, "ua-followup", body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);

	char sid1[128], csrf1[128], sid2[128], csrf2[128], hdr[512];
	CHECK_INT(login("st1", "station-password-1", sid1, sizeof sid1, csrf1, sizeof csrf1), 0);
	CHECK_INT(login("st2", "station-password-2", sid2, sizeof sid2, csrf2, sizeof csrf2), 0);
	/* T-S2's user sees it; T-S1's does not */
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid2);
	CHECK_INT(test_request(srv.port, "GET", "/followups", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "queue too long");
	const char *a = strstr(r.body, "action=\"/followups/");
	long id = a ? strtol(a + strlen("action=\"/followups/"), NULL, 10) : 0;
	CHECK(id > 0);
	test_response_free(&r);
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid1);
	CHECK_INT(test_request(srv.port, "GET", "/followups", hdr, NULL, &r), 0);
	CHECK(strstr(r.body, "queue too long") == NULL);
	test_response_free(&r);
	char close_path[64];
	snprintf(close_path, sizeof close_path, "/followups/%ld/close", id);
	/* another station may not close it */
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", sid1);
	snprintf(body, sizeof body, "_csrf=%s&note=done", csrf1);
	CHECK_INT(test_request(srv.port, "POST", close_path, hdr, body, &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	/* without the CSRF token: refused */
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", sid2);
	CHECK_INT(test_request(srv.port, "POST", close_path, hdr, "note=done", &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	/* an empty note: the page again with the message */
	snprintf(body, sizeof body, "_csrf=%s&note=", csrf2);
	CHECK_INT(test_request(srv.port, "POST", close_path, hdr, body, &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
	snprintf(body, sizeof body, "_csrf=%s&note=%s", csrf2, "called%20the%20customer");
	CHECK_INT(test_request(srv.port, "POST", close_path, hdr, body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid2);
	CHECK_INT(test_request(srv.port, "GET", "/followups", hdr, NULL, &r), 0);
	CHECK_CONTAINS(r.body, "called the customer");
	test_response_free(&r);

	/* posters and QR images: in scope only */
	CHECK_INT(test_request(srv.port, "GET", "/halls/T-H2/poster", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "<svg");
	CHECK_CONTAINS(r.body, path);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/halls/T-H1/poster", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S2/posters", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "class=\"poster\"");
	test_response_free(&r);

	/* the QR PNG decodes to the hall's survey URL */
	CHECK_INT(test_request(srv.port, "GET", "/halls/T-H2/qr?format=png", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	char png[700], cmd[1600];
	snprintf(png, sizeof png, "%s/t-h2.png", dir);
	FILE *f = fopen(png, "wb");
	if (f) {
		fwrite(r.body, 1, r.body_len, f);
		fclose(f);
	}
	test_response_free(&r);
	snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s'", png);
	FILE *p = popen(cmd, "r");
	char decoded[512] = "";
	if (p) {
		if (!fgets(decoded, sizeof decoded, p))
			decoded[0] = '\0';
		pclose(p);
	}
	decoded[strcspn(decoded, "\r\n")] = '\0';
	CHECK(strstr(decoded, path) != NULL);
	/* and the decoded URL opens the survey */
	const char *sp = strstr(decoded, "/s/");
	CHECK_INT(sp ? open_form(sp, inst, stamp, NULL) : -1, 0);

	/* CSV: statistics and responses of the station */
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S2/satisfaction.csv", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "code,name,kind,responses,satisfied,rate");
	CHECK_CONTAINS(r.body, "T-H2,");
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S2/responses.csv", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "queue too long");
	test_response_free(&r);
	CHECK_INT(test_request(srv.port, "GET", "/units/T-S1/responses.csv", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 403);
	test_response_free(&r);
	/* the hall page shows the satisfaction block */
	CHECK_INT(test_request(srv.port, "GET", "/halls/T-H2", hdr, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	CHECK_CONTAINS(r.body, "class=\"satisfaction\"");
	CHECK_CONTAINS(r.body, "样本不足");
	test_response_free(&r);
}

static void test_api_errors(void)
{
	struct test_response r;
	CHECK_INT(api_get("/api/v1/units/T/satisfaction?from=2026-02-30", &r), 0);
	CHECK_INT(r.status, 400);
	CHECK_CONTAINS(r.body, "\"error\"");
	test_response_free(&r);
	CHECK_INT(api_get("/api/v1/units/T/satisfaction?from=2026-05-01&to=2026-04-01", &r), 0);
	CHECK_INT(r.status, 400);
	test_response_free(&r);
	CHECK_INT(api_get("/api/v1/units/NOPE/satisfaction", &r), 0);
	CHECK_INT(r.status, 404);
	test_response_free(&r);
	/* pooled: the company's counts are the sum of its halls' counts */
	CHECK_INT(responses_of("T", "responses"), responses_of("T-H1", "responses") + responses_of("T-H2", "responses"));
	CHECK_INT(responses_of("T-S2", "satisfied"), responses_of("T-H2", "satisfied"));
	CHECK_INT(api_get("/api/v1/units/T/satisfaction", &r), 0);
	CHECK_CONTAINS(r.body, "\"levels\":{\"5\":");
	CHECK_CONTAINS(r.body, "\"sample_ok\":false");
	test_response_free(&r);
}

static void test_rotate_key(void)
{
	char path[160], newpath[160], out[512];
	struct test_response r;
	CHECK_INT(survey_path("T-H1", path, sizeof path), 0);
	CHECK_INT(test_request(srv.port, "GET", path, NULL, NULL, &r), 0); /* now in a thread's cache */
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "hall", "rotate-key", "T-H1", NULL), 0);
	/* resolved codes are cached per thread for SURVEY_HALL_CACHE_MS: after that the old
	 * code is refused on every thread */
	usleep((SURVEY_HALL_CACHE_MS + 100) * 1000);
	for (int i = 0; i < 8; i++) {
		CHECK_INT(test_request(srv.port, "GET", path, NULL, NULL, &r), 0);
		CHECK_INT(r.status, 404);
		if (i < 7)
			test_response_free(&r);
	}
	test_response_free(&r);
	CHECK_INT(survey_path("T-H1", newpath, sizeof newpath), 0);
	CHECK(strncmp(newpath, "/s/T-H1.2.", 10) == 0);
	CHECK_INT(test_request(srv.port, "GET", newpath, NULL, NULL, &r), 0);
	CHECK_INT(r.status, 200);
	test_response_free(&r);
	/* the CLI QR code holds the new URL */
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "qr", "T-H1", "--format", "svg", NULL), 0);
	CHECK_CONTAINS(out, "<svg");
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "qr", "NOPE", NULL), 1);
}

static void test_form_check(void)
{
	char out[1024];
	CHECK_INT(test_run(NULL, out, sizeof out, "form", "check", "forms/hall-satisfaction.xml", NULL), 0);
	CHECK_CONTAINS(out, "can be served");
	CHECK_INT(test_run(NULL, out, sizeof out, "form", "check", "tests/data/http/org.xml", NULL), 1);
	CHECK_CONTAINS(out, "tests/data/http/org.xml");
	CHECK_INT(test_run(NULL, out, sizeof out, "form", "check", NULL), 2);
}

int main(void)
{
	setup();
	test_page();
	test_bad_codes();
	test_submit_and_duplicate();
	test_hall_race();
	test_bad_input();
	test_rate_limit();
	test_tickets();
	test_followups();
	test_api_errors();
	test_rotate_key();
	test_form_check();
	CHECK_INT(test_server_stop(&srv), 0);
	return check_finish("test_http_survey");
}
