/*
 * Tests of gateway/cursor.c: round trip, forgery, expiry, malformed input.
 */
#include "gateway/cursor.h"
#include "tests/unit/test.h"
#include "util/buf.h"
#include "util/err.h"

#include <time.h>

static const unsigned char key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static char *issue(const char *backend, int64_t expires)
{
    struct wmgw_cursor c = {.host = "dc01", .namespace_ = "root/cimv2", .scope = "Win32_Service",
                            .where = "State = 'Running'", .select = "Name,State", .backend = (char *)backend,
                            .expires = expires};
    struct wmgw_buf b;
    wmgw_buf_init(&b, 8192);
    CHECK_INT(wmgw_cursor_format(&b, key, &c), 0);
    return wmgw_buf_steal(&b, NULL);
}

static void test_round_trip(void)
{
    char *t = issue("wsman:uuid:1234", (int64_t)time(NULL) + 60);
    struct wmgw_cursor c;
    struct wmgw_err err;
    CHECK_INT(wmgw_cursor_parse(t, key, &c, &err), 0);
    CHECK_STR(c.host, "dc01");
    CHECK_STR(c.where, "State = 'Running'");
    CHECK_STR(c.backend, "wsman:uuid:1234");
    CHECK(strchr(t, '+') == NULL && strchr(t, '/') == NULL && strchr(t, '=') == NULL); /* URL-safe */
    wmgw_cursor_dispose(&c);
    free(t);
}

static void test_forgery_and_expiry(void)
{
    struct wmgw_cursor c;
    struct wmgw_err err;
    char *t = issue("ctx", (int64_t)time(NULL) + 60);
    /* Any changed byte breaks the signature. */
    for (size_t i = 0; t[i]; i++) {
        char saved = t[i];
        t[i] = saved == 'A' ? 'B' : 'A';
        int rc = wmgw_cursor_parse(t, key, &c, &err);
        CHECK(rc != 0);
        if (rc == 0)
            wmgw_cursor_dispose(&c);
        t[i] = saved;
    }
    unsigned char other[32] = {0};
    CHECK_INT(wmgw_cursor_parse(t, other, &c, &err), WMGW_EINVAL);
    free(t);
    t = issue("ctx", (int64_t)time(NULL) - 1);
    CHECK_INT(wmgw_cursor_parse(t, key, &c, &err), WMGW_EGONE);
    free(t);
    static const char *const junk[] = {"", ".", "abc", "a.b", "%%%.%%%", "YQ.YQ", "eyJ9.AAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        CHECK_INT(wmgw_cursor_parse(junk[i], key, &c, &err), WMGW_EINVAL);
}

int main(void)
{
    WMGW_TEST_RUN(test_round_trip);
    WMGW_TEST_RUN(test_forgery_and_expiry);
    return WMGW_TEST_DONE();
}
