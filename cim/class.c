/*
 * class.c: class schemas: properties, methods, parameters (cim.h).
 */
#include "cim/cim.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct wmgw_cim_class *wmgw_cim_class_new(const char *name, const char *namespace_)
{
    struct wmgw_cim_class *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->name = wmgw_cim_strdup(name);
    c->namespace_ = wmgw_cim_strdup(namespace_);
    if (c->name == NULL || (namespace_ != NULL && c->namespace_ == NULL)) {
        wmgw_cim_class_free(c);
        return NULL;
    }
    return c;
}

void wmgw_cim_propdecl_dispose(struct wmgw_cim_propdecl *p)
{
    free(p->name);
    free(p->ref_class);
    free(p->description);
    wmgw_cim_proplist_dispose(&p->qualifiers);
    wmgw_cim_value_dispose(&p->default_value);
    memset(p, 0, sizeof(*p));
}

static void method_dispose(struct wmgw_cim_method *m)
{
    free(m->name);
    for (size_t i = 0; i < m->nparams; i++)
        wmgw_cim_propdecl_dispose(&m->params[i]);
    free(m->params);
}

void wmgw_cim_class_free(struct wmgw_cim_class *c)
{
    if (c == NULL)
        return;
    free(c->name);
    free(c->superclass);
    free(c->namespace_);
    free(c->description);
    for (size_t i = 0; i < c->nprops; i++)
        wmgw_cim_propdecl_dispose(&c->props[i]);
    free(c->props);
    for (size_t i = 0; i < c->nmethods; i++)
        method_dispose(&c->methods[i]);
    free(c->methods);
    free(c);
}

const struct wmgw_cim_propdecl *wmgw_cim_class_prop(const struct wmgw_cim_class *c, const char *name)
{
    for (size_t i = 0; i < c->nprops; i++)
        if (strcasecmp(c->props[i].name, name) == 0)
            return &c->props[i];
    return NULL;
}

const struct wmgw_cim_method *wmgw_cim_class_method(const struct wmgw_cim_class *c, const char *name)
{
    for (size_t i = 0; i < c->nmethods; i++)
        if (strcasecmp(c->methods[i].name, name) == 0)
            return &c->methods[i];
    return NULL;
}

size_t wmgw_cim_class_key_count(const struct wmgw_cim_class *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nprops; i++)
        if (c->props[i].flags & WMGW_CIM_Q_KEY)
            n++;
    return n;
}

static struct wmgw_cim_propdecl *add_decl(struct wmgw_cim_propdecl **arr, size_t *n, const char *name, uint16_t type)
{
    struct wmgw_cim_propdecl *p = realloc(*arr, (*n + 1) * sizeof(*p));
    if (p == NULL)
        return NULL;
    *arr = p;
    p = &p[*n];
    memset(p, 0, sizeof(*p));
    if ((p->name = strdup(name)) == NULL)
        return NULL;
    p->type = type;
    wmgw_cim_value_init_null(&p->default_value, type);
    (*n)++;
    return p;
}

struct wmgw_cim_propdecl *wmgw_cim_class_add_prop(struct wmgw_cim_class *c, const char *name, uint16_t type)
{
    return add_decl(&c->props, &c->nprops, name, type);
}

struct wmgw_cim_propdecl *wmgw_cim_method_add_param(struct wmgw_cim_method *m, const char *name, uint16_t type)
{
    return add_decl(&m->params, &m->nparams, name, type);
}

struct wmgw_cim_method *wmgw_cim_class_add_method(struct wmgw_cim_class *c, const char *name)
{
    struct wmgw_cim_method *m = realloc(c->methods, (c->nmethods + 1) * sizeof(*m));
    if (m == NULL)
        return NULL;
    c->methods = m;
    m = &m[c->nmethods];
    memset(m, 0, sizeof(*m));
    if ((m->name = strdup(name)) == NULL)
        return NULL;
    c->nmethods++;
    return m;
}

char *wmgw_cim_namespace_normalize(const char *ns)
{
    char *s = strdup(ns);
    if (s == NULL)
        return NULL;
    for (char *p = s; *p; p++)
        if (*p == '\\')
            *p = '/';
    /* Trim leading and trailing separators: "/root/cimv2/" is root/cimv2. */
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == '/')
        s[--len] = '\0';
    size_t lead = strspn(s, "/");
    memmove(s, s + lead, len - lead + 1);
    return s;
}
