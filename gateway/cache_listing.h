/*
 * cache_listing.h: listings (listInstances, queryHost, listAssociators,
 * listReferences) answered from the answer cache (cache/cache.h).
 *
 * The stream (stream.c) asks first.  A fresh stored answer is sent as it
 * was stored (X-Cache: hit, or stale within the stale window); otherwise
 * the stream runs the backend call as always and a "tee" takes a copy of
 * what goes to the caller (X-Cache: miss):
 *   - the bytes sent, into the cache entry, up to [cache] max-entry-size:
 *     past that the entry is abandoned and the answer streams on uncached;
 *   - for a paged listing (limit), every item into a snapshot: the backend
 *     enumerates the whole listing, the caller gets the first `limit`
 *     items, and `next` is a signed cursor on the snapshot ("snap:..." as
 *     the cursor's continuation), so any worker or, with Redis, any replica
 *     serves the following pages without asking the backend again.
 * `?fresh=true` / `Cache-Control: no-cache` skip the stored answer; an
 * unpaged one is stored anew, a paged one is paged by the host itself as
 * without a cache (the way round a listing too large for a snapshot).
 * Concurrent misses of one key make one backend call (the cache's single
 * flight, across replicas with Redis).  When the cache cannot help (off,
 * Redis down, a continuation of a backend cursor) the listing is served
 * exactly as without a cache.
 *
 * Keys: host, namespace, kind, class or canonical query, the canonical
 * condition, the selection, format, limit, path, and the backend identity
 * (wmgw_cache_credential_of).  The caller's authorization on the host and
 * namespace is checked before anything is served, as before a backend
 * call (authz.h).
 */
#ifndef WMGW_GATEWAY_CACHE_LISTING_H
#define WMGW_GATEWAY_CACHE_LISTING_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/stream.h"

struct wmgw_cache_tee;

/* Continues the stream: tee (never NULL) says what to copy where. */
typedef void (*wmgw_cache_go_cb)(void *data, struct wmgw_cache_tee *tee);

/* Looks the listing up.  false: not cacheable (cache off, Cache-Control:
 * no-store, a backend continuation); start the stream as before.  true:
 * the cache has it: it answers a hit itself, or calls go later (never
 * from inside this call) to run the backend with a tee.  paging must live
 * until go (the stream's copy); for a snapshot the tee sets the backend
 * call's limit and paging->filter.limit to 0 (the whole listing). */
bool wmgw_cache_listing_lookup(struct wmgw_exec *x, bool ndjson, struct wmgw_stream_paging *paging,
                               wmgw_cache_go_cb go, void *data);

/* The stream's hooks; every one accepts a NULL tee. */
/* X-Cache on the response headers. */
void wmgw_cache_tee_headers(struct wmgw_cache_tee *t, h2o_req_t *req);
/* One item's JSON (no separator): 1 it belongs to the caller's page, 0 it
 * is past the page (snapshot only), WMGW_ETOOBIG the snapshot overflowed
 * ([cache] max-snapshot-size): the listing cannot be paged from it. */
int wmgw_cache_tee_item(struct wmgw_cache_tee *t, const char *item, size_t n);
/* The continuation for the page's `next` ("snap:..."), or NULL. */
const char *wmgw_cache_tee_next(struct wmgw_cache_tee *t);
/* Bytes handed to h2o; final: the last of a successful answer (the entry
 * and snapshot are committed). */
void wmgw_cache_tee_sent(struct wmgw_cache_tee *t, const char *p, size_t n, bool final);

/* A page of a cursor whose continuation is a snapshot's: answers it from
 * the snapshot and returns true; false when backend_cursor is not one. */
bool wmgw_cache_listing_page(struct wmgw_exec *x, bool ndjson, const struct wmgw_stream_paging *paging,
                             const char *backend_cursor);

/* The identity of the backend credential a call of x will use, for keys:
 * the vault credential's id and version (vault_gw.h, which binds it to x
 * for the call), or the host's configured account (user@address:port).
 * 0, or WMGW_EACCES with the answer sent (no credential for the caller). */
int wmgw_cache_credential_of(struct wmgw_exec *x, char *out, size_t size);

#endif
