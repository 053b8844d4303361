/*
 * wmio_cases.h: the classes and instances the MS-WMIO tests encode, shared
 * by the unit test (tests/unit/wmi/wmio.c: encode -> decode round trips)
 * and wmio_dump (the blobs tests/python/test_wmio_impacket.py gives to
 * impacket's parser), so both check the very same objects.
 *
 *   Wmgw_Base      [abstract] key string Id; method void Ping()
 *   Wmgw_AllTypes : Wmgw_Base   every CIM type as a scalar and as an array,
 *                  extremes (INT64_MIN, 2^53+1, 2^64-1, FLT_MAX, NaN, inf),
 *                  Latin-1 and UTF-16 strings, datetime and interval,
 *                  references, embedded objects, NULLs, empty arrays,
 *                  defaults; qualifiers; three methods with in/out params
 *   Wmgw_Embedded  the class of the embedded objects
 *   Wmgw_Plain : Wmgw_Base   what impacket's own encoder can fill in
 *
 * Everything is built with cim.h calls and owned by the caller.
 */
#ifndef WMGW_TESTS_UNIT_WMI_WMIO_CASES_H
#define WMGW_TESTS_UNIT_WMI_WMIO_CASES_H

#include "cim/cim.h"
#include "cim/path.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void cv_null(struct wmgw_cim_value *v, uint16_t type)
{
    wmgw_cim_value_init_null(v, type);
}

static void cv_s(struct wmgw_cim_value *v, uint16_t type, int64_t s)
{
    wmgw_cim_value_init_null(v, type);
    v->null = false;
    v->u.s = s;
}

static void cv_u(struct wmgw_cim_value *v, uint16_t type, uint64_t u)
{
    wmgw_cim_value_init_null(v, type);
    v->null = false;
    v->u.u = u;
}

static void cv_r(struct wmgw_cim_value *v, uint16_t type, double r)
{
    wmgw_cim_value_init_null(v, type);
    v->null = false;
    v->u.r = r;
}

static void cv_b(struct wmgw_cim_value *v, bool b)
{
    wmgw_cim_value_init_null(v, WMGW_CIM_BOOLEAN);
    v->null = false;
    v->u.b = b;
}

static void cv_c16(struct wmgw_cim_value *v, uint16_t c)
{
    wmgw_cim_value_init_null(v, WMGW_CIM_CHAR16);
    v->null = false;
    v->u.c16 = c;
}

static void cv_str(struct wmgw_cim_value *v, uint16_t type, const char *s)
{
    wmgw_cim_value_init_null(v, type);
    v->null = false;
    v->u.str = strdup(s);
}

static void cv_ref(struct wmgw_cim_value *v, const char *ns, const char *cls, const char *key, const char *val)
{
    wmgw_cim_value_init_null(v, WMGW_CIM_REFERENCE);
    v->null = false;
    v->u.ref = wmgw_cim_ref_new(ns, cls);
    struct wmgw_cim_prop *k = wmgw_cim_proplist_add(&v->u.ref->keys, key, WMGW_CIM_STRING);
    k->value.null = false;
    k->value.u.str = strdup(val);
}

/* An array of `base` with n elements filled by the caller. */
static struct wmgw_cim_value *cv_arr(struct wmgw_cim_value *v, uint16_t base, size_t n)
{
    wmgw_cim_value_init_null(v, (uint16_t)(base | WMGW_CIM_ARRAY));
    v->null = false;
    v->u.arr.n = n;
    v->u.arr.v = calloc(n ? n : 1, sizeof(*v->u.arr.v));
    return v->u.arr.v;
}

static void cq_str(struct wmgw_cim_propdecl *d, const char *name, const char *s)
{
    struct wmgw_cim_value v;
    cv_str(&v, WMGW_CIM_STRING, s);
    wmgw_cim_proplist_put(&d->qualifiers, name, &v);
}

static int case_cmp_decl(const void *a, const void *b)
{
    return strcasecmp(((const struct wmgw_cim_propdecl *)a)->name, ((const struct wmgw_cim_propdecl *)b)->name);
}

static struct wmgw_cim_class *case_base_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Wmgw_Base", "root/wmgw");
    c->flags = WMGW_CIM_Q_ABSTRACT;
    struct wmgw_cim_propdecl *d = wmgw_cim_class_add_prop(c, "Id", WMGW_CIM_STRING);
    d->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    d->description = strdup("The key");
    wmgw_cim_class_add_method(c, "Ping");
    return c;
}

static struct wmgw_cim_class *case_embedded_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Wmgw_Embedded", "root/wmgw");
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING);
    wmgw_cim_class_add_prop(c, "Size", WMGW_CIM_UINT64);
    wmgw_cim_class_add_prop(c, "Tags", WMGW_CIM_STRING | WMGW_CIM_ARRAY);
    wmgw_cim_class_add_prop(c, "Inner", WMGW_CIM_OBJECT)->ref_class = strdup("Wmgw_Embedded");
    qsort(c->props, c->nprops, sizeof(*c->props), case_cmp_decl);
    return c;
}

/* Property names of the all-types class, by base type. */
static const struct {
    const char *name;
    uint16_t type;
} case_types[] = {
    {"S8", WMGW_CIM_SINT8},      {"U8", WMGW_CIM_UINT8},       {"S16", WMGW_CIM_SINT16},
    {"U16", WMGW_CIM_UINT16},    {"S32", WMGW_CIM_SINT32},     {"U32", WMGW_CIM_UINT32},
    {"S64", WMGW_CIM_SINT64},    {"U64", WMGW_CIM_UINT64},     {"R32", WMGW_CIM_REAL32},
    {"R64", WMGW_CIM_REAL64},    {"Bool", WMGW_CIM_BOOLEAN},   {"Char", WMGW_CIM_CHAR16},
    {"Str", WMGW_CIM_STRING},    {"When", WMGW_CIM_DATETIME},  {"Ref", WMGW_CIM_REFERENCE},
    {"Obj", WMGW_CIM_OBJECT},
};
#define CASE_NTYPES (sizeof(case_types) / sizeof(case_types[0]))

static struct wmgw_cim_class *case_alltypes_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Wmgw_AllTypes", "root/wmgw");
    c->superclass = strdup("Wmgw_Base");
    c->description = strdup("Every CIM type");
    c->flags = WMGW_CIM_Q_SUPPORTS_CREATE | WMGW_CIM_Q_SUPPORTS_UPDATE;
    struct wmgw_cim_propdecl *d = wmgw_cim_class_add_prop(c, "Id", WMGW_CIM_STRING); /* inherited */
    d->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    d->description = strdup("The key");
    char name[32];
    for (size_t i = 0; i < CASE_NTYPES; i++) {
        for (int arr = 0; arr < 2; arr++) {
            snprintf(name, sizeof(name), "%s%s", case_types[i].name, arr ? "A" : "");
            d = wmgw_cim_class_add_prop(c, name, (uint16_t)(case_types[i].type | (arr ? WMGW_CIM_ARRAY : 0)));
            if (case_types[i].type == WMGW_CIM_REFERENCE)
                d->ref_class = strdup("Win32_Service");
            if (case_types[i].type == WMGW_CIM_OBJECT)
                d->ref_class = strdup("Wmgw_Embedded");
        }
    }
    d = wmgw_cim_class_add_prop(c, "Wide", WMGW_CIM_STRING);
    d->flags = WMGW_CIM_Q_READ | WMGW_CIM_Q_WRITE | WMGW_CIM_Q_REQUIRED;
    cq_str(d, "MaxLen", "not a number"); /* a named qualifier of a type other than usual */
    d = wmgw_cim_class_add_prop(c, "Span", WMGW_CIM_DATETIME);
    cq_str(d, "SubType", "interval");
    d = wmgw_cim_class_add_prop(c, "State", WMGW_CIM_UINT32);
    d->description = strdup("Sta\xc3\xa9te \xe2\x98\x83"); /* UTF-16 in a qualifier */
    {
        struct wmgw_cim_value vm;
        struct wmgw_cim_value *e = cv_arr(&vm, WMGW_CIM_STRING, 2);
        cv_str(&e[0], WMGW_CIM_STRING, "0");
        cv_str(&e[1], WMGW_CIM_STRING, "1");
        wmgw_cim_proplist_put(&d->qualifiers, "ValueMap", &vm);
        cq_str(d, "Units", "widgets");
        struct wmgw_cim_value ml;
        cv_u(&ml, WMGW_CIM_UINT32, 10);
        wmgw_cim_proplist_put(&d->qualifiers, "MaxValue", &ml);
    }
    d = wmgw_cim_class_add_prop(c, "WithDefault", WMGW_CIM_STRING);
    wmgw_cim_value_dispose(&d->default_value);
    cv_str(&d->default_value, WMGW_CIM_STRING, "dflt");
    d = wmgw_cim_class_add_prop(c, "NumDefault", WMGW_CIM_UINT32);
    cv_u(&d->default_value, WMGW_CIM_UINT32, 42);
    d = wmgw_cim_class_add_prop(c, "ArrDefault", WMGW_CIM_SINT16 | WMGW_CIM_ARRAY);
    struct wmgw_cim_value *e = cv_arr(&d->default_value, WMGW_CIM_SINT16, 2);
    cv_s(&e[0], WMGW_CIM_SINT16, -1);
    cv_s(&e[1], WMGW_CIM_SINT16, 2);
    wmgw_cim_class_add_prop(c, "NullStr", WMGW_CIM_STRING);
    wmgw_cim_class_add_prop(c, "NullU32", WMGW_CIM_UINT32);
    wmgw_cim_class_add_prop(c, "NullArr", WMGW_CIM_UINT8 | WMGW_CIM_ARRAY);
    wmgw_cim_class_add_prop(c, "EmptyU32A", WMGW_CIM_UINT32 | WMGW_CIM_ARRAY);
    wmgw_cim_class_add_prop(c, "EmptyStrA", WMGW_CIM_STRING | WMGW_CIM_ARRAY);
    qsort(c->props, c->nprops, sizeof(*c->props), case_cmp_decl);

    /* Methods: uint32 Restart([in] string ServiceName, [in, out] sint32 Timeout,
     * [out] string Message); static sint64 Compute([in] real64 X[], [out]
     * datetime When, [in] ref:Win32_Service Target); void Ping() (inherited). */
    struct wmgw_cim_method *m = wmgw_cim_class_add_method(c, "Restart");
    m->return_type = WMGW_CIM_UINT32;
    wmgw_cim_method_add_param(m, "ServiceName", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_IN;
    wmgw_cim_method_add_param(m, "Timeout", WMGW_CIM_SINT32)->flags = WMGW_CIM_Q_IN | WMGW_CIM_Q_OUT;
    d = wmgw_cim_method_add_param(m, "Message", WMGW_CIM_STRING);
    d->flags = WMGW_CIM_Q_OUT;
    d->description = strdup("What happened");
    m = wmgw_cim_class_add_method(c, "Compute");
    m->flags = WMGW_CIM_Q_STATIC;
    m->return_type = WMGW_CIM_SINT64;
    wmgw_cim_method_add_param(m, "X", WMGW_CIM_REAL64 | WMGW_CIM_ARRAY)->flags = WMGW_CIM_Q_IN;
    wmgw_cim_method_add_param(m, "When", WMGW_CIM_DATETIME)->flags = WMGW_CIM_Q_OUT;
    d = wmgw_cim_method_add_param(m, "Target", WMGW_CIM_REFERENCE);
    d->flags = WMGW_CIM_Q_IN;
    d->ref_class = strdup("Win32_Service");
    wmgw_cim_class_add_method(c, "Ping");
    return c;
}

/* A class of the types impacket's own encoder (SpawnInstance, marshalMe)
 * can write: the other direction of the impacket test. */
static struct wmgw_cim_class *case_plain_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Wmgw_Plain", "root/wmgw");
    c->superclass = strdup("Wmgw_Base");
    struct wmgw_cim_propdecl *d = wmgw_cim_class_add_prop(c, "Id", WMGW_CIM_STRING);
    d->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    d->description = strdup("The key");
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING);
    wmgw_cim_class_add_prop(c, "Count", WMGW_CIM_UINT32);
    wmgw_cim_class_add_prop(c, "Big", WMGW_CIM_UINT64);
    wmgw_cim_class_add_prop(c, "Neg", WMGW_CIM_SINT64);
    wmgw_cim_class_add_prop(c, "Flag", WMGW_CIM_BOOLEAN);
    wmgw_cim_class_add_prop(c, "When", WMGW_CIM_DATETIME);
    wmgw_cim_class_add_prop(c, "Bytes", WMGW_CIM_UINT8 | WMGW_CIM_ARRAY);
    wmgw_cim_class_add_prop(c, "Ratio", WMGW_CIM_REAL64);
    wmgw_cim_class_add_prop(c, "Small", WMGW_CIM_SINT16);
    qsort(c->props, c->nprops, sizeof(*c->props), case_cmp_decl);
    return c;
}

/* Finds the case classes by name (a wmgw_wmio_lookup_fn; ctx unused). */
static const struct wmgw_cim_class *case_lookup(void *ctx, const char *name)
{
    static struct wmgw_cim_class *base, *all, *emb, *plain;
    (void)ctx;
    if (base == NULL) {
        base = case_base_class();
        all = case_alltypes_class();
        emb = case_embedded_class();
        plain = case_plain_class();
    }
    if (strcasecmp(name, "Wmgw_Plain") == 0)
        return plain;
    if (strcasecmp(name, "Wmgw_Base") == 0)
        return base;
    if (strcasecmp(name, "Wmgw_AllTypes") == 0)
        return all;
    if (strcasecmp(name, "Wmgw_Embedded") == 0)
        return emb;
    return NULL;
}

static struct wmgw_cim_instance *case_embedded(const char *name, uint64_t size, bool nested)
{
    struct wmgw_cim_instance *o = wmgw_cim_instance_new("Wmgw_Embedded", NULL);
    struct wmgw_cim_prop *inner = wmgw_cim_proplist_add(&o->props, "Inner", WMGW_CIM_OBJECT);
    if (nested) {
        inner->value.null = false;
        inner->value.u.obj = case_embedded("inner \xe2\x98\x83", 1, false);
    }
    cv_str(&wmgw_cim_proplist_add(&o->props, "Name", WMGW_CIM_STRING)->value, WMGW_CIM_STRING, name);
    cv_u(&wmgw_cim_proplist_add(&o->props, "Size", WMGW_CIM_UINT64)->value, WMGW_CIM_UINT64, size);
    struct wmgw_cim_value *t = cv_arr(&wmgw_cim_proplist_add(&o->props, "Tags", 0)->value, WMGW_CIM_STRING, 2);
    cv_str(&t[0], WMGW_CIM_STRING, "x");
    cv_str(&t[1], WMGW_CIM_STRING, "y\xc3\xbf");
    return o;
}

#define TWO53P1 ((uint64_t)9007199254740993ull) /* 2^53 + 1: not a double */

/* The value of the all-types instance for (base type, array?). */
static void case_value(uint16_t type, bool arr, struct wmgw_cim_value *v)
{
    struct wmgw_cim_value *e;
    switch (type) {
    case WMGW_CIM_SINT8:
        if (!arr) { cv_s(v, type, -128); break; }
        e = cv_arr(v, type, 3); cv_s(&e[0], type, -128); cv_s(&e[1], type, 0); cv_s(&e[2], type, 127);
        break;
    case WMGW_CIM_UINT8:
        if (!arr) { cv_u(v, type, 255); break; }
        e = cv_arr(v, type, 3); cv_u(&e[0], type, 0); cv_u(&e[1], type, 1); cv_u(&e[2], type, 255);
        break;
    case WMGW_CIM_SINT16:
        if (!arr) { cv_s(v, type, -32768); break; }
        e = cv_arr(v, type, 2); cv_s(&e[0], type, 32767); cv_s(&e[1], type, -32768);
        break;
    case WMGW_CIM_UINT16:
        if (!arr) { cv_u(v, type, 65535); break; }
        e = cv_arr(v, type, 2); cv_u(&e[0], type, 65535); cv_u(&e[1], type, 7);
        break;
    case WMGW_CIM_SINT32:
        if (!arr) { cv_s(v, type, INT32_MIN); break; }
        e = cv_arr(v, type, 2); cv_s(&e[0], type, INT32_MAX); cv_s(&e[1], type, INT32_MIN);
        break;
    case WMGW_CIM_UINT32:
        if (!arr) { cv_u(v, type, UINT32_MAX); break; }
        e = cv_arr(v, type, 3); cv_u(&e[0], type, 0); cv_u(&e[1], type, 123456789); cv_u(&e[2], type, UINT32_MAX);
        break;
    case WMGW_CIM_SINT64:
        if (!arr) { cv_s(v, type, INT64_MIN); break; }
        e = cv_arr(v, type, 4);
        cv_s(&e[0], type, INT64_MIN); cv_s(&e[1], type, -1); cv_s(&e[2], type, (int64_t)TWO53P1);
        cv_s(&e[3], type, INT64_MAX);
        break;
    case WMGW_CIM_UINT64:
        if (!arr) { cv_u(v, type, UINT64_MAX); break; }
        e = cv_arr(v, type, 3); cv_u(&e[0], type, 0); cv_u(&e[1], type, TWO53P1); cv_u(&e[2], type, UINT64_MAX);
        break;
    case WMGW_CIM_REAL32:
        if (!arr) { cv_r(v, type, 3.5); break; }
        e = cv_arr(v, type, 3); cv_r(&e[0], type, FLT_MAX); cv_r(&e[1], type, -1.0 / 1024); cv_r(&e[2], type, (float)0.1);
        break;
    case WMGW_CIM_REAL64:
        if (!arr) { cv_r(v, type, 1.0 / 3); break; }
        e = cv_arr(v, type, 4);
        cv_r(&e[0], type, -DBL_MAX); cv_r(&e[1], type, (double)TWO53P1); cv_r(&e[2], type, INFINITY);
        cv_r(&e[3], type, NAN);
        break;
    case WMGW_CIM_BOOLEAN:
        if (!arr) { cv_b(v, true); break; }
        e = cv_arr(v, type, 3); cv_b(&e[0], true); cv_b(&e[1], false); cv_b(&e[2], true);
        break;
    case WMGW_CIM_CHAR16:
        if (!arr) { cv_c16(v, 0xE9); break; }
        e = cv_arr(v, type, 3); cv_c16(&e[0], 'A'); cv_c16(&e[1], 0x2603); cv_c16(&e[2], 0xD800);
        break;
    case WMGW_CIM_STRING:
        if (!arr) { cv_str(v, type, "Latin-1 fits: caf\xc3\xa9 \xc3\xbf"); break; }
        e = cv_arr(v, type, 4);
        cv_str(&e[0], type, "a"); cv_str(&e[1], type, ""); cv_str(&e[2], type, "\xc3\xbc");
        cv_str(&e[3], type, "snow \xe2\x98\x83");
        break;
    case WMGW_CIM_DATETIME:
        if (!arr) { cv_str(v, type, "20240131235959.123456-300"); break; }
        e = cv_arr(v, type, 2);
        cv_str(&e[0], type, "20240101000000.000000+000"); cv_str(&e[1], type, "99991231235959.999999+840");
        break;
    case WMGW_CIM_REFERENCE:
        if (!arr) { cv_ref(v, "root/cimv2", "Win32_Service", "Name", "WinRM"); break; }
        e = cv_arr(v, type, 2);
        cv_ref(&e[0], NULL, "Win32_Service", "Name", "a \"quoted\" \\ name");
        cv_ref(&e[1], "root/cimv2", "Win32_Service", "Name", "caf\xc3\xa9");
        break;
    case WMGW_CIM_OBJECT:
        if (!arr) {
            wmgw_cim_value_init_null(v, type);
            v->null = false;
            v->u.obj = case_embedded("one", TWO53P1, true);
            break;
        }
        e = cv_arr(v, type, 2);
        for (int i = 0; i < 2; i++) {
            wmgw_cim_value_init_null(&e[i], type);
            e[i].null = false;
            e[i].u.obj = case_embedded(i ? "third" : "second", (uint64_t)i, false);
        }
        break;
    default:
        cv_null(v, type);
    }
}

/* The all-types instance: every property set, except WithDefault and
 * ArrDefault (left to the class default) and the NULLs. */
static struct wmgw_cim_instance *case_alltypes_instance(void)
{
    const struct wmgw_cim_class *c = case_lookup(NULL, "Wmgw_AllTypes");
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Wmgw_AllTypes", "root/wmgw");
    for (size_t i = 0; i < c->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &c->props[i];
        if (strcmp(d->name, "WithDefault") == 0 || strcmp(d->name, "ArrDefault") == 0)
            continue;
        struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&inst->props, d->name, d->type);
        wmgw_cim_value_dispose(&p->value);
        if (strcmp(d->name, "Id") == 0)
            cv_str(&p->value, WMGW_CIM_STRING, "all-1");
        else if (strcmp(d->name, "Wide") == 0)
            cv_str(&p->value, WMGW_CIM_STRING, "UTF-16: \xe2\x98\x83 \xf0\x9d\x84\x9e \xd0\xaf");
        else if (strcmp(d->name, "Span") == 0)
            cv_str(&p->value, WMGW_CIM_DATETIME, "00000001020304.000005:000");
        else if (strcmp(d->name, "State") == 0)
            cv_u(&p->value, WMGW_CIM_UINT32, 1);
        else if (strcmp(d->name, "NumDefault") == 0)
            cv_u(&p->value, WMGW_CIM_UINT32, 7);
        else if (strcmp(d->name, "EmptyU32A") == 0)
            cv_arr(&p->value, WMGW_CIM_UINT32, 0);
        else if (strcmp(d->name, "EmptyStrA") == 0)
            cv_arr(&p->value, WMGW_CIM_STRING, 0);
        else if (strncmp(d->name, "Null", 4) == 0)
            cv_null(&p->value, d->type);
        else
            case_value(WMGW_CIM_BASETYPE(d->type), WMGW_CIM_IS_ARRAY(d->type), &p->value);
    }
    return inst;
}

/* In-parameters of Wmgw_AllTypes.Restart and out-parameters of Compute. */
static void case_params(bool out, struct wmgw_cim_proplist *l)
{
    memset(l, 0, sizeof(*l));
    if (!out) {
        cv_str(&wmgw_cim_proplist_add(l, "ServiceName", WMGW_CIM_STRING)->value, WMGW_CIM_STRING, "WinRM");
        cv_s(&wmgw_cim_proplist_add(l, "Timeout", WMGW_CIM_SINT32)->value, WMGW_CIM_SINT32, -5);
    } else {
        /* In the order a decode gives them: by name. */
        cv_s(&wmgw_cim_proplist_add(l, "ReturnValue", WMGW_CIM_SINT64)->value, WMGW_CIM_SINT64, INT64_MIN);
        cv_str(&wmgw_cim_proplist_add(l, "When", WMGW_CIM_DATETIME)->value, WMGW_CIM_DATETIME,
               "20240131235959.000000+060");
    }
}

#endif
