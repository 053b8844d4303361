/*
 * server.c: HTTP in front of the simulated hosts (server.h).
 *
 * A request on /wsman is matched to its host by the local address it came
 * in on, authenticated (Basic, NTLM, Kerberos: rows of one table below,
 * each row's code in its own file, see auth.h; the 401 WinRM sends),
 * bounded (over MaxEnvelopeSizekb: plain 413, as WinRM), decrypted when
 * the body is WinRM-encrypted (crypt.c), run through the control plan
 * (latency, injected faults, dropped or garbled replies) and dispatched;
 * the answer to an encrypted request is encrypted.
 */
#include "tests/sim/server.h"
#include "tests/sim/fault.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/security.h"
#include "util/base64.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* --- authentication ------------------------------------------------------ */

/* One HTTP authentication scheme (auth.h): step() gets the decoded
 * token of "Scheme token" and the connection it came on. */
struct sim_auth_scheme {
    const char *name;
    const char *challenge; /* WWW-Authenticate value of a 401; NULL: accepted, not offered */
    bool needs_keytab;     /* offered and accepted only with --keytab */
    int (*step)(struct sim_auth_call *call);
};

int sim_auth_basic_step(struct sim_auth_call *call)
{
    /* Basic is a password in clear: an encrypted-only host takes it over
     * HTTPS only, as WinRM does with AllowUnencrypted=false. */
    if (call->host->encrypt_required && !call->tls) {
        wmgw_err_set(&call->err, WMGW_EAUTH, "Basic over HTTP on an encrypted-only host");
        return SIM_AUTH_DENIED;
    }
    const uint8_t *t = call->token;
    size_t len = call->token_len;
    const uint8_t *colon = memchr(t, ':', len);
    char user[256], password[WMGW_NTLM_MAX_PASSWORD + 1];
    if (colon == NULL || memchr(t, '\0', len) != NULL || (size_t)(colon - t) >= sizeof(user) ||
        len - (size_t)(colon - t) - 1 >= sizeof(password)) {
        wmgw_err_set(&call->err, WMGW_EINVAL, "Basic: not user:password");
        return SIM_AUTH_DENIED;
    }
    memcpy(user, t, (size_t)(colon - t));
    user[colon - t] = '\0';
    memcpy(password, colon + 1, len - (size_t)(colon - t) - 1);
    password[len - (size_t)(colon - t) - 1] = '\0';
    bool ok = sim_fleet_check_password(call->server->fleet, user, password);
    OPENSSL_cleanse(password, sizeof(password));
    if (!ok)
        wmgw_err_set(&call->err, WMGW_EAUTH, "Basic: wrong user or password");
    return ok ? SIM_AUTH_OK : SIM_AUTH_DENIED;
}

static const struct sim_auth_scheme auth_schemes[] = {
    {"Basic", "Basic realm=\"WSMAN\"", false, sim_auth_basic_step},
    {"Negotiate", "Negotiate", false, sim_auth_negotiate_step}, /* NTLMSSP (auth_ntlm.c) or GSSAPI */
    {"NTLM", NULL, false, sim_auth_ntlm_step},
    {"Kerberos", "Kerberos", true, sim_auth_gss_step},
    {SIM_AUTH_MUTUAL, NULL, false, sim_auth_cert_step}, /* client certificates (auth_cert.c) */
};

/* Runs the request's Authorization header through its scheme.  Without
 * one, a connection that authenticated earlier (NTLM, Kerberos) is. */
static int authenticate(struct sim_auth_call *call)
{
    h2o_req_t *req = call->req;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return call->conn != NULL && call->conn->authed ? SIM_AUTH_OK : SIM_AUTH_DENIED;
    char scheme[SIM_AUTH_MAX_SCHEME];
    struct wmgw_buf tok;
    wmgw_buf_init(&tok, SIM_AUTH_MAX_TOKEN);
    h2o_iovec_t v = req->headers.entries[i].value;
    int rc = SIM_AUTH_DENIED;
    if (sim_auth_header_parse(v.base, v.len, scheme, &tok, &call->err) == 0) {
        for (size_t k = 0; k < sizeof(auth_schemes) / sizeof(auth_schemes[0]); k++) {
            const struct sim_auth_scheme *a = &auth_schemes[k];
            if (strcasecmp(scheme, a->name) != 0 || (a->needs_keytab && call->server->acceptor == NULL))
                continue;
            /* Only Basic can do without connection state. */
            if (call->conn == NULL && a->step != sim_auth_basic_step)
                break;
            call->scheme = a->name;
            call->token = (const uint8_t *)tok.data;
            call->token_len = tok.len;
            rc = a->step(call);
            break;
        }
    }
    OPENSSL_cleanse(tok.data, tok.len); /* Basic: a password */
    wmgw_buf_dispose(&tok);
    return rc;
}

static void send_unauthorized(struct sim_server *s, h2o_req_t *req)
{
    req->res.status = 401;
    req->res.reason = "Unauthorized";
    for (size_t k = 0; k < sizeof(auth_schemes) / sizeof(auth_schemes[0]); k++) {
        const struct sim_auth_scheme *a = &auth_schemes[k];
        if (a->challenge != NULL && (!a->needs_keytab || s->acceptor != NULL))
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, a->challenge,
                           strlen(a->challenge));
    }
    req->res.content_length = 0; /* else h2o closes the connection, which NTLM needs kept */
    h2o_send_inline(req, "", 0);
}

/* Adds "Scheme <reply token>" to the response: the next leg of an
 * exchange (with a 401) or its last one (mutual authentication). */
static void add_reply_token(struct sim_auth_call *call)
{
    h2o_req_t *req = call->req;
    struct wmgw_buf v;
    wmgw_buf_init(&v, 2 * SIM_AUTH_MAX_TOKEN);
    if (wmgw_buf_printf(&v, "%s ", call->scheme) == 0 &&
        wmgw_base64_encode(&v, call->reply_token.data, call->reply_token.len, WMGW_BASE64_STD) == 0) {
        char *copy = h2o_mem_alloc_pool(&req->pool, v.len);
        memcpy(copy, v.data, v.len);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, copy, v.len);
    }
    wmgw_buf_dispose(&v);
}

static bool over_tls(h2o_req_t *req)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    return sock != NULL && sock->ssl != NULL;
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

static void send_body(h2o_req_t *req, int status, const char *body, size_t len, bool cut, const char *ct)
{
    req->res.status = status;
    req->res.reason = status == 200 ? "OK" : status == 500 ? "Internal Server Error" : "Error";
    req->res.content_length = len;
    if (ct == NULL)
        ct = "application/soap+xml;charset=UTF-8";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct, strlen(ct));
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
    const char *ct; /* NULL: SOAP; else an encrypted body's (pool) */
};

static void send_pending(void *p)
{
    struct pending *pd = p;
    send_body(pd->req, pd->status, pd->body, pd->len, pd->cut, pd->ct);
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
    struct sim_auth_call call = {
        .server = s, .host = host, .req = req, .conn = sim_conn_get(req), .tls = over_tls(req)};
    wmgw_buf_init(&call.reply_token, SIM_AUTH_MAX_TOKEN);
    int ar = authenticate(&call);
    if (ar != SIM_AUTH_OK && s->verbose && call.err.message[0])
        fprintf(stderr, "wmsim: %s: %s\n", host->name, call.err.message);
    if (ar == SIM_AUTH_CONTINUE) {
        /* The next leg of NTLM or SPNEGO, on this same connection. */
        req->res.status = 401;
        req->res.reason = "Unauthorized";
        add_reply_token(&call);
        wmgw_buf_dispose(&call.reply_token);
        req->res.content_length = 0;
        h2o_send_inline(req, "", 0);
        return 0;
    }
    bool authed = ar == SIM_AUTH_OK;
    /* NTLM and Kerberos name the caller for the namespace checks (Basic
     * did it when it checked the password). */
    if (authed && call.conn != NULL && call.conn->authed &&
        (call.scheme == NULL || strcmp(call.scheme, "Basic") != 0))
        sim_security_set_caller(s->fleet, call.conn->user);
    if (authed && call.reply_token.len > 0)
        add_reply_token(&call); /* Kerberos' AP-REP: mutual authentication */
    wmgw_buf_dispose(&call.reply_token);
    if (!authed && !anon_identify) {
        host->counters.unauthorized++;
        send_unauthorized(s, req);
        return 0;
    }
    if (req->entity.len > (size_t)host->max_envelope_kb * 1024) {
        h2o_send_error_generic(req, 413, "Request Entity Too Large", "", 0);
        return 0;
    }
    /* Message encryption (crypt.c): the operations see the plaintext. */
    struct wmgw_buf plain;
    wmgw_buf_init(&plain, 64u << 20);
    bool encrypted = false;
    struct wmgw_err cerr;
    wmgw_err_clear(&cerr);
    int refuse = sim_crypt_request(host, req, call.conn, call.tls, !authed, &plain, &encrypted, &cerr);
    if (refuse != 0) {
        if (s->verbose)
            fprintf(stderr, "wmsim: %s: %s -> %d\n", host->name, cerr.message, refuse);
        wmgw_buf_dispose(&plain);
        req->res.status = refuse;
        req->res.reason = refuse == 500 ? "Internal Server Error" : "Bad Request";
        req->res.content_length = 0;
        h2o_send_inline(req, "", 0);
        return 0;
    }
    const char *in = encrypted ? (plain.data ? plain.data : "") : req->entity.base;
    size_t in_len = encrypted ? plain.len : req->entity.len;
    if (authed && in_len == 0 && !encrypted && !anon_identify) {
        /* The body-less POST that finishes an authentication (pywinrm
         * sends it before encrypting): 200, nothing to run. */
        wmgw_buf_dispose(&plain);
        send_body(req, 200, "", 0, false, NULL);
        return 0;
    }
    struct sim_ctx ctx = {.host = host, .http_status = 200, .latency_ms = plan->latency_ms};
    wmgw_buf_init(&ctx.out, 64u << 20);
    sim_enum_expire(host, false);
    if (plan->fail_count > 0 && plan->fail_fault >= 0) {
        plan->fail_count--;
        /* Parse enough to answer in the request's terms (RelatesTo). */
        sim_handle_soap(&ctx, in, in_len, false);
        sim_fault(&ctx, (enum sim_fault_kind)plan->fail_fault, NULL, NULL);
    } else {
        sim_handle_soap(&ctx, in, in_len, authed);
        if (!authed && !ctx.req.identify) {
            sim_ctx_dispose(&ctx);
            wmgw_buf_dispose(&plain);
            host->counters.unauthorized++;
            send_unauthorized(s, req);
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
        fprintf(stderr, "wmsim: %s %s -> %d (%zu bytes%s)\n", host->name,
                ctx.req.action ? ctx.req.action : ctx.req.identify ? "Identify" : "?", ctx.http_status, len,
                encrypted ? ", encrypted" : "");
    /* An encrypted request gets an encrypted answer, as from WinRM. */
    const char *ct = NULL;
    struct wmgw_buf enc;
    wmgw_buf_init(&enc, 65u << 20);
    if (encrypted) {
        if (sim_crypt_reply(req, call.conn, body, len, &enc, &ct, &cerr) == 0) {
            body = enc.data;
            len = enc.len;
        } else {
            if (s->verbose)
                fprintf(stderr, "wmsim: %s: %s\n", host->name, cerr.message);
            body = "";
            len = 0;
            ctx.http_status = 500;
        }
    }
    if (latency > 0) {
        struct pending *pd = h2o_mem_alloc_pool(&req->pool, sizeof(*pd));
        pd->req = req;
        pd->host = host;
        pd->body = h2o_mem_alloc_pool(&req->pool, len ? len : 1);
        memcpy(pd->body, body, len);
        pd->len = len;
        pd->status = ctx.http_status;
        pd->cut = cut;
        pd->ct = ct;
        sim_server_delay(s, req, latency, send_pending, pd);
    } else {
        send_body(req, ctx.http_status, body, len, cut, ct);
    }
    wmgw_buf_dispose(&enc);
    wmgw_buf_dispose(&plain);
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

static int listen_on(struct sim_server *s, const char *addr, uint16_t port, h2o_accept_ctx_t *actx,
                     struct wmgw_err *err)
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
    sock->data = actx;
    h2o_socket_read_start(sock, on_accept);
    return 0;
}

int sim_server_listen(struct sim_server *s, const char *addr, uint16_t port, bool control, struct wmgw_err *err)
{
    return listen_on(s, addr, port, control ? &s->control_accept : &s->wsman_accept, err);
}

int sim_server_listen_tls(struct sim_server *s, const char *addr, uint16_t port, struct wmgw_err *err)
{
    if (s->tls == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "HTTPS on %s:%u needs --tls-cert and --tls-key", addr, port);
    return listen_on(s, addr, port, &s->wsman_tls_accept, err);
}

int sim_server_run(struct sim_server *s)
{
    while (!s->stop)
        h2o_evloop_run(s->loop, 1000);
    return 0;
}
