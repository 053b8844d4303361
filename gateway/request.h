/*
 * request.h: one REST call as the handlers see it, the route table built
 * from the OpenAPI document, and the helpers every handler answers with.
 *
 * Routing: openapi/openapi.json is the single source of truth.  At start
 * the router reads its paths; each operation's operationId names a handler
 * in the table of gateway/handlers.c, and a documented operation without a
 * handler (or a handler without a documented operation) stops the start.
 * Paths are matched on the raw (still percent-encoded) request path, one
 * template segment per path segment, so an encoded '/' in a namespace
 * (root%2Fcimv2) never splits a segment.
 *
 * Answers: JSON and problem+json (RFC 9457) with the request id, CORS
 * headers for configured origins, and a strong ETag on successful GETs
 * (If-None-Match -> 304).
 */
#ifndef WMGW_GATEWAY_REQUEST_H
#define WMGW_GATEWAY_REQUEST_H

#include <stdbool.h>
#include <stdio.h>

#include "gateway/gateway.h"
#include "util/buf.h"

struct wmgw_request;
struct wmgw_backend_error;

/* A handler answers (now or later) and returns 0; see respond functions. */
typedef int (*wmgw_handler_fn)(struct wmgw_request *r);

struct wmgw_handler_entry {
    const char *operation_id;
    wmgw_handler_fn fn;
};
extern const struct wmgw_handler_entry wmgw_handlers[]; /* NULL-terminated */

#define WMGW_MAX_PATH_PARAMS 8

struct wmgw_principal;
struct wmgw_principal_config;

struct wmgw_route {
    char *method;
    char *path;          /* the template, e.g. /v1/hosts/{host} */
    char *operation_id;
    int access;          /* enum wmgw_access (gateway/authz.h), from x-wmgw-access */
    bool text_plain;     /* its 200 answer is text/plain (metrics), not JSON */
    wmgw_handler_fn fn;
    size_t nsegs;
    char **segs;         /* literal segment, or NULL for a parameter */
    char **param_names;  /* per segment, for parameters */
};

struct wmgw_router {
    size_t nroutes;
    struct wmgw_route *routes;
};

struct wmgw_router *wmgw_router_new(const char *openapi, size_t len, struct wmgw_err *err);
void wmgw_router_free(struct wmgw_router *rt);
/* Finds the route for method + raw path (no query).  When the path
 * matches some route but not for this method, *allowed lists the methods
 * ("GET, POST") for a 405; otherwise it is left empty. */
const struct wmgw_route *wmgw_router_match(const struct wmgw_router *rt, const char *method, size_t mlen,
                                           const char *path, size_t plen, h2o_iovec_t *params, char *allowed,
                                           size_t allowed_size);
/* "METHOD PATH operationId" per line (wmgw --list-routes). */
void wmgw_router_print(const struct wmgw_router *rt, FILE *out);

struct wmgw_request {
    h2o_req_t *req;
    struct wmgw_worker *worker;
    struct wmgw_gateway *gw;
    const struct wmgw_route *route;
    h2o_iovec_t params[WMGW_MAX_PATH_PARAMS]; /* raw, by template segment order */
    size_t nparams;
    h2o_iovec_t query;   /* raw query string (after '?'), may be empty */
    char request_id[48];
    bool answered;
    /* Who is calling (gateway/caller.h): NULL for an anonymous call, which
     * only reaches public routes.  caller is the configured entry behind
     * principal (its SIDs for access checks). */
    const struct wmgw_principal *principal;
    const struct wmgw_principal_config *caller;
};

/* A path parameter, percent-decoded into the request pool; NULL (and a 400
 * sent) when it is malformed. */
const char *wmgw_request_param(struct wmgw_request *r, const char *name);
/* The raw (encoded) path parameter. */
h2o_iovec_t wmgw_request_param_raw(struct wmgw_request *r, const char *name);
/* A query parameter, decoded ('+' is a space), or NULL when absent.
 * *bad is set (and a 400 sent) when present but malformed. */
const char *wmgw_request_query(struct wmgw_request *r, const char *name, bool *bad);
/* Parses the request body as a JSON object (400/413/415 sent on failure). */
struct json_t *wmgw_request_json_body(struct wmgw_request *r);
/* Does the caller accept this media type (Accept header)?  Absent or
 * wildcard Accept accepts application/json. */
bool wmgw_request_accepts(struct wmgw_request *r, const char *type);

/* --- answers --------------------------------------------------------------- */

/* Common headers of every answer: X-Request-Id, CORS. */
void wmgw_respond_common_headers(struct wmgw_request *r);
/* A JSON body (copied); ETag + 304 handling for GET 200s.  extra_header
 * (e.g. Location) may be NULL. */
void wmgw_respond_json(struct wmgw_request *r, int status, const char *body, size_t len, const char *location);
/* The same from a jansson value, which it takes (NULL, from a failed
 * json_pack: 500 out of memory); keys keep their order. */
void wmgw_respond_json_value(struct wmgw_request *r, int status, struct json_t *j, const char *location);
void wmgw_respond_empty(struct wmgw_request *r, int status);
/* A body that is not JSON (metrics), never cached by the caller. */
void wmgw_respond_text(struct wmgw_request *r, int status, const char *content_type, const char *body, size_t len);
/* problem+json: code is a WMGW_E* (status and type from it); detail is
 * printf-style. */
void wmgw_respond_problem(struct wmgw_request *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* problem+json with a position (syntax errors). */
void wmgw_respond_problem_at(struct wmgw_request *r, int code, long position, const char *detail);
/* problem+json for a backend failure, keeping the backend's own error. */
void wmgw_respond_backend_error(struct wmgw_request *r, const char *host, const struct wmgw_backend_error *e);
/* Writes the problem+json object of a backend error (for NDJSON error lines). */
int wmgw_problem_json(struct wmgw_buf *out, struct wmgw_request *r, int code, const char *detail, long position,
                      const char *host, const struct wmgw_backend_error *e);

/* The strong ETag of a body: a quoted hex string (35 bytes with NUL). */
int wmgw_etag(const char *body, size_t len, char out[40]);

/* CORS preflight (OPTIONS with Access-Control-Request-Method). */
void wmgw_respond_preflight(struct wmgw_request *r, const char *allowed_methods);
/* The origin is allowed by configuration? */
bool wmgw_cors_allowed(const struct wmgw_config *c, const char *origin, size_t len);

#endif
