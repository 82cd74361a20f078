/* auth.h — accounts and credentials: logins with roles, password hashing (Argon2id
 * via libsodium), sessions, CSRF tokens, API tokens and server keys. Knows nothing
 * of HTTP: the HTTP layer passes cookie and header values in. */
#ifndef GS_AUTH_H
#define GS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "gs.h"

enum auth_role { AUTH_ROLE_NONE = 0, AUTH_ROLE_STATION = 1, AUTH_ROLE_MANAGER = 2, AUTH_ROLE_ADMIN = 3 };

#define AUTH_CODE_MAX 64
#define AUTH_LOGIN_MAX 64
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 256
/* Session ids, CSRF tokens and API tokens are 32 random bytes (or a 32-byte MAC) in
 * unpadded base64url: 43 characters. */
#define AUTH_TOKEN_LEN 43

struct auth_user {
	int64_t id;
	char login[AUTH_LOGIN_MAX + 1];
	enum auth_role role;
	int64_t unit_id;                  /* station users: their station; else 0 */
	char unit_code[AUTH_CODE_MAX + 1]; /* "" when unit_id is 0 */
};

struct auth_token {
	int64_t id;
	char name[AUTH_LOGIN_MAX + 1];
	int64_t hall_id;                   /* 0 when the token is not tied to a hall */
	char hall_code[AUTH_CODE_MAX + 1];
};

/* Must be called once before any other auth_ function (initialises libsodium). */
enum gs_result auth_init(void);

const char *auth_role_name(enum auth_role role); /* "admin", "manager", "station", "none" */
enum gs_result auth_role_parse(const char *s, enum auth_role *out); /* GS_ERR_INVALID if unknown */

/* Creates a login. Station users need unit_code naming a unit of kind station; other
 * roles ignore unit_code unless given, in which case it must exist. The password must
 * be AUTH_PASSWORD_MIN..AUTH_PASSWORD_MAX bytes. GS_ERR_CONFLICT if the login exists,
 * GS_ERR_INVALID (with err saying which field) otherwise rejected. */
enum gs_result auth_user_add(struct db *db, const char *login, const char *password, enum auth_role role,
			     const char *unit_code, char *err, size_t errlen);

/* Replaces a login's password and ends all of its sessions. GS_ERR_NOT_FOUND if no such login. */
enum gs_result auth_user_set_password(struct db *db, const char *login, const char *password, char *err,
				      size_t errlen);

/* Checks a login and password. GS_ERR_UNAUTHORIZED for an unknown login, an inactive
 * one or a wrong password (the three are indistinguishable, and take the same time). */
enum gs_result auth_password_check(struct db *db, const char *login, const char *password, struct auth_user *out);

/* Sessions: a fresh 256-bit id (written to id_out, NUL-terminated) for user_id, valid
 * for AUTH_SESSION_IDLE_S since last use and AUTH_SESSION_MAX_S in total. Only the
 * id's SHA-256 is stored. */
#define AUTH_SESSION_IDLE_S (8 * 3600)
#define AUTH_SESSION_MAX_S (7 * 24 * 3600)
enum gs_result auth_session_create(struct db *db, int64_t user_id, char id_out[AUTH_TOKEN_LEN + 1]);
/* Looks a session id up: GS_OK with *out filled, or GS_ERR_UNAUTHORIZED if unknown,
 * expired or the user is inactive. Extends the idle expiry at most once a minute. */
enum gs_result auth_session_lookup(struct db *db, const char *id, struct auth_user *out);
enum gs_result auth_session_delete(struct db *db, const char *id); /* unknown id: GS_OK */
/* Deletes expired sessions; returns how many through *removed (may be NULL). */
enum gs_result auth_sessions_purge(struct db *db, int64_t *removed);

/* A 32-byte server key by name ("csrf", "survey"...), created with random bytes on
 * first use and kept in the secrets table. */
enum gs_result auth_server_key(struct db *db, const char *name, unsigned char key[32]);

/* CSRF tokens: HMAC-SHA256(key, purpose || 0 || binding) in base64url, where binding is
 * the session id (or, before login, the pre-login cookie value). auth_csrf_check is
 * constant-time and returns 1 if token matches; it returns 0 for an empty or NULL
 * binding (no cookie yet) and for a token that is not 43 base64url characters. */
void auth_csrf_token(const unsigned char key[32], const char *purpose, const char *binding,
		     char out[AUTH_TOKEN_LEN + 1]);
int auth_csrf_check(const unsigned char key[32], const char *purpose, const char *binding, const char *token);

/* 32 random bytes in base64url (session ids, pre-login cookies, tokens). */
void auth_random_token(char out[AUTH_TOKEN_LEN + 1]);

/* API tokens. auth_token_add creates one named name (unique), optionally tied to a
 * hall, and writes the secret to token_out: the only time it is ever shown.
 * The stored form is "gst_" + 43 chars; token_out needs AUTH_API_TOKEN_LEN + 1 bytes. */
#define AUTH_API_TOKEN_LEN (4 + AUTH_TOKEN_LEN)
enum gs_result auth_token_add(struct db *db, const char *name, const char *hall_code,
			      char token_out[AUTH_API_TOKEN_LEN + 1], char *err, size_t errlen);
/* GS_ERR_UNAUTHORIZED if unknown or revoked. Records last use (at most once a minute). */
enum gs_result auth_token_lookup(struct db *db, const char *token, struct auth_token *out);

/* ---- Administration (the admin pages). */

/* One login as the admin page lists it. */
struct auth_login_row {
	int64_t id;
	char login[AUTH_LOGIN_MAX + 1];
	enum auth_role role;
	char unit_code[AUTH_CODE_MAX + 1]; /* "" when none */
	int active;
	int64_t created_at;
};
/* Every login, by login. Caller frees *out. */
enum gs_result auth_logins_list(struct db *db, struct auth_login_row **out, size_t *n);
/* Enables or disables a login; disabling ends its sessions. GS_ERR_NOT_FOUND if none. */
enum gs_result auth_user_set_active(struct db *db, const char *login, int active);

struct auth_token_row {
	int64_t id;
	char name[AUTH_LOGIN_MAX + 1];
	char hall_code[AUTH_CODE_MAX + 1]; /* "" when not tied to a hall */
	int64_t created_at, last_used, revoked_at; /* 0 when never / not */
};
/* Every API token (never its secret), newest first. Caller frees *out. */
enum gs_result auth_tokens_list(struct db *db, struct auth_token_row **out, size_t *n);
/* Revokes a token by id: GS_ERR_NOT_FOUND if none, GS_ERR_CONFLICT if already revoked. */
enum gs_result auth_token_revoke(struct db *db, int64_t id);

/* Appends a line to the audit log (actor: a login, "cli" or "system"). */
/* The active login named login, as the domain functions see a caller (for the CLI's
 * --as): GS_ERR_NOT_FOUND when there is no active login of that name. */
enum gs_result auth_user_get(struct db *db, const char *login, struct auth_user *out);

enum gs_result auth_audit(struct db *db, const char *actor, const char *action, const char *detail);

#endif
