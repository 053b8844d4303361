/*
 * translator.h: the one interface between the gateway and a backend
 * protocol (design.md: "translators/X Operation -> backend messages").
 *
 * The gateway turns a REST call into a `struct wmgw_op` (what to do, on
 * which namespace/class/instance, with which parsed WQL), picks the
 * translator for the host's protocol, and starts a `struct wmgw_call`.  The
 * translator talks to the host asynchronously on the worker's event loop
 * and reports through the sink: results one by one (owned by the sink from
 * then on), and exactly one on_done.  Enumerations come in batches: after
 * on_batch the translator fetches nothing more until wmgw_call_resume(), so
 * a slow caller holds back the backend instead of filling memory.
 *
 * Each protocol file defines one `const struct wmgw_translator` (curl's
 * vtls pattern): WS-Management (MS-WSMV and the 2003 dialect) in
 * translators/wsman/, WMI over DCOM in translators/wmi/.
 *
 * Rules (libuv's): if start fails it returns the error and the sink is
 * never called; on success the sink is first called from the event loop,
 * never from within start; after cancel the sink is never called again
 * and the caller may free the call at once (the translator keeps what it
 * still needs, e.g. to send Release, in its own state).
 */
#ifndef WMGW_TRANSLATORS_TRANSLATOR_H
#define WMGW_TRANSLATORS_TRANSLATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim/cim.h"
#include "cim/wql.h"
#include "translators/backend.h"

struct wmgw_transport;

enum wmgw_op_kind {
    WMGW_OP_IDENTIFY,     /* who is the host: vendor, version, protocol */
    WMGW_OP_GET_CLASS,    /* class schema of op.class_name */
    WMGW_OP_GET,          /* one instance: op.ref */
    WMGW_OP_ENUMERATE,    /* instances of op.class_name, op.query may filter/project */
    WMGW_OP_QUERY,        /* op.query: SELECT, ASSOCIATORS OF or REFERENCES OF */
    WMGW_OP_CREATE,       /* op.instance (class op.class_name) */
    WMGW_OP_MODIFY,       /* op.ref: set exactly the properties in op.instance */
    WMGW_OP_DELETE,       /* op.ref */
    WMGW_OP_INVOKE,       /* op.method on op.ref (instance) or op.class_name (static) */
};

struct wmgw_op {
    enum wmgw_op_kind kind;
    const char *namespace_;                   /* "root/cimv2" */
    const char *class_name;
    const struct wmgw_cim_ref *ref;           /* GET, MODIFY, DELETE, INVOKE on an instance */
    const struct wmgw_cim_instance *instance; /* CREATE, MODIFY */
    const char *method;                       /* INVOKE */
    const struct wmgw_cim_proplist *params;   /* INVOKE: in-parameters, typed */
    const struct wmgw_wql_query *query;       /* ENUMERATE (where + select), QUERY */
    const struct wmgw_cim_class *cls;         /* the class schema when known (types) */
    bool refs_only;                           /* ENUMERATE/QUERY: references, not instances */
    /* Paging (ENUMERATE, QUERY): stop after `limit` items (0: all) and, if
     * more remain, report a cursor (sink on_cursor) instead of releasing;
     * `cursor` continues such an enumeration. */
    unsigned limit;
    const char *cursor;
};

/* What went wrong, in the backend's own terms, kept for problem+json. */
struct wmgw_backend_error {
    int code;                /* WMGW_E*: decides the HTTP status */
    char message[512];       /* the backend's text (Reason / provider message) */
    char fault_code[64];     /* SOAP Code, e.g. "s:Sender" */
    char fault_subcode[96];  /* e.g. "w:InvalidSelectors" */
    char fault_detail[160];  /* w:FaultDetail URI */
    bool has_wsman_code;
    uint32_t wsman_code;     /* WSManFault Code (Win32 error or HRESULT) */
    bool has_wmi;
    unsigned cim_status;     /* MSFT_WmiError CIMStatusCode */
    uint32_t hresult;        /* MSFT_WmiError error_Code / WBEM HRESULT */
    int http_status;         /* the backend's HTTP status, 0 if none */
};

/* What Identify found. */
struct wmgw_identity {
    char vendor[128];
    char version[128];       /* "OS: 10.0.17763 SP: 0.0 Stack: 3.0" */
    char protocol_version[160];
    enum wmgw_protocol protocol;
};

struct wmgw_call;

struct wmgw_sink_ops {
    /* Results; each hands ownership of its argument to the sink. */
    void (*on_instance)(struct wmgw_call *call, struct wmgw_cim_instance *inst);
    void (*on_ref)(struct wmgw_call *call, struct wmgw_cim_ref *ref);
    void (*on_class)(struct wmgw_call *call, struct wmgw_cim_class *cls);
    /* INVOKE: the out-parameters, ReturnValue included. */
    void (*on_output)(struct wmgw_call *call, struct wmgw_cim_proplist *out);
    void (*on_identity)(struct wmgw_call *call, const struct wmgw_identity *id);
    /* A batch is complete; nothing more is fetched until wmgw_call_resume()
     * (which the sink may call from within on_batch). */
    void (*on_batch)(struct wmgw_call *call);
    /* Paging: `limit` items were delivered and more remain on the backend;
     * cursor (a NUL-terminated opaque string) continues them.  Called just
     * before a successful on_done. */
    void (*on_cursor)(struct wmgw_call *call, const char *cursor);
    /* The end: err NULL on success. */
    void (*on_done)(struct wmgw_call *call, const struct wmgw_backend_error *err);
};

struct wmgw_call {
    const struct wmgw_translator *tr;
    struct wmgw_backend *backend;   /* counted reference held by the caller */
    struct wmgw_transport *transport; /* the worker's connections and timers */
    struct wmgw_op op;
    const struct wmgw_sink_ops *sink;
    void *sink_data;
    /* Classes the gateway already knows (typing embedded objects, method
     * parameters); may be NULL or return NULL. */
    const struct wmgw_cim_class *(*lookup_class)(void *ctx, const char *namespace_, const char *class_name);
    void *lookup_ctx;
    /* For a WMGW_PROTO_AUTO backend: the protocol an earlier IDENTIFY found
     * (wmgw_identity.protocol), as the gateway keeps it per host;
     * WMGW_PROTO_AUTO while unknown, and MS-WSMV is then assumed.  IDENTIFY
     * itself always detects afresh.  Ignored for other backends. */
    enum wmgw_protocol protocol;
    /* When start fails: code = what it returned, and message, unless
     * empty, the translator's words for it (e.g. an operation the host's
     * protocol cannot do).  wmgw_call_start clears it first. */
    struct wmgw_backend_error start_error;
    /* The vault credential the call runs as (gateway/vault_gw.h), NULL for
     * the host's configured user.  Part of the backend identity: pools and
     * cache keys that depend on who is asking key on (credential,
     * credential_version) as well as on backend->id. */
    const char *credential;
    uint64_t credential_version;
    void *state;                    /* the translator's, opaque */
};

/* Capabilities a translator may lack; the gateway then does the work
 * itself (e.g. evaluates WQL over an unfiltered enumeration) or answers 405. */
enum {
    WMGW_CAP_FILTER = 1 << 0,       /* server-side WQL WHERE */
    WMGW_CAP_PROJECT = 1 << 1,      /* server-side SELECT list */
    WMGW_CAP_CREATE_DELETE = 1 << 2,
    WMGW_CAP_ASSOCIATIONS = 1 << 3,
    WMGW_CAP_CLASS_SCHEMA = 1 << 4,
};

struct wmgw_translator {
    const char *name;   /* "wsman", "wmi" */
    unsigned caps;      /* WMGW_CAP_* (may depend on the backend: see caps_for) */
    /* Depends on b->protocol only (a WMGW_PROTO_AUTO backend: the
     * protocol assumed while none is detected); see wmgw_translator_caps. */
    unsigned (*caps_for)(const struct wmgw_backend *b);
    int (*start)(struct wmgw_call *call);
    void (*resume)(struct wmgw_call *call);
    void (*cancel)(struct wmgw_call *call);
};

/* The translator for a protocol (never NULL for a known protocol). */
const struct wmgw_translator *wmgw_translator_for(enum wmgw_protocol p);
/* What the host can do: caps_for of its protocol, where a WMGW_PROTO_AUTO
 * backend counts as `detected` (what IDENTIFY found; WMGW_PROTO_AUTO while
 * unknown). */
unsigned wmgw_translator_caps(const struct wmgw_backend *b, enum wmgw_protocol detected);

int wmgw_call_start(struct wmgw_call *call);
void wmgw_call_resume(struct wmgw_call *call);
void wmgw_call_cancel(struct wmgw_call *call);

/* Fills err (and returns err->code) for errors found before any message. */
int wmgw_backend_error_set(struct wmgw_backend_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
