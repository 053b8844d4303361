/*
 * redis_conn.c: one RESP connection on a worker's h2o loop (redis_int.h).
 *
 * h2o owns the socket: it connects, buffers and writes, reads into its
 * input buffer; hiredis' reader turns those bytes into replies.  Commands
 * are formatted straight into an output buffer (RESP is simple: "*argc",
 * then "$len" and the bytes of each argument), which goes to the socket as
 * one write while the next commands collect behind it.
 *
 * Replies come back in command order, so the callbacks wait in a FIFO,
 * each with its deadline; one timer watches the oldest.  Redis answers in
 * order, so an oldest command past its deadline means the connection is
 * stuck: it is closed, every pending callback fails at once, and the link
 * above reconnects.  That is how "deadlines on every command" costs one
 * timer per connection.
 *
 * On a pub/sub connection, messages ("message", channel, payload) arrive
 * unasked and go to on_push; the (un)subscribe confirmations answer their
 * commands like any reply.
 *
 * Limits: the FIFO (max_pipeline), the output buffer (max_output), and
 * what the reader may hold (max_reply): past them a send fails or the
 * connection is closed, so nothing grows without bound.  Callbacks may
 * free the connection: the free is then finished when the dispatch loop
 * unwinds (depth).
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pending {
    wmgw__rreply_cb cb;
    void *data;
    uint64_t due;
};

struct wmgw__rconn {
    struct wmgw__timers *timers;
    h2o_socket_t *sock;
    struct wmgw__rconn_limits lim;
    const struct wmgw__rconn_handler *h;
    void *owner;
    bool connected, dead, freed;
    int depth;                  /* callbacks under way */
    redisReader *reader;
    struct wmgw_buf out;        /* formatted, not yet with the socket */
    struct wmgw_buf writing;    /* with the socket */
    bool write_busy;
    struct pending *fifo;       /* ring of lim.max_pipeline */
    size_t head, count;
    struct wmgw__timer timer;
};

static void conn_destroy(struct wmgw__rconn *c)
{
    wmgw__timer_stop(&c->timer);
    if (c->reader != NULL)
        redisReaderFree(c->reader);
    wmgw_buf_dispose(&c->out);
    wmgw_buf_dispose(&c->writing);
    free(c->fifo);
    free(c);
}

static void leave(struct wmgw__rconn *c)
{
    if (--c->depth == 0 && c->freed)
        conn_destroy(c);
}

static void arm(struct wmgw__rconn *c)
{
    if (c->dead)
        return;
    if (!c->connected)
        return; /* the connect deadline runs */
    if (c->count == 0) {
        wmgw__timer_stop(&c->timer);
        return;
    }
    uint64_t now = wmgw__cache_now_ms(), due = c->fifo[c->head].due;
    wmgw__timer_start(&c->timer, due > now ? due - now : 0);
}

/* Closes the socket and fails every pending command (depth held). */
static void shut(struct wmgw__rconn *c, const char *why)
{
    c->dead = true;
    wmgw__timer_stop(&c->timer);
    if (c->sock != NULL) {
        h2o_socket_close(c->sock);
        c->sock = NULL;
    }
    while (c->count > 0) {
        struct pending p = c->fifo[c->head];
        c->head = (c->head + 1) % c->lim.max_pipeline;
        c->count--;
        p.cb(p.data, NULL, why);
    }
}

static void fail(struct wmgw__rconn *c, const char *why)
{
    if (c->dead)
        return;
    c->depth++;
    shut(c, why);
    if (!c->freed)
        c->h->on_close(c->owner, why);
    leave(c);
}

static void on_write(h2o_socket_t *sock, const char *err);

static void flush(struct wmgw__rconn *c)
{
    if (c->dead || !c->connected || c->write_busy || c->out.len == 0)
        return;
    struct wmgw_buf t = c->writing;
    c->writing = c->out;
    c->out = t;
    wmgw_buf_reset(&c->out);
    h2o_iovec_t buf = h2o_iovec_init(c->writing.data, c->writing.len);
    c->write_busy = true;
    h2o_socket_write(c->sock, &buf, 1, on_write);
}

static void on_write(h2o_socket_t *sock, const char *err)
{
    struct wmgw__rconn *c = sock->data;
    c->write_busy = false;
    wmgw_buf_reset(&c->writing);
    if (err != NULL) {
        fail(c, "write failed");
        return;
    }
    flush(c);
}

static bool is_push(const redisReply *r)
{
    return r->type == REDIS_REPLY_ARRAY && r->elements >= 3 && r->element[0]->type == REDIS_REPLY_STRING &&
           (wmgw__reply_is(r->element[0], "message") || wmgw__reply_is(r->element[0], "pmessage"));
}

static void dispatch(struct wmgw__rconn *c, redisReply *r)
{
    if (c->lim.pubsub && is_push(r)) {
        c->h->on_push(c->owner, r);
        return;
    }
    if (c->count == 0) {
        freeReplyObject(r);
        fail(c, "a reply nobody asked for");
        return;
    }
    struct pending p = c->fifo[c->head];
    c->head = (c->head + 1) % c->lim.max_pipeline;
    c->count--;
    arm(c);
    if (r->type == REDIS_REPLY_ERROR && c->h->on_error_reply != NULL)
        c->h->on_error_reply(c->owner, r);
    p.cb(p.data, r, NULL);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    struct wmgw__rconn *c = sock->data;
    if (err != NULL) {
        fail(c, err == h2o_socket_error_closed ? "closed by the server" : "read failed");
        return;
    }
    c->depth++;
    if (redisReaderFeed(c->reader, sock->input->bytes, sock->input->size) != REDIS_OK) {
        fail(c, "out of memory");
        leave(c);
        return;
    }
    h2o_buffer_consume(&sock->input, sock->input->size);
    while (!c->dead) {
        void *reply = NULL;
        if (redisReaderGetReply(c->reader, &reply) != REDIS_OK) {
            fail(c, "protocol error");
            break;
        }
        if (reply == NULL) {
            /* Incomplete: what the reader holds is bounded. */
            if (c->reader->len - c->reader->pos > c->lim.max_reply)
                fail(c, "reply too large");
            break;
        }
        dispatch(c, reply);
    }
    leave(c);
}

static void on_timer(struct wmgw__timer *t)
{
    struct wmgw__rconn *c = H2O_STRUCT_FROM_MEMBER(struct wmgw__rconn, timer, t);
    if (!c->connected) {
        fail(c, "connect timed out");
        return;
    }
    if (c->count > 0 && wmgw__cache_now_ms() >= c->fifo[c->head].due) {
        fail(c, "command timed out");
        return;
    }
    arm(c);
}

static void on_connect(h2o_socket_t *sock, const char *err)
{
    struct wmgw__rconn *c = sock->data;
    if (err != NULL) {
        fail(c, "connection refused or unreachable");
        return;
    }
    c->connected = true;
    h2o_socket_read_start(sock, on_read);
    arm(c);
    c->depth++;
    c->h->on_connect(c->owner);
    if (!c->dead)
        flush(c);
    leave(c);
}

struct wmgw__rconn *wmgw__rconn_open(struct wmgw__timers *t, const struct wmgw__raddr *addr,
                                     const struct wmgw__rconn_limits *lim, const struct wmgw__rconn_handler *h,
                                     void *owner, const char **why)
{
    struct wmgw__rconn *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->fifo = calloc(lim->max_pipeline, sizeof(*c->fifo))) == NULL ||
        (c->reader = redisReaderCreate()) == NULL) {
        if (c != NULL) {
            free(c->fifo);
            free(c);
        }
        *why = "out of memory";
        return NULL;
    }
    c->timers = t;
    c->lim = *lim;
    c->h = h;
    c->owner = owner;
    wmgw_buf_init(&c->out, lim->max_output);
    wmgw_buf_init(&c->writing, lim->max_output);
    wmgw__timer_init(&c->timer, t, on_timer);
    c->sock = h2o_socket_connect(t->loop, (struct sockaddr *)&addr->sa, addr->len, on_connect);
    if (c->sock == NULL) {
        conn_destroy(c);
        *why = "cannot connect";
        return NULL;
    }
    c->sock->data = c;
    wmgw__timer_start(&c->timer, lim->connect_ms);
    return c;
}

static int format(struct wmgw_buf *b, int argc, const struct wmgw__rarg *argv)
{
    int rc = wmgw_buf_printf(b, "*%d\r\n", argc);
    for (int i = 0; rc == 0 && i < argc; i++) {
        rc = wmgw_buf_printf(b, "$%zu\r\n", argv[i].n + argv[i].n2);
        if (rc == 0 && argv[i].n > 0)
            rc = wmgw_buf_add(b, argv[i].p, argv[i].n);
        if (rc == 0 && argv[i].n2 > 0)
            rc = wmgw_buf_add(b, argv[i].p2, argv[i].n2);
        if (rc == 0)
            rc = wmgw_buf_add(b, "\r\n", 2);
    }
    return rc;
}

int wmgw__rconn_send(struct wmgw__rconn *c, int argc, const struct wmgw__rarg *argv, wmgw__rreply_cb cb, void *data)
{
    if (c->dead || c->count >= c->lim.max_pipeline)
        return WMGW_ERETRY;
    size_t before = c->out.len;
    if (format(&c->out, argc, argv) != 0) {
        c->out.len = before; /* nothing half-written goes out */
        if (c->out.data != NULL)
            c->out.data[before] = '\0';
        return WMGW_ERETRY;
    }
    size_t tail = (c->head + c->count) % c->lim.max_pipeline;
    c->fifo[tail] = (struct pending){cb, data, wmgw__cache_now_ms() + c->lim.command_ms};
    c->count++;
    if (c->count == 1)
        arm(c);
    flush(c);
    return 0;
}

void wmgw__rconn_free(struct wmgw__rconn *c)
{
    if (c == NULL)
        return;
    c->freed = true;
    c->depth++;
    if (!c->dead)
        shut(c, "closed");
    leave(c);
}

void wmgw__rconn_limits_of(const struct wmgw_cache_config *cfg, bool pubsub, struct wmgw__rconn_limits *out)
{
    *out = (struct wmgw__rconn_limits){
        .connect_ms = cfg->connect_timeout_ms,
        .command_ms = cfg->command_timeout_ms,
        .max_pipeline = cfg->max_pipeline,
        .max_reply = cfg->max_reply_bytes,
        /* room for a few largest entries in flight, and many small commands */
        .max_output = 4 * cfg->max_entry_bytes + ((size_t)4 << 20),
        .pubsub = pubsub,
    };
}

bool wmgw__reply_is(const redisReply *r, const char *s)
{
    size_t n = strlen(s);
    return r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->len == n &&
           memcmp(r->str, s, n) == 0;
}
