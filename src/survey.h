/* survey.h — customer-evaluation surveys as data: hall survey codes (hall code + key
 * version + keyed MAC), single-use tickets, storing a response with its anti-abuse
 * flags, daily aggregates and follow-up, and statistics pooled over any unit.
 * Knows nothing of HTTP, HTML or the form language (xform.c parses answers; the
 * caller hands over the rating and the choice answers). Owns the SQL of migration 002. */
#ifndef GS_SURVEY_H
#define GS_SURVEY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "gs.h"
#include "org.h"

/* ---- Local time. Asia/Shanghai has been UTC+8 without daylight saving since 1991. */
#define SURVEY_TZ_OFFSET_S (8 * 3600)
/* Local date "YYYY-MM-DD" (11 bytes with NUL), hour 0..23 and ISO weekday 1..7 of t. */
void survey_local_time(int64_t t, char day[11], int *hour, int *weekday);
/* Parses "YYYY-MM-DD" (a real calendar date) into days since 1970-01-01; -1 if invalid. */
long survey_day_number(const char *day);
/* The inverse of survey_day_number. */
void survey_day_string(long days, char day[11]);

/* ---- Settings (table settings; the built-in default when absent). */
struct survey_settings {
	int ticket_ttl_s;        /* survey.ticket_ttl_hours, default 24 h */
	int followup_days;       /* survey.followup_days, default 15 */
	int unsatisfied_max;     /* survey.unsatisfied_max: ratings <= this open a follow-up, default 2 */
	int min_sample;          /* survey.min_sample, default 30 */
	int min_breakdown;       /* survey.min_breakdown: smaller groups are not shown, default 5 */
	int verified_only;       /* survey.verified_only: the indicator counts ticket responses only, default 0 */
	int fast_s;              /* survey.fast_seconds: completion faster than this is flagged, default 5 */
	int burst_max;           /* survey.burst_max: more responses than this from one client and hall per
				    hour are flagged, default 2 */
};
enum gs_result survey_settings_load(struct db *db, struct survey_settings *out);

/* ---- Hall survey codes: "{hall}.{key version}.{mac}", e.g. "QH-H01.1.k7m2q9x4ab".
 * The MAC is 50 bits of HMAC-SHA256 under a key derived from the server's survey key
 * and the hall's key version, in lower-case Crockford base32 (no i, l, o, u). */
#define SURVEY_CODE_MAX 96
enum gs_result survey_code_make(struct db *db, const char *hall_code, int key_version, char out[SURVEY_CODE_MAX]);
/* Resolves a code to its hall. GS_ERR_NOT_FOUND for malformed, forged, revoked (old key
 * version) or unknown codes and for inactive halls. Free *hall with org_hall_clear. */
enum gs_result survey_code_resolve(struct db *db, const char *code, struct org_hall *hall);
/* The same through a small per-thread cache of resolved codes: *hall is borrowed and
 * valid until this thread's next call. A code resolved within the last
 * SURVEY_HALL_CACHE_MS is not looked up again, so a key rotation or deactivation takes
 * up to that long to reach a thread that served the code just before. */
#define SURVEY_HALL_CACHE_MS 2000
enum gs_result survey_code_resolve_cached(struct db *db, const char *code, const struct org_hall **hall);
/* Revokes every printed code of a hall by moving it to a new key version. */
enum gs_result survey_hall_rotate_key(struct db *db, const char *hall_code, int *new_version);

/* ---- Client hash: keyed BLAKE2b of (address, user agent) under a random key that is
 * replaced every local day and deleted after two, so no address can be recovered. */
#define SURVEY_CLIENT_HASH_LEN 16
enum gs_result survey_client_hash(struct db *db, const char *ip, const char *user_agent, int64_t now,
				  unsigned char out[SURVEY_CLIENT_HASH_LEN]);

/* ---- Form instances: the hidden id of one rendered form, so a second submit of it is
 * recognised. SURVEY_INSTANCE_LEN url-safe characters: the render time as 8 hex digits,
 * then 35 random characters (210 bits). The time prefix makes stored instances arrive in
 * the order of their unique index, so storing one touches the index's newest page
 * instead of a random one. Any 43 url-safe characters are accepted back. */
#define SURVEY_INSTANCE_LEN 43
void survey_instance_new(int64_t now, char out[SURVEY_INSTANCE_LEN + 1]);

/* ---- Form versions: registers the form text served as (form_id, version). The same
 * content again returns its row; different content under an existing version is
 * GS_ERR_CONFLICT (a changed form needs a new version). */
enum gs_result survey_form_register(struct db *db, const char *form_id, const char *version, const char *source,
				    size_t len, int64_t *row_id);

/* ---- Tickets. A ticket is AUTH_TOKEN_LEN url-safe characters (256 random bits);
 * only its SHA-256 is stored. */
#define SURVEY_TICKET_LEN 43
enum gs_result survey_ticket_issue(struct db *db, const char *hall_code, const char *issued_by, int ttl_s,
				   char ticket[SURVEY_TICKET_LEN + 1], int64_t *expires_at);
/* Looks a ticket up: GS_ERR_NOT_FOUND if unknown, GS_ERR_CONFLICT if already answered
 * (*state = 1) or expired (*state = 2). On GS_OK *ticket_id and *hall are set (free with
 * org_hall_clear). */
enum gs_result survey_ticket_check(struct db *db, const char *ticket, int64_t now, int64_t *ticket_id,
				   struct org_hall *hall, int *state);

/* ---- Responses. */
enum survey_flag {
	SURVEY_FLAG_BURST = 1,         /* many responses from one client hash to one hall */
	SURVEY_FLAG_OUTSIDE_HOURS = 2, /* submitted while the hall was closed */
	SURVEY_FLAG_FAST = 4,          /* answered implausibly fast */
	SURVEY_FLAG_UNSERVED = 8       /* the form was not one this server rendered (no valid stamp) */
};

/* One choice answer, for the per-question counts. */
struct survey_choice {
	const char *question;
	const char *value;
};

struct survey_submission {
	int64_t hall_id;
	int64_t form_row;            /* survey_form_register's row */
	int64_t submitted_at;
	int rating;                  /* 1..5 */
	int satisfied;               /* per the form version's rule */
	const char *answers_json;
	const char *comment;         /* NULL or the free-text answer, kept for follow-ups */
	const char *ticket;          /* NULL for a hall-code response */
	const char *instance;        /* the form instance id: a second submit of it is a duplicate */
	const unsigned char *client_hash; /* SURVEY_CLIENT_HASH_LEN bytes or NULL */
	int duration_s;              /* seconds from page render to submit; -1 if unknown */
	int unserved;                /* 1: no valid render stamp */
	const struct survey_choice *choices;
	size_t n_choices;
};

struct survey_stored {
	int64_t response_id;
	int duplicate;               /* the instance was already stored: nothing written */
	int ticket_state;            /* 1 used, 2 expired, 3 unknown: nothing written */
	int flags;                   /* enum survey_flag */
	int64_t followup_id;         /* 0 if none was opened */
};

/* Stores one response in one write transaction: checks and consumes the ticket, flags
 * it (burst, opening hours, speed) and opens a follow-up for a bad rating; the daily
 * aggregates follow with the next survey_fold. GS_ERR_CONFLICT with out->duplicate or out->ticket_state set when
 * nothing was written for those reasons. Concurrent submissions of one ticket: exactly
 * one succeeds. */
enum gs_result survey_store(struct db *db, const struct survey_settings *set, const struct survey_submission *s,
			    struct survey_stored *out);

/* 1 if a response of this form instance is stored, 0 if not, -1 on error. */
int survey_instance_seen(struct db *db, const char *instance);

/* Group commit for the server: submissions arriving together are stored in one
 * transaction (with the same results as survey_store, one refusal never affecting
 * another) by the writer thread of survey_batcher_background, or without it by
 * whichever waiting thread leads, on its own connection db. survey_store_batched
 * returns once the submission is committed or refused. All callers must use the same
 * database. */
struct survey_batcher;
struct survey_batcher *survey_batcher_new(unsigned max_batch); /* 0: 256 */
void survey_batcher_free(struct survey_batcher *b);          /* NULL is a no-op */
enum gs_result survey_store_batched(struct survey_batcher *b, struct db *db, const struct survey_settings *set,
				    const struct survey_submission *s, struct survey_stored *out);
/* Called once a submission of survey_store_async is committed (GS_OK) or refused (the
 * results of survey_store, with its survey_stored filled), from the batcher's writer
 * thread (or from survey_store_async itself, see there). Must not block. */
typedef void (*survey_stored_fn)(void *ctx, enum gs_result r);
/* Queues s to be stored and returns at once; done(ctx, result) follows when it is
 * committed or refused. s, what it points to, and out must stay valid until then. With
 * a writer thread (survey_batcher_background) it is the writer that stores and calls
 * done; without one (in-memory databases) s is stored on db now, as by
 * survey_store_batched, and done is called before this returns. */
void survey_store_async(struct survey_batcher *b, struct db *db, const struct survey_settings *set,
			const struct survey_submission *s, struct survey_stored *out, survey_stored_fn done,
			void *ctx);
/* Starts the batcher's writer thread, with its own connection to db_path: from then on
 * every submission through b is stored by it (whatever queued while it committed the
 * last batch is the next one), and between batches it folds the stored responses into
 * the aggregates in short steps (at least every 200 ms). A maintenance thread
 * checkpoints the WAL in the background (db_checkpoints_deferred), so neither runs
 * inside a request. Without them the submitting threads store and fold themselves.
 * Stopped by survey_batcher_free, after the queue is empty. GS_ERR_CONFLICT if already
 * running. */
enum gs_result survey_batcher_background(struct survey_batcher *b, const char *db_path);
/* From now on, bursts of submissions through b (survey_settings.burst_max responses from
 * one client hash to one hall within an hour) are found in an in-memory window instead
 * of the database, filled now from the responses stored in the hour before now. The
 * window remembers the SURVEY_BURST_PAIRS (client hash, hall) pairs that sent last
 * (fewer for a burst_max over 16); a pair forgotten under more distinct clients per
 * hour than that counts from zero again. Call it once, before the first submission.
 * GS_ERR_CONFLICT if b already has one. */
#define SURVEY_BURST_PAIRS 65536
enum gs_result survey_batcher_burst_window(struct survey_batcher *b, struct db *db, int burst_max, int64_t now);
/* Transactions and submissions stored so far (for tests and metrics). */
void survey_batcher_stats(struct survey_batcher *b, uint64_t *batches, uint64_t *items);

/* Human-readable reasons for a flag set ("burst; outside opening hours"), into out. */
void survey_flag_reasons(int flags, char *out, size_t len);

/* ---- Statistics, pooled from the daily aggregates of every hall in scope. */

/* Folds the responses stored since the last fold into the daily aggregates of their
 * halls and of every unit above them, in one transaction of set-based statements.
 * Statistics call it before they read; the group commit calls it now and then.
 * *folded (may be NULL) receives the number of responses folded. */
enum gs_result survey_fold(struct db *db, int64_t *folded);

/* Derives the unit rows of the aggregates from the hall rows for the current org tree
 * (after an org file moved units or halls). only_if_stale: nothing to do when no org
 * load happened since the last rebuild. Until then statistics of units pool their
 * halls' rows, which is right but slower. *rebuilt (may be NULL) says if it ran. */
enum gs_result survey_aggregates_rebuild(struct db *db, int only_if_stale, int *rebuilt);
/* 1 if the units' own aggregate rows match the org tree (no org load since they were
 * derived), so a unit's statistics may read them; 0 if not or on error. */
int survey_unit_rows_fresh(struct db *db);

struct survey_question_count {
	char *question;
	char *value;
	int64_t n;
};

struct survey_stats {
	int64_t responses;           /* counted (unflagged; verified only if asked) */
	int64_t satisfied;
	int64_t levels[6];           /* levels[1..5] */
	int64_t flagged;             /* in range but excluded as suspicious */
	int64_t verified, verified_satisfied;     /* ticket responses among the counted */
	int64_t unverified, unverified_satisfied; /* hall-code responses (0 when verified only) */
	double rate, ci_low, ci_high;             /* 0 when no responses */
	int sample_ok;               /* responses >= min_sample */
	int64_t tickets_issued, tickets_answered; /* in range */
	int64_t hour_n[24], hour_sat[24];         /* unflagged, both kinds */
	int64_t weekday_n[8], weekday_sat[8];     /* [1..7] */
	struct survey_question_count *questions;  /* per choice-question value counts */
	size_t n_questions;
};

struct survey_scope {
	int64_t unit_id;             /* a unit: every hall whose station lies within it */
	int64_t hall_id;             /* or one hall (unit_id = 0) */
};

/* from and to are local days "YYYY-MM-DD", inclusive (GS_ERR_INVALID otherwise).
 * detail = 0 fills only the counts, the interval and tickets (what the indicator and the
 * API need, read from the daily aggregates); detail = 1 also the hour, weekday and
 * per-question breakdowns. Free with survey_stats_clear. */
enum gs_result survey_stats_get(struct db *db, const struct survey_settings *set, const struct survey_scope *scope,
				const char *from, const char *to, int verified_only, int detail,
				struct survey_stats *out);
void survey_stats_clear(struct survey_stats *s);

/* Monthly series for trend charts: month i = from's month + i. n_months <= 36. */
struct survey_month {
	char month[8];               /* "YYYY-MM" */
	int64_t responses, satisfied;
};
enum gs_result survey_monthly(struct db *db, const struct survey_scope *scope, const char *from, const char *to,
			      int verified_only, struct survey_month **out, size_t *n);

/* ---- Raw responses, for the comment list and CSV export (newest first). */
struct survey_response {
	int64_t id;
	char *hall_code;
	int64_t submitted_at;
	int rating;
	int verified;
	int flags;
	char *flag_reasons;          /* may be NULL */
	char *answers_json;
	char *comment;               /* may be NULL */
	char *form_id, *form_version;
};
/* Calls fn for each response in scope and range (up to limit; 0 = all), newest first.
 * only_flagged: the exclusion list for audit. fn returning non-GS_OK stops early with it. */
typedef enum gs_result (*survey_response_fn)(void *ctx, const struct survey_response *r);
enum gs_result survey_responses_each(struct db *db, const struct survey_scope *scope, const char *from,
				     const char *to, int only_flagged, int with_comment, size_t limit,
				     survey_response_fn fn, void *ctx);

/* ---- Follow-ups. */
struct survey_followup {
	int64_t id;
	int64_t response_id;
	char *hall_code, *hall_name;
	char *station_code, *station_name;
	int rating;
	char *comment;               /* may be NULL */
	int64_t opened_at, due_at, closed_at;     /* closed_at 0 while open */
	char *closed_by, *note;      /* NULL while open */
};
/* Follow-ups of halls within unit_id (0 = all): open ones (state 0), closed (1), all (2).
 * Overdue first among open ones, then by due date. Free with survey_followups_free. */
enum gs_result survey_followups_list(struct db *db, int64_t unit_id, int state, size_t limit,
				     struct survey_followup **out, size_t *n);
void survey_followups_free(struct survey_followup *f, size_t n);
/* Counts open and overdue (due before now) follow-ups within unit_id. */
enum gs_result survey_followups_count(struct db *db, int64_t unit_id, int64_t now, int64_t *open, int64_t *overdue);
/* Closes one: GS_ERR_NOT_FOUND if unknown or outside unit_id (0 = anywhere),
 * GS_ERR_CONFLICT if already closed, GS_ERR_INVALID if the note is empty or over 2000 bytes. */
enum gs_result survey_followup_close(struct db *db, int64_t id, int64_t unit_id, const char *by, const char *note);

#endif
