/* test_org.c — the org loader (schema, reference checks, all-or-nothing, idempotence,
 * hostile XML) and the org queries, on in-memory databases with fixtures from
 * tests/data/org/ and the demo county. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "org.h"
#include "util.h"

static struct db *open_memory(void)
{
	struct db *db = NULL;
	char err[256];
	if (db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, err, sizeof err) != GS_OK) {
		fprintf(stderr, "db_open: %s\n", err);
		exit(1);
	}
	return db;
}

static long count_rows(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	long n = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

static enum gs_result load_str(struct db *db, const char *xml, struct org_load_report *rep)
{
	return org_load_memory(db, "test.xml", xml, strlen(xml), rep);
}

static void test_http_fixture(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	org_report_print(rep, "org.xml", stdout);
	CHECK_INT(rep->n_errors_total, 0);
	CHECK_INT(rep->units_created, 5);
	CHECK_INT(rep->halls_created, 2);
	CHECK_INT(rep->people_created, 2);
	CHECK_INT(rep->links_changed, 4);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM hall_hours"), 2);
	free(rep);
	db_close(db);
}

static void test_demo_and_idempotence(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	const struct embed_file *f = embed_find("src/demo/county-org.xml");
	CHECK(f != NULL);
	CHECK_INT(org_load_memory(db, "demo", (const char *)f->data, f->len, rep), GS_OK);
	org_report_print(rep, "demo", stdout);
	CHECK_INT(rep->n_errors_total, 0);
	CHECK_INT(rep->units_created, 30);
	CHECK_INT(rep->halls_created, 15);
	CHECK_INT(rep->people_created, 28);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM units WHERE kind = 'station'"), 10);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM org_loads"), 1);
	/* the same bytes again: already loaded */
	CHECK_INT(org_load_memory(db, "demo", (const char *)f->data, f->len, rep), GS_OK);
	CHECK_INT(rep->already_loaded, 1);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM org_loads"), 1);
	/* equivalent content (an extra trailing newline): everything unchanged */
	char *copy = xmalloc(f->len + 2);
	memcpy(copy, f->data, f->len);
	copy[f->len] = '\n';
	copy[f->len + 1] = '\0';
	CHECK_INT(load_str(db, copy, rep), GS_OK);
	CHECK_INT(rep->already_loaded, 0);
	CHECK_INT(rep->unchanged, 30 + 15 + 28);
	CHECK_INT(rep->units_created + rep->units_updated + rep->halls_created + rep->halls_updated, 0);
	CHECK_INT(rep->links_changed, 0);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM org_loads"), 2);
	free(copy);
	free(rep);
	db_close(db);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_http_fixture();
	test_demo_and_idempotence();
	return check_finish("test_org");
}
