/* fuzz_rollout.c — libFuzzer target for the rollout reader: every input is read from
 * memory with small limits (so the caps are reached too), by a sink that touches every
 * byte of every field so that AddressSanitizer sees a dangling or unterminated string,
 * and that now and then fails to check the reading stops and says so. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "rollout.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	unsigned long sum;
	int headers;
	unsigned long records;
	unsigned long fail_at; /* 0: never */
};

static void touch(struct fuzz_ctx *c, const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		c->sum += (unsigned char)s[i];
}

/* A day must be exactly YYYY-MM-DD. */
static void check_day(const char *s)
{
	if (!s)
		return;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		abort();
	char again[11];
	if (rollout_local_day(s, again) != 0 || strcmp(again, s) != 0)
		abort();
}

static enum gs_result on_header(void *ctx, const struct rollout_header *h)
{
	struct fuzz_ctx *c = ctx;
	if (c->headers++ || c->records)
		abort(); /* said once, before the first record */
	if (strlen(h->station) >= sizeof h->station || strlen(h->file_id) >= sizeof h->file_id ||
	    strlen(h->source) >= sizeof h->source || strlen(h->verb) >= sizeof h->verb ||
	    strlen(h->noun) >= sizeof h->noun || strlen(h->generated_at) >= sizeof h->generated_at)
		abort();
	touch(c, h->station), touch(c, h->file_id), touch(c, h->source), touch(c, h->verb), touch(c, h->noun);
	if (h->generated_at[0])
		check_day(h->generated_at);
	if (rollout_format_name(h->format) == NULL || h->format == ROLLOUT_UNKNOWN)
		abort();
	return GS_OK;
}

static enum gs_result on_record(void *ctx, const struct rollout_record *r)
{
	struct fuzz_ctx *c = ctx;
	if (!c->headers)
		abort();
	c->records++;
	if (r->kind < ROLLOUT_POINT || r->kind > ROLLOUT_LINK || r->smart < -1 || r->smart > 1 || r->line < 0 ||
	    r->column < 0)
		abort();
	const char *fields[] = {r->point,  r->customer_class, r->meter,      r->serial,     r->manufacturer,
				r->model,  r->status,         r->replaces,   r->old_meter,  r->old_serial,
				r->old_manufacturer, r->reason};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		touch(c, fields[i]);
	check_day(r->since), check_day(r->until), check_day(r->date), check_day(r->removed);
	if (c->fail_at && c->records == c->fail_at)
		return GS_ERR_DB;
	return GS_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rollout_limits lim;
	rollout_limits_default(&lim);
	lim.max_depth = 16;
	lim.max_text = 256;
	lim.max_records = 50;
	lim.max_file_bytes = 1 << 20;
	struct fuzz_ctx c = {0, 0, 0, size % 7 == 3 ? 2 : 0};
	struct rollout_sink sink = {on_header, on_record, &c};
	struct rollout_errors *errs = malloc(sizeof *errs);
	if (!errs)
		return 0;
	enum gs_result r = rollout_read_memory("fuzz.xml", (const char *)data, size, &lim, &sink, errs);
	if (errs->n > ROLLOUT_MAX_ERRORS || errs->n > errs->total)
		abort();
	for (size_t i = 0; i < errs->n; i++) {
		if (strlen(errs->e[i].message) >= sizeof errs->e[i].message ||
		    strlen(errs->e[i].field) >= sizeof errs->e[i].field)
			abort();
		touch(&c, errs->e[i].message);
	}
	if (r == GS_OK && errs->total != 0)
		abort();
	if ((r == GS_ERR_INVALID || r == GS_ERR_TOO_LARGE) && errs->total == 0)
		abort();
	if (r == GS_ERR_DB && c.records != c.fail_at)
		abort(); /* the sink's failure stops the reading at once */
	if (r != GS_OK && r != GS_ERR_INVALID && r != GS_ERR_TOO_LARGE && r != GS_ERR_DB)
		abort();
	free(errs);
	return c.sum == 42 ? 0 : 0;
}
