/*
 * redis.c: the Redis store (cache.h "redis"): lookups, single flight
 * across replicas, fills and invalidation.  Snapshots: redis_snapshot.c.
 *
 * Keys (prefix "wmgw:" by default, host escaped, gen = "<epoch>.<host gen>"):
 *   <prefix>g:<host>                 the host's generation (random text)
 *   <prefix>epoch                    bumped only when invalidations were lost
 *   <prefix>e:<host>:<gen>:<digest>  an entry: header (entry.c) + value
 *   <prefix>l:<host>:<gen>:<digest>  its fill lock (SET NX PX, a token)
 *   <prefix>f:<host>:<gen>:<digest>  the channel its waiters listen on
 *
 * Invalidation sets the host's generation to a new random value: O(1),
 * and every replica sees it at its next lookup because the lookup script
 * reads generation and entry in one round trip (redis_script.c).  Old
 * entries are never deleted; nobody can name them any more and Redis
 * expires them.  A fill that began before the write commits under the old
 * generation, where nobody looks: harmless by construction.
 *
 * Single flight.  Within a worker, callers of one key share one flight (a
 * local queue).  Across workers and replicas, the lookup script takes the
 * fill lock for the first caller; the others' flights wait: subscribed to
 * the key's channel through the worker's one subscriber connection, with a
 * timed re-check in case a message is lost, until the filler PUBLISHes
 * "ok" (look again: a hit), "abandon" (go to the backend yourself) or
 * "retry" (look again: take the lock).  A filler that dies leaves a lock
 * that expires after lock_ms; a re-check then takes it over.
 *
 * Stale: a flight whose lookup found a value past fresh but within its
 * stale window serves it at once to the callers that arrive while another
 * fills (STALE), and hands it to its own filler for stale-if-error.
 *
 * Writes lost while Redis was down are remembered per worker (up to
 * max_pending_invalidations hosts; beyond that, the epoch, which is part of
 * every key, is bumped) and replayed when the connection is back.
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MAX 80
#define NAME_MAX_ (64 + 2 + WMGW_CACHE_HOST_MAX * 3 + 1 + GEN_MAX + 1 + WMGW_CACHE_DIGEST_HEX + 1)

struct rworker {
    struct wmgw_cache_worker *w;
    struct wmgw__redis *r;
    struct wmgw__rlink *link;
    struct wmgw__rsub *sub;
    struct wmgw__swatch *watch;
    struct wmgw__table flights; /* of rflight, by "<host>:<digest>" */
    h2o_linklist_t flight_list;
    struct wmgw__table pending; /* of pending_host: invalidations to replay */
    h2o_linklist_t pending_list;
    bool epoch_bump;
};

enum rf_state {
    RF_LOOKING, /* the first lookup is out */
    RF_FILLING, /* one of ours fills */
    RF_REMOTE,  /* another worker or replica fills */
};

struct rflight {
    struct wmgw__tnode node;
    h2o_linklist_t all;
    struct rworker *rw;
    struct wmgw__rsub_listener listener;
    enum rf_state state;
    bool in_table;  /* new callers may join */
    bool looking;   /* a lookup is out */
    bool again;     /* a message came while looking: look again */
    bool heard_ok;  /* a fill was committed since we waited: its value is fresh enough for FRESH callers */
    bool watching;
    h2o_linklist_t waiters;
    size_t nwaiters;
    char gen[GEN_MAX];
    char token[33];
    struct wmgw_cache_value *stale;
    uint64_t stale_stored;
    struct wmgw_cache_fill *fill;
    struct wmgw__timer recheck;
    struct wmgw__ckey key;
    char channel[NAME_MAX_];
    char lkey[];
};

struct pending_host {
    struct wmgw__tnode node;
    h2o_linklist_t all;
    char host[];
};

static void lookup(struct rflight *f);

/* --- names ------------------------------------------------------------------------------ */

static void name_of(char out[NAME_MAX_], const struct wmgw__redis *r, char kind, const struct wmgw__ckey *k,
                    const char *gen)
{
    snprintf(out, NAME_MAX_, "%s%c:%s:%s:%s", r->cfg->prefix, kind, k->host, gen, k->digest);
}

/* --- flights ---------------------------------------------------------------------------- */

static void on_subscribed(struct wmgw__rsub_listener *l);
static void on_message(struct wmgw__rsub_listener *l, const char *msg, size_t n);
static void on_recheck(struct wmgw__timer *t);

static struct rflight *flight_new(struct rworker *rw, const struct wmgw__ckey *key)
{
    size_t hl = strlen(key->host);
    size_t n = hl + 1 + WMGW_CACHE_DIGEST_HEX;
    struct rflight *f = calloc(1, sizeof(*f) + n + 1);
    if (f == NULL)
        return NULL;
    f->rw = rw;
    f->key = *key;
    snprintf(f->lkey, n + 1, "%s:%s", key->host, key->digest);
    f->node.key = f->lkey;
    f->node.klen = n;
    f->listener.on_subscribed = on_subscribed;
    f->listener.on_message = on_message;
    f->state = RF_LOOKING;
    h2o_linklist_init_anchor(&f->waiters);
    wmgw__timer_init(&f->recheck, &rw->w->timers, on_recheck);
    wmgw__table_insert(&rw->flights, &f->node);
    f->in_table = true;
    h2o_linklist_insert(&rw->flight_list, &f->all);
    return f;
}

static void unwatch(struct rflight *f)
{
    if (f->watching)
        wmgw__rsub_unwatch(f->rw->sub, f->channel);
    f->watching = false;
}

static void detach(struct rflight *f)
{
    if (f->in_table)
        wmgw__table_remove(&f->rw->flights, &f->node);
    f->in_table = false;
}

/* Frees f once nothing needs it: no waiter, no lookup out, no fill. */
static void maybe_free(struct rflight *f)
{
    if (f->nwaiters > 0 || f->looking || f->fill != NULL)
        return;
    unwatch(f);
    detach(f);
    wmgw__timer_stop(&f->recheck);
    h2o_linklist_unlink(&f->all);
    wmgw_cache_value_unref(f->stale);
    free(f);
}

static struct wmgw_cache_op *first_waiter(struct rflight *f)
{
    return h2o_linklist_is_empty(&f->waiters) ? NULL
                                               : H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, f->waiters.next);
}

static void leave_flight(struct rflight *f, struct wmgw_cache_op *op)
{
    h2o_linklist_unlink(&op->link);
    f->nwaiters--;
    op->flight = NULL;
}

static void give(struct rflight *f, struct wmgw_cache_op *op, enum wmgw_cache_outcome o, struct wmgw_cache_value *v,
                 uint64_t age)
{
    leave_flight(f, op);
    op->res = (struct wmgw_cache_result){.outcome = o, .value = wmgw_cache_value_ref(v), .age_ms = age};
    if (o == WMGW_CACHE_HIT)
        WMGW__COUNT(f->rw->w->c, hits);
    else
        WMGW__COUNT(f->rw->w->c, stale);
    wmgw__op_ready(op, op->w);
}

static void bypass_all(struct rflight *f, enum wmgw_cache_reason why)
{
    struct wmgw_cache_op *op;
    while ((op = first_waiter(f)) != NULL) {
        leave_flight(f, op);
        wmgw__op_bypass(op, why, op->w);
    }
}

/* Gives the stale value to every waiter that may take one. */
static void stale_to_waiters(struct rflight *f, struct wmgw_cache_value *v, uint64_t age)
{
    h2o_linklist_t *n = f->waiters.next;
    while (n != &f->waiters) {
        struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, n);
        n = n->next;
        if (!(op->flags & WMGW_CACHE_GET_FRESH))
            give(f, op, WMGW_CACHE_STALE, v, age);
    }
}

static void on_wait_timeout(struct wmgw__timer *t)
{
    struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, timer, t);
    struct rflight *f = op->flight;
    if (f == NULL)
        return;
    leave_flight(f, op);
    wmgw__op_bypass(op, WMGW_CACHE_REASON_WAIT_TIMEOUT, op->w);
    maybe_free(f);
}

static void join(struct rflight *f, struct wmgw_cache_op *op)
{
    h2o_linklist_insert(&f->waiters, &op->link);
    f->nwaiters++;
    op->flight = f;
    op->timer.cb = on_wait_timeout;
    wmgw__timer_start(&op->timer, f->rw->w->c->cfg.wait_ms);
}

/* --- releasing the lock ----------------------------------------------------------------- */

static void count_reply(void *data, redisReply *reply, const char *why)
{
    struct wmgw_cache *c = data;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        WMGW__COUNT(c, errors);
    freeReplyObject(reply);
}

static void on_commit_reply(void *data, redisReply *reply, const char *why)
{
    struct wmgw_cache *c = data;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        WMGW__COUNT(c, errors);
    else
        WMGW__COUNT(c, fills);
    freeReplyObject(reply);
}

/* Lets go of f's lock (if still ours) and tells remote waiters msg. */
static void release(struct rflight *f, const char *msg)
{
    struct rworker *rw = f->rw;
    char lock[NAME_MAX_], chan[NAME_MAX_];
    name_of(lock, rw->r, 'l', &f->key, f->gen);
    name_of(chan, rw->r, 'f', &f->key, f->gen);
    struct wmgw__rarg a[4] = {wmgw__rarg_str(lock), wmgw__rarg_str(chan), wmgw__rarg_str(f->token),
                              wmgw__rarg_str(msg)};
    if (wmgw__rscript_run(rw->link, &rw->r->scripts[WMGW__RS_RELEASE], 0, 4, a, NULL, count_reply, rw->w->c) != 0)
        WMGW__COUNT(rw->w->c, errors); /* the lock expires by itself */
}

/* --- lookups ---------------------------------------------------------------------------- */

static void watch(struct rflight *f)
{
    if (f->watching)
        return;
    name_of(f->channel, f->rw->r, 'f', &f->key, f->gen);
    f->watching = wmgw__rsub_watch(f->rw->sub, f->channel, &f->listener) == 0;
}

/* A lookup answered "wait": another worker or replica fills. */
static void wait_remote(struct rflight *f)
{
    f->state = RF_REMOTE;
    if (f->again) {
        f->again = false;
        lookup(f);
        return;
    }
    watch(f);
    wmgw__timer_start(&f->recheck, f->rw->w->c->cfg.recheck_ms);
}

/* A lookup answered "fill": the first waiter fills for everyone. */
static void become_filler(struct rflight *f, struct wmgw_cache_value *stale, uint64_t age)
{
    struct wmgw_cache *c = f->rw->w->c;
    bool first = f->state == RF_LOOKING;
    unwatch(f);
    wmgw__timer_stop(&f->recheck);
    struct wmgw_cache_op *op = first_waiter(f);
    struct wmgw_cache_fill *fill = wmgw__fill_new(f->rw->w, f, stale);
    if (fill == NULL) {
        release(f, "retry");
        bypass_all(f, WMGW_CACHE_REASON_BUSY);
        return;
    }
    f->state = RF_FILLING;
    f->fill = fill;
    wmgw_cache_value_unref(f->stale);
    f->stale = wmgw_cache_value_ref(stale);
    f->stale_stored = wmgw__cache_now_ms() - age;
    leave_flight(f, op);
    op->res = (struct wmgw_cache_result){.outcome = WMGW_CACHE_FILL, .fill = fill};
    WMGW__COUNT(c, misses);
    wmgw__op_ready(op, op->w);
    if (stale != NULL)
        stale_to_waiters(f, stale, age);
    /* Waiters left (FRESH ones, or all when there is nothing stale) wait
     * for our commit. */
    if (first)
        atomic_fetch_add_explicit(&c->n.waits, f->nwaiters, memory_order_relaxed);
}

static void on_lookup(void *data, redisReply *reply, const char *why)
{
    struct rflight *f = data;
    struct wmgw_cache *c = f->rw->w->c;
    f->looking = false;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_STRING ||
        reply->element[1]->len >= GEN_MAX) {
        if (reply != NULL)
            WMGW__COUNT(c, errors);
        freeReplyObject(reply);
        bypass_all(f, WMGW_CACHE_REASON_UNAVAILABLE);
        maybe_free(f);
        return;
    }
    redisReply *status = reply->element[0], *gen = reply->element[1], *entry = reply->element[2];
    if (f->gen[0] != '\0' && (strlen(f->gen) != gen->len || memcmp(f->gen, gen->str, gen->len) != 0))
        unwatch(f); /* the host was invalidated meanwhile: its channel changed too */
    memcpy(f->gen, gen->str, gen->len);
    f->gen[gen->len] = '\0';
    bool hit = wmgw__reply_is(status, "hit"), fill = wmgw__reply_is(status, "fill");
    bool wait = wmgw__reply_is(status, "wait");
    /* The value, if the entry is usable, holding the reply (no copy). */
    struct wmgw_cache_value *v = NULL;
    uint64_t now = wmgw__cache_now_ms(), age = 0;
    struct wmgw__entry_header h;
    size_t body;
    if (entry->type == REDIS_REPLY_STRING) {
        if (wmgw__entry_parse(entry->str, entry->len, &h, &body, NULL) != 0) {
            WMGW__COUNT(c, errors); /* never served; a fill replaces it */
            hit = false;
        } else if (hit || now < h.stale_until_ms) {
            age = now > h.stored_ms ? now - h.stored_ms : 0;
            v = wmgw__value_in_reply(reply, entry->str + body, entry->len - body);
            reply = NULL;
            if (v == NULL)
                hit = false;
        }
    }
    freeReplyObject(reply);
    if (fill && f->nwaiters == 0) {
        release(f, "retry"); /* everyone left: let another replica have it */
    } else if (hit) {
        /* FRESH waiters take a value only if it was committed after they came */
        h2o_linklist_t *n = f->waiters.next;
        while (n != &f->waiters) {
            struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, n);
            n = n->next;
            if (!(op->flags & WMGW_CACHE_GET_FRESH) || f->heard_ok)
                give(f, op, WMGW_CACHE_HIT, v, age);
        }
        if (f->nwaiters > 0)
            lookup(f);
    } else if (fill) {
        become_filler(f, v, age);
    } else if (f->nwaiters > 0 && wait) {
        if (v != NULL)
            stale_to_waiters(f, v, age);
        if (f->nwaiters > 0) {
            if (f->state == RF_LOOKING)
                atomic_fetch_add_explicit(&c->n.waits, f->nwaiters, memory_order_relaxed);
            wait_remote(f);
        }
    } else if (f->nwaiters > 0) {
        WMGW__COUNT(c, errors);
        bypass_all(f, WMGW_CACHE_REASON_UNAVAILABLE);
    }
    wmgw_cache_value_unref(v);
    maybe_free(f);
}

static bool wants_read(const struct rflight *f)
{
    if (f->heard_ok)
        return true;
    for (const h2o_linklist_t *n = f->waiters.next; n != &f->waiters; n = n->next)
        if (!(H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, n)->flags & WMGW_CACHE_GET_FRESH))
            return true;
    return false;
}

static void lookup(struct rflight *f)
{
    struct rworker *rw = f->rw;
    const struct wmgw_cache_config *cfg = rw->r->cfg;
    char genkey[NAME_MAX_], epoch[80], now[24], lock_ms[16], newgen[33];
    snprintf(genkey, sizeof(genkey), "%sg:%s", cfg->prefix, f->key.host);
    snprintf(epoch, sizeof(epoch), "%sepoch", cfg->prefix);
    snprintf(now, sizeof(now), "%llu", (unsigned long long)wmgw__cache_now_ms());
    snprintf(lock_ms, sizeof(lock_ms), "%u", cfg->lock_ms);
    wmgw__cache_random_hex(f->token, 16);
    wmgw__cache_random_hex(newgen, 16);
    struct wmgw__rarg a[10] = {
        wmgw__rarg_str(genkey),     wmgw__rarg_str(epoch), wmgw__rarg_str(cfg->prefix),
        wmgw__rarg_str(f->key.host), wmgw__rarg_str(f->key.digest), wmgw__rarg_str(wants_read(f) ? "1" : "0"),
        wmgw__rarg_str(now),        wmgw__rarg_str(f->token), wmgw__rarg_str(lock_ms),
        wmgw__rarg_str(newgen),
    };
    wmgw__timer_stop(&f->recheck);
    if (wmgw__rscript_run(rw->link, &rw->r->scripts[WMGW__RS_LOOKUP], 2, 10, a, NULL, on_lookup, f) != 0) {
        bypass_all(f, WMGW_CACHE_REASON_UNAVAILABLE);
        return; /* the caller frees f if it is done */
    }
    f->looking = true;
}

/* --- waiting for another's fill ------------------------------------------------------------- */

static void look_again(struct rflight *f)
{
    if (f->state != RF_REMOTE)
        return;
    if (f->looking) {
        f->again = true;
        return;
    }
    lookup(f);
    maybe_free(f);
}

static void on_subscribed(struct wmgw__rsub_listener *l)
{
    /* A fill committed before our subscription was not heard: look now. */
    look_again(H2O_STRUCT_FROM_MEMBER(struct rflight, listener, l));
}

static void on_message(struct wmgw__rsub_listener *l, const char *msg, size_t n)
{
    struct rflight *f = H2O_STRUCT_FROM_MEMBER(struct rflight, listener, l);
    if (f->state != RF_REMOTE)
        return;
    if (n == 7 && memcmp(msg, "abandon", 7) == 0) {
        bypass_all(f, WMGW_CACHE_REASON_ABANDONED);
        maybe_free(f);
        return;
    }
    if (n == 2 && memcmp(msg, "ok", 2) == 0)
        f->heard_ok = true;
    look_again(f);
}

static void on_recheck(struct wmgw__timer *t)
{
    look_again(H2O_STRUCT_FROM_MEMBER(struct rflight, recheck, t));
}

/* --- the store's operations --------------------------------------------------------------- */

static void redis_get(struct wmgw_cache_op *op)
{
    struct rworker *rw = op->w->store;
    struct wmgw_cache *c = op->w->c;
    if (!wmgw__rlink_up(rw->link)) {
        wmgw__op_bypass(op, WMGW_CACHE_REASON_UNAVAILABLE, op->w);
        return;
    }
    char lkey[WMGW_CACHE_HOST_MAX * 3 + 2 + WMGW_CACHE_DIGEST_HEX];
    int n = snprintf(lkey, sizeof(lkey), "%s:%s", op->key.host, op->key.digest);
    struct wmgw__tnode *node = wmgw__table_find(&rw->flights, lkey, (size_t)n);
    struct rflight *f = node ? H2O_STRUCT_FROM_MEMBER(struct rflight, node, node) : NULL;
    bool fresh = (op->flags & WMGW_CACHE_GET_FRESH) != 0;
    if (f != NULL && f->state == RF_FILLING && f->stale != NULL && !fresh) {
        op->res = (struct wmgw_cache_result){.outcome = WMGW_CACHE_STALE, .value = wmgw_cache_value_ref(f->stale),
                                             .age_ms = wmgw__cache_now_ms() - f->stale_stored};
        WMGW__COUNT(c, stale);
        wmgw__op_ready(op, op->w);
    } else if (f != NULL) {
        if (f->nwaiters >= c->cfg.max_waiters) {
            wmgw__op_bypass(op, WMGW_CACHE_REASON_BUSY, op->w);
            return;
        }
        join(f, op);
        if (f->state != RF_LOOKING)
            WMGW__COUNT(c, waits);
    } else if (rw->flights.count >= c->cfg.max_flights || (f = flight_new(rw, &op->key)) == NULL) {
        wmgw__op_bypass(op, WMGW_CACHE_REASON_BUSY, op->w);
    } else {
        join(f, op);
        lookup(f);
        maybe_free(f);
    }
}

/* Context of an invalidation (the op may be cancelled while it is out). */
struct cmd {
    struct wmgw__rcmd_head head; /* head.op: NULL once cancelled */
    struct rworker *rw;
    char host[WMGW_CACHE_HOST_MAX * 3 + 1];
};

static bool redis_cancel(struct wmgw_cache_op *op)
{
    if (op->type == WMGW__OP_GET) {
        struct rflight *f = op->flight;
        if (f != NULL) {
            leave_flight(f, op);
            maybe_free(f);
        }
    } else if (op->flight != NULL) {
        ((struct wmgw__rcmd_head *)op->flight)->op = NULL; /* the command goes on without it */
    }
    return true;
}

static void redis_fill_commit(struct wmgw_cache_fill *fill, struct wmgw_cache_value *v,
                              const struct wmgw_cache_ttl *ttl)
{
    struct rflight *f = fill->flight;
    struct rworker *rw = f->rw;
    /* Our own waiters get the bytes at once, whatever Redis does with them. */
    struct wmgw_cache_op *op;
    while ((op = first_waiter(f)) != NULL)
        give(f, op, WMGW_CACHE_HIT, v, 0);
    if (ttl == NULL || ttl->fresh_ms == 0) {
        release(f, "abandon"); /* not to be kept: the others fetch their own */
    } else {
        uint64_t now = wmgw__cache_now_ms();
        struct wmgw__entry_header h = {now, now + ttl->fresh_ms, now + ttl->fresh_ms + ttl->stale_ms};
        char hdr[WMGW__ENTRY_HEADER_MAX], entry[NAME_MAX_], lock[NAME_MAX_], chan[NAME_MAX_], px[24];
        size_t hn = wmgw__entry_header_format(&h, hdr);
        name_of(entry, rw->r, 'e', &f->key, f->gen);
        name_of(lock, rw->r, 'l', &f->key, f->gen);
        name_of(chan, rw->r, 'f', &f->key, f->gen);
        snprintf(px, sizeof(px), "%llu", (unsigned long long)ttl->fresh_ms + ttl->stale_ms);
        struct wmgw__rarg a[6] = {wmgw__rarg_str(entry), wmgw__rarg_str(lock), wmgw__rarg_str(chan),
                                  wmgw__rarg_str(f->token), {hdr, hn, v->data, v->len}, wmgw__rarg_str(px)};
        if (wmgw__rscript_run(rw->link, &rw->r->scripts[WMGW__RS_COMMIT], 0, 6, a, v, on_commit_reply, rw->w->c) != 0)
            WMGW__COUNT(rw->w->c, errors);
    }
    f->fill = NULL;
    fill->flight = NULL;
    maybe_free(f);
}

static void redis_fill_abandon(struct wmgw_cache_fill *fill)
{
    struct rflight *f = fill->flight;
    release(f, "abandon");
    bypass_all(f, WMGW_CACHE_REASON_ABANDONED);
    f->fill = NULL;
    fill->flight = NULL;
    maybe_free(f);
}

/* --- invalidation ------------------------------------------------------------------------ */

static void remember(struct rworker *rw, const char *host)
{
    size_t n = strlen(host);
    if (wmgw__table_find(&rw->pending, host, n) != NULL)
        return;
    struct pending_host *p = rw->pending.count < rw->r->cfg->max_pending_invalidations ? malloc(sizeof(*p) + n + 1)
                                                                                       : NULL;
    if (p == NULL) {
        rw->epoch_bump = true; /* too many to remember: invalidate everything at reconnection */
        return;
    }
    memcpy(p->host, host, n + 1);
    p->node.key = p->host;
    p->node.klen = n;
    p->all = (h2o_linklist_t){NULL, NULL};
    wmgw__table_insert(&rw->pending, &p->node);
    h2o_linklist_insert(&rw->pending_list, &p->all);
}

static void on_bumped(void *data, redisReply *reply, const char *why)
{
    struct cmd *k = data;
    bool ok = reply != NULL && reply->type != REDIS_REPLY_ERROR;
    freeReplyObject(reply);
    if (!ok) {
        WMGW__COUNT(k->rw->w->c, errors);
        if (k->host[0] != '\0')
            remember(k->rw, k->host);
        else
            k->rw->epoch_bump = true;
    }
    struct wmgw_cache_op *op = k->head.op;
    if (op != NULL) {
        op->flight = NULL;
        op->status = ok ? 0 : WMGW_ERETRY;
        wmgw__op_ready(op, op->w);
    }
    free(k);
}

/* SET <generation key> <new random value>; host "" bumps the epoch. */
static int bump(struct rworker *rw, const char *host, struct wmgw_cache_op *op)
{
    struct cmd *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return WMGW_ENOMEM;
    k->head.op = op;
    k->rw = rw;
    snprintf(k->host, sizeof(k->host), "%s", host);
    char key[NAME_MAX_], gen[33];
    if (host[0] != '\0')
        snprintf(key, sizeof(key), "%sg:%s", rw->r->cfg->prefix, host);
    else
        snprintf(key, sizeof(key), "%sepoch", rw->r->cfg->prefix);
    wmgw__cache_random_hex(gen, 16);
    struct wmgw__rarg a[3] = {wmgw__rarg_str("SET"), wmgw__rarg_str(key), wmgw__rarg_str(gen)};
    int rc = wmgw__rlink_send(rw->link, 3, a, on_bumped, k);
    if (rc != 0)
        free(k);
    else if (op != NULL)
        op->flight = k;
    return rc;
}

static void redis_invalidate(struct wmgw_cache_op *op)
{
    struct rworker *rw = op->w->store;
    /* Local flights of the host: nobody joins them any more. */
    for (h2o_linklist_t *n = rw->flight_list.next; n != &rw->flight_list; n = n->next) {
        struct rflight *f = H2O_STRUCT_FROM_MEMBER(struct rflight, all, n);
        if (strcmp(f->key.host, op->key.host) == 0)
            detach(f);
    }
    if (bump(rw, op->key.host, op) != 0) {
        remember(rw, op->key.host);
        op->status = WMGW_ERETRY;
        wmgw__op_ready(op, op->w);
    }
}

static void replay_invalidations(struct rworker *rw)
{
    while (!h2o_linklist_is_empty(&rw->pending_list)) {
        struct pending_host *p = H2O_STRUCT_FROM_MEMBER(struct pending_host, all, rw->pending_list.next);
        h2o_linklist_unlink(&p->all);
        wmgw__table_remove(&rw->pending, &p->node);
        if (bump(rw, p->host, NULL) != 0)
            rw->epoch_bump = true;
        free(p);
    }
    if (rw->epoch_bump) {
        rw->epoch_bump = false;
        if (bump(rw, "", NULL) != 0)
            rw->epoch_bump = true;
    }
}

/* --- the link's events --------------------------------------------------------------------- */

static void on_up(void *owner)
{
    replay_invalidations(owner);
}

static void on_down(void *owner)
{
    /* Waiting for a remote fill needs Redis: every waiter goes now. */
    struct rworker *rw = owner;
    h2o_linklist_t *n = rw->flight_list.next;
    while (n != &rw->flight_list) {
        struct rflight *f = H2O_STRUCT_FROM_MEMBER(struct rflight, all, n);
        n = n->next;
        if (f->state == RF_REMOTE && !f->looking) {
            bypass_all(f, WMGW_CACHE_REASON_UNAVAILABLE);
            maybe_free(f);
        }
    }
}

static void on_push(void *owner, redisReply *msg)
{
    freeReplyObject(msg);
}

static const struct wmgw__rlink_handler link_handler = {
    .on_up = on_up,
    .on_down = on_down,
    .on_push = on_push,
};

static void on_switch(void *data)
{
    struct rworker *rw = data;
    wmgw__rlink_reconnect(rw->link, "sentinel: +switch-master");
}

/* --- the store ------------------------------------------------------------------------------ */

static int redis_open(struct wmgw_cache *c, struct wmgw_err *err)
{
    struct wmgw__redis *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "cache: out of memory");
    r->cfg = &c->cfg;
    int rc = 0;
    if (c->cfg.nsentinels == 0)
        rc = wmgw__raddr_parse(c->cfg.redis_address, &r->address, err);
    for (size_t i = 0; rc == 0 && i < c->cfg.nsentinels; i++)
        rc = wmgw__raddr_parse(c->cfg.sentinels[i], &r->sentinels[i], err);
    if (rc != 0) {
        free(r);
        return rc;
    }
    r->nsentinels = c->cfg.nsentinels;
    wmgw__rscripts_init(r->scripts);
    c->store = r;
    return 0;
}

static void redis_close(struct wmgw_cache *c)
{
    free(c->store);
}

static int redis_worker_open(struct wmgw_cache_worker *w, struct wmgw_err *err)
{
    struct rworker *rw = calloc(1, sizeof(*rw));
    if (rw == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "cache: out of memory");
    rw->w = w;
    rw->r = w->c->store;
    wmgw__table_init(&rw->flights);
    h2o_linklist_init_anchor(&rw->flight_list);
    wmgw__table_init(&rw->pending);
    h2o_linklist_init_anchor(&rw->pending_list);
    w->store = rw;
    rw->link = wmgw__rlink_new(w, rw->r, false, &link_handler, rw);
    rw->sub = wmgw__rsub_new(w, rw->r);
    if (rw->r->nsentinels > 0)
        rw->watch = wmgw__sentinel_watch(rw->r, &w->timers, on_switch, rw);
    if (rw->link == NULL || rw->sub == NULL || (rw->r->nsentinels > 0 && rw->watch == NULL))
        return wmgw_err_set(err, WMGW_ENOMEM, "cache: out of memory");
    return 0;
}

static void redis_worker_close(struct wmgw_cache_worker *w)
{
    struct rworker *rw = w->store;
    /* Connections first: their failed callbacks still find the flights. */
    wmgw__sentinel_watch_free(rw->watch);
    wmgw__rsub_free(rw->sub);
    rw->sub = NULL;
    wmgw__rlink_free(rw->link);
    rw->link = NULL;
    while (!h2o_linklist_is_empty(&rw->flight_list)) {
        struct rflight *f = H2O_STRUCT_FROM_MEMBER(struct rflight, all, rw->flight_list.next);
        struct wmgw_cache_op *op;
        while ((op = first_waiter(f)) != NULL) {
            leave_flight(f, op);
            wmgw__op_free(op);
        }
        if (f->fill != NULL)
            f->fill->flight = NULL; /* a fill still out (a caller's bug) no longer reaches us */
        f->fill = NULL;
        f->looking = false;
        maybe_free(f);
    }
    while (!h2o_linklist_is_empty(&rw->pending_list)) {
        struct pending_host *p = H2O_STRUCT_FROM_MEMBER(struct pending_host, all, rw->pending_list.next);
        h2o_linklist_unlink(&p->all);
        free(p);
    }
    wmgw__table_dispose(&rw->flights);
    wmgw__table_dispose(&rw->pending);
    free(rw);
    w->store = NULL;
}

static void redis_status(struct wmgw_cache *c, struct wmgw_cache_status *out)
{
}

static void redis_stats(struct wmgw_cache *c, struct wmgw_cache_stats *out)
{
}

struct wmgw__rlink *wmgw__redis_link(struct wmgw_cache_worker *w)
{
    return ((struct rworker *)w->store)->link;
}

const struct wmgw__store_ops wmgw__store_redis = {
    .name = "redis",
    .open = redis_open,
    .close = redis_close,
    .worker_open = redis_worker_open,
    .worker_close = redis_worker_close,
    .get = redis_get,
    .cancel = redis_cancel,
    .fill_commit = redis_fill_commit,
    .fill_abandon = redis_fill_abandon,
    .invalidate = redis_invalidate,
    .snapshot_begin = wmgw__redis_snapshot_begin,
    .snapshot_append = wmgw__redis_snapshot_append,
    .snapshot_end = wmgw__redis_snapshot_end,
    .page = wmgw__redis_page,
    .status = redis_status,
    .stats = redis_stats,
};
