/*
 * h_methods.c: CIM method invocation over REST (operations
 * invokeStaticMethod and invokeInstanceMethod).  In-parameters come as a
 * JSON object checked against the method's declaration; the answer is the
 * out-parameters and ReturnValue in the same JSON mapping as properties.
 */
#include "cim/json.h"
#include "gateway/normalize.h"
#include "gateway/handlers.h"
#include "gateway/result.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct invoke_args {
    json_t *body;
    const char *method;
    bool on_instance;
    struct wmgw_cim_ref *ref;
    struct wmgw_cim_proplist params;
};

static void invoke_args_dispose(void *p)
{
    struct invoke_args *a = p;
    json_decref(a->body);
    wmgw_cim_ref_free(a->ref);
    wmgw_cim_proplist_dispose(&a->params);
}

static void invoke_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    struct wmgw_buf out;
    wmgw_buf_init(&out, 16u << 20);
    const struct wmgw_cim_method *m = wmgw_cim_class_method(x->cls->cls, x->call.op.method);
    int rc = m ? wmgw_normalize_proplist(x, &res->out, m->params, m->nparams) : 0;
    if (rc == 0)
        rc = wmgw_buf_addc(&out, '{');
    for (size_t i = 0; rc == 0 && i < res->out.n; i++) {
        const struct wmgw_cim_prop *p = &res->out.items[i];
        if (i > 0)
            rc = wmgw_buf_addc(&out, ',');
        if (rc == 0)
            rc = wmgw_json_write_string(&out, p->name, strlen(p->name));
        if (rc == 0)
            rc = wmgw_buf_addc(&out, ':');
        if (rc == 0)
            rc = wmgw_cim_json_write_value(&out, &p->value, x->host_name);
    }
    if (rc == 0)
        rc = wmgw_buf_addc(&out, '}');
    if (rc != 0)
        wmgw_respond_problem(x->r, rc, "cannot write the method's output");
    else
        wmgw_respond_json(x->r, 200, out.data, out.len, NULL);
    wmgw_buf_dispose(&out);
}

static void invoke_ready(struct wmgw_exec *x)
{
    struct invoke_args *a = x->data;
    const struct wmgw_cim_class *cls = x->cls->cls;
    const struct wmgw_cim_method *m = wmgw_cim_class_method(cls, a->method);
    if (m == NULL) {
        wmgw_respond_problem(x->r, WMGW_ENOTFOUND, "class %s has no method %s", cls->name, a->method);
        return;
    }
    bool is_static = (m->flags & WMGW_CIM_Q_STATIC) != 0;
    if (is_static == a->on_instance) {
        wmgw_respond_problem(x->r, WMGW_EINVAL,
                             is_static ? "%s is a static method: POST it on the class (.../classes/%s/methods/%s)"
                                       : "%s is an instance method: POST it on an instance (.../instances/{keys}/methods/%s)",
                             m->name, is_static ? cls->name : m->name, m->name);
        return;
    }
    if (a->on_instance && (a->ref = wmgw_exec_keys(x)) == NULL)
        return;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    json_t *empty = NULL;
    const json_t *body = a->body;
    if (body == NULL)
        body = empty = json_object();
    int rc = wmgw_cim_json_read_params(body, m, &a->params, &err);
    json_decref(empty);
    if (rc == 0)
        rc = wmgw_cim_resolve_refs(&a->params, x->ns) == 0 ? 0 : WMGW_ENOMEM;
    if (rc != 0) {
        wmgw_respond_problem(x->r, rc == WMGW_ENOMEM ? rc : WMGW_EINVAL, "%s", err.message[0] ? err.message : "out of memory");
        return;
    }
    struct wmgw_op *op = &x->call.op;
    op->kind = WMGW_OP_INVOKE;
    op->method = m->name;
    op->params = &a->params;
    op->ref = a->ref;
    wmgw_result_start(x, invoke_done, a);
}

static int invoke(struct wmgw_request *r, bool on_instance)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x == NULL)
        return 0;
    struct invoke_args *a = h2o_mem_alloc_shared(&r->req->pool, sizeof(*a), invoke_args_dispose);
    memset(a, 0, sizeof(*a));
    a->on_instance = on_instance;
    if ((a->method = wmgw_request_param(r, "method")) == NULL)
        return 0;
    /* No body means no in-parameters. */
    if (r->req->entity.len > 0 && (a->body = wmgw_request_json_body(r)) == NULL)
        return 0;
    x->data = a;
    wmgw_exec_with_class(x, NULL, invoke_ready);
    return 0;
}

int wmgw_h_invoke_static_method(struct wmgw_request *r)
{
    return invoke(r, false);
}

int wmgw_h_invoke_instance_method(struct wmgw_request *r)
{
    return invoke(r, true);
}
