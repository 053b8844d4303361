/*
 * sentinel.c: Redis Sentinel, the two things the cache asks of it
 * (redis_int.h).
 *
 * Resolve: ask each configured sentinel in turn "SENTINEL
 * get-master-addr-by-name <master>" until one answers with an address;
 * the link then connects there and checks with ROLE that it really is the
 * master (a sentinel may be behind).
 *
 * Watch: stay subscribed to +switch-master on one sentinel (the next one
 * when it fails, after a pause) and tell the link when our master moved,
 * so it reconnects at once instead of waiting for its next command to
 * fail.  A PING every second keeps the subscription honest: its deadline
 * notices a sentinel that vanished without closing.
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_PING_MS 1000

/* --- resolve ------------------------------------------------------------------------ */

struct wmgw__sresolve {
    const struct wmgw__redis *r;
    struct wmgw__timers *t;
    wmgw__sresolve_cb cb;
    void *data;
    size_t next;               /* the sentinel to try next */
    struct wmgw__rconn *conn;
    bool done;
    char why[128];
    struct wmgw__timer later;  /* calls back from the loop when no sentinel could even be tried */
};

static void try_next(struct wmgw__sresolve *s);

static void finish(struct wmgw__sresolve *s, const struct wmgw__raddr *master)
{
    s->done = true;
    struct wmgw__rconn *c = s->conn;
    s->conn = NULL;
    wmgw__rconn_free(c);
    wmgw__timer_stop(&s->later);
    wmgw__sresolve_cb cb = s->cb;
    void *data = s->data;
    char why[128];
    snprintf(why, sizeof(why), "%s", s->why);
    free(s);
    cb(data, master, master ? NULL : why);
}

static void on_master(void *data, redisReply *reply, const char *why)
{
    struct wmgw__sresolve *s = data;
    if (s->done || reply == NULL) {
        freeReplyObject(reply);
        return; /* the connection's failure moves on (on_resolve_close) */
    }
    struct wmgw__raddr addr;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[0]->type == REDIS_REPLY_STRING &&
        reply->element[1]->type == REDIS_REPLY_STRING &&
        wmgw__raddr_numeric(reply->element[0]->str, reply->element[0]->len, reply->element[1]->str,
                            reply->element[1]->len, &addr) == 0) {
        freeReplyObject(reply);
        finish(s, &addr);
        return;
    }
    snprintf(s->why, sizeof(s->why), "sentinel: %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "master unknown");
    freeReplyObject(reply);
    wmgw__rconn_free(s->conn);
    s->conn = NULL;
    try_next(s);
}

static void ignore_reply(void *data, redisReply *reply, const char *why)
{
    freeReplyObject(reply);
}

static void on_resolve_connect(void *owner)
{
}

static void on_resolve_close(void *owner, const char *why)
{
    struct wmgw__sresolve *s = owner;
    snprintf(s->why, sizeof(s->why), "sentinel: %s", why);
    wmgw__rconn_free(s->conn);
    s->conn = NULL;
    try_next(s);
}

static const struct wmgw__rconn_handler resolve_handler = {
    .on_connect = on_resolve_connect,
    .on_close = on_resolve_close,
};

static int send_auth(struct wmgw__rconn *c, const struct wmgw_cache_config *cfg)
{
    if (cfg->sentinel_password == NULL || cfg->sentinel_password[0] == '\0')
        return 0;
    struct wmgw__rarg a[2] = {wmgw__rarg_str("AUTH"), wmgw__rarg_str(cfg->sentinel_password)};
    return wmgw__rconn_send(c, 2, a, ignore_reply, NULL);
}

static void on_later(struct wmgw__timer *t)
{
    finish(H2O_STRUCT_FROM_MEMBER(struct wmgw__sresolve, later, t), NULL);
}

static void try_next(struct wmgw__sresolve *s)
{
    const struct wmgw_cache_config *cfg = s->r->cfg;
    struct wmgw__rconn_limits lim;
    wmgw__rconn_limits_of(cfg, false, &lim);
    while (s->next < s->r->nsentinels) {
        const char *why = NULL;
        s->conn = wmgw__rconn_open(s->t, &s->r->sentinels[s->next++], &lim, &resolve_handler, s, &why);
        if (s->conn == NULL) {
            snprintf(s->why, sizeof(s->why), "sentinel: %s", why);
            continue;
        }
        struct wmgw__rarg q[3] = {wmgw__rarg_str("SENTINEL"), wmgw__rarg_str("get-master-addr-by-name"),
                                  wmgw__rarg_str(cfg->sentinel_master)};
        if (send_auth(s->conn, cfg) == 0 && wmgw__rconn_send(s->conn, 3, q, on_master, s) == 0)
            return;
        wmgw__rconn_free(s->conn);
        s->conn = NULL;
    }
    wmgw__timer_start(&s->later, 0); /* never call back from inside the caller's call */
}

struct wmgw__sresolve *wmgw__sentinel_resolve(const struct wmgw__redis *r, struct wmgw__timers *t,
                                              wmgw__sresolve_cb cb, void *data)
{
    struct wmgw__sresolve *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->r = r;
    s->t = t;
    s->cb = cb;
    s->data = data;
    snprintf(s->why, sizeof(s->why), "no sentinel answered");
    wmgw__timer_init(&s->later, t, on_later);
    try_next(s);
    return s;
}

void wmgw__sentinel_resolve_cancel(struct wmgw__sresolve *s)
{
    if (s == NULL)
        return;
    s->done = true;
    wmgw__timer_stop(&s->later);
    wmgw__rconn_free(s->conn);
    free(s);
}

/* --- watch -------------------------------------------------------------------------- */

struct wmgw__swatch {
    const struct wmgw__redis *r;
    struct wmgw__timers *t;
    void (*on_switch)(void *data);
    void *data;
    size_t idx;
    struct wmgw__rconn *conn;
    bool subscribed;
    struct wmgw__timer timer; /* retry when down, ping when subscribed */
};

static void watch_start(struct wmgw__swatch *s);

static void watch_drop(struct wmgw__swatch *s)
{
    wmgw__rconn_free(s->conn);
    s->conn = NULL;
    s->subscribed = false;
    s->idx = (s->idx + 1) % s->r->nsentinels;
    wmgw__timer_start(&s->timer, s->r->cfg->backoff_min_ms);
}

static void on_watch_close(void *owner, const char *why)
{
    watch_drop(owner);
}

static void on_watch_push(void *owner, redisReply *msg)
{
    struct wmgw__swatch *s = owner;
    const char *name = s->r->cfg->sentinel_master;
    size_t n = strlen(name);
    redisReply *channel = msg->element[1], *text = msg->element[msg->elements - 1];
    bool ours = wmgw__reply_is(channel, "+switch-master") && text->type == REDIS_REPLY_STRING && text->len > n &&
                memcmp(text->str, name, n) == 0 && text->str[n] == ' ';
    freeReplyObject(msg);
    if (ours)
        s->on_switch(s->data);
}

static void on_subscribed(void *data, redisReply *reply, const char *why)
{
    struct wmgw__swatch *s = data;
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
        s->subscribed = true;
        wmgw__timer_start(&s->timer, WATCH_PING_MS);
    }
    freeReplyObject(reply);
}

static const struct wmgw__rconn_handler watch_handler = {
    .on_connect = on_resolve_connect,
    .on_close = on_watch_close,
    .on_push = on_watch_push,
};

static void watch_start(struct wmgw__swatch *s)
{
    struct wmgw__rconn_limits lim;
    wmgw__rconn_limits_of(s->r->cfg, true, &lim);
    const char *why = NULL;
    s->conn = wmgw__rconn_open(s->t, &s->r->sentinels[s->idx], &lim, &watch_handler, s, &why);
    struct wmgw__rarg sub[2] = {wmgw__rarg_str("SUBSCRIBE"), wmgw__rarg_str("+switch-master")};
    if (s->conn == NULL || send_auth(s->conn, s->r->cfg) != 0 || wmgw__rconn_send(s->conn, 2, sub, on_subscribed, s) != 0)
        watch_drop(s);
}

static void on_watch_timer(struct wmgw__timer *t)
{
    struct wmgw__swatch *s = H2O_STRUCT_FROM_MEMBER(struct wmgw__swatch, timer, t);
    if (s->conn == NULL) {
        watch_start(s);
        return;
    }
    struct wmgw__rarg ping[1] = {wmgw__rarg_str("PING")};
    if (wmgw__rconn_send(s->conn, 1, ping, ignore_reply, NULL) != 0) {
        watch_drop(s);
        return;
    }
    wmgw__timer_start(&s->timer, WATCH_PING_MS);
}

struct wmgw__swatch *wmgw__sentinel_watch(const struct wmgw__redis *r, struct wmgw__timers *t,
                                          void (*on_switch)(void *data), void *data)
{
    struct wmgw__swatch *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->r = r;
    s->t = t;
    s->on_switch = on_switch;
    s->data = data;
    wmgw__timer_init(&s->timer, t, on_watch_timer);
    watch_start(s);
    return s;
}

void wmgw__sentinel_watch_free(struct wmgw__swatch *s)
{
    if (s == NULL)
        return;
    wmgw__timer_stop(&s->timer);
    wmgw__rconn_free(s->conn); /* fails on_subscribed, which then leaves s alone */
    free(s);
}
