/*
 * test_server.h: a scriptable HTTP/1.1 (and HTTPS) server on the test's
 * own h2o loop, for the transport tests; header-only, since every .c in
 * this folder is a test of its own.
 *
 * It listens on 127.0.0.1 (an ephemeral port), reads whole requests
 * (head + Content-Length body), remembers the last one, and hands each to
 * the test's on_request(conn, n), n counting the requests of that
 * connection.  The script then answers (ts_reply, optionally in pieces a
 * few milliseconds apart), closes, or does nothing.  Also: a helper that
 * runs the loop until a flag is set, and a client callback recorder.
 * Single-threaded, so every test is deterministic.
 */
#ifndef WMGW_TESTS_UNIT_TRANSPORT_TEST_SERVER_H
#define WMGW_TESTS_UNIT_TRANSPORT_TEST_SERVER_H

#define H2O_USE_LIBUV 0
#include <h2o/socket.h>
#include <h2o/timeout.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "translators/backend.h"
#include "translators/transport/http_client.h"

#define TS_FN static __attribute__((unused))

struct ts_server;

struct ts_conn {
    struct ts_server *s;
    h2o_socket_t *sock;
    struct ts_conn *next;
    unsigned requests;
    bool closed, close_after;
    char *out;
    size_t out_len, out_off, piece;
    h2o_timeout_entry_t piece_timer;
};

struct ts_server {
    h2o_evloop_t *loop;
    h2o_socket_t *listener;
    uint16_t port;
    SSL_CTX *tls;          /* NULL: plain HTTP */
    size_t split;          /* >0: replies go out in pieces of this size */
    void (*on_request)(struct ts_conn *c, unsigned n);
    void *data;
    unsigned accepted, requests, closed_by_peer, handshake_failures;
    char last_request[8192];
    char sni[256];         /* what the last TLS client named ("" none) */
    char tls_version[32];  /* of the last handshake */
    struct ts_conn *conns;
    h2o_timeout_t piece_to;
};

TS_FN double ts_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Runs the loop until *flag or max_ms passed; returns *flag. */
TS_FN bool ts_run_until(h2o_evloop_t *loop, const int *flag, double max_ms)
{
    double end = ts_now_ms() + max_ms;
    while (!*flag && ts_now_ms() < end)
        h2o_evloop_run(loop, 5);
    return *flag;
}

TS_FN void ts_run_for(h2o_evloop_t *loop, double ms)
{
    int never = 0;
    ts_run_until(loop, &never, ms);
}

TS_FN void ts_close(struct ts_conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    h2o_timeout_unlink(&c->piece_timer);
    h2o_socket_close(c->sock);
    c->sock = NULL;
}

static void ts__send_piece(struct ts_conn *c);

static void ts__on_write(h2o_socket_t *sock, const char *err)
{
    struct ts_conn *c = sock->data;
    if (err != NULL) {
        ts_close(c);
        return;
    }
    if (c->out_off < c->out_len) {
        h2o_timeout_link(c->s->loop, &c->s->piece_to, &c->piece_timer);
        return;
    }
    if (c->close_after)
        ts_close(c);
}

static void ts__send_piece(struct ts_conn *c)
{
    size_t n = c->out_len - c->out_off;
    if (c->piece != 0 && n > c->piece)
        n = c->piece;
    h2o_iovec_t buf = h2o_iovec_init(c->out + c->out_off, n);
    c->out_off += n;
    h2o_socket_write(c->sock, &buf, 1, ts__on_write);
}

static void ts__on_piece_timer(h2o_timeout_entry_t *e)
{
    struct ts_conn *c = H2O_STRUCT_FROM_MEMBER(struct ts_conn, piece_timer, e);
    if (!c->closed)
        ts__send_piece(c);
}

/* Sends bytes (in pieces when the server says split), then closes if asked. */
TS_FN void ts_reply(struct ts_conn *c, const char *bytes, size_t len, bool close_after)
{
    free(c->out);
    c->out = malloc(len);
    memcpy(c->out, bytes, len);
    c->out_len = len;
    c->out_off = 0;
    c->piece = c->s->split;
    c->close_after = close_after;
    ts__send_piece(c);
}

TS_FN void ts_reply_str(struct ts_conn *c, const char *s, bool close_after)
{
    ts_reply(c, s, strlen(s), close_after);
}

static const char *ts__head_end(const char *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(p + i, "\r\n\r\n", 4) == 0)
            return p + i;
    return NULL;
}

static void ts__on_read(h2o_socket_t *sock, const char *err)
{
    struct ts_conn *c = sock->data;
    if (err != NULL) {
        c->s->closed_by_peer++;
        ts_close(c);
        return;
    }
    while (!c->closed) {
        h2o_buffer_t *in = sock->input;
        const char *end = ts__head_end(in->bytes, in->size);
        if (end == NULL)
            return;
        size_t head = (size_t)(end - in->bytes) + 4, body = 0;
        for (const char *p = in->bytes; p < end; p++) {
            if ((p == in->bytes || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0)
                body = strtoul(p + 15, NULL, 10);
        }
        if (in->size < head + body)
            return;
        size_t keep = head + body < sizeof(c->s->last_request) ? head + body : sizeof(c->s->last_request) - 1;
        memcpy(c->s->last_request, in->bytes, keep);
        c->s->last_request[keep] = '\0';
        h2o_buffer_consume(&sock->input, head + body);
        c->s->requests++;
        c->s->on_request(c, ++c->requests);
    }
}

static void ts__on_handshake(h2o_socket_t *sock, const char *err)
{
    struct ts_conn *c = sock->data;
    if (err != NULL) {
        c->s->handshake_failures++;
        ts_close(c);
        return;
    }
    snprintf(c->s->tls_version, sizeof(c->s->tls_version), "%s", h2o_socket_get_ssl_protocol_version(sock));
    h2o_socket_read_start(sock, ts__on_read);
    if (sock->input->size != 0) /* the request came with the client's Finished */
        ts__on_read(sock, NULL);
}

static void ts__on_accept(h2o_socket_t *listener, const char *err)
{
    struct ts_server *s = listener->data;
    h2o_socket_t *sock;
    while ((sock = h2o_evloop_socket_accept(listener)) != NULL) {
        struct ts_conn *c = calloc(1, sizeof(*c));
        c->s = s;
        c->sock = sock;
        c->piece_timer.cb = ts__on_piece_timer;
        c->next = s->conns;
        s->conns = c;
        sock->data = c;
        s->accepted++;
        if (s->tls != NULL)
            h2o_socket_ssl_handshake(sock, s->tls, NULL, ts__on_handshake);
        else
            h2o_socket_read_start(sock, ts__on_read);
    }
}

/* Listens on 127.0.0.1; backlog as given (0: the default). */
TS_FN void ts_start(struct ts_server *s, h2o_evloop_t *loop, int backlog)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, backlog > 0 ? backlog : 64) != 0) {
        perror("test server");
        exit(2);
    }
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    s->listener = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    s->listener->data = s;
    h2o_socket_read_start(s->listener, ts__on_accept);
    h2o_timeout_init(loop, &s->piece_to, 2);
}

TS_FN unsigned ts_open_conns(const struct ts_server *s)
{
    unsigned n = 0;
    for (const struct ts_conn *c = s->conns; c != NULL; c = c->next)
        n += !c->closed;
    return n;
}

TS_FN void ts_stop(struct ts_server *s)
{
    while (s->conns != NULL) {
        struct ts_conn *c = s->conns;
        s->conns = c->next;
        ts_close(c);
        free(c->out);
        free(c);
    }
    h2o_socket_read_stop(s->listener);
    h2o_socket_close(s->listener);
    h2o_timeout_dispose(s->loop, &s->piece_to);
    if (s->tls != NULL)
        SSL_CTX_free(s->tls);
    h2o_evloop_run(s->loop, 0); /* lets h2o free what was closed */
}

/* --- the client side ------------------------------------------------------------ */

struct ts_result {
    int calls, err, status;
    char detail[256];
    char content_type[128];
    char www_authenticate[512];
    char body[8192];
    size_t body_len;
};

TS_FN void ts_on_result(void *data, int err, const char *detail, struct wmgw_http_response *resp)
{
    struct ts_result *r = data;
    r->calls++;
    r->err = err;
    snprintf(r->detail, sizeof(r->detail), "%s", detail != NULL ? detail : "");
    if (resp != NULL) {
        r->status = resp->status;
        strcpy(r->content_type, resp->content_type);
        strcpy(r->www_authenticate, resp->www_authenticate);
        r->body_len = resp->body.len < sizeof(r->body) ? resp->body.len : 0;
        memcpy(r->body, resp->body.data != NULL ? resp->body.data : "", r->body_len);
        r->body[r->body_len] = '\0';
    }
}

/* A plain backend at 127.0.0.1:port with small deadlines. */
TS_FN struct wmgw_backend *ts_backend(uint16_t port)
{
    struct wmgw_backend *b = wmgw_backend_new("test");
    b->address = strdup("127.0.0.1");
    b->port = port;
    b->connect_timeout_ms = 1000;
    b->operation_timeout_ms = 2000;
    return b;
}

TS_FN struct wmgw_http_request ts_post(const char *body)
{
    struct wmgw_http_request req = {
        .method = "POST",
        .content_type = "application/soap+xml;charset=UTF-8",
        .body = body,
        .body_len = strlen(body),
        .timeout_ms = 2000,
        .max_response = 1 << 16,
    };
    return req;
}

/* Sends and runs the loop until the callback (at most 5 s). */
TS_FN struct ts_result ts_exchange(h2o_evloop_t *loop, struct wmgw_transport *t, struct wmgw_backend *b,
                                   const struct wmgw_http_request *req)
{
    struct ts_result r;
    memset(&r, 0, sizeof(r));
    if (wmgw_http_send(t, b, req, ts_on_result, &r) == NULL) {
        r.err = -1000;
        return r;
    }
    ts_run_until(loop, &r.calls, 5000);
    return r;
}

#endif
