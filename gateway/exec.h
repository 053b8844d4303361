/*
 * exec.h: running one backend operation for one REST call.
 *
 * A `struct wmgw_exec` lives in the request's memory pool: it resolves the
 * host and namespace from the path, fetches the class schema (classes.h),
 * runs the translator call with the request's sink, and when the caller
 * goes away (the pool is cleared) cancels whatever is still running —
 * which, for an enumeration, makes the translator Release it.
 */
#ifndef WMGW_GATEWAY_EXEC_H
#define WMGW_GATEWAY_EXEC_H

#include "gateway/classes.h"
#include "gateway/hosts.h"
#include "gateway/request.h"
#include "translators/translator.h"

struct wmgw_exec;
typedef void (*wmgw_exec_ready_cb)(struct wmgw_exec *x);

struct wmgw_exec {
    struct wmgw_request *r;
    struct wmgw_host *host;     /* counted */
    const char *host_name;      /* decoded path parameter */
    char *ns;                   /* canonical namespace, malloc'd */
    const char *class_name;     /* decoded path parameter, or NULL */
    struct wmgw_class_entry *cls; /* counted, once fetched */
    struct wmgw_class_fetch *fetch;
    wmgw_exec_ready_cb ready;
    struct wmgw_call call;
    bool call_running;
    /* classes lent to the translator through lookup_class */
    size_t nlent;
    struct wmgw_class_entry *lent[32];
    /* classes asked for by wmgw_exec_need_class, fetched before `ready` */
    size_t nwant;
    char *want[8];
    void *data;                 /* the handler's own state */
    /* protocol auto: the IDENTIFY that detects the host's protocol first */
    struct wmgw_call detect;
    bool detecting;
    wmgw_exec_ready_cb detected;
    struct wmgw_identity identity;
    bool has_identity;
    const char *want_class;     /* what wmgw_exec_with_class fetches after detection */
    /* vault_gw.c: the backend with the vault credential's user (counted),
     * and the credential's id, for the calls this exec starts */
    struct wmgw_backend *cred_backend;
    char credential[65];
    uint64_t credential_version;
};

/* Resolves {host}, {namespace} and (when the route has it) {class}; answers
 * 400/404 itself and returns NULL then. */
struct wmgw_exec *wmgw_exec_new(struct wmgw_request *r);
/* Makes sure the host's protocol is known, then calls ready: for a host
 * configured `protocol = auto` whose protocol no call has detected yet, an
 * IDENTIFY runs first and its answer is kept on the host (hosts.h), so
 * every later call, of any request, speaks the detected protocol.
 * Answers the error itself when the host cannot be identified. */
void wmgw_exec_detect(struct wmgw_exec *x, wmgw_exec_ready_cb ready);
/* The backend (host × credential, vault_gw.h) x's calls run as, for the
 * calls x makes beside its own (class schemas): 0, or an answer already
 * sent.  The pointer lives as long as x. */
int wmgw_exec_backend(struct wmgw_exec *x, struct wmgw_backend **as);
/* What the host's protocol can do (WMGW_CAP_*); after detection. */
unsigned wmgw_exec_caps(struct wmgw_exec *x);
/* Fetches the schema of x->class_name (or `other` when given) and calls
 * ready; answers the error itself when it cannot.  Detects first
 * (wmgw_exec_detect).  Hosts without WMGW_CAP_CLASS_SCHEMA take schemas
 * from the class catalogue (classes.c, catalogue.h). */
void wmgw_exec_with_class(struct wmgw_exec *x, const char *other, wmgw_exec_ready_cb ready);
/* Makes sure class_name (and every class it names) is lent to this call,
 * fetching what is missing, then calls ready; answers errors itself.
 * Used for classes met while results arrive (a derived class in a
 * listing).  A class the host does not have is skipped. */
void wmgw_exec_need_class(struct wmgw_exec *x, const char *class_name, wmgw_exec_ready_cb ready);
/* The class lent to this call under that name, or NULL. */
const struct wmgw_cim_class *wmgw_exec_class(struct wmgw_exec *x, const char *class_name);
/* Is class_name lent to this call? */
bool wmgw_exec_has_class(struct wmgw_exec *x, const char *class_name);

/* Prepares x->call for op kind (backend, transport, class lookups, sink)
 * and starts it; answers the error itself when it cannot start.  An
 * ASSOCIATORS OF / REFERENCES OF query on a host whose protocol has no
 * association filter runs in the gateway instead (assoc.h), behind the
 * same sink. */
int wmgw_exec_start(struct wmgw_exec *x, const struct wmgw_sink_ops *sink);
/* Records the outcome for host health; call from on_done. */
void wmgw_exec_finished(struct wmgw_exec *x, const struct wmgw_backend_error *err);

/* Parses {keys} against the class schema into a reference (400 answered
 * when invalid). */
struct wmgw_cim_ref *wmgw_exec_keys(struct wmgw_exec *x);

#endif
