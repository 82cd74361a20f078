/* test_secrets.c — what must never be written down:
 *  - the repository holds no private keys, cloud or forge tokens, gridscore API tokens,
 *    password assignments outside tests/, nor key or database files (every file git
 *    tracks is scanned; the scanner is first shown to catch planted samples);
 *  - the database never holds a secret in clear: after a login, an API token and a
 *    survey submission, no column of any table contains the password, the session id
 *    or the token (only their hashes are stored);
 *  - no personal data of customers: the client's address (from X-Forwarded-For behind
 *    the trusted proxy) and its User-Agent appear nowhere in the database; the daily
 *    client-hash keys older than yesterday are deleted. */
#include "server.h"
#include "check.h"

#include <regex.h>

#include "db.h"
#include "util.h"

/* ---- The repository scan. */

struct rule {
	const char *what;
	const char *re;        /* POSIX extended, case-insensitive */
	int outside_tests;     /* only files outside tests/ (test fixtures use sample passwords) */
};

static const struct rule rules[] = {
	{"a private key", "-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----", 0},
	{"an AWS access key", "(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)", 0},
	{"a GitHub token", "(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}", 0},
	{"a Slack token", "xox[abprs]-[A-Za-z0-9-]{10,}", 0},
	{"a gridscore API token", "gst_[A-Za-z0-9_-]{43}", 0},
	{"a password assignment", "(password|passwd|secret|api_?key)[\"']?[ \t]*[:=][ \t]*[\"'][^\"' \t$<{]{8,}[\"']", 1},
};

/* File names that must not be committed at all. */
static const char *const bad_suffixes[] = {".pem", ".key", ".p12", ".pfx", ".db", ".sqlite", ".db-wal", "id_rsa",
					    "id_ed25519", ".env"};

static regex_t compiled[GS_ARRAY_LEN(rules)];

/* The first rule a text breaks, or NULL. */
static const char *scan_text(const char *text, int in_tests)
{
	for (size_t i = 0; i < GS_ARRAY_LEN(rules); i++) {
		if (rules[i].outside_tests && in_tests)
			continue;
		if (regexec(&compiled[i], text, 0, NULL, 0) == 0)
			return rules[i].what;
	}
	return NULL;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b, 64u << 20);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	return buf_steal(&b, len);
}

static void test_scanner_catches_samples(void)
{
	/* Built at run time, so this file itself holds no sample the scan would find. */
	char key[128], aws[64], gst[64], pw[64];
	snprintf(key, sizeof key, "x\n-----%s RSA PRIVATE KEY-----\nMIIE\n", "BEGIN");
	snprintf(aws, sizeof aws, "id = %s%s", "AKIA", "ABCDEFGHIJKLMNOP");
	snprintf(gst, sizeof gst, "Bearer gst_%s", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
	snprintf(pw, sizeof pw, "db_%s = \"hunter2hunter2\"", "password");
	CHECK_STR(scan_text(key, 0), "a private key");
	CHECK_STR(scan_text(aws, 0), "an AWS access key");
	CHECK_STR(scan_text(gst, 0), "a gridscore API token");
	CHECK_STR(scan_text(pw, 0), "a password assignment");
	CHECK(scan_text(pw, 1) == NULL);
	CHECK(scan_text("password = \"\"; read it from stdin", 0) == NULL);
	CHECK(scan_text("const char *password = opt_value(a, \"--password\");", 0) == NULL);
}

static void test_repository(void)
{
	const char *src = getenv("GS_SRC") ? getenv("GS_SRC") : ".";
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "git -C '%s' ls-files -z 2>/dev/null", src);
	FILE *p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p)
		return;
	size_t files = 0, findings = 0;
	char name[1024];
	size_t n = 0;
	int c;
	while ((c = fgetc(p)) != EOF) {
		if (c != '\0') {
			if (n < sizeof name - 1)
				name[n++] = (char)c;
			continue;
		}
		name[n] = '\0';
		n = 0;
		files++;
		for (size_t i = 0; i < GS_ARRAY_LEN(bad_suffixes); i++) {
			size_t nl = strlen(name), sl = strlen(bad_suffixes[i]);
			if (nl >= sl && strcmp(name + nl - sl, bad_suffixes[i]) == 0) {
				fprintf(stderr, "%s: a %s file is committed\n", name, bad_suffixes[i]);
				findings++;
			}
		}
		char path[1300];
		snprintf(path, sizeof path, "%s/%s", src, name);
		size_t len = 0;
		char *text = read_all(path, &len);
		if (!text)
			continue;
		/* NULs would end the scan early: the rules are about text, so blank them. */
		for (size_t i = 0; i < len; i++)
			if (text[i] == '\0')
				text[i] = ' ';
		const char *what = scan_text(text, strncmp(name, "tests/", 6) == 0);
		if (what) {
			fprintf(stderr, "%s: looks like %s is committed\n", name, what);
			findings++;
		}
		free(text);
	}
	int rc = pclose(p);
	fprintf(stderr, "repository: %zu tracked files scanned\n", files);
	CHECK_INT(rc, 0);
	CHECK(files > 50); /* the scan really ran over the tree */
	CHECK_INT((long)findings, 0);
}

/* ---- The database. */

/* Where in the database needle occurs (table.column), or NULL. */
static const char *db_find(const char *db, const char *needle)
{
	static char where[256];
	struct db *d = NULL;
	char err[256];
	if (db_open(db, 0, &d, err, sizeof err) != GS_OK)
		return "(database did not open)";
	sqlite3 *h = db_handle(d);
	sqlite3_stmt *t = NULL;
	const char *found = NULL;
	sqlite3_prepare_v2(h, "SELECT name FROM sqlite_schema WHERE type = 'table'", -1, &t, NULL);
	while (!found && sqlite3_step(t) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(t, 0);
		char *sql = xasprintf("SELECT * FROM \"%s\"", table);
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
			while (!found && sqlite3_step(s) == SQLITE_ROW) {
				for (int i = 0; i < sqlite3_column_count(s); i++) {
					const void *v = sqlite3_column_blob(s, i);
					int len = sqlite3_column_bytes(s, i);
					if (v && len > 0 && memmem(v, (size_t)len, needle, strlen(needle))) {
						snprintf(where, sizeof where, "%s.%s", table, sqlite3_column_name(s, i));
						found = where;
						break;
					}
				}
			}
		}
		sqlite3_finalize(s);
		free(sql);
	}
	sqlite3_finalize(t);
	db_close(d);
	return found;
}

static void test_database(void)
{
	char dir[512], db[600], log[700], out[8192], token[128] = "";
	snprintf(dir, sizeof dir, "%s", test_tmpdir("test_secrets"));
	snprintf(db, sizeof db, "%s/g.db", dir);
	snprintf(log, sizeof log, "%s/server.log", dir);
	static const char password[] = "correct-horse-battery-41";
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "init", NULL), 0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "org", "load", "tests/data/http/org.xml", NULL), 0);
	CHECK_INT(test_run("correct-horse-battery-41\n", out, sizeof out, "--db", db, "user", "add", "adm", "--role",
			   "admin", NULL),
		  0);
	CHECK_INT(test_run(NULL, out, sizeof out, "--db", db, "token", "add", "queue", NULL), 0);
	sscanf(out, "%127s", token);
	CHECK_CONTAINS(token, "gst_");

	struct test_server srv;
	static const char *const extra[] = {"--trusted-proxy", "127.0.0.1", NULL};
	CHECK_INT(test_server_start_with(&srv, db, log, extra), 0);

	/* A login: the session id the browser receives. */
	struct test_response r;
	char pre[128] = "", csrf[128] = "", sid[128] = "", hdr[512], body[512];
	CHECK_INT(test_request(srv.port, "GET", "/login", NULL, NULL, &r), 0);
	CHECK_INT(test_set_cookie(&r, "gs_pre", pre, sizeof pre), 0);
	CHECK_INT(test_form_value(r.body, "_csrf", csrf, sizeof csrf), 0);
	test_response_free(&r);
	snprintf(hdr, sizeof hdr, "Cookie: gs_pre=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", pre);
	snprintf(body, sizeof body, "_csrf=%s&login=adm&password=%s", csrf, password);
	CHECK_INT(test_request(srv.port, "POST", "/login", hdr, body, &r), 0);
	CHECK_INT(r.status, 303);
	CHECK_INT(test_set_cookie(&r, "gs_session", sid, sizeof sid), 0);
	test_response_free(&r);

	/* A survey submission from a customer behind the proxy, found by the token. */
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
	CHECK_INT(test_request(srv.port, "GET", "/api/v1/halls", hdr, NULL, &r), 0);
	char survey[160] = "";
	const char *u = r.body ? strstr(r.body, "/s/") : NULL;
	if (u && strcspn(u, "\"") < sizeof survey)
		snprintf(survey, strcspn(u, "\"") + 1, "%s", u);
	test_response_free(&r);
	static const char ua[] = "Mozilla/5.0 (personal-marker-7f3a) Mobile";
	static const char ip[] = "198.51.100.77";
	snprintf(hdr, sizeof hdr, "X-Forwarded-For: %s\r\nUser-Agent: %s\r\n", ip, ua);
	CHECK_INT(test_request(srv.port, "GET", survey, hdr, NULL, &r), 0);
	char inst[64] = "", stamp[96] = "";
	CHECK_INT(test_form_value(r.body, "_i", inst, sizeof inst), 0);
	CHECK_INT(test_form_value(r.body, "_t", stamp, sizeof stamp), 0);
	test_response_free(&r);
	snprintf(hdr, sizeof hdr,
		 "X-Forwarded-For: %s\r\nUser-Agent: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n", ip, ua);
	snprintf(body, sizeof body, "_i=%s&_t=%s&rating=2&waiting=lt5&attitude=4&one_visit=yes&service=enquiry", inst,
		 stamp);
	CHECK_INT(test_request(srv.port, "POST", survey, hdr, body, &r), 0);
	CHECK_INT(r.status, 303);
	test_response_free(&r);
	CHECK_INT(test_server_stop(&srv), 0);

	/* The response is stored... */
	char where[64];
	snprintf(where, sizeof where, "%s", db_find(db, inst) ? db_find(db, inst) : "");
	CHECK_STR(where, "survey_responses.instance");
	/* ...but no secret in clear and nothing that identifies the customer. */
	const char *needles[] = {password, sid, token, token + 4, ip, "personal-marker-7f3a"};
	const char *names[] = {"the password", "the session id", "the API token", "the API token's secret part",
			       "the customer's address", "the customer's User-Agent"};
	for (size_t i = 0; i < GS_ARRAY_LEN(needles); i++) {
		const char *w = needles[i][0] ? db_find(db, needles[i]) : "(empty needle)";
		if (w)
			fprintf(stderr, "%s is stored in clear in %s\n", names[i], w);
		CHECK(w == NULL);
	}
}

int main(void)
{
	for (size_t i = 0; i < GS_ARRAY_LEN(rules); i++)
		if (regcomp(&compiled[i], rules[i].re, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			fprintf(stderr, "rule %zu does not compile\n", i);
			return 1;
		}
	test_scanner_catches_samples();
	test_repository();
	test_database();
	for (size_t i = 0; i < GS_ARRAY_LEN(rules); i++)
		regfree(&compiled[i]);
	return check_finish("test_secrets");
}
