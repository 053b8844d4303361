/*
 * policy.c: the live policy store (policy.h): matching a host and a
 * namespace to the first policy, the access decision under it, and the
 * changes the admin API makes.
 */
#include "gateway/policy.h"
#include "cim/json.h"
#include "util/glob.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct policy {
    struct wmgw_policy_config cfg;
    struct wmgw_sd sd;
};

struct wmgw_policies {
    pthread_rwlock_t lock;
    size_t n;
    struct policy *v;
};

bool wmgw_entry_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

static int check_patterns(const char *policy, const char *what, char **v, size_t n, struct wmgw_err *err)
{
    if (n > WMGW_POLICY_MAX_PATTERNS)
        return wmgw_err_set(err, WMGW_EINVAL, "policy %s: more than %d %s", policy, WMGW_POLICY_MAX_PATTERNS, what);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]);
        if (len == 0 || len > WMGW_POLICY_MAX_PATTERN)
            return wmgw_err_set(err, WMGW_EINVAL, "policy %s: %s: a pattern is 1-%d bytes", policy, what,
                                WMGW_POLICY_MAX_PATTERN);
        for (size_t k = 0; k < len; k++)
            if ((unsigned char)v[i][k] < 0x20 || v[i][k] == 0x7f)
                return wmgw_err_set(err, WMGW_EINVAL, "policy %s: %s: control character in a pattern", policy, what);
        /* Namespaces are canonical with '/'; accept root\cimv2 as written on Windows. */
        for (char *c = v[i]; *c; c++)
            if (*c == '\\')
                *c = '/';
    }
    return 0;
}

int wmgw_policy_check_config(const struct wmgw_policy_config *p, struct wmgw_err *err)
{
    if (!wmgw_entry_name_valid(p->name))
        return wmgw_err_set(err, WMGW_EINVAL, "policy name: 1-64 letters, digits, '.', '_', '-'");
    int rc = check_patterns(p->name, "hosts", p->hosts, p->nhosts, err);
    if (rc == 0)
        rc = check_patterns(p->name, "namespaces", p->namespaces, p->nnamespaces, err);
    if (rc != 0)
        return rc;
    if (p->sddl == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "policy %s: sddl is required", p->name);
    struct wmgw_sd sd;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    if (wmgw_sddl_parse(&sd, p->sddl, strlen(p->sddl), NULL, &e) != 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, e.position, "policy %s: sddl: %s", p->name, e.message);
    wmgw_sd_dispose(&sd);
    return 0;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void wmgw_policy_config_dispose(struct wmgw_policy_config *p)
{
    free(p->name);
    free_list(p->hosts, p->nhosts);
    free_list(p->namespaces, p->nnamespaces);
    free(p->sddl);
    memset(p, 0, sizeof(*p));
}

static char **copy_list(char *const *v, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof(*out));
    for (size_t i = 0; out != NULL && i < n; i++)
        if ((out[i] = strdup(v[i])) == NULL) {
            free_list(out, i);
            return NULL;
        }
    return out;
}

static int policy_make(struct policy *dst, const struct wmgw_policy_config *src, struct wmgw_err *err)
{
    memset(dst, 0, sizeof(*dst));
    dst->cfg.name = strdup(src->name);
    dst->cfg.sddl = strdup(src->sddl);
    dst->cfg.hosts = copy_list(src->hosts, src->nhosts);
    dst->cfg.nhosts = src->nhosts;
    dst->cfg.namespaces = copy_list(src->namespaces, src->nnamespaces);
    dst->cfg.nnamespaces = src->nnamespaces;
    if (!dst->cfg.name || !dst->cfg.sddl || !dst->cfg.hosts || !dst->cfg.namespaces) {
        if (!dst->cfg.hosts)
            dst->cfg.nhosts = 0;
        if (!dst->cfg.namespaces)
            dst->cfg.nnamespaces = 0;
        wmgw_policy_config_dispose(&dst->cfg);
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    }
    int rc = wmgw_sddl_parse(&dst->sd, dst->cfg.sddl, strlen(dst->cfg.sddl), NULL, err);
    if (rc != 0)
        wmgw_policy_config_dispose(&dst->cfg);
    return rc;
}

static void policy_dispose(struct policy *p)
{
    wmgw_policy_config_dispose(&p->cfg);
    wmgw_sd_dispose(&p->sd);
}

int wmgw_policies_new(const struct wmgw_policy_config *v, size_t n, struct wmgw_policies **out, struct wmgw_err *err)
{
    struct wmgw_policies *ps = calloc(1, sizeof(*ps));
    if (ps == NULL || (ps->v = calloc(WMGW_POLICY_MAX, sizeof(*ps->v))) == NULL) {
        free(ps);
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    }
    pthread_rwlock_init(&ps->lock, NULL);
    if (n > WMGW_POLICY_MAX) {
        wmgw_policies_free(ps);
        return wmgw_err_set(err, WMGW_ECONFIG, "more than %d policies", WMGW_POLICY_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        int rc = policy_make(&ps->v[ps->n], &v[i], err);
        if (rc != 0) {
            wmgw_policies_free(ps);
            return rc;
        }
        ps->n++;
    }
    *out = ps;
    return 0;
}

void wmgw_policies_free(struct wmgw_policies *ps)
{
    if (ps == NULL)
        return;
    for (size_t i = 0; i < ps->n; i++)
        policy_dispose(&ps->v[i]);
    free(ps->v);
    pthread_rwlock_destroy(&ps->lock);
    free(ps);
}

static bool host_matches(const struct policy *p, const char *host, char *const *groups, size_t ngroups)
{
    if (p->cfg.nhosts == 0)
        return true;
    for (size_t i = 0; i < p->cfg.nhosts; i++) {
        const char *pat = p->cfg.hosts[i];
        if (strncasecmp(pat, "group:", 6) == 0) {
            for (size_t g = 0; g < ngroups; g++)
                if (strcasecmp(groups[g], pat + 6) == 0)
                    return true;
        } else if (wmgw_glob_match(pat, host)) {
            return true;
        }
    }
    return false;
}

static bool ns_matches(const struct policy *p, const char *ns)
{
    if (p->cfg.nnamespaces == 0)
        return true;
    for (size_t i = 0; i < p->cfg.nnamespaces; i++)
        if (wmgw_glob_match(p->cfg.namespaces[i], ns))
            return true;
    return false;
}

uint32_t wmgw_policy_granted(const struct wmgw_sd *sd, const struct wmgw_token *tok)
{
    struct wmgw_access_request req = {.desired = WMGW_MAXIMUM_ALLOWED, .mapping = &wmgw_wmi_generic_mapping};
    struct wmgw_access_result res;
    if (wmgw_access_check(sd, tok, &req, &res, NULL) != 0)
        return 0;
    return res.granted;
}

int wmgw_policies_check(struct wmgw_policies *ps, const char *host, char *const *groups, size_t ngroups,
                        const char *ns, const struct wmgw_token *tok, enum wmgw_wmi_op op, uint32_t *granted,
                        struct wmgw_err *err)
{
    const struct wmgw_wmi_op_rights *row = wmgw_wmi_op_rights(op);
    *granted = 0;
    pthread_rwlock_rdlock(&ps->lock);
    int rc = WMGW_EACCES;
    size_t i;
    for (i = 0; i < ps->n; i++)
        if (host_matches(&ps->v[i], host, groups, ngroups) && ns_matches(&ps->v[i], ns))
            break;
    if (i == ps->n) {
        wmgw_err_set(err, WMGW_EACCES, "no policy covers namespace %s on host %s", ns, host);
    } else {
        struct wmgw_err e;
        wmgw_err_clear(&e);
        rc = wmgw_wmi_check(&ps->v[i].sd, tok, op, granted, &e);
        if (rc != 0)
            wmgw_err_set(err, WMGW_EACCES, "policy %s does not grant %s on %s (host %s)", ps->v[i].cfg.name,
                         row ? row->name : "this operation", ns, host);
    }
    pthread_rwlock_unlock(&ps->lock);
    return rc == 0 ? 0 : WMGW_EACCES;
}

/* ---- JSON ---- */

static int list_json(struct wmgw_buf *out, char *const *v, size_t n)
{
    int rc = wmgw_buf_addc(out, '[');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i > 0)
            rc = wmgw_buf_addc(out, ',');
        if (rc == 0)
            rc = wmgw_json_write_string(out, v[i], strlen(v[i]));
    }
    return rc ? rc : wmgw_buf_addc(out, ']');
}

int wmgw_policy_rights_json(uint32_t granted, struct wmgw_buf *out)
{
    enum wmgw_wmi_op ops[WMGW_WMI_OP_COUNT];
    size_t n = wmgw_wmi_ops_permitted(granted, ops);
    int rc = wmgw_buf_addc(out, '[');
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = wmgw_buf_printf(out, "%s\"%s\"", i ? "," : "", wmgw_wmi_op_rights(ops[i])->name);
    return rc ? rc : wmgw_buf_addc(out, ']');
}

static int policy_json(const struct policy *p, const struct wmgw_token *tok, struct wmgw_buf *out)
{
    struct wmgw_buf sddl;
    wmgw_buf_init(&sddl, WMGW_SDDL_MAX_TEXT * 2);
    int rc = wmgw_sddl_format(&p->sd, NULL, &sddl, NULL);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "{\"name\":");
    if (rc == 0)
        rc = wmgw_json_write_string(out, p->cfg.name, strlen(p->cfg.name));
    if (rc == 0)
        rc = wmgw_buf_addstr(out, ",\"hosts\":");
    if (rc == 0)
        rc = list_json(out, p->cfg.hosts, p->cfg.nhosts);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, ",\"namespaces\":");
    if (rc == 0)
        rc = list_json(out, p->cfg.namespaces, p->cfg.nnamespaces);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, ",\"sddl\":");
    if (rc == 0)
        rc = wmgw_json_write_string(out, sddl.data ? sddl.data : "", sddl.len);
    if (rc == 0 && tok != NULL) {
        uint32_t g = wmgw_policy_granted(&p->sd, tok);
        rc = wmgw_buf_printf(out, ",\"granted\":\"0x%08x\",\"rights\":", g);
        if (rc == 0)
            rc = wmgw_policy_rights_json(g, out);
    }
    wmgw_buf_dispose(&sddl);
    return rc ? rc : wmgw_buf_addc(out, '}');
}

int wmgw_policies_json(struct wmgw_policies *ps, const struct wmgw_token *tok, struct wmgw_buf *out)
{
    pthread_rwlock_rdlock(&ps->lock);
    int rc = wmgw_buf_addc(out, '[');
    for (size_t i = 0; rc == 0 && i < ps->n; i++) {
        if (i > 0)
            rc = wmgw_buf_addc(out, ',');
        if (rc == 0)
            rc = policy_json(&ps->v[i], tok, out);
    }
    pthread_rwlock_unlock(&ps->lock);
    return rc ? rc : wmgw_buf_addc(out, ']');
}

static long find(struct wmgw_policies *ps, const char *name)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->v[i].cfg.name, name) == 0)
            return (long)i;
    return -1;
}

int wmgw_policies_get_json(struct wmgw_policies *ps, const char *name, struct wmgw_buf *out)
{
    pthread_rwlock_rdlock(&ps->lock);
    long i = find(ps, name);
    int rc = i < 0 ? WMGW_ENOTFOUND : policy_json(&ps->v[i], NULL, out);
    pthread_rwlock_unlock(&ps->lock);
    return rc;
}

int wmgw_policies_put(struct wmgw_policies *ps, const struct wmgw_policy_config *p, bool *created,
                      struct wmgw_err *err)
{
    struct policy fresh;
    int rc = policy_make(&fresh, p, err);
    if (rc != 0)
        return rc;
    pthread_rwlock_wrlock(&ps->lock);
    long i = find(ps, p->name);
    *created = i < 0;
    if (i >= 0) {
        policy_dispose(&ps->v[i]);
        ps->v[i] = fresh;
    } else if (ps->n >= WMGW_POLICY_MAX) {
        rc = wmgw_err_set(err, WMGW_ECONFLICT, "already %d policies", WMGW_POLICY_MAX);
        policy_dispose(&fresh);
    } else {
        ps->v[ps->n++] = fresh;
    }
    pthread_rwlock_unlock(&ps->lock);
    return rc;
}

int wmgw_policies_delete(struct wmgw_policies *ps, const char *name)
{
    pthread_rwlock_wrlock(&ps->lock);
    long i = find(ps, name);
    if (i >= 0) {
        policy_dispose(&ps->v[i]);
        memmove(&ps->v[i], &ps->v[i + 1], (ps->n - (size_t)i - 1) * sizeof(*ps->v));
        ps->n--;
    }
    pthread_rwlock_unlock(&ps->lock);
    return i >= 0 ? 0 : WMGW_ENOTFOUND;
}
