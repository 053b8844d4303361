/*
 * fixtures.h: loading a host's store from the JSON fixture files
 * (tests/sim/fixtures/README.md describes the format) and the per-host
 * variables substituted into them.
 */
#ifndef WMSIM_FIXTURES_H
#define WMSIM_FIXTURES_H

#include <jansson.h>
#include <stddef.h>

struct sim_store;
struct wmgw_err;

struct sim_var {
    char *name;
    char *value;
};

struct sim_vars {
    size_t n;
    struct sim_var *items;
};

int sim_vars_set(struct sim_vars *v, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *sim_vars_get(const struct sim_vars *v, const char *name);
void sim_vars_dispose(struct sim_vars *v);

/* Replaces every ${NAME} in s; ${i} and ${i1000} come from index (when
 * index >= 0).  An unknown variable is an error.  Returns a malloc'd string. */
char *sim_vars_expand(const struct sim_vars *v, const char *s, long index, struct wmgw_err *err);
/* A deep copy of j with every string expanded. */
json_t *sim_vars_expand_json(const struct sim_vars *v, const json_t *j, long index, struct wmgw_err *err);

/* Loads every *.json file of dir (in name order) into s. */
int sim_fixtures_load(struct sim_store *s, const char *dir, struct wmgw_err *err);

/* Builds an instance of class_name from its fixture JSON (after expansion). */
struct wmgw_cim_instance *sim_fixtures_instance(struct sim_store *s, const char *ns, const json_t *obj,
                                                struct wmgw_err *err);

#endif
