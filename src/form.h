/* form.h — incremental parsers for HTML form bodies: application/x-www-form-urlencoded
 * and multipart/form-data. Pure: no I/O, no HTTP library. The HTTP layer feeds body
 * chunks as they arrive (any split, down to one byte); every size is capped.
 * Text fields are kept in memory (validated as UTF-8, NUL-free); file parts are
 * streamed to a callback so an upload is never held whole in memory. */
#ifndef GS_FORM_H
#define GS_FORM_H

#include <stddef.h>

#include "gs.h"

struct form_limits {
	size_t max_fields;     /* number of fields (text and file), e.g. 64 */
	size_t max_name;       /* bytes in a field name, e.g. 128 */
	size_t max_value;      /* bytes in one text field's value, after decoding */
	size_t max_total;      /* bytes of body fed in total (files included) */
	size_t max_file;       /* bytes of one file part; 0 = file parts are refused */
};

/* Called with each piece of a file part's content, in order; final=1 once at the end
 * of the part (len may be 0 then). A non-GS_OK return aborts parsing with that result.
 * name, filename and content_type are borrowed for the duration of the call. */
typedef enum gs_result (*form_file_cb)(void *ctx, const char *name, const char *filename,
				       const char *content_type, const char *data, size_t len, int final);

struct form_field {
	char *name;          /* NUL-terminated */
	char *value;         /* NUL-terminated, value_len bytes; for file parts: NULL */
	size_t value_len;
	char *filename;      /* file parts only (else NULL) */
	char *content_type;  /* multipart parts only, if given (else NULL) */
};

struct form_parser;

/* Starts a parser for a body of the given Content-Type header value (parameters such
 * as charset and boundary are honoured; the media type is case-insensitive).
 * GS_ERR_INVALID for other media types or a multipart type without a usable boundary.
 * file_cb may be NULL, in which case file parts are refused (GS_ERR_INVALID).
 * The caller frees *out with form_parser_free. */
enum gs_result form_parser_new(const char *content_type, const struct form_limits *lim, form_file_cb file_cb,
			       void *cb_ctx, struct form_parser **out);

/* Feeds the next len bytes of the body. Returns GS_ERR_TOO_LARGE when a cap is passed,
 * GS_ERR_INVALID on malformed input (bad percent escape, invalid UTF-8, broken
 * multipart framing), or the callback's error. After an error further feeds return
 * the same error. */
enum gs_result form_parser_feed(struct form_parser *p, const char *data, size_t len);

/* Ends the body: GS_ERR_INVALID if it stopped mid-field or the multipart closing
 * boundary is missing. */
enum gs_result form_parser_finish(struct form_parser *p);

/* After an error: a message for the user naming the field (if known) and the cap or
 * the fault, e.g. "field 'comment' is longer than 2000 bytes". Never NULL. */
const char *form_parser_error(const struct form_parser *p);

/* Parsed text fields, in body order. Valid until form_parser_free. */
size_t form_count(const struct form_parser *p);
const struct form_field *form_field_at(const struct form_parser *p, size_t i);
/* First text value of the field named name, or NULL. */
const char *form_get(const struct form_parser *p, const char *name);

void form_parser_free(struct form_parser *p); /* NULL is a no-op */

/* Decodes a urlencoded string (a query string, say) in one go: a convenience over
 * form_parser_new + feed + finish with the given limits. *out is always set to a
 * parser, even on error (so form_parser_error works); the caller always frees it. */
enum gs_result form_parse_urlencoded(const char *s, size_t len, const struct form_limits *lim,
				     struct form_parser **out);

#endif
