/* fuzz_route.c — libFuzzer target for route matching (src/route.c): byte 0 picks the
 * method, the rest is the request path as libmicrohttpd hands it over. Matched against
 * the server's real route table and a table of awkward patterns; checks what route.h
 * promises of a match (HEAD is served by GET routes; parameter count, length, no '/' or NUL in a captured segment, an
 * Allow list for 405). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t placeholders(const char *pattern)
{
	size_t n = 0;
	for (const char *p = pattern; *p; p++)
		n += *p == '{';
	return n;
}

static void check(const struct route_pattern *table, size_t n, const char *method, const char *path)
{
	size_t idx = (size_t)-1;
	struct route_match m;
	char allowed[64];
	memset(&m, 0xa5, sizeof m);
	allowed[0] = '\0';
	enum route_result r = route_match(table, n, method, path, &idx, &m, allowed, sizeof allowed);
	if (r == ROUTE_FOUND) {
		int same = idx < n && (strcmp(table[idx].method, method) == 0 ||
				       (strcmp(method, "HEAD") == 0 && strcmp(table[idx].method, "GET") == 0));
		if (!same || m.n_params != placeholders(table[idx].pattern))
			abort();
		for (size_t i = 0; i < m.n_params; i++) {
			size_t len = strnlen(m.params[i], sizeof m.params[i]);
			if (len == 0 || len > ROUTE_PARAM_MAX || memchr(m.params[i], '/', len))
				abort();
		}
	} else if (r == ROUTE_METHOD_NOT_ALLOWED) {
		if (!allowed[0] || strnlen(allowed, sizeof allowed) == sizeof allowed)
			abort();
	} else if (r != ROUTE_NOT_FOUND) {
		abort();
	}
	/* A NULL Allow buffer is allowed too. */
	if (route_match(table, n, method, path, &idx, &m, NULL, 0) != r)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "", "get"};
	const char *method = methods[data[0] % 8];
	char *path = malloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';

	size_t n = 0;
	const struct http_route *routes = web_routes(&n);
	struct route_pattern *table = calloc(n, sizeof *table);
	for (size_t i = 0; i < n; i++) {
		table[i].method = routes[i].method;
		table[i].pattern = routes[i].pattern;
	}
	check(table, n, method, path);
	free(table);

	static const struct route_pattern odd[] = {
		{"GET", "/"},
		{"GET", "/reports/{period}.csv"},
		{"GET", "/reports/{period}.html"},
		{"POST", "/a/{x}/b/{y}/c/{z}/d/{w}"},
		{"GET", "/{a}"},
		{"PUT", "/x/{p}.tar.gz"},
	};
	check(odd, sizeof odd / sizeof odd[0], method, path);
	free(path);
	return 0;
}
