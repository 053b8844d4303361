/*
 * dcom_activation.h: DCOM activation, the first call of WMI over DCOM:
 * IRemoteSCMActivator::RemoteCreateInstance (MS-DCOM 3.1.2.5.2.3.3) and
 * the activation properties BLOBs it carries (2.2.22), in both roles.
 *
 *   client (gateway)   activate_req_encode  -> TCP 135 ->  activate_req_decode   (simulator)
 *                      activate_resp_decode <-          <- activate_resp_encode
 *
 * The request holds ActivationPropertiesIn: InstantiationInfoData (the
 * CLSID, here CLSID_WbemLevel1Login, and the IIDs wanted),
 * ActivationContextInfoData (no contexts), LocationInfoData and
 * ScmRequestInfoData (protocol sequences: 7 = ncacn_ip_tcp), in impacket's
 * order, which Windows accepts.  The reply's ActivationPropertiesOut holds
 * PropsOutInfo (an HRESULT and an OBJREF_STANDARD per IID) then
 * ScmReplyInfoData (OXID, the exporter's string bindings "HOST[port]" and
 * security bindings, the IPID of its IRemUnknown, authnHint, COMVERSION);
 * impacket reads them in that order.  That replaces a separate
 * IObjectExporter::ResolveOxid2 round trip: the client connects to the
 * port of a binding and calls the interface with its IPID as object UUID
 * (protocol-notes.md 4.1).
 *
 * Wire format.  A BLOB is dwSize, dwReserved, then a CustomHeader and each
 * property, every one a separate MS-RPCE 2.2.6 type serialization (common
 * header 01 10 08 00 cc cc cc cc, private header ObjectBufferLength and a
 * zero filler, the NDR structure with its deferred pointees, zero padding
 * to 8).  The BLOB travels as the pObjectData of an OBJREF_CUSTOM (clsid
 * CLSID_ActivationPropertiesIn/Out) inside an MInterfacePointer.  We write
 * what the spec says; readers also accept impacket's variants (an
 * ObjectBufferLength without the padding, a non-zero private filler,
 * thisSize 0) and skip properties they do not use.
 *
 * Part of the wmi/ translator's DCOM layer (design.md: translators/wmi);
 * framing and pointer rules in dcom_orpc.h.
 */
#ifndef WMGW_TRANSLATORS_WMI_DCOM_ACTIVATION_H
#define WMGW_TRANSLATORS_WMI_DCOM_ACTIVATION_H

#include "translators/wmi/dcom_orpc.h"

#define WMGW_DCOM_ACT_MAX_IIDS 8        /* interfaces per activation (MS-DCOM allows 0x8000) */
#define WMGW_DCOM_ACT_MAX_PROTSEQS 8    /* protocol sequences a client offers */
#define WMGW_DCOM_ACT_MAX_PROPS 10      /* MAX_ACTPROP_LIMIT (2.2.28.1) */
#define WMGW_DCOM_ACT_MAX_BLOB (64u << 10) /* one activation properties BLOB */

/* Properties a decoder met (struct fields `props`). */
#define WMGW_DCOM_PROP_INSTANTIATION 0x001u
#define WMGW_DCOM_PROP_SPECIAL 0x002u
#define WMGW_DCOM_PROP_INSTANCE 0x004u
#define WMGW_DCOM_PROP_SCM_REQUEST 0x008u
#define WMGW_DCOM_PROP_CONTEXT 0x010u
#define WMGW_DCOM_PROP_LOCATION 0x020u
#define WMGW_DCOM_PROP_SECURITY 0x040u
#define WMGW_DCOM_PROP_SCM_REPLY 0x080u
#define WMGW_DCOM_PROP_PROPS_OUT 0x100u
#define WMGW_DCOM_PROP_OTHER 0x8000u /* a CLSID we do not know (skipped) */

/* ActivationPropertiesIn: what a client asks for. */
struct wmgw_dcom_act_in {
    struct wmgw_uuid clsid;    /* InstantiationInfoData.classId */
    uint32_t n_iids;           /* 1..WMGW_DCOM_ACT_MAX_IIDS */
    struct wmgw_uuid iids[WMGW_DCOM_ACT_MAX_IIDS];
    uint32_t class_ctx;        /* CLSCTX, ignored by servers (Windows sends CLSCTX_REMOTE_SERVER 0x10) */
    uint32_t actvflags;        /* ACTVFLAGS_* */
    uint16_t com_major, com_minor; /* clientCOMVersion */
    uint32_t dest_ctx;         /* CustomHeader.destCtx: MSHCTX_DIFFERENTMACHINE */
    uint32_t imp_level;        /* ScmRequestInfo ClientImpLevel, ignored by servers (Windows sends 2) */
    uint16_t n_protseqs;
    uint16_t protseqs[WMGW_DCOM_ACT_MAX_PROTSEQS];
    unsigned props;            /* decode: WMGW_DCOM_PROP_* that came */
};

/* One requested interface in the reply. */
struct wmgw_dcom_act_iface {
    struct wmgw_uuid iid;
    uint32_t hr;              /* 0, or why the object lacks it (E_NOINTERFACE) */
    struct wmgw_dcom_ptr ptr; /* its OBJREF_STANDARD; NULL unless hr is 0 */
};

/* ActivationPropertiesOut: what the server answers. */
struct wmgw_dcom_act_out {
    uint32_t n_ifaces;         /* 1..WMGW_DCOM_ACT_MAX_IIDS, one per IID asked */
    struct wmgw_dcom_act_iface ifaces[WMGW_DCOM_ACT_MAX_IIDS];
    uint64_t oxid;             /* ScmReplyInfo: the object exporter */
    struct wmgw_ndr_dsa bindings;      /* pdsaOxidBindings */
    struct wmgw_uuid ipid_rem_unknown; /* its IRemUnknown */
    uint32_t authn_hint;       /* least auth level it takes (impacket calls at this level) */
    uint16_t com_major, com_minor; /* serverVersion */
    uint32_t dest_ctx;
    unsigned props;            /* decode: WMGW_DCOM_PROP_* that came */
};

/* The defaults a client sends: clsid and one iid, CLSCTX_REMOTE_SERVER,
 * COMVERSION 5.7, MSHCTX_DIFFERENTMACHINE, ClientImpLevel 2, ncacn_ip_tcp. */
void wmgw_dcom_act_in_init(struct wmgw_dcom_act_in *a, const struct wmgw_uuid *clsid, const struct wmgw_uuid *iid);

/* The BLOBs alone (pObjectData), appended to / read from bytes. */
int wmgw_dcom_act_in_encode(struct wmgw_buf *blob, const struct wmgw_dcom_act_in *a, struct wmgw_err *err);
int wmgw_dcom_act_in_decode(const uint8_t *blob, size_t len, struct wmgw_dcom_act_in *a, struct wmgw_err *err);
int wmgw_dcom_act_out_encode(struct wmgw_buf *blob, const struct wmgw_dcom_act_out *a, struct wmgw_err *err);
/* ifaces[].ptr point into blob. */
int wmgw_dcom_act_out_decode(const uint8_t *blob, size_t len, struct wmgw_dcom_act_out *a, struct wmgw_err *err);

/* RemoteCreateInstance(orpcthis, pUnkOuter = NULL, pActProperties) */
struct wmgw_dcom_activate_req {
    struct wmgw_ndr_orpcthis orpc; /* flags are ignored on activation; Windows and impacket send 1 */
    struct wmgw_dcom_act_in act;
};

/* -> (orpcthat, ppActProperties, HRESULT) */
struct wmgw_dcom_activate_resp {
    struct wmgw_ndr_orpcthat orpc;
    bool has_act;                 /* ppActProperties is there (success) */
    struct wmgw_dcom_act_out act; /* decode: pointers into the stub */
    uint32_t hr;
};

int wmgw_dcom_activate_req_encode(struct wmgw_buf *out, const struct wmgw_dcom_activate_req *q, struct wmgw_err *err);
int wmgw_dcom_activate_req_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_activate_req *q,
                                  struct wmgw_err *err);
int wmgw_dcom_activate_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_activate_resp *a,
                                   struct wmgw_err *err);
int wmgw_dcom_activate_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_activate_resp *a,
                                   struct wmgw_err *err);

/* Client: the object reference of iid in a reply (its HRESULT, when not 0,
 * comes back as WMGW_EBACKEND with the value in the message). */
int wmgw_dcom_act_iref(const struct wmgw_dcom_act_out *a, const struct wmgw_uuid *iid, struct wmgw_dcom_iref *out,
                       struct wmgw_err *err);

/* Client: the ncacn_ip_tcp binding to connect to: the one whose host is
 * host (case-insensitive) if any, else the first with an endpoint; its host
 * part into addr (cap bytes; longer hosts are passed over) and *port.
 * WMGW_ENOTFOUND without one. */
int wmgw_dcom_dsa_tcp_endpoint(const struct wmgw_ndr_dsa *d, const char *host, char *addr, size_t cap,
                               uint16_t *port, struct wmgw_err *err);
/* Server: appends the string binding "host[port]" (tower 7). */
int wmgw_dcom_dsa_add_tcp(struct wmgw_ndr_dsa *d, const char *host, uint16_t port, struct wmgw_err *err);

#endif
