/*
 * tls.c: tests for translators/transport/tls.c, HTTPS to backends.
 *
 * A throwaway CA, a second unknown CA and three server certificates are
 * made with the openssl command line in a temporary directory: one for
 * localhost and 127.0.0.1, one for another name, one for localhost from the
 * unknown CA.  The test server (test_server.h, h2o's server side) is held
 * to TLS 1.3, then to TLS 1.2, and each time: the right certificate passes
 * by IP and by name (SNI only for the name), the wrong name fails, the
 * unknown CA fails, tls_insecure passes; a missing CA file is ECONFIG.
 */
#include "translators/backend.h"
#include "translators/transport/http_client.h"
#include "util/err.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>

#include <openssl/ssl.h>

#include "../test.h"
#include "test_server.h"

static h2o_evloop_t *loop;
static struct ts_server srv;
static char dir[64];

static const char config[] =
    "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = wmgw test\n"
    "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[good]\nsubjectAltName = DNS:localhost, IP:127.0.0.1\nbasicConstraints = CA:FALSE\n"
    "extendedKeyUsage = serverAuth\n"
    "[wrong]\nsubjectAltName = DNS:wrong.example, IP:127.0.0.2\nbasicConstraints = CA:FALSE\n"
    "extendedKeyUsage = serverAuth\n";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "failed: %s\n", cmd);
    return rc;
}

/* ca.pem, other-ca.pem, good, wrong, rogue (.pem/.key) in dir. */
static bool make_certificates(void)
{
    strcpy(dir, "/tmp/wmgw-tls-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return false;
    char path[128];
    snprintf(path, sizeof(path), "%s/openssl.cnf", dir);
    FILE *f = fopen(path, "w");
    fputs(config, f);
    fclose(f);
    const char *key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    int rc = 0;
    const char *cas[] = {"ca", "other-ca"};
    for (int i = 0; i < 2; i++)
        rc |= sh("cd %s && openssl req -x509 -config openssl.cnf -extensions ca %s -keyout %s.key -out %s.pem "
                 "-subj /CN=%s -days 2 2>/dev/null",
                 dir, key, cas[i], cas[i], cas[i]);
    const struct {
        const char *name, *ca, *ext, *cn;
    } leaves[] = {{"good", "ca", "good", "localhost"},
                  {"wrong", "ca", "wrong", "wrong.example"},
                  {"rogue", "other-ca", "good", "localhost"}};
    for (int i = 0; i < 3; i++)
        rc |= sh("cd %s && openssl req -new -config openssl.cnf %s -keyout %s.key -out %s.csr -subj /CN=%s "
                 "2>/dev/null && openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -set_serial %d -days 2 "
                 "-extfile openssl.cnf -extensions %s -out %s.pem 2>/dev/null",
                 dir, key, leaves[i].name, leaves[i].name, leaves[i].cn, leaves[i].name, leaves[i].ca,
                 leaves[i].ca, 100 + i, leaves[i].ext, leaves[i].name);
    return rc == 0;
}

static SSL_CTX *server_ctx(const char *cert, int version)
{
    char crt[128], key[128];
    snprintf(crt, sizeof(crt), "%s/%s.pem", dir, cert);
    snprintf(key, sizeof(key), "%s/%s.key", dir, cert);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    CHECK(SSL_CTX_use_certificate_chain_file(ctx, crt) == 1);
    CHECK(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1);
    SSL_CTX_set_min_proto_version(ctx, version);
    SSL_CTX_set_max_proto_version(ctx, version);
    return ctx;
}

static int on_servername(SSL *ssl, int *alert, void *arg)
{
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    snprintf(srv.sni, sizeof(srv.sni), "%s", name != NULL ? name : "");
    return SSL_TLSEXT_ERR_OK;
}

static void serve(const char *cert, int version)
{
    if (srv.tls != NULL)
        SSL_CTX_free(srv.tls);
    srv.tls = server_ctx(cert, version);
    SSL_CTX_set_tlsext_servername_callback(srv.tls, on_servername);
    strcpy(srv.sni, "(none)");
    srv.tls_version[0] = '\0';
    srv.requests = srv.accepted = 0;
}

static void answer_hello(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false);
}

static struct wmgw_backend *tls_backend(const char *tls_name)
{
    struct wmgw_backend *b = ts_backend(srv.port);
    char ca[128];
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    b->tls = true;
    b->ca_file = strdup(ca);
    b->tls_name = tls_name != NULL ? strdup(tls_name) : NULL;
    return b;
}

/* One exchange on a new transport; the result, and the server's view. */
static struct ts_result try_once(struct wmgw_backend *b)
{
    struct wmgw_transport *t = wmgw_transport_new(loop);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = ts_exchange(loop, t, b, &req);
    wmgw_transport_free(t);
    ts_run_for(loop, 5);
    return r;
}

static void check_version(int version)
{
    const char *want = version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2";
    struct wmgw_backend *b;
    struct ts_result r;

    /* The right certificate, by IP: no SNI (RFC 6066). */
    serve("good", version);
    b = tls_backend(NULL);
    r = try_once(b);
    CHECK_INT(r.err, 0);
    CHECK_STR(r.body, "hello");
    CHECK_STR(srv.tls_version, want);
    CHECK_STR(srv.sni, "");
    wmgw_backend_unref(b);

    /* By name, which is also sent as SNI. */
    b = tls_backend("localhost");
    r = try_once(b);
    CHECK_INT(r.err, 0);
    CHECK_STR(srv.sni, "localhost");
    wmgw_backend_unref(b);

    /* A certificate for another name: refused by IP and by name. */
    serve("wrong", version);
    b = tls_backend(NULL);
    r = try_once(b);
    CHECK_INT(r.err, WMGW_ECONN);
    CHECK(strstr(r.detail, "mismatch") != NULL);
    CHECK_INT(srv.requests, 0);
    wmgw_backend_unref(b);
    b = tls_backend("localhost");
    r = try_once(b);
    CHECK_INT(r.err, WMGW_ECONN);
    CHECK(strstr(r.detail, "hostname mismatch") != NULL);
    CHECK_INT(srv.requests, 0);

    /* ... unless verification is off. */
    b->tls_insecure = true;
    r = try_once(b);
    CHECK_INT(r.err, 0);
    CHECK_STR(r.body, "hello");
    wmgw_backend_unref(b);

    /* The right name from a CA we do not trust. */
    serve("rogue", version);
    b = tls_backend("localhost");
    r = try_once(b);
    CHECK_INT(r.err, WMGW_ECONN);
    CHECK(strstr(r.detail, "TLS") != NULL);
    CHECK_INT(srv.requests, 0);
    wmgw_backend_unref(b);
}

static void test_tls13(void)
{
    check_version(TLS1_3_VERSION);
}

static void test_tls12(void)
{
    check_version(TLS1_2_VERSION);
}

static void test_keep_alive_and_big_body(void)
{
    serve("good", TLS1_3_VERSION);
    struct wmgw_backend *b = tls_backend("localhost");
    struct wmgw_transport *t = wmgw_transport_new(loop);
    size_t big = 200000;
    char *body = malloc(big + 1);
    memset(body, 'b', big);
    body[big] = '\0';
    struct wmgw_http_request req = ts_post(body);
    for (int i = 0; i < 3; i++) {
        struct ts_result r = ts_exchange(loop, t, b, &req);
        CHECK_INT(r.err, 0);
    }
    struct wmgw_transport_stats s;
    wmgw_transport_stats(t, &s);
    CHECK_INT(s.connects, 1);
    CHECK_INT(s.reuses, 2);
    CHECK_INT(srv.requests, 3);
    free(body);
    wmgw_transport_free(t);
    wmgw_backend_unref(b);
    ts_run_for(loop, 5);
}

static void test_bad_ca_file(void)
{
    serve("good", TLS1_3_VERSION);
    struct wmgw_backend *b = tls_backend("localhost");
    free(b->ca_file);
    b->ca_file = strdup("/nonexistent/ca.pem");
    struct ts_result r = try_once(b);
    CHECK_INT(r.err, WMGW_ECONFIG);
    CHECK(strstr(r.detail, "CA file") != NULL);
    CHECK_INT(srv.accepted, 0);
    wmgw_backend_unref(b);
}

/* Cancelled while connecting, in the handshake, and after it: no
 * callback, nothing leaked, the server sees the connections go. */
static void test_cancel_during_handshake(void)
{
    serve("good", TLS1_3_VERSION);
    struct wmgw_backend *b = tls_backend("localhost");
    struct wmgw_transport *t = wmgw_transport_new(loop);
    struct wmgw_http_request req = ts_post("x");
    struct ts_result r = {0};
    wmgw_http_cancel(wmgw_http_send(t, b, &req, ts_on_result, &r));
    for (int turns = 1; turns <= 4; turns++) {
        struct wmgw_http_exchange *x = wmgw_http_send(t, b, &req, ts_on_result, &r);
        for (int i = 0; i < turns; i++)
            h2o_evloop_run(loop, 1);
        wmgw_http_cancel(x);
    }
    ts_run_for(loop, 20);
    CHECK_INT(r.calls, 0);
    CHECK_INT(ts_open_conns(&srv), 0);
    wmgw_transport_free(t);
    wmgw_backend_unref(b);
    ts_run_for(loop, 5);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!make_certificates()) {
        printf("skipped: cannot make certificates with the openssl command\n");
        return WMGW_TEST_DONE();
    }
    loop = h2o_evloop_create();
    ts_start(&srv, loop, 0);
    srv.on_request = answer_hello;
    WMGW_TEST_RUN(test_bad_ca_file);
    WMGW_TEST_RUN(test_tls13);
    WMGW_TEST_RUN(test_tls12);
    WMGW_TEST_RUN(test_keep_alive_and_big_body);
    WMGW_TEST_RUN(test_cancel_during_handshake);
    ts_stop(&srv);
    h2o_evloop_destroy(loop);
    sh("rm -rf %s", dir);
    return WMGW_TEST_DONE();
}
