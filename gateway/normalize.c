/*
 * normalize.c: the last step before an instance becomes JSON: making its
 * shape depend only on the classes, never on which protocol or cache
 * delivered it.
 *
 * Every instance is typed by its own class, which the call fetched before
 * writing it (exec.c, stream.c: a derived class met in a listing is fetched
 * at the batch's end), so values the decoder could only read as text become
 * what the class says.  Reference keys and embedded objects are typed by
 * their classes the same way, so a uint32 key is a number whatever the
 * wire spelled, and every declared property is present.
 */
#include "gateway/normalize.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An untyped decoder reads one element as a scalar: an array of one. */
static int as_array(struct wmgw_cim_value *v)
{
    struct wmgw_cim_value *one = malloc(sizeof(*one));
    if (one == NULL)
        return WMGW_ENOMEM;
    *one = *v;
    v->u.arr.n = 1;
    v->u.arr.v = one;
    v->type |= WMGW_CIM_ARRAY;
    return 0;
}

/* Converts a text value (as an untyped decoder leaves it) to `type`. */
static int retype(struct wmgw_cim_value *v, uint16_t type)
{
    uint16_t base = WMGW_CIM_BASETYPE(type);
    if (!v->null && WMGW_CIM_IS_ARRAY(type) && !WMGW_CIM_IS_ARRAY(v->type) && as_array(v) != 0)
        return WMGW_ENOMEM;
    if (v->null) {
        v->type = type;
        return 0;
    }
    if (WMGW_CIM_BASETYPE(v->type) != WMGW_CIM_STRING || base == WMGW_CIM_STRING || base == WMGW_CIM_REFERENCE ||
        base == WMGW_CIM_OBJECT)
        return 0;
    size_t n = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.n : 1;
    struct wmgw_cim_value *items = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.v : v;
    for (size_t i = 0; i < n; i++) {
        struct wmgw_cim_value t;
        if (wmgw_cim_value_from_text(&t, base, items[i].u.str, strlen(items[i].u.str)) != 0)
            return WMGW_EPROTO; /* the host's text does not fit its own schema */
        free(items[i].u.str);
        items[i] = t;
        items[i].type = base;
    }
    v->type = type;
    return 0;
}

static int normalize_props(struct wmgw_exec *x, struct wmgw_cim_proplist *l, const struct wmgw_cim_class *cls,
                           int depth, bool complete);

static int normalize_value(struct wmgw_exec *x, struct wmgw_cim_value *v, const struct wmgw_cim_propdecl *d,
                           int depth)
{
    if (v->null || depth > 16)
        return 0;
    int rc = d != NULL ? retype(v, d->type) : 0;
    uint16_t base = WMGW_CIM_BASETYPE(v->type);
    size_t n = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.n : 1;
    struct wmgw_cim_value *items = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.v : v;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (base == WMGW_CIM_REFERENCE) {
            struct wmgw_cim_ref *ref = items[i].u.ref;
            const struct wmgw_cim_class *target = wmgw_exec_class(x, ref->class_name);
            if (target == NULL && d != NULL && d->ref_class != NULL)
                target = wmgw_exec_class(x, d->ref_class);
            for (size_t k = 0; target != NULL && rc == 0 && k < ref->keys.n; k++) {
                const struct wmgw_cim_propdecl *kd = wmgw_cim_class_prop(target, ref->keys.items[k].name);
                if (kd != NULL)
                    rc = retype(&ref->keys.items[k].value, kd->type);
            }
        } else if (base == WMGW_CIM_OBJECT) {
            struct wmgw_cim_instance *o = items[i].u.obj;
            const struct wmgw_cim_class *oc = wmgw_exec_class(x, o->class_name);
            if (oc == NULL && d != NULL && d->ref_class != NULL)
                oc = wmgw_exec_class(x, d->ref_class);
            rc = normalize_props(x, &o->props, oc, depth + 1, true);
        }
    }
    return rc;
}

static int normalize_props(struct wmgw_exec *x, struct wmgw_cim_proplist *l, const struct wmgw_cim_class *cls,
                           int depth, bool complete)
{
    /* Every property of the class is there, NULL when the wire left it out
     * (WinRM omits NULL arrays): one class, one set of members. */
    for (size_t i = 0; complete && cls != NULL && i < cls->nprops; i++)
        if (wmgw_cim_proplist_find(l, cls->props[i].name) == NULL &&
            wmgw_cim_proplist_add(l, cls->props[i].name, cls->props[i].type) == NULL)
            return WMGW_ENOMEM;
    size_t hint = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct wmgw_cim_propdecl *d = NULL;
        if (cls != NULL) {
            if (hint < cls->nprops && strcasecmp(cls->props[hint].name, l->items[i].name) == 0)
                d = &cls->props[hint];
            else
                d = wmgw_cim_class_prop(cls, l->items[i].name);
            if (d != NULL)
                hint = (size_t)(d - cls->props) + 1;
        }
        int rc = normalize_value(x, &l->items[i].value, d, depth);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int wmgw_normalize_instance(struct wmgw_exec *x, struct wmgw_cim_instance *inst, bool projection)
{
    return normalize_props(x, &inst->props, wmgw_exec_class(x, inst->class_name), 0, !projection);
}

int wmgw_normalize_ref(struct wmgw_exec *x, struct wmgw_cim_ref *ref)
{
    const struct wmgw_cim_class *cls = wmgw_exec_class(x, ref->class_name);
    if (cls == NULL)
        return 0;
    for (size_t i = 0; i < ref->keys.n; i++) {
        struct wmgw_cim_prop *k = &ref->keys.items[i];
        int rc = normalize_value(x, &k->value, wmgw_cim_class_prop(cls, k->name), 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int wmgw_normalize_proplist(struct wmgw_exec *x, struct wmgw_cim_proplist *l, const struct wmgw_cim_propdecl *decls,
                            size_t ndecls)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct wmgw_cim_propdecl *d = NULL;
        for (size_t k = 0; k < ndecls && d == NULL; k++)
            if (strcasecmp(decls[k].name, l->items[i].name) == 0)
                d = &decls[k];
        int rc = normalize_value(x, &l->items[i].value, d, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}
