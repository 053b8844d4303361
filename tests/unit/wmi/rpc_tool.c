/*
 * rpc_tool.c: translators/wmi's PDU and NDR codecs on stdin/stdout, for
 * tests/python/test_rpc_impacket.py, which compares them with impacket.
 *
 * One JSON request per line in, one JSON answer per line out:
 *   {"op":"pdu_encode","pdu":{...}}            -> {"hex":"..."}
 *   {"op":"pdu_decode","hex":"..."}            -> {"pdu":{...}}
 *   {"op":"ndr_encode","items":[{"t":T,"v":V}]} -> {"hex":"..."}
 *   {"op":"ndr_decode","types":[T...],"hex":"..."} -> {"items":[V...]}
 *   {"op":"objref_encode","v":{...}} / {"op":"objref_decode","hex":"..."}
 *   {"op":"dsa_pack","v":{...}} / {"op":"dsa_unpack","hex":"..."}
 * Failures answer {"error":"<message>"}.  NDR types T: u8 u16 u32 u64 uuid
 * unique wstr wstr_ptr bstr mip pmip orpcthis orpcthat stdobjref dsa.
 */
#include "translators/wmi/ndr_dcom.h"
#include "translators/wmi/rpc_pdu.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hex text <-> bytes; parsed bytes live in a small arena freed per request. */
static uint8_t *arena[4096];
static size_t n_arena;

static const uint8_t *unhex(const char *s, size_t *n)
{
    size_t len = s ? strlen(s) / 2 : 0;
    uint8_t *b = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        sscanf(s + 2 * i, "%2hhx", &b[i]);
    *n = len;
    if (n_arena < sizeof(arena) / sizeof(arena[0]))
        arena[n_arena++] = b;
    return b;
}

static json_t *hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", p[i]);
    s[2 * n] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *juuid(const struct wmgw_uuid *u)
{
    char s[WMGW_UUID_STRLEN + 1];
    wmgw_uuid_format(u, s);
    return json_string(s);
}

static struct wmgw_uuid getuuid(json_t *j)
{
    struct wmgw_uuid u = {{0}};
    if (json_is_string(j))
        wmgw_uuid_parse(&u, json_string_value(j), NULL);
    return u;
}

static long long num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static struct wmgw_rpc_syntax syn(json_t *a)
{
    struct wmgw_rpc_syntax s = {getuuid(json_array_get(a, 0)), (uint16_t)json_integer_value(json_array_get(a, 1)),
                                (uint16_t)json_integer_value(json_array_get(a, 2))};
    return s;
}

static json_t *jsyn(const struct wmgw_rpc_syntax *s)
{
    return json_pack("[o,i,i]", juuid(&s->uuid), s->major, s->minor);
}

/* ---- PDUs ---- */

static void pdu_from_json(json_t *j, struct wmgw_rpc_pdu *p)
{
    memset(p, 0, sizeof(*p));
    p->ptype = (uint8_t)num(j, "ptype");
    p->flags = (uint8_t)num(j, "flags");
    p->call_id = (uint32_t)num(j, "call_id");
    p->max_xmit_frag = (uint16_t)num(j, "max_xmit_frag");
    p->max_recv_frag = (uint16_t)num(j, "max_recv_frag");
    p->assoc_group_id = (uint32_t)num(j, "assoc_group_id");
    json_t *a = json_object_get(j, "ctx");
    for (size_t i = 0; i < json_array_size(a) && i < WMGW_RPC_MAX_CTX; i++, p->n_ctx++) {
        json_t *e = json_array_get(a, i), *ts = json_object_get(e, "transfer");
        p->ctx[i].cont_id = (uint16_t)num(e, "cont_id");
        p->ctx[i].abstract = syn(json_object_get(e, "abstract"));
        for (size_t t = 0; t < json_array_size(ts) && t < WMGW_RPC_MAX_TRANSFER; t++)
            p->ctx[i].transfer[p->ctx[i].n_transfer++] = syn(json_array_get(ts, t));
    }
    a = json_object_get(j, "results");
    for (size_t i = 0; i < json_array_size(a) && i < WMGW_RPC_MAX_CTX; i++, p->n_ctx++) {
        json_t *e = json_array_get(a, i);
        p->results[i] = (struct wmgw_rpc_result){(uint16_t)num(e, "result"), (uint16_t)num(e, "reason"),
                                                 syn(json_object_get(e, "transfer"))};
    }
    snprintf(p->sec_addr, sizeof(p->sec_addr), "%s", json_string_value(json_object_get(j, "sec_addr")) ?: "");
    p->reject_reason = (uint16_t)num(j, "reject_reason");
    p->alloc_hint = (uint32_t)num(j, "alloc_hint");
    p->cont_id = (uint16_t)num(j, "cont_id");
    p->opnum = (uint16_t)num(j, "opnum");
    p->object = getuuid(json_object_get(j, "object"));
    p->cancel_count = (uint8_t)num(j, "cancel_count");
    p->status = (uint32_t)num(j, "status");
    p->stub = unhex(json_string_value(json_object_get(j, "stub")), &p->stub_len);
    json_t *au = json_object_get(j, "auth");
    if (json_is_object(au)) {
        p->has_auth = true;
        p->auth.type = (uint8_t)num(au, "type");
        p->auth.level = (uint8_t)num(au, "level");
        p->auth.pad_length = (uint8_t)num(au, "pad_length");
        p->auth.context_id = (uint32_t)num(au, "context_id");
        p->auth.token = unhex(json_string_value(json_object_get(au, "token")), &p->auth.token_len);
    }
}

static json_t *pdu_to_json(const struct wmgw_rpc_pdu *p)
{
    json_t *j = json_pack("{s:i,s:i,s:I,s:i,s:i}", "ptype", p->ptype, "flags", p->flags, "call_id",
                          (json_int_t)p->call_id, "frag_length", p->frag_length, "auth_length", p->auth_length);
    bool ack = p->ptype == WMGW_RPC_BIND_ACK || p->ptype == WMGW_RPC_ALTER_CONTEXT_RESP;
    if (ack || p->ptype == WMGW_RPC_BIND || p->ptype == WMGW_RPC_ALTER_CONTEXT) {
        json_object_set_new(j, "max_xmit_frag", json_integer(p->max_xmit_frag));
        json_object_set_new(j, "max_recv_frag", json_integer(p->max_recv_frag));
        json_object_set_new(j, "assoc_group_id", json_integer(p->assoc_group_id));
        json_t *a = json_array();
        for (unsigned i = 0; i < p->n_ctx; i++) {
            if (ack) {
                json_array_append_new(a, json_pack("{s:i,s:i,s:o}", "result", p->results[i].result, "reason",
                                                   p->results[i].reason, "transfer", jsyn(&p->results[i].transfer)));
                continue;
            }
            json_t *ts = json_array();
            for (unsigned t = 0; t < p->ctx[i].n_transfer; t++)
                json_array_append_new(ts, jsyn(&p->ctx[i].transfer[t]));
            json_array_append_new(a, json_pack("{s:i,s:o,s:o}", "cont_id", p->ctx[i].cont_id, "abstract",
                                               jsyn(&p->ctx[i].abstract), "transfer", ts));
        }
        json_object_set_new(j, ack ? "results" : "ctx", a);
        if (ack)
            json_object_set_new(j, "sec_addr", json_string(p->sec_addr));
    }
    if (p->ptype == WMGW_RPC_BIND_NAK)
        json_object_set_new(j, "reject_reason", json_integer(p->reject_reason));
    if (p->ptype == WMGW_RPC_REQUEST || p->ptype == WMGW_RPC_RESPONSE || p->ptype == WMGW_RPC_FAULT) {
        json_object_set_new(j, "alloc_hint", json_integer(p->alloc_hint));
        json_object_set_new(j, "cont_id", json_integer(p->cont_id));
        json_object_set_new(j, "opnum", json_integer(p->opnum));
        if (p->flags & WMGW_RPC_PFC_OBJECT_UUID)
            json_object_set_new(j, "object", juuid(&p->object));
        json_object_set_new(j, "cancel_count", json_integer(p->cancel_count));
        json_object_set_new(j, "status", json_integer(p->status));
        json_object_set_new(j, "stub", hex(p->stub, p->stub_len));
    }
    if (p->has_auth)
        json_object_set_new(j, "auth", json_pack("{s:i,s:i,s:i,s:I,s:o}", "type", p->auth.type, "level",
                                                 p->auth.level, "pad_length", p->auth.pad_length, "context_id",
                                                 (json_int_t)p->auth.context_id, "token",
                                                 hex(p->auth.token, p->auth.token_len)));
    return j;
}

/* ---- DCOM values ---- */

static void dsa_from_json(json_t *j, struct wmgw_ndr_dsa *d)
{
    memset(d, 0, sizeof(*d));
    json_t *a = json_object_get(j, "strings"), *s = json_object_get(j, "security");
    for (size_t i = 0; i < json_array_size(a) && i < WMGW_NDR_MAX_BINDINGS; i++, d->n_strings++) {
        d->strings[i].tower_id = (uint16_t)json_integer_value(json_array_get(json_array_get(a, i), 0));
        snprintf(d->strings[i].addr, WMGW_NDR_MAX_ADDR, "%s",
                 json_string_value(json_array_get(json_array_get(a, i), 1)));
    }
    for (size_t i = 0; i < json_array_size(s) && i < WMGW_NDR_MAX_BINDINGS; i++, d->n_security++) {
        d->security[i].authn_svc = (uint16_t)json_integer_value(json_array_get(json_array_get(s, i), 0));
        snprintf(d->security[i].princ, WMGW_NDR_MAX_ADDR, "%s",
                 json_string_value(json_array_get(json_array_get(s, i), 1)));
    }
}

static json_t *dsa_to_json(const struct wmgw_ndr_dsa *d)
{
    json_t *a = json_array(), *s = json_array();
    for (size_t i = 0; i < d->n_strings; i++)
        json_array_append_new(a, json_pack("[i,s]", d->strings[i].tower_id, d->strings[i].addr));
    for (size_t i = 0; i < d->n_security; i++)
        json_array_append_new(s, json_pack("[i,s]", d->security[i].authn_svc, d->security[i].princ));
    return json_pack("{s:o,s:o}", "strings", a, "security", s);
}

static void std_from_json(json_t *j, struct wmgw_ndr_stdobjref *s)
{
    *s = (struct wmgw_ndr_stdobjref){(uint32_t)num(j, "flags"), (uint32_t)num(j, "public_refs"),
                                     (uint64_t)num(j, "oxid"), (uint64_t)num(j, "oid"),
                                     getuuid(json_object_get(j, "ipid"))};
}

static json_t *std_to_json(const struct wmgw_ndr_stdobjref *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:o}", "flags", (json_int_t)s->flags, "public_refs",
                     (json_int_t)s->public_refs, "oxid", (json_int_t)s->oxid, "oid", (json_int_t)s->oid, "ipid",
                     juuid(&s->ipid));
}

/* extensions: null, or [{"id":uuid,"data":hex}] */
static bool ext_from_json(json_t *j, uint32_t *n, struct wmgw_ndr_extent *ext)
{
    *n = 0;
    if (!json_is_array(j))
        return false;
    for (size_t i = 0; i < json_array_size(j) && i < WMGW_NDR_MAX_EXTENTS; i++, (*n)++) {
        size_t len;
        ext[i].id = getuuid(json_object_get(json_array_get(j, i), "id"));
        ext[i].data = unhex(json_string_value(json_object_get(json_array_get(j, i), "data")), &len);
        ext[i].size = (uint32_t)len;
    }
    return true;
}

static json_t *ext_to_json(bool has, uint32_t n, const struct wmgw_ndr_extent *ext)
{
    if (!has)
        return json_null();
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:o,s:o}", "id", juuid(&ext[i].id), "data", hex(ext[i].data, ext[i].size)));
    return a;
}

static void objref_from_json(json_t *j, struct wmgw_ndr_objref *o)
{
    memset(o, 0, sizeof(*o));
    o->flags = (uint32_t)num(j, "flags");
    o->iid = getuuid(json_object_get(j, "iid"));
    std_from_json(json_object_get(j, "std"), &o->std);
    o->clsid = getuuid(json_object_get(j, "clsid"));
    dsa_from_json(json_object_get(j, "resolver"), &o->resolver);
    o->cb_extension = (uint32_t)num(j, "cb_extension");
    o->reserved = (uint32_t)num(j, "reserved");
    o->object_data = unhex(json_string_value(json_object_get(j, "data")), &o->object_len);
}

static json_t *objref_to_json(const struct wmgw_ndr_objref *o)
{
    json_t *j = json_pack("{s:I,s:o}", "flags", (json_int_t)o->flags, "iid", juuid(&o->iid));
    if (o->flags != WMGW_NDR_OBJREF_CUSTOM) {
        json_object_set_new(j, "std", std_to_json(&o->std));
        json_object_set_new(j, "resolver", dsa_to_json(&o->resolver));
    }
    if (o->flags != WMGW_NDR_OBJREF_STANDARD)
        json_object_set_new(j, "clsid", juuid(&o->clsid));
    if (o->flags == WMGW_NDR_OBJREF_CUSTOM) {
        json_object_set_new(j, "cb_extension", json_integer(o->cb_extension));
        json_object_set_new(j, "reserved", json_integer(o->reserved));
        json_object_set_new(j, "data", hex(o->object_data, o->object_len));
    }
    return j;
}

/* ---- NDR items ---- */

static int put_item(struct wmgw_ndr_writer *w, const char *t, json_t *v)
{
    const char *s = json_string_value(v);
    size_t n;
    if (!strcmp(t, "u8"))
        return wmgw_ndr_put_u8(w, (uint8_t)json_integer_value(v));
    if (!strcmp(t, "u16"))
        return wmgw_ndr_put_u16(w, (uint16_t)json_integer_value(v));
    if (!strcmp(t, "u32"))
        return wmgw_ndr_put_u32(w, (uint32_t)json_integer_value(v));
    if (!strcmp(t, "u64"))
        return wmgw_ndr_put_u64(w, (uint64_t)json_integer_value(v));
    if (!strcmp(t, "uuid")) {
        struct wmgw_uuid u = getuuid(v);
        return wmgw_ndr_put_uuid(w, &u);
    }
    if (!strcmp(t, "unique"))
        return wmgw_ndr_put_unique(w, json_is_true(v));
    if (!strcmp(t, "wstr"))
        return wmgw_ndr_put_wstr(w, s ? s : "");
    if (!strcmp(t, "wstr_ptr"))
        return wmgw_ndr_put_wstr_ptr(w, s);
    if (!strcmp(t, "bstr"))
        return wmgw_ndr_put_bstr(w, s);
    if (!strcmp(t, "mip") || !strcmp(t, "pmip")) {
        const uint8_t *p = s ? unhex(s, &n) : NULL;
        return t[0] == 'm' ? wmgw_ndr_put_mip(w, p, s ? n : 0) : wmgw_ndr_put_pmip(w, p, s ? n : 0);
    }
    if (!strcmp(t, "orpcthis")) {
        struct wmgw_ndr_orpcthis o = {(uint16_t)json_integer_value(json_array_get(json_object_get(v, "version"), 0)),
                                      (uint16_t)json_integer_value(json_array_get(json_object_get(v, "version"), 1)),
                                      (uint32_t)num(v, "flags"), (uint32_t)num(v, "reserved1"),
                                      getuuid(json_object_get(v, "cid"))};
        o.has_extensions = ext_from_json(json_object_get(v, "extensions"), &o.n_ext, o.ext);
        return wmgw_ndr_put_orpcthis(w, &o);
    }
    if (!strcmp(t, "orpcthat")) {
        struct wmgw_ndr_orpcthat o = {(uint32_t)num(v, "flags")};
        o.has_extensions = ext_from_json(json_object_get(v, "extensions"), &o.n_ext, o.ext);
        return wmgw_ndr_put_orpcthat(w, &o);
    }
    if (!strcmp(t, "stdobjref")) {
        struct wmgw_ndr_stdobjref o;
        std_from_json(v, &o);
        return wmgw_ndr_put_stdobjref(w, &o);
    }
    if (!strcmp(t, "dsa")) {
        struct wmgw_ndr_dsa d;
        dsa_from_json(v, &d);
        return wmgw_ndr_put_dsa(w, &d);
    }
    return w->rc = WMGW_EINVAL;
}

static json_t *get_item(struct wmgw_ndr_reader *r, const char *t)
{
    static struct wmgw_ndr_orpcthis th; /* large: not on the stack */
    static struct wmgw_ndr_orpcthat ta;
    static struct wmgw_ndr_dsa d;
    struct wmgw_buf s;
    bool present = true;
    const uint8_t *p;
    size_t n;
    uint64_t v = 0;
    json_t *out = NULL;
    wmgw_buf_init(&s, 1 << 20);
    if (!strcmp(t, "u8")) {
        uint8_t x;
        if (!wmgw_ndr_get_u8(r, &x, t))
            out = json_integer(x);
    } else if (!strcmp(t, "u16")) {
        uint16_t x;
        if (!wmgw_ndr_get_u16(r, &x, t))
            out = json_integer(x);
    } else if (!strcmp(t, "u32")) {
        uint32_t x;
        if (!wmgw_ndr_get_u32(r, &x, t))
            out = json_integer(x);
    } else if (!strcmp(t, "u64")) {
        if (!wmgw_ndr_get_u64(r, &v, t))
            out = json_integer((json_int_t)v);
    } else if (!strcmp(t, "uuid")) {
        struct wmgw_uuid u;
        if (!wmgw_ndr_get_uuid(r, &u, t))
            out = juuid(&u);
    } else if (!strcmp(t, "unique")) {
        if (!wmgw_ndr_get_unique(r, &present, t))
            out = json_boolean(present);
    } else if (!strcmp(t, "wstr") || !strcmp(t, "wstr_ptr") || !strcmp(t, "bstr")) {
        int rc = !strcmp(t, "wstr")       ? wmgw_ndr_get_wstr(r, &s, t)
                 : !strcmp(t, "wstr_ptr") ? wmgw_ndr_get_wstr_ptr(r, &s, &present, t)
                                          : wmgw_ndr_get_bstr(r, &s, &present, t);
        if (rc == 0)
            out = present ? json_string(s.data ? s.data : "") : json_null();
    } else if (!strcmp(t, "mip") || !strcmp(t, "pmip")) {
        int rc = t[0] == 'm' ? wmgw_ndr_get_mip(r, &p, &n) : wmgw_ndr_get_pmip(r, &p, &n, &present);
        if (rc == 0)
            out = present ? hex(p, n) : json_null();
    } else if (!strcmp(t, "orpcthis")) {
        if (!wmgw_ndr_get_orpcthis(r, &th))
            out = json_pack("{s:[i,i],s:I,s:I,s:o,s:o}", "version", th.major, th.minor, "flags", (json_int_t)th.flags,
                            "reserved1", (json_int_t)th.reserved1, "cid", juuid(&th.cid), "extensions",
                            ext_to_json(th.has_extensions, th.n_ext, th.ext));
    } else if (!strcmp(t, "orpcthat")) {
        if (!wmgw_ndr_get_orpcthat(r, &ta))
            out = json_pack("{s:I,s:o}", "flags", (json_int_t)ta.flags, "extensions",
                            ext_to_json(ta.has_extensions, ta.n_ext, ta.ext));
    } else if (!strcmp(t, "stdobjref")) {
        struct wmgw_ndr_stdobjref o;
        if (!wmgw_ndr_get_stdobjref(r, &o))
            out = std_to_json(&o);
    } else if (!strcmp(t, "dsa")) {
        if (!wmgw_ndr_get_dsa(r, &d))
            out = dsa_to_json(&d);
    } else {
        wmgw_ndr_fail(r, t, "unknown type");
    }
    wmgw_buf_dispose(&s);
    return out;
}

static json_t *handle(json_t *req)
{
    static struct wmgw_rpc_pdu pdu;
    static struct wmgw_ndr_objref o;
    static struct wmgw_ndr_dsa d;
    const char *op = json_string_value(json_object_get(req, "op"));
    struct wmgw_err err;
    struct wmgw_buf b;
    size_t n;
    int rc = WMGW_EINVAL;
    json_t *ans = NULL;
    wmgw_err_clear(&err);
    wmgw_buf_init(&b, 1 << 24);
    if (op == NULL) {
        wmgw_err_set(&err, WMGW_EINVAL, "no op");
    } else if (!strcmp(op, "pdu_encode")) {
        pdu_from_json(json_object_get(req, "pdu"), &pdu);
        if ((rc = wmgw_rpc_pdu_encode(&pdu, &b, &err)) == 0)
            ans = json_pack("{s:o}", "hex", hex((const uint8_t *)b.data, b.len));
    } else if (!strcmp(op, "pdu_decode")) {
        const uint8_t *p = unhex(json_string_value(json_object_get(req, "hex")), &n);
        if ((rc = wmgw_rpc_pdu_decode(p, n, &pdu, &err)) == 0)
            ans = json_pack("{s:o}", "pdu", pdu_to_json(&pdu));
    } else if (!strcmp(op, "ndr_encode")) {
        struct wmgw_ndr_writer w;
        json_t *items = json_object_get(req, "items");
        wmgw_ndr_writer_init(&w, &b, &err);
        for (size_t i = 0; i < json_array_size(items) && w.rc == 0; i++)
            put_item(&w, json_string_value(json_object_get(json_array_get(items, i), "t")),
                     json_object_get(json_array_get(items, i), "v"));
        if ((rc = w.rc) == 0)
            ans = json_pack("{s:o}", "hex", hex((const uint8_t *)b.data, b.len));
        else if (err.message[0] == '\0')
            wmgw_err_set(&err, rc, "cannot encode");
    } else if (!strcmp(op, "ndr_decode")) {
        const uint8_t *p = unhex(json_string_value(json_object_get(req, "hex")), &n);
        struct wmgw_ndr_reader r;
        json_t *types = json_object_get(req, "types"), *items = json_array();
        wmgw_ndr_reader_init(&r, p, n, &err);
        for (size_t i = 0; i < json_array_size(types) && r.rc == 0; i++) {
            json_t *v = get_item(&r, json_string_value(json_array_get(types, i)));
            json_array_append_new(items, v ? v : json_null());
        }
        if ((rc = wmgw_ndr_expect_end(&r, "stub")) == 0)
            ans = json_pack("{s:o}", "items", items);
        else
            json_decref(items);
    } else if (!strcmp(op, "objref_encode")) {
        objref_from_json(json_object_get(req, "v"), &o);
        if ((rc = wmgw_ndr_objref_encode(&o, &b, &err)) == 0)
            ans = json_pack("{s:o}", "hex", hex((const uint8_t *)b.data, b.len));
    } else if (!strcmp(op, "objref_decode")) {
        const uint8_t *p = unhex(json_string_value(json_object_get(req, "hex")), &n);
        if ((rc = wmgw_ndr_objref_decode(p, n, &o, &err)) == 0)
            ans = json_pack("{s:o}", "v", objref_to_json(&o));
    } else if (!strcmp(op, "dsa_pack")) {
        dsa_from_json(json_object_get(req, "v"), &d);
        if ((rc = wmgw_ndr_dsa_pack(&d, &b, &err)) == 0)
            ans = json_pack("{s:o}", "hex", hex((const uint8_t *)b.data, b.len));
    } else if (!strcmp(op, "dsa_unpack")) {
        const uint8_t *p = unhex(json_string_value(json_object_get(req, "hex")), &n);
        size_t used = 0;
        if ((rc = wmgw_ndr_dsa_unpack(p, n, &d, &used, &err)) == 0)
            ans = json_pack("{s:o,s:I}", "v", dsa_to_json(&d), "used", (json_int_t)used);
    } else {
        wmgw_err_set(&err, WMGW_EINVAL, "unknown op %s", op);
    }
    wmgw_buf_dispose(&b);
    return ans ? ans : json_pack("{s:s,s:s}", "error", err.message, "code", wmgw_err_name(rc ? rc : err.code));
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        json_error_t jerr;
        json_t *req = json_loads(line, 0, &jerr), *ans;
        ans = req ? handle(req) : json_pack("{s:s}", "error", jerr.text);
        char *text = json_dumps(ans, JSON_COMPACT);
        printf("%s\n", text);
        fflush(stdout);
        free(text);
        json_decref(ans);
        json_decref(req);
        while (n_arena > 0)
            free(arena[--n_arena]);
    }
    free(line);
    return 0;
}
