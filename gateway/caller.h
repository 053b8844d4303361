/*
 * caller.h: who may call the gateway and how they prove it: the
 * [security], [principal NAME] and [policy NAME] sections of the
 * configuration, and the authentication of one REST call into a
 * principal (principal.h).
 *
 *   [security]
 *   admin-sddl = D:(A;;GA;;;BA)        # who may administer policies
 *   keytab = /etc/wmgw/http.keytab      # enables Negotiate (Kerberos)
 *   client-ca = /etc/wmgw/clients.pem   # enables TLS client certificates
 *   policy-file = /var/lib/wmgw/policies.json   # keeps API changes
 *   [principal alice]
 *   sid = S-1-5-21-1-2-3-1001
 *   groups = BA, S-1-5-21-1-2-3-513    # SIDs or SDDL aliases
 *   token-hash = <sha256 hex>          # Bearer (repeatable)
 *   password-hash = $scrypt$...        # Basic, user name = principal name
 *   kerberos = alice@EXAMPLE.TEST      # Negotiate
 *   certificate = CN=alice,O=Example   # TLS client certificate: subject DN
 *                                      # (RFC 2253) or a subjectAltName
 *   [policy readers]
 *   hosts = web*, group:prod           # globs of host names, or group:NAME
 *   namespaces = root/cimv2, root/cim*  # globs, case-insensitive
 *   sddl = D:(A;;GR;;;AU)
 *
 * Schemes: Authorization: Bearer (auth/token.h), Basic (auth/passhash.h
 * with its verification cache: the KDF runs once per user and password
 * per TTL, not per request), Negotiate (auth/gss.h acceptor, one round
 * of Kerberos), and a TLS client certificate verified against [security]
 * client-ca when the call has no Authorization header.  Every principal
 * also holds Everyone, Authenticated Users
 * and Network (principal.h).
 *
 * SECURITY
 *      Presented credentials are checked and dropped: never stored, never
 *      logged, never put in an error message or a response.
 */
#ifndef WMGW_GATEWAY_CALLER_H
#define WMGW_GATEWAY_CALLER_H

#include "auth/access.h"
#include "gateway/principal.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

struct wmgw_request;
struct wmgw_policies;
struct wmgw_passhash_cache;
struct wmgw_gss_cred;
struct wmgw_config;

#define WMGW_CALLER_MAX_GROUPS 64
#define WMGW_AUTH_HEADER_MAX 131072 /* bytes of an Authorization header we read */
#define WMGW_GSS_REPLY_MAX 65536    /* an acceptor's reply token */

/* One [principal NAME]: what was configured, then (validate) resolved. */
struct wmgw_principal_config {
    char *name;
    char *sid;
    size_t ngroups;
    char **groups;
    size_t ntokens;
    char **token_hashes;
    char *password_hash;
    char *kerberos;
    char *certificate;
    /* resolved: the user SID, every group SID (implicit ones last), their
     * canonical texts, and the principal callers see */
    struct wmgw_sid user_sid;
    size_t ngroup_sids;
    struct wmgw_sid *group_sids;
    char *sid_text;
    char **group_texts;
    struct wmgw_principal principal;
};

/* One [policy NAME] as configured (policy.h keeps the live ones). */
struct wmgw_policy_config {
    char *name;
    size_t nhosts;
    char **hosts;
    size_t nnamespaces;
    char **namespaces;
    char *sddl;
};

struct wmgw_security {
    char *admin_sddl;  /* NULL: D:(A;;GA;;;BA) */
    char *keytab;      /* NULL: no Negotiate */
    char *spn;         /* acceptor name (optional) */
    char *client_ca;   /* PEM CAs of client certificates; NULL: none asked */
    char *policy_file; /* where the admin API's changes are kept; NULL: memory only */
    size_t nprincipals;
    struct wmgw_principal_config *principals;
    size_t npolicies;
    struct wmgw_policy_config *policies;
    /* resolved by validate */
    struct wmgw_sd admin_sd;
    size_t ntokens;
    const char **token_hashes; /* every principal's, flattened */
    size_t *token_owner;       /* index into principals */
    /* made by wmgw_security_start */
    struct wmgw_passhash_cache *pwcache;
    struct wmgw_basic_guard *guard; /* failed Basic attempts per principal (caller.c) */
    struct wmgw_gss_cred *acceptor;
    struct wmgw_policies *store;
};

/* ---- configuration (caller_config.c) ---- */

/* Is section one of ours ("security", "principal NAME", "policy NAME")? */
bool wmgw_security_section(const char *section);
/* Sets one key, creating *sec and the named principal/policy as needed. */
int wmgw_security_set(struct wmgw_security **sec, const char *section, const char *key, const char *value,
                      struct wmgw_err *err);
/* Parses SIDs, groups, hashes and descriptors; WMGW_ECONFIG naming the
 * section and key.  sec may be NULL (nothing configured). */
int wmgw_security_validate(struct wmgw_security *sec, struct wmgw_err *err);
void wmgw_security_free(struct wmgw_security *sec);
/* The keys of our sections, for wmgw --help-config (out: a FILE *). */
void wmgw_security_print_help(void *out);
/* Runtime state: the password cache, the Kerberos acceptor, the policy
 * store.  After validate. */
int wmgw_security_start(struct wmgw_security *sec, struct wmgw_err *err);
/* Principal by name, or NULL. */
const struct wmgw_principal_config *wmgw_security_principal(const struct wmgw_security *sec, const char *name,
                                                            size_t len);
/* The token access.h checks: user SID and every group SID. */
void wmgw_caller_token(const struct wmgw_principal_config *p, struct wmgw_token *tok);

/* ---- the Authorization header (caller_header.c: pure, fuzzed) ---- */

/* "Scheme credentials": the scheme token (RFC 9110 token chars) and the
 * rest after one or more spaces.  WMGW_EINVAL for anything else. */
int wmgw_auth_header_split(const char *v, size_t len, const char **scheme, size_t *scheme_len, const char **cred,
                           size_t *cred_len, struct wmgw_err *err);
/* Basic credentials: base64 of "user:password".  The decoded bytes go to
 * out (caller wipes and disposes it); user and password point into it.
 * WMGW_EINVAL for bad base64, no ':', an empty user, control bytes. */
struct wmgw_buf;
int wmgw_auth_basic_decode(const char *b64, size_t len, struct wmgw_buf *out, const char **user, size_t *user_len,
                           const char **password, size_t *password_len, struct wmgw_err *err);
/* Negotiate credentials: base64 of a GSSAPI token into out. */
int wmgw_auth_negotiate_decode(const char *b64, size_t len, struct wmgw_buf *out, struct wmgw_err *err);

/* ---- one call (caller.c) ---- */

/* Authenticates r from its Authorization header.  0 with r->principal set,
 * or left NULL when the call carries no credentials; WMGW_EAUTH when it
 * carries credentials that do not prove anyone (err says why, without
 * the credentials). */
int wmgw_caller_authenticate(struct wmgw_request *r, struct wmgw_err *err);
/* HTTP Basic's brake on password guessing: after WMGW_BASIC_MAX_FAILURES
 * wrong passwords for one principal within WMGW_BASIC_WINDOW_S seconds,
 * its Basic attempts are refused without running the KDF until the window
 * ends (a wrong password costs a worker ~0.1 s of scrypt). */
#define WMGW_BASIC_MAX_FAILURES 5
#define WMGW_BASIC_WINDOW_S 30
struct wmgw_basic_guard *wmgw_basic_guard_new(size_t nprincipals);
void wmgw_basic_guard_free(struct wmgw_basic_guard *g);

/* Answers 401 problem+json with a WWW-Authenticate per configured scheme. */
void wmgw_caller_challenge(struct wmgw_request *r, const char *detail);

/* Client certificates (caller_cert.c): asks TLS clients for a certificate
 * signed by client-ca (nothing without it), and maps the verified one of a
 * call to a principal (*p NULL when there is none or it maps to no one). */
typedef struct ssl_ctx_st SSL_CTX;
int wmgw_caller_tls_setup(SSL_CTX *ctx, const struct wmgw_security *sec, struct wmgw_err *err);
int wmgw_caller_certificate(struct wmgw_request *r, const struct wmgw_principal_config **p);

/* Negotiate (caller_gss.c): one Kerberos round.  0 with *p set and, for
 * mutual authentication, the acceptor's token in reply (base64). */
int wmgw_caller_negotiate(struct wmgw_security *sec, const char *cred, size_t len,
                          const struct wmgw_principal_config **p, struct wmgw_buf *reply, struct wmgw_err *err);

#endif
