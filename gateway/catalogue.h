/*
 * catalogue.h: the class catalogue: class schemas the gateway reads from
 * files at start, for hosts that cannot describe their own classes.
 *
 * A Windows Server 2003 R2 host (the MS-WSMAN dialect) has no class
 * retrieval, yet every instance must be decoded and checked against its
 * class (classes.h).  `[server] class-catalogue = DIR` names a directory of
 * *.json files in the simulator's fixture format (tests/sim/fixtures/
 * README.md; only "namespace" and "classes" are read), loaded in name
 * order; when a host's translator lacks WMGW_CAP_CLASS_SCHEMA, its schemas
 * come from here (classes.c), by namespace and class, case-insensitively.
 *
 * Read-only once loaded, so every worker reads it without a lock; entries
 * are the class cache's own type, counted, so a caller holds one exactly as
 * it holds a fetched schema.
 */
#ifndef WMGW_GATEWAY_CATALOGUE_H
#define WMGW_GATEWAY_CATALOGUE_H

#include <stddef.h>

#include "gateway/classes.h"

struct wmgw_err;
struct wmgw_catalogue;

/* Loads every *.json file of dir.  WMGW_ECONFIG with "file: why" in err
 * when a file cannot be read or describes a class badly. */
int wmgw_catalogue_load(const char *dir, struct wmgw_catalogue **out, struct wmgw_err *err);
void wmgw_catalogue_free(struct wmgw_catalogue *cat);

/* The directory it was read from (for messages). */
const char *wmgw_catalogue_dir(const struct wmgw_catalogue *cat);
size_t wmgw_catalogue_size(const struct wmgw_catalogue *cat);

/* A counted reference to the class, or NULL. */
struct wmgw_class_entry *wmgw_catalogue_get(const struct wmgw_catalogue *cat, const char *ns, const char *class_name);
/* The class itself (borrowed for the catalogue's lifetime), or NULL. */
const struct wmgw_cim_class *wmgw_catalogue_class(const struct wmgw_catalogue *cat, const char *ns,
                                                  const char *class_name);
/* The classes of a namespace in the order they were defined: the i-th, or
 * NULL past the end. */
const struct wmgw_cim_class *wmgw_catalogue_at(const struct wmgw_catalogue *cat, const char *ns, size_t i);

#endif
