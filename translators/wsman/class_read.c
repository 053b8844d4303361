/*
 * class_read.c: a class schema from its DSP0201 (CIM-XML) CLASS element,
 * the answer to a WS-Transfer Get of the cim-xml class URI with the
 * __cimnamespace and ClassName selectors (the way Windows MI clients fetch
 * classes; the simulator answers the same in tests/sim/transfer.c).  It
 * feeds GET .../classes/{class} and types every later instance of the
 * class (design.md: "translators/X decode -> cim model").
 *
 * Read: PROPERTY, PROPERTY.ARRAY, PROPERTY.REFERENCE (and PROPERTY.REFARRAY
 * by analogy with parameters); METHOD with PARAMETER, .ARRAY, .REFERENCE,
 * .REFARRAY; qualifiers key, read, write, required, Description,
 * EmbeddedInstance / EmbeddedObject, In, Out, Static on members and
 * Association, Abstract, Singleton, SupportsCreate/Update/Delete on the
 * class; other member qualifiers are kept by name; default VALUEs.
 * Properties are sorted by name, case-insensitively, as WinRM renders
 * instances: this order is the JSON output order.  The CLASS subtree is one
 * element of one envelope, so it is expanded and walked as a small tree.
 */
#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_MEMBERS 4096 /* properties, methods, parameters of one class */

static bool is(xmlNodePtr n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns == NULL && strcmp((const char *)n->name, name) == 0;
}

static char *attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (v == NULL)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

static char *content(xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = strdup(v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

static bool truthy(const char *s)
{
    return s != NULL && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

/* A VALUE or VALUE.ARRAY element as a value of `type` (base type; the
 * array bit is taken from the element).  Text that does not parse as the
 * type is kept as a string rather than failing the whole class. */
static int read_value(xmlNodePtr n, uint16_t type, struct wmgw_cim_value *v)
{
    uint16_t base = WMGW_CIM_BASETYPE(type);
    if (base == WMGW_CIM_NONE || base == WMGW_CIM_REFERENCE || base == WMGW_CIM_OBJECT)
        base = WMGW_CIM_STRING;
    if (is(n, "VALUE")) {
        char *text = content(n);
        if (text == NULL)
            return WMGW_ENOMEM;
        int rc = wmgw_cim_value_from_text(v, base, text, strlen(text));
        if (rc != 0) {
            wmgw_cim_value_init_null(v, WMGW_CIM_STRING);
            wmgw_cim_value_set_string(v, text);
            return 0;
        }
        free(text);
        return 0;
    }
    /* VALUE.ARRAY */
    size_t n_items = 0;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next)
        n_items += is(k, "VALUE");
    wmgw_cim_value_init_null(v, (uint16_t)(base | WMGW_CIM_ARRAY));
    v->null = false;
    v->u.arr.n = 0;
    v->u.arr.v = n_items ? calloc(n_items, sizeof(*v->u.arr.v)) : NULL;
    if (n_items && v->u.arr.v == NULL)
        return WMGW_ENOMEM;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        if (!is(k, "VALUE"))
            continue;
        char *text = content(k);
        if (text == NULL || wmgw_cim_value_from_text(&v->u.arr.v[v->u.arr.n], base, text, strlen(text)) != 0) {
            free(text);
            wmgw_cim_value_dispose(v);
            wmgw_cim_value_init_null(v, WMGW_CIM_STRING); /* unusable: dropped */
            return 0;
        }
        free(text);
        v->u.arr.n++;
    }
    return 0;
}

static xmlNodePtr value_child(xmlNodePtr n)
{
    for (xmlNodePtr k = n->children; k != NULL; k = k->next)
        if (is(k, "VALUE") || is(k, "VALUE.ARRAY"))
            return k;
    return NULL;
}

/* Member qualifiers that are flags. */
static const struct {
    const char *name;
    unsigned flag;
} member_flags[] = {
    {"key", WMGW_CIM_Q_KEY}, {"read", WMGW_CIM_Q_READ}, {"write", WMGW_CIM_Q_WRITE},
    {"required", WMGW_CIM_Q_REQUIRED}, {"In", WMGW_CIM_Q_IN}, {"Out", WMGW_CIM_Q_OUT},
};

static const struct {
    const char *name;
    unsigned flag;
} class_flags[] = {
    {"Association", WMGW_CIM_Q_ASSOCIATION},  {"Abstract", WMGW_CIM_Q_ABSTRACT},
    {"Singleton", WMGW_CIM_Q_SINGLETON},      {"SupportsCreate", WMGW_CIM_Q_SUPPORTS_CREATE},
    {"SupportsUpdate", WMGW_CIM_Q_SUPPORTS_UPDATE}, {"SupportsDelete", WMGW_CIM_Q_SUPPORTS_DELETE},
};

/* The text of a QUALIFIER's VALUE (NULL when it has none). */
static char *qualifier_text(xmlNodePtr q)
{
    xmlNodePtr v = value_child(q);
    return v != NULL && is(v, "VALUE") ? content(v) : NULL;
}

/* Applies one QUALIFIER to a property or parameter declaration. */
static int member_qualifier(xmlNodePtr q, struct wmgw_cim_propdecl *d)
{
    char *name = attr(q, "NAME");
    if (name == NULL)
        return WMGW_EPROTO;
    int rc = 0;
    char *text = qualifier_text(q);
    bool done = false;
    for (size_t i = 0; i < sizeof(member_flags) / sizeof(member_flags[0]) && !done; i++) {
        if (strcasecmp(name, member_flags[i].name) == 0) {
            /* A boolean qualifier without a VALUE is true (DSP0004). */
            if (text == NULL || truthy(text))
                d->flags |= member_flags[i].flag;
            else
                d->flags &= ~member_flags[i].flag;
            done = true;
        }
    }
    if (done) {
    } else if (strcasecmp(name, "Description") == 0) {
        free(d->description);
        d->description = text;
        text = NULL;
    } else if (strcasecmp(name, "EmbeddedInstance") == 0 && text != NULL) {
        d->type = (uint16_t)(WMGW_CIM_OBJECT | (d->type & WMGW_CIM_ARRAY));
        free(d->ref_class);
        d->ref_class = text;
        text = NULL;
    } else if (strcasecmp(name, "EmbeddedObject") == 0 && (text == NULL || truthy(text))) {
        d->type = (uint16_t)(WMGW_CIM_OBJECT | (d->type & WMGW_CIM_ARRAY));
    } else {
        /* Kept by name (ValueMap, Values, Units, MaxLen, SubType...). */
        uint16_t qt = WMGW_CIM_STRING;
        char *tname = attr(q, "TYPE");
        char *unused = NULL;
        if (tname == NULL || wmgw_cim_type_parse(tname, &qt, &unused) != 0)
            qt = WMGW_CIM_STRING;
        free(unused);
        free(tname);
        struct wmgw_cim_value v;
        wmgw_cim_value_init_null(&v, qt);
        xmlNodePtr vn = value_child(q);
        if (vn != NULL)
            rc = read_value(vn, qt, &v);
        if (rc == 0)
            rc = wmgw_cim_proplist_put(&d->qualifiers, name, &v);
        wmgw_cim_value_dispose(&v);
    }
    free(text);
    free(name);
    return rc;
}

/* PROPERTY* or PARAMETER* element: name, type, qualifiers, default. */
static int read_member(xmlNodePtr n, const char *kind, struct wmgw_cim_propdecl *(*add)(void *, const char *, uint16_t),
                       void *owner, struct wmgw_err *err)
{
    const char *suffix = (const char *)n->name + strlen(kind);
    bool ref = strcmp(suffix, ".REFERENCE") == 0 || strcmp(suffix, ".REFARRAY") == 0;
    bool array = strcmp(suffix, ".ARRAY") == 0 || strcmp(suffix, ".REFARRAY") == 0;
    char *name = attr(n, "NAME");
    if (name == NULL || !wmgw_soap_name_ok(name)) {
        int rc = wmgw_err_set(err, WMGW_EPROTO, "CLASS: %s without a valid NAME", kind);
        free(name);
        return rc;
    }
    uint16_t type = WMGW_CIM_REFERENCE;
    char *ref_class = NULL;
    if (ref) {
        ref_class = attr(n, "REFERENCECLASS");
        if (ref_class != NULL && *ref_class == '\0') {
            free(ref_class);
            ref_class = NULL;
        }
    } else {
        char *t = attr(n, "TYPE");
        char *rc_unused = NULL;
        int prc = t ? wmgw_cim_type_parse(t, &type, &rc_unused) : WMGW_EINVAL;
        free(rc_unused);
        if (prc != 0 || WMGW_CIM_IS_ARRAY(type)) {
            int rc = wmgw_err_set(err, WMGW_EPROTO, "CLASS: %.80s has an unknown TYPE \"%.40s\"", name, t ? t : "");
            free(t);
            free(name);
            return rc;
        }
        free(t);
        /* DSP0201 2.3+: EmbeddedObject="instance"|"object" on the element. */
        char *eo = attr(n, "EmbeddedObject");
        if (eo == NULL)
            eo = attr(n, "EMBEDDEDOBJECT");
        if (eo != NULL && (strcasecmp(eo, "instance") == 0 || strcasecmp(eo, "object") == 0))
            type = WMGW_CIM_OBJECT;
        free(eo);
    }
    if (array)
        type |= WMGW_CIM_ARRAY;
    struct wmgw_cim_propdecl *d = add(owner, name, type);
    free(name);
    if (d == NULL) {
        free(ref_class);
        return WMGW_ENOMEM;
    }
    d->ref_class = ref_class;
    int rc = 0;
    for (xmlNodePtr k = n->children; k != NULL && rc == 0; k = k->next)
        if (is(k, "QUALIFIER"))
            rc = member_qualifier(k, d);
    if (rc != 0)
        return wmgw_err_set(err, rc == WMGW_ENOMEM ? rc : WMGW_EPROTO, "CLASS: bad QUALIFIER on %.80s", d->name);
    uint16_t base = WMGW_CIM_BASETYPE(d->type);
    xmlNodePtr dv = value_child(n);
    if (dv != NULL && base != WMGW_CIM_REFERENCE && base != WMGW_CIM_OBJECT && is(dv, array ? "VALUE.ARRAY" : "VALUE")) {
        wmgw_cim_value_dispose(&d->default_value);
        if ((rc = read_value(dv, d->type, &d->default_value)) != 0)
            return rc;
        if (d->default_value.type != d->type) /* did not parse: no default */
            wmgw_cim_value_dispose(&d->default_value), wmgw_cim_value_init_null(&d->default_value, d->type);
    }
    return 0;
}

static struct wmgw_cim_propdecl *add_prop(void *cls, const char *name, uint16_t type)
{
    struct wmgw_cim_class *c = cls;
    if (c->nprops >= MAX_MEMBERS || wmgw_cim_class_prop(c, name) != NULL)
        return NULL;
    return wmgw_cim_class_add_prop(c, name, type);
}

static struct wmgw_cim_propdecl *add_param(void *m, const char *name, uint16_t type)
{
    struct wmgw_cim_method *mm = m;
    return mm->nparams >= MAX_MEMBERS ? NULL : wmgw_cim_method_add_param(mm, name, type);
}

static int read_method(xmlNodePtr n, struct wmgw_cim_class *c, struct wmgw_err *err)
{
    char *name = attr(n, "NAME");
    if (name == NULL || !wmgw_soap_name_ok(name) || c->nmethods >= MAX_MEMBERS) {
        free(name);
        return wmgw_err_set(err, WMGW_EPROTO, "CLASS: METHOD without a valid NAME");
    }
    uint16_t rtype = WMGW_CIM_NONE;
    char *t = attr(n, "TYPE");
    if (t != NULL) {
        char *unused = NULL;
        int prc = wmgw_cim_type_parse(t, &rtype, &unused);
        free(unused);
        if (prc != 0) {
            int rc = wmgw_err_set(err, WMGW_EPROTO, "CLASS: method %.80s returns an unknown TYPE", name);
            free(t);
            free(name);
            return rc;
        }
        free(t);
    }
    struct wmgw_cim_method *m = wmgw_cim_class_add_method(c, name);
    free(name);
    if (m == NULL)
        return WMGW_ENOMEM;
    m->return_type = rtype;
    for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
        if (is(k, "QUALIFIER")) {
            char *qn = attr(k, "NAME");
            char *qv = qualifier_text(k);
            if (qn != NULL && strcasecmp(qn, "Static") == 0 && (qv == NULL || truthy(qv)))
                m->flags |= WMGW_CIM_Q_STATIC;
            free(qn);
            free(qv);
        } else if (k->type == XML_ELEMENT_NODE && strncmp((const char *)k->name, "PARAMETER", 9) == 0) {
            const char *sfx = (const char *)k->name + 9;
            if (*sfx != '\0' && strcmp(sfx, ".ARRAY") != 0 && strcmp(sfx, ".REFERENCE") != 0 &&
                strcmp(sfx, ".REFARRAY") != 0)
                continue;
            int rc = read_member(k, "PARAMETER", add_param, m, err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int cmp_decl(const void *a, const void *b)
{
    return strcasecmp(((const struct wmgw_cim_propdecl *)a)->name, ((const struct wmgw_cim_propdecl *)b)->name);
}

int wmgw_wsman_read_class(xmlTextReaderPtr r, const char *ns, struct wmgw_cim_class **out, struct wmgw_err *err)
{
    xmlNodePtr n = xmlTextReaderExpand(r);
    if (!is(n, "CLASS"))
        return wmgw_err_set(err, WMGW_EPROTO, "expected a CIM-XML CLASS element");
    char *name = attr(n, "NAME");
    if (name == NULL || !wmgw_soap_name_ok(name)) {
        free(name);
        return wmgw_err_set(err, WMGW_EPROTO, "CLASS without a valid NAME");
    }
    struct wmgw_cim_class *c = wmgw_cim_class_new(name, ns);
    free(name);
    if (c == NULL)
        return WMGW_ENOMEM;
    c->superclass = attr(n, "SUPERCLASS");
    int rc = 0;
    for (xmlNodePtr k = n->children; k != NULL && rc == 0; k = k->next) {
        if (is(k, "QUALIFIER")) {
            char *qn = attr(k, "NAME");
            char *qv = qualifier_text(k);
            for (size_t i = 0; qn && i < sizeof(class_flags) / sizeof(class_flags[0]); i++)
                if (strcasecmp(qn, class_flags[i].name) == 0 && (qv == NULL || truthy(qv)))
                    c->flags |= class_flags[i].flag;
            if (qn != NULL && strcasecmp(qn, "Description") == 0 && qv != NULL) {
                free(c->description);
                c->description = qv;
                qv = NULL;
            }
            free(qn);
            free(qv);
        } else if (is(k, "PROPERTY") || is(k, "PROPERTY.ARRAY") || is(k, "PROPERTY.REFERENCE") ||
                   is(k, "PROPERTY.REFARRAY")) {
            rc = read_member(k, "PROPERTY", add_prop, c, err);
            if (rc == WMGW_ENOMEM && c->nprops >= MAX_MEMBERS)
                rc = wmgw_err_set(err, WMGW_EPROTO, "CLASS: too many or duplicate properties");
            else if (rc == WMGW_ENOMEM)
                rc = wmgw_err_set(err, WMGW_EPROTO, "CLASS: duplicate property or out of memory");
        } else if (is(k, "METHOD")) {
            rc = read_method(k, c, err);
        }
    }
    if (rc != 0) {
        wmgw_cim_class_free(c);
        return rc;
    }
    if (c->nprops > 1)
        qsort(c->props, c->nprops, sizeof(*c->props), cmp_decl);
    *out = c;
    return 0;
}
