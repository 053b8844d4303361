/*
 * authz.c: the authorization gate of the request path (authz.h).
 */
#include "gateway/authz.h"
#include "cim/path.h"
#include "gateway/gateway.h"
#include "gateway/hosts.h"
#include "gateway/policy.h"
#include "gateway/request.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    [WMGW_ACCESS_PUBLIC] = "public",
    [WMGW_ACCESS_AUTHENTICATED] = "authenticated",
    [WMGW_ACCESS_READ] = "read",
    [WMGW_ACCESS_WRITE] = "write",
    [WMGW_ACCESS_EXECUTE] = "execute",
    [WMGW_ACCESS_SECURITY_READ] = "security-read",
    [WMGW_ACCESS_SECURITY_WRITE] = "security-write",
    [WMGW_ACCESS_SUBSCRIBE] = "subscribe",
    [WMGW_ACCESS_ADMIN] = "admin",
};

int wmgw_access_parse(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

const char *wmgw_access_name(enum wmgw_access a)
{
    return (size_t)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

bool wmgw_access_wmi_op(enum wmgw_access a, enum wmgw_wmi_op *op)
{
    switch (a) {
    case WMGW_ACCESS_READ: *op = WMGW_WMI_OP_READ; return true;
    case WMGW_ACCESS_WRITE: *op = WMGW_WMI_OP_WRITE; return true;
    case WMGW_ACCESS_EXECUTE: *op = WMGW_WMI_OP_METHOD; return true;
    case WMGW_ACCESS_SECURITY_READ: *op = WMGW_WMI_OP_SECURITY_READ; return true;
    case WMGW_ACCESS_SECURITY_WRITE: *op = WMGW_WMI_OP_SECURITY_WRITE; return true;
    case WMGW_ACCESS_SUBSCRIBE: *op = WMGW_WMI_OP_SUBSCRIBE; return true;
    default: return false;
    }
}

bool wmgw_authz_is_admin(const struct wmgw_security *sec, const struct wmgw_principal_config *p)
{
    if (sec == NULL || p == NULL)
        return false;
    struct wmgw_token tok;
    wmgw_caller_token(p, &tok);
    struct wmgw_access_request req = {.desired = WMGW_GENERIC_ALL, .mapping = &wmgw_wmi_generic_mapping};
    return wmgw_access_check(&sec->admin_sd, &tok, &req, NULL, NULL) == 0;
}

int wmgw_authz_host(struct wmgw_request *r, const char *host, const char *ns)
{
    enum wmgw_wmi_op op;
    if (!wmgw_access_wmi_op((enum wmgw_access)r->route->access, &op))
        return 0;
    return wmgw_authz_host_op(r, host, ns, op);
}

bool wmgw_authz_may_list_host(struct wmgw_request *r, const char *host, char *const *groups, size_t ngroups)
{
    struct wmgw_security *sec = r->gw->config->security;
    if (r->caller == NULL || sec == NULL || sec->store == NULL)
        return false;
    if (wmgw_authz_is_admin(sec, r->caller))
        return true;
    struct wmgw_token tok;
    wmgw_caller_token(r->caller, &tok);
    uint32_t granted;
    return wmgw_policies_check(sec->store, host, groups, ngroups, "root/cimv2", &tok, WMGW_WMI_OP_READ, &granted,
                               NULL) == 0;
}

int wmgw_authz_host_op(struct wmgw_request *r, const char *host, const char *ns, enum wmgw_wmi_op op)
{
    struct wmgw_security *sec = r->gw->config->security;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = WMGW_EACCES;
    if (r->caller == NULL || sec == NULL || sec->store == NULL) {
        wmgw_err_set(&err, WMGW_EACCES, "no policy covers this call");
    } else {
        struct wmgw_token tok;
        wmgw_caller_token(r->caller, &tok);
        struct wmgw_host *h = wmgw_hosts_get(r->gw->hosts, host);
        uint32_t granted;
        rc = wmgw_policies_check(sec->store, host, h ? h->cfg.groups : NULL, h ? h->cfg.ngroups : 0,
                                 ns ? ns : "", &tok, op, &granted, &err);
        wmgw_host_unref(h);
    }
    if (rc == 0)
        return 0;
    wmgw_respond_problem(r, WMGW_EACCES, "%s", err.message);
    return WMGW_EACCES;
}

bool wmgw_authz_request(struct wmgw_request *r)
{
    enum wmgw_access level = (enum wmgw_access)r->route->access;
    if (level == WMGW_ACCESS_PUBLIC)
        return true;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_caller_authenticate(r, &err) != 0) {
        wmgw_caller_challenge(r, err.message);
        return false;
    }
    if (r->principal == NULL) {
        wmgw_caller_challenge(r, "authentication required");
        return false;
    }
    if (level == WMGW_ACCESS_ADMIN) {
        if (!wmgw_authz_is_admin(r->gw->config->security, r->caller)) {
            wmgw_respond_problem(r, WMGW_EACCES, "%s may not administer the gateway ([security] admin-sddl)",
                                 r->principal->name);
            return false;
        }
        return true;
    }
    /* Host operations whose path names the namespace are checked now,
     * before the handler reads a body; the others (a query names its
     * namespace in the body) at their first backend call (exec.c). */
    h2o_iovec_t host = wmgw_request_param_raw(r, "host");
    h2o_iovec_t ns = wmgw_request_param_raw(r, "namespace");
    enum wmgw_wmi_op op;
    if (wmgw_access_wmi_op(level, &op) && host.base != NULL && ns.base != NULL) {
        const char *name = wmgw_request_param(r, "host");
        if (name == NULL)
            return false; /* 400 answered */
        char *canon = NULL;
        if (wmgw_cim_path_parse_namespace(ns.base, ns.len, &canon, &err) != 0)
            return true; /* the handler answers 400 before any backend call */
        int rc = wmgw_authz_host(r, name, canon);
        free(canon);
        return rc == 0;
    }
    return true;
}
