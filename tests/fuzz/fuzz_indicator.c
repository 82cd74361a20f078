/* fuzz_indicator.c — libFuzzer target for the indicator catalog loader: every input is
 * loaded into an in-memory database holding a small org (schema, reference and weight
 * checks, the write transaction); half the inputs (odd sizes) meet a database that
 * already holds a catalog, so the update and retire paths are fuzzed too. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "db.h"
#include "indicator.h"
#include "org.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

static const char base_org[] =
    "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"C\" kind=\"company\" name=\"c\"/>"
    "<unit code=\"S\" kind=\"station\" parent=\"C\" name=\"s\"/><unit code=\"D\" kind=\"department\" "
    "parent=\"C\" name=\"d\"/></units><people><person code=\"P\" unit=\"D\" name=\"p\"><head unit=\"D\"/>"
    "</person><person code=\"Q\" unit=\"C\" name=\"q\"><supervises unit=\"D\"/></person></people></org>";

static const char base_catalog[] =
    "<indicators xmlns=\"urn:gridscore:indicators:1\"><indicator code=\"m\" kind=\"manual\" name=\"m\">"
    "<weight unit-kind=\"station\" value=\"100\"/><owner supervisor=\"Q\" unit=\"D\" person=\"P\" handler=\"P\"/>"
    "<evaluator unit=\"D\"/><params from=\"2026\" method=\"direct\"/><milestone unit=\"S\" due=\"2026-06-30\" "
    "name=\"x\"/></indicator></indicators>";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	xmlInitParser();
	log_set_level(LOG_ERROR);
	sink = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db *db = NULL;
	if (db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, NULL, 0) != GS_OK)
		abort();
	struct org_load_report *orep = xcalloc(1, sizeof *orep);
	if (org_load_memory(db, "org", base_org, sizeof base_org - 1, orep) != GS_OK)
		abort();
	free(orep);
	struct indicator_load_report *rep = xcalloc(1, sizeof *rep);
	if (size % 2 == 1 && indicator_load_memory(db, "base", base_catalog, sizeof base_catalog - 1, rep) != GS_OK)
		abort();
	enum gs_result r = indicator_load_memory(db, "fuzz", (const char *)data, size, rep);
	if (r == GS_OK && rep->n_errors_total != 0)
		abort(); /* success with errors is a bug */
	if (r != GS_OK && rep->n_errors == 0)
		abort(); /* a rejection must say why */
	if (sink)
		indicator_report_print(rep, "fuzz", sink);
	if (r == GS_OK) {
		/* loading the same bytes again changes nothing */
		if (indicator_load_memory(db, "fuzz", (const char *)data, size, rep) != GS_OK || !rep->already_loaded)
			abort();
		struct indicator *list = NULL;
		size_t n = 0;
		if (indicator_list(db, 1, &list, &n) != GS_OK)
			abort();
		struct score_period per = {2026, 3};
		for (size_t i = 0; i < n; i++) {
			struct indicator_params p;
			double s;
			if (indicator_params_get(db, list[i].id, &per, &p) == GS_OK && p.method != INDICATOR_DIRECT &&
			    indicator_params_score(&p, 0.5, &s) != GS_OK)
				abort(); /* stored parameters were checked: they must score */
		}
		indicator_list_free(list, n);
	}
	free(rep);
	db_close(db);
	return 0;
}
