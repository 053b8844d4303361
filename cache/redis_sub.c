/*
 * redis_sub.c: a worker's subscriber (redis_int.h): the one pub/sub
 * connection through which waiters hear that a fill they wait for, in
 * this or another replica, was committed ("ok"), given up ("abandon") or
 * let go ("retry").
 *
 * One channel per key being waited for, one listener per channel (the
 * worker's flight for that key); at most max_flights channels.  A listener
 * learns when its subscription is confirmed: a fill committed before that
 * moment was not heard, so the flight looks again then.  After a
 * reconnection every channel is subscribed again (and confirmed again).
 * Down or full, watch fails and the flight relies on its timed re-check.
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

struct chan {
    struct wmgw__tnode node;
    h2o_linklist_t all;
    struct wmgw__rsub_listener *l;
    char name[];
};

struct wmgw__rsub {
    struct wmgw_cache_worker *w;
    struct wmgw__rlink *link;
    struct wmgw__table chans;
    h2o_linklist_t all;
    size_t max;
};

static struct chan *find(struct wmgw__rsub *s, const char *name, size_t n)
{
    struct wmgw__tnode *node = wmgw__table_find(&s->chans, name, n);
    return node ? H2O_STRUCT_FROM_MEMBER(struct chan, node, node) : NULL;
}

static void on_ack(void *data, redisReply *reply, const char *why)
{
    struct wmgw__rsub *s = data;
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
        wmgw__reply_is(reply->element[0], "subscribe") && reply->element[1]->type == REDIS_REPLY_STRING) {
        struct chan *ch = find(s, reply->element[1]->str, reply->element[1]->len);
        if (ch != NULL)
            ch->l->on_subscribed(ch->l);
    }
    freeReplyObject(reply);
}

static void ignore_reply(void *data, redisReply *reply, const char *why)
{
    freeReplyObject(reply);
}

static int subscribe(struct wmgw__rsub *s, const char *name, size_t n)
{
    struct wmgw__rarg a[2] = {wmgw__rarg_str("SUBSCRIBE"), wmgw__rarg_mem(name, n)};
    return wmgw__rlink_send(s->link, 2, a, on_ack, s);
}

static void on_up(void *owner)
{
    struct wmgw__rsub *s = owner;
    for (h2o_linklist_t *n = s->all.next; n != &s->all; n = n->next) {
        struct chan *ch = H2O_STRUCT_FROM_MEMBER(struct chan, all, n);
        if (subscribe(s, ch->name, ch->node.klen) != 0)
            break; /* down again: the next on_up tries */
    }
}

static void on_down(void *owner)
{
}

static void on_push(void *owner, redisReply *msg)
{
    struct wmgw__rsub *s = owner;
    redisReply *channel = msg->element[msg->elements - 2], *payload = msg->element[msg->elements - 1];
    if (channel->type == REDIS_REPLY_STRING && payload->type == REDIS_REPLY_STRING) {
        struct chan *ch = find(s, channel->str, channel->len);
        if (ch != NULL)
            ch->l->on_message(ch->l, payload->str, payload->len);
    }
    freeReplyObject(msg);
}

static const struct wmgw__rlink_handler handler = {
    .on_up = on_up,
    .on_down = on_down,
    .on_push = on_push,
};

struct wmgw__rsub *wmgw__rsub_new(struct wmgw_cache_worker *w, const struct wmgw__redis *r)
{
    struct wmgw__rsub *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->w = w;
    s->max = r->cfg->max_flights;
    wmgw__table_init(&s->chans);
    h2o_linklist_init_anchor(&s->all);
    s->link = wmgw__rlink_new(w, r, true, &handler, s);
    if (s->link == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static void chan_free(struct wmgw__rsub *s, struct chan *ch)
{
    wmgw__table_remove(&s->chans, &ch->node);
    h2o_linklist_unlink(&ch->all);
    free(ch);
}

void wmgw__rsub_free(struct wmgw__rsub *s)
{
    if (s == NULL)
        return;
    wmgw__rlink_free(s->link);
    while (!h2o_linklist_is_empty(&s->all))
        chan_free(s, H2O_STRUCT_FROM_MEMBER(struct chan, all, s->all.next));
    wmgw__table_dispose(&s->chans);
    free(s);
}

int wmgw__rsub_watch(struct wmgw__rsub *s, const char *channel, struct wmgw__rsub_listener *l)
{
    size_t n = strlen(channel);
    if (s == NULL || !wmgw__rlink_up(s->link) || s->chans.count >= s->max || find(s, channel, n) != NULL)
        return WMGW_ERETRY;
    struct chan *ch = malloc(sizeof(*ch) + n + 1);
    if (ch == NULL)
        return WMGW_ERETRY;
    memcpy(ch->name, channel, n + 1);
    ch->node.key = ch->name;
    ch->node.klen = n;
    ch->l = l;
    ch->all = (h2o_linklist_t){NULL, NULL};
    if (subscribe(s, channel, n) != 0) {
        free(ch);
        return WMGW_ERETRY;
    }
    wmgw__table_insert(&s->chans, &ch->node);
    h2o_linklist_insert(&s->all, &ch->all);
    return 0;
}

void wmgw__rsub_unwatch(struct wmgw__rsub *s, const char *channel)
{
    size_t n = strlen(channel);
    struct chan *ch = s ? find(s, channel, n) : NULL;
    if (ch == NULL)
        return;
    chan_free(s, ch);
    struct wmgw__rarg a[2] = {wmgw__rarg_str("UNSUBSCRIBE"), wmgw__rarg_mem(channel, n)};
    wmgw__rlink_send(s->link, 2, a, ignore_reply, NULL);
}
