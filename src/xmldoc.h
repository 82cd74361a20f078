/* xmldoc.h — safe loading of a small XML document from memory: a DOCTYPE is refused,
 * nothing is fetched from the network or expanded, the document is validated against a
 * schema embedded in the binary, and every problem reaches the caller with its line and
 * column through a callback. Shared by the org and indicator loaders, which keep their
 * own reports; this module knows no domain and no database. */
#ifndef GS_XMLDOC_H
#define GS_XMLDOC_H

#include <libxml/tree.h>
#include <stddef.h>

#include "gs.h"

/* What a document must be. All strings are static and outlive every call. */
struct xmldoc_spec {
	const char *what; /* "org": names the schema in messages and log lines */
	const char *xsd;  /* the embedded schema, e.g. "forms/org-1.xsd" (embed_find) */
	const char *ns;   /* namespace of the root element; dropped from libxml2's messages */
	const char *root; /* local name of the root element */
};

/* Receives one problem. line and column are 0 when unknown (schema errors know only
 * the line). message is borrowed for the call; it has no trailing newline or period. */
typedef void (*xmldoc_error_fn)(void *ctx, long line, long column, const char *message);

/* Parses data (len bytes; name is the document's URL in libxml2's own bookkeeping)
 * and validates it against spec->xsd. The schema is parsed once per process and then
 * shared read-only between threads. On GS_OK *doc is the document (its root element is
 * spec->root in spec->ns): the caller frees it with xmlFreeDoc; no error was reported.
 * Otherwise *doc is NULL and on_error(ctx, ...) was called at least once:
 * GS_ERR_INVALID (a NUL byte, a DOCTYPE, bytes invalid in the encoding, not
 * well-formed, the wrong root element, not schema-valid), GS_ERR_TOO_LARGE (len over
 * INT_MAX), GS_ERR_INTERNAL (the schema is missing or broken, out of memory).
 * Call xmlInitParser() once in main before using this from several threads. */
enum gs_result xmldoc_load(const struct xmldoc_spec *spec, const char *name, const char *data, size_t len,
			   xmldoc_error_fn on_error, void *ctx, xmlDocPtr *doc);

/* Reads a whole file of at most max bytes for a loader. On GS_OK *data (NUL-terminated,
 * caller frees) and *len. Otherwise *data is NULL and on_error was told why:
 * GS_ERR_TOO_LARGE "the file is larger than MAX bytes", GS_ERR_IO "cannot read the file". */
enum gs_result xmldoc_read_file(const char *path, size_t max, xmldoc_error_fn on_error, void *ctx, char **data,
				size_t *len);

/* Writes one problem as "name:line:column: message", "name:line: message" or
 * "name: message" (whichever the known position allows) to file (a FILE*). */
void xmldoc_print_error(void *file, const char *name, long line, long column, const char *message);

/* Writes the closing lines of a rejected load to file (a FILE*): how many errors were
 * not listed (n_total - n_listed, if any) and "N errors, nothing was changed". */
void xmldoc_print_rejected(void *file, const char *name, size_t n_listed, size_t n_total);

#endif
