/* xform.c — loads survey forms written in the gridscore subset of ODK XForms (see
 * docs/forms.md) into struct xform, and validates posted or stored answers against
 * a loaded form. The loader reads a whole DOM (forms are small and capped) and walks
 * it strictly: every element and attribute it does not know is an error with a line.
 * Choices written as a static secondary instance plus an <itemset> (what pyxform
 * emits) are expanded into the same struct xform_choice list inline <item>s give, so
 * nothing past the loader knows which way a form wrote them. */
#include "xform.h"

#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NS_XF "http://www.w3.org/2002/xforms"
#define NS_H "http://www.w3.org/1999/xhtml"
#define NS_JR "http://openrosa.org/javarosa"
#define NS_ORX "http://openrosa.org/xforms"
#define NS_ODK "http://www.opendatakit.org/xforms"
#define NS_GS "urn:gridscore:form:1"

#define MAX_TEXT 4096  /* bytes of one label, hint or title */
#define MAX_TEXTS 4096 /* itext entries per language */
#define MAX_NAME 64    /* bytes of a question name */
#define MAX_VALUE 64   /* bytes of a choice value */
#define MAX_LEAVES (XFORM_MAX_QUESTIONS + 1)
#define MAX_JSON (2 * 1024 * 1024)

struct itext {
	char *id;
	char *value[XFORM_NLANG];
};

/* An element of the primary instance: a question's leaf, a group node or meta. */
struct leaf {
	char *path;
	const char *name; /* points into path */
	xmlNodePtr node;
	int is_group;      /* has element children */
	int is_instanceid; /* meta/instanceID */
	xmlNodePtr bind;
	int used; /* has a body control */
};

/* A secondary <instance id="…"> holding a static choice list: <root><item>… (the
 * shape was checked when it was read; its items are read by each <itemset> naming it). */
struct choice_list {
	const char *id;  /* borrowed from the document */
	xmlNodePtr node; /* the <instance> */
	xmlNodePtr root; /* its <root> */
	int used;        /* named by an <itemset> */
};

#define MAX_LISTS XFORM_MAX_QUESTIONS /* an unused list is an error, so one per select at most */

struct loader {
	struct xform_error *err;
	enum gs_result result;
	struct xform *f;
	struct itext *texts;
	size_t n_texts;
	int have_lang[XFORM_NLANG];
	struct leaf leaves[MAX_LEAVES + XFORM_MAX_GROUPS];
	size_t n_leaves;
	char *root_path; /* "/data" */
	struct choice_list lists[MAX_LISTS];
	size_t n_lists;
};

static enum gs_result failv(struct loader *ld, enum gs_result r, long line, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static enum gs_result failv(struct loader *ld, enum gs_result r, long line, const char *fmt, va_list ap)
{
	if (ld->result != GS_OK)
		return ld->result;
	ld->result = r;
	if (ld->err) {
		ld->err->line = line;
		vsnprintf(ld->err->message, sizeof ld->err->message, fmt, ap);
	}
	return r;
}

/* Records the first error (later ones are consequences) and returns its result. */
static enum gs_result fail(struct loader *ld, xmlNodePtr at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum gs_result fail(struct loader *ld, xmlNodePtr at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum gs_result r = failv(ld, GS_ERR_INVALID, at ? xmlGetLineNo(at) : 0, fmt, ap);
	va_end(ap);
	return r;
}

static enum gs_result fail_big(struct loader *ld, xmlNodePtr at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum gs_result fail_big(struct loader *ld, xmlNodePtr at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum gs_result r = failv(ld, GS_ERR_TOO_LARGE, at ? xmlGetLineNo(at) : 0, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- small XML helpers ---- */

static const char *ns_of(xmlNodePtr n)
{
	return n->ns && n->ns->href ? (const char *)n->ns->href : "";
}

static int is_el(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp(ns_of(n), ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

/* The element's name as written, "<h:head>" or "<repeat>", for messages. */
static const char *el_name(xmlNodePtr n, char *buf, size_t size)
{
	if (n->ns && n->ns->prefix)
		snprintf(buf, size, "<%s:%s>", (const char *)n->ns->prefix, (const char *)n->name);
	else
		snprintf(buf, size, "<%s>", (const char *)n->name);
	return buf;
}

static const char *attr_name(xmlAttrPtr a, char *buf, size_t size)
{
	if (a->ns && a->ns->prefix)
		snprintf(buf, size, "%s:%s", (const char *)a->ns->prefix, (const char *)a->name);
	else
		snprintf(buf, size, "%s", (const char *)a->name);
	return buf;
}

static enum gs_result unsupported(struct loader *ld, xmlNodePtr n)
{
	char nb[96];
	return fail(ld, n, "%s is not supported", el_name(n, nb, sizeof nb));
}

/* Borrowed value of the attribute ns:name (ns "" for no namespace), or NULL. */
static const char *attr(xmlNodePtr n, const char *ns, const char *name)
{
	for (xmlAttrPtr a = n->properties; a; a = a->next) {
		const char *ans = a->ns && a->ns->href ? (const char *)a->ns->href : "";
		if (strcmp(ans, ns) || strcmp((const char *)a->name, name))
			continue;
		if (!a->children)
			return "";
		if (a->children->type == XML_TEXT_NODE && !a->children->next && a->children->content)
			return (const char *)a->children->content;
		return "";
	}
	return NULL;
}

struct attr_spec {
	const char *ns;
	const char *name;
};

/* Rejects any attribute of n that is not in allowed (terminated by {NULL, NULL}). */
static enum gs_result check_attrs(struct loader *ld, xmlNodePtr n, const struct attr_spec *allowed)
{
	for (xmlAttrPtr a = n->properties; a; a = a->next) {
		const char *ans = a->ns && a->ns->href ? (const char *)a->ns->href : "";
		int ok = 0;
		for (const struct attr_spec *s = allowed; s->name; s++)
			if (strcmp(s->ns, ans) == 0 && strcmp(s->name, (const char *)a->name) == 0)
				ok = 1;
		if (!ok) {
			char ab[96], nb[96];
			return fail(ld, n, "attribute %s on %s is not supported", attr_name(a, ab, sizeof ab),
			            el_name(n, nb, sizeof nb));
		}
	}
	return GS_OK;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* Checks a node between elements: whitespace, comments and PIs pass; anything else
 * is an error. Returns 1 if n is an element to look at. */
static int element_or_skip(struct loader *ld, xmlNodePtr n)
{
	switch (n->type) {
	case XML_ELEMENT_NODE: return 1;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (n->content && !is_blank((const char *)n->content)) {
			char nb[96];
			fail(ld, n, "unexpected text inside %s", n->parent ? el_name(n->parent, nb, sizeof nb) : "?");
		}
		return 0;
	case XML_COMMENT_NODE:
	case XML_PI_NODE: return 0;
	default: fail(ld, n, "unexpected XML node (entity references and the like are not supported)"); return 0;
	}
}

static char *trim_dup(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return xstrndup(s, len);
}

/* The text content of n, trimmed, in *out (caller frees). Child elements (such as
 * <output> or markup in labels) are rejected. */
static enum gs_result text_of(struct loader *ld, xmlNodePtr n, char **out)
{
	struct buf b;
	*out = NULL;
	buf_init(&b, MAX_TEXT);
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content && buf_puts(&b, (const char *)c->content) != GS_OK) {
				buf_free(&b);
				return fail(ld, n, "text longer than %d bytes", MAX_TEXT);
			}
		} else if (c->type == XML_ELEMENT_NODE) {
			char nb[96], pb[96];
			buf_free(&b);
			return fail(ld, c, "%s inside %s is not supported", el_name(c, nb, sizeof nb),
			            el_name(n, pb, sizeof pb));
		} else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
			buf_free(&b);
			return fail(ld, c, "unexpected XML node (entity references and the like are not supported)");
		}
	}
	*out = trim_dup(b.data ? b.data : "", b.len);
	buf_free(&b);
	return GS_OK;
}

static void free_labels(char *l[XFORM_NLANG])
{
	for (int i = 0; i < XFORM_NLANG; i++) {
		free(l[i]);
		l[i] = NULL;
	}
}

/* ---- head: itext ---- */

/* "zh", "Chinese (zh)", "中文 (zh)" and the like; -1 for other languages. */
static int lang_of(const char *lang)
{
	static const char *const codes[XFORM_NLANG] = {"zh", "en"};
	size_t len = strlen(lang);
	for (int i = 0; i < XFORM_NLANG; i++) {
		if (strcmp(lang, codes[i]) == 0)
			return i;
		if (len >= 4 && lang[len - 4] == '(' && lang[len - 1] == ')' &&
		    strncmp(lang + len - 3, codes[i], 2) == 0)
			return i;
	}
	return -1;
}

static struct itext *itext_find(struct loader *ld, const char *id)
{
	for (size_t i = 0; i < ld->n_texts; i++)
		if (strcmp(ld->texts[i].id, id) == 0)
			return &ld->texts[i];
	return NULL;
}

static enum gs_result load_text(struct loader *ld, xmlNodePtr t, int lang)
{
	static const struct attr_spec text_attrs[] = {{"", "id"}, {NULL, NULL}};
	static const struct attr_spec value_attrs[] = {{NULL, NULL}};
	if (check_attrs(ld, t, text_attrs) != GS_OK)
		return ld->result;
	const char *id = attr(t, "", "id");
	if (!id || !*id)
		return fail(ld, t, "<text> needs an id");
	struct itext *it = itext_find(ld, id);
	if (!it) {
		if (ld->n_texts >= MAX_TEXTS)
			return fail_big(ld, t, "more than %d itext texts", MAX_TEXTS);
		it = &ld->texts[ld->n_texts++];
		it->id = xstrdup(id);
	}
	if (it->value[lang])
		return fail(ld, t, "itext id '%s' appears twice in one translation", id);
	for (xmlNodePtr v = t->children; v; v = v->next) {
		if (!element_or_skip(ld, v))
			continue;
		if (!is_el(v, NS_XF, "value"))
			return unsupported(ld, v);
		if (attr(v, "", "form"))
			return fail(ld, v, "<value form=\"%s\"> (media or alternative forms) is not supported",
			            attr(v, "", "form"));
		if (check_attrs(ld, v, value_attrs) != GS_OK)
			return ld->result;
		if (it->value[lang])
			return fail(ld, v, "itext id '%s' has more than one <value>", id);
		if (text_of(ld, v, &it->value[lang]) != GS_OK)
			return ld->result;
	}
	if (!it->value[lang])
		return fail(ld, t, "itext id '%s' has no <value>", id);
	return ld->result;
}

static enum gs_result load_itext(struct loader *ld, xmlNodePtr itext)
{
	static const struct attr_spec itext_attrs[] = {{NULL, NULL}};
	static const struct attr_spec tr_attrs[] = {{"", "lang"}, {"", "default"}, {NULL, NULL}};
	if (check_attrs(ld, itext, itext_attrs) != GS_OK)
		return ld->result;
	ld->texts = xcalloc(MAX_TEXTS, sizeof *ld->texts);
	for (xmlNodePtr tr = itext->children; tr; tr = tr->next) {
		if (!element_or_skip(ld, tr))
			continue;
		if (!is_el(tr, NS_XF, "translation"))
			return unsupported(ld, tr);
		if (check_attrs(ld, tr, tr_attrs) != GS_OK)
			return ld->result;
		const char *lang = attr(tr, "", "lang");
		if (!lang)
			return fail(ld, tr, "<translation> needs a lang");
		int l = lang_of(lang);
		if (l < 0)
			return fail(ld, tr, "translation lang=\"%s\" is not supported (use zh or en)", lang);
		if (ld->have_lang[l])
			return fail(ld, tr, "translation lang=\"%s\" appears twice", lang);
		ld->have_lang[l] = 1;
		for (xmlNodePtr t = tr->children; t; t = t->next) {
			if (!element_or_skip(ld, t))
				continue;
			if (!is_el(t, NS_XF, "text"))
				return unsupported(ld, t);
			if (load_text(ld, t, l) != GS_OK)
				return ld->result;
		}
	}
	return ld->result;
}

/* ---- head: instance ---- */

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MAX_NAME)
		return 0;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static struct leaf *leaf_find(struct loader *ld, const char *path)
{
	for (size_t i = 0; i < ld->n_leaves; i++)
		if (strcmp(ld->leaves[i].path, path) == 0)
			return &ld->leaves[i];
	return NULL;
}

static enum gs_result add_leaf(struct loader *ld, xmlNodePtr n, const char *parent, int is_group, int is_instanceid)
{
	static const struct attr_spec none[] = {{NULL, NULL}};
	size_t questions = 0, groups = 0;
	if (attr(n, NS_JR, "template"))
		return fail(ld, n, "<repeat> (jr:template in <instance>) is not supported");
	if (check_attrs(ld, n, none) != GS_OK)
		return ld->result;
	const char *name = (const char *)n->name;
	if (!valid_name(name))
		return fail(ld, n, "name '%s' is not supported (ASCII letters, digits, _ . -; at most %d)", name,
		            MAX_NAME);
	for (size_t i = 0; i < ld->n_leaves; i++) {
		if (ld->leaves[i].is_group)
			groups++;
		else if (!ld->leaves[i].is_instanceid)
			questions++;
		if (strcmp(ld->leaves[i].name, name) == 0 && !ld->leaves[i].is_instanceid && !is_instanceid)
			return fail(ld, n, "name '%s' is used twice (names are HTML field names and must be unique)",
			            name);
	}
	if (is_group && groups >= XFORM_MAX_GROUPS)
		return fail_big(ld, n, "more than %d groups", XFORM_MAX_GROUPS);
	if (!is_group && !is_instanceid && questions >= XFORM_MAX_QUESTIONS)
		return fail_big(ld, n, "more than %d questions", XFORM_MAX_QUESTIONS);
	struct leaf *lf = &ld->leaves[ld->n_leaves++];
	lf->path = xasprintf("%s/%s", parent, name);
	lf->name = lf->path + strlen(parent) + 1;
	lf->node = n;
	lf->is_group = is_group;
	lf->is_instanceid = is_instanceid;
	return GS_OK;
}

static int has_element_child(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

static enum gs_result check_no_default(struct loader *ld, xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
		    !is_blank((const char *)c->content))
			return fail(ld, n, "a default value in <instance> is not supported");
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE && c->type != XML_COMMENT_NODE)
			element_or_skip(ld, c);
	}
	return ld->result;
}

static enum gs_result load_meta(struct loader *ld, xmlNodePtr meta, const char *parent)
{
	static const struct attr_spec none[] = {{NULL, NULL}};
	if (check_attrs(ld, meta, none) != GS_OK)
		return ld->result;
	char *path = xasprintf("%s/%s", parent, (const char *)meta->name);
	int seen = 0;
	for (xmlNodePtr c = meta->children; c; c = c->next) {
		if (!element_or_skip(ld, c))
			continue;
		if ((is_el(c, NS_XF, "instanceID") || is_el(c, NS_ORX, "instanceID")) && !seen) {
			seen = 1;
			if (check_no_default(ld, c) != GS_OK || add_leaf(ld, c, path, 0, 1) != GS_OK)
				break;
		} else {
			char nb[96];
			fail(ld, c, "%s in <meta> is not supported (only instanceID)", el_name(c, nb, sizeof nb));
			break;
		}
	}
	free(path);
	return ld->result;
}

static enum gs_result load_instance(struct loader *ld, xmlNodePtr inst)
{
	static const struct attr_spec root_attrs[] = {{"", "id"}, {"", "version"}, {NS_ORX, "version"}, {NULL, NULL}};
	if (attr(inst, "", "id"))
		return fail(ld, inst, "secondary <instance id=\"%s\"> is not supported", attr(inst, "", "id"));
	if (attr(inst, "", "src"))
		return fail(ld, inst, "external <instance src> is not supported");
	static const struct attr_spec none[] = {{NULL, NULL}};
	if (check_attrs(ld, inst, none) != GS_OK)
		return ld->result;
	xmlNodePtr root = NULL;
	for (xmlNodePtr c = inst->children; c; c = c->next) {
		if (!element_or_skip(ld, c))
			continue;
		if (root)
			return fail(ld, c, "<instance> must hold exactly one root element");
		root = c;
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!root)
		return fail(ld, inst, "<instance> is empty");
	if (check_attrs(ld, root, root_attrs) != GS_OK)
		return ld->result;
	const char *id = attr(root, "", "id");
	const char *version = attr(root, "", "version");
	if (!version)
		version = attr(root, NS_ORX, "version");
	if (!id || !util_valid_code(id))
		return fail(ld, root, "the instance root needs an id attribute (1-64 of A-Z a-z 0-9 . _ -)");
	if (!version || !util_valid_code(version))
		return fail(ld, root, "the instance root needs a version attribute (1-64 of A-Z a-z 0-9 . _ -)");
	ld->f->id = xstrdup(id);
	ld->f->version = xstrdup(version);
	if (!valid_name((const char *)root->name))
		return fail(ld, root, "instance root name '%s' is not supported", (const char *)root->name);
	ld->root_path = xasprintf("/%s", (const char *)root->name);

	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (!element_or_skip(ld, c))
			continue;
		if (is_el(c, NS_XF, "meta") || is_el(c, NS_ORX, "meta")) {
			if (load_meta(ld, c, ld->root_path) != GS_OK)
				return ld->result;
			continue;
		}
		if (strcmp(ns_of(c), NS_XF) != 0)
			return unsupported(ld, c);
		if (!has_element_child(c)) {
			if (check_no_default(ld, c) != GS_OK || add_leaf(ld, c, ld->root_path, 0, 0) != GS_OK)
				return ld->result;
			continue;
		}
		/* a group node: its children are the group's questions */
		if (check_no_default(ld, c) != GS_OK || add_leaf(ld, c, ld->root_path, 1, 0) != GS_OK)
			return ld->result;
		char *gpath = xstrdup(ld->leaves[ld->n_leaves - 1].path);
		for (xmlNodePtr q = c->children; q && ld->result == GS_OK; q = q->next) {
			if (!element_or_skip(ld, q))
				continue;
			if (strcmp(ns_of(q), NS_XF) != 0) {
				unsupported(ld, q);
			} else if (!has_element_child(q)) {
				if (check_no_default(ld, q) == GS_OK)
					add_leaf(ld, q, gpath, 0, 0);
			} else {
				/* one more level of grouping */
				if (check_no_default(ld, q) != GS_OK || add_leaf(ld, q, gpath, 1, 0) != GS_OK)
					break;
				char *g2 = xstrdup(ld->leaves[ld->n_leaves - 1].path);
				for (xmlNodePtr r = q->children; r && ld->result == GS_OK; r = r->next) {
					if (!element_or_skip(ld, r))
						continue;
					if (strcmp(ns_of(r), NS_XF) != 0)
						unsupported(ld, r);
					else if (has_element_child(r))
						fail(ld, r,
						     "groups nested more than two levels deep are not supported");
					else if (check_no_default(ld, r) == GS_OK)
						add_leaf(ld, r, g2, 0, 0);
				}
				free(g2);
			}
		}
		free(gpath);
		if (ld->result != GS_OK)
			return ld->result;
	}
	return ld->result;
}

/* A secondary <instance id="ID"> as pyxform writes a choice list:
 * <root><item><name>v</name><label>text</label></item>…</root>, or with <itextId>
 * instead of <label> when the choices are translated. Only that static shape is read:
 * one <root>, only <item>s in it, only leaf elements without attributes in those. Which
 * child is the value and which the label is up to the <itemset> (load_itemset). */
static enum gs_result load_choice_list(struct loader *ld, xmlNodePtr inst)
{
	static const struct attr_spec inst_attrs[] = {{"", "id"}, {NULL, NULL}};
	static const struct attr_spec none[] = {{NULL, NULL}};
	const char *id = attr(inst, "", "id");
	char nb[96];
	if (attr(inst, "", "src"))
		return fail(ld, inst,
		            "external <instance id=\"%s\" src> (choices or data from a file) is not supported", id);
	if (check_attrs(ld, inst, inst_attrs) != GS_OK)
		return ld->result;
	if (!util_valid_code(id))
		return fail(ld, inst, "secondary <instance id=\"%s\">: the id must be 1-64 of A-Z a-z 0-9 . _ -", id);
	for (size_t i = 0; i < ld->n_lists; i++)
		if (strcmp(ld->lists[i].id, id) == 0)
			return fail(ld, inst, "secondary <instance id=\"%s\"> appears twice", id);
	if (ld->n_lists >= MAX_LISTS)
		return fail_big(ld, inst, "more than %d secondary <instance>s", MAX_LISTS);
	xmlNodePtr root = NULL;
	for (xmlNodePtr c = inst->children; c && ld->result == GS_OK; c = c->next) {
		if (!element_or_skip(ld, c))
			continue;
		if (!is_el(c, NS_XF, "root"))
			return fail(ld, c,
			            "%s in secondary <instance id=\"%s\"> is not supported (only <root> with <item>s)",
			            el_name(c, nb, sizeof nb), id);
		if (root)
			return fail(ld, c, "secondary <instance id=\"%s\"> must hold exactly one <root>", id);
		root = c;
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!root)
		return fail(ld, inst, "secondary <instance id=\"%s\"> is empty", id);
	if (check_attrs(ld, root, none) != GS_OK)
		return ld->result;
	size_t items = 0;
	for (xmlNodePtr it = root->children; it && ld->result == GS_OK; it = it->next) {
		if (!element_or_skip(ld, it))
			continue;
		if (!is_el(it, NS_XF, "item"))
			return fail(ld, it,
			            "%s in secondary <instance id=\"%s\"> is not supported (only <item>s in <root>)",
			            el_name(it, nb, sizeof nb), id);
		if (check_attrs(ld, it, none) != GS_OK)
			return ld->result;
		if (++items > XFORM_MAX_CHOICES)
			return fail_big(ld, it, "more than %d choices in secondary <instance id=\"%s\">",
			                XFORM_MAX_CHOICES, id);
		for (xmlNodePtr fld = it->children; fld && ld->result == GS_OK; fld = fld->next) {
			if (!element_or_skip(ld, fld))
				continue;
			if (strcmp(ns_of(fld), NS_XF) != 0)
				return fail(ld, fld, "%s in an <item> of instance '%s' is not supported",
				            el_name(fld, nb, sizeof nb), id);
			if (check_attrs(ld, fld, none) != GS_OK)
				return ld->result;
			if (has_element_child(fld))
				return fail(
				    ld, fld,
				    "secondary <instance id=\"%s\"> nested deeper than root/item/%s is not supported",
				    id, (const char *)fld->name);
			for (xmlNodePtr prev = it->children; prev != fld; prev = prev->next)
				if (is_el(prev, NS_XF, (const char *)fld->name))
					return fail(ld, fld, "<%s> appears twice in an <item> of instance '%s'",
					            (const char *)fld->name, id);
		}
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (items == 0)
		return fail(ld, root, "secondary <instance id=\"%s\"> has no <item>", id);
	ld->lists[ld->n_lists++] = (struct choice_list){id, inst, root, 0};
	return GS_OK;
}

/* ---- head: binds ---- */

static int is_true(const char *s)
{
	return strcmp(s, "true()") == 0 || strcmp(s, "true") == 0;
}

static int is_false(const char *s)
{
	return strcmp(s, "false()") == 0 || strcmp(s, "false") == 0;
}

/* Bind types, with or without "xsd:"; NULL if unsupported. */
static const char *bind_type(const char *t)
{
	static const char *const ok[] = {"string", "int", "integer", "select1", "select"};
	if (strncmp(t, "xsd:", 4) == 0)
		t += 4;
	for (size_t i = 0; i < GS_ARRAY_LEN(ok); i++)
		if (strcmp(t, ok[i]) == 0)
			return ok[i];
	return NULL;
}

static int same_ignoring_spaces(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t' || *a == '\n')
			a++;
		while (*b == ' ' || *b == '\t' || *b == '\n')
			b++;
		if (*a != *b)
			return 0;
		if (!*a)
			return 1;
		a++, b++;
	}
}

static enum gs_result load_bind(struct loader *ld, xmlNodePtr b)
{
	static const struct attr_spec bind_attrs[] = {{"", "nodeset"},
	                                              {"", "type"},
	                                              {"", "required"},
	                                              {"", "constraint"},
	                                              {NS_JR, "constraintMsg"},
	                                              {"", "readonly"},
	                                              {"", "calculate"},
	                                              {NS_JR, "preload"},
	                                              {NS_JR, "preloadParams"},
	                                              {NS_GS, "rating"},
	                                              {NS_GS, "satisfied"},
	                                              {NS_GS, "maxlength"},
	                                              {NULL, NULL}};
	static const char *const exprs[] = {"relevant", "saveIncomplete"};
	for (size_t i = 0; i < GS_ARRAY_LEN(exprs); i++)
		if (attr(b, "", exprs[i]))
			return fail(ld, b, "%s on <bind> is not supported", exprs[i]);
	if (attr(b, NS_JR, "requiredMsg"))
		return fail(ld, b, "jr:requiredMsg on <bind> is not supported");
	if (check_attrs(ld, b, bind_attrs) != GS_OK)
		return ld->result;
	const char *nodeset = attr(b, "", "nodeset");
	if (!nodeset)
		return fail(ld, b, "<bind> needs a nodeset");
	struct leaf *lf = leaf_find(ld, nodeset);
	if (!lf)
		return fail(ld, b, "<bind nodeset=\"%s\"> names no element of the <instance>", nodeset);
	if (lf->is_group)
		return fail(ld, b, "<bind> on the group %s is not supported", nodeset);
	if (lf->bind)
		return fail(ld, b, "a second <bind> for %s", nodeset);
	lf->bind = b;
	const char *type = attr(b, "", "type");
	if (type && !bind_type(type))
		return fail(ld, b, "type \"%s\" is not supported", type);
	const char *readonly = attr(b, "", "readonly"), *calculate = attr(b, "", "calculate");
	const char *preload = attr(b, NS_JR, "preload"), *params = attr(b, NS_JR, "preloadParams");
	if (lf->is_instanceid) {
		if (type && strcmp(bind_type(type), "string"))
			return fail(ld, b, "meta/instanceID must be a string");
		if (readonly && !is_true(readonly))
			return fail(ld, b, "readonly=\"%s\" is not supported", readonly);
		if (calculate && !same_ignoring_spaces(calculate, "concat('uuid:',uuid())"))
			return fail(
			    ld, b,
			    "calculate=\"%s\" is not supported (only concat('uuid:', uuid()) on meta/instanceID)",
			    calculate);
		if (preload && strcmp(preload, "uid"))
			return fail(ld, b, "jr:preload=\"%s\" is not supported", preload);
		if (params)
			return fail(ld, b, "jr:preloadParams is not supported");
		const char *other[] = {"required", "constraint"};
		for (size_t i = 0; i < GS_ARRAY_LEN(other); i++)
			if (attr(b, "", other[i]))
				return fail(ld, b, "%s on meta/instanceID is not supported", other[i]);
		if (attr(b, NS_JR, "constraintMsg") || attr(b, NS_GS, "rating") || attr(b, NS_GS, "satisfied") ||
		    attr(b, NS_GS, "maxlength"))
			return fail(ld, b, "this attribute on meta/instanceID is not supported");
		return GS_OK;
	}
	if (calculate)
		return fail(ld, b, "calculate on <bind> is not supported (only on meta/instanceID)");
	if (preload)
		return fail(ld, b, "jr:preload is not supported (only jr:preload=\"uid\" on meta/instanceID)");
	if (params)
		return fail(ld, b, "jr:preloadParams is not supported");
	if (readonly && !is_false(readonly))
		return fail(ld, b, "readonly on <bind> is not supported (only on meta/instanceID)");
	const char *required = attr(b, "", "required");
	if (required && !is_true(required) && !is_false(required))
		return fail(ld, b, "required=\"%s\" is not supported (only true() or false())", required);
	return GS_OK;
}

/* ---- body ---- */

/* jr:itext('id') → id, or NULL if ref has another form. Caller frees. */
static char *itext_ref(const char *ref)
{
	const char *p = ref;
	while (*p == ' ')
		p++;
	if (strncmp(p, "jr:itext(", 9))
		return NULL;
	p += 9;
	while (*p == ' ')
		p++;
	char q = *p;
	if (q != '\'' && q != '"')
		return NULL;
	const char *start = ++p;
	const char *end = strchr(start, q);
	if (!end || end == start)
		return NULL;
	p = end + 1;
	while (*p == ' ')
		p++;
	if (*p != ')')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	if (*p)
		return NULL;
	return xstrndup(start, (size_t)(end - start));
}

/* Fills out with the itext texts of id (in every language the form has it). */
static enum gs_result texts_from_id(struct loader *ld, xmlNodePtr at, const char *id, char *out[XFORM_NLANG])
{
	struct itext *it = itext_find(ld, id);
	if (!it)
		return fail(ld, at, "itext id '%s' is not defined", id);
	for (int l = 0; l < XFORM_NLANG; l++) {
		free(out[l]);
		out[l] = xstrdup(it->value[l]);
	}
	return GS_OK;
}

/* Fills out from either jr:itext('id') in ref or from inline text. */
static enum gs_result texts_from_ref(struct loader *ld, xmlNodePtr at, const char *ref, char *out[XFORM_NLANG])
{
	char *id = itext_ref(ref);
	if (!id)
		return fail(ld, at, "ref=\"%s\" is not supported (only jr:itext('id'))", ref);
	texts_from_id(ld, at, id, out);
	free(id);
	return ld->result;
}

/* A <label> or <hint>: jr:itext reference or inline text (used for every language). */
static enum gs_result load_label(struct loader *ld, xmlNodePtr n, char *out[XFORM_NLANG])
{
	static const struct attr_spec label_attrs[] = {{"", "ref"}, {NULL, NULL}};
	if (check_attrs(ld, n, label_attrs) != GS_OK)
		return ld->result;
	if (out[XFORM_ZH] || out[XFORM_EN]) {
		char nb[96];
		return fail(ld, n, "a second %s", el_name(n, nb, sizeof nb));
	}
	const char *ref = attr(n, "", "ref");
	char *inline_text = NULL;
	if (text_of(ld, n, &inline_text) != GS_OK)
		return ld->result;
	if (ref) {
		if (*inline_text) {
			free(inline_text);
			return fail(ld, n, "a label with both ref and text is not supported");
		}
		free(inline_text);
		return texts_from_ref(ld, n, ref, out);
	}
	if (!*inline_text) {
		free(inline_text);
		char nb[96];
		return fail(ld, n, "empty %s", el_name(n, nb, sizeof nb));
	}
	out[XFORM_ZH] = inline_text;
	return GS_OK;
}

static int has_text(char *const l[XFORM_NLANG])
{
	return (l[XFORM_ZH] && *l[XFORM_ZH]) || (l[XFORM_EN] && *l[XFORM_EN]);
}

/* The checks every choice passes however it was written: the value's length and
 * characters, and that it is new in its question. where is appended to messages. */
static enum gs_result check_choice(struct loader *ld, xmlNodePtr at, const struct xform_question *q, const char *where)
{
	const struct xform_choice *c = &q->choices[q->n_choices - 1];
	if (strlen(c->value) > MAX_VALUE)
		return fail(ld, at, "choice value longer than %d bytes%s", MAX_VALUE, where);
	for (const char *p = c->value; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			return fail(ld, at, "choice value '%s' contains whitespace%s", c->value, where);
	for (size_t i = 0; i + 1 < q->n_choices; i++)
		if (strcmp(q->choices[i].value, c->value) == 0)
			return fail(ld, at, "choice value '%s' appears twice%s", c->value, where);
	return GS_OK;
}

static enum gs_result load_item(struct loader *ld, xmlNodePtr item, struct xform_question *q)
{
	static const struct attr_spec none[] = {{NULL, NULL}};
	if (check_attrs(ld, item, none) != GS_OK)
		return ld->result;
	if (q->n_choices >= XFORM_MAX_CHOICES)
		return fail_big(ld, item, "more than %d choices", XFORM_MAX_CHOICES);
	struct xform_choice *c = &q->choices[q->n_choices++];
	for (xmlNodePtr n = item->children; n; n = n->next) {
		if (!element_or_skip(ld, n))
			continue;
		if (is_el(n, NS_XF, "label")) {
			if (load_label(ld, n, c->label) != GS_OK)
				return ld->result;
		} else if (is_el(n, NS_XF, "value")) {
			if (c->value)
				return fail(ld, n, "a second <value> in <item>");
			if (check_attrs(ld, n, none) != GS_OK || text_of(ld, n, &c->value) != GS_OK)
				return ld->result;
		} else {
			return unsupported(ld, n);
		}
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!c->value || !*c->value)
		return fail(ld, item, "<item> needs a non-empty <value>");
	if (!has_text(c->label))
		return fail(ld, item, "<item> needs a <label>");
	return check_choice(ld, item, q, "");
}

/* "instance('ID')/root/item" with any spacing between the tokens, quotes ' or ". */
enum nodeset_kind { NODESET_LIST, NODESET_RANDOMIZE, NODESET_FILTER, NODESET_OTHER };

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Moves *pp past spaces and word if word comes next; 0 (and *pp unchanged) otherwise. */
static int eat(const char **pp, const char *word)
{
	const char *p = skip_space(*pp);
	size_t n = strlen(word);
	if (strncmp(p, word, n))
		return 0;
	*pp = p + n;
	return 1;
}

/* Classifies an <itemset nodeset>; for NODESET_LIST *id is the instance id (caller frees). */
static enum nodeset_kind parse_nodeset(const char *s, char **id)
{
	const char *p = s;
	*id = NULL;
	if (eat(&p, "randomize") && eat(&p, "("))
		return NODESET_RANDOMIZE;
	if (strchr(s, '['))
		return NODESET_FILTER;
	p = s;
	if (!eat(&p, "instance") || !eat(&p, "("))
		return NODESET_OTHER;
	p = skip_space(p);
	char quote = *p;
	if (quote != '\'' && quote != '"')
		return NODESET_OTHER;
	const char *start = ++p, *end = strchr(start, quote);
	if (!end || end == start)
		return NODESET_OTHER;
	p = end + 1;
	if (!eat(&p, ")") || !eat(&p, "/") || !eat(&p, "root") || !eat(&p, "/") || !eat(&p, "item"))
		return NODESET_OTHER;
	if (*skip_space(p))
		return NODESET_OTHER;
	*id = xstrndup(start, (size_t)(end - start));
	return NODESET_LIST;
}

/* A ref naming a child of the list's items, e.g. "name"; spaces around it are
 * ignored. The name (caller frees), or NULL if ref is anything else (a path, an
 * expression). */
static char *itemset_child(const char *ref)
{
	const char *p = skip_space(ref);
	const char *start = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
		p++;
	char *name = xstrndup(start, (size_t)(p - start));
	if (*skip_space(p) || !valid_name(name)) {
		free(name);
		return NULL;
	}
	return name;
}

/* The <itemset>'s label ref: "label" (a child holding the text) or "jr:itext(itextId)"
 * (a child holding an itext id). Returns the child's name (caller frees) and sets
 * *by_itext, or NULL for anything else. */
static char *itemset_label_child(const char *ref, int *by_itext)
{
	const char *p = ref;
	*by_itext = 0;
	if (eat(&p, "jr:itext") && eat(&p, "(")) {
		*by_itext = 1;
		p = skip_space(p);
		const char *start = p;
		while (*p && *p != ')' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		char *name = xstrndup(start, (size_t)(p - start));
		if (!eat(&p, ")") || *skip_space(p) || !valid_name(name)) {
			free(name);
			return NULL;
		}
		return name;
	}
	return itemset_child(ref);
}

static struct choice_list *list_find(struct loader *ld, const char *id)
{
	for (size_t i = 0; i < ld->n_lists; i++)
		if (strcmp(ld->lists[i].id, id) == 0)
			return &ld->lists[i];
	return NULL;
}

/* Reads one <item> of a choice list into q's next choice: vref names the child holding
 * the value, lname the child holding the label text (or, by_itext, its itext id). */
static enum gs_result load_list_item(struct loader *ld, const struct choice_list *list, xmlNodePtr item,
                                     const char *vref, const char *lname, int by_itext, struct xform_question *q)
{
	xmlNodePtr vnode = NULL, lnode = NULL;
	if (q->n_choices >= XFORM_MAX_CHOICES)
		return fail_big(ld, item, "more than %d choices", XFORM_MAX_CHOICES);
	struct xform_choice *c = &q->choices[q->n_choices++];
	for (xmlNodePtr fld = item->children; fld; fld = fld->next) {
		if (fld->type != XML_ELEMENT_NODE)
			continue;
		int known = 0;
		if (strcmp((const char *)fld->name, vref) == 0)
			vnode = fld, known = 1;
		if (strcmp((const char *)fld->name, lname) == 0)
			lnode = fld, known = 1;
		if (!known)
			return fail(ld, fld,
			            "<%s> in an <item> of instance '%s' is not supported (only <%s> and <%s>; extra "
			            "choice columns serve choice filters)",
			            (const char *)fld->name, list->id, vref, lname);
	}
	if (!vnode)
		return fail(ld, item, "an <item> of instance '%s' has no <%s> (the choice value)", list->id, vref);
	if (!lnode)
		return fail(ld, item, "an <item> of instance '%s' has no <%s> (the choice %s)", list->id, lname,
		            by_itext ? "label's itext id" : "label");
	if (text_of(ld, vnode, &c->value) != GS_OK)
		return ld->result;
	if (!*c->value)
		return fail(ld, vnode, "an <item> of instance '%s' has an empty <%s> (the choice value)", list->id,
		            vref);
	char *text = NULL;
	if (text_of(ld, lnode, &text) != GS_OK)
		return ld->result;
	if (!*text) {
		free(text);
		return fail(ld, lnode, "an <item> of instance '%s' has an empty <%s>", list->id, lname);
	}
	if (by_itext) {
		if (texts_from_id(ld, lnode, text, c->label) == GS_OK && !has_text(c->label))
			fail(ld, lnode, "itext id '%s' has no text", text);
		free(text);
		if (ld->result != GS_OK)
			return ld->result;
	} else {
		c->label[XFORM_ZH] = text; /* inline text: the same in every language, as for <item> */
	}
	char where[96];
	snprintf(where, sizeof where, " (instance '%s')", list->id);
	return check_choice(ld, item, q, where);
}

/* <itemset nodeset="instance('ID')/root/item"> with <value ref="name"/> and
 * <label ref="label"/> or <label ref="jr:itext(itextId)"/>: appends the list's items to
 * q's choices, in list order, exactly as the equivalent <item>s would be. */
static enum gs_result load_itemset(struct loader *ld, xmlNodePtr set, struct xform_question *q)
{
	static const struct attr_spec set_attrs[] = {{"", "nodeset"}, {NULL, NULL}};
	static const struct attr_spec ref_attrs[] = {{"", "ref"}, {NULL, NULL}};
	char nb[96];
	if (check_attrs(ld, set, set_attrs) != GS_OK)
		return ld->result;
	const char *nodeset = attr(set, "", "nodeset");
	if (!nodeset)
		return fail(ld, set, "<itemset> needs a nodeset");
	char *id = NULL;
	switch (parse_nodeset(nodeset, &id)) {
	case NODESET_RANDOMIZE:
		return fail(ld, set, "randomize() in <itemset nodeset> (choices in random order) is not supported");
	case NODESET_FILTER:
		return fail(ld, set, "a choice filter ([...] in <itemset nodeset=\"%s\">) is not supported", nodeset);
	case NODESET_OTHER:
		return fail(ld, set, "<itemset nodeset=\"%s\"> is not supported (only instance('ID')/root/item)",
		            nodeset);
	case NODESET_LIST: break;
	}
	struct choice_list *list = list_find(ld, id);
	if (!list) {
		fail(ld, set, "<itemset> names instance '%s', which the <model> does not define", id);
		free(id);
		return ld->result;
	}
	free(id);
	list->used = 1;

	xmlNodePtr value = NULL, label = NULL;
	for (xmlNodePtr c = set->children; c && ld->result == GS_OK; c = c->next) {
		if (!element_or_skip(ld, c))
			continue;
		if ((is_el(c, NS_XF, "value") && value) || (is_el(c, NS_XF, "label") && label))
			return fail(ld, c, "a second %s in <itemset>", el_name(c, nb, sizeof nb));
		if (is_el(c, NS_XF, "value"))
			value = c;
		else if (is_el(c, NS_XF, "label"))
			label = c;
		else
			return unsupported(ld, c);
		if (check_attrs(ld, c, ref_attrs) != GS_OK)
			return ld->result;
		char *text = NULL;
		if (text_of(ld, c, &text) != GS_OK)
			return ld->result;
		int has = *text != '\0';
		free(text);
		if (has)
			return fail(ld, c, "text inside %s in <itemset> is not supported (only ref)",
			            el_name(c, nb, sizeof nb));
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!value)
		return fail(ld, set, "<itemset> needs a <value ref=\"…\"/> (e.g. ref=\"name\")");
	if (!label)
		return fail(ld, set, "<itemset> needs a <label ref=\"…\"/> (label or jr:itext(itextId))");
	const char *vref = attr(value, "", "ref"), *lref = attr(label, "", "ref");
	char *vname = vref ? itemset_child(vref) : NULL;
	if (!vname)
		return fail(ld, value,
		            "<value ref=\"%s\"> in <itemset> is not supported (only an item's child, e.g. name)",
		            vref ? vref : "");
	int by_itext = 0;
	char *lname = lref ? itemset_label_child(lref, &by_itext) : NULL;
	if (!lname) {
		free(vname);
		return fail(ld, label,
		            "<label ref=\"%s\"> in <itemset> is not supported (only an item's child, e.g. label, or "
		            "jr:itext(itextId))",
		            lref ? lref : "");
	}
	for (xmlNodePtr item = list->root->children; item && ld->result == GS_OK; item = item->next)
		if (item->type == XML_ELEMENT_NODE)
			load_list_item(ld, list, item, vname, lname, by_itext, q);
	free(vname);
	free(lname);
	return ld->result;
}

/* ". >= 0 and . <= 600" with any spacing; 1 and the bounds if s has that form. */
static int parse_range(const char *s, long *min, long *max)
{
	const char *p = s;
	long v[2];
	for (int k = 0; k < 2; k++) {
		while (*p == ' ')
			p++;
		if (*p++ != '.')
			return 0;
		while (*p == ' ')
			p++;
		if (k == 0 ? (p[0] != '>' || p[1] != '=') : (p[0] != '<' || p[1] != '='))
			return 0;
		p += 2;
		while (*p == ' ')
			p++;
		const char *start = p;
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p - start > 10)
			return 0;
		v[k] = strtol(start, NULL, 10);
		while (*p == ' ')
			p++;
		if (k == 0) {
			if (strncmp(p, "and", 3) || (p[3] != ' ' && p[3] != '.'))
				return 0;
			p += 3;
		}
	}
	if (*p || v[0] > v[1])
		return 0;
	*min = v[0];
	*max = v[1];
	return 1;
}

/* "5 4" → satisfied[5] = satisfied[4] = 1. */
static int parse_satisfied(const char *s, int satisfied[6])
{
	int any = 0;
	memset(satisfied, 0, 6 * sizeof satisfied[0]);
	for (const char *p = s; *p; p++) {
		if (*p == ' ')
			continue;
		if (*p < '1' || *p > '5' || (p[1] && p[1] != ' ') || satisfied[*p - '0'])
			return 0;
		satisfied[*p - '0'] = 1;
		any = 1;
	}
	return any;
}

static enum gs_result load_control(struct loader *ld, xmlNodePtr n, const char *base, int group)
{
	static const struct attr_spec control_attrs[] = {
	    {"", "ref"}, {"", "appearance"}, {NS_GS, "rating"}, {NS_GS, "satisfied"}, {NULL, NULL}};
	struct xform *f = ld->f;
	char nb[96];
	if (attr(n, "", "bind"))
		return fail(ld, n, "bind= on %s is not supported (use ref)", el_name(n, nb, sizeof nb));
	if (check_attrs(ld, n, control_attrs) != GS_OK)
		return ld->result;
	const char *ref = attr(n, "", "ref");
	if (!ref || !*ref)
		return fail(ld, n, "%s needs a ref", el_name(n, nb, sizeof nb));
	char *path = ref[0] == '/' ? xstrdup(ref) : xasprintf("%s/%s", base, ref);
	struct leaf *lf = leaf_find(ld, path);
	if (!lf || lf->is_group || lf->is_instanceid) {
		fail(ld, n, "ref=\"%s\" names no question of the <instance>", ref);
		free(path);
		return ld->result;
	}
	free(path);
	if (lf->used)
		return fail(ld, n, "a second control for %s", lf->path);
	lf->used = 1;
	if (f->n_questions >= XFORM_MAX_QUESTIONS)
		return fail_big(ld, n, "more than %d questions", XFORM_MAX_QUESTIONS);

	struct xform_question *q = &f->questions[f->n_questions++];
	q->name = xstrdup(lf->name);
	q->path = xstrdup(lf->path);
	q->group = group;
	const char *type = lf->bind ? attr(lf->bind, "", "type") : NULL;
	const char *bt = type ? bind_type(type) : "string";
	long line = lf->bind ? xmlGetLineNo(lf->bind) : xmlGetLineNo(n);
	if (is_el(n, NS_XF, "select1")) {
		q->type = XFORM_SELECT1;
		if (strcmp(bt, "string") && strcmp(bt, "select1"))
			return fail(ld, n, "<select1> bound to type \"%s\" (line %ld)", type, line);
	} else if (is_el(n, NS_XF, "select")) {
		q->type = XFORM_SELECT;
		if (strcmp(bt, "string") && strcmp(bt, "select"))
			return fail(ld, n, "<select> bound to type \"%s\" (line %ld)", type, line);
	} else {
		if (strcmp(bt, "string") == 0)
			q->type = XFORM_STRING;
		else if (strcmp(bt, "int") == 0 || strcmp(bt, "integer") == 0)
			q->type = XFORM_INT;
		else
			return fail(ld, n, "<input> bound to type \"%s\" (line %ld)", type, line);
	}
	if (q->type == XFORM_SELECT1 || q->type == XFORM_SELECT)
		q->choices = xcalloc(XFORM_MAX_CHOICES, sizeof *q->choices);

	int seen_label = 0, seen_itemset = 0;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (!element_or_skip(ld, c))
			continue;
		if (is_el(c, NS_XF, "label")) {
			seen_label = 1;
			if (load_label(ld, c, q->label) != GS_OK)
				return ld->result;
		} else if (is_el(c, NS_XF, "hint")) {
			if (load_label(ld, c, q->hint) != GS_OK)
				return ld->result;
		} else if (is_el(c, NS_XF, "item") && q->choices) {
			if (seen_itemset)
				return fail(ld, c, "<item> together with an <itemset> is not supported");
			if (load_item(ld, c, q) != GS_OK)
				return ld->result;
		} else if (is_el(c, NS_XF, "itemset") && q->choices) {
			if (seen_itemset)
				return fail(ld, c, "a second <itemset>");
			if (q->n_choices)
				return fail(ld, c, "<itemset> together with <item>s is not supported");
			seen_itemset = 1;
			if (load_itemset(ld, c, q) != GS_OK)
				return ld->result;
		} else {
			return unsupported(ld, c);
		}
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!seen_label || !has_text(q->label))
		return fail(ld, n, "%s needs a <label>", el_name(n, nb, sizeof nb));
	if (q->choices && q->n_choices == 0)
		return fail(ld, n, "%s has no <item>", el_name(n, nb, sizeof nb));

	/* the bind's properties */
	xmlNodePtr b = lf->bind;
	const char *required = b ? attr(b, "", "required") : NULL;
	q->required = required && is_true(required);
	const char *maxlength = b ? attr(b, NS_GS, "maxlength") : NULL;
	if (q->type == XFORM_STRING) {
		q->max_length = XFORM_DEFAULT_MAX_LENGTH;
		if (maxlength) {
			char *end;
			errno = 0;
			long v = strtol(maxlength, &end, 10);
			if (errno || *end || end == maxlength || v < 1 || v > XFORM_HARD_MAX_LENGTH)
				return fail(ld, b, "gs:maxlength=\"%s\" must be 1..%d", maxlength,
				            XFORM_HARD_MAX_LENGTH);
			q->max_length = (size_t)v;
		}
	} else if (maxlength) {
		return fail(ld, b, "gs:maxlength applies to text questions only");
	}
	const char *constraint = b ? attr(b, "", "constraint") : NULL;
	const char *msg = b ? attr(b, NS_JR, "constraintMsg") : NULL;
	if (constraint) {
		if (q->type != XFORM_INT)
			return fail(ld, b, "constraint on a %s question is not supported (use gs:maxlength for text)",
			            q->type == XFORM_STRING ? "text" : "choice");
		if (!parse_range(constraint, &q->min, &q->max))
			return fail(ld, b, "constraint \"%s\" is not supported (only \". >= MIN and . <= MAX\")",
			            constraint);
		q->has_range = 1;
	}
	if (msg) {
		if (!constraint)
			return fail(ld, b, "jr:constraintMsg without a constraint");
		if (strncmp(msg, "jr:itext(", 9) == 0) {
			if (texts_from_ref(ld, b, msg, q->constraint_msg) != GS_OK)
				return ld->result;
		} else if (*msg) {
			q->constraint_msg[XFORM_ZH] = xstrdup(msg);
		}
	}

	/* gs:rating and gs:satisfied, on the bind or on the control */
	const char *rating = attr(n, NS_GS, "rating");
	xmlNodePtr rat = n;
	if (b && attr(b, NS_GS, "rating")) {
		if (rating)
			return fail(ld, n, "gs:rating on both the <bind> and the control");
		rating = attr(b, NS_GS, "rating");
		rat = b;
	}
	const char *satisfied = attr(n, NS_GS, "satisfied");
	xmlNodePtr sat = n;
	if (b && attr(b, NS_GS, "satisfied")) {
		if (satisfied)
			return fail(ld, n, "gs:satisfied on both the <bind> and the control");
		satisfied = attr(b, NS_GS, "satisfied");
		sat = b;
	}
	if (rating && !is_true(rating) && !is_false(rating))
		return fail(ld, rat, "gs:rating=\"%s\" must be true or false", rating);
	q->is_rating = rating && is_true(rating);
	if (satisfied && !q->is_rating)
		return fail(ld, sat, "gs:satisfied is allowed only on the rating question");
	if (q->is_rating) {
		for (size_t i = 0; i + 1 < f->n_questions; i++)
			if (f->questions[i].is_rating)
				return fail(ld, rat, "a second rating question (%s; the first is %s)", q->name,
				            f->questions[i].name);
		f->rating = f->n_questions - 1;
		if (q->type != XFORM_SELECT1)
			return fail(ld, rat, "the rating question %s must be a select1", q->name);
		if (!q->required)
			return fail(ld, rat, "the rating question %s must be required=\"true()\"", q->name);
		int seen[6] = {0};
		for (size_t i = 0; i < q->n_choices; i++) {
			const char *v = q->choices[i].value;
			if (v[0] < '1' || v[0] > '5' || v[1])
				return fail(ld, rat, "the rating question's choice values must be 1..5, not '%s'", v);
			seen[v[0] - '0'] = 1;
		}
		for (int v = 1; v <= 5; v++)
			if (!seen[v])
				return fail(ld, rat, "the rating question has no choice with value %d", v);
		if (satisfied && !parse_satisfied(satisfied, f->satisfied))
			return fail(ld, sat, "gs:satisfied=\"%s\" must list distinct values 1..5", satisfied);
	}
	return GS_OK;
}

static enum gs_result load_body(struct loader *ld, xmlNodePtr parent, const char *base, int depth, int group)
{
	static const struct attr_spec group_attrs[] = {{"", "ref"}, {"", "appearance"}, {NULL, NULL}};
	static const struct attr_spec none[] = {{NULL, NULL}};
	if (depth == 0 && check_attrs(ld, parent, none) != GS_OK)
		return ld->result;
	int seen_other = 0;
	for (xmlNodePtr n = parent->children; n && ld->result == GS_OK; n = n->next) {
		if (!element_or_skip(ld, n))
			continue;
		if (is_el(n, NS_XF, "label") && depth > 0) {
			if (seen_other)
				return fail(ld, n, "a group's <label> must come first");
			if (load_label(ld, n, ld->f->groups[group].label) != GS_OK)
				return ld->result;
			continue;
		}
		seen_other = 1;
		if (is_el(n, NS_XF, "select1") || is_el(n, NS_XF, "select") || is_el(n, NS_XF, "input")) {
			load_control(ld, n, base, group);
		} else if (is_el(n, NS_XF, "group")) {
			if (depth >= 2)
				return fail(ld, n, "groups nested more than two levels deep are not supported");
			if (check_attrs(ld, n, group_attrs) != GS_OK)
				return ld->result;
			for (xmlNodePtr c = n->children; c; c = c->next)
				if (is_el(c, NS_XF, "repeat"))
					return fail(ld, c, "<repeat> is not supported");
			if (ld->f->n_groups >= XFORM_MAX_GROUPS)
				return fail_big(ld, n, "more than %d groups", XFORM_MAX_GROUPS);
			int g = (int)ld->f->n_groups++;
			const char *ref = attr(n, "", "ref");
			char *gbase;
			if (ref && *ref) {
				gbase = ref[0] == '/' ? xstrdup(ref) : xasprintf("%s/%s", base, ref);
				struct leaf *lf = leaf_find(ld, gbase);
				if (!lf || !lf->is_group) {
					free(gbase);
					return fail(ld, n, "<group ref=\"%s\"> names no group of the <instance>", ref);
				}
			} else {
				gbase = xstrdup(base);
			}
			load_body(ld, n, gbase, depth + 1, g);
			free(gbase);
		} else {
			return unsupported(ld, n);
		}
	}
	return ld->result;
}

/* ---- the whole document ---- */

static enum gs_result load_head(struct loader *ld, xmlNodePtr head, xmlNodePtr *model_out)
{
	static const struct attr_spec none[] = {{NULL, NULL}};
	xmlNodePtr model = NULL, title = NULL;
	if (check_attrs(ld, head, none) != GS_OK)
		return ld->result;
	for (xmlNodePtr n = head->children; n; n = n->next) {
		if (!element_or_skip(ld, n))
			continue;
		if (is_el(n, NS_H, "title") && !title)
			title = n;
		else if (is_el(n, NS_XF, "model") && !model)
			model = n;
		else
			return unsupported(ld, n);
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!title)
		return fail(ld, head, "<h:head> needs an <h:title>");
	if (!model)
		return fail(ld, head, "<h:head> needs a <model>");
	if (check_attrs(ld, title, none) != GS_OK || text_of(ld, title, &ld->f->title[XFORM_ZH]) != GS_OK)
		return ld->result;
	if (!*ld->f->title[XFORM_ZH])
		return fail(ld, title, "empty <h:title>");
	*model_out = model;
	return GS_OK;
}

static enum gs_result load_model(struct loader *ld, xmlNodePtr model)
{
	static const struct attr_spec model_attrs[] = {{NS_ODK, "xforms-version"}, {NULL, NULL}};
	xmlNodePtr itext = NULL, instance = NULL;
	if (check_attrs(ld, model, model_attrs) != GS_OK)
		return ld->result;
	for (xmlNodePtr n = model->children; n; n = n->next) {
		if (!element_or_skip(ld, n))
			continue;
		if (is_el(n, NS_XF, "itext") && !itext) {
			itext = n;
		} else if (is_el(n, NS_XF, "instance") && attr(n, "", "id")) {
			/* XForms: the first <instance> is the primary one, the record being filled */
			if (!instance)
				return fail(ld, n,
				            "secondary <instance id=\"%s\"> before the primary <instance> is not "
				            "supported (the first <instance> holds the answers)",
				            attr(n, "", "id"));
			if (load_choice_list(ld, n) != GS_OK)
				return ld->result;
		} else if (is_el(n, NS_XF, "instance")) {
			if (instance)
				return fail(ld, n, "a second <instance>");
			instance = n;
		} else if (!is_el(n, NS_XF, "bind")) {
			return unsupported(ld, n);
		}
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!instance)
		return fail(ld, model, "<model> needs an <instance>");
	if (itext && load_itext(ld, itext) != GS_OK)
		return ld->result;
	if (load_instance(ld, instance) != GS_OK)
		return ld->result;
	for (xmlNodePtr n = model->children; n; n = n->next)
		if (is_el(n, NS_XF, "bind") && load_bind(ld, n) != GS_OK)
			return ld->result;
	return GS_OK;
}

static enum gs_result load_doc(struct loader *ld, xmlDocPtr doc)
{
	static const struct attr_spec none[] = {{NULL, NULL}};
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr head = NULL, body = NULL, model = NULL;
	if (doc->intSubset || doc->extSubset)
		return fail(ld, NULL, "a DOCTYPE is not allowed");
	if (doc->encoding && strcmp((const char *)doc->encoding, "UTF-8") &&
	    strcmp((const char *)doc->encoding, "utf-8"))
		return fail(ld, NULL, "encoding \"%s\" is not supported (use UTF-8)", (const char *)doc->encoding);
	if (!root || !is_el(root, NS_H, "html"))
		return fail(ld, root, "the root element must be <h:html> in the XHTML namespace");
	if (check_attrs(ld, root, none) != GS_OK)
		return ld->result;
	for (xmlNodePtr n = root->children; n; n = n->next) {
		if (!element_or_skip(ld, n))
			continue;
		if (is_el(n, NS_H, "head") && !head && !body)
			head = n;
		else if (is_el(n, NS_H, "body") && head && !body)
			body = n;
		else
			return unsupported(ld, n);
	}
	if (ld->result != GS_OK)
		return ld->result;
	if (!head || !body)
		return fail(ld, root, "<h:html> needs an <h:head> and an <h:body>");
	if (load_head(ld, head, &model) != GS_OK || load_model(ld, model) != GS_OK)
		return ld->result;
	ld->f->questions = xcalloc(XFORM_MAX_QUESTIONS, sizeof *ld->f->questions);
	ld->f->groups = xcalloc(XFORM_MAX_GROUPS, sizeof *ld->f->groups);
	if (load_body(ld, body, ld->root_path, 0, -1) != GS_OK)
		return ld->result;
	for (size_t i = 0; i < ld->n_leaves; i++) {
		struct leaf *lf = &ld->leaves[i];
		if (!lf->is_group && !lf->is_instanceid && !lf->used)
			return fail(ld, lf->node,
			            "%s has no control in <h:body> (hidden or calculated fields are not supported)",
			            lf->path);
	}
	for (size_t i = 0; i < ld->n_lists; i++)
		if (!ld->lists[i].used)
			return fail(
			    ld, ld->lists[i].node,
			    "secondary <instance id=\"%s\"> is used by no <itemset> (unused data is not supported)",
			    ld->lists[i].id);
	if (ld->f->n_questions == 0)
		return fail(ld, body, "the form has no questions");
	int rating = 0;
	for (size_t i = 0; i < ld->f->n_questions; i++)
		rating += ld->f->questions[i].is_rating;
	if (rating != 1)
		return fail(ld, body, "no rating question: mark one select1 with gs:rating=\"true\"");
	return GS_OK;
}

/* Line of the first "<!DOCTYPE" or "<!ENTITY" in data, or 0. Checked before parsing
 * so that no DTD is ever read, even one the parser would only keep around. */
static long doctype_line(const char *data, size_t len)
{
	long line = 1;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			line++;
		else if (data[i] == '<' && i + 2 < len && data[i + 1] == '!' &&
		         ((len - i >= 9 && memcmp(data + i, "<!DOCTYPE", 9) == 0) ||
		          (len - i >= 8 && memcmp(data + i, "<!ENTITY", 8) == 0)))
			return line;
	}
	return 0;
}

enum gs_result xform_load_memory(const char *name, const char *data, size_t len, struct xform **out,
                                 struct xform_error *err)
{
	struct loader ld;
	memset(&ld, 0, sizeof ld);
	ld.err = err;
	*out = NULL;
	if (err) {
		memset(err, 0, sizeof *err);
		snprintf(err->file, sizeof err->file, "%s", name ? name : "form");
	}
	if (len > XFORM_MAX_BYTES) {
		fail_big(&ld, NULL, "the form is larger than %d bytes", XFORM_MAX_BYTES);
		return ld.result;
	}
	if (memchr(data, '\0', len)) {
		fail(&ld, NULL, "the form must be UTF-8 (it holds a NUL byte)");
		return ld.result;
	}
	long dl = doctype_line(data, len);
	if (dl) {
		ld.result = GS_ERR_INVALID;
		if (err) {
			err->line = dl;
			snprintf(err->message, sizeof err->message, "a DOCTYPE or entity declaration is not allowed");
		}
		return ld.result;
	}
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		fprintf(stderr, "gridscore: out of memory creating an XML parser\n");
		abort();
	}
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL,
	                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                                      XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
	if (!doc) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
		ld.result = GS_ERR_INVALID;
		if (err) {
			err->line = e ? e->line : 0;
			snprintf(err->message, sizeof err->message, "malformed XML: %s",
			         e && e->message ? e->message : "unknown error");
			size_t ml = strlen(err->message);
			while (ml && (err->message[ml - 1] == '\n' || err->message[ml - 1] == ' '))
				err->message[--ml] = '\0';
		}
		xmlFreeParserCtxt(ctxt);
		return ld.result;
	}
	ld.f = xcalloc(1, sizeof *ld.f);
	ld.f->satisfied[4] = ld.f->satisfied[5] = 1;
	load_doc(&ld, doc);

	for (size_t i = 0; i < ld.n_texts; i++) {
		free(ld.texts[i].id);
		free_labels(ld.texts[i].value);
	}
	free(ld.texts);
	for (size_t i = 0; i < ld.n_leaves; i++)
		free(ld.leaves[i].path);
	free(ld.root_path);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (ld.result != GS_OK) {
		xform_free(ld.f);
		return ld.result;
	}
	*out = ld.f;
	return GS_OK;
}

enum gs_result xform_load_file(const char *path, struct xform **out, struct xform_error *err)
{
	char *data = NULL;
	size_t len = 0;
	*out = NULL;
	enum gs_result r = util_read_file(path, XFORM_MAX_BYTES, &data, &len);
	if (r != GS_OK) {
		if (err) {
			memset(err, 0, sizeof *err);
			snprintf(err->file, sizeof err->file, "%s", path);
			snprintf(err->message, sizeof err->message, "%s",
			         r == GS_ERR_TOO_LARGE ? "the form is larger than 1 MiB" : "cannot read the file");
		}
		return r;
	}
	r = xform_load_memory(path, data, len, out, err);
	free(data);
	return r;
}

void xform_error_format(const struct xform_error *err, char *out, size_t size)
{
	if (err->line > 0)
		snprintf(out, size, "%s:%ld: %s", err->file, err->line, err->message);
	else
		snprintf(out, size, "%s: %s", err->file, err->message);
}

void xform_free(struct xform *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_questions; i++) {
		struct xform_question *q = &f->questions[i];
		free(q->name);
		free(q->path);
		free_labels(q->label);
		free_labels(q->hint);
		free_labels(q->constraint_msg);
		for (size_t j = 0; j < q->n_choices; j++) {
			free(q->choices[j].value);
			free_labels(q->choices[j].label);
		}
		free(q->choices);
	}
	free(f->questions);
	for (size_t i = 0; i < f->n_groups; i++)
		free_labels(f->groups[i].label);
	free(f->groups);
	free_labels(f->title);
	free(f->id);
	free(f->version);
	free(f);
}

const char *xform_text(char *const label[XFORM_NLANG], enum xform_lang lang)
{
	if (label[lang] && *label[lang])
		return label[lang];
	for (int l = 0; l < XFORM_NLANG; l++)
		if (label[l] && *label[l])
			return label[l];
	return "";
}

long xform_find(const struct xform *f, const char *name)
{
	for (size_t i = 0; i < f->n_questions; i++)
		if (strcmp(f->questions[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* ---- answers ---- */

enum msg { M_REQUIRED, M_CHOICE, M_TWICE, M_ONE, M_INT, M_RANGE, M_LONG, M_CHARS, M_COUNT };

static const char *const messages[M_COUNT][XFORM_NLANG] = {
    [M_REQUIRED] = {"请回答此题。", "Please answer this question."},
    [M_CHOICE] = {"所选答案无效。", "This choice is not valid."},
    [M_TWICE] = {"同一选项出现了两次。", "A choice was given twice."},
    [M_ONE] = {"此题只能有一个答案。", "This question takes one answer only."},
    [M_INT] = {"请填写整数。", "Please enter a whole number."},
    [M_CHARS] = {"内容含有无效字符。", "The text contains characters that are not allowed."},
};

/* Length in code points of valid UTF-8 without disallowed control characters, or -1. */
static long utf8_check(const unsigned char *s, size_t n)
{
	long count = 0;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned long cp;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				return -1;
			i++;
			count++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return -1;
		if (n - i < len)
			return -1;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return -1;
		i += len;
		count++;
	}
	return count;
}

/* Copy of s with CRLF and CR turned into LF and surrounding whitespace (ASCII and
 * U+3000 ideographic space) trimmed. Caller frees. */
static char *normalise(const char *s)
{
	size_t n = strlen(s), j = 0;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			out[j++] = '\n';
			if (s[i + 1] == '\n')
				i++;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	size_t start = 0, end = j;
	for (;;) {
		if (start < end && (out[start] == ' ' || out[start] == '\t' || out[start] == '\n'))
			start++;
		else if (end - start >= 3 && memcmp(out + start, "\xe3\x80\x80", 3) == 0)
			start += 3;
		else
			break;
	}
	for (;;) {
		if (end > start && (out[end - 1] == ' ' || out[end - 1] == '\t' || out[end - 1] == '\n'))
			end--;
		else if (end - start >= 3 && memcmp(out + end - 3, "\xe3\x80\x80", 3) == 0)
			end -= 3;
		else
			break;
	}
	memmove(out, out + start, end - start);
	out[end - start] = '\0';
	return out;
}

static long choice_index(const struct xform_question *q, const char *v)
{
	for (size_t i = 0; i < q->n_choices; i++)
		if (strcmp(q->choices[i].value, v) == 0)
			return (long)i;
	return -1;
}

/* Parses a whole decimal integer (optional '-'); 0 if s is not one. */
static int parse_long(const char *s, long *out)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!*p || strlen(p) > 15)
		return 0;
	for (const char *d = p; *d; d++)
		if (*d < '0' || *d > '9')
			return 0;
	*out = strtol(s, NULL, 10);
	return 1;
}

/* Validates one question's values (already normalised, empty ones dropped). For a
 * select, picked[c] is set for each ticked choice c; for an int, *num is the number.
 * Returns a message index or -1 (also for an unanswered optional question: n == 0). */
static int answer_one(const struct xform_question *q, char **vals, size_t n, unsigned char *picked, long *num)
{
	if (n == 0)
		return q->required ? M_REQUIRED : -1;
	if (q->type != XFORM_SELECT && n > 1)
		return M_ONE;
	switch (q->type) {
	case XFORM_SELECT1:
		return choice_index(q, vals[0]) < 0 ? M_CHOICE : -1;
	case XFORM_SELECT:
		for (size_t i = 0; i < n; i++) {
			long c = choice_index(q, vals[i]);
			if (c < 0)
				return M_CHOICE;
			if (picked[c])
				return M_TWICE;
			picked[c] = 1;
		}
		return -1;
	case XFORM_INT:
		if (!parse_long(vals[0], num))
			return M_INT;
		if (q->has_range && (*num < q->min || *num > q->max))
			return M_RANGE;
		return -1;
	case XFORM_STRING: {
		long chars = utf8_check((const unsigned char *)vals[0], strlen(vals[0]));
		if (chars < 0)
			return M_CHARS;
		if ((size_t)chars > q->max_length)
			return M_LONG;
		return -1;
	}
	}
	return M_CHOICE;
}

/* s as a JSON string (quotes, backslashes and control characters escaped; UTF-8 as
 * is: answers were checked to be valid UTF-8). */
static void json_put_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(b, '"');
	const char *run = s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		buf_append(b, run, (size_t)((const char *)p - run));
		char esc[7] = {'\\', (char)*p, 0};
		if (*p == '\n')
			esc[1] = 'n';
		else if (*p == '\t')
			esc[1] = 't';
		else if (*p < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
		}
		buf_puts(b, esc);
		run = (const char *)p + 1;
	}
	buf_puts(b, run);
	buf_putc(b, '"');
}

static void set_field_error(const struct xform_question *q, size_t qi, int m, enum xform_lang lang,
                            struct xform_field_error *e)
{
	e->question = qi;
	if (m == M_RANGE && has_text(q->constraint_msg))
		snprintf(e->message, sizeof e->message, "%s", xform_text(q->constraint_msg, lang));
	else if (m == M_RANGE && lang == XFORM_EN)
		snprintf(e->message, sizeof e->message, "Please enter a number from %ld to %ld.", q->min, q->max);
	else if (m == M_RANGE)
		snprintf(e->message, sizeof e->message, "请填写 %ld 到 %ld 之间的数。", q->min, q->max);
	else if (m == M_LONG && lang == XFORM_EN)
		snprintf(e->message, sizeof e->message, "Too long (at most %zu characters).", q->max_length);
	else if (m == M_LONG)
		snprintf(e->message, sizeof e->message, "内容过长（最多 %zu 字）。", q->max_length);
	else
		snprintf(e->message, sizeof e->message, "%s", messages[m][lang]);
}

enum gs_result xform_answers_parse(const struct xform *f, xform_get_fn get, void *ctx, enum xform_lang lang,
                                   struct xform_answers *out, struct xform_field_error *errs, size_t max_errs,
                                   size_t *n_errs)
{
	size_t nerr = 0, n_choices = 0, max_choices = 0;
	/* The JSON text is written directly (jansson objects and json_dumps were 5 % of the
	 * submit path); the choice answers point into the form. */
	struct buf json;
	buf_init(&json, MAX_JSON);
	buf_putc(&json, '{');
	memset(out, 0, sizeof *out);
	for (size_t qi = 0; qi < f->n_questions; qi++)
		if (!f->questions[qi].is_rating && f->questions[qi].type == XFORM_SELECT)
			max_choices += f->questions[qi].n_choices;
		else if (!f->questions[qi].is_rating && f->questions[qi].type == XFORM_SELECT1)
			max_choices++;
	struct xform_pick *choices = max_choices ? xmalloc(max_choices * sizeof *choices) : NULL;
	if (lang != XFORM_ZH && lang != XFORM_EN)
		lang = XFORM_ZH;
	for (size_t qi = 0; qi < f->n_questions; qi++) {
		const struct xform_question *q = &f->questions[qi];
		size_t limit = q->type == XFORM_SELECT ? q->n_choices + 1 : 2;
		char *vals[XFORM_MAX_CHOICES + 1];
		size_t n = 0;
		int m = -1;
		for (size_t i = 0; n < limit; i++) {
			const char *v = get(ctx, q->name, i);
			if (!v)
				break;
			if (i > 4 * XFORM_MAX_CHOICES) { /* many empty values: a forged post */
				m = M_ONE;
				break;
			}
			char *nv = normalise(v);
			if (!*nv) {
				free(nv);
				continue;
			}
			vals[n++] = nv;
		}
		unsigned char picked[XFORM_MAX_CHOICES] = {0};
		long num = 0;
		if (m < 0 && q->type == XFORM_SELECT && n > q->n_choices)
			m = M_TWICE;
		if (m < 0)
			m = answer_one(q, vals, n, picked, &num);
		if (m >= 0 || n == 0 || nerr) {
			if (m >= 0 && nerr < max_errs)
				set_field_error(q, qi, m, lang, &errs[nerr]);
			nerr += m >= 0;
			for (size_t i = 0; i < n; i++)
				free(vals[i]);
			continue;
		}
		if (json.len > 1)
			buf_putc(&json, ',');
		json_put_string(&json, q->name);
		buf_putc(&json, ':');
		switch (q->type) {
		case XFORM_SELECT1: {
			const char *value = q->choices[choice_index(q, vals[0])].value;
			json_put_string(&json, value);
			if (q->is_rating)
				out->rating = (int)strtol(value, NULL, 10);
			else
				choices[n_choices++] = (struct xform_pick){q->name, value};
			break;
		}
		case XFORM_SELECT: {
			buf_putc(&json, '[');
			int first = 1;
			for (size_t c = 0; c < q->n_choices; c++) {
				if (!picked[c])
					continue;
				if (!first)
					buf_putc(&json, ',');
				first = 0;
				json_put_string(&json, q->choices[c].value);
				if (!q->is_rating)
					choices[n_choices++] = (struct xform_pick){q->name, q->choices[c].value};
			}
			buf_putc(&json, ']');
			break;
		}
		case XFORM_INT:
			buf_printf(&json, "%ld", num);
			break;
		case XFORM_STRING:
			json_put_string(&json, vals[0]);
			if (!out->comment) {
				out->comment = vals[0];
				vals[0] = NULL;
			}
			break;
		}
		for (size_t i = 0; i < n; i++)
			free(vals[i]);
	}
	if (n_errs)
		*n_errs = nerr < max_errs ? nerr : max_errs;
	buf_putc(&json, '}');
	if (nerr || json.failed) {
		buf_free(&json);
		free(choices);
		xform_answers_clear(out);
		return nerr ? GS_ERR_INVALID : GS_ERR_TOO_LARGE;
	}
	out->json = buf_steal(&json, NULL);
	out->choices = choices;
	out->n_choices = n_choices;
	return GS_OK;
}

void xform_answers_clear(struct xform_answers *a)
{
	if (!a)
		return;
	free(a->json);
	free(a->comment);
	free(a->choices);
	memset(a, 0, sizeof *a);
}

struct json_ctx {
	json_t *obj;
	char scratch[32];
};

static const char *json_get(void *vctx, const char *name, size_t index)
{
	struct json_ctx *c = vctx;
	json_t *v = json_object_get(c->obj, name);
	if (json_is_array(v))
		v = json_array_get(v, index);
	else if (index > 0)
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(c->scratch, sizeof c->scratch, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return c->scratch;
	}
	return NULL;
}

enum gs_result xform_answers_from_json(const struct xform *f, const char *json, struct xform_answers *out)
{
	struct json_ctx c;
	json_error_t jerr;
	const char *key;
	json_t *v;
	enum gs_result r = GS_ERR_INVALID;
	memset(out, 0, sizeof *out);
	if (!json || strlen(json) > MAX_JSON)
		return GS_ERR_INVALID;
	c.obj = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c.obj))
		goto out;
	json_object_foreach(c.obj, key, v)
	{
		long qi = xform_find(f, key);
		if (qi < 0)
			goto out;
		const struct xform_question *q = &f->questions[qi];
		switch (q->type) {
		case XFORM_SELECT1:
		case XFORM_STRING:
			if (!json_is_string(v) || !*json_string_value(v))
				goto out;
			break;
		case XFORM_INT:
			if (!json_is_integer(v))
				goto out;
			break;
		case XFORM_SELECT: {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) == 0)
				goto out;
			json_array_foreach(v, i, e) if (!json_is_string(e) || !*json_string_value(e)) goto out;
			break;
		}
		}
	}
	r = xform_answers_parse(f, json_get, &c, XFORM_EN, out, NULL, 0, NULL);
out:
	json_decref(c.obj);
	return r;
}
