/* test_db.c — migrations on an in-memory database, pragmas, the statement cache,
 * refusal of a database newer than the binary, and online backup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "util.h"

static void test_memory_migrate(void)
{
	struct db *db = NULL;
	char err[256];
	CHECK_INT(db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, err, sizeof err), GS_OK);
	CHECK(db != NULL);
	CHECK_INT(db_schema_version(db), db_schema_latest());
	CHECK(db_schema_latest() >= 1);
	/* migrating again is a no-op */
	int from = -1, to = -1;
	CHECK_INT(db_migrate(db, &from, &to), GS_OK);
	CHECK_INT(from, db_schema_latest());
	CHECK_INT(to, db_schema_latest());
	/* foreign keys are enforced */
	CHECK(db_exec(db, "INSERT INTO units(code,name,kind,parent_id) VALUES('x','x','station',999)") != GS_OK);
	/* STRICT tables refuse wrong types */
	CHECK(db_exec(db, "INSERT INTO units(code,name,kind,sort) VALUES('c','c','company','abc')") != GS_OK);
	/* the statement cache hands back the same statement */
	sqlite3_stmt *a = db_stmt(db, "SELECT count(*) FROM units");
	sqlite3_stmt *b = db_stmt(db, "SELECT count(*) FROM units");
	CHECK(a != NULL && a == b);
	CHECK(db_stmt(db, "SELECT nonsense FROM nowhere") == NULL);
	db_close(db);
	db_close(NULL);
}

static void test_file_pragmas_and_newer(void)
{
	const char *tmp = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	char path[512], bak[600];
	snprintf(path, sizeof path, "%s/test_db_%d/sub/g.db", tmp, (int)getpid());
	snprintf(bak, sizeof bak, "%s.bak", path);
	/* a file left by an earlier run under the same pid must not change the outcome */
	static const char *const ext[] = {"", "-wal", "-shm", ".bak"};
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		char f[620];
		snprintf(f, sizeof f, "%s%s", path, ext[i]);
		unlink(f);
	}
	struct db *db = NULL;
	char err[512];
	/* without DB_CREATE a missing file is an error that says what to do */
	CHECK_INT(db_open(path, 0, &db, err, sizeof err), GS_ERR_NOT_FOUND);
	CHECK_CONTAINS(err, "gridscore init");
	CHECK_INT(db_open(path, DB_CREATE | DB_MIGRATE, &db, err, sizeof err), GS_OK);
	sqlite3_stmt *st = db_stmt(db, "PRAGMA journal_mode");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
	st = db_stmt(db, "PRAGMA synchronous");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(st, 0), 1); /* NORMAL */
	st = db_stmt(db, "PRAGMA foreign_keys");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(st, 0), 1);
	CHECK_INT(db_exec(db, "INSERT INTO units(code,name,kind) VALUES('C','C','company')"), GS_OK);
	CHECK_INT(db_backup(db, bak, err, sizeof err), GS_OK);
	/* pretend a newer binary migrated the file */
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", db_schema_latest() + 1);
	CHECK_INT(db_exec(db, pragma), GS_OK);
	db_close(db);
	db = NULL;
	CHECK_INT(db_open(path, DB_MIGRATE, &db, err, sizeof err), GS_ERR_VERSION);
	CHECK(db == NULL);
	CHECK_CONTAINS(err, "newer gridscore");
	/* the backup opens, is current and holds the row */
	CHECK_INT(db_open(bak, 0, &db, err, sizeof err), GS_OK);
	st = db ? db_stmt(db, "SELECT count(*) FROM units WHERE code='C'") : NULL;
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
	st = db ? db_stmt(db, "PRAGMA integrity_check") : NULL;
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR(st ? (const char *)sqlite3_column_text(st, 0) : NULL, "ok");
	db_close(db);
}

static void test_begin_rollback(void)
{
	struct db *db = NULL;
	CHECK_INT(db_open(NULL, DB_MEMORY | DB_MIGRATE, &db, NULL, 0), GS_OK);
	CHECK_INT(db_begin(db), GS_OK);
	CHECK_INT(db_exec(db, "INSERT INTO units(code,name,kind) VALUES('C','C','company')"), GS_OK);
	db_rollback(db);
	db_rollback(db); /* safe twice */
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM units");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
	db_close(db);
}

/* Runs the embedded migrations 1..upto on a raw connection, as an older binary did. */
static int apply_upto(sqlite3 *h, int upto)
{
	for (int v = 1; v <= upto; v++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "migrations/%03d_", v);
		const struct embed_file *m = NULL;
		for (size_t i = 0; i < embed_files_count; i++)
			if (strncmp(embed_files[i].name, prefix, strlen(prefix)) == 0)
				m = &embed_files[i];
		if (!m || sqlite3_exec(h, (const char *)m->data, NULL, NULL, NULL) != SQLITE_OK)
			return 0;
	}
	char pragma[48];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", upto);
	return sqlite3_exec(h, pragma, NULL, NULL, NULL) == SQLITE_OK;
}

static int64_t count_of(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	if (st)
		sqlite3_reset(st);
	return n;
}

/* Migration 007 rebuilds survey_responses (ticket_id unique only where set) under a
 * follow-up that refers to it: rows, ids and references survive, a ticket is still
 * answered once, and hall-code responses are no longer in the ticket index. A
 * migration that leaves a dangling reference is refused and rolled back. */
static void test_migrate_rebuild(void)
{
	const char *tmp = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	char path[512];
	snprintf(path, sizeof path, "%s/test_db_007_%d.db", tmp, (int)getpid());
	unlink(path);
	sqlite3 *h = NULL;
	CHECK_INT(sqlite3_open(path, &h), SQLITE_OK);
	CHECK(apply_upto(h, 4));
	static const char rows[] =
		"INSERT INTO units(id, code, name, kind) VALUES(1, 'C', 'C', 'company');"
		"INSERT INTO units(id, code, name, kind, parent_id) VALUES(2, 'S', 'S', 'station', 1);"
		"INSERT INTO halls(id, code, name, station_id) VALUES(1, 'H', 'H', 2);"
		"INSERT INTO survey_forms(id, form_id, version, sha256, source, loaded_at) VALUES(1, 'f', '1', 'x', 'x', 0);"
		"INSERT INTO survey_tickets(id, hall_id, token_hash, issued_at, expires_at, issued_by, used_at) "
		"VALUES(7, 1, x'01', 0, 9, 't', 1);"
		"INSERT INTO survey_responses(id, hall_id, form, submitted_at, day, hour, rating, satisfied, answers, verified, "
		"ticket_id, instance, client_hash) VALUES"
		"(10, 1, 1, 100, '2026-11-26', 9, 1, 0, '{}', 1, 7, 'i10', x'aa'),"
		"(11, 1, 1, 101, '2026-11-26', 9, 5, 1, '{}', 0, NULL, 'i11', NULL),"
		"(12, 1, 1, 102, '2026-11-26', 9, 4, 1, '{}', 0, NULL, 'i12', x'bb');"
		"INSERT INTO survey_followups(response_id, hall_id, opened_at, due_at) VALUES(10, 1, 100, 200);";
	CHECK_INT(sqlite3_exec(h, rows, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	struct db *db = NULL;
	char err[512];
	CHECK_INT(db_open(path, DB_MIGRATE, &db, err, sizeof err), GS_OK);
	if (!db)
		return;
	CHECK_INT(db_schema_version(db), db_schema_latest());
	CHECK_INT(count_of(db, "SELECT count(*) FROM survey_responses"), 3);
	CHECK_INT(count_of(db, "SELECT sum(id) FROM survey_responses WHERE instance IN ('i10', 'i11', 'i12')"), 33);
	CHECK_INT(count_of(db, "SELECT ticket_id FROM survey_responses WHERE id = 10"), 7);
	CHECK_INT(count_of(db, "SELECT count(*) FROM survey_followups f JOIN survey_responses r ON r.id = f.response_id"), 1);
	CHECK_INT(count_of(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'survey_responses_client'"), 0);
	CHECK_INT(count_of(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	CHECK_INT(count_of(db, "SELECT count(*) FROM pragma_index_list('survey_responses') WHERE \"unique\" AND partial"), 1);
	/* the partial index holds only the ticket response; one response per ticket */
	CHECK_INT(count_of(db, "SELECT count(*) FROM survey_responses INDEXED BY survey_responses_ticket "
			       "WHERE ticket_id IS NOT NULL"), 1);
	CHECK(db_exec(db, "INSERT INTO survey_responses(hall_id, form, submitted_at, day, hour, rating, satisfied, "
			  "answers, verified, ticket_id, instance) VALUES(1, 1, 103, '2026-11-26', 9, 3, 0, '{}', 1, 7, "
			  "'i13')") != GS_OK);
	CHECK_INT(db_exec(db, "INSERT INTO survey_responses(hall_id, form, submitted_at, day, hour, rating, satisfied, "
			      "answers, verified, instance) VALUES(1, 1, 103, '2026-11-26', 9, 3, 0, '{}', 0, 'i13')"),
		  GS_OK);
	/* foreign keys are on again after the migrations */
	CHECK(db_exec(db, "DELETE FROM survey_responses WHERE id = 10") != GS_OK);
	/* a migration that leaves a dangling reference is rolled back: the check before
	 * its commit refuses it */
	CHECK_INT(db_exec(db, "PRAGMA foreign_keys=OFF"), GS_OK);
	CHECK_INT(db_exec(db, "DELETE FROM survey_responses WHERE id = 10"), GS_OK);
	CHECK_INT(db_exec(db, "PRAGMA foreign_keys=ON; PRAGMA user_version=6"), GS_OK);
	int from = 0, to = 0;
	CHECK_INT(db_migrate(db, &from, &to), GS_ERR_CONFLICT);
	CHECK_INT(to, 6);
	CHECK_INT(db_schema_version(db), 6);
	CHECK_INT(count_of(db, "PRAGMA foreign_keys"), 1);
	db_close(db);
	unlink(path);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_memory_migrate();
	test_file_pragmas_and_newer();
	test_begin_rollback();
	test_migrate_rebuild();
	return check_finish("test_db");
}
