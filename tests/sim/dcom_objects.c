/*
 * dcom_objects.c: each simulated host's DCOM object exporter (dcom.h).
 *
 * One OXID per host (its "WMI service process"), one IRemUnknown for it,
 * and a table of objects: an IWbemLevel1Login per activation, an
 * IWbemServices per NTLMLogin, an IEnumWbemClassObject per query, an
 * IWbemCallResult per call that asks for one.  Each object has an OID and
 * one IPID per interface it handed out.  A call reaches an object through
 * the IPID in its object UUID; a call to an IPID that is gone is the fault
 * RPC_E_DISCONNECTED, which clients (impacket among them) know.
 *
 * Lifetime as MS-DCOM 3.1.2.2 has it: references come with each interface
 * pointer (5, as Windows gives), RemAddRef and RemRelease count them and
 * the last release frees the object; an object that is neither called nor
 * pinged for three ping periods is collected (clients that never release,
 * impacket among them, would otherwise fill the table).  The table is
 * bounded: past SIM_DCOM_MAX_OBJECTS the least recently used enumerator or
 * call result goes first.
 *
 * Also here: dispatch by interface, activation
 * (IRemoteSCMActivator::RemoteCreateInstance) and IRemUnknown.
 */
#include "tests/sim/dcom.h"
#include "translators/wmi/dcom_activation.h"
#include "translators/wmi/dcom_remunknown.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

const char *const sim_dcom_call_names[] = {
    "RemoteCreateInstance", "ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2",
    "ServerAlive2", "RemQueryInterface", "RemAddRef", "RemRelease", "EstablishPosition", "NTLMLogin",
    "SetClientInfo", "GetObject", "PutInstance", "DeleteInstance", "ExecQuery", "ExecNotificationQuery",
    "CreateInstanceEnum", "ExecMethod", "Next", "Reset", "Skip", "Clone", "GetCallStatus", "GetResultObject",
    "Other", NULL};

int sim_dcom_call_index(const char *name)
{
    for (int i = 0; sim_dcom_call_names[i] != NULL; i++)
        if (strcmp(sim_dcom_call_names[i], name) == 0)
            return i;
    return sim_dcom_call_index("Other");
}

uint64_t sim_dcom_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t random64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull;
    return v;
}

struct sim_dcom *sim_dcom_of(struct sim_host *h)
{
    if (h->dcom != NULL)
        return h->dcom;
    struct sim_dcom *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->oxid = random64() | 1;
    d->next_oid = (random64() & 0xFFFFFFFF00000000ull) | 0x100;
    d->rem_unknown_oid = d->next_oid++;
    wmgw_uuid_random(&d->ipid_rem_unknown);
    d->next_set = 1;
    h->dcom = d;
    return d;
}

void sim_dcom_bindings(const struct sim_host *h, struct wmgw_ndr_dsa *d)
{
    memset(d, 0, sizeof(*d));
    /* Windows lists its NetBIOS name first, then its addresses; clients
     * pick the one that matches the host they asked for. */
    wmgw_dcom_dsa_add_tcp(d, h->name, h->dcom_endpoint, NULL);
    wmgw_dcom_dsa_add_tcp(d, h->address, h->dcom_endpoint, NULL);
    d->n_security = 1;
    d->security[0].authn_svc = WMGW_RPC_AUTHN_WINNT;
    d->security[0].reserved = 0xFFFF;
}

/* --- the object table --------------------------------------------------------- */

static void obj_free(struct sim_dcom_obj *o)
{
    if (o->en != NULL)
        sim_dcom_enum_free(o->en);
    free(o->ns);
    free(o);
}

static void remove_at(struct sim_dcom *d, size_t i)
{
    obj_free(d->objs[i]);
    d->objs[i] = d->objs[--d->n];
}

/* Collects what nobody called or pinged for three ping periods. */
static void collect(struct sim_dcom *d, uint64_t now)
{
    if (now - d->last_gc_ms < 10000)
        return;
    d->last_gc_ms = now;
    for (size_t i = 0; i < d->n;) {
        if (now - d->objs[i]->alive_ms > 3ull * SIM_DCOM_PING_PERIOD_MS)
            remove_at(d, i);
        else
            i++;
    }
}

static bool evict_one(struct sim_dcom *d)
{
    size_t best = d->n;
    for (size_t i = 0; i < d->n; i++) {
        const struct sim_dcom_obj *o = d->objs[i];
        if ((o->kind == SIM_DCOM_ENUM || o->kind == SIM_DCOM_CALL_RESULT) &&
            (best == d->n || o->alive_ms < d->objs[best]->alive_ms))
            best = i;
    }
    if (best == d->n)
        return false;
    remove_at(d, best);
    return true;
}

static int add_iface(struct sim_dcom_obj *o, const struct wmgw_uuid *iid)
{
    for (unsigned i = 0; i < o->n_ifaces; i++)
        if (wmgw_uuid_eq(&o->ifaces[i].iid, iid))
            return (int)i;
    if (o->n_ifaces == SIM_DCOM_MAX_IFACES)
        return -1;
    o->ifaces[o->n_ifaces].iid = *iid;
    wmgw_uuid_random(&o->ifaces[o->n_ifaces].ipid);
    return (int)o->n_ifaces++;
}

struct sim_dcom_obj *sim_dcom_obj_new(struct sim_host *h, enum sim_dcom_kind kind, const struct wmgw_uuid *iid)
{
    struct sim_dcom *d = sim_dcom_of(h);
    if (d == NULL)
        return NULL;
    uint64_t now = sim_dcom_now_ms();
    collect(d, now);
    if (d->n == SIM_DCOM_MAX_OBJECTS && !evict_one(d))
        return NULL;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        void *p = realloc(d->objs, cap * sizeof(*d->objs));
        if (p == NULL)
            return NULL;
        d->objs = p;
        d->cap = cap;
    }
    struct sim_dcom_obj *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    o->kind = kind;
    o->oid = d->next_oid++;
    o->refs = SIM_DCOM_PUBLIC_REFS;
    o->alive_ms = now;
    add_iface(o, iid);
    d->objs[d->n++] = o;
    return o;
}

static struct sim_dcom_obj *find_ipid(struct sim_dcom *d, const struct wmgw_uuid *ipid, int *iface)
{
    for (size_t i = 0; d != NULL && i < d->n; i++)
        for (unsigned k = 0; k < d->objs[i]->n_ifaces; k++)
            if (wmgw_uuid_eq(&d->objs[i]->ifaces[k].ipid, ipid)) {
                if (iface != NULL)
                    *iface = (int)k;
                return d->objs[i];
            }
    return NULL;
}

static void release(struct sim_dcom *d, struct sim_dcom_obj *o, uint32_t n)
{
    o->refs = n < o->refs ? o->refs - n : 0;
    if (o->refs > 0)
        return;
    for (size_t i = 0; i < d->n; i++)
        if (d->objs[i] == o) {
            remove_at(d, i);
            return;
        }
}

void sim_dcom_touch_oid(struct sim_host *h, uint64_t oid)
{
    struct sim_dcom *d = h->dcom;
    uint64_t now = sim_dcom_now_ms();
    for (size_t i = 0; d != NULL && i < d->n; i++)
        if (d->objs[i]->oid == oid)
            d->objs[i]->alive_ms = now;
}

static int iface_objref(struct sim_host *h, const struct sim_dcom_obj *o, unsigned k, struct wmgw_buf *out,
                        struct wmgw_err *err)
{
    struct wmgw_dcom_iref ir;
    struct wmgw_ndr_dsa resolver;
    memset(&ir, 0, sizeof(ir));
    ir.iid = o->ifaces[k].iid;
    ir.std.public_refs = SIM_DCOM_PUBLIC_REFS;
    ir.std.oxid = h->dcom->oxid;
    ir.std.oid = o->oid;
    ir.std.ipid = o->ifaces[k].ipid;
    /* saResAddr: where the OXID resolver is (the activation port) */
    memset(&resolver, 0, sizeof(resolver));
    wmgw_dcom_dsa_add_tcp(&resolver, h->address, h->dcom_port, NULL);
    resolver.n_security = 1;
    resolver.security[0].authn_svc = WMGW_RPC_AUTHN_WINNT;
    resolver.security[0].reserved = 0xFFFF;
    return wmgw_dcom_iref_format(&ir, &resolver, out, err);
}

int sim_dcom_objref(struct sim_host *h, const struct sim_dcom_obj *o, struct wmgw_buf *out, struct wmgw_err *err)
{
    return iface_objref(h, o, 0, out, err);
}

void sim_dcom_drop_enums(struct sim_host *h)
{
    struct sim_dcom *d = h->dcom;
    for (size_t i = 0; d != NULL && i < d->n;) {
        if (d->objs[i]->kind == SIM_DCOM_ENUM)
            remove_at(d, i);
        else
            i++;
    }
}

void sim_dcom_host_dispose(struct sim_host *h)
{
    struct sim_dcom *d = h->dcom;
    if (d == NULL)
        return;
    while (d->n > 0)
        remove_at(d, d->n - 1);
    free(d->objs);
    sim_dcom_sets_dispose(d);
    free(d);
    h->dcom = NULL;
}

/* Which interfaces each kind of object answers to (IUnknown: all). */
static bool supports(enum sim_dcom_kind kind, const struct wmgw_uuid *iid)
{
    if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iunknown))
        return true;
    switch (kind) {
    case SIM_DCOM_LOGIN:
        return wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_level1_login) ||
               wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_login_client_id);
    case SIM_DCOM_SERVICES:
        return wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_services);
    case SIM_DCOM_ENUM:
        return wmgw_uuid_eq(iid, &wmgw_dcom_iid_ienum_wbem_class_object);
    case SIM_DCOM_CALL_RESULT:
        return wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_call_result);
    }
    return false;
}

/* --- activation ------------------------------------------------------------------ */

static void activate(struct sim_dcom_call *call)
{
    const struct wmgw_rpc_event *ev = call->ev;
    struct sim_host *h = call->host;
    call->counter = sim_dcom_call_index("RemoteCreateInstance");
    if (ev->opnum != WMGW_DCOM_OP_REMOTE_CREATE_INSTANCE) {
        call->fault = ev->opnum == WMGW_DCOM_OP_REMOTE_GET_CLASS_OBJECT ? WMGW_HR_E_NOTIMPL : WMGW_RPC_FAULT_OP_RANGE;
        return;
    }
    /* Hardened Windows (CVE-2021-26414) activates only at PKT_INTEGRITY and up. */
    if (ev->auth_level < WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY) {
        call->fault = WMGW_RPC_FAULT_ACCESS_DENIED;
        return;
    }
    struct wmgw_dcom_activate_req q;
    if (wmgw_dcom_activate_req_decode(ev->stub, ev->stub_len, &q, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    struct wmgw_dcom_activate_resp a;
    memset(&a, 0, sizeof(a));
    struct wmgw_buf refs[WMGW_DCOM_ACT_MAX_IIDS];
    for (unsigned i = 0; i < WMGW_DCOM_ACT_MAX_IIDS; i++)
        wmgw_buf_init(&refs[i], 4096);
    struct sim_dcom_obj *o = NULL;
    if (q.act.com_major != WMGW_DCOM_COM_MAJOR) {
        a.hr = WMGW_HR_RPC_E_VERSION_MISMATCH;
    } else if (!wmgw_uuid_eq(&q.act.clsid, &wmgw_dcom_clsid_wbem_level1_login)) {
        a.hr = WMGW_HR_REGDB_E_CLASSNOTREG;
    } else if ((o = sim_dcom_obj_new(h, SIM_DCOM_LOGIN, &wmgw_dcom_iid_iwbem_level1_login)) == NULL) {
        a.hr = WMGW_HR_E_OUTOFMEMORY;
    } else {
        unsigned good = 0;
        o->refs = 0;
        a.has_act = true;
        a.act.n_ifaces = q.act.n_iids;
        for (unsigned i = 0; i < q.act.n_iids; i++) {
            struct wmgw_dcom_act_iface *f = &a.act.ifaces[i];
            int k = supports(SIM_DCOM_LOGIN, &q.act.iids[i]) ? add_iface(o, &q.act.iids[i]) : -1;
            f->iid = q.act.iids[i];
            if (k < 0 || iface_objref(h, o, (unsigned)k, &refs[i], &call->err) != 0) {
                f->hr = WMGW_HR_E_NOINTERFACE;
                continue;
            }
            f->ptr.objref = (const uint8_t *)refs[i].data;
            f->ptr.len = refs[i].len;
            o->refs += SIM_DCOM_PUBLIC_REFS;
            good++;
        }
        if (good == 0) {
            a.has_act = false;
            a.hr = WMGW_HR_E_NOINTERFACE;
            release(h->dcom, o, 0);
        } else {
            a.act.oxid = h->dcom->oxid;
            sim_dcom_bindings(h, &a.act.bindings);
            a.act.ipid_rem_unknown = h->dcom->ipid_rem_unknown;
            /* impacket calls the objects at the level of this hint: answer
             * the client's own level (at least PKT_INTEGRITY, checked above) */
            a.act.authn_hint = ev->auth_level;
            a.act.com_major = WMGW_DCOM_COM_MAJOR;
            a.act.com_minor = WMGW_DCOM_COM_MINOR;
            a.act.dest_ctx = WMGW_DCOM_MSHCTX_DIFFERENTMACHINE;
        }
    }
    call->hr = a.hr;
    if (wmgw_dcom_activate_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
    for (unsigned i = 0; i < WMGW_DCOM_ACT_MAX_IIDS; i++)
        wmgw_buf_dispose(&refs[i]);
}

/* --- IRemUnknown ------------------------------------------------------------------- */

static void rem_query_interface(struct sim_dcom_call *call, struct sim_dcom *d)
{
    struct wmgw_dcom_remqi_req q;
    struct wmgw_dcom_remqi_resp a;
    memset(&a, 0, sizeof(a));
    if (wmgw_dcom_remqi_req_decode(call->ev->stub, call->ev->stub_len, &q, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    struct sim_dcom_obj *o = find_ipid(d, &q.ipid, NULL);
    if (o == NULL) {
        a.hr = WMGW_HR_RPC_E_INVALID_OBJECT;
    } else {
        unsigned good = 0;
        o->alive_ms = sim_dcom_now_ms();
        a.n_results = q.n_iids;
        for (unsigned i = 0; i < q.n_iids; i++) {
            int k = supports(o->kind, &q.iids[i]) ? add_iface(o, &q.iids[i]) : -1;
            if (k < 0) {
                a.results[i].hr = WMGW_HR_E_NOINTERFACE;
                continue;
            }
            uint32_t refs = q.refs > 0 ? q.refs : 1;
            a.results[i].std.public_refs = refs;
            a.results[i].std.oxid = d->oxid;
            a.results[i].std.oid = o->oid;
            a.results[i].std.ipid = o->ifaces[k].ipid;
            o->refs += refs;
            good++;
        }
        a.hr = good > 0 ? 0 : WMGW_HR_E_NOINTERFACE;
    }
    call->hr = a.hr;
    if (wmgw_dcom_remqi_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
}

static void rem_refs(struct sim_dcom_call *call, struct sim_dcom *d, bool add)
{
    struct wmgw_dcom_remref_req q;
    if (wmgw_dcom_remref_req_decode(call->ev->stub, call->ev->stub_len, &q, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    struct wmgw_dcom_remaddref_resp a;
    memset(&a, 0, sizeof(a));
    a.n_results = q.n_refs;
    for (unsigned i = 0; i < q.n_refs; i++) {
        struct sim_dcom_obj *o = find_ipid(d, &q.refs[i].ipid, NULL);
        uint32_t n = q.refs[i].public_refs + q.refs[i].private_refs;
        if (o == NULL) {
            a.results[i] = WMGW_HR_CO_E_OBJNOTREG;
            a.hr = 1; /* S_FALSE: not every reference was counted */
        } else if (add) {
            o->refs += n < 0x10000 ? n : 0x10000; /* bounded: the count is the client's word */
            o->alive_ms = sim_dcom_now_ms();
        } else {
            release(d, o, n);
        }
    }
    call->hr = add ? a.hr : 0;
    int rc;
    if (add) {
        rc = wmgw_dcom_remaddref_resp_encode(&call->out, &a, &call->err);
    } else {
        struct wmgw_dcom_status_resp r = {{0}, 0}; /* RemRelease ignores what it does not know */
        rc = wmgw_dcom_status_resp_encode(&call->out, &r, &call->err);
    }
    if (rc != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
}

static void rem_unknown(struct sim_dcom_call *call, struct sim_dcom *d)
{
    switch (call->ev->opnum) {
    case WMGW_DCOM_OP_REM_QUERY_INTERFACE:
        call->counter = sim_dcom_call_index("RemQueryInterface");
        rem_query_interface(call, d);
        return;
    case WMGW_DCOM_OP_REM_ADD_REF:
        call->counter = sim_dcom_call_index("RemAddRef");
        rem_refs(call, d, true);
        return;
    case WMGW_DCOM_OP_REM_RELEASE:
        call->counter = sim_dcom_call_index("RemRelease");
        rem_refs(call, d, false);
        return;
    default: /* RemQueryInterface2 (IRemUnknown2 opnum 6) marshals interfaces in process */
        call->counter = sim_dcom_call_index("Other");
        call->fault = call->ev->opnum == WMGW_DCOM_OP_REM_QUERY_INTERFACE2 ? WMGW_HR_E_NOTIMPL
                                                                          : WMGW_RPC_FAULT_OP_RANGE;
    }
}

/* --- dispatch ---------------------------------------------------------------------- */

void sim_dcom_dispatch(struct sim_dcom_call *call)
{
    const struct wmgw_rpc_event *ev = call->ev;
    const struct wmgw_uuid *iid = &ev->iface->uuid;
    struct sim_dcom *d = sim_dcom_of(call->host);
    if (d == NULL) {
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
        return;
    }
    if (call->activation_port) {
        if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremote_scm_activator))
            activate(call);
        else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iobject_exporter))
            sim_dcom_exporter_call(call);
        else
            call->fault = WMGW_RPC_FAULT_UNKNOWN_IF;
        return;
    }
    /* The object exporter's endpoint: every call is ORPC, to an IPID. */
    if (!ev->has_object) {
        call->counter = sim_dcom_call_index("Other");
        call->fault = SIM_DCOM_RPC_E_DISCONNECTED;
        return;
    }
    if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremunknown) || wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremunknown2)) {
        if (!wmgw_uuid_eq(&ev->object, &d->ipid_rem_unknown)) {
            call->counter = sim_dcom_call_index("Other");
            call->fault = SIM_DCOM_RPC_E_DISCONNECTED;
            return;
        }
        rem_unknown(call, d);
        return;
    }
    int k = -1;
    struct sim_dcom_obj *o = find_ipid(d, &ev->object, &k);
    if (o == NULL) {
        call->counter = sim_dcom_call_index("Other");
        call->fault = SIM_DCOM_RPC_E_DISCONNECTED;
        return;
    }
    if (!wmgw_uuid_eq(&o->ifaces[k].iid, iid)) {
        call->counter = sim_dcom_call_index("Other");
        call->fault = WMGW_RPC_FAULT_UNKNOWN_IF; /* bound to another interface than the IPID's */
        return;
    }
    o->alive_ms = sim_dcom_now_ms();
    call->obj = o;
    call->iface = &o->ifaces[k];
    switch (o->kind) {
    case SIM_DCOM_LOGIN:
        sim_dcom_login_call(call);
        break;
    case SIM_DCOM_SERVICES:
        sim_dcom_services_call(call);
        break;
    case SIM_DCOM_ENUM:
        sim_dcom_enum_call(call);
        break;
    case SIM_DCOM_CALL_RESULT:
        sim_dcom_call_result_call(call);
        break;
    }
}
