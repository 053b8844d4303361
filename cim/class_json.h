/*
 * class_json.h: a CIM class from its JSON description in the fixture format
 * (tests/sim/fixtures/README.md, "Classes"), the one parser of that format.
 *
 * The simulator builds its hosts' schemas with it (tests/sim/fixtures.c),
 * and the gateway its class catalogue (gateway/catalogue.c: schemas for
 * hosts that cannot describe their own classes, such as the Windows Server
 * 2003 R2 dialect), so a class described once means the same to both.
 */
#ifndef WMGW_CIM_CLASS_JSON_H
#define WMGW_CIM_CLASS_JSON_H

#include <jansson.h>

#include "cim/cim.h"

struct wmgw_err;

/* The classes parsed so far, by namespace and name (case-insensitive), or
 * NULL when unknown. */
typedef const struct wmgw_cim_class *(*wmgw_cim_class_lookup_fn)(void *ctx, const char *namespace_,
                                                                   const char *class_name);

/* Builds the class that j describes in namespace ns.  Its superclass (and
 * any class of the same name, a duplicate) is looked up with lookup: a
 * subclass starts as a copy of its superclass, then adds or overrides.
 * Properties end up in name order, as WinRM returns them.  On success *out
 * is a new class owned by the caller; on failure WMGW_EINVAL (bad
 * description), WMGW_EEXIST (defined twice) or WMGW_ENOMEM, with err naming
 * the class. */
int wmgw_cim_class_from_json(const json_t *j, const char *ns, wmgw_cim_class_lookup_fn lookup, void *ctx,
                             struct wmgw_cim_class **out, struct wmgw_err *err);

#endif
