/*
 * memory_snapshot.c: snapshots in the memory store (cache.h "snapshots
 * for paging"): any worker of this process can read a page of a snapshot
 * another worker wrote.
 *
 * Items are kept as values (one copy, at append), so a page hands out
 * references, not copies.  All snapshots together are bounded by
 * max_snapshots_bytes; an expired one goes when the next snapshot begins
 * or when a reader finds it.  A snapshot being written does not expire.
 */
#include "cache/memory.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define ITEM_OVERHEAD (sizeof(struct wmgw_cache_value) + sizeof(void *) + 16)

struct mem_snap {
    struct wmgw__tnode node;
    h2o_linklist_t all; /* in m->snap_list */
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1];
    struct wmgw_cache_value **items;
    size_t n, cap;
    size_t charge;      /* counted in m->snap_bytes */
    bool writing, complete;
    uint64_t expires_ms;
};

static void snap_free(struct wmgw__mem *m, struct mem_snap *s)
{
    wmgw__table_remove(&m->snaps, &s->node);
    h2o_linklist_unlink(&s->all);
    m->snap_bytes -= s->charge;
    for (size_t i = 0; i < s->n; i++)
        wmgw_cache_value_unref(s->items[i]);
    free(s->items);
    free(s);
}

static void purge_expired(struct wmgw__mem *m, uint64_t now)
{
    h2o_linklist_t *n = m->snap_list.next;
    while (n != &m->snap_list) {
        struct mem_snap *s = H2O_STRUCT_FROM_MEMBER(struct mem_snap, all, n);
        n = n->next;
        if (!s->writing && now >= s->expires_ms)
            snap_free(m, s);
    }
}

void wmgw__mem_snapshots_free(struct wmgw__mem *m)
{
    while (!h2o_linklist_is_empty(&m->snap_list))
        snap_free(m, H2O_STRUCT_FROM_MEMBER(struct mem_snap, all, m->snap_list.next));
    wmgw__table_dispose(&m->snaps);
}

int wmgw__mem_snapshot_begin(struct wmgw_cache_snapshot *s)
{
    struct wmgw_cache *c = s->w->c;
    struct wmgw__mem *m = c->store;
    struct mem_snap *ms = calloc(1, sizeof(*ms));
    if (ms == NULL)
        return WMGW_ENOMEM;
    memcpy(ms->id, s->id, sizeof(ms->id));
    ms->node.key = ms->id;
    ms->node.klen = WMGW_CACHE_SNAPSHOT_ID_LEN;
    ms->writing = true;
    ms->charge = sizeof(*ms);
    pthread_mutex_lock(&m->lock);
    purge_expired(m, wmgw__cache_now_ms());
    if (m->snap_bytes + ms->charge > c->cfg.max_snapshots_bytes) {
        pthread_mutex_unlock(&m->lock);
        free(ms);
        return WMGW_ETOOBIG;
    }
    m->snap_bytes += ms->charge;
    wmgw__table_insert(&m->snaps, &ms->node);
    h2o_linklist_insert(&m->snap_list, &ms->all);
    pthread_mutex_unlock(&m->lock);
    s->store = ms;
    return 0;
}

int wmgw__mem_snapshot_append(struct wmgw_cache_snapshot *s, const void *item, size_t n)
{
    struct wmgw_cache *c = s->w->c;
    struct wmgw__mem *m = c->store;
    struct mem_snap *ms = s->store;
    size_t charge = n + ITEM_OVERHEAD;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    if (m->snap_bytes + charge > c->cfg.max_snapshots_bytes) {
        rc = WMGW_ETOOBIG;
    } else if (ms->n == ms->cap) {
        size_t cap = ms->cap ? ms->cap * 2 : 64;
        struct wmgw_cache_value **items = realloc(ms->items, cap * sizeof(*items));
        if (items == NULL)
            rc = WMGW_ENOMEM;
        else {
            ms->items = items;
            ms->cap = cap;
        }
    }
    struct wmgw_cache_value *v = rc == 0 ? wmgw__value_copy(item, n) : NULL;
    if (rc == 0 && v == NULL)
        rc = WMGW_ENOMEM;
    if (rc == 0) {
        ms->items[ms->n++] = v;
        ms->charge += charge;
        m->snap_bytes += charge;
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == WMGW_ETOOBIG)
        WMGW__COUNT(c, too_large);
    return rc;
}

void wmgw__mem_snapshot_end(struct wmgw_cache_snapshot *s, bool commit)
{
    struct wmgw__mem *m = s->w->c->store;
    struct mem_snap *ms = s->store;
    pthread_mutex_lock(&m->lock);
    ms->writing = false;
    if (commit) {
        ms->complete = true;
        ms->expires_ms = wmgw__cache_now_ms() + s->ttl_ms;
    } else {
        snap_free(m, ms);
    }
    pthread_mutex_unlock(&m->lock);
    free(s);
}

void wmgw__mem_page(struct wmgw_cache_op *op)
{
    struct wmgw_cache *c = op->w->c;
    struct wmgw__mem *m = c->store;
    pthread_mutex_lock(&m->lock);
    struct wmgw__tnode *node = wmgw__table_find(&m->snaps, op->id, WMGW_CACHE_SNAPSHOT_ID_LEN);
    struct mem_snap *ms = node ? H2O_STRUCT_FROM_MEMBER(struct mem_snap, node, node) : NULL;
    if (ms != NULL && !ms->writing && wmgw__cache_now_ms() >= ms->expires_ms) {
        snap_free(m, ms);
        ms = NULL;
    }
    if (ms == NULL) {
        op->status = WMGW_ENOTFOUND;
    } else {
        size_t from = op->offset < ms->n ? op->offset : ms->n;
        size_t k = ms->n - from < op->count ? ms->n - from : op->count;
        struct wmgw__page *p = wmgw__page_new(k);
        struct wmgw_cache_value **refs = k ? malloc(k * sizeof(*refs)) : NULL;
        if (p == NULL || (k > 0 && refs == NULL)) {
            free(p);
            free(refs);
            op->status = WMGW_ENOMEM;
        } else {
            for (size_t i = 0; i < k; i++) {
                refs[i] = wmgw_cache_value_ref(ms->items[from + i]);
                p->items[i] = (struct wmgw_cache_bytes){refs[i]->data, refs[i]->len};
            }
            p->values = refs;
            p->nvalues = k;
            p->pub.nitems = k;
            p->pub.complete = ms->complete;
            p->pub.total = ms->complete ? ms->n : 0;
            op->page = p;
            op->status = 0;
            WMGW__COUNT(c, pages);
        }
    }
    wmgw__op_ready(op, op->w);
    pthread_mutex_unlock(&m->lock);
}
