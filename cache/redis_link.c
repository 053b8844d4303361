/*
 * redis_link.c: a Redis connection that stays up (redis_int.h).
 *
 *   DOWN ──retry timer──▶ CONNECTING: resolve (sentinels) or take the
 *   address, connect, handshake ──all answered──▶ UP ──lost──▶ DOWN
 *
 * The handshake is pipelined right behind the connect: AUTH, SELECT,
 * ROLE (with sentinels: the address must really be the master now), and
 * on command links SCRIPT LOAD of every script, whose answer must be the
 * hash we computed.  Commands are taken only while UP; anything else
 * completes at once as unavailable, which is what keeps a down Redis from
 * ever making a request wait.
 *
 * Reconnecting waits an exponential back-off with jitter (half fixed,
 * half random, so replicas that lost Redis together do not come back in
 * step), starting again from the minimum after each success.  While up, a
 * PING every second gives an idle connection a deadline too.  An error
 * reply READONLY means we talk to a demoted master: reconnect.
 *
 * The command link of a worker reports its state to the worker
 * (/readyz); subscriber links do not.
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PING_MS 1000

struct wmgw__rlink {
    struct wmgw_cache_worker *w;
    const struct wmgw__redis *r;
    bool pubsub;
    const struct wmgw__rlink_handler *h;
    void *owner;
    enum wmgw_cache_state state;
    struct wmgw__rconn *conn;
    struct wmgw__sresolve *resolve;
    struct wmgw__raddr target;
    unsigned handshake_left;
    unsigned attempt;  /* failures in a row, for the back-off */
    bool was_up;       /* an UP after this one is a reconnection */
    struct wmgw__timer timer; /* retry while DOWN, ping while UP */
};

static void start(struct wmgw__rlink *l);

static void report(struct wmgw__rlink *l, const char *error, bool reconnected)
{
    if (!l->pubsub)
        wmgw__worker_set_state(l->w, l->state, error, l->state == WMGW_CACHE_UP ? l->target.text : NULL,
                               reconnected);
}

static unsigned backoff_ms(struct wmgw__rlink *l)
{
    const struct wmgw_cache_config *cfg = l->r->cfg;
    unsigned shift = l->attempt < 20 ? l->attempt : 20;
    uint64_t d = (uint64_t)cfg->backoff_min_ms << shift;
    if (d > cfg->backoff_max_ms)
        d = cfg->backoff_max_ms;
    uint32_t rnd;
    wmgw__cache_random(&rnd, sizeof(rnd));
    return (unsigned)(d / 2 + rnd % (d / 2 + 1));
}

/* Lost or failed: drop what is under way, tell the owner, retry later
 * (after `delay` ms, or the back-off when delay is UINT32_MAX). */
static void down(struct wmgw__rlink *l, const char *why, unsigned delay)
{
    bool was_up = l->state == WMGW_CACHE_UP;
    struct wmgw__rconn *c = l->conn;
    l->conn = NULL;
    wmgw__sentinel_resolve_cancel(l->resolve);
    l->resolve = NULL;
    l->state = WMGW_CACHE_DOWN;
    wmgw__timer_stop(&l->timer);
    char text[200];
    snprintf(text, sizeof(text), "redis %s: %s", l->target.text[0] ? l->target.text : "?", why);
    report(l, text, false);
    wmgw__rconn_free(c); /* fails the pending commands: the owner sees them fail first */
    if (was_up)
        l->h->on_down(l->owner);
    wmgw__timer_start(&l->timer, delay == UINT32_MAX ? backoff_ms(l) : delay);
    l->attempt++;
}

static void up(struct wmgw__rlink *l)
{
    l->state = WMGW_CACHE_UP;
    l->attempt = 0;
    bool again = l->was_up;
    l->was_up = true;
    report(l, NULL, again);
    wmgw__timer_start(&l->timer, PING_MS);
    l->h->on_up(l->owner);
}

/* --- the connection's events --------------------------------------------------------- */

static void on_conn_connect(void *owner)
{
    struct wmgw__rlink *l = owner;
    if (l->handshake_left == 0)
        up(l);
}

static void on_conn_close(void *owner, const char *why)
{
    down(owner, why, UINT32_MAX);
}

static void on_conn_push(void *owner, redisReply *msg)
{
    struct wmgw__rlink *l = owner;
    l->h->on_push(l->owner, msg);
}

static void on_error_reply(void *owner, const redisReply *r)
{
    struct wmgw__rlink *l = owner;
    if (r->len >= 8 && memcmp(r->str, "READONLY", 8) == 0)
        down(l, "the server became a replica", 0);
}

static const struct wmgw__rconn_handler conn_handler = {
    .on_connect = on_conn_connect,
    .on_close = on_conn_close,
    .on_push = on_conn_push,
    .on_error_reply = on_error_reply,
};

/* --- the handshake ---------------------------------------------------------------------- */

struct step {
    struct wmgw__rlink *l;
    int what; /* -1 AUTH or SELECT, -2 ROLE, else a script's index */
};

static void on_step(void *data, redisReply *reply, const char *why)
{
    struct step *st = data;
    struct wmgw__rlink *l = st->l;
    int what = st->what;
    free(st);
    if (reply == NULL)
        return; /* the connection died: its on_close does the rest */
    char err[160] = "";
    if (reply->type == REDIS_REPLY_ERROR)
        snprintf(err, sizeof(err), "handshake: %.*s", (int)(reply->len < 120 ? reply->len : 120), reply->str);
    else if (what == -2 && !(reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
                             wmgw__reply_is(reply->element[0], "master")))
        snprintf(err, sizeof(err), "not the master (ROLE)");
    else if (what >= 0 && !wmgw__reply_is(reply, l->r->scripts[what].sha))
        snprintf(err, sizeof(err), "SCRIPT LOAD gave another hash for %s", l->r->scripts[what].name);
    freeReplyObject(reply);
    if (l->state != WMGW_CACHE_CONNECTING)
        return;
    if (err[0] != '\0')
        down(l, err, UINT32_MAX);
    else if (--l->handshake_left == 0)
        up(l);
}

static int step(struct wmgw__rlink *l, int what, int argc, const struct wmgw__rarg *argv)
{
    struct step *st = malloc(sizeof(*st));
    if (st == NULL)
        return WMGW_ENOMEM;
    *st = (struct step){l, what};
    int rc = wmgw__rconn_send(l->conn, argc, argv, on_step, st);
    if (rc != 0)
        free(st);
    else
        l->handshake_left++;
    return rc;
}

static int handshake(struct wmgw__rlink *l)
{
    const struct wmgw_cache_config *cfg = l->r->cfg;
    char db[16];
    int rc = 0;
    if (cfg->redis_password != NULL && cfg->redis_password[0] != '\0') {
        struct wmgw__rarg a[3] = {wmgw__rarg_str("AUTH"), wmgw__rarg_str(cfg->redis_user ? cfg->redis_user : ""),
                                  wmgw__rarg_str(cfg->redis_password)};
        bool user = cfg->redis_user != NULL && cfg->redis_user[0] != '\0';
        a[1] = user ? a[1] : a[2];
        rc = step(l, -1, user ? 3 : 2, a);
    }
    if (rc == 0 && cfg->redis_db != 0 && !l->pubsub) {
        snprintf(db, sizeof(db), "%u", cfg->redis_db);
        struct wmgw__rarg a[2] = {wmgw__rarg_str("SELECT"), wmgw__rarg_str(db)};
        rc = step(l, -1, 2, a);
    }
    if (rc == 0 && l->r->nsentinels > 0) {
        struct wmgw__rarg a[1] = {wmgw__rarg_str("ROLE")};
        rc = step(l, -2, 1, a);
    }
    for (int i = 0; rc == 0 && !l->pubsub && i < WMGW__RS_COUNT; i++) {
        struct wmgw__rarg a[3] = {wmgw__rarg_str("SCRIPT"), wmgw__rarg_str("LOAD"),
                                  wmgw__rarg_str(l->r->scripts[i].text)};
        rc = step(l, i, 3, a);
    }
    return rc;
}

static void connect_to(struct wmgw__rlink *l, const struct wmgw__raddr *addr)
{
    struct wmgw__rconn_limits lim;
    wmgw__rconn_limits_of(l->r->cfg, l->pubsub, &lim);
    const char *why = NULL;
    l->target = *addr;
    l->handshake_left = 0;
    l->conn = wmgw__rconn_open(&l->w->timers, addr, &lim, &conn_handler, l, &why);
    if (l->conn == NULL)
        down(l, why, UINT32_MAX);
    else if (handshake(l) != 0)
        down(l, "handshake: cannot queue", UINT32_MAX);
}

static void on_resolved(void *data, const struct wmgw__raddr *master, const char *why)
{
    struct wmgw__rlink *l = data;
    l->resolve = NULL;
    if (master == NULL)
        down(l, why, UINT32_MAX);
    else
        connect_to(l, master);
}

static void start(struct wmgw__rlink *l)
{
    l->state = WMGW_CACHE_CONNECTING;
    report(l, NULL, false);
    if (l->r->nsentinels == 0) {
        connect_to(l, &l->r->address);
        return;
    }
    l->resolve = wmgw__sentinel_resolve(l->r, &l->w->timers, on_resolved, l);
    if (l->resolve == NULL)
        down(l, "out of memory", UINT32_MAX);
}

static void ignore_reply(void *data, redisReply *reply, const char *why)
{
    freeReplyObject(reply);
}

static void on_timer(struct wmgw__timer *t)
{
    struct wmgw__rlink *l = H2O_STRUCT_FROM_MEMBER(struct wmgw__rlink, timer, t);
    if (l->state == WMGW_CACHE_DOWN) {
        start(l);
        return;
    }
    if (l->state == WMGW_CACHE_UP) {
        struct wmgw__rarg a[1] = {wmgw__rarg_str("PING")};
        if (wmgw__rconn_send(l->conn, 1, a, ignore_reply, NULL) != 0) {
            down(l, "cannot queue a PING", UINT32_MAX);
            return;
        }
        wmgw__timer_start(&l->timer, PING_MS);
    }
}

/* --- the interface ------------------------------------------------------------------- */

struct wmgw__rlink *wmgw__rlink_new(struct wmgw_cache_worker *w, const struct wmgw__redis *r, bool pubsub,
                                    const struct wmgw__rlink_handler *h, void *owner)
{
    struct wmgw__rlink *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->w = w;
    l->r = r;
    l->pubsub = pubsub;
    l->h = h;
    l->owner = owner;
    l->state = WMGW_CACHE_DOWN;
    wmgw__timer_init(&l->timer, &w->timers, on_timer);
    start(l);
    return l;
}

void wmgw__rlink_free(struct wmgw__rlink *l)
{
    if (l == NULL)
        return;
    wmgw__timer_stop(&l->timer);
    wmgw__sentinel_resolve_cancel(l->resolve);
    struct wmgw__rconn *c = l->conn;
    l->conn = NULL;
    l->state = WMGW_CACHE_DOWN;
    wmgw__rconn_free(c);
    free(l);
}

int wmgw__rlink_send(struct wmgw__rlink *l, int argc, const struct wmgw__rarg *argv, wmgw__rreply_cb cb, void *data)
{
    if (l->state != WMGW_CACHE_UP)
        return WMGW_ERETRY;
    return wmgw__rconn_send(l->conn, argc, argv, cb, data);
}

bool wmgw__rlink_up(const struct wmgw__rlink *l)
{
    return l->state == WMGW_CACHE_UP;
}

enum wmgw_cache_state wmgw__rlink_state(const struct wmgw__rlink *l)
{
    return l->state;
}

void wmgw__rlink_reconnect(struct wmgw__rlink *l, const char *why)
{
    if (l->state == WMGW_CACHE_DOWN) {
        wmgw__timer_start(&l->timer, 0);
        return;
    }
    down(l, why, 0);
}
