/*
 * h_security_ns.h: GET/PUT /v1/hosts/{host}/namespaces/{namespace}/security,
 * a host namespace's own descriptor as SDDL (h_security_ns.c).
 */
#ifndef WMGW_GATEWAY_H_SECURITY_NS_H
#define WMGW_GATEWAY_H_SECURITY_NS_H

struct wmgw_request;
int wmgw_h_get_namespace_security(struct wmgw_request *r);
int wmgw_h_put_namespace_security(struct wmgw_request *r);

#endif
