/*
 * config.c: the configuration tables, the file parser and environment
 * overrides (config.h).
 *
 * One row per key: section, name, type, bounds, default, help.  The file
 * parser, the environment, --help-config and POST /v1/hosts all go through
 * the same rows, so a key means the same everywhere and is validated once.
 * The parser is bounded (line length, file size, key count) because a
 * configuration may come from a container orchestrator as well as a person.
 */
#include "gateway/config.h"
#include "gateway/caller.h"
#include "translators/backend.h"
#include "translators/transport/auth_http.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CONFIG_BYTES (4u << 20)
#define MAX_LINE 4096
#define MAX_LIST 256

enum kind { K_STRING, K_UINT, K_PORT, K_DURATION, K_SIZE, K_BOOL, K_LIST, K_LISTEN, K_PROTOCOL, K_SCHEME, K_AUTHLEVEL };

enum where { W_SERVER, W_BACKEND }; /* the struct a row's offset points into */

struct row {
    const char *section; /* "server", or "host" (also valid in [backend]) */
    const char *key;
    enum kind kind;
    enum where where;
    size_t offset;
    size_t count_offset; /* K_LIST / K_LISTEN: where the count lives */
    unsigned long min, max;
    const char *def;     /* shown in help; defaults are set in code */
    const char *help;
};

#define SRV(field) W_SERVER, offsetof(struct wmgw_config, field)
#define BCK(field) W_BACKEND, offsetof(struct wmgw_backend, field)

static const struct row rows[] = {
    {"server", "listen", K_LISTEN, SRV(listen), offsetof(struct wmgw_config, nlisten), 0, 0, "127.0.0.1:8080",
     "ADDR:PORT [tls]; repeat for several listeners"},
    {"server", "workers", K_UINT, SRV(workers), 0, 1, 256, "number of cores", "worker threads, one event loop each"},
    {"server", "tls-cert", K_STRING, SRV(tls_cert), 0, 0, 0, "", "PEM certificate chain for tls listeners"},
    {"server", "tls-key", K_STRING, SRV(tls_key), 0, 0, 0, "", "PEM private key for tls listeners"},
    {"server", "shutdown-timeout", K_DURATION, SRV(shutdown_timeout_ms), 0, 0, 3600000, "10s",
     "on SIGTERM, how long in-flight requests may finish"},
    {"server", "max-request-body", K_SIZE, SRV(max_request_body), 0, 1024, 64u << 20, "1MiB",
     "largest request body accepted (413 beyond)"},
    {"server", "http2-max-streams", K_UINT, SRV(http2_max_streams), 0, 1, 1000, "32",
     "concurrent HTTP/2 streams per connection"},
    {"server", "max-requests-per-connection-second", K_UINT, SRV(max_requests_per_connection_second), 0, 1,
     1000000, "200", "requests one connection may start per second (HTTP/2 rapid-reset guard)"},
    {"server", "cors-origin", K_LIST, SRV(cors_origins), offsetof(struct wmgw_config, ncors), 0, 0, "",
     "browser origin allowed by CORS (\"*\" for any); repeat for several"},
    {"server", "access-log", K_STRING, SRV(access_log), 0, 0, 0, "-", "access log: - (stdout), a path, or off"},
    {"server", "cursor-secret", K_STRING, SRV(cursor_secret), 0, 0, 0, "random",
     "hex key that signs paging cursors (set the same on every replica)"},
    {"server", "request-timeout", K_DURATION, SRV(request_timeout_ms), 0, 1000, 3600000, "120s",
     "longest a REST call may take before 504"},
    {"security", "vault", K_STRING, SRV(vault_path), 0, 0, 0, "", "the credential vault file (created when missing)"},
    {"security", "vault-key-file", K_STRING, SRV(vault_key_file), 0, 0, 0, "WMGW_VAULT_KEY",
     "file holding the vault's master key (else the environment variable WMGW_VAULT_KEY)"},
    {"security", "krb5-conf", K_STRING, SRV(krb5_conf), 0, 0, 0, "KRB5_CONFIG or /etc/krb5.conf",
     "krb5.conf for Kerberos to hosts (realms, KDCs); becomes KRB5_CONFIG"},
    {"server", "class-catalogue", K_STRING, SRV(class_catalogue), 0, 0, 0, "",
     "directory of class schemas (fixture format) for hosts that cannot describe their classes"},
    {"cache", "store", K_STRING, SRV(cache_store), 0, 0, 0, "memory", "memory (in-process LRU), redis, or off"},
    {"cache", "memory-limit", K_SIZE, SRV(cache_memory_limit), 0, 65536, 1ull << 40, "256MiB",
     "memory store: bytes the LRU may hold"},
    {"cache", "max-entry-size", K_SIZE, SRV(cache_max_entry), 0, 1024, 1u << 30, "8MiB",
     "largest answer stored; larger ones stream to the caller uncached"},
    {"cache", "max-snapshot-size", K_SIZE, SRV(cache_max_snapshot), 0, 1024, 1u << 30, "64MiB",
     "largest paging snapshot (a listing's items together)"},
    {"cache", "redis", K_STRING, SRV(cache_redis), 0, 0, 0, "", "redis store: HOST:PORT of the Redis server"},
    {"cache", "sentinel", K_LIST, SRV(cache_sentinels), offsetof(struct wmgw_config, ncache_sentinels), 0, 0, "",
     "redis store: HOST:PORT of a Sentinel (repeat); instead of redis"},
    {"cache", "sentinel-master", K_STRING, SRV(cache_sentinel_master), 0, 0, 0, "", "the master name Sentinels watch"},
    {"cache", "redis-user", K_STRING, SRV(cache_redis_user), 0, 0, 0, "", "Redis ACL user"},
    {"cache", "redis-password", K_STRING, SRV(cache_redis_password), 0, 0, 0, "",
     "Redis password (prefer WMGW_CACHE_REDIS_PASSWORD or redis-password-file)"},
    {"cache", "redis-password-file", K_STRING, SRV(cache_redis_password_file), 0, 0, 0, "",
     "file holding the Redis password (first line)"},
    {"cache", "redis-db", K_UINT, SRV(cache_redis_db), 0, 0, 1023, "0", "Redis database number"},
    {"cache", "prefix", K_STRING, SRV(cache_prefix), 0, 0, 0, "wmgw:", "prefix of every Redis key"},
    {"cache", "ttl", K_DURATION, SRV(cache_ttl_ms), 0, 0, 86400000, "30s", "how long an answer is fresh"},
    {"cache", "stale", K_DURATION, SRV(cache_stale_ms), 0, 0, 86400000, "30s",
     "then served as stale while one caller refreshes it"},
    {"cache", "wait", K_DURATION, SRV(cache_wait_ms), 0, 10, 600000, "30s",
     "how long a miss waits for another caller's backend call for the same answer"},
    {"cache", "ttl-rule", K_LIST, SRV(cache_ttl_rules), offsetof(struct wmgw_config, ncache_ttl_rules), 0, 0, "",
     "NAMESPACE-GLOB:CLASS-GLOB=TTL[/STALE] (repeat; first match wins; a query matches class \"\")"},
    {"host", "address", K_STRING, BCK(address), 0, 0, 0, "", "IP address or DNS name of the host"},
    {"host", "port", K_PORT, BCK(port), 0, 1, 65535, "5985 (5986 for https, 135 for dcom)",
     "TCP port (dcom: of the activator; the object exporter's port comes from the host)"},
    {"host", "scheme", K_SCHEME, BCK(tls), 0, 0, 0, "http", "http or https"},
    {"host", "path", K_STRING, BCK(path), 0, 0, 0, "/wsman", "URL path of the WS-Management endpoint"},
    {"host", "protocol", K_PROTOCOL, BCK(protocol), 0, 0, 0, "auto", "auto, wsmv, wsman2003 or dcom"},
    {"host", "user", K_STRING, BCK(user), 0, 0, 0, "", "account the gateway uses on the host"},
    {"host", "password", K_STRING, BCK(password), 0, 0, 0, "", "its password (prefer WMGW_HOST_<NAME>_PASSWORD)"},
    {"host", "ca-file", K_STRING, BCK(ca_file), 0, 0, 0, "system CAs", "PEM CA bundle trusted for this host"},
    {"host", "tls-name", K_STRING, BCK(tls_name), 0, 0, 0, "address", "name the host's certificate must carry"},
    {"host", "tls-insecure", K_BOOL, BCK(tls_insecure), 0, 0, 0, "false", "skip certificate checks (tests only)"},
    {"host", "connect-timeout", K_DURATION, BCK(connect_timeout_ms), 0, 100, 600000, "5s", "TCP+TLS connect deadline"},
    {"host", "operation-timeout", K_DURATION, BCK(operation_timeout_ms), 0, 100, 3600000, "60s",
     "WS-Man OperationTimeout and deadline of each backend request"},
    {"host", "max-envelope-size", K_SIZE, BCK(max_envelope_size), 0, 8192, 16u << 20, "512000",
     "WS-Man MaxEnvelopeSize in octets"},
    {"host", "max-elements", K_UINT, BCK(max_elements), 0, 1, 32000, "500", "instances per Enumerate/Pull batch"},
    {"host", "pool-size", K_UINT, BCK(pool_size), 0, 0, 1024, "16", "idle keep-alive connections per worker"},
    {"host", "dcom-auth-level", K_AUTHLEVEL, BCK(dcom_auth_level), 0, 0, 0, "privacy",
     "dcom: RPC authentication level, privacy (sign and seal) or integrity (sign)"},
    {"host", "auth", K_STRING, BCK(auth), 0, 0, 0, "negotiate if domain is set, else basic",
     "basic, ntlm, kerberos, negotiate or certificate (WS-Management; certificate: https, a vault credential)"},
    {"host", "domain", K_STRING, BCK(domain), 0, 0, 0, "", "NTLM domain / Kerberos realm of user"},
    {"host", "spn", K_STRING, BCK(spn), 0, 0, 0, "HTTP/<tls-name or address>", "service principal (Kerberos)"},
    {"host", "encryption", K_STRING, BCK(encryption), 0, 0, 0, "auto",
     "WinRM message encryption: auto (over http only), always or never"},
    {"host", "channel-binding", K_BOOL, BCK(channel_binding), 0, 0, 0, "true",
     "https: send tls-server-end-point channel bindings (RFC 5929)"},
    {"host", "groups", K_LIST, W_BACKEND, 0, 0, 0, 0, "", "groups the host belongs to (comma separated)"},
};

/* --- small parsers ------------------------------------------------------- */

int wmgw_parse_duration_ms(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || v < 0)
        return WMGW_EINVAL;
    while (*end == ' ')
        end++;
    double mult;
    if (*end == '\0' || strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else
        return WMGW_EINVAL;
    double ms = v * mult;
    if (ms > 4294967295.0)
        return WMGW_EINVAL;
    *out = (unsigned)ms;
    return 0;
}

int wmgw_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno != 0 || s[0] == '-')
        return WMGW_EINVAL;
    while (*end == ' ')
        end++;
    unsigned long long mult = 1;
    if (strcasecmp(end, "KiB") == 0 || strcasecmp(end, "K") == 0)
        mult = 1024;
    else if (strcasecmp(end, "MiB") == 0 || strcasecmp(end, "M") == 0)
        mult = 1024 * 1024;
    else if (strcasecmp(end, "GiB") == 0 || strcasecmp(end, "G") == 0)
        mult = 1024ull * 1024 * 1024;
    else if (*end != '\0' && strcasecmp(end, "B") != 0)
        return WMGW_EINVAL;
    if (v > (unsigned long long)SIZE_MAX / mult)
        return WMGW_EINVAL;
    *out = (size_t)(v * mult);
    return 0;
}

bool wmgw_host_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63 || !isalnum((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
            return false;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0 || strcmp(s, "1") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 || strcasecmp(s, "off") == 0 ||
             strcmp(s, "0") == 0)
        *out = false;
    else
        return false;
    return true;
}

/* "ADDR:PORT [tls]"; IPv6 as [::1]:8080. */
static int parse_listen(const char *s, struct wmgw_listen *l)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    char *sp = strchr(buf, ' ');
    l->tls = false;
    if (sp != NULL) {
        *sp++ = '\0';
        while (*sp == ' ')
            sp++;
        if (strcmp(sp, "tls") != 0)
            return WMGW_EINVAL;
        l->tls = true;
    }
    char *colon = strrchr(buf, ':');
    if (colon == NULL || colon == buf)
        return WMGW_EINVAL;
    *colon = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return WMGW_EINVAL;
    char *addr = buf;
    if (addr[0] == '[') {
        size_t n = strlen(addr);
        if (n < 3 || addr[n - 1] != ']')
            return WMGW_EINVAL;
        addr[n - 1] = '\0';
        addr++;
    }
    l->address = strdup(addr);
    l->port = (uint16_t)port;
    return l->address ? 0 : WMGW_ENOMEM;
}

/* --- setting one key ---------------------------------------------------- */

static const struct row *find_row(const char *section, const char *key)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (strcmp(rows[i].section, section) == 0 && strcmp(rows[i].key, key) == 0)
            return &rows[i];
    return NULL;
}

static int list_append(char ***items, size_t *n, const char *value)
{
    if (*n >= MAX_LIST)
        return WMGW_ETOOBIG;
    char **l = realloc(*items, (*n + 1) * sizeof(*l));
    if (l == NULL)
        return WMGW_ENOMEM;
    *items = l;
    if ((l[*n] = strdup(value)) == NULL)
        return WMGW_ENOMEM;
    (*n)++;
    return 0;
}

/* Splits "a, b,c" and appends each part. */
static int list_append_csv(char ***items, size_t *n, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return WMGW_ENOMEM;
    int rc = 0;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t != NULL && rc == 0; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        size_t len = strlen(t);
        while (len > 0 && t[len - 1] == ' ')
            t[--len] = '\0';
        if (len > 0)
            rc = list_append(items, n, t);
    }
    free(copy);
    return rc;
}

static int set_row(const struct row *r, void *base, const char *value, char ***groups, size_t *ngroups,
                   struct wmgw_err *err)
{
    char *p = (char *)base + r->offset;
    unsigned u;
    size_t sz;
    switch (r->kind) {
    case K_STRING: {
        char *s = strdup(value);
        if (s == NULL)
            return WMGW_ENOMEM;
        free(*(char **)p);
        *(char **)p = s;
        return 0;
    }
    case K_UINT:
    case K_PORT: {
        char *end;
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        if (*value == '\0' || *end != '\0' || errno != 0 || value[0] == '-' || v < r->min || v > r->max)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want a whole number from %lu to %lu, not \"%.60s\"", r->key,
                                r->min, r->max, value);
        if (r->kind == K_PORT)
            *(uint16_t *)p = (uint16_t)v;
        else
            *(unsigned *)p = (unsigned)v;
        return 0;
    }
    case K_DURATION:
        if (wmgw_parse_duration_ms(value, &u) != 0 || u < r->min || u > r->max)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want a duration like 30s or 500ms (%lums..%lums), not \"%.60s\"",
                                r->key, r->min, r->max, value);
        *(unsigned *)p = u;
        return 0;
    case K_SIZE:
        if (wmgw_parse_size(value, &sz) != 0 || sz < r->min || sz > r->max)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want a size like 512KiB (%lu..%lu bytes), not \"%.60s\"",
                                r->key, r->min, r->max, value);
        if (r->where == W_BACKEND)
            *(unsigned *)p = (unsigned)sz;
        else
            *(size_t *)p = sz;
        return 0;
    case K_BOOL: {
        bool b;
        if (!parse_bool(value, &b))
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want true or false, not \"%.60s\"", r->key, value);
        *(bool *)p = b;
        return 0;
    }
    case K_PROTOCOL:
        if (wmgw_protocol_parse(value, (enum wmgw_protocol *)p) != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want auto, wsmv, wsman2003 or dcom, not \"%.60s\"", r->key,
                                value);
        return 0;
    case K_AUTHLEVEL:
        if (strcasecmp(value, "privacy") == 0)
            *(uint8_t *)p = 6; /* RPC_C_AUTHN_LEVEL_PKT_PRIVACY */
        else if (strcasecmp(value, "integrity") == 0)
            *(uint8_t *)p = 5; /* RPC_C_AUTHN_LEVEL_PKT_INTEGRITY */
        else
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want privacy or integrity, not \"%.60s\"", r->key, value);
        return 0;
    case K_SCHEME:
        if (strcasecmp(value, "http") != 0 && strcasecmp(value, "https") != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want http or https, not \"%.60s\"", r->key, value);
        *(bool *)p = strcasecmp(value, "https") == 0;
        return 0;
    case K_LIST:
        if (groups != NULL)
            return list_append_csv(groups, ngroups, value);
        return list_append_csv((char ***)p, (size_t *)((char *)base + r->count_offset), value);
    case K_LISTEN: {
        struct wmgw_config *c = base;
        struct wmgw_listen l;
        if (parse_listen(value, &l) != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s: want ADDR:PORT or ADDR:PORT tls, not \"%.60s\"", r->key, value);
        struct wmgw_listen *ls = realloc(c->listen, (c->nlisten + 1) * sizeof(*ls));
        if (ls == NULL) {
            free(l.address);
            return WMGW_ENOMEM;
        }
        c->listen = ls;
        ls[c->nlisten++] = l;
        return 0;
    }
    }
    return WMGW_EINTERNAL;
}

/* Sets a backend key (a host's or the [backend] defaults).  A port still
 * at its protocol's default follows the protocol and the scheme: 5985,
 * 5986 for https, 135 for dcom (an explicit port stays). */
static int set_backend_row(const struct row *r, struct wmgw_backend *b, const char *value, char ***groups,
                           size_t *ngroups, struct wmgw_err *err)
{
    enum wmgw_protocol was = b->protocol;
    bool tls = b->tls;
    int rc = set_row(r, b, value, groups, ngroups, err);
    if (rc == 0 && (strcmp(r->key, "scheme") == 0 || strcmp(r->key, "protocol") == 0) &&
        b->port == wmgw_protocol_default_port(was, tls))
        b->port = wmgw_protocol_default_port(b->protocol, b->tls);
    return rc;
}

int wmgw_host_config_set(struct wmgw_host_config *h, const char *key, const char *value, struct wmgw_err *err)
{
    if (strcmp(key, "credential") == 0) { /* a vault credential id (vault_gw.c checks it exists) */
        free(h->credential);
        h->credential = value[0] ? strdup(value) : NULL;
        return value[0] && h->credential == NULL ? WMGW_ENOMEM : 0;
    }
    const struct row *r = find_row("host", key);
    if (r == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "unknown host key \"%.60s\"", key);
    bool groups = strcmp(key, "groups") == 0;
    return set_backend_row(r, h->backend, value, groups ? &h->groups : NULL, groups ? &h->ngroups : NULL, err);
}

/* --- configuration objects ----------------------------------------------- */

struct wmgw_config *wmgw_config_new(void)
{
    struct wmgw_config *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->workers = 0; /* 0: one per core, decided at start */
    c->shutdown_timeout_ms = 10000;
    c->max_request_body = 1u << 20;
    c->http2_max_streams = 32;
    c->max_requests_per_connection_second = 200;
    c->request_timeout_ms = 120000;
    c->access_log = strdup("-");
    c->cache_memory_limit = 256u << 20;
    c->cache_max_entry = 8u << 20;
    c->cache_max_snapshot = 64u << 20;
    c->cache_ttl_ms = 30000;
    c->cache_stale_ms = 30000;
    c->cache_wait_ms = 30000;
    c->defaults = wmgw_backend_new("defaults");
    if (c->access_log == NULL || c->defaults == NULL) {
        wmgw_config_free(c);
        return NULL;
    }
    /* README: a host's protocol is detected unless configured. */
    c->defaults->protocol = WMGW_PROTO_AUTO;
    return c;
}

void wmgw_host_config_dispose(struct wmgw_host_config *h)
{
    wmgw_backend_unref(h->backend);
    for (size_t i = 0; i < h->ngroups; i++)
        free(h->groups[i]);
    free(h->groups);
    free(h->credential);
    memset(h, 0, sizeof(*h));
}

int wmgw_host_config_copy(struct wmgw_host_config *dst, const struct wmgw_host_config *src)
{
    memset(dst, 0, sizeof(*dst));
    if ((dst->backend = wmgw_backend_copy(src->backend)) == NULL)
        return WMGW_ENOMEM;
    if (src->credential != NULL && (dst->credential = strdup(src->credential)) == NULL) {
        wmgw_host_config_dispose(dst);
        return WMGW_ENOMEM;
    }
    for (size_t i = 0; i < src->ngroups; i++) {
        if (list_append(&dst->groups, &dst->ngroups, src->groups[i]) != 0) {
            wmgw_host_config_dispose(dst);
            return WMGW_ENOMEM;
        }
    }
    return 0;
}

void wmgw_config_free(struct wmgw_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nlisten; i++)
        free(c->listen[i].address);
    free(c->listen);
    wmgw_security_free(c->security);
    free(c->tls_cert);
    free(c->tls_key);
    for (size_t i = 0; i < c->ncors; i++)
        free(c->cors_origins[i]);
    free(c->cors_origins);
    free(c->access_log);
    free(c->cursor_secret);
    free(c->class_catalogue);
    free(c->vault_path);
    free(c->vault_key_file);
    free(c->krb5_conf);
    free(c->cache_store);
    free(c->cache_redis);
    for (size_t i = 0; i < c->ncache_sentinels; i++)
        free(c->cache_sentinels[i]);
    free(c->cache_sentinels);
    free(c->cache_sentinel_master);
    free(c->cache_redis_user);
    free(c->cache_redis_password);
    free(c->cache_redis_password_file);
    free(c->cache_prefix);
    for (size_t i = 0; i < c->ncache_ttl_rules; i++)
        free(c->cache_ttl_rules[i]);
    free(c->cache_ttl_rules);
    wmgw_backend_unref(c->defaults);
    for (size_t i = 0; i < c->nhosts; i++)
        wmgw_host_config_dispose(&c->hosts[i]);
    free(c->hosts);
    free(c->path);
    free(c);
}

static struct wmgw_host_config *host_named(struct wmgw_config *c, const char *name)
{
    for (size_t i = 0; i < c->nhosts; i++)
        if (strcasecmp(c->hosts[i].backend->name, name) == 0)
            return &c->hosts[i];
    return NULL;
}

/* A new host starts as a copy of the [backend] defaults. */
static struct wmgw_host_config *host_add(struct wmgw_config *c, const char *name, struct wmgw_err *err)
{
    if (!wmgw_host_name_valid(name)) {
        wmgw_err_set(err, WMGW_ECONFIG, "host name \"%.60s\": letters, digits, '.', '_' and '-' only", name);
        return NULL;
    }
    struct wmgw_host_config *h = realloc(c->hosts, (c->nhosts + 1) * sizeof(*h));
    if (h == NULL)
        return NULL;
    c->hosts = h;
    h = &h[c->nhosts];
    memset(h, 0, sizeof(*h));
    h->backend = wmgw_backend_copy(c->defaults);
    if (h->backend == NULL)
        return NULL;
    free(h->backend->name);
    h->backend->name = strdup(name);
    c->nhosts++;
    return h;
}

int wmgw_config_set(struct wmgw_config *c, const char *section, const char *key, const char *value,
                    struct wmgw_err *err)
{
    if (strcmp(section, "security") == 0 && find_row("security", key) != NULL) /* the vault's keys */
        return set_row(find_row("security", key), c, value, NULL, NULL, err);
    if (strcmp(section, "server") == 0 || strcmp(section, "cache") == 0) {
        const struct row *r = find_row(section, key);
        if (r == NULL)
            return wmgw_err_set(err, WMGW_ECONFIG, "[%s]: unknown key \"%.60s\"", section, key);
        return set_row(r, c, value, NULL, NULL, err);
    }
    if (strcmp(section, "backend") == 0) {
        const struct row *r = find_row("host", key);
        if (r == NULL || strcmp(key, "address") == 0 || strcmp(key, "groups") == 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "[backend]: unknown key \"%.60s\"", key);
        /* Hosts copy the defaults when they are declared. */
        if (c->nhosts > 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "[backend] must come before the first [host]");
        return set_backend_row(r, c->defaults, value, NULL, NULL, err);
    }
    if (strncmp(section, "host ", 5) == 0) {
        const char *name = section + 5;
        struct wmgw_host_config *h = host_named(c, name);
        if (h == NULL && (h = host_add(c, name, err)) == NULL)
            return err && err->code ? err->code : WMGW_ENOMEM;
        return wmgw_host_config_set(h, key, value, err);
    }
    if (wmgw_security_section(section))
        return wmgw_security_set(&c->security, section, key, value, err);
    return wmgw_err_set(err, WMGW_ECONFIG, "unknown section [%.60s]", section);
}

/* --- the file ------------------------------------------------------------ */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int wmgw_config_parse(struct wmgw_config *c, const char *name, const char *text, size_t len, struct wmgw_err *err)
{
    if (len > MAX_CONFIG_BYTES)
        return wmgw_err_set(err, WMGW_ECONFIG, "%s: larger than %u bytes", name, MAX_CONFIG_BYTES);
    char section[128] = "";
    char line[MAX_LINE + 1];
    size_t pos = 0;
    for (int lineno = 1; pos < len; lineno++) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        if (end - pos > MAX_LINE)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: line longer than %d bytes", name, lineno, MAX_LINE);
        if (memchr(text + pos, '\0', end - pos) != NULL)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: NUL byte", name, lineno);
        memcpy(line, text + pos, end - pos);
        line[end - pos] = '\0';
        pos = end + 1;
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close == NULL || trim(close + 1)[0] != '\0')
                return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: a section is [name]", name, lineno);
            *close = '\0';
            char *sec = trim(s + 1);
            /* "[host  dc01]" is "host dc01". */
            if (strncmp(sec, "host", 4) == 0 && (sec[4] == ' ' || sec[4] == '\t'))
                snprintf(section, sizeof(section), "host %s", trim(sec + 5));
            else
                snprintf(section, sizeof(section), "%s", sec);
            if (strcmp(section, "server") != 0 && strcmp(section, "backend") != 0 && strcmp(section, "cache") != 0 &&
                strncmp(section, "host ", 5) != 0 && !wmgw_security_section(section))
                return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: unknown section [%.60s]", name, lineno, section);
            if (strncmp(section, "host ", 5) == 0 && host_named(c, section + 5) == NULL &&
                host_add(c, section + 5, err) == NULL) {
                char msg[sizeof(err->message)];
                snprintf(msg, sizeof(msg), "%.60s:%d: %.200s", name, lineno, err ? err->message : "");
                return wmgw_err_set(err, WMGW_ECONFIG, "%s", msg);
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: want key = value", name, lineno);
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        /* Strip a trailing comment after whitespace; values rarely hold " #". */
        char *hash = strstr(value, " #");
        if (hash != NULL) {
            *hash = '\0';
            value = trim(value);
        }
        if (section[0] == '\0')
            return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: %s: outside of any [section]", name, lineno, key);
        struct wmgw_err e;
        wmgw_err_clear(&e);
        int rc = wmgw_config_set(c, section, key, value, &e);
        if (rc != 0)
            return wmgw_err_set(err, rc == WMGW_ENOMEM ? WMGW_ENOMEM : WMGW_ECONFIG, "%s:%d: %s", name, lineno,
                                e.message[0] ? e.message : wmgw_err_summary(rc));
    }
    return 0;
}

int wmgw_config_load(struct wmgw_config *c, const char *path, struct wmgw_err *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "%s: %s", path, strerror(errno));
    char *text = malloc(MAX_CONFIG_BYTES + 1);
    size_t n = text ? fread(text, 1, MAX_CONFIG_BYTES + 1, fp) : 0;
    fclose(fp);
    if (text == NULL)
        return WMGW_ENOMEM;
    int rc = wmgw_config_parse(c, path, text, n, err);
    free(text);
    if (rc == 0) {
        free(c->path);
        c->path = strdup(path);
    }
    return rc;
}

/* --- the environment --------------------------------------------------------- */

/* "WMGW_SERVER_HTTP2_MAX_STREAMS" -> key "http2-max-streams" for section "server". */
static bool env_key_matches(const char *env, const char *key)
{
    for (; *key; key++, env++) {
        char want = *key == '-' ? '_' : (char)toupper((unsigned char)*key);
        if (*env != want)
            return false;
    }
    return *env == '\0';
}

static int apply_env_row(struct wmgw_config *c, const char *section, const char *name, const char *value,
                         struct wmgw_host_config *host, struct wmgw_err *err)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        bool own = strcmp(section, "server") == 0 || strcmp(section, "cache") == 0; /* rows of wmgw_config */
        if (strcmp(r->section, own ? section : "host") != 0 || !env_key_matches(name, r->key))
            continue;
        if (own) {
            /* A list from the environment replaces the file's list. */
            if (r->kind == K_LISTEN) {
                for (size_t k = 0; k < c->nlisten; k++)
                    free(c->listen[k].address);
                c->nlisten = 0;
                char *copy = strdup(value);
                int rc = copy ? 0 : WMGW_ENOMEM;
                for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && rc == 0;
                     t = strtok_r(NULL, ",", &save))
                    rc = set_row(r, c, trim(t), NULL, NULL, err);
                free(copy);
                return rc;
            }
            if (r->kind == K_LIST) {
                char ***l = (char ***)((char *)c + r->offset);
                size_t *n = (size_t *)((char *)c + r->count_offset);
                for (size_t k = 0; k < *n; k++)
                    free((*l)[k]);
                *n = 0;
            }
            return set_row(r, c, value, NULL, NULL, err);
        }
        if (host != NULL)
            return wmgw_host_config_set(host, r->key, value, err);
        /* WMGW_BACKEND_<KEY> sets the default and overrides every host. */
        int rc = set_backend_row(r, c->defaults, value, NULL, NULL, err);
        for (size_t k = 0; rc == 0 && k < c->nhosts; k++)
            rc = wmgw_host_config_set(&c->hosts[k], r->key, value, err);
        return rc;
    }
    return wmgw_err_set(err, WMGW_ECONFIG, "WMGW_%s_%s: no such setting", section, name);
}

/* One variable of the given pass (0 server, 1 backend, 2 host). */
static int apply_env_var(struct wmgw_config *c, const char *var, int pass, struct wmgw_err *err)
{
    const char *eq = strchr(var, '=');
    char name[256];
    size_t nlen = eq ? (size_t)(eq - var) : 0;
    if (eq == NULL || nlen >= sizeof(name))
        return 0;
    memcpy(name, var, nlen);
    name[nlen] = '\0';
    const char *value = eq + 1;
    if (pass == 0 && strncmp(name, "WMGW_SERVER_", 12) == 0)
        return apply_env_row(c, "server", name + 12, value, NULL, err);
    if (pass == 0 && strncmp(name, "WMGW_CACHE_", 11) == 0)
        return apply_env_row(c, "cache", name + 11, value, NULL, err);
    if (pass == 1 && strncmp(name, "WMGW_BACKEND_", 13) == 0)
        return apply_env_row(c, "backend", name + 13, value, NULL, err);
    if (pass != 2 || strncmp(name, "WMGW_HOST_", 10) != 0)
        return 0; /* WMGW_CONFIG and friends belong to main */
    /* The host is the longest configured name that matches. */
    struct wmgw_host_config *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < c->nhosts; i++) {
        const char *hn = c->hosts[i].backend->name;
        size_t hl = strlen(hn), k;
        for (k = 0; k < hl && name[10 + k] != '\0'; k++) {
            char want = isalnum((unsigned char)hn[k]) ? (char)toupper((unsigned char)hn[k]) : '_';
            if (name[10 + k] != want)
                break;
        }
        if (k == hl && name[10 + hl] == '_' && hl > best_len) {
            best = &c->hosts[i];
            best_len = hl;
        }
    }
    if (best == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "%s: no configured host matches", name);
    return apply_env_row(c, "host", name + 10 + best_len + 1, value, best, err);
}

int wmgw_config_apply_env(struct wmgw_config *c, char **envp, struct wmgw_err *err)
{
    /* Defaults before hosts, so a host's own variable wins whatever the order. */
    for (int pass = 0; pass < 3; pass++) {
        for (char **e = envp; e != NULL && *e != NULL; e++) {
            int rc = apply_env_var(c, *e, pass, err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* --- final checks ------------------------------------------------------------ */

/* A DNS name is resolved once, when the host is configured: the
 * transport connects to numbers only (its loop must never block). */
static int resolve(struct wmgw_backend *b, struct wmgw_err *err)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    free(b->ip);
    b->ip = NULL;
    if (inet_pton(AF_INET, b->address, tmp) == 1 || inet_pton(AF_INET6, b->address, tmp) == 1 ||
        strchr(b->address, '%') != NULL)
        return 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG}, *res = NULL;
    int rc = getaddrinfo(b->address, NULL, &hints, &res);
    if (rc != 0 || res == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: cannot resolve %.80s: %s", b->name, b->address,
                            rc ? gai_strerror(rc) : "no address");
    char ip[INET6_ADDRSTRLEN];
    const void *a = res->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
                                               : (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
    inet_ntop(res->ai_family, a, ip, sizeof(ip));
    freeaddrinfo(res);
    return (b->ip = strdup(ip)) ? 0 : WMGW_ENOMEM;
}

int wmgw_host_config_validate(const struct wmgw_host_config *h, struct wmgw_err *err)
{
    struct wmgw_backend *b = h->backend;
    if (b->address == NULL || b->address[0] == '\0')
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: no address", b->name);
    if (b->path == NULL || b->path[0] != '/')
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: path must start with /", b->name);
    if ((b->user == NULL) != (b->password == NULL))
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: give both user and password", b->name);
    if (b->protocol == WMGW_PROTO_DCOM && b->tls)
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "host %s: protocol dcom has no https (DCE/RPC seals itself: dcom-auth-level)", b->name);
    if (b->protocol == WMGW_PROTO_DCOM && b->user == NULL && h->credential == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "host %s: protocol dcom needs user and password (NTLM)", b->name);
    if (b->protocol != WMGW_PROTO_DCOM && wmgw_auth_http_validate(b, h->credential != NULL, err) != 0)
        return WMGW_ECONFIG;
    for (size_t i = 0; i < h->ngroups; i++)
        if (!wmgw_host_name_valid(h->groups[i]))
            return wmgw_err_set(err, WMGW_ECONFIG, "host %s: bad group name \"%.60s\"", b->name, h->groups[i]);
    return resolve(b, err);
}

int wmgw_config_validate(struct wmgw_config *c, struct wmgw_err *err)
{
    if (c->krb5_conf != NULL && c->krb5_conf[0] != '\0') {
        FILE *f = fopen(c->krb5_conf, "r");
        if (f == NULL)
            return wmgw_err_set(err, WMGW_ECONFIG, "[security] krb5-conf: cannot read %.200s", c->krb5_conf);
        fclose(f);
        setenv("KRB5_CONFIG", c->krb5_conf, 1); /* before any worker: MIT reads it for each context */
    }
    if (c->nlisten == 0) {
        struct wmgw_listen l = {strdup("127.0.0.1"), 8080, false};
        if (l.address == NULL || (c->listen = malloc(sizeof(*c->listen))) == NULL) {
            free(l.address);
            return WMGW_ENOMEM;
        }
        c->listen[0] = l;
        c->nlisten = 1;
    }
    for (size_t i = 0; i < c->nlisten; i++)
        if (c->listen[i].tls && (c->tls_cert == NULL || c->tls_key == NULL))
            return wmgw_err_set(err, WMGW_ECONFIG, "listen %s:%u tls: set tls-cert and tls-key in [server]",
                                c->listen[i].address, c->listen[i].port);
    if (c->cursor_secret != NULL) {
        size_t n = strlen(c->cursor_secret);
        for (size_t i = 0; i < n; i++)
            if (!isxdigit((unsigned char)c->cursor_secret[i]))
                return wmgw_err_set(err, WMGW_ECONFIG, "cursor-secret: hexadecimal digits only");
        if (n < 32)
            return wmgw_err_set(err, WMGW_ECONFIG, "cursor-secret: at least 32 hex digits (128 bits)");
    }
    for (size_t i = 0; i < c->nhosts; i++) {
        int rc = wmgw_host_config_validate(&c->hosts[i], err);
        if (rc != 0)
            return rc;
    }
    return wmgw_security_validate(c->security, err);
}

void wmgw_config_print_help(void *fp)
{
    FILE *out = fp;
    const char *last = "";
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        if (strcmp(r->section, last) != 0) {
            fprintf(out, "%s[%s]%s\n", i ? "\n" : "",
                    strcmp(r->section, "host") == 0 ? "host NAME" : r->section,
                    strcmp(r->section, "host") == 0 ? "   (also in [backend], as defaults for every host)" : "");
            last = r->section;
        }
        fprintf(out, "  %-36s %s (default: %s)\n", r->key, r->help, r->def);
    }
    wmgw_security_print_help(out);
    fputs("\nEnvironment: WMGW_SERVER_<KEY>, WMGW_CACHE_<KEY>, WMGW_BACKEND_<KEY>, WMGW_HOST_<NAME>_<KEY> (upper case,\n"
          "'-' written '_') override the file; lists take comma-separated values.\n",
          out);
}
