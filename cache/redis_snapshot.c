/*
 * redis_snapshot.c: snapshots in Redis (cache.h "snapshots for paging"),
 * so a cursor begun on one replica continues on any other.
 *
 *   <prefix>s:<id>    a list of the items (RPUSH as they stream, LRANGE by page)
 *   <prefix>s:<id>:m  "growing", then "done <count>" at commit
 *
 * Items collect in a batch and go out as one RPUSH per 256 KiB or 1000
 * items, each followed by PEXPIREs of both keys, so a writer that dies
 * leaves nothing beyond its TTL.  The meta key is written after every item
 * on the same connection, and Redis applies one connection's commands in
 * order, so a reader that sees "done N" finds all N items.  A page is GET
 * meta and LRANGE pipelined: one round trip; its items point into the
 * LRANGE reply, which the page keeps (no copy).
 *
 * The writer's state outlives commit until its last command is answered.
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (256 * 1024)
#define BATCH_ITEMS 1000
#define KEY_MAX 160

struct rsnap {
    struct wmgw_cache_snapshot *s; /* NULL after commit or abandon */
    struct wmgw_cache *c;
    struct wmgw__rlink *link;
    char list[KEY_MAX], meta[KEY_MAX], ttl[16];
    struct wmgw_buf batch;  /* the items, back to back */
    size_t *lens;           /* of each item in batch */
    size_t nbatch;
    size_t pushed;          /* items sent */
    unsigned out;           /* commands not answered yet */
    bool failed, ended;
};

static void rsnap_free(struct rsnap *r)
{
    wmgw_buf_dispose(&r->batch);
    free(r->lens);
    free(r);
}

static void fail(struct rsnap *r)
{
    r->failed = true;
    if (r->s != NULL)
        r->s->failed = true;
}

static void on_reply(void *data, redisReply *reply, const char *why)
{
    struct rsnap *r = data;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        WMGW__COUNT(r->c, errors);
        fail(r);
    }
    freeReplyObject(reply);
    if (--r->out == 0 && r->ended)
        rsnap_free(r);
}

static int send_cmd(struct rsnap *r, int argc, const struct wmgw__rarg *a)
{
    if (wmgw__rlink_send(r->link, argc, a, on_reply, r) != 0) {
        fail(r);
        return WMGW_ERETRY;
    }
    r->out++;
    return 0;
}

static int expire_both(struct rsnap *r)
{
    struct wmgw__rarg a[3] = {wmgw__rarg_str("PEXPIRE"), wmgw__rarg_str(r->list), wmgw__rarg_str(r->ttl)};
    int rc = send_cmd(r, 3, a);
    a[1] = wmgw__rarg_str(r->meta);
    return rc == 0 ? send_cmd(r, 3, a) : rc;
}

static int flush(struct rsnap *r)
{
    if (r->nbatch == 0)
        return 0;
    struct wmgw__rarg *a = malloc((r->nbatch + 2) * sizeof(*a));
    if (a == NULL) {
        fail(r);
        return WMGW_ENOMEM;
    }
    a[0] = wmgw__rarg_str("RPUSH");
    a[1] = wmgw__rarg_str(r->list);
    const char *p = r->batch.data;
    for (size_t i = 0; i < r->nbatch; i++) {
        a[i + 2] = wmgw__rarg_mem(p, r->lens[i]);
        p += r->lens[i];
    }
    int rc = send_cmd(r, (int)(r->nbatch + 2), a);
    free(a);
    r->pushed += r->nbatch;
    r->nbatch = 0;
    wmgw_buf_reset(&r->batch);
    return rc == 0 ? expire_both(r) : rc;
}

int wmgw__redis_snapshot_begin(struct wmgw_cache_snapshot *s)
{
    struct wmgw_cache *c = s->w->c;
    struct wmgw__rlink *link = wmgw__redis_link(s->w);
    if (!wmgw__rlink_up(link))
        return WMGW_ERETRY;
    struct rsnap *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->lens = malloc(BATCH_ITEMS * sizeof(*r->lens))) == NULL) {
        free(r);
        return WMGW_ENOMEM;
    }
    r->s = s;
    r->c = c;
    r->link = link;
    snprintf(r->list, sizeof(r->list), "%ss:%s", c->cfg.prefix, s->id);
    snprintf(r->meta, sizeof(r->meta), "%ss:%s:m", c->cfg.prefix, s->id);
    snprintf(r->ttl, sizeof(r->ttl), "%u", s->ttl_ms);
    /* a batch never holds more than one item past its threshold */
    wmgw_buf_init(&r->batch, BATCH_BYTES + c->cfg.max_snapshot_bytes);
    struct wmgw__rarg a[5] = {wmgw__rarg_str("SET"), wmgw__rarg_str(r->meta), wmgw__rarg_str("growing"),
                              wmgw__rarg_str("PX"), wmgw__rarg_str(r->ttl)};
    if (send_cmd(r, 5, a) != 0) {
        rsnap_free(r);
        return WMGW_ERETRY;
    }
    s->store = r;
    return 0;
}

int wmgw__redis_snapshot_append(struct wmgw_cache_snapshot *s, const void *item, size_t n)
{
    struct rsnap *r = s->store;
    if (r->failed)
        return WMGW_ERETRY;
    if (wmgw_buf_add(&r->batch, item, n) != 0) {
        fail(r);
        return WMGW_ETOOBIG;
    }
    r->lens[r->nbatch++] = n;
    if (r->nbatch >= BATCH_ITEMS || r->batch.len >= BATCH_BYTES)
        return flush(r);
    return 0;
}

void wmgw__redis_snapshot_end(struct wmgw_cache_snapshot *s, bool commit)
{
    struct rsnap *r = s->store;
    r->s = NULL;
    free(s);
    if (commit && !r->failed && flush(r) == 0) {
        char done[40];
        snprintf(done, sizeof(done), "done %zu", r->pushed);
        struct wmgw__rarg a[5] = {wmgw__rarg_str("SET"), wmgw__rarg_str(r->meta), wmgw__rarg_str(done),
                                  wmgw__rarg_str("PX"), wmgw__rarg_str(r->ttl)};
        if (send_cmd(r, 5, a) == 0)
            expire_both(r);
    }
    if (!commit || r->failed) {
        struct wmgw__rarg a[3] = {wmgw__rarg_str("DEL"), wmgw__rarg_str(r->list), wmgw__rarg_str(r->meta)};
        send_cmd(r, 3, a); /* best effort: otherwise the TTL does it */
    }
    r->ended = true;
    if (r->out == 0)
        rsnap_free(r);
}

/* --- reading a page ------------------------------------------------------------------------ */

struct pread {
    struct wmgw__rcmd_head head;
    struct wmgw_cache *c;
    redisReply *meta, *range;
    bool failed;
    unsigned out;
};

static void page_done(struct pread *p)
{
    struct wmgw_cache_op *op = p->head.op;
    if (op != NULL) {
        op->flight = NULL;
        redisReply *m = p->meta, *l = p->range;
        size_t total = 0;
        bool done = m != NULL && m->type == REDIS_REPLY_STRING && m->len > 5 && memcmp(m->str, "done ", 5) == 0;
        if (done) {
            char num[24];
            size_t n = m->len - 5 < sizeof(num) - 1 ? m->len - 5 : sizeof(num) - 1;
            memcpy(num, m->str + 5, n);
            num[n] = '\0';
            total = strtoull(num, NULL, 10);
        }
        if (p->failed || l == NULL || l->type != REDIS_REPLY_ARRAY) {
            op->status = WMGW_ERETRY;
        } else if (m == NULL || m->type != REDIS_REPLY_STRING || (!done && !wmgw__reply_is(m, "growing"))) {
            op->status = WMGW_ENOTFOUND;
        } else {
            struct wmgw__page *pg = wmgw__page_new(l->elements);
            bool ok = pg != NULL;
            for (size_t i = 0; ok && i < l->elements; i++) {
                ok = l->element[i]->type == REDIS_REPLY_STRING;
                if (ok)
                    pg->items[i] = (struct wmgw_cache_bytes){l->element[i]->str, l->element[i]->len};
            }
            if (!ok) {
                free(pg);
                op->status = pg == NULL ? WMGW_ENOMEM : WMGW_ERETRY;
            } else {
                pg->pub.nitems = l->elements;
                pg->pub.complete = done;
                pg->pub.total = total;
                pg->reply = l; /* the items' bytes */
                p->range = NULL;
                op->page = pg;
                op->status = 0;
                WMGW__COUNT(p->c, pages);
            }
        }
        if (op->status == WMGW_ERETRY)
            WMGW__COUNT(p->c, unavailable);
        wmgw__op_ready(op, op->w);
    }
    freeReplyObject(p->meta);
    freeReplyObject(p->range);
    free(p);
}

static void on_part(struct pread *p, redisReply **slot, redisReply *reply)
{
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        p->failed = true;
        freeReplyObject(reply);
        reply = NULL;
    }
    *slot = reply;
    if (--p->out == 0)
        page_done(p);
}

static void on_meta(void *data, redisReply *reply, const char *why)
{
    struct pread *p = data;
    on_part(p, &p->meta, reply);
}

static void on_range(void *data, redisReply *reply, const char *why)
{
    struct pread *p = data;
    on_part(p, &p->range, reply);
}

void wmgw__redis_page(struct wmgw_cache_op *op)
{
    struct wmgw_cache *c = op->w->c;
    struct wmgw__rlink *link = wmgw__redis_link(op->w);
    struct pread *p = calloc(1, sizeof(*p));
    char list[KEY_MAX], meta[KEY_MAX], from[24], to[24];
    snprintf(list, sizeof(list), "%ss:%s", c->cfg.prefix, op->id);
    snprintf(meta, sizeof(meta), "%ss:%s:m", c->cfg.prefix, op->id);
    snprintf(from, sizeof(from), "%zu", op->offset);
    snprintf(to, sizeof(to), "%zu", op->offset + op->count - 1);
    struct wmgw__rarg g[2] = {wmgw__rarg_str("GET"), wmgw__rarg_str(meta)};
    struct wmgw__rarg r[4] = {wmgw__rarg_str("LRANGE"), wmgw__rarg_str(list), wmgw__rarg_str(from),
                              wmgw__rarg_str(to)};
    if (p != NULL) {
        p->head.op = op;
        p->c = c;
        p->out = 1;
    }
    if (p == NULL || wmgw__rlink_send(link, 2, g, on_meta, p) != 0) {
        free(p);
        op->status = WMGW_ERETRY;
        WMGW__COUNT(c, unavailable);
        wmgw__op_ready(op, op->w);
        return;
    }
    op->flight = p;
    if (wmgw__rlink_send(link, 4, r, on_range, p) != 0)
        p->failed = true; /* on_meta finishes it */
    else
        p->out++;
}
