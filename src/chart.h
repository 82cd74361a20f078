/* chart.h — server-rendered inline SVG charts for the dashboard, unit and hall pages:
 * a trend line with its confidence band, horizontal bars, a progress bar and an
 * hour-by-weekday heatmap. Pure: data in, SVG text out (every label escaped, every
 * number finite), no I/O, no JavaScript. Each chart is a <figure> whose <svg> carries
 * role="img", a <title> and a <desc> that reads out the data, and whose caption links
 * to the same data as CSV when a link is given. Charts stay readable on paper and in
 * grey scale: values are written beside marks, bands and highlighted bars carry
 * patterns or dashes, never colour alone. */
#ifndef GS_CHART_H
#define GS_CHART_H

#include <stddef.h>

#include "util.h"

/* What every chart has. Strings are borrowed for the call; any may be NULL except id. */
struct chart_meta {
	const char *id;        /* unique on the page: [A-Za-z0-9_-], other bytes become '-' */
	const char *title;     /* the chart's title: <title> and the caption */
	const char *desc;      /* a sentence before the read-out of the data in <desc> */
	const char *csv_href;  /* the chart's data as CSV, linked from the caption */
	const char *csv_label; /* the link text ("CSV" if NULL) */
	const char *empty;     /* shown instead of the plot when there is nothing to draw ("No data") */
};

/* One point of a trend. A point without a value (missing = 1, or a value that is not
 * finite) leaves a gap in the line and reads as its note. */
struct chart_point {
	const char *label;     /* x-axis label, e.g. "2025-03" */
	double value;          /* in [0, 1] when the chart is a percentage */
	double lo, hi;         /* the band (interval) around value, used when has_band */
	int has_band;
	int missing;
	const char *note;      /* text for a missing point ("too few"); may be NULL */
};

/* A line through the points with markers and the value written at each, the band
 * (e.g. a 95% interval) as a hatched area behind it, and an optional dashed target line.
 * percent: values are fractions shown as percentages, y axis from ymin to ymax. */
struct chart_trend {
	struct chart_meta meta;
	const struct chart_point *points;
	size_t n;
	int percent;
	double ymin, ymax;     /* ymax <= ymin: fitted to the data (percent: 0..1 floor/ceiling to 10%) */
	int has_target;
	double target;
	const char *target_label;
};
void chart_trend(struct buf *b, const struct chart_trend *c);

/* Horizontal bars, one per row, the value written at the bar's end; a highlighted bar
 * (e.g. a late station) is hatched and its label says why (highlight_note). */
struct chart_bar {
	const char *label;
	double value;
	const char *href;      /* the bar's label links here; may be NULL */
	int highlight;
};
struct chart_bars {
	struct chart_meta meta;
	const struct chart_bar *bars;
	size_t n;
	int percent;           /* values are fractions 0..1 */
	double max;            /* the bar scale's end; <= 0: the largest value (1 for percent) */
	const char *highlight_note; /* e.g. "late"; written after highlighted labels */
};
void chart_bars(struct buf *b, const struct chart_bars *c);

/* A progress bar toward value 1 (full), the percentage written on it, and an optional
 * marker (e.g. where the unit should be by now). */
struct chart_progress {
	struct chart_meta meta;
	double value;          /* 0..1 (clamped) */
	const char *value_text; /* e.g. "87.3% (4,512 of 5,168)"; NULL: the percentage */
	int has_marker;
	double marker;
	const char *marker_label;
};
void chart_progress(struct buf *b, const struct chart_progress *c);

/* A rows × cols grid of counts shaded by value with the count written in each cell;
 * suppressed cells (too few to show, e.g. under the privacy minimum) are hatched and
 * blank. values and suppressed are row-major, rows * cols entries; suppressed may be
 * NULL. Row and column labels are borrowed. */
struct chart_heatmap {
	struct chart_meta meta;
	const char *const *row_labels;
	size_t rows;
	const char *const *col_labels;
	size_t cols;
	const double *values;
	const unsigned char *suppressed;
	const char *suppressed_note; /* legend text for hatched cells */
};
void chart_heatmap(struct buf *b, const struct chart_heatmap *c);

/* Appends s with & < > " ' escaped (the charts' own escaping, safe in text and in
 * quoted attributes). */
void chart_esc(struct buf *b, const char *s);

#endif
