/*
 * fixtures.c: builds a host's store from the JSON files of tests/sim/fixtures
 * (format in fixtures/README.md), substituting the host's variables.
 *
 * Instances are read with the REST API's own JSON mapping (cim/json.h), so
 * the fixtures double as examples of that mapping.
 */
#include "tests/sim/fixtures.h"
#include "cim/class_json.h"
#include "cim/json.h"
#include "tests/sim/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsondir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- variables ----------------------------------------------------------- */

int sim_vars_set(struct sim_vars *v, const char *name, const char *fmt, ...)
{
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->items[i].name, name) == 0) {
            char *s = strdup(value);
            if (s == NULL)
                return WMGW_ENOMEM;
            free(v->items[i].value);
            v->items[i].value = s;
            return 0;
        }
    }
    struct sim_var *items = realloc(v->items, (v->n + 1) * sizeof(*items));
    if (items == NULL)
        return WMGW_ENOMEM;
    v->items = items;
    items[v->n].name = strdup(name);
    items[v->n].value = strdup(value);
    if (items[v->n].name == NULL || items[v->n].value == NULL)
        return WMGW_ENOMEM;
    v->n++;
    return 0;
}

const char *sim_vars_get(const struct sim_vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->items[i].name, name) == 0)
            return v->items[i].value;
    return NULL;
}

void sim_vars_dispose(struct sim_vars *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->items[i].name);
        free(v->items[i].value);
    }
    free(v->items);
    v->items = NULL;
    v->n = 0;
}

char *sim_vars_expand(const struct sim_vars *v, const char *s, long index, struct wmgw_err *err)
{
    struct wmgw_buf out;
    wmgw_buf_init(&out, 1 << 20);
    const char *p = s;
    int rc = 0;
    while (rc == 0 && *p) {
        const char *start = strstr(p, "${");
        if (start == NULL) {
            rc = wmgw_buf_addstr(&out, p);
            break;
        }
        const char *end = strchr(start, '}');
        if (end == NULL) {
            rc = wmgw_err_set(err, WMGW_EINVAL, "unterminated ${ in \"%.60s\"", s);
            break;
        }
        rc = wmgw_buf_add(&out, p, (size_t)(start - p));
        char name[64];
        size_t nlen = (size_t)(end - start - 2);
        if (rc == 0 && nlen >= sizeof(name))
            rc = wmgw_err_set(err, WMGW_EINVAL, "variable name too long in \"%.60s\"", s);
        if (rc != 0)
            break;
        memcpy(name, start + 2, nlen);
        name[nlen] = '\0';
        if (index >= 0 && strcmp(name, "i") == 0) {
            rc = wmgw_buf_printf(&out, "%ld", index);
        } else if (index >= 0 && strcmp(name, "i1000") == 0) {
            rc = wmgw_buf_printf(&out, "%ld", index + 1000);
        } else {
            const char *val = sim_vars_get(v, name);
            rc = val ? wmgw_buf_addstr(&out, val) : wmgw_err_set(err, WMGW_EINVAL, "unknown variable ${%s}", name);
        }
        p = end + 1;
    }
    if (rc != 0) {
        wmgw_buf_dispose(&out);
        return NULL;
    }
    return wmgw_buf_steal(&out, NULL);
}

json_t *sim_vars_expand_json(const struct sim_vars *v, const json_t *j, long index, struct wmgw_err *err)
{
    switch (json_typeof(j)) {
    case JSON_STRING: {
        if (strstr(json_string_value(j), "${") == NULL)
            return json_deep_copy(j);
        char *s = sim_vars_expand(v, json_string_value(j), index, err);
        json_t *r = s ? json_string(s) : NULL;
        free(s);
        return r;
    }
    case JSON_ARRAY: {
        json_t *r = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(j, i, e) {
            json_t *c = sim_vars_expand_json(v, e, index, err);
            if (c == NULL || json_array_append_new(r, c) != 0) {
                json_decref(r);
                return NULL;
            }
        }
        return r;
    }
    case JSON_OBJECT: {
        json_t *r = json_object();
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)j, k, e) {
            json_t *c = sim_vars_expand_json(v, e, index, err);
            if (c == NULL || json_object_set_new(r, k, c) != 0) {
                json_decref(r);
                return NULL;
            }
        }
        return r;
    }
    default:
        return json_deep_copy(j);
    }
}

/* --- classes ------------------------------------------------------------- */

/* The class parser is cim/class_json.c, shared with the gateway's class
 * catalogue; the store is its lookup (superclasses, duplicates). */
static const struct wmgw_cim_class *store_class(void *ctx, const char *ns, const char *name)
{
    struct sim_class *c = sim_store_class(ctx, ns, name);
    return c ? c->cls : NULL;
}

static int class_from_json(struct sim_store *s, const char *ns, const json_t *j, struct wmgw_err *err)
{
    struct wmgw_cim_class *cls;
    int rc = wmgw_cim_class_from_json(j, ns, store_class, s, &cls, err);
    if (rc == 0 && sim_store_add_class(s, cls) == NULL) {
        wmgw_cim_class_free(cls);
        rc = WMGW_ENOMEM;
    }
    return rc;
}

/* --- instances ------------------------------------------------------------ */

static int nested_namespace(struct wmgw_cim_proplist *props, const char *ns, int depth);

/* A reference or embedded object written in a fixture names no namespace:
 * it is the fixture's own (WinRM renders it in its resource URI). */
static int value_namespace(struct wmgw_cim_value *v, const char *ns, int depth)
{
    uint16_t base = WMGW_CIM_BASETYPE(v->type);
    char **slot = NULL;
    if (v->null || depth > 32)
        return 0;
    if (WMGW_CIM_IS_ARRAY(v->type)) {
        for (size_t i = 0; i < v->u.arr.n; i++) {
            int rc = value_namespace(&v->u.arr.v[i], ns, depth);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    if (base == WMGW_CIM_REFERENCE && v->u.ref != NULL)
        slot = &v->u.ref->namespace_;
    else if (base == WMGW_CIM_OBJECT && v->u.obj != NULL)
        slot = &v->u.obj->namespace_;
    if (slot != NULL && *slot == NULL && (*slot = strdup(ns)) == NULL)
        return WMGW_ENOMEM;
    if (base == WMGW_CIM_OBJECT && v->u.obj != NULL)
        return nested_namespace(&v->u.obj->props, ns, depth + 1);
    return 0;
}

static int nested_namespace(struct wmgw_cim_proplist *props, const char *ns, int depth)
{
    for (size_t i = 0; i < props->n; i++) {
        int rc = value_namespace(&props->items[i].value, ns, depth);
        if (rc != 0)
            return rc;
    }
    return 0;
}

struct wmgw_cim_instance *sim_fixtures_instance(struct sim_store *s, const char *ns, const json_t *obj,
                                                struct wmgw_err *err)
{
    const char *class_name = json_string_value(json_object_get(obj, "@class"));
    struct sim_class *c = sim_store_class(s, ns, class_name);
    if (c == NULL) {
        wmgw_err_set(err, WMGW_EINVAL, "instance of unknown class %s in %s", class_name ? class_name : "?", ns);
        return NULL;
    }
    struct wmgw_cim_instance *inst = NULL;
    if (wmgw_cim_json_read_instance(obj, c->cls, &inst, err) != 0)
        return NULL;
    /* Properties the fixture leaves out are NULL or the class default. */
    for (size_t i = 0; i < c->cls->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &c->cls->props[i];
        if (wmgw_cim_proplist_find(&inst->props, d->name) != NULL)
            continue;
        struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&inst->props, d->name, d->type);
        if (p == NULL || wmgw_cim_value_copy(&p->value, &d->default_value) != 0) {
            wmgw_cim_instance_unref(inst);
            return NULL;
        }
    }
    free(inst->namespace_);
    inst->namespace_ = strdup(c->cls->namespace_);
    if (inst->namespace_ == NULL || nested_namespace(&inst->props, c->cls->namespace_, 0) != 0) {
        wmgw_cim_instance_unref(inst);
        return NULL;
    }
    return inst;
}

/* Does the "@hosts" member admit host number n? */
static bool on_this_host(const json_t *hosts, long n)
{
    if (hosts == NULL)
        return true;
    if (json_is_string(hosts)) {
        const char *h = json_string_value(hosts);
        return strcmp(h, "all") == 0 || (strcmp(h, "odd") == 0 && n % 2 == 1) || (strcmp(h, "even") == 0 && n % 2 == 0);
    }
    size_t i;
    json_t *e;
    json_array_foreach(hosts, i, e) {
        if (json_is_integer(e) && json_integer_value(e) == n)
            return true;
    }
    return false;
}

/* A count given as a number or a "${VAR}" string. */
static int count_value(const struct sim_vars *v, const json_t *j, long *out, struct wmgw_err *err)
{
    if (json_is_integer(j)) {
        *out = (long)json_integer_value(j);
        return 0;
    }
    if (!json_is_string(j))
        return wmgw_err_set(err, WMGW_EINVAL, "a count must be a number or a string");
    char *s = sim_vars_expand(v, json_string_value(j), -1, err);
    if (s == NULL)
        return WMGW_EINVAL;
    char *end;
    *out = strtol(s, &end, 10);
    int rc = *end != '\0' || *out < 0 ? wmgw_err_set(err, WMGW_EINVAL, "bad count \"%s\"", s) : 0;
    free(s);
    return rc;
}

static int instance_from_json(struct sim_store *s, const char *ns, const json_t *j, struct wmgw_err *err)
{
    const char *nstr = sim_vars_get(s->vars, "N");
    long n = nstr ? strtol(nstr, NULL, 10) : 1;
    if (!on_this_host(json_object_get(j, "@hosts"), n))
        return 0;
    long repeat = -1;
    const json_t *rep = json_object_get(j, "@repeat");
    if (rep != NULL && count_value(s->vars, rep, &repeat, err) != 0)
        return WMGW_EINVAL;
    for (long i = repeat < 0 ? -1 : 0; i < (repeat < 0 ? 0 : repeat); i++) {
        json_t *x = sim_vars_expand_json(s->vars, j, i, err);
        if (x == NULL)
            return WMGW_EINVAL;
        struct wmgw_cim_instance *inst = sim_fixtures_instance(s, ns, x, err);
        json_decref(x);
        if (inst == NULL)
            return WMGW_EINVAL;
        int rc = sim_store_insert(s, inst, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int generated_from_json(struct sim_store *s, const char *ns, const json_t *j, struct wmgw_err *err)
{
    const char *name = json_string_value(json_object_get(j, "class"));
    struct sim_class *c = sim_store_class(s, ns, name);
    const json_t *tmpl = json_object_get(j, "template");
    long count;
    if (c == NULL || !json_is_object(tmpl))
        return wmgw_err_set(err, WMGW_EINVAL, "generated: unknown class %s or no template", name ? name : "?");
    if (count_value(s->vars, json_object_get(j, "count"), &count, err) != 0)
        return WMGW_EINVAL;
    c->gen_template = json_deep_copy(tmpl);
    json_object_set_new(c->gen_template, "@class", json_string(c->cls->name));
    c->gen_count = (size_t)count;
    /* A template whose ${i} sits only in top-level strings is prepared once
     * (benchmarks enumerate 100,000 of these: the sim must not be what
     * they measure). */
    bool simple = true;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tmpl, k, v) {
        const char *str = json_string_value(v);
        if (str != NULL && strstr(str, "${i") != NULL) {
            char **d = realloc(c->gen_dynamic, (c->ngen_dynamic + 1) * sizeof(*d));
            if (d == NULL || (d[c->ngen_dynamic] = strdup(k)) == NULL)
                return WMGW_ENOMEM;
            c->gen_dynamic = d;
            c->ngen_dynamic++;
        } else if ((json_is_object(v) || json_is_array(v))) {
            char *dump = json_dumps(v, JSON_COMPACT);
            simple = simple && dump != NULL && strstr(dump, "${i") == NULL;
            free(dump);
        }
    }
    if (simple && c->gen_count > 0) {
        c->gen_base = sim_store_generate(s, c, 0); /* the slow path, once */
        if (c->gen_base == NULL)
            return wmgw_err_set(err, WMGW_EINVAL, "generated: template of %s does not fit its class", name);
    }
    /* Get by key is O(1) when the one key is the index itself. */
    for (size_t i = 0; i < c->cls->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &c->cls->props[i];
        if (d->flags & WMGW_CIM_Q_KEY) {
            const char *key = json_string_value(json_object_get(tmpl, d->name));
            c->gen_key_is_index = wmgw_cim_class_key_count(c->cls) == 1 && key != NULL && strcmp(key, "${i}") == 0;
        }
    }
    return 0;
}

static int load_file(void *ctx, const char *path, struct wmgw_err *err)
{
    struct sim_store *s = ctx;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: %s", path, jerr.line, jerr.text);
    const char *ns = json_string_value(json_object_get(root, "namespace"));
    int rc = 0;
    char *nsn = ns ? wmgw_cim_namespace_normalize(ns) : NULL;
    if (nsn == NULL)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "%s: no \"namespace\"", path);
    else if (sim_store_add_namespace(s, nsn) == NULL)
        rc = WMGW_ENOMEM;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(root, "classes"), i, e) {
        if (rc == 0)
            rc = class_from_json(s, nsn, e, err);
    }
    json_array_foreach(json_object_get(root, "instances"), i, e) {
        if (rc == 0)
            rc = instance_from_json(s, nsn, e, err);
    }
    json_array_foreach(json_object_get(root, "generated"), i, e) {
        if (rc == 0)
            rc = generated_from_json(s, nsn, e, err);
    }
    if (rc != 0 && err != NULL && strncmp(err->message, path, strlen(path)) != 0) {
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof(msg), "%.100s: %.200s", path, err->message);
        memcpy(err->message, msg, sizeof(msg));
    }
    free(nsn);
    json_decref(root);
    return rc;
}

int sim_fixtures_load(struct sim_store *s, const char *dir, struct wmgw_err *err)
{
    return wmgw_jsondir_each(dir, load_file, s, err);
}
