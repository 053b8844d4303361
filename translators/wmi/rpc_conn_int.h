/*
 * rpc_conn_int.h: what rpc_conn.c (framing, security, client side) and
 * rpc_server.c (server side) share about a connection.  Not for other
 * modules: they use rpc_conn.h.
 */
#ifndef WMGW_TRANSLATORS_WMI_RPC_CONN_INT_H
#define WMGW_TRANSLATORS_WMI_RPC_CONN_INT_H

#include "translators/wmi/rpc_conn.h"

/* NEGOTIATING: the peer's next token is due; FINISHING (client): our last
 * token went out in alter_context, its empty answer is due. */
enum { SEC_NEGOTIATING, SEC_FINISHING, SEC_READY, SEC_FAILED };

struct wmgw__rpc_sec_slot { /* one security context (one auth_context_id) */
    void *ctx;
    uint32_t context_id;
    uint8_t level;
    int state;
};

struct wmgw__rpc_pctx { /* one negotiated presentation context */
    uint16_t id;
    struct wmgw_rpc_syntax iface;
};

/* The call being reassembled (fragments of one request or response). */
struct wmgw__rpc_reasm {
    bool active, discard; /* discard: a fault went out at the first fragment, drop the rest */
    uint32_t call_id;
    uint16_t cont_id, opnum;
    bool has_object;
    struct wmgw_uuid object;
    int slot;             /* security slot that checks every fragment, or -1 */
    uint8_t level;        /* the level the call arrived at */
    const uint8_t *stub;  /* the complete stub (in the connection's stub buffer) */
    size_t stub_len;
};

struct wmgw_rpc_conn {
    struct wmgw_rpc_conn_config cfg;
    bool dead;
    struct wmgw_buf in, out, stub; /* stub: reassembled stub data */
    size_t in_off, out_off;        /* consumed input, written output */

    uint16_t xmit;                 /* fragment size this side sends */
    uint32_t assoc_group;
    bool bound;                    /* the bind has happened (sent or received) */
    bool header_sign;              /* PFC_SUPPORT_HEADER_SIGN agreed */
    size_t n_ctx;
    struct wmgw__rpc_pctx ctx[WMGW_RPC_MAX_CONTEXTS];
    size_t n_slots, max_slots;
    struct wmgw__rpc_sec_slot *slots;
    struct wmgw__rpc_reasm rx;

    /* client */
    uint32_t next_call_id;
    enum { PEND_NONE, PEND_BIND, PEND_CALL } pending;
    uint32_t pending_call;
    uint8_t pending_ptype;         /* bind or alter_context */
    uint16_t pending_cont;
    struct wmgw_rpc_syntax pending_iface;

    /* server */
    size_t n_ifaces;
    struct wmgw_rpc_syntax ifaces[WMGW_RPC_MAX_IFACES];
    bool any_request;
    uint32_t last_call_id;         /* requests' call_id increases (MS-RPCE 3.3.3.5.2) */
    bool dispatched;               /* a request was handed out and not yet answered */
    uint32_t disp_call;
    uint16_t disp_cont;
    int disp_slot;
    uint8_t disp_level;
};

/* rpc_conn.c, for rpc_server.c */
int wmgw__rpc_fail(struct wmgw_rpc_conn *c, struct wmgw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wmgw__rpc_queue(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err);
int wmgw__rpc_send_call(struct wmgw_rpc_conn *c, uint8_t ptype, uint32_t call_id, uint16_t cont_id, uint16_t opnum,
                        const struct wmgw_uuid *object, const uint8_t *stub, size_t len, int slot,
                        struct wmgw_err *err);
int wmgw__rpc_check(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, int slot, struct wmgw_err *err);
int wmgw__rpc_admit(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err);
int wmgw__rpc_collect(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p, struct wmgw_err *err);
const struct wmgw__rpc_pctx *wmgw__rpc_find_ctx(const struct wmgw_rpc_conn *c, uint16_t id);
int wmgw__rpc_sec_step(struct wmgw_rpc_conn *c, int slot, const struct wmgw_rpc_pdu *p, struct wmgw_buf *tok,
                       struct wmgw_err *err);

/* rpc_server.c, for rpc_conn.c */
int wmgw__rpc_server_pdu(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p, struct wmgw_rpc_event *ev,
                         struct wmgw_err *err);

#endif
