/* form.c — incremental parsers for application/x-www-form-urlencoded and
 * multipart/form-data (RFC 7578) bodies. Bytes arrive in chunks of any size; every
 * state lives in struct form_parser, so a split may fall anywhere, even inside a
 * percent escape or a boundary delimiter. No I/O here: file parts go to a callback. */
#include "form.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Cap on one part's header block (all its header lines together). A browser sends a
 * few hundred bytes; the cap bounds memory per part whatever the form limits are. */
#define FORM_MAX_HEADERS 8192
/* RFC 2046 §5.1.1: a boundary is 1 to 70 characters. */
#define FORM_MAX_BOUNDARY 70
/* Longest field name quoted in an error message, in bytes. */
#define FORM_MSG_NAME 64

enum form_kind { FORM_URLENCODED, FORM_MULTIPART };

enum mp_state {
	MP_PREAMBLE,    /* before the first delimiter: ignored */
	MP_AFTER_DELIM, /* just after a delimiter: "--" closes, else padding then CRLF */
	MP_HEADERS,     /* a part's header block, up to the empty line */
	MP_BODY,        /* a part's content, up to the next delimiter */
	MP_EPILOGUE     /* after the closing delimiter: ignored */
};

/* Storage of a urlencoded form's names and values: they are copied into chunks that
 * are freed together with the parser (was two allocations per field, and their frees:
 * 3-4 % of the server's CPU on a survey submission of eight fields). */
struct form_chunk {
	struct form_chunk *next;
	size_t cap, used;
	char data[];
};
#define FORM_CHUNK_MIN 1024

struct form_parser {
	enum form_kind kind;
	struct form_limits lim;
	form_file_cb file_cb;
	void *cb_ctx;

	struct form_field *fields;
	size_t n_fields, cap_fields;

	size_t total;       /* bytes fed so far */
	enum gs_result err; /* sticky */
	int finished;
	char msg[256];

	/* urlencoded */
	struct buf name, value; /* the pair being decoded (reused from pair to pair) */
	struct form_chunk *chunks; /* the fields' names and values, newest chunk first */
	int in_value;           /* '=' seen in this pair */
	int started;            /* this pair has at least one byte */
	int pct;                /* 0, or 1/2 after '%' and '%X' */
	int pct_hi;

	/* multipart */
	char delim[4 + FORM_MAX_BOUNDARY + 1]; /* "\r\n--" boundary */
	size_t dlen;
	size_t match; /* bytes of delim matched so far */
	enum mp_state state;
	int ad_sub; /* MP_AFTER_DELIM: 0 start, 1 saw '-', 2 padding, 3 saw CR */
	struct buf hdr;
	char *part_name, *part_filename, *part_ctype;
	int part_is_file;
	size_t part_len; /* content bytes of the current part */
};

static enum gs_result set_error(struct form_parser *p, enum gs_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum gs_result set_error(struct form_parser *p, enum gs_result r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
	p->err = r;
	return r;
}

/* 1 if s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, nothing past
 * U+10FFFF) and holds no NUL. */
static int utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = u[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong */
			else if (c == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90; /* overlong */
			else if (c == 0xf4)
				hi = 0x8f; /* past U+10FFFF */
		} else {
			return 0;
		}
		if (len - i - 1 < n)
			return 0;
		if (u[i + 1] < lo || u[i + 1] > hi)
			return 0;
		for (size_t k = 2; k <= n; k++)
			if (u[i + k] < 0x80 || u[i + k] > 0xbf)
				return 0;
		i += n + 1;
	}
	return 1;
}

/* A field name made safe to quote in a message: valid UTF-8 without control
 * characters is kept (cut at a character boundary), anything else becomes '?'. */
static void msg_name(char *out, size_t outsz, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, i = 0;
	while (i < len && o + 1 < outsz) {
		size_t n = 1;
		if (u[i] >= 0x80) {
			n = (u[i] >= 0xf0) ? 4 : (u[i] >= 0xe0) ? 3 : 2;
			if (n > len - i || !utf8_valid(s + i, n))
				n = 0;
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			n = 0;
		}
		if (n == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n >= outsz || o + n > FORM_MSG_NAME)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

static void fields_push(struct form_parser *p, char *name, char *value, size_t value_len, char *filename, char *ctype)
{
	if (p->n_fields == p->cap_fields) {
		p->cap_fields = p->cap_fields ? p->cap_fields * 2 : 8;
		p->fields = xrealloc(p->fields, p->cap_fields * sizeof *p->fields);
	}
	struct form_field *f = &p->fields[p->n_fields++];
	f->name = name;
	f->value = value;
	f->value_len = value_len;
	f->filename = filename;
	f->content_type = ctype;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int ieq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int is_tchar(char c)
{
	unsigned char u = (unsigned char)c;
	if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z'))
		return 1;
	return u && strchr("!#$%&'*+-.^_`|~", u) != NULL;
}

static const char *skip_ows(const char *s, const char *end)
{
	while (s < end && is_ows(*s))
		s++;
	return s;
}

/* Reads the next ";name=value" parameter of a header value at *sp. The name is
 * lowercased into name (names that do not fit come back empty, i.e. unknown); the
 * value, unquoted (backslash escapes undone), replaces val's contents.
 * Returns 1 for a parameter, 0 at the end, -1 if malformed. */
static int next_param(const char **sp, const char *end, char *name, size_t namesz, struct buf *val)
{
	const char *s = skip_ows(*sp, end);
	for (;;) { /* tolerate empty parameters: "a/b;; x=y;" */
		if (s == end) {
			*sp = s;
			return 0;
		}
		if (*s != ';')
			return -1;
		s = skip_ows(s + 1, end);
		if (s == end || *s != ';')
			break;
	}
	if (s == end) {
		*sp = s;
		return 0;
	}
	const char *n0 = s;
	while (s < end && is_tchar(*s))
		s++;
	size_t nlen = (size_t)(s - n0);
	if (nlen == 0)
		return -1;
	if (nlen < namesz) {
		for (size_t i = 0; i < nlen; i++)
			name[i] = (char)lower((unsigned char)n0[i]);
		name[nlen] = '\0';
	} else {
		name[0] = '\0';
	}
	s = skip_ows(s, end);
	if (s == end || *s != '=')
		return -1;
	s = skip_ows(s + 1, end);
	buf_reset(val);
	if (s < end && *s == '"') {
		s++;
		for (;;) {
			if (s == end)
				return -1; /* unterminated */
			char c = *s++;
			if (c == '"')
				break;
			if (c == '\\') {
				if (s == end)
					return -1;
				c = *s++;
			}
			if (buf_putc(val, c) != GS_OK)
				return -1;
		}
	} else {
		const char *v0 = s;
		while (s < end && *s != ';' && !is_ows(*s) && *s != '"' && (unsigned char)*s > 0x20 &&
		       (unsigned char)*s < 0x7f)
			s++;
		if (s == v0)
			return -1;
		if (buf_append(val, v0, (size_t)(s - v0)) != GS_OK)
			return -1;
	}
	*sp = skip_ows(s, end);
	return 1;
}

static int boundary_char(char c)
{
	unsigned char u = (unsigned char)c;
	if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z'))
		return 1;
	return u && strchr("'()+_,-./:=? ", u) != NULL;
}

static struct form_parser *parser_alloc(enum form_kind kind, const struct form_limits *lim, form_file_cb file_cb,
                                        void *cb_ctx)
{
	struct form_parser *p = xcalloc(1, sizeof *p);
	p->kind = kind;
	p->lim = *lim;
	p->file_cb = file_cb;
	p->cb_ctx = cb_ctx;
	p->err = GS_OK;
	buf_init(&p->name, lim->max_name);
	buf_init(&p->value, lim->max_value);
	buf_init(&p->hdr, FORM_MAX_HEADERS);
	return p;
}

/* On error *out is NULL: there is nothing to free. */
enum gs_result form_parser_new(const char *content_type, const struct form_limits *lim, form_file_cb file_cb,
                               void *cb_ctx, struct form_parser **out)
{
	assert(content_type && lim && out);
	*out = NULL;
	const char *s = content_type, *end = content_type + strlen(content_type);
	while (end > s && is_ows(end[-1]))
		end--;
	s = skip_ows(s, end);
	const char *t0 = s;
	while (s < end && *s != ';' && !is_ows(*s))
		s++;
	enum form_kind kind;
	if (ieq(t0, (size_t)(s - t0), "application/x-www-form-urlencoded"))
		kind = FORM_URLENCODED;
	else if (ieq(t0, (size_t)(s - t0), "multipart/form-data"))
		kind = FORM_MULTIPART;
	else
		return GS_ERR_INVALID;

	enum gs_result result = GS_ERR_INVALID;
	struct buf val, boundary;
	buf_init(&val, 1024);
	buf_init(&boundary, FORM_MAX_BOUNDARY);
	int have_boundary = 0;
	char pname[32];
	int r;
	while ((r = next_param(&s, end, pname, sizeof pname, &val)) == 1) {
		if (strcmp(pname, "charset") == 0) {
			/* Browsers send UTF-8 when the page is UTF-8; anything else would
			 * need transcoding we do not do. */
			if (!ieq(val.data, val.len, "utf-8"))
				goto out;
		} else if (strcmp(pname, "boundary") == 0) {
			if (have_boundary)
				goto out;
			have_boundary = 1;
			buf_reset(&boundary);
			if (buf_append(&boundary, val.data, val.len) != GS_OK)
				goto out;
		}
	}
	if (r < 0)
		goto out;
	if (kind == FORM_MULTIPART) {
		if (!have_boundary || boundary.len == 0 || boundary.data[boundary.len - 1] == ' ')
			goto out;
		for (size_t i = 0; i < boundary.len; i++)
			if (!boundary_char(boundary.data[i]))
				goto out;
	}
	struct form_parser *p = parser_alloc(kind, lim, file_cb, cb_ctx);
	if (kind == FORM_MULTIPART) {
		memcpy(p->delim, "\r\n--", 4);
		memcpy(p->delim + 4, boundary.data, boundary.len);
		p->dlen = 4 + boundary.len;
		p->delim[p->dlen] = '\0';
		/* The first delimiter may open the body, without a CRLF before it. */
		p->match = 2;
		p->state = MP_PREAMBLE;
	}
	*out = p;
	result = GS_OK;
out:
	buf_free(&val);
	buf_free(&boundary);
	return result;
}

/* ---- urlencoded ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum gs_result ue_fail_field(struct form_parser *p, enum gs_result r, const char *what)
{
	if (!p->in_value)
		return set_error(p, r, "a field name %s", what);
	char nm[FORM_MSG_NAME + 8];
	msg_name(nm, sizeof nm, p->name.data ? p->name.data : "", p->name.len);
	return set_error(p, r, "field '%s' %s", nm, what);
}

/* Appends n decoded bytes to the field name or value being read. */
static enum gs_result ue_put_run(struct form_parser *p, const char *s, size_t n)
{
	struct buf *b = p->in_value ? &p->value : &p->name;
	if (buf_append(b, s, n) != GS_OK) {
		char what[64];
		snprintf(what, sizeof what, "is longer than %zu bytes", b->max);
		return ue_fail_field(p, GS_ERR_TOO_LARGE, what);
	}
	return GS_OK;
}

static enum gs_result ue_put(struct form_parser *p, char c)
{
	return ue_put_run(p, &c, 1);
}

/* A copy of s (n bytes, then a NUL) in the parser's chunks. */
static char *chunk_copy(struct form_parser *p, const char *s, size_t n)
{
	struct form_chunk *c = p->chunks;
	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > FORM_CHUNK_MIN ? n + 1 : FORM_CHUNK_MIN;
		c = xmalloc(sizeof *c + cap);
		c->cap = cap;
		c->used = 0;
		c->next = p->chunks;
		p->chunks = c;
	}
	char *out = c->data + c->used;
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
	c->used += n + 1;
	return out;
}

static enum gs_result ue_commit(struct form_parser *p)
{
	if (!p->started)
		return GS_OK;
	if (p->pct)
		return ue_fail_field(p, GS_ERR_INVALID, "has a bad percent escape");
	if (!utf8_valid(p->name.data ? p->name.data : "", p->name.len))
		return set_error(p, GS_ERR_INVALID, "a field name is not valid UTF-8");
	if (!utf8_valid(p->value.data ? p->value.data : "", p->value.len))
		return ue_fail_field(p, GS_ERR_INVALID, "is not valid UTF-8");
	if (p->n_fields >= p->lim.max_fields)
		return set_error(p, GS_ERR_TOO_LARGE, "more than %zu fields", p->lim.max_fields);
	char *name = chunk_copy(p, p->name.data, p->name.len);
	char *value = chunk_copy(p, p->value.data, p->value.len);
	fields_push(p, name, value, p->value.len, NULL, NULL);
	buf_reset(&p->name);
	buf_reset(&p->value);
	p->in_value = 0;
	p->started = 0;
	return GS_OK;
}

static enum gs_result ue_feed(struct form_parser *p, const char *data, size_t len)
{
	enum gs_result r = GS_OK;
	for (size_t i = 0; i < len && r == GS_OK; i++) {
		char c = data[i];
		if (p->pct == 1) {
			int h = hexval(c);
			if (h < 0)
				return ue_fail_field(p, GS_ERR_INVALID, "has a bad percent escape");
			p->pct_hi = h;
			p->pct = 2;
			continue;
		}
		if (p->pct == 2) {
			int h = hexval(c);
			if (h < 0)
				return ue_fail_field(p, GS_ERR_INVALID, "has a bad percent escape");
			p->pct = 0;
			r = ue_put(p, (char)(p->pct_hi << 4 | h));
			continue;
		}
		switch (c) {
		case '&': r = ue_commit(p); break;
		case '=':
			p->started = 1;
			if (p->in_value)
				r = ue_put(p, c);
			else
				p->in_value = 1;
			break;
		case '+':
			p->started = 1;
			r = ue_put(p, ' ');
			break;
		case '%':
			p->started = 1;
			p->pct = 1;
			break;
		default: { /* a run of plain bytes is appended at once */
			size_t j = i + 1;
			while (j < len && data[j] != '&' && data[j] != '+' && data[j] != '%' &&
			       (data[j] != '=' || p->in_value))
				j++;
			p->started = 1;
			r = ue_put_run(p, data + i, j - i);
			i = j - 1;
			break;
		}
		}
	}
	return r;
}

/* ---- multipart ----
 * CRLF is required, as RFC 2046 and RFC 7578 say and as every browser sends: the
 * delimiter is CRLF "--" boundary and header lines end in CRLF. A body framed with
 * bare LF is refused (its delimiter is never found, or its header block is malformed)
 * rather than guessed at, so that a stray "\n--boundary" inside a file stays content.
 * Delimiters are matched byte by byte with a counter that survives between feeds; the
 * bytes held back while a match is pending are always a prefix of the delimiter, so
 * no separate lookbehind buffer is kept. */

static void part_clear(struct form_parser *p)
{
	free(p->part_name);
	free(p->part_filename);
	free(p->part_ctype);
	p->part_name = p->part_filename = p->part_ctype = NULL;
	p->part_is_file = 0;
	p->part_len = 0;
	buf_free(&p->value);
}

static const char *part_msg_name(struct form_parser *p, char *nm, size_t nmsz)
{
	const char *n = p->part_name ? p->part_name : "";
	msg_name(nm, nmsz, n, strlen(n));
	return nm;
}

/* Content bytes of the current part (or of the preamble, which is dropped). */
static enum gs_result mp_content(struct form_parser *p, const char *d, size_t n)
{
	if (p->state != MP_BODY || n == 0)
		return GS_OK;
	char nm[FORM_MSG_NAME + 8];
	if (p->part_is_file) {
		if (n > p->lim.max_file - p->part_len)
			return set_error(p, GS_ERR_TOO_LARGE, "file '%s' is larger than %zu bytes",
			                 part_msg_name(p, nm, sizeof nm), p->lim.max_file);
		p->part_len += n;
		enum gs_result r = p->file_cb(p->cb_ctx, p->part_name, p->part_filename, p->part_ctype, d, n, 0);
		if (r != GS_OK)
			return set_error(p, r, "file '%s' was not accepted (%s)", part_msg_name(p, nm, sizeof nm),
			                 gs_result_str(r));
		return GS_OK;
	}
	if (buf_append(&p->value, d, n) != GS_OK)
		return set_error(p, GS_ERR_TOO_LARGE, "field '%s' is longer than %zu bytes",
		                 part_msg_name(p, nm, sizeof nm), p->lim.max_value);
	return GS_OK;
}

static enum gs_result mp_part_end(struct form_parser *p)
{
	char nm[FORM_MSG_NAME + 8];
	if (p->part_is_file) {
		enum gs_result r = p->file_cb(p->cb_ctx, p->part_name, p->part_filename, p->part_ctype, "", 0, 1);
		if (r != GS_OK)
			return set_error(p, r, "file '%s' was not accepted (%s)", part_msg_name(p, nm, sizeof nm),
			                 gs_result_str(r));
		fields_push(p, p->part_name, NULL, 0, p->part_filename, p->part_ctype);
	} else {
		if (!utf8_valid(p->value.data ? p->value.data : "", p->value.len))
			return set_error(p, GS_ERR_INVALID, "field '%s' is not valid UTF-8",
			                 part_msg_name(p, nm, sizeof nm));
		size_t vlen;
		char *value = buf_steal(&p->value, &vlen);
		fields_push(p, p->part_name, value, vlen, NULL, p->part_ctype);
	}
	p->part_name = p->part_filename = p->part_ctype = NULL;
	part_clear(p);
	return GS_OK;
}

/* Copies a header parameter value into a new string, or fails if it is not valid
 * UTF-8 (a NUL included). */
static char *param_dup(const struct buf *v)
{
	const char *d = v->data ? v->data : "";
	if (!utf8_valid(d, v->len))
		return NULL;
	return xstrndup(d, v->len);
}

static enum gs_result mp_content_disposition(struct form_parser *p, const char *s, const char *end)
{
	const char *t0 = s;
	while (s < end && is_tchar(*s))
		s++;
	if (!ieq(t0, (size_t)(s - t0), "form-data"))
		return set_error(p, GS_ERR_INVALID, "a part is not form-data");
	struct buf val;
	buf_init(&val, FORM_MAX_HEADERS);
	char pname[32];
	int r;
	enum gs_result result = GS_OK;
	while ((r = next_param(&s, end, pname, sizeof pname, &val)) == 1) {
		char **slot = NULL;
		if (strcmp(pname, "name") == 0)
			slot = &p->part_name;
		else if (strcmp(pname, "filename") == 0)
			slot = &p->part_filename;
		else
			continue; /* filename*= and others: the plain forms suffice */
		if (*slot) {
			result = set_error(p, GS_ERR_INVALID, "a part has two '%s' parameters", pname);
			goto out;
		}
		*slot = param_dup(&val);
		if (!*slot) {
			result = set_error(p, GS_ERR_INVALID, "a part's %s is not valid UTF-8",
			                   slot == &p->part_name ? "field name" : "file name");
			goto out;
		}
	}
	if (r < 0)
		result = set_error(p, GS_ERR_INVALID, "a part has a malformed Content-Disposition header");
out:
	buf_free(&val);
	return result;
}

/* Parses the header block in p->hdr (lines ending in CRLF, the last one empty) and
 * starts the part. Folded (obsolete) header lines are refused: browsers never send
 * them. */
static enum gs_result mp_headers_done(struct form_parser *p)
{
	const char *s = p->hdr.data, *end = p->hdr.data + p->hdr.len - 2; /* drop the empty line's CRLF */
	int have_cd = 0;
	enum gs_result r;
	while (s < end) {
		const char *eol = memchr(s, '\r', (size_t)(end - s));
		if (!eol || eol[1] != '\n')
			return set_error(p, GS_ERR_INVALID, "a part header line does not end in CRLF");
		if (memchr(s, '\n', (size_t)(eol - s)))
			return set_error(p, GS_ERR_INVALID, "a part header line does not end in CRLF");
		const char *n0 = s;
		while (s < eol && is_tchar(*s))
			s++;
		if (s == n0 || s == eol || *s != ':')
			return set_error(p, GS_ERR_INVALID, "a part has a malformed header line");
		size_t nlen = (size_t)(s - n0);
		const char *v = skip_ows(s + 1, eol), *vend = eol;
		while (vend > v && is_ows(vend[-1]))
			vend--;
		if (ieq(n0, nlen, "content-disposition")) {
			if (have_cd)
				return set_error(p, GS_ERR_INVALID, "a part has two Content-Disposition headers");
			have_cd = 1;
			r = mp_content_disposition(p, v, vend);
			if (r != GS_OK)
				return r;
		} else if (ieq(n0, nlen, "content-type")) {
			if (p->part_ctype)
				return set_error(p, GS_ERR_INVALID, "a part has two Content-Type headers");
			if (!utf8_valid(v, (size_t)(vend - v)))
				return set_error(p, GS_ERR_INVALID, "a part's Content-Type is not valid UTF-8");
			p->part_ctype = xstrndup(v, (size_t)(vend - v));
		}
		s = eol + 2;
	}
	if (!have_cd || !p->part_name)
		return set_error(p, GS_ERR_INVALID, "a part has no field name");
	char nm[FORM_MSG_NAME + 8];
	if (strlen(p->part_name) > p->lim.max_name)
		return set_error(p, GS_ERR_TOO_LARGE, "a field name is longer than %zu bytes", p->lim.max_name);
	if (p->n_fields >= p->lim.max_fields)
		return set_error(p, GS_ERR_TOO_LARGE, "more than %zu fields", p->lim.max_fields);
	if (p->part_filename) {
		if (!p->file_cb || p->lim.max_file == 0)
			return set_error(p, GS_ERR_INVALID, "file uploads are not accepted here (field '%s')",
			                 part_msg_name(p, nm, sizeof nm));
		p->part_is_file = 1;
	}
	buf_reset(&p->hdr);
	buf_init(&p->value, p->lim.max_value);
	p->part_len = 0;
	p->state = MP_BODY;
	return GS_OK;
}

static enum gs_result mp_feed(struct form_parser *p, const char *data, size_t len)
{
	size_t i = 0;
	enum gs_result r = GS_OK;
	while (i < len && r == GS_OK) {
		switch (p->state) {
		case MP_PREAMBLE:
		case MP_BODY:
			if (p->match == 0) {
				/* Fast path: everything up to the next CR is content. */
				const char *cr = memchr(data + i, '\r', len - i);
				size_t stop = cr ? (size_t)(cr - data) : len;
				r = mp_content(p, data + i, stop - i);
				i = stop;
				if (cr) {
					p->match = 1;
					i++;
				}
				break;
			}
			if (data[i] == p->delim[p->match]) {
				i++;
				if (++p->match == p->dlen) {
					p->match = 0;
					if (p->state == MP_BODY)
						r = mp_part_end(p);
					p->state = MP_AFTER_DELIM;
					p->ad_sub = 0;
				}
			} else {
				/* A boundary character is never a CR, so a failed match can only
				 * restart at this byte: the bytes matched so far are content, and
				 * they equal the delimiter's prefix — no other lookbehind needed. */
				r = mp_content(p, p->delim, p->match);
				p->match = 0;
			}
			break;
		case MP_AFTER_DELIM: {
			char c = data[i++];
			if (p->ad_sub == 0 && c == '-') {
				p->ad_sub = 1;
			} else if (p->ad_sub == 1) {
				if (c != '-')
					r = set_error(p, GS_ERR_INVALID, "a multipart boundary is followed by junk");
				else
					p->state = MP_EPILOGUE;
			} else if ((p->ad_sub == 0 || p->ad_sub == 2) && is_ows(c)) {
				p->ad_sub = 2; /* transport padding, RFC 2046 §5.1.1 */
			} else if ((p->ad_sub == 0 || p->ad_sub == 2) && c == '\r') {
				p->ad_sub = 3;
			} else if (p->ad_sub == 3 && c == '\n') {
				p->state = MP_HEADERS;
				buf_reset(&p->hdr);
			} else {
				r = set_error(p, GS_ERR_INVALID, "a multipart boundary is followed by junk");
			}
			break;
		}
		case MP_HEADERS: {
			const char *nl = memchr(data + i, '\n', len - i);
			size_t stop = nl ? (size_t)(nl - data) + 1 : len;
			if (buf_append(&p->hdr, data + i, stop - i) != GS_OK) {
				r = set_error(p, GS_ERR_TOO_LARGE, "the headers of a part are longer than %d bytes",
				              FORM_MAX_HEADERS);
				break;
			}
			i = stop;
			const char *h = p->hdr.data;
			size_t hl = p->hdr.len;
			if (nl && ((hl == 2 && h[0] == '\r') || (hl >= 4 && memcmp(h + hl - 4, "\r\n\r\n", 4) == 0)))
				r = mp_headers_done(p);
			break;
		}
		case MP_EPILOGUE: i = len; break;
		}
	}
	return r;
}

enum gs_result form_parser_feed(struct form_parser *p, const char *data, size_t len)
{
	if (p->err != GS_OK)
		return p->err;
	if (p->finished)
		return set_error(p, GS_ERR_INVALID, "data after the end of the body");
	if (len > p->lim.max_total - p->total || p->total > p->lim.max_total)
		return set_error(p, GS_ERR_TOO_LARGE, "the body is larger than %zu bytes", p->lim.max_total);
	p->total += len;
	if (len == 0)
		return GS_OK;
	return p->kind == FORM_URLENCODED ? ue_feed(p, data, len) : mp_feed(p, data, len);
}

enum gs_result form_parser_finish(struct form_parser *p)
{
	if (p->err != GS_OK || p->finished)
		return p->err;
	p->finished = 1;
	if (p->kind == FORM_URLENCODED)
		return ue_commit(p);
	if (p->state == MP_EPILOGUE)
		return GS_OK;
	if (p->state == MP_BODY || (p->state == MP_HEADERS && p->hdr.len)) {
		char nm[FORM_MSG_NAME + 8];
		if (p->part_name)
			return set_error(p, GS_ERR_INVALID, "the body ended in the middle of field '%s'",
			                 part_msg_name(p, nm, sizeof nm));
		return set_error(p, GS_ERR_INVALID, "the body ended in the middle of a part");
	}
	return set_error(p, GS_ERR_INVALID, "the body ended without the closing multipart boundary");
}

const char *form_parser_error(const struct form_parser *p)
{
	if (!p || p->err == GS_OK)
		return "no error";
	return p->msg[0] ? p->msg : gs_result_str(p->err);
}

size_t form_count(const struct form_parser *p)
{
	return p->n_fields;
}

const struct form_field *form_field_at(const struct form_parser *p, size_t i)
{
	return i < p->n_fields ? &p->fields[i] : NULL;
}

const char *form_get(const struct form_parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_fields; i++)
		if (p->fields[i].value && strcmp(p->fields[i].name, name) == 0)
			return p->fields[i].value;
	return NULL;
}

void form_parser_free(struct form_parser *p)
{
	if (!p)
		return;
	if (p->kind == FORM_MULTIPART) /* urlencoded fields live in the chunks */
		for (size_t i = 0; i < p->n_fields; i++) {
			free(p->fields[i].name);
			free(p->fields[i].value);
			free(p->fields[i].filename);
			free(p->fields[i].content_type);
		}
	free(p->fields);
	while (p->chunks) {
		struct form_chunk *next = p->chunks->next;
		free(p->chunks);
		p->chunks = next;
	}
	buf_free(&p->name);
	buf_free(&p->value);
	buf_free(&p->hdr);
	part_clear(p);
	free(p);
}

/* Unlike form_parser_new, this always sets *out to a parser, even on error, so the
 * caller can read form_parser_error(*out); the caller always frees it. */
enum gs_result form_parse_urlencoded(const char *s, size_t len, const struct form_limits *lim, struct form_parser **out)
{
	assert(lim && out);
	struct form_parser *p = parser_alloc(FORM_URLENCODED, lim, NULL, NULL);
	*out = p;
	enum gs_result r = form_parser_feed(p, s, len);
	if (r != GS_OK)
		return r;
	return form_parser_finish(p);
}
