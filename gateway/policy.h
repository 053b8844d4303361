/*
 * policy.h: the live authorization policies.  A policy is an SDDL
 * descriptor on (host patterns, namespace patterns); a host operation is
 * checked against the FIRST policy, in order, whose patterns match the
 * host and the namespace, and refused when none does.
 *
 * Host patterns are globs of host names ("web*", "dc0?") or "group:NAME"
 * (the host's configured groups); namespace patterns are globs of
 * canonical namespaces ("root/cimv2", "root/cim*").  Both compare without
 * regard to case; '*' matches any run of characters, '/' included.  A
 * policy without hosts or namespaces matches every host or namespace.
 *
 * The store starts from the configuration and is changed through
 * PUT/DELETE /v1/policies (h_security.c): a PUT of an existing name
 * replaces it in place, a new name goes last.  It lives in memory and,
 * with [security] policy-file, in that file too (policy_file.c); without
 * one a restart returns to the configured policies.  Thread-safe (a rwlock:
 * checks share it, changes take it alone).
 */
#ifndef WMGW_GATEWAY_POLICY_H
#define WMGW_GATEWAY_POLICY_H

#include "auth/wmi_rights.h"
#include "gateway/caller.h"
#include "util/buf.h"

#define WMGW_DEFAULT_ADMIN_SDDL "D:(A;;GA;;;BA)"
#define WMGW_POLICY_MAX 1024 /* policies in the store */
#define WMGW_POLICY_MAX_PATTERNS 64
#define WMGW_POLICY_MAX_PATTERN 256

/* The rule for the names of principals and policies: 1-64 letters,
 * digits, '.', '_', '-'. */
bool wmgw_entry_name_valid(const char *name);
/* Patterns within limits, descriptor parses.  WMGW_ECONFIG/WMGW_EINVAL
 * naming the policy. */
int wmgw_policy_check_config(const struct wmgw_policy_config *p, struct wmgw_err *err);
void wmgw_policy_config_dispose(struct wmgw_policy_config *p);

struct wmgw_policies;
int wmgw_policies_new(const struct wmgw_policy_config *v, size_t n, struct wmgw_policies **out, struct wmgw_err *err);
void wmgw_policies_free(struct wmgw_policies *ps);

/* The decision for op on (host, its groups, namespace): 0 when the first
 * matching policy permits it, WMGW_EACCES when it refuses or no policy
 * matches (err names the policy and what was missing).  *granted gets
 * the caller's rights under that policy (0 when none matched). */
int wmgw_policies_check(struct wmgw_policies *ps, const char *host, char *const *groups, size_t ngroups,
                        const char *ns, const struct wmgw_token *tok, enum wmgw_wmi_op op, uint32_t *granted,
                        struct wmgw_err *err);

/* JSON: every policy as an array; with tok, each also gets "granted" and
 * "rights" (what tok may do under it: whoami). */
int wmgw_policies_json(struct wmgw_policies *ps, const struct wmgw_token *tok, struct wmgw_buf *out);
/* One policy as a JSON object; WMGW_ENOTFOUND. */
int wmgw_policies_get_json(struct wmgw_policies *ps, const char *name, struct wmgw_buf *out);
/* Adds or replaces (by p->name, copied); *created says which. */
int wmgw_policies_put(struct wmgw_policies *ps, const struct wmgw_policy_config *p, bool *created,
                      struct wmgw_err *err);
/* WMGW_ENOTFOUND when there is none of that name. */
int wmgw_policies_delete(struct wmgw_policies *ps, const char *name);

/* [security] policy-file (policy_file.c).  load: *found is false (and
 * *out untouched) when the file does not exist; WMGW_ECONFIG naming the
 * file and policy otherwise.  save: the whole store, atomically. */
/* A policy from its JSON form ({"name", "hosts", "namespaces", "sddl"}),
 * validated; name (the path's, or NULL: the object's) wins and must agree
 * with the object's.  WMGW_EINVAL with a message (and the SDDL position). */
typedef struct json_t json_t;
int wmgw_policy_config_from_json(json_t *obj, const char *name, struct wmgw_policy_config *out,
                                 struct wmgw_err *err);
int wmgw_policies_load(const char *path, struct wmgw_policies **out, bool *found, struct wmgw_err *err);
int wmgw_policies_save(struct wmgw_policies *ps, const char *path, struct wmgw_err *err);

/* The rights a token holds under a descriptor (MAXIMUM_ALLOWED, WMI's
 * generic mapping), and the JSON array of operation classes they permit. */
uint32_t wmgw_policy_granted(const struct wmgw_sd *sd, const struct wmgw_token *tok);
int wmgw_policy_rights_json(uint32_t granted, struct wmgw_buf *out);

#endif
