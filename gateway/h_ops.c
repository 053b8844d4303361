/*
 * h_ops.c: what operators and tools ask of the gateway itself (operations
 * getHealth, getReady, getOpenApi): liveness, readiness (not while
 * draining on SIGTERM), and the OpenAPI document the routes come from.
 */
#include "gateway/handlers.h"
#include "gateway/hosts.h"
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
    char body[96];
    int len = snprintf(body, sizeof(body), "{\"status\":\"ready\",\"hosts\":%zu,\"workers\":%zu}", n, r->gw->nworkers);
    wmgw_respond_json(r, 200, body, (size_t)len, NULL);
    return 0;
}

int wmgw_h_get_openapi(struct wmgw_request *r)
{
    wmgw_respond_json(r, 200, r->gw->openapi_json, r->gw->openapi_len, NULL);
    return 0;
}
