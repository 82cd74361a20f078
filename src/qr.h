/* qr.h — QR codes for the survey URLs printed on service-hall posters and shown on
 * screens: a standalone SVG document, an inline <svg> element for HTML pages, and a
 * 1-bit PNG. Error correction level M, quiet zone of 4 modules. No I/O, no HTTP. */
#ifndef GS_QR_H
#define GS_QR_H

#include "gs.h"
#include "util.h"

/* Longest text (bytes, without the NUL) that is encoded; longer is GS_ERR_INVALID.
 * Far below what a version-40 symbol holds, because a dense code is hard to scan
 * for a cheap phone camera. */
#define QR_TEXT_MAX 1000

/* Quiet zone around the symbol, in modules (the standard's minimum). */
#define QR_QUIET 4

/* Pixels per module accepted by qr_png; values outside are clamped. */
#define QR_MODULE_PX_MIN 1
#define QR_MODULE_PX_MAX 32

/* Largest size_px for qr_svg_inline. */
#define QR_SIZE_PX_MAX 10000

/* All three functions append to out, which the caller has initialised with buf_init
 * and still owns (the caller frees it with buf_free, or takes it with buf_steal).
 * On any error out is truncated back to the length it had on entry, so nothing
 * partial is left (out->failed may be set when the cap was hit).
 * Errors: GS_ERR_INVALID for NULL or empty text, text longer than QR_TEXT_MAX, or a
 * bad size; GS_ERR_TOO_LARGE when out's cap would be exceeded; GS_ERR_INTERNAL when
 * libqrencode or libpng fail. Thread-safe (libqrencode is built with pthreads). */

/* A standalone SVG document (UTF-8, with XML declaration): viewBox in module units
 * including the quiet zone, a white background rect, the dark modules as one <path>,
 * and a <title> holding text (XML-escaped; bytes that are not valid UTF-8 or are
 * control characters show as U+FFFD in the title only; the code holds the bytes). */
enum gs_result qr_svg(const char *text, struct buf *out);

/* The same picture as an inline <svg> element for embedding in HTML (no XML
 * declaration): width and height are size_px (1..QR_SIZE_PX_MAX, else
 * GS_ERR_INVALID), role="img" and aria-label set to text (escaped as for qr_svg). */
enum gs_result qr_svg_inline(const char *text, int size_px, struct buf *out);

/* A 1-bit greyscale PNG, module_px pixels per module (clamped to
 * QR_MODULE_PX_MIN..QR_MODULE_PX_MAX), quiet zone included: the image is
 * (modules + 2 * QR_QUIET) * module_px pixels square. */
enum gs_result qr_png(const char *text, int module_px, struct buf *out);

#endif
