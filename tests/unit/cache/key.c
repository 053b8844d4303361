/*
 * key.c: tests for cache/key.c: the encoding is reversible (so two
 * different keys never encode alike), every field (the credential above
 * all) changes the digest, field boundaries cannot be forged, the host
 * stays readable, limits hold.
 */
#include "cache/cache_int.h"
#include "util/err.h"

#include "../test.h"

static struct wmgw__key_view view; /* large: not on the stack */

static void digest(const struct wmgw_cache_key *k, char out[WMGW_CACHE_DIGEST_HEX + 1])
{
    struct wmgw__ckey ck;
    CHECK_INT(wmgw__key_make(k, &ck, NULL), 0);
    memcpy(out, ck.digest, WMGW_CACHE_DIGEST_HEX + 1);
}

static bool same_digest(const struct wmgw_cache_key *a, const struct wmgw_cache_key *b)
{
    char da[WMGW_CACHE_DIGEST_HEX + 1], db[WMGW_CACHE_DIGEST_HEX + 1];
    digest(a, da);
    digest(b, db);
    return strcmp(da, db) == 0;
}

static bool bytes_is(struct wmgw_cache_bytes b, const char *s)
{
    return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

static void test_round_trip(void)
{
    const char *props[] = {"Name", "State"};
    const char *params[] = {"filter=State='Running'", "limit=10"};
    struct wmgw_cache_key k = {.host = "dc01", .ns = "root/cimv2", .kind = WMGW_CACHE_QUERY,
                               .target = "SELECT * FROM Win32_Service", .props = props, .nprops = 2,
                               .params = params, .nparams = 2, .credential = "cred-7"};
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    CHECK_INT(wmgw__key_encode(&k, &b, NULL), 0);
    struct wmgw_err err;
    CHECK_INT(wmgw__key_decode(b.data, b.len, &view, &err), 0);
    CHECK(bytes_is(view.host, "dc01"));
    CHECK(bytes_is(view.ns, "root/cimv2"));
    CHECK_INT(view.kind, WMGW_CACHE_QUERY);
    CHECK(bytes_is(view.target, "SELECT * FROM Win32_Service"));
    CHECK(bytes_is(view.credential, "cred-7"));
    CHECK_INT(view.nprops, 2);
    CHECK(bytes_is(view.props[1], "State"));
    CHECK_INT(view.nparams, 2);
    CHECK(bytes_is(view.params[0], "filter=State='Running'"));
    /* trailing or missing bytes are refused, with a position */
    CHECK_INT(wmgw__key_decode(b.data, b.len - 1, &view, &err), WMGW_EINVAL);
    CHECK(err.position >= 0);
    CHECK_INT(wmgw_buf_addc(&b, 'x'), 0);
    CHECK_INT(wmgw__key_decode(b.data, b.len, &view, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "after the last field") != NULL);
    wmgw_buf_dispose(&b);
}

static void test_every_field_counts(void)
{
    const char *p1[] = {"Name"}, *p2[] = {"Name", "State"}, *p3[] = {"State", "Name"};
    const char *q1[] = {"limit=10"};
    struct wmgw_cache_key base = {.host = "dc01", .ns = "root/cimv2", .kind = WMGW_CACHE_ENUMERATION,
                                  .target = "Win32_Service", .props = p2, .nprops = 2, .credential = "alice"};
    struct wmgw_cache_key k = base;
    CHECK(same_digest(&base, &k));
    k.credential = "bob"; /* another backend identity: never shared */
    CHECK(!same_digest(&base, &k));
    k = base, k.credential = NULL;
    CHECK(!same_digest(&base, &k));
    k = base, k.host = "dc02";
    CHECK(!same_digest(&base, &k));
    k = base, k.ns = "root/default";
    CHECK(!same_digest(&base, &k));
    k = base, k.kind = WMGW_CACHE_INSTANCE;
    CHECK(!same_digest(&base, &k));
    k = base, k.target = "Win32_Process";
    CHECK(!same_digest(&base, &k));
    k = base, k.props = p1, k.nprops = 1;
    CHECK(!same_digest(&base, &k));
    k = base, k.props = p3; /* another order is another key (never a wrong answer) */
    CHECK(!same_digest(&base, &k));
    k = base, k.nprops = 0, k.props = NULL;
    CHECK(!same_digest(&base, &k));
    k = base, k.params = q1, k.nparams = 1;
    CHECK(!same_digest(&base, &k));
    /* NULL and "" are the same string */
    struct wmgw_cache_key a = {.host = "h", .ns = NULL, .target = "x"}, b2 = {.host = "h", .ns = "", .target = "x"};
    CHECK(same_digest(&a, &b2));
}

static void test_no_forged_boundaries(void)
{
    /* separators cannot move bytes between fields or list items */
    const char *ab[] = {"a,b"}, *a_b[] = {"a", "b"};
    struct wmgw_cache_key k1 = {.host = "h", .target = "x", .props = ab, .nprops = 1};
    struct wmgw_cache_key k2 = {.host = "h", .target = "x", .props = a_b, .nprops = 2};
    CHECK(!same_digest(&k1, &k2));
    struct wmgw_cache_key k3 = {.host = "h", .ns = "root", .target = "cimv2x"};
    struct wmgw_cache_key k4 = {.host = "h", .ns = "rootcimv2", .target = "x"};
    CHECK(!same_digest(&k3, &k4));
    /* the credential cannot be smuggled into the target */
    struct wmgw_cache_key k5 = {.host = "h", .target = "Win32_Service", .credential = "alice"};
    struct wmgw_cache_key k6 = {.host = "h", .target = "Win32_Service\x05alice", .credential = ""};
    CHECK(!same_digest(&k5, &k6));
    const char *pq[] = {"x"};
    struct wmgw_cache_key k7 = {.host = "h", .target = "t", .props = pq, .nprops = 1};
    struct wmgw_cache_key k8 = {.host = "h", .target = "t", .params = pq, .nparams = 1};
    CHECK(!same_digest(&k7, &k8));
}

static void test_host_readable(void)
{
    char out[WMGW_CACHE_HOST_MAX * 3 + 1];
    CHECK_INT(wmgw__key_host("dc01.corp.example", out, NULL), 0);
    CHECK_STR(out, "dc01.corp.example");
    CHECK_INT(wmgw__key_host("a:b%c d", out, NULL), 0);
    CHECK_STR(out, "a%3Ab%25c%20d"); /* never a ':' (the separator) and reversible */
    CHECK_INT(wmgw__key_host("", out, NULL), WMGW_EINVAL);
    char big[WMGW_CACHE_HOST_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT(wmgw__key_host(big, out, NULL), WMGW_EINVAL);
    big[WMGW_CACHE_HOST_MAX] = '\0';
    CHECK_INT(wmgw__key_host(big, out, NULL), 0);
    struct wmgw__ckey ck;
    struct wmgw_cache_key k = {.host = "dc01", .target = "x"};
    CHECK_INT(wmgw__key_make(&k, &ck, NULL), 0);
    CHECK_STR(ck.host, "dc01");
    CHECK_INT(strlen(ck.digest), WMGW_CACHE_DIGEST_HEX);
}

static void test_limits(void)
{
    struct wmgw_err err;
    struct wmgw__ckey ck;
    char *big = malloc(WMGW_CACHE_FIELD_MAX + 2);
    memset(big, 'q', WMGW_CACHE_FIELD_MAX + 1);
    big[WMGW_CACHE_FIELD_MAX + 1] = '\0';
    struct wmgw_cache_key k = {.host = "h", .target = big};
    CHECK_INT(wmgw__key_make(&k, &ck, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "target") != NULL);
    big[WMGW_CACHE_FIELD_MAX] = '\0';
    CHECK_INT(wmgw__key_make(&k, &ck, &err), 0);
    free(big);
    const char *many[WMGW_CACHE_LIST_MAX + 1];
    for (int i = 0; i <= WMGW_CACHE_LIST_MAX; i++)
        many[i] = "p";
    k = (struct wmgw_cache_key){.host = "h", .props = many, .nprops = WMGW_CACHE_LIST_MAX + 1};
    CHECK_INT(wmgw__key_make(&k, &ck, &err), WMGW_EINVAL);
    k.nprops = WMGW_CACHE_LIST_MAX;
    CHECK_INT(wmgw__key_make(&k, &ck, &err), 0);
    k = (struct wmgw_cache_key){.host = "h", .kind = (enum wmgw_cache_kind)99};
    CHECK_INT(wmgw__key_make(&k, &ck, &err), WMGW_EINVAL);
    k = (struct wmgw_cache_key){.host = NULL};
    CHECK_INT(wmgw__key_make(&k, &ck, &err), WMGW_EINVAL);
    CHECK_STR(wmgw_cache_kind_name(WMGW_CACHE_ASSOCIATORS), "associators");
}

int main(void)
{
    WMGW_TEST_RUN(test_round_trip);
    WMGW_TEST_RUN(test_every_field_counts);
    WMGW_TEST_RUN(test_no_forged_boundaries);
    WMGW_TEST_RUN(test_host_readable);
    WMGW_TEST_RUN(test_limits);
    return WMGW_TEST_DONE();
}
