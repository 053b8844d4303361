/*
 * entry.c: tests for cache/entry.c, the header of entries kept in Redis:
 * what we write reads back, and every malformed header is refused with a
 * position.
 */
#include "cache/cache_int.h"
#include "util/err.h"

#include "../test.h"

static void test_round_trip(void)
{
    char hdr[WMGW__ENTRY_HEADER_MAX], buf[128];
    struct wmgw__entry_header h = {1764000000000ull, 1764000005000ull, 1764000065000ull}, back;
    size_t n = wmgw__entry_header_format(&h, hdr);
    CHECK_INT(n, strlen("c1 1764000000000 1764000005000 1764000065000\n"));
    memcpy(buf, hdr, n);
    memcpy(buf + n, "{\"items\":[]}", 12);
    size_t body = 0;
    CHECK_INT(wmgw__entry_parse(buf, n + 12, &back, &body, NULL), 0);
    CHECK_INT(body, n);
    CHECK(back.stored_ms == h.stored_ms && back.fresh_until_ms == h.fresh_until_ms &&
          back.stale_until_ms == h.stale_until_ms);
    CHECK_INT(wmgw__entry_parse("c1 0 0 0\n", 9, &back, &body, NULL), 0);
    CHECK_INT(body, 9);
}

static void test_malformed(void)
{
    static const char *bad[] = {
        "",
        "c2 1 2 3\n",
        "c1 1 2 3",          /* no newline */
        "c1  1 2 3\n",       /* two spaces */
        "c1 01 2 3\n",       /* leading zero */
        "c1 1 2\n",          /* a number missing */
        "c1 1 2 3 4\n",
        "c1 -1 2 3\n",
        "c1 1 2 1234567890123456\n", /* 16 digits */
        "c1 3 2 4\n",        /* stored after fresh-until */
        "c1 1 5 4\n",        /* fresh-until after stale-until */
        "c1 1 2 3\r\n",
        "C1 1 2 3\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wmgw__entry_header h;
        struct wmgw_err err = {0};
        size_t body;
        int rc = wmgw__entry_parse(bad[i], strlen(bad[i]), &h, &body, &err);
        if (rc != WMGW_EINVAL)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK_INT(rc, WMGW_EINVAL);
        CHECK(err.position >= 0 && strstr(err.message, "cache entry") != NULL);
    }
}

int main(void)
{
    WMGW_TEST_RUN(test_round_trip);
    WMGW_TEST_RUN(test_malformed);
    return WMGW_TEST_DONE();
}
