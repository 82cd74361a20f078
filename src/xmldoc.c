/* xmldoc.c — safe loading of a small XML document from memory (see xmldoc.h): the
 * parser settings that keep untrusted XML harmless, the embedded schemas (parsed once
 * per process), and libxml2's error reports turned into line, column and message. */
#include "xmldoc.h"

#include <limits.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---------------------------------------------------------------- the schemas */

/* One parsed schema per embedded file, kept for the life of the process: a schema is
 * only read after parsing, which libxml2 allows from several threads. The schemas are
 * our own embedded files: trusted, no includes. */
struct schema_entry {
	const char *xsd;
	xmlSchemaPtr schema; /* NULL if it failed to parse: not tried again */
	struct schema_entry *next;
};

static pthread_mutex_t schemas_lock = PTHREAD_MUTEX_INITIALIZER;
static struct schema_entry *schemas;

static void schema_error(void *data, xmlErrorPtr err)
{
	const struct xmldoc_spec *spec = data;
	log_error("%s: %s: %s", spec->what, spec->xsd, err && err->message ? err->message : "schema error");
}

static xmlSchemaPtr schema_parse(const struct xmldoc_spec *spec)
{
	const struct embed_file *f = embed_find(spec->xsd);
	if (!f) {
		log_error("%s: %s is missing from this build", spec->what, spec->xsd);
		return NULL;
	}
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt((const char *)f->data, (int)f->len);
	if (!pc)
		return NULL;
	xmlSchemaSetParserStructuredErrors(pc, schema_error, (void *)spec);
	xmlSchemaPtr s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return s;
}

static xmlSchemaPtr schema_get(const struct xmldoc_spec *spec)
{
	pthread_mutex_lock(&schemas_lock);
	struct schema_entry *e = schemas;
	while (e && strcmp(e->xsd, spec->xsd) != 0)
		e = e->next;
	if (!e) {
		e = xmalloc(sizeof *e);
		e->xsd = spec->xsd;
		e->schema = schema_parse(spec);
		e->next = schemas;
		schemas = e;
	}
	xmlSchemaPtr s = e->schema;
	pthread_mutex_unlock(&schemas_lock);
	return s;
}

/* ---------------------------------------------------------------- errors */

struct load_state {
	const struct xmldoc_spec *spec;
	xmldoc_error_fn on_error;
	void *ctx;
	size_t n_errors; /* reported during this load */
	int doctype;     /* a DOCTYPE was seen and the parser stopped */
	int generic;     /* a context-less libxml2 error was reported */
};

static void report(struct load_state *st, long line, long column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(struct load_state *st, long line, long column, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	st->n_errors++;
	st->on_error(st->ctx, line, column, msg);
}

/* libxml2 messages end in a newline and name elements as {namespace}local; make them
 * read like ours. */
static void report_xml(struct load_state *st, const xmlError *err)
{
	char msg[256];
	const char *src = err->message ? err->message : "invalid XML";
	char ns[128];
	int ns_len = snprintf(ns, sizeof ns, "{%s}", st->spec->ns);
	size_t o = 0;
	for (const char *p = src; *p && o + 1 < sizeof msg;) {
		if (ns_len > 0 && (size_t)ns_len < sizeof ns && strncmp(p, ns, (size_t)ns_len) == 0) {
			p += ns_len;
			continue;
		}
		msg[o++] = *p++;
	}
	while (o > 0 && (msg[o - 1] == '\n' || msg[o - 1] == ' ' || msg[o - 1] == '.'))
		o--;
	msg[o] = '\0';
	/* int2 is the column for parser errors; schema errors only know the line */
	long column = err->domain == XML_FROM_SCHEMASV ? 0 : err->int2;
	report(st, err->line, column, "%s", msg);
}

static void parse_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = data;
	struct load_state *st = ctxt->_private;
	if (err->level == XML_ERR_WARNING)
		return;
	if (st->doctype)
		return; /* we stopped the parser ourselves; the DOCTYPE error says why */
	report_xml(st, err);
}

/* A DOCTYPE brings entities (billion laughs) and external references (XXE): our
 * documents have no use for one, so the parser stops at the first sight of it. */
static void parse_doctype(void *data, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	(void)name, (void)external_id, (void)system_id;
	xmlParserCtxtPtr ctxt = data;
	struct load_state *st = ctxt->_private;
	if (!st->doctype) {
		st->doctype = 1;
		report(st, xmlSAX2GetLineNumber(ctxt), xmlSAX2GetColumnNumber(ctxt), "DOCTYPE is not allowed");
	}
	xmlStopParser(ctxt);
}

/* libxml2 2.9 reports a few low-level problems (bytes that are not valid in the
 * declared encoding) without a parser context, through the per-thread generic
 * handler, in pieces and ahead of the parser's position. Say it once, in our words. */
static void parse_generic_error(void *ctx, const char *msg, ...)
{
	(void)msg;
	xmlParserCtxtPtr ctxt = ctx;
	struct load_state *st = ctxt->_private;
	if (st->generic || st->doctype)
		return;
	st->generic = 1;
	report(st, 0, 0, "the file has bytes that are not valid in its encoding");
}

static void validate_error(void *data, xmlErrorPtr err)
{
	report_xml(data, err);
}

/* ---------------------------------------------------------------- loading */

static int is_root(const struct xmldoc_spec *spec, const xmlNode *n)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST spec->ns) &&
	       xmlStrEqual(n->name, BAD_CAST spec->root);
}

enum gs_result xmldoc_load(const struct xmldoc_spec *spec, const char *name, const char *data, size_t len,
			   xmldoc_error_fn on_error, void *ctx, xmlDocPtr *doc)
{
	enum gs_result result = GS_ERR_INVALID;
	xmlParserCtxtPtr ctxt = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;
	struct load_state st = {.spec = spec, .on_error = on_error, .ctx = ctx};

	*doc = NULL;
	if (len > (size_t)INT_MAX) {
		report(&st, 0, 0, "the file is larger than %d bytes", INT_MAX);
		return GS_ERR_TOO_LARGE;
	}
	/* XML has no NUL character, and libxml2 would quietly stop reading at one */
	const char *nul = memchr(data, '\0', len);
	if (nul) {
		long line = 1;
		for (const char *p = data; p < nul; p++)
			line += *p == '\n';
		report(&st, line, 0, "the file contains a NUL byte");
		return GS_ERR_INVALID;
	}
	xmlSchemaPtr schema = schema_get(spec);
	if (!schema) {
		report(&st, 0, 0, "the %s schema could not be loaded (a bug)", spec->what);
		return GS_ERR_INTERNAL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		report(&st, 0, 0, "out of memory");
		return GS_ERR_INTERNAL;
	}
	ctxt->_private = &st;
	ctxt->sax->internalSubset = parse_doctype;
	ctxt->sax->serror = parse_error;
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	/* No XML_PARSE_NOENT, DTDLOAD, DTDATTR or DTDVALID: nothing is fetched or expanded. */
	xmlGenericErrorFunc saved_generic = xmlGenericError;
	void *saved_generic_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(ctxt, parse_generic_error);
	*doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	xmlSetGenericErrorFunc(saved_generic_ctx, saved_generic);
	if (st.doctype || !*doc || !ctxt->wellFormed) {
		if (st.n_errors == 0)
			report(&st, 1, 0, "the file is not well-formed XML");
		goto out;
	}
	xmlNodePtr root = xmlDocGetRootElement(*doc);
	if (!is_root(spec, root)) {
		report(&st, root ? xmlGetLineNo(root) : 1, 0, "the root element must be <%s> in namespace %s",
		       spec->root, spec->ns);
		goto out;
	}
	vc = xmlSchemaNewValidCtxt(schema);
	if (!vc) {
		report(&st, 0, 0, "out of memory");
		result = GS_ERR_INTERNAL;
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vc, validate_error, &st);
	if (xmlSchemaValidateDoc(vc, *doc) != 0) {
		if (st.n_errors == 0)
			report(&st, 0, 0, "the file does not match the %s schema", spec->what);
		goto out;
	}
	result = GS_OK;
out:
	if (result != GS_OK) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeParserCtxt(ctxt);
	return result;
}

enum gs_result xmldoc_read_file(const char *path, size_t max, xmldoc_error_fn on_error, void *ctx, char **data,
				size_t *len)
{
	*data = NULL;
	*len = 0;
	enum gs_result r = util_read_file(path, max, data, len);
	if (r == GS_OK)
		return GS_OK;
	char msg[64];
	if (r == GS_ERR_TOO_LARGE) {
		snprintf(msg, sizeof msg, "the file is larger than %zu bytes", max);
		on_error(ctx, 0, 0, msg);
	} else {
		on_error(ctx, 0, 0, "cannot read the file");
	}
	return r;
}

/* ---------------------------------------------------------------- printing */

void xmldoc_print_error(void *file, const char *name, long line, long column, const char *message)
{
	FILE *out = file;
	if (line > 0 && column > 0)
		fprintf(out, "%s:%ld:%ld: %s\n", name, line, column, message);
	else if (line > 0)
		fprintf(out, "%s:%ld: %s\n", name, line, message);
	else
		fprintf(out, "%s: %s\n", name, message);
}

void xmldoc_print_rejected(void *file, const char *name, size_t n_listed, size_t n_total)
{
	FILE *out = file;
	if (n_total > n_listed)
		fprintf(out, "%s: ... and %zu more errors\n", name, n_total - n_listed);
	fprintf(out, "%s: %zu error%s, nothing was changed\n", name, n_total, n_total == 1 ? "" : "s");
}
