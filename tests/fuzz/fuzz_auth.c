/* fuzz_auth.c — libFuzzer target for the credential strings a client controls, as
 * src/auth.c receives them from src/http.c: the gs_session cookie value, the token after
 * "Authorization: Bearer ", and a CSRF token with its binding (cookie value). Each is
 * checked against an in-memory database holding one real session and one real token;
 * nothing the fuzzer makes may authenticate, and the real ones still must. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct db *db;
static char session[AUTH_TOKEN_LEN + 1], token[AUTH_API_TOKEN_LEN + 1];
static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_set_level(LOG_ERROR);
	char err[256];
	if (auth_init() != GS_OK || db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, err, sizeof err) != GS_OK)
		abort();
	if (auth_user_add(db, "admin", "fuzz-password-1", AUTH_ROLE_ADMIN, NULL, err, sizeof err) != GS_OK)
		abort();
	struct auth_user u;
	if (auth_password_check(db, "admin", "fuzz-password-1", &u) != GS_OK ||
	    auth_session_create(db, u.id, session) != GS_OK)
		abort();
	if (auth_token_add(db, "fuzz", NULL, token, err, sizeof err) != GS_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The value as a C string, the way header and cookie values arrive (up to a NUL). */
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	int real_session = strcmp(s, session) == 0, real_token = strcmp(s, token) == 0;

	struct auth_user u;
	enum gs_result r = auth_session_lookup(db, s, &u);
	if ((r == GS_OK) != real_session || (r != GS_OK && r != GS_ERR_UNAUTHORIZED))
		abort();
	struct auth_token t;
	r = auth_token_lookup(db, s, &t);
	if ((r == GS_OK) != real_token || (r != GS_OK && r != GS_ERR_UNAUTHORIZED))
		abort();

	/* CSRF: the input split at its first ';' into binding (cookie) and token. */
	char *semi = strchr(s, ';');
	const char *binding = s, *tok = semi ? semi + 1 : "";
	if (semi)
		*semi = '\0';
	char want[AUTH_TOKEN_LEN + 1];
	auth_csrf_token(key, "session", binding, want);
	int ok = auth_csrf_check(key, "session", binding, tok);
	if (ok != (binding[0] && strcmp(tok, want) == 0))
		abort();
	if (binding[0] && !auth_csrf_check(key, "session", binding, want))
		abort();
	if (auth_csrf_check(key, "session", binding, NULL))
		abort();
	free(s);

	/* The real credentials keep working whatever was tried. */
	if (auth_session_lookup(db, session, &u) != GS_OK || auth_token_lookup(db, token, &t) != GS_OK)
		abort();
	return 0;
}
