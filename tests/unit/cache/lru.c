/*
 * lru.c: tests for cache/lru.c: the bound counts keys, values and
 * overheads; eviction goes from the least recently used end; an entry
 * that cannot fit alone is refused; replacing a key frees the old one.
 */
#include "cache/lru.h"
#include "util/err.h"

#include "../test.h"

static struct wmgw_cache_value *val(size_t n, char fill)
{
    char *p = malloc(n);
    memset(p, fill, n);
    struct wmgw_cache_value *v = wmgw__value_copy(p, n);
    free(p);
    return v;
}

static void test_bound_and_order(void)
{
    size_t each = wmgw__lru_charge(4, 1000);
    struct wmgw__lru l;
    wmgw__lru_init(&l, 10 * each + 16 * sizeof(void *)); /* ten entries and the first bucket array */
    size_t evicted = 0, total = 0;
    char key[8];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "k%03d", i);
        struct wmgw_cache_value *v = val(1000, (char)('a' + i));
        CHECK_INT(wmgw__lru_put(&l, key, 4, v, 1, 2, 3, &evicted), 0);
        total += evicted;
        wmgw_cache_value_unref(v);
    }
    CHECK_INT(total, 0);
    CHECK_INT(wmgw__lru_count(&l), 10);
    CHECK(wmgw__lru_total(&l) <= l.max_bytes);
    /* touch k000 so k001 is the least recently used */
    CHECK(wmgw__lru_get(&l, "k000", 4) != NULL);
    struct wmgw_cache_value *v = val(1000, 'z');
    CHECK_INT(wmgw__lru_put(&l, "k010", 4, v, 1, 2, 3, &evicted), 0);
    wmgw_cache_value_unref(v);
    CHECK(evicted >= 1);
    CHECK(wmgw__lru_get(&l, "k001", 4) == NULL);
    CHECK(wmgw__lru_get(&l, "k000", 4) != NULL);
    CHECK(wmgw__lru_get(&l, "k010", 4) != NULL);
    CHECK(wmgw__lru_total(&l) <= l.max_bytes);
    /* a bigger value pushes out as many as it needs, never the bound */
    v = val(5000, 'y');
    CHECK_INT(wmgw__lru_put(&l, "k011", 4, v, 1, 2, 3, &evicted), 0);
    wmgw_cache_value_unref(v);
    CHECK(evicted >= 4);
    CHECK(wmgw__lru_total(&l) <= l.max_bytes);
    struct wmgw__lru_entry *e = wmgw__lru_get(&l, "k011", 4);
    CHECK(e != NULL && e->value->len == 5000 && e->value->data[4999] == 'y');
    wmgw__lru_dispose(&l);
}

static void test_too_big_and_replace(void)
{
    struct wmgw__lru l;
    wmgw__lru_init(&l, 4096);
    size_t evicted;
    struct wmgw_cache_value *big = val(5000, 'b'), *small = val(10, 's'), *other = val(20, 'o');
    CHECK_INT(wmgw__lru_put(&l, "big", 3, big, 1, 2, 3, &evicted), WMGW_ETOOBIG);
    CHECK_INT(wmgw__lru_count(&l), 0);
    CHECK_INT(wmgw__lru_put(&l, "a", 1, small, 1, 2, 3, &evicted), 0);
    size_t before = l.bytes;
    CHECK_INT(wmgw__lru_put(&l, "a", 1, other, 4, 5, 6, &evicted), 0);
    CHECK_INT(evicted, 0);
    CHECK_INT(wmgw__lru_count(&l), 1);
    CHECK_INT(l.bytes, before + 10);
    struct wmgw__lru_entry *e = wmgw__lru_get(&l, "a", 1);
    CHECK(e != NULL && e->value == other && e->fresh_until_ms == 5);
    /* the store's reference and ours: dropping ours keeps the bytes alive */
    CHECK_INT(atomic_load(&other->_refs), 2);
    wmgw_cache_value_unref(big);
    wmgw_cache_value_unref(small);
    wmgw_cache_value_unref(other);
    wmgw__lru_remove(&l, e);
    CHECK_INT(l.bytes, 0);
    wmgw__lru_dispose(&l);
}

int main(void)
{
    WMGW_TEST_RUN(test_bound_and_order);
    WMGW_TEST_RUN(test_too_big_and_replace);
    return WMGW_TEST_DONE();
}
