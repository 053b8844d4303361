/*
 * http_client.c: one HTTP/1.1 exchange with a backend (http_client.h), on
 * the worker's h2o loop: take a pooled connection or connect (TCP, then
 * TLS), write the whole request, parse the response (http_parse.c), hand
 * the connection back to its pool (transport.c) and call back once.
 *
 * Deadlines: connect_timeout_ms covers TCP connect and TLS handshake;
 * req->timeout_ms starts once the connection is up and covers the whole
 * exchange.  Either closes the connection and reports WMGW_ETIMEDOUT.
 *
 * Retry rule: an exchange is sent again, once and on a new connection,
 * only if its connection came from the pool and failed (reset, close,
 * write error) before one byte of response arrived: the signature of a
 * keep-alive connection the server was closing as we picked it, the
 * request unread, so even a non-idempotent WS-Man POST (Create, Invoke)
 * may go again.  A fresh connection that fails, a partial response and a
 * timeout are reported, never retried: the server may have acted.
 */
#include "translators/transport/http_client.h"
#include "translators/backend.h"
#include "translators/transport/auth_http.h"
#include "translators/transport/http_parse.h"
#include "translators/transport/transport_int.h"
#include "util/base64.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define REQUEST_HEAD_MAX 16384        /* request line and fields, beyond the body */
#define DEFAULT_CONNECT_MS 5000
#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_RESPONSE 512000

enum phase {
    P_FAILING,    /* failed before any I/O; the callback waits for the next loop turn */
    P_CONNECTING, /* TCP connect and TLS handshake */
    P_EXCHANGING, /* request out, response in */
    P_AUTHENTICATING, /* a Kerberos/Negotiate first token is made off the loop (offload.c) */
};

struct auth_job;

struct wmgw_http_exchange {
    h2o_linklist_t link; /* in t->exchanges until the callback */
    struct wmgw_transport *t;
    struct wmgw_backend *b; /* counted reference */
    const char *cred;       /* pool key: identity, or NULL without credentials */
    char identity[1200];    /* wmgw_auth_http_identity() of the credential */
    enum wmgw_auth_http_scheme scheme;
    /* NTLM / Kerberos / Negotiate (auth_http.h): the request is written
     * per connection, since the handshake and the encryption belong to
     * it.  out then holds the request line, Host and the caller's fields
     * (head_end: where Host ends); wire what goes out next. */
    bool gss, handshaking, wire_ready;
    size_t head_end;
    struct wmgw_buf plain; /* the caller's body */
    char ctype[128];       /* the caller's Content-Type ("" none) */
    struct wmgw_buf wire;
    struct auth_job *job; /* the first token being made, or NULL */
    wmgw_http_cb cb;
    void *data;
    struct wmgw_buf out; /* the request bytes (credentials: wiped when freed) */
    unsigned connect_ms, timeout_ms;
    struct wmgw__conn *conn;
    h2o_timeout_entry_t timer;
    enum phase phase;
    bool reused, retried, got_bytes, in_callback;
    int err;
    char detail[512]; /* room for a GSSAPI message and the address */
    struct wmgw_http_parser parser;
    struct wmgw_http_response resp;
};

static void start(struct wmgw_http_exchange *x);

/* --- end of an exchange --------------------------------------------------------- */

static void detach_job(struct wmgw_http_exchange *x);

static void free_exchange(struct wmgw_http_exchange *x)
{
    detach_job(x);
    wmgw_http_parser_dispose(&x->parser);
    wmgw_buf_dispose(&x->resp.body);
    if (x->out.data != NULL)
        OPENSSL_cleanse(x->out.data, x->out.cap);
    wmgw_buf_dispose(&x->out);
    wmgw_buf_dispose(&x->plain);
    wmgw_buf_dispose(&x->wire);
    wmgw_backend_unref(x->b);
    free(x);
}

static void drop_conn(struct wmgw_http_exchange *x)
{
    if (x->conn != NULL) {
        wmgw__conn_close(x->conn);
        x->conn = NULL;
    }
}

/* Calls back once and frees x.  On success, the connection goes back to
 * its pool first, so a callback that sends again can reuse it. */
static void finish(struct wmgw_http_exchange *x, int err, bool reusable)
{
    h2o_timeout_unlink(&x->timer);
    h2o_linklist_unlink(&x->link);
    if (x->conn != NULL && err == 0) {
        wmgw__conn_release(x->conn, reusable, x->b->pool_size);
        x->conn = NULL;
    }
    drop_conn(x);
    if (err != 0 && err != WMGW_ETIMEDOUT)
        x->t->stats.errors++;
    x->in_callback = true;
    x->cb(x->data, err, err != 0 ? x->detail : NULL, err != 0 ? NULL : &x->resp);
    free_exchange(x);
}

static void set_detail(struct wmgw_http_exchange *x, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void set_detail(struct wmgw_http_exchange *x, const char *fmt, va_list ap)
{
    vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
}

static void fail_now(struct wmgw_http_exchange *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail_now(struct wmgw_http_exchange *x, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_detail(x, fmt, ap);
    va_end(ap);
    finish(x, err, false);
}

static void on_timer(h2o_timeout_entry_t *entry);

/* (Re)starts x's single timer; false without memory for a timeout. */
static bool arm(struct wmgw_http_exchange *x, unsigned ms)
{
    h2o_timeout_t *to = wmgw__timeout_get(x->t, ms);
    h2o_timeout_unlink(&x->timer);
    if (to == NULL)
        return false;
    x->timer.cb = on_timer;
    h2o_timeout_link(x->t->loop, to, &x->timer);
    return true;
}

/* A failure found before any I/O, x->detail already written: reported on
 * the next loop turn, since wmgw_http_send has already returned the
 * exchange (or is about to). */
static void defer_failure(struct wmgw_http_exchange *x, int err)
{
    drop_conn(x);
    x->err = err;
    x->phase = P_FAILING;
    arm(x, 0); /* the zero timeout always exists */
}

static void fail_later(struct wmgw_http_exchange *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail_later(struct wmgw_http_exchange *x, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_detail(x, fmt, ap);
    va_end(ap);
    defer_failure(x, err);
}

static void on_timer(h2o_timeout_entry_t *entry)
{
    struct wmgw_http_exchange *x = H2O_STRUCT_FROM_MEMBER(struct wmgw_http_exchange, timer, entry);
    if (x->phase == P_FAILING) {
        finish(x, x->err, false);
        return;
    }
    x->t->stats.timeouts++;
    if (x->phase == P_CONNECTING)
        fail_now(x, WMGW_ETIMEDOUT, "connecting to %s port %u took over %u ms", x->b->address, x->b->port,
                 x->connect_ms);
    else if (x->phase == P_AUTHENTICATING)
        fail_now(x, WMGW_ETIMEDOUT, "%s port %u: no Kerberos ticket within %u ms (is the KDC slow or unreachable?)",
                 x->b->address, x->b->port, x->timeout_ms);
    else
        fail_now(x, WMGW_ETIMEDOUT, "no complete response from %s port %u within %u ms", x->b->address,
                 x->b->port, x->timeout_ms);
}

/* The connection broke: retry once on a new one when the rule allows
 * (see the top of this file), else report. */
static void conn_failed(struct wmgw_http_exchange *x, const char *why)
{
    if (x->reused && !x->got_bytes && !x->retried) {
        x->retried = true;
        drop_conn(x);
        start(x);
        return;
    }
    fail_now(x, WMGW_ECONN, "%s port %u: %s", x->b->address, x->b->port, why);
}

/* --- NTLM, Kerberos, Negotiate (auth_http.h) ------------------------------------- */

static void exchange(struct wmgw_http_exchange *x);

/* The OpenSSL session of a TLS socket, for channel bindings.  h2o 2.2.5
 * (Debian's) has no accessor; its private struct st_h2o_socket_ssl_t
 * starts with these two members.  The SSL_CTX check refuses anything
 * else, so another h2o layout fails cleanly instead of misreading. */
struct h2o225_socket_ssl_prefix {
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

static SSL *conn_ssl(struct wmgw__conn *c)
{
    if (c->sock == NULL || c->sock->ssl == NULL || c->ssl_ctx == NULL)
        return NULL;
    const struct h2o225_socket_ssl_prefix *p = (const void *)c->sock->ssl;
    return p->ssl_ctx == c->ssl_ctx && p->ossl != NULL && SSL_get_SSL_CTX(p->ossl) == c->ssl_ctx ? p->ossl : NULL;
}

/* The channel bindings of x's connection (none over http). */
static int conn_bindings(struct wmgw_http_exchange *x, uint8_t cb[WMGW_GSS_CB_MAX], size_t *cb_len,
                         struct wmgw_err *e)
{
    SSL *ssl = x->b->tls ? conn_ssl(x->conn) : NULL;
    *cb_len = 0;
    if (x->b->tls && x->b->channel_binding && ssl == NULL)
        return wmgw_err_set(e, WMGW_EINTERNAL, "cannot reach the TLS session for channel bindings");
    return wmgw_auth_conn_bindings(x->b, ssl, cb, cb_len, e);
}

/* x->wire becomes the start of a handshake leg: the request line, Host
 * and an empty body; the Authorization line and the blank line follow. */
static int handshake_head(struct wmgw_http_exchange *x)
{
    x->handshaking = true;
    wmgw_buf_reset(&x->wire);
    int rc = wmgw_buf_add(&x->wire, x->out.data, x->head_end);
    return rc == 0 ? wmgw_buf_addstr(&x->wire, "Content-Length: 0\r\n") : rc;
}

/* x->wire becomes the request itself, on an established context: its
 * body encrypted when the host encrypts. */
static int request_with_body(struct wmgw_http_exchange *x, struct wmgw_err *e)
{
    struct wmgw__conn *c = x->conn;
    struct wmgw_buf enc;
    char ctype[160];
    const struct wmgw_buf *body = &x->plain;
    snprintf(ctype, sizeof(ctype), "%s", x->ctype);
    x->handshaking = false;
    wmgw_buf_reset(&x->wire);
    int rc = wmgw_buf_add(&x->wire, x->out.data, x->head_end);
    wmgw_buf_init(&enc, x->wire.max);
    if (rc == 0 && wmgw_auth_conn_encrypts(c->auth)) {
        rc = wmgw_auth_conn_encrypt(c->auth, x->plain.data != NULL ? x->plain.data : "", x->plain.len, &enc, ctype,
                                    sizeof(ctype), e);
        body = &enc;
    }
    if (rc == 0)
        rc = wmgw_buf_printf(&x->wire, "Content-Length: %zu\r\n", body->len);
    if (rc == 0 && ctype[0] != '\0')
        rc = wmgw_buf_printf(&x->wire, "Content-Type: %s\r\n", ctype);
    if (rc == 0)
        rc = wmgw_buf_add(&x->wire, x->out.data + x->head_end, x->out.len - x->head_end);
    if (rc == 0)
        rc = wmgw_buf_addstr(&x->wire, "\r\n");
    if (rc == 0 && body->len > 0)
        rc = wmgw_buf_add(&x->wire, body->data, body->len);
    wmgw_buf_dispose(&enc);
    return rc;
}

/* Writes the next bytes for x's connection into x->wire: a handshake leg
 * (an empty POST with the next token; challenge is the host's 401 value,
 * NULL at first) or, once the context is established, the request, its
 * body encrypted when the host encrypts.  x->detail says why on failure. */
static int auth_prepare(struct wmgw_http_exchange *x, const char *challenge)
{
    struct wmgw__conn *c = x->conn;
    struct wmgw_err e = {0};
    int rc = 0;
    if (c->sock != NULL && h2o_socket_is_writing(c->sock)) {
        snprintf(x->detail, sizeof(x->detail), "%s port %u: the host answered before reading the request",
                 x->b->address, x->b->port);
        return WMGW_ECONN;
    }
    if (c->auth == NULL) {
        uint8_t cb[WMGW_GSS_CB_MAX];
        size_t cb_len;
        rc = conn_bindings(x, cb, &cb_len, &e);
        if (rc == 0)
            rc = wmgw_auth_conn_new(x->b, cb, cb_len, &c->auth, &e);
    }
    if (rc == 0 && !wmgw_auth_conn_established(c->auth)) {
        rc = handshake_head(x);
        if (rc == 0)
            rc = wmgw_auth_conn_authorization(c->auth, challenge, &x->wire, &e);
        if (rc == 0)
            rc = wmgw_buf_addstr(&x->wire, "\r\n");
    } else if (rc == 0) {
        rc = request_with_body(x, &e);
    }
    if (rc != 0)
        snprintf(x->detail, sizeof(x->detail), "%s port %u: %s", x->b->address, x->b->port,
                 e.message[0] != '\0' ? e.message : wmgw_err_summary(rc));
    x->wire_ready = rc == 0;
    return rc;
}

/* A complete response on a GSSAPI connection.  True when handled here
 * (the handshake goes on, or the exchange ended); false to finish as
 * usual (the response decrypted). */
static bool auth_on_response(struct wmgw_http_exchange *x, bool reusable)
{
    struct wmgw__conn *c = x->conn;
    struct wmgw_err e = {0};
    char why[sizeof(x->detail)];
    int rc;
    if (!x->handshaking) {
        if (x->resp.status == 401) { /* the host dropped the context: report its 401 */
            finish(x, 0, false);
            return true;
        }
        if ((rc = wmgw_auth_conn_decrypt(c->auth, &x->resp, &e)) != 0) {
            fail_now(x, rc, "%s", e.message);
            return true;
        }
        return false;
    }
    const char *challenge = x->resp.auth_challenge;
    if (x->resp.status == 401) {
        /* A refusal (context complete, or no token to go on with) is the
         * host's answer: its 401 goes to the caller. */
        if (wmgw_auth_conn_established(c->auth) || !wmgw_auth_http_challenge_has_token(challenge)) {
            finish(x, 0, false);
            return true;
        }
        if (!reusable) {
            fail_now(x, WMGW_ECONN, "%s port %u: the host closed the connection during authentication", x->b->address,
                     x->b->port);
            return true;
        }
    } else if ((rc = wmgw_auth_conn_finish(c->auth, challenge, &e)) != 0) {
        fail_now(x, rc, "%s port %u: %s", x->b->address, x->b->port, e.message);
        return true;
    } else if (!reusable) {
        fail_now(x, WMGW_ECONN, "%s port %u: the host closed the connection after authentication", x->b->address,
                 x->b->port);
        return true;
    }
    if ((rc = auth_prepare(x, x->resp.status == 401 ? challenge : NULL)) != 0) {
        snprintf(why, sizeof(why), "%s", x->detail);
        fail_now(x, rc, "%s", why);
        return true;
    }
    exchange(x);
    return true;
}

/* --- the first Kerberos/Negotiate token, off the loop (offload.c) ---------------- */

struct auth_job {
    struct wmgw__job job;         /* first: what offload.c sees */
    struct wmgw_http_exchange *x; /* loop side; NULL once the exchange ended */
    struct wmgw_backend *b;       /* counted: outlives the exchange if need be */
    uint8_t cb[WMGW_GSS_CB_MAX];
    size_t cb_len;
    struct wmgw_auth_conn *auth; /* made by run() */
    struct wmgw_buf line;        /* its first Authorization line */
    int rc;
    struct wmgw_err err;
};

static void job_free(struct auth_job *j)
{
    wmgw_auth_conn_free(j->auth);
    wmgw_buf_dispose(&j->line);
    wmgw_backend_unref(j->b);
    free(j);
}

static void job_run(struct wmgw__job *job)
{
    struct auth_job *j = (struct auth_job *)job;
    j->rc = wmgw_auth_conn_new(j->b, j->cb, j->cb_len, &j->auth, &j->err);
    if (j->rc == 0)
        j->rc = wmgw_auth_conn_authorization(j->auth, NULL, &j->line, &j->err);
}

static void job_discard(struct wmgw__job *job)
{
    job_free((struct auth_job *)job);
}

/* Back on the loop: the connection gets the context and the first leg goes out. */
static void job_done(struct wmgw__job *job)
{
    struct auth_job *j = (struct auth_job *)job;
    struct wmgw_http_exchange *x = j->x;
    if (x == NULL) {
        job_free(j);
        return;
    }
    x->job = NULL;
    int rc = j->rc;
    if (rc != 0) {
        fail_now(x, rc, "%s port %u: %s", x->b->address, x->b->port,
                 j->err.message[0] != '\0' ? j->err.message : wmgw_err_summary(rc));
        job_free(j);
        return;
    }
    x->conn->auth = j->auth;
    j->auth = NULL;
    rc = handshake_head(x);
    if (rc == 0)
        rc = wmgw_buf_add(&x->wire, j->line.data, j->line.len);
    if (rc == 0)
        rc = wmgw_buf_addstr(&x->wire, "\r\n");
    job_free(j);
    if (rc != 0) {
        fail_now(x, rc, "%s port %u: no room for the Authorization header", x->b->address, x->b->port);
        return;
    }
    x->wire_ready = true;
    exchange(x);
}

static void detach_job(struct wmgw_http_exchange *x)
{
    if (x->job != NULL) {
        x->job->x = NULL; /* job_done frees it */
        x->job = NULL;
    }
}

/* Kerberos and Negotiate may ask the KDC for tickets while making the
 * first token of a new connection: that goes to offload.c, and exchange()
 * goes on when it is back.  False: make it here (NTLM, a context already
 * there, or no thread to run it). */
static bool offload_first_token(struct wmgw_http_exchange *x)
{
    if ((x->scheme != WMGW_AUTH_HTTP_KERBEROS && x->scheme != WMGW_AUTH_HTTP_NEGOTIATE) || x->conn->auth != NULL)
        return false;
    struct auth_job *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return false;
    wmgw_buf_init(&j->line, x->wire.max);
    if (conn_bindings(x, j->cb, &j->cb_len, &j->err) != 0) {
        job_free(j); /* auth_prepare meets the same failure and reports it */
        return false;
    }
    j->job.run = job_run;
    j->job.done = job_done;
    j->job.discard = job_discard;
    j->b = wmgw_backend_ref(x->b);
    j->x = x;
    if (wmgw__offload(x->t, &j->job) != 0) {
        job_free(j);
        return false;
    }
    x->job = j;
    x->phase = P_AUTHENTICATING;
    return true;
}

/* --- the exchange on a connected socket ----------------------------------------- */

static void on_write(h2o_socket_t *sock, const char *err)
{
    struct wmgw__conn *c = sock->data;
    if (err != NULL)
        conn_failed(c->x, "sending the request failed");
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    struct wmgw_http_exchange *x = ((struct wmgw__conn *)sock->data)->x;
    if (sock->input->size != 0) {
        size_t used;
        x->got_bytes = true;
        int rc = wmgw_http_parse(&x->parser, sock->input->bytes, sock->input->size, &used);
        bool leftover = used < sock->input->size;
        h2o_buffer_consume(&sock->input, used);
        if (rc == WMGW_HTTP_DONE) {
            /* Bytes after the response belong to nothing: do not reuse. */
            bool reusable = x->parser.keep_alive && !leftover;
            if (x->gss && auth_on_response(x, reusable))
                return;
            finish(x, 0, reusable);
            return;
        }
        if (rc < 0) {
            fail_now(x, rc, "%s port %u: %s", x->b->address, x->b->port, x->parser.error);
            return;
        }
    }
    if (err != NULL) {
        if (wmgw_http_parse_eof(&x->parser) == WMGW_HTTP_DONE) {
            if (!x->gss || !auth_on_response(x, false))
                finish(x, 0, false);
        }
        else
            conn_failed(x, x->parser.error);
    }
}

/* The connection is up: send the request and read the response. */
static void exchange(struct wmgw_http_exchange *x)
{
    h2o_socket_t *sock = x->conn->sock;
    x->phase = P_EXCHANGING;
    x->got_bytes = false;
    wmgw_http_parser_dispose(&x->parser);
    wmgw_http_parser_init(&x->parser, &x->resp);
    if (!arm(x, x->timeout_ms)) {
        fail_later(x, WMGW_ENOMEM, "no memory for a timer"); /* may run inside wmgw_http_send */
        return;
    }
    if (x->gss && !x->wire_ready) {
        if (offload_first_token(x))
            return;
        int rc = auth_prepare(x, NULL);
        if (rc != 0) {
            defer_failure(x, rc);
            return;
        }
    }
    struct wmgw_buf *w = x->gss ? &x->wire : &x->out;
    x->wire_ready = false;
    h2o_iovec_t buf = h2o_iovec_init(w->data, w->len);
    h2o_socket_read_start(sock, on_read);
    h2o_socket_write(sock, &buf, 1, on_write);
}

static void on_handshake(h2o_socket_t *sock, const char *err)
{
    struct wmgw_http_exchange *x = ((struct wmgw__conn *)sock->data)->x;
    if (err != NULL && !wmgw__tls_superseded_error(err)) {
        fail_now(x, WMGW_ECONN, "TLS with %s port %u failed: %s", x->b->address, x->b->port, err);
        return;
    }
    exchange(x);
}

static void on_connect(h2o_socket_t *sock, const char *err)
{
    struct wmgw__conn *c = sock->data;
    struct wmgw_http_exchange *x = c->x;
    if (err != NULL) {
        fail_now(x, WMGW_ECONN, "connecting to %s port %u failed: %s", x->b->address, x->b->port, err);
        return;
    }
    if (c->ssl_ctx != NULL)
        h2o_socket_ssl_handshake(sock, c->ssl_ctx, wmgw__tls_peer_name(x->b), on_handshake);
    else
        exchange(x);
}

/* --- connecting ------------------------------------------------------------------- */

/* A numeric IPv4 or IPv6 address (with an optional %zone) and the port.
 * Names are not resolved here: getaddrinfo blocks the loop, and h2o
 * 2.2.5's threaded resolver cannot be cancelled safely when a transport
 * goes away (its thread later writes to the freed receiver), so names are
 * resolved when a host is configured (b->ip) and one reaching here
 * unresolved is ECONFIG. */
bool wmgw_transport_backend_addr(const struct wmgw_backend *b, uint16_t port, struct sockaddr_storage *ss,
                                 unsigned *len)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *addr = b->ip != NULL ? b->ip : b->address;
    const char *zone = strchr(addr, '%');
    size_t n = zone != NULL ? (size_t)(zone - addr) : strlen(addr);
    if (n >= sizeof(host))
        return false;
    memcpy(host, addr, n);
    host[n] = '\0';
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (zone == NULL && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof(*v4);
        return true;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
        return false;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    if (zone != NULL) {
        char *end;
        unsigned long id = strtoul(zone + 1, &end, 10);
        v6->sin6_scope_id = *end == '\0' && end != zone + 1 ? (uint32_t)id : if_nametoindex(zone + 1);
        if (v6->sin6_scope_id == 0)
            return false;
    }
    *len = sizeof(*v6);
    return true;
}

static void connect_new(struct wmgw_http_exchange *x)
{
    struct wmgw_transport *t = x->t;
    const struct wmgw_backend *b = x->b;
    struct sockaddr_storage ss;
    unsigned len;
    SSL_CTX *ctx = NULL;
    x->reused = false;
    if (!wmgw_transport_backend_addr(b, b->port, &ss, &len)) {
        fail_later(x, WMGW_ECONFIG,
                   "host address \"%.80s\" is not a numeric IP address: resolve names in the configuration",
                   b->address);
        return;
    }
    if (b->tls) {
        int rc = wmgw__tls_ctx(t, b, &ctx, x->detail, sizeof(x->detail));
        if (rc != 0) {
            defer_failure(x, rc);
            return;
        }
    }
    struct wmgw__conn *c = wmgw__conn_new(t, b->id, x->cred);
    if (c == NULL) {
        fail_later(x, WMGW_ENOMEM, "no memory for a connection");
        return;
    }
    t->stats.connects++;
    if ((c->sock = h2o_socket_connect(t->loop, (struct sockaddr *)&ss, len, on_connect)) == NULL) {
        int e = errno;
        wmgw__conn_close(c);
        fail_later(x, WMGW_ECONN, "connecting to %s port %u failed: %s", b->address, b->port, strerror(e));
        return;
    }
    c->sock->data = c;
    if (ctx != NULL) {
        SSL_CTX_up_ref(ctx);
        c->ssl_ctx = ctx;
    }
    c->x = x;
    x->conn = c;
    x->phase = P_CONNECTING;
    if (!arm(x, x->connect_ms))
        fail_later(x, WMGW_ENOMEM, "no memory for a timer");
}

/* A pooled connection, else a new one (always new for the retry). */
static void start(struct wmgw_http_exchange *x)
{
    struct wmgw__conn *c = x->retried ? NULL : wmgw__pool_take(x->t, x->b->id, x->cred);
    if (c == NULL) {
        connect_new(x);
        return;
    }
    x->t->stats.reuses++;
    x->reused = true;
    c->x = x;
    x->conn = c;
    exchange(x);
}

/* --- the request bytes --------------------------------------------------------------- */

static bool is_token(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c) != NULL))
            return false;
    }
    return true;
}

/* A field value we may put on the wire: no CR, LF or other controls. */
static bool is_value(const char *s)
{
    if (s == NULL)
        return false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c != '\t' && (c < 0x20 || c == 0x7f))
            return false;
    }
    return true;
}

/* Fields the transport writes itself. */
static bool reserved_field(const char *name, const struct wmgw_http_request *req, bool auth)
{
    static const char *const ours[] = {"Host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade"};
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if (strcasecmp(name, ours[i]) == 0)
            return true;
    return (auth && strcasecmp(name, "Authorization") == 0) ||
           (req->content_type != NULL && strcasecmp(name, "Content-Type") == 0);
}

/* "Authorization: Basic base64(user:password)" (RFC 7617).  The pair sits
 * on the stack (no realloc leaves copies behind) and is wiped after use. */
static int add_basic(struct wmgw_buf *out, const struct wmgw_backend *b)
{
    char pair[4096];
    struct wmgw_backend_credential c;
    if (!wmgw_auth_http_credential(b, &c))
        return WMGW_ECONFIG;
    size_t ulen = strlen(c.user), plen = c.password != NULL ? strlen(c.password) : 0;
    if (ulen + 1 + plen > sizeof(pair))
        return WMGW_ECONFIG;
    memcpy(pair, c.user, ulen);
    pair[ulen] = ':';
    if (plen > 0)
        memcpy(pair + ulen + 1, c.password, plen);
    int rc = wmgw_buf_addstr(out, "Authorization: Basic ");
    if (rc == 0)
        rc = wmgw_base64_encode(out, pair, ulen + 1 + plen, WMGW_BASE64_STD);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\r\n");
    OPENSSL_cleanse(pair, ulen + 1 + plen);
    return rc;
}

/* A bad path: backend configuration, reported through the callback. */
static bool is_path(const char *p)
{
    if (p == NULL || p[0] != '/')
        return false;
    for (; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

/* For GSSAPI hosts, the request is written per connection (auth_prepare):
 * keep the caller's fields after the Host line in x->out, its body and
 * Content-Type. */
static int stash_for_auth(struct wmgw_http_exchange *x, const struct wmgw_http_request *req)
{
    x->head_end = x->out.len;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < req->nheaders; i++)
        rc = wmgw_buf_printf(&x->out, "%s: %s\r\n", req->headers[i].name, req->headers[i].value);
    if (req->content_type != NULL && strlen(req->content_type) >= sizeof(x->ctype))
        rc = WMGW_EINVAL;
    else
        snprintf(x->ctype, sizeof(x->ctype), "%s", req->content_type != NULL ? req->content_type : "");
    wmgw_buf_init(&x->plain, req->body_len);
    if (rc == 0 && req->body_len > 0)
        rc = wmgw_buf_add(&x->plain, req->body, req->body_len);
    /* The encrypted body: the plaintext, its per-message header and the
     * multipart framing, generously. */
    wmgw_buf_init(&x->wire, req->body_len + req->body_len / 8 + 2 * REQUEST_HEAD_MAX + 4 * 65536);
    return rc == WMGW_ETOOBIG ? WMGW_EINVAL : rc;
}

/* Writes the whole request into x->out.  WMGW_EINVAL: the caller's
 * request is malformed; WMGW_ECONFIG: the backend's settings are. */
static int format_request(struct wmgw_http_exchange *x, const struct wmgw_http_request *req)
{
    const struct wmgw_backend *b = x->b;
    struct wmgw_buf *out = &x->out;
    if (!is_token(req->method) || strcasecmp(req->method, "HEAD") == 0 || strcasecmp(req->method, "CONNECT") == 0 ||
        (req->body_len > 0 && req->body == NULL) || req->body_len > SIZE_MAX - REQUEST_HEAD_MAX ||
        (req->nheaders > 0 && req->headers == NULL) || (req->content_type != NULL && !is_value(req->content_type)))
        return WMGW_EINVAL;
    for (size_t i = 0; i < req->nheaders; i++)
        if (!is_token(req->headers[i].name) || !is_value(req->headers[i].value) ||
            reserved_field(req->headers[i].name, req, x->cred != NULL))
            return WMGW_EINVAL;
    if (b->address == NULL || b->address[0] == '\0') {
        snprintf(x->detail, sizeof(x->detail), "the host has no address");
        return WMGW_ECONFIG;
    }
    if (!is_path(b->path)) {
        snprintf(x->detail, sizeof(x->detail), "the host's path is not an absolute URL path");
        return WMGW_ECONFIG;
    }
    if (x->scheme != WMGW_AUTH_HTTP_NONE && x->cred == NULL) {
        snprintf(x->detail, sizeof(x->detail), "the host's user and domain are too long");
        return WMGW_ECONFIG;
    }
    if (x->scheme == WMGW_AUTH_HTTP_CERTIFICATE && !b->tls) { /* the certificate goes in a TLS handshake */
        snprintf(x->detail, sizeof(x->detail), "certificate authentication needs https");
        return WMGW_ECONFIG;
    }
    if (x->scheme == WMGW_AUTH_HTTP_BASIC && strchr(b->user, ':') != NULL) {
        snprintf(x->detail, sizeof(x->detail), "a user name with ':' cannot be sent with HTTP Basic");
        return WMGW_ECONFIG;
    }

    wmgw_buf_init(out, req->body_len + REQUEST_HEAD_MAX);
    const char *host = b->tls ? wmgw__tls_peer_name(b) : b->address;
    bool v6 = strchr(host, ':') != NULL;
    int rc = wmgw_buf_printf(out, "%s %s HTTP/1.1\r\nHost: %s%.*s%s", req->method, b->path, v6 ? "[" : "",
                             (int)strcspn(host, "%"), host, v6 ? "]" : "");
    if (rc == 0 && b->port != (b->tls ? 443 : 80))
        rc = wmgw_buf_printf(out, ":%u", b->port);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\r\n");
    if (rc == 0 && x->gss)
        return stash_for_auth(x, req);
    bool has_body = req->body_len > 0 || strcasecmp(req->method, "POST") == 0 ||
                    strcasecmp(req->method, "PUT") == 0 || strcasecmp(req->method, "PATCH") == 0;
    if (rc == 0 && has_body)
        rc = wmgw_buf_printf(out, "Content-Length: %zu\r\n", req->body_len);
    if (rc == 0 && req->content_type != NULL)
        rc = wmgw_buf_printf(out, "Content-Type: %s\r\n", req->content_type);
    /* Certificate: the TLS layer presented it; the header names the
     * secprofile (WinRM's mutual https profile, as pywinrm sends it). */
    if (rc == 0 && x->cred != NULL)
        rc = x->scheme == WMGW_AUTH_HTTP_CERTIFICATE
                 ? wmgw_buf_addstr(out, "Authorization: " WMGW_AUTH_HTTP_MUTUAL "\r\n")
                 : add_basic(out, b);
    for (size_t i = 0; rc == 0 && i < req->nheaders; i++)
        rc = wmgw_buf_printf(out, "%s: %s\r\n", req->headers[i].name, req->headers[i].value);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\r\n");
    if (rc == 0 && req->body_len > 0)
        rc = wmgw_buf_add(out, req->body, req->body_len);
    if (rc == WMGW_ECONFIG)
        snprintf(x->detail, sizeof(x->detail), "the host's credentials are too long for HTTP Basic");
    else if (rc != 0)
        rc = rc == WMGW_ETOOBIG ? WMGW_EINVAL : rc; /* extra fields over REQUEST_HEAD_MAX */
    return rc;
}

/* --- the interface --------------------------------------------------------------------- */

struct wmgw_http_exchange *wmgw_http_send(struct wmgw_transport *t, struct wmgw_backend *b,
                                          const struct wmgw_http_request *req, wmgw_http_cb cb, void *data)
{
    if (t == NULL || b == NULL || req == NULL || cb == NULL)
        return NULL;
    struct wmgw_http_exchange *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return NULL;
    x->t = t;
    x->b = wmgw_backend_ref(b);
    struct wmgw_backend_credential bc;
    if (!req->no_auth && wmgw_auth_http_credential(b, &bc)) {
        x->scheme = wmgw_auth_http_scheme(b);
        x->gss = x->scheme != WMGW_AUTH_HTTP_BASIC && x->scheme != WMGW_AUTH_HTTP_NONE &&
                 x->scheme != WMGW_AUTH_HTTP_CERTIFICATE;
        if (wmgw_auth_http_identity(x->scheme, &bc, x->identity, sizeof(x->identity)) == 0)
            x->cred = x->identity;
    }
    x->cb = cb;
    x->data = data;
    x->connect_ms = b->connect_timeout_ms != 0 ? b->connect_timeout_ms : DEFAULT_CONNECT_MS;
    x->timeout_ms = req->timeout_ms != 0                ? req->timeout_ms
                    : b->operation_timeout_ms != 0 ? b->operation_timeout_ms
                                                   : DEFAULT_TIMEOUT_MS;
    size_t max = req->max_response != 0 ? req->max_response
                 : b->max_envelope_size != 0 ? b->max_envelope_size
                                             : DEFAULT_MAX_RESPONSE;
    wmgw_buf_init(&x->resp.body, max);
    wmgw_http_parser_init(&x->parser, &x->resp);
    int rc = format_request(x, req);
    if (rc != 0 && rc != WMGW_ECONFIG) {
        free_exchange(x);
        return NULL;
    }
    h2o_linklist_insert(&t->exchanges, &x->link);
    t->stats.requests++;
    if (rc != 0)
        defer_failure(x, rc);
    else
        start(x);
    return x;
}

void wmgw_http_cancel(struct wmgw_http_exchange *x)
{
    if (x == NULL || x->in_callback)
        return;
    h2o_timeout_unlink(&x->timer);
    h2o_linklist_unlink(&x->link);
    drop_conn(x);
    free_exchange(x);
}

void wmgw__cancel_all(struct wmgw_transport *t)
{
    while (!h2o_linklist_is_empty(&t->exchanges))
        wmgw_http_cancel(H2O_STRUCT_FROM_MEMBER(struct wmgw_http_exchange, link, t->exchanges.next));
}
