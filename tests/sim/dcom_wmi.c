/*
 * dcom_wmi.c: IWbemLevel1Login, IWbemServices and IWbemCallResult of the
 * DCOM front (dcom.h; MS-WMI 3.1.4.1, 3.1.4.3, 3.1.4.5), over the host's
 * store: the same classes, instances, method behaviours (methods.c) and
 * errors as the WS-Management front, the errors as WBEM HRESULTs.
 *
 *   NTLMLogin        "//./root/cimv2", "\\.\root\cimv2", "root/cimv2", any
 *                    server part; unknown namespace: WBEM_E_INVALID_NAMESPACE
 *   GetObject        a class ("Win32_Service": MS-WMIO class object) or an
 *                    instance (WMI object path); unknown class of a class path
 *                    WBEM_E_NOT_FOUND, of an instance path WBEM_E_INVALID_CLASS
 *   PutInstance      dcom_put.c
 *   DeleteInstance   SupportsDelete; generated instances cannot be deleted
 *   ExecMethod       static (class path) and instance methods, run by
 *                    sim_method_run, out-parameters with ReturnValue
 *
 * Calls that pass ppCallResult get an IWbemCallResult (impacket reads one
 * from every PutInstance and DeleteInstance): GetCallStatus gives the
 * status, GetResultString the path PutInstance wrote.  Queries and
 * enumerators are dcom_query.c.
 */
#include "tests/sim/dcom.h"
#include "cim/path.h"
#include "tests/sim/fault.h"
#include "tests/sim/methods.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/security.h"
#include "tests/sim/store.h"
#include "translators/wmi/wmi_calls.h"
#include "translators/wmi/wmio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- object paths ------------------------------------------------------------------ */

struct target {
    char *ns;               /* namespace the path names (the services' when it names none) */
    struct sim_class *cls;  /* NULL: no such class */
    struct wmgw_cim_ref *ref; /* NULL for a class path */
    bool singleton;         /* Class=@ */
};

static void target_dispose(struct target *t)
{
    free(t->ns);
    wmgw_cim_ref_free(t->ref);
    memset(t, 0, sizeof(*t));
}

/* Reference-valued keys arrive as the quoted path of the referenced
 * instance: parse them so that the store can compare references. */
static int type_keys(struct target *t)
{
    for (size_t i = 0; i < t->ref->keys.n; i++) {
        struct wmgw_cim_prop *k = &t->ref->keys.items[i];
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(t->cls->cls, k->name);
        if (d == NULL || !(d->flags & WMGW_CIM_Q_KEY))
            return -1;
        if (WMGW_CIM_BASETYPE(d->type) != WMGW_CIM_REFERENCE || k->value.null ||
            WMGW_CIM_BASETYPE(k->value.type) != WMGW_CIM_STRING)
            continue;
        struct wmgw_cim_ref *r;
        if (wmgw_cim_path_parse_wmi(k->value.u.str, strlen(k->value.u.str), &r, NULL) != 0)
            return -1;
        if (r->namespace_ == NULL)
            r->namespace_ = strdup(t->ns);
        wmgw_cim_value_dispose(&k->value);
        wmgw_cim_value_init_null(&k->value, WMGW_CIM_REFERENCE);
        k->value.null = false;
        k->value.u.ref = r;
    }
    return t->ref->keys.n == wmgw_cim_class_key_count(t->cls->cls) ? 0 : -1;
}

/* Parses a WMI object path against the store.  0, or the WBEM HRESULT. */
static uint32_t resolve(struct sim_host *h, const char *ns, const char *text, struct target *t)
{
    memset(t, 0, sizeof(*t));
    if (text == NULL || text[0] == '\0')
        return WMGW_WBEM_E_INVALID_PARAMETER;
    size_t len = strlen(text);
    bool is_class = false;
    if (wmgw_cim_path_parse_wmi(text, len, &t->ref, NULL) != 0) {
        /* a class path: what parses as an instance once "=@" is added */
        char *with = malloc(len + 3);
        if (with == NULL)
            return WMGW_WBEM_E_FAILED;
        memcpy(with, text, len);
        memcpy(with + len, "=@", 3);
        int rc = strchr(text, '.') == NULL && strchr(text, '=') == NULL
                     ? wmgw_cim_path_parse_wmi(with, len + 2, &t->ref, NULL)
                     : WMGW_EINVAL;
        free(with);
        if (rc != 0)
            return WMGW_WBEM_E_INVALID_OBJECT_PATH;
        is_class = true;
    }
    t->singleton = !is_class && t->ref->keys.n == 0;
    t->ns = t->ref->namespace_ ? wmgw_cim_namespace_normalize(t->ref->namespace_) : strdup(ns);
    if (t->ns == NULL)
        return WMGW_WBEM_E_FAILED;
    struct sim_namespace *n = sim_store_namespace(h->store, t->ns);
    if (n == NULL)
        return WMGW_WBEM_E_INVALID_NAMESPACE;
    free(t->ns);
    t->ns = strdup(n->name);
    t->cls = sim_store_class(h->store, t->ns, t->ref->class_name);
    if (is_class) {
        wmgw_cim_ref_free(t->ref);
        t->ref = NULL;
        return t->cls ? 0 : WMGW_WBEM_E_NOT_FOUND;
    }
    if (t->cls == NULL)
        return WMGW_WBEM_E_INVALID_CLASS;
    free(t->ref->namespace_);
    t->ref->namespace_ = strdup(t->ns);
    if (t->ns == NULL || t->ref->namespace_ == NULL)
        return WMGW_WBEM_E_FAILED;
    if (!t->singleton && type_keys(t) != 0)
        return WMGW_WBEM_E_INVALID_OBJECT_PATH;
    return 0;
}

/* The instance a resolved instance path names (new reference), or NULL. */
static struct wmgw_cim_instance *find(struct sim_host *h, const struct target *t)
{
    if (!t->singleton)
        return sim_store_find(h->store, t->ns, t->ref);
    struct sim_cursor cur;
    struct wmgw_cim_instance *only = NULL;
    if (sim_cursor_open(&cur, h->store, t->ns, t->cls->cls->name) == 0) {
        only = sim_cursor_next(&cur);
        sim_cursor_close(&cur);
    }
    return only;
}

/* --- IWbemLevel1Login and IWbemLoginClientID ---------------------------------------- */

static void ntlm_login(struct sim_dcom_call *call)
{
    struct wmgw_wmi_login_req q;
    struct wmgw_buf text, objref;
    wmgw_buf_init(&text, 8192);
    wmgw_buf_init(&objref, 4096);
    struct wmgw_dcom_ptr_resp a;
    memset(&a, 0, sizeof(a));
    if (wmgw_wmi_login_req_decode(call->ev->stub, call->ev->stub_len, &q, &text, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
    } else if (call->inject) {
        a.hr = call->inject;
    } else {
        /* "//server/root/cimv2", "\\server\root\cimv2" or "root/cimv2" */
        const char *res = q.network_resource ? q.network_resource : "";
        if ((res[0] == '/' || res[0] == '\\') && (res[1] == '/' || res[1] == '\\')) {
            const char *sep = strpbrk(res + 2, "/\\");
            res = sep ? sep + 1 : "";
        }
        char *ns = wmgw_cim_namespace_normalize(res);
        struct sim_namespace *n = ns ? sim_store_namespace(call->host->store, ns) : NULL;
        free(ns);
        struct sim_dcom_obj *o = NULL;
        if (n == NULL)
            a.hr = WMGW_WBEM_E_INVALID_NAMESPACE;
        else if (!sim_security_allowed(call->host->store, n->name, SIM_ACCESS_LOGIN))
            a.hr = WMGW_WBEM_E_ACCESS_DENIED; /* no enable + remote enable on the namespace */
        else if ((o = sim_dcom_obj_new(call->host, SIM_DCOM_SERVICES, &wmgw_dcom_iid_iwbem_services)) == NULL ||
                 (o->ns = strdup(n->name)) == NULL || sim_dcom_objref(call->host, o, &objref, &call->err) != 0)
            a.hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
        else {
            a.ptr.objref = (const uint8_t *)objref.data;
            a.ptr.len = objref.len;
        }
    }
    call->hr = a.hr;
    if (call->fault == 0 && wmgw_dcom_ptr_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
    wmgw_buf_dispose(&text);
    wmgw_buf_dispose(&objref);
}

void sim_dcom_login_call(struct sim_dcom_call *call)
{
    const struct wmgw_rpc_event *ev = call->ev;
    if (wmgw_uuid_eq(&call->iface->iid, &wmgw_dcom_iid_iwbem_login_client_id)) {
        /* SetClientInfo (opnum 3): who the client is; nothing to keep */
        struct wmgw_ndr_reader r;
        struct wmgw_ndr_orpcthis t;
        call->counter = sim_dcom_call_index("SetClientInfo");
        if (ev->opnum != 3) {
            call->fault = WMGW_RPC_FAULT_OP_RANGE;
            return;
        }
        struct wmgw_dcom_status_resp a = {{0}, 0};
        if (wmgw_dcom_call_read(&r, ev->stub, ev->stub_len, &t, &call->err) != 0)
            call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        else if (wmgw_dcom_status_resp_encode(&call->out, &a, &call->err) != 0)
            call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
        return;
    }
    switch (ev->opnum) {
    case WMGW_WMI_OP_ESTABLISH_POSITION: {
        call->counter = sim_dcom_call_index("EstablishPosition");
        struct wmgw_wmi_establish_req q;
        struct wmgw_wmi_establish_resp a = {{0}, 1, call->inject}; /* LocaleVersion 1: unknown locales ignored */
        call->hr = a.hr;
        if (wmgw_wmi_establish_req_decode(ev->stub, ev->stub_len, &q, &call->err) != 0)
            call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        else if (wmgw_wmi_establish_resp_encode(&call->out, &a, &call->err) != 0)
            call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
        return;
    }
    case WMGW_WMI_OP_NTLM_LOGIN:
        call->counter = sim_dcom_call_index("NTLMLogin");
        ntlm_login(call);
        return;
    case WMGW_WMI_OP_REQUEST_CHALLENGE:
    case WMGW_WMI_OP_WBEM_LOGIN: /* obsolete (MS-WMI 3.1.4.1.2, 3.1.4.1.3) */
        call->counter = sim_dcom_call_index("Other");
        call->fault = WMGW_WBEM_E_NOT_SUPPORTED;
        return;
    default:
        call->counter = sim_dcom_call_index("Other");
        call->fault = WMGW_RPC_FAULT_OP_RANGE;
    }
}

/* --- GetObject ------------------------------------------------------------------------ */

static void get_object(struct sim_dcom_call *call)
{
    struct sim_host *h = call->host;
    struct wmgw_wmi_getobject_req q;
    struct wmgw_wmi_getobject_resp a;
    struct wmgw_buf text, unit, cr, copy;
    const uint8_t *stub;
    size_t stub_len;
    sim_dcom_stub(call->ev, 1, &copy, &stub, &stub_len);
    wmgw_buf_init(&text, 16384);
    wmgw_buf_init(&unit, WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_init(&cr, 4096);
    memset(&a, 0, sizeof(a));
    if (wmgw_wmi_getobject_req_decode(stub, stub_len, &q, &text, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        goto out;
    }
    a.pp_object = q.pp_object;
    a.pp_call_result = q.pp_call_result;
    struct target t;
    a.hr = call->inject ? call->inject : resolve(h, call->obj->ns, q.path, &t);
    if (a.hr == 0 && t.ref == NULL) {
        struct sim_dcom_lookup l;
        struct wmgw_wmio_encode_opts o;
        sim_dcom_encode_opts(&o, &l, h, t.ns);
        if (wmgw_wmio_encode_class(&unit, t.cls->cls, &o, &call->err) != 0)
            a.hr = WMGW_WBEM_E_FAILED;
    } else if (a.hr == 0) {
        struct wmgw_cim_instance *inst = find(h, &t);
        if (inst == NULL)
            a.hr = WMGW_WBEM_E_NOT_FOUND;
        else if (sim_dcom_encode_instance(h, t.ns, inst, NULL, &unit, &call->err) != 0)
            a.hr = WMGW_WBEM_E_FAILED;
        wmgw_cim_instance_unref(inst);
    }
    if (!call->inject)
        target_dispose(&t);
    if (a.hr == 0 && sim_dcom_call_result(call, q.pp_call_result, 0, NULL, &cr) != 0)
        a.hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    if (a.hr == 0) {
        a.object.data = (const uint8_t *)unit.data;
        a.object.len = unit.len;
        a.call_result.objref = cr.len ? (const uint8_t *)cr.data : NULL;
        a.call_result.len = cr.len;
    }
    call->hr = a.hr;
    if (wmgw_wmi_getobject_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
out:
    wmgw_buf_dispose(&text);
    wmgw_buf_dispose(&unit);
    wmgw_buf_dispose(&cr);
    wmgw_buf_dispose(&copy);
}

/* --- DeleteInstance ----------------------------------------------------------------------- */

static uint32_t delete_instance_hr(struct sim_dcom_call *call, const char *text)
{
    struct sim_host *h = call->host;
    struct target t;
    if (!sim_security_allowed(h->store, call->obj->ns, SIM_ACCESS_WRITE))
        return WMGW_WBEM_E_ACCESS_DENIED;
    uint32_t hr = resolve(h, call->obj->ns, text, &t);
    if (hr == 0 && t.ref == NULL)
        hr = WMGW_WBEM_E_INVALID_OBJECT_PATH; /* a class is not deleted here (DeleteClass) */
    else if (hr == 0 && !(t.cls->cls->flags & WMGW_CIM_Q_SUPPORTS_DELETE))
        hr = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE;
    struct wmgw_cim_instance *inst = hr == 0 ? find(h, &t) : NULL;
    if (hr == 0 && inst == NULL)
        hr = WMGW_WBEM_E_NOT_FOUND;
    if (hr == 0) {
        struct wmgw_cim_ref *p = wmgw_cim_instance_path(inst, sim_store_class_of(h->store, inst));
        if (p == NULL || sim_store_remove(h->store, t.ns, p, &call->err) != 0)
            hr = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE; /* generated instances */
        wmgw_cim_ref_free(p);
    }
    wmgw_cim_instance_unref(inst);
    target_dispose(&t);
    return hr;
}

static void delete_instance(struct sim_dcom_call *call)
{
    struct wmgw_wmi_deleteinstance_req q;
    struct wmgw_wmi_callresult_resp a;
    struct wmgw_buf text, cr, copy;
    const uint8_t *stub;
    size_t stub_len;
    sim_dcom_stub(call->ev, 1, &copy, &stub, &stub_len);
    wmgw_buf_init(&text, 16384);
    wmgw_buf_init(&cr, 4096);
    memset(&a, 0, sizeof(a));
    if (wmgw_wmi_deleteinstance_req_decode(stub, stub_len, &q, &text, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
    } else {
        a.pp_call_result = q.pp_call_result;
        a.hr = call->inject ? call->inject : delete_instance_hr(call, q.path);
        if (a.hr == 0 && sim_dcom_call_result(call, q.pp_call_result, 0, NULL, &cr) != 0)
            a.hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
        if (a.hr == 0 && cr.len > 0) {
            a.call_result.objref = (const uint8_t *)cr.data;
            a.call_result.len = cr.len;
        }
        call->hr = a.hr;
        if (wmgw_wmi_callresult_resp_encode(&call->out, &a, &call->err) != 0)
            call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
    }
    wmgw_buf_dispose(&text);
    wmgw_buf_dispose(&cr);
    wmgw_buf_dispose(&copy);
}

/* --- ExecMethod ------------------------------------------------------------------------------ */

static uint32_t exec_method_hr(struct sim_dcom_call *call, const struct wmgw_wmi_execmethod_req *q,
                               struct wmgw_buf *unit)
{
    struct sim_host *h = call->host;
    if (q->method == NULL)
        return WMGW_WBEM_E_INVALID_PARAMETER;
    struct target t;
    uint32_t hr = resolve(h, call->obj->ns, q->path, &t);
    if (hr == WMGW_WBEM_E_NOT_FOUND && t.ref == NULL)
        hr = WMGW_WBEM_E_INVALID_CLASS; /* a method of a class that does not exist */
    const struct wmgw_cim_method *m = hr == 0 ? wmgw_cim_class_method(t.cls->cls, q->method) : NULL;
    if (hr == 0 && m == NULL)
        hr = WMGW_WBEM_E_INVALID_METHOD;
    struct sim_ctx ctx;
    sim_dcom_ctx_init(&ctx, h);
    struct sim_call sc = {.ctx = &ctx, .cls = hr == 0 ? t.cls->cls : NULL, .method = m};
    if (hr == 0 && t.ref == NULL && !(m->flags & WMGW_CIM_Q_STATIC))
        hr = SIM_DCOM_WBEM_E_INVALID_METHOD_PARAMETERS; /* an instance method needs an instance */
    else if (hr == 0 && t.ref != NULL && !(m->flags & WMGW_CIM_Q_STATIC) && (sc.target = find(h, &t)) == NULL)
        hr = WMGW_WBEM_E_NOT_FOUND;
    struct wmgw_wmio_object in;
    memset(&in, 0, sizeof(in));
    if (hr == 0 && q->in_params.data != NULL)
        hr = sim_dcom_decode_instance(&q->in_params, t.ns, &in, &call->err);
    for (size_t i = 0; hr == 0 && in.inst != NULL && i < in.inst->props.n; i++) {
        const char *name = in.inst->props.items[i].name;
        bool known = false;
        for (size_t k = 0; k < m->nparams && !known; k++)
            known = (m->params[k].flags & WMGW_CIM_Q_IN) && strcasecmp(m->params[k].name, name) == 0;
        if (!known && strncmp(name, "__", 2) != 0)
            hr = SIM_DCOM_WBEM_E_INVALID_METHOD_PARAMETERS;
    }
    struct wmgw_cim_proplist none = {0};
    if (hr == 0) {
        sc.in = in.inst ? &in.inst->props : &none;
        int rc = sim_method_run(&sc);
        if (rc == 1)
            hr = SIM_DCOM_WBEM_E_METHOD_NOT_IMPLEMENTED;
        else if (rc != 0)
            hr = sim_dcom_ctx_hresult(&ctx);
    }
    if (hr == 0 && m->return_type != WMGW_CIM_NONE) {
        struct wmgw_cim_value rv;
        wmgw_cim_value_init_null(&rv, m->return_type);
        rv.null = false;
        if (wmgw_cim_type_is_signed(m->return_type))
            rv.u.s = (int32_t)sc.return_value;
        else
            rv.u.u = sc.return_value;
        if (wmgw_cim_proplist_put(&sc.out, "ReturnValue", &rv) != 0)
            hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    }
    if (hr == 0) {
        struct sim_dcom_lookup l;
        struct wmgw_wmio_encode_opts o;
        sim_dcom_encode_opts(&o, &l, h, t.ns);
        if (wmgw_wmio_encode_params(unit, t.cls->cls, m->name, true, &sc.out, &o, &call->err) != 0)
            hr = WMGW_WBEM_E_FAILED;
    }
    wmgw_cim_proplist_dispose(&sc.out);
    wmgw_cim_instance_unref(sc.target);
    wmgw_wmio_object_dispose(&in);
    sim_ctx_dispose(&ctx);
    target_dispose(&t);
    return hr;
}

static void exec_method(struct sim_dcom_call *call)
{
    struct wmgw_wmi_execmethod_req q;
    struct wmgw_wmi_execmethod_resp a;
    struct wmgw_buf text, unit, cr, copy;
    const uint8_t *stub;
    size_t stub_len;
    sim_dcom_stub(call->ev, 2, &copy, &stub, &stub_len);
    wmgw_buf_init(&text, 16384);
    wmgw_buf_init(&unit, WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_init(&cr, 4096);
    memset(&a, 0, sizeof(a));
    if (wmgw_wmi_execmethod_req_decode(stub, stub_len, &q, &text, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
    } else {
        a.pp_out_params = q.pp_out_params;
        a.pp_call_result = q.pp_call_result;
        a.hr = call->inject ? call->inject : exec_method_hr(call, &q, &unit);
        if (a.hr == 0 && sim_dcom_call_result(call, q.pp_call_result, 0, NULL, &cr) != 0)
            a.hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
        if (a.hr == 0) {
            a.out_params.data = (const uint8_t *)unit.data;
            a.out_params.len = unit.len;
            a.call_result.objref = cr.len ? (const uint8_t *)cr.data : NULL;
            a.call_result.len = cr.len;
        }
        call->hr = a.hr;
        if (wmgw_wmi_execmethod_resp_encode(&call->out, &a, &call->err) != 0)
            call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
    }
    wmgw_buf_dispose(&text);
    wmgw_buf_dispose(&unit);
    wmgw_buf_dispose(&cr);
    wmgw_buf_dispose(&copy);
}

/* --- dispatch ------------------------------------------------------------------------------------- */

void sim_dcom_services_call(struct sim_dcom_call *call)
{
    switch (call->ev->opnum) {
    case WMGW_WMI_OP_GET_OBJECT:
        call->counter = sim_dcom_call_index("GetObject");
        get_object(call);
        return;
    case WMGW_WMI_OP_PUT_INSTANCE:
        call->counter = sim_dcom_call_index("PutInstance");
        sim_dcom_put_instance(call);
        return;
    case WMGW_WMI_OP_DELETE_INSTANCE:
        call->counter = sim_dcom_call_index("DeleteInstance");
        delete_instance(call);
        return;
    case WMGW_WMI_OP_EXEC_METHOD:
        call->counter = sim_dcom_call_index("ExecMethod");
        exec_method(call);
        return;
    case WMGW_WMI_OP_EXEC_QUERY:
    case WMGW_WMI_OP_EXEC_NOTIFICATION_QUERY:
    case WMGW_WMI_OP_CREATE_INSTANCE_ENUM:
        sim_dcom_query_call(call);
        return;
    default:
        /* Async calls (they need a sink on the client), classes and
         * OpenNamespace are not simulated. */
        call->counter = sim_dcom_call_index("Other");
        call->fault = call->ev->opnum <= WMGW_WMI_OP_EXEC_METHOD_ASYNC ? WMGW_WBEM_E_NOT_SUPPORTED
                                                                        : WMGW_RPC_FAULT_OP_RANGE;
    }
}

/* --- IWbemCallResult ---------------------------------------------------------------------------- */

void sim_dcom_call_result_call(struct sim_dcom_call *call)
{
    const struct wmgw_rpc_event *ev = call->ev;
    const struct sim_dcom_obj *o = call->obj;
    struct wmgw_ndr_reader r;
    struct wmgw_ndr_orpcthis t;
    uint32_t timeout;
    call->counter = sim_dcom_call_index(ev->opnum == WMGW_WMI_OP_GET_CALL_STATUS     ? "GetCallStatus"
                                        : ev->opnum == WMGW_WMI_OP_GET_RESULT_OBJECT ? "GetResultObject"
                                                                                     : "Other");
    if (ev->opnum < WMGW_WMI_OP_GET_RESULT_OBJECT || ev->opnum > WMGW_WMI_OP_GET_CALL_STATUS) {
        call->fault = WMGW_RPC_FAULT_OP_RANGE;
        return;
    }
    wmgw_dcom_call_read(&r, ev->stub, ev->stub_len, &t, &call->err);
    wmgw_ndr_get_u32(&r, &timeout, "lTimeout");
    if (wmgw_dcom_call_read_end(&r) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    struct wmgw_ndr_writer w;
    struct wmgw_dcom_ptr none = {NULL, 0};
    wmgw_dcom_reply_begin(&w, &call->out, NULL, &call->err);
    switch (ev->opnum) {
    case WMGW_WMI_OP_GET_RESULT_OBJECT:   /* PutInstance, DeleteInstance: no object */
    case WMGW_WMI_OP_GET_RESULT_SERVICES: /* no OpenNamespace */
        call->hr = o->status ? o->status : WMGW_WBEM_E_INVALID_OPERATION;
        wmgw_dcom_put_ptr(&w, &none);
        break;
    case WMGW_WMI_OP_GET_RESULT_STRING: /* the path PutInstance wrote */
        call->hr = o->status ? o->status : o->ns ? 0 : WMGW_WBEM_E_INVALID_OPERATION;
        if (call->hr == 0)
            wmgw_ndr_put_bstr(&w, o->ns);
        else
            wmgw_ndr_put_unique(&w, false);
        break;
    case WMGW_WMI_OP_GET_CALL_STATUS:
        call->hr = 0;
        wmgw_ndr_put_u32(&w, o->status);
        break;
    }
    if (wmgw_dcom_reply_end(&w, call->hr) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
}
