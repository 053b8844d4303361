/*
 * auth_http.c: a host's authentication settings (auth_http.h): the scheme
 * and its default, whether bodies are encrypted, the configuration
 * checks, the one function that yields a connection's credential, its
 * identity for the pools, and the process-wide cache of GSSAPI
 * credentials, one per identity.
 */
#include "translators/transport/auth_http.h"
#include "auth/gss.h"
#include "translators/backend.h"
#include "translators/transport/auth_int.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CACHE_MAX 1024 /* credentials kept; beyond, unused ones are dropped */

const char *wmgw_auth_http_scheme_name(enum wmgw_auth_http_scheme s)
{
    switch (s) {
    case WMGW_AUTH_HTTP_BASIC:
        return "basic";
    case WMGW_AUTH_HTTP_NTLM:
        return "ntlm";
    case WMGW_AUTH_HTTP_KERBEROS:
        return "kerberos";
    case WMGW_AUTH_HTTP_NEGOTIATE:
        return "negotiate";
    case WMGW_AUTH_HTTP_CERTIFICATE:
        return "certificate";
    default:
        return "none";
    }
}

static int parse_scheme(const char *s, enum wmgw_auth_http_scheme *out)
{
    static const enum wmgw_auth_http_scheme all[] = {WMGW_AUTH_HTTP_BASIC, WMGW_AUTH_HTTP_NTLM,
                                                     WMGW_AUTH_HTTP_KERBEROS, WMGW_AUTH_HTTP_NEGOTIATE,
                                                     WMGW_AUTH_HTTP_CERTIFICATE};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcasecmp(s, wmgw_auth_http_scheme_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return WMGW_EINVAL;
}

bool wmgw_auth_http_credential(const struct wmgw_backend *b, struct wmgw_backend_credential *out)
{
    /* The vault's resolved credential takes the place of these fields. */
    memset(out, 0, sizeof(*out));
    if (b->cert_pem != NULL) { /* a certificate names no user: the host maps it to one */
        out->user = b->user != NULL ? b->user : "";
        out->cert_pem = b->cert_pem;
        out->cert_pem_len = b->cert_pem_len;
        return true;
    }
    if (b->user == NULL || b->user[0] == '\0')
        return false;
    out->user = b->user;
    out->domain = b->domain != NULL && b->domain[0] != '\0' ? b->domain : NULL;
    if (b->keytab != NULL) {
        out->keytab = b->keytab;
        out->keytab_len = b->keytab_len;
    } else {
        out->password = b->password;
    }
    return true;
}

/* The scheme of a host that has an account (configured, or from the vault). */
static enum wmgw_auth_http_scheme scheme_with_account(const struct wmgw_backend *b)
{
    enum wmgw_auth_http_scheme s;
    if (b->auth != NULL && b->auth[0] != '\0' && parse_scheme(b->auth, &s) == 0)
        return s;
    if (b->cert_pem != NULL)
        return WMGW_AUTH_HTTP_CERTIFICATE;
    /* Only the domain key switches: a DOMAIN\user that worked with Basic
     * before keeps working the same. */
    return b->domain != NULL && b->domain[0] != '\0' ? WMGW_AUTH_HTTP_NEGOTIATE : WMGW_AUTH_HTTP_BASIC;
}

enum wmgw_auth_http_scheme wmgw_auth_http_scheme(const struct wmgw_backend *b)
{
    struct wmgw_backend_credential c;
    return wmgw_auth_http_credential(b, &c) ? scheme_with_account(b) : WMGW_AUTH_HTTP_NONE;
}

bool wmgw_auth_http_encrypts(const struct wmgw_backend *b)
{
    enum wmgw_auth_http_scheme s = wmgw_auth_http_scheme(b);
    if (s == WMGW_AUTH_HTTP_NONE || s == WMGW_AUTH_HTTP_BASIC || s == WMGW_AUTH_HTTP_CERTIFICATE)
        return false;
    if (b->encryption != NULL && strcasecmp(b->encryption, "always") == 0)
        return true;
    if (b->encryption != NULL && strcasecmp(b->encryption, "never") == 0)
        return false;
    return !b->tls;
}

/* auth = certificate: the certificate only ever comes from the vault (a
 * host credential or a mapping), and only a TLS handshake can present it. */
static int validate_certificate(const struct wmgw_backend *b, struct wmgw_err *err)
{
    if (!b->tls)
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: auth = certificate needs https (tls = true)", b->name);
    if (b->user != NULL || b->password != NULL)
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host %s: auth = certificate takes no user or password: the certificate comes from a "
                            "vault credential", b->name);
    if (b->encryption != NULL && strcasecmp(b->encryption, "always") == 0)
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host %s: encryption = always needs auth = ntlm, kerberos or negotiate (TLS protects "
                            "certificate authentication)", b->name);
    return 0;
}

int wmgw_auth_http_validate(const struct wmgw_backend *b, bool account_from_vault, struct wmgw_err *err)
{
    enum wmgw_auth_http_scheme s = WMGW_AUTH_HTTP_NONE;
    if (b->auth != NULL && parse_scheme(b->auth, &s) != 0)
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host %s: auth: want basic, ntlm, kerberos, negotiate or certificate, not \"%.40s\"",
                            b->name, b->auth);
    if (s == WMGW_AUTH_HTTP_CERTIFICATE)
        return validate_certificate(b, err);
    const char *e = b->encryption;
    if (e != NULL && strcasecmp(e, "auto") != 0 && strcasecmp(e, "always") != 0 && strcasecmp(e, "never") != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: encryption: want auto, always or never, not \"%.40s\"",
                            b->name, e);
    /* An account from the vault is only known per call: its user and realm
     * are checked then; here the keys are checked as for any account. */
    bool vault_account = account_from_vault && (b->user == NULL || b->user[0] == '\0');
    s = vault_account ? scheme_with_account(b) : wmgw_auth_http_scheme(b);
    if (s == WMGW_AUTH_HTTP_NONE && b->auth != NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: auth = %s needs user and password", b->name, b->auth);
    if ((s == WMGW_AUTH_HTTP_NONE || s == WMGW_AUTH_HTTP_BASIC) && e != NULL && strcasecmp(e, "always") == 0)
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host %s: encryption = always needs auth = ntlm, kerberos or negotiate (Basic cannot "
                            "encrypt)", b->name);
    if (b->spn != NULL && (strchr(b->spn, '/') == NULL || strlen(b->spn) >= WMGW_GSS_MAX_NAME))
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: spn: want service/host, like HTTP/web01.example.test", b->name);
    if (b->domain != NULL && strlen(b->domain) >= WMGW_GSS_MAX_NAME)
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: domain is too long", b->name);
    if (s == WMGW_AUTH_HTTP_KERBEROS && !vault_account && b->domain == NULL && strchr(b->user, '@') == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host %s: auth = kerberos needs the realm: set domain or write user as user@REALM", b->name);
    /* Kerberos names the host: an IP address in HTTP/<address> is never
     * a principal a KDC knows. */
    const char *name = b->tls_name != NULL ? b->tls_name : b->address;
    unsigned char ip[sizeof(struct in6_addr)];
    if (s == WMGW_AUTH_HTTP_KERBEROS && b->spn == NULL && name != NULL &&
        (inet_pton(AF_INET, name, ip) == 1 || strchr(name, ':') != NULL))
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host %s: auth = kerberos with an IP address needs spn (HTTP/<host name>) or tls-name",
                            b->name);
    return 0;
}

int wmgw_auth_http_identity(enum wmgw_auth_http_scheme s, const struct wmgw_backend_credential *c, char *out,
                            size_t size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    const void *secret = c->password != NULL ? (const void *)c->password
                         : c->keytab != NULL ? (const void *)c->keytab
                                             : (const void *)c->cert_pem;
    size_t len = c->password != NULL ? strlen(c->password)
                 : c->keytab != NULL ? c->keytab_len
                                     : c->cert_pem != NULL ? c->cert_pem_len : 0;
    if (EVP_Digest(secret != NULL ? secret : "", len, md, NULL, EVP_sha256(), NULL) != 1)
        return WMGW_ENOMEM;
    /* Basic sends the credential with every request: its connections
     * carry no authentication, so its pools key on the user alone. */
    if (s == WMGW_AUTH_HTTP_BASIC)
        memset(md, 0, 8);
    int n = snprintf(out, size, "%s:%s\\%s#%02x%02x%02x%02x%02x%02x%02x%02x", wmgw_auth_http_scheme_name(s),
                     c->domain != NULL ? c->domain : "", c->user, md[0], md[1], md[2], md[3], md[4], md[5], md[6],
                     md[7]);
    OPENSSL_cleanse(md, sizeof(md));
    return n < 0 || (size_t)n >= size ? WMGW_ETOOBIG : 0;
}

/* ---- the credential cache ---------------------------------------------------- */

struct entry {
    struct entry *next;
    char *identity;
    struct wmgw_gss_cred *cred;
    unsigned users; /* callers between get and put */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static struct entry *cache;
static size_t cache_n;
static uint64_t cache_acquired;

static void drop_unused(void)
{
    for (struct entry **pp = &cache; *pp != NULL;) {
        struct entry *e = *pp;
        if (e->users != 0) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        wmgw_gss_cred_free(e->cred); /* contexts started on it keep working */
        free(e->identity);
        free(e);
        cache_n--;
    }
}

static struct entry *find(const char *identity)
{
    for (struct entry *e = cache; e != NULL; e = e->next)
        if (strcmp(e->identity, identity) == 0)
            return e;
    return NULL;
}

/* At exit, credentials nobody holds are freed (their passwords wiped). */
static void register_exit(void)
{
    atexit(wmgw_auth_http_cache_clear);
}

int wmgw__auth_cred_get(enum wmgw_gss_mech mech, const char *identity, const struct wmgw_backend_credential *c,
                        struct wmgw__auth_cred **out, struct wmgw_err *err)
{
    pthread_once(&cache_once, register_exit);
    pthread_mutex_lock(&cache_lock);
    struct entry *e = find(identity);
    if (e != NULL)
        e->users++;
    pthread_mutex_unlock(&cache_lock);
    if (e != NULL) {
        *out = (struct wmgw__auth_cred *)e;
        return 0;
    }
    /* Acquired outside the lock: Kerberos talks to the KDC. */
    struct wmgw_gss_cred_config cfg = {
        .mech = mech,
        .user = c->user,
        .domain = c->domain,
        .password = c->password,
        .keytab = c->keytab,
        .keytab_len = c->keytab_len,
    };
    struct wmgw_gss_cred *cred;
    int rc = wmgw_gss_cred_new(&cfg, &cred, err);
    if (rc != 0)
        return rc;
    struct entry *n = calloc(1, sizeof(*n));
    if (n == NULL || (n->identity = strdup(identity)) == NULL) {
        free(n);
        wmgw_gss_cred_free(cred);
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for a credential");
    }
    n->cred = cred;
    n->users = 1;
    pthread_mutex_lock(&cache_lock);
    cache_acquired++;
    if ((e = find(identity)) != NULL) { /* another worker was faster: use its */
        e->users++;
        pthread_mutex_unlock(&cache_lock);
        wmgw_gss_cred_free(n->cred);
        free(n->identity);
        free(n);
        *out = (struct wmgw__auth_cred *)e;
        return 0;
    }
    if (cache_n >= CACHE_MAX)
        drop_unused();
    n->next = cache;
    cache = n;
    cache_n++;
    pthread_mutex_unlock(&cache_lock);
    *out = (struct wmgw__auth_cred *)n;
    return 0;
}

struct wmgw_gss_cred *wmgw__auth_cred_gss(struct wmgw__auth_cred *c)
{
    return ((struct entry *)c)->cred;
}

void wmgw__auth_cred_put(struct wmgw__auth_cred *c)
{
    pthread_mutex_lock(&cache_lock);
    ((struct entry *)c)->users--;
    pthread_mutex_unlock(&cache_lock);
}

void wmgw_auth_http_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    drop_unused();
    pthread_mutex_unlock(&cache_lock);
}

void wmgw_auth_http_cache_stats(size_t *entries, uint64_t *acquired)
{
    pthread_mutex_lock(&cache_lock);
    if (entries != NULL)
        *entries = cache_n;
    if (acquired != NULL)
        *acquired = cache_acquired;
    pthread_mutex_unlock(&cache_lock);
}
