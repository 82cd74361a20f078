/* fuzz_survey.c — libFuzzer target: the input, read as "name=value" lines, is posted
 * to the shipped hall-satisfaction form (loaded once from the embedded copy); the
 * whole input is also offered as stored JSON answers. Whatever validates must round
 * trip through xform_answers_from_json unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 256

struct post {
	char *name[MAX_PAIRS];
	char *value[MAX_PAIRS];
	size_t n;
};

static const char *post_get(void *ctx, const char *name, size_t index)
{
	struct post *p = ctx;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0 && index-- == 0)
			return p->value[i];
	return NULL;
}

static struct xform *form;

static void check_round_trip(const struct xform_answers *a)
{
	struct xform_answers b;
	if (xform_answers_from_json(form, a->json, &b) != GS_OK)
		__builtin_trap();
	if (strcmp(a->json, b.json) != 0 || a->rating != b.rating || a->rating < 1 || a->rating > 5)
		__builtin_trap();
	xform_answers_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!form) {
		const struct embed_file *ef = embed_find("forms/hall-satisfaction.xml");
		if (!ef || xform_load_memory(ef->name, (const char *)ef->data, ef->len, &form, NULL) != GS_OK)
			abort();
	}
	/* the input as lines; '\\' 'r' in a value stands for a carriage return */
	char *text = xstrndup((const char *)data, size); /* stops at a NUL: fields are NUL-free */
	struct post p = {0};
	for (char *line = text; line && *line && p.n < MAX_PAIRS;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *eq = strchr(line, '=');
		if (eq) {
			*eq = '\0';
			for (char *s = eq + 1; (s = strstr(s, "\\r")) != NULL;)
				memmove(s, "\r", 1), memmove(s + 1, s + 2, strlen(s + 2) + 1);
			p.name[p.n] = line;
			p.value[p.n] = eq + 1;
			p.n++;
		}
		line = next;
	}
	struct xform_answers a;
	struct xform_field_error errs[8];
	size_t n_errs = 0;
	for (int lang = XFORM_ZH; lang < XFORM_NLANG; lang++) {
		enum gs_result r = xform_answers_parse(form, post_get, &p, (enum xform_lang)lang, &a, errs, 8, &n_errs);
		if (r == GS_OK) {
			check_round_trip(&a);
			xform_answers_clear(&a);
		} else if (r != GS_ERR_INVALID || n_errs == 0 || a.json) {
			__builtin_trap();
		}
	}
	free(text);

	char *json = xstrndup((const char *)data, size);
	if (xform_answers_from_json(form, json, &a) == GS_OK) {
		check_round_trip(&a);
		xform_answers_clear(&a);
	}
	free(json);
	return 0;
}
