/*
 * dcom_orpc.h: what every ORPC stub of the DCOM layer shares: the
 * ORPCTHIS / ORPCTHAT framing of requests and replies (MS-DCOM 3.2.4.2,
 * 2.2.13), interface-pointer arguments (2.2.14-2.2.16), object references
 * to one interface (OBJREF_STANDARD, 2.2.18.4), and the two reply shapes
 * many methods have: status only, and one interface pointer plus status.
 *
 * Part of the wmi/ translator's DCOM layer (design.md: translators/wmi),
 * below dcom_activation, dcom_remunknown and wmi_calls; used by the
 * gateway's DCOM client and the simulator's DCOM server alike.  Every stub
 * function of the layer follows the same rules:
 *
 *   - encoders append to a caller's bounded wmgw_buf and leave it as it
 *     was on failure;
 *   - decoders read exactly what NDR says, bound every count and length
 *     by the input and by the limits in the headers, and fail with
 *     WMGW_EPROTO and a message naming the field;
 *   - decoded byte arrays (OBJREFs, MS-WMIO encoding units) point into the
 *     stub; decoded strings are appended to a caller's text buffer;
 *   - request decoders ignore bytes after the last argument, as Windows'
 *     NDR engine does (impacket's GetObject leaves some, see wmi_calls.h);
 *     reply decoders require the stub to end with the HRESULT.
 */
#ifndef WMGW_TRANSLATORS_WMI_DCOM_ORPC_H
#define WMGW_TRANSLATORS_WMI_DCOM_ORPC_H

#include "translators/wmi/dcom_ids.h"
#include "translators/wmi/ndr_dcom.h"

/* An interface-pointer argument: the OBJREF bytes of its MInterfacePointer.
 * objref NULL is a NULL pointer. */
struct wmgw_dcom_ptr {
    const uint8_t *objref;
    size_t len;
};

/* A standard object reference to one interface: what a client needs to call
 * it (the IPID is the object UUID of its requests) and to count references. */
struct wmgw_dcom_iref {
    struct wmgw_uuid iid;
    struct wmgw_ndr_stdobjref std; /* flags, cPublicRefs, OXID, OID, IPID */
};

/* ORPCTHIS of COMVERSION 5.7, flags 0, no extensions; cid NULL draws a
 * random causality id.  ORPCTHAT: flags 0, no extensions. */
void wmgw_dcom_orpcthis_init(struct wmgw_ndr_orpcthis *t, const struct wmgw_uuid *cid);
void wmgw_dcom_orpcthat_init(struct wmgw_ndr_orpcthat *t);

/* OBJREF_STANDARD (or _HANDLER) bytes -> iref; iid, if not NULL, must be the
 * OBJREF's.  resolver (may be NULL) receives saResAddr. */
int wmgw_dcom_iref_parse(const uint8_t *objref, size_t len, const struct wmgw_uuid *iid, struct wmgw_dcom_iref *out,
                         struct wmgw_ndr_dsa *resolver, struct wmgw_err *err);
/* iref -> OBJREF_STANDARD bytes appended to out; resolver NULL sends an
 * empty DUALSTRINGARRAY. */
int wmgw_dcom_iref_format(const struct wmgw_dcom_iref *ir, const struct wmgw_ndr_dsa *resolver, struct wmgw_buf *out,
                          struct wmgw_err *err);

/* ---- stub framing (for the stub files of this layer) ---- */

/* A request: writer on out, then ORPCTHIS (NULL: wmgw_dcom_orpcthis_init
 * with a random cid).  A reply: ORPCTHAT (NULL: flags 0). */
void wmgw_dcom_call_begin(struct wmgw_ndr_writer *w, struct wmgw_buf *out, const struct wmgw_ndr_orpcthis *t,
                          struct wmgw_err *err);
void wmgw_dcom_reply_begin(struct wmgw_ndr_writer *w, struct wmgw_buf *out, const struct wmgw_ndr_orpcthat *t,
                           struct wmgw_err *err);
/* Finish a request, or a reply with its HRESULT: 0, or the first error
 * with out cut back to where the stub began. */
int wmgw_dcom_call_end(struct wmgw_ndr_writer *w);
int wmgw_dcom_reply_end(struct wmgw_ndr_writer *w, uint32_t hr);

/* Read a request's ORPCTHIS / a reply's ORPCTHAT, then its arguments. */
int wmgw_dcom_call_read(struct wmgw_ndr_reader *r, const uint8_t *stub, size_t len, struct wmgw_ndr_orpcthis *t,
                        struct wmgw_err *err);
int wmgw_dcom_reply_read(struct wmgw_ndr_reader *r, const uint8_t *stub, size_t len, struct wmgw_ndr_orpcthat *t,
                         struct wmgw_err *err);
int wmgw_dcom_call_read_end(struct wmgw_ndr_reader *r); /* trailing bytes allowed */
int wmgw_dcom_reply_read_end(struct wmgw_ndr_reader *r, uint32_t *hr);

/* [in] / [out] interface pointer: a [unique] pointer to MInterfacePointer. */
int wmgw_dcom_put_ptr(struct wmgw_ndr_writer *w, const struct wmgw_dcom_ptr *p);
int wmgw_dcom_get_ptr(struct wmgw_ndr_reader *r, struct wmgw_dcom_ptr *p, const char *field);
/* [in, out, unique] IFoo **: outer says whether the pointer to the
 * interface pointer is there at all (a client that passes NULL gets
 * nothing back); p is the interface pointer inside it. */
int wmgw_dcom_put_pptr(struct wmgw_ndr_writer *w, bool outer, const struct wmgw_dcom_ptr *p);
int wmgw_dcom_get_pptr(struct wmgw_ndr_reader *r, bool *outer, struct wmgw_dcom_ptr *p, const char *field);
/* Prefixes err's message with "<what>: " (after a failure). */
void wmgw_dcom_err_prefix(struct wmgw_err *err, const char *what);

/* ---- the shapes several methods share ---- */

/* A request with no argument but ORPCTHIS (IEnumWbemClassObject::Reset,
 * ::Clone). */
int wmgw_dcom_void_req_encode(struct wmgw_buf *out, const struct wmgw_ndr_orpcthis *t, struct wmgw_err *err);
int wmgw_dcom_void_req_decode(const uint8_t *stub, size_t len, struct wmgw_ndr_orpcthis *t, struct wmgw_err *err);

/* A reply of ORPCTHAT and HRESULT (IRemUnknown::RemRelease,
 * IEnumWbemClassObject::Reset, ::Skip). */
struct wmgw_dcom_status_resp {
    struct wmgw_ndr_orpcthat orpc;
    uint32_t hr;
};
int wmgw_dcom_status_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_status_resp *r, struct wmgw_err *err);
int wmgw_dcom_status_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_status_resp *r,
                                 struct wmgw_err *err);

/* A reply of ORPCTHAT, one [out] interface pointer and HRESULT
 * (IWbemLevel1Login::NTLMLogin, IWbemServices::ExecQuery,
 * ::ExecNotificationQuery, IEnumWbemClassObject::Clone). */
struct wmgw_dcom_ptr_resp {
    struct wmgw_ndr_orpcthat orpc;
    struct wmgw_dcom_ptr ptr; /* an OBJREF_STANDARD; NULL when hr is a failure */
    uint32_t hr;
};
int wmgw_dcom_ptr_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_ptr_resp *r, struct wmgw_err *err);
int wmgw_dcom_ptr_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_ptr_resp *r, struct wmgw_err *err);

#endif
