/*
 * server.c: HTTP in front of the simulated hosts (server.h).
 *
 * A request on /wsman is matched to its host by the local address it came
 * in on, authenticated (HTTP Basic against the fleet's users, with the 401
 * WinRM sends), bounded (over MaxEnvelopeSizekb: plain 413, as WinRM), run
 * through the control plan (latency, injected faults, dropped or garbled
 * replies) and dispatched.  Authentication schemes are rows of one table:
 * NTLM, Kerberos and Negotiate with message encryption join it later
 * without touching the request path.
 */
#include "tests/sim/server.h"
#include "tests/sim/fault.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* --- authentication ------------------------------------------------------ */

/* One HTTP authentication scheme.  verify() gets the credentials after the
 * scheme name and says whether they are good. */
struct sim_auth_scheme {
    const char *name;
    const char *challenge; /* WWW-Authenticate value */
    bool (*verify)(const struct sim_fleet *f, const char *creds, size_t len);
};

static bool verify_basic(const struct sim_fleet *f, const char *creds, size_t len)
{
    if (len == 0 || len > 4096)
        return false;
    unsigned char decoded[3 * 4096 / 4 + 4];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)creds, (int)len);
    if (n < 0)
        return false;
    /* EVP_DecodeBlock counts padding bytes as output; drop them. */
    while (len > 0 && creds[len - 1] == '=') {
        len--;
        n--;
    }
    decoded[n] = '\0';
    char *colon = memchr(decoded, ':', (size_t)n);
    if (colon == NULL || strlen((char *)decoded) != (size_t)n)
        return false;
    *colon = '\0';
    return sim_fleet_check_password(f, (char *)decoded, colon + 1);
}

static const struct sim_auth_scheme auth_schemes[] = {
    {"Basic", "Basic realm=\"WSMAN\"", verify_basic},
};

static bool authenticated(const struct sim_fleet *f, h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    for (size_t k = 0; k < sizeof(auth_schemes) / sizeof(auth_schemes[0]); k++) {
        size_t nl = strlen(auth_schemes[k].name);
        if (v.len > nl + 1 && strncasecmp(v.base, auth_schemes[k].name, nl) == 0 && v.base[nl] == ' ')
            return auth_schemes[k].verify(f, v.base + nl + 1, v.len - nl - 1);
    }
    return false;
}

static void send_unauthorized(h2o_req_t *req)
{
    req->res.status = 401;
    req->res.reason = "Unauthorized";
    for (size_t k = 0; k < sizeof(auth_schemes) / sizeof(auth_schemes[0]); k++)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, auth_schemes[k].challenge,
                       strlen(auth_schemes[k].challenge));
    h2o_send_inline(req, "", 0);
}

/* --- delayed replies ------------------------------------------------------ */

/* h2o 2.2.5 timeouts have one duration each: keep one per duration used. */
struct delay_queue {
    struct delay_queue *next;
    unsigned ms;
    h2o_timeout_t timeout;
};
static struct delay_queue *delay_queues;

struct delay {
    h2o_timeout_entry_t entry; /* first: the callback gets the entry */
    sim_delay_cb cb;
    void *data;
};

static void on_delay(h2o_timeout_entry_t *entry)
{
    struct delay *d = (struct delay *)entry;
    d->cb(d->data);
}

static void delay_dispose(void *p)
{
    struct delay *d = p;
    if (h2o_timeout_is_linked(&d->entry))
        h2o_timeout_unlink(&d->entry);
}

h2o_timeout_t *sim_server_timeout(struct sim_server *s, unsigned ms)
{
    struct delay_queue *q;
    for (q = delay_queues; q != NULL && q->ms != ms; q = q->next)
        ;
    if (q == NULL) {
        q = calloc(1, sizeof(*q));
        if (q == NULL)
            return NULL;
        q->ms = ms;
        h2o_timeout_init(s->loop, &q->timeout, ms);
        q->next = delay_queues;
        delay_queues = q;
    }
    return &q->timeout;
}

void sim_server_delay(struct sim_server *s, h2o_req_t *req, unsigned ms, sim_delay_cb cb, void *data)
{
    h2o_timeout_t *q = sim_server_timeout(s, ms);
    if (q == NULL) {
        cb(data);
        return;
    }
    struct delay *d = h2o_mem_alloc_shared(&req->pool, sizeof(*d), delay_dispose);
    memset(d, 0, sizeof(*d));
    d->entry.cb = on_delay;
    d->cb = cb;
    d->data = data;
    h2o_timeout_link(s->loop, q, &d->entry);
}

/* --- replies --------------------------------------------------------------- */

/* A reply that may be cut off after half its body (a dropped connection). */
struct reply {
    h2o_generator_t super;
    h2o_req_t *req;
    char *body;
    size_t len;
    bool cut;
    bool sent_part;
};

static void reply_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct reply *r = (struct reply *)g;
    if (r->cut && r->sent_part)
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR); /* closes the connection mid-body */
}

static void reply_stop(h2o_generator_t *g, h2o_req_t *req)
{
}

static void send_body(h2o_req_t *req, int status, const char *body, size_t len, bool cut)
{
    req->res.status = status;
    req->res.reason = status == 200 ? "OK" : status == 500 ? "Internal Server Error" : "Error";
    req->res.content_length = len;
    static const char ct[] = "application/soap+xml;charset=UTF-8";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT(ct));
    struct reply *r = h2o_mem_alloc_pool(&req->pool, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->super.proceed = reply_proceed;
    r->super.stop = reply_stop;
    r->req = req;
    r->body = h2o_mem_alloc_pool(&req->pool, len ? len : 1);
    memcpy(r->body, body, len);
    r->len = len;
    r->cut = cut;
    h2o_start_response(req, &r->super);
    h2o_iovec_t part = h2o_iovec_init(r->body, cut ? len / 2 : len);
    r->sent_part = true;
    h2o_send(req, &part, 1, cut ? H2O_SEND_STATE_IN_PROGRESS : H2O_SEND_STATE_FINAL);
}

/* --- the /wsman handler ------------------------------------------------------ */

struct wsman_handler {
    h2o_handler_t super;
    struct sim_server *server;
};

/* A request whose reply waits for the injected latency. */
struct pending {
    h2o_req_t *req;
    struct sim_host *host;
    char *body;
    size_t len;
    int status;
    bool cut;
};

static void send_pending(void *p)
{
    struct pending *pd = p;
    send_body(pd->req, pd->status, pd->body, pd->len, pd->cut);
}

static const char garbage[] = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><broken></s:Body";

static bool wants_unauthenticated_identify(h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("wsmanidentify"), -1);
    return i >= 0 && h2o_lcstris(req->headers.entries[i].value.base, req->headers.entries[i].value.len,
                                  H2O_STRLIT("unauthenticated"));
}

static int on_wsman(h2o_handler_t *self, h2o_req_t *req)
{
    struct sim_server *s = ((struct wsman_handler *)self)->server;
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_sockname(req->conn, (struct sockaddr *)&ss);
    struct sim_host *host = sl ? sim_fleet_host_for(s->fleet, (struct sockaddr *)&ss) : NULL;
    if (host == NULL)
        return -1;
    host->counters.requests++;
    if (!h2o_memis(req->path_normalized.base, req->path_normalized.len, H2O_STRLIT("/wsman"))) {
        h2o_send_error_404(req, "Not Found", "not found", 0);
        return 0;
    }
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
        h2o_send_error_generic(req, 405, "Method Not Allowed", "method not allowed", 0);
        return 0;
    }
    struct sim_plan *plan = &host->plan;
    /* Injected bare HTTP failures come before anything else. */
    if (plan->fail_count > 0 && plan->fail_http_status > 0) {
        plan->fail_count--;
        h2o_send_error_generic(req, plan->fail_http_status, "Injected", "injected failure", 0);
        return 0;
    }
    bool anon_identify = wants_unauthenticated_identify(req);
    bool authed = authenticated(s->fleet, req);
    if (!authed && !anon_identify) {
        host->counters.unauthorized++;
        send_unauthorized(req);
        return 0;
    }
    if (req->entity.len > (size_t)host->max_envelope_kb * 1024) {
        h2o_send_error_generic(req, 413, "Request Entity Too Large", "", 0);
        return 0;
    }
    struct sim_ctx ctx = {.host = host, .http_status = 200, .latency_ms = plan->latency_ms};
    wmgw_buf_init(&ctx.out, 64u << 20);
    sim_enum_expire(host, false);
    if (plan->fail_count > 0 && plan->fail_fault >= 0) {
        plan->fail_count--;
        /* Parse enough to answer in the request's terms (RelatesTo). */
        sim_handle_soap(&ctx, req->entity.base, req->entity.len, false);
        sim_fault(&ctx, (enum sim_fault_kind)plan->fail_fault, NULL, NULL);
    } else {
        sim_handle_soap(&ctx, req->entity.base, req->entity.len, authed);
        if (!authed && !ctx.req.identify) {
            sim_ctx_dispose(&ctx);
            host->counters.unauthorized++;
            send_unauthorized(req);
            return 0;
        }
    }
    unsigned latency = plan->latency_ms;
    long timeout = sim_request_timeout_ms(&ctx);
    if (latency > 0 && (long)latency > timeout && !ctx.req.identify) {
        /* The operation outlives OperationTimeout: WinRM gives up with
         * TimedOut when the time is up (the fault is written already
         * unless an injected failure answered instead). */
        if (!ctx.timed_out)
            sim_fault(&ctx, SIM_FAULT_TIMED_OUT, NULL, NULL);
        latency = (unsigned)timeout;
    }
    bool cut = false;
    const char *body = ctx.out.data ? ctx.out.data : "";
    size_t len = ctx.out.len;
    if (plan->garbage_count > 0) {
        plan->garbage_count--;
        body = garbage;
        len = sizeof(garbage) - 1;
        ctx.http_status = 200;
    } else if (plan->drop_count > 0) {
        plan->drop_count--;
        cut = true;
    }
    if (s->verbose)
        fprintf(stderr, "wmsim: %s %s -> %d (%zu bytes)\n", host->name,
                ctx.req.action ? ctx.req.action : ctx.req.identify ? "Identify" : "?", ctx.http_status, len);
    if (latency > 0) {
        struct pending *pd = h2o_mem_alloc_pool(&req->pool, sizeof(*pd));
        pd->req = req;
        pd->host = host;
        pd->body = h2o_mem_alloc_pool(&req->pool, len ? len : 1);
        memcpy(pd->body, body, len);
        pd->len = len;
        pd->status = ctx.http_status;
        pd->cut = cut;
        sim_server_delay(s, req, latency, send_pending, pd);
    } else {
        send_body(req, ctx.http_status, body, len, cut);
    }
    sim_ctx_dispose(&ctx);
    return 0;
}

/* --- listeners and the loop -------------------------------------------------- */

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(listener->data, sock);
}

static void init_conf(h2o_globalconf_t *conf)
{
    h2o_config_init(conf);
    /* One Server header, as http.sys sends it (h2o would add its own). */
    conf->server_name = h2o_iovec_init(H2O_STRLIT("Microsoft-HTTPAPI/2.0"));
    /* Requests are bounded per host in the handler; this is the outer wall. */
    conf->max_request_entity_size = 64u << 20;
}

int sim_server_init(struct sim_server *s, struct sim_fleet *f)
{
    memset(s, 0, sizeof(*s));
    s->fleet = f;
    s->loop = h2o_evloop_create();
    init_conf(&s->wsman_conf);
    init_conf(&s->control_conf);
    h2o_hostconf_t *hc = h2o_config_register_host(&s->wsman_conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(hc, "/", 0);
    struct wsman_handler *h = (struct wsman_handler *)h2o_create_handler(pc, sizeof(*h));
    h->super.on_req = on_wsman;
    h->server = s;
    sim_control_register(s);
    h2o_context_init(&s->wsman_ctx, s->loop, &s->wsman_conf);
    h2o_context_init(&s->control_ctx, s->loop, &s->control_conf);
    s->wsman_accept.ctx = &s->wsman_ctx;
    s->wsman_accept.hosts = s->wsman_conf.hosts;
    s->control_accept.ctx = &s->control_ctx;
    s->control_accept.hosts = s->control_conf.hosts;
    return 0;
}

int sim_server_listen(struct sim_server *s, const char *addr, uint16_t port, bool control, struct wmgw_err *err)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
        return wmgw_err_set(err, WMGW_ECONFIG, "not an IPv4 address: %s", addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot listen on %s:%u: %s", addr, port, strerror(e));
    }
    h2o_socket_t *sock = h2o_evloop_socket_create(s->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = control ? &s->control_accept : &s->wsman_accept;
    h2o_socket_read_start(sock, on_accept);
    return 0;
}

int sim_server_run(struct sim_server *s)
{
    while (!s->stop)
        h2o_evloop_run(s->loop, 1000);
    return 0;
}
