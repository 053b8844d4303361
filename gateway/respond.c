/*
 * respond.c: reading a REST call's parameters and writing its answer
 * (request.h): JSON, problem+json (RFC 9457) that keeps the backend's own
 * error, request ids, CORS, ETags.
 *
 * Problem types are "urn:wmgw:problem:<slug>" with the slugs of
 * util/err.h, so a client can switch on them; `backend` carries the
 * WS-Management fault and WMI error exactly as the host sent them.
 */
#include "cim/json.h"
#include "gateway/hosts.h"
#include "gateway/request.h"
#include "translators/translator.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/url.h"

#include <jansson.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- parameters ------------------------------------------------------------- */

h2o_iovec_t wmgw_request_param_raw(struct wmgw_request *r, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < r->route->nsegs; i++) {
        if (r->route->segs[i] != NULL)
            continue;
        if (strcmp(r->route->param_names[i], name) == 0)
            return r->params[k];
        k++;
    }
    return h2o_iovec_init(NULL, 0);
}

/* Decodes into the request pool; NULL when malformed. */
static const char *decode_into_pool(struct wmgw_request *r, const char *s, size_t len, bool query)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64 * 1024);
    int rc = query ? wmgw_url_decode_query(s, len, &b) : wmgw_url_decode(s, len, &b);
    char *out = NULL;
    if (rc == 0) {
        out = h2o_mem_alloc_pool(&r->req->pool, b.len + 1);
        memcpy(out, b.data ? b.data : "", b.len);
        out[b.len] = '\0';
    }
    wmgw_buf_dispose(&b);
    return out;
}

const char *wmgw_request_param(struct wmgw_request *r, const char *name)
{
    h2o_iovec_t raw = wmgw_request_param_raw(r, name);
    const char *v = raw.base ? decode_into_pool(r, raw.base, raw.len, false) : NULL;
    if (v == NULL)
        wmgw_respond_problem(r, WMGW_EINVAL, "path parameter %s is not valid percent-encoding", name);
    return v;
}

const char *wmgw_request_query(struct wmgw_request *r, const char *name, bool *bad)
{
    size_t nlen = strlen(name);
    const char *q = r->query.base;
    size_t qlen = r->query.len, pos = 0;
    while (pos < qlen) {
        size_t end = pos;
        while (end < qlen && q[end] != '&')
            end++;
        const char *eq = memchr(q + pos, '=', end - pos);
        size_t klen = eq ? (size_t)(eq - (q + pos)) : end - pos;
        if (klen == nlen && memcmp(q + pos, name, nlen) == 0) {
            const char *v = eq ? decode_into_pool(r, eq + 1, (size_t)(q + end - (eq + 1)), true) : "";
            if (v == NULL) {
                *bad = true;
                wmgw_respond_problem(r, WMGW_EINVAL, "query parameter %s is not valid percent-encoding", name);
            }
            return v;
        }
        pos = end + 1;
    }
    return NULL;
}

bool wmgw_request_accepts(struct wmgw_request *r, const char *type)
{
    ssize_t i = h2o_find_header(&r->req->headers, H2O_TOKEN_ACCEPT, -1);
    if (i < 0)
        return strcmp(type, "application/json") == 0;
    h2o_iovec_t v = r->req->headers.entries[i].value;
    size_t tlen = strlen(type);
    for (size_t p = 0; p + tlen <= v.len; p++)
        if (strncasecmp(v.base + p, type, tlen) == 0)
            return true;
    /* A wildcard accepts JSON, never NDJSON (streams are asked for). */
    return strcmp(type, "application/json") == 0 &&
           (memmem(v.base, v.len, "*/*", 3) != NULL || memmem(v.base, v.len, "application/*", 13) != NULL ||
            memmem(v.base, v.len, "application/problem+json", 24) != NULL);
}

json_t *wmgw_request_json_body(struct wmgw_request *r)
{
    ssize_t i = h2o_find_header(&r->req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i >= 0) {
        h2o_iovec_t v = r->req->headers.entries[i].value;
        if (!(v.len >= 16 && strncasecmp(v.base, "application/json", 16) == 0)) {
            wmgw_respond_problem(r, WMGW_EMEDIATYPE, "send the body as application/json");
            return NULL;
        }
    }
    if (r->req->entity.base == NULL || r->req->entity.len == 0) {
        wmgw_respond_problem(r, WMGW_EINVAL, "a JSON object body is required");
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(r->req->entity.base, r->req->entity.len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        wmgw_respond_problem_at(r, WMGW_EINVAL, jerr.position, jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        wmgw_respond_problem(r, WMGW_EINVAL, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* --- headers --------------------------------------------------------------- */

bool wmgw_cors_allowed(const struct wmgw_config *c, const char *origin, size_t len)
{
    for (size_t i = 0; i < c->ncors; i++) {
        const char *o = c->cors_origins[i];
        if (strcmp(o, "*") == 0 || (strlen(o) == len && strncasecmp(o, origin, len) == 0))
            return true;
    }
    return false;
}

void wmgw_respond_common_headers(struct wmgw_request *r)
{
    h2o_req_t *req = r->req;
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, r->request_id,
                          strlen(r->request_id));
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i < 0)
        return;
    h2o_iovec_t origin = req->headers.entries[i].value;
    if (!wmgw_cors_allowed(r->gw->config, origin.base, origin.len))
        return;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, origin.base,
                   origin.len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-expose-headers"), 0, NULL,
                          H2O_STRLIT("ETag, Location, X-Request-Id"));
}

void wmgw_respond_preflight(struct wmgw_request *r, const char *allowed_methods)
{
    h2o_req_t *req = r->req;
    wmgw_respond_common_headers(r);
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i >= 0 && wmgw_cors_allowed(r->gw->config, req->headers.entries[i].value.base, req->headers.entries[i].value.len)) {
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-methods"), 0, NULL,
                              allowed_methods, strlen(allowed_methods));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-headers"), 0, NULL,
                              H2O_STRLIT("Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id"));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-max-age"), 0, NULL,
                              H2O_STRLIT("600"));
    }
    req->res.status = 204;
    req->res.reason = "No Content";
    r->answered = true;
    h2o_send_inline(req, "", 0);
}

/* --- answers -------------------------------------------------------------- */

static const char *reason_of(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

/* A strong ETag: the first 128 bits of SHA-256 over the body. */
int wmgw_etag(const char *body, size_t len, char out[40])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)body, len, md);
    out[0] = '"';
    wmgw_hex_encode(md, 16, out + 1);
    out[33] = '"';
    out[34] = '\0';
    return 0;
}

static bool etag_matches(h2o_req_t *req, const char *etag)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    return (v.len == 1 && v.base[0] == '*') || memmem(v.base, v.len, etag, strlen(etag)) != NULL;
}

void wmgw_respond_json(struct wmgw_request *r, int status, const char *body, size_t len, const char *location)
{
    h2o_req_t *req = r->req;
    wmgw_respond_common_headers(r);
    if (location != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, location, strlen(location));
    bool is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
                  h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    if (status == 200 && (is_get || h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PATCH")) ||
                          h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PUT")))) {
        char etag[40];
        wmgw_etag(body ? body : "", len, etag);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, h2o_strdup(&req->pool, etag, SIZE_MAX).base,
                       strlen(etag));
        if (is_get) {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
            if (etag_matches(req, etag)) {
                req->res.status = 304;
                req->res.reason = "Not Modified";
                r->answered = true;
                h2o_send_inline(req, "", 0);
                return;
            }
        }
    }
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    r->answered = true;
    h2o_send_inline(req, body, len);
}

void wmgw_respond_text(struct wmgw_request *r, int status, const char *content_type, const char *body, size_t len)
{
    h2o_req_t *req = r->req;
    wmgw_respond_common_headers(r);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   h2o_strdup(&req->pool, content_type, SIZE_MAX).base, strlen(content_type));
    req->res.status = status;
    req->res.reason = reason_of(status);
    r->answered = true;
    h2o_send_inline(req, body, len);
}

void wmgw_respond_json_value(struct wmgw_request *r, int status, json_t *j, const char *location)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (text == NULL) {
        wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
        return;
    }
    wmgw_respond_json(r, status, text, strlen(text), location);
    free(text);
}

void wmgw_respond_empty(struct wmgw_request *r, int status)
{
    wmgw_respond_common_headers(r);
    r->req->res.status = status;
    r->req->res.reason = reason_of(status);
    r->answered = true;
    h2o_send_inline(r->req, "", 0);
}

static int add_member(struct wmgw_buf *out, bool *first, const char *name)
{
    int rc = wmgw_buf_addstr(out, *first ? "" : ",");
    *first = false;
    if (rc == 0)
        rc = wmgw_json_write_string(out, name, strlen(name));
    return rc ? rc : wmgw_buf_addc(out, ':');
}

static int add_string_member(struct wmgw_buf *out, bool *first, const char *name, const char *value)
{
    int rc = add_member(out, first, name);
    return rc ? rc : wmgw_json_write_string(out, value, strlen(value));
}

static int problem_status(struct wmgw_request *r, int code)
{
    return wmgw_err_http_status(code);
}

/* The protocol that carried a host's error (openapi.json ProblemBackend):
 * the host's configured one, or what protocol auto detected. */
static const char *protocol_of(struct wmgw_request *r, const char *host)
{
    struct wmgw_host *h = host != NULL && r->gw->hosts != NULL ? wmgw_hosts_get(r->gw->hosts, host) : NULL;
    enum wmgw_protocol p = h != NULL ? wmgw_host_protocol(h) : WMGW_PROTO_AUTO;
    wmgw_host_unref(h);
    return p != WMGW_PROTO_AUTO ? wmgw_protocol_name(p) : NULL;
}

static int backend_member(struct wmgw_buf *out, const char *protocol, const struct wmgw_backend_error *e)
{
    bool first = true;
    int rc = wmgw_buf_addstr(out, ",\"backend\":{");
    if (rc == 0 && protocol != NULL)
        rc = add_string_member(out, &first, "protocol", protocol);
    if (rc == 0 && e->fault_code[0])
        rc = add_string_member(out, &first, "faultCode", e->fault_code);
    if (rc == 0 && e->fault_subcode[0])
        rc = add_string_member(out, &first, "faultSubcode", e->fault_subcode);
    if (rc == 0 && e->fault_detail[0])
        rc = add_string_member(out, &first, "faultDetail", e->fault_detail);
    if (rc == 0 && e->has_wsman_code) {
        rc = add_member(out, &first, "wsmanCode");
        if (rc == 0)
            rc = wmgw_buf_printf(out, "%u,\"wsmanCodeHex\":\"0x%08X\"", e->wsman_code, e->wsman_code);
    }
    if (rc == 0 && e->has_wmi) {
        rc = add_member(out, &first, "wmi");
        if (rc == 0)
            rc = wmgw_buf_printf(out, "{\"cimStatus\":%u,\"hresult\":%u,\"hresultHex\":\"0x%08X\"}", e->cim_status,
                                 e->hresult, e->hresult);
    }
    if (rc == 0 && e->http_status) {
        rc = add_member(out, &first, "httpStatus");
        if (rc == 0)
            rc = wmgw_buf_printf(out, "%d", e->http_status);
    }
    return rc ? rc : wmgw_buf_addc(out, '}');
}

int wmgw_problem_json(struct wmgw_buf *out, struct wmgw_request *r, int code, const char *detail, long position,
                      const char *host, const struct wmgw_backend_error *e)
{
    int status = problem_status(r, code);
    bool first = true;
    char type[96];
    snprintf(type, sizeof(type), "urn:wmgw:problem:%s", wmgw_err_slug(code));
    int rc = wmgw_buf_addc(out, '{');
    if (rc == 0)
        rc = add_string_member(out, &first, "type", type);
    if (rc == 0)
        rc = add_string_member(out, &first, "title", reason_of(status));
    if (rc == 0)
        rc = wmgw_buf_printf(out, ",\"status\":%d", status);
    if (rc == 0 && detail != NULL && detail[0])
        rc = add_string_member(out, &first, "detail", detail);
    if (rc == 0) {
        rc = add_member(out, &first, "instance");
        if (rc == 0)
            rc = wmgw_json_write_string(out, r->req->path.base, r->req->path.len);
    }
    if (rc == 0)
        rc = add_string_member(out, &first, "requestId", r->request_id);
    if (rc == 0 && host != NULL)
        rc = add_string_member(out, &first, "host", host);
    if (rc == 0 && position >= 0)
        rc = wmgw_buf_printf(out, ",\"position\":%ld", position);
    if (rc == 0 && e != NULL)
        rc = backend_member(out, protocol_of(r, host), e);
    return rc ? rc : wmgw_buf_addc(out, '}');
}

/* RFC 9110 15.5.6: a 405 carries Allow.  The router's own 405 set it; when
 * the backend refused the operation, what remains is the path's other
 * methods. */
static void add_allow(struct wmgw_request *r)
{
    h2o_req_t *req = r->req;
    if (h2o_find_header(&req->res.headers, H2O_TOKEN_ALLOW, -1) >= 0)
        return;
    size_t plen = req->path.len;
    const char *q = memchr(req->path.base, '?', plen);
    if (q != NULL)
        plen = (size_t)(q - req->path.base);
    char all[128], out[128] = "";
    wmgw_router_match(r->gw->router, "", 0, req->path.base, plen, NULL, all, sizeof(all));
    size_t used = 0;
    for (char *save = NULL, *m = strtok_r(all, ", ", &save); m != NULL; m = strtok_r(NULL, ", ", &save)) {
        if (strlen(m) == req->method.len && memcmp(m, req->method.base, req->method.len) == 0)
            continue;
        used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", used ? ", " : "", m);
        if (used >= sizeof(out))
            return;
    }
    if (used > 0)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, h2o_strdup(&req->pool, out, used).base,
                       used);
}

static void send_problem(struct wmgw_request *r, int code, const char *detail, long position, const char *host,
                         const struct wmgw_backend_error *e)
{
    if (r->answered)
        return;
    /* openapi.json Problem.host: the {host} the request was for, whether
     * the error is the backend's or the gateway's own. */
    if (host == NULL) {
        h2o_iovec_t raw = wmgw_request_param_raw(r, "host");
        if (raw.base != NULL)
            host = decode_into_pool(r, raw.base, raw.len, false);
    }
    struct wmgw_buf out;
    wmgw_buf_init(&out, 64 * 1024);
    int status = problem_status(r, code);
    wmgw_problem_json(&out, r, code, detail, position, host, e);
    h2o_req_t *req = r->req;
    wmgw_respond_common_headers(r);
    if (status == 405)
        add_allow(r);
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/problem+json"));
    r->answered = true;
    h2o_send_inline(req, out.data ? out.data : "{}", out.data ? out.len : 2);
    wmgw_buf_dispose(&out);
}

void wmgw_respond_problem(struct wmgw_request *r, int code, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    send_problem(r, code, detail, -1, NULL, NULL);
}

void wmgw_respond_problem_at(struct wmgw_request *r, int code, long position, const char *detail)
{
    send_problem(r, code, detail, position, NULL, NULL);
}

void wmgw_respond_backend_error(struct wmgw_request *r, const char *host, const struct wmgw_backend_error *e)
{
    send_problem(r, e->code, e->message, -1, host, e);
}
