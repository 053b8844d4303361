/*
 * server.c: wmgw's HTTP side on h2o 2.2.5: worker threads, listeners,
 * TLS, HTTP/2 limits, the request entry point, graceful shutdown.
 *
 * Each worker has its own event loop and its own SO_REUSEPORT listener per
 * configured address, so the kernel spreads connections and a request
 * never crosses threads.  HTTP/1.1 and HTTP/2 are both served: h2 over TLS
 * by ALPN, h2c by Upgrade or prior knowledge.
 *
 * h2o 2.2.5 predates the HTTP/2 rapid-reset fix (CVE-2023-44487) and
 * Debian has not patched it.  What we do about it (README "HTTP/2 limits"):
 * a small concurrent-stream limit per connection, a request-body limit,
 * a per-connection request rate limit checked before any work (429 beyond
 * it, costing no backend call), request deadlines, and backend calls that
 * are cancelled as soon as their stream goes away.
 *
 * SIGTERM: readiness turns 503, listeners close, requests in flight get up
 * to shutdown-timeout to finish, then the process exits.
 */
#include "gateway/gateway.h"
#include "gateway/classes.h"
#include "gateway/cache_setup.h"
#include "gateway/catalogue.h"
#include "gateway/hosts.h"
#include "gateway/request.h"
#include "gateway/authz.h"
#include "translators/transport/http_client.h"
#include "util/err.h"
#include "util/hex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static struct wmgw_gateway *running;

struct root_handler {
    h2o_handler_t super;
    struct wmgw_gateway *gw;
};

/* --- per-request entry ------------------------------------------------------- */

struct wmgw_worker *wmgw_worker_of(h2o_req_t *req)
{
    struct wmgw_gateway *gw = running;
    for (size_t i = 0; i < gw->nworkers; i++)
        if (&gw->workers[i].ctx == req->conn->ctx)
            return &gw->workers[i];
    return NULL;
}

static void inflight_done(void *p)
{
    struct wmgw_worker *w = *(struct wmgw_worker **)p;
    atomic_fetch_sub(&w->inflight, 1);
}

/* The rapid-reset guard: too many request starts on one connection in
 * one second are answered 429 before any work is done. */
static bool rate_exceeded(struct wmgw_worker *w, h2o_req_t *req)
{
    unsigned limit = w->gw->config->max_requests_per_connection_second;
    uint64_t id = req->conn->id, now = (uint64_t)time(NULL);
    struct wmgw_rate_slot *s = &w->rate[id % WMGW_RATE_SLOTS];
    if (s->conn_id != id || s->second != now) {
        s->conn_id = id;
        s->second = now;
        s->count = 0;
    }
    return ++s->count > limit;
}

static void request_id(h2o_req_t *req, char out[48])
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (i >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        bool ok = v.len > 0 && v.len < 48;
        for (size_t k = 0; ok && k < v.len; k++) {
            char c = v.base[k];
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
                 c == '.';
        }
        if (ok) {
            memcpy(out, v.base, v.len);
            out[v.len] = '\0';
            return;
        }
    }
    unsigned char b[12];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        RAND_bytes(b, sizeof(b));
    wmgw_hex_encode(b, sizeof(b), out);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct wmgw_gateway *gw = ((struct root_handler *)self)->gw;
    struct wmgw_worker *w = wmgw_worker_of(req);
    struct wmgw_request *r = h2o_mem_alloc_pool(&req->pool, sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->req = req;
    r->worker = w;
    r->gw = gw;
    request_id(req, r->request_id);
    /* The id goes into the access log through the response header. */
    atomic_fetch_add(&w->inflight, 1);
    struct wmgw_worker **slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), inflight_done);
    *slot = w;

    size_t plen = req->path.len;
    const char *q = memchr(req->path.base, '?', plen);
    if (q != NULL) {
        r->query = h2o_iovec_init(q + 1, plen - (size_t)(q - req->path.base) - 1);
        plen = (size_t)(q - req->path.base);
    }
    static const struct wmgw_route none;
    r->route = &none;
    if (rate_exceeded(w, req)) {
        wmgw_respond_problem(r, WMGW_ETOOMANY, "too many requests on this connection; slow down");
        return 0;
    }
    if (req->entity.len > gw->config->max_request_body) {
        wmgw_respond_problem(r, WMGW_ETOOBIG, "the body is larger than %zu bytes (max-request-body)",
                             gw->config->max_request_body);
        return 0;
    }
    char allowed[128];
    bool preflight = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"));
    const struct wmgw_route *route = wmgw_router_match(gw->router, req->method.base, req->method.len, req->path.base,
                                                       plen, r->params, allowed, sizeof(allowed));
    if (route == NULL) {
        if (preflight && allowed[0] != '\0') {
            wmgw_respond_preflight(r, allowed);
        } else if (allowed[0] != '\0') {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                           h2o_strdup(&req->pool, allowed, SIZE_MAX).base, strlen(allowed));
            wmgw_respond_problem(r, WMGW_ENOTALLOWED, "%.*s is not allowed here; use %s", (int)req->method.len,
                                 req->method.base, allowed);
        } else {
            wmgw_respond_problem(r, WMGW_ENOTFOUND, "no such resource");
        }
        return 0;
    }
    r->route = route;
    /* 406 before any work: every operation answers JSON (listings may also
     * stream NDJSON, metrics are Prometheus text); a DELETE answers no
     * content at all. */
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE")) &&
        !(route->text_plain && wmgw_request_accepts(r, "text/plain")) && !wmgw_request_accepts(r, "application/json") &&
        !wmgw_request_accepts(r, "application/x-ndjson")) {
        wmgw_respond_problem(r, WMGW_ENOTACCEPTABLE, "answers come as application/json (listings also as "
                                                     "application/x-ndjson)");
        return 0;
    }
    /* Who is calling and may they: 401/403 before any work (authz.h). */
    if (!wmgw_authz_request(r))
        return 0;
    return route->fn(r);
}

/* --- listeners --------------------------------------------------------------- */

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(listener->data, sock);
}

static int open_listener(const struct wmgw_listen *l, struct wmgw_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (strcmp(l->address, "*") == 0 || strcmp(l->address, "0.0.0.0") == 0) {
        in4->sin_family = AF_INET;
        in4->sin_addr.s_addr = htonl(INADDR_ANY);
        in4->sin_port = htons(l->port);
        len = sizeof(*in4);
    } else if (inet_pton(AF_INET, l->address, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(l->port);
        len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, l->address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(l->port);
        len = sizeof(*in6);
    } else {
        return wmgw_err_set(err, WMGW_ECONFIG, "listen: %s is not a numeric address", l->address);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot listen on %s:%u: %s", l->address, l->port, strerror(e));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return fd;
}

/* --- TLS ------------------------------------------------------------------- */

static SSL_CTX *server_tls(const struct wmgw_config *c, struct wmgw_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        char why[256];
        ERR_error_string_n(ERR_get_error(), why, sizeof(why));
        wmgw_err_set(err, WMGW_ECONFIG, "tls-cert %s / tls-key %s: %s", c->tls_cert, c->tls_key, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    /* Client certificates for caller authentication (caller.h). */
    if (wmgw_caller_tls_setup(ctx, c->security, err) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* --- workers ----------------------------------------------------------------- */

static int worker_listen(struct wmgw_worker *w, struct wmgw_err *err)
{
    const struct wmgw_config *c = w->gw->config;
    w->listeners = calloc(c->nlisten, sizeof(*w->listeners));
    if (w->listeners == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < c->nlisten; i++) {
        int fd = open_listener(&c->listen[i], err);
        if (fd < 0)
            return fd;
        h2o_socket_t *sock = h2o_evloop_socket_create(w->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        sock->data = c->listen[i].tls ? &w->accept_tls : &w->accept_plain;
        h2o_socket_read_start(sock, on_accept);
        w->listeners[w->nlisteners++] = sock;
    }
    return 0;
}

static void close_listeners(struct wmgw_worker *w)
{
    for (size_t i = 0; i < w->nlisteners; i++)
        h2o_socket_close(w->listeners[i]);
    w->nlisteners = 0;
}

static void *worker_main(void *arg)
{
    struct wmgw_worker *w = arg;
    struct wmgw_gateway *gw = w->gw;
    uint64_t drain_deadline = 0;
    for (;;) {
        h2o_evloop_run(w->loop, 100);
        if (!atomic_load(&gw->stopping))
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
        if (drain_deadline == 0) {
            close_listeners(w);
            drain_deadline = now + gw->config->shutdown_timeout_ms;
        }
        if (atomic_load(&w->inflight) == 0 || now >= drain_deadline)
            break;
    }
    return NULL;
}

static int worker_init(struct wmgw_gateway *gw, struct wmgw_worker *w, unsigned index, struct wmgw_err *err)
{
    w->gw = gw;
    w->index = index;
    w->loop = h2o_evloop_create();
    h2o_context_init(&w->ctx, w->loop, &gw->h2o);
    w->accept_plain.ctx = &w->ctx;
    w->accept_plain.hosts = gw->h2o.hosts;
    w->accept_tls = w->accept_plain;
    w->accept_tls.ssl_ctx = gw->tls;
    w->transport = wmgw_transport_new(w->loop);
    atomic_init(&w->inflight, 0);
    if (w->transport == NULL)
        return WMGW_ENOMEM;
    return wmgw_worker_cache_init(w, err);
}

/* --- the gateway ------------------------------------------------------------ */

int wmgw_gateway_init(struct wmgw_gateway *gw, struct wmgw_config *config, struct wmgw_err *err)
{
    memset(gw, 0, sizeof(*gw));
    gw->config = config;
    gw->openapi_json = wmgw_openapi_json;
    gw->openapi_len = wmgw_openapi_json_len;
    if ((gw->router = wmgw_router_new(gw->openapi_json, gw->openapi_len, err)) == NULL)
        return WMGW_ECONFIG;
    int src = wmgw_security_start(config->security, err);
    if (src != 0)
        return src;
    gw->hosts = wmgw_hosts_new();
    gw->classes = wmgw_classes_new(600);
    if (gw->hosts == NULL || gw->classes == NULL)
        return WMGW_ENOMEM;
    if (config->class_catalogue != NULL && config->class_catalogue[0] != '\0') {
        int rc = wmgw_catalogue_load(config->class_catalogue, &gw->catalogue, err);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < config->nhosts; i++) {
        int rc = wmgw_hosts_put(gw->hosts, &config->hosts[i], false, NULL);
        if (rc != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "host %s: defined twice", config->hosts[i].backend->name);
    }
    int crc = wmgw_gateway_cache_init(gw, err);
    if (crc != 0)
        return crc;
    /* Cursor key: configured (shared by replicas) or random for this process. */
    if (config->cursor_secret != NULL) {
        unsigned char full[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)config->cursor_secret, strlen(config->cursor_secret), full);
        memcpy(gw->cursor_key, full, sizeof(gw->cursor_key));
    } else if (getrandom(gw->cursor_key, sizeof(gw->cursor_key), 0) != (ssize_t)sizeof(gw->cursor_key)) {
        RAND_bytes(gw->cursor_key, sizeof(gw->cursor_key));
    }
    h2o_config_init(&gw->h2o);
    gw->h2o.server_name = h2o_iovec_init(H2O_STRLIT("wmgw"));
    /* h2o answers bodies over its own limit with plain text; keep its limit
     * above ours so callers get our problem+json 413 (on_req) up to 4x the
     * configured size, and h2o's bare 413 only beyond that. */
    gw->h2o.max_request_entity_size = config->max_request_body > (16u << 20) ? 64u << 20 : config->max_request_body * 4;
    gw->h2o.http1.req_timeout = 30000;
    gw->h2o.http1.upgrade_to_http2 = 1;
    gw->h2o.http2.max_concurrent_requests_per_connection = config->http2_max_streams;
    gw->h2o.http2.idle_timeout = 30000;
    gw->h2o.http2.graceful_shutdown_timeout = config->shutdown_timeout_ms;
    h2o_hostconf_t *hc = h2o_config_register_host(&gw->h2o, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(hc, "/", 0);
    struct root_handler *h = (struct root_handler *)h2o_create_handler(pc, sizeof(*h));
    h->super.on_req = on_req;
    h->gw = gw;
    if (config->access_log != NULL && strcmp(config->access_log, "off") != 0) {
        const char *path = strcmp(config->access_log, "-") == 0 ? "/dev/stdout" : config->access_log;
        gw->access_log = h2o_access_log_open_handle(
            path, "%h %{x-request-id}o \"%r\" %s %b %{duration}x \"%{user-agent}i\" %H", H2O_LOGCONF_ESCAPE_APACHE);
        if (gw->access_log == NULL)
            return wmgw_err_set(err, WMGW_ECONFIG, "access-log: cannot open %s", path);
        h2o_access_log_register(pc, gw->access_log);
    }
    bool need_tls = false;
    for (size_t i = 0; i < config->nlisten; i++)
        need_tls |= config->listen[i].tls;
    if (need_tls && (gw->tls = server_tls(config, err)) == NULL)
        return WMGW_ECONFIG;
    return 0;
}

void wmgw_gateway_stop(struct wmgw_gateway *gw)
{
    atomic_store(&gw->stopping, 1);
}

static void on_signal(int sig)
{
    (void)sig;
    if (running != NULL)
        wmgw_gateway_stop(running);
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n : 1;
}

int wmgw_gateway_run(struct wmgw_gateway *gw, struct wmgw_err *err)
{
    running = gw;
    gw->nworkers = gw->config->workers ? gw->config->workers : cores();
    gw->workers = calloc(gw->nworkers, sizeof(*gw->workers));
    if (gw->workers == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < gw->nworkers; i++) {
        int rc = worker_init(gw, &gw->workers[i], (unsigned)i, err);
        if (rc == 0)
            rc = worker_listen(&gw->workers[i], err);
        if (rc != 0)
            return rc;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < gw->nworkers; i++)
        if (pthread_create(&gw->workers[i].thread, NULL, worker_main, &gw->workers[i]) != 0)
            return wmgw_err_set(err, WMGW_EINTERNAL, "cannot start worker threads");
    for (size_t i = 0; i < gw->nworkers; i++)
        pthread_join(gw->workers[i].thread, NULL);
    return 0;
}

void wmgw_gateway_dispose(struct wmgw_gateway *gw)
{
    /* Workers' loops and pools die with the process; h2o 2.2.5 cannot
     * dispose an evloop that still has sockets, and exit is moments away. */
    wmgw_router_free(gw->router);
    wmgw_hosts_free(gw->hosts);
    wmgw_classes_free(gw->classes);
    wmgw_catalogue_free(gw->catalogue);
    wmgw_gateway_cache_dispose(gw);
    if (gw->tls != NULL)
        SSL_CTX_free(gw->tls);
    free(gw->workers);
    running = NULL;
}
