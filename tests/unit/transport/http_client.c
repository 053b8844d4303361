/*
 * http_client.c: tests for translators/transport/http_client.c and
 * transport.c over real loopback sockets, against the scripted server of
 * test_server.h on the same h2o loop: bodies by length, chunks and close,
 * split packets, keep-alive reuse and its limits, the retry rule, every
 * error the contract names (ECONN, ETIMEDOUT, ETOOBIG, EPROTO, ECONFIG),
 * Basic credentials on the wire, cancellation and freeing with exchanges
 * in flight.  Deadlines are a few hundred milliseconds, so it runs fast.
 */
#include "translators/backend.h"
#include "translators/transport/http_client.h"
#include "util/err.h"

#include <signal.h>

#include "../test.h"
#include "test_server.h"

static h2o_evloop_t *loop;
static struct ts_server srv;

#define OK_HELLO "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 5\r\n\r\nhello"

/* --- server scripts ---------------------------------------------------------------- */

static void answer_hello(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, OK_HELLO, false);
}

static void answer_hello_close(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello", true);
}

static void answer_chunked(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/xml\r\n\r\n"
                 "4\r\n<a>x\r\n10\r\n0123456789abcdef\r\n5\r\n</a>\n\r\n0\r\n\r\n",
                 false);
}

static void answer_interim_then_hello(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, "HTTP/1.1 100 Continue\r\n\r\n" OK_HELLO, false);
}

static void answer_until_close(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true);
}

static void answer_401(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c,
                 "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic "
                 "realm=\"WSMAN\"\r\nContent-Length: 0\r\n\r\n",
                 false);
}

static void answer_garbage(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, "SSH-2.0-OpenSSH_9.2p1\r\n", false);
}

static void answer_big(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", false);
}

/* More than any limit, in 4 KiB chunks: the client stops at its limit. */
static void answer_big_chunked(struct ts_conn *c, unsigned n)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    size_t chunk = 6 + 4096 + 2, len = sizeof(head) - 1 + 20 * chunk;
    char *out = malloc(len), *p = out + sizeof(head) - 1;
    memcpy(out, head, sizeof(head) - 1);
    for (int i = 0; i < 20; i++, p += chunk) {
        memcpy(p, "1000\r\n", 6);
        memset(p + 6, 'x', 4096);
        memcpy(p + 6 + 4096, "\r\n", 2);
    }
    ts_reply(c, out, len, false);
    free(out);
}

static void answer_close(struct ts_conn *c, unsigned n)
{
    ts_close(c);
}

static void answer_nothing(struct ts_conn *c, unsigned n)
{
}

/* The first request of a connection is answered; a later one finds it
 * closed (a server's keep-alive timeout racing our reuse). */
static void answer_once_then_close(struct ts_conn *c, unsigned n)
{
    if (n == 1)
        ts_reply_str(c, OK_HELLO, false);
    else
        ts_close(c);
}

static void answer_once_then_partial(struct ts_conn *c, unsigned n)
{
    if (n == 1)
        ts_reply_str(c, OK_HELLO, false);
    else
        ts_reply_str(c, "HTTP/1.1 200 OK\r\nContent-Le", true);
}

static void answer_hello_and_extra(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, OK_HELLO "HTTP/1.1 200 OK\r\n", false);
}

/* Keep-alive response, then the server closes the idle connection. */
static void answer_then_close_idle(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, OK_HELLO, true);
}

/* --- helpers ---------------------------------------------------------------------- */

static struct wmgw_transport *setup(void (*script)(struct ts_conn *, unsigned))
{
    srv.on_request = script;
    srv.split = 0;
    srv.accepted = srv.requests = srv.closed_by_peer = 0;
    return wmgw_transport_new(loop);
}

static void teardown(struct wmgw_transport *t, struct wmgw_backend *b)
{
    wmgw_transport_free(t);
    wmgw_backend_unref(b);
    ts_run_for(loop, 5); /* let both ends see the closes */
}

static struct wmgw_transport_stats stats(const struct wmgw_transport *t)
{
    struct wmgw_transport_stats s;
    wmgw_transport_stats(t, &s);
    return s;
}

/* --- tests --------------------------------------------------------------------------- */

static void test_content_length(void)
{
    struct wmgw_transport *t = setup(answer_hello);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("<s:Envelope/>");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.err, 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "hello");
    CHECK_STR(r.content_type, "application/soap+xml;charset=UTF-8");
    struct wmgw_transport_stats s = stats(t);
    CHECK_INT(s.connects, 1);
    CHECK_INT(s.requests, 1);
    CHECK_INT(s.reuses, 0);
    CHECK_INT(s.idle, 1);
    teardown(t, b);
}

static void test_chunked_split(void)
{
    struct wmgw_transport *t = setup(answer_chunked);
    struct wmgw_backend *b = ts_backend(srv.port);
    srv.split = 3; /* three bytes at a time, 2 ms apart */
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_STR(r.body, "<a>x0123456789abcdef</a>\n");
    CHECK_STR(r.content_type, "text/xml");
    srv.split = 1;
    srv.on_request = answer_hello;
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_STR(r.body, "hello");
    CHECK_INT(stats(t).reuses, 1);
    teardown(t, b);
}

static void test_interim_and_close_delimited(void)
{
    struct wmgw_transport *t = setup(answer_interim_then_hello);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "hello");
    srv.on_request = answer_until_close;
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_STR(r.body, "until the end");
    CHECK_INT(stats(t).idle, 0); /* a close-delimited body ends its connection */
    teardown(t, b);
}

static void test_keep_alive_reuse(void)
{
    struct wmgw_transport *t = setup(answer_hello);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    for (int i = 0; i < 5; i++) {
        struct ts_result r = ts_exchange(loop, t, b, &req);
        CHECK_INT(r.err, 0);
        CHECK_STR(r.body, "hello");
    }
    struct wmgw_transport_stats s = stats(t);
    CHECK_INT(s.connects, 1);
    CHECK_INT(s.reuses, 4);
    CHECK_INT(s.requests, 5);
    CHECK_INT(srv.accepted, 1);
    /* Requests without credentials use connections of their own. */
    free(b->user);
    b->user = strdup("alice");
    b->password = strdup("secret");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_INT(stats(t).connects, 2);
    req.no_auth = true;
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_INT(stats(t).connects, 2);
    CHECK_INT(stats(t).reuses, 5);
    CHECK_INT(stats(t).idle, 2);
    teardown(t, b);
}

static void test_connection_close(void)
{
    struct wmgw_transport *t = setup(answer_hello_close);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    for (int i = 0; i < 2; i++) {
        struct ts_result r = ts_exchange(loop, t, b, &req);
        CHECK_INT(r.err, 0);
        CHECK_STR(r.body, "hello");
    }
    CHECK_INT(stats(t).connects, 2);
    CHECK_INT(stats(t).reuses, 0);
    CHECK_INT(stats(t).idle, 0);
    /* Bytes after the response: not reused either. */
    srv.on_request = answer_hello_and_extra;
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_INT(stats(t).idle, 0);
    teardown(t, b);
}

static void test_server_closes_before_answer(void)
{
    struct wmgw_transport *t = setup(answer_close);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.err, WMGW_ECONN);
    CHECK(strstr(r.detail, "closed before the response") != NULL);
    CHECK_INT(srv.requests, 1); /* a fresh connection is never retried */
    CHECK_INT(stats(t).errors, 1);
    teardown(t, b);
}

static void test_stale_pooled_retried_once(void)
{
    struct wmgw_transport *t = setup(answer_once_then_close);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_STR(r.body, "hello");
    struct wmgw_transport_stats s = stats(t);
    CHECK_INT(s.reuses, 1);
    CHECK_INT(s.connects, 2);
    CHECK_INT(s.errors, 0);
    CHECK_INT(srv.requests, 3);
    CHECK_INT(srv.accepted, 2);
    teardown(t, b);
}

static void test_partial_response_not_retried(void)
{
    struct wmgw_transport *t = setup(answer_once_then_partial);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, WMGW_ECONN);
    CHECK(strstr(r.detail, "middle of the response") != NULL);
    CHECK_INT(srv.requests, 2);
    CHECK_INT(srv.accepted, 1);
    teardown(t, b);
}

static void test_idle_close_detected(void)
{
    struct wmgw_transport *t = setup(answer_then_close_idle);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    ts_run_for(loop, 30);
    CHECK_INT(stats(t).idle, 0); /* the close was seen while idle */
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_INT(stats(t).connects, 2);
    CHECK_INT(stats(t).reuses, 0);
    CHECK_INT(srv.requests, 2);
    teardown(t, b);
}

static void test_timeout(void)
{
    struct wmgw_transport *t = setup(answer_nothing);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    req.timeout_ms = 150;
    double t0 = ts_now_ms();
    struct ts_result r = ts_exchange(loop, t, b, &req);
    double took = ts_now_ms() - t0;
    CHECK_INT(r.err, WMGW_ETIMEDOUT);
    CHECK(took >= 140 && took < 1000);
    CHECK(strstr(r.detail, "within 150 ms") != NULL);
    CHECK_INT(stats(t).timeouts, 1);
    CHECK_INT(stats(t).errors, 0);
    CHECK_INT(stats(t).idle, 0);
    ts_run_for(loop, 10);
    CHECK_INT(ts_open_conns(&srv), 0); /* the client closed it */
    /* The next exchange gets a new connection. */
    srv.on_request = answer_hello;
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_INT(stats(t).connects, 2);
    teardown(t, b);
}

static void test_connect_timeout(void)
{
    /* A listener nobody accepts from, its queue filled: SYNs are dropped. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    listen(fd, 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    int fillers[4];
    for (int i = 0; i < 4; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&a, sizeof(a));
    }
    struct wmgw_transport *t = setup(answer_nothing);
    struct wmgw_backend *b = ts_backend(ntohs(a.sin_port));
    b->connect_timeout_ms = 200;
    struct wmgw_http_request req = ts_post("x");
    double t0 = ts_now_ms();
    struct ts_result r = ts_exchange(loop, t, b, &req);
    double took = ts_now_ms() - t0;
    CHECK_INT(r.err, WMGW_ETIMEDOUT);
    CHECK(strstr(r.detail, "connecting") != NULL);
    CHECK(took >= 190 && took < 1500);
    teardown(t, b);
    for (int i = 0; i < 4; i++)
        close(fillers[i]);
    close(fd);
}

static void test_refused_and_names(void)
{
    struct wmgw_transport *t = setup(answer_nothing);
    /* A port nobody listens on. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    struct wmgw_backend *b = ts_backend(ntohs(a.sin_port));
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, WMGW_ECONN);
    CHECK_INT(stats(t).errors, 1);

    /* A DNS name: refused with a clear reason, and never synchronously. */
    free(b->address);
    b->address = strdup("localhost");
    memset(&r, 0, sizeof(r));
    CHECK(wmgw_http_send(t, b, &req, ts_on_result, &r) != NULL);
    CHECK_INT(r.calls, 0);
    ts_run_until(loop, &r.calls, 1000);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.err, WMGW_ECONFIG);
    CHECK(strstr(r.detail, "resolve names in the configuration") != NULL);

    /* IPv6 literals are numeric. */
    free(b->address);
    b->address = strdup("::1");
    srv.on_request = answer_hello;
    b->port = srv.port; /* the server is IPv4 only: refused, but connected for real */
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, WMGW_ECONN);
    teardown(t, b);
}

static void test_limits_and_garbage(void)
{
    struct wmgw_transport *t = setup(answer_big);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    req.max_response = 1000;
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, WMGW_ETOOBIG);

    srv.on_request = answer_big_chunked;
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, WMGW_ETOOBIG);

    srv.on_request = answer_garbage;
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, WMGW_EPROTO);
    CHECK(strstr(r.detail, "not an HTTP") != NULL);
    CHECK_INT(stats(t).idle, 0);
    teardown(t, b);
}

static void test_401_challenge(void)
{
    struct wmgw_transport *t = setup(answer_401);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK_INT(r.status, 401);
    CHECK_STR(r.www_authenticate, "Negotiate");
    CHECK_INT(r.body_len, 0);
    teardown(t, b);
}

static void test_request_bytes(void)
{
    struct wmgw_transport *t = setup(answer_hello);
    struct wmgw_backend *b = ts_backend(srv.port);
    b->user = strdup("DOMAIN\\alice");
    b->password = strdup("p4ss:w\xc3\xb6rd");
    free(b->path);
    b->path = strdup("/wsman-anon");
    struct wmgw_http_header extra[] = {{"X-Trace", "abc 123"}};
    struct wmgw_http_request req = ts_post("<s:Envelope/>");
    req.headers = extra;
    req.nheaders = 1;
    struct ts_result r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    char expect[512];
    /* base64("DOMAIN\alice:p4ss:wörd") */
    snprintf(expect, sizeof(expect),
             "POST /wsman-anon HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 13\r\n"
             "Content-Type: application/soap+xml;charset=UTF-8\r\n"
             "Authorization: Basic RE9NQUlOXGFsaWNlOnA0c3M6d8O2cmQ=\r\nX-Trace: abc 123\r\n\r\n<s:Envelope/>",
             srv.port);
    CHECK_STR(srv.last_request, expect);

    req.no_auth = true;
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, 0);
    CHECK(strstr(srv.last_request, "Authorization") == NULL);

    /* What would break the framing is refused at once: no callback. */
    struct wmgw_http_header bad[] = {{"X-Evil", "a\r\nHost: other"}};
    req.headers = bad;
    struct ts_result none = {0};
    CHECK(wmgw_http_send(t, b, &req, ts_on_result, &none) == NULL);
    struct wmgw_http_header dup[] = {{"content-length", "1"}};
    req.headers = dup;
    CHECK(wmgw_http_send(t, b, &req, ts_on_result, &none) == NULL);
    req.headers = extra;
    req.method = "GET /x";
    CHECK(wmgw_http_send(t, b, &req, ts_on_result, &none) == NULL);
    req.method = "HEAD";
    CHECK(wmgw_http_send(t, b, &req, ts_on_result, &none) == NULL);
    ts_run_for(loop, 10);
    CHECK_INT(none.calls, 0);

    /* A user name with ':' cannot be carried by Basic: reported, not sent. */
    req.method = "POST";
    req.no_auth = false;
    free(b->user);
    b->user = strdup("a:b");
    r = ts_exchange(loop, t, b, &req);
    CHECK_INT(r.err, WMGW_ECONFIG);
    teardown(t, b);
}

static void test_cancel(void)
{
    struct wmgw_transport *t = setup(answer_nothing);
    struct wmgw_backend *b = ts_backend(srv.port);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = {0};
    /* While connecting, while waiting for the response, and a deferred failure. */
    struct wmgw_http_exchange *x = wmgw_http_send(t, b, &req, ts_on_result, &r);
    wmgw_http_cancel(x);
    x = wmgw_http_send(t, b, &req, ts_on_result, &r);
    ts_run_for(loop, 30);
    CHECK_INT(srv.requests, 1);
    wmgw_http_cancel(x);
    struct wmgw_backend *named = ts_backend(srv.port);
    free(named->address);
    named->address = strdup("backend.example");
    wmgw_http_cancel(wmgw_http_send(t, named, &req, ts_on_result, &r));
    ts_run_for(loop, 30);
    CHECK_INT(r.calls, 0);
    CHECK_INT(ts_open_conns(&srv), 0); /* the cancelled connection was closed */
    CHECK_INT(stats(t).idle, 0);
    wmgw_backend_unref(named);

    /* Freeing the transport cancels what is left: no callback, no leak. */
    srv.on_request = answer_nothing;
    for (int i = 0; i < 3; i++)
        wmgw_http_send(t, b, &req, ts_on_result, &r);
    ts_run_for(loop, 20);
    teardown(t, b);
    ts_run_for(loop, 20);
    CHECK_INT(r.calls, 0);
}

static struct {
    struct wmgw_transport *t;
    struct wmgw_backend *b;
    struct wmgw_http_request req;
    int done;
    struct ts_result second;
    struct wmgw_http_exchange *x;
} chain;

/* A callback that sends the next request gets the connection just freed. */
static void on_first(void *data, int err, const char *detail, struct wmgw_http_response *resp)
{
    CHECK_INT(err, 0);
    CHECK(wmgw_http_send(chain.t, chain.b, &chain.req, ts_on_result, &chain.second) != NULL);
    wmgw_http_cancel(chain.x); /* inside its own callback: a no-op */
    chain.done = 1;
}

static void test_send_from_callback(void)
{
    chain.t = setup(answer_hello);
    chain.b = ts_backend(srv.port);
    chain.req = ts_post("x");
    chain.done = 0;
    memset(&chain.second, 0, sizeof(chain.second));
    chain.x = wmgw_http_send(chain.t, chain.b, &chain.req, on_first, NULL);
    ts_run_until(loop, &chain.done, 2000);
    ts_run_until(loop, &chain.second.calls, 2000);
    CHECK_INT(chain.second.err, 0);
    CHECK_INT(stats(chain.t).reuses, 1);
    teardown(chain.t, chain.b);
}

static void test_pool_bound(void)
{
    struct wmgw_transport *t = setup(answer_hello);
    struct wmgw_backend *b = ts_backend(srv.port);
    b->pool_size = 2;
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r[4];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 4; i++)
        CHECK(wmgw_http_send(t, b, &req, ts_on_result, &r[i]) != NULL);
    for (int i = 0; i < 4; i++) {
        ts_run_until(loop, &r[i].calls, 2000);
        CHECK_INT(r[i].err, 0);
    }
    CHECK_INT(stats(t).connects, 4);
    CHECK_INT(stats(t).idle, 2); /* two kept, two closed */
    ts_run_for(loop, 10);
    CHECK_INT(ts_open_conns(&srv), 2);
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 4; i++)
        wmgw_http_send(t, b, &req, ts_on_result, &r[i]);
    for (int i = 0; i < 4; i++)
        ts_run_until(loop, &r[i].calls, 2000);
    CHECK_INT(stats(t).reuses, 2);
    CHECK_INT(stats(t).connects, 6);
    CHECK_INT(stats(t).idle, 2);

    /* pool_size 0: the connection used is not kept. */
    b->pool_size = 0;
    struct ts_result one = ts_exchange(loop, t, b, &req);
    CHECK_INT(one.err, 0);
    CHECK_INT(stats(t).reuses, 3);
    CHECK_INT(stats(t).idle, 1);

    /* Forgetting the backend closes its idle connections. */
    wmgw_transport_forget(t, b->id);
    CHECK_INT(stats(t).idle, 0);
    ts_run_for(loop, 10);
    CHECK_INT(ts_open_conns(&srv), 0);
    teardown(t, b);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = h2o_evloop_create();
    ts_start(&srv, loop, 0);
    WMGW_TEST_RUN(test_content_length);
    WMGW_TEST_RUN(test_chunked_split);
    WMGW_TEST_RUN(test_interim_and_close_delimited);
    WMGW_TEST_RUN(test_keep_alive_reuse);
    WMGW_TEST_RUN(test_connection_close);
    WMGW_TEST_RUN(test_server_closes_before_answer);
    WMGW_TEST_RUN(test_stale_pooled_retried_once);
    WMGW_TEST_RUN(test_partial_response_not_retried);
    WMGW_TEST_RUN(test_idle_close_detected);
    WMGW_TEST_RUN(test_timeout);
    WMGW_TEST_RUN(test_connect_timeout);
    WMGW_TEST_RUN(test_refused_and_names);
    WMGW_TEST_RUN(test_limits_and_garbage);
    WMGW_TEST_RUN(test_401_challenge);
    WMGW_TEST_RUN(test_request_bytes);
    WMGW_TEST_RUN(test_cancel);
    WMGW_TEST_RUN(test_send_from_callback);
    WMGW_TEST_RUN(test_pool_bound);
    ts_stop(&srv);
    h2o_evloop_destroy(loop);
    return WMGW_TEST_DONE();
}
