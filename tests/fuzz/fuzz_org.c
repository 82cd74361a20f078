/* fuzz_org.c — libFuzzer target for the org loader: every input is loaded into a
 * fresh in-memory database (schema, reference checks and the write transaction), and
 * the report is printed to a null sink to exercise the formatting too. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "db.h"
#include "org.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

/* Half the inputs (odd sizes) meet a database that holds this already, so the checks
 * against stored units and halls and the update paths get fuzzed too. */
static const char base_org[] =
    "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"C\" kind=\"company\" name=\"c\"/>"
    "<unit code=\"S\" kind=\"station\" parent=\"C\" name=\"s\"/><unit code=\"S-T\" kind=\"team\" "
    "parent=\"S\" name=\"t\"/><unit code=\"D\" kind=\"department\" parent=\"C\" name=\"d\"/></units>"
    "<halls><hall code=\"H\" station=\"S\" name=\"h\"><hours day=\"mon\" opens=\"08:00\" closes=\"12:00\"/>"
    "</hall></halls><people><person code=\"P\" unit=\"S\" name=\"p\"><head unit=\"S\"/><supervises "
    "unit=\"D\"/></person></people></org>";

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
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	if (size % 2 == 1 && org_load_memory(db, "base", base_org, sizeof base_org - 1, rep) != GS_OK)
		abort();
	enum gs_result r = org_load_memory(db, "fuzz", (const char *)data, size, rep);
	if (r == GS_OK && rep->n_errors_total != 0)
		abort(); /* success with errors is a bug */
	if (r != GS_OK && r != GS_ERR_TOO_LARGE && rep->n_errors == 0)
		abort(); /* a rejection must say why */
	if (sink)
		org_report_print(rep, "fuzz", sink);
	if (r == GS_OK) {
		/* loading the same bytes again changes nothing */
		if (org_load_memory(db, "fuzz", (const char *)data, size, rep) != GS_OK || !rep->already_loaded)
			abort();
		struct org_unit *units = NULL;
		size_t n = 0;
		if (org_units_list(db, 0, &units, &n) == GS_OK)
			org_units_free(units, n);
		struct org_hall *halls = NULL;
		if (org_halls_list(db, 0, &halls, &n) == GS_OK)
			org_halls_free(halls, n);
	}
	free(rep);
	db_close(db);
	return 0;
}
