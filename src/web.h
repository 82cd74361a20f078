/* web.h — the HTTP handlers and the route table that binds them to paths. Handlers
 * parse what they need from the request, call the domain modules and hand plain data
 * to the views. */
#ifndef GS_WEB_H
#define GS_WEB_H

#include <stddef.h>

#include "http.h"

struct db;
struct web_app;

/* Options of the web application, from the serve command line. */
struct web_options {
	const char *form_path;      /* survey form file; NULL: the built-in forms/hall-satisfaction.xml */
	const char *trusted_proxy;  /* address of a reverse proxy whose X-Forwarded-For is believed; NULL: none */
	unsigned hall_per_minute;   /* survey submissions per hall per minute; 0: default 120 */
	unsigned client_per_hour;   /* submissions per client per hour; 0: default 20 */
	unsigned client_hall_gap_s; /* minimum seconds between one client's submissions at a hall; 0: default 30 */
};

/* Loads and checks what the handlers need (the survey form, registered as a form
 * version in db; settings; rate limiters). On a bad form: GS_ERR_INVALID and err says
 * file, line and construct. Free with web_app_free; pass as http_config.app. */
enum gs_result web_app_new(struct db *db, const struct web_options *opt, struct web_app **out, char *err,
			   size_t errlen);
void web_app_free(struct web_app *app); /* NULL is a no-op */

/* The route table (static; lives for the program). */
const struct http_route *web_routes(size_t *n);

#endif
