/* fuzz_form.c — libFuzzer target for the form parsers. Byte 0 picks the body type
 * (and, for multipart, whether files are accepted), byte 1 the chunk size; the rest
 * is the body, fed in chunks, then finished and freed. Also checks that a parse in
 * one piece and a parse in chunks agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

struct fuzz_ctx {
	size_t total; /* bytes and final calls seen */
	size_t part;  /* bytes of the current part */
};

static enum gs_result fuzz_file_cb(void *ctx, const char *name, const char *filename, const char *content_type,
                                   const char *data, size_t len, int final)
{
	struct fuzz_ctx *c = ctx;
	c->total += len + (final ? 1 : 0);
	c->part += len;
	if (final) {
		size_t part = c->part;
		c->part = 0;
		if (part % 13 == 7)
			return GS_ERR_IO; /* exercise callback errors, at a point chunking does not move */
	}
	return GS_OK;
}

static enum gs_result parse(const char *ct, const struct form_limits *lim, int files, const char *body, size_t len,
                            size_t chunk, struct fuzz_ctx *cb, size_t *count)
{
	struct form_parser *p = NULL;
	enum gs_result r = form_parser_new(ct, lim, files ? fuzz_file_cb : NULL, cb, &p);
	if (r != GS_OK)
		abort(); /* the content types below are all valid */
	for (size_t off = 0; off < len && r == GS_OK; off += chunk)
		r = form_parser_feed(p, body + off, len - off < chunk ? len - off : chunk);
	if (r == GS_OK)
		r = form_parser_finish(p);
	if (r != GS_OK && form_parser_feed(p, "x", 1) != r)
		abort(); /* errors are sticky */
	const char *msg = form_parser_error(p);
	if (!msg || (r != GS_OK && !*msg))
		abort();
	*count = form_count(p);
	for (size_t i = 0; i < *count; i++) {
		const struct form_field *f = form_field_at(p, i);
		if (!f->name || (f->value && strlen(f->value) != f->value_len) || (!f->value && !f->filename))
			abort();
		(void)form_get(p, f->name);
	}
	form_parser_free(p);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	static const char *const types[] = {"application/x-www-form-urlencoded", "multipart/form-data; boundary=XyZ",
	                                    "multipart/form-data; boundary=\"a b\"", "multipart/form-data; boundary=-"};
	unsigned sel = data[0];
	const char *ct = types[sel % 4];
	int files = (sel >> 2) & 1;
	size_t chunk = data[1] ? data[1] : 1;
	struct form_limits lim = {.max_fields = 8 + (sel >> 4),
	                          .max_name = 16,
	                          .max_value = 256,
	                          .max_total = (size_t)-1,
	                          .max_file = (sel & 8) ? 0 : 512};
	const char *body = (const char *)data + 2;
	size_t len = size - 2;

	struct fuzz_ctx cb1 = {0, 0}, cb2 = {0, 0};
	size_t n1 = 0, n2 = 0;
	enum gs_result r1 = parse(ct, &lim, files, body, len, len ? len : 1, &cb1, &n1);
	enum gs_result r2 = parse(ct, &lim, files, body, len, chunk, &cb2, &n2);
	if (r1 != r2 || (r1 == GS_OK && (n1 != n2 || cb1.total != cb2.total)))
		abort(); /* chunking must not change the outcome */

	/* And once more with a total cap inside the body. */
	struct fuzz_ctx cb3 = {0, 0};
	lim.max_total = len / 2;
	(void)parse(ct, &lim, files, body, len, chunk, &cb3, &n1);

	if (sel % 4 == 0) {
		struct form_parser *p = NULL;
		(void)form_parse_urlencoded(body, len, &lim, &p);
		if (!p)
			abort();
		form_parser_free(p);
	}
	return 0;
}
