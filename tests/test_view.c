/* test_view.c — the escaping helper and that every page routes stored values through it. */
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
	return check_finish("test_view");
}
