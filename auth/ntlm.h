/*
 * ntlm.h: NTLM (MS-NLMP) authentication and session security, as client
 * and as server, for DCE/RPC (the DCOM translator, the simulator's DCOM
 * front) and for WS-Management message encryption over HTTP.
 *
 * A connection-oriented exchange is three messages:
 *
 *     client_negotiate()    -- NEGOTIATE -->     server_challenge()
 *     client_authenticate() <-- CHALLENGE --
 *                           -- AUTHENTICATE -->  server_accept()
 *
 * after which each side holds a `struct wmgw_ntlm_sec`: sign/verify
 * (integrity) and seal/unseal (privacy), with one sequence number and one
 * RC4 stream per direction.  seal() signs one region of a message and
 * encrypts a sub-region, which is what DCE/RPC needs (the signature covers
 * header, body and sec_trailer; only the body is encrypted) and also what
 * WS-Man needs (both regions are the whole message).
 *
 * Why our own code rather than GSSAPI with gss-ntlmssp: DCE/RPC's framing
 * signs more than it seals, which needs gss_wrap_iov with SIGN_ONLY
 * buffers; gss-ntlmssp's support for that varies by version, and the
 * simulator needs an acceptor fed from its own user table, which a GSSAPI
 * acceptor only gets through gss-ntlmssp's file or winbind hooks.  The
 * protocol is small, fully specified (MS-NLMP section 3) and checked here
 * against every value of the spec's section 4.2 and against impacket.
 *
 * Buffers: messages are written into caller buffers of `cap` bytes
 * (WMGW_NTLM_MAX_MESSAGE always suffices) and parsed from caller buffers
 * of at most WMGW_NTLM_MAX_MESSAGE bytes.  A context is used by one thread
 * at a time; different contexts are independent.
 *
 * SECURITY
 *      Everything a peer sends is untrusted: messages are parsed within
 *      fixed limits (message size, name lengths, AV pair count, duplicate
 *      AV pairs refused) before any of it is used.  Trusted are the
 *      application's configuration (the client's credentials, the server's
 *      lookup callback and what it returns) and OpenSSL.
 *
 *      Only NTLMv2 is spoken or accepted: LM and NTLMv1 responses and
 *      anonymous logons are refused, as are peers without extended session
 *      security or Unicode.  Signing or sealing is only set up with 128-bit
 *      keys and key exchange.  The server checks the MIC whenever the
 *      client's (HMAC-protected) AV pairs announce one and can require it,
 *      checks channel bindings when given some, and refuses timestamps more
 *      than 36 hours off.  Proofs, MICs and checksums are compared in
 *      constant time.  Sequence numbers must arrive in order; a message
 *      that fails verification ends the receiving direction for good.
 *
 *      Passwords become an NT hash at once and are not kept.  Hashes and
 *      keys live in context memory only and are wiped (OPENSSL_cleanse)
 *      when no longer needed and on free.  No password, hash or key ever
 *      reaches a struct wmgw_err or a log.
 *
 *      MD4, RC4 and DES come from OpenSSL's legacy provider, loaded into a
 *      private library context so the rest of the process never sees them.
 *      NTLM itself is weak by today's standards (RC4, HMAC-MD5, no server
 *      authentication beyond knowledge of the user's key): use it where
 *      Windows leaves no other choice.
 */
#ifndef WMGW_AUTH_NTLM_H
#define WMGW_AUTH_NTLM_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

/* NEGOTIATE flags (MS-NLMP 2.2.2.5). */
#define WMGW_NTLM_NEGOTIATE_UNICODE 0x00000001u
#define WMGW_NTLM_NEGOTIATE_OEM 0x00000002u
#define WMGW_NTLM_REQUEST_TARGET 0x00000004u
#define WMGW_NTLM_NEGOTIATE_SIGN 0x00000010u
#define WMGW_NTLM_NEGOTIATE_SEAL 0x00000020u
#define WMGW_NTLM_NEGOTIATE_DATAGRAM 0x00000040u
#define WMGW_NTLM_NEGOTIATE_LM_KEY 0x00000080u
#define WMGW_NTLM_NEGOTIATE_NTLM 0x00000200u
#define WMGW_NTLM_NEGOTIATE_ANONYMOUS 0x00000800u
#define WMGW_NTLM_NEGOTIATE_OEM_DOMAIN_SUPPLIED 0x00001000u
#define WMGW_NTLM_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000u
#define WMGW_NTLM_NEGOTIATE_ALWAYS_SIGN 0x00008000u
#define WMGW_NTLM_TARGET_TYPE_DOMAIN 0x00010000u
#define WMGW_NTLM_TARGET_TYPE_SERVER 0x00020000u
#define WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define WMGW_NTLM_NEGOTIATE_IDENTIFY 0x00100000u
#define WMGW_NTLM_REQUEST_NON_NT_SESSION_KEY 0x00400000u
#define WMGW_NTLM_NEGOTIATE_TARGET_INFO 0x00800000u
#define WMGW_NTLM_NEGOTIATE_VERSION 0x02000000u
#define WMGW_NTLM_NEGOTIATE_128 0x20000000u
#define WMGW_NTLM_NEGOTIATE_KEY_EXCH 0x40000000u
#define WMGW_NTLM_NEGOTIATE_56 0x80000000u

#define WMGW_NTLM_MAX_MESSAGE 8192 /* any NTLM message we write or read */
#define WMGW_NTLM_MAX_NAME 256     /* UTF-16 code units in a user, domain or host name */
#define WMGW_NTLM_MAX_PASSWORD 256 /* UTF-8 bytes */
#define WMGW_NTLM_SIGNATURE_LEN 16 /* NTLMSSP_MESSAGE_SIGNATURE */

/* Protection asked for (client) or required (server).  The zero value is
 * the safe default: privacy. */
enum wmgw_ntlm_level {
    WMGW_NTLM_LEVEL_DEFAULT = 0,   /* = PRIVACY */
    WMGW_NTLM_LEVEL_CONNECT = 1,   /* authentication only (e.g. under TLS) */
    WMGW_NTLM_LEVEL_INTEGRITY = 2, /* sign: RPC_C_AUTHN_LEVEL_PKT_INTEGRITY */
    WMGW_NTLM_LEVEL_PRIVACY = 3,   /* sign and seal: RPC_C_AUTHN_LEVEL_PKT_PRIVACY */
};

/* Which of 1, 2 or 3 a message is (by its header), or a negative WMGW_E*. */
int wmgw_ntlm_message_type(const uint8_t *msg, size_t len);

/* Application channel-binding data (RFC 5929 "tls-server-end-point:..."),
 * flattened as the gss_channel_bindings_struct whose MD5 NTLM carries in
 * MsvAvChannelBindings: both addresses unspecified and empty, then the
 * length (little-endian) and the data.  out has room for 20 + len bytes;
 * returns the length written. */
size_t wmgw_ntlm_flatten_bindings(const uint8_t *app, size_t len, uint8_t *out);

/* MD4(UTF-16LE(password)): the NT hash, for tables that keep hashes. */
int wmgw_ntlm_nt_hash(const char *password, uint8_t out[16], struct wmgw_err *err);

/* ---- session security (after a successful exchange) ---- */

struct wmgw_ntlm_sec;

/* The negotiated flags (WMGW_NTLM_NEGOTIATE_SIGN / _SEAL tell the level). */
uint32_t wmgw_ntlm_sec_flags(const struct wmgw_ntlm_sec *s);

/* Integrity: the signature of msg[0..len) for the next outgoing sequence
 * number, and its check on incoming messages. */
int wmgw_ntlm_sign(struct wmgw_ntlm_sec *s, const uint8_t *msg, size_t len, uint8_t sig[16], struct wmgw_err *err);
int wmgw_ntlm_verify(struct wmgw_ntlm_sec *s, const uint8_t *msg, size_t len, const uint8_t sig[16],
                     struct wmgw_err *err);

/* Privacy: signs msg[0..len) as it was before encryption and encrypts
 * msg[seal_off..seal_off+seal_len) in place (the region must lie within
 * msg).  unseal() decrypts that region in place and then checks the
 * signature over all of msg; on failure the decrypted bytes must not be
 * used.  DCE/RPC: msg = the PDU up to the auth_value, the region = stub
 * data and auth padding.  WS-Man: the region is the whole message. */
int wmgw_ntlm_seal(struct wmgw_ntlm_sec *s, uint8_t *msg, size_t len, size_t seal_off, size_t seal_len,
                   uint8_t sig[16], struct wmgw_err *err);
int wmgw_ntlm_unseal(struct wmgw_ntlm_sec *s, uint8_t *msg, size_t len, size_t seal_off, size_t seal_len,
                     const uint8_t sig[16], struct wmgw_err *err);

/* ---- client (initiator) ---- */

struct wmgw_ntlm_client_config {
    const char *user;          /* UTF-8, required */
    const char *domain;        /* UTF-8; NULL or "" for a local account */
    const char *password;      /* UTF-8; or NULL when nt_hash is given */
    const uint8_t *nt_hash;    /* 16 bytes, used when password is NULL */
    const char *workstation;   /* UTF-8, optional: our NetBIOS name */
    const char *target_spn;    /* UTF-8, optional: MsvAvTargetName, e.g. "RPCSS/host" */
    const uint8_t *channel_bindings; /* optional gss_channel_bindings_struct bytes */
    size_t channel_bindings_len;
    enum wmgw_ntlm_level level;
};

struct wmgw_ntlm_client;

/* Copies what it needs from cfg (the password only as its hash). */
int wmgw_ntlm_client_new(const struct wmgw_ntlm_client_config *cfg, struct wmgw_ntlm_client **out,
                         struct wmgw_err *err);
void wmgw_ntlm_client_free(struct wmgw_ntlm_client *c);
/* Writes the NEGOTIATE message. */
int wmgw_ntlm_client_negotiate(struct wmgw_ntlm_client *c, uint8_t *out, size_t cap, size_t *out_len,
                               struct wmgw_err *err);
/* Checks the server's CHALLENGE against the level asked for and writes the
 * AUTHENTICATE message; the session is then ready on our side. */
int wmgw_ntlm_client_authenticate(struct wmgw_ntlm_client *c, const uint8_t *challenge, size_t len, uint8_t *out,
                                  size_t cap, size_t *out_len, struct wmgw_err *err);
/* The session, or NULL before client_authenticate() succeeded. */
struct wmgw_ntlm_sec *wmgw_ntlm_client_sec(struct wmgw_ntlm_client *c);

/* ---- server (acceptor) ---- */

/* What the lookup callback fills in: a password, or an NT hash. */
struct wmgw_ntlm_credential {
    char password[WMGW_NTLM_MAX_PASSWORD + 1]; /* UTF-8, NUL-terminated */
    uint8_t nt_hash[16];
    int has_nt_hash; /* nt_hash is used instead of password */
};

struct wmgw_ntlm_server_config {
    const char *nb_computer;  /* NetBIOS computer name, required */
    const char *nb_domain;    /* NetBIOS domain; NULL = nb_computer (workgroup host) */
    const char *dns_computer; /* optional FQDN */
    const char *dns_domain;   /* optional */
    const char *dns_tree;     /* optional */
    int domain_joined;        /* TargetName is the domain rather than the host */
    enum wmgw_ntlm_level level; /* least protection a client must ask for */
    int require_mic;          /* refuse clients that send no MIC */
    long max_clock_skew_s;    /* NTLMv2 timestamp window; 0 = 36 hours, < 0 = unchecked */
    const uint8_t *channel_bindings; /* optional: required to match the client's */
    size_t channel_bindings_len;
    /* Credential of user (as sent, UTF-8) in domain (as sent, may be "").
     * Returns 0, WMGW_ENOTFOUND for no such user, or another WMGW_E*.  User
     * names are case-insensitive (MS-NLMP 3.2.5.1.2).  The server wipes
     * cred after use. */
    int (*lookup)(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred);
    void *lookup_arg;
};

/* Who authenticated, as the client named itself (UTF-8). */
struct wmgw_ntlm_identity {
    char user[WMGW_NTLM_MAX_NAME * 3 + 1];
    char domain[WMGW_NTLM_MAX_NAME * 3 + 1];
    char workstation[WMGW_NTLM_MAX_NAME * 3 + 1];
};

struct wmgw_ntlm_server;

int wmgw_ntlm_server_new(const struct wmgw_ntlm_server_config *cfg, struct wmgw_ntlm_server **out,
                         struct wmgw_err *err);
void wmgw_ntlm_server_free(struct wmgw_ntlm_server *s);
/* Reads NEGOTIATE, checks it against the required level, writes CHALLENGE. */
int wmgw_ntlm_server_challenge(struct wmgw_ntlm_server *s, const uint8_t *negotiate, size_t len, uint8_t *out,
                               size_t cap, size_t *out_len, struct wmgw_err *err);
/* Reads AUTHENTICATE: 0 when the client proved its password, WMGW_EAUTH
 * when it did not or asked for too little, WMGW_EPROTO for a malformed
 * message.  Any failure is final for this context. */
int wmgw_ntlm_server_accept(struct wmgw_ntlm_server *s, const uint8_t *authenticate, size_t len,
                            struct wmgw_err *err);
/* After a successful accept: who, and the session. */
const struct wmgw_ntlm_identity *wmgw_ntlm_server_identity(const struct wmgw_ntlm_server *s);
struct wmgw_ntlm_sec *wmgw_ntlm_server_sec(struct wmgw_ntlm_server *s);

#endif
