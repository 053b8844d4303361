/*
 * config.h: wmgw's configuration: one file, overridable from the
 * environment (containers), checked before anything starts.
 *
 * The file is INI-like (README "Configuration"):
 *
 *   # comment
 *   [server]
 *   listen = 0.0.0.0:8080
 *   listen = 0.0.0.0:8443 tls
 *   workers = 2
 *   [backend]                 # defaults for every host
 *   operation-timeout = 60s
 *   [host dc01]
 *   address = 10.0.0.5
 *   user = svc-wmgw
 *   password = ...
 *
 * Every key is a row of a table (config.c) with its type, bounds, default
 * and help, so --help-config and validation come from the same place.
 * Environment: WMGW_<SECTION>_<KEY> (upper case, '-' as '_'), and
 * WMGW_HOST_<NAME>_<KEY> for a host, override the file; list keys take a
 * comma-separated value.  Errors name file:line:key.
 */
#ifndef WMGW_GATEWAY_CONFIG_H
#define WMGW_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wmgw_backend;
struct wmgw_security;
struct wmgw_err;

struct wmgw_listen {
    char *address; /* numeric IPv4/IPv6 or "*" */
    uint16_t port;
    bool tls;
};

/* A configured host: the backend plus what only the gateway uses. */
struct wmgw_host_config {
    struct wmgw_backend *backend;
    size_t ngroups;
    char **groups;
    char *credential; /* `credential = ID`: the vault credential used when no mapping applies */
};

struct wmgw_config {
    /* [server] */
    size_t nlisten;
    struct wmgw_listen *listen;
    unsigned workers;
    char *tls_cert;
    char *tls_key;
    unsigned shutdown_timeout_ms;
    size_t max_request_body;
    unsigned http2_max_streams;
    unsigned max_requests_per_connection_second;
    size_t ncors;
    char **cors_origins;
    char *access_log; /* "-" for stdout, a path, or "off" */
    char *cursor_secret; /* hex; random per process when unset */
    unsigned request_timeout_ms;
    char *class_catalogue; /* directory of class schemas (catalogue.h), or NULL */
    /* [security] vault (gateway/vault_gw.c); the key never comes from this
     * file: vault-key-file or the environment variable WMGW_VAULT_KEY */
    char *vault_path;
    char *vault_key_file;
    /* [security] krb5-conf: the krb5.conf backend Kerberos uses (set as
     * KRB5_CONFIG at validation; NULL: KRB5_CONFIG or the system's) */
    char *krb5_conf;
    /* [cache] (gateway/cache_setup.c turns these into cache/cache.h's config) */
    char *cache_store;             /* "memory" (default), "redis" or "off" */
    size_t cache_memory_limit;
    size_t cache_max_entry;        /* larger answers stream past the cache */
    size_t cache_max_snapshot;     /* one paging snapshot's items together */
    char *cache_redis;             /* "host:port" */
    size_t ncache_sentinels;
    char **cache_sentinels;        /* "host:port" each */
    char *cache_sentinel_master;
    char *cache_redis_user;
    char *cache_redis_password;    /* prefer WMGW_CACHE_REDIS_PASSWORD or the file */
    char *cache_redis_password_file;
    unsigned cache_redis_db;
    char *cache_prefix;
    unsigned cache_ttl_ms;         /* default freshness */
    unsigned cache_stale_ms;       /* default stale window */
    unsigned cache_wait_ms;        /* how long a miss waits for another's fill */
    size_t ncache_ttl_rules;
    char **cache_ttl_rules;        /* "ns-glob:class-glob=TTL[/STALE]" each */
    /* [backend] defaults, applied to hosts that do not set them */
    struct wmgw_backend *defaults;
    /* [host NAME] */
    size_t nhosts;
    struct wmgw_host_config *hosts;
    /* [security], [principal NAME], [policy NAME] (gateway/caller.h) */
    struct wmgw_security *security;
    /* where it came from, for messages */
    char *path;
};

/* Fresh configuration with every default. */
struct wmgw_config *wmgw_config_new(void);
void wmgw_config_free(struct wmgw_config *c);

/* Reads a file into c (on top of defaults).  WMGW_ECONFIG with
 * "file:line: key: why" in err. */
int wmgw_config_load(struct wmgw_config *c, const char *path, struct wmgw_err *err);
/* Parses configuration text (what load reads); name is used in messages. */
int wmgw_config_parse(struct wmgw_config *c, const char *name, const char *text, size_t len, struct wmgw_err *err);
/* Applies WMGW_* variables from envp (NULL-terminated "K=V" list). */
int wmgw_config_apply_env(struct wmgw_config *c, char **envp, struct wmgw_err *err);
/* Final checks: TLS listener needs cert and key, hosts complete, etc. */
int wmgw_config_validate(struct wmgw_config *c, struct wmgw_err *err);

/* Sets one key of a section as the file would ("server", "listen", "x");
 * host sections are "host NAME". */
int wmgw_config_set(struct wmgw_config *c, const char *section, const char *key, const char *value,
                    struct wmgw_err *err);

/* Prints every key with its default and help (wmgw --help-config). */
void wmgw_config_print_help(void *fp);

/* Host settings shared by the file and POST /v1/hosts: sets one key of a
 * host config ("address", "port", ...). */
int wmgw_host_config_set(struct wmgw_host_config *h, const char *key, const char *value, struct wmgw_err *err);
int wmgw_host_config_validate(const struct wmgw_host_config *h, struct wmgw_err *err);
void wmgw_host_config_dispose(struct wmgw_host_config *h);
int wmgw_host_config_copy(struct wmgw_host_config *dst, const struct wmgw_host_config *src);

/* Parsing helpers shared with the REST API. */
int wmgw_parse_duration_ms(const char *s, unsigned *out); /* "30s", "500ms", "2m", "1h" */
int wmgw_parse_size(const char *s, size_t *out);          /* "512", "64KiB", "1MiB", "1GiB" */
bool wmgw_host_name_valid(const char *name);

#endif
