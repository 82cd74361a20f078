/* test_rollout.c — the rollout file reader: the native format (every record kind and
 * field, schema violations with line, column and field), IEC 61968-9 documents in every
 * envelope, hostile and broken input, the caps, the sink's say, and local days.
 * Fixtures in tests/data/rollout/; run from the source folder (ctest does). */
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

int main(void)
{
	xmlInitParser();
	test_local_day();
	test_native_good();
	test_native_schema();
	test_bad_xml();
	test_sink_stops();
	test_file_cap();
	return check_finish("test_rollout");
}
