/* bench_gen_rollout.c — writes a large native rollout file (urn:gridscore:rollout:1) for
 * the import benchmark: one station's inventory of N metering points and M meter events,
 * deterministic for given arguments. Usage:
 *   bench_gen_rollout STATION N M OUT.xml [TODAY]
 * Points: codes STATION-P0000001.., classes mostly residential, in service since days in
 * 2000..2023, 1% out of service since 2023 (never fitted). Events, in date order: an
 * install replacing the legacy meter on each open point (2024..2025) while M lasts, then
 * smart-for-smart replaces (80%) and removals (20%) spread over 2026 up to TODAY
 * (default 2026-06-30). Meter mRIDs are UUID-shaped with a counter, as HES systems hand
 * them out; serials and makers vary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* splitmix64: deterministic, good enough to spread dates and classes */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static long parse_day(const char *s)
{
	unsigned y, m, d;
	if (sscanf(s, "%4u-%2u-%2u", &y, &m, &d) != 3)
		return -1;
	return util_days_from_civil(y, m, d);
}

static const char *const makers[] = {"Sample Meter Works", "Acme Metering", "Holley", "Linyang", "Wasion"};
static const char *const models[] = {"DDZY71-Z", "DDZY102-Z", "DTZY341", "DDZY285-Z"};

static void meter_attrs(FILE *f, uint32_t id, const char *prefix)
{
	fprintf(f, " %smeter=\"7d0f8a52-1c1e-4d55-9a55-%012u\"", prefix, id);
	if (!prefix[0])
		fprintf(f, " serial=\"DDZY-%09u\" manufacturer=\"%s\" model=\"%s\"", id, makers[id % 5], models[id % 4]);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: bench_gen_rollout STATION N M OUT.xml [TODAY]\n");
		return 2;
	}
	const char *station = argv[1];
	long n = atol(argv[2]), m = atol(argv[3]);
	const char *today_s = argc > 5 ? argv[5] : "2026-06-30";
	long today = parse_day(today_s);
	if (n < 1 || m < 0 || today < 0 || strlen(station) > 40) {
		fprintf(stderr, "bench_gen_rollout: bad arguments\n");
		return 2;
	}
	FILE *f = fopen(argv[4], "w");
	if (!f) {
		perror(argv[4]);
		return 1;
	}
	static char buf[1 << 20];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	/* per point: current smart meter id (0: none), closed flag */
	uint32_t *meter = calloc((size_t)n, sizeof *meter);
	unsigned char *closed = calloc((size_t)n, 1);
	if (!meter || !closed)
		return 1;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"%s\" "
		   "file-id=\"bench-%s-%ld-%ld\" generated-at=\"%sT18:00:00+08:00\">\n  <inventory>\n",
		station, station, n, m, today_s);
	static const char *const classes[] = {"residential", "residential", "residential", "residential",
					      "residential", "residential", "commercial",  "commercial",
					      "industrial",  "agricultural", "public",     "other"};
	long d2000 = util_days_from_civil(2000, 1, 1), d2023 = util_days_from_civil(2023, 1, 1);
	char since[11], until[11], day[11];
	for (long i = 0; i < n; i++) {
		uint64_t r = rng();
		util_day_string(d2000 + (long)(r % (uint64_t)(d2023 - d2000)), since);
		closed[i] = (r >> 32) % 100 == 0;
		fprintf(f, "    <point code=\"%s-P%07ld\" class=\"%s\" since=\"%s\"", station, i + 1,
			classes[(r >> 16) % 12], since);
		if (closed[i]) {
			util_day_string(d2023 + (long)((r >> 40) % 365), until);
			fprintf(f, " until=\"%s\"", until);
		}
		fputs("/>\n", f);
	}
	fputs("  </inventory>\n  <events>\n", f);
	uint32_t next_meter = 1;
	long events = 0, open_points = 0;
	for (long i = 0; i < n; i++)
		open_points += !closed[i];
	/* installs: 2024-01-01 .. 2025-12-31, in point order */
	long d2024 = util_days_from_civil(2024, 1, 1), d2026 = util_days_from_civil(2026, 1, 1);
	long installs = m < open_points ? m : open_points;
	long done = 0;
	for (long i = 0; i < n && done < installs; i++) {
		if (closed[i])
			continue;
		util_day_string(d2024 + (long)((double)done / (double)installs * (double)(d2026 - d2024)), day);
		meter[i] = next_meter++;
		fputs("    <install", f);
		meter_attrs(f, meter[i], "");
		fprintf(f, " point=\"%s-P%07ld\" date=\"%s\" replaces=\"LEGACY-%s-%07ld\"/>\n", station, i + 1, day,
			station, i + 1);
		done++;
		events++;
	}
	/* then replaces and removals through 2026 up to today, on points with a smart meter,
	 * visited with a large odd stride so a point comes round again only much later */
	long rest = m - events, span = today - d2026 + 1, stride = 7919, at = 0;
	if (span < 1)
		span = 1;
	for (long k = 0; k < rest; k++) {
		long tries = 0;
		while (meter[at] == 0 && tries++ < n)
			at = (at + stride) % n;
		if (meter[at] == 0)
			break; /* nothing left to change */
		util_day_string(d2026 + (long)((double)k / (double)rest * (double)span), day);
		uint64_t r = rng();
		if (r % 5 == 0) {
			fputs("    <remove", f);
			meter_attrs(f, meter[at], "");
			fprintf(f, " point=\"%s-P%07ld\" date=\"%s\" reason=\"customer left\"/>\n", station, at + 1, day);
			meter[at] = 0;
		} else {
			uint32_t old = meter[at];
			meter[at] = next_meter++;
			fputs("    <replace", f);
			meter_attrs(f, meter[at], "");
			meter_attrs(f, old, "old-");
			fprintf(f, " point=\"%s-P%07ld\" date=\"%s\" reason=\"fault\"/>\n", station, at + 1, day);
		}
		events++;
		at = (at + stride) % n;
	}
	fputs("  </events>\n</rollout>\n", f);
	free(meter);
	free(closed);
	if (fclose(f) != 0) {
		perror(argv[4]);
		return 1;
	}
	fprintf(stderr, "bench_gen_rollout: %s: %ld points, %ld events\n", argv[4], n, events);
	return 0;
}
