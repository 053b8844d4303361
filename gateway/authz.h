/*
 * authz.h: authorization of REST calls.  Every operation in
 * openapi/openapi.json carries `x-wmgw-access`, one of the levels below;
 * the router refuses to start when one lacks it.  The request path
 * (server.c) authenticates the caller (caller.h) and enforces the level
 * before the handler runs; host operations are checked again against
 * the policy of (host, namespace) before any backend call (exec.c), so a
 * refused call never reaches a host.
 *
 *   public          anyone, no credentials read
 *   authenticated   any principal
 *   read ... subscribe   a principal whom the first matching policy
 *                   grants WMI's rights for that class of operation
 *                   (auth/wmi_rights.h)
 *   admin           a principal whom [security] admin-sddl grants GA
 */
#ifndef WMGW_GATEWAY_AUTHZ_H
#define WMGW_GATEWAY_AUTHZ_H

#include "auth/wmi_rights.h"
#include "gateway/caller.h"

#include <stdbool.h>

struct wmgw_request;

enum wmgw_access {
    WMGW_ACCESS_PUBLIC,
    WMGW_ACCESS_AUTHENTICATED,
    WMGW_ACCESS_READ,
    WMGW_ACCESS_WRITE,
    WMGW_ACCESS_EXECUTE,
    WMGW_ACCESS_SECURITY_READ,
    WMGW_ACCESS_SECURITY_WRITE,
    WMGW_ACCESS_SUBSCRIBE,
    WMGW_ACCESS_ADMIN,
};

/* "read" -> WMGW_ACCESS_READ; -1 for an unknown name. */
int wmgw_access_parse(const char *s);
const char *wmgw_access_name(enum wmgw_access a);
/* The WMI operation class a level checks, false for public,
 * authenticated and admin. */
bool wmgw_access_wmi_op(enum wmgw_access a, enum wmgw_wmi_op *op);

/* The request-path gate: authentication, then the route's level (for
 * host operations whose path names the namespace, the policy check too).
 * True when the handler may run; false when 401/403 has been answered. */
bool wmgw_authz_request(struct wmgw_request *r);
/* The policy check of a host operation on (host, ns) for the route's
 * level; 0, or WMGW_EACCES after answering 403.  0 for levels that are
 * no host operation.  exec.c calls it before every backend call. */
int wmgw_authz_host(struct wmgw_request *r, const char *host, const char *ns);
/* The same for an explicit operation class, whatever the route's level
 * (a host's Identify is a read of root/cimv2). */
int wmgw_authz_host_op(struct wmgw_request *r, const char *host, const char *ns, enum wmgw_wmi_op op);
/* Whether GET /v1/hosts shows this host to the caller: administrators see
 * every host, others those whose root/cimv2 a policy lets them read. */
bool wmgw_authz_may_list_host(struct wmgw_request *r, const char *host, char *const *groups, size_t ngroups);
/* Does admin-sddl grant this principal administration? */
bool wmgw_authz_is_admin(const struct wmgw_security *sec, const struct wmgw_principal_config *p);

/* h_security.c: GET /v1/whoami and the policy administration API. */
int wmgw_h_get_whoami(struct wmgw_request *r);
int wmgw_h_list_policies(struct wmgw_request *r);
int wmgw_h_get_policy(struct wmgw_request *r);
int wmgw_h_put_policy(struct wmgw_request *r);
int wmgw_h_delete_policy(struct wmgw_request *r);

#endif
