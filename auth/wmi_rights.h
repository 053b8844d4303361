/*
 * wmi_rights.h: the rights that protect a WMI namespace (MS-WMI 5.2), the
 * generic mapping the gateway applies to them, and which rights each kind
 * of gateway operation needs.
 *
 * The gateway checks every REST call against the SDDL policy of (host
 * group, namespace pattern) the way Windows protects a namespace: the
 * operation's class (enum wmgw_wmi_op) says what is required, the access
 * check (auth/access.h) says what the caller holds.  GET /v1/whoami lists
 * the classes a granted mask permits.
 *
 * Generic mapping (our choice; Windows does not document one for
 * namespaces, and WinRM's RootSDDL grants generic rights, protocol-notes
 * 1.13.6 and 5.2):
 *   GR -> enable, remote enable, subscribe, read control
 *   GW -> enable, remote enable, full write, partial write, provider write,
 *         publish
 *   GX -> enable, remote enable, method execute
 *   GA -> every WMI right and the standard rights (delete, read control,
 *         write DAC, write owner)
 * so that "(A;;GR;;;IU)" allows reads, "(A;;GA;;;BA)" everything, and a GR
 * holder can neither write nor change the descriptor.
 */
#ifndef WMGW_AUTH_WMI_RIGHTS_H
#define WMGW_AUTH_WMI_RIGHTS_H

#include "auth/access.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MS-WMI 5.2 (the SDDL letters that land on the same bits in brackets). */
#define WMGW_WBEM_ENABLE 0x1u            /* CC */
#define WMGW_WBEM_METHOD_EXECUTE 0x2u    /* DC */
#define WMGW_WBEM_FULL_WRITE_REP 0x4u    /* LC */
#define WMGW_WBEM_PARTIAL_WRITE_REP 0x8u /* SW */
#define WMGW_WBEM_WRITE_PROVIDER 0x10u   /* RP */
#define WMGW_WBEM_REMOTE_ENABLE 0x20u    /* WP */
#define WMGW_WBEM_RIGHT_SUBSCRIBE 0x40u  /* DT */
#define WMGW_WBEM_RIGHT_PUBLISH 0x80u    /* LO */
/* READ_CONTROL (RC) and WRITE_DAC (WD) as in sddl.h. */

/* The operation classes of the gateway's REST calls. */
enum wmgw_wmi_op {
    WMGW_WMI_OP_READ,           /* get, enumerate, query, class schema */
    WMGW_WMI_OP_WRITE,          /* create, modify, delete */
    WMGW_WMI_OP_METHOD,         /* method execution */
    WMGW_WMI_OP_SECURITY_READ,  /* __SystemSecurity GetSD */
    WMGW_WMI_OP_SECURITY_WRITE, /* __SystemSecurity SetSD */
    WMGW_WMI_OP_SUBSCRIBE,      /* event subscription */
    WMGW_WMI_OP_COUNT
};

/* What one operation class needs: every bit of `all`, and at least one
 * bit of `any` when any is not 0. */
struct wmgw_wmi_op_rights {
    enum wmgw_wmi_op op;
    const char *name; /* "read", "write", "method", "security-read", "security-write", "subscribe" */
    uint32_t all;
    uint32_t any;
};

extern const struct wmgw_generic_mapping wmgw_wmi_generic_mapping;

/* The table row of op, or NULL for a value outside the enum. */
const struct wmgw_wmi_op_rights *wmgw_wmi_op_rights(enum wmgw_wmi_op op);
/* Whether a granted mask (already mapped) permits op. */
bool wmgw_wmi_permits(enum wmgw_wmi_op op, uint32_t granted);
/* The classes a granted mask permits, in enum order, into out (room for
 * WMGW_WMI_OP_COUNT); returns how many. */
size_t wmgw_wmi_ops_permitted(uint32_t granted, enum wmgw_wmi_op out[WMGW_WMI_OP_COUNT]);

/* The whole check for one REST call: a MAXIMUM_ALLOWED access check with
 * WMI's mapping, then the table.  0 when permitted, WMGW_EACCES when not
 * (err names the operation and what was missing); *granted (optional)
 * gets the caller's rights on the namespace. */
int wmgw_wmi_check(const struct wmgw_sd *sd, const struct wmgw_token *tok, enum wmgw_wmi_op op, uint32_t *granted,
                   struct wmgw_err *err);

#endif
