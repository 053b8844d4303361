/*
 * invoke.c: CIM method invocation over WS-Management (MS-WSMV §4.1.4,
 * protocol-notes §1.10): Action <ResourceURI>/<Method>, body
 * <p:Method_INPUT> with the in-parameters, reply <p:Method_OUTPUT> with the
 * out-parameters and ReturnValue.  Selectors name the instance of an
 * instance method; static methods take none.
 */
#include "tests/sim/envelope.h"
#include "tests/sim/fault.h"
#include "tests/sim/host.h"
#include "tests/sim/methods.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/store.h"
#include "translators/wsman/cimxml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The in-parameters of m, as declarations for the reader. */
static size_t in_params(const struct wmgw_cim_method *m, struct wmgw_cim_propdecl *decls)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nparams; i++)
        if (m->params[i].flags & WMGW_CIM_Q_IN)
            decls[n++] = m->params[i];
    return n;
}

static int read_input(struct sim_ctx *ctx, const struct wmgw_cim_method *m, struct wmgw_cim_proplist *in)
{
    int found = sim_request_body_first(ctx);
    if (found < 0)
        return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
    if (found == 0)
        return 0; /* no parameters */
    char want[300];
    snprintf(want, sizeof(want), "%s_INPUT", m->name);
    const char *local = (const char *)xmlTextReaderConstLocalName(ctx->reader);
    if (strcasecmp(local, want) != 0)
        return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
    struct wmgw_cim_propdecl *decls = calloc(m->nparams ? m->nparams : 1, sizeof(*decls));
    if (decls == NULL)
        return sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    size_t n = in_params(m, decls);
    int rc = 0;
    if (n == 0 && !xmlTextReaderIsEmptyElement(ctx->reader)) {
        /* No in-parameters: any child is unexpected. */
        int depth = xmlTextReaderDepth(ctx->reader);
        if (wmgw_xmlr_next_child(ctx->reader, depth) != 0)
            rc = sim_fault(ctx, SIM_FAULT_INVALID_PARAMETER, NULL, "The method takes no parameters. ");
    } else if (n > 0) {
        rc = wmgw_wsman_read_proplist(ctx->reader, ctx->host->dialect, decls, n, sim_lookup_class, ctx->host->store,
                                      ctx->ns, in, &ctx->err);
        if (rc != 0)
            rc = sim_fault(ctx, SIM_FAULT_INVALID_PARAMETER, NULL, ctx->err.message[0] ? ctx->err.message : NULL);
    }
    free(decls);
    return rc;
}

static int cmp_prop(const void *a, const void *b)
{
    return strcasecmp(((const struct wmgw_cim_prop *)a)->name, ((const struct wmgw_cim_prop *)b)->name);
}

static int write_output(struct sim_ctx *ctx, struct sim_call *call)
{
    const struct wmgw_cim_method *m = call->method;
    if (m->return_type != WMGW_CIM_NONE) {
        struct wmgw_cim_value rv;
        wmgw_cim_value_init_null(&rv, m->return_type);
        rv.null = false;
        if (wmgw_cim_type_is_signed(m->return_type))
            rv.u.s = (int32_t)call->return_value;
        else
            rv.u.u = call->return_value;
        if (wmgw_cim_proplist_put(&call->out, "ReturnValue", &rv) != 0)
            return WMGW_ENOMEM;
    }
    /* WinRM renders the output object like any instance: names in order. */
    if (call->out.n > 1)
        qsort(call->out.items, call->out.n, sizeof(*call->out.items), cmp_prop);
    const char *action = ctx->req.action;
    char *resp_action = malloc(strlen(action) + sizeof("Response"));
    if (resp_action == NULL)
        return WMGW_ENOMEM;
    sprintf(resp_action, "%sResponse", action);
    int rc = sim_envelope_begin(ctx, resp_action);
    free(resp_action);
    if (rc == 0)
        rc = wmgw_buf_printf(&ctx->out, "<p:%s_OUTPUT xmlns:p=\"", m->name);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(&ctx->out, ctx->req.resource_uri);
    if (rc == 0)
        rc = wmgw_buf_printf(&ctx->out, "\" xmlns:xsi=\"%s\" xmlns:cim=\"%s\">", WMGW_NS_XSI,
                             ctx->host->dialect->ns_cim);
    if (rc == 0)
        rc = wmgw_wsman_write_proplist(&ctx->out, ctx->host->dialect, &call->out, "p", 0);
    if (rc == 0)
        rc = wmgw_buf_printf(&ctx->out, "</p:%s_OUTPUT>", m->name);
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    return rc;
}

int sim_op_invoke(struct sim_ctx *ctx, const char *method)
{
    const struct wmgw_cim_class *cls = ctx->cls->cls;
    const struct wmgw_cim_method *m = wmgw_cim_class_method(cls, method);
    if (m == NULL)
        return sim_fault(ctx, SIM_FAULT_ACTION_NOT_SUPPORTED, NULL, NULL);
    struct sim_call call = {.ctx = ctx, .cls = cls, .method = m};
    bool is_static = (m->flags & WMGW_CIM_Q_STATIC) != 0;
    if (!is_static) {
        if (ctx->req.selectors.n == 0 && wmgw_cim_class_key_count(cls) > 0 && !(cls->flags & WMGW_CIM_Q_SINGLETON))
            return sim_fault(ctx, SIM_FAULT_INSUFFICIENT_SELECTORS, NULL, NULL);
        struct wmgw_cim_ref *ref = sim_selectors_to_ref(ctx);
        if (ref == NULL)
            return -1;
        call.target = sim_find_instance(ctx, ref);
        wmgw_cim_ref_free(ref);
        if (call.target == NULL)
            return -1;
    }
    struct wmgw_cim_proplist in = {0};
    int rc = read_input(ctx, m, &in);
    if (rc == 0) {
        call.in = &in;
        rc = sim_method_run(&call);
        if (rc == 1)
            rc = sim_fault(ctx, SIM_FAULT_METHOD_NOT_IMPLEMENTED, NULL, NULL);
    }
    if (rc == 0 && write_output(ctx, &call) != 0)
        rc = sim_fault(ctx, SIM_FAULT_ENCODING_LIMIT, "MaxEnvelopeSize", NULL);
    wmgw_cim_proplist_dispose(&in);
    wmgw_cim_proplist_dispose(&call.out);
    wmgw_cim_instance_unref(call.target);
    return rc;
}
