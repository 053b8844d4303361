/*
 * rpc_pdus.h: raw PDUs for the tests of one side of a DCE/RPC connection
 * (tests/unit/wmi/rpc_conn.c, rpc_server.c): build a bind or a request,
 * feed it to the connection, read back the last PDU it queued.
 */
#ifndef WMGW_TESTS_UNIT_WMI_RPC_PDUS_H
#define WMGW_TESTS_UNIT_WMI_RPC_PDUS_H

#include "translators/wmi/rpc_conn.h"
#include "util/buf.h"

#include <string.h>

#include "../test.h"

static inline void feed_pdu(struct wmgw_rpc_conn *c, const struct wmgw_rpc_pdu *p)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 16);
    CHECK_INT(wmgw_rpc_pdu_encode(p, &b, NULL), 0);
    CHECK_INT(wmgw_rpc_conn_feed(c, (const uint8_t *)b.data, b.len, NULL), 0);
    wmgw_buf_dispose(&b);
}

static inline struct wmgw_rpc_pdu bind_pdu(uint8_t ptype, uint32_t call_id, uint16_t cont, const struct wmgw_rpc_syntax *s)
{
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = ptype;
    p.flags = 3;
    p.call_id = call_id;
    p.max_xmit_frag = p.max_recv_frag = 5840;
    p.n_ctx = 1;
    p.ctx[0] = (struct wmgw_rpc_ctx_elem){cont, 1, *s, {wmgw_rpc_ndr20}};
    return p;
}

static inline struct wmgw_rpc_pdu req_pdu(uint32_t call_id, uint8_t flags, const char *stub)
{
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_REQUEST;
    p.flags = flags;
    p.call_id = call_id;
    p.opnum = 1;
    p.stub = (const uint8_t *)stub;
    p.stub_len = strlen(stub);
    return p;
}

/* The last PDU the connection queued. */
static inline void last_output(struct wmgw_rpc_conn *c, struct wmgw_rpc_pdu *p)
{
    const uint8_t *data;
    size_t len, off = 0;
    uint16_t flen = 0;
    wmgw_rpc_conn_output(c, &data, &len);
    memset(p, 0, sizeof(*p));
    while (off < len && wmgw_rpc_pdu_peek(data + off, len - off, &flen, NULL) == 0 && off + flen < len)
        off += flen;
    CHECK_INT(wmgw_rpc_pdu_decode(data + off, len - off, p, NULL), 0);
}

#endif
