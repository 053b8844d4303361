/*
 * h_query.c: WQL over REST (operations queryHost, listAssociators,
 * listReferences).
 *
 * The caller's WQL is parsed and checked by the gateway (cim/wql.h) and
 * written out again canonically by the translator; syntax errors are 400
 * with the byte position.  A query may return instances of several
 * classes, and every instance is decoded against its class, so a query
 * whose result classes are not all known yet first lists the results'
 * references (cheap: keys only), fetches the missing schemas, then runs
 * for real.
 *
 * A host whose protocol cannot run WQL (the Windows Server 2003 R2
 * dialect) gets the same answers: a SELECT becomes an enumeration of its
 * FROM class filtered by the gateway (filter.h), an association query is
 * evaluated by the gateway (assoc.h); neither needs the discovery phase,
 * because the stream fetches a class it meets before it writes the item.
 */
#include "cim/path.h"
#include "cim/wql.h"
#include "gateway/cache_listing.h"
#include "gateway/handlers.h"
#include "gateway/result.h"
#include "gateway/stream.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_RESULT_CLASSES 32

struct query_state {
    struct wmgw_wql_query *q;   /* owned */
    bool ndjson;
    unsigned limit;
    const char *cursor;         /* the backend's continuation, when paging */
    char *scope;                /* cursor scope: "query", "associators:<keys>"... */
    char *query_text;           /* canonical text, for the cursor */
    /* discovery of result classes */
    size_t nclasses;
    char *classes[MAX_RESULT_CLASSES];
    size_t next_class;
};

static void state_dispose(void *p)
{
    struct query_state *s = p;
    wmgw_wql_query_free(s->q);
    free(s->scope);
    free(s->query_text);
    for (size_t i = 0; i < s->nclasses; i++)
        free(s->classes[i]);
}

static struct query_state *state_new(struct wmgw_request *r)
{
    struct query_state *s = h2o_mem_alloc_shared(&r->req->pool, sizeof(*s), state_dispose);
    memset(s, 0, sizeof(*s));
    return s;
}

/* --- phase 2: the real query ------------------------------------------------------ */

static void run_query(struct wmgw_exec *x)
{
    struct query_state *s = x->data;
    memset(&x->call, 0, sizeof(x->call));
    struct wmgw_op *op = &x->call.op;
    op->kind = WMGW_OP_QUERY;
    op->query = s->q;
    op->limit = s->limit;
    op->cursor = s->cursor;
    if (s->q->kind == WMGW_WQL_SELECT && x->cls != NULL)
        op->cls = x->cls->cls;
    struct wmgw_stream_paging paging = {.limit = s->limit};
    paging.cursor.host = (char *)x->host_name;
    paging.cursor.namespace_ = x->ns;
    paging.cursor.scope = s->scope;
    paging.cursor.query = s->query_text;
    if (wmgw_cache_listing_page(x, s->ndjson, &paging, s->cursor))
        return; /* a cursor on the answer cache's snapshot (cache_listing.h) */
    if (s->q->kind == WMGW_WQL_SELECT) {
        int rc = wmgw_filter_plan(x, &paging.filter, s->q, s->limit, s->cursor, op);
        if (rc != 0) {
            wmgw_respond_problem(x->r, rc, "%s",
                                 rc == WMGW_EGONE ? "cursor: the host's protocol changed since; run the query again"
                                                  : "cursor: not valid");
            return;
        }
    }
    wmgw_stream_start(x, s->ndjson, &paging);
}

/* --- phase 1: which classes will come back ------------------------------------------ */

static void fetch_next_class(struct wmgw_exec *x);

static void class_fetched(void *data, struct wmgw_class_entry *e, const struct wmgw_backend_error *err)
{
    struct wmgw_exec *x = data;
    x->fetch = NULL;
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    /* Keep it lent to this call so the translator can type with it. */
    if (x->nlent < sizeof(x->lent) / sizeof(x->lent[0]))
        x->lent[x->nlent++] = e;
    else
        wmgw_class_entry_unref(e);
    fetch_next_class(x);
}

static void fetch_next_class(struct wmgw_exec *x)
{
    struct query_state *s = x->data;
    while (s->next_class < s->nclasses) {
        const char *name = s->classes[s->next_class++];
        struct wmgw_class_entry *e = wmgw_classes_peek(x->r->gw->classes, x->host->cfg.backend->id, x->ns, name);
        if (e != NULL) {
            class_fetched(x, e, NULL);
            return;
        }
        struct wmgw_backend *as;
        if (wmgw_exec_backend(x, &as) != 0)
            return; /* answered */
        x->fetch = wmgw_classes_get(x->r->gw, x->r->worker, x->host, as, x->ns, name, class_fetched, x);
        return;
    }
    /* And the classes those name (reference targets, embedded objects), so
     * a reference's keys are typed as on any other route. */
    if (s->nclasses > 0)
        wmgw_exec_need_class(x, s->classes[0], run_query);
    else
        run_query(x);
}

static void discover_ref(struct wmgw_call *call, struct wmgw_cim_ref *ref)
{
    struct wmgw_exec *x = call->sink_data;
    struct query_state *s = x->data;
    bool seen = false;
    for (size_t i = 0; i < s->nclasses && !seen; i++)
        seen = strcasecmp(s->classes[i], ref->class_name) == 0;
    if (!seen && s->nclasses < MAX_RESULT_CLASSES && ref->class_name != NULL)
        s->classes[s->nclasses++] = strdup(ref->class_name);
    wmgw_cim_ref_free(ref);
}

static void discover_instance(struct wmgw_call *call, struct wmgw_cim_instance *inst)
{
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(inst->namespace_, inst->class_name);
    wmgw_cim_instance_unref(inst);
    if (ref != NULL)
        discover_ref(call, ref);
}

static void discover_batch(struct wmgw_call *call)
{
    wmgw_call_resume(call);
}

static void discover_done(struct wmgw_call *call, const struct wmgw_backend_error *err)
{
    struct wmgw_exec *x = call->sink_data;
    wmgw_exec_finished(x, err);
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    fetch_next_class(x);
}

static const struct wmgw_sink_ops discover_sink = {
    .on_instance = discover_instance,
    .on_ref = discover_ref,
    .on_batch = discover_batch,
    .on_done = discover_done,
};

static void discover(struct wmgw_exec *x)
{
    struct query_state *s = x->data;
    memset(&x->call, 0, sizeof(x->call));
    x->call.op.kind = WMGW_OP_QUERY;
    x->call.op.query = s->q;
    x->call.op.refs_only = true;
    wmgw_exec_start(x, &discover_sink);
}

/* --- entry points ------------------------------------------------------------------ */

static int set_texts(struct query_state *s, const char *scope)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    int rc = wmgw_wql_format(&b, s->q);
    s->query_text = rc == 0 ? wmgw_buf_steal(&b, NULL) : NULL;
    wmgw_buf_dispose(&b);
    s->scope = strdup(scope);
    return s->query_text && s->scope ? 0 : WMGW_ENOMEM;
}

/* SELECT: the FROM class is fetched and checks the query; projections
 * are typed by it, whole instances may be of subclasses. */
static void select_ready(struct wmgw_exec *x)
{
    struct query_state *s = x->data;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_wql_check_query(s->q, x->cls->cls, &err) != 0) {
        wmgw_respond_problem(x->r, WMGW_EINVAL, "%s", err.message);
        return;
    }
    if (!s->q->select_all || s->cursor != NULL || !(wmgw_exec_caps(x) & WMGW_CAP_FILTER)) {
        run_query(x);
        return;
    }
    discover(x);
}

static void start_parsed(struct wmgw_exec *x)
{
    struct query_state *s = x->data;
    if (s->q->kind == WMGW_WQL_SELECT) {
        wmgw_exec_with_class(x, s->q->class_name, select_ready);
        return;
    }
    if (s->cursor != NULL || !(wmgw_exec_caps(x) & WMGW_CAP_ASSOCIATIONS))
        run_query(x); /* classes fetched for the first page, or as they come */
    else
        discover(x);
}

int wmgw_h_query_host(struct wmgw_request *r)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x == NULL)
        return 0;
    struct query_state *s = state_new(r);
    x->data = s;
    bool bad = false;
    const char *cursor = wmgw_request_query(r, "cursor", &bad);
    const char *limit = bad ? NULL : wmgw_request_query(r, "limit", &bad);
    if (bad || !wmgw_list_format(r, &s->ndjson) || wmgw_parse_limit(r, limit, s->ndjson ? 0 : 100, &s->limit) != 0)
        return 0;
    json_t *body = wmgw_request_json_body(r);
    if (body == NULL)
        return 0;
    const char *ns = json_string_value(json_object_get(body, "namespace"));
    const char *text = json_string_value(json_object_get(body, "query"));
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = 0;
    if (ns == NULL || text == NULL) {
        wmgw_respond_problem(r, WMGW_EINVAL, "the body is {\"namespace\": \"root/cimv2\", \"query\": \"SELECT ...\"}");
        rc = -1;
    } else if (wmgw_cim_path_parse_namespace(ns, strlen(ns), &x->ns, &err) != 0) {
        wmgw_respond_problem(r, WMGW_EINVAL, "namespace: %s", err.message);
        rc = -1;
    } else if (wmgw_wql_parse(text, strlen(text), &s->q, &err) != 0) {
        wmgw_respond_problem_at(r, WMGW_EINVAL, err.position, err.message);
        rc = -1;
    } else if (set_texts(s, "query") != 0) {
        wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
        rc = -1;
    }
    json_decref(body);
    if (rc != 0)
        return 0;
    if (cursor != NULL) {
        struct wmgw_cursor c;
        if (wmgw_cursor_parse(cursor, r->gw->cursor_key, &c, &err) != 0) {
            wmgw_respond_problem(r, err.code, "%s", err.message);
            return 0;
        }
        bool same = c.host && strcasecmp(c.host, x->host_name) == 0 && c.namespace_ &&
                    strcasecmp(c.namespace_, x->ns) == 0 && c.query && strcmp(c.query, s->query_text) == 0 &&
                    c.backend != NULL;
        if (same)
            s->cursor = h2o_strdup(&r->req->pool, c.backend, SIZE_MAX).base;
        wmgw_cursor_dispose(&c);
        if (!same) {
            wmgw_respond_problem(r, WMGW_EINVAL, "cursor: it belongs to another query; send the same body");
            return 0;
        }
    }
    wmgw_exec_detect(x, start_parsed); /* protocol auto: known before the first call */
    return 0;
}

/* ASSOCIATORS OF / REFERENCES OF the instance in the path. */
static void assoc_ready(struct wmgw_exec *x)
{
    struct query_state *s = x->data;
    struct wmgw_request *r = x->r;
    struct wmgw_cim_ref *ref = wmgw_exec_keys(x);
    if (ref == NULL)
        return;
    s->q->object = ref;
    bool bad = false;
    static const char *const params[] = {"assocClass", "resultClass", "role", "resultRole"};
    char **slots[] = {&s->q->assoc_class, &s->q->result_class, &s->q->role, &s->q->result_role};
    for (size_t i = 0; i < 4 && !bad; i++) {
        if (s->q->kind == WMGW_WQL_REFERENCES && (i == 0 || i == 3))
            continue; /* REFERENCES OF has no AssocClass or ResultRole */
        const char *v = wmgw_request_query(r, params[i], &bad);
        if (v == NULL)
            continue;
        bool ident = v[0] != '\0';
        for (const char *p = v; *p && ident; p++)
            ident = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
        if (!ident) {
            wmgw_respond_problem(r, WMGW_EINVAL, "%s must be a class or property name", params[i]);
            return;
        }
        *slots[i] = strdup(v);
    }
    if (bad)
        return;
    h2o_iovec_t keys = wmgw_request_param_raw(r, "keys");
    char scope[1200];
    snprintf(scope, sizeof(scope), "%s:%.*s", s->q->kind == WMGW_WQL_ASSOCIATORS ? "associators" : "references",
             (int)(keys.len < 1024 ? keys.len : 1024), keys.base);
    if (set_texts(s, scope) != 0) {
        wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
        return;
    }
    const char *cursor = wmgw_request_query(r, "cursor", &bad);
    if (bad)
        return;
    if (cursor != NULL) {
        struct wmgw_cursor c;
        struct wmgw_err err;
        wmgw_err_clear(&err);
        if (wmgw_cursor_parse(cursor, r->gw->cursor_key, &c, &err) != 0) {
            wmgw_respond_problem(r, err.code, "%s", err.message);
            return;
        }
        /* The cursor carries the association filters (assocClass, role...),
         * as a listing's cursor carries filter and select: the `next` URL
         * holds only cursor and limit, so its query replaces the one built
         * from the (absent) parameters. */
        bool same = c.host && strcasecmp(c.host, x->host_name) == 0 && c.scope && strcmp(c.scope, scope) == 0 &&
                    c.query && c.backend != NULL;
        struct wmgw_wql_query *cq = NULL;
        if (same && (wmgw_wql_parse(c.query, strlen(c.query), &cq, &err) != 0 || cq->kind != s->q->kind))
            same = false;
        if (same) {
            char *text = strdup(c.query);
            if (text == NULL) {
                wmgw_wql_query_free(cq);
                wmgw_cursor_dispose(&c);
                wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
                return;
            }
            wmgw_wql_query_free(s->q);
            s->q = cq;
            free(s->query_text);
            s->query_text = text;
            s->cursor = h2o_strdup(&r->req->pool, c.backend, SIZE_MAX).base;
        } else {
            wmgw_wql_query_free(cq);
        }
        wmgw_cursor_dispose(&c);
        if (!same) {
            wmgw_respond_problem(r, WMGW_EINVAL, "cursor: it belongs to another listing");
            return;
        }
    }
    start_parsed(x);
}

static int assoc_handler(struct wmgw_request *r, enum wmgw_wql_kind kind)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x == NULL)
        return 0;
    struct query_state *s = state_new(r);
    x->data = s;
    bool bad = false;
    const char *limit = wmgw_request_query(r, "limit", &bad);
    if (bad || !wmgw_list_format(r, &s->ndjson) || wmgw_parse_limit(r, limit, s->ndjson ? 0 : 100, &s->limit) != 0)
        return 0;
    if ((s->q = calloc(1, sizeof(*s->q))) == NULL) {
        wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
        return 0;
    }
    s->q->kind = kind;
    wmgw_exec_with_class(x, NULL, assoc_ready);
    return 0;
}

int wmgw_h_list_associators(struct wmgw_request *r)
{
    return assoc_handler(r, WMGW_WQL_ASSOCIATORS);
}

int wmgw_h_list_references(struct wmgw_request *r)
{
    return assoc_handler(r, WMGW_WQL_REFERENCES);
}
