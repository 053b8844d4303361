/*
 * wmi_calls.c: tests for translators/wmi/wmi_calls*.c.
 *
 * Every stub as a round trip in both roles (client encode -> server decode
 * -> server encode -> client decode) with the values of the MS-WMI 4.x
 * traces (../shared/captures/wmio/ms-wmi-traces): they give no bytes, but
 * they give the arguments and the alignment padding Network Monitor saw
 * after each string ("Pad: 2 Bytes"), which our encodings must reproduce;
 * objects are real MS-WMIO encoding units (a Windows OBJREF_CUSTOM captured
 * by impacket, rebuilt byte for byte when present; a small unit otherwise).
 * Then: NULL and failure replies, text limits, NULs inside strings,
 * impacket's GetObject with its trailing bytes, Next limits, every
 * truncation, and the HRESULT table.
 */
#include "translators/wmi/wmi_calls.h"

#include <stdio.h>

#include "../test.h"

static struct wmgw_uuid trace_cid;
static uint8_t *capture; /* a Windows OBJREF_CUSTOM (win32-utctime-instance-sevenx64), or NULL */
static size_t capture_len;
static struct wmgw_wmi_unit unit; /* an EncodingUnit: the capture's, or a small one */

static const uint8_t small_unit[] = {0x78, 0x56, 0x34, 0x12, 0x0d, 0x00, 0x00, 0x00, 0x02, 'n', 'o', 't', ' ',
                                     'p', 'a', 'r', 's', 'e', 'd', 0, 0, 0};

static void setup(void)
{
    wmgw_uuid_parse(&trace_cid, "bd28b839-5d20-4435-9852-1fe794070a9c", NULL); /* MS-WMI 4.2.3.2 */
    unit.data = small_unit;
    unit.len = sizeof(small_unit);
    const char *dir = wmgw_test_captures_dir();
    if (dir == NULL)
        return;
    char path[1024];
    snprintf(path, sizeof(path), "%s/wmio/impacket/win32-utctime-instance-sevenx64.objref.bin", dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return;
    capture = malloc(1 << 16);
    capture_len = fread(capture, 1, 1 << 16, f);
    fclose(f);
    unit.data = capture + 48;
    unit.len = capture_len - 48;
}

static uint32_t rd32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* Octets of alignment after the BSTR at off (referent id, max_count,
 * cBytes, clSize, data): what the traces call "Pad". */
static size_t bstr_pad(const char *stub, size_t off)
{
    size_t end = off + 16 + rd32(stub + off + 8);
    return (4 - end % 4) % 4;
}

/* After a [unique, string] wchar_t *. */
static size_t wstr_end(const char *stub, size_t off)
{
    return off + 16 + 2 * (size_t)rd32(stub + off + 12);
}

static void test_establish_position(void)
{
    struct wmgw_wmi_establish_req q = {{0}, 0}, sq;
    struct wmgw_wmi_establish_resp a = {{0}, 1, 0}, ca;
    struct wmgw_buf s;
    struct wmgw_err err;
    wmgw_buf_init(&s, 4096);
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    CHECK_INT(wmgw_wmi_establish_req_encode(&s, &q, &err), 0);
    /* "Reserved1: NULL, Pad: 0 Bytes, Reserved2: 0" */
    CHECK_INT(s.len, 40);
    CHECK(memcmp(s.data + 32, "\0\0\0\0\0\0\0\0", 8) == 0);
    CHECK_INT(wmgw_wmi_establish_req_decode((const uint8_t *)s.data, s.len, &sq, &err), 0);
    CHECK(sq.reserved2 == 0 && wmgw_uuid_eq(&sq.orpc.cid, &trace_cid));
    /* "LocaleVersion=1 ReturnValue=WBEM_S_NO_ERROR" */
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_establish_resp_encode(&s, &a, &err), 0);
    CHECK_INT(s.len, 16);
    CHECK(memcmp(s.data + 8, "\x01\0\0\0\0\0\0\0", 8) == 0);
    CHECK_INT(wmgw_wmi_establish_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.locale_version == 1 && ca.hr == 0);
    /* a reserved1 string is read and ignored */
    const uint8_t with[] = {5, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                            0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'x', 0, 0, 0, 9, 0, 0, 0};
    CHECK_INT(wmgw_wmi_establish_req_decode(with, sizeof(with), &sq, &err), 0);
    CHECK_INT(sq.reserved2, 9);
    wmgw_buf_dispose(&s);
}

static void sample_services_objref(struct wmgw_buf *objref, const struct wmgw_uuid *iid)
{
    struct wmgw_dcom_iref ir;
    struct wmgw_ndr_dsa dsa;
    memset(&ir, 0, sizeof(ir));
    memset(&dsa, 0, sizeof(dsa));
    ir.iid = *iid;
    ir.std.public_refs = 5;
    ir.std.oxid = 0x5e4c3f2a1b0c9d8eull;
    ir.std.oid = 7;
    wmgw_uuid_parse(&ir.std.ipid, "0002e41c-06c4-0000-1f17-07bcf2eeb3f8", NULL);
    dsa.n_strings = 1;
    dsa.strings[0].tower_id = 7;
    strcpy(dsa.strings[0].addr, "SAI-NAV009-2");
    dsa.n_security = 1;
    dsa.security[0].authn_svc = 10;
    wmgw_dcom_iref_format(&ir, &dsa, objref, NULL);
}

static void test_ntlm_login(void)
{
    struct wmgw_wmi_login_req q, sq;
    struct wmgw_dcom_ptr_resp a, ca;
    struct wmgw_buf s, text, objref;
    struct wmgw_err err;
    wmgw_buf_init(&s, 4096);
    wmgw_buf_init(&text, 4096);
    wmgw_buf_init(&objref, 4096);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.network_resource = "\\\\sai-nav009-2\\root\\cimv2"; /* MS-WMI 4.1.1 */
    q.preferred_locale = "en-US,en";
    CHECK_INT(wmgw_wmi_login_req_encode(&s, &q, &err), 0);
    /* "NetworkResource ... PreferredLocale: en-US,en, pad: 2 Bytes, Flags: 0, Ctx: NULL" */
    size_t loc = wstr_end(s.data, 32);
    CHECK_INT(loc % 4, 0);
    size_t end = wstr_end(s.data, loc);
    CHECK_INT((4 - end % 4) % 4, 2);
    CHECK_INT(s.len, end + 2 + 4 + 4);
    CHECK_INT(wmgw_wmi_login_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.network_resource, q.network_resource);
    CHECK_STR(sq.preferred_locale, "en-US,en");
    CHECK(sq.flags == 0 && sq.ctx.objref == NULL);
    /* impacket's defaults: "//./root/cimv2", no locale */
    q.network_resource = "//./root/cimv2";
    q.preferred_locale = NULL;
    wmgw_buf_reset(&s);
    wmgw_buf_reset(&text);
    CHECK_INT(wmgw_wmi_login_req_encode(&s, &q, &err), 0);
    CHECK_INT(wmgw_wmi_login_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.network_resource, "//./root/cimv2");
    CHECK(sq.preferred_locale == NULL);

    sample_services_objref(&objref, &wmgw_dcom_iid_iwbem_services);
    memset(&a, 0, sizeof(a));
    a.ptr.objref = (const uint8_t *)objref.data;
    a.ptr.len = objref.len;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_dcom_ptr_resp_encode(&s, &a, &err), 0);
    CHECK_INT(wmgw_dcom_ptr_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    struct wmgw_dcom_iref ir;
    CHECK_INT(wmgw_dcom_iref_parse(ca.ptr.objref, ca.ptr.len, &wmgw_dcom_iid_iwbem_services, &ir, NULL, &err), 0);
    CHECK(ir.std.oxid == 0x5e4c3f2a1b0c9d8eull && ir.std.public_refs == 5);
    /* "Namespace: OBJREFSTANDARD ..., pad: 2 Bytes" holds for this OBJREF too */
    CHECK_INT((4 - (12 + 8 + objref.len) % 4) % 4, 2);
    wmgw_buf_dispose(&s);
    wmgw_buf_dispose(&text);
    wmgw_buf_dispose(&objref);
}

static void test_exec_query(void)
{
    struct wmgw_wmi_query_req q, sq;
    struct wmgw_buf s, text;
    struct wmgw_err err;
    wmgw_buf_init(&s, 1 << 16);
    wmgw_buf_init(&text, 4096);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.language = "WQL";
    q.query = "select * from win32_process where Name='calc.exe'"; /* MS-WMI 4.2.3.1 */
    q.flags = 32;
    CHECK_INT(wmgw_wmi_query_req_encode(&s, &q, &err), 0);
    /* "StrQueryLanguage: WQL, StrQuery: ..., Pad: 2 Bytes, Flags: 32, Ctx: NULL" */
    CHECK_INT(bstr_pad(s.data, 32), 2);
    size_t q_off = 32 + 16 + 6 + 2;
    CHECK_INT(bstr_pad(s.data, q_off), 2);
    CHECK_INT(s.len, q_off + 16 + 2 * strlen(q.query) + 2 + 4 + 4);
    CHECK_INT(rd32(s.data + s.len - 8), 32);
    CHECK_INT(wmgw_wmi_query_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.language, "WQL");
    CHECK_STR(sq.query, q.query);
    CHECK(sq.flags == 32 && sq.ctx.objref == NULL);
    /* ExecNotificationQuery: the same arguments (MS-WMI 3.1.4.3.20) */
    q.query = "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'";
    q.flags = WMGW_WBEM_FLAG_RETURN_IMMEDIATELY | WMGW_WBEM_FLAG_FORWARD_ONLY;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_query_req_encode(&s, &q, &err), 0);
    CHECK_INT(wmgw_wmi_query_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.query, q.query);
    CHECK_INT(sq.flags, 0x30);
    /* the text limit, an empty query, a NUL inside */
    struct wmgw_buf small;
    wmgw_buf_init(&small, 8);
    wmgw_buf_addstr(&small, "ab");
    CHECK(wmgw_wmi_query_req_decode((const uint8_t *)s.data, s.len, &sq, &small, &err) == WMGW_ETOOBIG);
    CHECK_INT(small.len, 2); /* left as it was */
    wmgw_buf_dispose(&small);
    q.query = "";
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_query_req_encode(&s, &q, &err), 0);
    CHECK_INT(wmgw_wmi_query_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.query, "");
    q.query = "ab";
    wmgw_buf_reset(&s);
    wmgw_wmi_query_req_encode(&s, &q, &err);
    s.data[32 + 24 + 16 + 2] = 0; /* "a\0" */
    s.data[32 + 24 + 16 + 3] = 0;
    CHECK(wmgw_wmi_query_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "ExecQuery.strQuery") != NULL && strstr(err.message, "NUL") != NULL);
    wmgw_buf_dispose(&s);
    wmgw_buf_dispose(&text);
}

static void test_get_object(void)
{
    struct wmgw_wmi_getobject_req q, sq;
    struct wmgw_wmi_getobject_resp a, ca;
    struct wmgw_buf s, text;
    struct wmgw_err err;
    wmgw_buf_init(&s, 1 << 17);
    wmgw_buf_init(&text, 4096);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.path = "Win32_UTCTime=@";
    q.pp_object = true;
    CHECK_INT(wmgw_wmi_getobject_req_encode(&s, &q, &err), 0);
    /* path, lFlags, pCtx NULL, ppObject = &NULL, ppCallResult = NULL */
    CHECK(memcmp(s.data + s.len - 16, "\0\0\0\0\x04\x00\x02\x00\0\0\0\0\0\0\0\0", 16) == 0);
    CHECK_INT(wmgw_wmi_getobject_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.path, "Win32_UTCTime=@");
    CHECK(sq.pp_object && !sq.pp_call_result && sq.flags == 0);

    memset(&a, 0, sizeof(a));
    a.pp_object = sq.pp_object;
    a.pp_call_result = sq.pp_call_result;
    a.object = unit;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_getobject_resp_encode(&s, &a, &err), 0);
    /* outer, inner, max_count, ulCntData, then the OBJREF_CUSTOM */
    CHECK_INT(rd32(s.data + 16), unit.len + 48);
    CHECK_INT(rd32(s.data + 20), unit.len + 48);
    if (capture != NULL)
        CHECK(memcmp(s.data + 24, capture, capture_len) == 0); /* Windows' own bytes, rebuilt */
    CHECK_INT(wmgw_wmi_getobject_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.pp_object && !ca.pp_call_result && ca.hr == 0);
    CHECK(ca.object.len == unit.len && memcmp(ca.object.data, unit.data, unit.len) == 0);

    /* not found: &NULL and the HRESULT */
    memset(&a, 0, sizeof(a));
    a.pp_object = true;
    a.hr = WMGW_WBEM_E_NOT_FOUND;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_getobject_resp_encode(&s, &a, &err), 0);
    CHECK_INT(wmgw_wmi_getobject_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.pp_object && ca.object.data == NULL && ca.hr == WMGW_WBEM_E_NOT_FOUND);

    /* semisynchronous: an IWbemCallResult */
    struct wmgw_buf objref;
    wmgw_buf_init(&objref, 4096);
    sample_services_objref(&objref, &wmgw_dcom_iid_iwbem_call_result);
    memset(&a, 0, sizeof(a));
    a.pp_object = a.pp_call_result = true;
    a.call_result.objref = (const uint8_t *)objref.data;
    a.call_result.len = objref.len;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_getobject_resp_encode(&s, &a, &err), 0);
    CHECK_INT(wmgw_wmi_getobject_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.object.data == NULL && ca.call_result.len == objref.len);
    wmgw_buf_dispose(&objref);

    /* impacket's GetObject: ppObject and ppCallResult as two empty
     * MInterfacePointers (refid, 0, 0 each) */
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.path = "Win32_Process";
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_getobject_req_encode(&s, &q, &err), 0);
    s.len -= 8; /* our two NULLs */
    wmgw_buf_add(&s, "\x4a\x8b\x00\x00\0\0\0\0\0\0\0\0\x29\x06\x00\x00\0\0\0\0\0\0\0\0", 24);
    CHECK_INT(wmgw_wmi_getobject_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.path, "Win32_Process");
    CHECK(sq.pp_object && !sq.pp_call_result);
    wmgw_buf_dispose(&s);
    wmgw_buf_dispose(&text);
}

static void test_put_and_delete_instance(void)
{
    struct wmgw_wmi_putinstance_req q, sq;
    struct wmgw_wmi_deleteinstance_req d, sd;
    struct wmgw_wmi_callresult_resp a, ca;
    struct wmgw_buf s, text;
    struct wmgw_err err;
    wmgw_buf_init(&s, 1 << 17);
    wmgw_buf_init(&text, 4096);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.inst = unit;
    q.flags = WMGW_WBEM_FLAG_CREATE_OR_UPDATE; /* "PutInstance Request, Flags=0 ... CallResult: NULL" */
    CHECK_INT(wmgw_wmi_putinstance_req_encode(&s, &q, &err), 0);
    CHECK_INT(rd32(s.data + 32), 0x20000);
    CHECK_INT(rd32(s.data + 36), unit.len + 48);
    CHECK(memcmp(s.data + 44, "MEOW\x04\0\0\0", 8) == 0);
    CHECK_INT(wmgw_wmi_putinstance_req_decode((const uint8_t *)s.data, s.len, &sq, &err), 0);
    CHECK(sq.inst.len == unit.len && memcmp(sq.inst.data, unit.data, unit.len) == 0);
    CHECK(sq.flags == 0 && !sq.pp_call_result && sq.ctx.objref == NULL);
    q.flags = WMGW_WBEM_FLAG_UPDATE_ONLY;
    q.pp_call_result = true;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_putinstance_req_encode(&s, &q, &err), 0);
    CHECK_INT(wmgw_wmi_putinstance_req_decode((const uint8_t *)s.data, s.len, &sq, &err), 0);
    CHECK(sq.flags == 1 && sq.pp_call_result);
    /* an object that is not an IWbemClassObject */
    s.data[44 + 24] ^= 1; /* CLSID */
    CHECK(wmgw_wmi_putinstance_req_decode((const uint8_t *)s.data, s.len, &sq, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "PutInstance.pInst") != NULL && strstr(err.message, "CLSID_WbemClassObject") != NULL);

    memset(&a, 0, sizeof(a));
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_callresult_resp_encode(&s, &a, &err), 0); /* "CallResult: NULL, Pad: 0 Bytes" */
    CHECK_INT(s.len, 16);
    CHECK_INT(wmgw_wmi_callresult_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(!ca.pp_call_result && ca.hr == 0);
    a.pp_call_result = true;
    a.hr = WMGW_WBEM_E_ALREADY_EXISTS;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_callresult_resp_encode(&s, &a, &err), 0);
    CHECK_INT(wmgw_wmi_callresult_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.pp_call_result && ca.call_result.objref == NULL && ca.hr == WMGW_WBEM_E_ALREADY_EXISTS);

    memset(&d, 0, sizeof(d));
    wmgw_dcom_orpcthis_init(&d.orpc, &trace_cid);
    d.path = "\\\\SAI-NAV009-2\\ROOT\\cimv2\\MyTest:TestWMI.x=10"; /* MS-WMI 4.2.3.2 */
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_deleteinstance_req_encode(&s, &d, &err), 0);
    CHECK_INT(bstr_pad(s.data, 32), 2); /* "StrObjectPath: ..., Pad: 2 Bytes" */
    CHECK_INT(wmgw_wmi_deleteinstance_req_decode((const uint8_t *)s.data, s.len, &sd, &text, &err), 0);
    CHECK_STR(sd.path, d.path);
    CHECK(!sd.pp_call_result && sd.flags == 0);
    wmgw_buf_dispose(&s);
    wmgw_buf_dispose(&text);
}

static void test_exec_method(void)
{
    struct wmgw_wmi_execmethod_req q, sq;
    struct wmgw_wmi_execmethod_resp a, ca;
    struct wmgw_buf s, text;
    struct wmgw_err err;
    wmgw_buf_init(&s, 1 << 17);
    wmgw_buf_init(&text, 4096);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.path = "\\\\SAI-NAV009-2\\root\\cimv2:Win32_Process.Handle=\"724\""; /* MS-WMI 4.2.3.1 */
    q.method = "Terminate";
    q.in_params = unit;
    q.pp_out_params = true;
    CHECK_INT(wmgw_wmi_execmethod_req_encode(&s, &q, &err), 0);
    size_t m_off = 32 + 16 + 2 * strlen(q.path);
    m_off += (4 - m_off % 4) % 4;
    CHECK_INT(bstr_pad(s.data, m_off), 2); /* "StrMethodName: Terminate, Pad: 2 Bytes" */
    CHECK_INT(wmgw_wmi_execmethod_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK_STR(sq.path, q.path);
    CHECK_STR(sq.method, "Terminate");
    CHECK(sq.in_params.len == unit.len && memcmp(sq.in_params.data, unit.data, unit.len) == 0);
    CHECK(sq.pp_out_params && !sq.pp_call_result);
    /* a method without in-parameters */
    q.in_params.data = NULL;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_execmethod_req_encode(&s, &q, &err), 0);
    CHECK_INT(wmgw_wmi_execmethod_req_decode((const uint8_t *)s.data, s.len, &sq, &text, &err), 0);
    CHECK(sq.in_params.data == NULL);

    memset(&a, 0, sizeof(a));
    a.pp_out_params = true;
    a.out_params = unit;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_execmethod_resp_encode(&s, &a, &err), 0);
    CHECK_INT(wmgw_wmi_execmethod_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.pp_out_params && ca.out_params.len == unit.len && !ca.pp_call_result && ca.hr == 0);
    a.out_params.data = NULL;
    a.hr = WMGW_WBEM_E_INVALID_METHOD;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_execmethod_resp_encode(&s, &a, &err), 0);
    CHECK_INT(wmgw_wmi_execmethod_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.out_params.data == NULL && ca.hr == WMGW_WBEM_E_INVALID_METHOD);
    wmgw_buf_dispose(&s);
    wmgw_buf_dispose(&text);
}

static void test_enumerator(void)
{
    struct wmgw_wmi_enum_req q = {{0}, WMGW_WBEM_INFINITE, 10}, sq;
    struct wmgw_wmi_next_resp a, ca;
    struct wmgw_wmi_unit objs[3] = {unit, unit, unit}, got[4];
    struct wmgw_buf s;
    struct wmgw_err err;
    wmgw_buf_init(&s, 1 << 18);
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    CHECK_INT(wmgw_wmi_enum_req_encode(&s, &q, &err), 0);
    CHECK_INT(s.len, 40);
    CHECK(memcmp(s.data + 32, "\xff\xff\xff\xff\x0a\0\0\0", 8) == 0);
    CHECK_INT(wmgw_wmi_enum_req_decode((const uint8_t *)s.data, s.len, &sq, &err), 0);
    CHECK(sq.timeout == WMGW_WBEM_INFINITE && sq.count == 10);

    memset(&a, 0, sizeof(a));
    a.count = sq.count;
    a.n_objects = 3;
    a.objects = objs;
    a.hr = WMGW_WBEM_S_FALSE;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_next_resp_encode(&s, &a, &err), 0);
    /* max_count uCount, offset 0, actual 3, three referent ids, then the pointees */
    CHECK_INT(rd32(s.data + 8), 10);
    CHECK_INT(rd32(s.data + 12), 0);
    CHECK_INT(rd32(s.data + 16), 3);
    CHECK(memcmp(s.data + 20, "\x00\x00\x02\x00\x04\x00\x02\x00\x08\x00\x02\x00", 12) == 0);
    CHECK_INT(rd32(s.data + s.len - 8), 3); /* puReturned */
    memset(&ca, 0, sizeof(ca));
    ca.objects = got;
    ca.cap = 4;
    CHECK_INT(wmgw_wmi_next_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.n_objects == 3 && ca.count == 10 && ca.hr == WMGW_WBEM_S_FALSE);
    for (int i = 0; i < 3; i++)
        CHECK(got[i].len == unit.len && memcmp(got[i].data, unit.data, unit.len) == 0);
    /* no room */
    ca.objects = got;
    ca.cap = 2;
    CHECK(wmgw_wmi_next_resp_decode((const uint8_t *)s.data, s.len, &ca, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "room for 2") != NULL);
    /* every truncation */
    for (size_t n = 0; n < s.len; n++) {
        ca.objects = got;
        ca.cap = 4;
        CHECK(wmgw_wmi_next_resp_decode((const uint8_t *)s.data, n, &ca, &err) == WMGW_EPROTO);
    }
    /* puReturned disagreeing with the array */
    s.data[s.len - 8] = 2;
    ca.objects = got;
    ca.cap = 4;
    CHECK(wmgw_wmi_next_resp_decode((const uint8_t *)s.data, s.len, &ca, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "puReturned") != NULL);
    /* the end: nothing returned */
    a.n_objects = 0;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_next_resp_encode(&s, &a, &err), 0);
    CHECK_INT(s.len, 8 + 12 + 4 + 4);
    ca.objects = got;
    ca.cap = 4;
    CHECK_INT(wmgw_wmi_next_resp_decode((const uint8_t *)s.data, s.len, &ca, &err), 0);
    CHECK(ca.n_objects == 0 && ca.hr == WMGW_WBEM_S_FALSE);
    /* more objects than asked for */
    a.count = 2;
    a.n_objects = 3;
    CHECK(wmgw_wmi_next_resp_encode(&s, &a, &err) == WMGW_EINVAL);

    /* Reset, Skip, Clone */
    struct wmgw_dcom_status_resp st = {{0}, WMGW_WBEM_E_INVALID_OPERATION}, cst;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_dcom_void_req_encode(&s, &q.orpc, &err), 0);
    CHECK_INT(wmgw_dcom_void_req_decode((const uint8_t *)s.data, s.len, &sq.orpc, &err), 0);
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_dcom_status_resp_encode(&s, &st, &err), 0);
    CHECK_INT(wmgw_dcom_status_resp_decode((const uint8_t *)s.data, s.len, &cst, &err), 0);
    CHECK_INT(cst.hr, WMGW_WBEM_E_INVALID_OPERATION);
    q.timeout = 5000; /* Skip(5000 ms, 7) */
    q.count = 7;
    wmgw_buf_reset(&s);
    CHECK_INT(wmgw_wmi_enum_req_encode(&s, &q, &err), 0);
    CHECK_INT(wmgw_wmi_enum_req_decode((const uint8_t *)s.data, s.len, &sq, &err), 0);
    CHECK(sq.timeout == 5000 && sq.count == 7);
    wmgw_buf_dispose(&s);
}

static void test_hresults(void)
{
    size_t n;
    const struct wmgw_wmi_hresult *t = wmgw_wmi_hresults(&n);
    CHECK_INT(n, 69 + 11); /* the 69 values of MS-WMI 2.2.11 WBEMSTATUS (E_NOTIMPL one of them), 11 DCOM/OLE codes */
    for (size_t i = 0; i < n; i++) {
        CHECK(wmgw_wmi_hresult_find(t[i].value) == &t[i]); /* no duplicates */
        CHECK((t[i].err == 0) == !(t[i].value & 0x80000000u));
    }
    CHECK_STR(wmgw_wmi_hresult_name(0x80041002u), "WBEM_E_NOT_FOUND");
    CHECK_STR(wmgw_wmi_hresult_name(0x80042002u), "WBEM_E_REGISTRATION_TOO_PRECISE");
    CHECK_STR(wmgw_wmi_hresult_name(1), "WBEM_S_FALSE");
    CHECK(wmgw_wmi_hresult_name(0x80041099u) == NULL);
    /* protocol-notes.md 4.6's REST mapping */
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80041002u)), 404);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x8004103Au)), 404);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80041010u)), 404);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x8004100Eu)), 404);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80041003u)), 403);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80070005u)), 403);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80041017u)), 400);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80041008u)), 400);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80041005u)), 400);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x80041019u)), 409);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(0x8004100Cu)), 501);
    CHECK_INT(wmgw_wmi_hresult_err(0x80041099u), WMGW_EBACKEND); /* unknown failure */
    CHECK_INT(wmgw_wmi_hresult_err(0x00040099u), 0);             /* unknown success */
    CHECK_INT(wmgw_wmi_hresult_err(WMGW_WBEM_S_TIMEDOUT), 0);
}

int main(void)
{
    setup();
    if (capture == NULL)
        printf("# no captures: objects are a small stand-in unit\n");
    WMGW_TEST_RUN(test_establish_position);
    WMGW_TEST_RUN(test_ntlm_login);
    WMGW_TEST_RUN(test_exec_query);
    WMGW_TEST_RUN(test_get_object);
    WMGW_TEST_RUN(test_put_and_delete_instance);
    WMGW_TEST_RUN(test_exec_method);
    WMGW_TEST_RUN(test_enumerator);
    WMGW_TEST_RUN(test_hresults);
    free(capture);
    return WMGW_TEST_DONE();
}
