/*
 * rpc_conn.c: a DCE/RPC connection: byte buffers, fragmentation and
 * reassembly, per-PDU protection through the security provider, and the
 * client side (bind, alter_context, security legs, calls).  The server
 * side is in rpc_server.c.  See rpc_conn.h.
 *
 * Rules followed (MS-RPCE): fragments of a call carry the same call_id,
 * cont_id, opnum and security context, each with its own sec_trailer and
 * alloc_hint = stub bytes still to come (2.2.2.6, 2.2.2.11); the
 * sec_trailer is 16-aligned from the body start, so non-last fragments
 * carry multiples of 16 stub bytes; the client's last NTLM leg goes in
 * rpc_auth3 with the bind's call_id (2.2.2.10); a pure interface change on
 * an authenticated connection is an alter_context without sec_trailer (as
 * Windows and Samba accept).  Faults are accepted unsigned.
 */
#include "translators/wmi/rpc_conn_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_MAX (256u << 10)

int wmgw_rpc_conn_new(const struct wmgw_rpc_conn_config *cfg, struct wmgw_rpc_conn **out, struct wmgw_err *err)
{
    *out = NULL;
    struct wmgw_rpc_conn_config k = *cfg;
    k.max_xmit_frag = k.max_xmit_frag ? k.max_xmit_frag : WMGW_RPC_DEFAULT_FRAG;
    k.max_recv_frag = k.max_recv_frag ? k.max_recv_frag : WMGW_RPC_DEFAULT_FRAG;
    k.max_stub = k.max_stub ? k.max_stub : WMGW_RPC_DEFAULT_MAX_STUB;
    k.max_sec_contexts = k.max_sec_contexts ? k.max_sec_contexts : 16;
    if (k.max_recv_frag < WMGW_RPC_MIN_FRAG || k.max_xmit_frag < 64)
        return wmgw_err_set(err, WMGW_EINVAL, "max_recv_frag %u (>= %d) or max_xmit_frag %u (>= 64) too small",
                            k.max_recv_frag, WMGW_RPC_MIN_FRAG, k.max_xmit_frag);
    if (k.sec != NULL && !k.server &&
        (k.auth_level < WMGW_RPC_AUTHN_LEVEL_CONNECT || k.auth_level > WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY))
        return wmgw_err_set(err, WMGW_EINVAL, "auth_level %u is not CONNECT..PKT_PRIVACY", k.auth_level);
    if (k.max_stub > (64u << 20))
        return wmgw_err_set(err, WMGW_EINVAL, "max_stub %zu exceeds 64 MiB", k.max_stub);
    struct wmgw_rpc_conn *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->slots = calloc(k.max_sec_contexts, sizeof(*c->slots))) == NULL) {
        free(c);
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory for an RPC connection");
    }
    c->cfg = k;
    c->max_slots = k.max_sec_contexts;
    wmgw_buf_init(&c->in, IN_MAX);
    wmgw_buf_init(&c->out, 16 * k.max_stub + (1u << 20)); /* every fragment of a max_stub call fits */
    wmgw_buf_init(&c->stub, k.max_stub);
    c->xmit = k.max_xmit_frag;
    c->assoc_group = k.assoc_group_id ? k.assoc_group_id : (k.server ? 0x00010001u : 0);
    c->next_call_id = 1;
    c->rx.slot = -1;
    *out = c;
    return 0;
}

void wmgw_rpc_conn_free(struct wmgw_rpc_conn *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i].ctx)
            c->cfg.sec->stop(c->slots[i].ctx);
    free(c->slots);
    wmgw_buf_dispose(&c->in);
    wmgw_buf_dispose(&c->out);
    wmgw_buf_dispose(&c->stub);
    free(c);
}

uint16_t wmgw_rpc_conn_max_xmit(const struct wmgw_rpc_conn *c)
{
    return c->xmit;
}

uint32_t wmgw_rpc_conn_assoc_group(const struct wmgw_rpc_conn *c)
{
    return c->assoc_group;
}

int wmgw__rpc_fail(struct wmgw_rpc_conn *c, struct wmgw_err *err, const char *fmt, ...)
{
    c->dead = true;
    if (err != NULL) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        wmgw_err_set(err, WMGW_EPROTO, "DCE/RPC: %s", msg);
    }
    return WMGW_EPROTO;
}

/* ---- byte buffers ---- */

int wmgw_rpc_conn_feed(struct wmgw_rpc_conn *c, const uint8_t *data, size_t len, struct wmgw_err *err)
{
    if (c->dead)
        return wmgw_err_set(err, WMGW_ECONN, "DCE/RPC connection already failed");
    if (c->in_off > 0 && c->in.data != NULL) { /* drop what was consumed */
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
    int rc = wmgw_buf_add(&c->in, data, len);
    if (rc != 0)
        return wmgw_err_set(err, rc, "DCE/RPC: %zu bytes received and not polled", c->in.len + len);
    return 0;
}

void wmgw_rpc_conn_output(const struct wmgw_rpc_conn *c, const uint8_t **data, size_t *len)
{
    *data = c->out.data ? (const uint8_t *)c->out.data + c->out_off : (const uint8_t *)"";
    *len = c->out.len - c->out_off;
}

void wmgw_rpc_conn_consume(struct wmgw_rpc_conn *c, size_t n)
{
    c->out_off += n < c->out.len - c->out_off ? n : c->out.len - c->out_off;
    if (c->out_off == c->out.len) {
        wmgw_buf_reset(&c->out);
        c->out_off = 0;
    }
}

/* Drops what was written, so that a slow reader does not make the buffer grow. */
static void compact_out(struct wmgw_rpc_conn *c)
{
    if (c->out_off > 0) {
        memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
        c->out.len -= c->out_off;
        c->out.data[c->out.len] = '\0';
        c->out_off = 0;
    }
}

int wmgw__rpc_queue(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err)
{
    compact_out(c);
    int rc = wmgw_rpc_pdu_encode(p, &c->out, err);
    if (rc != 0)
        c->dead = true; /* a half-queued exchange cannot be taken back */
    return rc;
}

/* ---- protection ---- */

int wmgw__rpc_send_call(struct wmgw_rpc_conn *c, uint8_t ptype, uint32_t call_id, uint16_t cont_id, uint16_t opnum,
                        const struct wmgw_uuid *object, const uint8_t *stub, size_t len, int slot,
                        struct wmgw_err *err)
{
    const struct wmgw_rpc_sec_ops *ops = c->cfg.sec;
    struct wmgw__rpc_sec_slot *sl = slot >= 0 ? &c->slots[slot] : NULL;
    bool protect = sl != NULL && sl->level >= WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
    uint8_t flags0 = object && !wmgw_uuid_is_nil(object) ? WMGW_RPC_PFC_OBJECT_UUID : 0;
    size_t hdr = wmgw_rpc_pdu_header_len(ptype, flags0);
    size_t sig = protect ? ops->sig_size(sl->ctx, sl->level) : 0;
    size_t over = hdr + (protect ? WMGW_RPC_SEC_TRAILER_LEN + sig : 0);
    if (sig > 0xFFFF || c->xmit < over + 16)
        return wmgw_err_set(err, WMGW_EINVAL, "max_xmit_frag %u leaves no room for stub data", c->xmit);
    size_t avail = c->xmit - over, off = 0;
    bool first = true, last;
    compact_out(c); /* fragment offsets below stay valid */
    do {
        size_t chunk = len - off, pad = protect ? wmgw_rpc_auth_pad(chunk) : 0;
        last = chunk + pad <= avail;
        if (!last) {
            chunk = protect ? avail & ~(size_t)15 : avail & ~(size_t)7;
            pad = 0;
        }
        struct wmgw_rpc_pdu p;
        memset(&p, 0, sizeof(p));
        p.ptype = ptype;
        p.flags = (uint8_t)(flags0 | (first ? WMGW_RPC_PFC_FIRST_FRAG : 0) | (last ? WMGW_RPC_PFC_LAST_FRAG : 0));
        p.call_id = call_id;
        p.alloc_hint = (uint32_t)(len - off);
        p.cont_id = cont_id;
        p.opnum = opnum;
        if (flags0)
            p.object = *object;
        p.stub = stub + off;
        p.stub_len = chunk;
        if (protect) {
            p.has_auth = true;
            p.auth = (struct wmgw_rpc_auth){ops->auth_type, sl->level, (uint8_t)pad, 0, sl->context_id, NULL, sig};
        }
        size_t start = c->out.len;
        int rc = wmgw__rpc_queue(c, &p, err);
        if (rc != 0)
            return rc;
        if (protect) {
            struct wmgw_err e2;
            wmgw_err_clear(&e2);
            uint8_t *pdu = (uint8_t *)c->out.data + start;
            size_t flen = c->out.len - start;
            struct wmgw_rpc_sec_pdu m = {pdu, flen - sig, hdr, chunk + pad, c->header_sign, sl->level};
            rc = sl->level == WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY ? ops->seal(sl->ctx, &m, pdu + flen - sig, sig, &e2)
                                                               : ops->sign(sl->ctx, &m, pdu + flen - sig, sig, &e2);
            if (rc != 0) {
                c->dead = true;
                return wmgw_err_set(err, rc < 0 ? rc : WMGW_EINTERNAL, "DCE/RPC: %s cannot protect a PDU: %s",
                                    ops->name, e2.message);
            }
        }
        off += chunk;
        first = false;
    } while (!last);
    return 0;
}

int wmgw__rpc_check(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, int slot, struct wmgw_err *err)
{
    const struct wmgw_rpc_sec_ops *ops = c->cfg.sec;
    struct wmgw__rpc_sec_slot *sl = slot >= 0 ? &c->slots[slot] : NULL;
    const char *name = wmgw_rpc_ptype_name(p->ptype);
    if (sl == NULL || sl->level < WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY) {
        if (p->has_auth && sl == NULL)
            return wmgw__rpc_fail(c, err, "%s call_id %u: sec_trailer on an unauthenticated connection", name,
                                  p->call_id);
        return 0; /* CONNECT: a token, if any, proves nothing (MS-RPCE 3.3.1.5.2.2) */
    }
    if (!p->has_auth)
        return wmgw__rpc_fail(c, err, "%s call_id %u: auth_length 0 at auth level %u", name, p->call_id, sl->level);
    if (p->auth.type != ops->auth_type || p->auth.level != sl->level || p->auth.context_id != sl->context_id)
        return wmgw__rpc_fail(c, err, "%s call_id %u: sec_trailer auth_type %u, auth_level %u, auth_context_id %u; "
                              "expected %u, %u, %u", name, p->call_id, p->auth.type, p->auth.level,
                              p->auth.context_id, ops->auth_type, sl->level, sl->context_id);
    uint8_t *pdu = (uint8_t *)p->stub - p->body_off; /* our own input buffer: unsealed in place */
    struct wmgw_rpc_sec_pdu m = {pdu, (size_t)p->frag_length - p->auth_length, p->body_off, p->body_len,
                                 c->header_sign, sl->level};
    struct wmgw_err e2;
    wmgw_err_clear(&e2);
    int rc = sl->level == WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY
                 ? ops->unseal(sl->ctx, &m, p->auth.token, p->auth.token_len, &e2)
                 : ops->verify(sl->ctx, &m, p->auth.token, p->auth.token_len, &e2);
    if (rc != 0)
        return wmgw__rpc_fail(c, err, "%s call_id %u: auth_verifier rejected by %s: %s", name, p->call_id, ops->name,
                              e2.message[0] ? e2.message : "bad signature");
    return 0;
}

const struct wmgw__rpc_pctx *wmgw__rpc_find_ctx(const struct wmgw_rpc_conn *c, uint16_t id)
{
    for (size_t i = 0; i < c->n_ctx; i++)
        if (c->ctx[i].id == id)
            return &c->ctx[i];
    return NULL;
}

/* Sequencing common to both sides: a first fragment only outside a call,
 * a later one only inside it, with its call_id, cont_id, opnum and object. */
int wmgw__rpc_admit(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err)
{
    const struct wmgw__rpc_reasm *rx = &c->rx;
    bool first = p->flags & WMGW_RPC_PFC_FIRST_FRAG;
    const char *name = wmgw_rpc_ptype_name(p->ptype);
    if (p->frag_length > c->cfg.max_recv_frag)
        return wmgw__rpc_fail(c, err, "%s call_id %u: frag_length %u exceeds max_recv_frag %u", name, p->call_id,
                              p->frag_length, c->cfg.max_recv_frag);
    if (rx->active && first)
        return wmgw__rpc_fail(c, err, "%s call_id %u: PFC_FIRST_FRAG while call_id %u is incomplete", name,
                              p->call_id, rx->call_id);
    if (!rx->active && !first)
        return wmgw__rpc_fail(c, err, "%s call_id %u: fragment without PFC_FIRST_FRAG outside a call", name,
                              p->call_id);
    if (first && p->alloc_hint > c->cfg.max_stub)
        return wmgw__rpc_fail(c, err, "%s call_id %u: alloc_hint %u exceeds the %zu-byte limit", name, p->call_id,
                              p->alloc_hint, c->cfg.max_stub);
    if (!first && p->call_id != rx->call_id)
        return wmgw__rpc_fail(c, err, "%s call_id %u inside call_id %u", name, p->call_id, rx->call_id);
    if (!first && (p->cont_id != rx->cont_id || p->opnum != rx->opnum ||
                   (p->flags & WMGW_RPC_PFC_OBJECT_UUID) != (rx->has_object ? WMGW_RPC_PFC_OBJECT_UUID : 0) ||
                   !wmgw_uuid_eq(&p->object, &rx->object)))
        return wmgw__rpc_fail(c, err, "%s call_id %u: p_cont_id, opnum or object UUID differ between fragments", name,
                              p->call_id);
    return 0;
}

/* Adds an admitted (and checked) fragment to the call.  1: the call is
 * complete (c->rx.stub), 0: more fragments to come.  The stub is copied
 * even from a single fragment, so that it outlives later input. */
int wmgw__rpc_collect(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err)
{
    struct wmgw__rpc_reasm *rx = &c->rx;
    if (p->flags & WMGW_RPC_PFC_FIRST_FRAG) {
        rx->active = true;
        rx->call_id = p->call_id;
        rx->cont_id = p->cont_id;
        rx->opnum = p->opnum;
        rx->has_object = p->flags & WMGW_RPC_PFC_OBJECT_UUID;
        rx->object = p->object;
        wmgw_buf_reset(&c->stub);
    }
    if (wmgw_buf_add(&c->stub, p->stub, p->stub_len) != 0)
        return wmgw__rpc_fail(c, err, "%s call_id %u: stub data exceeds the %zu-byte limit",
                              wmgw_rpc_ptype_name(p->ptype), p->call_id, c->cfg.max_stub);
    if (!(p->flags & WMGW_RPC_PFC_LAST_FRAG))
        return 0;
    rx->active = false;
    rx->stub = c->stub.data ? (const uint8_t *)c->stub.data : (const uint8_t *)"";
    rx->stub_len = c->stub.len;
    return 1;
}

int wmgw__rpc_sec_step(struct wmgw_rpc_conn *c, int slot, const struct wmgw_rpc_pdu *p, struct wmgw_buf *tok,
                       struct wmgw_err *err)
{
    struct wmgw_err e2;
    wmgw_err_clear(&e2);
    const uint8_t *in = p && p->has_auth ? p->auth.token : NULL;
    size_t in_len = p && p->has_auth ? p->auth.token_len : 0;
    int rc = c->cfg.sec->step(c->slots[slot].ctx, in, in_len, tok, &e2);
    if (rc < 0) {
        c->slots[slot].state = SEC_FAILED;
        wmgw_err_set(err, rc, "DCE/RPC: %s security context: %s", c->cfg.sec->name,
                     e2.message[0] ? e2.message : wmgw_err_summary(rc));
    }
    return rc;
}

/* ---- client ---- */

static void fill_bind(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, uint8_t ptype, uint32_t call_id)
{
    memset(p, 0, sizeof(*p));
    p->ptype = ptype;
    p->flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
    p->call_id = call_id;
    p->max_xmit_frag = c->cfg.max_xmit_frag < WMGW_RPC_MIN_FRAG ? WMGW_RPC_MIN_FRAG : c->cfg.max_xmit_frag;
    p->max_recv_frag = c->cfg.max_recv_frag;
    p->assoc_group_id = c->assoc_group;
    p->n_ctx = 1;
    p->ctx[0].cont_id = c->pending_cont;
    p->ctx[0].n_transfer = 1;
    p->ctx[0].abstract = c->pending_iface;
    p->ctx[0].transfer[0] = wmgw_rpc_ndr20;
}

static void set_auth(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, const struct wmgw_buf *tok)
{
    p->has_auth = true;
    p->auth = (struct wmgw_rpc_auth){c->cfg.sec->auth_type, c->slots[0].level, 0, 0, c->slots[0].context_id,
                                     (const uint8_t *)tok->data, tok->len};
}

int wmgw_rpc_conn_bind(struct wmgw_rpc_conn *c, const struct wmgw_rpc_syntax *iface, uint16_t *cont_id,
                       struct wmgw_err *err)
{
    if (c->cfg.server || c->dead)
        return wmgw_err_set(err, c->dead ? WMGW_ECONN : WMGW_EINVAL, "DCE/RPC: bind on a %s connection",
                            c->dead ? "failed" : "server");
    if (c->pending != PEND_NONE)
        return wmgw_err_set(err, WMGW_ECONFLICT, "DCE/RPC: bind while call_id %u is outstanding", c->pending_call);
    if (c->n_ctx == WMGW_RPC_MAX_CONTEXTS)
        return wmgw_err_set(err, WMGW_ETOOBIG, "DCE/RPC: %d presentation contexts", WMGW_RPC_MAX_CONTEXTS);
    uint16_t id = 0; /* the lowest id not in use */
    while (wmgw__rpc_find_ctx(c, id) != NULL)
        id++;
    c->pending_cont = id;
    c->pending_iface = *iface;
    c->pending_ptype = c->bound ? WMGW_RPC_ALTER_CONTEXT : WMGW_RPC_BIND;
    c->pending_call = c->next_call_id++;
    struct wmgw_rpc_pdu p;
    fill_bind(c, &p, c->pending_ptype, c->pending_call);
    struct wmgw_buf tok;
    wmgw_buf_init(&tok, 0xFFFF);
    int rc = 0;
    if (!c->bound && c->cfg.sec != NULL) {
        struct wmgw__rpc_sec_slot *sl = &c->slots[0];
        struct wmgw_err e2;
        wmgw_err_clear(&e2);
        sl->level = c->cfg.auth_level;
        sl->context_id = c->cfg.auth_context_id;
        rc = c->cfg.sec->start(c->cfg.sec_cfg, false, sl->level, &sl->ctx, &e2);
        if (rc != 0)
            rc = wmgw_err_set(err, rc, "DCE/RPC: %s: %s", c->cfg.sec->name, e2.message);
        else {
            c->n_slots = 1;
            rc = wmgw__rpc_sec_step(c, 0, NULL, &tok, err);
        }
        if (rc >= 0) {
            sl->state = rc == WMGW_RPC_SEC_CONTINUE ? SEC_NEGOTIATING : SEC_READY;
            set_auth(c, &p, &tok);
            if (c->cfg.sec->header_sign && sl->level >= WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY)
                p.flags |= WMGW_RPC_PFC_SUPPORT_HEADER_SIGN;
            rc = tok.len > 0 ? 0 : wmgw_err_set(err, WMGW_EAUTH, "DCE/RPC: %s gave no first token", c->cfg.sec->name);
        }
    }
    if (rc == 0)
        rc = wmgw__rpc_queue(c, &p, err);
    wmgw_buf_dispose(&tok);
    if (rc != 0) {
        c->dead = true;
        return rc;
    }
    c->bound = true;
    c->pending = PEND_BIND;
    *cont_id = id;
    return 0;
}

int wmgw_rpc_conn_request(struct wmgw_rpc_conn *c, uint16_t cont_id, uint16_t opnum, const struct wmgw_uuid *object,
                          const uint8_t *stub, size_t len, uint32_t *call_id, struct wmgw_err *err)
{
    if (c->cfg.server || c->dead)
        return wmgw_err_set(err, c->dead ? WMGW_ECONN : WMGW_EINVAL, "DCE/RPC: request on a %s connection",
                            c->dead ? "failed" : "server");
    if (c->pending != PEND_NONE)
        return wmgw_err_set(err, WMGW_ECONFLICT, "DCE/RPC: call_id %u is outstanding", c->pending_call);
    if (wmgw__rpc_find_ctx(c, cont_id) == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "DCE/RPC: no presentation context %u", cont_id);
    if (len > c->cfg.max_stub)
        return wmgw_err_set(err, WMGW_ETOOBIG, "DCE/RPC: %zu bytes of stub data exceed %zu", len, c->cfg.max_stub);
    if (c->n_slots && c->slots[0].state != SEC_READY)
        return wmgw_err_set(err, WMGW_EAUTH, "DCE/RPC: the %s security context was not established",
                            c->cfg.sec->name);
    uint32_t id = c->next_call_id++;
    int rc = wmgw__rpc_send_call(c, WMGW_RPC_REQUEST, id, cont_id, opnum, object, stub, len, c->n_slots ? 0 : -1, err);
    if (rc != 0)
        return rc;
    c->pending = PEND_CALL;
    c->pending_call = id;
    *call_id = id;
    return 0;
}

/* The bind's outcome once security, if any, is settled. */
static int bind_done(struct wmgw_rpc_conn *c, const struct wmgw_rpc_result *res, struct wmgw_rpc_event *ev)
{
    c->pending = PEND_NONE;
    ev->call_id = c->pending_call;
    ev->cont_id = c->pending_cont;
    ev->result = res->result;
    ev->reason = res->reason;
    if (res->result != WMGW_RPC_RESULT_ACCEPT) {
        ev->kind = WMGW_RPC_EV_REJECTED;
        return 1;
    }
    c->ctx[c->n_ctx].id = c->pending_cont;
    c->ctx[c->n_ctx].iface = c->pending_iface;
    ev->iface = &c->ctx[c->n_ctx++].iface;
    ev->kind = WMGW_RPC_EV_BOUND;
    return 1;
}

static int client_bind_ack(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, struct wmgw_rpc_event *ev,
                           struct wmgw_err *err)
{
    uint8_t want = c->pending_ptype == WMGW_RPC_BIND ? WMGW_RPC_BIND_ACK : WMGW_RPC_ALTER_CONTEXT_RESP;
    if (c->pending != PEND_BIND || p->ptype != want || p->call_id != c->pending_call)
        return wmgw__rpc_fail(c, err, "unexpected %s call_id %u", wmgw_rpc_ptype_name(p->ptype), p->call_id);
    if (p->n_ctx != 1)
        return wmgw__rpc_fail(c, err, "%s: n_results %u for one context", wmgw_rpc_ptype_name(p->ptype), p->n_ctx);
    struct wmgw_rpc_result res = p->results[0];
    if (res.result == WMGW_RPC_RESULT_ACCEPT && (!wmgw_uuid_eq(&res.transfer.uuid, &wmgw_rpc_ndr20.uuid) ||
                                                 res.transfer.major != 2 || res.transfer.minor != 0))
        return wmgw__rpc_fail(c, err, "%s: accepted transfer syntax is not NDR 2.0", wmgw_rpc_ptype_name(p->ptype));
    if (p->ptype == WMGW_RPC_BIND_ACK) {
        if (p->max_recv_frag < WMGW_RPC_MIN_FRAG)
            return wmgw__rpc_fail(c, err, "bind_ack max_recv_frag %u below %d", p->max_recv_frag, WMGW_RPC_MIN_FRAG);
        c->xmit = p->max_recv_frag < c->cfg.max_xmit_frag ? p->max_recv_frag : c->cfg.max_xmit_frag;
        c->assoc_group = p->assoc_group_id;
        c->header_sign = c->cfg.sec && c->cfg.sec->header_sign && (p->flags & WMGW_RPC_PFC_SUPPORT_HEADER_SIGN) &&
                         c->slots[0].level >= WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
    }
    struct wmgw__rpc_sec_slot *sl = c->n_slots ? &c->slots[0] : NULL;
    if (sl == NULL || sl->state == SEC_READY) {
        if (p->has_auth && sl == NULL)
            return wmgw__rpc_fail(c, err, "%s carries a sec_trailer on an unauthenticated connection",
                                  wmgw_rpc_ptype_name(p->ptype));
        return bind_done(c, &res, ev);
    }
    if (res.result != WMGW_RPC_RESULT_ACCEPT) { /* no context, no use finishing the legs */
        sl->state = SEC_FAILED;
        return bind_done(c, &res, ev);
    }
    if (p->has_auth && (p->auth.type != c->cfg.sec->auth_type || p->auth.context_id != sl->context_id))
        return wmgw__rpc_fail(c, err, "%s: auth_type %u / auth_context_id %u do not match the bind",
                              wmgw_rpc_ptype_name(p->ptype), p->auth.type, p->auth.context_id);
    if (sl->state == SEC_FAILED || (sl->state == SEC_NEGOTIATING && !p->has_auth))
        return wmgw__rpc_fail(c, err, "%s: no auth token for the next leg", wmgw_rpc_ptype_name(p->ptype));
    if (sl->state != SEC_NEGOTIATING) { /* our last token went out in alter_context */
        sl->state = SEC_READY;
        return bind_done(c, &res, ev);
    }
    struct wmgw_buf tok;
    wmgw_buf_init(&tok, 0xFFFF);
    int rc = wmgw__rpc_sec_step(c, 0, p, &tok, err);
    struct wmgw_rpc_pdu q;
    if (rc == WMGW_RPC_SEC_DONE && tok.len == 0) {
        sl->state = SEC_READY;
        rc = bind_done(c, &res, ev);
    } else if (rc == WMGW_RPC_SEC_DONE && c->cfg.sec->odd_legs) {
        memset(&q, 0, sizeof(q)); /* rpc_auth3 with the bind's call_id, unanswered */
        q.ptype = WMGW_RPC_AUTH3;
        q.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
        q.call_id = p->call_id;
        set_auth(c, &q, &tok);
        sl->state = SEC_READY;
        rc = wmgw__rpc_queue(c, &q, err);
        rc = rc ? rc : bind_done(c, &res, ev);
    } else if (rc >= 0) { /* another leg in alter_context; the server answers */
        sl->state = rc == WMGW_RPC_SEC_CONTINUE ? SEC_NEGOTIATING : SEC_FINISHING;
        c->pending_ptype = WMGW_RPC_ALTER_CONTEXT;
        c->pending_call = c->next_call_id++;
        fill_bind(c, &q, WMGW_RPC_ALTER_CONTEXT, c->pending_call);
        set_auth(c, &q, &tok);
        rc = wmgw__rpc_queue(c, &q, err);
    }
    wmgw_buf_dispose(&tok);
    if (rc < 0)
        c->dead = true;
    return rc;
}

static int client_pdu(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, struct wmgw_rpc_event *ev,
                      struct wmgw_err *err)
{
    const char *name = wmgw_rpc_ptype_name(p->ptype);
    int rc;
    switch (p->ptype) {
    case WMGW_RPC_BIND_ACK:
    case WMGW_RPC_ALTER_CONTEXT_RESP:
        return client_bind_ack(c, p, ev, err);
    case WMGW_RPC_BIND_NAK:
        if (c->pending != PEND_BIND || p->call_id != c->pending_call)
            return wmgw__rpc_fail(c, err, "unexpected bind_nak call_id %u", p->call_id);
        c->dead = true; /* C706: the connection is over */
        ev->kind = WMGW_RPC_EV_REJECTED;
        ev->call_id = p->call_id;
        ev->reason = p->reject_reason;
        return 1;
    case WMGW_RPC_RESPONSE:
        if (c->pending != PEND_CALL || p->call_id != c->pending_call)
            return wmgw__rpc_fail(c, err, "response call_id %u does not match the outstanding call (%u)", p->call_id,
                                  c->pending == PEND_CALL ? c->pending_call : 0);
        if ((rc = wmgw__rpc_admit(c, p, err)) != 0 || (rc = wmgw__rpc_check(c, p, c->n_slots ? 0 : -1, err)) != 0 ||
            (rc = wmgw__rpc_collect(c, p, err)) <= 0)
            return rc;
        c->pending = PEND_NONE;
        ev->kind = WMGW_RPC_EV_RESPONSE;
        ev->call_id = p->call_id;
        ev->cont_id = c->rx.cont_id;
        ev->stub = c->rx.stub;
        ev->stub_len = c->rx.stub_len;
        return 1;
    case WMGW_RPC_FAULT:
        if (c->pending == PEND_NONE || p->call_id != c->pending_call)
            return wmgw__rpc_fail(c, err, "fault call_id %u does not match the outstanding call", p->call_id);
        if (p->has_auth && (rc = wmgw__rpc_check(c, p, c->n_slots ? 0 : -1, err)) != 0)
            return rc;
        ev->kind = c->pending == PEND_BIND ? WMGW_RPC_EV_REJECTED : WMGW_RPC_EV_FAULT;
        ev->call_id = p->call_id;
        ev->cont_id = p->cont_id;
        ev->status = p->status;
        c->pending = PEND_NONE;
        c->rx.active = false;
        return 1;
    case WMGW_RPC_SHUTDOWN:
        ev->kind = WMGW_RPC_EV_SHUTDOWN;
        return 1;
    default:
        return wmgw__rpc_fail(c, err, "unexpected %s on a client connection", name);
    }
}

int wmgw_rpc_conn_poll(struct wmgw_rpc_conn *c, struct wmgw_rpc_event *ev, struct wmgw_err *err)
{
    memset(ev, 0, sizeof(*ev));
    ev->auth_level = WMGW_RPC_AUTHN_LEVEL_NONE;
    while (!c->dead) {
        if (c->cfg.server && c->dispatched)
            return 0;
        if (c->in.data == NULL)
            return 0;
        const uint8_t *data = (const uint8_t *)c->in.data + c->in_off;
        size_t avail = c->in.len - c->in_off;
        uint16_t flen;
        int rc = wmgw_rpc_pdu_peek(data, avail, &flen, err);
        if (rc < 0) {
            c->dead = true;
            return rc;
        }
        if (rc == 1 || flen > avail)
            return 0;
        struct wmgw_rpc_pdu p;
        if ((rc = wmgw_rpc_pdu_decode(data, flen, &p, err)) != 0) {
            c->dead = true;
            return rc;
        }
        c->in_off += flen;
        rc = c->cfg.server ? wmgw__rpc_server_pdu(c, &p, ev, err) : client_pdu(c, &p, ev, err);
        if (rc != 0)
            return rc;
    }
    return wmgw_err_set(err, WMGW_ECONN, "DCE/RPC connection already failed");
}
