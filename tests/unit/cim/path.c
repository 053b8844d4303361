/*
 * path.c: tests for cim/path.c: {keys} segments (typed and untyped, the
 * singleton "@", bare values, canonical order), namespace segments and
 * REST URLs, with round trips and malformed input.
 */
#include "cim/path.h"
#include "cim/datetime.h"
#include "util/buf.h"
#include "util/err.h"

#include <math.h>

#include "../test.h"

static struct wmgw_buf out;
static struct wmgw_err err;

static const char *text(void)
{
    return out.data != NULL ? out.data : "";
}

static struct wmgw_cim_value sval(const char *s)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
    wmgw_cim_value_set_string(&v, strdup(s));
    return v;
}

static void put(struct wmgw_cim_ref *r, const char *name, struct wmgw_cim_value v)
{
    CHECK_INT(wmgw_cim_proplist_put(&r->keys, name, &v), 0);
}

static struct wmgw_cim_value ival(uint16_t type, long long x)
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

static struct wmgw_cim_class *env_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Win32_Environment", "root/cimv2");
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY;
    wmgw_cim_class_add_prop(c, "VariableValue", WMGW_CIM_STRING);
    wmgw_cim_class_add_prop(c, "UserName", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY;
    return c;
}

/* A class with a key of every type that can be a key. */
static struct wmgw_cim_class *typed_class(void)
{
    static const struct {
        const char *name;
        uint16_t type;
    } k[] = {{"KBool", WMGW_CIM_BOOLEAN}, {"KS8", WMGW_CIM_SINT8},    {"KU8", WMGW_CIM_UINT8},
             {"KS16", WMGW_CIM_SINT16},   {"KU16", WMGW_CIM_UINT16},  {"KS32", WMGW_CIM_SINT32},
             {"KU32", WMGW_CIM_UINT32},   {"KS64", WMGW_CIM_SINT64},  {"KU64", WMGW_CIM_UINT64},
             {"KR32", WMGW_CIM_REAL32},   {"KR64", WMGW_CIM_REAL64},  {"KC16", WMGW_CIM_CHAR16},
             {"KStr", WMGW_CIM_STRING},   {"KDt", WMGW_CIM_DATETIME}, {"KRef", WMGW_CIM_REFERENCE}};
    struct wmgw_cim_class *c = wmgw_cim_class_new("Test_Keys", "root/test");
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        wmgw_cim_class_add_prop(c, k[i].name, k[i].type)->flags = WMGW_CIM_Q_KEY;
    wmgw_cim_class_add_prop(c, "Other", WMGW_CIM_STRING);
    return c;
}

static struct wmgw_cim_ref *typed_ref(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/test", "Test_Keys");
    struct wmgw_cim_value v;
    v = ival(WMGW_CIM_BOOLEAN, 0);
    v.u.b = true;
    put(r, "KBool", v);
    put(r, "KS8", ival(WMGW_CIM_SINT8, -128));
    put(r, "KU8", ival(WMGW_CIM_UINT8, 255));
    put(r, "KS16", ival(WMGW_CIM_SINT16, -32768));
    put(r, "KU16", ival(WMGW_CIM_UINT16, 65535));
    put(r, "KS32", ival(WMGW_CIM_SINT32, INT32_MIN));
    put(r, "KU32", ival(WMGW_CIM_UINT32, UINT32_MAX));
    put(r, "KS64", ival(WMGW_CIM_SINT64, INT64_MIN));
    v = ival(WMGW_CIM_UINT64, 0);
    v.u.u = UINT64_MAX;
    put(r, "KU64", v);
    v = ival(WMGW_CIM_REAL32, 0);
    v.u.r = (double)3.4028234663852886e38f;
    put(r, "KR32", v);
    v = ival(WMGW_CIM_REAL64, 0);
    v.u.r = -1.5e-300;
    put(r, "KR64", v);
    v = ival(WMGW_CIM_CHAR16, 0);
    v.u.c16 = 0x20AC; /* euro sign */
    put(r, "KC16", v);
    put(r, "KStr", sval("a,b=c%d \"q\" \\ /é"));
    v = sval("20240131235959.123456-300");
    v.type = WMGW_CIM_DATETIME;
    put(r, "KDt", v);
    struct wmgw_cim_ref *inner = wmgw_cim_ref_new("root/cimv2", "Win32_Group");
    put(inner, "Name", sval("Administrators"));
    put(inner, "Domain", sval("HOST\\\"x\""));
    v = ival(WMGW_CIM_REFERENCE, 0);
    v.u.ref = inner;
    put(r, "KRef", v);
    return r;
}

/* --- {keys} ------------------------------------------------------------------ */

static void test_format_keys_examples(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/cimv2", "Win32_Environment");
    put(r, "UserName", sval("NT AUTHORITY\\SYSTEM"));
    put(r, "Name", sval("WinRM"));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), 0);
    CHECK_STR(text(), "Name=WinRM,UserName=NT%20AUTHORITY%5CSYSTEM"); /* sorted */
    wmgw_cim_proplist_dispose(&r->keys);
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), 0);
    CHECK_STR(text(), "@");
    put(r, "Name", sval(""));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), 0);
    CHECK_STR(text(), "Name=");
    wmgw_cim_ref_free(r);
}

static void test_format_keys_typed(void)
{
    struct wmgw_cim_ref *r = typed_ref();
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), 0);
    CHECK_STR(text(), "KBool=true,KC16=%E2%82%AC,KDt=20240131235959.123456-300,KR32=3.4028235e%2B38,KR64=-1.5e-300,"
                      "KRef=root%5Ccimv2%3AWin32_Group.Domain%3D%22HOST%5C%5C%5C%22x%5C%22%22%2CName%3D%22Administrators%22,"
                      "KS16=-32768,KS32=-2147483648,"
                      "KS64=-9223372036854775808,KS8=-128,KStr=a%2Cb%3Dc%25d%20%22q%22%20%5C%20%2F%C3%A9,"
                      "KU16=65535,KU32=4294967295,KU64=18446744073709551615,KU8=255");
    wmgw_cim_ref_free(r);
}

static void test_format_keys_rejects(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(NULL, "C");
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
    put(r, "Name", v);
    wmgw_buf_reset(&out);
    wmgw_buf_addstr(&out, "keep");
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), WMGW_EINVAL); /* null key */
    CHECK_STR(text(), "keep");
    wmgw_cim_proplist_dispose(&r->keys);
    put(r, "Bad Name", sval("x"));
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), WMGW_EINVAL);
    wmgw_cim_proplist_dispose(&r->keys);
    put(r, "A", sval("x"));
    wmgw_cim_proplist_add(&r->keys, "a", WMGW_CIM_STRING); /* duplicate by case */
    wmgw_cim_value_set_string(&r->keys.items[1].value, strdup("y"));
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), WMGW_EINVAL);
    CHECK_STR(text(), "keep");
    wmgw_cim_ref_free(r);
}

static int parse_keys(const char *seg, const struct wmgw_cim_class *cls, struct wmgw_cim_ref *r)
{
    wmgw_err_clear(&err);
    return wmgw_cim_path_parse_keys(seg, strlen(seg), cls, r, &err);
}

static void test_parse_keys_untyped(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(NULL, "Win32_Environment");
    CHECK_INT(parse_keys("UserName=NT%20AUTHORITY%5CSYSTEM,Name=WinRM", NULL, r), 0);
    CHECK_INT(r->keys.n, 2);
    CHECK_STR(r->keys.items[0].name, "UserName"); /* input order without a class */
    CHECK_STR(r->keys.items[0].value.u.str, "NT AUTHORITY\\SYSTEM");
    CHECK_INT(r->keys.items[1].value.type, WMGW_CIM_STRING);
    CHECK_INT(parse_keys("@", NULL, r), 0);
    CHECK_INT(r->keys.n, 0);
    CHECK_INT(parse_keys("Name=,X=%2C%3D", NULL, r), 0);
    CHECK_STR(r->keys.items[0].value.u.str, "");
    CHECK_STR(r->keys.items[1].value.u.str, ",=");
    CHECK_INT(parse_keys("WinRM", NULL, r), WMGW_EINVAL); /* bare value needs the class */
    CHECK_INT(r->keys.n, 2); /* unchanged on failure */
    wmgw_cim_ref_free(r);
}

static void test_parse_keys_with_class(void)
{
    struct wmgw_cim_class *c = env_class();
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(NULL, "Win32_Environment");
    CHECK_INT(parse_keys("username=%3CSYSTEM%3E,NAME=TEMP", c, r), 0);
    CHECK_INT(r->keys.n, 2);
    CHECK_STR(r->keys.items[0].name, "Name"); /* class order and spelling */
    CHECK_STR(r->keys.items[0].value.u.str, "TEMP");
    CHECK_STR(r->keys.items[1].name, "UserName");
    CHECK_STR(r->keys.items[1].value.u.str, "<SYSTEM>");
    CHECK_INT(parse_keys("Name=TEMP", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "missing key UserName") != NULL);
    CHECK_INT(parse_keys("Name=TEMP,UserName=x,Foo=1", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "no property Foo") != NULL);
    CHECK_INT(parse_keys("Name=TEMP,UserName=x,VariableValue=1", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "VariableValue is not a key") != NULL);
    CHECK_INT(parse_keys("Name=TEMP,name=x", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "twice") != NULL);
    CHECK_INT(parse_keys("@", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "singletons") != NULL);
    CHECK_INT(parse_keys("TEMP", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "2 keys") != NULL);
    CHECK_STR(r->keys.items[0].value.u.str, "TEMP"); /* unchanged */
    wmgw_cim_ref_free(r);
    wmgw_cim_class_free(c);
}

static void test_bare_value_and_singleton(void)
{
    struct wmgw_cim_class *svc = wmgw_cim_class_new("Win32_Service", "root/cimv2");
    wmgw_cim_class_add_prop(svc, "Name", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY;
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(NULL, "Win32_Service");
    CHECK_INT(parse_keys("WinRM", svc, r), 0);
    CHECK_INT(r->keys.n, 1);
    CHECK_STR(r->keys.items[0].name, "Name");
    CHECK_STR(r->keys.items[0].value.u.str, "WinRM");
    CHECK_INT(parse_keys("%40", svc, r), 0); /* an encoded '@' is a value */
    CHECK_STR(r->keys.items[0].value.u.str, "@");
    CHECK_INT(parse_keys("a,b", svc, r), 0);
    CHECK_STR(r->keys.items[0].value.u.str, "a,b");
    CHECK_INT(parse_keys("Name=x%3Dy", svc, r), 0);
    CHECK_STR(r->keys.items[0].value.u.str, "x=y");
    struct wmgw_cim_class *os = wmgw_cim_class_new("Win32_OperatingSystemX", "root/cimv2");
    os->flags = WMGW_CIM_Q_SINGLETON;
    wmgw_cim_class_add_prop(os, "Caption", WMGW_CIM_STRING);
    CHECK_INT(parse_keys("@", os, r), 0);
    CHECK_INT(r->keys.n, 0);
    CHECK_INT(parse_keys("Caption=x", os, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "singleton") != NULL);
    wmgw_cim_ref_free(r);
    wmgw_cim_class_free(svc);
    wmgw_cim_class_free(os);
}

static void test_parse_keys_malformed(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(NULL, "C");
    static const char *bad[] = {"",           "=x",         "Name",     "Name=a=b",  "Name=a,",   ",Name=a",
                                "Name=%",     "Name=%4",    "Name=%ZZ", "Name=%00",  "Na%20me=x", "1Name=x",
                                "Name=%FF",   "Name=%C0%80", "A=1,,B=2", "A=1,a=2",  "N%3Dx=1",   "Name=@,@"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse_keys(bad[i], NULL, r);
        if (rc == 0)
            fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
        CHECK(rc == WMGW_EINVAL);
        CHECK(err.message[0] != '\0');
    }
    /* key count and length limits */
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    for (int i = 0; i <= WMGW_CIM_PATH_MAX_KEYS; i++)
        wmgw_buf_printf(&b, "%sK%d=%d", i ? "," : "", i, i);
    CHECK_INT(wmgw_cim_path_parse_keys(b.data, b.len, NULL, r, &err), WMGW_ETOOBIG);
    wmgw_buf_reset(&b);
    wmgw_buf_addstr(&b, "Name=");
    while (b.len <= WMGW_CIM_PATH_MAX_LEN)
        wmgw_buf_addc(&b, 'x');
    CHECK_INT(wmgw_cim_path_parse_keys(b.data, b.len, NULL, r, &err), WMGW_ETOOBIG);
    /* len bounds the read */
    CHECK_INT(wmgw_cim_path_parse_keys("Name=ab%41", 8, NULL, r, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_cim_path_parse_keys("Name=abcdef", 7, NULL, r, &err), 0);
    CHECK_STR(r->keys.items[0].value.u.str, "ab");
    wmgw_buf_dispose(&b);
    wmgw_cim_ref_free(r);
}

static void test_typed_round_trip(void)
{
    struct wmgw_cim_class *c = typed_class();
    struct wmgw_cim_ref *r = typed_ref(), *back = wmgw_cim_ref_new("root/test", "Test_Keys");
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_keys(&out, r), 0);
    CHECK_INT(parse_keys(text(), c, back), 0);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    CHECK_INT(back->keys.n, 15);
    for (size_t i = 0; i < r->keys.n; i++) {
        const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(&back->keys, r->keys.items[i].name);
        CHECK(p != NULL && wmgw_cim_value_equal(&p->value, &r->keys.items[i].value));
    }
    CHECK(wmgw_cim_ref_equal(r, back));
    struct wmgw_buf again;
    wmgw_buf_init(&again, 1 << 16);
    CHECK_INT(wmgw_cim_path_format_keys(&again, back), 0);
    CHECK_STR(again.data, text());
    wmgw_buf_dispose(&again);
    wmgw_cim_ref_free(back);
    wmgw_cim_ref_free(r);
    wmgw_cim_class_free(c);
}

static void test_typed_conversion_errors(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("T", "root");
    wmgw_cim_class_add_prop(c, "PUint8", WMGW_CIM_UINT8)->flags = WMGW_CIM_Q_KEY;
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(NULL, "T");
    CHECK_INT(parse_keys("PUint8=300", c, r), WMGW_EINVAL);
    CHECK_STR(err.message, "key PUint8: \"300\" is not a valid uint8 (0..255)");
    CHECK_INT(parse_keys("PUint8=-1", c, r), WMGW_EINVAL);
    CHECK_INT(parse_keys("PUint8=abc", c, r), WMGW_EINVAL);
    CHECK_INT(parse_keys("PUint8=255", c, r), 0);
    CHECK_INT(r->keys.items[0].value.u.u, 255);
    c->props[0].type = WMGW_CIM_DATETIME;
    CHECK_INT(parse_keys("PUint8=2024-02-30T00:00:00Z", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "key PUint8: day 30") != NULL);
    CHECK_INT(parse_keys("PUint8=2024-02-29T00:00:00Z", c, r), 0);
    CHECK_STR(r->keys.items[0].value.u.str, "20240229000000.000000+000");
    c->props[0].type = WMGW_CIM_REFERENCE;
    CHECK_INT(parse_keys("PUint8=Win32_Service", c, r), WMGW_EINVAL);
    CHECK(strstr(err.message, "key PUint8: WMI object path") != NULL);
    c->props[0].type = WMGW_CIM_STRING | WMGW_CIM_ARRAY;
    CHECK_INT(parse_keys("PUint8=x", c, r), WMGW_EINVAL);
    wmgw_cim_ref_free(r);
    wmgw_cim_class_free(c);
}

/* --- namespace ---------------------------------------------------------------- */

static void test_namespace(void)
{
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_namespace(&out, "root/cimv2"), 0);
    CHECK_STR(text(), "root%2Fcimv2");
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_namespace(&out, "root\\Microsoft\\Windows\\Storage"), 0);
    CHECK_STR(text(), "root%2FMicrosoft%2FWindows%2FStorage");
    char *ns = NULL;
    CHECK_INT(wmgw_cim_path_parse_namespace("root%2Fcimv2", 12, &ns, &err), 0);
    CHECK_STR(ns, "root/cimv2");
    free(ns);
    CHECK_INT(wmgw_cim_path_parse_namespace("root%5Cms_409", 13, &ns, &err), 0);
    CHECK_STR(ns, "root/ms_409");
    free(ns);
    CHECK_INT(wmgw_cim_path_parse_namespace("root", 4, &ns, &err), 0);
    CHECK_STR(ns, "root");
    free(ns);
    static const char *bad[] = {"", "%2Froot", "root%2F", "root%2F%2Fcimv2", "root%2Fci%20mv2", "root%00",
                                "root%2", "ro.ot", "root:x", "%2F"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ns = NULL;
        CHECK_INT(wmgw_cim_path_parse_namespace(bad[i], strlen(bad[i]), &ns, &err), WMGW_EINVAL);
        CHECK(ns == NULL);
    }
}

/* --- URL ------------------------------------------------------------------------ */

static void test_url(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/cimv2", "Win32_Environment");
    put(r, "Name", sval("TEMP"));
    put(r, "UserName", sval("<SYSTEM>"));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_url(&out, "srv 01.example", r), 0);
    CHECK_STR(text(), "/v1/hosts/srv%2001.example/namespaces/root%2Fcimv2/classes/Win32_Environment/instances/"
                      "Name=TEMP,UserName=%3CSYSTEM%3E");
    struct wmgw_cim_ref *back = NULL;
    CHECK_INT(wmgw_cim_path_parse_url(out.data, out.len, &back, &err), 0);
    CHECK(back != NULL && wmgw_cim_ref_equal(r, back));
    CHECK_STR(back->host, "srv 01.example");
    CHECK_STR(back->namespace_, "root/cimv2");
    CHECK_STR(back->class_name, "Win32_Environment");
    wmgw_cim_ref_free(back);
    /* singleton */
    wmgw_cim_proplist_dispose(&r->keys);
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_url(&out, "h", r), 0);
    CHECK_STR(text(), "/v1/hosts/h/namespaces/root%2Fcimv2/classes/Win32_Environment/instances/@");
    CHECK_INT(wmgw_cim_path_parse_url(out.data, out.len, &back, &err), 0);
    CHECK_INT(back->keys.n, 0);
    wmgw_cim_ref_free(back);
    /* no host or namespace: no URL */
    CHECK_INT(wmgw_cim_path_format_url(&out, NULL, r), WMGW_EINVAL);
    CHECK_INT(wmgw_cim_path_format_url(&out, "", r), WMGW_EINVAL);
    free(r->namespace_);
    r->namespace_ = NULL;
    CHECK_INT(wmgw_cim_path_format_url(&out, "h", r), WMGW_EINVAL);
    CHECK_STR(text(), "/v1/hosts/h/namespaces/root%2Fcimv2/classes/Win32_Environment/instances/@");
    wmgw_cim_ref_free(r);
}

static void test_url_malformed(void)
{
    static const char *bad[] = {
        "",
        "v1/hosts/h/namespaces/root/classes/C/instances/@",
        "/v1/hosts/h/namespaces/root/classes/C/instances/@/",
        "/v1/hosts/h/namespaces/root/classes/C/instances",
        "/v1/hosts/h/namespaces/root/classes/C/instances/",
        "/v1/hosts//namespaces/root/classes/C/instances/@",
        "/v2/hosts/h/namespaces/root/classes/C/instances/@",
        "/v1/hosts/h/namespaces/root/cimv2/classes/C/instances/@",
        "/v1/hosts/h/namespaces/root/classes/C/instances/Name=x?fresh",
        "/v1/hosts/h/namespaces/root/classes/C/instances/Name=x#frag",
        "/v1/hosts/h/namespaces/root/classes/1C/instances/@",
        "/v1/hosts/h/namespaces/root/classes/C%20D/instances/@",
        "/v1/hosts/h%00/namespaces/root/classes/C/instances/@",
        "/v1/hosts/h%0A/namespaces/root/classes/C/instances/@",
        "/v1/hosts/h/namespaces/root/classes/C/instances/bare",
        "/v1/HOSTS/h/namespaces/root/classes/C/instances/@",
        "https://gw/v1/hosts/h/namespaces/root/classes/C/instances/@",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wmgw_cim_ref *r = (struct wmgw_cim_ref *)1;
        int rc = wmgw_cim_path_parse_url(bad[i], strlen(bad[i]), &r, &err);
        if (rc == 0)
            fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
        CHECK(rc == WMGW_EINVAL);
        CHECK(r == NULL);
    }
    struct wmgw_cim_ref *r = NULL;
    const char *u = "/v1/hosts/h/namespaces/root/classes/C/instances/@garbage";
    CHECK_INT(wmgw_cim_path_parse_url(u, strlen(u) - 7, &r, &err), 0);
    wmgw_cim_ref_free(r);
}

static void test_name_valid(void)
{
    CHECK(wmgw_cim_path_name_valid("Win32_Service", 13));
    CHECK(wmgw_cim_path_name_valid("__PATH", 6));
    CHECK(wmgw_cim_path_name_valid("_", 1));
    CHECK(!wmgw_cim_path_name_valid("", 0));
    CHECK(!wmgw_cim_path_name_valid("9x", 2));
    CHECK(!wmgw_cim_path_name_valid("a-b", 3));
    CHECK(!wmgw_cim_path_name_valid("a b", 3));
    CHECK(!wmgw_cim_path_name_valid("\xC3\xA9", 2));
    char longname[300];
    memset(longname, 'a', sizeof(longname));
    CHECK(wmgw_cim_path_name_valid(longname, 256));
    CHECK(!wmgw_cim_path_name_valid(longname, 257));
}

int main(void)
{
    wmgw_buf_init(&out, 1 << 16);
    WMGW_TEST_RUN(test_format_keys_examples);
    WMGW_TEST_RUN(test_format_keys_typed);
    WMGW_TEST_RUN(test_format_keys_rejects);
    WMGW_TEST_RUN(test_parse_keys_untyped);
    WMGW_TEST_RUN(test_parse_keys_with_class);
    WMGW_TEST_RUN(test_bare_value_and_singleton);
    WMGW_TEST_RUN(test_parse_keys_malformed);
    WMGW_TEST_RUN(test_typed_round_trip);
    WMGW_TEST_RUN(test_typed_conversion_errors);
    WMGW_TEST_RUN(test_namespace);
    WMGW_TEST_RUN(test_url);
    WMGW_TEST_RUN(test_url_malformed);
    WMGW_TEST_RUN(test_name_valid);
    wmgw_buf_dispose(&out);
    return WMGW_TEST_DONE();
}
