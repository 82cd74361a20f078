/* test_view.c — the escaping helper and that every page routes stored values through it;
 * the CSV field writers (formula defusing and RFC 4180 quoting) with known answers. */
#include <stdlib.h>

#include "check.h"
#include "view.h"

static char *esc(const char *s)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	view_esc(&b, s);
	return buf_steal(&b, NULL);
}

static void test_escape(void)
{
	char *s;
	CHECK_STR(s = esc("plain 非常好"), "plain 非常好");
	free(s);
	CHECK_STR(s = esc("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	free(s);
	CHECK_STR(s = esc("a&b\"c"), "a&amp;b&quot;c");
	free(s);
	CHECK_STR(s = esc("&amp;"), "&amp;amp;");
	free(s);
	CHECK_STR(s = esc(""), "");
	free(s);
	struct buf b;
	buf_init(&b, 1024);
	view_esc(&b, NULL);
	CHECK_INT(b.len, 0);
	view_url_segment(&b, "QH-S01 /?&");
	CHECK_STR(b.data, "QH-S01%20%2F%3F%26");
	buf_free(&b);
}

static void test_pages_escape(void)
{
	struct view_ctx v = {.lang = "zh", .login = "<u>", .role = "admin", .csrf = "tok\"en", .path = "/\"x"};
	struct org_unit units[2] = {
		{.id = 1, .code = "C", .name = "<b>公司</b>", .kind = "company", .depth = 0},
		{.id = 2, .code = "S\"1", .name = "所&", .kind = "station", .parent_id = 1, .parent_code = "C", .depth = 1},
	};
	struct org_hall halls[1] = {{.id = 1,
				     .code = "H<1>",
				     .name = "厅<img src=x onerror=alert(1)>",
				     .station_id = 2,
				     .station_code = "S\"1",
				     .station_name = "所&",
				     .active = 1}};
	struct buf b;
	buf_init(&b, 1 << 20);
	view_dashboard(&b, &v, units, 2, halls, 1, NULL);
	CHECK(!b.failed);
	CHECK_CONTAINS(b.data, "&lt;b&gt;公司&lt;/b&gt;");
	CHECK_CONTAINS(b.data, "厅&lt;img src=x onerror=alert(1)&gt;");
	CHECK_CONTAINS(b.data, "href=\"/units/S%221\"");
	CHECK_CONTAINS(b.data, "href=\"/halls/H%3C1%3E\"");
	CHECK_CONTAINS(b.data, "value=\"tok&quot;en\"");
	CHECK_CONTAINS(b.data, "&lt;u&gt;");
	CHECK(strstr(b.data, "<img") == NULL);
	CHECK(strstr(b.data, "<b>") == NULL);
	CHECK(strstr(b.data, "<script") == NULL);
	/* the nested list is balanced */
	size_t open = 0, close = 0;
	for (const char *p = b.data; (p = strstr(p, "<ul class=\"tree\">")); p++)
		open++;
	for (const char *p = b.data; (p = strstr(p, "</ul>")); p++)
		close++;
	CHECK_INT(open, 2);
	CHECK(close >= open);
	buf_reset(&b);

	view_login(&b, &v, "c\"s", "<login>", "/units/\"x", "错误<b>");
	CHECK_CONTAINS(b.data, "value=\"c&quot;s\"");
	CHECK_CONTAINS(b.data, "value=\"&lt;login&gt;\"");
	CHECK_CONTAINS(b.data, "错误&lt;b&gt;");
	CHECK_CONTAINS(b.data, "value=\"/units/&quot;x\"");
	buf_reset(&b);

	v.lang = "en";
	view_error(&b, &v, 404, "no unit '<x>'");
	CHECK_CONTAINS(b.data, "no unit &#39;&lt;x&gt;&#39;");
	CHECK_CONTAINS(b.data, "Error 404");
	CHECK_CONTAINS(b.data, "lang=\"en\"");
	buf_free(&b);
}

static char *csv(const char *s)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	view_csv_text(&b, s);
	buf_putc(&b, '\0');
	return buf_steal(&b, NULL);
}

#define CHECK_CSV(in, want)                                                                                            \
	do {                                                                                                           \
		char *check_csv_ = csv(in);                                                                            \
		CHECK_STR(check_csv_, want);                                                                           \
		free(check_csv_);                                                                                      \
	} while (0)

/* docs/SECURITY.md item 15: text a spreadsheet would run as a formula gets a leading ',
 * then RFC 4180 quoting; numbers the program writes stay numbers. */
static void test_csv(void)
{
	/* formula starts, each defused */
	CHECK_CSV("-1+2", "'-1+2");
	CHECK_CSV("=1", "'=1");
	CHECK_CSV("+1", "'+1");
	CHECK_CSV("@x", "'@x");
	CHECK_CSV("-", "'-");
	CHECK_CSV("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	CHECK_CSV("\t=1", "\"'\t=1\"");
	CHECK_CSV("\r=1", "\"'\r=1\"");
	CHECK_CSV("\n=1", "\"'\n=1\"");
	CHECK_CSV("  =1", "\"'  =1\""); /* after spaces, which an import may trim */
	CHECK_CSV("=1,2", "\"'=1,2\"");
	/* fullwidth ＝ ＋ － ＠ as typed by a Chinese input method */
	CHECK_CSV("＝1+2", "'＝1+2");
	CHECK_CSV("＋1", "'＋1");
	CHECK_CSV("－1", "'－1");
	CHECK_CSV("＠x", "'＠x");
	/* only the start counts */
	CHECK_CSV("1-2", "1-2");
	CHECK_CSV("a=b", "a=b");
	CHECK_CSV("很好 =1", "很好 =1");
	CHECK_CSV("QH-S01", "QH-S01");
	CHECK_CSV("（－）", "（－）"); /* a fullwidth parenthesis shares the first two bytes */
	/* RFC 4180 quoting */
	CHECK_CSV("a,b", "\"a,b\"");
	CHECK_CSV("a\"b", "\"a\"\"b\"");
	CHECK_CSV("\"", "\"\"\"\"");
	CHECK_CSV("line\r\nbreak", "\"line\r\nbreak\"");
	CHECK_CSV("a\tb", "\"a\tb\"");
	CHECK_CSV(" lead", "\" lead\"");
	CHECK_CSV("trail ", "\"trail \"");
	CHECK_CSV("plain text", "plain text");
	CHECK_CSV("", "");
	CHECK_CSV(NULL, "");
	CHECK_CSV("排队时间太长，但服务很好", "排队时间太长，但服务很好"); /* a fullwidth comma is no separator */
	CHECK_CSV("城关供电所", "城关供电所");
	CHECK_CSV("{\"rating\":\"5\"}", "\"{\"\"rating\"\":\"\"5\"\"}\"");

	/* numbers the program formats: as they are, a minus sign included */
	struct buf b;
	buf_init(&b, 1024);
	view_csv_num(&b, 1, -2.5, 2);
	buf_putc(&b, ',');
	view_csv_num(&b, 1, 0.81512, 4);
	buf_putc(&b, ',');
	view_csv_num(&b, 0, 99.0, 2); /* no value: an empty field */
	buf_putc(&b, ',');
	view_csv_num(&b, 1, -3.0, 2);
	buf_putc(&b, '\0');
	CHECK_STR(b.data, "-2.50,0.8151,,-3.00");
	buf_free(&b);
}

static void test_cap(void)
{
	struct view_ctx v = {.lang = "zh", .csrf = "", .path = "/"};
	struct buf b;
	buf_init(&b, 100); /* far too small for a page */
	view_error(&b, &v, 500, "x");
	CHECK(b.failed);
	CHECK(b.len <= 100);
	buf_free(&b);
}

int main(void)
{
	test_escape();
	test_pages_escape();
	test_cap();
	test_csv();
	return check_finish("test_view");
}
