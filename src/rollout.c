/* rollout.c — the streaming reader of meter rollout files: the native format
 * (urn:gridscore:rollout:1, validated against the embedded forms/rollout-1.xsd while
 * streaming) and IEC 61968-9 MeterConfig / UsagePointConfig / MasterDataLinkageConfig
 * documents in their many envelopes. Untrusted input: UTF-8 only, no DOCTYPE (refused
 * by our own prolog scan before libxml2 parses a byte), no network, capped sizes.
 * Hands each record to the caller's sink with borrowed strings; no database here. */
#define _GNU_SOURCE
#include "rollout.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define NATIVE_NS "urn:gridscore:rollout:1"
#define NATIVE_XSD "forms/rollout-1.xsd"
#define SOAP11_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"

/* The input window: bytes kept from the position scanner's cursor to the read head. It
 * starts small and grows only while one construct (a long text node or comment) pins
 * the cursor; past WIN_MAX the scanner gives up and positions fall back to libxml2's. */
#define WIN_INIT (256u * 1024u)
#define WIN_MAX (32u * 1024u * 1024u)
/* A DOCTYPE must come before the root element: the prolog is read ahead and scanned by
 * us, so it has to fit here. */
#define PROLOG_MAX (256u * 1024u)
/* libxml2 refuses deeper documents without XML_PARSE_HUGE anyway. */
#define MAX_LEVELS 260
/* The shortest run of bytes without markup taken for an oversized value. */
#define RUN_MIN (64u * 1024u)
/* The field buffers hold max_text bytes each; larger limits are clamped to this. */
#define TEXT_CAP (1u << 20)

/* ---------------------------------------------------------------- small public helpers */

const char *rollout_format_name(enum rollout_format f)
{
	switch (f) {
	case ROLLOUT_NATIVE:
		return "native";
	case ROLLOUT_IEC_METER:
		return "iec-meterconfig";
	case ROLLOUT_IEC_USAGEPOINT:
		return "iec-usagepointconfig";
	case ROLLOUT_IEC_LINKAGE:
		return "iec-linkage";
	case ROLLOUT_UNKNOWN:
		break;
	}
	return "unknown";
}

void rollout_limits_default(struct rollout_limits *l)
{
	l->max_file_bytes = 1024ull * 1024 * 1024;
	l->max_depth = 64;
	l->max_text = 4096;
	l->max_records = 20000000;
}

void rollout_error_add(struct rollout_errors *errs, long line, long column, const char *field, const char *fmt, ...)
{
	errs->total++;
	if (errs->n >= ROLLOUT_MAX_ERRORS)
		return;
	struct rollout_error *e = &errs->e[errs->n++];
	e->line = line;
	e->column = column;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- days */

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int is_xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* "YYYY-MM-DD" and nothing else, the common case: a valid day copied to out, 0. */
static int plain_day(const char *s, char out[11])
{
	int y, m, d;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    s[10] != '\0')
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	memcpy(out, s, 11);
	return 0;
}

int rollout_local_day(const char *s, char out[11])
{
	if (!s)
		return -1;
	if (plain_day(s, out) == 0)
		return 0;
	while (is_xml_space((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_xml_space((unsigned char)s[n - 1]))
		n--;
	int y, m, d;
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	const char *p = s + 10, *end = s + n;
	int minutes = 0, has_time = 0;
	if (p < end && *p == 'T') {
		int hh, mi, ss;
		if (end - p < 9 || digits(p + 1, 2, &hh) || p[3] != ':' || digits(p + 4, 2, &mi) || p[6] != ':' ||
		    digits(p + 7, 2, &ss))
			return -1;
		p += 9;
		int frac_nonzero = 0;
		if (p < end && *p == '.') {
			p++;
			if (p >= end || *p < '0' || *p > '9')
				return -1;
			while (p < end && *p >= '0' && *p <= '9')
				frac_nonzero |= *p++ != '0';
		}
		if (mi > 59 || ss > 59 || hh > 24 || (hh == 24 && (mi || ss || frac_nonzero)))
			return -1;
		minutes = hh * 60 + mi;
		has_time = 1;
	}
	int shift_minutes = 0, zoned = 0;
	if (p < end) {
		if (*p == 'Z') {
			p++;
			zoned = 1;
		} else if (*p == '+' || *p == '-') {
			int zh, zm;
			if (end - p < 6 || digits(p + 1, 2, &zh) || p[3] != ':' || digits(p + 4, 2, &zm))
				return -1;
			if (zh > 14 || zm > 59 || (zh == 14 && zm))
				return -1;
			shift_minutes = (*p == '-' ? 1 : -1) * (zh * 60 + zm);
			p += 6;
			zoned = 1;
		}
		if (p != end)
			return -1;
	}
	(void)has_time;
	/* local = wall time - offset + 8 h; only the day it falls on matters */
	int local = minutes + shift_minutes + (zoned ? 8 * 60 : 0);
	int shift = local >= 24 * 60 ? 1 : local < 0 ? -1 : 0;
	if (local >= 48 * 60)
		shift = 2; /* cannot happen with |offset| <= 14 h, kept for safety */
	while (shift > 0) {
		if (++d > days_in_month(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				if (++y > 9999)
					return -1;
			}
		}
		shift--;
	}
	if (shift < 0) {
		if (--d < 1) {
			if (--m < 1) {
				m = 12;
				if (--y < 1)
					return -1;
			}
			d = days_in_month(y, m);
		}
	}
	out[0] = (char)('0' + y / 1000), out[1] = (char)('0' + y / 100 % 10), out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10), out[4] = '-', out[5] = (char)('0' + m / 10), out[6] = (char)('0' + m % 10);
	out[7] = '-', out[8] = (char)('0' + d / 10), out[9] = (char)('0' + d % 10), out[10] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- the schema */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;

static void schema_parse_error(void *data, xmlErrorPtr err)
{
	(void)data;
	log_error("rollout: %s: %s", NATIVE_XSD, err && err->message ? err->message : "schema error");
}

/* Parsed once per process and only read afterwards, which libxml2 allows from several
 * threads. Our own embedded file: trusted, no includes. */
static void schema_init(void)
{
	const struct embed_file *f = embed_find(NATIVE_XSD);
	if (!f) {
		log_error("rollout: %s is missing from this build", NATIVE_XSD);
		return;
	}
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt((const char *)f->data, (int)f->len);
	if (!pc)
		return;
	xmlSchemaSetParserStructuredErrors(pc, schema_parse_error, NULL);
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
}

/* ---------------------------------------------------------------- input and positions */

/* The bytes libxml2 reads, through us: from a file descriptor or a buffer. Keeps a
 * window of recent bytes for the position scanner, which follows the element start
 * tags the reader reports and so knows the exact line and column of each (libxml2
 * 2.9 records the line where a start tag ends, capped at 65535, and no column). */
struct src {
	int fd;               /* -1: memory */
	const char *mem;
	uint64_t size;        /* file size from stat, or the buffer's length */
	char *own;            /* file: the window buffer (win points into it) */
	const char *win;      /* the window's first byte */
	size_t win_cap;       /* file: allocated size of own */
	uint64_t win_base;    /* absolute offset of win[0] */
	uint64_t win_end;     /* absolute offset after the last byte read into the window */
	uint64_t handed;      /* bytes given to libxml2 */
	int io_error;         /* read(2) failed: errno */
	uint64_t run;         /* bytes since the last '<' or '>' handed to libxml2 */
	uint64_t run_max;     /* more is a text or attribute value far over max_text */
	uint64_t run_start;   /* where the current run began (the '<' or '>' before it) */
	int long_run;         /* run_max passed: libxml2 is stopped before it chews on it */
	int grew;             /* the file grew past its stat size */

	/* the scanner's cursor: an absolute offset at a markup boundary and what line and
	 * column it is on; col_off/col count characters incrementally along one line */
	uint64_t c_off;
	long c_line;
	uint64_t line_off;    /* where c_line starts */
	uint64_t col_off;     /* offset col was counted up to (>= line_off) */
	long col;             /* column (1-based, characters) at col_off */
	int lost;             /* the window could not hold what the scanner needed */
};

static long count_chars(const char *p, size_t n)
{
	long c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)p[i] & 0xC0) != 0x80;
	return c;
}

/* Moves the cursor to absolute offset to (<= win_end), counting lines on the way. */
static void cursor_advance(struct src *s, uint64_t to)
{
	const char *p = s->win + (s->c_off - s->win_base), *e = s->win + (to - s->win_base);
	const char *nl;
	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		s->c_line++;
		p = nl + 1;
		s->line_off = s->win_base + (uint64_t)(p - s->win);
		s->col_off = s->line_off;
		s->col = 1;
	}
	s->c_off = to;
}

static long cursor_column(struct src *s, uint64_t at)
{
	if (s->col_off < s->win_base) { /* should not happen: the window keeps col_off */
		s->lost = 1;
		return 0;
	}
	s->col += count_chars(s->win + (s->col_off - s->win_base), (size_t)(at - s->col_off));
	s->col_off = at;
	return s->col;
}

/* Skips from p to just after the terminator t (a markup construct's end) or returns
 * NULL when it is not inside the window. */
static const char *skip_past(const char *p, const char *e, const char *t)
{
	size_t tl = strlen(t);
	while (p < e) {
		const char *q = memchr(p, t[0], (size_t)(e - p));
		if (!q || (size_t)(e - q) < tl)
			return NULL;
		if (memcmp(q, t, tl) == 0)
			return q + tl;
		p = q + 1;
	}
	return NULL;
}

/* Finds the next start tag named qname from the cursor and gives its line and column;
 * the cursor moves past its '<'. 0 and *line = 0 when the scanner is lost. *reach: the
 * bytes from its '<' to the next '<' (no attribute value can be longer: values hold no
 * '<' and only shrink when parsed), 0 when that '<' is not in the window yet. */
static void scan_start_tag(struct src *s, const char *qname, long *line, long *column, long *end_line,
			   size_t *reach)
{
	*line = *column = *end_line = 0;
	*reach = 0;
	if (s->lost)
		return;
	size_t ql = strlen(qname);
	const char *e = s->win + (s->win_end - s->win_base);
	for (;;) {
		const char *p = s->win + (s->c_off - s->win_base);
		const char *lt = memchr(p, '<', (size_t)(e - p));
		if (!lt || e - lt < 2) {
			s->lost = 1;
			return;
		}
		cursor_advance(s, s->win_base + (uint64_t)(lt - s->win));
		const char *q = lt + 1;
		const char *next = NULL;
		if (*q == '!') {
			if (e - q >= 3 && q[1] == '-' && q[2] == '-')
				next = skip_past(q + 3, e, "-->");
			else if (e - q >= 8 && memcmp(q, "![CDATA[", 8) == 0)
				next = skip_past(q + 8, e, "]]>");
			else
				next = skip_past(q, e, ">");
		} else if (*q == '?') {
			next = skip_past(q + 1, e, "?>");
		} else if (*q == '/') {
			next = q + 1;
		} else if ((size_t)(e - q) > ql && memcmp(q, qname, ql) == 0 &&
			   (is_xml_space((unsigned char)q[ql]) || q[ql] == '/' || q[ql] == '>')) {
			*line = s->c_line;
			*column = cursor_column(s, s->c_off);
			/* where the start tag ends, to place libxml2's schema errors on it */
			const char *gt = memchr(q, '>', (size_t)(e - q));
			long el = s->c_line;
			for (const char *r = q; gt && (r = memchr(r, '\n', (size_t)(gt - r))) != NULL; r++)
				el++;
			*end_line = el;
			const char *next_lt = gt ? memchr(gt, '<', (size_t)(e - gt)) : NULL;
			if (next_lt)
				*reach = (size_t)(next_lt - lt);
			s->c_off++;
			return;
		} else {
			next = q;
		}
		if (!next) {
			s->lost = 1;
			return;
		}
		cursor_advance(s, s->win_base + (uint64_t)(next - s->win));
	}
}

/* A megabyte attribute would be parsed whole by libxml2 before the reader could
 * measure it (and 2.9 then fails with an obscure message): runs of bytes without '<' or
 * '>' are measured here as they pass, two memrchr per chunk. 0 to go on. */
static int src_check_run(struct src *s, const char *p, size_t n)
{
	const char *lt = memrchr(p, '<', n), *gt = memrchr(p, '>', n);
	const char *last = lt > gt ? lt : gt;
	if (last) {
		s->run = (uint64_t)(p + n - last - 1);
		s->run_start = s->handed + (uint64_t)(last - p);
	} else {
		s->run += n;
	}
	if (s->run > s->run_max) {
		s->long_run = 1;
		return -1;
	}
	return 0;
}

/* libxml2's read callback. */
static int src_read(void *ctx, char *buffer, int len)
{
	struct src *s = ctx;
	if (len <= 0 || s->long_run)
		return s->long_run ? -1 : 0;
	if (s->fd < 0) {
		uint64_t left = s->size - s->handed;
		size_t n = left < (uint64_t)len ? (size_t)left : (size_t)len;
		if (src_check_run(s, s->mem + s->handed, n) != 0)
			return -1;
		memcpy(buffer, s->mem + s->handed, n);
		s->handed += n;
		s->win_end = s->handed > s->win_end ? s->handed : s->win_end;
		return (int)n;
	}
	if (s->handed == s->win_end) {
		size_t used = (size_t)(s->win_end - s->win_base);
		if (used == s->win_cap) {
			/* make room: drop what lies before the cursor; grow if the cursor pins it */
			uint64_t keep = s->lost ? s->win_end : s->c_off;
			if (s->col_off < keep && !s->lost)
				cursor_column(s, keep); /* keep the column count across the drop */
			size_t kept = (size_t)(s->win_end - keep);
			if (kept > s->win_cap / 2) {
				if (s->win_cap * 2 <= WIN_MAX) {
					s->win_cap *= 2;
					s->own = xrealloc(s->own, s->win_cap);
					s->win = s->own;
				} else {
					s->lost = 1;
					keep = s->win_end;
					kept = 0;
				}
			}
			memmove(s->own, s->own + (keep - s->win_base), kept);
			s->win_base = keep;
		}
		used = (size_t)(s->win_end - s->win_base);
		ssize_t n;
		do
			n = read(s->fd, s->own + used, s->win_cap - used);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			s->io_error = errno;
			return -1;
		}
		s->win_end += (uint64_t)n;
		if (s->win_end > s->size) {
			s->grew = 1;
			return -1;
		}
		if (n == 0)
			return 0;
	}
	uint64_t avail = s->win_end - s->handed;
	size_t n = avail < (uint64_t)len ? (size_t)avail : (size_t)len;
	if (src_check_run(s, s->win + (s->handed - s->win_base), n) != 0)
		return -1;
	memcpy(buffer, s->win + (s->handed - s->win_base), n);
	s->handed += n;
	return (int)n;
}

/* Reads ahead (file) so that the window holds at least want bytes or the whole file. */
static void src_fill(struct src *s, size_t want)
{
	if (s->fd < 0) {
		s->win_end = s->size;
		return;
	}
	while (!s->io_error && s->win_end - s->win_base < want && s->win_end < s->size) {
		size_t used = (size_t)(s->win_end - s->win_base);
		if (used == s->win_cap)
			break;
		ssize_t n = read(s->fd, s->own + used, s->win_cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->io_error = errno;
			break;
		}
		if (n == 0)
			break;
		s->win_end += (uint64_t)n;
	}
}

/* Back to the first byte (the reader is opened twice for the native format). */
static int src_rewind(struct src *s)
{
	s->handed = 0;
	s->run = s->run_start = 0;
	s->c_off = s->line_off = s->col_off = 0;
	s->c_line = 1;
	s->col = 1;
	s->lost = 0;
	if (s->fd < 0)
		return 0;
	if (s->win_base != 0) {
		if (lseek(s->fd, 0, SEEK_SET) != 0) {
			s->io_error = errno;
			return -1;
		}
		s->win_base = s->win_end = 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- the reader state */

enum iec_field {
	/* Meter */
	F_MRID,
	F_SERIAL,
	F_AMR,
	F_MODEL,
	F_MAKER,
	F_COMM,
	F_INSTALLED,
	F_REMOVED,
	F_STATUS,
	F_UP_MRID,
	/* UsagePoint (F_MRID too) and linkage (F_UP_MRID, F_MRID for the meters) */
	F_CONN,
	F_CREATED,
	F_EFFECTIVE,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"mRID", "serialNumber", "amrSystem", "modelNumber", "name", "communication", "installationDate",
	"removalDate", "value", "mRID", "connectionState", "createdDateTime", "effectiveDateTime"};

struct field {
	char *text;  /* max_text + 1 bytes, from the arena */
	size_t len;
	int seen;    /* an element for it was met (the first one counts) */
	long line;   /* where that element starts */
};

/* Header fields of an IEC message. */
enum hdr_field { H_NONE = -1, H_VERB, H_NOUN, H_TIMESTAMP, H_SOURCE, H_MESSAGEID, H_COUNT };

struct rd {
	const char *name;
	const struct rollout_limits *lim;
	size_t max_text;         /* lim->max_text, at most TEXT_CAP */
	const struct rollout_sink *sink;
	struct rollout_errors *errs;
	struct src src;
	xmlTextReaderPtr reader;

	enum gs_result result;   /* first non-OK decided: a callback's, a cap, I/O */
	int stop;                /* reading ends at the next opportunity */
	int stop_errors;         /* libxml2 errors from now on are consequences: ignore */
	int parse_errors;        /* libxml2 errors outside schema validation */
	uint64_t records;
	int header_said;
	struct rollout_header header;

	/* schema errors arrive with the line where the start tag ends and no column:
	 * moved onto the element's start when the reader gets there */
	size_t fix_from;
	unsigned char provisional[ROLLOUT_MAX_ERRORS];

	/* the element being looked at; el_reach bounds its attribute values (0: unknown) */
	long el_line, el_col, el_end_line;
	size_t el_reach;

	/* native: interned names (pointer comparison) */
	const xmlChar *n_point, *n_install, *n_remove, *n_replace, *a_code, *a_class, *a_since, *a_until, *a_meter,
	    *a_serial, *a_manufacturer, *a_model, *a_point, *a_date, *a_replaces, *a_old_meter, *a_old_serial,
	    *a_old_manufacturer, *a_reason, *a_station, *a_file_id, *a_generated_at;

	/* IEC */
	char root_desc[200];          /* {ns}local of the root, for messages */
	char found_noun[65];          /* a payload noun met that we do not use */
	int skip_depth;               /* ignoring the subtree of an element at this depth; -1 */
	int header_depth;             /* inside a message Header at this depth; -1 */
	enum hdr_field hfield;        /* header field element being read */
	int hfield_depth;
	char hbuf[H_COUNT][128];
	size_t hlen[H_COUNT];
	int hseen[H_COUNT];
	char wrapper_verb[33];        /* from a per-noun wrapper's name: Create → "create" */
	int noun_depth;               /* inside the payload noun at this depth; -1 */
	enum rollout_format noun_fmt;
	char noun_ns[256];            /* the payload's namespace: its elements, or none, count */
	int rec_depth;                /* inside a record element at this depth; -1 */
	long rec_line, rec_col;
	int fstack[MAX_LEVELS];       /* field index of each element below the record, -1 */
	char path[512];               /* below the record: "EndDeviceInfo/AssetModel/modelNumber" */
	size_t plen[MAX_LEVELS];
	char *arena;
	struct field f[F_COUNT];
	/* linkage: the meters seen (mRID\0...), their lines and columns */
	struct buf link_meters;
	struct buf link_pos;          /* long pairs */
	long link_meter_line, link_meter_col;
	int link_meter_open;          /* inside a linkage Meter: its mRID goes to link_meters */
	int link_ups;                 /* UsagePoint elements in the linkage */
};

static void rd_error(struct rd *rd, long line, long column, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void rd_error(struct rd *rd, long line, long column, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t before = rd->errs->n;
	rollout_error_add(rd->errs, line, column, field, "%s", msg);
	if (rd->errs->n > before)
		rd->provisional[before] = 0;
}

/* A cap was passed: say so once and stop. */
static void rd_cap(struct rd *rd, long line, long column, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void rd_cap(struct rd *rd, long line, long column, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rd_error(rd, line, column, field, "%s", msg);
	if (rd->result == GS_OK)
		rd->result = GS_ERR_TOO_LARGE;
	rd->stop = rd->stop_errors = 1;
}

/* Copies a libxml2 message without its namespaces ({urn:...}point → point), on one
 * line, without the trailing period. */
static void clean_message(const char *src, char *out, size_t size)
{
	size_t o = 0;
	for (const char *p = src; *p && o + 1 < size;) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (close) {
				p = close + 1;
				continue;
			}
		}
		char c = *p++;
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && o > 0 && out[o - 1] == ' ')
			continue;
		out[o++] = c;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
}

/* The field a schema message is about: "Element '{ns}point', attribute 'since': ..." →
 * "since"; "Element '{ns}x': ..." → "x". */
static void schema_field(const char *msg, char *out, size_t size)
{
	out[0] = '\0';
	const char *a = strstr(msg, ", attribute '");
	const char *req = strstr(msg, "The attribute '");
	const char *start = NULL;
	if (a)
		start = a + strlen(", attribute '");
	else if (req)
		start = req + strlen("The attribute '");
	else if (strncmp(msg, "Element '", 9) == 0)
		start = msg + 9;
	if (!start)
		return;
	const char *end = strchr(start, '\'');
	if (!end)
		return;
	const char *brace = memchr(start, '}', (size_t)(end - start));
	if (brace)
		start = brace + 1;
	size_t n = (size_t)(end - start);
	if (n >= size)
		n = size - 1;
	memcpy(out, start, n);
	out[n] = '\0';
}

static void on_xml_error(void *arg, xmlErrorPtr err)
{
	struct rd *rd = arg;
	if (!err || err->level == XML_ERR_WARNING || rd->stop_errors || rd->src.long_run || rd->src.io_error)
		return;
	char msg[256], field[48];
	clean_message(err->message ? err->message : "invalid XML", msg, sizeof msg);
	if (err->domain == XML_FROM_SCHEMASV) {
		schema_field(err->message ? err->message : "", field, sizeof field);
		size_t before = rd->errs->n;
		rollout_error_add(rd->errs, err->line, 0, field, "%s", msg);
		if (rd->errs->n > before)
			rd->provisional[before] = 1;
		return;
	}
	rd->parse_errors++;
	rd_error(rd, err->line, err->int2, NULL, "%s", msg);
}

/* Context-less libxml2 complaints (rare with UTF-8 input) are not printed on stderr;
 * the reader's own error says what went wrong. */
static void on_generic_error(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}

/* Places the element the reader is on: exact start line and column from the scanner,
 * and moves the schema errors of its start tag there. */
static void locate_element(struct rd *rd)
{
	const xmlChar *qn = xmlTextReaderConstName(rd->reader);
	scan_start_tag(&rd->src, (const char *)qn, &rd->el_line, &rd->el_col, &rd->el_end_line, &rd->el_reach);
	if (rd->el_line == 0) { /* scanner lost: libxml2's line (where the tag ends) */
		xmlNodePtr n = xmlTextReaderCurrentNode(rd->reader);
		rd->el_line = rd->el_end_line = n ? xmlGetLineNo(n) : 0;
		rd->el_col = 0;
	}
	struct rollout_errors *errs = rd->errs;
	size_t i = rd->fix_from;
	for (; i < errs->n && errs->e[i].line <= rd->el_end_line; i++) {
		if (rd->provisional[i] && errs->e[i].line >= rd->el_line) {
			errs->e[i].line = rd->el_line;
			errs->e[i].column = rd->el_col;
		}
	}
	rd->fix_from = i;
}

static enum gs_result say_header(struct rd *rd)
{
	if (rd->header_said)
		return GS_OK;
	rd->header_said = 1;
	if (rd->sink && rd->sink->header)
		return rd->sink->header(rd->sink->ctx, &rd->header);
	return GS_OK;
}

static void deliver(struct rd *rd, const struct rollout_record *r)
{
	if (rd->stop)
		return;
	if (++rd->records > rd->lim->max_records) {
		rd_cap(rd, r->line, r->column, NULL, "more than %llu records", (unsigned long long)rd->lim->max_records);
		return;
	}
	enum gs_result res = say_header(rd);
	if (res == GS_OK && rd->sink && rd->sink->record)
		res = rd->sink->record(rd->sink->ctx, r);
	if (res != GS_OK) {
		rd->result = res;
		rd->stop = rd->stop_errors = 1;
	}
}

/* Copies s into a fixed header field; an error if it does not fit. */
static void header_copy(struct rd *rd, char *dst, size_t size, const char *s, const char *field)
{
	size_t n = strlen(s);
	if (n >= size) {
		rd_error(rd, rd->el_line, rd->el_col, field, "%s is longer than %zu bytes", field, size - 1);
		n = size - 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* ---------------------------------------------------------------- the native format */

/* The day of a native attribute into out, or NULL; the schema reports bad values,
 * this only adds an error for values it let through (years past 9999). */
static const char *native_day(struct rd *rd, const char *v, char out[11], const char *field)
{
	if (!v)
		return NULL;
	if (rollout_local_day(v, out) == 0)
		return out;
	for (size_t i = rd->errs->n; i-- > 0;) {
		if (rd->errs->e[i].line < rd->el_line)
			break;
		if (rd->errs->e[i].line == rd->el_line && strcmp(rd->errs->e[i].field, field) == 0)
			return NULL;
	}
	rd_error(rd, rd->el_line, rd->el_col, field, "'%s' is not a day gridscore can use (YYYY-MM-DD, years 0001-9999)",
		 v);
	return NULL;
}

static int check_text(struct rd *rd, const char *v, const char *what)
{
	if (strlen(v) > rd->max_text) {
		rd_cap(rd, rd->el_line, rd->el_col, what, "the value of %s is longer than %zu bytes", what,
		       rd->max_text);
		return -1;
	}
	return 0;
}

static void native_root(struct rd *rd)
{
	xmlTextReaderPtr r = rd->reader;
	struct rollout_header *h = &rd->header;
	h->format = ROLLOUT_NATIVE;
	h->line = rd->el_line;
	while (!rd->stop && xmlTextReaderMoveToNextAttribute(r) == 1) {
		const xmlChar *n = xmlTextReaderConstLocalName(r);
		const char *v = (const char *)xmlTextReaderConstValue(r);
		if (!v || check_text(rd, v, (const char *)n))
			continue;
		if (n == rd->a_station)
			header_copy(rd, h->station, sizeof h->station, v, "station");
		else if (n == rd->a_file_id)
			header_copy(rd, h->file_id, sizeof h->file_id, v, "file-id");
		else if (n == rd->a_generated_at) {
			char day[11];
			if (rollout_local_day(v, day) == 0)
				memcpy(h->generated_at, day, sizeof day);
		}
	}
	xmlTextReaderMoveToElement(r);
	if (rd->stop)
		return;
	enum gs_result res = say_header(rd);
	if (res != GS_OK) {
		rd->result = res;
		rd->stop = rd->stop_errors = 1;
	}
}

/* One attribute of a native record into rec (since, until and date wait in raw[] for
 * native_day). Names are compared as interned pointers; unknown ones are the schema's
 * business. */
enum { RAW_SINCE, RAW_UNTIL, RAW_DATE, RAW_COUNT };

static void native_attr(const struct rd *rd, const xmlChar *n, const char *v, struct rollout_record *rec,
			const char *raw[RAW_COUNT])
{
	if (n == rd->a_code || n == rd->a_point)
		rec->point = v;
	else if (n == rd->a_meter)
		rec->meter = v;
	else if (n == rd->a_date)
		raw[RAW_DATE] = v;
	else if (n == rd->a_serial)
		rec->serial = v;
	else if (n == rd->a_manufacturer)
		rec->manufacturer = v;
	else if (n == rd->a_model)
		rec->model = v;
	else if (n == rd->a_class)
		rec->customer_class = v;
	else if (n == rd->a_since)
		raw[RAW_SINCE] = v;
	else if (n == rd->a_until)
		raw[RAW_UNTIL] = v;
	else if (n == rd->a_replaces)
		rec->replaces = v;
	else if (n == rd->a_old_meter)
		rec->old_meter = v;
	else if (n == rd->a_old_serial)
		rec->old_serial = v;
	else if (n == rd->a_old_manufacturer)
		rec->old_manufacturer = v;
	else if (n == rd->a_reason)
		rec->reason = v;
}

/* The attributes through the reader's attribute cursor: namespace declarations too, and
 * values made up of several nodes. The general way; 0, or -1 after a cap. */
static int native_attrs_by_reader(struct rd *rd, struct rollout_record *rec, const char *raw[RAW_COUNT])
{
	xmlTextReaderPtr r = rd->reader;
	int result = 0;
	while (xmlTextReaderMoveToNextAttribute(r) == 1) {
		const xmlChar *n = xmlTextReaderConstLocalName(r);
		const char *v = (const char *)xmlTextReaderConstValue(r);
		if (!v || check_text(rd, v, (const char *)n)) {
			result = rd->stop ? -1 : 0;
			break;
		}
		native_attr(rd, n, v, rec, raw);
	}
	xmlTextReaderMoveToElement(r);
	return result;
}

/* The same straight from the element node the reader has just built (it lives until the
 * next Read): no reader call per attribute, and no strlen when the start tag is too short
 * to hold a value over max_text. 1, with rec and raw untouched, when a value is not one
 * plain text node or the element declares namespaces (the reader's way then), -1 after a
 * cap, 0 done. */
static int native_attrs_by_node(struct rd *rd, struct rollout_record *rec, const char *raw[RAW_COUNT])
{
	xmlNodePtr node = xmlTextReaderCurrentNode(rd->reader);
	if (!node || node->type != XML_ELEMENT_NODE || node->nsDef)
		return 1;
	int measure = rd->el_reach == 0 || rd->el_reach > rd->max_text;
	for (const xmlAttr *a = node->properties; a; a = a->next) {
		const xmlNode *t = a->children;
		if (!t || t->next || t->type != XML_TEXT_NODE || !t->content)
			return 1;
	}
	for (const xmlAttr *a = node->properties; a; a = a->next) {
		const char *v = (const char *)a->children->content;
		if (measure && check_text(rd, v, (const char *)a->name))
			return -1;
		native_attr(rd, a->name, v, rec, raw);
	}
	return 0;
}

static void native_record(struct rd *rd, enum rollout_kind kind)
{
	struct rollout_record rec;
	memset(&rec, 0, sizeof rec);
	rec.kind = kind;
	rec.line = rd->el_line;
	rec.column = rd->el_col;
	rec.smart = kind == ROLLOUT_INSTALL || kind == ROLLOUT_REPLACE ? 1 : -1;
	const char *raw[RAW_COUNT] = {NULL, NULL, NULL};
	int got = native_attrs_by_node(rd, &rec, raw);
	if (got == 1) /* rec and raw untouched */
		got = native_attrs_by_reader(rd, &rec, raw);
	if (got < 0 || rd->stop)
		return;
	char d_since[11], d_until[11], d_date[11];
	rec.since = native_day(rd, raw[RAW_SINCE], d_since, "since");
	rec.until = native_day(rd, raw[RAW_UNTIL], d_until, "until");
	rec.date = native_day(rd, raw[RAW_DATE], d_date, "date");
	deliver(rd, &rec);
}

static void native_element(struct rd *rd, int depth)
{
	const xmlChar *n = xmlTextReaderConstLocalName(rd->reader);
	if (depth == 0) {
		native_root(rd);
		return;
	}
	if (depth != 2)
		return;
	if (n == rd->n_point)
		native_record(rd, ROLLOUT_POINT);
	else if (n == rd->n_install)
		native_record(rd, ROLLOUT_INSTALL);
	else if (n == rd->n_remove)
		native_record(rd, ROLLOUT_REMOVE);
	else if (n == rd->n_replace)
		native_record(rd, ROLLOUT_REPLACE);
}

static void intern_names(struct rd *rd)
{
	xmlTextReaderPtr r = rd->reader;
#define I(s) xmlTextReaderConstString(r, BAD_CAST(s))
	rd->n_point = I("point"), rd->n_install = I("install"), rd->n_remove = I("remove"),
	rd->n_replace = I("replace");
	rd->a_code = I("code"), rd->a_class = I("class"), rd->a_since = I("since"), rd->a_until = I("until");
	rd->a_meter = I("meter"), rd->a_serial = I("serial"), rd->a_manufacturer = I("manufacturer");
	rd->a_model = I("model"), rd->a_point = I("point"), rd->a_date = I("date"), rd->a_replaces = I("replaces");
	rd->a_old_meter = I("old-meter"), rd->a_old_serial = I("old-serial");
	rd->a_old_manufacturer = I("old-manufacturer"), rd->a_reason = I("reason");
	rd->a_station = I("station"), rd->a_file_id = I("file-id"), rd->a_generated_at = I("generated-at");
#undef I
}

/* ---------------------------------------------------------------- IEC 61968-9 */

enum iec_ns { NS_OTHER, NS_SOAP, NS_MESSAGE, NS_WRAPPER, NS_PAYLOAD };

/* http://(www.)?iec.ch/TC57/<year>/schema/message, .../<Noun>Message, .../<Noun>#? */
static enum iec_ns classify_ns(const char *ns, char *noun, size_t size)
{
	noun[0] = '\0';
	if (!ns)
		return NS_OTHER;
	if (strcmp(ns, SOAP11_NS) == 0 || strcmp(ns, SOAP12_NS) == 0)
		return NS_SOAP;
	const char *p = ns;
	if (strncmp(p, "http://", 7) != 0)
		return NS_OTHER;
	p += 7;
	if (strncmp(p, "www.", 4) == 0)
		p += 4;
	if (strncmp(p, "iec.ch/TC57/", 12) != 0)
		return NS_OTHER;
	p += 12;
	for (int i = 0; i < 4; i++)
		if (p[i] < '0' || p[i] > '9')
			return NS_OTHER;
	if (p[4] != '/')
		return NS_OTHER;
	p += 5;
	if (strcmp(p, "schema/message") == 0)
		return NS_MESSAGE;
	size_t n = 0;
	while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9'))
		n++;
	if (n == 0 || !(p[n] == '\0' || (p[n] == '#' && p[n + 1] == '\0')))
		return NS_OTHER;
	enum iec_ns kind = NS_PAYLOAD;
	if (p[n] == '\0' && n > 7 && memcmp(p + n - 7, "Message", 7) == 0) {
		kind = NS_WRAPPER;
		n -= 7;
	}
	if (n >= size)
		return NS_OTHER;
	memcpy(noun, p, n);
	noun[n] = '\0';
	return kind;
}

static enum rollout_format noun_format(const char *noun)
{
	if (strcmp(noun, "MeterConfig") == 0)
		return ROLLOUT_IEC_METER;
	if (strcmp(noun, "UsagePointConfig") == 0)
		return ROLLOUT_IEC_USAGEPOINT;
	if (strcmp(noun, "MasterDataLinkageConfig") == 0)
		return ROLLOUT_IEC_LINKAGE;
	return ROLLOUT_UNKNOWN;
}

static int verb_refused(const char *v)
{
	static const char *const no[] = {"delete", "deleted", "cancel", "canceled", "cancelled", "close", "closed"};
	for (size_t i = 0; i < GS_ARRAY_LEN(no); i++)
		if (strcasecmp(v, no[i]) == 0)
			return 1;
	return 0;
}

/* The field a path below a record names, or -1. */
static int field_of(enum rollout_format fmt, const char *path)
{
	static const struct {
		enum rollout_format fmt;
		const char *path;
		enum iec_field f;
	} map[] = {
		{ROLLOUT_IEC_METER, "mRID", F_MRID},
		{ROLLOUT_IEC_METER, "serialNumber", F_SERIAL},
		{ROLLOUT_IEC_METER, "amrSystem", F_AMR},
		{ROLLOUT_IEC_METER, "EndDeviceInfo/AssetModel/modelNumber", F_MODEL},
		{ROLLOUT_IEC_METER, "EndDeviceInfo/AssetModel/Manufacturer/Names/name", F_MAKER},
		{ROLLOUT_IEC_METER, "EndDeviceInfo/capability/communication", F_COMM},
		{ROLLOUT_IEC_METER, "lifecycle/installationDate", F_INSTALLED},
		{ROLLOUT_IEC_METER, "lifecycle/removalDate", F_REMOVED},
		{ROLLOUT_IEC_METER, "status/value", F_STATUS},
		{ROLLOUT_IEC_METER, "UsagePoint/mRID", F_UP_MRID},
		{ROLLOUT_IEC_USAGEPOINT, "mRID", F_MRID},
		{ROLLOUT_IEC_USAGEPOINT, "connectionState", F_CONN},
		{ROLLOUT_IEC_USAGEPOINT, "ConfigurationEvents/createdDateTime", F_CREATED},
		{ROLLOUT_IEC_USAGEPOINT, "ConfigurationEvents/effectiveDateTime", F_EFFECTIVE},
		{ROLLOUT_IEC_USAGEPOINT, "ConfigurationEvent/createdDateTime", F_CREATED},
		{ROLLOUT_IEC_USAGEPOINT, "ConfigurationEvent/effectiveDateTime", F_EFFECTIVE},
		{ROLLOUT_IEC_LINKAGE, "ConfigurationEvent/createdDateTime", F_CREATED},
		{ROLLOUT_IEC_LINKAGE, "ConfigurationEvent/effectiveDateTime", F_EFFECTIVE},
		{ROLLOUT_IEC_LINKAGE, "ConfigurationEvents/createdDateTime", F_CREATED},
		{ROLLOUT_IEC_LINKAGE, "ConfigurationEvents/effectiveDateTime", F_EFFECTIVE},
		{ROLLOUT_IEC_LINKAGE, "Meter/mRID", F_MRID},
		{ROLLOUT_IEC_LINKAGE, "UsagePoint/mRID", F_UP_MRID},
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(map); i++)
		if (map[i].fmt == fmt && strcmp(map[i].path, path) == 0)
			return (int)map[i].f;
	return -1;
}

/* A field's text without surrounding white space, or NULL when absent or empty. */
static const char *field_value(struct rd *rd, enum iec_field f)
{
	struct field *fl = &rd->f[f];
	if (!fl->seen)
		return NULL;
	char *s = fl->text;
	size_t n = fl->len;
	while (n > 0 && is_xml_space((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
	while (*s && is_xml_space((unsigned char)*s))
		s++;
	return *s ? s : NULL;
}

static void fields_reset(struct rd *rd)
{
	for (int i = 0; i < F_COUNT; i++) {
		rd->f[i].len = 0;
		rd->f[i].text[0] = '\0';
		rd->f[i].seen = 0;
		rd->f[i].line = 0;
	}
}

/* The local day of an IEC date field, NULL when absent; an error when unreadable. */
static const char *iec_day(struct rd *rd, enum iec_field f, char out[11])
{
	const char *v = field_value(rd, f);
	if (!v)
		return NULL;
	if (rollout_local_day(v, out) == 0)
		return out;
	rd_error(rd, rd->f[f].line, 0, field_names[f], "%s '%s' is not a date or date-time", field_names[f], v);
	return NULL;
}

static void emit_meter(struct rd *rd)
{
	struct rollout_record rec;
	memset(&rec, 0, sizeof rec);
	rec.kind = ROLLOUT_METER;
	rec.line = rd->rec_line;
	rec.column = rd->rec_col;
	rec.meter = field_value(rd, F_MRID);
	if (!rec.meter) {
		rd_error(rd, rd->rec_line, rd->rec_col, "mRID", "a Meter has no mRID");
		return;
	}
	rec.serial = field_value(rd, F_SERIAL);
	rec.model = field_value(rd, F_MODEL);
	rec.manufacturer = field_value(rd, F_MAKER);
	rec.status = field_value(rd, F_STATUS);
	rec.point = field_value(rd, F_UP_MRID);
	const char *comm = field_value(rd, F_COMM);
	if (comm) {
		if (strcmp(comm, "true") == 0 || strcmp(comm, "1") == 0)
			rec.smart = 1;
		else if (strcmp(comm, "false") == 0 || strcmp(comm, "0") == 0)
			rec.smart = 0;
		else {
			rd_error(rd, rd->f[F_COMM].line, 0, "communication",
				 "Meter '%s': communication '%s' is not true or false", rec.meter, comm);
			return;
		}
	} else {
		rec.smart = field_value(rd, F_AMR) ? 1 : -1;
	}
	char d1[11], d2[11];
	size_t before = rd->errs->total;
	rec.date = iec_day(rd, F_INSTALLED, d1);
	rec.removed = iec_day(rd, F_REMOVED, d2);
	if (rd->errs->total == before)
		deliver(rd, &rec);
}

static void emit_usage_point(struct rd *rd)
{
	struct rollout_record rec;
	memset(&rec, 0, sizeof rec);
	rec.kind = ROLLOUT_POINT;
	rec.smart = -1;
	rec.line = rd->rec_line;
	rec.column = rd->rec_col;
	rec.point = field_value(rd, F_MRID);
	if (!rec.point) {
		rd_error(rd, rd->rec_line, rd->rec_col, "mRID", "a UsagePoint has no mRID");
		return;
	}
	size_t before = rd->errs->total;
	char d_created[11], d_effective[11], d_until[11];
	const char *created = iec_day(rd, F_CREATED, d_created);
	const char *effective = iec_day(rd, F_EFFECTIVE, d_effective);
	if (rd->errs->total != before)
		return;
	rec.since = created ? created : effective;
	if (!rec.since) {
		rd_error(rd, rd->rec_line, rd->rec_col, "createdDateTime",
			 "UsagePoint '%s' has no ConfigurationEvents/createdDateTime (nor effectiveDateTime): "
			 "the day it came into service is required",
			 rec.point);
		return;
	}
	const char *state = field_value(rd, F_CONN);
	if (!state || strcmp(state, "connected") == 0) {
		rec.until = NULL;
	} else if (strcmp(state, "physicallyDisconnected") == 0 || strcmp(state, "logicallyDisconnected") == 0) {
		if (effective)
			rec.until = effective;
		else if (rd->header.generated_at[0])
			rec.until = memcpy(d_until, rd->header.generated_at, 11);
		else {
			rd_error(rd, rd->rec_line, rd->rec_col, "effectiveDateTime",
				 "UsagePoint '%s' is %s but neither ConfigurationEvents/effectiveDateTime nor the "
				 "message Header/Timestamp says since when",
				 rec.point, state);
			return;
		}
	} else {
		rd_error(rd, rd->f[F_CONN].line, 0, "connectionState",
			 "UsagePoint '%s': connectionState '%s' is not connected, physicallyDisconnected or "
			 "logicallyDisconnected",
			 rec.point, state);
		return;
	}
	deliver(rd, &rec);
}

static void emit_linkage(struct rd *rd)
{
	const char *up = field_value(rd, F_UP_MRID);
	long line = rd->rec_line, col = rd->rec_col;
	if (rd->link_ups > 1) {
		rd_error(rd, line, col, "UsagePoint", "MasterDataLinkageConfig links %d UsagePoints; one is expected",
			 rd->link_ups);
		return;
	}
	if (!up) {
		rd_error(rd, line, col, "UsagePoint", "MasterDataLinkageConfig has no UsagePoint/mRID");
		return;
	}
	size_t before = rd->errs->total;
	char d1[11], d2[11];
	const char *effective = iec_day(rd, F_EFFECTIVE, d1);
	const char *created = iec_day(rd, F_CREATED, d2);
	if (rd->errs->total != before)
		return;
	const char *date = effective ? effective : created;
	if (!date) {
		rd_error(rd, line, col, "effectiveDateTime",
			 "MasterDataLinkageConfig has no ConfigurationEvent/effectiveDateTime (nor createdDateTime)");
		return;
	}
	if (rd->link_meters.len == 0) {
		rd_error(rd, line, col, "Meter", "MasterDataLinkageConfig links no Meter");
		return;
	}
	const char *m = rd->link_meters.data, *end = m + rd->link_meters.len;
	const long *pos = (const long *)(const void *)rd->link_pos.data;
	for (size_t i = 0; m < end && !rd->stop; i++, m += strlen(m) + 1) {
		if (!*m) {
			rd_error(rd, pos[2 * i], pos[2 * i + 1], "mRID", "a Meter has no mRID");
			continue;
		}
		struct rollout_record rec;
		memset(&rec, 0, sizeof rec);
		rec.kind = ROLLOUT_LINK;
		rec.line = pos[2 * i];
		rec.column = pos[2 * i + 1];
		rec.meter = m;
		rec.point = up;
		rec.smart = -1;
		rec.date = date;
		deliver(rd, &rec);
	}
}

static void iec_header_done(struct rd *rd)
{
	enum hdr_field h = rd->hfield;
	rd->hfield = H_NONE;
	char *s = rd->hbuf[h];
	size_t n = rd->hlen[h];
	while (n > 0 && is_xml_space((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
	size_t lead = 0;
	while (lead < n && is_xml_space((unsigned char)s[lead]))
		lead++;
	memmove(s, s + lead, n - lead + 1);
	if (h == H_VERB && verb_refused(s)) {
		rd_error(rd, rd->el_line, rd->el_col, "Verb", "verb '%s' is not supported: gridscore imports only "
							     "create, change and their replies",
			 s);
		rd->stop = 1;
	}
}

/* The header, from the message Header (and the wrapper's name), said at the noun. */
static void iec_header_fill(struct rd *rd, const char *noun)
{
	struct rollout_header *h = &rd->header;
	h->format = rd->noun_fmt;
	snprintf(h->noun, sizeof h->noun, "%s", noun);
	const char *verb = rd->hseen[H_VERB] && rd->hbuf[H_VERB][0] ? rd->hbuf[H_VERB] : rd->wrapper_verb;
	header_copy(rd, h->verb, sizeof h->verb, verb, "Verb");
	header_copy(rd, h->source, sizeof h->source, rd->hbuf[H_SOURCE], "Source");
	header_copy(rd, h->file_id, sizeof h->file_id, rd->hbuf[H_MESSAGEID], "MessageID");
	if (rd->hbuf[H_TIMESTAMP][0] && rollout_local_day(rd->hbuf[H_TIMESTAMP], h->generated_at) != 0)
		rd_error(rd, rd->el_line, rd->el_col, "Timestamp", "Header/Timestamp '%s' is not a date-time",
			 rd->hbuf[H_TIMESTAMP]);
}

/* Appends reader text to the current field (record) or header field, within max_text. */
static void iec_text(struct rd *rd)
{
	const char *v = (const char *)xmlTextReaderConstValue(rd->reader);
	if (!v)
		return;
	size_t n = strlen(v);
	if (n > rd->max_text) {
		rd_cap(rd, rd->el_line, rd->el_col, NULL, "a text of %zu bytes is longer than the limit of %zu", n,
		       rd->max_text);
		return;
	}
	if (rd->skip_depth >= 0)
		return;
	if (rd->hfield != H_NONE) {
		if (rd->header_depth >= 0 && xmlTextReaderDepth(rd->reader) == rd->hfield_depth + 1) {
			enum hdr_field h = rd->hfield;
			size_t room = sizeof rd->hbuf[h] - 1 - rd->hlen[h];
			if (n > room) {
				rd_error(rd, rd->el_line, rd->el_col, NULL, "a Header field is longer than %zu bytes",
					 sizeof rd->hbuf[h] - 1);
				n = room;
			}
			memcpy(rd->hbuf[h] + rd->hlen[h], v, n);
			rd->hlen[h] += n;
			rd->hbuf[h][rd->hlen[h]] = '\0';
		}
		return;
	}
	if (rd->rec_depth < 0)
		return;
	int depth = xmlTextReaderDepth(rd->reader) - 1 - rd->rec_depth; /* the parent's level below the record */
	if (depth < 1 || depth >= MAX_LEVELS)
		return;
	int f = rd->fstack[depth];
	if (f < 0)
		return;
	struct field *fl = &rd->f[f];
	if (fl->len + n > rd->max_text) {
		rd_cap(rd, rd->el_line, rd->el_col, field_names[f], "the text of %s is longer than %zu bytes",
		       field_names[f], rd->max_text);
		return;
	}
	memcpy(fl->text + fl->len, v, n);
	fl->len += n;
	fl->text[fl->len] = '\0';
}

static void iec_record_start(struct rd *rd, int depth)
{
	rd->rec_depth = depth;
	rd->rec_line = rd->el_line;
	rd->rec_col = rd->el_col;
	rd->plen[0] = 0;
	rd->path[0] = '\0';
	fields_reset(rd);
	if (rd->noun_fmt == ROLLOUT_IEC_LINKAGE) {
		buf_reset(&rd->link_meters);
		buf_reset(&rd->link_pos);
		rd->link_ups = 0;
		rd->link_meter_open = 0;
	}
}

static void iec_record_end(struct rd *rd)
{
	switch (rd->noun_fmt) {
	case ROLLOUT_IEC_METER:
		emit_meter(rd);
		break;
	case ROLLOUT_IEC_USAGEPOINT:
		emit_usage_point(rd);
		break;
	case ROLLOUT_IEC_LINKAGE:
		emit_linkage(rd);
		break;
	default:
		break;
	}
	rd->rec_depth = -1;
}

/* Linkage: a Meter element below the noun closes; its mRID joins the list. */
static void link_meter_end(struct rd *rd)
{
	const char *m = field_value(rd, F_MRID);
	if (buf_append(&rd->link_meters, m ? m : "", m ? strlen(m) + 1 : 1) != GS_OK) {
		rd_cap(rd, rd->link_meter_line, rd->link_meter_col, "Meter",
		       "too many Meters in one MasterDataLinkageConfig");
		return;
	}
	long pos[2] = {rd->link_meter_line, rd->link_meter_col};
	if (buf_append(&rd->link_pos, pos, sizeof pos) != GS_OK)
		rd_cap(rd, rd->link_meter_line, rd->link_meter_col, "Meter",
		       "too many Meters in one MasterDataLinkageConfig");
	rd->f[F_MRID].len = 0;
	rd->f[F_MRID].text[0] = '\0';
	rd->f[F_MRID].seen = 0;
	rd->link_meter_open = 0;
}

/* An element start (or an empty element) in an IEC document. */
static void iec_start(struct rd *rd, int depth, int empty)
{
	xmlTextReaderPtr r = rd->reader;
	const char *local = (const char *)xmlTextReaderConstLocalName(r);
	const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
	char noun[65];

	if (rd->skip_depth >= 0)
		return;
	if (rd->rec_depth >= 0) {
		/* below a record: track the path of payload elements, skip extensions */
		if (ns && strcmp(ns, rd->noun_ns) != 0) {
			if (!empty)
				rd->skip_depth = depth;
			return;
		}
		int lvl = depth - rd->rec_depth;
		if (lvl < 1 || lvl >= MAX_LEVELS)
			return;
		size_t base = rd->plen[lvl - 1];
		size_t ln = strlen(local);
		int f = -1;
		if (base + ln + 2 < sizeof rd->path) {
			if (base)
				rd->path[base++] = '/';
			memcpy(rd->path + base, local, ln + 1);
			rd->plen[lvl] = base + ln;
			f = field_of(rd->noun_fmt, rd->path);
		} else {
			rd->plen[lvl] = rd->plen[lvl - 1];
		}
		if (rd->noun_fmt == ROLLOUT_IEC_LINKAGE && lvl == 1) {
			if (strcmp(local, "Meter") == 0) {
				rd->link_meter_open = 1;
				rd->link_meter_line = rd->el_line;
				rd->link_meter_col = rd->el_col;
				if (empty)
					link_meter_end(rd);
			} else if (strcmp(local, "UsagePoint") == 0) {
				rd->link_ups++;
			}
		}
		if (f >= 0 && rd->f[f].seen)
			f = -1; /* the first one counts */
		if (f >= 0) {
			rd->f[f].seen = 1;
			rd->f[f].line = rd->el_line;
		}
		rd->fstack[lvl] = f;
		return;
	}
	if (rd->noun_depth >= 0) {
		/* a child of the noun: a record, or something we do not use */
		int own = !ns || strcmp(ns, rd->noun_ns) == 0;
		if (own && depth == rd->noun_depth + 1 &&
		    ((rd->noun_fmt == ROLLOUT_IEC_METER && strcmp(local, "Meter") == 0) ||
		     (rd->noun_fmt == ROLLOUT_IEC_USAGEPOINT && strcmp(local, "UsagePoint") == 0))) {
			iec_record_start(rd, depth);
			if (empty)
				iec_record_end(rd);
			return;
		}
		if (!empty)
			rd->skip_depth = depth;
		return;
	}
	if (rd->header_depth >= 0) {
		/* Header/Verb, Noun, Timestamp, Source, MessageID (any namespace) */
		static const char *const hnames[H_COUNT] = {"Verb", "Noun", "Timestamp", "Source", "MessageID"};
		if (depth == rd->header_depth + 1) {
			for (int i = 0; i < H_COUNT; i++) {
				if (strcmp(local, hnames[i]) == 0 && !rd->hseen[i]) {
					rd->hseen[i] = 1;
					rd->hfield = (enum hdr_field)i;
					rd->hfield_depth = depth;
					if (empty)
						iec_header_done(rd);
					return;
				}
			}
		}
		if (!empty)
			rd->skip_depth = depth;
		return;
	}

	enum iec_ns kind = classify_ns(ns, noun, sizeof noun);
	switch (kind) {
	case NS_SOAP:
		if ((depth == 0 && strcmp(local, "Envelope") == 0) || (depth == 1 && strcmp(local, "Body") == 0))
			return;
		break;
	case NS_MESSAGE:
	case NS_WRAPPER:
		if (strcmp(local, "Header") == 0 && depth > 0) {
			if (!empty)
				rd->header_depth = depth;
			return;
		}
		if (strcmp(local, "Payload") == 0 && depth > 0)
			return;
		if (kind == NS_MESSAGE && (strcmp(local, "RequestMessage") == 0 || strcmp(local, "EventMessage") == 0 ||
					   strcmp(local, "ResponseMessage") == 0))
			return;
		if (kind == NS_WRAPPER) {
			size_t ln = strlen(local), nn = strlen(noun);
			if (ln > nn && strcmp(local + ln - nn, noun) == 0) {
				/* CreateMeterConfig, CreatedMeterConfig, ChangeMeterConfig, ... */
				size_t vl = ln - nn < sizeof rd->wrapper_verb ? ln - nn : sizeof rd->wrapper_verb - 1;
				memcpy(rd->wrapper_verb, local, vl);
				rd->wrapper_verb[vl] = '\0';
				rd->wrapper_verb[0] = (char)(rd->wrapper_verb[0] >= 'A' && rd->wrapper_verb[0] <= 'Z'
								 ? rd->wrapper_verb[0] - 'A' + 'a'
								 : rd->wrapper_verb[0]);
				if (verb_refused(rd->wrapper_verb)) {
					rd_error(rd, rd->el_line, rd->el_col, local,
						 "verb '%s' is not supported: gridscore imports only create, change "
						 "and their replies",
						 rd->wrapper_verb);
					rd->stop = 1;
				}
				return;
			}
		}
		break;
	case NS_PAYLOAD:
		if (strcmp(local, noun) == 0) {
			enum rollout_format fmt = noun_format(noun);
			if (fmt == ROLLOUT_UNKNOWN) {
				snprintf(rd->found_noun, sizeof rd->found_noun, "%s", noun);
				break;
			}
			if (rd->header_said && fmt != rd->header.format) {
				rd_error(rd, rd->el_line, rd->el_col, local,
					 "a second payload noun %s after %s: one noun per document", noun,
					 rd->header.noun);
				break;
			}
			rd->noun_fmt = fmt;
			snprintf(rd->noun_ns, sizeof rd->noun_ns, "%s", ns);
			if (!rd->header_said) {
				iec_header_fill(rd, noun);
				enum gs_result res = say_header(rd);
				if (res != GS_OK) {
					rd->result = res;
					rd->stop = rd->stop_errors = 1;
					return;
				}
			}
			rd->noun_depth = depth;
			if (fmt == ROLLOUT_IEC_LINKAGE) {
				iec_record_start(rd, depth);
				if (empty)
					iec_record_end(rd);
			}
			if (empty)
				rd->noun_depth = -1;
			return;
		}
		break;
	case NS_OTHER:
		break;
	}
	if (depth == 0 && kind != NS_PAYLOAD) {
		rd_error(rd, rd->el_line, rd->el_col, local,
			 "the root element %s is neither a gridscore rollout file ({" NATIVE_NS
			 "}rollout) nor an IEC 61968-9 document",
			 rd->root_desc);
		rd->stop = 1;
		return;
	}
	if (!empty)
		rd->skip_depth = depth;
}

static void iec_end(struct rd *rd, int depth)
{
	if (rd->skip_depth >= 0) {
		if (depth == rd->skip_depth)
			rd->skip_depth = -1;
		return;
	}
	if (rd->hfield != H_NONE && depth == rd->hfield_depth) {
		iec_header_done(rd);
		return;
	}
	if (rd->header_depth >= 0 && depth == rd->header_depth) {
		rd->header_depth = -1;
		return;
	}
	if (rd->rec_depth >= 0 && depth > rd->rec_depth) {
		if (rd->noun_fmt == ROLLOUT_IEC_LINKAGE && depth == rd->rec_depth + 1 && rd->link_meter_open)
			link_meter_end(rd);
		return;
	}
	if (rd->rec_depth >= 0 && depth == rd->rec_depth)
		iec_record_end(rd);
	if (rd->noun_depth >= 0 && depth == rd->noun_depth)
		rd->noun_depth = -1;
}

/* The end of an IEC document: was there anything to use? */
static void iec_finish(struct rd *rd)
{
	if (rd->header_said || rd->stop)
		return;
	char noun[160] = "";
	if (rd->hseen[H_NOUN])
		snprintf(noun, sizeof noun, ", Header/Noun '%.64s'", rd->hbuf[H_NOUN]);
	if (rd->found_noun[0])
		rd_error(rd, rd->header.line, 0, NULL,
			 "no usable IEC 61968-9 noun: found %s (gridscore imports MeterConfig, UsagePointConfig "
			 "and MasterDataLinkageConfig); root element %s%s",
			 rd->found_noun, rd->root_desc, noun);
	else
		rd_error(rd, rd->header.line, 0, NULL,
			 "no usable IEC 61968-9 noun (MeterConfig, UsagePointConfig or MasterDataLinkageConfig) "
			 "found; root element %s%s",
			 rd->root_desc, noun);
}

/* ---------------------------------------------------------------- the prolog */

/* Before libxml2 sees a byte: a BOM or an XML declaration naming anything but UTF-8 is
 * refused (so is a declaration that lies), and so is a DOCTYPE anywhere in the prolog:
 * it is where entities (billion laughs) and external references (XXE, DTD URLs) live.
 * 0 when the document may be parsed. */
static int check_prolog(struct rd *rd)
{
	struct src *s = &rd->src;
	src_fill(s, PROLOG_MAX);
	if (s->io_error)
		return -1;
	const unsigned char *p = (const unsigned char *)s->win;
	size_t n = (size_t)(s->win_end - s->win_base);
	const char *enc = NULL;
	if (n >= 4 && ((p[0] == 0 && p[1] == 0 && p[2] == 0xFE && p[3] == 0xFF) ||
		       (p[0] == 0xFF && p[1] == 0xFE && p[2] == 0 && p[3] == 0)))
		enc = "UTF-32";
	else if (n >= 4 && ((p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == '<') ||
			    (p[0] == '<' && p[1] == 0 && p[2] == 0 && p[3] == 0)))
		enc = "UTF-32";
	else if (n >= 2 && ((p[0] == 0xFE && p[1] == 0xFF) || (p[0] == 0xFF && p[1] == 0xFE)))
		enc = "UTF-16";
	else if (n >= 4 && ((p[0] == 0 && p[1] == '<' && p[2] == 0 && p[3] == '?') ||
			    (p[0] == '<' && p[1] == 0 && p[2] == '?' && p[3] == 0)))
		enc = "UTF-16";
	else if (n >= 4 && p[0] == 0x4C && p[1] == 0x6F && p[2] == 0xA7 && p[3] == 0x94)
		enc = "EBCDIC";
	if (enc) {
		rd_error(rd, 1, 1, "encoding", "encoding '%s' is not supported: rollout files must be UTF-8", enc);
		return -1;
	}
	size_t i = (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) ? 3 : 0;
	if (n - i >= 6 && memcmp(p + i, "<?xml", 5) == 0 && is_xml_space(p[i + 5])) {
		const unsigned char *decl_end = NULL;
		for (size_t k = i + 5; k + 1 < n; k++)
			if (p[k] == '?' && p[k + 1] == '>') {
				decl_end = p + k;
				break;
			}
		if (decl_end) {
			const unsigned char *q = p + i + 5;
			while (q + 8 < decl_end) {
				if (memcmp(q, "encoding", 8) == 0 && is_xml_space(q[-1])) {
					const unsigned char *v = q + 8;
					while (v < decl_end && is_xml_space(*v))
						v++;
					if (v < decl_end && *v == '=') {
						v++;
						while (v < decl_end && is_xml_space(*v))
							v++;
						if (v < decl_end && (*v == '"' || *v == '\'')) {
							const unsigned char *ve = memchr(v + 1, *v, (size_t)(decl_end - v - 1));
							if (ve) {
								char name[64];
								size_t ln = (size_t)(ve - v - 1);
								if (ln >= sizeof name)
									ln = sizeof name - 1;
								memcpy(name, v + 1, ln);
								name[ln] = '\0';
								if (strcasecmp(name, "UTF-8") != 0 &&
								    strcasecmp(name, "UTF8") != 0) {
									rd_error(rd, 1, 0, "encoding",
										 "encoding '%s' is not supported: rollout "
										 "files must be UTF-8",
										 name);
									return -1;
								}
							}
						}
					}
					break;
				}
				q++;
			}
		}
	}
	/* the prolog: declaration, comments, processing instructions, white space */
	struct src probe = *s;
	const char *e = s->win + n;
	for (;;) {
		const char *cur = probe.win + (probe.c_off - probe.win_base);
		const char *lt = memchr(cur, '<', (size_t)(e - cur));
		if (!lt || e - lt < 2)
			return 0; /* no element in view: libxml2 will say what is wrong */
		cursor_advance(&probe, (uint64_t)(lt - s->win) + s->win_base);
		const char *next;
		if (lt[1] == '?')
			next = skip_past(lt + 2, e, "?>");
		else if (e - lt >= 4 && memcmp(lt, "<!--", 4) == 0)
			next = skip_past(lt + 4, e, "-->");
		else if (e - lt >= 9 && memcmp(lt, "<!DOCTYPE", 9) == 0) {
			long col = cursor_column(&probe, probe.c_off);
			rd_error(rd, probe.c_line, col, "DOCTYPE", "DOCTYPE is not allowed");
			return -1;
		} else
			return 0;
		if (!next) {
			if (n >= PROLOG_MAX) {
				rd_error(rd, probe.c_line, 0, NULL,
					 "the prolog before the root element is longer than %u bytes", PROLOG_MAX);
				return -1;
			}
			return 0;
		}
		cursor_advance(&probe, (uint64_t)(next - s->win) + s->win_base);
	}
}

/* ---------------------------------------------------------------- reading */

/* native: the reader of a native file, which may drop the white space between elements. */
static xmlTextReaderPtr open_reader(struct rd *rd, int native)
{
	/* NONET: nothing fetched; no NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE. BIG_LINES for
	 * libxml2's own line numbers past 65535; COMPACT and NOCDATA for cheaper text.
	 * NOBLANKS (native only): the indentation between records is not handed to us as a
	 * node of its own, one Read and one node less per record; the schema validator still
	 * sees it (white space in a record's empty content is still an error), and IEC
	 * documents, whose fields are text, keep every text node. */
	int options = XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT | XML_PARSE_NOCDATA;
	if (native)
		options |= XML_PARSE_NOBLANKS;
	xmlTextReaderPtr r = xmlReaderForIO(src_read, NULL, &rd->src, rd->name, NULL, options);
	if (!r)
		return NULL;
	xmlTextReaderSetParserProp(r, XML_PARSER_LOADDTD, 0);
	xmlTextReaderSetParserProp(r, XML_PARSER_DEFAULTATTRS, 0);
	xmlTextReaderSetParserProp(r, XML_PARSER_VALIDATE, 0);
	xmlTextReaderSetParserProp(r, XML_PARSER_SUBST_ENTITIES, 0);
	/* No xmlTextReaderSetStructuredErrorHandler: with a schema plugged in, libxml2 2.9
	 * relays parser errors to it with the wrong user data (a crash) or drops them;
	 * errors reach on_xml_error through the per-thread handler set in run(). */
	return r;
}

/* With the schema plugged in, libxml2 2.9 sometimes ends a read with a failure but
 * without the error (a truncated file): read once more without the schema to say what
 * is wrong and where. Only on this failure path. */
static void reparse_for_error(struct rd *rd)
{
	long line = xmlTextReaderGetParserLineNumber(rd->reader);
	long column = xmlTextReaderGetParserColumnNumber(rd->reader);
	xmlFreeTextReader(rd->reader);
	rd->reader = NULL;
	if (src_rewind(&rd->src) == 0 && (rd->reader = open_reader(rd, 0)) != NULL) {
		rd->src.lost = 1; /* positions are not needed */
		while (xmlTextReaderRead(rd->reader) == 1)
			;
	}
	if (rd->parse_errors == 0)
		rd_error(rd, line, column, NULL, "the file is not well-formed XML");
}

/* Reads up to the root element to learn the format; the reader stays there. */
static enum rollout_format sniff(struct rd *rd)
{
	int ret;
	while ((ret = xmlTextReaderRead(rd->reader)) == 1) {
		if (xmlTextReaderNodeType(rd->reader) != XML_READER_TYPE_ELEMENT)
			continue;
		/* not xmlTextReaderCurrentDoc: it hands the document to the caller */
		xmlNodePtr node = xmlTextReaderCurrentNode(rd->reader);
		xmlDocPtr doc = node ? node->doc : NULL;
		if (doc && (doc->intSubset || doc->extSubset)) { /* the prolog scan should have caught it */
			rd_error(rd, 1, 0, "DOCTYPE", "DOCTYPE is not allowed");
			rd->stop = rd->stop_errors = 1;
			return ROLLOUT_UNKNOWN;
		}
		const char *ns = (const char *)xmlTextReaderConstNamespaceUri(rd->reader);
		const char *local = (const char *)xmlTextReaderConstLocalName(rd->reader);
		snprintf(rd->root_desc, sizeof rd->root_desc, "{%s}%s", ns ? ns : "", local ? local : "");
		if (ns && strcmp(ns, NATIVE_NS) == 0)
			return ROLLOUT_NATIVE;
		return ROLLOUT_IEC_METER; /* or another IEC noun, or nothing usable: decided later */
	}
	if (rd->errs->total == 0 && !rd->src.long_run && !rd->src.io_error)
		rd_error(rd, 1, 0, NULL, "the file has no root element");
	return ROLLOUT_UNKNOWN;
}

static void run(struct rd *rd)
{
	struct src *s = &rd->src;
	xmlGenericErrorFunc saved_generic = xmlGenericError;
	void *saved_generic_ctx = xmlGenericErrorContext;
	xmlStructuredErrorFunc saved_structured = xmlStructuredError;
	void *saved_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, on_generic_error);
	xmlSetStructuredErrorFunc(rd, on_xml_error);

	if (s->size == 0) {
		rd_error(rd, 1, 0, NULL, "the file is empty");
		goto out;
	}
	if (check_prolog(rd) != 0)
		goto out;
	rd->reader = open_reader(rd, 0);
	if (!rd->reader) {
		rd->result = GS_ERR_INTERNAL;
		rd_error(rd, 0, 0, NULL, "out of memory");
		goto out;
	}
	int ret = 1;
	enum rollout_format fmt = sniff(rd);
	int native = fmt == ROLLOUT_NATIVE;
	if (fmt == ROLLOUT_UNKNOWN) {
		if (rd->stop || !(s->long_run || s->io_error))
			goto out;
		ret = -1;
		goto report;
	}
	if (native) {
		/* the schema must be attached before the first Read: start again */
		pthread_once(&schema_once, schema_init);
		if (!schema) {
			rd->result = GS_ERR_INTERNAL;
			rd_error(rd, 0, 0, NULL, "the rollout schema could not be loaded (a bug)");
			goto out;
		}
		xmlFreeTextReader(rd->reader);
		rd->reader = NULL;
		if (src_rewind(s) != 0)
			goto out;
		rd->reader = open_reader(rd, 1);
		if (!rd->reader || xmlTextReaderSetSchema(rd->reader, schema) != 0) {
			rd->result = GS_ERR_INTERNAL;
			rd_error(rd, 0, 0, NULL, "could not attach the rollout schema (a bug)");
			goto out;
		}
		intern_names(rd);
	}
	xmlTextReaderPtr r = rd->reader;
	unsigned max_depth = rd->lim->max_depth;
	int first = !native; /* IEC: the reader is on the root already */
	while (!rd->stop && (first || (ret = xmlTextReaderRead(r)) == 1)) {
		first = 0;
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_ELEMENT) {
			int depth = xmlTextReaderDepth(r);
			locate_element(rd);
			if ((unsigned)depth >= max_depth) {
				rd_cap(rd, rd->el_line, rd->el_col, (const char *)xmlTextReaderConstLocalName(r),
				       "elements are nested deeper than %u levels", max_depth);
				break;
			}
			int empty = xmlTextReaderIsEmptyElement(r);
			if (native) {
				native_element(rd, depth);
			} else {
				if (depth == 0)
					rd->header.line = rd->el_line;
				iec_start(rd, depth, empty);
				if (empty && !rd->stop)
					iec_end(rd, depth);
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (!native)
				iec_end(rd, xmlTextReaderDepth(r));
		} else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
			if (native) {
				const xmlChar *v = xmlTextReaderConstValue(r);
				if (v && strlen((const char *)v) > rd->max_text)
					rd_cap(rd, rd->el_line, rd->el_col, NULL,
					       "a text of more than %zu bytes", rd->max_text);
			} else {
				iec_text(rd);
			}
		} else if (type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE && !native && rd->rec_depth >= 0) {
			iec_text(rd);
		}
	}
report:
	if (s->long_run) {
		long line = 0, col = 0;
		if (!s->lost && s->run_start >= s->c_off && s->run_start < s->win_end) {
			cursor_advance(s, s->run_start);
			line = s->c_line;
			col = cursor_column(s, s->run_start);
		}
		rd->stop_errors = 0;
		rd_cap(rd, line, col, NULL,
		       "more than %llu bytes without markup from here: a text or attribute value longer than the "
		       "limit of %zu bytes",
		       (unsigned long long)s->run_max, rd->max_text);
	} else if (s->io_error) {
		if (rd->result == GS_OK)
			rd->result = GS_ERR_IO;
		rd_error(rd, 0, 0, NULL, "read failed: %s", strerror(s->io_error));
	} else if (s->grew) {
		if (rd->result == GS_OK)
			rd->result = GS_ERR_TOO_LARGE;
		rd_error(rd, 0, 0, NULL, "the file grew while it was read");
	} else if (ret < 0 && rd->parse_errors == 0 && !rd->stop_errors) {
		reparse_for_error(rd);
	}
	if (!rd->stop && ret == 0) {
		if (!native)
			iec_finish(rd);
		else if (!rd->header_said && rd->errs->total == 0)
			rd_error(rd, 1, 0, NULL, "the file has no rollout element");
	}
out:
	xmlFreeTextReader(rd->reader);
	xmlSetStructuredErrorFunc(saved_structured_ctx, saved_structured);
	xmlSetGenericErrorFunc(saved_generic_ctx, saved_generic);
	rd->reader = NULL;
}

static enum gs_result read_src(struct rd *rd)
{
	const struct rollout_limits *lim = rd->lim;
	rd->skip_depth = rd->header_depth = rd->noun_depth = rd->rec_depth = -1;
	rd->hfield = H_NONE;
	rd->src.c_line = 1;
	rd->src.col = 1;
	rd->max_text = lim->max_text < TEXT_CAP ? lim->max_text : TEXT_CAP;
	rd->src.run_max = rd->max_text + 1024 > RUN_MIN ? rd->max_text + 1024 : RUN_MIN;
	size_t slot = rd->max_text + 1;
	rd->arena = xmalloc(slot * F_COUNT);
	for (int i = 0; i < F_COUNT; i++)
		rd->f[i].text = rd->arena + slot * (size_t)i;
	buf_init(&rd->link_meters, 1u << 20);
	buf_init(&rd->link_pos, 1u << 20);

	run(rd);

	free(rd->arena);
	buf_free(&rd->link_meters);
	buf_free(&rd->link_pos);
	if (rd->result != GS_OK)
		return rd->result;
	return rd->errs->total ? GS_ERR_INVALID : GS_OK;
}

static void rd_init(struct rd *rd, const char *name, const struct rollout_limits *lim,
		    const struct rollout_sink *sink, struct rollout_errors *errs)
{
	memset(rd, 0, sizeof *rd);
	memset(errs, 0, sizeof *errs);
	rd->name = name;
	rd->lim = lim;
	rd->sink = sink;
	rd->errs = errs;
	rd->src.fd = -1;
}

enum gs_result rollout_read_memory(const char *name, const char *data, size_t len, const struct rollout_limits *lim,
				   const struct rollout_sink *sink, struct rollout_errors *errs)
{
	struct rollout_limits def;
	if (!lim) {
		rollout_limits_default(&def);
		lim = &def;
	}
	struct rd *rd = xmalloc(sizeof *rd);
	rd_init(rd, name ? name : "memory", lim, sink, errs);
	enum gs_result result;
	if ((uint64_t)len > lim->max_file_bytes || len > (size_t)INT_MAX * 4) {
		rd_error(rd, 0, 0, NULL, "the file is %zu bytes, more than the limit of %llu", len,
			 (unsigned long long)lim->max_file_bytes);
		result = GS_ERR_TOO_LARGE;
		goto out;
	}
	rd->src.mem = data;
	rd->src.win = data;
	rd->src.size = len;
	result = read_src(rd);
out:
	free(rd);
	return result;
}

enum gs_result rollout_read_file(const char *path, const char *name, const struct rollout_limits *lim,
				 const struct rollout_sink *sink, struct rollout_errors *errs)
{
	struct rollout_limits def;
	if (!lim) {
		rollout_limits_default(&def);
		lim = &def;
	}
	struct rd *rd = xmalloc(sizeof *rd);
	rd_init(rd, name ? name : path, lim, sink, errs);
	enum gs_result result = GS_ERR_IO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rd_error(rd, 0, 0, NULL, "cannot read %s: %s", rd->name, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rd_error(rd, 0, 0, NULL, "%s is not a regular file", rd->name);
		goto out;
	}
	if ((uint64_t)st.st_size > lim->max_file_bytes) {
		rd_error(rd, 0, 0, NULL, "the file is %lld bytes, more than the limit of %llu", (long long)st.st_size,
			 (unsigned long long)lim->max_file_bytes);
		result = GS_ERR_TOO_LARGE;
		goto out;
	}
	rd->src.fd = fd;
	rd->src.size = (uint64_t)st.st_size;
	rd->src.win_cap = WIN_INIT;
	rd->src.own = xmalloc(rd->src.win_cap);
	rd->src.win = rd->src.own;
	result = read_src(rd);
	free(rd->src.own);
out:
	if (fd >= 0)
		close(fd);
	free(rd);
	return result;
}
