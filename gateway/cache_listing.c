/*
 * cache_listing.c: listings from the answer cache (cache_listing.h): the
 * key, the lookup, answering a hit, the tee that copies a miss into the
 * cache entry and the paging snapshot, and pages read from a snapshot.
 */
#include "gateway/cache_listing.h"
#include "cache/cache.h"
#include "cim/json.h"
#include "gateway/authz.h"
#include "gateway/cursor.h"
#include "gateway/vault_gw.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SNAP_PREFIX "snap:"
#define CURSOR_LIFETIME 240 /* seconds; stream.c's cursors live as long */
#define PAGE_WAIT_MS 100    /* a snapshot still being written is read again this often */
#define MAX_ALL_ITEMS 1000000 /* an unpaged NDJSON continuation reads at most this many */

struct wmgw_cache_tee {
    const char *x_cache;              /* "miss" */
    struct wmgw_cache_fill *fill;     /* the entry being filled, or NULL */
    struct wmgw_cache_ttl ttl;
    struct wmgw_cache_snapshot *snap; /* the paging snapshot, or NULL */
    bool paged;                       /* items past `limit` go to the snapshot only */
    unsigned limit;
    size_t items;
    int64_t expires;                  /* of the snapshot's cursors (unix seconds) */
    uint64_t cred;                    /* credential_tag of the credential that read it */
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1];
    char next[WMGW_CACHE_SNAPSHOT_ID_LEN + 96];
};

struct lookup {
    struct wmgw_exec *x;
    struct wmgw_cache_op *op;         /* the get in flight */
    wmgw_cache_go_cb go;
    void *data;
    bool ndjson;
    bool fresh;                       /* ?fresh=true or Cache-Control: no-cache */
    char cred[512];                   /* wmgw_cache_credential_of */
    struct wmgw_stream_paging *paging;
    struct wmgw_cache_tee tee;
    /* a hit being sent */
    h2o_generator_t gen;
    struct wmgw_cache_value *value;
};

/* --- keys ---------------------------------------------------------------------------- */

int wmgw_cache_credential_of(struct wmgw_exec *x, char *out, size_t size)
{
    /* The credential the call would run as: its id and version are the
     * identity (never the secret, which a hit never needs revealed).
     * Without one, the host's configured account. */
    char id[WMGW_VAULT_ID_MAX + 1];
    uint64_t version;
    if (wmgw_vault_gw_identity(x, id, &version) != 0)
        return WMGW_EACCES; /* answered */
    const struct wmgw_backend *b = x->host->cfg.backend;
    if (id[0] != '\0')
        snprintf(out, size, "vault:%s#%" PRIu64 "@%s:%u", id, version, b->address ? b->address : "",
                 (unsigned)b->port);
    else
        snprintf(out, size, "user:%s@%s:%u", b->user ? b->user : "", b->address ? b->address : "",
                 (unsigned)b->port);
    return 0;
}

/* A short tag of x's backend credential in a snapshot's continuation: a
 * page is read only with the credential the snapshot was read with (FNV-1a;
 * the cursor's signature makes it unforgeable). */
static uint64_t credential_tag(const char *cred)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)cred; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static enum wmgw_cache_kind kind_of(const char *scope)
{
    if (strcmp(scope, "query") == 0)
        return WMGW_CACHE_QUERY;
    if (strncmp(scope, "associators:", 12) == 0)
        return WMGW_CACHE_ASSOCIATORS;
    if (strncmp(scope, "references:", 11) == 0)
        return WMGW_CACHE_REFERENCES;
    return WMGW_CACHE_ENUMERATION;
}

static h2o_iovec_t path_only(h2o_req_t *req)
{
    const char *q = memchr(req->path.base, '?', req->path.len);
    return h2o_iovec_init(req->path.base, q ? (size_t)(q - req->path.base) : req->path.len);
}

/* Cache-Control: no-cache, or ?fresh=true (or bare ?fresh). */
static bool wants_fresh(struct wmgw_request *r)
{
    h2o_req_t *req = r->req;
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_CACHE_CONTROL, i)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[i].value;
        for (size_t k = 0; k + 8 <= v.len; k++)
            if (strncasecmp(v.base + k, "no-cache", 8) == 0)
                return true;
    }
    bool bad = false;
    const char *f = wmgw_request_query(r, "fresh", &bad);
    return f != NULL && !bad && (f[0] == '\0' || strcasecmp(f, "true") == 0 || strcmp(f, "1") == 0);
}

/* --- answering a hit ------------------------------------------------------------------ */

static void lookup_dispose(void *p)
{
    struct lookup *l = p;
    if (l->op != NULL)
        wmgw_cache_op_cancel(l->op);
    if (l->tee.fill != NULL)
        wmgw_cache_fill_abandon(l->tee.fill);
    if (l->tee.snap != NULL)
        wmgw_cache_snapshot_abandon(l->tee.snap);
    wmgw_cache_value_unref(l->value);
}

static void hit_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    (void)g;
    (void)req; /* the whole body went in one send */
}

static void start_headers(struct wmgw_request *r, bool ndjson, const char *x_cache)
{
    h2o_req_t *req = r->req;
    wmgw_respond_common_headers(r);
    req->res.status = 200;
    req->res.reason = "OK";
    if (ndjson)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/x-ndjson"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-cache"), 0, NULL, x_cache, strlen(x_cache));
    r->answered = true;
}

static void answer_value(struct lookup *l, struct wmgw_cache_value *v, uint64_t age_ms, const char *x_cache)
{
    struct wmgw_request *r = l->x->r;
    h2o_req_t *req = r->req;
    l->value = v; /* released with the request */
    start_headers(r, l->ndjson, x_cache);
    char age[24];
    int n = snprintf(age, sizeof(age), "%" PRIu64, age_ms / 1000);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_AGE, NULL, h2o_strdup(&req->pool, age, (size_t)n).base,
                   (size_t)n);
    l->gen.proceed = hit_proceed;
    l->gen.stop = NULL;
    h2o_start_response(req, &l->gen);
    h2o_iovec_t body = h2o_iovec_init(v->data, v->len);
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
}

/* --- the lookup ------------------------------------------------------------------------ */

/* A miss we fill: a paged listing also gets its snapshot, and the backend
 * then reads the whole listing.  Without a snapshot a page's `next` would
 * be the backend's own context, which must not be stored. */
static void begin_fill(struct lookup *l, struct wmgw_cache_fill *fill)
{
    struct wmgw_exec *x = l->x;
    struct wmgw_cache_tee *t = &l->tee;
    const char *cls = l->paging->cursor.query != NULL ? "" : (x->cls ? x->cls->cls->name : x->class_name);
    t->ttl = wmgw_cache_ttl_find(x->r->gw->cache_ttl, x->ns, cls);
    if (t->ttl.fresh_ms == 0) { /* configured not to be stored */
        wmgw_cache_fill_abandon(fill);
        return;
    }
    t->fill = fill;
    if (l->paging->limit == 0)
        return;
    if (l->fresh) {
        /* Asked for the host's own answer: paged by the host itself, as
         * without a cache (also the way round a listing too large for a
         * snapshot). */
        wmgw_cache_fill_abandon(t->fill);
        t->fill = NULL;
        return;
    }
    t->expires = (int64_t)time(NULL) + CURSOR_LIFETIME;
    unsigned life = t->ttl.fresh_ms + t->ttl.stale_ms + (CURSOR_LIFETIME + 10) * 1000u;
    if (wmgw_cache_snapshot_begin(x->r->worker->cache, life, &t->snap, t->id) != 0) {
        t->snap = NULL;
        wmgw_cache_fill_abandon(t->fill);
        t->fill = NULL;
        return;
    }
    t->paged = true;
    t->limit = l->paging->limit;
    t->cred = credential_tag(l->cred);
    x->call.op.limit = 0;
    x->call.op.cursor = NULL;
    l->paging->filter.limit = 0;
}

static void on_lookup(void *data, struct wmgw_cache_result *res)
{
    struct lookup *l = data;
    l->op = NULL;
    switch (res->outcome) {
    case WMGW_CACHE_HIT:
    case WMGW_CACHE_STALE:
        answer_value(l, res->value, res->age_ms, res->outcome == WMGW_CACHE_HIT ? "hit" : "stale");
        return;
    case WMGW_CACHE_FILL:
        begin_fill(l, res->fill);
        break;
    case WMGW_CACHE_BYPASS:
        break;
    }
    l->go(l->data, &l->tee);
}

bool wmgw_cache_listing_lookup(struct wmgw_exec *x, bool ndjson, struct wmgw_stream_paging *paging,
                               wmgw_cache_go_cb go, void *data)
{
    struct wmgw_request *r = x->r;
    struct wmgw_cache_worker *w = r->worker->cache;
    const struct wmgw_cursor *c = &paging->cursor;
    /* A continuation of the backend's own context is the backend's. */
    if (w == NULL || x->call.op.cursor != NULL || paging->filter.skip > 0 || c->host == NULL || c->scope == NULL)
        return false;
    /* A hit never reaches exec_start: its authorization again here (the
     * handlers' exec_detect / exec_with_class checked it already). */
    if (wmgw_authz_host(r, x->host_name, x->ns) != 0)
        return true; /* answered */
    h2o_mem_pool_t *pool = &r->req->pool;
    struct lookup *l = h2o_mem_alloc_shared(pool, sizeof(*l), lookup_dispose);
    memset(l, 0, sizeof(*l));
    if (wmgw_cache_credential_of(x, l->cred, sizeof(l->cred)) != 0)
        return true; /* answered */
    char limit[32];
    snprintf(limit, sizeof(limit), "limit=%u", paging->limit);
    h2o_iovec_t path = path_only(r->req);
    const char *params[5];
    size_t np = 0;
    params[np++] = ndjson ? "format=ndjson" : "format=json";
    params[np++] = h2o_strdup(pool, limit, SIZE_MAX).base;
    h2o_iovec_t pp = h2o_concat(pool, h2o_iovec_init(H2O_STRLIT("path=")), path);
    params[np++] = pp.base;
    if (c->where != NULL)
        params[np++] =
            h2o_concat(pool, h2o_iovec_init(H2O_STRLIT("where=")), h2o_iovec_init(c->where, strlen(c->where))).base;
    params[np++] =
        h2o_concat(pool, h2o_iovec_init(H2O_STRLIT("scope=")), h2o_iovec_init(c->scope, strlen(c->scope))).base;
    const char *props[1] = {c->select};
    struct wmgw_cache_key key = {
        .host = x->host_name,
        .ns = x->ns,
        .kind = kind_of(c->scope),
        .target = c->query != NULL ? c->query : c->scope,
        .props = props,
        .nprops = c->select != NULL ? 1 : 0,
        .params = params,
        .nparams = np,
        .credential = l->cred,
    };
    l->x = x;
    l->go = go;
    l->data = data;
    l->ndjson = ndjson;
    l->paging = paging;
    l->tee.x_cache = "miss";
    l->fresh = wants_fresh(r);
    unsigned flags = l->fresh ? WMGW_CACHE_GET_FRESH : 0;
    if (r->answered) /* a malformed ?fresh was answered 400 */
        return true;
    if (wmgw_cache_get(w, &key, flags, on_lookup, l, &l->op) != 0) {
        l->op = NULL;
        return false; /* a key over the limits: serve uncached */
    }
    return true;
}

/* --- the tee ---------------------------------------------------------------------------- */

void wmgw_cache_tee_headers(struct wmgw_cache_tee *t, h2o_req_t *req)
{
    if (t != NULL)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-cache"), 0, NULL, t->x_cache,
                              strlen(t->x_cache));
}

int wmgw_cache_tee_item(struct wmgw_cache_tee *t, const char *item, size_t n)
{
    if (t == NULL || !t->paged)
        return 1;
    t->items++;
    if (t->snap != NULL && wmgw_cache_snapshot_append(t->snap, item, n) != 0) {
        /* The whole listing went to the backend: without its snapshot it
         * has no honest `next`.  The caller retries with fresh=true. */
        wmgw_cache_snapshot_abandon(t->snap);
        t->snap = NULL;
        if (t->fill != NULL)
            wmgw_cache_fill_abandon(t->fill);
        t->fill = NULL;
        return WMGW_ETOOBIG;
    }
    if (t->snap == NULL)
        return WMGW_ETOOBIG;
    return t->items <= t->limit ? 1 : 0;
}

const char *wmgw_cache_tee_next(struct wmgw_cache_tee *t)
{
    if (t == NULL || !t->paged || t->items <= t->limit)
        return NULL;
    snprintf(t->next, sizeof(t->next), SNAP_PREFIX "%s:%u:%" PRId64 ":%016" PRIx64, t->id, t->limit, t->expires,
             t->cred);
    return t->next;
}

void wmgw_cache_tee_sent(struct wmgw_cache_tee *t, const char *p, size_t n, bool final)
{
    if (t == NULL)
        return;
    if (t->fill != NULL && wmgw_cache_fill_append(t->fill, p, n) != 0) {
        wmgw_cache_fill_abandon(t->fill); /* larger than max-entry-size: streams on uncached */
        t->fill = NULL;
    }
    if (!final)
        return;
    /* The snapshot first: a stored first page must never name a snapshot
     * that is not complete. */
    if (t->snap != NULL)
        wmgw_cache_snapshot_commit(t->snap);
    t->snap = NULL;
    if (t->fill != NULL)
        wmgw_cache_fill_commit(t->fill, &t->ttl);
    t->fill = NULL;
}

/* --- pages from a snapshot --------------------------------------------------------------- */

struct page {
    struct wmgw_exec *x;
    bool ndjson;
    struct wmgw_cursor cursor; /* copied; backend replaced per page */
    unsigned limit;
    char id[WMGW_CACHE_SNAPSHOT_ID_LEN + 1];
    size_t offset;
    int64_t expires;
    uint64_t cred;
    uint64_t deadline_ms;
    struct wmgw_cache_op *op;
    h2o_timeout_entry_t again;
    struct wmgw_buf body;
    h2o_generator_t gen;
};

static void page_dispose(void *p)
{
    struct page *g = p;
    if (g->op != NULL)
        wmgw_cache_op_cancel(g->op);
    if (h2o_timeout_is_linked(&g->again))
        h2o_timeout_unlink(&g->again);
    wmgw_cursor_dispose(&g->cursor);
    wmgw_buf_dispose(&g->body);
}

/* "snap:<id>:<offset>:<expires>:<credential tag>" */
static bool parse_snap(const char *s, struct page *g)
{
    size_t plen = strlen(SNAP_PREFIX);
    if (strncmp(s, SNAP_PREFIX, plen) != 0)
        return false;
    s += plen;
    size_t n = strspn(s, "0123456789abcdef");
    if (n != WMGW_CACHE_SNAPSHOT_ID_LEN || s[n] != ':')
        return false;
    memcpy(g->id, s, n);
    g->id[n] = '\0';
    char *end;
    unsigned long long off = strtoull(s + n + 1, &end, 10);
    if (*end != ':' || off > MAX_ALL_ITEMS)
        return false;
    long long exp = strtoll(end + 1, &end, 10);
    if (*end != ':' || exp <= 0 || strlen(end + 1) != 16 || strspn(end + 1, "0123456789abcdef") != 16)
        return false;
    g->offset = (size_t)off;
    g->expires = exp;
    g->cred = strtoull(end + 1, NULL, 16);
    return true;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The `next` URL: this path, the cursor around the snapshot's continuation. */
static int write_next(struct page *g, struct wmgw_buf *out, size_t next_offset)
{
    struct wmgw_request *r = g->x->r;
    char cont[WMGW_CACHE_SNAPSHOT_ID_LEN + 96];
    snprintf(cont, sizeof(cont), SNAP_PREFIX "%s:%zu:%" PRId64 ":%016" PRIx64, g->id, next_offset, g->expires,
             g->cred);
    free(g->cursor.backend);
    g->cursor.backend = strdup(cont);
    g->cursor.expires = g->expires;
    struct wmgw_buf token, url;
    wmgw_buf_init(&token, 16384);
    wmgw_buf_init(&url, 32768);
    h2o_iovec_t path = path_only(r->req);
    int rc = g->cursor.backend ? wmgw_cursor_format(&token, r->gw->cursor_key, &g->cursor) : WMGW_ENOMEM;
    if (rc == 0)
        rc = wmgw_buf_add(&url, path.base, path.len);
    if (rc == 0)
        rc = wmgw_buf_printf(&url, "?cursor=%s", token.data);
    if (rc == 0 && g->limit > 0)
        rc = wmgw_buf_printf(&url, "&limit=%u", g->limit);
    if (rc == 0)
        rc = wmgw_json_write_string(out, url.data, url.len);
    wmgw_buf_dispose(&token);
    wmgw_buf_dispose(&url);
    return rc;
}

static int write_page(struct page *g, const struct wmgw_cache_page *p)
{
    struct wmgw_buf *b = &g->body;
    bool more = p->complete && g->offset + p->nitems < p->total;
    int rc = g->ndjson ? 0 : wmgw_buf_addstr(b, "{\"items\":[");
    for (size_t i = 0; i < p->nitems && rc == 0; i++) {
        if (!g->ndjson && i > 0)
            rc = wmgw_buf_addc(b, ',');
        if (rc == 0)
            rc = wmgw_buf_add(b, p->items[i].data, p->items[i].len);
        if (rc == 0 && g->ndjson)
            rc = wmgw_buf_addc(b, '\n');
    }
    if (rc != 0)
        return rc;
    if (g->ndjson) {
        if (!more)
            return 0;
        rc = wmgw_buf_addstr(b, "{\"@next\":");
        if (rc == 0)
            rc = write_next(g, b, g->offset + p->nitems);
        return rc ? rc : wmgw_buf_addstr(b, "}\n");
    }
    rc = wmgw_buf_addstr(b, "],\"next\":");
    if (rc == 0)
        rc = more ? write_next(g, b, g->offset + p->nitems) : wmgw_buf_addstr(b, "null");
    return rc ? rc : wmgw_buf_addc(b, '}');
}

static void read_page(struct page *g);

static void on_again(h2o_timeout_entry_t *e)
{
    struct page *g = H2O_STRUCT_FROM_MEMBER(struct page, again, e);
    read_page(g);
}

static void on_page(void *data, int status, struct wmgw_cache_page *p)
{
    struct page *g = data;
    struct wmgw_request *r = g->x->r;
    g->op = NULL;
    if (status == WMGW_ENOTFOUND) {
        wmgw_respond_problem(r, WMGW_EGONE, "cursor: the listing's snapshot expired; start the listing again");
        return;
    }
    if (status != 0) {
        wmgw_respond_problem(r, WMGW_ERETRY, "cursor: the cache holding this listing is unavailable; retry");
        return;
    }
    size_t want = g->limit ? g->limit : MAX_ALL_ITEMS;
    if (!p->complete && p->nitems < want) {
        /* Another request is still writing it (it answers its own page at the end). */
        wmgw_cache_page_free(p);
        if (now_ms() >= g->deadline_ms) {
            wmgw_respond_problem(r, WMGW_ERETRY, "cursor: the listing is still being read from the host; retry");
            return;
        }
        h2o_timeout_link(r->worker->loop, &r->worker->ctx.hundred_ms_timeout, &g->again);
        return;
    }
    int rc = write_page(g, p);
    wmgw_cache_page_free(p);
    if (rc != 0) {
        wmgw_respond_problem(r, rc, "cannot write the page (%s)", wmgw_err_summary(rc));
        return;
    }
    start_headers(r, g->ndjson, "hit");
    g->gen.proceed = hit_proceed;
    h2o_start_response(r->req, &g->gen);
    h2o_iovec_t body = h2o_iovec_init(g->body.data ? g->body.data : "", g->body.len);
    h2o_send(r->req, &body, 1, H2O_SEND_STATE_FINAL);
}

static void read_page(struct page *g)
{
    struct wmgw_request *r = g->x->r;
    size_t count = g->limit ? g->limit : MAX_ALL_ITEMS;
    if (wmgw_cache_snapshot_read(r->worker->cache, g->id, g->offset, count, on_page, g, &g->op) != 0) {
        g->op = NULL;
        wmgw_respond_problem(r, WMGW_ERETRY, "cursor: the cache holding this listing is unavailable; retry");
    }
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

bool wmgw_cache_listing_page(struct wmgw_exec *x, bool ndjson, const struct wmgw_stream_paging *paging,
                             const char *backend_cursor)
{
    if (backend_cursor == NULL || strncmp(backend_cursor, SNAP_PREFIX, strlen(SNAP_PREFIX)) != 0)
        return false;
    struct wmgw_request *r = x->r;
    struct page *g = h2o_mem_alloc_shared(&r->req->pool, sizeof(*g), page_dispose);
    memset(g, 0, sizeof(*g));
    g->x = x;
    g->ndjson = ndjson;
    g->limit = paging->limit;
    g->again.cb = on_again;
    wmgw_buf_init(&g->body, 256u << 20);
    if (!parse_snap(backend_cursor, g)) {
        wmgw_respond_problem(r, WMGW_EINVAL, "cursor: not valid");
        return true;
    }
    if (wmgw_authz_host(r, x->host_name, x->ns) != 0)
        return true; /* answered */
    char cred[512];
    if (wmgw_cache_credential_of(x, cred, sizeof(cred)) != 0)
        return true; /* answered */
    if (g->cred != credential_tag(cred)) {
        wmgw_respond_problem(r, WMGW_EGONE, "cursor: the host's credential changed since; start the listing again");
        return true;
    }
    if (g->expires < (int64_t)time(NULL)) {
        wmgw_respond_problem(r, WMGW_EGONE, "cursor: expired; start the listing again");
        return true;
    }
    if (r->worker->cache == NULL) {
        wmgw_respond_problem(r, WMGW_EGONE, "cursor: this gateway keeps no listing snapshots; start again");
        return true;
    }
    const struct wmgw_cursor *c = &paging->cursor;
    g->cursor.host = dup_or_null(c->host);
    g->cursor.namespace_ = dup_or_null(c->namespace_);
    g->cursor.scope = dup_or_null(c->scope);
    g->cursor.where = dup_or_null(c->where);
    g->cursor.select = dup_or_null(c->select);
    g->cursor.query = dup_or_null(c->query);
    g->deadline_ms = now_ms() + r->gw->config->cache_wait_ms;
    read_page(g);
    return true;
}
