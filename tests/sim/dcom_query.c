/*
 * dcom_query.c: queries of the DCOM front (dcom.h; MS-WMI 3.1.4.3.18,
 * 3.1.4.3.20, 3.1.4.3.9, 3.1.4.4): IWbemServices::ExecQuery,
 * ExecNotificationQuery and CreateInstanceEnum, and the
 * IEnumWbemClassObject each of them returns.
 *
 * WQL is evaluated as the WS-Management front evaluates it (filter.c:
 * SELECT with WHERE and a property list, ASSOCIATORS OF, REFERENCES OF),
 * over a cursor of the store: Next encodes instances as it reaches them,
 * so the generated Sim_Bench instances stream without being materialised.
 * A synchronous query (lFlags 0) reports a bad query in ExecQuery's
 * HRESULT; a semisynchronous one (WBEM_FLAG_RETURN_IMMEDIATELY) in the
 * first Next, as Windows.  Errors: not WQL WBEM_E_INVALID_QUERY_TYPE, bad
 * WQL WBEM_E_INVALID_QUERY, unknown class WBEM_E_INVALID_CLASS, unknown
 * ASSOCIATORS OF object WBEM_E_NOT_FOUND.
 *
 * Next returns WBEM_S_FALSE with the last, short batch.  One reply carries
 * at most SIM_DCOM_NEXT_MAX objects or about SIM_DCOM_MAX_REPLY bytes;
 * a batch cut short by that (not by the end) is WBEM_S_TIMEDOUT, as when
 * a Windows Next runs out of time.
 *
 * Event queries (ExecNotificationQuery) are accepted and give an
 * enumerator on which Next waits lTimeout (at most SIM_DCOM_EVENT_WAIT_MS)
 * and answers WBEM_S_TIMEDOUT with nothing: the simulator raises no
 * events yet (a later issue).
 */
#include "tests/sim/dcom.h"
#include "cim/path.h"
#include "cim/wql.h"
#include "tests/sim/filter.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/store.h"
#include "translators/wmi/wmi_calls.h"
#include "translators/wmi/wmio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIM_DCOM_NEXT_MAX 8192          /* objects in one Next reply */
#define SIM_DCOM_EVENT_WAIT_MS 30000u  /* the longest a Next for events is held */

struct sim_dcom_enum {
    char *text;                /* the query, for Reset and Clone */
    char *ns;
    char *shallow;             /* CreateInstanceEnum with WBEM_FLAG_SHALLOW: this class only */
    bool notification;
    bool forward_only;
    bool prepared;
    uint32_t pending;          /* semisynchronous: the error Next reports */
    struct sim_query q;
    struct wmgw_cim_class *projected; /* a SELECT list: the class of the results */
    uint64_t delivered;        /* objects handed out (Clone skips as many) */
};

void sim_dcom_enum_free(struct sim_dcom_enum *en)
{
    if (en == NULL)
        return;
    if (en->prepared)
        sim_query_dispose(&en->q);
    wmgw_cim_class_free(en->projected);
    free(en->text);
    free(en->ns);
    free(en->shallow);
    free(en);
}

/* The class of a SELECT list's results: the selected properties of `from`. */
static struct wmgw_cim_class *project(const struct wmgw_cim_class *from, char **select, size_t n)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new(from->name, from->namespace_);
    for (size_t i = 0; c != NULL && i < from->nprops; i++) {
        const struct wmgw_cim_propdecl *s = &from->props[i];
        bool wanted = false;
        for (size_t k = 0; k < n && !wanted; k++)
            wanted = strcasecmp(select[k], s->name) == 0;
        if (!wanted)
            continue;
        struct wmgw_cim_propdecl *d = wmgw_cim_class_add_prop(c, s->name, s->type);
        if (d == NULL || (s->ref_class && (d->ref_class = strdup(s->ref_class)) == NULL) ||
            (s->description && (d->description = strdup(s->description)) == NULL) ||
            wmgw_cim_proplist_copy(&d->qualifiers, &s->qualifiers) != 0 ||
            wmgw_cim_value_copy(&d->default_value, &s->default_value) != 0) {
            wmgw_cim_class_free(c);
            return NULL;
        }
        d->flags = s->flags;
    }
    return c;
}

/* Runs the query (again): 0 or the WBEM HRESULT of a query WMI rejects. */
static uint32_t prepare(struct sim_host *h, struct sim_dcom_enum *en, struct wmgw_err *err)
{
    if (en->prepared)
        sim_query_dispose(&en->q);
    en->prepared = false;
    en->delivered = 0;
    struct wmgw_wql_query *wq = NULL;
    if (wmgw_wql_parse(en->text, strlen(en->text), &wq, err) != 0)
        return WMGW_WBEM_E_INVALID_QUERY;
    uint32_t hr = 0;
    if (en->notification) {
        /* any event SELECT is taken: no events are raised yet */
        hr = wq->kind == WMGW_WQL_SELECT ? 0 : WMGW_WBEM_E_INVALID_QUERY;
        wmgw_wql_query_free(wq);
        return hr;
    }
    struct sim_class *c = NULL;
    if (wq->kind == WMGW_WQL_SELECT) {
        if ((c = sim_store_class(h->store, en->ns, wq->class_name)) == NULL)
            hr = WMGW_WBEM_E_INVALID_CLASS;
    } else {
        struct wmgw_cim_instance *o = sim_store_find(h->store, en->ns, wq->object);
        if (o == NULL)
            hr = WMGW_WBEM_E_NOT_FOUND;
        wmgw_cim_instance_unref(o);
    }
    if (hr == 0) {
        struct sim_ctx ctx;
        sim_dcom_ctx_init(&ctx, h);
        if (sim_query_prepare_wql(&ctx, &en->q, en->ns, en->text) != 0) {
            hr = ctx.faulted ? sim_dcom_fault_hresult(ctx.fault_kind) : WMGW_WBEM_E_FAILED;
            sim_query_dispose(&en->q);
        } else {
            en->prepared = true;
        }
        sim_ctx_dispose(&ctx);
    }
    if (hr == 0 && en->q.nselect > 0 && en->projected == NULL &&
        (en->projected = project(c->cls, en->q.select, en->q.nselect)) == NULL)
        hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    wmgw_wql_query_free(wq);
    return hr;
}

/* The next result (new reference), projected when the query has a list. */
static struct wmgw_cim_instance *next_result(struct sim_dcom_enum *en)
{
    for (;;) {
        struct wmgw_cim_instance *inst = sim_query_next(&en->q);
        if (inst == NULL)
            return NULL;
        if (en->shallow != NULL && strcasecmp(inst->class_name, en->shallow) != 0) {
            wmgw_cim_instance_unref(inst);
            continue;
        }
        en->delivered++;
        if (en->projected == NULL)
            return inst;
        struct wmgw_cim_instance *p = wmgw_cim_instance_new(en->projected->name, inst->namespace_);
        for (size_t i = 0; p != NULL && i < en->projected->nprops; i++) {
            const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, en->projected->props[i].name);
            struct wmgw_cim_value copy;
            if (v == NULL)
                continue;
            if (wmgw_cim_value_copy(&copy, v) != 0 ||
                wmgw_cim_proplist_put(&p->props, en->projected->props[i].name, &copy) != 0) {
                wmgw_cim_instance_unref(p);
                p = NULL;
            }
        }
        wmgw_cim_instance_unref(inst);
        return p;
    }
}

static struct sim_dcom_enum *enum_new(const char *text, const char *ns, uint32_t flags, bool notification)
{
    struct sim_dcom_enum *en = calloc(1, sizeof(*en));
    if (en == NULL)
        return NULL;
    en->text = strdup(text);
    en->ns = strdup(ns);
    en->notification = notification;
    en->forward_only = (flags & WMGW_WBEM_FLAG_FORWARD_ONLY) != 0;
    if (en->text == NULL || en->ns == NULL) {
        sim_dcom_enum_free(en);
        return NULL;
    }
    return en;
}

/* The enumerator object of a query, or the HRESULT (synchronous calls). */
static uint32_t open_enum(struct sim_dcom_call *call, struct sim_dcom_enum *en, uint32_t flags, struct wmgw_buf *objref)
{
    uint32_t hr = prepare(call->host, en, &call->err);
    if (hr != 0 && !(flags & WMGW_WBEM_FLAG_RETURN_IMMEDIATELY)) {
        sim_dcom_enum_free(en);
        return hr;
    }
    en->pending = hr;
    struct sim_dcom_obj *o = sim_dcom_obj_new(call->host, SIM_DCOM_ENUM, &wmgw_dcom_iid_ienum_wbem_class_object);
    if (o == NULL || (o->ns = strdup(en->ns)) == NULL) {
        sim_dcom_enum_free(en);
        return o ? SIM_DCOM_WBEM_E_OUT_OF_MEMORY : SIM_DCOM_WBEM_E_QUOTA_VIOLATION;
    }
    o->en = en;
    return sim_dcom_objref(call->host, o, objref, &call->err) == 0 ? 0 : WMGW_WBEM_E_FAILED;
}

/* CreateInstanceEnum(strSuperClass, lFlags, pCtx): no stub in translators/wmi. */
static int decode_instance_enum(const struct wmgw_rpc_event *ev, struct wmgw_buf *text, const char **cls,
                                uint32_t *flags, struct wmgw_err *err)
{
    struct wmgw_ndr_reader r;
    struct wmgw_ndr_orpcthis t;
    struct wmgw_dcom_ptr ctx;
    bool present;
    wmgw_dcom_call_read(&r, ev->stub, ev->stub_len, &t, err);
    size_t at = text->len;
    wmgw_ndr_get_bstr(&r, text, &present, "strSuperClass");
    wmgw_buf_addc(text, '\0');
    wmgw_ndr_get_u32(&r, flags, "lFlags");
    wmgw_dcom_get_ptr(&r, &ctx, "pCtx");
    int rc = wmgw_dcom_call_read_end(&r);
    *cls = rc == 0 && present && text->data ? text->data + at : NULL;
    return rc;
}

void sim_dcom_query_call(struct sim_dcom_call *call)
{
    const struct wmgw_rpc_event *ev = call->ev;
    bool notification = ev->opnum == WMGW_WMI_OP_EXEC_NOTIFICATION_QUERY;
    bool instance_enum = ev->opnum == WMGW_WMI_OP_CREATE_INSTANCE_ENUM;
    call->counter = sim_dcom_call_index(notification    ? "ExecNotificationQuery"
                                        : instance_enum ? "CreateInstanceEnum"
                                                        : "ExecQuery");
    struct wmgw_buf text, objref, qtext, copy;
    wmgw_buf_init(&copy, 0);
    wmgw_buf_init(&text, 65536);
    wmgw_buf_init(&objref, 4096);
    wmgw_buf_init(&qtext, 1024);
    struct wmgw_dcom_ptr_resp a;
    memset(&a, 0, sizeof(a));
    const char *query = NULL, *cls = NULL;
    uint32_t flags = 0;
    int rc;
    if (instance_enum) {
        rc = decode_instance_enum(ev, &text, &cls, &flags, &call->err);
        if (rc == 0 && cls != NULL && wmgw_cim_path_name_valid(cls, strlen(cls)) &&
            wmgw_buf_printf(&qtext, "SELECT * FROM %s", cls) == 0)
            query = qtext.data;
        if (rc == 0 && query == NULL)
            a.hr = WMGW_WBEM_E_INVALID_CLASS;
    } else {
        struct wmgw_wmi_query_req q;
        const uint8_t *stub;
        size_t stub_len;
        sim_dcom_stub(ev, 2, &copy, &stub, &stub_len);
        rc = wmgw_wmi_query_req_decode(stub, stub_len, &q, &text, &call->err);
        flags = q.flags;
        query = q.query;
        if (rc == 0 && (q.language == NULL || strcasecmp(q.language, "WQL") != 0))
            a.hr = WMGW_WBEM_E_INVALID_QUERY_TYPE;
        else if (rc == 0 && query == NULL)
            a.hr = WMGW_WBEM_E_INVALID_QUERY;
    }
    if (rc != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        goto out;
    }
    if (a.hr == 0 && call->inject)
        a.hr = call->inject;
    if (a.hr == 0 && notification &&
        (flags & (WMGW_WBEM_FLAG_RETURN_IMMEDIATELY | WMGW_WBEM_FLAG_FORWARD_ONLY)) !=
            (WMGW_WBEM_FLAG_RETURN_IMMEDIATELY | WMGW_WBEM_FLAG_FORWARD_ONLY))
        a.hr = WMGW_WBEM_E_INVALID_PARAMETER; /* MS-WMI 3.1.4.3.20: semisynchronous, forward only */
    if (a.hr == 0 && (flags & WMGW_WBEM_FLAG_PROTOTYPE) && !instance_enum)
        a.hr = WMGW_WBEM_E_NOT_SUPPORTED; /* query prototypes are not simulated */
    if (a.hr == 0) {
        struct sim_dcom_enum *en = enum_new(query, call->obj->ns, flags, notification);
        if (en != NULL && instance_enum && (flags & WMGW_WBEM_FLAG_SHALLOW) && (en->shallow = strdup(cls)) == NULL) {
            sim_dcom_enum_free(en);
            en = NULL;
        }
        a.hr = en == NULL ? SIM_DCOM_WBEM_E_OUT_OF_MEMORY : open_enum(call, en, flags, &objref);
    }
    if (a.hr == 0) {
        a.ptr.objref = (const uint8_t *)objref.data;
        a.ptr.len = objref.len;
    }
    call->hr = a.hr;
    if (wmgw_dcom_ptr_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
out:
    wmgw_buf_dispose(&text);
    wmgw_buf_dispose(&objref);
    wmgw_buf_dispose(&qtext);
    wmgw_buf_dispose(&copy);
}

/* --- IEnumWbemClassObject --------------------------------------------------------------- */

static void next(struct sim_dcom_call *call, struct sim_dcom_enum *en)
{
    struct wmgw_wmi_enum_req q;
    if (wmgw_wmi_enum_req_decode(call->ev->stub, call->ev->stub_len, &q, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    struct wmgw_wmi_next_resp a;
    memset(&a, 0, sizeof(a));
    a.count = q.count;
    struct wmgw_buf units;
    wmgw_buf_init(&units, SIM_DCOM_MAX_REPLY + WMGW_WMIO_MAX_OUTPUT);
    uint32_t cap = q.count < SIM_DCOM_NEXT_MAX ? q.count : SIM_DCOM_NEXT_MAX;
    size_t *ends = calloc(cap ? cap : 1, sizeof(*ends));
    struct wmgw_wmi_unit *objs = calloc(cap ? cap : 1, sizeof(*objs));
    if (ends == NULL || objs == NULL) {
        a.hr = SIM_DCOM_WBEM_E_OUT_OF_MEMORY;
    } else if (call->inject || en->pending) {
        a.hr = call->inject ? call->inject : en->pending;
    } else if (en->notification) {
        /* nothing happens on a simulated host yet: wait, then say so */
        a.hr = WMGW_WBEM_S_TIMEDOUT;
        call->wait_ms = q.timeout < SIM_DCOM_EVENT_WAIT_MS ? q.timeout : SIM_DCOM_EVENT_WAIT_MS;
    } else {
        while (a.n_objects < cap && units.len < SIM_DCOM_MAX_REPLY) {
            struct wmgw_cim_instance *inst = next_result(en);
            if (inst == NULL)
                break;
            int rc = sim_dcom_encode_instance(call->host, en->ns, inst, en->projected, &units, &call->err);
            wmgw_cim_instance_unref(inst);
            if (rc != 0) {
                a.hr = WMGW_WBEM_E_FAILED;
                break;
            }
            ends[a.n_objects++] = units.len;
        }
        if (a.hr == 0 && a.n_objects < q.count)
            a.hr = sim_query_done(&en->q) ? WMGW_WBEM_S_FALSE : WMGW_WBEM_S_TIMEDOUT;
    }
    if (a.hr & 0x80000000u)
        a.n_objects = 0;
    for (uint32_t i = 0; i < a.n_objects; i++) {
        size_t start = i ? ends[i - 1] : 0;
        objs[i].data = (const uint8_t *)units.data + start;
        objs[i].len = ends[i] - start;
    }
    a.objects = objs;
    call->hr = a.hr;
    if (wmgw_wmi_next_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
    free(ends);
    free(objs);
    wmgw_buf_dispose(&units);
}

static void skip(struct sim_dcom_call *call, struct sim_dcom_enum *en)
{
    struct wmgw_wmi_enum_req q;
    if (wmgw_wmi_enum_req_decode(call->ev->stub, call->ev->stub_len, &q, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    struct wmgw_dcom_status_resp a = {{0}, 0};
    if (call->inject || en->pending) {
        a.hr = call->inject ? call->inject : en->pending;
    } else if (en->notification) {
        a.hr = WMGW_WBEM_S_TIMEDOUT;
    } else {
        uint32_t n = 0;
        struct wmgw_cim_instance *inst;
        while (n < q.count && (inst = next_result(en)) != NULL) {
            wmgw_cim_instance_unref(inst);
            n++;
        }
        a.hr = n == q.count ? 0 : WMGW_WBEM_S_FALSE;
    }
    call->hr = a.hr;
    if (wmgw_dcom_status_resp_encode(&call->out, &a, &call->err) != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
}

static void reset_or_clone(struct sim_dcom_call *call, struct sim_dcom_enum *en, bool clone)
{
    struct wmgw_ndr_orpcthis t;
    if (wmgw_dcom_void_req_decode(call->ev->stub, call->ev->stub_len, &t, &call->err) != 0) {
        call->fault = WMGW_RPC_FAULT_PROTO_ERROR;
        return;
    }
    uint32_t hr = call->inject;
    struct wmgw_buf objref;
    wmgw_buf_init(&objref, 4096);
    if (hr == 0 && en->forward_only)
        hr = WMGW_WBEM_E_INVALID_OPERATION; /* a forward-only enumerator neither rewinds nor clones */
    if (hr == 0 && !clone) {
        hr = en->pending ? en->pending : en->notification ? 0 : prepare(call->host, en, &call->err);
    } else if (hr == 0) {
        uint64_t at = en->delivered;
        struct sim_dcom_enum *copy = enum_new(en->text, en->ns, 0, en->notification);
        if (copy != NULL && en->shallow && (copy->shallow = strdup(en->shallow)) == NULL) {
            sim_dcom_enum_free(copy);
            copy = NULL;
        }
        hr = copy == NULL ? SIM_DCOM_WBEM_E_OUT_OF_MEMORY : open_enum(call, copy, WMGW_WBEM_FLAG_RETURN_IMMEDIATELY, &objref);
        struct wmgw_cim_instance *inst;
        for (uint64_t i = 0; hr == 0 && copy->prepared && i < at && (inst = next_result(copy)) != NULL; i++)
            wmgw_cim_instance_unref(inst);
    }
    call->hr = hr;
    int rc;
    if (clone) {
        struct wmgw_dcom_ptr_resp a;
        memset(&a, 0, sizeof(a));
        a.hr = hr;
        if (hr == 0) {
            a.ptr.objref = (const uint8_t *)objref.data;
            a.ptr.len = objref.len;
        }
        rc = wmgw_dcom_ptr_resp_encode(&call->out, &a, &call->err);
    } else {
        struct wmgw_dcom_status_resp a = {{0}, hr};
        rc = wmgw_dcom_status_resp_encode(&call->out, &a, &call->err);
    }
    if (rc != 0)
        call->fault = SIM_DCOM_RPC_S_CALL_FAILED;
    wmgw_buf_dispose(&objref);
}

void sim_dcom_enum_call(struct sim_dcom_call *call)
{
    struct sim_dcom_enum *en = call->obj->en;
    switch (call->ev->opnum) {
    case WMGW_WMI_OP_ENUM_NEXT:
        call->counter = sim_dcom_call_index("Next");
        next(call, en);
        return;
    case WMGW_WMI_OP_ENUM_RESET:
        call->counter = sim_dcom_call_index("Reset");
        reset_or_clone(call, en, false);
        return;
    case WMGW_WMI_OP_ENUM_CLONE:
        call->counter = sim_dcom_call_index("Clone");
        reset_or_clone(call, en, true);
        return;
    case WMGW_WMI_OP_ENUM_SKIP:
        call->counter = sim_dcom_call_index("Skip");
        skip(call, en);
        return;
    default: /* NextAsync needs a sink on the client */
        call->counter = sim_dcom_call_index("Other");
        call->fault = call->ev->opnum == WMGW_WMI_OP_ENUM_NEXT_ASYNC ? WMGW_WBEM_E_NOT_SUPPORTED
                                                                     : WMGW_RPC_FAULT_OP_RANGE;
    }
}
