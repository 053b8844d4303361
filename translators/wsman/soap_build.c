/*
 * soap_build.c: request envelopes of the WS-Management translator
 * (design.md: "translators/X  Operation -> backend messages"; soap.h).
 *
 * One envelope shape for every request (protocol-notes §1.3): To,
 * ResourceURI, anonymous ReplyTo, Action, MessageID, MaxEnvelopeSize,
 * OperationTimeout, Locale, SelectorSet; then a body per kind.  Every value
 * a caller gave (namespace, keys, property values, WQL text, contexts) goes
 * through the XML escaper or the cimxml writers; names that become element
 * names (classes, methods, properties) must be plain CIM names, checked
 * here, because no escaping makes `<p:Na"me>` well-formed.
 *
 * Namespace URIs of the wsman and cim prefixes come from the dialect table,
 * and so does what may be sent at all (filters, OptimizeEnumeration,
 * EnumerationMode; Identify or a Get of the "this" resource).  MessageIDs
 * are always uuid: (what the 2003 R2 dialect requires, any dialect accepts).
 */
#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        int rc_ = (expr);                                                                                              \
        if (rc_ != 0)                                                                                                  \
            return rc_;                                                                                                \
    } while (0)

void wmgw_soap_message_id(char out[WMGW_SOAP_ID_LEN])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        /* Uniqueness, not secrecy, is what matters for a MessageID. */
        static unsigned long counter;
        unsigned long t = (unsigned long)time(NULL) ^ (++counter << 20);
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 41 + counter);
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(out, WMGW_SOAP_ID_LEN, "uuid:%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool wmgw_soap_name_ok(const char *s)
{
    if (s == NULL || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    size_t n = 0;
    for (; *s; s++, n++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return n <= 256;
}

static bool props_ok(const struct wmgw_cim_proplist *l, int depth);

/* Embedded objects become nested elements: their names must be names too. */
static bool value_ok(const struct wmgw_cim_value *v, int depth)
{
    if (v->null || WMGW_CIM_BASETYPE(v->type) != WMGW_CIM_OBJECT)
        return true;
    if (depth > WMGW_WSMAN_MAX_DEPTH)
        return false;
    size_t n = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.n : 1;
    for (size_t i = 0; i < n; i++) {
        const struct wmgw_cim_instance *o = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.v[i].u.obj : v->u.obj;
        if (o == NULL || !wmgw_soap_name_ok(o->class_name) || !props_ok(&o->props, depth + 1))
            return false;
    }
    return true;
}

static bool props_ok(const struct wmgw_cim_proplist *l, int depth)
{
    for (size_t i = 0; l != NULL && i < l->n; i++)
        if (!wmgw_soap_name_ok(l->items[i].name) || !value_ok(&l->items[i].value, depth))
            return false;
    return true;
}

static int add_escaped(struct wmgw_buf *out, const char *s)
{
    return wmgw_buf_addstr_xml(out, s ? s : "");
}

static int identify(struct wmgw_buf *out)
{
    return wmgw_buf_printf(out,
                           "<s:Envelope xmlns:s=\"%s\" xmlns:wsmid=\"%s\"><s:Header/><s:Body><wsmid:Identify/>"
                           "</s:Body></s:Envelope>",
                           WMGW_NS_SOAP, WMGW_NS_WSMID);
}

static const char *action_of(enum wmgw_soap_kind kind)
{
    switch (kind) {
    case WMGW_SOAP_IDENTIFY: /* only dialects without Identify get here: Get of "this" */
    case WMGW_SOAP_GET_CLASS:
    case WMGW_SOAP_GET: return WMGW_ACTION_GET;
    case WMGW_SOAP_PUT: return WMGW_ACTION_PUT;
    case WMGW_SOAP_CREATE: return WMGW_ACTION_CREATE;
    case WMGW_SOAP_DELETE: return WMGW_ACTION_DELETE;
    case WMGW_SOAP_ENUMERATE: return WMGW_ACTION_ENUMERATE;
    case WMGW_SOAP_PULL: return WMGW_ACTION_PULL;
    case WMGW_SOAP_RELEASE: return WMGW_ACTION_RELEASE;
    case WMGW_SOAP_INVOKE: return NULL; /* <ResourceURI>/<Method> */
    }
    return NULL;
}

static int header(struct wmgw_buf *out, const struct wmgw_soap_request *q, const char *uri)
{
    const struct wmgw_wsman_dialect *d = q->d;
    TRY(wmgw_buf_printf(out,
                        "<s:Envelope xmlns:s=\"%s\" xmlns:a=\"%s\" xmlns:w=\"%s\" xmlns:n=\"%s\" xmlns:x=\"%s\" "
                        "xmlns:xsi=\"%s\" xmlns:cim=\"%s\"><s:Header><a:To>",
                        WMGW_NS_SOAP, WMGW_NS_WSA, d->ns_wsman, WMGW_NS_WSEN, WMGW_NS_WST, WMGW_NS_XSI, d->ns_cim));
    TRY(add_escaped(out, q->to));
    TRY(wmgw_buf_addstr(out, "</a:To><w:ResourceURI s:mustUnderstand=\"true\">"));
    TRY(add_escaped(out, uri));
    TRY(wmgw_buf_addstr(out, "</w:ResourceURI><a:ReplyTo><a:Address s:mustUnderstand=\"true\">" WMGW_WSA_ANONYMOUS
                             "</a:Address></a:ReplyTo><a:Action s:mustUnderstand=\"true\">"));
    if (q->kind == WMGW_SOAP_INVOKE) {
        TRY(add_escaped(out, uri));
        TRY(wmgw_buf_addc(out, '/'));
        TRY(wmgw_buf_addstr(out, q->method)); /* a checked name */
    } else {
        TRY(wmgw_buf_addstr(out, action_of(q->kind)));
    }
    TRY(wmgw_buf_addstr(out, "</a:Action><a:MessageID>"));
    TRY(add_escaped(out, q->message_id));
    /* MaxEnvelopeSize below 8192 is an EncodingLimit fault (MS-WSMV
     * §3.1.4.1.20); the caller's limits are clamped rather than refused. */
    unsigned env = q->max_envelope < 8192 ? 8192 : q->max_envelope;
    unsigned ms = q->timeout_ms == 0 ? 60000 : q->timeout_ms;
    TRY(wmgw_buf_printf(out,
                        "</a:MessageID><w:MaxEnvelopeSize s:mustUnderstand=\"true\">%u</w:MaxEnvelopeSize>"
                        "<w:OperationTimeout>PT%u.%03uS</w:OperationTimeout>"
                        "<w:Locale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>",
                        env, ms / 1000, ms % 1000));
    if (q->selectors != NULL && q->selectors->n > 0)
        TRY(wmgw_wsman_write_selectors(out, d, q->selectors));
    return wmgw_buf_addstr(out, "</s:Header><s:Body>");
}

static int enumerate_body(struct wmgw_buf *out, const struct wmgw_soap_request *q)
{
    /* What the dialect cannot do is never sent: a 2003 R2 host faults on
     * any filter, and would ignore the rest (MS-WSMAN §3.1.4.1.13, .16, .17). */
    if (q->wql != NULL && !q->d->can_filter)
        return WMGW_EUNSUPPORTED;
    TRY(wmgw_buf_addstr(out, "<n:Enumerate>"));
    if (q->optimize && q->d->can_optimize)
        TRY(wmgw_buf_printf(out, "<w:OptimizeEnumeration/><w:MaxElements>%u</w:MaxElements>",
                            q->max_elements ? q->max_elements : 1));
    if (q->epr_only && q->d->has_enum_modes)
        TRY(wmgw_buf_addstr(out, "<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>"));
    if (q->wql != NULL) {
        TRY(wmgw_buf_addstr(out, "<w:Filter Dialect=\"" WMGW_FILTER_WQL "\">"));
        TRY(add_escaped(out, q->wql));
        TRY(wmgw_buf_addstr(out, "</w:Filter>"));
    }
    return wmgw_buf_addstr(out, "</n:Enumerate>");
}

static int context_body(struct wmgw_buf *out, const struct wmgw_soap_request *q, const char *elem)
{
    TRY(wmgw_buf_printf(out, "<n:%s><n:EnumerationContext>", elem));
    TRY(add_escaped(out, q->context));
    TRY(wmgw_buf_addstr(out, "</n:EnumerationContext>"));
    if (q->kind == WMGW_SOAP_PULL)
        TRY(wmgw_buf_printf(out, "<n:MaxElements>%u</n:MaxElements>", q->max_elements ? q->max_elements : 1));
    return wmgw_buf_printf(out, "</n:%s>", elem);
}

static int invoke_body(struct wmgw_buf *out, const struct wmgw_soap_request *q)
{
    /* <p:Method_INPUT xmlns:p="<ResourceURI>"> (MS-WSMV §4.1.4) */
    TRY(wmgw_buf_printf(out, "<p:%s_INPUT xmlns:p=\"", q->method));
    TRY(add_escaped(out, q->resource_uri));
    TRY(wmgw_buf_addstr(out, "\">"));
    if (q->params != NULL)
        TRY(wmgw_wsman_write_proplist(out, q->d, q->params, "p", WMGW_WSMAN_W_REQUEST));
    return wmgw_buf_printf(out, "</p:%s_INPUT>", q->method);
}

int wmgw_soap_build(struct wmgw_buf *out, const struct wmgw_soap_request *q)
{
    if (q->kind == WMGW_SOAP_IDENTIFY && q->d->has_identify)
        return identify(out);
    const char *uri = q->kind == WMGW_SOAP_IDENTIFY ? q->d->this_uri : q->resource_uri;
    if (uri == NULL || q->message_id == NULL)
        return WMGW_EINVAL;
    if (q->kind == WMGW_SOAP_INVOKE && !wmgw_soap_name_ok(q->method))
        return WMGW_EINVAL;
    if ((q->kind == WMGW_SOAP_PUT || q->kind == WMGW_SOAP_CREATE) &&
        (q->instance == NULL || !wmgw_soap_name_ok(q->instance->class_name) || !props_ok(&q->instance->props, 0)))
        return WMGW_EINVAL;
    if (q->kind == WMGW_SOAP_INVOKE && !props_ok(q->params, 0))
        return WMGW_EINVAL;
    if ((q->kind == WMGW_SOAP_PULL || q->kind == WMGW_SOAP_RELEASE) && q->context == NULL)
        return WMGW_EINVAL;
    TRY(header(out, q, uri));
    switch (q->kind) {
    case WMGW_SOAP_PUT:
    case WMGW_SOAP_CREATE:
        TRY(wmgw_wsman_write_instance(out, q->d, q->instance, q->cls, WMGW_WSMAN_W_REQUEST));
        break;
    case WMGW_SOAP_ENUMERATE:
        TRY(enumerate_body(out, q));
        break;
    case WMGW_SOAP_PULL:
        TRY(context_body(out, q, "Pull"));
        break;
    case WMGW_SOAP_RELEASE:
        TRY(context_body(out, q, "Release"));
        break;
    case WMGW_SOAP_INVOKE:
        TRY(invoke_body(out, q));
        break;
    default: /* Get, Delete, class Get: empty body */
        break;
    }
    return wmgw_buf_addstr(out, "</s:Body></s:Envelope>");
}
