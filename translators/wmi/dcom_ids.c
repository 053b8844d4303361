/*
 * dcom_ids.c: the UUIDs of dcom_ids.h, written as the specs print them
 * (Data1, Data2, Data3, then Data4's eight bytes) and laid out here in
 * wire order; tests/unit/wmi/dcom_orpc.c checks every one against its text.
 */
#include "translators/wmi/dcom_ids.h"

#include <stddef.h>

/* DEFINE_GUID's argument order, producing the NDR byte order. */
#define GUID_WIRE(d1, d2, d3, b0, b1, b2, b3, b4, b5, b6, b7)                                          \
    {{(uint8_t)(d1), (uint8_t)((d1) >> 8), (uint8_t)((d1) >> 16), (uint8_t)((d1) >> 24), (uint8_t)(d2), \
      (uint8_t)((d2) >> 8), (uint8_t)(d3), (uint8_t)((d3) >> 8), b0, b1, b2, b3, b4, b5, b6, b7}}
/* The OLE range 000000xx-0000-0000-C000-000000000046. */
#define OLE_GUID(d1) GUID_WIRE(d1, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46)

const struct wmgw_uuid wmgw_dcom_iid_iunknown = OLE_GUID(0x00000000);
const struct wmgw_uuid wmgw_dcom_iid_iremote_scm_activator = OLE_GUID(0x000001A0);
const struct wmgw_uuid wmgw_dcom_iid_iactivation =
    GUID_WIRE(0x4d9f4ab8, 0x7d1c, 0x11cf, 0x86, 0x1e, 0x00, 0x20, 0xaf, 0x6e, 0x7c, 0x57);
const struct wmgw_uuid wmgw_dcom_iid_iobject_exporter =
    GUID_WIRE(0x99fcfec4, 0x5260, 0x101b, 0xbb, 0xcb, 0x00, 0xaa, 0x00, 0x21, 0x34, 0x7a);
const struct wmgw_uuid wmgw_dcom_iid_iremunknown = OLE_GUID(0x00000131);
const struct wmgw_uuid wmgw_dcom_iid_iremunknown2 = OLE_GUID(0x00000143);
const struct wmgw_uuid wmgw_dcom_iid_iactprops_in = OLE_GUID(0x000001A2);
const struct wmgw_uuid wmgw_dcom_iid_iactprops_out = OLE_GUID(0x000001A3);
const struct wmgw_uuid wmgw_dcom_iid_icontext = OLE_GUID(0x000001C0);

const struct wmgw_uuid wmgw_dcom_clsid_actprops_in = OLE_GUID(0x00000338);
const struct wmgw_uuid wmgw_dcom_clsid_actprops_out = OLE_GUID(0x00000339);
const struct wmgw_uuid wmgw_dcom_clsid_instantiation_info = OLE_GUID(0x000001AB);
const struct wmgw_uuid wmgw_dcom_clsid_special_props = OLE_GUID(0x000001B9);
const struct wmgw_uuid wmgw_dcom_clsid_instance_info = OLE_GUID(0x000001AD);
const struct wmgw_uuid wmgw_dcom_clsid_scm_request_info = OLE_GUID(0x000001AA);
const struct wmgw_uuid wmgw_dcom_clsid_context_info = OLE_GUID(0x000001A5);
const struct wmgw_uuid wmgw_dcom_clsid_location_info = OLE_GUID(0x000001A4);
const struct wmgw_uuid wmgw_dcom_clsid_security_info = OLE_GUID(0x000001A6);
const struct wmgw_uuid wmgw_dcom_clsid_scm_reply_info = OLE_GUID(0x000001B6);
const struct wmgw_uuid wmgw_dcom_clsid_props_out_info = OLE_GUID(0x00000339);
const struct wmgw_uuid wmgw_dcom_clsid_context_marshaler = OLE_GUID(0x0000033B);
const struct wmgw_uuid wmgw_dcom_clsid_error_extension = OLE_GUID(0x0000031C);
const struct wmgw_uuid wmgw_dcom_clsid_context_extension = OLE_GUID(0x00000334);

const struct wmgw_uuid wmgw_dcom_clsid_wbem_level1_login =
    GUID_WIRE(0x8BC3F05E, 0xD86B, 0x11D0, 0xA0, 0x75, 0x00, 0xC0, 0x4F, 0xB6, 0x88, 0x20);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_level1_login =
    GUID_WIRE(0xF309AD18, 0xD86A, 0x11D0, 0xA0, 0x75, 0x00, 0xC0, 0x4F, 0xB6, 0x88, 0x20);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_login_client_id =
    GUID_WIRE(0xd4781cd6, 0xe5d3, 0x44df, 0xad, 0x94, 0x93, 0x0e, 0xfe, 0x48, 0xa8, 0x87);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_login_helper =
    GUID_WIRE(0x541679AB, 0x2E5F, 0x11D3, 0xB3, 0x4E, 0x00, 0x10, 0x4B, 0xCC, 0x4B, 0x4A);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_services =
    GUID_WIRE(0x9556DC99, 0x828C, 0x11CF, 0xA3, 0x7E, 0x00, 0xAA, 0x00, 0x32, 0x40, 0xC7);
const struct wmgw_uuid wmgw_dcom_iid_ienum_wbem_class_object =
    GUID_WIRE(0x027947e1, 0xd731, 0x11ce, 0xa3, 0x57, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_call_result =
    GUID_WIRE(0x44aca675, 0xe8fc, 0x11d0, 0xa0, 0x7c, 0x00, 0xc0, 0x4f, 0xb6, 0x88, 0x20);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_object_sink =
    GUID_WIRE(0x7c857801, 0x7381, 0x11cf, 0x88, 0x4d, 0x00, 0xaa, 0x00, 0x4b, 0x2e, 0x24);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_fetch_smart_enum =
    GUID_WIRE(0x1C1C45EE, 0x4395, 0x11D2, 0xB6, 0x0B, 0x00, 0x10, 0x4B, 0x70, 0x3E, 0xFD);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_wco_smart_enum =
    GUID_WIRE(0x423EC01E, 0x2E35, 0x11D2, 0xB6, 0x04, 0x00, 0x10, 0x4B, 0x70, 0x3E, 0xFD);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_class_object =
    GUID_WIRE(0xDC12A681, 0x737F, 0x11CF, 0x88, 0x4D, 0x00, 0xAA, 0x00, 0x4B, 0x2E, 0x24);
const struct wmgw_uuid wmgw_dcom_clsid_wbem_class_object =
    GUID_WIRE(0x4590F812, 0x1D3A, 0x11D0, 0x89, 0x1F, 0x00, 0xAA, 0x00, 0x4B, 0x2E, 0x24);
const struct wmgw_uuid wmgw_dcom_iid_iwbem_context =
    GUID_WIRE(0x44aca674, 0xe8fc, 0x11d0, 0xa0, 0x7c, 0x00, 0xc0, 0x4f, 0xb6, 0x88, 0x20);
const struct wmgw_uuid wmgw_dcom_clsid_wbem_context =
    GUID_WIRE(0x674B6698, 0xEE92, 0x11D0, 0xAD, 0x71, 0x00, 0xC0, 0x4F, 0xD8, 0xFD, 0xFF);

/* Names for messages and logs; where one UUID has two roles (00000339 is
 * both the ActivationPropertiesOut unmarshaler and the PropsOutInfo
 * property) the first entry names it. */
static const struct {
    const struct wmgw_uuid *id;
    const char *name;
} names[] = {
    {&wmgw_dcom_iid_iunknown, "IUnknown"},
    {&wmgw_dcom_iid_iremote_scm_activator, "IRemoteSCMActivator"},
    {&wmgw_dcom_iid_iactivation, "IActivation"},
    {&wmgw_dcom_iid_iobject_exporter, "IObjectExporter"},
    {&wmgw_dcom_iid_iremunknown, "IRemUnknown"},
    {&wmgw_dcom_iid_iremunknown2, "IRemUnknown2"},
    {&wmgw_dcom_iid_iactprops_in, "IActivationPropertiesIn"},
    {&wmgw_dcom_iid_iactprops_out, "IActivationPropertiesOut"},
    {&wmgw_dcom_iid_icontext, "IContext"},
    {&wmgw_dcom_clsid_actprops_in, "CLSID_ActivationPropertiesIn"},
    {&wmgw_dcom_clsid_actprops_out, "CLSID_ActivationPropertiesOut"},
    {&wmgw_dcom_clsid_instantiation_info, "CLSID_InstantiationInfo"},
    {&wmgw_dcom_clsid_special_props, "CLSID_SpecialSystemProperties"},
    {&wmgw_dcom_clsid_instance_info, "CLSID_InstanceInfo"},
    {&wmgw_dcom_clsid_scm_request_info, "CLSID_ScmRequestInfo"},
    {&wmgw_dcom_clsid_context_info, "CLSID_ActivationContextInfo"},
    {&wmgw_dcom_clsid_location_info, "CLSID_ServerLocationInfo"},
    {&wmgw_dcom_clsid_security_info, "CLSID_SecurityInfo"},
    {&wmgw_dcom_clsid_scm_reply_info, "CLSID_ScmReplyInfo"},
    {&wmgw_dcom_clsid_context_marshaler, "CLSID_ContextMarshaler"},
    {&wmgw_dcom_clsid_error_extension, "CLSID_ERROR_EXTENSION"},
    {&wmgw_dcom_clsid_context_extension, "CLSID_CONTEXT_EXTENSION"},
    {&wmgw_dcom_clsid_wbem_level1_login, "CLSID_WbemLevel1Login"},
    {&wmgw_dcom_iid_iwbem_level1_login, "IWbemLevel1Login"},
    {&wmgw_dcom_iid_iwbem_login_client_id, "IWbemLoginClientID"},
    {&wmgw_dcom_iid_iwbem_login_helper, "IWbemLoginHelper"},
    {&wmgw_dcom_iid_iwbem_services, "IWbemServices"},
    {&wmgw_dcom_iid_ienum_wbem_class_object, "IEnumWbemClassObject"},
    {&wmgw_dcom_iid_iwbem_call_result, "IWbemCallResult"},
    {&wmgw_dcom_iid_iwbem_object_sink, "IWbemObjectSink"},
    {&wmgw_dcom_iid_iwbem_fetch_smart_enum, "IWbemFetchSmartEnum"},
    {&wmgw_dcom_iid_iwbem_wco_smart_enum, "IWbemWCOSmartEnum"},
    {&wmgw_dcom_iid_iwbem_class_object, "IWbemClassObject"},
    {&wmgw_dcom_clsid_wbem_class_object, "CLSID_WbemClassObject"},
    {&wmgw_dcom_iid_iwbem_context, "IWbemContext"},
    {&wmgw_dcom_clsid_wbem_context, "CLSID_WbemContext"},
};

const char *wmgw_dcom_uuid_name(const struct wmgw_uuid *u)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (wmgw_uuid_eq(names[i].id, u))
            return names[i].name;
    return NULL;
}

struct wmgw_rpc_syntax wmgw_dcom_syntax(const struct wmgw_uuid *iid)
{
    struct wmgw_rpc_syntax s = {*iid, 0, 0};
    return s;
}
