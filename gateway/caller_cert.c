/*
 * caller_cert.c: TLS client certificates (caller.h).  With [security]
 * client-ca, TLS listeners ask for a client certificate (optional: token
 * callers still connect) and OpenSSL verifies it against that CA during
 * the handshake; a call without an Authorization header is then made by
 * the principal whose `certificate` is the verified certificate's subject
 * DN (RFC 2253, e.g. "CN=alice,O=Example") or one of its subjectAltName
 * DNS, e-mail or URI values.
 *
 * h2o 2.2.5 has no accessor for a socket's SSL object.  Its private
 * struct st_h2o_socket_ssl_t starts with the SSL_CTX and the SSL in every
 * release since 2.1 (lib/common/socket.c); we read those two members only
 * after checking that the first is our own SSL_CTX, and use the SSL only
 * when it points back to that SSL_CTX, so another layout finds no
 * certificate rather than memory that is not one.
 */
#include "gateway/caller.h"
#include "gateway/gateway.h"
#include "gateway/request.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <strings.h>

struct h2o_ssl_head { /* the leading members of h2o's struct st_h2o_socket_ssl_t */
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

int wmgw_caller_tls_setup(SSL_CTX *ctx, const struct wmgw_security *sec, struct wmgw_err *err)
{
    if (sec == NULL || sec->client_ca == NULL)
        return 0;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(sec->client_ca);
    if (names == NULL || SSL_CTX_load_verify_locations(ctx, sec->client_ca, NULL) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return wmgw_err_set(err, WMGW_ECONFIG, "[security] client-ca %s: no PEM certificates", sec->client_ca);
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    /* Ask, do not demand: bearer and Basic callers have no certificate. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"wmgw", 4);
    return 0;
}

static SSL *ssl_of(struct wmgw_request *r)
{
    h2o_conn_t *conn = r->req->conn;
    h2o_socket_t *sock = conn->callbacks->get_socket != NULL ? conn->callbacks->get_socket(conn) : NULL;
    if (sock == NULL || sock->ssl == NULL || r->gw->tls == NULL)
        return NULL;
    const struct h2o_ssl_head *head = (const struct h2o_ssl_head *)sock->ssl;
    if (head->ssl_ctx != r->gw->tls || head->ossl == NULL || SSL_get_SSL_CTX(head->ossl) != r->gw->tls)
        return NULL;
    return head->ossl;
}

static bool san_matches(X509 *cert, const char *want)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    bool found = false;
    for (int i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans) && !found; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        const ASN1_IA5STRING *s = NULL;
        if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI)
            s = g->d.ia5;
        if (s != NULL && (size_t)s->length == strlen(want) && strncasecmp((const char *)s->data, want, s->length) == 0 &&
            memchr(s->data, '\0', s->length) == NULL)
            found = true;
    }
    GENERAL_NAMES_free(sans);
    return found;
}

int wmgw_caller_certificate(struct wmgw_request *r, const struct wmgw_principal_config **p)
{
    const struct wmgw_security *sec = r->gw->config->security;
    *p = NULL;
    if (sec == NULL || sec->client_ca == NULL)
        return 0;
    SSL *ssl = ssl_of(r);
    X509 *cert = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
    if (cert == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
        return 0;
    char dn[1024] = "";
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio != NULL && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(bio, dn, sizeof(dn) - 1);
        dn[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
    for (size_t i = 0; i < sec->nprincipals && *p == NULL; i++) {
        const char *want = sec->principals[i].certificate;
        if (want != NULL && ((dn[0] != '\0' && strcmp(dn, want) == 0) || san_matches(cert, want)))
            *p = &sec->principals[i];
    }
    return 0;
}
