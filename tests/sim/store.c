/*
 * store.c: a simulated host's CIM repository (store.h).
 *
 * Small by design: linear searches over a few dozen classes and instances
 * per class are faster than hashing at this size; the one big class is a
 * generated one whose instances are computed, never stored.
 */
#include "tests/sim/store.h"
#include "tests/sim/fixtures.h"
#include "tests/sim/security.h"
#include "util/buf.h"
#include "cim/json.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sim_store *sim_store_new(const struct sim_vars *vars)
{
    struct sim_store *s = calloc(1, sizeof(*s));
    if (s != NULL) {
        s->vars = vars;
        s->next_process_id = 5000;
    }
    return s;
}

static void class_dispose(struct sim_class *c)
{
    for (size_t i = 0; i < c->n; i++)
        wmgw_cim_instance_unref(c->items[i]);
    free(c->items);
    json_decref(c->gen_template);
    wmgw_cim_instance_unref(c->gen_base);
    for (size_t i = 0; i < c->ngen_dynamic; i++)
        free(c->gen_dynamic[i]);
    free(c->gen_dynamic);
    wmgw_cim_class_free(c->cls);
}

void sim_store_free(struct sim_store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; j < s->ns[i].n; j++)
            class_dispose(&s->ns[i].classes[j]);
        free(s->ns[i].classes);
        free(s->ns[i].name);
        sim_security_free_sd(s->ns[i].sd);
    }
    free(s->ns);
    free(s);
}

struct sim_namespace *sim_store_namespace(struct sim_store *s, const char *ns)
{
    if (ns == NULL)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->ns[i].name, ns) == 0)
            return &s->ns[i];
    return NULL;
}

struct sim_namespace *sim_store_add_namespace(struct sim_store *s, const char *ns)
{
    struct sim_namespace *n = sim_store_namespace(s, ns);
    if (n != NULL)
        return n;
    n = realloc(s->ns, (s->n + 1) * sizeof(*n));
    if (n == NULL)
        return NULL;
    s->ns = n;
    n = &s->ns[s->n];
    memset(n, 0, sizeof(*n));
    if ((n->name = wmgw_cim_namespace_normalize(ns)) == NULL)
        return NULL;
    s->n++;
    return n;
}

struct sim_class *sim_store_class(struct sim_store *s, const char *ns, const char *class_name)
{
    struct sim_namespace *n = sim_store_namespace(s, ns);
    if (n == NULL || class_name == NULL)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcasecmp(n->classes[i].cls->name, class_name) == 0)
            return &n->classes[i];
    return NULL;
}

struct sim_class *sim_store_add_class(struct sim_store *s, struct wmgw_cim_class *cls)
{
    struct sim_namespace *n = sim_store_add_namespace(s, cls->namespace_);
    if (n == NULL)
        return NULL;
    struct sim_class *c = realloc(n->classes, (n->n + 1) * sizeof(*c));
    if (c == NULL)
        return NULL;
    n->classes = c;
    c = &n->classes[n->n++];
    memset(c, 0, sizeof(*c));
    c->cls = cls;
    return c;
}

bool sim_store_isa(struct sim_store *s, const char *ns, const char *class_name, const char *base)
{
    /* Bounded walk: a fixture with a superclass cycle must not hang us. */
    for (int depth = 0; class_name != NULL && depth < 32; depth++) {
        if (strcasecmp(class_name, base) == 0)
            return true;
        struct sim_class *c = sim_store_class(s, ns, class_name);
        class_name = c ? c->cls->superclass : NULL;
    }
    return false;
}

const struct wmgw_cim_class *sim_store_class_of(struct sim_store *s, const struct wmgw_cim_instance *inst)
{
    struct sim_class *c = sim_store_class(s, inst->namespace_, inst->class_name);
    return c ? c->cls : NULL;
}

static bool key_matches(const struct wmgw_cim_value *have, const struct wmgw_cim_value *want, int depth);

/* Do two references name the same instance?  Their keys are compared as
 * keys are (a fixture's reference holds its keys as JSON typed them, a
 * request's EPR as selector strings), the classes by name. */
static bool refs_match(const struct wmgw_cim_ref *have, const struct wmgw_cim_ref *want, int depth)
{
    if (have->class_name == NULL || want->class_name == NULL || strcasecmp(have->class_name, want->class_name) != 0 ||
        have->keys.n != want->keys.n || depth > 8)
        return false;
    for (size_t i = 0; i < want->keys.n; i++) {
        const struct wmgw_cim_prop *k = wmgw_cim_proplist_find(&have->keys, want->keys.items[i].name);
        if (k == NULL || !key_matches(&k->value, &want->keys.items[i].value, depth + 1))
            return false;
    }
    return true;
}

/* Key comparison as WMI does it: strings case-insensitively, other types
 * by value, after converting a key of another type (a selector's string,
 * a JSON integer) to the property's type through its text. */
static bool key_matches(const struct wmgw_cim_value *have, const struct wmgw_cim_value *want, int depth)
{
    if (have->null || want->null)
        return false;
    uint16_t ht = WMGW_CIM_BASETYPE(have->type), wt = WMGW_CIM_BASETYPE(want->type);
    if (ht == WMGW_CIM_STRING && wt == WMGW_CIM_STRING)
        return strcasecmp(have->u.str, want->u.str) == 0;
    if (ht == WMGW_CIM_REFERENCE && wt == WMGW_CIM_REFERENCE)
        return refs_match(have->u.ref, want->u.ref, depth);
    if (ht == wt || ht == WMGW_CIM_REFERENCE || ht == WMGW_CIM_OBJECT || wt == WMGW_CIM_REFERENCE ||
        wt == WMGW_CIM_OBJECT || WMGW_CIM_IS_ARRAY(have->type) || WMGW_CIM_IS_ARRAY(want->type))
        return wmgw_cim_value_equal(have, want);
    struct wmgw_buf text;
    wmgw_buf_init(&text, 4096);
    struct wmgw_cim_value conv;
    bool eq = false;
    if (wmgw_cim_value_to_text(want, &text) == 0 && text.data != NULL &&
        wmgw_cim_value_from_text(&conv, ht, text.data, text.len) == 0) {
        eq = wmgw_cim_value_equal(have, &conv);
        wmgw_cim_value_dispose(&conv);
    }
    wmgw_buf_dispose(&text);
    return eq;
}

static bool instance_has_keys(const struct wmgw_cim_instance *inst, const struct wmgw_cim_ref *ref)
{
    for (size_t i = 0; i < ref->keys.n; i++) {
        const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, ref->keys.items[i].name);
        if (v == NULL || !key_matches(v, &ref->keys.items[i].value, 0))
            return false;
    }
    return true;
}

/* Index of the stored instance in c matching ref, or -1. */
static long find_in_class(const struct sim_class *c, const struct wmgw_cim_ref *ref)
{
    for (size_t i = 0; i < c->n; i++)
        if (instance_has_keys(c->items[i], ref))
            return (long)i;
    return -1;
}

static struct wmgw_cim_instance *find_generated(struct sim_store *s, struct sim_class *c,
                                                const struct wmgw_cim_ref *ref)
{
    if (c->gen_key_is_index && ref->keys.n == 1) {
        const struct wmgw_cim_value *k = &ref->keys.items[0].value;
        struct wmgw_cim_value idx;
        const char *text = !k->null && WMGW_CIM_BASETYPE(k->type) == WMGW_CIM_STRING ? k->u.str : NULL;
        if (text != NULL && wmgw_cim_value_from_text(&idx, WMGW_CIM_UINT64, text, strlen(text)) == 0) {
            if (idx.u.u < c->gen_count) {
                struct wmgw_cim_instance *inst = sim_store_generate(s, c, (size_t)idx.u.u);
                if (inst != NULL && instance_has_keys(inst, ref))
                    return inst;
                wmgw_cim_instance_unref(inst);
            }
            return NULL;
        }
        if (!k->null && wmgw_cim_type_is_integer(k->type)) {
            uint64_t i = wmgw_cim_type_is_signed(k->type) ? (uint64_t)k->u.s : k->u.u;
            return i < c->gen_count ? sim_store_generate(s, c, (size_t)i) : NULL;
        }
    }
    for (size_t i = 0; i < c->gen_count; i++) {
        struct wmgw_cim_instance *inst = sim_store_generate(s, c, i);
        if (inst != NULL && instance_has_keys(inst, ref))
            return inst;
        wmgw_cim_instance_unref(inst);
    }
    return NULL;
}

struct wmgw_cim_instance *sim_store_find(struct sim_store *s, const char *ns, const struct wmgw_cim_ref *ref)
{
    struct sim_namespace *n = sim_store_namespace(s, ns);
    if (n == NULL)
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        struct sim_class *c = &n->classes[i];
        if (!sim_store_isa(s, ns, c->cls->name, ref->class_name))
            continue;
        long at = find_in_class(c, ref);
        if (at >= 0)
            return wmgw_cim_instance_ref(c->items[at]);
        if (c->gen_template != NULL) {
            struct wmgw_cim_instance *inst = find_generated(s, c, ref);
            if (inst != NULL)
                return inst;
        }
    }
    return NULL;
}

static struct sim_class *class_for(struct sim_store *s, const struct wmgw_cim_instance *inst, struct wmgw_err *err)
{
    struct sim_class *c = sim_store_class(s, inst->namespace_, inst->class_name);
    if (c == NULL)
        wmgw_err_set(err, WMGW_ENOTFOUND, "no class %s in %s", inst->class_name,
                     inst->namespace_ ? inst->namespace_ : "(no namespace)");
    return c;
}

int sim_store_insert(struct sim_store *s, struct wmgw_cim_instance *inst, struct wmgw_err *err)
{
    struct sim_class *c = class_for(s, inst, err);
    if (c == NULL) {
        wmgw_cim_instance_unref(inst);
        return WMGW_ENOTFOUND;
    }
    struct wmgw_cim_ref *path = wmgw_cim_instance_path(inst, c->cls);
    if (path == NULL) {
        wmgw_cim_instance_unref(inst);
        return WMGW_ENOMEM;
    }
    struct wmgw_cim_instance *existing = sim_store_find(s, inst->namespace_, path);
    wmgw_cim_ref_free(path);
    if (existing != NULL) {
        wmgw_cim_instance_unref(existing);
        wmgw_cim_instance_unref(inst);
        return wmgw_err_set(err, WMGW_EEXIST, "an instance with these keys already exists");
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct wmgw_cim_instance **items = realloc(c->items, cap * sizeof(*items));
        if (items == NULL) {
            wmgw_cim_instance_unref(inst);
            return WMGW_ENOMEM;
        }
        c->items = items;
        c->cap = cap;
    }
    c->items[c->n++] = inst;
    return 0;
}

int sim_store_replace(struct sim_store *s, struct wmgw_cim_instance *inst, struct wmgw_err *err)
{
    struct sim_class *c = class_for(s, inst, err);
    struct wmgw_cim_ref *path = c ? wmgw_cim_instance_path(inst, c->cls) : NULL;
    long at = path ? find_in_class(c, path) : -1;
    wmgw_cim_ref_free(path);
    if (at < 0) {
        wmgw_cim_instance_unref(inst);
        return c == NULL ? WMGW_ENOTFOUND : wmgw_err_set(err, WMGW_ENOTFOUND, "no such instance");
    }
    wmgw_cim_instance_unref(c->items[at]);
    c->items[at] = inst;
    return 0;
}

int sim_store_remove(struct sim_store *s, const char *ns, const struct wmgw_cim_ref *ref, struct wmgw_err *err)
{
    struct sim_namespace *n = sim_store_namespace(s, ns);
    for (size_t i = 0; n != NULL && i < n->n; i++) {
        struct sim_class *c = &n->classes[i];
        if (!sim_store_isa(s, ns, c->cls->name, ref->class_name))
            continue;
        long at = find_in_class(c, ref);
        if (at < 0)
            continue;
        wmgw_cim_instance_unref(c->items[at]);
        memmove(&c->items[at], &c->items[at + 1], (c->n - (size_t)at - 1) * sizeof(c->items[0]));
        c->n--;
        return 0;
    }
    return wmgw_err_set(err, WMGW_ENOTFOUND, "no such instance");
}

/* Instance i from the prepared base: only the ${i} properties change. */
static struct wmgw_cim_instance *generate_fast(struct sim_store *s, struct sim_class *c, size_t i)
{
    struct wmgw_cim_instance *inst = wmgw_cim_instance_copy(c->gen_base);
    for (size_t k = 0; inst != NULL && k < c->ngen_dynamic; k++) {
        const char *name = c->gen_dynamic[k];
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(c->cls, name);
        char *text = sim_vars_expand(s->vars, json_string_value(json_object_get(c->gen_template, name)), (long)i, NULL);
        json_t *j = text ? json_string(text) : NULL;
        struct wmgw_cim_value v;
        int rc = j && d ? wmgw_cim_json_read_value(j, d->type, d->ref_class, &v, NULL) : WMGW_EINVAL;
        json_decref(j);
        free(text);
        if (rc != 0 || wmgw_cim_proplist_put(&inst->props, d->name, &v) != 0) {
            wmgw_cim_instance_unref(inst);
            return NULL;
        }
    }
    return inst;
}

struct wmgw_cim_instance *sim_store_generate(struct sim_store *s, struct sim_class *c, size_t i)
{
    if (c->gen_base != NULL)
        return generate_fast(s, c, i);
    json_t *j = sim_vars_expand_json(s->vars, c->gen_template, (long)i, NULL);
    if (j == NULL)
        return NULL;
    struct wmgw_cim_instance *inst = sim_fixtures_instance(s, c->cls->namespace_, j, NULL);
    json_decref(j);
    return inst;
}

/* --- cursors ------------------------------------------------------------- */

static int cursor_add_class(struct sim_cursor *cur, struct sim_class *c)
{
    if (c->n > 0) {
        struct wmgw_cim_instance **items = realloc(cur->items, (cur->n + c->n) * sizeof(*items));
        if (items == NULL)
            return WMGW_ENOMEM;
        cur->items = items;
        for (size_t i = 0; i < c->n; i++)
            cur->items[cur->n++] = wmgw_cim_instance_ref(c->items[i]);
    }
    /* One generated class per cursor is all the fixtures need. */
    if (c->gen_template != NULL && cur->gen == NULL) {
        cur->gen = c;
        cur->gen_count = c->gen_count;
    }
    return 0;
}

static int cursor_open(struct sim_cursor *cur, struct sim_store *s, const char *ns, const char *class_name)
{
    memset(cur, 0, sizeof(*cur));
    cur->store = s;
    struct sim_namespace *n = sim_store_namespace(s, ns);
    if (n == NULL)
        return WMGW_ENOTFOUND;
    for (size_t i = 0; i < n->n; i++) {
        struct sim_class *c = &n->classes[i];
        if (class_name != NULL && !sim_store_isa(s, ns, c->cls->name, class_name))
            continue;
        int rc = cursor_add_class(cur, c);
        if (rc != 0) {
            sim_cursor_close(cur);
            return rc;
        }
    }
    return 0;
}

int sim_cursor_open(struct sim_cursor *cur, struct sim_store *s, const char *ns, const char *class_name)
{
    return cursor_open(cur, s, ns, class_name);
}

int sim_cursor_open_all(struct sim_cursor *cur, struct sim_store *s, const char *ns)
{
    return cursor_open(cur, s, ns, NULL);
}

struct wmgw_cim_instance *sim_cursor_next(struct sim_cursor *cur)
{
    if (cur->pos < cur->n)
        return wmgw_cim_instance_ref(cur->items[cur->pos++]);
    if (cur->gen != NULL && cur->gen_pos < cur->gen_count)
        return sim_store_generate(cur->store, cur->gen, cur->gen_pos++);
    return NULL;
}

bool sim_cursor_done(const struct sim_cursor *cur)
{
    return cur->pos >= cur->n && (cur->gen == NULL || cur->gen_pos >= cur->gen_count);
}

void sim_cursor_close(struct sim_cursor *cur)
{
    for (size_t i = 0; i < cur->n; i++)
        wmgw_cim_instance_unref(cur->items[i]);
    free(cur->items);
    memset(cur, 0, sizeof(*cur));
}
