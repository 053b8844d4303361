/*
 * worker.c: a worker's handle on the cache (cache.h "OBJECTS AND
 * THREADS"): its timers, and the ops it hands out, from creation to
 * callback or cancellation.
 *
 * Every callback runs from the worker's loop, never inside the call that
 * started the op: a store that has the answer at once (a memory hit)
 * queues the op on w->ready and links a zero timeout; a store answering
 * from another worker's thread (the memory store's fills wake waiters in
 * every worker) queues it under ready_lock and pokes the worker's eventfd.
 * Cancelling races with the latter only, and the memory store settles it
 * under its own lock (cache_int.h, the `cancel` op).
 */
#include "cache/cache_int.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* --- delivering results -------------------------------------------------------------- */

static void run_op(struct wmgw_cache_op *op)
{
    switch (op->type) {
    case WMGW__OP_GET:
        op->cb.get(op->data, &op->res);
        break;
    case WMGW__OP_INVALIDATE:
        if (op->cb.done != NULL)
            op->cb.done(op->data, op->status);
        break;
    case WMGW__OP_PAGE:
        op->cb.page(op->data, op->status, op->page ? &op->page->pub : NULL);
        break;
    }
}

static void drain(struct wmgw_cache_worker *w)
{
    h2o_linklist_t due;
    h2o_linklist_init_anchor(&due);
    pthread_mutex_lock(&w->ready_lock);
    h2o_linklist_insert_list(&due, &w->ready);
    pthread_mutex_unlock(&w->ready_lock);
    /* One at a time from the head: a callback may cancel ops still here. */
    while (!h2o_linklist_is_empty(&due)) {
        struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, due.next);
        pthread_mutex_lock(&w->ready_lock);
        h2o_linklist_unlink(&op->link);
        pthread_mutex_unlock(&w->ready_lock);
        wmgw__timer_stop(&op->timer);
        run_op(op);
        free(op);
    }
}

static void on_ready_soon(h2o_timeout_entry_t *entry)
{
    drain(H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_worker, ready_soon, entry));
}

static void on_wake(h2o_socket_t *sock, const char *err)
{
    struct wmgw_cache_worker *w = sock->data;
    uint64_t n;
    while (read(w->wake_fd, &n, sizeof(n)) < 0 && errno == EINTR)
        ;
    drain(w);
}

void wmgw__op_ready(struct wmgw_cache_op *op, struct wmgw_cache_worker *from)
{
    struct wmgw_cache_worker *w = op->w;
    pthread_mutex_lock(&w->ready_lock);
    op->phase = WMGW__OP_READY;
    h2o_linklist_insert(&w->ready, &op->link);
    pthread_mutex_unlock(&w->ready_lock);
    if (from == w) {
        if (!h2o_timeout_is_linked(&w->ready_soon))
            h2o_timeout_link(w->loop, &w->timers.zero, &w->ready_soon);
    } else {
        uint64_t one = 1;
        while (write(w->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
            ;
    }
}

void wmgw__op_bypass(struct wmgw_cache_op *op, enum wmgw_cache_reason why, struct wmgw_cache_worker *from)
{
    struct wmgw_cache *c = op->w->c;
    op->res = (struct wmgw_cache_result){.outcome = WMGW_CACHE_BYPASS, .reason = why};
    switch (why) {
    case WMGW_CACHE_REASON_UNAVAILABLE:
        WMGW__COUNT(c, unavailable);
        break;
    case WMGW_CACHE_REASON_WAIT_TIMEOUT:
        WMGW__COUNT(c, wait_timeouts);
        break;
    case WMGW_CACHE_REASON_ABANDONED:
        WMGW__COUNT(c, abandoned);
        break;
    case WMGW_CACHE_REASON_BUSY:
        WMGW__COUNT(c, busy);
        break;
    case WMGW_CACHE_REASON_NONE:
        break;
    }
    wmgw__op_ready(op, from);
}

void wmgw__result_release(struct wmgw_cache_result *r)
{
    wmgw_cache_value_unref(r->value);
    r->value = NULL;
    if (r->fill != NULL)
        wmgw_cache_fill_abandon(r->fill);
    r->fill = NULL;
}

void wmgw__op_free(struct wmgw_cache_op *op)
{
    wmgw__timer_stop(&op->timer);
    if (op->type == WMGW__OP_GET)
        wmgw__result_release(&op->res);
    if (op->page != NULL)
        wmgw_cache_page_free(&op->page->pub);
    free(op);
}

void wmgw_cache_op_cancel(struct wmgw_cache_op *op)
{
    struct wmgw_cache_worker *w = op->w;
    if (op->phase == WMGW__OP_STORE && w->c->ops->cancel(op)) {
        wmgw__op_free(op);
        return;
    }
    pthread_mutex_lock(&w->ready_lock);
    h2o_linklist_unlink(&op->link);
    pthread_mutex_unlock(&w->ready_lock);
    wmgw__op_free(op);
}

/* --- starting ops ----------------------------------------------------------------------- */

static struct wmgw_cache_op *op_new(struct wmgw_cache_worker *w, enum wmgw__op_type type, void *data)
{
    struct wmgw_cache_op *op = calloc(1, sizeof(*op));
    if (op == NULL)
        return NULL;
    op->w = w;
    op->type = type;
    op->phase = WMGW__OP_STORE;
    op->data = data;
    wmgw__timer_init(&op->timer, &w->timers, NULL);
    return op;
}

int wmgw_cache_get(struct wmgw_cache_worker *w, const struct wmgw_cache_key *key, unsigned flags,
                   wmgw_cache_get_cb cb, void *data, struct wmgw_cache_op **out)
{
    struct wmgw_cache_op *op = op_new(w, WMGW__OP_GET, data);
    if (op == NULL)
        return WMGW_ENOMEM;
    int rc = wmgw__key_make(key, &op->key, NULL);
    if (rc != 0) {
        free(op);
        return rc;
    }
    op->cb.get = cb;
    op->flags = flags;
    if (out != NULL)
        *out = op;
    w->c->ops->get(op);
    return 0;
}

int wmgw_cache_invalidate(struct wmgw_cache_worker *w, const char *host, wmgw_cache_done_cb cb, void *data,
                          struct wmgw_cache_op **out)
{
    struct wmgw_cache_op *op = op_new(w, WMGW__OP_INVALIDATE, data);
    if (op == NULL)
        return WMGW_ENOMEM;
    int rc = wmgw__key_host(host, op->key.host, NULL);
    if (rc != 0) {
        free(op);
        return rc;
    }
    op->cb.done = cb;
    if (out != NULL)
        *out = op;
    WMGW__COUNT(w->c, invalidations);
    w->c->ops->invalidate(op);
    return 0;
}

static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n != WMGW_CACHE_SNAPSHOT_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return true;
}

int wmgw_cache_snapshot_read(struct wmgw_cache_worker *w, const char *id, size_t offset, size_t count,
                             wmgw_cache_page_cb cb, void *data, struct wmgw_cache_op **out)
{
    if (!valid_id(id) || count == 0 || count > w->c->cfg.max_snapshot_items || offset > SIZE_MAX / 2)
        return WMGW_EINVAL;
    struct wmgw_cache_op *op = op_new(w, WMGW__OP_PAGE, data);
    if (op == NULL)
        return WMGW_ENOMEM;
    memcpy(op->id, id, sizeof(op->id));
    op->offset = offset;
    op->count = count;
    op->cb.page = cb;
    if (out != NULL)
        *out = op;
    w->c->ops->page(op);
    return 0;
}

/* --- the worker ------------------------------------------------------------------------- */

void wmgw__worker_set_state(struct wmgw_cache_worker *w, enum wmgw_cache_state s, const char *error,
                            const char *master, bool reconnected)
{
    struct wmgw_cache *c = w->c;
    pthread_mutex_lock(&c->lock);
    w->wstate.state = s;
    if (reconnected)
        w->wstate.reconnects++;
    if (error != NULL) {
        snprintf(w->wstate.error, sizeof(w->wstate.error), "%s", error);
        snprintf(c->last_error, sizeof(c->last_error), "%s", error);
    }
    if (master != NULL)
        snprintf(w->wstate.master, sizeof(w->wstate.master), "%s", master);
    pthread_mutex_unlock(&c->lock);
}

int wmgw_cache_worker_new(struct wmgw_cache *c, h2o_evloop_t *loop, struct wmgw_cache_worker **out,
                          struct wmgw_err *err)
{
    struct wmgw_cache_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "cache: out of memory");
    w->c = c;
    w->loop = loop;
    wmgw__timers_init(&w->timers, loop);
    pthread_mutex_init(&w->ready_lock, NULL);
    h2o_linklist_init_anchor(&w->ready);
    w->ready_soon.cb = on_ready_soon;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0) {
        int e = errno;
        wmgw__timers_dispose(&w->timers);
        pthread_mutex_destroy(&w->ready_lock);
        free(w);
        return wmgw_err_set(err, WMGW_EINTERNAL, "cache: eventfd: %s", strerror(e));
    }
    w->wake = h2o_evloop_socket_create(loop, w->wake_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->wake->data = w;
    h2o_socket_read_start(w->wake, on_wake);
    w->wstate.state = WMGW_CACHE_CONNECTING;
    pthread_mutex_lock(&c->lock);
    h2o_linklist_insert(&c->workers, &w->link);
    pthread_mutex_unlock(&c->lock);
    int rc = c->ops->worker_open(w, err);
    if (rc != 0) {
        wmgw_cache_worker_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static void drop_ready(struct wmgw_cache_worker *w)
{
    pthread_mutex_lock(&w->ready_lock);
    while (!h2o_linklist_is_empty(&w->ready)) {
        struct wmgw_cache_op *op = H2O_STRUCT_FROM_MEMBER(struct wmgw_cache_op, link, w->ready.next);
        h2o_linklist_unlink(&op->link);
        pthread_mutex_unlock(&w->ready_lock);
        wmgw__op_free(op);
        pthread_mutex_lock(&w->ready_lock);
    }
    pthread_mutex_unlock(&w->ready_lock);
}

void wmgw_cache_worker_free(struct wmgw_cache_worker *w)
{
    if (w == NULL)
        return;
    struct wmgw_cache *c = w->c;
    /* Ops due are dropped without callbacks: first while the store can
     * still take back a fill among them, and again after it let go of the
     * ops it held. */
    drop_ready(w);
    if (w->store != NULL)
        c->ops->worker_close(w);
    drop_ready(w);
    if (h2o_timeout_is_linked(&w->ready_soon))
        h2o_timeout_unlink(&w->ready_soon);
    pthread_mutex_lock(&c->lock);
    h2o_linklist_unlink(&w->link);
    c->reconnects_gone += w->wstate.reconnects;
    pthread_mutex_unlock(&c->lock);
    h2o_socket_read_stop(w->wake);
    h2o_socket_close(w->wake); /* closes wake_fd */
    wmgw__timers_dispose(&w->timers);
    pthread_mutex_destroy(&w->ready_lock);
    free(w);
}
