/*
 * classes.c: the shared class-schema cache and its fetches (classes.h).
 *
 * A mutex-guarded list keyed by (backend id, namespace, class), each entry
 * counted.  A miss starts a GET_CLASS call on the asking worker; the
 * result joins the cache and is handed to the caller.  A host whose
 * protocol has no class retrieval gets the class catalogue's schema
 * (catalogue.h), never a backend call.
 */
#include "gateway/classes.h"
#include "gateway/catalogue.h"
#include "gateway/gateway.h"
#include "gateway/hosts.h"
#include "util/err.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct wmgw_classes {
    pthread_mutex_t lock;
    unsigned ttl;
    size_t n, cap;
    struct wmgw_class_entry **items;
};

struct wmgw_classes *wmgw_classes_new(unsigned ttl_seconds)
{
    struct wmgw_classes *cc = calloc(1, sizeof(*cc));
    if (cc != NULL) {
        pthread_mutex_init(&cc->lock, NULL);
        cc->ttl = ttl_seconds;
    }
    return cc;
}

struct wmgw_class_entry *wmgw_class_entry_ref(struct wmgw_class_entry *e)
{
    atomic_fetch_add(&e->refcnt, 1);
    return e;
}

void wmgw_class_entry_unref(struct wmgw_class_entry *e)
{
    if (e == NULL || atomic_fetch_sub(&e->refcnt, 1) != 1)
        return;
    wmgw_cim_class_free(e->cls);
    free(e->namespace_);
    free(e);
}

void wmgw_classes_free(struct wmgw_classes *cc)
{
    if (cc == NULL)
        return;
    for (size_t i = 0; i < cc->n; i++)
        wmgw_class_entry_unref(cc->items[i]);
    free(cc->items);
    pthread_mutex_destroy(&cc->lock);
    free(cc);
}

static void remove_at(struct wmgw_classes *cc, size_t i)
{
    wmgw_class_entry_unref(cc->items[i]);
    cc->items[i] = cc->items[--cc->n];
}

void wmgw_classes_forget(struct wmgw_classes *cc, uint64_t backend_id)
{
    pthread_mutex_lock(&cc->lock);
    for (size_t i = 0; i < cc->n;)
        if (cc->items[i]->backend_id == backend_id)
            remove_at(cc, i);
        else
            i++;
    pthread_mutex_unlock(&cc->lock);
}

struct wmgw_class_entry *wmgw_classes_peek(struct wmgw_classes *cc, uint64_t backend_id, const char *ns,
                                           const char *class_name)
{
    int64_t now = (int64_t)time(NULL);
    struct wmgw_class_entry *found = NULL;
    pthread_mutex_lock(&cc->lock);
    for (size_t i = 0; i < cc->n; i++) {
        struct wmgw_class_entry *e = cc->items[i];
        if (e->backend_id != backend_id || strcasecmp(e->namespace_, ns) != 0 ||
            strcasecmp(e->cls->name, class_name) != 0)
            continue;
        if (now - e->fetched_at > (int64_t)cc->ttl) {
            remove_at(cc, i); /* stale: fetch again */
            break;
        }
        found = wmgw_class_entry_ref(e);
        break;
    }
    pthread_mutex_unlock(&cc->lock);
    return found;
}

/* Adds (or replaces) an entry; returns a counted reference to it. */
static struct wmgw_class_entry *insert(struct wmgw_classes *cc, uint64_t backend_id, const char *ns,
                                       struct wmgw_cim_class *cls)
{
    struct wmgw_class_entry *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->namespace_ = strdup(ns)) == NULL) {
        free(e);
        wmgw_cim_class_free(cls);
        return NULL;
    }
    atomic_init(&e->refcnt, 2); /* the cache's and the caller's */
    e->backend_id = backend_id;
    e->cls = cls;
    e->fetched_at = (int64_t)time(NULL);
    pthread_mutex_lock(&cc->lock);
    for (size_t i = 0; i < cc->n; i++) {
        struct wmgw_class_entry *o = cc->items[i];
        if (o->backend_id == backend_id && strcasecmp(o->namespace_, ns) == 0 &&
            strcasecmp(o->cls->name, cls->name) == 0) {
            remove_at(cc, i);
            break;
        }
    }
    if (cc->n == cc->cap) {
        size_t cap = cc->cap ? cc->cap * 2 : 64;
        struct wmgw_class_entry **items = realloc(cc->items, cap * sizeof(*items));
        if (items == NULL) {
            pthread_mutex_unlock(&cc->lock);
            atomic_store(&e->refcnt, 1);
            return e; /* not cached, still usable */
        }
        cc->items = items;
        cc->cap = cap;
    }
    cc->items[cc->n++] = e;
    pthread_mutex_unlock(&cc->lock);
    return e;
}

/* --- fetching ---------------------------------------------------------------- */

struct wmgw_class_fetch {
    struct wmgw_call call;
    struct wmgw_classes *cc;
    struct wmgw_host *host;
    struct wmgw_backend *as; /* counted: the credential the fetch runs as */
    char *ns;
    char *class_name;
    struct wmgw_cim_class *got;
    wmgw_class_cb cb;
    void *data;
};

static void fetch_free(struct wmgw_class_fetch *f)
{
    wmgw_cim_class_free(f->got);
    wmgw_host_unref(f->host);
    wmgw_backend_unref(f->as);
    free(f->ns);
    free(f->class_name);
    free(f);
}

static void on_class(struct wmgw_call *call, struct wmgw_cim_class *cls)
{
    struct wmgw_class_fetch *f = call->sink_data;
    wmgw_cim_class_free(f->got);
    f->got = cls;
}

static void on_done(struct wmgw_call *call, const struct wmgw_backend_error *err)
{
    struct wmgw_class_fetch *f = call->sink_data;
    wmgw_host_record(f->host, err);
    if (err == NULL && f->got == NULL) {
        struct wmgw_backend_error e;
        wmgw_backend_error_set(&e, WMGW_EPROTO, "the host answered without a class definition");
        f->cb(f->data, NULL, &e);
    } else if (err != NULL) {
        f->cb(f->data, NULL, err);
    } else {
        struct wmgw_class_entry *e = insert(f->cc, f->host->cfg.backend->id, f->ns, f->got);
        f->got = NULL;
        if (e == NULL) {
            struct wmgw_backend_error oom;
            wmgw_backend_error_set(&oom, WMGW_ENOMEM, "out of memory");
            f->cb(f->data, NULL, &oom);
        } else {
            f->cb(f->data, e, NULL);
        }
    }
    fetch_free(f);
}

static const struct wmgw_sink_ops fetch_sink = {
    .on_class = on_class,
    .on_done = on_done,
};

/* A host that cannot describe its classes (no WMGW_CAP_CLASS_SCHEMA: the
 * Windows Server 2003 R2 dialect) has them described by the catalogue. */
static void from_catalogue(struct wmgw_gateway *gw, struct wmgw_host *host, const char *ns, const char *class_name,
                           wmgw_class_cb cb, void *data)
{
    struct wmgw_class_entry *e = gw->catalogue ? wmgw_catalogue_get(gw->catalogue, ns, class_name) : NULL;
    if (e != NULL) {
        cb(data, e, NULL);
        return;
    }
    struct wmgw_backend_error err;
    const char *proto = wmgw_protocol_name(wmgw_host_protocol(host));
    if (gw->catalogue == NULL)
        wmgw_backend_error_set(&err, WMGW_ENOTFOUND,
                               "host %s (protocol %s) cannot describe its classes and no class catalogue is "
                               "configured ([server] class-catalogue), so class %s of %s is unknown",
                               host->cfg.backend->name, proto, class_name, ns);
    else
        wmgw_backend_error_set(&err, WMGW_ENOTFOUND,
                               "class %s of namespace %s is not in the class catalogue (%s); host %s (protocol %s) "
                               "cannot describe its classes",
                               class_name, ns, wmgw_catalogue_dir(gw->catalogue), host->cfg.backend->name, proto);
    cb(data, NULL, &err);
}

struct wmgw_class_fetch *wmgw_classes_get(struct wmgw_gateway *gw, struct wmgw_worker *w, struct wmgw_host *host,
                                          struct wmgw_backend *as, const char *ns, const char *class_name,
                                          wmgw_class_cb cb, void *data)
{
    if (!(wmgw_host_caps(host) & WMGW_CAP_CLASS_SCHEMA)) {
        from_catalogue(gw, host, ns, class_name, cb, data);
        return NULL;
    }
    struct wmgw_class_entry *e = wmgw_classes_peek(gw->classes, host->cfg.backend->id, ns, class_name);
    if (e != NULL) {
        cb(data, e, NULL);
        return NULL;
    }
    struct wmgw_class_fetch *f = calloc(1, sizeof(*f));
    struct wmgw_backend_error err;
    if (f == NULL || (f->ns = strdup(ns)) == NULL || (f->class_name = strdup(class_name)) == NULL) {
        if (f != NULL)
            free(f->ns);
        free(f);
        wmgw_backend_error_set(&err, WMGW_ENOMEM, "out of memory");
        cb(data, NULL, &err);
        return NULL;
    }
    f->cc = gw->classes;
    f->host = wmgw_host_ref(host);
    f->cb = cb;
    f->data = data;
    struct wmgw_call *c = &f->call;
    wmgw_host_prepare_call(host, c);
    if (as != NULL)
        c->backend = f->as = wmgw_backend_ref(as);
    c->transport = w->transport;
    c->op.kind = WMGW_OP_GET_CLASS;
    c->op.namespace_ = f->ns;
    c->op.class_name = f->class_name;
    c->sink = &fetch_sink;
    c->sink_data = f;
    int rc = wmgw_call_start(c);
    if (rc != 0) {
        wmgw_backend_error_set(&err, rc, "cannot start the class request");
        fetch_free(f);
        cb(data, NULL, &err);
        return NULL;
    }
    return f;
}

void wmgw_class_fetch_cancel(struct wmgw_class_fetch *f)
{
    if (f == NULL)
        return;
    wmgw_call_cancel(&f->call);
    fetch_free(f);
}
