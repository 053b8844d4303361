/*
 * dcom_conn.c: one DCOM connection of a simulated host without its
 * socket (dcom.h): the translators/wmi rpc_conn a port's connections get
 * (server role, NTLM against the fleet's users, the interfaces the port
 * offers) and the answer to one request, with the host's control plan
 * applied and counted.  dcom_server.c puts these on TCP sockets of the h2o
 * loop; tests/fuzz/fuzz_sim_dcom.c drives them from memory.
 *
 * Levels: the activation port takes unauthenticated binds (ServerAlive2 is
 * for anyone; activation and the resolver check their own level); the
 * object exporter's endpoint refuses calls below CONNECT in the RPC layer.
 * NTLM itself asks for no more than CONNECT: the RPC level the client
 * binds at decides signing and sealing.
 */
#include "tests/sim/dcom.h"
#include "tests/sim/security.h"
#include "translators/wmi/dcom_ids.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int sim_dcom_lookup_user(void *fleet, const char *user, const char *domain, struct wmgw_ntlm_credential *cred)
{
    (void)domain; /* every simulated user is a local account of every host */
    const struct sim_fleet *f = fleet;
    for (size_t i = 0; i < f->nusers; i++) {
        if (strcasecmp(f->users[i].name, user) != 0)
            continue;
        size_t n = strlen(f->users[i].password);
        if (n >= sizeof(cred->password))
            return WMGW_EINVAL;
        memcpy(cred->password, f->users[i].password, n + 1);
        return 0;
    }
    return WMGW_ENOTFOUND;
}

void sim_dcom_port_init(struct sim_dcom_port *p, struct sim_fleet *f, struct sim_host *h, bool activation,
                        uint16_t port)
{
    memset(p, 0, sizeof(*p));
    p->host = h;
    p->activation = activation;
    snprintf(p->port_text, sizeof(p->port_text), "%u", port);
    p->ntlm.nb_computer = h->name;
    p->ntlm.level = WMGW_NTLM_LEVEL_CONNECT;
    p->ntlm.lookup = sim_dcom_lookup_user;
    p->ntlm.lookup_arg = f;
    p->sec.server = &p->ntlm;
}

static const struct wmgw_uuid *const activation_ifaces[] = {&wmgw_dcom_iid_iremote_scm_activator,
                                                           &wmgw_dcom_iid_iobject_exporter};
static const struct wmgw_uuid *const endpoint_ifaces[] = {
    &wmgw_dcom_iid_iremunknown,           &wmgw_dcom_iid_iremunknown2,   &wmgw_dcom_iid_iwbem_level1_login,
    &wmgw_dcom_iid_iwbem_login_client_id, &wmgw_dcom_iid_iwbem_services, &wmgw_dcom_iid_ienum_wbem_class_object,
    &wmgw_dcom_iid_iwbem_call_result};

const struct wmgw_uuid *sim_dcom_port_iface(const struct sim_dcom_port *p, size_t i)
{
    size_t n = p->activation ? sizeof(activation_ifaces) / sizeof(activation_ifaces[0])
                             : sizeof(endpoint_ifaces) / sizeof(endpoint_ifaces[0]);
    return i < n ? (p->activation ? activation_ifaces : endpoint_ifaces)[i] : NULL;
}

int sim_dcom_conn_new(const struct sim_dcom_port *p, struct wmgw_rpc_conn **out, struct wmgw_err *err)
{
    struct wmgw_rpc_conn_config cfg = {
        .server = true,
        .assoc_group_id = 0x1000 + (uint32_t)p->host->number,
        .sec_addr = p->port_text,
        .sec = &wmgw_rpc_ntlm_ops,
        .sec_cfg = &p->sec,
        .auth_level = p->activation ? WMGW_RPC_AUTHN_LEVEL_NONE : WMGW_RPC_AUTHN_LEVEL_CONNECT,
        .max_sec_contexts = 32, /* impacket opens one with every alter_context */
    };
    int rc = wmgw_rpc_conn_new(&cfg, out, err);
    const struct wmgw_uuid *iid;
    for (size_t i = 0; rc == 0 && (iid = sim_dcom_port_iface(p, i)) != NULL; i++) {
        struct wmgw_rpc_syntax s = wmgw_dcom_syntax(iid);
        wmgw_rpc_conn_add_iface(*out, &s);
    }
    return rc;
}

static bool is_wbem(const struct wmgw_uuid *iid)
{
    return wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_level1_login) || wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_services) ||
           wmgw_uuid_eq(iid, &wmgw_dcom_iid_ienum_wbem_class_object) ||
           wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_call_result);
}

void sim_dcom_answer(const struct sim_dcom_port *p, struct wmgw_rpc_conn *rpc, const struct wmgw_rpc_event *ev,
                     struct sim_dcom_reply *r)
{
    struct sim_host *h = p->host;
    struct sim_plan *plan = &h->plan;
    struct sim_dcom_call call;
    memset(r, 0, sizeof(*r));
    memset(&call, 0, sizeof(call));
    call.host = h;
    call.ev = ev;
    call.activation_port = p->activation;
    call.counter = -1;
    wmgw_buf_init(&call.out, WMGW_RPC_DEFAULT_MAX_STUB);
    wmgw_err_clear(&call.err);
    const struct wmgw_ntlm_identity *who = ev->sec_ctx ? wmgw_rpc_ntlm_identity(ev->sec_ctx) : NULL;
    if (who != NULL)
        snprintf(call.user, sizeof(call.user), "%s\\%s", who->domain, who->user);
    /* Whose rights the call's namespace checks are against (security.h). */
    sim_security_set_caller(h->fleet, call.user[0] ? call.user : NULL);
    h->counters.dcom_calls++;
    /* Injected failures are WMI's: they hit the IWbem* calls, not
     * activation, pings or reference counting. */
    if (plan->fail_count > 0 && !p->activation && is_wbem(&ev->iface->uuid)) {
        plan->fail_count--;
        if (plan->fail_http_status > 0)
            call.fault = plan->fail_http_status == 503 ? SIM_DCOM_RPC_S_SERVER_TOO_BUSY : SIM_DCOM_RPC_S_CALL_FAILED;
        else
            call.inject = plan->fail_hresult ? plan->fail_hresult : sim_dcom_fault_hresult(plan->fail_fault);
    }
    if (call.fault == 0)
        sim_dcom_dispatch(&call);
    struct wmgw_err err;
    int rc = call.fault ? wmgw_rpc_conn_fault(rpc, ev->call_id, call.fault, &err)
                        : wmgw_rpc_conn_respond(rpc, ev->call_id, (const uint8_t *)call.out.data, call.out.len, &err);
    if (rc != 0 && !call.fault) { /* a reply too big for the RPC layer */
        call.fault = SIM_DCOM_RPC_S_CALL_FAILED;
        rc = wmgw_rpc_conn_fault(rpc, ev->call_id, call.fault, &err);
    }
    r->close = rc != 0;
    if (call.counter >= 0 && call.counter < 32)
        h->counters.dcom_by_call[call.counter]++;
    if (call.fault != 0 || (call.hr & 0x80000000u))
        h->counters.dcom_faults++;
    if (p->verbose)
        fprintf(stderr, "wmsim: %s dcom %s (opnum %u) -> %s 0x%08x%s%s\n", h->name,
                call.counter >= 0 ? sim_dcom_call_names[call.counter] : "?", ev->opnum, call.fault ? "fault" : "hr",
                call.fault ? call.fault : call.hr, call.err.message[0] ? ": " : "", call.err.message);
    wmgw_buf_dispose(&call.out);
    if (plan->garbage_count > 0) {
        plan->garbage_count--;
        r->garbage = true;
    } else if (plan->drop_count > 0) {
        plan->drop_count--;
        r->cut = true;
    }
    r->delay_ms = plan->latency_ms + call.wait_ms;
}
