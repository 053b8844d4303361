/*
 * wmio.c: tests of the MS-WMIO codec (translators/wmi/wmio.h).
 *
 * Decoding is checked against every example blob of the spec (with
 * notes.json's decode of the 3.1 instance) and every impacket capture (with
 * its *.expected.json), field by field; encoding by encode -> decode round
 * trips of wmio_cases.h (every CIM type, scalar and array, extremes, NULLs,
 * empty arrays, defaults, embedded objects, references, datetimes and
 * intervals, Latin-1 and UTF-16 strings, methods and parameters), by
 * re-encoding the Windows capture byte for byte from its own class part,
 * and by decode -> encode -> decode of every fixture.  Malformed input:
 * every truncation of every blob, targeted corruptions, nesting and size
 * limits; each must be WMGW_EPROTO with a message, and leave nothing behind.
 */
#include "translators/wmi/wmio_int.h" /* le32/put32 for crafting blobs */
#include "cim/path.h"
#include "tests/unit/test.h"
#include "util/buf.h"
#include "util/err.h"

#include "wmio_cases.h"
#include "wmio_check.h"

#include <stdio.h>

static uint8_t *load(const char *name, size_t *len)
{
    const char *src = getenv("WMGW_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/fixtures/wmio/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    uint8_t *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static json_t *load_json(const char *name)
{
    size_t len;
    uint8_t *b = load(name, &len);
    json_t *j = b ? json_loadb((const char *)b, len, 0, NULL) : NULL;
    free(b);
    return j;
}

static const struct wmgw_cim_value *prop(const struct wmgw_cim_instance *i, const char *name)
{
    return wmgw_cim_instance_get(i, name);
}

static const struct wmgw_cim_propdecl *decl(const struct wmgw_cim_class *c, const char *name)
{
    return wmgw_cim_class_prop(c, name);
}

static const char *qual_str(const struct wmgw_cim_propdecl *d, const char *name)
{
    const struct wmgw_cim_prop *q = d ? wmgw_cim_proplist_find(&d->qualifiers, name) : NULL;
    return q && !q->value.null && q->value.type == WMGW_CIM_STRING ? q->value.u.str : NULL;
}

/* --- the spec's examples ------------------------------------------------------ */

static void test_spec_base_class(void)
{
    size_t len;
    uint8_t *b = load("3-class-base.bin", &len);
    struct wmgw_wmio_object o;
    struct wmgw_err err;
    CHECK(b != NULL);
    /* ObjectEncodingLength 0xD0 claims 16 bytes more than there are (spec note). */
    CHECK_INT(wmgw_wmio_decode_unit(b, len, NULL, &o, &err), 0);
    CHECK_INT(o.flags, 5);
    CHECK_STR(o.server, "DPRAVAT-DEV");
    CHECK_STR(o.namespace_, "ROOT");
    CHECK(o.inst == NULL && o.cls != NULL && o.nderiv == 0);
    if (o.cls) {
        CHECK_STR(o.cls->name, "Base");
        CHECK(o.cls->superclass == NULL);
        CHECK_INT(o.cls->nprops, 1);
        const struct wmgw_cim_propdecl *id = decl(o.cls, "Id");
        CHECK(id && id->type == WMGW_CIM_SINT32 && id->flags == WMGW_CIM_Q_KEY && id->default_value.null);
        CHECK(id && id->qualifiers.n == 0); /* CIMTYPE is the type; key a flag */
    }
    wmgw_wmio_object_dispose(&o);
    free(b);
}

static void test_spec_myclass(void)
{
    size_t len;
    uint8_t *b = load("3-class-MyClass.bin", &len);
    struct wmgw_wmio_object o;
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_decode_unit(b, len, NULL, &o, &err), 0);
    const struct wmgw_cim_class *c = o.cls;
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(c->name, "MyClass");
        CHECK_STR(c->superclass, "Base");
        CHECK_STR(c->description, "MyClass Example");
        CHECK_INT(o.nderiv, 1);
        CHECK_STR(o.nderiv ? o.deriv[0] : NULL, "Base");
        /* Sorted case-insensitively: Array, Data1, Data2, Id. */
        CHECK_INT(c->nprops, 4);
        const char *order[] = {"Array", "Data1", "Data2", "Id"};
        for (size_t i = 0; i < 4 && i < c->nprops; i++)
            CHECK_STR(c->props[i].name, order[i]);
        CHECK(decl(c, "Array")->type == (WMGW_CIM_UINT32 | WMGW_CIM_ARRAY));
        CHECK(decl(c, "Data1")->type == WMGW_CIM_STRING);
        CHECK_INT(decl(c, "Data1")->flags, WMGW_CIM_Q_READ | WMGW_CIM_Q_WRITE);
        CHECK(!decl(c, "Data2")->default_value.null);
        CHECK_STR(decl(c, "Data2")->default_value.u.str, "defaultValue");
        CHECK(decl(c, "Id")->type == WMGW_CIM_SINT32 && decl(c, "Id")->flags == WMGW_CIM_Q_KEY);
        CHECK(decl(c, "Data1")->default_value.null && decl(c, "Array")->default_value.null);
    }
    wmgw_wmio_object_dispose(&o);
    free(b);
}

/* notes.json: our independent decode of the 3.1 instance, field by field. */
static void test_spec_instance_notes(void)
{
    json_t *notes = load_json("notes.json");
    CHECK(notes != NULL);
    size_t i;
    json_t *n, *want = NULL;
    json_array_foreach(notes, i, n)
        if (json_object_get(n, "decoded_by_us"))
            want = json_object_get(n, "decoded_by_us");
    CHECK(want != NULL);
    size_t len;
    uint8_t *b = load("3.1-instance-MyClass.bin", &len);
    struct wmgw_wmio_object o;
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_decode_unit(b, len, NULL, &o, &err), 0);
    CHECK_INT(len - 8, json_integer_value(json_object_get(want, "encoding_length")));
    CHECK_INT(o.flags, json_integer_value(json_object_get(want, "object_flags")));
    json_t *deco = json_object_get(want, "decoration");
    CHECK_STR(o.server, json_string_value(json_object_get(deco, "server")));
    CHECK_STR(o.namespace_, json_string_value(json_object_get(deco, "namespace")));
    CHECK(o.inst != NULL);
    if (o.inst) {
        CHECK_STR(o.inst->class_name, json_string_value(json_object_get(want, "class_name")));
        CHECK_STR(o.nderiv ? o.deriv[0] : NULL, json_string_value(json_array_get(json_object_get(want, "derivation"), 0)));
        json_t *props = json_object_get(want, "instance_properties");
        CHECK_INT(o.inst->props.n, json_object_size(props));
        const char *name;
        json_t *p;
        json_object_foreach(props, name, p) {
            const struct wmgw_cim_value *v = prop(o.inst, name);
            uint16_t t;
            char *rc_unused = NULL;
            CHECK(wmgw_cim_type_parse(json_string_value(json_object_get(p, "type")), &t, &rc_unused) == 0);
            free(rc_unused);
            CHECK(v != NULL && v->type == t);
            if (v == NULL)
                continue;
            if (json_is_true(json_object_get(p, "default"))) { /* ndbits 2: the class default */
                CHECK(!v->null && strcmp(v->u.str, "defaultValue") == 0);
                continue;
            }
            json_t *val = json_object_get(p, "value");
            if (json_is_string(val))
                CHECK_STR(v->u.str, json_string_value(val));
            else if (json_is_integer(val))
                CHECK_INT(v->u.s, json_integer_value(val));
            else if (json_is_array(val)) {
                CHECK_INT(v->u.arr.n, json_array_size(val));
                for (size_t k = 0; k < v->u.arr.n; k++)
                    CHECK_INT(v->u.arr.v[k].u.u, json_integer_value(json_array_get(val, k)));
            }
        }
    }
    wmgw_wmio_object_dispose(&o);
    json_decref(notes);
    free(b);
}

/* 3.2: MyClass2 with Restart.  The example's bytes type Status as object
 * (CIMTYPE "object"), not sint32 as its MOF says: we follow the bytes. */
static void test_spec_method_class(void)
{
    size_t len;
    uint8_t *b = load("3.2-class-MyClass2-with-method.bin", &len);
    struct wmgw_wmio_object o;
    struct wmgw_err err;
    struct wmgw_wmio_class_cache cache;
    wmgw_wmio_class_cache_init(&cache, 4);
    struct wmgw_wmio_decode_opts opts = {.cache = &cache};
    CHECK_INT(wmgw_wmio_decode_unit(b, len, &opts, &o, &err), 0);
    const struct wmgw_cim_class *c = o.cls;
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(c->name, "MyClass2");
        CHECK_STR(c->superclass, "MyClass");
        CHECK_INT(o.nderiv, 2);
        CHECK_INT(c->nprops, 4);
        CHECK_INT(c->nmethods, 1);
        const struct wmgw_cim_method *m = wmgw_cim_class_method(c, "Restart");
        CHECK(m != NULL);
        if (m) {
            CHECK_INT(m->return_type, WMGW_CIM_UINT32);
            CHECK_INT(m->nparams, 2);
            CHECK_STR(m->params[0].name, "ServiceName");
            CHECK_INT(m->params[0].type, WMGW_CIM_STRING);
            CHECK_INT(m->params[0].flags, WMGW_CIM_Q_IN);
            CHECK_STR(m->params[1].name, "Status");
            CHECK_INT(m->params[1].flags, WMGW_CIM_Q_OUT);
            CHECK_INT(m->params[1].type, WMGW_CIM_OBJECT);
        }
    }
    /* The cache keeps the class part and the method's signature parts. */
    const struct wmgw_wmio_class_entry *e = wmgw_wmio_class_cache_find(&cache, "myclass2");
    CHECK(e != NULL && e->full && e->nsigs == 1);
    if (e && e->nsigs == 1)
        CHECK(e->sigs[0].in_part != NULL && e->sigs[0].out_part != NULL);
    wmgw_wmio_object_dispose(&o);
    wmgw_wmio_class_cache_dispose(&cache);
    free(b);
}

/* --- the impacket captures -------------------------------------------------- */

static const char *const captures[] = {
    "activescripteventconsumer-spawninstance",
    "eventfilter-spawninstance",
    "intervaltimerinstruction-spawninstance",
    "win32-utctime-instance-sevenx64",
};

static void check_expected_value(const char *cap, const char *name, const json_t *p, const struct wmgw_cim_value *v)
{
    uint16_t t;
    char *unused = NULL;
    CHECK(wmgw_cim_type_parse(json_string_value(json_object_get(p, "type")), &t, &unused) == 0);
    free(unused);
    if (v == NULL || v->type != t) {
        fprintf(stderr, "%s.%s: missing or of type %d\n", cap, name, v ? v->type : -1);
        CHECK(0);
        return;
    }
    json_int_t nd = json_integer_value(json_object_get(p, "ndbits"));
    json_t *val = json_object_get(p, "value");
    if ((nd & 1) || json_is_true(json_object_get(p, "null")) || json_is_null(val)) {
        /* NULL by the NdTable, or (CreatorSID) impacket's heap offset 0 "no value". */
        CHECK(v->null);
        return;
    }
    CHECK(!v->null);
    if (json_is_string(val))
        CHECK_STR(v->u.str, json_string_value(val));
    else if (json_is_boolean(val))
        CHECK(v->u.b == json_is_true(val));
    else if (json_is_integer(val))
        CHECK_INT(v->u.u, json_integer_value(val));
    else
        CHECK(0);
}

static void test_impacket_captures(void)
{
    for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
        char name[256];
        snprintf(name, sizeof(name), "%s.expected.json", captures[i]);
        json_t *exp = load_json(name);
        snprintf(name, sizeof(name), "%s.objref.bin", captures[i]);
        size_t len;
        uint8_t *b = load(name, &len);
        CHECK(exp != NULL && b != NULL);
        if (exp == NULL || b == NULL)
            continue;
        json_t *want = json_object_get(exp, "decoded_by_us");
        struct wmgw_wmio_object o;
        struct wmgw_err err;
        struct wmgw_wmio_decode_opts opts = {.want_class = true};
        int rc = wmgw_wmio_decode_objref(b, len, &opts, &o, &err);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", captures[i], err.message);
        CHECK_INT(rc, 0);
        CHECK_INT(json_integer_value(json_object_get(exp, "encoding_unit_offset")), 48);
        CHECK_INT(wmgw__wmio_le32(b + 52), json_integer_value(json_object_get(want, "encoding_length")));
        CHECK_INT(o.flags, json_integer_value(json_object_get(want, "object_flags")));
        json_t *deco = json_object_get(want, "decoration");
        CHECK_STR(o.server, json_string_value(json_object_get(deco, "server")));
        char *ns = wmgw_cim_namespace_normalize(json_string_value(json_object_get(deco, "namespace")));
        CHECK_STR(o.namespace_, ns);
        free(ns);
        json_t *dl = json_object_get(want, "derivation");
        CHECK_INT(o.nderiv, json_array_size(dl));
        for (size_t k = 0; k < o.nderiv && k < json_array_size(dl); k++)
            CHECK_STR(o.deriv[k], json_string_value(json_array_get(dl, k)));
        if (o.inst) {
            CHECK_STR(o.inst->class_name, json_string_value(json_object_get(want, "class_name")));
            CHECK_STR(o.inst->namespace_, o.namespace_);
            json_t *props = json_object_get(want, "instance_properties");
            CHECK_INT(o.inst->props.n, json_object_size(props));
            const char *pn;
            json_t *p;
            json_object_foreach(props, pn, p)
                check_expected_value(captures[i], pn, p, prop(o.inst, pn));
            /* The instance lists its class's properties in the class's order. */
            for (size_t k = 0; o.cls && k < o.inst->props.n && k < o.cls->nprops; k++)
                CHECK_STR(o.inst->props.items[k].name, o.cls->props[k].name);
        }
        CHECK(o.inst != NULL && o.cls != NULL);
        if (o.cls && i == 0) { /* qualifiers of the real ActiveScriptEventConsumer class */
            CHECK_INT(decl(o.cls, "Name")->flags, WMGW_CIM_Q_KEY);
            CHECK_STR(qual_str(decl(o.cls, "MaximumQueueSize"), "units"), "bytes");
            CHECK_INT(decl(o.cls, "ScriptText")->flags, WMGW_CIM_Q_WRITE);
            CHECK_INT(decl(o.cls, "CreatorSID")->flags, WMGW_CIM_Q_READ);
            const struct wmgw_cim_value *sid = &decl(o.cls, "CreatorSID")->default_value; /* S-1-5-18 */
            CHECK(!sid->null && sid->u.arr.n == 12 && sid->u.arr.v[7].u.u == 5 && sid->u.arr.v[8].u.u == 18);
            CHECK(wmgw_cim_proplist_find(&decl(o.cls, "ScriptingEngine")->qualifiers, "not_null") != NULL);
        }
        if (o.cls && i == 3) {
            CHECK_INT(o.cls->flags, WMGW_CIM_Q_SINGLETON);
            CHECK_STR(o.cls->superclass, "Win32_CurrentTime");
        }
        wmgw_wmio_object_dispose(&o);
        json_decref(exp);
        free(b);
    }
}

/* Our OBJREF_CUSTOM around the captured EncodingUnit is the captured OBJREF. */
static void test_objref(void)
{
    size_t len;
    uint8_t *b = load("win32-utctime-instance-sevenx64.objref.bin", &len);
    const uint8_t *unit;
    size_t ulen;
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_objref_unwrap(b, len, &unit, &ulen, &err), 0);
    CHECK(unit == b + 48 && ulen == len - 48);
    struct wmgw_buf out;
    wmgw_buf_init(&out, 1 << 20);
    CHECK_INT(wmgw_wmio_objref_wrap(&out, unit, ulen), 0);
    CHECK(out.len == len && memcmp(out.data, b, len) == 0);
    b[10] ^= 1; /* not IWbemClassObject */
    CHECK_INT(wmgw_wmio_objref_unwrap(b, len, &unit, &ulen, &err), WMGW_EPROTO);
    CHECK(err.position == 8);
    b[10] ^= 1;
    b[4] = 1; /* OBJREF_STANDARD */
    struct wmgw_wmio_object o;
    CHECK_INT(wmgw_wmio_decode_objref(b, len, NULL, &o, &err), WMGW_EPROTO);
    CHECK(o.inst == NULL && o.cls == NULL);
    CHECK_INT(wmgw_wmio_objref_unwrap(b, 40, &unit, &ulen, &err), WMGW_EPROTO);
    wmgw_buf_dispose(&out);
    free(b);
}

/* The Windows instance, re-encoded from its decode with its own class part
 * (as PutInstance would send it), is byte for byte what Windows sent. */
static void test_reencode_windows_instance(void)
{
    size_t len;
    uint8_t *b = load("win32-utctime-instance-sevenx64.objref.bin", &len);
    struct wmgw_wmio_class_cache cache;
    wmgw_wmio_class_cache_init(&cache, 0);
    struct wmgw_wmio_decode_opts dopts = {.cache = &cache};
    struct wmgw_wmio_object o;
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_decode_objref(b, len, &dopts, &o, &err), 0);
    CHECK_INT(cache.n, 1);
    const struct wmgw_wmio_class_entry *e = cache.n ? cache.items[0] : NULL;
    CHECK(e && !e->full && strcmp(e->name, "Win32_UTCTime") == 0);
    struct wmgw_wmio_encode_opts eopts = {.server = o.server, .namespace_ = o.namespace_, .class_part = e};
    struct wmgw_buf out;
    wmgw_buf_init(&out, 1 << 20);
    CHECK_INT(wmgw_wmio_encode_instance(&out, o.inst, NULL, &eopts, &err), 0);
    /* Windows counts 3 bytes of slack after the instance in ObjectEncodingLength; we do not. */
    CHECK(out.len == len - 48 - 3 && wmgw__wmio_le32((const uint8_t *)out.data + 4) == wmgw__wmio_le32(b + 52) - 3);
    CHECK(memcmp(out.data, b + 48, 4) == 0 && memcmp(out.data + 8, b + 56, out.len - 8) == 0);
    /* Changing a value changes only its slot. */
    struct wmgw_cim_value *sec = (struct wmgw_cim_value *)prop(o.inst, "Second");
    sec->u.u = 59;
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_wmio_encode_instance(&out, o.inst, NULL, &eopts, &err), 0);
    size_t diff = 0;
    for (size_t i = 8; i < out.len && out.len == len - 48 - 3; i++)
        diff += out.data[i] != (char)b[48 + i];
    CHECK_INT(diff, 1);
    wmgw_buf_dispose(&out);
    wmgw_wmio_object_dispose(&o);
    wmgw_wmio_class_cache_dispose(&cache);
    free(b);
}

/* The cache: instances of one class decode their part once; NoClass
 * instances (WMI 2.2.14.4) decode with a cached part; LRU eviction. */
static void test_cache_and_noclass(void)
{
    size_t len;
    uint8_t *b = load("win32-utctime-instance-sevenx64.objref.bin", &len);
    struct wmgw_wmio_class_cache cache;
    wmgw_wmio_class_cache_init(&cache, 2);
    struct wmgw_wmio_decode_opts opts = {.cache = &cache, .want_class = true};
    struct wmgw_wmio_object o1, o2, o3;
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_decode_objref(b, len, &opts, &o1, &err), 0);
    const struct wmgw_wmio_class_entry *e = cache.items[0];
    CHECK_INT(wmgw_wmio_decode_objref(b, len, &opts, &o2, &err), 0);
    CHECK(cache.n == 1 && cache.items[0] == e); /* a hit: the same entry */
    CHECK(chk_same_instance(o1.inst, o2.inst));
    CHECK(o2.cls != NULL && o2.cls != e->cls && chk_same_class(o1.cls, o2.cls));
    CHECK(wmgw_wmio_class_cache_find(&cache, "Win32_UTCTime") == NULL); /* instance parts are not full */
    /* EncodingUnitInstanceNoClass: ObjectFlags, Decoration, the instance part. */
    const uint8_t *blk = b + 56;
    size_t deco = 1 + (1 + 8 + 1) + (1 + 10 + 1); /* flags, "SEVENX64", "root\cimv2" */
    size_t part = wmgw__wmio_le32(blk + deco);
    uint8_t *nc = malloc(len);
    memcpy(nc, blk, deco);
    memcpy(nc + deco, blk + deco + part, len - 56 - deco - part);
    size_t nclen = len - 56 - part;
    CHECK_INT(wmgw_wmio_decode_noclass(nc, nclen, e, &opts, &o3, &err), 0);
    CHECK(o3.inst && chk_same_instance(o1.inst, o3.inst));
    wmgw_wmio_object_dispose(&o3);
    CHECK_INT(wmgw_wmio_decode_noclass(nc, nclen, NULL, &opts, &o3, &err), WMGW_EINVAL);
    nc[0] = 5; /* a class: not an instance without its class part */
    CHECK_INT(wmgw_wmio_decode_noclass(nc, nclen, e, &opts, &o3, &err), WMGW_EPROTO);
    /* Class objects add full entries; the least recently used goes. */
    size_t l2, l3;
    uint8_t *c2 = load("3-class-MyClass.bin", &l2), *c3 = load("3-class-base.bin", &l3);
    struct wmgw_wmio_object x;
    CHECK_INT(wmgw_wmio_decode_unit(c2, l2, &opts, &x, &err), 0);
    wmgw_wmio_object_dispose(&x);
    CHECK_INT(cache.n, 2);
    CHECK(wmgw_wmio_class_cache_find(&cache, "MYCLASS") != NULL);
    CHECK(wmgw_wmio_class_cache_lookup(&cache, "MyClass") != NULL);
    CHECK_INT(wmgw_wmio_decode_unit(c3, l3, &opts, &x, &err), 0);
    wmgw_wmio_object_dispose(&x);
    CHECK_INT(cache.n, 2);
    CHECK(wmgw_wmio_class_cache_find(&cache, "Base") != NULL && wmgw_wmio_class_cache_find(&cache, "MyClass") != NULL);
    wmgw_wmio_object_dispose(&o1);
    wmgw_wmio_object_dispose(&o2);
    wmgw_wmio_class_cache_dispose(&cache);
    free(nc);
    free(c2);
    free(c3);
    free(b);
}

/* --- encode -> decode ---------------------------------------------------------- */

static bool has_bytes(const struct wmgw_buf *b, const void *needle, size_t n)
{
    return memmem(b->data, b->len, needle, n) != NULL;
}

static void test_roundtrip_instance(void)
{
    const struct wmgw_cim_class *all = case_lookup(NULL, "Wmgw_AllTypes");
    for (int variant = 0; variant < 2; variant++) {
        struct wmgw_cim_instance *inst = case_alltypes_instance();
        struct wmgw_wmio_encode_opts eo = {.server = "S", .namespace_ = "root/wmgw",
                                           .lookup = variant ? NULL : case_lookup};
        struct wmgw_buf out;
        wmgw_buf_init(&out, WMGW_WMIO_MAX_OUTPUT);
        struct wmgw_err err;
        int rc = wmgw_wmio_encode_instance(&out, inst, all, &eo, &err);
        if (rc != 0)
            fprintf(stderr, "%s\n", err.message);
        CHECK_INT(rc, 0);
        /* Latin-1 with flag 0 when every character fits, else UTF-16 with flag 1. */
        static const char latin[] = "\0Latin-1 fits: caf\xe9 \xff";
        CHECK(has_bytes(&out, latin, sizeof(latin)));
        static const char wide[] = "\1U\0T\0F\0-\0" "1\0" "6\0:\0 \0\x03\x26 \0\x34\xd8\x1e\xdd \0\x2f\x04\0";
        CHECK(has_bytes(&out, wide, sizeof(wide)));
        static const char snow[] = "\1s\0n\0o\0w\0 \0\x03\x26\0";
        CHECK(has_bytes(&out, snow, sizeof(snow)));
        struct wmgw_wmio_object o;
        struct wmgw_wmio_decode_opts dopts = {.want_class = true};
        rc = wmgw_wmio_decode_unit((const uint8_t *)out.data, out.len, &dopts, &o, &err);
        if (rc != 0)
            fprintf(stderr, "%s\n", err.message);
        CHECK_INT(rc, 0);
        if (rc == 0) {
            CHECK_STR(o.server, "S");
            CHECK_INT(o.inst->props.n, all->nprops);
            /* What was left out has the class default. */
            const struct wmgw_cim_value *wd = prop(o.inst, "WithDefault"), *ad = prop(o.inst, "ArrDefault");
            CHECK(wd && !wd->null && strcmp(wd->u.str, "dflt") == 0);
            CHECK(ad && !ad->null && ad->u.arr.n == 2 && ad->u.arr.v[0].u.s == -1);
            wmgw_cim_proplist_remove(&o.inst->props, "WithDefault");
            wmgw_cim_proplist_remove(&o.inst->props, "ArrDefault");
            CHECK(chk_same_instance(inst, o.inst));
            CHECK(prop(o.inst, "U64")->u.u == UINT64_MAX && prop(o.inst, "S64")->u.s == INT64_MIN);
            CHECK(prop(o.inst, "U64A")->u.arr.v[1].u.u == TWO53P1);
            CHECK(prop(o.inst, "EmptyStrA")->u.arr.n == 0 && !prop(o.inst, "EmptyStrA")->null);
            CHECK(prop(o.inst, "NullArr")->null && prop(o.inst, "NullStr")->null);
            CHECK(isnan(prop(o.inst, "R64A")->u.arr.v[3].u.r));
            CHECK_STR(qual_str(decl(o.cls, "Span"), "SubType"), "interval");
            CHECK_STR(prop(o.inst, "Span")->u.str, "00000001020304.000005:000");
            CHECK_STR(decl(o.cls, "Ref")->ref_class, "Win32_Service");
            CHECK_STR(decl(o.cls, "ObjA")->ref_class, "Wmgw_Embedded");
            /* With the superclass known, Id is inherited; the model does not say, but the class does. */
            CHECK_STR(o.cls->superclass, "Wmgw_Base");
            const struct wmgw_cim_instance *inner = prop(o.inst, "Obj")->u.obj->props.items[0].value.u.obj;
            CHECK(inner != NULL && strcmp(prop(inner, "Name")->u.str, "inner \xe2\x98\x83") == 0);
        }
        wmgw_wmio_object_dispose(&o);
        wmgw_buf_dispose(&out);
        wmgw_cim_instance_unref(inst);
    }
}

static void test_roundtrip_class(void)
{
    struct wmgw_wmio_class_cache cache;
    wmgw_wmio_class_cache_init(&cache, 0);
    const char *names[] = {"Wmgw_Base", "Wmgw_AllTypes", "Wmgw_Embedded"};
    for (size_t i = 0; i < 3; i++) {
        const struct wmgw_cim_class *c = case_lookup(NULL, names[i]);
        struct wmgw_wmio_encode_opts eo = {.server = "S", .namespace_ = "root/wmgw", .lookup = case_lookup};
        struct wmgw_buf out;
        wmgw_buf_init(&out, WMGW_WMIO_MAX_OUTPUT);
        struct wmgw_err err;
        int rc = wmgw_wmio_encode_class(&out, c, &eo, &err);
        if (rc != 0)
            fprintf(stderr, "%s\n", err.message);
        CHECK_INT(rc, 0);
        struct wmgw_wmio_object o;
        struct wmgw_wmio_decode_opts dopts = {.cache = &cache};
        rc = wmgw_wmio_decode_unit((const uint8_t *)out.data, out.len, &dopts, &o, &err);
        if (rc != 0)
            fprintf(stderr, "%s\n", err.message);
        CHECK_INT(rc, 0);
        if (rc == 0)
            CHECK(chk_same_class(c, o.cls));
        wmgw_wmio_object_dispose(&o);
        wmgw_buf_dispose(&out);
    }
    /* The cached AllTypes serves embedded objects' classes and method signatures. */
    const struct wmgw_wmio_class_entry *e = wmgw_wmio_class_cache_find(&cache, "Wmgw_AllTypes");
    CHECK(e != NULL && e->nsigs == 3);
    for (int out_params = 0; out_params < 2 && e; out_params++) {
        const char *method = out_params ? "Compute" : "Restart";
        struct wmgw_cim_proplist params;
        case_params(out_params, &params);
        struct wmgw_buf a, b;
        wmgw_buf_init(&a, WMGW_WMIO_MAX_OUTPUT);
        wmgw_buf_init(&b, WMGW_WMIO_MAX_OUTPUT);
        struct wmgw_err err;
        struct wmgw_wmio_encode_opts from_model = {0}, from_part = {.class_part = e};
        CHECK_INT(wmgw_wmio_encode_params(&a, e->cls, method, out_params, &params, &from_model, &err), 0);
        CHECK_INT(wmgw_wmio_encode_params(&b, NULL, method, out_params, &params, &from_part, &err), 0);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0); /* the same signature either way */
        struct wmgw_wmio_object o;
        CHECK_INT(wmgw_wmio_decode_unit((const uint8_t *)b.data, b.len, NULL, &o, &err), 0);
        struct wmgw_cim_instance view = {.refcnt = 1, .class_name = "__PARAMETERS", .props = params};
        if (!out_params) { /* Timeout is also an out-parameter, Message only one */
            CHECK(o.inst && o.inst->props.n == 2);
        }
        CHECK(o.inst && chk_same_instance(&view, o.inst));
        wmgw_wmio_object_dispose(&o);
        wmgw_buf_dispose(&a);
        wmgw_buf_dispose(&b);
        wmgw_cim_proplist_dispose(&params);
    }
    /* Ping has no parameters either way. */
    struct wmgw_buf p;
    wmgw_buf_init(&p, 1 << 16);
    struct wmgw_err err;
    struct wmgw_wmio_encode_opts from_part = {.class_part = e};
    CHECK_INT(wmgw_wmio_encode_params(&p, NULL, "Ping", false, NULL, &from_part, &err), WMGW_ENOTFOUND);
    CHECK_INT(wmgw_wmio_encode_params(&p, case_lookup(NULL, "Wmgw_AllTypes"), "Ping", true, NULL, NULL, &err),
              WMGW_ENOTFOUND);
    CHECK_INT(wmgw_wmio_encode_params(&p, case_lookup(NULL, "Wmgw_AllTypes"), "Nope", true, NULL, NULL, &err),
              WMGW_ENOTFOUND);
    CHECK_INT(p.len, 0);
    /* An instance embedded with a cached class sends the cached part. */
    struct wmgw_cim_instance *emb = case_embedded("c", 1, false);
    struct wmgw_wmio_encode_opts with_cache = {.cache = &cache};
    CHECK_INT(wmgw_wmio_encode_instance(&p, emb, case_lookup(NULL, "Wmgw_Embedded"), &with_cache, &err), 0);
    const struct wmgw_wmio_class_entry *ee = wmgw_wmio_class_cache_find(&cache, "Wmgw_Embedded");
    CHECK(ee && has_bytes(&p, ee->part, ee->part_len));
    wmgw_cim_instance_unref(emb);
    wmgw_buf_dispose(&p);
    wmgw_wmio_class_cache_dispose(&cache);
}

/* decode -> encode -> decode gives the same model, for every fixture. */
static void test_fixtures_decode_encode_decode(void)
{
    const char *files[] = {"3-class-base.bin", "3-class-MyClass.bin", "3.1-instance-MyClass.bin",
                           "3.2-class-MyClass2-with-method.bin",
                           "activescripteventconsumer-spawninstance.objref.bin",
                           "eventfilter-spawninstance.objref.bin",
                           "intervaltimerinstruction-spawninstance.objref.bin",
                           "win32-utctime-instance-sevenx64.objref.bin"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len;
        uint8_t *b = load(files[i], &len);
        struct wmgw_wmio_object o1, o2;
        struct wmgw_wmio_decode_opts dopts = {.want_class = true};
        struct wmgw_err err;
        bool objref = len > 4 && memcmp(b, "MEOW", 4) == 0;
        CHECK_INT(objref ? wmgw_wmio_decode_objref(b, len, &dopts, &o1, &err)
                         : wmgw_wmio_decode_unit(b, len, &dopts, &o1, &err), 0);
        struct wmgw_wmio_encode_opts eo = {.server = o1.server, .namespace_ = o1.namespace_};
        struct wmgw_buf out;
        wmgw_buf_init(&out, WMGW_WMIO_MAX_OUTPUT);
        int rc = o1.inst ? wmgw_wmio_encode_instance(&out, o1.inst, o1.cls, &eo, &err)
                         : wmgw_wmio_encode_class(&out, o1.cls, &eo, &err);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", files[i], err.message);
        CHECK_INT(rc, 0);
        CHECK_INT(wmgw_wmio_decode_unit((const uint8_t *)out.data, out.len, &dopts, &o2, &err), 0);
        if (o1.inst)
            CHECK(o2.inst && chk_same_instance(o1.inst, o2.inst));
        CHECK(o2.cls && chk_same_class(o1.cls, o2.cls));
        wmgw_wmio_object_dispose(&o1);
        wmgw_wmio_object_dispose(&o2);
        wmgw_buf_dispose(&out);
        free(b);
    }
}

/* --- malformed input -------------------------------------------------------------- */

static int decode_any(const uint8_t *p, size_t len, struct wmgw_wmio_object *o, struct wmgw_err *err)
{
    struct wmgw_wmio_decode_opts dopts = {.want_class = true};
    if (len >= 4 && memcmp(p, "MEOW", 4) == 0)
        return wmgw_wmio_decode_objref(p, len, &dopts, o, err);
    return wmgw_wmio_decode_unit(p, len, &dopts, o, err);
}

static bool failed_cleanly(int rc, const struct wmgw_wmio_object *o, const struct wmgw_err *err)
{
    return rc == WMGW_EPROTO && o->cls == NULL && o->inst == NULL && o->server == NULL && o->deriv == NULL &&
           strncmp(err->message, "WMIO: ", 6) == 0;
}

/* Every prefix of every blob either decodes (the end was padding) or fails
 * cleanly; copies of exactly the prefix length let ASan see over-reads. */
static void test_truncations(void)
{
    const char *files[] = {"3-class-base.bin", "3.1-instance-MyClass.bin", "3.2-class-MyClass2-with-method.bin",
                           "activescripteventconsumer-spawninstance.objref.bin",
                           "win32-utctime-instance-sevenx64.objref.bin"};
    size_t clean = 0, decoded = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len;
        uint8_t *b = load(files[i], &len);
        for (size_t n = 0; n < len; n++) {
            uint8_t *c = malloc(n ? n : 1);
            memcpy(c, b, n);
            struct wmgw_wmio_object o;
            struct wmgw_err err;
            wmgw_err_clear(&err);
            int rc = decode_any(c, n, &o, &err);
            if (rc == 0) {
                decoded++;
                wmgw_wmio_object_dispose(&o);
            } else if (failed_cleanly(rc, &o, &err)) {
                clean++;
            } else {
                fprintf(stderr, "%s[%zu]: rc %d \"%s\"\n", files[i], n, rc, err.message);
                CHECK(0);
            }
            free(c);
        }
        free(b);
    }
    CHECK(clean > 4000);
    CHECK(decoded < 100); /* only trailing garbage of the spec examples may go */
}

/* Offsets inside 3.1-instance-MyClass.bin (from the spec's table). */
#define I31_CLASS 0x1c       /* CurrentClass ClassPart */
#define I31_HEAP 0x1c + 0x65 /* its ClassHeap items (after the 4-byte length) */
#define I31_INST (0x1c + 0x176)

static void expect_fail(const uint8_t *b, size_t len, const char *what, const char *msg_part)
{
    struct wmgw_wmio_object o;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = decode_any(b, len, &o, &err);
    if (!failed_cleanly(rc, &o, &err) || strstr(err.message, msg_part) == NULL || err.position < 0) {
        fprintf(stderr, "%s: rc %d, message \"%s\", position %ld\n", what, rc, err.message, err.position);
        CHECK(0);
        if (rc == 0)
            wmgw_wmio_object_dispose(&o);
    }
}

static void test_malformed(void)
{
    size_t len;
    uint8_t *orig = load("3.1-instance-MyClass.bin", &len), *b = malloc(len);
    struct { size_t off; uint8_t val; const char *msg; } cases[] = {
        {0, 0x77, "signature"},
        {8, 0x03, "ObjectFlags"},                 /* class and instance */
        {8, 0x00, "ObjectFlags"},
        {9, 0x02, "Encoded-String flag"},         /* DecServerName */
        {I31_CLASS + 3, 0x40, "ClassPart length"},
        {I31_CLASS + 13 + 3, 0x40, "DerivationList length"},
        {I31_CLASS + 0x1b + 3, 0x40, "ClassQualifierSet length"},
        {I31_CLASS + 0x2c, 0x7f, "PropertyCount"},
        {I31_CLASS + 0x31, 0x10, "outside"},      /* a PropertyNameRef past the heap */
        {I31_CLASS + 9, 0x00, "NdTableValueTableLength"},
        {I31_HEAP + 0x32, 0x09, "DeclarationOrder"}, /* Array's order 3 -> 9 */
        {I31_HEAP + 0x34, 0x40, "ValueTableOffset"},
        {I31_HEAP + 0x2e, 0x00, "unknown CIM type"}, /* Array's type 0x2013 -> 0x2000 */
        {I31_HEAP + 0x40, 0x0b, "dictionary"},    /* CIMTYPE's dictionary index 10 -> 11 */
        {I31_INST + 0x00, 0x90, "instance part length"},
        {I31_INST + 0x05, 0x19, "instance names class"}, /* InstanceClassName -> "StringField" */
        {I31_INST + 0x1e, 0x03, "InstPropQualSetFlag"},
        {I31_INST + 0x16, 0x19, "does not fit"},  /* Array's heap ref -> "StringField" as a count */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(b, orig, len);
        b[cases[i].off] = cases[i].val;
        char what[64];
        snprintf(what, sizeof(what), "mutation %zu (+0x%zx)", i, cases[i].off);
        expect_fail(b, len, what, cases[i].msg);
    }
    /* Data1 renamed "id": two properties Id and id. */
    memcpy(b, orig, len);
    memcpy(b + I31_HEAP + 0x55 + 1, "id\0\0\0", 5);
    expect_fail(b, len, "duplicate name", "two properties named");
    /* The array claims more elements than its heap has. */
    memcpy(b, orig, len);
    wmgw__wmio_put32(b + I31_INST + 0x23 + 9, 0x40000000); /* heap items, after "\0MyClass\0" */
    expect_fail(b, len, "array count", "does not fit");
    /* The string without its terminator. */
    memcpy(b, orig, len);
    b[len - 1] = 'X';
    expect_fail(b, len, "terminator", "terminator");
    free(b);
    free(orig);
}

/* An instance of class E { object o; } nesting `depth` objects, by hand. */
static void nest(const uint8_t *part, size_t plen, int depth, struct wmgw_buf *out)
{
    struct wmgw_buf inner;
    wmgw_buf_init(&inner, 1 << 24);
    if (depth > 0)
        nest(part, plen, depth - 1, &inner);
    uint8_t h[4];
    wmgw_buf_addc(out, WMGW_WMIO_OBJ_INSTANCE);
    wmgw_buf_add(out, part, plen);
    size_t heap = 3 + (depth > 0 ? 4 + inner.len : 0);
    wmgw__wmio_put32(h, (uint32_t)(9 + 5 + 5 + 4 + heap));
    wmgw_buf_add(out, h, 4);
    wmgw_buf_add(out, "\0\0\0\0\0", 5);               /* flags, InstanceClassName 0 */
    wmgw_buf_addc(out, depth > 0 ? 0 : 3);            /* NdTable: NULL (and the default) at the bottom */
    wmgw__wmio_put32(h, depth > 0 ? 3 : 0);
    wmgw_buf_add(out, h, 4);                          /* ValueTable: o */
    wmgw_buf_add(out, "\4\0\0\0\1", 5);
    wmgw__wmio_put32(h, (uint32_t)heap | 0x80000000u);
    wmgw_buf_add(out, h, 4);
    wmgw_buf_add(out, "\0E\0", 3);
    if (depth > 0) {
        wmgw__wmio_put32(h, (uint32_t)inner.len);
        wmgw_buf_add(out, h, 4);
        wmgw_buf_add(out, inner.data, inner.len);
    }
    wmgw_buf_dispose(&inner);
}

static void test_depth_limit(void)
{
    struct wmgw_cim_class *e = wmgw_cim_class_new("E", NULL);
    wmgw_cim_class_add_prop(e, "o", WMGW_CIM_OBJECT);
    struct wmgw_cim_instance *leaf = wmgw_cim_instance_new("E", NULL);
    wmgw_cim_proplist_add(&leaf->props, "o", WMGW_CIM_OBJECT);
    struct wmgw_buf unit;
    wmgw_buf_init(&unit, 1 << 20);
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_encode_instance(&unit, leaf, e, NULL, &err), 0);
    const uint8_t *part = (const uint8_t *)unit.data + 9;
    size_t plen = wmgw__wmio_le32(part);
    for (int depth = 31; depth <= 34; depth++) {
        struct wmgw_buf blk;
        wmgw_buf_init(&blk, 1 << 24);
        nest(part, plen, depth, &blk);
        struct wmgw_wmio_object o;
        int rc = wmgw_wmio_decode_block((const uint8_t *)blk.data, blk.len, NULL, &o, &err);
        if (depth <= WMGW_WMIO_MAX_DEPTH) {
            CHECK_INT(rc, 0);
            /* The encoder takes the same depth, and no more. */
            struct wmgw_buf again;
            wmgw_buf_init(&again, 1 << 24);
            CHECK_INT(wmgw_wmio_encode_instance(&again, o.inst, e, NULL, &err), 0);
            CHECK(again.len == blk.len + 8 && memcmp(again.data + 8, blk.data, blk.len) == 0);
            struct wmgw_cim_instance *top = wmgw_cim_instance_new("E", NULL);
            struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&top->props, "o", WMGW_CIM_OBJECT);
            p->value.null = false;
            p->value.u.obj = wmgw_cim_instance_ref(o.inst);
            wmgw_buf_reset(&again);
            if (depth == WMGW_WMIO_MAX_DEPTH)
                CHECK_INT(wmgw_wmio_encode_instance(&again, top, e, NULL, &err), WMGW_EINVAL);
            wmgw_cim_instance_unref(top);
            wmgw_buf_dispose(&again);
        } else {
            CHECK(failed_cleanly(rc, &o, &err) && strstr(err.message, "nested") != NULL);
        }
        wmgw_wmio_object_dispose(&o);
        wmgw_buf_dispose(&blk);
    }
    wmgw_buf_dispose(&unit);
    wmgw_cim_instance_unref(leaf);
    wmgw_cim_class_free(e);
}

/* Many array elements referring to one long string: the budget stops it. */
static void test_budget(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("B", NULL);
    wmgw_cim_class_add_prop(c, "a", WMGW_CIM_STRING | WMGW_CIM_ARRAY);
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("B", NULL);
    enum { N = 20000, LONG = 4000 };
    struct wmgw_cim_value *e = cv_arr(&wmgw_cim_proplist_add(&inst->props, "a", 0)->value, WMGW_CIM_STRING, N);
    char *big = malloc(LONG + 1);
    memset(big, 'x', LONG);
    big[LONG] = '\0';
    for (size_t i = 0; i < N; i++)
        cv_str(&e[i], WMGW_CIM_STRING, i ? "" : big);
    struct wmgw_buf unit;
    wmgw_buf_init(&unit, WMGW_WMIO_MAX_OUTPUT);
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_encode_instance(&unit, inst, c, NULL, &err), 0);
    struct wmgw_wmio_object o;
    CHECK_INT(wmgw_wmio_decode_unit((const uint8_t *)unit.data, unit.len, NULL, &o, &err), 0);
    wmgw_wmio_object_dispose(&o);
    /* Point every element at the long string: 80 MB of model from ~100 kB. */
    uint8_t *p = (uint8_t *)unit.data;
    uint32_t first = 0;
    for (size_t off = 0; off + 8 < unit.len; off++)
        if (wmgw__wmio_le32(p + off) == N) { /* the Encoded-Array's count */
            first = wmgw__wmio_le32(p + off + 4);
            for (size_t i = 1; i < N; i++)
                wmgw__wmio_put32(p + off + 4 + 4 * i, first);
            break;
        }
    CHECK(first != 0);
    CHECK_INT(wmgw_wmio_decode_unit(p, unit.len, NULL, &o, &err), WMGW_EPROTO);
    CHECK(failed_cleanly(WMGW_EPROTO, &o, &err) && strstr(err.message, "decodes to more than") != NULL);
    free(big);
    wmgw_buf_dispose(&unit);
    wmgw_cim_instance_unref(inst);
    wmgw_cim_class_free(c);
}

/* An embedded class object becomes an instance holding its defaults. */
static void test_embedded_class(void)
{
    struct wmgw_cim_class *holder = wmgw_cim_class_new("H", NULL);
    wmgw_cim_class_add_prop(holder, "o", WMGW_CIM_OBJECT);
    struct wmgw_cim_instance *h = wmgw_cim_instance_new("H", NULL);
    struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&h->props, "o", WMGW_CIM_OBJECT);
    p->value.null = false;
    p->value.u.obj = case_embedded("x", 1, false);
    struct wmgw_buf unit, cls;
    wmgw_buf_init(&unit, 1 << 20);
    wmgw_buf_init(&cls, 1 << 20);
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_encode_instance(&unit, h, holder, NULL, &err), 0);
    struct wmgw_cim_class *ec = case_embedded_class();
    wmgw_cim_value_dispose(&ec->props[1].default_value); /* Name = "dname" */
    cv_str(&ec->props[1].default_value, WMGW_CIM_STRING, "dname");
    CHECK_INT(wmgw_wmio_encode_class(&cls, ec, NULL, &err), 0);
    /* Swap the embedded instance for the class object: it is the last heap item. */
    const uint8_t *u = (const uint8_t *)unit.data;
    size_t at = 0;
    for (size_t i = 8; i + 1 < unit.len; i++)
        if (u[i] == WMGW_WMIO_OBJ_INSTANCE && wmgw__wmio_le32(u + i - 4) == unit.len - i && i > 9)
            at = i - 4;
    CHECK(at != 0);
    struct wmgw_buf patched;
    wmgw_buf_init(&patched, 1 << 20);
    wmgw_buf_add(&patched, u, at);
    uint8_t h4[4];
    wmgw__wmio_put32(h4, (uint32_t)(cls.len - 8));
    wmgw_buf_add(&patched, h4, 4);
    wmgw_buf_add(&patched, cls.data + 8, cls.len - 8);
    /* Fix the lengths: ObjectEncodingLength, instance part, instance heap. */
    long grow = (long)patched.len - (long)unit.len;
    uint8_t *q = (uint8_t *)patched.data;
    wmgw__wmio_put32(q + 4, (uint32_t)(wmgw__wmio_le32(q + 4) + grow));
    size_t ipart = 9 + wmgw__wmio_le32(q + 9);
    wmgw__wmio_put32(q + ipart, (uint32_t)(wmgw__wmio_le32(q + ipart) + grow));
    size_t hl = ipart + 9 + 1 + 4 + 5;
    wmgw__wmio_put32(q + hl, (uint32_t)(wmgw__wmio_le32(q + hl) + grow));
    struct wmgw_wmio_object o;
    int rc = wmgw_wmio_decode_unit(q, patched.len, NULL, &o, &err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err.message);
    CHECK_INT(rc, 0);
    const struct wmgw_cim_value *v = rc == 0 ? prop(o.inst, "o") : NULL;
    CHECK(v && !v->null && strcmp(v->u.obj->class_name, "Wmgw_Embedded") == 0);
    CHECK(v && strcmp(prop(v->u.obj, "Name")->u.str, "dname") == 0 && prop(v->u.obj, "Size")->null);
    wmgw_wmio_object_dispose(&o);
    wmgw_buf_dispose(&patched);
    wmgw_buf_dispose(&unit);
    wmgw_buf_dispose(&cls);
    wmgw_cim_class_free(ec);
    wmgw_cim_class_free(holder);
    wmgw_cim_instance_unref(h);
}

static void test_encode_errors(void)
{
    const struct wmgw_cim_class *all = case_lookup(NULL, "Wmgw_AllTypes");
    struct wmgw_buf out;
    wmgw_buf_init(&out, WMGW_WMIO_MAX_OUTPUT);
    struct wmgw_err err;
    struct {
        const char *name;
        uint16_t type;
        void (*set)(struct wmgw_cim_value *);
        const char *msg;
    } bad[] = {
        {"Nope", WMGW_CIM_STRING, NULL, "not a property"},
        {"U32", WMGW_CIM_STRING, NULL, "declared"},
        {"U8", WMGW_CIM_UINT8, NULL, "range"},
        {"When", WMGW_CIM_DATETIME, NULL, "DMTF"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Wmgw_AllTypes", NULL);
        struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&inst->props, bad[i].name, bad[i].type);
        if (bad[i].type == WMGW_CIM_UINT8)
            cv_u(&p->value, WMGW_CIM_UINT8, 300);
        else
            cv_str(&p->value, bad[i].type, "2024-01-01");
        int rc = wmgw_wmio_encode_instance(&out, inst, all, NULL, &err);
        CHECK_INT(rc, WMGW_EINVAL);
        if (strstr(err.message, bad[i].msg) == NULL)
            fprintf(stderr, "encode error %zu: %s\n", i, err.message);
        CHECK(strstr(err.message, bad[i].msg) != NULL);
        CHECK_INT(out.len, 0);
        wmgw_cim_instance_unref(inst);
    }
    /* An error inside an embedded object names the path to it. */
    struct wmgw_cim_instance *outer = wmgw_cim_instance_new("Wmgw_AllTypes", NULL);
    struct wmgw_cim_prop *op = wmgw_cim_proplist_add(&outer->props, "Obj", WMGW_CIM_OBJECT);
    op->value.null = false;
    op->value.u.obj = case_embedded("x", 1, false);
    struct wmgw_cim_value *size = (struct wmgw_cim_value *)prop(op->value.u.obj, "Size");
    wmgw_cim_value_dispose(size);
    cv_str(size, WMGW_CIM_STRING, "big");
    struct wmgw_wmio_encode_opts lk = {.lookup = case_lookup};
    CHECK_INT(wmgw_wmio_encode_instance(&out, outer, all, &lk, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "Wmgw_AllTypes.Obj: Wmgw_Embedded.Size: ") != NULL);
    wmgw_cim_instance_unref(outer);
    struct wmgw_cim_instance *other = wmgw_cim_instance_new("Other", NULL);
    CHECK_INT(wmgw_wmio_encode_instance(&out, other, all, NULL, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_wmio_encode_instance(&out, other, NULL, NULL, &err), WMGW_EINVAL);
    wmgw_cim_instance_unref(other);
    /* A full output buffer leaves it as it was. */
    struct wmgw_buf small;
    wmgw_buf_init(&small, 64);
    wmgw_buf_addstr(&small, "keep");
    struct wmgw_cim_instance *inst = case_alltypes_instance();
    CHECK_INT(wmgw_wmio_encode_instance(&small, inst, all, NULL, &err), WMGW_ETOOBIG);
    CHECK(small.len == 4 && memcmp(small.data, "keep", 4) == 0);
    wmgw_cim_instance_unref(inst);
    wmgw_buf_dispose(&small);
    wmgw_buf_dispose(&out);
}

/* MS-WMIO 2.3.1/2.3.2: a string property whose CIMTYPE says datetime or
 * ref:X is a datetime or a reference (Windows also sets the type itself). */
static void test_cimtype_refines_strings(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("T", NULL);
    wmgw_cim_class_add_prop(c, "D", WMGW_CIM_DATETIME);
    wmgw_cim_class_add_prop(c, "R", WMGW_CIM_REFERENCE | WMGW_CIM_ARRAY)->ref_class = strdup("Foo");
    struct wmgw_cim_instance *i = wmgw_cim_instance_new("T", NULL);
    cv_str(&wmgw_cim_proplist_add(&i->props, "D", 0)->value, WMGW_CIM_DATETIME, "20240101000000.000000+000");
    struct wmgw_cim_value *e = cv_arr(&wmgw_cim_proplist_add(&i->props, "R", 0)->value, WMGW_CIM_REFERENCE, 1);
    cv_ref(&e[0], NULL, "Foo", "K", "v");
    struct wmgw_buf u;
    wmgw_buf_init(&u, 1 << 20);
    struct wmgw_err err;
    CHECK_INT(wmgw_wmio_encode_instance(&u, i, c, NULL, &err), 0);
    /* The qualifier names CIMTYPE by its dictionary entry, not a string. */
    static const uint8_t cimtype_ref[4] = {0x0a, 0, 0, 0x80};
    CHECK(has_bytes(&u, cimtype_ref, 4) && !has_bytes(&u, "CIMTYPE", 7));
    /* PropertyType 101 (order 0) and 0x2066 (order 1) become plain strings. */
    static const uint8_t dt[6] = {0x65, 0, 0, 0, 0, 0}, ra[6] = {0x66, 0x20, 0, 0, 1, 0};
    uint8_t *a = memmem(u.data, u.len, dt, 6), *b = memmem(u.data, u.len, ra, 6);
    CHECK(a != NULL && b != NULL);
    if (a && b) {
        a[0] = WMGW_CIM_STRING;
        b[0] = WMGW_CIM_STRING;
    }
    struct wmgw_wmio_object o;
    struct wmgw_wmio_decode_opts dopts = {.want_class = true};
    CHECK_INT(wmgw_wmio_decode_unit((const uint8_t *)u.data, u.len, &dopts, &o, &err), 0);
    if (o.cls && o.inst) {
        CHECK_INT(decl(o.cls, "D")->type, WMGW_CIM_DATETIME);
        CHECK_INT(decl(o.cls, "R")->type, WMGW_CIM_REFERENCE | WMGW_CIM_ARRAY);
        CHECK_STR(decl(o.cls, "R")->ref_class, "Foo");
        CHECK(chk_same_instance(i, o.inst));
    }
    wmgw_wmio_object_dispose(&o);
    wmgw_buf_dispose(&u);
    wmgw_cim_instance_unref(i);
    wmgw_cim_class_free(c);
}

int main(void)
{
    if (getenv("WMGW_SOURCE_DIR") == NULL)
        setenv("WMGW_SOURCE_DIR", ".", 0);
    WMGW_TEST_RUN(test_spec_base_class);
    WMGW_TEST_RUN(test_spec_myclass);
    WMGW_TEST_RUN(test_spec_instance_notes);
    WMGW_TEST_RUN(test_spec_method_class);
    WMGW_TEST_RUN(test_impacket_captures);
    WMGW_TEST_RUN(test_objref);
    WMGW_TEST_RUN(test_reencode_windows_instance);
    WMGW_TEST_RUN(test_cache_and_noclass);
    WMGW_TEST_RUN(test_roundtrip_instance);
    WMGW_TEST_RUN(test_roundtrip_class);
    WMGW_TEST_RUN(test_fixtures_decode_encode_decode);
    WMGW_TEST_RUN(test_truncations);
    WMGW_TEST_RUN(test_malformed);
    WMGW_TEST_RUN(test_depth_limit);
    WMGW_TEST_RUN(test_budget);
    WMGW_TEST_RUN(test_embedded_class);
    WMGW_TEST_RUN(test_encode_errors);
    WMGW_TEST_RUN(test_cimtype_refines_strings);
    return WMGW_TEST_DONE();
}
