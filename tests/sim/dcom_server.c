/*
 * dcom_server.c: the TCP side of the DCOM front (dcom.h).
 *
 * Each DCOM host has two listeners on its address in the simulator's one
 * h2o event loop: the activation port (IRemoteSCMActivator and the OXID
 * resolver) and its object exporter's endpoint.  Every accepted connection
 * gets one translators/wmi rpc_conn in the server role: the bytes read are
 * fed to it, each complete request it hands out is answered at once
 * (dcom_objects.c dispatches it), and what it queues is written back.
 * Authentication is NTLM (rpc_ntlm) against the fleet's users, at
 * CONNECT, PKT_INTEGRITY or PKT_PRIVACY; the RPC layer refuses
 * unauthenticated calls on the endpoint and the activator wants at least
 * PKT_INTEGRITY, as hardened Windows does.
 *
 * The control plan applies here as on the WS-Man port: latency holds every
 * reply (and nothing more is read meanwhile: one call at a time), "fail"
 * answers the next WBEM calls with an HRESULT (or, for a bare HTTP status,
 * an RPC fault), "drop" writes half a reply and closes, "garbage" writes a
 * malformed PDU and closes.  Counters count connections and calls.
 */
#include "tests/sim/dcom.h"
#include "tests/sim/server.h"
#include "translators/wmi/dcom_ids.h"
#include "translators/wmi/rpc_ntlm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS_PER_PORT 256
#define FEED_CHUNK 65536 /* the RPC layer holds at most 256 KiB unpolled */

struct listener {
    struct listener *next;
    struct sim_server *server;
    struct sim_host *host;
    struct sim_dcom_port port;
    unsigned nconns;
};
static struct listener *listeners; /* live as long as the process */

struct conn {
    h2o_timeout_entry_t timer;
    struct listener *l;
    h2o_socket_t *sock;
    struct wmgw_rpc_conn *rpc;
    struct wmgw_buf sending, queued; /* h2o writes from `sending` until its callback */
    bool writing, closing, holding, cut, garbage;
};

/* What a "garbage" reply is: a whole response PDU (clients read whole
 * fragments before judging them) for a call nobody made, without the
 * signature the connection's level requires, and stub bytes that mean
 * nothing. */
static const uint8_t junk[] = {0x05, 0x00, 0x02, 0x03, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
                               0x00, 0xff, 0xff, 0xff, 0xff, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef};

/* --- connections ------------------------------------------------------------ */

static void conn_free(struct conn *c)
{
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    c->l->nconns--;
    if (c->sock != NULL)
        h2o_socket_close(c->sock);
    wmgw_rpc_conn_free(c->rpc);
    wmgw_buf_dispose(&c->sending);
    wmgw_buf_dispose(&c->queued);
    free(c);
}

static void pump(struct conn *c);
static void on_read(h2o_socket_t *sock, const char *err);

static void on_written(h2o_socket_t *sock, const char *err)
{
    struct conn *c = sock->data;
    c->writing = false;
    wmgw_buf_reset(&c->sending);
    if (err != NULL) {
        conn_free(c);
        return;
    }
    if (c->queued.len > 0) {
        struct wmgw_buf t = c->sending;
        c->sending = c->queued;
        c->queued = t;
        c->writing = true;
        h2o_iovec_t v = h2o_iovec_init(c->sending.data, c->sending.len);
        h2o_socket_write(c->sock, &v, 1, on_written);
        return;
    }
    if (c->closing)
        conn_free(c);
}

/* Counts the refusals among the PDUs going out: access-denied faults
 * (ours, and the RPC layer's for calls below the level or from a failed
 * NTLM context) and bind_naks. */
static void count_refusals(struct sim_host *h, const uint8_t *p, size_t len)
{
    while (len >= WMGW_RPC_HDR_LEN) {
        size_t frag = (size_t)p[8] | (size_t)p[9] << 8;
        if (frag < WMGW_RPC_HDR_LEN || frag > len)
            return;
        uint32_t status = frag >= 28 ? (uint32_t)p[24] | (uint32_t)p[25] << 8 | (uint32_t)p[26] << 16 |
                                           (uint32_t)p[27] << 24
                                     : 0;
        if ((p[2] == WMGW_RPC_FAULT && status == WMGW_RPC_FAULT_ACCESS_DENIED) || p[2] == WMGW_RPC_BIND_NAK)
            h->counters.dcom_unauthorized++;
        p += frag;
        len -= frag;
    }
}

/* Moves what the RPC layer queued to the socket (cut or replaced by
 * garbage when the plan says so). */
static void flush(struct conn *c)
{
    const uint8_t *data;
    size_t len;
    wmgw_rpc_conn_output(c->rpc, &data, &len);
    if (len > 0) {
        count_refusals(c->l->host, data, len);
        int rc;
        if (c->garbage) {
            rc = wmgw_buf_add(&c->queued, junk, sizeof(junk));
            c->closing = true;
        } else {
            rc = wmgw_buf_add(&c->queued, data, c->cut ? len / 2 : len);
            c->closing |= c->cut;
        }
        c->garbage = c->cut = false;
        wmgw_rpc_conn_consume(c->rpc, len);
        if (rc != 0)
            c->closing = true;
    }
    if (!c->writing && c->queued.len > 0) {
        struct wmgw_buf t = c->sending;
        c->sending = c->queued;
        c->queued = t;
        c->writing = true;
        h2o_iovec_t v = h2o_iovec_init(c->sending.data, c->sending.len);
        h2o_socket_write(c->sock, &v, 1, on_written);
    }
}

static void on_timer(h2o_timeout_entry_t *entry)
{
    struct conn *c = (struct conn *)((char *)entry - offsetof(struct conn, timer));
    c->holding = false;
    flush(c);
    if (c->closing) {
        if (!c->writing)
            conn_free(c);
        return;
    }
    h2o_socket_read_start(c->sock, on_read);
    pump(c);
}

/* One request, answered at once; its reply held, cut or replaced as
 * the plan says. */
static void answer(struct conn *c, const struct wmgw_rpc_event *ev)
{
    struct sim_dcom_reply r;
    sim_dcom_answer(&c->l->port, c->rpc, ev, &r);
    c->closing |= r.close;
    c->garbage = r.garbage;
    c->cut = r.cut;
    h2o_timeout_t *q = r.delay_ms > 0 ? sim_server_timeout(c->l->server, r.delay_ms) : NULL;
    if (q != NULL) {
        c->holding = true;
        h2o_socket_read_stop(c->sock);
        c->timer.cb = on_timer;
        h2o_timeout_link(c->l->server->loop, q, &c->timer);
    }
}

/* Feeds what was read to the RPC layer and answers what it hands out,
 * until it needs more input, a reply is held, or the connection ends. */
static void pump(struct conn *c)
{
    struct wmgw_err err;
    while (!c->holding && !c->closing) {
        struct wmgw_rpc_event ev;
        int rc = wmgw_rpc_conn_poll(c->rpc, &ev, &err);
        if (rc < 0) {
            if (c->l->port.verbose)
                fprintf(stderr, "wmsim: %s dcom connection: %s\n", c->l->host->name, err.message);
            c->closing = true; /* after writing what it queued (a fault or bind_nak) */
            break;
        }
        if (rc == 1) {
            if (ev.kind == WMGW_RPC_EV_REQUEST)
                answer(c, &ev);
            continue;
        }
        size_t avail = c->sock->input->size;
        if (avail == 0)
            break;
        size_t n = avail < FEED_CHUNK ? avail : FEED_CHUNK;
        if (wmgw_rpc_conn_feed(c->rpc, (const uint8_t *)c->sock->input->bytes, n, &err) != 0) {
            c->closing = true;
            break;
        }
        h2o_buffer_consume(&c->sock->input, n);
    }
    if (c->holding)
        return;
    flush(c);
    if (c->closing && !c->writing)
        conn_free(c);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    struct conn *c = sock->data;
    if (err != NULL) {
        conn_free(c);
        return;
    }
    pump(c);
}

static void on_accept(h2o_socket_t *listener_sock, const char *err)
{
    struct listener *l = listener_sock->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener_sock);
    if (sock == NULL)
        return;
    l->host->counters.dcom_connections++;
    struct conn *c = l->nconns < MAX_CONNS_PER_PORT ? calloc(1, sizeof(*c)) : NULL;
    struct wmgw_err e;
    if (c == NULL || sim_dcom_conn_new(&l->port, &c->rpc, &e) != 0) {
        free(c);
        h2o_socket_close(sock);
        return;
    }
    l->nconns++;
    c->l = l;
    c->sock = sock;
    wmgw_buf_init(&c->sending, 64u << 20);
    wmgw_buf_init(&c->queued, 64u << 20);
    sock->data = c;
    h2o_socket_read_start(sock, on_read);
}

/* --- listeners ------------------------------------------------------------------- */

static int open_listener(struct sim_server *s, struct sim_host *h, uint16_t *port, bool activation,
                         struct wmgw_err *err)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(*port)};
    if (inet_pton(AF_INET, h->address, &sin.sin_addr) != 1)
        return wmgw_err_set(err, WMGW_ECONFIG, "not an IPv4 address: %s", h->address);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    socklen_t sl = sizeof(sin);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wmgw_err_set(err, WMGW_ECONFIG, "%s: cannot listen for DCOM on %s:%u: %s", h->name, h->address,
                            *port, strerror(e));
    }
    *port = ntohs(sin.sin_port);
    struct listener *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        close(fd);
        return WMGW_ENOMEM;
    }
    l->server = s;
    l->host = h;
    sim_dcom_port_init(&l->port, s->fleet, h, activation, *port);
    l->port.verbose = s->verbose;
    l->next = listeners;
    listeners = l;
    h2o_socket_t *sock = h2o_evloop_socket_create(s->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = l;
    h2o_socket_read_start(sock, on_accept);
    return 0;
}

int sim_dcom_listen(struct sim_server *s, struct sim_host *h, struct wmgw_err *err)
{
    uint16_t act = h->dcom_port, ep = h->dcom_endpoint;
    int rc = open_listener(s, h, &act, true, err);
    if (rc == 0)
        rc = open_listener(s, h, &ep, false, err);
    if (rc == 0)
        h->dcom_endpoint = ep;
    return rc;
}
