/*
 * redis_int.h: the layers of the Redis store, bottom to top.
 *
 *   redis_conn.c     one RESP connection on an h2o socket: hiredis' reader
 *                    parses, we format, a FIFO of callbacks with a deadline
 *                    each, pub/sub pushes apart (struct wmgw__rconn)
 *   sentinel.c       asks the sentinels for the master's address, and
 *                    watches them for +switch-master
 *   redis_link.c     a connection that stays up: resolve (fixed address or
 *                    sentinels), connect, handshake (AUTH, SELECT, ROLE,
 *                    SCRIPT LOAD), reconnect with exponential back-off and
 *                    jitter; its state is what /readyz shows
 *   redis_script.c   the Lua scripts, EVALSHA with EVAL on NOSCRIPT
 *   redis_sub.c      the worker's subscriber: per-key fill channels
 *   redis.c          the store: lookups, single flight across replicas,
 *                    fills, invalidation
 *   redis_snapshot.c snapshots as Redis lists
 *
 * Why not hiredis' own async context with an adapter for h2o?  In hiredis
 * 0.14 the async context owns and closes the fd that h2o's socket also
 * owns (two owners of one descriptor), has no per-command deadline (only
 * a connect timeout), and keeps its own callback and pub/sub bookkeeping
 * that we would have to mirror for deadlines and bounded queues anyway.
 * Driving hiredis' reader over an h2o socket gives one owner per fd (h2o),
 * h2o's buffered writes, our deadlines on every command, bounded queues,
 * and no hidden allocation per command beyond the reply itself.
 *
 * Everything here runs on one worker's loop thread, except struct
 * wmgw__redis (read-only after wmgw_cache_new).
 */
#ifndef WMGW_CACHE_REDIS_INT_H
#define WMGW_CACHE_REDIS_INT_H

#include "cache/cache_int.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

/* --- process-wide, read-only after open (redis.c) ---------------------------------- */

struct wmgw__raddr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[64]; /* "ip:port", for status and messages */
};

struct wmgw__rscript {
    const char *name;
    const char *text;
    char sha[41]; /* SHA-1 of text, hex */
};

enum {
    WMGW__RS_LOOKUP,
    WMGW__RS_COMMIT,
    WMGW__RS_RELEASE,
    WMGW__RS_COUNT,
};

struct wmgw__redis {
    const struct wmgw_cache_config *cfg;
    struct wmgw__raddr address;       /* standalone */
    size_t nsentinels;
    struct wmgw__raddr sentinels[16];
    struct wmgw__rscript scripts[WMGW__RS_COUNT];
};

/* "host:port" (IPv6 as [addr]:port) to an address; names are resolved
 * (blocking: only at wmgw_cache_new). */
int wmgw__raddr_parse(const char *s, struct wmgw__raddr *out, struct wmgw_err *err);
/* An address from a Redis answer (numeric ip, port text). */
int wmgw__raddr_numeric(const char *ip, size_t iplen, const char *port, size_t portlen, struct wmgw__raddr *out);

/* --- one connection (redis_conn.c) ---------------------------------------------------- */

/* An argument, in one or two pieces (an entry's header and its value). */
struct wmgw__rarg {
    const char *p;
    size_t n;
    const char *p2;
    size_t n2;
};

/* reply: the callback owns it (freeReplyObject), or NULL when the command
 * failed; why then says how ("timeout", "closed", ...). */
typedef void (*wmgw__rreply_cb)(void *data, redisReply *reply, const char *why);

struct wmgw__rconn_handler {
    void (*on_connect)(void *owner);
    /* The connection died (pending callbacks already failed); free it. */
    void (*on_close)(void *owner, const char *why);
    /* pub/sub connections: a message; the callee owns it. */
    void (*on_push)(void *owner, redisReply *msg);
    /* Every error reply, before its callback (may be NULL). */
    void (*on_error_reply)(void *owner, const redisReply *r);
};

struct wmgw__rconn_limits {
    unsigned connect_ms, command_ms, max_pipeline;
    size_t max_reply, max_output;
    bool pubsub;
};

struct wmgw__rconn;
/* Starts connecting; NULL (and why) if it could not even start. */
struct wmgw__rconn *wmgw__rconn_open(struct wmgw__timers *t, const struct wmgw__raddr *addr,
                                     const struct wmgw__rconn_limits *lim, const struct wmgw__rconn_handler *h,
                                     void *owner, const char **why);
/* Queues a command (sent once connected).  0: cb will be called;
 * WMGW_ERETRY: dead or full, cb will not be. */
int wmgw__rconn_send(struct wmgw__rconn *c, int argc, const struct wmgw__rarg *argv, wmgw__rreply_cb cb, void *data);
/* Pending callbacks are called with NULL ("closed"); on_close is not. */
void wmgw__rconn_free(struct wmgw__rconn *c);

/* --- sentinels (sentinel.c) -------------------------------------------------------------- */

typedef void (*wmgw__sresolve_cb)(void *data, const struct wmgw__raddr *master, const char *why);
struct wmgw__sresolve;
/* Asks each sentinel in turn for the master; cb once (master NULL if no
 * sentinel knew). */
struct wmgw__sresolve *wmgw__sentinel_resolve(const struct wmgw__redis *r, struct wmgw__timers *t,
                                              wmgw__sresolve_cb cb, void *data);
void wmgw__sentinel_resolve_cancel(struct wmgw__sresolve *s);

/* Subscribes to +switch-master on a sentinel (moving on to the next one
 * when it fails) and calls on_switch for our master. */
struct wmgw__swatch;
struct wmgw__swatch *wmgw__sentinel_watch(const struct wmgw__redis *r, struct wmgw__timers *t,
                                          void (*on_switch)(void *data), void *data);
void wmgw__sentinel_watch_free(struct wmgw__swatch *s);

/* --- a connection that stays up (redis_link.c) --------------------------------------------- */

struct wmgw__rlink_handler {
    void (*on_up)(void *owner);   /* handshake done: commands go */
    void (*on_down)(void *owner); /* lost (pending commands already failed) */
    void (*on_push)(void *owner, redisReply *msg); /* pub/sub links */
};

struct wmgw__rlink;
/* A link for the worker w; pubsub: a subscriber connection (no scripts,
 * pushes to on_push).  It starts connecting at once. */
struct wmgw__rlink *wmgw__rlink_new(struct wmgw_cache_worker *w, const struct wmgw__redis *r, bool pubsub,
                                    const struct wmgw__rlink_handler *h, void *owner);
void wmgw__rlink_free(struct wmgw__rlink *l);
/* Commands only while up (anything else completes at once as
 * unavailable, with WMGW_ERETRY and no callback). */
int wmgw__rlink_send(struct wmgw__rlink *l, int argc, const struct wmgw__rarg *argv, wmgw__rreply_cb cb, void *data);
bool wmgw__rlink_up(const struct wmgw__rlink *l);
/* Drops the connection and reconnects now (the master moved). */
void wmgw__rlink_reconnect(struct wmgw__rlink *l, const char *why);
enum wmgw_cache_state wmgw__rlink_state(const struct wmgw__rlink *l);

/* --- scripts (redis_script.c) ------------------------------------------------------------ */

void wmgw__rscripts_init(struct wmgw__rscript scripts[WMGW__RS_COUNT]);
/* Runs a script with EVALSHA, again with EVAL if Redis answers NOSCRIPT.
 * The arguments are copied, except bytes inside hold's value, which is
 * referenced until the call ends.  0, or WMGW_ERETRY (no callback). */
int wmgw__rscript_run(struct wmgw__rlink *l, const struct wmgw__rscript *s, int nkeys, int argc,
                      const struct wmgw__rarg *argv, struct wmgw_cache_value *hold, wmgw__rreply_cb cb, void *data);

/* --- the subscriber (redis_sub.c) ----------------------------------------------------------- */

struct wmgw__rsub_listener {
    void (*on_subscribed)(struct wmgw__rsub_listener *l); /* from now on no message is missed */
    void (*on_message)(struct wmgw__rsub_listener *l, const char *msg, size_t n);
};

struct wmgw__rsub;
struct wmgw__rsub *wmgw__rsub_new(struct wmgw_cache_worker *w, const struct wmgw__redis *r);
void wmgw__rsub_free(struct wmgw__rsub *s);
/* Listens on channel (one listener per channel).  WMGW_ERETRY when the
 * subscriber is down or full: the caller re-checks on its timer instead. */
int wmgw__rsub_watch(struct wmgw__rsub *s, const char *channel, struct wmgw__rsub_listener *l);
void wmgw__rsub_unwatch(struct wmgw__rsub *s, const char *channel);

/* --- commands that answer an op ---------------------------------------------------------- */

/* The context of a command answering an op starts with this: cancelling
 * the op clears it (the op's `flight` points at the context) and the
 * command goes on without anyone to tell. */
struct wmgw__rcmd_head {
    struct wmgw_cache_op *op;
};

/* redis_snapshot.c */
int wmgw__redis_snapshot_begin(struct wmgw_cache_snapshot *s);
int wmgw__redis_snapshot_append(struct wmgw_cache_snapshot *s, const void *item, size_t n);
void wmgw__redis_snapshot_end(struct wmgw_cache_snapshot *s, bool commit);
void wmgw__redis_page(struct wmgw_cache_op *op);
/* redis.c: the worker's command link, for redis_snapshot.c. */
struct wmgw__rlink *wmgw__redis_link(struct wmgw_cache_worker *w);

/* --- helpers ---------------------------------------------------------------------------- */

static inline struct wmgw__rarg wmgw__rarg_str(const char *s)
{
    return (struct wmgw__rarg){s, __builtin_strlen(s), NULL, 0};
}
static inline struct wmgw__rarg wmgw__rarg_mem(const char *p, size_t n)
{
    return (struct wmgw__rarg){p, n, NULL, 0};
}
/* True for a string reply equal to s. */
bool wmgw__reply_is(const redisReply *r, const char *s);

/* The per-connection limits every link uses. */
void wmgw__rconn_limits_of(const struct wmgw_cache_config *cfg, bool pubsub, struct wmgw__rconn_limits *out);

#endif
