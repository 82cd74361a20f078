/* util.h — small shared helpers: allocation that aborts on out-of-memory (so callers
 * never check for NULL), a growable byte buffer with a mandatory size cap, logging,
 * clocks and a few string helpers. No domain knowledge lives here. */
#ifndef GS_UTIL_H
#define GS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "gs.h"

#define GS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);              /* xstrdup(NULL) == NULL */
char *xstrndup(const char *s, size_t n);   /* copies at most n bytes, NUL-terminates */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable buffer. `max` is the hard cap on len (bytes, not counting the NUL that
 * is always kept after the data). Appends that would pass the cap fail with
 * GS_ERR_TOO_LARGE and leave the buffer as it was. */
struct buf {
	char *data;  /* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;
	int failed;  /* sticky: set when any append hit the cap; renderers check it once at the end */
};

void buf_init(struct buf *b, size_t max);
enum gs_result buf_append(struct buf *b, const void *p, size_t n);
enum gs_result buf_puts(struct buf *b, const char *s);
enum gs_result buf_putc(struct buf *b, char c);
enum gs_result buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum gs_result buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);                  /* len = 0, keeps memory */
char *buf_steal(struct buf *b, size_t *len);    /* caller frees; buffer is left empty */
void buf_free(struct buf *b);                   /* buf_free on an empty buffer is a no-op */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
void log_set_level(enum log_level min);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

int64_t util_now(void);          /* wall clock, unix seconds */
int64_t util_monotonic_us(void); /* monotonic clock, microseconds */
/* The CLOCK_REALTIME time `us` microseconds from now: a deadline for
 * pthread_cond_timedwait (the struct timespec of <time.h>). */
struct timespec util_deadline_us(int64_t us);

/* Constant-time comparison of two byte strings of length n. 1 if equal. */
int util_memeq_ct(const void *a, const void *b, size_t n);

/* Reads a whole file up to max bytes. *out is NUL-terminated, caller frees.
 * GS_ERR_IO if unreadable, GS_ERR_TOO_LARGE past max. */
enum gs_result util_read_file(const char *path, size_t max, char **out, size_t *len);

/* Creates the parent folder of path (one level is enough for ./data/x.db; creates
 * every missing level). GS_ERR_IO on failure. */
enum gs_result util_mkdir_parent(const char *path);

/* ---- Days: proleptic Gregorian dates as day numbers since 1970-01-01 (negative
 * before it), with the usual era arithmetic. */
long util_days_from_civil(long y, unsigned m, unsigned d);
void util_civil_from_days(long days, long *y, unsigned *m, unsigned *d);
/* "YYYY-MM-DD" of a day number into out (11 bytes); years outside 0..9999 are clamped. */
void util_day_string(long days, char out[11]);
#define UTIL_NO_DAY LONG_MIN /* util_day_number of an invalid date; every valid one is above it */
/* The day number of s if it is a valid "YYYY-MM-DD" of min_year or later, else UTIL_NO_DAY. */
long util_day_number(const char *s, long min_year);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void util_hex(const unsigned char *p, size_t n, char *out);

/* v in decimal at out, not NUL-terminated; returns the digits written (at most 20).
 * For hot paths where snprintf's format parsing shows in a profile. */
size_t util_put_u64(char *out, uint64_t v);

/* The SHA-256 of n bytes at p as lowercase hex into out (65 bytes). */
#define UTIL_SHA256_HEX_LEN 64
void util_sha256_hex(const void *p, size_t n, char out[UTIL_SHA256_HEX_LEN + 1]);

/* 1 if s is a valid code: 1..64 chars of [A-Za-z0-9._-], starting alphanumeric. */
int util_valid_code(const char *s);

/* Embedded files (migrations, schemas, static assets), generated at build time. */
struct embed_file {
	const char *name;            /* path relative to the source tree, e.g. "migrations/001_init.sql" */
	const unsigned char *data;   /* NUL-terminated */
	size_t len;
};
extern const struct embed_file embed_files[];
extern const size_t embed_files_count;
const struct embed_file *embed_find(const char *name); /* NULL if absent */

#endif
