/*
 * ttl.c: tests for cache/ttl.c: first match wins, globs without case,
 * '\' as '/', the fallback, bad patterns refused.
 */
#include "cache/cache.h"
#include "util/err.h"

#include "../test.h"

static void test_first_match_wins(void)
{
    struct wmgw_cache_ttl fallback = {60000, 30000}, svc = {5000, 1000}, any_w32 = {20000, 0}, cls = {0, 0};
    struct wmgw_cache_ttl_rules *r = wmgw_cache_ttl_rules_new(&fallback);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, "root/cimv2:Win32_Service", &svc, NULL), 0);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, "root/*:win32_*", &any_w32, NULL), 0);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, "*:*Class?", &cls, NULL), 0);
    struct wmgw_cache_ttl t = wmgw_cache_ttl_find(r, "root/cimv2", "Win32_Service");
    CHECK_INT(t.fresh_ms, 5000);
    CHECK_INT(t.stale_ms, 1000);
    t = wmgw_cache_ttl_find(r, "ROOT\\CIMV2", "WIN32_SERVICE"); /* case and separator do not matter */
    CHECK_INT(t.fresh_ms, 5000);
    t = wmgw_cache_ttl_find(r, "root/cimv2", "Win32_Process");
    CHECK_INT(t.fresh_ms, 20000);
    t = wmgw_cache_ttl_find(r, "root/default", "StdRegProvClassA");
    CHECK_INT(t.fresh_ms, 0);
    t = wmgw_cache_ttl_find(r, "root/default", "StdRegProvClass"); /* '?' needs one byte */
    CHECK_INT(t.fresh_ms, 60000);
    t = wmgw_cache_ttl_find(r, "interop", "CIM_Foo");
    CHECK_INT(t.fresh_ms, 60000);
    CHECK_INT(t.stale_ms, 30000);
    t = wmgw_cache_ttl_find(r, "root/cimv2", NULL); /* a query: the class is "" */
    CHECK_INT(t.fresh_ms, 60000);
    wmgw_cache_ttl_rules_free(r);
}

static void test_globs(void)
{
    struct wmgw_cache_ttl a = {1, 0}, fb = {2, 0};
    struct wmgw_cache_ttl_rules *r = wmgw_cache_ttl_rules_new(&fb);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, "*:a*b*c", &a, NULL), 0);
    CHECK_INT(wmgw_cache_ttl_find(r, "x", "abc").fresh_ms, 1);
    CHECK_INT(wmgw_cache_ttl_find(r, "x", "aXXbYYc").fresh_ms, 1);
    CHECK_INT(wmgw_cache_ttl_find(r, "x", "abcabd").fresh_ms, 2);
    CHECK_INT(wmgw_cache_ttl_find(r, "x", "abcbc").fresh_ms, 1);
    CHECK_INT(wmgw_cache_ttl_find(r, "", "ac").fresh_ms, 2);
    wmgw_cache_ttl_rules_free(r);
}

static void test_bad_patterns(void)
{
    struct wmgw_cache_ttl a = {1, 0};
    struct wmgw_err err;
    struct wmgw_cache_ttl_rules *r = wmgw_cache_ttl_rules_new(NULL);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, "root/cimv2", &a, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "namespace-glob:class-glob") != NULL);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, "a:b:c", &a, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, NULL, &a, &err), WMGW_EINVAL);
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[3] = ':';
    CHECK_INT(wmgw_cache_ttl_rules_add(r, big, &a, &err), WMGW_EINVAL);
    for (int i = 0; i < 256; i++)
        CHECK_INT(wmgw_cache_ttl_rules_add(r, "a:b", &a, NULL), 0);
    CHECK_INT(wmgw_cache_ttl_rules_add(r, "a:b", &a, &err), WMGW_ETOOBIG);
    CHECK_INT(wmgw_cache_ttl_find(r, "q", "q").fresh_ms, 0); /* no fallback given: 0, not cached */
    wmgw_cache_ttl_rules_free(r);
}

int main(void)
{
    WMGW_TEST_RUN(test_first_match_wins);
    WMGW_TEST_RUN(test_globs);
    WMGW_TEST_RUN(test_bad_patterns);
    return WMGW_TEST_DONE();
}
