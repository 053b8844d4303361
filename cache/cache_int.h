/*
 * cache_int.h: what the files of cache/ share and nobody else sees.
 *
 *   the store interface   struct wmgw__store_ops: one const instance per
 *                         store (memory.c, redis.c), curl-style; cache.c
 *                         and worker.c dispatch to it
 *   the process object    struct wmgw_cache (config copy, counters,
 *                         workers' connection states)
 *   the worker            struct wmgw_cache_worker: its loop, its timers,
 *                         the queue of ops whose callbacks are due
 *   ops, fills, snapshots the objects cache.h hands out
 *
 * Ownership: the cache owns the store's process-wide state and knows its
 * workers; a worker owns its timers, its store state and every op created
 * on it until the op's callback has run or it is cancelled.  An op is in
 * exactly one place: inside the store (phase STORE: a store list or a
 * command in flight) or on the worker's ready queue (phase READY).
 */
#ifndef WMGW_CACHE_CACHE_INT_H
#define WMGW_CACHE_CACHE_INT_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0 /* Debian builds libh2o-evloop without libuv */
#endif
#include <h2o/linklist.h>
#include <h2o/socket.h>
#include <h2o/timeout.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "util/buf.h"

struct wmgw_buf;
struct wmgw_err;

/* --- randomness (random.c) --------------------------------------------------------- */

/* Unpredictable bytes (getrandom, OpenSSL as fallback). */
void wmgw__cache_random(void *p, size_t n);
/* n random bytes as 2n lower-case hex digits and a NUL. */
void wmgw__cache_random_hex(char *out, size_t nbytes);

/* --- timers of any duration (timer.c) ---------------------------------------------- */

/* h2o 2.2.5 fixes one duration per h2o_timeout_t; a wmgw__timer waits any
 * number of milliseconds by hopping through power-of-two timeouts (at most
 * one hop per bit of the delay). */
#define WMGW__TIMER_POWERS 18 /* 1 ms .. 131 s per hop */

/* Wall-clock milliseconds: entries' times are compared across replicas. */
uint64_t wmgw__cache_now_ms(void);

struct wmgw__timers {
    h2o_evloop_t *loop;
    h2o_timeout_t zero; /* the next turn of the loop */
    h2o_timeout_t pow2[WMGW__TIMER_POWERS];
};

struct wmgw__timer;
typedef void (*wmgw__timer_cb)(struct wmgw__timer *t);

struct wmgw__timer {
    h2o_timeout_entry_t entry;
    struct wmgw__timers *timers;
    uint64_t due; /* loop time (ms) it fires at */
    wmgw__timer_cb cb;
};

void wmgw__timers_init(struct wmgw__timers *t, h2o_evloop_t *loop);
void wmgw__timers_dispose(struct wmgw__timers *t);
void wmgw__timer_init(struct wmgw__timer *tm, struct wmgw__timers *t, wmgw__timer_cb cb);
/* (Re)arms tm to fire ms from now (0: the next turn of the loop). */
void wmgw__timer_start(struct wmgw__timer *tm, uint64_t ms);
void wmgw__timer_stop(struct wmgw__timer *tm);
bool wmgw__timer_active(const struct wmgw__timer *tm);

/* --- a string-keyed intrusive hash table (table.c) ----------------------------------- */

struct wmgw__tnode {
    struct wmgw__tnode *next;
    uint64_t hash;
    const char *key; /* set by the owner, lives as long as the node */
    size_t klen;
};

struct wmgw__table {
    struct wmgw__tnode **buckets;
    size_t nbuckets; /* a power of two, or 0 */
    size_t count;
};

void wmgw__table_init(struct wmgw__table *t);
void wmgw__table_dispose(struct wmgw__table *t); /* the bucket array only */
struct wmgw__tnode *wmgw__table_find(const struct wmgw__table *t, const char *key, size_t klen);
/* Links n (key set, not present yet); grows the table when it can. */
void wmgw__table_insert(struct wmgw__table *t, struct wmgw__tnode *n);
void wmgw__table_remove(struct wmgw__table *t, struct wmgw__tnode *n);
/* Bytes the bucket array takes (the LRU counts it). */
size_t wmgw__table_bytes(const struct wmgw__table *t);
/* Any node (for emptying a table), or NULL. */
struct wmgw__tnode *wmgw__table_any(const struct wmgw__table *t);

/* --- keys (key.c) ----------------------------------------------------------------- */

/* A key reduced to what stores need: the escaped host and the digest of
 * every field.  The generation is the store's to add. */
struct wmgw__ckey {
    char host[WMGW_CACHE_HOST_MAX * 3 + 1]; /* [A-Za-z0-9._-] kept, the rest %XX */
    char digest[WMGW_CACHE_DIGEST_HEX + 1];
};

/* The unambiguous encoding of k (version byte, then each field as a 32-bit
 * big-endian length and its bytes, lists as a count then their strings).
 * WMGW_EINVAL over the limits (cache.h). */
int wmgw__key_encode(const struct wmgw_cache_key *k, struct wmgw_buf *out, struct wmgw_err *err);
/* Encodes, hashes and escapes k. */
int wmgw__key_make(const struct wmgw_cache_key *k, struct wmgw__ckey *out, struct wmgw_err *err);
/* host escaped for a key; WMGW_EINVAL if empty or over WMGW_CACHE_HOST_MAX. */
int wmgw__key_host(const char *host, char out[WMGW_CACHE_HOST_MAX * 3 + 1], struct wmgw_err *err);

/* A decoded key, its strings pointing into the encoding (tests, fuzzing). */
struct wmgw__key_view {
    struct wmgw_cache_bytes host, ns, target, credential;
    unsigned kind;
    size_t nprops, nparams;
    struct wmgw_cache_bytes props[WMGW_CACHE_LIST_MAX], params[WMGW_CACHE_LIST_MAX];
};
/* Decodes what wmgw__key_encode wrote; WMGW_EINVAL with the position for
 * anything else. */
int wmgw__key_decode(const void *p, size_t n, struct wmgw__key_view *out, struct wmgw_err *err);

/* --- stored entries (entry.c) --------------------------------------------------------- */

/* A Redis entry is a text header and the value's bytes:
 *     "c1 <stored-ms> <fresh-until-ms> <stale-until-ms>\n" value
 * (decimal, no leading zeros); the lookup script reads fresh-until with a
 * Lua pattern, so the header stays text. */
#define WMGW__ENTRY_HEADER_MAX 64

struct wmgw__entry_header {
    uint64_t stored_ms, fresh_until_ms, stale_until_ms;
};

/* Writes the header (no NUL) and returns its length. */
size_t wmgw__entry_header_format(const struct wmgw__entry_header *h, char out[WMGW__ENTRY_HEADER_MAX]);
/* Reads the header of an entry; *body is where the value starts.
 * WMGW_EINVAL with the position for anything malformed. */
int wmgw__entry_parse(const char *p, size_t n, struct wmgw__entry_header *h, size_t *body,
                      struct wmgw_err *err);

/* --- values (value.c) -------------------------------------------------------------- */

struct wmgw_cache_value *wmgw__value_copy(const void *p, size_t n);
/* Takes data (malloc'd); NULL on failure (data is then freed). */
struct wmgw_cache_value *wmgw__value_adopt(char *data, size_t n);
/* Bytes inside a Redis reply tree; the value holds root (takes it). */
struct wmgw_cache_value *wmgw__value_in_reply(void *root, const char *p, size_t n);

/* A page and what holds its bytes. */
struct wmgw__page {
    struct wmgw_cache_page pub;
    void *reply;                      /* a Redis reply tree, or NULL */
    size_t nvalues;
    struct wmgw_cache_value **values; /* memory store: references */
    struct wmgw_cache_bytes items[];
};
struct wmgw__page *wmgw__page_new(size_t nitems);

/* --- the store interface ------------------------------------------------------------ */

struct wmgw_cache_fill;
struct wmgw_cache_snapshot;

struct wmgw__store_ops {
    const char *name;
    int (*open)(struct wmgw_cache *c, struct wmgw_err *err);
    void (*close)(struct wmgw_cache *c);
    int (*worker_open)(struct wmgw_cache_worker *w, struct wmgw_err *err);
    void (*worker_close)(struct wmgw_cache_worker *w);
    /* Starts a GET op (key made); resolves it later with wmgw__op_ready. */
    void (*get)(struct wmgw_cache_op *op);
    /* Takes a phase-STORE op out of the store: true, or false when it was
     * made ready meanwhile (by another thread). */
    bool (*cancel)(struct wmgw_cache_op *op);
    /* v holds what was appended (NULL: nothing to store); the store hands
     * it to the waiters.  Both take f's flight; f is freed by the caller. */
    void (*fill_commit)(struct wmgw_cache_fill *f, struct wmgw_cache_value *v, const struct wmgw_cache_ttl *ttl);
    void (*fill_abandon)(struct wmgw_cache_fill *f);
    void (*invalidate)(struct wmgw_cache_op *op);
    int (*snapshot_begin)(struct wmgw_cache_snapshot *s);
    int (*snapshot_append)(struct wmgw_cache_snapshot *s, const void *item, size_t n);
    /* Ends s (commit or not); the store frees s when it is done with it. */
    void (*snapshot_end)(struct wmgw_cache_snapshot *s, bool commit);
    void (*page)(struct wmgw_cache_op *op);
    /* Fills the store's part of the status (c->lock held) and stats. */
    void (*status)(struct wmgw_cache *c, struct wmgw_cache_status *out);
    void (*stats)(struct wmgw_cache *c, struct wmgw_cache_stats *out);
};

extern const struct wmgw__store_ops wmgw__store_memory;
extern const struct wmgw__store_ops wmgw__store_redis;

/* --- the cache --------------------------------------------------------------------- */

struct wmgw__counters {
    atomic_uint_fast64_t hits, misses, stale, fills, waits, too_large, errors;
    atomic_uint_fast64_t unavailable, wait_timeouts, abandoned, busy;
    atomic_uint_fast64_t invalidations, evictions, snapshots, pages;
};
#define WMGW__COUNT(c, field) atomic_fetch_add_explicit(&(c)->n.field, 1, memory_order_relaxed)

struct wmgw_cache {
    struct wmgw_cache_config cfg; /* strings point into strings[] */
    char *strings;                /* one block with every copied string */
    const struct wmgw__store_ops *ops;
    void *store;                  /* the store's process-wide state */
    struct wmgw__counters n;
    pthread_mutex_t lock;         /* workers and their connection states */
    h2o_linklist_t workers;
    uint64_t reconnects_gone;     /* reconnects of freed workers */
    char last_error[160];         /* the latest any worker saw */
};

/* A worker's connection state, as /readyz shows it (c->lock). */
struct wmgw__wstate {
    enum wmgw_cache_state state;
    uint64_t reconnects;
    char error[160];
    char master[64];
};

struct wmgw_cache_worker {
    struct wmgw_cache *c;
    h2o_evloop_t *loop;
    struct wmgw__timers timers;
    /* ops whose callbacks are due: filled by this thread, or by another
     * worker's thread (memory store) which then pokes the eventfd */
    pthread_mutex_t ready_lock;
    h2o_linklist_t ready;
    h2o_timeout_entry_t ready_soon; /* on timers.zero */
    h2o_socket_t *wake;             /* eventfd, polled by the loop */
    int wake_fd;                    /* the same, for other threads */
    h2o_linklist_t link;            /* in c->workers */
    struct wmgw__wstate wstate;     /* c->lock */
    void *store;                    /* the store's per-worker state */
};

/* Records the worker's connection state (any store). */
void wmgw__worker_set_state(struct wmgw_cache_worker *w, enum wmgw_cache_state s, const char *error,
                            const char *master, bool reconnected);

/* --- ops ----------------------------------------------------------------------------- */

enum wmgw__op_type {
    WMGW__OP_GET,
    WMGW__OP_INVALIDATE,
    WMGW__OP_PAGE,
};

enum wmgw__op_phase {
    WMGW__OP_STORE, /* the store has it */
    WMGW__OP_READY, /* on w->ready, its result set */
};

struct wmgw_cache_op {
    struct wmgw_cache_worker *w;
    enum wmgw__op_type type;
    atomic_int phase;         /* enum wmgw__op_phase; another worker may set READY */
    union {
        wmgw_cache_get_cb get;
        wmgw_cache_done_cb done;
        wmgw_cache_page_cb page;
    } cb;
    void *data;
    h2o_linklist_t link;      /* in a store's list (STORE) or w->ready (READY) */
    struct wmgw__timer timer; /* the store's: a waiter's deadline */
    void *flight;             /* the store's: what the op waits on */
    /* GET */
    unsigned flags;
    struct wmgw__ckey key;    /* host also for INVALIDATE */
    struct wmgw_cache_result res;
    /* INVALIDATE and PAGE */
    int status;
    /* PAGE */
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1];
    size_t offset, count;
    struct wmgw__page *page;
};

/* The result is set: queue the callback on op's worker.  from: the worker
 * whose thread calls (op->w: the next turn of its loop; another: through
 * the eventfd).  The memory store calls it under its lock. */
void wmgw__op_ready(struct wmgw_cache_op *op, struct wmgw_cache_worker *from);
/* Sets a BYPASS result (and counts it) and readies op. */
void wmgw__op_bypass(struct wmgw_cache_op *op, enum wmgw_cache_reason why, struct wmgw_cache_worker *from);
/* Releases what a result not delivered holds (value, fill), for cancel. */
void wmgw__result_release(struct wmgw_cache_result *r);
/* Frees an op the store drops without a callback (its worker's thread). */
void wmgw__op_free(struct wmgw_cache_op *op);

/* --- fills and snapshots -------------------------------------------------------------- */

struct wmgw_cache_fill {
    struct wmgw_cache_worker *w;
    void *flight;                  /* the store's, until released */
    struct wmgw_buf body;          /* max: max_entry_bytes */
    bool too_large;
    struct wmgw_cache_value *stale; /* for stale-if-error, or NULL */
};

/* A fill for flight (takes a reference to stale, which may be NULL). */
struct wmgw_cache_fill *wmgw__fill_new(struct wmgw_cache_worker *w, void *flight, struct wmgw_cache_value *stale);

struct wmgw_cache_snapshot {
    struct wmgw_cache_worker *w;
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1];
    unsigned ttl_ms;
    size_t bytes, items;
    bool failed;
    void *store; /* the store's */
};

#endif
