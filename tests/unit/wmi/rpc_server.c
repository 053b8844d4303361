/*
 * rpc_server.c: tests for translators/wmi/rpc_server.c with raw PDUs: a
 * server connection is fed hand-made fragments and must refuse, with a
 * fault nca_proto_error queued and a message naming the problem, every
 * fragment out of its call (no PFC_FIRST_FRAG, a second first fragment,
 * another call_id, another opnum), call ids that do not increase, stubs and
 * alloc_hints over the limit and PDUs a client never sends; it must answer
 * an orphaned call's remains with silence and an unknown context with a
 * fault while going on.  Binds: NDR64 and bind-time feature negotiation
 * refused, NDR 2.0 chosen, fragment sizes and association group
 * negotiated, a context id that keeps its interface, a second bind and an
 * unknown auth_type answered by bind_nak.  Conversations through both sides
 * are in rpc_conn.c.
 */
#include "translators/wmi/rpc_conn.h"

#include "../test.h"
#include "rpc_pdus.h"

static struct wmgw_rpc_syntax iface_a, iface_b;

static struct wmgw_rpc_conn *raw_server(size_t max_stub)
{
    struct wmgw_rpc_conn_config sc = {0};
    struct wmgw_rpc_conn *s;
    sc.server = true;
    sc.max_stub = max_stub;
    CHECK_INT(wmgw_rpc_conn_new(&sc, &s, NULL), 0);
    return s;
}


/* Feeds PDUs to a bound server; the last must fail with EPROTO naming
 * needle, with a fault nca_proto_error queued. */
static void server_refuses(const struct wmgw_rpc_pdu *pdus, size_t n, const char *needle, size_t max_stub)
{
    struct wmgw_rpc_conn *s = raw_server(max_stub);
    struct wmgw_rpc_pdu b = bind_pdu(WMGW_RPC_BIND, 1, 0, &iface_a);
    feed_pdu(s, &b);
    for (size_t i = 0; i < n; i++)
        feed_pdu(s, &pdus[i]);
    struct wmgw_rpc_event ev;
    struct wmgw_err err;
    int rc;
    while ((rc = wmgw_rpc_conn_poll(s, &ev, &err)) == 1)
        CHECK_INT(wmgw_rpc_conn_respond(s, ev.call_id, NULL, 0, NULL), 0);
    CHECK_INT(rc, WMGW_EPROTO);
    if (strstr(err.message, needle) == NULL) {
        fprintf(stderr, "  \"%s\" lacks \"%s\"\n", err.message, needle);
        CHECK(!"message names the problem");
    }
    struct wmgw_rpc_pdu f;
    last_output(s, &f);
    CHECK_INT(f.ptype, WMGW_RPC_FAULT);
    CHECK_INT(f.status, WMGW_RPC_FAULT_PROTO_ERROR);
    wmgw_rpc_conn_free(s);
}

static void test_reassembly_refusals(void)
{
    const uint8_t F = WMGW_RPC_PFC_FIRST_FRAG, L = WMGW_RPC_PFC_LAST_FRAG;
    struct wmgw_rpc_pdu p[3];
    p[0] = req_pdu(2, L, "tail");
    server_refuses(p, 1, "without PFC_FIRST_FRAG", 0);
    p[0] = req_pdu(2, F, "head");
    p[1] = req_pdu(3, F | L, "again");
    server_refuses(p, 2, "PFC_FIRST_FRAG while call_id 2", 0);
    p[1] = req_pdu(3, L, "other call");
    server_refuses(p, 2, "call_id 3 inside call_id 2", 0);
    p[1] = req_pdu(2, L, "new opnum");
    p[1].opnum = 9;
    server_refuses(p, 2, "differ between fragments", 0);
    p[0] = req_pdu(5, F | L, "one");
    p[1] = req_pdu(4, F | L, "older");
    server_refuses(p, 2, "does not increase", 0);
    p[0] = req_pdu(2, F, "0123456789");
    p[1] = req_pdu(2, 0, "0123456789");
    p[2] = req_pdu(2, L, "0123456789");
    server_refuses(p, 3, "exceeds the 25-byte limit", 25);
    p[0] = req_pdu(2, F | L, "x");
    p[0].alloc_hint = 1000;
    server_refuses(p, 1, "alloc_hint 1000", 100);
    /* a response sent to a server */
    p[0].ptype = WMGW_RPC_RESPONSE;
    server_refuses(p, 1, "unexpected response", 0);

    /* the same fragments in order are fine, even with a huge alloc_hint inside the limit */
    struct wmgw_rpc_conn *s = raw_server(0);
    struct wmgw_rpc_pdu b = bind_pdu(WMGW_RPC_BIND, 1, 0, &iface_a);
    feed_pdu(s, &b);
    p[0] = req_pdu(2, F, "0123");
    p[0].alloc_hint = 4000;
    p[1] = req_pdu(2, 0, "4567");
    p[2] = req_pdu(2, L, "89");
    for (int i = 0; i < 3; i++)
        feed_pdu(s, &p[i]);
    struct wmgw_rpc_event ev;
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, NULL), 1);
    CHECK(ev.stub_len == 10 && memcmp(ev.stub, "0123456789", 10) == 0);
    /* no more input is read until the request is answered */
    p[0] = req_pdu(3, F | L, "next");
    feed_pdu(s, &p[0]);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, NULL), 0);
    CHECK_INT(wmgw_rpc_conn_respond(s, 99, NULL, 0, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_rpc_conn_respond(s, 2, NULL, 0, NULL), 0);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, NULL), 1);
    CHECK_INT(ev.call_id, 3);
    CHECK_INT(wmgw_rpc_conn_respond(s, 3, NULL, 0, NULL), 0);
    /* an orphaned call is dropped; an unknown context is a fault, not the end */
    p[0] = req_pdu(4, F, "half");
    feed_pdu(s, &p[0]);
    struct wmgw_rpc_pdu o;
    memset(&o, 0, sizeof(o));
    o.ptype = WMGW_RPC_ORPHANED;
    o.flags = 3;
    o.call_id = 4;
    feed_pdu(s, &o);
    p[0] = req_pdu(5, F | L, "ctx");
    p[0].cont_id = 7;
    feed_pdu(s, &p[0]);
    o.ptype = WMGW_RPC_CO_CANCEL;
    feed_pdu(s, &o);
    p[0] = req_pdu(6, F | L, "ok");
    feed_pdu(s, &p[0]);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, NULL), 1);
    CHECK_INT(ev.call_id, 6);
    struct wmgw_rpc_pdu f;
    last_output(s, &f);
    CHECK_INT(f.ptype, WMGW_RPC_FAULT);
    CHECK_INT(f.call_id, 5);
    CHECK_INT(f.status, WMGW_RPC_FAULT_UNKNOWN_IF);
    wmgw_rpc_conn_free(s);
}

static void test_bind_negotiation(void)
{
    struct wmgw_rpc_conn *s = raw_server(0);
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    /* NDR64 only, then NDR64 + NDR 2.0, then bind-time feature negotiation */
    struct wmgw_rpc_pdu b = bind_pdu(WMGW_RPC_BIND, 1, 0, &iface_a);
    b.n_ctx = 3;
    struct wmgw_rpc_syntax ndr64 = {{{0}}, 1, 0}, btfn = {{{0}}, 1, 0};
    wmgw_uuid_parse(&ndr64.uuid, "71710533-beba-4937-8319-b5dbef9ccc36", NULL);
    wmgw_uuid_parse(&btfn.uuid, "6cb71c2c-9812-4540-0300-000000000000", NULL);
    b.ctx[0] = (struct wmgw_rpc_ctx_elem){0, 1, iface_a, {ndr64}};
    b.ctx[1] = (struct wmgw_rpc_ctx_elem){1, 2, iface_a, {ndr64, wmgw_rpc_ndr20}};
    b.ctx[2] = (struct wmgw_rpc_ctx_elem){2, 1, iface_a, {btfn}};
    b.max_recv_frag = 2000;
    b.assoc_group_id = 0x77;
    feed_pdu(s, &b);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), 0);
    struct wmgw_rpc_pdu a;
    last_output(s, &a);
    CHECK_INT(a.ptype, WMGW_RPC_BIND_ACK);
    CHECK_INT(a.n_ctx, 3);
    CHECK(a.results[0].result == 2 && a.results[0].reason == 2);
    CHECK(a.results[1].result == 0 && a.results[1].transfer.major == 2);
    CHECK(a.results[2].result == 2);
    CHECK_INT(a.max_xmit_frag, 2000);
    CHECK_INT(a.assoc_group_id, 0x77);
    CHECK_INT(wmgw_rpc_conn_max_xmit(s), 2000);
    /* a context id keeps its interface; an unknown interface is refused */
    wmgw_rpc_conn_add_iface(s, &iface_a);
    struct wmgw_rpc_pdu alt = bind_pdu(WMGW_RPC_ALTER_CONTEXT, 2, 1, &iface_b);
    feed_pdu(s, &alt);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), 0);
    last_output(s, &a);
    CHECK(a.ptype == WMGW_RPC_ALTER_CONTEXT_RESP && a.results[0].result == 2 && a.results[0].reason == 1);
    wmgw_rpc_conn_add_iface(s, &iface_b);
    feed_pdu(s, &alt);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), 0);
    last_output(s, &a);
    CHECK(a.results[0].result == 2 && a.results[0].reason == 0);
    /* a second bind: bind_nak and the end */
    feed_pdu(s, &b);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), WMGW_EPROTO);
    last_output(s, &a);
    CHECK_INT(a.ptype, WMGW_RPC_BIND_NAK);
    wmgw_rpc_conn_free(s);

    /* an auth_type the server does not know: bind_nak 8 */
    s = raw_server(0);
    b = bind_pdu(WMGW_RPC_BIND, 1, 0, &iface_a);
    b.has_auth = true;
    b.auth = (struct wmgw_rpc_auth){10, 6, 0, 0, 1, (const uint8_t *)"NTLMSSP", 8};
    feed_pdu(s, &b);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), WMGW_EPROTO);
    last_output(s, &a);
    CHECK(a.ptype == WMGW_RPC_BIND_NAK && a.reject_reason == WMGW_RPC_NAK_AUTH_TYPE);
    wmgw_rpc_conn_free(s);
}

int main(void)
{
    wmgw_uuid_parse(&iface_a.uuid, "000001a0-0000-0000-c000-000000000046", NULL);
    wmgw_uuid_parse(&iface_b.uuid, "f309ad18-d86a-11d0-a075-00c04fb68820", NULL);
    WMGW_TEST_RUN(test_reassembly_refusals);
    WMGW_TEST_RUN(test_bind_negotiation);
    return WMGW_TEST_DONE();
}
