/*
 * cache_setup.h: the gateway's side of the answer cache (cache/cache.h):
 * turning the [cache] configuration into the cache and its TTL rules,
 * binding one cache worker to each worker's loop, and reporting the
 * cache's state for /readyz and metrics.
 */
#ifndef WMGW_GATEWAY_CACHE_SETUP_H
#define WMGW_GATEWAY_CACHE_SETUP_H

#include <stdbool.h>

struct wmgw_gateway;
struct wmgw_worker;
struct wmgw_buf;
struct wmgw_err;
struct wmgw_config;

/* Builds gw->cache and gw->cache_ttl from gw->config ([cache] store = off
 * leaves both NULL).  WMGW_ECONFIG with the key at fault. */
int wmgw_gateway_cache_init(struct wmgw_gateway *gw, struct wmgw_err *err);
/* The same checks without keeping anything (wmgw --check-config). */
int wmgw_cache_config_check(const struct wmgw_config *c, struct wmgw_err *err);
/* Binds w->cache to w's loop (before the loop runs); nothing when off. */
int wmgw_worker_cache_init(struct wmgw_worker *w, struct wmgw_err *err);
/* After the workers' caches are gone (or the process is ending). */
void wmgw_gateway_cache_dispose(struct wmgw_gateway *gw);

/* ,"cache":{"store":"redis","state":"up",...} for /readyz detail (with
 * the leading comma, nothing when the cache is off).  Never fails the
 * readiness: with Redis down the gateway serves uncached. */
int wmgw_cache_ready_json(struct wmgw_gateway *gw, struct wmgw_buf *out);
/* Prometheus text lines wmgw_cache_* (state and counters). */
int wmgw_cache_metrics_text(struct wmgw_gateway *gw, struct wmgw_buf *out);

#endif
