/*
 * dialect.c: the dialect tables (see dialect.h).  The 2003 R2 row joins
 * this file when the MS-WSMAN dialect lands; nothing else changes.
 */
#include "translators/wsman/dialect.h"

#include <string.h>

const struct wmgw_wsman_dialect wmgw_wsman_dialect_wsmv = {
    .id = WMGW_WSMAN_WSMV,
    .name = "wsmv",
    .ns_wsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    .ns_wsman_alt = NULL,
    .ns_fault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    .ns_cim = "http://schemas.dmtf.org/wbem/wscim/1/common",
    .wmi_uri_prefix = "http://schemas.microsoft.com/wbem/wsman/1/wmi/",
    .dmtf_uri_prefix = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/",
    .fault_detail_prefix = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/",
    .datetime_element = "Datetime",
    .interval_element = "Interval",
    .has_identify = true,
    .this_uri = NULL,
    .ns_this = NULL,
    .class_uri = WMGW_URI_CIMXML_CLASS,
    .can_create_delete = true,
    .can_filter = true,
    .can_optimize = true,
    .appends_location = false,
    .uuid_message_ids = false,
};

static const struct wmgw_wsman_dialect *const dialects[] = {
    &wmgw_wsman_dialect_wsmv,
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
