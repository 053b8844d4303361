/*
 * dcom_activation.c: tests for translators/wmi/dcom_activation.c.
 *
 * The BLOB layout byte for byte where MS-DCOM 2.2.22 and MS-RPCE 2.2.6 fix
 * it (sizes, headers, thisSize, the CustomHeader), round trips of both
 * BLOBs and of RemoteCreateInstance in both roles (client encode -> server
 * decode -> server encode -> client decode) with the values of MS-WMI
 * 4.1.1 (causality id, the IWbemLevel1Login IPID), impacket's variants of
 * the serialization headers, refusals that name their field, every
 * truncation and many mutations of both stubs, and the string-binding
 * helpers.  tests/python/test_dcom_impacket.py compares with impacket.
 */
#include "translators/wmi/dcom_activation.h"

#include "../test.h"

static struct wmgw_uuid trace_cid, login_ipid, remunk_ipid;

static void setup(void)
{
    wmgw_uuid_parse(&trace_cid, "8e2416fe-0a3f-42be-a9b0-f30624c94619", NULL);  /* MS-WMI 4.1.1 */
    wmgw_uuid_parse(&login_ipid, "0001a407-06c4-0000-a6e3-c870b6019c76", NULL); /* ditto, QueriedObjectIpId */
    wmgw_uuid_parse(&remunk_ipid, "00009801-0d2c-0000-8e1f-61a1c9e6b9d7", NULL);
}

static uint32_t rd32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void wr32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(uint8_t)(v >> (8 * i));
}

static void test_act_in_layout(void)
{
    struct wmgw_dcom_act_in a;
    struct wmgw_buf blob;
    struct wmgw_err err;
    wmgw_dcom_act_in_init(&a, &wmgw_dcom_clsid_wbem_level1_login, &wmgw_dcom_iid_iwbem_level1_login);
    wmgw_buf_init(&blob, 1 << 16);
    CHECK_INT(wmgw_dcom_act_in_encode(&blob, &a, &err), 0);
    /* CustomHeader 16 + pad8(56 + 20*4) = 152; InstantiationInfo 16 + pad8(48 + 4 + 16) = 88;
     * ActivationContextInfo 16 + 24; LocationInfo 16 + 16; ScmRequestInfo 16 + pad8(8 + 12 + 6) */
    CHECK_INT(blob.len, 8 + 152 + 88 + 40 + 32 + 48);
    CHECK_INT(rd32(blob.data), blob.len - 8);  /* dwSize */
    CHECK_INT(rd32(blob.data + 4), 0);         /* dwReserved */
    const char *h = blob.data + 8;
    CHECK(memcmp(h, "\x01\x10\x08\x00\xcc\xcc\xcc\xcc", 8) == 0);
    CHECK_INT(rd32(h + 8), 136);               /* ObjectBufferLength, padding included */
    CHECK_INT(rd32(h + 12), 0);                /* private filler */
    CHECK_INT(rd32(h + 16), blob.len - 8);     /* totalSize */
    CHECK_INT(rd32(h + 20), 152);              /* headerSize */
    CHECK_INT(rd32(h + 28), 2);                /* destCtx MSHCTX_DIFFERENTMACHINE */
    CHECK_INT(rd32(h + 32), 4);                /* cIfs */
    CHECK(memcmp(h + 16 + 36, "\x00\x00\x02\x00\x04\x00\x02\x00\x00\x00\x00\x00", 12) == 0); /* pointers */
    CHECK_INT(rd32(h + 16 + 48), 4);           /* pclsid max_count */
    CHECK(memcmp(h + 16 + 52, wmgw_dcom_clsid_instantiation_info.b, 16) == 0);
    CHECK(memcmp(h + 16 + 52 + 48, wmgw_dcom_clsid_scm_request_info.b, 16) == 0);
    CHECK_INT(rd32(h + 16 + 116), 4);          /* pSizes */
    CHECK_INT(rd32(h + 16 + 120), 88);
    CHECK_INT(rd32(h + 16 + 124), 40);
    CHECK_INT(rd32(h + 16 + 128), 32);
    CHECK_INT(rd32(h + 16 + 132), 48);
    const char *inst = h + 152;
    CHECK_INT(rd32(inst + 8), 72);
    CHECK(memcmp(inst + 16, wmgw_dcom_clsid_wbem_level1_login.b, 16) == 0);
    CHECK_INT(rd32(inst + 16 + 16), 0x10);     /* classCtx */
    CHECK_INT(rd32(inst + 16 + 28), 1);        /* cIID */
    CHECK_INT(rd32(inst + 16 + 40), 88);       /* thisSize */
    CHECK(memcmp(inst + 16 + 44, "\x05\x00\x07\x00", 4) == 0);
    CHECK(memcmp(inst + 16 + 52, wmgw_dcom_iid_iwbem_level1_login.b, 16) == 0);
    const char *scm = inst + 88 + 40 + 32;
    CHECK_INT(rd32(scm + 16), 0);              /* pdwReserved */
    CHECK_INT(rd32(scm + 24), 2);              /* ClientImpLevel */
    CHECK(memcmp(scm + 28, "\x01\x00", 2) == 0); /* cRequestedProtseqs */
    CHECK_INT(rd32(scm + 36), 1);
    CHECK(memcmp(scm + 40, "\x07\x00\x00\x00\x00\x00\x00\x00", 8) == 0); /* ncacn_ip_tcp, zero padding */
    wmgw_buf_dispose(&blob);
}

static void sample_in(struct wmgw_dcom_act_in *a)
{
    wmgw_dcom_act_in_init(a, &wmgw_dcom_clsid_wbem_level1_login, &wmgw_dcom_iid_iwbem_level1_login);
    a->n_iids = 3;
    a->iids[1] = wmgw_dcom_iid_iwbem_login_client_id;
    a->iids[2] = wmgw_dcom_iid_iunknown;
    a->actvflags = 0x20;
    a->n_protseqs = 2;
    a->protseqs[1] = 0x1f;
}

static void check_in_equal(const struct wmgw_dcom_act_in *x, const struct wmgw_dcom_act_in *y)
{
    CHECK(wmgw_uuid_eq(&x->clsid, &y->clsid));
    CHECK_INT(x->n_iids, y->n_iids);
    for (unsigned i = 0; i < x->n_iids && i < WMGW_DCOM_ACT_MAX_IIDS; i++)
        CHECK(wmgw_uuid_eq(&x->iids[i], &y->iids[i]));
    CHECK_INT(x->class_ctx, y->class_ctx);
    CHECK_INT(x->actvflags, y->actvflags);
    CHECK(x->com_major == y->com_major && x->com_minor == y->com_minor);
    CHECK_INT(x->dest_ctx, y->dest_ctx);
    CHECK_INT(x->imp_level, y->imp_level);
    CHECK_INT(x->n_protseqs, y->n_protseqs);
    for (unsigned i = 0; i < x->n_protseqs && i < WMGW_DCOM_ACT_MAX_PROTSEQS; i++)
        CHECK_INT(x->protseqs[i], y->protseqs[i]);
}

static void test_act_in_round_trip(void)
{
    struct wmgw_dcom_act_in a, b;
    struct wmgw_buf blob;
    struct wmgw_err err;
    sample_in(&a);
    wmgw_buf_init(&blob, 1 << 16);
    CHECK_INT(wmgw_dcom_act_in_encode(&blob, &a, &err), 0);
    CHECK_INT(wmgw_dcom_act_in_decode((const uint8_t *)blob.data, blob.len, &b, &err), 0);
    check_in_equal(&a, &b);
    CHECK_INT(b.props, WMGW_DCOM_PROP_INSTANTIATION | WMGW_DCOM_PROP_CONTEXT | WMGW_DCOM_PROP_LOCATION |
                           WMGW_DCOM_PROP_SCM_REQUEST);
    /* limits */
    a.n_iids = WMGW_DCOM_ACT_MAX_IIDS + 1;
    CHECK(wmgw_dcom_act_in_encode(&blob, &a, &err) == WMGW_EINVAL);
    a.n_iids = 0;
    CHECK(wmgw_dcom_act_in_encode(&blob, &a, &err) == WMGW_EINVAL);
    wmgw_buf_dispose(&blob);
}

static void sample_out(struct wmgw_dcom_act_out *a, struct wmgw_buf *objref)
{
    struct wmgw_dcom_iref ir;
    memset(a, 0, sizeof(*a));
    memset(&ir, 0, sizeof(ir));
    ir.iid = wmgw_dcom_iid_iwbem_level1_login;
    ir.std.public_refs = 5;
    ir.std.oxid = 0x5e4c3f2a1b0c9d8eull;
    ir.std.oid = 0x1122334455667788ull;
    ir.std.ipid = login_ipid;
    wmgw_dcom_iref_format(&ir, NULL, objref, NULL);
    a->n_ifaces = 2;
    a->ifaces[0].iid = wmgw_dcom_iid_iwbem_level1_login;
    a->ifaces[0].ptr.objref = (const uint8_t *)objref->data;
    a->ifaces[0].ptr.len = objref->len;
    a->ifaces[1].iid = wmgw_dcom_iid_iwbem_login_client_id;
    a->ifaces[1].hr = WMGW_HR_E_NOINTERFACE;
    a->oxid = 0x5e4c3f2a1b0c9d8eull;
    wmgw_dcom_dsa_add_tcp(&a->bindings, "WMSIM-01", 49667, NULL);
    wmgw_dcom_dsa_add_tcp(&a->bindings, "127.0.0.2", 49667, NULL);
    a->bindings.n_security = 3;
    a->bindings.security[0].authn_svc = 10;
    a->bindings.security[1].authn_svc = 9;
    a->bindings.security[2].authn_svc = 16;
    strcpy(a->bindings.security[2].princ, "host/wmsim-01.example.test");
    a->ipid_rem_unknown = remunk_ipid;
    a->authn_hint = WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY;
    a->com_major = 5;
    a->com_minor = 7;
    a->dest_ctx = 2;
}

static void check_out_equal(const struct wmgw_dcom_act_out *x, const struct wmgw_dcom_act_out *y)
{
    CHECK_INT(x->n_ifaces, y->n_ifaces);
    for (unsigned i = 0; i < x->n_ifaces && i < WMGW_DCOM_ACT_MAX_IIDS; i++) {
        CHECK(wmgw_uuid_eq(&x->ifaces[i].iid, &y->ifaces[i].iid));
        CHECK_INT(x->ifaces[i].hr, y->ifaces[i].hr);
        CHECK_INT(x->ifaces[i].ptr.len, y->ifaces[i].ptr.len);
        CHECK((x->ifaces[i].ptr.objref == NULL) == (y->ifaces[i].ptr.objref == NULL));
        if (x->ifaces[i].ptr.objref && y->ifaces[i].ptr.objref)
            CHECK(memcmp(x->ifaces[i].ptr.objref, y->ifaces[i].ptr.objref, x->ifaces[i].ptr.len) == 0);
    }
    CHECK(x->oxid == y->oxid);
    CHECK_INT(x->bindings.n_strings, y->bindings.n_strings);
    for (size_t i = 0; i < x->bindings.n_strings; i++)
        CHECK_STR(x->bindings.strings[i].addr, y->bindings.strings[i].addr);
    CHECK_INT(x->bindings.n_security, y->bindings.n_security);
    for (size_t i = 0; i < x->bindings.n_security; i++) {
        CHECK_INT(x->bindings.security[i].authn_svc, y->bindings.security[i].authn_svc);
        CHECK_STR(x->bindings.security[i].princ, y->bindings.security[i].princ);
    }
    CHECK(wmgw_uuid_eq(&x->ipid_rem_unknown, &y->ipid_rem_unknown));
    CHECK_INT(x->authn_hint, y->authn_hint);
    CHECK(x->com_major == y->com_major && x->com_minor == y->com_minor);
}

static void test_act_out_round_trip(void)
{
    struct wmgw_dcom_act_out a, b;
    struct wmgw_buf blob, objref;
    struct wmgw_err err;
    wmgw_buf_init(&objref, 4096);
    wmgw_buf_init(&blob, 1 << 16);
    sample_out(&a, &objref);
    CHECK_INT(wmgw_dcom_act_out_encode(&blob, &a, &err), 0);
    /* PropsOutInfo first (impacket reads pSizes[0] as PropsOutInfo) */
    CHECK(memcmp(blob.data + 8 + 16 + 52, wmgw_dcom_clsid_props_out_info.b, 16) == 0);
    CHECK(memcmp(blob.data + 8 + 16 + 68, wmgw_dcom_clsid_scm_reply_info.b, 16) == 0);
    CHECK_INT(wmgw_dcom_act_out_decode((const uint8_t *)blob.data, blob.len, &b, &err), 0);
    check_out_equal(&a, &b);
    CHECK_INT(b.props, WMGW_DCOM_PROP_PROPS_OUT | WMGW_DCOM_PROP_SCM_REPLY);

    struct wmgw_dcom_iref ir;
    CHECK_INT(wmgw_dcom_act_iref(&b, &wmgw_dcom_iid_iwbem_level1_login, &ir, &err), 0);
    CHECK(wmgw_uuid_eq(&ir.std.ipid, &login_ipid) && ir.std.oxid == 0x5e4c3f2a1b0c9d8eull);
    CHECK(wmgw_dcom_act_iref(&b, &wmgw_dcom_iid_iwbem_login_client_id, &ir, &err) == WMGW_EBACKEND);
    CHECK(strstr(err.message, "0x80004002") != NULL);
    CHECK(wmgw_dcom_act_iref(&b, &wmgw_dcom_iid_iwbem_services, &ir, &err) == WMGW_EPROTO);
    wmgw_buf_dispose(&blob);
    wmgw_buf_dispose(&objref);
}

/* Client request -> server -> reply -> client, as over the wire. */
static void test_activate_stub_round_trip(void)
{
    struct wmgw_dcom_activate_req q, sq;
    struct wmgw_dcom_activate_resp a, ca;
    struct wmgw_buf stub, objref;
    struct wmgw_err err;
    wmgw_buf_init(&stub, 1 << 17);
    wmgw_buf_init(&objref, 4096);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.orpc.flags = 1; /* as Windows and impacket send on activation */
    wmgw_dcom_act_in_init(&q.act, &wmgw_dcom_clsid_wbem_level1_login, &wmgw_dcom_iid_iwbem_level1_login);
    CHECK_INT(wmgw_dcom_activate_req_encode(&stub, &q, &err), 0);
    /* ORPCTHIS (32), pUnkOuter NULL, pActProperties refid, max_count, ulCntData, OBJREF_CUSTOM */
    CHECK(memcmp(stub.data + 12, trace_cid.b, 16) == 0);
    CHECK_INT(rd32(stub.data + 32), 0);
    CHECK_INT(rd32(stub.data + 36), 0x20000);
    CHECK_INT(rd32(stub.data + 40), stub.len - 48);
    CHECK_INT(rd32(stub.data + 44), stub.len - 48);
    CHECK(memcmp(stub.data + 48, "MEOW\x04\x00\x00\x00", 8) == 0);
    CHECK(memcmp(stub.data + 56, wmgw_dcom_iid_iactprops_in.b, 16) == 0);
    CHECK(memcmp(stub.data + 72, wmgw_dcom_clsid_actprops_in.b, 16) == 0);
    CHECK_INT(rd32(stub.data + 92), stub.len - 96); /* reserved: the BLOB's size */

    CHECK_INT(wmgw_dcom_activate_req_decode((const uint8_t *)stub.data, stub.len, &sq, &err), 0);
    CHECK(wmgw_uuid_eq(&sq.orpc.cid, &trace_cid) && sq.orpc.flags == 1 && sq.orpc.major == 5 && sq.orpc.minor == 7);
    check_in_equal(&q.act, &sq.act);

    memset(&a, 0, sizeof(a));
    a.has_act = true;
    sample_out(&a.act, &objref);
    a.act.n_ifaces = sq.act.n_iids;
    wmgw_buf_reset(&stub);
    CHECK_INT(wmgw_dcom_activate_resp_encode(&stub, &a, &err), 0);
    CHECK_INT(rd32(stub.data + 8), 0x20000);
    CHECK(memcmp(stub.data + 20, "MEOW\x04\x00\x00\x00", 8) == 0);
    CHECK(memcmp(stub.data + 44, wmgw_dcom_clsid_actprops_out.b, 16) == 0);
    CHECK_INT(wmgw_dcom_activate_resp_decode((const uint8_t *)stub.data, stub.len, &ca, &err), 0);
    CHECK(ca.has_act && ca.hr == 0);
    check_out_equal(&a.act, &ca.act);

    char host[64];
    uint16_t port = 0;
    CHECK_INT(wmgw_dcom_dsa_tcp_endpoint(&ca.act.bindings, "127.0.0.2", host, sizeof(host), &port, &err), 0);
    CHECK_STR(host, "127.0.0.2");
    CHECK_INT(port, 49667);

    /* a refused activation: no properties, the HRESULT */
    memset(&a, 0, sizeof(a));
    a.hr = WMGW_HR_E_ACCESSDENIED;
    wmgw_buf_reset(&stub);
    CHECK_INT(wmgw_dcom_activate_resp_encode(&stub, &a, &err), 0);
    CHECK_INT(stub.len, 16);
    CHECK_INT(wmgw_dcom_activate_resp_decode((const uint8_t *)stub.data, stub.len, &ca, &err), 0);
    CHECK(!ca.has_act && ca.hr == WMGW_HR_E_ACCESSDENIED);
    wmgw_buf_dispose(&stub);
    wmgw_buf_dispose(&objref);
}

/* What impacket's TypeSerialization1 and RemoteCreateInstance write
 * differently (MS-RPCE 2.2.6 says otherwise): 0xcccccccc in the private
 * filler, an ObjectBufferLength without the padding, padding bytes of
 * 0xfa, and thisSize 0. */
static void test_impacket_variants_accepted(void)
{
    struct wmgw_dcom_act_in a, b;
    struct wmgw_buf blob;
    struct wmgw_err err;
    sample_in(&a);
    wmgw_buf_init(&blob, 1 << 16);
    CHECK_INT(wmgw_dcom_act_in_encode(&blob, &a, &err), 0);
    char *h = blob.data + 8;
    size_t off = rd32(h + 20);
    static const uint32_t unpadded[4] = {48 + 4 + 48, 24, 16, 8 + 12 + 4 + 4};
    for (int i = 0; i < 4; i++) {
        char *p = h + off;
        uint32_t size = rd32(h + 16 + 48 + 4 + 16 * 4 + 4 + 4 * (uint32_t)i);
        wr32(p + 12, 0xcccccccc);
        wr32(p + 8, unpadded[i]);
        for (uint32_t k = 16 + unpadded[i]; k < size; k++)
            p[k] = (char)0xfa;
        if (i == 0)
            wr32(p + 16 + 40, 0);
        off += size;
    }
    wr32(h + 12, 0xcccccccc);
    CHECK_INT(wmgw_dcom_act_in_decode((const uint8_t *)blob.data, blob.len, &b, &err), 0);
    check_in_equal(&a, &b);
    wmgw_buf_dispose(&blob);
}

/* Decoding blob (as from encode) after edit() must fail naming what. */
static void expect_refusal(const struct wmgw_buf *orig, void (*edit)(char *blob, size_t *len), const char *what,
                           int code)
{
    struct wmgw_dcom_act_in b;
    struct wmgw_err err;
    char *copy = malloc(orig->len + 64);
    size_t len = orig->len;
    memcpy(copy, orig->data, len);
    edit(copy, &len);
    wmgw_err_clear(&err);
    int rc = wmgw_dcom_act_in_decode((const uint8_t *)copy, len, &b, &err);
    CHECK_INT(rc, code);
    if (strstr(err.message, what) == NULL)
        fprintf(stderr, "  expected \"%s\" in: %s\n", what, err.message);
    CHECK(strstr(err.message, what) != NULL);
    free(copy);
}

static void e_dwsize(char *b, size_t *len)
{
    wr32(b, (uint32_t)*len);
}
static void e_cifs0(char *b, size_t *len)
{
    wr32(b + 8 + 16 + 16, 0);
}
static void e_cifs11(char *b, size_t *len)
{
    wr32(b + 8 + 16 + 16, 11);
}
static void e_total(char *b, size_t *len)
{
    wr32(b + 8 + 16, rd32(b) - 8);
}
static void e_header_size(char *b, size_t *len)
{
    wr32(b + 8 + 20, 16);
}
static void e_pclsid_count(char *b, size_t *len)
{
    wr32(b + 8 + 16 + 48, 3);
}
static void e_duplicate(char *b, size_t *len)
{
    memcpy(b + 8 + 16 + 52 + 16, b + 8 + 16 + 52, 16);
}
static void e_no_scm(char *b, size_t *len)
{
    b[8 + 16 + 52 + 48] ^= 0x55; /* ScmRequestInfo becomes an unknown CLSID */
}
static void e_psize(char *b, size_t *len)
{
    wr32(b + 8 + 16 + 120, 0x10000);
}
static void e_big_endian(char *b, size_t *len)
{
    b[8 + 152 + 1] = 0x00;
}
static void e_obl(char *b, size_t *len)
{
    wr32(b + 8 + 152 + 8, 200);
}
static void e_ciid(char *b, size_t *len)
{
    wr32(b + 8 + 152 + 16 + 28, 9);
}
static void e_piid_null(char *b, size_t *len)
{
    wr32(b + 8 + 152 + 16 + 36, 0);
}
static void e_protseq_count(char *b, size_t *len)
{
    wr32(b + 8 + 152 + 88 + 40 + 32 + 36, 2);
}
static void e_truncate(char *b, size_t *len)
{
    *len -= 9;
}

static void test_refusals_name_the_field(void)
{
    struct wmgw_dcom_act_in a;
    struct wmgw_buf blob;
    struct wmgw_err err;
    wmgw_dcom_act_in_init(&a, &wmgw_dcom_clsid_wbem_level1_login, &wmgw_dcom_iid_iwbem_level1_login);
    wmgw_buf_init(&blob, 1 << 16);
    CHECK_INT(wmgw_dcom_act_in_encode(&blob, &a, &err), 0);
    expect_refusal(&blob, e_dwsize, "dwSize", WMGW_EPROTO);
    expect_refusal(&blob, e_cifs0, "CustomHeader.cIfs", WMGW_EPROTO);
    expect_refusal(&blob, e_cifs11, "CustomHeader.cIfs", WMGW_EPROTO);
    expect_refusal(&blob, e_total, "totalSize", WMGW_EPROTO);
    expect_refusal(&blob, e_header_size, "headerSize", WMGW_EPROTO);
    expect_refusal(&blob, e_pclsid_count, "CustomHeader.pclsid", WMGW_EPROTO);
    expect_refusal(&blob, e_duplicate, "again", WMGW_EPROTO);
    expect_refusal(&blob, e_no_scm, "no ScmRequestInfoData", WMGW_EPROTO);
    expect_refusal(&blob, e_psize, "pSizes", WMGW_EPROTO);
    expect_refusal(&blob, e_big_endian, "endianness", WMGW_EUNSUPPORTED);
    expect_refusal(&blob, e_obl, "ObjectBufferLength", WMGW_EPROTO);
    expect_refusal(&blob, e_ciid, "InstantiationInfoData.cIID", WMGW_EPROTO);
    expect_refusal(&blob, e_piid_null, "InstantiationInfoData.pIID", WMGW_EPROTO);
    expect_refusal(&blob, e_protseq_count, "pRequestedProtseqs", WMGW_EPROTO);
    expect_refusal(&blob, e_truncate, "dwSize", WMGW_EPROTO);

    /* an activation request for the wrong kind of OBJREF */
    struct wmgw_dcom_activate_req q, sq;
    struct wmgw_buf stub;
    wmgw_buf_init(&stub, 1 << 17);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    q.act = a;
    CHECK_INT(wmgw_dcom_activate_req_encode(&stub, &q, &err), 0);
    stub.data[72] ^= 1; /* the CLSID */
    CHECK(wmgw_dcom_activate_req_decode((const uint8_t *)stub.data, stub.len, &sq, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "pActProperties") != NULL);
    stub.data[72] ^= 1;
    wr32(stub.data + 36, 0); /* pActProperties NULL, its bytes then trail (ignored) */
    CHECK(wmgw_dcom_activate_req_decode((const uint8_t *)stub.data, stub.len, &sq, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "pActProperties is NULL") != NULL);
    wmgw_buf_dispose(&stub);
    wmgw_buf_dispose(&blob);
}

/* Every prefix fails cleanly; single-byte changes never crash (the
 * sanitizer build checks the reads). */
static void test_truncations_and_mutations(void)
{
    struct wmgw_dcom_activate_req q, sq;
    struct wmgw_dcom_activate_resp a, ca;
    struct wmgw_buf req, resp, objref;
    struct wmgw_err err;
    wmgw_buf_init(&req, 1 << 17);
    wmgw_buf_init(&resp, 1 << 17);
    wmgw_buf_init(&objref, 4096);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, &trace_cid);
    sample_in(&q.act);
    CHECK_INT(wmgw_dcom_activate_req_encode(&req, &q, &err), 0);
    memset(&a, 0, sizeof(a));
    a.has_act = true;
    sample_out(&a.act, &objref);
    CHECK_INT(wmgw_dcom_activate_resp_encode(&resp, &a, &err), 0);
    for (size_t n = 0; n < resp.len; n++) {
        uint8_t *c = malloc(n ? n : 1);
        memcpy(c, resp.data, n);
        CHECK(wmgw_dcom_activate_resp_decode(c, n, &ca, &err) < 0);
        free(c);
    }
    for (size_t n = 0; n < req.len; n++) { /* trailing bytes are allowed, missing ones never */
        uint8_t *c = malloc(n ? n : 1);
        memcpy(c, req.data, n);
        CHECK(wmgw_dcom_activate_req_decode(c, n, &sq, &err) < 0);
        free(c);
    }
    int ok = 0;
    for (size_t i = 0; i < req.len; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            req.data[i] ^= (char)(1 << bit);
            ok += wmgw_dcom_activate_req_decode((const uint8_t *)req.data, req.len, &sq, &err) == 0;
            req.data[i] ^= (char)(1 << bit);
        }
    for (size_t i = 0; i < resp.len; i++) {
        resp.data[i] ^= (char)0x80;
        ok += wmgw_dcom_activate_resp_decode((const uint8_t *)resp.data, resp.len, &ca, &err) == 0;
        resp.data[i] ^= (char)0x80;
    }
    CHECK(ok > 0); /* some fields (GUIDs, reserved words) take any value */
    wmgw_buf_dispose(&req);
    wmgw_buf_dispose(&resp);
    wmgw_buf_dispose(&objref);
}

static void test_endpoints(void)
{
    struct wmgw_ndr_dsa d;
    struct wmgw_err err;
    char host[16];
    uint16_t port = 0;
    memset(&d, 0, sizeof(d));
    d.n_strings = 4;
    d.strings[0].tower_id = 0x1f; /* ncacn_http: skipped */
    strcpy(d.strings[0].addr, "WMSIM-01[593]");
    d.strings[1].tower_id = 7;
    strcpy(d.strings[1].addr, "WMSIM-01"); /* no endpoint */
    d.strings[2].tower_id = 7;
    strcpy(d.strings[2].addr, "wmsim-01[49667]");
    d.strings[3].tower_id = 7;
    strcpy(d.strings[3].addr, "10.0.0.5[49668]");
    CHECK_INT(wmgw_dcom_dsa_tcp_endpoint(&d, "10.0.0.5", host, sizeof(host), &port, &err), 0);
    CHECK_STR(host, "10.0.0.5");
    CHECK_INT(port, 49668);
    CHECK_INT(wmgw_dcom_dsa_tcp_endpoint(&d, "WMSIM-01", host, sizeof(host), &port, &err), 0);
    CHECK_STR(host, "wmsim-01");
    CHECK_INT(port, 49667);
    CHECK_INT(wmgw_dcom_dsa_tcp_endpoint(&d, "elsewhere", host, sizeof(host), &port, &err), 0);
    CHECK_STR(host, "wmsim-01"); /* the first with an endpoint */
    CHECK_INT(wmgw_dcom_dsa_tcp_endpoint(&d, NULL, host, sizeof(host), &port, &err), 0);
    CHECK_INT(port, 49667);
    strcpy(d.strings[2].addr, "x[70000]");
    strcpy(d.strings[3].addr, "y[0]");
    CHECK(wmgw_dcom_dsa_tcp_endpoint(&d, NULL, host, sizeof(host), &port, &err) == WMGW_ENOTFOUND);
    strcpy(d.strings[3].addr, "a-very-long-host-name[135]");
    CHECK(wmgw_dcom_dsa_tcp_endpoint(&d, NULL, host, sizeof(host), &port, &err) == WMGW_ENOTFOUND);

    memset(&d, 0, sizeof(d));
    for (int i = 0; i < WMGW_NDR_MAX_BINDINGS; i++)
        CHECK_INT(wmgw_dcom_dsa_add_tcp(&d, "h", (uint16_t)(1000 + i), &err), 0);
    CHECK_STR(d.strings[3].addr, "h[1003]");
    CHECK(wmgw_dcom_dsa_add_tcp(&d, "h", 1, &err) == WMGW_ETOOBIG);
}

int main(void)
{
    setup();
    WMGW_TEST_RUN(test_act_in_layout);
    WMGW_TEST_RUN(test_act_in_round_trip);
    WMGW_TEST_RUN(test_act_out_round_trip);
    WMGW_TEST_RUN(test_activate_stub_round_trip);
    WMGW_TEST_RUN(test_impacket_variants_accepted);
    WMGW_TEST_RUN(test_refusals_name_the_field);
    WMGW_TEST_RUN(test_truncations_and_mutations);
    WMGW_TEST_RUN(test_endpoints);
    return WMGW_TEST_DONE();
}
