/*
 * auth_conn.c: one connection's security context with a WS-Management
 * host (auth_http.h): the Authorization lines of the handshake, the end
 * of it, and WinRM's encryption of bodies both ways.
 *
 * Every scheme is sent as HTTP "Negotiate", the scheme WinRM offers:
 * auth = ntlm puts a raw NTLMSSP token there and auth = kerberos a raw
 * Kerberos token (what pywinrm's ntlm and kerberos transports do and
 * Windows accepts), negotiate an SPNEGO token; bodies are then framed as
 * application/HTTP-SPNEGO-session-encrypted.
 */
#include "translators/transport/auth_http.h"
#include "auth/gss.h"
#include "auth/winrm_crypt.h"
#include "translators/backend.h"
#include "translators/transport/auth_int.h"
#include "translators/transport/http_client.h"
#include "util/base64.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LEGS 6 /* handshake round trips; NTLM needs 2, Kerberos 1 */
#define HTTP_SCHEME "Negotiate"

struct wmgw_auth_conn {
    struct wmgw_gss_ctx *ctx;
    bool encrypt;
    unsigned legs;
    char host[64]; /* for messages */
};

static enum wmgw_gss_mech mech_of(enum wmgw_auth_http_scheme s)
{
    return s == WMGW_AUTH_HTTP_NTLM       ? WMGW_GSS_NTLM
           : s == WMGW_AUTH_HTTP_KERBEROS ? WMGW_GSS_KERBEROS
                                          : WMGW_GSS_NEGOTIATE;
}

/* Channel bindings from the server certificate of the TLS session. */
static int channel_bindings(SSL *ssl, uint8_t cb[WMGW_GSS_CB_MAX], size_t *len, struct wmgw_err *err)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert == NULL)
        return wmgw_err_set(err, WMGW_EPROTO, "the host presented no TLS certificate to bind to");
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    X509_free(cert);
    if (n <= 0)
        return wmgw_err_set(err, WMGW_ENOMEM, "cannot encode the host's certificate");
    int rc = wmgw_gss_cb_tls_server_end_point(der, (size_t)n, cb, len, err);
    OPENSSL_free(der);
    return rc;
}

int wmgw_auth_conn_bindings(const struct wmgw_backend *b, struct ssl_st *ssl, uint8_t cb[WMGW_GSS_CB_MAX],
                            size_t *cb_len, struct wmgw_err *err)
{
    *cb_len = 0;
    if (!b->tls || !b->channel_binding)
        return 0;
    if (ssl == NULL)
        return wmgw_err_set(err, WMGW_EINTERNAL, "no TLS session to take channel bindings from");
    return channel_bindings(ssl, cb, cb_len, err);
}

int wmgw_auth_conn_new(const struct wmgw_backend *b, const uint8_t *cb, size_t cb_len, struct wmgw_auth_conn **out,
                       struct wmgw_err *err)
{
    struct wmgw_backend_credential c;
    enum wmgw_auth_http_scheme s = wmgw_auth_http_scheme(b);
    if (s == WMGW_AUTH_HTTP_NONE || s == WMGW_AUTH_HTTP_BASIC || !wmgw_auth_http_credential(b, &c))
        return wmgw_err_set(err, WMGW_EINVAL, "the host does not use GSSAPI authentication");
    char identity[WMGW_GSS_MAX_NAME * 2 + 64];
    if (wmgw_auth_http_identity(s, &c, identity, sizeof(identity)) != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "the host's user and domain are too long");
    char spn[WMGW_GSS_MAX_NAME];
    if (b->spn != NULL && b->spn[0] != '\0')
        snprintf(spn, sizeof(spn), "%s", b->spn);
    else if ((size_t)snprintf(spn, sizeof(spn), "HTTP/%s", b->tls_name != NULL ? b->tls_name : b->address) >=
             sizeof(spn))
        return wmgw_err_set(err, WMGW_ECONFIG, "the host's name is too long for a service principal");
    struct wmgw__auth_cred *cred;
    int rc = wmgw__auth_cred_get(mech_of(s), identity, &c, &cred, err);
    if (rc != 0)
        return rc;
    struct wmgw_auth_conn *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        wmgw__auth_cred_put(cred);
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for a security context");
    }
    struct wmgw_gss_client_config cc = {.spn = spn, .cb = cb_len > 0 ? cb : NULL, .cb_len = cb_len};
    rc = wmgw_gss_client_new(wmgw__auth_cred_gss(cred), &cc, &a->ctx, err);
    wmgw__auth_cred_put(cred); /* the context keeps what it needs */
    if (rc != 0) {
        free(a);
        return rc;
    }
    a->encrypt = wmgw_auth_http_encrypts(b);
    snprintf(a->host, sizeof(a->host), "%s", b->name != NULL ? b->name : b->address);
    *out = a;
    return 0;
}

void wmgw_auth_conn_free(struct wmgw_auth_conn *a)
{
    if (a == NULL)
        return;
    wmgw_gss_ctx_free(a->ctx);
    free(a);
}

bool wmgw_auth_conn_established(const struct wmgw_auth_conn *a)
{
    return a != NULL && a->legs > 0 && wmgw_gss_ctx_complete(a->ctx);
}

bool wmgw_auth_conn_encrypts(const struct wmgw_auth_conn *a)
{
    return a != NULL && a->encrypt;
}

/* The token of a "Negotiate <b64>" (or NTLM, Kerberos) challenge: 0 with
 * the token and its length (0: the scheme without a token); WMGW_ENOTFOUND when the
 * value is another scheme. */
static int challenge_token(const char *v, const char **tok, size_t *len)
{
    static const char *const schemes[] = {"Negotiate", "NTLM", "Kerberos"};
    *tok = NULL;
    *len = 0;
    if (v == NULL)
        return WMGW_ENOTFOUND;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strcspn(v, " \t,");
    bool ours = false;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        ours = ours || (strlen(schemes[i]) == n && strncasecmp(v, schemes[i], n) == 0);
    if (!ours)
        return WMGW_ENOTFOUND;
    v += n;
    while (*v == ' ' || *v == '\t')
        v++;
    *tok = v;
    *len = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
    return 0;
}

bool wmgw_auth_http_challenge_has_token(const char *value)
{
    const char *tok;
    size_t len;
    return challenge_token(value, &tok, &len) == 0 && len > 0;
}

/* Feeds the host's token (may be none) to the context; the reply token
 * is appended to out. */
static int step(struct wmgw_auth_conn *a, const char *tok, size_t tok_len, struct wmgw_buf *out,
                struct wmgw_err *err)
{
    struct wmgw_buf in;
    wmgw_buf_init(&in, WMGW_GSS_MAX_TOKEN);
    int rc = 0;
    if (tok_len > 0 && wmgw_base64_decode(&in, tok, tok_len, WMGW_BASE64_STD) != 0)
        rc = wmgw_err_set(err, WMGW_EPROTO, "host %s: its %s token is not valid base64", a->host, HTTP_SCHEME);
    if (rc == 0)
        rc = wmgw_gss_step(a->ctx, (const uint8_t *)in.data, in.len, out, err);
    wmgw_buf_dispose(&in);
    return rc;
}

int wmgw_auth_conn_authorization(struct wmgw_auth_conn *a, const char *challenge, struct wmgw_buf *out,
                                 struct wmgw_err *err)
{
    const char *tok = NULL;
    size_t tok_len = 0;
    if (a->legs >= MAX_LEGS)
        return wmgw_err_set(err, WMGW_EAUTH, "host %s: authentication did not finish in %d round trips", a->host,
                            MAX_LEGS);
    if (a->legs > 0 && (challenge_token(challenge, &tok, &tok_len) != 0 || tok_len == 0))
        return wmgw_err_set(err, WMGW_EAUTH, "host %s: refused the credential (HTTP 401 without a %s token)", a->host,
                            HTTP_SCHEME);
    struct wmgw_buf t;
    wmgw_buf_init(&t, WMGW_GSS_MAX_TOKEN);
    int rc = step(a, tok, tok_len, &t, err);
    if (rc == 0 && t.len == 0)
        rc = wmgw_err_set(err, WMGW_EAUTH, "host %s: it asked for more authentication than the mechanism has",
                          a->host);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "Authorization: " HTTP_SCHEME " ");
    if (rc == 0)
        rc = wmgw_base64_encode(out, t.data, t.len, WMGW_BASE64_STD);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\r\n");
    wmgw_buf_dispose(&t);
    if (rc == 0)
        a->legs++;
    else if (err != NULL && err->code == 0)
        wmgw_err_set(err, rc, "no room for the Authorization header");
    return rc;
}

int wmgw_auth_conn_finish(struct wmgw_auth_conn *a, const char *challenge, struct wmgw_err *err)
{
    const char *tok;
    size_t tok_len;
    if (!wmgw_gss_ctx_complete(a->ctx) && challenge_token(challenge, &tok, &tok_len) == 0 && tok_len > 0) {
        struct wmgw_buf t;
        wmgw_buf_init(&t, WMGW_GSS_MAX_TOKEN);
        int rc = step(a, tok, tok_len, &t, err);
        wmgw_buf_dispose(&t);
        if (rc != 0)
            return rc;
    }
    if (!wmgw_gss_ctx_complete(a->ctx))
        return wmgw_err_set(err, WMGW_EAUTH,
                            "host %s: ended authentication before the security context was complete (no mutual "
                            "authentication token)", a->host);
    return 0;
}

int wmgw_auth_conn_encrypt(struct wmgw_auth_conn *a, const char *body, size_t len, struct wmgw_buf *out,
                           char *ctype, size_t ctype_size, struct wmgw_err *err)
{
    struct wmgw_winrm_sec sec;
    wmgw_winrm_sec_gss(&sec, a->ctx);
    int rc = wmgw_winrm_encrypt(&sec, WMGW_WINRM_SPNEGO, "UTF-8", (const uint8_t *)body, len, out, err);
    if (rc == 0)
        snprintf(ctype, ctype_size, "%s", wmgw_winrm_content_type(WMGW_WINRM_SPNEGO, len));
    return rc;
}

int wmgw_auth_conn_decrypt(struct wmgw_auth_conn *a, struct wmgw_http_response *resp, struct wmgw_err *err)
{
    if (!a->encrypt)
        return 0;
    enum wmgw_winrm_protocol p;
    struct wmgw_err e = {0};
    int rc = wmgw_winrm_parse_content_type(resp->content_type, &p, &e);
    if (rc == WMGW_ENOTFOUND)
        return resp->body.len == 0 ? 0 /* nothing to protect */
                                   : wmgw_err_set(err, WMGW_EAUTH,
                                                  "host %s: answered HTTP %d in clear text although the connection is "
                                                  "encrypted (refused)", a->host, resp->status);
    if (rc == 0 && p == WMGW_WINRM_CREDSSP)
        rc = wmgw_err_set(&e, WMGW_EPROTO, "a CredSSP-encrypted body on a GSSAPI connection");
    if (rc != 0)
        return wmgw_err_set(err, WMGW_EPROTO, "host %s: bad encrypted response: %s", a->host, e.message);
    struct wmgw_buf plain;
    char charset[WMGW_WINRM_CHARSET_MAX];
    wmgw_buf_init(&plain, resp->body.max);
    struct wmgw_winrm_sec sec;
    wmgw_winrm_sec_gss(&sec, a->ctx);
    rc = wmgw_winrm_decrypt(&sec, p, (uint8_t *)resp->body.data, resp->body.len, &plain, charset, &e);
    if (rc != 0) {
        wmgw_buf_dispose(&plain);
        return wmgw_err_set(err, rc == WMGW_ETOOBIG ? WMGW_ETOOBIG : WMGW_EPROTO,
                            "host %s: cannot decrypt its response: %s", a->host, e.message);
    }
    wmgw_buf_dispose(&resp->body);
    resp->body = plain;
    snprintf(resp->content_type, sizeof(resp->content_type), "application/soap+xml;charset=%s", charset);
    return 0;
}
