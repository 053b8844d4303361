/*
 * path_wmi.c: tests for cim/path_wmi.c: WMI object paths as MS-WMI writes
 * them (servers, namespaces, singletons, typed and escaped key values,
 * nested references), round trips, limits and malformed input.
 */
#include "cim/path.h"
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

/* A class with a key of every type that can be a key. */
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

/* --- WMI object paths ---------------------------------------------------------- */

static struct wmgw_cim_ref *wmi(const char *s)
{
    struct wmgw_cim_ref *r = NULL;
    wmgw_err_clear(&err);
    if (wmgw_cim_path_parse_wmi(s, strlen(s), &r, &err) != 0)
        return NULL;
    return r;
}

static void test_wmi_parse_examples(void)
{
    struct wmgw_cim_ref *r = wmi("\\\\HOST\\root\\cimv2:Win32_Service.Name=\"WinRM\"");
    CHECK(r != NULL);
    CHECK_STR(r->host, "HOST");
    CHECK_STR(r->namespace_, "root/cimv2");
    CHECK_STR(r->class_name, "Win32_Service");
    CHECK_INT(r->keys.n, 1);
    CHECK_STR(r->keys.items[0].value.u.str, "WinRM");
    wmgw_cim_ref_free(r);

    r = wmi("Win32_Environment.Name=\"TEMP\",UserName=\"<SYSTEM>\"");
    CHECK(r != NULL && r->host == NULL && r->namespace_ == NULL && r->keys.n == 2);
    CHECK_STR(r->keys.items[1].value.u.str, "<SYSTEM>");
    wmgw_cim_ref_free(r);

    r = wmi("Win32_OperatingSystem=@");
    CHECK(r != NULL && r->keys.n == 0);
    wmgw_cim_ref_free(r);

    r = wmi("//./root/cimv2:Win32_Process.Handle='4'");
    CHECK(r != NULL && r->host == NULL);
    CHECK_STR(r->namespace_, "root/cimv2");
    CHECK_STR(r->keys.items[0].value.u.str, "4");
    wmgw_cim_ref_free(r);

    r = wmi("root\\default:StdRegProv=@");
    CHECK(r != NULL);
    CHECK_STR(r->namespace_, "root/default");
    wmgw_cim_ref_free(r);

    r = wmi("Win32_Directory.Name=\"C:\\\\Windows\\\\\\\"x\\\"\"");
    CHECK(r != NULL);
    CHECK_STR(r->keys.items[0].value.u.str, "C:\\Windows\\\"x\"");
    wmgw_cim_ref_free(r);
}

static void test_wmi_parse_typed(void)
{
    struct wmgw_cim_ref *r = wmi("C.A=5,B=-9223372036854775808,C=18446744073709551615,D=TRUE,E=false,F=1.5e3,"
                                 "G=+7,H=.25,I=\"\",J='it''s'");
    CHECK(r == NULL); /* '' is not an escape */
    r = wmi("C.A=5,B=-9223372036854775808,C=18446744073709551615,D=TRUE,E=false,F=1.5e3,G=+7,H=.25,I=\"\","
            "J='it\\'s \"q\"'");
    CHECK(r != NULL);
    if (r == NULL)
        return;
    const struct wmgw_cim_value *v = &r->keys.items[0].value;
    CHECK(v->type == WMGW_CIM_SINT64 && v->u.s == 5);
    v = &r->keys.items[1].value;
    CHECK(v->type == WMGW_CIM_SINT64 && v->u.s == INT64_MIN);
    v = &r->keys.items[2].value;
    CHECK(v->type == WMGW_CIM_UINT64 && v->u.u == UINT64_MAX);
    v = &r->keys.items[3].value;
    CHECK(v->type == WMGW_CIM_BOOLEAN && v->u.b);
    v = &r->keys.items[4].value;
    CHECK(v->type == WMGW_CIM_BOOLEAN && !v->u.b);
    v = &r->keys.items[5].value;
    CHECK(v->type == WMGW_CIM_REAL64 && v->u.r == 1500);
    v = &r->keys.items[6].value;
    CHECK(v->type == WMGW_CIM_SINT64 && v->u.s == 7);
    v = &r->keys.items[7].value;
    CHECK(v->type == WMGW_CIM_REAL64 && v->u.r == 0.25);
    CHECK_STR(r->keys.items[8].value.u.str, "");
    CHECK_STR(r->keys.items[9].value.u.str, "it's \"q\"");
    wmgw_cim_ref_free(r);
}

static void test_wmi_format(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/cimv2", "Win32_Service");
    put(r, "Name", sval("WinRM"));
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_wmi(&out, r, true), 0);
    CHECK_STR(text(), "\\\\.\\root\\cimv2:Win32_Service.Name=\"WinRM\"");
    r->host = strdup("HOST");
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_wmi(&out, r, true), 0);
    CHECK_STR(text(), "\\\\HOST\\root\\cimv2:Win32_Service.Name=\"WinRM\"");
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_wmi(&out, r, false), 0);
    CHECK_STR(text(), "Win32_Service.Name=\"WinRM\"");
    wmgw_cim_proplist_dispose(&r->keys);
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_wmi(&out, r, false), 0);
    CHECK_STR(text(), "Win32_Service=@");
    free(r->host);
    r->host = strdup("bad\\host");
    CHECK_INT(wmgw_cim_path_format_wmi(&out, r, true), WMGW_EINVAL);
    CHECK_STR(text(), "Win32_Service=@");
    wmgw_cim_ref_free(r);

    r = typed_ref();
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_cim_path_format_wmi(&out, r, true), 0);
    CHECK_STR(text(), "\\\\.\\root\\test:Test_Keys.KBool=TRUE,KC16=\"\xE2\x82\xAC\",KDt=\"20240131235959.123456-300\","
                      "KR32=3.4028235e+38,KR64=-1.5e-300,"
                      "KRef=\"root\\\\cimv2:Win32_Group.Domain=\\\"HOST\\\\\\\\\\\\\\\"x\\\\\\\"\\\",Name=\\\""
                      "Administrators\\\"\",KS16=-32768,KS32=-2147483648,"
                      "KS64=-9223372036854775808,KS8=-128,KStr=\"a,b=c%d \\\"q\\\" \\\\ /\xC3\xA9\",KU16=65535,"
                      "KU32=4294967295,KU64=18446744073709551615,KU8=255");
    /* round trip: values come back with the types a WMI path can tell */
    struct wmgw_cim_ref *back = wmi(text());
    CHECK(back != NULL);
    if (back != NULL) {
        CHECK_INT(back->keys.n, 15);
        struct wmgw_buf again;
        wmgw_buf_init(&again, 1 << 16);
        CHECK_INT(wmgw_cim_path_format_wmi(&again, back, true), 0);
        CHECK_STR(again.data, text());
        wmgw_buf_dispose(&again);
        /* the nested reference comes back as its path text */
        const struct wmgw_cim_prop *k = wmgw_cim_proplist_find(&back->keys, "KRef");
        CHECK_STR(k->value.u.str, "root\\cimv2:Win32_Group.Domain=\"HOST\\\\\\\"x\\\"\",Name=\"Administrators\"");
        struct wmgw_cim_ref *inner = wmi(k->value.u.str);
        CHECK(inner != NULL);
        if (inner != NULL)
            CHECK_STR(wmgw_cim_proplist_find(&inner->keys, "Domain")->value.u.str, "HOST\\\"x\"");
        wmgw_cim_ref_free(inner);
        wmgw_cim_ref_free(back);
    }
    /* NaN has no WMI literal */
    wmgw_cim_proplist_find(&r->keys, "KR64")->value.u.r = NAN;
    CHECK_INT(wmgw_cim_path_format_wmi(&out, r, true), WMGW_EINVAL);
    wmgw_cim_ref_free(r);
}

static void test_wmi_malformed(void)
{
    static const char *bad[] = {
        "",
        "Win32_Service",                       /* a class, not an instance */
        "Win32_Service.",
        "Win32_Service.Name",
        "Win32_Service.Name=",
        "Win32_Service.Name=\"x",               /* unterminated */
        "Win32_Service.Name=\"x\\n\"",           /* unknown escape */
        "Win32_Service.Name=\"x\" ",
        "Win32_Service.Name=\"x\",",
        "Win32_Service.Name=\"x\",Name=\"y\"",   /* duplicate */
        "Win32_Service.Name=\"x\"Foo",
        "Win32_Service.Name=abc",
        "Win32_Service.Name=18446744073709551616",
        "Win32_Service.Name=-9223372036854775809",
        "Win32_Service.Name=1e999",
        "Win32_Service.Name=0x10",
        "Win32_Service=@x",
        "Win32_Service=@,",
        "1Class=@",
        "\\\\HOST",
        "\\\\HOST\\Win32_Service=@",
        "\\\\\\root:C=@",
        "\\\\HO ST\\root:C=@",
        "root\\\\cimv2:C=@",
        "root\\:C=@",
        ":C=@",
        "C.Na me=1",
        "C.Name=\"\xC3\"",                         /* invalid UTF-8 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wmgw_cim_ref *r = wmi(bad[i]);
        if (r != NULL)
            fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
        CHECK(r == NULL);
        CHECK(err.code == WMGW_EINVAL && err.message[0] != '\0');
        wmgw_cim_ref_free(r);
    }
    CHECK(wmi("Win32_Service") == NULL);
    CHECK(strstr(err.message, "names a class") != NULL);
    struct wmgw_cim_ref *r = NULL;
    const char *s = "C.Name=\"x\"";
    CHECK_INT(wmgw_cim_path_parse_wmi(s, strlen(s) - 1, &r, &err), WMGW_EINVAL); /* no reading past len */
    CHECK(strstr(err.message, "unterminated") != NULL);
    CHECK_INT(wmgw_cim_path_parse_wmi("C.N=5,M=6", 5, &r, &err), 0);
    CHECK_INT(r->keys.n, 1);
    wmgw_cim_ref_free(r);
    /* limits */
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    wmgw_buf_addstr(&b, "C");
    for (int i = 0; i <= WMGW_CIM_PATH_MAX_KEYS; i++)
        wmgw_buf_printf(&b, "%cK%d=%d", i ? ',' : '.', i, i);
    CHECK_INT(wmgw_cim_path_parse_wmi(b.data, b.len, &r, &err), WMGW_ETOOBIG);
    wmgw_buf_reset(&b);
    wmgw_buf_addstr(&b, "C.N=\"");
    while (b.len <= WMGW_CIM_PATH_MAX_LEN)
        wmgw_buf_addc(&b, 'x');
    wmgw_buf_addc(&b, '"');
    CHECK_INT(wmgw_cim_path_parse_wmi(b.data, b.len, &r, &err), WMGW_ETOOBIG);
    wmgw_buf_dispose(&b);
}

int main(void)
{
    wmgw_buf_init(&out, 1 << 16);
    WMGW_TEST_RUN(test_wmi_parse_examples);
    WMGW_TEST_RUN(test_wmi_parse_typed);
    WMGW_TEST_RUN(test_wmi_format);
    WMGW_TEST_RUN(test_wmi_malformed);
    wmgw_buf_dispose(&out);
    return WMGW_TEST_DONE();
}
