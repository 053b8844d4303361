/*
 * json.c: tests for cim/json_write.c, cim/json_read.c and cim/json_class.c:
 * every CIM type both ways, the 64-bit rule at 2^53+1, 2^64-1 and INT64_MIN,
 * shortest reals and non-finite strings, string escaping and invalid UTF-8,
 * references and embedded objects, fixed member order, error messages that
 * name the property path, and write -> read -> write byte identity.
 */
#include "cim/json.h"
#include "cim/datetime.h"
#include "cim/path.h"
#include "util/buf.h"
#include "util/err.h"

#include <float.h>
#include <math.h>

#include "../test.h"

static bool same_instants(const struct wmgw_cim_value *a, const struct wmgw_cim_value *b);

static struct wmgw_buf out;
static struct wmgw_err err;

static const char *text(void)
{
    return out.data != NULL ? out.data : "";
}

/* --- builders ------------------------------------------------------------------ */

static struct wmgw_cim_value v_int(uint16_t type, long long x)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, type);
    v.null = false;
    if (wmgw_cim_type_is_signed(type))
        v.u.s = x;
    else
        v.u.u = (uint64_t)x;
    return v;
}

static struct wmgw_cim_value v_u64(uint64_t x)
{
    struct wmgw_cim_value v = v_int(WMGW_CIM_UINT64, 0);
    v.u.u = x;
    return v;
}

static struct wmgw_cim_value v_real(uint16_t type, double r)
{
    struct wmgw_cim_value v = v_int(type, 0);
    v.u.r = r;
    return v;
}

static struct wmgw_cim_value v_str(uint16_t type, const char *s)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, type);
    v.null = false;
    v.u.str = strdup(s);
    return v;
}

static struct wmgw_cim_value v_bool(bool b)
{
    struct wmgw_cim_value v = v_int(WMGW_CIM_BOOLEAN, 0);
    v.u.b = b;
    return v;
}

static struct wmgw_cim_value v_c16(uint16_t c)
{
    struct wmgw_cim_value v = v_int(WMGW_CIM_CHAR16, 0);
    v.u.c16 = c;
    return v;
}

static struct wmgw_cim_value v_ref(struct wmgw_cim_ref *r)
{
    struct wmgw_cim_value v = v_int(WMGW_CIM_REFERENCE, 0);
    v.u.ref = r;
    return v;
}

static struct wmgw_cim_value v_obj(struct wmgw_cim_instance *o)
{
    struct wmgw_cim_value v = v_int(WMGW_CIM_OBJECT, 0);
    v.u.obj = o;
    return v;
}

/* An array of n copies made by f(i). */
static struct wmgw_cim_value v_arr(uint16_t base, size_t n, struct wmgw_cim_value (*f)(size_t))
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, base | WMGW_CIM_ARRAY);
    v.null = false;
    v.u.arr.n = n;
    v.u.arr.v = calloc(n ? n : 1, sizeof(*v.u.arr.v));
    for (size_t i = 0; i < n; i++)
        v.u.arr.v[i] = f(i);
    return v;
}

static void put(struct wmgw_cim_proplist *l, const char *name, struct wmgw_cim_value v)
{
    CHECK_INT(wmgw_cim_proplist_put(l, name, &v), 0);
}

static struct wmgw_cim_ref *service_ref(const char *ns, const char *name)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(ns, "Win32_Service");
    put(&r->keys, "Name", v_str(WMGW_CIM_STRING, name));
    return r;
}

/* Writes one value and returns the text. */
static const char *wv(struct wmgw_cim_value v)
{
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_value(&out, &v, "h1"), 0);
    wmgw_cim_value_dispose(&v);
    return text();
}

static json_t *parse_json(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (j == NULL)
        fprintf(stderr, "bad JSON %s: %s\n", s, je.text);
    return j;
}

/* --- strings ------------------------------------------------------------------- */

static const char *ws(const char *s, size_t len)
{
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_json_write_string(&out, s, len), 0);
    json_t *j = parse_json(text());
    CHECK(j != NULL && json_is_string(j));
    json_decref(j);
    return text();
}

static void test_string_escaping(void)
{
    CHECK_STR(ws("plain", 5), "\"plain\"");
    CHECK_STR(ws("", 0), "\"\"");
    CHECK_STR(ws("q\"b\\s/", 6), "\"q\\\"b\\\\s/\"");
    CHECK_STR(ws("\b\f\n\r\t", 5), "\"\\b\\f\\n\\r\\t\"");
    CHECK_STR(ws("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\"");
    CHECK_STR(ws("a\0b", 3), "\"a\\u0000b\"");
    CHECK_STR(ws("\xC2\x85", 2), "\"\\u0085\""); /* C1 control NEL */
    CHECK_STR(ws("\xE2\x80\xA8\xE2\x80\xA9", 6), "\"\\u2028\\u2029\"");
    CHECK_STR(ws("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 12), "\"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

static void test_string_invalid_utf8(void)
{
#define FFFD "\xEF\xBF\xBD"
    CHECK_STR(ws("a\xFF" "b", 3), "\"a" FFFD "b\"");
    CHECK_STR(ws("\xC0\x80", 2), "\"" FFFD FFFD "\"");             /* overlong: two subparts */
    CHECK_STR(ws("\xED\xA0\x80", 3), "\"" FFFD FFFD FFFD "\"");     /* surrogate */
    CHECK_STR(ws("\xE2\x82", 2), "\"" FFFD "\"");                   /* truncated: one subpart */
    CHECK_STR(ws("\xF0\x9F\x98" "x", 4), "\"" FFFD "x\"");
    CHECK_STR(ws("\xF4\x90\x80\x80", 4), "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_STR(ws("\xC3", 1), "\"" FFFD "\"");
    /* len bounds the read */
    CHECK_STR(ws("ab\xC3\xA9", 3), "\"ab" FFFD "\"");
#undef FFFD
}

static void test_string_restores_buffer(void)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 10);
    wmgw_buf_addstr(&b, "[");
    CHECK_INT(wmgw_json_write_string(&b, "0123456789", 10), WMGW_ETOOBIG);
    CHECK_STR(b.data, "[");
    CHECK_INT(b.len, 1);
    wmgw_buf_dispose(&b);
}

/* --- values out ------------------------------------------------------------------ */

static void test_write_integers(void)
{
    CHECK_STR(wv(v_int(WMGW_CIM_SINT8, -128)), "-128");
    CHECK_STR(wv(v_int(WMGW_CIM_UINT8, 255)), "255");
    CHECK_STR(wv(v_int(WMGW_CIM_SINT16, -32768)), "-32768");
    CHECK_STR(wv(v_int(WMGW_CIM_UINT16, 65535)), "65535");
    CHECK_STR(wv(v_int(WMGW_CIM_SINT32, INT32_MIN)), "-2147483648");
    CHECK_STR(wv(v_int(WMGW_CIM_UINT32, UINT32_MAX)), "4294967295");
    /* 64-bit: always strings */
    CHECK_STR(wv(v_int(WMGW_CIM_SINT64, 0)), "\"0\"");
    CHECK_STR(wv(v_int(WMGW_CIM_SINT64, INT64_MIN)), "\"-9223372036854775808\"");
    CHECK_STR(wv(v_int(WMGW_CIM_SINT64, INT64_MAX)), "\"9223372036854775807\"");
    CHECK_STR(wv(v_u64(UINT64_MAX)), "\"18446744073709551615\"");
    CHECK_STR(wv(v_u64(9007199254740993ULL)), "\"9007199254740993\"");
}

static void test_write_reals(void)
{
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, 0.5)), "0.5");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, 1e300)), "1e+300");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, 100)), "100.0");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, -0.0)), "-0.0");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, 0.1)), "0.1");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, DBL_MAX)), "1.7976931348623157e+308");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, 4.9406564584124654e-324)), "5e-324");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL32, (double)FLT_MAX)), "3.4028235e+38");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL32, (double)0.1f)), "0.1");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, (double)0.1f)), "0.10000000149011612");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL32, 1e300)), "1e+300"); /* not a float: printed as a double */
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, NAN)), "\"NaN\"");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL64, INFINITY)), "\"Infinity\"");
    CHECK_STR(wv(v_real(WMGW_CIM_REAL32, -INFINITY)), "\"-Infinity\"");
}

static void test_write_other_scalars(void)
{
    CHECK_STR(wv(v_bool(true)), "true");
    CHECK_STR(wv(v_bool(false)), "false");
    CHECK_STR(wv(v_c16('A')), "\"A\"");
    CHECK_STR(wv(v_c16(0x20AC)), "\"\xE2\x82\xAC\"");
    CHECK_STR(wv(v_c16(0xD800)), "\"\xEF\xBF\xBD\""); /* lone surrogate */
    CHECK_STR(wv(v_c16(1)), "\"\\u0001\"");
    CHECK_STR(wv(v_c16('"')), "\"\\\"\"");
    CHECK_STR(wv(v_str(WMGW_CIM_STRING, "x\ty")), "\"x\\ty\"");
    CHECK_STR(wv(v_str(WMGW_CIM_DATETIME, "20130415200447.892798+000")), "\"2013-04-15T20:04:47.892798Z\"");
    CHECK_STR(wv(v_str(WMGW_CIM_DATETIME, "20240131235959.123456-300")), "\"2024-02-01T04:59:59.123456Z\"");
    CHECK_STR(wv(v_str(WMGW_CIM_DATETIME, "00000001020304.500000:000")), "\"P1DT2H3M4.5S\"");
    CHECK_STR(wv(v_str(WMGW_CIM_DATETIME, "00000000000000.000000:000")), "\"PT0S\"");
    CHECK_STR(wv(v_str(WMGW_CIM_DATETIME, "19980416******.000000+***")), "\"19980416******.000000+***\"");
    CHECK_STR(wv(v_str(WMGW_CIM_DATETIME, "not \"dmtf\"")), "\"not \\\"dmtf\\\"\""); /* kept, escaped */
    struct wmgw_cim_value n;
    wmgw_cim_value_init_null(&n, WMGW_CIM_STRING);
    CHECK_STR(wv(n), "null");
    wmgw_cim_value_init_null(&n, WMGW_CIM_UINT64 | WMGW_CIM_ARRAY);
    CHECK_STR(wv(n), "null");
}

static struct wmgw_cim_value elem_u64(size_t i)
{
    return v_u64(i == 0 ? 0 : UINT64_MAX - i);
}

static struct wmgw_cim_value elem_str(size_t i)
{
    return v_str(WMGW_CIM_STRING, i == 0 ? "a" : "b\"");
}

static struct wmgw_cim_value elem_u8(size_t i)
{
    return v_int(WMGW_CIM_UINT8, (long long)i);
}

static void test_write_arrays(void)
{
    CHECK_STR(wv(v_arr(WMGW_CIM_UINT64, 2, elem_u64)), "[\"0\",\"18446744073709551614\"]");
    CHECK_STR(wv(v_arr(WMGW_CIM_STRING, 2, elem_str)), "[\"a\",\"b\\\"\"]");
    CHECK_STR(wv(v_arr(WMGW_CIM_UINT8, 3, elem_u8)), "[0,1,2]");
    CHECK_STR(wv(v_arr(WMGW_CIM_UINT8, 0, elem_u8)), "[]");
}

static void test_write_ref(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/cimv2", "Win32_Environment");
    put(&r->keys, "UserName", v_str(WMGW_CIM_STRING, "<SYSTEM>"));
    put(&r->keys, "Name", v_str(WMGW_CIM_STRING, "TEMP"));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_ref(&out, r, "h1"), 0);
    CHECK_STR(text(), "{\"@id\":\"/v1/hosts/h1/namespaces/root%2Fcimv2/classes/Win32_Environment/instances/"
                      "Name=TEMP,UserName=%3CSYSTEM%3E\",\"@class\":\"Win32_Environment\",\"@namespace\":"
                      "\"root/cimv2\",\"@keys\":{\"Name\":\"TEMP\",\"UserName\":\"<SYSTEM>\"}}");
    /* without a host: no link */
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_ref(&out, r, NULL), 0);
    CHECK_STR(text(), "{\"@class\":\"Win32_Environment\",\"@namespace\":\"root/cimv2\",\"@keys\":{\"Name\":\"TEMP\","
                      "\"UserName\":\"<SYSTEM>\"}}");
    /* relative: default namespace in the link, no @namespace */
    free(r->namespace_);
    r->namespace_ = NULL;
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_ref(&out, r, "h1"), 0);
    CHECK(strncmp(text(), "{\"@id\":\"/v1/hosts/h1/namespaces/root%2Fcimv2/", 45) == 0);
    CHECK(strstr(text(), "@namespace") == NULL);
    /* a null key: still the reference, without a link */
    put(&r->keys, "Name", (struct wmgw_cim_value){.type = WMGW_CIM_STRING, .null = true});
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_ref(&out, r, "h1"), 0);
    CHECK_STR(text(), "{\"@class\":\"Win32_Environment\",\"@keys\":{\"Name\":null,\"UserName\":\"<SYSTEM>\"}}");
    /* singleton */
    wmgw_cim_proplist_dispose(&r->keys);
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_ref(&out, r, "h1"), 0);
    CHECK_STR(text(), "{\"@id\":\"/v1/hosts/h1/namespaces/root%2Fcimv2/classes/Win32_Environment/instances/@\","
                      "\"@class\":\"Win32_Environment\",\"@keys\":{}}");
    wmgw_cim_ref_free(r);
}

static void test_write_ref_key_order_is_canonical(void)
{
    struct wmgw_cim_ref *a = wmgw_cim_ref_new("root/cimv2", "C"), *b = wmgw_cim_ref_new("root/cimv2", "C");
    put(&a->keys, "b", v_int(WMGW_CIM_UINT32, 2));
    put(&a->keys, "A", v_int(WMGW_CIM_UINT32, 1));
    put(&b->keys, "A", v_int(WMGW_CIM_UINT32, 1));
    put(&b->keys, "b", v_int(WMGW_CIM_UINT32, 2));
    struct wmgw_buf x, y;
    wmgw_buf_init(&x, 4096);
    wmgw_buf_init(&y, 4096);
    CHECK_INT(wmgw_cim_json_write_ref(&x, a, "h"), 0);
    CHECK_INT(wmgw_cim_json_write_ref(&y, b, "h"), 0);
    CHECK_STR(x.data, y.data);
    CHECK(strstr(x.data, "\"@keys\":{\"A\":1,\"b\":2}") != NULL);
    wmgw_buf_dispose(&x);
    wmgw_buf_dispose(&y);
    wmgw_cim_ref_free(a);
    wmgw_cim_ref_free(b);
}

static void test_write_embedded(void)
{
    struct wmgw_cim_instance *o = wmgw_cim_instance_new("Win32_ProcessStartup", NULL);
    put(&o->props, "ShowWindow", v_int(WMGW_CIM_UINT16, 1));
    put(&o->props, "CreateFlags", v_int(WMGW_CIM_UINT32, 16));
    put(&o->props, "Ref", v_ref(service_ref(NULL, "WinRM")));
    CHECK_STR(wv(v_obj(o)), "{\"@class\":\"Win32_ProcessStartup\",\"CreateFlags\":16,\"Ref\":{\"@id\":\"/v1/hosts/h1/"
                            "namespaces/root%2Fcimv2/classes/Win32_Service/instances/Name=WinRM\",\"@class\":"
                            "\"Win32_Service\",\"@keys\":{\"Name\":\"WinRM\"}},\"ShowWindow\":1}");
}

/* --- instances out ------------------------------------------------------------------ */

static struct wmgw_cim_class *env_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Win32_Environment", "root/cimv2");
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    wmgw_cim_class_add_prop(c, "UserName", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    wmgw_cim_class_add_prop(c, "VariableValue", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_READ | WMGW_CIM_Q_WRITE;
    wmgw_cim_class_add_prop(c, "SystemVariable", WMGW_CIM_BOOLEAN);
    return c;
}

static void test_write_instance(void)
{
    struct wmgw_cim_class *c = env_class();
    struct wmgw_cim_instance *a = wmgw_cim_instance_new("Win32_Environment", "root/cimv2");
    put(&a->props, "VariableValue", v_str(WMGW_CIM_STRING, "%SystemRoot%\\TEMP"));
    put(&a->props, "Extra", v_int(WMGW_CIM_SINT32, -1));
    put(&a->props, "UserName", v_str(WMGW_CIM_STRING, "<SYSTEM>"));
    put(&a->props, "name", v_str(WMGW_CIM_STRING, "TEMP"));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, a, c, "srv1"), 0);
    CHECK_STR(text(), "{\"@id\":\"/v1/hosts/srv1/namespaces/root%2Fcimv2/classes/Win32_Environment/instances/"
                      "Name=TEMP,UserName=%3CSYSTEM%3E\",\"@class\":\"Win32_Environment\",\"@namespace\":\"root/cimv2\","
                      "\"@host\":\"srv1\",\"Name\":\"TEMP\",\"UserName\":\"<SYSTEM>\",\"VariableValue\":"
                      "\"%SystemRoot%\\\\TEMP\",\"Extra\":-1}");
    /* same instance, other insertion order: same bytes */
    struct wmgw_cim_instance *b = wmgw_cim_instance_new("Win32_Environment", "root/cimv2");
    put(&b->props, "Extra", v_int(WMGW_CIM_SINT32, -1));
    put(&b->props, "Name", v_str(WMGW_CIM_STRING, "TEMP"));
    put(&b->props, "VariableValue", v_str(WMGW_CIM_STRING, "%SystemRoot%\\TEMP"));
    put(&b->props, "UserName", v_str(WMGW_CIM_STRING, "<SYSTEM>"));
    struct wmgw_buf other;
    wmgw_buf_init(&other, 1 << 16);
    CHECK_INT(wmgw_cim_json_write_instance(&other, b, c, "srv1"), 0);
    CHECK_STR(other.data, text());
    /* without the class: instance order, no link */
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, b, NULL, "srv1"), 0);
    CHECK_STR(text(), "{\"@class\":\"Win32_Environment\",\"@namespace\":\"root/cimv2\",\"@host\":\"srv1\",\"Extra\":-1,"
                      "\"Name\":\"TEMP\",\"VariableValue\":\"%SystemRoot%\\\\TEMP\",\"UserName\":\"<SYSTEM>\"}");
    /* a missing key: no link */
    wmgw_cim_proplist_remove(&b->props, "UserName");
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, b, c, "srv1"), 0);
    CHECK(strstr(text(), "@id") == NULL);
    /* no host: no link, no @host */
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, a, c, NULL), 0);
    CHECK(strncmp(text(), "{\"@class\":\"Win32_Environment\",\"@namespace\":\"root/cimv2\",\"Name\"", 62) == 0);
    wmgw_buf_dispose(&other);
    wmgw_cim_instance_unref(a);
    wmgw_cim_instance_unref(b);
    wmgw_cim_class_free(c);
}

static void test_write_singleton(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Win32_OperatingSystemS", "root/cimv2");
    wmgw_cim_class_add_prop(c, "Caption", WMGW_CIM_STRING);
    struct wmgw_cim_instance *i = wmgw_cim_instance_new("Win32_OperatingSystemS", NULL);
    put(&i->props, "Caption", v_str(WMGW_CIM_STRING, "Windows"));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, i, c, "h"), 0);
    CHECK(strstr(text(), "@id") == NULL); /* keyless, not flagged: not addressable */
    c->flags = WMGW_CIM_Q_SINGLETON;
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, i, c, "h"), 0);
    CHECK_STR(text(), "{\"@id\":\"/v1/hosts/h/namespaces/root%2Fcimv2/classes/Win32_OperatingSystemS/instances/@\","
                      "\"@class\":\"Win32_OperatingSystemS\",\"@namespace\":\"root/cimv2\",\"@host\":\"h\","
                      "\"Caption\":\"Windows\"}");
    wmgw_cim_instance_unref(i);
    wmgw_cim_class_free(c);
}

static void test_relative_ref_uses_instance_namespace(void)
{
    struct wmgw_cim_instance *i = wmgw_cim_instance_new("Assoc", "root/other");
    put(&i->props, "Dep", v_ref(service_ref(NULL, "x")));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, i, NULL, "h"), 0);
    CHECK(strstr(text(), "\"Dep\":{\"@id\":\"/v1/hosts/h/namespaces/root%2Fother/classes/Win32_Service/") != NULL);
    wmgw_cim_instance_unref(i);
}

static void test_write_failure_restores(void)
{
    struct wmgw_cim_value bad;
    wmgw_cim_value_init_null(&bad, 77); /* no such type */
    bad.null = false;
    wmgw_buf_reset(&out);
    wmgw_buf_addstr(&out, "[1,");
    CHECK_INT(wmgw_cim_json_write_value(&out, &bad, NULL), WMGW_EINVAL);
    CHECK_STR(text(), "[1,");
    struct wmgw_cim_instance *i = wmgw_cim_instance_new("C", NULL);
    put(&i->props, "A", v_str(WMGW_CIM_STRING, "fine"));
    CHECK_INT(wmgw_cim_proplist_put(&i->props, "B", &bad), 0);
    CHECK_INT(wmgw_cim_json_write_instance(&out, i, NULL, "h"), WMGW_EINVAL);
    CHECK_STR(text(), "[1,");
    i->props.items[1].value.type = WMGW_CIM_STRING;
    i->props.items[1].value.null = true;
    wmgw_cim_instance_unref(i);
    /* too small a buffer */
    struct wmgw_buf small;
    wmgw_buf_init(&small, 16);
    struct wmgw_cim_value s = v_str(WMGW_CIM_STRING, "a string longer than sixteen");
    CHECK_INT(wmgw_cim_json_write_value(&small, &s, NULL), WMGW_ETOOBIG);
    CHECK_INT(small.len, 0);
    wmgw_cim_value_dispose(&s);
    wmgw_buf_dispose(&small);
}

static void test_depth_limit(void)
{
    struct wmgw_cim_instance *top = wmgw_cim_instance_new("N", NULL), *cur = top;
    for (int d = 0; d < WMGW_CIM_JSON_MAX_DEPTH + 2; d++) {
        struct wmgw_cim_instance *n = wmgw_cim_instance_new("N", NULL);
        put(&cur->props, "Next", v_obj(n));
        cur = n;
    }
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, top, NULL, NULL), WMGW_EINVAL);
    CHECK_INT(out.len, 0);
    wmgw_cim_instance_unref(top);
}

/* --- class schema -------------------------------------------------------------------- */

static void test_write_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Win32_Service", "root/cimv2");
    c->superclass = strdup("Win32_BaseService");
    c->flags = WMGW_CIM_Q_ABSTRACT | WMGW_CIM_Q_ASSOCIATION;
    struct wmgw_cim_propdecl *p = wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING);
    p->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    p->description = strdup("The \"name\"");
    p = wmgw_cim_class_add_prop(c, "Delay", WMGW_CIM_DATETIME);
    struct wmgw_cim_value q = v_str(WMGW_CIM_STRING, "interval");
    wmgw_cim_proplist_put(&p->qualifiers, "SubType", &q);
    p = wmgw_cim_class_add_prop(c, "Started", WMGW_CIM_DATETIME);
    p = wmgw_cim_class_add_prop(c, "Deps", WMGW_CIM_REFERENCE | WMGW_CIM_ARRAY);
    p->ref_class = strdup("Win32_Service");
    p = wmgw_cim_class_add_prop(c, "Tags", WMGW_CIM_STRING | WMGW_CIM_ARRAY);
    p->flags = WMGW_CIM_Q_WRITE | WMGW_CIM_Q_REQUIRED;
    p = wmgw_cim_class_add_prop(c, "Big", WMGW_CIM_UINT64);
    p->default_value = v_u64(UINT64_MAX);
    struct wmgw_cim_method *m = wmgw_cim_class_add_method(c, "Change");
    m->return_type = WMGW_CIM_UINT32;
    wmgw_cim_method_add_param(m, "DisplayName", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_IN;
    p = wmgw_cim_method_add_param(m, "Startup", WMGW_CIM_OBJECT);
    p->flags = WMGW_CIM_Q_IN | WMGW_CIM_Q_OUT;
    p->ref_class = strdup("object:Win32_ProcessStartup");
    wmgw_cim_method_add_param(m, "Pid", WMGW_CIM_UINT32)->flags = WMGW_CIM_Q_OUT;
    m = wmgw_cim_class_add_method(c, "Stop");
    m->flags = WMGW_CIM_Q_STATIC;
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_class(&out, c, "h 1"), 0);
    CHECK_STR(text(),
              "{\"@id\":\"/v1/hosts/h%201/namespaces/root%2Fcimv2/classes/Win32_Service\",\"@class\":\"Win32_Service\","
              "\"@namespace\":\"root/cimv2\",\"superclass\":\"Win32_BaseService\",\"description\":null,"
              "\"qualifiers\":[\"Association\",\"Abstract\"],\"properties\":{"
              "\"Name\":{\"type\":\"string\",\"key\":true,\"read\":true,\"write\":false,\"required\":false,"
              "\"description\":\"The \\\"name\\\"\"},"
              "\"Delay\":{\"type\":\"interval\",\"key\":false,\"read\":false,\"write\":false,\"required\":false,"
              "\"qualifiers\":{\"SubType\":\"interval\"}},"
              "\"Started\":{\"type\":\"datetime\",\"key\":false,\"read\":false,\"write\":false,\"required\":false},"
              "\"Deps\":{\"type\":\"ref:Win32_Service[]\",\"key\":false,\"read\":false,\"write\":false,"
              "\"required\":false,\"class\":\"Win32_Service\"},"
              "\"Tags\":{\"type\":\"string[]\",\"key\":false,\"read\":false,\"write\":true,\"required\":true},"
              "\"Big\":{\"type\":\"uint64\",\"key\":false,\"read\":false,\"write\":false,\"required\":false,"
              "\"default\":\"18446744073709551615\"}},"
              "\"methods\":{\"Change\":{\"static\":false,\"returns\":\"uint32\",\"in\":{"
              "\"DisplayName\":{\"type\":\"string\",\"required\":false},"
              "\"Startup\":{\"type\":\"object:Win32_ProcessStartup\",\"required\":false,\"class\":"
              "\"Win32_ProcessStartup\"}},\"out\":{"
              "\"Startup\":{\"type\":\"object:Win32_ProcessStartup\",\"required\":false,\"class\":"
              "\"Win32_ProcessStartup\"},\"Pid\":{\"type\":\"uint32\",\"required\":false}}},"
              "\"Stop\":{\"static\":true,\"returns\":null,\"in\":{},\"out\":{}}}}");
    json_t *j = parse_json(text());
    CHECK(j != NULL);
    /* every type string reads back with wmgw_cim_type_parse */
    const char *name;
    json_t *pj;
    json_object_foreach(json_object_get(j, "properties"), name, pj) {
        uint16_t t;
        char *rc = NULL;
        CHECK_INT(wmgw_cim_type_parse(json_string_value(json_object_get(pj, "type")), &t, &rc), 0);
        CHECK_INT(t, wmgw_cim_class_prop(c, name)->type);
        free(rc);
    }
    json_decref(j);
    wmgw_cim_class_free(c);
}

/* --- values in ------------------------------------------------------------------------- */

/* Reads JSON text as type; returns rc, message in err. */
static int rv(const char *json, uint16_t type, const char *ref_class, struct wmgw_cim_value *v)
{
    json_t *j = parse_json(json);
    wmgw_err_clear(&err);
    int rc = wmgw_cim_json_read_value(j, type, ref_class, v, &err);
    json_decref(j);
    return rc;
}

static void test_read_integer_ranges(void)
{
    static const struct {
        uint16_t type;
        const char *lo, *hi, *below, *above;
    } t[] = {
        {WMGW_CIM_SINT8, "-128", "127", "-129", "128"},
        {WMGW_CIM_UINT8, "0", "255", "-1", "256"},
        {WMGW_CIM_SINT16, "-32768", "32767", "-32769", "32768"},
        {WMGW_CIM_UINT16, "0", "65535", "-1", "65536"},
        {WMGW_CIM_SINT32, "-2147483648", "2147483647", "-2147483649", "2147483648"},
        {WMGW_CIM_UINT32, "0", "4294967295", "-1", "4294967296"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct wmgw_cim_value v;
        CHECK_INT(rv(t[i].lo, t[i].type, NULL, &v), 0);
        CHECK_INT(rv(t[i].hi, t[i].type, NULL, &v), 0);
        CHECK_INT(rv(t[i].below, t[i].type, NULL, &v), WMGW_EINVAL);
        CHECK(strstr(err.message, "out of range") != NULL);
        CHECK_INT(rv(t[i].above, t[i].type, NULL, &v), WMGW_EINVAL);
        char quoted[32];
        snprintf(quoted, sizeof(quoted), "\"%s\"", t[i].hi);
        CHECK_INT(rv(quoted, t[i].type, NULL, &v), 0); /* decimal strings too */
    }
    struct wmgw_cim_value v;
    CHECK_INT(rv("300", WMGW_CIM_UINT8, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "300 is out of range for uint8 (0..255)");
    CHECK_INT(rv("-5", WMGW_CIM_SINT8, NULL, &v), 0);
    CHECK(v.u.s == -5 && v.type == WMGW_CIM_SINT8 && !v.null);
    CHECK_INT(rv("1e3", WMGW_CIM_UINT16, NULL, &v), 0); /* integral real */
    CHECK(v.u.u == 1000);
    CHECK_INT(rv("1.5", WMGW_CIM_UINT16, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "not an integer") != NULL);
    CHECK_INT(rv("true", WMGW_CIM_UINT16, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "expected an integer (uint16)");
    static const char *bad_strings[] = {"\"\"", "\"-\"", "\"+1\"", "\" 1\"", "\"1 \"", "\"0x10\"", "\"1e3\"",
                                        "\"abc\"", "\"1.0\""};
    for (size_t i = 0; i < sizeof(bad_strings) / sizeof(bad_strings[0]); i++) {
        CHECK_INT(rv(bad_strings[i], WMGW_CIM_UINT32, NULL, &v), WMGW_EINVAL);
        CHECK(strstr(err.message, "not a decimal integer") != NULL);
    }
}

static void test_read_64bit_rule(void)
{
    struct wmgw_cim_value v;
    /* numbers up to 2^53 in magnitude */
    CHECK_INT(rv("9007199254740992", WMGW_CIM_UINT64, NULL, &v), 0);
    CHECK(v.u.u == 9007199254740992ULL);
    CHECK_INT(rv("-9007199254740992", WMGW_CIM_SINT64, NULL, &v), 0);
    CHECK(v.u.s == -9007199254740992LL);
    CHECK_INT(rv("9007199254740993", WMGW_CIM_UINT64, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "9007199254740993 is beyond 2^53") != NULL);
    CHECK(strstr(err.message, "decimal strings") != NULL);
    CHECK_INT(rv("-9007199254740993", WMGW_CIM_SINT64, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("9223372036854775807", WMGW_CIM_SINT64, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("1e17", WMGW_CIM_UINT64, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "2^53") != NULL);
    /* strings are exact */
    CHECK_INT(rv("\"9007199254740993\"", WMGW_CIM_UINT64, NULL, &v), 0);
    CHECK(v.u.u == 9007199254740993ULL);
    CHECK_INT(rv("\"18446744073709551615\"", WMGW_CIM_UINT64, NULL, &v), 0);
    CHECK(v.u.u == UINT64_MAX);
    CHECK_INT(rv("\"-9223372036854775808\"", WMGW_CIM_SINT64, NULL, &v), 0);
    CHECK(v.u.s == INT64_MIN);
    CHECK_INT(rv("\"9223372036854775807\"", WMGW_CIM_SINT64, NULL, &v), 0);
    CHECK(v.u.s == INT64_MAX);
    CHECK_INT(rv("\"-0\"", WMGW_CIM_UINT64, NULL, &v), 0);
    CHECK(v.u.u == 0);
    CHECK_INT(rv("\"18446744073709551616\"", WMGW_CIM_UINT64, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "18446744073709551616 is out of range for uint64 (0..18446744073709551615)");
    CHECK_INT(rv("\"99999999999999999999999\"", WMGW_CIM_UINT64, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("\"-9223372036854775809\"", WMGW_CIM_SINT64, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "out of range for sint64") != NULL);
    CHECK_INT(rv("\"9223372036854775808\"", WMGW_CIM_SINT64, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("\"-1\"", WMGW_CIM_UINT64, NULL, &v), WMGW_EINVAL);
    /* write -> read at the extremes */
    static const uint64_t u[] = {0, 9007199254740992ULL, 9007199254740993ULL, UINT64_MAX};
    for (size_t i = 0; i < 4; i++) {
        char json[64];
        snprintf(json, sizeof(json), "%s", wv(v_u64(u[i])));
        CHECK_INT(rv(json, WMGW_CIM_UINT64, NULL, &v), 0);
        CHECK(v.u.u == u[i]);
    }
    char json[64];
    snprintf(json, sizeof(json), "%s", wv(v_int(WMGW_CIM_SINT64, INT64_MIN)));
    CHECK_INT(rv(json, WMGW_CIM_SINT64, NULL, &v), 0);
    CHECK(v.u.s == INT64_MIN);
}

static void test_read_reals(void)
{
    struct wmgw_cim_value v;
    CHECK_INT(rv("1.5", WMGW_CIM_REAL64, NULL, &v), 0);
    CHECK(v.u.r == 1.5);
    CHECK_INT(rv("7", WMGW_CIM_REAL64, NULL, &v), 0);
    CHECK(v.u.r == 7);
    CHECK_INT(rv("-0.0", WMGW_CIM_REAL64, NULL, &v), 0);
    CHECK(v.u.r == 0 && signbit(v.u.r));
    CHECK_INT(rv("\"NaN\"", WMGW_CIM_REAL64, NULL, &v), 0);
    CHECK(isnan(v.u.r));
    CHECK_INT(rv("\"Infinity\"", WMGW_CIM_REAL32, NULL, &v), 0);
    CHECK(isinf(v.u.r) && v.u.r > 0);
    CHECK_INT(rv("\"-Infinity\"", WMGW_CIM_REAL64, NULL, &v), 0);
    CHECK(isinf(v.u.r) && v.u.r < 0);
    CHECK_INT(rv("\"nan\"", WMGW_CIM_REAL64, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("\"1.5\"", WMGW_CIM_REAL64, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("0.1", WMGW_CIM_REAL32, NULL, &v), 0);
    CHECK(v.u.r == (double)0.1f);
    CHECK_INT(rv("3.4028235e38", WMGW_CIM_REAL32, NULL, &v), 0);
    CHECK(v.u.r == (double)FLT_MAX);
    CHECK_INT(rv("3.4028235677973366e38", WMGW_CIM_REAL32, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "out of range for real32") != NULL);
    CHECK_INT(rv("-1e39", WMGW_CIM_REAL32, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("1e39", WMGW_CIM_REAL64, NULL, &v), 0);
    /* write -> read is exact */
    static const double r[] = {0.1, 1e300, -2.5e-308, 4.9406564584124654e-324, DBL_MAX, 123456789.123456789};
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
        char json[64];
        snprintf(json, sizeof(json), "%s", wv(v_real(WMGW_CIM_REAL64, r[i])));
        CHECK_INT(rv(json, WMGW_CIM_REAL64, NULL, &v), 0);
        CHECK(v.u.r == r[i]);
    }
    static const float f[] = {0.1f, FLT_MAX, FLT_MIN, 1.4e-45f, 16777217.0f, 3.14159265f};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        char json[64];
        snprintf(json, sizeof(json), "%s", wv(v_real(WMGW_CIM_REAL32, (double)f[i])));
        CHECK_INT(rv(json, WMGW_CIM_REAL32, NULL, &v), 0);
        CHECK(v.u.r == (double)f[i]);
    }
}

static void test_read_other_scalars(void)
{
    struct wmgw_cim_value v;
    CHECK_INT(rv("true", WMGW_CIM_BOOLEAN, NULL, &v), 0);
    CHECK(v.u.b);
    CHECK_INT(rv("\"true\"", WMGW_CIM_BOOLEAN, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("1", WMGW_CIM_BOOLEAN, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("\"A\"", WMGW_CIM_CHAR16, NULL, &v), 0);
    CHECK_INT(v.u.c16, 'A');
    CHECK_INT(rv("\"\xE2\x82\xAC\"", WMGW_CIM_CHAR16, NULL, &v), 0);
    CHECK_INT(v.u.c16, 0x20AC);
    CHECK_INT(rv("\"\xC3\xA9\"", WMGW_CIM_CHAR16, NULL, &v), 0);
    CHECK_INT(v.u.c16, 0xE9);
    CHECK_INT(rv("\"\\u0000\"", WMGW_CIM_CHAR16, NULL, &v), 0);
    CHECK_INT(v.u.c16, 0);
    CHECK_INT(rv("\"AB\"", WMGW_CIM_CHAR16, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "exactly one character") != NULL);
    CHECK_INT(rv("\"\"", WMGW_CIM_CHAR16, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("\"\xF0\x9F\x98\x80\"", WMGW_CIM_CHAR16, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "U+FFFF") != NULL);
    CHECK_INT(rv("65", WMGW_CIM_CHAR16, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("\"x\\u0000y\"", WMGW_CIM_STRING, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "NUL") != NULL);
    CHECK_INT(rv("5", WMGW_CIM_STRING, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "expected a string");
    CHECK_INT(rv("\"\"", WMGW_CIM_STRING, NULL, &v), 0);
    CHECK_STR(v.u.str, "");
    wmgw_cim_value_dispose(&v);
    CHECK_INT(rv("null", WMGW_CIM_STRING, NULL, &v), 0);
    CHECK(v.null && v.type == WMGW_CIM_STRING);
    CHECK_INT(rv("\"2024-01-31T23:59:59.123456-05:00\"", WMGW_CIM_DATETIME, NULL, &v), 0);
    CHECK_STR(v.u.str, "20240131235959.123456-300");
    wmgw_cim_value_dispose(&v);
    CHECK_INT(rv("\"P1DT2H3M4.5S\"", WMGW_CIM_DATETIME, NULL, &v), 0);
    CHECK_STR(v.u.str, "00000001020304.500000:000");
    wmgw_cim_value_dispose(&v);
    CHECK_INT(rv("\"19980416******.000000+***\"", WMGW_CIM_DATETIME, NULL, &v), 0);
    wmgw_cim_value_dispose(&v);
    CHECK_INT(rv("\"2023-02-29T00:00:00Z\"", WMGW_CIM_DATETIME, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "day 29") != NULL);
}

static void test_read_arrays(void)
{
    struct wmgw_cim_value v;
    CHECK_INT(rv("[1,2,3]", WMGW_CIM_UINT8 | WMGW_CIM_ARRAY, NULL, &v), 0);
    CHECK(v.u.arr.n == 3 && v.u.arr.v[2].u.u == 3 && v.u.arr.v[2].type == WMGW_CIM_UINT8);
    wmgw_cim_value_dispose(&v);
    CHECK_INT(rv("[]", WMGW_CIM_STRING | WMGW_CIM_ARRAY, NULL, &v), 0);
    CHECK(!v.null && v.u.arr.n == 0);
    wmgw_cim_value_dispose(&v);
    CHECK_INT(rv("null", WMGW_CIM_STRING | WMGW_CIM_ARRAY, NULL, &v), 0);
    CHECK(v.null);
    CHECK_INT(rv("[\"a\",null]", WMGW_CIM_STRING | WMGW_CIM_ARRAY, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "[1]: arrays cannot contain null");
    CHECK_INT(rv("[\"a\",\"b\",3]", WMGW_CIM_STRING | WMGW_CIM_ARRAY, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "[2]: expected a string");
    CHECK_INT(rv("\"a\"", WMGW_CIM_STRING | WMGW_CIM_ARRAY, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "expected an array of string");
    CHECK_INT(rv("[\"1\",\"18446744073709551615\"]", WMGW_CIM_UINT64 | WMGW_CIM_ARRAY, NULL, &v), 0);
    CHECK(v.u.arr.v[1].u.u == UINT64_MAX);
    wmgw_cim_value_dispose(&v);
}

static void test_read_references(void)
{
    struct wmgw_cim_value v;
    CHECK_INT(rv("{\"@class\":\"Win32_Service\",\"@namespace\":\"root\\\\cimv2\",\"@keys\":{\"Name\":\"WinRM\"}}",
                 WMGW_CIM_REFERENCE, "Win32_Service", &v), 0);
    CHECK_STR(v.u.ref->class_name, "Win32_Service");
    CHECK_STR(v.u.ref->namespace_, "root/cimv2");
    CHECK_STR(v.u.ref->keys.items[0].value.u.str, "WinRM");
    wmgw_cim_value_dispose(&v);
    /* class from the declaration (either spelling of ref_class) */
    CHECK_INT(rv("{\"@keys\":{\"Name\":\"WinRM\",\"N\":5,\"B\":true}}", WMGW_CIM_REFERENCE, "ref:Win32_Service", &v),
              0);
    CHECK_STR(v.u.ref->class_name, "Win32_Service");
    CHECK(v.u.ref->namespace_ == NULL);
    CHECK_INT(v.u.ref->keys.items[1].value.type, WMGW_CIM_SINT32);
    CHECK_INT(v.u.ref->keys.items[2].value.type, WMGW_CIM_BOOLEAN);
    wmgw_cim_value_dispose(&v);
    /* the @id form */
    CHECK_INT(rv("{\"@id\":\"/v1/hosts/h1/namespaces/root%2Fcimv2/classes/Win32_Service/instances/Name=WinRM\"}",
                 WMGW_CIM_REFERENCE, NULL, &v), 0);
    CHECK_STR(v.u.ref->class_name, "Win32_Service");
    CHECK_STR(v.u.ref->namespace_, "root/cimv2");
    CHECK(v.u.ref->host == NULL);
    CHECK_STR(v.u.ref->keys.items[0].value.u.str, "WinRM");
    wmgw_cim_value_dispose(&v);
    /* nested reference as a key */
    CHECK_INT(rv("{\"@class\":\"Win32_GroupUser\",\"@keys\":{\"GroupComponent\":{\"@class\":\"Win32_Group\","
                 "\"@keys\":{\"Name\":\"A\"}}}}", WMGW_CIM_REFERENCE, NULL, &v), 0);
    CHECK_INT(v.u.ref->keys.items[0].value.type, WMGW_CIM_REFERENCE);
    wmgw_cim_value_dispose(&v);
    /* errors */
    CHECK_INT(rv("{\"@keys\":{\"Name\":\"x\"}}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "needs \"@class\"") != NULL);
    CHECK_INT(rv("{\"@class\":\"C\"}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "a reference needs \"@id\" or \"@keys\"");
    CHECK_INT(rv("{\"@class\":\"C\",\"Name\":\"x\"}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "unexpected member \"Name\"") != NULL);
    CHECK_INT(rv("\"Win32_Service.Name='x'\"", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("{\"@id\":\"/v1/hosts/h1/classes/C\"}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "\"@id\": expected /v1/hosts/") != NULL);
    CHECK_INT(rv("{\"@class\":\"C\",\"@keys\":{\"K\":null}}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "K: a key value cannot be null or an array");
    CHECK_INT(rv("{\"@class\":\"C\",\"@keys\":{\"K\":[1]}}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("{\"@class\":\"C\",\"@keys\":{\"K\":1,\"k\":2}}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "twice") != NULL);
    CHECK_INT(rv("{\"@class\":\"C\",\"@keys\":{\"K x\":1}}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("{\"@class\":\"C\",\"@namespace\":\"root//x\",\"@keys\":{}}", WMGW_CIM_REFERENCE, NULL, &v),
              WMGW_EINVAL);
    CHECK_INT(rv("{\"@class\":\"1C\",\"@keys\":{}}", WMGW_CIM_REFERENCE, NULL, &v), WMGW_EINVAL);
    CHECK_INT(rv("{\"@class\":\"C\",\"@keys\":{\"K\":9007199254740993}}", WMGW_CIM_REFERENCE, NULL, &v),
              WMGW_EINVAL);
}

static void test_read_embedded(void)
{
    struct wmgw_cim_value v;
    CHECK_INT(rv("{\"@class\":\"Win32_ProcessStartup\",\"ShowWindow\":1,\"Title\":\"t\",\"Big\":5000000000,"
                 "\"R\":1.5,\"B\":false,\"N\":null,\"Env\":[\"A=1\",\"B=2\"],\"Nums\":[1,2.5],\"Ints\":[1,5000000000],"
                 "\"Empty\":[],\"Ref\":{\"@id\":\"/v1/hosts/h/namespaces/root/classes/C/instances/@\"},"
                 "\"Sub\":{\"@class\":\"S\",\"X\":1}}",
                 WMGW_CIM_OBJECT, "object:Win32_ProcessStartup", &v), 0);
    const struct wmgw_cim_instance *o = v.u.obj;
    CHECK_STR(o->class_name, "Win32_ProcessStartup");
    CHECK_INT(wmgw_cim_instance_get(o, "ShowWindow")->type, WMGW_CIM_SINT32);
    CHECK_INT(wmgw_cim_instance_get(o, "Big")->type, WMGW_CIM_SINT64);
    CHECK_INT(wmgw_cim_instance_get(o, "R")->type, WMGW_CIM_REAL64);
    CHECK_INT(wmgw_cim_instance_get(o, "B")->type, WMGW_CIM_BOOLEAN);
    CHECK(wmgw_cim_instance_get(o, "N")->null);
    CHECK_INT(wmgw_cim_instance_get(o, "Env")->type, WMGW_CIM_STRING | WMGW_CIM_ARRAY);
    CHECK_INT(wmgw_cim_instance_get(o, "Nums")->type, WMGW_CIM_REAL64 | WMGW_CIM_ARRAY);
    CHECK(wmgw_cim_instance_get(o, "Nums")->u.arr.v[0].u.r == 1.0);
    CHECK_INT(wmgw_cim_instance_get(o, "Ints")->type, WMGW_CIM_SINT64 | WMGW_CIM_ARRAY);
    CHECK_INT(wmgw_cim_instance_get(o, "Empty")->u.arr.n, 0);
    CHECK_INT(wmgw_cim_instance_get(o, "Ref")->type, WMGW_CIM_REFERENCE);
    CHECK_INT(wmgw_cim_instance_get(o, "Sub")->type, WMGW_CIM_OBJECT);
    CHECK_STR(o->props.items[0].name, "ShowWindow"); /* JSON member order */
    wmgw_cim_value_dispose(&v);
    CHECK_INT(rv("{\"X\":1}", WMGW_CIM_OBJECT, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "an embedded object needs \"@class\"");
    CHECK_INT(rv("{\"@class\":\"S\",\"Tags\":[\"a\",null]}", WMGW_CIM_OBJECT, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "Tags[1]: arrays cannot contain null or arrays");
    CHECK_INT(rv("{\"@class\":\"S\",\"Tags\":[\"a\",1]}", WMGW_CIM_OBJECT, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "Tags: array elements must all have the same type");
    CHECK_INT(rv("{\"@class\":\"S\",\"Sub\":{\"Y\":1}}", WMGW_CIM_OBJECT, NULL, &v), WMGW_EINVAL);
    CHECK_STR(err.message, "Sub: an embedded object needs \"@class\"");
    CHECK_INT(rv("[1]", WMGW_CIM_OBJECT, NULL, &v), WMGW_EINVAL);
    /* depth limit */
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 16);
    for (int i = 0; i < WMGW_CIM_JSON_MAX_DEPTH + 2; i++)
        wmgw_buf_addstr(&b, "{\"@class\":\"N\",\"X\":");
    wmgw_buf_addstr(&b, "1");
    for (int i = 0; i < WMGW_CIM_JSON_MAX_DEPTH + 2; i++)
        wmgw_buf_addc(&b, '}');
    CHECK_INT(rv(b.data, WMGW_CIM_OBJECT, NULL, &v), WMGW_EINVAL);
    CHECK(strstr(err.message, "nested more than") != NULL);
    wmgw_buf_dispose(&b);
}

/* --- instances and parameters in -------------------------------------------------------- */

static void test_read_instance(void)
{
    struct wmgw_cim_class *c = env_class();
    wmgw_cim_class_add_prop(c, "PUint8", WMGW_CIM_UINT8);
    wmgw_cim_class_add_prop(c, "PObject", WMGW_CIM_OBJECT)->ref_class = strdup("Tagged");
    json_t *j = parse_json("{\"@id\":\"whatever\",\"@class\":\"Ignored\",\"variablevalue\":\"v\",\"NAME\":\"n\","
                           "\"SystemVariable\":null}");
    struct wmgw_cim_instance *i = NULL;
    CHECK_INT(wmgw_cim_json_read_instance(j, c, &i, &err), 0);
    json_decref(j);
    CHECK(i != NULL);
    if (i != NULL) {
        CHECK_STR(i->class_name, "Win32_Environment");
        CHECK_STR(i->namespace_, "root/cimv2");
        CHECK_INT(i->props.n, 3); /* only what was given */
        CHECK_STR(i->props.items[0].name, "Name"); /* class order and spelling */
        CHECK_STR(i->props.items[1].name, "VariableValue");
        CHECK_STR(i->props.items[2].name, "SystemVariable");
        CHECK(i->props.items[2].value.null && i->props.items[2].value.type == WMGW_CIM_BOOLEAN);
        wmgw_cim_instance_unref(i);
    }
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"Nope\":1}", "Nope: class Win32_Environment has no property or parameter of this name"},
        {"{\"PUint8\":300}", "PUint8: 300 is out of range for uint8 (0..255)"},
        {"{\"Name\":\"a\",\"name\":\"b\"}", "Name: given twice (names are case-insensitive)"},
        {"{\"SystemVariable\":\"yes\"}", "SystemVariable: expected true or false"},
        {"{\"PObject\":{\"Tags\":[\"a\",[1]]}}", "PObject.Tags[1]: arrays cannot contain null or arrays"},
        {"[1]", "expected a JSON object (an instance of Win32_Environment)"},
        {"{\"N\\u0001x\":1}", "N?x: class Win32_Environment has no property or parameter of this name"},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        j = parse_json(bad[k].json);
        i = (struct wmgw_cim_instance *)1;
        wmgw_err_clear(&err);
        CHECK_INT(wmgw_cim_json_read_instance(j, c, &i, &err), WMGW_EINVAL);
        CHECK(i == NULL);
        CHECK_STR(err.message, bad[k].msg);
        json_decref(j);
    }
    wmgw_cim_class_free(c);
}

static void test_read_params(void)
{
    struct wmgw_cim_method m = {0};
    m.name = "Create";
    wmgw_cim_method_add_param(&m, "CommandLine", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_IN | WMGW_CIM_Q_REQUIRED;
    wmgw_cim_method_add_param(&m, "CurrentDirectory", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_IN;
    wmgw_cim_method_add_param(&m, "ProcessId", WMGW_CIM_UINT32)->flags = WMGW_CIM_Q_OUT;
    wmgw_cim_method_add_param(&m, "Flags", WMGW_CIM_UINT32); /* no direction: an input */
    struct wmgw_cim_proplist l = {0};
    json_t *j = parse_json("{\"Flags\":3,\"commandline\":\"notepad.exe\"}");
    CHECK_INT(wmgw_cim_json_read_params(j, &m, &l, &err), 0);
    json_decref(j);
    CHECK_INT(l.n, 2);
    CHECK_STR(l.items[0].name, "CommandLine");
    CHECK_STR(l.items[1].name, "Flags");
    wmgw_cim_proplist_dispose(&l);
    j = parse_json("{\"ProcessId\":1,\"CommandLine\":\"x\"}");
    CHECK_INT(wmgw_cim_json_read_params(j, &m, &l, &err), WMGW_EINVAL);
    CHECK_STR(err.message, "ProcessId: is an output parameter of method Create, not an input");
    json_decref(j);
    j = parse_json("{}");
    CHECK_INT(wmgw_cim_json_read_params(j, &m, &l, &err), WMGW_EINVAL);
    CHECK_STR(err.message, "missing required parameter CommandLine of method Create");
    json_decref(j);
    j = parse_json("{\"CommandLine\":\"x\",\"Bogus\":1}");
    CHECK_INT(wmgw_cim_json_read_params(j, &m, &l, &err), WMGW_EINVAL);
    CHECK_STR(err.message, "Bogus: method Create has no property or parameter of this name");
    json_decref(j);
    CHECK_INT(l.n, 0);
    for (size_t k = 0; k < m.nparams; k++)
        wmgw_cim_propdecl_dispose(&m.params[k]);
    free(m.params);
}

/* --- every type, write -> read -> write ------------------------------------------------------ */

static struct wmgw_cim_value e_dt(size_t i)
{
    return v_str(WMGW_CIM_DATETIME, i ? "00000001020304.500000:000" : "20240229235959.000001+000");
}

static struct wmgw_cim_value e_ref(size_t i)
{
    return v_ref(service_ref(i ? "root/cimv2" : NULL, i ? "a\"b" : "WinRM"));
}

static struct wmgw_cim_value e_real(size_t i)
{
    return v_real(WMGW_CIM_REAL64, i ? -1e-300 : NAN);
}

static struct wmgw_cim_class *all_class(void)
{
    static const struct {
        const char *name;
        uint16_t type;
    } p[] = {{"PBool", WMGW_CIM_BOOLEAN}, {"PSint8", WMGW_CIM_SINT8},   {"PUint8", WMGW_CIM_UINT8},
             {"PSint16", WMGW_CIM_SINT16}, {"PUint16", WMGW_CIM_UINT16}, {"PSint32", WMGW_CIM_SINT32},
             {"PUint32", WMGW_CIM_UINT32}, {"PSint64", WMGW_CIM_SINT64}, {"PUint64", WMGW_CIM_UINT64},
             {"PReal32", WMGW_CIM_REAL32}, {"PReal64", WMGW_CIM_REAL64}, {"PChar16", WMGW_CIM_CHAR16},
             {"PString", WMGW_CIM_STRING}, {"PDatetime", WMGW_CIM_DATETIME}, {"PRef", WMGW_CIM_REFERENCE},
             {"PObject", WMGW_CIM_OBJECT}};
    struct wmgw_cim_class *c = wmgw_cim_class_new("Test_All", "root/test");
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        struct wmgw_cim_propdecl *d = wmgw_cim_class_add_prop(c, p[i].name, p[i].type);
        if (p[i].type == WMGW_CIM_REFERENCE)
            d->ref_class = strdup("Win32_Service");
        if (p[i].type == WMGW_CIM_OBJECT)
            d->ref_class = strdup("Embedded");
        char an[64];
        snprintf(an, sizeof(an), "%sArr", p[i].name);
        d = wmgw_cim_class_add_prop(c, an, p[i].type | WMGW_CIM_ARRAY);
        if (p[i].type == WMGW_CIM_REFERENCE)
            d->ref_class = strdup("Win32_Service");
    }
    c->props[14].flags = WMGW_CIM_Q_KEY; /* PSint64 (scalars and arrays alternate) */
    c->props[24].flags = WMGW_CIM_Q_KEY; /* PString */
    return c;
}

static void test_every_type_round_trip(void)
{
    struct wmgw_cim_class *c = all_class();
    struct wmgw_cim_instance *i = wmgw_cim_instance_new("Test_All", "root/test");
    struct wmgw_cim_proplist *l = &i->props;
    put(l, "PBool", v_bool(true));
    put(l, "PSint8", v_int(WMGW_CIM_SINT8, -128));
    put(l, "PUint8", v_int(WMGW_CIM_UINT8, 255));
    put(l, "PSint16", v_int(WMGW_CIM_SINT16, -32768));
    put(l, "PUint16", v_int(WMGW_CIM_UINT16, 65535));
    put(l, "PSint32", v_int(WMGW_CIM_SINT32, INT32_MIN));
    put(l, "PUint32", v_int(WMGW_CIM_UINT32, UINT32_MAX));
    put(l, "PSint64", v_int(WMGW_CIM_SINT64, INT64_MIN));
    put(l, "PUint64", v_u64(UINT64_MAX));
    put(l, "PReal32", v_real(WMGW_CIM_REAL32, (double)FLT_MAX));
    put(l, "PReal64", v_real(WMGW_CIM_REAL64, -INFINITY));
    put(l, "PChar16", v_c16(0xFFFF));
    put(l, "PString", v_str(WMGW_CIM_STRING, "line\nquote\" \xE2\x82\xAC"));
    put(l, "PDatetime", v_str(WMGW_CIM_DATETIME, "20240131235959.123456-300"));
    put(l, "PRef", v_ref(service_ref("root/cimv2", "WinRM")));
    struct wmgw_cim_instance *o = wmgw_cim_instance_new("Embedded", NULL);
    put(&o->props, "Z", v_str(WMGW_CIM_STRING, "last"));
    put(&o->props, "A", v_int(WMGW_CIM_SINT32, 7));
    put(l, "PObject", v_obj(o));
    put(l, "PUint64Arr", v_arr(WMGW_CIM_UINT64, 2, elem_u64));
    put(l, "PStringArr", v_arr(WMGW_CIM_STRING, 2, elem_str));
    put(l, "PUint8Arr", v_arr(WMGW_CIM_UINT8, 0, elem_u8));
    put(l, "PDatetimeArr", v_arr(WMGW_CIM_DATETIME, 2, e_dt));
    put(l, "PRefArr", v_arr(WMGW_CIM_REFERENCE, 2, e_ref));
    put(l, "PReal64Arr", v_arr(WMGW_CIM_REAL64, 2, e_real));
    struct wmgw_cim_value n;
    wmgw_cim_value_init_null(&n, WMGW_CIM_CHAR16 | WMGW_CIM_ARRAY);
    put(l, "PChar16Arr", n);

    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_json_write_instance(&out, i, c, "host-1"), 0);
    CHECK(strstr(text(), "\"@id\":\"/v1/hosts/host-1/namespaces/root%2Ftest/classes/Test_All/instances/"
                         "PSint64=-9223372036854775808,PString=line%0Aquote%22%20%E2%82%AC\"") != NULL);
    CHECK(strstr(text(), "\"PObject\":{\"@class\":\"Embedded\",\"A\":7,\"Z\":\"last\"}") != NULL);
    CHECK(strstr(text(), "\"PReal32\":3.4028235e+38,\"PReal32Arr\"") == NULL); /* arrays follow their scalar */
    json_t *j = parse_json(text());
    CHECK(j != NULL);
    struct wmgw_cim_instance *back = NULL;
    wmgw_err_clear(&err);
    CHECK_INT(wmgw_cim_json_read_instance(j, c, &back, &err), 0);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    json_decref(j);
    CHECK(back != NULL);
    if (back == NULL)
        return;
    CHECK_INT(back->props.n, i->props.n);
    for (size_t k = 0; k < i->props.n; k++) {
        const struct wmgw_cim_prop *p = &i->props.items[k];
        const struct wmgw_cim_value *b = wmgw_cim_instance_get(back, p->name);
        uint16_t base = WMGW_CIM_BASETYPE(p->value.type);
        if (base == WMGW_CIM_OBJECT || base == WMGW_CIM_REFERENCE)
            continue; /* compared through the bytes below */
        bool same = b != NULL && wmgw_cim_value_equal(&p->value, b);
        if (b != NULL && !same && base == WMGW_CIM_DATETIME)
            same = same_instants(&p->value, b); /* written in UTC: the offset may change */
        if (!same)
            fprintf(stderr, "property %s differs\n", p->name);
        CHECK(same);
    }
    CHECK(wmgw_cim_ref_equal(wmgw_cim_instance_get(i, "PRef")->u.ref, wmgw_cim_instance_get(back, "PRef")->u.ref));
    struct wmgw_buf again;
    wmgw_buf_init(&again, 1 << 20);
    CHECK_INT(wmgw_cim_json_write_instance(&again, back, c, "host-1"), 0);
    CHECK_STR(again.data, text());
    wmgw_buf_dispose(&again);
    wmgw_cim_instance_unref(back);
    wmgw_cim_instance_unref(i);
    wmgw_cim_class_free(c);
}

/* Datetime values (or arrays of them) naming the same instants. */
static bool same_instants(const struct wmgw_cim_value *a, const struct wmgw_cim_value *b)
{
    struct wmgw_buf x, y;
    wmgw_buf_init(&x, 1 << 16);
    wmgw_buf_init(&y, 1 << 16);
    bool ok = wmgw_cim_json_write_value(&x, a, "h") == 0 && wmgw_cim_json_write_value(&y, b, "h") == 0 && x.len == y.len &&
              memcmp(x.data, y.data, x.len) == 0;
    wmgw_buf_dispose(&x);
    wmgw_buf_dispose(&y);
    return ok;
}

int main(void)
{
    wmgw_buf_init(&out, 1 << 20);
    WMGW_TEST_RUN(test_string_escaping);
    WMGW_TEST_RUN(test_string_invalid_utf8);
    WMGW_TEST_RUN(test_string_restores_buffer);
    WMGW_TEST_RUN(test_write_integers);
    WMGW_TEST_RUN(test_write_reals);
    WMGW_TEST_RUN(test_write_other_scalars);
    WMGW_TEST_RUN(test_write_arrays);
    WMGW_TEST_RUN(test_write_ref);
    WMGW_TEST_RUN(test_write_ref_key_order_is_canonical);
    WMGW_TEST_RUN(test_write_embedded);
    WMGW_TEST_RUN(test_write_instance);
    WMGW_TEST_RUN(test_write_singleton);
    WMGW_TEST_RUN(test_relative_ref_uses_instance_namespace);
    WMGW_TEST_RUN(test_write_failure_restores);
    WMGW_TEST_RUN(test_depth_limit);
    WMGW_TEST_RUN(test_write_class);
    WMGW_TEST_RUN(test_read_integer_ranges);
    WMGW_TEST_RUN(test_read_64bit_rule);
    WMGW_TEST_RUN(test_read_reals);
    WMGW_TEST_RUN(test_read_other_scalars);
    WMGW_TEST_RUN(test_read_arrays);
    WMGW_TEST_RUN(test_read_references);
    WMGW_TEST_RUN(test_read_embedded);
    WMGW_TEST_RUN(test_read_instance);
    WMGW_TEST_RUN(test_read_params);
    WMGW_TEST_RUN(test_every_type_round_trip);
    wmgw_buf_dispose(&out);
    return WMGW_TEST_DONE();
}
