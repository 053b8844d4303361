/*
 * utf8.c: tests for util/utf8.c: valid ranges at their edges, overlongs,
 * surrogates, truncation, and the maximal-subpart lengths that decide how
 * many U+FFFD a writer emits.
 */
#include "util/utf8.h"

#include "../test.h"

static size_t next(const char *s, size_t len, uint32_t *cp)
{
    return wmgw_utf8_next(s, len, cp);
}

static void test_valid_edges(void)
{
    static const struct {
        const char *s;
        uint32_t cp;
    } ok[] = {{"\x00", 0},           {"\x7F", 0x7F},           {"\xC2\x80", 0x80},        {"\xDF\xBF", 0x7FF},
              {"\xE0\xA0\x80", 0x800}, {"\xED\x9F\xBF", 0xD7FF}, {"\xEE\x80\x80", 0xE000}, {"\xEF\xBF\xBF", 0xFFFF},
              {"\xF0\x90\x80\x80", 0x10000}, {"\xF4\x8F\xBF\xBF", 0x10FFFF}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        size_t len = ok[i].cp == 0 ? 1 : strlen(ok[i].s);
        uint32_t cp;
        CHECK_INT(next(ok[i].s, len, &cp), len);
        CHECK_INT(cp, ok[i].cp);
        char b[4];
        CHECK_INT(wmgw_utf8_put(b, ok[i].cp), len);
        CHECK(memcmp(b, ok[i].s, len) == 0);
    }
}

static void test_ill_formed(void)
{
    static const struct {
        const char *s;
        size_t sub; /* maximal subpart length */
    } bad[] = {
        {"\x80", 1},             /* lone continuation */
        {"\xC0\x80", 1},         /* overlong NUL */
        {"\xC1\xBF", 1},         /* overlong */
        {"\xE0\x80\x80", 1},     /* overlong: second byte out of range */
        {"\xED\xA0\x80", 1},     /* surrogate D800 */
        {"\xF0\x80\x80\x80", 1}, /* overlong */
        {"\xF4\x90\x80\x80", 1}, /* above U+10FFFF */
        {"\xF5\x80\x80\x80", 1},
        {"\xFF", 1},
        {"\xE2\x82", 2},         /* truncated three-byte */
        {"\xE2\x82x", 2},
        {"\xF0\x9F\x98", 3},     /* truncated four-byte */
        {"\xC3", 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t cp = 0;
        CHECK_INT(next(bad[i].s, strlen(bad[i].s), &cp), bad[i].sub);
        CHECK(cp == WMGW_UTF8_BAD);
        CHECK(!wmgw_utf8_valid(bad[i].s, strlen(bad[i].s)));
    }
}

static void test_valid_strings(void)
{
    CHECK(wmgw_utf8_valid("", 0));
    CHECK(wmgw_utf8_valid("plain ascii", 11));
    CHECK(wmgw_utf8_valid("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80", 15));
    /* len bounds the read: a truncated sequence at the end is invalid */
    CHECK(!wmgw_utf8_valid("\xC3\xA9", 1));
}

int main(void)
{
    WMGW_TEST_RUN(test_valid_edges);
    WMGW_TEST_RUN(test_ill_formed);
    WMGW_TEST_RUN(test_valid_strings);
    return WMGW_TEST_DONE();
}
