/* auth.c — logins, password hashing, sessions, CSRF tokens, API tokens, server keys
 * and the audit log. Owns the SQL on users, sessions, api_tokens, secrets and
 * audit_log; knows nothing of HTTP. Secrets never reach the log. */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Sliding expiry and last-use stamps are written at most this often, so a busy
 * session does not turn every request into a write. */
#define AUTH_TOUCH_INTERVAL_S 60
#define AUTH_HASH_LEN crypto_hash_sha256_BYTES
#define AUTH_API_TOKEN_PREFIX "gst_"
#define AUTH_SECRET_NAME_MAX 64

_Static_assert(AUTH_SESSION_IDLE_S <= AUTH_SESSION_MAX_S, "a new session's expiry is its idle expiry");

/* Verified against when the login is unknown or inactive, so those answers take as
 * long as a wrong password. Same parameters as crypto_pwhash_str with the
 * INTERACTIVE limits; the password behind it is random and was thrown away. If a
 * libsodium upgrade changes those limits, a fresh dummy is made on first use. */
static const char auth_dummy_fixed[] =
    "$argon2id$v=19$m=65536,t=2,p=1$kUFr9ieX6boH6PuRp3Nt+Q$M2hk0Kt4w/4CKDGV1HAPasTlFKF5R6QNpVSecjdXa3s";
static char auth_dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t auth_dummy_once = PTHREAD_ONCE_INIT;

static void auth_dummy_init(void)
{
	snprintf(auth_dummy_hash, sizeof auth_dummy_hash, "%s", auth_dummy_fixed);
	if (crypto_pwhash_str_needs_rehash(auth_dummy_hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                                   crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0)
		return;
	unsigned char pw[32];
	randombytes_buf(pw, sizeof pw);
	char fresh[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str(fresh, (const char *)pw, sizeof pw, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0)
		memcpy(auth_dummy_hash, fresh, sizeof fresh);
	sodium_memzero(pw, sizeof pw);
}

/* Spends the time of one password verification and always fails. */
static void auth_dummy_verify(const char *password)
{
	pthread_once(&auth_dummy_once, auth_dummy_init);
	if (crypto_pwhash_str_verify(auth_dummy_hash, password, strlen(password)) == 0)
		log_error("auth: the dummy password hash matched; this cannot happen");
}

enum gs_result auth_init(void)
{
	return sodium_init() < 0 ? GS_ERR_INTERNAL : GS_OK;
}

const char *auth_role_name(enum auth_role role)
{
	switch (role) {
	case AUTH_ROLE_ADMIN: return "admin";
	case AUTH_ROLE_MANAGER: return "manager";
	case AUTH_ROLE_STATION: return "station";
	case AUTH_ROLE_NONE: break;
	}
	return "none";
}

enum gs_result auth_role_parse(const char *s, enum auth_role *out)
{
	static const enum auth_role roles[] = {AUTH_ROLE_ADMIN, AUTH_ROLE_MANAGER, AUTH_ROLE_STATION};
	for (size_t i = 0; s && i < GS_ARRAY_LEN(roles); i++) {
		if (strcmp(s, auth_role_name(roles[i])) == 0) {
			*out = roles[i];
			return GS_OK;
		}
	}
	return GS_ERR_INVALID;
}

static void auth_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void auth_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* 1..AUTH_LOGIN_MAX characters of [A-Za-z0-9._@-]; used for logins and token names. */
static int auth_valid_login(const char *s)
{
	if (!s)
		return 0;
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		         c == '_' || c == '@' || c == '-';
		if (!ok || n >= AUTH_LOGIN_MAX)
			return 0;
	}
	return n > 0;
}

static int auth_valid_password(const char *pw)
{
	if (!pw)
		return 0;
	size_t n = strnlen(pw, AUTH_PASSWORD_MAX + 1);
	return n >= AUTH_PASSWORD_MIN && n <= AUTH_PASSWORD_MAX;
}

static int auth_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* 1 if s is exactly AUTH_TOKEN_LEN base64url characters. Reads at most
 * AUTH_TOKEN_LEN + 1 bytes of s. */
static int auth_valid_token(const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < AUTH_TOKEN_LEN; i++)
		if (!auth_b64url_char(s[i]))
			return 0;
	return s[AUTH_TOKEN_LEN] == '\0';
}

static void auth_b64url(const unsigned char bin[32], char out[AUTH_TOKEN_LEN + 1])
{
	sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, bin, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_random_token(char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char bin[32];
	randombytes_buf(bin, sizeof bin);
	auth_b64url(bin, out);
	sodium_memzero(bin, sizeof bin);
}

static void auth_sha256(const char *s, unsigned char out[AUTH_HASH_LEN])
{
	crypto_hash_sha256(out, (const unsigned char *)s, strlen(s));
}

/* Copies a text column into dst (size n), "" for NULL; truncation cannot happen
 * for values this module wrote, as their lengths are validated. */
static void auth_copy_text(sqlite3_stmt *st, int col, char *dst, size_t n)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	snprintf(dst, n, "%s", s ? (const char *)s : "");
}

/* Fills *out from a row whose columns start at col: id, login, role, unit_id, unit code. */
static enum gs_result auth_user_from_row(sqlite3_stmt *st, int col, struct auth_user *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, col);
	auth_copy_text(st, col + 1, out->login, sizeof out->login);
	if (auth_role_parse((const char *)sqlite3_column_text(st, col + 2), &out->role) != GS_OK)
		return GS_ERR_INTERNAL;
	out->unit_id = sqlite3_column_int64(st, col + 3);
	auth_copy_text(st, col + 4, out->unit_code, sizeof out->unit_code);
	return GS_OK;
}

static enum gs_result auth_hash_password(const char *password, char hash[crypto_pwhash_STRBYTES])
{
	if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_error("auth: password hashing failed (out of memory?)");
		return GS_ERR_INTERNAL;
	}
	return GS_OK;
}

enum gs_result auth_audit(struct db *db, const char *actor, const char *action, const char *detail)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO audit_log(at, actor, action, detail) VALUES(?1, ?2, ?3, ?4)");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, util_now());
	sqlite3_bind_text(st, 2, actor ? actor : "system", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	if (detail)
		sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	enum gs_result r = rc == SQLITE_DONE ? GS_OK : db_fail(db, st, rc);
	sqlite3_reset(st);
	return r;
}

/* Looks a unit up by code: *id and *is_station. GS_ERR_NOT_FOUND if absent. */
static enum gs_result auth_unit_find(struct db *db, const char *code, int64_t *id, int *is_station)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, kind = 'station' FROM units WHERE code = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	enum gs_result r = row < 0 ? GS_ERR_DB : row == 0 ? GS_ERR_NOT_FOUND : GS_OK;
	if (row > 0) {
		*id = sqlite3_column_int64(st, 0);
		*is_station = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	return r;
}

/* 1 if the login exists, 0 if not, -1 on a database error. */
static int auth_login_exists(struct db *db, const char *login)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM users WHERE login = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	sqlite3_reset(st);
	return row;
}

/* The checks auth_user_add makes against the database: the login is free and the
 * unit (if any) fits the role. Run once before hashing, so a rejected request costs
 * no hash, and again inside the write transaction, where the answer holds. */
static enum gs_result auth_user_check(struct db *db, const char *login, enum auth_role role, const char *unit_code,
                                      int64_t *unit_id, char *err, size_t errlen)
{
	*unit_id = 0;
	int exists = auth_login_exists(db, login);
	if (exists != 0) {
		if (exists > 0)
			auth_err(err, errlen, "login: '%s' already exists", login);
		return exists < 0 ? GS_ERR_DB : GS_ERR_CONFLICT;
	}
	if (!unit_code)
		return GS_OK;
	int is_station = 0;
	enum gs_result r = auth_unit_find(db, unit_code, unit_id, &is_station);
	if (r == GS_ERR_NOT_FOUND) {
		auth_err(err, errlen, "--unit: no unit with code '%.64s'", unit_code);
		return GS_ERR_INVALID;
	}
	if (r == GS_OK && role == AUTH_ROLE_STATION && !is_station) {
		auth_err(err, errlen, "--unit: '%.64s' is not a supply station", unit_code);
		return GS_ERR_INVALID;
	}
	return r;
}

enum gs_result auth_user_add(struct db *db, const char *login, const char *password, enum auth_role role,
                             const char *unit_code, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES] = "";
	enum gs_result r;
	int in_tx = 0;
	int64_t unit_id = 0;
	if (unit_code && !*unit_code)
		unit_code = NULL;
	auth_err(err, errlen, "%s", "");

	if (!auth_valid_login(login)) {
		auth_err(err, errlen, "login: must be 1 to %d characters of A-Z a-z 0-9 . _ @ -", AUTH_LOGIN_MAX);
		return GS_ERR_INVALID;
	}
	if (role != AUTH_ROLE_ADMIN && role != AUTH_ROLE_MANAGER && role != AUTH_ROLE_STATION) {
		auth_err(err, errlen, "--role: must be admin, manager or station");
		return GS_ERR_INVALID;
	}
	if (role == AUTH_ROLE_STATION && !unit_code) {
		auth_err(err, errlen, "--unit: a station login needs the code of its supply station");
		return GS_ERR_INVALID;
	}
	if (!auth_valid_password(password)) {
		auth_err(err, errlen, "password: must be %d to %d bytes long", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return GS_ERR_INVALID;
	}
	r = auth_user_check(db, login, role, unit_code, &unit_id, err, errlen);
	if (r != GS_OK)
		goto out;
	/* Hash before taking the write lock: it is the slow part. */
	r = auth_hash_password(password, hash);
	if (r != GS_OK)
		goto out;

	r = db_begin(db);
	if (r != GS_OK)
		goto out;
	in_tx = 1;
	r = auth_user_check(db, login, role, unit_code, &unit_id, err, errlen);
	if (r != GS_OK)
		goto out;
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO users(login, password_hash, role, unit_id, created_at) "
	                               "VALUES(?1, ?2, ?3, ?4, ?5)");
	if (!st) {
		r = GS_ERR_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, auth_role_name(role), -1, SQLITE_STATIC);
	if (unit_id)
		sqlite3_bind_int64(st, 4, unit_id);
	sqlite3_bind_int64(st, 5, util_now());
	int rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? GS_OK : db_fail(db, NULL, rc); /* NULL: keep the hash out of the log */
	sqlite3_reset(st);
	if (r != GS_OK)
		goto out;
	char detail[AUTH_LOGIN_MAX + AUTH_CODE_MAX + 64];
	snprintf(detail, sizeof detail, "login=%s role=%s%s%.64s", login, auth_role_name(role),
	         unit_code ? " unit=" : "", unit_code ? unit_code : "");
	r = auth_audit(db, "system", "user.add", detail);
	if (r == GS_OK)
		r = db_commit(db);
out:
	if (r != GS_OK && in_tx)
		db_rollback(db);
	if (r != GS_OK && err && errlen && !err[0])
		auth_err(err, errlen, "cannot add login '%s': %s", login, gs_result_str(r));
	sodium_memzero(hash, sizeof hash);
	return r;
}

enum gs_result auth_user_set_password(struct db *db, const char *login, const char *password, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	enum gs_result r;
	int in_tx = 0;
	auth_err(err, errlen, "%s", "");

	if (!auth_valid_login(login)) {
		auth_err(err, errlen, "login: no such login");
		return GS_ERR_NOT_FOUND;
	}
	if (!auth_valid_password(password)) {
		auth_err(err, errlen, "password: must be %d to %d bytes long", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return GS_ERR_INVALID;
	}
	r = auth_hash_password(password, hash);
	if (r != GS_OK)
		return r;

	r = db_begin(db);
	if (r != GS_OK)
		goto out;
	in_tx = 1;
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM users WHERE login = ?1");
	if (!st) {
		r = GS_ERR_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	int64_t user_id = row > 0 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (row <= 0) {
		r = row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
		if (row == 0)
			auth_err(err, errlen, "login: no such login '%s'", login);
		goto out;
	}
	st = db_stmt(db, "UPDATE users SET password_hash = ?2 WHERE id = ?1");
	if (!st) {
		r = GS_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? GS_OK : db_fail(db, NULL, rc); /* NULL: keep the hash out of the log */
	sqlite3_reset(st);
	if (r != GS_OK)
		goto out;
	st = db_stmt(db, "DELETE FROM sessions WHERE user_id = ?1");
	if (!st) {
		r = GS_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, user_id);
	rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? GS_OK : db_fail(db, st, rc);
	sqlite3_reset(st);
	if (r != GS_OK)
		goto out;
	char detail[AUTH_LOGIN_MAX + 32];
	snprintf(detail, sizeof detail, "login=%s", login);
	r = auth_audit(db, "system", "user.password", detail);
	if (r == GS_OK)
		r = db_commit(db);
out:
	if (r != GS_OK && in_tx)
		db_rollback(db);
	if (r != GS_OK && err && errlen && !err[0])
		auth_err(err, errlen, "cannot set the password of '%s': %s", login, gs_result_str(r));
	sodium_memzero(hash, sizeof hash);
	return r;
}

/* Best effort: stores a hash made with the current parameters. A failure only means
 * the old hash stays, so it is logged and otherwise ignored. */
static void auth_rehash(struct db *db, int64_t user_id, const char *old_hash, const char *password)
{
	char hash[crypto_pwhash_STRBYTES];
	if (auth_hash_password(password, hash) != GS_OK)
		return;
	sqlite3_stmt *st = db_stmt(db, "UPDATE users SET password_hash = ?1 WHERE id = ?2 AND password_hash = ?3");
	if (st) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, user_id);
		sqlite3_bind_text(st, 3, old_hash, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			db_fail(db, NULL, rc); /* NULL: keep the hashes out of the log */
		sqlite3_reset(st);
	}
	sodium_memzero(hash, sizeof hash);
}

enum gs_result auth_password_check(struct db *db, const char *login, const char *password, struct auth_user *out)
{
	memset(out, 0, sizeof *out);
	/* Malformed input can never match a stored login: answering early leaks nothing. */
	if (!auth_valid_login(login) || !auth_valid_password(password))
		return GS_ERR_UNAUTHORIZED;

	sqlite3_stmt *st = db_stmt(db, "SELECT u.id, u.login, u.role, u.unit_id, n.code, u.active, u.password_hash "
	                               "FROM users u LEFT JOIN units n ON n.id = u.unit_id WHERE u.login = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	char stored[crypto_pwhash_STRBYTES] = "";
	struct auth_user user;
	enum gs_result r = GS_OK;
	int usable = 0;
	if (row > 0) {
		const char *h = (const char *)sqlite3_column_text(st, 6);
		usable = sqlite3_column_int(st, 5) == 1 && h && strlen(h) < sizeof stored;
		if (usable) {
			memcpy(stored, h, strlen(h) + 1);
			r = auth_user_from_row(st, 0, &user);
		}
	}
	sqlite3_reset(st);
	if (row < 0)
		return GS_ERR_DB;
	if (!usable || r != GS_OK) {
		auth_dummy_verify(password);
		return r != GS_OK ? r : GS_ERR_UNAUTHORIZED;
	}
	if (crypto_pwhash_str_verify(stored, password, strlen(password)) != 0)
		return GS_ERR_UNAUTHORIZED;
	if (crypto_pwhash_str_needs_rehash(stored, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                                   crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		auth_rehash(db, user.id, stored, password);
	*out = user;
	return GS_OK;
}

enum gs_result auth_session_create(struct db *db, int64_t user_id, char id_out[AUTH_TOKEN_LEN + 1])
{
	unsigned char hash[AUTH_HASH_LEN];
	auth_random_token(id_out);
	auth_sha256(id_out, hash);
	int64_t now = util_now();
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO sessions(id_hash, user_id, created_at, last_seen, expires_at) "
	                               "VALUES(?1, ?2, ?3, ?3, ?4)");
	enum gs_result r = GS_ERR_DB;
	if (st) {
		sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, user_id);
		sqlite3_bind_int64(st, 3, now);
		/* min(created + MAX, last_seen + IDLE) with created = last_seen = now */
		sqlite3_bind_int64(st, 4, now + AUTH_SESSION_IDLE_S);
		int rc = sqlite3_step(st);
		r = rc == SQLITE_DONE ? GS_OK : db_fail(db, st, rc);
		sqlite3_reset(st);
	}
	if (r != GS_OK)
		sodium_memzero(id_out, AUTH_TOKEN_LEN + 1);
	return r;
}

enum gs_result auth_session_lookup(struct db *db, const char *id, struct auth_user *out)
{
	memset(out, 0, sizeof *out);
	if (!auth_valid_token(id))
		return GS_ERR_UNAUTHORIZED;
	unsigned char hash[AUTH_HASH_LEN];
	auth_sha256(id, hash);
	int64_t now = util_now();

	sqlite3_stmt *st = db_stmt(db, "SELECT u.id, u.login, u.role, u.unit_id, n.code, u.active, s.created_at, "
	                               "s.last_seen, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
	                               "LEFT JOIN units n ON n.id = u.unit_id WHERE s.id_hash = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
	int row = db_step_row(db, st);
	enum gs_result r = row < 0 ? GS_ERR_DB : GS_ERR_UNAUTHORIZED;
	int64_t created = 0, last_seen = 0;
	if (row > 0) {
		int active = sqlite3_column_int(st, 5);
		created = sqlite3_column_int64(st, 6);
		last_seen = sqlite3_column_int64(st, 7);
		int64_t expires = sqlite3_column_int64(st, 8);
		if (active == 1 && now < expires && now < created + AUTH_SESSION_MAX_S)
			r = auth_user_from_row(st, 0, out);
	}
	sqlite3_reset(st);
	if (r != GS_OK) {
		memset(out, 0, sizeof *out);
		return r;
	}
	if (now - last_seen >= AUTH_TOUCH_INTERVAL_S) {
		int64_t expires = now + AUTH_SESSION_IDLE_S;
		if (expires > created + AUTH_SESSION_MAX_S)
			expires = created + AUTH_SESSION_MAX_S;
		st = db_stmt(db, "UPDATE sessions SET last_seen = ?2, expires_at = ?3 "
		                 "WHERE id_hash = ?1 AND last_seen < ?2");
		/* The session is valid either way: a failed extension is logged, not fatal. */
		if (st) {
			sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, now);
			sqlite3_bind_int64(st, 3, expires);
			int rc = sqlite3_step(st);
			if (rc != SQLITE_DONE)
				db_fail(db, st, rc);
			sqlite3_reset(st);
		}
	}
	return GS_OK;
}

enum gs_result auth_session_delete(struct db *db, const char *id)
{
	if (!auth_valid_token(id))
		return GS_OK;
	unsigned char hash[AUTH_HASH_LEN];
	auth_sha256(id, hash);
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM sessions WHERE id_hash = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	enum gs_result r = rc == SQLITE_DONE ? GS_OK : db_fail(db, st, rc);
	sqlite3_reset(st);
	return r;
}

enum gs_result auth_sessions_purge(struct db *db, int64_t *removed)
{
	if (removed)
		*removed = 0;
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM sessions WHERE expires_at <= ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, util_now());
	int rc = sqlite3_step(st);
	enum gs_result r = rc == SQLITE_DONE ? GS_OK : db_fail(db, st, rc);
	sqlite3_reset(st);
	if (r == GS_OK && removed)
		*removed = sqlite3_changes64(db_handle(db));
	return r;
}

/* 1 and key filled if the secret exists, 0 if not, -1 on error (GS_ERR_INTERNAL
 * through *r if the stored value is not 32 bytes). */
static int auth_server_key_read(struct db *db, const char *name, unsigned char key[32], enum gs_result *r)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT value FROM secrets WHERE name = ?1");
	if (!st) {
		*r = GS_ERR_DB;
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	*r = row < 0 ? GS_ERR_DB : GS_OK;
	if (row > 0) {
		if (sqlite3_column_bytes(st, 0) == 32 && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
			memcpy(key, sqlite3_column_blob(st, 0), 32);
		} else {
			log_error("auth: server key '%s' in the secrets table is not 32 bytes", name);
			*r = GS_ERR_INTERNAL;
			row = -1;
		}
	}
	sqlite3_reset(st);
	return row;
}

enum gs_result auth_server_key(struct db *db, const char *name, unsigned char key[32])
{
	enum gs_result r;
	if (!name || !*name || strlen(name) > AUTH_SECRET_NAME_MAX)
		return GS_ERR_INVALID;
	int found = auth_server_key_read(db, name, key, &r);
	if (found != 0)
		return r;

	/* Two threads or processes may get here at once: the first insert wins and both
	 * read back the winner. */
	unsigned char fresh[32];
	randombytes_buf(fresh, sizeof fresh);
	sqlite3_stmt *st = db_stmt(db, "INSERT OR IGNORE INTO secrets(name, value, created_at) VALUES(?1, ?2, ?3)");
	if (!st) {
		sodium_memzero(fresh, sizeof fresh);
		return GS_ERR_DB;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, fresh, sizeof fresh, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, util_now());
	int rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? GS_OK : db_fail(db, NULL, rc); /* NULL: keep the key out of the log */
	sqlite3_reset(st);
	sodium_memzero(fresh, sizeof fresh);
	if (r != GS_OK)
		return r;
	found = auth_server_key_read(db, name, key, &r);
	if (found == 0) {
		log_error("auth: server key '%s' vanished right after it was stored", name);
		return GS_ERR_INTERNAL;
	}
	return r;
}

void auth_csrf_token(const unsigned char key[32], const char *purpose, const char *binding,
                     char out[AUTH_TOKEN_LEN + 1])
{
	static const unsigned char sep = 0;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state state;
	if (!purpose)
		purpose = "";
	if (!binding)
		binding = "";
	crypto_auth_hmacsha256_init(&state, key, 32);
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)purpose, strlen(purpose));
	crypto_auth_hmacsha256_update(&state, &sep, 1);
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)binding, strlen(binding));
	crypto_auth_hmacsha256_final(&state, mac);
	auth_b64url(mac, out);
	sodium_memzero(&state, sizeof state);
}

int auth_csrf_check(const unsigned char key[32], const char *purpose, const char *binding, const char *token)
{
	/* A token bound to nothing would be valid for every visitor without a cookie. */
	if (!binding || !*binding || !auth_valid_token(token))
		return 0;
	char expected[AUTH_TOKEN_LEN + 1];
	auth_csrf_token(key, purpose, binding, expected);
	return sodium_memcmp(expected, token, AUTH_TOKEN_LEN) == 0;
}

/* 1 if s is "gst_" followed by a well-formed token. */
static int auth_valid_api_token(const char *s)
{
	size_t n = sizeof AUTH_API_TOKEN_PREFIX - 1;
	return s && strncmp(s, AUTH_API_TOKEN_PREFIX, n) == 0 && auth_valid_token(s + n);
}

/* 1 and *id if a hall has code, 0 if none, -1 on error. */
static int auth_hall_find(struct db *db, const char *code, int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM halls WHERE code = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row > 0)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return row;
}

enum gs_result auth_token_add(struct db *db, const char *name, const char *hall_code,
                              char token_out[AUTH_API_TOKEN_LEN + 1], char *err, size_t errlen)
{
	enum gs_result r;
	unsigned char hash[AUTH_HASH_LEN];
	int in_tx = 0;
	if (hall_code && !*hall_code)
		hall_code = NULL;
	token_out[0] = '\0';
	auth_err(err, errlen, "%s", "");

	if (!auth_valid_login(name)) {
		auth_err(err, errlen, "name: must be 1 to %d characters of A-Z a-z 0-9 . _ @ -", AUTH_LOGIN_MAX);
		return GS_ERR_INVALID;
	}
	r = db_begin(db);
	if (r != GS_OK)
		goto out;
	in_tx = 1;
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM api_tokens WHERE name = ?1");
	if (!st) {
		r = GS_ERR_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	sqlite3_reset(st);
	if (row != 0) {
		r = row < 0 ? GS_ERR_DB : GS_ERR_CONFLICT;
		if (row > 0)
			auth_err(err, errlen, "name: a token named '%s' already exists", name);
		goto out;
	}
	int64_t hall_id = 0;
	if (hall_code) {
		row = auth_hall_find(db, hall_code, &hall_id);
		if (row <= 0) {
			r = row < 0 ? GS_ERR_DB : GS_ERR_INVALID;
			if (row == 0)
				auth_err(err, errlen, "--hall: no hall with code '%.64s'", hall_code);
			goto out;
		}
	}
	memcpy(token_out, AUTH_API_TOKEN_PREFIX, sizeof AUTH_API_TOKEN_PREFIX - 1);
	auth_random_token(token_out + sizeof AUTH_API_TOKEN_PREFIX - 1);
	auth_sha256(token_out, hash);
	st = db_stmt(db, "INSERT INTO api_tokens(name, token_hash, hall_id, created_at) VALUES(?1, ?2, ?3, ?4)");
	if (!st) {
		r = GS_ERR_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, hash, sizeof hash, SQLITE_STATIC);
	if (hall_id)
		sqlite3_bind_int64(st, 3, hall_id);
	sqlite3_bind_int64(st, 4, util_now());
	int rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? GS_OK : db_fail(db, st, rc);
	sqlite3_reset(st);
	if (r != GS_OK)
		goto out;
	char detail[AUTH_LOGIN_MAX + AUTH_CODE_MAX + 32];
	snprintf(detail, sizeof detail, "name=%s%s%.64s", name, hall_code ? " hall=" : "", hall_code ? hall_code : "");
	r = auth_audit(db, "system", "token.add", detail);
	if (r == GS_OK)
		r = db_commit(db);
out:
	if (r != GS_OK) {
		if (in_tx)
			db_rollback(db);
		sodium_memzero(token_out, AUTH_API_TOKEN_LEN + 1);
		if (err && errlen && !err[0])
			auth_err(err, errlen, "cannot add token '%s': %s", name, gs_result_str(r));
	}
	return r;
}

enum gs_result auth_token_lookup(struct db *db, const char *token, struct auth_token *out)
{
	memset(out, 0, sizeof *out);
	if (!auth_valid_api_token(token))
		return GS_ERR_UNAUTHORIZED;
	unsigned char hash[AUTH_HASH_LEN];
	auth_sha256(token, hash);
	int64_t now = util_now();

	sqlite3_stmt *st =
	    db_stmt(db, "SELECT t.id, t.name, t.hall_id, h.code, t.last_used, t.revoked_at "
	                "FROM api_tokens t LEFT JOIN halls h ON h.id = t.hall_id WHERE t.token_hash = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
	int row = db_step_row(db, st);
	enum gs_result r = row < 0 ? GS_ERR_DB : GS_ERR_UNAUTHORIZED;
	int touch = 0;
	if (row > 0 && sqlite3_column_type(st, 5) == SQLITE_NULL) {
		out->id = sqlite3_column_int64(st, 0);
		auth_copy_text(st, 1, out->name, sizeof out->name);
		out->hall_id = sqlite3_column_int64(st, 2);
		auth_copy_text(st, 3, out->hall_code, sizeof out->hall_code);
		touch = sqlite3_column_type(st, 4) == SQLITE_NULL ||
		        now - sqlite3_column_int64(st, 4) >= AUTH_TOUCH_INTERVAL_S;
		r = GS_OK;
	}
	sqlite3_reset(st);
	if (r != GS_OK) {
		memset(out, 0, sizeof *out);
		return r;
	}
	if (touch) {
		st = db_stmt(db, "UPDATE api_tokens SET last_used = ?2 WHERE id = ?1");
		/* Bookkeeping only: the token is valid even if the stamp cannot be written. */
		if (st) {
			sqlite3_bind_int64(st, 1, out->id);
			sqlite3_bind_int64(st, 2, now);
			int rc = sqlite3_step(st);
			if (rc != SQLITE_DONE)
				db_fail(db, st, rc);
			sqlite3_reset(st);
		}
	}
	return GS_OK;
}

/* ---- Administration ------------------------------------------------------------------ */

enum gs_result auth_logins_list(struct db *db, struct auth_login_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT u.id, u.login, u.role, coalesce(un.code, ''), u.active, u.created_at "
				       "FROM users u LEFT JOIN units un ON un.id = u.unit_id ORDER BY u.login");
	if (!st)
		return GS_ERR_DB;
	size_t cap = 0;
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct auth_login_row *x = &(*out)[(*n)++];
		memset(x, 0, sizeof *x);
		x->id = sqlite3_column_int64(st, 0);
		auth_copy_text(st, 1, x->login, sizeof x->login);
		if (auth_role_parse((const char *)sqlite3_column_text(st, 2), &x->role) != GS_OK)
			x->role = AUTH_ROLE_NONE;
		auth_copy_text(st, 3, x->unit_code, sizeof x->unit_code);
		x->active = sqlite3_column_int(st, 4);
		x->created_at = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

enum gs_result auth_user_set_active(struct db *db, const char *login, int active)
{
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st = db_stmt(db, "UPDATE users SET active = ?2 WHERE login = ?1");
	if (!st) {
		r = GS_ERR_DB;
		goto out;
	}
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, active ? 1 : 0);
	if ((r = db_step_done(db, st)) != GS_OK)
		goto out;
	if (sqlite3_changes(db_handle(db)) == 0) {
		r = GS_ERR_NOT_FOUND;
		goto out;
	}
	if (!active) {
		st = db_stmt(db, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE login = ?1)");
		if (!st) {
			r = GS_ERR_DB;
			goto out;
		}
		sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
		r = db_step_done(db, st);
	}
out:
	if (r == GS_OK)
		r = db_commit(db);
	else
		db_rollback(db);
	return r;
}

enum gs_result auth_tokens_list(struct db *db, struct auth_token_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT t.id, t.name, coalesce(h.code, ''), t.created_at, coalesce(t.last_used, 0), "
				       "coalesce(t.revoked_at, 0) FROM api_tokens t LEFT JOIN halls h ON h.id = t.hall_id "
				       "ORDER BY t.id DESC");
	if (!st)
		return GS_ERR_DB;
	size_t cap = 0;
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct auth_token_row *x = &(*out)[(*n)++];
		memset(x, 0, sizeof *x);
		x->id = sqlite3_column_int64(st, 0);
		auth_copy_text(st, 1, x->name, sizeof x->name);
		auth_copy_text(st, 2, x->hall_code, sizeof x->hall_code);
		x->created_at = sqlite3_column_int64(st, 3);
		x->last_used = sqlite3_column_int64(st, 4);
		x->revoked_at = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

enum gs_result auth_token_revoke(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	int row = db_step_row(db, st);
	int revoked = row > 0 ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	if (row <= 0)
		return row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
	if (revoked)
		return GS_ERR_CONFLICT;
	st = db_stmt(db, "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, util_now());
	return db_step_done(db, st);
}

enum gs_result auth_user_get(struct db *db, const char *login, struct auth_user *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(db, "SELECT s.id, s.role, coalesce(s.unit_id, 0), coalesce(n.code, '') FROM users s "
				       "LEFT JOIN units n ON n.id = s.unit_id WHERE s.login = ?1 AND s.active = 1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	int rc = db_step_row(db, st);
	enum gs_result r = rc < 0 ? GS_ERR_DB : rc == 0 ? GS_ERR_NOT_FOUND : GS_OK;
	if (r == GS_OK) {
		out->id = sqlite3_column_int64(st, 0);
		snprintf(out->login, sizeof out->login, "%s", login);
		auth_role_parse((const char *)sqlite3_column_text(st, 1), &out->role);
		out->unit_id = sqlite3_column_int64(st, 2);
		snprintf(out->unit_code, sizeof out->unit_code, "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	return r;
}
