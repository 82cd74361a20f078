/* main.c — the gridscore command line: parses the verb and its options and calls the
 * same domain functions the HTTP handlers use. Exit status: 0 success, 1 the input was
 * rejected or the operation failed, 2 usage error. */
#define _GNU_SOURCE
#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "demo.h"
#include "http.h"
#include "org.h"
#include "util.h"
#include "web.h"

#define EXIT_REJECTED 1
#define EXIT_USAGE 2
#define DEFAULT_DB "./data/gridscore.db"

static const char usage_text[] =
	"usage: gridscore [--db PATH] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  init [--demo]                       create or migrate the database; --demo loads the demo county\n"
	"  serve [--listen ADDR:PORT] [--base-url URL] [--threads N]\n"
	"        [--max-connections N] [--timeout SECONDS]\n"
	"                                      run the web service (default 127.0.0.1:8080)\n"
	"  org load FILE.xml                   create or update units, halls, people and leader links\n"
	"  user add LOGIN --role admin|manager|station [--unit CODE]\n"
	"                                      create a login; the password is read from standard input\n"
	"  token add NAME [--hall CODE]        create an API token (printed once)\n"
	"  backup FILE                         consistent online copy of the database\n"
	"\n"
	"--db PATH defaults to " DEFAULT_DB " (created with its folder by init).\n";

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "gridscore: %s\n\n", msg);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* Options are "--name value" or "--name=value", anywhere after the verb. */
struct args {
	int argc;
	char **argv;
	int used[64];
};

static const char *opt_value(struct args *a, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < a->argc; i++) {
		if (strncmp(a->argv[i], name, n) != 0)
			continue;
		if (a->argv[i][n] == '=') {
			a->used[i] = 1;
			return a->argv[i] + n + 1;
		}
		if (a->argv[i][n] == '\0' && i + 1 < a->argc) {
			a->used[i] = a->used[i + 1] = 1;
			return a->argv[i + 1];
		}
	}
	return NULL;
}

static int opt_flag(struct args *a, const char *name)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], name) == 0) {
			a->used[i] = 1;
			return 1;
		}
	return 0;
}

/* The i-th argument that is not an option (or an option's value). */
static const char *positional(struct args *a, int want)
{
	for (int i = 0, k = 0; i < a->argc; i++) {
		if (a->used[i])
			continue;
		if (a->argv[i][0] == '-' && a->argv[i][1] == '-')
			continue;
		if (k++ == want)
			return a->argv[i];
	}
	return NULL;
}

/* Any argument left that no one consumed is a usage error. */
static const char *leftover(struct args *a, int n_positional)
{
	for (int i = 0, k = 0; i < a->argc; i++) {
		if (a->used[i])
			continue;
		if (a->argv[i][0] == '-' && a->argv[i][1] == '-')
			return a->argv[i];
		if (k++ >= n_positional)
			return a->argv[i];
	}
	return NULL;
}

static int open_db(const char *path, int flags, struct db **db)
{
	char err[512];
	if (db_open(path, flags, db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "gridscore: %s\n", err);
		return EXIT_REJECTED;
	}
	return 0;
}

static int cmd_init(const char *db_path, struct args *a)
{
	int demo = opt_flag(a, "--demo");
	const char *extra = leftover(a, 0);
	if (extra)
		return usage("init: unexpected argument");
	struct db *db = NULL;
	char err[512];
	if (db_open(db_path, DB_CREATE, &db, err, sizeof err) != GS_OK) {
		/* An older schema is fine here: migrating it is what init is for. */
		if (db_open(db_path, DB_CREATE | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
			fprintf(stderr, "gridscore: %s\n", err);
			return EXIT_REJECTED;
		}
		printf("%s: migrated to schema version %d\n", db_path, db_schema_version(db));
	} else {
		printf("%s: schema version %d is current\n", db_path, db_schema_version(db));
	}
	unsigned char key[32];
	int rc = 0;
	if (auth_server_key(db, "csrf", key) != GS_OK)
		rc = EXIT_REJECTED;
	if (rc == 0 && demo && demo_load(db, stdout) != GS_OK)
		rc = EXIT_REJECTED;
	db_close(db);
	return rc;
}

static volatile sig_atomic_t stop_signal;

static int cmd_serve(const char *db_path, struct args *a)
{
	struct http_config cfg = {0};
	cfg.listen = opt_value(a, "--listen");
	cfg.base_url = opt_value(a, "--base-url");
	const char *threads = opt_value(a, "--threads");
	const char *maxconn = opt_value(a, "--max-connections");
	const char *timeout = opt_value(a, "--timeout");
	if (leftover(a, 0))
		return usage("serve: unexpected argument");
	if (!cfg.listen)
		cfg.listen = "127.0.0.1:8080";
	cfg.db_path = db_path;
	cfg.threads = threads ? (unsigned)strtoul(threads, NULL, 10) : 4;
	cfg.max_connections = maxconn ? (unsigned)strtoul(maxconn, NULL, 10) : 1024;
	cfg.timeout_s = timeout ? (unsigned)strtoul(timeout, NULL, 10) : 30;
	if (cfg.threads < 1 || cfg.threads > 64)
		return usage("serve: --threads must be 1..64");
	if (cfg.max_connections < 1)
		return usage("serve: --max-connections must be at least 1");

	/* Block the stop signals in every thread; the main thread waits for them below. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	size_t n_routes;
	const struct http_route *routes = web_routes(&n_routes);
	struct http_server *server = NULL;
	char err[512];
	if (http_server_start(&cfg, routes, n_routes, &server, err, sizeof err) != GS_OK) {
		fprintf(stderr, "gridscore: %s\n", err);
		return EXIT_REJECTED;
	}
	log_info("gridscore %s serving %s on port %u (database %s, %u threads)", GS_VERSION, cfg.listen,
		 http_server_port(server), db_path, cfg.threads);
	printf("listening on port %u\n", http_server_port(server));
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: finishing in-flight requests and stopping", sig);
	http_server_stop(server);
	log_info("stopped");
	return 0;
}

static int cmd_org(const char *db_path, struct args *a)
{
	const char *sub = positional(a, 0), *file = positional(a, 1);
	if (!sub || strcmp(sub, "load") != 0 || !file || leftover(a, 2))
		return usage("usage: gridscore org load FILE.xml");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = org_load_file(db, file, rep);
	org_report_print(rep, file, r == GS_OK ? stdout : stderr);
	if (r != GS_OK && rep->n_errors == 0)
		fprintf(stderr, "gridscore: %s: %s\n", file, gs_result_str(r));
	if (r == GS_OK)
		auth_audit(db, "cli", "org load", file);
	free(rep);
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

/* Reads one line (the password) from stdin, without its newline. */
static int read_password(char *out, size_t len)
{
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password: ");
	if (!fgets(out, (int)len, stdin))
		return 0;
	size_t n = strlen(out);
	if (n == len - 1 && out[n - 1] != '\n')
		return 0; /* longer than we accept */
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 1;
}

static int cmd_user(const char *db_path, struct args *a)
{
	const char *role_s = opt_value(a, "--role"), *unit = opt_value(a, "--unit");
	const char *sub = positional(a, 0), *login = positional(a, 1);
	if (!sub || strcmp(sub, "add") != 0 || !login || !role_s || leftover(a, 2))
		return usage("usage: gridscore user add LOGIN --role admin|manager|station [--unit CODE]");
	enum auth_role role;
	if (auth_role_parse(role_s, &role) != GS_OK)
		return usage("--role must be admin, manager or station");
	char password[AUTH_PASSWORD_MAX + 2];
	if (!read_password(password, sizeof password)) {
		fprintf(stderr, "gridscore: no password on standard input (or longer than %d bytes)\n",
			AUTH_PASSWORD_MAX);
		return EXIT_REJECTED;
	}
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	char err[256] = "";
	enum gs_result r = auth_user_add(db, login, password, role, unit, err, sizeof err);
	memset(password, 0, sizeof password);
	if (r == GS_OK)
		printf("created login %s (%s%s%s)\n", login, role_s, unit ? ", " : "", unit ? unit : "");
	else
		fprintf(stderr, "gridscore: user add %s: %s\n", login, err[0] ? err : gs_result_str(r));
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

static int cmd_token(const char *db_path, struct args *a)
{
	const char *hall = opt_value(a, "--hall");
	const char *sub = positional(a, 0), *name = positional(a, 1);
	if (!sub || strcmp(sub, "add") != 0 || !name || leftover(a, 2))
		return usage("usage: gridscore token add NAME [--hall CODE]");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	char token[AUTH_API_TOKEN_LEN + 1], err[256] = "";
	enum gs_result r = auth_token_add(db, name, hall, token, err, sizeof err);
	if (r == GS_OK) {
		printf("%s\n", token);
		fprintf(stderr, "token '%s' created; it is shown only this once\n", name);
	} else {
		fprintf(stderr, "gridscore: token add %s: %s\n", name, err[0] ? err : gs_result_str(r));
	}
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

static int cmd_backup(const char *db_path, struct args *a)
{
	const char *file = positional(a, 0);
	if (!file || leftover(a, 1))
		return usage("usage: gridscore backup FILE");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	char err[512] = "";
	enum gs_result r = db_backup(db, file, err, sizeof err);
	if (r == GS_OK)
		printf("backup written to %s\n", file);
	else
		fprintf(stderr, "gridscore: %s\n", err);
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

int main(int argc, char **argv)
{
	const char *db_path = getenv("GRIDSCORE_DB") ? getenv("GRIDSCORE_DB") : DEFAULT_DB;
	int i = 1;
	/* Global options before the verb. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db_path = argv[++i];
		else if (strncmp(argv[i], "--db=", 5) == 0)
			db_path = argv[i] + 5;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return fputs(usage_text, stdout), 0;
		else if (strcmp(argv[i], "--version") == 0)
			return printf("gridscore %s\n", GS_VERSION), 0;
		else
			return usage("unknown option before the command");
	}
	if (i >= argc)
		return usage(NULL);
	const char *verb = argv[i++];
	struct args a = {.argc = argc - i, .argv = argv + i};
	if (a.argc > (int)GS_ARRAY_LEN(a.used))
		return usage("too many arguments");
	/* --db is also accepted after the verb. */
	const char *db_opt = opt_value(&a, "--db");
	if (db_opt)
		db_path = db_opt;

	xmlInitParser();
	if (auth_init() != GS_OK) {
		fprintf(stderr, "gridscore: cannot initialise the crypto library\n");
		return EXIT_REJECTED;
	}
	int rc;
	if (strcmp(verb, "init") == 0)
		rc = cmd_init(db_path, &a);
	else if (strcmp(verb, "serve") == 0)
		rc = cmd_serve(db_path, &a);
	else if (strcmp(verb, "org") == 0)
		rc = cmd_org(db_path, &a);
	else if (strcmp(verb, "user") == 0)
		rc = cmd_user(db_path, &a);
	else if (strcmp(verb, "token") == 0)
		rc = cmd_token(db_path, &a);
	else if (strcmp(verb, "backup") == 0)
		rc = cmd_backup(db_path, &a);
	else if (strcmp(verb, "help") == 0)
		rc = (fputs(usage_text, stdout), 0);
	else
		rc = usage("unknown command");
	xmlCleanupParser();
	return rc;
}
