/* fuzz_import.c — libFuzzer target for the rollout importer: each input is read by the
 * streaming reader from memory (records checked against rollout.h's promises) and then
 * imported by meter_import_run into a fresh database (a copy of a template) holding one company and
 * two stations, the same path `gridscore import` and the upload take. A rejection must
 * say why; an accepted file imported twice is "already" the second time. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "db.h"
#include "meter.h"
#include "org.h"
#include "rollout.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], path[300], work[300];
static FILE *sink;
static char *tmpl;      /* a migrated database with the org loaded, copied for each input */
static size_t tmpl_len; /* (migrating for each input would take most of the time) */

static const char org[] =
	"<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"T\" kind=\"company\" name=\"c\"/>"
	"<unit code=\"T-S1\" kind=\"station\" parent=\"T\" name=\"s1\"/>"
	"<unit code=\"T-S2\" kind=\"station\" parent=\"T\" name=\"s2\"/></units></org>";

static void put_file(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	xmlInitParser();
	log_set_level(LOG_ERROR);
	sink = fopen("/dev/null", "w");
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/fuzz-rollout-XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	char t[300];
	snprintf(t, sizeof t, "%s/template.db", dir);
	snprintf(work, sizeof work, "%s/work.db", dir);
	snprintf(path, sizeof path, "%s/input.xml", dir);
	struct db *db = NULL;
	struct org_load_report *orep = xcalloc(1, sizeof *orep);
	if (db_open(t, DB_CREATE | DB_MIGRATE, &db, NULL, 0) != GS_OK ||
	    org_load_memory(db, "org", org, sizeof org - 1, orep) != GS_OK)
		abort();
	free(orep);
	db_checkpoint(db);
	db_close(db);
	FILE *f = fopen(t, "rb");
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	tmpl_len = (size_t)ftell(f);
	rewind(f);
	tmpl = xmalloc(tmpl_len);
	if (fread(tmpl, 1, tmpl_len, f) != tmpl_len)
		abort();
	fclose(f);
	return 0;
}

static struct db *fresh_db(void)
{
	char p[320];
	snprintf(p, sizeof p, "%s-wal", work);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", work);
	unlink(p);
	put_file(work, tmpl, tmpl_len);
	struct db *db = NULL;
	if (db_open(work, 0, &db, NULL, 0) != GS_OK)
		abort();
	return db;
}

static enum gs_result on_header(void *ctx, const struct rollout_header *h)
{
	int *seen = ctx;
	if (*seen || h->format == ROLLOUT_UNKNOWN)
		abort(); /* said once, before the first record, for a known format */
	*seen = 1;
	return GS_OK;
}

static enum gs_result on_record(void *ctx, const struct rollout_record *r)
{
	int *seen = ctx;
	if (!*seen || r->kind < ROLLOUT_POINT || r->kind > ROLLOUT_LINK || r->line < 1)
		abort();
	const char *days[] = {r->since, r->until, r->date, r->removed};
	for (size_t i = 0; i < 4; i++) {
		char d[11];
		if (days[i] && (strlen(days[i]) != 10 || rollout_local_day(days[i], d) != 0 || strcmp(d, days[i]) != 0))
			abort(); /* days are handed over normalised */
	}
	return GS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rollout_limits lim;
	rollout_limits_default(&lim);
	lim.max_records = 200;
	lim.max_text = 256;
	struct rollout_errors *errs = xcalloc(1, sizeof *errs);
	int seen = 0;
	struct rollout_sink rs = {on_header, on_record, &seen};
	enum gs_result r = rollout_read_memory("fuzz", (const char *)data, size, &lim, &rs, errs);
	if (r == GS_OK && errs->total != 0)
		abort();
	if ((r == GS_ERR_INVALID || r == GS_ERR_TOO_LARGE) && errs->n == 0)
		abort();
	free(errs);
	/* The importer reads the file with the same reader: a file the reader refused is
	 * imported only now and then (its rejection path), so the time goes to the rest. */
	if (r != GS_OK && size % 8 != 1)
		return 0;

	put_file(path, data, size);
	struct db *db = fresh_db();
	struct meter_import_opts o;
	meter_import_opts_init(&o);
	o.name = "fuzz.xml";
	o.today = "2026-12-31";
	o.limits = lim;
	o.dry_run = size % 3 == 0;
	struct meter_import_report *rep = xcalloc(1, sizeof *rep);
	r = meter_import_run(db, path, &o, rep);
	if (r == GS_ERR_INVALID && rep->errors.n == 0)
		abort(); /* a rejection says why */
	if (sink)
		meter_report_print(rep, "fuzz.xml", sink);
	if (r == GS_OK && !o.dry_run) {
		if (strcmp(rep->status, "imported") != 0 && strcmp(rep->status, "already") != 0)
			abort();
		memset(rep, 0, sizeof *rep);
		if (meter_import_run(db, path, &o, rep) != GS_OK || strcmp(rep->status, "already") != 0)
			abort(); /* idempotent */
	}
	free(rep);
	db_close(db);
	return 0;
}
