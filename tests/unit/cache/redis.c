/*
 * redis.c: tests for the Redis store (cache/redis*.c, sentinel.c aside)
 * against a real redis-server on loopback, started here through
 * tests/redis/start.  Two cache objects sharing one Redis stand for two
 * replicas of the gateway.
 *
 * Proves: hit and miss with the host readable in the key, TTL expiry,
 * invalidation by generation across replicas, credential separation,
 * single flight in a worker and across replicas on two threads (woken by
 * PUBLISH, not by the re-check), stale served to remote waiters, abandon
 * and too-large waking remote waiters, a dead filler's lock expiring,
 * wait deadlines, snapshots paged from another replica, NOSCRIPT
 * fallback, Redis stopped or frozen mid-test (everything completes
 * promptly as unavailable) and restarted (it reconnects by itself and
 * replays the invalidations it could not send).
 */
#include "cache_test.h"

#include <signal.h>

static char dir[256];
static int port;

static struct wmgw_cache *new_cache(unsigned wait_ms, unsigned recheck_ms, unsigned lock_ms)
{
    struct wmgw_cache_config cfg;
    wmgw_cache_config_defaults(&cfg);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    cfg.store = WMGW_CACHE_STORE_REDIS;
    cfg.redis_address = addr;
    cfg.prefix = "wmgwtest:";
    cfg.max_entry_bytes = 64 * 1024;
    cfg.command_timeout_ms = 300;
    cfg.connect_timeout_ms = 300;
    cfg.backoff_min_ms = 50;
    cfg.backoff_max_ms = 400;
    cfg.wait_ms = wait_ms;
    cfg.recheck_ms = recheck_ms;
    cfg.lock_ms = lock_ms;
    return cache_or_die(&cfg);
}

/* One replica: a cache object with one worker on its own loop, up once
 * its store answers. */
static void replica_up(struct cache_loop *r, unsigned wait_ms, unsigned recheck_ms, unsigned lock_ms)
{
    cache_loop_up(r, new_cache(wait_ms, recheck_ms, lock_ms));
    CHECK(wait_up(r->loop, r->c, 3000));
}

/* Runs both replicas' loops (one thread) until *flag or ms. */
static bool run2_until(struct cache_loop *a, struct cache_loop *b, atomic_int *flag, unsigned ms)
{
    uint64_t end = mono_ms() + ms;
    while (!atomic_load(flag) && mono_ms() < end) {
        h2o_evloop_run(a->loop, 1);
        h2o_evloop_run(b->loop, 1);
    }
    return atomic_load(flag) != 0;
}

static void run2_for(struct cache_loop *a, struct cache_loop *b, unsigned ms)
{
    atomic_int never = 0;
    run2_until(a, b, &never, ms);
}

static void flush_redis(void)
{
    char out[64];
    redis_cli(port, "FLUSHALL", out, sizeof(out));
}

struct done {
    atomic_int done;
    int status;
};

static void on_done(void *data, int status)
{
    struct done *d = data;
    d->status = status;
    atomic_store(&d->done, 1);
}

static void test_hit_miss_ttl(void)
{
    flush_redis();
    struct cache_loop r;
    replica_up(&r, 3000, 200, 2000);
    struct wmgw_cache_key k = key_of("dc01.corp", "Win32_Service", "alice");
    struct got g;
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    if (g.outcome != WMGW_CACHE_FILL) {
        struct wmgw_cache_status s0;
        wmgw_cache_status(r.c, &s0);
        fprintf(stderr, "reason %s, state %s, last error %s\n", wmgw_cache_reason_name(g.reason),
                wmgw_cache_state_name(s0.state), s0.last_error);
        cache_loop_down(&r);
        return;
    }
    fill_with(g.fill, "{\"items\":[1]}", 400, 0);
    run_for(r.loop, 30);
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_HIT);
    CHECK(got_value(&g, "{\"items\":[1]}"));
    CHECK(g.age_ms < 400);
    got_clear(&g);
    /* the host is readable in the stored key */
    char out[256];
    redis_cli(port, "--scan --pattern 'wmgwtest:e:dc01.corp:*'", out, sizeof(out));
    CHECK(strncmp(out, "wmgwtest:e:dc01.corp:", 21) == 0);
    sleep_ms(450);
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    wmgw_cache_fill_abandon(g.fill);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(r.c, &st);
    CHECK_INT(st.hits, 1);
    CHECK_INT(st.misses, 2);
    CHECK_INT(st.fills, 1);
    struct wmgw_cache_status s;
    wmgw_cache_status(r.c, &s);
    CHECK_STR(s.store, "redis");
    CHECK_INT(s.state, WMGW_CACHE_UP);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d", port);
    CHECK_STR(s.master, want);
    cache_loop_down(&r);
}

static void test_invalidation_across_replicas(void)
{
    flush_redis();
    struct cache_loop a, b;
    replica_up(&a, 3000, 200, 2000);
    replica_up(&b, 3000, 200, 2000);
    struct wmgw_cache_key k1 = key_of("dc01", "Win32_Service", "alice"), k2 = key_of("dc02", "Win32_Service", "alice");
    struct wmgw_cache_key kb = key_of("dc01", "Win32_Service", "bob");
    struct got g;
    get_now(a.loop, a.w, &k1, 0, &g);
    fill_with(g.fill, "dc01 services", 60000, 60000);
    get_now(a.loop, a.w, &k2, 0, &g);
    fill_with(g.fill, "dc02 services", 60000, 60000);
    run_for(a.loop, 30);
    /* replica b reads what a stored */
    get_now(b.loop, b.w, &k1, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_HIT);
    CHECK(got_value(&g, "dc01 services"));
    got_clear(&g);
    /* another credential does not */
    get_now(b.loop, b.w, &kb, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    wmgw_cache_fill_abandon(g.fill);
    /* a write through b on dc01 invalidates it for a too, stale copy included */
    struct done d = {0};
    CHECK_INT(wmgw_cache_invalidate(b.w, "dc01", on_done, &d, NULL), 0);
    CHECK(run_until(b.loop, &d.done, 1000));
    CHECK_INT(d.status, 0);
    get_now(a.loop, a.w, &k1, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL);
    CHECK(wmgw_cache_fill_stale(g.fill) == NULL);
    wmgw_cache_fill_abandon(g.fill);
    get_now(a.loop, a.w, &k2, 0, &g);
    CHECK(got_value(&g, "dc02 services"));
    got_clear(&g);
    run2_for(&a, &b, 30);
    cache_loop_down(&a);
    cache_loop_down(&b);
}

static void test_single_flight_in_a_worker(void)
{
    flush_redis();
    struct cache_loop r;
    replica_up(&r, 3000, 200, 2000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Process", "alice");
    struct tally t;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < 10; i++)
        CHECK_INT(wmgw_cache_get(r.w, &k, 0, on_tally, &t, NULL), 0);
    run_for(r.loop, 100);
    CHECK_INT(atomic_load(&t.fill), 1);
    CHECK_INT(atomic_load(&t.n), 1);
    fill_with(t.fills[0], "procs", 60000, 0);
    run_for(r.loop, 50);
    CHECK_INT(atomic_load(&t.hit), 9);
    CHECK_STR(t.last, "procs");
    cache_loop_down(&r);
}

/* Two replicas, each on its own thread, ask for one key at once. */
struct sf {
    struct wmgw_cache_key key;
    struct tally t[2];
    uint64_t committed_ms;
};

static void get_ten(struct actor *a, void *arg)
{
    struct sf *s = a->data;
    for (int i = 0; i < 10; i++)
        CHECK_INT(wmgw_cache_get(a->w, &s->key, 0, on_tally, arg, NULL), 0);
}

static void commit_fill(struct actor *a, void *arg)
{
    fill_with(arg, "one backend call", 60000, 0);
}

static void idle(struct actor *a)
{
}

static void test_single_flight_across_replicas(void)
{
    flush_redis();
    /* the re-check is slow on purpose: waiters must be woken by PUBLISH */
    struct wmgw_cache *c[2] = {new_cache(5000, 3000, 5000), new_cache(5000, 3000, 5000)};
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 3);
    struct sf s;
    memset(&s, 0, sizeof(s));
    s.key = key_of("dc01", "Win32_Process", "alice");
    struct actor a[2];
    memset(a, 0, sizeof(a));
    for (int i = 0; i < 2; i++) {
        a[i].c = c[i];
        a[i].start = &bar;
        a[i].job = idle;
        a[i].data = &s;
        actor_start(&a[i]);
    }
    pthread_barrier_wait(&bar);
    actor_call(&a[0], get_ten, &s.t[0]);
    actor_call(&a[1], get_ten, &s.t[1]);
    sleep_ms(400);
    CHECK_INT(atomic_load(&s.t[0].fill) + atomic_load(&s.t[1].fill), 1);
    CHECK_INT(atomic_load(&s.t[0].n) + atomic_load(&s.t[1].n), 1);
    int filler = atomic_load(&s.t[0].fill) ? 0 : 1;
    uint64_t t0 = mono_ms();
    actor_call(&a[filler], commit_fill, s.t[filler].fills[0]);
    while (atomic_load(&s.t[0].n) + atomic_load(&s.t[1].n) < 20 && mono_ms() < t0 + 5000)
        sleep_ms(2);
    uint64_t took = mono_ms() - t0;
    CHECK_INT(atomic_load(&s.t[0].hit) + atomic_load(&s.t[1].hit), 19);
    CHECK_STR(s.t[1 - filler].last, "one backend call");
    CHECK(took < 1000); /* well before the 3 s re-check: the PUBLISH woke them */
    actor_join(&a[0]);
    actor_join(&a[1]);
    struct wmgw_cache_stats st[2];
    wmgw_cache_stats(c[0], &st[0]);
    wmgw_cache_stats(c[1], &st[1]);
    CHECK_INT(st[0].misses + st[1].misses, 1);
    CHECK_INT(st[0].fills + st[1].fills, 1);
    pthread_barrier_destroy(&bar);
    wmgw_cache_free(c[0]);
    wmgw_cache_free(c[1]);
}

static void test_stale_and_abandon_across_replicas(void)
{
    flush_redis();
    struct cache_loop a, b;
    replica_up(&a, 3000, 200, 3000);
    replica_up(&b, 3000, 200, 3000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g, filler;
    get_now(a.loop, a.w, &k, 0, &g);
    fill_with(g.fill, "v1", 100, 10000);
    run_for(a.loop, 30);
    sleep_ms(150);
    get_now(a.loop, a.w, &k, 0, &filler);
    CHECK_INT(filler.outcome, WMGW_CACHE_FILL);
    struct wmgw_cache_value *sv = wmgw_cache_fill_stale(filler.fill);
    CHECK(sv != NULL && sv->len == 2 && memcmp(sv->data, "v1", 2) == 0);
    wmgw_cache_value_unref(sv);
    /* replica b: a refreshes it, so b gets the stale value at once */
    struct got gb = {0};
    uint64_t t0 = mono_ms();
    CHECK_INT(wmgw_cache_get(b.w, &k, 0, on_got, &gb, NULL), 0);
    CHECK(run2_until(&a, &b, &gb.done, 2000));
    CHECK_INT(gb.outcome, WMGW_CACHE_STALE);
    CHECK(got_value(&gb, "v1"));
    CHECK(gb.at_ms - t0 < 200);
    got_clear(&gb);
    fill_with(filler.fill, "v2", 60000, 0);
    run2_for(&a, &b, 30);
    get_now(b.loop, b.w, &k, 0, &gb);
    CHECK(got_value(&gb, "v2"));
    got_clear(&gb);
    /* abandon: b's waiter is told at once to go to the backend itself */
    struct wmgw_cache_key k2 = key_of("dc01", "Win32_Process", "alice");
    get_now(a.loop, a.w, &k2, 0, &filler);
    CHECK_INT(filler.outcome, WMGW_CACHE_FILL);
    memset(&gb, 0, sizeof(gb));
    CHECK_INT(wmgw_cache_get(b.w, &k2, 0, on_got, &gb, NULL), 0);
    run2_for(&a, &b, 100);
    CHECK_INT(atomic_load(&gb.done), 0);
    t0 = mono_ms();
    wmgw_cache_fill_abandon(filler.fill);
    CHECK(run2_until(&a, &b, &gb.done, 2000));
    CHECK_INT(gb.outcome, WMGW_CACHE_BYPASS);
    CHECK_INT(gb.reason, WMGW_CACHE_REASON_ABANDONED);
    CHECK(gb.at_ms - t0 < 150);
    /* too large: the same, as soon as the answer passes the limit */
    get_now(a.loop, a.w, &k2, 0, &filler);
    CHECK_INT(filler.outcome, WMGW_CACHE_FILL);
    memset(&gb, 0, sizeof(gb));
    CHECK_INT(wmgw_cache_get(b.w, &k2, 0, on_got, &gb, NULL), 0);
    run2_for(&a, &b, 100);
    char *big = calloc(1, 65 * 1024);
    CHECK_INT(wmgw_cache_fill_append(filler.fill, big, 65 * 1024), WMGW_ETOOBIG);
    free(big);
    CHECK(run2_until(&a, &b, &gb.done, 2000));
    CHECK_INT(gb.reason, WMGW_CACHE_REASON_ABANDONED);
    wmgw_cache_fill_abandon(filler.fill);
    run2_for(&a, &b, 30);
    cache_loop_down(&a);
    cache_loop_down(&b);
}

static void test_dead_filler_and_wait_deadline(void)
{
    flush_redis();
    struct cache_loop a, b;
    replica_up(&a, 3000, 100, 600); /* a's fill lock lives 600 ms */
    replica_up(&b, 3000, 100, 600);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got filler;
    get_now(a.loop, a.w, &k, 0, &filler);
    CHECK_INT(filler.outcome, WMGW_CACHE_FILL);
    /* replica a dies while filling: no commit, no PUBLISH, the lock stays */
    wmgw_cache_worker_free(a.w);
    wmgw_cache_fill_abandon(filler.fill); /* only frees our handle: the worker is gone */
    h2o_evloop_run(a.loop, 0);
    h2o_evloop_destroy(a.loop);
    wmgw_cache_free(a.c);
    struct got gb = {0};
    uint64_t t0 = mono_ms();
    CHECK_INT(wmgw_cache_get(b.w, &k, 0, on_got, &gb, NULL), 0);
    CHECK(run_until(b.loop, &gb.done, 3000));
    CHECK_INT(gb.outcome, WMGW_CACHE_FILL); /* the lock expired and b took over */
    CHECK(gb.at_ms - t0 >= 300 && gb.at_ms - t0 < 1500);
    /* and a waiter gives up at its deadline */
    struct cache_loop c;
    replica_up(&c, 250, 100, 5000);
    struct got gc = {0};
    t0 = mono_ms();
    CHECK_INT(wmgw_cache_get(c.w, &k, 0, on_got, &gc, NULL), 0);
    CHECK(run2_until(&b, &c, &gc.done, 2000));
    CHECK_INT(gc.outcome, WMGW_CACHE_BYPASS);
    CHECK_INT(gc.reason, WMGW_CACHE_REASON_WAIT_TIMEOUT);
    CHECK(gc.at_ms - t0 >= 240 && gc.at_ms - t0 < 800);
    wmgw_cache_fill_abandon(gb.fill);
    run_for(b.loop, 30);
    cache_loop_down(&c);
    cache_loop_down(&b);
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

static void read_page(struct cache_loop *r, const char *id, size_t off, size_t n, struct page_got *p)
{
    memset(p, 0, sizeof(*p));
    CHECK_INT(wmgw_cache_snapshot_read(r->w, id, off, n, on_page, p, NULL), 0);
    CHECK(run_until(r->loop, &p->done, 2000));
}

static void test_snapshot_from_another_replica(void)
{
    flush_redis();
    struct cache_loop a, b;
    replica_up(&a, 3000, 200, 2000);
    replica_up(&b, 3000, 200, 2000);
    struct wmgw_cache_snapshot *s;
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1], item[64];
    CHECK_INT(wmgw_cache_snapshot_begin(a.w, 10000, &s, id), 0);
    for (int i = 0; i < 2500; i++) {
        snprintf(item, sizeof(item), "{\"Name\":\"svc%04d\"}", i);
        CHECK_INT(wmgw_cache_snapshot_append(s, item, strlen(item)), 0);
        if (i % 500 == 0)
            run_for(a.loop, 1);
    }
    run_for(a.loop, 50);
    struct page_got p;
    read_page(&b, id, 0, 100, &p); /* being written: partial, not complete */
    CHECK_INT(p.status, 0);
    CHECK(p.page != NULL && !p.page->complete && p.page->nitems == 100);
    wmgw_cache_page_free(p.page);
    wmgw_cache_snapshot_commit(s);
    run_for(a.loop, 50);
    read_page(&b, id, 0, 100, &p);
    CHECK_INT(p.status, 0);
    CHECK(p.page->complete && p.page->total == 2500 && p.page->nitems == 100);
    CHECK(p.page->items[0].len == strlen("{\"Name\":\"svc0000\"}") &&
          memcmp(p.page->items[0].data, "{\"Name\":\"svc0000\"}", p.page->items[0].len) == 0);
    wmgw_cache_page_free(p.page);
    read_page(&b, id, 2400, 200, &p);
    CHECK_INT(p.page->nitems, 100);
    CHECK(memcmp(p.page->items[99].data, "{\"Name\":\"svc2499\"}", p.page->items[99].len) == 0);
    wmgw_cache_page_free(p.page);
    read_page(&b, "ffffffffffffffffffffffffffffffff", 0, 10, &p);
    CHECK_INT(p.status, WMGW_ENOTFOUND);
    CHECK_INT(wmgw_cache_snapshot_begin(a.w, 10000, &s, id), 0);
    CHECK_INT(wmgw_cache_snapshot_append(s, "x", 1), 0);
    wmgw_cache_snapshot_abandon(s);
    run_for(a.loop, 50);
    read_page(&b, id, 0, 10, &p);
    CHECK_INT(p.status, WMGW_ENOTFOUND);
    cache_loop_down(&a);
    cache_loop_down(&b);
}

static void test_noscript_fallback(void)
{
    flush_redis();
    struct cache_loop r;
    replica_up(&r, 3000, 200, 2000);
    char out[64];
    redis_cli(port, "SCRIPT FLUSH", out, sizeof(out));
    CHECK_STR(out, "OK");
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g;
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL); /* EVALSHA said NOSCRIPT; EVAL did it */
    redis_cli(port, "SCRIPT FLUSH", out, sizeof(out));
    fill_with(g.fill, "after flush", 60000, 0);
    run_for(r.loop, 50);
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK(got_value(&g, "after flush"));
    got_clear(&g);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(r.c, &st);
    CHECK_INT(st.errors, 0);
    cache_loop_down(&r);
}

static int redis_pid(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/redis-%d.pid", dir, port);
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (f != NULL) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

static void test_redis_down_then_back(void)
{
    flush_redis();
    struct cache_loop r;
    replica_up(&r, 3000, 200, 2000);
    struct wmgw_cache_key k = key_of("dc01", "Win32_Service", "alice");
    struct got g;
    get_now(r.loop, r.w, &k, 0, &g);
    fill_with(g.fill, "before", 60000, 0);
    run_for(r.loop, 30);

    /* frozen (SIGSTOP): commands hit their deadline, never hang */
    int pid = redis_pid();
    CHECK(pid > 0);
    kill(pid, SIGSTOP);
    uint64_t t0 = mono_ms();
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_BYPASS);
    CHECK_INT(g.reason, WMGW_CACHE_REASON_UNAVAILABLE);
    CHECK(g.at_ms - t0 < 600); /* the 300 ms command deadline, and a little */
    kill(pid, SIGCONT);
    CHECK(wait_up(r.loop, r.c, 5000));

    /* stopped: everything completes at once as unavailable */
    redis_stop(dir, port);
    run_for(r.loop, 100);
    struct wmgw_cache_status s;
    wmgw_cache_status(r.c, &s);
    CHECK(s.state != WMGW_CACHE_UP);
    CHECK(s.last_error[0] != '\0');
    for (int i = 0; i < 5; i++) {
        t0 = mono_ms();
        get_now(r.loop, r.w, &k, 0, &g);
        CHECK_INT(g.outcome, WMGW_CACHE_BYPASS);
        CHECK_INT(g.reason, WMGW_CACHE_REASON_UNAVAILABLE);
        CHECK(g.at_ms - t0 < 50);
    }
    struct done d = {0};
    CHECK_INT(wmgw_cache_invalidate(r.w, "dc07", on_done, &d, NULL), 0); /* a write while down */
    CHECK(run_until(r.loop, &d.done, 500));
    CHECK_INT(d.status, WMGW_ERETRY);
    struct wmgw_cache_snapshot *snap;
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1];
    CHECK_INT(wmgw_cache_snapshot_begin(r.w, 1000, &snap, id), WMGW_ERETRY);
    run_for(r.loop, 300); /* a few reconnection attempts, backing off */

    /* back: it reconnects by itself, and replays the lost invalidation */
    CHECK_INT(redis_start(dir, port, NULL), port);
    CHECK(wait_up(r.loop, r.c, 5000));
    wmgw_cache_status(r.c, &s);
    CHECK_INT(s.state, WMGW_CACHE_UP);
    CHECK(s.reconnects >= 2); /* after SIGSTOP and after the restart */
    run_for(r.loop, 50);
    char out[128];
    redis_cli(port, "GET wmgwtest:g:dc07", out, sizeof(out));
    CHECK_INT(strlen(out), 32);
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK_INT(g.outcome, WMGW_CACHE_FILL); /* the data went with the old server */
    fill_with(g.fill, "after", 60000, 0);
    run_for(r.loop, 30);
    get_now(r.loop, r.w, &k, 0, &g);
    CHECK(got_value(&g, "after"));
    got_clear(&g);
    struct wmgw_cache_stats st;
    wmgw_cache_stats(r.c, &st);
    CHECK(st.unavailable >= 6);
    cache_loop_down(&r);
}

int main(void)
{
    redis_dir(dir);
    port = redis_start(dir, 0, NULL);
    if (port == 0) {
        fprintf(stderr, "FAIL: could not start redis-server (install the Debian package redis-server)\n");
        redis_cleanup(dir);
        return 1;
    }
    WMGW_TEST_RUN(test_hit_miss_ttl);
    WMGW_TEST_RUN(test_invalidation_across_replicas);
    WMGW_TEST_RUN(test_single_flight_in_a_worker);
    WMGW_TEST_RUN(test_single_flight_across_replicas);
    WMGW_TEST_RUN(test_stale_and_abandon_across_replicas);
    WMGW_TEST_RUN(test_dead_filler_and_wait_deadline);
    WMGW_TEST_RUN(test_snapshot_from_another_replica);
    WMGW_TEST_RUN(test_noscript_fallback);
    WMGW_TEST_RUN(test_redis_down_then_back);
    redis_cleanup(dir);
    return WMGW_TEST_DONE();
}
