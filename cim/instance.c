/*
 * instance.c: references (object paths) and refcounted instances (cim.h).
 */
#include "cim/cim.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct wmgw_cim_ref *wmgw_cim_ref_new(const char *namespace_, const char *class_name)
{
    struct wmgw_cim_ref *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->namespace_ = wmgw_cim_strdup(namespace_);
    r->class_name = wmgw_cim_strdup(class_name);
    if ((namespace_ != NULL && r->namespace_ == NULL) || (class_name != NULL && r->class_name == NULL)) {
        wmgw_cim_ref_free(r);
        return NULL;
    }
    return r;
}

void wmgw_cim_ref_free(struct wmgw_cim_ref *r)
{
    if (r == NULL)
        return;
    free(r->host);
    free(r->namespace_);
    free(r->class_name);
    wmgw_cim_proplist_dispose(&r->keys);
    free(r);
}

struct wmgw_cim_ref *wmgw_cim_ref_copy(const struct wmgw_cim_ref *r)
{
    struct wmgw_cim_ref *c = wmgw_cim_ref_new(r->namespace_, r->class_name);
    if (c == NULL)
        return NULL;
    if ((r->host != NULL && (c->host = strdup(r->host)) == NULL) || wmgw_cim_proplist_copy(&c->keys, &r->keys) != 0) {
        wmgw_cim_ref_free(c);
        return NULL;
    }
    return c;
}

bool wmgw_cim_ref_equal(const struct wmgw_cim_ref *a, const struct wmgw_cim_ref *b)
{
    if (a->class_name == NULL || b->class_name == NULL || strcasecmp(a->class_name, b->class_name) != 0)
        return false;
    if (a->keys.n != b->keys.n)
        return false;
    for (size_t i = 0; i < a->keys.n; i++) {
        const struct wmgw_cim_prop *k = wmgw_cim_proplist_find(&b->keys, a->keys.items[i].name);
        if (k == NULL)
            return false;
        const struct wmgw_cim_value *x = &a->keys.items[i].value, *y = &k->value;
        /* Key strings compare case-insensitively, as WMI compares them. */
        if (!x->null && !y->null && WMGW_CIM_BASETYPE(x->type) == WMGW_CIM_STRING &&
            WMGW_CIM_BASETYPE(y->type) == WMGW_CIM_STRING) {
            if (strcasecmp(x->u.str, y->u.str) != 0)
                return false;
        } else if (!wmgw_cim_value_equal(x, y)) {
            return false;
        }
    }
    return true;
}

struct wmgw_cim_instance *wmgw_cim_instance_new(const char *class_name, const char *namespace_)
{
    struct wmgw_cim_instance *inst = calloc(1, sizeof(*inst));
    if (inst == NULL)
        return NULL;
    inst->refcnt = 1;
    inst->class_name = wmgw_cim_strdup(class_name);
    inst->namespace_ = wmgw_cim_strdup(namespace_);
    if ((class_name != NULL && inst->class_name == NULL) || (namespace_ != NULL && inst->namespace_ == NULL)) {
        wmgw_cim_instance_unref(inst);
        return NULL;
    }
    return inst;
}

struct wmgw_cim_instance *wmgw_cim_instance_ref(struct wmgw_cim_instance *inst)
{
    inst->refcnt++;
    return inst;
}

void wmgw_cim_instance_unref(struct wmgw_cim_instance *inst)
{
    if (inst == NULL || --inst->refcnt > 0)
        return;
    free(inst->class_name);
    free(inst->namespace_);
    wmgw_cim_proplist_dispose(&inst->props);
    free(inst);
}

struct wmgw_cim_instance *wmgw_cim_instance_copy(const struct wmgw_cim_instance *inst)
{
    struct wmgw_cim_instance *c = wmgw_cim_instance_new(inst->class_name, inst->namespace_);
    if (c == NULL)
        return NULL;
    if (wmgw_cim_proplist_copy(&c->props, &inst->props) != 0) {
        wmgw_cim_instance_unref(c);
        return NULL;
    }
    return c;
}

const struct wmgw_cim_value *wmgw_cim_instance_get(const struct wmgw_cim_instance *inst, const char *name)
{
    const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(&inst->props, name);
    return p ? &p->value : NULL;
}

struct wmgw_cim_ref *wmgw_cim_instance_path(const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(inst->namespace_ ? inst->namespace_ : cls->namespace_, inst->class_name);
    if (r == NULL)
        return NULL;
    for (size_t i = 0; i < cls->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &cls->props[i];
        if (!(d->flags & WMGW_CIM_Q_KEY))
            continue;
        const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, d->name);
        struct wmgw_cim_prop *k = wmgw_cim_proplist_add(&r->keys, d->name, d->type);
        if (k == NULL || (v != NULL && wmgw_cim_value_copy(&k->value, v) != 0)) {
            wmgw_cim_ref_free(r);
            return NULL;
        }
    }
    return r;
}

static int resolve_value(struct wmgw_cim_value *v, const char *ns)
{
    if (v->null)
        return 0;
    size_t n = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.n : 1;
    struct wmgw_cim_value *items = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.v : v;
    for (size_t i = 0; i < n; i++) {
        struct wmgw_cim_value *e = &items[i];
        if (WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_REFERENCE && e->u.ref->namespace_ == NULL &&
            (e->u.ref->namespace_ = strdup(ns)) == NULL)
            return WMGW_ENOMEM;
        if (WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_OBJECT) {
            struct wmgw_cim_instance *o = e->u.obj;
            int rc = wmgw_cim_resolve_refs(&o->props, o->namespace_ ? o->namespace_ : ns);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int wmgw_cim_resolve_refs(struct wmgw_cim_proplist *l, const char *ns)
{
    for (size_t i = 0; i < l->n; i++) {
        int rc = resolve_value(&l->items[i].value, ns);
        if (rc != 0)
            return rc;
    }
    return 0;
}
