/*
 * wmi.c: the WMI-over-DCOM translator (translator.h): the vtable
 * `wmgw_translator_wmi` and the state machine of one call, from the
 * gateway's Operation to IWbemServices / IEnumWbemClassObject calls on a
 * pooled DCOM session (wmi_session.c) and back to sink callbacks
 * (design.md: "translators/X  Operation -> backend messages").
 *
 * Flow: a session (an idle one of this worker, or activation), the
 * namespace's IWbemServices (NTLMLogin once per session), then
 *   IDENTIFY   ExecQuery Win32_OperatingSystem, Next(1): the OS version
 *   GET_CLASS  GetObject(class, amended qualifiers)
 *   GET        GetObject(instance path)
 *   ENUMERATE  ExecQuery(SELECT <select|*> FROM <class> [WHERE ..]) and
 *   QUERY      ExecQuery(op.query), semisynchronous forward-only (0x30),
 *              then Next(timeout, max_elements) until WBEM_S_FALSE, with
 *              on_batch / wmgw_call_resume() between batches
 *   CREATE     [GetObject(class)] PutInstance(CREATE_ONLY)
 *   MODIFY     [GetObject(class)] GetObject(instance), the named
 *              properties set, PutInstance(UPDATE_ONLY), GetObject again
 *   DELETE     DeleteInstance(instance path)
 *   INVOKE     [GetObject(class)] ExecMethod(instance path or class)
 * where [GetObject(class)] fetches the class part the host's encoding
 * needs, once per session and namespace (the class cache).
 *
 * Paging: an enumerator lives in one DCOM session, on one worker.  At
 * op.limit with more to come, the session is parked with its enumerator
 * under a random handle and the cursor is "dcom:<handle>"; only a call
 * on the same worker within WMGW_WMI_PARK_MS can continue it, any other
 * gets WMGW_EGONE (410): start again.  See wmi_session.c.
 *
 * Ownership: the state outlives the call after cancel while a request is
 * in flight (its reply is awaited, bounded by the deadline) and gives the
 * session back -- an enumerator RemRelease'd -- when it arrives.
 */
#include "translators/wmi/wmi_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cim/path.h"
#include "cim/wql.h"
#include "util/buf.h"

#define WBEM_FLAGS_SEMISYNC (WMGW_WBEM_FLAG_RETURN_IMMEDIATELY | WMGW_WBEM_FLAG_FORWARD_ONLY)
#define IDENTIFY_NS "root/cimv2"

/* --- state lifetime ---------------------------------------------------------------- */

static void state_free(struct wmgw_wmi_call *st)
{
    wmgw_buf_dispose(&st->stub);
    free(st->nsname);
    free(st->path);
    free(st->cls_name);
    free(st->wql);
    free(st->units);
    wmgw_cim_instance_unref(st->cur);
    wmgw_cim_instance_unref(st->held_inst);
    wmgw_cim_ref_free(st->held_ref);
    wmgw_backend_unref(st->backend);
    free(st);
}

/* The caller is gone: give the session back (the enumerator released)
 * unless a reply is still owed to us. */
void wmgw__wmi_settle(struct wmgw_wmi_call *st)
{
    if (st->busy > 0 || st->in_flight)
        return;
    if (st->s != NULL)
        wmgw_wmi_session_put(st->s, st->has_enum ? &st->enumr : NULL);
    st->s = NULL;
    state_free(st);
}

static void detach(struct wmgw_wmi_call *st)
{
    if (st->call != NULL)
        st->call->state = NULL;
    st->call = NULL;
}

/* The one on_done; err NULL for success.  st may be gone afterwards. */
void wmgw__wmi_finish(struct wmgw_wmi_call *st, const struct wmgw_backend_error *err)
{
    struct wmgw_call *call = st->call;
    if (err != NULL && err != &st->error)
        st->error = *err;
    detach(st);
    st->busy++;
    call->sink->on_done(call, err ? &st->error : NULL);
    st->busy--;
    wmgw__wmi_settle(st);
}

void wmgw__wmi_fail(struct wmgw_wmi_call *st, int code, const char *fmt, ...)
{
    char msg[sizeof(st->error.message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wmgw_backend_error_set(&st->error, code, "%s", msg);
    wmgw__wmi_finish(st, &st->error);
}

/* A reply arrived after cancel: nothing more to do than settle. */
static bool gone(struct wmgw_wmi_call *st)
{
    st->in_flight = false;
    if (st->call != NULL)
        return false;
    wmgw__wmi_settle(st);
    return true;
}

/* --- sending ---------------------------------------------------------------------------- */


/* Sends the request in st->stub; on failure ends the call. */
static int send(struct wmgw_wmi_call *st, enum wmgw_wmi_step step, const struct wmgw_uuid *iid, uint16_t opnum,
                const struct wmgw_uuid *ipid, const char *what)
{
    struct wmgw_backend_error err;
    st->step = step;
    int rc = wmgw_wmi_session_call(st->s, iid, opnum, ipid, &st->stub, what, wmgw__wmi_on_reply, st, &err);
    if (rc == 0)
        st->in_flight = true;
    else
        st->error = err;
    return rc;
}

int wmgw__wmi_send_getobject(struct wmgw_wmi_call *st, enum wmgw_wmi_step step, const char *path, uint32_t flags)
{
    struct wmgw_wmi_getobject_req q;
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    q.path = path;
    q.flags = flags;
    q.pp_object = true;
    wmgw_buf_reset(&st->stub);
    if (wmgw_wmi_getobject_req_encode(&st->stub, &q, NULL) != 0)
        return wmgw_backend_error_set(&st->error, WMGW_EINVAL, "cannot encode GetObject of %.200s", path);
    return send(st, step, &wmgw_dcom_iid_iwbem_services, WMGW_WMI_OP_GET_OBJECT, &st->ns->services.std.ipid,
                "IWbemServices::GetObject");
}

/* Objects to ask Next for.  The last batch of a page asks for one more
 * than the page needs: WBEM_S_NO_ERROR on a full batch does not say
 * whether anything follows, and a page must know whether it is the last
 * (as WS-Management's EndOfSequence tells).  An object held from the
 * page before counts as already read. */
unsigned wmgw__wmi_batch_size(const struct wmgw_wmi_call *st)
{
    unsigned n = st->backend->max_elements ? st->backend->max_elements : 500;
    const struct wmgw_op *op = st->call ? &st->call->op : NULL;
    if (op != NULL && op->kind == WMGW_OP_IDENTIFY)
        return 1;
    if (op != NULL && op->limit > 0 && op->limit - st->delivered <= n)
        n = op->limit - st->delivered + 1;
    if (st->held_inst != NULL || st->held_ref != NULL)
        n--;
    if (n > WMGW_WMI_MAX_BATCH)
        n = WMGW_WMI_MAX_BATCH;
    return n ? n : 1;
}

int wmgw__wmi_send_next(struct wmgw_wmi_call *st)
{
    struct wmgw_wmi_enum_req q;
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    q.timeout = wmgw_wmi_timeout_ms(st->backend);
    q.count = wmgw__wmi_batch_size(st);
    if (q.count > st->nunits) {
        free(st->units);
        st->nunits = 0;
        if ((st->units = calloc(q.count, sizeof(*st->units))) == NULL)
            return wmgw_backend_error_set(&st->error, WMGW_ENOMEM, "out of memory");
        st->nunits = q.count;
    }
    wmgw_buf_reset(&st->stub);
    if (wmgw_wmi_enum_req_encode(&st->stub, &q, NULL) != 0)
        return wmgw_backend_error_set(&st->error, WMGW_ENOMEM, "cannot encode Next");
    return send(st, WMGW_WMI_ST_NEXT, &wmgw_dcom_iid_ienum_wbem_class_object, WMGW_WMI_OP_ENUM_NEXT, &st->enumr.std.ipid,
                "IEnumWbemClassObject::Next");
}

static int send_query(struct wmgw_wmi_call *st, const char *wql)
{
    struct wmgw_wmi_query_req q;
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    q.language = "WQL";
    q.query = wql;
    q.flags = WBEM_FLAGS_SEMISYNC;
    wmgw_buf_reset(&st->stub);
    if (wmgw_wmi_query_req_encode(&st->stub, &q, NULL) != 0)
        return wmgw_backend_error_set(&st->error, WMGW_ENOMEM, "cannot encode ExecQuery");
    return send(st, WMGW_WMI_ST_QUERY, &wmgw_dcom_iid_iwbem_services, WMGW_WMI_OP_EXEC_QUERY, &st->ns->services.std.ipid,
                "IWbemServices::ExecQuery");
}

/* --- encoding against the host's class part ---------------------------------------------------- */

static const struct wmgw_wmio_class_entry *class_entry(struct wmgw_wmi_call *st)
{
    return wmgw_wmio_class_cache_find(&st->ns->classes, st->cls_name);
}

static int encode_opts(struct wmgw_wmi_call *st, const struct wmgw_wmio_class_entry *e, struct wmgw_wmio_encode_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->lookup = wmgw_wmio_class_cache_lookup;
    o->lookup_ctx = &st->ns->classes;
    o->cache = &st->ns->classes;
    o->class_part = e;
    return 0;
}

/* PutInstance of inst, encoded with the host's class part. */
int wmgw__wmi_send_put(struct wmgw_wmi_call *st, const struct wmgw_cim_instance *inst, uint32_t flags)
{
    const struct wmgw_wmio_class_entry *e = class_entry(st);
    struct wmgw_wmio_encode_opts o;
    struct wmgw_buf unit;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (e == NULL)
        return wmgw_backend_error_set(&st->error, WMGW_EINTERNAL, "the class part of %s is gone", st->cls_name);
    encode_opts(st, e, &o);
    wmgw_buf_init(&unit, WMGW_WMIO_MAX_OUTPUT);
    int rc = wmgw_wmio_encode_instance(&unit, inst, e->cls, &o, &err);
    if (rc == 0) {
        struct wmgw_wmi_putinstance_req q;
        memset(&q, 0, sizeof(q));
        wmgw_dcom_orpcthis_init(&q.orpc, NULL);
        q.inst = (struct wmgw_wmi_unit){(const uint8_t *)unit.data, unit.len};
        q.flags = flags;
        wmgw_buf_reset(&st->stub);
        rc = wmgw_wmi_putinstance_req_encode(&st->stub, &q, &err);
    }
    wmgw_buf_dispose(&unit);
    if (rc != 0)
        return wmgw_backend_error_set(&st->error, rc == WMGW_ENOMEM ? rc : WMGW_EINVAL, "%s: %s", st->cls_name,
                                      err.message);
    return send(st, WMGW_WMI_ST_PUT, &wmgw_dcom_iid_iwbem_services, WMGW_WMI_OP_PUT_INSTANCE, &st->ns->services.std.ipid,
                "IWbemServices::PutInstance");
}

static int send_method(struct wmgw_wmi_call *st)
{
    const struct wmgw_op *op = &st->call->op;
    const struct wmgw_wmio_class_entry *e = class_entry(st);
    struct wmgw_buf unit;
    struct wmgw_err err;
    int rc = 0;
    wmgw_err_clear(&err);
    wmgw_buf_init(&unit, WMGW_WMIO_MAX_OUTPUT);
    const struct wmgw_wmio_sig *sig = NULL;
    for (size_t i = 0; e != NULL && i < e->nsigs; i++)
        if (strcasecmp(e->sigs[i].method, op->method) == 0)
            sig = &e->sigs[i];
    if (sig == NULL)
        return wmgw_backend_error_set(&st->error, WMGW_ENOTFOUND, "%s has no method %s", st->cls_name, op->method);
    if (sig->in_part != NULL) { /* no in-parameters: pInParams is NULL */
        struct wmgw_wmio_encode_opts o;
        encode_opts(st, e, &o);
        rc = wmgw_wmio_encode_params(&unit, e->cls, op->method, false, op->params, &o, &err);
    }
    if (rc == 0) {
        struct wmgw_wmi_execmethod_req q;
        memset(&q, 0, sizeof(q));
        wmgw_dcom_orpcthis_init(&q.orpc, NULL);
        q.path = st->path;
        q.method = op->method;
        q.in_params = (struct wmgw_wmi_unit){unit.len ? (const uint8_t *)unit.data : NULL, unit.len};
        q.pp_out_params = true;
        wmgw_buf_reset(&st->stub);
        rc = wmgw_wmi_execmethod_req_encode(&st->stub, &q, &err);
    }
    wmgw_buf_dispose(&unit);
    if (rc != 0)
        return wmgw_backend_error_set(&st->error, rc == WMGW_ENOMEM ? rc : WMGW_EINVAL, "%s.%s: %s", st->cls_name,
                                      op->method, err.message);
    return send(st, WMGW_WMI_ST_METHOD, &wmgw_dcom_iid_iwbem_services, WMGW_WMI_OP_EXEC_METHOD, &st->ns->services.std.ipid,
                "IWbemServices::ExecMethod");
}

/* --- the operation, once the namespace is there ---------------------------------------------- */

/* The step after the class part is known. */
int wmgw__wmi_with_class(struct wmgw_wmi_call *st)
{
    const struct wmgw_op *op = &st->call->op;
    switch (op->kind) {
    case WMGW_OP_CREATE:
        return wmgw__wmi_send_put(st, op->instance, WMGW_WBEM_FLAG_CREATE_ONLY);
    case WMGW_OP_MODIFY:
        return wmgw__wmi_send_getobject(st, WMGW_WMI_ST_GET, st->path, 0);
    case WMGW_OP_INVOKE:
        return send_method(st);
    default:
        return wmgw_backend_error_set(&st->error, WMGW_EINTERNAL, "no class step for this operation");
    }
}

static int run_op(struct wmgw_wmi_call *st)
{
    const struct wmgw_op *op = &st->call->op;
    switch (op->kind) {
    case WMGW_OP_IDENTIFY:
        return send_query(st, "SELECT * FROM Win32_OperatingSystem");
    case WMGW_OP_GET_CLASS:
        return wmgw__wmi_send_getobject(st, WMGW_WMI_ST_SCHEMA, st->cls_name, WMGW_WBEM_FLAG_USE_AMENDED_QUALIFIERS);
    case WMGW_OP_GET:
        return wmgw__wmi_send_getobject(st, WMGW_WMI_ST_GET, st->path, 0);
    case WMGW_OP_DELETE: {
        struct wmgw_wmi_deleteinstance_req q;
        memset(&q, 0, sizeof(q));
        wmgw_dcom_orpcthis_init(&q.orpc, NULL);
        q.path = st->path;
        wmgw_buf_reset(&st->stub);
        if (wmgw_wmi_deleteinstance_req_encode(&st->stub, &q, NULL) != 0)
            return wmgw_backend_error_set(&st->error, WMGW_ENOMEM, "cannot encode DeleteInstance");
        return send(st, WMGW_WMI_ST_DELETE, &wmgw_dcom_iid_iwbem_services, WMGW_WMI_OP_DELETE_INSTANCE,
                    &st->ns->services.std.ipid, "IWbemServices::DeleteInstance");
    }
    case WMGW_OP_ENUMERATE:
    case WMGW_OP_QUERY:
        if (st->has_enum) /* a cursor's parked enumerator */
            return wmgw__wmi_send_next(st);
        return send_query(st, st->wql);
    case WMGW_OP_CREATE:
    case WMGW_OP_MODIFY:
    case WMGW_OP_INVOKE:
        if (class_entry(st) != NULL)
            return wmgw__wmi_with_class(st);
        return wmgw__wmi_send_getobject(st, WMGW_WMI_ST_CLASS, st->cls_name, 0);
    }
    return WMGW_EINVAL;
}

static void on_login(void *data, struct wmgw_wmi_ns *ns, const struct wmgw_backend_error *err)
{
    struct wmgw_wmi_call *st = data;
    if (gone(st))
        return;
    if (err != NULL) {
        wmgw__wmi_finish(st, err);
        return;
    }
    st->ns = ns;
    if (run_op(st) != 0)
        wmgw__wmi_finish(st, &st->error);
}

/* With a session: log in to the namespace (or find it), then run. */
static int with_session(struct wmgw_wmi_call *st)
{
    struct wmgw_wmi_ns *ns = NULL;
    st->step = WMGW_WMI_ST_LOGIN;
    int rc = wmgw_wmi_session_login(st->s, st->nsname, on_login, st, &ns, &st->error);
    if (rc == 1) {
        st->in_flight = true;
        return 0;
    }
    if (rc != 0)
        return rc;
    st->ns = ns;
    return run_op(st);
}

static void on_session(void *data, struct wmgw_wmi_session *s, const struct wmgw_backend_error *err)
{
    struct wmgw_wmi_call *st = data;
    st->s = s; /* NULL after a failure: the session is gone */
    if (gone(st))
        return;
    if (err != NULL) {
        wmgw__wmi_finish(st, err);
        return;
    }
    if (with_session(st) != 0)
        wmgw__wmi_finish(st, &st->error);
}

/* --- replies ------------------------------------------------------------------------------------ */

/* --- the translator ------------------------------------------------------------------------------- */

static int parse_cursor(const char *cursor, char handle[33])
{
    size_t plen = strlen(WMGW_WMI_CURSOR_PREFIX);
    if (strncmp(cursor, WMGW_WMI_CURSOR_PREFIX, plen) != 0)
        return WMGW_EGONE; /* another protocol's: the host changed protocol */
    const char *h = cursor + plen;
    if (strlen(h) != 32 || strspn(h, "0123456789abcdef") != 32)
        return WMGW_EINVAL;
    memcpy(handle, h, 33);
    return 0;
}

/* Checks the op and prepares its strings. */
static int prepare(struct wmgw_wmi_call *st, const struct wmgw_op *op)
{
    const char *cls = op->ref != NULL && op->ref->class_name != NULL && op->kind != WMGW_OP_CREATE
                          ? op->ref->class_name
                          : op->class_name;
    st->nsname = wmgw_cim_namespace_normalize(op->kind == WMGW_OP_IDENTIFY ? IDENTIFY_NS : op->namespace_ ? op->namespace_ : "");
    if (st->nsname == NULL)
        return WMGW_ENOMEM;
    if (st->nsname[0] == '\0')
        return WMGW_EINVAL;
    switch (op->kind) {
    case WMGW_OP_IDENTIFY:
        return 0;
    case WMGW_OP_GET_CLASS:
    case WMGW_OP_CREATE:
        if (cls == NULL || !wmgw_cim_path_name_valid(cls, strlen(cls)) ||
            (op->kind == WMGW_OP_CREATE && op->instance == NULL))
            return WMGW_EINVAL;
        break;
    case WMGW_OP_GET:
    case WMGW_OP_MODIFY:
    case WMGW_OP_DELETE:
        if (op->ref == NULL || (op->kind == WMGW_OP_MODIFY && op->instance == NULL))
            return WMGW_EINVAL;
        break;
    case WMGW_OP_INVOKE:
        if (op->method == NULL || cls == NULL || !wmgw_cim_path_name_valid(op->method, strlen(op->method)))
            return WMGW_EINVAL;
        break;
    case WMGW_OP_ENUMERATE:
    case WMGW_OP_QUERY:
        return op->cursor != NULL ? 0 : wmgw_wmi_op_wql(op, &st->wql);
    }
    if (cls == NULL || (st->cls_name = strdup(cls)) == NULL)
        return cls == NULL ? WMGW_EINVAL : WMGW_ENOMEM;
    if (op->ref != NULL && op->kind != WMGW_OP_CREATE) {
        if ((st->path = wmgw_wmi_path(op->ref)) == NULL)
            return WMGW_EINVAL;
    } else if (op->kind == WMGW_OP_INVOKE && (st->path = strdup(cls)) == NULL) {
        return WMGW_ENOMEM; /* a static method: the class is the path */
    }
    return 0;
}

static int wmi_start(struct wmgw_call *call)
{
    const struct wmgw_op *op = &call->op;
    if (call->backend == NULL || call->transport == NULL || call->sink == NULL || call->sink->on_done == NULL)
        return WMGW_EINVAL;
    struct wmgw_wmi_call *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return WMGW_ENOMEM;
    st->call = call;
    st->backend = wmgw_backend_ref(call->backend);
    st->transport = call->transport;
    wmgw_buf_init(&st->stub, WMGW_WMI_MAX_STUB);
    int rc = prepare(st, op);
    char handle[33];
    if (rc == 0 && op->cursor != NULL && (op->kind == WMGW_OP_ENUMERATE || op->kind == WMGW_OP_QUERY)) {
        rc = parse_cursor(op->cursor, handle);
        struct wmgw_wmi_parked p;
        if (rc == 0 && (rc = wmgw_wmi_session_unpark(call->transport, st->backend, handle, &st->s, &p)) == 0) {
            st->enumr = p.enumr;
            st->held_inst = p.held_inst;
            st->held_ref = p.held_ref;
        }
        if (rc == WMGW_EGONE)
            wmgw_backend_error_set(&call->start_error, rc,
                                   "cursor: the DCOM enumeration it continues is gone (it lives %u s on the gateway "
                                   "worker that started it, on that worker's connection to the host); start the "
                                   "listing again", WMGW_WMI_PARK_MS / 1000);
        st->has_enum = rc == 0;
        if (rc == 0)
            rc = with_session(st);
    } else if (rc == 0) {
        struct wmgw_wmi_session *s = NULL;
        rc = wmgw_wmi_session_get(call->transport, st->backend, on_session, st, &s, &st->error);
        if (rc == 1) {
            st->s = s; /* being built: abandoned on cancel */
            st->step = WMGW_WMI_ST_SESSION;
            st->in_flight = true;
            rc = 0;
        } else if (rc == 0) {
            st->s = s;
            rc = with_session(st);
        }
        if (rc != 0 && st->error.message[0])
            call->start_error = st->error;
    }
    if (rc != 0) {
        if (st->s != NULL && !st->in_flight)
            wmgw_wmi_session_put(st->s, st->has_enum ? &st->enumr : NULL);
        st->s = NULL;
        state_free(st); /* a failed start never calls the sink */
        return rc;
    }
    call->state = st;
    return 0;
}

static void wmi_resume(struct wmgw_call *call)
{
    struct wmgw_wmi_call *st = call->state;
    if (st == NULL || !st->waiting)
        return;
    st->waiting = false;
    if (wmgw__wmi_send_next(st) != 0)
        wmgw__wmi_finish(st, &st->error);
}

static void wmi_cancel(struct wmgw_call *call)
{
    struct wmgw_wmi_call *st = call->state;
    if (st == NULL)
        return;
    detach(st);
    st->waiting = false;
    if (st->in_flight && st->step == WMGW_WMI_ST_SESSION) {
        /* Activation in flight: the half-built session goes. */
        wmgw_wmi_session_abandon(st->s);
        st->s = NULL;
        st->in_flight = false;
    }
    /* Any other request is let finish (bounded by its deadline), to keep
     * the session and to release an enumerator it may create. */
    wmgw__wmi_settle(st);
}

static unsigned wmi_caps_for(const struct wmgw_backend *b)
{
    (void)b;
    return WMGW_CAP_FILTER | WMGW_CAP_PROJECT | WMGW_CAP_CREATE_DELETE | WMGW_CAP_ASSOCIATIONS |
           WMGW_CAP_CLASS_SCHEMA;
}

const struct wmgw_translator wmgw_translator_wmi = {
    .name = "wmi",
    .caps = WMGW_CAP_FILTER | WMGW_CAP_PROJECT | WMGW_CAP_CREATE_DELETE | WMGW_CAP_ASSOCIATIONS |
            WMGW_CAP_CLASS_SCHEMA,
    .caps_for = wmi_caps_for,
    .start = wmi_start,
    .resume = wmi_resume,
    .cancel = wmi_cancel,
};
