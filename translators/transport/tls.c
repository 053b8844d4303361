/*
 * tls.c: the client TLS contexts of a transport, one per backend id.
 *
 * TLS 1.2 or later, no compression, no renegotiation.  Unless the backend
 * says tls_insecure, the peer must chain to backend->ca_file (or to the
 * system's CAs) and carry the expected name: tls_name, else the address.
 * The name check is OpenSSL's own (X509_VERIFY_PARAM host or IP on the
 * context), done during the handshake under every protocol version: h2o
 * 2.2.5 checks the name itself only when TLS 1.2 ends in a particular
 * order, never under TLS 1.3, and it ignores IP subjectAltNames, so its
 * verdict is disregarded (wmgw__tls_superseded_error).  SNI carries a
 * name, never an IP address (RFC 6066 3): h2o always sets what it is
 * given, so for IP peers an info callback takes it out again before the
 * ClientHello is written.  With ca_file, a certificate in that file is a
 * trust anchor even if it is not a CA (a WinRM listener's self-signed
 * certificate, pinned).  Trust stores are loaded once per file and shared;
 * forgetting the last backend that uses one drops it, so a changed file
 * is read again.
 *
 * Client certificates (auth = certificate, a vault credential): the
 * backend's PEM chain and key are read from memory into this backend id's
 * context, checked to match, and from then on the key lives only inside
 * OpenSSL (the backend's copy is wiped with the backend, backend.c).  A
 * rotated credential is another backend id, hence another context.
 */
#include "translators/transport/transport_int.h"
#include "translators/backend.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static atomic_flag insecure_warned = ATOMIC_FLAG_INIT;

const char *wmgw__tls_peer_name(const struct wmgw_backend *b)
{
    return b->tls_name != NULL && b->tls_name[0] != '\0' ? b->tls_name : b->address;
}

bool wmgw__tls_superseded_error(const char *err)
{
    return err == h2o_socket_error_ssl_cert_name_mismatch || err == h2o_socket_error_ssl_cert_invalid ||
           err == h2o_socket_error_ssl_no_cert;
}

/* An IPv4 or IPv6 literal (an IPv6 zone, "%eth0", is dropped) into out. */
static bool ip_literal(const char *s, char *out, size_t size)
{
    unsigned char a[sizeof(struct in6_addr)];
    size_t n = strcspn(s, "%");
    if (n >= size)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return inet_pton(AF_INET, out, a) == 1 || inet_pton(AF_INET6, out, a) == 1;
}

/* Installed only on contexts whose peer is an IP address. */
static void drop_sni(const SSL *ssl, int where, int ret)
{
    if ((where & SSL_CB_HANDSHAKE_START) != 0)
        SSL_set_tlsext_host_name((SSL *)ssl, NULL);
}

static bool same_path(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The trust store for ca_file (NULL: the system's), loaded on first use:
 * a system bundle costs milliseconds and hundreds of kilobytes, so it is
 * read once per transport, not once per backend. */
static struct wmgw__store *get_store(struct wmgw_transport *t, const char *ca_file, char *detail, size_t detail_size)
{
    for (struct wmgw__store *s = t->stores; s != NULL; s = s->next)
        if (same_path(s->ca_file, ca_file))
            return s;
    struct wmgw__store *s = calloc(1, sizeof(*s));
    if (s == NULL || (ca_file != NULL && (s->ca_file = strdup(ca_file)) == NULL) ||
        (s->store = X509_STORE_new()) == NULL) {
        snprintf(detail, detail_size, "no memory for a TLS trust store");
        goto fail;
    }
    if (ca_file != NULL ? X509_STORE_load_file(s->store, ca_file) != 1 : X509_STORE_set_default_paths(s->store) != 1) {
        if (ca_file != NULL)
            snprintf(detail, detail_size, "cannot load the CA file %.200s", ca_file);
        else
            snprintf(detail, detail_size, "cannot load the system's CA certificates");
        goto fail;
    }
    s->next = t->stores;
    t->stores = s;
    return s;
fail:
    ERR_clear_error();
    if (s != NULL) {
        X509_STORE_free(s->store);
        free(s->ca_file);
        free(s);
    }
    return NULL;
}

static void put_store(struct wmgw_transport *t, struct wmgw__store *store)
{
    if (store == NULL || --store->users > 0)
        return;
    for (struct wmgw__store **ps = &t->stores; *ps != NULL; ps = &(*ps)->next) {
        if (*ps == store) {
            *ps = store->next;
            break;
        }
    }
    X509_STORE_free(store->store); /* contexts still in use hold their own reference */
    free(store->ca_file);
    free(store);
}

/* Loads b's client certificate chain (leaf first) and private key from
 * memory into ctx.  The detail never carries PEM text, only what failed. */
static int use_client_cert(SSL_CTX *ctx, const struct wmgw_backend *b, char *detail, size_t detail_size)
{
    const char *what = "the client certificate";
    int rc = WMGW_ECONFIG;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    BIO *bio = NULL;
    /* Read-only BIOs over the backend's bytes: no copy of the PEM to wipe. */
    if (b->cert_pem_len > INT_MAX || b->key_pem == NULL || b->key_pem_len > INT_MAX ||
        (bio = BIO_new_mem_buf(b->cert_pem, (int)b->cert_pem_len)) == NULL)
        goto out;
    if ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) == NULL || SSL_CTX_use_certificate(ctx, x) != 1)
        goto out;
    X509_free(x);
    what = "the client certificate chain";
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, x) != 1) /* takes x on success */
            goto out;
    }
    /* The chain ends where no PEM block starts; anything else is bad PEM. */
    unsigned long e = ERR_peek_last_error();
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
        goto out;
    ERR_clear_error();
    BIO_free(bio);
    /* A key needs no password callback: the vault keeps it unencrypted. */
    what = "the client certificate's private key";
    if ((bio = BIO_new_mem_buf(b->key_pem, (int)b->key_pem_len)) == NULL ||
        (key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"")) == NULL)
        goto out;
    /* OpenSSL compares the key with the certificate as it takes it. */
    what = "the client certificate and its private key (they do not match)";
    if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
        goto out;
    rc = 0;
out:
    if (rc != 0) {
        X509_free(x);
        snprintf(detail, detail_size, "host %s: cannot use %s", b->name != NULL ? b->name : wmgw__tls_peer_name(b),
                 what);
    }
    EVP_PKEY_free(key); /* the context holds its own reference */
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

static int new_ctx(struct wmgw_transport *t, const struct wmgw_backend *b, struct wmgw__tls *e, char *detail,
                   size_t detail_size)
{
    const char *name = wmgw__tls_peer_name(b);
    char ip[INET6_ADDRSTRLEN + 1];
    bool is_ip = ip_literal(name, ip, sizeof(ip));
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        snprintf(detail, detail_size, "no memory for a TLS context");
        return WMGW_ENOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (is_ip)
        SSL_CTX_set_info_callback(ctx, drop_sni);
    e->ctx = ctx;
    e->store = NULL;
    if (b->cert_pem != NULL && use_client_cert(ctx, b, detail, detail_size) != 0) {
        SSL_CTX_free(ctx);
        return WMGW_ECONFIG;
    }
    if (b->tls_insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        if (!atomic_flag_test_and_set(&insecure_warned))
            fprintf(stderr,
                    "wmgw: WARNING: host %s: TLS certificates are not verified (tls-insecure); "
                    "anyone on the path can read and change its traffic (said once per process)\n",
                    b->name != NULL ? b->name : name);
        return 0;
    }
    X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
    if ((e->store = get_store(t, b->ca_file, detail, detail_size)) == NULL)
        goto fail;
    e->store->users++;
    SSL_CTX_set1_cert_store(ctx, e->store->store);
    if (b->ca_file != NULL)
        X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, ip) : X509_VERIFY_PARAM_set1_host(vp, name, 0)) != 1) {
        snprintf(detail, detail_size, "cannot check certificates for the name %.200s", name);
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return 0;
fail:
    ERR_clear_error();
    put_store(t, e->store);
    SSL_CTX_free(ctx);
    return WMGW_ECONFIG;
}

static void free_entry(struct wmgw_transport *t, struct wmgw__tls *e);
static void arm_sweep(struct wmgw_transport *t);

/* Drops the contexts with a client key unused for tls_key_idle_ms, and
 * comes back while any such context is left.  Connections that still use
 * one hold their own reference. */
static void on_sweep(h2o_timeout_entry_t *entry)
{
    struct wmgw_transport *t = H2O_STRUCT_FROM_MEMBER(struct wmgw_transport, tls_sweep, entry);
    uint64_t now = h2o_now(t->loop);
    bool left = false;
    for (struct wmgw__tls **pe = &t->tls; *pe != NULL;) {
        struct wmgw__tls *e = *pe;
        if (e->holds_key && now - e->last_used >= t->tls_key_idle_ms) {
            *pe = e->next;
            free_entry(t, e);
            continue;
        }
        left = left || e->holds_key;
        pe = &e->next;
    }
    if (left)
        arm_sweep(t);
}

static void arm_sweep(struct wmgw_transport *t)
{
    h2o_timeout_t *to = wmgw__timeout_get(t, t->tls_key_idle_ms);
    if (to == NULL || h2o_timeout_is_linked(&t->tls_sweep))
        return; /* without a timer the keys stay until the transport goes: no worse than before */
    t->tls_sweep.cb = on_sweep;
    h2o_timeout_link(t->loop, to, &t->tls_sweep);
}

int wmgw__tls_ctx(struct wmgw_transport *t, const struct wmgw_backend *b, SSL_CTX **out, char *detail,
                  size_t detail_size)
{
    for (struct wmgw__tls *e = t->tls; e != NULL; e = e->next) {
        if (e->backend_id == b->id) {
            e->last_used = h2o_now(t->loop);
            *out = e->ctx;
            return 0;
        }
    }
    struct wmgw__tls *e = malloc(sizeof(*e));
    if (e == NULL) {
        snprintf(detail, detail_size, "no memory for a TLS context");
        return WMGW_ENOMEM;
    }
    int rc = new_ctx(t, b, e, detail, detail_size);
    if (rc != 0) {
        free(e);
        return rc;
    }
    e->backend_id = b->id;
    e->holds_key = b->cert_pem != NULL;
    e->last_used = h2o_now(t->loop);
    e->next = t->tls;
    t->tls = e;
    if (e->holds_key)
        arm_sweep(t);
    *out = e->ctx;
    return 0;
}

static void free_entry(struct wmgw_transport *t, struct wmgw__tls *e)
{
    SSL_CTX_free(e->ctx); /* connections hold their own references */
    put_store(t, e->store);
    free(e);
}

void wmgw__tls_forget(struct wmgw_transport *t, uint64_t backend_id)
{
    for (struct wmgw__tls **pe = &t->tls; *pe != NULL; pe = &(*pe)->next) {
        struct wmgw__tls *e = *pe;
        if (e->backend_id == backend_id) {
            *pe = e->next;
            free_entry(t, e);
            return;
        }
    }
}

void wmgw__tls_free(struct wmgw_transport *t)
{
    h2o_timeout_unlink(&t->tls_sweep);
    while (t->tls != NULL) {
        struct wmgw__tls *e = t->tls;
        t->tls = e->next;
        free_entry(t, e);
    }
}
