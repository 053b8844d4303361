/*
 * wmi_calls_enum.c: IEnumWbemClassObject stubs: Next and Skip requests and
 * Next's reply, the batch of objects an enumeration streams (design.md:
 * "items are written to the caller as they are decoded from each Next
 * batch").  Reset and Clone use the shapes of dcom_orpc.h.  See
 * wmi_calls.h; IDL: MS-WMI 3.1.4.4.2 and 3.1.4.4.5.
 */
#include "translators/wmi/wmi_calls.h"

#include <string.h>

int wmgw_wmi_enum_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_enum_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_u32(&w, q->timeout);
    wmgw_ndr_put_u32(&w, q->count);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_enum_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_enum_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    wmgw_ndr_get_u32(&r, &q->timeout, "lTimeout");
    wmgw_ndr_get_u32(&r, &q->count, "uCount");
    return wmgw_dcom_call_read_end(&r);
}

/* apObjects is a top-level conformant varying array of interface
 * pointers: max_count (uCount), offset 0, actual_count (*puReturned), the
 * referent ids, then each MInterfacePointer; puReturned and the HRESULT
 * follow. */
int wmgw_wmi_next_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_next_resp *a, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    if (a->n_objects > a->count || (a->n_objects > 0 && a->objects == NULL))
        return wmgw_err_set(err, WMGW_EINVAL, "Next: %u objects for uCount %u", a->n_objects, a->count);
    for (uint32_t i = 0; i < a->n_objects; i++)
        if (a->objects[i].data == NULL)
            return wmgw_err_set(err, WMGW_EINVAL, "Next: object %u is NULL", i);
    wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
    wmgw_ndr_put_conformance(&w, a->count);
    wmgw_ndr_put_variance(&w, 0, a->n_objects);
    for (uint32_t i = 0; i < a->n_objects; i++)
        wmgw_ndr_put_unique(&w, true);
    for (uint32_t i = 0; i < a->n_objects; i++)
        wmgw_wmi_put_object_mip(&w, &a->objects[i]);
    wmgw_ndr_put_u32(&w, a->n_objects);
    return wmgw_dcom_reply_end(&w, a->hr);
}

int wmgw_wmi_next_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_next_resp *a, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    uint32_t offset, actual, returned;
    struct wmgw_wmi_unit *objects = a->objects;
    uint32_t cap = objects == NULL ? 0 : a->cap > WMGW_WMI_MAX_NEXT ? WMGW_WMI_MAX_NEXT : a->cap;
    memset(a, 0, sizeof(*a));
    a->objects = objects;
    a->cap = cap;
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    wmgw_ndr_get_conformance(&r, &a->count, UINT32_MAX, 0, "Next.apObjects"); /* the uCount asked */
    if (wmgw_ndr_get_variance(&r, &offset, &actual, a->count, "Next.apObjects"))
        return r.rc;
    if (offset != 0)
        return wmgw_ndr_fail(&r, "Next.apObjects", "offset %u", offset);
    if (actual > cap)
        return wmgw_ndr_fail(&r, "Next.apObjects", "%u objects, room for %u", actual, cap);
    if ((size_t)actual > (r.len - r.off) / 4)
        return wmgw_ndr_fail(&r, "Next.apObjects", "%u objects exceed the %zu bytes left", actual, r.len - r.off);
    for (uint32_t i = 0; i < actual; i++) {
        bool present;
        if (wmgw_ndr_get_unique(&r, &present, "Next.apObjects[]"))
            return r.rc;
        if (!present)
            return wmgw_ndr_fail(&r, "Next.apObjects[]", "object %u of %u is NULL", i, actual);
    }
    for (uint32_t i = 0; i < actual && r.rc == 0; i++) {
        const uint8_t *objref;
        size_t n;
        if (wmgw_ndr_get_mip(&r, &objref, &n) != 0) {
            wmgw_dcom_err_prefix(err, "Next.apObjects[]");
            return r.rc;
        }
        struct wmgw_err e2;
        wmgw_err_clear(&e2);
        if (wmgw_wmi_unwrap_object(objref, n, &objects[i], "Next.apObjects[]", &e2) != 0)
            return wmgw_ndr_fail(&r, "Next.apObjects[]", "object %u: %s", i, e2.message);
    }
    if (wmgw_ndr_get_u32(&r, &returned, "Next.puReturned"))
        return r.rc;
    if (returned != actual)
        return wmgw_ndr_fail(&r, "Next.puReturned", "%u but %u objects in apObjects", returned, actual);
    a->n_objects = actual;
    return wmgw_dcom_reply_read_end(&r, &a->hr);
}
