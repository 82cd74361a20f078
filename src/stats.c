/* stats.c — Wilson score intervals: unlike the normal approximation they stay inside
 * [0, 1] and behave at small samples and at rates near 0% or 100%, which is where a
 * hall with few responses sits. */
#include "stats.h"

#include <math.h>

struct stats_proportion stats_wilson(int64_t successes, int64_t n, double z)
{
	struct stats_proportion p = {0.0, 0.0, 1.0};
	if (n <= 0)
		return p;
	if (successes < 0)
		successes = 0;
	if (successes > n)
		successes = n;
	double nn = (double)n, phat = (double)successes / nn, z2 = z * z;
	double denom = 1.0 + z2 / nn;
	double centre = (phat + z2 / (2.0 * nn)) / denom;
	double half = z * sqrt(phat * (1.0 - phat) / nn + z2 / (4.0 * nn * nn)) / denom;
	p.rate = phat;
	p.low = centre - half < 0.0 ? 0.0 : centre - half;
	p.high = centre + half > 1.0 ? 1.0 : centre + half;
	/* At the extremes the exact bound is 0 or 1; keep rounding noise out. */
	if (successes == 0)
		p.low = 0.0;
	if (successes == n)
		p.high = 1.0;
	return p;
}
