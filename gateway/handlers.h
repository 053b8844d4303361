/*
 * handlers.h: the REST handlers, one file per resource kind (h_*.c), and
 * the helpers they share.  Each handler is named after its operationId in
 * openapi/openapi.json; the table in handlers.c binds the two.
 */
#ifndef WMGW_GATEWAY_HANDLERS_H
#define WMGW_GATEWAY_HANDLERS_H

#include "gateway/exec.h"
#include "gateway/request.h"

struct wmgw_wql_query;

/* h_ops.c */
int wmgw_h_get_health(struct wmgw_request *r);
int wmgw_h_get_ready(struct wmgw_request *r);
int wmgw_h_get_metrics(struct wmgw_request *r);
int wmgw_h_get_openapi(struct wmgw_request *r);
/* h_hosts.c */
int wmgw_h_list_hosts(struct wmgw_request *r);
int wmgw_h_create_host(struct wmgw_request *r);
int wmgw_h_get_host(struct wmgw_request *r);
int wmgw_h_put_host(struct wmgw_request *r);
int wmgw_h_delete_host(struct wmgw_request *r);
/* h_classes.c */
int wmgw_h_get_class(struct wmgw_request *r);
/* h_instances.c */
int wmgw_h_list_instances(struct wmgw_request *r);
int wmgw_h_create_instance(struct wmgw_request *r);
int wmgw_h_get_instance(struct wmgw_request *r);
int wmgw_h_patch_instance(struct wmgw_request *r);
int wmgw_h_replace_instance(struct wmgw_request *r);
int wmgw_h_delete_instance(struct wmgw_request *r);
/* h_methods.c */
int wmgw_h_invoke_static_method(struct wmgw_request *r);
int wmgw_h_invoke_instance_method(struct wmgw_request *r);
/* h_query.c */
int wmgw_h_query_host(struct wmgw_request *r);
int wmgw_h_list_associators(struct wmgw_request *r);
int wmgw_h_list_references(struct wmgw_request *r);

/* Shared by the listing handlers (h_instances.c). */
int wmgw_parse_limit(struct wmgw_request *r, const char *text, unsigned def, unsigned *out);
bool wmgw_list_format(struct wmgw_request *r, bool *ndjson);
struct wmgw_wql_query *wmgw_list_query(struct wmgw_exec *x, const char *filter, const char *select);
/* Pool clean-up of a `struct wmgw_cim_ref *` slot. */
void wmgw_free_ref_slot(void *p);

#endif
