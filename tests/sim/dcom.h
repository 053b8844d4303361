/*
 * dcom.h: the simulator's DCOM front: WMI over DCOM (protocol-notes §4)
 * on the same per-host store as the WS-Management front, so a change made
 * through one is seen through the other (design.md, "The simulator").
 *
 * Every host that speaks DCOM listens on two ports of its address: the
 * activation port (135 by default: IRemoteSCMActivator and the OXID
 * resolver IObjectExporter) and its object exporter's endpoint (a dynamic
 * port: IRemUnknown and the IWbem* interfaces of its objects).  The files:
 *
 *   dcom_server.c    TCP listeners on the h2o loop, reads and writes,
 *                    replies held (latency) or cut
 *   dcom_conn.c      one connection without its socket: a translators/wmi
 *                    rpc_conn, NTLM with the fleet's users, the answer to a
 *                    request with the control plan applied, counters
 *   dcom_objects.c   the object exporter of each host: OXID, OIDs, IPIDs,
 *                    the object table and its lifetime (references, pings),
 *                    dispatch by interface, activation, IRemUnknown
 *   dcom_exporter.c  IObjectExporter (ResolveOxid, pings, ServerAlive2)
 *   dcom_wmi.c       IWbemLevel1Login, IWbemServices (GetObject,
 *                    DeleteInstance, ExecMethod), IWbemCallResult, object paths
 *   dcom_put.c       IWbemServices::PutInstance
 *   dcom_wbem.c      what those share: the WBEM HRESULT of each sim_fault
 *                    kind, MS-WMIO encoding and decoding of store objects,
 *                    call results, impacket's BSTRs
 *   dcom_query.c     ExecQuery, ExecNotificationQuery, CreateInstanceEnum
 *                    and IEnumWbemClassObject over the store's cursors
 *
 * The RPC, DCOM and MS-WMIO codecs are the gateway's own (translators/wmi).
 */
#ifndef WMSIM_DCOM_H
#define WMSIM_DCOM_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/sim/host.h"
#include "translators/wmi/dcom_orpc.h"
#include "translators/wmi/rpc_conn.h"
#include "translators/wmi/rpc_ntlm.h"
#include "util/buf.h"
#include "util/err.h"

struct sim_server;
struct sim_query;

#define SIM_DCOM_MAX_OBJECTS 1024  /* per host; the least recently used enumerators go first */
#define SIM_DCOM_MAX_IFACES 4      /* interfaces (IPIDs) one object hands out */
#define SIM_DCOM_PUBLIC_REFS 5     /* references handed out with each interface, as Windows */
#define SIM_DCOM_PING_PERIOD_MS 120000u /* MS-DCOM 3.1.2.2: an unpinged object lives 3 periods */
#define SIM_DCOM_MAX_REPLY (3u << 20) /* objects one Next reply carries, in bytes */

/* Extra RPC fault and HRESULT values the front answers with. */
#define SIM_DCOM_RPC_E_DISCONNECTED 0x80010108u /* a call to an IPID that is gone */
#define SIM_DCOM_RPC_S_SERVER_TOO_BUSY 0x000006BBu
#define SIM_DCOM_RPC_S_CALL_FAILED 0x000006BEu
#define SIM_DCOM_WBEM_E_ILLEGAL_NULL 0x80041028u
#define SIM_DCOM_WBEM_E_INVALID_PROPERTY 0x80041031u
#define SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE 0x80041024u
#define SIM_DCOM_WBEM_E_INVALID_METHOD_PARAMETERS 0x8004102Fu
#define SIM_DCOM_WBEM_E_TYPE_MISMATCH 0x80041005u
#define SIM_DCOM_WBEM_E_QUOTA_VIOLATION 0x8004106Cu
#define SIM_DCOM_WBEM_E_CALL_CANCELLED 0x80041032u
#define SIM_DCOM_WBEM_E_METHOD_NOT_IMPLEMENTED 0x80041055u
#define SIM_DCOM_WBEM_E_OUT_OF_MEMORY 0x80041006u

enum sim_dcom_kind {
    SIM_DCOM_LOGIN,       /* CLSID_WbemLevel1Login: IWbemLevel1Login, IWbemLoginClientID */
    SIM_DCOM_SERVICES,    /* IWbemServices of one namespace (NTLMLogin) */
    SIM_DCOM_ENUM,        /* IEnumWbemClassObject of one query */
    SIM_DCOM_CALL_RESULT, /* IWbemCallResult of a finished call */
};

struct sim_dcom_iface {
    struct wmgw_uuid iid, ipid;
};

struct sim_dcom_enum; /* dcom_query.c */

/* One object of the exporter. */
struct sim_dcom_obj {
    enum sim_dcom_kind kind;
    uint64_t oid;
    unsigned n_ifaces;
    struct sim_dcom_iface ifaces[SIM_DCOM_MAX_IFACES];
    uint32_t refs;           /* public references held by clients, all interfaces */
    uint64_t alive_ms;       /* last call, AddRef or ping (monotonic milliseconds) */
    char *ns;                /* SERVICES, ENUM: "root/cimv2" */
    struct sim_dcom_enum *en; /* ENUM */
    uint32_t status;         /* CALL_RESULT: the call's HRESULT */
};

/* A host's object exporter. */
struct sim_dcom {
    uint64_t oxid;
    uint64_t next_oid;
    struct wmgw_uuid ipid_rem_unknown;
    uint64_t rem_unknown_oid;
    size_t n, cap;
    struct sim_dcom_obj **objs;
    /* ping sets (IObjectExporter::ComplexPing) */
    size_t n_sets;
    struct sim_dcom_set *sets;
    uint16_t next_set;
    uint64_t last_gc_ms;
};

/* One RPC call as the interfaces see it. */
struct sim_dcom_call {
    struct sim_host *host;
    const struct wmgw_rpc_event *ev;
    bool activation_port;       /* arrived on the activation port (135) */
    char user[2 * 256 * 3 + 2]; /* "DOMAIN\user" that authenticated, "" for none */
    struct sim_dcom_obj *obj;   /* the object named by the request's IPID */
    const struct sim_dcom_iface *iface;
    uint32_t inject;            /* a control-plan failure: answer WBEM calls with this HRESULT */
    struct wmgw_buf out;        /* the reply stub */
    uint32_t fault;             /* when not 0: an RPC fault with this status instead */
    unsigned wait_ms;           /* hold the reply this long (a Next waiting for events) */
    int counter;                /* index into sim_dcom_call_names, -1: other */
    uint32_t hr;                /* the HRESULT answered, for counters and logs */
    struct wmgw_err err;
};

/* Names of the calls counted in sim_counters.dcom_by_call (NULL-terminated). */
extern const char *const sim_dcom_call_names[];
int sim_dcom_call_index(const char *name);

/* --- dcom_server.c ---------------------------------------------------------- */

/* Listens for h's DCOM on its address: the activation port h->dcom_port
 * and the exporter's endpoint h->dcom_endpoint (0: the kernel picks one,
 * written back).  WMGW_ECONFIG with a message when it cannot. */
int sim_dcom_listen(struct sim_server *s, struct sim_host *h, struct wmgw_err *err);

/* --- dcom_conn.c ------------------------------------------------------------ */

/* One port of a host, what its connections share (outlives them). */
struct sim_dcom_port {
    struct sim_host *host;
    bool activation;    /* the activation port, else the exporter's endpoint */
    bool verbose;       /* log every call to stderr */
    char port_text[8];  /* bind_ack secondary address */
    struct wmgw_ntlm_server_config ntlm;
    struct wmgw_rpc_ntlm_config sec;
};

/* What answering one request asks of the transport. */
struct sim_dcom_reply {
    unsigned delay_ms; /* hold the reply (latency, a Next waiting for events) */
    bool cut;          /* write half of it and close */
    bool garbage;      /* write a malformed PDU instead and close */
    bool close;        /* the connection cannot go on */
};

void sim_dcom_port_init(struct sim_dcom_port *p, struct sim_fleet *f, struct sim_host *h, bool activation,
                        uint16_t port);
/* The interfaces the port offers, by index (NULL past the last). */
const struct wmgw_uuid *sim_dcom_port_iface(const struct sim_dcom_port *p, size_t i);
/* A server rpc_conn for one connection to the port. */
int sim_dcom_conn_new(const struct sim_dcom_port *p, struct wmgw_rpc_conn **out, struct wmgw_err *err);
/* Answers a request the rpc_conn handed out (respond or fault queued). */
void sim_dcom_answer(const struct sim_dcom_port *p, struct wmgw_rpc_conn *rpc, const struct wmgw_rpc_event *ev,
                     struct sim_dcom_reply *r);
/* NTLM's credential lookup over the fleet's users (for rpc_ntlm). */
int sim_dcom_lookup_user(void *fleet, const char *user, const char *domain, struct wmgw_ntlm_credential *cred);

/* --- dcom_objects.c ----------------------------------------------------- */

/* Answers one call: the reply stub in call->out, or call->fault. */
void sim_dcom_dispatch(struct sim_dcom_call *call);
/* The host's exporter (made on first use); NULL without memory. */
struct sim_dcom *sim_dcom_of(struct sim_host *h);
/* A new object with one interface; NULL when out of memory.  It starts
 * with SIM_DCOM_PUBLIC_REFS references, handed out with its OBJREF. */
struct sim_dcom_obj *sim_dcom_obj_new(struct sim_host *h, enum sim_dcom_kind kind, const struct wmgw_uuid *iid);
/* Appends the OBJREF_STANDARD of the object's first interface. */
int sim_dcom_objref(struct sim_host *h, const struct sim_dcom_obj *o, struct wmgw_buf *out, struct wmgw_err *err);
/* Drops enumerators (their cursors point into the store: before a reset). */
void sim_dcom_drop_enums(struct sim_host *h);
/* Frees the host's exporter and every object. */
void sim_dcom_host_dispose(struct sim_host *h);
/* Monotonic milliseconds. */
uint64_t sim_dcom_now_ms(void);
/* Marks the objects with these OIDs alive (pings). */
void sim_dcom_touch_oid(struct sim_host *h, uint64_t oid);
/* The exporter's string bindings (name[port], address[port]) and NTLM security binding. */
void sim_dcom_bindings(const struct sim_host *h, struct wmgw_ndr_dsa *d);

/* --- dcom_exporter.c -------------------------------------------------------- */

struct sim_dcom_set {
    uint16_t id;
    uint64_t pinged_ms;
    size_t n;
    uint64_t *oids;
};

void sim_dcom_exporter_call(struct sim_dcom_call *call);
/* Frees the ping sets. */
void sim_dcom_sets_dispose(struct sim_dcom *d);

/* --- dcom_wmi.c, dcom_put.c ------------------------------------------------------ */

void sim_dcom_login_call(struct sim_dcom_call *call);
void sim_dcom_services_call(struct sim_dcom_call *call);
void sim_dcom_call_result_call(struct sim_dcom_call *call);
void sim_dcom_put_instance(struct sim_dcom_call *call);

/* --- dcom_wbem.c -------------------------------------------------------------- */

/* The WBEM HRESULT standing for a sim_fault kind, and back (InternalError
 * when no kind has it). */
uint32_t sim_dcom_fault_hresult(int kind);
int sim_dcom_fault_kind(uint32_t hr);
/* A sim_ctx for running store operations of the WS-Man front on h, and
 * the HRESULT of the fault one of them raised (WBEM_E_FAILED when none). */
struct sim_ctx;
void sim_dcom_ctx_init(struct sim_ctx *ctx, struct sim_host *h);
uint32_t sim_dcom_ctx_hresult(const struct sim_ctx *ctx);
/* Class lookup of the MS-WMIO encoder over one namespace of the store. */
struct sim_dcom_lookup {
    struct sim_store *store;
    const char *ns;
};
const struct wmgw_cim_class *sim_dcom_lookup_class(void *lookup, const char *class_name);
/* Encoder options for objects of namespace ns of h (l is filled in). */
struct wmgw_wmio_encode_opts;
void sim_dcom_encode_opts(struct wmgw_wmio_encode_opts *o, struct sim_dcom_lookup *l, struct sim_host *h,
                          const char *ns);
/* An EncodingUnit from the client as an instance: 0 or a WBEM HRESULT. */
struct wmgw_wmi_unit;
struct wmgw_wmio_object;
uint32_t sim_dcom_decode_instance(const struct wmgw_wmi_unit *u, const char *ns, struct wmgw_wmio_object *o,
                                  struct wmgw_err *err);
/* When wanted, a new IWbemCallResult holding status (and the result
 * string text, may be NULL), its OBJREF appended to objref. */
int sim_dcom_call_result(struct sim_dcom_call *call, bool wanted, uint32_t status, const char *text,
                         struct wmgw_buf *objref);
/* The request stub to decode: a copy (in copy, which the caller disposes)
 * without the trailing NUL impacket puts in its first n BSTR arguments
 * (see dcom_wbem.c), or the stub itself. */
void sim_dcom_stub(const struct wmgw_rpc_event *ev, unsigned n, struct wmgw_buf *copy, const uint8_t **stub,
                   size_t *len);
/* Encodes an instance (with its store class, or cls) as an EncodingUnit. */
int sim_dcom_encode_instance(struct sim_host *h, const char *ns, const struct wmgw_cim_instance *inst,
                             const struct wmgw_cim_class *cls, struct wmgw_buf *out, struct wmgw_err *err);

/* --- dcom_query.c ------------------------------------------------------------ */

void sim_dcom_query_call(struct sim_dcom_call *call);   /* ExecQuery, ExecNotificationQuery, CreateInstanceEnum */
void sim_dcom_enum_call(struct sim_dcom_call *call);    /* IEnumWbemClassObject */
void sim_dcom_enum_free(struct sim_dcom_enum *en);

#endif
