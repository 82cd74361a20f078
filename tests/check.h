/* check.h — the tiny assertion harness every test program uses. A failed check
 * prints file:line and the expression and the program goes on; check_finish()
 * prints "N passed, N failed" and returns the exit status. */
#ifndef GS_CHECK_H
#define GS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                                                    \
	do {                                                                                                           \
		if (cond) {                                                                                            \
			check_passed++;                                                                                \
		} else {                                                                                               \
			check_failed++;                                                                                \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                       \
		}                                                                                                      \
	} while (0)

#define CHECK_INT(a, b)                                                                                                \
	do {                                                                                                           \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                                        \
		if (check_a_ == check_b_) {                                                                            \
			check_passed++;                                                                                \
		} else {                                                                                               \
			check_failed++;                                                                                \
			fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %lld, expected %lld\n", __FILE__, __LINE__,    \
				#a, check_a_, check_b_);                                                               \
		}                                                                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                                                                \
	do {                                                                                                           \
		const char *check_a_ = (a), *check_b_ = (b);                                                           \
		if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0) {                                         \
			check_passed++;                                                                                \
		} else {                                                                                               \
			check_failed++;                                                                                \
			fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", __FILE__,          \
				__LINE__, #a, check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");         \
		}                                                                                                      \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                                                    \
	do {                                                                                                           \
		const char *check_h_ = (hay), *check_n_ = (needle);                                                    \
		if (check_h_ && strstr(check_h_, check_n_)) {                                                          \
			check_passed++;                                                                                \
		} else {                                                                                               \
			check_failed++;                                                                                \
			fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: %s does not contain \"%s\"; it is: %.400s\n",   \
				__FILE__, __LINE__, #hay, check_n_, check_h_ ? check_h_ : "(null)");                   \
		}                                                                                                      \
	} while (0)

static inline int check_finish(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
