/*
 * h_ops.c: what operators and tools ask of the gateway itself (operations
 * getHealth, getReady, getMetrics, getOpenApi): liveness, readiness (not
 * while draining on SIGTERM; the cache's state as detail: a cache that is
 * down makes the gateway slower, not unready), Prometheus metrics, and the
 * OpenAPI document the routes come from.
 */
#include "gateway/cache_setup.h"
#include "gateway/handlers.h"
#include "gateway/hosts.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>

int wmgw_h_get_health(struct wmgw_request *r)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    wmgw_respond_json(r, 200, ok, sizeof(ok) - 1, NULL);
    return 0;
}

int wmgw_h_get_ready(struct wmgw_request *r)
{
    if (atomic_load(&r->gw->stopping)) {
        wmgw_respond_problem(r, WMGW_ERETRY, "shutting down: finishing requests in flight");
        return 0;
    }
    size_t n;
    struct wmgw_host **list = wmgw_hosts_list(r->gw->hosts, &n);
    wmgw_hosts_list_free(list, n);
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    int rc = wmgw_buf_printf(&b, "{\"status\":\"ready\",\"hosts\":%zu,\"workers\":%zu", n, r->gw->nworkers);
    if (rc == 0)
        rc = wmgw_cache_ready_json(r->gw, &b);
    if (rc == 0)
        rc = wmgw_buf_addc(&b, '}');
    if (rc != 0)
        wmgw_respond_problem(r, rc, "cannot write the readiness report");
    else
        wmgw_respond_json(r, 200, b.data, b.len, NULL);
    wmgw_buf_dispose(&b);
    return 0;
}

int wmgw_h_get_metrics(struct wmgw_request *r)
{
    size_t n;
    struct wmgw_host **list = wmgw_hosts_list(r->gw->hosts, &n);
    wmgw_hosts_list_free(list, n);
    struct wmgw_buf b;
    wmgw_buf_init(&b, 65536);
    int rc = wmgw_buf_printf(&b,
                             "# wmgw: Prometheus text format 0.0.4\n"
                             "wmgw_up 1\n"
                             "wmgw_draining %d\n"
                             "wmgw_workers %zu\n"
                             "wmgw_hosts %zu\n",
                             atomic_load(&r->gw->stopping) ? 1 : 0, r->gw->nworkers, n);
    if (rc == 0)
        rc = wmgw_cache_metrics_text(r->gw, &b);
    if (rc != 0)
        wmgw_respond_problem(r, rc, "cannot write the metrics");
    else
        wmgw_respond_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    wmgw_buf_dispose(&b);
    return 0;
}

int wmgw_h_get_openapi(struct wmgw_request *r)
{
    wmgw_respond_json(r, 200, r->gw->openapi_json, r->gw->openapi_len, NULL);
    return 0;
}
