/* test_db.c — migrations on an in-memory database, pragmas, the statement cache,
 * refusal of a database newer than the binary, and online backup. */
#include <stdio.h>
#include <stdlib.h>
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

int main(void)
{
	log_set_level(LOG_ERROR);
	test_memory_migrate();
	test_file_pragmas_and_newer();
	test_begin_rollback();
	return check_finish("test_db");
}
