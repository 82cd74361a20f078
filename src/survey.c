/* survey.c — survey codes, tickets, response storage with flags, aggregates and
 * follow-ups, and pooled statistics. Every write is one BEGIN IMMEDIATE transaction;
 * statistics read the daily aggregates, never the raw rows. */
#define _GNU_SOURCE /* pthread_setname_np; clock_gettime */
#include "survey.h"

#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "ratelimit.h"
#include "stats.h"
#include "util.h"

/* ---- Local time ---------------------------------------------------------------- */

void survey_day_string(long days, char day[11])
{
	util_day_string(days, day);
}

long survey_day_number(const char *day)
{
	long n = util_day_number(day, 1970);
	return n == UTIL_NO_DAY ? -1 : n;
}

void survey_local_time(int64_t t, char day[11], int *hour, int *weekday)
{
	int64_t local = t + SURVEY_TZ_OFFSET_S;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t secs = local - days * 86400;
	survey_day_string((long)days, day);
	if (hour)
		*hour = (int)(secs / 3600);
	if (weekday) /* 1970-01-01 was a Thursday (4) */
		*weekday = (int)(((days % 7) + 7 + 3) % 7) + 1;
}

/* First second (UTC) of a local day number. */
static int64_t day_start(long days)
{
	return (int64_t)days * 86400 - SURVEY_TZ_OFFSET_S;
}

/* ---- Settings -------------------------------------------------------------------- */

enum gs_result survey_settings_load(struct db *db, struct survey_settings *out)
{
	*out = (struct survey_settings){.ticket_ttl_s = 24 * 3600,
					.followup_days = 15,
					.unsatisfied_max = 2,
					.min_sample = 30,
					.min_breakdown = 5,
					.verified_only = 0,
					.fast_s = 5,
					.burst_max = 2};
	sqlite3_stmt *st = db_stmt(db, "SELECT name, value FROM settings WHERE name LIKE 'survey.%'");
	if (!st)
		return GS_ERR_DB;
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		long v = strtol((const char *)sqlite3_column_text(st, 1), NULL, 10);
		if (v < 0 || v > 1000000)
			continue;
		if (strcmp(name, "survey.ticket_ttl_hours") == 0 && v >= 1 && v <= 24 * 90)
			out->ticket_ttl_s = (int)v * 3600;
		else if (strcmp(name, "survey.followup_days") == 0 && v >= 1)
			out->followup_days = (int)v;
		else if (strcmp(name, "survey.unsatisfied_max") == 0 && v <= 5)
			out->unsatisfied_max = (int)v;
		else if (strcmp(name, "survey.min_sample") == 0)
			out->min_sample = (int)v;
		else if (strcmp(name, "survey.min_breakdown") == 0)
			out->min_breakdown = (int)v;
		else if (strcmp(name, "survey.verified_only") == 0)
			out->verified_only = v != 0;
		else if (strcmp(name, "survey.fast_seconds") == 0)
			out->fast_s = (int)v;
		else if (strcmp(name, "survey.burst_max") == 0 && v >= 1)
			out->burst_max = (int)v;
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}

/* ---- Survey codes ---------------------------------------------------------------- */

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";
#define MAC_CHARS 10

/* A server key as this thread last read it from the connection it last used: a key
 * never changes once made, and these are needed on every survey request. */
struct key_cache {
	uint64_t db;       /* db_serial of the connection, 0: empty */
	char name[40];
	unsigned char key[32];
};

/* The key named name through cache c; *fresh (may be NULL) says if it was read now. */
static enum gs_result cached_server_key(struct key_cache *c, struct db *db, const char *name, int *fresh)
{
	if (fresh)
		*fresh = 0;
	if (c->db == db_serial(db) && strcmp(c->name, name) == 0)
		return GS_OK;
	c->db = 0;
	enum gs_result r = auth_server_key(db, name, c->key);
	if (r != GS_OK)
		return r;
	snprintf(c->name, sizeof c->name, "%s", name);
	c->db = db_serial(db);
	if (fresh)
		*fresh = 1;
	return GS_OK;
}

static _Thread_local struct key_cache code_key_cache, client_key_cache;

static enum gs_result code_mac(struct db *db, const char *hall_code, int key_version, char mac[MAC_CHARS + 1])
{
	unsigned char key[32], out[crypto_auth_hmacsha256_BYTES];
	enum gs_result r = cached_server_key(&code_key_cache, db, "survey-code", NULL);
	if (r != GS_OK)
		return r;
	memcpy(key, code_key_cache.key, sizeof key);
	char msg[AUTH_CODE_MAX + 48];
	int n = snprintf(msg, sizeof msg, "gridscore survey code\n%s\n%d", hall_code, key_version);
	crypto_auth_hmacsha256(out, (const unsigned char *)msg, (unsigned long long)n, key);
	sodium_memzero(key, sizeof key);
	/* 50 bits = the first 10 five-bit groups */
	uint64_t bits = 0;
	for (int i = 0; i < 8; i++)
		bits = bits << 8 | out[i];
	for (int i = 0; i < MAC_CHARS; i++)
		mac[i] = crockford[(bits >> (59 - 5 * i)) & 31];
	mac[MAC_CHARS] = '\0';
	return GS_OK;
}

enum gs_result survey_code_make(struct db *db, const char *hall_code, int key_version, char out[SURVEY_CODE_MAX])
{
	if (!util_valid_code(hall_code) || key_version < 1)
		return GS_ERR_INVALID;
	char mac[MAC_CHARS + 1];
	enum gs_result r = code_mac(db, hall_code, key_version, mac);
	if (r == GS_OK)
		snprintf(out, SURVEY_CODE_MAX, "%s.%d.%s", hall_code, key_version, mac);
	return r;
}

/* Normalises a typed MAC: lower case, and the letters Crockford base32 reads as digits. */
static int mac_normalise(const char *in, char out[MAC_CHARS + 1])
{
	if (strlen(in) != MAC_CHARS)
		return 0;
	for (int i = 0; i < MAC_CHARS; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == 'o')
			c = '0';
		else if (c == 'i' || c == 'l')
			c = '1';
		if (!strchr(crockford, c) || c == '\0')
			return 0;
		out[i] = c;
	}
	out[MAC_CHARS] = '\0';
	return 1;
}

enum gs_result survey_code_resolve(struct db *db, const char *code, struct org_hall *hall)
{
	memset(hall, 0, sizeof *hall);
	if (!code || strlen(code) >= SURVEY_CODE_MAX)
		return GS_ERR_NOT_FOUND;
	char buf[SURVEY_CODE_MAX];
	strcpy(buf, code);
	char *dot_mac = strrchr(buf, '.');
	if (!dot_mac)
		return GS_ERR_NOT_FOUND;
	*dot_mac = '\0';
	char *dot_ver = strrchr(buf, '.');
	if (!dot_ver)
		return GS_ERR_NOT_FOUND;
	*dot_ver = '\0';
	const char *ver_s = dot_ver + 1;
	size_t vlen = strlen(ver_s);
	if (vlen < 1 || vlen > 6 || strspn(ver_s, "0123456789") != vlen || ver_s[0] == '0')
		return GS_ERR_NOT_FOUND;
	int version = atoi(ver_s);
	char mac[MAC_CHARS + 1], want[MAC_CHARS + 1];
	if (!mac_normalise(dot_mac + 1, mac) || !util_valid_code(buf))
		return GS_ERR_NOT_FOUND;
	enum gs_result r = code_mac(db, buf, version, want);
	if (r != GS_OK)
		return r;
	if (!util_memeq_ct(mac, want, MAC_CHARS))
		return GS_ERR_NOT_FOUND;
	r = org_hall_get(db, buf, hall);
	if (r != GS_OK)
		return r;
	if (hall->key_version != version || !hall->active) {
		org_hall_clear(hall);
		memset(hall, 0, sizeof *hall);
		return GS_ERR_NOT_FOUND;
	}
	return GS_OK;
}

/* Resolved codes as this thread last saw them: the survey page, its submit and the
 * thank-you page resolve the same few codes all day, and a lookup costs more than the
 * rest of the page. Entries live SURVEY_HALL_CACHE_MS; a key rotation or a hall made
 * inactive (by the CLI, another process) therefore takes effect within that time. */
#define HALL_CACHE_SLOTS 8
struct hall_cache_entry {
	uint64_t db;             /* db_serial; 0: empty */
	int64_t until_us;        /* util_monotonic_us() deadline */
	char code[SURVEY_CODE_MAX];
	struct org_hall hall;
};
struct hall_cache {
	struct hall_cache_entry e[HALL_CACHE_SLOTS];
	unsigned next;
};
static _Thread_local struct hall_cache *hall_cache;
static pthread_key_t hall_cache_key; /* frees a thread's cache when it ends */
static pthread_once_t hall_cache_once = PTHREAD_ONCE_INIT;

static void hall_cache_free(void *p)
{
	struct hall_cache *c = p;
	for (unsigned i = 0; i < HALL_CACHE_SLOTS; i++)
		if (c->e[i].db)
			org_hall_clear(&c->e[i].hall);
	free(c);
}

static void hall_cache_init(void)
{
	pthread_key_create(&hall_cache_key, hall_cache_free);
}

enum gs_result survey_code_resolve_cached(struct db *db, const char *code, const struct org_hall **hall)
{
	*hall = NULL;
	if (!code || strlen(code) >= SURVEY_CODE_MAX)
		return GS_ERR_NOT_FOUND;
	if (!hall_cache) {
		pthread_once(&hall_cache_once, hall_cache_init);
		hall_cache = xcalloc(1, sizeof *hall_cache);
		pthread_setspecific(hall_cache_key, hall_cache);
	}
	int64_t now = util_monotonic_us();
	uint64_t serial = db_serial(db);
	for (unsigned i = 0; i < HALL_CACHE_SLOTS; i++) {
		struct hall_cache_entry *e = &hall_cache->e[i];
		if (e->db == serial && now < e->until_us && strcmp(e->code, code) == 0) {
			*hall = &e->hall;
			return GS_OK;
		}
	}
	struct hall_cache_entry *e = &hall_cache->e[hall_cache->next++ % HALL_CACHE_SLOTS];
	if (e->db) {
		org_hall_clear(&e->hall);
		e->db = 0;
	}
	enum gs_result r = survey_code_resolve(db, code, &e->hall);
	if (r != GS_OK)
		return r;
	snprintf(e->code, sizeof e->code, "%s", code);
	e->until_us = now + SURVEY_HALL_CACHE_MS * 1000;
	e->db = serial;
	*hall = &e->hall;
	return GS_OK;
}

enum gs_result survey_hall_rotate_key(struct db *db, const char *hall_code, int *new_version)
{
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st =
		db_stmt(db, "UPDATE halls SET key_version = key_version + 1 WHERE code = ?1 RETURNING key_version");
	if (!st) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	sqlite3_bind_text(st, 1, hall_code, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row > 0)
		*new_version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (row <= 0) {
		db_rollback(db);
		return row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
	}
	char detail[AUTH_CODE_MAX + 32];
	snprintf(detail, sizeof detail, "%s key version %d", hall_code, *new_version);
	r = auth_audit(db, "cli", "hall.rotate-key", detail);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}

/* ---- Client hash ----------------------------------------------------------------- */

enum gs_result survey_client_hash(struct db *db, const char *ip, const char *user_agent, int64_t now,
				  unsigned char out[SURVEY_CLIENT_HASH_LEN])
{
	char name[32] = "client-hash:"; /* + the local day: 23 bytes with the NUL */
	char *day = name + strlen(name);
	survey_local_time(now, day, NULL, NULL);
	int fresh = 0;
	enum gs_result r = cached_server_key(&client_key_cache, db, name, &fresh);
	if (r != GS_OK)
		return r;
	if (fresh) {
		/* Keys older than yesterday go: yesterday's is kept for requests in flight at
		 * midnight, and nothing older can ever be recomputed. */
		char old[11], oldname[32];
		survey_day_string(survey_day_number(day) - 1, old);
		snprintf(oldname, sizeof oldname, "client-hash:%s", old);
		sqlite3_stmt *st = db_stmt(db, "DELETE FROM secrets WHERE name LIKE 'client-hash:%' AND name < ?1");
		if (st) {
			sqlite3_bind_text(st, 1, oldname, -1, SQLITE_STATIC);
			db_step_done(db, st);
		}
	}
	crypto_generichash_state h;
	crypto_generichash_init(&h, client_key_cache.key, sizeof client_key_cache.key, SURVEY_CLIENT_HASH_LEN);
	const char *a = ip ? ip : "", *b = user_agent ? user_agent : "";
	crypto_generichash_update(&h, (const unsigned char *)a, strlen(a) + 1);
	crypto_generichash_update(&h, (const unsigned char *)b, strlen(b));
	crypto_generichash_final(&h, out, SURVEY_CLIENT_HASH_LEN);
	return GS_OK;
}

/* ---- Form instances -------------------------------------------------------------- */

void survey_instance_new(int64_t now, char out[SURVEY_INSTANCE_LEN + 1])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char hex[] = "0123456789abcdef";
	uint32_t t = (uint32_t)(now < 0 ? 0 : now);
	for (int i = 0; i < 8; i++)
		out[i] = hex[(t >> (28 - 4 * i)) & 15];
	unsigned char rnd[SURVEY_INSTANCE_LEN - 8];
	randombytes_buf(rnd, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++)
		out[8 + i] = b64[rnd[i] & 63];
	out[SURVEY_INSTANCE_LEN] = '\0';
	sodium_memzero(rnd, sizeof rnd);
}

/* ---- Forms ----------------------------------------------------------------------- */

enum gs_result survey_form_register(struct db *db, const char *form_id, const char *version, const char *source,
				    size_t len, int64_t *row_id)
{
	char hex[UTIL_SHA256_HEX_LEN + 1];
	util_sha256_hex(source, len, hex);

	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st = db_stmt(db, "SELECT id, sha256 FROM survey_forms WHERE form_id = ?1 AND version = ?2");
	if (!st) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	if (row > 0) {
		*row_id = sqlite3_column_int64(st, 0);
		r = strcmp((const char *)sqlite3_column_text(st, 1), hex) == 0 ? GS_OK : GS_ERR_CONFLICT;
		sqlite3_reset(st);
		db_rollback(db);
		return r;
	}
	sqlite3_reset(st);
	if (row < 0) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	st = db_stmt(db, "INSERT INTO survey_forms(form_id, version, sha256, source, loaded_at) "
			 "VALUES(?1, ?2, ?3, ?4, ?5)");
	if (!st) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, source, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, util_now());
	r = db_step_done(db, st);
	if (r == GS_OK) {
		*row_id = sqlite3_last_insert_rowid(db_handle(db));
		r = db_commit(db);
	}
	if (r != GS_OK)
		db_rollback(db);
	return r;
}

/* ---- Tickets --------------------------------------------------------------------- */

static void ticket_hash(const char *ticket, unsigned char out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)ticket, strlen(ticket));
}

enum gs_result survey_ticket_issue(struct db *db, const char *hall_code, const char *issued_by, int ttl_s,
				   char ticket[SURVEY_TICKET_LEN + 1], int64_t *expires_at)
{
	struct org_hall hall;
	enum gs_result r = org_hall_get(db, hall_code, &hall);
	if (r != GS_OK)
		return r;
	int active = hall.active;
	int64_t hall_id = hall.id;
	org_hall_clear(&hall);
	if (!active)
		return GS_ERR_CONFLICT;
	if (ttl_s < 60)
		ttl_s = 60;
	auth_random_token(ticket);
	unsigned char hash[crypto_hash_sha256_BYTES];
	ticket_hash(ticket, hash);
	int64_t now = util_now();
	*expires_at = now + ttl_s;
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO survey_tickets(hall_id, token_hash, issued_at, expires_at, issued_by) "
				       "VALUES(?1, ?2, ?3, ?4, ?5)");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, hall_id);
	sqlite3_bind_blob(st, 2, hash, sizeof hash, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, *expires_at);
	sqlite3_bind_text(st, 5, issued_by ? issued_by : "?", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? GS_OK : db_fail(db, NULL, rc);
	sqlite3_reset(st);
	return r;
}

enum gs_result survey_ticket_check(struct db *db, const char *ticket, int64_t now, int64_t *ticket_id,
				   struct org_hall *hall, int *state)
{
	memset(hall, 0, sizeof *hall);
	*state = 0;
	if (!ticket || strlen(ticket) != SURVEY_TICKET_LEN) {
		*state = 3;
		return GS_ERR_NOT_FOUND;
	}
	unsigned char hash[crypto_hash_sha256_BYTES];
	ticket_hash(ticket, hash);
	sqlite3_stmt *st = db_stmt(db, "SELECT t.id, t.used_at, t.expires_at, h.code FROM survey_tickets t "
				       "JOIN halls h ON h.id = t.hall_id WHERE t.token_hash = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_TRANSIENT);
	int row = db_step_row(db, st);
	if (row <= 0) {
		sqlite3_reset(st);
		*state = 3;
		return row < 0 ? GS_ERR_DB : GS_ERR_NOT_FOUND;
	}
	*ticket_id = sqlite3_column_int64(st, 0);
	int used = sqlite3_column_type(st, 1) != SQLITE_NULL;
	int64_t expires = sqlite3_column_int64(st, 2);
	char *code = db_column_strdup(st, 3);
	sqlite3_reset(st);
	enum gs_result r;
	if (used) {
		*state = 1;
		r = GS_ERR_CONFLICT;
	} else if (expires <= now) {
		*state = 2;
		r = GS_ERR_CONFLICT;
	} else {
		r = org_hall_get(db, code, hall);
		if (r == GS_OK && !hall->active) {
			org_hall_clear(hall);
			memset(hall, 0, sizeof *hall);
			r = GS_ERR_NOT_FOUND;
			*state = 3;
		}
	}
	free(code);
	return r;
}

/* ---- Storing a response ---------------------------------------------------------- */

void survey_flag_reasons(int flags, char *out, size_t len)
{
	static const struct {
		int flag;
		const char *text;
	} names[] = {{SURVEY_FLAG_BURST, "burst from one client"},
		     {SURVEY_FLAG_OUTSIDE_HOURS, "outside opening hours"},
		     {SURVEY_FLAG_FAST, "answered too fast"},
		     {SURVEY_FLAG_UNSERVED, "form not served by this site"}};
	size_t used = 0;
	if (len)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(flags & names[i].flag) || used >= len)
			continue;
		int n = snprintf(out + used, len - used, "%s%s", used ? "; " : "", names[i].text);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int survey_instance_seen(struct db *db, const char *instance)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM survey_responses WHERE instance = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, instance, -1, SQLITE_STATIC);
	int row = db_step_row(db, st);
	sqlite3_reset(st);
	return row;
}

/* A hall's opening hours as this thread last read them (SURVEY_HALL_CACHE_MS, like
 * resolved codes): every stored response checks them, and they change with an org
 * file, not with responses. */
#define HOURS_MAX 32 /* a hall with more rows is read from the database every time */
struct hours_cache {
	uint64_t db;      /* db_serial, 0: empty */
	int64_t hall_id;
	int64_t read_us;
	int n;            /* rows, or -1: more than HOURS_MAX */
	struct {
		int weekday;
		char opens[16], closes[16]; /* "HH:MM" as stored */
	} rows[HOURS_MAX];
};
static _Thread_local struct hours_cache hours_cache;

/* Reads the hall's hours into the cache; GS_ERR_DB on error. */
static enum gs_result hours_read(struct db *db, int64_t hall_id, struct hours_cache *c)
{
	c->db = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT weekday, opens, closes FROM hall_hours WHERE hall_id = ?1");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, hall_id);
	int row, n = 0;
	while ((row = db_step_row(db, st)) > 0) {
		if (n == HOURS_MAX || sqlite3_column_bytes(st, 1) >= 16 || sqlite3_column_bytes(st, 2) >= 16) {
			n = -1; /* not cached: compared by the query below */
			break;
		}
		c->rows[n].weekday = sqlite3_column_int(st, 0);
		snprintf(c->rows[n].opens, sizeof c->rows[n].opens, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(c->rows[n].closes, sizeof c->rows[n].closes, "%s", (const char *)sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_reset(st);
	if (row < 0)
		return GS_ERR_DB;
	c->n = n;
	c->hall_id = hall_id;
	c->read_us = util_monotonic_us();
	c->db = db_serial(db);
	return GS_OK;
}

/* "HH:MM" of a minute of the day (0..1439). By hand: the writer formats two per response. */
static void hhmm_put(char out[6], int minute)
{
	int h = minute / 60 % 24, m = minute % 60;
	out[0] = (char)('0' + h / 10);
	out[1] = (char)('0' + h % 10);
	out[2] = ':';
	out[3] = (char)('0' + m / 10);
	out[4] = (char)('0' + m % 10);
	out[5] = '\0';
}

/* 1 if the hall has opening hours and t (local) falls outside all of them, allowing
 * 30 minutes after closing for customers served at the last minute. */
static int outside_hours(struct db *db, int64_t hall_id, int64_t t, enum gs_result *r)
{
	char day[11], hhmm[6], hhmm_late[6];
	int weekday;
	survey_local_time(t, day, NULL, &weekday);
	int minute = (int)(((t + SURVEY_TZ_OFFSET_S) % 86400 + 86400) % 86400 / 60);
	/* Just after midnight the grace would reach back into yesterday: it stops at 00:00. */
	int late = minute >= 30 ? minute - 30 : 0;
	hhmm_put(hhmm, minute);
	hhmm_put(hhmm_late, late);
	struct hours_cache *c = &hours_cache;
	*r = GS_OK;
	if (c->db != db_serial(db) || c->hall_id != hall_id ||
	    util_monotonic_us() - c->read_us > SURVEY_HALL_CACHE_MS * 1000)
		*r = hours_read(db, hall_id, c);
	if (*r != GS_OK)
		return 0;
	if (c->n >= 0) {
		int open = 0;
		for (int i = 0; i < c->n && !open; i++)
			open = c->rows[i].weekday == weekday && strcmp(c->rows[i].opens, hhmm) <= 0 &&
			       strcmp(c->rows[i].closes, hhmm_late) >= 0;
		return c->n > 0 && !open;
	}
	sqlite3_stmt *st = db_stmt(db, "SELECT (SELECT count(*) FROM hall_hours WHERE hall_id = ?1), "
				       "(SELECT count(*) FROM hall_hours WHERE hall_id = ?1 AND weekday = ?2 "
				       "AND opens <= ?3 AND closes >= ?4)");
	if (!st) {
		*r = GS_ERR_DB;
		return 0;
	}
	sqlite3_bind_int64(st, 1, hall_id);
	sqlite3_bind_int(st, 2, weekday);
	sqlite3_bind_text(st, 3, hhmm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, hhmm_late, -1, SQLITE_TRANSIENT);
	int row = db_step_row(db, st);
	int outside = 0;
	if (row > 0)
		outside = sqlite3_column_int(st, 0) > 0 && sqlite3_column_int(st, 1) == 0;
	sqlite3_reset(st);
	*r = row < 0 ? GS_ERR_DB : GS_OK;
	return outside;
}

/* The aggregate keys of every hall: the hall itself and every unit above its station
 * (see migration 002), for the org tree as it is now. */
#define KEYS_CTE                                                                                             \
	"WITH RECURSIVE anc(hall, unit) AS (SELECT id, station_id FROM halls UNION ALL SELECT anc.hall, "      \
	"u.parent_id FROM anc JOIN units u ON u.id = anc.unit WHERE u.parent_id IS NOT NULL), "                \
	"keys(hall, k) AS (SELECT id, id FROM halls UNION ALL SELECT hall, -unit FROM anc) "

/* Runs one statement with the response id range (?1, ?2]. */
static enum gs_result fold_step(struct db *db, const char *sql, int64_t from, int64_t to)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	return db_step_done(db, st);
}

/* Last folded response id and the newest response id; -1 on error. */
static int fold_range(struct db *db, int64_t *folded, int64_t *newest)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE name = "
				       "'survey.folded_upto'), 0), coalesce((SELECT max(id) FROM survey_responses), 0)");
	if (!st)
		return -1;
	int row = db_step_row(db, st);
	if (row > 0) {
		*folded = sqlite3_column_int64(st, 0);
		*newest = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return row > 0 ? 0 : -1;
}

/* Folds the responses (from, to] into the aggregates, inside the caller's transaction.
 * CROSS JOIN keeps the responses as the outer loop (their rowid range, a few rows):
 * joined the other way, SQLite walked every hall's responses by the (hall_id, day)
 * index to find the new ids, 2.5 s per fold with two million stored responses. */
static enum gs_result fold_locked(struct db *db, int64_t from, int64_t to)
{
	enum gs_result r = fold_step(
		db,
		KEYS_CTE "INSERT INTO survey_daily(scope, day, verified, flagged, n1, n2, n3, n4, n5, satisfied) "
			 "SELECT keys.k, r.day, r.verified, r.flags <> 0, sum(r.rating = 1), sum(r.rating = 2), "
			 "sum(r.rating = 3), sum(r.rating = 4), sum(r.rating = 5), sum(r.satisfied) "
			 "FROM survey_responses r CROSS JOIN keys ON keys.hall = r.hall_id WHERE r.id > ?1 AND r.id <= ?2 "
			 "GROUP BY keys.k, r.day, r.verified, r.flags <> 0 "
			 "ON CONFLICT DO UPDATE SET n1 = n1 + excluded.n1, n2 = n2 + excluded.n2, n3 = n3 + excluded.n3, "
			 "n4 = n4 + excluded.n4, n5 = n5 + excluded.n5, satisfied = satisfied + excluded.satisfied",
		from, to);
	if (r == GS_OK)
		r = fold_step(db,
			      KEYS_CTE "INSERT INTO survey_hourly(scope, day, hour, n, satisfied) "
				       "SELECT keys.k, r.day, r.hour, count(*), sum(r.satisfied) FROM survey_responses r "
				       "CROSS JOIN keys ON keys.hall = r.hall_id WHERE r.id > ?1 AND r.id <= ?2 AND r.flags = 0 "
				       "GROUP BY keys.k, r.day, r.hour "
				       "ON CONFLICT DO UPDATE SET n = n + excluded.n, satisfied = satisfied + excluded.satisfied",
			      from, to);
	if (r == GS_OK)
		r = fold_step(db,
			      KEYS_CTE "INSERT INTO survey_answer_daily(scope, day, question, value, n) "
				       "SELECT keys.k, r.day, json_extract(c.value, '$[0]'), json_extract(c.value, '$[1]'), "
				       "count(*) FROM survey_responses r CROSS JOIN keys ON keys.hall = r.hall_id, "
				       "json_each(r.choices) c WHERE r.id > ?1 AND r.id <= ?2 AND r.flags = 0 "
				       "AND r.choices IS NOT NULL GROUP BY 1, 2, 3, 4 "
				       "ON CONFLICT DO UPDATE SET n = n + excluded.n",
			      from, to);
	if (r == GS_OK) {
		sqlite3_stmt *st = db_stmt(db, "INSERT INTO settings(name, value) VALUES('survey.folded_upto', ?1) "
					       "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
		if (!st)
			return GS_ERR_DB;
		char v[24];
		snprintf(v, sizeof v, "%lld", (long long)to);
		sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
		r = db_step_done(db, st);
	}
	return r;
}

enum gs_result survey_fold(struct db *db, int64_t *folded)
{
	int64_t from = 0, to = 0;
	if (folded)
		*folded = 0;
	if (fold_range(db, &from, &to) != 0)
		return GS_ERR_DB;
	if (to <= from)
		return GS_OK;
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	/* Another thread may have folded meanwhile: read again under the write lock. */
	if (fold_range(db, &from, &to) != 0)
		r = GS_ERR_DB;
	else if (to > from)
		r = fold_locked(db, from, to);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	else if (folded && to > from)
		*folded = to - from;
	return r;
}

/* Consumes the ticket inside the open transaction; sets *state on refusal. */
static enum gs_result consume_ticket(struct db *db, const struct survey_submission *s, int64_t *ticket_id,
				     int *state)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	ticket_hash(s->ticket, hash);
	sqlite3_stmt *st = db_stmt(db, "UPDATE survey_tickets SET used_at = ?2 WHERE token_hash = ?1 AND "
				       "used_at IS NULL AND expires_at > ?2 AND hall_id = ?3 RETURNING id");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, s->submitted_at);
	sqlite3_bind_int64(st, 3, s->hall_id);
	int row = db_step_row(db, st);
	if (row > 0)
		*ticket_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (row < 0)
		return GS_ERR_DB;
	if (row > 0)
		return GS_OK;
	st = db_stmt(db, "SELECT used_at IS NOT NULL FROM survey_tickets WHERE token_hash = ?1 AND hall_id = ?2");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, s->hall_id);
	row = db_step_row(db, st);
	*state = row > 0 ? (sqlite3_column_int(st, 0) ? 1 : 2) : 3;
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_ERR_CONFLICT;
}

/* s as a JSON string: quotes, backslashes and control characters escaped. */
static void json_put_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*p);
		} else if (*p < 0x20) {
			char esc[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};
			buf_puts(b, esc);
		} else {
			buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

/* The choice answers as JSON [[question, value], ...] for the fold; NULL if none.
 * Written directly (jansson's objects and json_dumps showed in the submit profile).
 * Caller frees. */
static char *choices_json(const struct survey_submission *s)
{
	if (!s->n_choices)
		return NULL;
	struct buf b;
	buf_init(&b, SIZE_MAX / 2);
	buf_putc(&b, '[');
	for (size_t i = 0; i < s->n_choices; i++) {
		buf_puts(&b, i ? ",[" : "[");
		json_put_string(&b, s->choices[i].question);
		buf_putc(&b, ',');
		json_put_string(&b, s->choices[i].value);
		buf_putc(&b, ']');
	}
	buf_putc(&b, ']');
	return buf_steal(&b, NULL);
}

/* The burst window's key of a client hash at a hall. */
static void burst_key(const unsigned char *client_hash, int64_t hall_id, char out[2 * SURVEY_CLIENT_HASH_LEN + 24])
{
	util_hex(client_hash, SURVEY_CLIENT_HASH_LEN, out);
	/* "/{hall_id}" by hand (twice per stored response, in the writer). */
	char *p = out + 2 * SURVEY_CLIENT_HASH_LEN;
	*p++ = '/';
	p += util_put_u64(p, hall_id < 0 ? 0 : (uint64_t)hall_id); /* row ids are positive */
	*p = '\0';
}

/* Records a stored response in the burst window (add = 1) or takes it back (0). */
static void burst_record(struct ratelimit *window, const struct survey_submission *s, int add)
{
	char key[2 * SURVEY_CLIENT_HASH_LEN + 24];
	burst_key(s->client_hash, s->hall_id, key);
	if (add)
		ratelimit_hit(window, key, s->submitted_at);
	else
		ratelimit_refund(window, key);
}

/* 1 if the client already sent burst_max responses to the hall within the hour before
 * s->submitted_at (flagged ones count too), 0 if not, -1 on error. With a window (the
 * server's group commit) from memory; without one (survey_store) from the hall's rows
 * of that day and the day before. */
static int burst_seen(struct db *db, struct ratelimit *window, const struct survey_settings *set,
		      const struct survey_submission *s)
{
	if (window) {
		char key[2 * SURVEY_CLIENT_HASH_LEN + 24];
		burst_key(s->client_hash, s->hall_id, key);
		return !ratelimit_allowed(window, key, s->submitted_at);
	}
	char since[11];
	survey_local_time(s->submitted_at - 3600, since, NULL, NULL);
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM survey_responses WHERE hall_id = ?2 AND day >= ?4 "
				       "AND submitted_at > ?3 AND client_hash = ?1");
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, s->client_hash, SURVEY_CLIENT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->hall_id);
	sqlite3_bind_int64(st, 3, s->submitted_at - 3600);
	sqlite3_bind_text(st, 4, since, -1, SQLITE_TRANSIENT);
	int row = db_step_row(db, st);
	int seen = row > 0 && sqlite3_column_int(st, 0) >= set->burst_max;
	sqlite3_reset(st);
	return row < 0 ? -1 : seen;
}

/* Stores one response inside the open transaction. window: the group commit's burst
 * window (NULL: count in the database); a stored response is recorded in it. */
static enum gs_result store_locked(struct db *db, struct ratelimit *window, const struct survey_settings *set,
				   const struct survey_submission *s, struct survey_stored *out)
{
	enum gs_result r;
	sqlite3_stmt *st;
	/* A second submit of an instance is found by the insert below (the instance is
	 * UNIQUE); a ticket's second submit is refused here first, so look for it then. */
	int64_t ticket_id = 0;
	if (s->ticket) {
		r = consume_ticket(db, s, &ticket_id, &out->ticket_state);
		if (r == GS_ERR_CONFLICT && out->ticket_state == 1 && survey_instance_seen(db, s->instance) > 0) {
			out->ticket_state = 0;
			out->duplicate = 1;
		}
		if (r != GS_OK)
			return r;
	}

	int flags = 0;
	if (s->client_hash) {
		int seen = burst_seen(db, window, set, s);
		if (seen < 0)
			return GS_ERR_DB;
		if (seen)
			flags |= SURVEY_FLAG_BURST;
	}
	if (outside_hours(db, s->hall_id, s->submitted_at, &r))
		flags |= SURVEY_FLAG_OUTSIDE_HOURS;
	if (r != GS_OK)
		return r;
	if (s->duration_s >= 0 && s->duration_s < set->fast_s)
		flags |= SURVEY_FLAG_FAST;
	if (s->unserved)
		flags |= SURVEY_FLAG_UNSERVED;
	out->flags = flags;

	char day[11], reasons[160];
	int hour;
	survey_local_time(s->submitted_at, day, &hour, NULL);
	survey_flag_reasons(flags, reasons, sizeof reasons);
	st = db_stmt(db, "INSERT INTO survey_responses(hall_id, form, submitted_at, day, hour, rating, satisfied, "
			 "answers, comment, verified, ticket_id, instance, client_hash, duration_s, flags, flag_reasons, "
			 "choices) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
			 "ON CONFLICT(instance) DO NOTHING");
	if (!st)
		return GS_ERR_DB;
	sqlite3_bind_int64(st, 1, s->hall_id);
	sqlite3_bind_int64(st, 2, s->form_row);
	sqlite3_bind_int64(st, 3, s->submitted_at);
	sqlite3_bind_text(st, 4, day, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, hour);
	sqlite3_bind_int(st, 6, s->rating);
	sqlite3_bind_int(st, 7, s->satisfied ? 1 : 0);
	sqlite3_bind_text(st, 8, s->answers_json, -1, SQLITE_STATIC);
	if (s->comment && *s->comment)
		sqlite3_bind_text(st, 9, s->comment, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, s->ticket != NULL);
	if (ticket_id)
		sqlite3_bind_int64(st, 11, ticket_id);
	sqlite3_bind_text(st, 12, s->instance, -1, SQLITE_STATIC);
	if (s->client_hash)
		sqlite3_bind_blob(st, 13, s->client_hash, SURVEY_CLIENT_HASH_LEN, SQLITE_STATIC);
	if (s->duration_s >= 0)
		sqlite3_bind_int(st, 14, s->duration_s);
	sqlite3_bind_int(st, 15, flags);
	if (flags)
		sqlite3_bind_text(st, 16, reasons, -1, SQLITE_TRANSIENT);
	char *choices = choices_json(s);
	if (choices)
		sqlite3_bind_text(st, 17, choices, -1, free);
	r = db_step_done(db, st);
	if (r != GS_OK)
		return r;
	if (sqlite3_changes(db_handle(db)) == 0) {
		out->duplicate = 1;
		out->flags = 0;
		return GS_ERR_CONFLICT;
	}
	out->response_id = sqlite3_last_insert_rowid(db_handle(db));

	/* Suspicious responses are kept for audit but do not create work for a station. */
	if (s->rating <= set->unsatisfied_max && flags == 0) {
		st = db_stmt(db, "INSERT INTO survey_followups(response_id, hall_id, opened_at, due_at) "
				 "VALUES(?1, ?2, ?3, ?4)");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int64(st, 1, out->response_id);
		sqlite3_bind_int64(st, 2, s->hall_id);
		sqlite3_bind_int64(st, 3, s->submitted_at);
		sqlite3_bind_int64(st, 4, s->submitted_at + (int64_t)set->followup_days * 86400);
		r = db_step_done(db, st);
		if (r == GS_OK)
			out->followup_id = sqlite3_last_insert_rowid(db_handle(db));
	}
	if (r == GS_OK && window && s->client_hash) /* taken back if the commit fails */
		burst_record(window, s, 1);
	return r;
}

enum gs_result survey_store(struct db *db, const struct survey_settings *set, const struct survey_submission *s,
			    struct survey_stored *out)
{
	memset(out, 0, sizeof *out);
	if (s->rating < 1 || s->rating > 5 || !s->instance || !*s->instance || !s->answers_json)
		return GS_ERR_INVALID;
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	r = store_locked(db, NULL, set, s, out);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK) {
		db_rollback(db);
		if (r != GS_ERR_CONFLICT) {
			out->response_id = 0;
			out->followup_id = 0;
		}
	}
	return r;
}

/* ---- Group commit ----------------------------------------------------------------
 * Each commit writes every page it touched to the WAL (the response and its indexes):
 * most of a submission's cost. Submissions that arrive together are stored in one
 * transaction, so one commit (and one write of each shared page) serves them all.
 *
 * With survey_batcher_background the batcher has a writer thread: every submission,
 * waited for (survey_store_batched) or not (survey_store_async), goes into one queue,
 * and the writer stores whatever has queued in one transaction on its own connection,
 * then wakes the waiters and calls the callbacks. Batches grow by themselves with the
 * load (everything that arrived during a commit is the next batch) and no request
 * thread waits for another. The writer also folds the stored responses into the
 * aggregates between batches, on the same connection (no second writer contending
 * for the lock, and the rows to fold are still in its page cache); a maintenance
 * thread checkpoints the WAL on a connection of its own (PASSIVE: never blocks the
 * writer).
 *
 * Without the background threads (tests on in-memory databases) the waiting threads
 * take turns: the thread whose submission is at the head of the queue leads, stores
 * the queue on its own connection and wakes the owners of what it stored, and then the
 * owner of the next head, who leads the next batch. Nobody is told "stored" before its
 * response is committed. */

struct batch_item {
	const struct survey_settings *set;
	const struct survey_submission *s;
	struct survey_stored *out;
	enum gs_result result;
	int done;
	pthread_cond_t wake;     /* survey_store_batched: the owner waits here, to be done or to lead */
	survey_stored_fn cb;     /* survey_store_async: called once stored or refused (item on the heap) */
	void *cb_ctx;
	struct batch_item *next;
};

struct survey_batcher {
	pthread_mutex_t lock;
	struct batch_item *head, *tail;
	unsigned queued_n;       /* items in the queue (writer thread) */
	unsigned wake_at;        /* enqueue wakes the writer when queued_n reaches this */
	int leading;
	unsigned max_batch;
	uint64_t batches, items; /* for tests and metrics */
	/* With survey_batcher_background: the writer thread and its connection (the only one
	 * that writes responses, so its page cache stays warm), and the maintenance thread. */
	struct db *writer;
	char *db_path;
	pthread_t writer_thread, maint_thread;
	int running;
	_Atomic int stop;
	pthread_cond_t queued;   /* wakes the writer */
	pthread_cond_t work;     /* wakes the maintenance thread early */
	struct ratelimit *burst; /* survey_batcher_burst_window; NULL: bursts counted in the database */
	uint64_t unchecked;      /* stored since the maintenance thread last looked */
};

/* Folds in steps of at most this many responses, so the write lock is never held long. */
#define FOLD_STEP 512
/* The writer folds when this many are unfolded, or at least this often while any are;
 * the maintenance thread looks at the WAL as often, or after as many responses. */
#define MAINT_PERIOD_MS 200
#define MAINT_ITEMS 1024
/* How often a leader alone in the queue yields before committing (0: never). */
#define LEADER_YIELDS 1
/* Coalescing: the writer takes a queue shorter than WRITER_BATCH only once it has
 * stopped growing (nothing came for WRITER_SLICE_US) or after WRITER_WAIT_US. */
#ifndef WRITER_BATCH
#define WRITER_BATCH 32
#endif
#ifndef WRITER_SLICE_US
#define WRITER_SLICE_US 200
#endif
#ifndef WRITER_WAIT_US
#define WRITER_WAIT_US 1000
#endif
/* The writer writes its in-memory sums at least every MAINT_PERIOD_MS, or after this
 * many responses. */
#define FOLD_ROWS 8192

struct survey_batcher *survey_batcher_new(unsigned max_batch)
{
	struct survey_batcher *b = xcalloc(1, sizeof *b);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->queued, NULL);
	b->max_batch = max_batch ? max_batch : 256;
	b->wake_at = 1;
	return b;
}

void survey_batcher_free(struct survey_batcher *b)
{
	if (!b)
		return;
	if (b->running) {
		/* The writer empties the queue before it stops: every caller gets its answer. */
		pthread_mutex_lock(&b->lock);
		b->stop = 1;
		pthread_cond_signal(&b->work);
		pthread_cond_signal(&b->queued);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->writer_thread, NULL);
		pthread_join(b->maint_thread, NULL);
		db_checkpoints_deferred(0);
	}
	db_close(b->writer);
	ratelimit_free(b->burst);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->queued);
	free(b->db_path);
	free(b);
}

void survey_batcher_stats(struct survey_batcher *b, uint64_t *batches, uint64_t *items)
{
	pthread_mutex_lock(&b->lock);
	*batches = b->batches;
	*items = b->items;
	pthread_mutex_unlock(&b->lock);
}

/* Checkpoints the WAL in the background while the writer writes. */
static void *maint_main(void *arg)
{
	struct survey_batcher *b = arg;
	pthread_setname_np(pthread_self(), "gs-maint");
	struct db *db = NULL;
	char err[512];
	if (db_open(b->db_path, 0, &db, err, sizeof err) != GS_OK) {
		log_error("survey maintenance: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		if (b->unchecked < MAINT_ITEMS) {
			struct timespec until = util_deadline_us(MAINT_PERIOD_MS * 1000L);
			pthread_cond_timedwait(&b->work, &b->lock, &until);
			if (b->stop)
				break;
		}
		b->unchecked = 0;
		pthread_mutex_unlock(&b->lock);
		int done = 0;
		db_checkpoint_background(db, &done);
		pthread_mutex_lock(&b->lock);
	}
	pthread_mutex_unlock(&b->lock);
	db_close(db);
	return NULL;
}

/* ---- Folding in the writer -------------------------------------------------------
 * The writer knows every response it commits, so it counts them into the aggregates'
 * keys in memory as it goes and writes the sums now and then: a few upserts per hall,
 * day and answer instead of fold_locked's statements over every row (which parse each
 * row's choices again). The sums are used only if they cover exactly the responses
 * not yet folded: checked under the write lock by their count and newest id (another
 * process or survey_fold may have stored or folded meanwhile); otherwise fold_locked
 * folds from the rows, as always. */

enum fold_kind { FOLD_DAILY, FOLD_HOURLY, FOLD_ANSWER };

struct fold_entry {
	int kind;                /* enum fold_kind */
	int64_t hall;
	char day[11];
	int a, b;                /* daily: verified, flagged; hourly: hour */
	char *question, *value;  /* answers; owned */
	int64_t n[6];            /* daily: n[1..5]; hourly and answers: n[0] */
	int64_t satisfied;
	struct fold_entry *next; /* hash chain */
};

#define FOLD_BUCKETS 1024
#define FOLD_MAX_ENTRIES 65536 /* beyond this, the rows are folded from the database */

struct fold_mem {
	struct fold_entry *buckets[FOLD_BUCKETS];
	size_t entries;
	int64_t rows;            /* responses counted */
	int64_t first, last;     /* their smallest and largest ids */
	int overflow;            /* too many keys: counted no further, fold from the rows */
};

static uint64_t fold_hash(int kind, int64_t hall, const char *day, int a, int b, const char *q, const char *v)
{
	uint64_t h = 1469598103934665603ULL;
	uint64_t parts[4] = {(uint64_t)kind, (uint64_t)hall, (uint64_t)a, (uint64_t)b};
	const unsigned char *p = (const unsigned char *)parts;
	for (size_t i = 0; i < sizeof parts; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	for (const char *s = day; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (const char *s = q ? q : ""; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *s = v ? v : ""; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The entry of a key, created empty if new; NULL when the table is full. */
static struct fold_entry *fold_entry_get(struct fold_mem *m, int kind, int64_t hall, const char *day, int a, int b,
					 const char *q, const char *v)
{
	size_t i = (size_t)(fold_hash(kind, hall, day, a, b, q, v) % FOLD_BUCKETS);
	for (struct fold_entry *e = m->buckets[i]; e; e = e->next)
		if (e->kind == kind && e->hall == hall && e->a == a && e->b == b && strcmp(e->day, day) == 0 &&
		    (!q || (strcmp(e->question, q) == 0 && strcmp(e->value, v) == 0)))
			return e;
	if (m->entries == FOLD_MAX_ENTRIES)
		return NULL;
	struct fold_entry *e = xcalloc(1, sizeof *e);
	e->kind = kind;
	e->hall = hall;
	snprintf(e->day, sizeof e->day, "%s", day);
	e->a = a;
	e->b = b;
	if (q) {
		e->question = xstrdup(q);
		e->value = xstrdup(v);
	}
	e->next = m->buckets[i];
	m->buckets[i] = e;
	m->entries++;
	return e;
}

static void fold_mem_reset(struct fold_mem *m)
{
	for (size_t i = 0; i < FOLD_BUCKETS; i++) {
		for (struct fold_entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e->question);
			free(e->value);
			free(e);
		}
		m->buckets[i] = NULL;
	}
	m->entries = 0;
	m->rows = m->first = m->last = 0;
	m->overflow = 0;
}

/* Counts a committed response, as fold_locked would count its row. */
static void fold_mem_add(struct fold_mem *m, const struct survey_submission *s, const struct survey_stored *out)
{
	if (!out->response_id)
		return;
	if (!m->rows || out->response_id < m->first)
		m->first = out->response_id;
	if (out->response_id > m->last)
		m->last = out->response_id;
	m->rows++;
	if (m->overflow)
		return;
	char day[11];
	int hour;
	survey_local_time(s->submitted_at, day, &hour, NULL);
	int flagged = out->flags != 0;
	struct fold_entry *e = fold_entry_get(m, FOLD_DAILY, s->hall_id, day, s->ticket != NULL, flagged, NULL, NULL);
	if (!e)
		goto full;
	e->n[s->rating]++;
	e->satisfied += s->satisfied ? 1 : 0;
	if (flagged)
		return;
	if (!(e = fold_entry_get(m, FOLD_HOURLY, s->hall_id, day, hour, 0, NULL, NULL)))
		goto full;
	e->n[0]++;
	e->satisfied += s->satisfied ? 1 : 0;
	for (size_t i = 0; i < s->n_choices; i++) {
		if (!(e = fold_entry_get(m, FOLD_ANSWER, s->hall_id, day, 0, 0, s->choices[i].question,
					 s->choices[i].value)))
			goto full;
		e->n[0]++;
	}
	return;
full:
	m->overflow = 1;
}

/* The scope keys of a hall: the hall and every unit above its station. */
#define HALL_KEYS_CTE                                                                                         \
	"WITH RECURSIVE anc(unit) AS (SELECT station_id FROM halls WHERE id = ?1 UNION ALL SELECT u.parent_id " \
	"FROM anc JOIN units u ON u.id = anc.unit WHERE u.parent_id IS NOT NULL), "                           \
	"keys(k) AS (SELECT ?1 UNION ALL SELECT -unit FROM anc) "

/* Writes one entry into the aggregates of its hall and every unit above it. */
static enum gs_result fold_entry_write(struct db *db, const struct fold_entry *e)
{
	sqlite3_stmt *st;
	if (e->kind == FOLD_DAILY) {
		st = db_stmt(db, HALL_KEYS_CTE "INSERT INTO survey_daily(scope, day, verified, flagged, n1, n2, n3, n4, n5, "
					       "satisfied) SELECT k, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM keys WHERE 1 "
					       "ON CONFLICT DO UPDATE SET n1 = n1 + excluded.n1, n2 = n2 + excluded.n2, "
					       "n3 = n3 + excluded.n3, n4 = n4 + excluded.n4, n5 = n5 + excluded.n5, "
					       "satisfied = satisfied + excluded.satisfied");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int(st, 3, e->a);
		sqlite3_bind_int(st, 4, e->b);
		for (int r = 1; r <= 5; r++)
			sqlite3_bind_int64(st, 4 + r, e->n[r]);
		sqlite3_bind_int64(st, 10, e->satisfied);
	} else if (e->kind == FOLD_HOURLY) {
		st = db_stmt(db, HALL_KEYS_CTE "INSERT INTO survey_hourly(scope, day, hour, n, satisfied) "
					       "SELECT k, ?2, ?3, ?4, ?5 FROM keys WHERE 1 ON CONFLICT DO UPDATE SET "
					       "n = n + excluded.n, satisfied = satisfied + excluded.satisfied");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_int(st, 3, e->a);
		sqlite3_bind_int64(st, 4, e->n[0]);
		sqlite3_bind_int64(st, 5, e->satisfied);
	} else {
		st = db_stmt(db, HALL_KEYS_CTE "INSERT INTO survey_answer_daily(scope, day, question, value, n) "
					       "SELECT k, ?2, ?3, ?4, ?5 FROM keys WHERE 1 ON CONFLICT DO UPDATE SET "
					       "n = n + excluded.n");
		if (!st)
			return GS_ERR_DB;
		sqlite3_bind_text(st, 3, e->question, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, e->n[0]);
	}
	sqlite3_bind_int64(st, 1, e->hall);
	sqlite3_bind_text(st, 2, e->day, -1, SQLITE_STATIC);
	return db_step_done(db, st);
}

/* Folds in one transaction: the sums in m if they are exactly the responses not yet
 * folded, else up to FOLD_STEP responses from the rows. m is empty afterwards. 1 if
 * more responses are left to fold, 0 if none (or on error: the next call tries again). */
static int fold_mem_flush(struct db *db, struct fold_mem *m)
{
	int64_t from = 0, to = 0;
	if (db_begin(db) != GS_OK) {
		fold_mem_reset(m);
		return 0;
	}
	enum gs_result r = fold_range(db, &from, &to) != 0 ? GS_ERR_DB : GS_OK;
	int exact = 0;
	if (r == GS_OK && m->rows && !m->overflow && from < m->first && to == m->last) {
		sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM survey_responses WHERE id > ?1 AND id <= ?2");
		if (!st) {
			r = GS_ERR_DB;
		} else {
			sqlite3_bind_int64(st, 1, from);
			sqlite3_bind_int64(st, 2, to);
			int row = db_step_row(db, st);
			exact = row > 0 && sqlite3_column_int64(st, 0) == m->rows;
			sqlite3_reset(st);
			if (row < 0)
				r = GS_ERR_DB;
		}
	}
	int64_t upto = to;
	if (r == GS_OK && exact) {
		for (size_t i = 0; i < FOLD_BUCKETS && r == GS_OK; i++)
			for (struct fold_entry *e = m->buckets[i]; e && r == GS_OK; e = e->next)
				r = fold_entry_write(db, e);
		if (r == GS_OK) {
			sqlite3_stmt *st = db_stmt(db, "INSERT INTO settings(name, value) VALUES('survey.folded_upto', ?1) "
						       "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
			if (!st) {
				r = GS_ERR_DB;
			} else {
				char v[24];
				snprintf(v, sizeof v, "%lld", (long long)to);
				sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
				r = db_step_done(db, st);
			}
		}
	} else if (r == GS_OK && to > from) {
		upto = to - from > FOLD_STEP ? from + FOLD_STEP : to;
		r = fold_locked(db, from, upto);
	}
	fold_mem_reset(m);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK) {
		db_rollback(db);
		return 0;
	}
	return upto < to;
}

static void batch_store(struct db *db, struct ratelimit *window, struct batch_item *first);

/* With b->lock held: takes up to max_batch items from the front of the queue. */
static struct batch_item *queue_take(struct survey_batcher *b, unsigned *n_out)
{
	struct batch_item *first = b->head, *last = first;
	unsigned n = 1;
	while (last->next && n < b->max_batch) {
		last = last->next;
		n++;
	}
	b->head = last->next;
	if (!b->head)
		b->tail = NULL;
	last->next = NULL;
	*n_out = n;
	return first;
}

/* With b->lock held: marks a stored batch done and wakes its waiting owners. Returns
 * the asynchronous items, for their callbacks to run without the lock. */
static struct batch_item *batch_finish(struct survey_batcher *b, struct batch_item *first, unsigned n,
				       const struct batch_item *me)
{
	struct batch_item *async = NULL, **tail = &async;
	/* An owner may return as soon as it sees done (under the lock, so not before we
	 * signal it): read next first. */
	for (struct batch_item *it = first; it;) {
		struct batch_item *next = it->next;
		if (it->cb) {
			it->next = NULL;
			*tail = it;
			tail = &it->next;
		} else {
			it->done = 1;
			if (it != me)
				pthread_cond_signal(&it->wake);
		}
		it = next;
	}
	b->batches++;
	b->items += n;
	return async;
}

static void callbacks_run(struct batch_item *async)
{
	while (async) {
		struct batch_item *next = async->next;
		async->cb(async->cb_ctx, async->result);
		free(async);
		async = next;
	}
}

/* With b->lock held and a short queue: waits, without spinning, while submissions keep
 * coming, so that more of them share the commit. A commit writes the pages of the rows'
 * table and indexes whatever the batch's size, and each batch wakes the server threads
 * to resume its connections: batches of 30-45 cost the server about a fifth less CPU
 * per submission than batches of 10-15 (measured in the fifth round). The writer wakes
 * when the queue reaches WRITER_BATCH (enqueue signals only then), when nothing came
 * for WRITER_SLICE_US (a lone submission waits no longer than that), or after
 * WRITER_WAIT_US in all. */
static void coalesce(struct survey_batcher *b)
{
	int64_t until = util_monotonic_us() + WRITER_WAIT_US;
	b->wake_at = WRITER_BATCH;
	while (b->queued_n < WRITER_BATCH && !b->stop) {
		unsigned before = b->queued_n;
		int64_t left = until - util_monotonic_us();
		if (left <= 0)
			break;
		struct timespec t = util_deadline_us(left < WRITER_SLICE_US ? left : WRITER_SLICE_US);
		pthread_cond_timedwait(&b->queued, &b->lock, &t);
		if (b->queued_n == before)
			break; /* nothing came: the load is light, commit now */
	}
	b->wake_at = 1;
}

static void *writer_main(void *arg)
{
	struct survey_batcher *b = arg;
	pthread_setname_np(pthread_self(), "gs-writer"); /* for top and perf */
	struct fold_mem *fm = xcalloc(1, sizeof *fm);
	int64_t folded_us = util_monotonic_us();
	int behind = 1; /* responses stored before we started may be unfolded */
	pthread_mutex_lock(&b->lock);
	for (;;) {
		if (!b->head) {
			if (b->stop)
				break;
			/* Idle: fold what is pending, else wait for submissions. */
			if (behind || fm->rows) {
				pthread_mutex_unlock(&b->lock);
				behind = fold_mem_flush(b->writer, fm);
				folded_us = util_monotonic_us();
				pthread_mutex_lock(&b->lock);
				continue;
			}
			struct timespec until = util_deadline_us(MAINT_PERIOD_MS * 1000L);
			pthread_cond_timedwait(&b->queued, &b->lock, &until);
			continue;
		}
		if (b->queued_n < WRITER_BATCH && !b->stop)
			coalesce(b);
		unsigned n;
		struct batch_item *first = queue_take(b, &n);
		b->queued_n -= n;
		pthread_mutex_unlock(&b->lock);
		batch_store(b->writer, b->burst, first);
		for (struct batch_item *it = first; it; it = it->next)
			if (it->result == GS_OK)
				fold_mem_add(fm, it->s, it->out);
		pthread_mutex_lock(&b->lock);
		struct batch_item *async = batch_finish(b, first, n, NULL);
		b->unchecked += n;
		if (b->unchecked >= MAINT_ITEMS)
			pthread_cond_signal(&b->work);
		pthread_mutex_unlock(&b->lock);
		callbacks_run(async);
		/* Under load the queue never empties: fold between batches now and then (and
		 * after every batch while older responses are left to fold from the rows). */
		int64_t now = util_monotonic_us();
		if (behind || fm->rows >= FOLD_ROWS || now - folded_us >= MAINT_PERIOD_MS * 1000) {
			behind = fold_mem_flush(b->writer, fm);
			folded_us = now;
		}
		pthread_mutex_lock(&b->lock);
	}
	pthread_mutex_unlock(&b->lock);
	fold_mem_flush(b->writer, fm); /* the rest folds with the next start or statistics read */
	fold_mem_reset(fm);
	free(fm);
	return NULL;
}

enum gs_result survey_batcher_background(struct survey_batcher *b, const char *db_path)
{
	if (b->running)
		return GS_ERR_CONFLICT;
	char err[512];
	if (db_open(db_path, 0, &b->writer, err, sizeof err) != GS_OK) {
		log_error("survey group commit: %s", err);
		return GS_ERR_IO;
	}
	/* Every response goes through this connection: keep the pages of the tables and
	 * indexes it writes (and the hall rows it reads) in memory on large databases.
	 * 8 MiB (2048 pages) holds the right edges of the table and its indexes and the
	 * instance index's recent region; it was 32 MiB, but every commit walks the page
	 * cache's hash table (in SQLite's commit phase two), so a larger cache costs each
	 * commit more: 8-10 % of the writer's SQLite time at 32 MiB, 3.6 % at 8 MiB. */
	db_exec(b->writer, "PRAGMA cache_size = -8192");
	b->db_path = xstrdup(db_path);
	db_checkpoints_deferred(1);
	if (pthread_create(&b->writer_thread, NULL, writer_main, b) != 0) {
		db_checkpoints_deferred(0);
		db_close(b->writer);
		b->writer = NULL;
		return GS_ERR_INTERNAL;
	}
	if (pthread_create(&b->maint_thread, NULL, maint_main, b) != 0) {
		pthread_mutex_lock(&b->lock);
		b->stop = 1;
		pthread_cond_signal(&b->queued);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->writer_thread, NULL);
		b->stop = 0;
		db_checkpoints_deferred(0);
		db_close(b->writer);
		b->writer = NULL;
		return GS_ERR_INTERNAL;
	}
	b->running = 1;
	return GS_OK;
}

/* Rows read back per step while filling the burst window (newest first, by id): the
 * scan stops at the first response older than the hour plus this margin, as ids follow
 * the clock except for seconds of overlap between threads. */
#define BURST_FILL_MARGIN_S 300

enum gs_result survey_batcher_burst_window(struct survey_batcher *b, struct db *db, int burst_max, int64_t now)
{
	if (b->burst)
		return GS_ERR_CONFLICT;
	if (burst_max < 1)
		burst_max = 1;
	/* The ring of each pair holds burst_max times: keep the table near 1 MiB of them. */
	size_t slots = SURVEY_BURST_PAIRS;
	if ((size_t)burst_max > 16)
		slots = (size_t)SURVEY_BURST_PAIRS * 16 / (size_t)burst_max;
	struct ratelimit *w = ratelimit_new(slots, (unsigned)burst_max, 3600);
	sqlite3_stmt *st = db_stmt(db, "SELECT client_hash, hall_id, submitted_at FROM survey_responses "
				       "ORDER BY id DESC");
	if (!st) {
		ratelimit_free(w);
		return GS_ERR_DB;
	}
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		int64_t t = sqlite3_column_int64(st, 2);
		if (t <= now - 3600 - BURST_FILL_MARGIN_S)
			break;
		if (t <= now - 3600 || sqlite3_column_bytes(st, 0) != SURVEY_CLIENT_HASH_LEN)
			continue;
		struct survey_submission s = {.hall_id = sqlite3_column_int64(st, 1),
					      .submitted_at = t,
					      .client_hash = sqlite3_column_blob(st, 0)};
		burst_record(w, &s, 1);
	}
	sqlite3_reset(st);
	if (row < 0) {
		ratelimit_free(w);
		return GS_ERR_DB;
	}
	pthread_mutex_lock(&b->lock);
	b->burst = w;
	pthread_mutex_unlock(&b->lock);
	return GS_OK;
}

/* Runs a statement without parameters from the connection's cache. */
static enum gs_result exec_cached(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	return st ? db_step_done(db, st) : GS_ERR_DB;
}

/* Stores a batch in one transaction; 1 if the caller must store it again with
 * savepoints (a submission failed after writing part of itself), else 0 with every
 * item's result set. Without savepoints a refused submission must have written nothing:
 * true of a duplicate hall-code submission (the insert found its instance and did
 * nothing), not of a ticket's (the ticket was consumed first), nor of an error. A batch
 * of one needs none: its refusal rolls back the whole transaction. */
static int batch_try(struct db *db, struct ratelimit *window, struct batch_item *first, int savepoints)
{
	enum gs_result r = db_begin(db);
	int alone = first->next == NULL;
	for (struct batch_item *it = first; it; it = it->next) {
		memset(it->out, 0, sizeof *it->out);
		if (r != GS_OK) {
			it->result = r;
			continue;
		}
		if (savepoints && exec_cached(db, "SAVEPOINT one") != GS_OK) {
			it->result = GS_ERR_DB;
			continue;
		}
		it->result = store_locked(db, window, it->set, it->s, it->out);
		if (savepoints) {
			if (it->result != GS_OK) {
				exec_cached(db, "ROLLBACK TO one");
				it->out->response_id = it->out->followup_id = 0;
			}
			exec_cached(db, "RELEASE one");
		} else if (!alone && it->result != GS_OK && (it->result != GS_ERR_CONFLICT || it->s->ticket)) {
			/* Part of it may be written: roll everything back, give the burst window
			 * its entries back, and let the caller go again with savepoints. */
			db_rollback(db);
			for (struct batch_item *x = first; x != it; x = x->next)
				if (x->result == GS_OK && window && x->s->client_hash)
					burst_record(window, x->s, 0);
			return 1;
		}
	}
	if (r == GS_OK && alone && first->result != GS_OK) {
		db_rollback(db);
		first->out->response_id = first->out->followup_id = 0;
		return 0;
	}
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK) {
		db_rollback(db);
		for (struct batch_item *it = first; it; it = it->next)
			if (it->result == GS_OK) {
				it->result = r;
				it->out->response_id = it->out->followup_id = 0;
				if (window && it->s->client_hash)
					burst_record(window, it->s, 0);
			}
	}
	return 0;
}

/* Stores a taken batch in one transaction; sets every item's result. Savepoints (each
 * submission in its own, so one refused submission never affects another) only where
 * needed: a batch with a ticket submission, or one where a submission failed. */
static void batch_store(struct db *db, struct ratelimit *window, struct batch_item *first)
{
	int tickets = 0;
	for (struct batch_item *it = first; it; it = it->next)
		tickets |= it->s->ticket != NULL;
	int savepoints = first->next && tickets;
	if (batch_try(db, window, first, savepoints))
		batch_try(db, window, first, 1);
}

/* With b->lock held and me at the head (no writer thread): stores up to max_batch items
 * from the front (me first) in one transaction, wakes their owners and the next head's.
 * Returns with the lock held; 1 if the caller should fold. */
static int lead(struct survey_batcher *b, struct db *db, struct batch_item *me)
{
	b->leading = 1;
	/* Alone in the queue: let the threads that are ready to run go first (they may be
	 * about to submit, and then share this commit). Costs nothing when none is. */
	for (int i = 0; i < LEADER_YIELDS && !b->head->next; i++) {
		pthread_mutex_unlock(&b->lock);
		sched_yield();
		pthread_mutex_lock(&b->lock);
	}
	unsigned n;
	struct batch_item *first = queue_take(b, &n);
	pthread_mutex_unlock(&b->lock);
	batch_store(db, b->burst, first);
	pthread_mutex_lock(&b->lock);
	/* Without a writer thread every item has a waiting owner (survey_store_async stores
	 * through survey_store_batched then), so there are no callbacks here. */
	struct batch_item *async = batch_finish(b, first, n, me);
	(void)async;
	b->leading = 0;
	if (b->head)
		pthread_cond_signal(&b->head->wake);
	return b->batches % 16 == 0;
}

static int submission_ok(const struct survey_submission *s)
{
	return s->rating >= 1 && s->rating <= 5 && s->instance && *s->instance && s->answers_json;
}

/* With b->lock held: appends it to the queue. */
static void enqueue(struct survey_batcher *b, struct batch_item *it)
{
	if (b->tail)
		b->tail->next = it;
	else
		b->head = it;
	b->tail = it;
	if (b->running) {
		/* The idle writer wants any submission; a coalescing one a full batch. */
		if (++b->queued_n >= b->wake_at)
			pthread_cond_signal(&b->queued);
	}
}

enum gs_result survey_store_batched(struct survey_batcher *b, struct db *db, const struct survey_settings *set,
				    const struct survey_submission *s, struct survey_stored *out)
{
	memset(out, 0, sizeof *out);
	if (!submission_ok(s))
		return GS_ERR_INVALID;
	struct batch_item me = {.set = set, .s = s, .out = out};
	pthread_cond_init(&me.wake, NULL);
	pthread_mutex_lock(&b->lock);
	enqueue(b, &me);
	int fold = 0;
	if (b->running) {
		while (!me.done)
			pthread_cond_wait(&me.wake, &b->lock);
	} else {
		/* Wait until stored by a leader, or until ours is the head and nobody leads. */
		while (!me.done && (b->leading || b->head != &me))
			pthread_cond_wait(&me.wake, &b->lock);
		if (!me.done)
			fold = lead(b, db, &me);
	}
	pthread_mutex_unlock(&b->lock);
	pthread_cond_destroy(&me.wake);
	if (fold) /* without a writer thread the aggregates stay close behind this way */
		survey_fold(db, NULL);
	return me.result;
}

void survey_store_async(struct survey_batcher *b, struct db *db, const struct survey_settings *set,
			const struct survey_submission *s, struct survey_stored *out, survey_stored_fn done,
			void *ctx)
{
	if (!b->running || !submission_ok(s)) {
		done(ctx, survey_store_batched(b, db, set, s, out));
		return;
	}
	memset(out, 0, sizeof *out);
	struct batch_item *it = xcalloc(1, sizeof *it);
	*it = (struct batch_item){.set = set, .s = s, .out = out, .cb = done, .cb_ctx = ctx};
	pthread_mutex_lock(&b->lock);
	enqueue(b, it);
	pthread_mutex_unlock(&b->lock);
}

/* ---- Statistics ------------------------------------------------------------------ */

/* The halls in scope, as a CTE every statistics query starts with (?1 unit, ?2 hall). */
#define SCOPE_CTE                                                                                                \
	"WITH RECURSIVE sub(id) AS (SELECT ?1 UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id), " \
	"hs(id) AS (SELECT id FROM halls WHERE (?1 = 0 AND id = ?2) OR station_id IN sub) "

static void bind_scope(sqlite3_stmt *st, const struct survey_scope *scope)
{
	sqlite3_bind_int64(st, 1, scope->unit_id);
	sqlite3_bind_int64(st, 2, scope->unit_id ? 0 : scope->hall_id);
}

/* The aggregate keys to read (?9 = 1: the unit's own rows; 0: its halls' rows). */
#define AGG_CTE                                                                                                   \
	"WITH RECURSIVE sub(id) AS (SELECT ?1 WHERE ?9 = 0 UNION ALL SELECT u.id FROM units u JOIN sub "            \
	"ON u.parent_id = sub.id), hs(id) AS (SELECT -?1 WHERE ?9 = 1 UNION ALL SELECT id FROM halls WHERE ?9 = 0 " \
	"AND ((?1 = 0 AND id = ?2) OR station_id IN sub)) "

int survey_unit_rows_fresh(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT (SELECT coalesce(max(id), 0) FROM org_loads) = coalesce((SELECT "
				       "CAST(value AS INTEGER) FROM settings WHERE name = 'survey.aggregates_org'), 0)");
	if (!st)
		return 0;
	int fresh = db_step_row(db, st) > 0 && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return fresh;
}

/* use_units: read the unit's own rows (see survey_unit_rows_fresh), decided once per call. */
static void bind_agg_scope(sqlite3_stmt *st, const struct survey_scope *scope, int use_units)
{
	bind_scope(st, scope);
	sqlite3_bind_int(st, 9, use_units);
}

enum gs_result survey_aggregates_rebuild(struct db *db, int only_if_stale, int *rebuilt)
{
	if (rebuilt)
		*rebuilt = 0;
	enum gs_result r = survey_fold(db, NULL);
	if (r == GS_OK)
		r = db_begin(db);
	if (r != GS_OK)
		return r;
	if (only_if_stale && survey_unit_rows_fresh(db)) {
		db_rollback(db);
		return GS_OK;
	}
	/* Each statement in parentheses: they are one string each, not a list by mistake. */
	static const char *const sql[] = {
		("DELETE FROM survey_daily WHERE scope < 0"),
		("DELETE FROM survey_hourly WHERE scope < 0"),
		("DELETE FROM survey_answer_daily WHERE scope < 0"),
		("WITH RECURSIVE anc(hall, unit) AS (SELECT id, station_id FROM halls UNION ALL SELECT anc.hall, "
		"u.parent_id FROM anc JOIN units u ON u.id = anc.unit WHERE u.parent_id IS NOT NULL) "
		"INSERT INTO survey_daily(scope, day, verified, flagged, n1, n2, n3, n4, n5, satisfied) "
		"SELECT -anc.unit, d.day, d.verified, d.flagged, sum(d.n1), sum(d.n2), sum(d.n3), sum(d.n4), "
		"sum(d.n5), sum(d.satisfied) FROM survey_daily d JOIN anc ON anc.hall = d.scope WHERE d.scope > 0 "
		"GROUP BY anc.unit, d.day, d.verified, d.flagged"),
		("WITH RECURSIVE anc(hall, unit) AS (SELECT id, station_id FROM halls UNION ALL SELECT anc.hall, "
		"u.parent_id FROM anc JOIN units u ON u.id = anc.unit WHERE u.parent_id IS NOT NULL) "
		"INSERT INTO survey_hourly(scope, day, hour, n, satisfied) SELECT -anc.unit, d.day, d.hour, "
		"sum(d.n), sum(d.satisfied) FROM survey_hourly d JOIN anc ON anc.hall = d.scope WHERE d.scope > 0 "
		"GROUP BY anc.unit, d.day, d.hour"),
		("WITH RECURSIVE anc(hall, unit) AS (SELECT id, station_id FROM halls UNION ALL SELECT anc.hall, "
		"u.parent_id FROM anc JOIN units u ON u.id = anc.unit WHERE u.parent_id IS NOT NULL) "
		"INSERT INTO survey_answer_daily(scope, day, question, value, n) SELECT -anc.unit, d.day, d.question, "
		"d.value, sum(d.n) FROM survey_answer_daily d JOIN anc ON anc.hall = d.scope WHERE d.scope > 0 "
		"GROUP BY anc.unit, d.day, d.question, d.value"),
		("INSERT INTO settings(name, value) SELECT 'survey.aggregates_org', CAST(coalesce(max(id), 0) AS TEXT) "
		"FROM org_loads WHERE true ON CONFLICT(name) DO UPDATE SET value = excluded.value"),
	};
	for (size_t i = 0; r == GS_OK && i < sizeof sql / sizeof sql[0]; i++)
		r = db_exec(db, sql[i]);
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	else if (rebuilt)
		*rebuilt = 1;
	return r;
}

enum gs_result survey_stats_get(struct db *db, const struct survey_settings *set, const struct survey_scope *scope,
				const char *from, const char *to, int verified_only, int detail,
				struct survey_stats *out)
{
	memset(out, 0, sizeof *out);
	long d_from = survey_day_number(from), d_to = survey_day_number(to);
	if (d_from < 0 || d_to < 0 || d_to < d_from)
		return GS_ERR_INVALID;
	enum gs_result fr = survey_fold(db, NULL);
	if (fr != GS_OK && fr != GS_ERR_BUSY) /* busy: read what is folded already */
		return fr;
	int use_units = scope->unit_id != 0 && survey_unit_rows_fresh(db);

	sqlite3_stmt *st = db_stmt(db, AGG_CTE "SELECT verified, flagged, sum(n1), sum(n2), sum(n3), sum(n4), "
					       "sum(n5), sum(satisfied) FROM survey_daily WHERE scope IN hs "
					       "AND day BETWEEN ?3 AND ?4 GROUP BY verified, flagged");
	if (!st)
		return GS_ERR_DB;
	bind_agg_scope(st, scope, use_units);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		int verified = sqlite3_column_int(st, 0), flagged = sqlite3_column_int(st, 1);
		int64_t lv[6] = {0}, n = 0;
		for (int k = 1; k <= 5; k++) {
			lv[k] = sqlite3_column_int64(st, 1 + k);
			n += lv[k];
		}
		int64_t sat = sqlite3_column_int64(st, 7);
		if (flagged) {
			out->flagged += n;
			continue;
		}
		if (verified) {
			out->verified += n;
			out->verified_satisfied += sat;
		} else {
			out->unverified += n;
			out->unverified_satisfied += sat;
			if (verified_only)
				continue;
		}
		out->responses += n;
		out->satisfied += sat;
		for (int k = 1; k <= 5; k++)
			out->levels[k] += lv[k];
	}
	sqlite3_reset(st);
	if (row < 0)
		return GS_ERR_DB;
	struct stats_proportion p = stats_wilson(out->satisfied, out->responses, STATS_Z95);
	if (out->responses > 0) {
		out->rate = p.rate;
		out->ci_low = p.low;
		out->ci_high = p.high;
	}
	out->sample_ok = out->responses >= set->min_sample;

	st = db_stmt(db, SCOPE_CTE "SELECT count(*), count(used_at) FROM survey_tickets WHERE hall_id IN hs "
				   "AND issued_at >= ?3 AND issued_at < ?4");
	if (!st)
		return GS_ERR_DB;
	bind_scope(st, scope);
	sqlite3_bind_int64(st, 3, day_start(d_from));
	sqlite3_bind_int64(st, 4, day_start(d_to + 1));
	row = db_step_row(db, st);
	if (row > 0) {
		out->tickets_issued = sqlite3_column_int64(st, 0);
		out->tickets_answered = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (row < 0 || !detail)
		return row < 0 ? GS_ERR_DB : GS_OK;

	/* Weekday of a day: days since 1970-01-01 (a Thursday), via julianday. */
	st = db_stmt(db, AGG_CTE "SELECT hour, CAST(julianday(day) - 2440587.5 AS INTEGER), sum(n), sum(satisfied) "
				 "FROM survey_hourly WHERE scope IN hs AND day BETWEEN ?3 AND ?4 GROUP BY day, hour");
	if (!st)
		return GS_ERR_DB;
	bind_agg_scope(st, scope, use_units);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	while ((row = db_step_row(db, st)) > 0) {
		int hour = sqlite3_column_int(st, 0);
		int64_t days = sqlite3_column_int64(st, 1);
		int wd = (int)(((days % 7) + 7 + 3) % 7) + 1;
		int64_t n = sqlite3_column_int64(st, 2), sat = sqlite3_column_int64(st, 3);
		if (hour < 0 || hour > 23)
			continue;
		out->hour_n[hour] += n;
		out->hour_sat[hour] += sat;
		out->weekday_n[wd] += n;
		out->weekday_sat[wd] += sat;
	}
	sqlite3_reset(st);
	if (row < 0)
		return GS_ERR_DB;

	st = db_stmt(db, AGG_CTE "SELECT question, value, sum(n) FROM survey_answer_daily WHERE scope IN hs "
				 "AND day BETWEEN ?3 AND ?4 GROUP BY question, value ORDER BY question, value");
	if (!st)
		return GS_ERR_DB;
	bind_agg_scope(st, scope, use_units);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	size_t cap = 0;
	while ((row = db_step_row(db, st)) > 0) {
		if (out->n_questions == cap) {
			cap = cap ? cap * 2 : 16;
			out->questions = xrealloc(out->questions, cap * sizeof *out->questions);
		}
		struct survey_question_count *q = &out->questions[out->n_questions++];
		q->question = db_column_strdup(st, 0);
		q->value = db_column_strdup(st, 1);
		q->n = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}

void survey_stats_clear(struct survey_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_questions; i++) {
		free(s->questions[i].question);
		free(s->questions[i].value);
	}
	free(s->questions);
	s->questions = NULL;
	s->n_questions = 0;
}

enum gs_result survey_monthly(struct db *db, const struct survey_scope *scope, const char *from, const char *to,
			      int verified_only, struct survey_month **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	long d_from = survey_day_number(from), d_to = survey_day_number(to);
	if (d_from < 0 || d_to < d_from)
		return GS_ERR_INVALID;
	enum gs_result fr = survey_fold(db, NULL);
	if (fr != GS_OK && fr != GS_ERR_BUSY)
		return fr;
	int use_units = scope->unit_id != 0 && survey_unit_rows_fresh(db);
	int y0 = atoi(from), m0 = atoi(from + 5), y1 = atoi(to), m1 = atoi(to + 5);
	long months = (long)(y1 - y0) * 12 + (m1 - m0) + 1;
	if (months < 1 || months > 36)
		return GS_ERR_INVALID;
	struct survey_month *m = xcalloc((size_t)months, sizeof *m);
	for (long i = 0; i < months; i++) {
		long k = (long)(m0 - 1) + i;
		char day[11];
		survey_day_string(util_days_from_civil(y0 + k / 12, (unsigned)(k % 12 + 1), 1), day);
		memcpy(m[i].month, day, 7);
		m[i].month[7] = '\0';
	}
	sqlite3_stmt *st = db_stmt(db, AGG_CTE "SELECT substr(day, 1, 7), sum(n1 + n2 + n3 + n4 + n5), "
					       "sum(satisfied) FROM survey_daily WHERE scope IN hs AND "
						 "day BETWEEN ?3 AND ?4 AND flagged = 0 AND verified >= ?5 "
						 "GROUP BY 1 ORDER BY 1");
	if (!st) {
		free(m);
		return GS_ERR_DB;
	}
	bind_agg_scope(st, scope, use_units);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, verified_only ? 1 : 0);
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		const char *month = (const char *)sqlite3_column_text(st, 0);
		for (long i = 0; i < months; i++)
			if (strcmp(m[i].month, month) == 0) {
				m[i].responses = sqlite3_column_int64(st, 1);
				m[i].satisfied = sqlite3_column_int64(st, 2);
			}
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(m);
		return GS_ERR_DB;
	}
	*out = m;
	*n = (size_t)months;
	return GS_OK;
}

/* The newest commented responses: how many entries of the commented-responses index a
 * walk reads before it leaves the rest to the scope's own rows. */
#define COMMENT_WALK_MAX 20000
#define COMMENT_PICK_MAX 100

/* A row of RESPONSE_COLUMNS as a survey_response (pointers into the statement's row). */
#define RESPONSE_COLUMNS                                                                                           \
	"r.id, h.code, r.submitted_at, r.rating, r.verified, r.flags, r.flag_reasons, r.answers, r.comment, "     \
	"f.form_id, f.version FROM survey_responses r JOIN halls h ON h.id = r.hall_id "                          \
	"JOIN survey_forms f ON f.id = r.form "

static struct survey_response response_of_row(sqlite3_stmt *st)
{
	return (struct survey_response){
		.id = sqlite3_column_int64(st, 0),
		.hall_code = (char *)sqlite3_column_text(st, 1),
		.submitted_at = sqlite3_column_int64(st, 2),
		.rating = sqlite3_column_int(st, 3),
		.verified = sqlite3_column_int(st, 4),
		.flags = sqlite3_column_int(st, 5),
		.flag_reasons = (char *)sqlite3_column_text(st, 6),
		.answers_json = (char *)sqlite3_column_text(st, 7),
		.comment = (char *)sqlite3_column_text(st, 8),
		.form_id = (char *)sqlite3_column_text(st, 9),
		.form_version = (char *)sqlite3_column_text(st, 10),
	};
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The ids of the newest `limit` commented responses of scope in [from, to], newest first,
 * from the partial index survey_responses_commented (migration 008) walked backwards:
 * for a company the first entries are its own, for a hall the walk reads the newest
 * comments of every hall until it has the hall's. *found = 0 (and GS_OK) when the walk
 * stopped at COMMENT_WALK_MAX entries short of `limit`: a scope with few comments among
 * many, whose own rows the general query reads faster. */
static enum gs_result newest_comment_ids(struct db *db, const struct survey_scope *scope, const char *from,
					 const char *to, size_t limit, int64_t *ids, size_t *n, int *found)
{
	*n = 0;
	*found = 0;
	sqlite3_stmt *st = db_stmt(db, SCOPE_CTE "SELECT id FROM hs ORDER BY id");
	if (!st)
		return GS_ERR_DB;
	bind_scope(st, scope);
	int64_t *halls = NULL;
	size_t nh = 0, cap = 0;
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		if (nh == cap) {
			cap = cap ? cap * 2 : 64;
			halls = xrealloc(halls, cap * sizeof *halls);
		}
		halls[nh++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (row < 0) {
		free(halls);
		return GS_ERR_DB;
	}
	if (nh == 0) {
		free(halls);
		*found = 1;
		return GS_OK;
	}
	st = db_stmt(db, "SELECT id, hall_id FROM survey_responses INDEXED BY survey_responses_commented "
			 "WHERE comment IS NOT NULL AND day BETWEEN ?1 AND ?2 "
			 "ORDER BY day DESC, submitted_at DESC, id DESC LIMIT ?3");
	if (!st) {
		free(halls);
		return GS_ERR_DB;
	}
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, COMMENT_WALK_MAX);
	size_t walked = 0;
	while (*n < limit && (row = db_step_row(db, st)) > 0) {
		walked++;
		int64_t hall = sqlite3_column_int64(st, 1);
		if (bsearch(&hall, halls, nh, sizeof *halls, id_cmp))
			ids[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	free(halls);
	if (row < 0)
		return GS_ERR_DB;
	/* the range is exhausted (row == 0 before the cap) or the limit was reached */
	*found = *n == limit || walked < COMMENT_WALK_MAX;
	return GS_OK;
}

enum gs_result survey_responses_each(struct db *db, const struct survey_scope *scope, const char *from,
				     const char *to, int only_flagged, int with_comment, size_t limit,
				     survey_response_fn fn, void *ctx)
{
	if (survey_day_number(from) < 0 || survey_day_number(to) < 0)
		return GS_ERR_INVALID;
	if (with_comment && !only_flagged && limit > 0 && limit <= COMMENT_PICK_MAX) {
		int64_t ids[COMMENT_PICK_MAX];
		size_t n = 0;
		int found = 0;
		enum gs_result r = newest_comment_ids(db, scope, from, to, limit, ids, &n, &found);
		if (r != GS_OK)
			return r;
		if (found) {
			sqlite3_stmt *st = NULL;
			int rc = sqlite3_prepare_v2(db_handle(db), "SELECT " RESPONSE_COLUMNS "WHERE r.id = ?1", -1, &st,
						    NULL);
			if (rc != SQLITE_OK)
				return db_fail(db, NULL, rc);
			for (size_t i = 0; r == GS_OK && i < n; i++) {
				sqlite3_bind_int64(st, 1, ids[i]);
				int row = db_step_row(db, st);
				if (row > 0) {
					struct survey_response x = response_of_row(st);
					r = fn(ctx, &x);
				} else if (row < 0) {
					r = GS_ERR_DB;
				}
				sqlite3_reset(st);
			}
			sqlite3_finalize(st);
			return r;
		}
	}
	/* Not a cached statement: fn may run other queries, and exports may be long. */
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
		db_handle(db),
		SCOPE_CTE "SELECT " RESPONSE_COLUMNS "WHERE r.hall_id IN hs AND r.day BETWEEN ?3 AND ?4 AND (?5 = 0 OR r.flags <> 0) "
			  "AND (?6 = 0 OR r.comment IS NOT NULL) ORDER BY r.submitted_at DESC, r.id DESC LIMIT ?7",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, NULL, rc);
	bind_scope(st, scope);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, only_flagged);
	sqlite3_bind_int(st, 6, with_comment);
	sqlite3_bind_int64(st, 7, limit ? (int64_t)limit : -1);
	enum gs_result r = GS_OK;
	int row;
	while (r == GS_OK && (row = db_step_row(db, st)) > 0) {
		struct survey_response x = response_of_row(st);
		r = fn(ctx, &x);
	}
	if (r == GS_OK && row < 0)
		r = GS_ERR_DB;
	sqlite3_finalize(st);
	return r;
}

/* ---- Follow-ups ------------------------------------------------------------------ */

enum gs_result survey_followups_list(struct db *db, int64_t unit_id, int state, size_t limit,
				     struct survey_followup **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(
		db, SCOPE_CTE "SELECT f.id, f.response_id, h.code, h.name, s.code, s.name, r.rating, r.comment, "
			      "f.opened_at, f.due_at, f.closed_at, f.closed_by, f.note FROM survey_followups f "
			      "JOIN halls h ON h.id = f.hall_id JOIN units s ON s.id = h.station_id "
			      "JOIN survey_responses r ON r.id = f.response_id "
			      "WHERE (?1 = 0 OR f.hall_id IN hs) AND (?3 = 2 OR (f.closed_at IS NOT NULL) = ?3) "
			      "ORDER BY f.closed_at IS NOT NULL, f.due_at, f.id LIMIT ?4");
	if (!st)
		return GS_ERR_DB;
	struct survey_scope scope = {.unit_id = unit_id};
	bind_scope(st, &scope);
	sqlite3_bind_int(st, 3, state);
	sqlite3_bind_int64(st, 4, limit ? (int64_t)limit : -1);
	size_t cap = 0;
	int row;
	while ((row = db_step_row(db, st)) > 0) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct survey_followup *f = &(*out)[(*n)++];
		f->id = sqlite3_column_int64(st, 0);
		f->response_id = sqlite3_column_int64(st, 1);
		f->hall_code = db_column_strdup(st, 2);
		f->hall_name = db_column_strdup(st, 3);
		f->station_code = db_column_strdup(st, 4);
		f->station_name = db_column_strdup(st, 5);
		f->rating = sqlite3_column_int(st, 6);
		f->comment = db_column_strdup(st, 7);
		f->opened_at = sqlite3_column_int64(st, 8);
		f->due_at = sqlite3_column_int64(st, 9);
		f->closed_at = sqlite3_column_int64(st, 10);
		f->closed_by = db_column_strdup(st, 11);
		f->note = db_column_strdup(st, 12);
	}
	sqlite3_reset(st);
	if (row < 0) {
		survey_followups_free(*out, *n);
		*out = NULL;
		*n = 0;
		return GS_ERR_DB;
	}
	return GS_OK;
}

void survey_followups_free(struct survey_followup *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].hall_code);
		free(f[i].hall_name);
		free(f[i].station_code);
		free(f[i].station_name);
		free(f[i].comment);
		free(f[i].closed_by);
		free(f[i].note);
	}
	free(f);
}

enum gs_result survey_followups_count(struct db *db, int64_t unit_id, int64_t now, int64_t *open, int64_t *overdue)
{
	*open = *overdue = 0;
	sqlite3_stmt *st = db_stmt(db, SCOPE_CTE "SELECT count(*), count(CASE WHEN due_at < ?3 THEN 1 END) "
						 "FROM survey_followups WHERE closed_at IS NULL AND (?1 = 0 OR hall_id IN hs)");
	if (!st)
		return GS_ERR_DB;
	struct survey_scope scope = {.unit_id = unit_id};
	bind_scope(st, &scope);
	sqlite3_bind_int64(st, 3, now);
	int row = db_step_row(db, st);
	if (row > 0) {
		*open = sqlite3_column_int64(st, 0);
		*overdue = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return row < 0 ? GS_ERR_DB : GS_OK;
}

enum gs_result survey_followup_close(struct db *db, int64_t id, int64_t unit_id, const char *by, const char *note)
{
	if (!note || !*note || strlen(note) > 2000)
		return GS_ERR_INVALID;
	enum gs_result r = db_begin(db);
	if (r != GS_OK)
		return r;
	sqlite3_stmt *st = db_stmt(db, SCOPE_CTE "SELECT closed_at IS NOT NULL FROM survey_followups "
						 "WHERE id = ?3 AND (?1 = 0 OR hall_id IN hs)");
	if (!st) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	struct survey_scope scope = {.unit_id = unit_id};
	bind_scope(st, &scope);
	sqlite3_bind_int64(st, 3, id);
	int row = db_step_row(db, st);
	int closed = row > 0 && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (row <= 0 || closed) {
		db_rollback(db);
		return row < 0 ? GS_ERR_DB : row == 0 ? GS_ERR_NOT_FOUND : GS_ERR_CONFLICT;
	}
	st = db_stmt(db, "UPDATE survey_followups SET closed_at = ?2, closed_by = ?3, note = ?4 WHERE id = ?1");
	if (!st) {
		db_rollback(db);
		return GS_ERR_DB;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, util_now());
	sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
	r = db_step_done(db, st);
	if (r == GS_OK) {
		char detail[64];
		snprintf(detail, sizeof detail, "follow-up %lld", (long long)id);
		r = auth_audit(db, by, "followup.close", detail);
	}
	if (r == GS_OK)
		r = db_commit(db);
	if (r != GS_OK)
		db_rollback(db);
	return r;
}
