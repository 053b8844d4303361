/*
 * catalogue.c: the class catalogue (catalogue.h).
 *
 * Files are read with jansson and each class description with the
 * simulator's own parser (cim/class_json.c), so a schema in the catalogue
 * means exactly what the same text means to wmsim.  Instances and
 * generated classes in those files are ignored: the catalogue holds
 * schemas, never data.  Namespaces keep their classes in definition order
 * (local association evaluation walks them in that order, as WMI walks
 * its repository).
 */
#include "gateway/catalogue.h"
#include "cim/class_json.h"
#include "util/err.h"
#include "util/jsondir.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


struct cat_namespace {
    char *name;
    size_t n, cap;
    struct wmgw_class_entry **classes;
};

struct wmgw_catalogue {
    char *dir;
    size_t n;
    struct cat_namespace *ns;
    size_t nclasses;
};

static struct cat_namespace *find_ns(const struct wmgw_catalogue *cat, const char *ns)
{
    for (size_t i = 0; cat != NULL && ns != NULL && i < cat->n; i++)
        if (strcasecmp(cat->ns[i].name, ns) == 0)
            return &cat->ns[i];
    return NULL;
}

static struct cat_namespace *add_ns(struct wmgw_catalogue *cat, const char *ns)
{
    struct cat_namespace *n = find_ns(cat, ns);
    if (n != NULL)
        return n;
    n = realloc(cat->ns, (cat->n + 1) * sizeof(*n));
    if (n == NULL)
        return NULL;
    cat->ns = n;
    n = &n[cat->n];
    memset(n, 0, sizeof(*n));
    if ((n->name = strdup(ns)) == NULL)
        return NULL;
    cat->n++;
    return n;
}

static const struct wmgw_class_entry *find_entry(const struct wmgw_catalogue *cat, const char *ns,
                                                 const char *class_name)
{
    const struct cat_namespace *n = find_ns(cat, ns);
    for (size_t i = 0; n != NULL && class_name != NULL && i < n->n; i++)
        if (strcasecmp(n->classes[i]->cls->name, class_name) == 0)
            return n->classes[i];
    return NULL;
}

static const struct wmgw_cim_class *lookup(void *ctx, const char *ns, const char *class_name)
{
    const struct wmgw_class_entry *e = find_entry(ctx, ns, class_name);
    return e ? e->cls : NULL;
}

/* Adds cls (taken) to namespace n as a counted entry owned by the catalogue. */
static int add_class(struct wmgw_catalogue *cat, struct cat_namespace *n, struct wmgw_cim_class *cls)
{
    struct wmgw_class_entry *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->namespace_ = strdup(n->name)) == NULL) {
        free(e);
        wmgw_cim_class_free(cls);
        return WMGW_ENOMEM;
    }
    atomic_init(&e->refcnt, 1);
    e->cls = cls;
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 32;
        struct wmgw_class_entry **c = realloc(n->classes, cap * sizeof(*c));
        if (c == NULL) {
            wmgw_class_entry_unref(e);
            return WMGW_ENOMEM;
        }
        n->classes = c;
        n->cap = cap;
    }
    n->classes[n->n++] = e;
    cat->nclasses++;
    return 0;
}

static int load_file(void *ctx, const char *path, struct wmgw_err *err)
{
    struct wmgw_catalogue *cat = ctx;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: %s", path, jerr.line, jerr.text);
    const char *ns = json_string_value(json_object_get(root, "namespace"));
    char *nsn = ns ? wmgw_cim_namespace_normalize(ns) : NULL;
    struct cat_namespace *n = NULL;
    int rc = 0;
    if (nsn == NULL)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "%s: no \"namespace\"", path);
    else if ((n = add_ns(cat, nsn)) == NULL)
        rc = WMGW_ENOMEM;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(root, "classes"), i, e) {
        struct wmgw_cim_class *cls = NULL;
        struct wmgw_err why;
        wmgw_err_clear(&why);
        if (rc != 0)
            break;
        rc = wmgw_cim_class_from_json(e, n->name, lookup, cat, &cls, &why);
        if (rc == 0)
            rc = add_class(cat, n, cls);
        else if (rc != WMGW_ENOMEM)
            rc = wmgw_err_set(err, WMGW_ECONFIG, "%s: %s", path, why.message);
    }
    free(nsn);
    json_decref(root);
    return rc;
}

int wmgw_catalogue_load(const char *dir, struct wmgw_catalogue **out, struct wmgw_err *err)
{
    *out = NULL;
    struct wmgw_catalogue *cat = calloc(1, sizeof(*cat));
    int rc = cat && (cat->dir = strdup(dir)) ? 0 : WMGW_ENOMEM;
    if (rc == 0)
        rc = wmgw_jsondir_each(dir, load_file, cat, err);
    if (rc != 0) {
        if (rc == WMGW_ENOMEM)
            wmgw_err_set(err, WMGW_ENOMEM, "class-catalogue: out of memory");
        else if (err != NULL && strncmp(err->message, "class-catalogue", 15) != 0) {
            char msg[sizeof(err->message)];
            snprintf(msg, sizeof(msg), "class-catalogue: %.280s", err->message);
            memcpy(err->message, msg, sizeof(msg));
        }
        wmgw_catalogue_free(cat);
        return rc;
    }
    *out = cat;
    return 0;
}

void wmgw_catalogue_free(struct wmgw_catalogue *cat)
{
    if (cat == NULL)
        return;
    for (size_t i = 0; i < cat->n; i++) {
        for (size_t k = 0; k < cat->ns[i].n; k++)
            wmgw_class_entry_unref(cat->ns[i].classes[k]);
        free(cat->ns[i].classes);
        free(cat->ns[i].name);
    }
    free(cat->ns);
    free(cat->dir);
    free(cat);
}

const char *wmgw_catalogue_dir(const struct wmgw_catalogue *cat)
{
    return cat ? cat->dir : NULL;
}

size_t wmgw_catalogue_size(const struct wmgw_catalogue *cat)
{
    return cat ? cat->nclasses : 0;
}

struct wmgw_class_entry *wmgw_catalogue_get(const struct wmgw_catalogue *cat, const char *ns, const char *class_name)
{
    const struct wmgw_class_entry *e = find_entry(cat, ns, class_name);
    return e ? wmgw_class_entry_ref((struct wmgw_class_entry *)e) : NULL;
}

const struct wmgw_cim_class *wmgw_catalogue_class(const struct wmgw_catalogue *cat, const char *ns,
                                                  const char *class_name)
{
    return lookup((void *)cat, ns, class_name);
}

const struct wmgw_cim_class *wmgw_catalogue_at(const struct wmgw_catalogue *cat, const char *ns, size_t i)
{
    const struct cat_namespace *n = find_ns(cat, ns);
    return n != NULL && i < n->n ? n->classes[i]->cls : NULL;
}
