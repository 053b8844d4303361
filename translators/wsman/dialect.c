/*
 * dialect.c: the dialect tables (see dialect.h): one row per WS-Management
 * dialect, read by the one codec (cimxml_*.c, soap_*.c, fault.c), the
 * translator (wsman.c) and the simulator (tests/sim).
 *
 * Sources: MS-WSMV and protocol-notes §1 for WinRM 1.1+; MS-WSMAN (the
 * Windows Server 2003 R2 extensions of the June 2005 drafts) and
 * protocol-notes §2 for the 2003 row, section numbers beside each field.
 */
#include "translators/wsman/dialect.h"

#include <string.h>

const struct wmgw_wsman_dialect wmgw_wsman_dialect_wsmv = {
    .id = WMGW_WSMAN_WSMV,
    .name = "wsmv",
    .title = "MS-WSMV",
    .ns_wsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    .ns_wsman_alt = NULL,
    .ns_wsmv = WMGW_NS_WSMV,
    .ns_fault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    .ns_cim = "http://schemas.dmtf.org/wbem/wscim/1/common",
    .wmi_uri_prefix = "http://schemas.microsoft.com/wbem/wsman/1/wmi/",
    .dmtf_uri_prefix = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/",
    .fault_detail_prefix = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/",
    .fault_action = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
    .datetime_element = "Datetime",
    .interval_element = "Interval",
    .dmtf_datetime_element = "CIM_DateTime",
    .has_identify = true,
    .this_uri = NULL,
    .ns_this = NULL,
    .class_uri = WMGW_URI_CIMXML_CLASS,
    .can_create_delete = true,
    .can_filter = true,
    .can_optimize = true,
    .has_enum_modes = true,
    .processes_options = true,
    .appends_location = false,
    .casts_to_base = false,
    .uuid_message_ids = false,
    .provider_id = NULL,
    .wmi_error_detail = true,
};

const struct wmgw_wsman_dialect wmgw_wsman_dialect_2003 = {
    .id = WMGW_WSMAN_2003,
    .name = "wsman2003",
    .title = "Windows Server 2003 R2",
    /* §2.2.1 and every example; §3.1.4.1.1 spells it ".../wsman/2005/06/..." */
    .ns_wsman = "http://schemas.xmlsoap.org/ws/2005/06/management",
    .ns_wsman_alt = "http://schemas.xmlsoap.org/wsman/2005/06/management",
    .ns_wsmv = NULL,                                              /* MS-WSMV only */
    .ns_fault = "http://schemas.microsoft.com/ws/2005/06/wsmanfault", /* §2.2.1, §4.3 */
    .ns_cim = "http://schemas.dmtf.org/wsman/2005/06/base",      /* §3.1.4.1.25 */
    .wmi_uri_prefix = "http://schemas.microsoft.com/wsman/2005/06/wmi/", /* §3.2.4.1.14 */
    .dmtf_uri_prefix = "http://schemas.dmtf.org/wsman/2005/06/cimv2.9/",
    .fault_detail_prefix = "wsman:faultDetail/",                  /* §3.1.4.1.21 */
    /* The one fault Action MS-WSMAN shows (§4.3) */
    .fault_action = WMGW_WSA_FAULT_ACTION,
    /* §2.2.5.1: DSP0230's CIM_DateTime renamed CIM_DateTimeString, the one
     * datetime form of the dialect, for timestamps and intervals alike
     * (never negative). */
    .datetime_element = NULL,
    .interval_element = NULL,
    .dmtf_datetime_element = "CIM_DateTimeString",
    /* <4>, §3.2.4.1.8: no Identify; Get of wsman:system/2005/06/this */
    .has_identify = false,
    .this_uri = "wsman:system/2005/06/this",
    .ns_this = "http://schemas.xmlsoap.org/ws/2005/06/management/this", /* §2.2.4.12 */
    .class_uri = NULL,          /* no class retrieval */
    .can_create_delete = false, /* <2> */
    .can_filter = false,        /* §3.1.4.1.13, <9> */
    .can_optimize = false,      /* §3.1.4.1.16: ignored */
    .has_enum_modes = false,    /* §3.1.4.1.17: ignored, objects only */
    .processes_options = false, /* §3.1.4.1.11, .12, .18 */
    .appends_location = true,   /* §3.1.4.1.27 */
    .casts_to_base = true,      /* §3.1.4.1.28 */
    .uuid_message_ids = true,   /* §3.1.4.1.5, §3.2.4.1.2 */
    .provider_id = "D9A2A039-A4B3-4A70-8CB9-8D7714EAD776", /* <3>: the CIM resource provider */
    .wmi_error_detail = false,
};

static const struct wmgw_wsman_dialect *const dialects[] = {
    &wmgw_wsman_dialect_wsmv,
    &wmgw_wsman_dialect_2003,
};

const struct wmgw_wsman_dialect *wmgw_wsman_dialect_find(const char *name)
{
    for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++)
        if (strcmp(dialects[i]->name, name) == 0)
            return dialects[i];
    return NULL;
}

bool wmgw_wsman_dialect_is_wsman_ns(const struct wmgw_wsman_dialect *d, const char *ns)
{
    return ns != NULL && (strcmp(ns, d->ns_wsman) == 0 || (d->ns_wsman_alt && strcmp(ns, d->ns_wsman_alt) == 0));
}

bool wmgw_wsman_dialect_is_this_ns(const struct wmgw_wsman_dialect *d, const char *ns)
{
    if (ns == NULL || d->ns_this == NULL)
        return false;
    if (strcmp(ns, d->ns_this) == 0)
        return true;
    size_t n = d->ns_wsman_alt ? strlen(d->ns_wsman_alt) : 0;
    return n > 0 && strncmp(ns, d->ns_wsman_alt, n) == 0 && strcmp(ns + n, "/this") == 0;
}
