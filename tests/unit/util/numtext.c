/*
 * numtext.c: tests for util/numtext.c: shortest round-trip reals in both
 * widths, the JavaScript-like layout, extremes, and a foreign LC_NUMERIC
 * (if the system has one) changing nothing.
 */
#include "util/numtext.h"
#include "util/err.h"

#include <float.h>
#include <locale.h>
#include <math.h>

#include "../test.h"

static const char *fmt(double r, bool single)
{
    static char b[WMGW_REAL_TEXT_MAX];
    size_t n = wmgw_real_format(b, r, single);
    CHECK_INT(n, strlen(b));
    return b;
}

static void test_layout(void)
{
    CHECK_STR(fmt(0.5, false), "0.5");
    CHECK_STR(fmt(100, false), "100.0");
    CHECK_STR(fmt(0, false), "0.0");
    CHECK_STR(fmt(-0.0, false), "-0.0");
    CHECK_STR(fmt(-2.5, false), "-2.5");
    CHECK_STR(fmt(0.1, false), "0.1");
    CHECK_STR(fmt(1e21, false), "1e+21");
    CHECK_STR(fmt(1e20, false), "100000000000000000000.0");
    CHECK_STR(fmt(1.5e-7, false), "1.5e-7");
    CHECK_STR(fmt(0.000001, false), "0.000001");
    CHECK_STR(fmt(1e300, false), "1e+300");
    CHECK_STR(fmt(123456.789, false), "123456.789");
    CHECK_STR(fmt(0.1 + 0.2, false), "0.30000000000000004");
    CHECK_STR(fmt(DBL_MAX, false), "1.7976931348623157e+308");
    CHECK_STR(fmt(5e-324, false), "5e-324");
    CHECK_STR(fmt(9007199254740993.0, false), "9007199254740992.0");
}

static void test_single(void)
{
    CHECK_STR(fmt((double)FLT_MAX, true), "3.4028235e+38");
    CHECK_STR(fmt((double)0.1f, true), "0.1");
    CHECK_STR(fmt((double)0.1f, false), "0.10000000149011612");
    CHECK_STR(fmt((double)1.17549435e-38f, true), "1.1754944e-38");
    CHECK_STR(fmt((double)16777217.0f, true), "16777216.0");
    char b[WMGW_REAL_TEXT_MAX];
    CHECK_INT(wmgw_real_format(b, 1e39, true), 0);
    CHECK_INT(wmgw_real_format(b, NAN, false), 0);
    CHECK_INT(wmgw_real_format(b, INFINITY, false), 0);
}

static void test_round_trip_many(void)
{
    /* A deterministic walk over many bit patterns. */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double r;
        memcpy(&r, &x, sizeof(r));
        if (!isfinite(r))
            continue;
        double back;
        const char *t = fmt(r, false);
        CHECK_INT(wmgw_real_parse(t, strlen(t), &back), 0);
        CHECK(back == r);
        float f;
        uint32_t y = (uint32_t)x;
        memcpy(&f, &y, sizeof(f));
        if (!isfinite(f))
            continue;
        t = fmt((double)f, true);
        CHECK_INT(wmgw_real_parse(t, strlen(t), &back), 0);
        CHECK((float)back == f);
    }
}

static void test_parse(void)
{
    double r;
    CHECK_INT(wmgw_real_parse("1.5", 3, &r), 0);
    CHECK(r == 1.5);
    CHECK_INT(wmgw_real_parse(".5", 2, &r), 0);
    CHECK(r == 0.5);
    CHECK_INT(wmgw_real_parse("-1e+3", 5, &r), 0);
    CHECK(r == -1000);
    CHECK_INT(wmgw_real_parse("+7", 2, &r), 0);
    CHECK(r == 7);
    CHECK_INT(wmgw_real_parse("1.5xyz", 3, &r), 0); /* len bounds the read */
    static const char *bad[] = {"", "-", ".", "1.", "1e", "1e+", "0x10", "inf", "nan", " 1", "1 ", "1e999", "--1", "1,5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT(wmgw_real_parse(bad[i], strlen(bad[i]), &r), WMGW_EINVAL);
}

static void test_foreign_locale(void)
{
    static const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < 4 && got == NULL; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    CHECK_STR(fmt(1.5, false), "1.5");
    double r;
    CHECK_INT(wmgw_real_parse("2.25", 4, &r), 0);
    CHECK(r == 2.25);
    setlocale(LC_NUMERIC, "C");
    if (got == NULL)
        printf("# no foreign locale installed; tested with C only\n");
}

int main(void)
{
    WMGW_TEST_RUN(test_layout);
    WMGW_TEST_RUN(test_single);
    WMGW_TEST_RUN(test_round_trip_many);
    WMGW_TEST_RUN(test_parse);
    WMGW_TEST_RUN(test_foreign_locale);
    return WMGW_TEST_DONE();
}
