/* route.c — the router: walks the static table segment by segment. Tables are small
 * (tens of routes), so a linear scan beats any index and keeps the order meaningful. */
#include "route.h"

#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes seg[0..len) into out; 0 if the result is unusable as a parameter. */
static int decode_segment(const char *seg, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = seg[i];
		if (c == '%') {
			if (i + 2 >= len)
				return 0;
			int hi = hexval(seg[i + 1]), lo = hexval(seg[i + 2]);
			if (hi < 0 || lo < 0)
				return 0;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || c == '/' || o >= ROUTE_PARAM_MAX)
			return 0;
		out[o++] = c;
	}
	out[o] = '\0';
	return o > 0;
}

/* Matches one pattern against path; fills m on success. */
static int match_pattern(const char *pattern, const char *path, struct route_match *m)
{
	m->n_params = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (!close || m->n_params >= ROUTE_MAX_PARAMS)
				return 0;
			/* the literal that follows the placeholder within this segment */
			const char *lit = close + 1;
			size_t lit_len = strcspn(lit, "/");
			size_t seg_len = strcspn(s, "/");
			if (seg_len <= lit_len || memcmp(s + seg_len - lit_len, lit, lit_len) != 0)
				return 0;
			if (!decode_segment(s, seg_len - lit_len, m->params[m->n_params]))
				return 0;
			m->n_params++;
			p = lit + lit_len;
			s += seg_len;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

enum route_result route_match(const struct route_pattern *table, size_t n, const char *method, const char *path,
			      size_t *index, struct route_match *m, char *allowed, size_t allowed_len)
{
	struct route_match scratch;
	int path_seen = 0;
	if (allowed && allowed_len)
		allowed[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!match_pattern(table[i].pattern, path, &scratch))
			continue;
		int same = strcmp(table[i].method, method) == 0 ||
			   (strcmp(method, "HEAD") == 0 && strcmp(table[i].method, "GET") == 0);
		if (same) {
			*index = i;
			*m = scratch;
			return ROUTE_FOUND;
		}
		if (allowed && allowed_len && !strstr(allowed, table[i].method)) {
			size_t used = strlen(allowed);
			snprintf(allowed + used, allowed_len - used, "%s%s", used ? ", " : "", table[i].method);
		}
		path_seen = 1;
	}
	return path_seen ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}
