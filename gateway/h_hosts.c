/*
 * h_hosts.c: the fleet over REST (operations listHosts, createHost,
 * getHost, putHost, deleteHost).
 *
 * Hosts come from the configuration file and from these calls; both go
 * through the same setting rows (config.c), so a host added at run time is
 * checked exactly like one in the file.  Credentials are write-only: no
 * answer ever contains one.  getHost asks the host who it is (Identify)
 * the first time, so the detail shows identity and health.
 */
#include "gateway/authz.h"
#include "gateway/classes.h"
#include "gateway/handlers.h"
#include "gateway/hosts.h"
#include "gateway/result.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *health_name(enum wmgw_health h)
{
    return h == WMGW_HEALTH_UP ? "up" : h == WMGW_HEALTH_DOWN ? "down" : "unknown";
}

static json_t *host_json(struct wmgw_host *h)
{
    const struct wmgw_backend *b = h->cfg.backend;
    json_t *groups = json_array();
    for (size_t i = 0; i < h->cfg.ngroups; i++)
        json_array_append_new(groups, json_string(h->cfg.groups[i]));
    char id[128];
    snprintf(id, sizeof(id), "/v1/hosts/%s", b->name);
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:{s:i, s:i}, s:i, s:i}", "@id", id, "name", b->name,
                          "address", b->address ? b->address : "", "port", (int)b->port, "scheme",
                          b->tls ? "https" : "http", "path", b->path ? b->path : "/wsman", "protocol",
                          wmgw_protocol_name(b->protocol), "groups", groups, "timeouts", "connectMs",
                          (int)b->connect_timeout_ms, "operationMs", (int)b->operation_timeout_ms,
                          "maxEnvelopeSize", (int)b->max_envelope_size, "maxElements", (int)b->max_elements);
    pthread_mutex_lock(&h->lock);
    json_t *health = json_pack("{s:s}", "state", health_name(h->health));
    if (h->checked_at > 0) {
        char when[32];
        time_t t = (time_t)h->checked_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_set_new(health, "checkedAt", json_string(when));
    }
    if (h->last_error[0])
        json_object_set_new(health, "lastError", json_string(h->last_error));
    json_object_set_new(o, "health", health);
    enum wmgw_protocol detected = h->detected != WMGW_PROTO_AUTO ? h->detected : b->protocol;
    if (detected != WMGW_PROTO_AUTO)
        json_object_set_new(o, "detectedProtocol", json_string(wmgw_protocol_name(detected)));
    if (h->has_identity)
        json_object_set_new(o, "identity",
                            json_pack("{s:s, s:s, s:s}", "vendor", h->identity.vendor, "version", h->identity.version,
                                      "protocolVersion", h->identity.protocol_version));
    pthread_mutex_unlock(&h->lock);
    return o;
}

int wmgw_h_list_hosts(struct wmgw_request *r)
{
    size_t n;
    struct wmgw_host **list = wmgw_hosts_list(r->gw->hosts, &n);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        if (wmgw_authz_may_list_host(r, list[i]->cfg.backend->name, list[i]->cfg.groups, list[i]->cfg.ngroups))
            json_array_append_new(items, host_json(list[i]));
    wmgw_hosts_list_free(list, n);
    wmgw_respond_json_value(r, 200, json_pack("{s:o}", "items", items), NULL);
    return 0;
}

/* --- detail, with identity ----------------------------------------------------- */

static void identify_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    if (err == NULL && res->has_identity)
        wmgw_host_set_identity(x->host, &res->identity);
    /* A host that does not answer is still a configured host: show it. */
    wmgw_respond_json_value(x->r, 200, host_json(x->host), NULL);
}

int wmgw_h_get_host(struct wmgw_request *r)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x == NULL)
        return 0;
    pthread_mutex_lock(&x->host->lock);
    bool known = x->host->has_identity;
    pthread_mutex_unlock(&x->host->lock);
    bool bad = false;
    const char *probe = wmgw_request_query(r, "probe", &bad);
    if (bad)
        return 0;
    if (known && !(probe != NULL && strcmp(probe, "true") == 0)) {
        wmgw_respond_json_value(r, 200, host_json(x->host), NULL);
        return 0;
    }
    /* Asking the host itself is a read: only for callers a policy lets
     * read it (root/cimv2, where Identify's answer comes from). */
    if (wmgw_authz_host_op(r, x->host_name, "root/cimv2", WMGW_WMI_OP_READ) != 0)
        return 0; /* 403 answered */
    x->call.op.kind = WMGW_OP_IDENTIFY;
    wmgw_result_start(x, identify_done, NULL);
    return 0;
}

/* --- add, change, remove -------------------------------------------------------- */

/* JSON member -> configuration key (config.c rows). */
static const struct {
    const char *member, *key;
} members[] = {
    {"address", "address"}, {"port", "port"}, {"scheme", "scheme"}, {"path", "path"}, {"protocol", "protocol"},
    {"caFile", "ca-file"}, {"tlsName", "tls-name"}, {"tlsInsecure", "tls-insecure"},
    {"maxEnvelopeSize", "max-envelope-size"}, {"maxElements", "max-elements"}, {"poolSize", "pool-size"},
    {"auth", "auth"}, {"domain", "domain"}, {"spn", "spn"}, {"encryption", "encryption"},
    {"channelBinding", "channel-binding"}, {"dcomAuthLevel", "dcom-auth-level"}, {"vaultCredential", "credential"},
};

static int set_member(struct wmgw_host_config *h, const char *key, const json_t *v, struct wmgw_err *err)
{
    char text[64];
    const char *value;
    if (json_is_string(v))
        value = json_string_value(v);
    else if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
        value = text;
    } else if (json_is_boolean(v))
        value = json_is_true(v) ? "true" : "false";
    else
        return wmgw_err_set(err, WMGW_EINVAL, "%s: want a string, number or boolean", key);
    return wmgw_host_config_set(h, key, value, err);
}

/* Builds a host configuration from a HostInput body. */
static int host_from_json(struct wmgw_gateway *gw, const char *name, json_t *body, struct wmgw_host_config *h,
                          struct wmgw_err *err)
{
    memset(h, 0, sizeof(*h));
    if ((h->backend = wmgw_backend_copy(gw->config->defaults)) == NULL)
        return WMGW_ENOMEM;
    free(h->backend->name);
    h->backend->name = strdup(name);
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        int rc = 0;
        bool known = strcmp(k, "name") == 0;
        for (size_t i = 0; i < sizeof(members) / sizeof(members[0]) && !known && rc == 0; i++) {
            if (strcmp(k, members[i].member) == 0) {
                known = true;
                rc = set_member(h, members[i].key, v, err);
            }
        }
        if (!known && strcmp(k, "groups") == 0) {
            known = true;
            size_t i;
            json_t *g;
            if (!json_is_array(v))
                rc = wmgw_err_set(err, WMGW_EINVAL, "groups: want an array of names");
            json_array_foreach(v, i, g) {
                if (rc == 0)
                    rc = json_is_string(g) ? wmgw_host_config_set(h, "groups", json_string_value(g), err)
                                           : wmgw_err_set(err, WMGW_EINVAL, "groups: want names");
            }
        } else if (!known && strcmp(k, "credential") == 0 && json_is_null(v)) {
            known = true; /* no credential */
        } else if (!known && strcmp(k, "credential") == 0) {
            known = true;
            const char *user = json_string_value(json_object_get(v, "user"));
            const char *password = json_string_value(json_object_get(v, "password"));
            if (user == NULL || password == NULL || json_object_size(v) != 2)
                rc = wmgw_err_set(err, WMGW_EINVAL, "credential: want {\"user\": ..., \"password\": ...}");
            if (rc == 0)
                rc = wmgw_host_config_set(h, "user", user, err);
            if (rc == 0)
                rc = wmgw_host_config_set(h, "password", password, err);
        } else if (!known && strcmp(k, "timeouts") == 0) {
            known = true;
            const char *tk;
            json_t *tv;
            json_object_foreach(v, tk, tv) {
                char ms[32];
                snprintf(ms, sizeof(ms), "%lldms", (long long)json_integer_value(tv));
                if (rc == 0 && !json_is_integer(tv))
                    rc = wmgw_err_set(err, WMGW_EINVAL, "timeouts.%s: want milliseconds", tk);
                else if (rc == 0 && strcmp(tk, "connectMs") == 0)
                    rc = wmgw_host_config_set(h, "connect-timeout", ms, err);
                else if (rc == 0 && strcmp(tk, "operationMs") == 0)
                    rc = wmgw_host_config_set(h, "operation-timeout", ms, err);
                else if (rc == 0)
                    rc = wmgw_err_set(err, WMGW_EINVAL, "timeouts.%s: unknown (connectMs, operationMs)", tk);
            }
        }
        if (rc == 0 && !known)
            rc = wmgw_err_set(err, WMGW_EINVAL, "unknown member \"%s\"", k);
        if (rc != 0)
            return WMGW_EINVAL;
    }
    return wmgw_host_config_validate(h, err) == 0 ? 0 : WMGW_EINVAL;
}

static int put_host(struct wmgw_request *r, const char *name, bool replace)
{
    json_t *body = wmgw_request_json_body(r);
    if (body == NULL)
        return 0;
    const char *body_name = json_string_value(json_object_get(body, "name"));
    if (replace && body_name != NULL && strcasecmp(body_name, name) != 0) {
        /* body_name lives in body: answer before letting it go. */
        wmgw_respond_problem(r, WMGW_EINVAL, "the body names host %s but the path names %s", body_name, name);
        json_decref(body);
        return 0;
    }
    if (!wmgw_host_name_valid(name)) {
        json_decref(body);
        wmgw_respond_problem(r, WMGW_EINVAL, "host names are letters, digits, '.', '_' and '-' (at most 63)");
        return 0;
    }
    struct wmgw_host_config h;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = host_from_json(r->gw, name, body, &h, &err);
    bool keeps_credential = json_object_get(body, "credential") == NULL;
    json_decref(body);
    struct wmgw_host *old = wmgw_hosts_get(r->gw->hosts, name);
    /* Credentials are never returned, so a GET-edit-PUT cannot repeat
     * them: a PUT without "credential" keeps the stored one. */
    if (rc == 0 && replace && keeps_credential && old != NULL && old->cfg.backend->user != NULL) {
        free(h.backend->user);
        free(h.backend->password);
        h.backend->user = strdup(old->cfg.backend->user);
        h.backend->password = strdup(old->cfg.backend->password);
    }
    if (rc != 0) {
        wmgw_host_unref(old);
        wmgw_host_config_dispose(&h);
        wmgw_respond_problem(r, WMGW_EINVAL, "%s", err.message);
        return 0;
    }
    bool created = false;
    rc = wmgw_hosts_put(r->gw->hosts, &h, replace, &created);
    wmgw_host_config_dispose(&h);
    if (rc == 0 && old != NULL)
        wmgw_classes_forget(r->gw->classes, old->cfg.backend->id);
    wmgw_host_unref(old);
    if (rc != 0) {
        wmgw_respond_problem(r, rc, rc == WMGW_EEXIST ? "a host named %s exists: PUT /v1/hosts/%s changes it"
                                                       : "cannot add host %s%s",
                             name, rc == WMGW_EEXIST ? name : "");
        return 0;
    }
    struct wmgw_host *now = wmgw_hosts_get(r->gw->hosts, name);
    char location[128];
    snprintf(location, sizeof(location), "/v1/hosts/%s", name);
    wmgw_respond_json_value(r, created ? 201 : 200, host_json(now), created ? location : NULL);
    wmgw_host_unref(now);
    return 0;
}

int wmgw_h_create_host(struct wmgw_request *r)
{
    /* The name comes from the body: peek at it before the full parse. */
    if (r->req->entity.len == 0) {
        wmgw_respond_problem(r, WMGW_EINVAL, "a HostInput body is required");
        return 0;
    }
    json_t *peek = json_loadb(r->req->entity.base, r->req->entity.len, 0, NULL);
    const char *name = json_string_value(json_object_get(peek, "name"));
    char *copy = name ? strdup(name) : NULL;
    json_decref(peek);
    if (copy == NULL) {
        /* Let the body reader report malformed JSON precisely. */
        json_t *b = wmgw_request_json_body(r);
        if (b != NULL) {
            json_decref(b);
            wmgw_respond_problem(r, WMGW_EINVAL, "\"name\" is required");
        }
        return 0;
    }
    put_host(r, copy, false);
    free(copy);
    return 0;
}

int wmgw_h_put_host(struct wmgw_request *r)
{
    const char *name = wmgw_request_param(r, "host");
    return name ? put_host(r, name, true) : 0;
}

int wmgw_h_delete_host(struct wmgw_request *r)
{
    const char *name = wmgw_request_param(r, "host");
    if (name == NULL)
        return 0;
    struct wmgw_host *old = wmgw_hosts_get(r->gw->hosts, name);
    if (old == NULL || wmgw_hosts_remove(r->gw->hosts, name) != 0) {
        wmgw_host_unref(old);
        wmgw_respond_problem(r, WMGW_ENOTFOUND, "no host named %s is configured", name);
        return 0;
    }
    wmgw_classes_forget(r->gw->classes, old->cfg.backend->id);
    wmgw_host_unref(old);
    wmgw_respond_empty(r, 204);
    return 0;
}
