/*
 * lru.h: a byte-bounded LRU map from key text to value (the memory
 * store's entries).  Not thread-safe: memory.c holds its lock around
 * every call.
 *
 * The bound counts what the entries really cost: each entry's struct,
 * key, value struct and bytes, an allowance per allocation, and the hash
 * table's bucket array.  Putting past the bound evicts from the least
 * recently used end; an entry that could not fit even alone is refused.
 */
#ifndef WMGW_CACHE_LRU_H
#define WMGW_CACHE_LRU_H

#include "cache/cache_int.h"

struct wmgw__lru_entry {
    struct wmgw__tnode node;
    h2o_linklist_t order; /* most recently used first */
    struct wmgw_cache_value *value;
    uint64_t stored_ms, fresh_until_ms, stale_until_ms;
    size_t charge;
    char key[];
};

struct wmgw__lru {
    struct wmgw__table table;
    h2o_linklist_t order;
    size_t bytes;     /* the entries' charges */
    size_t max_bytes; /* for bytes plus the bucket array */
};

void wmgw__lru_init(struct wmgw__lru *l, size_t max_bytes);
void wmgw__lru_dispose(struct wmgw__lru *l);
/* What an entry of this key and value length costs. */
size_t wmgw__lru_charge(size_t klen, size_t vlen);
/* The entry, made most recently used; NULL if absent. */
struct wmgw__lru_entry *wmgw__lru_get(struct wmgw__lru *l, const char *key, size_t klen);
/* Stores (a new reference to) v under key, replacing an entry there.
 * *evicted counts what made room.  WMGW_ETOOBIG if it cannot fit at all,
 * WMGW_ENOMEM. */
int wmgw__lru_put(struct wmgw__lru *l, const char *key, size_t klen, struct wmgw_cache_value *v,
                  uint64_t stored_ms, uint64_t fresh_until_ms, uint64_t stale_until_ms, size_t *evicted);
void wmgw__lru_remove(struct wmgw__lru *l, struct wmgw__lru_entry *e);
size_t wmgw__lru_count(const struct wmgw__lru *l);
/* bytes plus the bucket array: what max_bytes bounds. */
size_t wmgw__lru_total(const struct wmgw__lru *l);

#endif
