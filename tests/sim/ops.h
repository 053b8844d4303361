/*
 * ops.h: the WS-Management operations of the simulator, one file each:
 * transfer.c (Identify, Get, Put, Create, Delete, GetClass, the "this"
 * resource of the 2003 R2 dialect), enumerate.c
 * (Enumerate, Pull, Release and the filter dialects), invoke.c (custom
 * actions: CIM methods, behaviour in methods.c).  dispatch.c picks one.
 *
 * Each returns 0 with the response in ctx->out, or -1 after writing a
 * fault (sim_fault) into it.
 */
#ifndef WMSIM_OPS_H
#define WMSIM_OPS_H

#include "cim/cim.h"

struct sim_ctx;
struct sim_host;

/* Runs the request in ctx (headers already read). */
int sim_dispatch(struct sim_ctx *ctx);

/* Parses and runs one SOAP request body for ctx->host; the reply (or a
 * fault) is left in ctx->out and ctx->http_status.  Unauthenticated
 * requests get only Identify answered (the HTTP side sends 401 otherwise). */
void sim_handle_soap(struct sim_ctx *ctx, const char *body, size_t len, bool authed);
/* Frees what a request context holds (not the host). */
void sim_ctx_dispose(struct sim_ctx *ctx);

int sim_op_identify(struct sim_ctx *ctx, bool authenticated);
int sim_op_get(struct sim_ctx *ctx);
int sim_op_put(struct sim_ctx *ctx);
int sim_op_create(struct sim_ctx *ctx);
int sim_op_delete(struct sim_ctx *ctx);
int sim_op_get_class(struct sim_ctx *ctx);
int sim_op_this(struct sim_ctx *ctx); /* Get of the dialect's "this" resource */
int sim_op_enumerate(struct sim_ctx *ctx);
int sim_op_pull(struct sim_ctx *ctx);
int sim_op_release(struct sim_ctx *ctx);
int sim_op_invoke(struct sim_ctx *ctx, const char *method);

/* The request's selectors as a reference to an instance of ctx->cls,
 * checked against the class keys and typed; NULL after a fault. */
struct wmgw_cim_ref *sim_selectors_to_ref(struct sim_ctx *ctx);
/* The instance those selectors name (new reference); NULL after a fault. */
struct wmgw_cim_instance *sim_find_instance(struct sim_ctx *ctx, const struct wmgw_cim_ref *ref);

/* What a host of a dialect that casts to the base class (MS-WSMAN
 * §3.1.4.1.28) answers for inst when `asked` was the class requested: a new
 * reference to inst itself, or to a copy as an instance of `asked` with its
 * properties only; NULL when out of memory. */
struct wmgw_cim_instance *sim_cast_to(const struct sim_host *h, struct wmgw_cim_instance *inst,
                                      const struct wmgw_cim_class *asked);

/* Class lookup for the XML reader and WQL (ctx is the sim_host's store). */
const struct wmgw_cim_class *sim_lookup_class(void *store, const char *ns, const char *class_name);

/* Expires idle enumeration contexts; frees them all when `all`. */
void sim_enum_expire(struct sim_host *h, bool all);

#endif
