/*
 * http_client.h: the asynchronous HTTP/1.1 client translators use to reach
 * backends, on the worker's own h2o event loop.
 *
 * Why not h2o's bundled client: it cannot pin a request to a connection,
 * and NTLM and Kerberos authenticate a connection, not a request.  Here
 * each exchange owns one connection from start to end and returns it to
 * the pool keyed by backend and credential, so a connection-bound
 * authentication (a later step) can live in the connection itself.
 *
 * Per worker there is one `struct wmgw_transport`: keep-alive pools keyed
 * by backend × credential, each bounded by the backend's pool_size; connect
 * and operation deadlines; HTTPS with certificate verification against the
 * backend's CA bundle and a host-name check done here (h2o 2.2.5 skips it
 * under TLS 1.3).  It connects only to the address of a configured
 * wmgw_backend; no request field names a network address.
 *
 * Responses are read whole, bounded by a caller-given limit (a WS-Man
 * envelope is at most MaxEnvelopeSize), then handed over; the translator
 * parses one envelope at a time, so an enumeration never sits whole in
 * memory.
 */
#ifndef WMGW_TRANSLATORS_TRANSPORT_HTTP_CLIENT_H
#define WMGW_TRANSLATORS_TRANSPORT_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct wmgw_backend;
struct st_h2o_evloop_t;

struct wmgw_transport;
struct wmgw_http_exchange;

/* Creates the per-worker transport on `loop`. */
struct wmgw_transport *wmgw_transport_new(struct st_h2o_evloop_t *loop);
/* Closes idle connections, cancels exchanges; call on the loop's thread,
 * not from inside a wmgw_http_cb. */
void wmgw_transport_free(struct wmgw_transport *t);
/* Forgets pooled connections of one backend (changed or removed). */
void wmgw_transport_forget(struct wmgw_transport *t, uint64_t backend_id);

struct wmgw_http_header {
    const char *name;
    const char *value;
};

struct wmgw_http_request {
    const char *method;              /* "POST" */
    const char *content_type;        /* may be NULL */
    const char *body;
    size_t body_len;
    size_t nheaders;                 /* extra headers (Authorization is added from the backend) */
    const struct wmgw_http_header *headers;
    unsigned timeout_ms;             /* whole exchange, after the connection is up (0: operation_timeout_ms) */
    size_t max_response;             /* body limit; larger is an error (WMGW_ETOOBIG) (0: max_envelope_size) */
    bool no_auth;                    /* do not add the backend's credentials */
};

struct wmgw_http_response {
    int status;
    char content_type[128];
    char www_authenticate[512];      /* first challenge, for 401s */
    /* The first Negotiate, NTLM or Kerberos challenge that carries a token
     * (a handshake step, or Kerberos' reply on a 200), kept whole. */
    char auth_challenge[8192];
    struct wmgw_buf body;
};

/* Outcome: err is 0, or WMGW_ECONN (connect/reset), WMGW_ETIMEDOUT,
 * WMGW_EPROTO (not HTTP), WMGW_ETOOBIG (response over the limit), or a
 * TLS failure as WMGW_ECONN with `detail` saying so; WMGW_ECONFIG when the
 * backend's settings cannot be used (a DNS name as address: resolve names
 * in the configuration; an unreadable CA file); with NTLM, Kerberos or
 * Negotiate (auth_http.h) also WMGW_EAUTH (credentials refused before
 * the host saw them, or a clear answer on an encrypted connection),
 * WMGW_ECONFIG (unknown service principal) and WMGW_EBACKEND (no KDC
 * answered); a host's own refusal comes back as its 401.  resp is valid only
 * during the callback (NULL on error); its body may be stolen. */
typedef void (*wmgw_http_cb)(void *data, int err, const char *detail, struct wmgw_http_response *resp);

/* Sends req to backend b, on a pooled connection (or a new one).  Returns
 * the exchange (cancellable) or NULL on immediate failure, in which case cb
 * is never called. */
struct wmgw_http_exchange *wmgw_http_send(struct wmgw_transport *t, struct wmgw_backend *b,
                                          const struct wmgw_http_request *req, wmgw_http_cb cb, void *data);
/* After cancel the callback is never called; the connection is closed.
 * Only before the callback: inside it, a no-op; after it, x is gone. */
void wmgw_http_cancel(struct wmgw_http_exchange *x);

/* --- raw TCP for other translators (WMI over DCOM) ------------------------
 * A translator that speaks its own protocol over TCP on the worker's loop
 * uses the same loop, the same timeout registry (one h2o_timeout_t per
 * distinct duration) and the same rule for addresses: only a configured
 * backend's numeric address.  It keeps its per-worker state (its own
 * connection pools) in a slot of the transport, freed with it. */
struct st_h2o_timeout_t;
struct sockaddr_storage;

struct st_h2o_evloop_t *wmgw_transport_loop(struct wmgw_transport *t);
/* The timeout of ms milliseconds (0: the next loop turn); NULL without memory. */
struct st_h2o_timeout_t *wmgw_transport_timeout(struct wmgw_transport *t, unsigned ms);
/* b's numeric address (b->ip, else b->address) with `port`; false for a
 * name that was not resolved or a bad zone. */
bool wmgw_transport_backend_addr(const struct wmgw_backend *b, uint16_t port, struct sockaddr_storage *ss,
                                 unsigned *len);

enum { WMGW_TRANSPORT_SLOT_DCOM, WMGW_TRANSPORT_SLOTS };
struct wmgw_transport_slot {
    void *data;                                   /* the translator's, NULL until it sets it */
    void (*free)(void *data);                     /* at wmgw_transport_free, before the timeouts go */
    void (*forget)(void *data, uint64_t backend_id); /* at wmgw_transport_forget */
};
struct wmgw_transport_slot *wmgw_transport_slot(struct wmgw_transport *t, unsigned which);

/* Counters for /metrics and tests. */
struct wmgw_transport_stats {
    uint64_t connects, reuses, requests, timeouts, errors;
    size_t idle;
};
void wmgw_transport_stats(const struct wmgw_transport *t, struct wmgw_transport_stats *out);

#endif
