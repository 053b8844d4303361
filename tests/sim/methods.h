/*
 * methods.h: what the simulated CIM methods do to the store, and the
 * ReturnValue codes Windows documents for them (Win32_Service: 0 success,
 * 3 dependent services running, 5 cannot accept control, 10 already
 * running, 14 disabled, 21 invalid parameter, 23 exists, ...;
 * Win32_Process: 0, 2 access denied, 9 path not found, 21 invalid
 * parameter).
 *
 * invoke.c reads the parameters and writes the reply; a behaviour only
 * reads `in`, may change the store, and fills `out` and `return_value`.
 */
#ifndef WMSIM_METHODS_H
#define WMSIM_METHODS_H

#include <stdint.h>

#include "cim/cim.h"

struct sim_ctx;

struct sim_call {
    struct sim_ctx *ctx;
    const struct wmgw_cim_class *cls;
    const struct wmgw_cim_method *method;
    struct wmgw_cim_instance *target; /* instance methods; NULL for static ones */
    const struct wmgw_cim_proplist *in;
    struct wmgw_cim_proplist out;
    uint32_t return_value;
};

/* Runs the behaviour of call->method; 0, -1 after a fault, or 1 when the
 * simulator has no behaviour for it (invoke.c faults as WMI does for a
 * method its provider does not implement). */
int sim_method_run(struct sim_call *call);

#endif
