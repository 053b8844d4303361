/*
 * rpc_pdu.c: connection-oriented DCE/RPC PDU encoding and decoding.  See
 * rpc_pdu.h.  Layouts: C706 12.6.4 (bind, bind_ack, bind_nak,
 * alter_context(_resp), request, response, fault, shutdown, co_cancel,
 * orphaned), MS-RPCE 2.2.2.10 (rpc_auth_3), 2.2.2.11 (sec_trailer).
 */
#include "translators/wmi/rpc_pdu.h"

#include <string.h>

const struct wmgw_rpc_syntax wmgw_rpc_ndr20 = {
    {{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}}, 2, 0};

const char *wmgw_rpc_ptype_name(uint8_t ptype)
{
    static const char *const names[] = {
        [WMGW_RPC_REQUEST] = "request",        [WMGW_RPC_RESPONSE] = "response",
        [WMGW_RPC_FAULT] = "fault",            [WMGW_RPC_BIND] = "bind",
        [WMGW_RPC_BIND_ACK] = "bind_ack",      [WMGW_RPC_BIND_NAK] = "bind_nak",
        [WMGW_RPC_ALTER_CONTEXT] = "alter_context", [WMGW_RPC_ALTER_CONTEXT_RESP] = "alter_context_resp",
        [WMGW_RPC_AUTH3] = "rpc_auth3",        [WMGW_RPC_SHUTDOWN] = "shutdown",
        [WMGW_RPC_CO_CANCEL] = "co_cancel",    [WMGW_RPC_ORPHANED] = "orphaned",
    };
    if (ptype < sizeof(names) / sizeof(names[0]) && names[ptype] != NULL)
        return names[ptype];
    return "unknown PDU type";
}

size_t wmgw_rpc_pdu_header_len(uint8_t ptype, uint8_t flags)
{
    switch (ptype) {
    case WMGW_RPC_REQUEST:
        return WMGW_RPC_REQUEST_HDR_LEN + ((flags & WMGW_RPC_PFC_OBJECT_UUID) ? 16 : 0);
    case WMGW_RPC_RESPONSE:
        return WMGW_RPC_RESPONSE_HDR_LEN;
    case WMGW_RPC_FAULT:
        return WMGW_RPC_FAULT_HDR_LEN;
    default:
        return WMGW_RPC_HDR_LEN;
    }
}

size_t wmgw_rpc_auth_pad(size_t stub_len)
{
    return (WMGW_RPC_AUTH_PAD_ALIGN - stub_len % WMGW_RPC_AUTH_PAD_ALIGN) % WMGW_RPC_AUTH_PAD_ALIGN;
}

/* ---- encoding ---- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static int add16(struct wmgw_buf *b, uint16_t v)
{
    uint8_t t[2];
    put16(t, v);
    return wmgw_buf_add(b, t, 2);
}

static int add32(struct wmgw_buf *b, uint32_t v)
{
    uint8_t t[4];
    put32(t, v);
    return wmgw_buf_add(b, t, 4);
}

static int add_zeros(struct wmgw_buf *b, size_t n)
{
    static const uint8_t z[64];
    int rc = 0;
    while (rc == 0 && n > 0) {
        size_t k = n < sizeof(z) ? n : sizeof(z);
        rc = wmgw_buf_add(b, z, k);
        n -= k;
    }
    return rc;
}

static int add_syntax(struct wmgw_buf *b, const struct wmgw_rpc_syntax *s)
{
    int rc = wmgw_buf_add(b, s->uuid.b, 16);
    if (rc == 0)
        rc = add16(b, s->major);
    if (rc == 0)
        rc = add16(b, s->minor);
    return rc;
}

/* The body of bind / alter_context (b) or of their acks (ack). */
static int add_bind_body(struct wmgw_buf *b, const struct wmgw_rpc_pdu *p, size_t start, struct wmgw_err *err)
{
    bool ack = p->ptype == WMGW_RPC_BIND_ACK || p->ptype == WMGW_RPC_ALTER_CONTEXT_RESP;
    if (p->n_ctx > WMGW_RPC_MAX_CTX)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: %u context elements (at most %d)", wmgw_rpc_ptype_name(p->ptype),
                            p->n_ctx, WMGW_RPC_MAX_CTX);
    int rc = add16(b, p->max_xmit_frag);
    rc = rc ? rc : add16(b, p->max_recv_frag);
    rc = rc ? rc : add32(b, p->assoc_group_id);
    if (rc == 0 && ack) {
        /* port_any_t: length counts the NUL; an empty address has length 0. */
        size_t alen = strnlen(p->sec_addr, WMGW_RPC_MAX_SEC_ADDR - 1);
        rc = add16(b, (uint16_t)(alen ? alen + 1 : 0));
        if (rc == 0 && alen)
            rc = wmgw_buf_add(b, p->sec_addr, alen + 1);
        if (rc == 0)
            rc = add_zeros(b, (4 - (b->len - start) % 4) % 4);
    }
    uint8_t list[4] = {p->n_ctx, 0, 0, 0};
    rc = rc ? rc : wmgw_buf_add(b, list, 4);
    for (unsigned i = 0; rc == 0 && i < p->n_ctx; i++) {
        if (ack) {
            rc = add16(b, p->results[i].result);
            rc = rc ? rc : add16(b, p->results[i].reason);
            rc = rc ? rc : add_syntax(b, &p->results[i].transfer);
            continue;
        }
        const struct wmgw_rpc_ctx_elem *c = &p->ctx[i];
        if (c->n_transfer == 0 || c->n_transfer > WMGW_RPC_MAX_TRANSFER)
            return wmgw_err_set(err, WMGW_EINVAL, "%s: context %u has %u transfer syntaxes",
                                wmgw_rpc_ptype_name(p->ptype), c->cont_id, c->n_transfer);
        uint8_t hdr[4];
        put16(hdr, c->cont_id);
        hdr[2] = c->n_transfer;
        hdr[3] = 0;
        rc = wmgw_buf_add(b, hdr, 4);
        rc = rc ? rc : add_syntax(b, &c->abstract);
        for (unsigned t = 0; rc == 0 && t < c->n_transfer; t++)
            rc = add_syntax(b, &c->transfer[t]);
    }
    return rc;
}

int wmgw_rpc_pdu_encode(const struct wmgw_rpc_pdu *p, struct wmgw_buf *out, struct wmgw_err *err)
{
    size_t start = out->len;
    uint8_t flags = p->flags;
    if (p->ptype == WMGW_RPC_REQUEST && !wmgw_uuid_is_nil(&p->object))
        flags |= WMGW_RPC_PFC_OBJECT_UUID;
    uint8_t hdr[WMGW_RPC_HDR_LEN] = {5, 0, p->ptype, flags, 0x10, 0, 0, 0};
    put32(hdr + 12, p->call_id);
    int rc = wmgw_buf_add(out, hdr, sizeof(hdr));

    switch (p->ptype) {
    case WMGW_RPC_BIND:
    case WMGW_RPC_ALTER_CONTEXT:
    case WMGW_RPC_BIND_ACK:
    case WMGW_RPC_ALTER_CONTEXT_RESP:
        rc = rc ? rc : add_bind_body(out, p, start, err);
        break;
    case WMGW_RPC_BIND_NAK: {
        /* reason, then p_rt_versions_supported_t: one version, 5.0 */
        uint8_t v[5] = {0, 0, 1, 5, 0};
        put16(v, p->reject_reason);
        rc = rc ? rc : wmgw_buf_add(out, v, sizeof(v));
        break;
    }
    case WMGW_RPC_AUTH3:
        rc = rc ? rc : add_zeros(out, 4); /* MS-RPCE 2.2.2.10 pad */
        break;
    case WMGW_RPC_REQUEST:
    case WMGW_RPC_RESPONSE:
    case WMGW_RPC_FAULT: {
        uint8_t h[24] = {0};
        size_t n = 8;
        put32(h, p->alloc_hint);
        put16(h + 4, p->cont_id);
        if (p->ptype == WMGW_RPC_REQUEST) {
            put16(h + 6, p->opnum);
            if (flags & WMGW_RPC_PFC_OBJECT_UUID) {
                memcpy(h + 8, p->object.b, 16);
                n = 24;
            }
        } else {
            h[6] = p->cancel_count;
            if (p->ptype == WMGW_RPC_FAULT) {
                h[7] = p->fault_flags;
                put32(h + 8, p->status);
                n = 16; /* + reserved u32 */
            }
        }
        rc = rc ? rc : wmgw_buf_add(out, h, n);
        if (rc == 0 && p->stub_len > 0)
            rc = wmgw_buf_add(out, p->stub, p->stub_len);
        break;
    }
    case WMGW_RPC_SHUTDOWN:
    case WMGW_RPC_CO_CANCEL:
    case WMGW_RPC_ORPHANED:
        break;
    default:
        rc = rc ? rc : wmgw_err_set(err, WMGW_EINVAL, "PDU type %u cannot be encoded", p->ptype);
    }

    if (rc == 0 && p->has_auth) {
        uint8_t t[WMGW_RPC_SEC_TRAILER_LEN] = {p->auth.type, p->auth.level, p->auth.pad_length, 0};
        put32(t + 4, p->auth.context_id);
        if (p->auth.token_len == 0 || p->auth.token_len > 0xFFFF)
            rc = wmgw_err_set(err, WMGW_EINVAL, "auth_length %zu out of range", p->auth.token_len);
        rc = rc ? rc : add_zeros(out, p->auth.pad_length);
        rc = rc ? rc : wmgw_buf_add(out, t, sizeof(t));
        if (rc == 0)
            rc = p->auth.token ? wmgw_buf_add(out, p->auth.token, p->auth.token_len)
                               : add_zeros(out, p->auth.token_len);
    }
    if (rc == 0 && out->len - start > 0xFFFF)
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s of %zu bytes exceeds frag_length", wmgw_rpc_ptype_name(p->ptype),
                          out->len - start);
    if (rc != 0) {
        if (rc == WMGW_ETOOBIG || rc == WMGW_ENOMEM) /* from the buffer, which names nothing */
            wmgw_err_set(err, rc, "%s: output buffer limit or memory exhausted", wmgw_rpc_ptype_name(p->ptype));
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        return rc;
    }
    uint8_t *h = (uint8_t *)out->data + start;
    put16(h + 8, (uint16_t)(out->len - start));
    put16(h + 10, (uint16_t)(p->has_auth ? p->auth.token_len : 0));
    return 0;
}

/* ---- decoding ---- */

struct rd {
    const uint8_t *p;
    size_t off, end; /* reading [off, end) */
    const char *what;
    struct wmgw_err *err;
};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static int need(struct rd *r, size_t n, const char *field)
{
    if (r->end - r->off < n)
        return wmgw_err_set_at(r->err, WMGW_EPROTO, (long)r->off, "%s: %s truncated (%zu of %zu bytes)", r->what,
                               field, r->end - r->off, n);
    return 0;
}

static int rd_syntax(struct rd *r, struct wmgw_rpc_syntax *s, const char *field)
{
    int rc = need(r, 20, field);
    if (rc == 0) {
        memcpy(s->uuid.b, r->p + r->off, 16);
        s->major = get16(r->p + r->off + 16);
        s->minor = get16(r->p + r->off + 18);
        r->off += 20;
    }
    return rc;
}

static int rd_bind_body(struct rd *r, struct wmgw_rpc_pdu *p)
{
    bool ack = p->ptype == WMGW_RPC_BIND_ACK || p->ptype == WMGW_RPC_ALTER_CONTEXT_RESP;
    int rc = need(r, 8, "max_xmit_frag/max_recv_frag/assoc_group_id");
    if (rc)
        return rc;
    p->max_xmit_frag = get16(r->p + r->off);
    p->max_recv_frag = get16(r->p + r->off + 2);
    p->assoc_group_id = get32(r->p + r->off + 4);
    r->off += 8;
    if (ack) {
        if ((rc = need(r, 2, "sec_addr length")) != 0)
            return rc;
        size_t alen = get16(r->p + r->off);
        r->off += 2;
        if ((rc = need(r, alen, "sec_addr")) != 0)
            return rc;
        if (alen > 0) {
            const uint8_t *s = r->p + r->off;
            if (alen > WMGW_RPC_MAX_SEC_ADDR || s[alen - 1] != 0 || memchr(s, 0, alen) != s + alen - 1)
                return wmgw_err_set_at(r->err, WMGW_EPROTO, (long)r->off,
                                       "%s: sec_addr of %zu bytes is not one NUL-terminated string of at most %d",
                                       r->what, alen, WMGW_RPC_MAX_SEC_ADDR);
            memcpy(p->sec_addr, s, alen);
        }
        r->off += alen;
        size_t pad = (4 - r->off % 4) % 4;
        if ((rc = need(r, pad, "pad before p_result_list")) != 0)
            return rc;
        r->off += pad;
    }
    if ((rc = need(r, 4, "n_context_elem")) != 0)
        return rc;
    p->n_ctx = r->p[r->off];
    r->off += 4;
    if (p->n_ctx > WMGW_RPC_MAX_CTX)
        return wmgw_err_set_at(r->err, WMGW_EPROTO, (long)r->off - 4, "%s: %s %u exceeds %d", r->what,
                               ack ? "n_results" : "n_context_elem", p->n_ctx, WMGW_RPC_MAX_CTX);
    for (unsigned i = 0; i < p->n_ctx; i++) {
        if (ack) {
            struct wmgw_rpc_result *res = &p->results[i];
            if ((rc = need(r, 4, "p_result_t")) != 0)
                return rc;
            res->result = get16(r->p + r->off);
            res->reason = get16(r->p + r->off + 2);
            r->off += 4;
            if ((rc = rd_syntax(r, &res->transfer, "transfer_syntax")) != 0)
                return rc;
            continue;
        }
        struct wmgw_rpc_ctx_elem *c = &p->ctx[i];
        if ((rc = need(r, 4, "p_cont_elem_t")) != 0)
            return rc;
        c->cont_id = get16(r->p + r->off);
        c->n_transfer = r->p[r->off + 2];
        r->off += 4;
        if (c->n_transfer == 0 || c->n_transfer > WMGW_RPC_MAX_TRANSFER)
            return wmgw_err_set_at(r->err, WMGW_EPROTO, (long)r->off - 2, "%s: n_transfer_syn %u not in 1..%d",
                                   r->what, c->n_transfer, WMGW_RPC_MAX_TRANSFER);
        if ((rc = rd_syntax(r, &c->abstract, "abstract_syntax")) != 0)
            return rc;
        for (unsigned t = 0; t < c->n_transfer; t++)
            if ((rc = rd_syntax(r, &c->transfer[t], "transfer_syntaxes")) != 0)
                return rc;
    }
    return 0; /* bytes left before the sec_trailer are padding */
}

int wmgw_rpc_pdu_peek(const uint8_t *data, size_t len, uint16_t *frag_length, struct wmgw_err *err)
{
    if (len < WMGW_RPC_HDR_LEN)
        return 1;
    if (data[0] != 5 || data[1] > 1)
        return wmgw_err_set_at(err, WMGW_EPROTO, 0, "rpc_vers %u.%u is not 5.0", data[0], data[1]);
    if ((data[4] & 0xF0) != 0x10 || (data[4] & 0x0F) != 0 || data[5] != 0)
        return wmgw_err_set_at(err, WMGW_EPROTO, 4,
                               "packed_drep %02x %02x: only little-endian ASCII IEEE is supported", data[4], data[5]);
    uint16_t flen = get16(data + 8), alen = get16(data + 10);
    if (flen < WMGW_RPC_HDR_LEN)
        return wmgw_err_set_at(err, WMGW_EPROTO, 8, "frag_length %u is shorter than the header", flen);
    if (alen > 0 && (size_t)alen + WMGW_RPC_SEC_TRAILER_LEN > (size_t)flen - WMGW_RPC_HDR_LEN)
        return wmgw_err_set_at(err, WMGW_EPROTO, 10, "auth_length %u does not fit frag_length %u", alen, flen);
    *frag_length = flen;
    return 0;
}

int wmgw_rpc_pdu_decode(const uint8_t *data, size_t len, struct wmgw_rpc_pdu *p, struct wmgw_err *err)
{
    memset(p, 0, sizeof(*p));
    uint16_t flen;
    int rc = wmgw_rpc_pdu_peek(data, len, &flen, err);
    if (rc == 1 || (rc == 0 && flen > len))
        return wmgw_err_set_at(err, WMGW_EPROTO, (long)len, "PDU truncated: %zu bytes of %u", len,
                               rc == 0 ? flen : WMGW_RPC_HDR_LEN);
    if (rc != 0)
        return rc;
    p->ptype = data[2];
    p->flags = data[3];
    memcpy(p->drep, data + 4, 4);
    p->frag_length = flen;
    p->auth_length = get16(data + 10);
    p->call_id = get32(data + 12);

    struct rd r = {data, WMGW_RPC_HDR_LEN, flen, wmgw_rpc_ptype_name(p->ptype), err};
    if (p->auth_length > 0) {
        /* the sec_trailer sits at frag_length - auth_length - 8 (MS-RPCE 2.2.2.11) */
        size_t t = (size_t)flen - p->auth_length - WMGW_RPC_SEC_TRAILER_LEN;
        p->has_auth = true;
        p->auth.type = data[t];
        p->auth.level = data[t + 1];
        p->auth.pad_length = data[t + 2];
        p->auth.reserved = data[t + 3];
        p->auth.context_id = get32(data + t + 4);
        p->auth.token = data + t + WMGW_RPC_SEC_TRAILER_LEN;
        p->auth.token_len = p->auth_length;
        r.end = t;
    }

    switch (p->ptype) {
    case WMGW_RPC_BIND:
    case WMGW_RPC_ALTER_CONTEXT:
    case WMGW_RPC_BIND_ACK:
    case WMGW_RPC_ALTER_CONTEXT_RESP:
        rc = rd_bind_body(&r, p);
        break;
    case WMGW_RPC_BIND_NAK:
        if ((rc = need(&r, 2, "provider_reject_reason")) == 0)
            p->reject_reason = get16(data + r.off); /* versions and signature: ignored */
        break;
    case WMGW_RPC_REQUEST:
    case WMGW_RPC_RESPONSE:
    case WMGW_RPC_FAULT: {
        size_t hlen = wmgw_rpc_pdu_header_len(p->ptype, p->flags);
        if ((rc = need(&r, hlen - WMGW_RPC_HDR_LEN, "header")) != 0)
            break;
        const uint8_t *h = data + WMGW_RPC_HDR_LEN;
        p->alloc_hint = get32(h);
        p->cont_id = get16(h + 4);
        if (p->ptype == WMGW_RPC_REQUEST) {
            p->opnum = get16(h + 6);
            if (p->flags & WMGW_RPC_PFC_OBJECT_UUID)
                memcpy(p->object.b, h + 8, 16);
        } else {
            p->cancel_count = h[6];
            if (p->ptype == WMGW_RPC_FAULT) {
                p->fault_flags = h[7];
                p->status = get32(h + 8);
            }
        }
        p->body_off = hlen;
        p->body_len = r.end - hlen;
        if (p->has_auth && p->auth.pad_length > p->body_len) {
            rc = wmgw_err_set_at(err, WMGW_EPROTO, (long)r.end + 2, "%s: auth_pad_length %u exceeds the body (%zu)",
                                 r.what, p->auth.pad_length, p->body_len);
            break;
        }
        p->stub = data + hlen;
        p->stub_len = p->body_len - (p->has_auth ? p->auth.pad_length : 0);
        break;
    }
    case WMGW_RPC_AUTH3:
        if (!p->has_auth)
            rc = wmgw_err_set_at(err, WMGW_EPROTO, 10, "rpc_auth3: auth_length is 0");
        break; /* the pad before the sec_trailer is ignored */
    case WMGW_RPC_SHUTDOWN:
    case WMGW_RPC_CO_CANCEL:
    case WMGW_RPC_ORPHANED:
        break;
    default:
        rc = wmgw_err_set_at(err, WMGW_EPROTO, 2, "PTYPE %u is not a connection-oriented PDU", p->ptype);
    }
    if (rc == 0 && p->body_off == 0) {
        p->body_off = WMGW_RPC_HDR_LEN;
        p->body_len = r.end - WMGW_RPC_HDR_LEN;
    }
    return rc;
}
