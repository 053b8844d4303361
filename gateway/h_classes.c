/*
 * h_classes.c: class schemas over REST (operation getClass): properties
 * with their CIM types and qualifiers, methods with their parameters, as
 * the host's own schema says (fetched once, then cached: classes.h).
 */
#include "cim/json.h"
#include "gateway/handlers.h"
#include "util/err.h"

static void class_ready(struct wmgw_exec *x)
{
    struct wmgw_buf out;
    wmgw_buf_init(&out, 16u << 20);
    int rc = wmgw_cim_json_write_class(&out, x->cls->cls, x->host_name);
    if (rc != 0)
        wmgw_respond_problem(x->r, rc, "cannot write the class schema");
    else
        wmgw_respond_json(x->r, 200, out.data, out.len, NULL);
    wmgw_buf_dispose(&out);
}

int wmgw_h_get_class(struct wmgw_request *r)
{
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x != NULL)
        wmgw_exec_with_class(x, NULL, class_ready);
    return 0;
}
