/* server.h — test helpers for HTTP tests against the real gridscore binary: run CLI
 * commands, start `gridscore serve` on an ephemeral loopback port, and speak plain
 * HTTP/1.1 over a socket (keep-alive included), so tests see exactly what a client sees. */
#ifndef GS_TEST_SERVER_H
#define GS_TEST_SERVER_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct test_server {
	pid_t pid;
	int port;
	char db[1024];
	char log[1024];
};

/* A scratch folder unique to this test program run. */
static inline const char *test_tmpdir(const char *name)
{
	static char dir[512];
	const char *base = getenv("GS_TMP") ? getenv("GS_TMP") : "/tmp";
	mkdir(base, 0755);
	snprintf(dir, sizeof dir, "%s/%s-%d", base, name, (int)getpid());
	/* an earlier run under the same pid may have left its files: start empty */
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot empty %s\n", dir);
	mkdir(dir, 0755);
	return dir;
}

static inline const char *test_bin(void)
{
	const char *b = getenv("GS_BIN");
	return b ? b : "./build/gridscore";
}

/* Runs the binary with args (NULL-terminated), feeding `input` on stdin; captures
 * stdout+stderr into out (if not NULL). Returns the exit status, -1 on failure. */
static inline int test_run(const char *input, char *out, size_t outlen, ...)
{
	const char *argv[32];
	int argc = 0;
	argv[argc++] = test_bin();
	va_list ap;
	va_start(ap, outlen);
	const char *a;
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	int in[2], o[2];
	if (pipe(in) || pipe(o))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(o[1], 2);
		close(in[1]);
		close(o[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	if (input) {
		ssize_t w = write(in[1], input, strlen(input));
		(void)w;
	}
	close(in[1]);
	size_t got = 0;
	char tmp[4096];
	ssize_t n;
	while ((n = read(o[0], tmp, sizeof tmp)) > 0) {
		if (out && got + 1 < outlen) {
			size_t take = (size_t)n < outlen - 1 - got ? (size_t)n : outlen - 1 - got;
			memcpy(out + got, tmp, take);
			got += take;
		}
	}
	if (out)
		out[got] = '\0';
	close(o[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts `gridscore --db DB serve --listen 127.0.0.1:0 --threads 2 [extra...]` (extra is
 * NULL or a NULL-terminated list of more serve options) and waits for its port. */
static inline int test_server_start_with(struct test_server *s, const char *db, const char *logpath,
					 const char *const *extra)
{
	snprintf(s->db, sizeof s->db, "%s", db);
	snprintf(s->log, sizeof s->log, "%s", logpath);
	int o[2];
	if (pipe(o))
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		int lf = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(o[1], 1);
		if (lf >= 0)
			dup2(lf, 2);
		close(o[0]);
		const char *argv[40] = {test_bin(), "--db", db, "serve", "--listen", "127.0.0.1:0", "--threads", "2"};
		int argc = 8;
		for (int i = 0; extra && extra[i] && argc < 39; i++)
			argv[argc++] = extra[i];
		argv[argc] = NULL;
		execv(test_bin(), (char *const *)argv);
		_exit(127);
	}
	close(o[1]);
	char line[128] = "";
	size_t got = 0;
	while (got < sizeof line - 1) {
		ssize_t n = read(o[0], line + got, 1);
		if (n <= 0 || line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	close(o[0]);
	if (sscanf(line, "listening on port %d", &s->port) != 1)
		return -1;
	return 0;
}

/* Starts `gridscore --db DB serve --listen 127.0.0.1:0 --threads 2` and waits for its port. */
static inline int test_server_start(struct test_server *s, const char *db, const char *logpath)
{
	return test_server_start_with(s, db, logpath, NULL);
}

/* Sends SIGTERM and waits up to 15 s; returns the exit status (or -1). */
static inline int test_server_stop(struct test_server *s)
{
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 1500; i++) {
		int status;
		pid_t r = waitpid(s->pid, &status, WNOHANG);
		if (r == s->pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	return -1;
}

static inline int test_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct test_response {
	int status;
	char headers[8192];  /* raw header block, lines separated by \r\n */
	char *body;          /* malloc'd, NUL-terminated */
	size_t body_len;
};

static inline void test_response_free(struct test_response *r)
{
	free(r->body);
	r->body = NULL;
}

/* The value of the first header named name (case-insensitive), copied into out. */
static inline const char *test_header(const struct test_response *r, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	for (const char *p = r->headers; *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			size_t vl = len - (size_t)(v - p);
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return out;
		}
		if (!eol)
			break;
		p = eol + 2;
	}
	return NULL;
}

/* Reads one response from fd (Content-Length bodies; HEAD-less). 0 on success. */
static inline int test_read_response(int fd, struct test_response *r)
{
	memset(r, 0, sizeof *r);
	char buf[65536];
	size_t got = 0;
	char *end = NULL;
	while (!end) {
		if (got >= sizeof buf - 1)
			return -1;
		ssize_t n = recv(fd, buf + got, 1, 0); /* byte-wise: never read past this response */
		if (n <= 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*end = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
		return -1;
	const char *h = strstr(buf, "\r\n");
	snprintf(r->headers, sizeof r->headers, "%s", h ? h + 2 : "");
	char cl[32];
	size_t len = 0;
	if (test_header(r, "Content-Length", cl, sizeof cl))
		len = strtoul(cl, NULL, 10);
	r->body = malloc(len + 1);
	r->body_len = 0;
	while (r->body_len < len) {
		ssize_t n = recv(fd, r->body + r->body_len, len - r->body_len, 0);
		if (n <= 0)
			return -1;
		r->body_len += (size_t)n;
	}
	r->body[len] = '\0';
	return 0;
}

/* One request on a fresh connection. extra_headers: "Name: v\r\n..." or NULL. */
static inline int test_request(int port, const char *method, const char *path, const char *extra_headers,
			       const char *body, struct test_response *r)
{
	int fd = test_connect(port);
	if (fd < 0)
		return -1;
	size_t blen = body ? strlen(body) : 0;
	const char *extra = extra_headers ? extra_headers : "";
	/* sized to what it holds: tests send headers of any length (test_limits: 40 KiB) */
	size_t cap = strlen(method) + strlen(path) + strlen(extra) + 128;
	char *head = malloc(cap);
	if (!head) {
		close(fd);
		return -1;
	}
	int n = snprintf(head, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s", method, path,
			 extra);
	if (body)
		n += snprintf(head + n, cap - (size_t)n, "Content-Length: %zu\r\n", blen);
	n += snprintf(head + n, cap - (size_t)n, "\r\n");
	int sent = send(fd, head, (size_t)n, MSG_NOSIGNAL) == n &&
		   (!blen || send(fd, body, blen, MSG_NOSIGNAL) == (ssize_t)blen);
	free(head);
	if (!sent) {
		close(fd);
		return -1;
	}
	int rc = test_read_response(fd, r);
	close(fd);
	return rc;
}

/* Copies the value of `name="..." value="X"` style hidden input named name from html. */
static inline int test_form_value(const char *html, const char *name, char *out, size_t outlen)
{
	char needle[128];
	snprintf(needle, sizeof needle, "name=\"%s\" value=\"", name);
	const char *p = html ? strstr(html, needle) : NULL;
	if (!p)
		return -1;
	p += strlen(needle);
	const char *q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return 0;
}

/* The value of cookie name from the response's Set-Cookie headers. */
static inline int test_set_cookie(const struct test_response *r, const char *name, char *out, size_t outlen)
{
	char needle[128];
	snprintf(needle, sizeof needle, "Set-Cookie: %s=", name);
	const char *p = strstr(r->headers, needle);
	if (!p)
		return -1;
	p += strlen(needle);
	size_t n = strcspn(p, ";\r");
	if (n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* ---- sessions and tokens: what most HTTP tests do first */

/* Logs in through the form like a browser: GET /login for the pre-session cookie and
 * the CSRF token, then POST /login (next=/). Copies the session cookie into sid.
 * 0 on a 303 with a session, -1 otherwise. */
static inline int test_login(int port, const char *user, const char *password, char *sid, size_t sidlen)
{
	struct test_response r;
	char pre[128], csrf[128], hdr[512], body[512];
	if (test_request(port, "GET", "/login", NULL, NULL, &r) != 0)
		return -1;
	int ok = r.status == 200 && test_set_cookie(&r, "gs_pre", pre, sizeof pre) == 0 &&
	         test_form_value(r.body, "_csrf", csrf, sizeof csrf) == 0;
	test_response_free(&r);
	if (!ok)
		return -1;
	snprintf(hdr, sizeof hdr, "Cookie: gs_pre=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", pre);
	snprintf(body, sizeof body, "_csrf=%s&login=%s&password=%s&next=%%2F", csrf, user, password);
	if (test_request(port, "POST", "/login", hdr, body, &r) != 0)
		return -1;
	int rc = r.status == 303 ? test_set_cookie(&r, "gs_session", sid, sidlen) : -1;
	test_response_free(&r);
	return rc;
}

/* GET path with the session cookie sid (from test_login). */
static inline int test_session_get(int port, const char *sid, const char *path, struct test_response *r)
{
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\n", sid);
	return test_request(port, "GET", path, hdr, NULL, r);
}

/* POSTs body, already urlencoded (the caller adds _csrf if the test wants one), with the
 * session cookie sid. */
static inline int test_session_post(int port, const char *sid, const char *path, const char *body,
                                    struct test_response *r)
{
	char hdr[300];
	snprintf(hdr, sizeof hdr, "Cookie: gs_session=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n", sid);
	return test_request(port, "POST", path, hdr, body, r);
}

/* GET path on the JSON API with a bearer token (from `gridscore token add`). */
static inline int test_api_get(int port, const char *token, const char *path, struct test_response *r)
{
	char hdr[256];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", token);
	return test_request(port, "GET", path, hdr, NULL, r);
}

/* The survey path ("/s/...") of hall `hall` as GET /api/v1/halls gives it, into out.
 * 0 on success, -1 if the request failed, the hall is not listed or out is too small. */
static inline int test_survey_path(int port, const char *token, const char *hall, char *out, size_t outlen)
{
	struct test_response r;
	if (test_api_get(port, token, "/api/v1/halls", &r) != 0)
		return -1;
	char needle[160];
	snprintf(needle, sizeof needle, "\"code\":\"%s\"", hall);
	const char *p = strstr(r.body, needle);
	const char *u = p ? strstr(p, "/s/") : NULL;
	int rc = -1;
	if (u) {
		size_t n = strcspn(u, "\"");
		if (n < outlen) {
			memcpy(out, u, n);
			out[n] = '\0';
			rc = 0;
		}
	}
	test_response_free(&r);
	return rc;
}

#endif
