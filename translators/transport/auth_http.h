/*
 * auth_http.h: how the HTTP client authenticates to a WS-Management host
 * beyond Basic: NTLM, Kerberos and Negotiate through auth/gss.h, WinRM
 * message encryption through auth/winrm_crypt.h, and tls-server-end-point
 * channel bindings over https.
 *
 * Host keys (gateway/config.c, fields of struct wmgw_backend):
 *     auth = basic | ntlm | kerberos | negotiate | certificate
 *         certificate: WinRM client-certificate authentication, https
 *         only, the certificate and key from a vault credential (a host
 *         whose vault credential is a certificate gets it by default);
 *         default: negotiate when the domain key is set, else basic,
 *         which is what every configuration written before these keys
 *         uses (a user written DOMAIN\user keeps going as Basic);
 *     domain = NTLM domain / Kerberos realm (upper-cased for Kerberos);
 *     spn = service principal, default HTTP/<tls-name or address>;
 *     encryption = auto | always | never: auto encrypts over http and not
 *         over https (as pywinrm and Windows clients do); Basic never
 *         encrypts, so encryption = always with auth = basic is refused;
 *     channel-binding = true | false: over https, bind the context to the
 *         server certificate the TLS layer saw (RFC 5929).
 *
 * The exchange (http_client.c drives it, this file decides): on a
 * connection that has no context yet, an empty POST carries
 * "Authorization: <scheme> <token>"; each 401 with a token from the host
 * feeds the next step on the same keep-alive connection; the first
 * non-401 answer ends it (with Kerberos its token proves the host to us).
 * The context then belongs to the connection: later requests on it carry
 * no Authorization and are encrypted with it; a new connection starts
 * again.  GSSAPI credentials are kept per credential identity, one per
 * process, shared by every worker and connection (auth/gss.h is
 * thread-safe), so tickets are fetched once.
 *
 * Credentials: wmgw_auth_http_credential() is the one place that says
 * which credential a connection uses (today the host's user, domain and
 * password; the vault's resolved credential replaces it there), and
 * wmgw_auth_http_identity() names it for the connection pools, so two
 * credentials never share an authenticated connection.
 *
 * Realms and KDCs come from krb5.conf: [security] krb5-conf in the
 * gateway's configuration (set as KRB5_CONFIG at start), else the
 * environment's KRB5_CONFIG, else /etc/krb5.conf.
 *
 * Blocking: acquiring Kerberos tickets talks to the KDC from the calling
 * (worker) thread; MIT's own timeouts bound it.
 *
 * SECURITY
 *      Passwords and keytab bytes go only to auth/gss.h; the identity
 *      carries a truncated SHA-256 of the secret (so a rotated password
 *      gets fresh connections), never the secret.  Tokens and encrypted
 *      bodies from the host are bounded and checked by auth/.  A response
 *      that should be encrypted and is not is refused, never used.
 */
#ifndef WMGW_TRANSLATORS_TRANSPORT_AUTH_HTTP_H
#define WMGW_TRANSLATORS_TRANSPORT_AUTH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/gss.h"
#include "util/buf.h"
#include "util/err.h"

struct wmgw_backend;
struct wmgw_http_response;
struct ssl_st;

enum wmgw_auth_http_scheme {
    WMGW_AUTH_HTTP_NONE = 0, /* no credentials */
    WMGW_AUTH_HTTP_BASIC,
    WMGW_AUTH_HTTP_NTLM,
    WMGW_AUTH_HTTP_KERBEROS,
    WMGW_AUTH_HTTP_NEGOTIATE,
    WMGW_AUTH_HTTP_CERTIFICATE, /* TLS client certificate + the https/mutual secprofile header */
};

/* The Authorization value of certificate authentication: WS-Management's
 * mutual https security profile (DSP0226), what WinRM and pywinrm use. */
#define WMGW_AUTH_HTTP_MUTUAL "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

/* "basic", "ntlm", ... */
const char *wmgw_auth_http_scheme_name(enum wmgw_auth_http_scheme s);

/* The resolved credential for one connection.  Borrowed pointers, valid
 * while the backend reference is held. */
struct wmgw_backend_credential {
    const char *user;
    const char *domain;   /* NULL: none (or inside user) */
    const char *password; /* either this ... */
    const uint8_t *keytab; /* ... or keytab bytes (Kerberos) */
    size_t keytab_len;
    const char *cert_pem;  /* ... or a client certificate (its key stays in the backend) */
    size_t cert_pem_len;
};

/* THE place a connection's credential comes from.  Returns false when the
 * host has none (requests then go without authentication). */
bool wmgw_auth_http_credential(const struct wmgw_backend *b, struct wmgw_backend_credential *out);

/* The host's scheme, resolving the default (see above). */
enum wmgw_auth_http_scheme wmgw_auth_http_scheme(const struct wmgw_backend *b);

/* Whether bodies are encrypted on this host (auto: over http only). */
bool wmgw_auth_http_encrypts(const struct wmgw_backend *b);

/* Checks the host keys above at configuration time: WMGW_ECONFIG with a
 * message naming the host and key.  account_from_vault: a host without a
 * user of its own gets its account from the vault (credential = ID). */
int wmgw_auth_http_validate(const struct wmgw_backend *b, bool account_from_vault, struct wmgw_err *err);

/* The pool key of a credential: "<scheme>:<domain>\<user>#<16 hex of
 * SHA-256(secret)>" (no secret; zeros for Basic, whose connections carry
 * no authentication).  WMGW_ETOOBIG when it does not fit. */
int wmgw_auth_http_identity(enum wmgw_auth_http_scheme s, const struct wmgw_backend_credential *c, char *out,
                            size_t size);

/* ---- one connection's security context ---- */

struct wmgw_auth_conn;

/* The channel bindings a context for backend b on this connection gives:
 * from the server certificate of ssl, the connection's TLS session (NULL
 * over http); none (*cb_len 0) over http or with channel binding off.  On
 * the loop thread, which owns ssl. */
int wmgw_auth_conn_bindings(const struct wmgw_backend *b, struct ssl_st *ssl, uint8_t cb[WMGW_GSS_CB_MAX],
                            size_t *cb_len, struct wmgw_err *err);

/* A context for backend b on a new connection, with the bindings above.
 * Gets (or creates: KDC traffic for Kerberos) the shared GSSAPI
 * credential: may block, so Kerberos and Negotiate call it off the loop
 * (offload.c) together with the first wmgw_auth_conn_authorization.
 * Errors: WMGW_EAUTH, WMGW_ECONFIG, WMGW_EBACKEND (KDC unreachable), with
 * err's message for the caller. */
int wmgw_auth_conn_new(const struct wmgw_backend *b, const uint8_t *cb, size_t cb_len, struct wmgw_auth_conn **out,
                       struct wmgw_err *err);
void wmgw_auth_conn_free(struct wmgw_auth_conn *a);

/* The next handshake request's "Authorization: <scheme> <b64>\r\n" line,
 * appended to out.  challenge is the host's WWW-Authenticate value (NULL
 * for the first step). */
int wmgw_auth_conn_authorization(struct wmgw_auth_conn *a, const char *challenge, struct wmgw_buf *out,
                                 struct wmgw_err *err);

/* The handshake's last answer (not 401) arrived, with its
 * WWW-Authenticate value (may be "" or NULL): finishes the context (a
 * Kerberos mutual-authentication token) and checks it is complete. */
int wmgw_auth_conn_finish(struct wmgw_auth_conn *a, const char *challenge, struct wmgw_err *err);

/* Whether a WWW-Authenticate value is Negotiate/NTLM/Kerberos with a
 * token (a handshake step), not a bare offer or another scheme. */
bool wmgw_auth_http_challenge_has_token(const char *value);

bool wmgw_auth_conn_established(const struct wmgw_auth_conn *a);
bool wmgw_auth_conn_encrypts(const struct wmgw_auth_conn *a);

/* Encrypts a request body: appends the multipart/encrypted body to out
 * and writes its Content-Type into ctype. */
int wmgw_auth_conn_encrypt(struct wmgw_auth_conn *a, const char *body, size_t len, struct wmgw_buf *out,
                           char *ctype, size_t ctype_size, struct wmgw_err *err);

/* Decrypts a response in place of its body (and sets its Content-Type to
 * the SOAP type) when the connection encrypts.  A non-empty clear body
 * there is WMGW_EAUTH (the host broke the protection); one that fails to
 * decrypt, WMGW_EPROTO. */
int wmgw_auth_conn_decrypt(struct wmgw_auth_conn *a, struct wmgw_http_response *resp, struct wmgw_err *err);

/* ---- the process-wide credential cache ---- */

/* Frees cached GSSAPI credentials nobody uses (tests; shutdown). */
void wmgw_auth_http_cache_clear(void);
/* How many credentials the cache holds, and how many were acquired. */
void wmgw_auth_http_cache_stats(size_t *entries, uint64_t *acquired);

#endif
