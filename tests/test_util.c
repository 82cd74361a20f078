/* test_util.c — the shared helpers of util.c that other modules' tests reach only
 * indirectly: day arithmetic (survey, meter and score dates), the decimal and hex
 * writers. */
#include <stdint.h>

#include "check.h"
#include "util.h"

static void test_days_known(void)
{
	CHECK_INT(util_days_from_civil(1970, 1, 1), 0);
	CHECK_INT(util_days_from_civil(1969, 12, 31), -1);
	CHECK_INT(util_days_from_civil(1900, 1, 1), -25567);
	CHECK_INT(util_days_from_civil(2000, 3, 1), 11017);
	CHECK_INT(util_days_from_civil(2024, 2, 29), 19782);
	CHECK_INT(util_days_from_civil(2026, 11, 26), 20783);
	char s[11];
	util_day_string(20783, s);
	CHECK_STR(s, "2026-11-26");
	util_day_string(-25567, s);
	CHECK_STR(s, "1900-01-01");
	/* years outside what the format holds are clamped, never written past 10 bytes */
	util_day_string(util_days_from_civil(12000, 6, 1), s);
	CHECK_STR(s, "9999-06-01");
	util_day_string(util_days_from_civil(-5, 6, 1), s);
	CHECK_STR(s, "0000-06-01");
}

/* Every day from 1900 to 2100: string and number agree both ways, and the days follow
 * one another (no gap or repeat at month, leap-year or century ends). */
static void test_days_round_trip(void)
{
	long first = util_days_from_civil(1900, 1, 1), last = util_days_from_civil(2100, 12, 31);
	long bad = 0, prev_y = 1899;
	unsigned prev_m = 12, prev_d = 31;
	for (long z = first; z <= last; z++) {
		char s[11];
		util_day_string(z, s);
		long y;
		unsigned m, d;
		util_civil_from_days(z, &y, &m, &d);
		int next = (y == prev_y && m == prev_m && d == prev_d + 1) ||
		           (y == prev_y && m == prev_m + 1 && d == 1) || (y == prev_y + 1 && m == 1 && d == 1);
		if (util_day_number(s, 1900) != z || util_days_from_civil(y, m, d) != z || !next)
			bad++;
		prev_y = y, prev_m = m, prev_d = d;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(last - first + 1, 73414); /* 201 years, 49 leap days (1900 and 2100 are not) */
}

static void test_day_number_rejects(void)
{
	CHECK_INT(util_day_number("2024-02-29", 1900), 19782);
	CHECK_INT(util_day_number("2023-02-29", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("1900-02-29", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("2000-02-29", 1900), 11016);
	CHECK_INT(util_day_number("2024-04-31", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("2024-13-01", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("2024-00-10", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("2024-01-00", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("2024-1-01", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("2024-01-011", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("2024/01/01", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("20a4-01-01", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number("", 1900), UTIL_NO_DAY);
	CHECK_INT(util_day_number(NULL, 1900), UTIL_NO_DAY);
	/* the earliest year is the caller's: meters take 1900, surveys 1970 */
	CHECK_INT(util_day_number("1969-12-31", 1900), -1);
	CHECK_INT(util_day_number("1969-12-31", 1970), UTIL_NO_DAY);
	CHECK_INT(util_day_number("1899-12-31", 1900), UTIL_NO_DAY);
}

static void test_writers(void)
{
	char out[32];
	size_t n = util_put_u64(out, 0);
	out[n] = '\0';
	CHECK_STR(out, "0");
	n = util_put_u64(out, 1700000000);
	out[n] = '\0';
	CHECK_STR(out, "1700000000");
	n = util_put_u64(out, UINT64_MAX);
	out[n] = '\0';
	CHECK_STR(out, "18446744073709551615");
	CHECK_INT(n, 20);
	const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
	util_hex(bytes, sizeof bytes, out);
	CHECK_STR(out, "000fa5ff");
}

int main(void)
{
	test_days_known();
	test_days_round_trip();
	test_day_number_rejects();
	test_writers();
	return check_finish("test_util");
}
