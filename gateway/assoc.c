/*
 * assoc.c: association queries evaluated in the gateway (assoc.h).
 *
 * Two phases, one backend call at a time on the request's loop:
 *   1. gather: each concrete association class of the namespace (class
 *      catalogue order) is enumerated unfiltered; the instances of exactly
 *      that class (a subclass's come with its own class) whose Role
 *      reference names the object are kept: as results (REFERENCES OF) or
 *      as the references their other properties hold (ASSOCIATORS OF),
 *      each reference once;
 *   2. deliver: results go to the sink one at a time, each followed by
 *      on_batch and a wait for wmgw_call_resume (the stream's
 *      backpressure); an ASSOCIATORS OF candidate is read with Get first
 *      (one gone meanwhile is no result) and ResultClass and "each result
 *      once" apply to what came back.
 * That is the order and the rules of the simulated host's WMI
 * (tests/sim/filter.c, associate()), so a 2003 host answers as a WSMV one.
 *
 * Ownership: the state is malloc'd and outlives the outer call only while
 * its own backend call or the deferred start is still pending; cancel
 * cancels those, and the sink is never called after cancel (translator.h).
 */
#include "gateway/assoc.h"
#include "cim/path.h"
#include "gateway/catalogue.h"
#include "gateway/exec.h"
#include "gateway/filter.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct assoc {
    struct wmgw_call *call;          /* the outer call; NULL once done or cancelled */
    struct wmgw_exec *x;
    const struct wmgw_wql_query *q;
    const struct wmgw_translator *tr; /* the host's own translator */
    struct wmgw_call inner;          /* Enumerate (phase 1) or Get (phase 2) */
    bool inner_running;
    h2o_timeout_entry_t deferred;    /* phase 2 started from the loop, never from start */
    bool deferred_linked;
    bool references;
    size_t next_class;               /* catalogue index of the next class to enumerate */
    const struct wmgw_cim_class *assoc; /* the class being enumerated */
    /* phase 2 */
    bool delivering;
    bool full;                       /* a page's limit is reached and more follow */
    struct wmgw_cim_instance *pending; /* a result waiting for pump() */
    size_t ncand, cap, pos;
    void **cand;                     /* instances (REFERENCES) or references (ASSOCIATORS) */
    size_t nseen, seen_cap;
    char **seen;                     /* results already delivered or skipped, by path */
    struct wmgw_cim_instance *got;   /* what the Get in flight returned */
    uint64_t skip, produced;
    unsigned delivered;
    bool waiting, pumping, failed;
    struct wmgw_backend_error err;
};

static void pump(struct assoc *a);

static const struct wmgw_cim_class *lookup(struct assoc *a, const char *name)
{
    return wmgw_filter_lookup(a->x, name);
}

static bool isa(struct assoc *a, const char *cls, const char *base)
{
    return wmgw_wql_isa(cls, base, wmgw_filter_lookup, a->x);
}

static void state_free(struct assoc *a)
{
    /* Instances before pos went to the sink; references are only borrowed
     * by the Gets. */
    for (size_t i = a->references ? a->pos : 0; i < a->ncand; i++) {
        if (a->references)
            wmgw_cim_instance_unref(a->cand[i]);
        else
            wmgw_cim_ref_free(a->cand[i]);
    }
    wmgw_cim_instance_unref(a->pending);
    free(a->cand);
    for (size_t i = 0; i < a->nseen; i++)
        free(a->seen[i]);
    free(a->seen);
    wmgw_cim_instance_unref(a->got);
    free(a);
}

/* The one on_done of the outer call. */
static void finish(struct assoc *a, const struct wmgw_backend_error *err)
{
    struct wmgw_call *call = a->call;
    if (call == NULL)
        return;
    a->call = NULL;
    call->state = NULL;
    call->sink->on_done(call, err);
}

static void fail(struct assoc *a, int code, const char *what)
{
    wmgw_backend_error_set(&a->err, code, "%s", what);
    a->failed = true;
}

/* --- the object and its references -------------------------------------------- */

/* Equal key values: strings case-insensitively (as WMI compares keys),
 * anything else by its text. */
static bool same_key(const struct wmgw_cim_value *a, const struct wmgw_cim_value *b)
{
    if (a->null || b->null || WMGW_CIM_IS_ARRAY(a->type) || WMGW_CIM_IS_ARRAY(b->type) ||
        WMGW_CIM_BASETYPE(a->type) == WMGW_CIM_REFERENCE || WMGW_CIM_BASETYPE(b->type) == WMGW_CIM_REFERENCE ||
        WMGW_CIM_BASETYPE(a->type) == WMGW_CIM_OBJECT || WMGW_CIM_BASETYPE(b->type) == WMGW_CIM_OBJECT)
        return wmgw_cim_value_equal(a, b);
    struct wmgw_buf ta, tb;
    wmgw_buf_init(&ta, 4096);
    wmgw_buf_init(&tb, 4096);
    bool eq = wmgw_cim_value_to_text(a, &ta) == 0 && wmgw_cim_value_to_text(b, &tb) == 0 && ta.len == tb.len &&
              (ta.len == 0 || strncasecmp(ta.data, tb.data, ta.len) == 0);
    wmgw_buf_dispose(&ta);
    wmgw_buf_dispose(&tb);
    return eq;
}

/* Does the reference value v name the object?  Its class is the object's,
 * an ancestor or a descendant, and its keys are the object's. */
static bool names_object(struct assoc *a, const struct wmgw_cim_value *v)
{
    const struct wmgw_cim_ref *obj = a->q->object;
    if (v == NULL || v->null || WMGW_CIM_BASETYPE(v->type) != WMGW_CIM_REFERENCE || WMGW_CIM_IS_ARRAY(v->type))
        return false;
    const struct wmgw_cim_ref *r = v->u.ref;
    if (!isa(a, r->class_name, obj->class_name) && !isa(a, obj->class_name, r->class_name))
        return false;
    if (r->keys.n != obj->keys.n)
        return false;
    for (size_t i = 0; i < obj->keys.n; i++) {
        const struct wmgw_cim_prop *k = wmgw_cim_proplist_find(&r->keys, obj->keys.items[i].name);
        if (k == NULL || !same_key(&k->value, &obj->keys.items[i].value))
            return false;
    }
    return true;
}

/* "<kind> Class:keys", lower case: one text per instance, whatever the
 * case of its string keys (WMI's keys compare case-insensitively); kind
 * 'r' for a reference to read, 'i' for an instance delivered. */
static char *path_text(char kind, const char *class_name, const struct wmgw_cim_ref *ref)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64 * 1024);
    char *s = NULL;
    if (wmgw_buf_printf(&b, "%c %s:", kind, class_name) == 0 && wmgw_cim_path_format_keys(&b, ref) == 0)
        s = wmgw_buf_steal(&b, NULL);
    wmgw_buf_dispose(&b);
    for (char *p = s; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return s;
}

/* Records text as seen; false when it was already (or memory ran out). */
static bool first_time(struct assoc *a, char *text)
{
    if (text == NULL) {
        fail(a, WMGW_ENOMEM, "out of memory");
        return false;
    }
    for (size_t i = 0; i < a->nseen; i++) {
        if (strcmp(a->seen[i], text) == 0) {
            free(text);
            return false;
        }
    }
    if (a->nseen == a->seen_cap) {
        size_t cap = a->seen_cap ? a->seen_cap * 2 : 16;
        char **s = realloc(a->seen, cap * sizeof(*s));
        if (s == NULL) {
            free(text);
            fail(a, WMGW_ENOMEM, "out of memory");
            return false;
        }
        a->seen = s;
        a->seen_cap = cap;
    }
    a->seen[a->nseen++] = text;
    return true;
}

static bool add_candidate(struct assoc *a, void *c)
{
    if (a->ncand >= WMGW_ASSOC_MAX_MATCHES) {
        fail(a, WMGW_ETOOBIG, "too many associations of one instance to evaluate in the gateway");
        return false;
    }
    if (a->ncand == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void **p = realloc(a->cand, cap * sizeof(*p));
        if (p == NULL) {
            fail(a, WMGW_ENOMEM, "out of memory");
            return false;
        }
        a->cand = p;
        a->cap = cap;
    }
    a->cand[a->ncand++] = c;
    return true;
}

/* --- phase 1: the association instances ----------------------------------------- */

static void gather(struct assoc *a, struct wmgw_cim_instance *inst)
{
    const struct wmgw_cim_class *cls = a->assoc;
    const struct wmgw_wql_query *q = a->q;
    for (size_t pi = 0; pi < cls->nprops && !a->failed; pi++) {
        const struct wmgw_cim_propdecl *p = &cls->props[pi];
        if (p->type != WMGW_CIM_REFERENCE || (q->role && strcasecmp(q->role, p->name) != 0))
            continue;
        if (!names_object(a, wmgw_cim_instance_get(inst, p->name)))
            continue;
        if (a->references) { /* the association itself, once */
            if (add_candidate(a, inst))
                return;
            break;
        }
        for (size_t oi = 0; oi < cls->nprops && !a->failed; oi++) {
            const struct wmgw_cim_propdecl *o = &cls->props[oi];
            if (oi == pi || o->type != WMGW_CIM_REFERENCE)
                continue;
            if (q->result_role && strcasecmp(q->result_role, o->name) != 0)
                continue;
            const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, o->name);
            if (v == NULL || v->null || WMGW_CIM_BASETYPE(v->type) != WMGW_CIM_REFERENCE || WMGW_CIM_IS_ARRAY(v->type))
                continue;
            /* Each reference once; its Get decides in phase 2. */
            if (!first_time(a, path_text('r', v->u.ref->class_name, v->u.ref)))
                continue;
            struct wmgw_cim_ref *r = wmgw_cim_ref_copy(v->u.ref);
            if (r == NULL) {
                fail(a, WMGW_ENOMEM, "out of memory");
            } else {
                free(r->namespace_);
                r->namespace_ = strdup(a->x->ns);
                if (!add_candidate(a, r))
                    wmgw_cim_ref_free(r);
            }
        }
    }
    wmgw_cim_instance_unref(inst);
}

static void on_gather_instance(struct wmgw_call *inner, struct wmgw_cim_instance *inst)
{
    struct assoc *a = inner->sink_data;
    /* Instances of subclasses come again with their own class. */
    if (a->failed || strcasecmp(inst->class_name, a->assoc->name) != 0) {
        wmgw_cim_instance_unref(inst);
        return;
    }
    gather(a, inst);
}

static void on_inner_ref(struct wmgw_call *inner, struct wmgw_cim_ref *ref)
{
    wmgw_cim_ref_free(ref);
}

static void on_inner_batch(struct wmgw_call *inner)
{
    wmgw_call_resume(inner); /* gathering keeps only matches: no need to wait */
}

static void on_gather_done(struct wmgw_call *inner, const struct wmgw_backend_error *err)
{
    struct assoc *a = inner->sink_data;
    a->inner_running = false;
    /* A class the catalogue has and the host lacks has no instances there. */
    if (err != NULL && err->code != WMGW_ENOTFOUND && !a->failed) {
        a->err = *err;
        a->failed = true;
    }
    pump(a); /* the next class, or phase 2 */
}

static const struct wmgw_sink_ops gather_sink = {
    .on_instance = on_gather_instance,
    .on_ref = on_inner_ref,
    .on_batch = on_inner_batch,
    .on_done = on_gather_done,
};

/* Is the i-th catalogue class of the namespace one to enumerate? */
static bool wanted_class(struct assoc *a, const struct wmgw_cim_class *c)
{
    if (!(c->flags & WMGW_CIM_Q_ASSOCIATION) || (c->flags & WMGW_CIM_Q_ABSTRACT))
        return false; /* an abstract class has no instances of its own */
    if (a->q->assoc_class && !isa(a, c->name, a->q->assoc_class))
        return false;
    /* In REFERENCES OF, ResultClass names the association class. */
    return !(a->references && a->q->result_class && !isa(a, c->name, a->q->result_class));
}

/* Starts the enumeration of the next wanted class; inner_running stays
 * false when there is none left. */
static int start_next_class(struct assoc *a)
{
    const struct wmgw_catalogue *cat = a->x->r->gw->catalogue;
    const struct wmgw_cim_class *c;
    while ((c = wmgw_catalogue_at(cat, a->x->ns, a->next_class)) != NULL) {
        a->next_class++;
        if (!wanted_class(a, c))
            continue;
        struct wmgw_call *in = &a->inner;
        struct wmgw_call *out = a->call;
        memset(in, 0, sizeof(*in));
        in->tr = a->tr;
        in->backend = out->backend;
        in->transport = out->transport;
        in->protocol = out->protocol;
        in->lookup_class = out->lookup_class;
        in->lookup_ctx = out->lookup_ctx;
        in->sink = &gather_sink;
        in->sink_data = a;
        in->op.kind = WMGW_OP_ENUMERATE;
        in->op.namespace_ = out->op.namespace_;
        in->op.class_name = c->name;
        in->op.cls = c;
        a->assoc = c;
        int rc = wmgw_call_start(in);
        if (rc != 0)
            return rc;
        a->inner_running = true;
        return 0;
    }
    return 0;
}

/* --- phase 2: the results ------------------------------------------------------------ */

/* One result in order: skipped (an earlier page's), the lookahead that ends
 * a full page, or delivered. */
static void result(struct assoc *a, struct wmgw_cim_instance *inst)
{
    struct wmgw_call *call = a->call;
    if (a->produced++ < a->skip) {
        wmgw_cim_instance_unref(inst);
        return;
    }
    unsigned limit = call->op.limit;
    if (limit > 0 && a->delivered >= limit) {
        wmgw_cim_instance_unref(inst);
        char cursor[64];
        snprintf(cursor, sizeof(cursor), "%s%" PRIu64, WMGW_FILTER_CURSOR_PREFIX, a->skip + a->delivered);
        if (call->sink->on_cursor != NULL)
            call->sink->on_cursor(call, cursor);
        a->full = true;
        return;
    }
    a->delivered++;
    a->waiting = true;
    call->sink->on_instance(call, inst);
    if (a->call != NULL && call->sink->on_batch != NULL)
        call->sink->on_batch(call); /* may resume at once */
    else
        a->waiting = false;
}

static void on_get_instance(struct wmgw_call *inner, struct wmgw_cim_instance *inst)
{
    struct assoc *a = inner->sink_data;
    wmgw_cim_instance_unref(a->got);
    a->got = inst;
}

static void on_get_done(struct wmgw_call *inner, const struct wmgw_backend_error *err)
{
    struct assoc *a = inner->sink_data;
    a->inner_running = false;
    struct wmgw_cim_instance *inst = a->got;
    a->got = NULL;
    if (err != NULL && err->code != WMGW_ENOTFOUND && !a->failed) {
        a->err = *err;
        a->failed = true;
    }
    /* One gone since the association named it is no result, as in WMI. */
    if (err == NULL && inst != NULL && a->call != NULL && !a->failed) {
        const struct wmgw_cim_class *cls = lookup(a, inst->class_name);
        struct wmgw_cim_ref *path = cls ? wmgw_cim_instance_path(inst, cls) : NULL;
        bool keep = (a->q->result_class == NULL || isa(a, inst->class_name, a->q->result_class)) &&
                    (path == NULL || first_time(a, path_text('i', inst->class_name, path)));
        wmgw_cim_ref_free(path);
        if (keep) {
            a->pending = inst;
            inst = NULL;
        }
    }
    wmgw_cim_instance_unref(inst);
    pump(a);
}

static const struct wmgw_sink_ops get_sink = {
    .on_instance = on_get_instance,
    .on_ref = on_inner_ref,
    .on_batch = on_inner_batch,
    .on_done = on_get_done,
};

static int start_get(struct assoc *a, struct wmgw_cim_ref *ref)
{
    struct wmgw_call *in = &a->inner;
    struct wmgw_call *out = a->call;
    memset(in, 0, sizeof(*in));
    in->tr = a->tr;
    in->backend = out->backend;
    in->transport = out->transport;
    in->protocol = out->protocol;
    in->lookup_class = out->lookup_class;
    in->lookup_ctx = out->lookup_ctx;
    in->sink = &get_sink;
    in->sink_data = a;
    in->op.kind = WMGW_OP_GET;
    in->op.namespace_ = out->op.namespace_;
    in->op.class_name = ref->class_name;
    in->op.ref = ref;
    in->op.cls = lookup(a, ref->class_name);
    int rc = wmgw_call_start(in);
    if (rc == 0)
        a->inner_running = true;
    return rc;
}

/* Runs the evaluation until it must wait (for a backend call or for the
 * caller); every sink call happens in here, so a cancel from inside one
 * never frees the state under our feet. */
static void pump(struct assoc *a)
{
    if (a->pumping)
        return;
    a->pumping = true;
    while (a->call != NULL && !a->waiting && !a->inner_running) {
        if (a->failed) {
            finish(a, &a->err);
            break;
        }
        if (a->pending != NULL) {
            struct wmgw_cim_instance *inst = a->pending;
            a->pending = NULL;
            result(a, inst);
            continue;
        }
        if (!a->delivering) { /* phase 1: the next association class */
            int rc = start_next_class(a);
            if (rc != 0) {
                wmgw_backend_error_set(&a->err, rc, "cannot enumerate association classes");
                a->failed = true;
            } else if (!a->inner_running) {
                a->delivering = true;
            }
            continue;
        }
        if (a->full || a->pos >= a->ncand) {
            finish(a, NULL);
            break;
        }
        void *c = a->cand[a->pos++];
        if (a->references) {
            result(a, c);
            continue;
        }
        int rc = start_get(a, c);
        if (rc != 0) {
            wmgw_backend_error_set(&a->err, rc, "cannot read %s", ((struct wmgw_cim_ref *)c)->class_name);
            a->failed = true;
        }
    }
    a->pumping = false;
    if (a->call == NULL && !a->inner_running && !a->deferred_linked)
        state_free(a);
}

static void on_deferred(h2o_timeout_entry_t *entry)
{
    struct assoc *a = (struct assoc *)((char *)entry - offsetof(struct assoc, deferred));
    a->deferred_linked = false;
    pump(a);
}

/* --- the translator interface ------------------------------------------------------------- */

static int assoc_start(struct wmgw_call *call)
{
    struct wmgw_exec *x = call->sink_data;
    const struct wmgw_wql_query *q = call->op.query;
    if (q == NULL || q->object == NULL || q->kind == WMGW_WQL_SELECT)
        return WMGW_EINVAL;
    if (q->class_defs_only || q->schema_only)
        return wmgw_backend_error_set(&call->start_error, WMGW_EINVAL,
                                      "ClassDefsOnly and SchemaOnly are not supported over WS-Management");
    if (x->r->gw->catalogue == NULL)
        return wmgw_backend_error_set(&call->start_error, WMGW_ENOTALLOWED,
                                      "its protocol (%s) has no association filter, and the gateway evaluates "
                                      "associations only with a class catalogue ([server] class-catalogue)",
                                      wmgw_protocol_name(wmgw_host_protocol(x->host)));
    struct assoc *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return WMGW_ENOMEM;
    a->call = call;
    a->x = x;
    a->q = q;
    a->references = q->kind == WMGW_WQL_REFERENCES;
    a->tr = wmgw_translator_for(wmgw_host_protocol(x->host));
    if (call->op.cursor != NULL) {
        const char *p = call->op.cursor + strlen(WMGW_FILTER_CURSOR_PREFIX);
        char *end;
        if (strncmp(call->op.cursor, WMGW_FILTER_CURSOR_PREFIX, strlen(WMGW_FILTER_CURSOR_PREFIX)) != 0 ||
            *p < '0' || *p > '9' || (a->skip = strtoull(p, &end, 10), *end != '\0')) {
            free(a);
            return wmgw_backend_error_set(&call->start_error, WMGW_EGONE,
                                          "cursor: not one of this host's association listings; start again");
        }
    }
    int rc = start_next_class(a);
    if (rc != 0) {
        free(a);
        return rc;
    }
    if (!a->inner_running) { /* no association class at all: answer from the loop */
        a->delivering = true;
        a->deferred.cb = on_deferred;
        h2o_timeout_link(x->r->worker->loop, &x->r->worker->ctx.zero_timeout, &a->deferred);
        a->deferred_linked = true;
    }
    call->state = a;
    return 0;
}

static void assoc_resume(struct wmgw_call *call)
{
    struct assoc *a = call->state;
    if (a == NULL || !a->waiting)
        return;
    a->waiting = false;
    pump(a);
}

static void assoc_cancel(struct wmgw_call *call)
{
    struct assoc *a = call->state;
    if (a == NULL)
        return;
    a->call = NULL;
    call->state = NULL;
    if (a->deferred_linked) {
        h2o_timeout_unlink(&a->deferred);
        a->deferred_linked = false;
    }
    if (a->inner_running) {
        wmgw_call_cancel(&a->inner);
        a->inner_running = false;
    }
    if (!a->pumping)
        state_free(a); /* else pump() frees it on its way out */
}

static unsigned assoc_caps(const struct wmgw_backend *b)
{
    (void)b;
    return WMGW_CAP_ASSOCIATIONS;
}

static const struct wmgw_translator assoc_translator = {
    .name = "gateway-associations",
    .caps = WMGW_CAP_ASSOCIATIONS,
    .caps_for = assoc_caps,
    .start = assoc_start,
    .resume = assoc_resume,
    .cancel = assoc_cancel,
};

const struct wmgw_translator *wmgw_assoc_translator(struct wmgw_exec *x)
{
    (void)x;
    return &assoc_translator;
}
