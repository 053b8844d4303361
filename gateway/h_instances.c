/*
 * h_instances.c: CIM instances over REST (operations listInstances,
 * createInstance, getInstance, patchInstance, replaceInstance,
 * deleteInstance of openapi/openapi.json).
 *
 * Every caller value is parsed into the CIM model first (keys against the
 * class schema, bodies through the JSON mapping, `filter` and `select`
 * through the WQL parser), so only the translators' escaping writers ever
 * put it on the wire.
 */
#include "cim/json.h"
#include "cim/path.h"
#include "cim/wql.h"
#include "gateway/cache_listing.h"
#include "gateway/handlers.h"
#include "gateway/normalize.h"
#include "gateway/result.h"
#include "gateway/stream.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- listing ------------------------------------------------------------------ */

struct list_args {
    const char *filter, *select, *cursor, *limit;
    bool ndjson;
};

/* The select list always carries the keys, so every item has its @id. */
static int add_keys_to_select(struct wmgw_wql_query *q, const struct wmgw_cim_class *cls)
{
    if (q->select_all)
        return 0;
    for (size_t i = 0; i < cls->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &cls->props[i];
        if (!(d->flags & WMGW_CIM_Q_KEY))
            continue;
        bool have = false;
        for (size_t k = 0; k < q->nselect && !have; k++)
            have = strcasecmp(q->select[k], d->name) == 0;
        if (have)
            continue;
        char **s = realloc(q->select, (q->nselect + 1) * sizeof(*s));
        if (s == NULL)
            return WMGW_ENOMEM;
        q->select = s;
        if ((s[q->nselect] = strdup(d->name)) == NULL)
            return WMGW_ENOMEM;
        q->nselect++;
    }
    return 0;
}

int wmgw_parse_limit(struct wmgw_request *r, const char *text, unsigned def, unsigned *out)
{
    if (text == NULL) {
        *out = def;
        return 0;
    }
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (*text == '\0' || *end != '\0' || text[0] == '-' || v < 1 || v > 10000) {
        wmgw_respond_problem(r, WMGW_EINVAL, "limit must be a whole number from 1 to 10000");
        return WMGW_EINVAL;
    }
    *out = (unsigned)v;
    return 0;
}

/* Writes q's select list as "A,B" (NULL for *). */
static char *select_text(const struct wmgw_wql_query *q)
{
    if (q->select_all || q->nselect == 0)
        return NULL;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < q->nselect; i++)
        if ((i && wmgw_buf_addc(&b, ',') != 0) || wmgw_buf_addstr(&b, q->select[i]) != 0)
            break;
    return wmgw_buf_steal(&b, NULL);
}

static void query_dispose(void *p)
{
    wmgw_wql_query_free(*(struct wmgw_wql_query **)p);
}

/* Builds the checked query of a listing from filter/select (or a cursor). */
struct wmgw_wql_query *wmgw_list_query(struct wmgw_exec *x, const char *filter, const char *select)
{
    struct wmgw_request *r = x->r;
    const struct wmgw_cim_class *cls = x->cls->cls;
    struct wmgw_wql_query **slot = h2o_mem_alloc_shared(&r->req->pool, sizeof(*slot), query_dispose);
    *slot = calloc(1, sizeof(**slot));
    struct wmgw_wql_query *q = *slot;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (q == NULL || (q->class_name = strdup(cls->name)) == NULL) {
        wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
        return NULL;
    }
    q->kind = WMGW_WQL_SELECT;
    q->select_all = true;
    if (filter != NULL && filter[0] != '\0' &&
        wmgw_wql_parse_condition(filter, strlen(filter), &q->where, &err) != 0) {
        wmgw_respond_problem_at(r, WMGW_EINVAL, err.position, err.message);
        return NULL;
    }
    if (select != NULL && select[0] != '\0' && wmgw_wql_parse_select(select, strlen(select), q, &err) != 0) {
        wmgw_respond_problem_at(r, WMGW_EINVAL, err.position, err.message);
        return NULL;
    }
    if (wmgw_wql_check_query(q, cls, &err) != 0) {
        wmgw_respond_problem(r, WMGW_EINVAL, "%s", err.message);
        return NULL;
    }
    if (add_keys_to_select(q, cls) != 0) {
        wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
        return NULL;
    }
    return q;
}

/* Takes a cursor's stored filter and select after checking it belongs here. */
static bool cursor_for_here(struct wmgw_exec *x, const char *token, const char *scope, struct wmgw_cursor *c)
{
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_cursor_parse(token, x->r->gw->cursor_key, c, &err) != 0) {
        wmgw_respond_problem(x->r, err.code, "%s", err.message);
        return false;
    }
    if (c->host == NULL || strcasecmp(c->host, x->host_name) != 0 || c->namespace_ == NULL ||
        strcasecmp(c->namespace_, x->ns) != 0 || c->scope == NULL || strcasecmp(c->scope, scope) != 0 ||
        c->backend == NULL) {
        wmgw_cursor_dispose(c);
        wmgw_respond_problem(x->r, WMGW_EINVAL, "cursor: it belongs to another listing");
        return false;
    }
    return true;
}

static void list_ready(struct wmgw_exec *x)
{
    struct list_args *a = x->data;
    struct wmgw_request *r = x->r;
    struct wmgw_cursor c = {0};
    const char *filter = a->filter, *select = a->select;
    if (a->cursor != NULL) {
        if (!cursor_for_here(x, a->cursor, x->cls->cls->name, &c))
            return;
        filter = c.where;
        select = c.select;
    }
    unsigned limit;
    if (wmgw_parse_limit(r, a->limit, a->ndjson ? 0 : 100, &limit) != 0) {
        wmgw_cursor_dispose(&c);
        return;
    }
    struct wmgw_wql_query *q = wmgw_list_query(x, filter, select);
    if (q == NULL) {
        wmgw_cursor_dispose(&c);
        return;
    }
    struct wmgw_stream_paging paging = {.limit = limit};
    paging.cursor.host = (char *)x->host_name;
    paging.cursor.namespace_ = x->ns;
    paging.cursor.scope = x->cls->cls->name;
    struct wmgw_buf where;
    wmgw_buf_init(&where, 1 << 20);
    if (q->where != NULL && wmgw_wql_format_condition(&where, q->where) == 0)
        paging.cursor.where = where.data;
    char *sel = select_text(q);
    paging.cursor.select = sel;
    struct wmgw_op *op = &x->call.op;
    op->kind = WMGW_OP_ENUMERATE;
    /* A cursor on the answer cache's snapshot is served from it (cache_listing.h). */
    bool from_cache = wmgw_cache_listing_page(x, a->ndjson, &paging, c.backend);
    /* The host filters and projects, or the gateway does (filter.h). */
    int rc = from_cache ? 0 : wmgw_filter_plan(x, &paging.filter, q, limit,
                              c.backend ? h2o_strdup(&r->req->pool, c.backend, SIZE_MAX).base : NULL, op);
    if (rc != 0)
        wmgw_respond_problem(r, rc, "%s",
                             rc == WMGW_EGONE ? "cursor: the host's protocol changed since; start the listing again"
                                              : "cursor: not valid");
    else if (!from_cache)
        wmgw_stream_start(x, a->ndjson, &paging);
    wmgw_buf_dispose(&where);
    free(sel);
    wmgw_cursor_dispose(&c);
}

/* Picks JSON or NDJSON from Accept; answers 406 when neither fits. */
bool wmgw_list_format(struct wmgw_request *r, bool *ndjson)
{
    *ndjson = wmgw_request_accepts(r, "application/x-ndjson");
    if (!*ndjson && !wmgw_request_accepts(r, "application/json")) {
        wmgw_respond_problem(r, WMGW_ENOTACCEPTABLE, "listings come as application/json or application/x-ndjson");
        return false;
    }
    return true;
}

int wmgw_h_list_instances(struct wmgw_request *r)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x == NULL)
        return 0;
    struct list_args *a = h2o_mem_alloc_pool(&r->req->pool, sizeof(*a));
    memset(a, 0, sizeof(*a));
    bool bad = false;
    a->filter = wmgw_request_query(r, "filter", &bad);
    a->select = bad ? NULL : wmgw_request_query(r, "select", &bad);
    a->cursor = bad ? NULL : wmgw_request_query(r, "cursor", &bad);
    a->limit = bad ? NULL : wmgw_request_query(r, "limit", &bad);
    if (bad || !wmgw_list_format(r, &a->ndjson))
        return 0;
    x->data = a;
    wmgw_exec_with_class(x, NULL, list_ready);
    return 0;
}

/* --- one instance ----------------------------------------------------------------- */

static void get_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    if (err != NULL)
        wmgw_respond_backend_error(x->r, x->host_name, err);
    else
        wmgw_result_respond_instance(x, res, 200, NULL);
}

static void get_ready(struct wmgw_exec *x)
{
    struct wmgw_cim_ref *ref = wmgw_exec_keys(x);
    if (ref == NULL)
        return;
    /* The reference must live as long as the call: hand it to the pool. */
    struct wmgw_cim_ref **slot = h2o_mem_alloc_shared(&x->r->req->pool, sizeof(*slot), wmgw_free_ref_slot);
    *slot = ref;
    x->call.op.kind = WMGW_OP_GET;
    x->call.op.ref = ref;
    wmgw_result_start(x, get_done, NULL);
}

void wmgw_free_ref_slot(void *p)
{
    wmgw_cim_ref_free(*(struct wmgw_cim_ref **)p);
}

int wmgw_h_get_instance(struct wmgw_request *r)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x != NULL)
        wmgw_exec_with_class(x, NULL, get_ready);
    return 0;
}

/* --- create ------------------------------------------------------------------- */

/* Create and delete are decided from the host's caps before any backend
 * call: the Windows Server 2003 R2 dialect has neither (MS-WSMAN <2>).
 * The 405 carries Allow (the path's other methods, respond.c). */
static bool refuse_create_delete(struct wmgw_exec *x)
{
    if (wmgw_exec_caps(x) & WMGW_CAP_CREATE_DELETE)
        return false;
    enum wmgw_protocol p = wmgw_host_protocol(x->host);
    if (p == WMGW_PROTO_WSMAN2003)
        wmgw_respond_problem(x->r, WMGW_ENOTALLOWED,
                             "host %s speaks the Windows Server 2003 R2 dialect of WS-Management (MS-WSMAN), "
                             "which cannot create or delete CIM instances",
                             x->host_name);
    else
        wmgw_respond_problem(x->r, WMGW_ENOTALLOWED,
                             "the protocol of host %s (%s) cannot create or delete CIM instances", x->host_name,
                             wmgw_protocol_name(p));
    return true;
}

struct write_args {
    json_t *body;
    struct wmgw_cim_instance *inst;
    struct wmgw_cim_ref *ref;
    bool replace;      /* PUT: writable properties not given become NULL */
    char *if_match;
    /* what runs once If-Match holds */
    void (*then)(struct wmgw_exec *x, struct write_args *a);
};

static void write_args_dispose(void *p)
{
    struct write_args *a = p;
    json_decref(a->body);
    wmgw_cim_instance_unref(a->inst);
    wmgw_cim_ref_free(a->ref);
    free(a->if_match);
}

static struct write_args *write_args_new(struct wmgw_request *r, bool body_required)
{
    struct write_args *a = h2o_mem_alloc_shared(&r->req->pool, sizeof(*a), write_args_dispose);
    memset(a, 0, sizeof(*a));
    if (body_required && (a->body = wmgw_request_json_body(r)) == NULL)
        return NULL;
    return a;
}

static char *if_match_of(struct wmgw_request *r)
{
    ssize_t i = h2o_find_header(&r->req->headers, H2O_TOKEN_IF_MATCH, -1);
    return i >= 0 ? strndup(r->req->headers.entries[i].value.base, r->req->headers.entries[i].value.len) : NULL;
}

/* The URL of a reference on this host (into the pool). */
static const char *url_of(struct wmgw_exec *x, const struct wmgw_cim_ref *ref)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    const char *out = NULL;
    if (wmgw_cim_path_format_url(&b, x->host_name, ref) == 0)
        out = h2o_strdup(&x->r->req->pool, b.data, b.len).base;
    wmgw_buf_dispose(&b);
    return out;
}

static void created_fetched(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    struct write_args *a = res->data;
    const char *location = url_of(x, a->ref);
    if (err != NULL) {
        /* Created, but not readable back: still 201 with the link. */
        struct wmgw_buf b;
        wmgw_buf_init(&b, 1 << 20);
        wmgw_cim_json_write_ref(&b, a->ref, x->host_name);
        wmgw_respond_json(x->r, 201, b.data, b.len, location);
        wmgw_buf_dispose(&b);
        return;
    }
    wmgw_result_respond_instance(x, res, 201, location);
}

static void create_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    struct write_args *a = res->data;
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    /* The backend named the new instance; fall back to our own keys. */
    a->ref = res->ref ? res->ref : wmgw_cim_instance_path(a->inst, x->cls->cls);
    res->ref = NULL;
    if (a->ref == NULL) {
        wmgw_respond_problem(x->r, WMGW_ENOMEM, "out of memory");
        return;
    }
    if (a->ref->namespace_ == NULL)
        a->ref->namespace_ = strdup(x->ns);
    /* Keys as the class types them (the wire gave text): a stable @id. */
    if (wmgw_normalize_ref(x, a->ref) != 0) {
        wmgw_respond_problem(x->r, WMGW_EPROTO, "host %s named the new instance with keys that do not fit %s",
                             x->host_name, x->cls->cls->name);
        return;
    }
    memset(&x->call, 0, sizeof(x->call));
    x->call.op.kind = WMGW_OP_GET;
    x->call.op.ref = a->ref;
    wmgw_result_start(x, created_fetched, a);
}

static void create_ready(struct wmgw_exec *x)
{
    struct write_args *a = x->data;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_cim_json_read_instance(a->body, x->cls->cls, &a->inst, &err) != 0) {
        wmgw_respond_problem(x->r, WMGW_EINVAL, "%s", err.message);
        return;
    }
    free(a->inst->namespace_);
    a->inst->namespace_ = strdup(x->ns);
    if (wmgw_cim_resolve_refs(&a->inst->props, x->ns) != 0) {
        wmgw_respond_problem(x->r, WMGW_ENOMEM, "out of memory");
        return;
    }
    x->call.op.kind = WMGW_OP_CREATE;
    x->call.op.instance = a->inst;
    wmgw_result_start(x, create_done, a);
}

static void create_detected(struct wmgw_exec *x)
{
    if (refuse_create_delete(x))
        return;
    struct write_args *a = write_args_new(x->r, true);
    if (a == NULL)
        return;
    x->data = a;
    wmgw_exec_with_class(x, NULL, create_ready);
}

int wmgw_h_create_instance(struct wmgw_request *r)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x != NULL)
        wmgw_exec_detect(x, create_detected);
    return 0;
}

/* --- patch and put -------------------------------------------------------------- */

static void modify_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    if (err != NULL)
        wmgw_respond_backend_error(x->r, x->host_name, err);
    else
        wmgw_result_respond_instance(x, res, 200, NULL);
}

static void start_modify(struct wmgw_exec *x, struct write_args *a)
{
    memset(&x->call, 0, sizeof(x->call));
    x->call.op.kind = WMGW_OP_MODIFY;
    x->call.op.ref = a->ref;
    x->call.op.instance = a->inst;
    wmgw_result_start(x, modify_done, a);
}

/* If-Match: the current instance's ETag must match before we write. */
static void precondition_checked(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    struct write_args *a = res->data;
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64u << 20);
    char etag[40];
    bool ok = res->inst != NULL && wmgw_cim_json_write_instance(&b, res->inst, x->cls->cls, x->host_name) == 0 &&
              wmgw_etag(b.data, b.len, etag) == 0 && (strcmp(a->if_match, "*") == 0 || strstr(a->if_match, etag) != NULL);
    wmgw_buf_dispose(&b);
    if (!ok) {
        wmgw_respond_problem(x->r, WMGW_EPRECONDITION, "the instance changed since the ETag in If-Match was read");
        return;
    }
    a->then(x, a);
}

static void modify_ready(struct wmgw_exec *x)
{
    struct write_args *a = x->data;
    const struct wmgw_cim_class *cls = x->cls->cls;
    if ((a->ref = wmgw_exec_keys(x)) == NULL)
        return;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_cim_json_read_instance(a->body, cls, &a->inst, &err) != 0) {
        wmgw_respond_problem(x->r, WMGW_EINVAL, "%s", err.message);
        return;
    }
    /* A reference without @namespace is relative to this instance's. */
    if (wmgw_cim_resolve_refs(&a->inst->props, x->ns) != 0) {
        wmgw_respond_problem(x->r, WMGW_ENOMEM, "out of memory");
        return;
    }
    /* Only writable, non-key properties may be set. */
    for (size_t i = 0; i < a->inst->props.n; i++) {
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, a->inst->props.items[i].name);
        if (d != NULL && (d->flags & WMGW_CIM_Q_KEY)) {
            wmgw_respond_problem(x->r, WMGW_EINVAL, "%s is a key of %s and cannot change", d->name, cls->name);
            return;
        }
        if (d != NULL && !(d->flags & WMGW_CIM_Q_WRITE)) {
            wmgw_respond_problem(x->r, WMGW_EINVAL, "%s of %s is read-only", d->name, cls->name);
            return;
        }
    }
    if (a->replace) {
        /* PUT: every writable property, NULL when the body leaves it out. */
        for (size_t i = 0; i < cls->nprops; i++) {
            const struct wmgw_cim_propdecl *d = &cls->props[i];
            if ((d->flags & WMGW_CIM_Q_WRITE) && !(d->flags & WMGW_CIM_Q_KEY) &&
                wmgw_cim_proplist_find(&a->inst->props, d->name) == NULL &&
                wmgw_cim_proplist_add(&a->inst->props, d->name, d->type) == NULL) {
                wmgw_respond_problem(x->r, WMGW_ENOMEM, "out of memory");
                return;
            }
        }
    }
    if (a->if_match != NULL) {
        a->then = start_modify;
        x->call.op.kind = WMGW_OP_GET;
        x->call.op.ref = a->ref;
        wmgw_result_start(x, precondition_checked, a);
        return;
    }
    start_modify(x, a);
}

static int modify_handler(struct wmgw_request *r, bool replace)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x == NULL)
        return 0;
    struct write_args *a = write_args_new(r, true);
    if (a == NULL)
        return 0;
    a->replace = replace;
    a->if_match = if_match_of(r);
    x->data = a;
    wmgw_exec_with_class(x, NULL, modify_ready);
    return 0;
}

int wmgw_h_patch_instance(struct wmgw_request *r)
{
    return modify_handler(r, false);
}

int wmgw_h_replace_instance(struct wmgw_request *r)
{
    return modify_handler(r, true);
}

/* --- delete ---------------------------------------------------------------------- */

static void delete_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    if (err != NULL)
        wmgw_respond_backend_error(x->r, x->host_name, err);
    else
        wmgw_respond_empty(x->r, 204);
}

static void start_delete(struct wmgw_exec *x, struct write_args *a)
{
    memset(&x->call, 0, sizeof(x->call));
    x->call.op.kind = WMGW_OP_DELETE;
    x->call.op.ref = a->ref;
    wmgw_result_start(x, delete_done, a);
}

static void delete_ready(struct wmgw_exec *x)
{
    struct write_args *a = x->data;
    if ((a->ref = wmgw_exec_keys(x)) == NULL)
        return;
    if (a->if_match != NULL) {
        a->then = start_delete;
        x->call.op.kind = WMGW_OP_GET;
        x->call.op.ref = a->ref;
        wmgw_result_start(x, precondition_checked, a);
        return;
    }
    start_delete(x, a);
}

static void delete_detected(struct wmgw_exec *x)
{
    if (refuse_create_delete(x))
        return;
    struct write_args *a = write_args_new(x->r, false);
    a->if_match = if_match_of(x->r);
    x->data = a;
    wmgw_exec_with_class(x, NULL, delete_ready);
}

int wmgw_h_delete_instance(struct wmgw_request *r)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x != NULL)
        wmgw_exec_detect(x, delete_detected);
    return 0;
}
