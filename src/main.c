/* main.c — the gridscore command line: parses the verb and its options and calls the
 * same domain functions the HTTP handlers use. Exit status: 0 success, 1 the input was
 * rejected or the operation failed, 2 usage error. */
#define _GNU_SOURCE
#include <libxml/parser.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "demo.h"
#include "http.h"
#include "indicator.h"
#include "meter.h"
#include "org.h"
#include "qr.h"
#include "scoring.h"
#include "settings.h"
#include "survey.h"
#include "util.h"
#include "view_score.h"
#include "web.h"
#include "xform.h"

#define EXIT_REJECTED 1
#define EXIT_USAGE 2
#define DEFAULT_DB "./data/gridscore.db"

static const char usage_text[] =
	"usage: gridscore [--db PATH] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  init [--demo]                       create or migrate the database; --demo loads the demo county\n"
	"  serve [--listen ADDR:PORT] [--base-url URL] [--threads N]\n"
	"        [--max-connections N] [--max-inflight N] [--max-per-ip N] [--timeout SECONDS]\n"
	"        [--form FILE.xml] [--trusted-proxy ADDR] [--hall-rate N] [--client-rate N]\n"
	"        [--max-upload BYTES] [--upload-dir DIR]\n"
	"                                      run the web service (default 127.0.0.1:8080; uploads up to\n"
	"                                      1 GiB, spooled in $TMPDIR; BYTES may end in K, M or G;\n"
	"                                      beyond 1024 connections or 256 requests in flight a\n"
	"                                      request gets a quick 503 with Retry-After)\n"
	"  org load FILE.xml                   create or update units, halls, people and leader links\n"
	"  user add LOGIN --role admin|manager|station [--unit CODE]\n"
	"                                      create a login; the password is read from standard input\n"
	"  token add NAME [--hall CODE]        create an API token (printed once)\n"
	"  import FILE... [--dry-run] [--as LOGIN] [--station CODE]\n"
	"                                      import meter rollout files (native or IEC 61968-9), each\n"
	"                                      all or nothing; --dry-run checks only; --as imports as that\n"
	"                                      login (a station login: its own station's files only);\n"
	"                                      --station: the station of IEC files from an unmapped source\n"
	"  source map SOURCE STATION           IEC messages whose Header/Source is SOURCE belong to STATION\n"
	"  form check FILE.xml                 can this survey form be served? (exit 0) or where it is not\n"
	"  qr HALL [--format svg|png] [--base-url URL]\n"
	"                                      the hall's survey QR code on standard output\n"
	"  ticket HALL [--base-url URL]        a single-use survey URL for one served customer\n"
	"  hall rotate-key HALL                revoke the hall's printed QR codes (new key version)\n"
	"  backup FILE                         consistent online copy of the database\n"
	"  indicators load FILE.xml            load the indicator catalog (all or nothing)\n"
	"  report [--period 2026Q3|2026] [--unit CODE] [--format csv|json|html] [--due]\n"
	"                                      the period's scores (default: the current quarter; a closed\n"
	"                                      period from its snapshot); --due: milestones overdue or due\n"
	"                                      within 7 days, per responsible person and unit\n"
	"  period close PERIOD [--as LOGIN]    compute and close a period (admin or manager; default: cli)\n"
	"  period reopen PERIOD --reason TEXT --as LOGIN\n"
	"                                      reopen a closed period (admin), recorded with the reason\n"
	"  milestone done|reopen ID [--as LOGIN]\n"
	"                                      mark a milestone done, or open again (ids: report --due)\n"
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


/* The public URL prefix: --base-url, else what serve last used, else the default listen address. */
static char *base_url_for(struct db *db, const char *opt)
{
	if (opt)
		return xstrndup(opt, strlen(opt) - (strlen(opt) && opt[strlen(opt) - 1] == '/'));
	sqlite3_stmt *st = db_stmt(db, "SELECT value FROM settings WHERE name = 'base_url'");
	char *v = NULL;
	if (st && db_step_row(db, st) > 0)
		v = db_column_strdup(st, 0);
	if (st)
		sqlite3_reset(st);
	return v ? v : xstrdup("http://127.0.0.1:8080");
}

/* "1048576", "512K", "100M", "1G" → bytes; -1 if not a positive size. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end || n == 0 || n > (UINT64_MAX >> 30))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}

static int cmd_serve(const char *db_path, struct args *a)
{
	struct http_config cfg = {0};
	cfg.listen = opt_value(a, "--listen");
	cfg.base_url = opt_value(a, "--base-url");
	const char *threads = opt_value(a, "--threads");
	const char *maxconn = opt_value(a, "--max-connections");
	const char *timeout = opt_value(a, "--timeout");
	const char *maxinflight = opt_value(a, "--max-inflight"), *maxperip = opt_value(a, "--max-per-ip");
	const char *max_upload = opt_value(a, "--max-upload");
	cfg.upload_dir = opt_value(a, "--upload-dir");
	struct web_options wopt = {0};
	wopt.form_path = opt_value(a, "--form");
	wopt.trusted_proxy = opt_value(a, "--trusted-proxy");
	const char *hall_rate = opt_value(a, "--hall-rate"), *client_rate = opt_value(a, "--client-rate");
	wopt.hall_per_minute = hall_rate ? (unsigned)strtoul(hall_rate, NULL, 10) : 0;
	wopt.client_per_hour = client_rate ? (unsigned)strtoul(client_rate, NULL, 10) : 0;
	if (leftover(a, 0))
		return usage("serve: unexpected argument");
	if (!cfg.listen)
		cfg.listen = "127.0.0.1:8080";
	cfg.db_path = db_path;
	cfg.threads = threads ? (unsigned)strtoul(threads, NULL, 10) : 8;
	cfg.max_connections = maxconn ? (unsigned)strtoul(maxconn, NULL, 10) : 1024;
	cfg.timeout_s = timeout ? (unsigned)strtoul(timeout, NULL, 10) : 30;
	if (cfg.threads < 1 || cfg.threads > 64)
		return usage("serve: --threads must be 1..64");
	if (cfg.max_connections < 1)
		return usage("serve: --max-connections must be at least 1");
	cfg.max_inflight = maxinflight ? (unsigned)strtoul(maxinflight, NULL, 10) : 256;
	cfg.max_per_ip = maxperip ? (unsigned)strtoul(maxperip, NULL, 10) : 512;
	if (cfg.max_inflight < 1 || cfg.max_inflight > 1000000)
		return usage("serve: --max-inflight must be 1..1000000");
	if (cfg.max_per_ip < 1 || cfg.max_per_ip > 1000000)
		return usage("serve: --max-per-ip must be 1..1000000");
	if (max_upload && parse_size(max_upload, &cfg.max_upload) != 0)
		return usage("serve: --max-upload must be a number of bytes (1 or more; K, M or G may follow)");
	if (cfg.upload_dir && access(cfg.upload_dir, W_OK | X_OK) != 0) {
		fprintf(stderr, "gridscore: --upload-dir %s: not a writable folder\n", cfg.upload_dir);
		return EXIT_REJECTED;
	}

	/* Block the stop signals in every thread; the main thread waits for them below. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The survey form is checked before anything listens: a bad form stops the start. */
	char err[512];
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct web_app *app = NULL;
	enum gs_result r = web_app_new(db, &wopt, &app, err, sizeof err);
	if (r == GS_OK && cfg.base_url && (r = settings_set(db, "base_url", cfg.base_url)) != GS_OK)
		snprintf(err, sizeof err, "cannot store the base URL (%s)", gs_result_str(r));
	db_close(db);
	if (r != GS_OK) {
		fprintf(stderr, "gridscore: %s\n", err);
		return EXIT_REJECTED;
	}
	cfg.app = app;

	size_t n_routes;
	const struct http_route *routes = web_routes(&n_routes);
	struct http_server *server = NULL;
	if (http_server_start(&cfg, routes, n_routes, &server, err, sizeof err) != GS_OK) {
		fprintf(stderr, "gridscore: %s\n", err);
		web_app_free(app);
		return EXIT_REJECTED;
	}
	/* The current quarter's scores and the unit rows made ready in the background, so
	 * the first dashboard after a start or after new data does not wait for them. */
	struct scoring_warmer *warmer = NULL;
	if (scoring_warmer_start(db_path, 2000, &warmer, err, sizeof err) != GS_OK)
		log_warn("no scores warmer (%s): the first page after new data computes the scores", err);
	log_info("gridscore %s serving %s on port %u (database %s, %u threads)", GS_VERSION, cfg.listen,
		 http_server_port(server), db_path, cfg.threads);
	printf("listening on port %u\n", http_server_port(server));
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: finishing in-flight requests and stopping", sig);
	http_server_stop(server);
	scoring_warmer_stop(warmer);
	web_app_free(app);
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
	/* Units or halls may have moved: the units' survey aggregates follow the new tree. */
	if (r == GS_OK && !rep->already_loaded && survey_aggregates_rebuild(db, 1, NULL) != GS_OK)
		fprintf(stderr, "gridscore: the survey aggregates could not be updated; statistics stay right but "
				"slower until the next org load or restart\n");
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
		fflush(stdout);
		fprintf(stderr, "token '%s' created; it is shown only this once\n", name);
	} else {
		fprintf(stderr, "gridscore: token add %s: %s\n", name, err[0] ? err : gs_result_str(r));
	}
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

/* The login --as names: its id, and the station a station login is confined to. */
static enum gs_result import_as(struct db *db, const char *login, int64_t *user_id, int64_t *scope)
{
	struct auth_user u;
	enum gs_result r = auth_user_get(db, login, &u);
	if (r == GS_OK) {
		*user_id = u.id;
		*scope = u.role == AUTH_ROLE_STATION ? u.unit_id : 0;
	}
	return r;
}

/* A supply station by code, for --station and `source map`. Prints what is wrong. */
static enum gs_result station_by_code(struct db *db, const char *what, const char *code, int64_t *id)
{
	struct org_unit u;
	enum gs_result r = org_unit_get(db, code, &u);
	if (r == GS_ERR_NOT_FOUND) {
		fprintf(stderr, "gridscore: %s: no unit with code '%s'\n", what, code);
		return r;
	}
	if (r != GS_OK) {
		fprintf(stderr, "gridscore: %s: %s\n", what, gs_result_str(r));
		return r;
	}
	if (strcmp(u.kind, "station") != 0) {
		fprintf(stderr, "gridscore: %s: '%s' is a %s, not a supply station\n", what, code, u.kind);
		r = GS_ERR_INVALID;
	}
	*id = u.id;
	org_unit_clear(&u);
	return r;
}

static int cmd_import(const char *db_path, struct args *a)
{
	int dry_run = opt_flag(a, "--dry-run");
	const char *as = opt_value(a, "--as"), *station = opt_value(a, "--station");
	const char *extra = leftover(a, a->argc);
	if (!positional(a, 0) || extra)
		return usage("usage: gridscore import FILE... [--dry-run] [--as LOGIN] [--station CODE]");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct meter_import_opts opts;
	meter_import_opts_init(&opts);
	opts.dry_run = dry_run;
	enum gs_result r = GS_OK;
	if (as && (r = import_as(db, as, &opts.user_id, &opts.scope_unit)) != GS_OK)
		fprintf(stderr, "gridscore: import --as %s: %s\n", as,
			r == GS_ERR_NOT_FOUND ? "no active login with that name" : gs_result_str(r));
	opts.station_id = opts.scope_unit;
	if (r == GS_OK && station && (r = station_by_code(db, "import --station", station, &opts.station_id)) == GS_OK &&
	    opts.scope_unit && org_unit_within(db, opts.station_id, opts.scope_unit) != 1) {
		fprintf(stderr, "gridscore: import --station %s: outside the station of login %s\n", station, as);
		r = GS_ERR_FORBIDDEN;
	}
	int rejected = r != GS_OK;
	struct meter_import_report *rep = xcalloc(1, sizeof *rep);
	for (int k = 0; r == GS_OK; k++) {
		const char *file = positional(a, k);
		if (!file)
			break;
		memset(rep, 0, sizeof *rep);
		opts.name = file;
		enum gs_result fr = meter_import_run(db, file, &opts, rep);
		meter_report_print(rep, file, fr == GS_OK ? stdout : stderr);
		if (fr != GS_OK && rep->errors.n == 0)
			fprintf(stderr, "gridscore: %s: %s\n", file, gs_result_str(fr));
		if (fr == GS_OK && !dry_run && strcmp(rep->status, "imported") == 0)
			auth_audit(db, as ? as : "cli", "import", file);
		rejected |= fr != GS_OK;
	}
	free(rep);
	db_close(db);
	return rejected ? EXIT_REJECTED : 0;
}

static int cmd_source(const char *db_path, struct args *a)
{
	const char *sub = positional(a, 0), *source = positional(a, 1), *station = positional(a, 2);
	if (!sub || strcmp(sub, "map") != 0 || !source || !station || leftover(a, 3))
		return usage("usage: gridscore source map SOURCE STATION");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	int64_t id = 0;
	enum gs_result r = station_by_code(db, "source map", station, &id);
	if (r == GS_OK) {
		r = meter_source_map(db, source, id);
		if (r == GS_OK)
			printf("IEC messages from source '%s' now belong to station %s\n", source, station);
		else
			fprintf(stderr, "gridscore: source map %s: %s\n", source, gs_result_str(r));
	}
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

static int cmd_form(const char *db_path, struct args *a)
{
	(void)db_path;
	const char *sub = positional(a, 0), *file = positional(a, 1);
	if (!sub || strcmp(sub, "check") != 0 || !file || leftover(a, 2))
		return usage("usage: gridscore form check FILE.xml");
	struct xform *f = NULL;
	struct xform_error e = {0};
	enum gs_result r = xform_load_file(file, &f, &e);
	if (r != GS_OK) {
		char msg[512];
		xform_error_format(&e, msg, sizeof msg);
		fprintf(stderr, "%s\n", msg);
		return EXIT_REJECTED;
	}
	const struct xform_question *q = &f->questions[f->rating];
	printf("%s: form '%s' version '%s' can be served: %zu questions; overall rating '%s', satisfied =", file, f->id,
	       f->version, f->n_questions, q->name);
	for (int v = 5; v >= 1; v--)
		if (f->satisfied[v])
			printf(" %d", v);
	printf("\n");
	xform_free(f);
	return 0;
}

static int cmd_qr(const char *db_path, struct args *a)
{
	const char *fmt = opt_value(a, "--format"), *base = opt_value(a, "--base-url");
	const char *hall_code = positional(a, 0);
	if (!hall_code || leftover(a, 1))
		return usage("usage: gridscore qr HALL [--format svg|png] [--base-url URL]");
	if (fmt && strcmp(fmt, "svg") != 0 && strcmp(fmt, "png") != 0)
		return usage("qr: --format must be svg or png");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct org_hall h = {0};
	char code[SURVEY_CODE_MAX];
	enum gs_result r = org_hall_get(db, hall_code, &h);
	if (r == GS_ERR_NOT_FOUND) {
		fprintf(stderr, "gridscore: qr: no service hall with code '%s'\n", hall_code);
		db_close(db);
		return EXIT_REJECTED;
	}
	if (r == GS_OK && !h.active) {
		fprintf(stderr, "gridscore: qr: hall '%s' is inactive: it has no survey code\n", hall_code);
		r = GS_ERR_CONFLICT;
	}
	if (r == GS_OK)
		r = survey_code_make(db, h.code, h.key_version, code);
	org_hall_clear(&h);
	char *prefix = base_url_for(db, base);
	struct buf out;
	buf_init(&out, 8 << 20);
	if (r == GS_OK) {
		char *url = xasprintf("%s/s/%s", prefix, code);
		r = fmt && strcmp(fmt, "png") == 0 ? qr_png(url, 10, &out) : qr_svg(url, &out);
		if (r == GS_OK)
			fprintf(stderr, "%s\n", url);
		free(url);
	}
	if (r == GS_OK && fwrite(out.data, 1, out.len, stdout) != out.len)
		r = GS_ERR_IO;
	if (r != GS_OK && r != GS_ERR_CONFLICT)
		fprintf(stderr, "gridscore: qr: %s\n", gs_result_str(r));
	buf_free(&out);
	free(prefix);
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

static int cmd_ticket(const char *db_path, struct args *a)
{
	const char *base = opt_value(a, "--base-url");
	const char *hall_code = positional(a, 0);
	if (!hall_code || leftover(a, 1))
		return usage("usage: gridscore ticket HALL [--base-url URL]");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct survey_settings set;
	char ticket[SURVEY_TICKET_LEN + 1];
	int64_t expires = 0;
	enum gs_result r = survey_settings_load(db, &set);
	if (r == GS_OK)
		r = survey_ticket_issue(db, hall_code, "cli", set.ticket_ttl_s, ticket, &expires);
	if (r == GS_OK) {
		char *prefix = base_url_for(db, base);
		printf("%s/t/%s\n", prefix, ticket);
		free(prefix);
	} else if (r == GS_ERR_NOT_FOUND) {
		fprintf(stderr, "gridscore: ticket: no service hall with code '%s'\n", hall_code);
	} else if (r == GS_ERR_CONFLICT) {
		fprintf(stderr, "gridscore: ticket: hall '%s' is inactive\n", hall_code);
	} else {
		fprintf(stderr, "gridscore: ticket: %s\n", gs_result_str(r));
	}
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

static int cmd_hall(const char *db_path, struct args *a)
{
	const char *sub = positional(a, 0), *hall_code = positional(a, 1);
	if (!sub || strcmp(sub, "rotate-key") != 0 || !hall_code || leftover(a, 2))
		return usage("usage: gridscore hall rotate-key HALL");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	int v = 0;
	enum gs_result r = survey_hall_rotate_key(db, hall_code, &v);
	if (r == GS_OK)
		printf("hall %s: key version %d; codes printed before no longer work, print new posters\n", hall_code, v);
	else
		fprintf(stderr, "gridscore: hall rotate-key %s: %s\n", hall_code,
			r == GS_ERR_NOT_FOUND ? "no such hall" : gs_result_str(r));
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

/* ---- indicators, report, period */

static int cmd_indicators(const char *db_path, struct args *a)
{
	const char *sub = positional(a, 0), *file = positional(a, 1);
	if (!sub || strcmp(sub, "load") != 0 || !file || leftover(a, 2))
		return usage("usage: gridscore indicators load FILE.xml");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct indicator_load_report *rep = xcalloc(1, sizeof *rep);
	enum gs_result r = indicator_load_file(db, file, rep);
	indicator_report_print(rep, file, r == GS_OK ? stdout : stderr);
	if (r != GS_OK && rep->n_errors == 0)
		fprintf(stderr, "gridscore: %s: %s\n", file, gs_result_str(r));
	if (r == GS_OK && !rep->already_loaded)
		auth_audit(db, "cli", "indicators.load", file);
	free(rep);
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

static int cmd_report(const char *db_path, struct args *a)
{
	const char *period = opt_value(a, "--period"), *unit = opt_value(a, "--unit");
	const char *format = opt_value(a, "--format");
	int due = opt_flag(a, "--due");
	if (leftover(a, 0))
		return usage("usage: gridscore report [--period 2026Q3|2026] [--unit CODE] [--format csv|json|html] [--due]");
	if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0 && strcmp(format, "html") != 0)
		return usage("report: --format must be csv, json or html");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	int64_t now = util_now();
	char current[SCORE_PERIOD_MAX], err[INDICATOR_ERR_MAX] = "";
	scoring_current_quarter(now, current);
	int rc = 0;
	struct org_unit u = {0};
	if (unit && org_unit_get(db, unit, &u) != GS_OK) {
		fprintf(stderr, "gridscore: report --unit: no unit with code '%s'\n", unit);
		rc = EXIT_REJECTED;
	}
	if (rc == 0 && due) {
		char today[11];
		int hour, wd;
		survey_local_time(now, today, &hour, &wd);
		struct scoring_milestone *m = NULL;
		size_t n = 0;
		enum gs_result r = scoring_due(db, unit ? u.id : 0, today, SCORING_DUE_DAYS, &m, &n);
		if (r == GS_OK)
			view_score_due_text(stdout, m, n, today);
		else
			fprintf(stderr, "gridscore: report --due: %s\n", gs_result_str(r)), rc = EXIT_REJECTED;
		scoring_milestones_free(m, n);
	} else if (rc == 0) {
		struct scoring_result *res = NULL;
		enum gs_result r = scoring_report(db, period ? period : current, now, &res, err, sizeof err);
		if (r != GS_OK) {
			fprintf(stderr, "gridscore: report: %s\n", err);
			rc = EXIT_REJECTED;
		} else {
			struct buf b;
			buf_init(&b, 256u * 1024 * 1024);
			if (format && strcmp(format, "json") == 0) {
				char *s = view_score_api_json(res, unit);
				buf_puts(&b, s);
				buf_putc(&b, '\n');
				free(s);
			} else if (format && strcmp(format, "html") == 0) {
				struct view_ctx v = {.lang = "zh", .path = "/"};
				view_score_report(&b, &v, res, unit, 1);
			} else {
				view_score_csv(&b, res, unit);
			}
			fwrite(b.data ? b.data : "", 1, b.len, stdout);
			buf_free(&b);
		}
		scoring_free(res);
	}
	org_unit_clear(&u);
	db_close(db);
	return rc;
}

static int cmd_period(const char *db_path, struct args *a)
{
	const char *as = opt_value(a, "--as"), *reason = opt_value(a, "--reason");
	const char *sub = positional(a, 0), *period = positional(a, 1);
	int close = sub && strcmp(sub, "close") == 0, reopen = sub && strcmp(sub, "reopen") == 0;
	if ((!close && !reopen) || !period || leftover(a, 2) || (reopen && (!as || !reason)) || (close && reason))
		return usage("usage: gridscore period close PERIOD [--as LOGIN] | period reopen PERIOD --reason TEXT --as LOGIN");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct auth_user who = {.role = AUTH_ROLE_ADMIN};
	snprintf(who.login, sizeof who.login, "cli");
	enum gs_result r = GS_OK;
	char err[INDICATOR_ERR_MAX] = "", sha[65] = "";
	if (as && (r = auth_user_get(db, as, &who)) != GS_OK)
		snprintf(err, sizeof err, "--as %s: %s", as, r == GS_ERR_NOT_FOUND ? "no active login with that name" : gs_result_str(r));
	if (r == GS_OK && close)
		r = scoring_period_close(db, &who, period, util_now(), sha, err, sizeof err);
	else if (r == GS_OK)
		r = indicator_period_reopen(db, &who, period, reason, util_now(), err, sizeof err);
	if (r == GS_OK && close)
		printf("period %s closed; snapshot sha256 %s\n", period, sha);
	else if (r == GS_OK)
		printf("period %s reopened by %s\n", period, who.login);
	else
		fprintf(stderr, "gridscore: period %s %s: %s\n", sub, period, err[0] ? err : gs_result_str(r));
	db_close(db);
	return r == GS_OK ? 0 : EXIT_REJECTED;
}

static int cmd_milestone(const char *db_path, struct args *a)
{
	const char *as = opt_value(a, "--as");
	const char *sub = positional(a, 0), *ids = positional(a, 1);
	int done = sub && strcmp(sub, "done") == 0, reopen = sub && strcmp(sub, "reopen") == 0;
	char *end = NULL;
	long long id = ids ? strtoll(ids, &end, 10) : 0;
	if ((!done && !reopen) || !ids || *end || id <= 0 || leftover(a, 2))
		return usage("usage: gridscore milestone done|reopen ID [--as LOGIN]");
	struct db *db = NULL;
	if (open_db(db_path, 0, &db))
		return EXIT_REJECTED;
	struct auth_user who = {.role = AUTH_ROLE_ADMIN};
	snprintf(who.login, sizeof who.login, "cli");
	char err[INDICATOR_ERR_MAX] = "";
	enum gs_result r = GS_OK;
	if (as && (r = auth_user_get(db, as, &who)) != GS_OK)
		snprintf(err, sizeof err, "--as %s: %s", as, r == GS_ERR_NOT_FOUND ? "no active login with that name" : gs_result_str(r));
	if (r == GS_OK)
		r = indicator_milestone_set_done(db, &who, id, done, util_now(), err, sizeof err);
	if (r == GS_OK)
		printf("milestone %lld %s by %s\n", id, done ? "marked done" : "reopened", who.login);
	else
		fprintf(stderr, "gridscore: milestone %s %lld: %s\n", sub, id, err[0] ? err : gs_result_str(r));
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
	else if (strcmp(verb, "import") == 0)
		rc = cmd_import(db_path, &a);
	else if (strcmp(verb, "source") == 0)
		rc = cmd_source(db_path, &a);
	else if (strcmp(verb, "backup") == 0)
		rc = cmd_backup(db_path, &a);
	else if (strcmp(verb, "form") == 0)
		rc = cmd_form(db_path, &a);
	else if (strcmp(verb, "qr") == 0)
		rc = cmd_qr(db_path, &a);
	else if (strcmp(verb, "ticket") == 0)
		rc = cmd_ticket(db_path, &a);
	else if (strcmp(verb, "hall") == 0)
		rc = cmd_hall(db_path, &a);
	else if (strcmp(verb, "indicators") == 0)
		rc = cmd_indicators(db_path, &a);
	else if (strcmp(verb, "report") == 0)
		rc = cmd_report(db_path, &a);
	else if (strcmp(verb, "period") == 0)
		rc = cmd_period(db_path, &a);
	else if (strcmp(verb, "milestone") == 0)
		rc = cmd_milestone(db_path, &a);
	else if (strcmp(verb, "help") == 0)
		rc = (fputs(usage_text, stdout), 0);
	else
		rc = usage("unknown command");
	xmlCleanupParser();
	return rc;
}
