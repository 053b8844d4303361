/*
 * exec.c: one REST call's backend operation (exec.h): the host and
 * namespace of the path, the protocol (detected once for protocol auto),
 * the classes the call decodes with, and the translator call itself.
 */
#include "gateway/exec.h"
#include "gateway/cache_write.h"
#include "cim/path.h"
#include "gateway/assoc.h"
#include "gateway/vault_gw.h"
#include "gateway/authz.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void exec_dispose(void *p)
{
    struct wmgw_exec *x = p;
    if (x->fetch != NULL)
        wmgw_class_fetch_cancel(x->fetch);
    if (x->call_running)
        wmgw_call_cancel(&x->call);
    if (x->detecting)
        wmgw_call_cancel(&x->detect);
    for (size_t i = 0; i < x->nlent; i++)
        wmgw_class_entry_unref(x->lent[i]);
    for (size_t i = 0; i < x->nwant; i++)
        free(x->want[i]);
    wmgw_class_entry_unref(x->cls);
    wmgw_host_unref(x->host);
    wmgw_backend_unref(x->cred_backend);
    free(x->ns);
}

static bool class_name_valid(const char *s)
{
    /* CIM class names: letters, digits and underscores. */
    if (s[0] == '\0' || strlen(s) > 256)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

struct wmgw_exec *wmgw_exec_new(struct wmgw_request *r)
{
    struct wmgw_exec *x = h2o_mem_alloc_shared(&r->req->pool, sizeof(*x), exec_dispose);
    memset(x, 0, sizeof(*x));
    x->r = r;
    if ((x->host_name = wmgw_request_param(r, "host")) == NULL)
        return NULL;
    x->host = wmgw_hosts_get(r->gw->hosts, x->host_name);
    if (x->host == NULL) {
        wmgw_respond_problem(r, WMGW_ENOTFOUND, "no host named %s is configured", x->host_name);
        return NULL;
    }
    h2o_iovec_t ns = wmgw_request_param_raw(r, "namespace");
    if (ns.base != NULL) {
        struct wmgw_err err;
        wmgw_err_clear(&err);
        if (wmgw_cim_path_parse_namespace(ns.base, ns.len, &x->ns, &err) != 0) {
            wmgw_respond_problem(r, WMGW_EINVAL, "namespace: %s", err.message);
            return NULL;
        }
    }
    h2o_iovec_t cls = wmgw_request_param_raw(r, "class");
    if (cls.base != NULL) {
        if ((x->class_name = wmgw_request_param(r, "class")) == NULL)
            return NULL;
        if (!class_name_valid(x->class_name)) {
            wmgw_respond_problem(r, WMGW_EINVAL, "\"%s\" is not a CIM class name (letters, digits, _)", x->class_name);
            return NULL;
        }
    }
    return x;
}

static const struct wmgw_cim_class *lent_class(struct wmgw_exec *x, const char *class_name)
{
    if (x->cls != NULL && strcasecmp(x->cls->cls->name, class_name) == 0)
        return x->cls->cls;
    for (size_t i = 0; i < x->nlent; i++)
        if (strcasecmp(x->lent[i]->cls->name, class_name) == 0)
            return x->lent[i]->cls;
    return NULL;
}

/* The next class that a known class names as an embedded-object or
 * reference target (its own properties or, for methods, parameters) and
 * that is not lent yet; NULL when all are. */
static const char *missing_dependency(struct wmgw_exec *x)
{
    for (size_t i = 0; i < x->nwant; i++)
        if (lent_class(x, x->want[i]) == NULL)
            return x->want[i];
    size_t nknown = x->nlent + 1;
    for (size_t k = 0; k < nknown; k++) {
        const struct wmgw_cim_class *c = k == 0 ? (x->cls ? x->cls->cls : NULL) : x->lent[k - 1]->cls;
        if (c == NULL)
            continue;
        for (size_t i = 0; i < c->nprops; i++)
            if (c->props[i].ref_class != NULL && lent_class(x, c->props[i].ref_class) == NULL)
                return c->props[i].ref_class;
        for (size_t m = 0; k == 0 && m < c->nmethods; m++)
            for (size_t i = 0; i < c->methods[m].nparams; i++)
                if (c->methods[m].params[i].ref_class != NULL &&
                    lent_class(x, c->methods[m].params[i].ref_class) == NULL)
                    return c->methods[m].params[i].ref_class;
    }
    return NULL;
}

static void on_dependency(void *data, struct wmgw_class_entry *e, const struct wmgw_backend_error *err);

/* Fetches the classes the main class depends on, one at a time, so every
 * embedded object and reference key is decoded with its declared class
 * (never with whatever the cache happens to hold: the same instance must
 * always give the same JSON). */
static void fetch_dependencies(struct wmgw_exec *x)
{
    const char *name = x->nlent < sizeof(x->lent) / sizeof(x->lent[0]) ? missing_dependency(x) : NULL;
    if (name == NULL) {
        x->ready(x);
        return;
    }
    struct wmgw_backend *as;
    if (wmgw_exec_backend(x, &as) != 0)
        return; /* answered */
    struct wmgw_class_fetch *f =
        wmgw_classes_get(x->r->gw, x->r->worker, x->host, as, x->ns, name, on_dependency, x);
    if (f != NULL)
        x->fetch = f;
}

static void forget_want(struct wmgw_exec *x, const char *name)
{
    for (size_t i = 0; i < x->nwant; i++) {
        if (strcasecmp(x->want[i], name) == 0) {
            free(x->want[i]);
            x->want[i] = x->want[--x->nwant];
            return;
        }
    }
}

static void on_dependency(void *data, struct wmgw_class_entry *e, const struct wmgw_backend_error *err)
{
    struct wmgw_exec *x = data;
    x->fetch = NULL;
    if (err != NULL) {
        /* Dependencies are best effort: without one, its values stay as
         * the wire gave them (only the main class is required). */
        const char *name = missing_dependency(x);
        if (name != NULL)
            forget_want(x, name);
        x->ready(x);
        return;
    }
    forget_want(x, e->cls->name);
    x->lent[x->nlent++] = e;
    fetch_dependencies(x);
}

const struct wmgw_cim_class *wmgw_exec_class(struct wmgw_exec *x, const char *class_name)
{
    return class_name ? lent_class(x, class_name) : NULL;
}

bool wmgw_exec_has_class(struct wmgw_exec *x, const char *class_name)
{
    return lent_class(x, class_name) != NULL;
}

void wmgw_exec_need_class(struct wmgw_exec *x, const char *class_name, wmgw_exec_ready_cb ready)
{
    x->ready = ready;
    if (lent_class(x, class_name) == NULL && x->nwant < sizeof(x->want) / sizeof(x->want[0])) {
        char *copy = strdup(class_name);
        if (copy != NULL)
            x->want[x->nwant++] = copy;
    }
    fetch_dependencies(x);
}

static void on_class_ready(void *data, struct wmgw_class_entry *e, const struct wmgw_backend_error *err)
{
    struct wmgw_exec *x = data;
    x->fetch = NULL;
    if (err != NULL && !(wmgw_exec_caps(x) & WMGW_CAP_CLASS_SCHEMA)) {
        /* The catalogue's answer, not the host's: no backend error to keep. */
        wmgw_respond_problem(x->r, err->code, "%s", err->message);
        return;
    }
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    wmgw_class_entry_unref(x->cls);
    x->cls = e;
    fetch_dependencies(x);
}

static void fetch_class(struct wmgw_exec *x)
{
    struct wmgw_backend *as;
    if (wmgw_exec_backend(x, &as) != 0)
        return; /* answered */
    struct wmgw_class_fetch *f =
        wmgw_classes_get(x->r->gw, x->r->worker, x->host, as, x->ns, x->want_class, on_class_ready, x);
    /* A cache hit has already called back (and may have answered). */
    if (f != NULL)
        x->fetch = f;
}

void wmgw_exec_with_class(struct wmgw_exec *x, const char *other, wmgw_exec_ready_cb ready)
{
    x->ready = ready;
    x->want_class = other ? other : x->class_name;
    if (wmgw_authz_host(x->r, x->host_name, x->ns) != 0)
        return;
    if (wmgw_host_needs_detection(x->host)) {
        wmgw_exec_detect(x, fetch_class);
        return;
    }
    fetch_class(x);
}

/* --- protocol detection ------------------------------------------------------- */

static void on_detect_identity(struct wmgw_call *call, const struct wmgw_identity *id)
{
    struct wmgw_exec *x = call->sink_data;
    x->identity = *id;
    x->has_identity = true;
}

static void on_detect_done(struct wmgw_call *call, const struct wmgw_backend_error *err)
{
    struct wmgw_exec *x = call->sink_data;
    x->detecting = false;
    wmgw_host_record(x->host, err);
    if (err != NULL) {
        struct wmgw_backend_error e = *err;
        char msg[sizeof(e.message)];
        snprintf(msg, sizeof(msg), "cannot detect the protocol of host %.63s (protocol auto): %.380s", x->host_name,
                 err->message[0] ? err->message : wmgw_err_summary(err->code));
        memcpy(e.message, msg, sizeof(msg));
        wmgw_respond_backend_error(x->r, x->host_name, &e);
        return;
    }
    /* An identity without a protocol leaves the host undetected: the call
     * goes on as the translator assumes (MS-WSMV), the next one asks again. */
    if (x->has_identity)
        wmgw_host_set_identity(x->host, &x->identity);
    x->detected(x);
}

static const struct wmgw_sink_ops detect_sink = {
    .on_identity = on_detect_identity,
    .on_done = on_detect_done,
};

void wmgw_exec_detect(struct wmgw_exec *x, wmgw_exec_ready_cb ready)
{
    /* Authorization before any backend call (authz.h); 403 answered. */
    if (wmgw_authz_host(x->r, x->host_name, x->ns) != 0)
        return;
    if (!wmgw_host_needs_detection(x->host)) {
        ready(x);
        return;
    }
    struct wmgw_call *c = &x->detect;
    memset(c, 0, sizeof(*c));
    wmgw_host_prepare_call(x->host, c);
    if (wmgw_vault_gw_bind(x, c) != 0)
        return; /* answered */
    c->transport = x->r->worker->transport;
    c->op.kind = WMGW_OP_IDENTIFY;
    c->sink = &detect_sink;
    c->sink_data = x;
    x->detected = ready;
    x->has_identity = false;
    int rc = wmgw_call_start(c);
    if (rc != 0) {
        wmgw_respond_problem(x->r, rc, "cannot detect the protocol of host %s (protocol auto)", x->host_name);
        return;
    }
    x->detecting = true;
}

int wmgw_exec_backend(struct wmgw_exec *x, struct wmgw_backend **as)
{
    struct wmgw_call scratch;
    memset(&scratch, 0, sizeof(scratch));
    wmgw_host_prepare_call(x->host, &scratch);
    if (wmgw_vault_gw_bind(x, &scratch) != 0)
        return WMGW_EACCES; /* answered */
    *as = scratch.backend;
    return 0;
}

unsigned wmgw_exec_caps(struct wmgw_exec *x)
{
    return wmgw_host_caps(x->host);
}

/* Lends a cached class to the translator for the life of this call. */
/* Only the classes this call fetched for itself, never a cache peek: what
 * decodes an instance must not depend on what other calls left cached. */
static const struct wmgw_cim_class *lookup_class(void *ctx, const char *ns, const char *class_name)
{
    (void)ns;
    return class_name ? lent_class(ctx, class_name) : NULL;
}

int wmgw_exec_start(struct wmgw_exec *x, const struct wmgw_sink_ops *sink)
{
    if (wmgw_authz_host(x->r, x->host_name, x->ns) != 0)
        return WMGW_EACCES;
    struct wmgw_call *c = &x->call;
    wmgw_host_prepare_call(x->host, c);
    if (wmgw_vault_gw_bind(x, c) != 0)
        return WMGW_EACCES; /* answered */
    c->transport = x->r->worker->transport;
    c->sink = sink;
    c->sink_data = x;
    c->lookup_class = lookup_class;
    c->lookup_ctx = x;
    if (c->op.namespace_ == NULL)
        c->op.namespace_ = x->ns;
    if (c->op.class_name == NULL)
        c->op.class_name = x->class_name;
    if (c->op.cls == NULL && x->cls != NULL)
        c->op.cls = x->cls->cls;
    /* What the protocol cannot filter by association, the gateway does. */
    if (c->op.kind == WMGW_OP_QUERY && c->op.query != NULL && c->op.query->kind != WMGW_WQL_SELECT &&
        !(wmgw_exec_caps(x) & WMGW_CAP_ASSOCIATIONS))
        c->tr = wmgw_assoc_translator(x);
    wmgw_cache_wrap_write(x); /* a write invalidates the host's cached answers */
    int rc = wmgw_call_start(c);
    if (rc != 0) {
        if (c->start_error.message[0] != '\0')
            wmgw_respond_problem(x->r, rc, "host %s: %s", x->host_name, c->start_error.message);
        else
            wmgw_respond_problem(x->r, rc, "cannot start the operation on host %s", x->host_name);
        return rc;
    }
    x->call_running = true;
    return 0;
}

void wmgw_exec_finished(struct wmgw_exec *x, const struct wmgw_backend_error *err)
{
    x->call_running = false;
    wmgw_host_record(x->host, err);
}

struct wmgw_cim_ref *wmgw_exec_keys(struct wmgw_exec *x)
{
    h2o_iovec_t raw = wmgw_request_param_raw(x->r, "keys");
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(x->ns, x->cls->cls->name);
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (ref == NULL || wmgw_cim_path_parse_keys(raw.base, raw.len, x->cls->cls, ref, &err) != 0) {
        wmgw_cim_ref_free(ref);
        wmgw_respond_problem(x->r, err.code == WMGW_ENOMEM ? WMGW_ENOMEM : WMGW_EINVAL, "keys: %s",
                             err.message[0] ? err.message : "not valid");
        return NULL;
    }
    return ref;
}
