/*
 * stream.c: listings streamed to the caller with backpressure (stream.h).
 *
 * Two buffers: `fill` receives the JSON of decoded items while `flight` is
 * with h2o.  When h2o calls proceed (flight sent), fill becomes flight; when
 * both are empty and the translator paused at a batch end, it is resumed.
 * Where the host cannot filter, each typed item passes the gateway's own
 * WHERE/SELECT (filter.h) first; a full page then stops the backend call
 * itself and ends with a "skip:" cursor.
 */
#include "gateway/stream.h"
#include "gateway/cache_listing.h"
#include "cim/json.h"
#include "gateway/normalize.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FLUSH_AT (256 * 1024)  /* send mid-batch past this many bytes */
#define CURSOR_LIFETIME 240    /* seconds: WinRM's default enumeration timeout */

struct stream {
    h2o_generator_t super;
    struct wmgw_exec *x;
    bool ndjson;
    bool started, sending, paused, done, failed, final_sent;
    bool stopped;                 /* the gateway's filter filled the page: ignore the rest */
    struct wmgw_buf fill, flight;
    size_t count;
    struct wmgw_stream_paging paging;
    char *next;                   /* URL of the next page, or NULL */
    struct wmgw_backend_error err;
    /* instances held until their classes are fetched (one batch at most) */
    size_t npending, cap;
    struct wmgw_cim_instance **pending;
    size_t nasked;
    char *asked[16];              /* classes fetched (or tried) mid-listing */
    bool draining;                /* a class fetch is under way */
    void (*then)(struct stream *s);
    struct wmgw_cache_tee *tee;   /* what the answer cache copies, or NULL (cache_listing.h) */
};

static void send_more(struct stream *s);
static void done_written(struct stream *s);
static void finish_stopped(struct stream *s);

static void stream_dispose(void *p)
{
    struct stream *s = p;
    for (size_t i = 0; i < s->npending; i++)
        wmgw_cim_instance_unref(s->pending[i]);
    free(s->pending);
    for (size_t i = 0; i < s->nasked; i++)
        free(s->asked[i]);
    wmgw_buf_dispose(&s->fill);
    wmgw_buf_dispose(&s->flight);
    wmgw_cursor_dispose(&s->paging.cursor);
    free(s->next);
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct stream *s = (struct stream *)g;
    s->sending = false;
    wmgw_buf_reset(&s->flight);
    send_more(s);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
    /* The caller went away: send nothing more; the request pool's clean-up
     * cancels the call. */
    struct stream *s = (struct stream *)g;
    s->final_sent = true;
}

static int write_item_sep(struct stream *s)
{
    if (s->ndjson)
        return 0;
    return s->count > 0 ? wmgw_buf_addc(&s->fill, ',') : 0;
}

static void set_next(struct stream *s, const char *backend_cursor);

/* The item just written from mark (before its separator) on is offered to
 * the cache's tee: a snapshot keeps every item, the caller's page only the
 * first `limit`.  Returns false when the item is not the caller's. */
static bool tee_item(struct stream *s, size_t mark, int *rc)
{
    if (s->tee == NULL || *rc != 0)
        return true;
    size_t start = mark + (!s->ndjson && s->count > 0);
    int keep = wmgw_cache_tee_item(s->tee, s->fill.data + start, s->fill.len - start);
    if (keep == 1)
        return true;
    s->fill.len = mark; /* past the page: the snapshot has it */
    if (keep < 0 && !s->failed) {
        s->failed = true;
        s->stopped = true;
        wmgw_backend_error_set(&s->err, WMGW_ETOOBIG,
                               "the listing is larger than [cache] max-snapshot-size and cannot be paged from "
                               "the cache; ask again with fresh=true or as NDJSON without limit");
    }
    return false;
}

/* Writes one decoded instance (its class is lent to the call by now),
 * unless the gateway's own filter drops it or stops the page at it. */
static void write_instance_item(struct stream *s, struct wmgw_cim_instance *inst)
{
    struct wmgw_exec *x = s->x;
    if (s->stopped)
        return;
    const struct wmgw_wql_query *q = x->call.op.query;
    int rc = wmgw_normalize_instance(x, inst, q != NULL && q->kind == WMGW_WQL_SELECT && !q->select_all);
    struct wmgw_filter *f = &s->paging.filter;
    if (rc == 0 && f->active) {
        enum wmgw_filter_verdict v = wmgw_filter_item(f, x, inst, &rc);
        if (v == WMGW_FILTER_STOP) {
            char cursor[64];
            wmgw_filter_cursor(f, cursor, sizeof(cursor));
            set_next(s, cursor);
            s->stopped = true;
            return;
        }
        if (v == WMGW_FILTER_DROP && rc == 0)
            return;
    }
    const struct wmgw_cim_class *cls = wmgw_exec_class(x, inst->class_name);
    size_t mark = s->fill.len;
    if (rc == 0)
        rc = write_item_sep(s);
    if (rc == 0)
        rc = wmgw_cim_json_write_instance(&s->fill, inst, cls, x->host_name);
    if (!tee_item(s, mark, &rc))
        return;
    if (rc == 0 && s->ndjson)
        rc = wmgw_buf_addc(&s->fill, '\n');
    if (rc != 0 && !s->failed) {
        s->failed = true;
        wmgw_backend_error_set(&s->err, rc, "cannot write an item (%s)", wmgw_err_summary(rc));
    }
    s->count++;
}

/* Instances are held for the length of one batch: one of a class this call
 * has not fetched (a derived class in a listing) is written only after its
 * class arrives, so every item is typed by its own class. */
static void on_instance(struct wmgw_call *call, struct wmgw_cim_instance *inst)
{
    struct wmgw_exec *x = call->sink_data;
    struct stream *s = x->data;
    if (s->stopped) {
        wmgw_cim_instance_unref(inst);
        return;
    }
    if (s->npending == 0 && wmgw_exec_has_class(x, inst->class_name)) {
        write_instance_item(s, inst);
        wmgw_cim_instance_unref(inst);
        if (s->stopped)
            finish_stopped(s);
        else if (s->started && !s->sending && s->fill.len >= FLUSH_AT)
            send_more(s);
        return;
    }
    if (s->npending == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct wmgw_cim_instance **p = realloc(s->pending, cap * sizeof(*p));
        if (p == NULL) {
            wmgw_cim_instance_unref(inst);
            if (!s->failed) {
                s->failed = true;
                wmgw_backend_error_set(&s->err, WMGW_ENOMEM, "out of memory");
            }
            return;
        }
        s->pending = p;
        s->cap = cap;
    }
    s->pending[s->npending++] = inst;
}

/* Fetches the classes of held instances, then writes them in order and
 * goes on with `then`.  A class asked for once is not asked for again
 * (the host may not have it: its instances are then written untyped). */
static bool attempted(struct stream *s, const char *name)
{
    for (size_t i = 0; i < s->nasked; i++)
        if (strcasecmp(s->asked[i], name) == 0)
            return true;
    return false;
}

static void write_pending(struct wmgw_exec *x);

static void drain_pending(struct stream *s, void (*then)(struct stream *s))
{
    s->then = then;
    for (size_t i = 0; i < s->npending; i++) {
        const char *name = s->pending[i]->class_name;
        if (wmgw_exec_has_class(s->x, name) || attempted(s, name) ||
            s->nasked == sizeof(s->asked) / sizeof(s->asked[0]))
            continue;
        s->asked[s->nasked++] = strdup(name);
        s->draining = true;
        wmgw_exec_need_class(s->x, name, write_pending);
        return;
    }
    s->draining = false;
    for (size_t i = 0; i < s->npending; i++) {
        write_instance_item(s, s->pending[i]);
        wmgw_cim_instance_unref(s->pending[i]);
    }
    s->npending = 0;
    if (s->stopped && !s->final_sent && !(s->done && s->then == done_written))
        finish_stopped(s);
    else
        s->then(s);
}

static void write_pending(struct wmgw_exec *x)
{
    struct stream *s = x->data;
    drain_pending(s, s->then); /* the next missing class, or the writing */
}

static void on_ref(struct wmgw_call *call, struct wmgw_cim_ref *ref)
{
    struct wmgw_exec *x = call->sink_data;
    struct stream *s = x->data;
    if (s->stopped) {
        wmgw_cim_ref_free(ref);
        return;
    }
    size_t mark = s->fill.len;
    int rc = write_item_sep(s);
    if (rc == 0)
        rc = wmgw_cim_json_write_ref(&s->fill, ref, x->host_name);
    wmgw_cim_ref_free(ref);
    if (!tee_item(s, mark, &rc)) {
        if (s->stopped)
            finish_stopped(s);
        return;
    }
    if (rc == 0 && s->ndjson)
        rc = wmgw_buf_addc(&s->fill, '\n');
    s->count++;
}

/* Headers go out with the first batch; a JSON page's opening goes before
 * the items already written. */
static void start_response(struct stream *s)
{
    struct wmgw_request *r = s->x->r;
    if (!s->ndjson) {
        struct wmgw_buf head;
        wmgw_buf_init(&head, s->fill.max);
        if (wmgw_buf_addstr(&head, "{\"items\":[") == 0 && wmgw_buf_add(&head, s->fill.data, s->fill.len) == 0) {
            wmgw_buf_dispose(&s->fill);
            s->fill = head;
        } else {
            wmgw_buf_dispose(&head);
        }
    }
    h2o_req_t *req = r->req;
    wmgw_respond_common_headers(r);
    req->res.status = 200;
    req->res.reason = "OK";
    if (s->ndjson)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/x-ndjson"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    wmgw_cache_tee_headers(s->tee, req);
    r->answered = true;
    s->started = true;
    h2o_start_response(req, &s->super);
}

static void batch_written(struct stream *s);

static void on_batch(struct wmgw_call *call)
{
    struct wmgw_exec *x = call->sink_data;
    struct stream *s = x->data;
    s->paused = true;
    drain_pending(s, batch_written);
}

static void batch_written(struct stream *s)
{
    if (!s->started) {
        if (s->failed)
            return; /* reported at on_done */
        start_response(s);
    }
    send_more(s);
}

static void on_cursor(struct wmgw_call *call, const char *cursor)
{
    struct wmgw_exec *x = call->sink_data;
    set_next(x->data, cursor);
}

/* The "next" link: this listing's cursor around the continuation. */
static void set_next(struct stream *s, const char *cursor)
{
    struct wmgw_exec *x = s->x;
    struct wmgw_cursor *c = &s->paging.cursor;
    free(c->backend);
    c->backend = strdup(cursor);
    c->expires = (int64_t)time(NULL) + CURSOR_LIFETIME;
    struct wmgw_buf url, token;
    wmgw_buf_init(&url, 16384);
    wmgw_buf_init(&token, 8192);
    h2o_req_t *req = x->r->req;
    size_t plen = req->path.len;
    const char *q = memchr(req->path.base, '?', plen);
    if (q != NULL)
        plen = (size_t)(q - req->path.base);
    int rc = c->backend ? wmgw_cursor_format(&token, x->r->gw->cursor_key, c) : WMGW_ENOMEM;
    if (rc == 0)
        rc = wmgw_buf_add(&url, req->path.base, plen);
    if (rc == 0)
        rc = wmgw_buf_printf(&url, "?cursor=%s", token.data);
    if (rc == 0 && s->paging.limit > 0)
        rc = wmgw_buf_printf(&url, "&limit=%u", s->paging.limit);
    if (rc == 0) {
        free(s->next);
        s->next = wmgw_buf_steal(&url, NULL);
    }
    wmgw_buf_dispose(&url);
    wmgw_buf_dispose(&token);
}

static int write_trailer(struct stream *s)
{
    struct wmgw_buf *b = &s->fill;
    if (s->ndjson) {
        if (s->next == NULL)
            return 0;
        int rc = wmgw_buf_addstr(b, "{\"@next\":");
        if (rc == 0)
            rc = wmgw_json_write_string(b, s->next, strlen(s->next));
        return rc ? rc : wmgw_buf_addstr(b, "}\n");
    }
    int rc = wmgw_buf_addstr(b, "],\"next\":");
    if (rc == 0)
        rc = s->next ? wmgw_json_write_string(b, s->next, strlen(s->next)) : wmgw_buf_addstr(b, "null");
    return rc ? rc : wmgw_buf_addc(b, '}');
}

/* The filter filled the page: the rest of the backend's enumeration is not
 * wanted (cancel makes the translator release it), and the page ends here
 * with its "next". */
static void finish_stopped(struct stream *s)
{
    struct wmgw_exec *x = s->x;
    if (x->call_running) {
        wmgw_call_cancel(&x->call);
        wmgw_exec_finished(x, NULL);
    }
    if (s->final_sent)
        return;
    s->done = true;
    s->paused = false;
    for (size_t i = 0; i < s->npending; i++)
        wmgw_cim_instance_unref(s->pending[i]);
    s->npending = 0;
    done_written(s);
}

static void on_done(struct wmgw_call *call, const struct wmgw_backend_error *err)
{
    struct wmgw_exec *x = call->sink_data;
    struct stream *s = x->data;
    wmgw_exec_finished(x, err);
    if (s->final_sent)
        return; /* the caller is gone */
    if (err != NULL && !s->failed) {
        s->err = *err;
        s->failed = true;
    }
    s->done = true;
    s->paused = false;
    drain_pending(s, done_written);
}

static void done_written(struct stream *s)
{
    struct wmgw_exec *x = s->x;
    if (!s->started) {
        if (s->failed) {
            wmgw_respond_backend_error(x->r, x->host_name, &s->err);
            return;
        }
        /* Nothing came in batches (e.g. an empty listing): answer now. */
        start_response(s);
    }
    if (s->failed && s->ndjson) {
        wmgw_buf_addstr(&s->fill, "{\"@error\":");
        wmgw_problem_json(&s->fill, x->r, s->err.code, s->err.message, -1, x->host_name, &s->err);
        wmgw_buf_addstr(&s->fill, "}\n");
    } else if (!s->failed) {
        const char *snap_next = wmgw_cache_tee_next(s->tee); /* a page of the cache's snapshot */
        if (snap_next != NULL)
            set_next(s, snap_next);
        write_trailer(s);
    }
    send_more(s);
}

/* Sends what is pending; resumes the backend when everything is out. */
static void send_more(struct stream *s)
{
    if (!s->started || s->sending || s->final_sent)
        return;
    h2o_req_t *req = s->x->r->req;
    if (s->done && s->failed && !s->ndjson) {
        /* Mid-stream failure of a JSON page: never a well-formed truncation. */
        s->final_sent = true;
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    if (s->fill.len > 0 || s->done) {
        struct wmgw_buf t = s->flight;
        s->flight = s->fill;
        s->fill = t;
        wmgw_buf_reset(&s->fill);
        h2o_iovec_t v = h2o_iovec_init(s->flight.data ? s->flight.data : "", s->flight.len);
        wmgw_cache_tee_sent(s->tee, v.base, v.len, s->done && !s->failed);
        s->sending = true;
        if (s->done)
            s->final_sent = true;
        h2o_send(req, &v, 1, s->done ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
        return;
    }
    if (s->paused && s->x->call_running && !s->draining) {
        s->paused = false;
        wmgw_call_resume(&s->x->call);
    }
}

static const struct wmgw_sink_ops stream_sink = {
    .on_instance = on_instance,
    .on_ref = on_ref,
    .on_batch = on_batch,
    .on_cursor = on_cursor,
    .on_done = on_done,
};

/* The cache missed (or cannot help): run the backend call, tee'd. */
static void stream_go(void *data, struct wmgw_cache_tee *tee)
{
    struct stream *s = data;
    s->tee = tee;
    wmgw_exec_start(s->x, &stream_sink);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void wmgw_stream_start(struct wmgw_exec *x, bool ndjson, const struct wmgw_stream_paging *paging)
{
    struct stream *s = h2o_mem_alloc_shared(&x->r->req->pool, sizeof(*s), stream_dispose);
    memset(s, 0, sizeof(*s));
    s->super.proceed = on_proceed;
    s->super.stop = on_stop;
    s->x = x;
    s->ndjson = ndjson;
    wmgw_buf_init(&s->fill, 64u << 20);
    wmgw_buf_init(&s->flight, 64u << 20);
    s->paging.limit = paging->limit;
    struct wmgw_cursor *c = &s->paging.cursor;
    const struct wmgw_cursor *p = &paging->cursor;
    c->host = dup_or_null(p->host);
    c->namespace_ = dup_or_null(p->namespace_);
    c->scope = dup_or_null(p->scope);
    c->where = dup_or_null(p->where);
    c->select = dup_or_null(p->select);
    c->query = dup_or_null(p->query);
    s->paging.filter = paging->filter;
    /* What the backend still does may be the filter's own query: ours now. */
    if (x->call.op.query == &paging->filter.remote)
        x->call.op.query = &s->paging.filter.remote;
    x->data = s;
    if (wmgw_cache_listing_lookup(x, ndjson, &s->paging, stream_go, s))
        return; /* answered from the cache, or stream_go runs the backend call */
    wmgw_exec_start(x, &stream_sink);
}
