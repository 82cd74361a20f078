/* test_rollout.c — the rollout file reader: the native format (every record kind and
 * field, schema violations with line, column and field), IEC 61968-9 documents in every
 * envelope, hostile and broken input, the caps, the sink's say, and local days.
 * Fixtures in tests/data/rollout/; run from the source folder (ctest does). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "check.h"
#include "rollout.h"
#include "util.h"

/* ---------------------------------------------------------------- a collecting sink */

#define MAX_RECS 64

struct collect {
	int headers;
	struct rollout_header h;
	int n;                  /* records seen (all of them) */
	char rec[MAX_RECS][512];
	int stop_after;         /* >0: the record callback fails after this many */
	enum gs_result fail_with;
	int header_fail;
};

static const char *kind_name(enum rollout_kind k)
{
	switch (k) {
	case ROLLOUT_POINT:
		return "POINT";
	case ROLLOUT_INSTALL:
		return "INSTALL";
	case ROLLOUT_REMOVE:
		return "REMOVE";
	case ROLLOUT_REPLACE:
		return "REPLACE";
	case ROLLOUT_METER:
		return "METER";
	case ROLLOUT_LINK:
		return "LINK";
	}
	return "?";
}

static enum gs_result on_header(void *ctx, const struct rollout_header *h)
{
	struct collect *c = ctx;
	c->headers++;
	c->h = *h;
	return c->header_fail ? GS_ERR_DB : GS_OK;
}

#define S(x) ((x) ? (x) : "-")

/* Every record as one line: KIND@line:col then the fields that are set, name=value. */
static enum gs_result on_record(void *ctx, const struct rollout_record *r)
{
	struct collect *c = ctx;
	if (c->n < MAX_RECS) {
		char *o = c->rec[c->n];
		size_t sz = sizeof c->rec[0];
		int k = snprintf(o, sz, "%s@%ld:%ld", kind_name(r->kind), r->line, r->column);
		const struct {
			const char *name, *v;
		} f[] = {{"point", r->point},
			 {"class", r->customer_class},
			 {"since", r->since},
			 {"until", r->until},
			 {"meter", r->meter},
			 {"serial", r->serial},
			 {"manufacturer", r->manufacturer},
			 {"model", r->model},
			 {"date", r->date},
			 {"removed", r->removed},
			 {"status", r->status},
			 {"replaces", r->replaces},
			 {"old-meter", r->old_meter},
			 {"old-serial", r->old_serial},
			 {"old-manufacturer", r->old_manufacturer},
			 {"reason", r->reason}};
		for (size_t i = 0; i < sizeof f / sizeof f[0] && k > 0 && (size_t)k < sz; i++)
			if (f[i].v)
				k += snprintf(o + k, sz - (size_t)k, " %s=%s", f[i].name, f[i].v);
		if (k > 0 && (size_t)k < sz)
			snprintf(o + k, sz - (size_t)k, " smart=%d", r->smart);
	}
	c->n++;
	if (c->stop_after && c->n >= c->stop_after)
		return c->fail_with;
	return GS_OK;
}

static struct rollout_sink sink_for(struct collect *c)
{
	struct rollout_sink s = {on_header, on_record, c};
	return s;
}

static enum gs_result read_str(const char *xml, struct collect *c, struct rollout_errors *errs,
			       const struct rollout_limits *lim)
{
	struct rollout_sink s = sink_for(c);
	memset(c, 0, sizeof *c);
	return rollout_read_memory("test.xml", xml, strlen(xml), lim, &s, errs);
}

static enum gs_result read_path(const char *path, struct collect *c, struct rollout_errors *errs,
				const struct rollout_limits *lim)
{
	struct rollout_sink s = sink_for(c);
	memset(c, 0, sizeof *c);
	return rollout_read_file(path, NULL, lim, &s, errs);
}

static void dump_errors(const struct rollout_errors *errs)
{
	if (!getenv("GS_TEST_VERBOSE"))
		return;
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "  %ld:%ld: [%s] %s\n", errs->e[i].line, errs->e[i].column, errs->e[i].field,
			errs->e[i].message);
}

/* 1 if an error has this line (and column, unless -1), field (unless NULL) and text. */
static int has_error(const struct rollout_errors *errs, long line, long column, const char *field, const char *needle)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct rollout_error *e = &errs->e[i];
		if (line >= 0 && e->line != line)
			continue;
		if (column >= 0 && e->column != column)
			continue;
		if (field && strcmp(e->field, field) != 0)
			continue;
		if (needle && !strstr(e->message, needle))
			continue;
		return 1;
	}
	return 0;
}

#define CHECK_ERROR(errs_, line_, col_, field_, needle_)                                                               \
	do {                                                                                                           \
		int ok_ = has_error(errs_, line_, col_, field_, needle_);                                              \
		if (!ok_) {                                                                                            \
			fprintf(stderr, "expected error %ld:%ld [%s] \"%s\"; got:\n", (long)(line_), (long)(col_),    \
				(field_) ? (const char *)(field_) : "*", needle_);                                     \
			for (size_t i_ = 0; i_ < (errs_)->n; i_++)                                                     \
				fprintf(stderr, "  %ld:%ld: [%s] %s\n", (errs_)->e[i_].line, (errs_)->e[i_].column,   \
					(errs_)->e[i_].field, (errs_)->e[i_].message);                                 \
		}                                                                                                      \
		CHECK(ok_);                                                                                            \
	} while (0)

static const char *tmp_dir(void)
{
	static char dir[512];
	if (!dir[0]) {
		const char *base = getenv("GS_TMP");
		snprintf(dir, sizeof dir, "%s/rollout-%ld", base ? base : "/tmp", (long)getpid());
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "cannot make %s\n", dir);
			exit(1);
		}
	}
	return dir;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

#define NATIVE_OPEN                                                                                                    \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                                 \
	"<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"ST1\" file-id=\"f1\" "                                \
	"generated-at=\"2026-05-06T09:30:00+08:00\">\n"

/* ---------------------------------------------------------------- local days */

static void test_local_day(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"2026-05-02", "2026-05-02"},
		{"2024-02-29", "2024-02-29"},
		{"2000-02-29", "2000-02-29"},
		{"2026-05-01T20:00:00Z", "2026-05-02"},
		{"2026-05-01T15:59:59Z", "2026-05-01"},
		{"2026-05-01T16:00:00Z", "2026-05-02"},
		{"2026-05-02-05:00", "2026-05-02"},
		{"2026-05-02+14:00", "2026-05-01"},
		{"2026-05-02Z", "2026-05-02"},
		{"2026-05-02+08:00", "2026-05-02"},
		{"2026-05-02T23:30:00", "2026-05-02"},
		{"2026-05-02T10:00:00+08:00", "2026-05-02"},
		{"2026-05-02T01:00:00+09:00", "2026-05-02"},
		{"2026-05-02T00:30:00+09:00", "2026-05-01"},
		{"2026-12-31T16:00:00Z", "2027-01-01"},
		{"2026-01-01T07:59:59.999Z", "2026-01-01"},
		{"2026-03-01T00:00:00+09:00", "2026-02-28"},
		{"2024-03-01T00:00:00+09:00", "2024-02-29"},
		{"2026-05-02T24:00:00", "2026-05-03"},
		{"2026-05-02T18:00:00-06:00", "2026-05-03"},
		{" 2026-05-02 ", "2026-05-02"},
		{"9999-12-31", "9999-12-31"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char out[11] = "";
		CHECK_INT(rollout_local_day(ok[i].in, out), 0);
		CHECK_STR(out, ok[i].out);
	}
	static const char *const bad[] = {"",
					  "2026-5-02",
					  "2026-02-29",
					  "1900-02-29",
					  "2026-13-01",
					  "2026-00-10",
					  "2026-04-31",
					  "0000-01-01",
					  "2026-05-02T25:00:00",
					  "2026-05-02T24:00:01",
					  "2026-05-02T10:60:00",
					  "2026-05-02T10:00",
					  "2026-05-02+15:00",
					  "2026-05-02+08",
					  "2026-05-02x",
					  "2026/05/02",
					  "9999-12-31T20:00:00Z",
					  "20260502"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[11];
		if (rollout_local_day(bad[i], out) != -1)
			fprintf(stderr, "rollout_local_day accepted \"%s\"\n", bad[i]);
		CHECK_INT(rollout_local_day(bad[i], out), -1);
	}
	char out[11];
	CHECK_INT(rollout_local_day(NULL, out), -1);
}

/* ---------------------------------------------------------------- native */

static void test_native_good(void)
{
	struct collect c;
	struct rollout_errors errs;
	enum gs_result r = read_path("tests/data/rollout/native-good.xml", &c, &errs, NULL);
	dump_errors(&errs);
	CHECK_INT(r, GS_OK);
	CHECK_INT(errs.total, 0);
	CHECK_INT(c.headers, 1);
	CHECK_INT(c.h.format, ROLLOUT_NATIVE);
	CHECK_STR(c.h.station, "ST-NORTH");
	CHECK_STR(c.h.file_id, "north-2026-05-06-001");
	CHECK_STR(c.h.generated_at, "2026-05-06");
	CHECK_INT(c.h.line, 3);
	CHECK_INT(c.n, 8);
	CHECK_STR(c.rec[0], "POINT@6:5 point=MP-0001 class=residential since=2019-06-01 smart=-1");
	CHECK_STR(c.rec[1], "POINT@7:5 point=MP-0002 class=commercial since=2020-01-15 smart=-1");
	CHECK_STR(c.rec[2], "POINT@8:5 point=MP-0003 class=industrial since=2018-03-01 until=2026-04-30 smart=-1");
	CHECK_STR(c.rec[3], "POINT@9:5 point=MP-0004 class=agricultural since=2021-10-01 smart=-1");
	CHECK_STR(c.rec[4], "INSTALL@12:5 point=MP-0001 meter=7d0f8a52-0101 serial=DDZY-2026-000101 "
			    "manufacturer=Sample Meter Works model=DDZY71-Z date=2026-05-02 replaces=legacy-000042 "
			    "smart=1");
	CHECK_STR(c.rec[5], "INSTALL@14:5 point=MP-0002 serial=DDZY-2026-000102 manufacturer=Sample Meter Works "
			    "date=2026-05-02 smart=1");
	CHECK_STR(c.rec[6], "REMOVE@16:5 point=MP-0003 meter=legacy-000077 serial=DD862-1998-000077 "
			    "manufacturer=Old Works model=DD862 date=2026-04-30 reason=point taken out of service "
			    "smart=-1");
	CHECK_STR(c.rec[7], "REPLACE@18:5 point=MP-0004 meter=7d0f8a52-0104 serial=DDZY-2026-000104 "
			    "manufacturer=Sample Meter Works model=DDZY71-Z date=2026-05-02 old-meter=7d0f8a52-0099 "
			    "old-serial=DDZY-2025-000099 old-manufacturer=Other Meter Co reason=display fault smart=1");

	/* the same from memory, and with prefixes, comments and one-line layout */
	char *data = NULL;
	size_t len = 0;
	CHECK_INT(util_read_file("tests/data/rollout/native-good.xml", 1 << 20, &data, &len), GS_OK);
	struct collect c2;
	struct rollout_sink s = sink_for(&c2);
	memset(&c2, 0, sizeof c2);
	CHECK_INT(rollout_read_memory("native-good.xml", data, len, NULL, &s, &errs), GS_OK);
	CHECK_INT(c2.n, 8);
	for (int i = 0; i < 8; i++)
		CHECK_STR(c2.rec[i], c.rec[i]);
	free(data);

	const char *oneline = "<r:rollout xmlns:r=\"urn:gridscore:rollout:1\" station=\"S\" file-id=\"x\" "
			      "generated-at=\"2026-05-01T00:00:00\"><!-- <r:point code=\"no\"/> --><r:inventory>"
			      "<r:point code=\"A\" class=\"public\" since=\"2026-01-01\"/><r:point code=\"B\" "
			      "class=\"other\" since=\"2026-01-02\"/></r:inventory><r:events/></r:rollout>";
	CHECK_INT(read_str(oneline, &c, &errs, NULL), GS_OK);
	CHECK_INT(c.n, 2);
	CHECK_STR(c.rec[0], "POINT@1:147 point=A class=public since=2026-01-01 smart=-1");
	CHECK_STR(c.rec[1], "POINT@1:200 point=B class=other since=2026-01-02 smart=-1");
	CHECK_STR(c.h.station, "S");

	/* an empty rollout: a header and nothing else */
	CHECK_INT(read_str("<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"S\" file-id=\"x\" "
			   "generated-at=\"2026-05-01T00:00:00Z\"/>",
			   &c, &errs, NULL),
		  GS_OK);
	CHECK_INT(c.headers, 1);
	CHECK_INT(c.n, 0);
	CHECK_STR(c.h.generated_at, "2026-05-01");
}

static void test_native_schema(void)
{
	struct collect c;
	struct rollout_errors errs;
	const char *xml = NATIVE_OPEN "  <inventory>\n"
				      "    <point code=\"P1\" class=\"residential\" since=\"2026-13-01\"/>\n"
				      "    <point code=\"P2\"\n"
				      "           class=\"bogus\" since=\"2026-01-01\"/>\n"
				      "    <point code=\"P3\" class=\"public\"/>\n"
				      "    <unknown/>\n"
				      "  </inventory>\n"
				      "  <events>\n"
				      "    <install meter=\"M1\" point=\"has space\" date=\"2026-05-01\"/>\n"
				      "    <remove meter=\"M1\" point=\"P1\" date=\"2026-05-01\" colour=\"red\"/>\n"
				      "  </events>\n"
				      "</rollout>\n";
	enum gs_result r = read_str(xml, &c, &errs, NULL);
	dump_errors(&errs);
	CHECK_INT(r, GS_ERR_INVALID);
	CHECK_ERROR(&errs, 4, 5, "since", "not a valid value");
	CHECK_ERROR(&errs, 5, 5, "class", "bogus");
	CHECK_ERROR(&errs, 7, 5, "since", "required");
	CHECK_ERROR(&errs, 8, 5, "unknown", "not expected");
	CHECK_ERROR(&errs, 11, 5, "point", "has space");
	CHECK_ERROR(&errs, 12, 5, "colour", "not allowed");
	CHECK(errs.total >= 6);
	/* messages carry no namespace noise */
	for (size_t i = 0; i < errs.n; i++)
		CHECK(strstr(errs.e[i].message, "urn:gridscore") == NULL);

	/* a missing header attribute and a wrong root */
	r = read_str("<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"S\" generated-at=\"2026-05-01T00:00:00Z\"/>",
		     &c, &errs, NULL);
	CHECK_INT(r, GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "file-id", "required");
	r = read_str("<inventory xmlns=\"urn:gridscore:rollout:1\"/>", &c, &errs, NULL);
	CHECK_INT(r, GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "inventory", "No matching global declaration");
}

/* Records are read from the element node's attributes (a declared namespace or a value
 * of several nodes goes through the reader's attribute cursor instead) and the reader
 * drops the white space between records: the same records, positions and errors
 * whatever the attribute order, escapes, line breaks inside tags, or the comments,
 * processing instructions, CDATA and white space around them. */
static void test_native_layout(void)
{
	struct collect c;
	struct rollout_errors errs;
	const char *xml = NATIVE_OPEN "  <inventory>\n"
				      "    <point since=\"2021-01-02\" class=\"other\" code=\"P1\"/><!-- c --><?pi x?>\n"
				      "\n\t<point\n      class=\"public\"\n      code=\"P2\" until=\"2022-01-01+14:00\"\n"
				      "      since=\"2021-01-03T23:30:00Z\"/>\n"
				      "  </inventory>\n"
				      "  <events>    <!-- <install meter=\"no\"/> -->\n"
				      "    <install date=\"2026-05-01\" point=\"P1\" model=\"M&lt;7&gt;\" "
				      "manufacturer=\"A &amp; B\" serial=\"S&#x31;&#20013;\" meter=\"m1\" replaces=\"L1\"/>\n"
				      "    <r:remove xmlns:r=\"urn:gridscore:rollout:1\" reason=\"a > b\" date=\"2026-05-02\" "
				      "point=\"P2\" meter=\"m2\"/>\n"
				      "    <replace xmlns:x=\"urn:x\" meter=\"m3\" point=\"P1\" date=\"2026-05-03\" old-meter=\"m1\"/>"
				      "<replace old-serial=\"o\" old-manufacturer=\"O\" reason=\"r\" model=\"N\" "
				      "point=\"P1\" date=\"2026-05-04\" serial=\"s4\" manufacturer=\"W\"/>\n"
				      "  </events>\n"
				      "</rollout>\n";
	enum gs_result r = read_str(xml, &c, &errs, NULL);
	dump_errors(&errs);
	CHECK_INT(r, GS_OK);
	CHECK_INT(c.n, 6);
	CHECK_STR(c.rec[0], "POINT@4:5 point=P1 class=other since=2021-01-02 smart=-1");
	CHECK_STR(c.rec[1], "POINT@6:2 point=P2 class=public since=2021-01-04 until=2021-12-31 smart=-1");
	CHECK_STR(c.rec[2], "INSTALL@12:5 point=P1 meter=m1 serial=S1\xe4\xb8\xad manufacturer=A & B model=M<7> "
			    "date=2026-05-01 replaces=L1 smart=1");
	CHECK_STR(c.rec[3], "REMOVE@13:5 point=P2 meter=m2 date=2026-05-02 reason=a > b smart=-1");
	CHECK_STR(c.rec[4], "REPLACE@14:5 point=P1 meter=m3 date=2026-05-03 old-meter=m1 smart=1");
	CHECK_STR(c.rec[5], "REPLACE@14:86 point=P1 serial=s4 manufacturer=W model=N date=2026-05-04 "
			    "old-serial=o old-manufacturer=O reason=r smart=1");

	/* CDATA is character content for libxml2's validator even when blank: an error on
	 * the element that holds it, and the record after it is read as before */
	xml = NATIVE_OPEN "  <events>  <![CDATA[ ]]>  <!-- x -->\n"
			  "    <install meter=\"m\" point=\"P1\" date=\"2026-05-01\"/>\n"
			  "  </events>\n"
			  "</rollout>\n";
	CHECK_INT(read_str(xml, &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 3, 3, "events", "Character content other than whitespace");
	CHECK_INT(errs.total, 1);
	CHECK_INT(c.n, 1);
	CHECK_STR(c.rec[0], "INSTALL@4:5 point=P1 meter=m date=2026-05-01 smart=1");

	/* white space, a comment or text inside a record is still a schema error there */
	xml = NATIVE_OPEN "  <inventory>\n"
			  "    <point code=\"P1\" class=\"other\" since=\"2021-01-02\">  </point>\n"
			  "    <point code=\"P2\" class=\"other\" since=\"2021-01-02\"> <!-- x --> </point>\n"
			  "    <point code=\"P3\" class=\"other\" since=\"2021-01-02\">text</point>\n"
			  "  </inventory>\n"
			  "</rollout>\n";
	r = read_str(xml, &c, &errs, NULL);
	dump_errors(&errs);
	CHECK_INT(r, GS_ERR_INVALID);
	CHECK_ERROR(&errs, 4, 5, NULL, "Character content is not allowed");
	CHECK_ERROR(&errs, 5, 5, NULL, "Character content is not allowed");
	CHECK_ERROR(&errs, 6, 5, NULL, "Character content is not allowed");

	/* the text cap on record values: a start tag longer than the cap is fine while each
	 * value fits (escapes count once parsed: 160 bytes written, 32 read); one byte more is
	 * refused, on either path */
	struct rollout_limits lim;
	rollout_limits_default(&lim);
	lim.max_text = 32;
	xml = NATIVE_OPEN "<events>\n"
			  "<remove meter=\"m\" point=\"P1\" date=\"2026-05-01\" reason=\"&amp;&amp;&amp;&amp;&amp;&amp;&amp;"
			  "&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;"
			  "&amp;&amp;&amp;&amp;&amp;&amp;&amp;\"/>\n"
			  "</events></rollout>";
	CHECK_INT(read_str(xml, &c, &errs, &lim), GS_OK);
	CHECK_INT(c.n, 1);
	CHECK(strstr(c.rec[0], " reason=&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&& ") != NULL); /* 32 bytes: the cap */
	const char *over[] = {
		NATIVE_OPEN "<events>\n<remove meter=\"m\" point=\"P1\" date=\"2026-05-01\" "
			    "reason=\"123456789012345678901234567890123\"/>\n</events></rollout>",
		NATIVE_OPEN "<events>\n<remove xmlns:x=\"urn:x\" meter=\"m\" point=\"P1\" date=\"2026-05-01\" "
			    "reason=\"123456789012345678901234567890123\"/>\n</events></rollout>",
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(over); i++) {
		CHECK_INT(read_str(over[i], &c, &errs, &lim), GS_ERR_TOO_LARGE);
		CHECK_ERROR(&errs, 4, 1, "reason", "the value of reason is longer than 32 bytes");
		CHECK_INT(c.n, 0);
	}
}

static void test_bad_xml(void)
{
	struct collect c;
	struct rollout_errors errs;
	/* not XML */
	CHECK_INT(read_str("this is not XML at all\n", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, -1, NULL, "");
	CHECK_INT(c.n, 0);
	/* empty */
	CHECK_INT(read_str("", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 0, NULL, "the file is empty");
	CHECK_INT(read_str("  \n", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK(errs.total >= 1);
	/* truncated */
	const char *trunc = NATIVE_OPEN "  <inventory>\n    <point code=\"P1\" class=\"residential\" since=\"2026-01-01\"/>\n"
					"    <point code=\"P2\" cla";
	CHECK_INT(read_str(trunc, &c, &errs, NULL), GS_ERR_INVALID);
	dump_errors(&errs);
	CHECK_ERROR(&errs, 5, -1, NULL, "");
	/* wrong namespace */
	CHECK_INT(read_str("<rollout xmlns=\"urn:gridscore:rollout:2\" station=\"S\"/>", &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "rollout", "neither a gridscore rollout file");
	CHECK_ERROR(&errs, 1, 1, "rollout", "{urn:gridscore:rollout:2}rollout");
	CHECK_INT(read_str("<rollout station=\"S\"/>", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "rollout", "{}rollout");
	/* mismatched tags */
	CHECK_INT(read_str(NATIVE_OPEN "<inventory></events></rollout>", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 3, -1, NULL, "mismatch");
	/* a NUL byte */
	static const char nul[] = NATIVE_OPEN "<inventory>\0</inventory></rollout>";
	struct rollout_sink s = sink_for(&c);
	CHECK_INT(rollout_read_memory("nul.xml", nul, sizeof nul - 1, NULL, &s, &errs), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 3, -1, NULL, "0x0");
}


/* ---------------------------------------------------------------- IEC 61968-9 */

static void test_iec_samples(void)
{
	struct collect c;
	struct rollout_errors errs;

	CHECK_INT(read_path("tests/data/rollout/meterconfig-request.xml", &c, &errs, NULL), GS_OK);
	dump_errors(&errs);
	CHECK_INT(c.headers, 1);
	CHECK_INT(c.h.format, ROLLOUT_IEC_METER);
	CHECK_STR(c.h.verb, "create");
	CHECK_STR(c.h.noun, "MeterConfig");
	CHECK_STR(c.h.source, "HES-NORTH");
	CHECK_STR(c.h.file_id, "sample-meterconfig-0001");
	CHECK_STR(c.h.generated_at, "2026-05-06");
	CHECK_STR(c.h.station, "");
	CHECK_INT(c.h.line, 2);
	CHECK_INT(c.n, 4);
	CHECK_STR(c.rec[0], "METER@12:7 meter=7d0f8a52-1c1e-4d55-9a55-000000000101 serial=DDZY-2026-000101 "
			    "manufacturer=Sample Meter Works model=DDZY71-Z date=2026-05-02 status=installed smart=1");
	CHECK_STR(c.rec[1], "METER@23:7 meter=7d0f8a52-1c1e-4d55-9a55-000000000102 serial=DDZY-2026-000102 "
			    "date=2026-05-03 status=installed smart=1");
	CHECK_STR(c.rec[2], "METER@31:7 meter=7d0f8a52-1c1e-4d55-9a55-000000000103 serial=DDZY-2026-000103 "
			    "date=2026-05-04 status=installed smart=1");
	CHECK_STR(c.rec[3], "METER@38:7 meter=legacy-000042 serial=DD862-1998-000042 date=1998-03-15 "
			    "removed=2026-05-02 status=removed smart=0");

	CHECK_INT(read_path("tests/data/rollout/usagepointconfig-soap.xml", &c, &errs, NULL), GS_OK);
	CHECK_INT(c.h.format, ROLLOUT_IEC_USAGEPOINT);
	CHECK_STR(c.h.verb, "create");
	CHECK_STR(c.h.noun, "UsagePointConfig");
	CHECK_STR(c.h.source, "CIS");
	CHECK_STR(c.h.file_id, "sample-usagepoints-0001");
	CHECK_STR(c.h.generated_at, "2026-04-01");
	CHECK_INT(c.n, 4);
	CHECK_STR(c.rec[0], "POINT@18:11 point=UP-0000101 since=2019-06-01 smart=-1");
	CHECK_STR(c.rec[1], "POINT@26:11 point=UP-0000102 since=2020-01-15 smart=-1");
	CHECK_STR(c.rec[2], "POINT@33:11 point=UP-0000103 since=2021-09-30 smart=-1");
	/* disconnected without an effectiveDateTime: out of service from the message's day */
	CHECK_STR(c.rec[3], "POINT@39:11 point=UP-0000104 since=2015-02-01 until=2026-04-01 smart=-1");

	CHECK_INT(read_path("tests/data/rollout/linkage-bare.xml", &c, &errs, NULL), GS_OK);
	CHECK_INT(c.h.format, ROLLOUT_IEC_LINKAGE);
	CHECK_STR(c.h.noun, "MasterDataLinkageConfig");
	CHECK_STR(c.h.verb, "");
	CHECK_STR(c.h.file_id, "");
	CHECK_INT(c.n, 1);
	CHECK_STR(c.rec[0], "LINK@7:3 point=UP-0000101 meter=7d0f8a52-1c1e-4d55-9a55-000000000101 date=2026-05-02 "
			    "smart=-1");
}

static void test_iec_variants(void)
{
	struct collect c;
	struct rollout_errors errs;

	/* EventMessage, www.iec.ch, prefixes, comments, CDATA, vendor extensions */
	CHECK_INT(read_path("tests/data/rollout/meterconfig-event-www.xml", &c, &errs, NULL), GS_OK);
	dump_errors(&errs);
	CHECK_INT(c.h.format, ROLLOUT_IEC_METER);
	CHECK_STR(c.h.verb, "created");
	CHECK_STR(c.h.source, "HES-SOUTH");
	CHECK_STR(c.h.file_id, "evt-0042");
	CHECK_STR(c.h.generated_at, "2026-05-07");
	CHECK_INT(c.n, 2);
	CHECK_STR(c.rec[0], "METER@18:7 point=UP-2001 meter=0c4b1f7e-2001 serial=SN-2001 date=2026-05-02 smart=1");
	CHECK_STR(c.rec[1], "METER@27:7 meter=0c4b1f7e-2002 serial=SN-2002 smart=-1");

	/* SOAP 1.2, a Created... wrapper of another year, the verb from the wrapper's name,
	 * a Reply, all on one line */
	CHECK_INT(read_path("tests/data/rollout/meterconfig-soap12-created.xml", &c, &errs, NULL), GS_OK);
	CHECK_INT(c.h.format, ROLLOUT_IEC_METER);
	CHECK_STR(c.h.verb, "created");
	CHECK_STR(c.h.file_id, "created-7");
	CHECK_STR(c.h.generated_at, "2026-05-07");
	CHECK_INT(c.n, 2);
	CHECK_STR(c.rec[0], "METER@2:605 meter=m-1 date=2001-01-01 removed=2026-05-07 status=removed smart=0");
	CHECK_STR(c.rec[1], "METER@2:964 meter=m-2 smart=1");

	/* RequestMessage in www.iec.ch/2013, disconnected points */
	CHECK_INT(read_path("tests/data/rollout/usagepointconfig-request-www.xml", &c, &errs, NULL), GS_OK);
	CHECK_INT(c.h.format, ROLLOUT_IEC_USAGEPOINT);
	CHECK_STR(c.h.verb, "change");
	CHECK_INT(c.n, 3);
	CHECK_STR(c.rec[0], "POINT@12:7 point=UP-3001 since=2020-02-02 until=2026-06-01 smart=-1");
	CHECK_STR(c.rec[1], "POINT@20:7 point=UP-3002 since=2021-03-03 until=2026-06-01 smart=-1");
	CHECK_STR(c.rec[2], "POINT@25:7 point=UP-3003 since=2022-04-04 smart=-1");

	/* SOAP 1.1, a Change... wrapper, two meters on one point, createdDateTime only */
	CHECK_INT(read_path("tests/data/rollout/linkage-soap11-prefixed.xml", &c, &errs, NULL), GS_OK);
	CHECK_INT(c.h.format, ROLLOUT_IEC_LINKAGE);
	CHECK_STR(c.h.verb, "change");
	CHECK_STR(c.h.file_id, "link-9");
	CHECK_INT(c.n, 2);
	CHECK_STR(c.rec[0], "LINK@10:11 point=UP-9 meter=meter-a date=2026-05-04 smart=-1");
	CHECK_STR(c.rec[1], "LINK@11:11 point=UP-9 meter=meter-b date=2026-05-04 smart=-1");

	/* bare MeterConfig with a UsagePoint reference and a manufacturer */
	CHECK_INT(read_str("<MeterConfig xmlns='http://iec.ch/TC57/2011/MeterConfig#'>\n"
			   "<Meter><mRID>m</mRID><EndDeviceInfo><AssetModel><Manufacturer><Names><name>ACME</name>"
			   "</Names></Manufacturer></AssetModel></EndDeviceInfo><UsagePoint><mRID>UP</mRID>"
			   "</UsagePoint></Meter><Meter/>\n</MeterConfig>",
			   &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_INT(c.n, 1);
	CHECK_STR(c.rec[0], "METER@2:1 point=UP meter=m manufacturer=ACME smart=-1");
	CHECK_ERROR(&errs, 2, 187, "mRID", "a Meter has no mRID");
}

static void test_iec_bad(void)
{
	struct collect c;
	struct rollout_errors errs;

	CHECK_INT(read_path("tests/data/rollout/bad-delete-verb.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 3, 11, "Verb", "verb 'delete' is not supported");
	CHECK_INT(c.n, 0);
	CHECK_INT(read_str("<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body>"
			   "<w:CanceledMeterConfig xmlns:w='http://iec.ch/TC57/2011/MeterConfigMessage'/></s:Body>"
			   "</s:Envelope>",
			   &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 73, "CanceledMeterConfig", "verb 'canceled' is not supported");

	CHECK_INT(read_path("tests/data/rollout/bad-no-noun.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 2, 0, NULL, "found EndDeviceEventConfig");
	CHECK_ERROR(&errs, 2, 0, NULL, "root element {http://iec.ch/TC57/2011/schema/message}RequestMessage");
	CHECK_ERROR(&errs, 2, 0, NULL, "Header/Noun 'EndDeviceEventConfig'");
	CHECK_INT(c.headers, 0);
	CHECK_INT(read_str("<RequestMessage xmlns='http://iec.ch/TC57/2011/schema/message'><Header><Noun>MeterConfig"
			   "</Noun></Header><Payload/></RequestMessage>",
			   &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 0, NULL, "no usable IEC 61968-9 noun");
	CHECK_ERROR(&errs, 1, 0, NULL, "Header/Noun 'MeterConfig'");
	CHECK_INT(read_str("<EndDeviceEventConfig xmlns='http://iec.ch/TC57/2011/EndDeviceEventConfig#'/>", &c, &errs,
			   NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 0, NULL, "found EndDeviceEventConfig");
	/* an IEC look-alike namespace is not IEC */
	CHECK_INT(read_str("<MeterConfig xmlns='http://iec.ch/TC57/20x1/MeterConfig#'/>", &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "MeterConfig", "neither a gridscore rollout file");

	CHECK_INT(read_path("tests/data/rollout/bad-meter-no-mrid.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 4, 3, "mRID", "a Meter has no mRID");
	CHECK_INT(errs.total, 1);

	/* UsagePoints: no since, disconnected without any day, an unknown state, a bad date */
	const char *up = "<UsagePointConfig xmlns='http://iec.ch/TC57/2011/UsagePointConfig#'>\n"
			 "<UsagePoint><mRID>A</mRID></UsagePoint>\n"
			 "<UsagePoint><mRID>B</mRID><connectionState>physicallyDisconnected</connectionState>"
			 "<ConfigurationEvents><createdDateTime>2020-01-01</createdDateTime></ConfigurationEvents>"
			 "</UsagePoint>\n"
			 "<UsagePoint><mRID>C</mRID><connectionState>sleeping</connectionState>"
			 "<ConfigurationEvents><createdDateTime>2020-01-01</createdDateTime></ConfigurationEvents>"
			 "</UsagePoint>\n"
			 "<UsagePoint><mRID>D</mRID><ConfigurationEvents>\n<createdDateTime>2020-02-30</createdDateTime>"
			 "</ConfigurationEvents></UsagePoint>\n"
			 "<UsagePoint><ConfigurationEvents><createdDateTime>2020-01-01</createdDateTime>"
			 "</ConfigurationEvents></UsagePoint>\n"
			 "</UsagePointConfig>";
	CHECK_INT(read_str(up, &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_INT(c.n, 0);
	CHECK_ERROR(&errs, 2, 1, "createdDateTime", "UsagePoint 'A' has no ConfigurationEvents/createdDateTime");
	CHECK_ERROR(&errs, 3, 1, "effectiveDateTime", "UsagePoint 'B' is physicallyDisconnected");
	CHECK_ERROR(&errs, 4, -1, "connectionState", "connectionState 'sleeping'");
	CHECK_ERROR(&errs, 6, -1, "createdDateTime", "'2020-02-30' is not a date");
	CHECK_ERROR(&errs, 7, 1, "mRID", "a UsagePoint has no mRID");

	/* linkage without a usage point, with two, without a day */
	CHECK_INT(read_str("<MasterDataLinkageConfig xmlns='http://iec.ch/TC57/2011/MasterDataLinkageConfig#'>"
			   "<ConfigurationEvent><effectiveDateTime>2026-01-01</effectiveDateTime></ConfigurationEvent>"
			   "<Meter><mRID>m</mRID></Meter></MasterDataLinkageConfig>",
			   &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "UsagePoint", "no UsagePoint/mRID");
	CHECK_INT(read_str("<MasterDataLinkageConfig xmlns='http://iec.ch/TC57/2011/MasterDataLinkageConfig#'>"
			   "<ConfigurationEvent><effectiveDateTime>2026-01-01</effectiveDateTime></ConfigurationEvent>"
			   "<Meter><mRID>m</mRID></Meter><UsagePoint><mRID>a</mRID></UsagePoint>"
			   "<UsagePoint><mRID>b</mRID></UsagePoint></MasterDataLinkageConfig>",
			   &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "UsagePoint", "links 2 UsagePoints");
	CHECK_INT(read_str("<MasterDataLinkageConfig xmlns='http://iec.ch/TC57/2011/MasterDataLinkageConfig#'>"
			   "<Meter><mRID>m</mRID></Meter><UsagePoint><mRID>a</mRID></UsagePoint>"
			   "</MasterDataLinkageConfig>",
			   &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "effectiveDateTime", "no ConfigurationEvent/effectiveDateTime");
	CHECK_INT(c.n, 0);
}

/* ---------------------------------------------------------------- hostile input and caps */

static int errors_mention(const struct rollout_errors *errs, const char *needle)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strstr(errs->e[i].message, needle) || strstr(errs->e[i].field, needle))
			return 1;
	return 0;
}

static void test_hostile(void)
{
	struct collect c;
	struct rollout_errors errs;
	int64_t t0 = util_monotonic_us();
	CHECK_INT(read_path("tests/data/rollout/bad-laughs.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK(util_monotonic_us() - t0 < 1000000);
	CHECK_ERROR(&errs, 2, 1, "DOCTYPE", "DOCTYPE is not allowed");
	CHECK_INT(errs.total, 1);
	CHECK_INT(c.headers, 0);

	CHECK_INT(read_path("tests/data/rollout/bad-dtd-url.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 2, 1, "DOCTYPE", "DOCTYPE is not allowed");
	CHECK_INT(c.headers, 0);

	/* XXE: an entity and an external DTD naming local files; neither is read */
	const char *dir = tmp_dir();
	char secret[600], dtd[600], doc[2000];
	snprintf(secret, sizeof secret, "%s/secret.txt", dir);
	snprintf(dtd, sizeof dtd, "%s/ext.dtd", dir);
	write_file(secret, "TOP-SECRET-4711\n", 16);
	snprintf(doc, sizeof doc, "<!ENTITY x SYSTEM \"file://%s\">", secret);
	write_file(dtd, doc, strlen(doc));
	const char *forms[] = {
		"<?xml version=\"1.0\"?>\n<!-- a comment first -->\n<!DOCTYPE r [<!ENTITY x SYSTEM \"file://%s\">]>\n"
		"<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"&x;\" file-id=\"&x;\" generated-at=\"2026-05-01T00:00:00Z\">"
		"&x;</rollout>",
		"<!DOCTYPE rollout SYSTEM \"%s\">\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"&x;\" "
		"file-id=\"x\" generated-at=\"2026-05-01T00:00:00Z\"/>",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE MeterConfig [<!ENTITY x SYSTEM \"file://%s\">]>\n"
		"<MeterConfig xmlns=\"http://iec.ch/TC57/2011/MeterConfig#\"><Meter><mRID>&x;</mRID></Meter></MeterConfig>",
	};
	const char *targets[] = {secret, dtd, secret};
	const long lines[] = {3, 1, 2};
	for (size_t i = 0; i < 3; i++) {
		/* forms[i] with its %s replaced by the target path */
		const char *pct = strstr(forms[i], "%s");
		snprintf(doc, sizeof doc, "%.*s%s%s", (int)(pct - forms[i]), forms[i], targets[i], pct + 2);
		CHECK_INT(read_str(doc, &c, &errs, NULL), GS_ERR_INVALID);
		CHECK_ERROR(&errs, lines[i], 1, "DOCTYPE", "DOCTYPE is not allowed");
		CHECK(!errors_mention(&errs, "TOP-SECRET"));
		CHECK_INT(c.headers, 0);
		CHECK_INT(c.n, 0);
		CHECK(strstr(c.h.station, "TOP-SECRET") == NULL);
	}

	/* 10,000-deep nesting fails fast, at the depth cap */
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, NATIVE_OPEN);
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, "<a>");
	t0 = util_monotonic_us();
	CHECK_INT(read_str(b.data, &c, &errs, NULL), GS_ERR_TOO_LARGE);
	CHECK(util_monotonic_us() - t0 < 1000000);
	CHECK_ERROR(&errs, 3, 190, "a", "nested deeper than 64 levels");
	CHECK_ERROR(&errs, 3, 1, "a", "not expected");
	buf_reset(&b);
	buf_puts(&b, "<MeterConfig xmlns='http://iec.ch/TC57/2011/MeterConfig#'><Meter>");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, "<x>");
	CHECK_INT(read_str(b.data, &c, &errs, NULL), GS_ERR_TOO_LARGE);
	CHECK_ERROR(&errs, 1, -1, "x", "nested deeper than 64 levels");

	/* a 1 MB attribute, a long text */
	buf_reset(&b);
	buf_puts(&b, NATIVE_OPEN "<inventory><point code=\"");
	for (int i = 0; i < 1024 * 1024; i++)
		buf_putc(&b, 'A');
	buf_puts(&b, "\" class=\"public\" since=\"2026-01-01\"/></inventory></rollout>");
	t0 = util_monotonic_us();
	CHECK_INT(read_str(b.data, &c, &errs, NULL), GS_ERR_TOO_LARGE);
	CHECK(util_monotonic_us() - t0 < 2000000);
	CHECK_ERROR(&errs, 3, 12, NULL, "more than 65536 bytes without markup");
	CHECK_INT(errs.total, 1);
	CHECK_INT(c.n, 0);
	buf_reset(&b);
	buf_puts(&b, "<MeterConfig xmlns='http://iec.ch/TC57/2011/MeterConfig#'><Meter><mRID>");
	for (int i = 0; i < 5000; i++)
		buf_putc(&b, 'm');
	buf_puts(&b, "</mRID></Meter></MeterConfig>");
	CHECK_INT(read_str(b.data, &c, &errs, NULL), GS_ERR_TOO_LARGE);
	CHECK_ERROR(&errs, 1, -1, NULL, "longer than the limit of 4096");
	buf_free(&b);

	/* too many records */
	struct rollout_limits lim;
	rollout_limits_default(&lim);
	lim.max_records = 5;
	CHECK_INT(read_path("tests/data/rollout/native-good.xml", &c, &errs, &lim), GS_ERR_TOO_LARGE);
	CHECK_ERROR(&errs, 14, 5, NULL, "more than 5 records");
	CHECK_INT(c.n, 5);
	lim.max_records = 3;
	CHECK_INT(read_path("tests/data/rollout/meterconfig-request.xml", &c, &errs, &lim), GS_ERR_TOO_LARGE);
	CHECK_ERROR(&errs, 38, 7, NULL, "more than 3 records");
}

static void test_encodings(void)
{
	struct collect c;
	struct rollout_errors errs;
	CHECK_INT(read_path("tests/data/rollout/bad-utf8.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 3, -1, NULL, "not proper UTF-8");
	CHECK_ERROR(&errs, 3, -1, NULL, "0xE9");
	CHECK(errs.e[0].column > 0);

	CHECK_INT(read_path("tests/data/rollout/bad-encoding-lie.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 0, "encoding",
		    "encoding 'ISO-8859-1' is not supported: rollout files must be UTF-8");
	CHECK_INT(c.headers, 0);
	CHECK_INT(read_path("tests/data/rollout/bad-utf16.xml", &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "encoding", "encoding 'UTF-16' is not supported");
	CHECK_INT(read_str("<?xml version='1.0' encoding = 'GB18030' ?><rollout/>", &c, &errs, NULL),
		  GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 0, "encoding", "encoding 'GB18030' is not supported");
	static const char utf32[] = "\xff\xfe\0\0<\0\0\0";
	struct rollout_sink s = sink_for(&c);
	CHECK_INT(rollout_read_memory("x", utf32, sizeof utf32 - 1, NULL, &s, &errs), GS_ERR_INVALID);
	CHECK_ERROR(&errs, 1, 1, "encoding", "encoding 'UTF-32' is not supported");

	/* UTF-8 with a BOM, a lower-case declaration and Chinese text is fine */
	CHECK_INT(read_str("\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?>\n"
			   "<rollout xmlns='urn:gridscore:rollout:1' station='S' file-id='\xe4\xb8\xad\xe6\x96\x87' "
			   "generated-at='2026-05-01T00:00:00Z'><events><remove point='P' date='2026-05-01' "
			   "reason='\xe8\xa1\xa8\xe5\x9d\x8f'/></events></rollout>",
			   &c, &errs, NULL),
		  GS_OK);
	CHECK_STR(c.h.file_id, "\xe4\xb8\xad\xe6\x96\x87");
	CHECK_STR(c.rec[0], "REMOVE@2:111 point=P date=2026-05-01 reason=\xe8\xa1\xa8\xe5\x9d\x8f smart=-1");
}

static void test_sink_stops(void)
{
	struct collect c;
	struct rollout_errors errs;
	struct rollout_sink s = sink_for(&c);
	memset(&c, 0, sizeof c);
	c.stop_after = 2;
	c.fail_with = GS_ERR_DB;
	CHECK_INT(rollout_read_file("tests/data/rollout/native-good.xml", NULL, NULL, &s, &errs), GS_ERR_DB);
	CHECK_INT(c.n, 2);
	memset(&c, 0, sizeof c);
	c.header_fail = 1;
	CHECK_INT(rollout_read_file("tests/data/rollout/native-good.xml", NULL, NULL, &s, &errs), GS_ERR_DB);
	CHECK_INT(c.headers, 1);
	CHECK_INT(c.n, 0);
	/* no sink at all is fine */
	CHECK_INT(rollout_read_file("tests/data/rollout/native-good.xml", NULL, NULL, NULL, &errs), GS_OK);
	/* unreadable */
	CHECK_INT(rollout_read_file("tests/data/rollout/no-such-file.xml", "x.xml", NULL, &s, &errs), GS_ERR_IO);
	CHECK_ERROR(&errs, 0, 0, NULL, "cannot read x.xml");
}

static void test_file_cap(void)
{
	struct collect c;
	struct rollout_errors errs;
	char path[600];
	snprintf(path, sizeof path, "%s/big.xml", tmp_dir());
	const char *xml = NATIVE_OPEN "<inventory/></rollout>\n";
	write_file(path, xml, strlen(xml));
	struct rollout_limits lim;
	rollout_limits_default(&lim);
	CHECK_INT(read_path(path, &c, &errs, &lim), GS_OK);
	lim.max_file_bytes = strlen(xml) - 1;
	CHECK_INT(read_path(path, &c, &errs, &lim), GS_ERR_TOO_LARGE);
	CHECK_ERROR(&errs, 0, 0, NULL, "more than the limit");
	CHECK_INT(c.headers, 0);
	CHECK_INT(read_str(xml, &c, &errs, &lim), GS_ERR_TOO_LARGE);
	CHECK_ERROR(&errs, 0, 0, NULL, "more than the limit");
}

/* Records past line 65,535 keep their exact line (libxml2 2.9 caps element lines). */
static void test_big_lines(void)
{
	struct buf b;
	buf_init(&b, 16 << 20);
	buf_puts(&b, NATIVE_OPEN "<inventory>\n");
	for (int i = 0; i < 70000; i++)
		buf_printf(&b, "  <point code=\"P%d\" class=\"public\" since=\"2026-01-01\"/>\n", i);
	buf_puts(&b, "  <point code=\"bad code\" class=\"public\" since=\"2026-01-01\"/>\n</inventory></rollout>\n");
	struct collect c;
	struct rollout_errors errs;
	CHECK_INT(read_str(b.data, &c, &errs, NULL), GS_ERR_INVALID);
	CHECK_INT(c.n, 70001);
	CHECK_ERROR(&errs, 70004, 3, "code", "bad code");
	CHECK_INT(errs.total, 1);
	buf_free(&b);
}

struct thread_arg {
	int ok;
};

static void *read_in_thread(void *p)
{
	struct thread_arg *a = p;
	struct collect *c = xmalloc(sizeof *c);
	struct rollout_errors *errs = xmalloc(sizeof *errs);
	a->ok = 1;
	for (int i = 0; i < 20; i++) {
		const char *f = i % 2 ? "tests/data/rollout/native-good.xml" : "tests/data/rollout/meterconfig-request.xml";
		if (read_path(f, c, errs, NULL) != GS_OK || c->n != (i % 2 ? 8 : 4))
			a->ok = 0;
		if (read_path("tests/data/rollout/bad-utf8.xml", c, errs, NULL) != GS_ERR_INVALID || errs->total != 1)
			a->ok = 0;
	}
	free(c);
	free(errs);
	return NULL;
}

/* Imports run on the server's worker threads: readers side by side share only the schema. */
static void test_threads(void)
{
	pthread_t t[4];
	struct thread_arg a[4];
	for (int i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&t[i], NULL, read_in_thread, &a[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(a[i].ok);
	}
}

int main(void)
{
	xmlInitParser();
	test_local_day();
	test_native_good();
	test_native_schema();
	test_native_layout();
	test_bad_xml();
	test_iec_samples();
	test_iec_variants();
	test_iec_bad();
	test_hostile();
	test_encodings();
	test_sink_stops();
	test_file_cap();
	test_big_lines();
	test_threads();
	return check_finish("test_rollout");
}
