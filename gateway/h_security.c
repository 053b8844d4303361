/*
 * h_security.c: who the caller is (GET /v1/whoami) and the policy
 * administration API (GET /v1/policies, GET/PUT/DELETE
 * /v1/policies/{name}; x-wmgw-access admin).  Policies are validated
 * (SDDL parsed, patterns bounded) before they replace anything.
 */
#include "gateway/authz.h"
#include "cim/json.h"
#include "gateway/gateway.h"
#include "gateway/policy.h"
#include "gateway/request.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *scheme_name(enum wmgw_auth_scheme s)
{
    switch (s) {
    case WMGW_AUTH_BEARER: return "bearer";
    case WMGW_AUTH_BASIC: return "basic";
    case WMGW_AUTH_CERT: return "certificate";
    case WMGW_AUTH_NEGOTIATE: return "negotiate";
    default: return "none";
    }
}

static void send_buf(struct wmgw_request *r, int status, int rc, struct wmgw_buf *b, const char *location)
{
    if (rc != 0)
        wmgw_respond_problem(r, rc, "cannot build the answer");
    else
        wmgw_respond_json(r, status, b->data, b->len, location);
    wmgw_buf_dispose(b);
}

int wmgw_h_get_whoami(struct wmgw_request *r)
{
    const struct wmgw_principal *p = r->principal;
    struct wmgw_security *sec = r->gw->config->security;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 16u << 20);
    int rc = wmgw_buf_addstr(&b, "{\"principal\":");
    if (rc == 0)
        rc = wmgw_json_write_string(&b, p->name, strlen(p->name));
    if (rc == 0)
        rc = wmgw_buf_printf(&b, ",\"scheme\":\"%s\",\"sid\":\"%s\",\"groups\":[", scheme_name(p->scheme), p->sid);
    for (size_t i = 0; rc == 0 && i < p->ngroups; i++)
        rc = wmgw_buf_printf(&b, "%s\"%s\"", i ? "," : "", p->groups[i]);
    if (rc == 0)
        rc = wmgw_buf_printf(&b, "],\"admin\":%s,\"policies\":",
                             wmgw_authz_is_admin(sec, r->caller) ? "true" : "false");
    if (rc == 0) {
        struct wmgw_token tok;
        wmgw_caller_token(r->caller, &tok);
        rc = sec != NULL && sec->store != NULL ? wmgw_policies_json(sec->store, &tok, &b) : wmgw_buf_addstr(&b, "[]");
    }
    if (rc == 0)
        rc = wmgw_buf_addc(&b, '}');
    send_buf(r, 200, rc, &b, NULL);
    return 0;
}

/* After a change: with [security] policy-file, the store goes to disk;
 * false (500 sent) when it cannot. */
static bool persist(struct wmgw_request *r)
{
    struct wmgw_security *sec = r->gw->config->security;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (sec->policy_file == NULL || wmgw_policies_save(sec->store, sec->policy_file, &err) == 0)
        return true;
    wmgw_respond_problem(r, WMGW_EINTERNAL, "the change is in effect but not saved: %s", err.message);
    return false;
}

static struct wmgw_policies *store(struct wmgw_request *r)
{
    struct wmgw_security *sec = r->gw->config->security;
    return sec != NULL ? sec->store : NULL;
}

int wmgw_h_list_policies(struct wmgw_request *r)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64u << 20);
    int rc = store(r) ? wmgw_policies_json(store(r), NULL, &b) : wmgw_buf_addstr(&b, "[]");
    send_buf(r, 200, rc, &b, NULL);
    return 0;
}

int wmgw_h_get_policy(struct wmgw_request *r)
{
    const char *name = wmgw_request_param(r, "name");
    if (name == NULL)
        return 0;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1u << 20);
    int rc = store(r) ? wmgw_policies_get_json(store(r), name, &b) : WMGW_ENOTFOUND;
    if (rc == WMGW_ENOTFOUND) {
        wmgw_buf_dispose(&b);
        wmgw_respond_problem(r, rc, "no policy named %s", name);
        return 0;
    }
    send_buf(r, 200, rc, &b, NULL);
    return 0;
}

int wmgw_h_put_policy(struct wmgw_request *r)
{
    const char *name = wmgw_request_param(r, "name");
    if (name == NULL)
        return 0;
    if (store(r) == NULL) {
        wmgw_respond_problem(r, WMGW_ECONFIG, "no [security] configuration");
        return 0;
    }
    json_t *body = wmgw_request_json_body(r);
    if (body == NULL)
        return 0;
    struct wmgw_policy_config p;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    bool created = false, ok = true;
    if (wmgw_policy_config_from_json(body, name, &p, &err) != 0) {
        wmgw_respond_problem_at(r, err.code, err.position, err.message);
        ok = false;
    } else if (wmgw_policies_put(store(r), &p, &created, &err) != 0) {
        wmgw_respond_problem(r, err.code ? err.code : WMGW_EINTERNAL, "%s", err.message);
        ok = false;
    }
    json_decref(body);
    wmgw_policy_config_dispose(&p);
    if (!ok || !persist(r))
        return 0;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1u << 20);
    int rc = wmgw_policies_get_json(store(r), name, &b);
    char *location = NULL;
    if (created) {
        h2o_iovec_t raw = wmgw_request_param_raw(r, "name");
        location = h2o_mem_alloc_pool(&r->req->pool, raw.len + 16);
        snprintf(location, raw.len + 16, "/v1/policies/%.*s", (int)raw.len, raw.base);
    }
    send_buf(r, created ? 201 : 200, rc, &b, location);
    return 0;
}

int wmgw_h_delete_policy(struct wmgw_request *r)
{
    const char *name = wmgw_request_param(r, "name");
    if (name == NULL)
        return 0;
    if (store(r) == NULL || wmgw_policies_delete(store(r), name) != 0) {
        wmgw_respond_problem(r, WMGW_ENOTFOUND, "no policy named %s", name);
        return 0;
    }
    if (persist(r))
        wmgw_respond_empty(r, 204);
    return 0;
}
