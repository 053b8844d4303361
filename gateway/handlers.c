/*
 * handlers.c: the operationId -> handler table the router binds to
 * openapi/openapi.json.  Adding an operation is a row here, a handler in
 * its h_*.c, and the operation in the document; the router refuses to
 * start when the two sides disagree.
 */
#include "gateway/handlers.h"

const struct wmgw_handler_entry wmgw_handlers[] = {
    {"getHealth", wmgw_h_get_health},
    {"getReady", wmgw_h_get_ready},
    {"getOpenApi", wmgw_h_get_openapi},
    {"listHosts", wmgw_h_list_hosts},
    {"createHost", wmgw_h_create_host},
    {"getHost", wmgw_h_get_host},
    {"putHost", wmgw_h_put_host},
    {"deleteHost", wmgw_h_delete_host},
    {"getClass", wmgw_h_get_class},
    {"listInstances", wmgw_h_list_instances},
    {"createInstance", wmgw_h_create_instance},
    {"getInstance", wmgw_h_get_instance},
    {"patchInstance", wmgw_h_patch_instance},
    {"replaceInstance", wmgw_h_replace_instance},
    {"deleteInstance", wmgw_h_delete_instance},
    {"invokeStaticMethod", wmgw_h_invoke_static_method},
    {"invokeInstanceMethod", wmgw_h_invoke_instance_method},
    {"queryHost", wmgw_h_query_host},
    {"listAssociators", wmgw_h_list_associators},
    {"listReferences", wmgw_h_list_references},
    {NULL, NULL},
};
