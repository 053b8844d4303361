/*
 * dcom_orpc.c: tests for translators/wmi/dcom_ids.c and dcom_orpc.c: every
 * UUID of dcom_ids.h against the text the specs print, COMVERSION and
 * causality ids, object references both ways (and a wrong IID), the
 * [in, out, unique] double pointer, the shared reply shapes, and encoders
 * that leave the output as it was when they fail.
 */
#include "translators/wmi/dcom_orpc.h"

#include "../test.h"

static const struct {
    const struct wmgw_uuid *id;
    const char *text;
    const char *name;
} ids[] = {
    {&wmgw_dcom_iid_iunknown, "00000000-0000-0000-c000-000000000046", "IUnknown"},
    {&wmgw_dcom_iid_iremote_scm_activator, "000001a0-0000-0000-c000-000000000046", "IRemoteSCMActivator"},
    {&wmgw_dcom_iid_iactivation, "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IActivation"},
    {&wmgw_dcom_iid_iobject_exporter, "99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter"},
    {&wmgw_dcom_iid_iremunknown, "00000131-0000-0000-c000-000000000046", "IRemUnknown"},
    {&wmgw_dcom_iid_iremunknown2, "00000143-0000-0000-c000-000000000046", "IRemUnknown2"},
    {&wmgw_dcom_iid_iactprops_in, "000001a2-0000-0000-c000-000000000046", "IActivationPropertiesIn"},
    {&wmgw_dcom_iid_iactprops_out, "000001a3-0000-0000-c000-000000000046", "IActivationPropertiesOut"},
    {&wmgw_dcom_iid_icontext, "000001c0-0000-0000-c000-000000000046", "IContext"},
    {&wmgw_dcom_clsid_actprops_in, "00000338-0000-0000-c000-000000000046", "CLSID_ActivationPropertiesIn"},
    {&wmgw_dcom_clsid_actprops_out, "00000339-0000-0000-c000-000000000046", "CLSID_ActivationPropertiesOut"},
    {&wmgw_dcom_clsid_instantiation_info, "000001ab-0000-0000-c000-000000000046", "CLSID_InstantiationInfo"},
    {&wmgw_dcom_clsid_special_props, "000001b9-0000-0000-c000-000000000046", "CLSID_SpecialSystemProperties"},
    {&wmgw_dcom_clsid_instance_info, "000001ad-0000-0000-c000-000000000046", "CLSID_InstanceInfo"},
    {&wmgw_dcom_clsid_scm_request_info, "000001aa-0000-0000-c000-000000000046", "CLSID_ScmRequestInfo"},
    {&wmgw_dcom_clsid_context_info, "000001a5-0000-0000-c000-000000000046", "CLSID_ActivationContextInfo"},
    {&wmgw_dcom_clsid_location_info, "000001a4-0000-0000-c000-000000000046", "CLSID_ServerLocationInfo"},
    {&wmgw_dcom_clsid_security_info, "000001a6-0000-0000-c000-000000000046", "CLSID_SecurityInfo"},
    {&wmgw_dcom_clsid_scm_reply_info, "000001b6-0000-0000-c000-000000000046", "CLSID_ScmReplyInfo"},
    {&wmgw_dcom_clsid_props_out_info, "00000339-0000-0000-c000-000000000046", "CLSID_ActivationPropertiesOut"},
    {&wmgw_dcom_clsid_context_marshaler, "0000033b-0000-0000-c000-000000000046", "CLSID_ContextMarshaler"},
    {&wmgw_dcom_clsid_error_extension, "0000031c-0000-0000-c000-000000000046", "CLSID_ERROR_EXTENSION"},
    {&wmgw_dcom_clsid_context_extension, "00000334-0000-0000-c000-000000000046", "CLSID_CONTEXT_EXTENSION"},
    {&wmgw_dcom_clsid_wbem_level1_login, "8bc3f05e-d86b-11d0-a075-00c04fb68820", "CLSID_WbemLevel1Login"},
    {&wmgw_dcom_iid_iwbem_level1_login, "f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login"},
    {&wmgw_dcom_iid_iwbem_login_client_id, "d4781cd6-e5d3-44df-ad94-930efe48a887", "IWbemLoginClientID"},
    {&wmgw_dcom_iid_iwbem_login_helper, "541679ab-2e5f-11d3-b34e-00104bcc4b4a", "IWbemLoginHelper"},
    {&wmgw_dcom_iid_iwbem_services, "9556dc99-828c-11cf-a37e-00aa003240c7", "IWbemServices"},
    {&wmgw_dcom_iid_ienum_wbem_class_object, "027947e1-d731-11ce-a357-000000000001", "IEnumWbemClassObject"},
    {&wmgw_dcom_iid_iwbem_call_result, "44aca675-e8fc-11d0-a07c-00c04fb68820", "IWbemCallResult"},
    {&wmgw_dcom_iid_iwbem_object_sink, "7c857801-7381-11cf-884d-00aa004b2e24", "IWbemObjectSink"},
    {&wmgw_dcom_iid_iwbem_fetch_smart_enum, "1c1c45ee-4395-11d2-b60b-00104b703efd", "IWbemFetchSmartEnum"},
    {&wmgw_dcom_iid_iwbem_wco_smart_enum, "423ec01e-2e35-11d2-b604-00104b703efd", "IWbemWCOSmartEnum"},
    {&wmgw_dcom_iid_iwbem_class_object, "dc12a681-737f-11cf-884d-00aa004b2e24", "IWbemClassObject"},
    {&wmgw_dcom_clsid_wbem_class_object, "4590f812-1d3a-11d0-891f-00aa004b2e24", "CLSID_WbemClassObject"},
    {&wmgw_dcom_iid_iwbem_context, "44aca674-e8fc-11d0-a07c-00c04fb68820", "IWbemContext"},
    {&wmgw_dcom_clsid_wbem_context, "674b6698-ee92-11d0-ad71-00c04fd8fdff", "CLSID_WbemContext"},
};

static void test_ids_match_their_text(void)
{
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char s[WMGW_UUID_STRLEN + 1];
        wmgw_uuid_format(ids[i].id, s);
        CHECK_STR(s, ids[i].text);
        CHECK_STR(wmgw_dcom_uuid_name(ids[i].id), ids[i].name);
    }
    struct wmgw_uuid other;
    wmgw_uuid_parse(&other, "12345678-1234-1234-1234-123456789abc", NULL);
    CHECK(wmgw_dcom_uuid_name(&other) == NULL);
    struct wmgw_rpc_syntax s = wmgw_dcom_syntax(&wmgw_dcom_iid_iwbem_services);
    CHECK(wmgw_uuid_eq(&s.uuid, &wmgw_dcom_iid_iwbem_services) && s.major == 0 && s.minor == 0);
}

static void test_orpcthis_defaults(void)
{
    struct wmgw_ndr_orpcthis a, b;
    struct wmgw_uuid cid;
    wmgw_uuid_parse(&cid, "8e2416fe-0a3f-42be-a9b0-f30624c94619", NULL); /* MS-WMI 4.1.1's causality id */
    wmgw_dcom_orpcthis_init(&a, &cid);
    CHECK(a.major == 5 && a.minor == 7 && a.flags == 0 && !a.has_extensions && wmgw_uuid_eq(&a.cid, &cid));
    wmgw_dcom_orpcthis_init(&a, NULL);
    wmgw_dcom_orpcthis_init(&b, NULL);
    CHECK(!wmgw_uuid_is_nil(&a.cid) && !wmgw_uuid_eq(&a.cid, &b.cid));

    /* a void request: ORPCTHIS alone, 32 bytes with the cid at 12 */
    struct wmgw_buf out;
    struct wmgw_err err;
    wmgw_buf_init(&out, 1024);
    wmgw_dcom_orpcthis_init(&a, &cid);
    CHECK_INT(wmgw_dcom_void_req_encode(&out, &a, &err), 0);
    CHECK_INT(out.len, 32);
    CHECK(memcmp(out.data, "\x05\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12) == 0);
    CHECK(memcmp(out.data + 12, cid.b, 16) == 0);
    CHECK_INT(wmgw_dcom_void_req_decode((const uint8_t *)out.data, out.len, &b, &err), 0);
    CHECK(wmgw_uuid_eq(&b.cid, &cid) && b.major == 5 && b.minor == 7);
    CHECK(wmgw_dcom_void_req_decode((const uint8_t *)out.data, 31, &b, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "ORPCTHIS") != NULL);
    wmgw_buf_dispose(&out);
}

static void sample_iref(struct wmgw_dcom_iref *ir)
{
    memset(ir, 0, sizeof(*ir));
    ir->iid = wmgw_dcom_iid_iwbem_services;
    ir->std.flags = 0;
    ir->std.public_refs = 5;
    ir->std.oxid = 0x71b2c3d4e5f60718ull;
    ir->std.oid = 0x42;
    wmgw_uuid_parse(&ir->std.ipid, "0001a407-06c4-0000-a6e3-c870b6019c76", NULL);
}

static void test_iref_round_trip(void)
{
    struct wmgw_dcom_iref ir, back;
    struct wmgw_ndr_dsa dsa, got;
    struct wmgw_buf out;
    struct wmgw_err err;
    sample_iref(&ir);
    memset(&dsa, 0, sizeof(dsa));
    dsa.n_strings = 1;
    dsa.strings[0].tower_id = 7;
    strcpy(dsa.strings[0].addr, "SAI-NAV009-2[49667]");
    dsa.n_security = 1;
    dsa.security[0].authn_svc = 10;
    wmgw_buf_init(&out, 4096);
    CHECK_INT(wmgw_dcom_iref_format(&ir, &dsa, &out, &err), 0);
    CHECK(memcmp(out.data, "MEOW\x01\x00\x00\x00", 8) == 0);
    CHECK_INT(wmgw_dcom_iref_parse((const uint8_t *)out.data, out.len, &wmgw_dcom_iid_iwbem_services, &back, &got,
                                   &err), 0);
    CHECK(wmgw_uuid_eq(&back.std.ipid, &ir.std.ipid) && back.std.oxid == ir.std.oxid && back.std.oid == 0x42);
    CHECK_INT(back.std.public_refs, 5);
    CHECK_STR(got.strings[0].addr, "SAI-NAV009-2[49667]");
    CHECK_INT(got.security[0].authn_svc, 10);

    /* the wrong interface, a custom OBJREF, NULL */
    CHECK(wmgw_dcom_iref_parse((const uint8_t *)out.data, out.len, &wmgw_dcom_iid_ienum_wbem_class_object, &back,
                               NULL, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "IEnumWbemClassObject") != NULL);
    out.data[4] = 4;
    CHECK(wmgw_dcom_iref_parse((const uint8_t *)out.data, out.len, NULL, &back, NULL, &err) == WMGW_EPROTO);
    CHECK(wmgw_dcom_iref_parse(NULL, 0, NULL, &back, NULL, &err) == WMGW_EPROTO);
    wmgw_buf_dispose(&out);
}

static void test_double_pointer(void)
{
    const uint8_t objref[] = "MEOW-not-parsed-here";
    struct wmgw_dcom_ptr p = {objref, sizeof(objref)}, q;
    struct wmgw_buf out;
    struct wmgw_ndr_writer w;
    struct wmgw_ndr_reader r;
    bool outer;
    wmgw_buf_init(&out, 4096);
    wmgw_ndr_writer_init(&w, &out, NULL);
    wmgw_dcom_put_pptr(&w, false, &p); /* NULL: 0 */
    wmgw_dcom_put_pptr(&w, true, NULL); /* &NULL: refid, 0 */
    wmgw_dcom_put_pptr(&w, true, &p);  /* refid, refid, MIP */
    CHECK_INT(w.rc, 0);
    CHECK_INT(out.len, 4 + 8 + 8 + 8 + sizeof(objref));
    CHECK(memcmp(out.data, "\0\0\0\0\x00\x00\x02\x00\0\0\0\0\x04\x00\x02\x00\x08\x00\x02\x00", 20) == 0);
    wmgw_ndr_reader_init(&r, (const uint8_t *)out.data, out.len, NULL);
    wmgw_dcom_get_pptr(&r, &outer, &q, "a");
    CHECK(!outer && q.objref == NULL);
    wmgw_dcom_get_pptr(&r, &outer, &q, "b");
    CHECK(outer && q.objref == NULL);
    wmgw_dcom_get_pptr(&r, &outer, &q, "c");
    CHECK(outer && q.len == sizeof(objref) && memcmp(q.objref, objref, sizeof(objref)) == 0);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.off, r.len);
    wmgw_buf_dispose(&out);
}

static void test_shared_replies(void)
{
    struct wmgw_buf out;
    struct wmgw_err err;
    struct wmgw_dcom_status_resp s = {{0}, 0x80041003u}, s2;
    wmgw_buf_init(&out, 4096);
    CHECK_INT(wmgw_dcom_status_resp_encode(&out, &s, &err), 0);
    CHECK_INT(out.len, 12);
    CHECK(memcmp(out.data, "\0\0\0\0\0\0\0\0\x03\x10\x04\x80", 12) == 0);
    CHECK_INT(wmgw_dcom_status_resp_decode((const uint8_t *)out.data, out.len, &s2, &err), 0);
    CHECK(s2.hr == 0x80041003u);
    /* a reply must end with its HRESULT */
    wmgw_buf_addc(&out, 0);
    CHECK(wmgw_dcom_status_resp_decode((const uint8_t *)out.data, out.len, &s2, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "HRESULT") != NULL);

    struct wmgw_dcom_iref ir;
    struct wmgw_buf objref;
    sample_iref(&ir);
    wmgw_buf_init(&objref, 4096);
    wmgw_dcom_iref_format(&ir, NULL, &objref, &err);
    struct wmgw_dcom_ptr_resp p = {{0}, {(const uint8_t *)objref.data, objref.len}, 0}, p2;
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_dcom_ptr_resp_encode(&out, &p, &err), 0);
    CHECK_INT(out.len, 8 + 4 + 8 + objref.len + 4);
    CHECK(memcmp(out.data + 8, "\x00\x00\x02\x00", 4) == 0); /* the first referent id (MS-WMI 4.1.1 shows it) */
    CHECK_INT(wmgw_dcom_ptr_resp_decode((const uint8_t *)out.data, out.len, &p2, &err), 0);
    CHECK(p2.ptr.len == objref.len && memcmp(p2.ptr.objref, objref.data, objref.len) == 0 && p2.hr == 0);
    /* failure: NULL pointer and the HRESULT */
    p.ptr.objref = NULL;
    p.hr = 0x8004100Eu;
    wmgw_buf_reset(&out);
    CHECK_INT(wmgw_dcom_ptr_resp_encode(&out, &p, &err), 0);
    CHECK_INT(out.len, 16);
    CHECK_INT(wmgw_dcom_ptr_resp_decode((const uint8_t *)out.data, out.len, &p2, &err), 0);
    CHECK(p2.ptr.objref == NULL && p2.hr == 0x8004100Eu);
    /* a bad MInterfacePointer is named */
    const uint8_t bad[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 9, 0, 0, 0, 8, 0, 0, 0};
    CHECK(wmgw_dcom_ptr_resp_decode(bad, sizeof(bad), &p2, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "interface pointer") != NULL);
    wmgw_buf_dispose(&objref);
    wmgw_buf_dispose(&out);
}

static void test_failed_encode_leaves_output(void)
{
    struct wmgw_buf out;
    struct wmgw_err err;
    struct wmgw_ndr_orpcthis t;
    wmgw_buf_init(&out, 40); /* room for 40 bytes only */
    wmgw_buf_addstr(&out, "keep");
    wmgw_dcom_orpcthis_init(&t, NULL);
    t.has_extensions = true;
    t.n_ext = 1;
    t.ext[0].size = 32;
    t.ext[0].data = (const uint8_t *)"0123456789abcdef0123456789abcdef";
    CHECK(wmgw_dcom_void_req_encode(&out, &t, &err) == WMGW_ETOOBIG);
    CHECK_INT(out.len, 4);
    CHECK_STR(out.data, "keep");
    wmgw_buf_dispose(&out);
}

int main(void)
{
    WMGW_TEST_RUN(test_ids_match_their_text);
    WMGW_TEST_RUN(test_orpcthis_defaults);
    WMGW_TEST_RUN(test_iref_round_trip);
    WMGW_TEST_RUN(test_double_pointer);
    WMGW_TEST_RUN(test_shared_replies);
    WMGW_TEST_RUN(test_failed_encode_leaves_output);
    return WMGW_TEST_DONE();
}
