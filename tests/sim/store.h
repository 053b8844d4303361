/*
 * store.h: one simulated host's CIM repository.
 *
 * Namespaces hold classes; each class holds its stored instances (shared,
 * refcounted, never changed in place: a write replaces the instance, so an
 * open enumeration keeps the snapshot it started with) or, for generated
 * benchmark classes, a template from which instance i is made on demand.
 * Every front end of the simulator (WS-Management now, DCOM later) reads
 * and writes this one store, so a change made through one is seen through
 * the others.
 */
#ifndef WMSIM_STORE_H
#define WMSIM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cim/cim.h"

struct wmgw_err;
struct sim_vars;

struct sim_class {
    struct wmgw_cim_class *cls;
    size_t n, cap;
    struct wmgw_cim_instance **items; /* stored instances, in creation order */
    /* Generated classes: instance i (0 <= i < gen_count) is gen_template
     * with ${i} substituted; gen_key_is_index when the single key is "${i}". */
    json_t *gen_template;
    size_t gen_count;
    bool gen_key_is_index;
    /* Fast path: instance 0 built once, and the properties whose template
     * is a string naming ${i...}; instance i is a copy with just those
     * re-expanded.  NULL base when the template nests ${i} deeper. */
    struct wmgw_cim_instance *gen_base;
    size_t ngen_dynamic;
    char **gen_dynamic;
};

struct sim_namespace {
    char *name; /* "root/cimv2" */
    void *sd;   /* its struct wmgw_sd (security.c), NULL until installed */
    size_t n;
    struct sim_class *classes;
};

struct sim_store {
    size_t n;
    struct sim_namespace *ns;
    const struct sim_vars *vars; /* the host's variables, for generated instances */
    unsigned next_process_id;
};

struct sim_store *sim_store_new(const struct sim_vars *vars);
void sim_store_free(struct sim_store *s);

struct sim_namespace *sim_store_namespace(struct sim_store *s, const char *ns);
struct sim_namespace *sim_store_add_namespace(struct sim_store *s, const char *ns);
struct sim_class *sim_store_class(struct sim_store *s, const char *ns, const char *class_name);
/* Takes ownership of cls. */
struct sim_class *sim_store_add_class(struct sim_store *s, struct wmgw_cim_class *cls);

/* True when class_name is base or one of its subclasses (in namespace ns). */
bool sim_store_isa(struct sim_store *s, const char *ns, const char *class_name, const char *base);

/* Finds the instance of class (or a subclass) whose keys equal ref's keys
 * (strings case-insensitively).  Returns a new reference or NULL. */
struct wmgw_cim_instance *sim_store_find(struct sim_store *s, const char *ns, const struct wmgw_cim_ref *ref);
/* Adds inst (takes the caller's reference); WMGW_EEXIST when the keys are taken. */
int sim_store_insert(struct sim_store *s, struct wmgw_cim_instance *inst, struct wmgw_err *err);
/* Replaces the stored instance with the same keys (takes the reference). */
int sim_store_replace(struct sim_store *s, struct wmgw_cim_instance *inst, struct wmgw_err *err);
int sim_store_remove(struct sim_store *s, const char *ns, const struct wmgw_cim_ref *ref, struct wmgw_err *err);

/* Makes instance i of a generated class (new reference) or NULL. */
struct wmgw_cim_instance *sim_store_generate(struct sim_store *s, struct sim_class *c, size_t i);

/* Iteration over the instances of a class and its subclasses, as a
 * snapshot: stored instances are referenced at start, generated ones made
 * as the cursor advances. */
struct sim_cursor {
    size_t n, pos;
    struct wmgw_cim_instance **items; /* snapshot of stored instances */
    struct sim_store *store;
    struct sim_class *gen; /* generated class, after the stored ones */
    size_t gen_pos, gen_count;
};
int sim_cursor_open(struct sim_cursor *cur, struct sim_store *s, const char *ns, const char *class_name);
/* All instances of every class in the namespace (for the all-classes URI). */
int sim_cursor_open_all(struct sim_cursor *cur, struct sim_store *s, const char *ns);
/* Next instance (new reference) or NULL at the end. */
struct wmgw_cim_instance *sim_cursor_next(struct sim_cursor *cur);
bool sim_cursor_done(const struct sim_cursor *cur);
void sim_cursor_close(struct sim_cursor *cur);

/* The class of an instance as the store knows it. */
const struct wmgw_cim_class *sim_store_class_of(struct sim_store *s, const struct wmgw_cim_instance *inst);

#endif
