/*
 * gss.h: Kerberos, NTLM and Negotiate (SPNEGO) for the backend side of
 * the gateway and for the simulator's acceptor, through GSSAPI (MIT krb5
 * and the gss-ntlmssp plugin), and the message protection WinRM puts in
 * its multipart/encrypted bodies (auth/winrm_crypt.h does the framing).
 *
 *     cred = wmgw_gss_cred_new({mech, user, domain, password | keytab bytes})
 *     ctx  = wmgw_gss_client_new(cred, {spn = "HTTP/web01.example.test"})
 *     loop: wmgw_gss_step(ctx, token from the peer, token to send)
 *           until wmgw_gss_ctx_complete(ctx)
 *     wmgw_gss_wrap_winrm(ctx, ...) / wmgw_gss_unwrap_winrm(ctx, ...)
 *
 * The acceptor side is the same with wmgw_gss_acceptor_new() (a keytab)
 * and wmgw_gss_server_new().
 *
 * Names.  The target is always given explicitly as an SPN, service/host
 * or service/host@REALM: nothing is looked up in DNS to choose it.
 * Kerberos uses exactly that principal (without @REALM, the realm of the
 * credential).  NTLM and Negotiate pass it to the mechanisms as the
 * host-based name service@host, which MIT Kerberos turns into a principal
 * with [domain_realm] and its dns_canonicalize_hostname setting: deploy
 * with dns_canonicalize_hostname = false (tests/kdc/start's krb5.conf
 * does) so that Negotiate does not consult DNS either.  The client name
 * is user@DOMAIN for Kerberos (DOMAIN upper-cased: the realm) and
 * DOMAIN\user for NTLM; a user that already has '@' or '\' is used as it
 * is.  Negotiate gives user@DOMAIN to both mechanisms.
 *
 * Threads.  A credential (struct wmgw_gss_cred) may be used by any number
 * of threads at once: every call on it takes its lock, and MIT locks its
 * own credential and in-memory ccache.  Each credential has its own
 * private MEMORY: ccache (and, for keytab bytes, its own MEMORY: keytab):
 * no ccache file is created, KRB5CCNAME is neither read nor changed, and
 * two credentials never share tickets.  A security context (struct
 * wmgw_gss_ctx) is used by one thread at a time (one connection); it
 * keeps the credential generation it started with alive, so a context
 * outlives both renewal and wmgw_gss_cred_free().
 *
 * Renewal.  Kerberos tickets expire.  When a context is started on a
 * credential whose tickets have less than renew_before_s left, the
 * credential is acquired again (from the kept password or keytab) and
 * contexts started later use the new generation.  MIT also refreshes a
 * password credential within 30 s of expiry and a keytab credential at
 * half its lifetime by itself.
 *
 * Errors.  GSSAPI statuses become a struct wmgw_err message built with
 * gss_display_status (the major and the mechanism's minor text) and a
 * code: WMGW_EAUTH for what the credentials or the peer got wrong (bad
 * password, unknown client, clock skew, expired credentials, bad or
 * mismatching channel bindings), WMGW_ECONFIG for what our configuration
 * got wrong (unknown service principal, keytab without the key, unknown
 * realm, missing mechanism), WMGW_EBACKEND when the KDC cannot be reached,
 * WMGW_EPROTO for a message that fails integrity or sequence checks.
 *
 * SECURITY
 *      Passwords and keytab bytes are trusted input from the vault; peer
 *      tokens and wrapped messages are not and are only handed to
 *      GSSAPI with their exact lengths.  A password is kept (for renewal)
 *      in memory that is wiped on free; keytab bytes are parsed within
 *      fixed limits into a MEMORY: keytab and never written to a file.
 *      No password, key or ticket ever reaches a struct wmgw_err or a log.
 *      Contexts request mutual authentication (Kerberos provides it;
 *      NTLM cannot), integrity and confidentiality.  An acceptor given
 *      channel bindings refuses clients that do not prove the same ones.
 */
#ifndef WMGW_AUTH_GSS_H
#define WMGW_AUTH_GSS_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wmgw_gss_mech {
    WMGW_GSS_KERBEROS = 1,  /* RFC 4121; the HTTP "Kerberos" scheme */
    WMGW_GSS_NTLM = 2,      /* MS-NLMP through gss-ntlmssp */
    WMGW_GSS_NEGOTIATE = 3, /* SPNEGO over Kerberos and NTLM */
};

/* "Kerberos", "NTLM", "Negotiate". */
const char *wmgw_gss_mech_name(enum wmgw_gss_mech mech);

#define WMGW_GSS_MAX_TOKEN (64 * 1024)      /* a context token we accept */
#define WMGW_GSS_MAX_KEYTAB (1024 * 1024)   /* keytab bytes */
#define WMGW_GSS_MAX_NAME 512               /* user, domain, SPN, peer name */
#define WMGW_GSS_DEFAULT_RENEW_BEFORE_S 300 /* renew with under 5 minutes left */

/* ---- credentials ---- */

struct wmgw_gss_cred;

struct wmgw_gss_cred_config {
    enum wmgw_gss_mech mech;
    const char *user;     /* required */
    const char *domain;   /* Kerberos realm / NTLM domain; NULL if in user */
    const char *password; /* either this ... */
    const uint8_t *keytab; /* ... or the bytes of a keytab (Kerberos only) */
    size_t keytab_len;
    long renew_before_s; /* 0 = WMGW_GSS_DEFAULT_RENEW_BEFORE_S */
};

/* An initiator credential.  Kerberos contacts the KDC at once, so a wrong
 * password or unknown user fails here (WMGW_EAUTH).  NTLM cannot check a
 * password before a server does.  Negotiate succeeds when either
 * mechanism does. */
int wmgw_gss_cred_new(const struct wmgw_gss_cred_config *cfg, struct wmgw_gss_cred **out, struct wmgw_err *err);

struct wmgw_gss_acceptor_config {
    const char *keytab_path; /* a keytab file, or */
    const uint8_t *keytab;   /* its bytes */
    size_t keytab_len;
    const char *spn; /* optional: answer only as this service principal */
    /* Or, instead of a keytab, NTLM inside SPNEGO (gss-ntlmssp): the file
     * of users clients are checked against (gss-ntlmssp's "ntlmssp_keyfile",
     * read again at every authentication; lines DOMAIN:USER:PASSWORD, or
     * USER:UID:LM-HASH:NT-HASH:FLAGS: in smbpasswd form, which matches the
     * user in any domain) and the NetBIOS computer name the challenges
     * give.  Kerberos and NTLM cannot share one acceptor: gss-ntlmssp needs
     * a host-based name, which would restrict Kerberos to one principal. */
    const char *ntlm_users_file;
    const char *ntlm_computer; /* required with ntlm_users_file */
};

/* An acceptor credential: Kerberos, raw or inside SPNEGO (a keytab), or
 * NTLM inside SPNEGO (ntlm_users_file); the client's name is then
 * DOMAIN\user as the client sent it. */
int wmgw_gss_acceptor_new(const struct wmgw_gss_acceptor_config *cfg, struct wmgw_gss_cred **out,
                          struct wmgw_err *err);

/* Contexts already started keep working after free. */
void wmgw_gss_cred_free(struct wmgw_gss_cred *c);

/* The client principal or acceptor name as GSSAPI displays it. */
const char *wmgw_gss_cred_name(const struct wmgw_gss_cred *c);

/* How many times the credential has been acquired (1 after new): for
 * tests and metrics. */
unsigned wmgw_gss_cred_generation(struct wmgw_gss_cred *c);

/* ---- channel bindings (RFC 5929 tls-server-end-point) ---- */

#define WMGW_GSS_CB_MAX 96 /* "tls-server-end-point:" + a SHA-512 hash */

/* Application data of the channel bindings for a TLS server certificate
 * (DER): "tls-server-end-point:" followed by the certificate's hash with
 * the hash function of its signature algorithm, SHA-256 when that is MD5
 * or SHA-1 or when the algorithm names none (EdDSA). */
int wmgw_gss_cb_tls_server_end_point(const uint8_t *cert_der, size_t len, uint8_t out[WMGW_GSS_CB_MAX],
                                     size_t *out_len, struct wmgw_err *err);

/* ---- security contexts ---- */

struct wmgw_gss_ctx;

struct wmgw_gss_client_config {
    const char *spn;           /* required: "HTTP/web01.example.test" */
    const uint8_t *cb;         /* optional channel-binding application data */
    size_t cb_len;
};

int wmgw_gss_client_new(struct wmgw_gss_cred *cred, const struct wmgw_gss_client_config *cfg,
                        struct wmgw_gss_ctx **out, struct wmgw_err *err);
/* cb: optional channel-binding application data the client must match. */
int wmgw_gss_server_new(struct wmgw_gss_cred *acceptor, const uint8_t *cb, size_t cb_len, struct wmgw_gss_ctx **out,
                        struct wmgw_err *err);
void wmgw_gss_ctx_free(struct wmgw_gss_ctx *ctx);

/* One step of the exchange: in is the peer's token (nothing for the
 * client's first step); the token to send is appended to out (nothing
 * when there is none).  Returns 0 while the exchange goes on or is done
 * (see complete()), or a WMGW_E*; any failure ends the context. */
int wmgw_gss_step(struct wmgw_gss_ctx *ctx, const uint8_t *in, size_t in_len, struct wmgw_buf *out,
                  struct wmgw_err *err);
bool wmgw_gss_ctx_complete(const struct wmgw_gss_ctx *ctx);

/* After completion: the mechanism actually used (Kerberos or NTLM, also
 * under Negotiate), whether the peer proved itself to us (mutual
 * authentication: the client side with Kerberos), and on the acceptor
 * side who the client is ("alice@EXAMPLE.TEST"). */
enum wmgw_gss_mech wmgw_gss_ctx_mech(const struct wmgw_gss_ctx *ctx);
bool wmgw_gss_ctx_mutual(const struct wmgw_gss_ctx *ctx);
const char *wmgw_gss_ctx_peer(const struct wmgw_gss_ctx *ctx);

/* ---- message protection as WinRM needs it ---- */

/* Encrypts and signs plain[0..len) and appends to out the bytes that
 * follow WinRM's 32-bit length field: the header (*hdr_len bytes) and
 * then the encrypted data.  Kerberos: the header of a gss_wrap_iov of
 * HEADER|DATA|PADDING with confidentiality, then data and padding (no
 * padding with AES).  NTLM: the 16-byte signature, then the sealed data.
 * Negotiate: whichever was negotiated. */
int wmgw_gss_wrap_winrm(struct wmgw_gss_ctx *ctx, const uint8_t *plain, size_t len, struct wmgw_buf *out,
                        uint32_t *hdr_len, struct wmgw_err *err);
/* The reverse, in place: msg[0..hdr_len) is the header, the rest the
 * encrypted data, which is decrypted where it lies; the plaintext is then
 * msg[*plain_off .. *plain_off + *plain_len).  WMGW_EPROTO when the
 * message fails its integrity check (the bytes must then not be used). */
int wmgw_gss_unwrap_winrm(struct wmgw_gss_ctx *ctx, uint8_t *msg, size_t len, uint32_t hdr_len, size_t *plain_off,
                          size_t *plain_len, struct wmgw_err *err);

#endif
