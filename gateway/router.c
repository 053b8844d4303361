/*
 * router.c: the route table, built from the OpenAPI document (request.h).
 *
 * The document is parsed once at start.  Every (path, method) with an
 * operationId becomes a route bound to the handler of that name; a
 * documented operation without a handler, or a handler no operation
 * names, is a start-up error, so the served API and its document cannot
 * drift apart.  So is an operation without x-wmgw-access (authz.h).
 */
#include "gateway/request.h"
#include "gateway/authz.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head", "options"};

static void route_dispose(struct wmgw_route *r)
{
    for (size_t i = 0; i < r->nsegs; i++) {
        free(r->segs[i]);
        free(r->param_names[i]);
    }
    free(r->segs);
    free(r->param_names);
    free(r->method);
    free(r->path);
    free(r->operation_id);
}

void wmgw_router_free(struct wmgw_router *rt)
{
    if (rt == NULL)
        return;
    for (size_t i = 0; i < rt->nroutes; i++)
        route_dispose(&rt->routes[i]);
    free(rt->routes);
    free(rt);
}

static wmgw_handler_fn handler_named(const char *op)
{
    for (const struct wmgw_handler_entry *h = wmgw_handlers; h->operation_id != NULL; h++)
        if (strcmp(h->operation_id, op) == 0)
            return h->fn;
    return NULL;
}

/* Splits "/v1/hosts/{host}" into segments; "{x}" becomes a parameter. */
static int compile_path(struct wmgw_route *r, struct wmgw_err *err)
{
    const char *p = r->path;
    if (*p != '/')
        return wmgw_err_set(err, WMGW_ECONFIG, "openapi: path %s does not start with /", r->path);
    size_t params = 0;
    while (*p == '/') {
        p++;
        size_t len = strcspn(p, "/");
        char **segs = realloc(r->segs, (r->nsegs + 1) * sizeof(*segs));
        char **names = realloc(r->param_names, (r->nsegs + 1) * sizeof(*names));
        if (segs) r->segs = segs;
        if (names) r->param_names = names;
        if (segs == NULL || names == NULL)
            return WMGW_ENOMEM;
        if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
            if (++params > WMGW_MAX_PATH_PARAMS)
                return wmgw_err_set(err, WMGW_ECONFIG, "openapi: %s has too many parameters", r->path);
            segs[r->nsegs] = NULL;
            names[r->nsegs] = strndup(p + 1, len - 2);
        } else {
            segs[r->nsegs] = strndup(p, len);
            names[r->nsegs] = NULL;
        }
        r->nsegs++;
        p += len;
    }
    return 0;
}

static int add_route(struct wmgw_router *rt, const char *path, const char *method, const char *op,
                     struct wmgw_err *err)
{
    wmgw_handler_fn fn = handler_named(op);
    if (fn == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "openapi: %s %s: no handler for operationId %s", method, path, op);
    struct wmgw_route *routes = realloc(rt->routes, (rt->nroutes + 1) * sizeof(*routes));
    if (routes == NULL)
        return WMGW_ENOMEM;
    rt->routes = routes;
    struct wmgw_route *r = &routes[rt->nroutes++];
    memset(r, 0, sizeof(*r));
    r->method = strdup(method);
    r->path = strdup(path);
    r->operation_id = strdup(op);
    r->fn = fn;
    for (char *m = r->method; m && *m; m++)
        *m = (char)(*m - 'a' + 'A');
    if (r->method == NULL || r->path == NULL || r->operation_id == NULL)
        return WMGW_ENOMEM;
    return compile_path(r, err);
}

struct wmgw_router *wmgw_router_new(const char *openapi, size_t len, struct wmgw_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(openapi, len, 0, &jerr);
    if (doc == NULL) {
        wmgw_err_set(err, WMGW_ECONFIG, "openapi.json:%d:%d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    struct wmgw_router *rt = calloc(1, sizeof(*rt));
    int rc = rt ? 0 : WMGW_ENOMEM;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        for (size_t m = 0; rc == 0 && m < sizeof(methods) / sizeof(methods[0]); m++) {
            json_t *op = json_object_get(item, methods[m]);
            if (op == NULL)
                continue;
            const char *id = json_string_value(json_object_get(op, "operationId"));
            if (id == NULL)
                rc = wmgw_err_set(err, WMGW_ECONFIG, "openapi: %s %s has no operationId", methods[m], path);
            else
                rc = add_route(rt, path, methods[m], id, err);
            /* Every operation says who may call it (gateway/authz.h). */
            const char *access = json_string_value(json_object_get(op, "x-wmgw-access"));
            if (rc == 0 && (rt->routes[rt->nroutes - 1].access = wmgw_access_parse(access)) < 0)
                rc = wmgw_err_set(err, WMGW_ECONFIG, "openapi: %s %s: x-wmgw-access is %s", methods[m], path,
                                  access ? "not a known level" : "missing");
            /* What the answer is, as the document says (406 checks it). */
            json_t *ok = json_object_get(json_object_get(json_object_get(op, "responses"), "200"), "content");
            if (rc == 0)
                rt->routes[rt->nroutes - 1].text_plain = json_object_get(ok, "text/plain") != NULL;
        }
    }
    /* Every handler must be reachable: an undocumented handler is a bug. */
    for (const struct wmgw_handler_entry *h = wmgw_handlers; rc == 0 && h->operation_id != NULL; h++) {
        bool found = false;
        for (size_t i = 0; i < rt->nroutes && !found; i++)
            found = strcmp(rt->routes[i].operation_id, h->operation_id) == 0;
        if (!found)
            rc = wmgw_err_set(err, WMGW_ECONFIG, "handler %s has no operation in openapi.json", h->operation_id);
    }
    json_decref(doc);
    if (rc != 0) {
        if (rc == WMGW_ENOMEM)
            wmgw_err_set(err, WMGW_ENOMEM, "out of memory building routes");
        wmgw_router_free(rt);
        return NULL;
    }
    return rt;
}

/* Does the raw path match the route's segments?  Captures parameters. */
static bool match_path(const struct wmgw_route *r, const char *path, size_t plen, h2o_iovec_t *params)
{
    size_t pos = 0, seg = 0, np = 0;
    while (pos < plen) {
        if (path[pos] != '/' || seg >= r->nsegs)
            return false;
        pos++;
        size_t start = pos;
        while (pos < plen && path[pos] != '/')
            pos++;
        size_t len = pos - start;
        if (r->segs[seg] != NULL) {
            if (strlen(r->segs[seg]) != len || memcmp(r->segs[seg], path + start, len) != 0)
                return false;
        } else {
            if (len == 0)
                return false; /* an empty parameter is never valid */
            if (params != NULL)
                params[np] = h2o_iovec_init(path + start, len);
            np++;
        }
        seg++;
    }
    return seg == r->nsegs;
}

const struct wmgw_route *wmgw_router_match(const struct wmgw_router *rt, const char *method, size_t mlen,
                                           const char *path, size_t plen, h2o_iovec_t *params, char *allowed,
                                           size_t allowed_size)
{
    if (allowed_size > 0)
        allowed[0] = '\0';
    for (size_t i = 0; i < rt->nroutes; i++) {
        const struct wmgw_route *r = &rt->routes[i];
        if (!match_path(r, path, plen, NULL))
            continue;
        bool same = strlen(r->method) == mlen && memcmp(r->method, method, mlen) == 0;
        /* HEAD is answered as GET without a body (h2o drops the body). */
        bool head = mlen == 4 && memcmp(method, "HEAD", 4) == 0 && strcmp(r->method, "GET") == 0;
        if (same || head) {
            match_path(r, path, plen, params);
            return r;
        }
        if (allowed_size > 0) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, allowed_size - used, "%s%s", used ? ", " : "", r->method);
        }
    }
    return NULL;
}

void wmgw_router_print(const struct wmgw_router *rt, FILE *out)
{
    for (size_t i = 0; i < rt->nroutes; i++)
        fprintf(out, "%s %s %s\n", rt->routes[i].method, rt->routes[i].path, rt->routes[i].operation_id);
}
