/* stats.h — pure statistics for the indicators: proportions with Wilson score
 * intervals. No I/O; counts are pooled by the callers, never percentages averaged. */
#ifndef GS_STATS_H
#define GS_STATS_H

#include <stdint.h>

struct stats_proportion {
	double rate;     /* successes / n; 0 when n == 0 */
	double low;      /* Wilson score interval at the given z; 0..1 */
	double high;
};

/* z for a two-sided 95% interval. */
#define STATS_Z95 1.959963984540054

/* The share successes/n with its Wilson score interval. n == 0 gives {0, 0, 1}: nothing
 * is known. successes is clamped to n. */
struct stats_proportion stats_wilson(int64_t successes, int64_t n, double z);

#endif
