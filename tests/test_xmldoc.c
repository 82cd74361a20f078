/* test_xmldoc.c — safe XML loading on its own (src/xmldoc.c): a valid document, then
 * every refusal with the line and column it reports (NUL byte, DOCTYPE, bad bytes, not
 * well-formed, wrong root, schema errors without the namespace noise, a missing
 * schema), reading files with a size cap, and the printed report lines. Uses the
 * embedded org schema; run from the source folder (ctest does). */
#define _POSIX_C_SOURCE 200809L
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util.h"
#include "xmldoc.h"

static const struct xmldoc_spec org_spec = {
    .what = "org", .xsd = "forms/org-1.xsd", .ns = "urn:gridscore:org:1", .root = "org"};

/* What the callback saw, in order. */
struct seen {
	int n;
	long line[8], column[8];
	char message[8][256];
};

static void collect(void *ctx, long line, long column, const char *message)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		s->line[s->n] = line;
		s->column[s->n] = column;
		snprintf(s->message[s->n], sizeof s->message[s->n], "%s", message);
	}
	s->n++;
}

static enum gs_result load(const struct xmldoc_spec *spec, const char *xml, size_t len, struct seen *s)
{
	memset(s, 0, sizeof *s);
	xmlDocPtr doc = (xmlDocPtr)1; /* must be reset on every path */
	enum gs_result r = xmldoc_load(spec, "t.xml", xml, len, collect, s, &doc);
	CHECK((r == GS_OK) == (doc != NULL));
	CHECK(r == GS_OK || s->n > 0);
	xmlFreeDoc(doc);
	return r;
}

static enum gs_result load_str(const char *xml, struct seen *s)
{
	return load(&org_spec, xml, strlen(xml), s);
}

static const char valid[] = "<org xmlns=\"urn:gridscore:org:1\"><units><unit code=\"C\" kind=\"company\" "
			    "name=\"c\"/></units></org>";

static void test_valid(void)
{
	struct seen s;
	CHECK_INT(load_str(valid, &s), GS_OK);
	CHECK_INT(s.n, 0);

	/* the document is handed over with its root element */
	xmlDocPtr doc = NULL;
	CHECK_INT(xmldoc_load(&org_spec, "t.xml", valid, strlen(valid), collect, &s, &doc), GS_OK);
	CHECK(doc != NULL);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	CHECK(root && strcmp((const char *)root->name, "org") == 0);
	xmlFreeDoc(doc);
}

static void test_refusals(void)
{
	struct seen s;
	/* a NUL byte, on line 2 */
	static const char nul[] = "<org xmlns=\"urn:gridscore:org:1\">\n<units>\0</units></org>";
	CHECK_INT(load(&org_spec, nul, sizeof nul - 1, &s), GS_ERR_INVALID);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.line[0], 2);
	CHECK_STR(s.message[0], "the file contains a NUL byte");

	/* a DOCTYPE stops the parser before any entity is declared or expanded */
	CHECK_INT(load_str("<?xml version=\"1.0\"?>\n<!DOCTYPE org [<!ENTITY a \"aaaa\">]>\n"
			   "<org xmlns=\"urn:gridscore:org:1\">&a;</org>",
			   &s),
		  GS_ERR_INVALID);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.line[0], 2);
	CHECK(s.column[0] > 0);
	CHECK_STR(s.message[0], "DOCTYPE is not allowed");

	/* an external entity is never fetched: the DOCTYPE carrying it is refused */
	CHECK_INT(load_str("<!DOCTYPE org SYSTEM \"http://127.0.0.1:9/x.dtd\"><org xmlns=\"urn:gridscore:org:1\"/>", &s),
		  GS_ERR_INVALID);
	CHECK_STR(s.message[0], "DOCTYPE is not allowed");

	/* not well-formed: libxml2's message with its line and column, trimmed */
	CHECK_INT(load_str("<org xmlns=\"urn:gridscore:org:1\">\n  <units>\n</org>", &s), GS_ERR_INVALID);
	CHECK(s.n >= 1);
	CHECK_INT(s.line[0], 3);
	CHECK(s.column[0] > 0);
	CHECK(s.message[0][0] != '\0');
	size_t ml = strlen(s.message[0]);
	CHECK(ml > 0 && s.message[0][ml - 1] != '\n' && s.message[0][ml - 1] != '.');

	/* bytes that are not valid UTF-8: the parser says where */
	CHECK_INT(load_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<org xmlns=\"urn:gridscore:org:1\">"
			   "<units><unit code=\"C\" kind=\"company\" name=\"\xff\xfe\xff\"/></units></org>",
			   &s),
		  GS_ERR_INVALID);
	CHECK(s.n >= 1);
	CHECK_INT(s.line[0], 2);

	/* bytes that are not valid in a converted encoding (UTF-8 declared as GB2312): libxml2
	 * reports them without a position, in pieces; said once, in our words */
	CHECK_INT(load_str("<?xml version=\"1.0\" encoding=\"GB2312\"?>\n<org xmlns=\"urn:gridscore:org:1\">"
			   "<units><unit code=\"C\" kind=\"company\" name=\"\xe5\x85\xac\xe5\x8f\xb8\xe5\x85\xac\"/>"
			   "</units></org>",
			   &s),
		  GS_ERR_INVALID);
	int bad_bytes = 0;
	for (int i = 0; i < s.n && i < 8; i++)
		bad_bytes += strcmp(s.message[i], "the file has bytes that are not valid in its encoding") == 0;
	CHECK_INT(bad_bytes, 1);

	/* empty input */
	CHECK_INT(load_str("", &s), GS_ERR_INVALID);
	CHECK(s.n >= 1);

	/* the wrong root element, or the right name in another namespace */
	CHECK_INT(load_str("<?xml version=\"1.0\"?>\n\n<indicators xmlns=\"urn:gridscore:org:1\"/>", &s), GS_ERR_INVALID);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.line[0], 3);
	CHECK_STR(s.message[0], "the root element must be <org> in namespace urn:gridscore:org:1");
	CHECK_INT(load_str("<org xmlns=\"urn:other\"/>", &s), GS_ERR_INVALID);
	CHECK_STR(s.message[0], "the root element must be <org> in namespace urn:gridscore:org:1");
	CHECK_INT(load_str("<org/>", &s), GS_ERR_INVALID);
	CHECK_STR(s.message[0], "the root element must be <org> in namespace urn:gridscore:org:1");

	/* schema errors: the line, no column, and element names without {namespace} */
	CHECK_INT(load_str("<org xmlns=\"urn:gridscore:org:1\"><units>\n<unit code=\"C\" kind=\"castle\" "
			   "name=\"c\"/></units></org>",
			   &s),
		  GS_ERR_INVALID);
	CHECK(s.n >= 1);
	CHECK_INT(s.line[0], 2);
	CHECK_INT(s.column[0], 0);
	CHECK_CONTAINS(s.message[0], "'unit'");
	CHECK_CONTAINS(s.message[0], "castle");
	CHECK(strstr(s.message[0], "{urn:gridscore:org:1}") == NULL);
}

static void test_missing_schema(void)
{
	static const struct xmldoc_spec missing = {
	    .what = "nothing", .xsd = "forms/no-such-1.xsd", .ns = "urn:gridscore:org:1", .root = "org"};
	struct seen s;
	log_set_level(LOG_ERROR + 1); /* the log line it writes is expected */
	CHECK_INT(load(&missing, valid, strlen(valid), &s), GS_ERR_INTERNAL);
	/* asked again: still refused (the failure is remembered, not retried) */
	CHECK_INT(load(&missing, valid, strlen(valid), &s), GS_ERR_INTERNAL);
	log_set_level(LOG_INFO);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.message[0], "the nothing schema could not be loaded (a bug)");
	/* the real schema is unaffected */
	CHECK_INT(load_str(valid, &s), GS_OK);
}

static void test_read_file(void)
{
	struct seen s = {0};
	char *data = (char *)1;
	size_t len = 1;
	CHECK_INT(xmldoc_read_file("tests/data/no-such-file.xml", 1000, collect, &s, &data, &len), GS_ERR_IO);
	CHECK(data == NULL);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.message[0], "cannot read the file");
	CHECK_INT(s.line[0], 0);

	char path[] = "/tmp/test_xmldoc_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(valid, f);
	fclose(f);
	memset(&s, 0, sizeof s);
	CHECK_INT(xmldoc_read_file(path, 10, collect, &s, &data, &len), GS_ERR_TOO_LARGE);
	CHECK(data == NULL);
	CHECK_STR(s.message[0], "the file is larger than 10 bytes");
	memset(&s, 0, sizeof s);
	CHECK_INT(xmldoc_read_file(path, 1000, collect, &s, &data, &len), GS_OK);
	CHECK_INT(s.n, 0);
	CHECK_INT(len, strlen(valid));
	CHECK_STR(data, valid);
	free(data);
	remove(path);
}

static void test_print(void)
{
	FILE *tmp = tmpfile();
	xmldoc_print_error(tmp, "a.xml", 3, 7, "bad");
	xmldoc_print_error(tmp, "a.xml", 3, 0, "worse");
	xmldoc_print_error(tmp, "a.xml", 0, 0, "whole file");
	xmldoc_print_rejected(tmp, "a.xml", 3, 3);
	xmldoc_print_rejected(tmp, "a.xml", 1, 1);
	xmldoc_print_rejected(tmp, "a.xml", 50, 73);
	rewind(tmp);
	char all[1024] = "";
	size_t n = fread(all, 1, sizeof all - 1, tmp);
	all[n] = '\0';
	fclose(tmp);
	CHECK_STR(all, "a.xml:3:7: bad\n"
		       "a.xml:3: worse\n"
		       "a.xml: whole file\n"
		       "a.xml: 3 errors, nothing was changed\n"
		       "a.xml: 1 error, nothing was changed\n"
		       "a.xml: ... and 23 more errors\n"
		       "a.xml: 73 errors, nothing was changed\n");
}

int main(void)
{
	xmlInitParser();
	test_valid();
	test_refusals();
	test_missing_schema();
	test_read_file();
	test_print();
	return check_finish("test_xmldoc");
}
