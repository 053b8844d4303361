/*
 * wmi_session.c: DCOM sessions with one host under one credential, and
 * the per-worker pools that keep them (wmi_int.h; design.md: "Connection
 * pools are per worker and per (host, credential), because NTLM and
 * Kerberos authenticate a connection").
 *
 * Building a session (MS-DCOM 3.2.4.1.1, MS-WMI 3.2.3; protocol-notes 4.1):
 *   port 135 (or the host's port): bind IRemoteSCMActivator with NTLM,
 *     RemoteCreateInstance(CLSID_WbemLevel1Login) -> the login object's
 *     IPID, the exporter's IRemUnknown and its string bindings;
 *   the port of a binding, at the CONFIGURED address: bind
 *     IWbemLevel1Login (a new NTLM context), and later NTLMLogin per
 *     namespace -> IWbemServices, kept with the namespace's class caches.
 * The port-135 connection is closed once activation has answered.
 *
 * No open proxy: the bindings name addresses and host names the host
 * chose; only their port is used.  The connection goes to the address
 * configured for the host (b->ip/b->address), never to one from the wire.
 *
 * A session serves one call at a time (DCE/RPC on it is one call at a
 * time too).  When the call is done it goes back to an idle list (last
 * in, first out, at most pool_size per host x credential), or is closed:
 * broken, older than WMGW_WMI_SESSION_MAX_AGE_MS (we never ping, so we
 * stay well inside the exporter's 6-minute ping-set timeout, MS-DCOM
 * 3.2.6), idle for WMGW_WMI_IDLE_MS.  Closing gives the references back
 * with one RemRelease, then closes the socket.
 *
 * A paging cursor parks a session with its open enumerator under a random
 * handle for WMGW_WMI_PARK_MS; only this worker's calls can take it back.
 */
#include "translators/wmi/wmi_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "translators/transport/http_client.h"
#include "translators/wmi/dcom_remunknown.h"
#include "util/hex.h"

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o/linklist.h>
#include <h2o/socket.h>
#include <h2o/timeout.h>

/* The exporter's Remote Unknown, as Windows and impacket call it. */
#define REMUNKNOWN_IID wmgw_dcom_iid_iremunknown2
#define AUTH_CONTEXT_ID 79231u

struct wmgw_wmi_worker {
    struct wmgw_transport *t;
    h2o_loop_t *loop;
    h2o_linklist_t all;     /* every session */
    h2o_linklist_t idle;    /* idle sessions, most recent first */
    h2o_linklist_t parked;  /* parked enumerations, oldest first */
    size_t nparked;
    struct wmgw_wmi_stats stats;
};

enum sess_state {
    S_ACTIVATING, /* the caller waits for activation */
    S_OWNED,      /* a caller holds it */
    S_IDLE,       /* in the pool (maybe still releasing an enumerator) */
    S_PARKED,
    S_CLOSING,    /* giving back everything, then freed */
};

struct wmgw_wmi_session {
    struct wmgw_wmi_worker *w;
    h2o_linklist_t all_link, pool_link;
    h2o_timeout_entry_t timer; /* idle or parked expiry */
    enum sess_state state;
    struct wmgw_backend *b;    /* counted; without the password (below) */
    char *user, *domain;
    /* NTLM needs only the NT hash, also to sign in again on a new
     * connection; the password is not kept past set_credentials. */
    uint8_t nt_hash[16];
    struct wmgw_ntlm_client_config ntlm;
    struct wmgw_rpc_ntlm_config ntlm_rpc;
    struct wmgw_rpc_conn_config rpc;
    struct wmgw_wmi_chan *scm, *ep;
    uint64_t born;
    bool broken, forgotten;
    /* what activation gave */
    struct wmgw_dcom_iref login;
    struct wmgw_uuid remunk;
    uint16_t port;
    unsigned com_major, com_minor;
    struct wmgw_wmi_ns *namespaces;
    /* the caller waiting, one at a time */
    wmgw_wmi_session_cb ready_cb;
    wmgw_wmi_login_cb login_cb;
    wmgw_wmi_reply_cb reply_cb;
    void *data;                /* of ready_cb / login_cb */
    void *reply_data;          /* of reply_cb */
    char what[80];
    char *login_ns;
    struct wmgw_buf stub;
    /* An enumerator's RemRelease is in flight while the session is already
     * idle (or taken again): a call made meanwhile waits for it. */
    bool releasing;
    bool queued;
    struct wmgw_uuid q_iid, q_ipid;
    bool q_has_ipid;
    uint16_t q_opnum;
    char q_what[80];
    wmgw_wmi_reply_cb q_cb;
    void *q_data;
    struct wmgw_buf q_stub;
    /* parked */
    char handle[33];
    struct wmgw_wmi_parked parked;
};

static void session_free(struct wmgw_wmi_session *s);

unsigned wmgw_wmi_timeout_ms(const struct wmgw_backend *b)
{
    return b->operation_timeout_ms ? b->operation_timeout_ms : WMGW_WMI_DEFAULT_TIMEOUT_MS;
}

unsigned wmgw_wmi_deadline_ms(const struct wmgw_backend *b)
{
    unsigned op = wmgw_wmi_timeout_ms(b);
    return op + op / 10 + 2000;
}

/* --- the worker ------------------------------------------------------------------ */

static void worker_free(void *data)
{
    struct wmgw_wmi_worker *w = data;
    while (!h2o_linklist_is_empty(&w->all))
        session_free(H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, all_link, w->all.next));
    free(w);
}

static void close_session(struct wmgw_wmi_session *s);

static void worker_forget(void *data, uint64_t backend_id)
{
    struct wmgw_wmi_worker *w = data;
    h2o_linklist_t *l = w->all.next;
    while (l != &w->all) {
        struct wmgw_wmi_session *s = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, all_link, l);
        l = l->next;
        if (s->b->id != backend_id)
            continue;
        s->forgotten = true;
        if (s->state == S_IDLE || s->state == S_PARKED)
            close_session(s);
    }
}

static struct wmgw_wmi_worker *worker_of(struct wmgw_transport *t)
{
    struct wmgw_transport_slot *slot = wmgw_transport_slot(t, WMGW_TRANSPORT_SLOT_DCOM);
    if (slot == NULL)
        return NULL;
    if (slot->data == NULL) {
        struct wmgw_wmi_worker *w = calloc(1, sizeof(*w));
        if (w == NULL)
            return NULL;
        w->t = t;
        w->loop = wmgw_transport_loop(t);
        h2o_linklist_init_anchor(&w->all);
        h2o_linklist_init_anchor(&w->idle);
        h2o_linklist_init_anchor(&w->parked);
        slot->data = w;
        slot->free = worker_free;
        slot->forget = worker_forget;
    }
    return slot->data;
}

void wmgw_wmi_stats(struct wmgw_transport *t, struct wmgw_wmi_stats *out)
{
    struct wmgw_wmi_worker *w = worker_of(t);
    memset(out, 0, sizeof(*out));
    if (w == NULL)
        return;
    *out = w->stats;
    for (h2o_linklist_t *l = w->all.next; l != &w->all; l = l->next) {
        struct wmgw_wmi_session *s = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, all_link, l);
        uint64_t in, o;
        out->live++;
        out->idle += s->state == S_IDLE;
        if (s->ep != NULL) {
            wmgw_wmi_chan_bytes(s->ep, &in, &o);
            out->bytes_in += in;
            out->bytes_out += o;
        }
        if (s->scm != NULL) {
            wmgw_wmi_chan_bytes(s->scm, &in, &o);
            out->bytes_in += in;
            out->bytes_out += o;
        }
    }
}

/* --- life of a session -------------------------------------------------------------------- */

static void count_bytes(struct wmgw_wmi_session *s, struct wmgw_wmi_chan *c)
{
    uint64_t in, out;
    if (c == NULL)
        return;
    wmgw_wmi_chan_bytes(c, &in, &out);
    s->w->stats.bytes_in += in;
    s->w->stats.bytes_out += out;
}

static void ns_free(struct wmgw_wmi_ns *ns)
{
    wmgw_wmio_class_cache_dispose(&ns->classes);
    free(ns->name);
    free(ns);
}

static void session_free(struct wmgw_wmi_session *s)
{
    h2o_timeout_unlink(&s->timer);
    if (h2o_linklist_is_linked(&s->pool_link)) {
        h2o_linklist_unlink(&s->pool_link);
        if (s->state == S_PARKED)
            s->w->nparked--;
    }
    h2o_linklist_unlink(&s->all_link);
    count_bytes(s, s->scm);
    count_bytes(s, s->ep);
    wmgw_wmi_chan_free(s->scm);
    wmgw_wmi_chan_free(s->ep);
    while (s->namespaces != NULL) {
        struct wmgw_wmi_ns *n = s->namespaces;
        s->namespaces = n->next;
        ns_free(n);
    }
    if (s->user != NULL)
        OPENSSL_cleanse(s->user, strlen(s->user));
    free(s->user);
    free(s->domain);
    OPENSSL_cleanse(s->nt_hash, sizeof(s->nt_hash));
    free(s->login_ns);
    wmgw_buf_dispose(&s->stub);
    wmgw_buf_dispose(&s->q_stub);
    wmgw_cim_instance_unref(s->parked.held_inst);
    wmgw_cim_ref_free(s->parked.held_ref);
    wmgw_backend_unref(s->b);
    free(s);
}

/* Usable for calls: not broken, its endpoint connection idle or busy only
 * with our own RemRelease. */
static bool alive(const struct wmgw_wmi_session *s)
{
    return !s->broken && s->ep != NULL && (s->releasing || wmgw_wmi_chan_usable(s->ep));
}

static void on_timer(h2o_timeout_entry_t *entry);

static void arm(struct wmgw_wmi_session *s, unsigned ms)
{
    h2o_timeout_t *to = wmgw_transport_timeout(s->w->t, ms);
    h2o_timeout_unlink(&s->timer);
    if (to == NULL)
        return; /* no memory: it lives until used or the worker ends */
    s->timer.cb = on_timer;
    h2o_timeout_link(s->w->loop, to, &s->timer);
}

static bool same_user(const struct wmgw_backend *a, const struct wmgw_backend *b)
{
    return a->user == NULL ? b->user == NULL : b->user != NULL && strcmp(a->user, b->user) == 0;
}

static void on_closed_release(void *data, const uint8_t *stub, size_t len, const struct wmgw_backend_error *err)
{
    session_free(data);
}

static int send_release(struct wmgw_wmi_session *s, const struct wmgw_dcom_iref *const *refs, size_t n,
                        wmgw_wmi_reply_cb cb);

/* Gives every reference back in one RemRelease, then frees; at once when
 * the session cannot talk any more. */
static void close_session(struct wmgw_wmi_session *s)
{
    const struct wmgw_dcom_iref *refs[WMGW_DCOM_MAX_REFS];
    size_t n = 0;
    if (h2o_linklist_is_linked(&s->pool_link)) {
        h2o_linklist_unlink(&s->pool_link);
        if (s->state == S_PARKED) {
            s->w->nparked--;
            refs[n++] = &s->parked.enumr;
        }
    }
    h2o_timeout_unlink(&s->timer);
    s->state = S_CLOSING;
    s->ready_cb = NULL;
    s->login_cb = NULL;
    s->reply_cb = NULL;
    for (struct wmgw_wmi_ns *ns = s->namespaces; ns != NULL && n + 1 < WMGW_DCOM_MAX_REFS; ns = ns->next)
        refs[n++] = &ns->services;
    if (s->port != 0)
        refs[n++] = &s->login;
    if (s->releasing || !alive(s) || send_release(s, refs, n, on_closed_release) != 0)
        session_free(s);
}

/* Back to the idle list, or closed. */
static void pool_add(struct wmgw_wmi_session *s)
{
    struct wmgw_wmi_worker *w = s->w;
    size_t same = 0, limit = s->b->pool_size;
    for (h2o_linklist_t *l = w->idle.next; l != &w->idle; l = l->next) {
        struct wmgw_wmi_session *o = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, pool_link, l);
        same += o->b->id == s->b->id && same_user(o->b, s->b);
    }
    s->ready_cb = NULL;
    s->login_cb = NULL; /* reply_cb may be our own RemRelease's */
    if (s->forgotten || same >= limit || !alive(s) || h2o_now(w->loop) - s->born > WMGW_WMI_SESSION_MAX_AGE_MS) {
        close_session(s);
        return;
    }
    s->state = S_IDLE;
    h2o_linklist_insert(w->idle.next, &s->pool_link);
    arm(s, WMGW_WMI_IDLE_MS);
}

static int call_on(struct wmgw_wmi_session *s, struct wmgw_wmi_chan *c, const struct wmgw_uuid *iid,
                   uint16_t opnum, const struct wmgw_uuid *ipid, const struct wmgw_buf *stub, const char *what,
                   wmgw_wmi_reply_cb cb, void *data, struct wmgw_backend_error *err);

static void on_released(void *data, const uint8_t *stub, size_t len, const struct wmgw_backend_error *e)
{
    struct wmgw_wmi_session *s = data;
    s->releasing = false;
    if (e != NULL)
        s->broken = true;
    if (!s->queued) {
        if (s->broken && s->state == S_IDLE)
            close_session(s);
        return;
    }
    /* The call that waited for the release goes now. */
    struct wmgw_backend_error err;
    s->queued = false;
    if (s->broken) {
        wmgw_backend_error_set(&err, e ? e->code : WMGW_ECONN, "%s: %s", s->q_what,
                               e ? e->message : "the connection failed");
        s->q_cb(s->q_data, NULL, 0, &err);
    } else if (call_on(s, s->ep, &s->q_iid, s->q_opnum, s->q_has_ipid ? &s->q_ipid : NULL, &s->q_stub, s->q_what,
                       s->q_cb, s->q_data, &err) != 0) {
        s->q_cb(s->q_data, NULL, 0, &err);
    }
}

/* Gives an enumerator back; the session is idle meanwhile. */
static void release_then_pool(struct wmgw_wmi_session *s, const struct wmgw_dcom_iref *enumr)
{
    const struct wmgw_dcom_iref *refs[1] = {enumr};
    if (s->releasing || !alive(s) || send_release(s, refs, 1, on_released) != 0) {
        close_session(s);
        return;
    }
    s->releasing = true;
    pool_add(s);
}

/* A parked enumeration nobody continued: its held object goes. */
static void drop_held(struct wmgw_wmi_session *s)
{
    wmgw_cim_instance_unref(s->parked.held_inst);
    wmgw_cim_ref_free(s->parked.held_ref);
    s->parked.held_inst = NULL;
    s->parked.held_ref = NULL;
}

static void on_timer(h2o_timeout_entry_t *entry)
{
    struct wmgw_wmi_session *s = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, timer, entry);
    if (s->state == S_PARKED) {
        drop_held(s);
        s->w->stats.expired++;
        h2o_linklist_unlink(&s->pool_link);
        s->w->nparked--;
        struct wmgw_dcom_iref e = s->parked.enumr;
        release_then_pool(s, &e);
    } else if (s->state == S_IDLE) {
        close_session(s);
    }
}

void wmgw_wmi_session_put(struct wmgw_wmi_session *s, const struct wmgw_dcom_iref *release)
{
    if (release != NULL && release->std.public_refs > 0)
        release_then_pool(s, release);
    else
        pool_add(s);
}

void wmgw_wmi_session_abandon(struct wmgw_wmi_session *s)
{
    session_free(s);
}

void wmgw_wmi_session_break(struct wmgw_wmi_session *s)
{
    s->broken = true;
}

void wmgw_wmi_session_com_version(const struct wmgw_wmi_session *s, unsigned *major, unsigned *minor)
{
    *major = s->com_major;
    *minor = s->com_minor;
}

/* --- parking --------------------------------------------------------------------------- */

int wmgw_wmi_session_park(struct wmgw_wmi_session *s, struct wmgw_wmi_parked *p, char handle[33])
{
    struct wmgw_wmi_worker *w = s->w;
    unsigned char rnd[16];
    if (s->broken || s->forgotten)
        return WMGW_ECONN;
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return WMGW_EINTERNAL;
    if (w->nparked >= WMGW_WMI_MAX_PARKED) { /* the oldest cursor goes */
        struct wmgw_wmi_session *old = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, pool_link, w->parked.next);
        h2o_linklist_unlink(&old->pool_link);
        w->nparked--;
        w->stats.expired++;
        h2o_timeout_unlink(&old->timer);
        drop_held(old);
        struct wmgw_dcom_iref e = old->parked.enumr;
        release_then_pool(old, &e);
    }
    wmgw_hex_encode(rnd, 16, s->handle);
    memcpy(handle, s->handle, 33);
    s->parked = *p;
    p->held_inst = NULL;
    p->held_ref = NULL;
    s->state = S_PARKED;
    s->ready_cb = NULL;
    s->login_cb = NULL;
    s->reply_cb = NULL;
    h2o_linklist_insert(&w->parked, &s->pool_link);
    w->nparked++;
    w->stats.parked++;
    arm(s, WMGW_WMI_PARK_MS);
    return 0;
}

int wmgw_wmi_session_unpark(struct wmgw_transport *t, struct wmgw_backend *b, const char *handle,
                            struct wmgw_wmi_session **out, struct wmgw_wmi_parked *p)
{
    struct wmgw_wmi_worker *w = worker_of(t);
    if (w == NULL || strlen(handle) != 32)
        return WMGW_EGONE;
    for (h2o_linklist_t *l = w->parked.next; l != &w->parked; l = l->next) {
        struct wmgw_wmi_session *s = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, pool_link, l);
        /* The handle alone does not do: it must be this host, this credential. */
        if (CRYPTO_memcmp(s->handle, handle, 32) != 0 || s->b->id != b->id || !same_user(s->b, b))
            continue;
        h2o_linklist_unlink(&s->pool_link);
        w->nparked--;
        w->stats.unparked++;
        h2o_timeout_unlink(&s->timer);
        memset(s->handle, 0, sizeof(s->handle));
        *p = s->parked;
        s->parked.held_inst = NULL;
        s->parked.held_ref = NULL;
        s->state = S_OWNED;
        *out = s;
        return 0;
    }
    return WMGW_EGONE;
}

/* --- calls ------------------------------------------------------------------------- */

static void on_ep_reply(void *data, int rc, const struct wmgw_rpc_event *ev, const struct wmgw_err *e)
{
    struct wmgw_wmi_session *s = data;
    wmgw_wmi_reply_cb cb = s->reply_cb;
    struct wmgw_backend_error err;
    s->reply_cb = NULL;
    if (rc != 0) {
        s->broken = true;
        wmgw_wmi_err_error(&err, rc, e, s->what);
    } else if (ev->kind == WMGW_RPC_EV_FAULT) {
        s->broken = true; /* the server may have torn its side down */
        wmgw_wmi_fault_error(&err, ev->status, s->what);
    }
    if (cb != NULL)
        cb(s->reply_data, rc == 0 && ev->kind == WMGW_RPC_EV_RESPONSE ? ev->stub : NULL,
           rc == 0 && ev->kind == WMGW_RPC_EV_RESPONSE ? ev->stub_len : 0,
           rc == 0 && ev->kind == WMGW_RPC_EV_RESPONSE ? NULL : &err);
}

static int call_on(struct wmgw_wmi_session *s, struct wmgw_wmi_chan *c, const struct wmgw_uuid *iid,
                   uint16_t opnum, const struct wmgw_uuid *ipid, const struct wmgw_buf *stub, const char *what,
                   wmgw_wmi_reply_cb cb, void *data, struct wmgw_backend_error *err)
{
    struct wmgw_err e;
    wmgw_err_clear(&e);
    if (s->releasing && c == s->ep) { /* after our RemRelease (on_released) */
        if (s->queued)
            return wmgw_backend_error_set(err, WMGW_EINTERNAL, "%s: the session is busy", what);
        wmgw_buf_reset(&s->q_stub);
        if (wmgw_buf_add(&s->q_stub, stub->data, stub->len) != 0)
            return wmgw_backend_error_set(err, WMGW_ENOMEM, "%s: out of memory", what);
        s->queued = true;
        s->q_iid = *iid;
        s->q_has_ipid = ipid != NULL;
        if (ipid != NULL)
            s->q_ipid = *ipid;
        s->q_opnum = opnum;
        snprintf(s->q_what, sizeof(s->q_what), "%s", what);
        s->q_cb = cb;
        s->q_data = data;
        return 0;
    }
    snprintf(s->what, sizeof(s->what), "%s", what);
    s->reply_cb = cb;
    s->reply_data = data;
    int rc = wmgw_wmi_chan_call(c, iid, opnum, ipid, (const uint8_t *)stub->data, stub->len,
                                wmgw_wmi_deadline_ms(s->b), on_ep_reply, s, &e);
    if (rc != 0) {
        s->reply_cb = NULL;
        s->broken = true;
        return wmgw_wmi_err_error(err, rc, &e, what);
    }
    return 0;
}

int wmgw_wmi_session_call(struct wmgw_wmi_session *s, const struct wmgw_uuid *iid, uint16_t opnum,
                          const struct wmgw_uuid *ipid, const struct wmgw_buf *stub, const char *what,
                          wmgw_wmi_reply_cb cb, void *data, struct wmgw_backend_error *err)
{
    return call_on(s, s->ep, iid, opnum, ipid, stub, what, cb, data, err);
}

/* RemRelease(refs) on the exporter's Remote Unknown. */
static int send_release(struct wmgw_wmi_session *s, const struct wmgw_dcom_iref *const *refs, size_t n,
                        wmgw_wmi_reply_cb cb)
{
    struct wmgw_dcom_remref_req q;
    struct wmgw_backend_error err;
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    for (size_t i = 0; i < n && q.n_refs < WMGW_DCOM_MAX_REFS; i++) {
        if (refs[i]->std.public_refs == 0)
            continue;
        q.refs[q.n_refs++] = (struct wmgw_dcom_remref){refs[i]->std.ipid, refs[i]->std.public_refs, 0};
    }
    if (q.n_refs == 0)
        return WMGW_EINVAL;
    wmgw_buf_reset(&s->stub);
    if (wmgw_dcom_remref_req_encode(&s->stub, &q, NULL) != 0)
        return WMGW_ENOMEM;
    s->w->stats.releases++;
    return call_on(s, s->ep, &REMUNKNOWN_IID, WMGW_DCOM_OP_REM_RELEASE, &s->remunk, &s->stub,
                   "IRemUnknown::RemRelease", cb, s, &err);
}

/* --- login --------------------------------------------------------------------------------- */

static struct wmgw_wmi_ns *find_ns(struct wmgw_wmi_session *s, const char *name)
{
    for (struct wmgw_wmi_ns *ns = s->namespaces; ns != NULL; ns = ns->next)
        if (strcasecmp(ns->name, name) == 0)
            return ns;
    return NULL;
}

static void on_login(void *data, const uint8_t *stub, size_t len, const struct wmgw_backend_error *e)
{
    struct wmgw_wmi_session *s = data;
    wmgw_wmi_login_cb cb = s->login_cb;
    void *cb_data = s->data;
    struct wmgw_backend_error err;
    struct wmgw_wmi_ns *ns = NULL;
    s->login_cb = NULL;
    if (e != NULL) {
        err = *e;
    } else {
        struct wmgw_dcom_ptr_resp a;
        struct wmgw_err de;
        wmgw_err_clear(&de);
        int rc = wmgw_dcom_ptr_resp_decode(stub, len, &a, &de);
        if (rc != 0) {
            s->broken = true;
            wmgw_wmi_err_error(&err, rc, &de, "IWbemLevel1Login::NTLMLogin");
        } else if (wmgw_wmi_hresult_err(a.hr) != 0 || a.ptr.objref == NULL) {
            wmgw_wmi_hresult_error(&err, a.hr ? a.hr : WMGW_WBEM_E_FAILED, "IWbemLevel1Login::NTLMLogin", s->login_ns);
        } else if ((ns = calloc(1, sizeof(*ns))) == NULL || (ns->name = strdup(s->login_ns)) == NULL) {
            free(ns);
            ns = NULL;
            wmgw_backend_error_set(&err, WMGW_ENOMEM, "out of memory");
        } else if ((rc = wmgw_dcom_iref_parse(a.ptr.objref, a.ptr.len, &wmgw_dcom_iid_iwbem_services, &ns->services,
                                              NULL, &de)) != 0) {
            ns_free(ns);
            ns = NULL;
            s->broken = true;
            wmgw_wmi_err_error(&err, rc, &de, "IWbemLevel1Login::NTLMLogin");
        } else {
            wmgw_wmio_class_cache_init(&ns->classes, 0);
            ns->next = s->namespaces;
            s->namespaces = ns;
        }
    }
    if (cb != NULL)
        cb(cb_data, ns, ns != NULL ? NULL : &err);
}

int wmgw_wmi_session_login(struct wmgw_wmi_session *s, const char *name, wmgw_wmi_login_cb cb, void *data,
                           struct wmgw_wmi_ns **out, struct wmgw_backend_error *err)
{
    struct wmgw_wmi_ns *ns = find_ns(s, name);
    if (ns != NULL) {
        *out = ns;
        return 0;
    }
    struct wmgw_wmi_login_req q;
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    free(s->login_ns);
    s->login_ns = strdup(name);
    char *resource = wmgw_wmi_network_resource(name);
    q.network_resource = resource;
    wmgw_buf_reset(&s->stub);
    int rc = s->login_ns && resource ? wmgw_wmi_login_req_encode(&s->stub, &q, NULL) : WMGW_ENOMEM;
    free(resource);
    if (rc != 0)
        return wmgw_backend_error_set(err, rc == WMGW_ENOMEM ? rc : WMGW_EINVAL, "cannot log in to namespace %s", name);
    s->w->stats.logins++;
    rc = call_on(s, s->ep, &wmgw_dcom_iid_iwbem_level1_login, WMGW_WMI_OP_NTLM_LOGIN, &s->login.std.ipid, &s->stub,
                 "IWbemLevel1Login::NTLMLogin", on_login, s, err);
    if (rc != 0)
        return rc;
    s->login_cb = cb;
    s->data = data;
    return 1;
}

/* --- activation -------------------------------------------------------------------------- */

static void ready(struct wmgw_wmi_session *s, const struct wmgw_backend_error *err)
{
    wmgw_wmi_session_cb cb = s->ready_cb;
    void *data = s->data;
    s->ready_cb = NULL;
    if (err != NULL) {
        session_free(s);
        if (cb != NULL)
            cb(data, NULL, err);
        return;
    }
    s->state = S_OWNED;
    if (cb != NULL)
        cb(data, s, NULL);
}

static void on_activated(void *data, const uint8_t *stub, size_t len, const struct wmgw_backend_error *e)
{
    struct wmgw_wmi_session *s = data;
    struct wmgw_backend_error err;
    const char *what = "IRemoteSCMActivator::RemoteCreateInstance";
    if (e != NULL) {
        ready(s, e);
        return;
    }
    struct wmgw_dcom_activate_resp *a = malloc(sizeof(*a));
    struct wmgw_err de;
    wmgw_err_clear(&de);
    int rc = a ? wmgw_dcom_activate_resp_decode(stub, len, a, &de) : wmgw_err_set(&de, WMGW_ENOMEM, "out of memory");
    if (rc != 0) {
        wmgw_wmi_err_error(&err, rc, &de, what);
    } else if (wmgw_wmi_hresult_err(a->hr) != 0 || !a->has_act) {
        wmgw_wmi_hresult_error(&err, a->hr ? a->hr : WMGW_HR_E_FAIL, what, "CLSID_WbemLevel1Login");
        rc = err.code;
    } else if ((rc = wmgw_dcom_act_iref(&a->act, &wmgw_dcom_iid_iwbem_level1_login, &s->login, &de)) != 0) {
        wmgw_wmi_err_error(&err, rc, &de, what);
    } else {
        /* Only the port: the address is always the configured one. */
        char host[WMGW_NDR_MAX_ADDR];
        uint16_t port = 0;
        rc = wmgw_dcom_dsa_tcp_endpoint(&a->act.bindings, s->b->address, host, sizeof(host), &port, &de);
        if (rc == 0 && port == 0)
            rc = wmgw_err_set(&de, WMGW_EPROTO, "the object exporter's binding has port 0");
        if (rc != 0) {
            wmgw_wmi_err_error(&err, rc == WMGW_ENOTFOUND ? WMGW_EPROTO : rc, &de, what);
        } else {
            s->port = port;
            s->remunk = a->act.ipid_rem_unknown;
            s->com_major = a->act.com_major;
            s->com_minor = a->act.com_minor;
            if ((rc = wmgw_wmi_chan_new(s->w->t, s->b, port, &s->rpc, &s->ep, &de)) != 0)
                wmgw_wmi_err_error(&err, rc, &de, what);
        }
    }
    free(a);
    /* Port 135 has done its job. */
    count_bytes(s, s->scm);
    wmgw_wmi_chan_free(s->scm);
    s->scm = NULL;
    ready(s, rc == 0 ? NULL : &err);
}

/* "DOMAIN\user" is split for NTLM; "user@domain" (a UPN) goes as is.
 * b is the caller's backend, the only one here with the password. */
static int set_credentials(struct wmgw_wmi_session *s, const struct wmgw_backend *b, struct wmgw_backend_error *err)
{
    if (b->user == NULL || b->user[0] == '\0' || b->password == NULL)
        return wmgw_backend_error_set(err, WMGW_ECONFIG, "host %s: WMI over DCOM needs a user and a password",
                                      b->name ? b->name : "");
    const char *bs = strchr(b->user, '\\');
    s->user = strdup(bs ? bs + 1 : b->user);
    s->domain = bs ? strndup(b->user, (size_t)(bs - b->user)) : strdup("");
    if (s->user == NULL || s->domain == NULL)
        return wmgw_backend_error_set(err, WMGW_ENOMEM, "out of memory");
    s->ntlm.user = s->user;
    s->ntlm.domain = s->domain;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    int rc = wmgw_ntlm_nt_hash(b->password, s->nt_hash, &e);
    if (rc != 0)
        return wmgw_backend_error_set(err, rc, "host %s: %s", b->name ? b->name : "", e.message);
    s->ntlm.nt_hash = s->nt_hash;
    s->ntlm_rpc.client = &s->ntlm;
    s->rpc.sec = &wmgw_rpc_ntlm_ops;
    s->rpc.sec_cfg = &s->ntlm_rpc;
    s->rpc.auth_level = b->dcom_auth_level ? b->dcom_auth_level : WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY;
    s->rpc.auth_context_id = AUTH_CONTEXT_ID;
    s->rpc.max_stub = WMGW_WMI_MAX_STUB;
    return 0;
}

static int activate(struct wmgw_wmi_session *s, const struct wmgw_backend *b, struct wmgw_backend_error *err)
{
    struct wmgw_err e;
    wmgw_err_clear(&e);
    int rc = set_credentials(s, b, err);
    if (rc != 0)
        return rc;
    uint16_t port = s->b->port ? s->b->port : WMGW_WMI_DEFAULT_PORT;
    if ((rc = wmgw_wmi_chan_new(s->w->t, s->b, port, &s->rpc, &s->scm, &e)) != 0)
        return wmgw_wmi_err_error(err, rc, &e, "activation");
    struct wmgw_dcom_activate_req q;
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    q.orpc.flags = 1; /* ignored on activation; what Windows and impacket send */
    wmgw_dcom_act_in_init(&q.act, &wmgw_dcom_clsid_wbem_level1_login, &wmgw_dcom_iid_iwbem_level1_login);
    wmgw_buf_reset(&s->stub);
    if ((rc = wmgw_dcom_activate_req_encode(&s->stub, &q, &e)) != 0)
        return wmgw_wmi_err_error(err, rc, &e, "activation");
    s->w->stats.activations++;
    return call_on(s, s->scm, &wmgw_dcom_iid_iremote_scm_activator, WMGW_DCOM_OP_REMOTE_CREATE_INSTANCE, NULL,
                   &s->stub, "IRemoteSCMActivator::RemoteCreateInstance", on_activated, s, err);
}

int wmgw_wmi_session_get(struct wmgw_transport *t, struct wmgw_backend *b, wmgw_wmi_session_cb cb, void *data,
                         struct wmgw_wmi_session **out, struct wmgw_backend_error *err)
{
    struct wmgw_wmi_worker *w = worker_of(t);
    *out = NULL;
    if (w == NULL)
        return wmgw_backend_error_set(err, WMGW_ENOMEM, "out of memory");
    h2o_linklist_t *l = w->idle.next;
    while (l != &w->idle) {
        struct wmgw_wmi_session *s = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_session, pool_link, l);
        l = l->next;
        if (s->b->id != b->id || !same_user(s->b, b))
            continue;
        h2o_linklist_unlink(&s->pool_link);
        h2o_timeout_unlink(&s->timer);
        if (!alive(s) || h2o_now(w->loop) - s->born > WMGW_WMI_SESSION_MAX_AGE_MS) {
            close_session(s);
            continue;
        }
        s->state = S_OWNED;
        w->stats.reuses++;
        *out = s;
        return 0;
    }
    struct wmgw_wmi_session *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return wmgw_backend_error_set(err, WMGW_ENOMEM, "out of memory");
    s->w = w;
    s->b = wmgw_backend_copy_without_secrets(b);
    s->born = h2o_now(w->loop);
    s->state = S_ACTIVATING;
    wmgw_buf_init(&s->stub, WMGW_WMI_MAX_STUB);
    wmgw_buf_init(&s->q_stub, WMGW_WMI_MAX_STUB);
    h2o_linklist_insert(&w->all, &s->all_link);
    int rc = s->b != NULL ? activate(s, b, err) : wmgw_backend_error_set(err, WMGW_ENOMEM, "out of memory");
    if (rc != 0) {
        session_free(s);
        return rc;
    }
    s->ready_cb = cb;
    s->data = data;
    *out = s;
    return 1;
}
