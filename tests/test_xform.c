/* test_xform.c — the survey-form loader (shipped form, pyxform-style and minimal forms,
 * every rejected construct with its line) and answer validation (posted and stored).
 * Run from the repository root (or with GS_SRC set to it). */
#include <stdlib.h>

#include "check.h"
#include "org.h"
#include "util.h"
#include "view.h"
#include "xform.h"

static char path_buf[512];

static const char *src_path(const char *rel)
{
	const char *root = getenv("GS_SRC");
	snprintf(path_buf, sizeof path_buf, "%s/%s", root && *root ? root : ".", rel);
	return path_buf;
}

static struct xform *load(const char *rel)
{
	struct xform *f = NULL;
	struct xform_error e;
	enum gs_result r = xform_load_file(src_path(rel), &f, &e);
	if (r != GS_OK) {
		char msg[512];
		xform_error_format(&e, msg, sizeof msg);
		fprintf(stderr, "load %s: %s\n", rel, msg);
	}
	CHECK_INT(r, GS_OK);
	return f;
}

/* ---- a fake posted form: name=value pairs ---- */

struct post {
	const char *pairs[64][2];
	size_t n;
};

static const char *post_get(void *ctx, const char *name, size_t index)
{
	struct post *p = ctx;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->pairs[i][0], name) == 0 && index-- == 0)
			return p->pairs[i][1];
	return NULL;
}

static void post_add(struct post *p, const char *name, const char *value)
{
	p->pairs[p->n][0] = name;
	p->pairs[p->n][1] = value;
	p->n++;
}

/* Parses p against f; returns the result, fills *a and the first error. */
static enum gs_result parse(const struct xform *f, struct post *p, enum xform_lang lang, struct xform_answers *a,
                            struct xform_field_error *e, size_t *n_errs)
{
	struct xform_field_error errs[8];
	size_t n = 99;
	enum gs_result r = xform_answers_parse(f, post_get, p, lang, a, errs, 8, &n);
	if (n_errs)
		*n_errs = n;
	if (e) {
		memset(e, 0, sizeof *e);
		if (r != GS_OK && n > 0)
			*e = errs[0];
	}
	return r;
}

static void test_shipped(void)
{
	struct xform *f = load("forms/hall-satisfaction.xml");
	if (!f)
		return;
	CHECK_STR(f->id, "hall-satisfaction");
	CHECK_STR(f->version, "2026110101");
	CHECK_STR(xform_text(f->title, XFORM_ZH), "营业厅客户满意度调查");
	CHECK_STR(xform_text(f->title, XFORM_EN), "营业厅客户满意度调查");
	CHECK_INT(f->n_questions, 6);
	CHECK_INT(f->n_groups, 0);
	CHECK_INT(f->rating, 0);
	CHECK_INT(f->satisfied[5], 1);
	CHECK_INT(f->satisfied[4], 1);
	CHECK_INT(f->satisfied[3], 0);
	CHECK_INT(f->satisfied[2], 0);
	CHECK_INT(f->satisfied[1], 0);
	static const char *const names[] = {"rating", "waiting", "attitude", "one_visit", "service", "comment"};
	static const enum xform_type types[] = {XFORM_SELECT1, XFORM_SELECT1, XFORM_SELECT1,
	                                        XFORM_SELECT1, XFORM_SELECT,  XFORM_STRING};
	static const size_t n_choices[] = {5, 4, 5, 2, 5, 0};
	for (size_t i = 0; i < 6 && i < f->n_questions; i++) {
		const struct xform_question *q = &f->questions[i];
		CHECK_STR(q->name, names[i]);
		CHECK_INT(q->type, types[i]);
		CHECK_INT(q->n_choices, n_choices[i]);
		CHECK_INT(q->group, -1);
		CHECK_INT(q->required, i == 0);
		CHECK_INT(q->is_rating, i == 0);
		CHECK(q->label[XFORM_ZH] && q->label[XFORM_EN]);
		CHECK_INT(xform_find(f, names[i]), (long)i);
		for (size_t c = 0; c < q->n_choices; c++)
			CHECK(q->choices[c].label[XFORM_ZH] && q->choices[c].label[XFORM_EN]);
	}
	if (f->n_questions < 6) {
		xform_free(f);
		return;
	}
	CHECK_INT(xform_find(f, "nope"), -1);
	const struct xform_question *r = &f->questions[0];
	CHECK_STR(r->path, "/data/rating");
	CHECK_STR(xform_text(r->label, XFORM_ZH), "您对本次营业厅服务的总体评价");
	CHECK_STR(xform_text(r->label, XFORM_EN), "Overall, how was our service today?");
	static const char *const levels[][3] = {{"5", "非常好", "Very good"},
	                                        {"4", "比较好", "Fairly good"},
	                                        {"3", "一般", "Average"},
	                                        {"2", "不太好", "Fairly poor"},
	                                        {"1", "很不好", "Very poor"}};
	for (size_t c = 0; c < 5; c++) {
		CHECK_STR(r->choices[c].value, levels[c][0]);
		CHECK_STR(r->choices[c].label[XFORM_ZH], levels[c][1]);
		CHECK_STR(r->choices[c].label[XFORM_EN], levels[c][2]);
	}
	const struct xform_question *s = &f->questions[4];
	static const char *const services[][2] = {{"new_connection", "业扩报装"},
	                                          {"bill_payment", "电费缴纳"},
	                                          {"fault_report", "故障报修"},
	                                          {"enquiry", "业务咨询"},
	                                          {"other", "其他"}};
	for (size_t c = 0; c < 5; c++) {
		CHECK_STR(s->choices[c].value, services[c][0]);
		CHECK_STR(s->choices[c].label[XFORM_ZH], services[c][1]);
	}
	CHECK_STR(f->questions[1].choices[0].label[XFORM_EN], "Under 5 minutes");
	CHECK_STR(f->questions[3].choices[0].label[XFORM_ZH], "是");
	const struct xform_question *cm = &f->questions[5];
	CHECK_INT(cm->max_length, 500);
	CHECK_INT(cm->has_range, 0);
	CHECK_STR(xform_text(cm->hint, XFORM_EN), "Optional, up to 500 characters");
	CHECK_STR(xform_text(r->hint, XFORM_EN), "");
	xform_free(f);

	/* the copy compiled into the binary is the same form */
	const struct embed_file *ef = embed_find("forms/hall-satisfaction.xml");
	CHECK(ef != NULL);
	if (ef) {
		struct xform *g = NULL;
		CHECK_INT(xform_load_memory(ef->name, (const char *)ef->data, ef->len, &g, NULL), GS_OK);
		CHECK(g && g->n_questions == 6);
		xform_free(g);
	}
}

static void test_pyxform(void)
{
	struct xform *f = load("tests/data/forms/pyxform-style.xml");
	if (!f)
		return;
	CHECK_STR(f->id, "pyxform_style");
	CHECK_STR(f->version, "v2");
	CHECK_STR(xform_text(f->title, XFORM_EN), "pyxform style");
	CHECK_INT(f->n_questions, 4);
	CHECK_INT(f->n_groups, 1);
	CHECK_INT(f->rating, 0);
	CHECK_INT(f->satisfied[5], 1);
	CHECK_INT(f->satisfied[4], 0);
	if (f->n_questions != 4 || f->n_groups != 1) {
		xform_free(f);
		return;
	}
	CHECK_STR(xform_text(f->groups[0].label, XFORM_ZH), "本次来访");
	CHECK_STR(xform_text(f->groups[0].label, XFORM_EN), "Your visit");
	const struct xform_question *q = f->questions;
	CHECK_STR(q[0].name, "score");
	CHECK_STR(q[0].path, "/survey/visit/score");
	CHECK_INT(q[0].group, 0);
	CHECK_INT(q[0].type, XFORM_SELECT1);
	CHECK_STR(q[0].choices[4].label[XFORM_ZH], "很不好");
	CHECK_STR(q[1].name, "minutes");
	CHECK_STR(q[1].path, "/survey/visit/minutes");
	CHECK_INT(q[1].group, 0);
	CHECK_INT(q[1].type, XFORM_INT);
	CHECK_INT(q[1].has_range, 1);
	CHECK_INT(q[1].min, 0);
	CHECK_INT(q[1].max, 600);
	CHECK_STR(xform_text(q[1].constraint_msg, XFORM_ZH), "请填写 0 到 600");
	CHECK_STR(xform_text(q[1].constraint_msg, XFORM_EN), "Between 0 and 600, please");
	/* the hint exists only in English: Chinese falls back to it */
	CHECK_STR(xform_text(q[1].hint, XFORM_ZH), "A whole number");
	CHECK(q[1].hint[XFORM_ZH] == NULL);
	CHECK_STR(q[2].name, "topics");
	CHECK_INT(q[2].type, XFORM_SELECT);
	CHECK_INT(q[2].required, 1);
	CHECK_INT(q[2].group, -1);
	CHECK_STR(q[3].name, "note");
	CHECK_INT(q[3].type, XFORM_STRING);
	CHECK_INT(q[3].required, 0);
	CHECK_INT(q[3].max_length, 20);
	xform_free(f);
}

static void test_minimal(void)
{
	struct xform *f = load("tests/data/forms/minimal.xml");
	if (!f)
		return;
	CHECK_STR(f->id, "minimal");
	CHECK_STR(f->version, "1");
	CHECK_INT(f->n_questions, 1);
	CHECK_INT(f->questions[0].type, XFORM_SELECT1);
	CHECK_STR(xform_text(f->questions[0].label, XFORM_EN), "评价 Rating");
	CHECK_INT(f->satisfied[5] + f->satisfied[4], 2);
	CHECK_INT(f->satisfied[3] + f->satisfied[2] + f->satisfied[1], 0);
	xform_free(f);
	f = load("tests/data/forms/base.xml");
	CHECK(f && f->n_questions == 1);
	xform_free(f);
}

/* Both NULL, or both the same text. */
static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_labels(char *const a[XFORM_NLANG], char *const b[XFORM_NLANG])
{
	for (int l = 0; l < XFORM_NLANG; l++)
		if (!same_text(a[l], b[l]))
			return 0;
	return 1;
}

/* Every field of the loaded structure, choice by choice. */
static void check_same_form(const struct xform *a, const struct xform *b)
{
	CHECK_STR(a->id, b->id);
	CHECK_STR(a->version, b->version);
	CHECK(same_labels(a->title, b->title));
	CHECK_INT(a->n_questions, b->n_questions);
	CHECK_INT(a->n_groups, b->n_groups);
	CHECK_INT(a->rating, b->rating);
	CHECK(memcmp(a->satisfied, b->satisfied, sizeof a->satisfied) == 0);
	for (size_t g = 0; g < a->n_groups && g < b->n_groups; g++)
		CHECK(same_labels(a->groups[g].label, b->groups[g].label));
	for (size_t i = 0; i < a->n_questions && i < b->n_questions; i++) {
		const struct xform_question *p = &a->questions[i], *q = &b->questions[i];
		CHECK_STR(p->name, q->name);
		CHECK_STR(p->path, q->path);
		CHECK_INT(p->type, q->type);
		CHECK_INT(p->required, q->required);
		CHECK(same_labels(p->label, q->label));
		CHECK(same_labels(p->hint, q->hint));
		CHECK(same_labels(p->constraint_msg, q->constraint_msg));
		CHECK_INT(p->group, q->group);
		CHECK_INT(p->max_length, q->max_length);
		CHECK_INT(p->has_range, q->has_range);
		CHECK_INT(p->min, q->min);
		CHECK_INT(p->max, q->max);
		CHECK_INT(p->is_rating, q->is_rating);
		CHECK_INT(p->n_choices, q->n_choices);
		for (size_t c = 0; c < p->n_choices && c < q->n_choices; c++) {
			CHECK_STR(p->choices[c].value, q->choices[c].value);
			if (!same_labels(p->choices[c].label, q->choices[c].label))
				fprintf(stderr, "%s choice %zu: labels differ\n", p->name, c);
			CHECK(same_labels(p->choices[c].label, q->choices[c].label));
		}
	}
}

/* The survey page of f in lang (caller frees). */
static char *render(const struct xform *f, const char *lang)
{
	struct org_hall hall = {.id = 1,
	                        .code = "H001",
	                        .name = "城关营业厅",
	                        .name_en = "Chengguan hall",
	                        .address = "1 Main Street",
	                        .station_code = "S01",
	                        .station_name = "城关供电所",
	                        .station_name_en = "Chengguan station",
	                        .active = 1};
	struct view_ctx v = {.lang = lang, .path = "/s/H001.x"};
	struct buf b;
	buf_init(&b, 1024 * 1024);
	view_survey(&b, &v, f, &hall, "/s/H001.x", "inst", "stamp", NULL, NULL, 0);
	return buf_steal(&b, NULL);
}

/* A pyxform-2.x conversion of the shipped form (choices as secondary instances and
 * itemsets, itext labels, orx:meta, xsd: types) is the same form: same questions,
 * choices and labels, the same page in both languages, the same stored answers. */
static void test_pyxform_itemset(void)
{
	struct xform *a = load("forms/hall-satisfaction.xml");
	struct xform *b = load("tests/data/forms/pyxform-itemset.xml");
	if (!a || !b) {
		xform_free(a);
		xform_free(b);
		return;
	}
	check_same_form(a, b);
	CHECK_INT(b->n_questions, 6);
	CHECK_STR(b->questions[2].choices[0].label[XFORM_EN], "Very good");
	CHECK_STR(b->questions[4].choices[1].value, "bill_payment");
	CHECK_STR(b->questions[4].choices[1].label[XFORM_ZH], "电费缴纳");
	static const char *const langs[] = {"zh", "en"};
	for (size_t l = 0; l < 2; l++) {
		char *ha = render(a, langs[l]), *hb = render(b, langs[l]);
		CHECK(strstr(ha, "Fairly poor") || strstr(ha, "不太好"));
		CHECK_STR(ha, hb);
		free(ha);
		free(hb);
	}
	struct post p = {0};
	post_add(&p, "rating", "4");
	post_add(&p, "waiting", "5to15");
	post_add(&p, "service", "enquiry");
	post_add(&p, "service", "bill_payment");
	struct xform_answers x, y;
	CHECK_INT(parse(a, &p, XFORM_EN, &x, NULL, NULL), GS_OK);
	CHECK_INT(parse(b, &p, XFORM_EN, &y, NULL, NULL), GS_OK);
	CHECK_STR(y.json, "{\"rating\":\"4\",\"waiting\":\"5to15\",\"service\":[\"bill_payment\",\"enquiry\"]}");
	CHECK_STR(x.json, y.json);
	CHECK_INT(y.rating, 4);
	xform_answers_clear(&x);
	xform_answers_clear(&y);
	xform_free(a);
	xform_free(b);
}

/* Untranslated itemsets (<label> in the items, <label ref="label"/>), a value child
 * other than name, double quotes and spaces in the nodeset, inside a group. */
static void test_itemset_plain(void)
{
	struct xform *f = load("tests/data/forms/itemset-plain.xml");
	if (!f)
		return;
	CHECK_STR(f->id, "itemset-plain");
	CHECK_STR(f->version, "2026120101");
	CHECK_INT(f->n_questions, 4);
	CHECK_INT(f->n_groups, 1);
	if (f->n_questions != 4) {
		xform_free(f);
		return;
	}
	const struct xform_question *q = f->questions;
	CHECK_INT(q[0].is_rating, 1);
	CHECK_INT(q[0].n_choices, 5);
	static const char *const levels[][2] = {
	    {"5", "Very good"}, {"4", "Fairly good"}, {"3", "Average"}, {"2", "Fairly poor"}, {"1", "Very poor"}};
	for (size_t c = 0; c < 5 && c < q[0].n_choices; c++) {
		CHECK_STR(q[0].choices[c].value, levels[c][0]);
		/* inline text: the same in both languages, as for an <item>'s inline <label> */
		CHECK_STR(xform_text(q[0].choices[c].label, XFORM_ZH), levels[c][1]);
		CHECK_STR(xform_text(q[0].choices[c].label, XFORM_EN), levels[c][1]);
	}
	CHECK_STR(q[1].name, "counter");
	CHECK_STR(q[1].path, "/data/visit/counter");
	CHECK_INT(q[1].group, 0);
	CHECK_INT(q[1].required, 1);
	CHECK_INT(q[1].n_choices, 2);
	CHECK_STR(q[1].choices[1].value, "c2");
	CHECK_STR(xform_text(q[1].choices[1].label, XFORM_EN), "Counter 2");
	CHECK_STR(xform_text(q[1].hint, XFORM_EN), "The number above the desk");
	CHECK_STR(q[2].name, "topics");
	CHECK_INT(q[2].type, XFORM_SELECT);
	CHECK_INT(q[2].n_choices, 3);
	CHECK_STR(xform_text(q[2].choices[1].label, XFORM_ZH), "Meter & wiring");
	CHECK_INT(q[3].type, XFORM_INT);

	struct post p = {0};
	struct xform_answers a;
	struct xform_field_error e;
	post_add(&p, "rating", "5");
	post_add(&p, "counter", "c3");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, NULL), GS_ERR_INVALID);
	CHECK_INT(e.question, 1);
	p.pairs[1][1] = "c2";
	post_add(&p, "topics", "other");
	post_add(&p, "topics", "meter");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, NULL, NULL), GS_OK);
	CHECK_STR(a.json, "{\"rating\":\"5\",\"counter\":\"c2\",\"topics\":[\"meter\",\"other\"]}");
	xform_answers_clear(&a);

	/* more choices in a list than a question may have */
	struct buf big;
	buf_init(&big, 1024 * 1024);
	buf_puts(&big, "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
	               "xmlns:gs=\"urn:gridscore:form:1\"><h:head><h:title>T</h:title><model><instance>"
	               "<data id=\"gen\" version=\"1\"><r/><c/></data></instance><instance id=\"many\"><root>");
	for (int i = 0; i <= XFORM_MAX_CHOICES; i++)
		buf_printf(&big, "<item><name>v%d</name><label>L</label></item>", i);
	buf_puts(&big, "</root></instance><bind nodeset=\"/data/r\" required=\"true()\" gs:rating=\"true\"/>"
	               "</model></h:head><h:body><select1 ref=\"/data/r\"><label>R</label>");
	for (int v = 5; v >= 1; v--)
		buf_printf(&big, "<item><label>L%d</label><value>%d</value></item>", v, v);
	buf_puts(&big,
	         "</select1><select ref=\"/data/c\"><label>C</label><itemset nodeset=\"instance('many')/root/item\">"
	         "<value ref=\"name\"/><label ref=\"label\"/></itemset></select></h:body></h:html>");
	struct xform *g = (struct xform *)1;
	struct xform_error err;
	CHECK_INT(xform_load_memory("big.xml", big.data, big.len, &g, &err), GS_ERR_TOO_LARGE);
	CHECK(g == NULL);
	CHECK_CONTAINS(err.message, "more than 64 choices");
	buf_free(&big);

	/* the page lists the choices as it lists inline ones */
	char *html = render(f, "en");
	CHECK_CONTAINS(html, "value=\"c2\"");
	CHECK_CONTAINS(html, "Meter &amp; wiring");
	free(html);
	xform_free(f);
}

struct reject {
	const char *file;
	long line;
	const char *message;
};

static const struct reject rejects[] = {
    {"reject-repeat.xml", 32, "<repeat> is not supported"},
    {"reject-repeat-template.xml", 9, "<repeat>"},
    {"reject-relevant.xml", 16, "relevant on <bind> is not supported"},
    {"reject-calculate.xml", 16, "calculate on <bind> is not supported"},
    {"reject-readonly.xml", 16, "readonly on <bind> is not supported"},
    {"reject-preload.xml", 16, "jr:preload is not supported"},
    {"reject-required-expr.xml", 16, "required=\"/data/r = '1'\" is not supported"},
    {"reject-required-msg.xml", 16, "jr:requiredMsg"},
    {"reject-bind-unknown-attr.xml", 16, "attribute odk:length on <bind> is not supported"},
    {"reject-trigger.xml", 28, "<trigger> is not supported"},
    {"reject-upload.xml", 28, "<upload> is not supported"},
    {"reject-range.xml", 28, "<range> is not supported"},
    {"reject-rank.xml", 28, "<odk:rank> is not supported"},
    {"reject-setvalue.xml", 6, "<odk:setvalue> is not supported"},
    {"reject-setvalue-body.xml", 30, "<setvalue> is not supported"},
    {"reject-submission.xml", 6, "<submission> is not supported"},
    {"reject-secondary-instance.xml", 6,
     "secondary <instance id=\"choices\"> before the primary <instance> is not supported"},
    {"reject-itemset.xml", 30, "<itemset> names instance 'x', which the <model> does not define"},
    {"reject-itemset-instance-first.xml", 24, "secondary <instance id=\"level\"> before the primary <instance>"},
    {"reject-itemset-filter.xml", 63,
     "a choice filter ([...] in <itemset nodeset=\"instance('topics')/root/item[name != '']\">) is not supported"},
    {"reject-itemset-randomize.xml", 63, "randomize() in <itemset nodeset>"},
    {"reject-itemset-path.xml", 63, "<itemset nodeset=\"/data/topics_list\"> is not supported"},
    {"reject-itemset-external.xml", 42, "external <instance id=\"topics\" src>"},
    {"reject-instance-unused.xml", 42, "secondary <instance id=\"topics\"> is used by no <itemset>"},
    {"reject-itemset-no-value.xml", 63, "<itemset> needs a <value ref="},
    {"reject-itemset-no-label.xml", 63, "<itemset> needs a <label ref="},
    {"reject-itemset-label-ref.xml", 65, "<label ref=\"jr:itext('/data/q:label')\"> in <itemset> is not supported"},
    {"reject-itemset-item-no-value.xml", 45, "an <item> of instance 'topics' has no <name> (the choice value)"},
    {"reject-itemset-itext-missing.xml", 39, "itext id 'level-9' is not defined"},
    {"reject-itemset-deep.xml", 45, "secondary <instance id=\"topics\"> nested deeper than root/item/label"},
    {"reject-itemset-extra-column.xml", 45, "<region> in an <item> of instance 'topics' is not supported"},
    {"reject-itemset-dup.xml", 45, "choice value 'bill' appears twice (instance 'topics')"},
    {"reject-itemset-space.xml", 45, "choice value 'smart meter' contains whitespace (instance 'topics')"},
    {"reject-itemset-rating.xml", 48, "the rating question's choice values must be 1..5, not '0'"},
    {"reject-itemset-with-items.xml", 67, "<item> together with an <itemset> is not supported"},
    {"reject-itemset-root.xml", 43, "<data> in secondary <instance id=\"topics\"> is not supported"},
    {"reject-date.xml", 16, "type \"date\" is not supported"},
    {"reject-decimal.xml", 16, "type \"xsd:decimal\" is not supported"},
    {"reject-geopoint.xml", 16, "type \"geopoint\" is not supported"},
    {"reject-string-constraint.xml", 16, "constraint on a text question is not supported"},
    {"reject-int-constraint.xml", 16, "constraint \". > 0\" is not supported"},
    {"reject-output.xml", 29, "<output> inside <label> is not supported"},
    {"reject-default-value.xml", 9, "a default value in <instance> is not supported"},
    {"reject-lang-fr.xml", 7, "translation lang=\"French (fr)\" is not supported"},
    {"reject-itext-image.xml", 9, "<value form=\"image\">"},
    {"reject-hidden-field.xml", 9, "/data/hidden has no control in <h:body>"},
    {"reject-bind-group.xml", 18, "relevant on <bind> is not supported"},
    {"reject-bind-group2.xml", 18, "<bind> on the group /data/g is not supported"},
    {"reject-deep-groups.xml", 11, "groups nested more than two levels deep are not supported"},
    {"reject-meta-extra.xml", 7, "needs a version"},
    {"reject-instance-name.xml", 14, "names no element of the <instance>"},
    {"reject-no-items.xml", 28, "<select1> has no <item>"},
    {"reject-no-label.xml", 28, "<input> needs a <label>"},
    {"reject-dup-name.xml", 10, "name 'r' is used twice"},
    {"reject-bad-ref.xml", 27, "ref=\"/data/nope\" names no question"},
    {"reject-bind-unknown.xml", 15, "names no element of the <instance>"},
    {"reject-two-ratings.xml", 16, "a second rating question"},
    {"reject-maxlength-big.xml", 16, "gs:maxlength=\"4001\" must be 1..4000"},
    {"reject-maxlength-select.xml", 16, "gs:maxlength applies to text questions only"},
    {"reject-satisfied-bad.xml", 14, "gs:satisfied=\"5 6\" must list distinct values 1..5"},
    {"reject-head-script.xml", 5, "<h:script> is not supported"},
    {"reject-action.xml", 6, "<action> is not supported"},
    {"reject-choice-space.xml", 30, "choice value 'a b' contains whitespace"},
    {"reject-choice-dup.xml", 31, "choice value 'a' appears twice"},
    {"reject-itext-missing.xml", 29, "itext id 'nope' is not defined"},
    {"reject-label-ref-expr.xml", 29, "ref=\"/data/r\" is not supported"},
    {"reject-select-on-int.xml", 29, "<select1> bound to type \"int\""},
    {"reject-body-unknown.xml", 27, "<h:p> is not supported"},
    {"reject-control-bind-attr.xml", 28, "bind= on <input> is not supported"},
    {"reject-odk-attr.xml", 28, "attribute odk:rows on <input> is not supported"},
    {"reject-meta-instancename.xml", 11, "<instanceName> in <meta> is not supported"},
    {"doctype-laughs.xml", 2, "DOCTYPE"},
    {"doctype-xxe.xml", 3, "DOCTYPE"},
    {"entity-undeclared.xml", 4, "malformed XML"},
    {"malformed.xml", 7, "malformed XML"},
    {"wrong-root.xml", 2, "the root element must be <h:html>"},
};

static void test_rejects(void)
{
	for (size_t i = 0; i < GS_ARRAY_LEN(rejects); i++) {
		char rel[256];
		struct xform *f = (struct xform *)1;
		struct xform_error e;
		snprintf(rel, sizeof rel, "tests/data/forms/%s", rejects[i].file);
		enum gs_result r = xform_load_file(src_path(rel), &f, &e);
		CHECK_INT(r, GS_ERR_INVALID);
		CHECK(f == NULL);
		if (e.line != rejects[i].line)
			fprintf(stderr, "%s: line %ld, expected %ld (%s)\n", rejects[i].file, e.line, rejects[i].line,
			        e.message);
		CHECK_INT(e.line, rejects[i].line);
		CHECK_CONTAINS(e.message, rejects[i].message);
		CHECK_CONTAINS(e.file, rejects[i].file);
		char full[512], want[64];
		xform_error_format(&e, full, sizeof full);
		snprintf(want, sizeof want, ":%ld: ", rejects[i].line);
		CHECK_CONTAINS(full, want);
	}
}

/* Builds a form with n_q extra text questions and n_c choices on an extra select. */
static char *make_form(size_t n_q, size_t n_c, const char *rating_attrs)
{
	struct buf b;
	buf_init(&b, 4 * 1024 * 1024);
	buf_puts(&b, "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
	             "xmlns:gs=\"urn:gridscore:form:1\"><h:head><h:title>T</h:title><model><instance>"
	             "<data id=\"gen\" version=\"1\"><r/><c/>");
	for (size_t i = 0; i < n_q; i++)
		buf_printf(&b, "<q%zu/>", i);
	buf_printf(&b,
	           "</data></instance><bind nodeset=\"/data/r\" %s/></model></h:head><h:body>"
	           "<select1 ref=\"/data/r\"><label>R</label>",
	           rating_attrs);
	for (int v = 5; v >= 1; v--)
		buf_printf(&b, "<item><label>L%d</label><value>%d</value></item>", v, v);
	buf_puts(&b, "</select1><select ref=\"/data/c\"><label>C</label>");
	for (size_t i = 0; i < n_c; i++)
		buf_printf(&b, "<item><label>L</label><value>v%zu</value></item>", i);
	buf_puts(&b, "</select>");
	for (size_t i = 0; i < n_q; i++)
		buf_printf(&b, "<input ref=\"/data/q%zu\"><label>Q</label></input>", i);
	buf_puts(&b, "</h:body></h:html>");
	return buf_steal(&b, NULL);
}

static enum gs_result load_str(const char *s, struct xform **f, struct xform_error *e)
{
	return xform_load_memory("mem.xml", s, strlen(s), f, e);
}

static void test_limits(void)
{
	struct xform *f = NULL;
	struct xform_error e;
	const char *ok = "required=\"true()\" gs:rating=\"true\"";
	char *s = make_form(XFORM_MAX_QUESTIONS - 2, XFORM_MAX_CHOICES, ok);
	CHECK_INT(load_str(s, &f, &e), GS_OK);
	CHECK(f && f->n_questions == XFORM_MAX_QUESTIONS);
	CHECK(f && f->questions[1].n_choices == XFORM_MAX_CHOICES);
	xform_free(f);
	free(s);
	s = make_form(XFORM_MAX_QUESTIONS - 1, 1, ok);
	CHECK_INT(load_str(s, &f, &e), GS_ERR_TOO_LARGE);
	CHECK_CONTAINS(e.message, "more than 64 questions");
	CHECK(f == NULL);
	free(s);
	s = make_form(0, XFORM_MAX_CHOICES + 1, ok);
	CHECK_INT(load_str(s, &f, &e), GS_ERR_TOO_LARGE);
	CHECK_CONTAINS(e.message, "more than 64 choices");
	free(s);
	s = make_form(0, 1, "gs:rating=\"true\"");
	CHECK_INT(load_str(s, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "must be required");
	free(s);
	s = make_form(0, 1, "required=\"true()\"");
	CHECK_INT(load_str(s, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "no rating question");
	free(s);
	s = make_form(0, 1, "required=\"true()\" gs:rating=\"true\" gs:satisfied=\"5 4 3\"");
	CHECK_INT(load_str(s, &f, &e), GS_OK);
	CHECK(f && f->satisfied[3] && f->satisfied[4] && f->satisfied[5] && !f->satisfied[2]);
	xform_free(f);
	free(s);
	s = make_form(0, 1, "required=\"true()\" gs:rating=\"true\" gs:satisfied=\"5 5\"");
	CHECK_INT(load_str(s, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "gs:satisfied");
	free(s);
	s = make_form(0, 1, "required=\"true()\" gs:rating=\"maybe\"");
	CHECK_INT(load_str(s, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "gs:rating=\"maybe\"");
	free(s);

	/* the rating question must have exactly the values 1..5 */
	const char *bad_values =
	    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
	    "xmlns:gs=\"urn:gridscore:form:1\"><h:head><h:title>T</h:title><model><instance>"
	    "<data id=\"x\" version=\"1\"><r/></data></instance><bind nodeset=\"/data/r\" required=\"true()\"/>"
	    "</model></h:head><h:body><select1 ref=\"/data/r\" gs:rating=\"true\"><label>R</label>"
	    "<item><label>a</label><value>0</value></item></select1></h:body></h:html>";
	CHECK_INT(load_str(bad_values, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "values must be 1..5, not '0'");
	const char *missing_value =
	    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
	    "xmlns:gs=\"urn:gridscore:form:1\"><h:head><h:title>T</h:title><model><instance>"
	    "<data id=\"x\" version=\"1\"><r/></data></instance><bind nodeset=\"/data/r\" required=\"true()\"/>"
	    "</model></h:head><h:body><select1 ref=\"/data/r\" gs:rating=\"true\"><label>R</label>"
	    "<item><label>a</label><value>1</value></item></select1></h:body></h:html>";
	CHECK_INT(load_str(missing_value, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "no choice with value 2");
	const char *as_select =
	    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
	    "xmlns:gs=\"urn:gridscore:form:1\"><h:head><h:title>T</h:title><model><instance>"
	    "<data id=\"x\" version=\"1\"><r/></data></instance><bind nodeset=\"/data/r\" required=\"true()\"/>"
	    "</model></h:head><h:body><select ref=\"/data/r\" gs:rating=\"true\"><label>R</label>"
	    "<item><label>a</label><value>1</value></item></select></h:body></h:html>";
	CHECK_INT(load_str(as_select, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "must be a select1");

	/* size cap, empty input, no error struct */
	size_t big = XFORM_MAX_BYTES + 1;
	char *huge = xmalloc(big);
	memset(huge, ' ', big);
	CHECK_INT(xform_load_memory("huge.xml", huge, big, &f, &e), GS_ERR_TOO_LARGE);
	CHECK(f == NULL);
	free(huge);
	CHECK_INT(xform_load_memory("empty.xml", "", 0, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "malformed XML");
	CHECK_INT(xform_load_memory("x.xml", "<a/>", 4, &f, NULL), GS_ERR_INVALID);
	CHECK_INT(xform_load_file(src_path("tests/data/forms/does-not-exist.xml"), &f, &e), GS_ERR_IO);
	CHECK_CONTAINS(e.file, "does-not-exist.xml");
	/* an ENTITY declaration anywhere is refused before parsing */
	const char *ent = "<?xml version=\"1.0\"?>\n<h:html xmlns:h=\"http://www.w3.org/1999/xhtml\">\n"
	                  "<!ENTITY x \"y\">\n</h:html>";
	CHECK_INT(load_str(ent, &f, &e), GS_ERR_INVALID);
	CHECK_INT(e.line, 3);
	xform_free(NULL);

	/* only UTF-8 */
	static const char utf16[] = "\xff\xfe<\0h\0:\0h\0t\0m\0l\0/\0>\0";
	CHECK_INT(xform_load_memory("u16.xml", utf16, sizeof utf16 - 1, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "UTF-8");
	const char *gbk =
	    "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<h:html xmlns:h=\"http://www.w3.org/1999/xhtml\"/>";
	CHECK_INT(load_str(gbk, &f, &e), GS_ERR_INVALID);
	CHECK_CONTAINS(e.message, "encoding \"GBK\" is not supported");
}

/* Two levels of groups, relative refs, gs:rating on the control, CDATA and inline labels. */
static void test_groups(void)
{
	const char *s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" "
	                "xmlns:gs=\"urn:gridscore:form:1\" xmlns:orx=\"http://openrosa.org/xforms\">\n"
	                "<h:head><h:title><![CDATA[Groups & more]]></h:title><model><instance>\n"
	                "<data id=\"groups\" orx:version=\"3\"><a><r/><b><c/><d/></b></a><e/></data></instance>\n"
	                "<bind nodeset=\"/data/a/r\" required=\"true()\"/>\n"
	                "<bind nodeset=\"/data/a/b/d\" type=\"integer\" constraint=\".&gt;=-5 and .&lt;=5\"/>\n"
	                "</model></h:head><h:body>\n"
	                "<group ref=\"/data/a\"><label>A 组</label>\n"
	                "<select1 ref=\"r\" gs:rating=\"true()\" gs:satisfied=\"5\"><label>R</label>\n"
	                "<item><label>5</label><value>5</value></item><item><label>4</label><value>4</value></item>"
	                "<item><label>3</label><value>3</value></item><item><label>2</label><value>2</value></item>"
	                "<item><label>1</label><value>1</value></item></select1>\n"
	                "<group ref=\"b\"><input ref=\"c\"><label>C</label><hint>提示</hint></input>\n"
	                "<input ref=\"/data/a/b/d\"><label>D</label></input></group></group>\n"
	                "<group><label>No ref</label><input ref=\"/data/e\"><label>E</label></input></group>\n"
	                "</h:body></h:html>\n";
	struct xform *f = NULL;
	struct xform_error e;
	enum gs_result r = load_str(s, &f, &e);
	if (r != GS_OK)
		fprintf(stderr, "groups: line %ld: %s\n", e.line, e.message);
	CHECK_INT(r, GS_OK);
	if (!f)
		return;
	CHECK_STR(f->title[XFORM_ZH], "Groups & more");
	CHECK_STR(f->version, "3");
	CHECK_INT(f->n_questions, 4);
	CHECK_INT(f->n_groups, 3);
	CHECK_INT(f->satisfied[5], 1);
	CHECK_INT(f->satisfied[4], 0);
	CHECK_INT(f->questions[0].group, 0);
	CHECK_INT(f->questions[0].is_rating, 1);
	CHECK_INT(f->questions[1].group, 1);
	CHECK_STR(f->questions[1].path, "/data/a/b/c");
	CHECK_STR(xform_text(f->questions[1].hint, XFORM_EN), "提示");
	CHECK_INT(f->questions[2].type, XFORM_INT);
	CHECK_INT(f->questions[2].min, -5);
	CHECK_INT(f->questions[2].max, 5);
	CHECK_INT(f->questions[3].group, 2);
	CHECK_STR(xform_text(f->groups[0].label, XFORM_EN), "A 组");
	CHECK_STR(xform_text(f->groups[1].label, XFORM_EN), "");
	CHECK_STR(xform_text(f->groups[2].label, XFORM_ZH), "No ref");
	struct post p = {0};
	struct xform_answers a;
	post_add(&p, "r", "4");
	post_add(&p, "d", "-5");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, NULL, NULL), GS_OK);
	CHECK_STR(a.json, "{\"r\":\"4\",\"d\":-5}");
	xform_answers_clear(&a);
	p.pairs[1][1] = "-6";
	struct xform_field_error fe;
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &fe, NULL), GS_ERR_INVALID);
	CHECK_STR(fe.message, "请填写 -5 到 5 之间的数。");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &fe, NULL), GS_ERR_INVALID);
	CHECK_STR(fe.message, "Please enter a number from -5 to 5.");
	xform_free(f);
}

static void test_answers(void)
{
	struct xform *f = load("forms/hall-satisfaction.xml");
	struct xform_answers a;
	struct xform_field_error e;
	size_t n;
	if (!f)
		return;

	/* a full, valid answer with a multi-line Chinese comment */
	struct post p = {0};
	post_add(&p, "rating", "5");
	post_add(&p, "waiting", "lt5");
	post_add(&p, "attitude", "4");
	post_add(&p, "one_visit", "yes");
	post_add(&p, "service", "enquiry");
	post_add(&p, "service", "bill_payment");
	post_add(&p, "comment", "\xe3\x80\x80  很好\r\n谢谢\r再见\t!  \r\n");
	post_add(&p, "unknown", "ignored");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_OK);
	CHECK_INT(n, 0);
	CHECK_INT(a.rating, 5);
	CHECK_STR(a.json, "{\"rating\":\"5\",\"waiting\":\"lt5\",\"attitude\":\"4\",\"one_visit\":\"yes\","
	                  "\"service\":[\"bill_payment\",\"enquiry\"],\"comment\":\"很好\\n谢谢\\n再见\\t!\"}");
	/* the choice answers other than the rating (a select's in choice order) and the comment */
	CHECK_STR(a.comment, "很好\n谢谢\n再见\t!");
	CHECK_INT(a.n_choices, 5);
	static const char *const picks[][2] = {{"waiting", "lt5"},      {"attitude", "4"},         {"one_visit", "yes"},
	                                       {"service", "bill_payment"}, {"service", "enquiry"}};
	for (size_t i = 0; i < 5 && i < a.n_choices; i++) {
		CHECK_STR(a.choices[i].question, picks[i][0]);
		CHECK_STR(a.choices[i].value, picks[i][1]);
	}

	/* round trip through the stored JSON */
	struct xform_answers b;
	CHECK_INT(xform_answers_from_json(f, a.json, &b), GS_OK);
	CHECK_STR(b.json, a.json);
	CHECK_INT(b.rating, 5);
	xform_answers_clear(&b);
	xform_answers_clear(&a);
	CHECK(a.json == NULL);
	xform_answers_clear(NULL);

	/* quotes and backslashes are escaped in the JSON, kept in the comment */
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", "3");
	post_add(&p, "comment", "say \"hi\" \\ bye");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_OK);
	CHECK_STR(a.json, "{\"rating\":\"3\",\"comment\":\"say \\\"hi\\\" \\\\ bye\"}");
	CHECK_STR(a.comment, "say \"hi\" \\ bye");
	CHECK_INT(a.n_choices, 0);
	CHECK_INT(xform_answers_from_json(f, a.json, &b), GS_OK);
	CHECK_STR(b.json, a.json);
	CHECK_STR(b.comment, a.comment);
	xform_answers_clear(&b);
	xform_answers_clear(&a);

	/* only the rating: optional questions are omitted */
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", " 1 ");
	post_add(&p, "waiting", "");
	post_add(&p, "comment", "   ");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_OK);
	CHECK_STR(a.json, "{\"rating\":\"1\"}");
	CHECK_INT(a.rating, 1);
	xform_answers_clear(&a);

	/* the rating is required */
	memset(&p, 0, sizeof p);
	post_add(&p, "waiting", "gt30");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_ERR_INVALID);
	CHECK_INT(n, 1);
	CHECK_INT(e.question, 0);
	CHECK_STR(e.message, "请回答此题。");
	CHECK(a.json == NULL);
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "Please answer this question.");
	post_add(&p, "rating", "");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "Please answer this question.");

	/* values not among the choices */
	static const char *const bad_ratings[] = {"6", "0", "05", "5.0", "five", "非常好", "\xff", "5 4"};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad_ratings); i++) {
		memset(&p, 0, sizeof p);
		post_add(&p, "rating", bad_ratings[i]);
		CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
		CHECK_INT(e.question, 0);
		CHECK_STR(e.message, "This choice is not valid.");
	}
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", "3");
	post_add(&p, "waiting", "forever");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_ERR_INVALID);
	CHECK_INT(e.question, 1);
	CHECK_STR(e.message, "所选答案无效。");

	/* one value only for a select1; no duplicates in a select */
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", "3");
	post_add(&p, "rating", "4");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "This question takes one answer only.");
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", "3");
	post_add(&p, "service", "other");
	post_add(&p, "service", "other");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_INT(e.question, 4);
	CHECK_STR(e.message, "A choice was given twice.");
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", "3");
	static const char *const all[] = {"other", "enquiry", "fault_report", "bill_payment", "new_connection"};
	for (size_t i = 0; i < 5; i++)
		post_add(&p, "service", all[i]);
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_OK);
	CHECK_CONTAINS(a.json,
	               "\"service\":[\"new_connection\",\"bill_payment\",\"fault_report\",\"enquiry\",\"other\"]");
	xform_answers_clear(&a);
	post_add(&p, "service", "other");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "A choice was given twice.");
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", "3");
	post_add(&p, "service", "enquiry");
	post_add(&p, "service", "nope");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "This choice is not valid.");

	/* comment length (500 characters, counted as characters, not bytes) */
	char text[4 * 600];
	text[0] = '\0';
	for (int i = 0; i < 500; i++)
		strcat(text, "电");
	memset(&p, 0, sizeof p);
	post_add(&p, "rating", "2");
	post_add(&p, "comment", text);
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_OK);
	xform_answers_clear(&a);
	strcat(text, "电");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_ERR_INVALID);
	CHECK_INT(e.question, 5);
	CHECK_STR(e.message, "内容过长（最多 500 字）。");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "Too long (at most 500 characters).");

	/* invalid UTF-8 and control characters */
	static const char *const bad_text[] = {"ok\xff",           "\xc0\xaf",   "\xe0\x80\xaf", "\xed\xa0\x80",
	                                       "\xf4\x90\x80\x80", "\xe7\x94",   "a\x01z",       "bell\x07",
	                                       "del\x7f",          "esc\x1b[2J", "\xc2\x85",     "\xf8\x88\x80\x80\x80",
	                                       "\xe7\x94\xb5\x80", "x\x0b",      "\x80"};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad_text); i++) {
		memset(&p, 0, sizeof p);
		post_add(&p, "rating", "4");
		post_add(&p, "comment", bad_text[i]);
		CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
		CHECK_INT(e.question, 5);
		CHECK_STR(e.message, "The text contains characters that are not allowed.");
	}
	static const char *const good_text[] = {"tab\there", "line\nbreak", "电费 ¥100", "emoji 😀", "é"};
	for (size_t i = 0; i < GS_ARRAY_LEN(good_text); i++) {
		memset(&p, 0, sizeof p);
		post_add(&p, "rating", "4");
		post_add(&p, "comment", good_text[i]);
		CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_OK);
		CHECK_CONTAINS(a.json, "\"comment\":");
		struct xform_answers c;
		CHECK_INT(xform_answers_from_json(f, a.json, &c), GS_OK);
		CHECK_STR(c.json, a.json);
		xform_answers_clear(&c);
		xform_answers_clear(&a);
	}

	/* several errors, in question order, capped by max_errs */
	memset(&p, 0, sizeof p);
	post_add(&p, "waiting", "x");
	post_add(&p, "comment", "\x01");
	struct xform_field_error errs[2];
	n = 0;
	CHECK_INT(xform_answers_parse(f, post_get, &p, XFORM_EN, &a, errs, 2, &n), GS_ERR_INVALID);
	CHECK_INT(n, 2);
	CHECK_INT(errs[0].question, 0);
	CHECK_INT(errs[1].question, 1);
	CHECK_INT(xform_answers_parse(f, post_get, &p, XFORM_EN, &a, NULL, 0, &n), GS_ERR_INVALID);
	CHECK_INT(n, 0);
	CHECK_INT(xform_answers_parse(f, post_get, &p, XFORM_EN, &a, errs, 1, NULL), GS_ERR_INVALID);
	CHECK_INT(errs[0].question, 0);
	xform_free(f);
}

static void test_int_answers(void)
{
	struct xform *f = load("tests/data/forms/pyxform-style.xml");
	struct xform_answers a;
	struct xform_field_error e;
	size_t n;
	if (!f)
		return;
	static const struct {
		const char *value;
		int ok;
		const char *json;
	} cases[] = {
	    {"0", 1, "\"minutes\":0"},
	    {"600", 1, "\"minutes\":600"},
	    {" 42 ", 1, "\"minutes\":42"},
	    {"+7", 1, "\"minutes\":7"},
	    {"007", 1, "\"minutes\":7"},
	    {"-1", 0, NULL},
	    {"601", 0, NULL},
	    {"1.5", 0, NULL},
	    {"abc", 0, NULL},
	    {"1e3", 0, NULL},
	    {"-", 0, NULL},
	    {"99999999999999999999", 0, NULL},
	    {"0x10", 0, NULL},
	    {"１", 0, NULL},
	    {"5 5", 0, NULL},
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(cases); i++) {
		struct post p = {0};
		post_add(&p, "score", "5");
		post_add(&p, "topics", "meter");
		post_add(&p, "minutes", cases[i].value);
		enum gs_result r = parse(f, &p, XFORM_ZH, &a, &e, &n);
		CHECK_INT(r, cases[i].ok ? GS_OK : GS_ERR_INVALID);
		if (cases[i].ok) {
			CHECK_CONTAINS(a.json, cases[i].json);
			struct xform_answers b;
			CHECK_INT(xform_answers_from_json(f, a.json, &b), GS_OK);
			CHECK_STR(b.json, a.json);
			xform_answers_clear(&b);
		} else {
			CHECK_INT(e.question, 1);
		}
		xform_answers_clear(&a);
	}
	struct post p = {0};
	post_add(&p, "score", "4");
	post_add(&p, "topics", "meter");
	post_add(&p, "minutes", "700");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "请填写 0 到 600");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "Between 0 and 600, please");
	memset(&p, 0, sizeof p);
	post_add(&p, "score", "4");
	post_add(&p, "topics", "meter");
	post_add(&p, "minutes", "x");
	CHECK_INT(parse(f, &p, XFORM_ZH, &a, &e, &n), GS_ERR_INVALID);
	CHECK_STR(e.message, "请填写整数。");
	/* required select left empty; the note's own cap */
	memset(&p, 0, sizeof p);
	post_add(&p, "score", "4");
	post_add(&p, "note", "123456789012345678901");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_ERR_INVALID);
	CHECK_INT(n, 2);
	CHECK_INT(e.question, 2);
	CHECK_STR(e.message, "Please answer this question.");
	memset(&p, 0, sizeof p);
	post_add(&p, "score", "4");
	post_add(&p, "topics", "bill");
	post_add(&p, "note", "12345678901234567890");
	CHECK_INT(parse(f, &p, XFORM_EN, &a, &e, &n), GS_OK);
	CHECK_STR(a.json, "{\"score\":\"4\",\"topics\":[\"bill\"],\"note\":\"12345678901234567890\"}");
	CHECK_INT(a.rating, 4);
	xform_answers_clear(&a);
	xform_free(f);
}

static void test_from_json(void)
{
	struct xform *f = load("forms/hall-satisfaction.xml");
	struct xform_answers a;
	if (!f)
		return;
	static const char *const good[] = {
	    "{\"rating\":\"5\"}",
	    "{\"comment\":\"好\",\"rating\":\"2\"}",
	    "{\"rating\":\"3\",\"service\":[\"other\",\"enquiry\"]}",
	    "{\"rating\":\"1\",\"comment\":\"\\u7535\\u8d39\"}",
	};
	static const char *const canonical[] = {
	    "{\"rating\":\"5\"}",
	    "{\"rating\":\"2\",\"comment\":\"好\"}",
	    "{\"rating\":\"3\",\"service\":[\"enquiry\",\"other\"]}",
	    "{\"rating\":\"1\",\"comment\":\"电费\"}",
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(good); i++) {
		CHECK_INT(xform_answers_from_json(f, good[i], &a), GS_OK);
		CHECK_STR(a.json, canonical[i]);
		xform_answers_clear(&a);
	}
	static const char *const bad[] = {
	    "",
	    "null",
	    "[]",
	    "\"rating\"",
	    "{}",
	    "{\"rating\":5}",
	    "{\"rating\":\"6\"}",
	    "{\"rating\":\"5\",\"extra\":\"x\"}",
	    "{\"rating\":\"5\",\"rating\":\"4\"}",
	    "{\"rating\":\"5\",\"service\":\"other\"}",
	    "{\"rating\":\"5\",\"service\":[]}",
	    "{\"rating\":\"5\",\"service\":[\"other\",\"other\"]}",
	    "{\"rating\":\"5\",\"service\":[1]}",
	    "{\"rating\":\"5\",\"comment\":\"\"}",
	    "{\"rating\":\"5\",\"comment\":\"\\u0000\"}",
	    "{\"rating\":\"5\",\"comment\":\"a\\u0001\"}",
	    "{\"rating\":\"5\",\"comment\":null}",
	    "{\"rating\":\"5\",\"waiting\":[\"lt5\"]}",
	    "{\"rating\":\"5\"",
	    "{\"rating\":\"5\"} trailing",
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(bad); i++) {
		a.json = (char *)"sentinel";
		CHECK_INT(xform_answers_from_json(f, bad[i], &a), GS_ERR_INVALID);
		CHECK(a.json == NULL);
	}
	CHECK_INT(xform_answers_from_json(f, NULL, &a), GS_ERR_INVALID);
	xform_free(f);

	struct xform *g = load("tests/data/forms/pyxform-style.xml");
	if (!g)
		return;
	CHECK_INT(xform_answers_from_json(g, "{\"score\":\"5\",\"topics\":[\"bill\"],\"minutes\":12}", &a), GS_OK);
	CHECK_STR(a.json, "{\"score\":\"5\",\"minutes\":12,\"topics\":[\"bill\"]}");
	xform_answers_clear(&a);
	CHECK_INT(xform_answers_from_json(g, "{\"score\":\"5\",\"topics\":[\"bill\"],\"minutes\":\"12\"}", &a),
	          GS_ERR_INVALID);
	CHECK_INT(xform_answers_from_json(g, "{\"score\":\"5\",\"topics\":[\"bill\"],\"minutes\":1.5}", &a),
	          GS_ERR_INVALID);
	CHECK_INT(xform_answers_from_json(g, "{\"score\":\"5\",\"topics\":[\"bill\"],\"minutes\":601}", &a),
	          GS_ERR_INVALID);
	CHECK_INT(xform_answers_from_json(g, "{\"score\":\"5\",\"topics\":[\"bill\"],\"minutes\":-5}", &a),
	          GS_ERR_INVALID);
	xform_free(g);
}

int main(void)
{
	test_shipped();
	test_pyxform();
	test_pyxform_itemset();
	test_itemset_plain();
	test_minimal();
	test_rejects();
	test_limits();
	test_groups();
	test_answers();
	test_int_answers();
	test_from_json();
	return check_finish("test_xform");
}
