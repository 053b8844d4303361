/*
 * class_json.c: a class from its fixture-format JSON description
 * (class_json.h; format in tests/sim/fixtures/README.md, "Classes").
 *
 * Shared by the simulator (its hosts' schemas) and the gateway (its class
 * catalogue), so a schema the simulator serves over WS-Management and the
 * one the gateway takes from its catalogue come from the same reading of
 * the same text.  Defaults are read with the REST API's JSON mapping
 * (cim/json.h).  The class owns everything it holds (cim.h).
 */
#include "cim/class_json.h"
#include "cim/json.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int decl_from_json(struct wmgw_cim_propdecl *d, const json_t *j, struct wmgw_err *err)
{
    const char *desc = json_string_value(json_object_get(j, "description"));
    if (desc != NULL && (d->description = strdup(desc)) == NULL)
        return WMGW_ENOMEM;
    static const struct {
        const char *name;
        unsigned flag;
    } flags[] = {{"key", WMGW_CIM_Q_KEY}, {"read", WMGW_CIM_Q_READ}, {"write", WMGW_CIM_Q_WRITE},
                 {"required", WMGW_CIM_Q_REQUIRED}};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (json_is_true(json_object_get(j, flags[i].name)))
            d->flags |= flags[i].flag;
    const json_t *def = json_object_get(j, "default");
    if (def != NULL && !json_is_null(def))
        return wmgw_cim_json_read_value(def, d->type, d->ref_class, &d->default_value, err);
    return 0;
}

/* Parses {"name", "type"} and the common fields into a new declaration of
 * cls (m NULL) or a parameter of m. */
static struct wmgw_cim_propdecl *add_decl_json(struct wmgw_cim_class *cls, struct wmgw_cim_method *m,
                                               const json_t *j, struct wmgw_err *err)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *type = json_string_value(json_object_get(j, "type"));
    uint16_t t;
    char *ref_class = NULL;
    if (name == NULL || type == NULL || wmgw_cim_type_parse(type, &t, &ref_class) != 0) {
        wmgw_err_set(err, WMGW_EINVAL, "%s: property %s has a bad name or type", cls->name, name ? name : "?");
        return NULL;
    }
    /* A subclass may override an inherited declaration. */
    struct wmgw_cim_propdecl *d = NULL;
    if (m == NULL) {
        for (size_t i = 0; i < cls->nprops && d == NULL; i++)
            if (strcasecmp(cls->props[i].name, name) == 0)
                d = &cls->props[i];
        if (d != NULL) {
            wmgw_cim_propdecl_dispose(d);
            if ((d->name = strdup(name)) == NULL) {
                free(ref_class);
                return NULL;
            }
            d->type = t;
            wmgw_cim_value_init_null(&d->default_value, t);
        }
    }
    if (d == NULL)
        d = m ? wmgw_cim_method_add_param(m, name, t) : wmgw_cim_class_add_prop(cls, name, t);
    if (d == NULL) {
        free(ref_class);
        return NULL;
    }
    d->ref_class = ref_class;
    if (decl_from_json(d, j, err) != 0)
        return NULL;
    /* CIM marks interval datetimes with SubType("interval"). */
    if (strncasecmp(type, "interval", 8) == 0) {
        struct wmgw_cim_value v;
        wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
        v.null = false;
        if ((v.u.str = strdup("interval")) == NULL || wmgw_cim_proplist_put(&d->qualifiers, "SubType", &v) != 0)
            return NULL;
    }
    return d;
}

static int decl_copy(struct wmgw_cim_propdecl *dst, const struct wmgw_cim_propdecl *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->name = strdup(src->name);
    dst->type = src->type;
    dst->flags = src->flags;
    dst->ref_class = wmgw_cim_strdup(src->ref_class);
    dst->description = wmgw_cim_strdup(src->description);
    if (dst->name == NULL || wmgw_cim_value_copy(&dst->default_value, &src->default_value) != 0 ||
        wmgw_cim_proplist_copy(&dst->qualifiers, &src->qualifiers) != 0)
        return WMGW_ENOMEM;
    return 0;
}

/* A subclass starts with every property and method of its superclass and
 * the qualifiers WMI lets a subclass inherit. */
static int inherit(struct wmgw_cim_class *cls, const struct wmgw_cim_class *super)
{
    cls->flags |= super->flags & (WMGW_CIM_Q_ASSOCIATION | WMGW_CIM_Q_SUPPORTS_CREATE | WMGW_CIM_Q_SUPPORTS_UPDATE |
                                  WMGW_CIM_Q_SUPPORTS_DELETE);
    cls->props = calloc(super->nprops ? super->nprops : 1, sizeof(*cls->props));
    if (cls->props == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < super->nprops; i++, cls->nprops++)
        if (decl_copy(&cls->props[i], &super->props[i]) != 0)
            return WMGW_ENOMEM;
    for (size_t i = 0; i < super->nmethods; i++) {
        const struct wmgw_cim_method *sm = &super->methods[i];
        struct wmgw_cim_method *m = wmgw_cim_class_add_method(cls, sm->name);
        if (m == NULL)
            return WMGW_ENOMEM;
        m->return_type = sm->return_type;
        m->flags = sm->flags;
        m->params = calloc(sm->nparams ? sm->nparams : 1, sizeof(*m->params));
        if (m->params == NULL)
            return WMGW_ENOMEM;
        for (size_t k = 0; k < sm->nparams; k++, m->nparams++)
            if (decl_copy(&m->params[k], &sm->params[k]) != 0)
                return WMGW_ENOMEM;
    }
    return 0;
}

static int method_from_json(struct wmgw_cim_class *cls, const json_t *j, struct wmgw_err *err)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    if (name == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: method without a name", cls->name);
    const struct wmgw_cim_method *old = wmgw_cim_class_method(cls, name);
    struct wmgw_cim_method *m;
    if (old != NULL) { /* override: start over */
        m = (struct wmgw_cim_method *)old;
        for (size_t i = 0; i < m->nparams; i++)
            wmgw_cim_propdecl_dispose(&m->params[i]);
        m->nparams = 0;
    } else if ((m = wmgw_cim_class_add_method(cls, name)) == NULL) {
        return WMGW_ENOMEM;
    }
    m->flags = json_is_true(json_object_get(j, "static")) ? WMGW_CIM_Q_STATIC : 0;
    m->return_type = WMGW_CIM_NONE;
    const char *ret = json_string_value(json_object_get(j, "returns"));
    char *ignored = NULL;
    if (ret != NULL && wmgw_cim_type_parse(ret, &m->return_type, &ignored) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "%s.%s: bad return type %s", cls->name, name, ret);
    free(ignored);
    static const char *const dirs[] = {"in", "out"};
    for (int dir = 0; dir < 2; dir++) {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(j, dirs[dir]), i, p) {
            const char *pname = json_string_value(json_object_get(p, "name"));
            struct wmgw_cim_propdecl *d = NULL;
            for (size_t k = 0; pname && k < m->nparams && d == NULL; k++)
                if (strcasecmp(m->params[k].name, pname) == 0)
                    d = &m->params[k]; /* in and out: one parameter, both flags */
            if (d == NULL && (d = add_decl_json(cls, m, p, err)) == NULL)
                return err && err->code ? err->code : WMGW_ENOMEM;
            d->flags |= dir == 0 ? WMGW_CIM_Q_IN : WMGW_CIM_Q_OUT;
        }
    }
    return 0;
}

static int cmp_decl(const void *a, const void *b)
{
    return strcasecmp(((const struct wmgw_cim_propdecl *)a)->name, ((const struct wmgw_cim_propdecl *)b)->name);
}

static const struct {
    const char *name;
    unsigned flag;
} class_qualifiers[] = {
    {"association", WMGW_CIM_Q_ASSOCIATION},        {"singleton", WMGW_CIM_Q_SINGLETON},
    {"abstract", WMGW_CIM_Q_ABSTRACT},              {"SupportsCreate", WMGW_CIM_Q_SUPPORTS_CREATE},
    {"SupportsUpdate", WMGW_CIM_Q_SUPPORTS_UPDATE}, {"SupportsDelete", WMGW_CIM_Q_SUPPORTS_DELETE},
};

/* Everything but the name and the superclass. */
static int class_body(struct wmgw_cim_class *cls, const json_t *j, struct wmgw_err *err)
{
    const char *desc = json_string_value(json_object_get(j, "description"));
    if (desc != NULL && (cls->description = strdup(desc)) == NULL)
        return WMGW_ENOMEM;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(j, "qualifiers"), i, e) {
        const char *q = json_string_value(e);
        for (size_t k = 0; q != NULL && k < sizeof(class_qualifiers) / sizeof(class_qualifiers[0]); k++)
            if (strcasecmp(q, class_qualifiers[k].name) == 0)
                cls->flags |= class_qualifiers[k].flag;
    }
    json_array_foreach(json_object_get(j, "properties"), i, e) {
        if (add_decl_json(cls, NULL, e, err) == NULL)
            return err && err->code ? err->code : WMGW_ENOMEM;
    }
    json_array_foreach(json_object_get(j, "methods"), i, e) {
        int rc = method_from_json(cls, e, err);
        if (rc != 0)
            return rc;
    }
    /* WinRM renders properties in name order; keep the schema that way. */
    if (cls->nprops > 1)
        qsort(cls->props, cls->nprops, sizeof(*cls->props), cmp_decl);
    return 0;
}

int wmgw_cim_class_from_json(const json_t *j, const char *ns, wmgw_cim_class_lookup_fn lookup, void *ctx,
                             struct wmgw_cim_class **out, struct wmgw_err *err)
{
    *out = NULL;
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *super = json_string_value(json_object_get(j, "superclass"));
    if (!json_is_object(j) || name == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "a class without a name in %s", ns);
    if (lookup(ctx, ns, name) != NULL)
        return wmgw_err_set(err, WMGW_EEXIST, "class %s defined twice in %s", name, ns);
    struct wmgw_cim_class *cls = wmgw_cim_class_new(name, ns);
    if (cls == NULL)
        return WMGW_ENOMEM;
    int rc = 0;
    if (super != NULL) {
        const struct wmgw_cim_class *sc = lookup(ctx, ns, super);
        if (sc == NULL)
            rc = wmgw_err_set(err, WMGW_EINVAL, "%s: superclass %s is not defined before it", name, super);
        else if ((cls->superclass = strdup(sc->name)) == NULL || inherit(cls, sc) != 0)
            rc = WMGW_ENOMEM;
    }
    if (rc == 0)
        rc = class_body(cls, j, err);
    if (rc != 0) {
        wmgw_cim_class_free(cls);
        return rc;
    }
    *out = cls;
    return 0;
}
