/*
 * wmi_int.h: what the files of the DCOM client (the WMI translator) share
 * and nobody else sees.
 *
 *   wmi.c          the translator (translator.h): one call's state machine,
 *                  from a struct wmgw_op to IWbem* calls and sink callbacks
 *   wmi_ops.c      the requests and replies of those calls: object paths,
 *                  WQL, MS-WMIO encoding against the server's class parts,
 *                  HRESULTs and RPC faults as struct wmgw_backend_error
 *   wmi_session.c  one DCOM session per host x credential: activation on
 *                  port 135, the object exporter's endpoint, IWbemLevel1Login,
 *                  IWbemServices per namespace; per-worker pools of idle
 *                  sessions and the parked enumerations paging cursors name
 *   wmi_chan.c     one TCP connection carrying one DCE/RPC connection
 *                  (rpc_conn.h) on the worker's h2o loop, with deadlines
 *
 * Everything runs on one worker's loop thread (design.md: "a slow host
 * costs state, not a thread"); nothing here is shared between workers.
 */
#ifndef WMGW_TRANSLATORS_WMI_WMI_INT_H
#define WMGW_TRANSLATORS_WMI_WMI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "translators/translator.h"
#include "translators/wmi/dcom_activation.h"
#include "translators/wmi/rpc_conn.h"
#include "translators/wmi/rpc_ntlm.h"
#include "translators/wmi/wmi_calls.h"
#include "translators/wmi/wmio.h"

#define WMGW_WMI_DEFAULT_PORT 135
#define WMGW_WMI_DEFAULT_CONNECT_MS 5000u
#define WMGW_WMI_DEFAULT_TIMEOUT_MS 60000u
#define WMGW_WMI_MAX_STUB (16u << 20)    /* one reply (a Next batch) */
#define WMGW_WMI_MAX_BATCH 1024u         /* objects per Next, whatever max_elements says */
#define WMGW_WMI_SESSION_MAX_AGE_MS 240000u /* no pings: well inside the 6-minute ping-set timeout */
#define WMGW_WMI_IDLE_MS 60000u          /* an idle session is closed after this */
#define WMGW_WMI_PARK_MS 120000u         /* a paging cursor's enumeration waits this long */
#define WMGW_WMI_MAX_PARKED 64           /* parked enumerations per worker */
#define WMGW_WMI_CURSOR_PREFIX "dcom:"

/* The deadline of one RPC exchange: a bit above the operation timeout,
 * which the host's own WBEM_S_TIMEDOUT (more precise) should beat. */
unsigned wmgw_wmi_deadline_ms(const struct wmgw_backend *b);
unsigned wmgw_wmi_timeout_ms(const struct wmgw_backend *b);

/* ---- wmi_chan.c ------------------------------------------------------------ */

struct wmgw_wmi_chan;

/* The outcome of one exchange: rc 0 and ev (WMGW_RPC_EV_RESPONSE or
 * _FAULT), or a negative WMGW_E* with err (ECONN, ETIMEDOUT, EPROTO,
 * EBACKEND for a refused bind...).  ev->stub is valid during the callback
 * only. */
typedef void (*wmgw_wmi_chan_cb)(void *data, int rc, const struct wmgw_rpc_event *ev, const struct wmgw_err *err);

/* A connection to b's configured address at port; it connects on its
 * first call.  cfg (its sec_cfg included) must outlive it. */
int wmgw_wmi_chan_new(struct wmgw_transport *t, const struct wmgw_backend *b, uint16_t port,
                      const struct wmgw_rpc_conn_config *cfg, struct wmgw_wmi_chan **out, struct wmgw_err *err);
/* One request to interface iid (bound first, or alter_context, when
 * needed) with object as object UUID (may be NULL).  The stub is copied.
 * A synchronous failure returns the error and never calls cb. */
int wmgw_wmi_chan_call(struct wmgw_wmi_chan *c, const struct wmgw_uuid *iid, uint16_t opnum,
                       const struct wmgw_uuid *object, const uint8_t *stub, size_t len, unsigned timeout_ms,
                       wmgw_wmi_chan_cb cb, void *data, struct wmgw_err *err);
/* No exchange in flight and nothing went wrong: can take a call. */
bool wmgw_wmi_chan_usable(const struct wmgw_wmi_chan *c);
/* Closes the socket; a callback in flight is never called. */
void wmgw_wmi_chan_free(struct wmgw_wmi_chan *c);
/* Bytes read and written so far. */
void wmgw_wmi_chan_bytes(const struct wmgw_wmi_chan *c, uint64_t *in, uint64_t *out);

/* ---- wmi_session.c ------------------------------------------------------------ */

/* One namespace logged in on a session. */
struct wmgw_wmi_ns {
    struct wmgw_wmi_ns *next;
    char *name;                            /* "root/cimv2" */
    struct wmgw_dcom_iref services;        /* IWbemServices */
    /* Class parts as the host sent them, without amended qualifiers:
     * instances of a listing decode their class once, PutInstance and
     * ExecMethod send the host's own class part back. */
    struct wmgw_wmio_class_cache classes;
};

struct wmgw_wmi_session;
struct wmgw_wmi_worker;

/* Ready (err NULL) or failed; after a failure the session is gone. */
typedef void (*wmgw_wmi_session_cb)(void *data, struct wmgw_wmi_session *s, const struct wmgw_backend_error *err);
/* A namespace logged in (err NULL), or why not; the session stays. */
typedef void (*wmgw_wmi_login_cb)(void *data, struct wmgw_wmi_ns *ns, const struct wmgw_backend_error *err);
/* One IWbem* exchange: rc 0 and the reply stub (hr still to read), or
 * failed with err filled (then the session is broken). */
typedef void (*wmgw_wmi_reply_cb)(void *data, const uint8_t *stub, size_t len, const struct wmgw_backend_error *err);

/* A session for b: an idle one of this worker, else a new one (activation
 * and login object).  0 when an idle one was ready at once (cb never
 * called); 1 when cb will say (*out is then the session being built, for
 * wmgw_wmi_session_abandon); negative on immediate failure (err filled). */
int wmgw_wmi_session_get(struct wmgw_transport *t, struct wmgw_backend *b, wmgw_wmi_session_cb cb, void *data,
                         struct wmgw_wmi_session **out, struct wmgw_backend_error *err);
/* What a parked enumeration keeps: its enumerator, and the one object
 * read ahead to learn whether a page was the last (wmi_reply.c). */
struct wmgw_wmi_parked {
    struct wmgw_dcom_iref enumr;
    struct wmgw_cim_instance *held_inst; /* owned, or NULL */
    struct wmgw_cim_ref *held_ref;       /* owned, or NULL */
};

/* The session parked under a cursor's handle, taken out of the parking
 * with what it kept (*p: the caller owns its held object); WMGW_EGONE
 * when this worker has none. */
int wmgw_wmi_session_unpark(struct wmgw_transport *t, struct wmgw_backend *b, const char *handle,
                            struct wmgw_wmi_session **out, struct wmgw_wmi_parked *p);
/* IWbemServices of ns: 0 and *out when logged in already, 1 when cb will
 * say, negative on immediate failure. */
int wmgw_wmi_session_login(struct wmgw_wmi_session *s, const char *ns, wmgw_wmi_login_cb cb, void *data,
                           struct wmgw_wmi_ns **out, struct wmgw_backend_error *err);
/* One call on the object exporter's endpoint; the stub is copied.
 * what names the call in messages ("IWbemServices::GetObject"). */
int wmgw_wmi_session_call(struct wmgw_wmi_session *s, const struct wmgw_uuid *iid, uint16_t opnum,
                          const struct wmgw_uuid *ipid, const struct wmgw_buf *stub, const char *what,
                          wmgw_wmi_reply_cb cb, void *data, struct wmgw_backend_error *err);
/* The caller is done: back to the idle pool (or closed when broken, old
 * or the pool is full).  release (may be NULL) is an interface the caller
 * still holds (an enumerator): RemRelease'd first. */
void wmgw_wmi_session_put(struct wmgw_wmi_session *s, const struct wmgw_dcom_iref *release);
/* Parks the session with its open enumeration (and the held object, which
 * it takes) under a fresh random handle (33 bytes with the NUL); an error
 * when it cannot (the session and p are then still the caller's). */
int wmgw_wmi_session_park(struct wmgw_wmi_session *s, struct wmgw_wmi_parked *p, char handle[33]);
/* The caller lost interest while the session was being built or a call
 * was in flight: the session goes (a reply in flight is never delivered). */
void wmgw_wmi_session_abandon(struct wmgw_wmi_session *s);
/* Marks the session unusable (a protocol error): closed when put back. */
void wmgw_wmi_session_break(struct wmgw_wmi_session *s);
/* What activation learned: the server's COM version. */
void wmgw_wmi_session_com_version(const struct wmgw_wmi_session *s, unsigned *major, unsigned *minor);

/* Per-worker counters (tests, benchmarks). */
struct wmgw_wmi_stats {
    uint64_t activations;   /* sessions built */
    uint64_t reuses;        /* sessions taken from the idle pool */
    uint64_t logins;        /* NTLMLogin calls */
    uint64_t releases;      /* RemRelease calls */
    uint64_t parked, unparked, expired;
    uint64_t bytes_in, bytes_out; /* on closed sessions' sockets, plus live ones */
    size_t idle, live;
};
void wmgw_wmi_stats(struct wmgw_transport *t, struct wmgw_wmi_stats *out);

/* ---- wmi_ops.c ---------------------------------------------------------------------- */

/* The WBEM error of a failed HRESULT: code from the HRESULT table,
 * has_wmi, hresult, cim_status, and a message naming the HRESULT and what
 * failed.  Returns err->code. */
int wmgw_wmi_hresult_error(struct wmgw_backend_error *err, uint32_t hr, const char *what, const char *target);
/* An RPC fault status (the call never reached WMI, or DCOM refused it). */
int wmgw_wmi_fault_error(struct wmgw_backend_error *err, uint32_t status, const char *what);
/* A struct wmgw_err from the RPC or DCOM layer. */
int wmgw_wmi_err_error(struct wmgw_backend_error *err, int rc, const struct wmgw_err *e, const char *what);

/* WMI object path text of an instance ("Win32_Service.Name=\"WinRM\""),
 * or of a class; malloc'd.  NULL without memory or for a bad reference. */
char *wmgw_wmi_path(const struct wmgw_cim_ref *ref);
/* What the gateway must not see differently from WS-Management, through
 * arrays and embedded objects: an empty array becomes NULL (WS-Management
 * cannot tell them apart: README "JSON"), and a reference's keys become
 * text, which the gateway types by the referenced class. */
void wmgw_wmi_normalize(struct wmgw_cim_proplist *l);
/* "//./root/cimv2" for NTLMLogin. */
char *wmgw_wmi_network_resource(const char *ns);
/* The WQL an ENUMERATE or QUERY runs (malloc'd into *out). */
int wmgw_wmi_op_wql(const struct wmgw_op *op, char **out);

/* ---- wmi.c, wmi_reply.c: one call ----------------------------------------------------- */

enum wmgw_wmi_step {
    WMGW_WMI_ST_SESSION,  /* activation */
    WMGW_WMI_ST_LOGIN,    /* NTLMLogin */
    WMGW_WMI_ST_CLASS,    /* GetObject of the class whose part encoding needs */
    WMGW_WMI_ST_SCHEMA,   /* GET_CLASS */
    WMGW_WMI_ST_GET,      /* GetObject of the instance (GET, MODIFY's first read) */
    WMGW_WMI_ST_PUT,      /* PutInstance */
    WMGW_WMI_ST_REGET,    /* MODIFY: the instance as written */
    WMGW_WMI_ST_DELETE,
    WMGW_WMI_ST_METHOD,
    WMGW_WMI_ST_QUERY,    /* ExecQuery */
    WMGW_WMI_ST_NEXT,     /* IEnumWbemClassObject::Next */
};

/* One translator call (translator.h); wmi.c says how it lives. */
struct wmgw_wmi_call {
    struct wmgw_call *call;            /* NULL once the caller let go */
    struct wmgw_backend *backend;      /* our own reference */
    struct wmgw_transport *transport;
    struct wmgw_wmi_session *s;        /* ours while set */
    struct wmgw_wmi_ns *ns;
    enum wmgw_wmi_step step;
    bool in_flight;                    /* the session owes us a callback */
    char *nsname;
    char *path;                        /* the instance's (or static method's class) object path */
    char *cls_name;                    /* the class the op is about */
    char *wql;
    struct wmgw_buf stub;
    struct wmgw_dcom_iref enumr;
    bool has_enum, ended, waiting;
    unsigned delivered;
    unsigned busy;                     /* inside sink callbacks */
    struct wmgw_wmi_unit *units;       /* Next's objects */
    uint32_t nunits;
    /* Paging reads one object ahead, to know whether a page is the last:
     * it is delivered first on the next page. */
    struct wmgw_cim_instance *held_inst;
    struct wmgw_cim_ref *held_ref;
    struct wmgw_cim_instance *cur;     /* MODIFY */
    struct wmgw_backend_error error;
};

/* The one on_done (err NULL: success); st may be gone afterwards. */
void wmgw__wmi_finish(struct wmgw_wmi_call *st, const struct wmgw_backend_error *err);
void wmgw__wmi_fail(struct wmgw_wmi_call *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The caller is gone: the session goes back unless a reply is owed. */
void wmgw__wmi_settle(struct wmgw_wmi_call *st);
/* Requests; non-zero with st->error filled when they cannot be sent. */
int wmgw__wmi_send_next(struct wmgw_wmi_call *st);
int wmgw__wmi_send_getobject(struct wmgw_wmi_call *st, enum wmgw_wmi_step step, const char *path, uint32_t flags);
int wmgw__wmi_send_put(struct wmgw_wmi_call *st, const struct wmgw_cim_instance *inst, uint32_t flags);
/* CREATE, MODIFY, INVOKE once the class part is cached. */
int wmgw__wmi_with_class(struct wmgw_wmi_call *st);
unsigned wmgw__wmi_batch_size(const struct wmgw_wmi_call *st);
/* wmi_reply.c: every reply of a call's session requests. */
void wmgw__wmi_on_reply(void *data, const uint8_t *stub, size_t len, const struct wmgw_backend_error *err);

#endif
