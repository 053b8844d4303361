/*
 * dcom_orpc.c: ORPC framing, interface-pointer arguments and object
 * references for the DCOM layer's stubs.  See dcom_orpc.h.
 * Layouts: MS-DCOM 2.2.13 (ORPCTHIS/ORPCTHAT), 2.2.14-2.2.16
 * (MInterfacePointer and the pointers to it), 2.2.18.4 (OBJREF_STANDARD).
 */
#include "translators/wmi/dcom_orpc.h"

#include <stdio.h>
#include <string.h>

void wmgw_dcom_orpcthis_init(struct wmgw_ndr_orpcthis *t, const struct wmgw_uuid *cid)
{
    memset(t, 0, sizeof(*t));
    t->major = WMGW_DCOM_COM_MAJOR;
    t->minor = WMGW_DCOM_COM_MINOR;
    if (cid != NULL)
        t->cid = *cid;
    else
        wmgw_uuid_random(&t->cid);
}

void wmgw_dcom_orpcthat_init(struct wmgw_ndr_orpcthat *t)
{
    memset(t, 0, sizeof(*t));
}

void wmgw_dcom_err_prefix(struct wmgw_err *err, const char *what)
{
    if (err == NULL || what == NULL)
        return;
    char tmp[sizeof(err->message)];
    if (snprintf(tmp, sizeof(tmp), "%s: %s", what, err->message) >= 0) /* truncation is fine */
        memcpy(err->message, tmp, sizeof(tmp));
}

/* ---- object references ---- */

int wmgw_dcom_iref_parse(const uint8_t *objref, size_t len, const struct wmgw_uuid *iid, struct wmgw_dcom_iref *out,
                         struct wmgw_ndr_dsa *resolver, struct wmgw_err *err)
{
    struct wmgw_ndr_objref o;
    memset(out, 0, sizeof(*out));
    if (objref == NULL)
        return wmgw_err_set(err, WMGW_EPROTO, "OBJREF: NULL interface pointer");
    int rc = wmgw_ndr_objref_decode(objref, len, &o, err);
    if (rc != 0)
        return rc;
    if (o.flags != WMGW_NDR_OBJREF_STANDARD && o.flags != WMGW_NDR_OBJREF_HANDLER)
        return wmgw_err_set(err, WMGW_EPROTO, "OBJREF flags %u: a standard object reference (1) was expected",
                            o.flags);
    if (iid != NULL && !wmgw_uuid_eq(iid, &o.iid)) {
        char got[WMGW_UUID_STRLEN + 1];
        const char *want = wmgw_dcom_uuid_name(iid);
        wmgw_uuid_format(&o.iid, got);
        return wmgw_err_set(err, WMGW_EPROTO, "OBJREF iid %s is not %s", got, want ? want : "the one asked for");
    }
    out->iid = o.iid;
    out->std = o.std;
    if (resolver != NULL)
        *resolver = o.resolver;
    return 0;
}

int wmgw_dcom_iref_format(const struct wmgw_dcom_iref *ir, const struct wmgw_ndr_dsa *resolver, struct wmgw_buf *out,
                          struct wmgw_err *err)
{
    struct wmgw_ndr_objref o;
    memset(&o, 0, sizeof(o));
    o.flags = WMGW_NDR_OBJREF_STANDARD;
    o.iid = ir->iid;
    o.std = ir->std;
    if (resolver != NULL)
        o.resolver = *resolver;
    return wmgw_ndr_objref_encode(&o, out, err);
}

/* ---- framing ---- */

void wmgw_dcom_call_begin(struct wmgw_ndr_writer *w, struct wmgw_buf *out, const struct wmgw_ndr_orpcthis *t,
                          struct wmgw_err *err)
{
    struct wmgw_ndr_orpcthis def;
    wmgw_ndr_writer_init(w, out, err);
    if (t == NULL) {
        wmgw_dcom_orpcthis_init(&def, NULL);
        t = &def;
    }
    wmgw_ndr_put_orpcthis(w, t);
}

void wmgw_dcom_reply_begin(struct wmgw_ndr_writer *w, struct wmgw_buf *out, const struct wmgw_ndr_orpcthat *t,
                           struct wmgw_err *err)
{
    struct wmgw_ndr_orpcthat def;
    wmgw_ndr_writer_init(w, out, err);
    if (t == NULL) {
        wmgw_dcom_orpcthat_init(&def);
        t = &def;
    }
    wmgw_ndr_put_orpcthat(w, t);
}

int wmgw_dcom_call_end(struct wmgw_ndr_writer *w)
{
    if (w->rc != 0) {
        w->buf->len = w->base; /* all or nothing */
        if (w->buf->data != NULL)
            w->buf->data[w->base] = '\0';
    }
    return w->rc;
}

int wmgw_dcom_reply_end(struct wmgw_ndr_writer *w, uint32_t hr)
{
    wmgw_ndr_put_u32(w, hr);
    return wmgw_dcom_call_end(w);
}

int wmgw_dcom_call_read(struct wmgw_ndr_reader *r, const uint8_t *stub, size_t len, struct wmgw_ndr_orpcthis *t,
                        struct wmgw_err *err)
{
    wmgw_ndr_reader_init(r, stub, len, err);
    return wmgw_ndr_get_orpcthis(r, t);
}

int wmgw_dcom_reply_read(struct wmgw_ndr_reader *r, const uint8_t *stub, size_t len, struct wmgw_ndr_orpcthat *t,
                         struct wmgw_err *err)
{
    wmgw_ndr_reader_init(r, stub, len, err);
    return wmgw_ndr_get_orpcthat(r, t);
}

int wmgw_dcom_call_read_end(struct wmgw_ndr_reader *r)
{
    return r->rc; /* Windows' NDR engine leaves unread stub bytes alone; so do we */
}

int wmgw_dcom_reply_read_end(struct wmgw_ndr_reader *r, uint32_t *hr)
{
    wmgw_ndr_get_u32(r, hr, "HRESULT");
    return wmgw_ndr_expect_end(r, "HRESULT");
}

/* ---- interface pointers ---- */

int wmgw_dcom_put_ptr(struct wmgw_ndr_writer *w, const struct wmgw_dcom_ptr *p)
{
    const uint8_t *data = p ? p->objref : NULL;
    wmgw_ndr_put_unique(w, data != NULL);
    return data ? wmgw_ndr_put_mip(w, data, p->len) : w->rc;
}

int wmgw_dcom_get_ptr(struct wmgw_ndr_reader *r, struct wmgw_dcom_ptr *p, const char *field)
{
    bool present;
    p->objref = NULL;
    p->len = 0;
    if (wmgw_ndr_get_unique(r, &present, field) || !present)
        return r->rc;
    if (wmgw_ndr_get_mip(r, &p->objref, &p->len) != 0)
        wmgw_dcom_err_prefix(r->err, field);
    return r->rc;
}

int wmgw_dcom_put_pptr(struct wmgw_ndr_writer *w, bool outer, const struct wmgw_dcom_ptr *p)
{
    wmgw_ndr_put_unique(w, outer);
    return outer ? wmgw_dcom_put_ptr(w, p) : w->rc;
}

int wmgw_dcom_get_pptr(struct wmgw_ndr_reader *r, bool *outer, struct wmgw_dcom_ptr *p, const char *field)
{
    p->objref = NULL;
    p->len = 0;
    if (wmgw_ndr_get_unique(r, outer, field) || !*outer)
        return r->rc;
    return wmgw_dcom_get_ptr(r, p, field);
}

/* ---- shared shapes ---- */

int wmgw_dcom_void_req_encode(struct wmgw_buf *out, const struct wmgw_ndr_orpcthis *t, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_call_begin(&w, out, t, err);
    return wmgw_dcom_call_end(&w);
}

int wmgw_dcom_void_req_decode(const uint8_t *stub, size_t len, struct wmgw_ndr_orpcthis *t, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    wmgw_dcom_call_read(&r, stub, len, t, err);
    return wmgw_dcom_call_read_end(&r);
}

int wmgw_dcom_status_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_status_resp *r, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_reply_begin(&w, out, &r->orpc, err);
    return wmgw_dcom_reply_end(&w, r->hr);
}

int wmgw_dcom_status_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_status_resp *r,
                                 struct wmgw_err *err)
{
    struct wmgw_ndr_reader rd;
    r->hr = 0;
    wmgw_dcom_reply_read(&rd, stub, len, &r->orpc, err);
    return wmgw_dcom_reply_read_end(&rd, &r->hr);
}

int wmgw_dcom_ptr_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_ptr_resp *r, struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    wmgw_dcom_reply_begin(&w, out, &r->orpc, err);
    wmgw_dcom_put_ptr(&w, &r->ptr);
    return wmgw_dcom_reply_end(&w, r->hr);
}

int wmgw_dcom_ptr_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_ptr_resp *r, struct wmgw_err *err)
{
    struct wmgw_ndr_reader rd;
    r->hr = 0;
    r->ptr.objref = NULL;
    r->ptr.len = 0;
    wmgw_dcom_reply_read(&rd, stub, len, &r->orpc, err);
    wmgw_dcom_get_ptr(&rd, &r->ptr, "interface pointer");
    return wmgw_dcom_reply_read_end(&rd, &r->hr);
}
