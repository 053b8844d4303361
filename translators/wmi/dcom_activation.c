/*
 * dcom_activation.c: activation properties BLOBs and the
 * RemoteCreateInstance stubs.  See dcom_activation.h.
 * Layouts: MS-DCOM 2.2.22 (BLOB), 2.2.22.1 (CustomHeader), 2.2.22.2.x (the
 * properties), 3.1.2.5.2.3.3 (RemoteCreateInstance); MS-RPCE 2.2.6 (type
 * serialization version 1).  Property structures are NDR with their own
 * referent ids (each serialization starts afresh) and deferred pointees.
 */
#include "translators/wmi/dcom_activation.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TS1_HEADERS 16 /* common header + private header */

static void put32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- type serialization version 1 (MS-RPCE 2.2.6) ---- */

/* Starts one serialized top-level structure at the end of out: both
 * headers, then a writer whose alignment counts from the structure. */
static size_t ts1_begin(struct wmgw_ndr_writer *w, struct wmgw_buf *out, struct wmgw_err *err)
{
    static const uint8_t hdr[TS1_HEADERS] = {1, 0x10, 8, 0, 0xcc, 0xcc, 0xcc, 0xcc, 0, 0, 0, 0, 0, 0, 0, 0};
    size_t start = out->len;
    int rc = wmgw_buf_add(out, hdr, sizeof(hdr));
    wmgw_ndr_writer_init(w, out, err);
    if (rc != 0)
        w->rc = wmgw_err_set(err, rc, "activation properties: output full");
    return start;
}

/* Pads it to 8 and fills ObjectBufferLength (padding included, as the spec
 * says); *size = the whole serialization. */
static int ts1_end(struct wmgw_ndr_writer *w, size_t start, uint32_t *size)
{
    wmgw_ndr_align(w, 8);
    if (w->rc != 0)
        return w->rc;
    *size = (uint32_t)(w->buf->len - start);
    put32(w->buf->data + start + 8, *size - TS1_HEADERS);
    return 0;
}

/* Opens the serialized structure at p (size bytes): a reader over its NDR. */
static int ts1_open(struct wmgw_ndr_reader *r, const uint8_t *p, size_t size, const char *what,
                    struct wmgw_err *err)
{
    wmgw_ndr_reader_init(r, p, 0, err);
    if (size < TS1_HEADERS)
        return r->rc = wmgw_err_set(err, WMGW_EPROTO, "%s: %zu bytes, shorter than its serialization headers",
                                    what, size);
    if (p[0] != 1 || p[2] != 8 || p[3] != 0)
        return r->rc = wmgw_err_set(err, WMGW_EPROTO, "%s: serialization version %u, header length %u (1, 8 expected)",
                                    what, p[0], p[2] | p[3] << 8);
    if (p[1] != 0x10)
        return r->rc = wmgw_err_set(err, WMGW_EUNSUPPORTED, "%s: endianness 0x%02x (only little-endian 0x10)",
                                    what, p[1]);
    uint32_t obl = get32(p + 8); /* Filler fields are ignored (impacket writes 0xcccccccc in both) */
    if (obl > size - TS1_HEADERS)
        return r->rc = wmgw_err_set(err, WMGW_EPROTO, "%s: ObjectBufferLength %u exceeds the %zu bytes given", what,
                                    obl, size - TS1_HEADERS);
    wmgw_ndr_reader_init(r, p + TS1_HEADERS, obl, err);
    return 0;
}

/* Only padding (< 8 bytes) may follow the structure in ObjectBufferLength. */
static int ts1_close(struct wmgw_ndr_reader *r, const char *what)
{
    if (r->rc == 0 && r->len - r->off >= 8)
        return wmgw_ndr_fail(r, what, "%zu bytes after the structure", r->len - r->off);
    return r->rc;
}

/* A conformant array's max_count, which must equal its count field n. */
static int get_count(struct wmgw_ndr_reader *r, uint32_t n, uint32_t limit, size_t elem, const char *field,
                     const char *count_name)
{
    uint32_t max;
    if (wmgw_ndr_get_conformance(r, &max, limit, elem, field))
        return r->rc;
    if (max != n)
        return wmgw_ndr_fail(r, field, "max_count %u but %s %u", max, count_name, n);
    return 0;
}

/* ---- the BLOB and its CustomHeader (MS-DCOM 2.2.22, 2.2.22.1) ---- */

struct prop_list {
    unsigned n;
    const struct wmgw_uuid *clsid[WMGW_DCOM_ACT_MAX_PROPS];
    uint32_t size[WMGW_DCOM_ACT_MAX_PROPS];
    struct wmgw_buf data; /* the serialized properties, in order */
};

/* Appends dwSize, dwReserved, the CustomHeader and the properties. */
static int blob_build(struct wmgw_buf *blob, uint32_t dest_ctx, const struct prop_list *pl, struct wmgw_err *err)
{
    static const uint8_t zero[8];
    static const struct wmgw_uuid nil;
    size_t start = blob->len;
    struct wmgw_ndr_writer w;
    uint32_t hsize = 0;
    if (wmgw_buf_add(blob, zero, 8) != 0)
        return wmgw_err_set(err, WMGW_ETOOBIG, "activation properties: output full");
    size_t h = ts1_begin(&w, blob, err);
    wmgw_ndr_put_u32(&w, 0); /* totalSize, headerSize: filled in below */
    wmgw_ndr_put_u32(&w, 0);
    wmgw_ndr_put_u32(&w, 0); /* dwReserved */
    wmgw_ndr_put_u32(&w, dest_ctx);
    wmgw_ndr_put_u32(&w, pl->n);
    wmgw_ndr_put_uuid(&w, &nil); /* classInfoClsid: GUID_NULL */
    wmgw_ndr_put_unique(&w, true);
    wmgw_ndr_put_unique(&w, true);
    wmgw_ndr_put_unique(&w, false); /* pdwReserved */
    wmgw_ndr_put_conformance(&w, pl->n);
    for (unsigned i = 0; i < pl->n; i++)
        wmgw_ndr_put_uuid(&w, pl->clsid[i]);
    wmgw_ndr_put_conformance(&w, pl->n);
    for (unsigned i = 0; i < pl->n; i++)
        wmgw_ndr_put_u32(&w, pl->size[i]);
    int rc = ts1_end(&w, h, &hsize);
    if (rc == 0 && (rc = wmgw_buf_add(blob, pl->data.data, pl->data.len)) != 0)
        rc = wmgw_err_set(err, rc, "activation properties: output full");
    if (rc == 0 && hsize + pl->data.len > WMGW_DCOM_ACT_MAX_BLOB)
        rc = wmgw_err_set(err, WMGW_ETOOBIG, "activation properties: %zu bytes", hsize + pl->data.len);
    if (rc != 0) {
        blob->len = start;
        return rc;
    }
    uint32_t total = hsize + (uint32_t)pl->data.len;
    put32(blob->data + start, total);                       /* dwSize */
    put32(blob->data + h + TS1_HEADERS, total);             /* totalSize */
    put32(blob->data + h + TS1_HEADERS + 4, hsize);         /* headerSize */
    return 0;
}

/* Serializes one property with put() and records it. */
static int prop_add(struct prop_list *pl, const struct wmgw_uuid *clsid,
                    void (*put)(struct wmgw_ndr_writer *, const void *, size_t), const void *arg,
                    struct wmgw_err *err)
{
    struct wmgw_ndr_writer w;
    size_t start = ts1_begin(&w, &pl->data, err);
    put(&w, arg, start);
    int rc = ts1_end(&w, start, &pl->size[pl->n]);
    if (rc == 0)
        pl->clsid[pl->n++] = clsid;
    return rc;
}

struct blob_view {
    uint32_t dest_ctx, n;
    struct wmgw_uuid clsid[WMGW_DCOM_ACT_MAX_PROPS];
    const uint8_t *prop[WMGW_DCOM_ACT_MAX_PROPS];
    uint32_t size[WMGW_DCOM_ACT_MAX_PROPS];
};

/* Reads dwSize and the CustomHeader and locates each property. */
static int blob_open(const uint8_t *blob, size_t len, struct blob_view *v, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    uint32_t total, hsize, reserved, n;
    bool p_clsid, p_sizes, p_res;
    struct wmgw_uuid info;
    memset(v, 0, sizeof(*v));
    if (len < 8 || len > WMGW_DCOM_ACT_MAX_BLOB)
        return wmgw_err_set(err, WMGW_EPROTO, "activation properties: BLOB of %zu bytes", len);
    uint32_t dwsize = get32(blob);
    if (dwsize > len - 8)
        return wmgw_err_set(err, WMGW_EPROTO, "activation properties: dwSize %u exceeds the %zu bytes given", dwsize,
                            len - 8);
    if (ts1_open(&r, blob + 8, dwsize, "CustomHeader", err))
        return r.rc;
    wmgw_ndr_get_u32(&r, &total, "CustomHeader.totalSize");
    wmgw_ndr_get_u32(&r, &hsize, "CustomHeader.headerSize");
    wmgw_ndr_get_u32(&r, &reserved, "CustomHeader.dwReserved");
    wmgw_ndr_get_u32(&r, &v->dest_ctx, "CustomHeader.destCtx");
    wmgw_ndr_get_u32(&r, &n, "CustomHeader.cIfs");
    wmgw_ndr_get_uuid(&r, &info, "CustomHeader.classInfoClsid");
    wmgw_ndr_get_unique(&r, &p_clsid, "CustomHeader.pclsid");
    wmgw_ndr_get_unique(&r, &p_sizes, "CustomHeader.pSizes");
    if (wmgw_ndr_get_unique(&r, &p_res, "CustomHeader.pdwReserved"))
        return r.rc;
    if (n < 1 || n > WMGW_DCOM_ACT_MAX_PROPS)
        return wmgw_ndr_fail(&r, "CustomHeader.cIfs", "%u properties (1 to %d)", n, WMGW_DCOM_ACT_MAX_PROPS);
    if (!p_clsid || !p_sizes)
        return wmgw_ndr_fail(&r, "CustomHeader.pclsid", "NULL pclsid or pSizes");
    if (get_count(&r, n, WMGW_DCOM_ACT_MAX_PROPS, 16, "CustomHeader.pclsid", "cIfs"))
        return r.rc;
    for (unsigned i = 0; i < n; i++)
        wmgw_ndr_get_uuid(&r, &v->clsid[i], "CustomHeader.pclsid[]");
    if (get_count(&r, n, WMGW_DCOM_ACT_MAX_PROPS, 4, "CustomHeader.pSizes", "cIfs"))
        return r.rc;
    for (unsigned i = 0; i < n; i++)
        wmgw_ndr_get_u32(&r, &v->size[i], "CustomHeader.pSizes[]");
    if (p_res)
        wmgw_ndr_get_u32(&r, &reserved, "CustomHeader.pdwReserved");
    if (ts1_close(&r, "CustomHeader"))
        return r.rc;
    if (total != dwsize)
        return wmgw_err_set(err, WMGW_EPROTO, "CustomHeader.totalSize %u but dwSize %u", total, dwsize);
    if (hsize < TS1_HEADERS + r.len || hsize > dwsize)
        return wmgw_err_set(err, WMGW_EPROTO, "CustomHeader.headerSize %u (serialized %zu, dwSize %u)", hsize,
                            TS1_HEADERS + r.len, dwsize);
    size_t off = 8 + (size_t)hsize, end = 8 + (size_t)dwsize;
    for (unsigned i = 0; i < n; i++) {
        if (v->size[i] > end - off)
            return wmgw_err_set(err, WMGW_EPROTO, "CustomHeader.pSizes[%u] %u exceeds the %zu bytes left", i,
                                v->size[i], end - off);
        for (unsigned j = 0; j < i; j++)
            if (wmgw_uuid_eq(&v->clsid[j], &v->clsid[i]))
                return wmgw_err_set(err, WMGW_EPROTO, "CustomHeader.pclsid[%u]: property %u again", i, j);
        v->prop[i] = blob + off;
        off += v->size[i];
    }
    v->n = n;
    return 0;
}

static unsigned prop_bit(const struct wmgw_uuid *c)
{
    static const struct {
        const struct wmgw_uuid *id;
        unsigned bit;
    } t[] = {
        {&wmgw_dcom_clsid_instantiation_info, WMGW_DCOM_PROP_INSTANTIATION},
        {&wmgw_dcom_clsid_special_props, WMGW_DCOM_PROP_SPECIAL},
        {&wmgw_dcom_clsid_instance_info, WMGW_DCOM_PROP_INSTANCE},
        {&wmgw_dcom_clsid_scm_request_info, WMGW_DCOM_PROP_SCM_REQUEST},
        {&wmgw_dcom_clsid_context_info, WMGW_DCOM_PROP_CONTEXT},
        {&wmgw_dcom_clsid_location_info, WMGW_DCOM_PROP_LOCATION},
        {&wmgw_dcom_clsid_security_info, WMGW_DCOM_PROP_SECURITY},
        {&wmgw_dcom_clsid_scm_reply_info, WMGW_DCOM_PROP_SCM_REPLY},
        {&wmgw_dcom_clsid_props_out_info, WMGW_DCOM_PROP_PROPS_OUT},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (wmgw_uuid_eq(t[i].id, c))
            return t[i].bit;
    return WMGW_DCOM_PROP_OTHER;
}

/* ---- ActivationPropertiesIn ---- */

void wmgw_dcom_act_in_init(struct wmgw_dcom_act_in *a, const struct wmgw_uuid *clsid, const struct wmgw_uuid *iid)
{
    memset(a, 0, sizeof(*a));
    a->clsid = *clsid;
    a->n_iids = 1;
    a->iids[0] = *iid;
    a->class_ctx = 0x10; /* CLSCTX_REMOTE_SERVER */
    a->com_major = WMGW_DCOM_COM_MAJOR;
    a->com_minor = WMGW_DCOM_COM_MINOR;
    a->dest_ctx = WMGW_DCOM_MSHCTX_DIFFERENTMACHINE;
    a->imp_level = 2; /* what Windows clients send (MS-DCOM <33>) */
    a->n_protseqs = 1;
    a->protseqs[0] = WMGW_DCOM_TOWER_TCP;
}

/* InstantiationInfoData (2.2.22.2.1); thisSize is patched once known. */
static void put_instantiation(struct wmgw_ndr_writer *w, const void *arg, size_t start)
{
    const struct wmgw_dcom_act_in *a = arg;
    wmgw_ndr_put_uuid(w, &a->clsid);
    wmgw_ndr_put_u32(w, a->class_ctx);
    wmgw_ndr_put_u32(w, a->actvflags);
    wmgw_ndr_put_u32(w, 0); /* fIsSurrogate */
    wmgw_ndr_put_u32(w, a->n_iids);
    wmgw_ndr_put_u32(w, 0); /* instFlag */
    wmgw_ndr_put_unique(w, true);
    wmgw_ndr_put_u32(w, 0); /* thisSize */
    wmgw_ndr_put_u16(w, a->com_major);
    wmgw_ndr_put_u16(w, a->com_minor);
    wmgw_ndr_put_conformance(w, a->n_iids);
    for (unsigned i = 0; i < a->n_iids; i++)
        wmgw_ndr_put_uuid(w, &a->iids[i]);
    wmgw_ndr_align(w, 8);
    if (w->rc == 0)
        put32(w->buf->data + start + TS1_HEADERS + 40, (uint32_t)(w->buf->len - start));
}

/* ActivationContextInfoData (2.2.22.2.5) without client or prototype
 * context, as impacket sends it and Windows takes it. */
static void put_context(struct wmgw_ndr_writer *w, const void *arg, size_t start)
{
    for (int i = 0; i < 4; i++)
        wmgw_ndr_put_u32(w, 0); /* clientOK, bReserved1, dwReserved1, dwReserved2 */
    wmgw_ndr_put_unique(w, false);
    wmgw_ndr_put_unique(w, false);
}

/* LocationInfoData (2.2.22.2.6): all NULL and zero. */
static void put_location(struct wmgw_ndr_writer *w, const void *arg, size_t start)
{
    wmgw_ndr_put_unique(w, false);
    for (int i = 0; i < 3; i++)
        wmgw_ndr_put_u32(w, 0);
}

/* ScmRequestInfoData with its customREMOTE_REQUEST_SCM_INFO (2.2.22.2.4). */
static void put_scm_request(struct wmgw_ndr_writer *w, const void *arg, size_t start)
{
    const struct wmgw_dcom_act_in *a = arg;
    wmgw_ndr_put_unique(w, false); /* pdwReserved */
    wmgw_ndr_put_unique(w, true);  /* remoteRequest */
    wmgw_ndr_put_u32(w, a->imp_level);
    wmgw_ndr_put_u16(w, a->n_protseqs);
    wmgw_ndr_put_unique(w, true);
    wmgw_ndr_put_conformance(w, a->n_protseqs);
    for (unsigned i = 0; i < a->n_protseqs; i++)
        wmgw_ndr_put_u16(w, a->protseqs[i]);
}

int wmgw_dcom_act_in_encode(struct wmgw_buf *blob, const struct wmgw_dcom_act_in *a, struct wmgw_err *err)
{
    if (a->n_iids < 1 || a->n_iids > WMGW_DCOM_ACT_MAX_IIDS || a->n_protseqs > WMGW_DCOM_ACT_MAX_PROTSEQS)
        return wmgw_err_set(err, WMGW_EINVAL, "activation: %u IIDs, %u protocol sequences", a->n_iids,
                            a->n_protseqs);
    struct prop_list pl;
    memset(&pl, 0, sizeof(pl));
    wmgw_buf_init(&pl.data, WMGW_DCOM_ACT_MAX_BLOB);
    int rc = prop_add(&pl, &wmgw_dcom_clsid_instantiation_info, put_instantiation, a, err);
    rc = rc ? rc : prop_add(&pl, &wmgw_dcom_clsid_context_info, put_context, a, err);
    rc = rc ? rc : prop_add(&pl, &wmgw_dcom_clsid_location_info, put_location, a, err);
    rc = rc ? rc : prop_add(&pl, &wmgw_dcom_clsid_scm_request_info, put_scm_request, a, err);
    rc = rc ? rc : blob_build(blob, a->dest_ctx, &pl, err);
    wmgw_buf_dispose(&pl.data);
    return rc;
}

static int get_instantiation(struct wmgw_ndr_reader *r, struct wmgw_dcom_act_in *a)
{
    uint32_t surrogate, inst, this_size;
    bool p_iid;
    wmgw_ndr_get_uuid(r, &a->clsid, "InstantiationInfoData.classId");
    wmgw_ndr_get_u32(r, &a->class_ctx, "InstantiationInfoData.classCtx");
    wmgw_ndr_get_u32(r, &a->actvflags, "InstantiationInfoData.actvflags");
    wmgw_ndr_get_u32(r, &surrogate, "InstantiationInfoData.fIsSurrogate");
    wmgw_ndr_get_u32(r, &a->n_iids, "InstantiationInfoData.cIID");
    wmgw_ndr_get_u32(r, &inst, "InstantiationInfoData.instFlag");
    wmgw_ndr_get_unique(r, &p_iid, "InstantiationInfoData.pIID");
    wmgw_ndr_get_u32(r, &this_size, "InstantiationInfoData.thisSize"); /* ignored on receipt */
    wmgw_ndr_get_u16(r, &a->com_major, "InstantiationInfoData.clientCOMVersion");
    if (wmgw_ndr_get_u16(r, &a->com_minor, "InstantiationInfoData.clientCOMVersion"))
        return r->rc;
    if (a->n_iids < 1 || a->n_iids > WMGW_DCOM_ACT_MAX_IIDS)
        return wmgw_ndr_fail(r, "InstantiationInfoData.cIID", "%u interfaces (1 to %d)", a->n_iids,
                             WMGW_DCOM_ACT_MAX_IIDS);
    if (!p_iid)
        return wmgw_ndr_fail(r, "InstantiationInfoData.pIID", "NULL");
    if (get_count(r, a->n_iids, WMGW_DCOM_ACT_MAX_IIDS, 16, "InstantiationInfoData.pIID", "cIID"))
        return r->rc;
    for (unsigned i = 0; i < a->n_iids; i++)
        wmgw_ndr_get_uuid(r, &a->iids[i], "InstantiationInfoData.pIID[]");
    return r->rc;
}

static int get_scm_request(struct wmgw_ndr_reader *r, struct wmgw_dcom_act_in *a)
{
    bool p_res, p_req, p_seqs;
    uint32_t reserved;
    wmgw_ndr_get_unique(r, &p_res, "ScmRequestInfoData.pdwReserved");
    if (wmgw_ndr_get_unique(r, &p_req, "ScmRequestInfoData.remoteRequest"))
        return r->rc;
    if (!p_req)
        return wmgw_ndr_fail(r, "ScmRequestInfoData.remoteRequest", "NULL");
    if (p_res)
        wmgw_ndr_get_u32(r, &reserved, "ScmRequestInfoData.pdwReserved");
    wmgw_ndr_get_u32(r, &a->imp_level, "customREMOTE_REQUEST_SCM_INFO.ClientImpLevel");
    wmgw_ndr_get_u16(r, &a->n_protseqs, "customREMOTE_REQUEST_SCM_INFO.cRequestedProtseqs");
    if (wmgw_ndr_get_unique(r, &p_seqs, "customREMOTE_REQUEST_SCM_INFO.pRequestedProtseqs"))
        return r->rc;
    if (!p_seqs)
        return a->n_protseqs == 0 ? 0
                                  : wmgw_ndr_fail(r, "customREMOTE_REQUEST_SCM_INFO.pRequestedProtseqs",
                                                  "NULL with cRequestedProtseqs %u", a->n_protseqs);
    if (a->n_protseqs > WMGW_DCOM_ACT_MAX_PROTSEQS)
        return wmgw_ndr_fail(r, "customREMOTE_REQUEST_SCM_INFO.cRequestedProtseqs", "%u protocol sequences (at most %d)",
                             a->n_protseqs, WMGW_DCOM_ACT_MAX_PROTSEQS);
    if (get_count(r, a->n_protseqs, WMGW_DCOM_ACT_MAX_PROTSEQS, 2, "customREMOTE_REQUEST_SCM_INFO.pRequestedProtseqs",
                  "cRequestedProtseqs"))
        return r->rc;
    for (unsigned i = 0; i < a->n_protseqs; i++)
        wmgw_ndr_get_u16(r, &a->protseqs[i], "customREMOTE_REQUEST_SCM_INFO.pRequestedProtseqs[]");
    return r->rc;
}

int wmgw_dcom_act_in_decode(const uint8_t *blob, size_t len, struct wmgw_dcom_act_in *a, struct wmgw_err *err)
{
    struct blob_view v;
    memset(a, 0, sizeof(*a));
    int rc = blob_open(blob, len, &v, err);
    if (rc != 0)
        return rc;
    a->dest_ctx = v.dest_ctx;
    for (unsigned i = 0; i < v.n; i++) {
        unsigned bit = prop_bit(&v.clsid[i]);
        struct wmgw_ndr_reader r;
        a->props |= bit;
        if (bit == WMGW_DCOM_PROP_INSTANTIATION) {
            if (ts1_open(&r, v.prop[i], v.size[i], "InstantiationInfoData", err) == 0)
                get_instantiation(&r, a);
            rc = ts1_close(&r, "InstantiationInfoData");
        } else if (bit == WMGW_DCOM_PROP_SCM_REQUEST) {
            if (ts1_open(&r, v.prop[i], v.size[i], "ScmRequestInfoData", err) == 0)
                get_scm_request(&r, a);
            rc = ts1_close(&r, "ScmRequestInfoData");
        } /* the rest only matters to Windows' own SCM: MS-DCOM says ignore */
        if (rc != 0)
            return rc;
    }
    if (!(a->props & WMGW_DCOM_PROP_INSTANTIATION) || !(a->props & WMGW_DCOM_PROP_SCM_REQUEST))
        return wmgw_err_set(err, WMGW_EPROTO, "ActivationPropertiesIn: no %s",
                            a->props & WMGW_DCOM_PROP_INSTANTIATION ? "ScmRequestInfoData" : "InstantiationInfoData");
    return 0;
}

/* ---- ActivationPropertiesOut ---- */

/* PropsOutInfo (2.2.22.2.9). */
static void put_props_out(struct wmgw_ndr_writer *w, const void *arg, size_t start)
{
    const struct wmgw_dcom_act_out *a = arg;
    wmgw_ndr_put_u32(w, a->n_ifaces);
    wmgw_ndr_put_unique(w, true);
    wmgw_ndr_put_unique(w, true);
    wmgw_ndr_put_unique(w, true);
    wmgw_ndr_put_conformance(w, a->n_ifaces);
    for (unsigned i = 0; i < a->n_ifaces; i++)
        wmgw_ndr_put_uuid(w, &a->ifaces[i].iid);
    wmgw_ndr_put_conformance(w, a->n_ifaces);
    for (unsigned i = 0; i < a->n_ifaces; i++)
        wmgw_ndr_put_u32(w, a->ifaces[i].hr);
    wmgw_ndr_put_conformance(w, a->n_ifaces);
    for (unsigned i = 0; i < a->n_ifaces; i++)
        wmgw_ndr_put_unique(w, a->ifaces[i].ptr.objref != NULL);
    for (unsigned i = 0; i < a->n_ifaces; i++)
        if (a->ifaces[i].ptr.objref != NULL)
            wmgw_ndr_put_mip(w, a->ifaces[i].ptr.objref, a->ifaces[i].ptr.len);
}

/* ScmReplyInfoData with its customREMOTE_REPLY_SCM_INFO (2.2.22.2.8). */
static void put_scm_reply(struct wmgw_ndr_writer *w, const void *arg, size_t start)
{
    const struct wmgw_dcom_act_out *a = arg;
    wmgw_ndr_put_unique(w, false); /* pdwReserved */
    wmgw_ndr_put_unique(w, true);  /* remoteReply */
    wmgw_ndr_align(w, 8);          /* the structure holds a hyper */
    wmgw_ndr_put_u64(w, a->oxid);
    wmgw_ndr_put_unique(w, true);
    wmgw_ndr_put_uuid(w, &a->ipid_rem_unknown);
    wmgw_ndr_put_u32(w, a->authn_hint);
    wmgw_ndr_put_u16(w, a->com_major);
    wmgw_ndr_put_u16(w, a->com_minor);
    wmgw_ndr_put_dsa(w, &a->bindings);
}

int wmgw_dcom_act_out_encode(struct wmgw_buf *blob, const struct wmgw_dcom_act_out *a, struct wmgw_err *err)
{
    if (a->n_ifaces < 1 || a->n_ifaces > WMGW_DCOM_ACT_MAX_IIDS)
        return wmgw_err_set(err, WMGW_EINVAL, "activation: %u interfaces in the reply", a->n_ifaces);
    struct prop_list pl;
    memset(&pl, 0, sizeof(pl));
    wmgw_buf_init(&pl.data, WMGW_DCOM_ACT_MAX_BLOB);
    /* PropsOutInfo first: impacket takes the first property for it */
    int rc = prop_add(&pl, &wmgw_dcom_clsid_props_out_info, put_props_out, a, err);
    rc = rc ? rc : prop_add(&pl, &wmgw_dcom_clsid_scm_reply_info, put_scm_reply, a, err);
    rc = rc ? rc : blob_build(blob, a->dest_ctx, &pl, err);
    wmgw_buf_dispose(&pl.data);
    return rc;
}

static int get_props_out(struct wmgw_ndr_reader *r, struct wmgw_dcom_act_out *a)
{
    bool p_iid, p_hr, p_data, present[WMGW_DCOM_ACT_MAX_IIDS];
    wmgw_ndr_get_u32(r, &a->n_ifaces, "PropsOutInfo.cIfs");
    wmgw_ndr_get_unique(r, &p_iid, "PropsOutInfo.piid");
    wmgw_ndr_get_unique(r, &p_hr, "PropsOutInfo.phresults");
    if (wmgw_ndr_get_unique(r, &p_data, "PropsOutInfo.ppIntfData"))
        return r->rc;
    if (a->n_ifaces < 1 || a->n_ifaces > WMGW_DCOM_ACT_MAX_IIDS)
        return wmgw_ndr_fail(r, "PropsOutInfo.cIfs", "%u interfaces (1 to %d)", a->n_ifaces, WMGW_DCOM_ACT_MAX_IIDS);
    if (!p_iid || !p_hr || !p_data)
        return wmgw_ndr_fail(r, "PropsOutInfo", "NULL piid, phresults or ppIntfData");
    unsigned n = a->n_ifaces;
    if (get_count(r, n, WMGW_DCOM_ACT_MAX_IIDS, 16, "PropsOutInfo.piid", "cIfs"))
        return r->rc;
    for (unsigned i = 0; i < n; i++)
        wmgw_ndr_get_uuid(r, &a->ifaces[i].iid, "PropsOutInfo.piid[]");
    if (get_count(r, n, WMGW_DCOM_ACT_MAX_IIDS, 4, "PropsOutInfo.phresults", "cIfs"))
        return r->rc;
    for (unsigned i = 0; i < n; i++)
        wmgw_ndr_get_u32(r, &a->ifaces[i].hr, "PropsOutInfo.phresults[]");
    if (get_count(r, n, WMGW_DCOM_ACT_MAX_IIDS, 4, "PropsOutInfo.ppIntfData", "cIfs"))
        return r->rc;
    for (unsigned i = 0; i < n; i++)
        wmgw_ndr_get_unique(r, &present[i], "PropsOutInfo.ppIntfData[]");
    for (unsigned i = 0; i < n && r->rc == 0; i++) {
        if (present[i] && wmgw_ndr_get_mip(r, &a->ifaces[i].ptr.objref, &a->ifaces[i].ptr.len) != 0)
            wmgw_dcom_err_prefix(r->err, "PropsOutInfo.ppIntfData[]");
    }
    return r->rc;
}

static int get_scm_reply(struct wmgw_ndr_reader *r, struct wmgw_dcom_act_out *a)
{
    bool p_res, p_reply, p_dsa;
    uint32_t reserved;
    wmgw_ndr_get_unique(r, &p_res, "ScmReplyInfoData.pdwReserved");
    if (wmgw_ndr_get_unique(r, &p_reply, "ScmReplyInfoData.remoteReply"))
        return r->rc;
    if (!p_reply)
        return wmgw_ndr_fail(r, "ScmReplyInfoData.remoteReply", "NULL");
    if (p_res)
        wmgw_ndr_get_u32(r, &reserved, "ScmReplyInfoData.pdwReserved");
    wmgw_ndr_skip_align(r, 8, "customREMOTE_REPLY_SCM_INFO");
    wmgw_ndr_get_u64(r, &a->oxid, "customREMOTE_REPLY_SCM_INFO.Oxid");
    wmgw_ndr_get_unique(r, &p_dsa, "customREMOTE_REPLY_SCM_INFO.pdsaOxidBindings");
    wmgw_ndr_get_uuid(r, &a->ipid_rem_unknown, "customREMOTE_REPLY_SCM_INFO.ipidRemUnknown");
    wmgw_ndr_get_u32(r, &a->authn_hint, "customREMOTE_REPLY_SCM_INFO.authnHint");
    wmgw_ndr_get_u16(r, &a->com_major, "customREMOTE_REPLY_SCM_INFO.serverVersion");
    if (wmgw_ndr_get_u16(r, &a->com_minor, "customREMOTE_REPLY_SCM_INFO.serverVersion"))
        return r->rc;
    if (!p_dsa)
        return wmgw_ndr_fail(r, "customREMOTE_REPLY_SCM_INFO.pdsaOxidBindings", "NULL");
    return wmgw_ndr_get_dsa(r, &a->bindings);
}

int wmgw_dcom_act_out_decode(const uint8_t *blob, size_t len, struct wmgw_dcom_act_out *a, struct wmgw_err *err)
{
    struct blob_view v;
    memset(a, 0, sizeof(*a));
    int rc = blob_open(blob, len, &v, err);
    if (rc != 0)
        return rc;
    a->dest_ctx = v.dest_ctx;
    for (unsigned i = 0; i < v.n; i++) {
        unsigned bit = prop_bit(&v.clsid[i]);
        struct wmgw_ndr_reader r;
        a->props |= bit;
        if (bit == WMGW_DCOM_PROP_PROPS_OUT) {
            if (ts1_open(&r, v.prop[i], v.size[i], "PropsOutInfo", err) == 0)
                get_props_out(&r, a);
            rc = ts1_close(&r, "PropsOutInfo");
        } else if (bit == WMGW_DCOM_PROP_SCM_REPLY) {
            if (ts1_open(&r, v.prop[i], v.size[i], "ScmReplyInfoData", err) == 0)
                get_scm_reply(&r, a);
            rc = ts1_close(&r, "ScmReplyInfoData");
        } /* clients SHOULD ignore properties they do not recognize */
        if (rc != 0)
            return rc;
    }
    if (!(a->props & WMGW_DCOM_PROP_PROPS_OUT) || !(a->props & WMGW_DCOM_PROP_SCM_REPLY))
        return wmgw_err_set(err, WMGW_EPROTO, "ActivationPropertiesOut: no %s",
                            a->props & WMGW_DCOM_PROP_PROPS_OUT ? "ScmReplyInfoData" : "PropsOutInfo");
    return 0;
}

/* ---- RemoteCreateInstance (MS-DCOM 3.1.2.5.2.3.3) ---- */

/* The BLOB as an OBJREF_CUSTOM with the CLSID and IID of its direction. */
static int wrap_blob(struct wmgw_buf *objref, const struct wmgw_buf *blob, bool in, struct wmgw_err *err)
{
    struct wmgw_ndr_objref o;
    memset(&o, 0, sizeof(o));
    o.flags = WMGW_NDR_OBJREF_CUSTOM;
    o.iid = in ? wmgw_dcom_iid_iactprops_in : wmgw_dcom_iid_iactprops_out;
    o.clsid = in ? wmgw_dcom_clsid_actprops_in : wmgw_dcom_clsid_actprops_out;
    o.reserved = (uint32_t)blob->len; /* "any value" (2.2.18.6); the data size, as WMI puts there */
    o.object_data = (const uint8_t *)blob->data;
    o.object_len = blob->len;
    return wmgw_ndr_objref_encode(&o, objref, err);
}

static int unwrap_blob(const struct wmgw_dcom_ptr *p, bool in, const uint8_t **blob, size_t *len,
                       struct wmgw_err *err)
{
    struct wmgw_ndr_objref o;
    const char *what = in ? "pActProperties" : "ppActProperties";
    int rc = wmgw_ndr_objref_decode(p->objref, p->len, &o, err);
    if (rc != 0) {
        wmgw_dcom_err_prefix(err, what);
        return rc;
    }
    if (o.flags != WMGW_NDR_OBJREF_CUSTOM ||
        !wmgw_uuid_eq(&o.clsid, in ? &wmgw_dcom_clsid_actprops_in : &wmgw_dcom_clsid_actprops_out))
        return wmgw_err_set(err, WMGW_EPROTO, "%s: not an OBJREF_CUSTOM of CLSID_ActivationProperties%s", what,
                            in ? "In" : "Out");
    *blob = o.object_data;
    *len = o.object_len;
    return 0;
}

int wmgw_dcom_activate_req_encode(struct wmgw_buf *out, const struct wmgw_dcom_activate_req *q, struct wmgw_err *err)
{
    struct wmgw_buf blob, objref;
    wmgw_buf_init(&blob, WMGW_DCOM_ACT_MAX_BLOB);
    wmgw_buf_init(&objref, WMGW_DCOM_ACT_MAX_BLOB + 64);
    int rc = wmgw_dcom_act_in_encode(&blob, &q->act, err);
    rc = rc ? rc : wrap_blob(&objref, &blob, true, err);
    if (rc == 0) {
        struct wmgw_ndr_writer w;
        struct wmgw_dcom_ptr unk = {NULL, 0}, props = {(const uint8_t *)objref.data, objref.len};
        wmgw_dcom_call_begin(&w, out, &q->orpc, err);
        wmgw_dcom_put_ptr(&w, &unk); /* pUnkOuter: MUST be NULL */
        wmgw_dcom_put_ptr(&w, &props);
        rc = wmgw_dcom_call_end(&w);
    }
    wmgw_buf_dispose(&blob);
    wmgw_buf_dispose(&objref);
    return rc;
}

int wmgw_dcom_activate_req_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_activate_req *q,
                                  struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct wmgw_dcom_ptr unk, props;
    const uint8_t *blob;
    size_t blen;
    memset(q, 0, sizeof(*q));
    wmgw_dcom_call_read(&r, stub, len, &q->orpc, err);
    wmgw_dcom_get_ptr(&r, &unk, "pUnkOuter"); /* MUST be ignored */
    wmgw_dcom_get_ptr(&r, &props, "pActProperties");
    if (wmgw_dcom_call_read_end(&r))
        return r.rc;
    if (props.objref == NULL)
        return wmgw_err_set(err, WMGW_EPROTO, "RemoteCreateInstance: pActProperties is NULL");
    int rc = unwrap_blob(&props, true, &blob, &blen, err);
    return rc ? rc : wmgw_dcom_act_in_decode(blob, blen, &q->act, err);
}

int wmgw_dcom_activate_resp_encode(struct wmgw_buf *out, const struct wmgw_dcom_activate_resp *a,
                                   struct wmgw_err *err)
{
    struct wmgw_buf blob, objref;
    wmgw_buf_init(&blob, WMGW_DCOM_ACT_MAX_BLOB);
    wmgw_buf_init(&objref, WMGW_DCOM_ACT_MAX_BLOB + 64);
    int rc = 0;
    if (a->has_act) {
        rc = wmgw_dcom_act_out_encode(&blob, &a->act, err);
        rc = rc ? rc : wrap_blob(&objref, &blob, false, err);
    }
    if (rc == 0) {
        struct wmgw_ndr_writer w;
        struct wmgw_dcom_ptr props = {a->has_act ? (const uint8_t *)objref.data : NULL, objref.len};
        wmgw_dcom_reply_begin(&w, out, &a->orpc, err);
        wmgw_dcom_put_ptr(&w, &props);
        rc = wmgw_dcom_reply_end(&w, a->hr);
    }
    wmgw_buf_dispose(&blob);
    wmgw_buf_dispose(&objref);
    return rc;
}

int wmgw_dcom_activate_resp_decode(const uint8_t *stub, size_t len, struct wmgw_dcom_activate_resp *a,
                                   struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct wmgw_dcom_ptr props;
    const uint8_t *blob;
    size_t blen;
    memset(a, 0, sizeof(*a));
    wmgw_dcom_reply_read(&r, stub, len, &a->orpc, err);
    wmgw_dcom_get_ptr(&r, &props, "ppActProperties");
    if (wmgw_dcom_reply_read_end(&r, &a->hr))
        return r.rc;
    if (props.objref == NULL)
        return 0; /* a failed activation: the HRESULT says why */
    a->has_act = true;
    int rc = unwrap_blob(&props, false, &blob, &blen, err);
    return rc ? rc : wmgw_dcom_act_out_decode(blob, blen, &a->act, err);
}

/* ---- helpers ---- */

int wmgw_dcom_act_iref(const struct wmgw_dcom_act_out *a, const struct wmgw_uuid *iid, struct wmgw_dcom_iref *out,
                       struct wmgw_err *err)
{
    const char *name = wmgw_dcom_uuid_name(iid);
    for (unsigned i = 0; i < a->n_ifaces && i < WMGW_DCOM_ACT_MAX_IIDS; i++) {
        const struct wmgw_dcom_act_iface *f = &a->ifaces[i];
        if (!wmgw_uuid_eq(&f->iid, iid))
            continue;
        if (f->hr != 0)
            return wmgw_err_set(err, WMGW_EBACKEND, "activation: %s refused with HRESULT 0x%08x",
                                name ? name : "the interface", f->hr);
        if (f->ptr.objref == NULL)
            return wmgw_err_set(err, WMGW_EPROTO, "activation: %s succeeded without an interface pointer",
                                name ? name : "the interface");
        int rc = wmgw_dcom_iref_parse(f->ptr.objref, f->ptr.len, iid, out, NULL, err);
        if (rc != 0)
            wmgw_dcom_err_prefix(err, "PropsOutInfo.ppIntfData");
        return rc;
    }
    return wmgw_err_set(err, WMGW_EPROTO, "activation: no %s in PropsOutInfo", name ? name : "interface asked for");
}

/* "HOST[port]" -> host (into addr) and port; false when there is no port. */
static bool split_endpoint(const char *s, char *addr, size_t cap, uint16_t *port)
{
    const char *open = strrchr(s, '[');
    size_t n = strlen(s);
    if (open == NULL || n < 3 || s[n - 1] != ']' || open + 1 == s + n - 1)
        return false;
    unsigned long v = 0;
    for (const char *p = open + 1; p < s + n - 1; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned long)(*p - '0')) > 65535)
            return false;
    }
    if (v == 0 || (size_t)(open - s) >= cap)
        return false;
    memcpy(addr, s, (size_t)(open - s));
    addr[open - s] = '\0';
    *port = (uint16_t)v;
    return true;
}

int wmgw_dcom_dsa_tcp_endpoint(const struct wmgw_ndr_dsa *d, const char *host, char *addr, size_t cap,
                               uint16_t *port, struct wmgw_err *err)
{
    bool found = false;
    for (int pass = host ? 0 : 1; pass < 2 && !found; pass++) {
        for (size_t i = 0; i < d->n_strings && i < WMGW_NDR_MAX_BINDINGS && !found; i++) {
            char h[WMGW_NDR_MAX_ADDR];
            uint16_t p;
            if (d->strings[i].tower_id != WMGW_DCOM_TOWER_TCP || !split_endpoint(d->strings[i].addr, h, sizeof(h), &p))
                continue;
            if ((pass == 0 && strcasecmp(h, host) != 0) || strlen(h) >= cap)
                continue;
            memcpy(addr, h, strlen(h) + 1);
            *port = p;
            found = true;
        }
    }
    return found ? 0
                 : wmgw_err_set(err, WMGW_ENOTFOUND, "no ncacn_ip_tcp string binding with an endpoint (that fits)");
}

int wmgw_dcom_dsa_add_tcp(struct wmgw_ndr_dsa *d, const char *host, uint16_t port, struct wmgw_err *err)
{
    if (d->n_strings >= WMGW_NDR_MAX_BINDINGS)
        return wmgw_err_set(err, WMGW_ETOOBIG, "DUALSTRINGARRAY: %d string bindings already", WMGW_NDR_MAX_BINDINGS);
    struct wmgw_ndr_stringbinding *s = &d->strings[d->n_strings];
    int n = snprintf(s->addr, sizeof(s->addr), "%s[%u]", host, port);
    if (n < 0 || (size_t)n >= sizeof(s->addr))
        return wmgw_err_set(err, WMGW_EINVAL, "string binding for host of %zu bytes", strlen(host));
    s->tower_id = WMGW_DCOM_TOWER_TCP;
    d->n_strings++;
    return 0;
}
