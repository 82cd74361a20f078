/* web_int.h — what the handler files (web.c, web_survey.c, web_import.c) share: the application
 * state handed to the server, scope checks, JSON replies, and the handlers web.c puts
 * in the route table. Not used outside the web layer. */
#ifndef GS_WEB_INT_H
#define GS_WEB_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
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
	struct survey_settings settings; /* as read at start; use web_settings(), which follows changes */
	pthread_mutex_t settings_lock;
	_Atomic(const struct survey_settings *) settings_now; /* the newest; never freed before the app */
	atomic_ulong settings_gen;       /* settings_generation() it was read at */
	struct survey_settings **settings_old; /* earlier ones, still referenced by queued work */
	size_t n_settings_old;
	struct ratelimit *rl_client;       /* token bucket: submissions per client hash */
	struct ratelimit *rl_client_hall;  /* minimum interval per client and hall */
	struct ratelimit *rl_hall;         /* token bucket: submissions per hall */
	struct survey_batcher *batcher;    /* group commit of submissions */
	unsigned stamp_key_set;
	unsigned char stamp_key[32];  /* signs the render time of survey pages */
	char *trusted_proxy;          /* peer address whose X-Forwarded-For is believed */
};

void web_view_ctx(const struct http_request *req, struct view_ctx *v);
/* The survey settings in force: read again after an administrator changed them
 * (settings_changed), except survey.burst_max, whose window is sized at start. The
 * pointer stays valid until the app is freed. */
const struct survey_settings *web_settings(struct http_request *req);
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
/* What the satisfaction block counted, for the page's key figures (ok = 0: not read). */
struct web_sat_summary {
	int ok;
	int64_t responses, satisfied, verified;
	double rate, ci_low, ci_high;
	int sample_ok;
	int64_t followups_open, followups_overdue;
};
/* The satisfaction block of the dashboard, unit and hall pages as HTML the caller
 * frees; NULL when the statistics could not be read (the page goes on without it).
 * code names the unit or hall in the block's links; f is the page's filter (range and
 * verified-only in force); sum (may be NULL) receives the headline numbers. */
char *web_survey_block(struct http_request *req, const struct view_ctx *v, const struct survey_scope *scope,
		       int64_t station_for_followups, const char *code, const struct view_filter *f,
		       struct web_sat_summary *sum);

/* web_import.c */
enum gs_result web_imports_page(struct http_request *req, struct http_response *res);
enum gs_result web_import_upload(struct http_request *req, struct http_response *res);
enum gs_result web_import_page(struct http_request *req, struct http_response *res);
enum gs_result web_api_import(struct http_request *req, struct http_response *res);
enum gs_result web_api_coverage(struct http_request *req, struct http_response *res);
enum gs_result web_uncovered_csv(struct http_request *req, struct http_response *res);
/* What the coverage block found, for the page's key figures (ok = 0: not read). */
struct web_cov_summary {
	int ok;
	struct meter_coverage cov;
	int have_proj;
	struct meter_projection_s proj;
	size_t late_stations;
};
/* The smart-meter coverage block of a unit page or the dashboard as HTML the caller
 * frees (as of ?at=, default today); NULL when coverage could not be read. sum (may
 * be NULL) receives the headline numbers. */
char *web_coverage_block(struct http_request *req, const struct view_ctx *v, const struct org_unit *unit,
			 struct web_cov_summary *sum);
enum gs_result web_coverage_months_csv(struct http_request *req, struct http_response *res);
enum gs_result web_coverage_stations_csv(struct http_request *req, struct http_response *res);

/* web_dashboard.c: the dashboard, unit and hall pages, their filter and their CSVs. */
enum gs_result web_dashboard(struct http_request *req, struct http_response *res);
enum gs_result web_unit_page(struct http_request *req, struct http_response *res);
enum gs_result web_hall_page(struct http_request *req, struct http_response *res);
enum gs_result web_satisfaction_months_csv(struct http_request *req, struct http_response *res);
enum gs_result web_hall_heatmap_csv(struct http_request *req, struct http_response *res);
/* Reads the filter from the query: values in force, errors beside their fields. */
void web_filter_parse(struct http_request *req, struct view_filter *f);
/* A block of a unit's page made by another module (HTML the caller frees, or NULL). */
typedef char *(*web_block_fn)(struct http_request *req, const struct view_ctx *v, const struct org_unit *unit,
			      const struct view_filter *f);
/* The scores league table of the dashboard and unit pages: set by the scores module
 * (NULL until then: the page simply has no scores section). */
extern web_block_fn web_dashboard_scores_block;

/* web_admin.c: the admin pages (role admin). */
enum gs_result web_admin_halls(struct http_request *req, struct http_response *res);
enum gs_result web_admin_hall_active(struct http_request *req, struct http_response *res);
enum gs_result web_admin_hall_rotate(struct http_request *req, struct http_response *res);
enum gs_result web_admin_logins(struct http_request *req, struct http_response *res);
enum gs_result web_admin_login_add(struct http_request *req, struct http_response *res);
enum gs_result web_admin_login_password(struct http_request *req, struct http_response *res);
enum gs_result web_admin_login_active(struct http_request *req, struct http_response *res);
enum gs_result web_admin_tokens(struct http_request *req, struct http_response *res);
enum gs_result web_admin_token_add(struct http_request *req, struct http_response *res);
enum gs_result web_admin_token_revoke(struct http_request *req, struct http_response *res);
enum gs_result web_admin_settings(struct http_request *req, struct http_response *res);
/* the org's admin pages: halls add and edit, units, people and leader links */
enum gs_result web_admin_hall_add(struct http_request *req, struct http_response *res);
enum gs_result web_admin_hall_page(struct http_request *req, struct http_response *res);
enum gs_result web_admin_hall_edit(struct http_request *req, struct http_response *res);
enum gs_result web_admin_units(struct http_request *req, struct http_response *res);
enum gs_result web_admin_unit_add(struct http_request *req, struct http_response *res);
enum gs_result web_admin_unit_page(struct http_request *req, struct http_response *res);
enum gs_result web_admin_unit_edit(struct http_request *req, struct http_response *res);
enum gs_result web_admin_people(struct http_request *req, struct http_response *res);
enum gs_result web_admin_person_add(struct http_request *req, struct http_response *res);
enum gs_result web_admin_person_page(struct http_request *req, struct http_response *res);
enum gs_result web_admin_person_edit(struct http_request *req, struct http_response *res);
enum gs_result web_admin_link_add(struct http_request *req, struct http_response *res);
enum gs_result web_admin_link_remove(struct http_request *req, struct http_response *res);

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
enum gs_result web_milestones_page(struct http_request *req, struct http_response *res);
enum gs_result web_milestone_done(struct http_request *req, struct http_response *res);

#endif
