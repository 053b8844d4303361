/*
 * transport_int.h: what the files of translators/transport/ share and
 * nobody else sees: the per-worker transport, its keep-alive pools and
 * their connections, the timeout registry and the TLS context cache.
 *
 * Ownership: the transport owns its pools, timeouts, TLS contexts and the
 * list of live exchanges.  A pool lives while it has connections; a
 * connection belongs to one pool and is either idle (on the pool's idle
 * list) or held by exactly one exchange (conn->x).  All of it is touched
 * only from the worker's loop thread.
 */
#ifndef WMGW_TRANSLATORS_TRANSPORT_TRANSPORT_INT_H
#define WMGW_TRANSLATORS_TRANSPORT_TRANSPORT_INT_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0 /* Debian builds libh2o-evloop without libuv */
#endif
#include <h2o/linklist.h>
#include <h2o/socket.h>
#include <h2o/timeout.h>

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "translators/transport/http_client.h"

/* Distinct timeout durations one transport keeps (h2o 2.2.5 fixes the
 * duration per h2o_timeout_t); beyond, durations share the nearest
 * shorter one. */
#define WMGW__TIMEOUTS_MAX 32
/* A pooled connection idle this long is closed: shorter than HTTP.sys's
 * 120 s idle timeout, so we rarely reuse one the server is closing. */
#define WMGW__IDLE_MS 30000

struct wmgw__timeout {
    h2o_timeout_t to; /* linked into the loop: never moves */
    unsigned ms;
};

struct wmgw__pool {
    struct wmgw__pool *next; /* in t->pools */
    uint64_t backend_id;
    char *cred;              /* user name; NULL: requests without credentials */
    bool forgotten;          /* connections close instead of coming back */
    h2o_linklist_t idle;     /* of wmgw__conn.idle_link, most recently used first */
    size_t nidle, nconns;
};

struct wmgw__conn {
    struct wmgw_transport *t;
    struct wmgw__pool *pool;
    h2o_socket_t *sock;      /* sock->data points back here */
    SSL_CTX *ssl_ctx;        /* a reference held while sock may use it, or NULL */
    struct wmgw_http_exchange *x; /* the exchange holding it; NULL when idle */
    struct wmgw_auth_conn *auth;  /* NTLM/Kerberos/Negotiate context of the connection (auth_http.h), or NULL */
    h2o_linklist_t idle_link;
    h2o_timeout_entry_t idle_timer;
};

/* Trust anchors loaded once per CA file (NULL: the system's) and shared by
 * the contexts of every backend that names it. */
struct wmgw__store {
    struct wmgw__store *next; /* in t->stores */
    char *ca_file;
    X509_STORE *store;
    unsigned users;           /* wmgw__tls entries using it */
};

struct wmgw__tls {
    struct wmgw__tls *next;  /* in t->tls */
    uint64_t backend_id;
    SSL_CTX *ctx;
    struct wmgw__store *store; /* NULL for tls_insecure */
    bool holds_key;            /* a client certificate's private key (tls.c) */
    uint64_t last_used;        /* loop time, ms */
};

/* A context holding a client key is dropped after this long unused: the
 * key of a rotated or deleted vault credential does not stay for good. */
#define WMGW__TLS_KEY_IDLE_MS 60000

struct wmgw_transport {
    h2o_evloop_t *loop;
    h2o_timeout_t zero;       /* for callbacks deferred to the next loop turn */
    struct wmgw__timeout *timeouts[WMGW__TIMEOUTS_MAX];
    size_t ntimeouts;
    struct wmgw__pool *pools;
    struct wmgw__tls *tls;
    struct wmgw__store *stores;
    h2o_linklist_t exchanges; /* of wmgw_http_exchange.link, still to call back */
    struct wmgw__mailbox *mailbox; /* offload.c: jobs finished off the loop; NULL until the first */
    h2o_timeout_entry_t tls_sweep;  /* tls.c: drops idle contexts that hold keys */
    unsigned tls_key_idle_ms;       /* WMGW__TLS_KEY_IDLE_MS; shorter in tests */
    struct wmgw_transport_stats stats;
    struct wmgw_transport_slot slots[WMGW_TRANSPORT_SLOTS]; /* other translators' per-worker state */
};

/* transport.c */
/* The timeout of ms milliseconds (0: the next turn of the loop). */
h2o_timeout_t *wmgw__timeout_get(struct wmgw_transport *t, unsigned ms);
/* An idle connection to backend_id for cred that still looks open, or NULL. */
struct wmgw__conn *wmgw__pool_take(struct wmgw_transport *t, uint64_t backend_id, const char *cred);
/* A new, unconnected connection counted in its pool; NULL without memory. */
struct wmgw__conn *wmgw__conn_new(struct wmgw_transport *t, uint64_t backend_id, const char *cred);
/* The exchange is done with conn: keep it idle (up to limit per pool) if
 * reusable, else close it. */
void wmgw__conn_release(struct wmgw__conn *c, bool reusable, unsigned limit);
void wmgw__conn_close(struct wmgw__conn *c);

/* http_client.c: cancels every exchange still to call back. */
void wmgw__cancel_all(struct wmgw_transport *t);

/* offload.c: blocking work (a KDC exchange) on a process-wide thread
 * pool.  run() goes on a pool thread, then done() on t's loop; when t is
 * freed first, discard() instead, on whichever thread sees it.  A job
 * may not touch loop objects in run() or discard(). */
struct wmgw__mailbox;
struct wmgw__job {
    void (*run)(struct wmgw__job *job);
    void (*done)(struct wmgw__job *job);
    void (*discard)(struct wmgw__job *job);
    struct wmgw__job *next;   /* private to offload.c */
    struct wmgw__mailbox *box;
};
/* 0, or WMGW_ENOMEM (no thread, pipe or memory): then run it inline. */
int wmgw__offload(struct wmgw_transport *t, struct wmgw__job *job);
/* At transport free: jobs still out are discarded when they end. */
void wmgw__offload_close(struct wmgw_transport *t);

/* tls.c */
/* The backend's client context (cached per backend id); 0, or
 * WMGW_ECONFIG / WMGW_ENOMEM with detail filled. */
int wmgw__tls_ctx(struct wmgw_transport *t, const struct wmgw_backend *b, SSL_CTX **out, char *detail,
                  size_t detail_size);
/* The name the certificate must carry: tls_name, or the address. */
const char *wmgw__tls_peer_name(const struct wmgw_backend *b);
/* True for h2o's own post-handshake name checks, which OpenSSL's
 * verification (host or IP set on the context) already covered. */
bool wmgw__tls_superseded_error(const char *err);
void wmgw__tls_forget(struct wmgw_transport *t, uint64_t backend_id);
void wmgw__tls_free(struct wmgw_transport *t);

#endif
