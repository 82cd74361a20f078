/* web_survey.c — the survey handlers: the public survey pages for hall codes and
 * tickets (render, validate, rate-limit, store, thank), the ticket and satisfaction
 * API, QR posters, follow-ups and CSV exports. Domain work is in survey.c and xform.c;
 * HTML is in view_survey.c. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "qr.h"
#include "ratelimit.h"
#include "settings.h"
#include "util.h"
#include "web_int.h"

#define DEFAULT_FORM "forms/hall-satisfaction.xml"

/* ---- Application state ----------------------------------------------------------- */

enum gs_result web_app_new(struct db *db, const struct web_options *opt, struct web_app **out, char *err,
			   size_t errlen)
{
	*out = NULL;
	char *data = NULL;
	size_t len = 0;
	const char *name = opt && opt->form_path ? opt->form_path : DEFAULT_FORM;
	if (opt && opt->form_path) {
		enum gs_result r = util_read_file(opt->form_path, XFORM_MAX_BYTES, &data, &len);
		if (r != GS_OK) {
			snprintf(err, errlen, "%s: cannot read the survey form (%s)", name, gs_result_str(r));
			return r;
		}
	} else {
		const struct embed_file *f = embed_find(DEFAULT_FORM);
		if (!f) {
			snprintf(err, errlen, "%s is missing from this build", DEFAULT_FORM);
			return GS_ERR_INTERNAL;
		}
		data = xstrndup((const char *)f->data, f->len);
		len = f->len;
	}
	struct web_app *app = xcalloc(1, sizeof *app);
	pthread_mutex_init(&app->settings_lock, NULL);
	struct xform_error xe = {0};
	enum gs_result r = xform_load_memory(name, data, len, &app->form, &xe);
	if (r != GS_OK) {
		xform_error_format(&xe, err, errlen);
	} else {
		r = survey_form_register(db, app->form->id, app->form->version, data, len, &app->form_row);
		if (r == GS_ERR_CONFLICT)
			snprintf(err, errlen,
				 "%s: form '%s' version '%s' was served before with other content; give the changed form a "
				 "new version",
				 name, app->form->id, app->form->version);
		else if (r != GS_OK)
			snprintf(err, errlen, "%s: cannot register the form (%s)", name, gs_result_str(r));
	}
	free(data);
	if (r == GS_OK && (r = survey_aggregates_rebuild(db, 1, NULL)) != GS_OK)
		snprintf(err, errlen, "cannot update the survey aggregates (%s)", gs_result_str(r));
	if (r == GS_OK && (r = survey_settings_load(db, &app->settings)) != GS_OK)
		snprintf(err, errlen, "cannot read the survey settings");
	atomic_store(&app->settings_now, &app->settings);
	atomic_store(&app->settings_gen, settings_generation());
	if (r == GS_OK && (r = auth_server_key(db, "survey-stamp", app->stamp_key)) != GS_OK)
		snprintf(err, errlen, "cannot read the server keys");
	if (r != GS_OK) {
		web_app_free(app);
		return r;
	}
	unsigned per_hall = opt && opt->hall_per_minute ? opt->hall_per_minute : 120;
	unsigned per_client = opt && opt->client_per_hour ? opt->client_per_hour : 20;
	unsigned gap = opt && opt->client_hall_gap_s ? opt->client_hall_gap_s : 30;
	app->rl_client = ratelimit_new_bucket(1 << 16, per_client, per_client, 3600);
	app->rl_client_hall = ratelimit_new(1 << 16, 1, gap);
	app->rl_hall = ratelimit_new_bucket(1 << 14, per_hall, per_hall, 60);
	app->trusted_proxy = opt && opt->trusted_proxy ? xstrdup(opt->trusted_proxy) : NULL;
	app->batcher = survey_batcher_new(0);
	if ((r = survey_batcher_burst_window(app->batcher, db, app->settings.burst_max, util_now())) != GS_OK) {
		snprintf(err, errlen, "cannot read the last hour's survey responses (%s)", gs_result_str(r));
		web_app_free(app);
		return r;
	}
	/* Folding and checkpoints in the background, on a file database (not in tests'
	 * in-memory ones). */
	const char *path = sqlite3_db_filename(db_handle(db), "main");
	if (path && *path && (r = survey_batcher_background(app->batcher, path)) != GS_OK) {
		snprintf(err, errlen, "cannot start the survey maintenance thread (%s)", gs_result_str(r));
		web_app_free(app);
		return r;
	}
	*out = app;
	return GS_OK;
}

void web_app_free(struct web_app *app)
{
	if (!app)
		return;
	uint64_t batches = 0, items = 0;
	if (app->batcher)
		survey_batcher_stats(app->batcher, &batches, &items);
	if (batches)
		log_info("survey group commit: %llu submissions in %llu transactions", (unsigned long long)items,
			 (unsigned long long)batches);
	xform_free(app->form);
	ratelimit_free(app->rl_client);
	ratelimit_free(app->rl_client_hall);
	ratelimit_free(app->rl_hall);
	survey_batcher_free(app->batcher);
	free(app->trusted_proxy);
	sodium_memzero(app->stamp_key, sizeof app->stamp_key);
	for (size_t i = 0; i < app->n_settings_old; i++)
		free(app->settings_old[i]);
	free(app->settings_old);
	if (atomic_load(&app->settings_now) != &app->settings)
		free((void *)atomic_load(&app->settings_now));
	pthread_mutex_destroy(&app->settings_lock);
	free(app);
}

static struct web_app *app_of(struct http_request *req)
{
	return http_app(req);
}

const struct survey_settings *web_settings(struct http_request *req)
{
	struct web_app *app = app_of(req);
	unsigned long gen = settings_generation();
	if (atomic_load(&app->settings_gen) != gen) {
		pthread_mutex_lock(&app->settings_lock);
		if (atomic_load(&app->settings_gen) != gen) {
			struct survey_settings *s = xmalloc(sizeof *s);
			if (survey_settings_load(req->db, s) == GS_OK) {
				const struct survey_settings *cur = atomic_load(&app->settings_now);
				s->burst_max = cur->burst_max; /* the burst window was sized for it at start */
				if (cur != &app->settings) { /* queued submissions may still point at it */
					app->settings_old = xrealloc(app->settings_old,
								     (app->n_settings_old + 1) * sizeof *app->settings_old);
					app->settings_old[app->n_settings_old++] = (struct survey_settings *)cur;
				}
				atomic_store(&app->settings_now, s);
				atomic_store(&app->settings_gen, gen);
			} else {
				free(s); /* kept as they were; read again on the next request */
				log_warn("the changed survey settings could not be read; the previous ones stay in force");
			}
		}
		pthread_mutex_unlock(&app->settings_lock);
	}
	return atomic_load(&app->settings_now);
}

static int is_en(const struct http_request *req)
{
	return strcmp(req->lang, "en") == 0;
}

#define TR(req, zh, en) (is_en(req) ? (en) : (zh))

/* ---- Helpers --------------------------------------------------------------------- */

/* The index-th value of a posted field (xform_get_fn over the parsed body). */
static const char *posted(void *ctx, const char *name, size_t index)
{
	const struct form_parser *p = ctx;
	size_t n = form_count(p), seen = 0;
	for (size_t i = 0; i < n; i++) {
		const struct form_field *f = form_field_at(p, i);
		if (f->value && strcmp(f->name, name) == 0 && seen++ == index)
			return f->value;
	}
	return NULL;
}

/* Copies up to three strings one after another into out (len > 0), cut to fit and
 * NUL-terminated; b and c may be NULL. The submit path builds its keys and paths this
 * way: snprintf's format parsing was about 2 us of a submission's CPU. */
static void str_join(char *out, size_t len, const char *a, const char *b, const char *c)
{
	const char *parts[3] = {a, b, c};
	size_t at = 0;
	for (int i = 0; i < 3; i++) {
		if (!parts[i])
			continue;
		size_t n = strlen(parts[i]);
		if (n > len - 1 - at)
			n = len - 1 - at;
		memcpy(out + at, parts[i], n);
		at += n;
	}
	out[at] = '\0';
}

/* The customer's address: the peer, or behind the trusted proxy the last hop it saw. */
static void client_address(struct http_request *req, char *out, size_t len)
{
	struct web_app *app = app_of(req);
	str_join(out, len, req->client_ip ? req->client_ip : "", NULL, NULL);
	if (!app->trusted_proxy || strcmp(out, app->trusted_proxy) != 0)
		return;
	const char *xff = http_header(req, "X-Forwarded-For");
	if (!xff)
		return;
	const char *last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	if (*last && strlen(last) < len && strspn(last, "0123456789abcdefABCDEF.:") == strlen(last))
		snprintf(out, len, "%s", last);
}

/* The render stamp: "{unix time}.{mac}" binding the time to the instance and hall. */
static void stamp_make(const struct web_app *app, const char *instance, const char *hall, int64_t t, char out[96])
{
	/* The HMAC state after the key, kept per thread: hashing the padded key again for
	 * every page and submit showed in the profile. */
	static _Thread_local struct {
		unsigned char key[32];
		int set;
		crypto_auth_hmacsha256_state keyed;
	} cache;
	if (!cache.set || sodium_memcmp(cache.key, app->stamp_key, sizeof cache.key) != 0) {
		crypto_auth_hmacsha256_init(&cache.keyed, app->stamp_key, sizeof app->stamp_key);
		memcpy(cache.key, app->stamp_key, sizeof cache.key);
		cache.set = 1;
	}
	/* "{instance}\n{hall}\n{t}"; callers pass checked instances and codes, and t > 0. */
	char msg[256];
	str_join(msg, sizeof msg - 22, instance, "\n", hall);
	size_t n = strlen(msg);
	msg[n++] = '\n';
	n += util_put_u64(msg + n, (uint64_t)t);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st = cache.keyed;
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, (unsigned long long)n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof st);
	size_t at = util_put_u64(out, (uint64_t)t);
	out[at++] = '.';
	util_hex(mac, 16, out + at); /* 32 digits and the NUL: at most 54 bytes in all */
}

/* Seconds since the page was rendered, or -1 if the stamp is missing or forged. */
static int stamp_age(const struct web_app *app, const char *instance, const char *hall, const char *stamp,
		     int64_t now)
{
	if (!stamp || !instance)
		return -1;
	char *end = NULL;
	long long t = strtoll(stamp, &end, 10);
	if (!end || *end != '.' || t <= 0 || t > now + 60)
		return -1;
	char want[96];
	stamp_make(app, instance, hall, (int64_t)t, want);
	if (strlen(want) != strlen(stamp) || !util_memeq_ct(want, stamp, strlen(want)))
		return -1;
	int64_t age = now - (int64_t)t;
	return age < 0 ? 0 : age > 7 * 86400 ? 7 * 86400 : (int)age;
}

static int valid_instance(const char *s)
{
	return s && strlen(s) == SURVEY_INSTANCE_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == SURVEY_INSTANCE_LEN;
}

static enum gs_result notice(struct http_request *req, struct http_response *res, int status, const char *heading,
			     const char *message, const struct org_hall *hall)
{
	struct view_ctx v;
	web_view_ctx(req, &v);
	res->status = status;
	buf_reset(&res->body);
	view_survey_notice(&res->body, &v, heading, message, hall);
	return GS_OK;
}

static enum gs_result invalid_code(struct http_request *req, struct http_response *res)
{
	return notice(req, res, 404, TR(req, "二维码无效", "This code is not valid"),
		      TR(req, "这个评价二维码无效或已停用。请扫描营业厅现场张贴的二维码，或向工作人员咨询。",
			 "This survey code is not valid or has been withdrawn. Please scan the code displayed in the "
			 "service hall, or ask a member of staff."),
		      NULL);
}

static enum gs_result ticket_refused(struct http_request *req, struct http_response *res, int state)
{
	if (state == 1)
		return notice(req, res, 410, TR(req, "该评价链接已使用", "This link has been used"),
			      TR(req, "每个评价链接只能提交一次，我们已经收到了这次评价。谢谢！",
				 "Each survey link can be answered once, and this one has been. Thank you!"),
			      NULL);
	if (state == 2)
		return notice(req, res, 410, TR(req, "该评价链接已过期", "This link has expired"),
			      TR(req, "评价链接在办理业务后 24 小时内有效。您仍可扫描营业厅的二维码进行评价。",
				 "Survey links are valid for a limited time after your visit. You can still rate the "
				 "service by scanning the code in the hall."),
			      NULL);
	return notice(req, res, 404, TR(req, "评价链接无效", "This link is not valid"),
		      TR(req, "没有找到这个评价链接，请检查链接是否完整。", "This survey link was not found; please check it is complete."),
		      NULL);
}

/* The fresh survey page of a hall as this thread last rendered it, cut around the form
 * instance and the render stamp, which are all that differ between two customers'
 * pages: a page is then three copies and two values. Entries live as long as resolved
 * codes (SURVEY_HALL_CACHE_MS), so a renamed hall shows within that time. */
#define PAGE_CACHE_SLOTS 4
#define PAGE_CACHE_BYTES 16384
struct page_cache_entry {
	int64_t until_us;            /* 0: empty */
	int64_t hall_id;
	int key_version;
	char lang[4];
	char action[ROUTE_PARAM_MAX + 8];
	size_t inst_at, stamp_at, stamp_end, len; /* the cuts: [inst_at, +SURVEY_INSTANCE_LEN), [stamp_at, stamp_end) */
	char page[PAGE_CACHE_BYTES];
};
static _Thread_local struct page_cache_entry page_cache[PAGE_CACHE_SLOTS];
static _Thread_local unsigned page_cache_next;

/* Renders the page once with random stand-ins for instance and stamp and records where
 * they are; 0 if they are not each found exactly once or the page is too big. */
static int page_cache_fill(struct page_cache_entry *e, const struct view_ctx *v, const struct xform *form,
			   const struct org_hall *hall, const char *action)
{
	char inst[SURVEY_INSTANCE_LEN + 1], stamp[AUTH_TOKEN_LEN + 1];
	survey_instance_new(util_now(), inst);
	auth_random_token(stamp);
	struct buf b;
	buf_init(&b, PAGE_CACHE_BYTES - 1);
	view_survey(&b, v, form, hall, action, inst, stamp, NULL, NULL, 0);
	int ok = 0;
	if (!b.failed && b.data) {
		const char *i = strstr(b.data, inst), *t = i ? strstr(i + SURVEY_INSTANCE_LEN, stamp) : NULL;
		if (i && t && !strstr(i + 1, inst) && strstr(b.data, stamp) == t && !strstr(t + 1, stamp)) {
			memcpy(e->page, b.data, b.len);
			e->len = b.len;
			e->inst_at = (size_t)(i - b.data);
			e->stamp_at = (size_t)(t - b.data);
			e->stamp_end = e->stamp_at + AUTH_TOKEN_LEN;
			ok = 1;
		}
	}
	buf_free(&b);
	return ok;
}

static enum gs_result page_cached(struct http_response *res, const struct view_ctx *v, const struct xform *form,
				  const struct org_hall *hall, const char *action, const char *instance, const char *stamp)
{
	int64_t now = util_monotonic_us();
	struct page_cache_entry *e = NULL;
	for (unsigned k = 0; k < PAGE_CACHE_SLOTS && !e; k++) {
		struct page_cache_entry *c = &page_cache[k];
		if (c->until_us > now && c->hall_id == hall->id && c->key_version == hall->key_version &&
		    strcmp(c->lang, v->lang) == 0 && strcmp(c->action, action) == 0)
			e = c;
	}
	if (!e && strlen(v->lang) < sizeof e->lang && strlen(action) < sizeof e->action) {
		e = &page_cache[page_cache_next++ % PAGE_CACHE_SLOTS];
		e->until_us = 0;
		if (page_cache_fill(e, v, form, hall, action)) {
			e->until_us = now + SURVEY_HALL_CACHE_MS * 1000;
			e->hall_id = hall->id;
			e->key_version = hall->key_version;
			snprintf(e->lang, sizeof e->lang, "%s", v->lang);
			snprintf(e->action, sizeof e->action, "%s", action);
		} else {
			e = NULL;
		}
	}
	if (!e) {
		view_survey(&res->body, v, form, hall, action, instance, stamp, NULL, NULL, 0);
		return GS_OK;
	}
	/* instance and stamp are our own url-safe characters: nothing to escape */
	buf_append(&res->body, e->page, e->inst_at);
	buf_puts(&res->body, instance);
	buf_append(&res->body, e->page + e->inst_at + SURVEY_INSTANCE_LEN, e->stamp_at - e->inst_at - SURVEY_INSTANCE_LEN);
	buf_puts(&res->body, stamp);
	return buf_append(&res->body, e->page + e->stamp_end, e->len - e->stamp_end);
}

/* Renders the survey; instance/stamp NULL: fresh ones. */
static enum gs_result render_survey(struct http_request *req, struct http_response *res, const struct org_hall *hall,
				    const char *action, const char *instance, const char *stamp,
				    const struct xform_field_error *errs, size_t n_errs)
{
	struct web_app *app = app_of(req);
	char fresh[SURVEY_INSTANCE_LEN + 1], fresh_stamp[96];
	if (!instance || !stamp) {
		int64_t now = util_now();
		survey_instance_new(now, fresh);
		stamp_make(app, fresh, hall->code, now, fresh_stamp);
		instance = fresh;
		stamp = fresh_stamp;
	}
	struct view_ctx v;
	web_view_ctx(req, &v);
	buf_reset(&res->body);
	if (!req->form && !n_errs)
		return page_cached(res, &v, app->form, hall, action, instance, stamp);
	struct view_answers a = {.get = posted, .ctx = req->form};
	view_survey(&res->body, &v, app->form, hall, action, instance, stamp, req->form ? &a : NULL, errs, n_errs);
	return GS_OK;
}

/* ---- Survey pages ----------------------------------------------------------------- */

enum gs_result web_survey_page(struct http_request *req, struct http_response *res)
{
	const struct org_hall *hall;
	enum gs_result r = survey_code_resolve_cached(req->db, req->match.params[0], &hall);
	if (r == GS_ERR_NOT_FOUND)
		return invalid_code(req, res);
	if (r != GS_OK)
		return r;
	char action[ROUTE_PARAM_MAX + 8];
	snprintf(action, sizeof action, "/s/%s", req->match.params[0]);
	return render_survey(req, res, hall, action, NULL, NULL, NULL, 0);
}

/* The shared submit path of hall codes and tickets. */
static enum gs_result already_received(struct http_request *req, struct http_response *res,
				       const struct org_hall *hall)
{
	return notice(req, res, 200, TR(req, "已收到您的评价", "Already received"),
		      TR(req, "这份评价之前已经提交成功，无需重复提交。谢谢！",
			 "This response was already submitted; there is no need to send it again. Thank you!"),
		      hall);
}

/* The keys a submission is rate-limited by. */
struct submit_keys {
	int64_t now;
	unsigned char ch[SURVEY_CLIENT_HASH_LEN];
	char hall_code[AUTH_CODE_MAX + 1];
	char client_key[2 * SURVEY_CLIENT_HASH_LEN + 1];
	char pair_key[2 * SURVEY_CLIENT_HASH_LEN + AUTH_CODE_MAX + 2];
};

static enum gs_result submit_checked(struct http_request *req, struct http_response *res, const struct org_hall *hall,
				     const char *action, const char *ticket, const char *thanks, const char *instance,
				     const struct submit_keys *k, int *seen_io);

/* The end of a submission, stored or not: a resubmitted page (*seen) is "already
 * received" and never counts against the limits; a stored one counts against the
 * client's minimum interval at the hall. */
static enum gs_result submit_finish(struct http_request *req, struct http_response *res, const struct org_hall *hall,
				    const struct submit_keys *k, int seen, enum gs_result r)
{
	struct web_app *app = app_of(req);
	if (seen > 0) {
		ratelimit_refund(app->rl_hall, k->hall_code);
		ratelimit_refund(app->rl_client, k->client_key);
		return already_received(req, res, hall);
	}
	if (r == GS_OK && res->location) /* stored */
		ratelimit_hit(app->rl_client_hall, k->pair_key, k->now);
	return r;
}

static enum gs_result submit(struct http_request *req, struct http_response *res, const struct org_hall *hall,
			     const char *action, const char *ticket, const char *thanks)
{
	struct web_app *app = app_of(req);
	struct submit_keys k;
	k.now = util_now();

	/* A resubmitted page (back button, double tap) is answered "already received"
	 * whatever else is wrong with it, and never counts against a limit. The store finds
	 * it on the common path (the instance is unique); the rarer answers below (a limit,
	 * a bad field, invalid answers) look it up first. */
	const char *instance = form_get(req->form, "_i");
	int seen = valid_instance(instance) ? -1 : 0; /* -1: not looked up yet */
#define RESUBMITTED() (seen < 0 ? (seen = survey_instance_seen(req->db, instance) > 0) : seen)

	/* Rate limits, by a client hash that never stores the address. */
	char ip[64];
	client_address(req, ip, sizeof ip);
	enum gs_result r = survey_client_hash(req->db, ip, http_header(req, "User-Agent"), k.now, k.ch);
	if (r != GS_OK)
		return r;
	str_join(k.hall_code, sizeof k.hall_code, hall->code, NULL, NULL);
	util_hex(k.ch, sizeof k.ch, k.client_key);
	str_join(k.pair_key, sizeof k.pair_key, k.client_key, "/", hall->code);
	/* The hall's and the client's tokens are taken as they are checked (one lookup
	 * each) and given back when a later limit refuses. */
	unsigned wait = ratelimit_acquire(app->rl_hall, k.hall_code, k.now);
	if (!wait) {
		wait = ratelimit_acquire(app->rl_client, k.client_key, k.now);
		if (!wait) {
			wait = ratelimit_retry_after(app->rl_client_hall, k.pair_key, k.now);
			if (wait)
				ratelimit_refund(app->rl_client, k.client_key);
		}
		if (wait)
			ratelimit_refund(app->rl_hall, k.hall_code);
	}
	if (wait && RESUBMITTED())
		return already_received(req, res, hall);
	if (wait) {
		char secs[16];
		snprintf(secs, sizeof secs, "%u", wait);
		http_add_header(res, "Retry-After", secs);
		return notice(req, res, 429, TR(req, "请稍后再试", "Please try again later"),
			      TR(req, "刚才收到了太多评价，请稍等片刻再提交。谢谢您的耐心！",
				 "We have just received many responses from here. Please wait a moment before "
				 "submitting again. Thank you!"),
			      hall);
	}
	r = submit_checked(req, res, hall, action, ticket, thanks, instance, &k, &seen);
	return submit_finish(req, res, hall, &k, seen, r);
}

/* What a store's result answers (a duplicate sets *seen_io and answers nothing). */
static enum gs_result submit_stored(struct http_request *req, struct http_response *res, enum gs_result r,
				    const struct survey_stored *stored, const char *thanks, int *seen_io)
{
	if (r == GS_ERR_CONFLICT && stored->duplicate) {
		*seen_io = 1;
		return GS_OK;
	}
	if (r == GS_ERR_CONFLICT && stored->ticket_state)
		return ticket_refused(req, res, stored->ticket_state);
	if (r == GS_ERR_BUSY)
		return http_fail(res, r, "%s", TR(req, "系统繁忙，请稍后再提交。", "The system is busy; please submit again shortly."));
	if (r != GS_OK)
		return r;
	http_redirect(res, 303, thanks);
	return GS_OK;
}

/* A hall-code submission on its way through the write queue: the connection waits
 * (http_defer) without holding a server thread, and the writer's commit resumes it.
 * Holds everything the submission points to, as the handler's stack is gone by then. */
struct submit_job {
	struct http_deferred *deferred;
	struct submit_keys keys;
	char instance[SURVEY_INSTANCE_LEN + 1];
	struct xform_answers ans;
	struct survey_choice *choices;
	struct survey_submission s;
	struct survey_stored stored;
	enum gs_result result;
};

static void submit_job_free(struct submit_job *j)
{
	xform_answers_clear(&j->ans);
	free(j->choices);
	free(j);
}

/* survey_stored_fn: the writer committed or refused it. */
static void submit_job_stored(void *ctx, enum gs_result r)
{
	struct submit_job *j = ctx;
	j->result = r;
	http_resume(j->deferred);
}

/* http_resume_fn: answers a stored hall-code submission as submit would have. */
static enum gs_result submit_job_answer(struct http_request *req, struct http_response *res, void *ctx)
{
	struct submit_job *j = ctx;
	if (!req) {
		submit_job_free(j);
		return GS_OK;
	}
	char thanks[ROUTE_PARAM_MAX + 16];
	str_join(thanks, sizeof thanks, "/s/", req->match.params[0], "/thanks");
	int seen = 0;
	enum gs_result r = submit_stored(req, res, j->result, &j->stored, thanks, &seen);
	/* Only "already received" shows the hall: then the hall as this thread resolves its
	 * code now (the handler's was borrowed); a code withdrawn meanwhile leaves the page
	 * without the hall's name. A stored submission's 303 needs none. */
	const struct org_hall *hall = NULL;
	if (seen > 0 && survey_code_resolve_cached(req->db, req->match.params[0], &hall) != GS_OK)
		hall = NULL;
	r = submit_finish(req, res, hall, &j->keys, seen, r);
	submit_job_free(j);
	return r;
}

/* The rest of submit, after the limits: fields, answers, the store. *seen as in submit:
 * set to 1 when the instance turns out to be stored already (nothing is answered then). */
static enum gs_result submit_checked(struct http_request *req, struct http_response *res, const struct org_hall *hall,
				     const char *action, const char *ticket, const char *thanks, const char *instance,
				     const struct submit_keys *k, int *seen_io)
{
	struct web_app *app = app_of(req);
	int seen = *seen_io;
	enum gs_result r;

	/* Only the form's own fields. */
	size_t nf = form_count(req->form);
	for (size_t i = 0; i < nf; i++) {
		const struct form_field *f = form_field_at(req->form, i);
		if (strcmp(f->name, "_i") == 0 || strcmp(f->name, "_t") == 0 || xform_find(app->form, f->name) >= 0)
			continue;
		char msg[200];
		snprintf(msg, sizeof msg, "%s '%.64s'", TR(req, "表单中有无法识别的字段", "the form has an unknown field"),
			 f->name);
		if (RESUBMITTED()) {
			*seen_io = 1;
			return GS_OK;
		}
		return notice(req, res, 400, TR(req, "无法提交", "Could not submit"), msg, hall);
	}
	const char *stamp = form_get(req->form, "_t");
	if (!valid_instance(instance))
		return notice(req, res, 400, TR(req, "无法提交", "Could not submit"),
			      TR(req, "表单不完整，请重新扫码打开评价页面。",
				 "The form is incomplete; please open the survey again from the QR code."),
			      hall);

	struct xform_answers ans = {0};
	struct xform_field_error errs[XFORM_MAX_QUESTIONS];
	size_t n_errs = 0;
	r = xform_answers_parse(app->form, posted, req->form, is_en(req) ? XFORM_EN : XFORM_ZH, &ans, errs,
				XFORM_MAX_QUESTIONS, &n_errs);
	if (r == GS_ERR_INVALID) {
		if (RESUBMITTED()) {
			xform_answers_clear(&ans);
			*seen_io = 1;
			return GS_OK;
		}
		res->status = 400;
		return render_survey(req, res, hall, action, instance, stamp, errs, n_errs);
	}
	if (r != GS_OK)
		return r;

	int age = stamp_age(app, instance, hall->code, stamp, k->now);
	struct survey_choice *choices = xmalloc((ans.n_choices ? ans.n_choices : 1) * sizeof *choices);
	for (size_t i = 0; i < ans.n_choices; i++)
		choices[i] = (struct survey_choice){ans.choices[i].question, ans.choices[i].value};
	struct survey_submission s = {
		.hall_id = hall->id,
		.form_row = app->form_row,
		.submitted_at = k->now,
		.rating = ans.rating,
		.satisfied = ans.rating >= 1 && ans.rating <= 5 && app->form->satisfied[ans.rating],
		.answers_json = ans.json,
		.comment = ans.comment,
		.ticket = ticket,
		.instance = instance,
		.client_hash = k->ch,
		.duration_s = age,
		.unserved = age < 0,
		.choices = choices,
		.n_choices = ans.n_choices,
	};
	if (!ticket) {
		/* Through the write queue: the answer comes from submit_job_answer. */
		struct submit_job *j = xcalloc(1, sizeof *j);
		j->keys = *k;
		snprintf(j->instance, sizeof j->instance, "%s", instance);
		j->ans = ans;
		j->choices = choices;
		j->s = s;
		j->s.instance = j->instance;
		j->s.client_hash = j->keys.ch;
		j->deferred = http_defer(req, submit_job_answer, j);
		survey_store_async(app->batcher, req->db, web_settings(req), &j->s, &j->stored, submit_job_stored, j);
		return GS_OK;
	}
	/* Tickets (few; their hall is the caller's own copy) wait for their commit here. */
	struct survey_stored stored;
	r = survey_store_batched(app->batcher, req->db, web_settings(req), &s, &stored);
	free(choices);
	xform_answers_clear(&ans);
	return submit_stored(req, res, r, &stored, thanks, seen_io);
#undef RESUBMITTED
}

enum gs_result web_survey_submit(struct http_request *req, struct http_response *res)
{
	const struct org_hall *hall;
	enum gs_result r = survey_code_resolve_cached(req->db, req->match.params[0], &hall);
	if (r == GS_ERR_NOT_FOUND)
		return invalid_code(req, res);
	if (r != GS_OK)
		return r;
	char action[ROUTE_PARAM_MAX + 8], thanks[ROUTE_PARAM_MAX + 16];
	str_join(action, sizeof action, "/s/", req->match.params[0], NULL);
	str_join(thanks, sizeof thanks, "/s/", req->match.params[0], "/thanks");
	return submit(req, res, hall, action, NULL, thanks);
}

static enum gs_result thank_you(struct http_request *req, struct http_response *res, const struct org_hall *hall)
{
	return notice(req, res, 200, TR(req, "感谢您的评价", "Thank you"),
		      TR(req, "您的评价已提交。我们会认真对待每一条意见，不断改进服务。",
			 "Your answers have been received. We read every one and use them to improve our service."),
		      hall);
}

enum gs_result web_survey_thanks(struct http_request *req, struct http_response *res)
{
	const struct org_hall *hall;
	enum gs_result r = survey_code_resolve_cached(req->db, req->match.params[0], &hall);
	if (r == GS_ERR_NOT_FOUND)
		return invalid_code(req, res);
	if (r != GS_OK)
		return r;
	return thank_you(req, res, hall);
}

enum gs_result web_ticket_page(struct http_request *req, struct http_response *res)
{
	struct org_hall hall;
	int64_t tid;
	int state = 0;
	enum gs_result r = survey_ticket_check(req->db, req->match.params[0], util_now(), &tid, &hall, &state);
	if (r == GS_ERR_NOT_FOUND || r == GS_ERR_CONFLICT)
		return ticket_refused(req, res, state);
	if (r != GS_OK)
		return r;
	char action[ROUTE_PARAM_MAX + 8];
	snprintf(action, sizeof action, "/t/%s", req->match.params[0]);
	r = render_survey(req, res, &hall, action, NULL, NULL, NULL, 0);
	org_hall_clear(&hall);
	return r;
}

enum gs_result web_ticket_submit(struct http_request *req, struct http_response *res)
{
	struct org_hall hall;
	int64_t tid;
	int state = 0;
	enum gs_result r = survey_ticket_check(req->db, req->match.params[0], util_now(), &tid, &hall, &state);
	if (r == GS_ERR_CONFLICT && state == 1) {
		/* A second submit of the same page after success is "already received". */
		const char *instance = form_get(req->form, "_i");
		if (valid_instance(instance) && survey_instance_seen(req->db, instance) > 0)
			return already_received(req, res, NULL);
	}
	if (r == GS_ERR_NOT_FOUND || r == GS_ERR_CONFLICT)
		return ticket_refused(req, res, state);
	if (r != GS_OK)
		return r;
	char action[ROUTE_PARAM_MAX + 8];
	snprintf(action, sizeof action, "/t/%s", req->match.params[0]);
	r = submit(req, res, &hall, action, req->match.params[0], "/thanks");
	org_hall_clear(&hall);
	return r;
}

enum gs_result web_ticket_thanks(struct http_request *req, struct http_response *res)
{
	return thank_you(req, res, NULL);
}

/* ---- API -------------------------------------------------------------------------- */

static void iso_local(int64_t t, char out[32])
{
	char day[11];
	int hour;
	survey_local_time(t, day, &hour, NULL);
	int64_t local = t + SURVEY_TZ_OFFSET_S;
	int min = (int)((local % 3600 + 3600) % 3600 / 60), sec = (int)((local % 60 + 60) % 60);
	snprintf(out, 32, "%sT%02d:%02d:%02d+08:00", day, hour % 24, min % 60, sec % 60);
}

enum gs_result web_api_ticket(struct http_request *req, struct http_response *res)
{
	struct org_hall hall;
	enum gs_result r = org_hall_get(req->db, req->match.params[0], &hall);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "no service hall with code '%s'", req->match.params[0]);
	if (r != GS_OK)
		return r;
	if (req->by_token && req->token.hall_id && req->token.hall_id != hall.id) {
		org_hall_clear(&hall);
		return http_fail(res, GS_ERR_FORBIDDEN, "this token issues tickets for hall '%s' only", req->token.hall_code);
	}
	r = web_check_scope(req, res, hall.station_id);
	int active = hall.active;
	org_hall_clear(&hall);
	if (r != GS_OK)
		return r;
	if (!active)
		return http_fail(res, GS_ERR_CONFLICT, "hall '%s' is inactive", req->match.params[0]);
	char ticket[SURVEY_TICKET_LEN + 1], by[96];
	snprintf(by, sizeof by, "%s:%s", req->by_token ? "token" : "user",
		 req->by_token ? req->token.name : req->user.login);
	int64_t expires = 0;
	r = survey_ticket_issue(req->db, req->match.params[0], by, web_settings(req)->ticket_ttl_s, ticket, &expires);
	if (r != GS_OK)
		return r;
	char url[512], when[32];
	snprintf(url, sizeof url, "%s/t/%s", http_base_url(req), ticket);
	iso_local(expires, when);
	json_t *o = json_object();
	json_object_set_new(o, "url", json_string(url));
	json_object_set_new(o, "expires", json_string(when));
	res->status = 201;
	return web_json_reply(res, o);
}

enum gs_result web_api_halls(struct http_request *req, struct http_response *res)
{
	int64_t scope = web_scope_unit(req);
	struct org_hall *halls = NULL;
	size_t n = 0;
	enum gs_result r = scope < 0 ? GS_OK : org_halls_list(req->db, scope, &halls, &n);
	if (r != GS_OK)
		return r;
	json_t *arr = json_array();
	for (size_t i = 0; i < n && r == GS_OK; i++) {
		char code[SURVEY_CODE_MAX], url[512];
		r = survey_code_make(req->db, halls[i].code, halls[i].key_version, code);
		snprintf(url, sizeof url, "%s/s/%s", http_base_url(req), code);
		json_t *o = json_object();
		json_object_set_new(o, "code", json_string(halls[i].code));
		json_object_set_new(o, "name", json_string(halls[i].name));
		json_object_set_new(o, "station", json_string(halls[i].station_code));
		json_object_set_new(o, "active", json_boolean(halls[i].active));
		json_object_set_new(o, "survey_url", halls[i].active ? json_string(url) : json_null());
		json_array_append_new(arr, o);
	}
	org_halls_free(halls, n);
	if (r != GS_OK) {
		json_decref(arr);
		return r;
	}
	return web_json_reply(res, arr);
}

/* Resolves {code} as a unit or a hall within the caller's scope; fills the survey scope
 * and the display code. */
static enum gs_result scope_of_code(struct http_request *req, struct http_response *res, const char *code,
				    struct survey_scope *scope, int64_t *station_or_unit)
{
	struct org_unit u;
	enum gs_result r = org_unit_get(req->db, code, &u);
	if (r == GS_OK) {
		*scope = (struct survey_scope){.unit_id = u.id};
		*station_or_unit = u.id;
		org_unit_clear(&u);
		return web_check_scope(req, res, scope->unit_id);
	}
	if (r != GS_ERR_NOT_FOUND)
		return r;
	struct org_hall h;
	r = org_hall_get(req->db, code, &h);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", TR(req, "没有此编码的单位或营业厅", "no unit or hall with code"), code);
	if (r != GS_OK)
		return r;
	*scope = (struct survey_scope){.hall_id = h.id};
	*station_or_unit = h.station_id;
	org_hall_clear(&h);
	return web_check_scope(req, res, *station_or_unit);
}

/* from/to from the query: both optional; defaults to the last 365 days. */
/* The range from valid dates f and t, each optional: to defaults to today, from to the
 * 365 days ending at to. */
static void range_fill(const char *f, const char *t, char from[11], char to[11])
{
	if (t)
		snprintf(to, 11, "%s", t);
	else
		survey_local_time(util_now(), to, NULL, NULL);
	if (f)
		snprintf(from, 11, "%s", f);
	else
		survey_day_string(survey_day_number(to) - 364, from);
}

static enum gs_result date_range(struct http_request *req, struct http_response *res, char from[11], char to[11])
{
	const char *f = http_query(req, "from"), *t = http_query(req, "to");
	if (t && survey_day_number(t) < 0)
		return http_fail(res, GS_ERR_INVALID, "'to' must be a date YYYY-MM-DD, got '%.20s'", t);
	if (f && survey_day_number(f) < 0)
		return http_fail(res, GS_ERR_INVALID, "'from' must be a date YYYY-MM-DD, got '%.20s'", f);
	range_fill(f, t, from, to);
	if (survey_day_number(from) > survey_day_number(to))
		return http_fail(res, GS_ERR_INVALID, "'from' (%s) is after 'to' (%s)", from, to);
	if (survey_day_number(to) - survey_day_number(from) > 3660)
		return http_fail(res, GS_ERR_INVALID, "the range may span at most ten years");
	return GS_OK;
}

static int verified_only(struct http_request *req)
{
	const char *q = http_query(req, "verified");
	if (q && strcmp(q, "only") == 0)
		return 1;
	if (q && strcmp(q, "all") == 0)
		return 0;
	return web_settings(req)->verified_only;
}

enum gs_result web_api_satisfaction(struct http_request *req, struct http_response *res)
{
	struct survey_scope scope;
	int64_t unit;
	char from[11], to[11];
	enum gs_result r = scope_of_code(req, res, req->match.params[0], &scope, &unit);
	if (r == GS_OK)
		r = date_range(req, res, from, to);
	if (r != GS_OK)
		return r;
	struct survey_stats s;
	r = survey_stats_get(req->db, web_settings(req), &scope, from, to, verified_only(req), 0, &s);
	if (r != GS_OK)
		return r;
	json_t *o = json_object();
	json_object_set_new(o, "unit", json_string(req->match.params[0]));
	json_object_set_new(o, "from", json_string(from));
	json_object_set_new(o, "to", json_string(to));
	json_object_set_new(o, "responses", json_integer(s.responses));
	json_object_set_new(o, "satisfied", json_integer(s.satisfied));
	json_object_set_new(o, "rate", json_real(s.rate));
	json_object_set_new(o, "ci_low", json_real(s.ci_low));
	json_object_set_new(o, "ci_high", json_real(s.ci_high));
	json_t *lv = json_object();
	for (int k = 5; k >= 1; k--) {
		char key[2] = {(char)('0' + k), '\0'};
		json_object_set_new(lv, key, json_integer(s.levels[k]));
	}
	json_object_set_new(o, "levels", lv);
	json_object_set_new(o, "sample_ok", json_boolean(s.sample_ok));
	json_object_set_new(o, "flagged", json_integer(s.flagged));
	json_object_set_new(o, "verified", json_integer(s.verified));
	json_object_set_new(o, "unverified", json_integer(s.unverified));
	json_object_set_new(o, "verified_only", json_boolean(verified_only(req)));
	json_object_set_new(o, "tickets_issued", json_integer(s.tickets_issued));
	json_object_set_new(o, "tickets_answered", json_integer(s.tickets_answered));
	survey_stats_clear(&s);
	return web_json_reply(res, o);
}

/* ---- Posters and QR images ------------------------------------------------------------ */

static enum gs_result hall_survey_url(struct http_request *req, const struct org_hall *h, char *out, size_t len)
{
	char code[SURVEY_CODE_MAX];
	enum gs_result r = survey_code_make(req->db, h->code, h->key_version, code);
	if (r == GS_OK)
		snprintf(out, len, "%s/s/%s", http_base_url(req), code);
	return r;
}

static enum gs_result posters(struct http_request *req, struct http_response *res, const struct org_hall *halls,
			      size_t n, const char *title)
{
	struct view_poster *p = xcalloc(n ? n : 1, sizeof *p);
	char **urls = xcalloc(n ? n : 1, sizeof *urls);
	struct buf *svgs = xcalloc(n ? n : 1, sizeof *svgs);
	enum gs_result r = GS_OK;
	size_t k = 0;
	for (size_t i = 0; i < n && r == GS_OK; i++) {
		if (!halls[i].active)
			continue;
		urls[k] = xmalloc(512);
		r = hall_survey_url(req, &halls[i], urls[k], 512);
		buf_init(&svgs[k], 256 * 1024);
		if (r == GS_OK)
			r = qr_svg_inline(urls[k], 480, &svgs[k]);
		if (r == GS_OK)
			r = buf_putc(&svgs[k], '\0');
		p[k] = (struct view_poster){.hall = &halls[i], .url = urls[k], .qr_svg = svgs[k].data};
		k++;
	}
	if (r == GS_OK) {
		struct view_ctx v;
		web_view_ctx(req, &v);
		view_posters(&res->body, &v, title, p, k);
	}
	for (size_t i = 0; i < k; i++) {
		free(urls[i]);
		buf_free(&svgs[i]);
	}
	free(urls);
	free(svgs);
	free(p);
	return r;
}

enum gs_result web_poster(struct http_request *req, struct http_response *res)
{
	struct org_hall hall;
	enum gs_result r = org_hall_get(req->db, req->match.params[0], &hall);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", TR(req, "没有此编码的营业厅", "no service hall with code"),
				 req->match.params[0]);
	if (r != GS_OK)
		return r;
	r = web_check_scope(req, res, hall.station_id);
	if (r == GS_OK && !hall.active)
		r = http_fail(res, GS_ERR_CONFLICT, "%s", TR(req, "该营业厅已停用，没有评价二维码。", "This hall is inactive and has no survey code."));
	if (r == GS_OK)
		r = posters(req, res, &hall, 1, hall.name);
	org_hall_clear(&hall);
	return r;
}

enum gs_result web_posters(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	enum gs_result r = org_unit_get(req->db, req->match.params[0], &u);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "%s '%s'", TR(req, "没有此编码的单位", "no unit with code"), req->match.params[0]);
	if (r != GS_OK)
		return r;
	struct org_hall *halls = NULL;
	size_t n = 0;
	r = web_check_scope(req, res, u.id);
	if (r == GS_OK)
		r = org_halls_list(req->db, u.id, &halls, &n);
	if (r == GS_OK)
		r = posters(req, res, halls, n, u.name);
	org_halls_free(halls, n);
	org_unit_clear(&u);
	return r;
}

enum gs_result web_qr_image(struct http_request *req, struct http_response *res)
{
	struct org_hall hall;
	enum gs_result r = org_hall_get(req->db, req->match.params[0], &hall);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "no service hall with code '%s'", req->match.params[0]);
	if (r != GS_OK)
		return r;
	r = web_check_scope(req, res, hall.station_id);
	char url[512];
	if (r == GS_OK && !hall.active)
		r = http_fail(res, GS_ERR_CONFLICT, "hall '%s' is inactive", hall.code);
	if (r == GS_OK)
		r = hall_survey_url(req, &hall, url, sizeof url);
	org_hall_clear(&hall);
	if (r != GS_OK)
		return r;
	const char *fmt = http_query(req, "format");
	if (fmt && strcmp(fmt, "svg") == 0) {
		res->content_type = "image/svg+xml";
		return qr_svg(url, &res->body);
	}
	if (fmt && strcmp(fmt, "png") != 0)
		return http_fail(res, GS_ERR_INVALID, "format must be png or svg");
	res->content_type = "image/png";
	return qr_png(url, 10, &res->body);
}

/* ---- Follow-ups ------------------------------------------------------------------------ */

static enum gs_result followups_page(struct http_request *req, struct http_response *res, const char *error)
{
	int64_t scope = web_scope_unit(req);
	if (scope < 0)
		return http_fail(res, GS_ERR_FORBIDDEN, "nothing in scope");
	struct survey_followup *open = NULL, *closed = NULL;
	size_t no = 0, nc = 0;
	enum gs_result r = survey_followups_list(req->db, scope, 0, 500, &open, &no);
	if (r == GS_OK)
		r = survey_followups_list(req->db, scope, 1, 50, &closed, &nc);
	if (r == GS_OK) {
		struct view_ctx v;
		web_view_ctx(req, &v);
		buf_reset(&res->body);
		view_followups(&res->body, &v, open, no, closed, nc, util_now(), !req->by_token, error);
	}
	survey_followups_free(open, no);
	survey_followups_free(closed, nc);
	return r;
}

enum gs_result web_followups(struct http_request *req, struct http_response *res)
{
	return followups_page(req, res, NULL);
}

enum gs_result web_followup_close(struct http_request *req, struct http_response *res)
{
	char *end = NULL;
	long long id = strtoll(req->match.params[0], &end, 10);
	if (!end || *end || id <= 0)
		return http_fail(res, GS_ERR_NOT_FOUND, "no such follow-up");
	int64_t scope = web_scope_unit(req);
	if (scope < 0)
		return http_fail(res, GS_ERR_FORBIDDEN, "nothing in scope");
	enum gs_result r = survey_followup_close(req->db, id, scope, req->user.login, form_get(req->form, "note"));
	if (r == GS_OK) {
		http_redirect(res, 303, "/followups");
		return GS_OK;
	}
	const char *msg = r == GS_ERR_INVALID   ? TR(req, "请填写处理说明（不超过 2000 字节）。", "Say what was done (at most 2000 bytes).")
			  : r == GS_ERR_CONFLICT ? TR(req, "该跟进事项已办结。", "This follow-up is already closed.")
			  : r == GS_ERR_NOT_FOUND ? TR(req, "没有找到该跟进事项。", "No such follow-up in your scope.")
						  : NULL;
	if (!msg)
		return r;
	res->status = http_status_for(r);
	return followups_page(req, res, msg);
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* One text field, e.g. a customer's comment (view_csv_text defuses formulas), then its
 * separator. Numbers go through csv_int or buf_printf, never through here. */
static void csv_field(struct buf *b, const char *s, int last)
{
	view_csv_text(b, s);
	buf_puts(b, last ? "\r\n" : ",");
}

static void csv_int(struct buf *b, long long x, int last)
{
	buf_printf(b, "%lld%s", x, last ? "\r\n" : ",");
}

static void csv_stats_row(struct buf *b, const char *code, const char *name, const char *kind,
			  const struct survey_stats *s)
{
	csv_field(b, code, 0);
	csv_field(b, name, 0);
	csv_field(b, kind, 0);
	csv_int(b, s->responses, 0);
	csv_int(b, s->satisfied, 0);
	buf_printf(b, "%.4f,%.4f,%.4f,", s->rate, s->ci_low, s->ci_high);
	for (int k = 5; k >= 1; k--)
		csv_int(b, s->levels[k], 0);
	csv_int(b, s->verified, 0);
	csv_int(b, s->unverified, 0);
	csv_int(b, s->flagged, 0);
	csv_int(b, s->tickets_issued, 0);
	csv_int(b, s->tickets_answered, 0);
	csv_field(b, s->sample_ok ? "yes" : "no", 1);
}

static void csv_headers(struct http_request *req, struct http_response *res, const char *name)
{
	char cd[ROUTE_PARAM_MAX + 96];
	snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", name);
	res->content_type = "text/csv; charset=utf-8";
	http_add_header(res, "Content-Disposition", cd);
	buf_puts(&res->body, "\xEF\xBB\xBF"); /* a BOM, so spreadsheet programs read UTF-8 */
}

enum gs_result web_satisfaction_csv(struct http_request *req, struct http_response *res)
{
	struct org_unit u;
	enum gs_result r = org_unit_get(req->db, req->match.params[0], &u);
	if (r == GS_ERR_NOT_FOUND)
		return http_fail(res, r, "no unit with code '%s'", req->match.params[0]);
	if (r != GS_OK)
		return r;
	char from[11], to[11];
	struct org_unit *units = NULL;
	struct org_hall *halls = NULL;
	size_t nu = 0, nh = 0;
	r = web_check_scope(req, res, u.id);
	if (r == GS_OK)
		r = date_range(req, res, from, to);
	if (r == GS_OK)
		r = org_units_list(req->db, u.id, &units, &nu);
	if (r == GS_OK)
		r = org_halls_list(req->db, u.id, &halls, &nh);
	int vo = verified_only(req);
	if (r == GS_OK) {
		char name[AUTH_CODE_MAX + 64];
		snprintf(name, sizeof name, "satisfaction-%s-%s-%s.csv", u.code, from, to);
		csv_headers(req, res, name);
		buf_printf(&res->body, "code,name,kind,responses,satisfied,rate,ci_low,ci_high,n5,n4,n3,n2,n1,"
				       "verified,unverified,flagged,tickets_issued,tickets_answered,sample_ok\r\n");
	}
	for (size_t i = 0; r == GS_OK && i < nu; i++) {
		struct survey_stats s;
		struct survey_scope sc = {.unit_id = units[i].id};
		r = survey_stats_get(req->db, web_settings(req), &sc, from, to, vo, 0, &s);
		if (r == GS_OK)
			csv_stats_row(&res->body, units[i].code, units[i].name, units[i].kind, &s);
		survey_stats_clear(&s);
	}
	for (size_t i = 0; r == GS_OK && i < nh; i++) {
		struct survey_stats s;
		struct survey_scope sc = {.hall_id = halls[i].id};
		r = survey_stats_get(req->db, web_settings(req), &sc, from, to, vo, 0, &s);
		if (r == GS_OK)
			csv_stats_row(&res->body, halls[i].code, halls[i].name, "hall", &s);
		survey_stats_clear(&s);
	}
	org_units_free(units, nu);
	org_halls_free(halls, nh);
	org_unit_clear(&u);
	return r;
}

static enum gs_result csv_response(void *ctx, const struct survey_response *x)
{
	struct buf *b = ctx;
	char when[32];
	iso_local(x->submitted_at, when);
	csv_int(b, x->id, 0);
	csv_field(b, x->hall_code, 0);
	csv_field(b, when, 0);
	csv_field(b, x->form_id, 0);
	csv_field(b, x->form_version, 0);
	csv_int(b, x->rating, 0);
	csv_field(b, x->verified ? "yes" : "no", 0);
	csv_field(b, x->flag_reasons, 0);
	csv_field(b, x->comment, 0);
	csv_field(b, x->answers_json, 1);
	return b->failed ? GS_ERR_TOO_LARGE : GS_OK;
}

enum gs_result web_responses_csv(struct http_request *req, struct http_response *res)
{
	struct survey_scope scope;
	int64_t unit;
	char from[11], to[11];
	enum gs_result r = scope_of_code(req, res, req->match.params[0], &scope, &unit);
	if (r == GS_OK)
		r = date_range(req, res, from, to);
	if (r != GS_OK)
		return r;
	char name[ROUTE_PARAM_MAX + 64];
	snprintf(name, sizeof name, "responses-%s-%s-%s.csv", req->match.params[0], from, to);
	csv_headers(req, res, name);
	buf_puts(&res->body, "id,hall,submitted_at,form,form_version,rating,verified,flags,comment,answers\r\n");
	/* The privacy rule: a scope with fewer than min_breakdown responses shows none. */
	struct survey_stats s;
	r = survey_stats_get(req->db, web_settings(req), &scope, from, to, 0, 0, &s);
	if (r != GS_OK)
		return r;
	int64_t total = s.responses + s.flagged;
	survey_stats_clear(&s);
	if (total < web_settings(req)->min_breakdown)
		return GS_OK;
	r = survey_responses_each(req->db, &scope, from, to, 0, 0, 200000, csv_response, &res->body);
	if (r == GS_ERR_TOO_LARGE)
		return http_fail(res, r, "too many responses for one file: choose a shorter date range");
	return r;
}

/* ---- The block on unit and hall pages -------------------------------------------------------- */

struct comments {
	char *items[10];
	size_t n;
};

static enum gs_result collect_comment(void *ctx, const struct survey_response *x)
{
	struct comments *c = ctx;
	if (c->n < 10 && x->comment)
		c->items[c->n++] = xstrdup(x->comment);
	return GS_OK;
}

char *web_survey_block(struct http_request *req, const struct view_ctx *v, const struct survey_scope *scope,
		       int64_t station_for_followups, const char *code, const struct view_filter *f,
		       struct web_sat_summary *sum)
{
	struct web_app *app = app_of(req);
	if (sum)
		memset(sum, 0, sizeof *sum);
	/* The page's filter has already turned bad values into defaults. */
	const char *from = f->from, *to = f->to;
	int vo = f->verified_only;
	struct survey_stats s;
	if (survey_stats_get(req->db, web_settings(req), scope, from, to, vo, 1, &s) != GS_OK)
		return NULL;
	/* The monthly trend covers at most the last 12 months of the range. */
	char mfrom[11];
	long dfrom = survey_day_number(from), dto = survey_day_number(to);
	survey_day_string(dto - dfrom > 334 ? dto - 334 : dfrom, mfrom);
	struct survey_month *months = NULL;
	size_t nm = 0;
	survey_monthly(req->db, scope, mfrom, to, vo, &months, &nm);
	struct comments c = {0};
	if (s.responses >= web_settings(req)->min_breakdown)
		survey_responses_each(req->db, scope, from, to, 0, 1, 10, collect_comment, &c);
	int64_t open = 0, overdue = 0;
	survey_followups_count(req->db, station_for_followups, util_now(), &open, &overdue);
	const char *kind = scope->unit_id ? "units" : "halls";
	char *csv = xasprintf("/units/%s/satisfaction.csv?from=%s&to=%s&verified=%s", code, from, to, vo ? "only" : "all");
	char *rcsv = xasprintf("/%s/%s/responses.csv?from=%s&to=%s", kind, code, from, to);
	char *mcsv = xasprintf("/%s/%s/satisfaction-months.csv?from=%s&to=%s&verified=%s", kind, code, mfrom, to,
			       vo ? "only" : "all");
	struct view_satisfaction vs = {
		.from = from,
		.to = to,
		.csv_href = scope->unit_id ? csv : NULL,
		.responses_href = rcsv,
		.stats = &s,
		.months = months,
		.n_months = nm,
		.form = app->form,
		.min_breakdown = web_settings(req)->min_breakdown,
		.comments = (const char *const *)c.items,
		.n_comments = c.n,
		.followups_open = open,
		.followups_overdue = overdue,
		.months_csv_href = mcsv,
		.followups_href = "/followups",
	};
	if (sum)
		*sum = (struct web_sat_summary){.ok = 1,
						.responses = s.responses,
						.satisfied = s.satisfied,
						.verified = s.verified,
						.rate = s.rate,
						.ci_low = s.ci_low,
						.ci_high = s.ci_high,
						.sample_ok = s.sample_ok,
						.followups_open = open,
						.followups_overdue = overdue};
	struct buf out;
	buf_init(&out, 1 << 20);
	view_satisfaction(&out, v, &vs);
	for (size_t i = 0; i < c.n; i++)
		free(c.items[i]);
	free(months);
	free(csv);
	free(rcsv);
	free(mcsv);
	survey_stats_clear(&s);
	if (buf_putc(&out, '\0') != GS_OK) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out, NULL);
}
