/*
 * cache_write.c: invalidation on writes (cache_write.h).
 *
 * The write's sink is wrapped: every result goes through unchanged; its
 * on_done starts the host's invalidation and the real on_done runs when
 * that completed (or failed: with Redis down the cache remembers the host
 * and invalidates it on reconnection; the write is answered anyway).  The
 * invalidation also runs after a failed write, which may have changed
 * part of the host's state.
 */
#include "gateway/cache_write.h"
#include "cache/cache.h"
#include "gateway/exec.h"
#include "util/err.h"

#include <string.h>

struct write_wrap {
    struct wmgw_sink_ops ops; /* first: call->sink points here */
    const struct wmgw_sink_ops *orig;
    struct wmgw_call *call;
    struct wmgw_backend_error err;
    bool failed;
    struct wmgw_cache_op *op; /* the invalidation in flight */
};

static struct write_wrap *wrap_of(struct wmgw_call *call)
{
    return (struct write_wrap *)call->sink;
}

static void on_invalidated(void *data, int status)
{
    (void)status; /* unavailable: remembered by the cache, the write stands */
    struct write_wrap *w = data;
    w->op = NULL;
    w->call->sink = w->orig;
    w->orig->on_done(w->call, w->failed ? &w->err : NULL);
}

static void on_done(struct wmgw_call *call, const struct wmgw_backend_error *err)
{
    struct write_wrap *w = wrap_of(call);
    struct wmgw_exec *x = call->sink_data;
    if (err != NULL) {
        w->err = *err;
        w->failed = true;
    }
    /* The translator is done with the call: the request's clean-up must
     * not cancel it while the invalidation runs. */
    x->call_running = false;
    if (wmgw_cache_invalidate(x->r->worker->cache, x->host_name, on_invalidated, w, &w->op) != 0) {
        w->op = NULL;
        on_invalidated(w, WMGW_ERETRY);
    }
}

/* The wrapped results, handed on as they come. */
static void on_instance(struct wmgw_call *c, struct wmgw_cim_instance *v) { wrap_of(c)->orig->on_instance(c, v); }
static void on_ref(struct wmgw_call *c, struct wmgw_cim_ref *v) { wrap_of(c)->orig->on_ref(c, v); }
static void on_class(struct wmgw_call *c, struct wmgw_cim_class *v) { wrap_of(c)->orig->on_class(c, v); }
static void on_output(struct wmgw_call *c, struct wmgw_cim_proplist *v) { wrap_of(c)->orig->on_output(c, v); }
static void on_identity(struct wmgw_call *c, const struct wmgw_identity *v) { wrap_of(c)->orig->on_identity(c, v); }
static void on_batch(struct wmgw_call *c) { wrap_of(c)->orig->on_batch(c); }
static void on_cursor(struct wmgw_call *c, const char *v) { wrap_of(c)->orig->on_cursor(c, v); }

static void wrap_dispose(void *p)
{
    struct write_wrap *w = p;
    if (w->op != NULL) /* the caller went away during the invalidation */
        wmgw_cache_op_cancel(w->op);
}

void wmgw_cache_wrap_write(struct wmgw_exec *x)
{
    struct wmgw_call *c = &x->call;
    enum wmgw_op_kind k = c->op.kind;
    if (x->r->worker->cache == NULL || c->sink == NULL ||
        (k != WMGW_OP_CREATE && k != WMGW_OP_MODIFY && k != WMGW_OP_DELETE && k != WMGW_OP_INVOKE))
        return;
    struct write_wrap *w = h2o_mem_alloc_shared(&x->r->req->pool, sizeof(*w), wrap_dispose);
    memset(w, 0, sizeof(*w));
    w->orig = c->sink;
    w->call = c;
    const struct wmgw_sink_ops *o = c->sink;
    w->ops.on_instance = o->on_instance ? on_instance : NULL;
    w->ops.on_ref = o->on_ref ? on_ref : NULL;
    w->ops.on_class = o->on_class ? on_class : NULL;
    w->ops.on_output = o->on_output ? on_output : NULL;
    w->ops.on_identity = o->on_identity ? on_identity : NULL;
    w->ops.on_batch = o->on_batch ? on_batch : NULL;
    w->ops.on_cursor = o->on_cursor ? on_cursor : NULL;
    w->ops.on_done = on_done;
    c->sink = &w->ops;
}
