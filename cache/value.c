/*
 * value.c: refcounted immutable bytes (cache.h "MEMORY") and pages.
 *
 * Three ways to hold the bytes, one unref: copied right after the struct
 * (one allocation), adopted from a buffer the fill built (no copy), or
 * inside a Redis reply tree (the bytes hiredis read; the value keeps the
 * tree).  References are atomic: the memory store shares values between
 * worker threads.
 */
#include "cache/cache_int.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

struct wmgw_cache_value *wmgw__value_copy(const void *p, size_t n)
{
    struct wmgw_cache_value *v = malloc(sizeof(*v) + n + 1);
    if (v == NULL)
        return NULL;
    char *d = (char *)(v + 1);
    if (n > 0)
        memcpy(d, p, n);
    d[n] = '\0';
    v->data = d;
    v->len = n;
    v->_owner = NULL;
    atomic_init(&v->_refs, 1);
    return v;
}

struct wmgw_cache_value *wmgw__value_adopt(char *data, size_t n)
{
    struct wmgw_cache_value *v = malloc(sizeof(*v));
    if (v == NULL) {
        free(data);
        return NULL;
    }
    v->data = data;
    v->len = n;
    v->_owner = NULL;
    atomic_init(&v->_refs, 1);
    return v;
}

struct wmgw_cache_value *wmgw__value_in_reply(void *root, const char *p, size_t n)
{
    struct wmgw_cache_value *v = malloc(sizeof(*v));
    if (v == NULL) {
        freeReplyObject(root);
        return NULL;
    }
    v->data = p;
    v->len = n;
    v->_owner = root;
    atomic_init(&v->_refs, 1);
    return v;
}

struct wmgw_cache_value *wmgw_cache_value_ref(struct wmgw_cache_value *v)
{
    if (v != NULL)
        atomic_fetch_add_explicit(&v->_refs, 1, memory_order_relaxed);
    return v;
}

void wmgw_cache_value_unref(struct wmgw_cache_value *v)
{
    if (v == NULL || atomic_fetch_sub_explicit(&v->_refs, 1, memory_order_acq_rel) != 1)
        return;
    if (v->_owner != NULL)
        freeReplyObject(v->_owner);
    else if (v->data != (const char *)(v + 1))
        free((void *)v->data);
    free(v);
}

struct wmgw__page *wmgw__page_new(size_t nitems)
{
    struct wmgw__page *p = calloc(1, sizeof(*p) + nitems * sizeof(p->items[0]));
    if (p != NULL)
        p->pub.items = p->items;
    return p;
}

void wmgw_cache_page_free(struct wmgw_cache_page *pub)
{
    if (pub == NULL)
        return;
    struct wmgw__page *p = (struct wmgw__page *)pub;
    if (p->reply != NULL)
        freeReplyObject(p->reply);
    for (size_t i = 0; i < p->nvalues; i++)
        wmgw_cache_value_unref(p->values[i]);
    free(p->values);
    free(p);
}
