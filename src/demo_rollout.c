/* demo_rollout.c — the demo county's smart-meter rollout: for every supply station a
 * metering-point inventory and two years of installations, written as native rollout
 * files (one per station and quarter, the way a station would send them) and imported
 * through meter_import_run, the path every real file takes. Stations move at different
 * paces: some reached full coverage long ago, some are on track for the target date,
 * some are late. Deterministic, but relative to today. */
#define _POSIX_C_SOURCE 200809L
#include "demo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meter.h"
#include "org.h"
#include "survey.h"
#include "util.h"

/* A station's plan: how many points, when its rollout started and when it ends at the
 * pace it keeps (days relative to the target date 2026-12-31 for the end). */
struct demo_plan {
	long points;
	long start_before_today; /* rollout began this many days ago */
	long end_after_target;   /* last installation this many days after the target (<0: before) */
};

/* One plan per station in tree order; stations past the list reuse it cyclically. */
static const struct demo_plan demo_plans[] = {
	{1800, 700, -420}, /* full coverage for over a year */
	{1500, 650, -250}, /* full since spring */
	{1200, 600, 160},  /* late */
	{1600, 620, -10},  /* on track, finishing just before the target */
	{1100, 560, -120}, /* full since the summer */
	{1300, 640, 15},   /* slightly late */
	{ 900, 500, 40},   /* late */
	{1700, 700, 300},  /* far behind */
	{1000, 480, -5},   /* on track */
	{1400, 660, -60},  /* full since October */
};

static const char *const demo_makers[][2] = {
	{"Qinghe Meter Works", "DDZY71-Z"},
	{"Huaxin Instruments", "DTZY188-G"},
	{"Sample Meter Works", "DDZY102-C"},
};

static const char *const demo_classes[] = {"residential", "residential", "residential", "residential",
					   "residential", "commercial", "commercial", "agricultural",
					   "industrial", "public"};

static uint64_t rng_state;

static uint32_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* One metering point's story. Days are day numbers (survey_day_number); -1 = never. */
struct demo_point {
	long since;       /* in service from */
	long until;       /* out of service from, -1 while in service */
	long installed;   /* smart meter installed, -1 not (yet) */
	long replaced;    /* the smart meter exchanged after a fault, -1 never */
	int cls;
	int legacy;       /* had a legacy meter before the rollout */
};

/* Quarter index of a day number (Q1 2020 = 0), for grouping events into files. */
static int demo_quarter(long day)
{
	char s[11];
	survey_day_string(day, s);
	int y = atoi(s), m = atoi(s + 5);
	return (y - 2020) * 4 + (m - 1) / 3;
}

static void demo_day(long day, char out[11])
{
	survey_day_string(day, out);
}

/* Writes the station's file for quarter q: the points that start in it (the first file
 * carries the whole existing inventory) and the events dated in it. Returns the number
 * of records written, -1 on an I/O error. */
static long demo_write_file(FILE *f, const char *station, int q, int first, const struct demo_point *pts, long n,
			    long today)
{
	long records = 0;
	char d1[11], d2[11];
	demo_day(today, d1);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<rollout xmlns=\"urn:gridscore:rollout:1\" station=\"%s\" file-id=\"%s-Q%d\" "
		   "generated-at=\"%sT18:00:00+08:00\">\n  <inventory>\n",
		station, station, q, d1);
	for (long i = 0; i < n; i++) {
		const struct demo_point *p = &pts[i];
		int pq = demo_quarter(p->since), uq = p->until >= 0 ? demo_quarter(p->until) : -1;
		/* A point is listed when it first appears, and again when it goes out of service. */
		if (!((first && pq <= q) || (!first && pq == q) || uq == q))
			continue;
		demo_day(p->since, d1);
		fprintf(f, "    <point code=\"%s-P%05ld\" class=\"%s\" since=\"%s\"", station, i + 1,
			demo_classes[p->cls], d1);
		if (p->until >= 0 && uq <= q) {
			demo_day(p->until, d2);
			fprintf(f, " until=\"%s\"", d2);
		}
		fputs("/>\n", f);
		records++;
	}
	fputs("  </inventory>\n  <events>\n", f);
	for (long i = 0; i < n; i++) {
		const struct demo_point *p = &pts[i];
		const char *const *mk = demo_makers[i % GS_ARRAY_LEN(demo_makers)];
		if (p->installed >= 0 && demo_quarter(p->installed) == q) {
			demo_day(p->installed, d1);
			fprintf(f,
				"    <install meter=\"%s-M%05ld\" serial=\"%.3s%ld%05ld\" manufacturer=\"%s\" model=\"%s\" "
				"point=\"%s-P%05ld\" date=\"%s\"",
				station, i + 1, mk[1], (long)(p->installed / 365 + 1970), i + 1, mk[0], mk[1], station,
				i + 1, d1);
			/* Points older than the rollout had a legacy meter; new connections did not. */
			if (p->legacy)
				fprintf(f, " replaces=\"%s-L%05ld\"", station, i + 1);
			fputs("/>\n", f);
			records++;
		}
		if (p->replaced >= 0 && demo_quarter(p->replaced) == q) {
			demo_day(p->replaced, d1);
			fprintf(f,
				"    <replace meter=\"%s-M%05ldR\" serial=\"R%.3s%05ld\" manufacturer=\"%s\" model=\"%s\" "
				"point=\"%s-P%05ld\" date=\"%s\" old-meter=\"%s-M%05ld\" reason=\"fault\"/>\n",
				station, i + 1, mk[1], i + 1, mk[0], mk[1], station, i + 1, d1, station, i + 1);
			records++;
		}
		/* A decommissioned point's smart meter comes off the day it leaves service. */
		if (p->until >= 0 && p->installed >= 0 && p->installed < p->until && demo_quarter(p->until) == q) {
			demo_day(p->until, d1);
			fprintf(f, "    <remove meter=\"%s-M%05ld%s\" point=\"%s-P%05ld\" date=\"%s\" reason=\"decommissioned\"/>\n",
				station, i + 1, p->replaced >= 0 && p->replaced < p->until ? "R" : "", station, i + 1, d1);
			records++;
		}
	}
	fputs("  </events>\n</rollout>\n", f);
	return ferror(f) ? -1 : records;
}

/* Plans one station's points and imports its quarterly files. */
static enum gs_result demo_station(struct db *db, const struct org_unit *st, const struct demo_plan *plan, long today,
				   long target, long *files, long *records)
{
	long n = plan->points;
	struct demo_point *pts = xcalloc((size_t)n, sizeof *pts);
	long start = today - plan->start_before_today, end = target + plan->end_after_target;
	if (end <= start)
		end = start + 30;
	for (long i = 0; i < n; i++) {
		struct demo_point *p = &pts[i];
		p->cls = (int)(rng_next() % GS_ARRAY_LEN(demo_classes));
		/* Most points are old; about 6% joined during the rollout (new connections). */
		p->legacy = rng_next() % 100 >= 6;
		if (p->legacy)
			p->since = start - 365 - (long)(rng_next() % 3000);
		else
			p->since = start + (long)(rng_next() % (uint32_t)(today - start));
		p->until = -1;
		/* The k-th point is fitted at the station's steady pace, with a few days' jitter;
		 * new connections get a smart meter on day one. */
		long at = start + (end - start) * i / n + (long)(rng_next() % 9) - 4;
		if (at < p->since)
			at = p->since;
		p->installed = at <= today ? at : -1;
		p->replaced = -1;
		if (p->installed >= 0 && rng_next() % 100 < 2) {
			long r = p->installed + 30 + (long)(rng_next() % 200);
			if (r <= today)
				p->replaced = r;
		}
		/* About 1% leave service (demolished, merged accounts). */
		if (rng_next() % 100 == 0) {
			long u = p->since + 30 + (long)(rng_next() % 900);
			if (u <= today && u > start) {
				p->until = u;
				if (p->installed >= u)
					p->installed = -1;
				if (p->replaced >= u)
					p->replaced = -1;
			}
		}
	}

	enum gs_result r = GS_OK;
	int q0 = demo_quarter(start), q1 = demo_quarter(today);
	char path[] = "/tmp/gridscore-demo-XXXXXX";
	for (int q = q0; q <= q1 && r == GS_OK; q++) {
		int fd = mkstemp(path);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			if (fd >= 0)
				close(fd);
			r = GS_ERR_IO;
			break;
		}
		long k = demo_write_file(f, st->code, q, q == q0, pts, n, today);
		if (fclose(f) != 0 || k < 0)
			r = GS_ERR_IO;
		if (r == GS_OK) {
			struct meter_import_opts opts;
			meter_import_opts_init(&opts);
			char name[96];
			snprintf(name, sizeof name, "%s-%dQ%d.xml", st->code, 2020 + q / 4, q % 4 + 1);
			opts.name = name;
			struct meter_import_report *rep = xcalloc(1, sizeof *rep);
			r = meter_import_run(db, path, &opts, rep);
			if (r != GS_OK)
				meter_report_print(rep, name, stderr);
			*records += rep->records;
			free(rep);
			(*files)++;
		}
		unlink(path);
		memcpy(path + sizeof path - 7, "XXXXXX", 6);
	}
	free(pts);
	return r;
}

enum gs_result demo_rollout_load(struct db *db, FILE *out)
{
	struct org_unit *units = NULL;
	size_t n = 0;
	enum gs_result r = org_units_list(db, 0, &units, &n);
	if (r != GS_OK)
		return r;
	char today_s[11];
	meter_today(today_s);
	long today = survey_day_number(today_s), target = survey_day_number("2026-12-31");
	rng_state = 0x6a09e667f3bcc908ull;
	long files = 0, records = 0;
	size_t k = 0;
	for (size_t i = 0; i < n && r == GS_OK; i++) {
		if (strcmp(units[i].kind, "station") != 0)
			continue;
		r = demo_station(db, &units[i], &demo_plans[k++ % GS_ARRAY_LEN(demo_plans)], today, target, &files,
				 &records);
	}
	org_units_free(units, n);
	if (r == GS_OK) {
		struct meter_coverage cov;
		r = meter_coverage_at(db, 0, today_s, &cov);
		if (r == GS_OK)
			fprintf(out, "demo rollout: %ld files, %ld records imported; coverage today %ld of %ld points (%.1f%%)\n",
				files, records, cov.smart, cov.points, 100.0 * cov.rate);
	}
	return r;
}
