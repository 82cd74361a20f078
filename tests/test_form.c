/* test_form.c — the form body parsers: urlencoded decoding, Content-Type parameters,
 * multipart framing and files, UTF-8 checks, every cap, and every chunk split. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "form.h"
#include "util.h"

#define UE "application/x-www-form-urlencoded"
#define MP "multipart/form-data; boundary=XyZ"

static const struct form_limits big = {
    .max_fields = 64, .max_name = 128, .max_value = 4096, .max_total = 1 << 20, .max_file = 1 << 20};

/* What a file callback saw: content and a marker per final call, as text. */
struct seen {
	struct buf log;
	int finals;
	int open;    /* a part is between its first piece and its final call */
	int fail_at; /* if > 0, the fail_at-th call returns GS_ERR_IO */
	int calls;
};

static enum gs_result collect(void *ctx, const char *name, const char *filename, const char *content_type,
                              const char *data, size_t len, int final)
{
	struct seen *s = ctx;
	s->calls++;
	if (s->fail_at && s->calls == s->fail_at)
		return GS_ERR_IO;
	if (!s->open) {
		buf_printf(&s->log, "<%s|%s|%s>", name, filename, content_type ? content_type : "-");
		s->open = 1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if ((c < 0x20 && c != '\r' && c != '\n') || c >= 0x7f)
			buf_printf(&s->log, "\\x%02x", c);
		else
			buf_putc(&s->log, (char)c);
	}
	if (final) {
		s->finals++;
		s->open = 0;
		buf_puts(&s->log, "</>");
	}
	return GS_OK;
}

/* A printable summary of a finished parse: result, fields, files, message. */
static char *summary(struct form_parser *p, enum gs_result r, struct seen *s)
{
	struct buf b;
	buf_init(&b, 1 << 24);
	buf_printf(&b, "r=%d;", (int)r);
	if (r != GS_OK)
		buf_printf(&b, "err=%s;", form_parser_error(p));
	else {
		for (size_t i = 0; i < form_count(p); i++) {
			const struct form_field *f = form_field_at(p, i);
			buf_printf(&b, "[%s", f->name);
			if (f->value) {
				buf_putc(&b, '=');
				buf_append(&b, f->value, f->value_len);
			}
			if (f->filename)
				buf_printf(&b, " file=%s", f->filename);
			if (f->content_type)
				buf_printf(&b, " ct=%s", f->content_type);
			buf_putc(&b, ']');
		}
	}
	if (s && s->log.data)
		buf_printf(&b, "files=%s;finals=%d", s->log.data, s->finals);
	return buf_steal(&b, NULL);
}

/* Parses body in chunks of `chunk` bytes (0 = whole), or, with split > 0, in two
 * pieces cut at split. Returns the summary (caller frees). */
static char *run(const char *ct, const struct form_limits *lim, int with_cb, const char *body, size_t len, size_t chunk,
                 size_t split, int fail_at)
{
	struct seen s;
	memset(&s, 0, sizeof s);
	buf_init(&s.log, 1 << 24);
	s.fail_at = fail_at;
	struct form_parser *p = NULL;
	enum gs_result r = form_parser_new(ct, lim, with_cb ? collect : NULL, &s, &p);
	if (r != GS_OK) {
		buf_free(&s.log);
		return xasprintf("new=%d", (int)r);
	}
	if (split) {
		r = form_parser_feed(p, body, split);
		if (r == GS_OK)
			r = form_parser_feed(p, body + split, len - split);
	} else if (chunk == 0) {
		r = form_parser_feed(p, body, len);
	} else {
		for (size_t off = 0; off < len && r == GS_OK; off += chunk)
			r = form_parser_feed(p, body + off, len - off < chunk ? len - off : chunk);
	}
	if (r == GS_OK)
		r = form_parser_finish(p);
	char *out = summary(p, r, with_cb ? &s : NULL);
	form_parser_free(p);
	buf_free(&s.log);
	return out;
}

/* Checks that every chunk size and every two-piece split gives the whole-body result,
 * and that the whole-body result is `want`. */
static void check_splits(const char *ct, const struct form_limits *lim, int with_cb, const char *body, size_t len,
                         const char *want)
{
	char *whole = run(ct, lim, with_cb, body, len, 0, 0, 0);
	CHECK_STR(whole, want);
	int bad = 0;
	for (size_t c = 1; c <= len; c++) {
		char *o = run(ct, lim, with_cb, body, len, c, 0, 0);
		if (strcmp(o, whole) != 0) {
			if (!bad)
				fprintf(stderr, "chunk %zu: %s\n  vs whole: %s\n", c, o, whole);
			bad++;
		}
		free(o);
	}
	for (size_t sp = 1; sp < len; sp++) {
		char *o = run(ct, lim, with_cb, body, len, 0, sp, 0);
		if (strcmp(o, whole) != 0) {
			if (!bad)
				fprintf(stderr, "split %zu: %s\n  vs whole: %s\n", sp, o, whole);
			bad++;
		}
		free(o);
	}
	CHECK_INT(bad, 0);
	free(whole);
}

static void check_ue(const char *body, const char *want)
{
	check_splits(UE, &big, 0, body, strlen(body), want);
}

static void check_mp(const char *ct, int with_cb, const char *body, const char *want)
{
	check_splits(ct, &big, with_cb, body, strlen(body), want);
}

static void check_lim(const char *ct, const struct form_limits *lim, const char *body, const char *want)
{
	check_splits(ct, lim, 0, body, strlen(body), want);
}

static void check_once(const char *ct, const struct form_limits *lim, int with_cb, const char *body, const char *want)
{
	char *o = run(ct, lim, with_cb, body, strlen(body), 0, 0, 0);
	CHECK_STR(o, want);
	free(o);
}

static void test_urlencoded(void)
{
	check_ue("", "r=0;");
	check_ue("a=1", "r=0;[a=1]");
	check_ue("a=1&b=2", "r=0;[a=1][b=2]");
	check_ue("a=1&&b=2", "r=0;[a=1][b=2]");
	check_ue("&&a=1&", "r=0;[a=1]");
	check_ue("a", "r=0;[a=]");
	check_ue("a&b=", "r=0;[a=][b=]");
	check_ue("=x", "r=0;[=x]");
	check_ue("a=b=c", "r=0;[a=b=c]");
	check_ue("a+b=c+d++", "r=0;[a b=c d  ]");
	check_ue("a%20b=%41%42%43", "r=0;[a b=ABC]");
	check_ue("x=%2B%26%3D%25", "r=0;[x=+&=%]");
	check_ue("x=%c3%a9t%C3%A9", "r=0;[x=\xc3\xa9t\xc3\xa9]");
	check_ue("x=%F0%9F%98%80", "r=0;[x=\xf0\x9f\x98\x80]");
	check_ue("x=\xc3\xa9", "r=0;[x=\xc3\xa9]");
	check_ue("comment=hello+world%21&n=42&empty=", "r=0;[comment=hello world!][n=42][empty=]");
	check_ue("x=%zz", "r=1;err=field 'x' has a bad percent escape;");
	check_ue("x=%4", "r=1;err=field 'x' has a bad percent escape;");
	check_ue("x=%", "r=1;err=field 'x' has a bad percent escape;");
	check_ue("x=%4g&y=1", "r=1;err=field 'x' has a bad percent escape;");
	check_ue("x%=1", "r=1;err=a field name has a bad percent escape;");
	check_ue("x=%&y", "r=1;err=field 'x' has a bad percent escape;");
	check_ue("x=%00", "r=1;err=field 'x' is not valid UTF-8;");
	check_ue("x%00=1", "r=1;err=a field name is not valid UTF-8;");
	check_ue("x=%C0%80", "r=1;err=field 'x' is not valid UTF-8;");       /* overlong NUL */
	check_ue("x=%E0%80%80", "r=1;err=field 'x' is not valid UTF-8;");    /* overlong */
	check_ue("x=%F0%80%80%80", "r=1;err=field 'x' is not valid UTF-8;"); /* overlong */
	check_ue("x=%ED%A0%80", "r=1;err=field 'x' is not valid UTF-8;");    /* surrogate */
	check_ue("x=%F4%90%80%80", "r=1;err=field 'x' is not valid UTF-8;"); /* > U+10FFFF */
	check_ue("x=%F5%80%80%80", "r=1;err=field 'x' is not valid UTF-8;");
	check_ue("x=%FF", "r=1;err=field 'x' is not valid UTF-8;");
	check_ue("x=%80", "r=1;err=field 'x' is not valid UTF-8;");
	check_ue("x=%C3", "r=1;err=field 'x' is not valid UTF-8;"); /* truncated */
	check_ue("x=%E2%82", "r=1;err=field 'x' is not valid UTF-8;");
	check_ue("x=%E2%82%AC", "r=0;[x=\xe2\x82\xac]");
	check_ue("x=%ED%9F%BF", "r=0;[x=\xed\x9f\xbf]");        /* U+D7FF, last before surrogates */
	check_ue("x=%EE%80%80", "r=0;[x=\xee\x80\x80]");        /* U+E000 */
	check_ue("x=%F4%8F%BF%BF", "r=0;[x=\xf4\x8f\xbf\xbf]"); /* U+10FFFF */
	check_ue("x=%C2%80", "r=0;[x=\xc2\x80]");
	check_ue("x=%C3%28", "r=1;err=field 'x' is not valid UTF-8;");
	check_ue("%FF=1", "r=1;err=a field name is not valid UTF-8;");
	check_ue("a=1&b=%FF", "r=1;err=field 'b' is not valid UTF-8;");
	/* A long name is cut short in messages. */
	check_ue("n123456789012345678901234567890123456789012345678901234567890123456789=%",
	         "r=1;err=field 'n123456789012345678901234567890123456789012345678901234567890123' has a bad percent "
	         "escape;");
	check_ue("\xc3\xa9"
	         "123456789012345678901234567890123456789012345678901234567890123456789=%",
	         "r=1;err=field '\xc3\xa9"
	         "12345678901234567890123456789012345678901234567890123456789012' has a bad "
	         "percent escape;");
	{ /* cut at a character boundary: 'n' and 31 two-byte characters fit in 64 bytes */
		char body[128], want[160];
		strcpy(body, "n");
		for (int i = 0; i < 40; i++)
			strcat(body, "\xc3\xa9");
		strcat(body, "=%");
		strcpy(want, "r=1;err=field 'n");
		for (int i = 0; i < 31; i++)
			strcat(want, "\xc3\xa9");
		strcat(want, "' has a bad percent escape;");
		check_ue(body, want);
	}
	/* A name that cannot be quoted as is is made safe in the message. */
	check_ue("a%0Ab=%", "r=1;err=field 'a?b' has a bad percent escape;");
}

static void test_content_type(void)
{
	struct form_parser *p = NULL;
	const char *ok[] = {
	    UE,
	    "Application/X-WWW-Form-URLEncoded",
	    "  application/x-www-form-urlencoded  ",
	    UE ";charset=utf-8",
	    UE "; charset=UTF-8",
	    UE " ; CharSet=\"Utf-8\" ",
	    UE ";",
	    UE "; foo=bar",
	    "multipart/form-data; boundary=abc",
	    "Multipart/Form-Data; BOUNDARY=abc",
	    "multipart/form-data;boundary=\"a b'()+_,-./:=?\"",
	    "multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
	    "multipart/form-data ; boundary = abc ; x=\"y\\\"z\"",
	    ("multipart/form-data; boundary=1234567890123456789012345678901234567890123456789012345678901234"
	     "567890")};
	for (size_t i = 0; i < GS_ARRAY_LEN(ok); i++) {
		p = NULL;
		enum gs_result r = form_parser_new(ok[i], &big, NULL, NULL, &p);
		if (r != GS_OK)
			fprintf(stderr, "rejected: %s\n", ok[i]);
		CHECK_INT(r, GS_OK);
		CHECK(p != NULL);
		form_parser_free(p);
	}
	const char *bad[] = {
	    "",
	    "text/plain",
	    "application/json",
	    "application/x-www-form-urlencodedx",
	    "multipart/form-datax; boundary=a",
	    "multipart/mixed; boundary=a",
	    UE "; charset=iso-8859-1",
	    UE "; charset=utf8",
	    UE "; charset=\"latin1\"",
	    UE "; charset",
	    UE "; charset=",
	    UE "; =x",
	    UE " junk",
	    "multipart/form-data",
	    "multipart/form-data; boundary=",
	    "multipart/form-data; boundary=\"\"",
	    "multipart/form-data; boundary=\"abc",
	    "multipart/form-data; boundary=\"abc \"",
	    "multipart/form-data; boundary=\"a\rb\"",
	    "multipart/form-data; boundary=\"a\\\"b\"",
	    "multipart/form-data; boundary=a; boundary=b",
	    "multipart/form-data; boundary=a; charset=koi8-r",
	    ("multipart/form-data; boundary=1234567890123456789012345678901234567890123456789012345678901"
	     "2345678901"),
	    "multipart/form-data boundary=a"};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad); i++) {
		p = (struct form_parser *)&p;
		enum gs_result r = form_parser_new(bad[i], &big, NULL, NULL, &p);
		if (r != GS_ERR_INVALID)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK_INT(r, GS_ERR_INVALID);
		CHECK(p == NULL);
	}
}

static const char mp_simple[] = "--XyZ\r\n"
                                "Content-Disposition: form-data; name=\"a\"\r\n"
                                "\r\n"
                                "hello\r\n"
                                "--XyZ\r\n"
                                "content-disposition: FORM-DATA; name=b\r\n"
                                "\r\n"
                                "line1\r\nline2\r\n"
                                "--XyZ--\r\n";

static void test_multipart(void)
{
	check_mp(MP, 0, mp_simple, "r=0;[a=hello][b=line1\r\nline2]");
	/* Preamble and epilogue are ignored; padding after a delimiter is allowed. */
	check_mp(MP, 0,
	         "This is a preamble.\r\n--XyZ \t\r\n"
	         "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	         "1\r\n--XyZ--epilogue\r\n--XyZ\r\nmore",
	         "r=0;[a=1]");
	/* Preamble containing a near-delimiter. */
	check_mp(MP, 0, "--XyQ\r\n--Xy\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--",
	         "r=0;[a=1]");
	/* Empty form. */
	check_mp(MP, 0, "--XyZ--\r\n", "r=0;");
	check_mp(MP, 0, "--XyZ--", "r=0;");
	/* Empty values, and a value that is only CRLFs. */
	check_mp(MP, 0,
	         "--XyZ\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n"
	         "--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n\r\n\r\n\r\n"
	         "--XyZ--",
	         "r=0;[e=][c=\r\n\r\n]");
	/* Boundary-like text inside content. */
	check_mp(MP, 0,
	         "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
	         "--XyZ \r\n--Xy\r\n--XyQ\r\r\n--\r\n-XyZ\r\n--xyz\n--XyZ\r\r\n\r\n--XyZ--",
	         "r=0;[t=--XyZ \r\n--Xy\r\n--XyQ\r\r\n--\r\n-XyZ\r\n--xyz\n--XyZ\r\r\n]");
	/* Content-Type of a text part is kept; other headers are ignored. */
	check_mp(MP, 0,
	         "--XyZ\r\nContent-Type: text/plain; charset=utf-8\r\nX-Other: 1\r\n"
	         "Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ--",
	         "r=0;[a=v ct=text/plain; charset=utf-8]");
	/* Quoted names with escapes; unknown and filename* parameters ignored. */
	check_mp(MP, 0,
	         "--XyZ\r\nContent-Disposition: form-data; foo=bar; name=\"say \\\"hi\\\" \\\\ ok\"; "
	         "filename*=UTF-8''x\r\n\r\nv\r\n--XyZ--",
	         "r=0;[say \"hi\" \\ ok=v]");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data;name=\"a;b=c\"\r\n\r\nv\r\n--XyZ--", "r=0;[a;b=c=v]");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"\xc3\xa9\"\r\n\r\n\xe2\x82\xac\r\n--XyZ--",
	         "r=0;[\xc3\xa9=\xe2\x82\xac]");
	/* UTF-8 and NUL checks on text parts. */
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n--XyZ--",
	         "r=1;err=field 'a' is not valid UTF-8;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\xed\xa0\x80\r\n--XyZ--",
	         "r=1;err=field 'a' is not valid UTF-8;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"\xc0\xae\"\r\n\r\nx\r\n--XyZ--",
	         "r=1;err=a part's field name is not valid UTF-8;");
	{
		static const char nul[] = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\0y\r\n--XyZ--";
		check_splits(MP, &big, 0, nul, sizeof nul - 1, "r=1;err=field 'a' is not valid UTF-8;");
		static const char nulname[] =
		    "--XyZ\r\nContent-Disposition: form-data; name=\"a\0\"\r\n\r\nxy\r\n--XyZ--";
		check_splits(MP, &big, 0, nulname, sizeof nulname - 1,
		             "r=1;err=a part's field name is not valid UTF-8;");
	}
	/* Framing faults. */
	check_mp(MP, 0, "", "r=1;err=the body ended without the closing multipart boundary;");
	check_mp(MP, 0, "junk only", "r=1;err=the body ended without the closing multipart boundary;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello",
	         "r=1;err=the body ended in the middle of field 'a';");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--XyZ",
	         "r=1;err=the body ended without the closing multipart boundary;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--XyZ\r\n",
	         "r=1;err=the body ended without the closing multipart boundary;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-da", "r=1;err=the body ended in the middle of a part;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ-x",
	         "r=1;err=a multipart boundary is followed by junk;");
	check_mp(MP, 0, "--XyZx\r\n", "r=1;err=a multipart boundary is followed by junk;");
	check_mp(MP, 0, "--XyZ\r\n\r\nv\r\n--XyZ--", "r=1;err=a part has no field name;");
	check_mp(MP, 0, "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", "r=1;err=a part has no field name;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part has no field name;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part is not form-data;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part has a malformed Content-Disposition header;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part has two 'name' parameters;");
	check_mp(MP, 0,
	         "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n"
	         "\r\nv\r\n--XyZ--",
	         "r=1;err=a part has two Content-Disposition headers;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition form-data; name=a\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part has a malformed header line;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part has a malformed header line;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part header line does not end in CRLF;");
	check_mp(MP, 0, "--XyZ\r\nContent-Disposition: form-data; name=a\rX: y\r\n\r\nv\r\n--XyZ--",
	         "r=1;err=a part header line does not end in CRLF;");
	/* Bare LF framing is not multipart (see form.c): the delimiter is never found. */
	check_mp(MP, 0, "--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--\n",
	         "r=1;err=a multipart boundary is followed by junk;");
	/* A boundary containing spaces and specials. */
	check_mp("multipart/form-data; boundary=\"a b:c\"", 0,
	         "--a b:c\r\nContent-Disposition: form-data; name=x\r\n\r\n--a b:\r\n--a b:c--", "r=0;[x=--a b:]");
	/* A one-character boundary. */
	check_mp("multipart/form-data; boundary=-", 0,
	         "---\r\nContent-Disposition: form-data; name=x\r\n\r\n---\r\n--\r\n---\r\n"
	         "Content-Disposition: form-data; name=y\r\n\r\n\r\n-----",
	         "r=0;[x=---\r\n--][y=]");
}

static const char mp_files[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
                               "Readings\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"upload\"; filename=\"m\\\"eter.csv\"\r\n"
                               "Content-Type: text/csv\r\n\r\n"
                               "a,b\r\n1,2\r\n--Xy-\r\n-XyZ\r\r\n--xyz\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"blob\"; filename=\"\"\r\n\r\n"
                               "\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"bin\"; filename=\"b.bin\"\r\n\r\n"
                               "\x00\xff\xfe\r\n"
                               "--XyZ--\r\n";

static void test_files(void)
{
	const char *wanted = "r=0;[title=Readings][upload file=m\"eter.csv ct=text/csv][blob file=][bin file=b.bin]"
	                     "files=<upload|m\"eter.csv|text/csv>a,b\r\n1,2\r\n--Xy-\r\n-XyZ\r\r\n--xyz</><blob||-></>"
	                     "<bin|b.bin|->\\x00\\xff\\xfe</>;finals=3";
	check_splits(MP, &big, 1, mp_files, sizeof mp_files - 1, wanted);

	/* Final flag exactly once per file part, and no piece after it. */
	struct seen s;
	memset(&s, 0, sizeof s);
	buf_init(&s.log, 1 << 20);
	struct form_parser *p = NULL;
	CHECK_INT(form_parser_new(MP, &big, collect, &s, &p), GS_OK);
	for (size_t i = 0; i < sizeof mp_files - 1; i++)
		CHECK_INT(form_parser_feed(p, mp_files + i, 1), GS_OK);
	CHECK_INT(form_parser_finish(p), GS_OK);
	CHECK_INT(s.finals, 3);
	CHECK_INT(s.open, 0);
	CHECK_INT(form_count(p), 4);
	CHECK(form_field_at(p, 1)->value == NULL);
	CHECK_STR(form_field_at(p, 1)->filename, "m\"eter.csv");
	CHECK_STR(form_field_at(p, 1)->content_type, "text/csv");
	CHECK(form_field_at(p, 4) == NULL);
	CHECK(form_get(p, "upload") == NULL); /* file parts have no text value */
	CHECK_STR(form_get(p, "title"), "Readings");
	form_parser_free(p);
	buf_free(&s.log);

	/* No callback: file parts are refused. */
	check_mp(MP, 0, mp_files, "r=1;err=file uploads are not accepted here (field 'upload');");
	struct form_limits nofile = big;
	nofile.max_file = 0;
	check_once(MP, &nofile, 1, mp_files, "r=1;err=file uploads are not accepted here (field 'upload');");

	/* A callback error aborts with that error, and sticks. */
	for (int at = 1; at <= 3; at++) {
		char *o = run(MP, &big, 1, mp_files, sizeof mp_files - 1, 0, 0, at);
		CHECK_CONTAINS(o, "r=8;err=file 'upload' was not accepted (I/O error)");
		free(o);
	}
	/* The file cap. */
	struct form_limits small = big;
	small.max_file = 7;
	check_once(MP, &small, 1,
	           "--XyZ\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n1234567\r\n--XyZ--",
	           "r=0;[f file=a]files=<f|a|->1234567</>;finals=1");
	static const char big_file[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n12345678\r\n--XyZ--";
	char *o = run(MP, &small, 1, big_file, sizeof big_file - 1, 1, 0, 0);
	CHECK_CONTAINS(o, "r=4;err=file 'f' is larger than 7 bytes;");
	free(o);
}

static void test_caps(void)
{
	struct form_limits lim = big;
	lim.max_fields = 3;
	check_ue("a=1&b=2&c=3", "r=0;[a=1][b=2][c=3]");
	check_lim(UE, &lim, "a=1&b=2&c=3", "r=0;[a=1][b=2][c=3]");
	check_lim(UE, &lim, "a=1&b=2&c=3&&", "r=0;[a=1][b=2][c=3]");
	check_lim(UE, &lim, "a=1&b=2&c=3&d", "r=4;err=more than 3 fields;");
	check_once(MP, &lim, 0,
	           "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
	           "--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n1\r\n"
	           "--XyZ\r\nContent-Disposition: form-data; name=c\r\n\r\n1\r\n"
	           "--XyZ\r\nContent-Disposition: form-data; name=d\r\n\r\n1\r\n--XyZ--",
	           "r=4;err=more than 3 fields;");

	lim = big;
	lim.max_name = 4;
	check_lim(UE, &lim, "abcd=1", "r=0;[abcd=1]");
	check_lim(UE, &lim, "abcde=1", "r=4;err=a field name is longer than 4 bytes;");
	check_lim(UE, &lim, "ab%41d", "r=0;[abAd=]");
	check_once(MP, &lim, 0, "--XyZ\r\nContent-Disposition: form-data; name=abcd\r\n\r\n1\r\n--XyZ--",
	           "r=0;[abcd=1]");
	check_once(MP, &lim, 0, "--XyZ\r\nContent-Disposition: form-data; name=abcde\r\n\r\n1\r\n--XyZ--",
	           "r=4;err=a field name is longer than 4 bytes;");

	lim = big;
	lim.max_value = 5;
	check_lim(UE, &lim, "comment=12345", "r=0;[comment=12345]");
	check_lim(UE, &lim, "comment=%41%42%43%44%45", "r=0;[comment=ABCDE]");
	check_lim(UE, &lim, "comment=123456", "r=4;err=field 'comment' is longer than 5 bytes;");
	check_lim(MP, &lim, "--XyZ\r\nContent-Disposition: form-data; name=comment\r\n\r\n12345\r\n--XyZ--",
	          "r=0;[comment=12345]");
	check_lim(MP, &lim, "--XyZ\r\nContent-Disposition: form-data; name=comment\r\n\r\n123456\r\n--XyZ--",
	          "r=4;err=field 'comment' is longer than 5 bytes;");
	/* Near-delimiter bytes count toward the value. */
	check_lim(MP, &lim, "--XyZ\r\nContent-Disposition: form-data; name=comment\r\n\r\n12\r\n--X\r\n--XyZ--",
	          "r=4;err=field 'comment' is longer than 5 bytes;");

	lim = big;
	lim.max_total = 10;
	check_lim(UE, &lim, "a=12345678", "r=0;[a=12345678]");
	check_lim(UE, &lim, "a=123456789", "r=4;err=the body is larger than 10 bytes;");

	/* Part headers are capped whatever the limits. */
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ");
	for (int i = 0; i < 9000; i++)
		buf_putc(&b, 'p');
	buf_puts(&b, "\r\n\r\nv\r\n--XyZ--");
	char *o = run(MP, &big, 0, b.data, b.len, 0, 0, 0);
	CHECK_STR(o, "r=4;err=the headers of a part are longer than 8192 bytes;");
	free(o);
	o = run(MP, &big, 0, b.data, b.len, 1, 0, 0);
	CHECK_STR(o, "r=4;err=the headers of a part are longer than 8192 bytes;");
	free(o);
	buf_free(&b);
}

static enum gs_result feed_str(struct form_parser *p, const char *s)
{
	return form_parser_feed(p, s, strlen(s));
}

static void test_sticky(void)
{
	struct form_parser *p = NULL;
	CHECK_INT(form_parser_new(UE, &big, NULL, NULL, &p), GS_OK);
	CHECK_STR(form_parser_error(p), "no error");
	CHECK_INT(form_parser_feed(p, "a=%zz", 5), GS_ERR_INVALID);
	CHECK_INT(form_parser_feed(p, "b=1", 3), GS_ERR_INVALID);
	CHECK_INT(form_parser_feed(p, "", 0), GS_ERR_INVALID);
	CHECK_INT(form_parser_finish(p), GS_ERR_INVALID);
	CHECK_INT(form_parser_finish(p), GS_ERR_INVALID);
	CHECK_STR(form_parser_error(p), "field 'a' has a bad percent escape");
	CHECK_INT(form_count(p), 0);
	form_parser_free(p);

	struct form_limits lim = big;
	lim.max_total = 4;
	CHECK_INT(form_parser_new(MP, &lim, NULL, NULL, &p), GS_OK);
	CHECK_INT(form_parser_feed(p, "--Xy", 4), GS_OK);
	CHECK_INT(form_parser_feed(p, "Z", 1), GS_ERR_TOO_LARGE);
	CHECK_INT(form_parser_feed(p, "", 0), GS_ERR_TOO_LARGE);
	CHECK_INT(form_parser_finish(p), GS_ERR_TOO_LARGE);
	CHECK_STR(form_parser_error(p), "the body is larger than 4 bytes");
	form_parser_free(p);

	/* A callback error sticks too, and no final call follows it. */
	struct seen sn;
	memset(&sn, 0, sizeof sn);
	buf_init(&sn.log, 4096);
	sn.fail_at = 2;
	CHECK_INT(form_parser_new(MP, &big, collect, &sn, &p), GS_OK);
	CHECK_INT(feed_str(p, "--XyZ\r\nContent-Disposition: form-data; name=up; filename=x\r\n\r\nab"), GS_OK);
	CHECK_INT(feed_str(p, "cd"), GS_ERR_IO);
	CHECK_INT(feed_str(p, "\r\n--XyZ--"), GS_ERR_IO);
	CHECK_INT(form_parser_finish(p), GS_ERR_IO);
	CHECK_STR(form_parser_error(p), "file 'up' was not accepted (I/O error)");
	CHECK_INT(sn.finals, 0);
	CHECK_INT(sn.calls, 2);
	form_parser_free(p);
	buf_free(&sn.log);

	/* Multipart that stops inside a delimiter, and inside the padding after one. */
	CHECK_INT(form_parser_new(MP, &big, NULL, NULL, &p), GS_OK);
	CHECK_INT(feed_str(p, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--X"), GS_OK);
	CHECK_INT(form_parser_finish(p), GS_ERR_INVALID);
	CHECK_STR(form_parser_error(p), "the body ended in the middle of field 'a'");
	CHECK_INT(form_count(p), 0);
	form_parser_free(p);
	CHECK_INT(form_parser_new(MP, &big, NULL, NULL, &p), GS_OK);
	CHECK_INT(feed_str(p, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ  "), GS_OK);
	CHECK_INT(form_parser_finish(p), GS_ERR_INVALID);
	CHECK_STR(form_parser_error(p), "the body ended without the closing multipart boundary");
	CHECK_INT(form_count(p), 1); /* fields parsed so far stay readable */
	form_parser_free(p);

	/* Finish twice is harmless; feeding after finish is refused. */
	CHECK_INT(form_parser_new(UE, &big, NULL, NULL, &p), GS_OK);
	CHECK_INT(form_parser_feed(p, "a=1", 3), GS_OK);
	CHECK_INT(form_parser_finish(p), GS_OK);
	CHECK_INT(form_parser_finish(p), GS_OK);
	CHECK_INT(form_count(p), 1);
	CHECK_INT(form_parser_feed(p, "&b=2", 4), GS_ERR_INVALID);
	form_parser_free(p);
	form_parser_free(NULL);
}

static void test_convenience(void)
{
	struct form_parser *p = NULL;
	CHECK_INT(form_parse_urlencoded("x=1&y=%C3%A9&x=2&z", 18, &big, &p), GS_OK);
	CHECK(p != NULL);
	CHECK_INT(form_count(p), 4);
	CHECK_STR(form_get(p, "x"), "1");
	CHECK_STR(form_get(p, "y"), "\xc3\xa9");
	CHECK_STR(form_get(p, "z"), "");
	CHECK(form_get(p, "w") == NULL);
	CHECK_STR(form_field_at(p, 2)->value, "2");
	CHECK_INT(form_field_at(p, 1)->value_len, 2);
	CHECK(form_field_at(p, 0)->filename == NULL);
	CHECK(form_field_at(p, 0)->content_type == NULL);
	form_parser_free(p);

	p = NULL;
	CHECK_INT(form_parse_urlencoded("x=%4", 4, &big, &p), GS_ERR_INVALID);
	CHECK(p != NULL);
	CHECK_STR(form_parser_error(p), "field 'x' has a bad percent escape");
	form_parser_free(p);

	p = NULL;
	CHECK_INT(form_parse_urlencoded("", 0, &big, &p), GS_OK);
	CHECK(p != NULL);
	CHECK_INT(form_count(p), 0);
	form_parser_free(p);

	struct form_limits lim = big;
	lim.max_total = 3;
	p = NULL;
	CHECK_INT(form_parse_urlencoded("abcd", 4, &lim, &p), GS_ERR_TOO_LARGE);
	CHECK(p != NULL);
	form_parser_free(p);
}

/* Urlencoded names and values are stored in chunks of at least 1 KiB: fields that
 * fill several chunks, one that needs a chunk of its own, and empty ones keep their
 * bytes once later fields are added. */
static void test_chunks(void)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	char want[60][1200];
	for (int i = 0; i < 60; i++) {
		size_t len = i == 7 ? 1100 : i % 5 == 0 ? 0 : (size_t)(i * 37 % 300);
		for (size_t k = 0; k < len; k++)
			want[i][k] = (char)('a' + (i + (int)k) % 26);
		want[i][len] = '\0';
		buf_printf(&b, "%sf%d=%s", i ? "&" : "", i, want[i]);
	}
	struct form_parser *p = NULL;
	struct form_limits lim = big;
	lim.max_fields = 100;
	CHECK_INT(form_parser_new(UE, &lim, NULL, NULL, &p), GS_OK);
	CHECK_INT(form_parser_feed(p, b.data, b.len / 2), GS_OK);
	CHECK_INT(form_parser_feed(p, b.data + b.len / 2, b.len - b.len / 2), GS_OK);
	CHECK_INT(form_parser_finish(p), GS_OK);
	CHECK_INT(form_count(p), 60);
	for (int i = 0; i < 60; i++) {
		char name[8];
		snprintf(name, sizeof name, "f%d", i);
		CHECK_STR(form_field_at(p, (size_t)i)->name, name);
		CHECK_STR(form_field_at(p, (size_t)i)->value, want[i]);
		CHECK_INT(form_field_at(p, (size_t)i)->value_len, strlen(want[i]));
	}
	form_parser_free(p);
	buf_free(&b);
}

/* One byte at a time through a large body must stay linear. */
static void test_speed(void)
{
	size_t n = 1 << 20;
	struct form_limits lim = big;
	lim.max_total = 4 << 20;
	lim.max_value = 2 << 20;
	lim.max_file = 2 << 20;

	char *ue = xmalloc(n);
	memcpy(ue, "v=", 2);
	for (size_t i = 2; i < n; i++)
		ue[i] = "ab+%41"[i % 3 == 0 ? 0 : 1];
	clock_t t0 = clock();
	struct form_parser *p = NULL;
	CHECK_INT(form_parser_new(UE, &lim, NULL, NULL, &p), GS_OK);
	enum gs_result r = GS_OK;
	for (size_t i = 0; i < n && r == GS_OK; i++)
		r = form_parser_feed(p, ue + i, 1);
	CHECK_INT(r, GS_OK);
	CHECK_INT(form_parser_finish(p), GS_OK);
	CHECK_INT(form_field_at(p, 0)->value_len, n - 2);
	form_parser_free(p);
	free(ue);

	struct buf b;
	buf_init(&b, 4 << 20);
	buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\n");
	while (b.len < n)
		buf_puts(&b, "x--XyZ\r\r\n--Xy\r\nabc\r\n--XyQ");
	buf_puts(&b, "\r\n--XyZ\r\nContent-Disposition: form-data; name=t\r\n\r\n");
	for (size_t i = 0; i < n / 2; i++)
		buf_putc(&b, (char)('a' + i % 26));
	buf_puts(&b, "\r\n--XyZ--");
	struct seen s;
	memset(&s, 0, sizeof s);
	buf_init(&s.log, 8 << 20);
	CHECK_INT(form_parser_new(MP, &lim, collect, &s, &p), GS_OK);
	r = GS_OK;
	for (size_t i = 0; i < b.len && r == GS_OK; i++)
		r = form_parser_feed(p, b.data + i, 1);
	CHECK_INT(r, GS_OK);
	CHECK_INT(form_parser_finish(p), GS_OK);
	CHECK_INT(s.finals, 1);
	CHECK_INT(form_count(p), 2);
	CHECK_INT(form_field_at(p, 1)->value_len, n / 2);
	form_parser_free(p);
	buf_free(&s.log);
	buf_free(&b);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(secs < 10.0);
	printf("test_form: 1-byte feeds of ~3.5 MB took %.2fs\n", secs);
}

int main(void)
{
	test_urlencoded();
	test_chunks();
	test_content_type();
	test_multipart();
	test_files();
	test_caps();
	test_sticky();
	test_convenience();
	test_speed();
	return check_finish("test_form");
}
