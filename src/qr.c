/* qr.c — renders a text (a survey URL) as a QR code: libqrencode computes the module
 * matrix, this file draws it as SVG (one path of horizontal runs, so a poster stays
 * small and prints crisp) or as a 1-bit PNG written to memory with libpng. */
#include "qr.h"

#include <png.h>
#include <qrencode.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

/* Encodes text at level M. Byte mode where needed, but libqrencode may switch to
 * numeric or alphanumeric segments for runs that fit them: case is kept either way.
 * On GS_OK the caller frees *qr with QRcode_free. */
static enum gs_result qr_encode(const char *text, QRcode **qr)
{
	*qr = NULL;
	if (!text || !*text)
		return GS_ERR_INVALID;
	size_t len = 0;
	while (len <= QR_TEXT_MAX && text[len])
		len++;
	if (len > QR_TEXT_MAX)
		return GS_ERR_INVALID;
	*qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!*qr)
		return GS_ERR_INTERNAL;
	return GS_OK;
}

/* Undoes a failed render: out goes back to the length it had on entry. */
static void qr_truncate(struct buf *out, size_t len)
{
	out->len = len;
	if (out->data)
		out->data[len] = '\0';
}

static int qr_dark(const QRcode *qr, int x, int y)
{
	return qr->data[(size_t)y * (size_t)qr->width + (size_t)x] & 1;
}

/* Length of the valid UTF-8 sequence at p for a character XML 1.0 allows, or 0.
 * Reads no further than a NUL, whose top bits end any sequence. */
static size_t qr_utf8_char(const unsigned char *p)
{
	unsigned c = p[0], cp;
	size_t n;
	if (c < 0x80)
		return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Appends s escaped for XML text and attribute values; what XML cannot carry becomes
 * U+FFFD, so the document stays well-formed whatever bytes the caller passed. */
static enum gs_result qr_xml_escape(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	enum gs_result r = GS_OK;
	while (*p && r == GS_OK) {
		size_t n = qr_utf8_char(p);
		switch (n ? *p : 0) {
		case 0: r = buf_puts(out, "\xef\xbf\xbd"); break;
		case '&': r = buf_puts(out, "&amp;"); break;
		case '<': r = buf_puts(out, "&lt;"); break;
		case '>': r = buf_puts(out, "&gt;"); break;
		case '"': r = buf_puts(out, "&quot;"); break;
		case '\'': r = buf_puts(out, "&#39;"); break;
		case '\t': r = buf_puts(out, "&#9;"); break;
		case '\n': r = buf_puts(out, "&#10;"); break;
		case '\r': r = buf_puts(out, "&#13;"); break;
		default: r = buf_append(out, p, n); break;
		}
		p += n ? n : 1;
	}
	return r;
}

/* The background and the dark modules. Each horizontal run of dark modules is one
 * closed rectangle "hNv1h-Nz". The first run of a row starts with an absolute
 * "Mx y", later ones with "mDx 0" relative to the previous run's start (where "z"
 * leaves the pen): a 40-character URL makes a document of about 3 KB. */
static enum gs_result qr_svg_body(const QRcode *qr, struct buf *out)
{
	int n = qr->width + 2 * QR_QUIET;
	enum gs_result r =
	    buf_printf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"", n, n);
	for (int y = 0; y < qr->width && r == GS_OK; y++) {
		int x = 0, prev = -1;
		while (x < qr->width && r == GS_OK) {
			if (!qr_dark(qr, x, y)) {
				x++;
				continue;
			}
			int start = x;
			while (x < qr->width && qr_dark(qr, x, y))
				x++;
			if (prev < 0)
				r = buf_printf(out, "M%d %d", start + QR_QUIET, y + QR_QUIET);
			else
				r = buf_printf(out, "m%d 0", start - prev);
			if (r == GS_OK)
				r = buf_printf(out, "h%dv1h-%dz", x - start, x - start);
			prev = start;
		}
	}
	if (r == GS_OK)
		r = buf_puts(out, "\"/></svg>\n");
	return r;
}

enum gs_result qr_svg(const char *text, struct buf *out)
{
	size_t start = out->len;
	QRcode *qr;
	enum gs_result r = qr_encode(text, &qr);
	if (r != GS_OK)
		return r;
	int n = qr->width + 2 * QR_QUIET;
	r = buf_printf(out,
	               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 %d %d\" "
	               "shape-rendering=\"crispEdges\"><title>",
	               n, n);
	if (r == GS_OK)
		r = qr_xml_escape(out, text);
	if (r == GS_OK)
		r = buf_puts(out, "</title>");
	if (r == GS_OK)
		r = qr_svg_body(qr, out);
	QRcode_free(qr);
	if (r != GS_OK)
		qr_truncate(out, start);
	return r;
}

enum gs_result qr_svg_inline(const char *text, int size_px, struct buf *out)
{
	size_t start = out->len;
	if (size_px < 1 || size_px > QR_SIZE_PX_MAX)
		return GS_ERR_INVALID;
	QRcode *qr;
	enum gs_result r = qr_encode(text, &qr);
	if (r != GS_OK)
		return r;
	int n = qr->width + 2 * QR_QUIET;
	r = buf_printf(out,
	               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	               "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"",
	               n, n, size_px, size_px);
	if (r == GS_OK)
		r = qr_xml_escape(out, text);
	if (r == GS_OK)
		r = buf_puts(out, "\"><title>");
	if (r == GS_OK)
		r = qr_xml_escape(out, text);
	if (r == GS_OK)
		r = buf_puts(out, "</title>");
	if (r == GS_OK)
		r = qr_svg_body(qr, out);
	QRcode_free(qr);
	if (r != GS_OK)
		qr_truncate(out, start);
	return r;
}

/* libpng writes through this sink into the caller's buffer. too_large is volatile
 * because it is set after setjmp and read after the longjmp. */
struct qr_png_sink {
	struct buf *out;
	volatile int too_large;
};

static void qr_png_write(png_structp png, png_bytep data, png_size_t len)
{
	struct qr_png_sink *sink = png_get_io_ptr(png);
	if (buf_append(sink->out, data, len) != GS_OK) {
		sink->too_large = 1;
		png_error(png, "output buffer cap exceeded");
	}
}

static void qr_png_flush(png_structp png)
{
	(void)png;
}

/* libpng's default handlers print to stderr; the caller reports the result code. */
static void qr_png_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void qr_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Everything that may longjmp lives here, so no local of the caller is live across
 * setjmp. row holds one packed pixel row ((px + 7) / 8 bytes). 0 on success. */
static int qr_png_emit(png_structp png, png_infop info, const QRcode *qr, int module_px, unsigned char *row)
{
	if (setjmp(png_jmpbuf(png)))
		return -1;
	int n = qr->width + 2 * QR_QUIET;
	png_uint_32 px = (png_uint_32)n * (png_uint_32)module_px;
	size_t row_bytes = (px + 7) / 8;
	png_set_IHDR(png, info, px, px, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	             PNG_FILTER_TYPE_DEFAULT);
	/* Filters do not help two-level images; speed matters more than a few bytes. */
	png_set_filter(png, 0, PNG_FILTER_NONE);
	png_set_compression_level(png, Z_BEST_SPEED);
	png_write_info(png, info);
	for (int y = 0; y < n; y++) {
		memset(row, 0xff, row_bytes);
		int qy = y - QR_QUIET;
		for (int x = 0; qy >= 0 && qy < qr->width && x < qr->width; x++) {
			if (!qr_dark(qr, x, qy))
				continue;
			size_t p = (size_t)(x + QR_QUIET) * (size_t)module_px;
			for (int i = 0; i < module_px; i++, p++)
				row[p >> 3] &= (unsigned char)~(0x80u >> (p & 7));
		}
		for (int i = 0; i < module_px; i++)
			png_write_row(png, row);
	}
	png_write_end(png, NULL);
	return 0;
}

enum gs_result qr_png(const char *text, int module_px, struct buf *out)
{
	size_t start = out->len;
	QRcode *qr;
	enum gs_result r = qr_encode(text, &qr);
	if (r != GS_OK)
		return r;
	if (module_px < QR_MODULE_PX_MIN)
		module_px = QR_MODULE_PX_MIN;
	if (module_px > QR_MODULE_PX_MAX)
		module_px = QR_MODULE_PX_MAX;
	size_t px = (size_t)(qr->width + 2 * QR_QUIET) * (size_t)module_px;
	unsigned char *row = xmalloc((px + 7) / 8);
	struct qr_png_sink sink = {out, 0};
	png_infop info = NULL;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, qr_png_error, qr_png_warning);
	if (!png) {
		r = GS_ERR_INTERNAL;
		goto out;
	}
	info = png_create_info_struct(png);
	if (!info) {
		r = GS_ERR_INTERNAL;
		goto out;
	}
	png_set_write_fn(png, &sink, qr_png_write, qr_png_flush);
	if (qr_png_emit(png, info, qr, module_px, row) != 0)
		r = sink.too_large ? GS_ERR_TOO_LARGE : GS_ERR_INTERNAL;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	QRcode_free(qr);
	if (r != GS_OK)
		qr_truncate(out, start);
	return r;
}
