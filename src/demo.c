/* demo.c — loads the demo county through the same org loader and account functions
 * the CLI uses, and creates one login per role (and per supply station). Passwords
 * are random at every run, printed once, never stored in the repository. */
#include "demo.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "org.h"
#include "util.h"

#define DEMO_ORG "src/demo/county-org.xml"

/* Creates the login, or resets its password if it exists; prints it. */
static enum gs_result demo_login(struct db *db, FILE *out, const char *login, enum auth_role role,
				 const char *unit_code, const char *what)
{
	char token[AUTH_TOKEN_LEN + 1], password[17], err[256];
	auth_random_token(token);
	memcpy(password, token, 16);
	password[16] = '\0';
	enum gs_result r = auth_user_add(db, login, password, role, unit_code, err, sizeof err);
	if (r == GS_ERR_CONFLICT)
		r = auth_user_set_password(db, login, password, err, sizeof err);
	if (r != GS_OK) {
		fprintf(stderr, "gridscore: demo login %s: %s\n", login, err);
		return r;
	}
	fprintf(out, "  %-16s %-18s %s\n", login, password, what);
	return GS_OK;
}

enum gs_result demo_load(struct db *db, FILE *out)
{
	const struct embed_file *f = embed_find(DEMO_ORG);
	if (!f) {
		fprintf(stderr, "gridscore: the demo county is missing from this build\n");
		return GS_ERR_INTERNAL;
	}
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = org_load_memory(db, "demo county", (const char *)f->data, f->len, rep);
	org_report_print(rep, "demo county", out);
	free(rep);
	if (r != GS_OK)
		return r;

	struct org_unit *units = NULL;
	size_t n = 0;
	r = org_units_list(db, 0, &units, &n);
	if (r != GS_OK)
		return r;
	fprintf(out, "demo logins (login, password, scope):\n");
	r = demo_login(db, out, "admin", AUTH_ROLE_ADMIN, NULL, "administrator");
	if (r == GS_OK)
		r = demo_login(db, out, "manager", AUTH_ROLE_MANAGER, NULL, "manager, reads everything");
	for (size_t i = 0; i < n && r == GS_OK; i++) {
		if (strcmp(units[i].kind, "station") != 0)
			continue;
		char login[AUTH_LOGIN_MAX + 1], what[256];
		/* QH-S01 → station-s01 */
		const char *tail = strrchr(units[i].code, '-');
		snprintf(login, sizeof login, "station-%s", tail ? tail + 1 : units[i].code);
		for (char *p = login; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		snprintf(what, sizeof what, "station user, %s (%s)", units[i].name, units[i].code);
		r = demo_login(db, out, login, AUTH_ROLE_STATION, units[i].code, what);
	}
	org_units_free(units, n);
	return r;
}
