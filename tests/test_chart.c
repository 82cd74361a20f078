/* test_chart.c — the SVG charts: every chart parses as well-formed XML (libxml2, no
 * network, no entities), labels are escaped, empty data and a single point render a
 * readable chart, no NaN or infinity reaches the markup, and the text alternative
 * (title, desc with the data, aria-labelledby) and the CSV link are there. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdlib.h>

#include "chart.h"
#include "check.h"

/* Parses the <svg> element of a rendered figure; returns 1 if well-formed and the root is svg. */
static int svg_ok(const char *html)
{
	const char *a = strstr(html, "<svg"), *z = strstr(html, "</svg>");
	if (!a || !z)
		return 0;
	xmlDocPtr doc = xmlReadMemory(a, (int)(z + 6 - a), "chart.svg", "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR |
								       XML_PARSE_NOWARNING);
	if (!doc)
		return 0;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int ok = root && xmlStrcmp(root->name, (const xmlChar *)"svg") == 0;
	/* the title and desc the aria-labelledby names */
	int title = 0, desc = 0;
	for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		title |= xmlStrcmp(n->name, (const xmlChar *)"title") == 0;
		desc |= xmlStrcmp(n->name, (const xmlChar *)"desc") == 0;
	}
	xmlFreeDoc(doc);
	return ok && title && desc;
}

static int finite_text(const char *s)
{
	return !strstr(s, "nan") && !strstr(s, "NaN") && !strstr(s, "inf") && !strstr(s, "Inf");
}

static void test_trend(void)
{
	struct chart_point pts[4] = {
		{.label = "2025-01", .value = 0.8, .lo = 0.75, .hi = 0.85, .has_band = 1},
		{.label = "2025-02", .missing = 1, .note = "too few <5"},
		{.label = "2025-03", .value = 0.82, .lo = 0.78, .hi = 0.86, .has_band = 1},
		{.label = "2025-04", .value = 0.9, .lo = 0.86, .hi = 0.93, .has_band = 1},
	};
	struct chart_trend t = {.meta = {.id = "sat trend", .title = "Rate & <trend>", .desc = "Monthly rate.",
					 .csv_href = "/units/T/satisfaction.csv?from=2025-01-01&to=2025-04-30"},
				.points = pts, .n = 4, .percent = 1, .has_target = 1, .target = 0.85, .target_label = "Goal"};
	struct buf b;
	buf_init(&b, 1 << 20);
	chart_trend(&b, &t);
	CHECK(!b.failed);
	CHECK(svg_ok(b.data));
	CHECK(finite_text(b.data));
	CHECK_CONTAINS(b.data, "Rate &amp; &lt;trend&gt;");
	CHECK(!strstr(b.data, "<trend>"));
	CHECK_CONTAINS(b.data, "too few &lt;5");
	CHECK_CONTAINS(b.data, "role=\"img\"");
	CHECK_CONTAINS(b.data, "aria-labelledby=\"sat-trend-t sat-trend-d\"");
	CHECK_CONTAINS(b.data, "2025-01: 80.0% (75.0%–85.0%)");
	CHECK_CONTAINS(b.data, "href=\"/units/T/satisfaction.csv?from=2025-01-01&amp;to=2025-04-30\"");
	CHECK_CONTAINS(b.data, "<polygon class=\"band\"");  /* the run of points 3 and 4 */
	CHECK_CONTAINS(b.data, "<line class=\"band\"");     /* point 1 alone: a whisker */
	CHECK_CONTAINS(b.data, "class=\"target\"");
	CHECK_CONTAINS(b.data, "Goal: 85.0%");
	buf_free(&b);

	/* single point */
	buf_init(&b, 1 << 20);
	struct chart_trend one = {.meta = {.id = "one", .title = "One"}, .points = pts, .n = 1, .percent = 1};
	chart_trend(&b, &one);
	CHECK(svg_ok(b.data));
	CHECK(finite_text(b.data));
	CHECK_CONTAINS(b.data, "<circle");
	CHECK(!strstr(b.data, "<polyline"));
	buf_free(&b);

	/* empty, and only missing points */
	buf_init(&b, 1 << 20);
	struct chart_trend none = {.meta = {.id = "none", .title = "None", .empty = "No responses"}, .n = 0};
	chart_trend(&b, &none);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "No responses");
	CHECK(!strstr(b.data, "<figcaption>None <a"));
	buf_reset(&b);
	struct chart_trend gap = {.meta = {.id = "gap", .title = "Gap"}, .points = pts + 1, .n = 1, .percent = 1};
	chart_trend(&b, &gap);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "No data");
	buf_free(&b);

	/* NaN and infinities in, none out */
	struct chart_point bad[3] = {{.label = "a", .value = NAN},
				     {.label = "b", .value = 0.5, .lo = -INFINITY, .hi = INFINITY, .has_band = 1},
				     {.label = "c", .value = INFINITY}};
	buf_init(&b, 1 << 20);
	struct chart_trend nan = {.meta = {.id = "bad", .title = "Bad numbers"}, .points = bad, .n = 3, .percent = 1,
				  .ymin = NAN, .ymax = NAN, .has_target = 1, .target = NAN};
	chart_trend(&b, &nan);
	CHECK(svg_ok(b.data));
	CHECK(finite_text(b.data));
	buf_free(&b);

	/* many points: labels thinned, still well-formed; counts (not percent) */
	struct chart_point many[36];
	char labels[36][8];
	for (int i = 0; i < 36; i++) {
		snprintf(labels[i], sizeof labels[i], "m%02d", i);
		many[i] = (struct chart_point){.label = labels[i], .value = i * 3.5};
	}
	buf_init(&b, 1 << 20);
	struct chart_trend big = {.meta = {.id = "big", .title = "Counts"}, .points = many, .n = 36};
	chart_trend(&b, &big);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "m35: 122.50");
	buf_free(&b);
}

static void test_bars(void)
{
	struct chart_bar bars[3] = {{.label = "一号 <所>", .value = 0.95, .href = "/units/S1?a=1&b=2"},
				    {.label = "Two \"quoted\"", .value = 0.40, .highlight = 1},
				    {.label = "Three", .value = NAN}};
	struct chart_bars c = {.meta = {.id = "bars", .title = "By station", .csv_href = "/x.csv"},
			       .bars = bars, .n = 3, .percent = 1, .highlight_note = "late"};
	struct buf b;
	buf_init(&b, 1 << 20);
	chart_bars(&b, &c);
	CHECK(svg_ok(b.data));
	CHECK(finite_text(b.data));
	CHECK_CONTAINS(b.data, "一号 &lt;所&gt;: 95.0%");
	CHECK_CONTAINS(b.data, "Two &quot;quoted&quot;: 40.0% (late)");
	CHECK_CONTAINS(b.data, "href=\"/units/S1?a=1&amp;b=2\"");
	/* links inside: a labelled group, not an image (an image role would hide the links) */
	CHECK_CONTAINS(b.data, "role=\"group\"");
	CHECK(strstr(b.data, "role=\"img\"") == NULL);
	CHECK_CONTAINS(b.data, "url(#bars-hatch)"); /* the highlighted bar is hatched, not only coloured */
	CHECK_CONTAINS(b.data, "Three: 0.0%");
	buf_reset(&b);
	struct chart_bars empty = {.meta = {.id = "e", .title = "Empty"}};
	chart_bars(&b, &empty);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "No data");
	buf_reset(&b);
	struct chart_bar counts[1] = {{.label = "n", .value = 7}};
	struct chart_bars one = {.meta = {.id = "o", .title = "One"}, .bars = counts, .n = 1};
	chart_bars(&b, &one);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "n: 7.");
	buf_free(&b);
}

static void test_progress(void)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	struct chart_progress p = {.meta = {.id = "cov", .title = "Coverage"}, .value = 0.873,
				   .value_text = "87.3% (873 of 1000) <ok>", .has_marker = 1, .marker = 0.9,
				   .marker_label = "Planned"};
	chart_progress(&b, &p);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "87.3% (873 of 1000) &lt;ok&gt;");
	CHECK_CONTAINS(b.data, "Planned 90.0%");
	CHECK_CONTAINS(b.data, "width=\"632.0\"");  /* the track */
	CHECK_CONTAINS(b.data, "width=\"551.7\"");  /* 87.3% of it */
	buf_reset(&b);
	struct chart_progress q = {.meta = {.id = "q", .title = "Q"}, .value = NAN};
	chart_progress(&b, &q);
	CHECK(svg_ok(b.data));
	CHECK(finite_text(b.data));
	CHECK_CONTAINS(b.data, "0.0%");
	buf_reset(&b);
	struct chart_progress over = {.meta = {.id = "o", .title = "O"}, .value = 1.7};
	chart_progress(&b, &over);
	CHECK_CONTAINS(b.data, "100.0%");
	buf_free(&b);
}

static void test_heatmap(void)
{
	const char *rows[2] = {"Mon", "Tue"};
	const char *cols[3] = {"08", "09", "<10>"};
	double v[6] = {0, 12, 3, NAN, 40, 1};
	unsigned char sup[6] = {0, 0, 1, 0, 0, 0};
	struct chart_heatmap h = {.meta = {.id = "hm", .title = "Hours", .csv_href = "/h.csv"},
				  .row_labels = rows, .rows = 2, .col_labels = cols, .cols = 3, .values = v,
				  .suppressed = sup, .suppressed_note = "fewer than 5"};
	struct buf b;
	buf_init(&b, 1 << 20);
	chart_heatmap(&b, &h);
	CHECK(svg_ok(b.data));
	CHECK(finite_text(b.data));
	CHECK_CONTAINS(b.data, "Mon: 09 12, &lt;10&gt; fewer than 5; Tue: 09 40, &lt;10&gt; 1.");
	CHECK_CONTAINS(b.data, "url(#hm-hatch)");
	CHECK_CONTAINS(b.data, ">40</text>");
	CHECK(!strstr(b.data, ">3</text>")); /* a suppressed count is never written */
	buf_reset(&b);
	double zero[6] = {0};
	struct chart_heatmap z = {.meta = {.id = "z", .title = "Z", .empty = "Nothing yet"}, .row_labels = rows,
				  .rows = 2, .col_labels = cols, .cols = 3, .values = zero};
	chart_heatmap(&b, &z);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "Nothing yet");
	buf_reset(&b);
	struct chart_heatmap n0 = {.meta = {.id = "n0", .title = "N0"}, .values = zero};
	chart_heatmap(&b, &n0);
	CHECK(svg_ok(b.data));
	buf_free(&b);
}

static void test_ids(void)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	struct chart_progress p = {.meta = {.id = "a\"b<c>", .title = "t"}, .value = 0.5};
	chart_progress(&b, &p);
	CHECK(svg_ok(b.data));
	CHECK_CONTAINS(b.data, "id=\"fig-a-b-c-\"");
	buf_free(&b);
}

int main(void)
{
	xmlInitParser();
	test_trend();
	test_bars();
	test_progress();
	test_heatmap();
	test_ids();
	xmlCleanupParser();
	return check_finish("test_chart");
}
