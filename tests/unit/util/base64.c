/*
 * base64.c: tests for util/base64.c: the RFC 4648 section 10 vectors in both
 * alphabets, round trips of every length up to 64, and the non-canonical
 * spellings that must be refused.
 */
#include "util/base64.h"
#include "util/err.h"

#include "../test.h"

static const char *enc(const char *s, enum wmgw_base64_alphabet a)
{
    static char last[128];
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1024);
    CHECK_INT(wmgw_base64_encode(&b, s, strlen(s), a), 0);
    CHECK_INT(b.len, wmgw_base64_encoded_len(strlen(s), a));
    snprintf(last, sizeof(last), "%s", b.data != NULL ? b.data : "");
    wmgw_buf_dispose(&b);
    return last;
}

static int dec(const char *s, enum wmgw_base64_alphabet a, char *out, size_t cap)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1024);
    int rc = wmgw_base64_decode(&b, s, strlen(s), a);
    if (rc == 0)
        snprintf(out, cap, "%.*s", (int)b.len, b.data != NULL ? b.data : "");
    wmgw_buf_dispose(&b);
    return rc;
}

static void test_rfc4648_vectors(void)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[64];
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        CHECK_STR(enc(plain[i], WMGW_BASE64_STD), std[i]);
        CHECK_STR(enc(plain[i], WMGW_BASE64_URL), url[i]);
        CHECK_INT(dec(std[i], WMGW_BASE64_STD, out, sizeof(out)), 0);
        CHECK_STR(out, plain[i]);
        CHECK_INT(dec(url[i], WMGW_BASE64_URL, out, sizeof(out)), 0);
        CHECK_STR(out, plain[i]);
    }
}

static void test_alphabets_differ(void)
{
    static const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64);
    CHECK_INT(wmgw_base64_encode(&b, bytes, 3, WMGW_BASE64_STD), 0);
    CHECK_STR(b.data, "+/+/");
    wmgw_buf_reset(&b);
    CHECK_INT(wmgw_base64_encode(&b, bytes, 3, WMGW_BASE64_URL), 0);
    CHECK_STR(b.data, "-_-_");
    wmgw_buf_dispose(&b);
    char out[16];
    CHECK_INT(dec("-_-_", WMGW_BASE64_STD, out, sizeof(out)), WMGW_EINVAL);
    CHECK_INT(dec("+/+/", WMGW_BASE64_URL, out, sizeof(out)), WMGW_EINVAL);
}

static void test_round_trip_every_length(void)
{
    unsigned char src[64];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char)(i * 37 + 11);
    for (int a = WMGW_BASE64_STD; a <= WMGW_BASE64_URL; a++)
        for (size_t n = 0; n <= sizeof(src); n++) {
            struct wmgw_buf e, d;
            wmgw_buf_init(&e, 256);
            wmgw_buf_init(&d, 256);
            CHECK_INT(wmgw_base64_encode(&e, src, n, (enum wmgw_base64_alphabet)a), 0);
            CHECK_INT(wmgw_base64_decode(&d, e.data != NULL ? e.data : "", e.len, (enum wmgw_base64_alphabet)a), 0);
            CHECK_INT(d.len, n);
            CHECK(n == 0 || memcmp(d.data, src, n) == 0);
            wmgw_buf_dispose(&e);
            wmgw_buf_dispose(&d);
        }
}

static void test_refuses_non_canonical(void)
{
    char out[16];
    static const char *bad_std[] = {"Zg=", "Zg", "Zh==", "Zm9=", "Z===", "Zg==Zg==", "Zm 9v", "Zm9v\n", "=Zm9",
                                    "Zm8==", "Zm=v"};
    for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
        CHECK_INT(dec(bad_std[i], WMGW_BASE64_STD, out, sizeof(out)), WMGW_EINVAL);
    static const char *bad_url[] = {"Zg==", "Z", "Zh", "Zm9", "Zm9v=", "Zm9v Yg"};
    for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
        CHECK_INT(dec(bad_url[i], WMGW_BASE64_URL, out, sizeof(out)), WMGW_EINVAL);
}

static void test_limit(void)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 3);
    CHECK_INT(wmgw_base64_encode(&b, "foo", 3, WMGW_BASE64_STD), WMGW_ETOOBIG);
    CHECK_INT(wmgw_base64_decode(&b, "Zm9vYmFy", 8, WMGW_BASE64_STD), WMGW_ETOOBIG);
    wmgw_buf_dispose(&b);
}

int main(void)
{
    WMGW_TEST_RUN(test_rfc4648_vectors);
    WMGW_TEST_RUN(test_alphabets_differ);
    WMGW_TEST_RUN(test_round_trip_every_length);
    WMGW_TEST_RUN(test_refuses_non_canonical);
    WMGW_TEST_RUN(test_limit);
    return WMGW_TEST_DONE();
}
