/*
 * table.c: the string-keyed hash table every cache structure uses (LRU
 * entries, flights, host generations, subscriber channels, snapshots).
 *
 * Intrusive: the owner embeds a struct wmgw__tnode and sets its key; the
 * table only links nodes, so it never allocates per entry and never fails
 * an insert (when the bucket array cannot grow it stays as it is, only
 * slower).  Chaining, power-of-two sizes, FNV-1a; not thread-safe (the
 * owner locks).
 */
#include "cache/cache_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void wmgw__table_init(struct wmgw__table *t)
{
    t->buckets = NULL;
    t->nbuckets = 0;
    t->count = 0;
}

void wmgw__table_dispose(struct wmgw__table *t)
{
    free(t->buckets);
    wmgw__table_init(t);
}

struct wmgw__tnode *wmgw__table_find(const struct wmgw__table *t, const char *key, size_t klen)
{
    if (t->nbuckets == 0)
        return NULL;
    uint64_t h = fnv1a(key, klen);
    for (struct wmgw__tnode *n = t->buckets[h & (t->nbuckets - 1)]; n != NULL; n = n->next)
        if (n->hash == h && n->klen == klen && memcmp(n->key, key, klen) == 0)
            return n;
    return NULL;
}

static void grow(struct wmgw__table *t)
{
    size_t size = t->nbuckets ? t->nbuckets * 2 : 16;
    struct wmgw__tnode **b = calloc(size, sizeof(*b));
    if (b == NULL)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct wmgw__tnode *n = t->buckets[i];
        while (n != NULL) {
            struct wmgw__tnode *next = n->next;
            struct wmgw__tnode **slot = &b[n->hash & (size - 1)];
            n->next = *slot;
            *slot = n;
            n = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = size;
}

void wmgw__table_insert(struct wmgw__table *t, struct wmgw__tnode *n)
{
    if (t->count >= t->nbuckets)
        grow(t);
    if (t->nbuckets == 0)
        grow(t);
    if (t->nbuckets == 0)
        abort(); /* not even 16 pointers: nothing sensible is left to do */
    n->hash = fnv1a(n->key, n->klen);
    struct wmgw__tnode **slot = &t->buckets[n->hash & (t->nbuckets - 1)];
    n->next = *slot;
    *slot = n;
    t->count++;
}

void wmgw__table_remove(struct wmgw__table *t, struct wmgw__tnode *n)
{
    struct wmgw__tnode **p = &t->buckets[n->hash & (t->nbuckets - 1)];
    while (*p != NULL && *p != n)
        p = &(*p)->next;
    if (*p == n) {
        *p = n->next;
        n->next = NULL;
        t->count--;
    }
}

size_t wmgw__table_bytes(const struct wmgw__table *t)
{
    return t->nbuckets * sizeof(*t->buckets);
}

struct wmgw__tnode *wmgw__table_any(const struct wmgw__table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++)
        if (t->buckets[i] != NULL)
            return t->buckets[i];
    return NULL;
}
