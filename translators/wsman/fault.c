/*
 * fault.c: what went wrong on a WS-Management backend, in its own terms
 * and as a WMGW_E* code (design.md: "WS-Man faults and HRESULTs are
 * translated at the translator boundary"; soap.h).
 *
 * A SOAP 1.2 fault (MS-WSMV §2.2.4.43, protocol-notes §1.12, captures in
 * ../shared/captures/wsmv/faults) is read from its s:Fault subtree (small:
 * expanded on its own, never the envelope): Code/Subcode, Reason,
 * w:FaultDetail, f:WSManFault Code, the provider's nested message, and the
 * MSFT_WmiError (CIMStatusCode, error_Code) or __ExtendedStatus that newer
 * and older Windows add.  The mapping below is the one the gateway
 * documents to its users; HTTP statuses follow from util/err.h.
 *
 * Subcodes are matched by local name: real hosts and the specification use
 * undeclared or varying prefixes (`a:`, `w:`, `n:`, `wsman:`), and the names
 * do not collide across the WS-* namespaces.  The WSManFault and FaultDetail
 * namespaces are the dialect's (MS-WSMAN §4.3: the 2005/06 ones, with the
 * short `wsman:faultDetail/<X>` detail and a providerId on ProviderFault).
 */
#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Fault -> status (HTTP status via util/err.h):
 *
 * | backend says                                    | WMGW_E*      | HTTP |
 * |-------------------------------------------------|--------------|------|
 * | a:DestinationUnreachable, FaultDetail            | ENOTFOUND    | 404  |
 * |   .../ResourceNotFound                           |              |      |
 * | w:InvalidSelectors, n:CannotProcessFilter,       | EINVAL (*)   | 400  |
 * |   w:InvalidParameter, w:SchemaValidationError,   |              |      |
 * |   x:InvalidRepresentation                        |              |      |
 * | w:AccessDenied                                   | EACCES       | 403  |
 * | w:AlreadyExists                                  | EEXIST       | 409  |
 * | w:TimedOut                                       | ETIMEDOUT    | 504  |
 * | n:InvalidEnumerationContext                      | EGONE        | 410  |
 * | a:ActionNotSupported                             | ENOTALLOWED  | 405  |
 * | n:FilteringNotSupported,                         | EUNSUPPORTED | 501  |
 * |   n:FilterDialectRequestedUnavailable            |              |      |
 * | w:EncodingLimit                                  | EBACKEND     | 502  |
 * | w:QuotaLimit (too many operations for the user)  | ERETRY       | 503  |
 * | w:InternalError and any other fault              | EBACKEND (*) | 502  |
 * | HTTP 401 from the backend (credential rejected)  | EBACKEND     | 502  |
 * | HTTP 413 from the backend (request too large)    | ETOOBIG      | 413  |
 * | other HTTP status without a SOAP fault           | EBACKEND     | 502  |
 * | a reply that is not a well-formed SOAP envelope  | EPROTO       | 502  |
 * |   (garbage, truncated, wrong RelatesTo/Action,   |              |      |
 * |   larger than MaxEnvelopeSize allows)            |              |      |
 * | connection refused, reset or cut                 | ECONN        | 502  |
 * | no reply before the deadline (OperationTimeout   | ETIMEDOUT    | 504  |
 * |   plus a margin)                                 |              |      |
 *
 * (*) These subcodes are generic; when the fault carries WMI's own verdict
 * it decides instead: MSFT_WmiError CIMStatusCode 2 ACCESS_DENIED -> EACCES,
 * 3 INVALID_NAMESPACE / 5 INVALID_CLASS / 6 NOT_FOUND -> ENOTFOUND,
 * 11 ALREADY_EXISTS -> EEXIST, 7 NOT_SUPPORTED -> ENOTALLOWED; without a
 * CIMStatusCode, the WBEM HRESULT (MSFT_WmiError error_Code, a provider's
 * WSManFault Code or __ExtendedStatus StatusCode) of the same meanings
 * (0x80041003, 0x8004100E / 0x80041010 / 0x80041002, 0x80041019,
 * 0x8004100C) does.  The backend's own code, subcode, detail, WSManFault
 * Code, CIM status and HRESULT are all kept for problem+json.
 */
static const struct {
    const char *subcode; /* local name */
    int code;
    bool generic;        /* WMI's status may refine it */
} subcodes[] = {
    {"DestinationUnreachable", WMGW_ENOTFOUND, false},
    {"ResourceNotFound", WMGW_ENOTFOUND, false},
    {"InvalidSelectors", WMGW_EINVAL, true},
    {"CannotProcessFilter", WMGW_EINVAL, true},
    {"InvalidParameter", WMGW_EINVAL, true},
    {"SchemaValidationError", WMGW_EINVAL, true},
    {"InvalidRepresentation", WMGW_EINVAL, true},
    {"AccessDenied", WMGW_EACCES, false},
    {"AlreadyExists", WMGW_EEXIST, false},
    {"TimedOut", WMGW_ETIMEDOUT, false},
    {"InvalidEnumerationContext", WMGW_EGONE, false},
    {"ActionNotSupported", WMGW_ENOTALLOWED, false},
    /* A host that cannot filter at all (MS-WSMAN §3.1.4.1.13) or not so. */
    {"FilteringNotSupported", WMGW_EUNSUPPORTED, false},
    {"FilterDialectRequestedUnavailable", WMGW_EUNSUPPORTED, false},
    {"EncodingLimit", WMGW_EBACKEND, false},
    {"InternalError", WMGW_EBACKEND, true},
    /* The host's quota of shells or operations: try again later. */
    {"QuotaLimit", WMGW_ERETRY, false},
};

static int from_cim_status(unsigned s)
{
    switch (s) {
    case 2: return WMGW_EACCES;
    case 3: case 5: case 6: return WMGW_ENOTFOUND;
    case 7: return WMGW_ENOTALLOWED;
    case 11: return WMGW_EEXIST;
    default: return 0;
    }
}

static int from_hresult(uint32_t h)
{
    switch (h) {
    case 0x80041003u: return WMGW_EACCES;      /* WBEM_E_ACCESS_DENIED */
    case 0x8004100Eu:                          /* WBEM_E_INVALID_NAMESPACE */
    case 0x80041010u:                          /* WBEM_E_INVALID_CLASS */
    case 0x80041002u: return WMGW_ENOTFOUND;   /* WBEM_E_NOT_FOUND */
    case 0x80041019u: return WMGW_EEXIST;      /* WBEM_E_ALREADY_EXISTS */
    case 0x8004100Cu: return WMGW_ENOTALLOWED; /* WBEM_E_NOT_SUPPORTED */
    default: return 0;
    }
}

void wmgw_wsman_fault_map(struct wmgw_backend_error *e)
{
    const char *local = strrchr(e->fault_subcode, ':');
    local = local ? local + 1 : e->fault_subcode;
    int code = WMGW_EBACKEND;
    bool generic = true;
    for (size_t i = 0; i < sizeof(subcodes) / sizeof(subcodes[0]); i++) {
        if (strcasecmp(local, subcodes[i].subcode) == 0) {
            code = subcodes[i].code;
            generic = subcodes[i].generic;
            break;
        }
    }
    /* a:DestinationUnreachable is also how some hosts say "no such URI". */
    if (code == WMGW_EBACKEND && strstr(e->fault_detail, "ResourceNotFound") != NULL)
        code = WMGW_ENOTFOUND, generic = false;
    /* WinRM's quota faults (ERROR_WSMAN_QUOTA_MAX_SHELLS / _OPERATIONS /
     * _SHELLUSERS...) arrive as InternalError too: the caller may retry. */
    if (e->has_wsman_code && e->wsman_code >= 0x803381A3u && e->wsman_code <= 0x803381A8u)
        code = WMGW_ERETRY, generic = false;
    if (generic) {
        int refined = e->has_wmi ? from_cim_status(e->cim_status) : 0;
        if (refined == 0 && !(e->has_wmi && e->cim_status != 0))
            refined = from_hresult(e->hresult);
        if (refined != 0)
            code = refined;
    }
    e->code = code;
}

/* --- reading ------------------------------------------------------------------ */

static bool is_elem(xmlNodePtr n, const char *ns, const char *local)
{
    if (n == NULL || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, local) != 0)
        return false;
    if (ns == NULL)
        return true;
    return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

static xmlNodePtr child(xmlNodePtr n, const char *ns, const char *local)
{
    for (xmlNodePtr k = n ? n->children : NULL; k != NULL; k = k->next)
        if (is_elem(k, ns, local))
            return k;
    return NULL;
}

/* Appends text to dst (size bytes), collapsing whitespace runs to one
 * space: fault texts are often wrapped and indented. */
static void add_text(char *dst, size_t size, const char *s)
{
    size_t len = strlen(dst);
    bool space = len > 0 && dst[len - 1] == ' ';
    for (; s && *s && len + 1 < size; s++) {
        bool ws = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';
        if (ws) {
            if (!space && len > 0)
                dst[len++] = ' ';
            space = true;
        } else {
            dst[len++] = *s;
            space = false;
        }
    }
    dst[len] = '\0';
}

/* Drops a UTF-8 sequence left incomplete by truncation at the end of s. */
static void cut_utf8(char *s)
{
    size_t len = strlen(s), start = len;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80 && len - start < 3)
        start--;
    if (start == 0 || ((unsigned char)s[start - 1] & 0x80) == 0)
        return;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len - (start - 1) < need)
        s[start - 1] = '\0';
}

static void trim_end(char *s)
{
    cut_utf8(s);
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == ' ')
        s[--len] = '\0';
}

/* The whole text content of n (or only its own text nodes). */
static void text_of(xmlNodePtr n, char *dst, size_t size, bool own_only)
{
    dst[0] = '\0';
    if (n == NULL)
        return;
    if (own_only) {
        for (xmlNodePtr k = n->children; k != NULL; k = k->next)
            if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE)
                add_text(dst, size, (const char *)k->content);
    } else {
        xmlChar *c = xmlNodeGetContent(n);
        add_text(dst, size, (const char *)c);
        xmlFree(c);
    }
    trim_end(dst);
}

static bool parse_u32(const char *s, uint32_t *out)
{
    if (s == NULL)
        return false;
    while (*s == ' ')
        s++;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || v > 0xFFFFFFFFull || *s == '-')
        return false;
    while (*end == ' ')
        end++;
    if (*end != '\0')
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool attr_u32(xmlNodePtr n, const char *name, uint32_t *out)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    bool ok = parse_u32((const char *)v, out);
    xmlFree(v);
    return ok;
}

static bool nil(xmlNodePtr n)
{
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"nil", (const xmlChar *)WMGW_NS_XSI);
    bool yes = v != NULL && (strcmp((const char *)v, "true") == 0 || strcmp((const char *)v, "1") == 0);
    xmlFree(v);
    return yes;
}

/* A number held by child `local` (any namespace) of n. */
static bool child_u32(xmlNodePtr n, const char *local, uint32_t *out)
{
    xmlNodePtr c = child(n, NULL, local);
    if (c == NULL || nil(c))
        return false;
    char buf[64];
    text_of(c, buf, sizeof(buf), false);
    return parse_u32(buf, out);
}

struct found {
    char provider[512]; /* the innermost message a provider gave */
    char wsman[512];    /* the outer WSManFault's own message */
    char wmi[512];      /* MSFT_WmiError Message */
};

static void read_wmi_error(xmlNodePtr n, struct wmgw_backend_error *e, struct found *f)
{
    uint32_t v;
    e->has_wmi = true;
    if (child_u32(n, "CIMStatusCode", &v))
        e->cim_status = v;
    if (child_u32(n, "error_Code", &v))
        e->hresult = v;
    xmlNodePtr m = child(n, NULL, "Message");
    if (m != NULL && !nil(m))
        text_of(m, f->wmi, sizeof(f->wmi), false);
}

/* Walks an f:WSManFault (outer, or nested inside a ProviderFault). */
static void read_wsman_fault(xmlNodePtr wf, const char *ns_fault, struct wmgw_backend_error *e, struct found *f,
                             int depth)
{
    uint32_t code;
    if (depth > 8)
        return;
    if (depth == 0 && attr_u32(wf, "Code", &code)) {
        e->has_wsman_code = true;
        e->wsman_code = code;
    } else if (depth > 0 && attr_u32(wf, "Code", &code) && (code & 0xFFFF0000u) == 0x80040000u && e->hresult == 0) {
        e->hresult = code; /* a WBEM HRESULT from the provider */
    }
    xmlNodePtr msg = child(wf, ns_fault, "Message");
    if (msg == NULL)
        return;
    if (depth == 0)
        text_of(msg, f->wsman, sizeof(f->wsman), true);
    else if (f->provider[0] == '\0')
        text_of(msg, f->provider, sizeof(f->provider), true);
    for (xmlNodePtr pf = msg->children; pf != NULL; pf = pf->next) {
        if (!is_elem(pf, ns_fault, "ProviderFault"))
            continue;
        char own[512];
        text_of(pf, own, sizeof(own), true);
        if (own[0] != '\0' && f->provider[0] == '\0')
            snprintf(f->provider, sizeof(f->provider), "%s", own);
        for (xmlNodePtr k = pf->children; k != NULL; k = k->next) {
            if (is_elem(k, ns_fault, "WSManFault")) {
                read_wsman_fault(k, ns_fault, e, f, depth + 1);
            } else if (is_elem(k, ns_fault, "ExtendedError")) {
                for (xmlNodePtr x = k->children; x != NULL; x = x->next) {
                    uint32_t sc;
                    if (is_elem(x, NULL, "MSFT_WmiError"))
                        read_wmi_error(x, e, f);
                    else if (x->type == XML_ELEMENT_NODE && child_u32(x, "StatusCode", &sc) && e->hresult == 0)
                        e->hresult = sc; /* __ExtendedStatus */
                }
            }
        }
    }
}

static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    cut_utf8(dst);
}

int wmgw_wsman_fault_read(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, struct wmgw_backend_error *e,
                          struct wmgw_err *err)
{
    xmlNodePtr fault = xmlTextReaderExpand(r);
    if (fault == NULL)
        return wmgw_err_set(err, WMGW_EPROTO, "malformed SOAP fault");
    struct found f = {{0}};
    char buf[512];
    xmlNodePtr code = child(fault, WMGW_NS_SOAP, "Code");
    text_of(child(code, WMGW_NS_SOAP, "Value"), buf, sizeof(buf), false);
    copy_field(e->fault_code, sizeof(e->fault_code), buf);
    text_of(child(child(code, WMGW_NS_SOAP, "Subcode"), WMGW_NS_SOAP, "Value"), buf, sizeof(buf), false);
    copy_field(e->fault_subcode, sizeof(e->fault_subcode), buf);
    char reason[512];
    text_of(child(child(fault, WMGW_NS_SOAP, "Reason"), WMGW_NS_SOAP, "Text"), reason, sizeof(reason), false);
    xmlNodePtr detail = child(fault, WMGW_NS_SOAP, "Detail");
    for (xmlNodePtr k = detail ? detail->children : NULL; k != NULL; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        const char *kns = k->ns && k->ns->href ? (const char *)k->ns->href : NULL;
        if (strcmp((const char *)k->name, "FaultDetail") == 0 && wmgw_wsman_dialect_is_wsman_ns(d, kns)) {
            text_of(k, buf, sizeof(buf), false);
            copy_field(e->fault_detail, sizeof(e->fault_detail), buf);
        } else if (is_elem(k, d->ns_fault, "WSManFault")) {
            read_wsman_fault(k, d->ns_fault, e, &f, 0);
        } else if (is_elem(k, NULL, "MSFT_WmiError")) {
            read_wmi_error(k, e, &f);
        }
    }
    /* The most specific text wins: the provider's, WMI's, WinRM's, the Reason. */
    const char *msg = f.provider[0] ? f.provider : f.wmi[0] ? f.wmi : f.wsman[0] ? f.wsman : reason;
    copy_field(e->message, sizeof(e->message), msg[0] ? msg : "the backend reported a SOAP fault without text");
    if (e->fault_code[0] == '\0')
        return wmgw_err_set(err, WMGW_EPROTO, "SOAP fault without a Code");
    wmgw_wsman_fault_map(e);
    return 0;
}

int wmgw_wsman_http_error(struct wmgw_backend_error *e, int transport_err, const char *detail, int http_status,
                          const char *parse_message)
{
    int status = e->http_status;
    memset(e, 0, sizeof(*e));
    e->http_status = transport_err ? 0 : (http_status ? http_status : status);
    const char *why = detail && *detail ? detail : "";
    switch (transport_err) {
    case 0:
        break;
    case WMGW_ECONN:
        return wmgw_backend_error_set(e, WMGW_ECONN, "cannot reach the backend%s%s", *why ? ": " : "", why);
    case WMGW_ETIMEDOUT:
        return wmgw_backend_error_set(e, WMGW_ETIMEDOUT, "the backend did not answer in time%s%s", *why ? ": " : "",
                                      why);
    case WMGW_ETOOBIG:
        return wmgw_backend_error_set(e, WMGW_EPROTO, "the backend's reply is larger than MaxEnvelopeSize allows");
    case WMGW_EPROTO:
        return wmgw_backend_error_set(e, WMGW_EPROTO, "the backend does not speak HTTP%s%s", *why ? ": " : "", why);
    default:
        return wmgw_backend_error_set(e, WMGW_EBACKEND, "backend exchange failed (%s)%s%s",
                                      wmgw_err_name(transport_err), *why ? ": " : "", why);
    }
    int code;
    if (http_status == 401)
        code = wmgw_backend_error_set(e, WMGW_EBACKEND,
                                      "the backend rejected the gateway's credential for this host (HTTP 401)");
    else if (http_status == 413)
        code = wmgw_backend_error_set(e, WMGW_ETOOBIG, "the backend refused the request as too large (HTTP 413)");
    else if (http_status >= 200 && http_status < 300)
        code = wmgw_backend_error_set(e, WMGW_EPROTO, "malformed reply from the backend: %s",
                                      parse_message && *parse_message ? parse_message : "not a SOAP envelope");
    else
        code = wmgw_backend_error_set(e, WMGW_EBACKEND, "the backend answered HTTP %d without a SOAP fault%s%s",
                                      http_status, parse_message && *parse_message ? ": " : "",
                                      parse_message ? parse_message : "");
    e->http_status = http_status;
    return code;
}
