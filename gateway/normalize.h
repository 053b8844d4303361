/*
 * normalize.h: giving a decoded instance the one shape its class defines
 * (normalize.c explains why), before it is written as JSON.
 */
#ifndef WMGW_GATEWAY_NORMALIZE_H
#define WMGW_GATEWAY_NORMALIZE_H

#include "gateway/exec.h"

/* Types values, reference keys and embedded objects by the classes the
 * call holds (its own class must be among them: see exec.c), and adds the
 * class's properties the wire left out as NULL (not for a projection,
 * which has just the properties a select named). */
int wmgw_normalize_instance(struct wmgw_exec *x, struct wmgw_cim_instance *inst, bool projection);
/* Types a reference's keys by its class (and the classes they name). */
int wmgw_normalize_ref(struct wmgw_exec *x, struct wmgw_cim_ref *ref);
/* The same for a method's output parameters. */
int wmgw_normalize_proplist(struct wmgw_exec *x, struct wmgw_cim_proplist *l, const struct wmgw_cim_propdecl *decls,
                            size_t ndecls);

#endif
