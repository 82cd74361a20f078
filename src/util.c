/* util.c — allocation, capped buffers, logging and clocks shared by every module. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

const char *gs_result_str(enum gs_result r)
{
	switch (r) {
	case GS_OK: return "ok";
	case GS_ERR_INVALID: return "invalid input";
	case GS_ERR_NOT_FOUND: return "not found";
	case GS_ERR_CONFLICT: return "conflict";
	case GS_ERR_TOO_LARGE: return "too large";
	case GS_ERR_FORBIDDEN: return "forbidden";
	case GS_ERR_UNAUTHORIZED: return "unauthorized";
	case GS_ERR_RATE_LIMITED: return "too many attempts";
	case GS_ERR_IO: return "I/O error";
	case GS_ERR_DB: return "database error";
	case GS_ERR_BUSY: return "busy, try again later";
	case GS_ERR_VERSION: return "database is newer than this program";
	case GS_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}

static void oom(size_t n)
{
	fprintf(stderr, "gridscore: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return s;
}

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = 0;
}

static enum gs_result buf_reserve(struct buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra) {
		b->failed = 1;
		return GS_ERR_TOO_LARGE;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return GS_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return GS_OK;
}

enum gs_result buf_append(struct buf *b, const void *p, size_t n)
{
	enum gs_result r = buf_reserve(b, n);
	if (r != GS_OK)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return GS_OK;
}

enum gs_result buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum gs_result buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum gs_result buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return GS_ERR_INTERNAL;
	enum gs_result r = buf_reserve(b, (size_t)n);
	if (r != GS_OK)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return GS_OK;
}

enum gs_result buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum gs_result r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data ? b->data : xstrdup("");
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_free(struct buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static enum log_level log_min = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level min)
{
	log_min = min;
}

/* The "YYYY-MM-DDTHH:MM:SS" of the second this thread last logged in: the access log
 * writes a line per request, and formatting the date each time showed in profiles. */
struct log_clock {
	time_t sec;
	char when[24];
};
static _Thread_local struct log_clock log_clock = {.sec = -1};

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (level < log_min)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != log_clock.sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(log_clock.when, sizeof log_clock.when, "%Y-%m-%dT%H:%M:%S", &tm);
		log_clock.sec = ts.tv_sec;
	}
	/* The whole line is formatted first and written with one call (stderr is
	 * unbuffered: three stdio calls were three write(2)s per line). */
	char line[1024];
	int n = snprintf(line, sizeof line, "%s.%03ldZ %s ", log_clock.when, ts.tv_nsec / 1000000, names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	char *heap = NULL, *text = line;
	size_t len = (size_t)n + (size_t)(m > 0 ? m : 0);
	if (len + 1 >= sizeof line) { /* a long message: format it again into its own buffer */
		heap = xmalloc(len + 2);
		memcpy(heap, line, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(heap + n, len + 2 - (size_t)n, fmt, ap);
		va_end(ap);
		text = heap;
	}
	text[len] = '\n';
	pthread_mutex_lock(&log_lock);
	fwrite(text, 1, len + 1, stderr);
	pthread_mutex_unlock(&log_lock);
	free(heap);
}

int64_t util_now(void)
{
	return (int64_t)time(NULL);
}

int64_t util_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec util_deadline_us(int64_t us)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += (long)(us % 1000000) * 1000L;
	t.tv_sec += (time_t)(us / 1000000) + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

int util_memeq_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

enum gs_result util_read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return GS_ERR_IO;
	struct buf b;
	buf_init(&b, max);
	char chunk[65536];
	enum gs_result r = GS_OK;
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		r = buf_append(&b, chunk, n);
		if (r != GS_OK)
			break;
	}
	if (r == GS_OK && ferror(f))
		r = GS_ERR_IO;
	fclose(f);
	if (r != GS_OK) {
		buf_free(&b);
		return r;
	}
	*out = buf_steal(&b, len);
	return GS_OK;
}

enum gs_result util_mkdir_parent(const char *path)
{
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	enum gs_result r = GS_OK;
	if (slash && slash != copy) {
		*slash = '\0';
		for (char *p = copy + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(copy, 0750) != 0 && errno != EEXIST)
				r = GS_ERR_IO;
			*p = '/';
		}
		if (r == GS_OK && mkdir(copy, 0750) != 0 && errno != EEXIST)
			r = GS_ERR_IO;
	}
	free(copy);
	return r;
}

long util_days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

void util_civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

void util_day_string(long days, char out[11])
{
	long y;
	unsigned m, d;
	util_civil_from_days(days, &y, &m, &d);
	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;
	/* by hand: snprintf was a twentieth of the fast meter import's time */
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

long util_day_number(const char *s, long min_year)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return UTIL_NO_DAY;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return UTIL_NO_DAY;
	long y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < min_year || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return UTIL_NO_DAY;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return UTIL_NO_DAY;
	return util_days_from_civil(y, m, d);
}

void util_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

size_t util_put_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

int util_valid_code(const char *s)
{
	size_t n = 0;
	if (!s || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			 c == '_' || c == '-';
		if (!ok || n >= 64)
			return 0;
	}
	return 1;
}

const struct embed_file *embed_find(const char *name)
{
	for (size_t i = 0; i < embed_files_count; i++)
		if (strcmp(embed_files[i].name, name) == 0)
			return &embed_files[i];
	return NULL;
}

void util_sha256_hex(const void *p, size_t n, char out[UTIL_SHA256_HEX_LEN + 1])
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, p, n);
	util_hex(hash, sizeof hash, out);
}
