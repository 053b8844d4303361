/*
 * wmi_reply.c: the replies of one WMI-over-DCOM call (wmi.c): ExecQuery's
 * enumerator, Next's batches delivered to the sink with on_batch between
 * them and the paging cursor at op.limit, GetObject's classes and
 * instances (and MODIFY's read-merge-write), PutInstance, DeleteInstance,
 * ExecMethod's out-parameters, and IDENTIFY's Win32_OperatingSystem.
 * Objects are MS-WMIO EncodingUnits decoded with the namespace's class
 * cache (wmio.h), so the instances of a listing decode their class once.
 */
#include "translators/wmi/wmi_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cim/wql.h"

/* Decodes one EncodingUnit (class parts met go to the namespace's cache). */
static int decode(struct wmgw_wmi_call *st, const struct wmgw_wmi_unit *u, bool cache, bool want_class,
                  struct wmgw_wmio_object *o, const char *what)
{
    struct wmgw_wmio_decode_opts opts = {.cache = cache ? &st->ns->classes : NULL,
                                         .namespace_ = st->nsname,
                                         .want_class = want_class};
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (u->data == NULL)
        return wmgw_backend_error_set(&st->error, WMGW_EPROTO, "%s succeeded without an object", what);
    int rc = wmgw_wmio_decode_unit(u->data, u->len, &opts, o, &err);
    if (rc != 0)
        return wmgw_backend_error_set(&st->error, rc == WMGW_ENOMEM ? rc : WMGW_EPROTO, "%s: the object: %s", what,
                                      err.message);
    return 0;
}

/* A reply stub that did not decode: the session is out of step. */
static void bad_stub(struct wmgw_wmi_call *st, int rc, const struct wmgw_err *e, const char *what)
{
    wmgw_wmi_session_break(st->s);
    wmgw_wmi_err_error(&st->error, rc == WMGW_ENOMEM ? rc : WMGW_EPROTO, e, what);
    wmgw__wmi_finish(st, &st->error);
}

static const char *target(const struct wmgw_wmi_call *st)
{
    return st->path ? st->path : st->cls_name;
}

/* ASSOCIATORS OF / REFERENCES OF an object the host does not have: WMI
 * says WBEM_E_NOT_FOUND, WinRM an empty enumeration; the gateway answers
 * as over WS-Management. */
static bool no_such_source(const struct wmgw_wmi_call *st, uint32_t hr)
{
    const struct wmgw_op *op = &st->call->op;
    return hr == WMGW_WBEM_E_NOT_FOUND && op->kind == WMGW_OP_QUERY && op->query != NULL &&
           op->query->kind != WMGW_WQL_SELECT;
}

static void query_reply(struct wmgw_wmi_call *st, const uint8_t *stub, size_t len)
{
    const char *what = "IWbemServices::ExecQuery";
    struct wmgw_dcom_ptr_resp a;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    int rc = wmgw_dcom_ptr_resp_decode(stub, len, &a, &e);
    if (rc == 0 && wmgw_wmi_hresult_err(a.hr) == 0 && a.ptr.objref != NULL &&
        (rc = wmgw_dcom_iref_parse(a.ptr.objref, a.ptr.len, &wmgw_dcom_iid_ienum_wbem_class_object, &st->enumr, NULL,
                                   &e)) == 0)
        st->has_enum = true; /* ours to release, even after cancel */
    if (st->call == NULL) {
        wmgw__wmi_settle(st);
        return;
    }
    if (rc != 0) {
        bad_stub(st, rc, &e, what);
    } else if (!st->has_enum && no_such_source(st, a.hr)) {
        wmgw__wmi_finish(st, NULL);
    } else if (!st->has_enum) {
        wmgw_wmi_hresult_error(&st->error, a.hr ? a.hr : WMGW_WBEM_E_FAILED, what, st->wql);
        wmgw__wmi_finish(st, &st->error);
    } else if (wmgw__wmi_send_next(st) != 0) {
        wmgw__wmi_finish(st, &st->error);
    }
}

static void identify_reply(struct wmgw_wmi_call *st, const struct wmgw_wmi_next_resp *a)
{
    struct wmgw_identity id;
    struct wmgw_wmio_object o;
    memset(&id, 0, sizeof(id));
    memset(&o, 0, sizeof(o));
    id.protocol = WMGW_PROTO_DCOM;
    unsigned major, minor;
    wmgw_wmi_session_com_version(st->s, &major, &minor);
    snprintf(id.protocol_version, sizeof(id.protocol_version), "MS-WMI over DCOM %u.%u", major, minor);
    snprintf(id.vendor, sizeof(id.vendor), "Microsoft Corporation");
    if (a->n_objects > 0 && decode(st, &a->objects[0], true, false, &o, "IEnumWbemClassObject::Next") == 0) {
        const struct wmgw_cim_value *v = wmgw_cim_instance_get(o.inst, "Version");
        const struct wmgw_cim_value *spa = wmgw_cim_instance_get(o.inst, "ServicePackMajorVersion");
        const struct wmgw_cim_value *spi = wmgw_cim_instance_get(o.inst, "ServicePackMinorVersion");
        const struct wmgw_cim_value *mf = wmgw_cim_instance_get(o.inst, "Manufacturer");
        if (mf != NULL && !mf->null && mf->type == WMGW_CIM_STRING)
            snprintf(id.vendor, sizeof(id.vendor), "%s", mf->u.str);
        if (v != NULL && !v->null && v->type == WMGW_CIM_STRING)
            snprintf(id.version, sizeof(id.version), "OS: %s SP: %u.%u", v->u.str,
                     spa && !spa->null ? (unsigned)spa->u.u : 0, spi && !spi->null ? (unsigned)spi->u.u : 0);
    }
    wmgw_wmio_object_dispose(&o);
    st->busy++;
    if (st->call->sink->on_identity != NULL)
        st->call->sink->on_identity(st->call, &id);
    st->busy--;
    if (st->call == NULL)
        wmgw__wmi_settle(st);
    else
        wmgw__wmi_finish(st, NULL);
}

/* Parks the session under a cursor for the rest (with the object read
 * ahead); false when it cannot. */
static bool hand_out_cursor(struct wmgw_wmi_call *st)
{
    char handle[33], cursor[sizeof(WMGW_WMI_CURSOR_PREFIX) + 33];
    struct wmgw_wmi_parked p = {st->enumr, st->held_inst, st->held_ref};
    if (wmgw_wmi_session_park(st->s, &p, handle) != 0)
        return false;
    st->s = NULL;
    st->has_enum = false; /* the parked session holds it now, and the held object */
    st->held_inst = NULL;
    st->held_ref = NULL;
    snprintf(cursor, sizeof(cursor), "%s%s", WMGW_WMI_CURSOR_PREFIX, handle);
    st->busy++;
    st->call->sink->on_cursor(st->call, cursor);
    st->busy--;
    return true;
}

/* One object to the sink, or held for the next page when this one is full. */
static void deliver_item(struct wmgw_wmi_call *st, struct wmgw_cim_instance *inst, struct wmgw_cim_ref *ref)
{
    struct wmgw_call *call = st->call;
    unsigned limit = call->op.limit;
    if (limit > 0 && st->delivered >= limit) {
        st->held_inst = inst;
        st->held_ref = ref;
        return;
    }
    st->delivered++;
    if (ref != NULL) {
        if (call->sink->on_ref != NULL)
            call->sink->on_ref(call, ref);
        else
            wmgw_cim_ref_free(ref);
    } else if (call->sink->on_instance != NULL) {
        call->sink->on_instance(call, inst);
    } else {
        wmgw_cim_instance_unref(inst);
    }
}

/* Decodes Next's object i into an instance, or a reference for refs_only. */
static int next_item(struct wmgw_wmi_call *st, const struct wmgw_wmi_unit *u, struct wmgw_cim_instance **inst,
                     struct wmgw_cim_ref **ref)
{
    struct wmgw_wmio_object o;
    bool refs = st->call->op.refs_only;
    *inst = NULL;
    *ref = NULL;
    if (decode(st, u, true, refs, &o, "IEnumWbemClassObject::Next") != 0)
        return st->error.code;
    if (refs) {
        *ref = o.cls ? wmgw_cim_instance_path(o.inst, o.cls) : NULL;
        if (*ref != NULL && (*ref)->namespace_ == NULL)
            (*ref)->namespace_ = wmgw_cim_strdup(o.namespace_);
    } else {
        wmgw_wmi_normalize(&o.inst->props);
        *inst = o.inst;
        o.inst = NULL;
    }
    wmgw_wmio_object_dispose(&o);
    if (refs && *ref == NULL)
        return wmgw_backend_error_set(&st->error, WMGW_EPROTO, "an object of the enumeration has no path");
    return 0;
}

static void next_reply(struct wmgw_wmi_call *st, const uint8_t *stub, size_t len)
{
    const char *what = "IEnumWbemClassObject::Next";
    struct wmgw_call *call = st->call;
    struct wmgw_wmi_next_resp a;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    memset(&a, 0, sizeof(a));
    a.objects = st->units;
    a.cap = st->nunits;
    int rc = wmgw_wmi_next_resp_decode(stub, len, &a, &e);
    if (rc != 0) {
        bad_stub(st, rc, &e, what);
        return;
    }
    if (no_such_source(st, a.hr)) {
        a.hr = WMGW_WBEM_S_FALSE;
        a.n_objects = 0;
    }
    if (wmgw_wmi_hresult_err(a.hr) != 0) {
        wmgw_wmi_hresult_error(&st->error, a.hr, what, st->wql);
        wmgw__wmi_finish(st, &st->error);
        return;
    }
    if (a.hr == WMGW_WBEM_S_TIMEDOUT && a.n_objects == 0) {
        wmgw_wmi_hresult_error(&st->error, a.hr, what, st->wql);
        st->error.code = WMGW_ETIMEDOUT;
        wmgw__wmi_finish(st, &st->error);
        return;
    }
    if (call->op.kind == WMGW_OP_IDENTIFY) {
        identify_reply(st, &a);
        return;
    }
    unsigned limit = call->op.limit, asked = wmgw__wmi_batch_size(st);
    if (a.n_objects > asked) {
        wmgw__wmi_fail(st, WMGW_EPROTO, "%s returned %u objects, %u asked for", what, a.n_objects, asked);
        return;
    }
    st->ended = a.hr == WMGW_WBEM_S_FALSE;
    st->busy++;
    if (st->held_inst != NULL || st->held_ref != NULL) { /* read ahead on the page before */
        struct wmgw_cim_instance *inst = st->held_inst;
        struct wmgw_cim_ref *ref = st->held_ref;
        st->held_inst = NULL;
        st->held_ref = NULL;
        deliver_item(st, inst, ref);
    }
    for (uint32_t i = 0; i < a.n_objects && st->call != NULL; i++) {
        struct wmgw_cim_instance *inst;
        struct wmgw_cim_ref *ref;
        if (next_item(st, &a.objects[i], &inst, &ref) != 0) {
            st->busy--;
            wmgw__wmi_finish(st, &st->error);
            return;
        }
        deliver_item(st, inst, ref);
    }
    st->busy--;
    if (st->call == NULL) { /* cancelled from a callback */
        wmgw__wmi_settle(st);
        return;
    }
    bool more = !st->ended || st->held_inst != NULL || st->held_ref != NULL;
    if (!more) {
        wmgw__wmi_finish(st, NULL);
        return;
    }
    if (limit > 0 && st->delivered >= limit) {
        if (call->sink->on_cursor != NULL && hand_out_cursor(st) && st->call == NULL) {
            wmgw__wmi_settle(st);
            return;
        }
        wmgw__wmi_finish(st, NULL); /* without a cursor, settle() releases the enumerator */
        return;
    }
    if (a.n_objects == 0 || call->sink->on_batch == NULL) {
        if (wmgw__wmi_send_next(st) != 0)
            wmgw__wmi_finish(st, &st->error);
        return;
    }
    st->waiting = true;
    st->busy++;
    call->sink->on_batch(call);
    st->busy--;
    if (st->call == NULL)
        wmgw__wmi_settle(st);
}

/* GetObject: GET_CLASS, GET, MODIFY's reads, the class part. */
static void getobject_reply(struct wmgw_wmi_call *st, const uint8_t *stub, size_t len)
{
    const char *what = "IWbemServices::GetObject";
    struct wmgw_call *call = st->call;
    const struct wmgw_sink_ops *sink = call->sink;
    struct wmgw_wmi_getobject_resp a;
    struct wmgw_wmio_object o;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    memset(&o, 0, sizeof(o));
    int rc = wmgw_wmi_getobject_resp_decode(stub, len, &a, &e);
    if (rc != 0) {
        bad_stub(st, rc, &e, what);
        return;
    }
    if (wmgw_wmi_hresult_err(a.hr) != 0) {
        wmgw_wmi_hresult_error(&st->error, a.hr, what, st->step == WMGW_WMI_ST_CLASS || st->step == WMGW_WMI_ST_SCHEMA ? st->cls_name
                                                                                                     : target(st));
        wmgw__wmi_finish(st, &st->error);
        return;
    }
    /* The schema asked for comes with amended qualifiers: not a class part to send back. */
    if (decode(st, &a.object, st->step != WMGW_WMI_ST_SCHEMA, false, &o, what) != 0) {
        wmgw__wmi_finish(st, &st->error);
        return;
    }
    enum wmgw_wmi_step step = st->step;
    if (step == WMGW_WMI_ST_CLASS) {
        wmgw_wmio_object_dispose(&o);
        if ((rc = wmgw__wmi_with_class(st)) != 0)
            wmgw__wmi_finish(st, &st->error);
        return;
    }
    if (step == WMGW_WMI_ST_GET && call->op.kind == WMGW_OP_MODIFY) {
        const struct wmgw_cim_instance *in = call->op.instance;
        struct wmgw_cim_instance *cur = o.inst;
        o.inst = NULL;
        wmgw_wmio_object_dispose(&o);
        for (size_t i = 0; cur != NULL && i < in->props.n; i++) {
            struct wmgw_cim_value v;
            if (wmgw_cim_value_copy(&v, &in->props.items[i].value) != 0 ||
                wmgw_cim_proplist_put(&cur->props, in->props.items[i].name, &v) != 0) {
                wmgw_cim_instance_unref(cur);
                wmgw__wmi_fail(st, WMGW_ENOMEM, "out of memory");
                return;
            }
        }
        st->cur = cur;
        if (cur == NULL || wmgw__wmi_send_put(st, cur, WMGW_WBEM_FLAG_UPDATE_ONLY) != 0)
            wmgw__wmi_finish(st, cur == NULL ? NULL : &st->error);
        return;
    }
    if (o.inst != NULL)
        wmgw_wmi_normalize(&o.inst->props);
    st->busy++;
    if (step == WMGW_WMI_ST_SCHEMA && o.cls != NULL && sink->on_class != NULL) {
        sink->on_class(call, o.cls);
        o.cls = NULL;
    } else if (o.inst != NULL && sink->on_instance != NULL) {
        sink->on_instance(call, o.inst);
        o.inst = NULL;
    }
    st->busy--;
    wmgw_wmio_object_dispose(&o);
    if (st->call == NULL)
        wmgw__wmi_settle(st);
    else
        wmgw__wmi_finish(st, NULL);
}

/* PutInstance and DeleteInstance: (ppCallResult, HRESULT). */
static void callresult_reply(struct wmgw_wmi_call *st, const uint8_t *stub, size_t len)
{
    const char *what = st->step == WMGW_WMI_ST_PUT ? "IWbemServices::PutInstance" : "IWbemServices::DeleteInstance";
    struct wmgw_wmi_callresult_resp a;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    int rc = wmgw_wmi_callresult_resp_decode(stub, len, &a, &e);
    if (rc != 0) {
        bad_stub(st, rc, &e, what);
    } else if (wmgw_wmi_hresult_err(a.hr) != 0) {
        wmgw_wmi_hresult_error(&st->error, a.hr, what, st->step == WMGW_WMI_ST_PUT && st->path == NULL ? st->cls_name
                                                                                              : target(st));
        wmgw__wmi_finish(st, &st->error);
    } else if (st->step == WMGW_WMI_ST_PUT && st->call->op.kind == WMGW_OP_MODIFY) {
        /* The answer is the instance as the host now has it. */
        if (wmgw__wmi_send_getobject(st, WMGW_WMI_ST_REGET, st->path, 0) != 0)
            wmgw__wmi_finish(st, &st->error);
    } else {
        wmgw__wmi_finish(st, NULL); /* CREATE: the gateway names the instance by its keys */
    }
}

static void method_reply(struct wmgw_wmi_call *st, const uint8_t *stub, size_t len)
{
    const char *what = "IWbemServices::ExecMethod";
    struct wmgw_wmi_execmethod_resp a;
    struct wmgw_wmio_object o;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    memset(&o, 0, sizeof(o));
    int rc = wmgw_wmi_execmethod_resp_decode(stub, len, &a, &e);
    if (rc != 0) {
        bad_stub(st, rc, &e, what);
        return;
    }
    if (wmgw_wmi_hresult_err(a.hr) != 0) {
        char t[600];
        snprintf(t, sizeof(t), "%s.%s", st->path, st->call->op.method);
        wmgw_wmi_hresult_error(&st->error, a.hr, what, t);
        wmgw__wmi_finish(st, &st->error);
        return;
    }
    struct wmgw_cim_proplist *out = calloc(1, sizeof(*out));
    if (out == NULL) {
        wmgw__wmi_fail(st, WMGW_ENOMEM, "out of memory");
        return;
    }
    /* No out-parameters at all (a void method): an empty list. */
    if (a.out_params.data != NULL) {
        if (decode(st, &a.out_params, false, false, &o, what) != 0) {
            free(out);
            wmgw__wmi_finish(st, &st->error);
            return;
        }
        wmgw_wmi_normalize(&o.inst->props);
        *out = o.inst->props;
        memset(&o.inst->props, 0, sizeof(o.inst->props));
        wmgw_wmio_object_dispose(&o);
    }
    st->busy++;
    if (st->call->sink->on_output != NULL)
        st->call->sink->on_output(st->call, out);
    else {
        wmgw_cim_proplist_dispose(out);
        free(out);
    }
    st->busy--;
    if (st->call == NULL)
        wmgw__wmi_settle(st);
    else
        wmgw__wmi_finish(st, NULL);
}

void wmgw__wmi_on_reply(void *data, const uint8_t *stub, size_t len, const struct wmgw_backend_error *err)
{
    struct wmgw_wmi_call *st = data;
    st->in_flight = false;
    if (err == NULL && st->step == WMGW_WMI_ST_QUERY) {
        query_reply(st, stub, len); /* an enumerator to release, even after cancel */
        return;
    }
    if (st->call == NULL) {
        wmgw__wmi_settle(st);
        return;
    }
    if (err != NULL) {
        wmgw__wmi_finish(st, err);
        return;
    }
    switch (st->step) {
    case WMGW_WMI_ST_NEXT:
        next_reply(st, stub, len);
        return;
    case WMGW_WMI_ST_CLASS:
    case WMGW_WMI_ST_SCHEMA:
    case WMGW_WMI_ST_GET:
    case WMGW_WMI_ST_REGET:
        getobject_reply(st, stub, len);
        return;
    case WMGW_WMI_ST_PUT:
    case WMGW_WMI_ST_DELETE:
        callresult_reply(st, stub, len);
        return;
    case WMGW_WMI_ST_METHOD:
        method_reply(st, stub, len);
        return;
    default:
        wmgw__wmi_fail(st, WMGW_EINTERNAL, "a reply in step %d", st->step);
    }
}

