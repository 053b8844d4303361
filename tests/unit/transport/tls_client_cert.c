/*
 * tls_client_cert.c: tests for WinRM certificate authentication on the
 * client side: a backend's PEM chain and key (translators/backend.c copy
 * and free), the scheme, checks and pool identity (auth_http.c), the TLS
 * client context that presents them (tls.c) and the mutual secprofile
 * header (http_client.c).
 *
 * Certificates come from the openssl command line in a temporary
 * directory: a root CA, an intermediate CA under it, the server's
 * certificate (localhost), client "one" issued by the root, client "two"
 * issued by the intermediate (its chain file holds both).  The test server
 * (test_server.h) demands a client certificate chaining to the root and
 * records the subject it verified, so a request that passes proves the
 * certificate went out in the handshake.
 */
#include "translators/backend.h"
#include "translators/transport/auth_http.h"
#include "translators/transport/http_client.h"
#include "translators/transport/transport_int.h"
#include "util/err.h"

#include <signal.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../test.h"
#include "test_server.h"

static h2o_evloop_t *loop;
static struct ts_server srv;
static char dir[64];
static char peer_cn[128]; /* the client certificate the server verified */
static struct wmgw_transport *transport;

/* One shell script makes them all (openssl's command line). */
static const char script[] =
    "set -e\ncd \"$1\"\n"
    "cat > openssl.cnf <<'EOF'\n"
    "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = wmgw test\n"
    "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n"
    "[server]\nsubjectAltName = DNS:localhost\nextendedKeyUsage = serverAuth\n"
    "[client]\nsubjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:one@wmgw.test\n"
    "extendedKeyUsage = clientAuth\n"
    "EOF\n"
    "key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
    "openssl req -x509 -config openssl.cnf -extensions ca $key -keyout ca.key -out ca.pem -subj /CN=root -days 2\n"
    "n=10\n"
    "issue() { # name ca extensions\n"
    "  n=$((n + 1))\n"
    "  openssl req -new -config openssl.cnf $key -keyout $1.key -out $1.csr -subj /CN=$1\n"
    "  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -set_serial $n -days 2 -extfile openssl.cnf \\\n"
    "    -extensions $3 -out $1.pem\n"
    "}\n"
    "issue inter ca ca\nissue server ca server\nissue one ca client\nissue two inter client\n"
    "cat two.pem inter.pem > two-chain.pem\n";

static bool make_certificates(void)
{
    strcpy(dir, "/tmp/wmgw-ccert-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return false;
    char path[128], cmd[256];
    snprintf(path, sizeof(path), "%s/make.sh", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "sh %s %s >/dev/null 2>&1", path, dir);
    return system(cmd) == 0;
}

static char *slurp(const char *name, size_t *len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 65536);
    *len = fread(buf, 1, 65535, f);
    fclose(f);
    return buf;
}

static int record_peer(int ok, X509_STORE_CTX *ctx)
{
    if (X509_STORE_CTX_get_error_depth(ctx) == 0) {
        X509 *c = X509_STORE_CTX_get_current_cert(ctx);
        X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, peer_cn, sizeof(peer_cn));
    }
    return ok;
}

/* The server demands a client certificate from the root CA. */
static void serve(int version)
{
    char crt[128], key[128], ca[128];
    snprintf(crt, sizeof(crt), "%s/server.pem", dir);
    snprintf(key, sizeof(key), "%s/server.key", dir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    if (srv.tls != NULL)
        SSL_CTX_free(srv.tls);
    srv.tls = SSL_CTX_new(TLS_server_method());
    CHECK(SSL_CTX_use_certificate_chain_file(srv.tls, crt) == 1);
    CHECK(SSL_CTX_use_PrivateKey_file(srv.tls, key, SSL_FILETYPE_PEM) == 1);
    CHECK(SSL_CTX_load_verify_locations(srv.tls, ca, NULL) == 1);
    SSL_CTX_set_verify(srv.tls, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, record_peer);
    SSL_CTX_set_min_proto_version(srv.tls, version);
    SSL_CTX_set_max_proto_version(srv.tls, version);
    srv.requests = srv.accepted = 0;
    srv.last_request[0] = '\0';
    peer_cn[0] = '\0';
}

static void answer_hello(struct ts_conn *c, unsigned n)
{
    ts_reply_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false);
}

/* An https backend presenting cert_file and key_file (NULL: none). */
static struct wmgw_backend *cert_backend(const char *cert_file, const char *key_file)
{
    struct wmgw_backend *b = ts_backend(srv.port);
    char ca[128];
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    b->tls = true;
    b->ca_file = strdup(ca);
    b->tls_name = strdup("localhost");
    if (cert_file != NULL) {
        b->cert_pem = slurp(cert_file, &b->cert_pem_len);
        b->key_pem = slurp(key_file, &b->key_pem_len);
    }
    return b;
}

/* One exchange on the test's transport: each backend is a new id, so a
 * new TLS context and a new connection. */
static struct ts_result send_one(struct wmgw_backend *b)
{
    struct wmgw_http_request req = ts_post("x");
    return ts_exchange(loop, transport, b, &req);
}

static void check_presented(int version)
{
    serve(version);
    struct wmgw_backend *b = cert_backend("one.pem", "one.key");
    struct ts_result r = send_one(b);
    CHECK_INT(r.err, 0);
    CHECK_STR(r.body, "hello");
    CHECK_STR(peer_cn, "one");
    CHECK(strstr(srv.last_request, "\r\nAuthorization: " WMGW_AUTH_HTTP_MUTUAL "\r\n") != NULL);
    CHECK(strstr(srv.last_request, "Basic") == NULL);
    wmgw_backend_unref(b);

    /* A chain: the leaf from the intermediate, the server knows the root. */
    serve(version);
    b = cert_backend("two-chain.pem", "two.key");
    r = send_one(b);
    CHECK_INT(r.err, 0);
    CHECK_STR(peer_cn, "two");
    wmgw_backend_unref(b);

    /* Without the intermediate the server cannot chain it. */
    serve(version);
    b = cert_backend("two.pem", "two.key");
    r = send_one(b);
    CHECK(r.err == WMGW_ECONN || r.err == WMGW_EBACKEND);
    CHECK_INT(srv.requests, 0);
    wmgw_backend_unref(b);

    /* No certificate at all: the server refuses the handshake (so the
     * passes above are the certificate's doing). */
    serve(version);
    b = cert_backend(NULL, NULL);
    r = send_one(b);
    CHECK(r.err == WMGW_ECONN || r.err == WMGW_EBACKEND);
    CHECK_INT(srv.requests, 0);
    wmgw_backend_unref(b);
}

static void test_tls13(void)
{
    check_presented(TLS1_3_VERSION);
}

static void test_tls12(void)
{
    check_presented(TLS1_2_VERSION);
}

/* Bad material is a configuration error before any connection, and the
 * detail says what, never the PEM. */
static void test_bad_material(void)
{
    serve(TLS1_3_VERSION);
    struct wmgw_backend *b = cert_backend("one.pem", "two.key");
    struct ts_result r = send_one(b);
    CHECK_INT(r.err, WMGW_ECONFIG);
    CHECK(strstr(r.detail, "do not match") != NULL);
    CHECK(strstr(r.detail, "BEGIN") == NULL && strstr(r.detail, "MII") == NULL);
    CHECK_INT(srv.accepted, 0);
    wmgw_backend_unref(b);

    b = cert_backend("one.pem", "one.key");
    memcpy(b->cert_pem, "garbage!", 8);
    r = send_one(b);
    CHECK_INT(r.err, WMGW_ECONFIG);
    CHECK(strstr(r.detail, "cannot use the client certificate") != NULL);
    CHECK_INT(srv.accepted, 0);
    wmgw_backend_unref(b);

    /* A broken certificate after the leaf is a bad chain, not its end. */
    b = cert_backend("one.pem", "one.key");
    const char *junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    memcpy(b->cert_pem + b->cert_pem_len, junk, strlen(junk) + 1);
    b->cert_pem_len += strlen(junk);
    r = send_one(b);
    CHECK_INT(r.err, WMGW_ECONFIG);
    CHECK(strstr(r.detail, "chain") != NULL);
    wmgw_backend_unref(b);

    b = cert_backend("one.pem", "one.key");
    memcpy(b->key_pem + 30, "!!!!", 4); /* inside the base64 */
    r = send_one(b);
    CHECK_INT(r.err, WMGW_ECONFIG);
    CHECK(strstr(r.detail, "private key") != NULL);
    wmgw_backend_unref(b);

    /* Over http the certificate cannot be presented: refused unsent. */
    b = cert_backend("one.pem", "one.key");
    b->tls = false;
    r = send_one(b);
    CHECK_INT(r.err, WMGW_ECONFIG);
    CHECK(strstr(r.detail, "needs https") != NULL);
    CHECK_INT(srv.accepted, 0);
    wmgw_backend_unref(b);
}

/* Scheme, checks, pool identity, copies. */
static void test_backend_and_scheme(void)
{
    struct wmgw_backend *a = cert_backend("one.pem", "one.key");
    struct wmgw_backend *b = cert_backend("two-chain.pem", "two.key");
    CHECK_INT(wmgw_auth_http_scheme(a), WMGW_AUTH_HTTP_CERTIFICATE);
    CHECK(!wmgw_auth_http_encrypts(a));
    struct wmgw_backend_credential ca, cb;
    CHECK(wmgw_auth_http_credential(a, &ca));
    CHECK(wmgw_auth_http_credential(b, &cb));
    char ia[256], ib[256];
    CHECK_INT(wmgw_auth_http_identity(WMGW_AUTH_HTTP_CERTIFICATE, &ca, ia, sizeof(ia)), 0);
    CHECK_INT(wmgw_auth_http_identity(WMGW_AUTH_HTTP_CERTIFICATE, &cb, ib, sizeof(ib)), 0);
    CHECK(strncmp(ia, "certificate:", 12) == 0);
    CHECK(strcmp(ia, ib) != 0); /* two certificates never share a pool */
    CHECK(strstr(ia, "BEGIN") == NULL);

    /* A copy has the same bytes in its own memory; without secrets, none. */
    struct wmgw_backend *c = wmgw_backend_copy(a);
    CHECK(c != NULL && c->cert_pem != a->cert_pem && c->key_pem != a->key_pem);
    CHECK(c->cert_pem_len == a->cert_pem_len && memcmp(c->cert_pem, a->cert_pem, a->cert_pem_len) == 0);
    CHECK(c->key_pem_len == a->key_pem_len && memcmp(c->key_pem, a->key_pem, a->key_pem_len) == 0);
    struct wmgw_backend *d = wmgw_backend_copy_without_secrets(a);
    CHECK(d != NULL && d->cert_pem == NULL && d->key_pem == NULL && d->key_pem_len == 0);
    wmgw_backend_unref(c);
    wmgw_backend_unref(d);

    /* auth = certificate: https only, no user of its own. */
    struct wmgw_err err;
    struct wmgw_backend *h = ts_backend(srv.port);
    h->auth = strdup("certificate");
    h->tls = true;
    CHECK_INT(wmgw_auth_http_validate(h, false, &err), 0);
    CHECK_INT(wmgw_auth_http_validate(h, true, &err), 0);
    h->tls = false;
    CHECK_INT(wmgw_auth_http_validate(h, true, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "needs https") != NULL);
    h->tls = true;
    h->user = strdup("alice");
    h->password = strdup("pw");
    CHECK_INT(wmgw_auth_http_validate(h, false, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "no user or password") != NULL);
    free(h->auth);
    h->auth = strdup("telepathy");
    CHECK_INT(wmgw_auth_http_validate(h, false, &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "certificate") != NULL); /* the list of choices names it */
    wmgw_backend_unref(h);
    wmgw_backend_unref(a);
    wmgw_backend_unref(b);
}

static bool has_ctx(struct wmgw_transport *t, uint64_t backend_id)
{
    for (struct wmgw__tls *e = t->tls; e != NULL; e = e->next)
        if (e->backend_id == backend_id)
            return true;
    return false;
}

/* A context holding a client key is dropped once unused for a while (a
 * rotated or deleted credential's key must not stay in memory for good);
 * one without a key is kept, and a key in use is kept. */
static void test_idle_key_contexts_dropped(void)
{
    struct wmgw_transport *t = wmgw_transport_new(loop);
    t->tls_key_idle_ms = 150;
    serve(TLS1_3_VERSION);
    struct wmgw_backend *keyed = cert_backend("one.pem", "one.key"), *busy = cert_backend("two-chain.pem", "two.key");
    struct wmgw_backend *plain = cert_backend(NULL, NULL);
    struct wmgw_http_request req = ts_post("x");
    CHECK_INT(ts_exchange(loop, t, keyed, &req).err, 0);
    CHECK_INT(ts_exchange(loop, t, busy, &req).err, 0);
    SSL_CTX *ctx;
    char detail[256];
    CHECK_INT(wmgw__tls_ctx(t, plain, &ctx, detail, sizeof(detail)), 0);
    CHECK(has_ctx(t, keyed->id) && has_ctx(t, busy->id) && has_ctx(t, plain->id));
    for (int i = 0; i < 6; i++) { /* busy is used every 100 ms, keyed never again */
        ts_run_for(loop, 100);
        CHECK_INT(wmgw__tls_ctx(t, busy, &ctx, detail, sizeof(detail)), 0);
    }
    CHECK(!has_ctx(t, keyed->id));
    CHECK(has_ctx(t, busy->id) && has_ctx(t, plain->id));
    ts_run_for(loop, 400);
    CHECK(!has_ctx(t, busy->id) && has_ctx(t, plain->id));
    /* Dropped is not broken: a pooled connection keeps its own reference,
     * and the next new connection makes a new context. */
    serve(TLS1_3_VERSION);
    CHECK_INT(ts_exchange(loop, t, keyed, &req).err, 0);
    CHECK_INT(wmgw__tls_ctx(t, keyed, &ctx, detail, sizeof(detail)), 0);
    CHECK(has_ctx(t, keyed->id));
    wmgw_transport_free(t);
    ts_run_for(loop, 5);
    wmgw_backend_unref(keyed);
    wmgw_backend_unref(busy);
    wmgw_backend_unref(plain);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!make_certificates()) { /* a failure, not a skip: openssl is a build dependency */
        printf("not ok - cannot make certificates with the openssl command in %s\n", dir);
        return 1;
    }
    loop = h2o_evloop_create();
    ts_start(&srv, loop, 0);
    srv.on_request = answer_hello;
    transport = wmgw_transport_new(loop);
    WMGW_TEST_RUN(test_backend_and_scheme);
    WMGW_TEST_RUN(test_bad_material);
    WMGW_TEST_RUN(test_tls13);
    WMGW_TEST_RUN(test_tls12);
    WMGW_TEST_RUN(test_idle_key_contexts_dropped);
    wmgw_transport_free(transport);
    ts_run_for(loop, 5);
    ts_stop(&srv);
    h2o_evloop_destroy(loop);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return WMGW_TEST_DONE();
}
