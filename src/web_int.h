/* web_int.h — what the handler files (web.c, web_survey.c, web_import.c) share: the application
 * state handed to the server, scope checks, JSON replies, and the handlers web.c puts
 * in the route table. Not used outside the web layer. */
#ifndef GS_WEB_INT_H
#define GS_WEB_INT_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"
#include "survey.h"
#include "view.h"
#include "web.h"
#include "xform.h"

struct ratelimit;

/* Shared by every request; fixed once the server runs (the limiters lock themselves). */
struct web_app {
	struct xform *form;           /* the survey form served at every hall */
	int64_t form_row;             /* its survey_forms row */
	struct survey_settings settings;
	struct ratelimit *rl_client;       /* token bucket: submissions per client hash */
	struct ratelimit *rl_client_hall;  /* minimum interval per client and hall */
	struct ratelimit *rl_hall;         /* token bucket: submissions per hall */
	struct survey_batcher *batcher;    /* group commit of submissions */
	unsigned stamp_key_set;
	unsigned char stamp_key[32];  /* signs the render time of survey pages */
	char *trusted_proxy;          /* peer address whose X-Forwarded-For is believed */
};

void web_view_ctx(const struct http_request *req, struct view_ctx *v);
/* The unit a caller is confined to: 0 the whole company, -1 nothing. */
int64_t web_scope_unit(struct http_request *req);
enum gs_result web_check_scope(struct http_request *req, struct http_response *res, int64_t unit_id);
/* Serialises v as the JSON body and frees it. */
enum gs_result web_json_reply(struct http_response *res, json_t *v);

/* web_survey.c */
enum gs_result web_survey_page(struct http_request *req, struct http_response *res);
enum gs_result web_survey_submit(struct http_request *req, struct http_response *res);
enum gs_result web_survey_thanks(struct http_request *req, struct http_response *res);
enum gs_result web_ticket_page(struct http_request *req, struct http_response *res);
enum gs_result web_ticket_submit(struct http_request *req, struct http_response *res);
enum gs_result web_ticket_thanks(struct http_request *req, struct http_response *res);
enum gs_result web_api_ticket(struct http_request *req, struct http_response *res);
enum gs_result web_api_halls(struct http_request *req, struct http_response *res);
enum gs_result web_api_satisfaction(struct http_request *req, struct http_response *res);
enum gs_result web_poster(struct http_request *req, struct http_response *res);
enum gs_result web_posters(struct http_request *req, struct http_response *res);
enum gs_result web_qr_image(struct http_request *req, struct http_response *res);
enum gs_result web_followups(struct http_request *req, struct http_response *res);
enum gs_result web_followup_close(struct http_request *req, struct http_response *res);
enum gs_result web_satisfaction_csv(struct http_request *req, struct http_response *res);
enum gs_result web_responses_csv(struct http_request *req, struct http_response *res);
/* The satisfaction block of the dashboard, unit and hall pages as HTML the caller
 * frees; NULL when the statistics could not be read (the page goes on without it).
 * code names the unit or hall in the block's links. */
char *web_survey_block(struct http_request *req, const struct view_ctx *v, const struct survey_scope *scope,
		       int64_t station_for_followups, const char *code);

/* web_import.c */
enum gs_result web_imports_page(struct http_request *req, struct http_response *res);
enum gs_result web_import_upload(struct http_request *req, struct http_response *res);
enum gs_result web_import_page(struct http_request *req, struct http_response *res);
enum gs_result web_api_import(struct http_request *req, struct http_response *res);
enum gs_result web_api_coverage(struct http_request *req, struct http_response *res);
enum gs_result web_uncovered_csv(struct http_request *req, struct http_response *res);
/* The smart-meter coverage block of a unit page or the dashboard as HTML the caller
 * frees (as of ?at=, default today); NULL when coverage could not be read. */
char *web_coverage_block(struct http_request *req, const struct view_ctx *v, const struct org_unit *unit);

/* web_score.c */
enum gs_result web_scores_page(struct http_request *req, struct http_response *res);
enum gs_result web_report_html(struct http_request *req, struct http_response *res);
enum gs_result web_report_csv(struct http_request *req, struct http_response *res);
enum gs_result web_api_scores(struct http_request *req, struct http_response *res);
enum gs_result web_manual_page(struct http_request *req, struct http_response *res);
enum gs_result web_manual_post(struct http_request *req, struct http_response *res);
enum gs_result web_adjustments_page(struct http_request *req, struct http_response *res);
enum gs_result web_adjustment_post(struct http_request *req, struct http_response *res);
enum gs_result web_adjustment_decide(struct http_request *req, struct http_response *res);
enum gs_result web_period_close(struct http_request *req, struct http_response *res);
enum gs_result web_period_reopen(struct http_request *req, struct http_response *res);

#endif
