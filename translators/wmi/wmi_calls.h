/*
 * wmi_calls.h: the MS-WMI stubs of WMI over DCOM: IWbemLevel1Login,
 * IWbemServices and IEnumWbemClassObject calls in both roles, and the
 * WBEM HRESULTs with their names.
 *
 * Part of the wmi/ translator's DCOM layer (design.md: translators/wmi,
 * "IWbem* calls"): the gateway's DCOM client encodes requests and decodes
 * replies, the simulator's DCOM server decodes requests and encodes
 * replies, with the same structures.  Objects (IWbemClassObject) travel
 * as an OBJREF_CUSTOM (IID_IWbemClassObject, CLSID_WbemClassObject) whose
 * data is an MS-WMIO EncodingUnit; these stubs wrap and unwrap that OBJREF
 * and hand the EncodingUnit bytes to and from the caller, who decodes them
 * with wmio.h.  Other interface pointers (IWbemServices, the enumerator,
 * IWbemCallResult, IWbemContext) are OBJREF bytes (struct wmgw_dcom_ptr;
 * dcom_orpc.h turns standard ones into an IPID).  Rules for buffers,
 * errors and trailing bytes: dcom_orpc.h.  Decoded strings are appended,
 * NUL-terminated, to the caller's `text` buffer, whose max bounds them; the
 * char pointers stay valid until text changes.  A string with a NUL inside
 * is refused.
 *
 * Every method, both directions (opnum; request; reply):
 *   IWbemLevel1Login  EstablishPosition 3  establish_req       establish_resp
 *                     NTLMLogin 6          login_req           wmgw_dcom_ptr_resp (IWbemServices)
 *   IWbemServices     GetObject 6          getobject_req       getobject_resp
 *                     PutInstance 14       putinstance_req     callresult_resp
 *                     DeleteInstance 16    deleteinstance_req  callresult_resp
 *                     ExecQuery 20         query_req           wmgw_dcom_ptr_resp (IEnumWbemClassObject)
 *                     ExecNotificationQuery 22  query_req      wmgw_dcom_ptr_resp (IEnumWbemClassObject)
 *                     ExecMethod 24        execmethod_req      execmethod_resp
 *   IEnumWbemClassObject  Reset 3          wmgw_dcom_void_req  wmgw_dcom_status_resp
 *                     Next 4               enum_req            next_resp
 *                     Clone 6              wmgw_dcom_void_req  wmgw_dcom_ptr_resp
 *                     Skip 7               enum_req            wmgw_dcom_status_resp
 * each with _encode and _decode.
 *
 * [in, out, unique] IFoo ** arguments (ppObject, ppCallResult,
 * ppOutParams) carry a pp_* flag: whether the client passed the pointer at
 * all.  A server must answer with the same flags, so the reply encoders
 * take them from the request.  impacket's GetObject sends an empty
 * MInterfacePointer where the IDL has these pointers; read as NDR that is
 * ppObject = &NULL, ppCallResult = NULL and 12 trailing bytes, which
 * Windows ignores and so do the request decoders.
 */
#ifndef WMGW_TRANSLATORS_WMI_WMI_CALLS_H
#define WMGW_TRANSLATORS_WMI_WMI_CALLS_H

#include "translators/wmi/dcom_orpc.h"

/* ---- flags (MS-WMI 2.2.5 - 2.2.9) ---- */
#define WMGW_WBEM_FLAG_CREATE_OR_UPDATE 0x0u
#define WMGW_WBEM_FLAG_UPDATE_ONLY 0x1u
#define WMGW_WBEM_FLAG_CREATE_ONLY 0x2u
#define WMGW_WBEM_FLAG_SHALLOW 0x1u
#define WMGW_WBEM_FLAG_PROTOTYPE 0x2u
#define WMGW_WBEM_FLAG_RETURN_IMMEDIATELY 0x10u /* semisynchronous */
#define WMGW_WBEM_FLAG_FORWARD_ONLY 0x20u
#define WMGW_WBEM_FLAG_DIRECT_READ 0x200u
#define WMGW_WBEM_FLAG_USE_AMENDED_QUALIFIERS 0x20000u
#define WMGW_WBEM_INFINITE 0xFFFFFFFFu /* lTimeout */
#define WMGW_WBEM_NO_WAIT 0u

/* ---- HRESULTs (MS-WMI 2.2.3, 2.2.11; protocol-notes.md 4.6) ---- */
#define WMGW_WBEM_S_NO_ERROR 0x0u
#define WMGW_WBEM_S_FALSE 0x1u
#define WMGW_WBEM_S_TIMEDOUT 0x40004u
#define WMGW_WBEM_S_PARTIAL_RESULTS 0x40010u
#define WMGW_WBEM_S_NEW_STYLE 0x400FFu
#define WMGW_WBEM_E_FAILED 0x80041001u
#define WMGW_WBEM_E_NOT_FOUND 0x80041002u
#define WMGW_WBEM_E_ACCESS_DENIED 0x80041003u
#define WMGW_WBEM_E_INVALID_PARAMETER 0x80041008u
#define WMGW_WBEM_E_NOT_SUPPORTED 0x8004100Cu
#define WMGW_WBEM_E_INVALID_NAMESPACE 0x8004100Eu
#define WMGW_WBEM_E_INVALID_CLASS 0x80041010u
#define WMGW_WBEM_E_INVALID_OPERATION 0x80041016u
#define WMGW_WBEM_E_INVALID_QUERY 0x80041017u
#define WMGW_WBEM_E_INVALID_QUERY_TYPE 0x80041018u
#define WMGW_WBEM_E_ALREADY_EXISTS 0x80041019u
#define WMGW_WBEM_E_INVALID_METHOD 0x8004102Eu
#define WMGW_WBEM_E_INVALID_OBJECT_PATH 0x8004103Au
#define WMGW_WBEM_E_NOT_EVENT_CLASS 0x80041059u
#define WMGW_WBEM_E_REGISTRATION_TOO_PRECISE 0x80042002u

/* One known HRESULT: WBEMSTATUS values, and the DCOM/OLE ones a WMI call
 * can meet.  err is the WMGW_E* it stands for (0 for successes), which
 * gives the HTTP status of a problem+json; the name and value go into its
 * extension fields. */
struct wmgw_wmi_hresult {
    uint32_t value;
    const char *name; /* "WBEM_E_NOT_FOUND" */
    int err;
};

/* The entry for hr, or NULL for an HRESULT not in the table. */
const struct wmgw_wmi_hresult *wmgw_wmi_hresult_find(uint32_t hr);
/* Its name, or NULL. */
const char *wmgw_wmi_hresult_name(uint32_t hr);
/* 0 for success codes (known or not, MS-WMI 2.2.3), the table's WMGW_E*
 * for known failures, WMGW_EBACKEND for other failures. */
int wmgw_wmi_hresult_err(uint32_t hr);
/* The whole table, for tests and documentation. */
const struct wmgw_wmi_hresult *wmgw_wmi_hresults(size_t *n);

/* ---- arguments ---- */

#define WMGW_WMI_MAX_NEXT 4096 /* objects one Next reply may carry to a decoder */

/* An IWbemClassObject argument: the MS-WMIO EncodingUnit of its
 * OBJREF_CUSTOM (data NULL: a NULL interface pointer). */
struct wmgw_wmi_unit {
    const uint8_t *data;
    size_t len;
};

/* IWbemLevel1Login::EstablishPosition(reserved1 = NULL, reserved2 = 0) */
struct wmgw_wmi_establish_req {
    struct wmgw_ndr_orpcthis orpc;
    uint32_t reserved2;
};
struct wmgw_wmi_establish_resp {
    struct wmgw_ndr_orpcthat orpc;
    uint32_t locale_version; /* 1: unknown locales are ignored by NTLMLogin */
    uint32_t hr;
};

/* IWbemLevel1Login::NTLMLogin(wszNetworkResource, wszPreferredLocale, lFlags, pCtx) */
struct wmgw_wmi_login_req {
    struct wmgw_ndr_orpcthis orpc;
    const char *network_resource; /* "//./root/cimv2", "\\\\host\\root\\cimv2" */
    const char *preferred_locale; /* "en-US,en" or NULL */
    uint32_t flags;               /* MUST be 0 */
    struct wmgw_dcom_ptr ctx;     /* IWbemContext, usually NULL */
};

/* IWbemServices::GetObject(strObjectPath, lFlags, pCtx, ppObject, ppCallResult) */
struct wmgw_wmi_getobject_req {
    struct wmgw_ndr_orpcthis orpc;
    const char *path; /* class "Win32_Service" or instance "Win32_Service.Name=\"WinRM\""; NULL allowed */
    uint32_t flags;
    struct wmgw_dcom_ptr ctx;
    bool pp_object, pp_call_result; /* sent as &NULL (the IDL's [in] value of these is ignored) */
};
struct wmgw_wmi_getobject_resp {
    struct wmgw_ndr_orpcthat orpc;
    bool pp_object;                 /* as in the request */
    struct wmgw_wmi_unit object;
    bool pp_call_result;
    struct wmgw_dcom_ptr call_result; /* IWbemCallResult (semisynchronous calls) */
    uint32_t hr;
};

/* IWbemServices::PutInstance(pInst, lFlags, pCtx, ppCallResult) */
struct wmgw_wmi_putinstance_req {
    struct wmgw_ndr_orpcthis orpc;
    struct wmgw_wmi_unit inst;
    uint32_t flags; /* WMGW_WBEM_FLAG_CREATE_OR_UPDATE, _UPDATE_ONLY, _CREATE_ONLY */
    struct wmgw_dcom_ptr ctx; /* may carry __PUT_EXT_* for partial updates */
    bool pp_call_result;
};

/* IWbemServices::DeleteInstance(strObjectPath, lFlags, pCtx, ppCallResult) */
struct wmgw_wmi_deleteinstance_req {
    struct wmgw_ndr_orpcthis orpc;
    const char *path;
    uint32_t flags;
    struct wmgw_dcom_ptr ctx;
    bool pp_call_result;
};

/* PutInstance's and DeleteInstance's reply: (ppCallResult, HRESULT). */
struct wmgw_wmi_callresult_resp {
    struct wmgw_ndr_orpcthat orpc;
    bool pp_call_result;
    struct wmgw_dcom_ptr call_result;
    uint32_t hr;
};

/* IWbemServices::ExecQuery / ExecNotificationQuery(strQueryLanguage,
 * strQuery, lFlags, pCtx) */
struct wmgw_wmi_query_req {
    struct wmgw_ndr_orpcthis orpc;
    const char *language; /* "WQL" */
    const char *query;
    uint32_t flags;       /* notification queries: RETURN_IMMEDIATELY | FORWARD_ONLY */
    struct wmgw_dcom_ptr ctx;
};

/* IWbemServices::ExecMethod(strObjectPath, strMethodName, lFlags, pCtx,
 * pInParams, ppOutParams, ppCallResult) */
struct wmgw_wmi_execmethod_req {
    struct wmgw_ndr_orpcthis orpc;
    const char *path;
    const char *method;
    uint32_t flags;
    struct wmgw_dcom_ptr ctx;
    struct wmgw_wmi_unit in_params; /* a __PARAMETERS instance, or NULL without in-parameters */
    bool pp_out_params, pp_call_result;
};
struct wmgw_wmi_execmethod_resp {
    struct wmgw_ndr_orpcthat orpc;
    bool pp_out_params;
    struct wmgw_wmi_unit out_params;
    bool pp_call_result;
    struct wmgw_dcom_ptr call_result;
    uint32_t hr;
};

/* IEnumWbemClassObject::Next(lTimeout, uCount) and ::Skip(lTimeout, nCount) */
struct wmgw_wmi_enum_req {
    struct wmgw_ndr_orpcthis orpc;
    uint32_t timeout; /* milliseconds, WMGW_WBEM_INFINITE or WMGW_WBEM_NO_WAIT */
    uint32_t count;
};

/* Next's reply: (apObjects[size_is(uCount), length_is(*puReturned)],
 * puReturned, HRESULT); WBEM_S_FALSE when fewer than asked (the end),
 * WBEM_S_TIMEDOUT when the timeout ran out first. */
struct wmgw_wmi_next_resp {
    struct wmgw_ndr_orpcthat orpc;
    uint32_t count;       /* encode: the uCount asked for (the array's max_count); decode: as received */
    uint32_t n_objects;   /* puReturned */
    struct wmgw_wmi_unit *objects; /* encode: n_objects units; decode: the caller's array of cap */
    uint32_t cap;         /* decode: room in objects (at most WMGW_WMI_MAX_NEXT are taken) */
    uint32_t hr;
};

/* ---- the stubs ---- */

int wmgw_wmi_establish_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_establish_req *q, struct wmgw_err *err);
int wmgw_wmi_establish_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_establish_req *q,
                                  struct wmgw_err *err);
int wmgw_wmi_establish_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_establish_resp *a,
                                   struct wmgw_err *err);
int wmgw_wmi_establish_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_establish_resp *a,
                                   struct wmgw_err *err);

int wmgw_wmi_login_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_login_req *q, struct wmgw_err *err);
int wmgw_wmi_login_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_login_req *q, struct wmgw_buf *text,
                              struct wmgw_err *err);

int wmgw_wmi_getobject_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_getobject_req *q, struct wmgw_err *err);
int wmgw_wmi_getobject_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_getobject_req *q,
                                  struct wmgw_buf *text, struct wmgw_err *err);
int wmgw_wmi_getobject_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_getobject_resp *a,
                                   struct wmgw_err *err);
int wmgw_wmi_getobject_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_getobject_resp *a,
                                   struct wmgw_err *err);

int wmgw_wmi_putinstance_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_putinstance_req *q,
                                    struct wmgw_err *err);
int wmgw_wmi_putinstance_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_putinstance_req *q,
                                    struct wmgw_err *err);
int wmgw_wmi_deleteinstance_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_deleteinstance_req *q,
                                       struct wmgw_err *err);
int wmgw_wmi_deleteinstance_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_deleteinstance_req *q,
                                       struct wmgw_buf *text, struct wmgw_err *err);
int wmgw_wmi_callresult_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_callresult_resp *a,
                                    struct wmgw_err *err);
int wmgw_wmi_callresult_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_callresult_resp *a,
                                    struct wmgw_err *err);

int wmgw_wmi_query_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_query_req *q, struct wmgw_err *err);
int wmgw_wmi_query_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_query_req *q, struct wmgw_buf *text,
                              struct wmgw_err *err);

int wmgw_wmi_execmethod_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_execmethod_req *q,
                                   struct wmgw_err *err);
int wmgw_wmi_execmethod_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_execmethod_req *q,
                                   struct wmgw_buf *text, struct wmgw_err *err);
int wmgw_wmi_execmethod_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_execmethod_resp *a,
                                    struct wmgw_err *err);
int wmgw_wmi_execmethod_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_execmethod_resp *a,
                                    struct wmgw_err *err);

int wmgw_wmi_enum_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_enum_req *q, struct wmgw_err *err);
int wmgw_wmi_enum_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_enum_req *q, struct wmgw_err *err);
int wmgw_wmi_next_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_next_resp *a, struct wmgw_err *err);
/* a->objects and a->cap are the caller's; the rest is filled in. */
int wmgw_wmi_next_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_next_resp *a, struct wmgw_err *err);

/* ---- IWbemClassObject arguments (for wmi_calls*.c) ---- */

/* [in] / [out] IWbemClassObject *: the EncodingUnit wrapped in its
 * OBJREF_CUSTOM inside a [unique] MInterfacePointer. */
int wmgw_wmi_put_object(struct wmgw_ndr_writer *w, const struct wmgw_wmi_unit *u);
/* Its MInterfacePointer alone (u not NULL), for arrays of pointers. */
int wmgw_wmi_put_object_mip(struct wmgw_ndr_writer *w, const struct wmgw_wmi_unit *u);
int wmgw_wmi_get_object(struct wmgw_ndr_reader *r, struct wmgw_wmi_unit *u, const char *field);
/* The OBJREF_CUSTOM alone (an MInterfacePointer's abData) -> its unit. */
int wmgw_wmi_unwrap_object(const uint8_t *objref, size_t len, struct wmgw_wmi_unit *u, const char *field,
                           struct wmgw_err *err);

#endif
