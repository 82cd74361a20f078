/* db.c — SQLite connection setup, embedded migrations and the statement cache.
 * One struct db per thread: connections are never shared between threads. */
#define _GNU_SOURCE
#include "db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util.h"

#define DB_BUSY_TIMEOUT_MS 5000
/* WAL sizes in pages (4 KiB): where a commit checkpoints by itself (SQLite's default
 * autocheckpoint), and the hard cap while a background thread checkpoints instead. */
#define DB_WAL_CHECKPOINT 1000
#define DB_WAL_CAP 16384
#define DB_STMT_SLOTS 512 /* open-addressed cache: the project has ~190 call sites of db_stmt */

struct db_cached {
	const char *sql; /* borrowed: callers pass string literals */
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *h;
	uint64_t serial;
	int holds_write_lock;
	struct db_cached cache[DB_STMT_SLOTS];
};

static const char migration_prefix[] = "migrations/";

/* Checkpoints of this process: the WAL size the last commit saw, and how many
 * background checkpointers are running (db_checkpoints_deferred). */
static _Atomic int db_wal_pages;
static _Atomic int db_deferred;

/* After every commit (with the write lock released). Without a background thread this
 * is SQLite's autocheckpoint; with one, a request only checkpoints when the WAL passed
 * the cap, and then in RESTART mode so the WAL starts again from its beginning: the
 * committing thread still holds the in-process write mutex, so writers of this process
 * wait meanwhile and the WAL cannot grow without bound. */
static int db_wal_hook(void *ctx, sqlite3 *h, const char *name, int pages)
{
	(void)ctx;
	db_wal_pages = pages;
	if (db_deferred > 0) {
		if (pages >= DB_WAL_CAP)
			sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	} else if (pages >= DB_WAL_CHECKPOINT) {
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	return SQLITE_OK;
}

void db_checkpoints_deferred(int on)
{
	db_deferred += on ? 1 : -1;
}

enum gs_result db_checkpoint_background(struct db *db, int *checkpointed)
{
	*checkpointed = 0;
	if (db_wal_pages < DB_WAL_CHECKPOINT)
		return GS_OK;
	int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return db_fail(db, NULL, rc);
	*checkpointed = rc == SQLITE_OK;
	if (rc == SQLITE_OK)
		db_wal_pages = 0; /* until the next commit says otherwise */
	return GS_OK;
}

/* Version number of an embedded migration ("migrations/007_x.sql" → 7), 0 if not one. */
static int migration_version(const struct embed_file *f)
{
	size_t n = sizeof migration_prefix - 1;
	if (strncmp(f->name, migration_prefix, n) != 0)
		return 0;
	const char *p = f->name + n;
	int v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	size_t len = strlen(f->name);
	if (*p != '_' || len < 4 || strcmp(f->name + len - 4, ".sql") != 0)
		return 0;
	return v;
}

int db_schema_latest(void)
{
	int latest = 0;
	for (size_t i = 0; i < embed_files_count; i++) {
		int v = migration_version(&embed_files[i]);
		if (v > latest)
			latest = v;
	}
	return latest;
}

static const struct embed_file *migration_find(int version)
{
	for (size_t i = 0; i < embed_files_count; i++)
		if (migration_version(&embed_files[i]) == version)
			return &embed_files[i];
	return NULL;
}

uint64_t db_serial(const struct db *db)
{
	return db->serial;
}

sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

enum gs_result db_fail(struct db *db, sqlite3_stmt *stmt, int rc)
{
	char *sql = stmt ? sqlite3_expanded_sql(stmt) : NULL;
	log_error("sqlite: %s (%d)%s%s", sqlite3_errmsg(db->h), rc, sql ? " in: " : "", sql ? sql : "");
	sqlite3_free(sql);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return GS_ERR_BUSY;
	case SQLITE_CONSTRAINT:
		return GS_ERR_CONFLICT;
	case SQLITE_TOOBIG:
		return GS_ERR_TOO_LARGE;
	default:
		return GS_ERR_DB;
	}
}

enum gs_result db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return GS_OK;
	log_error("sqlite: %s in: %.200s", msg ? msg : sqlite3_errstr(rc), sql);
	sqlite3_free(msg);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return GS_ERR_BUSY;
	default:
		return GS_ERR_DB;
	}
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "PRAGMA user_version");
	int v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

/* GS_ERR_CONFLICT (logged with the first offending row) if a row refers to a missing
 * parent: what PRAGMA foreign_keys=ON would have refused during a migration. */
static enum gs_result db_foreign_keys_intact(struct db *db)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->h, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK) {
		log_error("sqlite: %s in: PRAGMA foreign_key_check", sqlite3_errmsg(db->h));
		return GS_ERR_DB;
	}
	int rc = sqlite3_step(st);
	enum gs_result r = GS_OK;
	if (rc == SQLITE_ROW) {
		log_error("migration: a row of %s (rowid %lld) refers to a missing row of %s",
			  (const char *)sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1),
			  (const char *)sqlite3_column_text(st, 2));
		r = GS_ERR_CONFLICT;
	} else if (rc != SQLITE_DONE) {
		r = db_fail(db, st, rc);
	}
	sqlite3_finalize(st);
	return r;
}

enum gs_result db_migrate(struct db *db, int *from, int *to)
{
	int cur = db_schema_version(db), latest = db_schema_latest();
	if (from)
		*from = cur;
	if (to)
		*to = cur;
	if (cur < 0)
		return GS_ERR_DB;
	if (cur > latest)
		return GS_ERR_VERSION;
	for (int v = cur + 1; v <= latest; v++) {
		const struct embed_file *m = migration_find(v);
		if (!m) {
			log_error("migration %d is missing from this build", v);
			return GS_ERR_INTERNAL;
		}
		/* Foreign keys are off while a migration runs (SQLite's way to rebuild a table
		 * other tables refer to: create, copy, drop, rename) and checked as a whole
		 * before its commit. The pragma has no effect inside a transaction. */
		enum gs_result r = db_exec(db, "PRAGMA foreign_keys=OFF");
		if (r == GS_OK)
			r = db_begin(db);
		if (r != GS_OK) {
			db_exec(db, "PRAGMA foreign_keys=ON");
			return r;
		}
		r = db_exec(db, (const char *)m->data);
		if (r == GS_OK)
			r = db_foreign_keys_intact(db);
		if (r == GS_OK) {
			char pragma[64];
			snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v);
			r = db_exec(db, pragma);
		}
		if (r == GS_OK)
			r = db_commit(db);
		if (r != GS_OK)
			db_rollback(db);
		enum gs_result fk = db_exec(db, "PRAGMA foreign_keys=ON");
		if (r != GS_OK) {
			log_error("migration %s failed; the database stays at version %d", m->name, v - 1);
			return r;
		}
		if (fk != GS_OK)
			return fk;
		if (to)
			*to = v;
	}
	return GS_OK;
}

/* 1 if the database file or its folder cannot be written (a read-only mount, or
 * permissions): WAL needs both, and the user deserves that reason rather than SQLite's
 * "unable to open database file". */
static int db_storage_readonly(const char *path)
{
	struct statvfs vfs;
	if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return 1;
	char folder[4096];
	snprintf(folder, sizeof folder, "%s", path);
	char *slash = strrchr(folder, '/');
	if (slash)
		*(slash == folder ? slash + 1 : slash) = '\0';
	else
		snprintf(folder, sizeof folder, ".");
	return access(path, W_OK) != 0 || access(folder, W_OK) != 0;
}

/* SQLite's allocation statistics take a process-wide mutex around every malloc and free
 * (SQLITE_DEFAULT_MEMSTATUS); nothing here reads them (sqlite3_memory_used, soft heap
 * limit). Off before SQLite initializes: ~3 % of the meter import's writing thread. */
static void db_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum gs_result db_open(const char *path, int flags, struct db **out, char *err, size_t errlen)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	pthread_once(&configured, db_configure);
	*out = NULL;
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	const char *target = path;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (flags & DB_MEMORY) {
		target = ":memory:";
		oflags |= SQLITE_OPEN_CREATE;
	} else if (flags & DB_CREATE) {
		oflags |= SQLITE_OPEN_CREATE;
		if (util_mkdir_parent(path) != GS_OK) {
			snprintf(err, errlen, "%s: cannot create the folder for the database", path);
			return GS_ERR_IO;
		}
	} else if (access(path, F_OK) != 0) {
		snprintf(err, errlen, "%s: no database here; run 'gridscore init' first", path);
		return GS_ERR_NOT_FOUND;
	}
	static _Atomic uint64_t next_serial = 1;
	struct db *db = xcalloc(1, sizeof *db);
	db->serial = next_serial++;
	int rc = sqlite3_open_v2(target, &db->h, oflags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open database: %s", path, db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return GS_ERR_IO;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	sqlite3_wal_hook(db->h, db_wal_hook, NULL);
	/* Debian builds SQLite with synchronous=FULL as the WAL default; NORMAL is durable
	 * against application crashes and keeps commits cheap. */
	static const char setup[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
				    "PRAGMA trusted_schema=OFF;";
	enum gs_result r = db_exec(db, setup);
	if (r != GS_OK && !(flags & DB_MEMORY) && db_storage_readonly(path)) {
		snprintf(err, errlen, "%s: the database is on read-only storage (or not writable by this user); "
			 "gridscore needs to write there", path);
		db_close(db);
		return GS_ERR_IO;
	}
	if (r != GS_OK) {
		snprintf(err, errlen, "%s: not a usable SQLite database: %s", path, sqlite3_errmsg(db->h));
		db_close(db);
		return r == GS_ERR_BUSY ? r : GS_ERR_IO;
	}
	int cur = db_schema_version(db), latest = db_schema_latest();
	if (cur > latest) {
		snprintf(err, errlen,
			 "%s: the database has schema version %d but this gridscore knows only up to %d; "
			 "use a newer gridscore",
			 path, cur, latest);
		db_close(db);
		return GS_ERR_VERSION;
	}
	if (flags & DB_MIGRATE) {
		r = db_migrate(db, NULL, NULL);
		if (r != GS_OK) {
			snprintf(err, errlen, "%s: migration failed (%s)", path, gs_result_str(r));
			db_close(db);
			return r;
		}
	} else if (cur < latest) {
		if (cur == 0)
			snprintf(err, errlen, "%s: the database is empty; run 'gridscore init' first", path);
		else
			snprintf(err, errlen, "%s: the database has schema version %d, this gridscore needs %d; run 'gridscore init' to migrate", path, cur, latest);
		db_close(db);
		return cur == 0 ? GS_ERR_INVALID : GS_ERR_VERSION;
	}
	*out = db;
	return GS_OK;
}

static void db_release(struct db *db);

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->holds_write_lock) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		db_release(db);
	}
	for (size_t i = 0; i < DB_STMT_SLOTS; i++)
		sqlite3_finalize(db->cache[i].stmt);
	sqlite3_close_v2(db->h);
	free(db);
}

/* Resets every cached statement, so none holds a read transaction open. */
static void db_reset_all(struct db *db)
{
	for (size_t i = 0; i < DB_STMT_SLOTS; i++)
		if (db->cache[i].stmt)
			sqlite3_reset(db->cache[i].stmt);
}

/* The cache is keyed by the SQL's address, not its text: callers pass string literals
 * (db.h), and hashing the whole text on every lookup cost ~0.45 us per survey
 * submission (sub7's profile). The same text at two addresses (a literal repeated in
 * two files) just takes two slots. */
static size_t sql_slot(const char *sql)
{
	uint64_t h = (uint64_t)(uintptr_t)sql * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 40) % DB_STMT_SLOTS;
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
	size_t h = sql_slot(sql);
	for (size_t probe = 0; probe < DB_STMT_SLOTS; probe++) {
		struct db_cached *c = &db->cache[(h + probe) % DB_STMT_SLOTS];
		if (c->sql == sql) {
			sqlite3_reset(c->stmt);
			sqlite3_clear_bindings(c->stmt);
			return c->stmt;
		}
		if (!c->stmt) {
			int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt, NULL);
			if (rc != SQLITE_OK) {
				log_error("sqlite: cannot prepare: %s in: %s", sqlite3_errmsg(db->h), sql);
				sqlite3_finalize(c->stmt);
				c->stmt = NULL;
				return NULL;
			}
			c->sql = sql;
			return c->stmt;
		}
	}
	log_error("sqlite: statement cache full");
	return NULL;
}

/* Writers of this process queue on a mutex before BEGIN IMMEDIATE. SQLite's busy
 * handler would make a waiting thread sleep in steps of milliseconds; a mutex hands
 * the write lock over as soon as it is free. Other processes (the CLI) still meet
 * the busy timeout. */
static pthread_mutex_t db_write_mutex = PTHREAD_MUTEX_INITIALIZER;

enum gs_result db_begin(struct db *db)
{
	if (db->holds_write_lock) {
		log_error("db_begin: a write transaction is already open on this connection");
		return GS_ERR_INTERNAL;
	}
	pthread_mutex_lock(&db_write_mutex);
	db->holds_write_lock = 1;
	/* From the statement cache: parsing BEGIN and COMMIT again for every transaction
	 * showed in the profile of the survey submit path. */
	sqlite3_stmt *st = db_stmt(db, "BEGIN IMMEDIATE");
	enum gs_result r = st ? db_step_done(db, st) : GS_ERR_DB;
	if (r != GS_OK) {
		db->holds_write_lock = 0;
		pthread_mutex_unlock(&db_write_mutex);
	}
	return r;
}

static void db_release(struct db *db)
{
	if (db->holds_write_lock) {
		db->holds_write_lock = 0;
		pthread_mutex_unlock(&db_write_mutex);
	}
}

enum gs_result db_commit(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "COMMIT");
	enum gs_result r = st ? db_step_done(db, st) : GS_ERR_DB;
	if (r == GS_OK || sqlite3_get_autocommit(db->h))
		db_release(db);
	return r;
}

void db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db_release(db);
}

enum gs_result db_step_done(struct db *db, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);
	enum gs_result r = rc == SQLITE_DONE || rc == SQLITE_ROW ? GS_OK : db_fail(db, stmt, rc);
	sqlite3_reset(stmt);
	return r;
}

int db_step_row(struct db *db, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_fail(db, stmt, rc);
	return -1;
}

char *db_column_strdup(sqlite3_stmt *stmt, int i)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);
	return s ? xstrdup((const char *)s) : NULL;
}

enum gs_result db_backup(struct db *db, const char *dest, char *err, size_t errlen)
{
	sqlite3 *out = NULL;
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.partial", dest) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", dest);
		return GS_ERR_INVALID;
	}
	unlink(tmp);
	int rc = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
		sqlite3_close(out);
		return GS_ERR_IO;
	}
	db_reset_all(db);
	sqlite3_backup *b = sqlite3_backup_init(out, "main", db->h, "main");
	if (!b) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(out));
		sqlite3_close(out);
		unlink(tmp);
		return GS_ERR_DB;
	}
	/* Copy in steps of 1024 pages, sleeping briefly while writers hold the lock. */
	int waits = 0;
	do {
		rc = sqlite3_backup_step(b, 1024);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (++waits > 3000) /* a minute of being locked out: give up */
				break;
			sqlite3_sleep(20);
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup failed: %s", sqlite3_errstr(rc));
		sqlite3_close(out);
		unlink(tmp);
		return GS_ERR_IO;
	}
	/* The copy is a self-contained file: no WAL beside it. */
	sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(out);
	if (rename(tmp, dest) != 0) {
		snprintf(err, errlen, "%s: cannot move the finished backup into place", dest);
		unlink(tmp);
		return GS_ERR_IO;
	}
	return GS_OK;
}

enum gs_result db_checkpoint(struct db *db)
{
	db_reset_all(db);
	int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return rc == SQLITE_OK ? GS_OK : db_fail(db, NULL, rc);
}
