/*
 * dispatch.c: from a parsed request to the operation that answers it.
 *
 * Resolves the resource URI to a namespace and class (faulting as WinRM
 * does for an unknown namespace, class or URI), then picks the operation
 * from the Action: WS-Transfer, WS-Enumeration, or `<ResourceURI>/<Method>`
 * for a CIM method.  The host's dialect decides which resources exist
 * beside the classes (the class-retrieval URI, the 2005/06 "this"
 * resource) and whether CIM instances may be created and deleted.
 */
#include "tests/sim/fault.h"
#include "tests/sim/host.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/security.h"
#include "tests/sim/store.h"
#include "translators/wsman/cimxml.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct wmgw_cim_class *sim_lookup_class(void *store, const char *ns, const char *class_name)
{
    struct sim_store *s = store;
    struct sim_class *c = NULL;
    if (ns != NULL)
        c = sim_store_class(s, ns, class_name);
    for (size_t i = 0; c == NULL && ns == NULL && i < s->n; i++)
        c = sim_store_class(s, s->ns[i].name, class_name);
    return c ? c->cls : NULL;
}

/* __cimnamespace selects the namespace of DMTF URIs; for WMI URIs it must
 * agree with the URI (MS-WSMV <45>, <46>).  It never identifies an instance. */
static const char *take_cimnamespace(struct sim_ctx *ctx, char **owned)
{
    *owned = NULL;
    struct wmgw_cim_prop *p = wmgw_cim_proplist_find(&ctx->req.selectors, "__cimnamespace");
    if (p == NULL || p->value.null || WMGW_CIM_BASETYPE(p->value.type) != WMGW_CIM_STRING)
        return NULL;
    *owned = strdup(p->value.u.str);
    wmgw_cim_proplist_remove(&ctx->req.selectors, "__cimnamespace");
    return *owned;
}

static int resolve_resource(struct sim_ctx *ctx)
{
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    char *cimns;
    const char *selns = take_cimnamespace(ctx, &cimns);
    int rc = wmgw_wsman_parse_resource_uri(d, ctx->req.resource_uri, selns, &ctx->ns, &ctx->class_name);
    if (rc != 0) {
        free(cimns);
        return sim_fault(ctx, SIM_FAULT_BAD_RESOURCE_URI, NULL, NULL);
    }
    if (selns != NULL) {
        char *n = wmgw_cim_namespace_normalize(selns);
        bool same = n != NULL && strcasecmp(n, ctx->ns) == 0;
        free(n);
        free(cimns);
        if (!same)
            return sim_fault(ctx, SIM_FAULT_INVALID_SELECTOR_VALUE, NULL,
                             "The __cimnamespace selector does not match the namespace of the resource URI. ");
    }
    if (sim_store_namespace(ctx->host->store, ctx->ns) == NULL)
        return sim_fault(ctx, SIM_FAULT_NO_NAMESPACE, NULL, NULL);
    if (strcmp(ctx->class_name, "*") == 0)
        return 0;
    ctx->cls = sim_store_class(ctx->host->store, ctx->ns, ctx->class_name);
    if (ctx->cls == NULL)
        return sim_fault(ctx, SIM_FAULT_NO_CLASS, NULL, NULL);
    return 0;
}

int sim_dispatch(struct sim_ctx *ctx)
{
    const char *action = ctx->req.action;
    ctx->host->counters.by_action[sim_action_index(action)]++;
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    /* Class retrieval and the "this" resource have their own URIs,
     * answered before class resolution. */
    if (d->class_uri != NULL && strcmp(action, WMGW_ACTION_GET) == 0 && strcmp(ctx->req.resource_uri, d->class_uri) == 0)
        return sim_op_get_class(ctx);
    if (d->this_uri != NULL && strcasecmp(ctx->req.resource_uri, d->this_uri) == 0)
        return strcmp(action, WMGW_ACTION_GET) == 0 ? sim_op_this(ctx)
                                                    : sim_fault(ctx, SIM_FAULT_ACTION_NOT_SUPPORTED, NULL, NULL);
    if (resolve_resource(ctx) != 0)
        return -1;
    /* The namespace's descriptor, as WMI checks it for WinRM's calls. */
    bool writes = strcmp(action, WMGW_ACTION_PUT) == 0 || strcmp(action, WMGW_ACTION_CREATE) == 0 ||
                  strcmp(action, WMGW_ACTION_DELETE) == 0;
    if (sim_security_check(ctx, ctx->ns, writes ? SIM_ACCESS_WRITE : SIM_ACCESS_LOGIN) != 0)
        return -1;
    if (strcmp(action, WMGW_ACTION_ENUMERATE) == 0)
        return sim_op_enumerate(ctx);
    if (strcmp(action, WMGW_ACTION_PULL) == 0)
        return sim_op_pull(ctx);
    if (strcmp(action, WMGW_ACTION_RELEASE) == 0)
        return sim_op_release(ctx);
    if (ctx->cls == NULL) /* the all-classes URI only enumerates */
        return sim_fault(ctx, SIM_FAULT_ACTION_NOT_SUPPORTED, NULL, NULL);
    if (strcmp(action, WMGW_ACTION_GET) == 0)
        return sim_op_get(ctx);
    if (strcmp(action, WMGW_ACTION_PUT) == 0)
        return sim_op_put(ctx);
    if ((strcmp(action, WMGW_ACTION_CREATE) == 0 || strcmp(action, WMGW_ACTION_DELETE) == 0) &&
        !d->can_create_delete) /* MS-WSMAN <2> */
        return sim_fault(ctx, SIM_FAULT_CREATE_DELETE_UNSUPPORTED, NULL, NULL);
    if (strcmp(action, WMGW_ACTION_CREATE) == 0)
        return sim_op_create(ctx);
    if (strcmp(action, WMGW_ACTION_DELETE) == 0)
        return sim_op_delete(ctx);
    /* A method: Action = <ResourceURI>/<Method> (case-insensitive, as WinRM). */
    size_t ulen = strlen(ctx->req.resource_uri);
    if (strncasecmp(action, ctx->req.resource_uri, ulen) == 0 && action[ulen] == '/' && action[ulen + 1] != '\0' &&
        strchr(action + ulen + 1, '/') == NULL)
        return sim_op_invoke(ctx, action + ulen + 1);
    return sim_fault(ctx, SIM_FAULT_ACTION_NOT_SUPPORTED, NULL, NULL);
}

void sim_handle_soap(struct sim_ctx *ctx, const char *body, size_t len, bool authed)
{
    if (len > INT_MAX) {
        sim_fault(ctx, SIM_FAULT_ENCODING_LIMIT, NULL, NULL);
        return;
    }
    ctx->reader = xmlReaderForMemory(body, (int)len, NULL, NULL, XML_PARSE_NONET);
    if (ctx->reader == NULL) {
        sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
        return;
    }
    wmgw_err_clear(&ctx->err);
    if (sim_request_read_headers(ctx) == 0) {
        if (ctx->req.identify) {
            sim_op_identify(ctx, authed);
        } else if (authed && (long)ctx->latency_ms > sim_request_timeout_ms(ctx)) {
            /* The operation would outlive OperationTimeout: WinRM gives up
             * with TimedOut and the operation has no effect (an enumeration
             * context stays where it was, for the client to retry). */
            ctx->host->counters.by_action[sim_action_index(ctx->req.action)]++;
            ctx->timed_out = true;
            sim_fault(ctx, SIM_FAULT_TIMED_OUT, NULL, NULL);
        } else if (authed) {
            sim_dispatch(ctx);
        }
    }
    xmlFreeTextReader(ctx->reader);
    ctx->reader = NULL;
}

void sim_ctx_dispose(struct sim_ctx *ctx)
{
    sim_request_dispose(&ctx->req);
    wmgw_buf_dispose(&ctx->out);
    free(ctx->ns);
    free(ctx->class_name);
    ctx->ns = ctx->class_name = NULL;
}
