/*
 * request_wipe.h: wiping a secret from the memory of the request that
 * brought it, once used (request_wipe.c says where h2o keeps copies and
 * which ones are out of reach).
 */
#ifndef WMGW_GATEWAY_REQUEST_WIPE_H
#define WMGW_GATEWAY_REQUEST_WIPE_H

#include <h2o.h>

/* p[0..len): part of a header value of req (a token, a password). */
void wmgw_request_wipe_header_value(h2o_req_t *req, char *p, size_t len);

/* The request's body (it carried a secret), parsed and no longer needed. */
void wmgw_request_wipe_body(h2o_req_t *req);

#endif
