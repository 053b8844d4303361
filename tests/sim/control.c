/*
 * control.c: the simulator's control interface for tests, on its own port
 * (never reachable as WS-Management).  JSON over HTTP:
 *
 *   GET  /hosts                       every host: name, address, port, dialect, counters
 *   GET  /hosts/{name}                one host
 *   POST /hosts/{name}/latency        {"ms": 250}                delay every reply
 *   POST /hosts/{name}/fail           {"count": 2, "fault": "AccessDenied"}
 *                                     {"count": 1, "status": 503}  fail the next requests
 *                                     {"count": 1, "hresult": "WBEM_E_QUOTA_VIOLATION"}  (DCOM; WS-Man
 *                                     answers the fault kind with that HRESULT, else InternalError)
 *   POST /hosts/{name}/drop           {"count": 1}               cut the next replies mid-body
 *   POST /hosts/{name}/garbage        {"count": 1}               answer malformed XML
 *   POST /hosts/{name}/clear                                     forget latency and pending failures
 *   POST /hosts/{name}/reset                                     reload the store, clear plan and counters
 *   GET  /faults                      the fault names "fail" accepts
 *
 * {name} is a host name (case-insensitive) or "*" for every host.
 */
#include "tests/sim/dcom.h"
#include "tests/sim/fault.h"
#include "tests/sim/server.h"
#include "translators/wmi/wmi_calls.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct control_handler {
    h2o_handler_t super;
    struct sim_server *server;
};

static void reply_json(h2o_req_t *req, int status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    req->res.status = status;
    req->res.reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_send_inline(req, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
}

static void reply_error(h2o_req_t *req, int status, const char *msg)
{
    reply_json(req, status, json_pack("{s:s}", "error", msg));
}

static json_t *dcom_json(const struct sim_host *h)
{
    const struct sim_counters *c = &h->counters;
    json_t *by_call = json_object();
    for (int i = 0; i < 32 && sim_dcom_call_names[i] != NULL; i++)
        json_object_set_new(by_call, sim_dcom_call_names[i], json_integer((json_int_t)c->dcom_by_call[i]));
    return json_pack("{s:i, s:i, s:I, s:I, s:I, s:I, s:o}", "port", h->dcom_port, "endpoint", h->dcom_endpoint,
                     "connections", (json_int_t)c->dcom_connections, "calls", (json_int_t)c->dcom_calls,
                     "unauthorized", (json_int_t)c->dcom_unauthorized, "faults", (json_int_t)c->dcom_faults,
                     "by_call", by_call);
}

static json_t *host_json(const struct sim_host *h)
{
    json_t *by_action = json_object();
    for (int i = 0; i < 16 && sim_action_names[i] != NULL; i++)
        json_object_set_new(by_action, sim_action_names[i], json_integer((json_int_t)h->counters.by_action[i]));
    json_t *j = json_pack("{s:s, s:i, s:s, s:i, s:s, s:{s:I, s:I, s:I, s:o}, s:{s:i, s:i, s:i, s:i, s:i}}", "name",
                     h->name, "number", h->number, "address", h->address, "port", h->port, "dialect",
                     h->dialect->name, "counters", "requests", (json_int_t)h->counters.requests, "unauthorized",
                     (json_int_t)h->counters.unauthorized, "faults", (json_int_t)h->counters.faults, "by_action",
                     by_action, "plan", "latency_ms", (int)h->plan.latency_ms, "fail_count", (int)h->plan.fail_count,
                     "drop_count", (int)h->plan.drop_count, "garbage_count", (int)h->plan.garbage_count,
                     "fail_http_status", h->plan.fail_http_status);
    if (j != NULL && h->dcom_port != 0)
        json_object_set_new(j, "dcom", dcom_json(h));
    if (j != NULL && h->plan.fail_hresult != 0)
        json_object_set_new(json_object_get(j, "plan"), "fail_hresult", json_integer(h->plan.fail_hresult));
    return j;
}

/* "WBEM_E_NOT_FOUND", "0x80041002" or 2147749890 -> the HRESULT, 0 when none. */
static uint32_t hresult_of(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) > 0 && json_integer_value(v) <= 0xFFFFFFFFll ? (uint32_t)json_integer_value(v)
                                                                                  : 0;
    const char *s = json_string_value(v);
    if (s == NULL)
        return 0;
    size_t n;
    const struct wmgw_wmi_hresult *t = wmgw_wmi_hresults(&n);
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(t[i].name, s) == 0)
            return t[i].value;
    char *end;
    unsigned long hr = strtoul(s, &end, 0);
    return *s != '\0' && *end == '\0' && hr <= 0xFFFFFFFFul ? (uint32_t)hr : 0;
}

static int count_of(const json_t *body, h2o_req_t *req)
{
    json_int_t n = json_integer_value(json_object_get(body, "count"));
    if (!json_is_integer(json_object_get(body, "count")) || n < 0 || n > 1000000) {
        reply_error(req, 400, "\"count\" must be an integer from 0 to 1000000");
        return -1;
    }
    return (int)n;
}

/* Applies one action to one host; returns an HTTP status (a reply is sent
 * only on errors, by the caller's loop). */
static int apply(struct sim_server *s, struct sim_host *h, const char *action, const json_t *body, h2o_req_t *req)
{
    struct sim_plan *p = &h->plan;
    if (strcmp(action, "latency") == 0) {
        json_int_t ms = json_integer_value(json_object_get(body, "ms"));
        if (!json_is_integer(json_object_get(body, "ms")) || ms < 0 || ms > 600000) {
            reply_error(req, 400, "\"ms\" must be an integer from 0 to 600000");
            return 400;
        }
        p->latency_ms = (unsigned)ms;
    } else if (strcmp(action, "fail") == 0) {
        int n = count_of(body, req);
        if (n < 0)
            return 400;
        const char *fault = json_string_value(json_object_get(body, "fault"));
        const json_t *hrj = json_object_get(body, "hresult");
        json_int_t status = json_integer_value(json_object_get(body, "status"));
        uint32_t hr = hresult_of(hrj);
        int kind = fault ? sim_fault_kind_parse(fault) : hrj ? sim_dcom_fault_kind(hr) : -1;
        int given = (fault != NULL) + (hrj != NULL) + (json_object_get(body, "status") != NULL);
        if (given != 1 || (fault && kind < 0) || (hrj && hr == 0) ||
            (!fault && !hrj && (status < 400 || status > 599))) {
            reply_error(req, 400, "give one of \"fault\" (see GET /faults), \"status\" (400-599) or "
                                  "\"hresult\" (a WBEM_E_* name or number)");
            return 400;
        }
        p->fail_count = (unsigned)n;
        p->fail_fault = kind;
        p->fail_hresult = hrj ? hr : 0;
        p->fail_http_status = fault || hrj ? 0 : (int)status;
    } else if (strcmp(action, "drop") == 0 || strcmp(action, "garbage") == 0) {
        int n = count_of(body, req);
        if (n < 0)
            return 400;
        *(action[0] == 'd' ? &p->drop_count : &p->garbage_count) = (unsigned)n;
    } else if (strcmp(action, "clear") == 0) {
        memset(p, 0, sizeof(*p));
        p->fail_fault = -1;
    } else if (strcmp(action, "reset") == 0) {
        struct wmgw_err err;
        wmgw_err_clear(&err);
        if (sim_host_reset(h, s->fleet, &err) != 0) {
            reply_error(req, 500, err.message);
            return 500;
        }
        memset(p, 0, sizeof(*p));
        p->fail_fault = -1;
        memset(&h->counters, 0, sizeof(h->counters));
    } else {
        reply_error(req, 404, "unknown action");
        return 404;
    }
    return 200;
}

static int on_control(h2o_handler_t *self, h2o_req_t *req)
{
    struct sim_server *s = ((struct control_handler *)self)->server;
    char path[256];
    size_t plen = req->path_normalized.len < sizeof(path) - 1 ? req->path_normalized.len : sizeof(path) - 1;
    memcpy(path, req->path_normalized.base, plen);
    path[plen] = '\0';
    bool post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));

    if (strcmp(path, "/faults") == 0) {
        json_t *a = json_array();
        for (int i = 0; i < SIM_FAULT_KIND_COUNT; i++)
            json_array_append_new(a, json_string(sim_fault_kind_name((enum sim_fault_kind)i)));
        reply_json(req, 200, a);
        return 0;
    }
    if (strcmp(path, "/hosts") == 0 || strcmp(path, "/hosts/") == 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < s->fleet->nhosts; i++)
            json_array_append_new(a, host_json(&s->fleet->hosts[i]));
        reply_json(req, 200, a);
        return 0;
    }
    if (strncmp(path, "/hosts/", 7) != 0) {
        reply_error(req, 404, "no such control resource");
        return 0;
    }
    char *name = path + 7;
    char *action = strchr(name, '/');
    if (action != NULL)
        *action++ = '\0';
    bool all = strcmp(name, "*") == 0 || strcmp(name, "%2A") == 0;
    struct sim_host *one = all ? NULL : sim_fleet_host_named(s->fleet, name);
    if (!all && one == NULL) {
        reply_error(req, 404, "no such host");
        return 0;
    }
    if (action == NULL || *action == '\0') {
        reply_json(req, 200, one ? host_json(one) : json_string("use /hosts"));
        return 0;
    }
    if (!post) {
        reply_error(req, 405, "use POST for actions");
        return 0;
    }
    json_error_t jerr;
    json_t *body = req->entity.len ? json_loadb(req->entity.base, req->entity.len, 0, &jerr) : json_object();
    if (body == NULL || !json_is_object(body)) {
        json_decref(body);
        reply_error(req, 400, "the body must be a JSON object");
        return 0;
    }
    int status = 200;
    for (size_t i = 0; i < s->fleet->nhosts && status == 200; i++) {
        struct sim_host *h = &s->fleet->hosts[i];
        if (all || h == one)
            status = apply(s, h, action, body, req);
    }
    json_decref(body);
    if (status == 200)
        reply_json(req, 200, one ? host_json(one) : json_pack("{s:b}", "ok", 1));
    return 0;
}

void sim_control_register(struct sim_server *s)
{
    h2o_hostconf_t *hc = h2o_config_register_host(&s->control_conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(hc, "/", 0);
    struct control_handler *h = (struct control_handler *)h2o_create_handler(pc, sizeof(*h));
    h->super.on_req = on_control;
    h->server = s;
}
