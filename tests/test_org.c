/* test_org.c — the org loader (schema, reference checks, all-or-nothing, idempotence,
 * hostile XML) and the org queries, on in-memory databases with fixtures from
 * tests/data/org/ and the demo county. Run from the source folder (ctest does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A text column of the first row, copied into a static buffer ("" if none). */
static const char *text_of(struct db *db, const char *sql)
{
	static char out[512];
	sqlite3_stmt *st = db_stmt(db, sql);
	out[0] = '\0';
	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
	if (st)
		sqlite3_reset(st);
	return out;
}

static enum gs_result load_str(struct db *db, const char *xml, struct org_load_report *rep)
{
	return org_load_memory(db, "test.xml", xml, strlen(xml), rep);
}

__attribute__((noinline)) static char *read_fixture(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	if (util_read_file(path, ORG_MAX_FILE, &data, &len) != GS_OK) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	return data;
}

/* 1 if the report has an error on line whose message contains needle. */
static int has_error(const struct org_load_report *rep, long line, const char *needle)
{
	for (size_t i = 0; i < rep->n_errors; i++)
		if (rep->errors[i].line == line && strstr(rep->errors[i].message, needle))
			return 1;
	return 0;
}

static void dump_errors(const struct org_load_report *rep, const char *name)
{
	if (getenv("GS_TEST_VERBOSE"))
		org_report_print(rep, name, stderr);
}

#define CHECK_ERROR(rep, line, needle)                                                                                 \
	do {                                                                                                           \
		if (!has_error(rep, line, needle))                                                                     \
			org_report_print(rep, "(report)", stderr);                                                     \
		CHECK(has_error(rep, line, needle));                                                                   \
	} while (0)

/* What the org tables hold, to show that a failed load wrote nothing. */
static void snapshot(struct db *db, char *out, size_t len)
{
	snprintf(out, len, "%ld %ld %ld %ld %ld %ld %s %s", count_rows(db, "SELECT count(*) FROM units"),
	         count_rows(db, "SELECT count(*) FROM halls"), count_rows(db, "SELECT count(*) FROM hall_hours"),
	         count_rows(db, "SELECT count(*) FROM people"), count_rows(db, "SELECT count(*) FROM leader_links"),
	         count_rows(db, "SELECT count(*) FROM org_loads"),
	         text_of(db, "SELECT group_concat(code || name || ifnull(name_en, '') || kind || ifnull(parent_id, 0)) "
	                     "FROM units"),
	         text_of(db, "SELECT group_concat(code || name || station_id || active) FROM halls"));
}

/* Loads a fixture into a fresh database and expects it to be rejected. */
static struct org_load_report *reject_fixture(struct db *db, const char *path, enum gs_result want)
{
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	char before[1200], after[1200];
	snapshot(db, before, sizeof before);
	CHECK_INT(org_load_file(db, path, rep), want);
	dump_errors(rep, path);
	CHECK(rep->n_errors >= 1);
	CHECK_INT(rep->already_loaded, 0);
	snapshot(db, after, sizeof after);
	CHECK_STR(after, before);
	return rep;
}

static void test_http_fixture(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	CHECK_INT(rep->n_errors_total, 0);
	CHECK_INT(rep->already_loaded, 0);
	CHECK_INT(rep->units_created, 5);
	CHECK_INT(rep->halls_created, 2);
	CHECK_INT(rep->people_created, 2);
	CHECK_INT(rep->links_changed, 4);
	CHECK_INT(rep->unchanged, 0);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM hall_hours"), 2);
	/* entities in attributes arrive decoded, once */
	CHECK_STR(text_of(db, "SELECT name FROM units WHERE code = 'T-S2'"), "二号供电所 <b>&\"x\"");
	CHECK_STR(text_of(db, "SELECT name FROM halls WHERE code = 'T-H2'"), "二号营业厅 <script>alert(1)</script>");
	CHECK_STR(text_of(db, "SELECT address FROM halls WHERE code = 'T-H1'"), "测试路1号");
	CHECK_INT(count_rows(db, "SELECT count(*) FROM halls WHERE address IS NULL"), 1);
	CHECK_INT(count_rows(db, "SELECT active FROM halls WHERE code = 'T-H2'"), 1);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM people WHERE name_en IS NULL"), 2);
	CHECK_STR(text_of(db, "SELECT title FROM people WHERE code = 'TP2'"), "副总经理");
	CHECK_STR(text_of(db, "SELECT sha256 FROM org_loads"),
	          text_of(db, "SELECT sha256 FROM org_loads ORDER BY id DESC LIMIT 1"));
	CHECK_INT(strlen(text_of(db, "SELECT sha256 FROM org_loads")), 64);
	CHECK_STR(text_of(db, "SELECT file_name FROM org_loads"), "tests/data/http/org.xml");
	CHECK_INT(count_rows(db, "SELECT created FROM org_loads"), 9);

	/* the report, as the CLI prints it */
	FILE *tmp = tmpfile();
	char line[512] = "";
	org_report_print(rep, "org.xml", tmp);
	rewind(tmp);
	CHECK(fgets(line, sizeof line, tmp) != NULL);
	CHECK_CONTAINS(line, "org.xml: created 5 units, 2 halls, 2 people; updated 0 units");
	fclose(tmp);

	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	CHECK_INT(rep->already_loaded, 1);
	tmp = tmpfile();
	org_report_print(rep, "org.xml", tmp);
	rewind(tmp);
	CHECK(fgets(line, sizeof line, tmp) != NULL);
	CHECK_STR(line, "org.xml: already loaded, nothing changed\n");
	fclose(tmp);
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

/* A file in GB18030 (as Chinese office software likes to save) loads like its UTF-8 twin. */
static void test_encoding(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_file(db, "tests/data/org/gb18030.xml", rep), GS_OK);
	dump_errors(rep, "gb18030.xml");
	CHECK_INT(rep->units_created, 5);
	CHECK_STR(text_of(db, "SELECT name FROM units WHERE code = 'T'"), "测试县供电公司");
	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	CHECK_INT(rep->already_loaded, 0);
	CHECK_INT(rep->unchanged, 9);
	free(rep);
	db_close(db);
}

static void test_update(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	/* a hall's QR key generation belongs to someone else: the loader must keep it */
	CHECK_INT(db_exec(db, "UPDATE halls SET key_version = 5 WHERE code = 'T-H1'"), GS_OK);
	CHECK_INT(org_load_file(db, "tests/data/org/update.xml", rep), GS_OK);
	dump_errors(rep, "update.xml");
	CHECK_INT(rep->n_errors_total, 0);
	CHECK_INT(rep->units_created, 1);
	CHECK_INT(rep->units_updated, 1);
	CHECK_INT(rep->halls_created, 1);
	CHECK_INT(rep->halls_updated, 1);
	CHECK_INT(rep->people_created, 1);
	CHECK_INT(rep->people_updated, 1);
	CHECK_INT(rep->links_changed, 4);
	CHECK_INT(rep->unchanged, 4);
	CHECK_INT(count_rows(db, "SELECT key_version FROM halls WHERE code = 'T-H1'"), 5);
	CHECK_INT(count_rows(db, "SELECT key_version FROM halls WHERE code = 'T-H3'"), 1);
	CHECK_INT(count_rows(db, "SELECT active FROM halls WHERE code = 'T-H3'"), 0);
	CHECK_STR(text_of(db, "SELECT name FROM units WHERE code = 'T-MKT'"), "市场营销部");
	/* things the file does not mention stay */
	CHECK_INT(count_rows(db, "SELECT count(*) FROM units WHERE code = 'T-S2'"), 1);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM halls WHERE code = 'T-H2'"), 1);
	/* hours and links are replaced by the file's */
	CHECK_STR(text_of(db, "SELECT group_concat(weekday || ' ' || opens || '-' || closes, ', ') FROM "
	                      "(SELECT * FROM hall_hours WHERE hall_id = (SELECT id FROM halls WHERE code = 'T-H1') "
	                      "ORDER BY weekday, opens)"),
	          "1 08:30-12:00, 6 09:00-11:00");
	CHECK_STR(text_of(db, "SELECT group_concat(kind || ' ' || code, ', ') FROM (SELECT l.kind, u.code FROM "
	                      "leader_links l JOIN units u ON u.id = l.unit_id JOIN people p ON p.id = l.person_id "
	                      "WHERE p.code = 'TP2' ORDER BY l.kind, u.code)"),
	          "deputy T, liaises T-S2");
	CHECK_INT(count_rows(db, "SELECT count(*) FROM leader_links"), 4);
	CHECK_INT(count_rows(db, "SELECT updated FROM org_loads ORDER BY id DESC LIMIT 1"), 3);

	/* the same file again is already loaded; the earlier one is not the latest, so it applies */
	CHECK_INT(org_load_file(db, "tests/data/org/update.xml", rep), GS_OK);
	CHECK_INT(rep->already_loaded, 1);
	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	CHECK_INT(rep->already_loaded, 0);
	CHECK_INT(rep->units_created + rep->halls_created + rep->people_created, 0);
	CHECK_INT(rep->units_updated, 1);  /* T-MKT renamed back */
	CHECK_INT(rep->halls_updated, 1);  /* T-H1 hours back */
	CHECK_INT(rep->people_updated, 1); /* TP2 links back */
	CHECK_INT(rep->links_changed, 3);
	CHECK_INT(rep->unchanged, 4 + 1 + 1);                       /* T, T-S1, T-S1-A, T-S2; T-H2; TP1 */
	CHECK_INT(count_rows(db, "SELECT count(*) FROM units"), 6); /* T-S1-B stays */
	CHECK_INT(count_rows(db, "SELECT count(*) FROM org_loads"), 3);
	free(rep);
	db_close(db);
}

static void test_all_or_nothing(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	/* the update with a single bad reference at its very end */
	char *xml = read_fixture("tests/data/org/update.xml");
	char *at = strstr(xml, "<head unit=\"T-S1\"/>");
	CHECK(at != NULL);
	if (at)
		memcpy(at, "<head unit=\"T-S9\"/>", strlen("<head unit=\"T-S9\"/>"));
	char before[1200], after[1200];
	snapshot(db, before, sizeof before);
	CHECK_INT(load_str(db, xml, rep), GS_ERR_INVALID);
	CHECK_INT(rep->n_errors_total, 1);
	CHECK_ERROR(rep, 22, "person 'TP3': head unit 'T-S9' is not defined");
	CHECK_INT(rep->units_created + rep->units_updated + rep->halls_created + rep->people_created, 0);
	snapshot(db, after, sizeof after);
	CHECK_STR(after, before);
	CHECK_STR(text_of(db, "SELECT name FROM units WHERE code = 'T-MKT'"), "营销部");
	CHECK_INT(count_rows(db, "SELECT count(*) FROM hall_hours"), 2);
	/* a rejected file is not recorded: fixed, it loads */
	if (at)
		memcpy(at, "<head unit=\"T-S1\"/>", strlen("<head unit=\"T-S1\"/>"));
	CHECK_INT(load_str(db, xml, rep), GS_OK);
	CHECK_INT(rep->units_created, 1);
	free(xml);
	free(rep);
	db_close(db);
}

static void test_duplicates(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = reject_fixture(db, "tests/data/org/dup-codes.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 6, "unit 'D-S1': code is defined twice (first at line 5)");
	CHECK_ERROR(rep, 10, "hall 'D-H1': code is defined twice (first at line 9)");
	CHECK_ERROR(rep, 11, "hall 'D-S1': code is already used by a unit");
	CHECK_ERROR(rep, 15, "person 'DP1': code is defined twice (first at line 14)");
	CHECK_ERROR(rep, 16, "person 'DP2': head 'D' is listed twice (first at line 16)");
	CHECK_INT(rep->n_errors_total, 5);
	free(rep);
	db_close(db);
}

static void test_bad_references(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = reject_fixture(db, "tests/data/org/bad-refs.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 6, "unit 'R-S1': parent 'R-X' is not defined");
	CHECK_ERROR(rep, 9, "hall 'R-H1': station 'R-S9' is not defined");
	CHECK_ERROR(rep, 10, "hall 'R-H2': 'R-MKT' is a department, not a station");
	CHECK_ERROR(rep, 13, "person 'RP1': unit 'R-NOPE' is not defined");
	CHECK_ERROR(rep, 16, "person 'RP2': liaises unit 'R-GONE' is not defined");
	CHECK_INT(rep->n_errors_total, 5);
	/* the CLI format: name:line: message, then a total */
	FILE *tmp = tmpfile();
	org_report_print(rep, "bad-refs.xml", tmp);
	rewind(tmp);
	char text[4096];
	size_t n = fread(text, 1, sizeof text - 1, tmp);
	text[n] = '\0';
	fclose(tmp);
	CHECK_CONTAINS(text, "bad-refs.xml:6: unit 'R-S1': parent 'R-X' is not defined\n");
	CHECK_CONTAINS(text, "bad-refs.xml: 5 errors, nothing was changed\n");
	free(rep);
	db_close(db);
}

static void test_tree_rules(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = reject_fixture(db, "tests/data/org/tree-rules.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 5, "unit 'B': there can be only one company, and 'A' is one already");
	CHECK_ERROR(rep, 6, "unit 'C': a company has no parent");
	CHECK_ERROR(rep, 6, "unit 'C': there can be only one company");
	CHECK_ERROR(rep, 7, "unit 'A-D': a department needs a parent");
	CHECK_ERROR(rep, 8, "unit 'A-T': a team must be under a department or a station, not under company 'A'");
	CHECK_ERROR(rep, 10, "unit 'A-S': a station must be directly under the company, not under department 'A-D2'");
	CHECK_ERROR(rep, 11, "unit 'A-X': a team must be under a department or a station, not under team 'A-Y'");
	CHECK_ERROR(rep, 11, "unit 'A-X': its parents form a cycle");
	CHECK_ERROR(rep, 12, "unit 'A-Y': its parents form a cycle");
	CHECK(!has_error(rep, 4, ""));
	CHECK(!has_error(rep, 9, ""));
	free(rep);

	rep = reject_fixture(db, "tests/data/org/no-company.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 4, "there is no company");
	CHECK_ERROR(rep, 4, "unit 'N-S1': its parents form a cycle");
	CHECK_ERROR(rep, 5, "unit 'N-S2': its parents form a cycle");
	CHECK_ERROR(rep, 4, "a station must be directly under the company, not under station 'N-S2'");
	free(rep);
	db_close(db);
}

static void test_hours(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = reject_fixture(db, "tests/data/org/hours.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 9, "hall 'H-H1': on mon it opens at 12:00 but closes at 08:30");
	CHECK_ERROR(rep, 11, "hall 'H-H1': on tue 08:30-12:00 overlaps 11:30-17:00");
	CHECK_ERROR(rep, 12, "hall 'H-H1': on wed it opens at 09:00 but closes at 09:00");
	CHECK_ERROR(rep, 16, "hall 'H-H1': on fri 08:00-18:00 overlaps 14:00-17:00");
	CHECK(!has_error(rep, 13, ""));
	CHECK(!has_error(rep, 14, ""));
	CHECK_INT(rep->n_errors_total, 4);
	free(rep);

	/* intervals in any order; the hours query returns them sorted */
	const char *ok =
	    "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"C\" kind=\"company\" name=\"c\"/>"
	    "<unit code=\"S\" kind=\"station\" parent=\"C\" name=\"s\"/></units><halls>"
	    "<hall code=\"H\" station=\"S\" name=\"h\"><hours day=\"sun\" opens=\"10:00\" closes=\"11:00\"/>"
	    "<hours day=\"mon\" opens=\"14:00\" closes=\"23:59\"/>"
	    "<hours day=\"mon\" opens=\"00:00\" closes=\"12:00\"/></hall></halls></org>";
	rep = xcalloc(1, sizeof *rep);
	CHECK_INT(load_str(db, ok, rep), GS_OK);
	struct org_hall hall;
	CHECK_INT(org_hall_get(db, "H", &hall), GS_OK);
	struct org_hours *hours = NULL;
	size_t n = 0;
	CHECK_INT(org_hall_hours(db, hall.id, &hours, &n), GS_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(hours[0].weekday, 1);
		CHECK_STR(hours[0].opens, "00:00");
		CHECK_STR(hours[1].closes, "23:59");
		CHECK_INT(hours[2].weekday, 7);
	}
	free(hours);
	CHECK_INT(org_hall_hours(db, 999, &hours, &n), GS_OK);
	CHECK_INT(n, 0);
	free(hours);
	org_hall_clear(&hall);
	org_hall_clear(&hall); /* cleared twice is fine */
	free(rep);
	db_close(db);
}

static void test_schema(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = reject_fixture(db, "tests/data/org/schema-invalid.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 4, "kind");
	CHECK_ERROR(rep, 5, "code");
	CHECK_ERROR(rep, 6, "name");
	CHECK_ERROR(rep, 7, "name");
	CHECK_ERROR(rep, 10, "active");
	CHECK_ERROR(rep, 11, "day");
	CHECK_ERROR(rep, 11, "opens");
	CHECK_ERROR(rep, 11, "closes");
	CHECK_ERROR(rep, 15, "boss");
	CHECK(!has_error(rep, 4, "urn:gridscore:org:1}")); /* namespaces are trimmed from libxml2's messages */
	free(rep);

	rep = reject_fixture(db, "tests/data/org/wrong-namespace.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 2, "the root element must be <org> in namespace urn:gridscore:org:1");
	CHECK_INT(rep->n_errors_total, 1);
	free(rep);
	rep = reject_fixture(db, "tests/data/org/no-namespace.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 2, "namespace urn:gridscore:org:1");
	free(rep);
	rep = reject_fixture(db, "tests/data/org/xinclude.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 3, "include");
	free(rep);

	/* schema hints in the file are not followed, and xsi:type cannot swap types */
	rep = reject_fixture(db, "tests/data/org/xsi.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 5, "type");
	free(rep);
	rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_file(db, "tests/data/org/active.xml", rep), GS_OK);
	CHECK_STR(
	    text_of(db, "SELECT group_concat(code || '=' || active, ' ') FROM (SELECT * FROM halls ORDER BY code)"),
	    "A-H1=1 A-H2=1 A-H3=0 A-H4=0 A-H5=1");
	free(rep);
	db_close(db);
	db = open_memory();

	/* a name of blanks passes the schema but not us */
	rep = xcalloc(1, sizeof *rep);
	CHECK_INT(load_str(db,
	                   "<org xmlns=\"urn:gridscore:org:1\">\n<units>\n<unit code=\"C\" kind=\"company\" "
	                   "name=\"  \"/></units></org>",
	                   rep),
	          GS_ERR_INVALID);
	CHECK_ERROR(rep, 3, "unit 'C': the name is blank");
	/* an over-long name */
	char big[400];
	snprintf(big, sizeof big,
	         "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"C\" kind=\"company\" "
	         "name=\"%0101d\"/></units></org>",
	         0);
	CHECK_INT(load_str(db, big, rep), GS_ERR_INVALID);
	CHECK_ERROR(rep, 1, "name");
	/* a 65-character code */
	snprintf(big, sizeof big,
	         "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"C%064d\" kind=\"company\" "
	         "name=\"c\"/></units></org>",
	         0);
	CHECK_INT(load_str(db, big, rep), GS_ERR_INVALID);
	CHECK_ERROR(rep, 1, "code");
	/* sections out of order */
	CHECK_INT(load_str(db, "<org xmlns=\"urn:gridscore:org:1\"><people/><units/></org>", rep), GS_ERR_INVALID);
	CHECK_ERROR(rep, 1, "units");
	/* text where none belongs */
	CHECK_INT(load_str(db, "<org xmlns=\"urn:gridscore:org:1\">hello</org>", rep), GS_ERR_INVALID);
	CHECK(rep->n_errors == 1);
	/* an empty org and empty sections are fine and change nothing */
	CHECK_INT(org_load_file(db, "tests/data/org/empty-org.xml", rep), GS_OK);
	CHECK_INT(rep->unchanged + rep->units_created, 0);
	CHECK_INT(load_str(db, "<org xmlns=\"urn:gridscore:org:1\"><units/><halls/><people/></org>", rep), GS_OK);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM units"), 0);
	free(rep);
	db_close(db);
}

static void test_hostile(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = reject_fixture(db, "tests/data/org/xxe.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 2, "DOCTYPE is not allowed");
	CHECK_INT(rep->n_errors_total, 1);
	FILE *tmp = tmpfile();
	org_report_print(rep, "xxe.xml", tmp);
	rewind(tmp);
	char line[256] = "";
	CHECK(fgets(line, sizeof line, tmp) != NULL);
	CHECK_STR(line, "xxe.xml:2:15: DOCTYPE is not allowed\n");
	fclose(tmp);
	free(rep);
	rep = reject_fixture(db, "tests/data/org/billion-laughs.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 2, "DOCTYPE is not allowed");
	CHECK_INT(rep->n_errors_total, 1);
	free(rep);
	rep = reject_fixture(db, "tests/data/org/doctype-external.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 3, "DOCTYPE is not allowed");
	free(rep);
	rep = reject_fixture(db, "tests/data/org/undeclared-entity.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 4, "secret");
	CHECK(rep->errors[0].column > 0);
	free(rep);
	rep = reject_fixture(db, "tests/data/org/not-well-formed.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 5, "mismatch");
	CHECK(rep->errors[0].column > 0);
	free(rep);
	/* bytes that are not in the declared encoding */
	rep = reject_fixture(db, "tests/data/org/bad-encoding.xml", GS_ERR_INVALID);
	CHECK_ERROR(rep, 0, "not valid in its encoding");
	free(rep);
	rep = reject_fixture(db, "tests/data/org/does-not-exist.xml", GS_ERR_IO);
	CHECK_ERROR(rep, 0, "cannot read");
	free(rep);

	rep = xcalloc(1, sizeof *rep);
#define NUL_REF                                                                                                        \
	"<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"a\" kind=\"company\" name=\"&#0;\"/></units></org>"
	const char *bad[] = {"",
	                     "not xml at all",
	                     "<org",
	                     "<org xmlns=\"urn:gridscore:org:1\">",
	                     "\xff\xfe<\x00o\x00",
	                     "<?xml version=\"1.0\" encoding=\"EBCDIC-nonsense\"?><org/>",
	                     NUL_REF};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad); i++) {
		CHECK_INT(org_load_memory(db, "bad", bad[i], strlen(bad[i]), rep), GS_ERR_INVALID);
		CHECK(rep->n_errors >= 1);
	}
	/* embedded NUL: the length counts, not the terminator */
	CHECK_INT(org_load_memory(db, "nul", "<org xmlns=\"urn:gridscore:org:1\"/>\0junk", 40, rep), GS_ERR_INVALID);
	CHECK_INT(org_load_memory(db, "null", NULL, 0, rep), GS_ERR_INVALID);

	/* over the size cap, from memory and from a file */
	size_t len = ORG_MAX_FILE + 1;
	char *huge = xmalloc(len);
	memset(huge, ' ', len);
	CHECK_INT(org_load_memory(db, "huge", huge, len, rep), GS_ERR_TOO_LARGE);
	CHECK_CONTAINS(rep->errors[0].message, "larger than");
	const char *tmpdir = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	char path[512];
	snprintf(path, sizeof path, "%s/test_org_huge_%d/org.xml", tmpdir, (int)getpid());
	CHECK_INT(util_mkdir_parent(path), GS_OK);
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		fwrite(huge, 1, len, f);
		fclose(f);
		CHECK_INT(org_load_file(db, path, rep), GS_ERR_TOO_LARGE);
		CHECK_CONTAINS(rep->errors[0].message, "larger than");
		remove(path);
	}
	free(huge);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM org_loads"), 0);
	free(rep);
	db_close(db);
}

static void test_error_cap(void)
{
	struct db *db = open_memory();
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b,
	         "<org xmlns=\"urn:gridscore:org:1\">\n<units><unit code=\"C\" kind=\"company\" name=\"c\"/></units>\n"
	         "<people>\n");
	for (int i = 0; i < 60; i++)
		buf_printf(&b, "<person code=\"P%d\" unit=\"NOPE\" name=\"p\"/>\n", i);
	buf_puts(&b, "</people></org>\n");
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_memory(db, "many", b.data, b.len, rep), GS_ERR_INVALID);
	CHECK_INT(rep->n_errors, ORG_MAX_ERRORS);
	CHECK_INT(rep->n_errors_total, 60);
	CHECK_ERROR(rep, 4, "person 'P0': unit 'NOPE' is not defined");
	CHECK_INT(rep->errors[ORG_MAX_ERRORS - 1].line, 4 + ORG_MAX_ERRORS - 1);
	FILE *tmp = tmpfile();
	org_report_print(rep, "many.xml", tmp);
	rewind(tmp);
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, tmp);
	text[n] = '\0';
	fclose(tmp);
	CHECK_CONTAINS(text, "many.xml:4: person 'P0'");
	CHECK_CONTAINS(text, "many.xml: ... and 10 more errors\n");
	CHECK_CONTAINS(text, "many.xml: 60 errors, nothing was changed\n");
	buf_free(&b);
	free(rep);
	db_close(db);
}

/* Files that lean on what the database already holds. */
static void test_against_stored(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	CHECK_INT(org_load_file(db, "tests/data/http/org.xml", rep), GS_OK);
	/* halls and people may refer to stored units; the company may be stored already */
	CHECK_INT(
	    load_str(db,
	             "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"T-S3\" kind=\"station\" parent=\"T\" "
	             "name=\"三所\"/></units><halls><hall code=\"T-H9\" station=\"T-S2\" name=\"九厅\"/></halls>"
	             "<people><person code=\"TP9\" unit=\"T-S1-A\" name=\"赵六\"><liaises unit=\"T-S3\"/></person>"
	             "</people></org>",
	             rep),
	    GS_OK);
	CHECK_INT(rep->units_created + rep->halls_created + rep->people_created, 3);
	CHECK_INT(rep->links_changed, 1);
	/* a second company */
	CHECK_INT(load_str(db,
	                   "<org xmlns=\"urn:gridscore:org:1\">\n<units>\n<unit code=\"Z\" kind=\"company\" "
	                   "name=\"z\"/></units></org>",
	                   rep),
	          GS_ERR_INVALID);
	CHECK_ERROR(rep, 3, "unit 'Z': there can be only one company, and 'T' is one already");
	/* a stored station that the file turns into a department while its hall stays */
	CHECK_INT(load_str(db,
	                   "<org xmlns=\"urn:gridscore:org:1\">\n<units>\n<unit code=\"T-S2\" kind=\"department\" "
	                   "parent=\"T\" name=\"z\"/></units></org>",
	                   rep),
	          GS_ERR_INVALID);
	CHECK_ERROR(rep, 3, "unit 'T-S2': stored hall 'T-H2' needs it to stay a station");
	/* a stored team whose station the file turns into a team */
	CHECK_INT(load_str(db,
	                   "<org xmlns=\"urn:gridscore:org:1\">\n<units>\n<unit code=\"T-S1\" kind=\"team\" "
	                   "parent=\"T-MKT\" name=\"z\"/></units></org>",
	                   rep),
	          GS_ERR_INVALID);
	CHECK_ERROR(rep, 3, "unit 'T-S1': stored team 'T-S1-A': a team must be under a department or a station");
	CHECK_ERROR(rep, 3, "unit 'T-S1': stored hall 'T-H1' needs it to stay a station");
	/* a unit named like a stored hall */
	CHECK_INT(load_str(db,
	                   "<org xmlns=\"urn:gridscore:org:1\">\n<units>\n<unit code=\"T-H1\" kind=\"station\" "
	                   "parent=\"T\" name=\"z\"/></units></org>",
	                   rep),
	          GS_ERR_INVALID);
	CHECK_ERROR(rep, 3, "unit 'T-H1': code is already used by a hall");
	/* a hall moved to another station, a person to another unit; name-en left out is cleared */
	CHECK_INT(
	    load_str(db,
	             "<org xmlns=\"urn:gridscore:org:1\"><halls><hall code=\"T-H2\" station=\"T-S1\" name=\"二厅\"/>"
	             "</halls><people><person code=\"TP1\" unit=\"T-MKT\" name=\"张三\" title=\"总经理\">"
	             "<head unit=\"T\"/></person></people></org>",
	             rep),
	    GS_OK);
	CHECK_INT(rep->halls_updated, 1);
	CHECK_INT(rep->people_updated, 1);
	CHECK_INT(rep->links_changed, 0);
	CHECK_STR(text_of(db, "SELECT u.code FROM halls h JOIN units u ON u.id = h.station_id WHERE h.code = 'T-H2'"),
	          "T-S1");
	CHECK_INT(count_rows(db, "SELECT name_en IS NULL FROM halls WHERE code = 'T-H2'"), 1);
	CHECK_STR(text_of(db, "SELECT u.code FROM people p JOIN units u ON u.id = p.unit_id WHERE p.code = 'TP1'"),
	          "T-MKT");
	/* a stored team moved to a department is fine */
	CHECK_INT(load_str(db,
	                   "<org xmlns=\"urn:gridscore:org:1\">\n<units>\n<unit code=\"T-S1-A\" kind=\"team\" "
	                   "parent=\"T-MKT\" name=\"营业班\" name-en=\"Service team\"/></units></org>",
	                   rep),
	          GS_OK);
	CHECK_INT(rep->units_updated, 1);
	CHECK_STR(text_of(db, "SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'T-S1-A'"),
	          "T-MKT");
	/* a new company above the stored one, which becomes a department, in one file */
	CHECK_INT(
	    load_str(db,
	             "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"T\" kind=\"department\" parent=\"NEW\" "
	             "name=\"t\"/><unit code=\"NEW\" kind=\"company\" name=\"new\"/></units></org>",
	             rep),
	    GS_ERR_INVALID); /* T's stored stations would be under a department */
	CHECK_ERROR(rep, 1, "unit 'T': stored station 'T-S1': a station must be directly under the company");
	free(rep);
	db_close(db);
}

static void test_queries(void)
{
	struct db *db = open_memory();
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	const struct embed_file *f = embed_find("src/demo/county-org.xml");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(org_load_memory(db, "demo", (const char *)f->data, f->len, rep), GS_OK);

	struct org_unit *units = NULL;
	size_t n = 0;
	CHECK_INT(org_units_list(db, 0, &units, &n), GS_OK);
	CHECK_INT(n, 30);
	if (n == 30) {
		CHECK_STR(units[0].code, "QH");
		CHECK_INT(units[0].depth, 0);
		CHECK_INT(units[0].parent_id, 0);
		CHECK(units[0].parent_code == NULL);
		CHECK_STR(units[1].code, "QH-HR");
		CHECK_STR(units[1].parent_code, "QH");
		CHECK_INT(units[1].depth, 1);
		CHECK_STR(units[5].code, "QH-S01");
		CHECK_STR(units[6].code, "QH-S01-T1");
		CHECK_INT(units[6].depth, 2);
		CHECK_STR(units[7].code, "QH-S01-T2");
		CHECK_STR(units[8].code, "QH-S02");
		CHECK_STR(units[6].kind, "team");
		CHECK_STR(units[6].name, "营业班");
		CHECK_STR(units[6].name_en, "Customer service team");
		/* every unit comes after its parent, one level deeper */
		int ordered = 1;
		for (size_t i = 1; i < n; i++) {
			size_t p = 0;
			while (p < i && units[p].id != units[i].parent_id)
				p++;
			if (p == i || units[i].depth != units[p].depth + 1)
				ordered = 0;
		}
		CHECK(ordered);
	}
	int64_t s01 = n == 30 ? units[5].id : 0, t1 = n == 30 ? units[6].id : 0, root = n ? units[0].id : 0;
	int64_t hr = n == 30 ? units[1].id : 0, s02 = n == 30 ? units[8].id : 0;
	org_units_free(units, n);
	org_units_free(NULL, 0);

	CHECK_INT(org_units_list(db, s01, &units, &n), GS_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(units[0].code, "QH-S01");
		CHECK_INT(units[0].depth, 1);
		CHECK_STR(units[2].code, "QH-S01-T2");
		CHECK_INT(units[2].depth, 2);
	}
	org_units_free(units, n);
	CHECK_INT(org_units_list(db, t1, &units, &n), GS_OK);
	CHECK_INT(n, 1);
	org_units_free(units, n);
	CHECK_INT(org_units_list(db, 99999, &units, &n), GS_OK);
	CHECK_INT(n, 0);
	CHECK(units == NULL);
	CHECK_INT(org_units_list(db, root, &units, &n), GS_OK);
	CHECK_INT(n, 30);
	org_units_free(units, n);

	struct org_unit u;
	CHECK_INT(org_unit_get(db, "QH-S03-T1", &u), GS_OK);
	CHECK_STR(u.code, "QH-S03-T1");
	CHECK_STR(u.parent_code, "QH-S03");
	CHECK_INT(u.depth, 2);
	org_unit_clear(&u);
	CHECK_INT(org_unit_get(db, "QH", &u), GS_OK);
	CHECK_INT(u.depth, 0);
	CHECK_STR(u.kind, "company");
	CHECK_STR(u.name, "青禾县供电公司");
	org_unit_clear(&u);
	CHECK_INT(org_unit_get(db, "QH-NOPE", &u), GS_ERR_NOT_FOUND);
	CHECK(u.code == NULL);
	org_unit_clear(NULL);

	CHECK_INT(org_unit_within(db, t1, root), 1);
	CHECK_INT(org_unit_within(db, t1, s01), 1);
	CHECK_INT(org_unit_within(db, s01, s01), 1);
	CHECK_INT(org_unit_within(db, s01, t1), 0);
	CHECK_INT(org_unit_within(db, t1, s02), 0);
	CHECK_INT(org_unit_within(db, hr, s01), 0);
	CHECK_INT(org_unit_within(db, 99999, root), 0);
	CHECK_INT(org_unit_within(db, 99999, 99999), 0);

	struct org_hall *halls = NULL;
	CHECK_INT(org_halls_list(db, 0, &halls, &n), GS_OK);
	CHECK_INT(n, 15);
	if (n == 15) {
		CHECK_STR(halls[0].code, "QH-H01");
		CHECK_INT(halls[0].active, 1);
		CHECK_STR(halls[14].code, "QH-H15"); /* the closed one, last */
		CHECK_INT(halls[14].active, 0);
		CHECK_STR(halls[0].station_code, "QH-S01");
		CHECK_STR(halls[0].station_name, "城关供电所");
		CHECK_INT(halls[0].key_version, 1);
		CHECK(halls[0].address != NULL);
		CHECK_STR(halls[0].name_en, "Chengguan Service Hall");
	}
	org_halls_free(halls, n);
	CHECK_INT(org_halls_list(db, root, &halls, &n), GS_OK);
	CHECK_INT(n, 15);
	org_halls_free(halls, n);
	CHECK_INT(org_halls_list(db, s01, &halls, &n), GS_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(halls[0].code, "QH-H01");
		CHECK_STR(halls[1].code, "QH-H02");
	}
	org_halls_free(halls, n);
	CHECK_INT(org_halls_list(db, t1, &halls, &n), GS_OK);
	CHECK_INT(n, 0);
	org_halls_free(halls, n);
	CHECK_INT(org_halls_list(db, hr, &halls, &n), GS_OK);
	CHECK_INT(n, 0);
	org_halls_free(halls, n);
	org_halls_free(NULL, 0);

	struct org_hall h;
	CHECK_INT(org_hall_get(db, "QH-H01", &h), GS_OK);
	CHECK_STR(h.station_code, "QH-S01");
	struct org_hours *hours = NULL;
	CHECK_INT(org_hall_hours(db, h.id, &hours, &n), GS_OK);
	CHECK_INT(n, 11);
	if (n == 11) {
		CHECK_INT(hours[0].weekday, 1);
		CHECK_STR(hours[0].opens, "08:30");
		CHECK_STR(hours[0].closes, "12:00");
		CHECK_STR(hours[1].opens, "14:00");
		CHECK_STR(hours[1].closes, "17:30");
		CHECK_INT(hours[10].weekday, 6);
		CHECK_STR(hours[10].opens, "09:00");
	}
	free(hours);
	org_hall_clear(&h);
	CHECK_INT(org_hall_get(db, "QH-H99", &h), GS_ERR_NOT_FOUND);
	CHECK_INT(org_hall_get(db, "QH-S01", &h), GS_ERR_NOT_FOUND);

	struct org_leader *l = NULL;
	struct org_unit mkt;
	CHECK_INT(org_unit_get(db, "QH-MKT", &mkt), GS_OK);
	CHECK_INT(org_leaders_of_unit(db, mkt.id, &l, &n), GS_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(l[0].kind, "head");
		CHECK_STR(l[0].person_name, "孙强");
		CHECK_STR(l[0].title, "主任");
		CHECK_STR(l[0].unit_code, "QH-MKT");
		CHECK_STR(l[0].unit_name, "营销部");
		CHECK_STR(l[1].kind, "deputy");
		CHECK_STR(l[2].kind, "supervises");
		CHECK_STR(l[2].person_code, "QH-P02");
		CHECK_STR(l[2].title, "副总经理");
	}
	org_leaders_free(l, n);
	org_unit_clear(&mkt);
	CHECK_INT(org_leaders_of_unit(db, root, &l, &n), GS_OK);
	CHECK_INT(n, 18);
	if (n == 18) {
		CHECK_STR(l[0].kind, "head");
		CHECK_STR(l[0].person_name, "王建国");
		CHECK_STR(l[1].kind, "deputy");
		CHECK_STR(l[3].kind, "deputy");
		CHECK_STR(l[4].kind, "supervises");
		CHECK_STR(l[4].unit_code, "QH-MKT");
		CHECK_STR(l[8].kind, "liaises");
		CHECK_STR(l[8].unit_code, "QH-S01");
		CHECK_STR(l[17].unit_code, "QH-S10");
	}
	org_leaders_free(l, n);
	CHECK_INT(org_leaders_of_unit(db, t1, &l, &n), GS_OK);
	CHECK_INT(n, 1);
	org_leaders_free(l, n);
	CHECK_INT(org_leaders_of_unit(db, 99999, &l, &n), GS_OK);
	CHECK_INT(n, 0);
	org_leaders_free(l, n);
	org_leaders_free(NULL, 0);
	free(rep);
	db_close(db);
}

/* A big county: nothing in the loader or the tree query may be quadratic. */
static void test_large(void)
{
	struct db *db = open_memory();
	struct buf b;
	buf_init(&b, ORG_MAX_FILE);
	buf_puts(&b, "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"C\" kind=\"company\" name=\"c\"/>\n");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b,
		           "<unit code=\"S%04d\" kind=\"station\" parent=\"C\" name=\"s\"/>"
		           "<unit code=\"S%04d-T\" kind=\"team\" parent=\"S%04d\" name=\"t\"/>\n",
		           i, i, i);
	buf_puts(&b, "</units><halls>\n");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b,
		           "<hall code=\"H%04d\" station=\"S%04d\" name=\"h\"><hours day=\"mon\" opens=\"08:00\" "
		           "closes=\"12:00\"/></hall>\n",
		           i, i);
	buf_puts(&b, "</halls><people>\n");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b,
		           "<person code=\"P%04d\" unit=\"S%04d\" name=\"p\"><head unit=\"S%04d\"/>"
		           "<liaises unit=\"S%04d-T\"/></person>\n",
		           i, i, i, (i * 7) % 3000);
	buf_puts(&b, "</people></org>\n");
	CHECK(!b.failed);
	struct org_load_report *rep = xcalloc(1, sizeof *rep);
	int64_t t0 = util_monotonic_us();
	CHECK_INT(org_load_memory(db, "large", b.data, b.len, rep), GS_OK);
	CHECK_INT(rep->units_created, 6001);
	CHECK_INT(rep->halls_created, 3000);
	CHECK_INT(rep->people_created, 3000);
	CHECK_INT(rep->links_changed, 6000);
	b.data[b.len - 1] = ' '; /* same content, other bytes */
	CHECK_INT(org_load_memory(db, "large", b.data, b.len, rep), GS_OK);
	CHECK_INT(rep->unchanged, 12001);
	struct org_unit *units = NULL;
	size_t n = 0;
	CHECK_INT(org_units_list(db, 0, &units, &n), GS_OK);
	CHECK_INT(n, 6001);
	if (n == 6001) {
		CHECK_STR(units[1].code, "S0000");
		CHECK_STR(units[2].code, "S0000-T");
		CHECK_STR(units[6000].code, "S2999-T");
	}
	org_units_free(units, n);
	/* Timing is for benchmarks, not tests (a loaded CI machine under ASan is slow);
	 * the time is printed for whoever reads the log. */
	int64_t ms = (util_monotonic_us() - t0) / 1000;
	fprintf(stderr, "test_org: the large county took %lld ms\n", (long long)ms);
	buf_free(&b);
	free(rep);
	db_close(db);
}

/* The field an org change's first error is beside ("" if none). */
static const char *first_field(const struct org_change_report *rep)
{
	return rep->n_errors ? rep->errors[0].field : "";
}

static const char *CHANGE_ORG =
    "<org xmlns=\"urn:gridscore:org:1\"><units>"
    "<unit code=\"C\" kind=\"company\" name=\"公司\"/>"
    "<unit code=\"C-D\" kind=\"department\" parent=\"C\" name=\"部\"/>"
    "<unit code=\"C-S1\" kind=\"station\" parent=\"C\" name=\"一所\" name-en=\"Station One\"/>"
    "<unit code=\"C-S1-T\" kind=\"team\" parent=\"C-S1\" name=\"班\"/>"
    "</units><halls><hall code=\"C-H1\" station=\"C-S1\" name=\"厅\"><hours day=\"mon\" opens=\"08:00\" "
    "closes=\"12:00\"/></hall></halls>"
    "<people><person code=\"P1\" unit=\"C\" name=\"甲\"><head unit=\"C\"/></person></people></org>";

static void test_changes(void)
{
	struct db *db = open_memory();
	struct org_load_report *lr = xcalloc(1, sizeof *lr);
	struct org_change_report rep;
	CHECK_INT(load_str(db, CHANGE_ORG, lr), GS_OK);

	/* halls: formats first, then the loader's rules; nothing written when refused */
	struct org_hall_change h = {.code = "C-H2", .station = "C-S1", .name = "二厅", .active = 1};
	h.hours[0] = "08:00-12:00 bad";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "hours-mon");
	CHECK_STR(rep.errors[0].message, "'bad' is not an interval HH:MM-HH:MM");
	h.hours[0] = "08:00-12:00";
	h.hours[2] = "25:00-26:00";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "hours-wed");
	h.hours[2] = "13:00-12:00";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "hours-wed");
	CHECK_STR(rep.errors[0].message, "hall 'C-H2': on wed it opens at 13:00 but closes at 12:00");
	h.hours[2] = NULL;
	h.station = "C-S1-T";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "station");
	CHECK_STR(rep.errors[0].message, "hall 'C-H2': 'C-S1-T' is a team, not a station");
	h.station = "C-S1";
	h.name = "   ";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "name");
	h.name = "二厅\n";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "name");
	h.name = "\xff\xfe";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(rep.errors[0].message, "the text is not valid UTF-8");
	char long_name[400];
	memset(long_name, 0, sizeof long_name);
	for (int i = 0; i < 101; i++)
		memcpy(long_name + 3 * i, "厅", 3); /* 101 characters, 303 bytes */
	h.name = long_name;
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(rep.errors[0].message, "at most 100 characters, this has 101");
	long_name[300] = '\0'; /* 100 characters: fine */
	h.name = long_name;
	h.code = "C-D";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "code");
	h.code = "C-H1";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_ERR_CONFLICT);
	h.code = "C-H9";
	CHECK_INT(org_hall_save(db, &h, 0, "t", &rep), GS_ERR_NOT_FOUND);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM halls"), 1);
	long loads = count_rows(db, "SELECT count(*) FROM org_loads");
	h.code = "C-H2";
	h.hours[5] = "14:00-17:00;09:00-12:00";
	CHECK_INT(org_hall_save(db, &h, 1, "t", &rep), GS_OK);
	CHECK_INT(rep.n_errors, 0);
	CHECK_INT(count_rows(db, "SELECT count(*) FROM org_loads"), loads + 1);
	CHECK_STR(text_of(db, "SELECT file_name FROM org_loads ORDER BY id DESC LIMIT 1"), "admin page (t)");
	struct org_hall got;
	CHECK_INT(org_hall_get(db, "C-H2", &got), GS_OK);
	CHECK_STR(got.station_name_en, "Station One");
	CHECK_INT((long)strlen(got.name), 300);
	struct org_hours *hours = NULL;
	size_t nh = 0;
	char text[64];
	CHECK_INT(org_hall_hours(db, got.id, &hours, &nh), GS_OK);
	CHECK_INT((long)nh, 3);
	org_hours_text(hours, nh, 6, text, sizeof text);
	CHECK_STR(text, "09:00-12:00 14:00-17:00");
	org_hours_text(hours, nh, 7, text, sizeof text);
	CHECK_STR(text, "");
	free(hours);
	org_hall_clear(&got);
	/* an update keeps the key version, replaces the hours */
	CHECK_INT(count_rows(db, "UPDATE halls SET key_version = 3 WHERE code = 'C-H2' RETURNING 1"), 1);
	struct org_hall_change h2 = {.code = "C-H2", .station = "C-S1", .name = "二厅", .active = 0};
	CHECK_INT(org_hall_save(db, &h2, 0, "t", &rep), GS_OK);
	CHECK_STR(text_of(db, "SELECT key_version || active || (SELECT count(*) FROM hall_hours WHERE hall_id = h.id) "
			      "FROM halls h WHERE code = 'C-H2'"),
		  "300");

	/* units: the tree rules */
	struct org_unit_change u = {.code = "C-S2", .kind = "station", .parent = "C-D", .name = "二所"};
	CHECK_INT(org_unit_save(db, &u, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "parent");
	u.parent = "C-X";
	CHECK_INT(org_unit_save(db, &u, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(rep.errors[0].message, "unit 'C-S2': parent 'C-X' is not defined");
	u.parent = NULL;
	CHECK_INT(org_unit_save(db, &u, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "parent");
	u.kind = "company";
	CHECK_INT(org_unit_save(db, &u, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "kind");
	u.kind = "depot";
	u.code = "-x";
	CHECK_INT(org_unit_save(db, &u, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_INT((long)rep.n_errors, 2);
	CHECK_STR(rep.errors[0].field, "code");
	CHECK_STR(rep.errors[1].field, "kind");
	struct org_unit_change team = {.code = "C-S1", .kind = "team", .parent = "C-S1-T", .name = "x"};
	CHECK_INT(org_unit_save(db, &team, 0, "t", &rep), GS_ERR_INVALID);
	int cycle = 0, hall_kept = 0;
	for (size_t i = 0; i < rep.n_errors; i++) {
		cycle |= strstr(rep.errors[i].message, "cycle") != NULL && strcmp(rep.errors[i].field, "parent") == 0;
		hall_kept |= strstr(rep.errors[i].message, "stored hall") != NULL && strcmp(rep.errors[i].field, "kind") == 0;
	}
	CHECK(cycle);
	CHECK(hall_kept);
	CHECK_STR(text_of(db, "SELECT kind FROM units WHERE code = 'C-S1'"), "station");
	struct org_unit_change ok = {.code = "C-S2", .kind = "station", .parent = "C", .name = "二所", .name_en = ""};
	CHECK_INT(org_unit_save(db, &ok, 1, "t", &rep), GS_OK);
	struct org_unit_change mv = {.code = "C-S1-T", .kind = "team", .parent = "C-S2", .name = "班"};
	CHECK_INT(org_unit_save(db, &mv, 0, "t", &rep), GS_OK);
	CHECK_STR(text_of(db, "SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'C-S1-T'"),
		  "C-S2");
	CHECK_INT(count_rows(db, "SELECT count(*) FROM units WHERE code = 'C-S2' AND name_en IS NULL"), 1);

	/* people and links */
	struct org_person_change p = {.code = "P2", .unit = "C-X", .name = "乙"};
	CHECK_INT(org_person_save(db, &p, 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "unit");
	p.unit = "C-S2";
	p.title = "所长";
	CHECK_INT(org_person_save(db, &p, 1, "t", &rep), GS_OK);
	CHECK_INT(org_person_link(db, "P2", "head", "C-S2", 1, "t", &rep), GS_OK);
	CHECK_INT(org_person_link(db, "P2", "liaises", "C-D", 1, "t", &rep), GS_OK);
	CHECK_INT(org_person_link(db, "P2", "head", "C-S2", 1, "t", &rep), GS_ERR_CONFLICT);
	CHECK_STR(first_field(&rep), "link_unit");
	CHECK_INT(org_person_link(db, "P2", "boss", "C-S2", 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "link_kind");
	CHECK_INT(org_person_link(db, "P2", "deputy", "C-X", 1, "t", &rep), GS_ERR_INVALID);
	CHECK_STR(first_field(&rep), "link_unit");
	CHECK_INT(org_person_link(db, "P9", "head", "C", 1, "t", &rep), GS_ERR_NOT_FOUND);
	CHECK_INT(org_person_link(db, "P2", "deputy", "C", 0, "t", &rep), GS_ERR_NOT_FOUND);
	p.title = NULL;
	p.unit = "C";
	CHECK_INT(org_person_save(db, &p, 0, "t", &rep), GS_OK); /* links kept */
	struct org_person got_p;
	CHECK_INT(org_person_get(db, "P2", &got_p), GS_OK);
	CHECK_STR(got_p.unit_code, "C");
	CHECK(got_p.title == NULL);
	CHECK_INT((long)got_p.n_links, 2);
	if (got_p.n_links == 2) {
		CHECK_STR(got_p.links[0].kind, "head");
		CHECK_STR(got_p.links[1].kind, "liaises");
		CHECK_STR(got_p.links[1].unit_code, "C-D");
	}
	org_person_clear(&got_p);
	CHECK_INT(org_person_link(db, "P2", "head", "C-S2", 0, "t", &rep), GS_OK);
	struct org_person *people = NULL;
	size_t np = 0;
	CHECK_INT(org_people_list(db, &people, &np), GS_OK);
	CHECK_INT((long)np, 2);
	if (np == 2) {
		CHECK_STR(people[0].code, "P1");
		CHECK_INT((long)people[0].n_links, 1);
		CHECK_STR(people[1].code, "P2");
		CHECK_INT((long)people[1].n_links, 1);
	}
	org_people_free(people, np);
	CHECK_INT(org_person_get(db, "P9", &got_p), GS_ERR_NOT_FOUND);

	/* the same file loaded again is applied again, not "already loaded" */
	CHECK_INT(load_str(db, CHANGE_ORG, lr), GS_OK);
	CHECK_INT(lr->already_loaded, 0);
	CHECK_STR(text_of(db, "SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'C-S1-T'"),
		  "C-S1");
	CHECK_INT(count_rows(db, "SELECT count(*) FROM halls"), 2);
	free(lr);
	db_close(db);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_http_fixture();
	test_demo_and_idempotence();
	test_update();
	test_encoding();
	test_all_or_nothing();
	test_duplicates();
	test_bad_references();
	test_tree_rules();
	test_hours();
	test_schema();
	test_hostile();
	test_error_cap();
	test_against_stored();
	test_queries();
	test_large();
	test_changes();
	return check_finish("test_org");
}
