/*
 * wsman.c: the WS-Management translator (translator.h): the vtable
 * `wmgw_translator_wsman` and the state machine of one call, from the
 * gateway's Operation to SOAP exchanges on the worker's HTTP client and
 * back to sink callbacks (design.md: "translators/X  Operation -> backend
 * messages", "Enumerations stream").
 *
 * Flow per operation: IDENTIFY, GET_CLASS, GET, CREATE, DELETE, INVOKE are
 * one exchange; MODIFY is Get, merge the named properties, Put (what
 * `winrm set` does); ENUMERATE and QUERY are Enumerate (optimized, with
 * MaxElements) then Pull until EndOfSequence, one envelope at a time, with
 * on_batch / wmgw_call_resume() between envelopes.  Paging stops at
 * op.limit with a cursor ("wsman:<EnumerationContext>") or a Release.
 *
 * Dialects: the host's `struct wmgw_wsman_dialect` row (namespaces,
 * abilities) drives everything; nothing here names a dialect.  The row is
 * the backend's protocol, or for an auto backend the one the gateway says
 * was detected (call->protocol).  IDENTIFY of an auto backend detects:
 * Identify first (MS-WSMV), then, if the answer is no IdentifyResponse, a
 * Get of the 2005/06 "this" resource (MS-WSMAN §3.2.4.1.8).  What a
 * dialect cannot do fails at start with call->start_error saying so.
 *
 * Ownership: the state outlives the call when the backend still holds an
 * enumeration context (cancel, or a limit without cursor consumer): it
 * keeps its own backend reference and strings, sends Release, and frees
 * itself when Release is answered.
 */
#include "translators/wsman/soap.h"
#include "translators/transport/http_client.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 60000u
#define DEFAULT_ENVELOPE 153600u  /* MS-WSMV's default MaxEnvelopeSizekb: 150 */
#define DEFAULT_ELEMENTS 256u
#define MAX_REQUEST (8u << 20)    /* our own request bodies */
#define MAX_CONTEXT 2048          /* an EnumerationContext in a cursor */
#define CURSOR_PREFIX "wsman:"

struct wsman_state {
    struct wmgw_call *call;           /* NULL once the caller let go (done or cancel) */
    const struct wmgw_wsman_dialect *d;
    struct wmgw_backend *backend;     /* our own reference */
    struct wmgw_transport *transport;
    struct wmgw_http_exchange *x;     /* the exchange in flight, or NULL */
    enum wmgw_soap_kind sent;         /* what x is */
    char message_id[WMGW_SOAP_ID_LEN];
    struct wmgw_buf body;             /* x's request, alive until its reply */
    char *to;
    char *resource_uri;
    char *wql;
    char *context;                    /* the backend's latest EnumerationContext */
    unsigned delivered;
    unsigned busy;                    /* inside sink callbacks: do not free */
    bool modify_put;                  /* MODIFY's second step */
    bool waiting;                     /* after on_batch, until resume */
    bool ended;                       /* EndOfSequence seen: no context to release */
    bool keep_context;                /* handed out as a cursor: no Release */
    bool probing;                     /* IDENTIFY of an auto host: another dialect may follow */
    struct wmgw_backend_error error;
    struct wmgw_backend_error probe_error; /* why the first dialect's discovery failed */
};

static const struct wmgw_wsman_dialect *dialect_of(enum wmgw_protocol p)
{
    return p == WMGW_PROTO_WSMAN2003 ? &wmgw_wsman_dialect_2003 : &wmgw_wsman_dialect_wsmv;
}

/* The backend's dialect; an auto backend's is the one detected (MS-WSMV
 * while nothing is). */
static const struct wmgw_wsman_dialect *dialect_for(const struct wmgw_call *call)
{
    enum wmgw_protocol p = call->backend->protocol;
    return dialect_of(p == WMGW_PROTO_AUTO ? call->protocol : p);
}

/* A request the dialect cannot carry: fails start, saying so. */
static int refuse(struct wsman_state *st, int code, const char *what)
{
    return wmgw_backend_error_set(&st->call->start_error, code, "the %s WS-Management dialect %s", st->d->title,
                                  what);
}

static unsigned timeout_ms(const struct wsman_state *st)
{
    return st->backend->operation_timeout_ms ? st->backend->operation_timeout_ms : DEFAULT_TIMEOUT_MS;
}

static unsigned envelope(const struct wsman_state *st)
{
    unsigned e = st->backend->max_envelope_size ? st->backend->max_envelope_size : DEFAULT_ENVELOPE;
    return e < 8192 ? 8192 : e;
}

/* --- state lifetime ----------------------------------------------------------- */

static void state_free(struct wsman_state *st)
{
    wmgw_buf_dispose(&st->body);
    free(st->to);
    free(st->resource_uri);
    free(st->wql);
    free(st->context);
    wmgw_backend_unref(st->backend);
    free(st);
}

static int send_request(struct wsman_state *st, struct wmgw_soap_request *q);

static void send_release(struct wsman_state *st)
{
    struct wmgw_soap_request q = {.kind = WMGW_SOAP_RELEASE, .context = st->context};
    if (send_request(st, &q) != 0)
        state_free(st);
}

/* Called whenever the caller is gone: frees the state, or keeps it for the
 * reply in flight, or sends Release for a context the backend still holds. */
static void settle(struct wsman_state *st)
{
    if (st->busy > 0 || st->x != NULL)
        return; /* the frame in a callback, or the reply, settles later */
    if (st->context != NULL && !st->ended && !st->keep_context && st->sent != WMGW_SOAP_RELEASE)
        send_release(st);
    else
        state_free(st);
}

static void detach(struct wsman_state *st)
{
    if (st->call != NULL)
        st->call->state = NULL;
    st->call = NULL;
}

/* The one on_done; err NULL for success.  st may be gone afterwards. */
static void finish(struct wsman_state *st, const struct wmgw_backend_error *err)
{
    struct wmgw_call *call = st->call;
    if (err != NULL && err != &st->error)
        st->error = *err;
    detach(st);
    st->busy++;
    call->sink->on_done(call, err ? &st->error : NULL);
    st->busy--;
    settle(st);
}

static void fail(struct wsman_state *st, int code, const char *msg)
{
    wmgw_backend_error_set(&st->error, code, "%s", msg);
    finish(st, &st->error);
}

/* --- sending ---------------------------------------------------------------------- */

static void on_http(void *data, int err, const char *detail, struct wmgw_http_response *resp);

static int send_request(struct wsman_state *st, struct wmgw_soap_request *q)
{
    q->d = st->d;
    q->to = st->to;
    if (q->resource_uri == NULL)
        q->resource_uri = st->resource_uri;
    wmgw_soap_message_id(st->message_id);
    q->message_id = st->message_id;
    q->max_envelope = envelope(st);
    q->timeout_ms = timeout_ms(st);
    wmgw_buf_reset(&st->body);
    int rc = wmgw_soap_build(&st->body, q);
    if (rc != 0)
        return rc == WMGW_ENOMEM || rc == WMGW_ETOOBIG || rc == WMGW_EUNSUPPORTED ? rc : WMGW_EINVAL;
    unsigned op = q->timeout_ms, env = q->max_envelope;
    static const struct wmgw_http_header none[1] = {{NULL, NULL}};
    struct wmgw_http_request req = {
        .method = "POST",
        .content_type = "application/soap+xml;charset=UTF-8",
        .body = st->body.data,
        .body_len = st->body.len,
        .nheaders = 0,
        .headers = none,
        /* A bit above OperationTimeout: the backend's own TimedOut fault
         * (more precise) should win over our deadline. */
        .timeout_ms = op + op / 10 + 2000,
        /* WinRM counts MaxEnvelopeSize in UTF-16 (captures: ~75 KB of UTF-8
         * per 150 KiB page); UTF-8 of BMP text is at most 1.5 times that. */
        .max_response = (size_t)env + env / 2 + 16384,
        .no_auth = false,
    };
    st->sent = q->kind;
    st->x = wmgw_http_send(st->transport, st->backend, &req, on_http, st);
    return st->x != NULL ? 0 : WMGW_ECONN;
}

static unsigned batch_size(const struct wsman_state *st)
{
    unsigned n = st->backend->max_elements ? st->backend->max_elements : DEFAULT_ELEMENTS;
    unsigned limit = st->call ? st->call->op.limit : 0;
    if (limit > 0 && limit - st->delivered < n)
        n = limit - st->delivered;
    return n ? n : 1;
}

static void pull(struct wsman_state *st)
{
    struct wmgw_soap_request q = {.kind = WMGW_SOAP_PULL, .context = st->context, .max_elements = batch_size(st)};
    int rc = send_request(st, &q);
    if (rc != 0)
        fail(st, rc, rc == WMGW_ECONN ? "cannot reach the backend" : "cannot build the Pull request");
}

/* --- replies -------------------------------------------------------------------- */

/* The class whose instances an ENUMERATE walks, when known. */
static const struct wmgw_cim_class *ref_class(const struct wmgw_call *call)
{
    const struct wmgw_op *op = &call->op;
    if (op->cls != NULL)
        return op->cls;
    return call->lookup_class ? call->lookup_class(call->lookup_ctx, op->namespace_, op->class_name) : NULL;
}

static void enumeration_step(struct wsman_state *st, struct wmgw_soap_response *r)
{
    struct wmgw_call *call = st->call;
    if (r->context != NULL) { /* WinRM renews the context on every reply: keep the latest */
        free(st->context);
        st->context = r->context;
        r->context = NULL;
    }
    st->ended = r->end_of_sequence;
    if (!st->ended && st->context == NULL) {
        fail(st, WMGW_EPROTO, "enumeration reply with neither a context nor EndOfSequence");
        return;
    }
    unsigned limit = call->op.limit;
    if (limit > 0 && r->nitems > (size_t)(limit - st->delivered)) {
        fail(st, WMGW_EPROTO, "the backend sent more items than MaxElements asked for");
        return;
    }
    /* A dialect without EnumerationMode sent objects: their paths are the
     * references asked for (the class was checked at start). */
    const struct wmgw_cim_class *cls = call->op.refs_only && !st->d->has_enum_modes ? ref_class(call) : NULL;
    for (size_t i = 0; cls != NULL && i < r->nitems; i++) {
        struct wmgw_soap_item *it = &r->items[i];
        if (it->inst != NULL && it->ref == NULL) {
            if ((it->ref = wmgw_cim_instance_path(it->inst, cls)) == NULL) {
                fail(st, WMGW_ENOMEM, "out of memory");
                return;
            }
            wmgw_cim_instance_unref(it->inst);
            it->inst = NULL;
        }
    }
    st->busy++;
    for (size_t i = 0; i < r->nitems && st->call != NULL; i++) {
        struct wmgw_soap_item *it = &r->items[i];
        st->delivered++;
        if (it->inst != NULL && call->sink->on_instance != NULL) {
            struct wmgw_cim_instance *inst = it->inst;
            it->inst = NULL;
            call->sink->on_instance(call, inst);
        } else if (it->ref != NULL && call->sink->on_ref != NULL) {
            struct wmgw_cim_ref *ref = it->ref;
            it->ref = NULL;
            call->sink->on_ref(call, ref);
        }
    }
    st->busy--;
    if (st->call == NULL) { /* cancelled from a callback */
        settle(st);
        return;
    }
    if (st->ended) {
        finish(st, NULL);
        return;
    }
    if (limit > 0 && st->delivered >= limit) {
        if (call->sink->on_cursor != NULL) {
            size_t len = strlen(CURSOR_PREFIX) + strlen(st->context) + 1;
            char *cursor = malloc(len);
            if (cursor == NULL) {
                fail(st, WMGW_ENOMEM, "out of memory");
                return;
            }
            snprintf(cursor, len, "%s%s", CURSOR_PREFIX, st->context);
            st->keep_context = true; /* the cursor continues it: no Release */
            st->busy++;
            call->sink->on_cursor(call, cursor);
            st->busy--;
            free(cursor);
            if (st->call == NULL) {
                settle(st);
                return;
            }
        }
        finish(st, NULL); /* without a cursor consumer, settle() releases */
        return;
    }
    if (r->nitems == 0 || call->sink->on_batch == NULL) {
        pull(st);
        return;
    }
    st->waiting = true;
    st->busy++;
    call->sink->on_batch(call);
    st->busy--;
    if (st->call == NULL)
        settle(st);
}

static void modify_put(struct wsman_state *st, struct wmgw_soap_response *r)
{
    const struct wmgw_op *op = &st->call->op;
    struct wmgw_cim_instance *cur = r->instance; /* ours: refcnt 1 */
    for (size_t i = 0; i < op->instance->props.n; i++) {
        struct wmgw_cim_value v;
        if (wmgw_cim_value_copy(&v, &op->instance->props.items[i].value) != 0 ||
            wmgw_cim_proplist_put(&cur->props, op->instance->props.items[i].name, &v) != 0) {
            fail(st, WMGW_ENOMEM, "out of memory");
            return;
        }
    }
    if (cur->namespace_ == NULL)
        cur->namespace_ = wmgw_cim_strdup(op->namespace_);
    struct wmgw_soap_request q = {
        .kind = WMGW_SOAP_PUT, .instance = cur, .cls = op->cls, .selectors = &op->ref->keys};
    st->modify_put = true;
    int rc = send_request(st, &q);
    if (rc != 0)
        fail(st, rc, "cannot send the Put request");
}

static void deliver(struct wsman_state *st, struct wmgw_soap_response *r)
{
    struct wmgw_call *call = st->call;
    const struct wmgw_sink_ops *s = call->sink;
    st->busy++;
    switch (st->sent) {
    case WMGW_SOAP_IDENTIFY:
        if (s->on_identity)
            s->on_identity(call, &r->identity);
        break;
    case WMGW_SOAP_GET_CLASS:
        if (s->on_class)
            s->on_class(call, r->klass), r->klass = NULL;
        break;
    case WMGW_SOAP_GET:
    case WMGW_SOAP_PUT:
        if (s->on_instance)
            s->on_instance(call, r->instance), r->instance = NULL;
        break;
    case WMGW_SOAP_CREATE:
        if (s->on_ref)
            s->on_ref(call, r->ref), r->ref = NULL;
        break;
    case WMGW_SOAP_INVOKE: {
        struct wmgw_cim_proplist *out = malloc(sizeof(*out));
        if (out != NULL && s->on_output) {
            *out = r->output;
            memset(&r->output, 0, sizeof(r->output));
            s->on_output(call, out);
        } else {
            free(out);
        }
        break;
    }
    default:
        break;
    }
    st->busy--;
    if (st->call == NULL)
        settle(st);
    else
        finish(st, NULL);
}

static const char *expected_action(const struct wsman_state *st, char *buf, size_t size)
{
    switch (st->sent) {
    case WMGW_SOAP_IDENTIFY: return st->d->has_identify ? NULL : WMGW_ACTION_GET "Response";
    case WMGW_SOAP_GET_CLASS:
    case WMGW_SOAP_GET: return WMGW_ACTION_GET "Response";
    case WMGW_SOAP_PUT: return WMGW_ACTION_PUT "Response";
    case WMGW_SOAP_CREATE: return WMGW_ACTION_CREATE "Response";
    case WMGW_SOAP_DELETE: return WMGW_ACTION_DELETE "Response";
    case WMGW_SOAP_ENUMERATE: return WMGW_ACTION_ENUMERATE "Response";
    case WMGW_SOAP_PULL: return WMGW_ACTION_PULL "Response";
    case WMGW_SOAP_RELEASE: return WMGW_ACTION_RELEASE "Response";
    case WMGW_SOAP_INVOKE:
        snprintf(buf, size, "%s/%sResponse", st->resource_uri, st->call ? st->call->op.method : "");
        return buf;
    }
    return NULL;
}

/* The caller is gone but a reply came: learn the context it renewed (to
 * release it), nothing else. */
static void on_detached_reply(struct wsman_state *st, int err, struct wmgw_http_response *resp)
{
    if (err == 0 && resp != NULL && (st->sent == WMGW_SOAP_ENUMERATE || st->sent == WMGW_SOAP_PULL)) {
        struct wmgw_soap_response r = {.kind = st->sent, .d = st->d, .message_id = st->message_id};
        if (wmgw_soap_read(resp->body.data ? resp->body.data : "", resp->body.len, &r, NULL) == 0 && !r.fault) {
            if (r.context != NULL) {
                free(st->context);
                st->context = r.context;
                r.context = NULL;
            }
            st->ended = r.end_of_sequence;
        }
        wmgw_soap_response_dispose(&r);
    }
    settle(st);
}

static bool is_must_understand(const struct wmgw_backend_error *e)
{
    const char *local = strrchr(e->fault_code, ':');
    return strcasecmp(local ? local + 1 : e->fault_code, "MustUnderstand") == 0;
}

/* A reply that failed ends the call, except while an auto host's dialect
 * is being found: an answer that is no IdentifyResponse (a fault, a
 * 2005/06 envelope, mustUnderstand trouble, a This) sends the 2003 R2
 * discovery next; a rejected credential (401) is no answer about dialects. */
static void reply_failed(struct wsman_state *st, int http_status, bool fault)
{
    if (st->probing && st->sent == WMGW_SOAP_IDENTIFY) {
        if (st->d->has_identify && http_status != 401) {
            st->probe_error = st->error;
            st->d = dialect_of(WMGW_PROTO_WSMAN2003);
            struct wmgw_soap_request q = {.kind = WMGW_SOAP_IDENTIFY};
            if (send_request(st, &q) == 0)
                return;
            st->error = st->probe_error;
        } else if (!st->d->has_identify && (!fault || is_must_understand(&st->error))) {
            /* Not understood in 2005/06 either: Identify's answer says more. */
            st->error = st->probe_error;
        }
    }
    finish(st, &st->error);
}

static void on_http(void *data, int err, const char *detail, struct wmgw_http_response *resp)
{
    struct wsman_state *st = data;
    st->x = NULL;
    if (st->call == NULL) {
        if (st->sent == WMGW_SOAP_RELEASE)
            state_free(st);
        else
            on_detached_reply(st, err, resp);
        return;
    }
    if (err != 0 || resp == NULL) {
        wmgw_wsman_http_error(&st->error, err ? err : WMGW_ECONN, detail, 0, NULL);
        finish(st, &st->error);
        return;
    }
    const struct wmgw_op *op = &st->call->op;
    char action[1024];
    struct wmgw_soap_response r = {
        .kind = st->sent,
        .d = st->d,
        .message_id = st->message_id,
        .expect_action = expected_action(st, action, sizeof(action)),
        .ns = op->namespace_,
        .cls = op->cls,
        .lookup = st->call->lookup_class,
        .lookup_ctx = st->call->lookup_ctx,
    };
    if (op->query != NULL && !op->query->select_all && op->query->nselect > 0 && op->query->kind == WMGW_WQL_SELECT) {
        r.select = op->query->select;
        r.nselect = op->query->nselect;
        r.fragment_class = op->kind == WMGW_OP_QUERY ? op->query->class_name : op->class_name;
    }
    if (op->kind == WMGW_OP_QUERY && op->cls != NULL && op->query != NULL && op->query->kind != WMGW_WQL_SELECT)
        r.cls = NULL; /* associators are of other classes: type them by lookup */
    if (st->sent == WMGW_SOAP_INVOKE && op->cls != NULL && op->method != NULL)
        r.method = wmgw_cim_class_method(op->cls, op->method);
    struct wmgw_err perr;
    int rc = wmgw_soap_read(resp->body.data ? resp->body.data : "", resp->body.len, &r, &perr);
    bool ok_status = resp->status >= 200 && resp->status < 300;
    if (rc == WMGW_ENOMEM) {
        fail(st, WMGW_ENOMEM, "out of memory");
    } else if (rc != 0 || (!r.fault && !ok_status)) {
        wmgw_wsman_http_error(&st->error, 0, NULL, resp->status, rc != 0 ? perr.message : "not a fault");
        reply_failed(st, resp->status, false);
    } else if (r.fault) {
        st->error = r.error;
        st->error.http_status = resp->status;
        if (st->error.code == WMGW_EGONE)
            st->ended = true; /* the backend has no such context: nothing to Release */
        reply_failed(st, resp->status, true);
    } else if (st->sent == WMGW_SOAP_ENUMERATE || st->sent == WMGW_SOAP_PULL) {
        enumeration_step(st, &r);
    } else if (st->sent == WMGW_SOAP_GET && op->kind == WMGW_OP_MODIFY && !st->modify_put) {
        modify_put(st, &r);
    } else {
        deliver(st, &r);
    }
    wmgw_soap_response_dispose(&r);
}

/* --- starting --------------------------------------------------------------------- */

static char *endpoint_url(const struct wmgw_backend *b)
{
    struct wmgw_buf u;
    wmgw_buf_init(&u, 4096);
    bool v6 = b->address != NULL && strchr(b->address, ':') != NULL;
    const char *path = b->path && *b->path ? b->path : "/wsman";
    int rc = wmgw_buf_printf(&u, "%s://%s%s%s:%u%s%s", b->tls ? "https" : "http", v6 ? "[" : "",
                             b->address ? b->address : "", v6 ? "]" : "", b->port ? b->port : (b->tls ? 5986 : 5985),
                             path[0] == '/' ? "" : "/", path);
    if (rc != 0) {
        wmgw_buf_dispose(&u);
        return NULL;
    }
    return wmgw_buf_steal(&u, NULL);
}

static char *resource_uri(const struct wmgw_wsman_dialect *d, const char *ns, const char *class_name)
{
    struct wmgw_buf u;
    wmgw_buf_init(&u, 4096);
    if (wmgw_wsman_format_resource_uri(&u, d, ns, class_name) != 0) {
        wmgw_buf_dispose(&u);
        return NULL;
    }
    return wmgw_buf_steal(&u, NULL);
}

/* The WQL of an ENUMERATE with a where or select (NULL when neither). */
static int enumerate_wql(const struct wmgw_op *op, char **out)
{
    *out = NULL;
    const struct wmgw_wql_query *src = op->query;
    bool project = src != NULL && !src->select_all && src->nselect > 0;
    if (src == NULL || (src->where == NULL && !project))
        return 0;
    struct wmgw_wql_query q = {.kind = WMGW_WQL_SELECT,
                               .select_all = !project,
                               .nselect = project ? src->nselect : 0,
                               .select = project ? src->select : NULL,
                               .class_name = (char *)op->class_name,
                               .where = src->where};
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1u << 20);
    int rc = wmgw_wql_format(&b, &q);
    if (rc != 0) {
        wmgw_buf_dispose(&b);
        return rc == WMGW_ENOMEM ? rc : WMGW_EINVAL;
    }
    *out = wmgw_buf_steal(&b, NULL);
    return *out ? 0 : WMGW_ENOMEM;
}

static int query_wql(const struct wmgw_op *op, char **out)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1u << 20);
    int rc = wmgw_wql_format(&b, op->query);
    if (rc != 0) {
        wmgw_buf_dispose(&b);
        return rc == WMGW_ENOMEM ? rc : WMGW_EINVAL;
    }
    *out = wmgw_buf_steal(&b, NULL);
    return *out ? 0 : WMGW_ENOMEM;
}

static int parse_cursor(const char *cursor, char **context)
{
    size_t plen = strlen(CURSOR_PREFIX);
    if (strncmp(cursor, CURSOR_PREFIX, plen) != 0 || cursor[plen] == '\0' || strlen(cursor + plen) > MAX_CONTEXT)
        return WMGW_EINVAL;
    for (const char *p = cursor + plen; *p; p++)
        if ((unsigned char)*p < 0x20)
            return WMGW_EINVAL;
    *context = strdup(cursor + plen);
    return *context ? 0 : WMGW_ENOMEM;
}

/* The enumeration's first request: Enumerate, or Pull to continue a cursor. */
static int start_enumeration(struct wsman_state *st, const struct wmgw_op *op)
{
    if (op->cursor != NULL) {
        int rc = parse_cursor(op->cursor, &st->context);
        if (rc != 0)
            return rc;
        struct wmgw_soap_request q = {.kind = WMGW_SOAP_PULL, .context = st->context, .max_elements = batch_size(st)};
        return send_request(st, &q);
    }
    struct wmgw_soap_request q = {.kind = WMGW_SOAP_ENUMERATE,
                                  .wql = st->wql,
                                  .optimize = true,
                                  .epr_only = op->refs_only,
                                  .max_elements = batch_size(st)};
    return send_request(st, &q);
}

static int start_op(struct wsman_state *st, const struct wmgw_op *op)
{
    const struct wmgw_wsman_dialect *d = st->d;
    const char *ns = op->namespace_;
    int rc;
    if (ns == NULL && op->kind != WMGW_OP_IDENTIFY)
        return WMGW_EINVAL;
    switch (op->kind) {
    case WMGW_OP_IDENTIFY: {
        struct wmgw_soap_request q = {.kind = WMGW_SOAP_IDENTIFY};
        if (st->backend->protocol == WMGW_PROTO_AUTO) { /* detect afresh, MS-WSMV first */
            st->probing = true;
            st->d = d = dialect_of(WMGW_PROTO_WSMV);
        }
        if (!d->has_identify && d->this_uri == NULL)
            return refuse(st, WMGW_EUNSUPPORTED, "has no discovery");
        return send_request(st, &q);
    }
    case WMGW_OP_GET_CLASS: {
        if (d->class_uri == NULL)
            return refuse(st, WMGW_EUNSUPPORTED, "cannot retrieve class definitions");
        if (op->class_name == NULL)
            return WMGW_EINVAL;
        struct wmgw_cim_proplist sel = {0};
        struct wmgw_cim_value v;
        wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
        wmgw_cim_value_set_string(&v, wmgw_cim_strdup(ns));
        rc = v.u.str ? wmgw_cim_proplist_put(&sel, "__cimnamespace", &v) : WMGW_ENOMEM;
        wmgw_cim_value_set_string(&v, wmgw_cim_strdup(op->class_name));
        if (rc == 0)
            rc = v.u.str ? wmgw_cim_proplist_put(&sel, "ClassName", &v) : WMGW_ENOMEM;
        wmgw_cim_value_dispose(&v);
        struct wmgw_soap_request q = {.kind = WMGW_SOAP_GET_CLASS, .resource_uri = d->class_uri, .selectors = &sel};
        if (rc == 0)
            rc = send_request(st, &q);
        wmgw_cim_proplist_dispose(&sel);
        return rc;
    }
    case WMGW_OP_GET:
    case WMGW_OP_MODIFY:
    case WMGW_OP_DELETE: {
        if (op->ref == NULL || (op->kind == WMGW_OP_MODIFY && op->instance == NULL))
            return WMGW_EINVAL;
        if (op->kind == WMGW_OP_DELETE && !d->can_create_delete)
            return refuse(st, WMGW_ENOTALLOWED, "cannot create or delete CIM instances");
        struct wmgw_soap_request q = {.kind = op->kind == WMGW_OP_DELETE ? WMGW_SOAP_DELETE : WMGW_SOAP_GET,
                                      .selectors = &op->ref->keys};
        return send_request(st, &q);
    }
    case WMGW_OP_CREATE: {
        if (op->instance == NULL)
            return WMGW_EINVAL;
        if (!d->can_create_delete)
            return refuse(st, WMGW_ENOTALLOWED, "cannot create or delete CIM instances");
        /* The body names the class and namespace of the request. */
        struct wmgw_cim_instance *inst = wmgw_cim_instance_copy(op->instance);
        if (inst == NULL)
            return WMGW_ENOMEM;
        free(inst->namespace_);
        inst->namespace_ = wmgw_cim_strdup(ns);
        if (op->class_name != NULL) {
            free(inst->class_name);
            inst->class_name = wmgw_cim_strdup(op->class_name);
        }
        /* Exactly the given properties: omitted ones take the class defaults. */
        struct wmgw_soap_request q = {.kind = WMGW_SOAP_CREATE, .instance = inst, .cls = NULL};
        rc = inst->namespace_ && inst->class_name ? send_request(st, &q) : WMGW_ENOMEM;
        wmgw_cim_instance_unref(inst);
        return rc;
    }
    case WMGW_OP_INVOKE: {
        if (op->method == NULL)
            return WMGW_EINVAL;
        struct wmgw_soap_request q = {.kind = WMGW_SOAP_INVOKE,
                                      .method = op->method,
                                      .params = op->params,
                                      .selectors = op->ref ? &op->ref->keys : NULL};
        return send_request(st, &q);
    }
    case WMGW_OP_ENUMERATE:
        if ((rc = enumerate_wql(op, &st->wql)) != 0)
            return rc;
        /* Never sent: the gateway filters and projects for such hosts. */
        if (st->wql != NULL && !d->can_filter)
            return refuse(st, WMGW_EUNSUPPORTED, "cannot filter or project an enumeration");
        if (op->refs_only && !d->has_enum_modes && ref_class(st->call) == NULL)
            return refuse(st, WMGW_EUNSUPPORTED, "enumerates objects only, and their class is not known");
        return start_enumeration(st, op);
    case WMGW_OP_QUERY:
        if (op->query == NULL)
            return WMGW_EINVAL;
        if (!d->can_filter)
            return refuse(st, WMGW_EUNSUPPORTED, "cannot run WQL queries");
        if ((rc = query_wql(op, &st->wql)) != 0)
            return rc;
        return start_enumeration(st, op);
    }
    return WMGW_EINVAL;
}

/* The class whose resource URI a request addresses. */
static const char *target_class(const struct wmgw_op *op)
{
    if (op->kind == WMGW_OP_QUERY)
        return "*";
    if (op->ref != NULL && op->ref->class_name != NULL && op->kind != WMGW_OP_CREATE)
        return op->ref->class_name;
    return op->class_name;
}

static int wsman_start(struct wmgw_call *call)
{
    const struct wmgw_op *op = &call->op;
    if (call->backend == NULL || call->transport == NULL || call->sink == NULL || call->sink->on_done == NULL)
        return WMGW_EINVAL;
    struct wsman_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return WMGW_ENOMEM;
    st->call = call;
    st->d = dialect_for(call);
    st->backend = wmgw_backend_ref(call->backend);
    st->transport = call->transport;
    wmgw_buf_init(&st->body, MAX_REQUEST);
    st->to = endpoint_url(call->backend);
    int rc = st->to ? 0 : WMGW_ENOMEM;
    const char *cls = target_class(op);
    if (rc == 0 && op->kind != WMGW_OP_IDENTIFY && op->kind != WMGW_OP_GET_CLASS) {
        if (op->namespace_ == NULL || cls == NULL || (strcmp(cls, "*") != 0 && !wmgw_soap_name_ok(cls)))
            rc = WMGW_EINVAL;
        else if ((st->resource_uri = resource_uri(st->d, op->namespace_, cls)) == NULL)
            rc = WMGW_ENOMEM;
    }
    if (rc == 0)
        rc = start_op(st, op);
    if (rc != 0) {
        st->x = NULL;
        state_free(st); /* a failed start never calls the sink */
        return rc;
    }
    call->state = st;
    return 0;
}

static void wsman_resume(struct wmgw_call *call)
{
    struct wsman_state *st = call->state;
    if (st == NULL || !st->waiting)
        return;
    st->waiting = false;
    pull(st);
}

static void wsman_cancel(struct wmgw_call *call)
{
    struct wsman_state *st = call->state;
    if (st == NULL)
        return;
    detach(st);
    st->waiting = false;
    /* An Enumerate or Pull in flight is let finish, to learn the context
     * to release; anything else is abandoned (its connection closed). */
    if (st->x != NULL && st->sent != WMGW_SOAP_ENUMERATE && st->sent != WMGW_SOAP_PULL) {
        wmgw_http_cancel(st->x);
        st->x = NULL;
        st->ended = true;
    }
    settle(st);
}

static unsigned caps_of(const struct wmgw_wsman_dialect *d)
{
    unsigned caps = 0;
    if (d->can_filter)
        caps |= WMGW_CAP_FILTER | WMGW_CAP_PROJECT | WMGW_CAP_ASSOCIATIONS;
    if (d->can_create_delete)
        caps |= WMGW_CAP_CREATE_DELETE;
    if (d->class_uri != NULL)
        caps |= WMGW_CAP_CLASS_SCHEMA;
    return caps;
}

static unsigned wsman_caps_for(const struct wmgw_backend *b)
{
    return caps_of(dialect_of(b->protocol));
}

const struct wmgw_translator wmgw_translator_wsman = {
    .name = "wsman",
    .caps = WMGW_CAP_FILTER | WMGW_CAP_PROJECT | WMGW_CAP_CREATE_DELETE | WMGW_CAP_ASSOCIATIONS |
            WMGW_CAP_CLASS_SCHEMA, /* MS-WSMV; caps_for answers per host */
    .caps_for = wsman_caps_for,
    .start = wsman_start,
    .resume = wsman_resume,
    .cancel = wsman_cancel,
};
