/*
 * dcom_put.c: IWbemServices::PutInstance of the DCOM front (dcom.h;
 * MS-WMI 3.1.4.3.12): create or update by lFlags (WBEM_FLAG_CREATE_ONLY,
 * WBEM_FLAG_UPDATE_ONLY, or either), with the rules of the WS-Man front's
 * Create and Put: a class creates only with SupportsCreate (and not
 * abstract) and updates only with SupportsUpdate, keys must be given, and
 * an update is a whole instance of which only writable properties may
 * change.  A NULL in a read-only property leaves it as it is: impacket
 * sends '' as NULL and cannot send a NULL string at all.  The
 * __PUT_EXT_PROPERTIES partial update travels in an IWbemContext, which
 * the front does not read: every PutInstance is a whole instance.
 * Generated instances are read-only (WBEM_E_PROVIDER_NOT_CAPABLE).
 */
#include "tests/sim/dcom.h"
#include "cim/path.h"
#include "tests/sim/security.h"
#include "tests/sim/store.h"
#include "translators/wmi/wmi_calls.h"
#include "translators/wmi/wmio.h"

#include <stdlib.h>
#include <string.h>

/* --- PutInstance ------------------------------------------------------------------------ */

/* in's value of d as the store keeps it (converted when the client's class
 * part typed it otherwise); 0 or a WBEM HRESULT. */
static uint32_t take_value(const struct wmgw_cim_propdecl *d, const struct wmgw_cim_value *in,
                           struct wmgw_cim_value *out)
{
    if (in->null) {
        wmgw_cim_value_init_null(out, d->type);
        return 0;
    }
    if (in->type == d->type)
        return wmgw_cim_value_copy(out, in) == 0 ? 0 : SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    if (WMGW_CIM_IS_ARRAY(in->type) || WMGW_CIM_IS_ARRAY(d->type) || WMGW_CIM_BASETYPE(d->type) == WMGW_CIM_OBJECT ||
        WMGW_CIM_BASETYPE(d->type) == WMGW_CIM_REFERENCE)
        return SIM_DCOM_WBEM_E_TYPE_MISMATCH;
    struct wmgw_buf text;
    wmgw_buf_init(&text, 65536);
    int rc = wmgw_cim_value_to_text(in, &text);
    if (rc == 0)
        rc = wmgw_cim_value_from_text(out, d->type, text.data ? text.data : "", text.len);
    wmgw_buf_dispose(&text);
    return rc == 0 ? 0 : SIM_DCOM_WBEM_E_TYPE_MISMATCH;
}

/* The instance to store: a new one (old NULL) from every property the
 * client sent, or old with the writable properties the client changed. */
static uint32_t build(const struct wmgw_cim_class *cls, const char *ns, const struct wmgw_cim_instance *in,
                      const struct wmgw_cim_instance *old, struct wmgw_cim_instance **out, struct wmgw_err *err)
{
    struct wmgw_cim_instance *inst = old ? wmgw_cim_instance_copy(old) : wmgw_cim_instance_new(cls->name, ns);
    if (inst == NULL)
        return SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    for (size_t i = 0; i < in->props.n; i++) {
        const struct wmgw_cim_prop *p = &in->props.items[i];
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, p->name);
        if (d == NULL && strncmp(p->name, "__", 2) == 0)
            continue; /* system properties are the server's */
        struct wmgw_cim_value v;
        uint32_t hr = d == NULL ? SIM_DCOM_WBEM_E_INVALID_PROPERTY : take_value(d, &p->value, &v);
        if (hr == 0 && old != NULL) {
            const struct wmgw_cim_value *cur = wmgw_cim_instance_get(old, d->name);
            bool same = cur != NULL && wmgw_cim_value_equal(cur, &v);
            if ((d->flags & WMGW_CIM_Q_KEY) || same || (v.null && !(d->flags & WMGW_CIM_Q_WRITE))) {
                wmgw_cim_value_dispose(&v);
                continue; /* found by its keys; NULL leaves a read-only property as it was */
            }
            if (!(d->flags & WMGW_CIM_Q_WRITE)) {
                wmgw_err_set(err, WMGW_EINVAL, "the property %.80s is read-only", d->name);
                wmgw_cim_value_dispose(&v);
                hr = SIM_DCOM_WBEM_E_INVALID_PROPERTY;
            }
        }
        if (hr == 0 && wmgw_cim_proplist_put(&inst->props, d->name, &v) != 0) {
            wmgw_cim_value_dispose(&v);
            hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
        }
        if (hr != 0) {
            wmgw_cim_instance_unref(inst);
            return hr;
        }
    }
    /* A new instance has every property of its class; keys must be given. */
    for (size_t i = 0; old == NULL && i < cls->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &cls->props[i];
        const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, d->name);
        if ((d->flags & WMGW_CIM_Q_KEY) && (v == NULL || v->null)) {
            wmgw_err_set(err, WMGW_EINVAL, "the key property %.80s is missing", d->name);
            wmgw_cim_instance_unref(inst);
            return WMGW_WBEM_E_INVALID_PARAMETER; /* as the WS-Man front's Create */
        }
        if (v == NULL || (v->null && !d->default_value.null)) {
            struct wmgw_cim_value dv;
            if (wmgw_cim_value_copy(&dv, &d->default_value) != 0 ||
                wmgw_cim_proplist_put(&inst->props, d->name, &dv) != 0) {
                wmgw_cim_instance_unref(inst);
                return SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
            }
        }
    }
    *out = inst;
    return 0;
}

static uint32_t put_instance_hr(struct sim_dcom_call *call, const struct wmgw_wmi_putinstance_req *q, char **path)
{
    struct sim_host *h = call->host;
    const char *ns = call->obj->ns;
    struct wmgw_wmio_object o;
    if (!sim_security_allowed(h->store, ns, SIM_ACCESS_WRITE))
        return WMGW_WBEM_E_ACCESS_DENIED;
    uint32_t hr = sim_dcom_decode_instance(&q->inst, ns, &o, &call->err);
    if (hr != 0)
        return hr;
    uint32_t mode = q->flags & (WMGW_WBEM_FLAG_UPDATE_ONLY | WMGW_WBEM_FLAG_CREATE_ONLY);
    struct sim_class *c = sim_store_class(h->store, ns, o.inst->class_name);
    struct wmgw_cim_instance *old = NULL, *inst = NULL;
    struct wmgw_cim_ref *ref = NULL;
    if (mode == (WMGW_WBEM_FLAG_UPDATE_ONLY | WMGW_WBEM_FLAG_CREATE_ONLY))
        hr = WMGW_WBEM_E_INVALID_PARAMETER;
    else if (c == NULL)
        hr = WMGW_WBEM_E_INVALID_CLASS;
    else if ((ref = wmgw_cim_instance_path(o.inst, c->cls)) == NULL)
        hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    if (hr == 0) {
        free(ref->namespace_);
        ref->namespace_ = strdup(ns);
        bool complete = ref->keys.n == wmgw_cim_class_key_count(c->cls);
        for (size_t i = 0; i < ref->keys.n; i++)
            complete &= !ref->keys.items[i].value.null;
        old = complete ? sim_store_find(h->store, ns, ref) : NULL;
    }
    const struct wmgw_cim_class *cls = c ? c->cls : NULL;
    if (hr != 0) {
    } else if (old != NULL && mode == WMGW_WBEM_FLAG_CREATE_ONLY) {
        hr = WMGW_WBEM_E_ALREADY_EXISTS;
    } else if (old == NULL && mode == WMGW_WBEM_FLAG_UPDATE_ONLY) {
        hr = WMGW_WBEM_E_NOT_FOUND;
    } else if (old == NULL) {
        if (!(cls->flags & WMGW_CIM_Q_SUPPORTS_CREATE) || (cls->flags & WMGW_CIM_Q_ABSTRACT))
            hr = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE;
        else if ((hr = build(cls, ns, o.inst, NULL, &inst, &call->err)) == 0) {
            int rc = sim_store_insert(h->store, wmgw_cim_instance_ref(inst), &call->err);
            hr = rc == 0 ? 0 : rc == WMGW_EEXIST ? WMGW_WBEM_E_ALREADY_EXISTS : WMGW_WBEM_E_FAILED;
        }
    } else {
        const struct wmgw_cim_class *oc = sim_store_class_of(h->store, old);
        if (!(cls->flags & WMGW_CIM_Q_SUPPORTS_UPDATE) || oc == NULL)
            hr = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE;
        else if ((hr = build(oc, ns, o.inst, old, &inst, &call->err)) == 0 &&
                 sim_store_replace(h->store, wmgw_cim_instance_ref(inst), &call->err) != 0)
            hr = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE; /* generated instances are read-only */
    }
    if (hr == 0) {
        struct wmgw_buf b;
        wmgw_buf_init(&b, 16384);
        struct wmgw_cim_ref *p = wmgw_cim_instance_path(inst, sim_store_class_of(h->store, inst));
        if (p != NULL && wmgw_cim_path_format_wmi(&b, p, false) == 0)
            *path = wmgw_buf_steal(&b, NULL);
        wmgw_cim_ref_free(p);
        wmgw_buf_dispose(&b);
    }
    wmgw_cim_instance_unref(inst);
    wmgw_cim_instance_unref(old);
    wmgw_cim_ref_free(ref);
    wmgw_wmio_object_dispose(&o);
    return hr;
}

void sim_dcom_put_instance(struct sim_dcom_call *call)
{
    struct wmgw_wmi_putinstance_req q;
    struct wmgw_wmi_callresult_resp a;
    struct wmgw_buf cr;
    wmgw_buf_init(&cr, 4096);
    memset(&a, 0, sizeof(a));
    if (wmgw_wmi_putinstance_req_decode(call->ev->stub, call->ev->stub_len, &q, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    char *path = NULL;
    a.pp_call_result = q.pp_call_result;
    a.hr = call->inject ? call->inject : put_instance_hr(call, &q, &path);
    if (a.hr == 0 && sim_dcom_call_result(call, q.pp_call_result, 0, path, &cr) != 0)
        a.hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    if (a.hr == 0 && cr.len > 0) {
        a.call_result.objref = (const uint8_t *)cr.data;
        a.call_result.len = cr.len;
    }
    call->hr = a.hr;
    if (wmgw_wmi_callresult_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
    free(path);
    wmgw_buf_dispose(&cr);
}
