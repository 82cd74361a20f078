/* test_auth.c — logins and role rules, password hashing and checks, sessions and
 * their expiry, server keys, CSRF tokens, API tokens and the audit log, on an
 * in-memory database. Time is simulated by editing timestamps with SQL. Argon2id
 * hashes are slow, so only a handful of logins are created. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "check.h"

#include <stdint.h>
#include "util.h"

#define PW_ADMIN "correct horse battery"
#define PW_STATION "station-password-1"

static struct db *db;
static int64_t admin_id, station_id;

/* Runs sql with one optional text parameter and returns the first column of the
 * first row as an integer (-1 if no row). */
/* Not db_stmt: its cache keeps the SQL pointer, and some callers pass formatted text
 * they free afterwards. */
static int64_t sql_int(const char *sql, const char *param)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

/* Runs a formatted SQL statement (times are passed as long long). */
#define SQL_EXECF(...)                                                                                                 \
	do {                                                                                                           \
		char *sql_ = xasprintf(__VA_ARGS__);                                                                   \
		CHECK_INT(db_exec(db, sql_), GS_OK);                                                                   \
		free(sql_);                                                                                            \
	} while (0)

static void setup(void)
{
	char err[256];
	CHECK_INT(auth_init(), GS_OK);
	CHECK_INT(db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, err, sizeof err), GS_OK);
	CHECK_INT(db_exec(db, "INSERT INTO units(id, code, name, kind, parent_id) VALUES"
	                      "(1, 'C', 'County Supply', 'company', NULL),"
	                      "(2, 'S1', 'North Station', 'station', 1),"
	                      "(3, 'D1', 'Marketing', 'department', 1);"
	                      "INSERT INTO halls(id, code, name, station_id) VALUES(1, 'H1', 'North Hall', 2);"),
	          GS_OK);
}

static void test_roles(void)
{
	enum auth_role r = AUTH_ROLE_NONE;
	CHECK_INT(auth_role_parse("admin", &r), GS_OK);
	CHECK_INT(r, AUTH_ROLE_ADMIN);
	CHECK_INT(auth_role_parse("manager", &r), GS_OK);
	CHECK_INT(r, AUTH_ROLE_MANAGER);
	CHECK_INT(auth_role_parse("station", &r), GS_OK);
	CHECK_INT(r, AUTH_ROLE_STATION);
	CHECK_INT(auth_role_parse("Admin", &r), GS_ERR_INVALID);
	CHECK_INT(auth_role_parse("none", &r), GS_ERR_INVALID);
	CHECK_INT(auth_role_parse(NULL, &r), GS_ERR_INVALID);
	CHECK_STR(auth_role_name(AUTH_ROLE_ADMIN), "admin");
	CHECK_STR(auth_role_name(AUTH_ROLE_MANAGER), "manager");
	CHECK_STR(auth_role_name(AUTH_ROLE_STATION), "station");
	CHECK_STR(auth_role_name(AUTH_ROLE_NONE), "none");
	CHECK_STR(auth_role_name((enum auth_role)42), "none");
}

static void test_user_add(void)
{
	char err[256];
	/* Rejections come first and cost no hash. */
	CHECK_INT(auth_user_add(db, "st2", PW_STATION, AUTH_ROLE_STATION, NULL, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "--unit");
	CHECK_INT(auth_user_add(db, "st2", PW_STATION, AUTH_ROLE_STATION, "", err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "--unit");
	CHECK_INT(auth_user_add(db, "st2", PW_STATION, AUTH_ROLE_STATION, "D1", err, sizeof err), GS_ERR_INVALID);
	CHECK_STR(err, "--unit: 'D1' is not a supply station");
	CHECK_INT(auth_user_add(db, "st2", PW_STATION, AUTH_ROLE_STATION, "C", err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "'C' is not a supply station");
	CHECK_INT(auth_user_add(db, "st2", PW_STATION, AUTH_ROLE_STATION, "NOPE", err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "--unit: no unit with code 'NOPE'");
	CHECK_INT(auth_user_add(db, "mgr2", PW_STATION, AUTH_ROLE_MANAGER, "NOPE", err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "NOPE");
	CHECK_INT(auth_user_add(db, "x", "short", AUTH_ROLE_ADMIN, NULL, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "password");
	CHECK_INT(auth_user_add(db, "x", "123456789", AUTH_ROLE_ADMIN, NULL, err, sizeof err), GS_ERR_INVALID);
	char longpw[AUTH_PASSWORD_MAX + 2];
	memset(longpw, 'p', sizeof longpw - 1);
	longpw[sizeof longpw - 1] = '\0';
	CHECK_INT(auth_user_add(db, "x", longpw, AUTH_ROLE_ADMIN, NULL, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "password");
	CHECK_INT(auth_user_add(db, "x", NULL, AUTH_ROLE_ADMIN, NULL, err, sizeof err), GS_ERR_INVALID);
	static const char *bad_logins[] = {"", "a b", "a/b", "名字", "x;drop", NULL};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad_logins); i++) {
		CHECK_INT(auth_user_add(db, bad_logins[i], PW_ADMIN, AUTH_ROLE_ADMIN, NULL, err, sizeof err),
		          GS_ERR_INVALID);
		CHECK_CONTAINS(err, "login");
	}
	char longlogin[AUTH_LOGIN_MAX + 2];
	memset(longlogin, 'a', sizeof longlogin - 1);
	longlogin[sizeof longlogin - 1] = '\0';
	CHECK_INT(auth_user_add(db, longlogin, PW_ADMIN, AUTH_ROLE_ADMIN, NULL, err, sizeof err), GS_ERR_INVALID);
	CHECK_INT(auth_user_add(db, "x", PW_ADMIN, AUTH_ROLE_NONE, NULL, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "--role");
	CHECK_INT(sql_int("SELECT count(*) FROM users", NULL), 0);

	/* One login of each role (three Argon2id hashes). */
	CHECK_INT(auth_user_add(db, "admin", PW_ADMIN, AUTH_ROLE_ADMIN, NULL, err, sizeof err), GS_OK);
	CHECK_INT(auth_user_add(db, "li.wei@north-1", PW_STATION, AUTH_ROLE_STATION, "S1", err, sizeof err), GS_OK);
	CHECK_INT(auth_user_add(db, "mgr", PW_ADMIN, AUTH_ROLE_MANAGER, "D1", err, sizeof err), GS_OK);
	admin_id = sql_int("SELECT id FROM users WHERE login = ?1", "admin");
	station_id = sql_int("SELECT id FROM users WHERE login = ?1", "li.wei@north-1");
	CHECK(admin_id > 0 && station_id > 0);
	CHECK_INT(sql_int("SELECT unit_id FROM users WHERE login = ?1", "li.wei@north-1"), 2);
	CHECK_INT(sql_int("SELECT unit_id FROM users WHERE login = ?1", "mgr"), 3);
	CHECK_INT(sql_int("SELECT unit_id IS NULL FROM users WHERE login = ?1", "admin"), 1);
	CHECK_INT(sql_int("SELECT count(*) FROM users WHERE role = 'station'", NULL), 1);

	/* Duplicate: found before hashing. */
	CHECK_INT(auth_user_add(db, "admin", PW_ADMIN, AUTH_ROLE_MANAGER, NULL, err, sizeof err), GS_ERR_CONFLICT);
	CHECK_CONTAINS(err, "'admin' already exists");
	CHECK_INT(sql_int("SELECT count(*) FROM users", NULL), 3);

	/* The stored value is an Argon2id string, not the password. */
	sqlite3_stmt *st = db_stmt(db, "SELECT password_hash FROM users WHERE login = 'admin'");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	const char *h = st ? (const char *)sqlite3_column_text(st, 0) : NULL;
	CHECK(h && strncmp(h, "$argon2id$", 10) == 0);
	CHECK(h && !strstr(h, PW_ADMIN));
	if (st)
		sqlite3_reset(st);
}

static void test_password_check(void)
{
	struct auth_user u;
	CHECK_INT(auth_password_check(db, "li.wei@north-1", PW_STATION, &u), GS_OK);
	CHECK_INT(u.id, station_id);
	CHECK_STR(u.login, "li.wei@north-1");
	CHECK_INT(u.role, AUTH_ROLE_STATION);
	CHECK_INT(u.unit_id, 2);
	CHECK_STR(u.unit_code, "S1");

	/* An unknown login still pays for a verification. Timing is noisy on a shared
	 * machine, so compare the fastest of several tries of each (a missing verification
	 * is ~1000x faster, far outside the 4x margin). */
	int64_t wrong_us = INT64_MAX, unknown_us = INT64_MAX;
	for (int i = 0; i < 3; i++) {
		int64_t t0 = util_monotonic_us();
		CHECK_INT(auth_password_check(db, "admin", "wrong password!", &u), GS_ERR_UNAUTHORIZED);
		int64_t t = util_monotonic_us() - t0;
		wrong_us = t < wrong_us ? t : wrong_us;
		CHECK_INT(u.id, 0);
		t0 = util_monotonic_us();
		CHECK_INT(auth_password_check(db, "nobody", PW_ADMIN, &u), GS_ERR_UNAUTHORIZED);
		t = util_monotonic_us() - t0;
		unknown_us = t < unknown_us ? t : unknown_us;
	}
	CHECK(unknown_us * 4 > wrong_us);

	/* Malformed input is refused without a lookup. */
	CHECK_INT(auth_password_check(db, "admin", "short", &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_password_check(db, "", PW_ADMIN, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_password_check(db, NULL, PW_ADMIN, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_password_check(db, "admin", NULL, &u), GS_ERR_UNAUTHORIZED);

	/* An inactive login is refused even with the right password. */
	CHECK_INT(db_exec(db, "UPDATE users SET active = 0 WHERE login = 'mgr'"), GS_OK);
	CHECK_INT(auth_password_check(db, "mgr", PW_ADMIN, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(db_exec(db, "UPDATE users SET active = 1 WHERE login = 'mgr'"), GS_OK);

	/* A hash made with weaker parameters is replaced on the next good login. */
	char weak[crypto_pwhash_STRBYTES];
	CHECK_INT(
	    crypto_pwhash_str(weak, PW_ADMIN, strlen(PW_ADMIN), crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN),
	    0);
	sqlite3_stmt *st = db_stmt(db, "UPDATE users SET password_hash = ?1 WHERE login = 'mgr'");
	CHECK(st != NULL);
	if (st) {
		sqlite3_bind_text(st, 1, weak, -1, SQLITE_STATIC);
		CHECK_INT(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	CHECK_INT(auth_password_check(db, "mgr", PW_ADMIN, &u), GS_OK);
	CHECK_INT(u.role, AUTH_ROLE_MANAGER);
	CHECK_STR(u.unit_code, "D1");
	st = db_stmt(db, "SELECT password_hash FROM users WHERE login = 'mgr'");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	const char *h = st ? (const char *)sqlite3_column_text(st, 0) : NULL;
	CHECK(h && strcmp(h, weak) != 0);
	CHECK(h && crypto_pwhash_str_needs_rehash(h, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0);
	if (st)
		sqlite3_reset(st);
}

static void test_sessions(void)
{
	char id[AUTH_TOKEN_LEN + 1], id2[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	CHECK_INT(auth_session_create(db, admin_id, id), GS_OK);
	CHECK_INT(strlen(id), AUTH_TOKEN_LEN);
	CHECK_INT(auth_session_create(db, admin_id, id2), GS_OK);
	CHECK(strcmp(id, id2) != 0);
	CHECK_INT(auth_session_lookup(db, id, &u), GS_OK);
	CHECK_INT(u.id, admin_id);
	CHECK_STR(u.login, "admin");
	CHECK_INT(u.role, AUTH_ROLE_ADMIN);
	CHECK_INT(u.unit_id, 0);
	CHECK_STR(u.unit_code, "");

	/* Only SHA-256(id) is stored. */
	unsigned char hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, (const unsigned char *)id, strlen(id));
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM sessions WHERE id_hash = ?1");
	CHECK(st != NULL);
	if (st) {
		sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, id, AUTH_TOKEN_LEN, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
		sqlite3_reset(st);
	}
	CHECK_INT(
	    sql_int("SELECT count(*) FROM sessions WHERE CAST(id_hash AS TEXT) = ?1 OR length(id_hash) <> 32", id), 0);
	int64_t now = util_now();
	CHECK_INT(sql_int("SELECT expires_at - created_at FROM sessions LIMIT 1", NULL), AUTH_SESSION_IDLE_S);

	/* Station users come back with their station. */
	char sid[AUTH_TOKEN_LEN + 1];
	CHECK_INT(auth_session_create(db, station_id, sid), GS_OK);
	CHECK_INT(auth_session_lookup(db, sid, &u), GS_OK);
	CHECK_INT(u.role, AUTH_ROLE_STATION);
	CHECK_STR(u.unit_code, "S1");
	CHECK_INT(u.unit_id, 2);

	/* A recent last_seen is not rewritten (no write per request). */
	SQL_EXECF("UPDATE sessions SET last_seen = %lld, expires_at = %lld", (long long)(now - 10),
	          (long long)(now + 100));
	CHECK_INT(auth_session_lookup(db, id, &u), GS_OK);
	{
		char *q = xasprintf("SELECT count(*) FROM sessions WHERE last_seen = %lld AND expires_at = %lld",
		                    (long long)(now - 10), (long long)(now + 100));
		CHECK_INT(sql_int(q, NULL), 3);
		free(q);
	}
	/* After a minute the idle expiry slides forward. */
	SQL_EXECF("UPDATE sessions SET last_seen = %lld, expires_at = %lld", (long long)(now - 120),
	          (long long)(now + 100));
	CHECK_INT(auth_session_lookup(db, id, &u), GS_OK);
	st = db_stmt(db, "SELECT last_seen, expires_at FROM sessions WHERE id_hash = ?1");
	CHECK(st != NULL);
	if (st) {
		sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_ROW);
		CHECK(sqlite3_column_int64(st, 0) >= now);
		CHECK(sqlite3_column_int64(st, 1) >= now + AUTH_SESSION_IDLE_S);
		sqlite3_reset(st);
	}
	/* ...but never past created_at + AUTH_SESSION_MAX_S. */
	int64_t created = now - AUTH_SESSION_MAX_S + 100;
	SQL_EXECF("UPDATE sessions SET created_at = %lld, last_seen = %lld", (long long)(created),
	          (long long)(now - 120));
	CHECK_INT(auth_session_lookup(db, id, &u), GS_OK);
	st = db_stmt(db, "SELECT expires_at FROM sessions WHERE id_hash = ?1");
	if (st) {
		sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == created + AUTH_SESSION_MAX_S);
		sqlite3_reset(st);
	}
	/* Older than the maximum: refused even if expires_at says otherwise. */
	SQL_EXECF("UPDATE sessions SET created_at = %lld, expires_at = %lld", (long long)(now - AUTH_SESSION_MAX_S - 1),
	          (long long)(now + 100));
	CHECK_INT(auth_session_lookup(db, id, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(u.id, 0);
	SQL_EXECF("UPDATE sessions SET created_at = %lld, last_seen = %lld", (long long)(now), (long long)(now));

	/* Expired sessions are refused and purged. */
	SQL_EXECF("UPDATE sessions SET expires_at = %lld WHERE user_id = %lld", (long long)(now - 1),
	          (long long)admin_id);
	CHECK_INT(auth_session_lookup(db, id, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_lookup(db, id2, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_lookup(db, sid, &u), GS_OK);
	int64_t removed = -1;
	CHECK_INT(auth_sessions_purge(db, &removed), GS_OK);
	CHECK_INT(removed, 2);
	CHECK_INT(auth_sessions_purge(db, NULL), GS_OK);
	CHECK_INT(sql_int("SELECT count(*) FROM sessions", NULL), 1);

	/* Inactive users lose their sessions' effect at once. */
	CHECK_INT(db_exec(db, "UPDATE users SET active = 0 WHERE login = 'li.wei@north-1'"), GS_OK);
	CHECK_INT(auth_session_lookup(db, sid, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(db_exec(db, "UPDATE users SET active = 1 WHERE login = 'li.wei@north-1'"), GS_OK);
	CHECK_INT(auth_session_lookup(db, sid, &u), GS_OK);

	/* Logout. */
	CHECK_INT(auth_session_delete(db, sid), GS_OK);
	CHECK_INT(auth_session_lookup(db, sid, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_delete(db, sid), GS_OK);

	/* Malformed ids never reach the database. */
	char bad[AUTH_TOKEN_LEN + 2];
	memset(bad, 'A', sizeof bad);
	bad[AUTH_TOKEN_LEN + 1] = '\0';
	CHECK_INT(auth_session_lookup(db, bad, &u), GS_ERR_UNAUTHORIZED); /* 44 chars */
	bad[AUTH_TOKEN_LEN - 1] = '\0';
	CHECK_INT(auth_session_lookup(db, bad, &u), GS_ERR_UNAUTHORIZED); /* 42 chars */
	memset(bad, 'A', AUTH_TOKEN_LEN);
	bad[AUTH_TOKEN_LEN] = '\0';
	bad[5] = '+';
	CHECK_INT(auth_session_lookup(db, bad, &u), GS_ERR_UNAUTHORIZED);
	bad[5] = '=';
	CHECK_INT(auth_session_lookup(db, bad, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_lookup(db, "", &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_lookup(db, NULL, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_delete(db, NULL), GS_OK);
	CHECK_INT(auth_session_delete(db, "x"), GS_OK);
	bad[5] = 'A';
	CHECK_INT(auth_session_lookup(db, bad, &u), GS_ERR_UNAUTHORIZED); /* well formed, unknown */

	/* A session for a user that does not exist is refused by the foreign key. */
	char ghost[AUTH_TOKEN_LEN + 1];
	CHECK(auth_session_create(db, 9999, ghost) != GS_OK);
}

static void test_set_password(void)
{
	char err[256], a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	CHECK_INT(auth_session_create(db, station_id, a), GS_OK);
	CHECK_INT(auth_session_create(db, station_id, b), GS_OK);
	CHECK_INT(auth_session_create(db, admin_id, other), GS_OK);
	CHECK_INT(auth_user_set_password(db, "li.wei@north-1", "short", err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "password");
	CHECK_INT(auth_user_set_password(db, "nobody", "a new password", err, sizeof err), GS_ERR_NOT_FOUND);
	CHECK_CONTAINS(err, "nobody");
	CHECK_INT(auth_session_lookup(db, a, &u), GS_OK);
	CHECK_INT(auth_user_set_password(db, "li.wei@north-1", "a new password", err, sizeof err), GS_OK);
	CHECK_INT(auth_session_lookup(db, a, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_lookup(db, b, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_session_lookup(db, other, &u), GS_OK); /* other users keep theirs */
	CHECK_INT(auth_password_check(db, "li.wei@north-1", PW_STATION, &u), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_password_check(db, "li.wei@north-1", "a new password", &u), GS_OK);
}

static void test_server_key(void)
{
	unsigned char k1[32], k2[32], k3[32], zero[32] = {0};
	CHECK_INT(auth_server_key(db, "csrf", k1), GS_OK);
	CHECK_INT(auth_server_key(db, "csrf", k2), GS_OK);
	CHECK(memcmp(k1, k2, 32) == 0);
	CHECK(memcmp(k1, zero, 32) != 0);
	CHECK_INT(auth_server_key(db, "survey", k3), GS_OK);
	CHECK(memcmp(k1, k3, 32) != 0);
	CHECK_INT(sql_int("SELECT count(*) FROM secrets", NULL), 2);
	CHECK_INT(sql_int("SELECT length(value) FROM secrets WHERE name = ?1", "csrf"), 32);
	CHECK_INT(auth_server_key(db, "", k3), GS_ERR_INVALID);
	CHECK_INT(auth_server_key(db, NULL, k3), GS_ERR_INVALID);
	/* A damaged secret is reported, not silently replaced. */
	CHECK_INT(db_exec(db, "INSERT INTO secrets(name, value, created_at) VALUES('bad', x'00', 0)"), GS_OK);
	CHECK_INT(auth_server_key(db, "bad", k3), GS_ERR_INTERNAL);
}

static void test_csrf(void)
{
	unsigned char key[32], key2[32];
	randombytes_buf(key, sizeof key);
	randombytes_buf(key2, sizeof key2);
	char sess[AUTH_TOKEN_LEN + 1], tok[AUTH_TOKEN_LEN + 1], tok2[AUTH_TOKEN_LEN + 1];
	auth_random_token(sess);
	auth_csrf_token(key, "logout", sess, tok);
	CHECK_INT(strlen(tok), AUTH_TOKEN_LEN);
	CHECK(auth_csrf_check(key, "logout", sess, tok) == 1);
	auth_csrf_token(key, "logout", sess, tok2);
	CHECK_STR(tok, tok2); /* deterministic */
	CHECK(auth_csrf_check(key, "import", sess, tok) == 0);
	CHECK(auth_csrf_check(key2, "logout", sess, tok) == 0);
	char other[AUTH_TOKEN_LEN + 1];
	auth_random_token(other);
	CHECK(auth_csrf_check(key, "logout", other, tok) == 0);
	/* The separator keeps purpose and binding apart. */
	auth_csrf_token(key, "ab", "c", tok2);
	CHECK(auth_csrf_check(key, "a", "bc", tok2) == 0);
	CHECK(auth_csrf_check(key, "ab", "c", tok2) == 1);
	/* Tampered or malformed tokens. */
	char t[AUTH_TOKEN_LEN + 2];
	memcpy(t, tok, sizeof tok);
	t[10] = t[10] == 'A' ? 'B' : 'A';
	CHECK(auth_csrf_check(key, "logout", sess, t) == 0);
	memcpy(t, tok, sizeof tok);
	t[AUTH_TOKEN_LEN - 1] = '\0';
	CHECK(auth_csrf_check(key, "logout", sess, t) == 0);
	memcpy(t, tok, sizeof tok);
	t[AUTH_TOKEN_LEN] = 'x';
	t[AUTH_TOKEN_LEN + 1] = '\0';
	CHECK(auth_csrf_check(key, "logout", sess, t) == 0);
	CHECK(auth_csrf_check(key, "logout", sess, NULL) == 0);
	CHECK(auth_csrf_check(key, "logout", sess, "") == 0);
	/* No binding (no cookie): never valid. */
	auth_csrf_token(key, "login", "", tok2);
	CHECK(auth_csrf_check(key, "login", "", tok2) == 0);
	CHECK(auth_csrf_check(key, "login", NULL, tok2) == 0);

	/* Random tokens are well-formed base64url and differ. */
	char r1[AUTH_TOKEN_LEN + 1], r2[AUTH_TOKEN_LEN + 1];
	auth_random_token(r1);
	auth_random_token(r2);
	CHECK_INT(strlen(r1), AUTH_TOKEN_LEN);
	CHECK_INT(strspn(r1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), AUTH_TOKEN_LEN);
	CHECK(strcmp(r1, r2) != 0);
}

static void test_api_tokens(void)
{
	char err[256], t1[AUTH_API_TOKEN_LEN + 1], t2[AUTH_API_TOKEN_LEN + 1], t3[AUTH_API_TOKEN_LEN + 1];
	struct auth_token tok;
	CHECK_INT(auth_token_add(db, "importer", NULL, t1, err, sizeof err), GS_OK);
	CHECK_INT(strlen(t1), AUTH_API_TOKEN_LEN);
	CHECK(strncmp(t1, "gst_", 4) == 0);
	CHECK_INT(auth_token_add(db, "queue-h1", "H1", t2, err, sizeof err), GS_OK);
	CHECK_INT(auth_token_add(db, "importer", NULL, t3, err, sizeof err), GS_ERR_CONFLICT);
	CHECK_CONTAINS(err, "importer");
	CHECK_STR(t3, "");
	CHECK_INT(auth_token_add(db, "queue-x", "NOPE", t3, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "--hall: no hall with code 'NOPE'");
	CHECK_INT(auth_token_add(db, "bad name", NULL, t3, err, sizeof err), GS_ERR_INVALID);
	CHECK_CONTAINS(err, "name");
	CHECK_INT(sql_int("SELECT count(*) FROM api_tokens", NULL), 2);

	CHECK_INT(auth_token_lookup(db, t1, &tok), GS_OK);
	CHECK_STR(tok.name, "importer");
	CHECK_INT(tok.hall_id, 0);
	CHECK_STR(tok.hall_code, "");
	CHECK_INT(sql_int("SELECT last_used IS NOT NULL FROM api_tokens WHERE name = ?1", "importer"), 1);
	CHECK_INT(auth_token_lookup(db, t2, &tok), GS_OK);
	CHECK_STR(tok.name, "queue-h1");
	CHECK_INT(tok.hall_id, 1);
	CHECK_STR(tok.hall_code, "H1");

	/* Stored as SHA-256 of the whole token. */
	unsigned char hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, (const unsigned char *)t1, strlen(t1));
	sqlite3_stmt *st = db_stmt(db, "SELECT name FROM api_tokens WHERE token_hash = ?1");
	if (st) {
		sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_ROW);
		CHECK_STR((const char *)sqlite3_column_text(st, 0), "importer");
		sqlite3_reset(st);
	}

	/* last_used is written at most once a minute. */
	CHECK_INT(db_exec(db, "UPDATE api_tokens SET last_used = 5 WHERE name = 'importer'"), GS_OK);
	CHECK_INT(auth_token_lookup(db, t1, &tok), GS_OK);
	CHECK_STR(tok.name, "importer");
	CHECK(sql_int("SELECT last_used FROM api_tokens WHERE name = ?1", "importer") >= util_now() - 5);
	SQL_EXECF("UPDATE api_tokens SET last_used = %lld WHERE id = %lld", (long long)(util_now() - 30),
	          (long long)(tok.id));
	CHECK_INT(auth_token_lookup(db, t1, &tok), GS_OK);
	CHECK(sql_int("SELECT last_used FROM api_tokens WHERE name = ?1", "importer") <= util_now() - 29);

	/* Revoked, unknown and malformed tokens. */
	CHECK_INT(db_exec(db, "UPDATE api_tokens SET revoked_at = 1 WHERE name = 'importer'"), GS_OK);
	CHECK_INT(auth_token_lookup(db, t1, &tok), GS_ERR_UNAUTHORIZED);
	CHECK_STR(tok.name, "");
	CHECK_INT(auth_token_lookup(db, t2, &tok), GS_OK);
	char fake[AUTH_API_TOKEN_LEN + 1];
	memcpy(fake, t2, sizeof fake);
	fake[10] = fake[10] == 'A' ? 'B' : 'A';
	CHECK_INT(auth_token_lookup(db, fake, &tok), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_token_lookup(db, t2 + 4, &tok), GS_ERR_UNAUTHORIZED); /* without the prefix */
	memcpy(fake, t2, sizeof fake);
	fake[0] = 'G';
	CHECK_INT(auth_token_lookup(db, fake, &tok), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_token_lookup(db, "gst_", &tok), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_token_lookup(db, "", &tok), GS_ERR_UNAUTHORIZED);
	CHECK_INT(auth_token_lookup(db, NULL, &tok), GS_ERR_UNAUTHORIZED);
}

static void test_audit(void)
{
	CHECK_INT(sql_int("SELECT count(*) FROM audit_log WHERE action = ?1", "user.add"), 3);
	CHECK_INT(sql_int("SELECT count(*) FROM audit_log WHERE action = ?1", "user.password"), 1);
	CHECK_INT(sql_int("SELECT count(*) FROM audit_log WHERE action = ?1", "token.add"), 2);
	CHECK_INT(sql_int("SELECT count(*) FROM audit_log WHERE detail LIKE '%' || ?1 || '%'", "unit=S1"), 1);
	CHECK_INT(sql_int("SELECT count(*) FROM audit_log WHERE detail LIKE '%' || ?1 || '%'", "hall=H1"), 1);
	/* No secrets in the log. */
	CHECK_INT(
	    sql_int("SELECT count(*) FROM audit_log WHERE detail LIKE '%password%' OR detail LIKE '%gst_%'", NULL), 0);
	CHECK_INT(auth_audit(db, "cli", "backup", NULL), GS_OK);
	CHECK_INT(auth_audit(db, "admin", "login", "from 127.0.0.1"), GS_OK);
	CHECK_INT(sql_int("SELECT count(*) FROM audit_log WHERE actor = ?1 AND detail IS NULL", "cli"), 1);
	CHECK(sql_int("SELECT max(at) FROM audit_log", NULL) >= util_now() - 5);
}

int main(void)
{
	setup();
	if (!db)
		return check_finish("test_auth");
	test_roles();
	test_user_add();
	test_password_check();
	test_sessions();
	test_set_password();
	test_server_key();
	test_csrf();
	test_api_tokens();
	test_audit();
	/* No statement may be left mid-step (that would hold a read transaction). */
	int busy = 0;
	for (sqlite3_stmt *st = sqlite3_next_stmt(db_handle(db), NULL); st; st = sqlite3_next_stmt(db_handle(db), st))
		busy += sqlite3_stmt_busy(st);
	CHECK_INT(busy, 0);
	db_close(db);
	return check_finish("test_auth");
}
