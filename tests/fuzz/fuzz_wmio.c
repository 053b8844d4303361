/*
 * fuzz_wmio.c: libFuzzer target for the MS-WMIO decoder
 * (translators/wmi/wmio.h).
 *
 * The first byte picks the entry point, the rest is the input (a copy of
 * exactly that length, so ASan sees any over-read): an EncodingUnit, a bare
 * ObjectBlock, an OBJREF_CUSTOM, an instance without its class part (with
 * the class part of a fixed class), or an EncodingUnit decoded twice
 * through a class cache.  Whatever decodes must re-encode (only the size
 * limit may refuse: shared heap items can make a model bigger than its
 * blob) and decode again to an equal object, compared as
 * tests/unit/wmi/wmio_check.h prints it; an instance must also re-encode
 * with its own class part from the cache.  A failure must be WMGW_EPROTO
 * with a message and leave no output.
 */
#include "translators/wmi/wmio.h"
#include "util/buf.h"
#include "util/err.h"

#include "tests/unit/wmi/wmio_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ASSERT(x)                                                                   \
    do {                                                                            \
        if (!(x)) {                                                                 \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* The class part the NoClass mode decodes with: class F {string s; uint32 u[]; object o;}. */
static struct wmgw_wmio_class_cache noclass_cache;
static const struct wmgw_wmio_class_entry *noclass_entry;

static void init_noclass(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("F", NULL);
    wmgw_cim_class_add_prop(c, "o", WMGW_CIM_OBJECT);
    wmgw_cim_class_add_prop(c, "s", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY;
    wmgw_cim_class_add_prop(c, "u", WMGW_CIM_UINT32 | WMGW_CIM_ARRAY);
    struct wmgw_cim_instance *i = wmgw_cim_instance_new("F", NULL);
    struct wmgw_buf unit;
    wmgw_buf_init(&unit, 1 << 20);
    struct wmgw_err err;
    ASSERT(wmgw_wmio_encode_instance(&unit, i, c, NULL, &err) == 0);
    wmgw_wmio_class_cache_init(&noclass_cache, 4);
    struct wmgw_wmio_decode_opts opts = {.cache = &noclass_cache};
    struct wmgw_wmio_object o;
    ASSERT(wmgw_wmio_decode_unit((const uint8_t *)unit.data, unit.len, &opts, &o, &err) == 0);
    noclass_entry = noclass_cache.items[0];
    wmgw_wmio_object_dispose(&o);
    wmgw_buf_dispose(&unit);
    wmgw_cim_instance_unref(i);
    wmgw_cim_class_free(c);
}

static void check_failed(int rc, const struct wmgw_wmio_object *o, const struct wmgw_err *err)
{
    if (rc != WMGW_EPROTO)
        fprintf(stderr, "rc %d: %s\n", rc, err->message);
    ASSERT(rc == WMGW_EPROTO);
    ASSERT(strncmp(err->message, "WMIO: ", 6) == 0);
    ASSERT(o->cls == NULL && o->inst == NULL && o->server == NULL && o->namespace_ == NULL && o->deriv == NULL);
}

/* Encodes o again and decodes the result: the same model. */
static void round_trip(const struct wmgw_wmio_object *o, const struct wmgw_wmio_class_entry *part)
{
    struct wmgw_wmio_encode_opts eo = {.server = o->server, .namespace_ = o->namespace_, .class_part = part};
    struct wmgw_buf out;
    wmgw_buf_init(&out, WMGW_WMIO_MAX_OUTPUT);
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = o->inst ? wmgw_wmio_encode_instance(&out, o->inst, o->cls, &eo, &err)
                     : wmgw_wmio_encode_class(&out, o->cls, &eo, &err);
    if (rc != 0 && rc != WMGW_ETOOBIG)
        fprintf(stderr, "re-encode: %s\n", err.message);
    ASSERT(rc == 0 || rc == WMGW_ETOOBIG);
    if (rc == 0) {
        struct wmgw_wmio_object o2;
        struct wmgw_wmio_decode_opts dopts = {.want_class = true};
        rc = wmgw_wmio_decode_unit((const uint8_t *)out.data, out.len, &dopts, &o2, &err);
        if (rc != 0)
            fprintf(stderr, "decoding the re-encoded object: %s\n", err.message);
        ASSERT(rc == 0);
        if (o->inst)
            ASSERT(o2.inst != NULL && chk_same_instance(o->inst, o2.inst));
        if (part == NULL)
            ASSERT(o2.cls != NULL && chk_same_class(o->cls, o2.cls));
        wmgw_wmio_object_dispose(&o2);
    }
    wmgw_buf_dispose(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (noclass_entry == NULL)
        init_noclass();
    if (size == 0)
        return 0;
    size_t len = size - 1;
    uint8_t *p = malloc(len ? len : 1); /* exactly len bytes */
    if (p == NULL)
        return 0;
    memcpy(p, data + 1, len);
    struct wmgw_wmio_class_cache cache;
    wmgw_wmio_class_cache_init(&cache, 2);
    struct wmgw_wmio_decode_opts opts = {.want_class = true};
    struct wmgw_wmio_object o;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int mode = data[0] % 5, rc;
    switch (mode) {
    case 0: rc = wmgw_wmio_decode_unit(p, len, &opts, &o, &err); break;
    case 1: rc = wmgw_wmio_decode_block(p, len, &opts, &o, &err); break;
    case 2: rc = wmgw_wmio_decode_objref(p, len, &opts, &o, &err); break;
    case 3: rc = wmgw_wmio_decode_noclass(p, len, noclass_entry, &opts, &o, &err); break;
    default:
        opts.cache = &cache;
        rc = wmgw_wmio_decode_unit(p, len, &opts, &o, &err);
        if (rc == 0) { /* again: now from the cache, to the same model */
            struct wmgw_wmio_object again;
            ASSERT(wmgw_wmio_decode_unit(p, len, &opts, &again, &err) == 0);
            if (o.inst)
                ASSERT(chk_same_instance(o.inst, again.inst));
            ASSERT(chk_same_class(o.cls, again.cls));
            wmgw_wmio_object_dispose(&again);
        }
        break;
    }
    if (rc != 0) {
        check_failed(rc, &o, &err);
    } else {
        ASSERT(o.cls != NULL);
        round_trip(&o, NULL);
        /* An instance also goes back with its own class part, as PutInstance sends it. */
        if (o.inst != NULL && mode == 4 && cache.n > 0)
            for (size_t i = 0; i < cache.n; i++)
                if (!cache.items[i]->full && strcasecmp(cache.items[i]->name, o.inst->class_name) == 0)
                    round_trip(&o, cache.items[i]);
        if (o.inst != NULL && mode == 3)
            round_trip(&o, noclass_entry);
        wmgw_wmio_object_dispose(&o);
    }
    wmgw_wmio_class_cache_dispose(&cache);
    free(p);
    return 0;
}
