/* db.h — the storage layer: opening SQLite with the project's pragmas, applying the
 * embedded migrations (PRAGMA user_version), a per-connection cache of prepared
 * statements, write transactions (BEGIN IMMEDIATE) and online backup.
 * It knows no domain: modules own their SQL and pass it in. */
#ifndef GS_DB_H
#define GS_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "gs.h"

struct db;

enum db_flags {
	DB_CREATE = 1,  /* create the file (and its folder) if missing */
	DB_MIGRATE = 2, /* apply pending migrations on open */
	DB_MEMORY = 4   /* path is ignored: a private in-memory database (tests) */
};

/* Opens path with WAL, synchronous=NORMAL, foreign_keys=ON and a busy timeout.
 * Without DB_MIGRATE a database whose schema is not exactly the binary's is refused
 * (GS_ERR_VERSION, or GS_ERR_INVALID when it was never initialised); a database newer
 * than the binary is always refused with GS_ERR_VERSION. On failure *out is NULL and
 * err (if not NULL) holds a message for the user. The caller frees with db_close. */
enum gs_result db_open(const char *path, int flags, struct db **out, char *err, size_t errlen);

/* Closes the connection and finalizes cached statements. db_close(NULL) is a no-op. */
void db_close(struct db *db);

/* The newest schema version this binary knows, and the database's current one. */
int db_schema_latest(void);
int db_schema_version(struct db *db);

/* Applies pending migrations, each in its own transaction. *from and *to (may be NULL)
 * receive the versions before and after. GS_ERR_VERSION if the database is newer. */
enum gs_result db_migrate(struct db *db, int *from, int *to);

/* A number no other connection of this process has had: caches keyed by connection
 * use it, as a freed connection's address may come back. */
uint64_t db_serial(const struct db *db);

/* The raw handle, for sqlite3_* calls on statements obtained from db_stmt. */
sqlite3 *db_handle(struct db *db);

/* A prepared statement for sql, from this connection's cache (prepared on first use).
 * The statement is reset with bindings cleared and stays owned by the cache: do not
 * finalize it; it lives until db_close. The cache keeps the sql pointer, so sql must
 * live as long as the connection (a string literal; never formatted text that is freed).
 * Do not use the same SQL text twice at once (nested). NULL on a prepare error, which
 * is logged with the SQL. */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);

/* Runs sql (no results, no parameters), e.g. a PRAGMA. Logs on error. */
enum gs_result db_exec(struct db *db, const char *sql);

/* Write transactions. db_begin issues BEGIN IMMEDIATE (GS_ERR_BUSY when the busy
 * timeout runs out, GS_ERR_DB otherwise); db_commit commits; db_rollback rolls back
 * if a transaction is open and is safe to call after any failure. */
enum gs_result db_begin(struct db *db);
enum gs_result db_commit(struct db *db);
void db_rollback(struct db *db);

/* Maps an SQLite result code to a gs_result and logs the error with the statement's
 * expanded SQL (stmt may be NULL). Use after a failed sqlite3_step. */
enum gs_result db_fail(struct db *db, sqlite3_stmt *stmt, int rc);

/* Consistent online copy of the database into dest (overwritten), done in steps so
 * writers are not blocked for long. */
enum gs_result db_backup(struct db *db, const char *dest, char *err, size_t errlen);

/* Background checkpoints. Normally a commit that leaves the WAL over 1000 pages
 * checkpoints it (SQLite's autocheckpoint), inside the request that committed. While
 * db_checkpoints_deferred(1) is in force (a server's maintenance thread), commits of
 * this process leave that to db_checkpoint_background and checkpoint themselves only
 * when the WAL passed a hard cap of 16384 pages (RESTART, holding writers back, so the
 * WAL stays bounded). Calls nest: each db_checkpoints_deferred(1) needs a (0). */
void db_checkpoints_deferred(int on);
/* A PASSIVE checkpoint on db if a commit of this process left the WAL over 1000 pages
 * (never blocks writers). *checkpointed says if one ran to the end. */
enum gs_result db_checkpoint_background(struct db *db, int *checkpointed);

/* Checkpoints the WAL into the main file (used at shutdown). */
enum gs_result db_checkpoint(struct db *db);

/* Helper: steps a statement whose rows are not wanted (an INSERT, UPDATE, SAVEPOINT)
 * once and resets it: GS_OK on SQLITE_DONE or SQLITE_ROW, else the error of db_fail
 * (logged with the statement's SQL). */
enum gs_result db_step_done(struct db *db, sqlite3_stmt *stmt);

/* Helper: 1 if sqlite3_step returned SQLITE_ROW, 0 if SQLITE_DONE, -1 on error (logged). */
int db_step_row(struct db *db, sqlite3_stmt *stmt);

/* Copies column i as a fresh string (NULL for SQL NULL). Caller frees. */
char *db_column_strdup(sqlite3_stmt *stmt, int i);

#endif
