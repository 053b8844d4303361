/*
 * rpc_server.c: the server side of a DCE/RPC connection, for the
 * simulator's DCOM server (tests/sim): answering bind and alter_context
 * (presentation contexts and security legs), rpc_auth3, requests and their
 * answers.  See rpc_conn.h; framing and protection are in rpc_conn.c.
 *
 * A connection may hold several security contexts, one per
 * auth_context_id: impacket builds a new one with every alter_context, and
 * Windows accepts that.  Errors that concern one call (unknown context,
 * auth level too low, a context whose rpc_auth3 failed) are answered with
 * a fault and the connection goes on; protocol and signature errors queue
 * a fault or bind_nak and end it (MS-RPCE 3.3.3.5.7).
 */
#include "translators/wmi/rpc_conn_int.h"

#include <stdio.h>
#include <string.h>

static void queue_fault(struct wmgw_rpc_conn *c, uint32_t call_id, uint16_t cont_id, uint32_t status)
{
    struct wmgw_rpc_pdu f;
    memset(&f, 0, sizeof(f));
    f.ptype = WMGW_RPC_FAULT;
    f.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG | WMGW_RPC_PFC_DID_NOT_EXECUTE;
    f.call_id = call_id;
    f.cont_id = cont_id;
    f.status = status;
    wmgw__rpc_queue(c, &f, NULL); /* faults go unsigned, as Samba's */
}

/* bind_nak, and the end of the connection. */
static int nak(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, uint16_t reason, struct wmgw_err *err,
               const char *why)
{
    struct wmgw_rpc_pdu n;
    memset(&n, 0, sizeof(n));
    n.ptype = WMGW_RPC_BIND_NAK;
    n.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
    n.call_id = p->call_id;
    n.reject_reason = reason;
    wmgw__rpc_queue(c, &n, NULL);
    return wmgw__rpc_fail(c, err, "bind call_id %u refused (reason %u): %s", p->call_id, reason, why);
}

/* A protocol error: fault nca_proto_error, then the end. */
static int proto_fault(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err, int rc)
{
    (void)err; /* rc's message is already in err */
    queue_fault(c, p->call_id, p->cont_id, WMGW_RPC_FAULT_PROTO_ERROR);
    c->dead = true;
    return rc;
}

static int find_slot(const struct wmgw_rpc_conn *c, uint32_t context_id)
{
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i].context_id == context_id)
            return (int)i;
    return -1;
}

static bool iface_offered(const struct wmgw_rpc_conn *c, const struct wmgw_rpc_syntax *s)
{
    if (c->n_ifaces == 0)
        return true; /* nothing registered: every interface */
    for (size_t i = 0; i < c->n_ifaces; i++)
        if (wmgw_uuid_eq(&c->ifaces[i].uuid, &s->uuid) && c->ifaces[i].major == s->major &&
            c->ifaces[i].minor == s->minor)
            return true;
    return false;
}

int wmgw_rpc_conn_add_iface(struct wmgw_rpc_conn *c, const struct wmgw_rpc_syntax *iface)
{
    if (!c->cfg.server || c->n_ifaces == WMGW_RPC_MAX_IFACES)
        return WMGW_EINVAL;
    c->ifaces[c->n_ifaces++] = *iface;
    return 0;
}

/* One p_result_t for one p_cont_elem_t (MS-RPCE 3.3.1.5.6). */
static void choose(struct wmgw_rpc_conn *c, const struct wmgw_rpc_ctx_elem *e, struct wmgw_rpc_result *res)
{
    memset(res, 0, sizeof(*res));
    res->result = WMGW_RPC_RESULT_PROVIDER_REJECTION;
    const struct wmgw__rpc_pctx *old = wmgw__rpc_find_ctx(c, e->cont_id);
    if (!iface_offered(c, &e->abstract)) {
        res->reason = WMGW_RPC_REASON_ABSTRACT_SYNTAX;
        return;
    }
    if (old != NULL && (!wmgw_uuid_eq(&old->iface.uuid, &e->abstract.uuid) || old->iface.major != e->abstract.major ||
                        old->iface.minor != e->abstract.minor))
        return; /* a context id keeps its interface */
    for (unsigned t = 0; t < e->n_transfer; t++) {
        const struct wmgw_rpc_syntax *ts = &e->transfer[t];
        if (!wmgw_uuid_eq(&ts->uuid, &wmgw_rpc_ndr20.uuid) || ts->major != 2 || ts->minor != 0)
            continue;
        if (old == NULL && c->n_ctx == WMGW_RPC_MAX_CONTEXTS) {
            res->reason = WMGW_RPC_REASON_LOCAL_LIMIT;
            return;
        }
        if (old == NULL) {
            c->ctx[c->n_ctx].id = e->cont_id;
            c->ctx[c->n_ctx++].iface = e->abstract;
        }
        res->result = WMGW_RPC_RESULT_ACCEPT;
        res->transfer = wmgw_rpc_ndr20;
        return;
    }
    res->reason = WMGW_RPC_REASON_TRANSFER_SYNTAX; /* NDR64 and bind-time feature negotiation land here */
}

/* The security leg a bind or alter_context carries; its token goes into tok.
 * 0, or an error already answered (bind_nak or fault). */
static int bind_auth(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_buf *tok, struct wmgw_err *err)
{
    const struct wmgw_rpc_sec_ops *ops = c->cfg.sec;
    bool alter = p->ptype == WMGW_RPC_ALTER_CONTEXT;
    if (ops == NULL || p->auth.type != ops->auth_type)
        return alter ? proto_fault(c, p, err, wmgw__rpc_fail(c, err, "alter_context: auth_type %u unknown",
                                                             p->auth.type))
                     : nak(c, p, WMGW_RPC_NAK_AUTH_TYPE, err, "unknown auth_type");
    if (p->auth.level < WMGW_RPC_AUTHN_LEVEL_CONNECT || p->auth.level > WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY)
        return alter ? proto_fault(c, p, err, wmgw__rpc_fail(c, err, "alter_context: auth_level %u", p->auth.level))
                     : nak(c, p, WMGW_RPC_NAK_NOT_SPECIFIED, err, "bad auth_level");
    int s = find_slot(c, p->auth.context_id);
    if (s >= 0 && (c->slots[s].state != SEC_NEGOTIATING || c->slots[s].level != p->auth.level))
        return proto_fault(c, p, err, wmgw__rpc_fail(c, err, "%s: auth_context_id %u is not negotiating",
                                                     wmgw_rpc_ptype_name(p->ptype), p->auth.context_id));
    if (s < 0) {
        if (c->n_slots == c->max_slots)
            return alter ? proto_fault(c, p, err, wmgw__rpc_fail(c, err, "more than %zu security contexts",
                                                                 c->max_slots))
                         : nak(c, p, WMGW_RPC_NAK_LOCAL_LIMIT, err, "security contexts");
        struct wmgw__rpc_sec_slot *sl = &c->slots[c->n_slots];
        struct wmgw_err e2;
        wmgw_err_clear(&e2);
        memset(sl, 0, sizeof(*sl));
        if (ops->start(c->cfg.sec_cfg, true, p->auth.level, &sl->ctx, &e2) != 0)
            return alter ? proto_fault(c, p, err, wmgw__rpc_fail(c, err, "%s: %s", ops->name, e2.message))
                         : nak(c, p, WMGW_RPC_NAK_INVALID_CHECKSUM, err, e2.message);
        sl->context_id = p->auth.context_id;
        sl->level = p->auth.level;
        sl->state = SEC_NEGOTIATING;
        s = (int)c->n_slots++;
        if (s == 0) /* the first PDU with auth decides header signing (MS-RPCE 3.3.1.5.2.2) */
            c->header_sign = ops->header_sign && (p->flags & WMGW_RPC_PFC_SUPPORT_HEADER_SIGN) &&
                             p->auth.level >= WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
    }
    int rc = wmgw__rpc_sec_step(c, s, p, tok, err);
    if (rc < 0) {
        if (!alter)
            return nak(c, p, WMGW_RPC_NAK_INVALID_CHECKSUM, err, "security provider refused the token");
        queue_fault(c, p->call_id, 0, WMGW_RPC_FAULT_ACCESS_DENIED);
        return rc; /* the context is SEC_FAILED; the connection goes on */
    }
    c->slots[s].state = rc == WMGW_RPC_SEC_DONE ? SEC_READY : SEC_NEGOTIATING;
    return 0;
}

static int server_bind(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err)
{
    bool alter = p->ptype == WMGW_RPC_ALTER_CONTEXT;
    if (!alter && c->bound)
        return nak(c, p, WMGW_RPC_NAK_NOT_SPECIFIED, err, "a second bind on the connection");
    if (alter && !c->bound)
        return proto_fault(c, p, err, wmgw__rpc_fail(c, err, "alter_context before bind"));
    if (!alter && p->max_recv_frag < WMGW_RPC_MIN_FRAG)
        return nak(c, p, WMGW_RPC_NAK_NOT_SPECIFIED, err, "max_recv_frag below 1432");
    struct wmgw_rpc_pdu a;
    memset(&a, 0, sizeof(a));
    a.ptype = alter ? WMGW_RPC_ALTER_CONTEXT_RESP : WMGW_RPC_BIND_ACK;
    a.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
    a.call_id = p->call_id;
    if (!alter) {
        c->bound = true;
        c->xmit = p->max_recv_frag < c->cfg.max_xmit_frag ? p->max_recv_frag : c->cfg.max_xmit_frag;
        if (p->assoc_group_id != 0)
            c->assoc_group = p->assoc_group_id;
        if (c->cfg.sec_addr)
            snprintf(a.sec_addr, sizeof(a.sec_addr), "%s", c->cfg.sec_addr);
    }
    a.max_xmit_frag = c->xmit < WMGW_RPC_MIN_FRAG ? WMGW_RPC_MIN_FRAG : c->xmit;
    a.max_recv_frag = c->cfg.max_recv_frag;
    a.assoc_group_id = c->assoc_group;
    a.n_ctx = p->n_ctx;
    for (unsigned i = 0; i < p->n_ctx; i++)
        choose(c, &p->ctx[i], &a.results[i]);

    struct wmgw_buf tok;
    wmgw_buf_init(&tok, 0xFFFF);
    int rc = 0;
    if (p->has_auth) {
        rc = bind_auth(c, p, &tok, err);
        if (rc == 0 && tok.len > 0) {
            a.has_auth = true;
            a.auth = (struct wmgw_rpc_auth){p->auth.type, p->auth.level, 0, 0, p->auth.context_id,
                                            (const uint8_t *)tok.data, tok.len};
        }
        if (c->header_sign)
            a.flags |= WMGW_RPC_PFC_SUPPORT_HEADER_SIGN;
    }
    if (rc == 0)
        rc = wmgw__rpc_queue(c, &a, err);
    wmgw_buf_dispose(&tok);
    return c->dead ? (rc ? rc : WMGW_EPROTO) : 0;
}

static int server_auth3(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err)
{
    int s = c->cfg.sec ? find_slot(c, p->auth.context_id) : -1;
    if (s < 0 || c->slots[s].state != SEC_NEGOTIATING || p->auth.type != c->cfg.sec->auth_type)
        return wmgw__rpc_fail(c, err, "rpc_auth3 for auth_context_id %u, which is not negotiating", p->auth.context_id);
    struct wmgw_buf tok;
    wmgw_buf_init(&tok, 0xFFFF);
    struct wmgw_err e2;
    int rc = wmgw__rpc_sec_step(c, s, p, &tok, &e2);
    wmgw_buf_dispose(&tok);
    /* never answered; a failure shows as a fault on the context's first request */
    c->slots[s].state = rc == WMGW_RPC_SEC_DONE ? SEC_READY : SEC_FAILED;
    return 0;
}

/* The security context of a request fragment: its auth_context_id's, or
 * without sec_trailer the newest one (MS-RPCE 3.3.1.5.4), or -1. */
static int request_slot(const struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, bool *unknown)
{
    *unknown = false;
    if (p->has_auth) {
        int s = find_slot(c, p->auth.context_id);
        *unknown = s < 0;
        return s;
    }
    return c->n_slots ? (int)c->n_slots - 1 : -1;
}

static int server_request(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, struct wmgw_rpc_event *ev,
                          struct wmgw_err *err)
{
    struct wmgw__rpc_reasm *rx = &c->rx;
    bool first = p->flags & WMGW_RPC_PFC_FIRST_FRAG, last = p->flags & WMGW_RPC_PFC_LAST_FRAG;
    if (rx->discard && !first && p->call_id == rx->call_id) { /* rest of a call already faulted */
        rx->active = rx->discard = !last;
        return 0;
    }
    rx->discard = false;
    int rc = wmgw__rpc_admit(c, p, err);
    if (rc == 0 && first && c->any_request && p->call_id <= c->last_call_id)
        rc = wmgw__rpc_fail(c, err, "request call_id %u does not increase (last %u)", p->call_id, c->last_call_id);
    if (rc != 0)
        return proto_fault(c, p, err, rc);
    bool unknown;
    int slot = request_slot(c, p, &unknown);
    if (first) {
        c->any_request = true;
        c->last_call_id = p->call_id;
        uint8_t level = slot >= 0 ? c->slots[slot].level : WMGW_RPC_AUTHN_LEVEL_NONE;
        uint32_t status = 0;
        if (unknown || (slot >= 0 && c->slots[slot].state != SEC_READY) ||
            (slot >= 0 && !p->has_auth && level >= WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY) ||
            (c->cfg.sec && level < c->cfg.auth_level))
            status = WMGW_RPC_FAULT_ACCESS_DENIED;
        else if (wmgw__rpc_find_ctx(c, p->cont_id) == NULL)
            status = WMGW_RPC_FAULT_UNKNOWN_IF;
        if (status != 0) {
            queue_fault(c, p->call_id, p->cont_id, status);
            rx->call_id = p->call_id;
            rx->active = rx->discard = !last;
            return c->dead ? WMGW_EPROTO : 0;
        }
        rx->slot = slot;
        rx->level = level;
    } else if (slot != rx->slot) {
        return proto_fault(c, p, err, wmgw__rpc_fail(c, err, "request call_id %u: security context changed between "
                                                             "fragments", p->call_id));
    }
    if ((rc = wmgw__rpc_check(c, p, slot, err)) != 0) {
        queue_fault(c, p->call_id, p->cont_id, WMGW_RPC_FAULT_ACCESS_DENIED);
        return rc;
    }
    if ((rc = wmgw__rpc_collect(c, p, err)) <= 0)
        return rc < 0 ? proto_fault(c, p, err, rc) : 0;
    c->dispatched = true;
    c->disp_call = p->call_id;
    c->disp_cont = rx->cont_id;
    c->disp_slot = rx->slot;
    c->disp_level = rx->level;
    ev->kind = WMGW_RPC_EV_REQUEST;
    ev->call_id = p->call_id;
    ev->cont_id = rx->cont_id;
    ev->opnum = rx->opnum;
    ev->iface = &wmgw__rpc_find_ctx(c, rx->cont_id)->iface;
    ev->has_object = rx->has_object;
    ev->object = rx->object;
    ev->stub = rx->stub;
    ev->stub_len = rx->stub_len;
    ev->auth_level = rx->level;
    ev->sec_ctx = rx->slot >= 0 ? c->slots[rx->slot].ctx : NULL;
    return 1;
}

int wmgw__rpc_server_pdu(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, struct wmgw_rpc_event *ev,
                         struct wmgw_err *err)
{
    switch (p->ptype) {
    case WMGW_RPC_BIND:
    case WMGW_RPC_ALTER_CONTEXT:
        return server_bind(c, p, err);
    case WMGW_RPC_AUTH3:
        return server_auth3(c, p, err);
    case WMGW_RPC_REQUEST:
        return server_request(c, p, ev, err);
    case WMGW_RPC_ORPHANED: /* the client gave up on the call it is sending */
        if (c->rx.active && p->call_id == c->rx.call_id)
            c->rx.active = c->rx.discard = false;
        return 0;
    case WMGW_RPC_CO_CANCEL:
        return 0; /* calls are not cancelled: the answer comes anyway */
    default:
        return proto_fault(c, p, err, wmgw__rpc_fail(c, err, "unexpected %s on a server connection",
                                                     wmgw_rpc_ptype_name(p->ptype)));
    }
}

static int answerable(struct wmgw_rpc_conn *c, uint32_t call_id, struct wmgw_err *err)
{
    if (!c->cfg.server || c->dead)
        return wmgw_err_set(err, c->dead ? WMGW_ECONN : WMGW_EINVAL, "DCE/RPC: answer on a %s connection",
                            c->dead ? "failed" : "client");
    if (!c->dispatched || call_id != c->disp_call)
        return wmgw_err_set(err, WMGW_EINVAL, "DCE/RPC: call_id %u is not the request handed out", call_id);
    return 0;
}

int wmgw_rpc_conn_respond(struct wmgw_rpc_conn *c, uint32_t call_id, const uint8_t *stub, size_t len,
                          struct wmgw_err *err)
{
    int rc = answerable(c, call_id, err);
    if (rc == 0 && len > c->cfg.max_stub)
        rc = wmgw_err_set(err, WMGW_ETOOBIG, "DCE/RPC: %zu bytes of stub data exceed %zu", len, c->cfg.max_stub);
    if (rc == 0)
        rc = wmgw__rpc_send_call(c, WMGW_RPC_RESPONSE, call_id, c->disp_cont, 0, NULL, stub, len, c->disp_slot, err);
    if (rc == 0)
        c->dispatched = false;
    return rc;
}

int wmgw_rpc_conn_fault(struct wmgw_rpc_conn *c, uint32_t call_id, uint32_t status, struct wmgw_err *err)
{
    int rc = answerable(c, call_id, err);
    if (rc != 0)
        return rc;
    queue_fault(c, call_id, c->disp_cont, status);
    c->dispatched = false;
    return c->dead ? wmgw_err_set(err, WMGW_ENOMEM, "DCE/RPC: fault not queued") : 0;
}

int wmgw_rpc_conn_shutdown(struct wmgw_rpc_conn *c, struct wmgw_err *err)
{
    if (!c->cfg.server || c->dead)
        return wmgw_err_set(err, WMGW_EINVAL, "DCE/RPC: shutdown on a client or failed connection");
    struct wmgw_rpc_pdu s;
    memset(&s, 0, sizeof(s));
    s.ptype = WMGW_RPC_SHUTDOWN;
    s.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
    return wmgw__rpc_queue(c, &s, err);
}
