/*
 * wmi_calls.c: IWbemLevel1Login and IWbemServices stubs, and the
 * IWbemClassObject arguments they share with wmi_calls_enum.c.  See
 * wmi_calls.h.  IDL: MS-WMI Appendix A; methods 3.1.4.1.1, 3.1.4.1.4,
 * 3.1.4.3.4, .12, .14, .18, .20, .22; IWbemClassObject marshaling 2.2.4.
 */
#include "translators/wmi/wmi_calls.h"

#include <string.h>

#define OBJREF_CUSTOM_HEADER 48 /* MEOW, flags, iid, clsid, cbExtension, reserved */

/* ---- IWbemClassObject ---- */

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int wmgw_wmi_put_object_mip(struct wmgw_ndr_writer *w, const struct wmgw_wmi_unit *u)
{
    uint8_t h[OBJREF_CUSTOM_HEADER];
    if (u->len > WMGW_NDR_MAX_MIP - OBJREF_CUSTOM_HEADER) {
        if (w->rc == 0)
            w->rc = wmgw_err_set(w->err, WMGW_ETOOBIG, "IWbemClassObject of %zu bytes", u->len);
        return w->rc;
    }
    uint32_t total = (uint32_t)(u->len + OBJREF_CUSTOM_HEADER);
    le32(h, WMGW_NDR_OBJREF_SIGNATURE);
    le32(h + 4, WMGW_NDR_OBJREF_CUSTOM);
    memcpy(h + 8, wmgw_dcom_iid_iwbem_class_object.b, 16);
    memcpy(h + 24, wmgw_dcom_clsid_wbem_class_object.b, 16);
    le32(h + 40, 0);                /* cbExtension */
    le32(h + 44, (uint32_t)u->len); /* reserved: Windows puts the data size there */
    wmgw_ndr_put_conformance(w, total);
    wmgw_ndr_put_u32(w, total);
    wmgw_ndr_put_bytes(w, h, sizeof(h));
    return wmgw_ndr_put_bytes(w, u->data, u->len);
}

int wmgw_wmi_put_object(struct wmgw_ndr_writer *w, const struct wmgw_wmi_unit *u)
{
    bool present = u != NULL && u->data != NULL;
    wmgw_ndr_put_unique(w, present);
    return present ? wmgw_wmi_put_object_mip(w, u) : w->rc;
}

int wmgw_wmi_unwrap_object(const uint8_t *objref, size_t len, struct wmgw_wmi_unit *u, const char *field,
                           struct wmgw_err *err)
{
    struct wmgw_ndr_objref o;
    u->data = NULL;
    u->len = 0;
    int rc = wmgw_ndr_objref_decode(objref, len, &o, err);
    if (rc != 0) {
        wmgw_dcom_err_prefix(err, field);
        return rc;
    }
    if (o.flags != WMGW_NDR_OBJREF_CUSTOM)
        return wmgw_err_set(err, WMGW_EPROTO, "%s: OBJREF flags %u, an IWbemClassObject is OBJREF_CUSTOM (4)", field,
                            o.flags);
    if (!wmgw_uuid_eq(&o.iid, &wmgw_dcom_iid_iwbem_class_object))
        return wmgw_err_set(err, WMGW_EPROTO, "%s: OBJREF iid is not IWbemClassObject", field);
    if (!wmgw_uuid_eq(&o.clsid, &wmgw_dcom_clsid_wbem_class_object))
        return wmgw_err_set(err, WMGW_EPROTO, "%s: OBJREF_CUSTOM clsid is not CLSID_WbemClassObject", field);
    u->data = o.object_data;
    u->len = o.object_len;
    return 0;
}

int wmgw_wmi_get_object(struct wmgw_ndr_reader *r, struct wmgw_wmi_unit *u, const char *field)
{
    struct wmgw_dcom_ptr p;
    u->data = NULL;
    u->len = 0;
    if (wmgw_dcom_get_ptr(r, &p, field) || p.objref == NULL)
        return r->rc;
    struct wmgw_err e2;
    wmgw_err_clear(&e2);
    if (wmgw_wmi_unwrap_object(p.objref, p.len, u, field, &e2) != 0)
        return wmgw_ndr_fail(r, field, "%s", e2.message);
    return 0;
}

/* [in, out, unique] IWbemClassObject ** */
static int put_pobject(struct wmgw_ndr_writer *w, bool outer, const struct wmgw_wmi_unit *u)
{
    wmgw_ndr_put_unique(w, outer);
    return outer ? wmgw_wmi_put_object(w, u) : w->rc;
}

static int get_pobject(struct wmgw_ndr_reader *r, bool *outer, struct wmgw_wmi_unit *u, const char *field)
{
    u->data = NULL;
    u->len = 0;
    if (wmgw_ndr_get_unique(r, outer, field) || !*outer)
        return r->rc;
    return wmgw_wmi_get_object(r, u, field);
}

/* The [in] value of an [in, out, unique] pointer: ignored, but read. */
static int get_ignored_pptr(struct wmgw_ndr_reader *r, bool *outer, const char *field)
{
    struct wmgw_dcom_ptr ignored;
    return wmgw_dcom_get_pptr(r, outer, &ignored, field);
}

/* ---- strings ---- */

/* Strings being decoded: their offsets in text, as text may move. */
struct texts {
    struct wmgw_buf *buf;
    unsigned n;
    size_t off[4];
    bool present[4];
};

static int get_text(struct wmgw_ndr_reader *r, struct texts *t, bool bstr, const char *field)
{
    bool present;
    size_t start = t->buf->len;
    if (t->n == 4)
        return wmgw_ndr_fail(r, field, "too many strings"); /* a bug of ours, not input */
    if (bstr)
        wmgw_ndr_get_bstr(r, t->buf, &present, field);
    else
        wmgw_ndr_get_wstr_ptr(r, t->buf, &present, field);
    if (r->rc != 0)
        return r->rc;
    if (present && t->buf->len > start && memchr(t->buf->data + start, '\0', t->buf->len - start) != NULL)
        return wmgw_ndr_fail(r, field, "NUL inside the string");
    if (present && wmgw_buf_addc(t->buf, '\0') != 0) {
        wmgw_ndr_fail(r, field, "string does not fit the %zu-byte limit", t->buf->max);
        r->rc = WMGW_ETOOBIG;
        if (r->err)
            r->err->code = WMGW_ETOOBIG;
        return r->rc;
    }
    t->off[t->n] = start;
    t->present[t->n++] = present;
    return 0;
}

static const char *text_at(const struct texts *t, unsigned i)
{
    return i < t->n && t->present[i] ? t->buf->data + t->off[i] : NULL;
}

/* Leaves text as it was when a decoder fails. */
static int texts_done(struct texts *t, size_t start, int rc)
{
    if (rc != 0) {
        t->buf->len = start;
        if (t->buf->data)
            t->buf->data[start] = '\0';
    }
    return rc;
}

/* ---- IWbemLevel1Login ---- */

int wmgw_wmi_establish_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_establish_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_wstr_ptr(&w, NULL); /* reserved1: MUST be NULL */
    wmgw_ndr_put_u32(&w, q->reserved2);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_establish_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_establish_req *q,
                                  struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct wmgw_buf ignored;
    bool present;
    memset(q, 0, sizeof(*q));
    wmgw_buf_init(&ignored, 4096);
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    wmgw_ndr_get_wstr_ptr(&r, &ignored, &present, "EstablishPosition.reserved1"); /* MUST be ignored */
    wmgw_ndr_get_u32(&r, &q->reserved2, "EstablishPosition.reserved2");
    wmgw_buf_dispose(&ignored);
    return wmgw_dcom_call_read_end(&r);
}

int wmgw_wmi_establish_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_establish_resp *a,
                                   struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
    wmgw_ndr_put_u32(&w, a->locale_version);
    return wmgw_dcom_reply_end(&w, a->hr);
}

int wmgw_wmi_establish_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_establish_resp *a,
                                   struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    memset(a, 0, sizeof(*a));
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    wmgw_ndr_get_u32(&r, &a->locale_version, "EstablishPosition.LocaleVersion");
    return wmgw_dcom_reply_read_end(&r, &a->hr);
}

int wmgw_wmi_login_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_login_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_wstr_ptr(&w, q->network_resource);
    wmgw_ndr_put_wstr_ptr(&w, q->preferred_locale);
    wmgw_ndr_put_u32(&w, q->flags);
    wmgw_dcom_put_ptr(&w, &q->ctx);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_login_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_login_req *q, struct wmgw_buf *text,
                              struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct texts t = {text, 0, {0}, {0}};
    size_t start = text->len;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    get_text(&r, &t, false, "NTLMLogin.wszNetworkResource");
    get_text(&r, &t, false, "NTLMLogin.wszPreferredLocale");
    wmgw_ndr_get_u32(&r, &q->flags, "NTLMLogin.lFlags");
    wmgw_dcom_get_ptr(&r, &q->ctx, "NTLMLogin.pCtx");
    if (texts_done(&t, start, wmgw_dcom_call_read_end(&r)) != 0)
        return r.rc;
    q->network_resource = text_at(&t, 0);
    q->preferred_locale = text_at(&t, 1);
    return 0;
}

/* ---- IWbemServices::GetObject ---- */

int wmgw_wmi_getobject_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_getobject_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_bstr(&w, q->path);
    wmgw_ndr_put_u32(&w, q->flags);
    wmgw_dcom_put_ptr(&w, &q->ctx);
    wmgw_dcom_put_pptr(&w, q->pp_object, NULL);
    wmgw_dcom_put_pptr(&w, q->pp_call_result, NULL);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_getobject_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_getobject_req *q,
                                  struct wmgw_buf *text, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct texts t = {text, 0, {0}, {0}};
    size_t start = text->len;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    get_text(&r, &t, true, "GetObject.strObjectPath");
    wmgw_ndr_get_u32(&r, &q->flags, "GetObject.lFlags");
    wmgw_dcom_get_ptr(&r, &q->ctx, "GetObject.pCtx");
    get_ignored_pptr(&r, &q->pp_object, "GetObject.ppObject");
    get_ignored_pptr(&r, &q->pp_call_result, "GetObject.ppCallResult");
    if (texts_done(&t, start, wmgw_dcom_call_read_end(&r)) != 0)
        return r.rc;
    q->path = text_at(&t, 0);
    return 0;
}

int wmgw_wmi_getobject_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_getobject_resp *a,
                                   struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
    put_pobject(&w, a->pp_object, &a->object);
    wmgw_dcom_put_pptr(&w, a->pp_call_result, &a->call_result);
    return wmgw_dcom_reply_end(&w, a->hr);
}

int wmgw_wmi_getobject_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_getobject_resp *a,
                                   struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    memset(a, 0, sizeof(*a));
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    get_pobject(&r, &a->pp_object, &a->object, "GetObject.ppObject");
    wmgw_dcom_get_pptr(&r, &a->pp_call_result, &a->call_result, "GetObject.ppCallResult");
    return wmgw_dcom_reply_read_end(&r, &a->hr);
}

/* ---- IWbemServices::PutInstance, DeleteInstance ---- */

int wmgw_wmi_putinstance_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_putinstance_req *q,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_wmi_put_object(&w, &q->inst);
    wmgw_ndr_put_u32(&w, q->flags);
    wmgw_dcom_put_ptr(&w, &q->ctx);
    wmgw_dcom_put_pptr(&w, q->pp_call_result, NULL);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_putinstance_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_putinstance_req *q,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    wmgw_wmi_get_object(&r, &q->inst, "PutInstance.pInst");
    wmgw_ndr_get_u32(&r, &q->flags, "PutInstance.lFlags");
    wmgw_dcom_get_ptr(&r, &q->ctx, "PutInstance.pCtx");
    get_ignored_pptr(&r, &q->pp_call_result, "PutInstance.ppCallResult");
    return wmgw_dcom_call_read_end(&r);
}

int wmgw_wmi_deleteinstance_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_deleteinstance_req *q,
                                       struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_bstr(&w, q->path);
    wmgw_ndr_put_u32(&w, q->flags);
    wmgw_dcom_put_ptr(&w, &q->ctx);
    wmgw_dcom_put_pptr(&w, q->pp_call_result, NULL);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_deleteinstance_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_deleteinstance_req *q,
                                       struct wmgw_buf *text, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct texts t = {text, 0, {0}, {0}};
    size_t start = text->len;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    get_text(&r, &t, true, "DeleteInstance.strObjectPath");
    wmgw_ndr_get_u32(&r, &q->flags, "DeleteInstance.lFlags");
    wmgw_dcom_get_ptr(&r, &q->ctx, "DeleteInstance.pCtx");
    get_ignored_pptr(&r, &q->pp_call_result, "DeleteInstance.ppCallResult");
    if (texts_done(&t, start, wmgw_dcom_call_read_end(&r)) != 0)
        return r.rc;
    q->path = text_at(&t, 0);
    return 0;
}

int wmgw_wmi_callresult_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_callresult_resp *a,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
    wmgw_dcom_put_pptr(&w, a->pp_call_result, &a->call_result);
    return wmgw_dcom_reply_end(&w, a->hr);
}

int wmgw_wmi_callresult_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_callresult_resp *a,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    memset(a, 0, sizeof(*a));
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    wmgw_dcom_get_pptr(&r, &a->pp_call_result, &a->call_result, "ppCallResult");
    return wmgw_dcom_reply_read_end(&r, &a->hr);
}

/* ---- IWbemServices::ExecQuery, ExecNotificationQuery ---- */

int wmgw_wmi_query_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_query_req *q, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_bstr(&w, q->language);
    wmgw_ndr_put_bstr(&w, q->query);
    wmgw_ndr_put_u32(&w, q->flags);
    wmgw_dcom_put_ptr(&w, &q->ctx);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_query_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_query_req *q, struct wmgw_buf *text,
                              struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct texts t = {text, 0, {0}, {0}};
    size_t start = text->len;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    get_text(&r, &t, true, "ExecQuery.strQueryLanguage");
    get_text(&r, &t, true, "ExecQuery.strQuery");
    wmgw_ndr_get_u32(&r, &q->flags, "ExecQuery.lFlags");
    wmgw_dcom_get_ptr(&r, &q->ctx, "ExecQuery.pCtx");
    if (texts_done(&t, start, wmgw_dcom_call_read_end(&r)) != 0)
        return r.rc;
    q->language = text_at(&t, 0);
    q->query = text_at(&t, 1);
    return 0;
}

/* ---- IWbemServices::ExecMethod ---- */

int wmgw_wmi_execmethod_req_encode(struct wmgw_buf *out, const struct wmgw_wmi_execmethod_req *q,
                                   struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, &q->orpc, err);
    wmgw_ndr_put_bstr(&w, q->path);
    wmgw_ndr_put_bstr(&w, q->method);
    wmgw_ndr_put_u32(&w, q->flags);
    wmgw_dcom_put_ptr(&w, &q->ctx);
    wmgw_wmi_put_object(&w, &q->in_params);
    wmgw_dcom_put_pptr(&w, q->pp_out_params, NULL);
    wmgw_dcom_put_pptr(&w, q->pp_call_result, NULL);
    return wmgw_dcom_call_end(&w);
}

int wmgw_wmi_execmethod_req_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_execmethod_req *q,
                                   struct wmgw_buf *text, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct texts t = {text, 0, {0}, {0}};
    size_t start = text->len;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    get_text(&r, &t, true, "ExecMethod.strObjectPath");
    get_text(&r, &t, true, "ExecMethod.strMethodName");
    wmgw_ndr_get_u32(&r, &q->flags, "ExecMethod.lFlags");
    wmgw_dcom_get_ptr(&r, &q->ctx, "ExecMethod.pCtx");
    wmgw_wmi_get_object(&r, &q->in_params, "ExecMethod.pInParams");
    get_ignored_pptr(&r, &q->pp_out_params, "ExecMethod.ppOutParams");
    get_ignored_pptr(&r, &q->pp_call_result, "ExecMethod.ppCallResult");
    if (texts_done(&t, start, wmgw_dcom_call_read_end(&r)) != 0)
        return r.rc;
    q->path = text_at(&t, 0);
    q->method = text_at(&t, 1);
    return 0;
}

int wmgw_wmi_execmethod_resp_encode(struct wmgw_buf *out, const struct wmgw_wmi_execmethod_resp *a,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
    put_pobject(&w, a->pp_out_params, &a->out_params);
    wmgw_dcom_put_pptr(&w, a->pp_call_result, &a->call_result);
    return wmgw_dcom_reply_end(&w, a->hr);
}

int wmgw_wmi_execmethod_resp_decode(const uint8_t *stub, size_t len, struct wmgw_wmi_execmethod_resp *a,
                                    struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    memset(a, 0, sizeof(*a));
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    get_pobject(&r, &a->pp_out_params, &a->out_params, "ExecMethod.ppOutParams");
    wmgw_dcom_get_pptr(&r, &a->pp_call_result, &a->call_result, "ExecMethod.ppCallResult");
    return wmgw_dcom_reply_read_end(&r, &a->hr);
}
