/*
 * wmi_chan.c: one TCP connection carrying one DCE/RPC connection, on the
 * worker's h2o loop (wmi_int.h).  rpc_conn.c knows no sockets: this file
 * connects (to the configured address only, see wmi_session.c), writes
 * what the RPC connection queues, feeds it what arrives and turns its
 * events into one callback per exchange.
 *
 * An exchange is one request: the first on a connection connects and
 * binds (with the NTLM legs), a request to another interface binds it
 * with alter_context first, so callers only ever say "call opnum N of
 * interface I".  One exchange at a time, as rpc_conn wants.
 *
 * Deadlines: the connect timeout from TCP connect to connected, then the
 * caller's timeout over each bind and request.  Either ends the exchange
 * with WMGW_ETIMEDOUT and leaves the connection dead: a late reply would
 * be out of step.
 *
 * Input is fed in pieces and polled after each, so rpc_conn never holds
 * more than one read of unpolled bytes; a reply is reassembled there
 * (bounded by max_stub).  Output is copied into a write buffer that lives
 * until h2o has written it.
 */
#include "translators/wmi/wmi_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "translators/transport/http_client.h"
#include "translators/wmi/dcom_ids.h"

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o/socket.h>
#include <h2o/timeout.h>

#define FEED_CHUNK (64u << 10)
#define MAX_IFACES 16

enum chan_phase {
    CH_NEW,        /* not connected yet */
    CH_CONNECTING,
    CH_IDLE,       /* connected, nothing in flight */
    CH_BINDING,    /* bind or alter_context for the pending request */
    CH_CALLING,    /* the request is out */
    CH_DEAD,
};

struct wmgw_wmi_chan {
    struct wmgw_transport *t;
    h2o_loop_t *loop;
    struct wmgw_backend *b;     /* counted; only its address and name are used */
    uint16_t port;
    unsigned connect_ms;
    struct wmgw_rpc_conn *rpc;
    h2o_socket_t *sock;
    h2o_timeout_entry_t timer;
    enum chan_phase phase;
    /* the exchange in flight */
    wmgw_wmi_chan_cb cb;
    void *data;
    struct wmgw_uuid iid, object;
    bool has_object;
    uint16_t opnum;
    unsigned timeout_ms;
    struct wmgw_buf req;        /* the stub, until it is handed to rpc_conn */
    uint32_t call_id;
    /* interfaces bound on this connection and their presentation contexts */
    size_t nifaces;
    struct {
        struct wmgw_uuid iid;
        uint16_t cont;
    } ifaces[MAX_IFACES];
    uint16_t pending_cont;
    /* writing */
    struct wmgw_buf wbuf;       /* the bytes h2o is writing */
    bool writing;
    /* callbacks in progress: free waits until they return */
    unsigned depth;
    bool freed;
    uint64_t bytes_in, bytes_out;
};

static void really_free(struct wmgw_wmi_chan *c)
{
    h2o_timeout_unlink(&c->timer);
    if (c->sock != NULL) {
        c->sock->data = NULL;
        h2o_socket_close(c->sock);
    }
    wmgw_rpc_conn_free(c->rpc);
    wmgw_buf_dispose(&c->req);
    wmgw_buf_dispose(&c->wbuf);
    wmgw_backend_unref(c->b);
    free(c);
}

void wmgw_wmi_chan_free(struct wmgw_wmi_chan *c)
{
    if (c == NULL)
        return;
    c->cb = NULL;
    if (c->depth > 0) {
        c->freed = true; /* the frame below us frees it */
        return;
    }
    really_free(c);
}

/* Every entry from the loop brackets its work with enter/leave, so a
 * callback may free the connection: the free happens on the way out. */
static void enter(struct wmgw_wmi_chan *c)
{
    c->depth++;
}

static void leave(struct wmgw_wmi_chan *c)
{
    if (--c->depth == 0 && c->freed)
        really_free(c);
}

bool wmgw_wmi_chan_usable(const struct wmgw_wmi_chan *c)
{
    return c != NULL && !c->freed && (c->phase == CH_IDLE || c->phase == CH_NEW);
}

void wmgw_wmi_chan_bytes(const struct wmgw_wmi_chan *c, uint64_t *in, uint64_t *out)
{
    *in = c->bytes_in;
    *out = c->bytes_out;
}

/* Ends the exchange in flight with rc (0 and ev, or an error). */
static void deliver(struct wmgw_wmi_chan *c, int rc, const struct wmgw_rpc_event *ev, const struct wmgw_err *err)
{
    wmgw_wmi_chan_cb cb = c->cb;
    h2o_timeout_unlink(&c->timer);
    c->cb = NULL;
    if (rc != 0)
        c->phase = CH_DEAD;
    else if (c->phase != CH_DEAD)
        c->phase = CH_IDLE;
    if (cb != NULL)
        cb(c->data, rc, ev, err); /* callers bracket with enter/leave */
}

static void fail(struct wmgw_wmi_chan *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct wmgw_wmi_chan *c, int rc, const char *fmt, ...)
{
    struct wmgw_err err;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wmgw_err_set(&err, rc, "%s port %u: %s", c->b->address, c->port, msg);
    c->phase = CH_DEAD;
    deliver(c, rc, NULL, &err);
}

static void on_timer(h2o_timeout_entry_t *entry)
{
    struct wmgw_wmi_chan *c = H2O_STRUCT_FROM_MEMBER(struct wmgw_wmi_chan, timer, entry);
    enter(c);
    if (c->phase == CH_CONNECTING)
        fail(c, WMGW_ETIMEDOUT, "connecting took over %u ms", c->connect_ms);
    else
        fail(c, WMGW_ETIMEDOUT, "no answer within %u ms", c->timeout_ms);
    leave(c);
}

static bool arm(struct wmgw_wmi_chan *c, unsigned ms)
{
    h2o_timeout_t *to = wmgw_transport_timeout(c->t, ms);
    h2o_timeout_unlink(&c->timer);
    if (to == NULL)
        return false;
    c->timer.cb = on_timer;
    h2o_timeout_link(c->loop, to, &c->timer);
    return true;
}

/* --- writing ---------------------------------------------------------------- */

static void flush(struct wmgw_wmi_chan *c);

static void on_write(h2o_socket_t *sock, const char *err)
{
    struct wmgw_wmi_chan *c = sock->data;
    if (c == NULL)
        return;
    enter(c);
    c->writing = false;
    wmgw_buf_reset(&c->wbuf);
    if (err == NULL)
        flush(c);
    else if (c->cb != NULL)
        fail(c, WMGW_ECONN, "sending failed: %s", err);
    else
        c->phase = CH_DEAD;
    leave(c);
}

/* Writes what the RPC connection has queued (one write at a time). */
static void flush(struct wmgw_wmi_chan *c)
{
    const uint8_t *data;
    size_t len;
    if (c->writing || c->sock == NULL || c->phase == CH_CONNECTING)
        return;
    wmgw_rpc_conn_output(c->rpc, &data, &len);
    if (len == 0)
        return;
    wmgw_buf_reset(&c->wbuf);
    if (wmgw_buf_add(&c->wbuf, data, len) != 0) {
        fail(c, WMGW_ENOMEM, "no memory for %zu bytes of output", len);
        return;
    }
    wmgw_rpc_conn_consume(c->rpc, len);
    c->bytes_out += len;
    c->writing = true;
    h2o_iovec_t buf = h2o_iovec_init(c->wbuf.data, c->wbuf.len);
    h2o_socket_write(c->sock, &buf, 1, on_write);
}

/* --- the exchange ------------------------------------------------------------ */

static bool find_iface(const struct wmgw_wmi_chan *c, uint16_t *cont)
{
    for (size_t i = 0; i < c->nifaces; i++) {
        if (wmgw_uuid_eq(&c->ifaces[i].iid, &c->iid)) {
            *cont = c->ifaces[i].cont;
            return true;
        }
    }
    return false;
}

/* Connected: bind the interface if needed, else send the request.  A
 * failure kills the connection and is returned, not delivered. */
static int step(struct wmgw_wmi_chan *c, struct wmgw_err *err)
{
    uint16_t cont;
    int rc;
    if (!find_iface(c, &cont)) {
        struct wmgw_rpc_syntax s = wmgw_dcom_syntax(&c->iid);
        if (c->nifaces == MAX_IFACES)
            rc = wmgw_err_set(err, WMGW_ETOOBIG, "more than %d interfaces on one connection", MAX_IFACES);
        else
            rc = wmgw_rpc_conn_bind(c->rpc, &s, &c->pending_cont, err);
        c->phase = CH_BINDING;
    } else {
        rc = wmgw_rpc_conn_request(c->rpc, cont, c->opnum, c->has_object ? &c->object : NULL,
                                   (const uint8_t *)c->req.data, c->req.len, &c->call_id, err);
        wmgw_buf_reset(&c->req);
        c->phase = CH_CALLING;
    }
    if (rc == 0 && !arm(c, c->timeout_ms))
        rc = wmgw_err_set(err, WMGW_ENOMEM, "no memory for a timer");
    if (rc != 0) {
        c->phase = CH_DEAD;
        return rc;
    }
    flush(c);
    return 0;
}

/* step() from the loop: a failure ends the exchange. */
static void step_async(struct wmgw_wmi_chan *c)
{
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = step(c, &err);
    if (rc != 0)
        deliver(c, rc, NULL, &err);
}

static void on_event(struct wmgw_wmi_chan *c, const struct wmgw_rpc_event *ev)
{
    struct wmgw_err err;
    switch (ev->kind) {
    case WMGW_RPC_EV_BOUND:
        if (c->phase != CH_BINDING)
            break;
        c->ifaces[c->nifaces].iid = c->iid;
        c->ifaces[c->nifaces++].cont = ev->cont_id;
        step_async(c);
        return;
    case WMGW_RPC_EV_REJECTED: {
        const char *name = wmgw_dcom_uuid_name(&c->iid);
        if (ev->status != 0)
            wmgw_err_set(&err, WMGW_EBACKEND, "the host refused to bind %s: fault 0x%08x", name ? name : "an interface",
                         ev->status);
        else
            wmgw_err_set(&err, WMGW_EBACKEND, "the host refused to bind %s (result %u, reason %u)",
                         name ? name : "an interface", ev->result, ev->reason);
        c->phase = CH_DEAD;
        deliver(c, WMGW_EBACKEND, NULL, &err);
        return;
    }
    case WMGW_RPC_EV_RESPONSE:
    case WMGW_RPC_EV_FAULT:
        if (c->phase != CH_CALLING || ev->call_id != c->call_id)
            break;
        deliver(c, 0, ev, NULL);
        return;
    case WMGW_RPC_EV_SHUTDOWN:
        if (c->cb != NULL)
            fail(c, WMGW_ECONN, "the host shut the connection down");
        else
            c->phase = CH_DEAD;
        return;
    default:
        break;
    }
    fail(c, WMGW_EPROTO, "DCE/RPC event %d out of turn", ev->kind);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    struct wmgw_wmi_chan *c = sock->data;
    if (c == NULL)
        return;
    enter(c);
    size_t off = 0, total = sock->input->size;
    c->bytes_in += total;
    while (off < total && !c->freed && c->phase != CH_DEAD) {
        size_t n = total - off < FEED_CHUNK ? total - off : FEED_CHUNK;
        struct wmgw_err e;
        wmgw_err_clear(&e);
        int rc = wmgw_rpc_conn_feed(c->rpc, (const uint8_t *)sock->input->bytes + off, n, &e);
        off += n;
        struct wmgw_rpc_event ev;
        while (rc == 0 && !c->freed && c->phase != CH_DEAD && (rc = wmgw_rpc_conn_poll(c->rpc, &ev, &e)) == 1) {
            on_event(c, &ev);
            rc = 0;
        }
        if (rc < 0 && !c->freed && c->phase != CH_DEAD) {
            if (c->cb != NULL)
                fail(c, rc == WMGW_ETOOBIG ? WMGW_EPROTO : rc, "%s", e.message);
            c->phase = CH_DEAD;
        }
    }
    if (!c->freed && c->sock != NULL)
        h2o_buffer_consume(&sock->input, total);
    if (err != NULL && !c->freed && c->phase != CH_DEAD) {
        if (c->cb != NULL)
            fail(c, WMGW_ECONN, "the connection closed (%s)", err);
        c->phase = CH_DEAD;
    }
    if (!c->freed && c->phase != CH_DEAD)
        flush(c); /* rpc_auth3, say, queued while reading */
    leave(c);
}

static void on_connect(h2o_socket_t *sock, const char *err)
{
    struct wmgw_wmi_chan *c = sock->data;
    if (c == NULL)
        return;
    enter(c);
    if (err != NULL) {
        fail(c, WMGW_ECONN, "connecting failed: %s", err);
    } else {
        c->phase = CH_IDLE;
        h2o_socket_read_start(sock, on_read);
        step_async(c);
    }
    leave(c);
}

static int connect_now(struct wmgw_wmi_chan *c, struct wmgw_err *err)
{
    struct sockaddr_storage ss;
    unsigned len;
    if (c->b->address == NULL || !wmgw_transport_backend_addr(c->b, c->port, &ss, &len))
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host address \"%.80s\" is not a numeric IP address: resolve names in the configuration",
                            c->b->address ? c->b->address : "");
    h2o_socket_t *sock = h2o_socket_connect(c->loop, (struct sockaddr *)&ss, (socklen_t)len, on_connect);
    if (sock == NULL)
        return wmgw_err_set(err, WMGW_ECONN, "connecting to %s port %u failed: %s", c->b->address, c->port,
                            strerror(errno));
    sock->data = c;
    c->sock = sock;
    c->phase = CH_CONNECTING;
    if (!arm(c, c->connect_ms)) {
        c->phase = CH_DEAD;
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for a timer");
    }
    return 0;
}

int wmgw_wmi_chan_call(struct wmgw_wmi_chan *c, const struct wmgw_uuid *iid, uint16_t opnum,
                       const struct wmgw_uuid *object, const uint8_t *stub, size_t len, unsigned timeout_ms,
                       wmgw_wmi_chan_cb cb, void *data, struct wmgw_err *err)
{
    if (!wmgw_wmi_chan_usable(c))
        return wmgw_err_set(err, WMGW_ECONN, "the DCE/RPC connection is %s", c && c->cb ? "busy" : "closed");
    wmgw_buf_reset(&c->req);
    if (wmgw_buf_add(&c->req, stub, len) != 0)
        return wmgw_err_set(err, WMGW_ETOOBIG, "a request of %zu bytes", len);
    c->iid = *iid;
    c->has_object = object != NULL;
    if (object != NULL)
        c->object = *object;
    c->opnum = opnum;
    c->timeout_ms = timeout_ms;
    c->cb = cb;
    c->data = data;
    if (c->phase == CH_NEW) {
        int rc = connect_now(c, err);
        if (rc != 0)
            c->cb = NULL;
        return rc;
    }
    int rc = step(c, err); /* connected and idle */
    if (rc != 0)
        c->cb = NULL;
    return rc;
}

int wmgw_wmi_chan_new(struct wmgw_transport *t, const struct wmgw_backend *b, uint16_t port,
                      const struct wmgw_rpc_conn_config *cfg, struct wmgw_wmi_chan **out, struct wmgw_err *err)
{
    *out = NULL;
    struct wmgw_wmi_chan *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory for a DCE/RPC connection");
    int rc = wmgw_rpc_conn_new(cfg, &c->rpc, err);
    if (rc != 0) {
        free(c);
        return rc;
    }
    c->t = t;
    c->loop = wmgw_transport_loop(t);
    c->b = wmgw_backend_ref((struct wmgw_backend *)b);
    c->port = port;
    c->connect_ms = b->connect_timeout_ms ? b->connect_timeout_ms : WMGW_WMI_DEFAULT_CONNECT_MS;
    c->phase = CH_NEW;
    wmgw_buf_init(&c->req, cfg->max_stub ? cfg->max_stub : WMGW_RPC_DEFAULT_MAX_STUB);
    wmgw_buf_init(&c->wbuf, 64u << 20);
    *out = c;
    return 0;
}
