/*
 * url.c: tests for util/url.c, percent-encoding of path segments and
 * query values: the unreserved set, every byte round trip, malformed
 * escapes, NUL, the '+' rule and bounded buffers.
 */
#include "util/url.h"
#include "util/buf.h"
#include "util/err.h"

#include "../test.h"

static char *enc(const char *s, size_t len)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 16);
    CHECK_INT(wmgw_url_encode(&b, s, len), 0);
    return wmgw_buf_steal(&b, NULL);
}

static int dec(const char *s, char **out)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 16);
    int rc = wmgw_url_decode(s, strlen(s), &b);
    *out = rc == 0 ? wmgw_buf_steal(&b, NULL) : NULL;
    wmgw_buf_dispose(&b);
    return rc;
}

static void test_encode_examples(void)
{
    char *s = enc("NT AUTHORITY\\SYSTEM", 19);
    CHECK_STR(s, "NT%20AUTHORITY%5CSYSTEM");
    free(s);
    s = enc("root/cimv2", 10);
    CHECK_STR(s, "root%2Fcimv2");
    free(s);
    s = enc("a,b=c%d+e&f?g#h@i", 17);
    CHECK_STR(s, "a%2Cb%3Dc%25d%2Be%26f%3Fg%23h%40i");
    free(s);
    s = enc("AZaz09-._~", 10);
    CHECK_STR(s, "AZaz09-._~");
    free(s);
    s = enc("\xC3\xA9", 2); /* é */
    CHECK_STR(s, "%C3%A9");
    free(s);
    s = enc("", 0);
    CHECK_STR(s, "");
    free(s);
}

static void test_unreserved_set(void)
{
    int n = 0;
    for (int c = 0; c < 256; c++)
        n += wmgw_url_is_unreserved((char)c);
    CHECK_INT(n, 26 + 26 + 10 + 4);
    CHECK(!wmgw_url_is_unreserved('%'));
    CHECK(!wmgw_url_is_unreserved('/'));
    CHECK(wmgw_url_is_unreserved('~'));
}

static void test_every_byte_round_trips(void)
{
    char all[255];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    char *e = enc(all, sizeof(all));
    for (const char *p = e; *p; p++)
        CHECK(wmgw_url_is_unreserved(*p) || *p == '%');
    char *d = NULL;
    CHECK_INT(dec(e, &d), 0);
    CHECK(d != NULL && memcmp(d, all, sizeof(all)) == 0);
    free(e);
    free(d);
}

static void test_decode(void)
{
    char *d;
    CHECK_INT(dec("NT%20AUTHORITY%5cSYSTEM", &d), 0); /* lower-case hex too */
    CHECK_STR(d, "NT AUTHORITY\\SYSTEM");
    free(d);
    CHECK_INT(dec("a+b", &d), 0); /* '+' is literal in a path segment */
    CHECK_STR(d, "a+b");
    free(d);
    CHECK_INT(dec("", &d), 0);
    CHECK_STR(d, "");
    free(d);
    CHECK_INT(dec("%41%42C", &d), 0);
    CHECK_STR(d, "ABC");
    free(d);
}

static void test_decode_rejects(void)
{
    char *d;
    CHECK_INT(dec("%", &d), WMGW_EINVAL);
    CHECK_INT(dec("%4", &d), WMGW_EINVAL);
    CHECK_INT(dec("abc%", &d), WMGW_EINVAL);
    CHECK_INT(dec("%G0", &d), WMGW_EINVAL);
    CHECK_INT(dec("%0G", &d), WMGW_EINVAL);
    CHECK_INT(dec("%%", &d), WMGW_EINVAL);
    CHECK_INT(dec("a%00b", &d), WMGW_EINVAL);
    CHECK_INT(dec("%-1", &d), WMGW_EINVAL);
    /* raw NUL inside the length */
    struct wmgw_buf b;
    wmgw_buf_init(&b, 100);
    CHECK_INT(wmgw_url_decode("a\0b", 3, &b), WMGW_EINVAL);
    wmgw_buf_dispose(&b);
}

static void test_decode_not_past_len(void)
{
    /* "%4" followed by bytes outside len must not be read as an escape. */
    struct wmgw_buf b;
    wmgw_buf_init(&b, 100);
    CHECK_INT(wmgw_url_decode("ab%41", 4, &b), WMGW_EINVAL);
    CHECK_INT(wmgw_url_decode("ab%41", 2, &b), 0);
    CHECK_STR(b.data, "ab");
    wmgw_buf_dispose(&b);
}

static void test_query(void)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 100);
    CHECK_INT(wmgw_url_decode_query("a+b%2Bc", 7, &b), 0);
    CHECK_STR(b.data, "a b+c");
    wmgw_buf_dispose(&b);
}

static void test_bounded_and_restored(void)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 8);
    CHECK_INT(wmgw_buf_addstr(&b, "xy"), 0);
    CHECK_INT(wmgw_url_encode(&b, "   ", 3), WMGW_ETOOBIG); /* 9 bytes > 6 left */
    CHECK_STR(b.data, "xy");
    CHECK_INT(wmgw_url_decode("abc%ZZ", 6, &b), WMGW_EINVAL);
    CHECK_STR(b.data, "xy");
    CHECK_INT(wmgw_url_decode("abcdefgh", 8, &b), WMGW_ETOOBIG);
    CHECK_STR(b.data, "xy");
    CHECK_INT(b.len, 2);
    wmgw_buf_dispose(&b);
}

int main(void)
{
    WMGW_TEST_RUN(test_encode_examples);
    WMGW_TEST_RUN(test_unreserved_set);
    WMGW_TEST_RUN(test_every_byte_round_trips);
    WMGW_TEST_RUN(test_decode);
    WMGW_TEST_RUN(test_decode_rejects);
    WMGW_TEST_RUN(test_decode_not_past_len);
    WMGW_TEST_RUN(test_query);
    WMGW_TEST_RUN(test_bounded_and_restored);
    return WMGW_TEST_DONE();
}
