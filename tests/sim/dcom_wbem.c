/*
 * dcom_wbem.c: what the IWbem* interfaces of the DCOM front share
 * (dcom.h): the WBEM HRESULT standing for each kind of WS-Man front fault
 * (so both fronts fail alike: no instance WBEM_E_NOT_FOUND, no class
 * WBEM_E_INVALID_CLASS, no namespace WBEM_E_INVALID_NAMESPACE, bad WQL
 * WBEM_E_INVALID_QUERY, exists WBEM_E_ALREADY_EXISTS, not supported by
 * the provider WBEM_E_PROVIDER_NOT_CAPABLE ...), the MS-WMIO encoding of
 * store instances and decoding of the client's objects
 * (translators/wmi/wmio.h), IWbemCallResult objects for finished calls, and
 * a shim for the BSTRs impacket sends.
 */
#include "tests/sim/dcom.h"
#include "tests/sim/fault.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/store.h"
#include "translators/wmi/wmi_calls.h"
#include "translators/wmi/wmio.h"

#include <stdlib.h>
#include <string.h>

/* --- faults, lookups, encoding ---------------------------------------------------- */

static const uint32_t wbem_of_kind[SIM_FAULT_KIND_COUNT] = {
    [SIM_FAULT_ACCESS_DENIED] = WMGW_WBEM_E_ACCESS_DENIED,
    [SIM_FAULT_NO_INSTANCE] = WMGW_WBEM_E_NOT_FOUND,
    [SIM_FAULT_NO_CLASS] = WMGW_WBEM_E_INVALID_CLASS,
    [SIM_FAULT_NO_NAMESPACE] = WMGW_WBEM_E_INVALID_NAMESPACE,
    [SIM_FAULT_BAD_RESOURCE_URI] = WMGW_WBEM_E_INVALID_OBJECT_PATH,
    [SIM_FAULT_INSUFFICIENT_SELECTORS] = WMGW_WBEM_E_INVALID_OBJECT_PATH,
    [SIM_FAULT_UNEXPECTED_SELECTORS] = WMGW_WBEM_E_INVALID_OBJECT_PATH,
    [SIM_FAULT_INVALID_SELECTOR_VALUE] = WMGW_WBEM_E_INVALID_OBJECT_PATH,
    [SIM_FAULT_DUPLICATE_SELECTORS] = WMGW_WBEM_E_INVALID_OBJECT_PATH,
    [SIM_FAULT_CANNOT_PROCESS_FILTER] = WMGW_WBEM_E_INVALID_QUERY,
    [SIM_FAULT_CANNOT_PROCESS_FRAGMENT] = WMGW_WBEM_E_INVALID_QUERY,
    [SIM_FAULT_FILTER_DIALECT_UNAVAILABLE] = WMGW_WBEM_E_INVALID_QUERY_TYPE,
    [SIM_FAULT_FILTERING_NOT_SUPPORTED] = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE,
    [SIM_FAULT_INVALID_ENUMERATION_CONTEXT] = WMGW_WBEM_E_INVALID_OPERATION,
    [SIM_FAULT_ENCODING_LIMIT] = SIM_DCOM_WBEM_E_QUOTA_VIOLATION,
    [SIM_FAULT_TIMED_OUT] = SIM_DCOM_WBEM_E_CALL_CANCELLED,
    [SIM_FAULT_ALREADY_EXISTS] = WMGW_WBEM_E_ALREADY_EXISTS,
    [SIM_FAULT_ACTION_NOT_SUPPORTED] = WMGW_WBEM_E_NOT_SUPPORTED,
    [SIM_FAULT_INVALID_HEADER] = WMGW_WBEM_E_INVALID_PARAMETER,
    [SIM_FAULT_HEADER_REQUIRED] = WMGW_WBEM_E_INVALID_PARAMETER,
    [SIM_FAULT_UNSUPPORTED_FEATURE] = WMGW_WBEM_E_NOT_SUPPORTED,
    [SIM_FAULT_SCHEMA_VALIDATION] = WMGW_WBEM_E_INVALID_PARAMETER,
    [SIM_FAULT_INVALID_PARAMETER] = WMGW_WBEM_E_INVALID_PARAMETER,
    [SIM_FAULT_INVALID_PROPERTY] = SIM_DCOM_WBEM_E_INVALID_PROPERTY,
    [SIM_FAULT_METHOD_NOT_IMPLEMENTED] = SIM_DCOM_WBEM_E_METHOD_NOT_IMPLEMENTED,
    [SIM_FAULT_MUST_UNDERSTAND] = WMGW_WBEM_E_INVALID_PARAMETER,
    [SIM_FAULT_INTERNAL_ERROR] = WMGW_WBEM_E_FAILED,
    [SIM_FAULT_QUOTA_LIMIT] = SIM_DCOM_WBEM_E_QUOTA_VIOLATION,
    [SIM_FAULT_NOT_SUPPORTED] = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE,
    [SIM_FAULT_CREATE_DELETE_UNSUPPORTED] = SIM_DCOM_WBEM_E_PROVIDER_NOT_CAPABLE,
};

uint32_t sim_dcom_fault_hresult(int kind)
{
    return kind >= 0 && kind < SIM_FAULT_KIND_COUNT ? wbem_of_kind[kind] : WMGW_WBEM_E_FAILED;
}

int sim_dcom_fault_kind(uint32_t hr)
{
    for (int k = 0; k < SIM_FAULT_KIND_COUNT; k++)
        if (wbem_of_kind[k] == hr)
            return k;
    return SIM_FAULT_INTERNAL_ERROR;
}

void sim_dcom_ctx_init(struct sim_ctx *ctx, struct sim_host *h)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->host = h;
    ctx->dcom = true;
    ctx->http_status = 200;
    ctx->req.max_envelope = -1;
    ctx->req.timeout_ms = -1;
    wmgw_buf_init(&ctx->out, 4096);
}

/* The HRESULT of a WS-Man operation that faulted (or a generic failure). */
uint32_t sim_dcom_ctx_hresult(const struct sim_ctx *ctx)
{
    return ctx->faulted ? sim_dcom_fault_hresult(ctx->fault_kind) : WMGW_WBEM_E_FAILED;
}

const struct wmgw_cim_class *sim_dcom_lookup_class(void *lookup, const char *class_name)
{
    struct sim_dcom_lookup *l = lookup;
    struct sim_class *c = sim_store_class(l->store, l->ns, class_name);
    return c ? c->cls : NULL;
}

void sim_dcom_encode_opts(struct wmgw_wmio_encode_opts *o, struct sim_dcom_lookup *l, struct sim_host *h,
                          const char *ns)
{
    memset(o, 0, sizeof(*o));
    l->store = h->store;
    l->ns = ns;
    o->server = h->name;
    o->namespace_ = ns;
    o->lookup = sim_dcom_lookup_class;
    o->lookup_ctx = l;
}

int sim_dcom_encode_instance(struct sim_host *h, const char *ns, const struct wmgw_cim_instance *inst,
                             const struct wmgw_cim_class *cls, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct sim_dcom_lookup l;
    struct wmgw_wmio_encode_opts o;
    sim_dcom_encode_opts(&o, &l, h, ns);
    if (cls == NULL) {
        struct sim_class *c = sim_store_class(h->store, ns, inst->class_name);
        cls = c ? c->cls : NULL;
    }
    if (cls == NULL)
        return wmgw_err_set(err, WMGW_ENOTFOUND, "no class %s", inst->class_name);
    return wmgw_wmio_encode_instance(out, inst, cls, &o, err);
}

/* Decodes an EncodingUnit from the client into an instance. */
uint32_t sim_dcom_decode_instance(const struct wmgw_wmi_unit *u, const char *ns, struct wmgw_wmio_object *o,
                                  struct wmgw_err *err)
{
    memset(o, 0, sizeof(*o));
    if (u->data == NULL)
        return WMGW_WBEM_E_INVALID_PARAMETER;
    struct wmgw_wmio_decode_opts opts = {.namespace_ = ns};
    if (wmgw_wmio_decode_unit(u->data, u->len, &opts, o, err) != 0)
        return 0x8004100Fu; /* WBEM_E_INVALID_OBJECT */
    if (o->inst == NULL) {
        wmgw_wmio_object_dispose(o);
        return WMGW_WBEM_E_INVALID_PARAMETER; /* a class where an instance belongs */
    }
    return 0;
}

/* An IWbemCallResult for a finished call, when the client asked for one. */
int sim_dcom_call_result(struct sim_dcom_call *call, bool wanted, uint32_t status, const char *text,
                         struct wmgw_buf *objref)
{
    if (!wanted)
        return 0;
    struct sim_dcom_obj *o = sim_dcom_obj_new(call->host, SIM_DCOM_CALL_RESULT, &wmgw_dcom_iid_iwbem_call_result);
    if (o == NULL)
        return WMGW_ENOMEM;
    o->status = status;
    if (text != NULL && (o->ns = strdup(text)) == NULL)
        return WMGW_ENOMEM;
    return sim_dcom_objref(call->host, o, objref, &call->err);
}

/* impacket ends every BSTR it sends with a NUL (wmi.py checkNullString),
 * which Windows reads as the end of the string; translators/wmi's request
 * decoders refuse a NUL inside a string.  Until they take a trailing one,
 * this copies the stub with the NUL of each of the first `n` BSTR
 * arguments (right after ORPCTHIS) dropped.  What follows them must only
 * need 4-octet alignment (true of every method that uses this). */
static int trim_bstrs(const uint8_t *stub, size_t len, unsigned n, struct wmgw_buf *copy)
{
    struct wmgw_ndr_reader r;
    struct wmgw_ndr_orpcthis t;
    if (wmgw_dcom_call_read(&r, stub, len, &t, NULL) != 0)
        return r.rc;
    size_t at = r.off;
    int rc = wmgw_buf_add(copy, stub, at);
    for (unsigned i = 0; rc == 0 && i < n; i++) {
        uint32_t ref = 0, max = 0, cbytes = 0, clsize = 0;
        const uint8_t *data = NULL;
        wmgw_ndr_skip_align(&r, 4, "BSTR");
        wmgw_ndr_get_u32(&r, &ref, "BSTR");
        if (r.rc == 0 && ref != 0) {
            wmgw_ndr_get_u32(&r, &max, "BSTR");
            wmgw_ndr_get_u32(&r, &cbytes, "BSTR");
            wmgw_ndr_get_u32(&r, &clsize, "BSTR");
            if (r.rc == 0 && cbytes != 0xFFFFFFFFu && cbytes == 2 * (size_t)clsize)
                wmgw_ndr_get_bytes(&r, &data, cbytes, "BSTR");
        }
        if (r.rc != 0)
            return r.rc;
        while (rc == 0 && copy->len % 4 != 0)
            rc = wmgw_buf_addc(copy, 0);
        bool nul = data != NULL && clsize > 0 && max == clsize && data[cbytes - 2] == 0 && data[cbytes - 1] == 0;
        uint32_t hdr[4] = {ref, max - nul, cbytes - 2 * nul, clsize - nul};
        for (unsigned k = 0; rc == 0 && k < (ref == 0 ? 1u : data != NULL ? 4u : 0u); k++) {
            uint8_t le[4] = {(uint8_t)hdr[k], (uint8_t)(hdr[k] >> 8), (uint8_t)(hdr[k] >> 16), (uint8_t)(hdr[k] >> 24)};
            rc = wmgw_buf_add(copy, le, 4);
        }
        if (rc == 0 && ref != 0 && data == NULL) /* a null BSTR or one we do not touch */
            rc = wmgw_buf_add(copy, stub + at + (at % 4 ? 4 - at % 4 : 0), r.off - at - (at % 4 ? 4 - at % 4 : 0));
        if (rc == 0 && data != NULL)
            rc = wmgw_buf_add(copy, data, cbytes - 2 * nul);
        at = r.off;
    }
    size_t rest = at % 4 ? at + 4 - at % 4 : at;
    while (rc == 0 && copy->len % 4 != 0)
        rc = wmgw_buf_addc(copy, 0);
    if (rc == 0 && rest < len)
        rc = wmgw_buf_add(copy, stub + rest, len - rest);
    return rc;
}

void sim_dcom_stub(const struct wmgw_rpc_event *ev, unsigned n, struct wmgw_buf *copy, const uint8_t **stub,
                   size_t *len)
{
    wmgw_buf_init(copy, ev->stub_len + 64);
    if (trim_bstrs(ev->stub, ev->stub_len, n, copy) == 0) {
        *stub = (const uint8_t *)copy->data;
        *len = copy->len;
    } else { /* the decoder will say what is wrong with it */
        *stub = ev->stub;
        *len = ev->stub_len;
    }
}
