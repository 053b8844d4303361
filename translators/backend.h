/*
 * backend.h: what a translator needs to reach one backend host.
 *
 * The gateway's host registry (gateway/hosts.c) owns these: it builds one
 * from the configuration file or from POST /v1/hosts, and hands calls a
 * counted reference, so a host changed or removed at run time stays valid
 * for the calls already using it.  Nothing a caller sends at request time
 * can change an address here: the gateway connects only to configured
 * hosts (no open proxy).
 */
#ifndef WMGW_TRANSLATORS_BACKEND_H
#define WMGW_TRANSLATORS_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wmgw_protocol {
    WMGW_PROTO_AUTO,      /* detect: Identify, then the 2005/06 "this" resource */
    WMGW_PROTO_WSMV,      /* WinRM 1.1+ (MS-WSMV) */
    WMGW_PROTO_WSMAN2003, /* Windows Server 2003 R2 (MS-WSMAN) */
    WMGW_PROTO_DCOM,      /* WMI over DCOM (MS-WMI) */
};

const char *wmgw_protocol_name(enum wmgw_protocol p);      /* "wsmv", ... */
int wmgw_protocol_parse(const char *s, enum wmgw_protocol *out); /* 0 or WMGW_EINVAL */

struct wmgw_backend {
    atomic_uint refcnt;
    uint64_t id;        /* unique for the process lifetime: pools key on it */
    char *name;         /* the host's name in the REST API */
    char *address;      /* IP address or DNS name, as configured */
    char *ip;           /* the numeric address a name resolved to (NULL when address is one) */
    uint16_t port;      /* 5985/5986 for WS-Management, 135 for DCOM (the activator) */
    bool tls;           /* https */
    char *path;         /* "/wsman" */
    enum wmgw_protocol protocol;
    /* Credentials: from the configuration, or a vault credential's
     * (gateway/vault_gw.c).  keytab: Kerberos key bytes of user (a vault
     * keytab credential) used instead of a password. */
    char *user;
    char *password;
    uint8_t *keytab;
    size_t keytab_len;
    /* A vault certificate credential (auth = certificate, https only):
     * PEM certificate chain and PEM private key, loaded into the TLS
     * client context of this backend id (transport/tls.c).  Wiped when
     * freed, like the password and keytab. */
    char *cert_pem;
    size_t cert_pem_len;
    char *key_pem;
    size_t key_pem_len;
    /* TLS: CA bundle to trust (NULL: system default) and the name the
     * certificate must carry (NULL: address). */
    char *ca_file;
    char *tls_name;
    bool tls_insecure;  /* skip verification (tests only; logged loudly) */
    /* Limits. */
    unsigned connect_timeout_ms;
    unsigned operation_timeout_ms; /* WS-Man OperationTimeout and our deadline */
    unsigned max_envelope_size;    /* octets, WS-Man MaxEnvelopeSize */
    unsigned max_elements;         /* items per Enumerate/Pull batch */
    unsigned pool_size;            /* idle keep-alive connections per worker */
    /* WMI over DCOM: the RPC authentication level, WMGW_RPC_AUTHN_LEVEL_*
     * (5 integrity, 6 privacy; 0 = privacy). */
    uint8_t dcom_auth_level;
    /* WS-Management authentication (translators/transport/auth_http.h):
     * auth "basic", "ntlm", "kerberos", "negotiate" (NULL: negotiate when
     * a domain is known, else basic); spn (NULL: HTTP/<tls-name|address>);
     * encryption "auto", "always", "never" (NULL: auto = over http only);
     * domain: NTLM domain / Kerberos realm of user; channel_binding: send
     * tls-server-end-point bindings over https (default on). */
    char *auth;
    char *spn;
    char *encryption;
    char *domain;
    bool channel_binding;
};

/* The port a protocol listens on unless configured: 5985, 5986 with tls,
 * 135 for DCOM. */
uint16_t wmgw_protocol_default_port(enum wmgw_protocol p, bool tls);

/* A new backend with defaults and refcnt 1. */
struct wmgw_backend *wmgw_backend_new(const char *name);
struct wmgw_backend *wmgw_backend_ref(struct wmgw_backend *b);
void wmgw_backend_unref(struct wmgw_backend *b);
/* A deep copy (new id, refcnt 1), for changing a host without touching
 * calls in flight. */
struct wmgw_backend *wmgw_backend_copy(const struct wmgw_backend *b);
/* The same backend (same id, so pools still match it) without its
 * secrets: for what outlives a call, such as a pooled DCOM session, which
 * keeps only the key its authentication needs. */
struct wmgw_backend *wmgw_backend_copy_without_secrets(const struct wmgw_backend *b);

#endif
