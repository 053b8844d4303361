/*
 * auth.h: how the simulator's WS-Management front authenticates a request
 * and protects its messages, as WinRM does (protocol-notes §1.13).
 *
 * server.c holds the table of HTTP schemes (Basic, Negotiate, NTLM,
 * Kerberos); each row's step() is in its own file:
 *
 *     auth_header.c  "Scheme base64" of an Authorization header
 *     auth_conn.c    per-connection state, freed when the socket closes
 *     auth_ntlm.c    NTLM (raw under Negotiate or NTLM) with auth/ntlm.h
 *     auth_gss.c     Kerberos, raw or in SPNEGO, with a keytab, and NTLM
 *                    in SPNEGO (auth/gss.h over gss-ntlmssp)
 *     auth_ntlm_users.c  the users file and per-host acceptors of the latter
 *     crypt.c        multipart/encrypted bodies (auth/winrm_crypt.h) and
 *                    the encrypted-only policy
 *     tls.c          HTTPS listeners and the tls-server-end-point bindings
 *     auth_cert.c    client certificates (the https/mutual secprofile)
 *
 * NTLM and Kerberos authenticate the connection, not the request: the
 * security context and its session keys belong to struct sim_conn, and a
 * connection that authenticated stays so until it closes (WinRM keeps
 * NTLM/Kerberos connections authenticated; pywinrm relies on it).
 *
 * SECURITY
 *      Headers and bodies come from the network: tokens are bounded
 *      (SIM_AUTH_MAX_TOKEN) and decoded strictly; security contexts
 *      refuse whatever auth/ntlm.h and auth/gss.h refuse.  The simulator
 *      is a test tool: its users' passwords are given on its command line.
 *      No password or key is ever logged.
 */
#ifndef WMSIM_AUTH_H
#define WMSIM_AUTH_H

#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/gss.h"
#include "auth/ntlm.h"
#include "auth/winrm_crypt.h"
#include "util/buf.h"
#include "util/err.h"

struct sim_server;
struct sim_host;

#define SIM_AUTH_MAX_TOKEN (64 * 1024) /* decoded bytes of one Authorization token */
#define SIM_AUTH_MAX_SCHEME 16
/* The Authorization value of WinRM certificate authentication (the
 * WS-Management mutual https secprofile), and the name the scheme table
 * gives it: '/' cannot be in a scheme sent as "Scheme token", so no other
 * header can reach that row. */
#define SIM_AUTH_MUTUAL_URI "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
#define SIM_AUTH_MUTUAL "https/mutual"

/* Channel-binding hardening of an HTTPS host (WinRM's CbtHardeningLevel). */
enum sim_cbt {
    SIM_CBT_NONE = 0,       /* never checked ("None") */
    SIM_CBT_WHEN_SUPPORTED, /* checked when the client sent some ("Relaxed") */
    SIM_CBT_REQUIRED,       /* missing or wrong is refused ("Strict") */
};

/* One TCP (or TLS) connection's authentication. */
struct sim_conn {
    struct wmgw_ntlm_server *ntlm; /* an NTLM exchange, once NEGOTIATE came */
    struct wmgw_gss_ctx *gss;      /* a GSSAPI exchange, once its first token came */
    bool authed;                   /* the connection is authenticated */
    bool has_sec;                  /* sec can protect messages (NTLM or GSSAPI) */
    struct wmgw_winrm_sec sec;
    enum wmgw_winrm_protocol proto; /* SPNEGO for Negotiate/NTLM, KERBEROS for "Kerberos" */
    char user[2 * (WMGW_NTLM_MAX_NAME * 3 + 1) + 2]; /* who, for --verbose */
    /* the socket's own on_close, called after ours */
    void (*prev_close)(void *data);
    void *prev_data;
};

/* The connection state of the request's socket, made on first use; NULL
 * without memory.  Freed (contexts wiped) when h2o closes the socket. */
struct sim_conn *sim_conn_get(h2o_req_t *req);

/* Forgets an exchange that failed or is started again. */
void sim_conn_reset(struct sim_conn *c);

/* What a step() of a scheme answers. */
enum sim_auth_result {
    SIM_AUTH_OK = 0,       /* authenticated (reply_token: the last leg, if any) */
    SIM_AUTH_CONTINUE = 1, /* 401 with "Scheme reply_token" */
    SIM_AUTH_DENIED = 2,   /* 401 with the plain challenges */
};

/* One Authorization header being looked at. */
struct sim_auth_call {
    struct sim_server *server;
    struct sim_host *host;
    h2o_req_t *req;
    struct sim_conn *conn;
    const char *scheme; /* the table's spelling, for the reply */
    bool tls;           /* the request came over HTTPS */
    const uint8_t *token; /* decoded credentials (Basic: "user:password") */
    size_t token_len;
    struct wmgw_buf reply_token; /* raw bytes, base64'd into WWW-Authenticate */
    struct wmgw_err err;         /* why it was denied (for --verbose) */
};

/* auth_header.c: splits "Scheme base64" (one or more spaces between,
 * none elsewhere) and decodes the token into tok (at most
 * SIM_AUTH_MAX_TOKEN bytes).  scheme gets the scheme as sent.  The exact
 * SIM_AUTH_MUTUAL_URI gives scheme SIM_AUTH_MUTUAL and an empty token.
 * WMGW_EINVAL with a message for anything else. */
int sim_auth_header_parse(const char *value, size_t len, char scheme[SIM_AUTH_MAX_SCHEME], struct wmgw_buf *tok,
                          struct wmgw_err *err);

/* Steps of the table rows (server.c). */
int sim_auth_basic_step(struct sim_auth_call *call);     /* server.c */
int sim_auth_ntlm_step(struct sim_auth_call *call);      /* auth_ntlm.c */
int sim_auth_gss_step(struct sim_auth_call *call);       /* auth_gss.c */
int sim_auth_negotiate_step(struct sim_auth_call *call); /* auth_ntlm.c: NTLMSSP or GSSAPI by content */
int sim_auth_cert_step(struct sim_auth_call *call);      /* auth_cert.c: the verified client certificate */

/* auth_cert.c: one --cert-map "UPN=USER" (UPN "*": any verified
 * certificate); USER must be a user of the fleet.  WMGW_EINVAL with a
 * message otherwise. */
struct sim_cert_map {
    char *upn;
    char *user;
};
int sim_auth_cert_map_add(struct sim_server *s, const char *spec, struct wmgw_err *err);
void sim_auth_cert_maps_free(struct sim_server *s);
/* The certificate's UPN (subjectAltName otherName 1.3.6.1.4.1.311.20.2.3,
 * a UTF8String) into out; "" when it has none.  WMGW_EINVAL for one that
 * is too long, holds a NUL or is not a UTF8String. */
#define SIM_AUTH_UPN_MAX 512
int sim_auth_cert_upn(struct x509_st *cert, char out[SIM_AUTH_UPN_MAX], struct wmgw_err *err);
/* The user name a UPN maps to (exact, case-insensitive, before "*"), or NULL. */
const char *sim_auth_cert_map_find(const struct sim_server *s, const char *upn);

/* auth_gss.c: the keytab acceptor (--keytab), loaded once at start. */
int sim_auth_gss_load(struct sim_server *s, const char *keytab, struct wmgw_err *err);
void sim_auth_gss_unload(struct sim_server *s);
/* auth_ntlm_users.c: the fleet's users as gss-ntlmssp's users file
 * (s->ntlm_users), made once at start, closed at the end with the
 * acceptors; the NTLM-in-SPNEGO acceptor of a host (NULL and err when it
 * cannot be made). */
int sim_auth_ntlm_users_load(struct sim_server *s, struct wmgw_err *err);
void sim_auth_ntlm_users_unload(struct sim_server *s);
struct wmgw_gss_cred *sim_auth_ntlm_acceptor(struct sim_server *s, const struct sim_host *h, struct wmgw_err *err);

/* tls.c: the TLS context of HTTPS listeners (--tls-cert/--tls-key) and
 * the channel bindings its certificate gives. */
int sim_tls_load(struct sim_server *s, const char *cert_file, const char *key_file, struct wmgw_err *err);
/* The channel bindings the request's connection must prove, or NULL (no
 * TLS, or the host does not check in this mode).  *flat: the flattened
 * gss_channel_bindings_struct NTLM hashes; *app: its application data. */
bool sim_tls_bindings(const struct sim_server *s, const struct sim_auth_call *call, const uint8_t **app,
                      size_t *app_len, const uint8_t **flat, size_t *flat_len);
/* tls.c: --client-ca: HTTPS listeners ask for (never demand) a client
 * certificate and verify it against FILE; the verdict is kept for
 * auth_cert.c, the handshake goes on either way.  After sim_tls_load. */
int sim_tls_client_ca(struct sim_server *s, const char *file, struct wmgw_err *err);
/* The OpenSSL connection of the request's HTTPS socket, or NULL. */
struct ssl_st *sim_tls_ssl(const struct sim_server *s, h2o_req_t *req);

/* crypt.c: the request body as the operations see it.  Decrypts an
 * encrypted body into plain (then *encrypted = true), or leaves a clear
 * one as it is.  Returns 0, or the HTTP status to refuse it with: 400 for
 * a body that does not decrypt or an encrypted body on a connection
 * without a session, 500 for clear SOAP on an encrypted-only host over
 * plain HTTP (what WinRM answers when AllowUnencrypted is false) but for
 * an unauthenticated Identify (anonymous), which carries nothing. */
int sim_crypt_request(struct sim_host *host, h2o_req_t *req, struct sim_conn *conn, bool tls, bool anonymous,
                      struct wmgw_buf *plain, bool *encrypted, struct wmgw_err *err);
/* Encrypts a reply body for the connection's session; *ct is the
 * Content-Type to send (pool memory). */
int sim_crypt_reply(h2o_req_t *req, struct sim_conn *conn, const char *body, size_t len, struct wmgw_buf *out,
                    const char **ct, struct wmgw_err *err);

#endif
