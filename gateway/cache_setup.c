/*
 * cache_setup.c: from the [cache] rows of the configuration to a running
 * cache (cache_setup.h): the store, its limits, the Redis address or
 * Sentinels and password (file or environment), the TTL rules, one cache
 * worker per worker loop, and the state reported by /readyz and metrics.
 */
#include "gateway/cache_setup.h"
#include "cache/cache.h"
#include "gateway/gateway.h"
#include "util/buf.h"
#include "cim/json.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PASSWORD 1024

/* "NS-GLOB:CLASS-GLOB=TTL[/STALE]": the TTL follows the last '='. */
static int add_ttl_rule(struct wmgw_cache_ttl_rules *rules, const char *text, unsigned def_stale, struct wmgw_err *err)
{
    char buf[600];
    if (strlen(text) >= sizeof(buf))
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] ttl-rule: longer than %zu bytes", sizeof(buf) - 1);
    strcpy(buf, text);
    char *eq = strrchr(buf, '=');
    if (eq == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] ttl-rule \"%.80s\": want NS-GLOB:CLASS-GLOB=TTL[/STALE]", text);
    *eq = '\0';
    char *stale = strchr(eq + 1, '/');
    if (stale != NULL)
        *stale++ = '\0';
    struct wmgw_cache_ttl ttl = {.stale_ms = def_stale};
    if (wmgw_parse_duration_ms(eq + 1, &ttl.fresh_ms) != 0 ||
        (stale != NULL && wmgw_parse_duration_ms(stale, &ttl.stale_ms) != 0))
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] ttl-rule \"%.80s\": want durations like 30s after '='", text);
    struct wmgw_err e;
    wmgw_err_clear(&e);
    if (wmgw_cache_ttl_rules_add(rules, buf, &ttl, &e) != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] ttl-rule \"%.80s\": %s", text, e.message);
    return 0;
}

/* The first line of the password file (the secret stays out of messages). */
static int read_password(const char *path, char out[MAX_PASSWORD], struct wmgw_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] redis-password-file: cannot open %.200s", path);
    size_t n = fread(out, 1, MAX_PASSWORD - 1, f);
    fclose(f);
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    if (out[0] == '\0')
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] redis-password-file: %.200s is empty", path);
    return 0;
}

/* The cache and its rules from c; both NULL when the store is off. */
static int build(const struct wmgw_config *c, struct wmgw_cache **cache, struct wmgw_cache_ttl_rules **ttl_rules,
                 struct wmgw_err *err)
{
    *cache = NULL;
    *ttl_rules = NULL;
    const char *store = c->cache_store ? c->cache_store : "memory";
    if (strcasecmp(store, "off") == 0)
        return 0;
    struct wmgw_cache_config cc;
    wmgw_cache_config_defaults(&cc);
    if (strcasecmp(store, "redis") == 0)
        cc.store = WMGW_CACHE_STORE_REDIS;
    else if (strcasecmp(store, "memory") != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] store: want memory, redis or off, not \"%.40s\"", store);
    cc.max_bytes = c->cache_memory_limit;
    cc.max_entry_bytes = c->cache_max_entry;
    cc.max_snapshot_bytes = c->cache_max_snapshot;
    if (cc.max_snapshots_bytes < cc.max_snapshot_bytes)
        cc.max_snapshots_bytes = cc.max_snapshot_bytes;
    cc.wait_ms = c->cache_wait_ms;
    cc.redis_address = c->cache_redis && c->cache_redis[0] ? c->cache_redis : NULL;
    cc.sentinels = (const char *const *)c->cache_sentinels;
    cc.nsentinels = c->ncache_sentinels;
    cc.sentinel_master = c->cache_sentinel_master;
    cc.redis_user = c->cache_redis_user && c->cache_redis_user[0] ? c->cache_redis_user : NULL;
    cc.redis_password = c->cache_redis_password && c->cache_redis_password[0] ? c->cache_redis_password : NULL;
    cc.sentinel_password = cc.redis_password;
    cc.redis_db = c->cache_redis_db;
    if (c->cache_prefix != NULL)
        cc.prefix = c->cache_prefix;
    if (cc.store == WMGW_CACHE_STORE_REDIS && cc.redis_address == NULL && cc.nsentinels == 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "[cache] store = redis: set redis = HOST:PORT or sentinel");
    char password[MAX_PASSWORD];
    password[0] = '\0';
    if (c->cache_redis_password_file != NULL && c->cache_redis_password_file[0] != '\0') {
        int rc = read_password(c->cache_redis_password_file, password, err);
        if (rc != 0)
            return rc;
        cc.redis_password = cc.sentinel_password = password;
    }
    struct wmgw_cache_ttl def = {.fresh_ms = c->cache_ttl_ms, .stale_ms = c->cache_stale_ms};
    if ((*ttl_rules = wmgw_cache_ttl_rules_new(&def)) == NULL)
        return WMGW_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < c->ncache_ttl_rules && rc == 0; i++)
        rc = add_ttl_rule(*ttl_rules, c->cache_ttl_rules[i], c->cache_stale_ms, err);
    if (rc == 0)
        rc = wmgw_cache_new(&cc, cache, err);
    explicit_bzero(password, sizeof(password)); /* the cache copied it */
    if (rc != 0) {
        wmgw_cache_ttl_rules_free(*ttl_rules);
        *ttl_rules = NULL;
        *cache = NULL;
    }
    return rc;
}

int wmgw_gateway_cache_init(struct wmgw_gateway *gw, struct wmgw_err *err)
{
    return build(gw->config, &gw->cache, &gw->cache_ttl, err);
}

int wmgw_cache_config_check(const struct wmgw_config *c, struct wmgw_err *err)
{
    struct wmgw_cache *cache;
    struct wmgw_cache_ttl_rules *rules;
    int rc = build(c, &cache, &rules, err);
    if (rc == 0) {
        wmgw_cache_free(cache);
        wmgw_cache_ttl_rules_free(rules);
    }
    return rc;
}

int wmgw_worker_cache_init(struct wmgw_worker *w, struct wmgw_err *err)
{
    if (w->gw->cache == NULL)
        return 0;
    return wmgw_cache_worker_new(w->gw->cache, w->loop, &w->cache, err);
}

void wmgw_gateway_cache_dispose(struct wmgw_gateway *gw)
{
    /* The workers' caches live on their loops, which die with the process
     * (server.c): only the rules are ours to free here. */
    wmgw_cache_ttl_rules_free(gw->cache_ttl);
    gw->cache_ttl = NULL;
}

int wmgw_cache_ready_json(struct wmgw_gateway *gw, struct wmgw_buf *out)
{
    if (gw->cache == NULL)
        return 0;
    struct wmgw_cache_status st;
    wmgw_cache_status(gw->cache, &st);
    int rc = wmgw_buf_printf(out, ",\"cache\":{\"store\":\"%s\",\"state\":\"%s\",\"workersUp\":%u,\"workers\":%u,"
                                  "\"reconnects\":%llu",
                             st.store, wmgw_cache_state_name(st.state), st.workers_up, st.workers,
                             (unsigned long long)st.reconnects);
    if (rc == 0 && st.state != WMGW_CACHE_UP)
        rc = wmgw_buf_addstr(out, ",\"detail\":\"serving uncached until the store is back\"");
    if (rc == 0 && st.last_error[0] != '\0') {
        rc = wmgw_buf_addstr(out, ",\"lastError\":");
        if (rc == 0)
            rc = wmgw_json_write_string(out, st.last_error, strlen(st.last_error));
    }
    return rc ? rc : wmgw_buf_addc(out, '}');
}

int wmgw_cache_metrics_text(struct wmgw_gateway *gw, struct wmgw_buf *out)
{
    if (gw->cache == NULL)
        return 0;
    struct wmgw_cache_status st;
    struct wmgw_cache_stats s;
    wmgw_cache_status(gw->cache, &st);
    wmgw_cache_stats(gw->cache, &s);
    return wmgw_buf_printf(
        out,
        "wmgw_cache_up{store=\"%s\"} %d\n"
        "wmgw_cache_workers_up %u\n"
        "wmgw_cache_reconnects_total %llu\n"
        "wmgw_cache_lookups_total{outcome=\"hit\"} %llu\n"
        "wmgw_cache_lookups_total{outcome=\"miss\"} %llu\n"
        "wmgw_cache_lookups_total{outcome=\"stale\"} %llu\n"
        "wmgw_cache_bypass_total{reason=\"unavailable\"} %llu\n"
        "wmgw_cache_bypass_total{reason=\"wait-timeout\"} %llu\n"
        "wmgw_cache_bypass_total{reason=\"abandoned\"} %llu\n"
        "wmgw_cache_bypass_total{reason=\"busy\"} %llu\n"
        "wmgw_cache_fills_total %llu\n"
        "wmgw_cache_waits_total %llu\n"
        "wmgw_cache_too_large_total %llu\n"
        "wmgw_cache_errors_total %llu\n"
        "wmgw_cache_invalidations_total %llu\n"
        "wmgw_cache_evictions_total %llu\n"
        "wmgw_cache_snapshots_total %llu\n"
        "wmgw_cache_pages_total %llu\n"
        "wmgw_cache_bytes %llu\n"
        "wmgw_cache_entries %llu\n",
        st.store, st.state == WMGW_CACHE_UP, st.workers_up, (unsigned long long)st.reconnects,
        (unsigned long long)s.hits, (unsigned long long)s.misses, (unsigned long long)s.stale,
        (unsigned long long)s.unavailable, (unsigned long long)s.wait_timeouts, (unsigned long long)s.abandoned,
        (unsigned long long)s.busy, (unsigned long long)s.fills, (unsigned long long)s.waits,
        (unsigned long long)s.too_large, (unsigned long long)s.errors, (unsigned long long)s.invalidations,
        (unsigned long long)s.evictions, (unsigned long long)s.snapshots, (unsigned long long)s.pages,
        (unsigned long long)s.bytes, (unsigned long long)s.entries);
}
