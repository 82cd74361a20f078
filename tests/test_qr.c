/* test_qr.c — QR rendering, checked by scanning: PNGs from qr_png and a rasterisation
 * of qr_svg's path data (done here, independently of qr_png) are decoded with
 * zbarimg and must give back the input exactly; the SVG is parsed with libxml2.
 * zbarimg (Debian's zbar-tools, from .ci/deps) is required: without it the test fails. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "qr.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp_dir[512];
static int have_zbar;
static int file_seq;

static int find_zbarimg(void)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	char *copy = xstrdup(path), *save = NULL;
	int found = 0;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/zbarimg", *dir ? dir : ".");
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

static int setup_tmp(void)
{
	const char *base = getenv("GS_TMP");
	if (!base || !*base)
		base = "/tmp";
	if (strchr(base, '\'')) {
		fprintf(stderr, "test_qr: GS_TMP must not contain a quote: %s\n", base);
		return -1;
	}
	snprintf(tmp_dir, sizeof tmp_dir, "%s/qr", base); /* overwritten by each run */
	char *probe = xasprintf("%s/x", tmp_dir);
	enum gs_result r = util_mkdir_parent(probe);
	free(probe);
	if (r != GS_OK) {
		fprintf(stderr, "test_qr: cannot create %s: %s\n", tmp_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* Runs zbarimg on path; *out is what it printed without the final newline (caller
 * frees). Returns its exit status, or -1 if it could not be run. */
static int zbar_decode(const char *path, char **out)
{
	*out = NULL;
	/* zbarimg's stderr chatter (dbus, ImageMagick) goes to path.err, shown on failure */
	char *cmd = xasprintf("zbarimg --raw -q '%s' 2>'%s.err'", path, path);
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return -1;
	struct buf b;
	buf_init(&b, 1 << 20);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_append(&b, chunk, n);
	int status = pclose(p);
	size_t len;
	*out = buf_steal(&b, &len);
	if (len && (*out)[len - 1] == '\n')
		(*out)[len - 1] = '\0';
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Writes data to a fresh file in tmp_dir and checks that zbarimg reads text from it. */
static void check_scans(const char *what, const void *data, size_t len, const char *text)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s-%03d.png", tmp_dir, what, ++file_seq);
	CHECK(write_file(path, data, len) == 0);
	if (!have_zbar) {
		check_failed++;
		fprintf(stderr, "test_qr: cannot scan %s: zbarimg not found (install zbar-tools)\n", path);
		return;
	}
	char *got;
	int rc = zbar_decode(path, &got);
	CHECK_INT(rc, 0);
	CHECK_STR(got, text);
	if (rc != 0 || strcmp(got, text) != 0) {
		fprintf(stderr, "  (scanned %s; zbarimg's messages in %s.err)\n", path, path);
	} else {
		char *err = xasprintf("%s.err", path);
		remove(err);
		free(err);
	}
	free(got);
}

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* Decodes a PNG from memory to 8-bit grey (caller frees *pixels). 0 on success. */
static int png_decode(const void *data, size_t len, unsigned char **pixels, unsigned *w, unsigned *h)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	*pixels = NULL;
	if (!png_image_begin_read_from_memory(&img, data, len))
		return -1;
	img.format = PNG_FORMAT_GRAY;
	*pixels = xmalloc(PNG_IMAGE_SIZE(img));
	if (!png_image_finish_read(&img, NULL, *pixels, 0, NULL)) {
		free(*pixels);
		*pixels = NULL;
		png_image_free(&img);
		return -1;
	}
	*w = img.width;
	*h = img.height;
	return 0;
}

/* Writes a module grid (1 = dark, n x n, quiet zone included) as an 8-bit grey PNG
 * with scale pixels per module: the test's own rasteriser, not qr_png. */
static int grid_write_png(const char *path, const unsigned char *grid, int n, int scale)
{
	int px = n * scale;
	unsigned char *pix = xmalloc((size_t)px * (size_t)px);
	for (int y = 0; y < px; y++)
		for (int x = 0; x < px; x++)
			pix[(size_t)y * (size_t)px + (size_t)x] = grid[(y / scale) * n + x / scale] ? 0 : 255;
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)px;
	img.height = (png_uint_32)px;
	img.format = PNG_FORMAT_GRAY;
	int ok = png_image_write_to_file(&img, path, 0, pix, 0, NULL);
	free(pix);
	return ok ? 0 : -1;
}

static const char *skip_sep(const char *p)
{
	while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t')
		p++;
	return p;
}

static int parse_num(const char **p, int *v)
{
	const char *s = skip_sep(*p);
	char *end;
	long l = strtol(s, &end, 10);
	if (end == s || l < -100000 || l > 100000)
		return -1;
	*v = (int)l;
	*p = end;
	return 0;
}

/* Fills grid (n x n, zeroed) from SVG path data made of axis-aligned closed
 * rectangles (M/m, h/H, v/V, z). A rectangle that overlaps another or leaves the
 * grid is an error, as is any other command. 0 on success. */
static int path_to_grid(const char *d, int n, unsigned char *grid)
{
	int x = 0, y = 0, sx = 0, sy = 0, x0 = 0, x1 = 0, y0 = 0, y1 = 0, open = 0;
	const char *p = d;
	for (;;) {
		p = skip_sep(p);
		if (!*p)
			break;
		char c = *p++;
		int a, b;
		switch (c) {
		case 'M':
		case 'm':
			if (open || parse_num(&p, &a) || parse_num(&p, &b))
				return -1;
			x = c == 'M' ? a : x + a;
			y = c == 'M' ? b : y + b;
			sx = x0 = x1 = x;
			sy = y0 = y1 = y;
			open = 1;
			break;
		case 'h':
		case 'H':
			if (!open || parse_num(&p, &a))
				return -1;
			x = c == 'H' ? a : x + a;
			x0 = x < x0 ? x : x0;
			x1 = x > x1 ? x : x1;
			break;
		case 'v':
		case 'V':
			if (!open || parse_num(&p, &a))
				return -1;
			y = c == 'V' ? a : y + a;
			y0 = y < y0 ? y : y0;
			y1 = y > y1 ? y : y1;
			break;
		case 'z':
		case 'Z':
			/* a rectangle drawn h, v, h ends straight below or above its start */
			if (!open || x != sx || x0 == x1 || y0 == y1 || x0 < 0 || y0 < 0 || x1 > n || y1 > n)
				return -1;
			for (int yy = y0; yy < y1; yy++)
				for (int xx = x0; xx < x1; xx++) {
					if (grid[yy * n + xx])
						return -1;
					grid[yy * n + xx] = 1;
				}
			x = sx;
			y = sy;
			open = 0;
			break;
		default: return -1;
		}
	}
	return open ? -1 : 0;
}

static xmlNode *child(xmlNode *parent, const char *name, int *count)
{
	xmlNode *found = NULL;
	*count = 0;
	for (xmlNode *c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) {
			(*count)++;
			if (!found)
				found = c;
		}
	return found;
}

static char *attr(xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
	char *s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Parses an SVG from qr_svg or qr_svg_inline, checks its structure and returns its
 * module grid (caller frees) and size n (modules + quiet zone), or NULL. label is
 * the expected title (and aria-label when inline_px > 0). */
static unsigned char *svg_check(const struct buf *svg, const char *label, int inline_px, int *n_out)
{
	xmlDoc *doc = xmlReadMemory(svg->data, (int)svg->len, "qr.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	CHECK(doc != NULL);
	if (!doc)
		return NULL;
	unsigned char *grid = NULL;
	xmlNode *root = xmlDocGetRootElement(doc);
	CHECK(root && strcmp((const char *)root->name, "svg") == 0);
	if (!root)
		goto out;
	CHECK(root->ns && strcmp((const char *)root->ns->href, "http://www.w3.org/2000/svg") == 0);
	char *s = attr(root, "shape-rendering");
	CHECK_STR(s, "crispEdges");
	free(s);
	s = attr(root, "viewBox");
	int n = 0, n2 = 0, zx = -1, zy = -1;
	CHECK(s && sscanf(s, "%d %d %d %d", &zx, &zy, &n, &n2) == 4);
	CHECK_INT(zx, 0);
	CHECK_INT(zy, 0);
	CHECK_INT(n, n2);
	/* versions 1..40: 21..177 modules, plus the quiet zone of 4 on each side */
	CHECK(n >= 29 && n <= 185 && (n - 29) % 4 == 0);
	free(s);
	if (inline_px > 0) {
		char want[32];
		snprintf(want, sizeof want, "%d", inline_px);
		s = attr(root, "width");
		CHECK_STR(s, want);
		free(s);
		s = attr(root, "height");
		CHECK_STR(s, want);
		free(s);
		s = attr(root, "role");
		CHECK_STR(s, "img");
		free(s);
		s = attr(root, "aria-label");
		CHECK_STR(s, label);
		free(s);
		CHECK(strncmp(svg->data, "<svg", 4) == 0);
	}
	int count;
	xmlNode *title = child(root, "title", &count);
	CHECK_INT(count, 1);
	if (title) {
		xmlChar *t = xmlNodeGetContent(title);
		CHECK_STR((const char *)t, label);
		xmlFree(t);
	}
	xmlNode *rect = child(root, "rect", &count);
	CHECK_INT(count, 1);
	if (rect) {
		s = attr(rect, "fill");
		CHECK_STR(s, "#fff");
		free(s);
		int w = 0, h = 0;
		s = attr(rect, "width");
		CHECK(s && sscanf(s, "%d", &w) == 1 && w == n);
		free(s);
		s = attr(rect, "height");
		CHECK(s && sscanf(s, "%d", &h) == 1 && h == n);
		free(s);
	}
	xmlNode *path = child(root, "path", &count);
	CHECK_INT(count, 1);
	if (path && n > 0 && n <= 185) {
		s = attr(path, "fill");
		CHECK_STR(s, "#000");
		free(s);
		s = attr(path, "d");
		grid = xcalloc((size_t)n * (size_t)n, 1);
		int rc = s ? path_to_grid(s, n, grid) : -1;
		CHECK_INT(rc, 0);
		free(s);
		if (rc != 0) {
			free(grid);
			grid = NULL;
		}
		*n_out = n;
	}
out:
	xmlFreeDoc(doc);
	return grid;
}

/* The module grid of a qr_png image, sampled at module centres. Checks the PNG's
 * signature and header and that every pixel is black or white. */
static unsigned char *png_check(const struct buf *png, int module_px, int *n_out)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	const unsigned char *d = (const unsigned char *)png->data;
	CHECK(png->len > 33);
	if (png->len <= 33)
		return NULL;
	CHECK(memcmp(d, sig, 8) == 0);
	CHECK(memcmp(d + 12, "IHDR", 4) == 0);
	unsigned w = be32(d + 16), h = be32(d + 20);
	CHECK_INT(w, h);
	CHECK_INT(w % (unsigned)module_px, 0);
	CHECK_INT(d[24], 1); /* bit depth */
	CHECK_INT(d[25], 0); /* greyscale */
	CHECK_INT(d[28], 0); /* not interlaced */
	int n = (int)(w / (unsigned)module_px);
	CHECK(n >= 29 && n <= 185 && (n - 29) % 4 == 0);
	unsigned char *pix;
	unsigned pw, ph;
	CHECK(png_decode(png->data, png->len, &pix, &pw, &ph) == 0);
	if (!pix)
		return NULL;
	CHECK_INT(pw, w);
	CHECK_INT(ph, h);
	int two_level = 1;
	for (size_t i = 0; i < (size_t)pw * ph; i++)
		two_level &= pix[i] == 0 || pix[i] == 255;
	CHECK(two_level);
	unsigned char *grid = xcalloc((size_t)n * (size_t)n, 1);
	int uniform = 1;
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			size_t row0 = (size_t)y * (size_t)module_px, col0 = (size_t)x * (size_t)module_px;
			unsigned char v = pix[row0 * pw + col0];
			grid[y * n + x] = v == 0;
			/* every pixel of a module has the module's colour */
			for (int i = 0; i < module_px; i++)
				for (int j = 0; j < module_px; j++)
					uniform &= pix[(row0 + (size_t)i) * pw + col0 + (size_t)j] == v;
		}
	CHECK(uniform);
	free(pix);
	*n_out = n;
	return grid;
}

/* The quiet zone is white and the three finder patterns sit in their corners. */
static void check_grid_shape(const unsigned char *grid, int n)
{
	int quiet_white = 1;
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++)
			if (x < QR_QUIET || y < QR_QUIET || x >= n - QR_QUIET || y >= n - QR_QUIET)
				quiet_white &= !grid[y * n + x];
	CHECK(quiet_white);
	int q = QR_QUIET, m = n - 2 * QR_QUIET;
	int corners[3][2] = {{q, q}, {q + m - 7, q}, {q, q + m - 7}};
	for (int c = 0; c < 3; c++) {
		int ok = 1;
		for (int y = 0; y < 7; y++)
			for (int x = 0; x < 7; x++) {
				int ring = x == 0 || y == 0 || x == 6 || y == 6;
				int core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
				ok &= grid[(corners[c][1] + y) * n + corners[c][0] + x] == (ring || core);
			}
		CHECK(ok);
	}
}

/* Every check for one text: PNGs at several module sizes scan back to text and agree
 * with each other and with the SVG, whose rasterised path also scans back. */
static void check_text(const char *text)
{
	static const int sizes[] = {2, 3, 5, 8};
	QRcode *ref = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	CHECK(ref != NULL);
	int want_n = ref ? ref->width + 2 * QR_QUIET : -1;
	QRcode_free(ref);

	struct buf svg;
	buf_init(&svg, 1 << 20);
	CHECK_INT(qr_svg(text, &svg), GS_OK);
	CHECK(strncmp(svg.data ? svg.data : "", "<?xml", 5) == 0);
	int svg_n = 0;
	unsigned char *svg_grid = svg_check(&svg, text, 0, &svg_n);
	CHECK(svg_grid != NULL);
	CHECK_INT(svg_n, want_n);
	if (svg_grid) {
		check_grid_shape(svg_grid, svg_n);
		char path[700];
		snprintf(path, sizeof path, "%s/svg-%03d.png", tmp_dir, ++file_seq);
		CHECK(grid_write_png(path, svg_grid, svg_n, 4) == 0);
		size_t len = 0;
		char *data = NULL;
		CHECK_INT(util_read_file(path, 1 << 24, &data, &len), GS_OK);
		if (data)
			check_scans("svg-raster", data, len, text);
		free(data);
	}

	struct buf inl;
	buf_init(&inl, 1 << 20);
	CHECK_INT(qr_svg_inline(text, 240, &inl), GS_OK);
	int inl_n = 0;
	unsigned char *inl_grid = svg_check(&inl, text, 240, &inl_n);
	CHECK(inl_grid && svg_grid && inl_n == svg_n && memcmp(inl_grid, svg_grid, (size_t)svg_n * svg_n) == 0);
	free(inl_grid);
	buf_free(&inl);

	for (size_t i = 0; i < GS_ARRAY_LEN(sizes); i++) {
		struct buf png;
		buf_init(&png, 1 << 24);
		CHECK_INT(qr_png(text, sizes[i], &png), GS_OK);
		CHECK_INT(png.len > 24 ? be32((const unsigned char *)png.data + 16) : 0, want_n * sizes[i]);
		int png_n = 0;
		unsigned char *png_grid = png_check(&png, sizes[i], &png_n);
		CHECK(png_grid != NULL);
		CHECK_INT(png_n, want_n);
		CHECK(png_grid && svg_grid && png_n == svg_n &&
		      memcmp(png_grid, svg_grid, (size_t)svg_n * (size_t)svg_n) == 0);
		free(png_grid);
		check_scans("png", png.data, png.len, text);
		buf_free(&png);
	}
	free(svg_grid);
	buf_free(&svg);
}

static void check_errors(void)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	CHECK_INT(qr_svg(NULL, &b), GS_ERR_INVALID);
	CHECK_INT(qr_svg("", &b), GS_ERR_INVALID);
	CHECK_INT(qr_svg_inline(NULL, 100, &b), GS_ERR_INVALID);
	CHECK_INT(qr_svg_inline("", 100, &b), GS_ERR_INVALID);
	CHECK_INT(qr_svg_inline("https://x.cn/", 0, &b), GS_ERR_INVALID);
	CHECK_INT(qr_svg_inline("https://x.cn/", -5, &b), GS_ERR_INVALID);
	CHECK_INT(qr_svg_inline("https://x.cn/", QR_SIZE_PX_MAX + 1, &b), GS_ERR_INVALID);
	CHECK_INT(qr_png(NULL, 4, &b), GS_ERR_INVALID);
	CHECK_INT(qr_png("", 4, &b), GS_ERR_INVALID);
	CHECK_INT(b.len, 0);

	char big[QR_TEXT_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[QR_TEXT_MAX + 1] = '\0';
	CHECK_INT(qr_svg(big, &b), GS_ERR_INVALID);
	CHECK_INT(qr_svg_inline(big, 100, &b), GS_ERR_INVALID);
	CHECK_INT(qr_png(big, 4, &b), GS_ERR_INVALID);
	CHECK_INT(b.len, 0);
	big[QR_TEXT_MAX] = '\0'; /* exactly the limit is accepted */
	CHECK_INT(qr_svg(big, &b), GS_OK);
	buf_reset(&b);
	CHECK_INT(qr_png(big, 2, &b), GS_OK);
	if (b.len)
		check_scans("max", b.data, b.len, big);
	buf_free(&b);

	/* module_px is clamped */
	const char *url = "https://gs.example.cn/s/QH-H01";
	buf_init(&b, 1 << 24);
	CHECK_INT(qr_png(url, 0, &b), GS_OK);
	unsigned w1 = be32((const unsigned char *)b.data + 16);
	buf_reset(&b);
	CHECK_INT(qr_png(url, -3, &b), GS_OK);
	CHECK_INT(be32((const unsigned char *)b.data + 16), w1);
	buf_reset(&b);
	CHECK_INT(qr_png(url, 1000, &b), GS_OK);
	CHECK_INT(be32((const unsigned char *)b.data + 16), w1 * 32);
	check_scans("clamp32", b.data, b.len, url);
	buf_reset(&b);
	CHECK_INT(qr_png(url, 1, &b), GS_OK);
	int n1 = 0;
	unsigned char *g = png_check(&b, 1, &n1);
	CHECK_INT(n1, (int)w1);
	free(g);
	buf_free(&b);

	/* the cap: one byte short fails and leaves the buffer as it was; exact fits */
	struct buf full;
	buf_init(&full, 1 << 20);
	CHECK_INT(qr_png(url, 4, &full), GS_OK);
	buf_init(&b, full.len - 1);
	CHECK_INT(qr_png(url, 4, &b), GS_ERR_TOO_LARGE);
	CHECK_INT(b.len, 0);
	buf_free(&b);
	buf_init(&b, 16);
	CHECK_INT(qr_png(url, 4, &b), GS_ERR_TOO_LARGE);
	CHECK_INT(b.len, 0);
	buf_free(&b);
	buf_init(&b, full.len);
	CHECK_INT(qr_png(url, 4, &b), GS_OK);
	CHECK(b.len == full.len && memcmp(b.data, full.data, full.len) == 0); /* deterministic */
	buf_free(&b);
	buf_init(&b, full.len + 6);
	buf_puts(&b, "prefix");
	CHECK_INT(qr_png(url, 4, &b), GS_OK);
	CHECK(b.len == full.len + 6 && memcmp(b.data + 6, full.data, full.len) == 0);
	buf_reset(&b);
	buf_puts(&b, "prefix");
	CHECK_INT(qr_png(url, 5, &b), GS_ERR_TOO_LARGE);
	CHECK_STR(b.data, "prefix");
	buf_free(&b);
	buf_free(&full);

	buf_init(&full, 1 << 20);
	CHECK_INT(qr_svg(url, &full), GS_OK);
	CHECK(full.len < 3500); /* compact: runs, relative moves */
	buf_init(&b, full.len - 1);
	CHECK_INT(qr_svg(url, &b), GS_ERR_TOO_LARGE);
	CHECK_INT(b.len, 0);
	buf_free(&b);
	buf_init(&b, full.len);
	CHECK_INT(qr_svg(url, &b), GS_OK);
	CHECK_STR(b.data, full.data);
	buf_free(&b);
	buf_init(&b, 200);
	buf_puts(&b, "<p>");
	CHECK_INT(qr_svg_inline(url, 120, &b), GS_ERR_TOO_LARGE);
	CHECK_STR(b.data, "<p>");
	buf_free(&b);
	buf_free(&full);
}

/* What XML cannot carry shows as U+FFFD in the title; the document stays well-formed
 * and the code itself still holds the original bytes. */
static void check_escaping(void)
{
	const char *text = "https://x.cn/s?a=1&b=<2>\"'\t";
	check_text(text);

	const char *bad = "https://x.cn/\xff\x01z\xc3";
	struct buf b;
	buf_init(&b, 1 << 20);
	CHECK_INT(qr_svg(bad, &b), GS_OK);
	int n = 0;
	unsigned char *g = svg_check(&b, "https://x.cn/\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd", 0, &n);
	CHECK(g != NULL);
	free(g);
	buf_reset(&b);
	CHECK_INT(qr_svg_inline(bad, 64, &b), GS_OK);
	g = svg_check(&b, "https://x.cn/\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd", 64, &n);
	CHECK(g != NULL);
	free(g);
	buf_free(&b);
}

int main(void)
{
	if (setup_tmp() != 0)
		return 1;
	have_zbar = find_zbarimg();
	if (!have_zbar)
		fprintf(stderr, "test_qr: FAIL: zbarimg not found in PATH; install Debian's zbar-tools "
		                "(.ci/deps test does)\n");
	CHECK(have_zbar);

	char long_url[400];
	int off = snprintf(long_url, sizeof long_url, "https://survey.gridscore.example.cn/s/QH-S01?hall=QH-H01");
	for (int i = 0; off < 300; i++)
		off += snprintf(long_url + off, sizeof long_url - (size_t)off, "&q%d=%d", i, i * 7919 % 1000);
	CHECK(strlen(long_url) >= 300);

	const char *texts[] = {
	    "https://gs.example.cn/s/QH-H01",
	    "https://survey.example.com/s/QH-S01?hall=QH-H01&lang=zh-CN&src=poster&t=1764150000#start",
	    "https://gs.example.cn/s/QH-H01?name=%E6%9C%8D%E5%8A%A1%E5%A4%A7%E5%8E%85&city=%E9%9D%92%E5%B2%9B",
	    /* raw UTF-8, not percent-encoded */
	    "https://\xe4\xbe\x8b\xe5\xad\x90.cn/\xe8\xb0\x83\xe6\x9f\xa5?q=\xe6\xbb\xa1\xe6\x84\x8f\xe5\xba\xa6",
	    "HTTPS://GS.EXAMPLE.CN/S/QH-H01",
	    "https://Gs.Example.CN/S/AbCdEf?X=Yz",
	    "1234567890123456",
	    long_url,
	};
	for (size_t i = 0; i < GS_ARRAY_LEN(texts); i++)
		check_text(texts[i]);
	check_errors();
	check_escaping();
	xmlCleanupParser();
	return check_finish("test_qr");
}
