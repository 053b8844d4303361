/*
 * fault.h: SOAP faults as WinRM sends them (MS-WSMV §2.2.4.43, §4.10;
 * protocol-notes §1.12; real examples in ../shared/captures/wsmv/faults).
 *
 * One table row per kind of failure: SOAP code and subcode, the fault
 * Action, the FaultDetail URI, the WSManFault Code (a Win32 error or
 * HRESULT), the text, and for failures that come from WMI the CIM status
 * and HRESULT of the MSFT_WmiError that newer Windows adds.  The host's
 * dialect row gives the namespaces, the FaultDetail prefix, the Action of
 * wsman-level faults and the shape of a provider's fault (MS-WSMAN §4.3
 * for the 2003 R2 one).
 */
#ifndef WMSIM_FAULT_H
#define WMSIM_FAULT_H

struct sim_ctx;

enum sim_fault_kind {
    SIM_FAULT_ACCESS_DENIED,
    SIM_FAULT_NO_INSTANCE,
    SIM_FAULT_NO_CLASS,
    SIM_FAULT_NO_NAMESPACE,
    SIM_FAULT_BAD_RESOURCE_URI,
    SIM_FAULT_INSUFFICIENT_SELECTORS,
    SIM_FAULT_UNEXPECTED_SELECTORS,
    SIM_FAULT_INVALID_SELECTOR_VALUE,
    SIM_FAULT_DUPLICATE_SELECTORS,
    SIM_FAULT_CANNOT_PROCESS_FILTER,
    SIM_FAULT_CANNOT_PROCESS_FRAGMENT,
    SIM_FAULT_FILTER_DIALECT_UNAVAILABLE,
    SIM_FAULT_FILTERING_NOT_SUPPORTED,
    SIM_FAULT_INVALID_ENUMERATION_CONTEXT,
    SIM_FAULT_ENCODING_LIMIT,
    SIM_FAULT_TIMED_OUT,
    SIM_FAULT_ALREADY_EXISTS,
    SIM_FAULT_ACTION_NOT_SUPPORTED,
    SIM_FAULT_INVALID_HEADER,
    SIM_FAULT_HEADER_REQUIRED,
    SIM_FAULT_UNSUPPORTED_FEATURE,
    SIM_FAULT_SCHEMA_VALIDATION,
    SIM_FAULT_INVALID_PARAMETER,
    SIM_FAULT_INVALID_PROPERTY,
    SIM_FAULT_METHOD_NOT_IMPLEMENTED,
    SIM_FAULT_MUST_UNDERSTAND,
    SIM_FAULT_INTERNAL_ERROR,
    SIM_FAULT_QUOTA_LIMIT,
    SIM_FAULT_NOT_SUPPORTED,
    SIM_FAULT_CREATE_DELETE_UNSUPPORTED, /* a dialect without Create/Delete of CIM instances */
    SIM_FAULT_KIND_COUNT
};

/* Writes the fault envelope into ctx->out, sets HTTP 500, returns -1 so
 * operations can `return sim_fault(...)`.  detail_uri overrides the row's
 * FaultDetail (e.g. .../faultDetail/AddressingMode); message, when not
 * NULL, is the provider's own text (WSManFault Message / WMI Message). */
int sim_fault(struct sim_ctx *ctx, enum sim_fault_kind kind, const char *detail, const char *message);

/* The kind named s ("AccessDenied", "TimedOut", ... as the control
 * interface spells them), or -1. */
int sim_fault_kind_parse(const char *s);
const char *sim_fault_kind_name(enum sim_fault_kind kind);

#endif
