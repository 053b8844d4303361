/*
 * rpc_conn.h: one connection-oriented DCE/RPC connection (ncacn_ip_tcp),
 * client or server side, without sockets.
 *
 * The owner feeds received bytes in, polls for events, and writes out what
 * the connection queued; rpc_conn.c does the rest: bind / alter_context and
 * their acks (NDR 2.0 only), the security legs through a struct
 * wmgw_rpc_sec_ops (rpc_sec.h), call ids, fragmentation to the negotiated
 * max_xmit_frag, reassembly bounded by max_stub, and signing or sealing of
 * every fragment.  It is what the gateway's DCOM client drives from its h2o
 * event loop and what the simulator's DCOM server drives from its own
 * (design.md: translators/wmi; transport/ supplies the TCP socket).
 *
 * One call at a time, as on a connection without PFC_CONC_MPX: a client
 * sends its next request (or alter_context) after the previous answer; a
 * server hands out one request and reads nothing more until the owner has
 * answered it.
 */
#ifndef WMGW_TRANSLATORS_WMI_RPC_CONN_H
#define WMGW_TRANSLATORS_WMI_RPC_CONN_H

#include "translators/wmi/rpc_pdu.h"
#include "translators/wmi/rpc_sec.h"

#define WMGW_RPC_DEFAULT_FRAG 5840          /* Windows' max_xmit/recv_frag over TCP */
#define WMGW_RPC_DEFAULT_MAX_STUB (4u << 20) /* MS-RPCE 3.3.3.5.4: 4 MiB of stub per call */
#define WMGW_RPC_MAX_CONTEXTS 32            /* presentation contexts per connection */
#define WMGW_RPC_MAX_IFACES 32              /* interfaces a server offers */

struct wmgw_rpc_conn_config {
    bool server;
    uint16_t max_xmit_frag;  /* largest fragment sent; 0 = 5840.  Values under 1432 only shrink
                              * what this side sends (tests); 1432 is still announced */
    uint16_t max_recv_frag;  /* announced and enforced on requests/responses; 0 = 5840, >= 1432 */
    size_t max_stub;         /* largest stub of one call, either way; 0 = 4 MiB */
    uint32_t assoc_group_id; /* client: group to join (0 = new); server: the id it hands out */
    const char *sec_addr;    /* server: bind_ack secondary address (the port, e.g. "49667") */
    const struct wmgw_rpc_sec_ops *sec; /* NULL: no authentication */
    const void *sec_cfg;     /* passed to sec->start */
    uint8_t auth_level;      /* client: the level asked for; server: the least it accepts */
    uint32_t auth_context_id;  /* client: sec_trailer auth_context_id */
    unsigned max_sec_contexts; /* server: security contexts per connection; 0 = 16 */
};

enum wmgw_rpc_event_kind {
    WMGW_RPC_EV_BOUND = 1, /* client: the bind/alter_context for cont_id succeeded, security included */
    WMGW_RPC_EV_REJECTED,  /* client: bind_nak (reason), context refused (result, reason) or a fault (status) */
    WMGW_RPC_EV_RESPONSE,  /* client: the reply stub of call_id */
    WMGW_RPC_EV_FAULT,     /* client: call_id failed with status */
    WMGW_RPC_EV_SHUTDOWN,  /* client: the server asked to close the connection */
    WMGW_RPC_EV_REQUEST,   /* server: a complete request; answer with _respond or _fault */
};

struct wmgw_rpc_event {
    int kind;
    uint32_t call_id;
    uint16_t cont_id, opnum;
    const struct wmgw_rpc_syntax *iface; /* the presentation context's interface */
    bool has_object;
    struct wmgw_uuid object;             /* request: object UUID (the IPID for ORPC) */
    uint16_t result, reason;             /* rejected: p_result_t, or bind_nak reason */
    uint32_t status;                     /* fault (also a rejected alter_context) */
    const uint8_t *stub;                 /* valid until the next call on the connection */
    size_t stub_len;
    uint8_t auth_level;                  /* request: the level it arrived at (1 = none) */
    void *sec_ctx;                       /* request: the provider context that checked it */
};

struct wmgw_rpc_conn;

int wmgw_rpc_conn_new(const struct wmgw_rpc_conn_config *cfg, struct wmgw_rpc_conn **out, struct wmgw_err *err);
void wmgw_rpc_conn_free(struct wmgw_rpc_conn *c);

/* Server: an interface (abstract syntax) that binds may select. */
int wmgw_rpc_conn_add_iface(struct wmgw_rpc_conn *c, const struct wmgw_rpc_syntax *iface);

/* Client: asks for a presentation context for iface: bind the first time
 * (with the security context's first leg), alter_context later.  *cont_id
 * is the context for requests once WMGW_RPC_EV_BOUND arrives. */
int wmgw_rpc_conn_bind(struct wmgw_rpc_conn *c, const struct wmgw_rpc_syntax *iface, uint16_t *cont_id,
                       struct wmgw_err *err);
/* Client: queues a request (object may be NULL), fragmented and protected
 * at the connection's level; *call_id identifies its answer. */
int wmgw_rpc_conn_request(struct wmgw_rpc_conn *c, uint16_t cont_id, uint16_t opnum, const struct wmgw_uuid *object,
                          const uint8_t *stub, size_t len, uint32_t *call_id, struct wmgw_err *err);

/* Server: answers the request handed out last. */
int wmgw_rpc_conn_respond(struct wmgw_rpc_conn *c, uint32_t call_id, const uint8_t *stub, size_t len,
                          struct wmgw_err *err);
int wmgw_rpc_conn_fault(struct wmgw_rpc_conn *c, uint32_t call_id, uint32_t status, struct wmgw_err *err);
/* Server: queues a shutdown PDU (the client should close). */
int wmgw_rpc_conn_shutdown(struct wmgw_rpc_conn *c, struct wmgw_err *err);

/* Received bytes, any split.  WMGW_ETOOBIG if more than 256 KiB wait
 * unpolled. */
int wmgw_rpc_conn_feed(struct wmgw_rpc_conn *c, const uint8_t *data, size_t len, struct wmgw_err *err);
/* Processes buffered input: 1 and *ev when something happened, 0 when
 * more input (or, on a server, an answer) is needed, negative on a protocol
 * or security error.  After an error the connection is dead: write out
 * what is queued (a server may have queued a fault or bind_nak) and close. */
int wmgw_rpc_conn_poll(struct wmgw_rpc_conn *c, struct wmgw_rpc_event *ev, struct wmgw_err *err);

/* Bytes waiting to be written, and how many of them were written. */
void wmgw_rpc_conn_output(const struct wmgw_rpc_conn *c, const uint8_t **data, size_t *len);
void wmgw_rpc_conn_consume(struct wmgw_rpc_conn *c, size_t n);

/* After EV_BOUND: the negotiated sizes and association group. */
uint16_t wmgw_rpc_conn_max_xmit(const struct wmgw_rpc_conn *c);
uint32_t wmgw_rpc_conn_assoc_group(const struct wmgw_rpc_conn *c);

#endif
