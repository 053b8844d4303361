/*
 * cache.c: the process-wide cache object (cache.h): configuration
 * defaults and checks, the choice of store, counters and status, names.
 *
 * The configuration is copied (its strings into one block) so the config
 * layer may free its own; the store chosen here (memory.c or redis.c)
 * gets the copy through c->cfg.
 */
#include "cache/cache_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wmgw_cache_config_defaults(struct wmgw_cache_config *c)
{
    *c = (struct wmgw_cache_config){
        .store = WMGW_CACHE_STORE_MEMORY,
        .max_bytes = (size_t)256 << 20,
        .max_entry_bytes = (size_t)8 << 20,
        .max_snapshot_bytes = (size_t)64 << 20,
        .max_snapshots_bytes = (size_t)256 << 20,
        .max_snapshot_items = 1000000,
        .wait_ms = 10000,
        .max_waiters = 1024,
        .max_flights = 4096,
        .prefix = "wmgw:",
        .command_timeout_ms = 500,
        .connect_timeout_ms = 1000,
        .backoff_min_ms = 100,
        .backoff_max_ms = 5000,
        .lock_ms = 30000,
        .recheck_ms = 500,
        .max_pipeline = 4096,
        .max_reply_bytes = (size_t)80 << 20,
        .max_pending_invalidations = 1024,
    };
}

const char *wmgw_cache_outcome_name(enum wmgw_cache_outcome o)
{
    switch (o) {
    case WMGW_CACHE_HIT:
        return "HIT";
    case WMGW_CACHE_STALE:
        return "STALE";
    case WMGW_CACHE_FILL:
        return "MISS";
    case WMGW_CACHE_BYPASS:
        return "BYPASS";
    }
    return "?";
}

const char *wmgw_cache_reason_name(enum wmgw_cache_reason r)
{
    switch (r) {
    case WMGW_CACHE_REASON_NONE:
        return "none";
    case WMGW_CACHE_REASON_UNAVAILABLE:
        return "unavailable";
    case WMGW_CACHE_REASON_WAIT_TIMEOUT:
        return "wait-timeout";
    case WMGW_CACHE_REASON_ABANDONED:
        return "abandoned";
    case WMGW_CACHE_REASON_BUSY:
        return "busy";
    }
    return "?";
}

const char *wmgw_cache_state_name(enum wmgw_cache_state s)
{
    switch (s) {
    case WMGW_CACHE_UP:
        return "up";
    case WMGW_CACHE_CONNECTING:
        return "connecting";
    case WMGW_CACHE_DOWN:
        return "down";
    }
    return "?";
}

/* --- configuration ---------------------------------------------------------------- */

static int check(const struct wmgw_cache_config *c, struct wmgw_err *err)
{
#define NEED(cond, ...)                                                                                      \
    do {                                                                                                     \
        if (!(cond))                                                                                         \
            return wmgw_err_set(err, WMGW_ECONFIG, __VA_ARGS__);                                             \
    } while (0)
    NEED(c->store == WMGW_CACHE_STORE_MEMORY || c->store == WMGW_CACHE_STORE_REDIS, "cache: unknown store");
    NEED(c->max_entry_bytes > 0 && c->max_entry_bytes <= ((size_t)512 << 20),
         "cache: max-entry-size must be 1 byte to 512 MiB");
    NEED(c->store != WMGW_CACHE_STORE_MEMORY || c->max_bytes >= ((size_t)64 << 10),
         "cache: max-size must be at least 64 KiB");
    NEED(c->store != WMGW_CACHE_STORE_MEMORY || c->max_entry_bytes <= c->max_bytes,
         "cache: max-entry-size is larger than max-size");
    NEED(c->max_snapshot_bytes > 0 && c->max_snapshot_items > 0, "cache: snapshot limits must not be 0");
    NEED(c->wait_ms > 0 && c->max_waiters > 0 && c->max_flights > 0, "cache: wait limits must not be 0");
    if (c->store == WMGW_CACHE_STORE_REDIS) {
        bool sentinel = c->nsentinels > 0;
        NEED(sentinel != (c->redis_address != NULL && c->redis_address[0] != '\0'),
             "cache: Redis needs either an address or sentinels (not both)");
        NEED(!sentinel || (c->sentinel_master != NULL && c->sentinel_master[0] != '\0'),
             "cache: sentinels need a master name");
        NEED(c->nsentinels <= 16, "cache: at most 16 sentinels");
        NEED(c->command_timeout_ms > 0 && c->connect_timeout_ms > 0, "cache: Redis timeouts must not be 0");
        NEED(c->backoff_min_ms > 0 && c->backoff_max_ms >= c->backoff_min_ms, "cache: bad Redis back-off");
        NEED(c->lock_ms > 0 && c->recheck_ms > 0, "cache: lock and re-check times must not be 0");
        NEED(c->max_pipeline > 0, "cache: max-pipeline must not be 0");
        NEED(c->max_reply_bytes >= c->max_entry_bytes + 4096, "cache: max-reply-size below max-entry-size");
        size_t n = c->prefix ? strlen(c->prefix) : 0;
        NEED(n <= 64, "cache: the Redis key prefix is longer than 64 bytes");
        for (size_t i = 0; i < n; i++)
            NEED(c->prefix[i] > ' ' && c->prefix[i] < 127, "cache: the Redis key prefix must be printable ASCII");
    }
    return 0;
#undef NEED
}

/* Copies the strings of src into one block that dst's pointers use. */
static int copy_config(struct wmgw_cache *c, const struct wmgw_cache_config *src)
{
    const char *const *fields[] = {&src->redis_address, &src->sentinel_master, &src->redis_user,
                                   &src->redis_password, &src->sentinel_password, &src->prefix};
    const char **dfields[] = {&c->cfg.redis_address, &c->cfg.sentinel_master, &c->cfg.redis_user,
                              &c->cfg.redis_password, &c->cfg.sentinel_password, &c->cfg.prefix};
    size_t nf = sizeof(fields) / sizeof(fields[0]);
    size_t total = (src->nsentinels + 1) * sizeof(char *);
    for (size_t i = 0; i < nf; i++)
        total += *fields[i] ? strlen(*fields[i]) + 1 : 0;
    for (size_t i = 0; i < src->nsentinels; i++)
        total += strlen(src->sentinels[i]) + 1;
    c->cfg = *src;
    c->strings = malloc(total);
    if (c->strings == NULL)
        return WMGW_ENOMEM;
    const char **list = (const char **)c->strings;
    char *p = c->strings + (src->nsentinels + 1) * sizeof(char *);
    for (size_t i = 0; i < nf; i++) {
        if (*fields[i] == NULL)
            continue;
        size_t n = strlen(*fields[i]) + 1;
        memcpy(p, *fields[i], n);
        *dfields[i] = p;
        p += n;
    }
    for (size_t i = 0; i < src->nsentinels; i++) {
        size_t n = strlen(src->sentinels[i]) + 1;
        memcpy(p, src->sentinels[i], n);
        list[i] = p;
        p += n;
    }
    list[src->nsentinels] = NULL;
    c->cfg.sentinels = list;
    if (c->cfg.prefix == NULL)
        c->cfg.prefix = "";
    return 0;
}

int wmgw_cache_new(const struct wmgw_cache_config *cfg, struct wmgw_cache **out, struct wmgw_err *err)
{
    int rc = check(cfg, err);
    if (rc != 0)
        return rc;
    struct wmgw_cache *c = calloc(1, sizeof(*c));
    if (c == NULL || copy_config(c, cfg) != 0) {
        free(c);
        return wmgw_err_set(err, WMGW_ENOMEM, "cache: out of memory");
    }
    c->ops = cfg->store == WMGW_CACHE_STORE_REDIS ? &wmgw__store_redis : &wmgw__store_memory;
    pthread_mutex_init(&c->lock, NULL);
    h2o_linklist_init_anchor(&c->workers);
    rc = c->ops->open(c, err);
    if (rc != 0) {
        pthread_mutex_destroy(&c->lock);
        free(c->strings);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void wmgw_cache_free(struct wmgw_cache *c)
{
    if (c == NULL)
        return;
    c->ops->close(c);
    pthread_mutex_destroy(&c->lock);
    free(c->strings);
    free(c);
}

/* --- state and counters --------------------------------------------------------------- */

void wmgw_cache_status(struct wmgw_cache *c, struct wmgw_cache_status *out)
{
    memset(out, 0, sizeof(*out));
    out->store = c->ops->name;
    out->state = WMGW_CACHE_UP;
    pthread_mutex_lock(&c->lock);
    out->reconnects = c->reconnects_gone;
    for (h2o_linklist_t *n = c->workers.next; n != &c->workers; n = n->next) {
        struct wmgw_cache_worker *w = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_worker, link, n);
        out->workers++;
        if (w->wstate.state == WMGW_CACHE_UP)
            out->workers_up++;
        if (w->wstate.state > out->state)
            out->state = w->wstate.state;
        out->reconnects += w->wstate.reconnects;
        if (out->master[0] == '\0' && w->wstate.master[0] != '\0')
            snprintf(out->master, sizeof(out->master), "%s", w->wstate.master);
    }
    snprintf(out->last_error, sizeof(out->last_error), "%s", c->last_error);
    c->ops->status(c, out);
    pthread_mutex_unlock(&c->lock);
}

void wmgw_cache_stats(struct wmgw_cache *c, struct wmgw_cache_stats *out)
{
#define LOAD(f) out->f = atomic_load_explicit(&c->n.f, memory_order_relaxed)
    memset(out, 0, sizeof(*out));
    LOAD(hits);
    LOAD(misses);
    LOAD(stale);
    LOAD(fills);
    LOAD(waits);
    LOAD(too_large);
    LOAD(errors);
    LOAD(unavailable);
    LOAD(wait_timeouts);
    LOAD(abandoned);
    LOAD(busy);
    LOAD(invalidations);
    LOAD(evictions);
    LOAD(snapshots);
    LOAD(pages);
#undef LOAD
    c->ops->stats(c, out);
}
