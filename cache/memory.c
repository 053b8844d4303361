/*
 * memory.c: the memory store (cache.h "memory"): the default, in this
 * process, shared by its worker threads.
 *
 * Entries live in a byte-bounded LRU (lru.h) under their key text
 * "<host>:<generation>:<digest>".  Each host's generation comes from one
 * process-wide counter: invalidating a host gives it the next number, so
 * its old entries can no longer be named and age out of the LRU (O(1),
 * nothing scanned).  Because numbers are never reused, the table of hosts
 * can even be emptied when it reaches its bound without reviving anything.
 *
 * Single flight: the first miss creates a flight under the key and gets
 * the fill; later callers join it as waiters (with a deadline), or take
 * the stale value at once when there is one.  Commit stores the value and
 * gives every waiter a reference to the same bytes; abandon sends them to
 * the backend.
 */
#include "cache/memory.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_MAX 65536
#define KEYTEXT_MAX (WMGW_CACHE_HOST_MAX * 3 + 24 + WMGW_CACHE_DIGEST_HEX + 1)

struct mem_flight {
    struct wmgw__tnode node;
    h2o_linklist_t all;     /* in m->flight_list */
    h2o_linklist_t waiters; /* of wmgw_cache_op.link */
    size_t nwaiters;
    char key[];
};

struct mem_host {
    struct wmgw__tnode node;
    uint64_t gen;
    char name[];
};

static struct wmgw__mem *store_of(struct wmgw_cache *c)
{
    return c->store;
}

/* --- generations ------------------------------------------------------------------- */

static void hosts_clear(struct wmgw__mem *m)
{
    struct wmgw__tnode *n;
    while ((n = wmgw__table_any(&m->hosts)) != NULL) {
        wmgw__table_remove(&m->hosts, n);
        free(H2O_STRUCT_FROM_MEMBER(struct mem_host, node, n));
    }
}

/* The host's generation; a new one when bump is set (m->lock held). */
static uint64_t host_gen(struct wmgw__mem *m, const char *host, bool bump)
{
    size_t n = strlen(host);
    struct wmgw__tnode *node = wmgw__table_find(&m->hosts, host, n);
    struct mem_host *h = node ? H2O_STRUCT_FROM_MEMBER(struct mem_host, node, node) : NULL;
    if (h == NULL) {
        if (m->hosts.count >= HOSTS_MAX)
            hosts_clear(m); /* every host gets a new number: a full invalidation, never a revival */
        h = malloc(sizeof(*h) + n + 1);
        if (h == NULL)
            return ++m->next_gen; /* an unknown, never-used generation: a miss, never wrong */
        memcpy(h->name, host, n + 1);
        h->node.key = h->name;
        h->node.klen = n;
        h->gen = ++m->next_gen;
        wmgw__table_insert(&m->hosts, &h->node);
    } else if (bump) {
        h->gen = ++m->next_gen;
    }
    return h->gen;
}

/* --- flights -------------------------------------------------------------------------- */

static struct mem_flight *flight_new(struct wmgw__mem *m, const char *key, size_t klen)
{
    struct mem_flight *f = malloc(sizeof(*f) + klen + 1);
    if (f == NULL)
        return NULL;
    memcpy(f->key, key, klen + 1);
    f->node.key = f->key;
    f->node.klen = klen;
    h2o_linklist_init_anchor(&f->waiters);
    f->nwaiters = 0;
    f->all = (h2o_linklist_t){NULL, NULL};
    wmgw__table_insert(&m->flights, &f->node);
    h2o_linklist_insert(&m->flight_list, &f->all);
    return f;
}

static void flight_free(struct wmgw__mem *m, struct mem_flight *f)
{
    wmgw__table_remove(&m->flights, &f->node);
    h2o_linklist_unlink(&f->all);
    free(f);
}

static struct wmgw_cache_op *next_waiter(struct mem_flight *f)
{
    if (h2o_linklist_is_empty(&f->waiters))
        return NULL;
    struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, f->waiters.next);
    h2o_linklist_unlink(&op->link);
    f->nwaiters--;
    op->flight = NULL;
    return op;
}

static void on_wait_timeout(struct wmgw__timer *t)
{
    struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, timer, t);
    struct wmgw__mem *m = store_of(op->w->c);
    pthread_mutex_lock(&m->lock);
    struct mem_flight *f = op->flight;
    if (op->phase == WMGW__OP_STORE && f != NULL) {
        h2o_linklist_unlink(&op->link);
        f->nwaiters--;
        op->flight = NULL;
        wmgw__op_bypass(op, WMGW_CACHE_REASON_WAIT_TIMEOUT, op->w);
    }
    pthread_mutex_unlock(&m->lock);
}

/* --- lookups ---------------------------------------------------------------------------- */

static size_t key_text(char out[KEYTEXT_MAX], const struct wmgw__ckey *k, uint64_t gen)
{
    int n = snprintf(out, KEYTEXT_MAX, "%s:%llu:%s", k->host, (unsigned long long)gen, k->digest);
    return (size_t)n;
}

static void mem_get(struct wmgw_cache_op *op)
{
    struct wmgw_cache_worker *w = op->w;
    struct wmgw_cache *c = w->c;
    struct wmgw__mem *m = store_of(c);
    bool fresh = (op->flags & WMGW_CACHE_GET_FRESH) != 0;
    char key[KEYTEXT_MAX];
    pthread_mutex_lock(&m->lock);
    size_t klen = key_text(key, &op->key, host_gen(m, op->key.host, false));
    uint64_t now = wmgw__cache_now_ms();
    struct wmgw__lru_entry *e = wmgw__lru_get(&m->lru, key, klen);
    if (e != NULL && now >= e->stale_until_ms) {
        wmgw__lru_remove(&m->lru, e);
        e = NULL;
    }
    struct wmgw__tnode *node = wmgw__table_find(&m->flights, key, klen);
    struct mem_flight *f = node ? H2O_STRUCT_FROM_MEMBER(struct mem_flight, node, node) : NULL;
    if (!fresh && e != NULL && now < e->fresh_until_ms) {
        op->res = (struct wmgw_cache_result){.outcome = WMGW_CACHE_HIT, .value = wmgw_cache_value_ref(e->value),
                                             .age_ms = now - e->stored_ms};
        WMGW__COUNT(c, hits);
        wmgw__op_ready(op, w);
    } else if (f != NULL && !fresh && e != NULL) {
        /* someone refreshes it: the stale value now beats waiting */
        op->res = (struct wmgw_cache_result){.outcome = WMGW_CACHE_STALE, .value = wmgw_cache_value_ref(e->value),
                                             .age_ms = now - e->stored_ms};
        WMGW__COUNT(c, stale);
        wmgw__op_ready(op, w);
    } else if (f != NULL) {
        if (f->nwaiters >= c->cfg.max_waiters) {
            wmgw__op_bypass(op, WMGW_CACHE_REASON_BUSY, w);
        } else {
            h2o_linklist_insert(&f->waiters, &op->link);
            f->nwaiters++;
            op->flight = f;
            op->timer.cb = on_wait_timeout;
            wmgw__timer_start(&op->timer, c->cfg.wait_ms);
            WMGW__COUNT(c, waits);
        }
    } else {
        struct wmgw_cache_fill *fill = NULL;
        if (m->flights.count < c->cfg.max_flights && (f = flight_new(m, key, klen)) != NULL &&
            (fill = wmgw__fill_new(w, f, e ? e->value : NULL)) == NULL)
            flight_free(m, f);
        if (fill == NULL) {
            wmgw__op_bypass(op, WMGW_CACHE_REASON_BUSY, w);
        } else {
            op->res = (struct wmgw_cache_result){.outcome = WMGW_CACHE_FILL, .fill = fill};
            WMGW__COUNT(c, misses);
            wmgw__op_ready(op, w);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

static bool mem_cancel(struct wmgw_cache_op *op)
{
    struct wmgw__mem *m = store_of(op->w->c);
    bool taken = false;
    pthread_mutex_lock(&m->lock);
    if (op->phase == WMGW__OP_STORE) {
        struct mem_flight *f = op->flight;
        if (f != NULL) {
            h2o_linklist_unlink(&op->link);
            f->nwaiters--;
            op->flight = NULL;
        }
        taken = true;
    }
    pthread_mutex_unlock(&m->lock);
    return taken;
}

/* --- fills ------------------------------------------------------------------------------ */

static void mem_fill_commit(struct wmgw_cache_fill *fill, struct wmgw_cache_value *v, const struct wmgw_cache_ttl *ttl)
{
    struct wmgw_cache *c = fill->w->c;
    struct wmgw__mem *m = store_of(c);
    struct mem_flight *f = fill->flight;
    pthread_mutex_lock(&m->lock);
    if (ttl != NULL && ttl->fresh_ms > 0) {
        uint64_t now = wmgw__cache_now_ms();
        size_t evicted = 0;
        int rc = wmgw__lru_put(&m->lru, f->key, f->node.klen, v, now, now + ttl->fresh_ms,
                               now + ttl->fresh_ms + ttl->stale_ms, &evicted);
        atomic_fetch_add_explicit(&c->n.evictions, evicted, memory_order_relaxed);
        if (rc == 0)
            WMGW__COUNT(c, fills);
        else if (rc == WMGW_ETOOBIG)
            WMGW__COUNT(c, too_large);
        else
            WMGW__COUNT(c, errors);
    }
    /* The waiters asked before this answer was fetched: it serves them
     * whether or not it could be stored. */
    struct wmgw_cache_op *op;
    while ((op = next_waiter(f)) != NULL) {
        op->res = (struct wmgw_cache_result){.outcome = WMGW_CACHE_HIT, .value = wmgw_cache_value_ref(v)};
        WMGW__COUNT(c, hits);
        wmgw__op_ready(op, fill->w);
    }
    flight_free(m, f);
    fill->flight = NULL;
    pthread_mutex_unlock(&m->lock);
}

static void mem_fill_abandon(struct wmgw_cache_fill *fill)
{
    struct wmgw__mem *m = store_of(fill->w->c);
    struct mem_flight *f = fill->flight;
    pthread_mutex_lock(&m->lock);
    struct wmgw_cache_op *op;
    while ((op = next_waiter(f)) != NULL)
        wmgw__op_bypass(op, WMGW_CACHE_REASON_ABANDONED, fill->w);
    flight_free(m, f);
    fill->flight = NULL;
    pthread_mutex_unlock(&m->lock);
}

/* --- invalidation ------------------------------------------------------------------------ */

static void mem_invalidate(struct wmgw_cache_op *op)
{
    struct wmgw__mem *m = store_of(op->w->c);
    pthread_mutex_lock(&m->lock);
    host_gen(m, op->key.host, true);
    op->status = 0;
    wmgw__op_ready(op, op->w);
    pthread_mutex_unlock(&m->lock);
}

/* --- the store ---------------------------------------------------------------------------- */

static int mem_open(struct wmgw_cache *c, struct wmgw_err *err)
{
    struct wmgw__mem *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "cache: out of memory");
    pthread_mutex_init(&m->lock, NULL);
    wmgw__lru_init(&m->lru, c->cfg.max_bytes);
    wmgw__table_init(&m->flights);
    h2o_linklist_init_anchor(&m->flight_list);
    wmgw__table_init(&m->hosts);
    wmgw__table_init(&m->snaps);
    h2o_linklist_init_anchor(&m->snap_list);
    c->store = m;
    return 0;
}

static void mem_close(struct wmgw_cache *c)
{
    struct wmgw__mem *m = store_of(c);
    wmgw__lru_dispose(&m->lru);
    while (!h2o_linklist_is_empty(&m->flight_list))
        flight_free(m, H2O_STRUCT_FROM_MEMBER(struct mem_flight, all, m->flight_list.next));
    wmgw__table_dispose(&m->flights);
    hosts_clear(m);
    wmgw__table_dispose(&m->hosts);
    wmgw__mem_snapshots_free(m);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int mem_worker_open(struct wmgw_cache_worker *w, struct wmgw_err *err)
{
    w->store = w->c->store; /* nothing of its own */
    wmgw__worker_set_state(w, WMGW_CACHE_UP, NULL, NULL, false);
    return 0;
}

static void mem_worker_close(struct wmgw_cache_worker *w)
{
    /* Its waiters leave every flight, without callbacks. */
    struct wmgw__mem *m = store_of(w->c);
    h2o_linklist_t mine;
    h2o_linklist_init_anchor(&mine);
    pthread_mutex_lock(&m->lock);
    for (h2o_linklist_t *n = m->flight_list.next; n != &m->flight_list; n = n->next) {
        struct mem_flight *f = H2O_STRUCT_FROM_MEMBER(struct mem_flight, all, n);
        h2o_linklist_t *o = f->waiters.next;
        while (o != &f->waiters) {
            struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, o);
            o = o->next;
            if (op->w != w)
                continue;
            h2o_linklist_unlink(&op->link);
            f->nwaiters--;
            op->flight = NULL;
            h2o_linklist_insert(&mine, &op->link);
        }
    }
    pthread_mutex_unlock(&m->lock);
    while (!h2o_linklist_is_empty(&mine)) {
        struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, mine.next);
        h2o_linklist_unlink(&op->link);
        wmgw__op_free(op);
    }
    w->store = NULL;
}

static void mem_status(struct wmgw_cache *c, struct wmgw_cache_status *out)
{
}

static void mem_stats(struct wmgw_cache *c, struct wmgw_cache_stats *out)
{
    struct wmgw__mem *m = store_of(c);
    pthread_mutex_lock(&m->lock);
    out->bytes = wmgw__lru_total(&m->lru);
    out->entries = wmgw__lru_count(&m->lru);
    pthread_mutex_unlock(&m->lock);
}

const struct wmgw__store_ops wmgw__store_memory = {
    .name = "memory",
    .open = mem_open,
    .close = mem_close,
    .worker_open = mem_worker_open,
    .worker_close = mem_worker_close,
    .get = mem_get,
    .cancel = mem_cancel,
    .fill_commit = mem_fill_commit,
    .fill_abandon = mem_fill_abandon,
    .invalidate = mem_invalidate,
    .snapshot_begin = wmgw__mem_snapshot_begin,
    .snapshot_append = wmgw__mem_snapshot_append,
    .snapshot_end = wmgw__mem_snapshot_end,
    .page = wmgw__mem_page,
    .status = mem_status,
    .stats = mem_stats,
};
