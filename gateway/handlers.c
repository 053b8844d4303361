/*
 * handlers.c: the operationId -> handler table the router binds to
 * openapi/openapi.json.  Adding an operation is a row here, a handler in
 * its h_*.c, and the operation in the document; the router refuses to
 * start when the two sides disagree.
 */
#include "gateway/handlers.h"
#include "gateway/h_security_ns.h"
#include "gateway/vault_gw.h"
#include "gateway/authz.h"

const struct wmgw_handler_entry wmgw_handlers[] = {
    {"getHealth", wmgw_h_get_health},
    {"getReady", wmgw_h_get_ready},
    {"getMetrics", wmgw_h_get_metrics},
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
    {"listCredentials", wmgw_h_list_credentials},
    {"createCredential", wmgw_h_create_credential},
    {"getCredential", wmgw_h_get_credential},
    {"rotateCredential", wmgw_h_rotate_credential},
    {"deleteCredential", wmgw_h_delete_credential},
    {"listCredentialMappings", wmgw_h_list_credential_mappings},
    {"createCredentialMapping", wmgw_h_create_credential_mapping},
    {"deleteCredentialMapping", wmgw_h_delete_credential_mapping},
    {"getNamespaceSecurity", wmgw_h_get_namespace_security},
    {"putNamespaceSecurity", wmgw_h_put_namespace_security},
    {"getWhoami", wmgw_h_get_whoami},
    {"listPolicies", wmgw_h_list_policies},
    {"getPolicy", wmgw_h_get_policy},
    {"putPolicy", wmgw_h_put_policy},
    {"deletePolicy", wmgw_h_delete_policy},
    {NULL, NULL},
};
