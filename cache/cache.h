/*
 * cache.h: wmgw's answer cache, one interface over two stores.
 *
 * Dashboards ask the same questions of the same hosts again and again, and
 * Windows hosts are slow and limit concurrent operations per user, so the
 * gateway keeps the JSON it sent and answers repeats from it (design.md,
 * "Cache").  Two stores sit behind this one interface:
 *
 *   memory  the default: an LRU bounded by configured bytes (keys, values
 *           and overheads counted), in this process, shared by its worker
 *           threads;
 *   redis   one Redis (or a Sentinel-managed master) shared by every
 *           replica of the gateway, spoken to asynchronously on each
 *           worker's h2o loop; Redis down means slower, never wrong or
 *           failing: every operation then completes at once as
 *           "unavailable" and the caller serves uncached.
 *
 * OBJECTS AND THREADS
 *   struct wmgw_cache         one per process, built from the config;
 *                             stats and status may be read from any thread.
 *   struct wmgw_cache_worker  one per worker thread, bound to that thread's
 *                             h2o evloop.  Create it before the loop runs
 *                             (or on its thread); every other call on it,
 *                             and on the ops, fills and snapshots it hands
 *                             out, happens on the loop's thread, and every
 *                             callback is called there.
 *
 * CALLBACKS
 *   An asynchronous call that returns 0 calls its callback exactly once,
 *   later, from the loop (never from inside the call), unless the op is
 *   cancelled first; one that returns an error never calls it (libuv's
 *   rule).  A callback may call anything here, including cancel on other
 *   ops and free of what it was handed.
 *
 * A LOOKUP, FROM THE GATEWAY'S SIDE
 *   wmgw_cache_get(key) answers one of:
 *     HIT     value: the fresh answer; send it.
 *     STALE   value: past fresh but within its stale window while another
 *             caller refreshes it; send it (Age/Warning are the caller's).
 *     FILL    you are the one caller that goes to the backend for this key
 *             (single flight: other callers in this process, and with Redis
 *             in every replica, wait for you).  Stream the answer to your
 *             client and into the fill (wmgw_cache_fill_append), then
 *             commit it, or abandon it if the backend failed
 *             (wmgw_cache_fill_stale gives the old value for
 *             stale-if-error).  Exactly one of commit/abandon, always.
 *     BYPASS  go to the backend yourself and do not fill; `reason` says why
 *             (store unavailable, waited too long, the filler abandoned,
 *             limits reached).  Never an error for the client.
 *
 * KEYS
 *   Everything that can change an answer is in the key (struct
 *   wmgw_cache_key): host, namespace, kind, class or query text, selected
 *   properties, other parameters, and the backend credential that served
 *   it, so callers mapped to different credentials never share an entry.
 *   The fields go through an unambiguous length-prefixed encoding and
 *   SHA-256; the stored key keeps the host readable:
 *       <prefix>e:<host>:<generation>:<40 hex digits>
 *   The generation is per host and bumped by wmgw_cache_invalidate (a
 *   write through the gateway): O(1), and with Redis it works across
 *   replicas because every replica reads it in the same round trip as the
 *   entry.
 *
 * MEMORY
 *   Values are refcounted immutable bytes: a hit hands the stored bytes to
 *   the caller without copying them (memory store) or as the bytes the
 *   Redis reply was read into (Redis store); keep the value while h2o sends
 *   it and unref it after.  Every queue has a bound: waiters per key, keys
 *   in flight, commands per connection, reply and snapshot sizes.
 */
#ifndef WMGW_CACHE_CACHE_H
#define WMGW_CACHE_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct st_h2o_evloop_t;
struct wmgw_err;

struct wmgw_cache;
struct wmgw_cache_worker;
struct wmgw_cache_op;       /* a pending get, invalidation or page read */
struct wmgw_cache_fill;     /* the right and duty to fill one key */
struct wmgw_cache_snapshot; /* a snapshot being written */

/* --- configuration ------------------------------------------------------------ */

enum wmgw_cache_store {
    WMGW_CACHE_STORE_MEMORY,
    WMGW_CACHE_STORE_REDIS,
};

struct wmgw_cache_config {
    enum wmgw_cache_store store;
    size_t max_bytes;           /* memory: the LRU's bound, keys and overheads included */
    size_t max_entry_bytes;     /* a value larger than this is not stored */
    size_t max_snapshot_bytes;  /* one snapshot's items together */
    size_t max_snapshots_bytes; /* memory: every snapshot together */
    unsigned max_snapshot_items;
    unsigned wait_ms;           /* how long a caller waits for another's fill */
    unsigned max_waiters;       /* callers waiting on one key (per worker with Redis) */
    unsigned max_flights;       /* keys being looked up or filled at once (per worker with Redis) */
    /* Redis: either address, or sentinels with sentinel_master. */
    const char *redis_address;  /* "host:port" (names resolved once, at wmgw_cache_new) */
    const char *const *sentinels; /* "host:port" each */
    size_t nsentinels;
    const char *sentinel_master;
    const char *redis_user;     /* ACL user, or NULL */
    const char *redis_password; /* AUTH, or NULL */
    const char *sentinel_password;
    unsigned redis_db;
    const char *prefix;         /* of every Redis key; "wmgw:" */
    unsigned command_timeout_ms;  /* deadline of every Redis command */
    unsigned connect_timeout_ms;
    unsigned backoff_min_ms;    /* reconnect: exponential from here, with jitter */
    unsigned backoff_max_ms;
    unsigned lock_ms;           /* a fill lock's life: a dead filler's lock expires */
    unsigned recheck_ms;        /* waiters look again this often if no PUBLISH came */
    unsigned max_pipeline;      /* commands queued on one connection */
    size_t max_reply_bytes;     /* largest Redis reply accepted */
    unsigned max_pending_invalidations; /* hosts remembered while Redis is down */
};

/* Fills c with the defaults: memory store, 256 MiB, 8 MiB entries, ... */
void wmgw_cache_config_defaults(struct wmgw_cache_config *c);

/* --- the cache and its workers ------------------------------------------------ */

/* Checks cfg (WMGW_ECONFIG with detail) and builds the cache; Redis
 * addresses are resolved here.  cfg's strings are copied. */
int wmgw_cache_new(const struct wmgw_cache_config *cfg, struct wmgw_cache **out, struct wmgw_err *err);
/* After every worker has been freed. */
void wmgw_cache_free(struct wmgw_cache *c);

/* A worker's handle on the cache, bound to loop (see the top of this file).
 * With Redis it starts connecting at once. */
int wmgw_cache_worker_new(struct wmgw_cache *c, struct st_h2o_evloop_t *loop, struct wmgw_cache_worker **out,
                          struct wmgw_err *err);
/* On the loop's thread, once every fill and snapshot it handed out has been
 * committed or abandoned; pending ops are cancelled (no callbacks). */
void wmgw_cache_worker_free(struct wmgw_cache_worker *w);

/* --- keys ---------------------------------------------------------------------- */

enum wmgw_cache_kind {
    WMGW_CACHE_INSTANCE,    /* one instance */
    WMGW_CACHE_ENUMERATION, /* a class's instances */
    WMGW_CACHE_QUERY,       /* a WQL query */
    WMGW_CACHE_ASSOCIATORS,
    WMGW_CACHE_REFERENCES,
    WMGW_CACHE_CLASS,       /* a class's schema */
    WMGW_CACHE_OTHER,
};
const char *wmgw_cache_kind_name(enum wmgw_cache_kind k); /* "enumeration" */

/* The key of an answer.  A NULL string is the empty string; nprops == 0
 * means every property.  Lists are taken in the caller's order (the gateway
 * passes them as the request gave them: a different order is a different
 * key, never a wrong answer). */
struct wmgw_cache_key {
    const char *host;       /* the host's name in the API (readable in the key) */
    const char *ns;         /* "root/cimv2" */
    enum wmgw_cache_kind kind;
    const char *target;     /* class name, query text, or instance keys */
    const char *const *props;
    size_t nprops;
    const char *const *params; /* anything else that shapes the answer, "name=value" each */
    size_t nparams;
    const char *credential; /* id of the backend credential that serves it; never a secret */
};

#define WMGW_CACHE_HOST_MAX 255    /* a host name's length */
#define WMGW_CACHE_FIELD_MAX 65536 /* any other field's length */
#define WMGW_CACHE_LIST_MAX 1024   /* properties or parameters */
#define WMGW_CACHE_DIGEST_HEX 40   /* hex digits of a key's digest */

/* --- values -------------------------------------------------------------------- */

/* Immutable bytes with a thread-safe reference count.  Read data and len;
 * the rest is private. */
struct wmgw_cache_value {
    const char *data;
    size_t len;
    atomic_uint _refs;
    void *_owner; /* what holds the bytes (a Redis reply), or NULL */
};
struct wmgw_cache_value *wmgw_cache_value_ref(struct wmgw_cache_value *v);
void wmgw_cache_value_unref(struct wmgw_cache_value *v); /* NULL is fine */

/* --- lookups -------------------------------------------------------------------- */

enum wmgw_cache_outcome {
    WMGW_CACHE_HIT,
    WMGW_CACHE_STALE,
    WMGW_CACHE_FILL,
    WMGW_CACHE_BYPASS,
};

enum wmgw_cache_reason {          /* why BYPASS */
    WMGW_CACHE_REASON_NONE,
    WMGW_CACHE_REASON_UNAVAILABLE, /* the store is down or did not answer in time */
    WMGW_CACHE_REASON_WAIT_TIMEOUT,/* waited wait_ms for another's fill */
    WMGW_CACHE_REASON_ABANDONED,   /* the filler gave up (backend error, answer too large) */
    WMGW_CACHE_REASON_BUSY,        /* too many waiters or keys in flight */
};

const char *wmgw_cache_outcome_name(enum wmgw_cache_outcome o); /* "HIT", for X-Cache */
const char *wmgw_cache_reason_name(enum wmgw_cache_reason r);   /* "unavailable" */

struct wmgw_cache_result {
    enum wmgw_cache_outcome outcome;
    enum wmgw_cache_reason reason;
    struct wmgw_cache_value *value; /* HIT, STALE: a reference the callback owns */
    struct wmgw_cache_fill *fill;   /* FILL: commit or abandon it, exactly once */
    uint64_t age_ms;                /* HIT, STALE: how long ago it was stored (0 if unknown) */
};

typedef void (*wmgw_cache_get_cb)(void *data, struct wmgw_cache_result *res);

enum {
    /* Cache-Control: no-cache or ?fresh=true: do not answer from a stored
     * value (a fill already running is newer than the request and is
     * waited for), and fill as usual. */
    WMGW_CACHE_GET_FRESH = 1,
};

/* Looks key up.  0: cb will be called (see CALLBACKS) and *op is the
 * handle for cancelling (may be NULL if not wanted).  WMGW_EINVAL for a key
 * over the limits, WMGW_ENOMEM: no callback; serve uncached. */
int wmgw_cache_get(struct wmgw_cache_worker *w, const struct wmgw_cache_key *key, unsigned flags,
                   wmgw_cache_get_cb cb, void *data, struct wmgw_cache_op **op);

/* Forgets a pending op (the request went away): its callback will not be
 * called and op is freed.  Only before the callback ran. */
void wmgw_cache_op_cancel(struct wmgw_cache_op *op);

/* --- filling ------------------------------------------------------------------- */

/* How long an answer stays. */
struct wmgw_cache_ttl {
    unsigned fresh_ms; /* served as HIT this long; 0: do not store */
    unsigned stale_ms; /* then served as STALE (or for stale-if-error) this long */
};

/* Appends the next bytes of the answer.  WMGW_ETOOBIG once the answer
 * passes max_entry_bytes: the fill is then abandoned at once (waiters go to
 * the backend themselves) and further appends are ignored; the request
 * itself goes on.  Commit or abandon f afterwards as usual. */
int wmgw_cache_fill_append(struct wmgw_cache_fill *f, const void *p, size_t n);
/* Stores what was appended with ttl and hands it to the waiters; frees f. */
void wmgw_cache_fill_commit(struct wmgw_cache_fill *f, const struct wmgw_cache_ttl *ttl);
/* The backend failed (or the request went away): waiters go to the backend
 * themselves; frees f. */
void wmgw_cache_fill_abandon(struct wmgw_cache_fill *f);
/* stale-if-error: the value this key had past its freshness (within its
 * stale window) when the fill began, as a new reference, or NULL. */
struct wmgw_cache_value *wmgw_cache_fill_stale(struct wmgw_cache_fill *f);

/* --- invalidation -------------------------------------------------------------- */

/* status: 0, or WMGW_ERETRY when the store was unavailable (with Redis the
 * host is remembered and invalidated on reconnection). */
typedef void (*wmgw_cache_done_cb)(void *data, int status);

/* A write went through to host: nothing cached for it before now is served
 * again (its generation changes).  Answer the write after cb, so the
 * caller's next read cannot see the old answer.  cb may be NULL. */
int wmgw_cache_invalidate(struct wmgw_cache_worker *w, const char *host, wmgw_cache_done_cb cb, void *data,
                          struct wmgw_cache_op **op);

/* --- snapshots for paging -------------------------------------------------------- */

/* An enumeration kept as a sequence of items, read back by page from any
 * replica (Redis) or any worker (memory), so a cursor begun on one
 * continues on another.  The id is random (128 bits, 32 hex digits) and
 * goes into the gateway's signed cursor. */
#define WMGW_CACHE_SNAPSHOT_ID_LEN 32

/* Begins a snapshot living ttl_ms after its last write. */
int wmgw_cache_snapshot_begin(struct wmgw_cache_worker *w, unsigned ttl_ms, struct wmgw_cache_snapshot **out,
                              char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1]);
/* Appends one item (copied).  WMGW_ETOOBIG past max_snapshot_bytes or
 * max_snapshot_items, WMGW_ERETRY if the store failed: the snapshot is
 * then abandoned and further appends are ignored. */
int wmgw_cache_snapshot_append(struct wmgw_cache_snapshot *s, const void *item, size_t n);
/* The last item is in: readers see the snapshot complete.  Frees s. */
void wmgw_cache_snapshot_commit(struct wmgw_cache_snapshot *s);
/* Drops it (readers get WMGW_ENOTFOUND).  Frees s. */
void wmgw_cache_snapshot_abandon(struct wmgw_cache_snapshot *s);

struct wmgw_cache_bytes {
    const char *data;
    size_t len;
};

struct wmgw_cache_page {
    size_t nitems;
    const struct wmgw_cache_bytes *items; /* items [offset, offset + nitems) */
    bool complete;  /* the snapshot was committed: total is final */
    size_t total;   /* items in a complete snapshot */
};
/* Frees a page handed to a wmgw_cache_page_cb. */
void wmgw_cache_page_free(struct wmgw_cache_page *p);

/* status 0 with a page the callback owns; WMGW_ENOTFOUND (no such
 * snapshot: never existed, expired or abandoned); WMGW_ERETRY (store
 * unavailable).  A snapshot still being written gives the items it has
 * so far (complete false): possibly fewer than asked, possibly none. */
typedef void (*wmgw_cache_page_cb)(void *data, int status, struct wmgw_cache_page *page);

int wmgw_cache_snapshot_read(struct wmgw_cache_worker *w, const char *id, size_t offset, size_t count,
                             wmgw_cache_page_cb cb, void *data, struct wmgw_cache_op **op);

/* --- state and counters (any thread) --------------------------------------------- */

enum wmgw_cache_state {
    WMGW_CACHE_UP,
    WMGW_CACHE_CONNECTING,
    WMGW_CACHE_DOWN,
};
const char *wmgw_cache_state_name(enum wmgw_cache_state s); /* "up" */

struct wmgw_cache_status {
    const char *store;         /* "memory" or "redis" */
    enum wmgw_cache_state state; /* the worst of the workers' connections */
    unsigned workers_up, workers;
    char last_error[160];      /* the latest connection error, "" if none */
    char master[64];           /* "ip:port" of the Redis in use, "" if none */
    uint64_t reconnects;       /* connections re-established after a loss */
};
void wmgw_cache_status(struct wmgw_cache *c, struct wmgw_cache_status *out);

struct wmgw_cache_stats {
    uint64_t hits, misses, stale; /* outcomes HIT, FILL, STALE */
    uint64_t fills;               /* answers stored */
    uint64_t waits;               /* lookups that waited for another's fill */
    uint64_t too_large;           /* answers not stored for their size */
    uint64_t errors;              /* store operations that failed */
    uint64_t unavailable, wait_timeouts, abandoned, busy; /* BYPASS by reason */
    uint64_t invalidations, evictions;
    uint64_t snapshots, pages;    /* snapshots committed, pages read */
    uint64_t bytes, entries;      /* memory store: what the LRU holds */
};
void wmgw_cache_stats(struct wmgw_cache *c, struct wmgw_cache_stats *out);

/* --- TTL rules ----------------------------------------------------------------- */

/* "namespace-glob:class-glob" → TTL, first match wins, default otherwise.
 * Globs take '*' and '?', compare without case (CIM names do not have
 * case), and '\' in namespaces matches '/'.  The config layer adds rules
 * in file order. */
struct wmgw_cache_ttl_rules;
struct wmgw_cache_ttl_rules *wmgw_cache_ttl_rules_new(const struct wmgw_cache_ttl *fallback);
void wmgw_cache_ttl_rules_free(struct wmgw_cache_ttl_rules *r);
/* WMGW_EINVAL for a pattern without ':' or longer than 512, WMGW_ETOOBIG
 * past 256 rules. */
int wmgw_cache_ttl_rules_add(struct wmgw_cache_ttl_rules *r, const char *pattern, const struct wmgw_cache_ttl *ttl,
                             struct wmgw_err *err);
/* The TTL of an answer about class (NULL or "" for a query: matched as "")
 * in ns. */
struct wmgw_cache_ttl wmgw_cache_ttl_find(const struct wmgw_cache_ttl_rules *r, const char *ns, const char *cls);

#endif
