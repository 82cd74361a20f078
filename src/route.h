/* route.h — matching a request's method and path against a static route table.
 * Pure: no I/O. Patterns are literal segments and {name} placeholders, each
 * placeholder matching one non-empty segment ("/units/{code}"); a placeholder may
 * be followed by a literal suffix inside its segment ("/reports/{period}.csv"). */
#ifndef GS_ROUTE_H
#define GS_ROUTE_H

#include <stddef.h>

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 128 /* bytes in one captured segment */

struct route_match {
	size_t n_params;
	char params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1]; /* percent-decoded, in pattern order */
};

enum route_result {
	ROUTE_FOUND,            /* method and path match */
	ROUTE_METHOD_NOT_ALLOWED, /* the path matches some pattern, but not with this method */
	ROUTE_NOT_FOUND
};

/* A table is an array of patterns with methods; the caller keeps whatever else a
 * route needs in a parallel structure and uses the returned index. */
struct route_pattern {
	const char *method;  /* "GET", "POST" */
	const char *pattern;
};

/* Finds the first pattern matching method and path (path without query string).
 * *index receives the matched entry, *m its captured parameters. allowed (may be NULL)
 * receives a comma-separated Allow list when the result is ROUTE_METHOD_NOT_ALLOWED.
 * A captured segment that is too long, decodes to a '/', NUL or invalid escape does not match. */
enum route_result route_match(const struct route_pattern *table, size_t n, const char *method, const char *path,
			      size_t *index, struct route_match *m, char *allowed, size_t allowed_len);

#endif
