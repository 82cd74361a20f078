/* bench_qr.c — single-thread throughput of qr_png and qr_svg on a typical 40-character
 * survey URL. Usage: bench_qr [--count N] [--seconds S]; each part stops after N
 * codes or S seconds (default 2000 and 5), whichever comes first. */
#include "qr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char url[] = "https://gs.example.cn/s/QH-S01?hall=QH01"; /* 40 chars */

/* Runs fn up to count times or for max_us; prints the rate. 0 on success. */
static int bench(const char *name, long count, int64_t max_us, int module_px,
                 enum gs_result (*png)(const char *, int, struct buf *),
                 enum gs_result (*svg)(const char *, struct buf *))
{
	struct buf b;
	buf_init(&b, 1 << 24);
	size_t bytes = 0;
	long done = 0;
	int64_t t0 = util_monotonic_us(), t = t0;
	for (; done < count && t - t0 < max_us; done++) {
		buf_reset(&b);
		enum gs_result r = png ? png(url, module_px, &b) : svg(url, &b);
		if (r != GS_OK) {
			fprintf(stderr, "bench_qr: %s failed: %s\n", name, gs_result_str(r));
			buf_free(&b);
			return -1;
		}
		bytes = b.len;
		if (done % 16 == 15)
			t = util_monotonic_us();
	}
	t = util_monotonic_us();
	double secs = (double)(t - t0) / 1e6;
	printf("%-14s %7ld in %6.3f s  %10.1f /s  %6zu bytes each\n", name, done, secs, secs > 0 ? done / secs : 0.0,
	       bytes);
	buf_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	long count = 2000;
	double seconds = 5;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			seconds = strtod(argv[++i], NULL);
		} else {
			fprintf(stderr, "usage: %s [--count N] [--seconds S]\n", argv[0]);
			return 2;
		}
	}
	if (count < 1 || count > 100000000 || !(seconds > 0 && seconds <= 600)) {
		fprintf(stderr, "bench_qr: --count must be 1..1e8 and --seconds 0..600\n");
		return 2;
	}
	int64_t max_us = (int64_t)(seconds * 1e6);
	printf("bench_qr: \"%s\" (%zu chars), up to %ld each, at most %.1f s each\n", url, strlen(url), count, seconds);
	if (bench("png 4px", count, max_us, 4, qr_png, NULL) || bench("png 10px", count, max_us, 10, qr_png, NULL) ||
	    bench("svg", count, max_us, 0, NULL, qr_svg))
		return 1;
	return 0;
}
