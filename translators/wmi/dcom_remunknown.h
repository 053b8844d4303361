/*
 * dcom_remunknown.h: the IRemUnknown stubs (MS-DCOM 3.1.1.5.6):
 * RemQueryInterface (opnum 3), RemAddRef (4) and RemRelease (5), for the
 * client (encode the request, decode the reply) and the server (decode the
 * request, encode the reply).
 *
 * Part of the wmi/ translator's DCOM layer (design.md: translators/wmi):
 * after activation the gateway asks the object exporter's Remote Unknown
 * (the ipidRemUnknown of the activation reply, on the dynamic endpoint)
 * for more interfaces on an object and gives references back when it drops
 * an interface; the simulator's DCOM server answers these calls.  Calls go
 * to IRemUnknown or IRemUnknown2 (same opnums 3-5) with the IPID of the
 * Remote Unknown as object UUID.  Framing and pointer rules: dcom_orpc.h.
 */
#ifndef WMGW_TRANSLATORS_WMI_DCOM_REMUNKNOWN_H
#define WMGW_TRANSLATORS_WMI_DCOM_REMUNKNOWN_H

#include "translators/wmi/dcom_orpc.h"

#define WMGW_DCOM_MAX_QI 16   /* IIDs in one RemQueryInterface (MS-DCOM allows 0x8000) */
#define WMGW_DCOM_MAX_REFS 64 /* REMINTERFACEREFs in one RemAddRef / RemRelease */

/* RemQueryInterface(ripid, cRefs, cIids, iids) */
struct wmgw_dcom_remqi_req {
    struct wmgw_ndr_orpcthis orpc;
    struct wmgw_uuid ipid; /* the interface whose object is queried */
    uint32_t refs;         /* public references wanted on each new interface (Windows asks 5) */
    uint16_t n_iids;
    struct wmgw_uuid iids[WMGW_DCOM_MAX_QI];
};

struct wmgw_dcom_remqi_result { /* REMQIRESULT, 2.2.24 */
    uint32_t hr;                  /* 0, or E_NOINTERFACE and the like */
    struct wmgw_ndr_stdobjref std; /* meaningful when hr is 0 */
};

/* ppQIResults: one result per IID asked for, or a NULL pointer (n_results
 * 0) when the whole call failed (hr RPC_E_INVALID_OBJECT, ...). */
struct wmgw_dcom_remqi_resp {
    struct wmgw_ndr_orpcthat orpc;
    uint16_t n_results;
    struct wmgw_dcom_remqi_result results[WMGW_DCOM_MAX_QI];
    uint32_t hr;
};

struct wmgw_dcom_remref { /* REMINTERFACEREF, 2.2.23 */
    struct wmgw_uuid ipid;
    uint32_t public_refs, private_refs;
};

/* RemAddRef / RemRelease(cInterfaceRefs, InterfaceRefs) */
struct wmgw_dcom_remref_req {
    struct wmgw_ndr_orpcthis orpc;
    uint16_t n_refs;
    struct wmgw_dcom_remref refs[WMGW_DCOM_MAX_REFS];
};

/* RemAddRef's reply: an HRESULT per REMINTERFACEREF.  (RemRelease's reply
 * is a struct wmgw_dcom_status_resp, dcom_orpc.h.) */
struct wmgw_dcom_remaddref_resp {
    struct wmgw_ndr_orpcthat orpc;
    uint16_t n_results;
    uint32_t results[WMGW_DCOM_MAX_REFS];
    uint32_t hr;
};

int wmgw_dcom_remqi_req_encode(struct wmgw_buf *out, const struct wmgw_dcom_remqi_req *q, struct wmgw_err *err);
int wmgw_dcom_remqi_req_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remqi_req *q, struct wmgw_err *err);
int wmgw_dcom_remqi_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_remqi_resp *a, struct wmgw_err *err);
int wmgw_dcom_remqi_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remqi_resp *a,
                                struct wmgw_err *err);

/* RemAddRef and RemRelease requests have the same arguments. */
int wmgw_dcom_remref_req_encode(struct wmgw_buf *out, const struct wmgw_dcom_remref_req *q, struct wmgw_err *err);
int wmgw_dcom_remref_req_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remref_req *q,
                                struct wmgw_err *err);
int wmgw_dcom_remaddref_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_remaddref_resp *a,
                                    struct wmgw_err *err);
int wmgw_dcom_remaddref_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remaddref_resp *a,
                                    struct wmgw_err *err);

#endif
