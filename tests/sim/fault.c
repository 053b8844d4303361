/*
 * fault.c: the fault table and the writer of fault envelopes (fault.h).
 *
 * Shape, as in real captures: HTTP 500; s:Code/s:Value + s:Subcode; a
 * Reason ending in ". "; s:Detail holding an optional w:FaultDetail URI, an
 * f:WSManFault with the Win32/HRESULT Code and the host in Machine (its
 * Message wrapped in f:ProviderFault when WMI raised it), and for WMI
 * errors a p:MSFT_WmiError instance (CIMStatusCode, MessageID, error_Code).
 * A 2003 R2 host (MS-WSMAN §4.3) writes the 2005/06 namespaces, the short
 * `wsman:faultDetail/<X>`, the WS-Addressing fault Action, a ProviderFault
 * naming its provider by providerId, and no MSFT_WmiError.
 */
#include "tests/sim/fault.h"
#include "tests/sim/envelope.h"
#include "tests/sim/host.h"
#include "tests/sim/request.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Stands for the dialect's fault_action. */
#define WSMAN_FAULT_ACTION "wsman-fault"
#define ENUM_FAULT_ACTION WMGW_NS_WSEN "/fault"

struct fault_row {
    const char *name;     /* as the control interface spells it */
    const char *action;
    const char *code;     /* s:Sender, s:Receiver, s:MustUnderstand */
    const char *subcode;  /* prefixed with a, w or n; NULL for none */
    const char *detail;   /* FaultDetail suffix, or NULL */
    unsigned wsman_code;  /* WSManFault Code */
    const char *reason;
    unsigned cim_status;  /* MSFT_WmiError CIMStatusCode; 0: not a WMI error */
    unsigned hresult;     /* MSFT_WmiError error_Code */
    const char *provider; /* WMI's own text (provider fault, MSFT_WmiError) when the
                           * Reason is WinRM's text for wsman_code; NULL: the Reason */
};

/* WinRM's text for ERROR_WSMAN_RESOURCE_NOT_FOUND (MS-WSMV 4.10). */
#define RESOURCE_NOT_FOUND_TEXT                                                                                     \
    "The WS-Management service cannot process the request. The service cannot find the resource identified by "  \
    "the resource URI and selectors. "

static const struct fault_row rows[SIM_FAULT_KIND_COUNT] = {
    [SIM_FAULT_ACCESS_DENIED] = {"AccessDenied", WSMAN_FAULT_ACTION, "s:Sender", "w:AccessDenied", NULL, 5,
                                 "Access is denied. ", 2, 0x80041003},
    [SIM_FAULT_NO_INSTANCE] = {"NoInstance", WMGW_WSA_FAULT_ACTION, "s:Sender", "a:DestinationUnreachable",
                               "ResourceNotFound", 2150858752u,
                               "The WS-Management service cannot process the request. The service cannot find the "
                               "resource identified by the resource URI and selectors. ",
                               6, 0x80338000},
    /* An unknown class or namespace is, to WinRM, a resource it cannot
     * find; WMI's reason travels in the provider fault (MS-WSMV 4.10;
     * capture winrb-soap-fault-v2 for WMI's text). */
    [SIM_FAULT_NO_CLASS] = {"NoClass", WMGW_WSA_FAULT_ACTION, "s:Sender", "a:DestinationUnreachable",
                            "ResourceNotFound", 2150858752u, RESOURCE_NOT_FOUND_TEXT, 5, 0x80041010,
                            "The specified class does not exist in the given namespace. "},
    [SIM_FAULT_NO_NAMESPACE] = {"NoNamespace", WMGW_WSA_FAULT_ACTION, "s:Sender", "a:DestinationUnreachable",
                                "ResourceNotFound", 2150858752u, RESOURCE_NOT_FOUND_TEXT, 3, 0x8004100E,
                                "The WMI namespace is invalid. "},
    [SIM_FAULT_BAD_RESOURCE_URI] = {"BadResourceUri", WMGW_WSA_FAULT_ACTION, "s:Sender", "a:DestinationUnreachable",
                                    "InvalidResourceURI", 2150858754u,
                                    "The WS-Management service cannot process the request because the resource URI "
                                    "is invalid. ",
                                    0, 0},
    [SIM_FAULT_INSUFFICIENT_SELECTORS] = {"InsufficientSelectors", WSMAN_FAULT_ACTION, "s:Sender",
                                          "w:InvalidSelectors", "InsufficientSelectors", 2150858842u,
                                          "The WS-Management service cannot process the request because the request "
                                          "contained invalid selectors for the resource. ",
                                          0, 0},
    [SIM_FAULT_UNEXPECTED_SELECTORS] = {"UnexpectedSelectors", WSMAN_FAULT_ACTION, "s:Sender", "w:InvalidSelectors",
                                        "UnexpectedSelectors", 2150858843u,
                                        "The WS-Management service cannot process the request because the request "
                                        "contained invalid selectors for the resource. ",
                                        0, 0},
    [SIM_FAULT_INVALID_SELECTOR_VALUE] = {"InvalidSelectorValue", WSMAN_FAULT_ACTION, "s:Sender",
                                          "w:InvalidSelectors", "InvalidValue", 2150858845u,
                                          "The WS-Management service cannot process the request because the request "
                                          "contained invalid selectors for the resource. ",
                                          0, 0},
    [SIM_FAULT_DUPLICATE_SELECTORS] = {"DuplicateSelectors", WSMAN_FAULT_ACTION, "s:Sender", "w:InvalidSelectors",
                                       "DuplicateSelectors", 2150858844u,
                                       "The WS-Management service cannot process the request because the request "
                                       "contained invalid selectors for the resource. ",
                                       0, 0},
    [SIM_FAULT_CANNOT_PROCESS_FILTER] = {"CannotProcessFilter", ENUM_FAULT_ACTION, "s:Sender",
                                         "n:CannotProcessFilter", NULL, 2150858778u,
                                         "The data source could not process the filter. The filter might be missing "
                                         "or it might be invalid. Change the filter and try the request again.  ",
                                         15, 0x80041017},
    /* A FragmentTransfer expression WinRM cannot apply: the same error,
     * as a wsman fault (MS-WSMV <65>, <66>; protocol-notes 1.7). */
    [SIM_FAULT_CANNOT_PROCESS_FRAGMENT] = {"CannotProcessFragment", WSMAN_FAULT_ACTION, "s:Sender",
                                           "w:CannotProcessFilter", NULL, 2150858778u,
                                           "The data source could not process the filter. The filter might be "
                                           "missing or it might be invalid. Change the filter and try the request "
                                           "again.  ",
                                           0, 0},
    [SIM_FAULT_FILTER_DIALECT_UNAVAILABLE] = {"FilterDialectRequestedUnavailable", ENUM_FAULT_ACTION, "s:Sender",
                                              "n:FilterDialectRequestedUnavailable", NULL, 2150858776u,
                                              "The filter dialect (the type of filter, such as WQL or selector "
                                              "filter) is not supported for this resource. ",
                                              0, 0},
    [SIM_FAULT_FILTERING_NOT_SUPPORTED] = {"FilteringNotSupported", ENUM_FAULT_ACTION, "s:Sender",
                                           "n:FilteringNotSupported", NULL, 2150858777u,
                                           "Filtering over the enumeration is not supported for this resource. ", 0,
                                           0},
    [SIM_FAULT_INVALID_ENUMERATION_CONTEXT] = {"InvalidEnumerationContext", ENUM_FAULT_ACTION, "s:Receiver",
                                               "n:InvalidEnumerationContext", NULL, 2150858779u,
                                               "The enumeration context supplied in the message is not valid. This "
                                               "can be caused by an expired enumeration context or by supplying the "
                                               "same enumeration context twice in a Pull request. ",
                                               0, 0},
    [SIM_FAULT_ENCODING_LIMIT] = {"EncodingLimit", WSMAN_FAULT_ACTION, "s:Sender", "w:EncodingLimit", NULL,
                                  2150858805u,
                                  "The WS-Management service cannot process the request because the response would "
                                  "exceed the maximum envelope size or an encoding limit. ",
                                  0, 0},
    [SIM_FAULT_TIMED_OUT] = {"TimedOut", WSMAN_FAULT_ACTION, "s:Receiver", "w:TimedOut", NULL, 2150858793u,
                             "The WS-Management service cannot complete the operation within the time specified in "
                             "OperationTimeout.  ",
                             0, 0},
    [SIM_FAULT_ALREADY_EXISTS] = {"AlreadyExists", WSMAN_FAULT_ACTION, "s:Sender", "w:AlreadyExists", NULL,
                                  2150858795u,
                                  "The WS-Management service cannot create the resource because it already exists. ",
                                  11, 0x80041019},
    [SIM_FAULT_ACTION_NOT_SUPPORTED] = {"ActionNotSupported", WMGW_WSA_FAULT_ACTION, "s:Sender",
                                        "a:ActionNotSupported", "ActionMismatch", 2150858753u,
                                        "The action is not supported by the service. ", 0, 0},
    [SIM_FAULT_INVALID_HEADER] = {"InvalidMessageInformationHeader", WMGW_WSA_FAULT_ACTION, "s:Sender",
                                  "a:InvalidMessageInformationHeader", NULL, 2150858767u,
                                  "The WS-Management service cannot process the request. The request contains one "
                                  "or more invalid SOAP headers. ",
                                  0, 0},
    [SIM_FAULT_HEADER_REQUIRED] = {"MessageInformationHeaderRequired", WMGW_WSA_FAULT_ACTION, "s:Sender",
                                   "a:MessageInformationHeaderRequired", NULL, 2150858768u,
                                   "The WS-Management service cannot process the request because a required header "
                                   "is missing. ",
                                   0, 0},
    [SIM_FAULT_UNSUPPORTED_FEATURE] = {"UnsupportedFeature", WSMAN_FAULT_ACTION, "s:Sender", "w:UnsupportedFeature",
                                       NULL, 2150858818u,
                                       "The WS-Management service does not support the request. ", 0, 0},
    [SIM_FAULT_SCHEMA_VALIDATION] = {"SchemaValidationError", WSMAN_FAULT_ACTION, "s:Sender",
                                     "w:SchemaValidationError", NULL, 2150858817u,
                                     "The SOAP XML in the message does not match the corresponding XML schema "
                                     "definition. Change the XML and retry. ",
                                     0, 0},
    [SIM_FAULT_INVALID_PARAMETER] = {"InvalidParameter", WSMAN_FAULT_ACTION, "s:Sender", "w:InvalidParameter", NULL,
                                     2150858817u, "The parameter is incorrect. ", 4, 0x80041008},
    [SIM_FAULT_INVALID_PROPERTY] = {"InvalidProperty", WSMAN_FAULT_ACTION, "s:Sender", "w:InvalidParameter", NULL,
                                    2150858817u,
                                    "The WS-Management service cannot process the request because a property is "
                                    "not valid for this class or cannot be written. ",
                                    12, 0x80041031},
    [SIM_FAULT_METHOD_NOT_IMPLEMENTED] = {"MethodNotImplemented", WSMAN_FAULT_ACTION, "s:Receiver",
                                          "w:InternalError", NULL, 2150858752u,
                                          "The method is not implemented by this provider. ", 16, 0x80041055},
    [SIM_FAULT_MUST_UNDERSTAND] = {"MustUnderstand", WSMAN_FAULT_ACTION, "s:MustUnderstand", NULL, NULL, 2150858767u,
                                   "The WS-Management service cannot process a SOAP header in the request that is "
                                   "marked as mustUnderstand by the client. ",
                                   0, 0},
    [SIM_FAULT_INTERNAL_ERROR] = {"InternalError", WSMAN_FAULT_ACTION, "s:Receiver", "w:InternalError", NULL,
                                  2150858755u, "The WS-Management service encountered an internal error. ", 1,
                                  0x80041001},
    /* Too many concurrent operations: a WinRM (not WMI) error, sent as an
     * internal error (capture txwinrm-max-concurrent-operations). */
    [SIM_FAULT_QUOTA_LIMIT] = {"QuotaLimit", WSMAN_FAULT_ACTION, "s:Receiver", "w:InternalError", NULL, 2150859174u,
                               "The WS-Management service cannot process the request. The maximum number of "
                               "concurrent operations for this user has been exceeded. Close existing operations "
                               "for this user, or raise the quota for this user. ",
                               0, 0},
    [SIM_FAULT_NOT_SUPPORTED] = {"NotSupported", WSMAN_FAULT_ACTION, "s:Sender", "w:ActionNotSupported", NULL,
                                 2150858753u, "The WMI provider does not support this operation for this class. ",
                                 7, 0x80041024},
    /* MS-WSMAN <2> names no fault; an action the service does not support
     * for the resource is WS-Addressing's ActionNotSupported (DSP0226). */
    [SIM_FAULT_CREATE_DELETE_UNSUPPORTED] = {"CreateDeleteUnsupported", WMGW_WSA_FAULT_ACTION, "s:Sender",
                                             "a:ActionNotSupported", NULL, 2150858753u,
                                             "The action is not supported by the service. ", 0, 0,
                                             "The WS-Management service does not support the creation or deletion "
                                             "of CIM instances. "},
};

int sim_fault_kind_parse(const char *s)
{
    for (int i = 0; i < SIM_FAULT_KIND_COUNT; i++)
        if (rows[i].name != NULL && strcasecmp(rows[i].name, s) == 0)
            return i;
    return -1;
}

const char *sim_fault_kind_name(enum sim_fault_kind kind)
{
    return kind < SIM_FAULT_KIND_COUNT ? rows[kind].name : "?";
}

/* The MSFT_WmiError instance of WinRM 3.0+ (captures: winrb wmi_error_v2):
 * every property of the class, in its order (upper case names first), each
 * typed with xsi:type, the unset ones nil. */
static int write_wmi_error(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const struct fault_row *f,
                           const char *message)
{
    int rc = wmgw_buf_printf(out,
                             "<p:MSFT_WmiError b:IsCIM_Error=\"true\" xmlns:b=\"%s\" xmlns:cim=\"%s\" "
                             "xmlns:p=\"%sMSFT_WmiError\" xmlns:xsi=\"%s\" xsi:type=\"p:MSFT_WmiError_Type\">"
                             "<p:CIMStatusCode xsi:type=\"cim:cimUnsignedInt\">%u</p:CIMStatusCode>"
                             "<p:CIMStatusCodeDescription xsi:nil=\"true\" xsi:type=\"cim:cimString\"/>"
                             "<p:ErrorSource xsi:nil=\"true\" xsi:type=\"cim:cimString\"/>"
                             "<p:ErrorSourceFormat xsi:type=\"cim:cimUnsignedShort\">0</p:ErrorSourceFormat>"
                             "<p:ErrorType xsi:type=\"cim:cimUnsignedShort\">0</p:ErrorType>"
                             "<p:Message xsi:type=\"cim:cimString\">",
                             WMGW_NS_WSMB, d->ns_cim, d->dmtf_uri_prefix, WMGW_NS_XSI, f->cim_status);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, message);
    if (rc == 0)
        rc = wmgw_buf_printf(out,
                             "</p:Message><p:MessageID xsi:type=\"cim:cimString\">HRESULT 0x%08x</p:MessageID>"
                             "<p:OtherErrorSourceFormat xsi:nil=\"true\" xsi:type=\"cim:cimString\"/>"
                             "<p:OtherErrorType xsi:nil=\"true\" xsi:type=\"cim:cimString\"/>"
                             "<p:OwningEntity xsi:nil=\"true\" xsi:type=\"cim:cimString\"/>"
                             "<p:PerceivedSeverity xsi:type=\"cim:cimUnsignedShort\">0</p:PerceivedSeverity>"
                             "<p:ProbableCause xsi:type=\"cim:cimUnsignedShort\">0</p:ProbableCause>"
                             "<p:ProbableCauseDescription xsi:nil=\"true\" xsi:type=\"cim:cimString\"/>"
                             "<p:error_Category xsi:type=\"cim:cimUnsignedInt\">30</p:error_Category>"
                             "<p:error_Code xsi:type=\"cim:cimUnsignedInt\">%u</p:error_Code>"
                             "<p:error_Type xsi:type=\"cim:cimString\">HRESULT</p:error_Type>"
                             "<p:error_WindowsErrorMessage xsi:type=\"cim:cimString\">",
                             f->hresult, f->hresult);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, message);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</p:error_WindowsErrorMessage></p:MSFT_WmiError>");
    return rc;
}

static int write_fault(struct sim_ctx *ctx, const struct fault_row *f, const char *detail, const char *message)
{
    struct wmgw_buf *out = &ctx->out;
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    const char *text = message ? message : f->provider ? f->provider : f->reason;
    int rc = sim_envelope_begin(ctx, strcmp(f->action, WSMAN_FAULT_ACTION) == 0 ? d->fault_action : f->action);
    if (rc == 0)
        rc = wmgw_buf_printf(out, "<s:Fault><s:Code><s:Value>%s</s:Value>", f->code);
    if (rc == 0 && f->subcode != NULL)
        rc = wmgw_buf_printf(out, "<s:Subcode><s:Value>%s</s:Value></s:Subcode>", f->subcode);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</s:Code><s:Reason><s:Text xml:lang=\"en-US\">");
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, f->reason);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</s:Text></s:Reason><s:Detail>");
    if (rc == 0 && (detail || f->detail))
        rc = wmgw_buf_printf(out, "<w:FaultDetail>%s%s</w:FaultDetail>", d->fault_detail_prefix,
                             detail ? detail : f->detail);
    if (rc == 0)
        rc = wmgw_buf_printf(out, "<f:WSManFault xmlns:f=\"%s\" Code=\"%u\" Machine=\"", d->ns_fault, f->wsman_code);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, ctx->host->address);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\"><f:Message>");
    if (rc == 0 && f->cim_status != 0) {
        /* WMI's errors reach WinRM through its WMI plugin, named by path
         * (WinRM 2.0+) or by the CIM provider's GUID (MS-WSMAN <3>). */
        if (d->provider_id != NULL)
            rc = wmgw_buf_printf(out, "<f:ProviderFault providerId=\"%s\">", d->provider_id);
        else
            rc = wmgw_buf_addstr(out, "<f:ProviderFault provider=\"WMI Provider\" "
                                      "path=\"%systemroot%\\system32\\WsmWmiPl.dll\">");
        if (rc == 0)
            rc = wmgw_buf_printf(out, "<f:WSManFault xmlns:f=\"%s\" Code=\"%u\" Machine=\"", d->ns_fault,
                                 f->wsman_code);
        if (rc == 0)
            rc = wmgw_buf_addstr_xml(out, ctx->host->name);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "\"><f:Message>");
        if (rc == 0)
            rc = wmgw_buf_addstr_xml(out, text);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "</f:Message></f:WSManFault></f:ProviderFault>");
    } else if (rc == 0) {
        rc = wmgw_buf_addstr_xml(out, text);
    }
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</f:Message></f:WSManFault>");
    if (rc == 0 && f->cim_status != 0 && d->wmi_error_detail)
        rc = write_wmi_error(out, d, f, text);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</s:Detail></s:Fault>");
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    return rc;
}

int sim_fault(struct sim_ctx *ctx, enum sim_fault_kind kind, const char *detail, const char *message)
{
    const struct fault_row *f = &rows[kind < SIM_FAULT_KIND_COUNT ? kind : SIM_FAULT_INTERNAL_ERROR];
    char mu[320];
    if (kind == SIM_FAULT_MUST_UNDERSTAND && message != NULL) {
        /* For mustUnderstand the message names the header. */
        snprintf(mu, sizeof(mu), "%sThe header is %.60s. ", f->reason, message);
        message = mu;
    }
    ctx->faulted = true;
    ctx->fault_kind = (int)kind;
    if (ctx->dcom)
        return -1; /* the DCOM front answers in HRESULTs and counts its own faults */
    wmgw_buf_reset(&ctx->out);
    ctx->http_status = 500;
    ctx->host->counters.faults++;
    if (write_fault(ctx, f, detail, message) != 0) {
        /* Out of room or memory: a minimal fault still tells the client. */
        wmgw_buf_reset(&ctx->out);
        wmgw_buf_printf(&ctx->out,
                        "<s:Envelope xmlns:s=\"%s\"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code>"
                        "<s:Reason><s:Text xml:lang=\"en-US\">internal error</s:Text></s:Reason></s:Fault></s:Body>"
                        "</s:Envelope>",
                        WMGW_NS_SOAP);
    }
    return -1;
}
