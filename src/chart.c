/* chart.c — inline SVG charts (see chart.h). Everything here is arithmetic and text:
 * coordinates are written with one decimal, every number passes through finite() first
 * so no NaN or infinity ever reaches the markup, and every label through chart_esc. */
#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

#define INK "#1b2430"
#define MUTED "#5b6675"
#define LINE "#d5dbe3"
#define ACCENT "#0b5cad"

/* The charts sit in HTML pages: their escaping is the views' (view_esc), one escaper for
 * both. chart_esc stays as the name chart.h gives it. */
void chart_esc(struct buf *b, const char *s)
{
	view_esc(b, s);
}

static double finite_or(double x, double fallback)
{
	return isfinite(x) ? x : fallback;
}

static double clamp(double x, double lo, double hi)
{
	x = finite_or(x, lo);
	return x < lo ? lo : x > hi ? hi : x;
}

/* The id made safe for XML ids and url(#...) references. */
static void put_id(struct buf *b, const char *id)
{
	if (!id || !*id)
		id = "chart";
	for (const char *p = id; *p; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
		buf_putc(b, ok ? c : '-');
	}
}

static void put_num(struct buf *b, double x)
{
	buf_printf(b, "%.1f", finite_or(x, 0.0));
}

static void put_pct(struct buf *b, double x)
{
	buf_printf(b, "%.1f%%", finite_or(x, 0.0) * 100.0);
}

static void put_value(struct buf *b, double x, int percent)
{
	if (percent) {
		put_pct(b, x);
		return;
	}
	x = finite_or(x, 0.0);
	if (fabs(x - round(x)) < 1e-9 && fabs(x) < 1e15)
		buf_printf(b, "%.0f", x);
	else
		buf_printf(b, "%.2f", x);
}

/* <figure><svg ...><title/><desc>desc — then the caller's read-out, closed by svg_open_end.
 * A chart with links inside (interactive) is a labelled group, not an image: an image
 * role hides its descendants, so links in it would be unreachable (axe: nested-interactive). */
static void svg_begin(struct buf *b, const struct chart_meta *m, double w, double h, int interactive)
{
	buf_puts(b, "<figure class=\"chart\" id=\"fig-");
	put_id(b, m->id);
	buf_puts(b, "\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart-svg\" viewBox=\"0 0 ");
	put_num(b, w);
	buf_putc(b, ' ');
	put_num(b, h);
	buf_puts(b, interactive ? "\" width=\"100%\" role=\"group\" aria-labelledby=\""
				: "\" width=\"100%\" role=\"img\" aria-labelledby=\"");
	put_id(b, m->id);
	buf_puts(b, "-t ");
	put_id(b, m->id);
	buf_puts(b, "-d\" font-family=\"sans-serif\" font-size=\"11\"><title id=\"");
	put_id(b, m->id);
	buf_puts(b, "-t\">");
	chart_esc(b, m->title ? m->title : "");
	buf_puts(b, "</title><desc id=\"");
	put_id(b, m->id);
	buf_puts(b, "-d\">");
	if (m->desc) {
		chart_esc(b, m->desc);
		buf_puts(b, " ");
	}
}

/* Ends <desc>, adds the hatch pattern every chart may use. */
static void svg_desc_end(struct buf *b, const struct chart_meta *m)
{
	buf_puts(b, "</desc><defs><pattern id=\"");
	put_id(b, m->id);
	buf_puts(b, "-hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" patternTransform=\"rotate(45)\">"
		    "<rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"" MUTED
		    "\" stroke-width=\"2\"/></pattern></defs>\n");
}

static void hatch_ref(struct buf *b, const struct chart_meta *m)
{
	buf_puts(b, "url(#");
	put_id(b, m->id);
	buf_puts(b, "-hatch)");
}

static void svg_end(struct buf *b, const struct chart_meta *m)
{
	buf_puts(b, "</svg>\n<figcaption>");
	chart_esc(b, m->title ? m->title : "");
	if (m->csv_href) {
		buf_puts(b, " <a href=\"");
		chart_esc(b, m->csv_href);
		buf_puts(b, "\">");
		chart_esc(b, m->csv_label ? m->csv_label : "CSV");
		buf_puts(b, "</a>");
	}
	buf_puts(b, "</figcaption>\n</figure>\n");
}

static void empty_text(struct buf *b, const struct chart_meta *m, double w, double h)
{
	buf_puts(b, "<text x=\"");
	put_num(b, w / 2);
	buf_puts(b, "\" y=\"");
	put_num(b, h / 2);
	buf_puts(b, "\" text-anchor=\"middle\" fill=\"" MUTED "\">");
	chart_esc(b, m->empty ? m->empty : "No data");
	buf_puts(b, "</text>\n");
}

static void text_at(struct buf *b, double x, double y, const char *anchor, const char *fill, const char *s)
{
	buf_puts(b, "<text x=\"");
	put_num(b, x);
	buf_puts(b, "\" y=\"");
	put_num(b, y);
	buf_printf(b, "\" text-anchor=\"%s\" fill=\"%s\">", anchor, fill);
	chart_esc(b, s);
	buf_puts(b, "</text>");
}

/* ---- Trend --------------------------------------------------------------------------- */

static int point_ok(const struct chart_point *p)
{
	return !p->missing && isfinite(p->value);
}

static int band_ok(const struct chart_point *p)
{
	return point_ok(p) && p->has_band && isfinite(p->lo) && isfinite(p->hi);
}

void chart_trend(struct buf *b, const struct chart_trend *c)
{
	const double W = 640, H = 240, L = 52, R = 20, T = 18, B = 40;
	const double pw = W - L - R, ph = H - T - B;
	const struct chart_meta *m = &c->meta;
	size_t valid = 0;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < c->n; i++) {
		const struct chart_point *p = &c->points[i];
		if (!point_ok(p))
			continue;
		valid++;
		double a = band_ok(p) ? fmin(p->lo, p->value) : p->value;
		double z = band_ok(p) ? fmax(p->hi, p->value) : p->value;
		lo = fmin(lo, a);
		hi = fmax(hi, z);
	}
	if (c->has_target && isfinite(c->target)) {
		lo = fmin(lo, c->target);
		hi = fmax(hi, c->target);
	}
	double ymin = c->ymin, ymax = c->ymax;
	if (!(isfinite(ymin) && isfinite(ymax) && ymax > ymin)) {
		if (!isfinite(lo) || !isfinite(hi)) {
			lo = 0;
			hi = 1;
		}
		if (c->percent) {
			ymin = floor(lo * 10.0) / 10.0;
			ymax = ceil(hi * 10.0) / 10.0;
			ymin = clamp(ymin, 0, 1);
			ymax = clamp(ymax, 0, 1);
			if (ymax - ymin < 0.1) {
				if (ymax < 1)
					ymax = fmin(1, ymin + 0.1);
				else
					ymin = 0.9;
			}
		} else {
			ymin = fmin(0, lo);
			ymax = hi > ymin ? hi * 1.1 : ymin + 1;
		}
	}
	svg_begin(b, m, W, H, 0);
	/* The read-out: every point, in order. */
	for (size_t i = 0; i < c->n; i++) {
		const struct chart_point *p = &c->points[i];
		chart_esc(b, p->label ? p->label : "");
		buf_puts(b, ": ");
		if (!point_ok(p)) {
			chart_esc(b, p->note ? p->note : "—");
		} else {
			put_value(b, p->value, c->percent);
			if (band_ok(p)) {
				buf_puts(b, " (");
				put_value(b, p->lo, c->percent);
				buf_puts(b, "–");
				put_value(b, p->hi, c->percent);
				buf_puts(b, ")");
			}
		}
		buf_puts(b, i + 1 < c->n ? "; " : ".");
	}
	if (c->has_target && isfinite(c->target)) {
		buf_puts(b, " ");
		chart_esc(b, c->target_label ? c->target_label : "Target");
		buf_puts(b, ": ");
		put_value(b, c->target, c->percent);
		buf_puts(b, ".");
	}
	svg_desc_end(b, m);
	if (valid == 0) {
		empty_text(b, m, W, H);
		svg_end(b, m);
		return;
	}
#define XOF(i) (c->n > 1 ? L + pw * (double)(i) / (double)(c->n - 1) : L + pw / 2)
#define YOF(v) (T + ph * (ymax - clamp((v), ymin, ymax)) / (ymax - ymin))
	/* grid and y labels */
	buf_puts(b, "<g class=\"axis\" stroke=\"" LINE "\">");
	for (int k = 0; k <= 4; k++) {
		double y = T + ph * k / 4.0;
		buf_puts(b, "<line x1=\"");
		put_num(b, L);
		buf_puts(b, "\" x2=\"");
		put_num(b, W - R);
		buf_puts(b, "\" y1=\"");
		put_num(b, y);
		buf_puts(b, "\" y2=\"");
		put_num(b, y);
		buf_puts(b, "\"/>");
	}
	buf_puts(b, "</g>\n<g class=\"labels\">");
	for (int k = 0; k <= 4; k++) {
		double v = ymax - (ymax - ymin) * k / 4.0;
		struct buf t;
		buf_init(&t, 64);
		put_value(&t, v, c->percent);
		text_at(b, L - 6, T + ph * k / 4.0 + 4, "end", MUTED, t.data ? t.data : "");
		buf_free(&t);
	}
	size_t step = c->n > 12 ? (c->n + 11) / 12 : 1;
	for (size_t i = 0; i < c->n; i += step)
		text_at(b, XOF(i), H - B + 16, "middle", INK, c->points[i].label ? c->points[i].label : "");
	buf_puts(b, "</g>\n");
	/* the band: one area per run of points that have one; a lone point gets a whisker */
	for (size_t i = 0; i < c->n;) {
		if (!band_ok(&c->points[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j + 1 < c->n && band_ok(&c->points[j + 1]))
			j++;
		if (j == i) {
			buf_puts(b, "<line class=\"band\" stroke=\"" MUTED "\" stroke-width=\"6\" stroke-opacity=\"0.5\" x1=\"");
			put_num(b, XOF(i));
			buf_puts(b, "\" x2=\"");
			put_num(b, XOF(i));
			buf_puts(b, "\" y1=\"");
			put_num(b, YOF(c->points[i].lo));
			buf_puts(b, "\" y2=\"");
			put_num(b, YOF(c->points[i].hi));
			buf_puts(b, "\"/>\n");
		} else {
			buf_puts(b, "<polygon class=\"band\" fill=\"");
			hatch_ref(b, m);
			buf_puts(b, "\" fill-opacity=\"0.45\" stroke=\"" MUTED "\" stroke-dasharray=\"3 3\" points=\"");
			for (size_t k = i; k <= j; k++) {
				put_num(b, XOF(k));
				buf_putc(b, ',');
				put_num(b, YOF(c->points[k].hi));
				buf_putc(b, ' ');
			}
			for (size_t k = j + 1; k-- > i;) {
				put_num(b, XOF(k));
				buf_putc(b, ',');
				put_num(b, YOF(c->points[k].lo));
				buf_puts(b, k > i ? " " : "");
			}
			buf_puts(b, "\"/>\n");
		}
		i = j + 1;
	}
	if (c->has_target && isfinite(c->target)) {
		double y = YOF(c->target);
		buf_puts(b, "<line class=\"target\" stroke=\"" INK "\" stroke-dasharray=\"8 4\" x1=\"");
		put_num(b, L);
		buf_puts(b, "\" x2=\"");
		put_num(b, W - R);
		buf_puts(b, "\" y1=\"");
		put_num(b, y);
		buf_puts(b, "\" y2=\"");
		put_num(b, y);
		buf_puts(b, "\"/>");
		text_at(b, W - R, y - 4, "end", INK, c->target_label ? c->target_label : "Target");
		buf_puts(b, "\n");
	}
	/* the line: one polyline per run of points with values (a gap where one is missing) */
	for (size_t i = 0; i < c->n;) {
		if (!point_ok(&c->points[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j + 1 < c->n && point_ok(&c->points[j + 1]))
			j++;
		if (j > i) {
			buf_puts(b, "<polyline class=\"line\" fill=\"none\" stroke=\"" ACCENT "\" stroke-width=\"2.5\" points=\"");
			for (size_t k = i; k <= j; k++) {
				put_num(b, XOF(k));
				buf_putc(b, ',');
				put_num(b, YOF(c->points[k].value));
				buf_puts(b, k < j ? " " : "");
			}
			buf_puts(b, "\"/>\n");
		}
		i = j + 1;
	}
	/* markers, values written above them (when they fit), notes where a value is missing */
	for (size_t i = 0; i < c->n; i++) {
		const struct chart_point *p = &c->points[i];
		if (!point_ok(p)) {
			text_at(b, XOF(i), T + ph - 4, "middle", MUTED, "×");
			continue;
		}
		buf_puts(b, "<circle class=\"point\" r=\"3.5\" fill=\"#ffffff\" stroke=\"" ACCENT "\" stroke-width=\"2\" cx=\"");
		put_num(b, XOF(i));
		buf_puts(b, "\" cy=\"");
		put_num(b, YOF(p->value));
		buf_puts(b, "\"/>");
		if (c->n <= 12) {
			struct buf t;
			buf_init(&t, 64);
			put_value(&t, p->value, c->percent);
			text_at(b, XOF(i), YOF(p->value) - 8, "middle", INK, t.data ? t.data : "");
			buf_free(&t);
		}
		buf_puts(b, "\n");
	}
#undef XOF
#undef YOF
	svg_end(b, m);
}

/* ---- Bars ---------------------------------------------------------------------------- */

void chart_bars(struct buf *b, const struct chart_bars *c)
{
	const struct chart_meta *m = &c->meta;
	const double W = 640, row = 24, L = 200, R = 80, T = 6;
	double H = T * 2 + row * (double)(c->n ? c->n : 2);
	double max = c->max;
	if (!(isfinite(max) && max > 0)) {
		max = c->percent ? 1.0 : 0.0;
		for (size_t i = 0; i < c->n; i++)
			max = fmax(max, finite_or(c->bars[i].value, 0));
		if (max <= 0)
			max = 1;
	}
	int links = 0;
	for (size_t i = 0; i < c->n; i++)
		links |= c->bars[i].href != NULL;
	svg_begin(b, m, W, H, links);
	for (size_t i = 0; i < c->n; i++) {
		const struct chart_bar *x = &c->bars[i];
		chart_esc(b, x->label ? x->label : "");
		buf_puts(b, ": ");
		put_value(b, finite_or(x->value, 0), c->percent);
		if (x->highlight && c->highlight_note) {
			buf_puts(b, " (");
			chart_esc(b, c->highlight_note);
			buf_puts(b, ")");
		}
		buf_puts(b, i + 1 < c->n ? "; " : ".");
	}
	svg_desc_end(b, m);
	if (c->n == 0) {
		empty_text(b, m, W, H);
		svg_end(b, m);
		return;
	}
	double pw = W - L - R;
	for (size_t i = 0; i < c->n; i++) {
		const struct chart_bar *x = &c->bars[i];
		double y = T + row * (double)i;
		double w = pw * clamp(x->value, 0, max) / max;
		struct buf label;
		buf_init(&label, 512);
		chart_esc(&label, x->label ? x->label : "");
		if (x->highlight && c->highlight_note) {
			buf_puts(&label, " (");
			chart_esc(&label, c->highlight_note);
			buf_puts(&label, ")");
		}
		if (x->href) {
			buf_puts(b, "<a href=\"");
			chart_esc(b, x->href);
			buf_puts(b, "\">");
		}
		buf_puts(b, "<text x=\"");
		put_num(b, L - 8);
		buf_puts(b, "\" y=\"");
		put_num(b, y + row / 2 + 4);
		buf_printf(b, "\" text-anchor=\"end\" fill=\"%s\"%s>%s</text>", x->href ? ACCENT : INK,
			   x->highlight ? " font-weight=\"bold\"" : "", label.data ? label.data : "");
		if (x->href)
			buf_puts(b, "</a>");
		buf_free(&label);
		buf_puts(b, "<rect class=\"track\" fill=\"#ffffff\" stroke=\"" LINE "\" x=\"");
		put_num(b, L);
		buf_puts(b, "\" y=\"");
		put_num(b, y + 4);
		buf_puts(b, "\" width=\"");
		put_num(b, pw);
		buf_puts(b, "\" height=\"");
		put_num(b, row - 8);
		buf_puts(b, "\"/><rect class=\"bar\" x=\"");
		put_num(b, L);
		buf_puts(b, "\" y=\"");
		put_num(b, y + 4);
		buf_puts(b, "\" width=\"");
		put_num(b, w);
		buf_puts(b, "\" height=\"");
		put_num(b, row - 8);
		if (x->highlight) {
			buf_puts(b, "\" stroke=\"" INK "\" fill=\"");
			hatch_ref(b, m);
			buf_puts(b, "\"/>");
		} else {
			buf_puts(b, "\" fill=\"" ACCENT "\"/>");
		}
		struct buf t;
		buf_init(&t, 64);
		put_value(&t, finite_or(x->value, 0), c->percent);
		text_at(b, L + pw + 6, y + row / 2 + 4, "start", INK, t.data ? t.data : "");
		buf_free(&t);
		buf_puts(b, "\n");
	}
	svg_end(b, m);
}

/* ---- Progress ------------------------------------------------------------------------ */

void chart_progress(struct buf *b, const struct chart_progress *c)
{
	const struct chart_meta *m = &c->meta;
	const double W = 640, H = 56, L = 4, R = 4, Y = 22, BH = 20;
	double v = clamp(c->value, 0, 1), pw = W - L - R;
	struct buf text;
	buf_init(&text, 256);
	if (c->value_text)
		chart_esc(&text, c->value_text);
	else
		put_pct(&text, v);
	svg_begin(b, m, W, H, 0);
	buf_puts(b, text.data ? text.data : "");
	if (c->has_marker && isfinite(c->marker)) {
		buf_puts(b, "; ");
		chart_esc(b, c->marker_label ? c->marker_label : "");
		buf_puts(b, " ");
		put_pct(b, clamp(c->marker, 0, 1));
	}
	buf_puts(b, ".");
	svg_desc_end(b, m);
	buf_puts(b, "<text x=\"");
	put_num(b, L);
	buf_puts(b, "\" y=\"14\" fill=\"" INK "\" font-weight=\"bold\">");
	buf_puts(b, text.data ? text.data : "");
	buf_puts(b, "</text>\n<rect class=\"track\" fill=\"#ffffff\" stroke=\"" INK "\" x=\"");
	put_num(b, L);
	buf_printf(b, "\" y=\"%.1f\" width=\"", Y);
	put_num(b, pw);
	buf_printf(b, "\" height=\"%.1f\"/><rect class=\"bar\" fill=\"" ACCENT "\" x=\"", BH);
	put_num(b, L);
	buf_printf(b, "\" y=\"%.1f\" width=\"", Y);
	put_num(b, pw * v);
	buf_printf(b, "\" height=\"%.1f\"/>\n", BH);
	if (c->has_marker && isfinite(c->marker)) {
		double x = L + pw * clamp(c->marker, 0, 1);
		buf_puts(b, "<line class=\"marker\" stroke=\"" INK "\" stroke-width=\"2\" stroke-dasharray=\"4 2\" x1=\"");
		put_num(b, x);
		buf_puts(b, "\" x2=\"");
		put_num(b, x);
		buf_printf(b, "\" y1=\"%.1f\" y2=\"%.1f\"/>", Y - 4, Y + BH + 4);
		text_at(b, x, Y + BH + 14, x > W / 2 ? "end" : "start", INK, c->marker_label ? c->marker_label : "");
		buf_puts(b, "\n");
	}
	buf_free(&text);
	svg_end(b, m);
}

/* ---- Heatmap ------------------------------------------------------------------------- */

void chart_heatmap(struct buf *b, const struct chart_heatmap *c)
{
	const struct chart_meta *m = &c->meta;
	const double cw = 26, chh = 22, L = 56, T = 20;
	double W = L + cw * (double)(c->cols ? c->cols : 4) + 8;
	double H = T + chh * (double)(c->rows ? c->rows : 1) + 30;
	double max = 0;
	size_t shown = 0, hidden = 0;
	for (size_t i = 0; i < c->rows * c->cols; i++) {
		if (c->suppressed && c->suppressed[i]) {
			hidden++;
			continue;
		}
		double x = finite_or(c->values[i], 0);
		if (x > 0)
			shown++;
		max = fmax(max, x);
	}
	svg_begin(b, m, W, H, 0);
	for (size_t r = 0; r < c->rows; r++) {
		chart_esc(b, c->row_labels[r]);
		buf_puts(b, ":");
		int any = 0;
		for (size_t k = 0; k < c->cols; k++) {
			size_t i = r * c->cols + k;
			int sup = c->suppressed && c->suppressed[i];
			double x = finite_or(c->values[i], 0);
			if (!sup && x <= 0)
				continue;
			buf_puts(b, any ? ", " : " ");
			chart_esc(b, c->col_labels[k]);
			buf_puts(b, " ");
			if (sup)
				chart_esc(b, c->suppressed_note ? c->suppressed_note : "—");
			else
				put_value(b, x, 0);
			any = 1;
		}
		if (!any)
			buf_puts(b, " —");
		buf_puts(b, r + 1 < c->rows ? "; " : ".");
	}
	svg_desc_end(b, m);
	if (c->rows == 0 || c->cols == 0 || (shown == 0 && hidden == 0)) {
		empty_text(b, m, W, H);
		svg_end(b, m);
		return;
	}
	for (size_t k = 0; k < c->cols; k++)
		text_at(b, L + cw * (double)k + cw / 2, T - 6, "middle", MUTED, c->col_labels[k]);
	buf_puts(b, "\n");
	for (size_t r = 0; r < c->rows; r++) {
		double y = T + chh * (double)r;
		text_at(b, L - 6, y + chh / 2 + 4, "end", INK, c->row_labels[r]);
		for (size_t k = 0; k < c->cols; k++) {
			size_t i = r * c->cols + k;
			int sup = c->suppressed && c->suppressed[i];
			double x = finite_or(c->values[i], 0);
			double t = max > 0 ? clamp(x / max, 0, 1) : 0;
			double cx = L + cw * (double)k;
			buf_puts(b, "<rect x=\"");
			put_num(b, cx);
			buf_puts(b, "\" y=\"");
			put_num(b, y);
			buf_puts(b, "\" width=\"");
			put_num(b, cw - 1);
			buf_puts(b, "\" height=\"");
			put_num(b, chh - 1);
			if (sup) {
				buf_puts(b, "\" fill=\"");
				hatch_ref(b, m);
				buf_puts(b, "\"/>");
				continue;
			}
			/* from near-white to dark blue: lightness carries the value in grey scale too */
			int rr = (int)lround(238 - t * (238 - 11)), gg = (int)lround(243 - t * (243 - 61)),
			    bb = (int)lround(248 - t * (248 - 110));
			if (x <= 0)
				rr = gg = bb = 255;
			buf_printf(b, "\" fill=\"#%02x%02x%02x\" stroke=\"" LINE "\"/>", rr & 255, gg & 255, bb & 255);
			if (x > 0) {
				struct buf n;
				buf_init(&n, 64);
				put_value(&n, x, 0);
				buf_puts(b, "<text font-size=\"9\" x=\"");
				put_num(b, cx + cw / 2 - 0.5);
				buf_puts(b, "\" y=\"");
				put_num(b, y + chh / 2 + 3);
				buf_printf(b, "\" text-anchor=\"middle\" fill=\"%s\">%s</text>", t > 0.55 ? "#ffffff" : INK,
					   n.data ? n.data : "");
				buf_free(&n);
			}
		}
		buf_puts(b, "\n");
	}
	if (c->suppressed && c->suppressed_note) {
		double y = T + chh * (double)c->rows + 8;
		buf_puts(b, "<rect x=\"");
		put_num(b, L);
		buf_puts(b, "\" y=\"");
		put_num(b, y);
		buf_puts(b, "\" width=\"14\" height=\"14\" stroke=\"" MUTED "\" fill=\"");
		hatch_ref(b, m);
		buf_puts(b, "\"/>");
		text_at(b, L + 20, y + 11, "start", INK, c->suppressed_note);
		buf_puts(b, "\n");
	}
	svg_end(b, m);
}
