/*
 * gateway.h: the process-wide state of wmgw and its worker threads.
 *
 * One `struct wmgw_gateway` holds what every worker shares (configuration,
 * the host registry, the class cache, the route table built from the
 * OpenAPI document, the cursor key).  Each `struct wmgw_worker` is one
 * thread with its own h2o event loop, SO_REUSEPORT listeners and backend
 * transport: a request lives on one loop from accept to last byte, and so
 * do the backend calls it makes (design.md, Runtime model).
 */
#ifndef WMGW_GATEWAY_GATEWAY_H
#define WMGW_GATEWAY_GATEWAY_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gateway/config.h"

struct wmgw_hosts;
struct wmgw_classes;
struct wmgw_catalogue;
struct wmgw_router;
struct wmgw_transport;
struct wmgw_cache;
struct wmgw_cache_worker;
struct wmgw_cache_ttl_rules;

/* Per-connection request counting (HTTP/2 rapid-reset guard): a small
 * direct-mapped table keyed by h2o's connection id. */
#define WMGW_RATE_SLOTS 1024
struct wmgw_rate_slot {
    uint64_t conn_id;
    uint64_t second;
    unsigned count;
};

struct wmgw_worker {
    struct wmgw_gateway *gw;
    unsigned index;
    pthread_t thread;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_plain, accept_tls;
    size_t nlisteners;
    h2o_socket_t **listeners;
    struct wmgw_transport *transport;
    struct wmgw_cache_worker *cache; /* this loop's handle on the answer cache, or NULL (off) */
    atomic_uint inflight;  /* requests accepted and not yet finished */
    struct wmgw_rate_slot rate[WMGW_RATE_SLOTS];
};

struct wmgw_gateway {
    struct wmgw_config *config;
    struct wmgw_hosts *hosts;
    struct wmgw_classes *classes;
    struct wmgw_catalogue *catalogue; /* [server] class-catalogue, or NULL */
    struct wmgw_router *router;
    h2o_globalconf_t h2o;
    SSL_CTX *tls;
    unsigned char cursor_key[32];
    size_t nworkers;
    struct wmgw_worker *workers;
    atomic_int stopping;   /* SIGTERM seen: stop accepting, drain */
    h2o_access_log_filehandle_t *access_log;
    struct wmgw_cache *cache;              /* the answer cache ([cache]), or NULL when off */
    struct wmgw_cache_ttl_rules *cache_ttl; /* its TTL per namespace/class */
    const char *openapi_json; /* the embedded document */
    size_t openapi_len;
};

/* Builds the shared state from a validated configuration (takes it). */
int wmgw_gateway_init(struct wmgw_gateway *gw, struct wmgw_config *config, struct wmgw_err *err);
/* Opens listeners, starts the workers, runs until SIGTERM/SIGINT and a
 * bounded drain, then returns. */
int wmgw_gateway_run(struct wmgw_gateway *gw, struct wmgw_err *err);
void wmgw_gateway_dispose(struct wmgw_gateway *gw);
/* Asks a running gateway to stop (signal-safe). */
void wmgw_gateway_stop(struct wmgw_gateway *gw);

/* The worker whose loop runs the current request. */
struct wmgw_worker *wmgw_worker_of(h2o_req_t *req);

/* The embedded OpenAPI document (openapi/openapi.json, generated at build). */
extern const char wmgw_openapi_json[];
extern const size_t wmgw_openapi_json_len;

#endif
