/*
 * json_class.c: a class schema as REST JSON (wmgw_cim_json_write_class in
 * json.h), shaped for building forms: every property says its type as
 * wmgw_cim_type_parse() reads it back ("uint32", "string[]",
 * "ref:Win32_Service", "object:Foo", "datetime"), and the booleans key /
 * read / write / required are always present.
 *
 * Decisions: the model has one DATETIME type, so "interval" is written only
 * when the property carries the qualifier SubType="interval" (WMI's marker
 * for intervals); otherwise "datetime".  Qualifiers the model keeps by name
 * (ValueMap, Values, Units, MaxLen...) are written as "qualifiers": {...}
 * when there are any, for enumerations in forms.  A parameter's schema has
 * no key/read/write.  "superclass" and "description" are null when absent.
 * Class-level "qualifiers" lists Association, Singleton, Abstract.
 */
#include "cim/json.h"
#include "cim/path.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/url.h"

#include <string.h>
#include <strings.h>

static int member(struct wmgw_buf *out, bool *first, const char *name)
{
    int rc = *first ? 0 : wmgw_buf_addc(out, ',');
    *first = false;
    if (rc == 0)
        rc = wmgw_json_write_string(out, name, strlen(name));
    return rc == 0 ? wmgw_buf_addc(out, ':') : rc;
}

static int string_or_null(struct wmgw_buf *out, const char *s)
{
    return s != NULL ? wmgw_json_write_string(out, s, strlen(s)) : wmgw_buf_addstr(out, "null");
}

static int bool_member(struct wmgw_buf *out, bool *first, const char *name, bool b)
{
    int rc = member(out, first, name);
    return rc == 0 ? wmgw_buf_addstr(out, b ? "true" : "false") : rc;
}

/* ref_class may be spelled "ref:X" / "object:X" or just "X". */
static const char *target_class(const char *ref_class)
{
    if (ref_class == NULL)
        return NULL;
    if (strncasecmp(ref_class, "ref:", 4) == 0)
        return ref_class + 4;
    if (strncasecmp(ref_class, "object:", 7) == 0)
        return ref_class + 7;
    return ref_class;
}

static bool is_interval(const struct wmgw_cim_propdecl *d)
{
    const struct wmgw_cim_prop *q = wmgw_cim_proplist_find(&d->qualifiers, "SubType");
    return q != NULL && !q->value.null && WMGW_CIM_BASETYPE(q->value.type) == WMGW_CIM_STRING &&
           !WMGW_CIM_IS_ARRAY(q->value.type) && strcasecmp(q->value.u.str, "interval") == 0;
}

static int type_string(struct wmgw_buf *out, uint16_t type, const char *ref_class, bool interval)
{
    uint16_t base = WMGW_CIM_BASETYPE(type);
    const char *target = target_class(ref_class);
    struct wmgw_buf t;
    wmgw_buf_init(&t, 1024);
    int rc;
    if (base == WMGW_CIM_REFERENCE && target != NULL)
        rc = wmgw_buf_printf(&t, "ref:%s", target);
    else if (base == WMGW_CIM_OBJECT && target != NULL)
        rc = wmgw_buf_printf(&t, "object:%s", target);
    else
        rc = wmgw_buf_addstr(&t, base == WMGW_CIM_DATETIME && interval ? "interval" : wmgw_cim_type_name(base));
    if (rc == 0 && WMGW_CIM_IS_ARRAY(type))
        rc = wmgw_buf_addstr(&t, "[]");
    if (rc == 0)
        rc = wmgw_json_write_string(out, t.data, t.len);
    wmgw_buf_dispose(&t);
    return rc;
}

static int write_qualifiers(struct wmgw_buf *out, bool *first, const struct wmgw_cim_proplist *q, const char *host)
{
    if (q->n == 0)
        return 0;
    bool qfirst = true;
    int rc = member(out, first, "qualifiers");
    if (rc == 0)
        rc = wmgw_buf_addc(out, '{');
    for (size_t i = 0; rc == 0 && i < q->n; i++) {
        rc = member(out, &qfirst, q->items[i].name);
        if (rc == 0)
            rc = wmgw_cim_json_write_value(out, &q->items[i].value, host);
    }
    return rc == 0 ? wmgw_buf_addc(out, '}') : rc;
}

static int write_decl(struct wmgw_buf *out, const struct wmgw_cim_propdecl *d, bool param, const char *host)
{
    bool first = true;
    int rc = wmgw_buf_addc(out, '{');
    if (rc == 0)
        rc = member(out, &first, "type");
    if (rc == 0)
        rc = type_string(out, d->type, d->ref_class, is_interval(d));
    if (rc == 0 && !param) {
        rc = bool_member(out, &first, "key", d->flags & WMGW_CIM_Q_KEY);
        if (rc == 0)
            rc = bool_member(out, &first, "read", d->flags & WMGW_CIM_Q_READ);
        if (rc == 0)
            rc = bool_member(out, &first, "write", d->flags & WMGW_CIM_Q_WRITE);
    }
    if (rc == 0)
        rc = bool_member(out, &first, "required", d->flags & WMGW_CIM_Q_REQUIRED);
    if (rc == 0 && target_class(d->ref_class) != NULL) {
        rc = member(out, &first, "class");
        if (rc == 0)
            rc = string_or_null(out, target_class(d->ref_class));
    }
    if (rc == 0 && d->description != NULL) {
        rc = member(out, &first, "description");
        if (rc == 0)
            rc = string_or_null(out, d->description);
    }
    if (rc == 0 && !d->default_value.null) {
        rc = member(out, &first, "default");
        if (rc == 0)
            rc = wmgw_cim_json_write_value(out, &d->default_value, host);
    }
    if (rc == 0)
        rc = write_qualifiers(out, &first, &d->qualifiers, host);
    return rc == 0 ? wmgw_buf_addc(out, '}') : rc;
}

static int write_properties(struct wmgw_buf *out, bool *first, const struct wmgw_cim_class *cls, const char *host)
{
    bool pfirst = true;
    int rc = member(out, first, "properties");
    if (rc == 0)
        rc = wmgw_buf_addc(out, '{');
    for (size_t i = 0; rc == 0 && i < cls->nprops; i++) {
        rc = member(out, &pfirst, cls->props[i].name);
        if (rc == 0)
            rc = write_decl(out, &cls->props[i], false, host);
    }
    return rc == 0 ? wmgw_buf_addc(out, '}') : rc;
}

/* "in" or "out": the parameters with that direction.  A parameter with
 * neither flag counts as an input. */
static int write_params(struct wmgw_buf *out, bool *first, const struct wmgw_cim_method *m, bool in, const char *host)
{
    bool pfirst = true;
    int rc = member(out, first, in ? "in" : "out");
    if (rc == 0)
        rc = wmgw_buf_addc(out, '{');
    for (size_t i = 0; rc == 0 && i < m->nparams; i++) {
        unsigned f = m->params[i].flags;
        bool is_in = (f & WMGW_CIM_Q_IN) || !(f & WMGW_CIM_Q_OUT);
        if (in ? !is_in : !(f & WMGW_CIM_Q_OUT))
            continue;
        rc = member(out, &pfirst, m->params[i].name);
        if (rc == 0)
            rc = write_decl(out, &m->params[i], true, host);
    }
    return rc == 0 ? wmgw_buf_addc(out, '}') : rc;
}

static int write_method(struct wmgw_buf *out, const struct wmgw_cim_method *m, const char *host)
{
    bool first = true;
    int rc = wmgw_buf_addc(out, '{');
    if (rc == 0)
        rc = bool_member(out, &first, "static", m->flags & WMGW_CIM_Q_STATIC);
    if (rc == 0)
        rc = member(out, &first, "returns");
    if (rc == 0)
        rc = m->return_type == WMGW_CIM_NONE ? wmgw_buf_addstr(out, "null")
                                             : type_string(out, m->return_type, NULL, false);
    if (rc == 0)
        rc = write_params(out, &first, m, true, host);
    if (rc == 0)
        rc = write_params(out, &first, m, false, host);
    return rc == 0 ? wmgw_buf_addc(out, '}') : rc;
}

static int write_methods(struct wmgw_buf *out, bool *first, const struct wmgw_cim_class *cls, const char *host)
{
    bool mfirst = true;
    int rc = member(out, first, "methods");
    if (rc == 0)
        rc = wmgw_buf_addc(out, '{');
    for (size_t i = 0; rc == 0 && i < cls->nmethods; i++) {
        rc = member(out, &mfirst, cls->methods[i].name);
        if (rc == 0)
            rc = write_method(out, &cls->methods[i], host);
    }
    return rc == 0 ? wmgw_buf_addc(out, '}') : rc;
}

static int class_flags(struct wmgw_buf *out, bool *first, unsigned flags)
{
    static const struct {
        unsigned flag;
        const char *name;
    } names[] = {{WMGW_CIM_Q_ASSOCIATION, "Association"}, {WMGW_CIM_Q_SINGLETON, "Singleton"},
                 {WMGW_CIM_Q_ABSTRACT, "Abstract"}};
    bool any = false;
    int rc = member(out, first, "qualifiers");
    if (rc == 0)
        rc = wmgw_buf_addc(out, '[');
    for (size_t i = 0; rc == 0 && i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(flags & names[i].flag))
            continue;
        rc = any ? wmgw_buf_addc(out, ',') : 0;
        if (rc == 0)
            rc = wmgw_json_write_string(out, names[i].name, strlen(names[i].name));
        any = true;
    }
    return rc == 0 ? wmgw_buf_addc(out, ']') : rc;
}

/* "@id": /v1/hosts/{host}/namespaces/{ns}/classes/{class} */
static int class_link(struct wmgw_buf *out, bool *first, const struct wmgw_cim_class *cls, const char *host)
{
    if (host == NULL || host[0] == '\0' || cls->namespace_ == NULL)
        return 0;
    int rc = member(out, first, "@id");
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\"/v1/hosts/");
    if (rc == 0)
        rc = wmgw_url_encode(out, host, strlen(host));
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "/namespaces/");
    if (rc == 0)
        rc = wmgw_cim_path_format_namespace(out, cls->namespace_);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "/classes/");
    if (rc == 0)
        rc = wmgw_url_encode(out, cls->name, strlen(cls->name));
    return rc == 0 ? wmgw_buf_addc(out, '"') : rc;
}

static int write_class(struct wmgw_buf *out, const struct wmgw_cim_class *cls, const char *host)
{
    bool first = true;
    int rc = wmgw_buf_addc(out, '{');
    if (rc == 0)
        rc = class_link(out, &first, cls, host);
    if (rc == 0)
        rc = member(out, &first, "@class");
    if (rc == 0)
        rc = string_or_null(out, cls->name);
    if (rc == 0 && cls->namespace_ != NULL) {
        rc = member(out, &first, "@namespace");
        if (rc == 0)
            rc = string_or_null(out, cls->namespace_);
    }
    if (rc == 0)
        rc = member(out, &first, "superclass");
    if (rc == 0)
        rc = string_or_null(out, cls->superclass);
    if (rc == 0)
        rc = member(out, &first, "description");
    if (rc == 0)
        rc = string_or_null(out, cls->description);
    if (rc == 0)
        rc = class_flags(out, &first, cls->flags);
    if (rc == 0)
        rc = write_properties(out, &first, cls, host);
    if (rc == 0)
        rc = write_methods(out, &first, cls, host);
    return rc == 0 ? wmgw_buf_addc(out, '}') : rc;
}

int wmgw_cim_json_write_class(struct wmgw_buf *out, const struct wmgw_cim_class *cls, const char *host)
{
    size_t start = out->len;
    int rc = write_class(out, cls, host);
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
