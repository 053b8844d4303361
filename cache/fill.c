/*
 * fill.c: the filler's side of a lookup and the snapshot writer
 * (cache.h "filling", "snapshots").
 *
 * A fill collects the answer as the gateway streams it, up to
 * max_entry_bytes; past that it lets its flight go at once (waiters go to
 * the backend themselves rather than wait for an answer that will not be
 * stored) and ignores the rest.  At commit the collected buffer becomes
 * the value as it is (adopted, not copied) and the store hands it to the
 * waiters and keeps it.  Snapshots apply the same limits per item and in
 * total; the store decides where the items go.
 */
#include "cache/cache_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

struct wmgw_cache_fill *wmgw__fill_new(struct wmgw_cache_worker *w, void *flight, struct wmgw_cache_value *stale)
{
    struct wmgw_cache_fill *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->w = w;
    f->flight = flight;
    f->stale = wmgw_cache_value_ref(stale);
    wmgw_buf_init(&f->body, w->c->cfg.max_entry_bytes);
    return f;
}

static void fill_free(struct wmgw_cache_fill *f)
{
    wmgw_buf_dispose(&f->body);
    wmgw_cache_value_unref(f->stale);
    free(f);
}

int wmgw_cache_fill_append(struct wmgw_cache_fill *f, const void *p, size_t n)
{
    if (f->too_large)
        return WMGW_ETOOBIG;
    if (n == 0 || wmgw_buf_add(&f->body, p, n) == 0)
        return 0;
    /* Too large (or no memory for it): not stored either way. */
    f->too_large = true;
    wmgw_buf_dispose(&f->body);
    WMGW__COUNT(f->w->c, too_large);
    if (f->flight != NULL)
        f->w->c->ops->fill_abandon(f);
    f->flight = NULL;
    return WMGW_ETOOBIG;
}

void wmgw_cache_fill_commit(struct wmgw_cache_fill *f, const struct wmgw_cache_ttl *ttl)
{
    if (f->flight != NULL) {
        size_t len = 0;
        char *data = wmgw_buf_steal(&f->body, &len);
        char *fit = data != NULL ? realloc(data, len + 1) : NULL; /* the LRU counts len: give back the slack */
        if (fit != NULL)
            data = fit;
        struct wmgw_cache_value *v = data != NULL ? wmgw__value_adopt(data, len) : wmgw__value_copy("", 0);
        if (v != NULL)
            f->w->c->ops->fill_commit(f, v, ttl);
        else
            f->w->c->ops->fill_abandon(f);
        wmgw_cache_value_unref(v);
    }
    fill_free(f);
}

void wmgw_cache_fill_abandon(struct wmgw_cache_fill *f)
{
    if (f->flight != NULL)
        f->w->c->ops->fill_abandon(f);
    fill_free(f);
}

struct wmgw_cache_value *wmgw_cache_fill_stale(struct wmgw_cache_fill *f)
{
    return wmgw_cache_value_ref(f->stale);
}

/* --- snapshots ---------------------------------------------------------------------- */

int wmgw_cache_snapshot_begin(struct wmgw_cache_worker *w, unsigned ttl_ms, struct wmgw_cache_snapshot **out,
                              char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1])
{
    if (ttl_ms == 0)
        return WMGW_EINVAL;
    struct wmgw_cache_snapshot *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return WMGW_ENOMEM;
    s->w = w;
    s->ttl_ms = ttl_ms;
    wmgw__cache_random_hex(s->id, WMGW_CACHE_SNAPSHOT_ID_LEN / 2);
    int rc = w->c->ops->snapshot_begin(s);
    if (rc != 0) {
        free(s);
        return rc;
    }
    memcpy(id, s->id, sizeof(s->id));
    *out = s;
    return 0;
}

int wmgw_cache_snapshot_append(struct wmgw_cache_snapshot *s, const void *item, size_t n)
{
    const struct wmgw_cache_config *cfg = &s->w->c->cfg;
    if (s->failed)
        return WMGW_ERETRY;
    if (s->items >= cfg->max_snapshot_items || n > cfg->max_snapshot_bytes - s->bytes) {
        s->failed = true;
        WMGW__COUNT(s->w->c, too_large);
        return WMGW_ETOOBIG;
    }
    int rc = s->w->c->ops->snapshot_append(s, item, n);
    if (rc != 0) {
        s->failed = true;
        return rc;
    }
    s->items++;
    s->bytes += n;
    return 0;
}

void wmgw_cache_snapshot_commit(struct wmgw_cache_snapshot *s)
{
    if (!s->failed)
        WMGW__COUNT(s->w->c, snapshots);
    s->w->c->ops->snapshot_end(s, !s->failed);
}

void wmgw_cache_snapshot_abandon(struct wmgw_cache_snapshot *s)
{
    s->w->c->ops->snapshot_end(s, false);
}
