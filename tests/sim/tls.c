/*
 * tls.c: HTTPS for the WS-Management front (WinRM's 5986 listener) and
 * the channel bindings of its certificate.
 *
 * One certificate and key for the fleet (--tls-cert, --tls-key, PEM); a
 * host listens for HTTPS on its own port (--listen ...,https=PORT) beside
 * or instead of plain HTTP.  RFC 5929's tls-server-end-point binds an
 * authentication to the channel: auth/gss.h computes the application
 * data ("tls-server-end-point:" + the certificate's hash) once at start,
 * and this file also keeps it flattened as a gss_channel_bindings_struct
 * (address types and lengths zero, then the application data's length
 * and bytes, little-endian), which is what NTLM's MsvAvChannelBindings
 * hashes.  Whether a request must prove them follows the host's cbt mode
 * (auth.h).  With --client-ca, listeners also ask for a client
 * certificate (certificate authentication, auth_cert.c).
 */
#include "auth/ntlm.h"
#include "tests/sim/auth.h"
#include "tests/sim/server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>


int sim_tls_load(struct sim_server *s, const char *cert_file, const char *key_file, struct wmgw_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "TLS: no memory for a context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        char why[160];
        ERR_error_string_n(ERR_get_error(), why, sizeof(why));
        SSL_CTX_free(ctx);
        return wmgw_err_set(err, WMGW_ECONFIG, "TLS: cannot use %s with %s: %s", cert_file, key_file, why);
    }
    X509 *cert = SSL_CTX_get0_certificate(ctx);
    unsigned char *der = NULL;
    int der_len = cert ? i2d_X509(cert, &der) : -1;
    int rc = der_len > 0 ? wmgw_gss_cb_tls_server_end_point(der, (size_t)der_len, s->cb_app, &s->cb_app_len, err)
                         : wmgw_err_set(err, WMGW_ECONFIG, "TLS: %s holds no certificate", cert_file);
    OPENSSL_free(der);
    if (rc != 0) {
        SSL_CTX_free(ctx);
        return rc;
    }
    s->cb_flat_len = wmgw_ntlm_flatten_bindings(s->cb_app, s->cb_app_len, s->cb_flat);
    s->tls = ctx;
    s->wsman_tls_accept = s->wsman_accept;
    s->wsman_tls_accept.ssl_ctx = ctx;
    return 0;
}

bool sim_tls_bindings(const struct sim_server *s, const struct sim_auth_call *call, const uint8_t **app,
                      size_t *app_len, const uint8_t **flat, size_t *flat_len)
{
    if (!call->tls || s->tls == NULL || call->host->cbt == SIM_CBT_NONE)
        return false;
    *app = s->cb_app;
    *app_len = s->cb_app_len;
    *flat = s->cb_flat;
    *flat_len = s->cb_flat_len;
    return true;
}

/* Accepts every client certificate during the handshake: the verdict
 * stays in SSL_get_verify_result() and auth_cert.c answers a failed one
 * with 401, as WinRM does, instead of a broken handshake. */
static int keep_verdict(int preverify_ok, X509_STORE_CTX *ctx)
{
    (void)preverify_ok;
    (void)ctx;
    return 1;
}

int sim_tls_client_ca(struct sim_server *s, const char *file, struct wmgw_err *err)
{
    if (s->tls == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "--client-ca needs --tls-cert and --tls-key");
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(file);
    if (names == NULL || SSL_CTX_load_verify_locations(s->tls, file, NULL) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        ERR_clear_error();
        return wmgw_err_set(err, WMGW_ECONFIG, "--client-ca %s: no PEM certificates", file);
    }
    SSL_CTX_set_client_CA_list(s->tls, names);
    /* Ask, do not demand: Basic, NTLM and Kerberos clients have none. */
    SSL_CTX_set_verify(s->tls, SSL_VERIFY_PEER, keep_verdict);
    SSL_CTX_set_session_id_context(s->tls, (const unsigned char *)"wmsim", 5);
    s->client_ca = true;
    return 0;
}

/* h2o 2.2.5 has no accessor for a socket's SSL: its private struct
 * st_h2o_socket_ssl_t starts with the SSL_CTX and the SSL (as the
 * gateway's caller_cert.c reads it); used only when both point back to
 * our own context. */
struct h2o_ssl_head {
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

SSL *sim_tls_ssl(const struct sim_server *s, h2o_req_t *req)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock == NULL || sock->ssl == NULL || s->tls == NULL)
        return NULL;
    const struct h2o_ssl_head *head = (const struct h2o_ssl_head *)sock->ssl;
    if (head->ssl_ctx != s->tls || head->ossl == NULL || SSL_get_SSL_CTX(head->ossl) != s->tls)
        return NULL;
    return head->ossl;
}
