/*
 * fuzz_cim_json.c: libFuzzer target for the JSON mapping (cim/json_*.c).
 *
 * The input is a request body read as an instance of Test_All, a class
 * with every CIM type as scalar and array (two of them keys).  When it is
 * accepted, writing it must succeed and give valid JSON that reads back
 * to equal values; writing that must give the same bytes again.  The raw
 * bytes also go through wmgw_json_write_string, whose output must parse
 * and, for valid UTF-8, give the input back.  Any breach aborts.
 */
#include "cim/json.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(x)                                                                   \
    do {                                                                            \
        if (!(x)) {                                                                 \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                                \
        }                                                                           \
    } while (0)

static struct wmgw_cim_class *test_class(void)
{
    static const struct {
        const char *name;
        uint16_t type;
    } p[] = {{"PBool", WMGW_CIM_BOOLEAN},  {"PSint8", WMGW_CIM_SINT8},     {"PUint8", WMGW_CIM_UINT8},
             {"PSint16", WMGW_CIM_SINT16}, {"PUint16", WMGW_CIM_UINT16},   {"PSint32", WMGW_CIM_SINT32},
             {"PUint32", WMGW_CIM_UINT32}, {"PSint64", WMGW_CIM_SINT64},   {"PUint64", WMGW_CIM_UINT64},
             {"PReal32", WMGW_CIM_REAL32}, {"PReal64", WMGW_CIM_REAL64},   {"PChar16", WMGW_CIM_CHAR16},
             {"PString", WMGW_CIM_STRING}, {"PDatetime", WMGW_CIM_DATETIME}, {"PRef", WMGW_CIM_REFERENCE},
             {"PObject", WMGW_CIM_OBJECT}};
    struct wmgw_cim_class *c = wmgw_cim_class_new("Test_All", "root/test");
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        char an[32];
        snprintf(an, sizeof(an), "%sArr", p[i].name);
        const char *target = p[i].type == WMGW_CIM_REFERENCE ? "ref:Test_All" : "Embedded";
        bool targeted = p[i].type == WMGW_CIM_REFERENCE || p[i].type == WMGW_CIM_OBJECT;
        /* add_prop reallocates: finish each declaration before the next */
        struct wmgw_cim_propdecl *d = wmgw_cim_class_add_prop(c, p[i].name, p[i].type);
        d->ref_class = targeted ? strdup(target) : NULL;
        if (p[i].type == WMGW_CIM_UINT32 || p[i].type == WMGW_CIM_STRING)
            d->flags = WMGW_CIM_Q_KEY;
        d = wmgw_cim_class_add_prop(c, an, p[i].type | WMGW_CIM_ARRAY);
        d->ref_class = targeted ? strdup(target) : NULL;
    }
    return c;
}

static bool is_ref_or_object(uint16_t type)
{
    uint16_t b = WMGW_CIM_BASETYPE(type);
    return b == WMGW_CIM_REFERENCE || b == WMGW_CIM_OBJECT;
}

static void check_string(const uint8_t *data, size_t size)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 8 * size + 16);
    ASSERT(wmgw_json_write_string(&b, (const char *)data, size) == 0);
    for (size_t i = 0; i < b.len; i++)
        ASSERT((unsigned char)b.data[i] >= 0x20); /* never a raw control character */
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    ASSERT(j != NULL && json_is_string(j));
    if (wmgw_utf8_valid((const char *)data, size))
        ASSERT(json_string_length(j) == size && memcmp(json_string_value(j), data, size) == 0);
    json_decref(j);
    wmgw_buf_dispose(&b);
}

static void check_round_trip(const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls)
{
    struct wmgw_buf one, two;
    wmgw_buf_init(&one, 64 << 20);
    wmgw_buf_init(&two, 64 << 20);
    ASSERT(wmgw_cim_json_write_instance(&one, inst, cls, "fuzz-host") == 0);
    json_error_t je;
    json_t *j = json_loadb(one.data, one.len, JSON_ALLOW_NUL, &je);
    if (j == NULL)
        fprintf(stderr, "invalid JSON written: %s\n%s\n", je.text, one.data);
    ASSERT(j != NULL);
    struct wmgw_cim_instance *back = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = wmgw_cim_json_read_instance(j, cls, &back, &err);
    if (rc != 0)
        fprintf(stderr, "written JSON does not read back: %s\n%s\n", err.message, one.data);
    ASSERT(rc == 0);
    ASSERT(back->props.n == inst->props.n);
    for (size_t i = 0; i < inst->props.n; i++) {
        const struct wmgw_cim_prop *p = &inst->props.items[i];
        const struct wmgw_cim_value *b = wmgw_cim_instance_get(back, p->name);
        ASSERT(b != NULL);
        /* References and objects are untyped inside (compared by bytes below);
         * datetimes travel in UTC (same instant, same bytes below). */
        if (!is_ref_or_object(p->value.type) && WMGW_CIM_BASETYPE(p->value.type) != WMGW_CIM_DATETIME)
            ASSERT(wmgw_cim_value_equal(&p->value, b));
    }
    ASSERT(wmgw_cim_json_write_instance(&two, back, cls, "fuzz-host") == 0);
    if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0)
        fprintf(stderr, "not byte-identical:\n%s\n%s\n", one.data, two.data);
    ASSERT(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
    json_decref(j);
    wmgw_cim_instance_unref(back);
    wmgw_buf_dispose(&one);
    wmgw_buf_dispose(&two);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct wmgw_cim_class *cls;
    if (cls == NULL) {
        cls = test_class();
        struct wmgw_buf b;
        wmgw_buf_init(&b, 1 << 20);
        ASSERT(wmgw_cim_json_write_class(&b, cls, "fuzz-host") == 0);
        wmgw_buf_dispose(&b);
    }
    check_string(data, size);
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &je);
    if (j == NULL)
        return 0;
    struct wmgw_cim_instance *inst = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_cim_json_read_instance(j, cls, &inst, &err) == 0)
        check_round_trip(inst, cls);
    else
        ASSERT(err.code == WMGW_EINVAL && err.message[0] != '\0' && inst == NULL);
    wmgw_cim_instance_unref(inst);
    json_decref(j);
    return 0;
}
