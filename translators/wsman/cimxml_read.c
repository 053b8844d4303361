/*
 * cimxml_read.c: WS-Management XML to CIM values, on a streaming
 * xmlTextReader (cimxml.h).  Used by the gateway's translator on responses
 * and by the simulator on requests.
 *
 * Every text is bounded by WMGW_WSMAN_MAX_TEXT and nesting by
 * WMGW_WSMAN_MAX_DEPTH; a malformed value fails with WMGW_EINVAL naming
 * the property, never with a partial instance.
 */
#include "translators/wsman/cimxml.h"
#include "cim/datetime.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- reader helpers ------------------------------------------------------ */

bool wmgw_xmlr_is(xmlTextReaderPtr r, const char *ns, const char *local)
{
    const char *l = (const char *)xmlTextReaderConstLocalName(r);
    const char *n = (const char *)xmlTextReaderConstNamespaceUri(r);
    if (l == NULL || strcmp(l, local) != 0)
        return false;
    if (ns == NULL)
        return n == NULL;
    return n != NULL && strcmp(n, ns) == 0;
}

char *wmgw_xmlr_attr(xmlTextReaderPtr r, const char *local, const char *ns)
{
    xmlChar *v = ns ? xmlTextReaderGetAttributeNs(r, (const xmlChar *)local, (const xmlChar *)ns)
                    : xmlTextReaderGetAttribute(r, (const xmlChar *)local);
    if (v == NULL)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

bool wmgw_xmlr_is_nil(xmlTextReaderPtr r)
{
    char *v = wmgw_xmlr_attr(r, "nil", WMGW_NS_XSI);
    bool nil = v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    free(v);
    return nil;
}

int wmgw_xmlr_skip(xmlTextReaderPtr r)
{
    if (xmlTextReaderIsEmptyElement(r))
        return 0;
    int depth = xmlTextReaderDepth(r);
    for (;;) {
        int rc = xmlTextReaderRead(r);
        if (rc != 1)
            return WMGW_EINVAL;
        if (xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(r) == depth)
            return 0;
    }
}

int wmgw_xmlr_next_child(xmlTextReaderPtr r, int parent_depth)
{
    for (;;) {
        int rc = xmlTextReaderRead(r);
        if (rc != 1)
            return WMGW_EINVAL;
        int type = xmlTextReaderNodeType(r);
        int depth = xmlTextReaderDepth(r);
        if (type == XML_READER_TYPE_ELEMENT && depth == parent_depth + 1)
            return 1;
        if (type == XML_READER_TYPE_END_ELEMENT && depth == parent_depth)
            return 0;
        if (type == XML_READER_TYPE_ELEMENT && depth > parent_depth + 1)
            return WMGW_EINVAL; /* cannot happen when callers finish each child */
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int wmgw_xmlr_text(xmlTextReaderPtr r, struct wmgw_buf *out, int flags)
{
    size_t start = out->len;
    if (!xmlTextReaderIsEmptyElement(r)) {
        int depth = xmlTextReaderDepth(r);
        for (;;) {
            if (xmlTextReaderRead(r) != 1)
                return WMGW_EINVAL;
            int type = xmlTextReaderNodeType(r);
            if (type == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(r) == depth)
                break;
            if (type == XML_READER_TYPE_ELEMENT) {
                if (!(flags & WMGW_XMLR_CHILDREN))
                    return WMGW_EINVAL;
                int rc = wmgw_xmlr_skip(r);
                if (rc != 0)
                    return rc;
            } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                       type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
                const char *v = (const char *)xmlTextReaderConstValue(r);
                int rc = wmgw_buf_addstr(out, v ? v : "");
                if (rc != 0)
                    return rc;
            }
        }
    }
    if (!(flags & WMGW_XMLR_TRIM))
        return 0;
    size_t len = out->len;
    while (len > start && is_space(out->data[len - 1]))
        len--;
    size_t lead = start;
    while (lead < len && is_space(out->data[lead]))
        lead++;
    if (out->data != NULL) {
        memmove(out->data + start, out->data + lead, len - lead);
        out->len = start + (len - lead);
        out->data[out->len] = '\0';
    }
    return 0;
}

/* --- resource URIs -------------------------------------------------------- */

int wmgw_wsman_parse_resource_uri(const struct wmgw_wsman_dialect *d, const char *uri, const char *dmtf_ns,
                                  char **ns, char **class_name)
{
    *ns = *class_name = NULL;
    size_t plen = strlen(d->wmi_uri_prefix);
    const char *rest;
    if (strncasecmp(uri, d->wmi_uri_prefix, plen) == 0) {
        rest = uri + plen;
        const char *slash = strrchr(rest, '/');
        if (slash == NULL || slash == rest || slash[1] == '\0')
            return WMGW_ENOTFOUND;
        *ns = strndup(rest, (size_t)(slash - rest));
        *class_name = strdup(slash + 1);
    } else if (strncasecmp(uri, d->dmtf_uri_prefix, strlen(d->dmtf_uri_prefix)) == 0) {
        rest = uri + strlen(d->dmtf_uri_prefix);
        if (*rest == '\0' || strchr(rest, '/') != NULL)
            return WMGW_ENOTFOUND;
        *ns = wmgw_cim_namespace_normalize(dmtf_ns ? dmtf_ns : "root/cimv2");
        *class_name = strdup(rest);
    } else {
        return WMGW_ENOTFOUND;
    }
    if (*ns == NULL || *class_name == NULL) {
        free(*ns);
        free(*class_name);
        *ns = *class_name = NULL;
        return WMGW_ENOMEM;
    }
    return 0;
}

/* --- values ------------------------------------------------------------- */

struct readctx {
    xmlTextReaderPtr r;
    const struct wmgw_wsman_dialect *d;
    wmgw_wsman_class_fn lookup;
    void *ctx;
    struct wmgw_err *err;
};

static int read_instance_elem(struct readctx *c, const char *class_name, const char *ns, int depth,
                              struct wmgw_cim_instance **out);

static int fail(struct readctx *c, const char *what, const char *name)
{
    return wmgw_err_set(c->err, WMGW_EINVAL, "%s: %s", name ? name : "(element)", what);
}

/* The class named by xsi:type="pfx:Class_Type", resolving pfx to find the
 * class's namespace. */
static int xsi_type_class(struct readctx *c, char **ns, char **class_name)
{
    *ns = *class_name = NULL;
    char *t = wmgw_xmlr_attr(c->r, "type", WMGW_NS_XSI);
    if (t == NULL)
        return WMGW_ENOTFOUND;
    char *colon = strchr(t, ':');
    const char *local = colon ? colon + 1 : t;
    size_t len = strlen(local);
    if (len > 5 && strcmp(local + len - 5, "_Type") == 0)
        len -= 5;
    *class_name = strndup(local, len);
    if (colon != NULL) {
        *colon = '\0';
        xmlChar *uri = xmlTextReaderLookupNamespace(c->r, (const xmlChar *)t);
        if (uri != NULL) {
            char *cls = NULL;
            if (wmgw_wsman_parse_resource_uri(c->d, (const char *)uri, NULL, ns, &cls) == 0)
                free(cls);
            xmlFree(uri);
        }
    }
    free(t);
    return *class_name ? 0 : WMGW_ENOMEM;
}

static int read_datetime(struct readctx *c, const char *name, struct wmgw_cim_value *v)
{
    struct wmgw_buf text;
    wmgw_buf_init(&text, WMGW_WSMAN_MAX_TEXT);
    int rc = 0;
    if (!xmlTextReaderIsEmptyElement(c->r)) {
        int depth = xmlTextReaderDepth(c->r);
        /* Either a cim:Datetime / cim:Interval / cim:CIM_DateTime child or bare text. */
        for (;;) {
            if (xmlTextReaderRead(c->r) != 1) {
                rc = fail(c, "truncated datetime", name);
                break;
            }
            int type = xmlTextReaderNodeType(c->r);
            if (type == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(c->r) == depth)
                break;
            if (type == XML_READER_TYPE_ELEMENT) {
                if ((rc = wmgw_xmlr_text(c->r, &text, 0)) != 0)
                    break;
            } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
                if ((rc = wmgw_buf_addstr(&text, (const char *)xmlTextReaderConstValue(c->r))) != 0)
                    break;
            }
        }
    }
    if (rc == 0) {
        const char *s = text.data ? text.data : "";
        while (is_space(*s))
            s++;
        size_t len = strlen(s);
        while (len > 0 && is_space(s[len - 1]))
            len--;
        char dmtf[WMGW_CIM_DMTF_LEN + 1];
        rc = wmgw_cim_datetime_parse(s, len, dmtf, NULL);
        if (rc != 0)
            rc = fail(c, "not a datetime", name);
        else if ((v->u.str = strdup(dmtf)) == NULL)
            rc = WMGW_ENOMEM;
    }
    wmgw_buf_dispose(&text);
    return rc;
}

/* Reads one element's content as a scalar of base type `type`. */
static int read_scalar(struct readctx *c, const char *name, uint16_t type, const char *ref_class, const char *ns,
                       int depth, struct wmgw_cim_value *v)
{
    wmgw_cim_value_init_null(v, type);
    int rc;
    switch (type) {
    case WMGW_CIM_REFERENCE: {
        struct wmgw_cim_ref *ref = NULL;
        if ((rc = wmgw_wsman_read_epr(c->r, c->d, &ref, c->err)) != 0)
            return rc;
        v->u.ref = ref;
        break;
    }
    case WMGW_CIM_OBJECT: {
        char *ons = NULL, *ocls = NULL;
        if (xsi_type_class(c, &ons, &ocls) != 0 && ref_class != NULL)
            ocls = strdup(ref_class);
        if (ocls == NULL) {
            free(ons);
            return fail(c, "embedded object without a class", name);
        }
        struct wmgw_cim_instance *obj = NULL;
        rc = read_instance_elem(c, ocls, ons ? ons : ns, depth + 1, &obj);
        free(ons);
        free(ocls);
        if (rc != 0)
            return rc;
        v->u.obj = obj;
        break;
    }
    case WMGW_CIM_DATETIME:
        if ((rc = read_datetime(c, name, v)) != 0)
            return rc;
        break;
    default: {
        struct wmgw_buf text;
        wmgw_buf_init(&text, WMGW_WSMAN_MAX_TEXT);
        /* Strings keep their exact content; other types are trimmed. */
        rc = wmgw_xmlr_text(c->r, &text, type == WMGW_CIM_STRING || type == WMGW_CIM_CHAR16 ? 0 : WMGW_XMLR_TRIM);
        if (rc == 0) {
            rc = wmgw_cim_value_from_text(v, type, text.data ? text.data : "", text.len);
            if (rc != 0)
                rc = wmgw_err_set(c->err, WMGW_EINVAL, "%s: \"%.60s\" is not a valid %s", name,
                                  text.data ? text.data : "", wmgw_cim_type_name(type));
        } else {
            rc = fail(c, rc == WMGW_ETOOBIG ? "text too long" : "unexpected markup", name);
        }
        wmgw_buf_dispose(&text);
        if (rc != 0)
            return rc;
        break;
    }
    }
    v->null = false;
    return 0;
}

/* The element names a datetime travels in (a w:XmlFragment writes them
 * unqualified). */
static bool datetime_name(const struct wmgw_wsman_dialect *d, const char *local)
{
    const char *names[] = {d->datetime_element, d->interval_element, d->dmtf_datetime_element};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i] != NULL && strcmp(local, names[i]) == 0)
            return true;
    return false;
}

/* Without a schema: a reference if it holds an EPR, an embedded object if
 * it has xsi:type, a datetime if it holds cim:Datetime (or the fragment's
 * unqualified <Datetime>), else a string. */
static uint16_t guess_type(struct readctx *c)
{
    char *t = wmgw_xmlr_attr(c->r, "type", WMGW_NS_XSI);
    if (t != NULL) {
        size_t len = strlen(t);
        bool obj = len > 5 && strcmp(t + len - 5, "_Type") == 0;
        free(t);
        if (obj)
            return WMGW_CIM_OBJECT;
    }
    /* Peeking at children needs the subtree; the expanded node is cheap for
     * one property and leaves the reader where it was. */
    xmlNodePtr n = xmlTextReaderExpand(c->r);
    if (n != NULL) {
        for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
            if (k->type != XML_ELEMENT_NODE)
                continue;
            const char *kns = k->ns ? (const char *)k->ns->href : NULL;
            if (kns && strcmp(kns, WMGW_NS_WSA) == 0)
                return WMGW_CIM_REFERENCE;
            if ((kns && strcmp(kns, c->d->ns_cim) == 0) || (kns == NULL && datetime_name(c->d, (const char *)k->name)))
                return WMGW_CIM_DATETIME;
        }
    }
    return WMGW_CIM_STRING;
}

/* Appends elem to the array in v (which has array type). */
static int array_append(struct wmgw_cim_value *v, struct wmgw_cim_value *elem)
{
    size_t n = v->null ? 0 : v->u.arr.n;
    struct wmgw_cim_value *arr = realloc(v->null ? NULL : v->u.arr.v, (n + 1) * sizeof(*arr));
    if (arr == NULL)
        return WMGW_ENOMEM;
    arr[n] = *elem;
    v->u.arr.v = arr;
    v->u.arr.n = n + 1;
    v->null = false;
    return 0;
}

/* Reads the property element under the reader into list l. */
static int read_property(struct readctx *c, const struct wmgw_cim_propdecl *decl, const char *ns, int depth,
                         struct wmgw_cim_proplist *l)
{
    const char *local = (const char *)xmlTextReaderConstLocalName(c->r);
    const char *name = decl ? decl->name : local;
    bool nil = wmgw_xmlr_is_nil(c->r);
    uint16_t type = decl ? decl->type : WMGW_CIM_NONE;
    struct wmgw_cim_prop *p = wmgw_cim_proplist_find(l, name);

    if (decl == NULL) {
        type = nil ? WMGW_CIM_STRING : guess_type(c);
        if (p != NULL && !WMGW_CIM_IS_ARRAY(p->value.type)) {
            /* A repeated element: the property is an array after all. */
            struct wmgw_cim_value first = p->value;
            wmgw_cim_value_init_null(&p->value, first.type | WMGW_CIM_ARRAY);
            if (!first.null && array_append(&p->value, &first) != 0)
                return WMGW_ENOMEM;
        }
    }
    if (p == NULL && (p = wmgw_cim_proplist_add(l, name, type)) == NULL)
        return WMGW_ENOMEM;

    if (nil) {
        /* A nil element is the whole (array) value being NULL. */
        wmgw_cim_value_dispose(&p->value);
        return wmgw_xmlr_skip(c->r);
    }
    struct wmgw_cim_value elem;
    int rc = read_scalar(c, name, WMGW_CIM_BASETYPE(type), decl ? decl->ref_class : NULL, ns, depth, &elem);
    if (rc != 0)
        return rc;
    if (WMGW_CIM_IS_ARRAY(p->value.type)) {
        rc = array_append(&p->value, &elem);
        if (rc != 0)
            wmgw_cim_value_dispose(&elem);
        return rc;
    }
    wmgw_cim_value_dispose(&p->value);
    p->value = elem;
    return 0;
}

int wmgw_wsman_complete_arrays(const struct wmgw_cim_propdecl *decls, size_t n, struct wmgw_cim_proplist *l)
{
    for (size_t i = 0; i < n; i++) {
        if (!WMGW_CIM_IS_ARRAY(decls[i].type) || wmgw_cim_proplist_find(l, decls[i].name) != NULL)
            continue;
        if (wmgw_cim_proplist_add(l, decls[i].name, decls[i].type) == NULL)
            return WMGW_ENOMEM;
    }
    return 0;
}

static int read_children(struct readctx *c, const struct wmgw_cim_propdecl *decls, size_t ndecls, const char *ns,
                         int depth, struct wmgw_cim_proplist *l)
{
    if (depth > WMGW_WSMAN_MAX_DEPTH)
        return wmgw_err_set(c->err, WMGW_ETOOBIG, "objects nested deeper than %d", WMGW_WSMAN_MAX_DEPTH);
    if (xmlTextReaderIsEmptyElement(c->r))
        return 0;
    int parent = xmlTextReaderDepth(c->r);
    int rc;
    size_t hint = 0; /* WinRM sends properties in class order: try the next one first */
    while ((rc = wmgw_xmlr_next_child(c->r, parent)) == 1) {
        const char *local = (const char *)xmlTextReaderConstLocalName(c->r);
        const struct wmgw_cim_propdecl *decl = NULL;
        if (hint < ndecls && strcasecmp(decls[hint].name, local) == 0)
            decl = &decls[hint];
        for (size_t i = 0; i < ndecls && decl == NULL; i++)
            if (strcasecmp(decls[i].name, local) == 0)
                decl = &decls[i];
        if (decl != NULL)
            hint = (size_t)(decl - decls) + 1;
        /* cim:Location (2003 dialect) and other non-property children. */
        const char *cns = (const char *)xmlTextReaderConstNamespaceUri(c->r);
        if (cns != NULL && strcmp(cns, c->d->ns_cim) == 0) {
            if ((rc = wmgw_xmlr_skip(c->r)) != 0)
                return rc;
            continue;
        }
        if (decl == NULL && ndecls > 0)
            return wmgw_err_set(c->err, WMGW_EINVAL, "no property or parameter named %.80s", local);
        if ((rc = read_property(c, decl, ns, depth, l)) != 0)
            return rc;
    }
    if (rc < 0)
        return wmgw_err_set(c->err, WMGW_EINVAL, "malformed XML");
    return 0;
}

static int read_instance_elem(struct readctx *c, const char *class_name, const char *ns, int depth,
                              struct wmgw_cim_instance **out)
{
    const struct wmgw_cim_class *cls = c->lookup ? c->lookup(c->ctx, ns, class_name) : NULL;
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new(cls ? cls->name : class_name, ns);
    if (inst == NULL)
        return WMGW_ENOMEM;
    int rc = read_children(c, cls ? cls->props : NULL, cls ? cls->nprops : 0, ns, depth, &inst->props);
    if (rc != 0) {
        wmgw_cim_instance_unref(inst);
        return rc;
    }
    *out = inst;
    return 0;
}

int wmgw_wsman_read_instance(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, const char *ns_hint,
                             wmgw_wsman_class_fn lookup, void *ctx, struct wmgw_cim_instance **out,
                             struct wmgw_err *err)
{
    struct readctx c = {r, d, lookup, ctx, err};
    const char *local = (const char *)xmlTextReaderConstLocalName(r);
    const char *elem_ns = (const char *)xmlTextReaderConstNamespaceUri(r);
    char *ns = NULL, *cls = NULL;
    if (elem_ns != NULL && wmgw_wsman_parse_resource_uri(d, elem_ns, ns_hint, &ns, &cls) == 0) {
        free(cls);
    } else if (ns_hint != NULL) {
        ns = strdup(ns_hint);
    }
    int rc = read_instance_elem(&c, local, ns, 0, out);
    free(ns);
    return rc;
}

int wmgw_wsman_read_proplist(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d,
                             const struct wmgw_cim_propdecl *decls, size_t ndecls, wmgw_wsman_class_fn lookup,
                             void *ctx, const char *ns, struct wmgw_cim_proplist *out, struct wmgw_err *err)
{
    struct readctx c = {r, d, lookup, ctx, err};
    return read_children(&c, decls, ndecls, ns, 0, out);
}

/* --- EPRs and selectors --------------------------------------------------- */

int wmgw_wsman_read_selectors(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, struct wmgw_cim_proplist *keys,
                              struct wmgw_err *err)
{
    if (xmlTextReaderIsEmptyElement(r))
        return 0;
    int parent = xmlTextReaderDepth(r), rc;
    while ((rc = wmgw_xmlr_next_child(r, parent)) == 1) {
        if (!wmgw_xmlr_is(r, d->ns_wsman, "Selector") && !(d->ns_wsman_alt && wmgw_xmlr_is(r, d->ns_wsman_alt, "Selector")))
            return wmgw_err_set(err, WMGW_EINVAL, "unexpected element in SelectorSet");
        char *name = wmgw_xmlr_attr(r, "Name", NULL);
        if (name == NULL)
            return wmgw_err_set(err, WMGW_EINVAL, "Selector without Name");
        if (wmgw_cim_proplist_find(keys, name) != NULL) {
            rc = wmgw_err_set(err, WMGW_EEXIST, "duplicate selector %.80s", name);
            free(name);
            return rc;
        }
        struct wmgw_cim_value v;
        wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
        xmlNodePtr n = xmlTextReaderExpand(r);
        bool has_epr = false;
        for (xmlNodePtr k = n ? n->children : NULL; k != NULL; k = k->next)
            has_epr |= k->type == XML_ELEMENT_NODE;
        if (has_epr) {
            struct wmgw_cim_ref *ref = NULL;
            rc = wmgw_wsman_read_epr(r, d, &ref, err);
            if (rc == 0) {
                v.type = WMGW_CIM_REFERENCE;
                v.null = false;
                v.u.ref = ref;
            }
        } else {
            struct wmgw_buf text;
            wmgw_buf_init(&text, WMGW_WSMAN_MAX_TEXT);
            rc = wmgw_xmlr_text(r, &text, WMGW_XMLR_TRIM);
            if (rc == 0) {
                v.null = false;
                v.u.str = wmgw_buf_steal(&text, NULL);
            }
            wmgw_buf_dispose(&text);
        }
        if (rc == 0)
            rc = wmgw_cim_proplist_put(keys, name, &v);
        free(name);
        if (rc != 0)
            return rc;
    }
    return rc < 0 ? wmgw_err_set(err, WMGW_EINVAL, "malformed SelectorSet") : 0;
}

int wmgw_wsman_read_epr(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, struct wmgw_cim_ref **out,
                        struct wmgw_err *err)
{
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(NULL, NULL);
    if (ref == NULL)
        return WMGW_ENOMEM;
    int rc = 0;
    /* Descend through an a:EndpointReference wrapper and a:ReferenceParameters
     * (or the 2003 dialect's a:ReferenceProperties) to the wsman children. */
    int depth0 = xmlTextReaderDepth(r);
    if (!xmlTextReaderIsEmptyElement(r)) {
        for (;;) {
            if (xmlTextReaderRead(r) != 1) {
                rc = wmgw_err_set(err, WMGW_EINVAL, "truncated EPR");
                break;
            }
            int type = xmlTextReaderNodeType(r);
            if (type == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(r) == depth0)
                break;
            if (type != XML_READER_TYPE_ELEMENT)
                continue;
            if (xmlTextReaderDepth(r) > depth0 + 4) {
                rc = wmgw_err_set(err, WMGW_EINVAL, "EPR nested too deeply");
                break;
            }
            const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
            const char *local = (const char *)xmlTextReaderConstLocalName(r);
            bool wsman = wmgw_wsman_dialect_is_wsman_ns(d, ns);
            if (wsman && strcmp(local, "ResourceURI") == 0) {
                struct wmgw_buf text;
                wmgw_buf_init(&text, WMGW_WSMAN_MAX_TEXT);
                rc = wmgw_xmlr_text(r, &text, WMGW_XMLR_TRIM);
                if (rc == 0) {
                    free(ref->namespace_);
                    free(ref->class_name);
                    rc = wmgw_wsman_parse_resource_uri(d, text.data ? text.data : "", NULL, &ref->namespace_,
                                                       &ref->class_name);
                    if (rc != 0)
                        rc = wmgw_err_set(err, WMGW_EINVAL, "EPR with an unknown resource URI");
                }
                wmgw_buf_dispose(&text);
            } else if (wsman && strcmp(local, "SelectorSet") == 0) {
                rc = wmgw_wsman_read_selectors(r, d, &ref->keys, err);
            } else if (ns && strcmp(ns, WMGW_NS_WSA) == 0 && strcmp(local, "Address") == 0) {
                rc = wmgw_xmlr_skip(r);
            }
            /* Other elements (EndpointReference, ReferenceParameters) are descended into. */
            if (rc != 0)
                break;
        }
    }
    if (rc == 0 && ref->class_name == NULL)
        rc = wmgw_err_set(err, WMGW_EINVAL, "EPR without a ResourceURI");
    if (rc != 0) {
        wmgw_cim_ref_free(ref);
        return rc;
    }
    *out = ref;
    return 0;
}
