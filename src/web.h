/* web.h — the HTTP handlers and the route table that binds them to paths. Handlers
 * parse what they need from the request, call the domain modules and hand plain data
 * to the views. */
#ifndef GS_WEB_H
#define GS_WEB_H

#include <stddef.h>

#include "http.h"

/* The route table (static; lives for the program). */
const struct http_route *web_routes(size_t *n);

#endif
