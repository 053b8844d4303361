/*
 * result.c: single-result operations (result.h).
 */
#include "gateway/result.h"
#include "cim/json.h"
#include "gateway/normalize.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void result_dispose(void *p)
{
    struct wmgw_result *res = p;
    wmgw_cim_instance_unref(res->inst);
    wmgw_cim_ref_free(res->ref);
    wmgw_cim_class_free(res->cls);
    wmgw_cim_proplist_dispose(&res->out);
}

static struct wmgw_result *res_of(struct wmgw_call *call)
{
    struct wmgw_exec *x = call->sink_data;
    return x->data;
}

static void on_instance(struct wmgw_call *call, struct wmgw_cim_instance *inst)
{
    struct wmgw_result *res = res_of(call);
    wmgw_cim_instance_unref(res->inst);
    res->inst = inst;
}

static void on_ref(struct wmgw_call *call, struct wmgw_cim_ref *ref)
{
    struct wmgw_result *res = res_of(call);
    wmgw_cim_ref_free(res->ref);
    res->ref = ref;
}

static void on_class(struct wmgw_call *call, struct wmgw_cim_class *cls)
{
    struct wmgw_result *res = res_of(call);
    wmgw_cim_class_free(res->cls);
    res->cls = cls;
}

static void on_output(struct wmgw_call *call, struct wmgw_cim_proplist *out)
{
    struct wmgw_result *res = res_of(call);
    wmgw_cim_proplist_dispose(&res->out);
    res->out = *out;
    free(out); /* ours, like every result handed to a sink (translator.h) */
    res->has_out = true;
}

static void on_identity(struct wmgw_call *call, const struct wmgw_identity *id)
{
    struct wmgw_result *res = res_of(call);
    res->identity = *id;
    res->has_identity = true;
}

static void on_batch(struct wmgw_call *call)
{
    wmgw_call_resume(call); /* single results never wait for the caller */
}

static void on_done(struct wmgw_call *call, const struct wmgw_backend_error *err)
{
    struct wmgw_exec *x = call->sink_data;
    struct wmgw_result *res = x->data;
    wmgw_exec_finished(x, err);
    res->done(x, res, err);
}

static const struct wmgw_sink_ops result_sink = {
    .on_instance = on_instance,
    .on_ref = on_ref,
    .on_class = on_class,
    .on_output = on_output,
    .on_identity = on_identity,
    .on_batch = on_batch,
    .on_done = on_done,
};

struct wmgw_result *wmgw_result_start(struct wmgw_exec *x, wmgw_result_done done, void *data)
{
    struct wmgw_result *res = h2o_mem_alloc_shared(&x->r->req->pool, sizeof(*res), result_dispose);
    memset(res, 0, sizeof(*res));
    res->done = done;
    res->data = data;
    x->data = res;
    return wmgw_exec_start(x, &result_sink) == 0 ? res : NULL;
}

static void respond_when_typed(struct wmgw_exec *x)
{
    struct wmgw_result *res = x->data;
    wmgw_result_respond_instance(x, res, res->status, res->location);
}

void wmgw_result_respond_instance(struct wmgw_exec *x, struct wmgw_result *res, int status, const char *location)
{
    if (res->inst == NULL) {
        wmgw_respond_problem(x->r, WMGW_EPROTO, "host %s answered without an instance", x->host_name);
        return;
    }
    /* A derived class (a Get by a base class's path): fetch it first, so
     * the instance is typed by its own class. */
    if (!wmgw_exec_has_class(x, res->inst->class_name) && !res->class_asked) {
        res->class_asked = true;
        res->status = status;
        res->location = location;
        x->data = res;
        wmgw_exec_need_class(x, res->inst->class_name, respond_when_typed);
        return;
    }
    int rc = wmgw_normalize_instance(x, res->inst, false);
    const struct wmgw_cim_class *cls = wmgw_exec_class(x, res->inst->class_name);
    struct wmgw_buf out;
    wmgw_buf_init(&out, 64u << 20);
    if (rc == 0)
        rc = wmgw_cim_json_write_instance(&out, res->inst, cls, x->host_name);
    if (rc != 0)
        wmgw_respond_problem(x->r, rc, "cannot write the instance");
    else
        wmgw_respond_json(x->r, status, out.data, out.len, location);
    wmgw_buf_dispose(&out);
}
