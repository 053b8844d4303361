/*
 * dcom_exporter.c: IObjectExporter, the OXID resolver on a host's
 * activation port (MS-DCOM 3.1.2.5.1), server side: ResolveOxid (0),
 * SimplePing (1), ComplexPing (2), ServerAlive (3), ResolveOxid2 (4) and
 * ServerAlive2 (5), with their NDR written here (translators/wmi has the
 * ORPC stubs; these are plain RPC calls without ORPCTHIS).
 *
 * Ping sets keep objects alive (dcom_objects.c collects what is not pinged
 * for three periods).  Set ids stay below 65536: impacket copies the set id
 * into ComplexPing's 16-bit SequenceNum and fails on larger ones.
 */
#include "tests/sim/dcom.h"
#include "translators/wmi/dcom_activation.h"
#include "translators/wmi/ndr_dcom.h"

#include <stdlib.h>
#include <string.h>

#define OR_INVALID_OXID 1910u /* MS-DCOM 3.1.2.5.1.1 */
#define OR_INVALID_SET 1911u
#define MAX_SETS 256          /* per host; the oldest goes first */
#define MAX_SET_OIDS 4096
#define MAX_PING_ARGS 4096    /* OIDs added or removed in one ComplexPing */

void sim_dcom_sets_dispose(struct sim_dcom *d)
{
    for (size_t i = 0; i < d->n_sets; i++)
        free(d->sets[i].oids);
    free(d->sets);
    d->sets = NULL;
    d->n_sets = 0;
}

static struct sim_dcom_set *find_set(struct sim_dcom *d, uint64_t id)
{
    for (size_t i = 0; i < d->n_sets; i++)
        if (d->sets[i].id == id)
            return &d->sets[i];
    return NULL;
}

static struct sim_dcom_set *new_set(struct sim_dcom *d, uint64_t now)
{
    /* Sets not pinged for three periods are gone, as their objects. */
    for (size_t i = 0; i < d->n_sets;) {
        if (now - d->sets[i].pinged_ms > 3ull * SIM_DCOM_PING_PERIOD_MS || d->n_sets >= MAX_SETS) {
            free(d->sets[i].oids);
            d->sets[i] = d->sets[--d->n_sets];
        } else {
            i++;
        }
    }
    void *p = realloc(d->sets, (d->n_sets + 1) * sizeof(*d->sets));
    if (p == NULL)
        return NULL;
    d->sets = p;
    struct sim_dcom_set *s = &d->sets[d->n_sets++];
    memset(s, 0, sizeof(*s));
    do {
        s->id = d->next_set++;
        if (d->next_set == 0)
            d->next_set = 1;
    } while (s->id == 0 || find_set(d, s->id) != s);
    s->pinged_ms = now;
    return s;
}

static void touch_set(struct sim_host *h, struct sim_dcom_set *s, uint64_t now)
{
    s->pinged_ms = now;
    for (size_t i = 0; i < s->n; i++)
        sim_dcom_touch_oid(h, s->oids[i]);
}

/* Reads `n` OIDs of a [unique, size_is(n)] OID[] argument. */
static int read_oids(struct wmgw_ndr_reader *r, uint16_t n, uint64_t **out, const char *field)
{
    bool present;
    uint32_t max;
    *out = NULL;
    if (wmgw_ndr_get_unique(r, &present, field) || !present)
        return r->rc;
    if (wmgw_ndr_get_conformance(r, &max, MAX_PING_ARGS, 8, field))
        return r->rc;
    if (max != n)
        return wmgw_ndr_fail(r, field, "%u OIDs but max_count %u", n, max);
    *out = calloc(max ? max : 1, sizeof(**out));
    if (*out == NULL)
        return wmgw_ndr_fail(r, field, "out of memory");
    for (uint32_t i = 0; i < max; i++)
        wmgw_ndr_get_u64(r, &(*out)[i], field);
    return r->rc;
}

static void complex_ping(struct sim_dcom_call *call, struct sim_dcom *d, struct wmgw_ndr_reader *r,
                         struct wmgw_ndr_writer *w)
{
    uint64_t id, *add = NULL, *del = NULL;
    uint16_t seq, n_add, n_del;
    wmgw_ndr_get_u64(r, &id, "pSetId");
    wmgw_ndr_get_u16(r, &seq, "SequenceNum");
    wmgw_ndr_get_u16(r, &n_add, "cAddToSet");
    wmgw_ndr_get_u16(r, &n_del, "cDelFromSet");
    read_oids(r, n_add, &add, "AddToSet");
    read_oids(r, n_del, &del, "DelFromSet");
    if (r->rc != 0) {
        free(add);
        free(del);
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    uint64_t now = sim_dcom_now_ms();
    struct sim_dcom_set *s = id == 0 ? new_set(d, now) : find_set(d, id);
    uint32_t status = s == NULL ? (id == 0 ? SIM_DCOM_RPC_S_CALL_FAILED : OR_INVALID_SET) : 0;
    for (uint16_t i = 0; s != NULL && add != NULL && i < n_add; i++) {
        bool have = false;
        for (size_t k = 0; k < s->n && !have; k++)
            have = s->oids[k] == add[i];
        if (have || s->n >= MAX_SET_OIDS)
            continue;
        void *p = realloc(s->oids, (s->n + 1) * sizeof(*s->oids));
        if (p == NULL)
            break;
        s->oids = p;
        s->oids[s->n++] = add[i];
    }
    for (uint16_t i = 0; s != NULL && del != NULL && i < n_del; i++)
        for (size_t k = 0; k < s->n; k++)
            if (s->oids[k] == del[i]) {
                s->oids[k] = s->oids[--s->n];
                break;
            }
    if (s != NULL)
        touch_set(call->host, s, now);
    free(add);
    free(del);
    (void)seq; /* pings arrive in order on one connection; duplicates do no harm */
    wmgw_ndr_put_u64(w, s ? s->id : id);
    wmgw_ndr_put_u16(w, 0); /* pPingBackoffFactor */
    wmgw_ndr_put_u32(w, status);
    call->hr = status;
}

/* The bindings, IRemUnknown and hint of ResolveOxid(2). */
static void resolve(struct sim_dcom_call *call, struct sim_dcom *d, struct wmgw_ndr_reader *r,
                    struct wmgw_ndr_writer *w, bool v2)
{
    uint64_t oxid;
    uint16_t n;
    uint32_t max;
    wmgw_ndr_get_u64(r, &oxid, "pOxid");
    wmgw_ndr_get_u16(r, &n, "cRequestedProtseqs");
    wmgw_ndr_get_conformance(r, &max, 0x8000, 2, "arRequestedProtseqs");
    for (uint32_t i = 0; r->rc == 0 && i < max; i++) {
        uint16_t p;
        wmgw_ndr_get_u16(r, &p, "arRequestedProtseqs");
    }
    if (r->rc != 0 || max != n) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    uint32_t status = oxid == d->oxid ? 0 : OR_INVALID_OXID;
    struct wmgw_ndr_dsa dsa;
    sim_dcom_bindings(call->host, &dsa);
    wmgw_ndr_put_unique(w, status == 0);
    if (status == 0)
        wmgw_ndr_put_dsa(w, &dsa);
    struct wmgw_uuid nil = {{0}};
    wmgw_ndr_put_uuid(w, status == 0 ? &d->ipid_rem_unknown : &nil);
    wmgw_ndr_put_u32(w, status == 0 ? call->ev->auth_level : 0); /* pAuthnHint */
    if (v2) {
        wmgw_ndr_put_u16(w, WMGW_DCOM_COM_MAJOR);
        wmgw_ndr_put_u16(w, WMGW_DCOM_COM_MINOR);
    }
    wmgw_ndr_put_u32(w, status);
    call->hr = status;
}

void sim_dcom_exporter_call(struct sim_dcom_call *call)
{
    static const char *const names[] = {"ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2",
                                        "ServerAlive2"};
    const struct wmgw_rpc_event *ev = call->ev;
    struct sim_dcom *d = sim_dcom_of(call->host);
    if (ev->opnum > WMGW_DCOM_OP_SERVER_ALIVE2) {
        call->counter = sim_dcom_call_index("Other");
        call->fault = WMGW_RPC_FAULT_OP_RANGE;
        return;
    }
    call->counter = sim_dcom_call_index(names[ev->opnum]);
    bool alive = ev->opnum == WMGW_DCOM_OP_SERVER_ALIVE || ev->opnum == WMGW_DCOM_OP_SERVER_ALIVE2;
    if (!alive && ev->auth_level < WMGW_RPC_AUTHN_LEVEL_CONNECT) {
        call->fault = WMGW_RPC_FAULT_ACCESS_DENIED; /* only "are you there" is for anyone */
        return;
    }
    struct wmgw_ndr_reader r;
    struct wmgw_ndr_writer w;
    wmgw_ndr_reader_init(&r, ev->stub, ev->stub_len, &call->err);
    wmgw_ndr_writer_init(&w, &call->out, &call->err);
    switch (ev->opnum) {
    case WMGW_DCOM_OP_RESOLVE_OXID:
    case WMGW_DCOM_OP_RESOLVE_OXID2:
        resolve(call, d, &r, &w, ev->opnum == WMGW_DCOM_OP_RESOLVE_OXID2);
        break;
    case WMGW_DCOM_OP_SIMPLE_PING: {
        uint64_t id;
        if (wmgw_ndr_get_u64(&r, &id, "pSetId") != 0) {
            call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
            return;
        }
        struct sim_dcom_set *s = find_set(d, id);
        if (s != NULL)
            touch_set(call->host, s, sim_dcom_now_ms());
        call->hr = s ? 0 : OR_INVALID_SET;
        wmgw_ndr_put_u32(&w, call->hr);
        break;
    }
    case WMGW_DCOM_OP_COMPLEX_PING:
        complex_ping(call, d, &r, &w);
        break;
    case WMGW_DCOM_OP_SERVER_ALIVE:
        wmgw_ndr_put_u32(&w, 0);
        break;
    case WMGW_DCOM_OP_SERVER_ALIVE2: {
        struct wmgw_ndr_dsa dsa;
        /* the resolver's own bindings: this (activation) port */
        memset(&dsa, 0, sizeof(dsa));
        wmgw_dcom_dsa_add_tcp(&dsa, call->host->name, call->host->dcom_port, NULL);
        wmgw_dcom_dsa_add_tcp(&dsa, call->host->address, call->host->dcom_port, NULL);
        dsa.n_security = 1;
        dsa.security[0].authn_svc = WMGW_RPC_AUTHN_WINNT;
        dsa.security[0].reserved = 0xFFFF;
        wmgw_ndr_put_u16(&w, WMGW_DCOM_COM_MAJOR);
        wmgw_ndr_put_u16(&w, WMGW_DCOM_COM_MINOR);
        wmgw_ndr_put_unique(&w, true);
        wmgw_ndr_put_dsa(&w, &dsa);
        wmgw_ndr_put_u32(&w, 0); /* pReserved */
        wmgw_ndr_put_u32(&w, 0);
        break;
    }
    }
    if (call->fault == 0 && w.rc != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
}
