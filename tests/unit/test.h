/*
 * test.h: the unit-test harness, one header, no library.
 *
 * A test file defines `static void test_<name>(void)` functions and lists
 * them in main() with WMGW_TEST_RUN(test_<name>).  Each CHECK that fails
 * prints file:line and the expression, the run continues, and main returns
 * non-zero when anything failed.  The last line is "N passed, N failed",
 * which ctest shows and CI reads.
 */
#ifndef WMGW_TESTS_UNIT_TEST_H
#define WMGW_TESTS_UNIT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int wmgw_test__failed_checks;
static int wmgw_test__passed, wmgw_test__failed;

#define CHECK(expr)                                                                                  \
    do {                                                                                             \
        if (!(expr)) {                                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr);                 \
            wmgw_test__failed_checks++;                                                              \
        }                                                                                            \
    } while (0)

#define CHECK_INT(a, b)                                                                              \
    do {                                                                                             \
        long long wmgw__a = (long long)(a), wmgw__b = (long long)(b);                                \
        if (wmgw__a != wmgw__b) {                                                                    \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,      \
                    wmgw__a, #b, wmgw__b);                                                           \
            wmgw_test__failed_checks++;                                                              \
        }                                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                                              \
    do {                                                                                             \
        const char *wmgw__a = (a), *wmgw__b = (b);                                                   \
        if (wmgw__a == NULL || wmgw__b == NULL || strcmp(wmgw__a, wmgw__b) != 0) {                   \
            fprintf(stderr, "%s:%d: %s\n    got:      \"%s\"\n    expected: \"%s\"\n", __FILE__,     \
                    __LINE__, #a, wmgw__a ? wmgw__a : "(null)", wmgw__b ? wmgw__b : "(null)");       \
            wmgw_test__failed_checks++;                                                              \
        }                                                                                            \
    } while (0)

#define WMGW_TEST_RUN(fn)                                                                            \
    do {                                                                                             \
        int wmgw__before = wmgw_test__failed_checks;                                                 \
        fn();                                                                                        \
        if (wmgw_test__failed_checks == wmgw__before) {                                              \
            wmgw_test__passed++;                                                                     \
            printf("ok - %s\n", #fn);                                                                \
        } else {                                                                                     \
            wmgw_test__failed++;                                                                     \
            printf("not ok - %s\n", #fn);                                                            \
        }                                                                                            \
    } while (0)

#define WMGW_TEST_DONE()                                                                             \
    (printf("%d passed, %d failed\n", wmgw_test__passed, wmgw_test__failed), wmgw_test__failed ? 1 : 0)

/* Directory of the shared captures (../shared/captures seen from the
 * checkout), or NULL when absent: tests that need it skip cleanly. */
static inline const char *wmgw_test_captures_dir(void)
{
    const char *d = getenv("WMGW_CAPTURES");
    return d && *d ? d : NULL;
}

#endif
