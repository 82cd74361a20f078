/* http.c — the server core on libmicrohttpd. libmicrohttpd calls the access handler
 * several times per request: headers first, then body chunks, then a final call; the
 * request state lives in the connection closure and is freed in the completion
 * callback, which also writes the access log line. */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ratelimit.h"

#define HTTP_MAX_URL 2048                /* bytes of path; longer: 414 */
#define HTTP_PAGE_MAX (8u * 1024 * 1024) /* cap on a rendered response */
#define HTTP_CONN_MEMORY (64 * 1024)     /* request line + headers must fit */
#define HTTP_MAX_DBS 256
#define HTTP_DRAIN_MS 10000              /* how long a stop waits for in-flight requests */

struct http_server {
	struct MHD_Daemon *daemon;
	const struct http_route *routes;
	size_t n_routes;
	struct route_pattern *patterns;
	char *db_path;
	char *base_url;
	void *app;
	int secure_cookies;
	unsigned port;
	unsigned char csrf_key[32];
	struct ratelimit *login_user, *login_ip;
	atomic_long in_flight;
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
};

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

static enum MHD_Result queue(struct MHD_Connection *conn, struct http_state *st, struct http_response *res)
{
	size_t len = 0;
	char *body = buf_steal(&res->body, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	add_security_headers(r);
	MHD_add_response_header(r, "Content-Type",
				res->content_type ? res->content_type : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", res->cacheable ? "public, max-age=86400" : "no-store");
	if (res->location)
		MHD_add_response_header(r, "Location", res->location);
	for (size_t i = 0; i < res->n_headers; i++)
		MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
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
		const char *msg = st->form ? form_parser_error(st->form) : NULL;
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
	enum gs_result r = rt->handler(&req, &res);
	if (r != GS_OK) {
		render_error(&req, &res, http_status_for(r), res.error);
	} else if (res.body.failed) {
		log_error("%s %s: response larger than %u bytes", method, url, HTTP_PAGE_MAX);
		render_error(&req, &res, 500, NULL);
	}
out:
	ret = queue(conn, st, &res);
	response_clear(&res);
	return ret;
}

/* Feeds one body chunk; errors are sticky and the rest of the body is discarded. */
static void take_body(struct http_state *st, const char *data, size_t size)
{
	if (st->early_status || st->body_err != GS_OK)
		return;
	st->body_seen += size;
	if (st->body_seen > st->route->body_limit) {
		st->body_err = GS_ERR_TOO_LARGE;
		return;
	}
	if (st->form)
		st->body_err = form_parser_feed(st->form, data, size);
	else if (st->route->flags & HTTP_RAW)
		st->body_err = buf_append(&st->raw, data, size);
	else
		st->body_err = GS_ERR_TOO_LARGE; /* this route takes no body */
}

static enum MHD_Result on_first_call(struct http_server *s, struct MHD_Connection *conn, struct http_state *st,
				     const char *url, const char *method)
{
	snprintf(st->method, sizeof st->method, "%s", method);
	size_t idx = 0;
	if (strlen(url) > HTTP_MAX_URL) {
		st->early_status = 414;
		st->log_path = xstrdup("(too long)");
		return MHD_YES;
	}
	enum route_result rr = route_match(s->patterns, s->n_routes, method, url, &idx, &st->match, st->allowed,
					   sizeof st->allowed);
	if (rr != ROUTE_FOUND) {
		st->early_status = rr == ROUTE_METHOD_NOT_ALLOWED ? 405 : 404;
		st->log_path = xstrdup(url);
		return MHD_YES;
	}
	st->route = &s->routes[idx];
	st->log_path = xstrdup((st->route->flags & HTTP_REDACT) ? st->route->pattern : url);
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (cl) {
		char *end = NULL;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end || n > st->route->body_limit) {
			/* Answer at once: libmicrohttpd then closes the connection without reading the body. */
			st->early_status = 413;
			struct http_request req;
			struct http_response res;
			request_init(s, conn, st, &req, &res, url, method);
			render_error(&req, &res, 413,
				     "the request body is larger than this address accepts");
			enum MHD_Result ret = queue(conn, st, &res);
			response_clear(&res);
			return ret;
		}
	}
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
	if (st->status) { /* answered early; swallow the rest */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		take_body(st, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->form && !st->early_status && st->body_err == GS_OK)
		st->body_err = form_parser_finish(st->form);
	return finish_request(s, conn, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_state *st = *con_cls;
	if (!st)
		return;
	int64_t us = util_monotonic_us() - st->start_us;
	log_msg(LOG_INFO, "access %s %s %d %zu %lldus%s", st->method, st->log_path ? st->log_path : "-",
		st->status ? st->status : 0, st->bytes, (long long)us,
		toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	form_parser_free(st->form);
	buf_free(&st->raw);
	free(st->log_path);
	free(st);
	*con_cls = NULL;
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
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (ipv6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
		cfg->max_connections ? cfg->max_connections : 1024, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		cfg->max_per_ip ? cfg->max_per_ip : 512, MHD_OPTION_CONNECTION_TIMEOUT,
		cfg->timeout_s ? cfg->timeout_s : 30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
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
	free(s->base_url);
	free(s);
}
