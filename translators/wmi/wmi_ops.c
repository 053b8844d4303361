/*
 * wmi_ops.c: the pieces of IWbem* requests the DCOM client writes and the
 * errors it reports (wmi_int.h): WMI object paths and network resources,
 * the WQL of listings (always written by wmgw_wql_format, never caller
 * text), and struct wmgw_backend_error from HRESULTs, RPC faults and
 * failures of the RPC/DCOM layer.
 *
 * Errors keep the host's own terms for problem+json (design.md
 * "Errors"): has_wmi with the HRESULT and the CIM status code MSFT_WmiError
 * would carry for it (DSP0004 CIM_ERR_*), and a message naming the HRESULT,
 * the call and its target.  The HTTP status comes from wmi_calls_hresult.c.
 */
#include "translators/wmi/wmi_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cim/path.h"
#include "cim/wql.h"
#include "util/buf.h"

#define RPC_S_SERVER_TOO_BUSY 0x000006BBu /* MS-ERREF 2.2: a fault status, not an HRESULT */

/* CIM_ERR_* (DSP0004 Annex, as MSFT_WmiError.CIMStatusCode) for an HRESULT. */
static unsigned cim_status_of(uint32_t hr)
{
    switch (hr) {
    case WMGW_WBEM_E_ACCESS_DENIED:
    case WMGW_HR_E_ACCESSDENIED: return 2;     /* ACCESS_DENIED */
    case WMGW_WBEM_E_INVALID_NAMESPACE: return 3;
    case WMGW_WBEM_E_INVALID_PARAMETER:
    case 0x8004102Fu:                          /* INVALID_METHOD_PARAMETERS */
    case WMGW_HR_E_INVALIDARG: return 4;       /* INVALID_PARAMETER */
    case WMGW_WBEM_E_INVALID_CLASS: return 5;
    case WMGW_WBEM_E_NOT_FOUND:
    case WMGW_WBEM_E_INVALID_OBJECT_PATH: return 6;
    case WMGW_WBEM_E_NOT_SUPPORTED:
    case 0x80041024u:                          /* PROVIDER_NOT_CAPABLE */
    case 0x80041055u: return 7;                /* METHOD_NOT_IMPLEMENTED */
    case 0x80041025u: return 8;                /* CLASS_HAS_CHILDREN */
    case 0x80041026u: return 9;                /* CLASS_HAS_INSTANCES */
    case 0x8004100Du: return 10;               /* INVALID_SUPERCLASS */
    case WMGW_WBEM_E_ALREADY_EXISTS: return 11;
    case 0x80041031u: return 12;               /* INVALID_PROPERTY: NO_SUCH_PROPERTY */
    case 0x80041005u: return 13;               /* TYPE_MISMATCH */
    case WMGW_WBEM_E_INVALID_QUERY_TYPE: return 14; /* QUERY_LANGUAGE_NOT_SUPPORTED */
    case WMGW_WBEM_E_INVALID_QUERY:
    case 0x80041058u: return 15;               /* UNPARSABLE_QUERY: INVALID_QUERY */
    case 0x80041056u: return 16;               /* METHOD_DISABLED: METHOD_NOT_AVAILABLE */
    case WMGW_WBEM_E_INVALID_METHOD: return 17; /* METHOD_NOT_FOUND */
    default: return 1;                         /* FAILED */
    }
}

int wmgw_wmi_hresult_error(struct wmgw_backend_error *err, uint32_t hr, const char *what, const char *target)
{
    const char *name = wmgw_wmi_hresult_name(hr);
    int code = wmgw_wmi_hresult_err(hr);
    if (code == 0)
        code = WMGW_EBACKEND; /* a success where the call needed more (no object) */
    wmgw_backend_error_set(err, code, "%s (0x%08X) from %s%s%.300s", name ? name : "HRESULT", hr, what,
                           target && *target ? " of " : "", target ? target : "");
    err->has_wmi = true;
    err->hresult = hr;
    err->cim_status = cim_status_of(hr);
    return code;
}

int wmgw_wmi_fault_error(struct wmgw_backend_error *err, uint32_t status, const char *what)
{
    if (status == WMGW_RPC_FAULT_ACCESS_DENIED || status == WMGW_HR_E_ACCESSDENIED)
        /* What an NTLM logon the host refused looks like (its bind was
         * accepted: rpc_auth3 is unanswered): the gateway's credential, not
         * the caller's, so no 401/403. */
        return wmgw_backend_error_set(err, WMGW_EBACKEND,
                                      "the host refused %s: access denied (RPC fault 0x%08x): check the "
                                      "gateway's credential for this host and its DCOM/WMI rights",
                                      what, status);
    if (status == RPC_S_SERVER_TOO_BUSY)
        return wmgw_backend_error_set(err, WMGW_ERETRY, "%s: the host is too busy (RPC_S_SERVER_TOO_BUSY)", what);
    const char *name = wmgw_wmi_hresult_name(status);
    int code = (status & 0x80000000u) ? wmgw_wmi_hresult_err(status) : WMGW_EBACKEND;
    wmgw_backend_error_set(err, code, "%s failed: RPC fault %s%s0x%08x", what, name ? name : "", name ? " " : "",
                           status);
    if (status & 0x80000000u) {
        err->has_wmi = true;
        err->hresult = status;
        err->cim_status = cim_status_of(status);
    }
    return code;
}

int wmgw_wmi_err_error(struct wmgw_backend_error *err, int rc, const struct wmgw_err *e, const char *what)
{
    const char *msg = e != NULL && e->message[0] ? e->message : wmgw_err_summary(rc);
    /* Our own limits and the host's garbage are the host's failure. */
    int code = rc == WMGW_ETOOBIG || rc == WMGW_EINVAL ? WMGW_EPROTO : rc;
    if (rc == WMGW_ETIMEDOUT)
        return wmgw_backend_error_set(err, code, "%s: the host did not answer in time: %s", what, msg);
    if (rc == WMGW_ECONN)
        return wmgw_backend_error_set(err, code, "%s: cannot reach the host: %s", what, msg);
    return wmgw_backend_error_set(err, code, "%s: %s", what, msg);
}

/* A reference's keys as text: WMI object path text types them by their
 * spelling (Id=1 is a sint64), WS-Management leaves them text; the gateway
 * types both by the referenced class (gateway/normalize.c). */
static int keys_as_text(struct wmgw_cim_ref *r)
{
    for (size_t i = 0; r != NULL && i < r->keys.n; i++) {
        struct wmgw_cim_value *v = &r->keys.items[i].value;
        if (v->null || WMGW_CIM_IS_ARRAY(v->type) || v->type == WMGW_CIM_STRING || v->type == WMGW_CIM_REFERENCE ||
            v->type == WMGW_CIM_OBJECT)
            continue;
        struct wmgw_buf t;
        wmgw_buf_init(&t, 4096);
        if (wmgw_cim_value_to_text(v, &t) != 0) {
            wmgw_buf_dispose(&t);
            return WMGW_ENOMEM;
        }
        wmgw_cim_value_dispose(v);
        wmgw_cim_value_init_null(v, WMGW_CIM_STRING);
        wmgw_cim_value_set_string(v, wmgw_buf_steal(&t, NULL));
        if (v->u.str == NULL)
            v->u.str = strdup("");
    }
    return 0;
}

static void normalize(struct wmgw_cim_value *v, unsigned depth)
{
    if (v->null || depth > WMGW_WMIO_MAX_DEPTH)
        return;
    if (WMGW_CIM_IS_ARRAY(v->type)) {
        if (v->u.arr.n == 0) {
            uint16_t type = v->type;
            wmgw_cim_value_dispose(v);
            wmgw_cim_value_init_null(v, type);
            return;
        }
        for (size_t i = 0; i < v->u.arr.n; i++)
            normalize(&v->u.arr.v[i], depth + 1);
    } else if (v->type == WMGW_CIM_OBJECT && v->u.obj != NULL) {
        for (size_t i = 0; i < v->u.obj->props.n; i++)
            normalize(&v->u.obj->props.items[i].value, depth + 1);
    } else if (v->type == WMGW_CIM_REFERENCE) {
        keys_as_text(v->u.ref);
    }
}

void wmgw_wmi_normalize(struct wmgw_cim_proplist *l)
{
    for (size_t i = 0; i < l->n; i++)
        normalize(&l->items[i].value, 0);
}

char *wmgw_wmi_path(const struct wmgw_cim_ref *ref)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_CIM_PATH_MAX_LEN);
    if (ref == NULL || wmgw_cim_path_format_wmi(&b, ref, false) != 0) {
        wmgw_buf_dispose(&b);
        return NULL;
    }
    return wmgw_buf_steal(&b, NULL);
}

char *wmgw_wmi_network_resource(const char *ns)
{
    /* impacket's form; WMI reads '/' and '\' alike (protocol-notes 4.1). */
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    if (wmgw_buf_printf(&b, "//./%s", ns) != 0) {
        wmgw_buf_dispose(&b);
        return NULL;
    }
    for (char *p = b.data; *p; p++)
        if (*p == '\\')
            *p = '/';
    return wmgw_buf_steal(&b, NULL);
}

int wmgw_wmi_op_wql(const struct wmgw_op *op, char **out)
{
    struct wmgw_buf b;
    int rc;
    *out = NULL;
    wmgw_buf_init(&b, 1u << 20);
    if (op->kind == WMGW_OP_QUERY) {
        rc = op->query != NULL ? wmgw_wql_format(&b, op->query) : WMGW_EINVAL;
    } else {
        /* ENUMERATE: SELECT <select or *> FROM <class> [WHERE <where>] */
        const struct wmgw_wql_query *src = op->query;
        bool project = src != NULL && !src->select_all && src->nselect > 0;
        struct wmgw_wql_query q = {.kind = WMGW_WQL_SELECT,
                                   .select_all = !project,
                                   .nselect = project ? src->nselect : 0,
                                   .select = project ? src->select : NULL,
                                   .class_name = (char *)op->class_name,
                                   .where = src != NULL ? src->where : NULL};
        rc = op->class_name != NULL ? wmgw_wql_format(&b, &q) : WMGW_EINVAL;
    }
    if (rc != 0) {
        wmgw_buf_dispose(&b);
        return rc == WMGW_ENOMEM ? rc : WMGW_EINVAL;
    }
    *out = wmgw_buf_steal(&b, NULL);
    return *out ? 0 : WMGW_ENOMEM;
}
