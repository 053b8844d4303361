/*
 * dcom_remunknown.c: IRemUnknown::RemQueryInterface, RemAddRef and
 * RemRelease stubs.  See dcom_remunknown.h.  IDL: MS-DCOM 3.1.1.5.6.1.1-3;
 * REMQIRESULT 2.2.24 (8-aligned: its STDOBJREF holds hypers),
 * REMINTERFACEREF 2.2.23.
 */
#include "translators/wmi/dcom_remunknown.h"

#include <string.h>

/* ---- RemQueryInterface ---- */

int wmgw_dcom_remqi_req_encode(struct wmgw_buf *out, const struct wmgw_dcom_remqi_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    if (q->n_iids > WMGW_DCOM_MAX_QI)
        return wmgw_err_set(err, WMGW_EINVAL, "RemQueryInterface: %u IIDs (at most %d)", q->n_iids,
                            WMGW_DCOM_MAX_QI);
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_uuid(&w, &q->ipid); /* REFIPID: a [ref] pointer, the GUID inline */
    wmgw_ndr_put_u32(&w, q->refs);
    wmgw_ndr_put_u16(&w, q->n_iids);
    wmgw_ndr_put_conformance(&w, q->n_iids);
    for (unsigned i = 0; i < q->n_iids; i++)
        wmgw_ndr_put_uuid(&w, &q->iids[i]);
    return wmgw_dcom_call_end(&w);
}

int wmgw_dcom_remqi_req_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remqi_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    uint32_t max;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    wmgw_ndr_get_uuid(&r, &q->ipid, "RemQueryInterface.ripid");
    wmgw_ndr_get_u32(&r, &q->refs, "RemQueryInterface.cRefs");
    wmgw_ndr_get_u16(&r, &q->n_iids, "RemQueryInterface.cIids");
    if (wmgw_ndr_get_conformance(&r, &max, WMGW_DCOM_MAX_QI, 16, "RemQueryInterface.iids"))
        return r.rc;
    if (max != q->n_iids)
        return wmgw_ndr_fail(&r, "RemQueryInterface.iids", "max_count %u but cIids %u", max, q->n_iids);
    for (unsigned i = 0; i < q->n_iids; i++)
        wmgw_ndr_get_uuid(&r, &q->iids[i], "RemQueryInterface.iids[]");
    return wmgw_dcom_call_read_end(&r);
}

int wmgw_dcom_remqi_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_remqi_resp *a, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    if (a->n_results > WMGW_DCOM_MAX_QI)
        return wmgw_err_set(err, WMGW_EINVAL, "RemQueryInterface: %u results (at most %d)", a->n_results,
                            WMGW_DCOM_MAX_QI);
    wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
    wmgw_ndr_put_unique(&w, a->n_results > 0); /* *ppQIResults */
    if (a->n_results > 0) {
        wmgw_ndr_put_conformance(&w, a->n_results);
        for (unsigned i = 0; i < a->n_results; i++) {
            wmgw_ndr_align(&w, 8);
            wmgw_ndr_put_u32(&w, a->results[i].hr);
            wmgw_ndr_put_stdobjref(&w, &a->results[i].std);
        }
    }
    return wmgw_dcom_reply_end(&w, a->hr);
}

int wmgw_dcom_remqi_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remqi_resp *a,
                                struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    bool present;
    uint32_t max;
    memset(a, 0, sizeof(*a));
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    if (wmgw_ndr_get_unique(&r, &present, "RemQueryInterface.ppQIResults") == 0 && present) {
        /* 48 bytes a REMQIRESULT: hResult, 4 octets of alignment, STDOBJREF */
        if (wmgw_ndr_get_conformance(&r, &max, WMGW_DCOM_MAX_QI, 48, "RemQueryInterface.ppQIResults"))
            return r.rc;
        a->n_results = (uint16_t)max;
        for (unsigned i = 0; i < max; i++) {
            wmgw_ndr_skip_align(&r, 8, "REMQIRESULT");
            wmgw_ndr_get_u32(&r, &a->results[i].hr, "REMQIRESULT.hResult");
            wmgw_ndr_get_stdobjref(&r, &a->results[i].std);
        }
    }
    return wmgw_dcom_reply_read_end(&r, &a->hr);
}

/* ---- RemAddRef / RemRelease ---- */

int wmgw_dcom_remref_req_encode(struct wmgw_buf *out, const struct wmgw_dcom_remref_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    if (q->n_refs > WMGW_DCOM_MAX_REFS)
        return wmgw_err_set(err, WMGW_EINVAL, "RemAddRef/RemRelease: %u references (at most %d)", q->n_refs,
                            WMGW_DCOM_MAX_REFS);
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_u16(&w, q->n_refs);
    wmgw_ndr_put_conformance(&w, q->n_refs);
    for (unsigned i = 0; i < q->n_refs; i++) {
        wmgw_ndr_put_uuid(&w, &q->refs[i].ipid);
        wmgw_ndr_put_u32(&w, q->refs[i].public_refs);
        wmgw_ndr_put_u32(&w, q->refs[i].private_refs);
    }
    return wmgw_dcom_call_end(&w);
}

int wmgw_dcom_remref_req_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remref_req *q,
                                struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    uint32_t max;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    wmgw_ndr_get_u16(&r, &q->n_refs, "cInterfaceRefs");
    if (wmgw_ndr_get_conformance(&r, &max, WMGW_DCOM_MAX_REFS, 24, "InterfaceRefs"))
        return r.rc;
    if (max != q->n_refs)
        return wmgw_ndr_fail(&r, "InterfaceRefs", "max_count %u but cInterfaceRefs %u", max, q->n_refs);
    for (unsigned i = 0; i < q->n_refs; i++) {
        wmgw_ndr_get_uuid(&r, &q->refs[i].ipid, "REMINTERFACEREF.ipid");
        wmgw_ndr_get_u32(&r, &q->refs[i].public_refs, "REMINTERFACEREF.cPublicRefs");
        wmgw_ndr_get_u32(&r, &q->refs[i].private_refs, "REMINTERFACEREF.cPrivateRefs");
    }
    return wmgw_dcom_call_read_end(&r);
}

int wmgw_dcom_remaddref_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_remaddref_resp *a,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    if (a->n_results > WMGW_DCOM_MAX_REFS)
        return wmgw_err_set(err, WMGW_EINVAL, "RemAddRef: %u results (at most %d)", a->n_results,
                            WMGW_DCOM_MAX_REFS);
    wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
    wmgw_ndr_put_conformance(&w, a->n_results); /* pResults: a [ref] pointer, always there */
    for (unsigned i = 0; i < a->n_results; i++)
        wmgw_ndr_put_u32(&w, a->results[i]);
    return wmgw_dcom_reply_end(&w, a->hr);
}

int wmgw_dcom_remaddref_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_remaddref_resp *a,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    uint32_t max;
    memset(a, 0, sizeof(*a));
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    if (wmgw_ndr_get_conformance(&r, &max, WMGW_DCOM_MAX_REFS, 4, "RemAddRef.pResults"))
        return r.rc;
    a->n_results = (uint16_t)max;
    for (unsigned i = 0; i < max; i++)
        wmgw_ndr_get_u32(&r, &a->results[i], "RemAddRef.pResults[]");
    return wmgw_dcom_reply_read_end(&r, &a->hr);
}
