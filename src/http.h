/* http.h — the HTTP server core on libmicrohttpd: a static route table, per-request
 * state, body limits and form parsing, sessions, bearer tokens and CSRF checks, security
 * headers, the access log, and a clean stop. Handlers (web.c) receive a parsed request
 * and fill a response; they never see libmicrohttpd. */
#ifndef GS_HTTP_H
#define GS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "form.h"
#include "gs.h"
#include "route.h"
#include "util.h"

struct http_request;
struct http_response;
struct http_server;

typedef enum gs_result (*http_handler)(struct http_request *req, struct http_response *res);

enum http_route_flags {
	HTTP_LOGIN = 1,       /* needs a session (or, with HTTP_API, a bearer token) */
	HTTP_API = 2,         /* JSON errors; accepts Authorization: Bearer */
	HTTP_CSRF = 4,        /* state change: a session caller must send the form's _csrf token */
	HTTP_FORM = 8,        /* the body is a urlencoded or multipart form, parsed before the handler */
	HTTP_RAW = 16,        /* the body is kept raw in req->body (e.g. an XML document) */
	HTTP_REDACT = 32,     /* the path holds a secret: log the pattern, not the path */
	HTTP_NO_TOKEN = 64,   /* with HTTP_API: bearer tokens are not accepted here */
	HTTP_UPLOAD = 128     /* the body is a file, streamed to a temporary file (req->upload), never
			       * held in memory: multipart/form-data (one file part, small text fields
			       * kept in req->form) or a raw XML body. The cap is the server's
			       * max_upload, not body_limit. The caller is authenticated before the
			       * body is read; a session caller's CSRF token (X-CSRF-Token header or a
			       * _csrf field before the file part) is checked before the file is stored. */
};

struct http_route {
	const char *method;
	const char *pattern;     /* see route.h */
	int flags;               /* enum http_route_flags */
	enum auth_role min_role; /* with HTTP_LOGIN: the least role allowed */
	size_t body_limit;       /* bytes; 0 = no body accepted (HTTP_UPLOAD: see http_config.max_upload) */
	http_handler handler;
};

/* Server-wide settings, fixed at start. Strings are copied. */
struct http_config {
	const char *listen;          /* "127.0.0.1:8080", "[::1]:0" (0: any free port) */
	const char *db_path;
	const char *base_url;        /* public URL prefix, e.g. "http://127.0.0.1:8080"; NULL: from listen */
	unsigned threads;            /* worker threads, each with its own SQLite connection */
	unsigned max_connections;    /* open connections served; a connection accepted beyond it gets a
				      * quick 503 with Retry-After and is closed (0: 1024). A quarter more
				      * (at least 16) are accepted for those answers; beyond that, new
				      * connections are closed at accept without an answer. */
	unsigned max_inflight;       /* requests between their headers and the end of their response
				      * (bodies arriving, handlers, responses being sent); beyond it new
				      * requests get a quick 503 (0: 256). GET /healthz is never refused. */
	unsigned max_per_ip;         /* connections from one address, refused at accept (0: 512) */
	unsigned timeout_s;          /* idle connection timeout */
	void *app;                   /* handlers' shared state, returned by http_app() */
	uint64_t max_upload;         /* cap on an HTTP_UPLOAD body in bytes; 0: HTTP_UPLOAD_DEFAULT */
	const char *upload_dir;      /* where uploads are spooled; NULL: $TMPDIR, else /tmp */
};

#define HTTP_UPLOAD_DEFAULT (1024ull * 1024 * 1024)

/* The file of an HTTP_UPLOAD request, on disk for the duration of the handler call
 * (the server deletes it when the request ends). */
struct http_upload {
	const char *path;          /* the temporary file, complete and closed */
	const char *name;          /* the client's file name, sanitised: no folders, no control
				    * characters, valid UTF-8, at most 120 bytes; "upload.xml" if none */
	const char *content_type;  /* the part's or the body's media type, "" if none */
	uint64_t size;             /* bytes */
};

/* What a handler sees. Everything is borrowed for the duration of the call. */
struct http_request {
	const char *method;
	const char *path;                 /* percent-decoded by libmicrohttpd, no query */
	const struct http_route *route;
	struct route_match match;         /* captured {params} */
	struct form_parser *form;         /* HTTP_FORM routes: the parsed body, else NULL */
	const char *body;                 /* HTTP_RAW routes: the body (NUL-terminated), else NULL */
	size_t body_len;
	const struct http_upload *upload; /* HTTP_UPLOAD routes: the file, NULL when none was sent */
	struct db *db;                    /* this thread's connection */
	int logged_in;                    /* a session or a bearer token authenticated the caller */
	struct auth_user user;            /* when logged in by session */
	int by_token;                     /* logged in by a bearer token */
	struct auth_token token;          /* when by_token */
	char session_id[AUTH_TOKEN_LEN + 1]; /* "" unless logged in by session */
	char csrf[AUTH_TOKEN_LEN + 1];    /* the CSRF token forms on this page must carry */
	const char *lang;                 /* "zh" (default) or "en" */
	const char *client_ip;            /* textual peer address */
	struct http_server *server;
	void *conn;                       /* opaque, for http_query / http_header / http_cookie */
	void *state;                      /* opaque, for http_defer */
};

#define HTTP_MAX_EXTRA_HEADERS 6

/* What a handler fills. The body buffer is pre-initialised with a cap. */
struct http_response {
	int status;                       /* default 200 */
	const char *content_type;         /* default "text/html; charset=utf-8" */
	struct buf body;
	char *location;                   /* owned; set by http_redirect */
	char *error;                      /* owned; message for the error page when returning an error */
	size_t n_headers;
	char *header_names[HTTP_MAX_EXTRA_HEADERS];   /* owned */
	char *header_values[HTTP_MAX_EXTRA_HEADERS];  /* owned */
	int cacheable;                    /* 1: static content, may be cached */
};

/* Starts listening. The route table must outlive the server. err receives a message. */
enum gs_result http_server_start(const struct http_config *cfg, const struct http_route *routes, size_t n_routes,
				 struct http_server **out, char *err, size_t errlen);
/* The bound port (useful with port 0). */
unsigned http_server_port(const struct http_server *s);
/* Stops accepting, lets in-flight requests finish (up to a few seconds), closes the
 * per-thread connections and checkpoints the WAL. Frees s. NULL is a no-op. */
void http_server_stop(struct http_server *s);

/* The cap on upload bodies (http_config.max_upload), for handlers that pass it on. */
uint64_t http_max_upload(const struct http_request *req);

/* The app pointer given in http_config, and the configured base URL (no trailing /). */
void *http_app(const struct http_request *req);
const char *http_base_url(const struct http_request *req);

/* Request accessors (NULL when absent). Values are borrowed for the call. */
const char *http_query(const struct http_request *req, const char *name);
const char *http_header(const struct http_request *req, const char *name);
const char *http_cookie(const struct http_request *req, const char *name);

/* Response helpers. */
void http_redirect(struct http_response *res, int status, const char *location);
void http_add_header(struct http_response *res, const char *name, const char *value);
/* Adds a Set-Cookie with HttpOnly, SameSite=Strict, Path=/ (and Secure for an https
 * base URL). max_age < 0 deletes the cookie. */
void http_set_cookie(struct http_request *req, struct http_response *res, const char *name, const char *value,
		     long max_age);
/* Fails the request with result r and a message for the user (shown on the error page or
 * as {"error": ...}). Returns r, so handlers can `return http_fail(res, GS_ERR_..., "...")`. */
enum gs_result http_fail(struct http_response *res, enum gs_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Deferred responses. A handler whose work is done by another thread (the survey
 * write queue) calls http_defer and returns GS_OK without filling res (whatever it put
 * there is dropped). The connection then waits for http_resume, holding no server
 * thread, so the server goes on reading other requests meanwhile. After http_resume(d),
 * called once from any thread (even before the handler has returned), fn(req, res, ctx)
 * runs on a server thread with a request like the handler's (same route, captured
 * params, parsed form, language and caller; req->db this thread's connection) and a
 * fresh res, and fills the response exactly as a handler would (its result is mapped
 * the same way). Should the connection be closed while waiting (the server stopping),
 * http_resume calls fn(NULL, NULL, ctx) instead, so that fn frees ctx. ctx belongs to
 * the caller; fn is its last user. A deferred request counts as in flight until its
 * response is sent, so a stop waits for it. */
typedef enum gs_result (*http_resume_fn)(struct http_request *req, struct http_response *res, void *ctx);
struct http_deferred;
/* Call at most once per request, from the handler. The handle is valid until http_resume. */
struct http_deferred *http_defer(struct http_request *req, http_resume_fn fn, void *ctx);
void http_resume(struct http_deferred *d);

/* The one mapping from results to HTTP statuses. */
int http_status_for(enum gs_result r);

/* Rate limiting of login attempts, shared by all threads (owned by the server). */
struct ratelimit *http_login_limiter_user(struct http_request *req);
struct ratelimit *http_login_limiter_ip(struct http_request *req);

/* The server's CSRF key (32 bytes). */
const unsigned char *http_csrf_key(const struct http_request *req);

/* Renders an error page into res for status and message (used for 404s and failures;
 * web.c provides it so the page has the site layout). */
void web_error_page(struct http_request *req, struct http_response *res, int status, const char *message);

#endif
