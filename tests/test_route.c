/* test_route.c — the router: literals, placeholders, suffixes, 404 versus 405, decoding. */
#include "check.h"
#include "route.h"

static const struct route_pattern table[] = {
	{"GET", "/"},
	{"GET", "/healthz"},
	{"GET", "/units/{code}"},
	{"GET", "/halls/{code}/poster"},
	{"POST", "/login"},
	{"GET", "/login"},
	{"GET", "/reports/{period}.csv"},
	{"GET", "/reports/{period}.html"},
	{"POST", "/api/v1/halls/{code}/tickets"},
};
#define N (sizeof table / sizeof table[0])

int main(void)
{
	size_t i = 99;
	struct route_match m;
	char allowed[64];
	CHECK_INT(route_match(table, N, "GET", "/", &i, &m, allowed, sizeof allowed), ROUTE_FOUND);
	CHECK_INT(i, 0);
	CHECK_INT(m.n_params, 0);
	CHECK_INT(route_match(table, N, "GET", "/healthz", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(i, 1);
	CHECK_INT(route_match(table, N, "HEAD", "/healthz", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/healthz/", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/units/QH-S01", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(i, 2);
	CHECK_STR(m.params[0], "QH-S01");
	CHECK_INT(route_match(table, N, "GET", "/units/", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/units/a/b", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/units/a%2Fb", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/units/a%00b", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/units/a%4", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/units/a%zz", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/units/%41b", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_STR(m.params[0], "Ab");
	CHECK_INT(route_match(table, N, "GET", "/halls/H1/poster", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(i, 3);
	CHECK_STR(m.params[0], "H1");
	CHECK_INT(route_match(table, N, "POST", "/login", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(i, 4);
	CHECK_INT(route_match(table, N, "GET", "/login", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(i, 5);
	CHECK_INT(route_match(table, N, "DELETE", "/login", &i, &m, allowed, sizeof allowed), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_STR(allowed, "POST, GET");
	CHECK_INT(route_match(table, N, "POST", "/healthz", &i, &m, allowed, sizeof allowed), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_STR(allowed, "GET");
	CHECK_INT(route_match(table, N, "GET", "/reports/2026Q3.csv", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(i, 6);
	CHECK_STR(m.params[0], "2026Q3");
	CHECK_INT(route_match(table, N, "GET", "/reports/2026.html", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_INT(i, 7);
	CHECK_STR(m.params[0], "2026");
	CHECK_INT(route_match(table, N, "GET", "/reports/.csv", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/reports/2026.pdf", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "POST", "/api/v1/halls/QH-H01/tickets", &i, &m, NULL, 0), ROUTE_FOUND);
	CHECK_STR(m.params[0], "QH-H01");
	/* an over-long segment does not match */
	char longpath[400] = "/units/";
	memset(longpath + 7, 'a', 300);
	longpath[307] = '\0';
	CHECK_INT(route_match(table, N, "GET", longpath, &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	CHECK_INT(route_match(table, N, "GET", "/nothing", &i, &m, NULL, 0), ROUTE_NOT_FOUND);
	return check_finish("test_route");
}
