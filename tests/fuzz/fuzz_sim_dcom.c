/*
 * fuzz_sim_dcom: arbitrary bytes as the input of a DCOM connection to a
 * simulated host (tests/sim/dcom_*.c): the RPC server connection
 * (translators/wmi rpc_conn, rpc_ntlm), dispatch by interface and IPID,
 * activation, the OXID resolver, IRemUnknown and every IWbem* call down to
 * the store, the query engine, the method behaviours and the MS-WMIO codec.
 * One host is loaded from the fixtures once; its DCOM objects are made
 * afresh for every input (and the store reloaded every 500 inputs), so
 * memory stays flat.
 *
 * Byte 0 of an input:
 *   bit 0   the activation port (1) or the object exporter's endpoint (0)
 *   bit 1   0: raw -- the rest is fed to the server as received bytes
 *              (binds, auth legs, requests, anything), without a handshake;
 *           1: authenticated -- an in-process NTLM client (user alice)
 *              binds first at the level of bits 2-3 (0 CONNECT,
 *              1 PKT_INTEGRITY, else PKT_PRIVACY), then the rest is records,
 *              each one signed or sealed request:
 *                [iface u8][opnum u8][object u8][len u16 LE][stub]
 *              iface: the port's interfaces by index (alter_context when
 *              it changes); object: 0 the host's IRemUnknown, k its k-th
 *              object (1 IWbemLevel1Login, 2 IWbemServices root/cimv2,
 *              3 IWbemServices root/test, 4 an IEnumWbemClassObject over
 *              Win32_Service, then what earlier records made), 255 none.
 * Seeds: tests/fuzz/corpus/fuzz_sim_dcom (impacket's own requests, recorded
 * against wmsim by tests/fuzz/corpus/fuzz_sim_dcom/README).
 */
#include "tests/sim/dcom.h"
#include "tests/sim/host.h"
#include "tests/sim/store.h"
#include "translators/wmi/dcom_ids.h"
#include "translators/wmi/wmi_calls.h"

#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS 64
#define FEED 4096 /* raw input goes in in pieces, as from a socket */

static struct sim_fleet fleet;
static struct sim_host host;
static struct sim_dcom_port ports[2]; /* endpoint, activation */
static const struct wmgw_ntlm_client_config alice = {.user = "alice", .domain = "WORKGROUP", .password = "Secret-1",
                                                     .workstation = "FUZZ"};
static const struct wmgw_rpc_ntlm_config client_sec = {&alice, NULL};
static unsigned inputs;

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    fleet.fixtures_dir = getenv("WMSIM_FIXTURES") ? getenv("WMSIM_FIXTURES") : WMSIM_DEFAULT_FIXTURES;
    fleet.bench_instances = 50;
    struct wmgw_err err;
    if (sim_fleet_add_user(&fleet, "alice:Secret-1", &err) != 0)
        abort();
    host.name = strdup("WMSIM-01");
    host.number = 1;
    host.address = strdup("127.0.0.1");
    host.port = 5985;
    host.dcom_port = 135;
    host.dcom_endpoint = 49700;
    host.plan.fail_fault = -1;
    if (sim_host_load(&host, &fleet, &err) != 0)
        abort();
    sim_dcom_port_init(&ports[0], &fleet, &host, false, host.dcom_endpoint);
    sim_dcom_port_init(&ports[1], &fleet, &host, true, host.dcom_port);
    return 0;
}

/* The objects records name: made the way clients make them. */
static void make_objects(void)
{
    sim_dcom_host_dispose(&host);
    struct sim_dcom_obj *login = sim_dcom_obj_new(&host, SIM_DCOM_LOGIN, &wmgw_dcom_iid_iwbem_level1_login);
    struct sim_dcom_obj *cimv2 = sim_dcom_obj_new(&host, SIM_DCOM_SERVICES, &wmgw_dcom_iid_iwbem_services);
    struct sim_dcom_obj *test = sim_dcom_obj_new(&host, SIM_DCOM_SERVICES, &wmgw_dcom_iid_iwbem_services);
    if (login == NULL || cimv2 == NULL || test == NULL || (cimv2->ns = strdup("root/cimv2")) == NULL ||
        (test->ns = strdup("root/test")) == NULL)
        abort();
    /* an enumerator, through ExecQuery as a request would make it */
    struct wmgw_buf stub;
    wmgw_buf_init(&stub, 4096);
    struct wmgw_wmi_query_req q = {.language = "WQL", .query = "SELECT * FROM Win32_Service"};
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    struct wmgw_rpc_syntax syn = wmgw_dcom_syntax(&wmgw_dcom_iid_iwbem_services);
    if (wmgw_wmi_query_req_encode(&stub, &q, NULL) != 0)
        abort();
    struct wmgw_rpc_event ev = {.kind = WMGW_RPC_EV_REQUEST, .opnum = WMGW_WMI_OP_EXEC_QUERY, .iface = &syn,
                                .has_object = true, .object = cimv2->ifaces[0].ipid,
                                .stub = (const uint8_t *)stub.data, .stub_len = stub.len,
                                .auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY};
    struct sim_dcom_call call;
    memset(&call, 0, sizeof(call));
    call.host = &host;
    call.ev = &ev;
    wmgw_buf_init(&call.out, 1 << 20);
    sim_dcom_dispatch(&call);
    if (call.fault != 0 || call.hr != 0)
        abort();
    wmgw_buf_dispose(&call.out);
    wmgw_buf_dispose(&stub);
}

/* Answers what the server hands out; its output is dropped.  <0 when the
 * connection is over. */
static int serve(const struct sim_dcom_port *p, struct wmgw_rpc_conn *srv)
{
    for (;;) {
        struct wmgw_rpc_event ev;
        struct wmgw_err err;
        int rc = wmgw_rpc_conn_poll(srv, &ev, &err);
        if (rc <= 0)
            return rc;
        if (ev.kind == WMGW_RPC_EV_REQUEST) {
            struct sim_dcom_reply r;
            sim_dcom_answer(p, srv, &ev, &r);
            if (r.close)
                return -1;
        }
    }
}

static void raw(const struct sim_dcom_port *p, const uint8_t *data, size_t size)
{
    struct wmgw_rpc_conn *srv;
    struct wmgw_err err;
    if (sim_dcom_conn_new(p, &srv, &err) != 0)
        abort();
    for (size_t at = 0; at < size;) {
        size_t n = size - at < FEED ? size - at : FEED;
        if (wmgw_rpc_conn_feed(srv, data + at, n, &err) != 0 || serve(p, srv) < 0)
            break;
        at += n;
        const uint8_t *out;
        size_t len;
        wmgw_rpc_conn_output(srv, &out, &len);
        wmgw_rpc_conn_consume(srv, len);
    }
    wmgw_rpc_conn_free(srv);
}

/* Moves bytes both ways until the client reports something: 1 and *ev, or
 * <0 when either side is finished. */
static int exchange(const struct sim_dcom_port *p, struct wmgw_rpc_conn *cli, struct wmgw_rpc_conn *srv,
                    struct wmgw_rpc_event *ev)
{
    struct wmgw_err err;
    for (int round = 0; round < 64; round++) {
        int rc = wmgw_rpc_conn_poll(cli, ev, &err);
        if (rc != 0)
            return rc;
        const uint8_t *out;
        size_t len;
        wmgw_rpc_conn_output(cli, &out, &len);
        if (len > 0 && wmgw_rpc_conn_feed(srv, out, len, &err) != 0)
            return -1;
        wmgw_rpc_conn_consume(cli, len);
        bool over = serve(p, srv) < 0;
        wmgw_rpc_conn_output(srv, &out, &len);
        if (len > 0 && wmgw_rpc_conn_feed(cli, out, len, &err) != 0)
            return -1;
        wmgw_rpc_conn_consume(srv, len);
        if (over && len == 0)
            return -1;
    }
    return -1;
}

static const struct wmgw_uuid *object_of(uint8_t k, struct wmgw_uuid *scratch)
{
    struct sim_dcom *d = sim_dcom_of(&host);
    if (k == 255 || d == NULL)
        return NULL;
    if (k == 0)
        return &d->ipid_rem_unknown;
    if (d->n > 0)
        return &d->objs[(k - 1) % d->n]->ifaces[0].ipid;
    memset(scratch, k, sizeof(*scratch));
    return scratch;
}

static void authenticated(const struct sim_dcom_port *p, uint8_t level, const uint8_t *data, size_t size)
{
    static const uint8_t levels[] = {WMGW_RPC_AUTHN_LEVEL_CONNECT, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY,
                                     WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY};
    struct wmgw_rpc_conn_config cc = {.sec = &wmgw_rpc_ntlm_ops, .sec_cfg = &client_sec, .auth_level = levels[level & 3]};
    struct wmgw_rpc_conn *cli = NULL, *srv = NULL;
    struct wmgw_err err;
    if (wmgw_rpc_conn_new(&cc, &cli, &err) != 0 || sim_dcom_conn_new(p, &srv, &err) != 0)
        abort();
    int bound_iface = -1;
    uint16_t cont = 0;
    for (unsigned r = 0; r < MAX_RECORDS && size >= 5; r++) {
        uint8_t iface = data[0], opnum = data[1], object = data[2];
        size_t len = (size_t)data[3] | (size_t)data[4] << 8;
        data += 5;
        size -= 5;
        if (len > size)
            len = size;
        const struct wmgw_uuid *iid = NULL;
        for (size_t n = 0; sim_dcom_port_iface(p, n) != NULL; n++)
            if (n == iface % 8)
                iid = sim_dcom_port_iface(p, n);
        if (iid == NULL)
            iid = &wmgw_dcom_iid_iwbem_services;
        struct wmgw_rpc_event ev;
        if ((int)(iface % 8) != bound_iface) {
            struct wmgw_rpc_syntax s = wmgw_dcom_syntax(iid);
            if (wmgw_rpc_conn_bind(cli, &s, &cont, &err) != 0 || exchange(p, cli, srv, &ev) != 1 ||
                ev.kind != WMGW_RPC_EV_BOUND)
                break;
            bound_iface = iface % 8;
        }
        struct wmgw_uuid scratch;
        uint32_t call_id;
        if (wmgw_rpc_conn_request(cli, cont, opnum, object_of(object, &scratch), data, len, &call_id, &err) != 0 ||
            exchange(p, cli, srv, &ev) != 1 ||
            (ev.kind != WMGW_RPC_EV_RESPONSE && ev.kind != WMGW_RPC_EV_FAULT))
            break;
        data += len;
        size -= len;
    }
    wmgw_rpc_conn_free(cli);
    wmgw_rpc_conn_free(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (++inputs % 500 == 0) {
        struct wmgw_err err;
        if (sim_host_reset(&host, &fleet, &err) != 0)
            abort();
    }
    make_objects();
    const struct sim_dcom_port *p = &ports[data[0] & 1];
    if (data[0] & 2)
        authenticated(p, (uint8_t)(data[0] >> 2), data + 1, size - 1);
    else
        raw(p, data + 1, size - 1);
    return 0;
}
