/*
 * memory.c: tests for the memory store (cache/memory.c and
 * memory_snapshot.c) through the one interface (cache.h): hit and miss,
 * TTL and stale windows, the LRU's byte bound, invalidation by
 * generation, credential separation, single flight in one worker and
 * across worker threads, stale to waiters, abandon and wait deadlines,
 * too-large answers, FRESH lookups, cancellation, snapshots read from
 * another worker.
 */
#include "cache_test.h"

static struct wmgw_cache *new_cache(size_t max_bytes, size_t max_entry, unsigned wait_ms)
{
    struct wmgw_cache_config cfg;
    wmgw_cache_config_defaults(&cfg);
    cfg.max_bytes = max_bytes;
    cfg.max_entry_bytes = max_entry;
    cfg.wait_ms = wait_ms;
    return cache_or_die(&cfg);
}

static void setup(struct cache_loop *f, size_t max_bytes, size_t max_entry, unsigned wait_ms)
{
    cache_loop_up(f, new_cache(max_bytes, max_entry, wait_ms));
}

static void test_hit_and_miss(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 1000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g;
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    CHECK(g.fill != NULL && g.value == NULL);
    fill_with(g.fill, "[1,2,3]", 10000, 0);
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_HIT);
    CHECK(got_value(&g, "[1,2,3]"));
    CHECK(g.fill == NULL);
    const char *first = g.value->data;
    got_clear(&g);
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK(g.value != NULL && g.value->data == first); /* the stored bytes themselves: no copy */
    got_clear(&g);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK_INT(st.hits, 2);
    CHECK_INT(st.misses, 1);
    CHECK_INT(st.fills, 1);
    CHECK_INT(st.entries, 1);
    CHECK(st.bytes > 7);
    struct wmgw_cache_status s;
    wmgw_cache_status(f.c, &s);
    CHECK_STR(s.store, "memory");
    CHECK_STR(wmgw_cache_state_name(s.state), "up");
    CHECK_INT(s.workers, 1);
    cache_loop_down(&f);
}

static void test_callbacks_never_inside_the_call(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 1000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g = {0};
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &g, NULL), 0);
    CHECK_INT(atomic_load(&g.done), 0); /* even a store with the answer at hand waits for the loop */
    CHECK(run_until(f.loop, &g.done, 1000));
    wmgw_cache_fill_abandon(g.fill);
    /* a key over the limits: an error, and no callback */
    struct wmgw_cache_key bad = key_of("", "x", "y");
    memset(&g, 0, sizeof(g));
    CHECK_INT(wmgw_cache_get(f.w, &bad, 0, on_got, &g, NULL), WMGW_EINVAL);
    run_for(f.loop, 30);
    CHECK_INT(atomic_load(&g.done), 0);
    cache_loop_down(&f);
}

static void test_ttl_expiry(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 1000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g;
    get_now(f.loop, f.w, &k, 0, &g);
    fill_with(g.fill, "old", 80, 0);
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_HIT);
    got_clear(&g);
    sleep_ms(120);
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL); /* fresh and stale windows both over */
    struct wmgw_cache_value *stale = wmgw_cache_fill_stale(g.fill);
    CHECK(stale == NULL);
    fill_with(g.fill, "new", 80, 400);
    sleep_ms(120);
    /* past fresh, within stale: the first caller fills, with the old value for stale-if-error */
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    stale = wmgw_cache_fill_stale(g.fill);
    CHECK(stale != NULL && stale->len == 3 && memcmp(stale->data, "new", 3) == 0);
    wmgw_cache_value_unref(stale);
    wmgw_cache_fill_abandon(g.fill); /* the backend failed; the caller answers with the stale copy */
    sleep_ms(400);
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    CHECK(wmgw_cache_fill_stale(g.fill) == NULL); /* past the stale window: gone */
    wmgw_cache_fill_abandon(g.fill);
    cache_loop_down(&f);
}

static void test_lru_bound(void)
{
    struct cache_loop f;
    size_t bound = 256 * 1024;
    setup(&f, bound, 16 * 1024, 1000);
    char cls[32], body[4096];
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    for (int i = 0; i < 200; i++) {
        snprintf(cls, sizeof(cls), "Class_%03d", i);
        struct wmgw_cache_key k = key_of("dc01", cls, "alice");
        struct got g;
        get_now(f.loop, f.w, &k, 0, &g);
        CHECK_INT(g.outcome, WMGW_CACHE_FILL);
        fill_with(g.fill, body, 60000, 0);
    }
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK(st.bytes <= bound);
    CHECK(st.bytes > bound / 2);
    CHECK(st.evictions > 100);
    CHECK_INT(st.entries + st.evictions, 200);
    struct wmgw_cache_key oldest = key_of("dc01", "Class_000", "alice"), newest = key_of("dc01", "Class_199", "alice");
    struct got g;
    get_now(f.loop, f.w, &oldest, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    wmgw_cache_fill_abandon(g.fill);
    get_now(f.loop, f.w, &newest, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_HIT);
    got_clear(&g);
    cache_loop_down(&f);
}

static void test_invalidate_and_credentials(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 1000);
    struct wmgw_cache_key a1 = key_of("dc01", "Win32_Service", "alice");
    struct wmgw_cache_key a2 = key_of("dc02", "Win32_Service", "alice");
    struct wmgw_cache_key b1 = key_of("dc01", "Win32_Service", "bob");
    struct got g;
    get_now(f.loop, f.w, &a1, 0, &g);
    fill_with(g.fill, "alice on dc01", 60000, 60000);
    get_now(f.loop, f.w, &a2, 0, &g);
    fill_with(g.fill, "alice on dc02", 60000, 60000);
    /* another credential never sees alice's answer */
    get_now(f.loop, f.w, &b1, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    fill_with(g.fill, "bob on dc01", 60000, 60000);
    get_now(f.loop, f.w, &a1, 0, &g);
    CHECK(got_value(&g, "alice on dc01"));
    got_clear(&g);
    /* a write on dc01: everything of dc01 goes, stale copies included; dc02 stays */
    CHECK_INT(wmgw_cache_invalidate(f.w, "dc01", NULL, NULL, NULL), 0);
    run_for(f.loop, 10);
    get_now(f.loop, f.w, &a1, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    CHECK(wmgw_cache_fill_stale(g.fill) == NULL);
    wmgw_cache_fill_abandon(g.fill);
    get_now(f.loop, f.w, &b1, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    wmgw_cache_fill_abandon(g.fill);
    get_now(f.loop, f.w, &a2, 0, &g);
    CHECK(got_value(&g, "alice on dc02"));
    got_clear(&g);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK_INT(st.invalidations, 1);
    cache_loop_down(&f);
}

static void test_single_flight_one_worker(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 5000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Process", "alice");
    struct tally t;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < 20; i++)
        CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_tally, &t, NULL), 0);
    run_for(f.loop, 50);
    CHECK_INT(atomic_load(&t.fill), 1);
    CHECK_INT(atomic_load(&t.n), 1); /* the other 19 wait */
    fill_with(t.fills[0], "procs", 60000, 0);
    run_for(f.loop, 50);
    CHECK_INT(atomic_load(&t.n), 20);
    CHECK_INT(atomic_load(&t.hit), 19);
    CHECK_STR(t.last, "procs");
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK_INT(st.waits, 19);
    CHECK_INT(st.misses, 1);
    cache_loop_down(&f);
}

/* Two worker threads ask for one key at once; whoever fills commits later
 * (a slow backend), on its own thread. */
struct sf_shared {
    struct wmgw_cache_key key;
    struct tally t[2];
};

static void get_ten(struct actor *a, void *arg)
{
    struct tally *t = arg;
    struct sf_shared *s = a->data;
    for (int i = 0; i < 10; i++)
        CHECK_INT(wmgw_cache_get(a->w, &s->key, 0, on_tally, t, NULL), 0);
}

static void commit_fill(struct actor *a, void *arg)
{
    fill_with(arg, "shared answer", 60000, 0);
}

static void idle_job(struct actor *a)
{
}

static void test_single_flight_threads(void)
{
    struct wmgw_cache *c = new_cache(1 << 20, 1 << 16, 5000);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 3);
    struct sf_shared s;
    memset(&s, 0, sizeof(s));
    s.key = key_of("dc01", "Win32_Process", "alice");
    struct actor a[2];
    memset(a, 0, sizeof(a));
    for (int i = 0; i < 2; i++) {
        a[i].c = c;
        a[i].start = &bar;
        a[i].job = idle_job;
        a[i].data = &s;
        actor_start(&a[i]);
    }
    pthread_barrier_wait(&bar);
    actor_call(&a[0], get_ten, &s.t[0]);
    actor_call(&a[1], get_ten, &s.t[1]);
    sleep_ms(200);
    int fills = atomic_load(&s.t[0].fill) + atomic_load(&s.t[1].fill);
    CHECK_INT(fills, 1);
    CHECK_INT(atomic_load(&s.t[0].n) + atomic_load(&s.t[1].n), 1); /* 19 wait, in both threads */
    int filler = atomic_load(&s.t[0].fill) ? 0 : 1;
    actor_call(&a[filler], commit_fill, s.t[filler].fills[0]);
    uint64_t end = mono_ms() + 3000;
    while (atomic_load(&s.t[0].n) + atomic_load(&s.t[1].n) < 20 && mono_ms() < end)
        sleep_ms(2);
    CHECK_INT(atomic_load(&s.t[0].n), 10);
    CHECK_INT(atomic_load(&s.t[1].n), 10);
    CHECK_INT(atomic_load(&s.t[0].hit) + atomic_load(&s.t[1].hit), 19);
    CHECK_STR(s.t[1 - filler].last, "shared answer");
    actor_join(&a[0]);
    actor_join(&a[1]);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(c, &st);
    CHECK_INT(st.misses, 1);
    CHECK_INT(st.fills, 1);
    CHECK_INT(st.waits, 19);
    pthread_barrier_destroy(&bar);
    wmgw_cache_free(c);
}


static void test_stale_served_to_waiters(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 5000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g, filler;
    get_now(f.loop, f.w, &k, 0, &g);
    fill_with(g.fill, "v1", 50, 10000);
    sleep_ms(80);
    get_now(f.loop, f.w, &k, 0, &filler);
    CHECK_INT(filler.outcome, WMGW_CACHE_FILL);
    /* while it refreshes, others get the stale value at once */
    struct tally t;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < 5; i++)
        CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_tally, &t, NULL), 0);
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&t.stale), 5);
    /* a FRESH caller does not take the stale value: it waits for the fill */
    struct got fresh = {0};
    CHECK_INT(wmgw_cache_get(f.w, &k, WMGW_CACHE_GET_FRESH, on_got, &fresh, NULL), 0);
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&fresh.done), 0);
    fill_with(filler.fill, "v2", 10000, 0);
    CHECK(run_until(f.loop, &fresh.done, 1000));
    CHECK_INT(fresh.outcome, WMGW_CACHE_HIT);
    CHECK(got_value(&fresh, "v2"));
    got_clear(&fresh);
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK(got_value(&g, "v2"));
    got_clear(&g);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK_INT(st.stale, 5);
    cache_loop_down(&f);
}

static void test_abandon_and_wait_timeout(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 150);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got filler;
    get_now(f.loop, f.w, &k, 0, &filler);
    struct tally t;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < 3; i++)
        CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_tally, &t, NULL), 0);
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&t.n), 0);
    wmgw_cache_fill_abandon(filler.fill); /* the backend failed */
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&t.bypass), 3);
    /* a filler that takes too long: waiters leave after wait_ms */
    get_now(f.loop, f.w, &k, 0, &filler);
    CHECK_INT(filler.outcome, WMGW_CACHE_FILL);
    struct got w = {0};
    uint64_t t0 = mono_ms();
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &w, NULL), 0);
    CHECK(run_until(f.loop, &w.done, 2000));
    CHECK_INT(w.outcome, WMGW_CACHE_BYPASS);
    CHECK_INT(w.reason, WMGW_CACHE_REASON_WAIT_TIMEOUT);
    CHECK(w.at_ms - t0 >= 140 && w.at_ms - t0 < 1000);
    fill_with(filler.fill, "late", 10000, 0);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK_INT(st.abandoned, 3);
    CHECK_INT(st.wait_timeouts, 1);
    CHECK_STR(wmgw_cache_reason_name(w.reason), "wait-timeout");
    cache_loop_down(&f);
}

static void test_too_large(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1000, 5000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got filler;
    get_now(f.loop, f.w, &k, 0, &filler);
    struct got w = {0};
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &w, NULL), 0);
    run_for(f.loop, 20);
    char chunk[600];
    memset(chunk, 'z', sizeof(chunk));
    CHECK_INT(wmgw_cache_fill_append(filler.fill, chunk, sizeof(chunk)), 0);
    CHECK_INT(atomic_load(&w.done), 0);
    CHECK_INT(wmgw_cache_fill_append(filler.fill, chunk, sizeof(chunk)), WMGW_ETOOBIG);
    /* the waiter is let go at once, not at the end of the stream */
    CHECK(run_until(f.loop, &w.done, 500));
    CHECK_INT(w.outcome, WMGW_CACHE_BYPASS);
    CHECK_INT(w.reason, WMGW_CACHE_REASON_ABANDONED);
    CHECK_INT(wmgw_cache_fill_append(filler.fill, chunk, sizeof(chunk)), WMGW_ETOOBIG);
    struct wmgw_cache_ttl ttl = {10000, 0};
    wmgw_cache_fill_commit(filler.fill, &ttl); /* harmless: nothing is stored */
    struct got g;
    get_now(f.loop, f.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    wmgw_cache_fill_abandon(g.fill);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK_INT(st.too_large, 1);
    CHECK_INT(st.fills, 0);
    cache_loop_down(&f);
}

static void test_fresh_bypasses_reading(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 5000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g;
    get_now(f.loop, f.w, &k, 0, &g);
    fill_with(g.fill, "cached", 60000, 0);
    get_now(f.loop, f.w, &k, WMGW_CACHE_GET_FRESH, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL); /* not the cached value */
    struct got plain;
    get_now(f.loop, f.w, &k, 0, &plain); /* others still read it meanwhile */
    CHECK(got_value(&plain, "cached"));
    got_clear(&plain);
    fill_with(g.fill, "refetched", 60000, 0); /* and the fresh answer is stored */
    get_now(f.loop, f.w, &k, 0, &plain);
    CHECK(got_value(&plain, "refetched"));
    got_clear(&plain);
    cache_loop_down(&f);
}

static void test_cancel(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 5000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    /* a FILL cancelled before its callback: the fill is given back, waiters go */
    struct got g1 = {0}, g2 = {0}, g3 = {0};
    struct wmgw_cache_op *op1, *op3;
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &g1, &op1), 0);
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &g2, NULL), 0);
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &g3, &op3), 0);
    wmgw_cache_op_cancel(op1);
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&g1.done), 0);
    CHECK(atomic_load(&g2.done) && g2.outcome == WMGW_CACHE_BYPASS && g2.reason == WMGW_CACHE_REASON_ABANDONED);
    CHECK(atomic_load(&g3.done) && g3.outcome == WMGW_CACHE_BYPASS);
    /* a waiter cancelled: no callback; the others are served */
    struct got filler, w1 = {0}, w2 = {0};
    get_now(f.loop, f.w, &k, 0, &filler);
    CHECK_INT(filler.outcome, WMGW_CACHE_FILL);
    struct wmgw_cache_op *opw;
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &w1, &opw), 0);
    CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_got, &w2, NULL), 0);
    run_for(f.loop, 10);
    wmgw_cache_op_cancel(opw);
    fill_with(filler.fill, "v", 60000, 0);
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&w1.done), 0);
    CHECK(got_value(&w2, "v"));
    got_clear(&w2);
    cache_loop_down(&f);
}

static void test_limits_busy(void)
{
    struct wmgw_cache_config cfg;
    wmgw_cache_config_defaults(&cfg);
    cfg.max_bytes = 1 << 20;
    cfg.max_entry_bytes = 1 << 16;
    cfg.max_waiters = 2;
    cfg.max_flights = 1;
    struct cache_loop f;
    CHECK_INT(wmgw_cache_new(&cfg, &f.c, NULL), 0);
    f.loop = h2o_evloop_create();
    CHECK_INT(wmgw_cache_worker_new(f.c, f.loop, &f.w, NULL), 0);
    struct wmgw_cache_key k = key_of("dc01", "A", "alice"), k2 = key_of("dc01", "B", "alice");
    struct tally t;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < 4; i++)
        CHECK_INT(wmgw_cache_get(f.w, &k, 0, on_tally, &t, NULL), 0);
    CHECK_INT(wmgw_cache_get(f.w, &k2, 0, on_tally, &t, NULL), 0); /* a second key in flight: over max_flights */
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&t.fill), 1);
    CHECK_INT(atomic_load(&t.bypass), 2); /* the fourth caller and the second key */
    fill_with(t.fills[0], "x", 1000, 0);
    run_for(f.loop, 20);
    CHECK_INT(atomic_load(&t.hit), 2);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(f.c, &st);
    CHECK_INT(st.busy, 2);
    cache_loop_down(&f);
    /* bad configurations are refused with a reason */
    struct wmgw_err err;
    cfg.max_entry_bytes = cfg.max_bytes + 1;
    CHECK_INT(wmgw_cache_new(&cfg, &f.c, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "max-entry-size") != NULL);
}

struct page_got {
    atomic_int done;
    int status;
    struct wmgw_cache_page *page;
};

static void on_page(void *data, int status, struct wmgw_cache_page *page)
{
    struct page_got *p = data;
    p->status = status;
    p->page = page;
    atomic_store(&p->done, 1);
}

static void read_page(h2o_evloop_t *loop, struct wmgw_cache_worker *w, const char *id, size_t off, size_t n,
                      struct page_got *p)
{
    memset(p, 0, sizeof(*p));
    CHECK_INT(wmgw_cache_snapshot_read(w, id, off, n, on_page, p, NULL), 0);
    CHECK(run_until(loop, &p->done, 2000));
}

static bool item_is(const struct wmgw_cache_page *p, size_t i, const char *s)
{
    return i < p->nitems && p->items[i].len == strlen(s) && memcmp(p->items[i].data, s, p->items[i].len) == 0;
}

static void test_snapshot_from_another_worker(void)
{
    struct cache_loop f;
    setup(&f, 1 << 20, 1 << 16, 5000);
    h2o_evloop_t *loop2 = h2o_evloop_create();
    struct wmgw_cache_worker *w2;
    CHECK_INT(wmgw_cache_worker_new(f.c, loop2, &w2, NULL), 0);
    struct wmgw_cache_snapshot *s;
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1], item[32];
    CHECK_INT(wmgw_cache_snapshot_begin(f.w, 5000, &s, id), 0);
    CHECK_INT(strlen(id), 32);
    for (int i = 0; i < 25; i++) {
        snprintf(item, sizeof(item), "{\"i\":%d}", i);
        CHECK_INT(wmgw_cache_snapshot_append(s, item, strlen(item)), 0);
    }
    struct page_got p;
    read_page(loop2, w2, id, 20, 10, &p); /* still being written: what is there so far */
    CHECK_INT(p.status, 0);
    CHECK_INT(p.page->nitems, 5);
    CHECK(!p.page->complete);
    wmgw_cache_page_free(p.page);
    wmgw_cache_snapshot_commit(s);
    read_page(loop2, w2, id, 0, 10, &p);
    CHECK_INT(p.status, 0);
    CHECK_INT(p.page->nitems, 10);
    CHECK(item_is(p.page, 0, "{\"i\":0}") && item_is(p.page, 9, "{\"i\":9}"));
    CHECK(p.page->complete && p.page->total == 25);
    wmgw_cache_page_free(p.page);
    read_page(loop2, w2, id, 20, 10, &p);
    CHECK_INT(p.page->nitems, 5);
    CHECK(item_is(p.page, 4, "{\"i\":24}"));
    wmgw_cache_page_free(p.page);
    read_page(loop2, w2, id, 30, 10, &p); /* past the end: empty, complete */
    CHECK_INT(p.status, 0);
    CHECK_INT(p.page->nitems, 0);
    wmgw_cache_page_free(p.page);
    /* unknown and abandoned snapshots are not found; bad ids are refused */
    read_page(loop2, w2, "0123456789abcdef0123456789abcdef", 0, 10, &p);
    CHECK_INT(p.status, WMGW_ENOTFOUND);
    CHECK_INT(wmgw_cache_snapshot_begin(f.w, 5000, &s, id), 0);
    CHECK_INT(wmgw_cache_snapshot_append(s, "x", 1), 0);
    wmgw_cache_snapshot_abandon(s);
    read_page(loop2, w2, id, 0, 10, &p);
    CHECK_INT(p.status, WMGW_ENOTFOUND);
    CHECK_INT(wmgw_cache_snapshot_read(w2, "../../etc", 0, 10, on_page, &p, NULL), WMGW_EINVAL);
    /* expiry */
    CHECK_INT(wmgw_cache_snapshot_begin(f.w, 50, &s, id), 0);
    CHECK_INT(wmgw_cache_snapshot_append(s, "x", 1), 0);
    wmgw_cache_snapshot_commit(s);
    sleep_ms(80);
    read_page(loop2, w2, id, 0, 10, &p);
    CHECK_INT(p.status, WMGW_ENOTFOUND);
    wmgw_cache_worker_free(w2);
    h2o_evloop_run(loop2, 0);
    h2o_evloop_destroy(loop2);
    cache_loop_down(&f);
}

static void test_snapshot_limits(void)
{
    struct wmgw_cache_config cfg;
    wmgw_cache_config_defaults(&cfg);
    cfg.max_bytes = 1 << 20;
    cfg.max_entry_bytes = 1 << 16;
    cfg.max_snapshot_bytes = 100;
    cfg.max_snapshot_items = 3;
    struct cache_loop f;
    CHECK_INT(wmgw_cache_new(&cfg, &f.c, NULL), 0);
    f.loop = h2o_evloop_create();
    CHECK_INT(wmgw_cache_worker_new(f.c, f.loop, &f.w, NULL), 0);
    struct wmgw_cache_snapshot *s;
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1], big[101];
    memset(big, 'b', sizeof(big));
    CHECK_INT(wmgw_cache_snapshot_begin(f.w, 5000, &s, id), 0);
    CHECK_INT(wmgw_cache_snapshot_append(s, big, 60), 0);
    CHECK_INT(wmgw_cache_snapshot_append(s, big, 41), WMGW_ETOOBIG);
    CHECK_INT(wmgw_cache_snapshot_append(s, "x", 1), WMGW_ERETRY); /* abandoned: ignored */
    wmgw_cache_snapshot_commit(s);
    struct page_got p;
    read_page(f.loop, f.w, id, 0, 3, &p);
    CHECK_INT(p.status, WMGW_ENOTFOUND); /* never half a snapshot passed off as whole */
    CHECK_INT(wmgw_cache_snapshot_begin(f.w, 5000, &s, id), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(wmgw_cache_snapshot_append(s, "y", 1), 0);
    CHECK_INT(wmgw_cache_snapshot_append(s, "y", 1), WMGW_ETOOBIG);
    wmgw_cache_snapshot_abandon(s);
    cache_loop_down(&f);
}

int main(void)
{
    WMGW_TEST_RUN(test_hit_and_miss);
    WMGW_TEST_RUN(test_callbacks_never_inside_the_call);
    WMGW_TEST_RUN(test_ttl_expiry);
    WMGW_TEST_RUN(test_lru_bound);
    WMGW_TEST_RUN(test_invalidate_and_credentials);
    WMGW_TEST_RUN(test_single_flight_one_worker);
    WMGW_TEST_RUN(test_single_flight_threads);
    WMGW_TEST_RUN(test_stale_served_to_waiters);
    WMGW_TEST_RUN(test_abandon_and_wait_timeout);
    WMGW_TEST_RUN(test_too_large);
    WMGW_TEST_RUN(test_fresh_bypasses_reading);
    WMGW_TEST_RUN(test_cancel);
    WMGW_TEST_RUN(test_limits_busy);
    WMGW_TEST_RUN(test_snapshot_from_another_worker);
    WMGW_TEST_RUN(test_snapshot_limits);
    return WMGW_TEST_DONE();
}
