/*
 * wmi_rights.c: WMI namespace rights per gateway operation class
 * (wmi_rights.h; MS-WMI 5.2 and the per-call requirements of MS-WMI
 * 3.1.4.3: every call needs enable and remote enable; writes need a write
 * right; methods need execute; GetSD/SetSD need READ_CONTROL/WRITE_DAC).
 *
 * Writes accept partial or full write: WMI lets a holder of full write
 * write instances too (full write is a superset).  Provider write is not
 * enough on its own: it covers dynamic instances through their provider,
 * which the gateway cannot tell apart, so a policy must grant a write
 * right to allow writes.
 */
#include "auth/wmi_rights.h"

#define BASE (WMGW_WBEM_ENABLE | WMGW_WBEM_REMOTE_ENABLE)
#define ALL_WMI 0xFFu
#define STANDARD (WMGW_DELETE | WMGW_READ_CONTROL | WMGW_WRITE_DAC | WMGW_WRITE_OWNER)

const struct wmgw_generic_mapping wmgw_wmi_generic_mapping = {
    .read = BASE | WMGW_WBEM_RIGHT_SUBSCRIBE | WMGW_READ_CONTROL,
    .write = BASE | WMGW_WBEM_FULL_WRITE_REP | WMGW_WBEM_PARTIAL_WRITE_REP | WMGW_WBEM_WRITE_PROVIDER |
             WMGW_WBEM_RIGHT_PUBLISH,
    .execute = BASE | WMGW_WBEM_METHOD_EXECUTE,
    .all = ALL_WMI | STANDARD,
};

static const struct wmgw_wmi_op_rights table[WMGW_WMI_OP_COUNT] = {
    {WMGW_WMI_OP_READ, "read", BASE, 0},
    {WMGW_WMI_OP_WRITE, "write", BASE, WMGW_WBEM_PARTIAL_WRITE_REP | WMGW_WBEM_FULL_WRITE_REP},
    {WMGW_WMI_OP_METHOD, "method", BASE | WMGW_WBEM_METHOD_EXECUTE, 0},
    {WMGW_WMI_OP_SECURITY_READ, "security-read", WMGW_READ_CONTROL, 0},
    {WMGW_WMI_OP_SECURITY_WRITE, "security-write", WMGW_WRITE_DAC, 0},
    {WMGW_WMI_OP_SUBSCRIBE, "subscribe", BASE | WMGW_WBEM_RIGHT_SUBSCRIBE, 0},
};

const struct wmgw_wmi_op_rights *wmgw_wmi_op_rights(enum wmgw_wmi_op op)
{
    return (unsigned)op < WMGW_WMI_OP_COUNT ? &table[op] : NULL;
}

bool wmgw_wmi_permits(enum wmgw_wmi_op op, uint32_t granted)
{
    const struct wmgw_wmi_op_rights *r = wmgw_wmi_op_rights(op);
    if (r == NULL)
        return false;
    return (granted & r->all) == r->all && (r->any == 0 || (granted & r->any) != 0);
}

size_t wmgw_wmi_ops_permitted(uint32_t granted, enum wmgw_wmi_op out[WMGW_WMI_OP_COUNT])
{
    size_t n = 0;
    for (int op = 0; op < WMGW_WMI_OP_COUNT; op++)
        if (wmgw_wmi_permits((enum wmgw_wmi_op)op, granted))
            out[n++] = (enum wmgw_wmi_op)op;
    return n;
}

int wmgw_wmi_check(const struct wmgw_sd *sd, const struct wmgw_token *tok, enum wmgw_wmi_op op, uint32_t *granted,
                   struct wmgw_err *err)
{
    const struct wmgw_wmi_op_rights *r = wmgw_wmi_op_rights(op);
    if (r == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "unknown WMI operation class %d", (int)op);
    struct wmgw_access_request req = {WMGW_MAXIMUM_ALLOWED, &wmgw_wmi_generic_mapping, NULL, NULL};
    struct wmgw_access_result res;
    int rc = wmgw_access_check(sd, tok, &req, &res, err);
    if (granted != NULL)
        *granted = rc == 0 ? res.granted : 0;
    if (rc == WMGW_EACCES)
        return wmgw_err_set(err, WMGW_EACCES, "%s on this namespace: access denied (no rights granted)", r->name);
    if (rc != 0)
        return rc;
    if (!wmgw_wmi_permits(op, res.granted)) {
        uint32_t missing = r->all & ~res.granted;
        if (missing == 0)
            missing = r->any;
        return wmgw_err_set(err, WMGW_EACCES, "%s on this namespace: access denied (missing rights 0x%x)", r->name,
                            (unsigned)missing);
    }
    return 0;
}
