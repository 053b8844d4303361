/*
 * wmio_cache.c: the per-connection class cache (wmio.h).
 *
 * WMI sends every instance with its class part (MS-WMIO 2.2.53), the same
 * bytes for every instance of a class, and expects PutInstance and
 * ExecMethod objects to carry the class image it made (2.3.4).  An entry
 * keeps one class part as received (keyed by its bytes: name and FNV-1a
 * hash, then the bytes themselves), its layout and decoded class, and for
 * class objects each method's signature parts.  The cache is bounded in
 * entries and bytes and evicts the least recently used entry; entries are
 * immutable once added, so a decode only adds after it has finished with
 * the entries it looked up.
 */
#include "translators/wmi/wmio_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wmgw_wmio_class_cache_init(struct wmgw_wmio_class_cache *c, size_t max_entries)
{
    memset(c, 0, sizeof(*c));
    c->max = max_entries ? max_entries : 64;
    c->max_bytes = WMGW_WMIO_CACHE_BYTES;
}

void wmgw__wmio_entry_free(struct wmgw_wmio_class_entry *e)
{
    if (e == NULL)
        return;
    free(e->name);
    free(e->part);
    wmgw_cim_class_free(e->cls);
    wmgw__wmio_sigs_free(e->sigs, e->nsigs);
    wmgw__wmio_layout_free(e->layout);
    free(e);
}

void wmgw_wmio_class_cache_dispose(struct wmgw_wmio_class_cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        wmgw__wmio_entry_free(c->items[i]);
    free(c->items);
    size_t max = c->max, max_bytes = c->max_bytes;
    memset(c, 0, sizeof(*c));
    c->max = max;
    c->max_bytes = max_bytes;
}

uint64_t wmgw__wmio_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

const struct wmgw_wmio_class_entry *wmgw_wmio_class_cache_find(struct wmgw_wmio_class_cache *c, const char *name)
{
    struct wmgw_wmio_class_entry *best = NULL;
    for (size_t i = 0; c != NULL && name != NULL && i < c->n; i++) {
        struct wmgw_wmio_class_entry *e = c->items[i];
        if (e->full && strcasecmp(e->name, name) == 0 && (best == NULL || e->used > best->used))
            best = e;
    }
    if (best != NULL)
        best->used = ++c->clock;
    return best;
}

const struct wmgw_cim_class *wmgw_wmio_class_cache_lookup(void *ctx, const char *name)
{
    const struct wmgw_wmio_class_entry *e = wmgw_wmio_class_cache_find(ctx, name);
    return e ? e->cls : NULL;
}

struct wmgw_wmio_class_entry *wmgw__wmio_cache_match(struct wmgw_wmio_class_cache *c, const uint8_t *p, size_t len)
{
    uint64_t h = wmgw__wmio_hash(p, len);
    for (size_t i = 0; i < c->n; i++) {
        struct wmgw_wmio_class_entry *e = c->items[i];
        if (e->hash == h && e->part_len == len && memcmp(e->part, p, len) == 0) {
            e->used = ++c->clock;
            return e;
        }
    }
    return NULL;
}

int wmgw__wmio_entry_new(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, bool full,
                         const struct wmgw_cim_class *cls, struct wmgw_wmio_sig *sigs, size_t nsigs,
                         struct wmgw_wmio_class_entry **out)
{
    *out = NULL;
    struct wmgw_wmio_class_entry *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        wmgw__wmio_sigs_free(sigs, nsigs);
        return WMGW_ENOMEM;
    }
    e->sigs = sigs;
    e->nsigs = nsigs;
    e->full = full;
    /* Parse where the bytes are (errors then name their offset in the
     * input), then move the layout onto the entry's own copy. */
    size_t used;
    int rc = wmgw__wmio_layout_parse(d, p, len, false, &e->layout, &used);
    if (rc == 0 && used != len)
        rc = wmgw__wmio_fail(d, p, "ClassPart length %zu is not the %zu bytes given", used, len);
    if (rc == 0)
        rc = cls != NULL ? ((e->cls = wmgw__wmio_class_copy(cls)) == NULL ? WMGW_ENOMEM : 0)
                         : wmgw__wmio_class_build(d, e->layout, NULL, &e->cls);
    if (rc == 0 && ((e->part = malloc(len ? len : 1)) == NULL || (e->name = strdup(e->layout->name)) == NULL))
        rc = WMGW_ENOMEM;
    if (rc != 0) {
        wmgw__wmio_entry_free(e);
        return rc;
    }
    memcpy(e->part, p, len);
    e->part_len = len;
    e->hash = wmgw__wmio_hash(p, len);
    struct wmgw__wmio_layout *l = e->layout;
    size_t nd = (size_t)(l->ndvt - l->part), hp = (size_t)(l->heap.p - l->part);
    l->part = e->part;
    l->ndvt = e->part + nd;
    l->heap.p = e->part + hp;
    *out = e;
    return 0;
}

static void evict_one(struct wmgw_wmio_class_cache *c)
{
    size_t victim = 0;
    for (size_t i = 1; i < c->n; i++)
        if (c->items[i]->used < c->items[victim]->used)
            victim = i;
    c->bytes -= c->items[victim]->part_len;
    wmgw__wmio_entry_free(c->items[victim]);
    c->items[victim] = c->items[--c->n];
}

void wmgw__wmio_cache_add(struct wmgw_wmio_class_cache *c, struct wmgw_wmio_class_entry *e)
{
    if (c->max == 0)
        wmgw_wmio_class_cache_init(c, 0); /* a zeroed cache works too */
    if (e->part_len > c->max_bytes) {
        wmgw__wmio_entry_free(e);
        return;
    }
    while (c->n > 0 && (c->n >= c->max || c->bytes + e->part_len > c->max_bytes))
        evict_one(c);
    if (c->items == NULL && (c->items = calloc(c->max, sizeof(*c->items))) == NULL) {
        wmgw__wmio_entry_free(e); /* a cache is an optimisation: losing an entry is fine */
        return;
    }
    e->used = ++c->clock;
    c->items[c->n++] = e;
    c->bytes += e->part_len;
}
