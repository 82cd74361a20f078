/* test_stats.c — Wilson intervals against values computed independently (R's
 * prop.test without continuity correction / the closed form), and pooling. */
#include <math.h>

#include "check.h"
#include "stats.h"

#define NEAR(a, b) (fabs((a) - (b)) < 5e-5)

int main(void)
{
	struct stats_proportion p = stats_wilson(80, 100, STATS_Z95);
	CHECK(NEAR(p.rate, 0.8));
	CHECK(NEAR(p.low, 0.71117));
	CHECK(NEAR(p.high, 0.86663));

	p = stats_wilson(0, 10, STATS_Z95);
	CHECK(NEAR(p.rate, 0.0));
	CHECK(p.low == 0.0);
	CHECK(NEAR(p.high, 0.27753));

	p = stats_wilson(10, 10, STATS_Z95);
	CHECK(NEAR(p.low, 0.72247));
	CHECK(p.high == 1.0);

	p = stats_wilson(1, 2, STATS_Z95);
	CHECK(NEAR(p.low, 0.09453));
	CHECK(NEAR(p.high, 0.90547));

	p = stats_wilson(8000, 10000, STATS_Z95);
	CHECK(NEAR(p.low, 0.79205));
	CHECK(NEAR(p.high, 0.80772));

	p = stats_wilson(0, 0, STATS_Z95);
	CHECK(p.rate == 0.0 && p.low == 0.0 && p.high == 1.0);
	p = stats_wilson(12, 10, STATS_Z95); /* clamped */
	CHECK(NEAR(p.rate, 1.0));

	/* pooling: two halls' counts pooled differ from the mean of their rates */
	struct stats_proportion a = stats_wilson(9, 10, STATS_Z95), b = stats_wilson(500, 1000, STATS_Z95);
	struct stats_proportion pooled = stats_wilson(9 + 500, 10 + 1000, STATS_Z95);
	CHECK(NEAR(pooled.rate, 509.0 / 1010.0));
	CHECK(fabs(pooled.rate - (a.rate + b.rate) / 2) > 0.1);
	return check_finish("test_stats");
}
