/*
 * lru.c: the byte-bounded LRU map (lru.h).
 */
#include "cache/lru.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

/* What malloc keeps beside each block (glibc: 8 to 16 bytes, rounded). */
#define ALLOC_OVERHEAD 16

void wmgw__lru_init(struct wmgw__lru *l, size_t max_bytes)
{
    wmgw__table_init(&l->table);
    h2o_linklist_init_anchor(&l->order);
    l->bytes = 0;
    l->max_bytes = max_bytes;
}

void wmgw__lru_dispose(struct wmgw__lru *l)
{
    while (!h2o_linklist_is_empty(&l->order))
        wmgw__lru_remove(l, H2O_STRUCT_FROM_MEMBER(struct wmgw__lru_entry, order, l->order.next));
    wmgw__table_dispose(&l->table);
}

size_t wmgw__lru_charge(size_t klen, size_t vlen)
{
    /* entry + key, value struct, value bytes: three blocks at most */
    return sizeof(struct wmgw__lru_entry) + klen + 1 + sizeof(struct wmgw_cache_value) + vlen + 1 +
           3 * ALLOC_OVERHEAD;
}

size_t wmgw__lru_count(const struct wmgw__lru *l)
{
    return l->table.count;
}

size_t wmgw__lru_total(const struct wmgw__lru *l)
{
    return l->bytes + wmgw__table_bytes(&l->table);
}

struct wmgw__lru_entry *wmgw__lru_get(struct wmgw__lru *l, const char *key, size_t klen)
{
    struct wmgw__tnode *n = wmgw__table_find(&l->table, key, klen);
    if (n == NULL)
        return NULL;
    struct wmgw__lru_entry *e = H2O_STRUCT_FROM_MEMBER(struct wmgw__lru_entry, node, n);
    h2o_linklist_unlink(&e->order);
    h2o_linklist_insert(l->order.next, &e->order);
    return e;
}

void wmgw__lru_remove(struct wmgw__lru *l, struct wmgw__lru_entry *e)
{
    wmgw__table_remove(&l->table, &e->node);
    h2o_linklist_unlink(&e->order);
    l->bytes -= e->charge;
    wmgw_cache_value_unref(e->value);
    free(e);
}

static bool evict_one(struct wmgw__lru *l, struct wmgw__lru_entry *keep)
{
    if (h2o_linklist_is_empty(&l->order))
        return false;
    struct wmgw__lru_entry *e = H2O_STRUCT_FROM_MEMBER(struct wmgw__lru_entry, order, l->order.prev);
    if (e == keep)
        return false;
    wmgw__lru_remove(l, e);
    return true;
}

int wmgw__lru_put(struct wmgw__lru *l, const char *key, size_t klen, struct wmgw_cache_value *v,
                  uint64_t stored_ms, uint64_t fresh_until_ms, uint64_t stale_until_ms, size_t *evicted)
{
    *evicted = 0;
    size_t charge = wmgw__lru_charge(klen, v->len);
    struct wmgw__tnode *old = wmgw__table_find(&l->table, key, klen);
    if (old != NULL)
        wmgw__lru_remove(l, H2O_STRUCT_FROM_MEMBER(struct wmgw__lru_entry, node, old));
    if (charge > l->max_bytes || charge + wmgw__table_bytes(&l->table) > l->max_bytes)
        return WMGW_ETOOBIG;
    struct wmgw__lru_entry *e = malloc(sizeof(*e) + klen + 1);
    if (e == NULL)
        return WMGW_ENOMEM;
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    e->node.key = e->key;
    e->node.klen = klen;
    e->value = wmgw_cache_value_ref(v);
    e->stored_ms = stored_ms;
    e->fresh_until_ms = fresh_until_ms;
    e->stale_until_ms = stale_until_ms;
    e->charge = charge;
    e->order = (h2o_linklist_t){NULL, NULL};
    while (l->bytes + charge + wmgw__table_bytes(&l->table) > l->max_bytes && evict_one(l, NULL))
        ++*evicted;
    wmgw__table_insert(&l->table, &e->node);
    h2o_linklist_insert(l->order.next, &e->order);
    l->bytes += charge;
    /* The insert may have grown the bucket array past the bound. */
    while (wmgw__lru_total(l) > l->max_bytes && evict_one(l, e))
        ++*evicted;
    if (wmgw__lru_total(l) > l->max_bytes) {
        wmgw__lru_remove(l, e);
        return WMGW_ETOOBIG;
    }
    return 0;
}
