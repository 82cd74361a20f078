/* http.c — the server core on libmicrohttpd. libmicrohttpd calls the access handler
 * several times per request: headers first, then body chunks, then a final call; the
 * request state lives in the connection closure and is freed in the completion
 * callback, which also writes the access log line. */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ratelimit.h"

#define HTTP_MAX_URL 2048                /* bytes of path; longer: 414 */
#define HTTP_PAGE_MAX (8u * 1024 * 1024) /* cap on a rendered response */
#define HTTP_CONN_MEMORY (16 * 1024)     /* request line + headers must fit (MHD zeroes it per request) */
#define HTTP_MAX_DBS 256
#define HTTP_DRAIN_MS 10000                   /* how long a stop waits for in-flight requests */
#define HTTP_UPLOAD_DRAIN (16u * 1024 * 1024) /* bytes read past a refused upload's cap before hanging up */
#define HTTP_MAX_CONNECTIONS 1024             /* default of http_config.max_connections */
#define HTTP_MAX_INFLIGHT 256                 /* default of http_config.max_inflight */
#define HTTP_MAX_PER_IP 512                   /* default of http_config.max_per_ip */
#define HTTP_RETRY_AFTER "2"                  /* seconds, in the Retry-After of an overload 503 */
#define HTTP_HEALTH_PATH "/healthz"           /* never refused for overload: it costs nothing */

struct http_server {
	struct MHD_Daemon *daemon;
	const struct http_route *routes;
	size_t n_routes;
	struct route_pattern *patterns;
	char *db_path;
	char *base_url;
	void *app;
	uint64_t max_upload;
	char *upload_dir;
	int secure_cookies;
	unsigned port;
	unsigned char csrf_key[32];
	struct ratelimit *login_user, *login_ip;
	atomic_long in_flight;       /* request states alive (all of them: a stop waits for these) */
	/* Overload: connections beyond max_connections and requests beyond max_inflight are
	 * answered 503 at once, so a queue never builds up behind the workers. */
	unsigned max_connections, max_inflight;
	atomic_long open_conns;      /* accepted and not yet closed */
	atomic_long admitted;        /* requests past admission and not yet completed */
	atomic_long shed;            /* overload 503s since the last warning */
	_Atomic int64_t shed_warned_us;/* when the last overload warning was logged */
	pthread_mutex_t dbs_lock;
	struct db *dbs[HTTP_MAX_DBS];
	size_t n_dbs;
};

/* Per-request state, in libmicrohttpd's connection closure. */
struct http_state {
	int64_t start_us;
	int early_status;            /* set on the first call: answer this without running a handler */
	enum gs_result body_err;     /* the body broke a limit or did not parse */
	const struct http_route *route;
	struct route_match match;
	struct form_parser *form;
	struct buf raw;
	size_t body_seen;
	char allowed[64];
	int status;
	size_t bytes;
	char method[16];
	char *log_path;
	char *body_msg;              /* what the body's fault was, when the upload code knows better */
	int admitted;                /* counted in server->admitted */
	/* HTTP_UPLOAD routes: the file goes to a temporary file as it arrives. */
	struct http_server *server;
	struct MHD_Connection *conn;
	int up_raw;                  /* the body is the file (else multipart: st->form) */
	int up_session;              /* the caller is a session (not a token): CSRF applies */
	char up_session_id[AUTH_TOKEN_LEN + 1];
	FILE *up_fp;                 /* open while the file is being written */
	char *up_path;               /* the temporary file; unlinked in on_completed */
	char *up_name, *up_ctype;
	uint64_t up_size;
	int up_have;                 /* a file was received (possibly empty) */
	int up_in_part;              /* inside a multipart file part */
	struct http_upload upload;
	/* http_defer: the continuation, and where the request is (enum defer_state). */
	http_resume_fn defer_fn;
	void *defer_ctx;
	_Atomic int defer;
};

/* A deferred request's way: the handler defers (PENDING), then either the handler
 * returns first and the connection is suspended (WAITING) until http_resume makes it
 * READY and resumes it, or http_resume comes first (READY) and the handler's return
 * resumes at once. A connection closed while WAITING is ORPHANED: http_resume then frees
 * the state. Every transition is one atomic exchange, so exactly one side acts. */
enum defer_state { DEFER_NONE, DEFER_PENDING, DEFER_WAITING, DEFER_READY, DEFER_ORPHANED };

/* Each worker thread opens its own SQLite connection on first use. */
static _Thread_local struct db *tls_db;
static _Thread_local const struct http_server *tls_db_owner;

static struct db *thread_db(struct http_server *s)
{
	if (tls_db && tls_db_owner == s)
		return tls_db;
	struct db *db = NULL;
	char err[512];
	if (db_open(s->db_path, 0, &db, err, sizeof err) != GS_OK) {
		log_error("%s", err);
		return NULL;
	}
	pthread_mutex_lock(&s->dbs_lock);
	if (s->n_dbs == HTTP_MAX_DBS) {
		pthread_mutex_unlock(&s->dbs_lock);
		db_close(db);
		log_error("too many database connections");
		return NULL;
	}
	s->dbs[s->n_dbs++] = db;
	pthread_mutex_unlock(&s->dbs_lock);
	tls_db = db;
	tls_db_owner = s;
	return db;
}

int http_status_for(enum gs_result r)
{
	switch (r) {
	case GS_OK: return 200;
	case GS_ERR_INVALID: return 400;
	case GS_ERR_NOT_FOUND: return 404;
	case GS_ERR_CONFLICT: return 409;
	case GS_ERR_TOO_LARGE: return 413;
	case GS_ERR_FORBIDDEN: return 403;
	case GS_ERR_UNAUTHORIZED: return 401;
	case GS_ERR_RATE_LIMITED: return 429;
	case GS_ERR_BUSY: return 503;
	case GS_ERR_IO:
	case GS_ERR_DB:
	case GS_ERR_VERSION:
	case GS_ERR_INTERNAL: return 500;
	}
	return 500;
}

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "Bad request";
	case 401: return "Login required";
	case 403: return "Forbidden";
	case 404: return "Not found";
	case 405: return "Method not allowed";
	case 409: return "Conflict";
	case 413: return "Request too large";
	case 414: return "URL too long";
	case 415: return "Unsupported media type";
	case 429: return "Too many requests";
	case 503: return "Service unavailable";
	default: return "Internal error";
	}
}

void *http_app(const struct http_request *req)
{
	return req->server->app;
}

const char *http_base_url(const struct http_request *req)
{
	return req->server->base_url;
}

uint64_t http_max_upload(const struct http_request *req)
{
	return req->server->max_upload;
}

const unsigned char *http_csrf_key(const struct http_request *req)
{
	return req->server->csrf_key;
}

struct ratelimit *http_login_limiter_user(struct http_request *req)
{
	return req->server->login_user;
}

struct ratelimit *http_login_limiter_ip(struct http_request *req)
{
	return req->server->login_ip;
}

const char *http_query(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void http_add_header(struct http_response *res, const char *name, const char *value)
{
	if (res->n_headers == HTTP_MAX_EXTRA_HEADERS) {
		log_error("too many response headers; dropped %s", name);
		return;
	}
	res->header_names[res->n_headers] = xstrdup(name);
	res->header_values[res->n_headers] = xstrdup(value);
	res->n_headers++;
}

void http_redirect(struct http_response *res, int status, const char *location)
{
	free(res->location);
	res->location = xstrdup(location);
	res->status = status;
}

void http_set_cookie(struct http_request *req, struct http_response *res, const char *name, const char *value,
		     long max_age)
{
	char *c = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", name, max_age < 0 ? "" : value,
			    max_age < 0 ? 0L : max_age, req->server->secure_cookies ? "; Secure" : "");
	http_add_header(res, "Set-Cookie", c);
	free(c);
}

enum gs_result http_fail(struct http_response *res, enum gs_result r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(res->error);
	if (vasprintf(&res->error, fmt, ap) < 0)
		res->error = NULL;
	va_end(ap);
	return r;
}

static void response_clear(struct http_response *res)
{
	buf_free(&res->body);
	free(res->location);
	free(res->error);
	for (size_t i = 0; i < res->n_headers; i++) {
		free(res->header_names[i]);
		free(res->header_values[i]);
	}
}

/* Every response carries these; no inline script or style is ever needed. */
static void add_security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
				"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

static void json_error_body(struct http_response *res, const char *msg)
{
	buf_reset(&res->body);
	res->body.failed = 0;
	buf_puts(&res->body, "{\"error\":\"");
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(&res->body, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(&res->body, "\\u%04x", *p);
		else
			buf_putc(&res->body, (char)*p);
	}
	buf_puts(&res->body, "\"}\n");
	res->content_type = "application/json";
}

/* Turns a status + message into the body the route's kind of client expects. */
static void render_error(struct http_request *req, struct http_response *res, int status, const char *msg)
{
	res->status = status;
	if (!msg || !*msg)
		msg = status_text(status);
	if (req->route && (req->route->flags & HTTP_API)) {
		json_error_body(res, msg);
	} else {
		buf_reset(&res->body);
		res->body.failed = 0;
		res->content_type = "text/html; charset=utf-8";
		web_error_page(req, res, status, msg);
	}
}

/* Redirects without a body or extra headers (a stored survey answered 303 to its
 * thank-you page) are the same response every time: each server thread keeps the last
 * few built, and libmicrohttpd's reference count lets one be queued on many
 * connections. Building one (the response and its eight headers) showed in the
 * submit profile. Freed when the thread ends. */
#define REDIRECT_CACHE_SLOTS 8
#define REDIRECT_CACHE_LOCATION 256
struct redirect_cache {
	struct {
		int status;
		const char *content_type;
		char location[REDIRECT_CACHE_LOCATION];
		struct MHD_Response *r;
	} slot[REDIRECT_CACHE_SLOTS];
	unsigned next;
};
static _Thread_local struct redirect_cache *redirect_cache;
static pthread_key_t redirect_cache_key;
static pthread_once_t redirect_cache_once = PTHREAD_ONCE_INIT;

static void redirect_cache_free(void *p)
{
	struct redirect_cache *c = p;
	for (unsigned i = 0; i < REDIRECT_CACHE_SLOTS; i++)
		if (c->slot[i].r)
			MHD_destroy_response(c->slot[i].r);
	free(c);
}

static void redirect_cache_init(void)
{
	if (pthread_key_create(&redirect_cache_key, redirect_cache_free) != 0)
		abort();
}

static struct MHD_Response *response_build(struct http_response *res, char *body, size_t len);

/* The shared response for res (a redirect as above), or NULL when res is not one. */
static struct MHD_Response *redirect_cached(struct http_response *res)
{
	if (!res->location || res->body.len || res->n_headers || res->cacheable ||
	    strlen(res->location) >= REDIRECT_CACHE_LOCATION)
		return NULL;
	struct redirect_cache *c = redirect_cache;
	if (!c) {
		pthread_once(&redirect_cache_once, redirect_cache_init);
		c = xcalloc(1, sizeof *c);
		redirect_cache = c;
		pthread_setspecific(redirect_cache_key, c);
	}
	for (unsigned i = 0; i < REDIRECT_CACHE_SLOTS; i++)
		if (c->slot[i].r && c->slot[i].status == res->status && c->slot[i].content_type == res->content_type &&
		    strcmp(c->slot[i].location, res->location) == 0)
			return c->slot[i].r;
	struct MHD_Response *r = response_build(res, NULL, 0);
	if (!r)
		return NULL;
	unsigned i = c->next++ % REDIRECT_CACHE_SLOTS;
	if (c->slot[i].r)
		MHD_destroy_response(c->slot[i].r);
	c->slot[i].status = res->status;
	c->slot[i].content_type = res->content_type;
	snprintf(c->slot[i].location, sizeof c->slot[i].location, "%s", res->location);
	c->slot[i].r = r;
	return r;
}

/* A libmicrohttpd response of body (taken over) with res's headers. */
static struct MHD_Response *response_build(struct http_response *res, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return NULL;
	}
	add_security_headers(r);
	MHD_add_response_header(r, "Content-Type",
				res->content_type ? res->content_type : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", res->cacheable ? "public, max-age=86400" : "no-store");
	if (res->location)
		MHD_add_response_header(r, "Location", res->location);
	for (size_t i = 0; i < res->n_headers; i++)
		MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
	return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct http_state *st, struct http_response *res)
{
	struct MHD_Response *shared = redirect_cached(res);
	if (shared) {
		st->status = res->status;
		st->bytes = 0;
		return MHD_queue_response(conn, (unsigned)res->status, shared);
	}
	size_t len = 0;
	char *body = buf_steal(&res->body, &len);
	struct MHD_Response *r = response_build(res, body, len);
	if (!r)
		return MHD_NO;
	st->status = res->status;
	st->bytes = len;
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void request_init(struct http_server *s, struct MHD_Connection *conn, struct http_state *st,
			 struct http_request *req, struct http_response *res, const char *url, const char *method)
{
	memset(req, 0, sizeof *req);
	memset(res, 0, sizeof *res);
	req->method = method;
	req->path = url;
	req->route = st->route;
	req->match = st->match;
	req->server = s;
	req->conn = conn;
	req->state = st;
	req->lang = "zh";
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	static _Thread_local char ip[INET6_ADDRSTRLEN];
	ip[0] = '\0';
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
	}
	req->client_ip = ip;
	res->status = 200;
	buf_init(&res->body, HTTP_PAGE_MAX);
}

/* Language: ?lang= switches and is remembered in a cookie; Chinese by default. */
static void resolve_lang(struct http_request *req, struct http_response *res)
{
	const char *q = http_query(req, "lang");
	if (q && (strcmp(q, "en") == 0 || strcmp(q, "zh") == 0)) {
		req->lang = strcmp(q, "en") == 0 ? "en" : "zh";
		http_set_cookie(req, res, "gs_lang", req->lang, 365L * 86400);
		return;
	}
	const char *c = http_cookie(req, "gs_lang");
	if (c && strcmp(c, "en") == 0)
		req->lang = "en";
}

/* Who is calling: a session cookie, or on API routes a bearer token. */
static enum gs_result resolve_caller(struct http_request *req)
{
	const char *sid = http_cookie(req, "gs_session");
	if (sid && auth_session_lookup(req->db, sid, &req->user) == GS_OK) {
		req->logged_in = 1;
		snprintf(req->session_id, sizeof req->session_id, "%s", sid);
		auth_csrf_token(req->server->csrf_key, "session", req->session_id, req->csrf);
		return GS_OK;
	}
	const char *authz = http_header(req, "Authorization");
	if (authz && req->route && (req->route->flags & HTTP_API) && !(req->route->flags & HTTP_NO_TOKEN)) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return GS_ERR_UNAUTHORIZED;
		if (auth_token_lookup(req->db, authz + 7, &req->token) != GS_OK)
			return GS_ERR_UNAUTHORIZED;
		req->logged_in = 1;
		req->by_token = 1;
	}
	return GS_OK;
}

struct http_deferred *http_defer(struct http_request *req, http_resume_fn fn, void *ctx)
{
	struct http_state *st = req->state;
	assert(!st->defer_fn && fn);
	st->defer_fn = fn;
	st->defer_ctx = ctx;
	atomic_store(&st->defer, DEFER_PENDING);
	return (struct http_deferred *)st;
}

/* After a handler deferred: the connection waits unless http_resume already came. */
static enum MHD_Result defer_suspend(struct MHD_Connection *conn, struct http_state *st)
{
	MHD_suspend_connection(conn);
	int expect = DEFER_PENDING;
	if (!atomic_compare_exchange_strong(&st->defer, &expect, DEFER_WAITING))
		MHD_resume_connection(conn); /* READY: libmicrohttpd calls us again at once */
	return MHD_YES;
}

static void state_free(struct http_state *st);

void http_resume(struct http_deferred *d)
{
	struct http_state *st = (struct http_state *)d;
	struct MHD_Connection *conn = st->conn; /* once READY, st may be answered and freed */
	int was = atomic_exchange(&st->defer, DEFER_READY);
	if (was == DEFER_WAITING) {
		MHD_resume_connection(conn);
	} else if (was == DEFER_ORPHANED) {
		st->defer_fn(NULL, NULL, st->defer_ctx);
		state_free(st);
	}
}

static enum MHD_Result finish_request(struct http_server *s, struct MHD_Connection *conn, struct http_state *st,
				      const char *url, const char *method)
{
	struct http_request req;
	struct http_response res;
	request_init(s, conn, st, &req, &res, url, method);
	enum MHD_Result ret;

	if (st->early_status) {
		if (st->early_status == 405)
			http_add_header(&res, "Allow", st->allowed);
		render_error(&req, &res, st->early_status, NULL);
		goto out;
	}
	if (st->body_err != GS_OK) {
		const char *msg = st->body_msg ? st->body_msg : st->form ? form_parser_error(st->form) : NULL;
		render_error(&req, &res, http_status_for(st->body_err), msg);
		goto out;
	}
	req.db = thread_db(s);
	if (!req.db) {
		render_error(&req, &res, 503, "the database is not available");
		goto out;
	}
	resolve_lang(&req, &res);
	if (resolve_caller(&req) != GS_OK) {
		render_error(&req, &res, 401, "invalid or revoked API token");
		goto out;
	}
	const struct http_route *rt = st->route;
	if ((rt->flags & HTTP_LOGIN) && !req.logged_in) {
		if (rt->flags & HTTP_API) {
			render_error(&req, &res, 401, "login or API token required");
		} else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
			/* Back to the page after login; paths are ours, so "next" is safe to carry. */
			char *loc = xasprintf("/login?next=%s", url);
			http_redirect(&res, 303, loc);
			free(loc);
		} else {
			render_error(&req, &res, 401, NULL);
		}
		goto out;
	}
	if ((rt->flags & HTTP_LOGIN) && !req.by_token && req.user.role < rt->min_role) {
		render_error(&req, &res, 403, req.lang[0] == 'e' ? "your role may not do this" : "您的角色无权执行此操作");
		goto out;
	}
	if ((rt->flags & HTTP_CSRF) && !req.by_token) {
		const char *tok = st->form ? form_get(st->form, "_csrf") : NULL;
		if (!tok)
			tok = http_header(&req, "X-CSRF-Token");
		if (!req.logged_in || !tok || !auth_csrf_check(s->csrf_key, "session", req.session_id, tok)) {
			render_error(&req, &res, 403,
				     req.lang[0] == 'e' ? "the form has expired or did not come from this site; reload the page and try again"
							: "表单已过期或来源无效，请刷新页面后重试");
			goto out;
		}
	}
	req.form = st->form;
	if (rt->flags & HTTP_RAW) {
		req.body = st->raw.data ? st->raw.data : "";
		req.body_len = st->raw.len;
	}
	if ((rt->flags & HTTP_UPLOAD) && st->up_have) {
		st->upload.path = st->up_path;
		st->upload.name = st->up_name;
		st->upload.content_type = st->up_ctype ? st->up_ctype : "";
		st->upload.size = st->up_size;
		req.upload = &st->upload;
	}
	enum gs_result r;
	if (st->defer_fn) { /* resumed: the deferred work is done, the continuation answers */
		http_resume_fn fn = st->defer_fn;
		st->defer_fn = NULL;
		r = fn(&req, &res, st->defer_ctx);
	} else {
		r = rt->handler(&req, &res);
		if (st->defer_fn) {
			response_clear(&res);
			if (atomic_load(&st->defer) != DEFER_READY)
				return defer_suspend(conn, st);
			/* Done before the handler returned (work done on the spot): answer now. */
			memset(&res, 0, sizeof res);
			res.status = 200;
			buf_init(&res.body, HTTP_PAGE_MAX);
			http_resume_fn fn = st->defer_fn;
			st->defer_fn = NULL;
			r = fn(&req, &res, st->defer_ctx);
		}
	}
	if (r != GS_OK) {
		render_error(&req, &res, http_status_for(r), res.error);
	} else if (res.body.failed) {
		log_error("%s %s: response larger than %u bytes", method, url, HTTP_PAGE_MAX);
		render_error(&req, &res, 500, NULL);
	}
out:
	if (st->defer_fn) { /* resumed but answered before the continuation ran: it frees ctx */
		st->defer_fn(NULL, NULL, st->defer_ctx);
		st->defer_fn = NULL;
	}
	ret = queue(conn, st, &res);
	response_clear(&res);
	return ret;
}

/* ---- Uploads (HTTP_UPLOAD): the file streams to a temporary file, never to memory. */

static uint64_t route_limit(const struct http_server *s, const struct http_route *rt)
{
	return (rt->flags & HTTP_UPLOAD) ? s->max_upload : rt->body_limit;
}

/* Records why the body was refused; the first fault wins. Returns r. */
static enum gs_result upload_fail(struct http_state *st, enum gs_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum gs_result upload_fail(struct http_state *st, enum gs_result r, const char *fmt, ...)
{
	if (!st->body_msg) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&st->body_msg, fmt, ap) < 0)
			st->body_msg = NULL;
		va_end(ap);
	}
	return r;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

#define HTTP_UPLOAD_NAME_MAX 120

/* The client's file name made harmless for logs, pages and messages: the last path
 * component, control characters and invalid UTF-8 dropped, at most
 * HTTP_UPLOAD_NAME_MAX bytes cut at a character boundary. */
static char *upload_name_sanitise(const char *raw)
{
	const char *base = raw ? raw : "";
	for (const char *p = base; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	char out[HTTP_UPLOAD_NAME_MAX + 1];
	size_t o = 0, n = strlen(base);
	const unsigned char *p = (const unsigned char *)base;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(p + i, n - i);
		if (len == 0) {
			i++;
			continue;
		}
		if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			i++;
			continue;
		}
		if (o + len > HTTP_UPLOAD_NAME_MAX)
			break;
		memcpy(out + o, p + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	/* Trim spaces at both ends; nothing left (or only dots) means no usable name. */
	char *b = out;
	while (*b == ' ')
		b++;
	for (size_t e = strlen(b); e > 0 && b[e - 1] == ' ';)
		b[--e] = '\0';
	if (strspn(b, ".") == strlen(b))
		return xstrdup("upload.xml");
	return xstrdup(b);
}

/* 1 if a session caller's CSRF token has been seen (header or a field before the file);
 * token callers and routes without HTTP_CSRF need none. */
static int upload_csrf_ok(struct http_state *st)
{
	if (!(st->route->flags & HTTP_CSRF) || !st->up_session)
		return 1;
	const char *tok = st->form ? form_get(st->form, "_csrf") : NULL;
	if (!tok)
		tok = MHD_lookup_connection_value(st->conn, MHD_HEADER_KIND, "X-CSRF-Token");
	return tok && auth_csrf_check(st->server->csrf_key, "session", st->up_session_id, tok);
}

static enum gs_result upload_open(struct http_state *st, const char *filename, const char *ctype)
{
	if (!upload_csrf_ok(st))
		return upload_fail(st, GS_ERR_FORBIDDEN,
				   "the upload form has expired or did not come from this site (the _csrf field must "
				   "come before the file); reload the page and try again");
	char *tmpl = xasprintf("%s/gridscore-upload-XXXXXX", st->server->upload_dir);
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		log_error("cannot create an upload file in %s: %s", st->server->upload_dir, strerror(errno));
		free(tmpl);
		return upload_fail(st, GS_ERR_IO, "the server cannot store uploads at the moment");
	}
	st->up_fp = fdopen(fd, "wb");
	if (!st->up_fp) {
		close(fd);
		unlink(tmpl);
		free(tmpl);
		return upload_fail(st, GS_ERR_IO, "the server cannot store uploads at the moment");
	}
	setvbuf(st->up_fp, NULL, _IOFBF, 64 * 1024);
	st->up_path = tmpl;
	st->up_name = upload_name_sanitise(filename);
	st->up_ctype = xstrdup(ctype ? ctype : "");
	st->up_have = 1;
	return GS_OK;
}

static enum gs_result upload_write(struct http_state *st, const char *data, size_t len)
{
	if (len && fwrite(data, 1, len, st->up_fp) != len) {
		int e = errno;
		log_error("writing upload %s: %s", st->up_path, strerror(e));
		return upload_fail(st, e == ENOSPC ? GS_ERR_BUSY : GS_ERR_IO,
				   e == ENOSPC ? "the server has no room for this upload now; try again later"
					       : "the server could not store the upload");
	}
	st->up_size += len;
	return GS_OK;
}

/* Closes the temporary file once the body is complete, so the handler reads all of it. */
static enum gs_result upload_close(struct http_state *st)
{
	if (!st->up_fp)
		return GS_OK;
	int bad = fflush(st->up_fp) != 0;
	int e = errno;
	bad |= fclose(st->up_fp) != 0;
	st->up_fp = NULL;
	if (bad) {
		log_error("closing upload %s: %s", st->up_path, strerror(e));
		return upload_fail(st, e == ENOSPC ? GS_ERR_BUSY : GS_ERR_IO, "the server could not store the upload");
	}
	return GS_OK;
}

/* form_file_cb for multipart uploads: exactly one file part is taken; a part with
 * neither a file name nor content (a file input left empty) is ignored. */
static enum gs_result upload_file_cb(void *ctx, const char *name, const char *filename, const char *content_type,
				     const char *data, size_t len, int final)
{
	(void)name;
	struct http_state *st = ctx;
	enum gs_result r = GS_OK;
	int first = !st->up_in_part;
	st->up_in_part = !final;
	if (first && st->up_have && (len > 0 || (filename && *filename)))
		return upload_fail(st, GS_ERR_INVALID, "send one file per upload");
	if (!st->up_fp && !st->up_have && (len > 0 || (final && filename && *filename)))
		r = upload_open(st, filename, content_type);
	if (r == GS_OK && st->up_fp && len)
		r = upload_write(st, data, len);
	return r;
}

/* A raw upload: the body is the file; its name may come as ?name=. */
static enum gs_result upload_raw(struct http_state *st, const char *data, size_t size)
{
	if (!st->up_fp) {
		const char *name = MHD_lookup_connection_value(st->conn, MHD_GET_ARGUMENT_KIND, "name");
		const char *ct = MHD_lookup_connection_value(st->conn, MHD_HEADER_KIND, "Content-Type");
		enum gs_result r = upload_open(st, name, ct);
		if (r != GS_OK)
			return r;
	}
	return upload_write(st, data, size);
}

static int xml_media_type(const char *ct)
{
	size_t n = strcspn(ct, "; \t");
	static const char *const ok[] = {"application/xml", "text/xml", "application/soap+xml"};
	for (size_t i = 0; i < GS_ARRAY_LEN(ok); i++)
		if (n == strlen(ok[i]) && strncasecmp(ct, ok[i], n) == 0)
			return 1;
	return n > 4 && strncasecmp(ct + n - 4, "+xml", 4) == 0;
}

/* After a fault the file is of no use: free the disk now, not when the body ends. */
static void upload_discard(struct http_state *st)
{
	if (st->up_fp) {
		fclose(st->up_fp);
		st->up_fp = NULL;
	}
	if (st->up_path) {
		unlink(st->up_path);
		free(st->up_path);
		st->up_path = NULL;
	}
	st->up_have = 0;
}

/* Feeds one body chunk; errors are sticky and the rest of the body is discarded. */
static void take_body(struct http_state *st, const char *data, size_t size)
{
	st->body_seen += size;
	if (st->early_status || st->body_err != GS_OK)
		return;
	if (st->body_seen > route_limit(st->server, st->route)) {
		st->body_err = GS_ERR_TOO_LARGE;
		if (st->route->flags & HTTP_UPLOAD)
			upload_fail(st, GS_ERR_TOO_LARGE, "the upload is larger than the %llu bytes this server accepts",
				    (unsigned long long)route_limit(st->server, st->route));
		return;
	}
	if (st->form)
		st->body_err = form_parser_feed(st->form, data, size);
	else if (st->route->flags & HTTP_UPLOAD)
		st->body_err = upload_raw(st, data, size);
	else if (st->route->flags & HTTP_RAW)
		st->body_err = buf_append(&st->raw, data, size);
	else
		st->body_err = GS_ERR_TOO_LARGE; /* this route takes no body */
	if (st->body_err != GS_OK && (st->route->flags & HTTP_UPLOAD))
		upload_discard(st);
}

/* Answers at once with status and msg: libmicrohttpd then discards the rest of the
 * body and closes the connection. */
static enum MHD_Result answer_now(struct http_server *s, struct MHD_Connection *conn, struct http_state *st,
				  const char *url, const char *method, int status, const char *msg)
{
	st->early_status = status;
	struct http_request req;
	struct http_response res;
	request_init(s, conn, st, &req, &res, url, method);
	resolve_lang(&req, &res);
	render_error(&req, &res, status, msg);
	enum MHD_Result ret = queue(conn, st, &res);
	response_clear(&res);
	return ret;
}

/* ---- Overload: beyond capacity a request is answered 503 at once, small and without
 * rendering, instead of waiting behind the others. libmicrohttpd serves each connection
 * from one worker thread, so every open connection is a request that may queue there:
 * bounding the connections bounds the queue, and bounding the requests in flight
 * (bodies arriving, responses leaving) bounds the memory they hold. */

/* The socket context of a connection accepted while max_connections were already open. */
static char conn_over_limit;

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)conn;
	struct http_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		long n = atomic_fetch_add(&s->open_conns, 1) + 1;
		*socket_context = n > (long)s->max_connections ? &conn_over_limit : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&s->open_conns, 1);
	}
}

/* NULL when the request may go on (it is then counted in s->admitted until it
 * completes), else what is over its limit. */
static const char *overload_check(struct http_server *s, struct MHD_Connection *conn, struct http_state *st)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context == &conn_over_limit)
		return "connections";
	if (atomic_fetch_add(&s->admitted, 1) >= (long)s->max_inflight) {
		atomic_fetch_sub(&s->admitted, 1);
		return "requests in flight";
	}
	st->admitted = 1;
	return NULL;
}

/* One warning every few seconds at most while shedding, with what was over. */
static void overload_warn(struct http_server *s, const char *why)
{
	atomic_fetch_add(&s->shed, 1);
	int64_t now = util_monotonic_us(), last = atomic_load(&s->shed_warned_us);
	if ((last && now - last < 5000000) || !atomic_compare_exchange_strong(&s->shed_warned_us, &last, now))
		return;
	long n = atomic_exchange(&s->shed, 0);
	log_warn("overload (%s): %ld requests answered 503 since the last warning; %ld connections open (limit %u), "
		 "%ld requests in flight (limit %u)",
		 why, n, atomic_load(&s->open_conns), s->max_connections, atomic_load(&s->admitted), s->max_inflight);
}

/* The overload answer: a constant body, Retry-After, and the connection closed after it,
 * so a retry comes back through accept and is counted afresh. */
static enum MHD_Result answer_busy(struct http_server *s, struct MHD_Connection *conn, struct http_state *st,
				   const char *why)
{
	static const char html[] = "<!doctype html><meta charset=\"utf-8\"><title>503</title>"
				   "<p>服务繁忙，请稍后再试。</p><p>The service is busy; please try again in a moment.</p>\n";
	static const char json[] = "{\"error\":\"the service is busy; try again in a moment\"}\n";
	int api = st->route && (st->route->flags & HTTP_API);
	size_t len = api ? sizeof json - 1 : sizeof html - 1;
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)(api ? json : html), MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	add_security_headers(r);
	MHD_add_response_header(r, "Content-Type", api ? "application/json" : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Retry-After", HTTP_RETRY_AFTER);
	MHD_add_response_header(r, "Connection", "close");
	st->early_status = st->status = 503;
	st->bytes = len;
	overload_warn(s, why);
	enum MHD_Result ret = MHD_queue_response(conn, 503, r);
	MHD_destroy_response(r);
	return ret;
}

/* Before an upload's body is read: who is calling, may they, and is the body a kind
 * we take? Refusing here spares the disk and the client's bandwidth. */
static enum MHD_Result upload_admit(struct http_server *s, struct MHD_Connection *conn, struct http_state *st,
				   const char *url, const char *method)
{
	const struct http_route *rt = st->route;
	struct http_request req;
	struct http_response res;
	request_init(s, conn, st, &req, &res, url, method);
	resolve_lang(&req, &res);
	int en = strcmp(req.lang, "en") == 0;
	int status = 0;
	const char *msg = NULL;
	req.db = thread_db(s);
	if (!req.db) {
		status = 503, msg = "the database is not available";
	} else if (resolve_caller(&req) != GS_OK) {
		status = 401, msg = "invalid or revoked API token";
	} else if ((rt->flags & HTTP_LOGIN) && !req.logged_in) {
		status = 401, msg = (rt->flags & HTTP_API) ? "login or API token required" : NULL;
	} else if ((rt->flags & HTTP_LOGIN) && !req.by_token && req.user.role < rt->min_role) {
		status = 403, msg = en ? "your role may not do this" : "您的角色无权执行此操作";
	}
	st->up_session = req.logged_in && !req.by_token;
	snprintf(st->up_session_id, sizeof st->up_session_id, "%s", req.session_id);
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (!status) {
		struct form_limits lim = {.max_fields = 16,
					  .max_name = 128,
					  .max_value = 4096,
					  .max_total = (size_t)route_limit(s, rt),
					  .max_file = (size_t)route_limit(s, rt)};
		if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0) {
			if (form_parser_new(ct, &lim, upload_file_cb, st, &st->form) != GS_OK)
				status = 400, msg = "the multipart body has no usable boundary";
		} else if (ct && xml_media_type(ct)) {
			st->up_raw = 1;
			if (!upload_csrf_ok(st))
				status = 403, msg = en ? "a session caller must send the page's CSRF token in X-CSRF-Token"
						       : "请求缺少有效的 X-CSRF-Token，请刷新页面后重试";
		} else {
			status = 415, msg = "send the file as multipart/form-data, or as the request body with "
					    "Content-Type: application/xml";
		}
	}
	enum MHD_Result ret = MHD_YES;
	if (status) {
		st->early_status = status;
		render_error(&req, &res, status, msg);
		ret = queue(conn, st, &res);
	}
	response_clear(&res);
	return ret;
}

static enum MHD_Result on_first_call(struct http_server *s, struct MHD_Connection *conn, struct http_state *st,
				     const char *url, const char *method)
{
	snprintf(st->method, sizeof st->method, "%s", method);
	st->server = s;
	st->conn = conn;
	size_t idx = 0;
	if (strlen(url) > HTTP_MAX_URL) {
		st->early_status = 414;
		st->log_path = xstrdup("(too long)");
		return MHD_YES;
	}
	enum route_result rr = route_match(s->patterns, s->n_routes, method, url, &idx, &st->match, st->allowed,
					   sizeof st->allowed);
	if (rr == ROUTE_FOUND)
		st->route = &s->routes[idx];
	st->log_path = xstrdup(st->route && (st->route->flags & HTTP_REDACT) ? st->route->pattern : url);
	if (strcmp(url, HTTP_HEALTH_PATH) != 0) {
		const char *why = overload_check(s, conn, st);
		if (why)
			return answer_busy(s, conn, st, why);
	}
	if (rr != ROUTE_FOUND) {
		st->early_status = rr == ROUTE_METHOD_NOT_ALLOWED ? 405 : 404;
		return MHD_YES;
	}
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (cl) {
		char *end = NULL;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end || n > route_limit(s, st->route)) {
			/* Answer at once: libmicrohttpd then closes the connection without reading the body. */
			char msg[160];
			if (st->route->flags & HTTP_UPLOAD)
				snprintf(msg, sizeof msg, "the upload is larger than the %llu bytes this server accepts",
					 (unsigned long long)route_limit(s, st->route));
			else
				snprintf(msg, sizeof msg, "the request body is larger than this address accepts");
			return answer_now(s, conn, st, url, method, 413, msg);
		}
	}
	if (st->route->flags & HTTP_UPLOAD)
		return upload_admit(s, conn, st, url, method);
	if (st->route->flags & HTTP_FORM) {
		const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
		struct form_limits lim = {.max_fields = 64,
					  .max_name = 128,
					  .max_value = 64 * 1024,
					  .max_total = st->route->body_limit,
					  .max_file = 0};
		if (strcmp(method, "POST") == 0) {
			if (!ct || form_parser_new(ct, &lim, NULL, NULL, &st->form) != GS_OK)
				st->early_status = 415;
		}
	}
	if (st->route->flags & HTTP_RAW)
		buf_init(&st->raw, st->route->body_limit);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct http_server *s = cls;
	struct http_state *st = *con_cls;
	if (!st) {
		st = xcalloc(1, sizeof *st);
		st->start_us = util_monotonic_us();
		*con_cls = st;
		atomic_fetch_add(&s->in_flight, 1);
		/* Queue nothing yet: a response queued on the first call makes libmicrohttpd
		 * close the connection, and keep-alive is worth ~3.5x the request rate. */
		return on_first_call(s, conn, st, url, method);
	}
	if (st->defer_fn && atomic_load(&st->defer) == DEFER_READY)
		return finish_request(s, conn, st, url, method);
	if (st->status) { /* answered early; swallow the rest */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		take_body(st, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/* libmicrohttpd 0.9.75 takes a response only before or after the body, so a
		 * refused upload is read on (and dropped) to answer at its end; a body that
		 * goes on far past the cap (chunked, no Content-Length) is cut off instead. */
		if (st->route && (st->route->flags & HTTP_UPLOAD) && st->body_err != GS_OK &&
		    st->body_seen > route_limit(s, st->route) + HTTP_UPLOAD_DRAIN) {
			log_warn("%s %s: upload went on %u bytes past its cap; connection closed", method, url,
				 HTTP_UPLOAD_DRAIN);
			st->status = 413;
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (st->form && !st->early_status && st->body_err == GS_OK)
		st->body_err = form_parser_finish(st->form);
	if (st->up_fp) {
		enum gs_result r = upload_close(st);
		if (st->body_err == GS_OK)
			st->body_err = r;
	}
	return finish_request(s, conn, st, url, method);
}

/* Frees a request's state; nothing of the server is touched (an orphaned state may
 * outlive it). */
static void state_free(struct http_state *st)
{
	form_parser_free(st->form);
	buf_free(&st->raw);
	if (st->up_fp)
		fclose(st->up_fp);
	if (st->up_path && unlink(st->up_path) != 0)
		log_error("cannot remove upload %s: %s", st->up_path, strerror(errno));
	free(st->up_path);
	free(st->up_name);
	free(st->up_ctype);
	free(st->body_msg);
	free(st->log_path);
	free(st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	struct http_server *s = cls;
	struct http_state *st = *con_cls;
	if (!st)
		return;
	int64_t us = util_monotonic_us() - st->start_us;
	log_msg(LOG_INFO, "access %s %s %d %zu %lldus%s", st->method, st->log_path ? st->log_path : "-",
		st->status ? st->status : 0, st->bytes, (long long)us,
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	if (st->admitted)
		atomic_fetch_sub(&s->admitted, 1);
	*con_cls = NULL;
	/* Closed while its deferred work is still queued: the work's http_resume frees it.
	 * Closed after http_resume but before the continuation ran (the client left):
	 * the continuation only frees its ctx. */
	int waiting = DEFER_WAITING;
	if (st->defer_fn && atomic_compare_exchange_strong(&st->defer, &waiting, DEFER_ORPHANED))
		goto out;
	if (st->defer_fn)
		st->defer_fn(NULL, NULL, st->defer_ctx);
	state_free(st);
out:
	atomic_fetch_sub(&s->in_flight, 1);
}

/* "127.0.0.1:8080", "[::1]:8080", "localhost:0" → a socket address (numeric or localhost). */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *ipv6)
{
	char host[256];
	const char *port;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
			return 0;
		memcpy(host, listen + 1, (size_t)(close - listen - 1));
		host[close - listen - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= sizeof host)
			return 0;
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
		port = colon + 1;
	}
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (strcmp(host, "localhost") == 0 ? 0 : AI_NUMERICHOST);
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
		return 0;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*ipv6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 1;
}

/* Every connection is a descriptor: lift the soft limit toward the hard one so the
 * connection limits, not EMFILE, decide what is refused. */
static void raise_fd_limit(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rlim_t old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warn("open files limited to %llu (wanted %u for the connection limits); raise ulimit -n",
			 (unsigned long long)(rl.rlim_cur > old ? rl.rlim_cur : old), want);
}

enum gs_result http_server_start(const struct http_config *cfg, const struct http_route *routes, size_t n_routes,
				 struct http_server **out, char *err, size_t errlen)
{
	*out = NULL;
	struct sockaddr_storage ss;
	int ipv6 = 0;
	if (!parse_listen(cfg->listen, &ss, &ipv6)) {
		snprintf(err, errlen, "--listen '%s': expected ADDRESS:PORT, e.g. 127.0.0.1:8080", cfg->listen);
		return GS_ERR_INVALID;
	}
	struct http_server *s = xcalloc(1, sizeof *s);
	s->routes = routes;
	s->n_routes = n_routes;
	s->patterns = xcalloc(n_routes, sizeof *s->patterns);
	for (size_t i = 0; i < n_routes; i++) {
		s->patterns[i].method = routes[i].method;
		s->patterns[i].pattern = routes[i].pattern;
	}
	s->db_path = xstrdup(cfg->db_path);
	s->app = cfg->app;
	s->max_upload = cfg->max_upload ? cfg->max_upload : HTTP_UPLOAD_DEFAULT;
	const char *tmp = cfg->upload_dir && *cfg->upload_dir ? cfg->upload_dir : getenv("TMPDIR");
	s->upload_dir = xstrdup(tmp && *tmp ? tmp : "/tmp");
	pthread_mutex_init(&s->dbs_lock, NULL);
	s->login_user = ratelimit_new(4096, 5, 15 * 60);
	s->login_ip = ratelimit_new(4096, 20, 15 * 60);

	/* The CSRF key comes from the database, so every worker and restart agrees. */
	struct db *db = NULL;
	enum gs_result r = db_open(s->db_path, 0, &db, err, errlen);
	if (r == GS_OK) {
		r = auth_server_key(db, "csrf", s->csrf_key);
		if (r != GS_OK)
			snprintf(err, errlen, "cannot read the server key: %s", gs_result_str(r));
		db_close(db);
	}
	if (r != GS_OK) {
		http_server_stop(s);
		return r;
	}

	unsigned threads = cfg->threads ? cfg->threads : 4;
	s->max_connections = cfg->max_connections ? cfg->max_connections : HTTP_MAX_CONNECTIONS;
	s->max_inflight = cfg->max_inflight ? cfg->max_inflight : HTTP_MAX_INFLIGHT;
	/* Connections beyond max_connections are still accepted, to be told 503; only past
	 * this headroom does libmicrohttpd close them at accept, unanswered. */
	unsigned headroom = s->max_connections / 4 > 16 ? s->max_connections / 4 : 16;
	unsigned hard_limit = s->max_connections + headroom;
	raise_fd_limit(hard_limit + 64 + HTTP_MAX_DBS);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME; /* http_defer */
	if (ipv6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, hard_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip ? cfg->max_per_ip : HTTP_MAX_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s ? cfg->timeout_s : 30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)HTTP_CONN_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen, strerror(errno));
		http_server_stop(s);
		return GS_ERR_IO;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	if (cfg->base_url && *cfg->base_url) {
		s->base_url = xstrdup(cfg->base_url);
		size_t n = strlen(s->base_url);
		while (n > 0 && s->base_url[n - 1] == '/')
			s->base_url[--n] = '\0';
	} else {
		char host[INET6_ADDRSTRLEN] = "127.0.0.1";
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
		s->base_url = xasprintf(ipv6 ? "http://[%s]:%u" : "http://%s:%u", host, s->port);
	}
	s->secure_cookies = strncmp(s->base_url, "https:", 6) == 0;
	*out = s;
	return GS_OK;
}

unsigned http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	if (s->daemon) {
		MHD_socket lsock = MHD_quiesce_daemon(s->daemon);
		if (lsock != MHD_INVALID_SOCKET)
			close(lsock);
		/* In-flight requests finish; idle keep-alive connections are simply closed. */
		for (int waited = 0; atomic_load(&s->in_flight) > 0 && waited < HTTP_DRAIN_MS; waited += 10)
			usleep(10 * 1000);
		MHD_stop_daemon(s->daemon);
	}
	for (size_t i = 0; i < s->n_dbs; i++)
		db_close(s->dbs[i]);
	if (s->daemon) {
		struct db *db = NULL;
		if (db_open(s->db_path, 0, &db, NULL, 0) == GS_OK) {
			db_checkpoint(db);
			db_close(db);
		}
	}
	pthread_mutex_destroy(&s->dbs_lock);
	ratelimit_free(s->login_user);
	ratelimit_free(s->login_ip);
	free(s->patterns);
	free(s->db_path);
	free(s->upload_dir);
	free(s->base_url);
	free(s);
}
