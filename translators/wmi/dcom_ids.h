/*
 * dcom_ids.h: the numbers of WMI over DCOM: interface and class UUIDs,
 * opnums, activation property CLSIDs, and the DCOM HRESULTs the stubs
 * meet, each with the spec section that defines it.
 *
 * Part of the wmi/ translator's DCOM layer (design.md: translators/wmi,
 * "DCOM activation, IWbem* calls"), shared by the gateway's DCOM client and
 * the simulator's DCOM server.  The UUIDs are in their wire (NDR) form, as
 * struct wmgw_uuid keeps them; dcom_ids.c defines them from the text form
 * the specs print, and wmgw_dcom_uuid_name() names them for messages.
 * Every interface here is version 0.0.
 */
#ifndef WMGW_TRANSLATORS_WMI_DCOM_IDS_H
#define WMGW_TRANSLATORS_WMI_DCOM_IDS_H

#include <stdint.h>

#include "translators/wmi/rpc_pdu.h"
#include "translators/wmi/uuid.h"

/* ---- DCOM interfaces (MS-DCOM 1.9) ---- */
extern const struct wmgw_uuid wmgw_dcom_iid_iunknown;             /* 00000000-...-46, 3.1.1.5.8 */
extern const struct wmgw_uuid wmgw_dcom_iid_iremote_scm_activator; /* 000001A0-...-46, 3.1.2.5.2.2 */
extern const struct wmgw_uuid wmgw_dcom_iid_iactivation;          /* 4d9f4ab8-..., 3.1.2.5.2.1 (legacy) */
extern const struct wmgw_uuid wmgw_dcom_iid_iobject_exporter;     /* 99fcfec4-..., 3.1.2.5.1 */
extern const struct wmgw_uuid wmgw_dcom_iid_iremunknown;          /* 00000131-...-46, 3.1.1.5.6 */
extern const struct wmgw_uuid wmgw_dcom_iid_iremunknown2;         /* 00000143-...-46, 3.1.1.5.7 */
extern const struct wmgw_uuid wmgw_dcom_iid_iactprops_in;         /* 000001A2-...-46: OBJREF iid of pActProperties */
extern const struct wmgw_uuid wmgw_dcom_iid_iactprops_out;        /* 000001A3-...-46: OBJREF iid of ppActProperties */
extern const struct wmgw_uuid wmgw_dcom_iid_icontext;             /* 000001c0-...-46, 2.2.20 */

/* ---- DCOM classes: OBJREF_CUSTOM unmarshalers and activation property
 * identifiers (MS-DCOM 1.9, the pclsid entries of 2.2.22.1) ---- */
extern const struct wmgw_uuid wmgw_dcom_clsid_actprops_in;   /* 00000338-...-46, 3.1.2.5.2.3.3 */
extern const struct wmgw_uuid wmgw_dcom_clsid_actprops_out;  /* 00000339-...-46 (= PropsOutInfo) */
extern const struct wmgw_uuid wmgw_dcom_clsid_instantiation_info; /* 000001ab-...-46, 2.2.22.2.1 */
extern const struct wmgw_uuid wmgw_dcom_clsid_special_props;      /* 000001b9-...-46, 2.2.22.2.2 */
extern const struct wmgw_uuid wmgw_dcom_clsid_instance_info;      /* 000001ad-...-46, 2.2.22.2.3 */
extern const struct wmgw_uuid wmgw_dcom_clsid_scm_request_info;   /* 000001aa-...-46, 2.2.22.2.4 */
extern const struct wmgw_uuid wmgw_dcom_clsid_context_info;       /* 000001a5-...-46, 2.2.22.2.5 */
extern const struct wmgw_uuid wmgw_dcom_clsid_location_info;      /* 000001a4-...-46, 2.2.22.2.6 */
extern const struct wmgw_uuid wmgw_dcom_clsid_security_info;      /* 000001a6-...-46, 2.2.22.2.7 */
extern const struct wmgw_uuid wmgw_dcom_clsid_scm_reply_info;     /* 000001b6-...-46, 2.2.22.2.8 */
extern const struct wmgw_uuid wmgw_dcom_clsid_props_out_info;     /* 00000339-...-46, 2.2.22.2.9 */
extern const struct wmgw_uuid wmgw_dcom_clsid_context_marshaler;  /* 0000033b-...-46, 2.2.20 */
extern const struct wmgw_uuid wmgw_dcom_clsid_error_extension;    /* 0000031c-...-46, 2.2.21.1 */
extern const struct wmgw_uuid wmgw_dcom_clsid_context_extension;  /* 00000334-...-46, 2.2.21.4 */

/* ---- WMI (MS-WMI 1.9, 2.2.4, 2.2.13, 3.1.4.x, Appendix A) ---- */
extern const struct wmgw_uuid wmgw_dcom_clsid_wbem_level1_login;   /* 8BC3F05E-..., 1.9: what activation creates */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_level1_login;    /* F309AD18-..., 3.1.4.1 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_login_client_id; /* d4781cd6-..., 3.1.4.8 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_login_helper;    /* 541679AB-..., 3.1.4.9 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_services;        /* 9556DC99-..., 3.1.4.3 */
extern const struct wmgw_uuid wmgw_dcom_iid_ienum_wbem_class_object; /* 027947e1-..., 3.1.4.4 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_call_result;     /* 44aca675-..., 3.1.4.5 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_object_sink;     /* 7c857801-..., 3.1.4.2 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_fetch_smart_enum; /* 1c1c45ee-..., 3.1.4.6 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_wco_smart_enum;  /* 423ec01e-..., 3.1.4.7 */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_class_object;    /* DC12A681-..., 2.2.4 */
extern const struct wmgw_uuid wmgw_dcom_clsid_wbem_class_object;   /* 4590F812-..., 2.2.4: its unmarshaler */
extern const struct wmgw_uuid wmgw_dcom_iid_iwbem_context;         /* 44aca674-..., 2.2.13 */
extern const struct wmgw_uuid wmgw_dcom_clsid_wbem_context;        /* 674B6698-..., 2.2.13: its unmarshaler */

/* "IWbemServices", "CLSID_InstantiationInfo", ... or NULL for a UUID not above. */
const char *wmgw_dcom_uuid_name(const struct wmgw_uuid *u);
/* The presentation syntax of an interface: iid, version 0.0. */
struct wmgw_rpc_syntax wmgw_dcom_syntax(const struct wmgw_uuid *iid);

/* ---- opnums ---- */

enum wmgw_dcom_scm_opnum { /* IRemoteSCMActivator, MS-DCOM 3.1.2.5.2.2 (0-2 reserved for local use) */
    WMGW_DCOM_OP_REMOTE_GET_CLASS_OBJECT = 3,
    WMGW_DCOM_OP_REMOTE_CREATE_INSTANCE = 4,
};

enum wmgw_dcom_exporter_opnum { /* IObjectExporter, MS-DCOM 3.1.2.5.1 */
    WMGW_DCOM_OP_RESOLVE_OXID = 0,
    WMGW_DCOM_OP_SIMPLE_PING = 1,
    WMGW_DCOM_OP_COMPLEX_PING = 2,
    WMGW_DCOM_OP_SERVER_ALIVE = 3,
    WMGW_DCOM_OP_RESOLVE_OXID2 = 4,
    WMGW_DCOM_OP_SERVER_ALIVE2 = 5,
};

enum wmgw_dcom_remunknown_opnum { /* IRemUnknown 3.1.1.5.6 (0-2: IUnknown, never on the wire); IRemUnknown2 3.1.1.5.7 */
    WMGW_DCOM_OP_REM_QUERY_INTERFACE = 3,
    WMGW_DCOM_OP_REM_ADD_REF = 4,
    WMGW_DCOM_OP_REM_RELEASE = 5,
    WMGW_DCOM_OP_REM_QUERY_INTERFACE2 = 6,
};

enum wmgw_wmi_login_opnum { /* IWbemLevel1Login, MS-WMI 3.1.4.1 */
    WMGW_WMI_OP_ESTABLISH_POSITION = 3,
    WMGW_WMI_OP_REQUEST_CHALLENGE = 4, /* obsolete: servers answer WBEM_E_NOT_SUPPORTED */
    WMGW_WMI_OP_WBEM_LOGIN = 5,        /* obsolete: E_NOTIMPL */
    WMGW_WMI_OP_NTLM_LOGIN = 6,
};

enum wmgw_wmi_services_opnum { /* IWbemServices, MS-WMI 3.1.4.3 */
    WMGW_WMI_OP_OPEN_NAMESPACE = 3,
    WMGW_WMI_OP_CANCEL_ASYNC_CALL = 4,
    WMGW_WMI_OP_QUERY_OBJECT_SINK = 5,
    WMGW_WMI_OP_GET_OBJECT = 6,
    WMGW_WMI_OP_GET_OBJECT_ASYNC = 7,
    WMGW_WMI_OP_PUT_CLASS = 8,
    WMGW_WMI_OP_PUT_CLASS_ASYNC = 9,
    WMGW_WMI_OP_DELETE_CLASS = 10,
    WMGW_WMI_OP_DELETE_CLASS_ASYNC = 11,
    WMGW_WMI_OP_CREATE_CLASS_ENUM = 12,
    WMGW_WMI_OP_CREATE_CLASS_ENUM_ASYNC = 13,
    WMGW_WMI_OP_PUT_INSTANCE = 14,
    WMGW_WMI_OP_PUT_INSTANCE_ASYNC = 15,
    WMGW_WMI_OP_DELETE_INSTANCE = 16,
    WMGW_WMI_OP_DELETE_INSTANCE_ASYNC = 17,
    WMGW_WMI_OP_CREATE_INSTANCE_ENUM = 18,
    WMGW_WMI_OP_CREATE_INSTANCE_ENUM_ASYNC = 19,
    WMGW_WMI_OP_EXEC_QUERY = 20,
    WMGW_WMI_OP_EXEC_QUERY_ASYNC = 21,
    WMGW_WMI_OP_EXEC_NOTIFICATION_QUERY = 22,
    WMGW_WMI_OP_EXEC_NOTIFICATION_QUERY_ASYNC = 23,
    WMGW_WMI_OP_EXEC_METHOD = 24,
    WMGW_WMI_OP_EXEC_METHOD_ASYNC = 25,
};

enum wmgw_wmi_enum_opnum { /* IEnumWbemClassObject, MS-WMI 3.1.4.4 */
    WMGW_WMI_OP_ENUM_RESET = 3,
    WMGW_WMI_OP_ENUM_NEXT = 4,
    WMGW_WMI_OP_ENUM_NEXT_ASYNC = 5,
    WMGW_WMI_OP_ENUM_CLONE = 6,
    WMGW_WMI_OP_ENUM_SKIP = 7,
};

enum wmgw_wmi_call_result_opnum { /* IWbemCallResult, MS-WMI 3.1.4.5 */
    WMGW_WMI_OP_GET_RESULT_OBJECT = 3,
    WMGW_WMI_OP_GET_RESULT_STRING = 4,
    WMGW_WMI_OP_GET_RESULT_SERVICES = 5,
    WMGW_WMI_OP_GET_CALL_STATUS = 6,
};

/* ---- other constants ---- */

#define WMGW_DCOM_COM_MAJOR 5 /* COMVERSION we speak (MS-DCOM 2.2.11, 1.7): 5.7 */
#define WMGW_DCOM_COM_MINOR 7
#define WMGW_DCOM_TOWER_TCP 7            /* ncacn_ip_tcp protocol sequence / tower id (MS-DCOM 2.2.19.3) */
#define WMGW_DCOM_MSHCTX_DIFFERENTMACHINE 2 /* CustomHeader.destCtx a remote client sends (2.2.22.1, <22>) */
#define WMGW_DCOM_IMP_LEVEL_IMPERSONATE 3 /* RPC_C_IMP_LEVEL_IMPERSONATE (MS-RPCE 2.2.1.1.9) */

/* HRESULTs of DCOM itself (MS-ERREF 2.1), as activation and IRemUnknown return them. */
#define WMGW_HR_E_NOTIMPL 0x80004001u
#define WMGW_HR_E_NOINTERFACE 0x80004002u
#define WMGW_HR_E_FAIL 0x80004005u
#define WMGW_HR_E_UNEXPECTED 0x8000FFFFu
#define WMGW_HR_E_ACCESSDENIED 0x80070005u
#define WMGW_HR_E_OUTOFMEMORY 0x8007000Eu
#define WMGW_HR_E_INVALIDARG 0x80070057u
#define WMGW_HR_RPC_E_VERSION_MISMATCH 0x80010110u /* client COMVERSION too new (MS-DCOM 3.1.2.5.2.3) */
#define WMGW_HR_RPC_E_INVALID_OBJECT 0x80010114u   /* RemQueryInterface on an unknown IPID (3.1.1.5.6.1.1) */
#define WMGW_HR_RPC_E_INVALID_OBJREF 0x8001011Du   /* a bad client context (3.1.2.5.2.3) */
#define WMGW_HR_CO_E_OBJNOTREG 0x800401FBu         /* RemAddRef on an unknown IPID (3.1.1.5.6.1.2) */
#define WMGW_HR_REGDB_E_CLASSNOTREG 0x80040154u    /* activation of an unknown CLSID */

#endif
