/*
 * filter.c: enumeration filters (filter.h).
 *
 * WQL goes through cim/wql (parsed, checked against the class, evaluated
 * per instance), as on a real host where WMI, not WinRM, runs the query.
 * The selector filter follows MS-WSMV §3.1.4.1.13's restrictions; the
 * association filter follows DSP0227 §8.2 as WinRM implements it.
 */
#include "tests/sim/filter.h"
#include "cim/path.h"
#include "tests/sim/fault.h"
#include "tests/sim/host.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "translators/wsman/cimxml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct lookup_ctx {
    struct sim_store *store;
    const char *ns;
};

static const struct wmgw_cim_class *wql_lookup(void *p, const char *class_name)
{
    struct lookup_ctx *l = p;
    struct sim_class *c = sim_store_class(l->store, l->ns, class_name);
    return c ? c->cls : NULL;
}

void sim_query_dispose(struct sim_query *q)
{
    wmgw_cim_instance_unref(q->peek);
    sim_cursor_close(&q->cur);
    for (size_t i = q->poslist; i < q->nlist; i++)
        wmgw_cim_instance_unref(q->list[i]);
    free(q->list);
    wmgw_wql_expr_free(q->where);
    wmgw_cim_proplist_dispose(&q->equals);
    for (size_t i = 0; i < q->nselect; i++)
        free(q->select[i]);
    free(q->select);
    free(q->ns);
    memset(q, 0, sizeof(*q));
}

static bool passes(struct sim_query *q, const struct wmgw_cim_instance *inst)
{
    for (size_t i = 0; i < q->equals.n; i++) {
        const struct wmgw_cim_prop *want = &q->equals.items[i];
        const struct wmgw_cim_value *have = wmgw_cim_instance_get(inst, want->name);
        if (have == NULL || have->null)
            return false;
        struct wmgw_buf text;
        wmgw_buf_init(&text, 4096);
        bool eq = wmgw_cim_value_to_text(have, &text) == 0 && text.data &&
                  strcasecmp(text.data, want->value.u.str) == 0;
        wmgw_buf_dispose(&text);
        if (!eq)
            return false;
    }
    if (q->where != NULL) {
        struct lookup_ctx l = {q->store, q->ns};
        return wmgw_wql_eval(q->where, inst, wql_lookup, &l) == 1;
    }
    return true;
}

static struct wmgw_cim_instance *fetch(struct sim_query *q)
{
    for (;;) {
        struct wmgw_cim_instance *inst;
        if (q->use_list)
            inst = q->poslist < q->nlist ? q->list[q->poslist++] : NULL;
        else
            inst = sim_cursor_next(&q->cur);
        if (inst == NULL || passes(q, inst))
            return inst;
        wmgw_cim_instance_unref(inst);
    }
}

struct wmgw_cim_instance *sim_query_next(struct sim_query *q)
{
    struct wmgw_cim_instance *inst = q->peek ? q->peek : fetch(q);
    q->peek = NULL;
    return inst;
}

bool sim_query_done(struct sim_query *q)
{
    if (q->peek == NULL)
        q->peek = fetch(q);
    return q->peek == NULL;
}

/* --- associations ---------------------------------------------------------- */

/* Does reference r name the instance `obj` (class or subclass, equal keys)? */
static bool ref_names(struct sim_store *s, const char *ns, const struct wmgw_cim_value *r,
                      const struct wmgw_cim_ref *obj)
{
    if (r == NULL || r->null || WMGW_CIM_BASETYPE(r->type) != WMGW_CIM_REFERENCE || WMGW_CIM_IS_ARRAY(r->type))
        return false;
    const struct wmgw_cim_ref *a = r->u.ref;
    if (!sim_store_isa(s, ns, a->class_name, obj->class_name) && !sim_store_isa(s, ns, obj->class_name, a->class_name))
        return false;
    struct wmgw_cim_instance *x = sim_store_find(s, ns, a), *y = sim_store_find(s, ns, obj);
    bool same = x != NULL && x == y;
    wmgw_cim_instance_unref(x);
    wmgw_cim_instance_unref(y);
    return same;
}

static int list_add(struct sim_query *q, struct wmgw_cim_instance *inst)
{
    for (size_t i = 0; i < q->nlist; i++) {
        if (q->list[i] == inst) { /* each result once */
            wmgw_cim_instance_unref(inst);
            return 0;
        }
    }
    struct wmgw_cim_instance **l = realloc(q->list, (q->nlist + 1) * sizeof(*l));
    if (l == NULL) {
        wmgw_cim_instance_unref(inst);
        return WMGW_ENOMEM;
    }
    q->list = l;
    l[q->nlist++] = inst;
    return 0;
}

struct assoc_spec {
    const struct wmgw_cim_ref *object;
    const char *assoc_class, *result_class, *role, *result_role;
    bool references; /* REFERENCES OF / AssociationInstances: the association itself */
};

/* Collects associators (or references) of spec->object into q->list. */
static int associate(struct sim_query *q, const struct assoc_spec *spec)
{
    struct sim_store *s = q->store;
    struct sim_namespace *n = sim_store_namespace(s, q->ns);
    q->use_list = true;
    for (size_t ci = 0; n != NULL && ci < n->n; ci++) {
        struct sim_class *c = &n->classes[ci];
        const struct wmgw_cim_class *cls = c->cls;
        if (!(cls->flags & WMGW_CIM_Q_ASSOCIATION))
            continue;
        if (spec->assoc_class && !sim_store_isa(s, q->ns, cls->name, spec->assoc_class))
            continue;
        if (spec->references && spec->result_class && !sim_store_isa(s, q->ns, cls->name, spec->result_class))
            continue;
        for (size_t ii = 0; ii < c->n; ii++) {
            const struct wmgw_cim_instance *a = c->items[ii];
            for (size_t pi = 0; pi < cls->nprops; pi++) {
                const struct wmgw_cim_propdecl *p = &cls->props[pi];
                if (WMGW_CIM_BASETYPE(p->type) != WMGW_CIM_REFERENCE)
                    continue;
                if (spec->role && strcasecmp(spec->role, p->name) != 0)
                    continue;
                if (!ref_names(s, q->ns, wmgw_cim_instance_get(a, p->name), spec->object))
                    continue;
                if (spec->references) {
                    int rc = list_add(q, wmgw_cim_instance_ref(c->items[ii]));
                    if (rc != 0)
                        return rc;
                    continue;
                }
                for (size_t qi = 0; qi < cls->nprops; qi++) {
                    const struct wmgw_cim_propdecl *o = &cls->props[qi];
                    if (qi == pi || WMGW_CIM_BASETYPE(o->type) != WMGW_CIM_REFERENCE)
                        continue;
                    if (spec->result_role && strcasecmp(spec->result_role, o->name) != 0)
                        continue;
                    const struct wmgw_cim_value *v = wmgw_cim_instance_get(a, o->name);
                    if (v == NULL || v->null)
                        continue;
                    struct wmgw_cim_instance *t = sim_store_find(s, q->ns, v->u.ref);
                    if (t == NULL)
                        continue;
                    if (spec->result_class && !sim_store_isa(s, q->ns, t->class_name, spec->result_class)) {
                        wmgw_cim_instance_unref(t);
                        continue;
                    }
                    int rc = list_add(q, t);
                    if (rc != 0)
                        return rc;
                }
            }
        }
    }
    return 0;
}

/* --- WQL ------------------------------------------------------------------- */

static int wql_fault(struct sim_ctx *ctx, const char *what)
{
    char msg[400];
    snprintf(msg, sizeof(msg), "%s ", what);
    return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, msg);
}

static int prepare_wql(struct sim_ctx *ctx, struct sim_query *q, const char *text)
{
    struct wmgw_wql_query *wq = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_wql_parse(text, strlen(text), &wq, &err) != 0)
        return wql_fault(ctx, err.message[0] ? err.message : "The query is not valid WQL.");
    int rc = 0;
    struct lookup_ctx l = {q->store, q->ns};
    if (wq->kind == WMGW_WQL_SELECT) {
        const struct wmgw_cim_class *cls = wql_lookup(&l, wq->class_name);
        /* On a class URI the query must be about that class (or a subclass). */
        if (cls == NULL)
            rc = wql_fault(ctx, "The specified class does not exist in the given namespace.");
        else if (ctx->cls != NULL && !sim_store_isa(q->store, q->ns, cls->name, ctx->cls->cls->name) &&
                 !sim_store_isa(q->store, q->ns, ctx->cls->cls->name, cls->name))
            rc = wql_fault(ctx, "The class in the query does not match the resource URI.");
        else if (wmgw_wql_check_query(wq, cls, &err) != 0)
            rc = wql_fault(ctx, err.message);
        else if (sim_cursor_open(&q->cur, q->store, q->ns, cls->name) != 0)
            rc = sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
        if (rc == 0 && !wq->select_all) {
            q->select = wq->select;
            q->nselect = wq->nselect;
            wq->select = NULL;
            wq->nselect = 0;
        }
        if (rc == 0) {
            q->where = wq->where;
            wq->where = NULL;
        }
    } else {
        struct assoc_spec spec = {wq->object, wq->assoc_class, wq->result_class, wq->role, wq->result_role,
                                  wq->kind == WMGW_WQL_REFERENCES};
        if (wq->class_defs_only || wq->schema_only)
            rc = wql_fault(ctx, "ClassDefsOnly and SchemaOnly are not supported over WS-Management.");
        else if (associate(q, &spec) != 0)
            rc = sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    }
    wmgw_wql_query_free(wq);
    return rc;
}

int sim_query_prepare_wql(struct sim_ctx *ctx, struct sim_query *q, const char *ns, const char *text)
{
    memset(q, 0, sizeof(*q));
    q->store = ctx->host->store;
    if ((q->ns = strdup(ns)) == NULL)
        return sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    return prepare_wql(ctx, q, text);
}

/* --- selector filter ----------------------------------------------------- */

static int prepare_selector(struct sim_ctx *ctx, struct sim_query *q)
{
    if (ctx->cls == NULL)
        return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, NULL);
    xmlTextReaderPtr r = ctx->reader;
    int depth = xmlTextReaderDepth(r), rc;
    struct wmgw_err err;
    bool empty = xmlTextReaderIsEmptyElement(r);
    while (!empty && (rc = wmgw_xmlr_next_child(r, depth)) == 1) {
        if (!wmgw_xmlr_is(r, ctx->host->dialect->ns_wsman, "SelectorSet"))
            return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, NULL);
        if (wmgw_wsman_read_selectors(r, ctx->host->dialect, &q->equals, &err) != 0)
            return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, NULL);
    }
    /* MS-WSMV §3.1.4.1.13: scalar, comparable properties only; no quotes. */
    for (size_t i = 0; i < q->equals.n; i++) {
        const struct wmgw_cim_prop *p = &q->equals.items[i];
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(ctx->cls->cls, p->name);
        uint16_t base = d ? WMGW_CIM_BASETYPE(d->type) : 0;
        if (d == NULL || WMGW_CIM_IS_ARRAY(d->type) || base == WMGW_CIM_DATETIME || base == WMGW_CIM_REFERENCE ||
            base == WMGW_CIM_OBJECT || WMGW_CIM_BASETYPE(p->value.type) != WMGW_CIM_STRING ||
            strpbrk(p->value.u.str, "\"'") != NULL)
            return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, NULL);
    }
    return sim_cursor_open(&q->cur, q->store, q->ns, ctx->cls->cls->name) == 0
               ? 0
               : sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}

/* --- association filter ----------------------------------------------------- */

static char *child_text(xmlTextReaderPtr r)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    if (wmgw_xmlr_text(r, &b, WMGW_XMLR_TRIM) != 0) {
        wmgw_buf_dispose(&b);
        return NULL;
    }
    return wmgw_buf_steal(&b, NULL);
}

static int prepare_association(struct sim_ctx *ctx, struct sim_query *q)
{
    xmlTextReaderPtr r = ctx->reader;
    int depth = xmlTextReaderDepth(r), rc;
    struct assoc_spec spec = {0};
    struct wmgw_cim_ref *object = NULL;
    char *names[4] = {0}; /* AssociationClassName, ResultClassName, Role, ResultRole */
    bool found = false;
    struct wmgw_err err;
    bool empty = xmlTextReaderIsEmptyElement(r);
    while (!empty && (rc = wmgw_xmlr_next_child(r, depth)) == 1) {
        bool assoc_instances = wmgw_xmlr_is(r, WMGW_NS_WSMB, "AssociationInstances");
        if (!assoc_instances && !wmgw_xmlr_is(r, WMGW_NS_WSMB, "AssociatedInstances")) {
            wmgw_xmlr_skip(r);
            continue;
        }
        found = true;
        spec.references = assoc_instances;
        int d2 = xmlTextReaderDepth(r);
        bool empty2 = xmlTextReaderIsEmptyElement(r);
        while (!empty2 && (rc = wmgw_xmlr_next_child(r, d2)) == 1) {
            const char *local = (const char *)xmlTextReaderConstLocalName(r);
            static const char *const fields[4] = {"AssociationClassName", "ResultClassName", "Role", "ResultRole"};
            if (strcmp(local, "Object") == 0) {
                wmgw_cim_ref_free(object);
                object = NULL;
                if (wmgw_wsman_read_epr(r, ctx->host->dialect, &object, &err) != 0)
                    break;
                free(object->namespace_);
                object->namespace_ = strdup(q->ns);
                continue;
            }
            bool known = false;
            for (int i = 0; i < 4; i++) {
                if (strcmp(local, fields[i]) == 0) {
                    free(names[i]);
                    names[i] = child_text(r);
                    known = true;
                }
            }
            if (!known)
                wmgw_xmlr_skip(r); /* IncludeResultProperty: all properties are returned */
        }
    }
    rc = 0;
    if (!found || object == NULL) {
        rc = sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, NULL);
    } else {
        spec.object = object;
        /* In AssociationInstances, ResultClassName names the association class. */
        spec.assoc_class = names[0];
        spec.result_class = names[1];
        spec.role = names[2];
        spec.result_role = names[3];
        struct wmgw_cim_instance *exists = sim_store_find(q->store, q->ns, object);
        if (exists == NULL)
            rc = sim_fault(ctx, SIM_FAULT_NO_INSTANCE, NULL, NULL);
        else if (associate(q, &spec) != 0)
            rc = sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
        wmgw_cim_instance_unref(exists);
    }
    wmgw_cim_ref_free(object);
    for (int i = 0; i < 4; i++)
        free(names[i]);
    return rc;
}

int sim_filter_prepare(struct sim_ctx *ctx, struct sim_query *q, bool has_filter)
{
    memset(q, 0, sizeof(*q));
    q->store = ctx->host->store;
    if ((q->ns = strdup(ctx->ns)) == NULL)
        return sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    if (!has_filter) {
        if (ctx->cls == NULL) /* the all-classes URI needs a query */
            return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, NULL);
        return sim_cursor_open(&q->cur, q->store, q->ns, ctx->cls->cls->name) == 0
                   ? 0
                   : sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    }
    if (!ctx->host->dialect->can_filter)
        return sim_fault(ctx, SIM_FAULT_FILTERING_NOT_SUPPORTED, NULL, NULL);
    char *dialect = wmgw_xmlr_attr(ctx->reader, "Dialect", NULL);
    int rc;
    if (dialect == NULL || strcmp(dialect, WMGW_FILTER_WQL) == 0) {
        char *text = child_text(ctx->reader);
        rc = text ? prepare_wql(ctx, q, text) : sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FILTER, NULL, NULL);
        free(text);
    } else if (strcmp(dialect, WMGW_FILTER_SELECTOR) == 0) {
        rc = prepare_selector(ctx, q);
    } else if (strcmp(dialect, WMGW_FILTER_ASSOCIATION) == 0) {
        rc = prepare_association(ctx, q);
    } else {
        rc = sim_fault(ctx, SIM_FAULT_FILTER_DIALECT_UNAVAILABLE, NULL, NULL);
    }
    free(dialect);
    return rc;
}
