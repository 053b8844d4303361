/*
 * cache_test.h: what the cache tests share: real redis-server processes
 * (through tests/redis/start, stop, start-sentinel), event loops to drive,
 * a recorder for lookup results, and "actors": a thread with its own loop
 * and cache worker, for single flight across threads and replicas.
 *
 * A missing redis-server or redis-sentinel fails the test with the package
 * to install; nothing is skipped.
 */
#ifndef WMGW_TESTS_UNIT_CACHE_TEST_H
#define WMGW_TESTS_UNIT_CACHE_TEST_H

#include "cache/cache.h"
#include "util/err.h"

#define H2O_USE_LIBUV 0
#include <h2o/socket.h>
#include <h2o/timeout.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"

/* --- one cache on one loop ---------------------------------------------------------- */

/* A cache from cfg, or the run stops with the reason. */
static inline struct wmgw_cache *cache_or_die(const struct wmgw_cache_config *cfg)
{
    struct wmgw_cache *c = NULL;
    struct wmgw_err err;
    if (wmgw_cache_new(cfg, &c, &err) != 0) {
        fprintf(stderr, "cache: %s\n", err.message);
        abort();
    }
    return c;
}

/* A cache with one worker on its own event loop: what one gateway worker
 * (or, for Redis, one replica) has. */
struct cache_loop {
    struct wmgw_cache *c;
    h2o_evloop_t *loop;
    struct wmgw_cache_worker *w;
};

static inline void cache_loop_up(struct cache_loop *f, struct wmgw_cache *c)
{
    f->c = c;
    f->loop = h2o_evloop_create();
    CHECK_INT(wmgw_cache_worker_new(f->c, f->loop, &f->w, NULL), 0);
}

static inline void cache_loop_down(struct cache_loop *f)
{
    wmgw_cache_worker_free(f->w);
    h2o_evloop_run(f->loop, 0);
    h2o_evloop_destroy(f->loop);
    wmgw_cache_free(f->c);
}

/* --- redis processes --------------------------------------------------------------- */

static inline const char *source_dir(void)
{
    static char dir[1024];
    const char *env = getenv("WMGW_SOURCE_DIR");
    if (env != NULL && *env)
        return env;
    /* __FILE__ is .../tests/unit/cache/cache_test.h */
    snprintf(dir, sizeof(dir), "%s", __FILE__);
    char *p = strstr(dir, "/tests/unit/cache/");
    if (p != NULL)
        *p = '\0';
    return dir;
}

/* Runs a tests/redis script; its first output line into out.  Exit code 2
 * (missing program) prints the script's message and fails the run. */
static inline int redis_script(const char *script, const char *args, char *out, size_t n)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s/tests/redis/%s %s", source_dir(), script, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    if (out != NULL) {
        out[0] = '\0';
        if (fgets(out, (int)n, p) == NULL)
            out[0] = '\0';
        out[strcspn(out, "\n")] = '\0';
    }
    char rest[256];
    while (fgets(rest, sizeof(rest), p) != NULL)
        ;
    int st = pclose(p);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (rc == 2) {
        fprintf(stderr, "FAIL: %s cannot run: a Redis program is missing (see the message above)\n", script);
        exit(1);
    }
    return rc;
}

/* A fresh directory for one test's Redis files, and a watchdog: a child
 * that waits for this process to end however it ends (a crash included)
 * and then stops every server started in dir, by pid file, and removes
 * dir. */
static inline void redis_dir(char dir[256])
{
    snprintf(dir, 256, "/tmp/wmgw-cache-test-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) { /* redis-server must not inherit the write end */
        perror("pipe");
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        for (int fd = 3; fd < 1024; fd++)
            if (fd != fds[0])
                close(fd);
        char b;
        while (read(fds[0], &b, 1) != 0)
            ; /* EOF: the test process is gone */
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "'%s/tests/redis/stop' '%s' >/dev/null 2>&1; rm -rf '%s'", source_dir(), dir,
                 dir);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(1);
    }
    close(fds[0]); /* the write end stays open, unused, until we exit */
}

/* Starts redis-server in dir (on port, or a free one when 0); the port. */
static inline int redis_start(const char *dir, int port, const char *extra)
{
    char args[768], out[64];
    snprintf(args, sizeof(args), "%s %d %s", dir, port, extra ? extra : "");
    if (port == 0)
        snprintf(args, sizeof(args), "%s \"\" %s", dir, extra ? extra : "");
    if (redis_script("start", args, out, sizeof(out)) != 0)
        return 0;
    return atoi(out);
}

static inline void redis_stop(const char *dir, int port)
{
    char args[512];
    snprintf(args, sizeof(args), "%s %d", dir, port);
    redis_script("stop", args, NULL, 0);
}

static inline void redis_cleanup(const char *dir)
{
    char args[512];
    snprintf(args, sizeof(args), "%s", dir);
    redis_script("stop", args, NULL, 0);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* redis-cli against 127.0.0.1:port; the first line of the answer. */
static inline void redis_cli(int port, const char *args, char *out, size_t n)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "redis-cli -h 127.0.0.1 -p %d %s 2>&1", port, args);
    FILE *p = popen(cmd, "r");
    out[0] = '\0';
    if (p == NULL)
        return;
    if (fgets(out, (int)n, p) == NULL)
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    char rest[256];
    while (fgets(rest, sizeof(rest), p) != NULL)
        ;
    pclose(p);
}

/* --- time and loops ---------------------------------------------------------------- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Runs loop until *flag is set or ms pass; whether it was set. */
static inline bool run_until(h2o_evloop_t *loop, atomic_int *flag, unsigned ms)
{
    uint64_t end = mono_ms() + ms;
    while (!atomic_load(flag) && mono_ms() < end)
        h2o_evloop_run(loop, 10);
    return atomic_load(flag) != 0;
}

static inline void run_for(h2o_evloop_t *loop, unsigned ms)
{
    uint64_t end = mono_ms() + ms;
    while (mono_ms() < end)
        h2o_evloop_run(loop, 10);
}

/* Runs loop until every worker of c is up (or ms pass). */
static inline bool wait_up(h2o_evloop_t *loop, struct wmgw_cache *c, unsigned ms)
{
    uint64_t end = mono_ms() + ms;
    struct wmgw_cache_status st;
    for (;;) {
        wmgw_cache_status(c, &st);
        if (st.state == WMGW_CACHE_UP && st.workers_up == st.workers)
            return true;
        if (mono_ms() >= end)
            return false;
        h2o_evloop_run(loop, 10);
    }
}

/* --- results -------------------------------------------------------------------------- */

struct got {
    atomic_int done;
    enum wmgw_cache_outcome outcome;
    enum wmgw_cache_reason reason;
    struct wmgw_cache_value *value;
    struct wmgw_cache_fill *fill;
    uint64_t age_ms;
    uint64_t at_ms; /* when the callback ran (monotonic) */
};

static inline void on_got(void *data, struct wmgw_cache_result *res)
{
    struct got *g = data;
    g->outcome = res->outcome;
    g->reason = res->reason;
    g->value = res->value;
    g->fill = res->fill;
    g->age_ms = res->age_ms;
    g->at_ms = mono_ms();
    atomic_store(&g->done, 1);
}

static inline void got_clear(struct got *g)
{
    wmgw_cache_value_unref(g->value);
    memset(g, 0, sizeof(*g));
}

static inline bool got_value(const struct got *g, const char *s)
{
    return g->value != NULL && g->value->len == strlen(s) && memcmp(g->value->data, s, g->value->len) == 0;
}

/* Counts results of many lookups. */
struct tally {
    atomic_int n, hit, stale, fill, bypass;
    struct wmgw_cache_fill *fills[64];
    atomic_int nfills;
    char last[64];
};

static inline void on_tally(void *data, struct wmgw_cache_result *res)
{
    struct tally *t = data;
    switch (res->outcome) {
    case WMGW_CACHE_HIT:
        atomic_fetch_add(&t->hit, 1);
        if (res->value != NULL)
            snprintf(t->last, sizeof(t->last), "%.*s", (int)res->value->len, res->value->data);
        break;
    case WMGW_CACHE_STALE:
        atomic_fetch_add(&t->stale, 1);
        break;
    case WMGW_CACHE_FILL: {
        atomic_fetch_add(&t->fill, 1);
        int i = atomic_fetch_add(&t->nfills, 1);
        if (i < 64)
            t->fills[i] = res->fill;
        break;
    }
    case WMGW_CACHE_BYPASS:
        atomic_fetch_add(&t->bypass, 1);
        break;
    }
    wmgw_cache_value_unref(res->value);
    atomic_fetch_add(&t->n, 1);
}

static inline void fill_with(struct wmgw_cache_fill *f, const char *s, unsigned fresh_ms, unsigned stale_ms)
{
    struct wmgw_cache_ttl ttl = {fresh_ms, stale_ms};
    CHECK_INT(wmgw_cache_fill_append(f, s, strlen(s)), 0);
    wmgw_cache_fill_commit(f, &ttl);
}

static inline struct wmgw_cache_key key_of(const char *host, const char *cls, const char *cred)
{
    return (struct wmgw_cache_key){.host = host, .ns = "root/cimv2", .kind = WMGW_CACHE_ENUMERATION,
                                   .target = cls, .credential = cred};
}

/* Looks key up on w and runs loop until the answer. */
static inline void get_now(h2o_evloop_t *loop, struct wmgw_cache_worker *w, const struct wmgw_cache_key *k, unsigned flags,
                    struct got *g)
{
    memset(g, 0, sizeof(*g));
    CHECK_INT(wmgw_cache_get(w, k, flags, on_got, g, NULL), 0);
    CHECK(run_until(loop, &g->done, 5000));
}

/* --- actors: a thread, its loop, its worker ---------------------------------------------- */

struct actor {
    pthread_t thread;
    struct wmgw_cache *c;
    h2o_evloop_t *loop;
    struct wmgw_cache_worker *w;
    pthread_barrier_t *start; /* all actors begin their job together */
    void (*job)(struct actor *a);
    atomic_int stop;
    void *data;
    /* a task posted from another thread, run on the actor's thread */
    pthread_mutex_t lock;
    void (*task)(struct actor *a, void *arg);
    void *task_arg;
    atomic_int task_done;
};

static inline void actor_run_task(struct actor *a)
{
    pthread_mutex_lock(&a->lock);
    void (*task)(struct actor *, void *) = a->task;
    void *arg = a->task_arg;
    a->task = NULL;
    pthread_mutex_unlock(&a->lock);
    if (task != NULL) {
        task(a, arg);
        atomic_store(&a->task_done, 1);
    }
}

/* Runs task(a, arg) on a's thread and waits for it. */
static inline void actor_call(struct actor *a, void (*task)(struct actor *, void *), void *arg)
{
    atomic_store(&a->task_done, 0);
    pthread_mutex_lock(&a->lock);
    a->task = task;
    a->task_arg = arg;
    pthread_mutex_unlock(&a->lock);
    while (!atomic_load(&a->task_done))
        sleep_ms(1);
}

static inline void *actor_main(void *p)
{
    struct actor *a = p;
    a->loop = h2o_evloop_create();
    if (wmgw_cache_worker_new(a->c, a->loop, &a->w, NULL) != 0)
        abort();
    wait_up(a->loop, a->c, 5000);
    pthread_barrier_wait(a->start);
    a->job(a);
    while (!atomic_load(&a->stop)) {
        h2o_evloop_run(a->loop, 5);
        actor_run_task(a);
    }
    wmgw_cache_worker_free(a->w);
    h2o_evloop_run(a->loop, 0);
    h2o_evloop_destroy(a->loop);
    /* h2o keeps freed socket buffers in a per-thread list for reuse; a
     * thread that ends must give them back or LeakSanitizer sees them */
    h2o_mem_recycle_t *r = &h2o_socket_buffer_prototype.allocator;
    while (r->cnt > 0)
        free(h2o_mem_alloc_recycle(r, 1));
    return NULL;
}

static inline void actor_start(struct actor *a)
{
    pthread_mutex_init(&a->lock, NULL);
    if (pthread_create(&a->thread, NULL, actor_main, a) != 0)
        abort();
}

static inline void actor_join(struct actor *a)
{
    atomic_store(&a->stop, 1);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->lock);
}

/* A one-shot timer on a loop (commit a fill later, as a slow backend would). */
struct later {
    h2o_timeout_t to;
    h2o_timeout_entry_t entry;
    h2o_evloop_t *loop;
    void (*fn)(void *data);
    void *data;
};

static inline void on_later(h2o_timeout_entry_t *e)
{
    struct later *l = H2O_STRUCT_FROM_MEMBER(struct later, entry, e);
    l->fn(l->data);
}

static inline void later_start(struct later *l, h2o_evloop_t *loop, unsigned ms, void (*fn)(void *), void *data)
{
    memset(l, 0, sizeof(*l));
    l->loop = loop;
    l->fn = fn;
    l->data = data;
    l->entry.cb = on_later;
    h2o_timeout_init(loop, &l->to, ms);
    h2o_timeout_link(loop, &l->to, &l->entry);
}

static inline void later_dispose(struct later *l)
{
    h2o_timeout_unlink(&l->entry);
    h2o_timeout_dispose(l->loop, &l->to);
}

#endif
