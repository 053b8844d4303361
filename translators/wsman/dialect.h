/*
 * dialect.h: what differs between the WS-Management dialects, as data.
 *
 * WinRM 2.0+ speaks DMTF WS-Management 1.x with Microsoft's extensions
 * (MS-WSMV); Windows Server 2003 R2 speaks the 2005/06 draft (MS-WSMAN).
 * Everything that differs between the two (namespace URIs, resource URI
 * prefixes, fault detail forms, what the dialect can do) is one row of a
 * `struct wmgw_wsman_dialect`, read by one codec: there is no per-dialect
 * code path (../shared/protocol-notes.md §1, §2).
 *
 * The constants that are the same in every dialect (SOAP 1.2, WS-Addressing
 * 2004/08, WS-Transfer and WS-Enumeration 2004/09) are plain macros.
 */
#ifndef WMGW_TRANSLATORS_WSMAN_DIALECT_H
#define WMGW_TRANSLATORS_WSMAN_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

#define WMGW_NS_SOAP "http://www.w3.org/2003/05/soap-envelope"
#define WMGW_NS_WSA "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define WMGW_NS_WST "http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define WMGW_NS_WSEN "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define WMGW_NS_WSE "http://schemas.xmlsoap.org/ws/2004/08/eventing"
#define WMGW_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define WMGW_NS_XS "http://www.w3.org/2001/XMLSchema"
#define WMGW_NS_WSMV "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
#define WMGW_NS_WSMB "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
#define WMGW_NS_WSMID "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
/* MS-WSMV §2.2.1 misprints "identify"; accepted on input only. */
#define WMGW_NS_WSMID_MISPRINT "http://schemas.dmtf.org/wbem/wsman/identify/1/wsmanidentity.xsd"

#define WMGW_WSA_ANONYMOUS WMGW_NS_WSA "/role/anonymous"
#define WMGW_WSA_FAULT_ACTION WMGW_NS_WSA "/fault"

#define WMGW_ACTION_GET WMGW_NS_WST "/Get"
#define WMGW_ACTION_PUT WMGW_NS_WST "/Put"
#define WMGW_ACTION_CREATE WMGW_NS_WST "/Create"
#define WMGW_ACTION_DELETE WMGW_NS_WST "/Delete"
#define WMGW_ACTION_ENUMERATE WMGW_NS_WSEN "/Enumerate"
#define WMGW_ACTION_PULL WMGW_NS_WSEN "/Pull"
#define WMGW_ACTION_RELEASE WMGW_NS_WSEN "/Release"

#define WMGW_FILTER_WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
#define WMGW_FILTER_SELECTOR "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
#define WMGW_FILTER_ASSOCIATION "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"

/* Resource URI of class retrieval (GetClass) as Windows MI clients send it. */
#define WMGW_URI_CIMXML_CLASS "http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*"

enum wmgw_wsman_dialect_id {
    WMGW_WSMAN_WSMV,  /* WinRM 1.1+ (DMTF 1.x + MS-WSMV) */
    WMGW_WSMAN_2003,  /* Windows Server 2003 R2 (MS-WSMAN, 2005/06 draft) */
};

struct wmgw_wsman_dialect {
    enum wmgw_wsman_dialect_id id;
    const char *name;            /* "wsmv", "wsman2003" */
    const char *title;           /* for messages: "the <title> WS-Management dialect" */
    const char *ns_wsman;        /* the wsman namespace of this dialect (written) */
    const char *ns_wsman_alt;    /* a second spelling accepted on input, or NULL */
    const char *ns_wsmv;         /* Microsoft's header extensions (DataLocale, ...), or NULL */
    const char *ns_fault;        /* WSManFault detail namespace */
    const char *ns_cim;          /* cim: namespace (Datetime, Interval, Location) */
    const char *wmi_uri_prefix;  /* "<prefix><namespace>/<Class>" */
    const char *dmtf_uri_prefix; /* DMTF class URIs (root/hardware namespace) */
    const char *fault_detail_prefix; /* "<prefix>ResourceNotFound" */
    const char *fault_action;    /* Action of wsman-level faults */
    /* Datetimes: a timestamp as xs:dateTime in <cim:datetime_element>, an
     * interval as xs:duration in <cim:interval_element>; either NULL means
     * the dialect writes that kind as a DMTF string in
     * <cim:dmtf_datetime_element> (also used for wildcard timestamps). */
    const char *datetime_element;      /* "Datetime", or NULL */
    const char *interval_element;      /* "Interval", or NULL */
    const char *dmtf_datetime_element; /* "CIM_DateTime" (DSP0230), "CIM_DateTimeString" */
    /* Discovery. */
    bool has_identify;        /* wsmid:Identify; else discovery by Get of this_uri */
    const char *this_uri;     /* MS-WSMAN "this" resource, or NULL */
    const char *ns_this;      /* its This{Vendor,Version} element */
    /* What the dialect can do with CIM resources. */
    const char *class_uri;    /* Get here (__cimnamespace, ClassName) for a CIM-XML CLASS, or NULL */
    bool can_create_delete;   /* Create and Delete of CIM instances */
    bool can_filter;          /* WQL / selector / association filters */
    bool can_optimize;        /* OptimizeEnumeration (items in EnumerateResponse) */
    bool has_enum_modes;      /* EnumerationMode (EPRs, objects and EPRs) */
    bool processes_options;   /* OptionSet, FragmentTransfer; else ignored unless mustUnderstand */
    bool appends_location;    /* answers' instances carry a cim:Location EPR */
    bool casts_to_base;       /* derived instances come back as the class asked for */
    bool uuid_message_ids;    /* MessageID must be uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx */
    /* How a server of this dialect words WMI's failures. */
    const char *provider_id;  /* ProviderFault providerId (MS-WSMAN <3>), or NULL: provider/path */
    bool wmi_error_detail;    /* an MSFT_WmiError instance in s:Detail (WinRM 3.0+) */
};

extern const struct wmgw_wsman_dialect wmgw_wsman_dialect_wsmv;
extern const struct wmgw_wsman_dialect wmgw_wsman_dialect_2003;

/* The dialect named s ("wsmv", "wsman2003"), or NULL. */
const struct wmgw_wsman_dialect *wmgw_wsman_dialect_find(const char *name);

/* True when ns is this dialect's wsman namespace (either accepted spelling). */
bool wmgw_wsman_dialect_is_wsman_ns(const struct wmgw_wsman_dialect *d, const char *ns);
/* True when ns is the namespace of the dialect's This element: ns_this, or
 * "/this" under the alternative wsman spelling. */
bool wmgw_wsman_dialect_is_this_ns(const struct wmgw_wsman_dialect *d, const char *ns);

#endif
