/*
 * soap_read.c: response envelopes of the WS-Management translator
 * (design.md: "reply -> translators/X decode -> cim model"; soap.h).
 *
 * One envelope (one HTTP body, bounded by MaxEnvelopeSize) is read with a
 * streaming xmlTextReader straight into CIM values: instances, references,
 * out-parameters, a class, or a fault.  An enumeration's items of one
 * envelope are collected here and handed to the sink by wsman.c only after
 * the whole envelope proved well-formed, so a reply cut or garbled halfway
 * delivers nothing of itself (never a partial instance, never a partial
 * batch); memory is one envelope's worth, whatever the enumeration's size.
 *
 * Strict where it matters: SOAP 1.2 envelope, no DTD, RelatesTo must name
 * our MessageID and Action must be the expected response (both when
 * present: other headers are optional), one body element of the expected
 * kind.  Anything else is WMGW_EPROTO.
 */
#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADER_TEXT 4096 /* Action, RelatesTo, contexts, identity fields */

struct rd {
    xmlTextReaderPtr r;
    struct wmgw_soap_response *resp;
    struct wmgw_err *err;
};

static void quiet(void *arg, xmlErrorPtr e)
{
    (void)arg;
    (void)e; /* malformed input is reported as EPROTO, not on stderr */
}

xmlTextReaderPtr wmgw_soap_reader(const char *data, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    xmlTextReaderPtr r = xmlReaderForMemory(data, (int)len, NULL, NULL, XML_PARSE_NONET);
    if (r != NULL)
        xmlTextReaderSetStructuredErrorHandler(r, quiet, NULL);
    return r;
}

void wmgw_soap_response_dispose(struct wmgw_soap_response *r)
{
    wmgw_cim_class_free(r->klass);
    wmgw_cim_instance_unref(r->instance);
    wmgw_cim_ref_free(r->ref);
    wmgw_cim_proplist_dispose(&r->output);
    free(r->context);
    for (size_t i = 0; i < r->nitems; i++) {
        wmgw_cim_instance_unref(r->items[i].inst);
        wmgw_cim_ref_free(r->items[i].ref);
    }
    free(r->items);
    r->klass = NULL;
    r->instance = NULL;
    r->ref = NULL;
    r->context = NULL;
    r->items = NULL;
    r->nitems = 0;
}

static int proto(struct rd *c, const char *what)
{
    return wmgw_err_set(c->err, WMGW_EPROTO, "%s", what);
}

/* Turns a codec error (EINVAL with a message) into a protocol error. */
static int bad_value(struct rd *c, int rc)
{
    if (rc == WMGW_ENOMEM)
        return rc;
    char msg[sizeof(c->err->message)];
    snprintf(msg, sizeof(msg), "%s", c->err && c->err->message[0] ? c->err->message : "malformed value");
    return wmgw_err_set(c->err, WMGW_EPROTO, "malformed item: %s", msg);
}

static int text(struct rd *c, char **out)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, MAX_HEADER_TEXT);
    int rc = wmgw_xmlr_text(c->r, &b, WMGW_XMLR_TRIM);
    if (rc != 0) {
        wmgw_buf_dispose(&b);
        return proto(c, rc == WMGW_ETOOBIG ? "header or context text too long" : "unexpected markup in a text field");
    }
    *out = wmgw_buf_steal(&b, NULL);
    return *out ? 0 : WMGW_ENOMEM;
}

static int text_into(struct rd *c, char *dst, size_t size)
{
    char *t;
    int rc = text(c, &t);
    if (rc == 0) {
        snprintf(dst, size, "%s", t);
        free(t);
    }
    return rc;
}

static bool is_wsman(struct rd *c, const char *local)
{
    const char *ns = (const char *)xmlTextReaderConstNamespaceUri(c->r);
    const char *l = (const char *)xmlTextReaderConstLocalName(c->r);
    return l && strcmp(l, local) == 0 && wmgw_wsman_dialect_is_wsman_ns(c->resp->d, ns);
}

/* Classes for typing: the request's own class first, then the gateway's. */
static const struct wmgw_cim_class *lookup(void *ctx, const char *ns, const char *class_name)
{
    const struct wmgw_soap_response *r = ctx;
    if (r->cls != NULL && class_name != NULL && strcasecmp(r->cls->name, class_name) == 0)
        return r->cls;
    return r->lookup ? r->lookup(r->lookup_ctx, ns, class_name) : NULL;
}

/* --- headers --------------------------------------------------------------------- */

static int read_headers(struct rd *c, char **action, char **relates_to)
{
    if (xmlTextReaderIsEmptyElement(c->r))
        return 0;
    int depth = xmlTextReaderDepth(c->r), rc;
    while ((rc = wmgw_xmlr_next_child(c->r, depth)) == 1) {
        char **slot = NULL;
        if (wmgw_xmlr_is(c->r, WMGW_NS_WSA, "Action"))
            slot = action;
        else if (wmgw_xmlr_is(c->r, WMGW_NS_WSA, "RelatesTo"))
            slot = relates_to;
        if (slot != NULL) {
            free(*slot);
            *slot = NULL;
            if ((rc = text(c, slot)) != 0)
                return rc;
        } else if (wmgw_xmlr_skip(c->r) != 0) {
            return proto(c, "malformed SOAP header");
        }
    }
    return rc < 0 ? proto(c, "malformed SOAP header") : 0;
}

/* --- bodies ---------------------------------------------------------------------- */

static int read_identity(struct rd *c)
{
    struct wmgw_soap_response *r = c->resp;
    const struct wmgw_wsman_dialect *d = r->d;
    const char *local = (const char *)xmlTextReaderConstLocalName(c->r);
    bool ok = d->has_identify ? (wmgw_xmlr_is(c->r, WMGW_NS_WSMID, "IdentifyResponse") ||
                                 wmgw_xmlr_is(c->r, WMGW_NS_WSMID_MISPRINT, "IdentifyResponse"))
                              : (strcmp(local, "This") == 0 &&
                                 wmgw_wsman_dialect_is_this_ns(d, (const char *)xmlTextReaderConstNamespaceUri(c->r)));
    if (!ok)
        return proto(c, d->has_identify ? "expected an IdentifyResponse" : "expected a This element");
    r->identity.protocol = d->id == WMGW_WSMAN_2003 ? WMGW_PROTO_WSMAN2003 : WMGW_PROTO_WSMV;
    /* This has no ProtocolVersion: the dialect's namespace names it, as
     * ProtocolVersion does in an IdentifyResponse. */
    if (!d->has_identify)
        snprintf(r->identity.protocol_version, sizeof(r->identity.protocol_version), "%s", d->ns_wsman);
    if (xmlTextReaderIsEmptyElement(c->r))
        return 0;
    int depth = xmlTextReaderDepth(c->r), rc;
    while ((rc = wmgw_xmlr_next_child(c->r, depth)) == 1) {
        const char *l = (const char *)xmlTextReaderConstLocalName(c->r);
        char *dst = NULL;
        size_t size = 0;
        if (strcmp(l, "ProductVendor") == 0 || strcmp(l, "Vendor") == 0)
            dst = r->identity.vendor, size = sizeof(r->identity.vendor);
        else if (strcmp(l, "ProductVersion") == 0 || strcmp(l, "Version") == 0)
            dst = r->identity.version, size = sizeof(r->identity.version);
        else if (strcmp(l, "ProtocolVersion") == 0)
            dst = r->identity.protocol_version, size = sizeof(r->identity.protocol_version);
        if (dst != NULL)
            rc = text_into(c, dst, size);
        else
            rc = wmgw_xmlr_skip(c->r) == 0 ? 0 : proto(c, "malformed IdentifyResponse");
        if (rc != 0)
            return rc;
    }
    return rc < 0 ? proto(c, "malformed IdentifyResponse") : 0;
}

/* The declarations of a projection's properties, or none (untyped) when
 * one of them is not in the class (system properties such as __PATH). */
static size_t fragment_decls(const struct wmgw_soap_response *r, struct wmgw_cim_propdecl *decls)
{
    if (r->cls == NULL || r->select == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nselect; i++) {
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(r->cls, r->select[i]);
        if (d == NULL)
            return 0;
        decls[n++] = *d; /* shallow: borrowed for the read only */
    }
    return n;
}

static int read_fragment(struct rd *c, struct wmgw_cim_instance **out)
{
    struct wmgw_soap_response *r = c->resp;
    const char *cls = r->fragment_class ? r->fragment_class : r->cls ? r->cls->name : "XmlFragment";
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new(cls, r->ns);
    struct wmgw_cim_propdecl *decls = calloc(r->nselect ? r->nselect : 1, sizeof(*decls));
    int rc = inst && decls ? 0 : WMGW_ENOMEM;
    if (rc == 0) {
        size_t n = fragment_decls(r, decls);
        rc = wmgw_wsman_read_proplist(c->r, r->d, decls, n, lookup, r, r->ns, &inst->props, c->err);
        if (rc == 0)
            rc = wmgw_wsman_complete_arrays(decls, n, &inst->props);
    }
    free(decls);
    if (rc != 0) {
        wmgw_cim_instance_unref(inst);
        return bad_value(c, rc);
    }
    *out = inst;
    return 0;
}

static int read_one_instance(struct rd *c, struct wmgw_cim_instance **out)
{
    if (is_wsman(c, "XmlFragment"))
        return read_fragment(c, out);
    int rc = wmgw_wsman_read_instance(c->r, c->resp->d, c->resp->ns, lookup, c->resp, out, c->err);
    if (rc == 0) {
        /* WinRM leaves NULL arrays out: every declared one is there, NULL. */
        const struct wmgw_cim_class *cls = lookup(c->resp, (*out)->namespace_, (*out)->class_name);
        if (cls != NULL)
            rc = wmgw_wsman_complete_arrays(cls->props, cls->nprops, &(*out)->props);
    }
    return rc == 0 ? 0 : bad_value(c, rc);
}

static int read_item(struct rd *c, struct wmgw_soap_item *it)
{
    int rc;
    if (wmgw_xmlr_is(c->r, WMGW_NS_WSA, "EndpointReference")) {
        rc = wmgw_wsman_read_epr(c->r, c->resp->d, &it->ref, c->err);
        return rc == 0 ? 0 : bad_value(c, rc);
    }
    if (!is_wsman(c, "Item"))
        return read_one_instance(c, &it->inst);
    /* EnumerateObjectAndEPR: w:Item { instance, a:EndpointReference }. */
    if (xmlTextReaderIsEmptyElement(c->r))
        return proto(c, "empty w:Item");
    int depth = xmlTextReaderDepth(c->r);
    while ((rc = wmgw_xmlr_next_child(c->r, depth)) == 1) {
        if (wmgw_xmlr_is(c->r, WMGW_NS_WSA, "EndpointReference") && it->ref == NULL)
            rc = wmgw_wsman_read_epr(c->r, c->resp->d, &it->ref, c->err);
        else if (it->inst == NULL)
            rc = read_one_instance(c, &it->inst);
        else
            rc = proto(c, "unexpected element in w:Item");
        if (rc != 0)
            return rc < 0 && rc != WMGW_EPROTO ? bad_value(c, rc) : rc;
    }
    return rc < 0 ? proto(c, "malformed w:Item") : 0;
}

static int read_items(struct rd *c)
{
    struct wmgw_soap_response *r = c->resp;
    if (xmlTextReaderIsEmptyElement(c->r))
        return 0;
    int depth = xmlTextReaderDepth(c->r), rc;
    while ((rc = wmgw_xmlr_next_child(c->r, depth)) == 1) {
        struct wmgw_soap_item *items = realloc(r->items, (r->nitems + 1) * sizeof(*items));
        if (items == NULL)
            return WMGW_ENOMEM;
        r->items = items;
        struct wmgw_soap_item *it = &items[r->nitems];
        memset(it, 0, sizeof(*it));
        r->nitems++;
        if ((rc = read_item(c, it)) != 0)
            return rc;
    }
    return rc < 0 ? proto(c, "malformed Items") : 0;
}

static int read_enumeration(struct rd *c, const char *elem)
{
    struct wmgw_soap_response *r = c->resp;
    if (!wmgw_xmlr_is(c->r, WMGW_NS_WSEN, elem))
        return proto(c, r->kind == WMGW_SOAP_PULL ? "expected a PullResponse" : "expected an EnumerateResponse");
    if (xmlTextReaderIsEmptyElement(c->r))
        return 0;
    int depth = xmlTextReaderDepth(c->r), rc;
    bool seen_items = false;
    while ((rc = wmgw_xmlr_next_child(c->r, depth)) == 1) {
        /* EnumerateResponse carries w:Items / w:EndOfSequence, PullResponse
         * n:Items / n:EndOfSequence (protocol-notes §7.12): accept both. */
        bool wsen = wmgw_xmlr_is(c->r, WMGW_NS_WSEN, "EnumerationContext");
        if (wsen) {
            free(r->context);
            r->context = NULL;
            if ((rc = text(c, &r->context)) != 0)
                return rc;
            if (r->context[0] == '\0') { /* empty: WinRM's "all delivered" */
                free(r->context);
                r->context = NULL;
            }
        } else if (wmgw_xmlr_is(c->r, WMGW_NS_WSEN, "Items") || is_wsman(c, "Items")) {
            if (seen_items)
                return proto(c, "two Items elements");
            seen_items = true;
            if ((rc = read_items(c)) != 0)
                return rc;
        } else if (wmgw_xmlr_is(c->r, WMGW_NS_WSEN, "EndOfSequence") || is_wsman(c, "EndOfSequence")) {
            r->end_of_sequence = true;
            if (wmgw_xmlr_skip(c->r) != 0)
                return proto(c, "malformed EndOfSequence");
        } else if (wmgw_xmlr_skip(c->r) != 0) { /* TotalItemsCountEstimate, ... */
            return proto(c, "malformed enumeration response");
        }
    }
    return rc < 0 ? proto(c, "malformed enumeration response") : 0;
}

static int read_output(struct rd *c)
{
    struct wmgw_soap_response *r = c->resp;
    const struct wmgw_cim_method *m = r->method;
    const char *l = (const char *)xmlTextReaderConstLocalName(c->r);
    size_t ll = strlen(l);
    if (ll < 7 || strcmp(l + ll - 7, "_OUTPUT") != 0 || (m && (ll - 7 != strlen(m->name) ||
                                                               strncasecmp(l, m->name, ll - 7) != 0)))
        return proto(c, "expected the method's _OUTPUT element");
    size_t n = 0;
    struct wmgw_cim_propdecl *decls = calloc((m ? m->nparams : 0) + 1, sizeof(*decls));
    if (decls == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; m && i < m->nparams; i++)
        if (m->params[i].flags & WMGW_CIM_Q_OUT)
            decls[n++] = m->params[i];
    if (m && m->return_type != WMGW_CIM_NONE) {
        decls[n].name = (char *)"ReturnValue";
        decls[n].type = m->return_type;
        n++;
    }
    /* Untyped when the method is unknown: every value a string. */
    int rc = wmgw_wsman_read_proplist(c->r, r->d, decls, m ? n : 0, lookup, r, r->ns, &r->output, c->err);
    if (rc == 0 && m != NULL)
        rc = wmgw_wsman_complete_arrays(decls, n, &r->output);
    free(decls);
    return rc == 0 ? 0 : bad_value(c, rc);
}

static int read_body_element(struct rd *c)
{
    struct wmgw_soap_response *r = c->resp;
    int rc;
    switch (r->kind) {
    case WMGW_SOAP_IDENTIFY:
        return read_identity(c);
    case WMGW_SOAP_GET_CLASS:
        rc = wmgw_wsman_read_class(c->r, r->ns, &r->klass, c->err);
        if (rc == 0 && wmgw_xmlr_skip(c->r) != 0)
            rc = proto(c, "malformed CLASS");
        return rc == 0 || rc == WMGW_ENOMEM ? rc : WMGW_EPROTO;
    case WMGW_SOAP_GET:
    case WMGW_SOAP_PUT:
        return read_one_instance(c, &r->instance);
    case WMGW_SOAP_CREATE:
        if (!wmgw_xmlr_is(c->r, WMGW_NS_WST, "ResourceCreated"))
            return proto(c, "expected x:ResourceCreated");
        rc = wmgw_wsman_read_epr(c->r, r->d, &r->ref, c->err);
        return rc == 0 ? 0 : bad_value(c, rc);
    case WMGW_SOAP_ENUMERATE:
        return read_enumeration(c, "EnumerateResponse");
    case WMGW_SOAP_PULL:
        return read_enumeration(c, "PullResponse");
    case WMGW_SOAP_INVOKE:
        return read_output(c);
    case WMGW_SOAP_DELETE:
    case WMGW_SOAP_RELEASE:
        return wmgw_xmlr_skip(c->r) == 0 ? 0 : proto(c, "malformed body"); /* nothing expected */
    }
    return proto(c, "unexpected body");
}

static int read_body(struct rd *c)
{
    struct wmgw_soap_response *r = c->resp;
    if (xmlTextReaderIsEmptyElement(c->r))
        goto empty;
    int depth = xmlTextReaderDepth(c->r);
    int rc = wmgw_xmlr_next_child(c->r, depth);
    if (rc < 0)
        return proto(c, "malformed SOAP body");
    if (rc == 0)
        goto empty;
    if (wmgw_xmlr_is(c->r, WMGW_NS_SOAP, "Fault")) {
        r->fault = true;
        rc = wmgw_wsman_fault_read(c->r, r->d, &r->error, c->err);
        if (rc != 0)
            return rc;
        if (wmgw_xmlr_skip(c->r) != 0)
            return proto(c, "malformed SOAP fault");
    } else if ((rc = read_body_element(c)) != 0) {
        return rc;
    }
    /* Exactly one body element. */
    rc = wmgw_xmlr_next_child(c->r, depth);
    return rc == 0 ? 0 : proto(c, rc < 0 ? "malformed SOAP body" : "more than one element in the SOAP body");
empty:
    if (r->kind == WMGW_SOAP_DELETE || r->kind == WMGW_SOAP_RELEASE)
        return 0;
    return proto(c, "empty SOAP body");
}

int wmgw_soap_read(const char *data, size_t len, struct wmgw_soap_response *r, struct wmgw_err *err)
{
    struct wmgw_err local;
    if (err == NULL)
        err = &local;
    wmgw_err_clear(err);
    r->fault = false;
    r->end_of_sequence = false;
    memset(&r->error, 0, sizeof(r->error));
    memset(&r->identity, 0, sizeof(r->identity));
    memset(&r->output, 0, sizeof(r->output));
    r->klass = NULL;
    r->instance = NULL;
    r->ref = NULL;
    r->context = NULL;
    r->items = NULL;
    r->nitems = 0;
    xmlTextReaderPtr reader = wmgw_soap_reader(data, len);
    if (reader == NULL)
        return wmgw_err_set(err, WMGW_EPROTO, "cannot read the reply");
    struct rd c = {reader, r, err};
    char *action = NULL, *relates_to = NULL;
    int rc;
    /* The root element; a DOCTYPE is refused (no entity games). */
    while ((rc = xmlTextReaderRead(reader)) == 1 && xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT)
        if (xmlTextReaderNodeType(reader) == XML_READER_TYPE_DOCUMENT_TYPE)
            break;
    if (rc != 1 || !wmgw_xmlr_is(reader, WMGW_NS_SOAP, "Envelope")) {
        rc = proto(&c, "not a SOAP 1.2 envelope");
        goto out;
    }
    int env = xmlTextReaderDepth(reader);
    bool body = false, header = false;
    while (!body && (rc = wmgw_xmlr_next_child(reader, env)) == 1) {
        if (!header && wmgw_xmlr_is(reader, WMGW_NS_SOAP, "Header")) {
            header = true;
            if ((rc = read_headers(&c, &action, &relates_to)) != 0)
                goto out;
            if (relates_to != NULL && r->message_id != NULL && strcmp(relates_to, r->message_id) != 0) {
                rc = wmgw_err_set(err, WMGW_EPROTO, "the reply relates to another request (%.80s)", relates_to);
                goto out;
            }
        } else if (wmgw_xmlr_is(reader, WMGW_NS_SOAP, "Body")) {
            body = true;
            if ((rc = read_body(&c)) != 0)
                goto out;
        } else {
            rc = proto(&c, "unexpected element in the SOAP envelope");
            goto out;
        }
    }
    if (rc < 0 || !body) {
        rc = proto(&c, body ? "malformed SOAP envelope" : "SOAP envelope without a body");
        goto out;
    }
    /* The rest must close the envelope cleanly: nothing is delivered from
     * an envelope that turns out truncated or garbled at its end. */
    if (wmgw_xmlr_next_child(reader, env) != 0) {
        rc = proto(&c, "malformed SOAP envelope");
        goto out;
    }
    while ((rc = xmlTextReaderRead(reader)) == 1)
        if (xmlTextReaderNodeType(reader) == XML_READER_TYPE_ELEMENT)
            break;
    if (rc != 0) {
        rc = proto(&c, "malformed SOAP envelope");
        goto out;
    }
    if (!r->fault && action != NULL && r->expect_action != NULL && strcasecmp(action, r->expect_action) != 0) {
        rc = wmgw_err_set(err, WMGW_EPROTO, "unexpected reply Action %.120s", action);
        goto out;
    }
    rc = 0;
out:
    free(action);
    free(relates_to);
    xmlFreeTextReader(reader);
    if (rc != 0)
        wmgw_soap_response_dispose(r);
    return rc;
}
