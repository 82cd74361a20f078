/* xform.h — survey forms: the loader for the documented subset of ODK XForms
 * (docs/forms.md) and the validation of a customer's answers against a loaded form.
 * Pure: no HTTP, no HTML, no database. Anything outside the subset is rejected with
 * the file, the line and the construct's name, never silently ignored. */
#ifndef GS_XFORM_H
#define GS_XFORM_H

#include <stddef.h>

#include "gs.h"

/* Limits of a form (a form past one of them is rejected). */
#define XFORM_MAX_BYTES (1024 * 1024) /* size of the form file */
#define XFORM_MAX_QUESTIONS 64
#define XFORM_MAX_CHOICES 64 /* per question */
#define XFORM_MAX_GROUPS 32
#define XFORM_DEFAULT_MAX_LENGTH 1000 /* characters of a string answer without gs:maxlength */
#define XFORM_HARD_MAX_LENGTH 4000    /* the largest gs:maxlength accepted */

enum xform_type { XFORM_SELECT1, XFORM_SELECT, XFORM_STRING, XFORM_INT };
enum xform_lang { XFORM_ZH = 0, XFORM_EN = 1, XFORM_NLANG };

/* Every string below is owned by the struct xform that holds it and freed by
 * xform_free. Label arrays are indexed by enum xform_lang; an entry is NULL when the
 * form has no text in that language (read them through xform_text). */
struct xform_choice {
	char *value; /* non-empty, no whitespace, unique within its question */
	char *label[XFORM_NLANG];
};

struct xform_question {
	char *name; /* last path component of the ref; the HTML field name, unique in the form */
	char *path; /* the instance path, e.g. "/data/rating" */
	enum xform_type type;
	int required;
	char *label[XFORM_NLANG];
	char *hint[XFORM_NLANG];
	struct xform_choice *choices; /* select1 and select only */
	size_t n_choices;
	int group;         /* index into xform.groups, or -1 */
	size_t max_length; /* string only: the cap in characters (Unicode code points) */
	int has_range;     /* int only: min <= answer <= max */
	long min, max;
	int is_rating; /* the overall-rating question (exactly one per form) */
	char *constraint_msg[XFORM_NLANG];
};

struct xform_group {
	char *label[XFORM_NLANG]; /* both NULL for a group without a label */
};

struct xform {
	char *id;      /* the instance's id attribute, e.g. "hall-satisfaction" */
	char *version; /* version or orx:version, e.g. "2026110101" */
	char *title[XFORM_NLANG];
	struct xform_question *questions; /* in body order */
	size_t n_questions;
	struct xform_group *groups;
	size_t n_groups;
	size_t rating;    /* index of the rating question */
	int satisfied[6]; /* satisfied[v] = 1 if rating value v (1..5) counts as satisfied */
};

/* Where and why a form was rejected. message names the construct, e.g.
 * "<repeat> is not supported"; line is 0 when not tied to a line. */
struct xform_error {
	char file[128];
	long line;
	char message[256];
};

/* Loads a form from len bytes at data; name is used for error messages only.
 * On GS_OK *out is a new form the caller frees with xform_free. Otherwise *out is NULL
 * and err (if not NULL) says where and why: GS_ERR_INVALID for malformed XML or a
 * construct outside the subset, GS_ERR_TOO_LARGE past a limit. */
enum gs_result xform_load_memory(const char *name, const char *data, size_t len, struct xform **out,
                                 struct xform_error *err);

/* As xform_load_memory for the file at path; GS_ERR_IO if it cannot be read. */
enum gs_result xform_load_file(const char *path, struct xform **out, struct xform_error *err);

/* Formats err as "file:line: message" (or "file: message" without a line) into out. */
void xform_error_format(const struct xform_error *err, char *out, size_t size);

void xform_free(struct xform *f); /* NULL is a no-op */

/* A label in lang, falling back to the other language; "" when there is none at all
 * (only for optional texts such as hints or group labels). Never NULL; the result is
 * borrowed from label. */
const char *xform_text(char *const label[XFORM_NLANG], enum xform_lang lang);

/* The question whose name is name, or -1. */
long xform_find(const struct xform *f, const char *name);

/* Answers. The HTML form posts one field per question named by question->name; a
 * `select` posts its field once per ticked choice. get returns the index-th value
 * (0, 1, ...) of a field or NULL when there is no such value; the returned string is
 * borrowed and must stay valid until the next call of get. */
typedef const char *(*xform_get_fn)(void *ctx, const char *name, size_t index);

struct xform_field_error {
	size_t question;   /* index into xform.questions */
	char message[160]; /* for the customer, in the language asked for */
};

/* One choice answer: both strings are borrowed from the form (valid while it lives). */
struct xform_pick {
	const char *question; /* the question's name */
	const char *value;    /* the choice's value */
};

struct xform_answers {
	int rating; /* the rating question's answer, 1..5 */
	char *json; /* owned: compact JSON object {"name": value, ...} in question order;
	             * select1 and string answers are strings, int answers numbers, select
	             * answers arrays of strings; unanswered optional questions are omitted */
	char *comment;              /* owned: the first string answer (normalised), or NULL */
	struct xform_pick *choices; /* owned array: every choice answered other than the
	                             * rating, in question order, a select's in choice order */
	size_t n_choices;
};

/* Validates the posted answers. Strings have CRLF and lone CR turned into LF and
 * surrounding whitespace trimmed; an empty value is no answer. On GS_OK *out is filled
 * (free with xform_answers_clear). GS_ERR_INVALID when any answer is wrong: a required
 * question left out, a value that is not among the choices, a choice ticked twice,
 * several values for a one-value question, an int that is not an integer or is out of
 * range, a string that is too long, not UTF-8 or holds control characters other than
 * newline and tab. Up to max_errs errors (one per question, in question order) go to
 * errs, their count to *n_errs (errs may be NULL when max_errs is 0); *out is then
 * empty. */
enum gs_result xform_answers_parse(const struct xform *f, xform_get_fn get, void *ctx, enum xform_lang lang,
                                   struct xform_answers *out, struct xform_field_error *errs, size_t max_errs,
                                   size_t *n_errs);

void xform_answers_clear(struct xform_answers *a); /* frees json, comment, choices; zeroes a; NULL: no-op */

/* Reads answers stored as JSON (xform_answers.json) back and validates them against f
 * with the rules of xform_answers_parse, plus: every key must be a question of f and
 * every value of the JSON type its question produces. GS_ERR_INVALID otherwise, with
 * *out empty. On GS_OK out->json is the canonical re-encoding. */
enum gs_result xform_answers_from_json(const struct xform *f, const char *json, struct xform_answers *out);

#endif
