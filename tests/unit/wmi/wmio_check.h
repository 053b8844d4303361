/*
 * wmio_check.h: CIM model objects as JSON, for comparing and printing in
 * the MS-WMIO tests (tests/unit/wmi/wmio.c, wmio_dump.c,
 * tests/fuzz/fuzz_wmio.c).
 *
 * Not the REST mapping (cim/json.h): this one shows exactly what the model
 * holds, so two objects are equal when their JSON is: every value with its
 * CIM type id and NULL flag; integers as decimal strings (64-bit exact),
 * reals as numbers (non-finite as "NaN"/"Infinity"/"-Infinity"), char16 as
 * its code unit, references as WMI object path text, embedded objects
 * nested; classes with every declaration, qualifier, default and method.
 */
#ifndef WMGW_TESTS_UNIT_WMI_WMIO_CHECK_H
#define WMGW_TESTS_UNIT_WMI_WMIO_CHECK_H

#include "cim/cim.h"
#include "cim/path.h"
#include "util/buf.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *chk_instance_json(const struct wmgw_cim_instance *inst);

static json_t *chk_scalar_json(const struct wmgw_cim_value *v)
{
    char num[32];
    switch (WMGW_CIM_BASETYPE(v->type)) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
        snprintf(num, sizeof(num), "%lld", (long long)v->u.s);
        return json_string(num);
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32: case WMGW_CIM_UINT64:
        snprintf(num, sizeof(num), "%llu", (unsigned long long)v->u.u);
        return json_string(num);
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64:
        if (isnan(v->u.r))
            return json_string("NaN");
        if (isinf(v->u.r))
            return json_string(v->u.r > 0 ? "Infinity" : "-Infinity");
        return json_real(v->u.r);
    case WMGW_CIM_BOOLEAN:
        return json_boolean(v->u.b);
    case WMGW_CIM_CHAR16:
        return json_integer(v->u.c16);
    case WMGW_CIM_STRING: case WMGW_CIM_DATETIME:
        return json_string(v->u.str ? v->u.str : "(null text)");
    case WMGW_CIM_REFERENCE: {
        struct wmgw_buf b;
        wmgw_buf_init(&b, 1 << 16);
        json_t *j = v->u.ref && wmgw_cim_path_format_wmi(&b, v->u.ref, true) == 0 ? json_string(b.data ? b.data : "")
                                                                                 : json_string("(bad reference)");
        wmgw_buf_dispose(&b);
        return j;
    }
    case WMGW_CIM_OBJECT:
        return v->u.obj ? chk_instance_json(v->u.obj) : json_string("(no object)");
    default:
        return json_string("(unknown type)");
    }
}

/* {"type": id, "null": bool, "value": ...}; arrays as lists. */
static json_t *chk_value_json(const struct wmgw_cim_value *v)
{
    json_t *j = json_object();
    json_object_set_new(j, "type", json_integer(v->type));
    json_object_set_new(j, "null", json_boolean(v->null));
    if (v->null)
        return j;
    if (!WMGW_CIM_IS_ARRAY(v->type)) {
        json_object_set_new(j, "value", chk_scalar_json(v));
        return j;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < v->u.arr.n; i++) {
        const struct wmgw_cim_value *e = &v->u.arr.v[i];
        if (e->null || WMGW_CIM_BASETYPE(e->type) != WMGW_CIM_BASETYPE(v->type))
            json_array_append_new(a, json_string("(bad element)"));
        else
            json_array_append_new(a, chk_scalar_json(e));
    }
    json_object_set_new(j, "value", a);
    return j;
}

static json_t *chk_proplist_json(const struct wmgw_cim_proplist *l)
{
    json_t *j = json_object();
    for (size_t i = 0; i < l->n; i++)
        json_object_set_new(j, l->items[i].name, chk_value_json(&l->items[i].value));
    return j;
}

static json_t *chk_instance_json(const struct wmgw_cim_instance *inst)
{
    json_t *j = json_object();
    json_object_set_new(j, "class", json_string(inst->class_name ? inst->class_name : ""));
    json_object_set_new(j, "namespace", inst->namespace_ ? json_string(inst->namespace_) : json_null());
    json_t *names = json_array();
    for (size_t i = 0; i < inst->props.n; i++)
        json_array_append_new(names, json_string(inst->props.items[i].name));
    json_object_set_new(j, "order", names);
    json_object_set_new(j, "properties", chk_proplist_json(&inst->props));
    return j;
}

static json_t *chk_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *chk_decl_json(const struct wmgw_cim_propdecl *d)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(d->name));
    json_object_set_new(j, "type", json_integer(d->type));
    json_object_set_new(j, "ref_class", chk_str_or_null(d->ref_class));
    json_object_set_new(j, "flags", json_integer(d->flags));
    json_object_set_new(j, "description", chk_str_or_null(d->description));
    json_object_set_new(j, "qualifiers", chk_proplist_json(&d->qualifiers));
    json_object_set_new(j, "default", chk_value_json(&d->default_value));
    return j;
}

static json_t *chk_class_json(const struct wmgw_cim_class *c)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", chk_str_or_null(c->name));
    json_object_set_new(j, "superclass", chk_str_or_null(c->superclass));
    json_object_set_new(j, "namespace", chk_str_or_null(c->namespace_));
    json_object_set_new(j, "flags", json_integer(c->flags));
    json_object_set_new(j, "description", chk_str_or_null(c->description));
    json_t *props = json_array();
    for (size_t i = 0; i < c->nprops; i++)
        json_array_append_new(props, chk_decl_json(&c->props[i]));
    json_object_set_new(j, "properties", props);
    json_t *methods = json_array();
    for (size_t i = 0; i < c->nmethods; i++) {
        const struct wmgw_cim_method *m = &c->methods[i];
        json_t *mj = json_object(), *ps = json_array();
        json_object_set_new(mj, "name", json_string(m->name));
        json_object_set_new(mj, "return_type", json_integer(m->return_type));
        json_object_set_new(mj, "flags", json_integer(m->flags));
        for (size_t k = 0; k < m->nparams; k++)
            json_array_append_new(ps, chk_decl_json(&m->params[k]));
        json_object_set_new(mj, "params", ps);
        json_array_append_new(methods, mj);
    }
    json_object_set_new(j, "methods", methods);
    return j;
}

/* Compares two JSON texts of model objects; prints both when they differ. */
static bool chk_same_json(json_t *a, json_t *b, const char *what)
{
    char *x = json_dumps(a, JSON_PRESERVE_ORDER | JSON_SORT_KEYS | JSON_COMPACT);
    char *y = json_dumps(b, JSON_PRESERVE_ORDER | JSON_SORT_KEYS | JSON_COMPACT);
    bool same = x && y && strcmp(x, y) == 0;
    if (!same)
        fprintf(stderr, "%s differ:\n  %s\n  %s\n", what, x ? x : "?", y ? y : "?");
    free(x);
    free(y);
    json_decref(a);
    json_decref(b);
    return same;
}

static inline bool chk_same_instance(const struct wmgw_cim_instance *a, const struct wmgw_cim_instance *b)
{
    return chk_same_json(chk_instance_json(a), chk_instance_json(b), "instances");
}

static inline bool chk_same_class(const struct wmgw_cim_class *a, const struct wmgw_cim_class *b)
{
    return chk_same_json(chk_class_json(a), chk_class_json(b), "classes");
}

#endif
