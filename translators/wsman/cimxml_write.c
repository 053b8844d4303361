/*
 * cimxml_write.c: CIM values and instances written as WS-Management XML
 * (cimxml.h).  Every value passes through the XML escaper; nothing from a
 * caller reaches the envelope as markup.
 *
 * Shapes (protocol-notes §1.8): scalar -> element text; NULL -> xsi:nil;
 * array -> repeated elements (a NULL array is one nil element, an empty
 * array no element); datetime -> cim:Datetime / cim:Interval, or a DMTF
 * string where the dialect says so; reference -> EPR content; embedded
 * object -> nested element with its own class namespace and xsi:type; in
 * answers of dialects that locate instances, a cim:Location EPR last.
 */
#include "translators/wsman/cimxml.h"
#include "cim/datetime.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        int rc_ = (expr);                                                                                              \
        if (rc_ != 0)                                                                                                  \
            return rc_;                                                                                                \
    } while (0)

int wmgw_wsman_format_resource_uri(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *ns,
                                   const char *class_name)
{
    TRY(wmgw_buf_addstr(out, d->wmi_uri_prefix));
    for (const char *p = ns; *p; p++)
        TRY(wmgw_buf_addc(out, *p == '\\' ? '/' : *p));
    TRY(wmgw_buf_addc(out, '/'));
    return wmgw_buf_addstr(out, class_name);
}

static int write_value(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *pfx, const char *name,
                       const struct wmgw_cim_value *v, int depth, unsigned flags);

/* The resource URI of a class, escaped for an attribute or element text. */
static int add_uri_escaped(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *ns,
                           const char *class_name)
{
    struct wmgw_buf uri;
    wmgw_buf_init(&uri, WMGW_WSMAN_MAX_TEXT);
    int rc = wmgw_wsman_format_resource_uri(&uri, d, ns, class_name);
    if (rc == 0)
        rc = wmgw_buf_add_xml(out, uri.data, uri.len);
    wmgw_buf_dispose(&uri);
    return rc;
}

/* <pfx:name attrs>  (pfx NULL: unqualified) */
static int open_tag(struct wmgw_buf *out, const char *pfx, const char *name)
{
    TRY(wmgw_buf_addc(out, '<'));
    if (pfx != NULL)
        TRY(wmgw_buf_printf(out, "%s:", pfx));
    return wmgw_buf_addstr(out, name);
}

static int close_tag(struct wmgw_buf *out, const char *pfx, const char *name)
{
    TRY(wmgw_buf_addstr(out, "</"));
    if (pfx != NULL)
        TRY(wmgw_buf_printf(out, "%s:", pfx));
    TRY(wmgw_buf_addstr(out, name));
    return wmgw_buf_addc(out, '>');
}

/* qualified: cim:Datetime inside instances; a w:XmlFragment (qualified
 * false) carries an unqualified <Datetime>, as WinRM writes it.  The
 * dialect says which kinds travel as ISO text and which as DMTF strings. */
static int write_datetime(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *dmtf, bool qualified)
{
    const char *pfx = qualified ? "cim:" : "";
    const char *elem = wmgw_cim_dmtf_is_interval(dmtf) ? d->interval_element : d->datetime_element;
    bool as_dmtf = elem == NULL || wmgw_cim_dmtf_has_wildcards(dmtf);
    if (as_dmtf)
        elem = d->dmtf_datetime_element;
    TRY(wmgw_buf_printf(out, "<%s%s>", pfx, elem));
    if (as_dmtf)
        TRY(wmgw_buf_addstr_xml(out, dmtf));
    else
        TRY(wmgw_cim_datetime_format_iso(dmtf, out) < 0 ? WMGW_EINVAL : 0);
    return wmgw_buf_printf(out, "</%s%s>", pfx, elem);
}

static int write_object(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *pfx, const char *name,
                        const struct wmgw_cim_instance *obj, int depth, unsigned flags)
{
    if (depth > WMGW_WSMAN_MAX_DEPTH)
        return WMGW_ETOOBIG;
    /* A fresh prefix per nesting level keeps inner declarations from
     * shadowing the outer class namespace. */
    char q[16];
    snprintf(q, sizeof(q), "q%d", depth);
    TRY(open_tag(out, pfx, name));
    TRY(wmgw_buf_printf(out, " xmlns:%s=\"", q));
    TRY(add_uri_escaped(out, d, obj->namespace_ ? obj->namespace_ : "root/cimv2", obj->class_name));
    TRY(wmgw_buf_printf(out, "\" xsi:type=\"%s:", q));
    TRY(wmgw_buf_addstr_xml(out, obj->class_name));
    TRY(wmgw_buf_addstr(out, "_Type\">"));
    for (size_t i = 0; i < obj->props.n; i++)
        TRY(write_value(out, d, q, obj->props.items[i].name, &obj->props.items[i].value, depth + 1, flags));
    return close_tag(out, pfx, name);
}

static int write_scalar(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *pfx, const char *name,
                        const struct wmgw_cim_value *v, int depth, unsigned flags)
{
    switch (WMGW_CIM_BASETYPE(v->type)) {
    case WMGW_CIM_OBJECT:
        return write_object(out, d, pfx, name, v->u.obj, depth, flags);
    case WMGW_CIM_REFERENCE:
        TRY(open_tag(out, pfx, name));
        TRY(wmgw_buf_addc(out, '>'));
        TRY(wmgw_wsman_write_epr(out, d, v->u.ref));
        return close_tag(out, pfx, name);
    case WMGW_CIM_DATETIME:
        TRY(open_tag(out, pfx, name));
        TRY(wmgw_buf_addc(out, '>'));
        TRY(write_datetime(out, d, v->u.str, pfx != NULL));
        return close_tag(out, pfx, name);
    default: {
        TRY(open_tag(out, pfx, name));
        TRY(wmgw_buf_addc(out, '>'));
        struct wmgw_buf text;
        wmgw_buf_init(&text, WMGW_WSMAN_MAX_TEXT);
        int rc = wmgw_cim_value_to_text(v, &text);
        if (rc == 0)
            rc = wmgw_buf_add_xml(out, text.data ? text.data : "", text.len);
        wmgw_buf_dispose(&text);
        TRY(rc);
        return close_tag(out, pfx, name);
    }
    }
}

static int write_value(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *pfx, const char *name,
                       const struct wmgw_cim_value *v, int depth, unsigned flags)
{
    /* WinRM leaves a NULL array out altogether (as it does an empty one);
     * a NULL scalar is an xsi:nil element. */
    if (v->null && WMGW_CIM_IS_ARRAY(v->type) && !(flags & WMGW_WSMAN_W_REQUEST))
        return 0;
    if (v->null) {
        TRY(open_tag(out, pfx, name));
        return wmgw_buf_addstr(out, " xsi:nil=\"true\"/>");
    }
    if (!WMGW_CIM_IS_ARRAY(v->type))
        return write_scalar(out, d, pfx, name, v, depth, flags);
    for (size_t i = 0; i < v->u.arr.n; i++)
        TRY(write_scalar(out, d, pfx, name, &v->u.arr.v[i], depth, flags));
    return 0;
}

/* Calls fn for each property in class order (then any the class lacks). */
static int write_props_ordered(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *pfx,
                               const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls,
                               char *const *names, size_t nnames, unsigned flags)
{
    const struct wmgw_cim_proplist *l = &inst->props;
    if (cls == NULL) {
        for (size_t i = 0; i < l->n; i++)
            TRY(write_value(out, d, pfx, l->items[i].name, &l->items[i].value, 0, flags));
        return 0;
    }
    for (size_t i = 0; i < cls->nprops; i++) {
        const struct wmgw_cim_propdecl *decl = &cls->props[i];
        if (names != NULL) {
            bool wanted = false;
            for (size_t k = 0; k < nnames && !wanted; k++)
                wanted = strcasecmp(names[k], decl->name) == 0;
            if (!wanted)
                continue;
        }
        const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(l, decl->name);
        if (p != NULL) {
            TRY(write_value(out, d, pfx, decl->name, &p->value, 0, flags));
        } else if (!WMGW_CIM_IS_ARRAY(decl->type)) {
            struct wmgw_cim_value nil;
            wmgw_cim_value_init_null(&nil, decl->type);
            TRY(write_value(out, d, pfx, decl->name, &nil, 0, flags));
        }
    }
    return 0;
}

/* MS-WSMAN §3.1.4.1.27: the instance's own EPR, as its last child. */
static int write_location(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                          const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls)
{
    struct wmgw_cim_ref *path = wmgw_cim_instance_path(inst, cls);
    if (path == NULL)
        return WMGW_ENOMEM;
    int rc = wmgw_buf_printf(out, "<cim:Location xmlns:a=\"%s\" xmlns:w=\"%s\">", WMGW_NS_WSA, d->ns_wsman);
    if (rc == 0)
        rc = wmgw_wsman_write_epr(out, d, path);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</cim:Location>");
    wmgw_cim_ref_free(path);
    return rc;
}

int wmgw_wsman_write_instance(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                              const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls, unsigned flags)
{
    const char *ns = inst->namespace_ ? inst->namespace_ : cls && cls->namespace_ ? cls->namespace_ : "root/cimv2";
    TRY(wmgw_buf_addstr(out, "<p:"));
    TRY(wmgw_buf_addstr_xml(out, inst->class_name));
    TRY(wmgw_buf_printf(out, " xmlns:xsi=\"%s\" xmlns:p=\"", WMGW_NS_XSI));
    TRY(add_uri_escaped(out, d, ns, inst->class_name));
    TRY(wmgw_buf_printf(out, "\" xmlns:cim=\"%s\" xsi:type=\"p:", d->ns_cim));
    TRY(wmgw_buf_addstr_xml(out, inst->class_name));
    TRY(wmgw_buf_addstr(out, "_Type\">"));
    TRY(write_props_ordered(out, d, "p", inst, cls, NULL, 0, flags));
    /* Servers of such a dialect locate what they answer; clients strip it
     * (MS-WSMAN <17>), so requests never carry it. */
    if (d->appends_location && cls != NULL && !(flags & WMGW_WSMAN_W_REQUEST))
        TRY(write_location(out, d, inst, cls));
    TRY(wmgw_buf_addstr(out, "</p:"));
    TRY(wmgw_buf_addstr_xml(out, inst->class_name));
    return wmgw_buf_addc(out, '>');
}

int wmgw_wsman_write_fragment(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                              const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls,
                              char *const *names, size_t nnames)
{
    TRY(wmgw_buf_printf(out, "<w:XmlFragment xmlns:xsi=\"%s\" xmlns:w=\"%s\">", WMGW_NS_XSI, d->ns_wsman));
    TRY(write_props_ordered(out, d, NULL, inst, cls, names, nnames, 0));
    return wmgw_buf_addstr(out, "</w:XmlFragment>");
}

int wmgw_wsman_write_proplist(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                              const struct wmgw_cim_proplist *props, const char *pfx, unsigned flags)
{
    for (size_t i = 0; i < props->n; i++)
        TRY(write_value(out, d, pfx, props->items[i].name, &props->items[i].value, 0, flags));
    return 0;
}

int wmgw_wsman_write_selectors(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                               const struct wmgw_cim_proplist *keys)
{
    TRY(wmgw_buf_addstr(out, "<w:SelectorSet>"));
    for (size_t i = 0; i < keys->n; i++) {
        const struct wmgw_cim_prop *k = &keys->items[i];
        TRY(wmgw_buf_addstr(out, "<w:Selector Name=\""));
        TRY(wmgw_buf_addstr_xml(out, k->name));
        TRY(wmgw_buf_addstr(out, "\">"));
        if (k->value.null || WMGW_CIM_IS_ARRAY(k->value.type)) {
            return WMGW_EINVAL; /* keys are never null or arrays */
        } else if (WMGW_CIM_BASETYPE(k->value.type) == WMGW_CIM_REFERENCE) {
            TRY(wmgw_buf_addstr(out, "<a:EndpointReference>"));
            TRY(wmgw_wsman_write_epr(out, d, k->value.u.ref));
            TRY(wmgw_buf_addstr(out, "</a:EndpointReference>"));
        } else if (WMGW_CIM_BASETYPE(k->value.type) == WMGW_CIM_DATETIME) {
            TRY(wmgw_buf_addstr_xml(out, k->value.u.str));
        } else {
            struct wmgw_buf text;
            wmgw_buf_init(&text, WMGW_WSMAN_MAX_TEXT);
            int rc = wmgw_cim_value_to_text(&k->value, &text);
            if (rc == 0)
                rc = wmgw_buf_add_xml(out, text.data ? text.data : "", text.len);
            wmgw_buf_dispose(&text);
            TRY(rc);
        }
        TRY(wmgw_buf_addstr(out, "</w:Selector>"));
    }
    return wmgw_buf_addstr(out, "</w:SelectorSet>");
}

int wmgw_wsman_write_epr(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const struct wmgw_cim_ref *ref)
{
    TRY(wmgw_buf_addstr(out, "<a:Address>" WMGW_WSA_ANONYMOUS "</a:Address><a:ReferenceParameters><w:ResourceURI>"));
    TRY(add_uri_escaped(out, d, ref->namespace_ ? ref->namespace_ : "root/cimv2",
                        ref->class_name ? ref->class_name : ""));
    TRY(wmgw_buf_addstr(out, "</w:ResourceURI>"));
    TRY(wmgw_wsman_write_selectors(out, d, &ref->keys));
    return wmgw_buf_addstr(out, "</a:ReferenceParameters>");
}
