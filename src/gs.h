/* gs.h — project-wide result codes.
 * Every fallible function returns enum gs_result and hands results back through
 * out-parameters; the one mapping to HTTP statuses lives in http.c. */
#ifndef GS_H
#define GS_H

enum gs_result {
	GS_OK = 0,
	GS_ERR_INVALID,      /* input rejected: malformed, schema-invalid, bad field */
	GS_ERR_NOT_FOUND,    /* no such unit, hall, user, route */
	GS_ERR_CONFLICT,     /* uniqueness or state conflict */
	GS_ERR_TOO_LARGE,    /* a size cap was exceeded */
	GS_ERR_FORBIDDEN,    /* authenticated but not allowed (role, scope, CSRF) */
	GS_ERR_UNAUTHORIZED, /* not authenticated, bad password or token */
	GS_ERR_RATE_LIMITED, /* too many attempts */
	GS_ERR_IO,           /* file system or network I/O failed */
	GS_ERR_DB,           /* SQLite failed (message logged where it happened) */
	GS_ERR_BUSY,         /* storage busy or full: try again later */
	GS_ERR_VERSION,      /* database schema newer than this binary */
	GS_ERR_INTERNAL      /* a bug: an invariant did not hold */
};

/* A short English name of a result, for logs and messages. Never NULL. */
const char *gs_result_str(enum gs_result r);

#endif
